/*
 * test_http_sigv4.c - SigV4 over HTTP (frontend/http_sigv4.c, auth_http()):
 * canonical requests and signatures equal to what botocore's SigV4Auth
 * computes (the constants below were printed by botocore 1.43.11 for the
 * same requests, at 20240102T030405Z with AKIDEXAMPLE / the AWS example
 * secret), the Authorization header parser, and auth_http()'s checks and
 * their AWS codes and statuses against a real store.
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "cred_cache.h"
#include "http_sigv4.h"
#include "nonce_cache.h"
#include "sigv4.h"
#include "store.h"
#include "store_iam.h"

#define SECRET		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AMZDATE		"20240102T030405Z"

/* spec/API.md 1.5 */
#define KAT_BODY	"{\"CertificateAuthorityArn\":\"arn:aws:acm-pca:us-east-1:" \
	"111122223333:certificate-authority/11223344-1234-1122-2233-112233445566\"}"
#define KAT_CANON	"POST\n/\n\n" \
	"content-type:application/x-amz-json-1.1\n" \
	"host:acm-pca.us-east-1.amazonaws.com\n" \
	"x-amz-date:20240102T030405Z\n" \
	"x-amz-target:ACMPrivateCA.DescribeCertificateAuthority\n\n" \
	"content-type;host;x-amz-date;x-amz-target\n" \
	"32d98789fbf448a575759afcbd11ac557698c3357877e6faebfbb2c390944839"
#define KAT_AUTH	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/" \
	"acm-pca/aws4_request, SignedHeaders=content-type;host;x-amz-date;" \
	"x-amz-target, Signature=b659ab1cb395f58ae46cbc04bfdacc7da448112e232ce7f167a3267e9f426f2d"

/* botocore: http://127.0.0.1:8443/ with a session token, service acm */
#define SESS_TOKEN	"FQoGZXIvYXdzEXAMPLETOKEN"
#define SESS_CANON	"POST\n/\n\n" \
	"content-type:application/x-amz-json-1.1\n" \
	"host:127.0.0.1:8443\n" \
	"x-amz-date:20240102T030405Z\n" \
	"x-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN\n" \
	"x-amz-target:CertificateManager.ListCertificates\n\n" \
	"content-type;host;x-amz-date;x-amz-security-token;x-amz-target\n" \
	"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define SESS_AUTH	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/acm/" \
	"aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;" \
	"x-amz-target, Signature=396fc722e4fdcbbe7b5e4b9aff8f506344896e983fd58d261941369974293f14"

/* botocore: http://localhost:8080/a/./b/../c//d%20e?b=2&a=x%2Fy&a=1&c= with a
 * header of padded, repeated spaces, an empty body, service organizations */
#define PQ_TARGET	"/a/./b/../c//d%20e?b=2&a=x%2Fy&a=1&c="
#define PQ_CANON	"POST\n/a/c/d%2520e\na=1&a=x%2Fy&b=2&c=\n" \
	"content-type:application/x-amz-json-1.1\n" \
	"host:localhost:8080\n" \
	"x-amz-date:20240102T030405Z\n" \
	"x-amz-target:AWSOrganizationsV20161128.ListAccounts\n" \
	"x-custom:two inner spaces\n\n" \
	"content-type;host;x-amz-date;x-amz-target;x-custom\n" \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PQ_AUTH		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/" \
	"organizations/aws4_request, SignedHeaders=content-type;host;x-amz-date;" \
	"x-amz-target;x-custom, Signature=566d6792a5c07932405f17501aad04f2119f045f1b649dd29ecc90e1b12c9e99"

