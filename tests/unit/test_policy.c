/*
 * test_policy.c - the signer's policy file: loading, dumping, and every
 * reason policy_check_cert / _csr / _keygen refuse.
 */
#include "test.h"
#include "err.h"
#include "policy.h"
#include "spki.h"
#include "x509util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#define NOW	1767225600LL	/* 2026-01-01T00:00:00Z, the service clock */
#define DAY	86400LL

static const char *write_policy(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
write_policy(const char *fmt, ...)
{
	static char path[512];
	static int n;
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/policy-%d.conf", test_tmpdir(), n++);
	f = fopen(path, "w");
	assert_ptr_not_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
	return path;
}

static struct policy *
load(const char *text)
{
	struct policy *p = NULL;
	char err[512];

	if (policy_load(text != NULL ? write_policy("%s", text) : NULL, &p, err, sizeof(err)) != 0)
		test_fail(__FILE__, __LINE__, "policy_load: %s", err);
	return p;
}

static char *
dump(const struct policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_ptr_not_null(f);
	policy_dump(p, f);
	fclose(f);
	return buf;
}

/* An issuer made with plain OpenSSL: ca, key usage text (NULL: none),
 * pathlen (-1: none), notAfter. */
static X509 *
make_issuer(EVP_PKEY *key, int ca, const char *ku, int pathlen, int64_t not_after)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	ASN1_TIME *t;
	char bc[64];

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Issuer", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
	t = ASN1_TIME_set(NULL, (time_t)(NOW - 30 * DAY));
	X509_set1_notBefore(x, t);
	ASN1_TIME_free(t);
	t = ASN1_TIME_set(NULL, (time_t)not_after);
	X509_set1_notAfter(x, t);
	ASN1_TIME_free(t);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (pathlen >= 0)
		snprintf(bc, sizeof(bc), "critical,CA:%s,pathlen:%d", ca ? "TRUE" : "FALSE", pathlen);
	else
		snprintf(bc, sizeof(bc), "critical,CA:%s", ca ? "TRUE" : "FALSE");
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, bc);
	assert_ptr_not_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (ku != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
		assert_ptr_not_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

struct preq {
	Pca__Signer__SignCertRequest	 r;
	uint8_t				 serial[16];
	uint8_t				*spki;
	Pca__Signer__Extension		 ext;
	Pca__Signer__Extension		*extp[1];
};

static void
preq_init(struct preq *q, EVP_PKEY *subject_key, int ca)
{
	memset(q, 0, sizeof(*q));
	pca__signer__sign_cert_request__init(&q->r);
	q->r.sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA;
	memset(q->serial, 0x42, sizeof(q->serial));
	q->r.serial.data = q->serial;
	q->r.serial.len = sizeof(q->serial);
	q->r.subject.data = (uint8_t *)"\x30\x00";
	q->r.subject.len = 2;
	assert_int_eq(x509_pkey_to_spki(subject_key, &q->spki, &q->r.subject_public_key.len), 0);
	q->r.subject_public_key.data = q->spki;
	q->r.not_before = NOW;
	q->r.not_after = NOW + 365 * DAY;
	q->r.ca = ca;
	q->r.basic_constraints_critical = ca;
	q->r.authority_key_id = 1;
	pca__signer__extension__init(&q->ext);
	q->ext.value.data = (uint8_t *)"\x30\x00";
	q->ext.value.len = 2;
	q->extp[0] = &q->ext;
}

static void
preq_free(struct preq *q)
{
	free(q->spki);
}

/* the refusal code and a word of the reason */
static void
expect(const struct policy *p, const struct preq *q, X509 *issuer, int want, const char *needle)
{
	char why[256];
	struct spki subject;
	int r;

	spki_read(&subject, q->r.subject_public_key.data, q->r.subject_public_key.len);
	r = policy_check_cert(p, &q->r, &subject, issuer, NOW, why, sizeof(why));
	spki_clear(&subject);

	if (r != want)
		test_fail(__FILE__, __LINE__, "policy_check_cert: %d (%s), want %d", r, why, want);
	if (needle != NULL)
		assert_str_contains(why, needle);
	if (want == 0)
		assert_str_eq(why, "");
}

/* Shared fixtures: one CA key, an issuer certificate, a leaf key. */
static struct {
	EVP_PKEY	*ca_key, *leaf_ec, *leaf_rsa;
	X509		*issuer;
} fx;

static void
fx_setup(void)
{
	fx.ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	fx.leaf_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	fx.leaf_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_ptr_not_null(fx.leaf_rsa);
	fx.issuer = make_issuer(fx.ca_key, 1, "critical,keyCertSign,cRLSign", -1, NOW + 3650 * DAY);
}

static void
test_defaults_and_dump(void)
{
	struct policy *p = load(NULL), *p2;
	char *d1, *d2;
	const char *path;
	char err[512];

	d1 = dump(p);
	assert_str_contains(d1, "key-algorithms RSA_2048 RSA_3072 RSA_4096 EC_prime256v1 EC_secp384r1\n");
	assert_str_contains(d1, "signing-algorithms SHA256WITHRSA SHA384WITHRSA SHA512WITHRSA "
	    "SHA256WITHECDSA SHA384WITHECDSA SHA512WITHECDSA\n");
	assert_str_contains(d1, "subject-key-types RSA EC\n");
	assert_str_contains(d1, "min-rsa-bits 2048\n");
	assert_str_contains(d1, "curves prime256v1 secp384r1 secp521r1\n");
	assert_str_contains(d1, "max-validity-days 3650\n");
	assert_str_contains(d1, "max-ca-validity-days 36500\n");
	assert_str_contains(d1, "max-path-length 3\n");
	assert_str_contains(d1, "allow-extension-oids\n");
	assert_str_contains(d1, "max-backdate-seconds 86400\n");
	/* the dump parses back to the same policy */
	path = write_policy("%s", d1);
	assert_int_eq(policy_load(path, &p2, err, sizeof(err)), 0);
	d2 = dump(p2);
	assert_str_eq(d1, d2);
	free(d2);
	policy_free(p2);

	/* the example file documents the defaults and is the defaults */
	assert_int_eq(policy_load(HSMCA_SOURCE_DIR "/hsm-config/signer-policy.conf", &p2,
	    err, sizeof(err)), 0);
	d2 = dump(p2);
	assert_str_eq(d1, d2);
	free(d2);
	policy_free(p2);
	free(d1);
	policy_free(p);
}

static void
expect_config_error(const char *text, const char *needle)
{
	struct policy *p = NULL;
	char err[512];

	assert_int_eq(policy_load(write_policy("%s", text), &p, err, sizeof(err)), PCA_ERR_CONFIG);
	assert_ptr_null(p);
	assert_str_contains(err, needle);
}

static void
test_config_errors(void)
{
	expect_config_error("# x\nkey-algorithms RSA_2048 RSA_1024\n", ":2: key-algorithms: unknown word 'RSA_1024'");
	expect_config_error("signing-algorithms SHA1WITHRSA\n", ":1: signing-algorithms: unknown word");
	expect_config_error("subject-key-types RSA ED25519\n", ":1: subject-key-types: unknown word 'ED25519'");
	expect_config_error("curves secp256k1\n", ":1: curves: unknown word 'secp256k1'");
	expect_config_error("min-rsa-bits 512\n", ":1: min-rsa-bits: 512 is out of range");
	expect_config_error("max-validity-days 0\n", ":1: max-validity-days: 0 is out of range");
	expect_config_error("allow-extension-oids 1.2.3 certificatePolicies\n",
	    ":1: allow-extension-oids: 'certificatePolicies' is not a dotted OID");
	expect_config_error("allow-extension-oids 2.5.29.17\n", "built from request fields");
	expect_config_error("\nmax-lifetime 3\n", ":2: unknown keyword 'max-lifetime'");
	expect_config_error("curves prime256v1\ncurves secp384r1\n", ":2: keyword 'curves' repeated");
}

static void
test_keygen(void)
{
	struct policy *p = load(NULL), *ec = load("key-algorithms EC_prime256v1\n");
	char why[256];

	assert_int_eq(policy_check_keygen(p, HSM_KEY_RSA_2048, why, sizeof(why)), 0);
	assert_int_eq(policy_check_keygen(p, HSM_KEY_EC_P384, why, sizeof(why)), 0);
	assert_int_eq(policy_check_keygen(ec, HSM_KEY_EC_P256, why, sizeof(why)), 0);
	assert_int_eq(policy_check_keygen(ec, HSM_KEY_RSA_2048, why, sizeof(why)), PCA_ERR_POLICY);
	assert_str_contains(why, "RSA_2048");
	assert_int_eq(policy_check_keygen(p, (enum hsm_key_alg)9, why, sizeof(why)), PCA_ERR_POLICY);
	assert_int_eq(policy_check_keygen(p, (enum hsm_key_alg)77, why, sizeof(why)), PCA_ERR_POLICY);
	policy_free(p);
	policy_free(ec);
}

static void
test_good(void)
{
	struct policy *p = load(NULL);
	struct preq q;

	preq_init(&q, fx.leaf_ec, 0);
	expect(p, &q, fx.issuer, 0, NULL);
	preq_free(&q);
	preq_init(&q, fx.leaf_rsa, 0);
	q.r.sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA512_ECDSA;
	expect(p, &q, fx.issuer, 0, NULL);
	preq_free(&q);
	/* a root: self-signed CA, no pathLenConstraint (RootCACertificate/V1) */
	preq_init(&q, fx.ca_key, 1);
	q.r.not_after = NOW + 3650 * DAY;
	expect(p, &q, NULL, 0, NULL);
	preq_free(&q);
	policy_free(p);
}

static void
test_sig_alg(void)
{
	struct policy *p = load("signing-algorithms SHA256WITHECDSA\n");
	struct preq q;
	Pca__Signer__SignCsrRequest csr;
	char why[256];

	preq_init(&q, fx.leaf_ec, 0);
	expect(p, &q, fx.issuer, 0, NULL);
	q.r.sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_ECDSA;
	expect(p, &q, fx.issuer, PCA_ERR_POLICY, "SHA384WITHECDSA not allowed");
	preq_free(&q);

	pca__signer__sign_csr_request__init(&csr);
	csr.sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA;
	assert_int_eq(policy_check_csr(p, &csr, why, sizeof(why)), 0);
	csr.sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA;
	assert_int_eq(policy_check_csr(p, &csr, why, sizeof(why)), PCA_ERR_POLICY);
	assert_str_contains(why, "SHA256WITHRSA");
	csr.sig_alg = (Pca__Signer__SigAlg)40;
	assert_int_eq(policy_check_csr(p, &csr, why, sizeof(why)), PCA_ERR_POLICY);
	policy_free(p);
}

static void
test_subject_keys(void)
{
	struct policy *def = load(NULL), *rsa_only = load("subject-key-types RSA\n");
	struct policy *ec_only = load("subject-key-types EC\n");
	struct policy *p256 = load("curves prime256v1\n"), *big = load("min-rsa-bits 3072\n");
	EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct preq q;

	preq_init(&q, fx.leaf_ec, 0);
	expect(rsa_only, &q, fx.issuer, PCA_ERR_POLICY, "EC subject keys not allowed");
	expect(ec_only, &q, fx.issuer, 0, NULL);
	preq_free(&q);

	preq_init(&q, fx.leaf_rsa, 0);
	expect(ec_only, &q, fx.issuer, PCA_ERR_POLICY, "RSA subject keys not allowed");
	expect(rsa_only, &q, fx.issuer, 0, NULL);
	expect(big, &q, fx.issuer, PCA_ERR_POLICY, "2048 bits, policy minimum 3072");
	preq_free(&q);

	preq_init(&q, rsa1024, 0);
	expect(def, &q, fx.issuer, PCA_ERR_POLICY, "1024 bits");
	preq_free(&q);

	preq_init(&q, k1, 0);
	expect(def, &q, fx.issuer, PCA_ERR_POLICY, "curve secp256k1 not allowed");
	preq_free(&q);

	preq_init(&q, p384, 0);
	expect(def, &q, fx.issuer, 0, NULL);
	expect(p256, &q, fx.issuer, PCA_ERR_POLICY, "curve secp384r1 not allowed");
	preq_free(&q);

	preq_init(&q, ed, 0);
	expect(def, &q, fx.issuer, PCA_ERR_POLICY, "ED25519 not allowed");
	preq_free(&q);

	preq_init(&q, fx.leaf_ec, 0);
	q.r.subject_public_key.len -= 1;
	expect(def, &q, fx.issuer, PCA_ERR_INVALID, "does not decode");
	preq_free(&q);

	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(ed);
	policy_free(def);
	policy_free(rsa_only);
	policy_free(ec_only);
	policy_free(p256);
	policy_free(big);
}

static void
test_validity(void)
{
	struct policy *p = load(NULL), *short_ca = load("max-ca-validity-days 100\n");
	struct policy *no_backdate = load("max-backdate-seconds 0\n");
	X509 *short_issuer = make_issuer(fx.ca_key, 1, "critical,keyCertSign", -1, NOW + 30 * DAY);
	struct preq q;

	preq_init(&q, fx.leaf_ec, 0);
	q.r.not_after = q.r.not_before;
	expect(p, &q, fx.issuer, PCA_ERR_POLICY, "notAfter is not after notBefore");
	q.r.not_after = q.r.not_before - 1;
	expect(p, &q, fx.issuer, PCA_ERR_POLICY, "notAfter is not after notBefore");
	/* end-entity: 3650 days exactly, then one second more */
	q.r.not_after = q.r.not_before + 3650 * DAY;
	expect(p, &q, fx.issuer, 0, NULL);
	q.r.not_after += 1;
	expect(p, &q, fx.issuer, PCA_ERR_POLICY, "over the policy's 3650 for end-entity");
	/* backdating: a day is allowed by default, not a second more */
	q.r.not_before = NOW - 86400;
	q.r.not_after = NOW + DAY;
	expect(p, &q, fx.issuer, 0, NULL);
	q.r.not_before = NOW - 86401;
	expect(p, &q, fx.issuer, PCA_ERR_POLICY, "86401 seconds in the past");
	q.r.not_before = NOW - 1;
	expect(no_backdate, &q, fx.issuer, PCA_ERR_POLICY, "in the past");
	q.r.not_before = NOW;
	expect(no_backdate, &q, fx.issuer, 0, NULL);
	/* beyond the issuer's notAfter */
	q.r.not_after = NOW + 30 * DAY;
	expect(p, &q, short_issuer, 0, NULL);
	q.r.not_after += 1;
	expect(p, &q, short_issuer, PCA_ERR_POLICY, "after the issuer's notAfter");
	/* outside what a certificate can say */
	q.r.not_after = 253402300800LL;
	expect(p, &q, fx.issuer, PCA_ERR_INVALID, NULL);
	preq_free(&q);

	/* CA certificates use max-ca-validity-days */
	preq_init(&q, fx.ca_key, 1);
	q.r.not_after = NOW + 100 * DAY;
	expect(short_ca, &q, NULL, 0, NULL);
	q.r.not_after += 1;
	expect(short_ca, &q, NULL, PCA_ERR_POLICY, "over the policy's 100 for CA");
	q.r.not_after = NOW + 5000 * DAY;	/* over the EE limit, fine for a CA */
	expect(p, &q, NULL, 0, NULL);
	preq_free(&q);

	X509_free(short_issuer);
	policy_free(p);
	policy_free(short_ca);
	policy_free(no_backdate);
}

static void
test_issuer(void)
{
	struct policy *p = load(NULL);
	X509 *not_ca = make_issuer(fx.ca_key, 0, "critical,keyCertSign", -1, NOW + 3650 * DAY);
	X509 *no_sign = make_issuer(fx.ca_key, 1, "critical,cRLSign,digitalSignature", -1,
	    NOW + 3650 * DAY);
	X509 *no_ku = make_issuer(fx.ca_key, 1, NULL, -1, NOW + 3650 * DAY);
	struct preq q;

	preq_init(&q, fx.leaf_ec, 0);
	expect(p, &q, not_ca, PCA_ERR_POLICY, "not a CA");
	expect(p, &q, no_sign, PCA_ERR_POLICY, "lacks keyCertSign");
	expect(p, &q, no_ku, PCA_ERR_POLICY, "lacks keyCertSign");
	expect(p, &q, fx.issuer, 0, NULL);
	/* a self-signed end-entity certificate: the CA key signs roots only */
	expect(p, &q, NULL, PCA_ERR_POLICY, "self-signed certificate must be a CA");
	preq_free(&q);
	X509_free(not_ca);
	X509_free(no_sign);
	X509_free(no_ku);
	policy_free(p);
}

static void
test_path_length(void)
{
	struct policy *p = load(NULL), *flat = load("max-path-length 0\n");
	X509 *pl0 = make_issuer(fx.ca_key, 1, "critical,keyCertSign", 0, NOW + 3650 * DAY);
	X509 *pl2 = make_issuer(fx.ca_key, 1, "critical,keyCertSign", 2, NOW + 3650 * DAY);
	struct preq q;

	/* self-signed root: max-path-length */
	preq_init(&q, fx.ca_key, 1);
	q.r.has_path_len = 1;
	q.r.path_len = 3;
	expect(p, &q, NULL, 0, NULL);
	q.r.path_len = 4;
	expect(p, &q, NULL, PCA_ERR_POLICY, "pathLenConstraint 4 over the policy's 3");
	q.r.path_len = 1;
	expect(flat, &q, NULL, PCA_ERR_POLICY, "over the policy's 0");
	q.r.path_len = -1;
	expect(p, &q, NULL, PCA_ERR_POLICY, NULL);
	preq_free(&q);

	/* subordinate CAs: below the issuer's pathLenConstraint */
	preq_init(&q, fx.leaf_ec, 1);
	q.r.has_path_len = 1;
	q.r.path_len = 0;
	expect(p, &q, pl0, PCA_ERR_POLICY, "issuer's pathLenConstraint 0");
	q.r.has_path_len = 0;
	expect(p, &q, pl0, PCA_ERR_POLICY, "issuer's pathLenConstraint 0");
	expect(p, &q, pl2, 0, NULL);		/* absent: bounded by the issuer's */
	q.r.has_path_len = 1;
	q.r.path_len = 2;
	expect(p, &q, pl2, PCA_ERR_POLICY, "not below the issuer's 2");
	q.r.path_len = 1;
	expect(p, &q, pl2, 0, NULL);
	expect(p, &q, fx.issuer, 0, NULL);	/* issuer without a constraint */
	preq_free(&q);

	/* an end-entity certificate under a pathLen 0 CA is fine, but it
	 * carries no pathLenConstraint */
	preq_init(&q, fx.leaf_ec, 0);
	expect(p, &q, pl0, 0, NULL);
	q.r.has_path_len = 1;
	q.r.path_len = 0;
	expect(p, &q, pl0, PCA_ERR_POLICY, "end-entity");
	preq_free(&q);

	X509_free(pl0);
	X509_free(pl2);
	policy_free(p);
	policy_free(flat);
}

static void
test_extensions(void)
{
	struct policy *p = load(NULL), *cp = load("allow-extension-oids 2.5.29.32 1.3.6.1.4.1.99999.1\n");
	struct preq q;

	preq_init(&q, fx.leaf_ec, 0);
	q.r.extensions = q.extp;
	q.r.n_extensions = 1;
	q.ext.oid = "2.5.29.32";
	expect(p, &q, fx.issuer, PCA_ERR_POLICY, "extension 2.5.29.32 not allowed");
	expect(cp, &q, fx.issuer, 0, NULL);
	q.ext.oid = "1.3.6.1.4.1.99999.1";
	expect(cp, &q, fx.issuer, 0, NULL);
	q.ext.oid = "1.3.6.1.4.1.99999.2";
	expect(cp, &q, fx.issuer, PCA_ERR_POLICY, "not allowed");
	q.ext.oid = "2.5.29.032";		/* not canonical: no sneaking past the list */
	expect(cp, &q, fx.issuer, PCA_ERR_INVALID, "not a dotted OID");
	q.ext.oid = "certificatePolicies";
	expect(cp, &q, fx.issuer, PCA_ERR_INVALID, "not a dotted OID");
	preq_free(&q);
	policy_free(p);
	policy_free(cp);
}

int
main(void)
{
	fx_setup();
	test_run("policy/defaults_and_dump", test_defaults_and_dump);
	test_run("policy/config_errors", test_config_errors);
	test_run("policy/keygen", test_keygen);
	test_run("policy/good", test_good);
	test_run("policy/sig_alg", test_sig_alg);
	test_run("policy/subject_keys", test_subject_keys);
	test_run("policy/validity", test_validity);
	test_run("policy/issuer", test_issuer);
	test_run("policy/path_length", test_path_length);
	test_run("policy/extensions", test_extensions);
	X509_free(fx.issuer);
	EVP_PKEY_free(fx.ca_key);
	EVP_PKEY_free(fx.leaf_ec);
	EVP_PKEY_free(fx.leaf_rsa);
	return test_done();
}
