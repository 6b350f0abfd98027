/*
 * x509util.c - X.509 helpers shared by the frontend, the signer and the CLI.
 *
 * Everything here parses input from clients, so every parser uses every
 * byte: a DER object must span its whole buffer, and PEM input may carry
 * nothing after its END line but blank space. OpenSSL's error queue is
 * cleared after a failed parse so that one bad input cannot leave stale
 * errors for an unrelated later call on the same thread.
 */
#include "x509util.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define X509_RSA_MIN_BITS	2048
#define X509_RSA_MAX_BITS	16384

/* what the PEM block of a certificate may be called */
static const char *const pem_cert_labels[] = { PEM_STRING_X509, NULL };
/* RFC 7468 names the first; the second is still written by old tools */
static const char *const pem_csr_labels[] = { PEM_STRING_X509_REQ, PEM_STRING_X509_REQ_OLD, NULL };

static int
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Nonzero when data[off..len) is empty or blank space only. */
static int
rest_is_blank(const uint8_t *data, size_t len, size_t off)
{
	for (; off < len; off++)
		if (!is_blank(data[off]))
			return 0;
	return 1;
}

static int
looks_like_pem(const uint8_t *data, size_t len)
{
	return memmem(data, len, "-----BEGIN ", 11) != NULL;
}

/* Copy an OpenSSL allocation into a malloc'd one: our callers free() */
static int
dup_out(const uint8_t *src, size_t len, uint8_t **out, size_t *outlen)
{
	if ((*out = malloc(len > 0 ? len : 1)) == NULL)
		return PCA_ERR_NOMEM;
	if (len > 0)
		memcpy(*out, src, len);
	*outlen = len;
	return 0;
}

/*
 * Read one PEM block from bio, whose label must be in labels, and give its
 * DER (malloc'd). Encrypted blocks (any header line) are refused.
 */
static int
pem_block_read(BIO *bio, const char *const *labels, uint8_t **der, size_t *derlen)
{
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long n = 0;
	int r = PCA_ERR_MALFORMED, ok = 0;

	*der = NULL;
	*derlen = 0;
	if (PEM_read_bio(bio, &name, &header, &data, &n) != 1 || n <= 0)
		goto out;
	for (size_t i = 0; labels[i] != NULL; i++)
		if (strcmp(name, labels[i]) == 0)
			ok = 1;
	if (!ok || header == NULL || header[0] != '\0')
		goto out;
	r = dup_out(data, (size_t)n, der, derlen);
 out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	ERR_clear_error();
	return r;
}

/*
 * The DER of the one object in data: the PEM block (explanatory text before
 * it is allowed, as RFC 7468 says; only blank space after it), or data
 * itself. *der points into data or to *tofree.
 */
static int
der_of_input(const uint8_t *data, size_t len, const char *const *labels,
    const uint8_t **der, size_t *derlen, uint8_t **tofree)
{
	BIO *bio = NULL;
	int r;

	*tofree = NULL;
	if (len == 0 || len > INT_MAX)
		return PCA_ERR_MALFORMED;
	if (!looks_like_pem(data, len)) {
		*der = data;
		*derlen = len;
		return 0;
	}
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		return PCA_ERR_NOMEM;
	if ((r = pem_block_read(bio, labels, tofree, derlen)) != 0)
		goto out;
	/* BIO_pending: what PEM_read_bio left unread */
	if (!rest_is_blank(data, len, len - (size_t)BIO_pending(bio))) {
		r = PCA_ERR_MALFORMED;
		goto out;
	}
	*der = *tofree;
	r = 0;
 out:
	if (r != 0) {
		free(*tofree);
		*tofree = NULL;
		/* DER whose contents happen to hold "-----BEGIN " (a subject
		 * can): the DER parser decides */
		if (r == PCA_ERR_MALFORMED && data[0] == 0x30) {
			*der = data;
			*derlen = len;
			r = 0;
		}
	}
	BIO_free(bio);
	return r;
}

