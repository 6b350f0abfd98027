/*
 * op_sign.c - the two requests that use a CA key: sign_csr (the CA's own
 * CSR) and sign_cert. Both build what they sign (tbs.c), check it against
 * the signer's policy first, sign with the token and verify the signature
 * with the CA's public key before answering.
 */
#include "signer.h"
#include "clock.h"
#include "hsm.h"
#include "issuer_cache.h"
#include "log.h"
#include "policy.h"
#include "sign_cache.h"
#include "spki.h"
#include "tbs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <openssl/x509.h>

/*
 * Sign tbs with key k under sig_alg and assemble the signed object.
 * *out malloc'd.
 */
static int
sign_and_assemble(struct signer_worker *w, const struct hsm_key *k,
    Pca__Signer__SigAlg sig_alg, const uint8_t *tbs, size_t tbs_len,
    uint8_t **out, size_t *out_len, char *why, size_t whylen)
{
	uint8_t *alg = NULL, *sig = NULL;
	size_t alg_len = 0, sig_len = 0;
	int md_nid = 0, r;

	*out = NULL;
	if ((r = tbs_sig_alg(sig_alg, hsm_key_public(k), &alg, &alg_len, &md_nid)) != 0) {
		snprintf(why, whylen, "signing algorithm does not fit the CA key");
		goto out;
	}
	if ((r = hsm_sign(w->sess, k, md_nid, tbs, tbs_len, &sig, &sig_len)) != 0) {
		snprintf(why, whylen, "token signing failed");
		goto out;
	}
	if ((r = tbs_assemble(tbs, tbs_len, alg, alg_len, sig, sig_len,
	    hsm_key_public(k), out, out_len)) != 0) {
		/* never answer with a signature that does not verify */
		snprintf(why, whylen, "signature check after signing failed");
		goto out;
	}
 out:
	free(alg);
	free(sig);
	return r;
}

/* Refuse a signing algorithm of the other key family with its own words. */
static int
sig_alg_fits(const struct hsm_key *k, Pca__Signer__SigAlg sig_alg, char *why, size_t whylen)
{
	uint8_t *alg = NULL;
	size_t alg_len = 0;
	int md_nid = 0, r;

	r = tbs_sig_alg(sig_alg, hsm_key_public(k), &alg, &alg_len, &md_nid);
	free(alg);
	if (r != 0)
		snprintf(why, whylen, "signing algorithm %d does not fit the CA key", (int)sig_alg);
	return r;
}

