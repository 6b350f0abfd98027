/*
 * test_tbs.c - the TBS builder and assembler, with software keys playing
 * the CA and EVP_DigestSign playing the token.
 */
#include "test.h"
#include "err.h"
#include "spki.h"
#include "tbs.h"
#include "x509util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#define T0	1767225600LL	/* 2026-01-01T00:00:00Z */
#define DAY	86400LL

/* keyUsage bits as signer.proto numbers them (not OpenSSL's KU_*) */
#define PKU_DIGITAL_SIGNATURE	0x01
#define PKU_KEY_ENCIPHERMENT	0x04
#define PKU_CERT_SIGN		0x20
#define PKU_CRL_SIGN		0x40

static EVP_PKEY *
key_new(const char *type, const char *curve, size_t bits)
{
	EVP_PKEY *k = strcmp(type, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits) :
	    EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	assert_ptr_not_null(k);
	return k;
}

/* The public half only, as the signer gets it from the token. */
static EVP_PKEY *
pub_of(EVP_PKEY *priv)
{
	uint8_t *der = NULL;
	size_t len;
	EVP_PKEY *pub = NULL;

	assert_int_eq(x509_pkey_to_spki(priv, &der, &len), 0);
	assert_int_eq(x509_spki_to_pkey(der, len, &pub), 0);
	free(der);
	return pub;
}

/* A request and the buffers it points into. */
struct creq {
	Pca__Signer__SignCertRequest	 r;
	uint8_t				 serial[16];
	uint8_t				*subject;
	uint8_t				*spki;
	char				*eku[4];
	char				*crl[2];
	char				*ocsp[2];
	Pca__Signer__Extension		 ext_store[4];
	Pca__Signer__Extension		*ext[4];
};

static void
name_der(const char *cn, uint8_t **der, size_t *len)
{
	X509_NAME *n = X509_NAME_new();
	unsigned char *p = NULL;
	int l;

	if (cn != NULL)
		assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_eq(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)"hsmca test", -1, cn != NULL ? 0 : -1, 0), 1);
	if (cn == NULL) {	/* an empty name for the cases that want one */
		X509_NAME_free(n);
		n = X509_NAME_new();
	}
	l = i2d_X509_NAME(n, &p);
	assert_true(l > 0);
	*der = malloc((size_t)l);
	memcpy(*der, p, (size_t)l);
	*len = (size_t)l;
	OPENSSL_free(p);
	X509_NAME_free(n);
}

static void
creq_init(struct creq *c, const char *cn, EVP_PKEY *subject_key, int ca,
    Pca__Signer__SigAlg sig_alg, uint8_t serial_tag)
{
	memset(c, 0, sizeof(*c));
	pca__signer__sign_cert_request__init(&c->r);
	c->r.sig_alg = sig_alg;
	for (size_t i = 0; i < sizeof(c->serial); i++)
		c->serial[i] = (uint8_t)(0x11 * (i + 1) + serial_tag);
	c->serial[0] = 0x42;
	c->serial[1] = serial_tag;
	c->r.serial.data = c->serial;
	c->r.serial.len = sizeof(c->serial);
	name_der(cn, &c->subject, &c->r.subject.len);
	c->r.subject.data = c->subject;
	assert_int_eq(x509_pkey_to_spki(subject_key, &c->spki, &c->r.subject_public_key.len), 0);
	c->r.subject_public_key.data = c->spki;
	c->r.not_before = T0;
	c->r.not_after = T0 + 365 * DAY;
	c->r.ca = ca;
	c->r.basic_constraints_critical = ca;
	c->r.has_key_usage = 1;
	c->r.key_usage = ca ? PKU_CERT_SIGN | PKU_CRL_SIGN : PKU_DIGITAL_SIGNATURE;
	c->r.has_key_usage_critical = 1;
	c->r.key_usage_critical = 1;
	c->r.authority_key_id = 1;
}

static void
creq_free(struct creq *c)
{
	free(c->subject);
	free(c->spki);
}

/* tbs_cert_build as op_sign_cert calls it: the CA key with its SPKI
 * bytes, the subject key read once by spki_read(). */
static int
tbs_build(const Pca__Signer__SignCertRequest *r, EVP_PKEY *signer_pub, X509 *issuer,
    uint8_t **tbs, size_t *tbs_len)
{
	struct tbs_signer ca = { signer_pub, NULL, 0 };
	struct spki subject;
	uint8_t *spki = NULL;
	int rc;

	assert_int_eq(x509_pkey_to_spki(signer_pub, &spki, &ca.spki_len), 0);
	ca.spki = spki;
	spki_read(&subject, r->subject_public_key.data, r->subject_public_key.len);
	rc = tbs_cert_build(r, &ca, &subject, issuer, tbs, tbs_len);
	spki_clear(&subject);
	free(spki);
	return rc;
}

/*
 * What tbs_assemble() no longer asks OpenSSL in production (it would decode
 * the subject key once more), asked of every certificate issued here: it
 * parses with every byte used, verifies with the CA key, its TBS re-encodes
 * to the bytes that were signed, its two algorithm fields agree, and it
 * carries the requested key.
 */
static void
second_opinion(const uint8_t *der, size_t len, const uint8_t *tbs, size_t tbs_len,
    EVP_PKEY *pub, const Pca__Signer__SignCertRequest *r)
{
	const unsigned char *p = der;
	const X509_ALGOR *outer;
	const ASN1_BIT_STRING *psig;
	unsigned char *re = NULL, *spki = NULL;
	EVP_PKEY *want = NULL;
	X509 *x;
	int n;

	x = d2i_X509(NULL, &p, (long)len);
	assert_ptr_not_null(x);
	assert_true(p == der + len);
	X509_get0_signature(&psig, &outer, x);
	assert_int_eq(X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(x)), 0);
	assert_int_eq(X509_verify(x, pub), 1);
	n = i2d_re_X509_tbs(x, &re);
	assert_int_eq(n, tbs_len);
	assert_mem_eq(re, tbs, tbs_len);
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	assert_int_eq(n, r->subject_public_key.len);
	assert_mem_eq(spki, r->subject_public_key.data, r->subject_public_key.len);
	assert_int_eq(x509_spki_to_pkey(r->subject_public_key.data, r->subject_public_key.len,
	    &want), 0);
	assert_true(x509_pkey_equal(X509_get0_pubkey(x), want));
	EVP_PKEY_free(want);
	OPENSSL_free(spki);
	OPENSSL_free(re);
	X509_free(x);
}

