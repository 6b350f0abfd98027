/*
 * store_sqlite_iam.c - store_iam.h on the SQLite back end of store_sqlite.c:
 * settings, organizations, IAM users, roles and policies, temporary
 * credentials, CA permissions and resource policies, the audit log.
 *
 * Same machinery as store_sqlite.c (store_sqlite_internal.h): writes are
 * jobs of the one writer thread, each in its own savepoint of a group
 * commit; reads use the pooled read connections. The SQL lives in one
 * table, iam_sql[], cached per connection in conn->ext[].
 *
 * Rules that span rows (a user with keys cannot be deleted, an OU's parent
 * belongs to the same organization, a policy's principal exists) are
 * checked inside the writing job: there is one writer, so nothing can slip
 * in between the check and the write.
 *
 * Generations: every write of what an authorization decision reads is
 * submitted with JOB_AUTHZ, and every write of users, access keys, roles
 * (their sessions die with them) or sessions with JOB_CREDENTIALS, which
 * bumps both store_credentials_generation() and store_authz_generation()
 * before the caller wakes, whether the write succeeded or not.
 *
 * The audit log is a hash chain (store_iam.h, struct store_audit). Records
 * are detached jobs: store_audit_append() queues one and returns; the
 * writer numbers it, links it to the head of the chain it keeps in memory
 * (struct store_audit_head, read from the file at open), and inserts it in
 * the next transaction.
 */
#include "store_iam.h"
#include "store_sqlite_internal.h"
#include "log.h"
#include "wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* Audit: the longest text field of a record, and how many records may
 * wait for the writer before store_audit_append() waits for its own. */
#define AUDIT_FIELD_MAX		65536
#define AUDIT_QUEUE_MAX		8192
/* store_audit_verify() reads the chain this many records per snapshot, so
 * a long walk holds no read transaction (or WAL checkpoint) for long. */
#define AUDIT_VERIFY_CHUNK	512

/* ---- statements ---------------------------------------------------------- */

enum iam_stmt {
	IS_SETTING_PUT,
	IS_SETTING_GET,
	IS_ACCOUNT_LIST,
	IS_ACCOUNT_EXISTS,

	IS_ORG_INSERT,
	IS_ORG_GET,
	IS_ORG_OF_ACCOUNT,
	IS_ORG_MANAGED_BY,
	IS_ORG_OTHER_MEMBER,
	IS_ORG_RELEASE_MEMBERS,
	IS_ORG_DELETE,
	IS_ORG_EXISTS,

	IS_OU_INSERT,
	IS_OU_GET,
	IS_OU_ORG_OF,
	IS_OU_PARENT_OF,
	IS_OU_RENAME,
	IS_OU_HAS_CHILD,
	IS_OU_HAS_ACCOUNT,
	IS_OU_DELETE,
	IS_OU_CHILDREN,
	IS_OU_EXISTS,

	IS_MEMBER_ORG_OF,
	IS_MEMBER_JOIN,
	IS_MEMBER_PUT,
	IS_MEMBER_GET,
	IS_MEMBER_LIST_ORG,
	IS_MEMBER_LIST_PARENT,

	IS_HS_PUT,
	IS_HS_GET,
	IS_HS_LIST,

	IS_USER_CREATE,
	IS_USER_GET,
	IS_USER_EXISTS,
	IS_USER_HAS_KEY,
	IS_USER_DELETE,
	IS_USER_LIST,

	IS_KEY_LIST,
	IS_KEY_SET_ACTIVE,
	IS_KEY_DELETE,

	IS_ROLE_CREATE,
	IS_ROLE_GET,
	IS_ROLE_EXISTS,
	IS_ROLE_SET_TRUST,
	IS_ROLE_DELETE,
	IS_ROLE_LIST,

	IS_INLINE_PUT,
	IS_INLINE_GET,
	IS_INLINE_DELETE,
	IS_INLINE_LIST,
	IS_INLINE_ANY,

	IS_ATTACH_ADD,
	IS_ATTACH_REMOVE,
	IS_ATTACH_LIST,
	IS_ATTACH_ANY,

	IS_SESSION_PUT,
	IS_SESSION_GET,
	IS_SESSION_ANY_EXPIRED,
	IS_SESSION_EXPIRE,

	IS_CA_EXISTS,
	IS_CA_SEQ_ANY,
	IS_PERM_CREATE,
	IS_PERM_DELETE,
	IS_PERM_LIST,
	IS_CAPOL_PUT,
	IS_CAPOL_GET,
	IS_CAPOL_DELETE,
	IS_CA_LIST_WITH_POLICY,

	IS_AUDIT_INSERT,
	IS_AUDIT_LIST,
	IS_AUDIT_HEAD,
	IS__COUNT
};
_Static_assert(IS__COUNT <= STORE_EXT_STMT_MAX, "raise STORE_EXT_STMT_MAX");

#define ORG_COLS	"id, management_account, root_id, feature_set, created_at"
#define OU_COLS		"id, org_id, parent_id, name, created_at"
#define MEMBER_COLS	"account_id, org_id, parent_id, email, joined_method, joined_at"
#define HS_COLS		"id, org_id, target_account, action, state, notes, " \
			"requested_at, expires_at"
#define USER_COLS	"account_id, name, path, arn, user_id, created_at"
#define ROLE_COLS	"account_id, name, path, arn, role_id, trust_policy, " \
			"description, service, max_session_duration, created_at"
#define SESSION_COLS	"access_key_id, secret, token, account_id, role_name, " \
			"session_name, source_arn, expires_at"
#define PERM_COLS	"ca_id, principal, source_account, actions, created_at"
#define AUDIT_COLS	"seq, at_ms, caller, action, resource, allowed, policy, sid, " \
			"reason, prev_hash, hash"

/*
 * Paging: "after" is bound as '' when absent; ids and names are never
 * empty, so "> ''" is "from the start" and the primary key serves the
 * range. A kind (of principal) is bound as its text, 'user' or 'role'.
 */
