/*
 * store_sqlite_acm.c - store_acm.h on the SQLite back end of store_sqlite.c:
 * managed certificates, their tags and their renewal events (schema
 * version 3: tables acm_certs, acm_tags, renewal_events).
 *
 * Same machinery as store_sqlite.c (store_sqlite_internal.h): writes are
 * jobs of the one writer thread, each in its own savepoint of a group
 * commit; reads use the pooled read connections. The SQL lives in one
 * table, acm_sql[], cached per connection in conn->acm[]. No write here
 * touches what credentials or authorization decisions read, so jobs carry
 * no generation flag.
 *
 * Key material: the store keeps the encrypted key exactly as it is given
 * (see store_acm.h) and never encrypts, decrypts or logs it. What it adds
 * is on the way out: a row carrying key blobs is large (PEMs too), so the
 * blobs usually sit on overflow pages, which the writer's usual
 * secure_delete = FAST leaves unzeroed on the freelist when the row is
 * rewritten or deleted. Every update and delete of acm_certs therefore runs
 * with secure_delete = ON (zeroes every page it frees) and switches back to
 * FAST afterwards; inserts free nothing. cert_clear() wipes the copies in
 * memory.
 *
 * SubjectAlternativeNames are one JSON array of strings in acm_certs.sans:
 * they are always read and written together with the certificate.
 */
#include "store_acm.h"
#include "store_sqlite_internal.h"
#include "log.h"
#include "wipe.h"

#include "acm.pb-c.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* The partial index acm_certs_due and AS_CERT_LIST_DUE spell these as
 * literals (so the planner can use the index). */
_Static_assert(PCA__API__ACM__CERTIFICATE_TYPE__CertificateType_PRIVATE == 3,
    "acm_certs_due assumes PRIVATE == 3");
_Static_assert(PCA__API__ACM__CERTIFICATE_STATUS__CertificateStatus_ISSUED == 2,
    "acm_certs_due assumes ISSUED == 2");

/* List filters travel as a bit mask of values: 1 << value. */
#define ACM_FILTER_MAX	62

/* ---- statements ---------------------------------------------------------- */

enum acm_stmt {
	AS_SECURE_DELETE_ON,
	AS_SECURE_DELETE_FAST,

	AS_CERT_INSERT,
	AS_CERT_GET,
	AS_CERT_UPDATE,
	AS_CERT_EXISTS,
	AS_CERT_DELETE_TAGS,
	AS_CERT_DELETE_EVENTS,
	AS_CERT_DELETE_INTENT,
	AS_CERT_DELETE,
	AS_CERT_LIST,
	AS_CERT_LIST_DUE,

	AS_TAG_PUT,
	AS_TAG_COUNT,
	AS_TAG_REMOVE,
	AS_TAG_LIST,

	AS_EVENT_APPEND,
	AS_EVENT_LIST_ACCOUNT,
	AS_EVENT_LIST_CERT,

	AS_INTENT_PUT,
	AS_INTENT_GET,
	AS_INTENT_DELETE,
	AS__COUNT
};
_Static_assert(AS__COUNT <= STORE_ACM_STMT_MAX, "raise STORE_ACM_STMT_MAX");

/* Column order shared by cert_bind() and cert_row(): ?1..?32. */
#define ACM_COLS "id, account_id, arn, domain_name, sans, ca_arn, type, status, " \
	"key_algorithm, serial, subject, issuer, signature_algorithm, not_before, " \
	"not_after, cert_pem, chain_pem, key_ciphertext, key_iv, key_tag, " \
	"wrapped_data_key, exported_since_issue, renewal_status, renewal_reason, " \
	"renewal_updated_at, renewal_attempts, next_attempt_at, requested_by, " \
	"created_at, issued_at, imported_at, version"
enum {
	AC_ID, AC_ACCOUNT_ID, AC_ARN, AC_DOMAIN_NAME, AC_SANS, AC_CA_ARN, AC_TYPE,
	AC_STATUS, AC_KEY_ALGORITHM, AC_SERIAL, AC_SUBJECT, AC_ISSUER, AC_SIGALG,
	AC_NOT_BEFORE, AC_NOT_AFTER, AC_CERT_PEM, AC_CHAIN_PEM, AC_KEY_CT, AC_KEY_IV,
	AC_KEY_TAG, AC_WRAPPED_KEY, AC_EXPORTED, AC_RENEWAL_STATUS, AC_RENEWAL_REASON,
	AC_RENEWAL_UPDATED_AT, AC_RENEWAL_ATTEMPTS, AC_NEXT_ATTEMPT_AT, AC_REQUESTED_BY,
	AC_CREATED_AT, AC_ISSUED_AT, AC_IMPORTED_AT, AC_VERSION, AC__COUNT
};
#define EVENT_COLS "seq, cert_id, account_id, at, renewal_status, reason, detail, " \
	"new_serial"

/*
 * Paging: "after" is bound as '' when absent; ids are never empty, so
 * "> ''" is "from the start" and the index serves the range. Filters are
 * bit masks (0: no filter); stored values outside 1..62 never match one.
 */