/* canonical request and signature of rq as auth_header claims them */
static void
check_vector(const struct http_sigv4_request *rq, const char *auth_header, const char *canon)
{
	struct http_sigv4_auth a;
	uint8_t key[SIGV4_KEY_LEN];
	char why[256], body_sha[65], sig[SIGV4_SIG_HEX_LEN + 1], *got = NULL;
	size_t len;

	assert_int_eq(http_sigv4_parse_authorization(auth_header, &a, why, sizeof(why)), 0);
	sigv4_sha256_hex(rq->body, rq->body_len, body_sha);
	assert_int_eq(http_sigv4_canonical_request(rq, a.signed_headers, body_sha, &got, &len,
	    why, sizeof(why)), 0);
	assert_str_eq(got, canon);
	assert_int_eq(len, strlen(canon));
	free(got);
	sigv4_signing_key(SECRET, a.date8, a.region, a.service, key);
	assert_int_eq(http_sigv4_signature(rq, &a, AMZDATE, body_sha, key, sig, why,
	    sizeof(why)), 0);
	assert_str_eq(sig, a.signature);
	assert_true(sigv4_sig_equal(sig, a.signature));
}

static void
test_kat(void)
{
	const struct http_sigv4_header h[] = {
		{ "Host", "acm-pca.us-east-1.amazonaws.com" },
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "X-Amz-Target", "ACMPrivateCA.DescribeCertificateAuthority" },
		{ "User-Agent", "aws-cli/1.45.11" },		/* not signed */
		{ "X-Amz-Date", AMZDATE },
		{ "Authorization", KAT_AUTH },
	};
	struct http_sigv4_request rq = { "POST", "/", h, sizeof(h) / sizeof(h[0]),
	    (const uint8_t *)KAT_BODY, strlen(KAT_BODY) };

	check_vector(&rq, KAT_AUTH, KAT_CANON);
}

static void
test_session_and_port(void)
{
	const struct http_sigv4_header h[] = {
		{ "host", "127.0.0.1:8443" },
		{ "content-type", "application/x-amz-json-1.1" },
		{ "x-amz-target", "CertificateManager.ListCertificates" },
		{ "x-amz-date", AMZDATE },
		{ "x-amz-security-token", SESS_TOKEN },
	};
	struct http_sigv4_request rq = { "post", "/", h, sizeof(h) / sizeof(h[0]),
	    (const uint8_t *)"{}", 2 };

	check_vector(&rq, SESS_AUTH, SESS_CANON);
}

static void
test_path_query_spaces(void)
{
	const struct http_sigv4_header h[] = {
		{ "Host", "localhost:8080" },
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "X-Amz-Target", "AWSOrganizationsV20161128.ListAccounts" },
		{ "X-Custom", "  two   inner  spaces  " },
		{ "X-Amz-Date", AMZDATE },
	};
	struct http_sigv4_request rq = { "POST", PQ_TARGET, h, sizeof(h) / sizeof(h[0]),
	    (const uint8_t *)"", 0 };

	check_vector(&rq, PQ_AUTH, PQ_CANON);
}

static char *
canon_of(const struct http_sigv4_request *rq, const char *signed_headers)
{
	char why[256], *out = NULL;
	size_t len;

	assert_int_eq(http_sigv4_canonical_request(rq, signed_headers,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &out, &len,
	    why, sizeof(why)), 0);
	return out;
}

