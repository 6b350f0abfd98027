/*
 * tbs.c - build the TBSCertificate / CertificationRequestInfo the signer
 * signs, from request fields only, and assemble + verify the result.
 *
 * Every field from the frontend is decoded here with its whole buffer used
 * (trailing bytes refused), so what gets signed is what this file built.
 * The subject key goes in as the requested bytes (spki.h says when that
 * needs no OpenSSL decode), after a check that OpenSSL would write the
 * same bytes for it. tbs_assemble() then verifies the signature over
 * exactly the signed bytes, once, and checks the shape of what it
 * assembled; a CSR is also parsed back and must re-encode to the same
 * CertificationRequestInfo.
 */
#include "tbs.h"
#include "der.h"
#include "log.h"
#include "spki.h"
#include "x509util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#define TBS_SERIAL_MIN		8		/* octets; >= 64 bits of entropy upstream */
#define TBS_URI_MAX		2048
#define TBS_SIG_MAX		4096		/* RSA-16384 is 2048 octets */
#define TBS_DER_MAX		(16 * 1024 * 1024)
#define TBS_KU_ALL		0x1ffu		/* the nine bits of signer.proto */
#define TBS_TIME_MIN		(-631152000LL)	/* 1950-01-01T00:00:00Z */
#define TBS_TIME_MAX		253402300799LL	/* 9999-12-31T23:59:59Z */

/* The signature algorithms the signer speaks. RFC 4055 wants explicit NULL
 * parameters for RSA PKCS#1 v1.5; RFC 5758 wants them absent for ECDSA. */
static const struct tbs_alg {
	Pca__Signer__SigAlg	 sig_alg;
	int			 nid;
	int			 md_nid;
	int			 key_type;
	int			 ptype;
} tbs_algs[] = {
	{ PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA,   NID_sha256WithRSAEncryption, NID_sha256, EVP_PKEY_RSA, V_ASN1_NULL },
	{ PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_RSA,   NID_sha384WithRSAEncryption, NID_sha384, EVP_PKEY_RSA, V_ASN1_NULL },
	{ PCA__SIGNER__SIG_ALG__SIG_ALG_SHA512_RSA,   NID_sha512WithRSAEncryption, NID_sha512, EVP_PKEY_RSA, V_ASN1_NULL },
	{ PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA, NID_ecdsa_with_SHA256,       NID_sha256, EVP_PKEY_EC,  V_ASN1_UNDEF },
	{ PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_ECDSA, NID_ecdsa_with_SHA384,       NID_sha384, EVP_PKEY_EC,  V_ASN1_UNDEF },
	{ PCA__SIGNER__SIG_ALG__SIG_ALG_SHA512_ECDSA, NID_ecdsa_with_SHA512,       NID_sha512, EVP_PKEY_EC,  V_ASN1_UNDEF },
};
#define TBS_NALGS	(sizeof(tbs_algs) / sizeof(tbs_algs[0]))

/* The algorithm entry for sig_alg, refused unless it fits pub's key type
 * (an RSA-PSS key, say, is neither "RSA" nor "EC" here). */
static int
tbs_alg_find(Pca__Signer__SigAlg sig_alg, EVP_PKEY *pub, const struct tbs_alg **out)
{
	*out = NULL;
	for (size_t i = 0; i < TBS_NALGS; i++) {
		if (tbs_algs[i].sig_alg != sig_alg)
			continue;
		if (pub == NULL || EVP_PKEY_get_base_id(pub) != tbs_algs[i].key_type)
			return PCA_ERR_UNSUPPORTED;
		*out = &tbs_algs[i];
		return 0;
	}
	return PCA_ERR_UNSUPPORTED;
}

static int
tbs_algor_set(X509_ALGOR *algor, const struct tbs_alg *a)
{
	/* OBJ_nid2obj gives a static object: set0 may own it, freeing is a no-op */
	return X509_ALGOR_set0(algor, OBJ_nid2obj(a->nid), a->ptype, NULL) == 1 ? 0 : PCA_ERR_CRYPTO;
}

