/* cgi.c - being written. */