static const char *const acm_sql[AS__COUNT] = {
	[AS_SECURE_DELETE_ON]	= "PRAGMA secure_delete = ON",
	/* what conn_open() gives the writer */
	[AS_SECURE_DELETE_FAST]	= "PRAGMA secure_delete = FAST",

	/* a new certificate starts at version 1 */
	[AS_CERT_INSERT]	= "INSERT INTO acm_certs(" ACM_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, "
				  "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
				  "?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, "
				  "?31, 1)",
	[AS_CERT_GET]		= "SELECT " ACM_COLS " FROM acm_certs WHERE id = ?1",
	/* identity (id, account, arn) and created_at never change */
	[AS_CERT_UPDATE]	= "UPDATE acm_certs SET domain_name = ?4, sans = ?5, ca_arn = ?6, "
				  "type = ?7, status = ?8, key_algorithm = ?9, serial = ?10, "
				  "subject = ?11, issuer = ?12, signature_algorithm = ?13, "
				  "not_before = ?14, not_after = ?15, cert_pem = ?16, "
				  "chain_pem = ?17, key_ciphertext = ?18, key_iv = ?19, "
				  "key_tag = ?20, wrapped_data_key = ?21, "
				  "exported_since_issue = ?22, renewal_status = ?23, "
				  "renewal_reason = ?24, renewal_updated_at = ?25, "
				  "renewal_attempts = ?26, next_attempt_at = ?27, "
				  "requested_by = ?28, issued_at = ?30, imported_at = ?31, "
				  "version = ?32 + 1 WHERE id = ?1 AND version = ?32",
	[AS_CERT_EXISTS]	= "SELECT 1 FROM acm_certs WHERE id = ?1",
	[AS_CERT_DELETE_TAGS]	= "DELETE FROM acm_tags WHERE cert_id = ?1",
	[AS_CERT_DELETE_EVENTS]	= "DELETE FROM renewal_events WHERE cert_id = ?1",
	[AS_CERT_DELETE_INTENT]	= "DELETE FROM acm_renew_intents WHERE cert_id = ?1",
	[AS_CERT_DELETE]	= "DELETE FROM acm_certs WHERE id = ?1",
	[AS_CERT_LIST]		= "SELECT " ACM_COLS " FROM acm_certs WHERE account_id = ?1 "
				  "AND id > ?2 "
				  "AND (?3 = 0 OR ((?3 >> status) & 1) = 1) "
				  "AND (?4 = 0 OR ((?4 >> key_algorithm) & 1) = 1) "
				  "ORDER BY id LIMIT ?5",
	/* the literal terms are those of the partial index acm_certs_due;
	 * ?1 = now + window (saturated), ?2 = now */
	[AS_CERT_LIST_DUE]	= "SELECT " ACM_COLS " FROM acm_certs WHERE type = 3 "
				  "AND status = 2 AND exported_since_issue = 1 "
				  "AND not_after <= ?1 AND not_after > ?2 "
				  "AND (not_after, id) > (?4, ?5) "
				  "AND next_attempt_at <= ?2 ORDER BY not_after, id LIMIT ?3",

	[AS_TAG_PUT]		= "INSERT INTO acm_tags(cert_id, key, value) VALUES(?1, ?2, ?3) "
				  "ON CONFLICT(cert_id, key) DO UPDATE SET value = excluded.value",
	[AS_TAG_COUNT]		= "SELECT count(*) FROM acm_tags WHERE cert_id = ?1",
	[AS_TAG_REMOVE]		= "DELETE FROM acm_tags WHERE cert_id = ?1 AND key = ?2 "
				  "AND (?3 IS NULL OR value IS ?3)",
	[AS_TAG_LIST]		= "SELECT key, value FROM acm_tags WHERE cert_id = ?1 ORDER BY key",

	/* inserts nothing unless the certificate is the account's */
	[AS_EVENT_APPEND]	= "INSERT INTO renewal_events(cert_id, account_id, at, "
				  "renewal_status, reason, detail, new_serial) "
				  "SELECT id, account_id, ?3, ?4, ?5, ?6, ?7 FROM acm_certs "
				  "WHERE id = ?1 AND account_id = ?2",
	[AS_EVENT_LIST_ACCOUNT]	= "SELECT " EVENT_COLS " FROM renewal_events "
				  "WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
	[AS_EVENT_LIST_CERT]	= "SELECT " EVENT_COLS " FROM renewal_events "
				  "WHERE cert_id = ?4 AND account_id = ?1 AND seq > ?2 "
				  "ORDER BY seq LIMIT ?3",
	[AS_INTENT_PUT]		= "INSERT INTO acm_renew_intents(cert_id, for_serial, token, "
				  "key_ciphertext, key_iv, key_tag, wrapped_data_key, created_at) "
				  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(cert_id) DO "
				  "UPDATE SET for_serial = excluded.for_serial, token = excluded.token, "
				  "key_ciphertext = excluded.key_ciphertext, key_iv = excluded.key_iv, "
				  "key_tag = excluded.key_tag, wrapped_data_key = "
				  "excluded.wrapped_data_key, created_at = excluded.created_at",
	[AS_INTENT_GET]		= "SELECT cert_id, for_serial, token, key_ciphertext, key_iv, "
				  "key_tag, wrapped_data_key, created_at FROM acm_renew_intents "
				  "WHERE cert_id = ?1",
	[AS_INTENT_DELETE]	= "DELETE FROM acm_renew_intents WHERE cert_id = ?1",
};

static int
acm_stmt(struct conn *c, enum acm_stmt id, sqlite3_stmt **out)
{
	return stmt_prepare(c, &c->acm[id], acm_sql[id], out);
}

