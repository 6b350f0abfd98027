/*
 * utf8.h - strict UTF-8 validation (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).
 */
#ifndef PCA_UTF8_H
#define PCA_UTF8_H

#include <stddef.h>

/* 1 when the n bytes at p are valid UTF-8 (*ncp, if not NULL, gets the
 * number of code points), 0 otherwise. */
int utf8_valid(const char *p, size_t n, size_t *ncp);

#endif
