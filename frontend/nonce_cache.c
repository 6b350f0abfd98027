/*
 * nonce_cache.c - refuses replayed request nonces.
 *
 * Two structures share each entry:
 *  - a chained hash table keyed by (key id, nonce) answers "seen?" in
 *    O(1); the hash is SipHash-2-4 under a per-cache random key, so an
 *    authenticated client choosing nonces cannot pile them into one chain;
 *  - a timing wheel of one-second slots, indexed by expiry second, tells
 *    which entries to forget: each call sweeps the slots of the seconds
 *    that passed since the previous call, so the purge costs O(expired
 *    entries + elapsed seconds), spread over the calls, with no thread.
 *
 * Expiry is ts + SIGV4_WINDOW_SECS + NC_MARGIN_SECS: until then the door's
 * window check could still accept ts. The margin covers the wall clock
 * being stepped back (NTP) after an entry was forgotten.
 *
 * One mutex guards everything; hashing and allocation happen outside it
 * and forgotten entries are freed after it is released, so the critical
 * section is a sweep of (usually) nothing, a lookup and a link.
 */
#include "nonce_cache.h"
#include "sigv4.h"
#include "wipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define NC_MARGIN_SECS		60
#define NC_WHEEL_SLOTS		1024	/* seconds, a power of two, > 2 window + margin */
#define NC_MIN_BUCKETS		64
#define NC_FIELD_MAX		256	/* key id or nonce, bytes */
#define NC_MAX_ENTRIES		(1u << 28)
#define NC_SEED_LEN		16

struct nc_entry {
	struct nc_entry	*hnext;		/* hash chain */
	struct nc_entry	*wnext;		/* wheel slot list */
	uint64_t	 hash;
	int64_t		 expiry;	/* forgotten once now >= expiry */
	size_t		 key_len;
	char		 key[];		/* key id, NUL, nonce */
};

struct nonce_cache {
	pthread_mutex_t	  mu;
	uint8_t		  seed[NC_SEED_LEN];	/* SipHash key, set once */
	size_t		  max_entries;
	size_t		  size;
	struct nc_entry	**buckets;
	size_t		  nbuckets;		/* a power of two */
	size_t		  max_buckets;
	struct nc_entry	 *wheel[NC_WHEEL_SLOTS];
	int		  started;
	int64_t		  swept_until;		/* slots up to this second are swept */
};

/* SipHash-2-4 (Aumasson, Bernstein), 64-bit output. */
#define ROTL64(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);	\
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);	\
} while (0)

