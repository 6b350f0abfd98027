/*
 * acm_util.h - what the acm handlers (acm.c) and managed renewal
 * (acm_renew.c) share: certificate ARNs, loading a certificate with the
 * right typed errors, what a certificate says about itself, its private key
 * at rest, and issuance through acm-pca.
 *
 * Issuance has one implementation: acm_pca_issue() runs the acm-pca
 * operations ListPermissions (renewals in the CA's own account),
 * IssueCertificate and GetCertificate through dispatch_call() as the given
 * caller, so what the CA side allows (identity policies, the CA's resource
 * policy and shares, its permissions for acm.amazonaws.com, TemplateArn
 * conditions) is decided exactly as for a direct acm-pca request.
 *
 * Keys at rest: a private key is sealed (acm_keys.h) under a fresh random
 * 32-byte data key with the certificate ARN as additional data; the data
 * key is wrapped by the token through the signer (context: the same ARN)
 * and wiped at once. The store keeps only the ciphertext and the wrapped
 * data key.
 */
#ifndef PCA_OPS_ACM_UTIL_H
#define PCA_OPS_ACM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acm.pb-c.h"
#include "frontend.h"
#include "store_acm.h"

#define ACM_STATUS(x)	PCA__API__ACM__CERTIFICATE_STATUS__CertificateStatus_##x
#define ACM_TYPE(x)	PCA__API__ACM__CERTIFICATE_TYPE__CertificateType_##x
#define ACM_KEY(x)	PCA__API__ACM__KEY_ALGORITHM__KeyAlgorithm_##x
#define ACM_RENEWAL(x)	PCA__API__ACM__RENEWAL_STATUS__RenewalStatus_##x
#define ACM_REASON(x)	PCA__API__ACM__FAILURE_REASON__FailureReason_##x

#define ACM_PRINCIPAL		"acm.amazonaws.com"
#define ACM_SLR_NAME		"AWSServiceRoleForCertificateManager"
#define ACM_SLR_PATH		"/aws-service-role/acm.amazonaws.com/"
#define ACM_RENEWAL_SESSION	"acm-renewal"
/* what ACM asks a private CA for (API.md 4.3): an end-entity certificate
 * valid 13 months */
#define ACM_TEMPLATE_ARN	"arn:aws:acm-pca:::template/EndEntityCertificate/V1"
#define ACM_VALIDITY_DAYS	395
/* renewal window: DaysBeforeExpiry of the account configuration */
#define ACM_WINDOW_DEFAULT_DAYS	60
#define ACM_WINDOW_MAX_DAYS	ACM_VALIDITY_DAYS
#define ACM_MAX_TAGS		50
#define ACM_SERIAL_MAX		(3 * 20)	/* colon hex of 20 octets, NUL */

/* ---- ARNs ------------------------------------------------------------------ */

/* arn:aws:acm:<region>:<12 digits>:certificate/<lower-case uuid>; id gets
 * the uuid. PCA_ERR_INVALID otherwise. */
int acm_arn_parse(const char *arn, char id[STORE_ACM_ID_LEN + 1]) PCA_MUST_CHECK;
void acm_arn_format(char *out, size_t len, const char *region, const char *account,
    const char *id);

/*
 * Load the certificate arn names, of the caller's account, into *c
 * (store_acm_cert_clear() it). Fails the request with InvalidArnException
 * for a malformed ARN, ResourceNotFoundException when no certificate of the
 * caller's account has exactly this ARN.
 */
int acm_cert_load(struct op_ctx *ctx, const char *arn, struct store_acm_cert *c) PCA_MUST_CHECK;

/* ---- what a certificate says ----------------------------------------------- */

struct acm_cert_info {
	char	 serial[ACM_SERIAL_MAX];	/* colon hex, as ACM shows it */
	char	*subject;			/* "CN=x,O=y" */
	char	*issuer;
	char	 signature_algorithm[32];	/* "SHA256WITHRSA" */
	int64_t	 not_before, not_after;
	int	 key_algorithm;			/* KeyAlgorithm, 0: none ACM names */
	char	*domain_name;			/* the CN, else the first SAN; NULL: none */
	char	**sans;				/* domain first, no duplicates */
	size_t	 nsans;
};

/* Read x into *info (acm_cert_info_clear() it). PCA_ERR_UNSUPPORTED for a
 * serial over 20 octets; PCA_ERR_NOMEM. */
int acm_cert_info_get(X509 *x, struct acm_cert_info *info) PCA_MUST_CHECK;
void acm_cert_info_clear(struct acm_cert_info *info);
/* KeyAlgorithm of a key, 0 when ACM has no name for it. */
int acm_key_algorithm_of(EVP_PKEY *key);
/* "RSA_2048" etc., NULL for a value outside the enum. */
const char *acm_key_algorithm_name(int key_algorithm);

/* The certificate's keyUsage as KeyUsageName values and its
 * extendedKeyUsage as (ExtendedKeyUsageName, dotted OID) pairs. */
