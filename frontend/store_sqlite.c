/*
 * store_sqlite.c - store.h on one SQLite file (WAL, synchronous=FULL).
 *
 * Writes: every write function packs its arguments into a job, queues it
 * and sleeps until the writer thread has committed the transaction that
 * contains it. The writer owns the only writing connection. When it becomes
 * free it takes every queued job (at most STORE_BATCH_MAX), runs each inside
 * its own SAVEPOINT within one BEGIN IMMEDIATE ... COMMIT, and then wakes
 * each caller with its own result. One fsync thus serves many callers (group
 * commit), and a job that fails (a taken serial, a quota) is rolled back to
 * its savepoint without touching its neighbours. Job arguments live on the
 * caller's stack: the caller is blocked until its job is done.
 *
 * Reads: a small pool of read connections, opened lazily. WAL gives each
 * read statement a snapshot of the last commit at the moment it starts; as
 * a write function returns only after COMMIT, any read started afterwards,
 * on any connection, sees it. Every statement is reset right after use so
 * that no connection keeps an old snapshot (or blocks checkpoints).
 *
 * Statements are prepared once per connection (SQLITE_PREPARE_PERSISTENT)
 * and cached in an array indexed by enum stmt_id; the SQL lives in one
 * table, stmt_sql[].
 *
 * Start-up: store_open() creates or upgrades the schema (PRAGMA
 * user_version drives the migrations) and starts the writer; it never scans
 * a table, so its cost does not grow with the number of certificates.
 *
 * store_iam.h is implemented in store_sqlite_iam.c and store_acm.h in
 * store_sqlite_acm.c on the same writer and connections;
 * store_sqlite_internal.h is what the files share.
 */
#include "store.h"
#include "store_sqlite_internal.h"
#include "log.h"
#include "wipe.h"

#include "acm_pca.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define STORE_BATCH_MAX		256	/* jobs per transaction */
/*
 * Memory: each read connection keeps its own page cache (SQLite's default
 * is 2 MiB), which a connection serving random GetCertificate reads fills
 * in time. Readers get STORE_READ_CACHE_KIB each and at most
 * STORE_READERS_MAX of them are open (a reader beyond waits for one to come
 * back), so reads hold at most 64 x 256 KiB of cache; the writer keeps the
 * default. Point reads need the few interior pages of a B-tree and a leaf.
 */
#define STORE_READERS_MAX	64	/* read connections open at once */
#define STORE_READ_CACHE_KIB	256	/* page cache of each */
#define STR_(x)			#x
#define STR(x)			STR_(x)
#define STORE_BUSY_MS		10000	/* another process holding the lock */
#define STORE_WAL_LIMIT		(64 * 1024 * 1024)	/* truncate the WAL to this after checkpoints */

/* The partial indexes below spell these as literals in SQL. */
#define STORE_CA_DELETED	4
_Static_assert(STORE_CA_DELETED ==
    PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_STATUS__CertificateAuthorityStatus_DELETED,
    "cas_deleted index and purgeable query assume DELETED == 4");
_Static_assert(STORE_CERT_PENDING == 1, "certs_pending index assumes PENDING == 1");

/*
 * Schema migrations: store_migrations[i] takes user_version i to i + 1.
 * Append, never edit: a shipped database has run the old text.
 */
