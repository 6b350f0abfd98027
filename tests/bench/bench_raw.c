/*
 * bench_raw.c - the token's raw signing rate, from this process (bench_raw.h).
 */
#include "bench_raw.h"

#include "bench_common.h"
#include "clock.h"
#include "err.h"
#include "hsm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>

struct raw_thread {
	pthread_t		 th;
	struct hsm_session	*sess;
	const struct hsm_key	*key;
	const uint8_t		*data;
	uint64_t		 deadline;
	pthread_barrier_t	*start;
	uint64_t		 n;
	int			 r;
};

static void *
raw_main(void *arg)
{
	struct raw_thread *t = arg;
	uint8_t *sig;
	size_t siglen;

	pthread_barrier_wait(t->start);
	while (clock_mono_ns() < t->deadline) {
		if ((t->r = hsm_sign(t->sess, t->key, NID_sha256, t->data, BENCH_TBS_LEN,
		    &sig, &siglen)) != 0)
			break;
		free(sig);
		t->n++;
	}
	return NULL;
}

/* Signatures per second from nthreads threads over secs seconds, -1 on
 * failure; *others: the share of all cores other processes used meanwhile
 * (the daemons are idle, so anyone but us). */
static double
raw_run(struct raw_thread *ts, unsigned nthreads, double secs, double *others)
{
	pthread_barrier_t start;
	double m0, s0, m1, s1, el;
	uint64_t t0, total = 0;
	unsigned i;
	int failed = 0;

	if (pthread_barrier_init(&start, NULL, nthreads + 1) != 0)
		return -1;
	for (i = 0; i < nthreads; i++) {
		ts[i].start = &start;
		ts[i].n = 0;
		ts[i].r = 0;
	}
	/* the deadline is set just before the release; threads are waiting */
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&ts[i].th, NULL, raw_main, &ts[i]) != 0) {
			/* a barrier short of threads never opens */
			fprintf(stderr, "bench: pthread_create failed\n");
			exit(1);
		}
	}
	m0 = bench_machine_cpu();
	s0 = bench_self_cpu();
	t0 = clock_mono_ns();
	for (i = 0; i < nthreads; i++)
		ts[i].deadline = t0 + (uint64_t)(secs * 1e9);
	pthread_barrier_wait(&start);
	for (i = 0; i < nthreads; i++) {
		pthread_join(ts[i].th, NULL);
		total += ts[i].n;
		if (ts[i].r != 0) {
			fprintf(stderr, "bench: hsm_sign: %s\n", pca_err_str(ts[i].r));
			failed = 1;
		}
	}
	el = bench_secs_since(t0);
	m1 = bench_machine_cpu();
	s1 = bench_self_cpu();
	*others = m0 >= 0 && m1 - m0 > s1 - s0 ?
	    ((m1 - m0) - (s1 - s0)) / (el * (double)sysconf(_SC_NPROCESSORS_ONLN)) : 0;
	pthread_barrier_destroy(&start);
	return failed ? -1 : (double)total / el;
}

/* Time one local verification of a signature by pub (what the signer does
 * after each C_Sign), in microseconds. */
static double
verify_cost(EVP_PKEY *pub, const uint8_t *data, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = NULL;
	uint64_t t0 = clock_mono_ns();
	unsigned n = 0;

	while (bench_secs_since(t0) < 0.25) {
		if ((md = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) != 1 ||
		    EVP_DigestVerify(md, sig, siglen, data, BENCH_TBS_LEN) != 1) {
			EVP_MD_CTX_free(md);
			return -1;
		}
		EVP_MD_CTX_free(md);
		n++;
	}
	return bench_secs_since(t0) * 1e6 / n;
}

int
bench_raw_measure(struct hsm *hsm, const char *name, enum hsm_key_alg alg,
    const uint8_t id[HSM_KEY_ID_LEN], unsigned nthreads, double secs, struct bench_raw *res)
{
	struct raw_thread *ts = NULL;
	const struct hsm_key *key = NULL;
	uint8_t data[BENCH_TBS_LEN], *sig = NULL;
	size_t siglen = 0;
	double others1 = 0;
	unsigned i, opened = 0;
	uint64_t t0;
	int r, rc = -1, have_key = 0;

	if ((ts = calloc(nthreads, sizeof(*ts))) == NULL)
		return -1;
	if (RAND_bytes(data, sizeof(data)) != 1)
		goto out;
	for (; opened < nthreads; opened++) {
		if ((r = hsm_session_open(hsm, &ts[opened].sess)) != 0) {
			fprintf(stderr, "bench: hsm_session_open: %s\n", pca_err_str(r));
			goto out;
		}
	}
	/* a key left by an interrupted run goes first */
	if (hsm_key_find(hsm, id) != NULL && (r = hsm_key_destroy(ts[0].sess, id)) != 0) {
		fprintf(stderr, "bench: old raw key: %s\n", pca_err_str(r));
		goto out;
	}
	t0 = clock_mono_ns();
	if ((r = hsm_key_generate(ts[0].sess, id, alg, &key)) != 0) {
		fprintf(stderr, "bench: hsm_key_generate %s: %s\n", name, pca_err_str(r));
		goto out;
	}
	have_key = 1;
	fprintf(stderr, "bench: %s raw: temporary key generated in %.0f ms\n", name,
	    bench_secs_since(t0) * 1e3);
	/* one signature checked, and what checking costs */
	if ((r = hsm_sign(ts[0].sess, key, NID_sha256, data, sizeof(data), &sig, &siglen)) != 0) {
		fprintf(stderr, "bench: hsm_sign: %s\n", pca_err_str(r));
		goto out;
	}
	if ((res->verify_us = verify_cost(hsm_key_public(key), data, sig, siglen)) < 0) {
		fprintf(stderr, "bench: %s raw: the token's signature does not verify\n", name);
		goto out;
	}
	for (i = 0; i < nthreads; i++) {
		ts[i].key = key;
		ts[i].data = data;
	}
	res->threads = nthreads;
	if ((res->rate = raw_run(ts, nthreads, secs, &res->others)) < 0 ||
	    (res->rate1 = raw_run(ts, 1, secs / 2, &others1)) < 0)
		goto out;
	if (others1 > res->others)
		res->others = others1;
	fprintf(stderr, "bench: %s raw: %.0f sign/s with %u threads, %.0f with 1; "
	    "verify %.1f us; other processes used %.0f%% of the cores\n", name,
	    res->rate, nthreads, res->rate1, res->verify_us, res->others * 100);
	rc = 0;
 out:
	if (have_key && (r = hsm_key_destroy(ts[0].sess, id)) != 0) {
		fprintf(stderr, "bench: could not destroy the raw key: %s\n", pca_err_str(r));
		rc = -1;
	}
	for (i = 0; i < opened; i++)
		hsm_session_close(ts[i].sess);
	free(sig);
	free(ts);
	return rc;
}
