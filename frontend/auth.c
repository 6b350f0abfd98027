/*
 * auth.c - authenticating native API requests (auth.h).
 *
 * The access key's signing key for the request's scope comes from the
 * credential cache when a request with the same key and scope verified
 * since the store last changed (cred_cache.h), and from the store and four
 * HMACs otherwise. Either way every check of auth.h runs, in its order.
 *
 * Temporary credentials (sts:AssumeRole, access key ids "ASIA...") are
 * never cached: each request reads its session from the store, so the
 * session token and the expiry on the service clock are checked every
 * time, and a session that ran out never authenticates from a cache.
 */
#include "auth.h"
#include "api_catalog.h"
#include "clock.h"
#include "cred_cache.h"
#include "envelope.h"
#include "log.h"
#include "log_limit.h"
#include "nonce_cache.h"
#include "sigv4.h"
#include "store.h"
#include "store_iam.h"
#include "wipe.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#define AUTH_TOKEN_INVALID	"The security token included in the request is invalid."
#define AUTH_TOKEN_EXPIRED	"The security token included in the request is expired"

void
auth_caller_of(struct caller *c, const char *account_id, const char *user_name, const char *key_id)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->account_id, sizeof(c->account_id), "%s", account_id);
	snprintf(c->access_key_id, sizeof(c->access_key_id), "%s", key_id);
	if (user_name == NULL) {
		c->is_root = 1;
		c->kind = CALLER_ROOT;
		snprintf(c->arn, sizeof(c->arn), "arn:aws:iam::%s:root", account_id);
	} else {
		c->kind = CALLER_USER;
		snprintf(c->name, sizeof(c->name), "%s", user_name);
		snprintf(c->arn, sizeof(c->arn), "arn:aws:iam::%s:user/%s", account_id, user_name);
	}
}

void
auth_caller_of_session(struct caller *c, const char *account_id, const char *role_name,
    const char *session_name, const char *key_id)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->account_id, sizeof(c->account_id), "%s", account_id);
	snprintf(c->access_key_id, sizeof(c->access_key_id), "%s", key_id);
	c->kind = CALLER_ROLE_SESSION;
	snprintf(c->name, sizeof(c->name), "%s", role_name);
	snprintf(c->session_name, sizeof(c->session_name), "%s", session_name);
	snprintf(c->arn, sizeof(c->arn), "arn:aws:sts::%s:assumed-role/%s/%s", account_id,
	    role_name, session_name);
}

/* Temporary credentials have ids "ASIA..." (long-term keys "AKIA..."). */
static int
is_session_key(const char *key_id)
{
	return strncmp(key_id, "ASIA", 4) == 0;
}

/* 1 when the request's token is the session's, compared in constant time
 * (only the length can show). */
static int
token_equal(const char *given, const char *want)
{
	size_t n;

	if (given == NULL || want == NULL || (n = strlen(want)) == 0 || strlen(given) != n)
		return 0;
	return CRYPTO_memcmp(given, want, n) == 0;
}

/* A replayed request is logged as a warning, but anyone holding a copy of
 * one can send it again and again (log_limit.h). */
#define AUTH_REPLAY_LINES_PER_SEC	5
static struct log_limit gl_replay_lines = LOG_LIMIT_INIT(AUTH_REPLAY_LINES_PER_SEC);

static int
fail(enum api_exc *exc, enum api_exc e, char *msg, size_t msglen, const char *text)
{
	*exc = e;
	snprintf(msg, msglen, "%s", text);
	return -1;
}

/*
 * The signing key and owner of req's access key for its scope, from the
 * cache or the store: 0; PCA_ERR_NOT_FOUND when the key does not exist or
 * is inactive; PCA_ERR_AUTH when no key can be derived for the request's
 * scope; another code when the store failed. *cached tells which.
 */