static const char *const store_migrations[] = {
	/* 1: the initial schema */
	"CREATE TABLE IF NOT EXISTS accounts ("
	"  id		TEXT PRIMARY KEY NOT NULL,"
	"  name		TEXT NOT NULL,"
	"  created_at	INTEGER NOT NULL"
	");"
	"CREATE TABLE IF NOT EXISTS users ("
	"  account_id	TEXT NOT NULL REFERENCES accounts(id),"
	"  name		TEXT NOT NULL,"
	"  arn		TEXT NOT NULL,"
	"  created_at	INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, name)"
	") WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS access_keys ("
	"  id		TEXT PRIMARY KEY NOT NULL,"
	"  secret	TEXT NOT NULL,"
	"  account_id	TEXT NOT NULL REFERENCES accounts(id),"
	"  user_name	TEXT,"			/* NULL: the account root */
	"  active	INTEGER NOT NULL,"
	"  created_at	INTEGER NOT NULL,"
	"  FOREIGN KEY (account_id, user_name) REFERENCES users(account_id, name)"
	");"
	/* seq is the rowid: creation order, and AUTOINCREMENT never reuses the
	 * seq of a purged CA, so a paging position stays meaningful */
	"CREATE TABLE IF NOT EXISTS cas ("
	"  seq		INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  id		TEXT NOT NULL UNIQUE,"
	"  account_id	TEXT NOT NULL REFERENCES accounts(id),"
	"  arn		TEXT NOT NULL UNIQUE,"
	"  type		INTEGER NOT NULL,"
	"  status	INTEGER NOT NULL,"
	"  status_before_delete INTEGER NOT NULL,"
	"  key_algorithm	INTEGER NOT NULL,"
	"  key_storage	INTEGER NOT NULL,"
	"  usage_mode	INTEGER NOT NULL,"
	"  failure_reason INTEGER NOT NULL,"
	"  config	BLOB,"
	"  revocation	BLOB,"
	"  csr_der	BLOB,"
	"  cert_der	BLOB,"
	"  chain_pem	TEXT,"
	"  serial	TEXT,"
	"  not_before	INTEGER NOT NULL,"
	"  not_after	INTEGER NOT NULL,"
	"  created_at	INTEGER NOT NULL,"
	"  last_state_change_at INTEGER NOT NULL,"
	"  restorable_until INTEGER NOT NULL,"
	"  version	INTEGER NOT NULL"
	");"
	"CREATE INDEX IF NOT EXISTS cas_account_seq ON cas(account_id, seq);"
	"CREATE INDEX IF NOT EXISTS cas_status ON cas(status, seq);"
	"CREATE INDEX IF NOT EXISTS cas_deleted ON cas(restorable_until) WHERE status = 4;"
	"CREATE TABLE IF NOT EXISTS tags ("
	"  ca_id		TEXT NOT NULL REFERENCES cas(id) ON DELETE CASCADE,"
	"  key		TEXT NOT NULL,"
	"  value		TEXT,"
	"  PRIMARY KEY (ca_id, key)"
	") WITHOUT ROWID;"
	/* a rowid table: rows carry a DER certificate and a request, too wide
	 * for WITHOUT ROWID to pay off */
	"CREATE TABLE IF NOT EXISTS certs ("
	"  ca_id		TEXT NOT NULL REFERENCES cas(id) ON DELETE CASCADE,"
	"  serial	TEXT NOT NULL,"
	"  status	INTEGER NOT NULL,"
	"  request	BLOB,"
	"  der		BLOB,"
	"  template_arn	TEXT,"
	"  requester	TEXT,"
	"  failure	TEXT,"
	"  created_at	INTEGER NOT NULL,"
	"  not_after	INTEGER NOT NULL,"
	"  PRIMARY KEY (ca_id, serial)"
	");"
	/* only PENDING rows: the recovery scan stays small however many
	 * certificates were issued */
	"CREATE INDEX IF NOT EXISTS certs_pending ON certs(created_at) WHERE status = 1;"
	"CREATE TABLE IF NOT EXISTS idempotency ("
	"  scope		TEXT NOT NULL,"
	"  token		TEXT NOT NULL,"
	"  result	TEXT,"
	"  created_at	INTEGER NOT NULL,"
	"  PRIMARY KEY (scope, token)"
	") WITHOUT ROWID;",

	/* 2: who may do what (store_iam.h, store_sqlite_iam.c) */
	"CREATE TABLE settings ("
	"  key		TEXT PRIMARY KEY NOT NULL,"
	"  value		TEXT NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE organizations ("
	"  id		TEXT PRIMARY KEY NOT NULL,"
	"  management_account TEXT NOT NULL UNIQUE REFERENCES accounts(id),"
	"  root_id	TEXT NOT NULL UNIQUE,"
	"  feature_set	TEXT NOT NULL,"
	"  created_at	INTEGER NOT NULL"
	") WITHOUT ROWID;"
	/* the tree: the root (parent NULL) and OUs; names unique under a parent */
	"CREATE TABLE ous ("
	"  id		TEXT PRIMARY KEY NOT NULL,"
	"  org_id	TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,"
	"  parent_id	TEXT REFERENCES ous(id),"
	"  name		TEXT NOT NULL,"
	"  created_at	INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX ous_org ON ous(org_id);"
	"CREATE INDEX ous_parent ON ous(parent_id, id);"
	"CREATE UNIQUE INDEX ous_parent_name ON ous(parent_id, name);"
	/* org_id and parent_id NULL: the account left (or never joined) */
	"CREATE TABLE memberships ("
	"  account_id	TEXT PRIMARY KEY NOT NULL REFERENCES accounts(id),"
	"  org_id	TEXT REFERENCES organizations(id),"
	"  parent_id	TEXT REFERENCES ous(id),"
	"  email		TEXT,"
	"  joined_method	TEXT,"
	"  joined_at	INTEGER NOT NULL,"
	"  CHECK ((org_id IS NULL) = (parent_id IS NULL))"
	") WITHOUT ROWID;"
	"CREATE INDEX memberships_org ON memberships(org_id, account_id);"
	"CREATE INDEX memberships_parent ON memberships(parent_id, account_id);"
	"CREATE TABLE handshakes ("
	"  id		TEXT PRIMARY KEY NOT NULL,"
	"  org_id	TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,"
	"  target_account TEXT NOT NULL,"
	"  action	TEXT NOT NULL,"
	"  state		TEXT NOT NULL,"
	"  notes		TEXT,"
	"  requested_at	INTEGER NOT NULL,"
	"  expires_at	INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX handshakes_org ON handshakes(org_id, id);"
	"CREATE INDEX handshakes_target ON handshakes(target_account, id);"
	/* IAM users are the rows of users: store_user_put() keeps working and
	 * leaves path '/' and user_id NULL. IAM names are unique whatever
	 * their case. */
	"ALTER TABLE users ADD COLUMN path TEXT NOT NULL DEFAULT '/';"
	"ALTER TABLE users ADD COLUMN user_id TEXT;"
	"CREATE UNIQUE INDEX users_user_id ON users(user_id) WHERE user_id IS NOT NULL;"
	"CREATE UNIQUE INDEX users_name_nocase ON users(account_id, name COLLATE NOCASE);"
	"CREATE INDEX access_keys_owner ON access_keys(account_id, user_name, id);"
	"CREATE TABLE roles ("
	"  account_id	TEXT NOT NULL REFERENCES accounts(id),"
	"  name		TEXT NOT NULL,"
	"  path		TEXT NOT NULL DEFAULT '/',"
	"  arn		TEXT NOT NULL,"
	"  role_id	TEXT NOT NULL UNIQUE,"
	"  trust_policy	TEXT NOT NULL,"
	"  description	TEXT,"
	"  service	TEXT,"
	"  max_session_duration INTEGER NOT NULL,"
	"  created_at	INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, name)"
	") WITHOUT ROWID;"
	"CREATE UNIQUE INDEX roles_name_nocase ON roles(account_id, name COLLATE NOCASE);"
	/* principal: a user's or a role's name, as kind says (no foreign key:
	 * the writer checks the principal exists) */
	"CREATE TABLE inline_policies ("
	"  account_id	TEXT NOT NULL,"
	"  kind		TEXT NOT NULL CHECK (kind IN ('user', 'role')),"
	"  principal	TEXT NOT NULL,"
	"  name		TEXT NOT NULL,"
	"  document	TEXT NOT NULL,"
	"  PRIMARY KEY (account_id, kind, principal, name)"
	") WITHOUT ROWID;"
	"CREATE TABLE attachments ("
	"  account_id	TEXT NOT NULL,"
	"  kind		TEXT NOT NULL CHECK (kind IN ('user', 'role')),"
	"  principal	TEXT NOT NULL,"
	"  policy_arn	TEXT NOT NULL,"
	"  PRIMARY KEY (account_id, kind, principal, policy_arn)"
	") WITHOUT ROWID;"
	/* temporary credentials die with their role */
	"CREATE TABLE sessions ("
	"  access_key_id	TEXT PRIMARY KEY NOT NULL,"
	"  secret	TEXT NOT NULL,"
	"  token		TEXT NOT NULL,"
	"  account_id	TEXT NOT NULL,"
	"  role_name	TEXT NOT NULL,"
	"  session_name	TEXT NOT NULL,"
	"  source_arn	TEXT NOT NULL,"
	"  expires_at	INTEGER NOT NULL,"
	"  FOREIGN KEY (account_id, role_name) REFERENCES roles(account_id, name) "
	"    ON DELETE CASCADE"
	");"
	"CREATE INDEX sessions_role ON sessions(account_id, role_name);"
	"CREATE INDEX sessions_expiry ON sessions(expires_at);"
	"CREATE TABLE ca_permissions ("
	"  ca_id		TEXT NOT NULL REFERENCES cas(id) ON DELETE CASCADE,"
	"  principal	TEXT NOT NULL,"
	"  source_account TEXT NOT NULL,"	/* '' when none */
	"  actions	INTEGER NOT NULL,"
	"  created_at	INTEGER NOT NULL,"
	"  PRIMARY KEY (ca_id, principal, source_account)"
	") WITHOUT ROWID;"
	"CREATE TABLE ca_policies ("
	"  ca_id		TEXT PRIMARY KEY NOT NULL REFERENCES cas(id) ON DELETE CASCADE,"
	"  policy	TEXT NOT NULL"
	") WITHOUT ROWID;"
	/* the hash chain: see store_iam.h, struct store_audit */
	"CREATE TABLE audit ("
	"  seq		INTEGER PRIMARY KEY,"
	"  at_ms		INTEGER NOT NULL,"
	"  caller	TEXT NOT NULL,"
	"  action	TEXT NOT NULL,"
	"  resource	TEXT NOT NULL,"
	"  allowed	INTEGER NOT NULL,"
	"  policy	TEXT NOT NULL,"
	"  sid		TEXT NOT NULL,"
	"  reason	TEXT NOT NULL,"
	"  prev_hash	BLOB NOT NULL,"
	"  hash		BLOB NOT NULL"
	");",

	/* 3: managed certificates (store_acm.h, store_sqlite_acm.c). A rowid
	 * table: rows carry PEMs and key blobs. sans is a JSON array of
	 * strings, domain first, read and written whole. */
	"CREATE TABLE acm_certs ("
	"  id		TEXT PRIMARY KEY NOT NULL,"
	"  account_id	TEXT NOT NULL REFERENCES accounts(id),"
	"  arn		TEXT NOT NULL UNIQUE,"
	"  domain_name	TEXT NOT NULL,"
	"  sans		TEXT NOT NULL CHECK (json_type(sans) = 'array'),"
	"  ca_arn	TEXT,"				/* NULL for IMPORTED */
	"  type		INTEGER NOT NULL,"
	"  status	INTEGER NOT NULL,"
	"  key_algorithm	INTEGER NOT NULL,"
	"  serial	TEXT,"
	"  subject	TEXT,"
	"  issuer	TEXT,"
	"  signature_algorithm TEXT,"
	"  not_before	INTEGER NOT NULL,"
	"  not_after	INTEGER NOT NULL,"
	"  cert_pem	TEXT,"
	"  chain_pem	TEXT,"
	/* the encrypted private key: all four, or none before there is one */
	"  key_ciphertext BLOB,"
	"  key_iv	BLOB,"
	"  key_tag	BLOB,"
	"  wrapped_data_key BLOB,"
	"  exported_since_issue INTEGER NOT NULL,"
	"  renewal_status INTEGER NOT NULL,"
	"  renewal_reason INTEGER NOT NULL,"
	"  renewal_updated_at INTEGER NOT NULL,"
	"  renewal_attempts INTEGER NOT NULL,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  requested_by	TEXT,"
	"  created_at	INTEGER NOT NULL,"
	"  issued_at	INTEGER NOT NULL,"
	"  imported_at	INTEGER NOT NULL,"
	"  version	INTEGER NOT NULL,"
	"  CHECK ((key_ciphertext IS NULL) = (key_iv IS NULL) AND "
	"    (key_iv IS NULL) = (key_tag IS NULL) AND "
	"    (key_tag IS NULL) = (wrapped_data_key IS NULL)),"
	"  CHECK (key_iv IS NULL OR (length(key_iv) = 12 AND length(key_tag) = 16))"
	");"
	"CREATE INDEX acm_certs_account ON acm_certs(account_id, id);"
	/* renewal candidates only (type PRIVATE = 3, status ISSUED = 2,
	 * exported): the due scan stays small however many certificates exist */
	"CREATE INDEX acm_certs_due ON acm_certs(not_after, id) "
	"  WHERE type = 3 AND status = 2 AND exported_since_issue = 1;"
	"CREATE TABLE acm_tags ("
	"  cert_id	TEXT NOT NULL REFERENCES acm_certs(id) ON DELETE CASCADE,"
	"  key		TEXT NOT NULL,"
	"  value		TEXT,"
	"  PRIMARY KEY (cert_id, key)"
	") WITHOUT ROWID;"
	/* AUTOINCREMENT: a seq is never reused, so a paging position holds */
	"CREATE TABLE renewal_events ("
	"  seq		INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  cert_id	TEXT NOT NULL REFERENCES acm_certs(id) ON DELETE CASCADE,"
	"  account_id	TEXT NOT NULL,"
	"  at		INTEGER NOT NULL,"
	"  renewal_status INTEGER NOT NULL,"
	"  reason	INTEGER NOT NULL,"
	"  detail	TEXT,"
	"  new_serial	TEXT"
	");"
	"CREATE INDEX renewal_events_account ON renewal_events(account_id, seq);"
	"CREATE INDEX renewal_events_cert ON renewal_events(cert_id, seq);",

	/* 4: renewals in flight (store_acm.h, struct store_acm_renew_intent) */
	"CREATE TABLE acm_renew_intents ("
	"  cert_id	TEXT PRIMARY KEY NOT NULL REFERENCES acm_certs(id) ON DELETE CASCADE,"
	"  for_serial	TEXT NOT NULL,"
	"  token		TEXT NOT NULL,"
	"  key_ciphertext BLOB NOT NULL,"
	"  key_iv	BLOB NOT NULL CHECK (length(key_iv) = 12),"
	"  key_tag	BLOB NOT NULL CHECK (length(key_tag) = 16),"
	"  wrapped_data_key BLOB NOT NULL,"
	"  created_at	INTEGER NOT NULL"
	");",
};
#define STORE_SCHEMA_VERSION \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

/* ---- statements --------------------------------------------------------- */

