/*
 * test_issuer_cache.c - issuer certificates parsed once per CA key
 * (signer/issuer_cache.c): hits, misses, refusals that are not remembered,
 * eviction of the least recently used entry while someone still holds it,
 * and many threads at once (run it under ASan: scripts/test does).
 */
#include "test.h"
#include "err.h"
#include "issuer_cache.h"
#include "x509util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#define NOW	1767225600LL
#define DAY	86400LL
#define NCERTS	6		/* certificates of one CA key */

/* A CA key, its SPKI, and NCERTS different certificates carrying it. */
struct ca {
	EVP_PKEY	*key;
	uint8_t		*spki;
	size_t		 spki_len;
	uint8_t		*der[NCERTS];
	size_t		 der_len[NCERTS];
};

static uint8_t *
cert_der(EVP_PKEY *key, EVP_PKEY *signer, int serial, size_t *len)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	ASN1_TIME *t;
	uint8_t *der = NULL;
	char cn[32];

	snprintf(cn, sizeof(cn), "Issuer %d", serial);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
	t = ASN1_TIME_set(NULL, (time_t)(NOW - DAY));
	X509_set1_notBefore(x, t);
	ASN1_TIME_free(t);
	t = ASN1_TIME_set(NULL, (time_t)(NOW + 3650 * DAY));
	X509_set1_notAfter(x, t);
	ASN1_TIME_free(t);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	assert_ptr_not_null(ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE"));
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	assert_int_eq(x509_cert_to_der(x, &der, len), 0);
	X509_free(x);
	return der;
}

static void
ca_make(struct ca *ca)
{
	ca->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_ptr_not_null(ca->key);
	assert_int_eq(x509_pkey_to_spki(ca->key, &ca->spki, &ca->spki_len), 0);
	for (int i = 0; i < NCERTS; i++)
		ca->der[i] = cert_der(ca->key, ca->key, i + 1, &ca->der_len[i]);
}

static void
ca_free(struct ca *ca)
{
	EVP_PKEY_free(ca->key);
	free(ca->spki);
	for (int i = 0; i < NCERTS; i++)
		free(ca->der[i]);
}

/* the serial the certificate was made with */
static int
serial_of(X509 *x)
{
	return (int)ASN1_INTEGER_get(X509_get0_serialNumber(x));
}

static int
get(struct issuer_cache *c, const struct ca *ca, int i, X509 **x)
{
	return issuer_cache_get(c, ca->spki, ca->spki_len, ca->key, ca->der[i],
	    ca->der_len[i], x);
}

static void
assert_stats(struct issuer_cache *c, uint64_t hits, uint64_t misses, uint64_t evictions,
    size_t entries)
{
	struct issuer_cache_stats st;

	issuer_cache_stats(c, &st);
	assert_int_eq(st.hits, hits);
	assert_int_eq(st.misses, misses);
	assert_int_eq(st.evictions, evictions);
	assert_int_eq(st.entries, entries);
}

static void
test_hit_miss(void)
{
	struct issuer_cache *c = NULL;
	struct ca ca, other;
	X509 *a = NULL, *b = NULL, *d = NULL;

	ca_make(&ca);
	ca_make(&other);
	assert_int_eq(issuer_cache_new(0, &c), PCA_ERR_INVALID);
	assert_int_eq(issuer_cache_new(4, &c), 0);
	assert_stats(c, 0, 0, 0, 0);

	/* a miss parses; the same bytes again are the same parsed certificate */
	assert_int_eq(get(c, &ca, 0, &a), 0);
	assert_int_eq(serial_of(a), 1);
	assert_stats(c, 0, 1, 0, 1);
	assert_int_eq(get(c, &ca, 0, &b), 0);
	assert_true(a == b);
	assert_stats(c, 1, 1, 0, 1);
	/* other bytes: another entry */
	assert_int_eq(get(c, &ca, 1, &d), 0);
	assert_true(d != a);
	assert_int_eq(serial_of(d), 2);
	assert_stats(c, 1, 2, 0, 2);
	X509_free(a);
	X509_free(b);
	X509_free(d);

	/* the same certificate for another CA key: refused, and not
	 * remembered (asked again, it is parsed and refused again) */
	assert_int_eq(issuer_cache_get(c, other.spki, other.spki_len, other.key,
	    ca.der[0], ca.der_len[0], &a), PCA_ERR_POLICY);
	assert_ptr_null(a);
	assert_stats(c, 1, 3, 0, 2);
	assert_int_eq(issuer_cache_get(c, other.spki, other.spki_len, other.key,
	    ca.der[0], ca.der_len[0], &a), PCA_ERR_POLICY);
	assert_stats(c, 1, 4, 0, 2);
	/* a certificate of the other key, signed by ca: it carries the other
	 * key, so it is the other key's issuer certificate, not ca's */
	free(other.der[0]);
	other.der[0] = cert_der(other.key, ca.key, 99, &other.der_len[0]);
	assert_int_eq(issuer_cache_get(c, ca.spki, ca.spki_len, ca.key,
	    other.der[0], other.der_len[0], &a), PCA_ERR_POLICY);
	assert_int_eq(get(c, &other, 0, &a), 0);
	assert_int_eq(serial_of(a), 99);
	X509_free(a);

	issuer_cache_free(c);
	ca_free(&ca);
	ca_free(&other);
}

