/*
 * acmpca.h - what the acm-pca handlers share: loading a CA by ARN with the
 * right typed errors, algorithm mappings, and building output shapes.
 */
#ifndef PCA_OPS_ACMPCA_H
#define PCA_OPS_ACMPCA_H

#include "acm_pca.pb-c.h"
#include "frontend.h"
#include "signer.pb-c.h"
#include "store.h"

#define CA_STATUS(x)	PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_STATUS__CertificateAuthorityStatus_##x
#define CA_TYPE(x)	PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_TYPE__CertificateAuthorityType_##x
#define KEY_ALG(x)	PCA__API__ACM_PCA__KEY_ALGORITHM__KeyAlgorithm_##x
#define SIG_ALG(x)	PCA__API__ACM_PCA__SIGNING_ALGORITHM__SigningAlgorithm_##x

#define CA_MAX_TAGS		50
#define IDEMPOTENCY_WINDOW	300	/* seconds: same token, same answer */

/*
 * Load the CA that arn names into *ca (store_ca_clear() it). Fails the
 * request with InvalidArnException for a malformed ARN and
 * ResourceNotFoundException when no CA has exactly this ARN (a CA id of
 * another account or region does not match).
 */
int ca_load(struct op_ctx *ctx, const char *arn, struct store_ca *ca);
/* The CA's 16-byte key id in the token. */
int ca_key_id(const struct store_ca *ca, uint8_t out[16]);
const char *ca_status_name(int status);
/* The wire name of an enum value ("ACTIVE"), "UNKNOWN" if not in d. */
const char *enum_wire(const ProtobufCEnumDescriptor *d, int value);

/* The idempotency scope of IssueCertificate: a token counts per caller
 * account and CA (store_idem_lookup() finds its certificate's serial). */
#define ACMPCA_ISSUE_SCOPE_MAX	128
void acmpca_issue_scope(char *out, size_t len, const char *account_id, const char *ca_id);

/* CREATING -> PENDING_CERTIFICATE: key pair in the token, CSR signed, row
 * updated; the CA is left CREATING when the signer is away, FAILED when it
 * refused (acmpca_ca.c). */
int ca_provision(struct fe_worker *w, struct store_ca *ca, char *why, size_t whylen);

/* acm-pca enums -> signer.proto enums; 0 when not supported here. */
Pca__Signer__KeyAlg keyalg_to_signer(int key_algorithm);
Pca__Signer__SigAlg sigalg_to_signer(int signing_algorithm);
/* 1 when the signing algorithm belongs to the key algorithm's family. */
int sigalg_fits_key(int signing_algorithm, int key_algorithm);
/* The signing algorithm family name of a key ("RSA"/"ECDSA"). */
const char *key_family(int key_algorithm);

/* The CertificateAuthority output shape of a stored CA (malloc'd; free with
 * protobuf_c_message_free_unpacked). NULL on failure (ctx set). */
Pca__Api__AcmPca__CertificateAuthority *ca_to_shape(struct op_ctx *ctx,
    const struct store_ca *ca);

/* Map a store error to a typed failure. */
int fail_store(struct op_ctx *ctx, int r, const char *what);
/* Map a signer error to a typed failure. */
int fail_signer(struct op_ctx *ctx, int r, const char *why);

/* Allocate an empty output message of type d. */
ProtobufCMessage *msg_new(const ProtobufCMessageDescriptor *d);
char *xstrdup(const char *s);

#endif