static int
tbs_alg_der(const struct tbs_alg *a, uint8_t **der, size_t *len)
{
	X509_ALGOR *algor = NULL;
	unsigned char *p = NULL;
	int n, r = PCA_ERR_CRYPTO;

	*der = NULL;
	*len = 0;
	if ((algor = X509_ALGOR_new()) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	if ((r = tbs_algor_set(algor, a)) != 0)
		goto out;
	if ((n = i2d_X509_ALGOR(algor, &p)) <= 0) {
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	if ((*der = malloc((size_t)n)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	memcpy(*der, p, (size_t)n);
	*len = (size_t)n;
	r = 0;
 out:
	OPENSSL_free(p);
	X509_ALGOR_free(algor);
	return r;
}

int
tbs_sig_alg(Pca__Signer__SigAlg sig_alg, EVP_PKEY *pub,
    uint8_t **alg_der, size_t *alg_len, int *md_nid)
{
	const struct tbs_alg *a;
	int r;

	*alg_der = NULL;
	*alg_len = 0;
	*md_nid = NID_undef;
	if ((r = tbs_alg_find(sig_alg, pub, &a)) != 0)
		return r;
	if ((r = tbs_alg_der(a, alg_der, alg_len)) != 0)
		return r;
	*md_nid = a->md_nid;
	return 0;
}

/*
 * The serial is the DER INTEGER content octets: positive (top bit clear),
 * minimal (a leading 00 only before a byte with its top bit set), 8..20
 * octets. Refusing rather than normalizing keeps the serial in the
 * certificate byte-identical to the one the frontend reserved.
 */
static int
tbs_serial_make(const ProtobufCBinaryData *s, ASN1_INTEGER **out)
{
	BIGNUM *bn = NULL;

	*out = NULL;
	if (s->len < TBS_SERIAL_MIN || s->len > X509_SERIAL_MAX || s->data == NULL)
		return PCA_ERR_INVALID;
	if ((s->data[0] & 0x80) != 0 || (s->data[0] == 0 && (s->data[1] & 0x80) == 0))
		return PCA_ERR_INVALID;
	if ((bn = BN_bin2bn(s->data, (int)s->len, NULL)) == NULL)
		return PCA_ERR_NOMEM;
	*out = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return *out != NULL ? 0 : PCA_ERR_NOMEM;
}

/*
 * A Name from DER, every byte used, rebuilt entry by entry. d2i_X509_NAME
 * keeps the input bytes and i2d gives them back verbatim, so a subject
 * taken from a client's CSR in BER (long-form lengths, unsorted SET) would
 * land in the certificate as is; the rebuilt name is encoded afresh, in DER.
 */
static int
tbs_name_decode(const ProtobufCBinaryData *b, X509_NAME **out)
{
	const unsigned char *p = b->data;
	X509_NAME *in = NULL, *name = NULL;
	int r = PCA_ERR_INVALID, prev_set = -1;

	*out = NULL;
	if (b->len == 0 || b->len > LONG_MAX || b->data == NULL)
		goto out;
	if ((in = d2i_X509_NAME(NULL, &p, (long)b->len)) == NULL ||
	    p != b->data + b->len)
		goto out;
	if ((name = X509_NAME_new()) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < X509_NAME_entry_count(in); i++) {
		const X509_NAME_ENTRY *ne = X509_NAME_get_entry(in, i);
		int set = X509_NAME_ENTRY_set(ne);

		/* -1: into the RDN just added (multi-valued); 0: a new RDN */
		if (!X509_NAME_add_entry(name, ne, -1, i > 0 && set == prev_set ? -1 : 0)) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		prev_set = set;
	}
	*out = name;
	name = NULL;
	r = 0;
 out:
	X509_NAME_free(in);
	X509_NAME_free(name);
	ERR_clear_error();
	return r;
}

/* UTCTime for 1950..2049 and GeneralizedTime from 2050 (RFC 5280
 * 4.1.2.5): ASN1_TIME_set picks exactly that. */
static int
tbs_time_make(int64_t t, ASN1_TIME **out)
{
	*out = NULL;
	if (t < TBS_TIME_MIN || t > TBS_TIME_MAX)
		return PCA_ERR_INVALID;
	if ((*out = ASN1_TIME_set(NULL, (time_t)t)) == NULL)
		return PCA_ERR_CRYPTO;
	return 0;
}

/* A URI for CRL distribution points and OCSP: printable ASCII without
 * spaces, a scheme ("http:"), bounded length. */
static int
tbs_uri_check(const char *uri)
{
	size_t len, i;

	if (uri == NULL || (len = strlen(uri)) == 0 || len > TBS_URI_MAX)
		return PCA_ERR_INVALID;
	for (i = 0; i < len; i++)
		if ((unsigned char)uri[i] <= 0x20 || (unsigned char)uri[i] >= 0x7f)
			return PCA_ERR_INVALID;
	if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
		return PCA_ERR_INVALID;
	for (i = 1; i < len && uri[i] != ':'; i++) {
		char c = uri[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
			return PCA_ERR_INVALID;
	}
	return i < len - 1 ? 0 : PCA_ERR_INVALID;	/* a ':' and something after it */
}

static int
tbs_uri_name(const char *uri, GENERAL_NAME **out)
{
	ASN1_IA5STRING *ia5 = NULL;
	GENERAL_NAME *gn = NULL;
	int r;

	*out = NULL;
	if ((r = tbs_uri_check(uri)) != 0)
		return r;
	if ((ia5 = ASN1_IA5STRING_new()) == NULL || (gn = GENERAL_NAME_new()) == NULL ||
	    ASN1_STRING_set(ia5, uri, (int)strlen(uri)) != 1) {
		ASN1_IA5STRING_free(ia5);
		GENERAL_NAME_free(gn);
		return PCA_ERR_NOMEM;
	}
	GENERAL_NAME_set0_value(gn, GEN_URI, ia5);
	*out = gn;
	return 0;
}

/* X509_add1_ext_i2d with X509V3_ADD_DEFAULT refuses a second extension of
 * the same type, which is what RFC 5280 4.2 requires. */
static int
tbs_ext_add(X509 *x, int nid, void *value, int crit)
{
	return X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_DEFAULT) == 1 ? 0 : PCA_ERR_CRYPTO;
}

static int
tbs_ext_basic_constraints(X509 *x, const Pca__Signer__SignCertRequest *req)
{
	BASIC_CONSTRAINTS *bc = NULL;
	int r = PCA_ERR_INVALID;

	/* a pathLenConstraint means nothing without cA (RFC 5280 4.2.1.9) */
	if (req->has_path_len && (!req->ca || req->path_len < 0))
		goto out;
	if ((bc = BASIC_CONSTRAINTS_new()) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	bc->ca = req->ca ? 0xff : 0;
	if (req->has_path_len) {
		if ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
		    ASN1_INTEGER_set(bc->pathlen, req->path_len) != 1) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
	}
	r = tbs_ext_add(x, NID_basic_constraints, bc, req->basic_constraints_critical);
 out:
	BASIC_CONSTRAINTS_free(bc);
	return r;
}

/* keyUsage from the signer.proto bitmask: bit i of the mask is bit i of
 * the KeyUsage BIT STRING (digitalSignature = 0 ... decipherOnly = 8). */
static int
tbs_key_usage_make(uint32_t mask, ASN1_BIT_STRING **out)
{
	ASN1_BIT_STRING *ku;

	*out = NULL;
	if (mask == 0 || (mask & ~TBS_KU_ALL) != 0)
		return PCA_ERR_INVALID;
	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		return PCA_ERR_NOMEM;
	for (int i = 0; i < 9; i++) {
		if ((mask & (1u << i)) != 0 && ASN1_BIT_STRING_set_bit(ku, i, 1) != 1) {
			ASN1_BIT_STRING_free(ku);
			return PCA_ERR_NOMEM;
		}
	}
	*out = ku;
	return 0;
}

static int
tbs_ext_key_usage(X509 *x, const Pca__Signer__SignCertRequest *req)
{
	ASN1_BIT_STRING *ku = NULL;
	int r;

	if (!req->has_key_usage)
		return 0;
	if ((r = tbs_key_usage_make(req->key_usage, &ku)) != 0)
		return r;
	r = tbs_ext_add(x, NID_key_usage, ku,
	    req->has_key_usage_critical && req->key_usage_critical);
	ASN1_BIT_STRING_free(ku);
	return r;
}

static int
tbs_ext_eku(X509 *x, const Pca__Signer__SignCertRequest *req)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	ASN1_OBJECT *obj = NULL;
	int r = PCA_ERR_NOMEM;

	if (req->n_extended_key_usage == 0)
		return 0;
	if ((eku = sk_ASN1_OBJECT_new_null()) == NULL)
		goto out;
	for (size_t i = 0; i < req->n_extended_key_usage; i++) {
		if ((r = x509_oid_parse(req->extended_key_usage[i], &obj)) != 0)
			goto out;
		for (int j = 0; j < sk_ASN1_OBJECT_num(eku); j++) {
			if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, j), obj) == 0) {
				r = PCA_ERR_INVALID;	/* the same purpose twice */
				goto out;
			}
		}
		if (!sk_ASN1_OBJECT_push(eku, obj)) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		obj = NULL;
	}
	r = tbs_ext_add(x, NID_ext_key_usage, eku,
	    req->has_extended_key_usage_critical && req->extended_key_usage_critical);
 out:
	ASN1_OBJECT_free(obj);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return r;
}

/* RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING
 * value (without tag, length and unused-bits octet). */
static int
tbs_key_id(X509 *x, ASN1_OCTET_STRING **out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	ASN1_OCTET_STRING *id;

	*out = NULL;
	if (X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) != 1)
		return PCA_ERR_CRYPTO;
	if ((id = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(id, md, (int)mdlen) != 1) {
		ASN1_OCTET_STRING_free(id);
		return PCA_ERR_NOMEM;
	}
	*out = id;
	return 0;
}

static int
tbs_ext_key_ids(X509 *x, const Pca__Signer__SignCertRequest *req, X509 *issuer)
{
	ASN1_OCTET_STRING *ski = NULL, *issuer_ski = NULL;
	AUTHORITY_KEYID *akid = NULL;
	const ASN1_OCTET_STRING *ikid;
	int r;

	if ((r = tbs_key_id(x, &ski)) != 0 ||
	    (r = tbs_ext_add(x, NID_subject_key_identifier, ski, 0)) != 0)
		goto out;
	if (!req->authority_key_id)
		goto out;
	if (issuer == NULL) {
		ikid = ski;
	} else if ((ikid = X509_get0_subject_key_id(issuer)) == NULL) {
		/* an issuer without SKI: the same method 1 over its key, which
		 * is what it would have carried had it been built here */
		if ((r = tbs_key_id(issuer, &issuer_ski)) != 0)
			goto out;
		ikid = issuer_ski;
	}
	if ((akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ikid)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	r = tbs_ext_add(x, NID_authority_key_identifier, akid, 0);
 out:
	AUTHORITY_KEYID_free(akid);
	ASN1_OCTET_STRING_free(ski);
	ASN1_OCTET_STRING_free(issuer_ski);
	ERR_clear_error();
	return r;
}

/* subjectAltName: decoded with every byte used, then re-encoded by OpenSSL.
 * It is critical when the subject is empty (RFC 5280 4.2.1.6). */
static int
tbs_ext_san(X509 *x, const Pca__Signer__SignCertRequest *req, int subject_empty)
{
	GENERAL_NAMES *gens = NULL;
	const unsigned char *p;
	int r = PCA_ERR_INVALID;

	if (!req->has_subject_alt_names)
		return subject_empty ? PCA_ERR_INVALID : 0;
	p = req->subject_alt_names.data;
	if (req->subject_alt_names.len == 0 || req->subject_alt_names.len > LONG_MAX ||
	    p == NULL)
		goto out;
	if ((gens = d2i_GENERAL_NAMES(NULL, &p, (long)req->subject_alt_names.len)) == NULL ||
	    p != req->subject_alt_names.data + req->subject_alt_names.len ||
	    sk_GENERAL_NAME_num(gens) == 0)
		goto out;
	r = tbs_ext_add(x, NID_subject_alt_name, gens, subject_empty);
 out:
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	return r;
}

/* One DistributionPoint whose fullName lists every URI: mirrors of the
 * same CRL, not different CRLs. */
static int
tbs_ext_crl_dp(X509 *x, const Pca__Signer__SignCertRequest *req)
{
	CRL_DIST_POINTS *cdp = NULL;
	DIST_POINT *dp = NULL;
	GENERAL_NAME *gn = NULL;
	int r = PCA_ERR_NOMEM;

	if (req->n_crl_urls == 0)
		return 0;
	if ((cdp = sk_DIST_POINT_new_null()) == NULL || (dp = DIST_POINT_new()) == NULL ||
	    (dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL)
		goto out;
	dp->distpoint->type = 0;	/* fullName */
	for (size_t i = 0; i < req->n_crl_urls; i++) {
		if ((r = tbs_uri_name(req->crl_urls[i], &gn)) != 0)
			goto out;
		if (!sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn)) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		gn = NULL;
	}
	if (!sk_DIST_POINT_push(cdp, dp)) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	dp = NULL;
	r = tbs_ext_add(x, NID_crl_distribution_points, cdp, 0);
 out:
	GENERAL_NAME_free(gn);
	DIST_POINT_free(dp);
	sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
	return r;
}

static int
tbs_ext_aia(X509 *x, const Pca__Signer__SignCertRequest *req)
{
	AUTHORITY_INFO_ACCESS *aia = NULL;
	ACCESS_DESCRIPTION *ad = NULL;
	GENERAL_NAME *gn = NULL;
	int r = PCA_ERR_NOMEM;

	if (req->n_ocsp_urls == 0)
		return 0;
	if ((aia = sk_ACCESS_DESCRIPTION_new_null()) == NULL)
		goto out;
	for (size_t i = 0; i < req->n_ocsp_urls; i++) {
		if ((r = tbs_uri_name(req->ocsp_urls[i], &gn)) != 0)
			goto out;
		if ((ad = ACCESS_DESCRIPTION_new()) == NULL) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		ASN1_OBJECT_free(ad->method);
		ad->method = OBJ_nid2obj(NID_ad_OCSP);
		GENERAL_NAME_free(ad->location);
		ad->location = gn;
		gn = NULL;
		if (!sk_ACCESS_DESCRIPTION_push(aia, ad)) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		ad = NULL;
	}
	r = tbs_ext_add(x, NID_info_access, aia, 0);
 out:
	GENERAL_NAME_free(gn);
	ACCESS_DESCRIPTION_free(ad);
	sk_ACCESS_DESCRIPTION_pop_free(aia, ACCESS_DESCRIPTION_free);
	return r;
}

/*
 * Passthrough extensions, after everything built above. Their OIDs are
 * policy's business (policy_check_cert); here: a canonical OID, a value that
 * is exactly one DER TLV, and no extension twice, counting the ones built
 * from fields.
 */
static int
tbs_ext_passthrough(X509 *x, const Pca__Signer__SignCertRequest *req)
{
	ASN1_OBJECT *obj = NULL;
	ASN1_OCTET_STRING *val = NULL;
	X509_EXTENSION *ext = NULL;
	size_t hdr, total;
	uint8_t tag;
	int r = 0;

	for (size_t i = 0; i < req->n_extensions; i++) {
		const Pca__Signer__Extension *e = req->extensions[i];

		if (e == NULL || (r = x509_oid_parse(e->oid, &obj)) != 0) {
			r = PCA_ERR_INVALID;
			goto out;
		}
		if (X509_get_ext_by_OBJ(x, obj, -1) >= 0 || e->value.len > INT_MAX ||
		    der_tlv(e->value.data, e->value.len, &tag, &hdr, &total) != 0 ||
		    total != e->value.len) {
			r = PCA_ERR_INVALID;
			goto out;
		}
		if ((val = ASN1_OCTET_STRING_new()) == NULL ||
		    ASN1_OCTET_STRING_set(val, e->value.data, (int)e->value.len) != 1 ||
		    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, e->critical ? 1 : 0, val)) == NULL ||
		    !X509_add_ext(x, ext, -1)) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		ASN1_OBJECT_free(obj);
		ASN1_OCTET_STRING_free(val);
		X509_EXTENSION_free(ext);
		obj = NULL;
		val = NULL;
		ext = NULL;
	}
 out:
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(val);
	X509_EXTENSION_free(ext);
	return r;
}