static const char *const iam_sql[IS__COUNT] = {
	[IS_SETTING_PUT]	= "INSERT INTO settings(key, value) VALUES(?1, ?2) "
				  "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[IS_SETTING_GET]	= "SELECT value FROM settings WHERE key = ?1",
	[IS_ACCOUNT_LIST]	= "SELECT id, name, created_at FROM accounts WHERE id > ?1 "
				  "ORDER BY id LIMIT ?2",
	[IS_ACCOUNT_EXISTS]	= "SELECT 1 FROM accounts WHERE id = ?1",

	[IS_ORG_INSERT]		= "INSERT INTO organizations(" ORG_COLS ") "
				  "VALUES(?1, ?2, ?3, ?4, ?5)",
	[IS_ORG_GET]		= "SELECT " ORG_COLS " FROM organizations WHERE id = ?1",
	[IS_ORG_OF_ACCOUNT]	= "SELECT o.id, o.management_account, o.root_id, o.feature_set, "
				  "o.created_at, m.account_id, m.org_id, m.parent_id, m.email, "
				  "m.joined_method, m.joined_at FROM memberships m "
				  "JOIN organizations o ON o.id = m.org_id WHERE m.account_id = ?1",
	[IS_ORG_MANAGED_BY]	= "SELECT id FROM organizations WHERE management_account = ?1",
	[IS_ORG_OTHER_MEMBER]	= "SELECT 1 FROM memberships m JOIN organizations o "
				  "ON o.id = m.org_id WHERE m.org_id = ?1 "
				  "AND m.account_id <> o.management_account LIMIT 1",
	[IS_ORG_RELEASE_MEMBERS] = "UPDATE memberships SET org_id = NULL, parent_id = NULL "
				  "WHERE org_id = ?1",
	/* its OUs and handshakes go with it (ON DELETE CASCADE) */
	[IS_ORG_DELETE]		= "DELETE FROM organizations WHERE id = ?1",
	[IS_ORG_EXISTS]		= "SELECT 1 FROM organizations WHERE id = ?1",

	[IS_OU_INSERT]		= "INSERT INTO ous(" OU_COLS ") VALUES(?1, ?2, ?3, ?4, ?5)",
	[IS_OU_GET]		= "SELECT " OU_COLS " FROM ous WHERE id = ?1",
	[IS_OU_ORG_OF]		= "SELECT org_id FROM ous WHERE id = ?1",
	[IS_OU_PARENT_OF]	= "SELECT parent_id FROM ous WHERE id = ?1",
	[IS_OU_RENAME]		= "UPDATE ous SET name = ?2 WHERE id = ?1",
	[IS_OU_HAS_CHILD]	= "SELECT 1 FROM ous WHERE parent_id = ?1 LIMIT 1",
	[IS_OU_HAS_ACCOUNT]	= "SELECT 1 FROM memberships WHERE parent_id = ?1 LIMIT 1",
	[IS_OU_DELETE]		= "DELETE FROM ous WHERE id = ?1",
	[IS_OU_CHILDREN]	= "SELECT " OU_COLS " FROM ous WHERE parent_id = ?1 AND id > ?2 "
				  "ORDER BY id LIMIT ?3",
	[IS_OU_EXISTS]		= "SELECT 1 FROM ous WHERE id = ?1",

	[IS_MEMBER_ORG_OF]	= "SELECT org_id FROM memberships WHERE account_id = ?1",
	/* an account's email stays what it was */
	[IS_MEMBER_JOIN]	= "INSERT INTO memberships(" MEMBER_COLS ") "
				  "VALUES(?1, ?2, ?3, NULL, ?4, ?5) ON CONFLICT(account_id) DO UPDATE "
				  "SET org_id = excluded.org_id, parent_id = excluded.parent_id, "
				  "joined_method = excluded.joined_method, "
				  "joined_at = excluded.joined_at",
	[IS_MEMBER_PUT]		= "INSERT INTO memberships(" MEMBER_COLS ") "
				  "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(account_id) DO UPDATE "
				  "SET org_id = excluded.org_id, parent_id = excluded.parent_id, "
				  "email = excluded.email, joined_method = excluded.joined_method, "
				  "joined_at = excluded.joined_at",
	[IS_MEMBER_GET]		= "SELECT " MEMBER_COLS " FROM memberships WHERE account_id = ?1",
	[IS_MEMBER_LIST_ORG]	= "SELECT " MEMBER_COLS " FROM memberships WHERE org_id = ?1 "
				  "AND account_id > ?2 ORDER BY account_id LIMIT ?3",
	[IS_MEMBER_LIST_PARENT]	= "SELECT " MEMBER_COLS " FROM memberships WHERE parent_id = ?4 "
				  "AND org_id = ?1 AND account_id > ?2 ORDER BY account_id LIMIT ?3",

	/* who and whom never change: a put under another identity changes no
	 * row (PCA_ERR_EXISTS) */
	[IS_HS_PUT]		= "INSERT INTO handshakes(" HS_COLS ") "
				  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE "
				  "SET state = excluded.state, notes = excluded.notes, "
				  "expires_at = excluded.expires_at "
				  "WHERE org_id = excluded.org_id "
				  "AND target_account = excluded.target_account",
	[IS_HS_GET]		= "SELECT " HS_COLS " FROM handshakes WHERE id = ?1",
	[IS_HS_LIST]		= "SELECT " HS_COLS " FROM handshakes "
				  "WHERE (?1 IS NULL OR org_id = ?1) "
				  "AND (?2 IS NULL OR target_account = ?2) ORDER BY id",

	[IS_USER_CREATE]	= "INSERT INTO users(" USER_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[IS_USER_GET]		= "SELECT " USER_COLS " FROM users WHERE account_id = ?1 AND name = ?2",
	[IS_USER_EXISTS]	= "SELECT 1 FROM users WHERE account_id = ?1 AND name = ?2",
	[IS_USER_HAS_KEY]	= "SELECT 1 FROM access_keys WHERE account_id = ?1 "
				  "AND user_name = ?2 LIMIT 1",
	[IS_USER_DELETE]	= "DELETE FROM users WHERE account_id = ?1 AND name = ?2",
	[IS_USER_LIST]		= "SELECT " USER_COLS " FROM users WHERE account_id = ?1 "
				  "AND name > ?2 ORDER BY name LIMIT ?3",

	/* listings carry no secret */
	[IS_KEY_LIST]		= "SELECT id, account_id, user_name, active, created_at "
				  "FROM access_keys WHERE account_id = ?1 AND user_name IS ?2 "
				  "ORDER BY id",
	[IS_KEY_SET_ACTIVE]	= "UPDATE access_keys SET active = ?2 WHERE id = ?1",
	[IS_KEY_DELETE]		= "DELETE FROM access_keys WHERE id = ?1",

	[IS_ROLE_CREATE]	= "INSERT INTO roles(" ROLE_COLS ") "
				  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[IS_ROLE_GET]		= "SELECT " ROLE_COLS " FROM roles WHERE account_id = ?1 AND name = ?2",
	[IS_ROLE_EXISTS]	= "SELECT 1 FROM roles WHERE account_id = ?1 AND name = ?2",
	[IS_ROLE_SET_TRUST]	= "UPDATE roles SET trust_policy = ?3 "
				  "WHERE account_id = ?1 AND name = ?2",
	/* its sessions go with it (ON DELETE CASCADE) */
	[IS_ROLE_DELETE]	= "DELETE FROM roles WHERE account_id = ?1 AND name = ?2",
	[IS_ROLE_LIST]		= "SELECT " ROLE_COLS " FROM roles WHERE account_id = ?1 "
				  "AND name > ?2 ORDER BY name LIMIT ?3",

	[IS_INLINE_PUT]		= "INSERT INTO inline_policies(account_id, kind, principal, name, "
				  "document) VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(account_id, "
				  "kind, principal, name) DO UPDATE SET document = excluded.document",
	[IS_INLINE_GET]		= "SELECT document FROM inline_policies WHERE account_id = ?1 "
				  "AND kind = ?2 AND principal = ?3 AND name = ?4",
	[IS_INLINE_DELETE]	= "DELETE FROM inline_policies WHERE account_id = ?1 "
				  "AND kind = ?2 AND principal = ?3 AND name = ?4",
	[IS_INLINE_LIST]	= "SELECT name, document FROM inline_policies WHERE account_id = ?1 "
				  "AND kind = ?2 AND principal = ?3 ORDER BY name",
	[IS_INLINE_ANY]		= "SELECT 1 FROM inline_policies WHERE account_id = ?1 "
				  "AND kind = ?2 AND principal = ?3 LIMIT 1",

	[IS_ATTACH_ADD]		= "INSERT INTO attachments(account_id, kind, principal, policy_arn) "
				  "VALUES(?1, ?2, ?3, ?4)",
	[IS_ATTACH_REMOVE]	= "DELETE FROM attachments WHERE account_id = ?1 AND kind = ?2 "
				  "AND principal = ?3 AND policy_arn = ?4",
	[IS_ATTACH_LIST]	= "SELECT policy_arn FROM attachments WHERE account_id = ?1 "
				  "AND kind = ?2 AND principal = ?3 ORDER BY policy_arn",
	[IS_ATTACH_ANY]		= "SELECT 1 FROM attachments WHERE account_id = ?1 "
				  "AND kind = ?2 AND principal = ?3 LIMIT 1",

	[IS_SESSION_PUT]	= "INSERT INTO sessions(" SESSION_COLS ") "
				  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[IS_SESSION_GET]	= "SELECT " SESSION_COLS " FROM sessions WHERE access_key_id = ?1",
	[IS_SESSION_ANY_EXPIRED] = "SELECT 1 FROM sessions WHERE expires_at < ?1 LIMIT 1",
	[IS_SESSION_EXPIRE]	= "DELETE FROM sessions WHERE expires_at < ?1",

	[IS_CA_EXISTS]		= "SELECT 1 FROM cas WHERE id = ?1",
	[IS_CA_SEQ_ANY]		= "SELECT seq FROM cas WHERE id = ?1",
	[IS_PERM_CREATE]	= "INSERT INTO ca_permissions(" PERM_COLS ") "
				  "VALUES(?1, ?2, ?3, ?4, ?5)",
	[IS_PERM_DELETE]	= "DELETE FROM ca_permissions WHERE ca_id = ?1 AND principal = ?2 "
				  "AND source_account = ?3",
	[IS_PERM_LIST]		= "SELECT " PERM_COLS " FROM ca_permissions WHERE ca_id = ?1 "
				  "ORDER BY principal, source_account",
	[IS_CAPOL_PUT]		= "INSERT INTO ca_policies(ca_id, policy) VALUES(?1, ?2) "
				  "ON CONFLICT(ca_id) DO UPDATE SET policy = excluded.policy",
	[IS_CAPOL_GET]		= "SELECT policy FROM ca_policies WHERE ca_id = ?1",
	[IS_CAPOL_DELETE]	= "DELETE FROM ca_policies WHERE ca_id = ?1",
	[IS_CA_LIST_WITH_POLICY] = "SELECT " CA_COLS " FROM cas WHERE account_id <> ?1 "
				  "AND seq > ?2 AND id IN (SELECT ca_id FROM ca_policies) "
				  "ORDER BY seq LIMIT ?3",

	[IS_AUDIT_INSERT]	= "INSERT INTO audit(" AUDIT_COLS ") "
				  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[IS_AUDIT_LIST]		= "SELECT " AUDIT_COLS " FROM audit WHERE seq > ?1 "
				  "ORDER BY seq LIMIT ?2",
	[IS_AUDIT_HEAD]		= "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
};

/* ---- running statements -------------------------------------------------- */

/* One bound parameter: ?1, ?2... in array order. */
struct sql_arg {
	enum { ARG_TEXT = 1, ARG_INT, ARG_BLOB } type;
	const void	*p;		/* text (NULL binds NULL) or blob */
	int64_t		 i;		/* integer, or the blob's length */
};
#define A_TXT(v)	((struct sql_arg){ .type = ARG_TEXT, .p = (const char *)(v) })
#define A_INT(v)	((struct sql_arg){ .type = ARG_INT, .i = (int64_t)(v) })
#define A_BLOB(v, n)	((struct sql_arg){ .type = ARG_BLOB, .p = (v), .i = (int64_t)(n) })
/* a list, then its length: two function arguments */
#define ARGS(...)	((const struct sql_arg[]){ __VA_ARGS__ }), \
	(sizeof((const struct sql_arg[]){ __VA_ARGS__ }) / sizeof(struct sql_arg))

static int64_t
lim(size_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* The cached statement id of c with args bound; stmt_done() it. */
static int
q_prepare(struct conn *c, enum iam_stmt id, const struct sql_arg *args, size_t nargs,
    sqlite3_stmt **out)
{
	sqlite3_stmt *s;
	size_t i;
	int r, rc = SQLITE_OK;

	*out = NULL;
	if ((r = stmt_prepare(c, &c->ext[id], iam_sql[id], &s)) != 0)
		return r;
	for (i = 0; i < nargs; i++) {
		switch (args[i].type) {
		case ARG_TEXT:
			bind_text(s, (int)i + 1, args[i].p, &rc);
			break;
		case ARG_INT:
			bind_int(s, (int)i + 1, args[i].i, &rc);
			break;
		case ARG_BLOB:
			bind_blob(s, (int)i + 1, args[i].p, (size_t)args[i].i, &rc);
			break;
		}
	}
	if (rc != SQLITE_OK) {
		r = DB_ERR(c, rc, "bind");
		stmt_done(s);
		return r;
	}
	*out = s;
	return 0;
}

/* Run a write statement; *changes (may be NULL) the rows it changed. */
static int
q_exec(struct conn *c, enum iam_stmt id, const struct sql_arg *args, size_t nargs,
    int *changes)
{
	sqlite3_stmt *s = NULL;
	int r;

	if (changes != NULL)
		*changes = 0;
	if ((r = q_prepare(c, id, args, nargs, &s)) != 0)
		return r;
	if ((r = STEP(c, s)) >= 0) {
		if (changes != NULL)
			*changes = sqlite3_changes(c->db);
		r = 0;
	}
	stmt_done(s);
	return r;
}

/* 1 when the query has a row, 0 when not, or a PCA_ERR_*. */
static int
q_exists(struct conn *c, enum iam_stmt id, const struct sql_arg *args, size_t nargs)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = q_prepare(c, id, args, nargs, &s)) != 0)
		return r;
	r = STEP(c, s);
	stmt_done(s);
	return r;
}

/* The first column of the first row as text into buf ("" for NULL);
 * PCA_ERR_NOT_FOUND without a row. */
static int
q_text(struct conn *c, enum iam_stmt id, const struct sql_arg *args, size_t nargs,
    char *buf, size_t size)
{
	sqlite3_stmt *s = NULL;
	int r;

	buf[0] = '\0';
	if ((r = q_prepare(c, id, args, nargs, &s)) != 0)
		return r;
	if ((r = STEP(c, s)) == 1)
		r = sqlite3_column_type(s, 0) == SQLITE_NULL ? 0 : col_fixed(s, 0, buf, size);
	else if (r == 0)
		r = PCA_ERR_NOT_FOUND;
	stmt_done(s);
	return r;
}

/* The generic write job: one statement; `none` is the answer when it
 * changed no row (0: that is fine). */
struct exec_args {
	enum iam_stmt		 id;
	const struct sql_arg	*args;
	size_t			 nargs;
	int			 none;
};

static int
job_exec(struct conn *c, void *arg)
{
	const struct exec_args *a = arg;
	int changes, r;

	if ((r = q_exec(c, a->id, a->args, a->nargs, &changes)) != 0)
		return r;
	return changes == 0 ? a->none : 0;
}

static int
write1(struct store *st, unsigned flags, enum iam_stmt id, const struct sql_arg *args,
    size_t nargs, int none)
{
	struct exec_args a = { id, args, nargs, none };

	return job_submit(st, job_exec, &a, flags);
}