#define CERT_COLS "ca_id, serial, status, request, der, template_arn, " \
	"requester, failure, created_at, not_after"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN]		= "BEGIN IMMEDIATE",
	[ST_COMMIT]		= "COMMIT",
	[ST_ROLLBACK]		= "ROLLBACK",
	[ST_SAVEPOINT]		= "SAVEPOINT job",
	[ST_RELEASE]		= "RELEASE job",
	[ST_ROLLBACK_TO]	= "ROLLBACK TO job",

	/* put = insert or update; created_at stays that of the first put */
	[ST_ACCOUNT_PUT]	= "INSERT INTO accounts(id, name, created_at) VALUES(?1, ?2, ?3) "
				  "ON CONFLICT(id) DO UPDATE SET name = excluded.name",
	[ST_ACCOUNT_GET]	= "SELECT id, name, created_at FROM accounts WHERE id = ?1",
	[ST_USER_PUT]		= "INSERT INTO users(account_id, name, arn, created_at) "
				  "VALUES(?1, ?2, ?3, ?4) "
				  "ON CONFLICT(account_id, name) DO UPDATE SET arn = excluded.arn",
	[ST_USER_GET]		= "SELECT account_id, name, arn, created_at FROM users "
				  "WHERE account_id = ?1 AND name = ?2",
	/* a key id never moves to another owner: the update applies only when
	 * the owner matches, otherwise no row changes (PCA_ERR_EXISTS) */
	[ST_KEY_PUT]		= "INSERT INTO access_keys(id, secret, account_id, user_name, "
				  "active, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
				  "ON CONFLICT(id) DO UPDATE SET secret = excluded.secret, "
				  "active = excluded.active WHERE account_id = excluded.account_id "
				  "AND user_name IS excluded.user_name",
	[ST_KEY_GET]		= "SELECT k.id, k.secret, k.account_id, k.user_name, k.active, "
				  "k.created_at, u.arn FROM access_keys k LEFT JOIN users u "
				  "ON u.account_id = k.account_id AND u.name = k.user_name "
				  "WHERE k.id = ?1",

	[ST_CA_INSERT]		= "INSERT INTO cas(" CA_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
				  "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
				  "?20, ?21, ?22)",
	[ST_CA_GET]		= "SELECT " CA_COLS " FROM cas WHERE id = ?1",
	/* identity (id, account, arn) and created_at never change */
	[ST_CA_UPDATE]		= "UPDATE cas SET type = ?4, status = ?5, status_before_delete = ?6, "
				  "key_algorithm = ?7, key_storage = ?8, usage_mode = ?9, "
				  "failure_reason = ?10, config = ?11, revocation = ?12, "
				  "csr_der = ?13, cert_der = ?14, chain_pem = ?15, serial = ?16, "
				  "not_before = ?17, not_after = ?18, last_state_change_at = ?20, "
				  "restorable_until = ?21, version = ?22 + 1 "
				  "WHERE id = ?1 AND version = ?22",
	[ST_CA_EXISTS]		= "SELECT 1 FROM cas WHERE id = ?1",
	[ST_CA_SEQ]		= "SELECT seq FROM cas WHERE id = ?1 AND account_id = ?2",
	[ST_CA_LIST]		= "SELECT " CA_COLS " FROM cas WHERE account_id = ?1 AND seq > ?2 "
				  "ORDER BY seq LIMIT ?3",
	/* restorable_until 0 (deleted without a window) is <= any now */
	[ST_CA_LIST_PURGEABLE]	= "SELECT " CA_COLS " FROM cas WHERE status = 4 "
				  "AND restorable_until <= ?1 ORDER BY restorable_until, seq LIMIT ?2",
	[ST_CA_LIST_BY_STATUS]	= "SELECT " CA_COLS " FROM cas WHERE status = ?1 "
				  "ORDER BY seq LIMIT ?2",
	[ST_CA_PURGE_TAGS]	= "DELETE FROM tags WHERE ca_id = ?1",
	[ST_CA_PURGE_CERTS]	= "DELETE FROM certs WHERE ca_id = ?1",
	[ST_CA_PURGE]		= "DELETE FROM cas WHERE id = ?1",

	[ST_TAG_PUT]		= "INSERT INTO tags(ca_id, key, value) VALUES(?1, ?2, ?3) "
				  "ON CONFLICT(ca_id, key) DO UPDATE SET value = excluded.value",
	[ST_TAG_COUNT]		= "SELECT count(*) FROM tags WHERE ca_id = ?1",
	[ST_TAG_REMOVE]		= "DELETE FROM tags WHERE ca_id = ?1 AND key = ?2 "
				  "AND (?3 IS NULL OR value IS ?3)",
	[ST_TAG_LIST]		= "SELECT key, value FROM tags WHERE ca_id = ?1 "
				  "AND (?2 IS NULL OR key > ?2) ORDER BY key LIMIT ?3",

	[ST_CERT_INSERT]	= "INSERT INTO certs(" CERT_COLS ") "
				  "VALUES(?1, ?2, 1, ?3, NULL, ?4, ?5, NULL, ?6, ?7)",
	[ST_CERT_COMPLETE]	= "UPDATE certs SET status = 2, der = ?3 "
				  "WHERE ca_id = ?1 AND serial = ?2 AND status = 1",
	[ST_CERT_FAIL]		= "UPDATE certs SET status = 3, failure = ?3 "
				  "WHERE ca_id = ?1 AND serial = ?2 AND status = 1",
	[ST_CERT_STATUS]	= "SELECT status FROM certs WHERE ca_id = ?1 AND serial = ?2",
	[ST_CERT_GET]		= "SELECT " CERT_COLS " FROM certs WHERE ca_id = ?1 AND serial = ?2",
	/* "status = 1" literally, so the planner picks the partial index */
	[ST_CERT_LIST_PENDING]	= "SELECT " CERT_COLS " FROM certs WHERE status = 1 "
				  "ORDER BY created_at, rowid LIMIT ?1",
	[ST_CERT_COUNT]		= "SELECT count(*) FROM certs WHERE ca_id = ?1",

	[ST_IDEM_GET]		= "SELECT result, created_at FROM idempotency "
				  "WHERE scope = ?1 AND token = ?2",
	[ST_IDEM_PUT]		= "INSERT INTO idempotency(scope, token, result, created_at) "
				  "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(scope, token) DO UPDATE SET "
				  "result = excluded.result, created_at = excluded.created_at",
};

/*
 * Map a SQLite result code to ours. Constraint violations are answers, not
 * failures (a taken serial, a missing parent); anything else is logged here
 * with SQLite's message, which never travels further.
 */
int
db_err(struct conn *c, int rc, const char *func, const char *what)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return PCA_ERR_EXISTS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return PCA_ERR_NOT_FOUND;
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_CHECK:
		pca_log(LOG_WARNING, func, NULL, "%s: %s", what,
		    c != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		return PCA_ERR_INVALID;
	case SQLITE_NOMEM:
		return PCA_ERR_NOMEM;
	case SQLITE_TOOBIG:
		return PCA_ERR_TOO_LARGE;
	}
	pca_log(LOG_ERR, func, NULL, "%s: %s (%d)", what,
	    c != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc), rc);
	return PCA_ERR_DB;
}

int
stmt_prepare(struct conn *c, sqlite3_stmt **slot, const char *sql, sqlite3_stmt **out)
{
	int rc;

	*out = NULL;
	if (*slot == NULL &&
	    (rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    slot, NULL)) != SQLITE_OK) {
		*slot = NULL;
		return DB_ERR(c, rc, "prepare");
	}
	*out = *slot;
	return 0;
}

static int
stmt_get(struct conn *c, enum stmt_id id, sqlite3_stmt **out)
{
	return stmt_prepare(c, &c->stmt[id], stmt_sql[id], out);
}

/* Reset so the statement ends its read snapshot, and drop bindings so no
 * pointer into a caller's memory outlives the call. NULL-safe. */
