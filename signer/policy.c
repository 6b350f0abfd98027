/*
 * policy.c - the signer's own policy file (see policy.h).
 *
 * The file is read with cfg.c; every word of every list is checked at load
 * time (so a typo is "file:line: ..." at start, not a silent refusal of
 * every request later), then turned into bitmasks the checks read. The
 * checks never trust the frontend's view: keys and times are read here
 * from the request itself (keys by spki.c, or decoded by OpenSSL).
 */
#include "policy.h"
#include "cfg.h"
#include "log.h"
#include "spki.h"
#include "x509util.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#define POLICY_DAY		86400LL
#define POLICY_TIME_MIN		(-631152000LL)	/* 1950-01-01, as tbs.c */
#define POLICY_TIME_MAX		253402300799LL	/* 9999-12-31T23:59:59Z */

struct policy_cfg {
	struct cfg_list		 key_algs;
	struct cfg_list		 sig_algs;
	struct cfg_list		 subject_key_types;
	unsigned long long	 min_rsa_bits;
	struct cfg_list		 curves;
	unsigned long long	 max_validity_days;
	unsigned long long	 max_ca_validity_days;
	unsigned long long	 max_path_length;
	struct cfg_list		 ext_oids;
	unsigned long long	 max_backdate;
};

struct policy {
	struct policy_cfg	 cfg;
	unsigned		 key_alg_mask;	/* 1 << enum hsm_key_alg */
	unsigned		 sig_alg_mask;	/* 1 << Pca__Signer__SigAlg */
	unsigned		 key_type_mask;	/* 1 << POLICY_KT_* */
	unsigned		 curve_mask;	/* 1 << index in policy_curves[] */
};

struct policy_word {
	const char	*word;
	int		 value;
};

static const struct policy_word policy_key_algs[] = {
	{ "RSA_2048",		HSM_KEY_RSA_2048 },
	{ "RSA_3072",		HSM_KEY_RSA_3072 },
	{ "RSA_4096",		HSM_KEY_RSA_4096 },
	{ "EC_prime256v1",	HSM_KEY_EC_P256 },
	{ "EC_secp384r1",	HSM_KEY_EC_P384 },
	{ NULL, 0 }
};

/* the names AWS Private CA uses for SigningAlgorithm */
static const struct policy_word policy_sig_algs[] = {
	{ "SHA256WITHRSA",	PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA },
	{ "SHA384WITHRSA",	PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_RSA },
	{ "SHA512WITHRSA",	PCA__SIGNER__SIG_ALG__SIG_ALG_SHA512_RSA },
	{ "SHA256WITHECDSA",	PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA },
	{ "SHA384WITHECDSA",	PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_ECDSA },
	{ "SHA512WITHECDSA",	PCA__SIGNER__SIG_ALG__SIG_ALG_SHA512_ECDSA },
	{ NULL, 0 }
};

#define POLICY_KT_RSA	0	/* bit numbers in key_type_mask */
#define POLICY_KT_EC	1
static const struct policy_word policy_key_types[] = {
	{ "RSA",	POLICY_KT_RSA },
	{ "EC",		POLICY_KT_EC },
	{ NULL, 0 }
};

/* the curves x509_csr_check() accepts; a wider list would only let the
 * signer certify keys the frontend already refuses */
static const struct policy_word policy_curves[] = {
	{ "prime256v1",	NID_X9_62_prime256v1 },
	{ "secp384r1",	NID_secp384r1 },
	{ "secp521r1",	NID_secp521r1 },
	{ NULL, 0 }
};

/* extensions tbs.c builds from request fields; passing them through would
 * let a request bypass the fields (and the checks on them) */
static const char *const policy_built_oids[] = {
	"2.5.29.19",		/* basicConstraints */
	"2.5.29.15",		/* keyUsage */
	"2.5.29.37",		/* extKeyUsage */
	"2.5.29.14",		/* subjectKeyIdentifier */
	"2.5.29.35",		/* authorityKeyIdentifier */
	"2.5.29.17",		/* subjectAltName */
	"2.5.29.31",		/* cRLDistributionPoints */
	"1.3.6.1.5.5.7.1.1",	/* authorityInfoAccess */
	NULL
};

static const struct policy_word *
policy_word_find(const struct policy_word *table, const char *word)
{
	for (; table->word != NULL; table++)
		if (strcmp(table->word, word) == 0)
			return table;
	return NULL;
}