/* Reads: a row reader fills one element from the current row. */
typedef int (*row_fn)(sqlite3_stmt *, void *);

/* The first row into out; PCA_ERR_NOT_FOUND without one. */
static int
read_one(struct store *st, enum iam_stmt id, const struct sql_arg *args, size_t nargs,
    row_fn row, void *out)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = conn_get(st, &c)) != 0 || (r = q_prepare(c, id, args, nargs, &s)) != 0)
		goto out;
	if ((r = STEP(c, s)) <= 0) {
		r = r == 0 ? PCA_ERR_NOT_FOUND : r;
		goto out;
	}
	r = row(s, out);
 out:
	stmt_done(s);
	conn_put(st, c);
	return r;
}

/* 1, 0 or a PCA_ERR_* (q_exists() on a read connection). */
static int
read_exists(struct store *st, enum iam_stmt id, const struct sql_arg *args, size_t nargs)
{
	struct conn *c = NULL;
	int r;

	if ((r = conn_get(st, &c)) == 0)
		r = q_exists(c, id, args, nargs);
	conn_put(st, c);
	return r;
}

/* Every row into a malloc'd array of elsize elements; clear() releases a
 * (perhaps half-filled) element when something fails. */
static int
read_list(struct store *st, enum iam_stmt id, const struct sql_arg *args, size_t nargs,
    size_t elsize, row_fn row, void (*clear)(void *), void **out, size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	char *arr = NULL, *grown;
	size_t cap = 0, len = 0, i;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = conn_get(st, &c)) != 0 || (r = q_prepare(c, id, args, nargs, &s)) != 0)
		goto out;
	while ((r = STEP(c, s)) == 1) {
		if ((grown = list_grow(arr, &cap, len, elsize)) == NULL) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		arr = grown;
		/* count the slot first: a half-filled element is cleared too */
		len++;
		if ((r = row(s, arr + (len - 1) * elsize)) != 0)
			goto out;
	}
	if (r != 0)
		goto out;
	*out = arr;
	*n = len;
	arr = NULL;
 out:
	if (arr != NULL) {
		for (i = 0; i < len; i++)
			clear(arr + i * elsize);
		free(arr);
	}
	stmt_done(s);
	conn_put(st, c);
	return r;
}

/* A list that came back empty: PCA_ERR_NOT_FOUND when its owner (looked up
 * with exists_id) does not exist either, else 0. */
static int
empty_or_not_found(struct store *st, enum iam_stmt exists_id, const struct sql_arg *args,
    size_t nargs)
{
	int r;

	if ((r = read_exists(st, exists_id, args, nargs)) < 0)
		return r;
	return r == 1 ? 0 : PCA_ERR_NOT_FOUND;
}

/* A nullable text column into a fixed array ("" for NULL). */
static int
col_fixed_opt(sqlite3_stmt *s, int i, char *buf, size_t size)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		buf[0] = '\0';
		return 0;
	}
	return col_fixed(s, i, buf, size);
}

/* A fixed array that may be empty but is NUL-terminated. */
#define FIXED_OPT_OK(a)	(memchr((a), '\0', sizeof(a)) != NULL)

static const char *
kind_str(int kind)
{
	switch (kind) {
	case STORE_PRINCIPAL_USER:
		return "user";
	case STORE_PRINCIPAL_ROLE:
		return "role";
	}
	return NULL;
}

/* 0 when the user or role exists, PCA_ERR_NOT_FOUND when not. */
static int
principal_exists(struct conn *c, const char *account_id, int kind, const char *name)
{
	int r;

	r = q_exists(c, kind == STORE_PRINCIPAL_USER ? IS_USER_EXISTS : IS_ROLE_EXISTS,
	    ARGS(A_TXT(account_id), A_TXT(name)));
	return r < 0 ? r : r == 1 ? 0 : PCA_ERR_NOT_FOUND;
}

/* PCA_ERR_STATE while a principal has inline policies or attachments. */
static int
principal_unused(struct conn *c, const char *account_id, const char *kind, const char *name)
{
	int r;

	if ((r = q_exists(c, IS_INLINE_ANY, ARGS(A_TXT(account_id), A_TXT(kind),
	    A_TXT(name)))) != 0 ||
	    (r = q_exists(c, IS_ATTACH_ANY, ARGS(A_TXT(account_id), A_TXT(kind),
	    A_TXT(name)))) != 0)
		return r < 0 ? r : PCA_ERR_STATE;
	return 0;
}

/* ---- generations --------------------------------------------------------- */

uint64_t
store_authz_generation(struct store *st)
{
	return st != NULL ? (uint64_t)atomic_load(&st->authz_gen) : 0;
}

/* ---- settings and accounts ----------------------------------------------- */

int
store_setting_put(struct store *st, const char *key, const char *value)
{
	return_val_if_fail(st != NULL && key != NULL && value != NULL, PCA_ERR_INTERNAL);
	if (key[0] == '\0')
		return PCA_ERR_INVALID;
	/* "admin_account" decides who administers: an authorization input */
	return write1(st, JOB_AUTHZ, IS_SETTING_PUT, ARGS(A_TXT(key), A_TXT(value)), 0);
}

static int
row_str(sqlite3_stmt *s, void *out)
{
	return col_str(s, 0, out);
}

int
store_setting_get(struct store *st, const char *key, char **value)
{
	int r;

	return_val_if_fail(value != NULL, PCA_ERR_INTERNAL);
	*value = NULL;
	return_val_if_fail(st != NULL && key != NULL, PCA_ERR_INTERNAL);
	if ((r = read_one(st, IS_SETTING_GET, ARGS(A_TXT(key)), row_str, value)) != 0) {
		free(*value);
		*value = NULL;
	}
	return r;
}

static int
row_account(sqlite3_stmt *s, void *out)
{
	struct store_account *a = out;
	int r;

	if ((r = col_fixed(s, 0, a->id, sizeof(a->id))) != 0 ||
	    (r = col_str(s, 1, &a->name)) != 0)
		return r;
	a->created_at = sqlite3_column_int64(s, 2);
	return 0;
}

static void
clear_account(void *p)
{
	store_account_clear(p);
}

int
store_account_list(struct store *st, const char *after, size_t limit,
    struct store_account **out, size_t *n)
{
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL, PCA_ERR_INTERNAL);
	r = read_list(st, IS_ACCOUNT_LIST, ARGS(A_TXT(after != NULL ? after : ""),
	    A_INT(lim(limit))), sizeof(**out), row_account, clear_account, &list, n);
	*out = list;
	return r;
}

void
store_account_list_free(struct store_account *a, size_t n)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < n; i++)
		store_account_clear(&a[i]);
	free(a);
}

/* ---- organizations ------------------------------------------------------- */

static int
job_org_create(struct conn *c, void *arg)
{
	const struct store_org *o = arg;
	char cur[sizeof(o->id)];
	int r;

	/* an account is in one organization at most */
	r = q_text(c, IS_MEMBER_ORG_OF, ARGS(A_TXT(o->management_account)), cur, sizeof(cur));
	if (r != 0 && r != PCA_ERR_NOT_FOUND)
		return r;
	if (r == 0 && cur[0] != '\0')
		return PCA_ERR_EXISTS;
	if ((r = q_exec(c, IS_ORG_INSERT, ARGS(A_TXT(o->id), A_TXT(o->management_account),
	    A_TXT(o->root_id), A_TXT(o->feature_set != NULL ? o->feature_set : "ALL"),
	    A_INT(o->created_at)), NULL)) != 0 ||
	    (r = q_exec(c, IS_OU_INSERT, ARGS(A_TXT(o->root_id), A_TXT(o->id), A_TXT(NULL),
	    A_TXT("Root"), A_INT(o->created_at)), NULL)) != 0)
		return r;
	return q_exec(c, IS_MEMBER_JOIN, ARGS(A_TXT(o->management_account), A_TXT(o->id),
	    A_TXT(o->root_id), A_TXT("CREATED"), A_INT(o->created_at)), NULL);
}

int
store_org_create(struct store *st, const struct store_org *org)
{
	return_val_if_fail(st != NULL && org != NULL, PCA_ERR_INTERNAL);
	if (!FIXED_OK(org->id) || !FIXED_OK(org->management_account) ||
	    !FIXED_OK(org->root_id))
		return PCA_ERR_INVALID;
	return job_run_authz(st, job_org_create, (void *)(uintptr_t)org);
}

static int
org_row(sqlite3_stmt *s, struct store_org *o)
{
	int r;

	if ((r = col_fixed(s, 0, o->id, sizeof(o->id))) != 0 ||
	    (r = col_fixed(s, 1, o->management_account, sizeof(o->management_account))) != 0 ||
	    (r = col_fixed(s, 2, o->root_id, sizeof(o->root_id))) != 0 ||
	    (r = col_str(s, 3, &o->feature_set)) != 0)
		return r;
	o->created_at = sqlite3_column_int64(s, 4);
	return 0;
}

static int
row_org(sqlite3_stmt *s, void *out)
{
	return org_row(s, out);
}

int
store_org_get(struct store *st, const char *org_id, struct store_org *out)
{
	int r;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && org_id != NULL, PCA_ERR_INTERNAL);
	if ((r = read_one(st, IS_ORG_GET, ARGS(A_TXT(org_id)), row_org, out)) != 0)
		store_org_clear(out);
	return r;
}

/* Columns off.. of MEMBER_COLS order into m. */
static int
membership_row(sqlite3_stmt *s, int off, struct store_membership *m)
{
	int r;

	if ((r = col_fixed(s, off, m->account_id, sizeof(m->account_id))) != 0 ||
	    (r = col_fixed_opt(s, off + 1, m->org_id, sizeof(m->org_id))) != 0 ||
	    (r = col_fixed_opt(s, off + 2, m->parent_id, sizeof(m->parent_id))) != 0 ||
	    (r = col_str(s, off + 3, &m->email)) != 0 ||
	    (r = col_str(s, off + 4, &m->joined_method)) != 0)
		return r;
	m->joined_at = sqlite3_column_int64(s, off + 5);
	return 0;
}

struct org_of_out {
	struct store_org	*org;
	struct store_membership	*m;
};

static int
row_org_of(sqlite3_stmt *s, void *out)
{
	struct org_of_out *o = out;
	int r;

	if ((r = org_row(s, o->org)) != 0)
		return r;
	return o->m != NULL ? membership_row(s, 5, o->m) : 0;
}

int
store_org_of_account(struct store *st, const char *account_id, struct store_org *out,
    struct store_membership *m)
{
	struct org_of_out o = { out, m };
	int r;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	if (m != NULL)
		memset(m, 0, sizeof(*m));
	return_val_if_fail(st != NULL && account_id != NULL, PCA_ERR_INTERNAL);
	if ((r = read_one(st, IS_ORG_OF_ACCOUNT, ARGS(A_TXT(account_id)), row_org_of,
	    &o)) != 0) {
		store_org_clear(out);
		store_membership_clear(m);
	}
	return r;
}