static X509_REQ *
csr_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_REQ *req;

	if (len > LONG_MAX)
		return NULL;
	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if (p != der + len) {		/* trailing bytes */
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

static X509 *
cert_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (len > LONG_MAX)
		return NULL;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if (p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int
x509_csr_parse(const uint8_t *data, size_t len, X509_REQ **out)
{
	const uint8_t *der;
	uint8_t *tofree = NULL;
	size_t derlen;
	int r;

	*out = NULL;
	if ((r = der_of_input(data, len, pem_csr_labels, &der, &derlen, &tofree)) != 0)
		return r;
	if ((*out = csr_from_der(der, derlen)) == NULL)
		r = PCA_ERR_MALFORMED;
	free(tofree);
	return r;
}

int
x509_cert_parse(const uint8_t *data, size_t len, X509 **out)
{
	const uint8_t *der;
	uint8_t *tofree = NULL;
	size_t derlen;
	int r;

	*out = NULL;
	if ((r = der_of_input(data, len, pem_cert_labels, &der, &derlen, &tofree)) != 0)
		return r;
	if ((*out = cert_from_der(der, derlen)) == NULL)
		r = PCA_ERR_MALFORMED;
	free(tofree);
	return r;
}

int
x509_chain_parse(const uint8_t *data, size_t len, STACK_OF(X509) **out)
{
	STACK_OF(X509) *sk = NULL;
	BIO *bio = NULL;
	uint8_t *der = NULL;
	size_t derlen, off;
	X509 *x = NULL;
	int r = PCA_ERR_MALFORMED;

	*out = NULL;
	if (len == 0 || len > INT_MAX)
		return PCA_ERR_MALFORMED;
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL ||
	    (sk = sk_X509_new_null()) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		off = len - (size_t)BIO_pending(bio);
		while (off < len && is_blank(data[off]))
			off++;
		if (off == len)
			break;
		/*
		 * PEM_read_bio skips any text before a BEGIN line; a chain
		 * must not hide anything there, so the next non-blank byte
		 * must open a certificate block.
		 */
		if (len - off < 27 || memcmp(data + off, "-----BEGIN CERTIFICATE-----", 27) != 0) {
			r = PCA_ERR_MALFORMED;
			goto out;
		}
		if ((r = pem_block_read(bio, pem_cert_labels, &der, &derlen)) != 0)
			goto out;
		if ((x = cert_from_der(der, derlen)) == NULL) {
			r = PCA_ERR_MALFORMED;
			goto out;
		}
		free(der);
		der = NULL;
		if (!sk_X509_push(sk, x)) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		x = NULL;
	}
	if (sk_X509_num(sk) == 0) {
		r = PCA_ERR_MALFORMED;
		goto out;
	}
	*out = sk;
	sk = NULL;
	r = 0;
 out:
	free(der);
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	BIO_free(bio);
	return r;
}

/* ---- client CSRs: struct x509_csr ----------------------------------------- */

/*
 * The grammar of PKCS#10 (RFC 2986) as OpenSSL's X509_REQ templates spell
 * it (crypto/x509/x_req.c, x_pubkey.c), with one difference: the
 * SubjectPublicKeyInfo stays an AlgorithmIdentifier and a BIT STRING. The
 * X509_PUBKEY type would hand its bytes to the decoder framework while
 * d2i runs; here the key is built from its parameters when it is needed.
 * Being the same templates, the same inputs parse (or do not).
 */
typedef struct {
	X509_ALGOR		*algor;
	ASN1_BIT_STRING		*public_key;
} CSR_SPKI;

ASN1_SEQUENCE(CSR_SPKI) = {
	ASN1_SIMPLE(CSR_SPKI, algor, X509_ALGOR),
	ASN1_SIMPLE(CSR_SPKI, public_key, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(CSR_SPKI)

/* enc keeps the CertificationRequestInfo as received: the signature is
 * checked over those bytes, as X509_REQ_verify() does. */
typedef struct {
	ASN1_ENCODING		 enc;
	ASN1_INTEGER		*version;
	X509_NAME		*subject;
	CSR_SPKI		*spki;
	STACK_OF(X509_ATTRIBUTE) *attributes;
} CSR_INFO;

ASN1_SEQUENCE_enc(CSR_INFO, enc, NULL) = {
	ASN1_SIMPLE(CSR_INFO, version, ASN1_INTEGER),
	ASN1_SIMPLE(CSR_INFO, subject, X509_NAME),
	ASN1_SIMPLE(CSR_INFO, spki, CSR_SPKI),
	/* OPTIONAL as in X509_REQ_INFO: some old tools omit an empty set */
	ASN1_IMP_SET_OF_OPT(CSR_INFO, attributes, X509_ATTRIBUTE, 0),
} static_ASN1_SEQUENCE_END_ref(CSR_INFO, CSR_INFO)

typedef struct {
	CSR_INFO		*info;
	X509_ALGOR		*sig_alg;
	ASN1_BIT_STRING		*signature;
} CSR_REQ;

ASN1_SEQUENCE(CSR_REQ) = {
	ASN1_SIMPLE(CSR_REQ, info, CSR_INFO),
	ASN1_SIMPLE(CSR_REQ, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(CSR_REQ, signature, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(CSR_REQ)

/* RSAPublicKey (RFC 8017 A.1.1); signs are checked by hand */
typedef struct {
	ASN1_INTEGER		*n;
	ASN1_INTEGER		*e;
} CSR_RSA_PUB;

ASN1_SEQUENCE(CSR_RSA_PUB) = {
	ASN1_SIMPLE(CSR_RSA_PUB, n, ASN1_INTEGER),
	ASN1_SIMPLE(CSR_RSA_PUB, e, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(CSR_RSA_PUB)

struct x509_csr {
	CSR_REQ		*req;
	EVP_PKEY	*pkey;		/* built by csr_key_build() */
	int		 key_done;	/* key_result and key_why are set */
	int		 key_result;
	char		 key_why[128];
};

/*
 * The curves a client key may use. All three have cofactor 1: every point
 * on them other than the identity has the group's prime order, so the
 * quick public key check (on the curve, not the identity, coordinates in
 * range) is the full check (ossl_ec_key_public_check adds only n*Q == O).
 * test_x509util.c checks the cofactors.
 */
static const int csr_ec_curves[] = {
	NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1,
};
#define CSR_NCURVES	(sizeof(csr_ec_curves) / sizeof(csr_ec_curves[0]))

/*
 * A key holding only the curve, per curve of csr_ec_curves, made once per
 * process: a client's key is a copy of it given the client's point
 * (EVP_PKEY_set1_encoded_public_key), which skips building the curve
 * (EVP_PKEY_fromdata of a group name costs ~3x as much). The templates are
 * only read (EVP_PKEY_dup), from any thread, and live until the process
 * exits. A template that could not be made leaves that curve on
 * EVP_PKEY_fromdata.
 */
static struct {
	pthread_once_t	 once;
	EVP_PKEY	*curve[CSR_NCURVES];
} gl_csr_curves = { PTHREAD_ONCE_INIT, { NULL } };

#define X509_DER_MAX_DEPTH	32	/* a CSR nests ~8 deep */

/*
 * Nonzero when der[0..len) is exactly a sequence of TLVs in DER's forms:
 * definite lengths in the fewest octets, and constructed encodings only
 * for SEQUENCE, SET and context or application tags (strings primitive),
 * recursively. OpenSSL's templates also take BER's indefinite and long
 * lengths and constructed strings; what the signer is handed is
 * re-encoded anyway, but a CSR has one spelling here, so that a signature
 * covers exactly one byte string a client could have meant.
 */
static int
der_forms_ok(const uint8_t *der, size_t len, int depth)
{
	size_t off = 0, n, hl;
	uint8_t tag;

	if (depth > X509_DER_MAX_DEPTH)
		return 0;
	while (off < len) {
		tag = der[off];
		/* end-of-contents belongs to indefinite lengths; high tag
		 * numbers appear nowhere in a CSR */
		if (tag == 0x00 || (tag & 0x1f) == 0x1f)
			return 0;
		if (len - off < 2)
			return 0;
		n = der[off + 1];
		hl = 2;
		if (n & 0x80) {
			size_t octets = n & 0x7f;

			/* 0x80 is BER's indefinite length; more than 4 octets
			 * is more than any input we take */
			if (octets == 0 || octets > 4 || len - off - 2 < octets ||
			    der[off + 2] == 0)		/* a leading zero octet */
				return 0;
			n = 0;
			for (size_t i = 0; i < octets; i++)
				n = (n << 8) | der[off + 2 + i];
			if (n < 0x80)			/* fits the short form */
				return 0;
			hl += octets;
		}
		if (n > len - off - hl)
			return 0;
		if (tag & 0x20) {			/* constructed */
			if ((tag & 0xc0) == 0 && tag != 0x30 && tag != 0x31)
				return 0;		/* a constructed string */
			if (!der_forms_ok(der + off + hl, n, depth + 1))
				return 0;
		}
		off += hl + n;
	}
	return 1;
}

int
x509_csr_load(const uint8_t *data, size_t len, struct x509_csr **out)
{
	struct x509_csr *csr = NULL;
	const uint8_t *der;
	const unsigned char *p;
	uint8_t *tofree = NULL;
	size_t derlen;
	int r;

	*out = NULL;
	if ((r = der_of_input(data, len, pem_csr_labels, &der, &derlen, &tofree)) != 0)
		return r;
	r = PCA_ERR_MALFORMED;
	if (derlen > LONG_MAX || !der_forms_ok(der, derlen, 0))
		goto out;
	if ((csr = calloc(1, sizeof(*csr))) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	p = der;
	csr->req = (CSR_REQ *)ASN1_item_d2i(NULL, &p, (long)derlen, ASN1_ITEM_rptr(CSR_REQ));
	if (csr->req == NULL || p != der + derlen)	/* or trailing bytes */
		goto out;
	*out = csr;
	csr = NULL;
	r = 0;
 out:
	x509_csr_free(csr);
	free(tofree);
	ERR_clear_error();
	return r;
}

void
x509_csr_free(struct x509_csr *csr)
{
	if (csr == NULL)
		return;
	ASN1_item_free((ASN1_VALUE *)csr->req, ASN1_ITEM_rptr(CSR_REQ));
	EVP_PKEY_free(csr->pkey);
	free(csr);
}

const X509_NAME *
x509_csr_subject(const struct x509_csr *csr)
{
	return csr->req->info->subject;
}

/* The content octets of a BIT STRING that must have no unused bits. */
static int
bits_octets(const ASN1_BIT_STRING *bs, const unsigned char **p, size_t *len)
{
	if (bs == NULL || ASN1_STRING_length(bs) <= 0 ||
	    ((bs->flags & ASN1_STRING_FLAG_BITS_LEFT) && (bs->flags & 0x07) != 0))
		return PCA_ERR_MALFORMED;
	*p = ASN1_STRING_get0_data(bs);
	*len = (size_t)ASN1_STRING_length(bs);
	return 0;
}

/* One EVP_PKEY of type from params (selection: EVP_PKEY_PUBLIC_KEY or
 * EVP_PKEY_KEY_PARAMETERS). */
static EVP_PKEY *
pkey_fromdata(const char *type, int selection, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static void
csr_curves_make(void)
{
	OSSL_PARAM params[2];

	for (size_t i = 0; i < CSR_NCURVES; i++) {
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
		    (char *)OBJ_nid2sn(csr_ec_curves[i]), 0);
		params[1] = OSSL_PARAM_construct_end();
		gl_csr_curves.curve[i] = pkey_fromdata("EC", EVP_PKEY_KEY_PARAMETERS, params);
	}
	ERR_clear_error();
}

/* The EC key on csr_ec_curves[curve] with the encoded point p; NULL when
 * the point does not decode or is not on the curve. */
static EVP_PKEY *
csr_ec_pkey(size_t curve, const unsigned char *p, size_t len)
{
	OSSL_PARAM params[3];
	EVP_PKEY *pkey;

	pthread_once(&gl_csr_curves.once, csr_curves_make);
	if (gl_csr_curves.curve[curve] != NULL) {
		/* the point is decoded and checked to be on the curve */
		if ((pkey = EVP_PKEY_dup(gl_csr_curves.curve[curve])) != NULL &&
		    EVP_PKEY_set1_encoded_public_key(pkey, p, len) != 1) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		return pkey;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    (char *)OBJ_nid2sn(csr_ec_curves[curve]), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    (void *)p, len);
	params[2] = OSSL_PARAM_construct_end();
	return pkey_fromdata("EC", EVP_PKEY_PUBLIC_KEY, params);
}

/* The RSA key of an rsaEncryption SubjectPublicKeyInfo, checked. */
static int
csr_key_rsa(const CSR_SPKI *spki, EVP_PKEY **out, char *why, size_t whylen)
{
	CSR_RSA_PUB *rsa = NULL;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	const unsigned char *p, *end;
	size_t len;
	int r = PCA_ERR_UNSUPPORTED, ptype, bits;

	/* RFC 3279 2.3.1: the parameters are NULL (absent is tolerated) */
	X509_ALGOR_get0(NULL, &ptype, NULL, spki->algor);
	if ((ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF) ||
	    bits_octets(spki->public_key, &p, &len) != 0 || len > LONG_MAX) {
		snprintf(why, whylen, "the CSR's RSA public key is malformed");
		goto out;
	}
	end = p + len;
	rsa = (CSR_RSA_PUB *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(CSR_RSA_PUB));
	if (rsa == NULL || p != end ||
	    ASN1_STRING_type(rsa->n) != V_ASN1_INTEGER ||
	    ASN1_STRING_type(rsa->e) != V_ASN1_INTEGER ||	/* not negative */
	    (n = ASN1_INTEGER_to_BN(rsa->n, NULL)) == NULL ||
	    (e = ASN1_INTEGER_to_BN(rsa->e, NULL)) == NULL) {
		snprintf(why, whylen, "the CSR's RSA public key is malformed");
		goto out;
	}
	bits = BN_num_bits(n);
	if (bits < X509_RSA_MIN_BITS || bits > X509_RSA_MAX_BITS) {
		snprintf(why, whylen, "RSA key of %d bits (%d..%d supported)", bits,
		    X509_RSA_MIN_BITS, X509_RSA_MAX_BITS);
		goto out;
	}
	if (!BN_is_odd(e) || BN_cmp(e, BN_value_one()) <= 0) {
		snprintf(why, whylen, "RSA public exponent must be odd and at least 3");
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	if ((*out = pkey_fromdata("RSA", EVP_PKEY_PUBLIC_KEY, params)) == NULL) {
		snprintf(why, whylen, "the CSR's public key type is not supported");
		goto out;
	}
	r = 0;
 out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	ASN1_item_free((ASN1_VALUE *)rsa, ASN1_ITEM_rptr(CSR_RSA_PUB));
	return r;
}

/* The EC key of an id-ecPublicKey SubjectPublicKeyInfo, checked. */
static int
csr_key_ec(const CSR_SPKI *spki, EVP_PKEY **out, char *why, size_t whylen)
{
	EVP_PKEY_CTX *ctx = NULL;
	const unsigned char *p;
	const void *pval;
	char oid[64];
	size_t len, i;
	int r = PCA_ERR_UNSUPPORTED, ptype, nid;

	/* RFC 5480 2.1.1: namedCurve only (no implicit or explicit curves) */
	X509_ALGOR_get0(NULL, &ptype, &pval, spki->algor);
	if (ptype != V_ASN1_OBJECT) {
		snprintf(why, whylen, "EC key without a named curve");
		goto out;
	}
	nid = OBJ_obj2nid(pval);
	for (i = 0; i < CSR_NCURVES; i++)
		if (nid == csr_ec_curves[i])
			break;
	if (i == CSR_NCURVES) {
		if (nid == NID_undef && OBJ_obj2txt(oid, sizeof(oid), pval, 1) <= 0)
			snprintf(oid, sizeof(oid), "?");
		snprintf(why, whylen, "EC curve %.32s not supported "
		    "(prime256v1, secp384r1, secp521r1)", nid != NID_undef ? OBJ_nid2sn(nid) : oid);
		goto out;
	}
	r = PCA_ERR_INVALID;
	if (bits_octets(spki->public_key, &p, &len) != 0) {
		snprintf(why, whylen, "EC public key is not a valid point");
		goto out;
	}
	if ((*out = csr_ec_pkey(i, p, len)) == NULL) {
		snprintf(why, whylen, "EC public key is not a valid point");
		goto out;
	}
	/* on the curve, not the identity: the full check on these curves */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	if (EVP_PKEY_public_check_quick(ctx) != 1) {
		snprintf(why, whylen, "EC public key is not a valid point");
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	if (r != 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	return r;
}

/* Build and check csr's key once; later calls repeat the first answer. */
static int
csr_key_build(struct x509_csr *csr)
{
	const CSR_SPKI *spki = csr->req->info->spki;
	const ASN1_OBJECT *alg;
	int nid;

	if (csr->key_done)
		return csr->key_result;
	X509_ALGOR_get0(&alg, NULL, NULL, spki->algor);
	switch ((nid = OBJ_obj2nid(alg))) {
	case NID_rsaEncryption:
		csr->key_result = csr_key_rsa(spki, &csr->pkey, csr->key_why,
		    sizeof(csr->key_why));
		break;
	case NID_X9_62_id_ecPublicKey:
		csr->key_result = csr_key_ec(spki, &csr->pkey, csr->key_why,
		    sizeof(csr->key_why));
		break;
	case NID_undef:
		snprintf(csr->key_why, sizeof(csr->key_why),
		    "the CSR's public key type is not supported");
		csr->key_result = PCA_ERR_UNSUPPORTED;
		break;
	default:
		snprintf(csr->key_why, sizeof(csr->key_why),
		    "key type %.32s not supported (RSA or EC)", OBJ_nid2sn(nid));
		csr->key_result = PCA_ERR_UNSUPPORTED;
		break;
	}
	ERR_clear_error();
	/* an answer about the key, not about memory, is final */
	csr->key_done = csr->key_result != PCA_ERR_NOMEM;
	return csr->key_result;
}

EVP_PKEY *
x509_csr_pkey(struct x509_csr *csr)
{
	return csr_key_build(csr) == 0 ? csr->pkey : NULL;
}

/*
 * The extensions of the extensionRequest attribute, found the way
 * X509_REQ_get_extensions() finds them (crypto/x509/x509_req.c): the first
 * attribute of the first type in X509_REQ_get_extension_nids(), its first
 * value, which must be a SEQUENCE. NULL when that value is not one; an
 * empty stack when there is no such attribute.
 */
static STACK_OF(X509_EXTENSION) *
csr_extensions(const struct x509_csr *csr)
{
	STACK_OF(X509_ATTRIBUTE) *attrs = csr->req->info->attributes;
	ASN1_TYPE *ext = NULL;
	const unsigned char *p;
	int idx, *pnid;

	for (pnid = X509_REQ_get_extension_nids(); pnid != NULL && *pnid != NID_undef; pnid++) {
		if ((idx = X509at_get_attr_by_NID(attrs, *pnid, -1)) == -1)
			continue;
		ext = X509_ATTRIBUTE_get0_type(X509at_get_attr(attrs, idx), 0);
		break;
	}
	if (ext == NULL)
		return sk_X509_EXTENSION_new_null();
	if (ext->type != V_ASN1_SEQUENCE)
		return NULL;
	p = ext->value.sequence->data;
	return (STACK_OF(X509_EXTENSION) *)ASN1_item_d2i(NULL, &p,
	    ext->value.sequence->length, ASN1_ITEM_rptr(X509_EXTENSIONS));
}

/* Nonzero when exts holds a subjectAltName. */
static int
exts_have_san(const STACK_OF(X509_EXTENSION) *exts)
{
	return exts != NULL && X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1) >= 0;
}

/*
 * The DER GeneralNames of the subjectAltName in exts (NULL: none),
 * decoded and re-encoded: the signer gets canonical DER, and a CSR with
 * two subjectAltName extensions (crit == -2) is refused.
 */
static int
exts_san_der(STACK_OF(X509_EXTENSION) *exts, uint8_t **out, size_t *len)
{
	GENERAL_NAMES *gens = NULL;
	unsigned char *der = NULL;
	int crit = -1, n, r = PCA_ERR_NOT_FOUND;

	if (exts == NULL)
		goto out;
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL) {
		r = crit == -1 ? PCA_ERR_NOT_FOUND : PCA_ERR_MALFORMED;
		goto out;
	}
	if (sk_GENERAL_NAME_num(gens) == 0) {
		r = PCA_ERR_MALFORMED;
		goto out;
	}
	if ((n = i2d_GENERAL_NAMES(gens, &der)) <= 0) {
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	r = dup_out(der, (size_t)n, out, len);
 out:
	OPENSSL_free(der);
	GENERAL_NAMES_free(gens);
	return r;
}

int
x509_csr_validate(struct x509_csr *csr, char *why, size_t whylen)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	int r;

	if (whylen > 0)
		why[0] = '\0';
	/* the key first: refusing a 1024-bit or 20000-bit key costs no
	 * signature verification */
	if ((r = csr_key_build(csr)) != 0) {
		snprintf(why, whylen, "%s", csr->key_why);
		goto out;
	}
	/* X509_REQ_verify() is ASN1_item_verify_ex() of X509_REQ_INFO;
	 * CSR_INFO re-encodes to the bytes received, as X509_REQ_INFO does */
	if (ASN1_item_verify_ex(ASN1_ITEM_rptr(CSR_INFO), csr->req->sig_alg,
	    csr->req->signature, csr->req->info, NULL, csr->pkey, NULL, NULL) != 1) {
		snprintf(why, whylen, "the CSR's signature does not verify");
		r = PCA_ERR_BAD_SIGNATURE;
		goto out;
	}
	if (X509_NAME_entry_count(csr->req->info->subject) == 0) {
		exts = csr_extensions(csr);
		if (!exts_have_san(exts)) {
			snprintf(why, whylen, "the CSR has neither a subject nor a subjectAltName");
			r = PCA_ERR_INVALID;
			goto out;
		}
	}
	r = 0;
 out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
	return r;
}

int
x509_csr_part_der(struct x509_csr *csr, enum x509_csr_part part, uint8_t **out, size_t *len)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *der = NULL;
	int n, r = PCA_ERR_CRYPTO;

	*out = NULL;
	*len = 0;
	switch (part) {
	case X509_CSR_SUBJECT:
		n = i2d_X509_NAME(csr->req->info->subject, &der);
		break;
	case X509_CSR_SPKI:
		n = ASN1_item_i2d((ASN1_VALUE *)csr->req->info->spki, &der,
		    ASN1_ITEM_rptr(CSR_SPKI));
		break;
	case X509_CSR_SAN:
		exts = csr_extensions(csr);
		r = exts_san_der(exts, out, len);
		goto out;
	default:
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	if (n > 0)
		r = dup_out(der, (size_t)n, out, len);
 out:
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
	return r;
}

/* ---- client CSRs as OpenSSL objects --------------------------------------- */

int
x509_csr_check(X509_REQ *req, char *why, size_t whylen)
{
	struct x509_csr *csr = NULL;
	unsigned char *der = NULL;
	int n, r;

	if (whylen > 0)
		why[0] = '\0';
	if ((n = i2d_X509_REQ(req, &der)) <= 0) {
		ERR_clear_error();
		snprintf(why, whylen, "the CSR does not encode");
		return PCA_ERR_MALFORMED;
	}
	if ((r = x509_csr_load(der, (size_t)n, &csr)) != 0)
		snprintf(why, whylen, "the CSR does not encode");
	else
		r = x509_csr_validate(csr, why, whylen);
	x509_csr_free(csr);
	OPENSSL_free(der);
	return r;
}

int
x509_csr_subject_der(X509_REQ *req, uint8_t **out, size_t *len)
{
	unsigned char *der = NULL;
	int n, r;

	*out = NULL;
	*len = 0;
	if ((n = i2d_X509_NAME(X509_REQ_get_subject_name(req), &der)) <= 0) {
		ERR_clear_error();
		return PCA_ERR_CRYPTO;
	}
	r = dup_out(der, (size_t)n, out, len);
	OPENSSL_free(der);
	return r;
}

int
x509_csr_spki_der(X509_REQ *req, uint8_t **out, size_t *len)
{
	unsigned char *der = NULL;
	int n, r;

	*out = NULL;
	*len = 0;
	if ((n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &der)) <= 0) {
		ERR_clear_error();
		return PCA_ERR_CRYPTO;
	}
	r = dup_out(der, (size_t)n, out, len);
	OPENSSL_free(der);
	return r;
}

int
x509_csr_san_der(X509_REQ *req, uint8_t **out, size_t *len)
{
	STACK_OF(X509_EXTENSION) *exts;
	int r;

	*out = NULL;
	*len = 0;
	exts = X509_REQ_get_extensions(req);
	r = exts_san_der(exts, out, len);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ERR_clear_error();
	return r;
}

/* PEM text of der under label, after checking der parses as that type. */
static int
der_to_pem(const char *label, const uint8_t *der, size_t len, char **pem)
{
	BIO *bio = NULL;
	char *mem;
	long n;
	int r = PCA_ERR_CRYPTO;

	*pem = NULL;
	if (len == 0 || len > LONG_MAX)
		return PCA_ERR_MALFORMED;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return PCA_ERR_NOMEM;
	if (PEM_write_bio(bio, label, "", der, (long)len) <= 0)
		goto out;
	if ((n = BIO_get_mem_data(bio, &mem)) <= 0)
		goto out;
	if ((*pem = malloc((size_t)n + 1)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	memcpy(*pem, mem, (size_t)n);
	(*pem)[n] = '\0';
	r = 0;
 out:
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

/*
 * One DER element at *p within end: its tag, class, whether constructed,
 * and its contents [*c, *c + *clen); *p moves past it. 0, or -1 for
 * anything but one definite-length element.
 */
static int
der_next(const unsigned char **p, const unsigned char *end, int *tag, int *cls, int *cons,
    const unsigned char **c, long *clen)
{
	const unsigned char *q = *p;
	int f;

	if (q >= end)
		return -1;
	f = ASN1_get_object(&q, clen, tag, cls, end - q);
	if ((f & 0x80) || f == (V_ASN1_CONSTRUCTED | 1) || *clen > end - q)
		return -1;	/* error, indefinite length, or past the end */
	*cons = (f & V_ASN1_CONSTRUCTED) != 0;
	*c = q;
	*p = q + *clen;
	return 0;
}

/*
 * The shape of a signed X.509 structure, without decoding it (OpenSSL 3's
 * d2i decodes the public key through a decoder context, which costs more
 * than the rest of an issuance): SEQUENCE { SEQUENCE tbs, SEQUENCE
 * algorithm, BIT STRING } filling der exactly, where tbs is a certificate's
 * ([0] version or INTEGER serial first, at least six members) or a
 * request's (INTEGER, SEQUENCE subject, SEQUENCE key, [0] attributes).
 */
static int
der_signed_shape(const uint8_t *der, size_t len, int want_cert)
{
	const unsigned char *p = der, *end, *c, *tbs, *tend;
	long clen, tlen;
	int tag, cls, cons, n = 0, first_tag = -1, first_cls = -1, last_tag = -1, last_cls = -1;

	if (len == 0 || len > LONG_MAX)
		return 0;
	end = der + len;
	if (der_next(&p, end, &tag, &cls, &cons, &c, &clen) != 0 || p != end ||
	    tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL || !cons)
		return 0;
	p = c;
	end = c + clen;
	if (der_next(&p, end, &tag, &cls, &cons, &tbs, &tlen) != 0 || tag != V_ASN1_SEQUENCE ||
	    !cons || der_next(&p, end, &tag, &cls, &cons, &c, &clen) != 0 ||
	    tag != V_ASN1_SEQUENCE || !cons ||
	    der_next(&p, end, &tag, &cls, &cons, &c, &clen) != 0 || tag != V_ASN1_BIT_STRING ||
	    cons || p != end)
		return 0;
	p = tbs;
	tend = tbs + tlen;
	while (p < tend) {
		if (der_next(&p, tend, &tag, &cls, &cons, &c, &clen) != 0)
			return 0;
		if (n++ == 0) {
			first_tag = tag;
			first_cls = cls;
		}
		last_tag = tag;
		last_cls = cls;
	}
	if (want_cert)
		return n >= 6 && ((first_cls == V_ASN1_CONTEXT_SPECIFIC && first_tag == 0) ||
		    (first_cls == V_ASN1_UNIVERSAL && first_tag == V_ASN1_INTEGER));
	return n == 4 && first_cls == V_ASN1_UNIVERSAL && first_tag == V_ASN1_INTEGER &&
	    last_cls == V_ASN1_CONTEXT_SPECIFIC && last_tag == 0;
}

int
x509_cert_der_to_pem(const uint8_t *der, size_t len, char **pem)
{
	*pem = NULL;
	if (!der_signed_shape(der, len, 1))
		return PCA_ERR_MALFORMED;
	return der_to_pem(PEM_STRING_X509, der, len, pem);
}

int
x509_csr_der_to_pem(const uint8_t *der, size_t len, char **pem)
{
	*pem = NULL;
	if (!der_signed_shape(der, len, 0))
		return PCA_ERR_MALFORMED;
	return der_to_pem(PEM_STRING_X509_REQ, der, len, pem);
}

int
x509_cert_to_der(X509 *x, uint8_t **der, size_t *len)
{
	unsigned char *p = NULL;
	int n, r;

	*der = NULL;
	*len = 0;
	if ((n = i2d_X509(x, &p)) <= 0) {
		ERR_clear_error();
		return PCA_ERR_CRYPTO;
	}
	r = dup_out(p, (size_t)n, der, len);
	OPENSSL_free(p);
	return r;
}

int
x509_pkey_to_spki(EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
	unsigned char *p = NULL;
	int n, r;

	*der = NULL;
	*len = 0;
	if ((n = i2d_PUBKEY(pkey, &p)) <= 0) {
		ERR_clear_error();
		return PCA_ERR_CRYPTO;
	}
	r = dup_out(p, (size_t)n, der, len);
	OPENSSL_free(p);
	return r;
}

int
x509_spki_to_pkey(const uint8_t *der, size_t len, EVP_PKEY **out)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;

	*out = NULL;
	if (len == 0 || len > LONG_MAX)
		return PCA_ERR_MALFORMED;
	if ((pkey = d2i_PUBKEY(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return PCA_ERR_MALFORMED;
	}
	if (p != der + len) {
		EVP_PKEY_free(pkey);
		return PCA_ERR_MALFORMED;
	}
	*out = pkey;
	return 0;
}

int
x509_pkey_equal(EVP_PKEY *a, EVP_PKEY *b)
{
	int eq;

	if (a == NULL || b == NULL)
		return 0;
	eq = EVP_PKEY_eq(a, b) == 1;
	ERR_clear_error();
	return eq;
}

#define X509_OID_TEXT_MAX	128

int
x509_oid_parse(const char *s, ASN1_OBJECT **out)
{
	ASN1_OBJECT *obj = NULL;
	char back[X509_OID_TEXT_MAX + 1];
	size_t len, arcs = 0;
	const char *arc;

	*out = NULL;
	if (s == NULL || (len = strlen(s)) == 0 || len > X509_OID_TEXT_MAX)
		return PCA_ERR_INVALID;
	for (const char *p = s; ; p++) {
		/* p sits at the start of an arc */
		arc = p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == arc || (p - arc > 1 && *arc == '0'))
			return PCA_ERR_INVALID;
		if (arcs == 0 && (p - arc != 1 || *arc > '2'))
			return PCA_ERR_INVALID;
		if (arcs == 1 && s[0] != '2' && (p - arc > 2 || atoi(arc) >= 40))
			return PCA_ERR_INVALID;
		arcs++;
		if (*p == '\0')
			break;
		if (*p != '.')
			return PCA_ERR_INVALID;
	}
	if (arcs < 2)
		return PCA_ERR_INVALID;
	/* no_name = 1: a dotted number only, never a short or long name */
	if ((obj = OBJ_txt2obj(s, 1)) == NULL) {
		ERR_clear_error();
		return PCA_ERR_INVALID;
	}
	/* what OpenSSL understood must print back as what was written */
	if (OBJ_obj2txt(back, sizeof(back), obj, 1) <= 0 || strcmp(back, s) != 0) {
		ASN1_OBJECT_free(obj);
		ERR_clear_error();
		return PCA_ERR_INVALID;
	}
	*out = obj;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): no time_t, no TZ, any year. */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
x509_time_to_epoch(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	*out = 0;
	if (t == NULL || ASN1_TIME_check(t) != 1 || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return PCA_ERR_INVALID;
	}
	*out = days_from_civil((int64_t)tm.tm_year + 1900, (int64_t)tm.tm_mon + 1,
	    tm.tm_mday) * 86400 + (int64_t)tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return 0;
}

int
x509_cert_validity(X509 *x, int64_t *not_before, int64_t *not_after)
{
	int r;

	*not_before = *not_after = 0;
	if ((r = x509_time_to_epoch(X509_get0_notBefore(x), not_before)) != 0 ||
	    (r = x509_time_to_epoch(X509_get0_notAfter(x), not_after)) != 0)
		return r;
	return 0;
}

void
hex_encode(const uint8_t *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void
x509_serial_hex(const uint8_t *serial, size_t len, char *out)
{
	if (len > X509_SERIAL_MAX)	/* never overrun the caller's 41 bytes */
		len = X509_SERIAL_MAX;
	hex_encode(serial, len, out);
}

void
x509_serial_hex_colon(const uint8_t *serial, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	char *p = out;

	if (len > X509_SERIAL_MAX)
		len = X509_SERIAL_MAX;
	for (size_t i = 0; i < len; i++) {
		if (i > 0)
			*p++ = ':';
		*p++ = digits[serial[i] >> 4];
		*p++ = digits[serial[i] & 0xf];
	}
	*p = '\0';
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* out holds X509_SERIAL_MAX octets. Either "0a1b2c" or "0a:1b:2c", never a
 * mix, always two digits per octet. */
int
x509_serial_parse(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = 0, slen;
	int colons;

	*len = 0;
	if (hex == NULL || (slen = strlen(hex)) == 0)
		return PCA_ERR_INVALID;
	colons = strchr(hex, ':') != NULL;
	for (size_t i = 0; i < slen;) {
		int hi, lo;

		if (n == X509_SERIAL_MAX)
			return PCA_ERR_INVALID;
		if (i + 1 >= slen || (hi = hex_digit(hex[i])) < 0 ||
		    (lo = hex_digit(hex[i + 1])) < 0)
			return PCA_ERR_INVALID;
		out[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
		if (i < slen) {
			if (colons) {
				if (hex[i] != ':' || i + 1 == slen)
					return PCA_ERR_INVALID;
				i++;
			}
		}
	}
	*len = n;
	return 0;
}

/*
 * The serial as its DER content octets, which is what SignCertRequest.serial
 * carries: a positive serial whose top bit is set keeps its leading 00, so
 * the text of a certificate's serial equals the text of the serial that was
 * asked for.
 */
int
x509_cert_serial_hex(X509 *x, char *out)
{
	const ASN1_INTEGER *ai = X509_get0_serialNumber(x);
	const unsigned char *d;
	uint8_t buf[X509_SERIAL_MAX];
	size_t n = 0;
	int len;

	out[0] = '\0';
	if (ai == NULL || ASN1_STRING_type(ai) != V_ASN1_INTEGER)
		return PCA_ERR_INVALID;		/* negative serials are not ours */
	d = ASN1_STRING_get0_data(ai);
	len = ASN1_STRING_length(ai);
	while (len > 1 && d[0] == 0) {		/* magnitude, minimal */
		d++;
		len--;
	}
	if (len <= 0) {
		buf[n++] = 0;
	} else {
		if (d[0] & 0x80)
			buf[n++] = 0;
		if ((size_t)len > sizeof(buf) - n)
			return PCA_ERR_INVALID;
		memcpy(buf + n, d, (size_t)len);
		n += (size_t)len;
	}
	hex_encode(buf, n, out);
	return 0;
}

char *
x509_name_oneline(const X509_NAME *name)
{
	BIO *bio;
	char *mem, *s = NULL;
	long n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	/* RFC 2253 escaping of specials and control characters, but UTF-8
	 * kept readable rather than \XX-escaped */
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
		goto out;
	n = BIO_get_mem_data(bio, &mem);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		goto out;
	if (n > 0)
		memcpy(s, mem, (size_t)n);
	s[n] = '\0';
 out:
	BIO_free(bio);
	ERR_clear_error();
	return s;
}

int
x509_verify_chain(X509 *leaf, STACK_OF(X509) *chain, X509 *trust_anchor,
    int64_t t, char *why, size_t whylen)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	int r = PCA_ERR_NOMEM, err, depth;

	if (whylen > 0)
		why[0] = '\0';
	if ((store = X509_STORE_new()) == NULL || (ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	if (!X509_STORE_add_cert(store, trust_anchor) ||
	    !X509_STORE_CTX_init(ctx, store, leaf, chain)) {
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	/*
	 * The caller names the one trusted certificate; it need not be
	 * self-signed (a subordinate CA whose root lives elsewhere), hence
	 * PARTIAL_CHAIN. The service clock, not the wall clock, decides
	 * validity, so tests that move time see the same answers.
	 */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT | X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_time(param, (time_t)t);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		depth = X509_STORE_CTX_get_error_depth(ctx);
		snprintf(why, whylen, "certificate at depth %d: %s", depth,
		    X509_verify_cert_error_string(err));
		r = PCA_ERR_BAD_SIGNATURE;
		goto out;
	}
	r = 0;
 out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return r;
}

char *
b64_encode(const uint8_t *data, size_t len)
{
	char *out;
	size_t olen;

	if (len > (size_t)INT_MAX / 4 * 3 - 3)
		return NULL;
	olen = 4 * ((len + 2) / 3);
	if ((out = malloc(olen + 1)) == NULL)
		return NULL;
	if (len == 0) {
		out[0] = '\0';
		return out;
	}
	if (EVP_EncodeBlock((unsigned char *)out, data, (int)len) != (int)olen) {
		free(out);
		return NULL;
	}
	out[olen] = '\0';
	return out;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * EVP_DecodeBlock skips blank space at both ends, accepts '=' anywhere it
 * likes and counts padding as output bytes, so the input is checked here
 * first: length a multiple of 4, alphabet only, at most two '=' and only at
 * the end, and the unused bits before the padding zero (canonical, so one
 * value has one encoding).
 */
int
b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	size_t pad = 0, n;
	int v;

	*out = NULL;
	*outlen = 0;
	if (slen % 4 != 0 || slen > INT_MAX)
		return PCA_ERR_MALFORMED;
	if (slen > 0 && s[slen - 1] == '=')
		pad++;
	if (slen > 1 && s[slen - 2] == '=')
		pad++;
	for (size_t i = 0; i < slen - pad; i++)
		if (b64_value(s[i]) < 0)
			return PCA_ERR_MALFORMED;
	if (pad > 0) {
		v = b64_value(s[slen - pad - 1]);
		if ((pad == 1 && (v & 0x3) != 0) || (pad == 2 && (v & 0xf) != 0))
			return PCA_ERR_MALFORMED;
	}
	n = slen / 4 * 3;
	if ((buf = malloc(n > 0 ? n : 1)) == NULL)
		return PCA_ERR_NOMEM;
	if (slen > 0 && EVP_DecodeBlock(buf, (const unsigned char *)s, (int)slen) != (int)n) {
		free(buf);
		return PCA_ERR_MALFORMED;
	}
	*out = buf;
	*outlen = n - pad;
	return 0;
}
