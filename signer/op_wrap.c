/*
 * op_wrap.c - wrap_data_key and unwrap_data_key: envelope encryption of
 * managed certificates' private keys (ARCHITECTURE.md "State").
 *
 * The frontend encrypts a leaf key under a data key and stores the data key
 * only as the token wrapped it. The wrapping is AES-256-GCM under the
 * token's wrapping key (hsm.h), in a blob that says how it was made:
 *
 *   offset  0  version, WRAP_V1
 *           1  wrapping key id, 4 bytes big-endian (HSM_WRAP_KEY_ID)
 *           5  IV, HSM_WRAP_IV_LEN bytes from the token's RNG
 *          17  ciphertext, as long as the data key
 *     len-16  GCM tag, HSM_WRAP_TAG_LEN bytes
 *
 * AAD = the 5 header bytes, then the caller's context (the certificate's
 * ARN, say). The header is fixed-size, so the concatenation is unambiguous;
 * it binds the version and key id, and the context binds the blob to the
 * record it was made for: a blob copied to another record does not open.
 *
 * The data key arrives in the request (wrap) or leaves in the answer
 * (unwrap); signer_handle() wipes both messages on free, and this file
 * keeps no other copy but the stack buffer wiped below.
 */
#include "signer.h"
#include "hsm.h"
#include "log.h"
#include "wipe.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRAP_V1		0x01
#define WRAP_HDR_LEN	5			/* version, key id */
#define WRAP_OVERHEAD	(WRAP_HDR_LEN + HSM_WRAP_IV_LEN + HSM_WRAP_TAG_LEN)
#define WRAP_LEN_MIN	(WRAP_OVERHEAD + SIGNER_DATA_KEY_MIN)
#define WRAP_LEN_MAX	(WRAP_OVERHEAD + SIGNER_DATA_KEY_MAX)

#if SIGNER_DATA_KEY_MAX > HSM_WRAP_DATA_MAX || \
    WRAP_HDR_LEN + SIGNER_WRAP_CONTEXT_MAX > HSM_WRAP_DATA_MAX
#error "data keys or contexts longer than hsm_wrap_* takes"
#endif

static int
context_ok(const ProtobufCBinaryData *ctx, char *why, size_t whylen)
{
	if (ctx->len > SIGNER_WRAP_CONTEXT_MAX) {
		snprintf(why, whylen, "context of %zu bytes, at most %d", ctx->len,
		    SIGNER_WRAP_CONTEXT_MAX);
		return 0;
	}
	return 1;
}

/* AAD: the header, then the context. aad holds WRAP_HDR_LEN +
 * SIGNER_WRAP_CONTEXT_MAX bytes. */
static size_t
aad_make(uint8_t *aad, const uint8_t hdr[WRAP_HDR_LEN], const ProtobufCBinaryData *ctx)
{
	memcpy(aad, hdr, WRAP_HDR_LEN);
	if (ctx->len > 0)
		memcpy(aad + WRAP_HDR_LEN, ctx->data, ctx->len);
	return WRAP_HDR_LEN + ctx->len;
}

/* The wrapping key's readiness, as an answer. */
static int
wrap_key_ready(struct signer_worker *w, int create, char *why, size_t whylen)
{
	int r;

	if ((r = hsm_wrap_key_ensure(w->sess, create)) == 0)
		return 0;
	if (r == PCA_ERR_NOT_FOUND)
		snprintf(why, whylen, "the token has no wrapping key %s", HSM_WRAP_KEY_LABEL);
	else if (r == PCA_ERR_TOKEN)
		snprintf(why, whylen, "the token's wrapping key %s is refused (see the "
		    "signer's log)", HSM_WRAP_KEY_LABEL);
	else
		snprintf(why, whylen, "wrapping key unavailable");
	return r;
}

