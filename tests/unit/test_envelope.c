/*
 * test_envelope.c - signing and verifying native API requests: round trip,
 * a known answer built from the documented canonical text, every signed
 * field tampered with, malformed fields, ownership (envelope_clear), and
 * sign+verify throughput.
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "envelope.h"
#include "sigv4.h"

#define SECRET		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AKID		"AKIDEXAMPLE"
#define SNAME		"acm-pca"
#define NOW		1704164645	/* 20240102T030405Z */

static uint8_t payload[] = { 0x0a, 0x05, 'h', 'e', 'l', 'l', 'o', 0x10, 0x01 };

static void
req_init(Pca__Api__Request *req)
{
	Pca__Api__Request init = PCA__API__REQUEST__INIT;

	*req = init;
	req->version = API_PROTO_VERSION;
	req->service = (char *)"acm-pca";
	req->operation = (char *)"IssueCertificate";
	req->payload.data = payload;
	req->payload.len = sizeof(payload);
}

static void
sign_one(Pca__Api__Request *req, const char *token)
{
	req_init(req);
	assert_int_eq(envelope_sign(req, AKID, SECRET, token, "us-east-1", SNAME, NOW), 0);
}

static int
verify(const Pca__Api__Request *req, const char *secret, char *why, size_t whylen)
{
	return envelope_verify(req, secret, SNAME, why, whylen);
}

static int
is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL)
			return 0;
	return 1;
}

static void
test_roundtrip(void)
{
	Pca__Api__Request req;
	char why[512];

	sign_one(&req, NULL);
	assert_str_eq(req.timestamp, "20240102T030405Z");
	assert_str_eq(req.region, "us-east-1");
	assert_str_eq(req.access_key_id, AKID);
	assert_ptr_null(req.session_token);
	assert_true(is_hex(req.nonce, ENVELOPE_NONCE_HEX_LEN));
	assert_true(is_hex(req.signature, SIGV4_SIG_HEX_LEN));
	assert_int_eq(verify(&req, SECRET, why, sizeof(why)), 0);
	assert_str_eq(why, "");
	envelope_clear(&req);
	assert_str_eq(req.timestamp, "");
	assert_ptr_null(req.session_token);
	envelope_clear(&req);		/* twice is harmless */
}

/* The signature equals one computed from envelope.h's description with
 * the SigV4 primitives alone, so the door's and the client's reading of
 * the format cannot drift apart silently. */
static void
test_known_canonical(void)
{
	Pca__Api__Request req;
	char canon[512], ph[65], sig[65], *sts = NULL;
	uint8_t key[SIGV4_KEY_LEN];
	int n;

	sign_one(&req, "TOKEN/with+chars=");
	sigv4_sha256_hex(payload, sizeof(payload), ph);
	n = snprintf(canon, sizeof(canon), "HSMCA-NATIVE-V1\nacm-pca\nIssueCertificate\n"
	    "%s\nTOKEN/with+chars=\n%s", req.nonce, ph);
	assert_int_eq(sigv4_string_to_sign("20240102T030405Z", "us-east-1", SNAME, canon,
	    (size_t)n, &sts), 0);
	sigv4_signing_key(SECRET, "20240102", "us-east-1", SNAME, key);
	sigv4_sign(key, sts, strlen(sts), sig);
	assert_str_eq(req.signature, sig);
	assert_str_eq(req.session_token, "TOKEN/with+chars=");
	free(sts);
	envelope_clear(&req);
	assert_ptr_null(req.session_token);
}

static void
test_fresh_nonces(void)
{
	Pca__Api__Request a, b;

	sign_one(&a, NULL);
	sign_one(&b, NULL);
	assert_true(strcmp(a.nonce, b.nonce) != 0);
	assert_true(strcmp(a.signature, b.signature) != 0);
	envelope_clear(&a);
	envelope_clear(&b);
}

/* Change one hex digit (it stays lower hex, so the shape checks pass and
 * the MAC decides); returns the old one for unflip(). */
static char
flip(char *s, size_t i)
{
	char old = s[i];

	s[i] = old == '0' ? '1' : '0';
	return old;
}

static void
expect_mismatch(const Pca__Api__Request *req, const char *what)
{
	char why[512];
	int r = verify(req, SECRET, why, sizeof(why));

	if (r != PCA_ERR_AUTH)
		test_fail(__FILE__, __LINE__, "tampered %s: verify returned %d", what, r);
	if (strstr(why, "does not match the signature you provided") == NULL)
		test_fail(__FILE__, __LINE__, "tampered %s: why \"%s\"", what, why);
}

