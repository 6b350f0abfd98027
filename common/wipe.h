/*
 * wipe.h - secrets hygiene.
 *
 * wipe() clears memory in a way the compiler may not remove. free_wiped()
 * wipes then frees; str_free_wiped() does so for a NUL-terminated string.
 * All three accept NULL.
 */
#ifndef PCA_WIPE_H
#define PCA_WIPE_H

#include <stddef.h>

void wipe(void *p, size_t len);
void free_wiped(void *p, size_t len);
void str_free_wiped(char *s);

#endif