static int
job_org_delete(struct conn *c, void *arg)
{
	const char *id = arg;
	int r;

	if ((r = q_exists(c, IS_ORG_EXISTS, ARGS(A_TXT(id)))) <= 0)
		return r == 0 ? PCA_ERR_NOT_FOUND : r;
	/* only the management account may be left */
	if ((r = q_exists(c, IS_ORG_OTHER_MEMBER, ARGS(A_TXT(id)))) != 0)
		return r < 0 ? r : PCA_ERR_STATE;
	if ((r = q_exec(c, IS_ORG_RELEASE_MEMBERS, ARGS(A_TXT(id)), NULL)) != 0)
		return r;
	return q_exec(c, IS_ORG_DELETE, ARGS(A_TXT(id)), NULL);
}

int
store_org_delete(struct store *st, const char *org_id)
{
	return_val_if_fail(st != NULL && org_id != NULL, PCA_ERR_INTERNAL);
	return job_run_authz(st, job_org_delete, (void *)(uintptr_t)org_id);
}

void
store_org_clear(struct store_org *o)
{
	if (o == NULL)
		return;
	free(o->feature_set);
	memset(o, 0, sizeof(*o));
}

/* ---- organizational units ------------------------------------------------ */

/* 0 when parent is a node of org_id; NOT_FOUND, or INVALID in another org. */
static int
parent_in_org(struct conn *c, const char *parent_id, const char *org_id)
{
	char org[sizeof(((struct store_ou *)0)->org_id)];
	int r;

	if ((r = q_text(c, IS_OU_ORG_OF, ARGS(A_TXT(parent_id)), org, sizeof(org))) != 0)
		return r;
	return strcmp(org, org_id) == 0 ? 0 : PCA_ERR_INVALID;
}

static int
job_ou_create(struct conn *c, void *arg)
{
	const struct store_ou *ou = arg;
	int r;

	if ((r = parent_in_org(c, ou->parent_id, ou->org_id)) != 0)
		return r;
	return q_exec(c, IS_OU_INSERT, ARGS(A_TXT(ou->id), A_TXT(ou->org_id),
	    A_TXT(ou->parent_id), A_TXT(ou->name), A_INT(ou->created_at)), NULL);
}

int
store_ou_create(struct store *st, const struct store_ou *ou)
{
	return_val_if_fail(st != NULL && ou != NULL, PCA_ERR_INTERNAL);
	/* roots come with their organization */
	if (!FIXED_OK(ou->id) || !FIXED_OK(ou->org_id) || !FIXED_OK(ou->parent_id) ||
	    ou->name == NULL || ou->name[0] == '\0')
		return PCA_ERR_INVALID;
	return job_run_authz(st, job_ou_create, (void *)(uintptr_t)ou);
}

static int
row_ou(sqlite3_stmt *s, void *out)
{
	struct store_ou *ou = out;
	int r;

	if ((r = col_fixed(s, 0, ou->id, sizeof(ou->id))) != 0 ||
	    (r = col_fixed(s, 1, ou->org_id, sizeof(ou->org_id))) != 0 ||
	    (r = col_fixed_opt(s, 2, ou->parent_id, sizeof(ou->parent_id))) != 0 ||
	    (r = col_str(s, 3, &ou->name)) != 0)
		return r;
	ou->created_at = sqlite3_column_int64(s, 4);
	return 0;
}

static void
clear_ou(void *p)
{
	store_ou_clear(p);
}

int
store_ou_get(struct store *st, const char *id, struct store_ou *out)
{
	int r;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	if ((r = read_one(st, IS_OU_GET, ARGS(A_TXT(id)), row_ou, out)) != 0)
		store_ou_clear(out);
	return r;
}

int
store_ou_rename(struct store *st, const char *id, const char *name)
{
	return_val_if_fail(st != NULL && id != NULL && name != NULL, PCA_ERR_INTERNAL);
	if (name[0] == '\0')
		return PCA_ERR_INVALID;
	return write1(st, JOB_AUTHZ, IS_OU_RENAME, ARGS(A_TXT(id), A_TXT(name)),
	    PCA_ERR_NOT_FOUND);
}

static int
job_ou_delete(struct conn *c, void *arg)
{
	const char *id = arg;
	char parent[sizeof(((struct store_ou *)0)->parent_id)];
	int r;

	if ((r = q_text(c, IS_OU_PARENT_OF, ARGS(A_TXT(id)), parent, sizeof(parent))) != 0)
		return r;
	if (parent[0] == '\0')
		return PCA_ERR_INVALID;		/* a root goes with its organization */
	if ((r = q_exists(c, IS_OU_HAS_CHILD, ARGS(A_TXT(id)))) != 0 ||
	    (r = q_exists(c, IS_OU_HAS_ACCOUNT, ARGS(A_TXT(id)))) != 0)
		return r < 0 ? r : PCA_ERR_STATE;
	return q_exec(c, IS_OU_DELETE, ARGS(A_TXT(id)), NULL);
}

int
store_ou_delete(struct store *st, const char *id)
{
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	return job_run_authz(st, job_ou_delete, (void *)(uintptr_t)id);
}

int
store_ou_list_children(struct store *st, const char *parent_id, const char *after,
    size_t limit, struct store_ou **out, size_t *n)
{
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && parent_id != NULL, PCA_ERR_INTERNAL);
	r = read_list(st, IS_OU_CHILDREN, ARGS(A_TXT(parent_id),
	    A_TXT(after != NULL ? after : ""), A_INT(lim(limit))), sizeof(**out), row_ou,
	    clear_ou, &list, n);
	*out = list;
	if (r == 0 && *n == 0)
		r = empty_or_not_found(st, IS_OU_EXISTS, ARGS(A_TXT(parent_id)));
	return r;
}

void
store_ou_clear(struct store_ou *ou)
{
	if (ou == NULL)
		return;
	free(ou->name);
	memset(ou, 0, sizeof(*ou));
}

void
store_ou_list_free(struct store_ou *ous, size_t n)
{
	size_t i;

	if (ous == NULL)
		return;
	for (i = 0; i < n; i++)
		store_ou_clear(&ous[i]);
	free(ous);
}

/* ---- memberships --------------------------------------------------------- */

static int
job_membership_put(struct conn *c, void *arg)
{
	const struct store_membership *m = arg;
	char managed[sizeof(m->org_id)];
	int in_org = m->org_id[0] != '\0', r;

	if (in_org && (r = parent_in_org(c, m->parent_id, m->org_id)) != 0)
		return r;
	/* the management account stays in the organization it manages */
	r = q_text(c, IS_ORG_MANAGED_BY, ARGS(A_TXT(m->account_id)), managed, sizeof(managed));
	if (r != 0 && r != PCA_ERR_NOT_FOUND)
		return r;
	if (r == 0 && strcmp(managed, m->org_id) != 0)
		return PCA_ERR_STATE;
	return q_exec(c, IS_MEMBER_PUT, ARGS(A_TXT(m->account_id),
	    A_TXT(in_org ? m->org_id : NULL), A_TXT(in_org ? m->parent_id : NULL),
	    A_TXT(m->email), A_TXT(m->joined_method), A_INT(m->joined_at)), NULL);
}

int
store_membership_put(struct store *st, const struct store_membership *m)
{
	return_val_if_fail(st != NULL && m != NULL, PCA_ERR_INTERNAL);
	if (!FIXED_OK(m->account_id) || !FIXED_OPT_OK(m->org_id) ||
	    !FIXED_OPT_OK(m->parent_id) || (m->org_id[0] != '\0' && m->parent_id[0] == '\0'))
		return PCA_ERR_INVALID;
	return job_run_authz(st, job_membership_put, (void *)(uintptr_t)m);
}

static int
row_membership(sqlite3_stmt *s, void *out)
{
	return membership_row(s, 0, out);
}

static void
clear_membership(void *p)
{
	store_membership_clear(p);
}

int
store_membership_get(struct store *st, const char *account_id, struct store_membership *out)
{
	int r;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && account_id != NULL, PCA_ERR_INTERNAL);
	if ((r = read_one(st, IS_MEMBER_GET, ARGS(A_TXT(account_id)), row_membership,
	    out)) != 0)
		store_membership_clear(out);
	return r;
}

int
store_membership_list(struct store *st, const char *org_id, const char *parent_id,
    const char *after, size_t limit, struct store_membership **out, size_t *n)
{
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && org_id != NULL, PCA_ERR_INTERNAL);
	if (parent_id == NULL)
		r = read_list(st, IS_MEMBER_LIST_ORG, ARGS(A_TXT(org_id),
		    A_TXT(after != NULL ? after : ""), A_INT(lim(limit))), sizeof(**out),
		    row_membership, clear_membership, &list, n);
	else
		r = read_list(st, IS_MEMBER_LIST_PARENT, ARGS(A_TXT(org_id),
		    A_TXT(after != NULL ? after : ""), A_INT(lim(limit)), A_TXT(parent_id)),
		    sizeof(**out), row_membership, clear_membership, &list, n);
	*out = list;
	if (r == 0 && *n == 0)
		r = parent_id == NULL ?
		    empty_or_not_found(st, IS_ORG_EXISTS, ARGS(A_TXT(org_id))) :
		    empty_or_not_found(st, IS_OU_EXISTS, ARGS(A_TXT(parent_id)));
	return r;
}

void
store_membership_clear(struct store_membership *m)
{
	if (m == NULL)
		return;
	free(m->email);
	free(m->joined_method);
	memset(m, 0, sizeof(*m));
}

void
store_membership_list_free(struct store_membership *m, size_t n)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < n; i++)
		store_membership_clear(&m[i]);
	free(m);
}

/* ---- handshakes ---------------------------------------------------------- */

int
store_handshake_put(struct store *st, const struct store_handshake *h)
{
	return_val_if_fail(st != NULL && h != NULL, PCA_ERR_INTERNAL);
	if (!FIXED_OK(h->id) || !FIXED_OK(h->org_id) || !FIXED_OK(h->target_account) ||
	    h->action == NULL || h->state == NULL)
		return PCA_ERR_INVALID;
	/* an invitation decides nothing until accepted (a membership write) */
	return write1(st, 0, IS_HS_PUT, ARGS(A_TXT(h->id), A_TXT(h->org_id),
	    A_TXT(h->target_account), A_TXT(h->action), A_TXT(h->state), A_TXT(h->notes),
	    A_INT(h->requested_at), A_INT(h->expires_at)), PCA_ERR_EXISTS);
}

