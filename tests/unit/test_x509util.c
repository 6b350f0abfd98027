/*
 * test_x509util.c - CSR and certificate parsing and checks, chain
 * verification, time, serial, OID and base64 helpers.
 */
#include "test.h"
#include "clock.h"
#include "err.h"
#include "x509util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define T0	1767225600LL	/* 2026-01-01T00:00:00Z */
#define DAY	86400LL

static EVP_PKEY *
key_rsa(size_t bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);

	assert_ptr_not_null(k);
	return k;
}

static EVP_PKEY *
key_ec(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_ptr_not_null(k);
	return k;
}

/* A CSR for key with CN=cn (none when cn is NULL) and an optional DNS SAN. */
static X509_REQ *
make_csr(EVP_PKEY *key, const char *cn, const char *dns)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();

	assert_ptr_not_null(req);
	if (cn != NULL)
		assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_eq(X509_REQ_set_subject_name(req, name), 1);
	X509_NAME_free(name);
	assert_int_eq(X509_REQ_set_pubkey(req, key), 1);
	if (dns != NULL) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509_EXTENSION *ext;
		char v[256];

		snprintf(v, sizeof(v), "DNS:%s", dns);
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, v);
		assert_ptr_not_null(ext);
		sk_X509_EXTENSION_push(exts, ext);
		assert_int_eq(X509_REQ_add_extensions(req, exts), 1);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	/* EdDSA takes no separate digest */
	assert_true(X509_REQ_sign(req, key, EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ?
	    NULL : EVP_sha256()) > 0);
	return req;
}

static uint8_t *
csr_der(X509_REQ *req, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);

	assert_true(n > 0);
	*len = (size_t)n;
	return der;
}