int
op_sign_csr(struct signer_worker *w, const Pca__Signer__Request *req,
    Pca__Signer__Response *resp, char *why, size_t whylen)
{
	const Pca__Signer__SignCsrRequest *c = req->sign_csr;
	Pca__Signer__SignCsrResponse *out = NULL;
	const struct hsm_key *k;
	uint8_t *tbs = NULL, *csr = NULL;
	size_t tbs_len = 0, csr_len = 0;
	int r;

	if (c->key_id.len != HSM_KEY_ID_LEN ||
	    (k = hsm_key_find(w->signer->hsm, c->key_id.data)) == NULL) {
		snprintf(why, whylen, "no such key");
		return PCA_ERR_NOT_FOUND;
	}
	if ((r = policy_check_csr(w->signer->policy, c, why, whylen)) != 0 ||
	    (r = sig_alg_fits(k, c->sig_alg, why, whylen)) != 0)
		goto out;
	if ((r = tbs_csr_build(c, hsm_key_public(k), &tbs, &tbs_len)) != 0) {
		snprintf(why, whylen, "CSR fields do not encode");
		goto out;
	}
	if ((r = sign_and_assemble(w, k, c->sig_alg, tbs, tbs_len, &csr, &csr_len,
	    why, whylen)) != 0)
		goto out;
	if ((out = malloc(sizeof(*out))) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	pca__signer__sign_csr_response__init(out);
	out->csr.data = csr;
	out->csr.len = csr_len;
	csr = NULL;
	resp->body_case = PCA__SIGNER__RESPONSE__BODY_SIGN_CSR;
	resp->sign_csr = out;
	r = 0;
 out:
	free(tbs);
	free(csr);
	return r;
}

/* SHA-256 of the packed request: what makes two sign requests "the same". */
static int
request_digest(const Pca__Signer__SignCertRequest *c, uint8_t d[SIGN_CACHE_DIGEST_LEN])
{
	size_t len = pca__signer__sign_cert_request__get_packed_size(c);
	uint8_t *buf;

	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return PCA_ERR_NOMEM;
	pca__signer__sign_cert_request__pack(c, buf);
	SHA256(buf, len, d);
	free(buf);
	return 0;
}

int
op_sign_cert(struct signer_worker *w, const Pca__Signer__Request *req,
    Pca__Signer__Response *resp, char *why, size_t whylen)
{
	const Pca__Signer__SignCertRequest *c = req->sign_cert;
	Pca__Signer__SignCertResponse *out = NULL;
	const struct hsm_key *k;
	struct tbs_signer ca;
	struct spki subject;
	X509 *issuer = NULL;
	uint8_t d[SIGN_CACHE_DIGEST_LEN], *tbs = NULL, *cert = NULL;
	size_t tbs_len = 0, cert_len = 0;
	int r, claimed = 0;

	if (c->key_id.len != HSM_KEY_ID_LEN ||
	    (k = hsm_key_find(w->signer->hsm, c->key_id.data)) == NULL) {
		snprintf(why, whylen, "no such key");
		return PCA_ERR_NOT_FOUND;
	}
	ca.pub = hsm_key_public(k);
	ca.spki = hsm_key_spki(k, &ca.spki_len);
	/* read once here, for policy and the TBS alike */
	spki_read(&subject, c->subject_public_key.data, c->subject_public_key.len);
	if (c->has_issuer_certificate) {
		r = issuer_cache_get(w->signer->issuers, ca.spki, ca.spki_len, ca.pub,
		    c->issuer_certificate.data, c->issuer_certificate.len, &issuer);
		if (r == PCA_ERR_INVALID)
			snprintf(why, whylen, "issuer certificate does not decode");
		else if (r == PCA_ERR_POLICY)
			snprintf(why, whylen, "issuer certificate does not carry this CA key");
		if (r != 0)
			goto out;
	}
	if ((r = policy_check_cert(w->signer->policy, c, &subject, issuer, clock_now(),
	    why, whylen)) != 0 ||
	    (r = sig_alg_fits(k, c->sig_alg, why, whylen)) != 0)
		goto out;
	if ((r = request_digest(c, d)) != 0)
		goto out;
	r = sign_cache_claim(w->signer->cache, c->key_id.data, c->key_id.len,
	    c->serial.data, c->serial.len, d, &cert, &cert_len);
	if (r == PCA_ERR_EXISTS) {
		log_info("serial already signed for this request: same certificate again");
	} else if (r == PCA_ERR_POLICY) {
		snprintf(why, whylen, "serial already signed for a different request");
		goto out;
	} else if (r != 0) {
		snprintf(why, whylen, "sign cache full of requests in progress");
		goto out;
	} else {
		claimed = 1;
		if ((r = tbs_cert_build(c, &ca, &subject, issuer, &tbs, &tbs_len)) != 0) {
			if (why[0] == '\0')
				snprintf(why, whylen, "certificate fields do not encode");
			goto out;
		}
		if ((r = sign_and_assemble(w, k, c->sig_alg, tbs, tbs_len, &cert, &cert_len,
		    why, whylen)) != 0)
			goto out;
		sign_cache_finish(w->signer->cache, c->key_id.data, c->key_id.len,
		    c->serial.data, c->serial.len, cert, cert_len);
		claimed = 0;
	}
	if ((out = malloc(sizeof(*out))) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	pca__signer__sign_cert_response__init(out);
	out->certificate.data = cert;
	out->certificate.len = cert_len;
	cert = NULL;
	resp->body_case = PCA__SIGNER__RESPONSE__BODY_SIGN_CERT;
	resp->sign_cert = out;
	r = 0;
 out:
	if (claimed)
		sign_cache_abort(w->signer->cache, c->key_id.data, c->key_id.len,
		    c->serial.data, c->serial.len);
	spki_clear(&subject);
	X509_free(issuer);
	free(tbs);
	free(cert);
	return r;
}
