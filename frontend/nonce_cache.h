/*
 * nonce_cache.h - refuses replayed request nonces.
 *
 * A nonce is remembered, keyed by (access key id, nonce), until its request
 * timestamp falls out of the +-5 minute signature window, so a request
 * replayed within the window is refused and one replayed later is refused
 * by the window itself. Memory is bounded by the request rate times the
 * window (~6 minutes), at most max_entries entries of 32 bytes (entry and
 * hash bucket); entries are purged as time passes (amortized, no thread).
 *
 * THREAD SAFETY: all functions may be called from any thread.
 */
#ifndef PCA_NONCE_CACHE_H
#define PCA_NONCE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct nonce_cache;

int nonce_cache_new(size_t max_entries, struct nonce_cache **out) PCA_MUST_CHECK;
void nonce_cache_free(struct nonce_cache *nc);

/*
 * Record (key_id, nonce) seen with request time ts at real time now.
 * 0 if new; PCA_ERR_EXISTS if already seen (a replay); PCA_ERR_TOO_LARGE
 * when the cache is full of live entries (the caller refuses the request
 * as throttled rather than forgetting nonces).
 */
int nonce_cache_check_and_add(struct nonce_cache *nc, const char *key_id,
    const char *nonce, int64_t ts, int64_t now) PCA_MUST_CHECK;
size_t nonce_cache_size(struct nonce_cache *nc);
/* Bytes the cache holds now (its pool keeps its high-water mark). */
size_t nonce_cache_bytes(struct nonce_cache *nc);

#endif