/*
 * The subject key into x as the request's bytes, without decoding it: the
 * AlgorithmIdentifier through d2i_X509_ALGOR (an OID and its parameters, no
 * key decoder) and the key bits as they are, with X509_PUBKEY_set0_param.
 * X509_set_pubkey would encode a decoded key and decode that again: two
 * more trips through OpenSSL 3.0's provider coders per certificate.
 */
static int
tbs_pubkey_set(X509 *x, const struct spki *s)
{
	const unsigned char *p = s->alg;
	const ASN1_OBJECT *obj;
	const void *pval;
	X509_ALGOR *alg = NULL;
	ASN1_OBJECT *aobj = NULL;
	void *param = NULL;
	unsigned char *bits = NULL;
	int ptype = V_ASN1_UNDEF, r = PCA_ERR_INVALID;

	if (s->alg == NULL || s->alg_len > LONG_MAX || s->key_len == 0 || s->key_len > INT_MAX)
		goto out;
	if ((alg = d2i_X509_ALGOR(NULL, &p, (long)s->alg_len)) == NULL ||
	    p != s->alg + s->alg_len)
		goto out;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	r = PCA_ERR_NOMEM;
	if ((aobj = OBJ_dup(obj)) == NULL)
		goto out;
	switch (ptype) {
	case V_ASN1_UNDEF:
	case V_ASN1_NULL:
		break;
	case V_ASN1_OBJECT:
		if ((param = OBJ_dup(pval)) == NULL)
			goto out;
		break;
	case V_ASN1_BOOLEAN:		/* no key algorithm has these */
		r = PCA_ERR_INVALID;
		goto out;
	default:			/* a string type: SEQUENCE and the like */
		if ((param = ASN1_STRING_dup(pval)) == NULL)
			goto out;
		break;
	}
	if ((bits = OPENSSL_memdup(s->key, s->key_len)) == NULL)
		goto out;
	/* on success it owns all three; on failure none */
	if (!X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), aobj, ptype, param, bits,
	    (int)s->key_len)) {
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	aobj = NULL;
	param = NULL;
	bits = NULL;
	r = 0;
 out:
	OPENSSL_free(bits);
	if (ptype == V_ASN1_OBJECT)
		ASN1_OBJECT_free(param);
	else
		ASN1_STRING_free(param);
	ASN1_OBJECT_free(aobj);
	X509_ALGOR_free(alg);
	ERR_clear_error();
	return r;
}

