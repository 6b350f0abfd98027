/*
 * bench_raw.h - the raw signing rate of the instance's token, measured in
 * the benchmark's own process: what end-to-end figures are set against.
 *
 * Shared by bench_issue and bench_renew (tests/CMakeLists.txt builds it
 * into the pcabench library, not as a benchmark of its own).
 *
 * Call it only while both daemons are up and idle: SoftHSM2 2.6.1 fails
 * now and then when processes start on one token at once, and never while
 * the signer generates a key.
 */
#ifndef PCA_BENCH_RAW_H
#define PCA_BENCH_RAW_H

#include <stdint.h>

#include "hsm.h"

#define BENCH_RAW_SECONDS	3.0	/* default length of a measurement */
#define BENCH_TBS_LEN		700	/* bytes signed per raw C_Sign */

struct hsm;

struct bench_raw {
	double		 rate;		/* signatures/s, one thread per core */
	double		 rate1;		/* signatures/s, one thread */
	double		 verify_us;	/* one local verification */
	unsigned	 threads;
	double		 others;	/* share of the cores others used meanwhile */
};

/*
 * The raw rate of alg on the token hsm (opened by hsm_open on signer.conf's
 * token-uri): a temporary key with the fixed id (a key left there by an
 * interrupted run is destroyed first), nthreads sessions and threads
 * signing SHA-256 over BENCH_TBS_LEN random bytes for secs seconds, then one
 * thread for half as long, to show how signing scales; one signature is
 * verified locally and that check timed. The key is destroyed at the end.
 * name only labels the progress lines (stderr). 0, or -1 after saying why.
 */
int bench_raw_measure(struct hsm *hsm, const char *name, enum hsm_key_alg alg,
    const uint8_t id[HSM_KEY_ID_LEN], unsigned nthreads, double secs, struct bench_raw *res);

#endif