/* PEM text of req under the old or the new header. */
static char *
csr_pem(X509_REQ *req, int old_header, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *mem, *s;
	long n;

	assert_int_eq(old_header ? PEM_write_bio_X509_REQ_NEW(b, req) :
	    PEM_write_bio_X509_REQ(b, req), 1);
	n = BIO_get_mem_data(b, &mem);
	s = malloc((size_t)n + 1);
	memcpy(s, mem, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	*len = (size_t)n;
	return s;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_ptr_not_null(ext);
	assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate made with plain OpenSSL, good enough for X509_STRICT. */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
    int ca, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_TIME *t;

	assert_ptr_not_null(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
	X509_NAME_free(name);
	t = ASN1_TIME_set(NULL, (time_t)T0);
	X509_set1_notBefore(x, t);
	ASN1_TIME_free(t);
	t = ASN1_TIME_set(NULL, (time_t)(T0 + 365 * DAY));
	X509_set1_notAfter(x, t);
	ASN1_TIME_free(t);
	X509_set_pubkey(x, key);
	if (issuer == NULL)
		issuer = x;
	add_ext(x, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	add_ext(x, issuer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
	    "critical,digitalSignature");
	add_ext(x, issuer, NID_subject_key_identifier, "hash");
	add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static void
test_csr_pem_and_der(void)
{
	EVP_PKEY *k = key_ec("P-256");
	X509_REQ *req = make_csr(k, "csr.example", NULL), *got = NULL;
	uint8_t *der, *buf;
	size_t len, plen;
	char *pem, why[256];

	/* DER */
	der = csr_der(req, &len);
	assert_int_eq(x509_csr_parse(der, len, &got), 0);
	assert_int_eq(X509_REQ_verify(got, k), 1);
	assert_int_eq(x509_csr_check(got, why, sizeof(why)), 0);
	X509_REQ_free(got);
	/* DER with one byte too many, or one too few */
	buf = malloc(len + 1);
	memcpy(buf, der, len);
	buf[len] = 0;
	assert_int_eq(x509_csr_parse(buf, len + 1, &got), PCA_ERR_MALFORMED);
	assert_ptr_null(got);
	assert_int_eq(x509_csr_parse(buf, len - 1, &got), PCA_ERR_MALFORMED);
	free(buf);
	OPENSSL_free(der);

	/* PEM, both headers, with and without explanatory text before */
	for (int old = 0; old <= 1; old++) {
		char *text;

		pem = csr_pem(req, old, &plen);
		assert_str_contains(pem, old ? "BEGIN NEW CERTIFICATE REQUEST" :
		    "BEGIN CERTIFICATE REQUEST");
		assert_int_eq(x509_csr_parse((uint8_t *)pem, plen, &got), 0);
		assert_int_eq(x509_csr_check(got, why, sizeof(why)), 0);
		X509_REQ_free(got);
		text = malloc(plen + 64);
		snprintf(text, plen + 64, "Subject: CN=csr.example\n%s\n\n", pem);
		assert_int_eq(x509_csr_parse((uint8_t *)text, strlen(text), &got), 0);
		X509_REQ_free(got);
		/* trailing garbage after the END line */
		snprintf(text, plen + 64, "%sjunk\n", pem);
		assert_int_eq(x509_csr_parse((uint8_t *)text, strlen(text), &got),
		    PCA_ERR_MALFORMED);
		free(text);
		free(pem);
	}
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

static void
test_csr_garbage(void)
{
	static const char *const junk[] = {
		"hello", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
		"\x30\x03\x02\x01\x00", "\x30\x80\x00\x00",
	};
	X509_REQ *got = NULL;
	X509 *x = NULL;

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		assert_int_eq(x509_csr_parse((const uint8_t *)junk[i], strlen(junk[i]), &got),
		    PCA_ERR_MALFORMED);
		assert_int_eq(x509_cert_parse((const uint8_t *)junk[i], strlen(junk[i]), &x),
		    PCA_ERR_MALFORMED);
	}
	assert_int_eq(x509_csr_parse((const uint8_t *)"", 0, &got), PCA_ERR_MALFORMED);
	assert_ptr_null(got);
	assert_ptr_null(x);
	assert_int_eq(ERR_peek_error(), 0);	/* no stale errors left behind */
}

static void
test_csr_wrong_label(void)
{
	EVP_PKEY *k = key_ec("P-256");
	X509 *x = make_cert("c", k, NULL, NULL, 1, 1);
	BIO *b = BIO_new(BIO_s_mem());
	X509_REQ *got = NULL;
	char *mem;
	long n;

	/* a certificate is not a CSR */
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &mem);
	assert_int_eq(x509_csr_parse((uint8_t *)mem, (size_t)n, &got), PCA_ERR_MALFORMED);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_csr_bad_signature(void)
{
	EVP_PKEY *k = key_rsa(2048);
	X509_REQ *req = make_csr(k, "flip.example", NULL), *got = NULL;
	uint8_t *der;
	size_t len;
	char why[256];

	der = csr_der(req, &len);
	der[len - 1] ^= 0x01;		/* last byte of the signature */
	assert_int_eq(x509_csr_parse(der, len, &got), 0);
	assert_int_eq(x509_csr_check(got, why, sizeof(why)), PCA_ERR_BAD_SIGNATURE);
	assert_str_contains(why, "signature");
	X509_REQ_free(got);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

static void
expect_key_check(EVP_PKEY *k, int want, const char *needle)
{
	X509_REQ *req = make_csr(k, "k.example", NULL);
	char why[256];

	assert_int_eq(x509_csr_check(req, why, sizeof(why)), want);
	if (needle != NULL)
		assert_str_contains(why, needle);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

static void
test_csr_keys(void)
{
	expect_key_check(key_rsa(1024), PCA_ERR_UNSUPPORTED, "1024 bits");
	expect_key_check(key_rsa(2048), 0, NULL);
	expect_key_check(key_rsa(3072), 0, NULL);
	expect_key_check(key_ec("secp256k1"), PCA_ERR_UNSUPPORTED, "secp256k1");
	expect_key_check(key_ec("P-256"), 0, NULL);
	expect_key_check(key_ec("P-384"), 0, NULL);
	expect_key_check(key_ec("P-521"), 0, NULL);
	expect_key_check(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), PCA_ERR_UNSUPPORTED, "ED25519");
}

static void
test_csr_subject_or_san(void)
{
	EVP_PKEY *k = key_ec("P-256");
	X509_REQ *none = make_csr(k, NULL, NULL), *san = make_csr(k, NULL, "only.example");
	X509_REQ *both = make_csr(k, "cn.example", NULL);
	uint8_t *der;
	const unsigned char *p;
	size_t len;
	GENERAL_NAMES *gens;
	char why[256];

	assert_int_eq(x509_csr_check(none, why, sizeof(why)), PCA_ERR_INVALID);
	assert_int_eq(x509_csr_check(san, why, sizeof(why)), 0);

	assert_int_eq(x509_csr_san_der(san, &der, &len), 0);
	p = der;
	gens = d2i_GENERAL_NAMES(NULL, &p, (long)len);
	assert_ptr_not_null(gens);
	assert_true(p == der + len);
	assert_int_eq(sk_GENERAL_NAME_num(gens), 1);
	assert_int_eq(sk_GENERAL_NAME_value(gens, 0)->type, GEN_DNS);
	GENERAL_NAMES_free(gens);
	free(der);
	assert_int_eq(x509_csr_san_der(both, &der, &len), PCA_ERR_NOT_FOUND);
	assert_ptr_null(der);

	/* subject and SPKI come out as the DER that went in */
	assert_int_eq(x509_csr_subject_der(both, &der, &len), 0);
	{
		X509_NAME *n;

		p = der;
		n = d2i_X509_NAME(NULL, &p, (long)len);
		assert_ptr_not_null(n);
		assert_int_eq(X509_NAME_cmp(n, X509_REQ_get_subject_name(both)), 0);
		X509_NAME_free(n);
	}
	free(der);
	assert_int_eq(x509_csr_spki_der(both, &der, &len), 0);
	{
		EVP_PKEY *back = NULL;

		assert_int_eq(x509_spki_to_pkey(der, len, &back), 0);
		assert_int_eq(x509_pkey_equal(back, k), 1);
		EVP_PKEY_free(back);
	}
	free(der);
	X509_REQ_free(none);
	X509_REQ_free(san);
	X509_REQ_free(both);
	EVP_PKEY_free(k);
}

static void
test_cert_parse_and_pem(void)
{
	EVP_PKEY *k = key_ec("P-256");
	X509 *x = make_cert("root", k, NULL, NULL, 1, 7), *got = NULL;
	uint8_t *der = NULL, *buf;
	size_t len;
	char *pem = NULL;

	assert_int_eq(x509_cert_to_der(x, &der, &len), 0);
	assert_int_eq(x509_cert_parse(der, len, &got), 0);
	assert_int_eq(X509_cmp(x, got), 0);
	X509_free(got);
	buf = malloc(len + 2);
	memcpy(buf, der, len);
	buf[len] = '\n';
	buf[len + 1] = 0;
	assert_int_eq(x509_cert_parse(buf, len + 1, &got), PCA_ERR_MALFORMED);
	free(buf);

	assert_int_eq(x509_cert_der_to_pem(der, len, &pem), 0);
	assert_true(strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	assert_int_eq(x509_cert_parse((uint8_t *)pem, strlen(pem), &got), 0);
	assert_int_eq(X509_cmp(x, got), 0);
	X509_free(got);
	free(pem);
	/* garbage does not become PEM */
	assert_int_eq(x509_cert_der_to_pem((const uint8_t *)"\x30\x00", 2, &pem), PCA_ERR_MALFORMED);
	assert_ptr_null(pem);
	assert_int_eq(x509_csr_der_to_pem(der, len, &pem), PCA_ERR_MALFORMED);
	free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_csr_der_to_pem(void)
{
	EVP_PKEY *k = key_ec("P-384");
	X509_REQ *req = make_csr(k, "p.example", NULL), *got = NULL;
	uint8_t *der;
	size_t len;
	char *pem;

	der = csr_der(req, &len);
	assert_int_eq(x509_csr_der_to_pem(der, len, &pem), 0);
	assert_true(strncmp(pem, "-----BEGIN CERTIFICATE REQUEST-----\n", 36) == 0);
	assert_int_eq(x509_csr_parse((uint8_t *)pem, strlen(pem), &got), 0);
	X509_REQ_free(got);
	free(pem);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

static char *
pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *mem, *s;
	long n;

	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &mem);
	s = malloc((size_t)n + 1);
	memcpy(s, mem, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

static void
test_chain_parse(void)
{
	EVP_PKEY *k = key_ec("P-256");
	X509 *a = make_cert("a", k, NULL, NULL, 1, 1), *b = make_cert("b", k, NULL, NULL, 1, 2);
	char *pa = pem_of(a), *pb = pem_of(b), text[8192];
	STACK_OF(X509) *sk = NULL;

	snprintf(text, sizeof(text), "\n%s\r\n%s\n", pa, pb);
	assert_int_eq(x509_chain_parse((uint8_t *)text, strlen(text), &sk), 0);
	assert_int_eq(sk_X509_num(sk), 2);
	assert_int_eq(X509_cmp(sk_X509_value(sk, 0), a), 0);
	assert_int_eq(X509_cmp(sk_X509_value(sk, 1), b), 0);
	sk_X509_pop_free(sk, X509_free);
	sk = NULL;

	/* text between certificates */
	snprintf(text, sizeof(text), "%scomment\n%s", pa, pb);
	assert_int_eq(x509_chain_parse((uint8_t *)text, strlen(text), &sk), PCA_ERR_MALFORMED);
	assert_ptr_null(sk);
	/* trailing text */
	snprintf(text, sizeof(text), "%s%sx", pa, pb);
	assert_int_eq(x509_chain_parse((uint8_t *)text, strlen(text), &sk), PCA_ERR_MALFORMED);
	/* nothing but blanks */
	assert_int_eq(x509_chain_parse((const uint8_t *)" \n", 2, &sk), PCA_ERR_MALFORMED);
	/* a non-certificate block */
	snprintf(text, sizeof(text), "%s-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", pa);
	assert_int_eq(x509_chain_parse((uint8_t *)text, strlen(text), &sk), PCA_ERR_MALFORMED);
	free(pa);
	free(pb);
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(k);
}

static void
test_verify_chain(void)
{
	EVP_PKEY *kr = key_ec("P-256"), *ks = key_ec("P-384"), *kl = key_rsa(2048);
	X509 *root = make_cert("root", kr, NULL, NULL, 1, 1);
	X509 *sub = make_cert("sub", ks, root, kr, 1, 2);
	X509 *leaf = make_cert("leaf", kl, sub, ks, 0, 3);
	X509 *other = make_cert("other", kl, NULL, NULL, 1, 4);
	STACK_OF(X509) *chain = sk_X509_new_null();
	char why[256];

	sk_X509_push(chain, sub);
	assert_int_eq(x509_verify_chain(leaf, chain, root, T0 + DAY, why, sizeof(why)), 0);
	/* before notBefore / after notAfter: the given time decides */
	assert_int_eq(x509_verify_chain(leaf, chain, root, T0 - DAY, why, sizeof(why)),
	    PCA_ERR_BAD_SIGNATURE);
	assert_str_contains(why, "not yet valid");
	assert_int_eq(x509_verify_chain(leaf, chain, root, T0 + 400 * DAY, why, sizeof(why)),
	    PCA_ERR_BAD_SIGNATURE);
	assert_str_contains(why, "expired");
	/* the wrong anchor */
	assert_int_eq(x509_verify_chain(leaf, chain, other, T0 + DAY, why, sizeof(why)),
	    PCA_ERR_BAD_SIGNATURE);
	/* the intermediate missing */
	assert_int_eq(x509_verify_chain(leaf, NULL, root, T0 + DAY, why, sizeof(why)),
	    PCA_ERR_BAD_SIGNATURE);
	/* the sub CA itself as the anchor (its root is elsewhere) */
	assert_int_eq(x509_verify_chain(leaf, NULL, sub, T0 + DAY, why, sizeof(why)), 0);
	sk_X509_free(chain);
	X509_free(root);
	X509_free(sub);
	X509_free(leaf);
	X509_free(other);
	EVP_PKEY_free(kr);
	EVP_PKEY_free(ks);
	EVP_PKEY_free(kl);
}

static void
test_spki(void)
{
	EVP_PKEY *a = key_ec("P-256"), *b = key_ec("P-256"), *back = NULL;
	uint8_t *der, *buf;
	size_t len;

	assert_int_eq(x509_pkey_to_spki(a, &der, &len), 0);
	assert_int_eq(x509_spki_to_pkey(der, len, &back), 0);
	assert_int_eq(x509_pkey_equal(a, back), 1);
	assert_int_eq(x509_pkey_equal(b, back), 0);
	assert_int_eq(x509_pkey_equal(NULL, back), 0);
	EVP_PKEY_free(back);
	back = NULL;
	buf = malloc(len + 1);
	memcpy(buf, der, len);
	buf[len] = 0;
	assert_int_eq(x509_spki_to_pkey(buf, len + 1, &back), PCA_ERR_MALFORMED);
	assert_ptr_null(back);
	free(buf);
	free(der);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

static void
expect_time(const char *text, int generalized, int64_t want)
{
	ASN1_TIME *t = ASN1_TIME_new();
	int64_t got = -1;

	assert_int_eq(generalized ? ASN1_GENERALIZEDTIME_set_string(t, text) :
	    ASN1_UTCTIME_set_string(t, text), 1);
	assert_int_eq(x509_time_to_epoch(t, &got), 0);
	assert_int_eq(got, want);
	ASN1_TIME_free(t);
}

static void
test_time(void)
{
	ASN1_TIME *t;
	int64_t got;
	EVP_PKEY *k = key_ec("P-256");
	X509 *x = make_cert("t", k, NULL, NULL, 1, 1);
	int64_t nb, na;

	expect_time("700101000000Z", 0, 0);
	expect_time("491231235959Z", 0, 2524607999LL);
	expect_time("500101000000Z", 0, -631152000LL);		/* UTCTime 50 is 1950 */
	expect_time("20500101000000Z", 1, 2524608000LL);
	expect_time("99991231235959Z", 1, 253402300799LL);
	expect_time("20240229120000Z", 1, 1709208000LL);	/* leap day */
	expect_time("19000101000000Z", 1, -2208988800LL);

	t = ASN1_TIME_new();
	ASN1_STRING_set(t, "2024", 4);		/* not a time at all */
	t->type = V_ASN1_GENERALIZEDTIME;
	assert_int_eq(x509_time_to_epoch(t, &got), PCA_ERR_INVALID);
	ASN1_TIME_free(t);
	assert_int_eq(x509_time_to_epoch(NULL, &got), PCA_ERR_INVALID);

	assert_int_eq(x509_cert_validity(x, &nb, &na), 0);
	assert_int_eq(nb, T0);
	assert_int_eq(na, T0 + 365 * DAY);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_serial(void)
{
	const uint8_t s[] = { 0x00, 0x8a, 0x1b, 0xff };
	uint8_t back[X509_SERIAL_MAX], twenty[20];
	char hex[X509_SERIAL_HEX_MAX], colon[60];
	size_t len;
	char big[64];

	x509_serial_hex(s, sizeof(s), hex);
	assert_str_eq(hex, "008a1bff");
	x509_serial_hex_colon(s, sizeof(s), colon);
	assert_str_eq(colon, "00:8a:1b:ff");
	assert_int_eq(x509_serial_parse(hex, back, &len), 0);
	assert_int_eq(len, 4);
	assert_mem_eq(back, s, 4);		/* the leading zero octet kept */
	assert_int_eq(x509_serial_parse(colon, back, &len), 0);
	assert_int_eq(len, 4);
	assert_mem_eq(back, s, 4);
	assert_int_eq(x509_serial_parse("008A1BFF", back, &len), 0);
	assert_mem_eq(back, s, 4);

	for (size_t i = 0; i < sizeof(twenty); i++)
		twenty[i] = (uint8_t)(0x10 + i);
	x509_serial_hex(twenty, sizeof(twenty), hex);
	assert_int_eq(strlen(hex), 40);
	assert_int_eq(x509_serial_parse(hex, back, &len), 0);
	assert_int_eq(len, 20);
	assert_mem_eq(back, twenty, 20);
	x509_serial_hex_colon(twenty, sizeof(twenty), colon);
	assert_int_eq(strlen(colon), 59);
	assert_int_eq(x509_serial_parse(colon, back, &len), 0);
	assert_mem_eq(back, twenty, 20);

	snprintf(big, sizeof(big), "%s00", hex);	/* 21 octets */
	assert_int_eq(x509_serial_parse(big, back, &len), PCA_ERR_INVALID);
	assert_int_eq(x509_serial_parse("", back, &len), PCA_ERR_INVALID);
	assert_int_eq(x509_serial_parse("abc", back, &len), PCA_ERR_INVALID);
	assert_int_eq(x509_serial_parse("0g", back, &len), PCA_ERR_INVALID);
	assert_int_eq(x509_serial_parse("0a:1b2c", back, &len), PCA_ERR_INVALID);
	assert_int_eq(x509_serial_parse("0a1b:2c", back, &len), PCA_ERR_INVALID);
	assert_int_eq(x509_serial_parse("0a:", back, &len), PCA_ERR_INVALID);
	assert_int_eq(x509_serial_parse(":0a", back, &len), PCA_ERR_INVALID);
	assert_int_eq(x509_serial_parse("0a::1b", back, &len), PCA_ERR_INVALID);
	assert_int_eq(x509_serial_parse("a:1b", back, &len), PCA_ERR_INVALID);
	assert_int_eq(x509_serial_parse(" 0a", back, &len), PCA_ERR_INVALID);
}

static void
test_cert_serial_hex(void)
{
	EVP_PKEY *k = key_ec("P-256");
	X509 *x = make_cert("s", k, NULL, NULL, 1, 1);
	BIGNUM *bn = NULL;
	char hex[X509_SERIAL_HEX_MAX];

	/* top bit set: the DER content has a leading 00, and so has the text */
	BN_hex2bn(&bn, "8a1b2c3d4e5f6071");
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	assert_int_eq(x509_cert_serial_hex(x, hex), 0);
	assert_str_eq(hex, "008a1b2c3d4e5f6071");
	BN_hex2bn(&bn, "7a1b2c3d4e5f6071");
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	assert_int_eq(x509_cert_serial_hex(x, hex), 0);
	assert_str_eq(hex, "7a1b2c3d4e5f6071");
	/* 21 content octets do not fit */
	BN_hex2bn(&bn, "8a1b2c3d4e5f60718a1b2c3d4e5f60718a1b2c3d");
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	assert_int_eq(x509_cert_serial_hex(x, hex), PCA_ERR_INVALID);
	/* negative */
	BN_hex2bn(&bn, "-05");
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	assert_int_eq(x509_cert_serial_hex(x, hex), PCA_ERR_INVALID);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_oid(void)
{
	static const char *const good[] = {
		"2.5.29.17", "1.3.6.1.5.5.7.3.1", "0.0", "2.999.1", "1.39",
		"1.2.840.113549.1.1.11", "2.25.329800735698586629295641978511506172918",
	};
	static const char *const bad[] = {
		"", "1", "3.1", "1.40", "0.40", "1..2", "1.2.", ".1.2", "1.02", "01.2",
		"serverAuth", "1.2.a", " 1.2", "1.2 ", "1,2", "-1.2", "1.2.+3",
	};
	ASN1_OBJECT *o = NULL;
	char back[200];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_eq(x509_oid_parse(good[i], &o), 0);
		OBJ_obj2txt(back, sizeof(back), o, 1);
		assert_str_eq(back, good[i]);
		ASN1_OBJECT_free(o);
		o = NULL;
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (x509_oid_parse(bad[i], &o) != PCA_ERR_INVALID)
			test_fail(__FILE__, __LINE__, "OID \"%s\" accepted", bad[i]);
		assert_ptr_null(o);
	}
	assert_int_eq(x509_oid_parse(NULL, &o), PCA_ERR_INVALID);
}

static void
test_name_oneline(void)
{
	X509_NAME *n = X509_NAME_new();
	char *s;

	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"Acme, Inc", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"h\xc3\xa9llo", -1, -1, 0);
	s = x509_name_oneline(n);
	assert_str_eq(s, "CN=h\xc3\xa9llo,O=Acme\\, Inc");
	free(s);
	X509_NAME_free(n);
	n = X509_NAME_new();
	s = x509_name_oneline(n);
	assert_str_eq(s, "");
	free(s);
	X509_NAME_free(n);
}

static void
expect_b64(const char *in, const char *want, size_t want_len)
{
	uint8_t *out = NULL;
	size_t len = 99;
	char *enc;

	assert_int_eq(b64_decode(in, strlen(in), &out, &len), 0);
	assert_int_eq(len, want_len);
	assert_mem_eq(out, want, want_len);
	enc = b64_encode(out, len);
	assert_str_eq(enc, in);
	free(enc);
	free(out);
}

static void
test_b64(void)
{
	static const char *const bad[] = {
		"Z", "Zg", "Zg=", "Zm9", "Zg= ", " Zg==", "Zg==\n", "Zm 9v",
		"Zg==Zg==", "====", "Z===", "=Zm9", "Zm=v", "Zm9v!AAA", "Zh==", "Zm9=",
		"Zm-v", "Zm_v",
	};
	uint8_t *out = NULL, all[256];
	size_t len;
	char *enc;

	expect_b64("", "", 0);
	expect_b64("Zg==", "f", 1);
	expect_b64("Zm8=", "fo", 2);
	expect_b64("Zm9v", "foo", 3);
	expect_b64("Zm9vYg==", "foob", 4);
	expect_b64("AA==", "\0", 1);
	expect_b64("+/8=", "\xfb\xff", 2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (b64_decode(bad[i], strlen(bad[i]), &out, &len) != PCA_ERR_MALFORMED)
			test_fail(__FILE__, __LINE__, "base64 \"%s\" accepted", bad[i]);
		assert_ptr_null(out);
	}
	/* every length and every byte value round-trips */
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)(255 - i);
	for (size_t n = 0; n <= sizeof(all); n++) {
		enc = b64_encode(all, n);
		assert_ptr_not_null(enc);
		assert_int_eq(strlen(enc), 4 * ((n + 2) / 3));
		assert_int_eq(b64_decode(enc, strlen(enc), &out, &len), 0);
		assert_int_eq(len, n);
		assert_mem_eq(out, all, n);
		free(out);
		out = NULL;
		free(enc);
	}
	/* slen bounds the input: the rest of the string is not read */
	assert_int_eq(b64_decode("Zm9vXXX", 4, &out, &len), 0);
	assert_int_eq(len, 3);
	free(out);
}

static void
test_hex(void)
{
	char out[9];

	hex_encode((const uint8_t *)"\x00\x01\xab\xff", 4, out);
	assert_str_eq(out, "0001abff");
	hex_encode(NULL, 0, out);
	assert_str_eq(out, "");
}

/* ---- struct x509_csr ---------------------------------------------------------
 *
 * ref_csr_check() is x509_csr_check() as it was before struct x509_csr
 * (d2i_X509_REQ's decoded key, X509_REQ_verify, then the key rules), kept
 * here as the oracle the new path is compared with: it must never accept
 * what the reference refuses, and accepts the same CSRs except where it is
 * documented to be stricter (x509util.h).
 */
static int
ref_key_check(EVP_PKEY *pkey)
{
	BIGNUM *e = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	char group[64];
	int r = PCA_ERR_UNSUPPORTED, bits, nid;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < 2048 || bits > 16384 ||
		    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) ||
		    !BN_is_odd(e) || BN_cmp(e, BN_value_one()) <= 0)
			goto out;
		break;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
		    group, sizeof(group), NULL))
			goto out;
		nid = OBJ_txt2nid(group);
		if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1)
			goto out;
		if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
		    EVP_PKEY_public_check(ctx) != 1) {
			r = PCA_ERR_INVALID;
			goto out;
		}
		break;
	default:
		goto out;
	}
	r = 0;
 out:
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

static int
ref_csr_check(X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts;
	EVP_PKEY *pkey;
	int r, san;

	if ((pkey = X509_REQ_get0_pubkey(req)) == NULL) {
		ERR_clear_error();
		return PCA_ERR_UNSUPPORTED;
	}
	if (X509_REQ_verify(req, pkey) != 1) {
		ERR_clear_error();
		return PCA_ERR_BAD_SIGNATURE;
	}
	if ((r = ref_key_check(pkey)) != 0)
		return r;
	if (X509_NAME_entry_count(X509_REQ_get_subject_name(req)) == 0) {
		exts = X509_REQ_get_extensions(req);
		san = exts != NULL && X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1) >= 0;
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		ERR_clear_error();
		if (!san)
			return PCA_ERR_INVALID;
	}
	return 0;
}

/* The reference's answer for data: 1 when x509_csr_parse refuses it. */
static int
ref_of(const uint8_t *data, size_t len, int *parsed)
{
	X509_REQ *req = NULL;
	int r;

	*parsed = x509_csr_parse(data, len, &req) == 0;
	if (!*parsed)
		return PCA_ERR_MALFORMED;
	r = ref_csr_check(req);
	X509_REQ_free(req);
	return r;
}

/*
 * data through both paths. Checked: both parse it or neither; the new
 * check's answer is want (and the reference's ref_want: PCA_ERR_* or 0,
 * or 1 for "same as want"); when both parse, the subject, SPKI and SAN
 * are the same bytes, and an accepted key is the reference's key.
 */
static void
expect_csr(const uint8_t *data, size_t len, int want, int ref_want, const char *needle)
{
	struct x509_csr *csr = NULL;
	X509_REQ *req = NULL;
	uint8_t *a, *b;
	size_t alen, blen;
	char why[256];
	int parsed, ref, r;
	static const enum x509_csr_part parts[] = { X509_CSR_SUBJECT, X509_CSR_SPKI,
	    X509_CSR_SAN };

	ref = ref_of(data, len, &parsed);
	assert_int_eq(ref, ref_want == 1 ? want : ref_want);
	r = x509_csr_load(data, len, &csr);
	assert_int_eq(r == 0, parsed);
	if (r != 0) {
		assert_ptr_null(csr);
		assert_int_eq(want, PCA_ERR_MALFORMED);
		return;
	}
	assert_int_eq(x509_csr_validate(csr, why, sizeof(why)), want);
	assert_int_eq(want == 0, why[0] == '\0');
	if (needle != NULL)
		assert_str_contains(why, needle);
	/* the same answer twice: the key is built once */
	assert_int_eq(x509_csr_validate(csr, why, sizeof(why)), want);
	assert_int_eq(x509_csr_parse(data, len, &req), 0);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int ra = x509_csr_part_der(csr, parts[i], &a, &alen);
		int rb = parts[i] == X509_CSR_SUBJECT ? x509_csr_subject_der(req, &b, &blen) :
		    parts[i] == X509_CSR_SPKI ? x509_csr_spki_der(req, &b, &blen) :
		    x509_csr_san_der(req, &b, &blen);

		assert_int_eq(ra, rb);
		assert_int_eq(alen, blen);
		if (ra == 0)
			assert_mem_eq(a, b, alen);
		free(a);
		free(b);
	}
	if (want == 0) {
		assert_ptr_not_null(x509_csr_pkey(csr));
		assert_int_eq(x509_pkey_equal(x509_csr_pkey(csr), X509_REQ_get0_pubkey(req)), 1);
		assert_int_eq(X509_NAME_cmp(x509_csr_subject(csr),
		    X509_REQ_get_subject_name(req)), 0);
	}
	assert_int_eq(ERR_peek_error(), 0);
	X509_REQ_free(req);
	x509_csr_free(csr);
}