int
op_wrap_data_key(struct signer_worker *w, const Pca__Signer__Request *req,
    Pca__Signer__Response *resp, char *why, size_t whylen)
{
	const Pca__Signer__WrapDataKeyRequest *g = req->wrap_data_key;
	Pca__Signer__WrapDataKeyResponse *out;
	uint8_t aad[WRAP_HDR_LEN + SIGNER_WRAP_CONTEXT_MAX], *blob;
	size_t len, aad_len;
	int r;

	if (g->data_key.len < SIGNER_DATA_KEY_MIN || g->data_key.len > SIGNER_DATA_KEY_MAX) {
		snprintf(why, whylen, "data key of %zu bytes, expected %d..%d",
		    g->data_key.len, SIGNER_DATA_KEY_MIN, SIGNER_DATA_KEY_MAX);
		return PCA_ERR_INVALID;
	}
	if (!context_ok(&g->context, why, whylen))
		return PCA_ERR_INVALID;
	if ((r = wrap_key_ready(w, 1, why, whylen)) != 0)
		return r;

	if ((out = malloc(sizeof(*out))) == NULL)
		return PCA_ERR_NOMEM;
	pca__signer__wrap_data_key_response__init(out);
	resp->body_case = PCA__SIGNER__RESPONSE__BODY_WRAP_DATA_KEY;
	resp->wrap_data_key = out;
	len = WRAP_OVERHEAD + g->data_key.len;
	if ((out->key_label = strdup(HSM_WRAP_KEY_LABEL)) == NULL ||
	    (out->wrapped.data = blob = malloc(len)) == NULL)
		return PCA_ERR_NOMEM;
	out->wrapped.len = len;
	blob[0] = WRAP_V1;
	blob[1] = (uint8_t)(HSM_WRAP_KEY_ID >> 24);
	blob[2] = (uint8_t)(HSM_WRAP_KEY_ID >> 16);
	blob[3] = (uint8_t)(HSM_WRAP_KEY_ID >> 8);
	blob[4] = (uint8_t)HSM_WRAP_KEY_ID;
	/* a fresh IV per call: GCM must never see one twice under a key */
	if ((r = hsm_random(w->sess, blob + WRAP_HDR_LEN, HSM_WRAP_IV_LEN)) != 0) {
		snprintf(why, whylen, "token RNG failed");
		return r;
	}
	aad_len = aad_make(aad, blob, &g->context);
	if ((r = hsm_wrap_encrypt(w->sess, blob + WRAP_HDR_LEN, aad, aad_len,
	    g->data_key.data, g->data_key.len, blob + WRAP_HDR_LEN + HSM_WRAP_IV_LEN)) != 0) {
		snprintf(why, whylen, "token encryption failed");
		return r;
	}
	log_debug("wrapped a %zu-byte data key under %s", g->data_key.len,
	    HSM_WRAP_KEY_LABEL);
	return 0;
}

int
op_unwrap_data_key(struct signer_worker *w, const Pca__Signer__Request *req,
    Pca__Signer__Response *resp, char *why, size_t whylen)
{
	const Pca__Signer__UnwrapDataKeyRequest *g = req->unwrap_data_key;
	Pca__Signer__UnwrapDataKeyResponse *out;
	const uint8_t *blob = g->wrapped.data;
	uint8_t aad[WRAP_HDR_LEN + SIGNER_WRAP_CONTEXT_MAX];
	uint8_t key[SIGNER_DATA_KEY_MAX];
	size_t aad_len, key_len = 0;
	uint32_t key_id;
	int r = PCA_ERR_INTERNAL;

	if (g->wrapped.len < WRAP_LEN_MIN || g->wrapped.len > WRAP_LEN_MAX) {
		snprintf(why, whylen, "wrapped data key of %zu bytes, expected %d..%d",
		    g->wrapped.len, WRAP_LEN_MIN, WRAP_LEN_MAX);
		return PCA_ERR_MALFORMED;
	}
	if (blob[0] != WRAP_V1) {
		snprintf(why, whylen, "wrapped data key of version %u, expected %u",
		    (unsigned)blob[0], (unsigned)WRAP_V1);
		return PCA_ERR_MALFORMED;
	}
	key_id = (uint32_t)blob[1] << 24 | (uint32_t)blob[2] << 16 |
	    (uint32_t)blob[3] << 8 | blob[4];
	if (key_id != (uint32_t)HSM_WRAP_KEY_ID) {
		snprintf(why, whylen, "wrapped under key %u; this signer has %u",
		    (unsigned)key_id, (unsigned)HSM_WRAP_KEY_ID);
		return PCA_ERR_NOT_FOUND;
	}
	if (!context_ok(&g->context, why, whylen))
		return PCA_ERR_INVALID;
	if ((r = wrap_key_ready(w, 0, why, whylen)) != 0)
		return r;

	key_len = g->wrapped.len - WRAP_OVERHEAD;
	aad_len = aad_make(aad, blob, &g->context);
	r = hsm_wrap_decrypt(w->sess, blob + WRAP_HDR_LEN, aad, aad_len,
	    blob + WRAP_HDR_LEN + HSM_WRAP_IV_LEN, key_len + HSM_WRAP_TAG_LEN, key);
	if (r == PCA_ERR_BAD_SIGNATURE) {
		/* never say which: the context, the key or a changed byte */
		snprintf(why, whylen, "the wrapped data key does not open with this context");
		goto out;
	}
	if (r != 0) {
		snprintf(why, whylen, "token decryption failed");
		goto out;
	}
	if ((out = malloc(sizeof(*out))) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	pca__signer__unwrap_data_key_response__init(out);
	resp->body_case = PCA__SIGNER__RESPONSE__BODY_UNWRAP_DATA_KEY;
	resp->unwrap_data_key = out;
	/* the one copy that leaves: wiped with the answer (signer_handle) */
	if ((out->data_key.data = malloc(key_len)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	memcpy(out->data_key.data, key, key_len);
	out->data_key.len = key_len;
	r = 0;
 out:
	explicit_bzero(key, sizeof(key));
	return r;
}