static int
row_handshake(sqlite3_stmt *s, void *out)
{
	struct store_handshake *h = out;
	int r;

	if ((r = col_fixed(s, 0, h->id, sizeof(h->id))) != 0 ||
	    (r = col_fixed(s, 1, h->org_id, sizeof(h->org_id))) != 0 ||
	    (r = col_fixed(s, 2, h->target_account, sizeof(h->target_account))) != 0 ||
	    (r = col_str(s, 3, &h->action)) != 0 ||
	    (r = col_str(s, 4, &h->state)) != 0 ||
	    (r = col_str(s, 5, &h->notes)) != 0)
		return r;
	h->requested_at = sqlite3_column_int64(s, 6);
	h->expires_at = sqlite3_column_int64(s, 7);
	return 0;
}

static void
clear_handshake(void *p)
{
	store_handshake_clear(p);
}

int
store_handshake_get(struct store *st, const char *id, struct store_handshake *out)
{
	int r;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	if ((r = read_one(st, IS_HS_GET, ARGS(A_TXT(id)), row_handshake, out)) != 0)
		store_handshake_clear(out);
	return r;
}

int
store_handshake_list(struct store *st, const char *org_id, const char *account_id,
    struct store_handshake **out, size_t *n)
{
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && (org_id != NULL || account_id != NULL),
	    PCA_ERR_INTERNAL);
	r = read_list(st, IS_HS_LIST, ARGS(A_TXT(org_id), A_TXT(account_id)), sizeof(**out),
	    row_handshake, clear_handshake, &list, n);
	*out = list;
	return r;
}

void
store_handshake_clear(struct store_handshake *h)
{
	if (h == NULL)
		return;
	free(h->action);
	free(h->state);
	free(h->notes);
	memset(h, 0, sizeof(*h));
}

void
store_handshake_list_free(struct store_handshake *h, size_t n)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < n; i++)
		store_handshake_clear(&h[i]);
	free(h);
}

/* ---- IAM users ----------------------------------------------------------- */

int
store_iam_user_create(struct store *st, const struct store_iam_user *u)
{
	return_val_if_fail(st != NULL && u != NULL, PCA_ERR_INTERNAL);
	if (!FIXED_OK(u->account_id) || u->name == NULL || u->name[0] == '\0' ||
	    u->arn == NULL || u->user_id == NULL)
		return PCA_ERR_INVALID;
	return write1(st, JOB_CREDENTIALS, IS_USER_CREATE, ARGS(A_TXT(u->account_id),
	    A_TXT(u->name), A_TXT(u->path != NULL ? u->path : "/"), A_TXT(u->arn),
	    A_TXT(u->user_id), A_INT(u->created_at)), 0);
}

static int
row_iam_user(sqlite3_stmt *s, void *out)
{
	struct store_iam_user *u = out;
	int r;

	if ((r = col_fixed(s, 0, u->account_id, sizeof(u->account_id))) != 0 ||
	    (r = col_str(s, 1, &u->name)) != 0 ||
	    (r = col_str(s, 2, &u->path)) != 0 ||
	    (r = col_str(s, 3, &u->arn)) != 0 ||
	    (r = col_str(s, 4, &u->user_id)) != 0)
		return r;
	u->created_at = sqlite3_column_int64(s, 5);
	return 0;
}

static void
clear_iam_user(void *p)
{
	store_iam_user_clear(p);
}

int
store_iam_user_get(struct store *st, const char *account_id, const char *name,
    struct store_iam_user *out)
{
	int r;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && account_id != NULL && name != NULL,
	    PCA_ERR_INTERNAL);
	if ((r = read_one(st, IS_USER_GET, ARGS(A_TXT(account_id), A_TXT(name)),
	    row_iam_user, out)) != 0)
		store_iam_user_clear(out);
	return r;
}

struct principal_args {
	const char	*account_id, *name;
};

static int
job_iam_user_delete(struct conn *c, void *arg)
{
	const struct principal_args *a = arg;
	int r;

	if ((r = principal_exists(c, a->account_id, STORE_PRINCIPAL_USER, a->name)) != 0)
		return r;
	if ((r = q_exists(c, IS_USER_HAS_KEY, ARGS(A_TXT(a->account_id),
	    A_TXT(a->name)))) != 0)
		return r < 0 ? r : PCA_ERR_STATE;
	if ((r = principal_unused(c, a->account_id, "user", a->name)) != 0)
		return r;
	return q_exec(c, IS_USER_DELETE, ARGS(A_TXT(a->account_id), A_TXT(a->name)), NULL);
}

int
store_iam_user_delete(struct store *st, const char *account_id, const char *name)
{
	struct principal_args a = { account_id, name };

	return_val_if_fail(st != NULL && account_id != NULL && name != NULL,
	    PCA_ERR_INTERNAL);
	return job_run_credentials(st, job_iam_user_delete, &a);
}

int
store_iam_user_list(struct store *st, const char *account_id, const char *after,
    size_t limit, struct store_iam_user **out, size_t *n)
{
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && account_id != NULL, PCA_ERR_INTERNAL);
	r = read_list(st, IS_USER_LIST, ARGS(A_TXT(account_id),
	    A_TXT(after != NULL ? after : ""), A_INT(lim(limit))), sizeof(**out),
	    row_iam_user, clear_iam_user, &list, n);
	*out = list;
	if (r == 0 && *n == 0)
		r = empty_or_not_found(st, IS_ACCOUNT_EXISTS, ARGS(A_TXT(account_id)));
	return r;
}

void
store_iam_user_clear(struct store_iam_user *u)
{
	if (u == NULL)
		return;
	free(u->name);
	free(u->path);
	free(u->arn);
	free(u->user_id);
	memset(u, 0, sizeof(*u));
}

void
store_iam_user_list_free(struct store_iam_user *u, size_t n)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < n; i++)
		store_iam_user_clear(&u[i]);
	free(u);
}

/* ---- access keys --------------------------------------------------------- */

static int
row_key(sqlite3_stmt *s, void *out)
{
	struct store_access_key *k = out;
	int r;

	if ((r = col_str(s, 0, &k->id)) != 0 ||
	    (r = col_fixed(s, 1, k->account_id, sizeof(k->account_id))) != 0 ||
	    (r = col_str(s, 2, &k->user_name)) != 0)
		return r;
	k->active = sqlite3_column_int(s, 3);
	k->created_at = sqlite3_column_int64(s, 4);
	return 0;
}

static void
clear_key(void *p)
{
	store_access_key_clear(p);
}

int
store_access_key_list(struct store *st, const char *account_id, const char *user_name,
    struct store_access_key **out, size_t *n)
{
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && account_id != NULL, PCA_ERR_INTERNAL);
	r = read_list(st, IS_KEY_LIST, ARGS(A_TXT(account_id), A_TXT(user_name)),
	    sizeof(**out), row_key, clear_key, &list, n);
	*out = list;
	if (r == 0 && *n == 0)
		r = user_name != NULL ?
		    empty_or_not_found(st, IS_USER_EXISTS, ARGS(A_TXT(account_id),
		    A_TXT(user_name))) :
		    empty_or_not_found(st, IS_ACCOUNT_EXISTS, ARGS(A_TXT(account_id)));
	return r;
}

int
store_access_key_set_active(struct store *st, const char *id, int active)
{
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	return write1(st, JOB_CREDENTIALS, IS_KEY_SET_ACTIVE, ARGS(A_TXT(id),
	    A_INT(active != 0)), PCA_ERR_NOT_FOUND);
}

int
store_access_key_delete(struct store *st, const char *id)
{
	return_val_if_fail(st != NULL && id != NULL, PCA_ERR_INTERNAL);
	return write1(st, JOB_CREDENTIALS, IS_KEY_DELETE, ARGS(A_TXT(id)), PCA_ERR_NOT_FOUND);
}

void
store_access_key_list_free(struct store_access_key *k, size_t n)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < n; i++)
		store_access_key_clear(&k[i]);
	free(k);
}

/* ---- roles --------------------------------------------------------------- */

int
store_iam_role_create(struct store *st, const struct store_iam_role *ro)
{
	return_val_if_fail(st != NULL && ro != NULL, PCA_ERR_INTERNAL);
	if (!FIXED_OK(ro->account_id) || ro->name == NULL || ro->name[0] == '\0' ||
	    ro->arn == NULL || ro->role_id == NULL || ro->trust_policy == NULL)
		return PCA_ERR_INVALID;
	return write1(st, JOB_AUTHZ, IS_ROLE_CREATE, ARGS(A_TXT(ro->account_id),
	    A_TXT(ro->name), A_TXT(ro->path != NULL ? ro->path : "/"), A_TXT(ro->arn),
	    A_TXT(ro->role_id), A_TXT(ro->trust_policy), A_TXT(ro->description),
	    A_TXT(ro->service), A_INT(ro->max_session_duration), A_INT(ro->created_at)), 0);
}

static int
row_role(sqlite3_stmt *s, void *out)
{
	struct store_iam_role *ro = out;
	int r;

	if ((r = col_fixed(s, 0, ro->account_id, sizeof(ro->account_id))) != 0 ||
	    (r = col_str(s, 1, &ro->name)) != 0 ||
	    (r = col_str(s, 2, &ro->path)) != 0 ||
	    (r = col_str(s, 3, &ro->arn)) != 0 ||
	    (r = col_str(s, 4, &ro->role_id)) != 0 ||
	    (r = col_str(s, 5, &ro->trust_policy)) != 0 ||
	    (r = col_str(s, 6, &ro->description)) != 0 ||
	    (r = col_str(s, 7, &ro->service)) != 0)
		return r;
	ro->max_session_duration = sqlite3_column_int(s, 8);
	ro->created_at = sqlite3_column_int64(s, 9);
	return 0;
}

static void
clear_role(void *p)
{
	store_iam_role_clear(p);
}

int
store_iam_role_get(struct store *st, const char *account_id, const char *name,
    struct store_iam_role *out)
{
	int r;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && account_id != NULL && name != NULL,
	    PCA_ERR_INTERNAL);
	if ((r = read_one(st, IS_ROLE_GET, ARGS(A_TXT(account_id), A_TXT(name)), row_role,
	    out)) != 0)
		store_iam_role_clear(out);
	return r;
}

int
store_iam_role_set_trust(struct store *st, const char *account_id, const char *name,
    const char *trust_policy)
{
	return_val_if_fail(st != NULL && account_id != NULL && name != NULL &&
	    trust_policy != NULL, PCA_ERR_INTERNAL);
	return write1(st, JOB_AUTHZ, IS_ROLE_SET_TRUST, ARGS(A_TXT(account_id), A_TXT(name),
	    A_TXT(trust_policy)), PCA_ERR_NOT_FOUND);
}

static int
job_iam_role_delete(struct conn *c, void *arg)
{
	const struct principal_args *a = arg;
	int r;

	if ((r = principal_exists(c, a->account_id, STORE_PRINCIPAL_ROLE, a->name)) != 0 ||
	    (r = principal_unused(c, a->account_id, "role", a->name)) != 0)
		return r;
	return q_exec(c, IS_ROLE_DELETE, ARGS(A_TXT(a->account_id), A_TXT(a->name)), NULL);
}