/* Run a cached statement that takes at most the id as ?1, to completion;
 * *changes (may be NULL) the rows it changed. */
static int
acm_exec_id(struct conn *c, enum acm_stmt id, const char *cert_id, int *changes)
{
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if (changes != NULL)
		*changes = 0;
	if ((r = acm_stmt(c, id, &s)) != 0)
		return r;
	if (cert_id != NULL)
		bind_text(s, 1, cert_id, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	/* a PRAGMA answers with a row: run it to the end */
	while ((r = STEP(c, s)) == 1)
		;
	if (r == 0 && changes != NULL)
		*changes = sqlite3_changes(c->db);
 out:
	stmt_done(s);
	return r;
}

/* 0 when the certificate exists, PCA_ERR_NOT_FOUND when not. */
static int
cert_exists(struct conn *c, const char *id)
{
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = acm_stmt(c, AS_CERT_EXISTS, &s)) != 0)
		return r;
	bind_text(s, 1, id, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) >= 0)
		r = r == 1 ? 0 : PCA_ERR_NOT_FOUND;
 out:
	stmt_done(s);
	return r;
}

/* Zero every page the writes up to secure_delete_end() free. */
static int
secure_delete_begin(struct conn *c)
{
	return acm_exec_id(c, AS_SECURE_DELETE_ON, NULL, NULL);
}

/* Back to the writer's FAST: keeps r, or reports a failure to switch
 * back (the connection then zeroes more than it needs, never less). */
static int
secure_delete_end(struct conn *c, int r)
{
	int r2;

	if ((r2 = acm_exec_id(c, AS_SECURE_DELETE_FAST, NULL, NULL)) != 0)
		log_error_fr(r2, "secure_delete back to FAST");
	return r;
}

/* ---- SANs: a JSON array of strings ---------------------------------------- */

static int
sans_encode(char *const *sans, size_t n, char **out)
{
	json_t *a, *v;
	size_t i;
	int r = PCA_ERR_NOMEM;

	*out = NULL;
	if ((a = json_array()) == NULL)
		return PCA_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		/* NULL when not UTF-8 (or out of memory): a caller's value */
		if ((v = json_string(sans[i])) == NULL) {
			r = PCA_ERR_INVALID;
			goto out;
		}
		if (json_array_append_new(a, v) != 0)
			goto out;
	}
	if ((*out = json_dumps(a, JSON_COMPACT)) == NULL)
		goto out;
	r = 0;
 out:
	json_decref(a);
	return r;
}

static void
sans_free(char **sans, size_t n)
{
	size_t i;

	if (sans == NULL)
		return;
	for (i = 0; i < n; i++)
		free(sans[i]);
	free(sans);
}

/* The stored array into a malloc'd vector (NULL when empty). */
static int
sans_decode(sqlite3_stmt *s, int col, char ***out, size_t *n)
{
	const char *text;
	json_t *a = NULL, *v;
	char **sans = NULL;
	size_t i, len = 0;
	int r = PCA_ERR_DB;

	*out = NULL;
	*n = 0;
	if ((text = (const char *)sqlite3_column_text(s, col)) == NULL ||
	    (a = json_loads(text, 0, NULL)) == NULL ||
	    !json_is_array(a)) {
		log_error("acm_certs.sans: not a JSON array");
		goto out;
	}
	if ((len = json_array_size(a)) == 0) {
		r = 0;
		goto out;
	}
	if ((sans = calloc(len, sizeof(*sans))) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (!json_is_string(v = json_array_get(a, i))) {
			log_error("acm_certs.sans: not an array of strings");
			goto out;
		}
		if ((sans[i] = strdup(json_string_value(v))) == NULL) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
	}
	*out = sans;
	*n = len;
	sans = NULL;
	r = 0;
 out:
	sans_free(sans, len);
	json_decref(a);
	return r;
}

/* ---- rows ------------------------------------------------------------------ */

/* What the schema also checks, answered as PCA_ERR_INVALID before the
 * writer sees it. */
static int
cert_valid(const struct store_acm_cert *c)
{
	size_t i;

	if (!FIXED_OK(c->id) || !FIXED_OK(c->account_id) || c->arn == NULL ||
	    c->domain_name == NULL || (c->sans == NULL && c->nsans != 0))
		return 0;
	for (i = 0; i < c->nsans; i++)
		if (c->sans[i] == NULL)
			return 0;
	/* the encrypted key: all or nothing, and never empty */
	if (c->key_ciphertext == NULL)
		return c->wrapped_data_key == NULL;
	return c->key_ciphertext_len > 0 && c->wrapped_data_key != NULL &&
	    c->wrapped_data_key_len > 0;
}

/* Bind ?1..?31 in ACM_COLS order (the version, ?32, is the caller's);
 * sans_json is c's SANs encoded. */
