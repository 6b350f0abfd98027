/*
 * x509util.h - X.509 helpers shared by the frontend, the signer and the CLI.
 *
 * Inputs from clients (CSRs, certificates, chains) are accepted as PEM or
 * DER and bounded in size by the caller. Every function returns 0 or a
 * PCA_ERR_* code; where a `why` buffer is taken it receives a sentence a
 * client can read (no secrets, no raw input echoed beyond short names).
 */
#ifndef PCA_X509UTIL_H
#define PCA_X509UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

#define X509_SERIAL_MAX		20	/* octets, RFC 5280 */
#define X509_SERIAL_HEX_MAX	(2 * X509_SERIAL_MAX + 1)

/* ---- client CSRs, the request path: struct x509_csr ------------------------
 *
 * A CSR as IssueCertificate needs it, parsed without OpenSSL 3's decoder
 * framework: d2i_X509_REQ() decodes the public key eagerly through
 * OSSL_DECODER (~100 us, serialized process-wide), while struct x509_csr
 * keeps the SubjectPublicKeyInfo as parsed ASN.1 and builds the key from its
 * parameters (EVP_PKEY_fromdata) only for the checks that need it. The
 * ASN.1 grammar, and so what parses, is that of X509_REQ.
 */
struct x509_csr;

/* PEM ("-----BEGIN CERTIFICATE REQUEST-----" or "NEW CERTIFICATE REQUEST")
 * or DER, as x509_csr_parse() takes them, but DER only: BER's indefinite or
 * longer-than-needed lengths and constructed strings, which X509_REQ's
 * templates accept, are refused. PCA_ERR_MALFORMED when it does not parse
 * or bytes trail; the key is not looked at yet. */
int x509_csr_load(const uint8_t *data, size_t len, struct x509_csr **out) PCA_MUST_CHECK;
void x509_csr_free(struct x509_csr *csr);

/*
 * Check a client CSR, cheapest checks first:
 *  - the key is RSA (rsaEncryption, parameters NULL or absent; the
 *    RSAPublicKey uses every byte of the key's BIT STRING) of 2048..16384
 *    bits with a public exponent >= 3 and odd, or EC (id-ecPublicKey with a
 *    namedCurve) on prime256v1, secp384r1 or secp521r1 (PCA_ERR_UNSUPPORTED
 *    otherwise), whose point is on the curve and not the identity
 *    (PCA_ERR_INVALID);
 *  - the self-signature verifies under that key with X509_REQ_verify()'s
 *    rules (ASN1_item_verify: signature algorithm matching the key type,
 *    RSA-PSS parameters, no unused bits) over the CertificationRequestInfo
 *    as received (PCA_ERR_BAD_SIGNATURE);
 *  - the CSR has a non-empty subject or a subjectAltName extension
 *    (PCA_ERR_INVALID).
 * why gets the reason.
 */
int x509_csr_validate(struct x509_csr *csr, char *why, size_t whylen) PCA_MUST_CHECK;

/* The subject Name (owned by csr). */
const X509_NAME *x509_csr_subject(const struct x509_csr *csr);
/* The public key (owned by csr, built on first use); NULL when the key is
 * not one x509_csr_validate() accepts. */
EVP_PKEY *x509_csr_pkey(struct x509_csr *csr);

enum x509_csr_part {
	X509_CSR_SUBJECT,	/* DER Name */
	X509_CSR_SPKI,		/* DER SubjectPublicKeyInfo */
	X509_CSR_SAN,		/* DER GeneralNames of the requested subjectAltName */
};
/* The same bytes as x509_csr_subject_der(), x509_csr_spki_der() and
 * x509_csr_san_der() give for the same CSR; *out malloc'd. X509_CSR_SAN:
 * PCA_ERR_NOT_FOUND without one, PCA_ERR_MALFORMED when it does not decode. */
int x509_csr_part_der(struct x509_csr *csr, enum x509_csr_part part, uint8_t **out,
    size_t *len) PCA_MUST_CHECK;

/* ---- client CSRs as OpenSSL objects ------------------------------------- */

/* PEM ("-----BEGIN CERTIFICATE REQUEST-----" or "NEW CERTIFICATE REQUEST")
 * or DER. PCA_ERR_MALFORMED when neither parses or bytes trail. Slow: goes
 * through OpenSSL's decoder framework for the key (see struct x509_csr). */
int x509_csr_parse(const uint8_t *data, size_t len, X509_REQ **out) PCA_MUST_CHECK;

/* x509_csr_validate() of req (its DER encoding, re-read). */
int x509_csr_check(X509_REQ *req, char *why, size_t whylen) PCA_MUST_CHECK;