static void
test_tamper(void)
{
	Pca__Api__Request req;
	char why[512], *saved, old;
	uint8_t pl[sizeof(payload)];

	sign_one(&req, "session-token-1");
	assert_int_eq(verify(&req, SECRET, why, sizeof(why)), 0);

	req.service = (char *)"acm";
	expect_mismatch(&req, "service");
	req.service = (char *)"acm-pca";

	req.operation = (char *)"IssueCertificatf";
	expect_mismatch(&req, "operation");
	req.operation = (char *)"IssueCertificate";

	for (size_t i = 0; i < sizeof(payload); i++) {
		memcpy(pl, payload, sizeof(pl));
		pl[i] ^= 0x01;
		req.payload.data = pl;
		expect_mismatch(&req, "payload byte");
	}
	req.payload.data = payload;
	req.payload.len = sizeof(payload) - 1;
	expect_mismatch(&req, "payload length");
	req.payload.len = sizeof(payload);

	old = flip(req.nonce, 31);
	expect_mismatch(&req, "nonce");
	req.nonce[31] = old;

	req.timestamp[14] = '6';					/* a second later */
	expect_mismatch(&req, "timestamp (second)");
	req.timestamp[14] = '5';
	req.timestamp[7] = '3';						/* the scope date */
	expect_mismatch(&req, "timestamp (date)");
	req.timestamp[7] = '2';

	req.session_token[0] = 'S';
	expect_mismatch(&req, "session token");
	req.session_token[0] = 's';
	saved = req.session_token;
	req.session_token = NULL;
	expect_mismatch(&req, "session token removed");
	req.session_token = (char *)"";
	expect_mismatch(&req, "session token emptied");
	req.session_token = saved;

	req.region[8] = '2';						/* us-east-2 */
	expect_mismatch(&req, "region");
	req.region[8] = '1';

	old = flip(req.signature, 0);
	expect_mismatch(&req, "signature");
	req.signature[0] = old;

	assert_int_eq(envelope_verify(&req, SECRET, "acm", why, sizeof(why)), PCA_ERR_AUTH);
	assert_int_eq(verify(&req, SECRET, why, sizeof(why)), 0);	/* all restored */
	envelope_clear(&req);
}

static void
test_wrong_secret(void)
{
	Pca__Api__Request req;
	char why[512];

	sign_one(&req, NULL);
	assert_int_eq(verify(&req, SECRET "x", why, sizeof(why)), PCA_ERR_AUTH);
	assert_str_contains(why, "Check your AWS Secret Access Key");
	assert_int_eq(verify(&req, "", why, sizeof(why)), PCA_ERR_AUTH);
	assert_int_eq(verify(&req, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEz", why,
	    sizeof(why)), PCA_ERR_AUTH);
	assert_int_eq(verify(&req, SECRET, NULL, 0), 0);
	envelope_clear(&req);
}

static void
expect_malformed(const Pca__Api__Request *req, const char *needle)
{
	char why[512];
	int r = verify(req, SECRET, why, sizeof(why));

	if (r != PCA_ERR_AUTH)
		test_fail(__FILE__, __LINE__, "%s: verify returned %d", needle, r);
	if (strstr(why, needle) == NULL)
		test_fail(__FILE__, __LINE__, "why \"%s\" lacks \"%s\"", why, needle);
}

static void
test_malformed(void)
{
	Pca__Api__Request req;
	char *sig, *nonce, *ts, *akid, *region;

	sign_one(&req, NULL);
	sig = req.signature;
	nonce = req.nonce;
	ts = req.timestamp;
	akid = req.access_key_id;
	region = req.region;

	req.signature = (char *)"";
	expect_malformed(&req, "signature must be 64 lower-case hex");
	req.signature = (char *)"B659AB1CB395F58AE46CBC04BFDACC7DA448112E232CE7F167A3267E9F426F2D";
	expect_malformed(&req, "signature must be 64 lower-case hex");
	req.signature = (char *)"b659ab1cb395f58ae46cbc04bfdacc7da448112e232ce7f167a3267e9f426f2";
	expect_malformed(&req, "signature must be 64 lower-case hex");
	req.signature = (char *)"b659ab1cb395f58ae46cbc04bfdacc7da448112e232ce7f167a3267e9f426f2dd";
	expect_malformed(&req, "signature must be 64 lower-case hex");
	req.signature = (char *)"g659ab1cb395f58ae46cbc04bfdacc7da448112e232ce7f167a3267e9f426f2d";
	expect_malformed(&req, "signature must be 64 lower-case hex");
	req.signature = NULL;
	expect_malformed(&req, "signature must be 64 lower-case hex");
	req.signature = sig;

	req.nonce = (char *)"0123456789abcdef0123456789abcde";
	expect_malformed(&req, "nonce must be 32 lower-case hex");
	req.nonce = (char *)"0123456789abcdef0123456789abcdeF";
	expect_malformed(&req, "nonce must be 32 lower-case hex");
	req.nonce = (char *)"0123456789abcdef0123456789abcdef0";
	expect_malformed(&req, "nonce must be 32 lower-case hex");
	req.nonce = (char *)"";
	expect_malformed(&req, "nonce must be 32 lower-case hex");
	req.nonce = nonce;

	req.timestamp = (char *)"20240102T030405";
	expect_malformed(&req, "timestamp");
	req.timestamp = (char *)"20241302T030405Z";
	expect_malformed(&req, "timestamp");
	req.timestamp = (char *)"";
	expect_malformed(&req, "timestamp");
	req.timestamp = ts;

	req.access_key_id = (char *)"";
	expect_malformed(&req, "access key id");
	req.access_key_id = NULL;
	expect_malformed(&req, "access key id");
	req.access_key_id = akid;

	req.region = (char *)"";
	expect_malformed(&req, "region");
	req.region = (char *)"us-east-1/acm-pca";
	expect_malformed(&req, "region");
	req.region = region;

	req.service = (char *)"acm-pca\nIssueCertificate";
	req.operation = (char *)"";
	expect_malformed(&req, "service or operation");
	req.service = (char *)"";
	req.operation = (char *)"IssueCertificate";
	expect_malformed(&req, "service or operation");
	req.service = (char *)"acm-pca";

	req.session_token = (char *)"a\nb";
	expect_malformed(&req, "session token");
	req.session_token = NULL;

	req.payload.data = NULL;
	expect_malformed(&req, "payload");
	req.payload.data = payload;

	assert_int_eq(verify(&req, SECRET, NULL, 0), 0);
	envelope_clear(&req);
}

