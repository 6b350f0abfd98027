/*
 * test_auth.c - frontend/auth.c with its credential cache and a real
 * store: requests authenticate from the cache once one verified, failed
 * ones leave nothing behind, and a key deactivated or rotated in the store
 * stops working on the very next request, also while other threads keep
 * authenticating with it. Temporary credentials (sts:AssumeRole sessions)
 * need their token, expire on the service clock, and never enter the cache.
 */
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "cred_cache.h"
#include "envelope.h"
#include "nonce_cache.h"
#include "store.h"
#include "store_iam.h"

#define ACCT		"111122223333"
#define AKID		"AKIAAUTHTESTEXAMPLE1"
#define AKID_USER	"AKIAAUTHTESTEXAMPLE2"
#define SECRET		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SECRET2		"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
#define ASID		"ASIAAUTHTESTSESSION1"
#define ROLE		"deployer"
#define TOKEN		"FwoGZXIvYXdzEJr//////////wEaDAuthTestSessionTokenExample" \
			"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/=="

static uint8_t payload[] = { 0x0a, 0x03, 'a', 'r', 'n' };

struct fx {
	struct frontend	fe;
	char		db[512];
};

static void
put_key(struct store *st, const char *id, const char *secret, const char *user, int active)
{
	struct store_access_key k;

	memset(&k, 0, sizeof(k));
	k.id = (char *)id;
	k.secret = (char *)secret;
	snprintf(k.account_id, sizeof(k.account_id), "%s", ACCT);
	k.user_name = (char *)user;
	k.active = active;
	k.created_at = 1000;
	assert_int_eq(store_access_key_put(st, &k), 0);
}

static void
fx_open(struct fx *fx, const char *name, int with_cache)
{
	struct store_account a;
	struct store_user u;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->db, sizeof(fx->db), "%s/%s.db", test_tmpdir(), name);
	assert_int_eq(store_open(fx->db, &fx->fe.store), 0);
	assert_int_eq(nonce_cache_new(1u << 20, &fx->fe.nonces), 0);
	if (with_cache)
		assert_int_eq(cred_cache_new(CRED_CACHE_SLOTS, &fx->fe.creds), 0);
	fx->fe.started_at = clock_real() - 10;
	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", ACCT);
	a.name = "auth test";
	a.created_at = 1000;
	assert_int_eq(store_account_put(fx->fe.store, &a), 0);
	memset(&u, 0, sizeof(u));
	snprintf(u.account_id, sizeof(u.account_id), "%s", ACCT);
	u.name = "alice";
	u.arn = "arn:aws:iam::" ACCT ":user/alice";
	u.created_at = 1000;
	assert_int_eq(store_user_put(fx->fe.store, &u), 0);
	put_key(fx->fe.store, AKID, SECRET, NULL, 1);
	put_key(fx->fe.store, AKID_USER, SECRET, "alice", 1);
}

static void
fx_close(struct fx *fx)
{
	cred_cache_free(fx->fe.creds);
	nonce_cache_free(fx->fe.nonces);
	store_close(fx->fe.store);
}

/* One request signed with (id, secret, session token or NULL), through
 * auth_native: the exception (EXC_NONE on success) and the caller. */
static enum api_exc
call_tok(struct fx *fx, const char *id, const char *secret, const char *token,
    struct caller *caller)
{
	Pca__Api__Request req = PCA__API__REQUEST__INIT;
	enum api_exc exc = EXC_NONE;
	char msg[512];
	struct caller c;

	req.version = API_PROTO_VERSION;
	req.service = (char *)"acm-pca";
	req.operation = (char *)"IssueCertificate";
	req.payload.data = payload;
	req.payload.len = sizeof(payload);
	assert_int_eq(envelope_sign(&req, id, secret, token, "us-east-1", "acm-pca",
	    clock_real()), 0);
	if (auth_native(&fx->fe, &req, caller != NULL ? caller : &c, &exc, msg,
	    sizeof(msg)) == 0)
		exc = EXC_NONE;
	else
		assert_int_ne(exc, EXC_NONE);
	envelope_clear(&req);
	return exc;
}

static enum api_exc
call(struct fx *fx, const char *id, const char *secret, struct caller *caller)
{
	return call_tok(fx, id, secret, NULL, caller);
}