static void
test_canonical_rules(void)
{
	const struct http_sigv4_header h[] = {
		{ "Host", "h" },
		{ "X-Multi", "a" },
		{ "x-multi", "  b\tc  " },
		{ "X-Empty", "" },
	};
	struct http_sigv4_request rq = { "POST", "", h, 4, (const uint8_t *)"", 0 };
	char why[128], *c, *out = NULL;
	size_t len;

	/* repeated headers joined by ',', tabs are white space; empty path "/" */
	c = canon_of(&rq, "host;x-empty;x-multi");
	assert_str_eq(c, "POST\n/\n\nhost:h\nx-empty:\nx-multi:a,b c\n\n"
	    "host;x-empty;x-multi\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	free(c);
	/* query: names without '=', %-escapes re-encoded upper case, '+' kept
	 * as a byte, unreserved bytes decoded */
	rq.target = "/x/?b&a=%7e%2f+&a=%41";
	c = canon_of(&rq, "host");
	assert_str_eq(c, "POST\n/x/\na=A&a=~%2F%2B&b=\nhost:h\n\nhost\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	free(c);
	/* a query of separators only is an empty canonical query */
	rq.target = "/x?&&";
	c = canon_of(&rq, "host");
	assert_str_contains(c, "POST\n/x\n\nhost:h\n");
	free(c);
	rq.target = "/a/../../b/.";
	c = canon_of(&rq, "host");
	assert_str_contains(c, "POST\n/b\n\n");
	free(c);
	/* SignedHeaders must be lower case names */
	assert_int_eq(http_sigv4_canonical_request(&rq, "Host", "x", &out, &len, why,
	    sizeof(why)), PCA_ERR_MALFORMED);
	assert_int_eq(http_sigv4_canonical_request(&rq, "host;;x-a", "x", &out, &len, why,
	    sizeof(why)), PCA_ERR_MALFORMED);
	assert_ptr_null(out);
}

static void
test_parse_authorization(void)
{
	struct http_sigv4_auth a;
	char why[256];

	assert_int_eq(http_sigv4_parse_authorization(KAT_AUTH, &a, why, sizeof(why)), 0);
	assert_str_eq(a.key_id, "AKIDEXAMPLE");
	assert_str_eq(a.date8, "20240102");
	assert_str_eq(a.region, "us-east-1");
	assert_str_eq(a.service, "acm-pca");
	assert_str_eq(a.terminator, "aws4_request");
	assert_str_eq(a.signed_headers, "content-type;host;x-amz-date;x-amz-target");
	/* no spaces, other order */
	assert_int_eq(http_sigv4_parse_authorization("AWS4-HMAC-SHA256 Signature="
	    "b659ab1cb395f58ae46cbc04bfdacc7da448112e232ce7f167a3267e9f426f2d,SignedHeaders=host,"
	    "Credential=K/20240102/r/s/aws4_request", &a, why, sizeof(why)), 0);
	assert_str_eq(a.key_id, "K");
	assert_str_eq(a.signed_headers, "host");
	/* refused */
	assert_int_eq(http_sigv4_parse_authorization("AWS4-HMAC-SHA1 Credential=x", &a, why,
	    sizeof(why)), PCA_ERR_UNSUPPORTED);
	assert_str_contains(why, "Unsupported AWS 'algorithm'");
	assert_int_eq(http_sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential=K/20240102/"
	    "r/s/aws4_request, SignedHeaders=host", &a, why, sizeof(why)), PCA_ERR_MALFORMED);
	assert_str_contains(why, "'Signature'");
	assert_int_eq(http_sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential=K/20240102/"
	    "r/aws4_request, SignedHeaders=host, Signature=b659ab1cb395f58ae46cbc04bfdacc7da448112"
	    "e232ce7f167a3267e9f426f2d", &a, why, sizeof(why)), PCA_ERR_MALFORMED);
	assert_int_eq(http_sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential=K/20240102/"
	    "r/s/aws4_request/x, SignedHeaders=host, Signature=b659ab1cb395f58ae46cbc04bfdacc7da44"
	    "8112e232ce7f167a3267e9f426f2d", &a, why, sizeof(why)), PCA_ERR_MALFORMED);
	assert_int_eq(http_sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential=K/20240102/"
	    "r/s/aws4_request, SignedHeaders=host, Signature=abc", &a, why, sizeof(why)),
	    PCA_ERR_MALFORMED);
	assert_int_eq(http_sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential", &a, why,
	    sizeof(why)), PCA_ERR_MALFORMED);
	assert_int_eq(http_sigv4_parse_authorization("AWS4-HMAC-SHA256", &a, why, sizeof(why)),
	    PCA_ERR_MALFORMED);
	assert_int_eq(http_sigv4_parse_authorization("", &a, why, sizeof(why)),
	    PCA_ERR_UNSUPPORTED);
}

/* ---- auth_http() against a store ------------------------------------------ */

#define ACCT	"111122223333"
#define AKID	"AKIAHTTPTESTEXAMPLE1"

struct fx {
	struct frontend	fe;
	char		db[512];
};