static const char *
policy_word_name(const struct policy_word *table, int value)
{
	for (; table->word != NULL; table++)
		if (table->value == value)
			return table->word;
	return "?";
}

/* Each word of value must be in table. */
static int
policy_words_check(const char *value, const struct policy_word *table, char *err, size_t errlen)
{
	char word[64];
	const char *p = value;

	while (*p != '\0') {
		size_t n = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t')
			n++;
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "word too long");
			return PCA_ERR_CONFIG;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		if (policy_word_find(table, word) == NULL) {
			snprintf(err, errlen, "unknown word '%s' (one of:", word);
			for (const struct policy_word *w = table; w->word != NULL; w++) {
				size_t l = strlen(err);

				snprintf(err + l, errlen - l, " %s", w->word);
			}
			if (strlen(err) + 1 < errlen)
				strcat(err, ")");
			return PCA_ERR_CONFIG;
		}
	}
	return 0;
}

static int
policy_check_key_algs(const char *value, char *err, size_t errlen)
{
	return policy_words_check(value, policy_key_algs, err, errlen);
}

static int
policy_check_sig_algs(const char *value, char *err, size_t errlen)
{
	return policy_words_check(value, policy_sig_algs, err, errlen);
}

static int
policy_check_key_types(const char *value, char *err, size_t errlen)
{
	return policy_words_check(value, policy_key_types, err, errlen);
}

static int
policy_check_curves(const char *value, char *err, size_t errlen)
{
	return policy_words_check(value, policy_curves, err, errlen);
}

static int
policy_check_ext_oids(const char *value, char *err, size_t errlen)
{
	char word[160];
	const char *p = value;

	while (*p != '\0') {
		ASN1_OBJECT *obj = NULL;
		size_t n = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t')
			n++;
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "OID too long");
			return PCA_ERR_CONFIG;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		if (x509_oid_parse(word, &obj) != 0) {
			snprintf(err, errlen, "'%s' is not a dotted OID", word);
			return PCA_ERR_CONFIG;
		}
		ASN1_OBJECT_free(obj);
		for (size_t i = 0; policy_built_oids[i] != NULL; i++) {
			if (strcmp(word, policy_built_oids[i]) == 0) {
				snprintf(err, errlen, "%s is built from request fields, "
				    "not passed through", word);
				return PCA_ERR_CONFIG;
			}
		}
	}
	return 0;
}

#define POLICY_OFF(f)	CFG_OFF(struct policy_cfg, f)
static const struct cfg_key policy_keys[] = {
	{ "key-algorithms", CFG_LIST, POLICY_OFF(key_algs),
	  .def = "RSA_2048 RSA_3072 RSA_4096 EC_prime256v1 EC_secp384r1",
	  .check = policy_check_key_algs, .help = "CA keys the signer will generate" },
	{ "signing-algorithms", CFG_LIST, POLICY_OFF(sig_algs),
	  .def = "SHA256WITHRSA SHA384WITHRSA SHA512WITHRSA "
	      "SHA256WITHECDSA SHA384WITHECDSA SHA512WITHECDSA",
	  .check = policy_check_sig_algs, .help = "signature algorithms it will use" },
	{ "subject-key-types", CFG_LIST, POLICY_OFF(subject_key_types), .def = "RSA EC",
	  .check = policy_check_key_types, .help = "keys it will certify" },
	{ "min-rsa-bits", CFG_UINT, POLICY_OFF(min_rsa_bits), .def = "2048",
	  .min = 1024, .max = 16384, .help = "smallest RSA subject key" },
	{ "curves", CFG_LIST, POLICY_OFF(curves), .def = "prime256v1 secp384r1 secp521r1",
	  .check = policy_check_curves, .help = "EC subject key curves" },
	{ "max-validity-days", CFG_UINT, POLICY_OFF(max_validity_days), .def = "3650",
	  .min = 1, .max = 36500, .help = "end-entity certificates" },
	{ "max-ca-validity-days", CFG_UINT, POLICY_OFF(max_ca_validity_days), .def = "36500",
	  .min = 1, .max = 36500, .help = "CA certificates" },
	{ "max-path-length", CFG_UINT, POLICY_OFF(max_path_length), .def = "3",
	  .min = 0, .max = 64, .help = "largest pathLenConstraint of a CA certificate" },
	{ "allow-extension-oids", CFG_LIST, POLICY_OFF(ext_oids), .def = NULL,
	  .check = policy_check_ext_oids, .help = "passthrough extensions allowed" },
	{ "max-backdate-seconds", CFG_UINT, POLICY_OFF(max_backdate), .def = "86400",
	  .min = 0, .max = 31536000, .help = "how far notBefore may precede now" },
};
#define POLICY_NKEYS	(sizeof(policy_keys) / sizeof(policy_keys[0]))