/* the SPKI in x encodes to exactly the requested bytes (X509_PUBKEY's own
 * encoder: the algorithm and the bits, no key coder) */
static int
tbs_spki_same(X509 *x, const struct spki *want)
{
	unsigned char *der = NULL;
	int n, same;

	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	same = n > 0 && (size_t)n == want->len && memcmp(der, want->der, want->len) == 0;
	OPENSSL_free(der);
	return same;
}

/* Encode x's TBSCertificate into a malloc'd buffer. */
static int
tbs_cert_encode(X509 *x, uint8_t **out, size_t *len)
{
	unsigned char *p;
	uint8_t *buf;
	int n;

	if ((n = i2d_re_X509_tbs(x, NULL)) <= 0)
		return PCA_ERR_CRYPTO;
	if ((buf = malloc((size_t)n)) == NULL)
		return PCA_ERR_NOMEM;
	p = buf;
	if (i2d_re_X509_tbs(x, &p) != n) {
		free(buf);
		return PCA_ERR_CRYPTO;
	}
	*out = buf;
	*len = (size_t)n;
	return 0;
}

int
tbs_cert_build(const Pca__Signer__SignCertRequest *req, const struct tbs_signer *signer,
    struct spki *subject, X509 *issuer, uint8_t **tbs, size_t *tbs_len)
{
	const struct tbs_alg *alg;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *nb = NULL, *na = NULL;
	X509_NAME *name = NULL;
	EVP_PKEY *subject_key;
	X509 *x = NULL;
	int r, subject_empty;

	*tbs = NULL;
	*tbs_len = 0;
	return_val_if_fail(req != NULL && signer != NULL && signer->pub != NULL &&
	    signer->spki != NULL && subject != NULL, PCA_ERR_INTERNAL);
	/* subject is what spki_read() made of this request's key */
	return_val_if_fail(subject->der == req->subject_public_key.data &&
	    subject->len == req->subject_public_key.len, PCA_ERR_INTERNAL);

