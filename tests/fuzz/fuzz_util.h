/*
 * fuzz_util.h - what the fuzz targets share (header only: each target is
 * one .c file, linked with libFuzzer or with replay.c).
 *
 * State a target creates once per process (a token, a store, a temporary
 * directory) lives in one static struct of that target, set up on the
 * first input and torn down at exit; everything made for one input is
 * freed before LLVMFuzzerTestOneInput returns (LeakSanitizer runs with
 * libFuzzer).
 *
 * Logs are off while fuzzing (every refused input would print a line);
 * HSMCA_FUZZ_LOG=debug|info|warn|error turns them back on.
 */
#ifndef PCA_FUZZ_UTIL_H
#define PCA_FUZZ_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Defined by targets that build their seeds with the real code; replay.c
 * calls it for `<target> --write-seeds DIR`. */
int FuzzWriteSeeds(const char *dir);

/* Setup that cannot go wrong without making the target useless. */
#define FUZZ_CHECK(c) do { if (!(c)) {					\
	fprintf(stderr, "%s:%d: fuzz setup failed: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

/* An invariant of the code under test: a broken one is a finding. */
#define FUZZ_ASSERT(c) do { if (!(c)) {					\
	fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

static inline void
fuzz_logs(const char *progname)
{
	const char *e = getenv("HSMCA_FUZZ_LOG");
	int lvl = e != NULL ? log_level_parse(e) : -1;

	/* level -1: below LOG_EMERG, nothing passes */
	log_init(progname, lvl);
}

static inline int
fuzz_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* Remove a directory tree (nothing when HSMCA_KEEP_TMP is set). */
static inline void
fuzz_rmtree(const char *dir)
{
	if (dir != NULL && dir[0] != '\0' && getenv("HSMCA_KEEP_TMP") == NULL)
		nftw(dir, fuzz_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A fresh private directory (mode 0700) into buf: under $TMPDIR, else
 * /dev/shm (the store's durable commits cost nothing there), else /tmp.
 * The caller removes it at exit (fuzz_rmtree from an atexit handler).
 */
static inline void
fuzz_mkdtemp(char *buf, size_t len, const char *tag)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
	FUZZ_CHECK((size_t)snprintf(buf, len, "%s/hsmca-fuzz-%s.XXXXXX", base, tag) < len);
	FUZZ_CHECK(mkdtemp(buf) != NULL);
}

/* Write len bytes to path (created or truncated, mode 0600). 0 or -1. */
static inline int
fuzz_write_file(const char *path, const void *data, size_t len)
{
	const uint8_t *p = data;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd);
}

/* Write one seed file dir/name; for FuzzWriteSeeds. 0 or -1. */
static inline int
fuzz_seed(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    fuzz_write_file(path, data, len) != 0) {
		fprintf(stderr, "write %s/%s: %s\n", dir, name, strerror(errno));
		return -1;
	}
	return 0;
}

/* A NUL-terminated copy of the input (malloc'd), for text parsers. */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s != NULL) {
		if (size > 0)
			memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