static void
test_refusals(void)
{
	struct issuer_cache *c = NULL;
	struct ca ca;
	X509 *a = NULL;
	uint8_t *buf;

	ca_make(&ca);
	assert_int_eq(issuer_cache_new(4, &c), 0);
	/* a byte too many, a byte short, garbage, nothing */
	buf = malloc(ca.der_len[0] + 1);
	memcpy(buf, ca.der[0], ca.der_len[0]);
	buf[ca.der_len[0]] = 0;
	assert_int_eq(issuer_cache_get(c, ca.spki, ca.spki_len, ca.key, buf,
	    ca.der_len[0] + 1, &a), PCA_ERR_INVALID);
	assert_int_eq(issuer_cache_get(c, ca.spki, ca.spki_len, ca.key, buf,
	    ca.der_len[0] - 1, &a), PCA_ERR_INVALID);
	assert_int_eq(issuer_cache_get(c, ca.spki, ca.spki_len, ca.key,
	    (const uint8_t *)"\x30\x03\x02\x01\x01", 5, &a), PCA_ERR_INVALID);
	assert_int_eq(issuer_cache_get(c, ca.spki, ca.spki_len, ca.key, NULL, 0, &a),
	    PCA_ERR_INVALID);
	assert_ptr_null(a);
	assert_stats(c, 0, 3, 0, 0);
	/* the good prefix of buf is still the certificate */
	assert_int_eq(issuer_cache_get(c, ca.spki, ca.spki_len, ca.key, buf,
	    ca.der_len[0], &a), 0);
	X509_free(a);
	free(buf);
	issuer_cache_free(c);

	/* no cache: parsed and checked every time */
	assert_int_eq(get(NULL, &ca, 0, &a), 0);
	assert_int_eq(serial_of(a), 1);
	X509_free(a);
	assert_int_eq(issuer_cache_get(NULL, ca.spki, ca.spki_len, ca.key, ca.der[0],
	    ca.der_len[0] - 1, &a), PCA_ERR_INVALID);
	ca_free(&ca);
}

/* The CA key in another encoding inside the certificate (a compressed
 * point): the bytes differ, OpenSSL finds the keys equal, as before. */