static int
cert_bind(sqlite3_stmt *s, const struct store_acm_cert *c, const char *sans_json)
{
	int has_key = c->key_ciphertext != NULL, rc = SQLITE_OK;

	bind_text(s, AC_ID + 1, c->id, &rc);
	bind_text(s, AC_ACCOUNT_ID + 1, c->account_id, &rc);
	bind_text(s, AC_ARN + 1, c->arn, &rc);
	bind_text(s, AC_DOMAIN_NAME + 1, c->domain_name, &rc);
	bind_text(s, AC_SANS + 1, sans_json, &rc);
	bind_text(s, AC_CA_ARN + 1, c->ca_arn, &rc);
	bind_int(s, AC_TYPE + 1, c->type, &rc);
	bind_int(s, AC_STATUS + 1, c->status, &rc);
	bind_int(s, AC_KEY_ALGORITHM + 1, c->key_algorithm, &rc);
	bind_text(s, AC_SERIAL + 1, c->serial, &rc);
	bind_text(s, AC_SUBJECT + 1, c->subject, &rc);
	bind_text(s, AC_ISSUER + 1, c->issuer, &rc);
	bind_text(s, AC_SIGALG + 1, c->signature_algorithm, &rc);
	bind_int(s, AC_NOT_BEFORE + 1, c->not_before, &rc);
	bind_int(s, AC_NOT_AFTER + 1, c->not_after, &rc);
	bind_text(s, AC_CERT_PEM + 1, c->cert_pem, &rc);
	bind_text(s, AC_CHAIN_PEM + 1, c->chain_pem, &rc);
	bind_blob(s, AC_KEY_CT + 1, c->key_ciphertext, c->key_ciphertext_len, &rc);
	bind_blob(s, AC_KEY_IV + 1, has_key ? c->key_iv : NULL, sizeof(c->key_iv), &rc);
	bind_blob(s, AC_KEY_TAG + 1, has_key ? c->key_tag : NULL, sizeof(c->key_tag), &rc);
	bind_blob(s, AC_WRAPPED_KEY + 1, c->wrapped_data_key, c->wrapped_data_key_len, &rc);
	bind_int(s, AC_EXPORTED + 1, c->exported_since_issue != 0, &rc);
	bind_int(s, AC_RENEWAL_STATUS + 1, c->renewal_status, &rc);
	bind_int(s, AC_RENEWAL_REASON + 1, c->renewal_reason, &rc);
	bind_int(s, AC_RENEWAL_UPDATED_AT + 1, c->renewal_updated_at, &rc);
	bind_int(s, AC_RENEWAL_ATTEMPTS + 1, c->renewal_attempts, &rc);
	bind_int(s, AC_NEXT_ATTEMPT_AT + 1, c->next_attempt_at, &rc);
	bind_text(s, AC_REQUESTED_BY + 1, c->requested_by, &rc);
	bind_int(s, AC_CREATED_AT + 1, c->created_at, &rc);
	bind_int(s, AC_ISSUED_AT + 1, c->issued_at, &rc);
	bind_int(s, AC_IMPORTED_AT + 1, c->imported_at, &rc);
	return rc;
}

/* A fixed-size blob column (NULL: zeros); another length is a foreign file. */
static int
col_fixed_blob(sqlite3_stmt *s, int i, uint8_t *buf, size_t size)
{
	const void *b;

	memset(buf, 0, size);
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return 0;
	b = sqlite3_column_blob(s, i);
	if (b == NULL || sqlite3_column_bytes(s, i) != (int)size) {
		log_error("column %s: not a blob of %zu bytes", sqlite3_column_name(s, i),
		    size);
		return PCA_ERR_DB;
	}
	memcpy(buf, b, size);
	return 0;
}

/* A row of "SELECT " ACM_COLS into *c (cleared on failure). */
static int
cert_row(sqlite3_stmt *s, struct store_acm_cert *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = col_fixed(s, AC_ID, c->id, sizeof(c->id))) != 0 ||
	    (r = col_fixed(s, AC_ACCOUNT_ID, c->account_id, sizeof(c->account_id))) != 0 ||
	    (r = col_str(s, AC_ARN, &c->arn)) != 0 ||
	    (r = col_str(s, AC_DOMAIN_NAME, &c->domain_name)) != 0 ||
	    (r = sans_decode(s, AC_SANS, &c->sans, &c->nsans)) != 0 ||
	    (r = col_str(s, AC_CA_ARN, &c->ca_arn)) != 0 ||
	    (r = col_str(s, AC_SERIAL, &c->serial)) != 0 ||
	    (r = col_str(s, AC_SUBJECT, &c->subject)) != 0 ||
	    (r = col_str(s, AC_ISSUER, &c->issuer)) != 0 ||
	    (r = col_str(s, AC_SIGALG, &c->signature_algorithm)) != 0 ||
	    (r = col_str(s, AC_CERT_PEM, &c->cert_pem)) != 0 ||
	    (r = col_str(s, AC_CHAIN_PEM, &c->chain_pem)) != 0 ||
	    (r = col_blob(s, AC_KEY_CT, &c->key_ciphertext, &c->key_ciphertext_len)) != 0 ||
	    (r = col_fixed_blob(s, AC_KEY_IV, c->key_iv, sizeof(c->key_iv))) != 0 ||
	    (r = col_fixed_blob(s, AC_KEY_TAG, c->key_tag, sizeof(c->key_tag))) != 0 ||
	    (r = col_blob(s, AC_WRAPPED_KEY, &c->wrapped_data_key,
	    &c->wrapped_data_key_len)) != 0 ||
	    (r = col_str(s, AC_REQUESTED_BY, &c->requested_by)) != 0) {
		store_acm_cert_clear(c);
		return r;
	}
	c->type = sqlite3_column_int(s, AC_TYPE);
	c->status = sqlite3_column_int(s, AC_STATUS);
	c->key_algorithm = sqlite3_column_int(s, AC_KEY_ALGORITHM);
	c->not_before = sqlite3_column_int64(s, AC_NOT_BEFORE);
	c->not_after = sqlite3_column_int64(s, AC_NOT_AFTER);
	c->exported_since_issue = sqlite3_column_int(s, AC_EXPORTED);
	c->renewal_status = sqlite3_column_int(s, AC_RENEWAL_STATUS);
	c->renewal_reason = sqlite3_column_int(s, AC_RENEWAL_REASON);
	c->renewal_updated_at = sqlite3_column_int64(s, AC_RENEWAL_UPDATED_AT);
	c->renewal_attempts = sqlite3_column_int(s, AC_RENEWAL_ATTEMPTS);
	c->next_attempt_at = sqlite3_column_int64(s, AC_NEXT_ATTEMPT_AT);
	c->created_at = sqlite3_column_int64(s, AC_CREATED_AT);
	c->issued_at = sqlite3_column_int64(s, AC_ISSUED_AT);
	c->imported_at = sqlite3_column_int64(s, AC_IMPORTED_AT);
	c->version = sqlite3_column_int64(s, AC_VERSION);
	return 0;
}