static unsigned
policy_mask(const struct cfg_list *l, const struct policy_word *table, int index_bits)
{
	unsigned mask = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct policy_word *w = policy_word_find(table, l->v[i]);

		if (w == NULL)
			continue;	/* refused by the .check at load */
		mask |= 1u << (index_bits ? (unsigned)(w - table) : (unsigned)w->value);
	}
	return mask;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	cfg_free(policy_keys, POLICY_NKEYS, &p->cfg);
	free(p);
}

int
policy_load(const char *path, struct policy **out, char *err, size_t errlen)
{
	struct policy *p;
	int r;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return PCA_ERR_CONFIG;
	}
	if (path != NULL)
		r = cfg_load(path, policy_keys, POLICY_NKEYS, &p->cfg, err, errlen);
	else
		r = cfg_finish(policy_keys, POLICY_NKEYS, &p->cfg, err, errlen);
	if (r != 0) {
		policy_free(p);
		return PCA_ERR_CONFIG;
	}
	p->key_alg_mask = policy_mask(&p->cfg.key_algs, policy_key_algs, 0);
	p->sig_alg_mask = policy_mask(&p->cfg.sig_algs, policy_sig_algs, 0);
	p->key_type_mask = policy_mask(&p->cfg.subject_key_types, policy_key_types, 0);
	p->curve_mask = policy_mask(&p->cfg.curves, policy_curves, 1);
	*out = p;
	return 0;
}

void
policy_dump(const struct policy *p, FILE *f)
{
	cfg_dump(f, policy_keys, POLICY_NKEYS, &p->cfg);
}

int
policy_check_keygen(const struct policy *p, enum hsm_key_alg alg, char *why, size_t whylen)
{
	if (whylen > 0)
		why[0] = '\0';
	if ((unsigned)alg >= 32 || (p->key_alg_mask & (1u << alg)) == 0) {
		snprintf(why, whylen, "key algorithm %s not allowed by policy",
		    policy_word_name(policy_key_algs, (int)alg));
		return PCA_ERR_POLICY;
	}
	return 0;
}

static int
policy_sig_alg_check(const struct policy *p, Pca__Signer__SigAlg sig_alg, char *why, size_t whylen)
{
	if ((unsigned)sig_alg >= 32 || (p->sig_alg_mask & (1u << sig_alg)) == 0) {
		snprintf(why, whylen, "signing algorithm %s not allowed by policy",
		    policy_word_name(policy_sig_algs, (int)sig_alg));
		return PCA_ERR_POLICY;
	}
	return 0;
}

/*
 * Key type, RSA size and curve. Keys of the shapes spki.c reads are judged
 * from their bytes; the rest are decoded by OpenSSL (spki_pkey), which
 * judges them as it always did: what does not decode is PCA_ERR_INVALID.
 */