static void
test_cached(void)
{
	struct fx fx;
	struct caller c;
	size_t n;

	fx_open(&fx, "cached", 1);
	assert_int_eq(call(&fx, AKID, SECRET, &c), EXC_NONE);
	assert_str_eq(c.account_id, ACCT);
	assert_str_eq(c.arn, "arn:aws:iam::" ACCT ":root");
	assert_int_eq(c.is_root, 1);
	assert_str_eq(c.access_key_id, AKID);
	assert_int_eq(cred_cache_size(fx.fe.creds), 1);
	/* from the cache: the same caller */
	memset(&c, 0, sizeof(c));
	assert_int_eq(call(&fx, AKID, SECRET, &c), EXC_NONE);
	assert_str_eq(c.arn, "arn:aws:iam::" ACCT ":root");
	assert_int_eq(c.is_root, 1);
	assert_int_eq(cred_cache_size(fx.fe.creds), 1);
	/* a user's key */
	assert_int_eq(call(&fx, AKID_USER, SECRET, &c), EXC_NONE);
	assert_int_eq(call(&fx, AKID_USER, SECRET, &c), EXC_NONE);
	assert_str_eq(c.arn, "arn:aws:iam::" ACCT ":user/alice");
	assert_int_eq(c.is_root, 0);
	/* 2, unless both keys share a slot (1 in CRED_CACHE_SLOTS) */
	n = cred_cache_size(fx.fe.creds);
	assert_int_ge(n, 1);
	/* a wrong secret fails, cached key or not, and adds nothing */
	assert_int_eq(call(&fx, AKID_USER, SECRET2, NULL), EXC_INVALID_SIGNATURE);
	assert_int_eq(call(&fx, AKID, SECRET2, NULL), EXC_INVALID_SIGNATURE);
	assert_int_eq(call(&fx, "AKIAUNKNOWNKEY000000", SECRET, NULL), EXC_UNRECOGNIZED_CLIENT);
	assert_int_eq(cred_cache_size(fx.fe.creds), n);
	fx_close(&fx);
}

static void
test_deactivated_next_request(void)
{
	struct fx fx;

	fx_open(&fx, "deactivated", 1);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_NONE);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_NONE);
	/* deactivated in the store: refused on the next request */
	put_key(fx.fe.store, AKID, SECRET, NULL, 0);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_UNRECOGNIZED_CLIENT);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_UNRECOGNIZED_CLIENT);
	/* the other key still works */
	assert_int_eq(call(&fx, AKID_USER, SECRET, NULL), EXC_NONE);
	put_key(fx.fe.store, AKID, SECRET, NULL, 1);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_NONE);
	fx_close(&fx);
}

static void
test_rotated_next_request(void)
{
	struct fx fx;

	fx_open(&fx, "rotated", 1);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_NONE);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_NONE);
	put_key(fx.fe.store, AKID, SECRET2, NULL, 1);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_INVALID_SIGNATURE);
	assert_int_eq(call(&fx, AKID, SECRET2, NULL), EXC_NONE);
	assert_int_eq(call(&fx, AKID, SECRET2, NULL), EXC_NONE);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_INVALID_SIGNATURE);
	fx_close(&fx);
}

/* Without a cache every request reads the store, with the same answers. */
static void
test_no_cache(void)
{
	struct fx fx;

	fx_open(&fx, "nocache", 0);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_NONE);
	assert_int_eq(call(&fx, AKID, SECRET2, NULL), EXC_INVALID_SIGNATURE);
	put_key(fx.fe.store, AKID, SECRET, NULL, 0);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_UNRECOGNIZED_CLIENT);
	fx_close(&fx);
}

struct racer {
	struct fx		*fx;
	atomic_int		*deactivated;	/* set once the put returned */
	atomic_int		*stop;
	unsigned long		 ok, late;
	atomic_ulong		 refused;
};

static void *
racer_main(void *arg)
{
	struct racer *r = arg;
	enum api_exc exc;
	int before;

	while (!atomic_load(r->stop)) {
		before = atomic_load(r->deactivated);
		exc = call(r->fx, AKID, SECRET, NULL);
		if (exc == EXC_NONE) {
			r->ok++;
			if (before)		/* started after the key was gone */
				r->late++;
		} else {
			atomic_fetch_add(&r->refused, 1);
		}
	}
	return NULL;
}

/* Threads authenticate while the key is deactivated: no request that
 * started after store_access_key_put() returned succeeds. */