/* Every row of a bound certificate query into a malloc'd array. */
static int
cert_rows(struct conn *c, sqlite3_stmt *s, struct store_acm_cert **out, size_t *n)
{
	struct store_acm_cert *certs = NULL, *grown;
	size_t cap = 0, len = 0;
	int r;

	while ((r = STEP(c, s)) == 1) {
		if ((grown = list_grow(certs, &cap, len, sizeof(*certs))) == NULL) {
			r = PCA_ERR_NOMEM;
			break;
		}
		certs = grown;
		if ((r = cert_row(s, &certs[len])) != 0)
			break;
		len++;
	}
	if (r != 0) {
		store_acm_cert_list_free(certs, len);
		return r;
	}
	*out = certs;
	*n = len;
	return 0;
}

/* ---- certificates ------------------------------------------------------------ */

struct cert_write_args {
	const struct store_acm_cert	*cert;
	const char			*sans_json;
};

static int
job_cert_insert(struct conn *c, void *arg)
{
	const struct cert_write_args *a = arg;
	sqlite3_stmt *s = NULL;
	int r, rc;

	if ((r = acm_stmt(c, AS_CERT_INSERT, &s)) != 0)
		return r;
	if ((rc = cert_bind(s, a->cert, a->sans_json)) != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) > 0)
		r = 0;
 out:
	stmt_done(s);
	return r;
}

/* The row is replaced (its old key blobs freed): secure_delete = ON. */
static int
job_cert_update(struct conn *c, void *arg)
{
	const struct cert_write_args *a = arg;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = secure_delete_begin(c)) != 0)
		return r;
	if ((r = acm_stmt(c, AS_CERT_UPDATE, &s)) != 0)
		goto out;
	rc = cert_bind(s, a->cert, a->sans_json);
	bind_int(s, AC_VERSION + 1, a->cert->version, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) < 0)
		goto out;
	if (sqlite3_changes(c->db) == 1) {
		r = 0;
		goto out;
	}
	/* gone, or changed by someone else since the caller read it */
	stmt_done(s);
	s = NULL;
	if ((r = cert_exists(c, a->cert->id)) == 0)
		r = PCA_ERR_STATE;
 out:
	stmt_done(s);
	return secure_delete_end(c, r);
}

static int
cert_write(struct store *st, const struct store_acm_cert *cert,
    int (*fn)(struct conn *, void *))
{
	struct cert_write_args a;
	char *sans_json = NULL;
	int r;

	if (!cert_valid(cert))
		return PCA_ERR_INVALID;
	if ((r = sans_encode(cert->sans, cert->nsans, &sans_json)) != 0)
		return r;
	a.cert = cert;
	a.sans_json = sans_json;
	r = job_run(st, fn, &a);
	free(sans_json);
	return r;
}

int
store_acm_cert_insert(struct store *st, const struct store_acm_cert *c)
{
	return_val_if_fail(st != NULL && c != NULL, PCA_ERR_INTERNAL);
	return cert_write(st, c, job_cert_insert);
}

int
store_acm_cert_get(struct store *st, const char *id, struct store_acm_cert *out)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = acm_stmt(c, AS_CERT_GET, &s)) != 0)
		goto out;
	bind_text(s, 1, id, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) <= 0) {
		r = r == 0 ? PCA_ERR_NOT_FOUND : r;
		goto out;
	}
	r = cert_row(s, out);
 out:
	stmt_done(s);
	conn_put(st, c);
	return r;
}

int
store_acm_cert_update(struct store *st, struct store_acm_cert *c)
{
	int r;

	return_val_if_fail(st != NULL && c != NULL, PCA_ERR_INTERNAL);
	if ((r = cert_write(st, c, job_cert_update)) == 0)
		c->version++;
	return r;
}

/* Tags, events and a renewal intent first (the foreign keys would cascade too; this does not
 * depend on PRAGMA foreign_keys), then the row, with its key, zeroed. */
