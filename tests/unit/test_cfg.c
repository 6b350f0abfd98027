/*
 * test_cfg.c - the table-driven config parser: values, defaults, and errors
 * that name file and line.
 */
#include "test.h"
#include "cfg.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct tcfg {
	char			*name;
	char			*secret;
	char			*path;
	unsigned long long	 workers;
	unsigned long long	 zero_ok;
	int			 verbose;
	struct cfg_list		 words;
	struct cfg_list		 empty_def;
};

static int
check_no_x(const char *value, char *err, size_t errlen)
{
	if (strchr(value, 'x') != NULL) {
		snprintf(err, errlen, "no x allowed");
		return PCA_ERR_CONFIG;
	}
	return 0;
}

#define T(f)	CFG_OFF(struct tcfg, f)
static const struct cfg_key tkeys[] = {
	{ .name = "name",      .type = CFG_STR,  .off = T(name), .required = 1, .check = check_no_x },
	{ .name = "secret",    .type = CFG_STR,  .off = T(secret), .flags = CFG_SENSITIVE },
	{ .name = "path",      .type = CFG_PATH, .off = T(path) },
	{ .name = "workers",   .type = CFG_UINT, .off = T(workers), .min = 1, .max = 256, .def = "2" },
	{ .name = "zero-ok",   .type = CFG_UINT, .off = T(zero_ok), .def = "7" },
	{ .name = "verbose",   .type = CFG_BOOL, .off = T(verbose), .def = "no" },
	{ .name = "words",     .type = CFG_LIST, .off = T(words), .def = "a b c" },
	{ .name = "empty-def", .type = CFG_LIST, .off = T(empty_def) },
};
#define NT	(sizeof(tkeys) / sizeof(tkeys[0]))

/* Write text to a fresh file in the test dir; returns a static path. */
static const char *write_cfg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
write_cfg(const char *fmt, ...)
{
	static char path[512];
	static int n;
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cfg-%d.conf", test_tmpdir(), n++);
	if ((f = fopen(path, "w")) == NULL)
		test_fail(__FILE__, __LINE__, "cannot write %s", path);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	return path;
}

/* Load text; on failure, err gets the message and the object is freed. */
static int
load_text(struct tcfg *c, char *err, size_t errlen, const char *text)
{
	const char *path = write_cfg("%s", text);
	int r;

	memset(c, 0, sizeof(*c));
	r = cfg_load(path, tkeys, NT, c, err, errlen);
	if (r != 0)
		cfg_free(tkeys, NT, c);
	return r;
}

static void
test_values(void)
{
	struct tcfg c;
	char err[512];

	assert_int_eq(load_text(&c, err, sizeof(err),
	    "# a comment\n"
	    "\n"
	    "name   hello world   # trailing comment\n"
	    "  workers 16\r\n"
	    "verbose Yes\n"
	    "words one\ttwo three\n"
	    "path /etc/x#not-a-comment\n"
	    "zero-ok 0\n"), 0);
	assert_str_eq(c.name, "hello world");
	assert_str_eq(c.path, "/etc/x#not-a-comment");
	assert_int_eq(c.workers, 16);
	assert_int_eq(c.zero_ok, 0);		/* explicit 0 is not "unset" */
	assert_int_eq(c.verbose, 1);
	assert_int_eq(c.words.n, 3);
	assert_str_eq(c.words.v[0], "one");
	assert_str_eq(c.words.v[2], "three");
	assert_ptr_null(c.secret);
	assert_int_eq(c.empty_def.n, 0);
	cfg_free(tkeys, NT, &c);
	assert_ptr_null(c.name);
}

static void
test_defaults(void)
{
	struct tcfg c;
	char err[512];

	assert_int_eq(load_text(&c, err, sizeof(err), "name n\n"), 0);
	assert_int_eq(c.workers, 2);
	assert_int_eq(c.zero_ok, 7);
	assert_int_eq(c.verbose, 0);
	assert_int_eq(c.words.n, 3);
	assert_str_eq(c.words.v[1], "b");
	cfg_free(tkeys, NT, &c);
}

static void
test_empty_list(void)
{
	struct tcfg c;
	char err[512];

	/* a list keyword alone means "none", not "default" */
	assert_int_eq(load_text(&c, err, sizeof(err), "name n\nwords\n"), 0);
	assert_int_eq(c.words.n, 0);
	cfg_free(tkeys, NT, &c);
}