static void
test_sign_refuses(void)
{
	Pca__Api__Request req, before;

	req_init(&req);
	before = req;
	/* a '\n' in a field would make two requests share a canonical text */
	req.operation = (char *)"Issue\nCertificate";
	assert_int_eq(envelope_sign(&req, AKID, SECRET, NULL, "us-east-1", SNAME, NOW),
	    PCA_ERR_INVALID);
	req.operation = before.operation;
	assert_int_eq(envelope_sign(&req, "", SECRET, NULL, "us-east-1", SNAME, NOW),
	    PCA_ERR_INVALID);
	assert_int_eq(envelope_sign(&req, AKID, SECRET, NULL, "us/east", SNAME, NOW),
	    PCA_ERR_INVALID);
	assert_int_eq(envelope_sign(&req, AKID, SECRET, NULL, NULL, SNAME, NOW),
	    PCA_ERR_INVALID);
	assert_int_eq(envelope_sign(&req, AKID, SECRET, "t\r", "us-east-1", SNAME, NOW),
	    PCA_ERR_INVALID);
	assert_int_eq(envelope_sign(&req, AKID, SECRET, NULL, "us-east-1", SNAME,
	    INT64_MAX), PCA_ERR_INVALID);
	/* a failed sign leaves the request as it was */
	assert_mem_eq(&req, &before, sizeof(req));
	envelope_clear(&req);		/* and clearing it frees nothing */

	/* an empty session token is no session token */
	assert_int_eq(envelope_sign(&req, AKID, SECRET, "", "us-east-1", SNAME, NOW), 0);
	assert_ptr_null(req.session_token);
	envelope_clear(&req);

	/* an empty payload signs and verifies */
	req.payload.data = NULL;
	req.payload.len = 0;
	assert_int_eq(envelope_sign(&req, AKID, SECRET, NULL, "us-east-1", SNAME, NOW), 0);
	assert_int_eq(verify(&req, SECRET, NULL, 0), 0);
	envelope_clear(&req);
}

/* Through the wire format: pack, unpack, verify (what the door sees). */
static void
test_packed(void)
{
	Pca__Api__Request req, *got;
	uint8_t *buf;
	size_t len;
	char why[512];

	sign_one(&req, "tok");
	len = pca__api__request__get_packed_size(&req);
	assert_ptr_not_null(buf = malloc(len));
	pca__api__request__pack(&req, buf);
	envelope_clear(&req);
	assert_ptr_not_null(got = pca__api__request__unpack(NULL, len, buf));
	assert_int_eq(envelope_verify(got, SECRET, SNAME, why, sizeof(why)), 0);
	pca__api__request__free_unpacked(got, NULL);
	free(buf);
}

static void
test_throughput(void)
{
	Pca__Api__Request req;
	uint64_t t0, dt;
	int n = 0;

	t0 = clock_mono_ns();
	do {
		for (int i = 0; i < 200; i++, n++) {
			sign_one(&req, NULL);
			assert_int_eq(verify(&req, SECRET, NULL, 0), 0);
			envelope_clear(&req);
		}
		dt = clock_mono_ns() - t0;
	} while (dt < 500000000ull);
	test_diag("envelope sign+verify: %d in %.3f s, %.0f per second (%.1f us each)",
	    n, (double)dt / 1e9, n / ((double)dt / 1e9), (double)dt / 1e3 / n);
}

int
main(void)
{
	test_run("envelope/roundtrip", test_roundtrip);
	test_run("envelope/known_canonical", test_known_canonical);
	test_run("envelope/fresh_nonces", test_fresh_nonces);
	test_run("envelope/tamper_each_field", test_tamper);
	test_run("envelope/wrong_secret", test_wrong_secret);
	test_run("envelope/malformed_refused", test_malformed);
	test_run("envelope/sign_refuses", test_sign_refuses);
	test_run("envelope/packed", test_packed);
	test_run("envelope/throughput", test_throughput);
	return test_done();
}
