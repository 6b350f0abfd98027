/*
 * acmpca_tags.c - TagCertificateAuthority, UntagCertificateAuthority, ListTags.
 */
#include "acmpca.h"
#include "log.h"
#include "ops.h"
#include "tags.h"

#include <stdlib.h>
#include <string.h>

#define TAGS_PAGE_MAX	50

/* Tags can change while the CA exists, deleted or not (AWS allows it). */
int
acmpca_tag_certificate_authority(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__TagCertificateAuthorityRequest *in = (const void *)in_;
	struct store_ca ca;
	struct store_tag *t = NULL;
	size_t n = 0;
	int r, rc = -1;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (tags_from_shapes(ctx, (const Pca__Api__AcmPca__Tag *const *)in->tags, in->n_tags,
	    1, &t, &n) != 0)
		goto out;
	r = store_tags_put(ctx->fe->store, ca.id, t, n, CA_MAX_TAGS);
	if (r == PCA_ERR_TOO_LARGE) {
		rc = op_fail(ctx, EXC_TOO_MANY_TAGS, "A certificate authority can have at most "
		    "%d tags.", CA_MAX_TAGS);
		goto out;
	}
	if (r != 0) {
		rc = fail_store(ctx, r, "tags");
		goto out;
	}
	if ((*out_ = msg_new(&pca__api__acm_pca__empty__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	tags_free(t, n);
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_untag_certificate_authority(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__UntagCertificateAuthorityRequest *in = (const void *)in_;
	struct store_ca ca;
	struct store_tag *t = NULL;
	size_t n = 0;
	int r, rc = -1;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (tags_from_shapes(ctx, (const Pca__Api__AcmPca__Tag *const *)in->tags, in->n_tags,
	    0, &t, &n) != 0)
		goto out;
	if ((r = store_tags_remove(ctx->fe->store, ca.id, t, n)) != 0) {
		rc = fail_store(ctx, r, "tags");
		goto out;
	}
	if ((*out_ = msg_new(&pca__api__acm_pca__empty__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	tags_free(t, n);
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_list_tags(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__ListTagsRequest *in = (const void *)in_;
	Pca__Api__AcmPca__ListTagsResponse *out = NULL;
	struct store_ca ca;
	struct store_tag *t = NULL;
	size_t n = 0, limit = TAGS_PAGE_MAX;
	int r, rc = -1;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (in->has_max_results && (size_t)in->max_results < limit)
		limit = (size_t)in->max_results;
	if ((r = store_tags_list(ctx->fe->store, ca.id, in->next_token, limit + 1, &t, &n)) != 0) {
		rc = fail_store(ctx, r, "tags");
		goto out;
	}
	if ((out = (void *)msg_new(&pca__api__acm_pca__list_tags_response__descriptor)) == NULL ||
	    (out->tags = calloc(n > 0 ? n : 1, sizeof(*out->tags))) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && i < limit; i++) {
		Pca__Api__AcmPca__Tag *tag = (void *)msg_new(&pca__api__acm_pca__tag__descriptor);
		if (tag == NULL) {
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
		out->tags[out->n_tags++] = tag;
		tag->key = xstrdup(t[i].key);
		tag->value = xstrdup(t[i].value);
	}
	if (n > limit)
		out->next_token = xstrdup(t[limit - 1].key);
	*out_ = &out->base;
	out = NULL;
	rc = 0;
 out:
	if (out != NULL)
		protobuf_c_message_free_unpacked(&out->base, NULL);
	store_tags_free(t, n);
	store_ca_clear(&ca);
	return rc;
}