static void
expect_req(X509_REQ *req, int want, int ref_want, const char *needle)
{
	size_t len;
	uint8_t *der = csr_der(req, &len);

	expect_csr(der, len, want, ref_want, needle);
	OPENSSL_free(der);
}

/* A CSR of key, with a subjectAltName when san, as DER and as PEM. */
static void
expect_key(EVP_PKEY *k, int san, int want, int ref_want, const char *needle)
{
	X509_REQ *req = make_csr(k, san ? NULL : "k.example", san ? "k.example" : NULL);
	size_t len;
	char *pem = csr_pem(req, 0, &len);

	expect_req(req, want, ref_want, needle);
	expect_csr((const uint8_t *)pem, len, want, ref_want, needle);
	free(pem);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

static void
test_csr_load_keys(void)
{
	expect_key(key_rsa(2048), 0, 0, 1, NULL);
	expect_key(key_rsa(3072), 1, 0, 1, NULL);
	expect_key(key_rsa(4096), 0, 0, 1, NULL);
	expect_key(key_ec("P-256"), 1, 0, 1, NULL);
	expect_key(key_ec("P-384"), 0, 0, 1, NULL);
	expect_key(key_ec("P-521"), 1, 0, 1, NULL);
	expect_key(key_rsa(1024), 0, PCA_ERR_UNSUPPORTED, 1, "1024 bits");
	expect_key(key_ec("secp256k1"), 0, PCA_ERR_UNSUPPORTED, 1, "secp256k1");
	expect_key(key_ec("P-224"), 0, PCA_ERR_UNSUPPORTED, 1, "secp224r1");
	expect_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), 0, PCA_ERR_UNSUPPORTED, 1,
	    "ED25519");
	{
		/* an id-RSASSA-PSS key (not rsaEncryption) */
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
		EVP_PKEY *k = NULL;

		assert_ptr_not_null(ctx);
		assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
		assert_int_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
		assert_int_eq(EVP_PKEY_keygen(ctx, &k), 1);
		EVP_PKEY_CTX_free(ctx);
		expect_key(k, 0, PCA_ERR_UNSUPPORTED, 1, "RSASSA-PSS");
	}
}

