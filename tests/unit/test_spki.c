/*
 * test_spki.c - subject keys read from their bytes (signer/spki.c), and the
 * proof that the signer decides about them as it did when OpenSSL decoded
 * every key: for keys of every type the policy knows and byte-level
 * mutations of them, policy_check_cert gives the same code and reason and
 * tbs_cert_build accepts the same keys, whether spki.c reads the key or
 * OpenSSL's decoder does (the old path, still used for SPKI_OTHER), and
 * tbs_cert_build agrees with the old rule written out here
 * (X509_set_pubkey of the decoded key must encode to the requested bytes).
 */
#include "test.h"
#include "err.h"
#include "policy.h"
#include "spki.h"
#include "tbs.h"
#include "x509util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#define NOW	1767225600LL	/* 2026-01-01T00:00:00Z */
#define DAY	86400LL
#define DER_MAX	4096

/* ---- making SPKIs -------------------------------------------------------- */

struct der {
	uint8_t		 b[DER_MAX];
	size_t		 n;
};

static void
der_put(struct der *d, const void *p, size_t n)
{
	assert_true(d->n + n <= sizeof(d->b));
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

/* tag, DER length, contents */
static void
der_tlv_put(struct der *d, uint8_t tag, const uint8_t *c, size_t n)
{
	uint8_t h[4];
	size_t hl = 0;

	h[hl++] = tag;
	if (n < 0x80) {
		h[hl++] = (uint8_t)n;
	} else if (n < 0x100) {
		h[hl++] = 0x81;
		h[hl++] = (uint8_t)n;
	} else {
		assert_true(n < 0x10000);
		h[hl++] = 0x82;
		h[hl++] = (uint8_t)(n >> 8);
		h[hl++] = (uint8_t)n;
	}
	der_put(d, h, hl);
	der_put(d, c, n);
}

static const uint8_t oid_rsa[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const uint8_t der_null[] = { 0x05, 0x00 };

/*
 * An rsaEncryption SPKI with these INTEGER contents for n and e (taken as
 * given, so they may be negative or padded), these parameters (NULL: none)
 * and this unused-bits octet.
 */
static void
rsa_spki(struct der *out, const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
    const uint8_t *params, size_t params_len, uint8_t unused)
{
	struct der ints = { .n = 0 }, key = { .n = 0 }, bits = { .n = 0 }, alg = { .n = 0 };
	struct der algseq = { .n = 0 }, body = { .n = 0 };

	der_tlv_put(&ints, 0x02, n, nlen);
	der_tlv_put(&ints, 0x02, e, elen);
	der_tlv_put(&key, 0x30, ints.b, ints.n);
	der_put(&bits, &unused, 1);
	der_put(&bits, key.b, key.n);
	der_put(&alg, oid_rsa, sizeof(oid_rsa));
	if (params != NULL)
		der_put(&alg, params, params_len);
	der_tlv_put(&algseq, 0x30, alg.b, alg.n);
	der_put(&body, algseq.b, algseq.n);
	der_tlv_put(&body, 0x03, bits.b, bits.n);
	out->n = 0;
	der_tlv_put(out, 0x30, body.b, body.n);
}

/* The SPKI of k, optionally with an EC point format or parameter encoding. */
static void
key_spki(EVP_PKEY *k, const char *point_format, const char *ec_encoding, struct der *out)
{
	uint8_t *der = NULL;
	size_t len = 0;

	if (point_format != NULL)
		assert_int_eq(EVP_PKEY_set_utf8_string_param(k,
		    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, point_format), 1);
	if (ec_encoding != NULL)
		assert_int_eq(EVP_PKEY_set_utf8_string_param(k,
		    OSSL_PKEY_PARAM_EC_ENCODING, ec_encoding), 1);
	assert_int_eq(x509_pkey_to_spki(k, &der, &len), 0);
	out->n = 0;
	der_put(out, der, len);
	free(der);
}

static EVP_PKEY *
ec_key(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_ptr_not_null(k);
	return k;
}

static EVP_PKEY *
rsa_key(size_t bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);

	assert_ptr_not_null(k);
	return k;
}

static EVP_PKEY *
pss_key(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
	EVP_PKEY *k = NULL;

	assert_ptr_not_null(ctx);
	assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
	assert_int_eq(EVP_PKEY_generate(ctx, &k), 1);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static enum spki_type
type_of(const struct der *d)
{
	struct spki s;

	spki_read(&s, d->b, d->n);
	return s.type;
}

/* ---- shapes -------------------------------------------------------------- */

static void
test_rsa_shapes(void)
{
	EVP_PKEY *k1024 = rsa_key(1024), *k2048 = rsa_key(2048);
	struct der d;
	struct spki s;
	uint8_t n[513], e3[] = { 0x03 }, e65537[] = { 0x01, 0x00, 0x01 }, zero[] = { 0x00 };

	key_spki(k2048, NULL, NULL, &d);
	spki_read(&s, d.b, d.n);
	assert_int_eq(s.type, SPKI_RSA);
	assert_int_eq(s.rsa_bits, 2048);
	assert_true(s.der == d.b && s.len == d.n);
	assert_ptr_not_null(s.alg);
	assert_int_eq(s.alg_len, 2 + sizeof(oid_rsa) + sizeof(der_null));
	assert_true(s.key + s.key_len == d.b + d.n);
	spki_clear(&s);

	key_spki(k1024, NULL, NULL, &d);
	spki_read(&s, d.b, d.n);
	assert_int_eq(s.type, SPKI_RSA);
	assert_int_eq(s.rsa_bits, 1024);

	/* made by hand: the size is the modulus's bits, whatever the bytes */
	memset(n, 0xa5, sizeof(n));
	n[0] = 0x00;
	n[1] = 0xc1;					/* 3072 bits */
	rsa_spki(&d, n, 385, e65537, sizeof(e65537), der_null, sizeof(der_null), 0);
	spki_read(&s, d.b, d.n);
	assert_int_eq(s.type, SPKI_RSA);
	assert_int_eq(s.rsa_bits, 3072);
	n[0] = 0x7f;					/* 2047 bits, no 00 needed */
	rsa_spki(&d, n, 256, e3, sizeof(e3), der_null, sizeof(der_null), 0);
	spki_read(&s, d.b, d.n);
	assert_int_eq(s.type, SPKI_RSA);
	assert_int_eq(s.rsa_bits, 2047);
	n[0] = 0x00;
	n[1] = 0x80;					/* 4096 bits */
	rsa_spki(&d, n, 513, e3, sizeof(e3), der_null, sizeof(der_null), 0);
	spki_read(&s, d.b, d.n);
	assert_int_eq(s.type, SPKI_RSA);
	assert_int_eq(s.rsa_bits, 4096);

	/* everything OpenSSL would write otherwise, or not at all: its decoder's */
	n[0] = 0x80;					/* negative */
	rsa_spki(&d, n, 256, e3, sizeof(e3), der_null, sizeof(der_null), 0);
	assert_int_eq(type_of(&d), SPKI_OTHER);
	n[0] = 0x00;
	n[1] = 0x00;					/* a 00 too many */
	n[2] = 0x80;
	rsa_spki(&d, n, 258, e3, sizeof(e3), der_null, sizeof(der_null), 0);
	assert_int_eq(type_of(&d), SPKI_OTHER);
	n[1] = 0x7f;					/* 00 before a clear top bit */
	rsa_spki(&d, n, 257, e3, sizeof(e3), der_null, sizeof(der_null), 0);
	assert_int_eq(type_of(&d), SPKI_OTHER);
	n[0] = 0x7f;
	rsa_spki(&d, n, 256, zero, sizeof(zero), der_null, sizeof(der_null), 0);
	assert_int_eq(type_of(&d), SPKI_OTHER);		/* e = 0 */
	rsa_spki(&d, zero, sizeof(zero), e3, sizeof(e3), der_null, sizeof(der_null), 0);
	assert_int_eq(type_of(&d), SPKI_OTHER);		/* n = 0 */
	rsa_spki(&d, n, 256, e3, sizeof(e3), NULL, 0, 0);
	assert_int_eq(type_of(&d), SPKI_OTHER);		/* no parameters */
	rsa_spki(&d, n, 256, e3, sizeof(e3), e3, sizeof(e3), 0);
	assert_int_eq(type_of(&d), SPKI_OTHER);		/* not NULL */
	rsa_spki(&d, n, 256, e3, sizeof(e3), der_null, sizeof(der_null), 1);
	assert_int_eq(type_of(&d), SPKI_OTHER);		/* unused bits */

	EVP_PKEY_free(k1024);
	EVP_PKEY_free(k2048);
}

static void
test_ec_shapes(void)
{
	static const struct {
		const char	*curve;
		int		 nid;
	} named[] = {
		{ "P-256", NID_X9_62_prime256v1 },
		{ "P-384", NID_secp384r1 },
		{ "P-521", NID_secp521r1 },
	};
	EVP_PKEY *k;
	struct der d;
	struct spki s;

	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		k = ec_key(named[i].curve);
		key_spki(k, NULL, NULL, &d);
		spki_read(&s, d.b, d.n);
		assert_int_eq(s.type, SPKI_EC);
		assert_int_eq(s.curve_nid, named[i].nid);
		assert_int_eq(s.key[0], 0x04);
		/* a point off the curve (the last byte of Y changed) */
		d.b[d.n - 1] ^= 0x01;
		assert_int_eq(type_of(&d), SPKI_OTHER);
		d.b[d.n - 1] ^= 0x01;
		/* the same key compressed, or with explicit parameters */
		key_spki(k, "compressed", NULL, &d);
		assert_int_eq(type_of(&d), SPKI_OTHER);
		key_spki(k, "uncompressed", "explicit", &d);
		assert_int_eq(type_of(&d), SPKI_OTHER);
		EVP_PKEY_free(k);
	}
	/* curves the signer does not read (its policy cannot allow them) */
	k = ec_key("secp256k1");
	key_spki(k, NULL, NULL, &d);
	assert_int_eq(type_of(&d), SPKI_OTHER);
	EVP_PKEY_free(k);
	k = ec_key("brainpoolP256r1");
	key_spki(k, NULL, NULL, &d);
	assert_int_eq(type_of(&d), SPKI_OTHER);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_ptr_not_null(k);
	key_spki(k, NULL, NULL, &d);
	spki_read(&s, d.b, d.n);
	assert_int_eq(s.type, SPKI_OTHER);
	assert_ptr_not_null(s.alg);		/* the outer shape is still read */
	assert_int_eq(s.key_len, 32);
	EVP_PKEY_free(k);
}

static void
test_encoding_shapes(void)
{
	EVP_PKEY *k = ec_key("P-256");
	struct der d, ber;
	struct spki s;

	key_spki(k, NULL, NULL, &d);
	assert_int_eq(type_of(&d), SPKI_EC);
	/* a byte after it, a byte short of it */
	d.b[d.n++] = 0x00;
	assert_int_eq(type_of(&d), SPKI_OTHER);
	d.n -= 2;
	assert_int_eq(type_of(&d), SPKI_OTHER);
	d.n++;
	/* the outer length in long form (BER, not DER) */
	ber.n = 0;
	ber.b[ber.n++] = 0x30;
	ber.b[ber.n++] = 0x81;
	der_put(&ber, d.b + 1, d.n - 1);
	assert_int_eq(type_of(&ber), SPKI_OTHER);
	spki_read(&s, ber.b, ber.n);
	assert_ptr_null(s.alg);
	/* nothing at all */
	spki_read(&s, NULL, 0);
	assert_int_eq(s.type, SPKI_OTHER);
	spki_read(&s, d.b, 0);
	assert_int_eq(s.type, SPKI_OTHER);
	EVP_PKEY_free(k);
}

/* ---- decoding once, comparing keys --------------------------------------- */

static void
test_pkey_once(void)
{
	EVP_PKEY *k = ec_key("P-256"), *a = NULL, *b = NULL;
	struct der d;
	struct spki s;

	key_spki(k, NULL, NULL, &d);
	spki_read(&s, d.b, d.n);
	assert_ptr_null(s.pkey);		/* read, not decoded */
	assert_int_eq(spki_pkey(&s, &a), 0);
	assert_int_eq(spki_pkey(&s, &b), 0);
	assert_true(a == b);			/* decoded once */
	assert_true(x509_pkey_equal(a, k));
	spki_clear(&s);
	assert_ptr_null(s.pkey);

	d.b[d.n - 1] ^= 0x01;			/* off the curve */
	spki_read(&s, d.b, d.n);
	assert_int_eq(spki_pkey(&s, &a), PCA_ERR_MALFORMED);
	assert_ptr_null(a);
	assert_int_eq(spki_pkey(&s, &a), PCA_ERR_MALFORMED);
	assert_false(spki_canonical(&s));
	spki_clear(&s);
	EVP_PKEY_free(k);
}

static void
test_same_key(void)
{
	EVP_PKEY *k = ec_key("P-256"), *other = ec_key("P-256");
	struct der plain, packed, o;
	struct spki s;

	key_spki(k, NULL, NULL, &plain);
	key_spki(other, NULL, NULL, &o);
	key_spki(k, "compressed", NULL, &packed);

	spki_read(&s, plain.b, plain.n);
	assert_true(spki_same_key(&s, plain.b, plain.n, NULL));	/* bytes alone */
	assert_ptr_null(s.pkey);
	assert_false(spki_same_key(&s, o.b, o.n, other));
	spki_clear(&s);

	/* the same key in another encoding: equal once decoded, as before */
	spki_read(&s, packed.b, packed.n);
	assert_int_eq(s.type, SPKI_OTHER);
	assert_false(spki_same_key(&s, plain.b, plain.n, NULL));
	assert_true(spki_same_key(&s, plain.b, plain.n, k));
	assert_true(spki_canonical(&s));	/* OpenSSL writes it back compressed */
	spki_clear(&s);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* ---- the same decisions as before ---------------------------------------- */

static const char *const policies[] = {
	NULL,					/* the defaults */
	"min-rsa-bits 3072\n",
	"curves prime256v1\n",
	"curves secp384r1 secp521r1\n",
	"subject-key-types RSA\n",
	"subject-key-types EC\n",
};
#define NPOLICIES	(sizeof(policies) / sizeof(policies[0]))

static struct {
	struct policy	*p[NPOLICIES];
	EVP_PKEY	*ca_key;
	uint8_t		*ca_spki;
	size_t		 ca_spki_len;
	X509		*issuer;
	unsigned	 n_variants, n_fast, n_accepted;
} eq;

static struct policy *
policy_of(const char *text)
{
	char path[512], err[512];
	struct policy *p = NULL;
	FILE *f;

	if (text == NULL) {
		assert_int_eq(policy_load(NULL, &p, err, sizeof(err)), 0);
		return p;
	}
	snprintf(path, sizeof(path), "%s/policy-%p.conf", test_tmpdir(), (const void *)text);
	assert_ptr_not_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	if (policy_load(path, &p, err, sizeof(err)) != 0)
		test_fail(__FILE__, __LINE__, "policy_load: %s", err);
	return p;
}

/* A CA certificate for ca_key, made with plain OpenSSL. */
static X509 *
issuer_make(EVP_PKEY *ca_key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	ASN1_TIME *t;

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Equivalence CA",
	    -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
	t = ASN1_TIME_set(NULL, (time_t)(NOW - DAY));
	X509_set1_notBefore(x, t);
	ASN1_TIME_free(t);
	t = ASN1_TIME_set(NULL, (time_t)(NOW + 3650 * DAY));
	X509_set1_notAfter(x, t);
	ASN1_TIME_free(t);
	X509_set_pubkey(x, ca_key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	assert_ptr_not_null(ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE"));
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_ptr_not_null(ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
	    "critical,keyCertSign,cRLSign"));
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
	return x;
}

static void
eq_setup(void)
{
	for (size_t i = 0; i < NPOLICIES; i++)
		eq.p[i] = policy_of(policies[i]);
	eq.ca_key = ec_key("P-256");
	assert_int_eq(x509_pkey_to_spki(eq.ca_key, &eq.ca_spki, &eq.ca_spki_len), 0);
	eq.issuer = issuer_make(eq.ca_key);
}

static void
eq_teardown(void)
{
	for (size_t i = 0; i < NPOLICIES; i++)
		policy_free(eq.p[i]);
	EVP_PKEY_free(eq.ca_key);
	free(eq.ca_spki);
	X509_free(eq.issuer);
}

static void
req_init(Pca__Signer__SignCertRequest *r, uint8_t *serial, const uint8_t *spki, size_t len,
    int self_signed)
{
	static const uint8_t name[] = {	/* CN=eq */
		0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x02, 0x65, 0x71 };

	pca__signer__sign_cert_request__init(r);
	r->sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA;
	memset(serial, 0x42, 16);
	r->serial.data = serial;
	r->serial.len = 16;
	r->subject.data = (uint8_t *)name;
	r->subject.len = sizeof(name);
	r->subject_public_key.data = (uint8_t *)spki;
	r->subject_public_key.len = len;
	r->not_before = NOW;
	r->not_after = NOW + 365 * DAY;
	r->ca = self_signed;
	r->basic_constraints_critical = self_signed;
	r->authority_key_id = 1;
}

/*
 * What tbs_cert_build answered about a subject key before spki.c: decode it
 * (PCA_ERR_INVALID when that fails); self-signed, it must equal the CA key
 * (PCA_ERR_POLICY); X509_set_pubkey of the decoded key must encode to
 * exactly the requested bytes (PCA_ERR_INVALID).
 */
static int
old_tbs_rule(const uint8_t *spki, size_t len, int self_signed)
{
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	unsigned char *der = NULL;
	int n, r = PCA_ERR_INVALID;

	if (x509_spki_to_pkey(spki, len, &k) != 0)
		goto out;
	if (self_signed && !x509_pkey_equal(k, eq.ca_key)) {
		r = PCA_ERR_POLICY;
		goto out;
	}
	r = PCA_ERR_CRYPTO;
	if ((x = X509_new()) == NULL || !X509_set_pubkey(x, k))
		goto out;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	r = n > 0 && (size_t)n == len && memcmp(der, spki, len) == 0 ? 0 : PCA_ERR_INVALID;
 out:
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return r;
}

/*
 * One subject key, every way: policy_check_cert under every policy, read
 * by spki.c and forced through OpenSSL's decoder (the old code path), with
 * the same code and reason; tbs_cert_build both ways, against the old rule
 * and each other (byte-identical TBS when accepted).
 */
static void
eq_check(const uint8_t *spki, size_t len, int self_signed)
{
	struct tbs_signer ca = { eq.ca_key, eq.ca_spki, eq.ca_spki_len };
	Pca__Signer__SignCertRequest r;
	struct spki fast, slow;
	uint8_t serial[16], *tbs_fast = NULL, *tbs_slow = NULL;
	size_t tbs_fast_len = 0, tbs_slow_len = 0;
	char why_fast[256], why_slow[256];
	X509 *issuer = self_signed ? NULL : eq.issuer;
	int rf, rs, old;

	req_init(&r, serial, spki, len, self_signed);
	spki_read(&fast, spki, len);
	spki_read(&slow, spki, len);
	slow.type = SPKI_OTHER;			/* as if spki.c did not know it */
	eq.n_variants++;
	if (fast.type != SPKI_OTHER)
		eq.n_fast++;

	for (size_t i = 0; i < NPOLICIES; i++) {
		rf = policy_check_cert(eq.p[i], &r, &fast, issuer, NOW, why_fast, sizeof(why_fast));
		rs = policy_check_cert(eq.p[i], &r, &slow, issuer, NOW, why_slow, sizeof(why_slow));
		if (rf != rs || strcmp(why_fast, why_slow) != 0)
			test_fail(__FILE__, __LINE__, "policy %zu, key of %zu bytes (type %d): "
			    "%d \"%s\" read, %d \"%s\" decoded", i, len, (int)fast.type,
			    rf, why_fast, rs, why_slow);
	}

	old = old_tbs_rule(spki, len, self_signed);
	rf = tbs_cert_build(&r, &ca, &fast, issuer, &tbs_fast, &tbs_fast_len);
	rs = tbs_cert_build(&r, &ca, &slow, issuer, &tbs_slow, &tbs_slow_len);
	if (rf != old || rs != old)
		test_fail(__FILE__, __LINE__, "tbs, key of %zu bytes (type %d): %d read, "
		    "%d decoded, %d before", len, (int)fast.type, rf, rs, old);
	if (rf == 0) {
		eq.n_accepted++;
		assert_int_eq(tbs_fast_len, tbs_slow_len);
		assert_mem_eq(tbs_fast, tbs_slow, tbs_fast_len);
	}
	free(tbs_fast);
	free(tbs_slow);
	spki_clear(&fast);
	spki_clear(&slow);
}

/* the key, and every byte of it changed (three ways in the headers) */
static void
eq_mutations(const struct der *d, int self_signed)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	uint8_t buf[DER_MAX + 1];

	eq_check(d->b, d->n, self_signed);
	memcpy(buf, d->b, d->n);
	for (size_t i = 0; i < d->n; i++) {
		for (size_t f = 0; f < (i < 32 ? sizeof(flips) : 1); f++) {
			buf[i] ^= flips[f];
			eq_check(buf, d->n, self_signed);
			buf[i] ^= flips[f];
		}
	}
	eq_check(buf, d->n - 1, self_signed);
	buf[d->n] = 0x00;
	eq_check(buf, d->n + 1, self_signed);
}

static void
test_same_decisions(void)
{
	EVP_PKEY *k;
	struct der d;
	uint8_t n[257], e3[] = { 0x03 };
	static const char *const curves[] = {
		"P-256", "P-384", "P-521", "secp256k1", "brainpoolP256r1" };

	eq_setup();
	/* RSA 1024 (refused by size), 2048 */
	k = rsa_key(1024);
	key_spki(k, NULL, NULL, &d);
	eq_mutations(&d, 0);
	EVP_PKEY_free(k);
	k = rsa_key(2048);
	key_spki(k, NULL, NULL, &d);
	eq_mutations(&d, 0);
	EVP_PKEY_free(k);
	/* RSA encodings OpenSSL decodes but writes otherwise */
	memset(n, 0xc3, sizeof(n));
	rsa_spki(&d, n, 256, e3, 1, der_null, sizeof(der_null), 0);	/* "negative" */
	eq_check(d.b, d.n, 0);
	n[0] = 0x00;
	n[1] = 0x00;
	rsa_spki(&d, n, 257, e3, 1, der_null, sizeof(der_null), 0);	/* padded */
	eq_check(d.b, d.n, 0);
	rsa_spki(&d, n + 1, 256, e3, 1, NULL, 0, 0);			/* no NULL */
	eq_check(d.b, d.n, 0);
	n[1] = 0xc3;
	rsa_spki(&d, n, 257, e3, 1, der_null, sizeof(der_null), 0);	/* fine */
	eq_check(d.b, d.n, 0);
	/* EC: the curves read here, two that are not, other encodings */
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		k = ec_key(curves[i]);
		key_spki(k, NULL, NULL, &d);
		eq_mutations(&d, 0);
		key_spki(k, "compressed", NULL, &d);
		eq_check(d.b, d.n, 0);
		key_spki(k, "uncompressed", "explicit", &d);
		eq_check(d.b, d.n, 0);
		EVP_PKEY_free(k);
	}
	/* key types the policy never allows */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	key_spki(k, NULL, NULL, &d);
	eq_mutations(&d, 0);
	EVP_PKEY_free(k);
	k = pss_key();
	key_spki(k, NULL, NULL, &d);
	eq_check(d.b, d.n, 0);
	EVP_PKEY_free(k);
	/* self-signed: the CA key itself, mutated, compressed */
	key_spki(eq.ca_key, NULL, NULL, &d);
	eq_mutations(&d, 1);
	key_spki(eq.ca_key, "compressed", NULL, &d);
	eq_check(d.b, d.n, 1);

	test_diag("%u keys compared, %u read without the decoder, %u accepted by tbs",
	    eq.n_variants, eq.n_fast, eq.n_accepted);
	/* the comparison covered both paths and both answers */
	assert_true(eq.n_fast > 100 && eq.n_fast < eq.n_variants);
	assert_true(eq.n_accepted > 100 && eq.n_accepted < eq.n_variants);
	eq_teardown();
}

/* The policy's refusals from bytes: no decode for the common shapes. */
static void
test_policy_from_bytes(void)
{
	struct policy *def = policy_of(NULL), *p256 = policy_of("curves prime256v1\n");
	EVP_PKEY *rsa1024 = rsa_key(1024), *p521 = ec_key("P-521"), *p256k = ec_key("P-256");
	Pca__Signer__SignCertRequest r;
	uint8_t serial[16];
	struct der d;
	struct spki s;
	char why[256];

	key_spki(rsa1024, NULL, NULL, &d);
	req_init(&r, serial, d.b, d.n, 1);
	spki_read(&s, d.b, d.n);
	assert_int_eq(policy_check_cert(def, &r, &s, NULL, NOW, why, sizeof(why)), PCA_ERR_POLICY);
	assert_str_contains(why, "RSA subject key of 1024 bits, policy minimum 2048");
	assert_ptr_null(s.pkey);		/* judged without decoding */
	spki_clear(&s);

	key_spki(p521, NULL, NULL, &d);
	req_init(&r, serial, d.b, d.n, 1);
	spki_read(&s, d.b, d.n);
	assert_int_eq(policy_check_cert(def, &r, &s, NULL, NOW, why, sizeof(why)), 0);
	assert_int_eq(policy_check_cert(p256, &r, &s, NULL, NOW, why, sizeof(why)),
	    PCA_ERR_POLICY);
	assert_str_contains(why, "curve secp521r1 not allowed");
	assert_ptr_null(s.pkey);
	spki_clear(&s);

	key_spki(p256k, NULL, NULL, &d);
	req_init(&r, serial, d.b, d.n, 1);
	spki_read(&s, d.b, d.n);
	assert_int_eq(policy_check_cert(p256, &r, &s, NULL, NOW, why, sizeof(why)), 0);
	assert_ptr_null(s.pkey);
	spki_clear(&s);

	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(p256k);
	policy_free(def);
	policy_free(p256);
}

static void
test_cert_has_key(void)
{
	EVP_PKEY *k = ec_key("P-256"), *other = ec_key("P-256");
	uint8_t *spki = NULL, *ospki = NULL;
	size_t len = 0, olen = 0;
	X509 *x = issuer_make(k), *packed;

	assert_int_eq(x509_pkey_to_spki(k, &spki, &len), 0);
	assert_int_eq(x509_pkey_to_spki(other, &ospki, &olen), 0);
	assert_true(spki_cert_has_key(x, spki, len, NULL));
	assert_false(spki_cert_has_key(x, ospki, olen, other));
	/* a certificate carrying the key compressed: equal keys, other bytes */
	assert_int_eq(EVP_PKEY_set_utf8_string_param(k,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"), 1);
	packed = issuer_make(k);
	assert_false(spki_cert_has_key(packed, spki, len, NULL));
	assert_false(spki_cert_has_key(packed, spki, len, other));
	assert_true(spki_cert_has_key(packed, spki, len, k));
	X509_free(x);
	X509_free(packed);
	free(spki);
	free(ospki);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

int
main(void)
{
	test_run("spki/rsa_shapes", test_rsa_shapes);
	test_run("spki/ec_shapes", test_ec_shapes);
	test_run("spki/encoding_shapes", test_encoding_shapes);
	test_run("spki/pkey_once", test_pkey_once);
	test_run("spki/same_key", test_same_key);
	test_run("spki/policy_from_bytes", test_policy_from_bytes);
	test_run("spki/cert_has_key", test_cert_has_key);
	test_run("spki/same_decisions", test_same_decisions);
	return test_done();
}
