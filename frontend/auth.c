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
#include "http_sigv4.h"
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
#define AUTH_SIGNATURE_MISMATCH	"The request signature we calculated does not match the " \
	"signature you provided. Check your AWS Secret Access Key and signing method. " \
	"Consult the service documentation for details."

void
auth_caller_of(struct caller *c, const char *account_id, const char *user_name,
    const char *user_arn, const char *key_id)
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
		if (user_arn != NULL && user_arn[0] != '\0')
			snprintf(c->arn, sizeof(c->arn), "%s", user_arn);
		else
			snprintf(c->arn, sizeof(c->arn), "arn:aws:iam::%s:user/%s", account_id,
			    user_name);
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
 * The signing key and owner of a long-term access key for a scope, from the
 * cache or the store: 0; PCA_ERR_NOT_FOUND when the key does not exist or
 * is inactive; PCA_ERR_AUTH when no key can be derived for the scope (no
 * region); another code when the store failed. *cached tells which.
 */
static int
auth_signing_key(struct frontend *fe, const struct auth_scope *sc, uint64_t gen,
    uint8_t skey[SIGV4_KEY_LEN], struct cred_owner *owner, int *cached)
{
	struct store_access_key key;
	int r;

	*cached = 0;
	if (sc->region != NULL && cred_cache_get(fe->creds, gen, sc->key_id, sc->date8,
	    sc->region, sc->signing_name, skey, owner) == 0) {
		*cached = 1;
		return 0;
	}
	memset(owner, 0, sizeof(*owner));
	if ((r = store_access_key_get(fe->store, sc->key_id, &key)) != 0)
		goto out;
	if (!key.active) {
		r = PCA_ERR_NOT_FOUND;
		goto out;
	}
	if (sc->region == NULL) {
		r = PCA_ERR_AUTH;
		goto out;
	}
	sigv4_signing_key(key.secret, sc->date8, sc->region, sc->signing_name, skey);
	memcpy(owner->account_id, key.account_id, sizeof(owner->account_id));
	owner->is_root = key.user_name == NULL;
	if (key.user_name != NULL)
		snprintf(owner->user_name, sizeof(owner->user_name), "%s", key.user_name);
	if (key.user_arn != NULL)
		snprintf(owner->user_arn, sizeof(owner->user_arn), "%s", key.user_arn);
	r = 0;
 out:
	store_access_key_clear(&key);		/* wipes the secret */
	return r;
}

/*
 * The session of a temporary access key: it exists, the request carries its
 * token, and it has not expired on the service clock. 0 with skey derived
 * from the session's secret (*no_key set instead when no key can be derived
 * for the scope) and *who filled; -1 with *exc and msg.
 */
static int
auth_session(struct frontend *fe, const struct auth_scope *sc,
    uint8_t skey[SIGV4_KEY_LEN], int *no_key, struct caller *who, enum api_exc *exc,
    char *msg, size_t msglen)
{
	struct store_session s;
	int r, rc = -1;

	*no_key = 0;
	memset(&s, 0, sizeof(s));
	r = store_session_get(fe->store, sc->key_id, &s);
	if (r == PCA_ERR_NOT_FOUND) {
		rc = fail(exc, EXC_UNRECOGNIZED_CLIENT, msg, msglen, AUTH_TOKEN_INVALID);
		goto out;
	}
	if (r != 0) {
		log_error_fr(r, "store: session %.32s", sc->key_id);
		rc = fail(exc, EXC_INTERNAL, msg, msglen, "Internal error.");
		goto out;
	}
	if (!token_equal(sc->session_token, s.token)) {
		rc = fail(exc, EXC_UNRECOGNIZED_CLIENT, msg, msglen, AUTH_TOKEN_INVALID);
		goto out;
	}
	if (s.expires_at <= clock_now()) {
		rc = fail(exc, EXC_EXPIRED_TOKEN, msg, msglen, AUTH_TOKEN_EXPIRED);
		goto out;
	}
	if (sc->region != NULL)
		sigv4_signing_key(s.secret, sc->date8, sc->region, sc->signing_name, skey);
	else
		*no_key = 1;		/* no region: the request is malformed */
	auth_caller_of_session(who, s.account_id, s.role_name != NULL ? s.role_name : "",
	    s.session_name != NULL ? s.session_name : "", sc->key_id);
	rc = 0;
 out:
	store_session_clear(&s);		/* wipes the secret */
	return rc;
}

