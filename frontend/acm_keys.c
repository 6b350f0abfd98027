/*
 * acm_keys.c - keys of managed certificates (acm_keys.h).
 */
#include "acm_keys.h"
#include "wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

int
acm_key_generate(const char *alg, EVP_PKEY **out)
{
	*out = NULL;
	if (strcmp(alg, "RSA_2048") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(alg, "RSA_3072") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (strcmp(alg, "RSA_4096") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	else if (strcmp(alg, "EC_prime256v1") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(alg, "EC_secp384r1") == 0)
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else
		return PCA_ERR_INVALID;
	return *out != NULL ? 0 : PCA_ERR_CRYPTO;
}

/* Add name to gens as an iPAddress when it is one, else a dNSName. */
static int
gens_add(GENERAL_NAMES *gens, const char *name)
{
	unsigned char ip[16];
	GENERAL_NAME *g;
	ASN1_OCTET_STRING *os;
	ASN1_IA5STRING *ia5;
	int iplen = 0;

	if (inet_pton(AF_INET, name, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, name, ip) == 1)
		iplen = 16;
	if ((g = GENERAL_NAME_new()) == NULL)
		return PCA_ERR_NOMEM;
	if (iplen > 0) {
		if ((os = ASN1_OCTET_STRING_new()) == NULL || !ASN1_OCTET_STRING_set(os, ip, iplen)) {
			ASN1_OCTET_STRING_free(os);
			GENERAL_NAME_free(g);
			return PCA_ERR_NOMEM;
		}
		GENERAL_NAME_set0_value(g, GEN_IPADD, os);
	} else {
		if ((ia5 = ASN1_IA5STRING_new()) == NULL ||
		    !ASN1_STRING_set(ia5, name, (int)strlen(name))) {
			ASN1_IA5STRING_free(ia5);
			GENERAL_NAME_free(g);
			return PCA_ERR_NOMEM;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
	}
	if (!sk_GENERAL_NAME_push(gens, g)) {
		GENERAL_NAME_free(g);
		return PCA_ERR_NOMEM;
	}
	return 0;
}

int
acm_csr_build(EVP_PKEY *key, const char *domain, const char *const *sans, size_t nsans,
    uint8_t **der, size_t *der_len, char *why, size_t whylen)
{
	X509_REQ *req = NULL;
	X509_NAME *name = NULL;
	GENERAL_NAMES *gens = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	unsigned char *p;
	int len, r = PCA_ERR_CRYPTO;

	*der = NULL;
	*der_len = 0;
	why[0] = '\0';
	if ((req = X509_REQ_new()) == NULL || (name = X509_NAME_new()) == NULL ||
	    (gens = sk_GENERAL_NAME_new_null()) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL)
		goto out;
	if (strlen(domain) <= 64 && !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)domain, -1, -1, 0)) {
		snprintf(why, whylen, "the domain name cannot be a common name");
		r = PCA_ERR_INVALID;
		goto out;
	}
	if ((r = gens_add(gens, domain)) != 0)
		goto out;
	for (size_t i = 0; i < nsans; i++)
		if (strcmp(sans[i], domain) != 0 && (r = gens_add(gens, sans[i])) != 0)
			goto out;
	r = PCA_ERR_CRYPTO;
	if ((ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens)) == NULL ||
	    !sk_X509_EXTENSION_push(exts, ext))
		goto out;
	ext = NULL;
	if (!X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, key) || !X509_REQ_add_extensions(req, exts) ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		goto out;
	if ((len = i2d_X509_REQ(req, NULL)) <= 0 || (*der = malloc((size_t)len)) == NULL)
		goto out;
	p = *der;
	i2d_X509_REQ(req, &p);
	*der_len = (size_t)len;
	r = 0;
 out:
	if (r == PCA_ERR_CRYPTO && why[0] == '\0')
		snprintf(why, whylen, "the CSR could not be built");
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(name);
	X509_REQ_free(req);
	ERR_clear_error();
	return r;
}

/* The key's PKCS#8 DER (to wipe and free). */
static int
key_der(EVP_PKEY *key, uint8_t **der, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *p;
	int n;

	*der = NULL;
	if ((p8 = EVP_PKEY2PKCS8(key)) == NULL)
		return PCA_ERR_CRYPTO;
	if ((n = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL)) <= 0 || (*der = malloc((size_t)n)) == NULL) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return PCA_ERR_NOMEM;
	}
	p = *der;
	i2d_PKCS8_PRIV_KEY_INFO(p8, &p);
	*len = (size_t)n;
	PKCS8_PRIV_KEY_INFO_free(p8);	/* frees with cleanse (OpenSSL's ASN1 sensitive) */
	return 0;
}