static void
test_deactivated_race(void)
{
	struct fx fx;
	struct racer r[4];
	pthread_t th[4];
	atomic_int deactivated = 0, stop = 0;
	unsigned long ok = 0, late = 0;

	fx_open(&fx, "race", 1);
	for (int i = 0; i < 4; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].fx = &fx;
		r[i].deactivated = &deactivated;
		r[i].stop = &stop;
		assert_int_eq(pthread_create(&th[i], NULL, racer_main, &r[i]), 0);
	}
	while (cred_cache_size(fx.fe.creds) == 0)
		;
	put_key(fx.fe.store, AKID, SECRET, NULL, 0);
	atomic_store(&deactivated, 1);
	/* let every racer run into the refusal (on two cores a thread may
	 * not be scheduled for a while), with a bound */
	for (int n = 0; n < 100000; n++) {
		int all = 1;

		for (int i = 0; i < 4; i++)
			all &= atomic_load(&r[i].refused) >= 3;
		if (all && n >= 200)
			break;
		assert_int_eq(call(&fx, AKID_USER, SECRET, NULL), EXC_NONE);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ok += r[i].ok;
		late += r[i].late;
		assert_int_ge(atomic_load(&r[i].refused), 1);
	}
	test_diag("auth race: %lu accepted before the deactivation, %lu late", ok, late);
	assert_int_ge(ok, 1);
	assert_int_eq(late, 0);
	fx_close(&fx);
}

/* What authentication costs per request, from the store and from the
 * cache (a diagnostic). */
static void
test_speed(void)
{
	struct fx fx;
	uint64_t t0, t1, t2;
	int n = 2000;

	fx_open(&fx, "speed", 0);
	t0 = clock_mono_ns();
	for (int i = 0; i < n; i++)
		assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_NONE);
	t1 = clock_mono_ns();
	assert_int_eq(cred_cache_new(CRED_CACHE_SLOTS, &fx.fe.creds), 0);
	for (int i = 0; i < n; i++)
		assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_NONE);
	t2 = clock_mono_ns();
	test_diag("sign + authenticate: %.1f us a request from the store, %.1f us cached",
	    (double)(t1 - t0) / n / 1e3, (double)(t2 - t1) / n / 1e3);
	fx_close(&fx);
}

/* A role of the fixture's account and a session of it (as sts:AssumeRole
 * stores one) that expires `ttl` seconds from the service clock's now. */
static void
put_session(struct fx *fx, const char *id, const char *token, int64_t ttl)
{
	struct store_iam_role ro, have;
	struct store_session s;

	memset(&ro, 0, sizeof(ro));
	memset(&have, 0, sizeof(have));
	snprintf(ro.account_id, sizeof(ro.account_id), "%s", ACCT);
	ro.name = ROLE;
	ro.path = "/";
	ro.arn = "arn:aws:iam::" ACCT ":role/" ROLE;
	ro.role_id = "AROAAUTHTESTROLE00001";
	ro.trust_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[]}";
	ro.max_session_duration = 3600;
	ro.created_at = 1000;
	/* once per fixture */
	if (store_iam_role_get(fx->fe.store, ACCT, ROLE, &have) == 0)
		store_iam_role_clear(&have);
	else
		assert_int_eq(store_iam_role_create(fx->fe.store, &ro), 0);
	memset(&s, 0, sizeof(s));
	s.access_key_id = (char *)id;
	s.secret = SECRET2;
	s.token = (char *)token;
	snprintf(s.account_id, sizeof(s.account_id), "%s", ACCT);
	s.role_name = ROLE;
	s.session_name = "build-42";
	s.source_arn = "arn:aws:iam::" ACCT ":root";
	s.expires_at = clock_now() + ttl;
	assert_int_eq(store_session_put(fx->fe.store, &s), 0);
}

/* Temporary credentials authenticate with their token only, and name the
 * role session as the caller. */
