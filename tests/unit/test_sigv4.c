/*
 * test_sigv4.c - SigV4 primitives: the botocore known-answer vector of
 * spec/API.md section 1.5, timestamps and the +-5 minute window.
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

/* spec/API.md 1.5, computed by botocore 1.29.27 SigV4Auth */
#define KAT_SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define KAT_AKID	"AKIDEXAMPLE"
#define KAT_DATE	"20240102T030405Z"
#define KAT_BODY	"{\"CertificateAuthorityArn\":\"arn:aws:acm-pca:us-east-1:" \
	"111122223333:certificate-authority/11223344-1234-1122-2233-112233445566\"}"
#define KAT_BODY_SHA	"32d98789fbf448a575759afcbd11ac557698c3357877e6faebfbb2c390944839"
#define KAT_CANON_SHA	"5dbc000c08563a295c67297cdd79b37fcae4ff7d9210dd9f1af695353a4831fb"
#define KAT_KEY_HEX	"7d8345773c45480c0f68289186adb5f996e2a9d042c9f32cc02d582b5f894113"
#define KAT_SIG		"b659ab1cb395f58ae46cbc04bfdacc7da448112e232ce7f167a3267e9f426f2d"
#define KAT_AUTH	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/" \
	"acm-pca/aws4_request, SignedHeaders=content-type;host;x-amz-date;" \
	"x-amz-target, Signature=" KAT_SIG

static void
hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void
test_kat(void)
{
	char body_sha[65], canon_sha[65], key_hex[65], sig[65], auth[512];
	char canon[1024], *sts = NULL;
	uint8_t key[SIGV4_KEY_LEN];
	int n;

	sigv4_sha256_hex(KAT_BODY, strlen(KAT_BODY), body_sha);
	assert_str_eq(body_sha, KAT_BODY_SHA);

	/* the canonical request of the example, built as a door would */
	n = snprintf(canon, sizeof(canon), "POST\n/\n\n"
	    "content-type:application/x-amz-json-1.1\n"
	    "host:acm-pca.us-east-1.amazonaws.com\n"
	    "x-amz-date:%s\n"
	    "x-amz-target:ACMPrivateCA.DescribeCertificateAuthority\n"
	    "\n"
	    "content-type;host;x-amz-date;x-amz-target\n"
	    "%s", KAT_DATE, body_sha);
	assert_true(n > 0 && (size_t)n < sizeof(canon));
	sigv4_sha256_hex(canon, (size_t)n, canon_sha);
	assert_str_eq(canon_sha, KAT_CANON_SHA);

	assert_int_eq(sigv4_string_to_sign(KAT_DATE, "us-east-1", "acm-pca", canon,
	    (size_t)n, &sts), 0);
	assert_str_eq(sts, "AWS4-HMAC-SHA256\n20240102T030405Z\n"
	    "20240102/us-east-1/acm-pca/aws4_request\n" KAT_CANON_SHA);

	sigv4_signing_key(KAT_SECRET, "20240102", "us-east-1", "acm-pca", key);
	hex(key, sizeof(key), key_hex);
	assert_str_eq(key_hex, KAT_KEY_HEX);

	sigv4_sign(key, sts, strlen(sts), sig);
	assert_str_eq(sig, KAT_SIG);
	snprintf(auth, sizeof(auth), "AWS4-HMAC-SHA256 Credential=%s/20240102/us-east-1/"
	    "acm-pca/aws4_request, SignedHeaders=content-type;host;x-amz-date;"
	    "x-amz-target, Signature=%s", KAT_AKID, sig);
	assert_str_eq(auth, KAT_AUTH);
	free(sts);
}

static void
test_sha256_empty(void)
{
	char h[65];

	sigv4_sha256_hex("", 0, h);
	assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sigv4_sha256_hex(NULL, 0, h);
	assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/*
 * Secrets around the HMAC block size: with the "AWS4" prefix a 60-byte
 * secret is a 64-byte key (used as is), a 61-byte one is hashed first, as
 * HMAC defines. Expected values from Python's hmac module, chained as in
 * spec/API.md 1.5.
 */
static void
test_long_secret(void)
{
	static const struct { size_t len; const char *key_hex; } v[] = {
		{ 60, "62fd2b7bc787f3425e6d1272e3921275eb674756f9ee1a1c47b2c1fd646b177f" },
		{ 61, "d80695c5e8777806ca17a03d3a39735e91d7adf11db950dd6791e05af771b025" },
		{ 100, "73b51dd23e25672637c438d6fd607dfb6dfc8f757b7c804379437635790aae29" },
	};
	char secret[101], key_hex[65];
	uint8_t key[SIGV4_KEY_LEN];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(secret, 'x', v[i].len);
		secret[v[i].len] = '\0';
		sigv4_signing_key(secret, "20240102", "us-east-1", "acm-pca", key);
		hex(key, sizeof(key), key_hex);
		assert_str_eq(key_hex, v[i].key_hex);
	}
}

static void
test_sig_equal(void)
{
	char a[65], b[65];

	memcpy(a, KAT_SIG, 65);
	memcpy(b, KAT_SIG, 65);
	assert_true(sigv4_sig_equal(a, b));
	b[63] = b[63] == '0' ? '1' : '0';
	assert_false(sigv4_sig_equal(a, b));
	b[63] = a[63];
	b[0] = b[0] == '0' ? '1' : '0';
	assert_false(sigv4_sig_equal(a, b));
	assert_false(sigv4_sig_equal(a, ""));
	assert_false(sigv4_sig_equal("", ""));	/* a failed computation */
	assert_false(sigv4_sig_equal(a, NULL));
	assert_false(sigv4_sig_equal(KAT_SIG "0", KAT_SIG "0"));
	assert_false(sigv4_sig_equal("abc", "abc"));
}

