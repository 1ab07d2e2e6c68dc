/* sha256.h - being written. */
