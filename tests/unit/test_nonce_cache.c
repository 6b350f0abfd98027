/*
 * test_nonce_cache.c - replay refusal: replays, per-key separation, expiry
 * after the window, the capacity limit, clock oddities, 8 threads, and
 * throughput.
 */
#include "test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "nonce_cache.h"
#include "sigv4.h"

#define T0	1704164645	/* 20240102T030405Z */

static void
nonce_of(char out[33], unsigned tag, unsigned long i)
{
	snprintf(out, 33, "%08x%08x0123456789abcdef", tag, (unsigned)(i & 0xffffffffu));
}

static void
test_new_free(void)
{
	struct nonce_cache *nc = (struct nonce_cache *)1;

	assert_int_eq(nonce_cache_new(0, &nc), PCA_ERR_INVALID);
	assert_ptr_null(nc);
	assert_int_eq(nonce_cache_new(16, &nc), 0);
	assert_int_eq(nonce_cache_size(nc), 0);
	/* bad arguments are refused, not recorded */
	assert_int_eq(nonce_cache_check_and_add(nc, "", "00", T0, T0), PCA_ERR_INVALID);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", "", T0, T0), PCA_ERR_INVALID);
	assert_int_eq(nonce_cache_check_and_add(nc, NULL, "00", T0, T0), PCA_ERR_INVALID);
	assert_int_eq(nonce_cache_size(nc), 0);
	nonce_cache_free(nc);
	nonce_cache_free(NULL);
}

static void
test_replay(void)
{
	struct nonce_cache *nc;
	const char *n1 = "0123456789abcdef0123456789abcdef";
	const char *n2 = "0123456789abcdef0123456789abcdee";

	assert_int_eq(nonce_cache_new(1024, &nc), 0);
	assert_int_eq(nonce_cache_check_and_add(nc, "AKIDA", n1, T0, T0), 0);
	assert_int_eq(nonce_cache_check_and_add(nc, "AKIDA", n1, T0, T0), PCA_ERR_EXISTS);
	/* a replay is a replay whatever timestamp it claims */
	assert_int_eq(nonce_cache_check_and_add(nc, "AKIDA", n1, T0 + 1, T0 + 1),
	    PCA_ERR_EXISTS);
	/* the same nonce under another key is another request */
	assert_int_eq(nonce_cache_check_and_add(nc, "AKIDB", n1, T0, T0), 0);
	assert_int_eq(nonce_cache_check_and_add(nc, "AKIDA", n2, T0, T0), 0);
	/* (key id, nonce) is not confused by where the boundary is */
	assert_int_eq(nonce_cache_check_and_add(nc, "AKID", "A0123", T0, T0), 0);
	assert_int_eq(nonce_cache_check_and_add(nc, "AKIDA", "0123", T0, T0), 0);
	assert_int_eq(nonce_cache_size(nc), 5);
	nonce_cache_free(nc);
}

static void
test_expiry(void)
{
	struct nonce_cache *nc;
	const char *n1 = "0123456789abcdef0123456789abcdef";
	char n[33];

	assert_int_eq(nonce_cache_new(1024, &nc), 0);
	/* a request stamped 200 s in the past, seen now */
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n1, T0 - 200, T0), 0);
	/* remembered through the whole window of its timestamp, and past it
	 * by the margin */
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n1, T0 - 200,
	    T0 - 200 + SIGV4_WINDOW_SECS), PCA_ERR_EXISTS);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n1, T0 - 200,
	    T0 - 200 + SIGV4_WINDOW_SECS + 1), PCA_ERR_EXISTS);
	assert_int_eq(nonce_cache_size(nc), 1);
	/* an hour later it is forgotten (the window refuses it by then) */
	nonce_of(n, 1, 1);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0 + 3600, T0 + 3600), 0);
	assert_int_eq(nonce_cache_size(nc), 1);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n1, T0 + 3600, T0 + 3600), 0);
	assert_int_eq(nonce_cache_size(nc), 2);
	nonce_cache_free(nc);
}

/* Many entries over many seconds: the size follows the window. */
static void
test_steady_state(void)
{
	struct nonce_cache *nc;
	char n[33];
	int64_t now = T0;
	size_t max_seen = 0;

	assert_int_eq(nonce_cache_new(100000, &nc), 0);
	/* 10 requests a second for 2000 s, timestamps spread over +-300 s */
	for (unsigned long i = 0; i < 20000; i++) {
		now = T0 + (int64_t)(i / 10);
		nonce_of(n, 2, i);
		assert_int_eq(nonce_cache_check_and_add(nc, "AK", n,
		    now - 300 + (int64_t)(i * 7919 % 601), now), 0);
		if (nonce_cache_size(nc) > max_seen)
			max_seen = nonce_cache_size(nc);
	}
	/* live: ts + 300 + margin > now, i.e. at most ~(600 + margin) s of
	 * requests, 10 a second; never the whole 20000 */
	assert_int_le(max_seen, 10 * (600 + 120));
	assert_int_ge(max_seen, 10 * 300);
	/* a long pause (more than a wheel turn) forgets everything */
	nonce_of(n, 2, 999999);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, now + 100000, now + 100000), 0);
	assert_int_eq(nonce_cache_size(nc), 1);
	nonce_cache_free(nc);
}