static int
auth_signing_key(struct frontend *fe, const Pca__Api__Request *req, const char *date8,
    const char *signing_name, uint64_t gen, uint8_t skey[SIGV4_KEY_LEN],
    struct cred_owner *owner, int *cached)
{
	struct store_access_key key;
	int r;

	*cached = 0;
	if (cred_cache_get(fe->creds, gen, req->access_key_id, date8, req->region,
	    signing_name, skey, owner) == 0) {
		*cached = 1;
		return 0;
	}
	memset(owner, 0, sizeof(*owner));
	if ((r = store_access_key_get(fe->store, req->access_key_id, &key)) != 0)
		goto out;
	if (!key.active) {
		r = PCA_ERR_NOT_FOUND;
		goto out;
	}
	if (envelope_signing_key(req, key.secret, signing_name, skey) != 0) {
		r = PCA_ERR_AUTH;	/* no region: the envelope is malformed */
		goto out;
	}
	memcpy(owner->account_id, key.account_id, sizeof(owner->account_id));
	owner->is_root = key.user_name == NULL;
	if (key.user_name != NULL)
		snprintf(owner->user_name, sizeof(owner->user_name), "%s", key.user_name);
	r = 0;
 out:
	store_access_key_clear(&key);		/* wipes the secret */
	return r;
}

/*
 * The session of req's temporary access key: it exists, the request carries
 * its token, and it has not expired on the service clock. 0 with skey
 * derived from the session's secret (*no_key set instead when no key can be
 * derived for the request's scope) and *who filled; -1 with *exc and msg.
 */
static int
auth_session(struct frontend *fe, const Pca__Api__Request *req, const char *signing_name,
    uint8_t skey[SIGV4_KEY_LEN], int *no_key, struct caller *who, enum api_exc *exc,
    char *msg, size_t msglen)
{
	struct store_session s;
	int r, rc = -1;

	*no_key = 0;
	memset(&s, 0, sizeof(s));
	r = store_session_get(fe->store, req->access_key_id, &s);
	if (r == PCA_ERR_NOT_FOUND) {
		rc = fail(exc, EXC_UNRECOGNIZED_CLIENT, msg, msglen, AUTH_TOKEN_INVALID);
		goto out;
	}
	if (r != 0) {
		log_error_fr(r, "store: session %.32s", req->access_key_id);
		rc = fail(exc, EXC_INTERNAL, msg, msglen, "Internal error.");
		goto out;
	}
	if (!token_equal(req->session_token, s.token)) {
		rc = fail(exc, EXC_UNRECOGNIZED_CLIENT, msg, msglen, AUTH_TOKEN_INVALID);
		goto out;
	}
	if (s.expires_at <= clock_now()) {
		rc = fail(exc, EXC_EXPIRED_TOKEN, msg, msglen, AUTH_TOKEN_EXPIRED);
		goto out;
	}
	if (envelope_signing_key(req, s.secret, signing_name, skey) != 0)
		*no_key = 1;		/* no region: the envelope is malformed */
	auth_caller_of_session(who, s.account_id, s.role_name != NULL ? s.role_name : "",
	    s.session_name != NULL ? s.session_name : "", req->access_key_id);
	rc = 0;
 out:
	store_session_clear(&s);		/* wipes the secret */
	return rc;
}

int
auth_native(struct frontend *fe, const Pca__Api__Request *req, struct caller *caller,
    enum api_exc *exc, char *msg, size_t msglen)
{
	const struct api_service *svc;
	struct cred_owner owner;
	struct caller who;
	uint8_t skey[SIGV4_KEY_LEN];
	char why[512], date8[9];
	int64_t ts, now = clock_real();
	uint64_t gen;
	int r, rc = -1, cached = 0, session, no_key;

