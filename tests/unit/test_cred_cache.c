/*
 * test_cred_cache.c - the signing key cache: hits and misses by key and
 * scope, the generation rule (newer empties, older is ignored), bounds,
 * fields too long to keep, and threads.
 */
#include "test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cred_cache.h"

static void
owner_of(struct cred_owner *o, const char *acct, const char *user)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->account_id, sizeof(o->account_id), "%s", acct);
	if (user != NULL)
		snprintf(o->user_name, sizeof(o->user_name), "%s", user);
	o->is_root = user == NULL;
}

static void
key_of(uint8_t key[SIGV4_KEY_LEN], uint8_t v)
{
	memset(key, v, SIGV4_KEY_LEN);
}

static void
test_new_free(void)
{
	struct cred_cache *cc = (struct cred_cache *)1;

	assert_int_eq(cred_cache_new(0, &cc), PCA_ERR_INVALID);
	assert_ptr_null(cc);
	assert_int_eq(cred_cache_new(3, &cc), PCA_ERR_INVALID);	/* not a power of two */
	assert_int_eq(cred_cache_new(1u << 17, &cc), PCA_ERR_INVALID);
	assert_int_eq(cred_cache_new(16, &cc), 0);
	assert_int_eq(cred_cache_size(cc), 0);
	cred_cache_free(cc);
	cred_cache_free(NULL);
	/* a NULL cache never hits and takes nothing */
	{
		uint8_t k[SIGV4_KEY_LEN];
		struct cred_owner o;

		key_of(k, 1);
		owner_of(&o, "111122223333", NULL);
		cred_cache_put(NULL, 1, "AKID", "20240102", "us-east-1", "acm-pca", k, &o);
		assert_int_eq(cred_cache_get(NULL, 1, "AKID", "20240102", "us-east-1", "acm-pca",
		    k, &o), PCA_ERR_NOT_FOUND);
	}
}

