/*
 * spki.c - a SubjectPublicKeyInfo read from its bytes (see spki.h).
 *
 * What SPKI_RSA and SPKI_EC accept is deliberately narrow: DER only (der.c
 * refuses long-form lengths that fit the short form, indefinite lengths and
 * high tag numbers), the algorithm identifiers exactly as OpenSSL writes
 * them, the integers of an RSA key positive and minimal, the EC point
 * uncompressed and on its curve. Those are the encodings for which OpenSSL's
 * decoder succeeds and its encoder gives back the same bytes; anything
 * rarer (compressed points, explicit parameters, RSA-PSS, other key types,
 * BER) is SPKI_OTHER and goes through OpenSSL.
 */
#include "spki.h"
#include "der.h"
#include "x509util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>

/* 1.2.840.113549.1.1.1 and its NULL parameters, as OpenSSL writes them */
static const uint8_t spki_oid_rsa[] = {
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const uint8_t spki_null[] = { 0x05, 0x00 };
/* 1.2.840.10045.2.1 id-ecPublicKey */
static const uint8_t spki_oid_ec[] = {
	0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const uint8_t spki_oid_p256[] = {	/* 1.2.840.10045.3.1.7 */
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t spki_oid_p384[] = {	/* 1.3.132.0.34 */
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t spki_oid_p521[] = {	/* 1.3.132.0.35 */
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };

/* The curves read here: the ones the signer's policy can allow. */
static const struct spki_curve {
	int		 nid;
	const uint8_t	*oid;		/* the namedCurve OID TLV */
	size_t		 oid_len;
	size_t		 field_len;	/* octets of one coordinate */
} spki_curves[] = {
	{ NID_X9_62_prime256v1, spki_oid_p256, sizeof(spki_oid_p256), 32 },
	{ NID_secp384r1,	spki_oid_p384, sizeof(spki_oid_p384), 48 },
	{ NID_secp521r1,	spki_oid_p521, sizeof(spki_oid_p521), 66 },
};
#define SPKI_NCURVES	(sizeof(spki_curves) / sizeof(spki_curves[0]))

/*
 * The process's only mutable state here, written once: one EC_GROUP per
 * curve (making one costs ~10 us, more than the point check it serves).
 * After pthread_once they are only read, which OpenSSL allows from any
 * number of threads. A group that could not be made leaves its curve to
 * OpenSSL's decoder. They live until exit.
 */
static struct {
	pthread_once_t	 once;
	EC_GROUP	*group[SPKI_NCURVES];
} spki_gl = { PTHREAD_ONCE_INIT, { NULL } };

static void
spki_groups_make(void)
{
	for (size_t i = 0; i < SPKI_NCURVES; i++)
		spki_gl.group[i] = EC_GROUP_new_by_curve_name(spki_curves[i].nid);
	ERR_clear_error();
}

static int
bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* A DER INTEGER's contents that are positive and minimal: the number of
 * bits of its value, or 0 when it is not such an integer. */
static unsigned
int_bits(const uint8_t *c, size_t len)
{
	unsigned bits;
	uint8_t top;

	if (len == 0 || (c[0] & 0x80) != 0)
		return 0;			/* empty, or negative */
	if (c[0] == 0x00) {
		if (len == 1 || (c[1] & 0x80) == 0)
			return 0;		/* zero, or a 00 too many */
		c++;
		len--;
	}
	if (len > 0x0fffffff)
		return 0;
	for (bits = 8, top = c[0]; (top & 0x80) == 0; top <<= 1)
		bits--;
	return bits + (unsigned)(len - 1) * 8;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
static int
spki_read_rsa(struct spki *s, const uint8_t *params, size_t params_len)
{
	const uint8_t *p = s->key, *end = s->key + s->key_len, *seq, *n, *e;
	size_t seq_len, n_len, e_len;
	unsigned bits;

	if (!bytes_eq(params, params_len, spki_null, sizeof(spki_null)) ||
	    der_next(&p, end, DER_SEQUENCE, &seq, &seq_len) != 0 || p != end)
		return 0;
	p = seq;
	end = seq + seq_len;
	if (der_next(&p, end, DER_INTEGER, &n, &n_len) != 0 ||
	    der_next(&p, end, DER_INTEGER, &e, &e_len) != 0 || p != end)
		return 0;
	if ((bits = int_bits(n, n_len)) == 0 || int_bits(e, e_len) == 0)
		return 0;
	s->type = SPKI_RSA;
	s->rsa_bits = bits;
	return 1;
}

/* An uncompressed point on one of spki_curves[]. */
static int
spki_read_ec(struct spki *s, const uint8_t *params, size_t params_len)
{
	const struct spki_curve *c = NULL;
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	size_t i;
	int ok;

	for (i = 0; i < SPKI_NCURVES; i++) {
		if (bytes_eq(params, params_len, spki_curves[i].oid, spki_curves[i].oid_len)) {
			c = &spki_curves[i];
			break;
		}
	}
	if (c == NULL || s->key_len != 1 + 2 * c->field_len || s->key[0] != 0x04)
		return 0;
	if (pthread_once(&spki_gl.once, spki_groups_make) != 0 ||
	    (g = spki_gl.group[i]) == NULL)
		return 0;
	/* oct2point refuses coordinates >= p and points off the curve; the
	 * second test says so where a reader looks for it */
	ok = (pt = EC_POINT_new(g)) != NULL &&
	    EC_POINT_oct2point(g, pt, s->key, s->key_len, NULL) == 1 &&
	    EC_POINT_is_on_curve(g, pt, NULL) == 1;
	EC_POINT_free(pt);
	ERR_clear_error();
	if (!ok)
		return 0;
	s->type = SPKI_EC;
	s->curve_nid = c->nid;
	return 1;
}

void
spki_read(struct spki *s, const uint8_t *der, size_t len)
{
	const uint8_t *p, *end, *spki, *alg, *alg_in, *bits;
	size_t spki_len, alg_in_len, bits_len, hdr, oid_len;
	uint8_t tag;

	memset(s, 0, sizeof(*s));
	s->der = der;
	s->len = len;
	s->type = SPKI_OTHER;
	if (der == NULL || len == 0)
		return;

	/* SEQUENCE { AlgorithmIdentifier, BIT STRING } and nothing after */
	p = der;
	end = der + len;
	if (der_next(&p, end, DER_SEQUENCE, &spki, &spki_len) != 0 || p != end)
		return;
	p = spki;
	end = spki + spki_len;
	alg = p;
	if (der_next(&p, end, DER_SEQUENCE, &alg_in, &alg_in_len) != 0)
		return;
	if (der_next(&p, end, DER_BIT_STRING, &bits, &bits_len) != 0 || p != end ||
	    bits_len < 1 || bits[0] != 0x00)
		return;
	s->alg = alg;
	s->alg_len = (size_t)(alg_in + alg_in_len - alg);
	s->key = bits + 1;
	s->key_len = bits_len - 1;

	/* AlgorithmIdentifier: the OID, then its parameters (the rest) */
	if (der_tlv(alg_in, alg_in_len, &tag, &hdr, &oid_len) != 0 || tag != DER_OID)
		return;
	p = alg_in + oid_len;
	end = alg_in + alg_in_len;
	if (bytes_eq(alg_in, oid_len, spki_oid_rsa, sizeof(spki_oid_rsa)))
		(void)spki_read_rsa(s, p, (size_t)(end - p));
	else if (bytes_eq(alg_in, oid_len, spki_oid_ec, sizeof(spki_oid_ec)))
		(void)spki_read_ec(s, p, (size_t)(end - p));
}

int
spki_pkey(struct spki *s, EVP_PKEY **pkey)
{
	*pkey = NULL;
	if (!s->decoded) {
		s->decoded = 1;
		if (x509_spki_to_pkey(s->der, s->len, &s->pkey) != 0)
			s->pkey = NULL;
	}
	if (s->pkey == NULL)
		return PCA_ERR_MALFORMED;
	*pkey = s->pkey;
	return 0;
}

int
spki_canonical(struct spki *s)
{
	EVP_PKEY *pkey;
	uint8_t *der = NULL;
	size_t len = 0;
	int same;

	if (s->type != SPKI_OTHER)
		return 1;
	if (spki_pkey(s, &pkey) != 0 || x509_pkey_to_spki(pkey, &der, &len) != 0)
		return 0;
	same = bytes_eq(der, len, s->der, s->len);
	free(der);
	return same;
}

int
spki_same_key(struct spki *s, const uint8_t *other, size_t other_len, EVP_PKEY *pub)
{
	EVP_PKEY *pkey;

	if (s->der != NULL && bytes_eq(s->der, s->len, other, other_len))
		return 1;
	/* one key, two encodings (a compressed point, say): what OpenSSL
	 * says about the decoded keys, as before there were bytes to compare */
	if (pub == NULL || spki_pkey(s, &pkey) != 0)
		return 0;
	return x509_pkey_equal(pkey, pub);
}

int
spki_cert_has_key(X509 *x, const uint8_t *spki, size_t spki_len, EVP_PKEY *pub)
{
	unsigned char *der = NULL;
	int n, same;

	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	same = n > 0 && bytes_eq(der, (size_t)n, spki, spki_len);
	OPENSSL_free(der);
	/* d2i_X509 decoded x's key already: comparing costs no decode */
	if (!same && pub != NULL)
		same = x509_pkey_equal(X509_get0_pubkey(x), pub);
	ERR_clear_error();
	return same;
}

void
spki_clear(struct spki *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey);
	s->pkey = NULL;
	s->decoded = 0;
}