static int
policy_subject_key_check(const struct policy *p, struct spki *subject,
    char *why, size_t whylen)
{
	EVP_PKEY *pkey = NULL;		/* subject's, when OpenSSL decoded it */
	const char *curve;
	char group[64];
	int r = PCA_ERR_POLICY, type, bits, nid, i;

	switch (subject->type) {
	case SPKI_RSA:
		type = EVP_PKEY_RSA;
		break;
	case SPKI_EC:
		type = EVP_PKEY_EC;
		break;
	case SPKI_OTHER:
	default:
		if (spki_pkey(subject, &pkey) != 0) {
			snprintf(why, whylen, "subject public key does not decode");
			r = PCA_ERR_INVALID;
			goto out;
		}
		type = EVP_PKEY_get_base_id(pkey);
		break;
	}
	switch (type) {
	case EVP_PKEY_RSA:
		if ((p->key_type_mask & (1u << POLICY_KT_RSA)) == 0) {
			snprintf(why, whylen, "RSA subject keys not allowed by policy");
			goto out;
		}
		bits = pkey == NULL ? (int)subject->rsa_bits : EVP_PKEY_get_bits(pkey);
		if (bits < 0 || (unsigned long long)bits < p->cfg.min_rsa_bits) {
			snprintf(why, whylen, "RSA subject key of %d bits, policy minimum %llu",
			    bits, p->cfg.min_rsa_bits);
			goto out;
		}
		break;
	case EVP_PKEY_EC:
		if ((p->key_type_mask & (1u << POLICY_KT_EC)) == 0) {
			snprintf(why, whylen, "EC subject keys not allowed by policy");
			goto out;
		}
		if (pkey == NULL) {
			nid = subject->curve_nid;
			curve = OBJ_nid2sn(nid);
		} else if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
		    group, sizeof(group), NULL)) {
			nid = OBJ_txt2nid(group);
			curve = group;
		} else {
			snprintf(why, whylen, "EC subject key without a named curve");
			goto out;
		}
		for (i = 0; policy_curves[i].word != NULL; i++)
			if (policy_curves[i].value == nid && (p->curve_mask & (1u << i)) != 0)
				break;
		if (policy_curves[i].word == NULL) {
			snprintf(why, whylen, "curve %.32s not allowed by policy", curve);
			goto out;
		}
		break;
	default:
		snprintf(why, whylen, "subject key type %.32s not allowed by policy",
		    OBJ_nid2sn(type));
		goto out;
	}
	r = 0;
 out:
	ERR_clear_error();
	return r;
}

/* The issuer may issue at all: a CA by basicConstraints, with keyCertSign.
 * X509_STRICT verification refuses a CA without keyUsage, so this does too. */
static int
policy_issuer_check(X509 *issuer, char *why, size_t whylen)
{
	uint32_t flags;

	(void)X509_check_ca(issuer);	/* caches the extensions if not yet done */
	flags = X509_get_extension_flags(issuer);
	if ((flags & EXFLAG_INVALID) != 0) {
		snprintf(why, whylen, "issuer certificate has invalid extensions");
		return PCA_ERR_POLICY;
	}
	if ((flags & EXFLAG_BCONS) == 0 || (flags & EXFLAG_CA) == 0) {
		snprintf(why, whylen, "issuer certificate is not a CA");
		return PCA_ERR_POLICY;
	}
	if ((flags & EXFLAG_KUSAGE) == 0 || (X509_get_key_usage(issuer) & KU_KEY_CERT_SIGN) == 0) {
		snprintf(why, whylen, "issuer certificate lacks keyCertSign");
		return PCA_ERR_POLICY;
	}
	return 0;
}

static int
policy_validity_check(const struct policy *p, const Pca__Signer__SignCertRequest *req,
    X509 *issuer, int64_t now, char *why, size_t whylen)
{
	unsigned long long max_days;
	int64_t inb, ina;

	if (req->not_before < POLICY_TIME_MIN || req->not_after > POLICY_TIME_MAX) {
		snprintf(why, whylen, "validity outside 1950..9999");
		return PCA_ERR_INVALID;
	}
	if (req->not_after <= req->not_before) {
		snprintf(why, whylen, "notAfter is not after notBefore");
		return PCA_ERR_POLICY;
	}
	max_days = req->ca ? p->cfg.max_ca_validity_days : p->cfg.max_validity_days;
	/* both bounded above, so the difference cannot overflow */
	if (req->not_after - req->not_before > (int64_t)max_days * POLICY_DAY) {
		snprintf(why, whylen, "validity of %lld days over the policy's %llu for %s",
		    (long long)((req->not_after - req->not_before + POLICY_DAY - 1) / POLICY_DAY),
		    max_days, req->ca ? "CA certificates" : "end-entity certificates");
		return PCA_ERR_POLICY;
	}
	if (req->not_before < now - (int64_t)p->cfg.max_backdate) {
		snprintf(why, whylen, "notBefore %lld seconds in the past, policy allows %llu",
		    (long long)(now - req->not_before), p->cfg.max_backdate);
		return PCA_ERR_POLICY;
	}
	if (issuer != NULL) {
		if (x509_cert_validity(issuer, &inb, &ina) != 0) {
			snprintf(why, whylen, "issuer certificate validity does not decode");
			return PCA_ERR_INVALID;
		}
		if (req->not_after > ina) {
			snprintf(why, whylen, "notAfter is after the issuer's notAfter");
			return PCA_ERR_POLICY;
		}
	}
	return 0;
}

