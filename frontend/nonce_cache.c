/*
 * nonce_cache.c - refuses replayed request nonces.
 *
 * An entry is fixed-size (28 bytes): the SipHash-2-4-128 of (key id, NUL,
 * nonce) under a per-cache random key, the expiry second and two 32-bit
 * links. The key id and nonce themselves are not kept: two requests are
 * the same when their 128-bit keyed hashes are. A client cannot choose two
 * inputs with one hash without the key, and by chance it takes ~2^64
 * entries; a collision would only refuse a fresh request as a replay, never
 * accept a replay (the same input always has the same hash).
 *
 * Entries live in a pool of chunks of NC_CHUNK entries, allocated as the
 * cache fills and never returned (the pool stays at its high-water mark,
 * at most max_entries entries); a forgotten entry goes to a free list.
 * Links are pool indices, so a link costs 4 bytes instead of 8:
 *  - a chained hash table (bucket heads, one bucket per entry at most)
 *    answers "seen?" in O(1); the bucket is taken from the keyed hash, so
 *    chains cannot be piled up by a client;
 *  - a timing wheel of one-second slots, indexed by expiry second, tells
 *    which entries to forget: each call sweeps the slots of the seconds
 *    that passed since the previous call, so the purge costs O(expired
 *    entries + elapsed seconds), spread over the calls, with no thread.
 * At 2^20 live entries (frontend/main.c's cap) that is 28 MiB of pool and
 * 4 MiB of bucket heads: 32 bytes an entry.
 *
 * Expiry is ts + SIGV4_WINDOW_SECS + NC_MARGIN_SECS: until then the door's
 * window check could still accept ts. The margin covers the wall clock
 * being stepped back (NTP) after an entry was forgotten. It is kept in 32
 * bits as seconds after the first call's clock (base), saturated: an entry
 * already due is due at the next sweep, one more than 136 years ahead
 * stays until then.
 *
 * One mutex guards everything; hashing happens outside it, so the critical
 * section is a sweep of (usually) nothing, a lookup and a link.
 */
#include "nonce_cache.h"
#include "siphash.h"
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
#define NC_CHUNK_SHIFT		12
#define NC_CHUNK		(1u << NC_CHUNK_SHIFT)	/* entries per pool chunk */
#define NC_NIL			UINT32_MAX		/* no entry */

struct nc_entry {
	uint32_t	 fp[4];		/* SipHash-2-4-128 of key id, NUL, nonce */
	uint32_t	 expiry;	/* seconds after base; forgotten once swept */
	uint32_t	 hnext;		/* hash chain, or free list */
	uint32_t	 wnext;		/* wheel slot list */
};
_Static_assert(sizeof(struct nc_entry) == 28, "nonce cache entries are 28 bytes");
_Static_assert(NC_MAX_ENTRIES < NC_NIL, "pool indices fit 32 bits");

struct nonce_cache {
	pthread_mutex_t	  mu;
	uint8_t		  seed[SIPHASH_KEY_LEN];	/* set once */
	size_t		  max_entries;
	size_t		  size;			/* live entries */
	struct nc_entry	**chunks;		/* nchunks of nchunks_max allocated */
	size_t		  nchunks;
	size_t		  nchunks_max;
	uint32_t	  free_head;		/* free entries, through hnext */
	uint32_t	 *buckets;
	size_t		  nbuckets;		/* a power of two */
	size_t		  max_buckets;
	uint32_t	  wheel[NC_WHEEL_SLOTS];
	int		  started;
	int64_t		  base;			/* the clock at the first call */
	int64_t		  swept_until;		/* slots up to this second are swept */
};

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
	nc->free_head = NC_NIL;
	for (size_t i = 0; i < NC_WHEEL_SLOTS; i++)
		nc->wheel[i] = NC_NIL;
	nc->nchunks_max = (max_entries + NC_CHUNK - 1) / NC_CHUNK;
	/* the table grows to one bucket per entry at most (load factor 1) */
	nc->max_buckets = NC_MIN_BUCKETS;
	while (nc->max_buckets < max_entries)
		nc->max_buckets *= 2;
	nc->nbuckets = NC_MIN_BUCKETS;
	if ((nc->chunks = calloc(nc->nchunks_max, sizeof(*nc->chunks))) == NULL ||
	    (nc->buckets = malloc(nc->nbuckets * sizeof(*nc->buckets))) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < nc->nbuckets; i++)
		nc->buckets[i] = NC_NIL;
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
	if (nc == NULL)
		return;
	for (size_t i = 0; nc->chunks != NULL && i < nc->nchunks; i++)
		free(nc->chunks[i]);
	free(nc->chunks);
	free(nc->buckets);
	pthread_mutex_destroy(&nc->mu);
	wipe(nc->seed, sizeof(nc->seed));
	free(nc);
}