void
stmt_done(sqlite3_stmt *s)
{
	if (s == NULL)
		return;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* 1 for a row, 0 when done, or a negative PCA_ERR_*. */
int
stmt_step(struct conn *c, sqlite3_stmt *s, const char *func)
{
	int rc;

	switch ((rc = sqlite3_step(s))) {
	case SQLITE_ROW:
		return 1;
	case SQLITE_DONE:
		return 0;
	}
	return db_err(c, rc, func, sqlite3_sql(s));
}

/* Run a parameterless cached statement to completion. */
static int
stmt_run(struct conn *c, enum stmt_id id)
{
	sqlite3_stmt *s;
	int r;

	if ((r = stmt_get(c, id, &s)) != 0)
		return r;
	r = STEP(c, s);
	stmt_done(s);
	return r < 0 ? r : 0;
}

/* Binders: each is a no-op once *rc holds an error, so a run of binds is
 * checked once. SQLITE_STATIC: the caller's data outlives the statement's
 * use (stmt_done() clears the bindings before the call returns). */
void
bind_text(sqlite3_stmt *s, int i, const char *v, int *rc)
{
	if (*rc != SQLITE_OK)
		return;
	*rc = v == NULL ? sqlite3_bind_null(s, i) :
	    sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

void
bind_int(sqlite3_stmt *s, int i, int64_t v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_int64(s, i, v);
}

void
bind_limit(sqlite3_stmt *s, int i, size_t v, int *rc)
{
	bind_int(s, i, v > INT64_MAX ? INT64_MAX : (int64_t)v, rc);
}

/* NULL stays NULL; an empty but present blob (a packed message with no
 * fields set) stays an empty blob, not NULL. */
void
bind_blob(sqlite3_stmt *s, int i, const uint8_t *p, size_t len, int *rc)
{
	if (*rc != SQLITE_OK)
		return;
	if (p == NULL)
		*rc = sqlite3_bind_null(s, i);
	else if (len == 0)
		*rc = sqlite3_bind_zeroblob(s, i, 0);
	else
		*rc = sqlite3_bind_blob64(s, i, p, len, SQLITE_STATIC);
}

int
col_str(sqlite3_stmt *s, int i, char **out)
{
	const unsigned char *t;

	*out = NULL;
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return 0;
	if ((t = sqlite3_column_text(s, i)) == NULL ||
	    (*out = strdup((const char *)t)) == NULL)
		return PCA_ERR_NOMEM;
	return 0;
}

/* Into a fixed array of the store.h structs; a longer value means the file
 * was written by something else. */
int
col_fixed(sqlite3_stmt *s, int i, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	int len = sqlite3_column_bytes(s, i);

	if (t == NULL || len < 0 || (size_t)len >= size) {
		log_error("column %s: not a text of at most %zu bytes",
		    sqlite3_column_name(s, i), size - 1);
		return PCA_ERR_DB;
	}
	memcpy(buf, t, (size_t)len + 1);
	return 0;
}

int
col_blob(sqlite3_stmt *s, int i, uint8_t **p, size_t *len)
{
	const void *b;
	int n;

	*p = NULL;
	*len = 0;
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return 0;
	b = sqlite3_column_blob(s, i);		/* before _bytes, as SQLite asks */
	n = sqlite3_column_bytes(s, i);
	if (n < 0 || (b == NULL && n > 0))
		return PCA_ERR_NOMEM;
	if ((*p = malloc(n > 0 ? (size_t)n : 1)) == NULL)	/* empty, not NULL */
		return PCA_ERR_NOMEM;
	if (n > 0)
		memcpy(*p, b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* Room for element n of a malloc'd array (new slots zeroed): the array,
 * perhaps moved, or NULL when out of memory (arr is then still valid). */
void *
list_grow(void *arr, size_t *cap, size_t n, size_t elsize)
{
	void *na;
	size_t ncap;

	if (n < *cap)
		return arr;
	ncap = *cap == 0 ? 16 : *cap * 2;
	if ((na = reallocarray(arr, ncap, elsize)) == NULL)
		return NULL;
	memset((char *)na + *cap * elsize, 0, (ncap - *cap) * elsize);
	*cap = ncap;
	return na;
}

/* ---- connections -------------------------------------------------------- */

static void
conn_close(struct conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	for (i = 0; i < STORE_EXT_STMT_MAX; i++)
		sqlite3_finalize(c->ext[i]);
	for (i = 0; i < STORE_ACM_STMT_MAX; i++)
		sqlite3_finalize(c->acm[i]);
	if (sqlite3_close(c->db) != SQLITE_OK)
		log_error("close: %s", sqlite3_errmsg(c->db));
	free(c);
}

/*
 * Open a connection on an existing file. Readers get query_only: they
 * cannot write even by mistake, so the writer's group commit is the only
 * way in. (Not SQLITE_OPEN_READONLY: a read-only connection cannot take
 * part in WAL recovery.)
 */
static int
conn_open(const char *path, int writer, struct conn **out)
{
	static const char common_pragmas[] =
	    "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;";
	struct conn *c;
	int rc, r = PCA_ERR_DB;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PCA_ERR_NOMEM;
	/* NOMUTEX: each connection is used by one thread at a time */
	rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_error("open %s: %s", path,
		    c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, STORE_BUSY_MS);
	if ((rc = sqlite3_exec(c->db, common_pragmas, NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_exec(c->db, writer ?
	    /* FAST: zero freed content (old secrets) when it costs no extra I/O */
	    "PRAGMA secure_delete = FAST;" :
	    "PRAGMA query_only = ON; PRAGMA cache_size = -" STR(STORE_READ_CACHE_KIB) ";",
	    NULL, NULL, NULL)) != SQLITE_OK) {
		r = DB_ERR(c, rc, "pragma");
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
 out:
	if (c != NULL) {
		sqlite3_close(c->db);	/* NULL-safe; needed even after a failed open */
		free(c);
	}
	return r;
}

/*
 * A read connection: an idle one, a new one while fewer than
 * STORE_READERS_MAX are open, or else the next one put back. A caller
 * holds one connection at a time (a second conn_get() while holding one
 * could wait for ever), and gives it back with conn_put().
 */
int
conn_get(struct store *st, struct conn **out)
{
	struct conn *c;
	int r;

	pthread_mutex_lock(&st->pool_mu);
	while ((c = st->idle) == NULL && st->nreaders >= STORE_READERS_MAX)
		pthread_cond_wait(&st->pool_cv, &st->pool_mu);
	if (c != NULL) {
		st->idle = c->next;
		st->nidle--;
		c->next = NULL;
	} else {
		st->nreaders++;		/* the one opened below */
	}
	pthread_mutex_unlock(&st->pool_mu);
	if (c != NULL) {
		*out = c;
		return 0;
	}
	if ((r = conn_open(st->path, 0, out)) != 0) {
		pthread_mutex_lock(&st->pool_mu);
		st->nreaders--;
		pthread_cond_signal(&st->pool_cv);
		pthread_mutex_unlock(&st->pool_mu);
	}
	return r;
}

void
conn_put(struct store *st, struct conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&st->pool_mu);
	c->next = st->idle;
	st->idle = c;
	st->nidle++;
	pthread_cond_signal(&st->pool_cv);
	pthread_mutex_unlock(&st->pool_mu);
}

/* ---- the writer --------------------------------------------------------- */

/*
 * One transaction for the batch, one savepoint per job. If the transaction
 * itself is lost (BEGIN or COMMIT fails, or SQLite rolled everything back
 * after an I/O error inside a job), nothing of the batch was written and
 * every job fails with PCA_ERR_DB, whatever it returned.
 */
static void
writer_run_batch(struct store *st, struct store_job **jobs, size_t n)
{
	struct conn *c = st->wconn;
	size_t i;
	int r;

	if ((r = stmt_run(c, ST_BEGIN)) != 0)
		goto lost;
	for (i = 0; i < n; i++) {
		if ((r = stmt_run(c, ST_SAVEPOINT)) != 0)
			goto lost;
		jobs[i]->result = jobs[i]->fn(c, jobs[i]->arg);
		if (jobs[i]->result != 0 && (r = stmt_run(c, ST_ROLLBACK_TO)) != 0)
			goto lost;
		if ((r = stmt_run(c, ST_RELEASE)) != 0)
			goto lost;
	}
	if ((r = stmt_run(c, ST_COMMIT)) != 0)
		goto lost;
	atomic_fetch_add(&st->commits, 1);
	store_iam_batch_end(st, 1);
	return;
 lost:
	log_error("transaction of %zu jobs lost: %s", n, pca_err_str(r));
	if (!sqlite3_get_autocommit(c->db))
		(void)stmt_run(c, ST_ROLLBACK);
	for (i = 0; i < n; i++)
		jobs[i]->result = PCA_ERR_DB;
	store_iam_batch_end(st, 0);
}

static void *
writer_main(void *arg)
{
	struct store *st = arg;
	struct store_job *batch[STORE_BATCH_MAX];
	unsigned flags;
	size_t n, i;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		while (st->head == NULL && !st->stopping)
			pthread_cond_wait(&st->work_cv, &st->mu);
		if (st->head == NULL)
			break;		/* stopping, and the queue is drained */
		for (n = 0; n < STORE_BATCH_MAX && st->head != NULL; n++) {
			batch[n] = st->head;
			st->head = st->head->next;
		}
		if (st->head == NULL)
			st->tail = NULL;
		pthread_mutex_unlock(&st->mu);

		writer_run_batch(st, batch, n);
		/* whether it committed or not: a spurious bump only empties
		 * the caches once */
		flags = 0;
		for (i = 0; i < n; i++)
			flags |= batch[i]->flags;
		if (flags & JOB_CREDENTIALS)
			atomic_fetch_add(&st->cred_gen, 1);
		if (flags & (JOB_CREDENTIALS | JOB_AUTHZ))
			atomic_fetch_add(&st->authz_gen, 1);

		/* nobody waits for a detached job: its result ends here */
		for (i = 0; i < n; i++) {
			if (!(batch[i]->flags & JOB_DETACHED))
				continue;
			if (batch[i]->result != 0)
				log_error_fr(batch[i]->result, "detached job failed");
			batch[i]->release(batch[i]);
			batch[i] = NULL;
		}

		/* Signal under the lock: once it is released a caller may
		 * return and its job (on its stack) is gone. */
		pthread_mutex_lock(&st->mu);
		for (i = 0; i < n; i++) {
			if (batch[i] == NULL)
				continue;
			batch[i]->done = 1;
			pthread_cond_signal(&batch[i]->cv);
		}
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/* Queue fn(arg) for the writer and sleep until its transaction committed. */
int
job_submit(struct store *st, int (*fn)(struct conn *, void *), void *arg, unsigned flags)
{
	struct store_job job;
	int r;

	memset(&job, 0, sizeof(job));
	job.fn = fn;
	job.arg = arg;
	job.flags = flags & ~(unsigned)JOB_DETACHED;
	if (pthread_cond_init(&job.cv, NULL) != 0)
		return PCA_ERR_INTERNAL;
	pthread_mutex_lock(&st->mu);
	if (st->stopping) {
		r = PCA_ERR_STATE;	/* a call racing store_close(): a caller bug */
	} else {
		if (st->tail != NULL)
			st->tail->next = &job;
		else
			st->head = &job;
		st->tail = &job;
		pthread_cond_signal(&st->work_cv);
		while (!job.done)
			pthread_cond_wait(&job.cv, &st->mu);
		r = job.result;
	}
	pthread_mutex_unlock(&st->mu);
	pthread_cond_destroy(&job.cv);
	return r;
}

int
job_run(struct store *st, int (*fn)(struct conn *, void *), void *arg)
{
	return job_submit(st, fn, arg, 0);
}

/* Every write of accounts, users or access keys (and, in
 * store_sqlite_iam.c, of sessions and roles) goes through here, so that
 * store_credentials_generation() and store_authz_generation() have changed
 * when it returns. */
int
job_run_credentials(struct store *st, int (*fn)(struct conn *, void *), void *arg)
{
	return job_submit(st, fn, arg, JOB_CREDENTIALS);
}

/* Every write of what an authorization decision reads (and is not a
 * credential) goes through here: store_authz_generation(). */
int
job_run_authz(struct store *st, int (*fn)(struct conn *, void *), void *arg)
{
	return job_submit(st, fn, arg, JOB_AUTHZ);
}

/* Queue a job nobody waits for; the writer releases it after its batch. */
int
job_submit_detached(struct store *st, struct store_job *job)
{
	int r;

	return_val_if_fail(st != NULL && job != NULL && job->fn != NULL &&
	    job->release != NULL, PCA_ERR_INTERNAL);
	job->flags |= JOB_DETACHED;
	job->done = 0;
	job->result = 0;
	job->next = NULL;
	pthread_mutex_lock(&st->mu);
	if (st->stopping) {
		r = PCA_ERR_STATE;	/* a call racing store_close(): a caller bug */
	} else {
		if (st->tail != NULL)
			st->tail->next = job;
		else
			st->head = job;
		st->tail = job;
		pthread_cond_signal(&st->work_cv);
		r = 0;
	}
	pthread_mutex_unlock(&st->mu);
	return r;
}

/* ---- open and close ------------------------------------------------------ */

/*
 * Create the file 0600 ourselves, before SQLite does, so its mode never
 * depends on the umask; SQLite gives the -wal and -shm files the mode of
 * the database. An existing file readable by others is refused: it holds
 * access key secrets.
 */
static int
store_file_prepare(const char *path)
{
	struct stat sb;
	int fd, r = PCA_ERR_IO;

	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		log_error("open %s: %s", path, strerror(errno));
		return PCA_ERR_IO;
	}
	if (fstat(fd, &sb) != 0) {
		log_error("fstat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		log_error("%s: not a regular file", path);
		goto out;
	}
	if ((sb.st_mode & 077) != 0) {
		log_error("%s: mode %04o, refusing a database others can read "
		    "(chmod 600 it)", path, (unsigned)(sb.st_mode & 07777));
		r = PCA_ERR_PERM;
		goto out;
	}
	r = 0;
 out:
	close(fd);
	return r;
}

/* Bring the schema to STORE_SCHEMA_VERSION in one transaction. */
static int
store_schema_migrate(struct conn *c, const char *path)
{
	sqlite3_stmt *s = NULL;
	char sql[64];
	int rc, r, version, in_tx = 0;

	if ((rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK) {
		r = DB_ERR(c, rc, "begin");
		goto out;
	}
	in_tx = 1;
	if ((rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_ROW) {
		r = DB_ERR(c, rc, "user_version");
		goto out;
	}
	version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (version > STORE_SCHEMA_VERSION || version < 0) {
		log_error("%s: schema version %d, this build knows up to %d",
		    path, version, STORE_SCHEMA_VERSION);
		r = PCA_ERR_DB;
		goto out;
	}
	if (version == STORE_SCHEMA_VERSION) {
		r = 0;
		goto out;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		if ((rc = sqlite3_exec(c->db, store_migrations[version], NULL, NULL,
		    NULL)) != SQLITE_OK) {
			r = DB_ERR(c, rc, "migration");
			goto out;
		}
		log_info("%s: schema migrated to version %d", path, version + 1);
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	if ((rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
		r = DB_ERR(c, rc, "commit schema");
		goto out;
	}
	in_tx = 0;
	r = 0;
 out:
	sqlite3_finalize(s);
	if (in_tx && !sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, r == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static int
store_wal_enable(struct conn *c, const char *path)
{
	char sql[96];
	sqlite3_stmt *s = NULL;
	const unsigned char *mode;
	int rc, r = PCA_ERR_DB;

	/* the journal mode is stored in the file; the limit is per connection */
	if ((rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &s,
	    NULL)) != SQLITE_OK || (rc = sqlite3_step(s)) != SQLITE_ROW) {
		r = DB_ERR(c, rc, "journal_mode");
		goto out;
	}
	if ((mode = sqlite3_column_text(s, 0)) == NULL ||
	    strcmp((const char *)mode, "wal") != 0) {
		log_error("%s: cannot use WAL (journal_mode is %s)", path,
		    mode != NULL ? (const char *)mode : "unknown");
		goto out;
	}
	snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %d", STORE_WAL_LIMIT);
	if ((rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL)) != SQLITE_OK) {
		r = DB_ERR(c, rc, "journal_size_limit");
		goto out;
	}
	r = 0;
 out:
	sqlite3_finalize(s);
	return r;
}

static void
store_free(struct store *st)
{
	struct conn *c;

	if (st == NULL)
		return;
	while ((c = st->idle) != NULL) {
		st->idle = c->next;
		conn_close(c);
	}
	/* last: the last connection to close checkpoints and removes the WAL */
	conn_close(st->wconn);
	store_iam_free(st);
	if (st->sync_ready) {
		pthread_cond_destroy(&st->work_cv);
		pthread_cond_destroy(&st->pool_cv);
		pthread_mutex_destroy(&st->mu);
		pthread_mutex_destroy(&st->pool_mu);
	}
	free(st->path);
	free(st);
}

int
store_open(const char *path, struct store **out)
{
	struct store *st = NULL;
	sigset_t all, old;
	int r, rc;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	return_val_if_fail(path != NULL, PCA_ERR_INTERNAL);
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->path = strdup(path)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	if (pthread_mutex_init(&st->mu, NULL) != 0) {
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	if (pthread_mutex_init(&st->pool_mu, NULL) != 0) {
		pthread_mutex_destroy(&st->mu);
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	if (pthread_cond_init(&st->work_cv, NULL) != 0) {
		pthread_mutex_destroy(&st->mu);
		pthread_mutex_destroy(&st->pool_mu);
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	if (pthread_cond_init(&st->pool_cv, NULL) != 0) {
		pthread_cond_destroy(&st->work_cv);
		pthread_mutex_destroy(&st->mu);
		pthread_mutex_destroy(&st->pool_mu);
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	st->sync_ready = 1;
	atomic_init(&st->commits, 0);
	atomic_init(&st->cred_gen, 1);
	atomic_init(&st->authz_gen, 1);

	if ((r = store_file_prepare(path)) != 0 ||
	    (r = conn_open(path, 1, &st->wconn)) != 0 ||
	    (r = store_wal_enable(st->wconn, path)) != 0 ||
	    (r = store_schema_migrate(st->wconn, path)) != 0 ||
	    (r = store_iam_open(st)) != 0)
		goto out;

	/* The writer takes no signals: they belong to the daemon's main loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&st->writer, NULL, writer_main, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("pthread_create: %s", strerror(rc));
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	pthread_setname_np(st->writer, "store-writer");
	st->writer_running = 1;
	*out = st;
	st = NULL;
	r = 0;
 out:
	if (r != 0 && r != PCA_ERR_NOMEM)
		log_error_fr(r, "store %s", path);
	store_free(st);
	return r;
}

/* Every other call must have returned: the writer finishes what is queued,
 * then all connections close. */
void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->writer_running) {
		pthread_mutex_lock(&st->mu);
		st->stopping = 1;
		pthread_cond_signal(&st->work_cv);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->writer, NULL);
	}
	store_free(st);
}

size_t
store_commit_count(struct store *st)
{
	return st != NULL ? atomic_load(&st->commits) : 0;
}

uint64_t
store_credentials_generation(struct store *st)
{
	return st != NULL ? (uint64_t)atomic_load(&st->cred_gen) : 0;
}

/* ---- idempotency records (inside writer jobs) --------------------------- */

/* Whether a record made at `made` is still inside the window at `now`. */
static int
idem_fresh(int64_t made, int64_t now, int64_t window)
{
	int64_t age;

	if (__builtin_sub_overflow(now, made, &age))
		age = now > made ? INT64_MAX : INT64_MIN;
	return age < window;
}

/* 0 when (scope, token) is free or stale; PCA_ERR_EXISTS with *found (the
 * earlier result, malloc'd) when a fresh record exists. */
static int
idem_check(struct conn *c, const char *scope, const char *token, int64_t now,
    int64_t window, char **found)
{
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	*found = NULL;
	if ((r = stmt_get(c, ST_IDEM_GET, &s)) != 0)
		goto out;
	bind_text(s, 1, scope, &rc);
	bind_text(s, 2, token, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) <= 0)
		goto out;		/* no record (0) or an error */
	if (!idem_fresh(sqlite3_column_int64(s, 1), now, window)) {
		r = 0;
		goto out;
	}
	if ((r = col_str(s, 0, found)) != 0)
		goto out;
	if (*found == NULL && (*found = strdup("")) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	r = PCA_ERR_EXISTS;
 out:
	stmt_done(s);
	return r;
}

static int
idem_put(struct conn *c, const char *scope, const char *token, const char *result,
    int64_t now)
{
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = stmt_get(c, ST_IDEM_PUT, &s)) != 0)
		goto out;
	bind_text(s, 1, scope, &rc);
	bind_text(s, 2, token, &rc);
	bind_text(s, 3, result, &rc);
	bind_int(s, 4, now, &rc);
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

/* 0 when the CA exists, PCA_ERR_NOT_FOUND when not. */
static int
ca_exists(struct conn *c, const char *id)
{
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = stmt_get(c, ST_CA_EXISTS, &s)) != 0)
		goto out;
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

/* ---- accounts, users, access keys ---------------------------------------- */

static int
job_account_put(struct conn *c, void *arg)
{
	const struct store_account *a = arg;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = stmt_get(c, ST_ACCOUNT_PUT, &s)) != 0)
		goto out;
	bind_text(s, 1, a->id, &rc);
	bind_text(s, 2, a->name, &rc);
	bind_int(s, 3, a->created_at, &rc);
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

int
store_account_put(struct store *st, const struct store_account *a)
{
	return_val_if_fail(st != NULL && a != NULL, PCA_ERR_INTERNAL);
	if (!FIXED_OK(a->id) || a->name == NULL)
		return PCA_ERR_INVALID;
	return job_run_credentials(st, job_account_put, (void *)(uintptr_t)a);
}

int
store_account_get(struct store *st, const char *id, struct store_account *out)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = stmt_get(c, ST_ACCOUNT_GET, &s)) != 0)
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
	if ((r = col_fixed(s, 0, out->id, sizeof(out->id))) != 0 ||
	    (r = col_str(s, 1, &out->name)) != 0)
		goto out;
	out->created_at = sqlite3_column_int64(s, 2);
 out:
	stmt_done(s);
	conn_put(st, c);
	if (r != 0)
		store_account_clear(out);
	return r;
}

void
store_account_clear(struct store_account *a)
{
	if (a == NULL)
		return;
	free(a->name);
	memset(a, 0, sizeof(*a));
}

static int
job_user_put(struct conn *c, void *arg)
{
	const struct store_user *u = arg;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = stmt_get(c, ST_USER_PUT, &s)) != 0)
		goto out;
	bind_text(s, 1, u->account_id, &rc);
	bind_text(s, 2, u->name, &rc);
	bind_text(s, 3, u->arn, &rc);
	bind_int(s, 4, u->created_at, &rc);
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

int
store_user_put(struct store *st, const struct store_user *u)
{
	return_val_if_fail(st != NULL && u != NULL, PCA_ERR_INTERNAL);
	if (!FIXED_OK(u->account_id) || u->name == NULL || u->arn == NULL)
		return PCA_ERR_INVALID;
	return job_run_credentials(st, job_user_put, (void *)(uintptr_t)u);
}

int
store_user_get(struct store *st, const char *account_id, const char *name,
    struct store_user *out)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && account_id != NULL && name != NULL,
	    PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = stmt_get(c, ST_USER_GET, &s)) != 0)
		goto out;
	bind_text(s, 1, account_id, &rc);
	bind_text(s, 2, name, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) <= 0) {
		r = r == 0 ? PCA_ERR_NOT_FOUND : r;
		goto out;
	}
	if ((r = col_fixed(s, 0, out->account_id, sizeof(out->account_id))) != 0 ||
	    (r = col_str(s, 1, &out->name)) != 0 ||
	    (r = col_str(s, 2, &out->arn)) != 0)
		goto out;
	out->created_at = sqlite3_column_int64(s, 3);
 out:
	stmt_done(s);
	conn_put(st, c);
	if (r != 0)
		store_user_clear(out);
	return r;
}

void
store_user_clear(struct store_user *u)
{
	if (u == NULL)
		return;
	free(u->name);
	free(u->arn);
	memset(u, 0, sizeof(*u));
}

static int
job_access_key_put(struct conn *c, void *arg)
{
	const struct store_access_key *k = arg;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = stmt_get(c, ST_KEY_PUT, &s)) != 0)
		goto out;
	bind_text(s, 1, k->id, &rc);
	bind_text(s, 2, k->secret, &rc);
	bind_text(s, 3, k->account_id, &rc);
	bind_text(s, 4, k->user_name, &rc);
	bind_int(s, 5, k->active != 0, &rc);
	bind_int(s, 6, k->created_at, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) < 0)
		goto out;
	/* the id exists under another owner: the upsert's WHERE kept it */
	r = sqlite3_changes(c->db) == 0 ? PCA_ERR_EXISTS : 0;
 out:
	stmt_done(s);
	return r;
}