int
store_iam_role_delete(struct store *st, const char *account_id, const char *name)
{
	struct principal_args a = { account_id, name };

	return_val_if_fail(st != NULL && account_id != NULL && name != NULL,
	    PCA_ERR_INTERNAL);
	/* credentials: the role's sessions are deleted with it */
	return job_run_credentials(st, job_iam_role_delete, &a);
}

int
store_iam_role_list(struct store *st, const char *account_id, const char *after,
    size_t limit, struct store_iam_role **out, size_t *n)
{
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && account_id != NULL, PCA_ERR_INTERNAL);
	r = read_list(st, IS_ROLE_LIST, ARGS(A_TXT(account_id),
	    A_TXT(after != NULL ? after : ""), A_INT(lim(limit))), sizeof(**out), row_role,
	    clear_role, &list, n);
	*out = list;
	if (r == 0 && *n == 0)
		r = empty_or_not_found(st, IS_ACCOUNT_EXISTS, ARGS(A_TXT(account_id)));
	return r;
}

void
store_iam_role_clear(struct store_iam_role *ro)
{
	if (ro == NULL)
		return;
	free(ro->name);
	free(ro->path);
	free(ro->arn);
	free(ro->role_id);
	free(ro->trust_policy);
	free(ro->description);
	free(ro->service);
	memset(ro, 0, sizeof(*ro));
}

void
store_iam_role_list_free(struct store_iam_role *ro, size_t n)
{
	size_t i;

	if (ro == NULL)
		return;
	for (i = 0; i < n; i++)
		store_iam_role_clear(&ro[i]);
	free(ro);
}

/* ---- inline policies and attachments ------------------------------------- */

/* A write about one principal's policy, after checking the principal. */
struct principal_write_args {
	const char		*account_id, *principal;
	int			 kind;
	enum iam_stmt		 id;
	const struct sql_arg	*args;
	size_t			 nargs;
	int			 none;		/* as in struct exec_args */
};

static int
job_principal_write(struct conn *c, void *arg)
{
	const struct principal_write_args *a = arg;
	struct exec_args e = { a->id, a->args, a->nargs, a->none };
	int r;

	if ((r = principal_exists(c, a->account_id, a->kind, a->principal)) != 0)
		return r;
	return job_exec(c, &e);
}

static int
principal_write(struct store *st, const char *account_id, int kind, const char *principal,
    enum iam_stmt id, const struct sql_arg *args, size_t nargs, int none)
{
	struct principal_write_args a = { account_id, principal, kind, id, args, nargs, none };

	return job_run_authz(st, job_principal_write, &a);
}

int
store_inline_policy_put(struct store *st, const char *account_id, int kind,
    const char *principal, const char *name, const char *document)
{
	const char *k = kind_str(kind);

	return_val_if_fail(st != NULL && account_id != NULL && principal != NULL &&
	    name != NULL && document != NULL, PCA_ERR_INTERNAL);
	if (k == NULL || name[0] == '\0')
		return PCA_ERR_INVALID;
	return principal_write(st, account_id, kind, principal, IS_INLINE_PUT,
	    ARGS(A_TXT(account_id), A_TXT(k), A_TXT(principal), A_TXT(name),
	    A_TXT(document)), 0);
}

int
store_inline_policy_get(struct store *st, const char *account_id, int kind,
    const char *principal, const char *name, char **document)
{
	const char *k = kind_str(kind);
	int r;

	return_val_if_fail(document != NULL, PCA_ERR_INTERNAL);
	*document = NULL;
	return_val_if_fail(st != NULL && account_id != NULL && principal != NULL &&
	    name != NULL, PCA_ERR_INTERNAL);
	if (k == NULL)
		return PCA_ERR_INVALID;
	if ((r = read_one(st, IS_INLINE_GET, ARGS(A_TXT(account_id), A_TXT(k),
	    A_TXT(principal), A_TXT(name)), row_str, document)) != 0) {
		free(*document);
		*document = NULL;
	}
	return r;
}

int
store_inline_policy_delete(struct store *st, const char *account_id, int kind,
    const char *principal, const char *name)
{
	const char *k = kind_str(kind);

	return_val_if_fail(st != NULL && account_id != NULL && principal != NULL &&
	    name != NULL, PCA_ERR_INTERNAL);
	if (k == NULL)
		return PCA_ERR_INVALID;
	return write1(st, JOB_AUTHZ, IS_INLINE_DELETE, ARGS(A_TXT(account_id), A_TXT(k),
	    A_TXT(principal), A_TXT(name)), PCA_ERR_NOT_FOUND);
}

static int
row_inline(sqlite3_stmt *s, void *out)
{
	struct store_inline_policy *p = out;
	int r;

	if ((r = col_str(s, 0, &p->name)) != 0)
		return r;
	return col_str(s, 1, &p->document);
}

static void
clear_inline(void *p)
{
	struct store_inline_policy *ip = p;

	free(ip->name);
	free(ip->document);
	memset(ip, 0, sizeof(*ip));
}

int
store_inline_policy_list(struct store *st, const char *account_id, int kind,
    const char *principal, struct store_inline_policy **out, size_t *n)
{
	const char *k = kind_str(kind);
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && account_id != NULL && principal != NULL,
	    PCA_ERR_INTERNAL);
	if (k == NULL)
		return PCA_ERR_INVALID;
	r = read_list(st, IS_INLINE_LIST, ARGS(A_TXT(account_id), A_TXT(k), A_TXT(principal)),
	    sizeof(**out), row_inline, clear_inline, &list, n);
	*out = list;
	if (r == 0 && *n == 0)
		r = empty_or_not_found(st, kind == STORE_PRINCIPAL_USER ? IS_USER_EXISTS :
		    IS_ROLE_EXISTS, ARGS(A_TXT(account_id), A_TXT(principal)));
	return r;
}

void
store_inline_policy_list_free(struct store_inline_policy *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++)
		clear_inline(&p[i]);
	free(p);
}

int
store_attachment_add(struct store *st, const char *account_id, int kind,
    const char *principal, const char *policy_arn)
{
	const char *k = kind_str(kind);

	return_val_if_fail(st != NULL && account_id != NULL && principal != NULL &&
	    policy_arn != NULL, PCA_ERR_INTERNAL);
	if (k == NULL || policy_arn[0] == '\0')
		return PCA_ERR_INVALID;
	return principal_write(st, account_id, kind, principal, IS_ATTACH_ADD,
	    ARGS(A_TXT(account_id), A_TXT(k), A_TXT(principal), A_TXT(policy_arn)), 0);
}

int
store_attachment_remove(struct store *st, const char *account_id, int kind,
    const char *principal, const char *policy_arn)
{
	const char *k = kind_str(kind);

	return_val_if_fail(st != NULL && account_id != NULL && principal != NULL &&
	    policy_arn != NULL, PCA_ERR_INTERNAL);
	if (k == NULL)
		return PCA_ERR_INVALID;
	return write1(st, JOB_AUTHZ, IS_ATTACH_REMOVE, ARGS(A_TXT(account_id), A_TXT(k),
	    A_TXT(principal), A_TXT(policy_arn)), PCA_ERR_NOT_FOUND);
}

static void
clear_str(void *p)
{
	char **s = p;

	free(*s);
	*s = NULL;
}

int
store_attachment_list(struct store *st, const char *account_id, int kind,
    const char *principal, char ***arns, size_t *n)
{
	const char *k = kind_str(kind);
	void *list = NULL;
	int r;

	return_val_if_fail(arns != NULL && n != NULL, PCA_ERR_INTERNAL);
	*arns = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && account_id != NULL && principal != NULL,
	    PCA_ERR_INTERNAL);
	if (k == NULL)
		return PCA_ERR_INVALID;
	r = read_list(st, IS_ATTACH_LIST, ARGS(A_TXT(account_id), A_TXT(k), A_TXT(principal)),
	    sizeof(char *), row_str, clear_str, &list, n);
	*arns = list;
	if (r == 0 && *n == 0)
		r = empty_or_not_found(st, kind == STORE_PRINCIPAL_USER ? IS_USER_EXISTS :
		    IS_ROLE_EXISTS, ARGS(A_TXT(account_id), A_TXT(principal)));
	return r;
}

void
store_string_list_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- sessions ------------------------------------------------------------ */

int
store_session_put(struct store *st, const struct store_session *s)
{
	return_val_if_fail(st != NULL && s != NULL, PCA_ERR_INTERNAL);
	if (s->access_key_id == NULL || s->secret == NULL || s->token == NULL ||
	    !FIXED_OK(s->account_id) || s->role_name == NULL || s->session_name == NULL ||
	    s->source_arn == NULL)
		return PCA_ERR_INVALID;
	return write1(st, JOB_CREDENTIALS, IS_SESSION_PUT, ARGS(A_TXT(s->access_key_id),
	    A_TXT(s->secret), A_TXT(s->token), A_TXT(s->account_id), A_TXT(s->role_name),
	    A_TXT(s->session_name), A_TXT(s->source_arn), A_INT(s->expires_at)), 0);
}

static int
row_session(sqlite3_stmt *s, void *out)
{
	struct store_session *ss = out;
	int r;

	if ((r = col_str(s, 0, &ss->access_key_id)) != 0 ||
	    (r = col_str(s, 1, &ss->secret)) != 0 ||
	    (r = col_str(s, 2, &ss->token)) != 0 ||
	    (r = col_fixed(s, 3, ss->account_id, sizeof(ss->account_id))) != 0 ||
	    (r = col_str(s, 4, &ss->role_name)) != 0 ||
	    (r = col_str(s, 5, &ss->session_name)) != 0 ||
	    (r = col_str(s, 6, &ss->source_arn)) != 0)
		return r;
	ss->expires_at = sqlite3_column_int64(s, 7);
	return 0;
}

int
store_session_get(struct store *st, const char *access_key_id, struct store_session *out)
{
	int r;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	return_val_if_fail(st != NULL && access_key_id != NULL, PCA_ERR_INTERNAL);
	if ((r = read_one(st, IS_SESSION_GET, ARGS(A_TXT(access_key_id)), row_session,
	    out)) != 0)
		store_session_clear(out);
	return r;
}

int
store_session_expire(struct store *st, int64_t now)
{
	int r;

	return_val_if_fail(st != NULL, PCA_ERR_INTERNAL);
	/* A periodic sweep that finds nothing must not empty the credential
	 * caches: look first (a session put meanwhile already expired waits
	 * for the next sweep; the authenticator checks expires_at anyway). */
	if ((r = read_exists(st, IS_SESSION_ANY_EXPIRED, ARGS(A_INT(now)))) <= 0)
		return r;
	return write1(st, JOB_CREDENTIALS, IS_SESSION_EXPIRE, ARGS(A_INT(now)), 0);
}

void
store_session_clear(struct store_session *s)
{
	if (s == NULL)
		return;
	free(s->access_key_id);
	str_free_wiped(s->secret);
	str_free_wiped(s->token);
	free(s->role_name);
	free(s->session_name);
	free(s->source_arn);
	memset(s, 0, sizeof(*s));
}

