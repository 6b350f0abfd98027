/*
 * tbs.h - build what the signer signs, from fields, and assemble the result.
 *
 * The signer never signs bytes it did not build: tbs_cert_build() makes the
 * TBSCertificate from a SignCertRequest, tbs_csr_build() the
 * CertificationRequestInfo from a SignCsrRequest. The caller signs the
 * returned DER with the token and hands the signature to tbs_assemble(),
 * which wraps tbs || AlgorithmIdentifier || BIT STRING into the final DER and
 * verifies the signature over exactly those tbs bytes with the CA's public
 * key before returning it.
 *
 * Certificates are X.509 v3: serial, issuer (the issuer certificate's
 * subject, or the subject when self-signed), validity (UTCTime until 2049,
 * GeneralizedTime after, as RFC 5280 requires), subject, subject public key;
 * extensions in this order: basicConstraints, keyUsage, extendedKeyUsage,
 * subjectKeyIdentifier (RFC 5280 method 1: SHA-1 of the subjectPublicKey
 * bits), authorityKeyIdentifier (keyIdentifier = the issuer's SKI, or the
 * subject's own SKI when self-signed), subjectAltName, CRL distribution
 * points, authorityInfoAccess (OCSP), then passthrough extensions.
 */
#ifndef PCA_TBS_H
#define PCA_TBS_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"
#include "signer.pb-c.h"

struct spki;

/*
 * The CA key a TBS is built for, as the signer holds it: the public key and
 * its DER SubjectPublicKeyInfo (hsm_key_public(), hsm_key_spki()), so that
 * "is this the signing key?" is a comparison of bytes.
 */
struct tbs_signer {
	EVP_PKEY	*pub;
	const uint8_t	*spki;
	size_t		 spki_len;
};

/*
 * Build the TBSCertificate DER for req, to be signed by signer. subject is
 * req->subject_public_key as spki_read() read it (the caller shares it with
 * policy_check_cert, so the key is decoded at most once per request, and
 * only when it is of a shape spki.c does not read itself). issuer is the
 * parsed req->issuer_certificate, or NULL when self-signed (then the
 * subject key must be the signing key: PCA_ERR_POLICY otherwise). With an
 * issuer, its public key must be the signing key (PCA_ERR_POLICY
 * otherwise). The certificate carries the subject key byte for byte as
 * requested; a key OpenSSL would encode differently (explicit curve
 * parameters, say) is PCA_ERR_INVALID rather than rewritten.
 * Field errors (undecodable subject, SPKI, SAN, OID, bad serial) give
 * PCA_ERR_INVALID. *tbs is malloc'd.
 */
int tbs_cert_build(const Pca__Signer__SignCertRequest *req, const struct tbs_signer *signer,
    struct spki *subject, X509 *issuer, uint8_t **tbs, size_t *tbs_len) PCA_MUST_CHECK;

/* Build the CertificationRequestInfo DER of a CA's CSR: subject, the CA's
 * public key, and an extensionRequest with keyUsage (critical) and
 * subjectInfoAccess when given. */
int tbs_csr_build(const Pca__Signer__SignCsrRequest *req, EVP_PKEY *signer_pub,
    uint8_t **tbs, size_t *tbs_len) PCA_MUST_CHECK;

/* The DER AlgorithmIdentifier for sig_alg, and its digest NID (for hsm_sign).
 * PCA_ERR_UNSUPPORTED when sig_alg does not fit the key type of pub. */
int tbs_sig_alg(Pca__Signer__SigAlg sig_alg, EVP_PKEY *pub,
    uint8_t **alg_der, size_t *alg_len, int *md_nid) PCA_MUST_CHECK;

/*
 * SEQUENCE { tbs, alg, BIT STRING sig } -> *out (malloc'd DER), after
 * verifying sig over exactly the tbs bytes with pub (PCA_ERR_BAD_SIGNATURE
 * when it does not verify). Used for certificates and CSRs alike: the first
 * element of tbs tells them apart ([0] version: TBSCertificate; INTEGER:
 * CSR info). An alg that is not one of SigAlg's or does not fit pub is
 * PCA_ERR_UNSUPPORTED; a tbs that is not one DER SEQUENCE of that shape is
 * PCA_ERR_MALFORMED.
 *
 * Certificates: the signature AlgorithmIdentifier inside the TBS must be
 * alg, byte for byte (PCA_ERR_INVALID), and the result is checked to be
 * exactly SEQUENCE { tbs, alg, BIT STRING { 00, sig } }. It is not parsed
 * back by OpenSSL: that would decode the subject key once more (see
 * spki.h) to repeat the verification above. The TBS is what
 * tbs_cert_build() encoded with i2d_re_X509_tbs(), with the subject key
 * shown there to re-encode to itself.
 * CSRs (once per CA): also parsed back, verified again by OpenSSL, and
 * their CertificationRequestInfo must re-encode to exactly tbs
 * (PCA_ERR_MALFORMED otherwise).
 */
int tbs_assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t *alg,
    size_t alg_len, const uint8_t *sig, size_t sig_len, EVP_PKEY *pub,
    uint8_t **out, size_t *out_len) PCA_MUST_CHECK;

#endif