/* The curves accepted have cofactor 1, which makes the quick public key
 * check the full one (x509util.c csr_ec_curves). */
static void
test_csr_curves_cofactor(void)
{
	static const int nids[] = { NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1 };

	for (size_t i = 0; i < sizeof(nids) / sizeof(nids[0]); i++) {
		EC_GROUP *g = EC_GROUP_new_by_curve_name(nids[i]);

		assert_ptr_not_null(g);
		assert_true(BN_is_one(EC_GROUP_get0_cofactor(g)));
		EC_GROUP_free(g);
	}
}

static void
test_csr_load_signatures(void)
{
	EVP_PKEY *rsa = key_rsa(2048), *ec = key_ec("P-256");
	X509_REQ *req;
	X509_ALGOR *alg;
	EVP_MD_CTX *md;
	EVP_PKEY_CTX *pctx;
	uint8_t *der;
	size_t len;

	/* tampered: the signature's last byte, or a subject byte */
	req = make_csr(rsa, "flip.example", NULL);
	der = csr_der(req, &len);
	der[len - 1] ^= 0x01;
	expect_csr(der, len, PCA_ERR_BAD_SIGNATURE, 1, "signature");
	der[len - 1] ^= 0x01;
	{
		/* a letter of the subject, inside the CertificationRequestInfo */
		uint8_t *cn = memmem(der, len, "flip.example", 12);

		assert_ptr_not_null(cn);
		cn[0] ^= 0x01;
		expect_csr(der, len, PCA_ERR_BAD_SIGNATURE, 1, "signature");
	}
	OPENSSL_free(der);
	X509_REQ_free(req);
	req = make_csr(ec, "flip.example", NULL);
	der = csr_der(req, &len);
	der[len - 3] ^= 0x10;
	expect_csr(der, len, PCA_ERR_BAD_SIGNATURE, 1, "signature");
	OPENSSL_free(der);
	X509_REQ_free(req);

	/* RSA-PSS signatures with an rsaEncryption key verify, as in
	 * X509_REQ_verify (its parameters decide the hash and salt) */
	req = make_csr(rsa, "pss.example", NULL);
	assert_ptr_not_null(md = EVP_MD_CTX_new());
	assert_int_eq(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, rsa), 1);
	assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
	assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32), 1);
	assert_true(X509_REQ_sign_ctx(req, md) > 0);
	EVP_MD_CTX_free(md);
	assert_int_eq(X509_REQ_get_signature_nid(req), NID_rsassaPss);
	expect_req(req, 0, 1, NULL);
	X509_REQ_free(req);

	/* SHA-1 and SHA-512 signatures: as the reference */
	req = make_csr(ec, "sha1.example", NULL);
	assert_true(X509_REQ_sign(req, ec, EVP_sha1()) > 0);
	expect_req(req, 0, 1, NULL);
	assert_true(X509_REQ_sign(req, ec, EVP_sha512()) > 0);
	expect_req(req, 0, 1, NULL);

	/* the algorithm must match the key: an ECDSA signature labelled
	 * sha256WithRSAEncryption is refused */
	assert_ptr_not_null(alg = X509_ALGOR_new());
	assert_int_eq(X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256WithRSAEncryption),
	    V_ASN1_NULL, NULL), 1);
	assert_int_eq(X509_REQ_set1_signature_algo(req, alg), 1);
	X509_ALGOR_free(alg);
	expect_req(req, PCA_ERR_BAD_SIGNATURE, 1, "signature");
	/* and an unknown signature algorithm */
	assert_ptr_not_null(alg = X509_ALGOR_new());
	assert_int_eq(X509_ALGOR_set0(alg, OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1),
	    V_ASN1_UNDEF, NULL), 1);
	assert_int_eq(X509_REQ_set1_signature_algo(req, alg), 1);
	X509_ALGOR_free(alg);
	expect_req(req, PCA_ERR_BAD_SIGNATURE, 1, "signature");
	X509_REQ_free(req);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

