/*
 * auth.h - authenticating native API requests (proto/api.proto envelopes).
 *
 * Checks, in order (the order of AWS's SigV4 checks): the fields are well
 * formed; the timestamp is within +-5 minutes of the real clock (never the
 * test clock); the access key exists and is active -- for temporary
 * credentials (ids "ASIA...", sts:AssumeRole), the session exists, the
 * request carries its session token, and it has not expired on the
 * service clock (which a test clock moves); the signature verifies; the
 * nonce was not seen before. The typed errors are AWS's:
 * IncompleteSignatureException, InvalidSignatureException (also for a
 * replayed nonce), UnrecognizedClientException, ExpiredTokenException,
 * ThrottlingException.
 */
#ifndef PCA_AUTH_H
#define PCA_AUTH_H

#include <stddef.h>

#include "api.pb-c.h"
#include "api_error.h"
#include "frontend.h"

/* 0 with *caller filled, or -1 with *exc and msg set. */
int auth_native(struct frontend *fe, const Pca__Api__Request *req, struct caller *caller,
    enum api_exc *exc, char *msg, size_t msglen);

/* Fill caller for an access key's owner. */
void auth_caller_of(struct caller *c, const char *account_id, const char *user_name,
    const char *key_id);

/* Fill caller for a role session: arn:aws:sts::<account>:assumed-role/<role>/<session>. */
void auth_caller_of_session(struct caller *c, const char *account_id, const char *role_name,
    const char *session_name, const char *key_id);

#endif
