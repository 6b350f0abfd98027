/*
 * signer.h - pca-signer: a fixed table of structured requests served by a
 * pool of worker threads, each with its own PKCS#11 session.
 *
 * The request table (signer.c) is the whole surface of the key-holding
 * process: unknown kinds, other protocol versions, unknown fields and
 * unknown enum values are refused before any handler runs. A malformed
 * request costs one answer (PCA_ERR_MALFORMED), a log line and a counter,
 * never the process.
 */
#ifndef PCA_SIGNER_H
#define PCA_SIGNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>

#include "err.h"
#include "signer.pb-c.h"

struct hsm;
struct hsm_session;
struct issuer_cache;
struct policy;
struct sign_cache;

struct signer_config {
	char			*token_uri;
	char			*listen;	/* ipc:// or tcp:// */
	char			*policy_file;	/* NULL: built-in defaults */
	unsigned long long	 workers;	/* 0: number of cores */
	char			*log_level;
};

struct signer {
	struct hsm		*hsm;
	struct policy		*policy;
	struct sign_cache	*cache;
	struct issuer_cache	*issuers;	/* NULL: parse every time */
	int			 sock;
	unsigned		 nworkers;
	atomic_ullong		 n_requests;
	atomic_ullong		 n_malformed;
	atomic_ullong		 n_failed;
};

/* What one worker owns. */
struct signer_worker {
	struct signer		*signer;
	struct hsm_session	*sess;		/* NULL while the token is down */
	unsigned		 index;
};

/*
 * One request handler: fills resp (its body and body_case) from req, or
 * returns a PCA_ERR_* code with why set (a short text for the log and the
 * frontend; no secrets). Sub-messages placed in resp are malloc'd.
 */
typedef int signer_op_fn(struct signer_worker *w, const Pca__Signer__Request *req,
    Pca__Signer__Response *resp, char *why, size_t whylen);

signer_op_fn op_health, op_generate_key, op_get_public_key, op_destroy_key,
    op_random, op_sign_csr, op_sign_cert, op_wrap_data_key, op_unwrap_data_key;

/*
 * Decode, check and dispatch one request (bytes as received) and produce
 * the packed answer (*out malloc'd). Always produces an answer, even for
 * garbage: the frontend then learns why. The answer may hold a secret (a
 * data key): free it with free_wiped(). in is the caller's to wipe.
 */
int signer_handle(struct signer_worker *w, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len);

/* Run nworkers threads on s->sock until wire_term(). */
int signer_serve(struct signer *s) PCA_MUST_CHECK;

#endif