static void
test_capacity(void)
{
	struct nonce_cache *nc;
	char n[33];

	assert_int_eq(nonce_cache_new(4, &nc), 0);
	for (unsigned long i = 0; i < 4; i++) {
		nonce_of(n, 3, i);
		assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0, T0), 0);
	}
	nonce_of(n, 3, 4);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0, T0), PCA_ERR_TOO_LARGE);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0, T0 + 100),
	    PCA_ERR_TOO_LARGE);
	/* full, and still refusing replays as replays */
	nonce_of(n, 3, 2);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0, T0), PCA_ERR_EXISTS);
	assert_int_eq(nonce_cache_size(nc), 4);
	/* once the entries expire there is room again */
	nonce_of(n, 3, 4);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0 + 1000, T0 + 1000), 0);
	assert_int_eq(nonce_cache_size(nc), 1);
	nonce_cache_free(nc);
}

static void
test_clock_oddities(void)
{
	struct nonce_cache *nc;
	const char *n1 = "0123456789abcdef0123456789abcdef";
	char n[33];

	assert_int_eq(nonce_cache_new(64, &nc), 0);
	/* a timestamp far ahead outlives several turns of the wheel */
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n1, T0 + 5000, T0), 0);
	for (int64_t t = T0; t < T0 + 5000 + SIGV4_WINDOW_SECS; t += 97) {
		if (nonce_cache_check_and_add(nc, "AK", n1, T0 + 5000, t) != PCA_ERR_EXISTS)
			test_fail(__FILE__, __LINE__, "forgotten at now=%lld", (long long)t);
	}
	nonce_of(n, 4, 0);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0 + 9000, T0 + 9000), 0);
	assert_int_eq(nonce_cache_size(nc), 1);
	/* the clock going back forgets nothing */
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0 + 9000, T0), PCA_ERR_EXISTS);
	/* a timestamp already out of its window is still refused as a replay
	 * until the next sweep */
	nonce_of(n, 4, 1);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0 - 100000, T0 + 9000), 0);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0 - 100000, T0 + 9000),
	    PCA_ERR_EXISTS);
	nonce_of(n, 4, 2);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", n, T0 + 9001, T0 + 9001), 0);
	assert_int_eq(nonce_cache_size(nc), 2);
	/* extreme timestamps do not overflow */
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", "max", INT64_MAX, T0 + 9001), 0);
	assert_int_eq(nonce_cache_check_and_add(nc, "AK", "min", INT64_MIN, T0 + 9001), 0);
	nonce_cache_free(nc);
}

/*
 * Memory: the cap of frontend/main.c (2^20 entries) fits in 32 MiB, 32
 * bytes an entry, and entries forgotten are reused rather than added to.
 */
static void
test_memory(void)
{
	struct nonce_cache *nc;
	const size_t max = 1u << 20;
	size_t bytes;
	char n[33];

	assert_int_eq(nonce_cache_new(max, &nc), 0);
	assert_int_le(nonce_cache_bytes(nc), 64 * 1024);	/* nothing up front */
	for (unsigned long i = 0; i < max; i++) {
		nonce_of(n, 6, i);
		if (nonce_cache_check_and_add(nc, "AKIDEXAMPLEEXAMPLE01", n, T0, T0) != 0)
			test_fail(__FILE__, __LINE__, "add %lu refused", i);
	}
	assert_int_eq(nonce_cache_size(nc), max);
	bytes = nonce_cache_bytes(nc);
	test_diag("nonce_cache: %zu entries in %.1f MiB, %.1f bytes an entry", max,
	    (double)bytes / (1024.0 * 1024.0), (double)bytes / (double)max);
	assert_int_le(bytes, 32u * 1024 * 1024 + 64 * 1024);
	/* still exact: the last one is a replay, one more is over the cap */
	assert_int_eq(nonce_cache_check_and_add(nc, "AKIDEXAMPLEEXAMPLE01", n, T0, T0),
	    PCA_ERR_EXISTS);
	nonce_of(n, 7, 0);
	assert_int_eq(nonce_cache_check_and_add(nc, "AKIDEXAMPLEEXAMPLE01", n, T0, T0),
	    PCA_ERR_TOO_LARGE);
	/* after the window everything is forgotten; refilling reuses it */
	for (unsigned long i = 0; i < max / 2; i++) {
		nonce_of(n, 8, i);
		if (nonce_cache_check_and_add(nc, "AKIDEXAMPLEEXAMPLE01", n, T0 + 1000,
		    T0 + 1000) != 0)
			test_fail(__FILE__, __LINE__, "add %lu refused after expiry", i);
	}
	assert_int_eq(nonce_cache_size(nc), max / 2);
	assert_int_eq(nonce_cache_bytes(nc), bytes);
	nonce_cache_free(nc);
}

