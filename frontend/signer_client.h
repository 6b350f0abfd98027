/*
 * signer_client.h - the frontend's side of proto/signer.proto.
 *
 * One struct signer_conn per thread (a plain REQ socket: one outstanding
 * request at a time). The wrappers mirror the signer's handlers
 * (signer/op_*.c). Results: 0; the signer's own status when it refused
 * (PCA_ERR_POLICY, PCA_ERR_INVALID, PCA_ERR_NOT_FOUND, ..., why set from
 * its message); PCA_ERR_UNAVAILABLE when it did not answer in time or
 * answered PCA_ERR_TOKEN_RETRY (a retryable error for the client).
 */
#ifndef PCA_SIGNER_CLIENT_H
#define PCA_SIGNER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "signer.pb-c.h"

struct signer_conn;

int signer_conn_open(const char *url, int timeout_ms, struct signer_conn **out) PCA_MUST_CHECK;
void signer_conn_close(struct signer_conn *c);

/* req's body must be set; version and id are filled here. *resp is the
 * unpacked answer (status 0), free with pca__signer__response__free_unpacked. */
int signer_call(struct signer_conn *c, Pca__Signer__Request *req, int timeout_ms,
    Pca__Signer__Response **resp, char *why, size_t whylen) PCA_MUST_CHECK;

int signer_client_health(struct signer_conn *c, int *token_ok, unsigned *keys,
    char *why, size_t whylen) PCA_MUST_CHECK;
int signer_client_generate_key(struct signer_conn *c, const uint8_t key_id[16],
    Pca__Signer__KeyAlg alg, int timeout_ms, uint8_t **spki, size_t *spki_len,
    char *why, size_t whylen) PCA_MUST_CHECK;
int signer_client_get_public_key(struct signer_conn *c, const uint8_t key_id[16],
    uint8_t **spki, size_t *spki_len, char *why, size_t whylen) PCA_MUST_CHECK;
int signer_client_destroy_key(struct signer_conn *c, const uint8_t key_id[16],
    char *why, size_t whylen) PCA_MUST_CHECK;
int signer_client_random(struct signer_conn *c, uint8_t *buf, size_t len,
    char *why, size_t whylen) PCA_MUST_CHECK;
int signer_client_sign_csr(struct signer_conn *c, const Pca__Signer__SignCsrRequest *req,
    uint8_t **csr, size_t *csr_len, char *why, size_t whylen) PCA_MUST_CHECK;
int signer_client_sign_cert(struct signer_conn *c, const Pca__Signer__SignCertRequest *req,
    uint8_t **der, size_t *der_len, char *why, size_t whylen) PCA_MUST_CHECK;
/* The same with the SignCertRequest already packed (as the store records
 * it): its bytes go out as they are, not unpacked and packed again. */
int signer_client_sign_cert_packed(struct signer_conn *c, const uint8_t *req, size_t len,
    uint8_t **der, size_t *der_len, char *why, size_t whylen) PCA_MUST_CHECK;

/*
 * Envelope encryption of managed certificates' private keys. Wrap data_key
 * (SIGNER_DATA_KEY_MIN..MAX bytes) under the token's wrapping key, bound to
 * context (up to SIGNER_WRAP_CONTEXT_MAX bytes; the certificate's ARN):
 * *wrapped is malloc'd (not secret: store it with the encrypted key);
 * key_label (may be NULL; SIGNER_WRAP_LABEL_MAX bytes are enough) gets the
 * label of the token key it is wrapped under. The request's copies of
 * data_key are wiped here; data_key itself is the caller's to wipe.
 */
int signer_client_wrap_data_key(struct signer_conn *c, const uint8_t *data_key,
    size_t data_key_len, const uint8_t *context, size_t context_len, uint8_t **wrapped,
    size_t *wrapped_len, char *key_label, size_t key_label_size, char *why,
    size_t whylen) PCA_MUST_CHECK;
/*
 * The reverse: the data key goes to data_key (cap bytes; SIGNER_DATA_KEY_MAX
 * are enough), its length to *data_key_len. Every copy the answer made is
 * wiped here; the caller wipes data_key after use (explicit_bzero).
 * PCA_ERR_BAD_SIGNATURE: another context, or a changed blob;
 * PCA_ERR_MALFORMED: not a wrapped key of a known version or size;
 * PCA_ERR_NOT_FOUND: wrapped under a key the token does not have.
 */
int signer_client_unwrap_data_key(struct signer_conn *c, const uint8_t *wrapped,
    size_t wrapped_len, const uint8_t *context, size_t context_len, uint8_t *data_key,
    size_t cap, size_t *data_key_len, char *why, size_t whylen) PCA_MUST_CHECK;

#endif