/* ---- CA permissions and resource policies -------------------------------- */

#define STORE_PERM_ALL	(STORE_PERM_ISSUE | STORE_PERM_GET | STORE_PERM_LIST)

int
store_permission_create(struct store *st, const struct store_permission *p)
{
	return_val_if_fail(st != NULL && p != NULL, PCA_ERR_INTERNAL);
	if (!FIXED_OK(p->ca_id) || p->principal == NULL || p->principal[0] == '\0' ||
	    !FIXED_OPT_OK(p->source_account) || p->actions == 0 ||
	    (p->actions & ~(unsigned)STORE_PERM_ALL) != 0)
		return PCA_ERR_INVALID;
	return write1(st, JOB_AUTHZ, IS_PERM_CREATE, ARGS(A_TXT(p->ca_id),
	    A_TXT(p->principal), A_TXT(p->source_account), A_INT(p->actions),
	    A_INT(p->created_at)), 0);
}

int
store_permission_delete(struct store *st, const char *ca_id, const char *principal,
    const char *source_account)
{
	return_val_if_fail(st != NULL && ca_id != NULL && principal != NULL, PCA_ERR_INTERNAL);
	return write1(st, JOB_AUTHZ, IS_PERM_DELETE, ARGS(A_TXT(ca_id), A_TXT(principal),
	    A_TXT(source_account != NULL ? source_account : "")), PCA_ERR_NOT_FOUND);
}

static int
row_permission(sqlite3_stmt *s, void *out)
{
	struct store_permission *p = out;
	int r;

	if ((r = col_fixed(s, 0, p->ca_id, sizeof(p->ca_id))) != 0 ||
	    (r = col_str(s, 1, &p->principal)) != 0 ||
	    (r = col_fixed_opt(s, 2, p->source_account, sizeof(p->source_account))) != 0)
		return r;
	p->actions = (unsigned)sqlite3_column_int64(s, 3);
	p->created_at = sqlite3_column_int64(s, 4);
	return 0;
}

static void
clear_permission(void *p)
{
	struct store_permission *pm = p;

	free(pm->principal);
	memset(pm, 0, sizeof(*pm));
}

int
store_permission_list(struct store *st, const char *ca_id, struct store_permission **out,
    size_t *n)
{
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && ca_id != NULL, PCA_ERR_INTERNAL);
	r = read_list(st, IS_PERM_LIST, ARGS(A_TXT(ca_id)), sizeof(**out), row_permission,
	    clear_permission, &list, n);
	*out = list;
	if (r == 0 && *n == 0)
		r = empty_or_not_found(st, IS_CA_EXISTS, ARGS(A_TXT(ca_id)));
	return r;
}

void
store_permission_list_free(struct store_permission *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++)
		clear_permission(&p[i]);
	free(p);
}

int
store_ca_policy_put(struct store *st, const char *ca_id, const char *policy)
{
	return_val_if_fail(st != NULL && ca_id != NULL && policy != NULL, PCA_ERR_INTERNAL);
	return write1(st, JOB_AUTHZ, IS_CAPOL_PUT, ARGS(A_TXT(ca_id), A_TXT(policy)), 0);
}

int
store_ca_policy_get(struct store *st, const char *ca_id, char **policy)
{
	int r;

	return_val_if_fail(policy != NULL, PCA_ERR_INTERNAL);
	*policy = NULL;
	return_val_if_fail(st != NULL && ca_id != NULL, PCA_ERR_INTERNAL);
	if ((r = read_one(st, IS_CAPOL_GET, ARGS(A_TXT(ca_id)), row_str, policy)) != 0) {
		free(*policy);
		*policy = NULL;
	}
	return r;
}

int
store_ca_policy_delete(struct store *st, const char *ca_id)
{
	return_val_if_fail(st != NULL && ca_id != NULL, PCA_ERR_INTERNAL);
	return write1(st, JOB_AUTHZ, IS_CAPOL_DELETE, ARGS(A_TXT(ca_id)), 0);
}

static int
row_ca(sqlite3_stmt *s, void *out)
{
	return ca_row(s, out);
}

static void
clear_ca(void *p)
{
	store_ca_clear(p);
}

int
store_ca_list_with_policy_after(struct store *st, const char *not_account,
    const char *after_id, size_t limit, struct store_ca **out, size_t *n)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	int64_t after_seq = 0;
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL && not_account != NULL, PCA_ERR_INTERNAL);
	if (after_id != NULL) {
		if ((r = conn_get(st, &c)) != 0 ||
		    (r = q_prepare(c, IS_CA_SEQ_ANY, ARGS(A_TXT(after_id)), &s)) != 0)
			goto out;
		if ((r = STEP(c, s)) <= 0) {
			r = r == 0 ? PCA_ERR_INVALID : r;	/* the position is lost */
			goto out;
		}
		after_seq = sqlite3_column_int64(s, 0);
		stmt_done(s);
		s = NULL;
		conn_put(st, c);
		c = NULL;
	}
	r = read_list(st, IS_CA_LIST_WITH_POLICY, ARGS(A_TXT(not_account), A_INT(after_seq),
	    A_INT(lim(limit))), sizeof(**out), row_ca, clear_ca, &list, n);
	*out = list;
 out:
	stmt_done(s);
	conn_put(st, c);
	return r;
}

int
store_ca_list_with_policy(struct store *st, const char *not_account, size_t limit,
    struct store_ca **out, size_t *n)
{
	return store_ca_list_with_policy_after(st, not_account, NULL, limit, out, n);
}

/* ---- the audit log ------------------------------------------------------- */

/* The text fields of a record, in the order they are hashed (allowed is
 * hashed between resource and policy). */
enum { AF_CALLER, AF_ACTION, AF_RESOURCE, AF_POLICY, AF_SID, AF_REASON, AF__COUNT };

struct audit_fields {
	int64_t		 seq, at_ms, allowed;
	const uint8_t	*prev;			/* STORE_AUDIT_HASH_LEN bytes */
	const char	*text[AF__COUNT];
	size_t		 len[AF__COUNT];
};

static int
hash_u64(EVP_MD_CTX *ctx, int64_t v)
{
	uint8_t b[8];
	uint64_t u = (uint64_t)v;
	int i;

	for (i = 7; i >= 0; i--, u >>= 8)
		b[i] = (uint8_t)u;
	return EVP_DigestUpdate(ctx, b, sizeof(b));
}

static int
hash_text(EVP_MD_CTX *ctx, const char *p, size_t len)
{
	uint8_t b[4] = {
		(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len
	};

	return EVP_DigestUpdate(ctx, b, sizeof(b)) == 1 &&
	    (len == 0 || EVP_DigestUpdate(ctx, p, len) == 1);
}

/*
 * SHA-256(prev_hash || u64 seq || u64 at_ms || caller || action || resource
 * || u64 allowed || policy || sid || reason), integers big-endian, each text
 * as a big-endian u32 byte length then its bytes (store_iam.h).
 */
static int
audit_hash(const struct audit_fields *f, uint8_t out[STORE_AUDIT_HASH_LEN])
{
	EVP_MD_CTX *ctx;
	unsigned int len = 0;
	int r = PCA_ERR_CRYPTO;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return PCA_ERR_NOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, f->prev, STORE_AUDIT_HASH_LEN) != 1 ||
	    hash_u64(ctx, f->seq) != 1 ||
	    hash_u64(ctx, f->at_ms) != 1 ||
	    !hash_text(ctx, f->text[AF_CALLER], f->len[AF_CALLER]) ||
	    !hash_text(ctx, f->text[AF_ACTION], f->len[AF_ACTION]) ||
	    !hash_text(ctx, f->text[AF_RESOURCE], f->len[AF_RESOURCE]) ||
	    hash_u64(ctx, f->allowed) != 1 ||
	    !hash_text(ctx, f->text[AF_POLICY], f->len[AF_POLICY]) ||
	    !hash_text(ctx, f->text[AF_SID], f->len[AF_SID]) ||
	    !hash_text(ctx, f->text[AF_REASON], f->len[AF_REASON]) ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != STORE_AUDIT_HASH_LEN) {
		log_error("SHA-256 failed");
		goto out;
	}
	r = 0;
 out:
	EVP_MD_CTX_free(ctx);
	return r;
}

/* A queued record: the job, then a copy of the record whose strings point
 * into text[]. Freed by the writer (audit_job_release()) or, when the
 * caller waited for it, by the caller. */
struct audit_job {
	struct store_job	 job;		/* first: release() gets the rest back */
	struct store		*st;
	struct audit_fields	 f;
	char			 text[];
};

static void
audit_job_release(struct store_job *job)
{
	struct audit_job *aj = (struct audit_job *)job;

	atomic_fetch_sub(&aj->st->audit.queued, 1);
	free(aj);
}

/* In the writer: number the record, link it to the head of the chain and
 * insert it; the head moves only when the insert succeeded (and is
 * confirmed or taken back by store_iam_batch_end()). */
static int
job_audit_append(struct conn *c, void *arg)
{
	struct audit_job *aj = arg;
	struct store_audit_head *h = &aj->st->audit;
	struct audit_fields *f = &aj->f;
	uint8_t hash[STORE_AUDIT_HASH_LEN];
	int r;

	f->seq = h->tx_seq + 1;
	f->prev = h->tx_hash;
	if ((r = audit_hash(f, hash)) != 0)
		return r;
	if ((r = q_exec(c, IS_AUDIT_INSERT, ARGS(A_INT(f->seq), A_INT(f->at_ms),
	    A_TXT(f->text[AF_CALLER]), A_TXT(f->text[AF_ACTION]), A_TXT(f->text[AF_RESOURCE]),
	    A_INT(f->allowed), A_TXT(f->text[AF_POLICY]), A_TXT(f->text[AF_SID]),
	    A_TXT(f->text[AF_REASON]), A_BLOB(h->tx_hash, STORE_AUDIT_HASH_LEN),
	    A_BLOB(hash, STORE_AUDIT_HASH_LEN)), NULL)) != 0) {
		log_error_fr(r, "audit record %lld not written", (long long)f->seq);
		return r;
	}
	h->tx_seq = f->seq;
	memcpy(h->tx_hash, hash, sizeof(hash));
	return 0;
}

