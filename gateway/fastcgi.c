/* fastcgi.c - being written. */