/* Sign tbs like the token would: digest md_nid, key priv. */
static void
token_sign(EVP_PKEY *priv, int md_nid, const uint8_t *tbs, size_t tbs_len,
    uint8_t **sig, size_t *sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	assert_int_eq(EVP_DigestSignInit(m, NULL, EVP_get_digestbynid(md_nid), NULL, priv), 1);
	assert_int_eq(EVP_DigestSign(m, NULL, sig_len, tbs, tbs_len), 1);
	*sig = malloc(*sig_len);
	assert_int_eq(EVP_DigestSign(m, *sig, sig_len, tbs, tbs_len), 1);
	EVP_MD_CTX_free(m);
}

/* build, sign, assemble: 0 and *der, or the first error */
static int
issue(const Pca__Signer__SignCertRequest *r, EVP_PKEY *ca_priv, X509 *issuer,
    uint8_t **der, size_t *der_len)
{
	EVP_PKEY *pub = pub_of(ca_priv);
	uint8_t *tbs = NULL, *alg = NULL, *sig = NULL;
	size_t tbs_len, alg_len, sig_len;
	int md, rc;

	*der = NULL;
	if ((rc = tbs_build(r, pub, issuer, &tbs, &tbs_len)) != 0)
		goto out;
	assert_int_eq(tbs_sig_alg(r->sig_alg, pub, &alg, &alg_len, &md), 0);
	token_sign(ca_priv, md, tbs, tbs_len, &sig, &sig_len);
	rc = tbs_assemble(tbs, tbs_len, alg, alg_len, sig, sig_len, pub, der, der_len);
	if (rc == 0)
		second_opinion(*der, *der_len, tbs, tbs_len, pub, r);
 out:
	free(tbs);
	free(alg);
	free(sig);
	EVP_PKEY_free(pub);
	return rc;
}

static X509 *
issue_x509(const Pca__Signer__SignCertRequest *r, EVP_PKEY *ca_priv, X509 *issuer)
{
	uint8_t *der = NULL;
	size_t len;
	X509 *x = NULL;

	assert_int_eq(issue(r, ca_priv, issuer, &der, &len), 0);
	assert_int_eq(x509_cert_parse(der, len, &x), 0);
	free(der);
	return x;
}

static void
assert_ext_order(X509 *x, const int *nids, int n)
{
	assert_int_eq(X509_get_ext_count(x), n);
	for (int i = 0; i < n; i++)
		assert_int_eq(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(x, i))), nids[i]);
}