/* DER of the CSR's subject Name / SubjectPublicKeyInfo; *out malloc'd. */
int x509_csr_subject_der(X509_REQ *req, uint8_t **out, size_t *len) PCA_MUST_CHECK;
int x509_csr_spki_der(X509_REQ *req, uint8_t **out, size_t *len) PCA_MUST_CHECK;
/* DER GeneralNames of the CSR's requested subjectAltName; PCA_ERR_NOT_FOUND
 * when it has none. */
int x509_csr_san_der(X509_REQ *req, uint8_t **out, size_t *len) PCA_MUST_CHECK;

/* Certificate from PEM or DER (one certificate; trailing data refused). */
int x509_cert_parse(const uint8_t *data, size_t len, X509 **out) PCA_MUST_CHECK;
/* All PEM certificates in data, in order; at least one; anything else than
 * certificates and whitespace is PCA_ERR_MALFORMED. */
int x509_chain_parse(const uint8_t *data, size_t len, STACK_OF(X509) **out) PCA_MUST_CHECK;

/* PEM text (NUL-terminated, malloc'd) of a DER certificate / CSR: DER the
 * service made or checked before, so only its outline is checked here (one
 * signed structure of the right kind, nothing around it), not decoded. */
int x509_cert_der_to_pem(const uint8_t *der, size_t len, char **pem) PCA_MUST_CHECK;
int x509_csr_der_to_pem(const uint8_t *der, size_t len, char **pem) PCA_MUST_CHECK;
int x509_cert_to_der(X509 *x, uint8_t **der, size_t *len) PCA_MUST_CHECK;

/* DER SubjectPublicKeyInfo of pkey / parse one back. */
int x509_pkey_to_spki(EVP_PKEY *pkey, uint8_t **der, size_t *len) PCA_MUST_CHECK;
int x509_spki_to_pkey(const uint8_t *der, size_t len, EVP_PKEY **out) PCA_MUST_CHECK;
/* 1 when both keys are the same public key, 0 otherwise. */
int x509_pkey_equal(EVP_PKEY *a, EVP_PKEY *b);

/* A dotted OID in canonical form only ("2.5.29.17": digits and single dots,
 * no leading zeros, at least two arcs, first arc 0..2, second < 40 under 0
 * and 1; no names). *out is a new object; PCA_ERR_INVALID otherwise. Being
 * canonical, two valid texts name the same OID exactly when they are equal. */
int x509_oid_parse(const char *s, ASN1_OBJECT **out) PCA_MUST_CHECK;

/* Seconds since the epoch of an ASN1_TIME; PCA_ERR_INVALID if unparsable. */
int x509_time_to_epoch(const ASN1_TIME *t, int64_t *out) PCA_MUST_CHECK;
/* notBefore / notAfter of a certificate in seconds since the epoch. */
int x509_cert_validity(X509 *x, int64_t *not_before, int64_t *not_after) PCA_MUST_CHECK;

/* Serial as lower-case hex without colons ("0a1b..."), with colons
 * ("0a:1b:..."), and parse of either form back to octets (at most 20;
 * leading zero octets kept as given). */
void x509_serial_hex(const uint8_t *serial, size_t len, char *out /* >= 41 */);
void x509_serial_hex_colon(const uint8_t *serial, size_t len, char *out /* >= 60 */);
int x509_serial_parse(const char *hex, uint8_t *out, size_t *len) PCA_MUST_CHECK;
/* The serial of a certificate as lower-case hex without colons. */
int x509_cert_serial_hex(X509 *x, char *out /* >= 41 */) PCA_MUST_CHECK;

/* Subject / issuer as a one-line RFC 2253-style string ("CN=x,O=y"), malloc'd. */
char *x509_name_oneline(const X509_NAME *name);

/*
 * Verify that leaf chains to trust_anchor through chain (issuer-first, may
 * be empty), at time t (seconds; the service clock), with X509_V_FLAG_X509_STRICT.
 * PCA_ERR_BAD_SIGNATURE with why set when it does not.
 */
int x509_verify_chain(X509 *leaf, STACK_OF(X509) *chain, X509 *trust_anchor,
    int64_t t, char *why, size_t whylen) PCA_MUST_CHECK;

/* base64 (standard alphabet, padded) of data; malloc'd, NUL-terminated. */
char *b64_encode(const uint8_t *data, size_t len);
/* decode standard base64 (padding required, no whitespace); malloc'd. */
int b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen) PCA_MUST_CHECK;

/* lower-case hex of data into out (2*len+1 bytes). */
void hex_encode(const uint8_t *data, size_t len, char *out);

#endif