	if ((r = tbs_alg_find(req->sig_alg, signer->pub, &alg)) != 0 ||
	    (r = tbs_serial_make(&req->serial, &serial)) != 0 ||
	    (r = tbs_name_decode(&req->subject, &name)) != 0)
		goto out;
	/* a key of a shape spki.c does not read must decode, as every key
	 * had to before spki.c; the others are known to */
	if (subject->type == SPKI_OTHER && spki_pkey(subject, &subject_key) != 0) {
		r = PCA_ERR_INVALID;
		goto out;
	}
	/* the signer signs with its key only what that key may sign: its own
	 * root, or certificates under an issuer certificate carrying it */
	if (issuer == NULL) {
		if (!spki_same_key(subject, signer->spki, signer->spki_len, signer->pub)) {
			r = PCA_ERR_POLICY;
			goto out;
		}
	} else if (!spki_cert_has_key(issuer, signer->spki, signer->spki_len, signer->pub)) {
		r = PCA_ERR_POLICY;
		goto out;
	}
	subject_empty = X509_NAME_entry_count(name) == 0;
	/* a CA, and so a self-signed certificate, is named (RFC 5280 4.1.2.6) */
	if (subject_empty && (req->ca || issuer == NULL)) {
		r = PCA_ERR_INVALID;
		goto out;
	}
	if (req->not_after < req->not_before) {
		r = PCA_ERR_INVALID;
		goto out;
	}
	if ((r = tbs_time_make(req->not_before, &nb)) != 0 ||
	    (r = tbs_time_make(req->not_after, &na)) != 0)
		goto out;

	r = PCA_ERR_CRYPTO;
	if ((x = X509_new()) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	/*
	 * OpenSSL 3.0 has no setter for the TBS signature AlgorithmIdentifier
	 * (X509_sign fills it while signing, and we sign elsewhere), so it is
	 * set through the pointer X509_get0_tbs_sigalg returns.
	 */
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial) ||
	    tbs_algor_set((X509_ALGOR *)X509_get0_tbs_sigalg(x), alg) != 0 ||
	    !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) ||
	    !X509_set1_notBefore(x, nb) ||
	    !X509_set1_notAfter(x, na) ||
	    !X509_set_subject_name(x, name))
		goto out;
	if ((r = tbs_pubkey_set(x, subject)) != 0)
		goto out;
	/* the certificate carries the requested key byte for byte; a key
	 * OpenSSL would write otherwise (explicit curve parameters, say) is
	 * refused rather than carried in an encoding nobody else writes */
	if (!spki_canonical(subject) || !tbs_spki_same(x, subject)) {
		r = PCA_ERR_INVALID;
		goto out;
	}
	/* extensions in the order tbs.h documents */
	if ((r = tbs_ext_basic_constraints(x, req)) != 0 ||
	    (r = tbs_ext_key_usage(x, req)) != 0 ||
	    (r = tbs_ext_eku(x, req)) != 0 ||
	    (r = tbs_ext_key_ids(x, req, issuer)) != 0 ||
	    (r = tbs_ext_san(x, req, subject_empty)) != 0 ||
	    (r = tbs_ext_crl_dp(x, req)) != 0 ||
	    (r = tbs_ext_aia(x, req)) != 0 ||
	    (r = tbs_ext_passthrough(x, req)) != 0)
		goto out;
	r = tbs_cert_encode(x, tbs, tbs_len);
 out:
	X509_free(x);
	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	X509_NAME_free(name);
	ASN1_INTEGER_free(serial);
	ERR_clear_error();
	return r;
}

/* SubjectInfoAccessSyntax has the shape of AuthorityInfoAccessSyntax. */
static int
tbs_sia_decode(const ProtobufCBinaryData *b, AUTHORITY_INFO_ACCESS **out)
{
	const unsigned char *p = b->data;
	AUTHORITY_INFO_ACCESS *sia;

	*out = NULL;
	if (b->len == 0 || b->len > LONG_MAX || b->data == NULL)
		return PCA_ERR_INVALID;
	if ((sia = d2i_AUTHORITY_INFO_ACCESS(NULL, &p, (long)b->len)) == NULL) {
		ERR_clear_error();
		return PCA_ERR_INVALID;
	}
	if (p != b->data + b->len || sk_ACCESS_DESCRIPTION_num(sia) == 0) {
		AUTHORITY_INFO_ACCESS_free(sia);
		return PCA_ERR_INVALID;
	}
	*out = sia;
	return 0;
}

