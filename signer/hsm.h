/*
 * hsm.h - the PKCS#11 token, reached through p11-kit.
 *
 * One struct hsm per token: the module named by an RFC 7512 URI is loaded
 * with p11_kit_module_load() and initialized with CKF_OS_LOCKING_OK; one
 * anchor session stays logged in as the user for the life of the process
 * (CKR_USER_ALREADY_LOGGED_IN is success; sessions are never logged out on
 * close). Worker threads each own one struct hsm_session.
 *
 * CA key pairs are token objects labelled "hsmca-ca-<32 hex of id>" with
 * CKA_ID = the CA's 16-byte id. The private key is CKA_TOKEN, CKA_PRIVATE,
 * CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_SIGN only. Handles are found once at
 * hsm_open() and after a reconnect, never per request: hsm_key_find() reads
 * an in-memory table.
 *
 * Errors: PCA_ERR_TOKEN (the token refused this operation),
 * PCA_ERR_TOKEN_RETRY (the token is unavailable; the request may be retried
 * later while the hsm reconnects), PCA_ERR_NOT_FOUND, PCA_ERR_UNSUPPORTED,
 * PCA_ERR_CONFIG (bad URI, PIN file), PCA_ERR_PERM (PIN file mode).
 * Log lines carry p11_kit_strerror(rv).
 *
 * Session errors (CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
 * CKR_OBJECT_HANDLE_INVALID, CKR_USER_NOT_LOGGED_IN) make the call reopen
 * the session, log in, re-find handles and retry once. Device errors
 * (CKR_DEVICE_ERROR, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT,
 * CKR_CRYPTOKI_NOT_INITIALIZED, ...) mark the hsm down: calls answer
 * PCA_ERR_TOKEN_RETRY while hsm_recover() re-initializes with back-off.
 *
 * THREAD SAFETY: hsm_* functions taking a struct hsm_session may run
 * concurrently on different sessions. Key generation and destruction are
 * serialized internally (SoftHSM2 2.6.1 needs it); signing stays parallel.
 */
#ifndef PCA_HSM_H
#define PCA_HSM_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "err.h"

#define HSM_KEY_ID_LEN	16

enum hsm_key_alg {		/* same numbers as pca.signer.KeyAlg */
	HSM_KEY_RSA_2048 = 1,
	HSM_KEY_RSA_3072 = 2,
	HSM_KEY_RSA_4096 = 3,
	HSM_KEY_EC_P256  = 4,
	HSM_KEY_EC_P384  = 5,
};

struct hsm;
struct hsm_session;
struct hsm_key;

/*
 * Open the token named by uri, e.g.
 *   pkcs11:token=hsmca?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/var/user.pin
 * module-path or module-name must be present. The user PIN comes from
 * pin-source (a file of mode 0600 or stricter, owned by us; trailing newline
 * allowed, other trailing bytes refused) or pin-value; it is wiped right
 * after C_Login. Finds every CA key on the token.
 */
int hsm_open(const char *uri, struct hsm **out) PCA_MUST_CHECK;
void hsm_close(struct hsm *hsm);

int hsm_session_open(struct hsm *hsm, struct hsm_session **out) PCA_MUST_CHECK;
void hsm_session_close(struct hsm_session *s);

/* Generate a CA key pair with id (HSM_KEY_ID_LEN bytes). PCA_ERR_EXISTS if
 * a key with this id exists. *out is owned by the hsm. */
int hsm_key_generate(struct hsm_session *s, const uint8_t *id,
    enum hsm_key_alg alg, const struct hsm_key **out) PCA_MUST_CHECK;
/* The key with this id, or NULL. No token call. */
const struct hsm_key *hsm_key_find(struct hsm *hsm, const uint8_t *id);
/* Destroy both halves of the key pair. The struct stays valid (marked
 * destroyed) until hsm_close(), so concurrent users never see freed memory;
 * hsm_key_find() no longer returns it. */
int hsm_key_destroy(struct hsm_session *s, const uint8_t *id) PCA_MUST_CHECK;
size_t hsm_key_count(struct hsm *hsm);

enum hsm_key_alg hsm_key_alg(const struct hsm_key *k);
/* the public key (borrowed; lives as long as the hsm) */
EVP_PKEY *hsm_key_public(const struct hsm_key *k);
/* the DER SubjectPublicKeyInfo of that key (borrowed; lives as long as the
 * hsm), encoded once when the key was found or made: compare keys by these
 * bytes rather than by decoding or encoding one per request */
const uint8_t *hsm_key_spki(const struct hsm_key *k, size_t *len);
const uint8_t *hsm_key_id(const struct hsm_key *k);

/*
 * Sign data with key k. md_nid is NID_sha256, NID_sha384 or NID_sha512.
 * RSA keys: PKCS#1 v1.5 (CKM_SHA*_RSA_PKCS, or the digest with CKM_RSA_PKCS).
 * EC keys: the digest is computed here and signed with CKM_ECDSA (SoftHSM2
 * 2.6.1 has no CKM_ECDSA_SHA256); the r||s answer is DER-encoded
 * (ECDSA-Sig-Value). *sig is malloc'd; the caller frees it.
 * The caller verifies the signature (tbs.c) before using it.
 */
