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
#include "cred_cache.h"
#include "frontend.h"
#include "sigv4.h"

struct http_sigv4_request;

/* 0 with *caller filled, or -1 with *exc and msg set. */
int auth_native(struct frontend *fe, const Pca__Api__Request *req, struct caller *caller,
    enum api_exc *exc, char *msg, size_t msglen);

/*
 * Authenticate an HTTP request signed with SigV4 (Authorization header) for
 * the service whose signing name is signing_name: the header parses, the
 * scope is <X-Amz-Date's day>/<this region>/<signing_name>/aws4_request, the
 * time is within +-5 minutes of the real clock, the key (and session token,
 * X-Amz-Security-Token) is valid as for auth_native(), x-amz-content-sha256
 * (when sent) is the body's hash, and the signature of the canonical request
 * (http_sigv4.h) matches. There is no nonce: HTTP SigV4 has none.
 * 0 with *caller filled, or -1 with *exc, msg and *http_status (the status
 * AWS answers with: 403 for a missing or wrong signature, 400 for a time
 * outside the window and the other errors).
 */
int auth_http(struct frontend *fe, const struct http_sigv4_request *rq,
    const char *signing_name, struct caller *caller, enum api_exc *exc, int *http_status,
    char *msg, size_t msglen);

/*
 * The credential lookup both doors share. A scope names an access key and
 * the SigV4 scope a request was signed for; auth_key_lookup() checks the
 * key (long-term: it exists and is active, and no session token comes with
 * it; temporary "ASIA...": the session exists, the token is its own, it has
 * not expired on the service clock) and derives the signing key of the
 * scope (from the credential cache when it can). 0 with *k filled
 * (k->no_key: the scope is malformed, so no signature can match), or -1 with
 * *exc and msg (UnrecognizedClient, ExpiredToken, InternalFailure). Once the
 * door verified the signature with k->skey, auth_key_accept() caches the key
 * and fills *caller. auth_key_clear() wipes k, always.
 */
struct auth_scope {
	const char	*key_id;
	const char	*session_token;		/* NULL or "" when none */
	const char	*date8;			/* "YYYYMMDD" */
	const char	*region;		/* NULL: malformed request */
	const char	*signing_name;
};

struct auth_key {
	uint8_t			 skey[SIGV4_KEY_LEN];
	int			 no_key;
	int			 session;
	int			 cached;
	uint64_t		 gen;
	struct cred_owner	 owner;		/* long-term keys */
	struct caller		 who;		/* sessions */
};

int auth_key_lookup(struct frontend *fe, const struct auth_scope *sc, struct auth_key *k,
    enum api_exc *exc, char *msg, size_t msglen) PCA_MUST_CHECK;
void auth_key_accept(struct frontend *fe, const struct auth_scope *sc,
    const struct auth_key *k, struct caller *caller);
void auth_key_clear(struct auth_key *k);

/* Fill caller for an access key's owner: user_arn (with the user's path)
 * when known, else arn:aws:iam::<account>:user/<name>; root for no user. */
void auth_caller_of(struct caller *c, const char *account_id, const char *user_name,
    const char *user_arn, const char *key_id);

/* Fill caller for a role session: arn:aws:sts::<account>:assumed-role/<role>/<session>. */
void auth_caller_of_session(struct caller *c, const char *account_id, const char *role_name,
    const char *session_name, const char *key_id);

#endif
