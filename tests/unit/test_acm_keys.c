/*
 * test_acm_keys.c - keys of managed certificates: every algorithm, CSRs with
 * DNS and IP names, sealing that refuses another key, ARN or a changed byte,
 * passphrase export that `openssl pkey` opens, imports that must match.
 */
#include "test.h"
#include "acm_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static const char *const algs[] = {
	"RSA_2048", "EC_prime256v1", "EC_secp384r1",
};

static void
test_generate(void)
{
	EVP_PKEY *k = NULL;

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		assert_int_eq(acm_key_generate(algs[i], &k), 0);
		assert_ptr_not_null(k);
		EVP_PKEY_free(k);
	}
	assert_int_eq(acm_key_generate("RSA_1024", &k), PCA_ERR_INVALID);
	assert_ptr_null(k);
	assert_int_eq(acm_key_generate("EC_secp521r1", &k), PCA_ERR_INVALID);
}

static void
test_csr(void)
{
	static const char *const sans[] = { "www.example.internal", "10.1.2.3", "fd00::1",
	    "example.internal" };
	EVP_PKEY *k;
	X509_REQ *req;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *gens;
	const unsigned char *p;
	uint8_t *der;
	size_t len;
	char why[128];
	int ndns = 0, nip = 0;

	assert_int_eq(acm_key_generate("EC_prime256v1", &k), 0);
	assert_int_eq(acm_csr_build(k, "example.internal", sans, 4, &der, &len, why,
	    sizeof(why)), 0);
	p = der;
	assert_ptr_not_null(req = d2i_X509_REQ(NULL, &p, (long)len));
	assert_int_eq(X509_REQ_verify(req, k), 1);
	exts = X509_REQ_get_extensions(req);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_ptr_not_null(gens);
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		ndns += g->type == GEN_DNS;
		nip += g->type == GEN_IPADD;
	}
	assert_int_eq(ndns, 2);		/* the domain once, www */
	assert_int_eq(nip, 2);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	free(der);
	EVP_PKEY_free(k);
}

static void
test_seal_open(void)
{
	uint8_t dk[ACM_DATA_KEY_LEN], dk2[ACM_DATA_KEY_LEN], iv[ACM_SEAL_IV_LEN];
	uint8_t tag[ACM_SEAL_TAG_LEN], *ct;
	const char *arn = "arn:aws:acm:us-east-1:111122223333:certificate/x";
	EVP_PKEY *k, *back = NULL;
	size_t ct_len;

	assert_int_eq(RAND_bytes(dk, sizeof(dk)), 1);
	assert_int_eq(RAND_bytes(dk2, sizeof(dk2)), 1);
	assert_int_eq(acm_key_generate("RSA_2048", &k), 0);
	assert_int_eq(acm_key_seal(k, dk, arn, &ct, &ct_len, iv, tag), 0);
	assert_int_ge(ct_len, 1000);
	assert_int_eq(acm_key_open(ct, ct_len, iv, tag, dk, arn, &back), 0);
	assert_int_eq(EVP_PKEY_eq(k, back), 1);
	EVP_PKEY_free(back);
	/* another data key, another ARN, a flipped byte anywhere */
	assert_int_eq(acm_key_open(ct, ct_len, iv, tag, dk2, arn, &back), PCA_ERR_BAD_SIGNATURE);
	assert_int_eq(acm_key_open(ct, ct_len, iv, tag, dk, "arn:other", &back),
	    PCA_ERR_BAD_SIGNATURE);
	ct[ct_len / 2] ^= 1;
	assert_int_eq(acm_key_open(ct, ct_len, iv, tag, dk, arn, &back), PCA_ERR_BAD_SIGNATURE);
	ct[ct_len / 2] ^= 1;
	tag[0] ^= 0x80;
	assert_int_eq(acm_key_open(ct, ct_len, iv, tag, dk, arn, &back), PCA_ERR_BAD_SIGNATURE);
	tag[0] ^= 0x80;
	iv[3] ^= 4;
	assert_int_eq(acm_key_open(ct, ct_len, iv, tag, dk, arn, &back), PCA_ERR_BAD_SIGNATURE);
	assert_ptr_null(back);
	assert_int_eq(acm_key_open(ct, 0, iv, tag, dk, arn, &back), PCA_ERR_INVALID);
	free(ct);
	EVP_PKEY_free(k);
}

static void
test_export(void)
{
	EVP_PKEY *k, *back;
	char *pem = NULL, *o = NULL, path[] = "/tmp/hsmca-acmkey.XXXXXX";
	BIO *b;
	int fd;

	assert_int_eq(acm_key_generate("EC_secp384r1", &k), 0);
	assert_int_eq(acm_key_export(k, (const uint8_t *)"abc", 3, &pem), PCA_ERR_INVALID);
	assert_int_eq(acm_key_export(k, (const uint8_t *)"correct horse", 13, &pem), 0);
	assert_str_contains(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----");
	b = BIO_new_mem_buf(pem, -1);
	back = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"correct horse");
	assert_ptr_not_null(back);
	assert_int_eq(EVP_PKEY_eq(k, back), 1);
	EVP_PKEY_free(back);
	BIO_free(b);
	/* what a user runs */
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_eq(write(fd, pem, strlen(pem)), (long long)strlen(pem));
	close(fd);
	assert_int_eq(test_sh(&o, "openssl pkey -in %s -passin pass:'correct horse' -noout 2>&1",
	    path), 0);
	free(o);
	assert_int_ne(test_sh(&o, "openssl pkey -in %s -passin pass:wrong -noout 2>&1", path), 0);
	free(o);
	unlink(path);
	free(pem);
	EVP_PKEY_free(k);
}

static void
test_import(void)
{
	EVP_PKEY *k, *other, *back;
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *m;

	assert_int_eq(acm_key_generate("EC_prime256v1", &k), 0);
	assert_int_eq(acm_key_generate("EC_prime256v1", &other), 0);
	assert_int_eq(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	BIO_get_mem_ptr(b, &m);
	assert_int_eq(acm_key_import((uint8_t *)m->data, m->length, k, &back), 0);
	EVP_PKEY_free(back);
	assert_int_eq(acm_key_import((uint8_t *)m->data, m->length, other, &back), PCA_ERR_INVALID);
	assert_ptr_null(back);
	assert_int_eq(acm_key_import((const uint8_t *)"not a key", 9, k, &back), PCA_ERR_INVALID);
	BIO_free(b);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

int
main(void)
{
	test_run("acm_keys/generate", test_generate);
	test_run("acm_keys/csr", test_csr);
	test_run("acm_keys/seal_open", test_seal_open);
	test_run("acm_keys/export", test_export);
	test_run("acm_keys/import", test_import);
	return test_done();
}