#define ACM_USAGES_MAX	16
struct acm_usages {
	int	 ku[ACM_USAGES_MAX];
	size_t	 nku;
	int	 eku[ACM_USAGES_MAX];
	char	 eku_oid[ACM_USAGES_MAX][64];
	size_t	 neku;
	int	 has_eku;
};
void acm_cert_usages(X509 *x, struct acm_usages *u);
/* Parse a stored PEM certificate (NULL when it does not parse). */
X509 *acm_cert_pem_parse(const char *pem);

/* ---- state ------------------------------------------------------------------- */

/* The status a client sees: ISSUED turns EXPIRED at NotAfter. */
int acm_cert_status(const struct store_acm_cert *c, int64_t now);
/* API.md 4.4: requested from a private CA, ISSUED, not expired, exported
 * since issue or the last renewal. */
int acm_cert_eligible(const struct store_acm_cert *c, int64_t now);
/* The FailureReason of a certificate whose issue FAILED.
 * XXX store_acm.h has no field for it: a FAILED certificate, which is never
 * renewed, keeps it in renewal_reason with renewal_status 0. */
int acm_cert_failure_reason(const struct store_acm_cert *c);
/* The renewal window of an account in seconds (DaysBeforeExpiry of
 * PutAccountConfiguration, ACM_WINDOW_DEFAULT_DAYS when unset). */
int64_t acm_renewal_window(struct frontend *fe, const char *account_id);
/* The settings key of an account's DaysBeforeExpiry. */
void acm_setting_key(char *out, size_t len, const char *account_id);

/* ---- the private key at rest --------------------------------------------- */

/* Seal key for certificate c (c->arn set) under a fresh data key wrapped by
 * the token; replaces c's key fields. why gets the signer's reason. */
int acm_key_protect(struct fe_worker *w, EVP_PKEY *key, struct store_acm_cert *c,
    char *why, size_t whylen) PCA_MUST_CHECK;
/* The reverse: unwrap the data key, open the key, wipe the data key.
 * PCA_ERR_NOT_FOUND when c has no key. */
int acm_key_unprotect(struct fe_worker *w, const struct store_acm_cert *c, EVP_PKEY **key,
    char *why, size_t whylen) PCA_MUST_CHECK;

/* ---- issuance through acm-pca --------------------------------------------- */

/* A context for a nested operation run as caller by the same worker. */
void acm_sub_ctx(struct op_ctx *sub, struct fe_worker *w, const struct caller *caller);
/* Run service:name with in through dispatch_call() in sub. */
int acm_call(struct op_ctx *sub, const char *service, const char *name,
    const ProtobufCMessage *in, ProtobufCMessage **out) PCA_MUST_CHECK;

/* The CA that ca_arn names, read without authorizing anyone (its key
 * family and validity decide the request's shape, never an answer):
 * PCA_ERR_NOT_FOUND when there is none with exactly this ARN. */
int acm_ca_peek(struct frontend *fe, const char *ca_arn, int *is_ec, int64_t *not_after)
    PCA_MUST_CHECK;

/*
 * Have the CA sign a certificate for key (CSR: CN domain, SANs names)
 * with the caller of sub: IssueCertificate (template ACM_TEMPLATE_ARN,
 * ACM_VALIDITY_DAYS days, SHA256WITH<the CA's family>), then
 * GetCertificate; with list_permissions_first, acm-pca ListPermissions
 * first (what ACM needs of the CA's permission for itself). With token,
 * IssueCertificate carries it as its IdempotencyToken, and a certificate
 * the CA already issued (or began to) for this token and the caller's
 * account, however long ago, is fetched instead of asking again. 0 with
 * *cert_pem and *chain_pem (malloc'd; the chain may be NULL), or -1 with
 * sub->exc / sub->msg set to the acm-pca error.
 */
int acm_pca_issue(struct op_ctx *sub, const char *ca_arn, EVP_PKEY *key, const char *domain,
    const char *const *names, size_t nnames, int list_permissions_first, const char *token,
    char **cert_pem, char **chain_pem) PCA_MUST_CHECK;
/* The FailureReason an acm-pca error becomes (API.md 4.4). InvalidArgs of
 * a CA that ends before the certificate would is PCA_INVALID_DURATION;
 * AccessDenied on a CA that no longer exists is PCA_RESOURCE_NOT_FOUND. */
int acm_failure_reason(struct frontend *fe, const char *ca_arn, enum api_exc e);
/* Nonzero for errors worth retrying soon rather than recording (the
 * signer or the store was away). */
int acm_exc_transient(enum api_exc e);

/* Fill c's certificate fields (PEMs, serial, subject, issuer, signature
 * algorithm, validity) from an issued certificate; takes cert_pem and
 * chain_pem (freed on failure too). */
int acm_cert_set_issued(struct store_acm_cert *c, char *cert_pem, char *chain_pem)
    PCA_MUST_CHECK;

/* ---- output shapes ---------------------------------------------------------- */

Pca__Api__Acm__CertificateDetail *acm_detail_shape(const struct store_acm_cert *c,
    int64_t now);
Pca__Api__Acm__CertificateSummary *acm_summary_shape(const struct store_acm_cert *c,
    X509 *x, int64_t now);

#endif