int
store_access_key_put(struct store *st, const struct store_access_key *k)
{
	return_val_if_fail(st != NULL && k != NULL, PCA_ERR_INTERNAL);
	if (k->id == NULL || k->secret == NULL || !FIXED_OK(k->account_id))
		return PCA_ERR_INVALID;
	return job_run_credentials(st, job_access_key_put, (void *)(uintptr_t)k);
}

int
store_access_key_get(struct store *st, const char *id, struct store_access_key *out)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = stmt_get(c, ST_KEY_GET, &s)) != 0)
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
	if ((r = col_str(s, 0, &out->id)) != 0 ||
	    (r = col_str(s, 1, &out->secret)) != 0 ||
	    (r = col_fixed(s, 2, out->account_id, sizeof(out->account_id))) != 0 ||
	    (r = col_str(s, 3, &out->user_name)) != 0)
		goto out;
	out->active = sqlite3_column_int(s, 4);
	out->created_at = sqlite3_column_int64(s, 5);
	r = col_str(s, 6, &out->user_arn);
 out:
	stmt_done(s);
	conn_put(st, c);
	if (r != 0)
		store_access_key_clear(out);
	return r;
}

void
store_access_key_clear(struct store_access_key *k)
{
	if (k == NULL)
		return;
	free(k->id);
	str_free_wiped(k->secret);
	free(k->user_name);
	free(k->user_arn);
	memset(k, 0, sizeof(*k));
}

