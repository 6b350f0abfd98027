/*
 * op_key.c - requests about CA keys and the token itself: health,
 * generate_key, get_public_key, destroy_key, random.
 */
#include "signer.h"
#include "hsm.h"
#include "log.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RANDOM_MAX	4096

static int
key_id_ok(const ProtobufCBinaryData *id, char *why, size_t whylen)
{
	if (id->len != HSM_KEY_ID_LEN) {
		snprintf(why, whylen, "key id of %zu bytes, expected %d", id->len, HSM_KEY_ID_LEN);
		return 0;
	}
	return 1;
}

/* A copy of the key's SPKI (encoded once, when the key was found). */
static int
spki_of(const struct hsm_key *k, ProtobufCBinaryData *out)
{
	const uint8_t *spki;
	size_t len = 0;

	spki = hsm_key_spki(k, &len);
	if ((out->data = malloc(len > 0 ? len : 1)) == NULL)
		return PCA_ERR_NOMEM;
	memcpy(out->data, spki, len);
	out->len = len;
	return 0;
}

int
op_health(struct signer_worker *w, const Pca__Signer__Request *req,
    Pca__Signer__Response *resp, char *why, size_t whylen)
{
	Pca__Signer__HealthResponse *h;

	(void)req; (void)why; (void)whylen;
	if ((h = malloc(sizeof(*h))) == NULL)
		return PCA_ERR_NOMEM;
	pca__signer__health_response__init(h);
	h->token_label = strdup(hsm_token_label(w->signer->hsm));
	h->keys = (uint32_t)hsm_key_count(w->signer->hsm);
	h->workers = w->signer->nworkers;
	h->token_ok = hsm_is_up(w->signer->hsm) != 0;
	resp->body_case = PCA__SIGNER__RESPONSE__BODY_HEALTH;
	resp->health = h;
	return h->token_label != NULL ? 0 : PCA_ERR_NOMEM;
}

int
op_generate_key(struct signer_worker *w, const Pca__Signer__Request *req,
    Pca__Signer__Response *resp, char *why, size_t whylen)
{
	const Pca__Signer__GenerateKeyRequest *g = req->generate_key;
	Pca__Signer__GenerateKeyResponse *out = NULL;
	const struct hsm_key *k = NULL;
	int r;

	if (!key_id_ok(&g->key_id, why, whylen))
		return PCA_ERR_INVALID;
	if ((r = policy_check_keygen(w->signer->policy, (enum hsm_key_alg)g->alg,
	    why, whylen)) != 0)
		return r;
	if ((r = hsm_key_generate(w->sess, g->key_id.data, (enum hsm_key_alg)g->alg, &k)) != 0) {
		snprintf(why, whylen, "key generation failed");
		return r;
	}
	if ((out = malloc(sizeof(*out))) == NULL)
		return PCA_ERR_NOMEM;
	pca__signer__generate_key_response__init(out);
	resp->body_case = PCA__SIGNER__RESPONSE__BODY_GENERATE_KEY;
	resp->generate_key = out;
	log_info("generated key alg=%d keys=%zu", (int)g->alg, hsm_key_count(w->signer->hsm));
	return spki_of(k, &out->public_key);
}

int
op_get_public_key(struct signer_worker *w, const Pca__Signer__Request *req,
    Pca__Signer__Response *resp, char *why, size_t whylen)
{
	const Pca__Signer__GetPublicKeyRequest *g = req->get_public_key;
	Pca__Signer__GetPublicKeyResponse *out;
	const struct hsm_key *k;

	if (!key_id_ok(&g->key_id, why, whylen))
		return PCA_ERR_INVALID;
	if ((k = hsm_key_find(w->signer->hsm, g->key_id.data)) == NULL) {
		snprintf(why, whylen, "no such key");
		return PCA_ERR_NOT_FOUND;
	}
	if ((out = malloc(sizeof(*out))) == NULL)
		return PCA_ERR_NOMEM;
	pca__signer__get_public_key_response__init(out);
	out->alg = (Pca__Signer__KeyAlg)hsm_key_alg(k);
	resp->body_case = PCA__SIGNER__RESPONSE__BODY_GET_PUBLIC_KEY;
	resp->get_public_key = out;
	return spki_of(k, &out->public_key);
}

int
op_destroy_key(struct signer_worker *w, const Pca__Signer__Request *req,
    Pca__Signer__Response *resp, char *why, size_t whylen)
{
	const Pca__Signer__DestroyKeyRequest *d = req->destroy_key;
	Pca__Signer__DestroyKeyResponse *out;
	int r;

	if (!key_id_ok(&d->key_id, why, whylen))
		return PCA_ERR_INVALID;
	if ((r = hsm_key_destroy(w->sess, d->key_id.data)) != 0) {
		snprintf(why, whylen, "key destruction failed");
		return r;
	}
	if ((out = malloc(sizeof(*out))) == NULL)
		return PCA_ERR_NOMEM;
	pca__signer__destroy_key_response__init(out);
	resp->body_case = PCA__SIGNER__RESPONSE__BODY_DESTROY_KEY;
	resp->destroy_key = out;
	log_info("destroyed key keys=%zu", hsm_key_count(w->signer->hsm));
	return 0;
}

int
op_random(struct signer_worker *w, const Pca__Signer__Request *req,
    Pca__Signer__Response *resp, char *why, size_t whylen)
{
	const Pca__Signer__RandomRequest *g = req->random;
	Pca__Signer__RandomResponse *out;
	int r;

	if (g->length == 0 || g->length > RANDOM_MAX) {
		snprintf(why, whylen, "length %u outside 1..%d", g->length, RANDOM_MAX);
		return PCA_ERR_INVALID;
	}
	if ((out = malloc(sizeof(*out))) == NULL)
		return PCA_ERR_NOMEM;
	pca__signer__random_response__init(out);
	resp->body_case = PCA__SIGNER__RESPONSE__BODY_RANDOM;
	resp->random = out;
	if ((out->data.data = malloc(g->length)) == NULL)
		return PCA_ERR_NOMEM;
	out->data.len = g->length;
	if ((r = hsm_random(w->sess, out->data.data, g->length)) != 0)
		snprintf(why, whylen, "token RNG failed");
	return r;
}