static void
test_amzdate_roundtrip(void)
{
	char s[SIGV4_AMZDATE_LEN + 1];
	int64_t t;

	assert_int_eq(sigv4_parse_amzdate(KAT_DATE, &t), 0);
	assert_int_eq(t, 1704164645);		/* date -u -d 2024-01-02T03:04:05Z +%s */
	sigv4_format_amzdate(t, s);
	assert_str_eq(s, KAT_DATE);
	sigv4_format_amzdate(0, s);
	assert_str_eq(s, "19700101T000000Z");
	assert_int_eq(sigv4_parse_amzdate("19700101T000000Z", &t), 0);
	assert_int_eq(t, 0);
	assert_int_eq(sigv4_parse_amzdate("19691231T235959Z", &t), 0);
	assert_int_eq(t, -1);
	assert_int_eq(sigv4_parse_amzdate("20240229T235959Z", &t), 0);	/* leap day */
	assert_int_eq(sigv4_parse_amzdate("20000229T000000Z", &t), 0);
	assert_int_eq(sigv4_parse_amzdate("99991231T235959Z", &t), 0);
	sigv4_format_amzdate(t, s);
	assert_str_eq(s, "99991231T235959Z");
	sigv4_format_amzdate(t + 1, s);		/* year 10000: not representable */
	assert_str_eq(s, "");
}

static void
test_amzdate_strict(void)
{
	static const char *bad[] = {
		"", "2024", "20240102T030405", "20240102T030405ZZ", "20240102t030405Z",
		"20240102T030405z", "20240102 030405Z", "2024-01-02T03:04Z",
		"20241302T030405Z", "20240002T030405Z", "20240100T030405Z",
		"20240132T030405Z", "20230229T030405Z", "19000229T000000Z",
		"20240431T000000Z", "20240102T240000Z", "20240102T036000Z",
		"20240102T030460Z", "+0240102T030405Z", " 0240102T030405Z",
		"2024010OT030405Z", "20240102T0304-5Z",
	};
	int64_t t = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sigv4_parse_amzdate(bad[i], &t) != PCA_ERR_MALFORMED)
			test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
	}
	assert_int_eq(sigv4_parse_amzdate(NULL, &t), PCA_ERR_MALFORMED);
}

static void
test_window(void)
{
	char why[256];
	int64_t now;

	assert_int_eq(sigv4_parse_amzdate("20131008T001612Z", &now), 0);
	assert_int_eq(sigv4_check_window(now, now, why, sizeof(why)), 0);
	assert_int_eq(sigv4_check_window(now - 300, now, why, sizeof(why)), 0);
	assert_int_eq(sigv4_check_window(now + 300, now, why, sizeof(why)), 0);

	assert_int_eq(sigv4_check_window(now - 301, now, why, sizeof(why)), PCA_ERR_AUTH);
	assert_str_eq(why, "Signature expired: 20131008T001111Z is now earlier than "
	    "20131008T001112Z (20131008T001612Z - 5 min.)");
	/* AWS's own example (spec/API.md 1.5) */
	assert_int_eq(sigv4_check_window(now - 336, now, why, sizeof(why)), PCA_ERR_AUTH);
	assert_str_eq(why, "Signature expired: 20131008T001036Z is now earlier than "
	    "20131008T001112Z (20131008T001612Z - 5 min.)");

	assert_int_eq(sigv4_check_window(now + 301, now, why, sizeof(why)), PCA_ERR_AUTH);
	assert_str_eq(why, "Signature not yet current: 20131008T002113Z is still later "
	    "than 20131008T002112Z (20131008T001612Z + 5 min.)");

	/* no buffer, a tiny one, and the ends of int64_t do not misbehave */
	assert_int_eq(sigv4_check_window(now + 301, now, NULL, 0), PCA_ERR_AUTH);
	assert_int_eq(sigv4_check_window(now + 301, now, why, 4), PCA_ERR_AUTH);
	assert_str_eq(why, "Sig");
	assert_int_eq(sigv4_check_window(INT64_MIN, now, why, sizeof(why)), PCA_ERR_AUTH);
	assert_int_eq(sigv4_check_window(INT64_MAX, now, why, sizeof(why)), PCA_ERR_AUTH);
	assert_int_eq(sigv4_check_window(INT64_MAX, INT64_MAX, why, sizeof(why)), 0);
}

static void
test_string_to_sign_refuses(void)
{
	char *sts = (char *)"x";

	assert_int_eq(sigv4_string_to_sign("20240102", "us-east-1", "acm-pca", "", 0,
	    &sts), PCA_ERR_INVALID);
	assert_ptr_null(sts);
	assert_int_eq(sigv4_string_to_sign(KAT_DATE, NULL, "acm-pca", "", 0, &sts),
	    PCA_ERR_INVALID);
	assert_int_eq(sigv4_string_to_sign(KAT_DATE, "us-east-1", "acm-pca", NULL, 0,
	    &sts), 0);
	assert_str_contains(sts, "\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	free(sts);
}

int
main(void)
{
	test_run("sigv4/kat_botocore", test_kat);
	test_run("sigv4/sha256_empty", test_sha256_empty);
	test_run("sigv4/long_secret", test_long_secret);
	test_run("sigv4/sig_equal", test_sig_equal);
	test_run("sigv4/amzdate_roundtrip", test_amzdate_roundtrip);
	test_run("sigv4/amzdate_strict", test_amzdate_strict);
	test_run("sigv4/window", test_window);
	test_run("sigv4/string_to_sign_refuses", test_string_to_sign_refuses);
	return test_done();
}
