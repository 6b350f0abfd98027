#include "test.h"

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* harness state, one per test process */
static struct {
	int		 n, failed;
	jmp_buf		 jmp;
	int		 in_case;
	char		 tmpdir[256];
} gl_test;

void
test_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (gl_test.in_case)
		longjmp(gl_test.jmp, 1);
	abort();
}

void
test_run(const char *name, void (*fn)(void))
{
	gl_test.n++;
	gl_test.in_case = 1;
	if (setjmp(gl_test.jmp) == 0) {
		fn();
		printf("ok %d - %s\n", gl_test.n, name);
	} else {
		gl_test.failed++;
		printf("not ok %d - %s\n", gl_test.n, name);
	}
	gl_test.in_case = 0;
	fflush(stdout);
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

int
test_done(void)
{
	printf("1..%d\n", gl_test.n);
	if (gl_test.failed > 0)
		printf("# %d of %d failed\n", gl_test.failed, gl_test.n);
	if (gl_test.tmpdir[0] != '\0' && getenv("HSMCA_KEEP_TMP") == NULL)
		nftw(gl_test.tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return gl_test.failed == 0 && gl_test.n > 0 ? 0 : 1;
}

const char *
test_tmpdir(void)
{
	const char *base;

	if (gl_test.tmpdir[0] != '\0')
		return gl_test.tmpdir;
	if ((base = getenv("TMPDIR")) == NULL)
		base = "/tmp";
	snprintf(gl_test.tmpdir, sizeof(gl_test.tmpdir), "%s/hsmca-test.XXXXXX", base);
	if (mkdtemp(gl_test.tmpdir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return gl_test.tmpdir;
}

char *
test_read_file(const char *path, size_t *lenp)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);
			if (nb == NULL) { free(buf); fclose(f); return NULL; }
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

int
test_sh(char **out, const char *fmt, ...)
{
	char cmd[8192], chunk[4096];
	char *buf = NULL;
	size_t len = 0, n;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		char *nb = realloc(buf, len + n + 1);
		if (nb == NULL)
			break;
		buf = nb;
		memcpy(buf + len, chunk, n);
		len += n;
		buf[len] = '\0';
	}
	st = pclose(p);
	if (out != NULL)
		*out = buf != NULL ? buf : strdup("");
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