int
tbs_csr_build(const Pca__Signer__SignCsrRequest *req, EVP_PKEY *signer_pub,
    uint8_t **tbs, size_t *tbs_len)
{
	const struct tbs_alg *alg;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	AUTHORITY_INFO_ACCESS *sia = NULL;
	ASN1_BIT_STRING *ku = NULL;
	X509_NAME *subject = NULL;
	X509_REQ *xr = NULL;
	unsigned char *p;
	uint8_t *buf = NULL;
	int r, n;

	*tbs = NULL;
	*tbs_len = 0;
	return_val_if_fail(req != NULL && signer_pub != NULL, PCA_ERR_INTERNAL);

	/* the CRI carries no algorithm, but a CSR the key cannot sign is
	 * better refused before the token is asked */
	if ((r = tbs_alg_find(req->sig_alg, signer_pub, &alg)) != 0 ||
	    (r = tbs_name_decode(&req->subject, &subject)) != 0)
		goto out;
	if (X509_NAME_entry_count(subject) == 0) {
		r = PCA_ERR_INVALID;
		goto out;
	}
	if (req->has_key_usage && (r = tbs_key_usage_make(req->key_usage, &ku)) != 0)
		goto out;
	if (req->has_subject_info_access &&
	    (r = tbs_sia_decode(&req->subject_info_access, &sia)) != 0)
		goto out;

	r = PCA_ERR_CRYPTO;
	if ((xr = X509_REQ_new()) == NULL || (exts = sk_X509_EXTENSION_new_null()) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	if (!X509_REQ_set_version(xr, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(xr, subject) ||
	    !X509_REQ_set_pubkey(xr, signer_pub))
		goto out;
	if (ku != NULL && X509V3_add1_i2d(&exts, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) != 1)
		goto out;
	if (sia != NULL && X509V3_add1_i2d(&exts, NID_sinfo_access, sia, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	/* no extensionRequest attribute at all when there is nothing to ask */
	if (sk_X509_EXTENSION_num(exts) > 0 && !X509_REQ_add_extensions(xr, exts))
		goto out;
	if ((n = i2d_re_X509_REQ_tbs(xr, NULL)) <= 0)
		goto out;
	if ((buf = malloc((size_t)n)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	p = buf;
	if (i2d_re_X509_REQ_tbs(xr, &p) != n)
		goto out;
	*tbs = buf;
	*tbs_len = (size_t)n;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	X509_REQ_free(xr);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	AUTHORITY_INFO_ACCESS_free(sia);
	ASN1_BIT_STRING_free(ku);
	X509_NAME_free(subject);
	ERR_clear_error();
	return r;
}

/* The table entry whose DER AlgorithmIdentifier is exactly alg. */
static int
tbs_alg_from_der(const uint8_t *alg, size_t alg_len, const struct tbs_alg **out)
{
	uint8_t *der;
	size_t len;
	int r;

	*out = NULL;
	for (size_t i = 0; i < TBS_NALGS; i++) {
		if ((r = tbs_alg_der(&tbs_algs[i], &der, &len)) != 0)
			return r;
		r = len == alg_len && memcmp(der, alg, len) == 0;
		free(der);
		if (r) {
			*out = &tbs_algs[i];
			return 0;
		}
	}
	return PCA_ERR_UNSUPPORTED;
}

/* sig over exactly data with pub and the algorithm's digest. */
static int
tbs_sig_verify(const struct tbs_alg *a, EVP_PKEY *pub, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *mctx;
	int ok;

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return PCA_ERR_NOMEM;
	ok = EVP_DigestVerifyInit(mctx, NULL, EVP_get_digestbynid(a->md_nid), NULL, pub) == 1 &&
	    EVP_DigestVerify(mctx, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return ok ? 0 : PCA_ERR_BAD_SIGNATURE;
}

/*
 * The signature AlgorithmIdentifier inside a TBSCertificate (its third
 * element, after [0] version and the serial), or -1 when the TBS does not
 * start that way.
 */
static int
tbs_cert_inner_alg(const uint8_t *tbs, size_t tbs_len, const uint8_t **alg, size_t *alg_len)
{
	const uint8_t *p = tbs, *end = tbs + tbs_len, *c;
	size_t clen;

	if (der_next(&p, end, DER_SEQUENCE, &c, &clen) != 0 || p != end)
		return -1;
	p = c;
	end = c + clen;
	if (der_next(&p, end, DER_CONTEXT_0, &c, &clen) != 0 ||
	    der_next(&p, end, DER_INTEGER, &c, &clen) != 0)
		return -1;
	*alg = p;
	if (der_next(&p, end, DER_SEQUENCE, &c, &clen) != 0)
		return -1;
	*alg_len = (size_t)(p - *alg);
	return 0;
}

/*
 * Certificates: what parsing the result back used to establish, from the
 * bytes. The TBS names the algorithm the outer field names, byte for byte
 * (X509_ALGOR_cmp on the parsed certificate before), and the certificate
 * is SEQUENCE { tbs, alg, BIT STRING { 00, sig } } with nothing else.
 */
static int
tbs_cert_shape(const uint8_t *der, size_t len, const uint8_t *tbs, size_t tbs_len,
    const uint8_t *alg, size_t alg_len, const uint8_t *sig, size_t sig_len)
{
	const uint8_t *inner, *p = der, *end = der + len, *c, *part;
	size_t inner_len, clen;

	if (tbs_cert_inner_alg(tbs, tbs_len, &inner, &inner_len) != 0)
		return PCA_ERR_MALFORMED;
	if (inner_len != alg_len || memcmp(inner, alg, alg_len) != 0)
		return PCA_ERR_INVALID;
	if (der_next(&p, end, DER_SEQUENCE, &c, &clen) != 0 || p != end)
		return PCA_ERR_MALFORMED;
	p = c;
	end = c + clen;
	part = p;
	if (der_next(&p, end, DER_SEQUENCE, &c, &clen) != 0 ||
	    (size_t)(p - part) != tbs_len || memcmp(part, tbs, tbs_len) != 0)
		return PCA_ERR_MALFORMED;
	part = p;
	if (der_next(&p, end, DER_SEQUENCE, &c, &clen) != 0 ||
	    (size_t)(p - part) != alg_len || memcmp(part, alg, alg_len) != 0)
		return PCA_ERR_MALFORMED;
	if (der_next(&p, end, DER_BIT_STRING, &c, &clen) != 0 || p != end ||
	    clen != sig_len + 1 || c[0] != 0x00 || memcmp(c + 1, sig, sig_len) != 0)
		return PCA_ERR_MALFORMED;
	return 0;
}

static int
tbs_csr_recheck(const uint8_t *der, size_t len, const uint8_t *tbs, size_t tbs_len,
    EVP_PKEY *pub)
{
	const unsigned char *p = der;
	unsigned char *re = NULL;
	X509_REQ *xr;
	int n, r = PCA_ERR_MALFORMED;

	if ((xr = d2i_X509_REQ(NULL, &p, (long)len)) == NULL || p != der + len)
		goto out;
	if (X509_REQ_verify(xr, pub) != 1) {
		r = PCA_ERR_BAD_SIGNATURE;
		goto out;
	}
	if ((n = i2d_re_X509_REQ_tbs(xr, &re)) <= 0 || (size_t)n != tbs_len ||
	    memcmp(re, tbs, tbs_len) != 0)
		goto out;
	r = 0;
 out:
	OPENSSL_free(re);
	X509_REQ_free(xr);
	return r;
}

/*
 * Which of the two the TBS is, from its first element: a TBSCertificate
 * built here starts with [0] EXPLICIT version (A0), a
 * CertificationRequestInfo with INTEGER version (02). Deciding from the
 * bytes, not by trying parsers in turn, keeps one answer per input.
 */
int
tbs_assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t *alg,
    size_t alg_len, const uint8_t *sig, size_t sig_len, EVP_PKEY *pub,
    uint8_t **out, size_t *out_len)
{
	const struct tbs_alg *a;
	uint8_t *buf = NULL, *p, tag;
	size_t hdr, total, bits_len, content, len;
	int r, is_cert;

	*out = NULL;
	*out_len = 0;
	return_val_if_fail(tbs != NULL && alg != NULL && sig != NULL && pub != NULL,
	    PCA_ERR_INTERNAL);

	if (tbs_len > TBS_DER_MAX || sig_len == 0 || sig_len > TBS_SIG_MAX)
		return PCA_ERR_INVALID;
	if (der_tlv(tbs, tbs_len, &tag, &hdr, &total) != 0 || tag != DER_SEQUENCE ||
	    total != tbs_len || hdr >= tbs_len)
		return PCA_ERR_MALFORMED;
	if (tbs[hdr] == 0xa0)
		is_cert = 1;
	else if (tbs[hdr] == 0x02)
		is_cert = 0;
	else
		return PCA_ERR_MALFORMED;
	if (der_tlv(alg, alg_len, &tag, &hdr, &total) != 0 || tag != 0x30 || total != alg_len)
		return PCA_ERR_MALFORMED;
	if ((r = tbs_alg_from_der(alg, alg_len, &a)) != 0)
		return r;
	if (EVP_PKEY_get_base_id(pub) != a->key_type)
		return PCA_ERR_UNSUPPORTED;
	/* over exactly the bytes that were handed to the token */
	if ((r = tbs_sig_verify(a, pub, tbs, tbs_len, sig, sig_len)) != 0)
		return r;

	/* SEQUENCE { tbs, alg, BIT STRING { 00 (no unused bits), sig } } */
	bits_len = 1 + der_len_put(sig_len + 1, NULL) + sig_len + 1;
	content = tbs_len + alg_len + bits_len;
	len = 1 + der_len_put(content, NULL) + content;
	if ((buf = malloc(len)) == NULL)
		return PCA_ERR_NOMEM;
	p = buf;
	*p++ = 0x30;
	p += der_len_put(content, p);
	memcpy(p, tbs, tbs_len);
	p += tbs_len;
	memcpy(p, alg, alg_len);
	p += alg_len;
	*p++ = 0x03;
	p += der_len_put(sig_len + 1, p);
	*p++ = 0x00;
	memcpy(p, sig, sig_len);
	p += sig_len;
	if ((size_t)(p - buf) != len) {
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	r = is_cert ? tbs_cert_shape(buf, len, tbs, tbs_len, alg, alg_len, sig, sig_len) :
	    tbs_csr_recheck(buf, len, tbs, tbs_len, pub);
	if (r != 0)
		goto out;
	*out = buf;
	*out_len = len;
	buf = NULL;
 out:
	free(buf);
	ERR_clear_error();
	return r;
}
