/*
 * store.h - the frontend's state: accounts, access keys, CAs, certificates,
 * tags and idempotency records.
 *
 * One interface, several back ends: store_sqlite.c (embedded default, one
 * file under the data directory), later store_pg.c.
 *
 * Durability: every write function returns only after its transaction is
 * durably committed (SQLite: WAL, synchronous=FULL). Writes of concurrent
 * callers are group-committed: one writer thread gathers the jobs waiting
 * when it becomes free into one transaction (each job in its own SAVEPOINT,
 * so one failing job does not undo the others) and wakes every caller after
 * the single commit. Reads run on per-thread connections and see every write
 * whose function has returned.
 *
 * Memory: functions that fill a struct allocate its pointer members;
 * release them with the matching *_clear() (which wipes secrets). Lists are
 * malloc'd arrays freed with the matching *_list_free().
 *
 * Errors: PCA_ERR_NOT_FOUND, PCA_ERR_EXISTS (unique key taken),
 * PCA_ERR_STATE (optimistic version check failed: a concurrent change),
 * PCA_ERR_TOO_LARGE (a quota, e.g. 50 tags), PCA_ERR_DB (anything else; the
 * SQLite message is logged, never returned to clients).
 *
 * THREAD SAFETY: every function may be called from any thread.
 */
#ifndef PCA_STORE_H
#define PCA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct store;

/* Creates the file (mode 0600) and schema if needed; PCA_ERR_PERM when an
 * existing file is readable by group or others. store_close() must come
 * after every other call has returned. */
int store_open(const char *path, struct store **out) PCA_MUST_CHECK;
void store_close(struct store *st);

/* ---- accounts, users, access keys ----------------------------------- */

/* *_put inserts or updates (created_at keeps its first value); a user or
 * access key whose account (or user) does not exist is PCA_ERR_NOT_FOUND;
 * an access key id that exists under another owner is PCA_ERR_EXISTS. */

#define STORE_ACCOUNT_ID_LEN	12

struct store_account {
	char	 id[STORE_ACCOUNT_ID_LEN + 1];
	char	*name;
	int64_t	 created_at;
};

struct store_user {
	char	 account_id[STORE_ACCOUNT_ID_LEN + 1];
	char	*name;
	char	*arn;		/* arn:aws:iam::<account>:user/<name> */
	int64_t	 created_at;
};

struct store_access_key {
	char	*id;		/* "AKIA..." (20 chars) */
	char	*secret;	/* wiped by store_access_key_clear() */
	char	 account_id[STORE_ACCOUNT_ID_LEN + 1];
	char	*user_name;	/* NULL: the account root */
	char	*user_arn;	/* the user's ARN, with its path (get only); NULL: root */
	int	 active;
	int64_t	 created_at;
};

int store_account_put(struct store *st, const struct store_account *a) PCA_MUST_CHECK;
int store_account_get(struct store *st, const char *id, struct store_account *out) PCA_MUST_CHECK;
void store_account_clear(struct store_account *a);

int store_user_put(struct store *st, const struct store_user *u) PCA_MUST_CHECK;
int store_user_get(struct store *st, const char *account_id, const char *name,
    struct store_user *out) PCA_MUST_CHECK;
void store_user_clear(struct store_user *u);

int store_access_key_put(struct store *st, const struct store_access_key *k) PCA_MUST_CHECK;
int store_access_key_get(struct store *st, const char *id, struct store_access_key *out) PCA_MUST_CHECK;
void store_access_key_clear(struct store_access_key *k);

/*
 * The credentials generation: a number that changes whenever accounts,
 * users or access keys may have changed. It has changed by the time any
 * function writing them returns (whether the write succeeded or not), so a
 * cache of what those tables say stays right when it reads the generation
 * before reading the store, tags what it keeps with it, and drops
 * everything as soon as the generation differs: a key deactivated or
 * rotated stops working on the next request. Never 0 and never goes back;
 * costs an atomic load.
 *
 * Back ends: store_sqlite.c counts the writes made through this handle
 * (one frontend process owns the file; pca-frontend admin-init, the only
 * other writer, adds an account and a key, which no cache holds yet). A
 * back end shared by several frontends must also see the others' writes
 * (a counter row every such write bumps, watched by each frontend).
 * Every new write of these tables must bump it (store_sqlite.c:
 * job_run_credentials()).
 */
