/*
 * spki.h - a SubjectPublicKeyInfo from a request, read without OpenSSL's
 * key decoder where that is safe.
 *
 * OpenSSL 3.0 decodes a public key through its provider decoders, which
 * cost ~150 us per key and are serialized process-wide (openssl#17950,
 * #20051); the signer used to do that several times per certificate. Most
 * subject keys come in one of two shapes, and for those spki_read() finds
 * everything the signer needs in the bytes themselves:
 *
 *   SPKI_RSA  SEQUENCE { SEQUENCE { rsaEncryption, NULL },
 *             BIT STRING { 00, SEQUENCE { INTEGER n, INTEGER e } } }
 *             n and e positive and minimally encoded
 *   SPKI_EC   SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve },
 *             BIT STRING { 00, 04 || X || Y } }
 *             namedCurve prime256v1, secp384r1 or secp521r1, and (X, Y) a
 *             point on that curve (checked with EC_POINT_oct2point, which
 *             is what OpenSSL's decoder runs; no provider call)
 *
 * all in DER with every byte used. The contract that makes reading the bytes
 * equivalent to decoding them: for a key of type SPKI_RSA or SPKI_EC,
 * OpenSSL's decoder would accept the bytes and encode the key it decoded as
 * exactly these bytes again. Everything else is SPKI_OTHER, and the signer
 * decodes it with OpenSSL (spki_pkey()) as it always did, so such keys get
 * the answers they always got, at the old price.
 *
 * A struct spki lives for one request: it borrows the request's bytes and
 * owns the EVP_PKEY spki_pkey() may decode, at most once per struct.
 *
 * THREAD SAFETY: a struct spki belongs to one thread; the functions may run
 * concurrently on different structs (the curve table behind SPKI_EC is made
 * once, under pthread_once, and only read after that).
 */
#ifndef PCA_SPKI_H
#define PCA_SPKI_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

enum spki_type {
	SPKI_OTHER = 0,		/* not read here: OpenSSL's decoder decides */
	SPKI_RSA,
	SPKI_EC,
};

struct spki {
	const uint8_t	*der;		/* the whole SubjectPublicKeyInfo (borrowed) */
	size_t		 len;
	enum spki_type	 type;
	unsigned	 rsa_bits;	/* SPKI_RSA: bits of the modulus */
	int		 curve_nid;	/* SPKI_EC: NID of the named curve */
	/* SEQUENCE { AlgorithmIdentifier, BIT STRING with no unused bits }
	 * in DER (whatever the type): the two parts, else NULL */
	const uint8_t	*alg;		/* the AlgorithmIdentifier TLV */
	size_t		 alg_len;
	const uint8_t	*key;		/* the BIT STRING's bits, after the 00 */
	size_t		 key_len;
	/* spki_pkey() */
	EVP_PKEY	*pkey;
	int		 decoded;	/* 1: tried (pkey NULL: it failed) */
};

/* Read der[0..len) into s (which then borrows der). Never fails: what is
 * not one of the shapes above is SPKI_OTHER. */
void spki_read(struct spki *s, const uint8_t *der, size_t len);

/*
 * The key decoded by OpenSSL (d2i_PUBKEY, every byte used), decoded on the
 * first call and kept in s: *pkey is borrowed from s. PCA_ERR_MALFORMED
 * when it does not decode (and on every later call).
 */
int spki_pkey(struct spki *s, EVP_PKEY **pkey) PCA_MUST_CHECK;

/*
 * 1 when OpenSSL would encode the key as exactly s's bytes: true of
 * SPKI_RSA and SPKI_EC by construction; for SPKI_OTHER the key is decoded
 * and encoded again (an unusual encoding, say explicit curve parameters,
 * is refused rather than silently rewritten). 0 otherwise, and when the
 * key does not decode.
 */
int spki_canonical(struct spki *s);

/* 1 when s and the DER SubjectPublicKeyInfo other (of pub) are the same
 * public key: equal bytes, or else equal keys once s is decoded. */
int spki_same_key(struct spki *s, const uint8_t *other, size_t other_len, EVP_PKEY *pub);

/* 1 when certificate x carries the public key whose DER SubjectPublicKeyInfo
 * is spki (pub decoded): x's SPKI encodes to those bytes (X509_PUBKEY's own
 * encoder, no key coder), or else OpenSSL finds the keys equal. */
int spki_cert_has_key(X509 *x, const uint8_t *spki, size_t spki_len, EVP_PKEY *pub);

/* Free what s owns (s itself is the caller's); s can be read again. */
void spki_clear(struct spki *s);

#endif