/* req with its SubjectPublicKeyInfo replaced by (alg, ptype/pval, key
 * bytes), signed with signer. */
static X509_REQ *
csr_with_spki(EVP_PKEY *signer, int alg_nid, int ptype, void *pval, const uint8_t *key,
    size_t keylen)
{
	X509_REQ *req = make_csr(signer, "spki.example", NULL);
	X509_PUBKEY *pub = X509_REQ_get_X509_PUBKEY(req);
	unsigned char *copy = OPENSSL_malloc(keylen);

	memcpy(copy, key, keylen);
	assert_int_eq(X509_PUBKEY_set0_param(pub, OBJ_nid2obj(alg_nid), ptype, pval, copy,
	    (int)keylen), 1);
	/* X509_REQ_sign re-encodes the CertificationRequestInfo */
	assert_true(X509_REQ_sign(req, signer, EVP_sha256()) > 0);
	return req;
}

/* The RSAPublicKey of an RSA key, plus extra bytes. */
static uint8_t *
rsa_pub_der(EVP_PKEY *k, const BIGNUM *e_override, size_t extra, size_t *len)
{
	BIGNUM *n = NULL, *e = NULL;
	ASN1_INTEGER *an, *ae;
	uint8_t buf[1200], *p = buf, *out;
	int nl, el;

	assert_int_eq(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_eq(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	an = BN_to_ASN1_INTEGER(n, NULL);
	ae = BN_to_ASN1_INTEGER(e_override != NULL ? e_override : e, NULL);
	nl = i2d_ASN1_INTEGER(an, NULL);
	el = i2d_ASN1_INTEGER(ae, NULL);
	assert_true(nl + el < 1000);
	*p++ = 0x30;
	*p++ = 0x82;
	*p++ = (uint8_t)((nl + el) >> 8);
	*p++ = (uint8_t)(nl + el);
	i2d_ASN1_INTEGER(an, &p);
	i2d_ASN1_INTEGER(ae, &p);
	memset(p, 0, extra);
	p += extra;
	*len = (size_t)(p - buf);
	out = malloc(*len);
	memcpy(out, buf, *len);
	ASN1_INTEGER_free(an);
	ASN1_INTEGER_free(ae);
	BN_free(n);
	BN_free(e);
	return out;
}

static void
test_csr_load_key_encodings(void)
{
	EVP_PKEY *rsa = key_rsa(2048), *ec = key_ec("P-256"), *k;
	BIGNUM *even = BN_new();
	X509_REQ *req;
	uint8_t *key, point[133];
	size_t len;

	/* RSA: the RSAPublicKey as OpenSSL writes it verifies */
	key = rsa_pub_der(rsa, NULL, 0, &len);
	req = csr_with_spki(rsa, NID_rsaEncryption, V_ASN1_NULL, NULL, key, len);
	expect_req(req, 0, 1, NULL);
	X509_REQ_free(req);
	/* absent parameters are tolerated (as before) */
	req = csr_with_spki(rsa, NID_rsaEncryption, V_ASN1_UNDEF, NULL, key, len);
	expect_req(req, 0, 1, NULL);
	X509_REQ_free(req);
	/* other parameters are not (stricter than the decoder, which ignores
	 * them) */
	req = csr_with_spki(rsa, NID_rsaEncryption, V_ASN1_OBJECT,
	    OBJ_nid2obj(NID_sha256), key, len);
	expect_req(req, PCA_ERR_UNSUPPORTED, 0, "malformed");
	X509_REQ_free(req);
	free(key);
	/* bytes after the RSAPublicKey: refused (the decoder ignored them) */
	key = rsa_pub_der(rsa, NULL, 2, &len);
	req = csr_with_spki(rsa, NID_rsaEncryption, V_ASN1_NULL, NULL, key, len);
	expect_req(req, PCA_ERR_UNSUPPORTED, 0, "malformed");
	X509_REQ_free(req);
	free(key);
	/* an even exponent: refused before any signature is checked (the
	 * CSR is signed by a key it does not hold) */
	assert_int_eq(BN_set_word(even, 65538), 1);
	key = rsa_pub_der(rsa, even, 0, &len);
	req = csr_with_spki(rsa, NID_rsaEncryption, V_ASN1_NULL, NULL, key, len);
	expect_req(req, PCA_ERR_UNSUPPORTED, PCA_ERR_BAD_SIGNATURE, "odd");
	X509_REQ_free(req);
	free(key);
	/* exponent 1 */
	assert_int_eq(BN_set_word(even, 1), 1);
	key = rsa_pub_der(rsa, even, 0, &len);
	req = csr_with_spki(rsa, NID_rsaEncryption, V_ASN1_NULL, NULL, key, len);
	expect_req(req, PCA_ERR_UNSUPPORTED, PCA_ERR_BAD_SIGNATURE, "odd");
	X509_REQ_free(req);
	free(key);

	/* EC: the uncompressed point verifies; compressed as well (same
	 * SPKI bytes handed on) */
	assert_int_eq(EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, point,
	    sizeof(point), &len), 1);
	assert_int_eq(len, 65);
	req = csr_with_spki(ec, NID_X9_62_id_ecPublicKey, V_ASN1_OBJECT,
	    OBJ_nid2obj(NID_X9_62_prime256v1), point, len);
	expect_req(req, 0, 1, NULL);
	X509_REQ_free(req);
	k = EVP_PKEY_dup(ec);
	assert_int_eq(EVP_PKEY_set_utf8_string_param(k,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"), 1);
	req = make_csr(k, "compressed.example", NULL);
	assert_int_eq(X509_PUBKEY_get0_param(NULL, (const unsigned char **)&key, (int *)&len,
	    NULL, X509_REQ_get_X509_PUBKEY(req)), 1);
	assert_int_eq(len, 33);
	expect_req(req, 0, 1, NULL);
	X509_REQ_free(req);
	/* explicit curve parameters: refused (RFC 5480 namedCurve only;
	 * the decoder took a P-256 spelled out) */
	assert_int_eq(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING,
	    OSSL_PKEY_EC_ENCODING_EXPLICIT), 1);
	req = make_csr(k, "explicit.example", NULL);
	expect_req(req, PCA_ERR_UNSUPPORTED, 0, "named curve");
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	/* a point off the curve, and the point at infinity */
	point[64] ^= 0x01;
	req = csr_with_spki(ec, NID_X9_62_id_ecPublicKey, V_ASN1_OBJECT,
	    OBJ_nid2obj(NID_X9_62_prime256v1), point, 65);
	expect_req(req, PCA_ERR_INVALID, PCA_ERR_UNSUPPORTED, "point");
	X509_REQ_free(req);
	point[0] = 0x00;
	req = csr_with_spki(ec, NID_X9_62_id_ecPublicKey, V_ASN1_OBJECT,
	    OBJ_nid2obj(NID_X9_62_prime256v1), point, 1);
	expect_req(req, PCA_ERR_INVALID, PCA_ERR_BAD_SIGNATURE, "point");
	X509_REQ_free(req);
	/* no curve at all */
	req = csr_with_spki(ec, NID_X9_62_id_ecPublicKey, V_ASN1_NULL, NULL, point, 65);
	expect_req(req, PCA_ERR_UNSUPPORTED, 1, "named curve");
	X509_REQ_free(req);
	/* an algorithm nobody knows */
	req = make_csr(ec, "unknown.example", NULL);
	assert_int_eq(X509_PUBKEY_set0_param(X509_REQ_get_X509_PUBKEY(req),
	    OBJ_txt2obj("1.3.6.1.4.1.55555.2", 1), V_ASN1_NULL, NULL, NULL, 0), 1);
	assert_true(X509_REQ_sign(req, ec, EVP_sha256()) > 0);
	expect_req(req, PCA_ERR_UNSUPPORTED, 1, "not supported");
	X509_REQ_free(req);
	BN_free(even);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

/* load refuses data that x509_csr_parse takes (BER): the one place the
 * new path is stricter before looking at the key. */
static void
expect_ber(const uint8_t *data, size_t len)
{
	struct x509_csr *csr = (struct x509_csr *)1;
	X509_REQ *req = NULL;

	assert_int_eq(x509_csr_parse(data, len, &req), 0);
	X509_REQ_free(req);
	assert_int_eq(x509_csr_load(data, len, &csr), PCA_ERR_MALFORMED);
	assert_ptr_null(csr);
	assert_int_eq(ERR_peek_error(), 0);
}

/* Bytes trailing or missing, and a CSR spelled in BER. */
static void
test_csr_load_strict(void)
{
	EVP_PKEY *k = key_ec("P-256");
	X509_REQ *req = make_csr(k, "strict.example", NULL);
	uint8_t *der, *buf;
	size_t len;

	der = csr_der(req, &len);
	assert_true(len > 128 && len < 256 && der[0] == 0x30 && der[1] == 0x81);
	buf = malloc(len + 8);
	/* one byte more, one byte less */
	memcpy(buf, der, len);
	buf[len] = 0;
	expect_csr(buf, len + 1, PCA_ERR_MALFORMED, 1, NULL);
	expect_csr(buf, len - 1, PCA_ERR_MALFORMED, 1, NULL);
	/* the outer length in three octets instead of one */
	buf[0] = 0x30;
	buf[1] = 0x83;
	buf[2] = 0;
	buf[3] = 0;
	memcpy(buf + 4, der + 2, len - 2);
	expect_ber(buf, len + 2);
	/* in two octets, with a leading zero */
	buf[1] = 0x82;
	memcpy(buf + 3, der + 2, len - 2);
	expect_ber(buf, len + 1);
	/* indefinite length, closed by end-of-contents */
	buf[1] = 0x80;
	memcpy(buf + 2, der + 3, len - 3);
	buf[len - 1] = 0;
	buf[len] = 0;
	expect_ber(buf, len + 1);
	free(buf);
	OPENSSL_free(der);
	/* a constructed OCTET STRING, inside an attribute's value */
	{
		static const uint8_t value[] = { 0x30, 0x06, 0x24, 0x04, 0x04, 0x02, 0x41, 0x42 };

		assert_int_eq(X509_REQ_add1_attr_by_txt(req, "1.3.6.1.4.1.55555.3",
		    V_ASN1_SEQUENCE, value, sizeof(value)), 1);
		assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
		der = csr_der(req, &len);
		expect_ber(der, len);
	}
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

/* Every seed of the CSR fuzzer, through both paths. */
static void
test_csr_load_corpus(void)
{
	static const struct { const char *name; int want, ref_want, ber; } seeds[] = {
		{ "bad-signature.der", PCA_ERR_BAD_SIGNATURE, 1, 0 },
		{ "ed25519.pem", PCA_ERR_UNSUPPORTED, 1, 0 },
		{ "empty-subject-no-san.pem", PCA_ERR_INVALID, 1, 0 },
		{ "empty-subject-san.pem", 0, 1, 0 },
		{ "extensions.pem", 0, 1, 0 },
		{ "old-label.pem", 0, 1, 0 },
		{ "p256-san.der", 0, 1, 0 },
		{ "p384.pem", 0, 1, 0 },
		{ "p521.der", 0, 1, 0 },
		{ "rsa2048.pem", 0, 1, 0 },
		{ "rsa4096-san.pem", 0, 1, 0 },
		{ "secp256k1.pem", PCA_ERR_UNSUPPORTED, 1, 0 },
		{ "text-after.pem", PCA_ERR_MALFORMED, 1, 0 },
		{ "text-before.pem", 0, 1, 0 },
		{ "truncated.der", PCA_ERR_MALFORMED, 1, 0 },
		{ "utf8-subject.pem", 0, 1, 0 },
		{ "rsa-pss-signature.pem", 0, 1, 0 },
		{ "p256-compressed.pem", 0, 1, 0 },
		/* the reference took a P-256 spelled out; namedCurve only now */
		{ "p256-explicit.pem", PCA_ERR_UNSUPPORTED, 0, 0 },
		{ "ber-indefinite.der", PCA_ERR_MALFORMED, 0, 1 },
	};
	char path[1024];
	uint8_t *data;
	size_t len;

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/csr/%s", HSMCA_SOURCE_DIR,
		    seeds[i].name);
		if ((data = (uint8_t *)test_read_file(path, &len)) == NULL)
			test_fail(__FILE__, __LINE__, "cannot read %s", path);
		if (seeds[i].ber)
			expect_ber(data, len);
		else
			expect_csr(data, len, seeds[i].want, seeds[i].ref_want, NULL);
		free(data);
	}
}

struct csr_worker {
	const uint8_t	*der[3];
	size_t		 len[3];
	int		 want[3];
	unsigned long	 wrong;
};

static void *
csr_worker_main(void *arg)
{
	struct csr_worker *w = arg;
	struct x509_csr *csr;
	char why[256];

	for (int i = 0; i < 300; i++) {
		int k = i % 3;

		if (x509_csr_load(w->der[k], w->len[k], &csr) != 0 ||
		    x509_csr_validate(csr, why, sizeof(why)) != w->want[k] ||
		    (w->want[k] == 0 && x509_csr_pkey(csr) == NULL))
			w->wrong++;
		x509_csr_free(csr);
	}
	return NULL;
}

/* Threads validating EC CSRs at once share the curve templates. */
static void
test_csr_load_threads(void)
{
	EVP_PKEY *k256 = key_ec("P-256"), *k384 = key_ec("P-384");
	X509_REQ *a = make_csr(k256, "a.example", NULL), *b = make_csr(k384, "b.example", NULL);
	struct csr_worker w[4];
	pthread_t th[4];
	uint8_t *da, *db, *bad;
	size_t la, lb;

	da = csr_der(a, &la);
	db = csr_der(b, &lb);
	bad = malloc(la);
	memcpy(bad, da, la);
	bad[la - 2] ^= 0x40;
	for (int i = 0; i < 4; i++) {
		w[i].der[0] = da;
		w[i].len[0] = la;
		w[i].want[0] = 0;
		w[i].der[1] = db;
		w[i].len[1] = lb;
		w[i].want[1] = 0;
		w[i].der[2] = bad;
		w[i].len[2] = la;
		w[i].want[2] = PCA_ERR_BAD_SIGNATURE;
		w[i].wrong = 0;
		assert_int_eq(pthread_create(&th[i], NULL, csr_worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_eq(w[i].wrong, 0);
	}
	free(bad);
	OPENSSL_free(da);
	OPENSSL_free(db);
	X509_REQ_free(a);
	X509_REQ_free(b);
	EVP_PKEY_free(k256);
	EVP_PKEY_free(k384);
}

/* What the frontend spends on a CSR, then and now (a diagnostic). */
static void
test_csr_load_speed(void)
{
	static const char *const curves[] = { "P-256", "RSA" };
	uint64_t t0, t1, t2;
	char why[256];
	int n = 200;

	for (size_t c = 0; c < 2; c++) {
		EVP_PKEY *k = c == 0 ? key_ec("P-256") : key_rsa(2048);
		X509_REQ *req = make_csr(k, "speed.example", NULL);
		size_t len;
		uint8_t *der = csr_der(req, &len);

		t0 = clock_mono_ns();
		for (int i = 0; i < n; i++) {
			X509_REQ *got = NULL;

			assert_int_eq(x509_csr_parse(der, len, &got), 0);
			assert_int_eq(ref_csr_check(got), 0);
			X509_REQ_free(got);
		}
		t1 = clock_mono_ns();
		for (int i = 0; i < n; i++) {
			struct x509_csr *csr = NULL;

			assert_int_eq(x509_csr_load(der, len, &csr), 0);
			assert_int_eq(x509_csr_validate(csr, why, sizeof(why)), 0);
			x509_csr_free(csr);
		}
		t2 = clock_mono_ns();
		test_diag("%s CSR parse + check: %.1f us before (X509_REQ), %.1f us now "
		    "(struct x509_csr)", curves[c], (double)(t1 - t0) / n / 1e3,
		    (double)(t2 - t1) / n / 1e3);
		OPENSSL_free(der);
		X509_REQ_free(req);
		EVP_PKEY_free(k);
	}
}

int
main(void)
{
	test_run("x509util/csr_pem_and_der", test_csr_pem_and_der);
	test_run("x509util/csr_garbage", test_csr_garbage);
	test_run("x509util/csr_wrong_label", test_csr_wrong_label);
	test_run("x509util/csr_bad_signature", test_csr_bad_signature);
	test_run("x509util/csr_keys", test_csr_keys);
	test_run("x509util/csr_subject_or_san", test_csr_subject_or_san);
	test_run("x509util/csr_load_keys", test_csr_load_keys);
	test_run("x509util/csr_curves_cofactor", test_csr_curves_cofactor);
	test_run("x509util/csr_load_signatures", test_csr_load_signatures);
	test_run("x509util/csr_load_key_encodings", test_csr_load_key_encodings);
	test_run("x509util/csr_load_strict", test_csr_load_strict);
	test_run("x509util/csr_load_corpus", test_csr_load_corpus);
	test_run("x509util/csr_load_threads", test_csr_load_threads);
	test_run("x509util/csr_load_speed", test_csr_load_speed);
	test_run("x509util/cert_parse_and_pem", test_cert_parse_and_pem);
	test_run("x509util/csr_der_to_pem", test_csr_der_to_pem);
	test_run("x509util/chain_parse", test_chain_parse);
	test_run("x509util/verify_chain", test_verify_chain);
	test_run("x509util/spki", test_spki);
	test_run("x509util/time", test_time);
	test_run("x509util/serial", test_serial);
	test_run("x509util/cert_serial_hex", test_cert_serial_hex);
	test_run("x509util/oid", test_oid);
	test_run("x509util/name_oneline", test_name_oneline);
	test_run("x509util/b64", test_b64);
	test_run("x509util/hex", test_hex);
	return test_done();
}
