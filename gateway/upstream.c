/* upstream.c - being written. */