/* ---- certificate authorities --------------------------------------------- */

/* Bind ?1..?22 in CA_COLS order (the UPDATE leaves ?2, ?3 and ?19 unused). */
static int
ca_bind(sqlite3_stmt *s, const struct store_ca *ca)
{
	int rc = SQLITE_OK;

	bind_text(s, 1, ca->id, &rc);
	bind_text(s, 2, ca->account_id, &rc);
	bind_text(s, 3, ca->arn, &rc);
	bind_int(s, 4, ca->type, &rc);
	bind_int(s, 5, ca->status, &rc);
	bind_int(s, 6, ca->status_before_delete, &rc);
	bind_int(s, 7, ca->key_algorithm, &rc);
	bind_int(s, 8, ca->key_storage, &rc);
	bind_int(s, 9, ca->usage_mode, &rc);
	bind_int(s, 10, ca->failure_reason, &rc);
	bind_blob(s, 11, ca->config, ca->config_len, &rc);
	bind_blob(s, 12, ca->revocation, ca->revocation_len, &rc);
	bind_blob(s, 13, ca->csr_der, ca->csr_der_len, &rc);
	bind_blob(s, 14, ca->cert_der, ca->cert_der_len, &rc);
	bind_text(s, 15, ca->chain_pem, &rc);
	bind_text(s, 16, ca->serial, &rc);
	bind_int(s, 17, ca->not_before, &rc);
	bind_int(s, 18, ca->not_after, &rc);
	bind_int(s, 19, ca->created_at, &rc);
	bind_int(s, 20, ca->last_state_change_at, &rc);
	bind_int(s, 21, ca->restorable_until, &rc);
	bind_int(s, 22, ca->version, &rc);
	return rc;
}

int
ca_row(sqlite3_stmt *s, struct store_ca *ca)
{
	int r;

	memset(ca, 0, sizeof(*ca));
	if ((r = col_fixed(s, 0, ca->id, sizeof(ca->id))) != 0 ||
	    (r = col_fixed(s, 1, ca->account_id, sizeof(ca->account_id))) != 0 ||
	    (r = col_str(s, 2, &ca->arn)) != 0 ||
	    (r = col_blob(s, 10, &ca->config, &ca->config_len)) != 0 ||
	    (r = col_blob(s, 11, &ca->revocation, &ca->revocation_len)) != 0 ||
	    (r = col_blob(s, 12, &ca->csr_der, &ca->csr_der_len)) != 0 ||
	    (r = col_blob(s, 13, &ca->cert_der, &ca->cert_der_len)) != 0 ||
	    (r = col_str(s, 14, &ca->chain_pem)) != 0 ||
	    (r = col_str(s, 15, &ca->serial)) != 0) {
		store_ca_clear(ca);
		return r;
	}
	ca->type = sqlite3_column_int(s, 3);
	ca->status = sqlite3_column_int(s, 4);
	ca->status_before_delete = sqlite3_column_int(s, 5);
	ca->key_algorithm = sqlite3_column_int(s, 6);
	ca->key_storage = sqlite3_column_int(s, 7);
	ca->usage_mode = sqlite3_column_int(s, 8);
	ca->failure_reason = sqlite3_column_int(s, 9);
	ca->not_before = sqlite3_column_int64(s, 16);
	ca->not_after = sqlite3_column_int64(s, 17);
	ca->created_at = sqlite3_column_int64(s, 18);
	ca->last_state_change_at = sqlite3_column_int64(s, 19);
	ca->restorable_until = sqlite3_column_int64(s, 20);
	ca->version = sqlite3_column_int64(s, 21);
	return 0;
}

static int
ca_insert(struct conn *c, const struct store_ca *ca)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if ((r = stmt_get(c, ST_CA_INSERT, &s)) != 0)
		goto out;
	if ((rc = ca_bind(s, ca)) != SQLITE_OK) {
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
job_ca_insert(struct conn *c, void *arg)
{
	return ca_insert(c, arg);
}

static int
ca_valid(const struct store_ca *ca)
{
	return FIXED_OK(ca->id) && FIXED_OK(ca->account_id) && ca->arn != NULL;
}

int
store_ca_insert(struct store *st, const struct store_ca *ca)
{
	return_val_if_fail(st != NULL && ca != NULL, PCA_ERR_INTERNAL);
	if (!ca_valid(ca))
		return PCA_ERR_INVALID;
	return job_run(st, job_ca_insert, (void *)(uintptr_t)ca);
}

struct ca_insert_idem_args {
	const struct store_ca	*ca;
	const char		*scope, *token;
	int64_t			 window;
	char			*existing;	/* out, malloc'd */
};

static int
job_ca_insert_idem(struct conn *c, void *arg)
{
	struct ca_insert_idem_args *a = arg;
	int r;

	if (a->token == NULL)
		return ca_insert(c, a->ca);
	if ((r = idem_check(c, a->scope, a->token, a->ca->created_at, a->window,
	    &a->existing)) != 0 ||
	    (r = idem_put(c, a->scope, a->token, a->ca->arn, a->ca->created_at)) != 0)
		return r;
	return ca_insert(c, a->ca);
}

int
store_ca_insert_idem(struct store *st, const struct store_ca *ca,
    const char *scope, const char *token, int64_t window, char **existing)
{
	struct ca_insert_idem_args a;
	int r;

	return_val_if_fail(existing != NULL, PCA_ERR_INTERNAL);
	*existing = NULL;
	return_val_if_fail(st != NULL && ca != NULL, PCA_ERR_INTERNAL);
	return_val_if_fail(token == NULL || scope != NULL, PCA_ERR_INTERNAL);
	if (!ca_valid(ca))
		return PCA_ERR_INVALID;
	memset(&a, 0, sizeof(a));
	a.ca = ca;
	a.scope = scope;
	a.token = scope != NULL ? token : NULL;	/* no token: a plain insert */
	a.window = window;
	r = job_run(st, job_ca_insert_idem, &a);
	/* an earlier record is only an answer if the job's result says so */
	if (r == PCA_ERR_EXISTS && a.existing != NULL) {
		*existing = a.existing;
		a.existing = NULL;
	}
	free(a.existing);
	return r;
}

int
store_ca_get(struct store *st, const char *id, struct store_ca *out)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = stmt_get(c, ST_CA_GET, &s)) != 0)
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
	r = ca_row(s, out);
 out:
	stmt_done(s);
	conn_put(st, c);
	return r;
}

