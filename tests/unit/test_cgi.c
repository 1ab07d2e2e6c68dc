#include <criterion/criterion.h>

Test(placeholder, test_cgi_not_written_yet) { cr_skip_test("not written yet"); }