static struct nc_entry *
nc_at(struct nonce_cache *nc, uint32_t i)
{
	return &nc->chunks[i >> NC_CHUNK_SHIFT][i & (NC_CHUNK - 1)];
}

static size_t
nc_bucket(const struct nonce_cache *nc, const uint32_t fp[4], size_t nbuckets)
{
	(void)nc;
	return (((size_t)fp[1] << 16 << 16) | fp[0]) & (nbuckets - 1);
}

/* The absolute second of a stored expiry, and back (saturated both ways). */
static int64_t
nc_abs(const struct nonce_cache *nc, uint32_t rel)
{
	return nc->base > INT64_MAX - (int64_t)rel ? INT64_MAX : nc->base + (int64_t)rel;
}

static uint32_t
nc_rel(const struct nonce_cache *nc, int64_t t)
{
	int64_t d;

	if (t <= nc->base)
		return 0;
	if (__builtin_sub_overflow(t, nc->base, &d) || d > (int64_t)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)d;
}

static uint32_t
nc_lookup(struct nonce_cache *nc, const uint32_t fp[4])
{
	uint32_t i;
	struct nc_entry *e;

	for (i = nc->buckets[nc_bucket(nc, fp, nc->nbuckets)]; i != NC_NIL; i = e->hnext) {
		e = nc_at(nc, i);
		if (memcmp(e->fp, fp, sizeof(e->fp)) == 0)
			return i;
	}
	return NC_NIL;
}