static void
fx_open(struct fx *fx, const char *name)
{
	struct store_account a;
	struct store_access_key k;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->db, sizeof(fx->db), "%s/%s.db", test_tmpdir(), name);
	assert_int_eq(store_open(fx->db, &fx->fe.store), 0);
	assert_int_eq(cred_cache_new(CRED_CACHE_SLOTS, &fx->fe.creds), 0);
	fx->fe.cfg.region = "us-east-1";
	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", ACCT);
	a.name = "http test";
	a.created_at = 1000;
	assert_int_eq(store_account_put(fx->fe.store, &a), 0);
	memset(&k, 0, sizeof(k));
	k.id = AKID;
	k.secret = SECRET;
	snprintf(k.account_id, sizeof(k.account_id), "%s", ACCT);
	k.active = 1;
	k.created_at = 1000;
	assert_int_eq(store_access_key_put(fx->fe.store, &k), 0);
}

static void
fx_close(struct fx *fx)
{
	cred_cache_free(fx->fe.creds);
	store_close(fx->fe.store);
}

/* A request signed now + skew with (key, secret) for service/region. */
struct signed_req {
	struct http_sigv4_header	h[6];
	struct http_sigv4_request	rq;
	char				date[SIGV4_AMZDATE_LEN + 1];
	char				auth[2048];
};

static void
sign(struct signed_req *s, const char *key_id, const char *secret, const char *region,
    const char *service, int64_t skew)
{
	struct http_sigv4_auth a;
	uint8_t key[SIGV4_KEY_LEN];
	char why[256], sha[65], sig[SIGV4_SIG_HEX_LEN + 1], d8[9];
	static const char body[] = "{}";

	memset(s, 0, sizeof(*s));
	sigv4_format_amzdate(clock_real() + skew, s->date);
	s->h[0] = (struct http_sigv4_header){ "Host", "127.0.0.1:1" };
	s->h[1] = (struct http_sigv4_header){ "Content-Type", "application/x-amz-json-1.1" };
	s->h[2] = (struct http_sigv4_header){ "X-Amz-Target", "ACMPrivateCA.ListTags" };
	s->h[3] = (struct http_sigv4_header){ "X-Amz-Date", s->date };
	s->rq = (struct http_sigv4_request){ "POST", "/", s->h, 4, (const uint8_t *)body, 2 };
	memset(&a, 0, sizeof(a));
	snprintf(a.region, sizeof(a.region), "%s", region);
	snprintf(a.service, sizeof(a.service), "%s", service);
	snprintf(a.signed_headers, sizeof(a.signed_headers), "content-type;host;x-amz-date;"
	    "x-amz-target");
	sigv4_sha256_hex(body, 2, sha);
	memcpy(d8, s->date, 8);
	d8[8] = '\0';
	sigv4_signing_key(secret, d8, region, service, key);
	assert_int_eq(http_sigv4_signature(&s->rq, &a, s->date, sha, key, sig, why,
	    sizeof(why)), 0);
	snprintf(s->auth, sizeof(s->auth), "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/"
	    "aws4_request, SignedHeaders=%s, Signature=%s", key_id, d8, region, service,
	    a.signed_headers, sig);
	s->h[4] = (struct http_sigv4_header){ "Authorization", s->auth };
	s->rq.n_headers = 5;
}

static int
run(struct fx *fx, const struct signed_req *s, enum api_exc *exc, int *status, char *msg,
    size_t msglen)
{
	struct caller c;

	*exc = EXC_NONE;
	return auth_http(&fx->fe, &s->rq, "acm-pca", &c, exc, status, msg, msglen);
}