static int
ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	assert_true(i >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static void
test_root_rsa_fields(void)
{
	static const int order[] = { NID_basic_constraints, NID_key_usage,
	    NID_subject_key_identifier, NID_authority_key_identifier };
	/* sha256WithRSAEncryption with explicit NULL parameters (RFC 4055) */
	static const uint8_t rsa256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	    0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
	EVP_PKEY *k = key_new("RSA", NULL, 2048), *pub = pub_of(k);
	struct creq c;
	X509 *x;
	const X509_ALGOR *sa;
	const ASN1_OCTET_STRING *ski, *akid;
	unsigned char md[20], *algder = NULL;
	unsigned int mdlen;
	uint8_t *der = NULL;
	size_t der_len;
	int64_t nb, na;
	char hex[X509_SERIAL_HEX_MAX], want_hex[X509_SERIAL_HEX_MAX], path[512], *out = NULL;
	int n;
	FILE *f;

	creq_init(&c, "Root RSA", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA, 1);
	x = issue_x509(&c.r, k, NULL);

	assert_int_eq(X509_get_version(x), X509_VERSION_3);
	assert_int_eq(x509_cert_serial_hex(x, hex), 0);
	x509_serial_hex(c.serial, sizeof(c.serial), want_hex);
	assert_str_eq(hex, want_hex);
	assert_int_eq(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	assert_int_eq(x509_cert_validity(x, &nb, &na), 0);
	assert_int_eq(nb, T0);
	assert_int_eq(na, T0 + 365 * DAY);
	assert_int_eq(x509_pkey_equal(X509_get0_pubkey(x), k), 1);

	X509_get0_signature(NULL, &sa, x);
	n = i2d_X509_ALGOR(sa, &algder);
	assert_int_eq(n, sizeof(rsa256));
	assert_mem_eq(algder, rsa256, sizeof(rsa256));
	OPENSSL_free(algder);

	assert_ext_order(x, order, 4);
	assert_int_eq(ext_critical(x, NID_basic_constraints), 1);
	assert_int_eq(ext_critical(x, NID_key_usage), 1);
	assert_int_eq(ext_critical(x, NID_subject_key_identifier), 0);
	assert_int_eq(X509_check_ca(x), 1);
	assert_int_eq(X509_get_pathlen(x), -1);
	assert_int_eq(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	/* SKI = SHA-1 of the subjectPublicKey bits; AKI = own SKI */
	assert_int_eq(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen), 1);
	ski = X509_get0_subject_key_id(x);
	assert_ptr_not_null(ski);
	assert_int_eq(ASN1_STRING_length(ski), 20);
	assert_mem_eq(ASN1_STRING_get0_data(ski), md, 20);
	akid = X509_get0_authority_key_id(x);
	assert_ptr_not_null(akid);
	assert_int_eq(ASN1_OCTET_STRING_cmp(ski, akid), 0);
	assert_ptr_null(X509_get0_authority_issuer(x));
	assert_ptr_null(X509_get0_authority_serial(x));
	assert_int_eq(X509_verify(x, pub), 1);
	assert_int_eq(X509_check_issued(x, x), X509_V_OK);

	/* and what the openssl command line sees */
	assert_int_eq(x509_cert_to_der(x, &der, &der_len), 0);
	snprintf(path, sizeof(path), "%s/root.der", test_tmpdir());
	f = fopen(path, "wb");
	assert_ptr_not_null(f);
	fwrite(der, 1, der_len, f);
	fclose(f);
	free(der);
	assert_int_eq(test_sh(&out, "openssl x509 -inform DER -in %s -noout -text 2>&1", path), 0);
	assert_str_contains(out, "Version: 3 (0x2)");
	assert_str_contains(out, "sha256WithRSAEncryption");
	assert_str_contains(out, "CA:TRUE");
	assert_str_contains(out, "Certificate Sign, CRL Sign");
	assert_str_contains(out, "Not After : Jan  1 00:00:00 2027 GMT");
	free(out);

	X509_free(x);
	creq_free(&c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* certificatePolicies { policyIdentifier 2.23.140.1.2.1 } */
static const uint8_t cp_der[] = { 0x30, 0x08, 0x30, 0x06, 0x06, 0x04, 0x67, 0x81, 0x0c, 0x01 };

static uint8_t *
san_der(const char *dns, const char *ip, size_t *len)
{
	GENERAL_NAMES *g = GENERAL_NAMES_new();
	GENERAL_NAME *n;
	unsigned char *p = NULL;
	uint8_t *out;
	int l;

	if (dns != NULL) {
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		ASN1_STRING_set(s, dns, -1);
		n = GENERAL_NAME_new();
		GENERAL_NAME_set0_value(n, GEN_DNS, s);
		sk_GENERAL_NAME_push(g, n);
	}
	if (ip != NULL) {
		n = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_IPADD, ip, 0);
		assert_ptr_not_null(n);
		sk_GENERAL_NAME_push(g, n);
	}
	l = i2d_GENERAL_NAMES(g, &p);
	assert_true(l > 0);
	out = malloc((size_t)l + 1);
	memcpy(out, p, (size_t)l);
	*len = (size_t)l;
	OPENSSL_free(p);
	GENERAL_NAMES_free(g);
	return out;
}

static void
test_chain_strict(void)
{
	static const int leaf_order[] = { NID_basic_constraints, NID_key_usage, NID_ext_key_usage,
	    NID_subject_key_identifier, NID_authority_key_identifier, NID_subject_alt_name,
	    NID_crl_distribution_points, NID_info_access, NID_certificate_policies };
	EVP_PKEY *kr = key_new("EC", "P-256", 0), *ks = key_new("EC", "P-384", 0);
	EVP_PKEY *kl = key_new("RSA", NULL, 2048);
	struct creq cr, cs, cl;
	X509 *root, *sub, *leaf;
	STACK_OF(X509) *chain = sk_X509_new_null();
	uint8_t *san, *der;
	size_t san_len, der_len;
	char why[256];

	creq_init(&cr, "Root EC", kr, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 1);
	cr.r.not_after = T0 + 3650 * DAY;
	root = issue_x509(&cr.r, kr, NULL);

	creq_init(&cs, "Sub EC", ks, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 2);
	cs.r.has_path_len = 1;
	cs.r.path_len = 0;
	cs.r.not_after = T0 + 1825 * DAY;
	sub = issue_x509(&cs.r, kr, root);
	assert_int_eq(X509_get_pathlen(sub), 0);
	assert_int_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(sub),
	    X509_get0_subject_key_id(root)), 0);

	creq_init(&cl, "leaf.example", kl, 0, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_ECDSA, 3);
	cl.r.key_usage = PKU_DIGITAL_SIGNATURE | PKU_KEY_ENCIPHERMENT;
	cl.eku[0] = "1.3.6.1.5.5.7.3.1";
	cl.eku[1] = "1.3.6.1.5.5.7.3.2";
	cl.r.extended_key_usage = cl.eku;
	cl.r.n_extended_key_usage = 2;
	san = san_der("leaf.example", "192.0.2.7", &san_len);
	cl.r.has_subject_alt_names = 1;
	cl.r.subject_alt_names.data = san;
	cl.r.subject_alt_names.len = san_len;
	cl.crl[0] = "http://crl.example/sub.crl";
	cl.r.crl_urls = cl.crl;
	cl.r.n_crl_urls = 1;
	cl.ocsp[0] = "http://ocsp.example";
	cl.r.ocsp_urls = cl.ocsp;
	cl.r.n_ocsp_urls = 1;
	pca__signer__extension__init(&cl.ext_store[0]);
	cl.ext_store[0].oid = "2.5.29.32";
	cl.ext_store[0].value.data = (uint8_t *)cp_der;
	cl.ext_store[0].value.len = sizeof(cp_der);
	cl.ext[0] = &cl.ext_store[0];
	cl.r.extensions = cl.ext;
	cl.r.n_extensions = 1;
	leaf = issue_x509(&cl.r, ks, sub);
	assert_ext_order(leaf, leaf_order, 9);
	assert_int_eq(ext_critical(leaf, NID_basic_constraints), 0);
	assert_int_eq(ext_critical(leaf, NID_subject_alt_name), 0);
	assert_int_eq(ext_critical(leaf, NID_certificate_policies), 0);
	assert_int_eq(X509_check_ca(leaf), 0);
	assert_int_eq(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_int_eq(X509_check_host(leaf, "leaf.example", 0, 0, NULL), 1);
	assert_int_eq(X509_check_ip_asc(leaf, "192.0.2.7", 0), 1);
	assert_int_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
	    X509_get0_subject_key_id(sub)), 0);
	{
		STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(leaf, NID_crl_distribution_points, NULL, NULL);
		AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(leaf, NID_info_access, NULL, NULL);
		GENERAL_NAME *gn;
		ACCESS_DESCRIPTION *ad;

		assert_int_eq(sk_DIST_POINT_num(dps), 1);
		gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps, 0)->distpoint->name.fullname, 0);
		assert_int_eq(gn->type, GEN_URI);
		assert_str_eq((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
		    "http://crl.example/sub.crl");
		assert_int_eq(sk_ACCESS_DESCRIPTION_num(aia), 1);
		ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
		assert_int_eq(OBJ_obj2nid(ad->method), NID_ad_OCSP);
		assert_str_eq((const char *)ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier),
		    "http://ocsp.example");
		sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
		AUTHORITY_INFO_ACCESS_free(aia);
	}

	sk_X509_push(chain, sub);
	assert_int_eq(x509_verify_chain(leaf, chain, root, T0 + DAY, why, sizeof(why)), 0);
	/* the sub's pathLen 0 forbids another CA under it */
	{
		struct creq c2;
		EVP_PKEY *k2 = key_new("EC", "P-256", 0);
		X509 *sub2;
		STACK_OF(X509) *ch2 = sk_X509_new_null();

		creq_init(&c2, "Sub2", k2, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_ECDSA, 4);
		struct creq c3;
		X509 *leaf2;

		sub2 = issue_x509(&c2.r, ks, sub);	/* tbs builds it; policy would refuse */
		sk_X509_push(ch2, sub);
		/* as the target it is no intermediate: fine */
		assert_int_eq(x509_verify_chain(sub2, ch2, root, T0 + DAY, why, sizeof(why)), 0);
		/* but a leaf under it exceeds the sub's pathLen 0 */
		creq_init(&c3, "leaf2", kl, 0, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 5);
		leaf2 = issue_x509(&c3.r, k2, sub2);
		sk_X509_unshift(ch2, sub2);
		assert_int_eq(x509_verify_chain(leaf2, ch2, root, T0 + DAY, why, sizeof(why)),
		    PCA_ERR_BAD_SIGNATURE);
		assert_str_contains(why, "path length");
		sk_X509_free(ch2);
		X509_free(sub2);
		X509_free(leaf2);
		creq_free(&c2);
		creq_free(&c3);
		EVP_PKEY_free(k2);
	}
	/* the leaf is not valid after the sub CA's notAfter */
	assert_int_eq(x509_verify_chain(leaf, chain, root, T0 + 400 * DAY, why, sizeof(why)),
	    PCA_ERR_BAD_SIGNATURE);
	/* the leaf signed by the root's key under the sub's name does not chain */
	assert_int_eq(issue(&cl.r, kr, sub, &der, &der_len), PCA_ERR_POLICY);

	sk_X509_free(chain);
	X509_free(root);
	X509_free(sub);
	X509_free(leaf);
	free(san);
	creq_free(&cr);
	creq_free(&cs);
	creq_free(&cl);
	EVP_PKEY_free(kr);
	EVP_PKEY_free(ks);
	EVP_PKEY_free(kl);
}