static int
job_cert_delete(struct conn *c, void *arg)
{
	const char *id = arg;
	int r, changes = 0;

	if ((r = secure_delete_begin(c)) != 0)
		return r;
	if ((r = acm_exec_id(c, AS_CERT_DELETE_TAGS, id, NULL)) == 0 &&
	    (r = acm_exec_id(c, AS_CERT_DELETE_EVENTS, id, NULL)) == 0 &&
	    (r = acm_exec_id(c, AS_CERT_DELETE_INTENT, id, NULL)) == 0 &&
	    (r = acm_exec_id(c, AS_CERT_DELETE, id, &changes)) == 0)
		r = changes == 1 ? 0 : PCA_ERR_NOT_FOUND;
	return secure_delete_end(c, r);
}

int
store_acm_cert_delete(struct store *st, const char *id)
{
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	return job_run(st, job_cert_delete, (void *)(uintptr_t)id);
}

/* The values of a list filter as a mask (0: no filter). */
static int
filter_mask(const int *v, size_t n, int64_t *mask)
{
	size_t i;

	*mask = 0;
	for (i = 0; i < n; i++) {
		if (v[i] < 1 || v[i] > ACM_FILTER_MAX)
			return PCA_ERR_INVALID;
		*mask |= (int64_t)1 << v[i];
	}
	return 0;
}

int
store_acm_cert_list(struct store *st, const char *account_id, const int *statuses,
    size_t nstatuses, const int *key_algorithms, size_t nkey_algorithms, const char *after,
    size_t limit, struct store_acm_cert **out, size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int64_t status_mask, alg_mask;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && account_id != NULL, PCA_ERR_INTERNAL);
	return_val_if_fail((statuses != NULL || nstatuses == 0) &&
	    (key_algorithms != NULL || nkey_algorithms == 0), PCA_ERR_INTERNAL);
	if ((r = filter_mask(statuses, nstatuses, &status_mask)) != 0 ||
	    (r = filter_mask(key_algorithms, nkey_algorithms, &alg_mask)) != 0)
		return r;
	if ((r = conn_get(st, &c)) != 0 || (r = acm_stmt(c, AS_CERT_LIST, &s)) != 0)
		goto out;
	bind_text(s, 1, account_id, &rc);
	bind_text(s, 2, after != NULL ? after : "", &rc);
	bind_int(s, 3, status_mask, &rc);
	bind_int(s, 4, alg_mask, &rc);
	bind_limit(s, 5, limit, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	r = cert_rows(c, s, out, n);
 out:
	stmt_done(s);
	conn_put(st, c);
	return r;
}

int
store_acm_cert_list_due(struct store *st, int64_t now, int64_t window, int64_t after_not_after,
    const char *after_id, size_t limit, struct store_acm_cert **out, size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int64_t horizon;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL, PCA_ERR_INTERNAL);
	/* not_after - window <= now, as not_after <= now + window without
	 * overflow (SQLite would turn an overflowing sum into a REAL) */
	if (__builtin_add_overflow(now, window, &horizon))
		horizon = window > 0 ? INT64_MAX : INT64_MIN;
	if ((r = conn_get(st, &c)) != 0 || (r = acm_stmt(c, AS_CERT_LIST_DUE, &s)) != 0)
		goto out;
	bind_int(s, 1, horizon, &rc);
	bind_int(s, 2, now, &rc);
	bind_limit(s, 3, limit, &rc);
	/* from the start: before every row ("" sorts before every id) */
	bind_int(s, 4, after_id != NULL ? after_not_after : INT64_MIN, &rc);
	bind_text(s, 5, after_id != NULL ? after_id : "", &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	r = cert_rows(c, s, out, n);
 out:
	stmt_done(s);
	conn_put(st, c);
	return r;
}

void
store_acm_cert_clear(struct store_acm_cert *c)
{
	if (c == NULL)
		return;
	free(c->arn);
	free(c->domain_name);
	sans_free(c->sans, c->nsans);
	free(c->ca_arn);
	free(c->serial);
	free(c->subject);
	free(c->issuer);
	free(c->signature_algorithm);
	free(c->cert_pem);
	free(c->chain_pem);
	free_wiped(c->key_ciphertext, c->key_ciphertext_len);
	free_wiped(c->wrapped_data_key, c->wrapped_data_key_len);
	free(c->requested_by);
	wipe(c, sizeof(*c));		/* key_iv and key_tag too */
}

void
store_acm_cert_list_free(struct store_acm_cert *c, size_t n)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < n; i++)
		store_acm_cert_clear(&c[i]);
	free(c);
}

/* ---- tags ------------------------------------------------------------------- */

struct tags_args {
	const char		*cert_id;
	const struct store_tag	*tags;
	size_t			 n;
	size_t			 max;
};

/* One tag statement (put or remove) with cert_id, key, value. */
static int
tag_exec(struct conn *c, enum acm_stmt id, const char *cert_id, const struct store_tag *t)
{
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = acm_stmt(c, id, &s)) != 0)
		return r;
	bind_text(s, 1, cert_id, &rc);
	bind_text(s, 2, t->key, &rc);
	bind_text(s, 3, t->value, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) > 0)
		r = 0;
 out:
	stmt_done(s);
	return r;
}