static void
test_auth_http(void)
{
	struct fx fx;
	struct signed_req s;
	struct caller c;
	enum api_exc exc;
	char msg[512];
	int status;

	fx_open(&fx, "auth_http");
	sign(&s, AKID, SECRET, "us-east-1", "acm-pca", 0);
	exc = EXC_NONE;
	assert_int_eq(auth_http(&fx.fe, &s.rq, "acm-pca", &c, &exc, &status, msg, sizeof(msg)), 0);
	assert_str_eq(c.account_id, ACCT);
	assert_str_eq(c.arn, "arn:aws:iam::" ACCT ":root");
	assert_int_eq(cred_cache_size(fx.fe.creds), 1);
	/* again, from the cache: no nonce, the same request is accepted */
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), 0);

	/* a changed body: the signature does not match, 403 */
	s.rq.body = (const uint8_t *)"{ }";
	s.rq.body_len = 3;
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_INVALID_SIGNATURE);
	assert_int_eq(status, 403);
	assert_str_contains(msg, "The request signature we calculated does not match");
	/* x-amz-content-sha256 that is not the body's */
	sign(&s, AKID, SECRET, "us-east-1", "acm-pca", 0);
	s.h[5] = (struct http_sigv4_header){ "x-amz-content-sha256",
	    "0000000000000000000000000000000000000000000000000000000000000000" };
	s.rq.n_headers = 6;
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_INVALID_SIGNATURE);
	/* wrong secret */
	sign(&s, AKID, "wrong", "us-east-1", "acm-pca", 0);
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_INVALID_SIGNATURE);
	assert_int_eq(status, 403);
	/* unknown key */
	sign(&s, "AKIAUNKNOWN000000000", SECRET, "us-east-1", "acm-pca", 0);
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_UNRECOGNIZED_CLIENT);
	assert_int_eq(status, 400);
	assert_str_eq(msg, "The security token included in the request is invalid.");
	/* a long-term key with a session token */
	sign(&s, AKID, SECRET, "us-east-1", "acm-pca", 0);
	s.h[5] = (struct http_sigv4_header){ "X-Amz-Security-Token", "tok" };
	s.rq.n_headers = 6;
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_UNRECOGNIZED_CLIENT);
	/* outside the window, either way: 400 */
	sign(&s, AKID, SECRET, "us-east-1", "acm-pca", -301);
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_INVALID_SIGNATURE);
	assert_int_eq(status, 400);
	assert_str_contains(msg, "Signature expired: ");
	sign(&s, AKID, SECRET, "us-east-1", "acm-pca", 301);
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_str_contains(msg, "Signature not yet current: ");
	sign(&s, AKID, SECRET, "us-east-1", "acm-pca", -290);
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), 0);
	/* scope: region and service */
	sign(&s, AKID, SECRET, "eu-west-1", "acm-pca", 0);
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_INVALID_SIGNATURE);
	assert_str_contains(msg, "Credential should be scoped to a valid region");
	sign(&s, AKID, SECRET, "us-east-1", "acm", 0);
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_str_contains(msg, "Credential should be scoped to correct service: 'acm-pca'.");
	/* no Authorization: 403 MissingAuthenticationToken */
	sign(&s, AKID, SECRET, "us-east-1", "acm-pca", 0);
	s.rq.n_headers = 4;
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_MISSING_AUTH);
	assert_int_eq(status, 403);
	/* malformed Authorization, no X-Amz-Date: IncompleteSignature, 400 */
	s.h[4] = (struct http_sigv4_header){ "Authorization", "AWS4-HMAC-SHA256 Credential=x" };
	s.rq.n_headers = 5;
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_INCOMPLETE_SIGNATURE);
	assert_int_eq(status, 400);
	sign(&s, AKID, SECRET, "us-east-1", "acm-pca", 0);
	s.h[3].name = "X-Not-Date";
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_INCOMPLETE_SIGNATURE);
	/* a deactivated key stops at once */
	assert_int_eq(store_access_key_set_active(fx.fe.store, AKID, 0), 0);
	sign(&s, AKID, SECRET, "us-east-1", "acm-pca", 0);
	assert_int_eq(run(&fx, &s, &exc, &status, msg, sizeof(msg)), -1);
	assert_int_eq(exc, EXC_UNRECOGNIZED_CLIENT);
	fx_close(&fx);
}

int
main(void)
{
	test_run("http_sigv4/kat_botocore", test_kat);
	test_run("http_sigv4/session_token_and_port", test_session_and_port);
	test_run("http_sigv4/path_query_spaces", test_path_query_spaces);
	test_run("http_sigv4/canonical_rules", test_canonical_rules);
	test_run("http_sigv4/parse_authorization", test_parse_authorization);
	test_run("http_sigv4/auth_http", test_auth_http);
	return test_done();
}
