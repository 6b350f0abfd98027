#include "tags.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TAGS	50

static int
tag_text_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x80)
			continue;	/* UTF-8 letters of other scripts */
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(" _.:/=+-@", *p) != NULL)
			continue;
		return 0;
	}
	return 1;
}

int
tags_from_shapes(struct op_ctx *ctx, const Pca__Api__AcmPca__Tag *const *tags, size_t n,
    int need_value, struct store_tag **out, size_t *nout)
{
	struct store_tag *t;

	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	if (n > MAX_TAGS)
		return op_fail(ctx, EXC_TOO_MANY_TAGS, "At most %d tags are allowed.", MAX_TAGS);
	for (size_t i = 0; i < n; i++) {
		const char *k = tags[i]->key, *v = tags[i]->value;
		if (!tag_text_ok(k) || (v != NULL && !tag_text_ok(v)))
			return op_fail(ctx, EXC_INVALID_TAG, "Tag %.128s has characters outside "
			    "letters, digits, spaces and _ . : / = + - @", k);
		if (strncmp(k, "aws:", 4) == 0)
			return op_fail(ctx, EXC_INVALID_TAG, "Tag keys starting with \"aws:\" "
			    "are reserved.");
		for (size_t j = 0; j < i; j++)
			if (strcmp(tags[j]->key, k) == 0)
				return op_fail(ctx, EXC_INVALID_TAG, "Tag key %.128s appears "
				    "twice.", k);
	}
	if ((t = calloc(n, sizeof(*t))) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		t[i].key = tags[i]->key;
		t[i].value = tags[i]->value != NULL ? tags[i]->value : (need_value ? "" : NULL);
	}
	*out = t;
	*nout = n;
	return 0;
}

void
tags_free(struct store_tag *t, size_t n)
{
	(void)n;
	free(t);
}