static int
job_tags_put(struct conn *c, void *arg)
{
	const struct tags_args *a = arg;
	sqlite3_stmt *s = NULL;
	size_t i;
	int64_t count;
	int r, rc = SQLITE_OK;

	if ((r = cert_exists(c, a->cert_id)) != 0)
		return r;
	for (i = 0; i < a->n; i++)
		if ((r = tag_exec(c, AS_TAG_PUT, a->cert_id, &a->tags[i])) != 0)
			return r;
	/* Count after the upserts, inside the job: overwrites do not count
	 * twice, and no concurrent put can slip in between (one writer). On
	 * TOO_LARGE the savepoint takes every upsert back. */
	if ((r = acm_stmt(c, AS_TAG_COUNT, &s)) != 0)
		return r;
	bind_text(s, 1, a->cert_id, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) < 0)
		goto out;
	count = sqlite3_column_int64(s, 0);
	r = count >= 0 && (uint64_t)count > a->max ? PCA_ERR_TOO_LARGE : 0;
 out:
	stmt_done(s);
	return r;
}

static int
job_tags_remove(struct conn *c, void *arg)
{
	const struct tags_args *a = arg;
	size_t i;
	int r;

	if ((r = cert_exists(c, a->cert_id)) != 0)
		return r;
	for (i = 0; i < a->n; i++)
		if ((r = tag_exec(c, AS_TAG_REMOVE, a->cert_id, &a->tags[i])) != 0)
			return r;
	return 0;
}

static int
tags_write(struct store *st, const char *cert_id, const struct store_tag *tags, size_t n,
    size_t max, int (*fn)(struct conn *, void *))
{
	struct tags_args a = { cert_id, tags, n, max };
	size_t i;

	return_val_if_fail(st != NULL && cert_id != NULL && (tags != NULL || n == 0),
	    PCA_ERR_INTERNAL);
	for (i = 0; i < n; i++)
		if (tags[i].key == NULL)
			return PCA_ERR_INVALID;
	return job_run(st, fn, &a);
}

int
store_acm_tags_put(struct store *st, const char *cert_id, const struct store_tag *tags,
    size_t n, size_t max)
{
	return tags_write(st, cert_id, tags, n, max, job_tags_put);
}

int
store_acm_tags_remove(struct store *st, const char *cert_id, const struct store_tag *tags,
    size_t n)
{
	return tags_write(st, cert_id, tags, n, 0, job_tags_remove);
}

int
store_acm_tags_list(struct store *st, const char *cert_id, struct store_tag **out,
    size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	struct store_tag *tags = NULL, *grown;
	size_t cap = 0, len = 0;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && cert_id != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = acm_stmt(c, AS_TAG_LIST, &s)) != 0)
		goto out;
	bind_text(s, 1, cert_id, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	while ((r = STEP(c, s)) == 1) {
		if ((grown = list_grow(tags, &cap, len, sizeof(*tags))) == NULL) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		tags = grown;
		/* count the slot first: a half-filled tag is freed with the rest */
		len++;
		if ((r = col_str(s, 0, &tags[len - 1].key)) != 0 ||
		    (r = col_str(s, 1, &tags[len - 1].value)) != 0)
			goto out;
	}
	if (r != 0)
		goto out;
	stmt_done(s);
	s = NULL;
	/* none: a certificate without tags, or no certificate */
	if (len == 0 && (r = cert_exists(c, cert_id)) != 0)
		goto out;
	*out = tags;
	*n = len;
	tags = NULL;
 out:
	store_tags_free(tags, len);
	stmt_done(s);
	conn_put(st, c);
	return r;
}

/* ---- renewal events ------------------------------------------------------------ */

static int
job_event_append(struct conn *c, void *arg)
{
	const struct store_renewal_event *e = arg;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = acm_stmt(c, AS_EVENT_APPEND, &s)) != 0)
		return r;
	bind_text(s, 1, e->cert_id, &rc);
	bind_text(s, 2, e->account_id, &rc);
	bind_int(s, 3, e->at, &rc);
	bind_int(s, 4, e->renewal_status, &rc);
	bind_int(s, 5, e->reason, &rc);
	bind_text(s, 6, e->detail, &rc);
	bind_text(s, 7, e->new_serial, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) < 0)
		goto out;
	/* the SELECT found no certificate of that account */
	r = sqlite3_changes(c->db) == 1 ? 0 : PCA_ERR_NOT_FOUND;
 out:
	stmt_done(s);
	return r;
}

int
store_renewal_event_append(struct store *st, const struct store_renewal_event *e)
{
	return_val_if_fail(st != NULL && e != NULL, PCA_ERR_INTERNAL);
	if (!FIXED_OK(e->cert_id) || !FIXED_OK(e->account_id))
		return PCA_ERR_INVALID;
	return job_run(st, job_event_append, (void *)(uintptr_t)e);
}

static void
event_clear(struct store_renewal_event *e)
{
	free(e->detail);
	free(e->new_serial);
	memset(e, 0, sizeof(*e));
}

static int
event_row(sqlite3_stmt *s, struct store_renewal_event *e)
{
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = col_fixed(s, 1, e->cert_id, sizeof(e->cert_id))) != 0 ||
	    (r = col_fixed(s, 2, e->account_id, sizeof(e->account_id))) != 0 ||
	    (r = col_str(s, 6, &e->detail)) != 0 ||
	    (r = col_str(s, 7, &e->new_serial)) != 0) {
		event_clear(e);
		return r;
	}
	e->seq = sqlite3_column_int64(s, 0);
	e->at = sqlite3_column_int64(s, 3);
	e->renewal_status = sqlite3_column_int(s, 4);
	e->reason = sqlite3_column_int(s, 5);
	return 0;
}

