/*
 * envelope.h - signing and verifying native API requests (proto/api.proto).
 *
 * The canonical text of a request is
 *   "HSMCA-NATIVE-V1\n" service "\n" operation "\n" nonce "\n"
 *   session_token-or-empty "\n" hex(sha256(payload))
 * and it is signed exactly like a SigV4 canonical request: string to sign
 * with the request's timestamp, region and the service's signing name
 * (api_catalog), signing key derived from the secret (common/sigv4.h).
 */
#ifndef PCA_ENVELOPE_H
#define PCA_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "api.pb-c.h"
#include "err.h"
#include "sigv4.h"

#define API_PROTO_VERSION	1
#define ENVELOPE_NONCE_HEX_LEN	32
#define API_MAX_MESSAGE		(4u * 1024 * 1024)	/* bytes, both directions */

/*
 * Fill req->timestamp (from now), req->nonce (fresh random), req->region,
 * req->access_key_id, req->session_token (may be NULL) and req->signature.
 * req->service, ->operation and ->payload must be set. Strings placed in req
 * are malloc'd (free them with envelope_clear()).
 */
int envelope_sign(Pca__Api__Request *req, const char *access_key_id,
    const char *secret, const char *session_token, const char *region,
    const char *signing_name, int64_t now) PCA_MUST_CHECK;

/* Verify req->signature with secret (the key req->access_key_id names) and
 * the service's signing name: 0, or PCA_ERR_AUTH with why set. Does not
 * check the time window or the nonce (the door does, with its cache). */
int envelope_verify(const Pca__Api__Request *req, const char *secret,
    const char *signing_name, char *why, size_t whylen) PCA_MUST_CHECK;

/*
 * The same check with the signing key of the request's scope already
 * derived (a cache of keys, frontend/cred_cache.h): key must be
 * envelope_signing_key() of the secret for this request (same timestamp
 * date, region and signing name), or the signature does not verify.
 */
int envelope_verify_key(const Pca__Api__Request *req, const uint8_t key[SIGV4_KEY_LEN],
    const char *signing_name, char *why, size_t whylen) PCA_MUST_CHECK;

/* kSigning (common/sigv4.h) of secret for req's scope: the date of
 * req->timestamp, req->region and signing_name. PCA_ERR_INVALID when the
 * timestamp is not 16 characters or the region is missing (key zeroed). */
int envelope_signing_key(const Pca__Api__Request *req, const char *secret,
    const char *signing_name, uint8_t key[SIGV4_KEY_LEN]) PCA_MUST_CHECK;

/* Free what envelope_sign() allocated in req. */
void envelope_clear(Pca__Api__Request *req);

#endif