static void
test_bad_signature(void)
{
	EVP_PKEY *k = key_new("EC", "P-256", 0), *other = key_new("EC", "P-256", 0);
	EVP_PKEY *pub = pub_of(k);
	struct creq c;
	uint8_t *tbs, *alg, *sig, *out = NULL;
	size_t tbs_len, alg_len, sig_len, out_len = 0;
	int md;

	creq_init(&c, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 5);
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), 0);
	assert_int_eq(tbs_sig_alg(c.r.sig_alg, pub, &alg, &alg_len, &md), 0);
	assert_int_eq(md, NID_sha256);

	/* a flipped bit in the signature */
	token_sign(k, md, tbs, tbs_len, &sig, &sig_len);
	sig[sig_len - 1] ^= 0x01;
	assert_int_eq(tbs_assemble(tbs, tbs_len, alg, alg_len, sig, sig_len, pub, &out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	assert_ptr_null(out);
	free(sig);
	/* a good signature by another key */
	token_sign(other, md, tbs, tbs_len, &sig, &sig_len);
	assert_int_eq(tbs_assemble(tbs, tbs_len, alg, alg_len, sig, sig_len, pub, &out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	free(sig);
	/* a signature over other bytes than the TBS */
	token_sign(k, md, tbs, tbs_len - 1, &sig, &sig_len);
	assert_int_eq(tbs_assemble(tbs, tbs_len, alg, alg_len, sig, sig_len, pub, &out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	free(sig);
	/* and the real thing works */
	token_sign(k, md, tbs, tbs_len, &sig, &sig_len);
	assert_int_eq(tbs_assemble(tbs, tbs_len, alg, alg_len, sig, sig_len, pub, &out, &out_len), 0);
	assert_ptr_not_null(out);
	free(out);
	free(sig);
	free(tbs);
	free(alg);
	creq_free(&c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static void
test_key_mismatch(void)
{
	EVP_PKEY *kr = key_new("EC", "P-256", 0), *kx = key_new("EC", "P-256", 0);
	EVP_PKEY *kl = key_new("EC", "P-256", 0), *pubx = pub_of(kx), *pubr = pub_of(kr);
	struct creq cr, cl;
	X509 *root;
	uint8_t *tbs = NULL;
	size_t tbs_len;

	creq_init(&cr, "Root", kr, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 6);
	root = issue_x509(&cr.r, kr, NULL);
	creq_init(&cl, "leaf", kl, 0, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 7);
	/* an issuer certificate whose key is not the signing key */
	assert_int_eq(tbs_build(&cl.r, pubx, root, &tbs, &tbs_len), PCA_ERR_POLICY);
	assert_ptr_null(tbs);
	assert_int_eq(tbs_build(&cl.r, pubr, root, &tbs, &tbs_len), 0);
	free(tbs);
	tbs = NULL;
	/* self-signed, but the subject key is not the signing key */
	assert_int_eq(tbs_build(&cr.r, pubx, NULL, &tbs, &tbs_len), PCA_ERR_POLICY);
	assert_ptr_null(tbs);
	X509_free(root);
	creq_free(&cr);
	creq_free(&cl);
	EVP_PKEY_free(kr);
	EVP_PKEY_free(kx);
	EVP_PKEY_free(kl);
	EVP_PKEY_free(pubx);
	EVP_PKEY_free(pubr);
}

static void
expect_time_type(EVP_PKEY *k, int64_t not_after, int type, const char *der_tail)
{
	struct creq c;
	X509 *x;
	int64_t nb, na;
	const ASN1_TIME *t;

	creq_init(&c, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 8);
	c.r.not_after = not_after;
	x = issue_x509(&c.r, k, NULL);
	t = X509_get0_notAfter(x);
	assert_int_eq(ASN1_STRING_type(t), type);
	assert_str_eq((const char *)ASN1_STRING_get0_data(t), der_tail);
	assert_int_eq(ASN1_STRING_type(X509_get0_notBefore(x)), V_ASN1_UTCTIME);
	assert_int_eq(x509_cert_validity(x, &nb, &na), 0);
	assert_int_eq(na, not_after);
	X509_free(x);
	creq_free(&c);
}

static void
test_time_boundary(void)
{
	EVP_PKEY *k = key_new("EC", "P-256", 0), *pub = pub_of(k);
	struct creq c;
	uint8_t *tbs = NULL;
	size_t tbs_len;

	/* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 */
	expect_time_type(k, 2524607999LL, V_ASN1_UTCTIME, "491231235959Z");
	expect_time_type(k, 2524608000LL, V_ASN1_GENERALIZEDTIME, "20500101000000Z");
	expect_time_type(k, 253402300799LL, V_ASN1_GENERALIZEDTIME, "99991231235959Z");

	creq_init(&c, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 9);
	c.r.not_after = 253402300800LL;		/* year 10000 */
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.not_after = T0;
	c.r.not_before = -631152001LL;		/* 1949 */
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.not_before = T0 + 1;		/* after notAfter */
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	assert_ptr_null(tbs);
	creq_free(&c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void
test_san(void)
{
	EVP_PKEY *kr = key_new("EC", "P-256", 0), *kl = key_new("EC", "P-256", 0);
	EVP_PKEY *pub = pub_of(kr);
	struct creq cr, cl;
	X509 *root, *leaf;
	uint8_t *san, *tbs = NULL, empty[2] = { 0x30, 0x00 };
	size_t san_len, tbs_len;

	creq_init(&cr, "Root", kr, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 10);
	root = issue_x509(&cr.r, kr, NULL);
	creq_init(&cl, "leaf", kl, 0, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 11);
	san = san_der("a.example", NULL, &san_len);
	cl.r.has_subject_alt_names = 1;
	cl.r.subject_alt_names.data = san;

	/* one trailing byte */
	san[san_len] = 0x00;
	cl.r.subject_alt_names.len = san_len + 1;
	assert_int_eq(tbs_build(&cl.r, pub, root, &tbs, &tbs_len), PCA_ERR_INVALID);
	/* one byte short */
	cl.r.subject_alt_names.len = san_len - 1;
	assert_int_eq(tbs_build(&cl.r, pub, root, &tbs, &tbs_len), PCA_ERR_INVALID);
	/* no names at all */
	cl.r.subject_alt_names.data = empty;
	cl.r.subject_alt_names.len = sizeof(empty);
	assert_int_eq(tbs_build(&cl.r, pub, root, &tbs, &tbs_len), PCA_ERR_INVALID);
	/* not GeneralNames */
	cl.r.subject_alt_names.data = (uint8_t *)cp_der;
	cl.r.subject_alt_names.len = sizeof(cp_der);
	assert_int_eq(tbs_build(&cl.r, pub, root, &tbs, &tbs_len), PCA_ERR_INVALID);
	assert_ptr_null(tbs);

	/* an empty subject: the SAN carries the identity and is critical */
	cl.r.subject_alt_names.data = san;
	cl.r.subject_alt_names.len = san_len;
	free(cl.subject);
	name_der(NULL, &cl.subject, &cl.r.subject.len);
	cl.r.subject.data = cl.subject;
	leaf = issue_x509(&cl.r, kr, root);
	assert_int_eq(X509_NAME_entry_count(X509_get_subject_name(leaf)), 0);
	assert_int_eq(ext_critical(leaf, NID_subject_alt_name), 1);
	X509_free(leaf);
	/* an empty subject and no SAN */
	cl.r.has_subject_alt_names = 0;
	assert_int_eq(tbs_build(&cl.r, pub, root, &tbs, &tbs_len), PCA_ERR_INVALID);

	free(san);
	X509_free(root);
	creq_free(&cr);
	creq_free(&cl);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(kr);
	EVP_PKEY_free(kl);
}

static void
test_eku_invalid(void)
{
	static const char *const bad[] = { "1.2.abc", "serverAuth", "1..3", "", "1.3.6.1.5.5.7.3.01",
	    "4.1", "1.3.6.1.5.5.7.3.1 " };
	EVP_PKEY *k = key_new("EC", "P-256", 0), *pub = pub_of(k);
	struct creq c;
	uint8_t *tbs = NULL;
	size_t tbs_len;
	char *eku[2];

	creq_init(&c, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 12);
	c.r.extended_key_usage = eku;
	c.r.n_extended_key_usage = 1;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eku[0] = (char *)bad[i];
		if (tbs_build(&c.r, pub, NULL, &tbs, &tbs_len) != PCA_ERR_INVALID)
			test_fail(__FILE__, __LINE__, "EKU \"%s\" accepted", bad[i]);
		assert_ptr_null(tbs);
	}
	/* the same purpose twice */
	eku[0] = eku[1] = "1.3.6.1.5.5.7.3.1";
	c.r.n_extended_key_usage = 2;
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	/* a private OID is fine */
	eku[1] = "1.3.6.1.4.1.99999.1";
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), 0);
	free(tbs);
	creq_free(&c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void
test_sig_alg(void)
{
	/* ecdsa-with-SHA384, parameters absent (RFC 5758) */
	static const uint8_t ec384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	    0x3d, 0x04, 0x03, 0x03 };
	EVP_PKEY *rsa = key_new("RSA", NULL, 2048), *ec = key_new("EC", "P-384", 0);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	uint8_t *alg = NULL;
	size_t len;
	int md;

	assert_int_eq(tbs_sig_alg(PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_ECDSA, ec, &alg, &len, &md), 0);
	assert_int_eq(len, sizeof(ec384));
	assert_mem_eq(alg, ec384, sizeof(ec384));
	assert_int_eq(md, NID_sha384);
	free(alg);
	assert_int_eq(tbs_sig_alg(PCA__SIGNER__SIG_ALG__SIG_ALG_SHA512_RSA, rsa, &alg, &len, &md), 0);
	assert_int_eq(md, NID_sha512);
	assert_int_eq(alg[len - 2], 0x05);	/* NULL parameters */
	assert_int_eq(alg[len - 1], 0x00);
	free(alg);

	assert_int_eq(tbs_sig_alg(PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA, ec, &alg, &len, &md),
	    PCA_ERR_UNSUPPORTED);
	assert_ptr_null(alg);
	assert_int_eq(tbs_sig_alg(PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, rsa, &alg, &len, &md),
	    PCA_ERR_UNSUPPORTED);
	assert_int_eq(tbs_sig_alg(PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, ed, &alg, &len, &md),
	    PCA_ERR_UNSUPPORTED);
	assert_int_eq(tbs_sig_alg((Pca__Signer__SigAlg)99, rsa, &alg, &len, &md), PCA_ERR_UNSUPPORTED);
	assert_int_eq(tbs_sig_alg((Pca__Signer__SigAlg)0, rsa, &alg, &len, &md), PCA_ERR_UNSUPPORTED);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
}

/* Every signature algorithm, end to end, on the matching key. */
static void
test_all_sig_algs(void)
{
	EVP_PKEY *rsa = key_new("RSA", NULL, 2048), *ec = key_new("EC", "P-521", 0);

	for (int a = 1; a <= 6; a++) {
		EVP_PKEY *k = a <= 3 ? rsa : ec;
		struct creq c;
		X509 *x;
		int nid, want[] = { 0, NID_sha256WithRSAEncryption, NID_sha384WithRSAEncryption,
		    NID_sha512WithRSAEncryption, NID_ecdsa_with_SHA256, NID_ecdsa_with_SHA384,
		    NID_ecdsa_with_SHA512 };

		creq_init(&c, "Root", k, 1, (Pca__Signer__SigAlg)a, (uint8_t)(20 + a));
		x = issue_x509(&c.r, k, NULL);
		nid = X509_get_signature_nid(x);
		assert_int_eq(nid, want[a]);
		assert_int_eq(X509_verify(x, k), 1);
		X509_free(x);
		creq_free(&c);
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

static void
test_serial_rules(void)
{
	EVP_PKEY *k = key_new("EC", "P-256", 0), *pub = pub_of(k);
	struct creq c;
	uint8_t s[21], *tbs = NULL;
	size_t tbs_len;
	X509 *x;
	char hex[X509_SERIAL_HEX_MAX], want[X509_SERIAL_HEX_MAX];

	creq_init(&c, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 13);
	memset(s, 0x5a, sizeof(s));
	c.r.serial.data = s;

	c.r.serial.len = 7;			/* fewer than 64 bits */
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.serial.len = 21;			/* over RFC 5280's 20 octets */
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.serial.len = 20;
	s[0] = 0x80;				/* negative */
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	s[0] = 0x00;				/* not minimal */
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	assert_ptr_null(tbs);

	/* 00 before a high byte is the minimal positive encoding: kept as is */
	s[1] = 0xc3;
	x = issue_x509(&c.r, k, NULL);
	assert_int_eq(x509_cert_serial_hex(x, hex), 0);
	x509_serial_hex(s, 20, want);
	assert_str_eq(hex, want);
	X509_free(x);
	/* 20 octets, top bit clear */
	s[0] = 0x7f;
	x = issue_x509(&c.r, k, NULL);
	assert_int_eq(x509_cert_serial_hex(x, hex), 0);
	x509_serial_hex(s, 20, want);
	assert_str_eq(hex, want);
	X509_free(x);
	creq_free(&c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void
test_field_errors(void)
{
	EVP_PKEY *k = key_new("EC", "P-256", 0), *pub = pub_of(k);
	struct creq c;
	uint8_t *tbs = NULL, *saved, junk[] = { 0x30, 0x03, 0x01, 0x02, 0x03 }, *buf;
	size_t tbs_len, saved_len;
	char *bad_url[1];

	creq_init(&c, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 14);

	/* subject: garbage, then a good name with a trailing byte */
	saved = c.r.subject.data;
	saved_len = c.r.subject.len;
	c.r.subject.data = junk;
	c.r.subject.len = sizeof(junk);
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	buf = malloc(saved_len + 1);
	memcpy(buf, saved, saved_len);
	buf[saved_len] = 0;
	c.r.subject.data = buf;
	c.r.subject.len = saved_len + 1;
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.subject.data = saved;
	c.r.subject.len = saved_len;
	free(buf);

	/* SPKI: garbage and trailing byte */
	saved = c.r.subject_public_key.data;
	saved_len = c.r.subject_public_key.len;
	c.r.subject_public_key.data = junk;
	c.r.subject_public_key.len = sizeof(junk);
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	buf = malloc(saved_len + 1);
	memcpy(buf, saved, saved_len);
	buf[saved_len] = 0;
	c.r.subject_public_key.data = buf;
	c.r.subject_public_key.len = saved_len + 1;
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.subject_public_key.data = saved;
	c.r.subject_public_key.len = saved_len;
	free(buf);

	/* keyUsage: none, or a tenth bit */
	c.r.key_usage = 0;
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.key_usage = 0x200;
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.key_usage = PKU_CERT_SIGN;

	/* pathLenConstraint: negative */
	c.r.has_path_len = 1;
	c.r.path_len = -1;
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.has_path_len = 0;

	/* URIs */
	c.r.crl_urls = bad_url;
	c.r.n_crl_urls = 1;
	bad_url[0] = "http://crl example/x.crl";
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	bad_url[0] = "no-scheme";
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	bad_url[0] = "";
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	bad_url[0] = "http://x/\xc3\xa9";
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.n_crl_urls = 0;
	c.r.ocsp_urls = bad_url;
	c.r.n_ocsp_urls = 1;
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.r.n_ocsp_urls = 0;

	/* a CA needs a name */
	free(c.subject);
	name_der(NULL, &c.subject, &c.r.subject.len);
	c.r.subject.data = c.subject;
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	assert_ptr_null(tbs);
	creq_free(&c);

	/* a pathLenConstraint on an end-entity certificate */
	{
		EVP_PKEY *kl = key_new("EC", "P-256", 0);
		struct creq cr, cl;
		X509 *root;

		creq_init(&cr, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 15);
		root = issue_x509(&cr.r, k, NULL);
		creq_init(&cl, "leaf", kl, 0, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 16);
		cl.r.has_path_len = 1;
		cl.r.path_len = 0;
		assert_int_eq(tbs_build(&cl.r, pub, root, &tbs, &tbs_len), PCA_ERR_INVALID);
		X509_free(root);
		creq_free(&cr);
		creq_free(&cl);
		EVP_PKEY_free(kl);
	}
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* A subject in BER (as a client CSR may carry it) comes out in DER, with
 * multi-valued RDNs kept together. */
static void
test_subject_der(void)
{
	/* Name { RDN { CN "a" } , RDN { O "o", OU "u" } } with a long-form
	 * outer length, and the multi-valued RDN's SET in unsorted order */
	static const uint8_t ber[] = { 0x30, 0x81, 0x26,
	    0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, 'a',
	    0x31, 0x18,
	      0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x0b, 0x0c, 0x03, 'u', 'u', 'u',
	      0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x03, 'o', 'o', 'o' };
	EVP_PKEY *k = key_new("EC", "P-256", 0);
	struct creq c;
	X509 *x;
	X509_NAME *want;
	unsigned char *der = NULL;
	const unsigned char *p;
	int n;

	creq_init(&c, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 31);
	c.r.subject.data = (uint8_t *)ber;
	c.r.subject.len = sizeof(ber);
	x = issue_x509(&c.r, k, NULL);
	n = i2d_X509_NAME(X509_get_subject_name(x), &der);
	assert_int_eq(n, sizeof(ber) - 1);	/* short-form length now */
	assert_int_eq(der[0], 0x30);
	assert_int_eq(der[1], 0x26);
	/* DER sorts the SET by encoding: O (2.5.4.10) before OU (2.5.4.11);
	 * byte 22 is the last arc of the first attribute type in that SET */
	assert_int_eq(der[22], 0x0a);
	OPENSSL_free(der);
	p = ber;
	want = d2i_X509_NAME(NULL, &p, sizeof(ber));
	assert_int_eq(X509_NAME_cmp(want, X509_get_subject_name(x)), 0);
	assert_int_eq(X509_NAME_entry_count(X509_get_subject_name(x)), 3);
	assert_int_eq(X509_NAME_ENTRY_set(X509_NAME_get_entry(X509_get_subject_name(x), 2)),
	    X509_NAME_ENTRY_set(X509_NAME_get_entry(X509_get_subject_name(x), 1)));
	/* self-signed: the issuer is the same DER */
	assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)), 0);
	X509_NAME_free(want);
	X509_free(x);
	c.r.subject.data = c.subject;		/* creq_free frees its own */
	creq_free(&c);
	EVP_PKEY_free(k);
}

static void
test_passthrough(void)
{
	EVP_PKEY *k = key_new("EC", "P-256", 0), *pub = pub_of(k);
	struct creq c;
	uint8_t *tbs = NULL, trail[sizeof(cp_der) + 1];
	size_t tbs_len;
	X509 *x;

	creq_init(&c, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 17);
	for (int i = 0; i < 2; i++) {
		pca__signer__extension__init(&c.ext_store[i]);
		c.ext[i] = &c.ext_store[i];
		c.ext_store[i].value.data = (uint8_t *)cp_der;
		c.ext_store[i].value.len = sizeof(cp_der);
	}
	c.r.extensions = c.ext;
	c.ext_store[0].oid = "2.5.29.32";
	c.ext_store[0].critical = 1;
	c.ext_store[1].oid = "1.3.6.1.4.1.99999.7";
	c.r.n_extensions = 2;
	x = issue_x509(&c.r, k, NULL);
	assert_int_eq(ext_critical(x, NID_certificate_policies), 1);
	assert_int_eq(X509_get_ext_count(x), 6);
	X509_free(x);

	/* the same OID twice */
	c.ext_store[1].oid = "2.5.29.32";
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	/* an extension the builder made already */
	c.ext_store[1].oid = "2.5.29.19";
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.ext_store[1].oid = "2.5.29.14";
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	/* an invalid OID */
	c.ext_store[1].oid = "certificatePolicies";
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	/* a value that is not exactly one DER element */
	c.ext_store[1].oid = "1.3.6.1.4.1.99999.7";
	memcpy(trail, cp_der, sizeof(cp_der));
	trail[sizeof(cp_der)] = 0;
	c.ext_store[1].value.data = trail;
	c.ext_store[1].value.len = sizeof(trail);
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	c.ext_store[1].value.len = 0;
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	trail[1] = 0x80;			/* indefinite length */
	c.ext_store[1].value.len = sizeof(cp_der);
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), PCA_ERR_INVALID);
	assert_ptr_null(tbs);
	creq_free(&c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void
test_deterministic(void)
{
	EVP_PKEY *k = key_new("RSA", NULL, 2048), *pub = pub_of(k);
	struct creq c;
	uint8_t *a = NULL, *b = NULL;
	size_t al, bl;

	creq_init(&c, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_RSA, 18);
	assert_int_eq(tbs_build(&c.r, pub, NULL, &a, &al), 0);
	assert_int_eq(tbs_build(&c.r, pub, NULL, &b, &bl), 0);
	assert_int_eq(al, bl);
	assert_mem_eq(a, b, al);
	free(a);
	free(b);
	creq_free(&c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

/* An issuer made by plain OpenSSL without SKI: the AKI is then SHA-1 of
 * its key bits, method 1. */
static void
test_aki_issuer_without_ski(void)
{
	EVP_PKEY *kr = key_new("EC", "P-256", 0), *kl = key_new("EC", "P-256", 0);
	X509 *root = X509_new(), *leaf;
	X509_NAME *n = X509_NAME_new();
	ASN1_TIME *t;
	struct creq cl;
	unsigned char md[20];
	unsigned int mdlen;

	X509_set_version(root, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(root), 99);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"NoSKI", -1, -1, 0);
	X509_set_subject_name(root, n);
	X509_set_issuer_name(root, n);
	X509_NAME_free(n);
	t = ASN1_TIME_set(NULL, (time_t)T0);
	X509_set1_notBefore(root, t);
	ASN1_TIME_free(t);
	t = ASN1_TIME_set(NULL, (time_t)(T0 + 3650 * DAY));
	X509_set1_notAfter(root, t);
	ASN1_TIME_free(t);
	X509_set_pubkey(root, kr);
	assert_true(X509_sign(root, kr, EVP_sha256()) > 0);
	assert_ptr_null(X509_get0_subject_key_id(root));

	creq_init(&cl, "leaf", kl, 0, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, 19);
	leaf = issue_x509(&cl.r, kr, root);
	assert_int_eq(X509_pubkey_digest(root, EVP_sha1(), md, &mdlen), 1);
	assert_mem_eq(ASN1_STRING_get0_data(X509_get0_authority_key_id(leaf)), md, 20);
	/* and without authority_key_id there is no AKI */
	X509_free(leaf);
	cl.r.authority_key_id = 0;
	leaf = issue_x509(&cl.r, kr, root);
	assert_ptr_null(X509_get0_authority_key_id(leaf));
	X509_free(leaf);
	X509_free(root);
	creq_free(&cl);
	EVP_PKEY_free(kr);
	EVP_PKEY_free(kl);
}

/* SubjectInfoAccessSyntax { caRepository URI } */
static uint8_t *
sia_der(size_t *len)
{
	AUTHORITY_INFO_ACCESS *sia = sk_ACCESS_DESCRIPTION_new_null();
	ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	unsigned char *p = NULL;
	uint8_t *out;
	int l;

	ASN1_STRING_set(s, "http://repo.example/ca", -1);
	ASN1_OBJECT_free(ad->method);
	ad->method = OBJ_nid2obj(NID_caRepository);
	GENERAL_NAME_set0_value(ad->location, GEN_URI, s);
	sk_ACCESS_DESCRIPTION_push(sia, ad);
	l = i2d_AUTHORITY_INFO_ACCESS(sia, &p);
	assert_true(l > 0);
	out = malloc((size_t)l + 1);
	memcpy(out, p, (size_t)l);
	*len = (size_t)l;
	OPENSSL_free(p);
	AUTHORITY_INFO_ACCESS_free(sia);
	return out;
}

static int
csr_issue(const Pca__Signer__SignCsrRequest *r, EVP_PKEY *priv, int flip, X509_REQ **out)
{
	EVP_PKEY *pub = pub_of(priv);
	uint8_t *tbs = NULL, *alg = NULL, *sig = NULL, *der = NULL;
	size_t tbs_len, alg_len, sig_len, der_len;
	int md, rc;

	*out = NULL;
	if ((rc = tbs_csr_build(r, pub, &tbs, &tbs_len)) != 0)
		goto out;
	assert_int_eq(tbs_sig_alg(r->sig_alg, pub, &alg, &alg_len, &md), 0);
	token_sign(priv, md, tbs, tbs_len, &sig, &sig_len);
	if (flip)
		sig[sig_len / 2] ^= 0x10;
	if ((rc = tbs_assemble(tbs, tbs_len, alg, alg_len, sig, sig_len, pub, &der, &der_len)) != 0)
		goto out;
	assert_int_eq(x509_csr_parse(der, der_len, out), 0);
 out:
	free(tbs);
	free(alg);
	free(sig);
	free(der);
	EVP_PKEY_free(pub);
	return rc;
}

static void
test_csr(void)
{
	EVP_PKEY *k = key_new("RSA", NULL, 2048), *pub = pub_of(k);
	Pca__Signer__SignCsrRequest r;
	STACK_OF(X509_EXTENSION) *exts;
	X509_EXTENSION *ext;
	ASN1_BIT_STRING *ku;
	X509_REQ *req = NULL;
	uint8_t *subject, *sia, *tbs = NULL;
	size_t subject_len, sia_len, tbs_len;
	char why[256];

	pca__signer__sign_csr_request__init(&r);
	r.sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA;
	name_der("CA for CSR", &subject, &subject_len);
	r.subject.data = subject;
	r.subject.len = subject_len;
	r.has_key_usage = 1;
	r.key_usage = PKU_CERT_SIGN | PKU_CRL_SIGN | PKU_DIGITAL_SIGNATURE;
	sia = sia_der(&sia_len);
	r.has_subject_info_access = 1;
	r.subject_info_access.data = sia;
	r.subject_info_access.len = sia_len;

	assert_int_eq(csr_issue(&r, k, 0, &req), 0);
	assert_int_eq(X509_REQ_get_version(req), 0);
	assert_int_eq(X509_REQ_verify(req, pub), 1);
	assert_int_eq(x509_pkey_equal(X509_REQ_get0_pubkey(req), pub), 1);
	assert_int_eq(x509_csr_check(req, why, sizeof(why)), 0);
	exts = X509_REQ_get_extensions(req);
	assert_int_eq(sk_X509_EXTENSION_num(exts), 2);
	ext = sk_X509_EXTENSION_value(exts, 0);
	assert_int_eq(OBJ_obj2nid(X509_EXTENSION_get_object(ext)), NID_key_usage);
	assert_int_eq(X509_EXTENSION_get_critical(ext), 1);
	ku = X509V3_EXT_d2i(ext);
	assert_int_eq(ASN1_BIT_STRING_get_bit(ku, 0), 1);
	assert_int_eq(ASN1_BIT_STRING_get_bit(ku, 5), 1);
	assert_int_eq(ASN1_BIT_STRING_get_bit(ku, 6), 1);
	assert_int_eq(ASN1_BIT_STRING_get_bit(ku, 2), 0);
	ASN1_BIT_STRING_free(ku);
	ext = sk_X509_EXTENSION_value(exts, 1);
	assert_int_eq(OBJ_obj2nid(X509_EXTENSION_get_object(ext)), NID_sinfo_access);
	assert_int_eq(X509_EXTENSION_get_critical(ext), 0);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);

	/* a bad signature */
	assert_int_eq(csr_issue(&r, k, 1, &req), PCA_ERR_BAD_SIGNATURE);
	assert_ptr_null(req);
	/* no extensions: no extensionRequest attribute */
	r.has_key_usage = 0;
	r.has_subject_info_access = 0;
	assert_int_eq(csr_issue(&r, k, 0, &req), 0);
	assert_int_eq(X509_REQ_get_attr_count(req), 0);
	X509_REQ_free(req);
	/* SIA with a trailing byte */
	r.has_subject_info_access = 1;
	r.subject_info_access.len = sia_len + 1;
	sia[sia_len] = 0;
	assert_int_eq(tbs_csr_build(&r, pub, &tbs, &tbs_len), PCA_ERR_INVALID);
	r.has_subject_info_access = 0;
	/* ECDSA for an RSA key */
	r.sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA;
	assert_int_eq(tbs_csr_build(&r, pub, &tbs, &tbs_len), PCA_ERR_UNSUPPORTED);
	r.sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA;
	/* an empty subject */
	free(subject);
	name_der(NULL, &subject, &subject_len);
	r.subject.data = subject;
	r.subject.len = subject_len;
	assert_int_eq(tbs_csr_build(&r, pub, &tbs, &tbs_len), PCA_ERR_INVALID);
	assert_ptr_null(tbs);
	free(subject);
	free(sia);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void
test_assemble_inputs(void)
{
	EVP_PKEY *k = key_new("RSA", NULL, 2048), *pub = pub_of(k), *ec = key_new("EC", "P-256", 0);
	struct creq c;
	uint8_t *tbs, *alg, *alg384 = NULL, *sig, *out = NULL, *buf;
	/* sha1WithRSAEncryption: not one of ours */
	static const uint8_t sha1rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	    0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00 };
	size_t tbs_len, alg_len, alg384_len, sig_len, out_len;
	int md, md384;

	creq_init(&c, "Root", k, 1, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA, 30);
	assert_int_eq(tbs_build(&c.r, pub, NULL, &tbs, &tbs_len), 0);
	assert_int_eq(tbs_sig_alg(c.r.sig_alg, pub, &alg, &alg_len, &md), 0);
	token_sign(k, md, tbs, tbs_len, &sig, &sig_len);

	/* a TBS with a byte too many */
	buf = malloc(tbs_len + 1);
	memcpy(buf, tbs, tbs_len);
	buf[tbs_len] = 0;
	assert_int_eq(tbs_assemble(buf, tbs_len + 1, alg, alg_len, sig, sig_len, pub, &out, &out_len),
	    PCA_ERR_MALFORMED);
	free(buf);
	/* an algorithm we do not speak */
	assert_int_eq(tbs_assemble(tbs, tbs_len, sha1rsa, sizeof(sha1rsa), sig, sig_len, pub,
	    &out, &out_len), PCA_ERR_UNSUPPORTED);
	/* the key does not fit the algorithm */
	assert_int_eq(tbs_assemble(tbs, tbs_len, alg, alg_len, sig, sig_len, ec, &out, &out_len),
	    PCA_ERR_UNSUPPORTED);
	/* no signature */
	assert_int_eq(tbs_assemble(tbs, tbs_len, alg, alg_len, sig, 0, pub, &out, &out_len),
	    PCA_ERR_INVALID);
	/* the outer algorithm differs from the one inside the TBS, though
	 * the signature matches the outer one */
	assert_int_eq(tbs_sig_alg(PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_RSA, pub, &alg384,
	    &alg384_len, &md384), 0);
	free(sig);
	token_sign(k, md384, tbs, tbs_len, &sig, &sig_len);
	assert_int_eq(tbs_assemble(tbs, tbs_len, alg384, alg384_len, sig, sig_len, pub,
	    &out, &out_len), PCA_ERR_INVALID);
	assert_ptr_null(out);
	free(alg384);
	free(tbs);
	free(alg);
	free(sig);
	creq_free(&c);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ec);
}

int
main(void)
{
	test_run("tbs/root_rsa_fields", test_root_rsa_fields);
	test_run("tbs/chain_strict", test_chain_strict);
	test_run("tbs/bad_signature", test_bad_signature);
	test_run("tbs/key_mismatch", test_key_mismatch);
	test_run("tbs/time_boundary", test_time_boundary);
	test_run("tbs/san", test_san);
	test_run("tbs/eku_invalid", test_eku_invalid);
	test_run("tbs/sig_alg", test_sig_alg);
	test_run("tbs/all_sig_algs", test_all_sig_algs);
	test_run("tbs/serial_rules", test_serial_rules);
	test_run("tbs/field_errors", test_field_errors);
	test_run("tbs/subject_der", test_subject_der);
	test_run("tbs/passthrough", test_passthrough);
	test_run("tbs/deterministic", test_deterministic);
	test_run("tbs/aki_issuer_without_ski", test_aki_issuer_without_ski);
	test_run("tbs/csr", test_csr);
	test_run("tbs/assemble_inputs", test_assemble_inputs);
	return test_done();
}