static uint64_t
le64_load(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t
siphash24(const uint8_t k[NC_SEED_LEN], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = le64_load(k), k1 = le64_load(k + 8);
	uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, full = len - (len % 8);

	for (i = 0; i < full; i += 8) {
		m = le64_load(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < len % 8; j++)
		b |= (uint64_t)in[full + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

int
nonce_cache_new(size_t max_entries, struct nonce_cache **out)
{
	struct nonce_cache *nc = NULL;
	int r = PCA_ERR_INTERNAL;

	*out = NULL;
	if (max_entries == 0 || max_entries > NC_MAX_ENTRIES)
		return PCA_ERR_INVALID;
	if ((nc = calloc(1, sizeof(*nc))) == NULL)
		return PCA_ERR_NOMEM;
	if (pthread_mutex_init(&nc->mu, NULL) != 0) {
		free(nc);
		return PCA_ERR_INTERNAL;
	}
	nc->max_entries = max_entries;
	/* the table grows to one bucket per entry at most (load factor 1) */
	nc->max_buckets = NC_MIN_BUCKETS;
	while (nc->max_buckets < max_entries)
		nc->max_buckets *= 2;
	nc->nbuckets = NC_MIN_BUCKETS;
	if ((nc->buckets = calloc(nc->nbuckets, sizeof(*nc->buckets))) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	if (RAND_bytes(nc->seed, sizeof(nc->seed)) != 1) {
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	*out = nc;
	nc = NULL;
	r = 0;
 out:
	nonce_cache_free(nc);
	return r;
}

void
nonce_cache_free(struct nonce_cache *nc)
{
	struct nc_entry *e, *next;

	if (nc == NULL)
		return;
	for (size_t i = 0; nc->buckets != NULL && i < nc->nbuckets; i++) {
		for (e = nc->buckets[i]; e != NULL; e = next) {
			next = e->hnext;
			free(e);
		}
	}
	free(nc->buckets);
	pthread_mutex_destroy(&nc->mu);
	wipe(nc->seed, sizeof(nc->seed));
	free(nc);
}

static struct nc_entry **
bucket_of(struct nonce_cache *nc, uint64_t hash)
{
	return &nc->buckets[hash & (nc->nbuckets - 1)];
}

static struct nc_entry *
nc_lookup(struct nonce_cache *nc, const struct nc_entry *k)
{
	struct nc_entry *e;

	for (e = *bucket_of(nc, k->hash); e != NULL; e = e->hnext)
		if (e->hash == k->hash && e->key_len == k->key_len &&
		    memcmp(e->key, k->key, k->key_len) == 0)
			return e;
	return NULL;
}

static void
nc_unlink_hash(struct nonce_cache *nc, struct nc_entry *victim)
{
	struct nc_entry **pp;

	for (pp = bucket_of(nc, victim->hash); *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == victim) {
			*pp = victim->hnext;
			nc->size--;
			return;
		}
	}
}

/* Double the table while it is over load factor 1 and under its cap. A
 * failed allocation only costs longer chains. */
static void
nc_grow(struct nonce_cache *nc)
{
	struct nc_entry **nb, *e, *next;
	size_t n = nc->nbuckets * 2;

	if (nc->size < nc->nbuckets || nc->nbuckets >= nc->max_buckets)
		return;
	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (size_t i = 0; i < nc->nbuckets; i++) {
		for (e = nc->buckets[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(nc->buckets);
	nc->buckets = nb;
	nc->nbuckets = n;
}

/*
 * Sweep the wheel slots of the seconds in (swept_until, now]: entries whose
 * expiry has come leave the table and are returned as a list for the caller
 * to free outside the lock; the others (expiring a wheel turn or more later)
 * stay. After a pause longer than the wheel every slot is swept once.
 */
static struct nc_entry *
nc_sweep(struct nonce_cache *nc, int64_t now)
{
	struct nc_entry *dead = NULL, *e, *next, *keep;
	uint64_t steps, sec;

	if (!nc->started) {
		nc->started = 1;
		nc->swept_until = now;
		return NULL;
	}
	if (now <= nc->swept_until)	/* same second, or the clock went back */
		return NULL;
	steps = (uint64_t)now - (uint64_t)nc->swept_until;
	if (steps > NC_WHEEL_SLOTS)
		steps = NC_WHEEL_SLOTS;
	for (uint64_t i = 1; i <= steps; i++) {
		sec = (uint64_t)nc->swept_until + i;
		keep = NULL;
		for (e = nc->wheel[sec & (NC_WHEEL_SLOTS - 1)]; e != NULL; e = next) {
			next = e->wnext;
			if (e->expiry <= now) {
				nc_unlink_hash(nc, e);
				e->wnext = dead;
				dead = e;
			} else {
				e->wnext = keep;
				keep = e;
			}
		}
		nc->wheel[sec & (NC_WHEEL_SLOTS - 1)] = keep;
	}
	nc->swept_until = now;
	return dead;
}

static void
nc_insert(struct nonce_cache *nc, struct nc_entry *e)
{
	struct nc_entry **b;
	/* an entry already due goes in the next slot to be swept */
	int64_t sec = e->expiry > nc->swept_until ? e->expiry : nc->swept_until + 1;
	size_t slot = (size_t)((uint64_t)sec & (NC_WHEEL_SLOTS - 1));

	nc_grow(nc);
	b = bucket_of(nc, e->hash);
	e->hnext = *b;
	*b = e;
	e->wnext = nc->wheel[slot];
	nc->wheel[slot] = e;
	nc->size++;
}

int
nonce_cache_check_and_add(struct nonce_cache *nc, const char *key_id,
    const char *nonce, int64_t ts, int64_t now)
{
	struct nc_entry *e = NULL, *dead, *next;
	size_t klen, nlen;
	int r;

	if (nc == NULL || key_id == NULL || nonce == NULL)
		return PCA_ERR_INVALID;
	klen = strnlen(key_id, NC_FIELD_MAX + 1);
	nlen = strnlen(nonce, NC_FIELD_MAX + 1);
	if (klen == 0 || klen > NC_FIELD_MAX || nlen == 0 || nlen > NC_FIELD_MAX)
		return PCA_ERR_INVALID;
	/* build and hash the entry before taking the lock */
	if ((e = malloc(sizeof(*e) + klen + 1 + nlen)) == NULL)
		return PCA_ERR_NOMEM;
	memcpy(e->key, key_id, klen);
	e->key[klen] = '\0';		/* no key id contains NUL: unambiguous */
	memcpy(e->key + klen + 1, nonce, nlen);
	e->key_len = klen + 1 + nlen;
	e->hash = siphash24(nc->seed, e->key, e->key_len);
	e->expiry = ts > INT64_MAX - (SIGV4_WINDOW_SECS + NC_MARGIN_SECS) ? INT64_MAX :
	    ts + SIGV4_WINDOW_SECS + NC_MARGIN_SECS;

	pthread_mutex_lock(&nc->mu);
	dead = nc_sweep(nc, now);
	/* a replay is reported as such even when the cache is full */
	if (nc_lookup(nc, e) != NULL)
		r = PCA_ERR_EXISTS;
	else if (nc->size >= nc->max_entries)
		r = PCA_ERR_TOO_LARGE;
	else {
		nc_insert(nc, e);
		e = NULL;
		r = 0;
	}
	pthread_mutex_unlock(&nc->mu);

	for (; dead != NULL; dead = next) {
		next = dead->wnext;
		free(dead);
	}
	free(e);
	return r;
}

size_t
nonce_cache_size(struct nonce_cache *nc)
{
	size_t n;

	if (nc == NULL)
		return 0;
	pthread_mutex_lock(&nc->mu);
	n = nc->size;
	pthread_mutex_unlock(&nc->mu);
	return n;
}