/* Each error names the file and the line. */
static void
expect_error(const char *text, int line, const char *needle)
{
	struct tcfg c;
	char err[512], where[600];
	const char *path = write_cfg("%s", text);

	memset(&c, 0, sizeof(c));
	assert_int_eq(cfg_load(path, tkeys, NT, &c, err, sizeof(err)), PCA_ERR_CONFIG);
	cfg_free(tkeys, NT, &c);
	if (line > 0)
		snprintf(where, sizeof(where), "%s:%d: ", path, line);
	else
		snprintf(where, sizeof(where), "%s: ", path);
	assert_true(strncmp(err, where, strlen(where)) == 0);
	assert_str_contains(err, needle);
}

static void
test_errors(void)
{
	expect_error("name n\n\nbogus 1\n", 3, "unknown keyword 'bogus'");
	expect_error("name n\nworkers 3\n# x\nworkers 4\n", 4, "repeated (first on line 2)");
	expect_error("name n\nworkers 0\n", 2, "out of range 1..256");
	expect_error("name n\nworkers 257\n", 2, "out of range");
	expect_error("name n\nworkers -1\n", 2, "not an unsigned decimal");
	expect_error("name n\nworkers 12x\n", 2, "not an unsigned decimal");
	expect_error("name n\nworkers 0x10\n", 2, "not an unsigned decimal");
	expect_error("name n\nzero-ok 99999999999999999999999\n", 2, "not an unsigned decimal");
	expect_error("name n\nverbose maybe\n", 2, "yes/no");
	expect_error("name\n", 1, "missing value");
	expect_error("name has-an-x\n", 1, "no x allowed");
	expect_error("name n\nwords a b a\n", 2, "word 'a' repeated");
	expect_error("workers 3\n", 0, "missing required keyword 'name'");
}

static void
test_line_limits(void)
{
	struct tcfg c;
	char err[512], *big;
	const char *path;
	FILE *f;

	big = malloc(6000);
	assert_ptr_not_null(big);
	memset(big, 'a', 5999);
	big[5999] = '\0';
	path = write_cfg("name n\npath /%s\n", big);
	free(big);
	memset(&c, 0, sizeof(c));
	assert_int_eq(cfg_load(path, tkeys, NT, &c, err, sizeof(err)), PCA_ERR_CONFIG);
	cfg_free(tkeys, NT, &c);
	assert_str_contains(err, ":2: line longer than");

	/* a NUL byte inside a line */
	path = write_cfg("name n\n");
	f = fopen(path, "a");
	assert_ptr_not_null(f);
	fwrite("path /a\0b\n", 1, 10, f);
	fclose(f);
	memset(&c, 0, sizeof(c));
	assert_int_eq(cfg_load(path, tkeys, NT, &c, err, sizeof(err)), PCA_ERR_CONFIG);
	cfg_free(tkeys, NT, &c);
	assert_str_contains(err, ":2: NUL byte");

	/* exactly 4096 bytes of text: accepted with or without its newline
	 * (found by the cfg fuzzer: without one, the dump did not reload) */
	big = malloc(4096);
	assert_ptr_not_null(big);
	memset(big, 'b', 4090);
	big[4090] = '\0';			/* "path /" + 4090 = 4096 */
	path = write_cfg("name n\npath /%s", big);
	memset(&c, 0, sizeof(c));
	assert_int_eq(cfg_load(path, tkeys, NT, &c, err, sizeof(err)), 0);
	cfg_free(tkeys, NT, &c);
	path = write_cfg("name n\npath /%s\n", big);
	memset(&c, 0, sizeof(c));
	assert_int_eq(cfg_load(path, tkeys, NT, &c, err, sizeof(err)), 0);
	cfg_free(tkeys, NT, &c);
	free(big);
}

static void
test_missing_file(void)
{
	struct tcfg c;
	char err[512], path[512];

	snprintf(path, sizeof(path), "%s/does-not-exist.conf", test_tmpdir());
	memset(&c, 0, sizeof(c));
	assert_int_eq(cfg_load(path, tkeys, NT, &c, err, sizeof(err)), PCA_ERR_CONFIG);
	assert_str_contains(err, "does-not-exist.conf: No such file");
}