static void
test_session(void)
{
	struct fx fx;
	struct caller c;
	char bad[sizeof(TOKEN)];

	fx_open(&fx, "session", 1);
	put_session(&fx, ASID, TOKEN, 3600);
	memset(&c, 0, sizeof(c));
	assert_int_eq(call_tok(&fx, ASID, SECRET2, TOKEN, &c), EXC_NONE);
	assert_int_eq(c.kind, CALLER_ROLE_SESSION);
	assert_int_eq(c.is_root, 0);
	assert_str_eq(c.account_id, ACCT);
	assert_str_eq(c.arn, "arn:aws:sts::" ACCT ":assumed-role/" ROLE "/build-42");
	assert_str_eq(c.name, ROLE);
	assert_str_eq(c.session_name, "build-42");
	assert_str_eq(c.access_key_id, ASID);
	assert_int_eq(call_tok(&fx, ASID, SECRET2, TOKEN, NULL), EXC_NONE);
	/* without its token, or with another one of the same or another
	 * length: the token is invalid */
	assert_int_eq(call_tok(&fx, ASID, SECRET2, NULL, NULL), EXC_UNRECOGNIZED_CLIENT);
	memcpy(bad, TOKEN, sizeof(bad));
	bad[sizeof(bad) - 4] ^= 1;
	assert_int_eq(call_tok(&fx, ASID, SECRET2, bad, NULL), EXC_UNRECOGNIZED_CLIENT);
	bad[sizeof(bad) - 4] ^= 1;
	bad[sizeof(bad) - 2] = '\0';
	assert_int_eq(call_tok(&fx, ASID, SECRET2, bad, NULL), EXC_UNRECOGNIZED_CLIENT);
	/* the right token with the wrong secret */
	assert_int_eq(call_tok(&fx, ASID, SECRET, TOKEN, NULL), EXC_INVALID_SIGNATURE);
	/* a session id nobody issued */
	assert_int_eq(call_tok(&fx, "ASIAAUTHTESTUNKNOWN1", SECRET2, TOKEN, NULL),
	    EXC_UNRECOGNIZED_CLIENT);
	/* a long-term key with a session's token */
	assert_int_eq(call_tok(&fx, AKID, SECRET, TOKEN, NULL), EXC_UNRECOGNIZED_CLIENT);
	/* sessions never enter the credential cache */
	assert_int_eq(cred_cache_size(fx.fe.creds), 0);
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_NONE);
	assert_int_eq(cred_cache_size(fx.fe.creds), 1);
	assert_int_eq(call_tok(&fx, ASID, SECRET2, TOKEN, NULL), EXC_NONE);
	assert_int_eq(cred_cache_size(fx.fe.creds), 1);
	fx_close(&fx);
}

/*
 * A session expires on the service clock (a test moves it; the signature
 * window keeps the real clock): ExpiredTokenException from that second
 * on, after any number of good requests, with or without the cache.
 * Runs last: the test clock stays on for the rest of the process.
 */
static void
test_session_expiry(void)
{
	struct fx fx, nc;

	fx_open(&fx, "expiry", 1);
	fx_open(&nc, "expiry_nocache", 0);
	put_session(&fx, ASID, TOKEN, 3600);
	put_session(&nc, ASID, TOKEN, 3600);
	clock_enable_test();
	for (int i = 0; i < 20; i++) {
		assert_int_eq(call_tok(&fx, ASID, SECRET2, TOKEN, NULL), EXC_NONE);
		assert_int_eq(call_tok(&nc, ASID, SECRET2, TOKEN, NULL), EXC_NONE);
	}
	assert_int_eq(clock_advance(3000), 0);
	assert_int_eq(call_tok(&fx, ASID, SECRET2, TOKEN, NULL), EXC_NONE);
	assert_int_eq(clock_advance(600), 0);
	assert_int_eq(call_tok(&fx, ASID, SECRET2, TOKEN, NULL), EXC_EXPIRED_TOKEN);
	assert_int_eq(call_tok(&fx, ASID, SECRET2, TOKEN, NULL), EXC_EXPIRED_TOKEN);
	assert_int_eq(call_tok(&nc, ASID, SECRET2, TOKEN, NULL), EXC_EXPIRED_TOKEN);
	/* a wrong token is still invalid rather than expired */
	assert_int_eq(call_tok(&fx, ASID, SECRET2, NULL, NULL), EXC_UNRECOGNIZED_CLIENT);
	/* long-term keys do not expire */
	assert_int_eq(call(&fx, AKID, SECRET, NULL), EXC_NONE);
	/* a fresh session on the moved clock works */
	put_session(&fx, "ASIAAUTHTESTSESSION2", TOKEN, 900);
	assert_int_eq(call_tok(&fx, "ASIAAUTHTESTSESSION2", SECRET2, TOKEN, NULL), EXC_NONE);
	fx_close(&nc);
	fx_close(&fx);
}

int
main(void)
{
	test_run("auth/cached", test_cached);
	test_run("auth/deactivated_next_request", test_deactivated_next_request);
	test_run("auth/rotated_next_request", test_rotated_next_request);
	test_run("auth/no_cache", test_no_cache);
	test_run("auth/deactivated_race", test_deactivated_race);
	test_run("auth/speed", test_speed);
	test_run("auth/session", test_session);
	test_run("auth/session_expiry", test_session_expiry);
	return test_done();
}