int
store_audit_append(struct store *st, const struct store_audit *a)
{
	struct audit_job *aj;
	const char *src[AF__COUNT];
	size_t len[AF__COUNT], total = 0, off = 0;
	int i, r;

	return_val_if_fail(st != NULL && a != NULL, PCA_ERR_INTERNAL);
	src[AF_CALLER] = a->caller;
	src[AF_ACTION] = a->action;
	src[AF_RESOURCE] = a->resource;
	src[AF_POLICY] = a->policy;
	src[AF_SID] = a->sid;
	src[AF_REASON] = a->reason;
	for (i = 0; i < AF__COUNT; i++) {
		if (src[i] == NULL)
			src[i] = "";		/* stored and hashed as "" */
		if ((len[i] = strlen(src[i])) > AUDIT_FIELD_MAX)
			return PCA_ERR_TOO_LARGE;
		total += len[i] + 1;
	}
	if ((aj = calloc(1, sizeof(*aj) + total)) == NULL)
		return PCA_ERR_NOMEM;
	for (i = 0; i < AF__COUNT; i++) {
		memcpy(aj->text + off, src[i], len[i] + 1);
		aj->f.text[i] = aj->text + off;
		aj->f.len[i] = len[i];
		off += len[i] + 1;
	}
	aj->f.at_ms = a->at_ms;
	aj->f.allowed = a->allowed != 0;
	aj->st = st;
	aj->job.fn = job_audit_append;
	aj->job.arg = aj;
	aj->job.release = audit_job_release;

	if (atomic_fetch_add(&st->audit.queued, 1) < AUDIT_QUEUE_MAX) {
		if ((r = job_submit_detached(st, &aj->job)) == 0)
			return 0;		/* the writer owns it now */
		atomic_fetch_sub(&st->audit.queued, 1);
		free(aj);
		return r;
	}
	/* The writer is that far behind: wait for this record like a write,
	 * so a flood of decisions slows its callers instead of growing the
	 * queue without bound. */
	atomic_fetch_sub(&st->audit.queued, 1);
	r = job_submit(st, job_audit_append, aj, 0);
	free(aj);
	return r;
}

static int
row_audit(sqlite3_stmt *s, void *out)
{
	struct store_audit *a = out;
	int r;

	a->seq = sqlite3_column_int64(s, 0);
	a->at_ms = sqlite3_column_int64(s, 1);
	if ((r = col_str(s, 2, &a->caller)) != 0 ||
	    (r = col_str(s, 3, &a->action)) != 0 ||
	    (r = col_str(s, 4, &a->resource)) != 0 ||
	    (r = col_str(s, 6, &a->policy)) != 0 ||
	    (r = col_str(s, 7, &a->sid)) != 0 ||
	    (r = col_str(s, 8, &a->reason)) != 0)
		return r;
	a->allowed = sqlite3_column_int(s, 5);
	/* as stored; store_audit_verify() says whether they are right */
	if (sqlite3_column_bytes(s, 9) == STORE_AUDIT_HASH_LEN)
		memcpy(a->prev_hash, sqlite3_column_blob(s, 9), STORE_AUDIT_HASH_LEN);
	if (sqlite3_column_bytes(s, 10) == STORE_AUDIT_HASH_LEN)
		memcpy(a->hash, sqlite3_column_blob(s, 10), STORE_AUDIT_HASH_LEN);
	return 0;
}

static void
clear_audit(void *p)
{
	struct store_audit *a = p;

	free(a->caller);
	free(a->action);
	free(a->resource);
	free(a->policy);
	free(a->sid);
	free(a->reason);
	memset(a, 0, sizeof(*a));
}

int
store_audit_list(struct store *st, int64_t after, size_t limit, struct store_audit **out,
    size_t *n)
{
	void *list = NULL;
	int r;

	return_val_if_fail(out != NULL && n != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	*n = 0;
	return_val_if_fail(st != NULL, PCA_ERR_INTERNAL);
	r = read_list(st, IS_AUDIT_LIST, ARGS(A_INT(after), A_INT(lim(limit))), sizeof(**out),
	    row_audit, clear_audit, &list, n);
	*out = list;
	return r;
}

void
store_audit_list_free(struct store_audit *a, size_t n)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < n; i++)
		clear_audit(&a[i]);
	free(a);
}

/*
 * Check the current row of an AUDIT_COLS query: it must be record `expect`,
 * with columns of the types the writer stores, linked to prev, and hash to
 * what it says. 0 with its hash in hash, PCA_ERR_BAD_SIGNATURE, or another
 * error.
 */
static int
audit_check_row(sqlite3_stmt *s, int64_t expect, const uint8_t *prev,
    uint8_t hash[STORE_AUDIT_HASH_LEN])
{
	static const int text_col[AF__COUNT] = { 2, 3, 4, 6, 7, 8 };
	struct audit_fields f;
	uint8_t want[STORE_AUDIT_HASH_LEN];
	int i, r;

	if (sqlite3_column_type(s, 0) != SQLITE_INTEGER ||
	    sqlite3_column_int64(s, 0) != expect ||
	    sqlite3_column_type(s, 1) != SQLITE_INTEGER ||
	    sqlite3_column_type(s, 5) != SQLITE_INTEGER ||
	    sqlite3_column_type(s, 9) != SQLITE_BLOB ||
	    sqlite3_column_type(s, 10) != SQLITE_BLOB ||
	    sqlite3_column_bytes(s, 9) != STORE_AUDIT_HASH_LEN ||
	    sqlite3_column_bytes(s, 10) != STORE_AUDIT_HASH_LEN)
		return PCA_ERR_BAD_SIGNATURE;
	memset(&f, 0, sizeof(f));
	f.seq = expect;
	f.at_ms = sqlite3_column_int64(s, 1);
	f.allowed = sqlite3_column_int64(s, 5);
	for (i = 0; i < AF__COUNT; i++) {
		if (sqlite3_column_type(s, text_col[i]) != SQLITE_TEXT)
			return PCA_ERR_BAD_SIGNATURE;
		if ((f.text[i] = (const char *)sqlite3_column_text(s, text_col[i])) == NULL)
			return PCA_ERR_NOMEM;
		f.len[i] = (size_t)sqlite3_column_bytes(s, text_col[i]);
	}
	if ((f.prev = sqlite3_column_blob(s, 9)) == NULL)
		return PCA_ERR_NOMEM;
	if (memcmp(f.prev, prev, STORE_AUDIT_HASH_LEN) != 0)
		return PCA_ERR_BAD_SIGNATURE;		/* not linked to its predecessor */
	if ((r = audit_hash(&f, want)) != 0)
		return r;
	memcpy(hash, sqlite3_column_blob(s, 10), STORE_AUDIT_HASH_LEN);
	/* public data, but a constant-time compare costs nothing here */
	return CRYPTO_memcmp(want, hash, STORE_AUDIT_HASH_LEN) == 0 ? 0 : PCA_ERR_BAD_SIGNATURE;
}

int
store_audit_verify(struct store *st, int64_t *count, int64_t *bad_seq)
{
	struct conn *c = NULL;
	sqlite3_stmt *s = NULL;
	uint8_t prev[STORE_AUDIT_HASH_LEN], hash[STORE_AUDIT_HASH_LEN];
	uint8_t head_hash[STORE_AUDIT_HASH_LEN];
	int64_t last = 0, head_seq, got;
	int r;

	return_val_if_fail(count != NULL && bad_seq != NULL, PCA_ERR_INTERNAL);
	*count = 0;
	*bad_seq = 0;
	return_val_if_fail(st != NULL, PCA_ERR_INTERNAL);

	/* The committed head the writer keeps: every read started after this
	 * sees it, so the chain must reach it, with that hash. */
	pthread_mutex_lock(&st->audit.mu);
	head_seq = st->audit.seq;
	memcpy(head_hash, st->audit.hash, sizeof(head_hash));
	pthread_mutex_unlock(&st->audit.mu);

	memset(prev, 0, sizeof(prev));
	if ((r = conn_get(st, &c)) != 0)
		goto out;
	do {
		if ((r = q_prepare(c, IS_AUDIT_LIST, ARGS(A_INT(last),
		    A_INT(AUDIT_VERIFY_CHUNK)), &s)) != 0)
			goto out;
		for (got = 0; (r = STEP(c, s)) == 1; got++) {
			if ((r = audit_check_row(s, last + 1, prev, hash)) != 0)
				goto broken;
			if (last + 1 == head_seq &&
			    memcmp(hash, head_hash, sizeof(hash)) != 0) {
				r = PCA_ERR_BAD_SIGNATURE;	/* rewritten up to here */
				goto broken;
			}
			memcpy(prev, hash, sizeof(prev));
			last++;
			(*count)++;
		}
		if (r != 0)
			goto out;
		stmt_done(s);		/* a fresh snapshot for the next chunk */
		s = NULL;
	} while (got == AUDIT_VERIFY_CHUNK);
	if (last < head_seq) {
		r = PCA_ERR_BAD_SIGNATURE;		/* records cut off the end */
		goto broken;
	}
	r = 0;
	goto out;
 broken:
	if (r == PCA_ERR_BAD_SIGNATURE) {
		*bad_seq = last + 1;
		log_error("audit chain broken at record %lld (%lld records verified)",
		    (long long)*bad_seq, (long long)*count);
	}
 out:
	stmt_done(s);
	conn_put(st, c);
	return r;
}

/* ---- hooks of store_sqlite.c --------------------------------------------- */

int
store_iam_open(struct store *st)
{
	struct store_audit_head *h = &st->audit;
	sqlite3_stmt *s = NULL;
	int r;

	if (pthread_mutex_init(&h->mu, NULL) != 0)
		return PCA_ERR_INTERNAL;
	h->mu_ready = 1;
	atomic_init(&h->queued, 0);
	h->seq = 0;
	memset(h->hash, 0, sizeof(h->hash));
	/* the writer has not started: its connection is ours for now */
	if ((r = q_prepare(st->wconn, IS_AUDIT_HEAD, NULL, 0, &s)) != 0)
		goto out;
	if ((r = STEP(st->wconn, s)) < 0)
		goto out;
	if (r == 1) {
		h->seq = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) == SQLITE_BLOB &&
		    sqlite3_column_bytes(s, 1) == STORE_AUDIT_HASH_LEN)
			memcpy(h->hash, sqlite3_column_blob(s, 1), STORE_AUDIT_HASH_LEN);
		else		/* new records link to zeros; verify shows where */
			log_error("audit record %lld has no valid hash", (long long)h->seq);
	}
	h->tx_seq = h->seq;
	memcpy(h->tx_hash, h->hash, sizeof(h->hash));
	r = 0;
 out:
	stmt_done(s);
	return r;
}

void
store_iam_free(struct store *st)
{
	if (st == NULL || !st->audit.mu_ready)
		return;
	pthread_mutex_destroy(&st->audit.mu);
	st->audit.mu_ready = 0;
}

void
store_iam_batch_end(struct store *st, int committed)
{
	struct store_audit_head *h = &st->audit;

	if (committed) {
		if (h->tx_seq == h->seq)
			return;
		pthread_mutex_lock(&h->mu);
		h->seq = h->tx_seq;
		memcpy(h->hash, h->tx_hash, sizeof(h->hash));
		pthread_mutex_unlock(&h->mu);
	} else {
		/* the batch's records are gone: back to the committed head */
		h->tx_seq = h->seq;
		memcpy(h->tx_hash, h->hash, sizeof(h->hash));
	}
}
