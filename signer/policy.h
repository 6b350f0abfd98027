/*
 * policy.h - the signer's own policy (hsm-config/signer-policy.conf).
 *
 * The frontend never sends policy: the signer reads this file at start and
 * checks every request against it, so a compromised frontend can at worst
 * ask for what the policy allows. Keywords (all optional, defaults shown):
 *
 *   key-algorithms       RSA_2048 RSA_3072 RSA_4096 EC_prime256v1 EC_secp384r1
 *                        (CA keys the signer will generate)
 *   signing-algorithms   SHA256WITHRSA SHA384WITHRSA SHA512WITHRSA
 *                        SHA256WITHECDSA SHA384WITHECDSA SHA512WITHECDSA
 *   subject-key-types    RSA EC           (keys it will certify)
 *   min-rsa-bits         2048
 *   curves               prime256v1 secp384r1 secp521r1
 *   max-validity-days    3650             (end-entity certificates)
 *   max-ca-validity-days 36500            (CA certificates)
 *   max-path-length      3                (pathLenConstraint; CA certs)
 *   allow-extension-oids                  (passthrough extensions allowed; none by default)
 *   max-backdate-seconds 86400            (notBefore earlier than now)
 */
#ifndef PCA_POLICY_H
#define PCA_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

#include "err.h"
#include "hsm.h"
#include "signer.pb-c.h"

struct policy;
struct spki;

/* path NULL: the defaults above. Errors: PCA_ERR_CONFIG with err set. */
int policy_load(const char *path, struct policy **out, char *err, size_t errlen) PCA_MUST_CHECK;
void policy_free(struct policy *p);
void policy_dump(const struct policy *p, FILE *f);

int policy_check_keygen(const struct policy *p, enum hsm_key_alg alg,
    char *why, size_t whylen) PCA_MUST_CHECK;
/*
 * Check a certificate request against the policy, given its subject key as
 * spki_read() read req->subject_public_key (shared with tbs_cert_build, so
 * the key is decoded at most once per request: only when it is of a shape
 * spki.c does not read itself), the issuer (NULL when self-signed) and now
 * (service time, seconds). Checks: signature
 * algorithm allowed; subject key type, RSA size and curve; validity
 * (not_after > not_before, within max days, not_before no earlier than now -
 * max-backdate, not_after within the issuer's notAfter); CA certificates:
 * the issuer is a CA with keyCertSign, path_len <= max-path-length and <
 * the issuer's pathLenConstraint; passthrough extension OIDs allowed.
 * PCA_ERR_POLICY with why set when refused; PCA_ERR_INVALID with why set
 * when a field does not decode (subject key, passthrough OID) or the
 * validity lies outside 1950..9999. Self-signed certificates (issuer NULL)
 * must be CA certificates; an issuer must be a CA with keyCertSign for any
 * certificate it issues.
 */
int policy_check_cert(const struct policy *p, const Pca__Signer__SignCertRequest *req,
    struct spki *subject, X509 *issuer, int64_t now, char *why, size_t whylen) PCA_MUST_CHECK;
int policy_check_csr(const struct policy *p, const Pca__Signer__SignCsrRequest *req,
    char *why, size_t whylen) PCA_MUST_CHECK;

#endif
