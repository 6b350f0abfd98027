/*
 * sign_cache.h - sign requests are idempotent, keyed by (CA key, serial).
 *
 * nanomsg's REQ socket resends an unanswered request after its resend
 * interval and at once when a peer reconnects, so one sign request may
 * arrive twice, even concurrently. The cache remembers, for the last
 * SIGN_CACHE_CAPACITY serials, a digest of the request and the certificate
 * it produced: the same request again gets the same certificate (for ECDSA
 * a second signature would make a second, different certificate with the
 * same serial); a different request for a serial already signed is refused.
 * A request arriving while the same serial is being signed waits for it.
 *
 * THREAD SAFETY: all functions may be called from any thread.
 */
#ifndef PCA_SIGN_CACHE_H
#define PCA_SIGN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SIGN_CACHE_CAPACITY	4096
#define SIGN_CACHE_DIGEST_LEN	32

struct sign_cache;

int sign_cache_new(struct sign_cache **out) PCA_MUST_CHECK;
void sign_cache_free(struct sign_cache *c);

/*
 * Claim (key_id, serial) for a request with digest d:
 *   0                  claimed: sign, then sign_cache_finish() (or _abort())
 *   PCA_ERR_EXISTS     already signed with this digest: *cert (malloc'd) is it
 *   PCA_ERR_POLICY     this serial was signed for a different request
 * A claim in progress with the same digest is waited for.
 */
int sign_cache_claim(struct sign_cache *c, const uint8_t *key_id, size_t key_id_len,
    const uint8_t *serial, size_t serial_len, const uint8_t d[SIGN_CACHE_DIGEST_LEN],
    uint8_t **cert, size_t *cert_len) PCA_MUST_CHECK;
void sign_cache_finish(struct sign_cache *c, const uint8_t *key_id, size_t key_id_len,
    const uint8_t *serial, size_t serial_len, const uint8_t *cert, size_t cert_len);
void sign_cache_abort(struct sign_cache *c, const uint8_t *key_id, size_t key_id_len,
    const uint8_t *serial, size_t serial_len);

#endif