static void
test_key_other_encoding(void)
{
	struct issuer_cache *c = NULL;
	struct ca ca;
	EVP_PKEY *packed = NULL;
	uint8_t *der, *spki = NULL;
	size_t len, spki_len;
	X509 *a = NULL;

	ca_make(&ca);
	assert_int_eq(x509_pkey_to_spki(ca.key, &spki, &spki_len), 0);
	assert_int_eq(x509_spki_to_pkey(spki, spki_len, &packed), 0);
	assert_int_eq(EVP_PKEY_set_utf8_string_param(packed,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"), 1);
	der = cert_der(packed, ca.key, 42, &len);
	assert_int_eq(issuer_cache_new(2, &c), 0);
	assert_int_eq(issuer_cache_get(c, ca.spki, ca.spki_len, ca.key, der, len, &a), 0);
	X509_free(a);
	/* without the key to compare, the bytes alone say no */
	assert_int_eq(issuer_cache_get(NULL, ca.spki, ca.spki_len, NULL, der, len, &a),
	    PCA_ERR_POLICY);
	issuer_cache_free(c);
	free(der);
	free(spki);
	EVP_PKEY_free(packed);
	ca_free(&ca);
}

static void
test_eviction(void)
{
	struct issuer_cache *c = NULL;
	struct ca ca;
	X509 *a = NULL, *b = NULL, *x = NULL;

	ca_make(&ca);
	assert_int_eq(issuer_cache_new(2, &c), 0);
	assert_int_eq(get(c, &ca, 0, &a), 0);		/* miss: A */
	assert_int_eq(get(c, &ca, 1, &b), 0);		/* miss: B */
	X509_free(a);
	assert_int_eq(get(c, &ca, 0, &a), 0);		/* hit: A is the newer */
	assert_stats(c, 1, 2, 0, 2);
	assert_int_eq(get(c, &ca, 2, &x), 0);		/* miss: C evicts B */
	assert_stats(c, 1, 3, 1, 2);
	X509_free(x);
	/* B, evicted, is still whole for the one holding it */
	assert_int_eq(serial_of(b), 2);
	assert_ptr_not_null(X509_get_subject_name(b));
	assert_int_eq(X509_check_ca(b), 1);
	X509_free(b);
	assert_int_eq(get(c, &ca, 0, &x), 0);		/* A stayed */
	assert_true(x == a);
	X509_free(x);
	assert_stats(c, 2, 3, 1, 2);
	assert_int_eq(get(c, &ca, 1, &b), 0);		/* B again: a miss, evicts C */
	assert_stats(c, 2, 4, 2, 2);
	assert_int_eq(get(c, &ca, 2, &x), 0);		/* C again: evicts A */
	assert_stats(c, 2, 5, 3, 2);
	X509_free(x);
	X509_free(b);
	/* a, evicted, outlives the cache too */
	issuer_cache_free(c);
	assert_int_eq(serial_of(a), 1);
	X509_free(a);
	ca_free(&ca);
}

#define NTHREADS	8
#define NROUNDS		400

static struct {
	struct issuer_cache	*c;
	struct ca		 ca[2];
	int			 failed;
} conc;

static void *
conc_worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	X509 *x;

	for (int i = 0; i < NROUNDS; i++) {
		const struct ca *ca;
		int which;

		seed = seed * 1103515245u + 12345u;
		ca = &conc.ca[(seed >> 8) & 1];
		which = (int)((seed >> 16) % NCERTS);
		if (issuer_cache_get(conc.c, ca->spki, ca->spki_len, ca->key,
		    ca->der[which], ca->der_len[which], &x) != 0) {
			conc.failed = 1;
			continue;
		}
		/* read it as the signer does, while others evict it */
		if (serial_of(x) != which + 1 || X509_check_ca(x) != 1 ||
		    X509_get0_pubkey(x) == NULL || X509_get_pathlen(x) != -1)
			conc.failed = 1;
		X509_free(x);
	}
	return NULL;
}

static void
test_concurrent(void)
{
	pthread_t th[NTHREADS];
	struct issuer_cache_stats st;

	ca_make(&conc.ca[0]);
	ca_make(&conc.ca[1]);
	/* 12 (key, certificate) pairs through 5 entries: every kind of race */
	assert_int_eq(issuer_cache_new(5, &conc.c), 0);
	for (uintptr_t i = 0; i < NTHREADS; i++)
		assert_int_eq(pthread_create(&th[i], NULL, conc_worker, (void *)(i + 1)), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	assert_false(conc.failed);
	issuer_cache_stats(conc.c, &st);
	test_diag("%llu hits, %llu misses, %llu evictions",
	    (unsigned long long)st.hits, (unsigned long long)st.misses,
	    (unsigned long long)st.evictions);
	assert_int_eq(st.hits + st.misses, NTHREADS * NROUNDS);
	assert_int_eq(st.entries, 5);
	assert_true(st.hits > 0 && st.evictions > 0);
	/* two threads may miss on one pair at once: one entry for both */
	assert_int_ge(st.misses, st.evictions + st.entries);
	issuer_cache_free(conc.c);
	ca_free(&conc.ca[0]);
	ca_free(&conc.ca[1]);
}

int
main(void)
{
	test_run("issuer_cache/hit_miss", test_hit_miss);
	test_run("issuer_cache/refusals", test_refusals);
	test_run("issuer_cache/key_other_encoding", test_key_other_encoding);
	test_run("issuer_cache/eviction", test_eviction);
	test_run("issuer_cache/concurrent", test_concurrent);
	return test_done();
}