uint64_t store_credentials_generation(struct store *st);

/* ---- certificate authorities ----------------------------------------- */

#define STORE_CA_ID_LEN		36	/* uuid text */

/* The numeric enums are those of proto/acm_pca.proto
 * (Pca__Api__AcmPca__CertificateAuthorityStatus etc.). */
struct store_ca {
	char	 id[STORE_CA_ID_LEN + 1];
	char	 account_id[STORE_ACCOUNT_ID_LEN + 1];
	char	*arn;
	int	 type;			/* CertificateAuthorityType */
	int	 status;		/* CertificateAuthorityStatus */
	int	 status_before_delete;	/* restored to this; 0 when not deleted */
	int	 key_algorithm;		/* KeyAlgorithm */
	int	 key_storage;		/* KeyStorageSecurityStandard */
	int	 usage_mode;		/* CertificateAuthorityUsageMode */
	int	 failure_reason;	/* FailureReason, 0 none */
	uint8_t	*config;		/* packed CertificateAuthorityConfiguration */
	size_t	 config_len;
	uint8_t	*revocation;		/* packed RevocationConfiguration, NULL none */
	size_t	 revocation_len;
	uint8_t	*csr_der;		/* NULL until the key and CSR exist */
	size_t	 csr_der_len;
	uint8_t	*cert_der;		/* NULL until a certificate is imported */
	size_t	 cert_der_len;
	char	*chain_pem;		/* chain above the CA cert, NULL for a root */
	char	*serial;		/* the CA certificate's serial, colon hex */
	int64_t	 not_before;		/* of the CA certificate, 0 before import */
	int64_t	 not_after;
	int64_t	 created_at;
	int64_t	 last_state_change_at;
	int64_t	 restorable_until;	/* 0 unless DELETED with a restore window */
	int64_t	 version;		/* bumped by every update */
};

int store_ca_insert(struct store *st, const struct store_ca *ca) PCA_MUST_CHECK;
int store_ca_get(struct store *st, const char *id, struct store_ca *out) PCA_MUST_CHECK;
/* Replace the row if its version is still ca->version (then the stored
 * version becomes ca->version + 1; ca->version is updated too); otherwise
 * PCA_ERR_STATE. */
int store_ca_update(struct store *st, struct store_ca *ca) PCA_MUST_CHECK;
/* Remove the CA and everything it owns (certificates, tags) for good. */
int store_ca_purge(struct store *st, const char *id) PCA_MUST_CHECK;
/* CAs of an account in creation order, ids after `after_id` (NULL: from
 * the start), at most limit. PCA_ERR_INVALID when after_id is not a CA of
 * that account (any more). */
int store_ca_list(struct store *st, const char *account_id, const char *after_id,
    size_t limit, struct store_ca **out, size_t *n) PCA_MUST_CHECK;
/* DELETED CAs whose restore window ended at or before now (any account),
 * and CAs DELETED without a window. */
int store_ca_list_purgeable(struct store *st, int64_t now, size_t limit,
    struct store_ca **out, size_t *n) PCA_MUST_CHECK;
/* CAs in one status (any account), oldest first, at most limit (the
 * scheduler's sweeps: CREATING to finish, ACTIVE/DISABLED to expire). */
int store_ca_list_by_status(struct store *st, int status, size_t limit,
    struct store_ca **out, size_t *n) PCA_MUST_CHECK;
void store_ca_clear(struct store_ca *ca);
void store_ca_list_free(struct store_ca *cas, size_t n);

/* ---- tags (of CAs) ---------------------------------------------------- */

struct store_tag {
	char	*key;
	char	*value;	/* may be NULL */
};

/* Add or overwrite tags; PCA_ERR_TOO_LARGE (nothing written) when the CA
 * would have more than max_tags. */
int store_tags_put(struct store *st, const char *ca_id, const struct store_tag *tags,
    size_t n, size_t max_tags) PCA_MUST_CHECK;
/* Remove tags: a tag with value NULL is removed whatever its value; with a
 * value only when equal. */
int store_tags_remove(struct store *st, const char *ca_id, const struct store_tag *tags,
    size_t n) PCA_MUST_CHECK;
