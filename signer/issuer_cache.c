/*
 * issuer_cache.c - issuer certificates, parsed and checked once per CA key
 * (see issuer_cache.h).
 *
 * A small array searched linearly under one mutex: a signer serves a
 * handful of CAs, and the lock is held for a few comparisons, never while
 * a certificate is parsed (two threads missing on the same certificate at
 * once both parse it; the second to finish uses the first one's entry).
 */
#include "issuer_cache.h"
#include "log.h"
#include "spki.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

struct issuer_entry {
	uint8_t		 ca[SHA256_DIGEST_LENGTH];	/* of the CA key's SPKI */
	uint8_t		 cert[SHA256_DIGEST_LENGTH];	/* of the certificate's DER */
	X509		*x;				/* NULL: a free slot */
	uint64_t	 used;				/* tick of the last use */
};

struct issuer_cache {
	pthread_mutex_t		 lock;
	struct issuer_entry	*e;		/* lock */
	size_t			 cap;
	uint64_t		 tick;		/* lock */
	struct issuer_cache_stats stats;	/* lock */
};

int
issuer_cache_new(size_t capacity, struct issuer_cache **out)
{
	struct issuer_cache *c;

	*out = NULL;
	if (capacity == 0)
		return PCA_ERR_INVALID;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->e = calloc(capacity, sizeof(*c->e))) == NULL) {
		free(c);
		return PCA_ERR_NOMEM;
	}
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->e);
		free(c);
		return PCA_ERR_NOMEM;
	}
	c->cap = capacity;
	*out = c;
	return 0;
}

void
issuer_cache_free(struct issuer_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->cap; i++)
		X509_free(c->e[i].x);
	pthread_mutex_destroy(&c->lock);
	free(c->e);
	free(c);
}

/* One DER certificate, every byte used. */
static int
issuer_parse(const uint8_t *der, size_t len, X509 **out)
{
	const unsigned char *p = der;
	X509 *x;

	*out = NULL;
	if (der == NULL || len == 0 || len > LONG_MAX)
		return PCA_ERR_INVALID;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return PCA_ERR_INVALID;
	}
	if (p != der + len) {
		X509_free(x);
		return PCA_ERR_INVALID;
	}
	*out = x;
	return 0;
}

/* Parse and check der for the CA key: the work a miss does. */
static int
issuer_make(const uint8_t *ca_spki, size_t ca_spki_len, EVP_PKEY *ca_pub,
    const uint8_t *der, size_t der_len, X509 **out)
{
	X509 *x = NULL;
	int r;

	*out = NULL;
	if ((r = issuer_parse(der, der_len, &x)) != 0)
		return r;
	if (!spki_cert_has_key(x, ca_spki, ca_spki_len, ca_pub)) {
		X509_free(x);
		return PCA_ERR_POLICY;
	}
	/* fill OpenSSL's extension cache now, while x is ours alone; its
	 * verdict is policy.c's business */
	(void)X509_check_purpose(x, -1, 0);
	ERR_clear_error();
	*out = x;
	return 0;
}

static struct issuer_entry *
issuer_find_locked(struct issuer_cache *c, const uint8_t *ca, const uint8_t *cert)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->e[i].x != NULL &&
		    memcmp(c->e[i].cert, cert, SHA256_DIGEST_LENGTH) == 0 &&
		    memcmp(c->e[i].ca, ca, SHA256_DIGEST_LENGTH) == 0)
			return &c->e[i];
	return NULL;
}

/* A free slot, or the least recently used one emptied. */
static struct issuer_entry *
issuer_slot_locked(struct issuer_cache *c)
{
	struct issuer_entry *lru = &c->e[0];

	for (size_t i = 0; i < c->cap; i++) {
		if (c->e[i].x == NULL)
			return &c->e[i];
		if (c->e[i].used < lru->used)
			lru = &c->e[i];
	}
	X509_free(lru->x);		/* the cache's reference only */
	lru->x = NULL;
	c->stats.evictions++;
	c->stats.entries--;
	return lru;
}

int
issuer_cache_get(struct issuer_cache *c, const uint8_t *ca_spki, size_t ca_spki_len,
    EVP_PKEY *ca_pub, const uint8_t *der, size_t der_len, X509 **out)
{
	uint8_t ca[SHA256_DIGEST_LENGTH], cert[SHA256_DIGEST_LENGTH];
	struct issuer_entry *e;
	X509 *x = NULL;
	int r;

	*out = NULL;
	return_val_if_fail(ca_spki != NULL && ca_spki_len > 0, PCA_ERR_INTERNAL);
	if (c == NULL)
		return issuer_make(ca_spki, ca_spki_len, ca_pub, der, der_len, out);
	if (der == NULL || der_len == 0)
		return PCA_ERR_INVALID;
	if (SHA256(ca_spki, ca_spki_len, ca) == NULL || SHA256(der, der_len, cert) == NULL)
		return PCA_ERR_CRYPTO;

	pthread_mutex_lock(&c->lock);
	if ((e = issuer_find_locked(c, ca, cert)) != NULL && X509_up_ref(e->x) == 1) {
		e->used = ++c->tick;
		c->stats.hits++;
		*out = e->x;
	} else {
		c->stats.misses++;
	}
	pthread_mutex_unlock(&c->lock);
	if (*out != NULL)
		return 0;

	if ((r = issuer_make(ca_spki, ca_spki_len, ca_pub, der, der_len, &x)) != 0)
		return r;
	pthread_mutex_lock(&c->lock);
	if ((e = issuer_find_locked(c, ca, cert)) != NULL) {
		/* another thread made it meanwhile: one entry per pair */
		if (X509_up_ref(e->x) == 1) {
			X509_free(x);
			x = e->x;
		}
		e->used = ++c->tick;
	} else if (X509_up_ref(x) == 1) {
		e = issuer_slot_locked(c);
		memcpy(e->ca, ca, sizeof(e->ca));
		memcpy(e->cert, cert, sizeof(e->cert));
		e->x = x;			/* the cache's reference */
		e->used = ++c->tick;
		c->stats.entries++;
	}
	pthread_mutex_unlock(&c->lock);
	*out = x;				/* the caller's reference */
	return 0;
}

void
issuer_cache_stats(struct issuer_cache *c, struct issuer_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