static int
job_ca_update(struct conn *c, void *arg)
{
	const struct store_ca *ca = arg;
	sqlite3_stmt *s = NULL;
	int r, rc;

	if ((r = stmt_get(c, ST_CA_UPDATE, &s)) != 0)
		goto out;
	if ((rc = ca_bind(s, ca)) != SQLITE_OK) {
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
	if ((r = ca_exists(c, ca->id)) == 0)
		r = PCA_ERR_STATE;
 out:
	stmt_done(s);
	return r;
}

int
store_ca_update(struct store *st, struct store_ca *ca)
{
	int r;

	return_val_if_fail(st != NULL && ca != NULL, PCA_ERR_INTERNAL);
	if (!ca_valid(ca))
		return PCA_ERR_INVALID;
	if ((r = job_run(st, job_ca_update, ca)) == 0)
		ca->version++;
	return r;
}

static int
job_ca_purge(struct conn *c, void *arg)
{
	static const enum stmt_id steps[] = {
		ST_CA_PURGE_TAGS, ST_CA_PURGE_CERTS, ST_CA_PURGE
	};
	const char *id = arg;
	sqlite3_stmt *s = NULL;
	size_t i;
	int r = 0, rc;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		rc = SQLITE_OK;
		if ((r = stmt_get(c, steps[i], &s)) != 0)
			goto out;
		bind_text(s, 1, id, &rc);
		if (rc != SQLITE_OK) {
			r = DB_ERR(c, rc, "bind");
			goto out;
		}
		if ((r = STEP(c, s)) < 0)
			goto out;
		stmt_done(s);
		s = NULL;
	}
	/* the last step deleted the CA row itself */
	r = sqlite3_changes(c->db) == 1 ? 0 : PCA_ERR_NOT_FOUND;
 out:
	stmt_done(s);
	return r;
}

int
store_ca_purge(struct store *st, const char *id)
{
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	return job_run(st, job_ca_purge, (void *)(uintptr_t)id);
}

/* Read every row of a bound CA query into a malloc'd array. */
static int
ca_rows(struct conn *c, sqlite3_stmt *s, struct store_ca **out, size_t *n)
{
	struct store_ca *cas = NULL, *grown;
	size_t cap = 0, len = 0;
	int r;

	while ((r = STEP(c, s)) == 1) {
		if ((grown = list_grow(cas, &cap, len, sizeof(*cas))) == NULL) {
			r = PCA_ERR_NOMEM;
			break;
		}
		cas = grown;
		if ((r = ca_row(s, &cas[len])) != 0)
			break;
		len++;
	}
	if (r != 0) {
		store_ca_list_free(cas, len);
		return r;
	}
	*out = cas;
	*n = len;
	return 0;
}

int
store_ca_list(struct store *st, const char *account_id, const char *after_id,
    size_t limit, struct store_ca **out, size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int64_t after_seq = 0;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && account_id != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0)
		goto out;
	if (after_id != NULL) {
		if ((r = stmt_get(c, ST_CA_SEQ, &s)) != 0)
			goto out;
		bind_text(s, 1, after_id, &rc);
		bind_text(s, 2, account_id, &rc);
		if (rc != SQLITE_OK) {
			r = DB_ERR(c, rc, "bind");
			goto out;
		}
		if ((r = STEP(c, s)) <= 0) {
			/* no such CA of this account (purged meanwhile, or a
			 * forged token): the position is lost */
			r = r == 0 ? PCA_ERR_INVALID : r;
			goto out;
		}
		after_seq = sqlite3_column_int64(s, 0);
		stmt_done(s);
		s = NULL;
	}
	if ((r = stmt_get(c, ST_CA_LIST, &s)) != 0)
		goto out;
	bind_text(s, 1, account_id, &rc);
	bind_int(s, 2, after_seq, &rc);
	bind_limit(s, 3, limit, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	r = ca_rows(c, s, out, n);
 out:
	stmt_done(s);
	conn_put(st, c);
	return r;
}

int
store_ca_list_purgeable(struct store *st, int64_t now, size_t limit,
    struct store_ca **out, size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = stmt_get(c, ST_CA_LIST_PURGEABLE, &s)) != 0)
		goto out;
	bind_int(s, 1, now, &rc);
	bind_limit(s, 2, limit, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	r = ca_rows(c, s, out, n);
 out:
	stmt_done(s);
	conn_put(st, c);
	return r;
}

int
store_ca_list_by_status(struct store *st, int status, size_t limit,
    struct store_ca **out, size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = stmt_get(c, ST_CA_LIST_BY_STATUS, &s)) != 0)
		goto out;
	bind_int(s, 1, status, &rc);
	bind_limit(s, 2, limit, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	r = ca_rows(c, s, out, n);
 out:
	stmt_done(s);
	conn_put(st, c);
	return r;
}

void
store_ca_clear(struct store_ca *ca)
{
	if (ca == NULL)
		return;
	free(ca->arn);
	free(ca->config);
	free(ca->revocation);
	free(ca->csr_der);
	free(ca->cert_der);
	free(ca->chain_pem);
	free(ca->serial);
	memset(ca, 0, sizeof(*ca));
}

void
store_ca_list_free(struct store_ca *cas, size_t n)
{
	size_t i;

	if (cas == NULL)
		return;
	for (i = 0; i < n; i++)
		store_ca_clear(&cas[i]);
	free(cas);
}

/* ---- tags ------------------------------------------------------------------ */

struct tags_args {
	const char		*ca_id;
	const struct store_tag	*tags;
	size_t			 n;
	size_t			 max_tags;
};

static int
job_tags_put(struct conn *c, void *arg)
{
	const struct tags_args *a = arg;
	sqlite3_stmt *s = NULL;
	size_t i;
	int64_t count;
	int r, rc;

	if ((r = ca_exists(c, a->ca_id)) != 0)
		goto out;
	for (i = 0; i < a->n; i++) {
		rc = SQLITE_OK;
		if ((r = stmt_get(c, ST_TAG_PUT, &s)) != 0)
			goto out;
		bind_text(s, 1, a->ca_id, &rc);
		bind_text(s, 2, a->tags[i].key, &rc);
		bind_text(s, 3, a->tags[i].value, &rc);
		if (rc != SQLITE_OK) {
			r = DB_ERR(c, rc, "bind");
			goto out;
		}
		if ((r = STEP(c, s)) < 0)
			goto out;
		stmt_done(s);
		s = NULL;
	}
	/* Count after the upserts, inside the job: overwrites do not count
	 * twice, and no concurrent put can slip in between (one writer). */
	rc = SQLITE_OK;
	if ((r = stmt_get(c, ST_TAG_COUNT, &s)) != 0)
		goto out;
	bind_text(s, 1, a->ca_id, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) < 0)
		goto out;
	count = sqlite3_column_int64(s, 0);
	r = count >= 0 && (uint64_t)count > a->max_tags ? PCA_ERR_TOO_LARGE : 0;
 out:
	stmt_done(s);
	return r;
}

int
store_tags_put(struct store *st, const char *ca_id, const struct store_tag *tags,
    size_t n, size_t max_tags)
{
	struct tags_args a = { ca_id, tags, n, max_tags };
	size_t i;

	return_val_if_fail(st != NULL && ca_id != NULL && (tags != NULL || n == 0),
	    PCA_ERR_INTERNAL);
	for (i = 0; i < n; i++)
		if (tags[i].key == NULL)
			return PCA_ERR_INVALID;
	return job_run(st, job_tags_put, &a);
}

static int
job_tags_remove(struct conn *c, void *arg)
{
	const struct tags_args *a = arg;
	sqlite3_stmt *s = NULL;
	size_t i;
	int r, rc;

	if ((r = ca_exists(c, a->ca_id)) != 0)
		goto out;
	for (i = 0; i < a->n; i++) {
		rc = SQLITE_OK;
		if ((r = stmt_get(c, ST_TAG_REMOVE, &s)) != 0)
			goto out;
		bind_text(s, 1, a->ca_id, &rc);
		bind_text(s, 2, a->tags[i].key, &rc);
		bind_text(s, 3, a->tags[i].value, &rc);
		if (rc != SQLITE_OK) {
			r = DB_ERR(c, rc, "bind");
			goto out;
		}
		if ((r = STEP(c, s)) < 0)
			goto out;
		stmt_done(s);
		s = NULL;
	}
	r = 0;
 out:
	stmt_done(s);
	return r;
}

int
store_tags_remove(struct store *st, const char *ca_id, const struct store_tag *tags,
    size_t n)
{
	struct tags_args a = { ca_id, tags, n, 0 };
	size_t i;

	return_val_if_fail(st != NULL && ca_id != NULL && (tags != NULL || n == 0),
	    PCA_ERR_INTERNAL);
	for (i = 0; i < n; i++)
		if (tags[i].key == NULL)
			return PCA_ERR_INVALID;
	return job_run(st, job_tags_remove, &a);
}

int
store_tags_list(struct store *st, const char *ca_id, const char *after_key,
    size_t limit, struct store_tag **out, size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	struct store_tag *tags = NULL, *grown;
	size_t cap = 0, len = 0;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && ca_id != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = stmt_get(c, ST_TAG_LIST, &s)) != 0)
		goto out;
	bind_text(s, 1, ca_id, &rc);
	bind_text(s, 2, after_key, &rc);
	bind_limit(s, 3, limit, &rc);
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
	*out = tags;
	*n = len;
	tags = NULL;
 out:
	store_tags_free(tags, len);
	stmt_done(s);
	conn_put(st, c);
	return r;
}

void
store_tags_free(struct store_tag *tags, size_t n)
{
	size_t i;

	if (tags == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(tags[i].key);
		free(tags[i].value);
	}
	free(tags);
}

/* ---- certificates ----------------------------------------------------------- */

/* Serials are lower-case hex, 1..40 digits: they are keys, so one spelling. */
static int
serial_valid(const char *serial)
{
	size_t i;

	for (i = 0; i < 41 && serial[i] != '\0'; i++)
		if (!((serial[i] >= '0' && serial[i] <= '9') ||
		    (serial[i] >= 'a' && serial[i] <= 'f')))
			return 0;
	return i > 0 && i <= 40;
}

