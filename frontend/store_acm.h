/*
 * store_acm.h - managed certificates (the acm service): certificates the
 * service requested from a private CA for an account, or that the account
 * imported, their encrypted private keys, renewal state and renewal events.
 * Same back end, rules and guarantees as store.h (durable group-committed
 * writes; PCA_ERR_NOT_FOUND / _EXISTS / _STATE / _DB; *_clear() and
 * *_list_free() release what functions fill in and wipe key material).
 *
 * Keys at rest: a certificate's private key is stored only as
 * key_ciphertext (the PKCS#8 DER encrypted with AES-256-GCM under a random
 * per-certificate data key, key_iv and key_tag) and wrapped_data_key (the
 * data key encrypted by the token's wrapping key through the signer). The
 * store never sees a plaintext key.
 *
 * The key blobs are stored and returned byte for byte as given. Every
 * write that frees a stored copy of them (update, delete) runs with SQLite's
 * secure_delete fully on, so the pages it frees are zeroed in the file
 * (the rest of the store uses FAST, which leaves freed overflow pages, and
 * key blobs usually land on overflow pages next to the PEMs).
 *
 * Numeric enums are those of proto/acm.proto (CertificateStatus,
 * CertificateType, KeyAlgorithm, RenewalStatus, FailureReason); 0 = unset.
 *
 * Implemented in store_sqlite_acm.c (schema versions 3 and 4).
 */
#ifndef PCA_STORE_ACM_H
#define PCA_STORE_ACM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_ACM_ID_LEN	36	/* uuid: arn:aws:acm:<region>:<account>:certificate/<id> */

struct store_acm_cert {
	char	 id[STORE_ACM_ID_LEN + 1];
	char	 account_id[STORE_ACCOUNT_ID_LEN + 1];
	char	*arn;
	char	*domain_name;
	char	**sans;			/* SubjectAlternativeNames, domain first;
					 * NULL when nsans is 0 */
	size_t	 nsans;
	char	*ca_arn;		/* issuing private CA; NULL for IMPORTED */
	int	 type;			/* CertificateType: PRIVATE or IMPORTED */
	int	 status;		/* CertificateStatus */
	int	 key_algorithm;		/* KeyAlgorithm */
	char	*serial;		/* colon hex as ACM shows it; NULL before issue */
	char	*subject;
	char	*issuer;
	char	*signature_algorithm;	/* "SHA256WITHRSA" */
	int64_t	 not_before, not_after;
	char	*cert_pem;		/* the current certificate */
	char	*chain_pem;		/* its chain (issuer first) */
	/* the private key, encrypted (see above); lengths in bytes. All or
	 * nothing: key_ciphertext and wrapped_data_key both NULL (no key
	 * yet; key_iv and key_tag are then zeros) or both non-empty. */
	uint8_t	*key_ciphertext;
	size_t	 key_ciphertext_len;
	uint8_t	 key_iv[12];
	uint8_t	 key_tag[16];
	uint8_t	*wrapped_data_key;
	size_t	 wrapped_data_key_len;
	/* renewal (API.md 4.4) */
	int	 exported_since_issue;	/* eligible once exported after issue/renewal */
	int	 renewal_status;	/* RenewalStatus, 0 = no renewal yet */
	int	 renewal_reason;	/* FailureReason of a FAILED renewal, else 0 */
	int64_t	 renewal_updated_at;
	int	 renewal_attempts;	/* consecutive failures */
	int64_t	 next_attempt_at;	/* back-off: not before this */
	char	*requested_by;		/* principal ARN that requested it */
	int64_t	 created_at, issued_at, imported_at;
	int64_t	 version;		/* optimistic concurrency, set by the store */
};

/* Insert a new certificate; the stored version is 1 (c->version is
 * ignored). PCA_ERR_EXISTS: id or ARN taken; PCA_ERR_NOT_FOUND: no such
 * account; PCA_ERR_INVALID: id, account_id, arn or domain_name missing, a
 * NULL SAN, a SAN that is not UTF-8, or key fields not all-or-nothing. */
int store_acm_cert_insert(struct store *st, const struct store_acm_cert *c) PCA_MUST_CHECK;
/* By id; PCA_ERR_NOT_FOUND. */
int store_acm_cert_get(struct store *st, const char *id, struct store_acm_cert *out) PCA_MUST_CHECK;
/* Replace every field when c->version matches the stored one (then
 * c->version is incremented); PCA_ERR_STATE when someone changed it since
 * it was read, PCA_ERR_NOT_FOUND when it is gone. Identity (id,
 * account_id, arn) and created_at never change: those of c are not
 * written. Used by issue, export (exported_since_issue), renewal and
 * re-import. Same PCA_ERR_INVALID rules as insert. */
int store_acm_cert_update(struct store *st, struct store_acm_cert *c) PCA_MUST_CHECK;
/* Delete the certificate with its key, tags and renewal events;
 * PCA_ERR_NOT_FOUND. */
int store_acm_cert_delete(struct store *st, const char *id) PCA_MUST_CHECK;

/* Certificates of an account by id, ids after `after` (NULL: from the
 * start; it need not exist any more), at most limit; statuses/key
 * algorithms: when n* > 0, only those values (the ListCertificates
 * filters; each value 1..62, else PCA_ERR_INVALID). Rows are whole,
 * encrypted key included. */