	memset(skey, 0, sizeof(skey));
	if ((svc = api_service_find(req->service)) == NULL)
		return fail(exc, EXC_UNKNOWN_OPERATION, msg, msglen, "Unknown service.");
	if (req->access_key_id[0] == '\0')
		return fail(exc, EXC_MISSING_AUTH, msg, msglen, "Missing Authentication Token");
	if (sigv4_parse_amzdate(req->timestamp, &ts) != 0)
		return fail(exc, EXC_INCOMPLETE_SIGNATURE, msg, msglen,
		    "The request timestamp is not of the form YYYYMMDDTHHMMSSZ.");
	if (sigv4_check_window(ts, now, why, sizeof(why)) != 0)
		return fail(exc, EXC_INVALID_SIGNATURE, msg, msglen, why);
	/*
	 * The nonces seen before a restart are gone with the process, so a
	 * request signed before this frontend started could be a replay, or
	 * one nanomsg resent after the restart that the previous process
	 * already carried out. Refuse it; the window refuses the rest.
	 */
	if (ts < fe->started_at)
		return fail(exc, EXC_INVALID_SIGNATURE, msg, msglen,
		    "The request was signed before the service started; sign it again.");
	/* the generation first: what the store says after it is at least
	 * that new (store.h) */
	gen = store_credentials_generation(fe->store);
	memcpy(date8, req->timestamp, 8);	/* the scope's date; parsed above */
	date8[8] = '\0';
	memset(&owner, 0, sizeof(owner));
	if ((session = is_session_key(req->access_key_id))) {
		if (auth_session(fe, req, svc->signing_name, skey, &no_key, &who, exc, msg,
		    msglen) != 0)
			goto out;
		r = no_key ? PCA_ERR_AUTH : 0;
	} else {
		r = auth_signing_key(fe, req, date8, svc->signing_name, gen, skey, &owner,
		    &cached);
		if (r == PCA_ERR_NOT_FOUND) {
			rc = fail(exc, EXC_UNRECOGNIZED_CLIENT, msg, msglen, AUTH_TOKEN_INVALID);
			goto out;
		}
		if (r != 0 && r != PCA_ERR_AUTH) {
			rc = fail(exc, EXC_INTERNAL, msg, msglen, "Internal error.");
			goto out;
		}
		if (req->session_token != NULL && req->session_token[0] != '\0') {
			/* long-term keys carry no session token */
			rc = fail(exc, EXC_UNRECOGNIZED_CLIENT, msg, msglen, AUTH_TOKEN_INVALID);
			goto out;
		}
	}
	if (r == PCA_ERR_AUTH ||
	    envelope_verify_key(req, skey, svc->signing_name, why, sizeof(why)) != 0) {
		rc = fail(exc, EXC_INVALID_SIGNATURE, msg, msglen,
		    "The request signature we calculated does not match the signature you "
		    "provided. Check your AWS Secret Access Key and signing method. Consult "
		    "the service documentation for details.");
		goto out;
	}
	r = nonce_cache_check_and_add(fe->nonces, req->access_key_id, req->nonce, ts, now);
	if (r == PCA_ERR_EXISTS) {
		unsigned long dropped;
		char note[LOG_LIMIT_NOTE_LEN];

		if (log_limit_allow(&gl_replay_lines, &dropped))
			log_warn("replayed request refused: key %.32s%s", req->access_key_id,
			    log_limit_note(dropped, note));
		rc = fail(exc, EXC_INVALID_SIGNATURE, msg, msglen,
		    "The request was already received: its nonce has been used.");
		goto out;
	}
	if (r != 0) {
		rc = fail(exc, EXC_THROTTLING, msg, msglen, "Rate exceeded");
		goto out;
	}
	if (session) {
		*caller = who;
	} else {
		if (!cached)
			cred_cache_put(fe->creds, gen, req->access_key_id, date8, req->region,
			    svc->signing_name, skey, &owner);
		auth_caller_of(caller, owner.account_id, owner.is_root ? NULL : owner.user_name,
		    req->access_key_id);
	}
	rc = 0;
 out:
	wipe(skey, sizeof(skey));
	return rc;
}
