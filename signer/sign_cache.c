#include "sign_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define KEY_MAX		64			/* key id (16) + serial (<= 20) */
#define NBUCKETS	(SIGN_CACHE_CAPACITY * 2)

enum entry_state { ENTRY_FREE = 0, ENTRY_SIGNING, ENTRY_DONE };

struct entry {
	enum entry_state state;
	uint8_t		 key[KEY_MAX];
	size_t		 key_len;
	uint8_t		 digest[SIGN_CACHE_DIGEST_LEN];
	uint8_t		*cert;
	size_t		 cert_len;
	struct entry	*next;		/* bucket chain */
};

struct sign_cache {
	pthread_mutex_t	 mu;
	pthread_cond_t	 done;		/* broadcast when a SIGNING entry settles */
	struct entry	 ring[SIGN_CACHE_CAPACITY];	/* FIFO: oldest goes first */
	size_t		 next_slot;
	struct entry	*buckets[NBUCKETS];
};

static size_t
make_key(uint8_t out[KEY_MAX], const uint8_t *kid, size_t kid_len,
    const uint8_t *serial, size_t serial_len)
{
	if (kid_len > 32 || serial_len > 31)
		return 0;
	out[0] = (uint8_t)kid_len;
	memcpy(out + 1, kid, kid_len);
	memcpy(out + 1 + kid_len, serial, serial_len);
	return 1 + kid_len + serial_len;
}

static size_t
bucket_of(const uint8_t *k, size_t len)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a: the serials are random */

	for (size_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return (size_t)(h % NBUCKETS);
}

static struct entry *
lookup(struct sign_cache *c, const uint8_t *k, size_t len)
{
	for (struct entry *e = c->buckets[bucket_of(k, len)]; e != NULL; e = e->next)
		if (e->key_len == len && memcmp(e->key, k, len) == 0)
			return e;
	return NULL;
}

static void
unlink_entry(struct sign_cache *c, struct entry *e)
{
	struct entry **pp = &c->buckets[bucket_of(e->key, e->key_len)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->next;
	if (*pp == e)
		*pp = e->next;
	free(e->cert);
	memset(e, 0, sizeof(*e));
}

int
sign_cache_new(struct sign_cache **out)
{
	struct sign_cache *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PCA_ERR_NOMEM;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->done, NULL);
	*out = c;
	return 0;
}

void
sign_cache_free(struct sign_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < SIGN_CACHE_CAPACITY; i++)
		free(c->ring[i].cert);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->done);
	free(c);
}

int
sign_cache_claim(struct sign_cache *c, const uint8_t *kid, size_t kid_len,
    const uint8_t *serial, size_t serial_len, const uint8_t d[SIGN_CACHE_DIGEST_LEN],
    uint8_t **cert, size_t *cert_len)
{
	uint8_t k[KEY_MAX];
	size_t klen;
	struct entry *e, *slot;
	int r;

	*cert = NULL;
	*cert_len = 0;
	if ((klen = make_key(k, kid, kid_len, serial, serial_len)) == 0)
		return PCA_ERR_INVALID;
	pthread_mutex_lock(&c->mu);
	while ((e = lookup(c, k, klen)) != NULL && e->state == ENTRY_SIGNING) {
		if (CRYPTO_memcmp(e->digest, d, SIGN_CACHE_DIGEST_LEN) != 0) {
			r = PCA_ERR_POLICY;
			goto out;
		}
		pthread_cond_wait(&c->done, &c->mu);
	}
	if (e != NULL) {
		if (CRYPTO_memcmp(e->digest, d, SIGN_CACHE_DIGEST_LEN) != 0) {
			r = PCA_ERR_POLICY;
			goto out;
		}
		if ((*cert = malloc(e->cert_len)) == NULL) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		memcpy(*cert, e->cert, e->cert_len);
		*cert_len = e->cert_len;
		r = PCA_ERR_EXISTS;
		goto out;
	}
	/* take the oldest slot; one still being signed is not evicted */
	slot = &c->ring[c->next_slot];
	if (slot->state == ENTRY_SIGNING) {
		r = PCA_ERR_UNAVAILABLE;
		goto out;
	}
	if (slot->state == ENTRY_DONE)
		unlink_entry(c, slot);
	c->next_slot = (c->next_slot + 1) % SIGN_CACHE_CAPACITY;
	slot->state = ENTRY_SIGNING;
	memcpy(slot->key, k, klen);
	slot->key_len = klen;
	memcpy(slot->digest, d, SIGN_CACHE_DIGEST_LEN);
	slot->next = c->buckets[bucket_of(k, klen)];
	c->buckets[bucket_of(k, klen)] = slot;
	r = 0;
 out:
	pthread_mutex_unlock(&c->mu);
	return r;
}

void
sign_cache_finish(struct sign_cache *c, const uint8_t *kid, size_t kid_len,
    const uint8_t *serial, size_t serial_len, const uint8_t *cert, size_t cert_len)
{
	uint8_t k[KEY_MAX];
	size_t klen;
	struct entry *e;
	uint8_t *copy;

	if ((klen = make_key(k, kid, kid_len, serial, serial_len)) == 0)
		return;
	copy = malloc(cert_len);
	pthread_mutex_lock(&c->mu);
	if ((e = lookup(c, k, klen)) != NULL && e->state == ENTRY_SIGNING) {
		if (copy == NULL) {
			unlink_entry(c, e);	/* cannot remember: forget the claim */
		} else {
			memcpy(copy, cert, cert_len);
			e->cert = copy;
			e->cert_len = cert_len;
			e->state = ENTRY_DONE;
			copy = NULL;
		}
	}
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->mu);
	free(copy);
}

void
sign_cache_abort(struct sign_cache *c, const uint8_t *kid, size_t kid_len,
    const uint8_t *serial, size_t serial_len)
{
	uint8_t k[KEY_MAX];
	size_t klen;
	struct entry *e;

	if ((klen = make_key(k, kid, kid_len, serial, serial_len)) == 0)
		return;
	pthread_mutex_lock(&c->mu);
	if ((e = lookup(c, k, klen)) != NULL && e->state == ENTRY_SIGNING)
		unlink_entry(c, e);
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->mu);
}