int store_acm_cert_list(struct store *st, const char *account_id, const int *statuses,
    size_t nstatuses, const int *key_algorithms, size_t nkey_algorithms, const char *after,
    size_t limit, struct store_acm_cert **out, size_t *n) PCA_MUST_CHECK;

/* Renewal candidates (any account): type PRIVATE, status ISSUED,
 * exported_since_issue, not yet expired (now < not_after: API.md 4.4, an
 * expired certificate is not eligible), not_after - window <= now,
 * next_attempt_at <= now; by not_after (then id), those after the cursor
 * (after_not_after, after_id) (after_id NULL: from the start), at most
 * limit. */
int store_acm_cert_list_due(struct store *st, int64_t now, int64_t window,
    int64_t after_not_after, const char *after_id, size_t limit,
    struct store_acm_cert **out, size_t *n) PCA_MUST_CHECK;

/* NULL-safe; wipes the key blobs. */
void store_acm_cert_clear(struct store_acm_cert *c);
void store_acm_cert_list_free(struct store_acm_cert *c, size_t n);

/* Tags of a managed certificate (store.h struct store_tag), with the rules
 * of store_tags_put() and store_tags_remove(): put adds or overwrites, at
 * most max in all (PCA_ERR_TOO_LARGE, nothing written); remove takes a tag
 * with value NULL whatever its value, else only when equal. A NULL key is
 * PCA_ERR_INVALID; no such certificate is PCA_ERR_NOT_FOUND. The list is
 * sorted by key; free it with store_tags_free(). */
int store_acm_tags_put(struct store *st, const char *cert_id, const struct store_tag *tags,
    size_t n, size_t max) PCA_MUST_CHECK;
int store_acm_tags_remove(struct store *st, const char *cert_id, const struct store_tag *tags,
    size_t n) PCA_MUST_CHECK;
int store_acm_tags_list(struct store *st, const char *cert_id, struct store_tag **out,
    size_t *n) PCA_MUST_CHECK;

/* One renewal attempt's outcome, kept for the owner to list. */
struct store_renewal_event {
	int64_t	 seq;			/* set by the store */
	char	 cert_id[STORE_ACM_ID_LEN + 1];
	char	 account_id[STORE_ACCOUNT_ID_LEN + 1];
	int64_t	 at;			/* service clock */
	int	 renewal_status;	/* SUCCESS or FAILED (or PENDING_AUTO_RENEWAL) */
	int	 reason;		/* FailureReason, 0 on success */
	char	*detail;		/* one line: the error the CA gave */
	char	*new_serial;		/* on success */
};

/* e->seq is ignored: the store numbers events in append order, never
 * reusing a number. PCA_ERR_NOT_FOUND unless cert_id is a certificate of
 * account_id. Events are deleted with their certificate. */
int store_renewal_event_append(struct store *st, const struct store_renewal_event *e)
    PCA_MUST_CHECK;
/* Events of an account (cert_id NULL: all its certificates) after seq
 * `after` (0: from the start), oldest first, at most limit. */
int store_renewal_event_list(struct store *st, const char *account_id, const char *cert_id,
    int64_t after, size_t limit, struct store_renewal_event **out, size_t *n) PCA_MUST_CHECK;
void store_renewal_event_list_free(struct store_renewal_event *e, size_t n);

/*
 * A renewal in flight: the new key (sealed like a certificate's) and the
 * IdempotencyToken of its IssueCertificate, written before the CA is
 * asked, so that a renewal taken over after a crash asks for (and finds)
 * the same certificate instead of having the CA issue another one.
 * for_serial is the certificate's serial the renewal replaces: an intent
 * for another serial is stale.
 */
#define STORE_ACM_TOKEN_MAX	64

struct store_acm_renew_intent {
	char	 cert_id[STORE_ACM_ID_LEN + 1];
	char	*for_serial;
	char	 token[STORE_ACM_TOKEN_MAX + 1];
	uint8_t	*key_ciphertext;	/* both non-empty */
	size_t	 key_ciphertext_len;
	uint8_t	 key_iv[12];
	uint8_t	 key_tag[16];
	uint8_t	*wrapped_data_key;
	size_t	 wrapped_data_key_len;
	int64_t	 created_at;
};

/* Insert or replace the intent of i->cert_id; PCA_ERR_NOT_FOUND: no such
 * certificate; PCA_ERR_INVALID: a field missing. */
int store_acm_intent_put(struct store *st, const struct store_acm_renew_intent *i)
    PCA_MUST_CHECK;
/* PCA_ERR_NOT_FOUND when there is none. */
int store_acm_intent_get(struct store *st, const char *cert_id,
    struct store_acm_renew_intent *out) PCA_MUST_CHECK;
/* 0 whether or not there was one (its key blobs zeroed in the file);
 * deleting the certificate deletes it too. */
int store_acm_intent_delete(struct store *st, const char *cert_id) PCA_MUST_CHECK;
/* NULL-safe; wipes the key blobs. */
void store_acm_intent_clear(struct store_acm_renew_intent *i);

#endif
