/*
 * issuer_cache.h - issuer certificates, parsed and checked once per CA key.
 *
 * Every sign_cert request under an issuer carries that issuer's certificate,
 * and parsing it costs an OpenSSL 3.0 public key decode (~150 us, serialized
 * process-wide) although a CA sends the same bytes with every request. The
 * cache keeps the parsed certificate per (CA key, certificate): the CA key
 * by the SHA-256 of its DER SubjectPublicKeyInfo (so a key made again under
 * an old id never meets an entry checked against its predecessor), the
 * certificate by the SHA-256 of its DER.
 *
 * An entry is made only for a certificate that decodes with every byte
 * used and whose public key is the CA key; that check runs once, when the
 * entry is made (SPKI bytes compared; OpenSSL compares the keys only when
 * the bytes differ). Its extensions are cached (X509_check_purpose) before
 * it is shared, so later users only read it. Nothing is remembered about
 * certificates that were refused. At most `capacity` entries: the least
 * recently used one makes room.
 *
 * THREAD SAFETY: every function may be called from any thread. A
 * certificate handed out is the caller's own reference (X509_free it): an
 * entry evicted meanwhile stays valid for whoever holds it. Nobody may
 * change a certificate taken from the cache.
 */
#ifndef PCA_ISSUER_CACHE_H
#define PCA_ISSUER_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

#define ISSUER_CACHE_CAPACITY	64	/* a few issuer certificates per CA key */

struct issuer_cache;

struct issuer_cache_stats {
	uint64_t	 hits;
	uint64_t	 misses;	/* parsed (and cached unless refused) */
	uint64_t	 evictions;
	size_t		 entries;
};

/* capacity >= 1 entries; PCA_ERR_INVALID for 0. */
int issuer_cache_new(size_t capacity, struct issuer_cache **out) PCA_MUST_CHECK;
/* Drops the cache's references; certificates handed out stay valid. */
void issuer_cache_free(struct issuer_cache *c);

/*
 * The issuer certificate der[0..der_len) parsed, for signing with the CA
 * key whose DER SubjectPublicKeyInfo is ca_spki and whose public key is
 * ca_pub. 0 and *out (a new reference), or
 *   PCA_ERR_INVALID   der is not one DER certificate (bytes trail, say)
 *   PCA_ERR_POLICY    the certificate's public key is not the CA key
 *   PCA_ERR_NOMEM
 * c NULL parses and checks without caching.
 */
int issuer_cache_get(struct issuer_cache *c, const uint8_t *ca_spki, size_t ca_spki_len,
    EVP_PKEY *ca_pub, const uint8_t *der, size_t der_len, X509 **out) PCA_MUST_CHECK;

void issuer_cache_stats(struct issuer_cache *c, struct issuer_cache_stats *out);

#endif