int
acm_key_seal(EVP_PKEY *key, const uint8_t data_key[ACM_DATA_KEY_LEN], const char *aad,
    uint8_t **ct, size_t *ct_len, uint8_t iv[ACM_SEAL_IV_LEN], uint8_t tag[ACM_SEAL_TAG_LEN])
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int n, fin, r;

	*ct = NULL;
	*ct_len = 0;
	if ((r = key_der(key, &der, &der_len)) != 0)
		return r;
	r = PCA_ERR_CRYPTO;
	if (RAND_bytes(iv, ACM_SEAL_IV_LEN) != 1 || (c = EVP_CIPHER_CTX_new()) == NULL ||
	    (*ct = malloc(der_len)) == NULL)
		goto out;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, data_key, iv) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(c, *ct, &n, der, (int)der_len) != 1 ||
	    EVP_EncryptFinal_ex(c, *ct + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, ACM_SEAL_TAG_LEN, tag) != 1)
		goto out;
	*ct_len = (size_t)(n + fin);
	r = 0;
 out:
	if (r != 0) {
		free(*ct);
		*ct = NULL;
	}
	EVP_CIPHER_CTX_free(c);
	free_wiped(der, der_len);
	return r;
}

int
acm_key_open(const uint8_t *ct, size_t ct_len, const uint8_t iv[ACM_SEAL_IV_LEN],
    const uint8_t tag[ACM_SEAL_TAG_LEN], const uint8_t data_key[ACM_DATA_KEY_LEN],
    const char *aad, EVP_PKEY **out)
{
	EVP_CIPHER_CTX *c = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	uint8_t *der = NULL;
	const unsigned char *p;
	int n, fin, r = PCA_ERR_BAD_SIGNATURE;

	*out = NULL;
	if (ct_len == 0 || ct_len > 1 << 20)
		return PCA_ERR_INVALID;
	if ((der = malloc(ct_len)) == NULL || (c = EVP_CIPHER_CTX_new()) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, data_key, iv) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_DecryptUpdate(c, der, &n, ct, (int)ct_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, ACM_SEAL_TAG_LEN, (void *)tag) != 1 ||
	    EVP_DecryptFinal_ex(c, der + n, &fin) != 1)
		goto out;
	p = der;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, n + fin)) == NULL ||
	    (*out = EVP_PKCS82PKEY(p8)) == NULL) {
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	r = 0;
 out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_CIPHER_CTX_free(c);
	free_wiped(der, ct_len);
	ERR_clear_error();
	return r;
}

int
acm_key_export(EVP_PKEY *key, const uint8_t *passphrase, size_t len, char **pem)
{
	BIO *b = NULL;
	BUF_MEM *m;
	int r = PCA_ERR_CRYPTO;

	*pem = NULL;
	if (len < ACM_PASSPHRASE_MIN || len > ACM_PASSPHRASE_MAX)
		return PCA_ERR_INVALID;
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return PCA_ERR_NOMEM;
	if (!PEM_write_bio_PKCS8PrivateKey(b, key, EVP_aes_256_cbc(), (const char *)passphrase,
	    (int)len, NULL, NULL))
		goto out;
	BIO_get_mem_ptr(b, &m);
	if ((*pem = malloc(m->length + 1)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	memcpy(*pem, m->data, m->length);
	(*pem)[m->length] = '\0';
	r = 0;
 out:
	BIO_free(b);
	ERR_clear_error();
	return r;
}

int
acm_key_import(const uint8_t *pem, size_t len, EVP_PKEY *cert_pub, EVP_PKEY **out)
{
	BIO *b;

	*out = NULL;
	if (len == 0 || len > INT32_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return PCA_ERR_INVALID;
	/* no passphrase callback: an encrypted key does not parse */
	*out = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	ERR_clear_error();
	if (*out == NULL)
		return PCA_ERR_INVALID;
	if (cert_pub != NULL && EVP_PKEY_eq(*out, cert_pub) != 1) {
		EVP_PKEY_free(*out);
		*out = NULL;
		ERR_clear_error();
		return PCA_ERR_INVALID;
	}
	return 0;
}
