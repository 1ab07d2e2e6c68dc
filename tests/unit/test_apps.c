#include <criterion/criterion.h>

Test(placeholder, test_apps_not_written_yet) { cr_skip_test("not written yet"); }