int
auth_key_lookup(struct frontend *fe, const struct auth_scope *sc, struct auth_key *k,
    enum api_exc *exc, char *msg, size_t msglen)
{
	int r;

	memset(k, 0, sizeof(*k));
	/* the generation first: what the store says after it is at least
	 * that new (store.h) */
	k->gen = store_credentials_generation(fe->store);
	if ((k->session = is_session_key(sc->key_id))) {
		if (auth_session(fe, sc, k->skey, &k->no_key, &k->who, exc, msg, msglen) != 0)
			return -1;
		return 0;
	}
	r = auth_signing_key(fe, sc, k->gen, k->skey, &k->owner, &k->cached);
	if (r == PCA_ERR_NOT_FOUND)
		return fail(exc, EXC_UNRECOGNIZED_CLIENT, msg, msglen, AUTH_TOKEN_INVALID);
	if (r != 0 && r != PCA_ERR_AUTH)
		return fail(exc, EXC_INTERNAL, msg, msglen, "Internal error.");
	if (sc->session_token != NULL && sc->session_token[0] != '\0')
		/* long-term keys carry no session token */
		return fail(exc, EXC_UNRECOGNIZED_CLIENT, msg, msglen, AUTH_TOKEN_INVALID);
	k->no_key = r == PCA_ERR_AUTH;
	return 0;
}

void
auth_key_accept(struct frontend *fe, const struct auth_scope *sc, const struct auth_key *k,
    struct caller *caller)
{
	if (k->session) {
		*caller = k->who;
		return;
	}
	if (!k->cached)
		cred_cache_put(fe->creds, k->gen, sc->key_id, sc->date8, sc->region,
		    sc->signing_name, k->skey, &k->owner);
	auth_caller_of(caller, k->owner.account_id, k->owner.is_root ? NULL : k->owner.user_name,
	    k->owner.user_arn, sc->key_id);
}

void
auth_key_clear(struct auth_key *k)
{
	wipe(k->skey, sizeof(k->skey));
}

int
auth_native(struct frontend *fe, const Pca__Api__Request *req, struct caller *caller,
    enum api_exc *exc, char *msg, size_t msglen)
{
	const struct api_service *svc;
	struct auth_scope sc;
	struct auth_key k;
	char why[512], date8[9];
	int64_t ts, now = clock_real();
	int r, rc = -1;

	memset(&k, 0, sizeof(k));
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
	memcpy(date8, req->timestamp, 8);	/* the scope's date; parsed above */
	date8[8] = '\0';
	sc.key_id = req->access_key_id;
	sc.session_token = req->session_token;
	sc.date8 = date8;
	sc.region = req->region;
	sc.signing_name = svc->signing_name;
	if (auth_key_lookup(fe, &sc, &k, exc, msg, msglen) != 0)
		goto out;
	if (k.no_key ||
	    envelope_verify_key(req, k.skey, svc->signing_name, why, sizeof(why)) != 0) {
		rc = fail(exc, EXC_INVALID_SIGNATURE, msg, msglen, AUTH_SIGNATURE_MISMATCH);
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
	auth_key_accept(fe, &sc, &k, caller);
	rc = 0;
 out:
	auth_key_clear(&k);
	return rc;
}

/* 1 when the ';'-separated list names name. */
static int
signed_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p != NULL; p = strchr(p, ';') != NULL ? strchr(p, ';') + 1 :
	    NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ';' || p[n] == '\0'))
			return 1;
	return 0;
}

/*
 * HTTP requests signed with SigV4. The checks run in AWS's order: the
 * header parses, the scope is right, the time is in the window, the key is
 * valid, the signature matches. AWS answers a missing or wrong signature
 * with 403 and the other failures with 400.
 */