/* Tags sorted by key, keys after `after_key` (NULL: from the start). */
int store_tags_list(struct store *st, const char *ca_id, const char *after_key,
    size_t limit, struct store_tag **out, size_t *n) PCA_MUST_CHECK;
void store_tags_free(struct store_tag *tags, size_t n);

/* ---- certificates issued by CAs --------------------------------------- */

enum store_cert_status {
	STORE_CERT_PENDING = 1,	/* serial reserved, intent recorded, not signed yet */
	STORE_CERT_ISSUED = 2,
	STORE_CERT_FAILED = 3,	/* the signer refused; never retried */
};

struct store_cert {
	char	 ca_id[STORE_CA_ID_LEN + 1];
	char	 serial[41];		/* lower-case hex, no colons */
	int	 status;		/* enum store_cert_status */
	uint8_t	*request;		/* packed pca.signer.SignCertRequest */
	size_t	 request_len;
	uint8_t	*der;			/* NULL until ISSUED */
	size_t	 der_len;
	char	*template_arn;
	char	*requester;		/* ARN of the caller */
	char	*failure;		/* why FAILED, NULL otherwise */
	int64_t	 created_at;
	int64_t	 not_after;
};

/*
 * Idempotency: when idem_scope and idem_token are not NULL, the reservation
 * is tied to (idem_scope, idem_token). If a record with that key younger than
 * idem_window seconds (at created_at) exists, nothing is inserted, the
 * earlier serial is copied to existing_serial and PCA_ERR_EXISTS is returned.
 * Older records are replaced. Without a token, PCA_ERR_EXISTS means the
 * serial is taken (existing_serial is then set to "").
 */
int store_cert_reserve(struct store *st, const struct store_cert *pending,
    const char *idem_scope, const char *idem_token, int64_t idem_window,
    char existing_serial[41]) PCA_MUST_CHECK;
/* PENDING -> ISSUED with the certificate. PCA_ERR_STATE if not PENDING. */
int store_cert_complete(struct store *st, const char *ca_id, const char *serial,
    const uint8_t *der, size_t der_len) PCA_MUST_CHECK;
/* PENDING -> FAILED with a reason. */
int store_cert_fail(struct store *st, const char *ca_id, const char *serial,
    const char *why) PCA_MUST_CHECK;
int store_cert_get(struct store *st, const char *ca_id, const char *serial,
    struct store_cert *out) PCA_MUST_CHECK;
/* PENDING certificates (any CA), oldest first, at most limit. */
int store_cert_list_pending(struct store *st, size_t limit, struct store_cert **out,
    size_t *n) PCA_MUST_CHECK;
size_t store_cert_count(struct store *st, const char *ca_id);
void store_cert_clear(struct store_cert *c);
void store_cert_list_free(struct store_cert *certs, size_t n);

/* ---- idempotency of other operations ---------------------------------- */

/*
 * Look up or claim (scope, token): if a record younger than window seconds
 * exists, copy its result into *result (malloc'd) and return PCA_ERR_EXISTS;
 * otherwise store `result` for it and return 0.
 */
int store_idem_claim(struct store *st, const char *scope, const char *token,
    const char *result, int64_t now, int64_t window, char **existing) PCA_MUST_CHECK;
/* The result recorded for (scope, token) by store_idem_claim() or
 * store_cert_reserve(), however old (malloc'd, "" for none);
 * PCA_ERR_NOT_FOUND when nothing was recorded. */
int store_idem_lookup(struct store *st, const char *scope, const char *token, char **result)
    PCA_MUST_CHECK;

/*
 * Insert a CA together with an idempotency record (CreateCertificateAuthority):
 * atomically, like store_idem_claim() then store_ca_insert(). On a fresh
 * token within the window, PCA_ERR_EXISTS and *existing = the earlier CA ARN.
 * PCA_ERR_EXISTS with *existing NULL: the id or ARN is taken. With scope or
 * token NULL it is store_ca_insert().
 */
int store_ca_insert_idem(struct store *st, const struct store_ca *ca,
    const char *scope, const char *token, int64_t window, char **existing) PCA_MUST_CHECK;

/* ---- for tests and benchmarks ----------------------------------------- */

/* Transactions committed by the writer since store_open(). */
size_t store_commit_count(struct store *st);

#endif