struct cert_reserve_args {
	const struct store_cert	*cert;
	const char		*scope, *token;
	int64_t			 window;
	char			*existing;	/* out, malloc'd */
};

static int
job_cert_reserve(struct conn *c, void *arg)
{
	struct cert_reserve_args *a = arg;
	const struct store_cert *p = a->cert;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if (a->token != NULL &&
	    ((r = idem_check(c, a->scope, a->token, p->created_at, a->window,
	    &a->existing)) != 0 ||
	    (r = idem_put(c, a->scope, a->token, p->serial, p->created_at)) != 0))
		goto out;
	if ((r = stmt_get(c, ST_CERT_INSERT, &s)) != 0)
		goto out;
	bind_text(s, 1, p->ca_id, &rc);
	bind_text(s, 2, p->serial, &rc);
	bind_blob(s, 3, p->request, p->request_len, &rc);
	bind_text(s, 4, p->template_arn, &rc);
	bind_text(s, 5, p->requester, &rc);
	bind_int(s, 6, p->created_at, &rc);
	bind_int(s, 7, p->not_after, &rc);
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

int
store_cert_reserve(struct store *st, const struct store_cert *pending,
    const char *idem_scope, const char *idem_token, int64_t idem_window,
    char existing_serial[41])
{
	struct cert_reserve_args a;
	int r;

	if (existing_serial != NULL)
		existing_serial[0] = '\0';
	return_val_if_fail(st != NULL && pending != NULL, PCA_ERR_INTERNAL);
	return_val_if_fail(idem_token == NULL || idem_scope != NULL, PCA_ERR_INTERNAL);
	if (!FIXED_OK(pending->ca_id) || !serial_valid(pending->serial))
		return PCA_ERR_INVALID;
	memset(&a, 0, sizeof(a));
	a.cert = pending;
	a.scope = idem_scope;
	a.token = idem_scope != NULL ? idem_token : NULL;
	a.window = idem_window;
	r = job_run(st, job_cert_reserve, &a);
	if (r == PCA_ERR_EXISTS && a.existing != NULL && existing_serial != NULL)
		snprintf(existing_serial, 41, "%s", a.existing);
	free(a.existing);
	return r;
}

struct cert_finish_args {
	const char	*ca_id, *serial;
	enum stmt_id	 stmt;
	const uint8_t	*der;
	size_t		 der_len;
	const char	*why;
};

/* PENDING -> ISSUED or FAILED; NOT_FOUND or STATE when that is not the row. */
static int
job_cert_finish(struct conn *c, void *arg)
{
	const struct cert_finish_args *a = arg;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	if ((r = stmt_get(c, a->stmt, &s)) != 0)
		goto out;
	bind_text(s, 1, a->ca_id, &rc);
	bind_text(s, 2, a->serial, &rc);
	if (a->stmt == ST_CERT_COMPLETE)
		bind_blob(s, 3, a->der, a->der_len, &rc);
	else
		bind_text(s, 3, a->why, &rc);
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
	stmt_done(s);
	s = NULL;
	rc = SQLITE_OK;
	if ((r = stmt_get(c, ST_CERT_STATUS, &s)) != 0)
		goto out;
	bind_text(s, 1, a->ca_id, &rc);
	bind_text(s, 2, a->serial, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	if ((r = STEP(c, s)) >= 0)
		r = r == 1 ? PCA_ERR_STATE : PCA_ERR_NOT_FOUND;
 out:
	stmt_done(s);
	return r;
}

int
store_cert_complete(struct store *st, const char *ca_id, const char *serial,
    const uint8_t *der, size_t der_len)
{
	struct cert_finish_args a = { ca_id, serial, ST_CERT_COMPLETE, der, der_len, NULL };

	return_val_if_fail(st != NULL && ca_id != NULL && serial != NULL, PCA_ERR_INTERNAL);
	if (der == NULL || der_len == 0)
		return PCA_ERR_INVALID;
	return job_run(st, job_cert_finish, &a);
}

int
store_cert_fail(struct store *st, const char *ca_id, const char *serial,
    const char *why)
{
	struct cert_finish_args a = { ca_id, serial, ST_CERT_FAIL, NULL, 0, why };

	return_val_if_fail(st != NULL && ca_id != NULL && serial != NULL, PCA_ERR_INTERNAL);
	if (why == NULL)
		a.why = "unknown";
	return job_run(st, job_cert_finish, &a);
}

static int
cert_row(sqlite3_stmt *s, struct store_cert *ct)
{
	int r;

	memset(ct, 0, sizeof(*ct));
	if ((r = col_fixed(s, 0, ct->ca_id, sizeof(ct->ca_id))) != 0 ||
	    (r = col_fixed(s, 1, ct->serial, sizeof(ct->serial))) != 0 ||
	    (r = col_blob(s, 3, &ct->request, &ct->request_len)) != 0 ||
	    (r = col_blob(s, 4, &ct->der, &ct->der_len)) != 0 ||
	    (r = col_str(s, 5, &ct->template_arn)) != 0 ||
	    (r = col_str(s, 6, &ct->requester)) != 0 ||
	    (r = col_str(s, 7, &ct->failure)) != 0) {
		store_cert_clear(ct);
		return r;
	}
	ct->status = sqlite3_column_int(s, 2);
	ct->created_at = sqlite3_column_int64(s, 8);
	ct->not_after = sqlite3_column_int64(s, 9);
	return 0;
}

int
store_cert_get(struct store *st, const char *ca_id, const char *serial,
    struct store_cert *out)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && ca_id != NULL && serial != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = stmt_get(c, ST_CERT_GET, &s)) != 0)
		goto out;
	bind_text(s, 1, ca_id, &rc);
	bind_text(s, 2, serial, &rc);
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
store_cert_list_pending(struct store *st, size_t limit, struct store_cert **out,
    size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	struct store_cert *certs = NULL, *grown;
	size_t cap = 0, len = 0;
	int r, rc = SQLITE_OK;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0 || (r = stmt_get(c, ST_CERT_LIST_PENDING, &s)) != 0)
		goto out;
	bind_limit(s, 1, limit, &rc);
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		goto out;
	}
	while ((r = STEP(c, s)) == 1) {
		if ((grown = list_grow(certs, &cap, len, sizeof(*certs))) == NULL) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		certs = grown;
		if ((r = cert_row(s, &certs[len])) != 0)
			goto out;
		len++;
	}
	if (r != 0)
		goto out;
	*out = certs;
	*n = len;
	certs = NULL;
 out:
	store_cert_list_free(certs, len);
	stmt_done(s);
	conn_put(st, c);
	return r;
}

/* 0 on error too (logged): the count is informational. */
size_t
store_cert_count(struct store *st, const char *ca_id)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	size_t count = 0;
	int rc = SQLITE_OK;

	return_val_if_fail(st != NULL && ca_id != NULL, 0);
	if (conn_get(st, &c) != 0 || stmt_get(c, ST_CERT_COUNT, &s) != 0)
		goto out;
	bind_text(s, 1, ca_id, &rc);
	if (rc != SQLITE_OK) {
		(void)DB_ERR(c, rc, "bind");
		goto out;
	}
	if (STEP(c, s) == 1 && sqlite3_column_int64(s, 0) > 0)
		count = (size_t)sqlite3_column_int64(s, 0);
 out:
	stmt_done(s);
	conn_put(st, c);
	return count;
}

void
store_cert_clear(struct store_cert *ct)
{
	if (ct == NULL)
		return;
	free(ct->request);
	free(ct->der);
	free(ct->template_arn);
	free(ct->requester);
	free(ct->failure);
	memset(ct, 0, sizeof(*ct));
}

void
store_cert_list_free(struct store_cert *certs, size_t n)
{
	size_t i;

	if (certs == NULL)
		return;
	for (i = 0; i < n; i++)
		store_cert_clear(&certs[i]);
	free(certs);
}

/* ---- idempotency of other operations ---------------------------------------- */

struct idem_claim_args {
	const char	*scope, *token, *result;
	int64_t		 now, window;
	char		*existing;	/* out, malloc'd */
};

static int
job_idem_claim(struct conn *c, void *arg)
{
	struct idem_claim_args *a = arg;
	int r;

	if ((r = idem_check(c, a->scope, a->token, a->now, a->window, &a->existing)) != 0)
		return r;
	return idem_put(c, a->scope, a->token, a->result, a->now);
}

int
store_idem_lookup(struct store *st, const char *scope, const char *token, char **result)
{
	struct conn *c = NULL;
	int r;

	return_val_if_fail(result != NULL, PCA_ERR_INTERNAL);
	*result = NULL;
	return_val_if_fail(st != NULL && scope != NULL && token != NULL, PCA_ERR_INTERNAL);
	if ((r = conn_get(st, &c)) != 0)
		return r;
	/* a window no record is outside of */
	r = idem_check(c, scope, token, INT64_MIN, INT64_MAX, result);
	conn_put(st, c);
	if (r == PCA_ERR_EXISTS)
		return 0;
	free(*result);
	*result = NULL;
	return r == 0 ? PCA_ERR_NOT_FOUND : r;
}

int
store_idem_claim(struct store *st, const char *scope, const char *token,
    const char *result, int64_t now, int64_t window, char **existing)
{
	struct idem_claim_args a;
	int r;

	return_val_if_fail(existing != NULL, PCA_ERR_INTERNAL);
	*existing = NULL;
	return_val_if_fail(st != NULL && scope != NULL && token != NULL, PCA_ERR_INTERNAL);
	memset(&a, 0, sizeof(a));
	a.scope = scope;
	a.token = token;
	a.result = result;
	a.now = now;
	a.window = window;
	r = job_run(st, job_idem_claim, &a);
	if (r == PCA_ERR_EXISTS) {
		*existing = a.existing;
		a.existing = NULL;
	}
	free(a.existing);
	return r;
}