int
store_renewal_event_list(struct store *st, const char *account_id, const char *cert_id,
    int64_t after, size_t limit, struct store_renewal_event **out, size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	struct store_renewal_event *ev = NULL, *grown;
	size_t cap = 0, len = 0;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && account_id != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 ||
	    (r = acm_stmt(c, cert_id != NULL ? AS_EVENT_LIST_CERT : AS_EVENT_LIST_ACCOUNT,
	    &s)) != 0)
		goto out;
	bind_text(s, 1, account_id, &rc);
	bind_int(s, 2, after, &rc);
	bind_limit(s, 3, limit, &rc);
	if (cert_id != NULL)
		bind_text(s, 4, cert_id, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	while ((r = STEP(c, s)) == 1) {
		if ((grown = list_grow(ev, &cap, len, sizeof(*ev))) == NULL) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		ev = grown;
		if ((r = event_row(s, &ev[len])) != 0)
			goto out;
		len++;
	}
	if (r != 0)
		goto out;
	*out = ev;
	*n = len;
	ev = NULL;
 out:
	store_renewal_event_list_free(ev, len);
	stmt_done(s);
	conn_put(st, c);
	return r;
}

void
store_renewal_event_list_free(struct store_renewal_event *e, size_t n)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < n; i++)
		event_clear(&e[i]);
	free(e);
}

/* ---- renewals in flight ---------------------------------------------------- */

/* Replaces the key blobs of an earlier intent: secure_delete = ON. */
static int
job_intent_put(struct conn *c, void *arg)
{
	const struct store_acm_renew_intent *i = arg;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = secure_delete_begin(c)) != 0)
		return r;
	if ((r = cert_exists(c, i->cert_id)) != 0)
		goto out;
	if ((r = acm_stmt(c, AS_INTENT_PUT, &s)) != 0)
		goto out;
	bind_text(s, 1, i->cert_id, &rc);
	bind_text(s, 2, i->for_serial, &rc);
	bind_text(s, 3, i->token, &rc);
	bind_blob(s, 4, i->key_ciphertext, i->key_ciphertext_len, &rc);
	bind_blob(s, 5, i->key_iv, sizeof(i->key_iv), &rc);
	bind_blob(s, 6, i->key_tag, sizeof(i->key_tag), &rc);
	bind_blob(s, 7, i->wrapped_data_key, i->wrapped_data_key_len, &rc);
	bind_int(s, 8, i->created_at, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) > 0)
		r = 0;
 out:
	stmt_done(s);
	return secure_delete_end(c, r);
}

int
store_acm_intent_put(struct store *st, const struct store_acm_renew_intent *i)
{
	return_val_if_fail(st != NULL && i != NULL, PCA_ERR_INTERNAL);
	if (i->cert_id[0] == '\0' || i->for_serial == NULL || i->token[0] == '\0' ||
	    i->key_ciphertext == NULL || i->key_ciphertext_len == 0 ||
	    i->wrapped_data_key == NULL || i->wrapped_data_key_len == 0)
		return PCA_ERR_INVALID;
	return job_run(st, job_intent_put, (void *)(uintptr_t)i);
}

int
store_acm_intent_get(struct store *st, const char *cert_id, struct store_acm_renew_intent *out)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && cert_id != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = acm_stmt(c, AS_INTENT_GET, &s)) != 0)
		goto out;
	bind_text(s, 1, cert_id, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) <= 0) {
		r = r == 0 ? PCA_ERR_NOT_FOUND : r;
		goto out;
	}
	if ((r = col_fixed(s, 0, out->cert_id, sizeof(out->cert_id))) != 0 ||
	    (r = col_str(s, 1, &out->for_serial)) != 0 ||
	    (r = col_fixed(s, 2, out->token, sizeof(out->token))) != 0 ||
	    (r = col_blob(s, 3, &out->key_ciphertext, &out->key_ciphertext_len)) != 0 ||
	    (r = col_fixed_blob(s, 4, out->key_iv, sizeof(out->key_iv))) != 0 ||
	    (r = col_fixed_blob(s, 5, out->key_tag, sizeof(out->key_tag))) != 0 ||
	    (r = col_blob(s, 6, &out->wrapped_data_key, &out->wrapped_data_key_len)) != 0)
		goto out;
	out->created_at = sqlite3_column_int64(s, 7);
 out:
	stmt_done(s);
	conn_put(st, c);
	if (r != 0)
		store_acm_intent_clear(out);
	return r;
}

static int
job_intent_delete(struct conn *c, void *arg)
{
	int r;

	if ((r = secure_delete_begin(c)) != 0)
		return r;
	r = acm_exec_id(c, AS_INTENT_DELETE, arg, NULL);
	return secure_delete_end(c, r);
}

int
store_acm_intent_delete(struct store *st, const char *cert_id)
{
	return_val_if_fail(st != NULL && cert_id != NULL, PCA_ERR_INTERNAL);
	return job_run(st, job_intent_delete, (void *)(uintptr_t)cert_id);
}

void
store_acm_intent_clear(struct store_acm_renew_intent *i)
{
	if (i == NULL)
		return;
	free(i->for_serial);
	free_wiped(i->key_ciphertext, i->key_ciphertext_len);
	free_wiped(i->wrapped_data_key, i->wrapped_data_key_len);
	wipe(i, sizeof(*i));
}
