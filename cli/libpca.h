/*
 * libpca.h - the C client library of hsmca's native socket API.
 *
 *	struct creds cr;		(creds.h: resolved like the AWS CLI)
 *	struct pca_client *c;
 *	struct pca_error err;
 *	pca_client_open("tcp://127.0.0.1:7000", &cr, "us-east-1", 60000, &c);
 *	Pca__Api__AcmPca__IssueCertificateRequest in = ...;
 *	ProtobufCMessage *out;
 *	if (pca_call(c, "acm-pca", "IssueCertificate", &in.base, &out, &err) != 0)
 *		fprintf(stderr, "%s: %s\n", err.code, err.message);
 *
 * Every request is signed with the credentials (common/envelope.h): a fresh
 * nonce and the current time each time. One client holds one socket and one
 * outstanding request: use one client per thread.
 */
#ifndef PCA_LIBPCA_H
#define PCA_LIBPCA_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#include "creds.h"
#include "err.h"

struct pca_client;

struct pca_error {
	char	code[96];	/* AWS exception name, or a local one (see pca_call) */
	char	message[1024];
	int	retryable;
};

int pca_client_open(const char *endpoint, const struct creds *cr, const char *region,
    int timeout_ms, struct pca_client **out) PCA_MUST_CHECK;
void pca_client_close(struct pca_client *c);

/*
 * Call service:operation with in (the operation's input message). On success
 * *out is the output message (free with protobuf_c_message_free_unpacked).
 * On failure -1 and err: the service's error, or locally "UnknownOperation"
 * (not in the catalog), "RequestTimeout" (no answer in time: the service or
 * the network is down; retryable), "ResponseError" (an answer that does not
 * decode).
 */
int pca_call(struct pca_client *c, const char *service, const char *operation,
    const ProtobufCMessage *in, ProtobufCMessage **out, struct pca_error *err);

/* For tests: a signed envelope of payload bytes, packed; and a raw
 * exchange of bytes with the service. */
int pca_request_build(struct pca_client *c, const char *service, const char *operation,
    const uint8_t *payload, size_t payload_len, uint8_t **out, size_t *out_len) PCA_MUST_CHECK;
int pca_call_raw(struct pca_client *c, const uint8_t *req, size_t req_len,
    uint8_t **resp, size_t *resp_len) PCA_MUST_CHECK;

#endif
