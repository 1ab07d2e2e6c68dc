/* uploads - sample FastCGI app (being written). */
int main(void) { return 0; }