static void
test_set_and_finish(void)
{
	struct tcfg c;
	char err[512];

	memset(&c, 0, sizeof(c));
	/* no file: defaults, but the required name is missing */
	assert_int_eq(cfg_finish(tkeys, NT, &c, err, sizeof(err)), PCA_ERR_CONFIG);
	assert_str_contains(err, "missing required keyword 'name'");
	assert_int_eq(cfg_set(tkeys, NT, &c, "name", "from-cli", err, sizeof(err)), 0);
	assert_int_eq(cfg_finish(tkeys, NT, &c, err, sizeof(err)), 0);
	assert_str_eq(c.name, "from-cli");
	assert_int_eq(c.workers, 2);
	/* overrides after finish, same checks as the file */
	assert_int_eq(cfg_set(tkeys, NT, &c, "zero-ok", "0", err, sizeof(err)), 0);
	assert_int_eq(c.zero_ok, 0);
	assert_int_eq(cfg_set(tkeys, NT, &c, "workers", "1000", err, sizeof(err)), PCA_ERR_CONFIG);
	assert_str_contains(err, "workers: 1000 is out of range");
	assert_int_eq(c.workers, 2);		/* unchanged on error */
	assert_int_eq(cfg_set(tkeys, NT, &c, "nope", "1", err, sizeof(err)), PCA_ERR_CONFIG);
	assert_str_contains(err, "unknown keyword 'nope'");
	assert_int_eq(cfg_set(tkeys, NT, &c, "name", "a\nb", err, sizeof(err)), PCA_ERR_CONFIG);
	assert_str_contains(err, "control character");
	assert_int_eq(cfg_set(tkeys, NT, &c, "name", "second", err, sizeof(err)), 0);
	assert_str_eq(c.name, "second");	/* replaced; the old one freed (ASan) */
	cfg_free(tkeys, NT, &c);
}

static char *
dump_to_string(const struct tcfg *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_ptr_not_null(f);
	cfg_dump(f, tkeys, NT, c);
	fclose(f);
	return buf;
}

static void
test_dump_reparse(void)
{
	struct tcfg c, c2;
	char err[512], *d1, *d2;
	const char *path;

	assert_int_eq(load_text(&c, err, sizeof(err),
	    "name n1\nsecret hunter2\nworkers 9\nverbose true\nwords x y\n"), 0);
	d1 = dump_to_string(&c);
	assert_true(strstr(d1, "hunter2") == NULL);	/* sensitive: never printed */
	assert_str_contains(d1, "# secret (sensitive, not shown)\n");
	assert_str_contains(d1, "workers 9\n");
	assert_str_contains(d1, "verbose yes\n");
	assert_str_contains(d1, "words x y\n");
	assert_str_contains(d1, "empty-def\n");
	assert_str_contains(d1, "# path (not set)\n");
	/* the dump is itself a valid file with the same meaning */
	path = write_cfg("%s", d1);
	memset(&c2, 0, sizeof(c2));
	assert_int_eq(cfg_load(path, tkeys, NT, &c2, err, sizeof(err)), 0);
	d2 = dump_to_string(&c2);
	assert_str_eq(d1, d2);
	free(d1);
	free(d2);
	cfg_free(tkeys, NT, &c);
	cfg_free(tkeys, NT, &c2);
}

static void
test_mode_0600(void)
{
	char err[512], path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pin", test_tmpdir());
	f = fopen(path, "w");
	assert_ptr_not_null(f);
	fputs("1234\n", f);
	fclose(f);
	assert_int_eq(chmod(path, 0644), 0);
	assert_int_eq(cfg_check_mode_0600(path, err, sizeof(err)), PCA_ERR_PERM);
	assert_str_contains(err, "mode 0644 is too open");
	assert_int_eq(chmod(path, 0600), 0);
	assert_int_eq(cfg_check_mode_0600(path, err, sizeof(err)), 0);
	assert_int_eq(chmod(path, 0400), 0);
	assert_int_eq(cfg_check_mode_0600(path, err, sizeof(err)), 0);
	assert_int_ne(cfg_check_mode_0600(test_tmpdir(), err, sizeof(err)), 0);
	assert_str_contains(err, "not a regular file");
	snprintf(path, sizeof(path), "%s/nope", test_tmpdir());
	assert_int_eq(cfg_check_mode_0600(path, err, sizeof(err)), PCA_ERR_IO);
}

int
main(void)
{
	test_run("cfg/values", test_values);
	test_run("cfg/defaults", test_defaults);
	test_run("cfg/empty_list", test_empty_list);
	test_run("cfg/errors_name_file_and_line", test_errors);
	test_run("cfg/line_limits", test_line_limits);
	test_run("cfg/missing_file", test_missing_file);
	test_run("cfg/set_and_finish", test_set_and_finish);
	test_run("cfg/dump_reparse", test_dump_reparse);
	test_run("cfg/mode_0600", test_mode_0600);
	return test_done();
}
