/*
 * test.h - a small TAP harness for hsmca's unit and integration tests.
 *
 *	static void test_roundtrip(void) { assert_int_eq(f(1), 2); }
 *	int main(void) {
 *		test_run("codec/roundtrip", test_roundtrip);
 *		return test_done();
 *	}
 *
 * A failed assertion prints the file, line and both values, marks the case
 * "not ok" and leaves it (longjmp); the remaining cases still run.
 * test_done() prints the plan and returns the process exit code.
 */
#ifndef PCA_TEST_H
#define PCA_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

void test_run(const char *name, void (*fn)(void));
int test_done(void);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void test_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* a fresh temporary directory for this process (removed by test_done
 * unless HSMCA_KEEP_TMP is set); returns a static path */
const char *test_tmpdir(void);
/* read a whole file; NUL-terminated; caller frees; NULL on error */
char *test_read_file(const char *path, size_t *len);
/* run a shell command, capture stdout (caller frees); returns exit status */
int test_sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define assert_true(c) do { if (!(c)) \
	test_fail(__FILE__, __LINE__, "assert_true(%s)", #c); } while (0)
#define assert_false(c) do { if (c) \
	test_fail(__FILE__, __LINE__, "assert_false(%s)", #c); } while (0)
#define assert_int_eq(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a, _b); } while (0)
#define assert_int_ne(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a == _b) test_fail(__FILE__, __LINE__, "%s != %s: both %lld", #a, #b, _a); } while (0)
#define assert_int_ge(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a < _b) test_fail(__FILE__, __LINE__, "%s >= %s: %lld < %lld", #a, #b, _a, _b); } while (0)
#define assert_int_le(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a > _b) test_fail(__FILE__, __LINE__, "%s <= %s: %lld > %lld", #a, #b, _a, _b); } while (0)
#define assert_ptr_null(p) do { if ((p) != NULL) \
	test_fail(__FILE__, __LINE__, "%s is not NULL", #p); } while (0)
#define assert_ptr_not_null(p) do { if ((p) == NULL) \
	test_fail(__FILE__, __LINE__, "%s is NULL", #p); } while (0)
#define assert_str_eq(a, b) do { const char *_a = (a), *_b = (b); \
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) \
		test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
		    _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
#define assert_str_contains(hay, needle) do { const char *_h = (hay), *_n = (needle); \
	if (_h == NULL || strstr(_h, _n) == NULL) \
		test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", \
		    _h ? _h : "(null)", _n); } while (0)
#define assert_mem_eq(a, b, n) do { if (memcmp((a), (b), (n)) != 0) \
	test_fail(__FILE__, __LINE__, "memory %s != %s (%zu bytes)", #a, #b, (size_t)(n)); } while (0)

#endif