int hsm_sign(struct hsm_session *s, const struct hsm_key *k, int md_nid,
    const uint8_t *data, size_t len, uint8_t **sig, size_t *siglen) PCA_MUST_CHECK;

/* len bytes from the token's RNG (C_GenerateRandom). */
int hsm_random(struct hsm_session *s, uint8_t *buf, size_t len) PCA_MUST_CHECK;

/*
 * Data-key wrapping (envelope encryption of managed certificates' keys).
 *
 * The wrapping key is one AES-256 secret key object per token, labelled
 * HSM_WRAP_KEY_LABEL, made inside the token (C_GenerateKey) with CKA_TOKEN,
 * CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE, not CKA_MODIFIABLE,
 * CKA_ENCRYPT and CKA_DECRYPT only. Its handle is found with the CA keys (at
 * hsm_open(), after a session repair or a recovery), never per request. A
 * key under that label that is not such a key (another type or size,
 * extractable, not sensitive, public), or two objects under it, are refused
 * and logged: nothing is wrapped or unwrapped until an operator removes the
 * odd object, and no second key is made beside them.
 *
 * XXX rotation: the id is in the label and in every wrapped blob
 * (signer/op_wrap.c); only HSM_WRAP_KEY_ID is looked for so far.
 */
#define HSM_WRAP_KEY_ID		1
#define HSM_WRAP_KEY_LABEL	"hsmca-wrap-1"
#define HSM_WRAP_KEY_BYTES	32		/* AES-256 */
#define HSM_WRAP_IV_LEN		12		/* GCM nonce, from the token's RNG */
#define HSM_WRAP_TAG_LEN	16		/* GCM tag, 128 bits */
#define HSM_WRAP_DATA_MAX	1024		/* plaintext per call */

/*
 * Make sure the wrapping key is known: without a handle yet, look for it on
 * the token and, when create is set and the token has none, generate it.
 * Serialized with key generation, and the look-up and the generation are one
 * step of the session-repair loop, so concurrent callers (or a token that
 * logged us out, hiding private objects) never make a second key. A call
 * with the handle known makes no token call.
 * Errors: PCA_ERR_NOT_FOUND (no key and create is 0), PCA_ERR_TOKEN (an odd
 * object holds the label; see above), PCA_ERR_TOKEN_RETRY.
 */
int hsm_wrap_key_ensure(struct hsm_session *s, int create) PCA_MUST_CHECK;

/*
 * AES-256-GCM under the wrapping key (C_Encrypt, CKM_AES_GCM, 128-bit tag):
 * in (1..HSM_WRAP_DATA_MAX bytes) becomes in_len + HSM_WRAP_TAG_LEN bytes of
 * ciphertext and tag in out. iv must be fresh for every call (hsm_random());
 * aad (up to HSM_WRAP_DATA_MAX bytes, may be empty) is authenticated, not
 * encrypted. Call hsm_wrap_key_ensure() first.
 */
int hsm_wrap_encrypt(struct hsm_session *s, const uint8_t iv[HSM_WRAP_IV_LEN],
    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
    uint8_t *out) PCA_MUST_CHECK;

/*
 * The reverse: in is ciphertext and tag (in_len > HSM_WRAP_TAG_LEN); out
 * gets in_len - HSM_WRAP_TAG_LEN bytes. PCA_ERR_BAD_SIGNATURE when the tag
 * does not verify (another key, aad or iv, a changed byte); out is then
 * wiped. That answer never takes the token down (SoftHSM2 2.6.1 reports a
 * failed tag as CKR_GENERAL_ERROR; see hsm.c).
 */
int hsm_wrap_decrypt(struct hsm_session *s, const uint8_t iv[HSM_WRAP_IV_LEN],
    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
    uint8_t *out) PCA_MUST_CHECK;

/* Nonzero while the token answers; hsm_recover() tries to bring a down
 * token back (re-initialize, log in, re-find keys) and returns 0 once up. */
int hsm_is_up(struct hsm *hsm);
int hsm_recover(struct hsm *hsm);

const char *hsm_token_label(struct hsm *hsm);

/*
 * Initialize a token: module_path is the PKCS#11 module; the first slot
 * without an initialized token gets label, the SO PIN and the user PIN
 * (C_InitToken, C_InitPIN). PINs are read from the given files (mode 0600)
 * and wiped after use. PCA_ERR_EXISTS when a token with label exists.
 */
int hsm_token_init(const char *module_path, const char *label,
    const char *so_pin_file, const char *user_pin_file) PCA_MUST_CHECK;

/* Read a PIN (or other secret) file: refuses modes looser than 0600 and
 * files not owned by the caller; strips one trailing newline; refuses empty
 * files and NUL or further newline bytes. *out is malloc'd; free it with
 * str_free_wiped(). */
int secret_file_read(const char *path, char **out) PCA_MUST_CHECK;

#endif
