/*
 * cred_cache.c - the SigV4 signing keys of access keys in use.
 *
 * A direct-mapped table: the slot of (key id, scope) is a SipHash of both
 * under a per-cache random key, so which entries share a slot cannot be
 * chosen from outside. One mutex guards the table and the generation; the
 * critical sections are a string compare and a 32-byte copy (the table
 * wipe on a generation change is the exception, once per credentials
 * write).
 */
#include "cred_cache.h"
#include "siphash.h"
#include "wipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define CRED_SCOPE_MAX	(8 + 1 + CRED_REGION_MAX + 1 + CRED_SERVICE_MAX)

struct cred_entry {
	int			 used;
	char			 key_id[CRED_KEY_ID_MAX + 1];
	char			 scope[CRED_SCOPE_MAX + 1];	/* date8/region/service */
	uint8_t			 key[SIGV4_KEY_LEN];
	struct cred_owner	 owner;
};

struct cred_cache {
	pthread_mutex_t		 mu;
	uint8_t			 seed[SIPHASH_KEY_LEN];
	uint64_t		 gen;		/* of every entry */
	size_t			 nslots;	/* a power of two */
	size_t			 used;
	struct cred_entry	*slots;
};

int
cred_cache_new(size_t slots, struct cred_cache **out)
{
	struct cred_cache *cc;

	*out = NULL;
	if (slots == 0 || slots > 65536 || (slots & (slots - 1)) != 0)
		return PCA_ERR_INVALID;
	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return PCA_ERR_NOMEM;
	if ((cc->slots = calloc(slots, sizeof(*cc->slots))) == NULL) {
		free(cc);
		return PCA_ERR_NOMEM;
	}
	if (RAND_bytes(cc->seed, sizeof(cc->seed)) != 1) {
		free(cc->slots);
		free(cc);
		return PCA_ERR_CRYPTO;
	}
	if (pthread_mutex_init(&cc->mu, NULL) != 0) {
		wipe(cc->seed, sizeof(cc->seed));
		free(cc->slots);
		free(cc);
		return PCA_ERR_INTERNAL;
	}
	cc->nslots = slots;
	*out = cc;
	return 0;
}

void
cred_cache_free(struct cred_cache *cc)
{
	if (cc == NULL)
		return;
	free_wiped(cc->slots, cc->nslots * sizeof(*cc->slots));
	wipe(cc->seed, sizeof(cc->seed));
	pthread_mutex_destroy(&cc->mu);
	free(cc);
}

/* "date8/region/service" into scope; 0, or -1 when a part is too long or
 * malformed (then nothing is cached for it). */
static int
scope_of(const char *date8, const char *region, const char *service,
    char scope[CRED_SCOPE_MAX + 1])
{
	size_t dl, rl, sl;

	if (date8 == NULL || region == NULL || service == NULL ||
	    (dl = strnlen(date8, 9)) != 8 ||
	    (rl = strnlen(region, CRED_REGION_MAX + 1)) > CRED_REGION_MAX ||
	    (sl = strnlen(service, CRED_SERVICE_MAX + 1)) > CRED_SERVICE_MAX)
		return -1;
	/* '/' separates the parts: one in a part would make two scopes
	 * collide (the envelope refuses it in a region anyway) */
	if (memchr(region, '/', rl) != NULL || memchr(service, '/', sl) != NULL)
		return -1;
	memcpy(scope, date8, 8);
	scope[8] = '/';
	memcpy(scope + 9, region, rl);
	scope[9 + rl] = '/';
	memcpy(scope + 10 + rl, service, sl);
	scope[10 + rl + sl] = '\0';
	return 0;
}

static size_t
slot_of(const struct cred_cache *cc, const char *key_id, size_t klen, const char *scope)
{
	char buf[CRED_KEY_ID_MAX + 1 + CRED_SCOPE_MAX];
	size_t slen = strlen(scope);

	memcpy(buf, key_id, klen);
	buf[klen] = '\0';
	memcpy(buf + klen + 1, scope, slen);
	return (size_t)siphash24(cc->seed, buf, klen + 1 + slen) & (cc->nslots - 1);
}

/* Empty the table for generation gen (the lock is held). */
static void
cache_reset(struct cred_cache *cc, uint64_t gen)
{
	if (cc->used > 0)
		wipe(cc->slots, cc->nslots * sizeof(*cc->slots));
	cc->used = 0;
	cc->gen = gen;
}

int
cred_cache_get(struct cred_cache *cc, uint64_t gen, const char *key_id,
    const char *date8, const char *region, const char *service,
    uint8_t key[SIGV4_KEY_LEN], struct cred_owner *owner)
{
	char scope[CRED_SCOPE_MAX + 1];
	struct cred_entry *e;
	size_t klen, slot;
	int r = PCA_ERR_NOT_FOUND;

	if (cc == NULL || key_id == NULL ||
	    (klen = strnlen(key_id, CRED_KEY_ID_MAX + 1)) == 0 || klen > CRED_KEY_ID_MAX ||
	    scope_of(date8, region, service, scope) != 0)
		return PCA_ERR_NOT_FOUND;
	slot = slot_of(cc, key_id, klen, scope);
	pthread_mutex_lock(&cc->mu);
	if (gen != cc->gen) {
		if (gen > cc->gen)
			cache_reset(cc, gen);
		goto out;	/* an older generation than the cache's: the store */
	}
	e = &cc->slots[slot];
	if (e->used && strcmp(e->key_id, key_id) == 0 && strcmp(e->scope, scope) == 0) {
		memcpy(key, e->key, SIGV4_KEY_LEN);
		*owner = e->owner;
		r = 0;
	}
 out:
	pthread_mutex_unlock(&cc->mu);
	return r;
}

void
cred_cache_put(struct cred_cache *cc, uint64_t gen, const char *key_id,
    const char *date8, const char *region, const char *service,
    const uint8_t key[SIGV4_KEY_LEN], const struct cred_owner *owner)
{
	char scope[CRED_SCOPE_MAX + 1];
	struct cred_entry *e;
	size_t klen, slot;

	if (cc == NULL || key_id == NULL || owner == NULL ||
	    (klen = strnlen(key_id, CRED_KEY_ID_MAX + 1)) == 0 || klen > CRED_KEY_ID_MAX ||
	    memchr(owner->account_id, '\0', sizeof(owner->account_id)) == NULL ||
	    memchr(owner->user_name, '\0', sizeof(owner->user_name)) == NULL ||
	    memchr(owner->user_arn, '\0', sizeof(owner->user_arn)) == NULL ||
	    scope_of(date8, region, service, scope) != 0)
		return;
	slot = slot_of(cc, key_id, klen, scope);
	pthread_mutex_lock(&cc->mu);
	if (gen > cc->gen)
		cache_reset(cc, gen);
	if (gen == cc->gen) {
		e = &cc->slots[slot];
		if (e->used)
			wipe(e, sizeof(*e));	/* replaced */
		else
			cc->used++;
		e->used = 1;
		memcpy(e->key_id, key_id, klen + 1);
		memcpy(e->scope, scope, strlen(scope) + 1);
		memcpy(e->key, key, SIGV4_KEY_LEN);
		e->owner = *owner;
	}
	pthread_mutex_unlock(&cc->mu);
}

size_t
cred_cache_size(struct cred_cache *cc)
{
	size_t n;

	if (cc == NULL)
		return 0;
	pthread_mutex_lock(&cc->mu);
	n = cc->used;
	pthread_mutex_unlock(&cc->mu);
	return n;
}
