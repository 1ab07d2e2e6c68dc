/* response.c - being written. */