struct worker {
	struct nonce_cache	*nc;
	unsigned		 id;
	unsigned long		 n;
	unsigned long		 ok, exists, other;
	uint64_t		 ns;
};

#define NTHREADS	8

/* Every thread adds the same nonces: each must succeed exactly once. */
static void *
race_worker(void *arg)
{
	struct worker *w = arg;
	char n[33];
	int r;

	for (unsigned long i = 0; i < w->n; i++) {
		nonce_of(n, 5, i);
		r = nonce_cache_check_and_add(w->nc, "AK", n, T0, T0);
		if (r == 0)
			w->ok++;
		else if (r == PCA_ERR_EXISTS)
			w->exists++;
		else
			w->other++;
	}
	return NULL;
}

/* Each thread its own key and nonces, a second passing every 1000 calls:
 * the steady state of a busy door, purge included. */
static void *
load_worker(void *arg)
{
	struct worker *w = arg;
	char n[33], key[16];
	uint64_t t0 = clock_mono_ns();
	int64_t now;
	int r;

	snprintf(key, sizeof(key), "AKID%08u", w->id);
	for (unsigned long i = 0; i < w->n; i++) {
		now = T0 + (int64_t)(i / 1000);
		nonce_of(n, w->id, i);
		r = nonce_cache_check_and_add(w->nc, key, n, now, now);
		if (r == 0)
			w->ok++;
		else
			w->other++;
	}
	w->ns = clock_mono_ns() - t0;
	return NULL;
}

static void
test_threads_race(void)
{
	struct nonce_cache *nc;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	unsigned long ok = 0, exists = 0, other = 0, per = 20000;

	assert_int_eq(nonce_cache_new(1u << 20, &nc), 0);
	for (unsigned i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].nc = nc;
		w[i].id = i;
		w[i].n = per;
		assert_int_eq(pthread_create(&th[i], NULL, race_worker, &w[i]), 0);
	}
	for (unsigned i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].ok;
		exists += w[i].exists;
		other += w[i].other;
	}
	assert_int_eq(ok, per);
	assert_int_eq(exists, per * (NTHREADS - 1));
	assert_int_eq(other, 0);
	assert_int_eq(nonce_cache_size(nc), per);
	nonce_cache_free(nc);
}

static double
run_load(unsigned nthreads, unsigned long per, unsigned long *total)
{
	struct nonce_cache *nc;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	uint64_t t0, dt;

	*total = 0;
	if (nonce_cache_new(1u << 22, &nc) != 0)
		return 0;
	t0 = clock_mono_ns();
	for (unsigned i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].nc = nc;
		w[i].id = 100 + i;
		w[i].n = per;
		if (pthread_create(&th[i], NULL, load_worker, &w[i]) != 0)
			test_fail(__FILE__, __LINE__, "pthread_create");
	}
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		*total += w[i].ok;
		if (w[i].other != 0)
			test_fail(__FILE__, __LINE__, "thread %u: %lu refusals", i, w[i].other);
	}
	dt = clock_mono_ns() - t0;
	nonce_cache_free(nc);
	return (double)*total / ((double)dt / 1e9);
}

static void
test_throughput(void)
{
	unsigned long total;
	double rate;

	rate = run_load(1, 1000000, &total);
	assert_int_eq(total, 1000000);
	test_diag("nonce_cache: 1 thread, %lu adds, %.2f M operations/second "
	    "(steady state ~360k live entries)", total, rate / 1e6);
	rate = run_load(NTHREADS, 250000, &total);
	assert_int_eq(total, 250000ul * NTHREADS);
	test_diag("nonce_cache: %d threads, %lu adds, %.2f M operations/second",
	    NTHREADS, total, rate / 1e6);
}

int
main(void)
{
	test_run("nonce_cache/new_free", test_new_free);
	test_run("nonce_cache/replay", test_replay);
	test_run("nonce_cache/expiry", test_expiry);
	test_run("nonce_cache/steady_state", test_steady_state);
	test_run("nonce_cache/capacity", test_capacity);
	test_run("nonce_cache/clock_oddities", test_clock_oddities);
	test_run("nonce_cache/memory", test_memory);
	test_run("nonce_cache/threads_race", test_threads_race);
	test_run("nonce_cache/throughput", test_throughput);
	return test_done();
}
