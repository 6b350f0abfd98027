/*
 * tags.h - checking tags given by clients (acm-pca Tag shapes).
 *
 * Keys 1..128 and values 0..256 characters (the codec's rules) of letters,
 * digits, spaces and _ . : / = + - @ (any non-ASCII letter is taken as a
 * letter); keys starting with "aws:" are reserved. Invalid tags fail the
 * request with InvalidTagException; more than 50 with TooManyTagsException.
 */
#ifndef PCA_TAGS_H
#define PCA_TAGS_H

#include <stddef.h>

#include "acm_pca.pb-c.h"
#include "frontend.h"
#include "store.h"

/* Convert shapes to store tags (*out borrows the strings of tags).
 * need_value: tags to set (a missing value is ""); removal tags keep NULL. */
int tags_from_shapes(struct op_ctx *ctx, const Pca__Api__AcmPca__Tag *const *tags, size_t n,
    int need_value, struct store_tag **out, size_t *nout);
/* Free an array made by tags_from_shapes (not the borrowed strings). */
void tags_free(struct store_tag *t, size_t n);

#endif