static void
test_hit_and_scope(void)
{
	struct cred_cache *cc;
	struct cred_owner o, got;
	uint8_t k[SIGV4_KEY_LEN], out[SIGV4_KEY_LEN];

	assert_int_eq(cred_cache_new(1024, &cc), 0);
	key_of(k, 0xa5);
	owner_of(&o, "111122223333", "alice");
	assert_int_eq(cred_cache_get(cc, 1, "AKIDA", "20240102", "us-east-1", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	cred_cache_put(cc, 1, "AKIDA", "20240102", "us-east-1", "acm-pca", k, &o);
	assert_int_eq(cred_cache_size(cc), 1);
	memset(out, 0, sizeof(out));
	assert_int_eq(cred_cache_get(cc, 1, "AKIDA", "20240102", "us-east-1", "acm-pca", out,
	    &got), 0);
	assert_mem_eq(out, k, sizeof(k));
	assert_str_eq(got.account_id, "111122223333");
	assert_str_eq(got.user_name, "alice");
	assert_int_eq(got.is_root, 0);
	/* every part of the scope, and the key id, must match */
	assert_int_eq(cred_cache_get(cc, 1, "AKIDB", "20240102", "us-east-1", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(cred_cache_get(cc, 1, "AKID", "20240102", "us-east-1", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(cred_cache_get(cc, 1, "AKIDA", "20240103", "us-east-1", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(cred_cache_get(cc, 1, "AKIDA", "20240102", "us-east-2", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(cred_cache_get(cc, 1, "AKIDA", "20240102", "us-east-1", "hsmca", out,
	    &got), PCA_ERR_NOT_FOUND);
	/* "a/b" + "c" is not "a" + "b/c" */
	cred_cache_put(cc, 1, "AKIDA", "20240102", "us", "east/acm-pca", k, &o);
	assert_int_eq(cred_cache_get(cc, 1, "AKIDA", "20240102", "us/east", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	cred_cache_free(cc);
}

static void
test_generation(void)
{
	struct cred_cache *cc;
	struct cred_owner o, got;
	uint8_t k[SIGV4_KEY_LEN], out[SIGV4_KEY_LEN];

	assert_int_eq(cred_cache_new(64, &cc), 0);
	key_of(k, 1);
	owner_of(&o, "111122223333", NULL);
	/* (two entries may share a slot: only the last put is sure to be there) */
	cred_cache_put(cc, 5, "AKIDB", "20240102", "us-east-1", "acm-pca", k, &o);
	cred_cache_put(cc, 5, "AKIDA", "20240102", "us-east-1", "acm-pca", k, &o);
	assert_int_ge(cred_cache_size(cc), 1);
	assert_int_eq(cred_cache_get(cc, 5, "AKIDA", "20240102", "us-east-1", "acm-pca", out,
	    &got), 0);
	assert_int_eq(got.is_root, 1);
	/* the store changed: a lookup at the new generation empties it */
	assert_int_eq(cred_cache_get(cc, 6, "AKIDB", "20240102", "us-east-1", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(cred_cache_size(cc), 0);
	assert_int_eq(cred_cache_get(cc, 6, "AKIDA", "20240102", "us-east-1", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	/* what was learned before the change is not kept */
	cred_cache_put(cc, 5, "AKIDA", "20240102", "us-east-1", "acm-pca", k, &o);
	assert_int_eq(cred_cache_size(cc), 0);
	/* and a lookup with an older generation neither hits nor empties */
	cred_cache_put(cc, 6, "AKIDA", "20240102", "us-east-1", "acm-pca", k, &o);
	assert_int_eq(cred_cache_get(cc, 5, "AKIDA", "20240102", "us-east-1", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(cred_cache_size(cc), 1);
	/* a put at a newer generation empties it too */
	cred_cache_put(cc, 7, "AKIDB", "20240102", "us-east-1", "acm-pca", k, &o);
	assert_int_eq(cred_cache_size(cc), 1);
	assert_int_eq(cred_cache_get(cc, 7, "AKIDA", "20240102", "us-east-1", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	cred_cache_free(cc);
}

static void
test_bounds(void)
{
	struct cred_cache *cc;
	struct cred_owner o, got;
	uint8_t k[SIGV4_KEY_LEN], out[SIGV4_KEY_LEN];
	char id[32], longid[64], region[64], user[CRED_USER_MAX + 1];
	unsigned hits = 0;

	assert_int_eq(cred_cache_new(8, &cc), 0);
	key_of(k, 2);
	owner_of(&o, "111122223333", NULL);
	for (unsigned i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "AKID%04u", i);
		cred_cache_put(cc, 1, id, "20240102", "us-east-1", "acm-pca", k, &o);
		assert_int_le(cred_cache_size(cc), 8);
	}
	/* a new entry replaces the one in its slot: the last one is there */
	assert_int_eq(cred_cache_get(cc, 1, id, "20240102", "us-east-1", "acm-pca", out,
	    &got), 0);
	for (unsigned i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "AKID%04u", i);
		hits += cred_cache_get(cc, 1, id, "20240102", "us-east-1", "acm-pca", out,
		    &got) == 0;
	}
	assert_int_le(hits, 8);
	assert_int_ge(hits, 1);
	/* what does not fit is not kept (and never confused with what does) */
	assert_int_eq(cred_cache_get(cc, 2, "AKID", "20240102", "us-east-1", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(cred_cache_size(cc), 0);		/* the new generation emptied it */
	memset(longid, 'A', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	cred_cache_put(cc, 2, longid, "20240102", "us-east-1", "acm-pca", k, &o);
	assert_int_eq(cred_cache_size(cc), 0);
	assert_int_eq(cred_cache_get(cc, 2, longid, "20240102", "us-east-1", "acm-pca", out,
	    &got), PCA_ERR_NOT_FOUND);
	memset(region, 'r', sizeof(region) - 1);
	region[sizeof(region) - 1] = '\0';
	cred_cache_put(cc, 2, "AKID", "20240102", region, "acm-pca", k, &o);
	cred_cache_put(cc, 2, "AKID", "2024010", "us-east-1", "acm-pca", k, &o);
	cred_cache_put(cc, 2, "", "20240102", "us-east-1", "acm-pca", k, &o);
	assert_int_eq(cred_cache_size(cc), 0);
	/* a user name of up to 255 bytes is kept whole */
	memset(user, 'u', CRED_USER_MAX);
	user[CRED_USER_MAX] = '\0';
	owner_of(&o, "111122223333", user);
	cred_cache_put(cc, 2, "AKID", "20240102", "us-east-1", "acm-pca", k, &o);
	assert_int_eq(cred_cache_get(cc, 2, "AKID", "20240102", "us-east-1", "acm-pca", out,
	    &got), 0);
	assert_str_eq(got.user_name, user);
	cred_cache_free(cc);
}

struct worker {
	struct cred_cache	*cc;
	unsigned		 id;
	unsigned long		 bad;
};

/* Each thread its own keys, the generation moving under it: a hit is
 * always the key that was put for that id. */
static void *
worker(void *arg)
{
	struct worker *w = arg;
	struct cred_owner o, got;
	uint8_t k[SIGV4_KEY_LEN], out[SIGV4_KEY_LEN];
	char id[32];

	owner_of(&o, "111122223333", NULL);
	for (unsigned long i = 0; i < 50000; i++) {
		uint64_t gen = 1 + i / 10000;

		snprintf(id, sizeof(id), "AKID%02u%03lu", w->id, i % 50);
		key_of(k, (uint8_t)(w->id * 50 + i % 50));
		if (cred_cache_get(w->cc, gen, id, "20240102", "us-east-1", "acm-pca", out,
		    &got) == 0) {
			if (memcmp(out, k, sizeof(k)) != 0)
				w->bad++;
		} else {
			cred_cache_put(w->cc, gen, id, "20240102", "us-east-1", "acm-pca", k, &o);
		}
	}
	return NULL;
}

static void
test_threads(void)
{
	struct cred_cache *cc;
	struct worker w[4];
	pthread_t th[4];

	assert_int_eq(cred_cache_new(256, &cc), 0);
	for (unsigned i = 0; i < 4; i++) {
		w[i].cc = cc;
		w[i].id = i;
		w[i].bad = 0;
		assert_int_eq(pthread_create(&th[i], NULL, worker, &w[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_eq(w[i].bad, 0);
	}
	cred_cache_free(cc);
}

int
main(void)
{
	test_run("cred_cache/new_free", test_new_free);
	test_run("cred_cache/hit_and_scope", test_hit_and_scope);
	test_run("cred_cache/generation", test_generation);
	test_run("cred_cache/bounds", test_bounds);
	test_run("cred_cache/threads", test_threads);
	return test_done();
}