int
auth_http(struct frontend *fe, const struct http_sigv4_request *rq,
    const char *signing_name, struct caller *caller, enum api_exc *exc, int *http_status,
    char *msg, size_t msglen)
{
	struct http_sigv4_auth a;
	struct auth_scope sc;
	struct auth_key k;
	const char *hdr, *amzdate, *token, *content_sha;
	char why[512], body_sha[65], sig[SIGV4_SIG_HEX_LEN + 1];
	int64_t ts;
	int r, rc = -1;

	memset(&k, 0, sizeof(k));
	*http_status = 400;
	if ((hdr = http_sigv4_header(rq, "Authorization")) == NULL || hdr[0] == '\0') {
		*http_status = 403;
		return fail(exc, EXC_MISSING_AUTH, msg, msglen, "Missing Authentication Token");
	}
	if ((r = http_sigv4_parse_authorization(hdr, &a, why, sizeof(why))) != 0)
		return fail(exc, EXC_INCOMPLETE_SIGNATURE, msg, msglen, why);
	if ((amzdate = http_sigv4_header(rq, "X-Amz-Date")) == NULL)
		return fail(exc, EXC_INCOMPLETE_SIGNATURE, msg, msglen,
		    "Authorization header requires existence of either a 'X-Amz-Date' or "
		    "a 'Date' header.");
	if (sigv4_parse_amzdate(amzdate, &ts) != 0)
		return fail(exc, EXC_INCOMPLETE_SIGNATURE, msg, msglen,
		    "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".");
	if (!signed_has(a.signed_headers, "host") || http_sigv4_header(rq, "Host") == NULL)
		return fail(exc, EXC_INCOMPLETE_SIGNATURE, msg, msglen,
		    "'Host' must be a 'SignedHeader' in the AWS Authorization.");
	*http_status = 403;
	if (strcmp(a.terminator, "aws4_request") != 0) {
		snprintf(why, sizeof(why), "Credential should be scoped with a valid terminator: "
		    "'aws4_request', not '%.64s'.", a.terminator);
		return fail(exc, EXC_INVALID_SIGNATURE, msg, msglen, why);
	}
	if (strncmp(a.date8, amzdate, 8) != 0 || strlen(a.date8) != 8) {
		snprintf(why, sizeof(why), "Date in Credential scope does not match "
		    "YYYYMMDD from ISO-8601 version of date from HTTP: '%.64s' != '%.8s', "
		    "from '%.16s'.", a.date8, amzdate, amzdate);
		return fail(exc, EXC_INVALID_SIGNATURE, msg, msglen, why);
	}
	if (strcmp(a.region, fe->cfg.region) != 0) {
		snprintf(why, sizeof(why), "Credential should be scoped to a valid region, "
		    "not '%.64s'.", a.region);
		return fail(exc, EXC_INVALID_SIGNATURE, msg, msglen, why);
	}
	if (strcmp(a.service, signing_name) != 0) {
		snprintf(why, sizeof(why), "Credential should be scoped to correct service: "
		    "'%s'.", signing_name);
		return fail(exc, EXC_INVALID_SIGNATURE, msg, msglen, why);
	}
	/* the window on the real clock, never the test clock */
	if (sigv4_check_window(ts, clock_real(), why, sizeof(why)) != 0) {
		*http_status = 400;
		return fail(exc, EXC_INVALID_SIGNATURE, msg, msglen, why);
	}
	sigv4_sha256_hex(rq->body, rq->body_len, body_sha);
	if ((content_sha = http_sigv4_header(rq, "X-Amz-Content-SHA256")) != NULL &&
	    strcmp(content_sha, body_sha) != 0) {
		*http_status = 400;
		return fail(exc, EXC_INVALID_SIGNATURE, msg, msglen,
		    "The provided 'x-amz-content-sha256' header does not match what was "
		    "computed.");
	}
	token = http_sigv4_header(rq, "X-Amz-Security-Token");
	sc.key_id = a.key_id;
	sc.session_token = token;
	sc.date8 = a.date8;
	sc.region = a.region;
	sc.signing_name = signing_name;
	*http_status = 400;
	if (auth_key_lookup(fe, &sc, &k, exc, msg, msglen) != 0) {
		if (*exc == EXC_INTERNAL)
			*http_status = 500;
		goto out;
	}
	*http_status = 403;
	if (k.no_key)
		goto mismatch;
	r = http_sigv4_signature(rq, &a, amzdate, content_sha != NULL ? content_sha : body_sha,
	    k.skey, sig, why, sizeof(why));
	if (r == PCA_ERR_MALFORMED) {
		*http_status = 400;
		rc = fail(exc, EXC_INCOMPLETE_SIGNATURE, msg, msglen, why);
		goto out;
	}
	if (r != 0) {
		*http_status = 500;
		rc = fail(exc, EXC_INTERNAL, msg, msglen, "Internal error.");
		goto out;
	}
	if (!sigv4_sig_equal(sig, a.signature))
		goto mismatch;
	auth_key_accept(fe, &sc, &k, caller);
	*http_status = 200;
	rc = 0;
	goto out;
 mismatch:
	rc = fail(exc, EXC_INVALID_SIGNATURE, msg, msglen, AUTH_SIGNATURE_MISMATCH);
 out:
	auth_key_clear(&k);
	wipe(sig, sizeof(sig));
	return rc;
}
