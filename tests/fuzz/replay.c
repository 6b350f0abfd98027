/*
 * replay.c - runs a fuzz target over its corpus without libFuzzer, so that
 * ctest replays every seed and regression input on every build (normal and
 * ASan/UBSan):
 *
 *	<target> DIR|FILE...		every regular file of each DIR (sorted by
 *					name, not recursive) and each FILE
 *	<target> --write-seeds DIR	targets that define FuzzWriteSeeds()
 *					(re)write their seed corpus into DIR
 *
 * Each input is read into a buffer of exactly its size (so ASan sees reads
 * past its end) and handed to LLVMFuzzerTestOneInput. A crash or a
 * sanitizer report ends the process and fails the test; otherwise the
 * number of inputs run is printed and the exit status is 0. A missing or
 * empty corpus directory is an error: a corpus that was forgotten or not
 * installed must not pass as "nothing to replay".
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* optional hooks: libFuzzer's initializer, and our seed writer */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int FuzzWriteSeeds(const char *dir) __attribute__((weak));

static const char *gl_prog = "replay";

static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *buf;
	struct stat st;
	size_t len, n;
	int rc;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "%s: %s: %s\n", gl_prog, path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	len = (size_t)st.st_size;
	/* malloc(0) may be NULL; an empty input still gets a valid pointer */
	if ((buf = malloc(len > 0 ? len : 1)) == NULL) {
		fprintf(stderr, "%s: %s: out of memory (%zu bytes)\n", gl_prog, path, len);
		fclose(f);
		return -1;
	}
	n = len > 0 ? fread(buf, 1, len, f) : 0;
	fclose(f);
	if (n != len) {
		fprintf(stderr, "%s: %s: short read (%zu of %zu bytes)\n", gl_prog, path, n, len);
		free(buf);
		return -1;
	}
	rc = LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	if (rc != 0 && rc != -1) {
		/* libFuzzer allows 0, and -1 to keep an input out of the corpus */
		fprintf(stderr, "%s: %s: LLVMFuzzerTestOneInput returned %d\n", gl_prog, path, rc);
		return -1;
	}
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Run every regular file of dir; the number run, or -1. */
static long
run_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;
	long ran = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: corpus directory %s: %s\n", gl_prog, dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));
			if (nn == NULL)
				goto nomem;
			names = nn;
		}
		if ((names[n] = strdup(e->d_name)) == NULL)
			goto nomem;
		n++;
	}
	closedir(d);
	d = NULL;
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
			fprintf(stderr, "%s: %s/%s: path too long\n", gl_prog, dir, names[i]);
			ran = -1;
			break;
		}
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (run_file(path) != 0) {
			ran = -1;
			break;
		}
		ran++;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ran == 0) {
		fprintf(stderr, "%s: corpus directory %s has no input files: a fuzz target "
		    "needs a seed corpus (tests/fuzz/corpus/<parser>/)\n", gl_prog, dir);
		return -1;
	}
	return ran;
 nomem:
	fprintf(stderr, "%s: %s: out of memory\n", gl_prog, dir);
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return -1;
}

int
main(int argc, char **argv)
{
	struct stat st;
	long total = 0, ran;

	if (argc > 0 && argv[0] != NULL) {
		const char *slash = strrchr(argv[0], '/');
		gl_prog = slash != NULL ? slash + 1 : argv[0];
	}
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
		if (FuzzWriteSeeds == NULL) {
			fprintf(stderr, "%s: this target writes no seeds; its corpus is "
			    "made otherwise (see tests/fuzz/README)\n", gl_prog);
			return 2;
		}
		if (FuzzWriteSeeds(argv[2]) != 0) {
			fprintf(stderr, "%s: writing seeds into %s failed\n", gl_prog, argv[2]);
			return 1;
		}
		printf("%s: seeds written into %s\n", gl_prog, argv[2]);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s CORPUS-DIR|INPUT-FILE...\n"
		    "       %s --write-seeds DIR\n", gl_prog, gl_prog);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s: %s (a missing corpus fails the test)\n",
			    gl_prog, argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode))
			ran = run_dir(argv[i]);
		else
			ran = run_file(argv[i]) == 0 ? 1 : -1;
		if (ran < 0)
			return 1;
		total += ran;
	}
	printf("%s: %ld inputs replayed without a crash\n", gl_prog, total);
	return 0;
}