static void
nc_unlink_hash(struct nonce_cache *nc, uint32_t victim)
{
	uint32_t *pp;
	struct nc_entry *v = nc_at(nc, victim);

	for (pp = &nc->buckets[nc_bucket(nc, v->fp, nc->nbuckets)]; *pp != NC_NIL;
	    pp = &nc_at(nc, *pp)->hnext) {
		if (*pp == victim) {
			*pp = v->hnext;
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
	uint32_t *nb, i, next;
	size_t n = nc->nbuckets * 2, b;
	struct nc_entry *e;

	if (nc->size < nc->nbuckets || nc->nbuckets >= nc->max_buckets)
		return;
	if ((nb = malloc(n * sizeof(*nb))) == NULL)
		return;
	for (b = 0; b < n; b++)
		nb[b] = NC_NIL;
	for (b = 0; b < nc->nbuckets; b++) {
		for (i = nc->buckets[b]; i != NC_NIL; i = next) {
			e = nc_at(nc, i);
			next = e->hnext;
			e->hnext = nb[nc_bucket(nc, e->fp, n)];
			nb[nc_bucket(nc, e->fp, n)] = i;
		}
	}
	free(nc->buckets);
	nc->buckets = nb;
	nc->nbuckets = n;
}

/*
 * Sweep the wheel slots of the seconds in (swept_until, now]: entries whose
 * expiry has come leave the table for the free list; the others (expiring
 * a wheel turn or more later) stay. After a pause longer than the wheel
 * every slot is swept once.
 */
static void
nc_sweep(struct nonce_cache *nc, int64_t now)
{
	uint32_t i, next, keep;
	uint64_t steps, sec;
	struct nc_entry *e;

	if (!nc->started) {
		nc->started = 1;
		nc->base = nc->swept_until = now;
		return;
	}
	if (now <= nc->swept_until)	/* same second, or the clock went back */
		return;
	steps = (uint64_t)now - (uint64_t)nc->swept_until;
	if (steps > NC_WHEEL_SLOTS)
		steps = NC_WHEEL_SLOTS;
	for (uint64_t k = 1; k <= steps; k++) {
		sec = (uint64_t)nc->swept_until + k;
		keep = NC_NIL;
		for (i = nc->wheel[sec & (NC_WHEEL_SLOTS - 1)]; i != NC_NIL; i = next) {
			e = nc_at(nc, i);
			next = e->wnext;
			if (nc_abs(nc, e->expiry) <= now) {
				nc_unlink_hash(nc, i);
				e->hnext = nc->free_head;
				nc->free_head = i;
			} else {
				e->wnext = keep;
				keep = i;
			}
		}
		nc->wheel[sec & (NC_WHEEL_SLOTS - 1)] = keep;
	}
	nc->swept_until = now;
}

/* A free entry's index (growing the pool by a chunk when needed), or
 * NC_NIL when out of memory. The caller checked size < max_entries. */
static uint32_t
nc_alloc(struct nonce_cache *nc)
{
	struct nc_entry *chunk;
	uint32_t i, first;

	if (nc->free_head == NC_NIL) {
		if (nc->nchunks >= nc->nchunks_max ||
		    (chunk = malloc(NC_CHUNK * sizeof(*chunk))) == NULL)
			return NC_NIL;
		first = (uint32_t)(nc->nchunks << NC_CHUNK_SHIFT);
		nc->chunks[nc->nchunks++] = chunk;
		for (i = NC_CHUNK; i > 0; i--) {
			chunk[i - 1].hnext = nc->free_head;
			nc->free_head = first + i - 1;
		}
	}
	i = nc->free_head;
	nc->free_head = nc_at(nc, i)->hnext;
	return i;
}

static void
nc_insert(struct nonce_cache *nc, uint32_t i, const uint32_t fp[4], int64_t expiry)
{
	struct nc_entry *e = nc_at(nc, i);
	size_t b, slot;
	int64_t sec;

	/* an entry already due is due at the next sweep */
	e->expiry = nc_rel(nc, expiry > nc->swept_until ? expiry : nc->swept_until + 1);
	sec = nc_abs(nc, e->expiry);
	slot = (size_t)((uint64_t)sec & (NC_WHEEL_SLOTS - 1));
	memcpy(e->fp, fp, sizeof(e->fp));
	nc_grow(nc);
	b = nc_bucket(nc, fp, nc->nbuckets);
	e->hnext = nc->buckets[b];
	nc->buckets[b] = i;
	e->wnext = nc->wheel[slot];
	nc->wheel[slot] = i;
	nc->size++;
}

int
nonce_cache_check_and_add(struct nonce_cache *nc, const char *key_id,
    const char *nonce, int64_t ts, int64_t now)
{
	uint8_t buf[NC_FIELD_MAX + 1 + NC_FIELD_MAX];
	uint64_t h[2];
	uint32_t fp[4], i;
	size_t klen, nlen;
	int64_t expiry;
	int r;

	if (nc == NULL || key_id == NULL || nonce == NULL)
		return PCA_ERR_INVALID;
	klen = strnlen(key_id, NC_FIELD_MAX + 1);
	nlen = strnlen(nonce, NC_FIELD_MAX + 1);
	if (klen == 0 || klen > NC_FIELD_MAX || nlen == 0 || nlen > NC_FIELD_MAX)
		return PCA_ERR_INVALID;
	/* hash before taking the lock; no key id contains NUL: unambiguous */
	memcpy(buf, key_id, klen);
	buf[klen] = '\0';
	memcpy(buf + klen + 1, nonce, nlen);
	siphash24_128(nc->seed, buf, klen + 1 + nlen, h);
	fp[0] = (uint32_t)h[0];
	fp[1] = (uint32_t)(h[0] >> 32);
	fp[2] = (uint32_t)h[1];
	fp[3] = (uint32_t)(h[1] >> 32);
	expiry = ts > INT64_MAX - (SIGV4_WINDOW_SECS + NC_MARGIN_SECS) ? INT64_MAX :
	    ts + SIGV4_WINDOW_SECS + NC_MARGIN_SECS;

	pthread_mutex_lock(&nc->mu);
	nc_sweep(nc, now);
	/* a replay is reported as such even when the cache is full */
	if (nc_lookup(nc, fp) != NC_NIL)
		r = PCA_ERR_EXISTS;
	else if (nc->size >= nc->max_entries)
		r = PCA_ERR_TOO_LARGE;
	else if ((i = nc_alloc(nc)) == NC_NIL)
		r = PCA_ERR_NOMEM;
	else {
		nc_insert(nc, i, fp, expiry);
		r = 0;
	}
	pthread_mutex_unlock(&nc->mu);
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

size_t
nonce_cache_bytes(struct nonce_cache *nc)
{
	size_t n;

	if (nc == NULL)
		return 0;
	pthread_mutex_lock(&nc->mu);
	n = sizeof(*nc) + nc->nchunks_max * sizeof(*nc->chunks) +
	    nc->nchunks * NC_CHUNK * sizeof(struct nc_entry) +
	    nc->nbuckets * sizeof(*nc->buckets);
	pthread_mutex_unlock(&nc->mu);
	return n;
}
