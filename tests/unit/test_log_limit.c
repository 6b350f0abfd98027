/*
 * test_log_limit.c - at most N lines a second, and the count of the lines
 * refused handed to the next line allowed.
 */
#include "test.h"

#include "log_limit.h"

#define SEC	1000000000ull

static void
test_limit(void)
{
	struct log_limit ll = LOG_LIMIT_INIT(3);
	unsigned long dropped = 99;
	unsigned allowed = 0;

	for (int i = 0; i < 10; i++)
		allowed += log_limit_allow_at(&ll, 100 * SEC + (uint64_t)i, &dropped);
	assert_int_eq(allowed, 3);
	/* the next second: allowed again, with the count of the refused */
	assert_int_eq(log_limit_allow_at(&ll, 101 * SEC, &dropped), 1);
	assert_int_eq(dropped, 7);
	assert_int_eq(log_limit_allow_at(&ll, 101 * SEC + 1, &dropped), 1);
	assert_int_eq(dropped, 0);
	assert_int_eq(log_limit_allow_at(&ll, 101 * SEC + 2, &dropped), 1);
	assert_int_eq(log_limit_allow_at(&ll, 101 * SEC + 3, &dropped), 0);
	assert_int_eq(dropped, 0);
	/* much later: the one refused is still counted */
	assert_int_eq(log_limit_allow_at(&ll, 5000 * SEC, &dropped), 1);
	assert_int_eq(dropped, 1);
	/* the real clock works too */
	assert_int_eq(log_limit_allow(&ll, &dropped), 1);
}

static void
test_note(void)
{
	char note[LOG_LIMIT_NOTE_LEN];

	assert_str_eq(log_limit_note(0, note), "");
	assert_str_eq(log_limit_note(7, note), " (and 7 more not logged before)");
	assert_str_eq(log_limit_note(~0ul, note),
	    " (and 18446744073709551615 more not logged before)");
}

int
main(void)
{
	test_run("log_limit/limit", test_limit);
	test_run("log_limit/note", test_note);
	return test_done();
}
