/*
 * fixture_instance.h - a real hsmca instance for C integration tests: a
 * fresh SoftHSM2 token and both daemons in a temporary HSMCA_HOME
 * (scripts/lib/instance.sh), and libpca clients for its administrator.
 */
#ifndef PCA_FIXTURE_INSTANCE_H
#define PCA_FIXTURE_INSTANCE_H

#include <protobuf-c/protobuf-c.h>

#include "creds.h"
#include "libpca.h"

struct fx_instance {
	char		home[512];
	char		endpoint[256];
	char		region[64];
	char		credentials[600];
	struct creds	admin;
};

/* Start an instance (test_clock: HSMCA_TEST_CLOCK=1); aborts the test on
 * failure. */
void fx_instance_up(struct fx_instance *fx, int test_clock);
void fx_instance_down(struct fx_instance *fx);
void fx_signer_stop(struct fx_instance *fx);
void fx_signer_start(struct fx_instance *fx);

/* A new client of the administrator (or of creds). */
struct pca_client *fx_client(struct fx_instance *fx, const struct creds *creds);
/* Another account: a fresh administrator written to file (pca-frontend
 * admin-init with another credentials file). */
void fx_new_account(struct fx_instance *fx, const char *name, struct creds *out);

/* Call and expect success / a given error code; the output (success) is
 * returned, free it with protobuf_c_message_free_unpacked. */
ProtobufCMessage *fx_call_ok(struct pca_client *c, const char *op, const ProtobufCMessage *in);
void fx_call_err(struct pca_client *c, const char *op, const ProtobufCMessage *in,
    const char *code);

/* A ROOT CA of key_algorithm (the acm-pca enum value) brought to ACTIVE the
 * AWS way; its ARN into arn (malloc'd). */
char *fx_root_ca(struct pca_client *c, int key_algorithm, int signing_algorithm);
/* A CSR (PEM, malloc'd) for a fresh key: "RSA" with bits, or "EC" with a
 * curve name; cn may be NULL. */
char *fx_csr(const char *type, int bits_or_0, const char *curve, const char *cn, size_t *len);

#endif