static int
policy_path_check(const struct policy *p, const Pca__Signer__SignCertRequest *req,
    X509 *issuer, char *why, size_t whylen)
{
	long ipl;

	if (!req->ca) {
		if (req->has_path_len) {
			snprintf(why, whylen, "pathLenConstraint on an end-entity certificate");
			return PCA_ERR_POLICY;
		}
		return 0;
	}
	/*
	 * An absent pathLenConstraint is allowed: RootCACertificate/V1 has
	 * none, and under an issuer that has one, path validation bounds it.
	 */
	if (req->has_path_len &&
	    (req->path_len < 0 || (unsigned long long)req->path_len > p->cfg.max_path_length)) {
		snprintf(why, whylen, "pathLenConstraint %d over the policy's %llu",
		    (int)req->path_len, p->cfg.max_path_length);
		return PCA_ERR_POLICY;
	}
	if (issuer == NULL)
		return 0;
	if ((ipl = X509_get_pathlen(issuer)) == 0) {
		snprintf(why, whylen, "issuer's pathLenConstraint 0 allows no CA below it");
		return PCA_ERR_POLICY;
	}
	if (ipl > 0 && req->has_path_len && req->path_len >= ipl) {
		snprintf(why, whylen, "pathLenConstraint %d not below the issuer's %ld",
		    (int)req->path_len, ipl);
		return PCA_ERR_POLICY;
	}
	return 0;
}

static int
policy_ext_check(const struct policy *p, const Pca__Signer__SignCertRequest *req,
    char *why, size_t whylen)
{
	for (size_t i = 0; i < req->n_extensions; i++) {
		const char *oid = req->extensions[i] != NULL ? req->extensions[i]->oid : NULL;
		ASN1_OBJECT *obj = NULL;
		size_t j;

		if (x509_oid_parse(oid, &obj) != 0) {
			snprintf(why, whylen, "passthrough extension %zu: not a dotted OID", i);
			return PCA_ERR_INVALID;
		}
		ASN1_OBJECT_free(obj);
		/* canonical dotted text on both sides: equal text, equal OID */
		for (j = 0; j < p->cfg.ext_oids.n; j++)
			if (strcmp(p->cfg.ext_oids.v[j], oid) == 0)
				break;
		if (j == p->cfg.ext_oids.n) {
			snprintf(why, whylen, "extension %.64s not allowed by policy", oid);
			return PCA_ERR_POLICY;
		}
	}
	return 0;
}

int
policy_check_cert(const struct policy *p, const Pca__Signer__SignCertRequest *req,
    struct spki *subject, X509 *issuer, int64_t now, char *why, size_t whylen)
{
	int r;

	if (whylen > 0)
		why[0] = '\0';
	return_val_if_fail(p != NULL && req != NULL && subject != NULL, PCA_ERR_INTERNAL);
	/* subject is what spki_read() made of this request's key */
	return_val_if_fail(subject->der == req->subject_public_key.data &&
	    subject->len == req->subject_public_key.len, PCA_ERR_INTERNAL);
	/* the token's key signs its own root and nothing else unissued */
	if (issuer == NULL && !req->ca) {
		snprintf(why, whylen, "a self-signed certificate must be a CA certificate");
		return PCA_ERR_POLICY;
	}
	if ((r = policy_sig_alg_check(p, req->sig_alg, why, whylen)) != 0 ||
	    (r = policy_subject_key_check(p, subject, why, whylen)) != 0 ||
	    (r = policy_validity_check(p, req, issuer, now, why, whylen)) != 0 ||
	    (issuer != NULL && (r = policy_issuer_check(issuer, why, whylen)) != 0) ||
	    (r = policy_path_check(p, req, issuer, why, whylen)) != 0 ||
	    (r = policy_ext_check(p, req, why, whylen)) != 0)
		return r;
	return 0;
}

int
policy_check_csr(const struct policy *p, const Pca__Signer__SignCsrRequest *req,
    char *why, size_t whylen)
{
	if (whylen > 0)
		why[0] = '\0';
	return_val_if_fail(p != NULL && req != NULL, PCA_ERR_INTERNAL);
	return policy_sig_alg_check(p, req->sig_alg, why, whylen);
}
