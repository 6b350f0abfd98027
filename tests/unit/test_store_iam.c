/*
 * test_store_iam.c - store_iam.h on store_sqlite_iam.c, on real SQLite
 * files in the test's tmpdir.
 *
 * As in test_store.c nothing is mocked: every case opens a fresh database,
 * tampering goes through the sqlite3 C API on the file itself, and the
 * concurrency case runs real threads against the real writer.
 */
#include "test.h"
#include "store.h"
#include "store_iam.h"
#include "clock.h"
#include "err.h"
#include "log.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#define ACCT1	"111122223333"
#define ACCT2	"444455556666"
#define ACCT3	"777788889999"
#define ORG1	"o-aaaaaaaaaa"
#define ROOT1	"r-aaaa"
#define ORG2	"o-bbbbbbbbbb"
#define ROOT2	"r-bbbb"

/* ---- fixtures ---------------------------------------------------------- */

static const char *
db_path(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.db", test_tmpdir(), name);
	return buf;
}

static struct store *
open_db(const char *name)
{
	char path[512];
	struct store *st = NULL;

	assert_int_eq(store_open(db_path(name, path, sizeof(path)), &st), 0);
	assert_ptr_not_null(st);
	return st;
}

static void
put_account(struct store *st, const char *id)
{
	struct store_account a;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", id);
	a.name = "test account";
	a.created_at = 1000;
	assert_int_eq(store_account_put(st, &a), 0);
}

/* A CA numbered n in account acct, inserted. */
struct ca_fixture {
	struct store_ca	ca;
	char		arn[128];
};

static void
insert_ca(struct store *st, const char *acct, unsigned n, struct ca_fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->ca.id, sizeof(f->ca.id), "00000000-0000-4000-8000-%012u", n);
	snprintf(f->ca.account_id, sizeof(f->ca.account_id), "%s", acct);
	snprintf(f->arn, sizeof(f->arn),
	    "arn:aws:acm-pca:us-east-1:%s:certificate-authority/%s", acct, f->ca.id);
	f->ca.arn = f->arn;
	f->ca.type = 2;
	f->ca.status = 1;
	f->ca.key_algorithm = 3;
	f->ca.key_storage = 1;
	f->ca.usage_mode = 1;
	f->ca.created_at = 1000 + n;
	f->ca.last_state_change_at = 1000 + n;
	assert_int_eq(store_ca_insert(st, &f->ca), 0);
}

static int
create_user(struct store *st, const char *acct, const char *name, const char *uid)
{
	struct store_iam_user u;
	char arn[256];

	memset(&u, 0, sizeof(u));
	snprintf(u.account_id, sizeof(u.account_id), "%s", acct);
	snprintf(arn, sizeof(arn), "arn:aws:iam::%s:user/%s", acct, name);
	u.name = (char *)name;
	u.arn = arn;
	u.user_id = (char *)uid;
	u.created_at = 77;
	return store_iam_user_create(st, &u);
}

static int
create_role(struct store *st, const char *acct, const char *name, const char *rid)
{
	struct store_iam_role ro;
	char arn[256];

	memset(&ro, 0, sizeof(ro));
	snprintf(ro.account_id, sizeof(ro.account_id), "%s", acct);
	snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/%s", acct, name);
	ro.name = (char *)name;
	ro.arn = arn;
	ro.role_id = (char *)rid;
	ro.trust_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[]}";
	ro.max_session_duration = 3600;
	ro.created_at = 88;
	return store_iam_role_create(st, &ro);
}

static int
put_key(struct store *st, const char *id, const char *acct, const char *user)
{
	struct store_access_key k;

	memset(&k, 0, sizeof(k));
	k.id = (char *)id;
	k.secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	snprintf(k.account_id, sizeof(k.account_id), "%s", acct);
	k.user_name = (char *)user;
	k.active = 1;
	k.created_at = 5;
	return store_access_key_put(st, &k);
}

static void
org_fixture(struct store_org *o, const char *id, const char *mgmt, const char *root)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%s", id);
	snprintf(o->management_account, sizeof(o->management_account), "%s", mgmt);
	snprintf(o->root_id, sizeof(o->root_id), "%s", root);
	o->created_at = 500;
}

static int
create_ou(struct store *st, const char *id, const char *org, const char *parent,
    const char *name)
{
	struct store_ou ou;

	memset(&ou, 0, sizeof(ou));
	snprintf(ou.id, sizeof(ou.id), "%s", id);
	snprintf(ou.org_id, sizeof(ou.org_id), "%s", org);
	snprintf(ou.parent_id, sizeof(ou.parent_id), "%s", parent);
	ou.name = (char *)name;
	ou.created_at = 600;
	return store_ou_create(st, &ou);
}

static int
put_member(struct store *st, const char *acct, const char *org, const char *parent,
    const char *email)
{
	struct store_membership m;

	memset(&m, 0, sizeof(m));
	snprintf(m.account_id, sizeof(m.account_id), "%s", acct);
	snprintf(m.org_id, sizeof(m.org_id), "%s", org);
	snprintf(m.parent_id, sizeof(m.parent_id), "%s", parent);
	m.email = (char *)email;
	m.joined_method = "INVITED";
	m.joined_at = 700;
	return store_membership_put(st, &m);
}

/* Run SQL on the file with a connection of our own (the store may be open:
 * WAL lets another connection write while its writer is idle). */
static void
raw_exec(const char *name, const char *sql)
{
	char path[512];
	sqlite3 *db;
	char *err = NULL;

	assert_int_eq(sqlite3_open(db_path(name, path, sizeof(path)), &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		test_diag("%s: %s", sql, err != NULL ? err : "?");
		sqlite3_free(err);
		sqlite3_close(db);
		assert_true(0);
	}
	sqlite3_close(db);
}

static long long
raw_int(const char *name, const char *sql)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v;

	assert_int_eq(sqlite3_open(db_path(name, path, sizeof(path)), &db), SQLITE_OK);
	assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static double
secs_since(uint64_t t0)
{
	return (double)(clock_mono_ns() - t0) / 1e9;
}

/* ---- migration ---------------------------------------------------------- */

/* The version-1 schema as shipped (store_migrations[0]), frozen here. */
static const char v1_schema[] =
	"CREATE TABLE accounts (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE users (account_id TEXT NOT NULL REFERENCES accounts(id),"
	"  name TEXT NOT NULL, arn TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, name)) WITHOUT ROWID;"
	"CREATE TABLE access_keys (id TEXT PRIMARY KEY NOT NULL, secret TEXT NOT NULL,"
	"  account_id TEXT NOT NULL REFERENCES accounts(id), user_name TEXT,"
	"  active INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	"  FOREIGN KEY (account_id, user_name) REFERENCES users(account_id, name));"
	"CREATE TABLE cas (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
	"  account_id TEXT NOT NULL REFERENCES accounts(id), arn TEXT NOT NULL UNIQUE,"
	"  type INTEGER NOT NULL, status INTEGER NOT NULL,"
	"  status_before_delete INTEGER NOT NULL, key_algorithm INTEGER NOT NULL,"
	"  key_storage INTEGER NOT NULL, usage_mode INTEGER NOT NULL,"
	"  failure_reason INTEGER NOT NULL, config BLOB, revocation BLOB, csr_der BLOB,"
	"  cert_der BLOB, chain_pem TEXT, serial TEXT, not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	"  last_state_change_at INTEGER NOT NULL, restorable_until INTEGER NOT NULL,"
	"  version INTEGER NOT NULL);"
	"CREATE INDEX cas_account_seq ON cas(account_id, seq);"
	"CREATE INDEX cas_status ON cas(status, seq);"
	"CREATE INDEX cas_deleted ON cas(restorable_until) WHERE status = 4;"
	"CREATE TABLE tags (ca_id TEXT NOT NULL REFERENCES cas(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL, value TEXT, PRIMARY KEY (ca_id, key)) WITHOUT ROWID;"
	"CREATE TABLE certs (ca_id TEXT NOT NULL REFERENCES cas(id) ON DELETE CASCADE,"
	"  serial TEXT NOT NULL, status INTEGER NOT NULL, request BLOB, der BLOB,"
	"  template_arn TEXT, requester TEXT, failure TEXT, created_at INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL, PRIMARY KEY (ca_id, serial));"
	"CREATE INDEX certs_pending ON certs(created_at) WHERE status = 1;"
	"CREATE TABLE idempotency (scope TEXT NOT NULL, token TEXT NOT NULL, result TEXT,"
	"  created_at INTEGER NOT NULL, PRIMARY KEY (scope, token)) WITHOUT ROWID;"
	"PRAGMA user_version = 1;";

static void
test_migration_v1(void)
{
	char path[512];
	struct store *st = NULL;
	struct store_user u;
	struct store_iam_user iu;
	struct store_access_key k;
	struct store_ca ca;
	struct store_iam_user *list = NULL;
	size_t n = 0;
	int fd;

	/* a version-1 file with a few rows, made without this build's code */
	db_path("migrate", path, sizeof(path));
	assert_int_ge(fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600), 0);
	close(fd);
	raw_exec("migrate", v1_schema);
	raw_exec("migrate",
	    "INSERT INTO accounts VALUES('" ACCT1 "', 'old', 1);"
	    "INSERT INTO users VALUES('" ACCT1 "', 'olduser', "
	    "  'arn:aws:iam::" ACCT1 ":user/olduser', 2);"
	    "INSERT INTO access_keys VALUES('AKIAOLDOLDOLDOLDOLD1', 'sekrit', '" ACCT1 "', "
	    "  'olduser', 1, 3);"
	    "INSERT INTO cas(id, account_id, arn, type, status, status_before_delete, "
	    "  key_algorithm, key_storage, usage_mode, failure_reason, not_before, not_after, "
	    "  created_at, last_state_change_at, restorable_until, version) VALUES("
	    "  '00000000-0000-4000-8000-000000000001', '" ACCT1 "', 'arn:ca1', 2, 1, 0, 3, 1,"
	    "  1, 0, 0, 0, 4, 4, 0, 1);");
	assert_int_eq(raw_int("migrate", "PRAGMA user_version"), 1);

	assert_int_eq(store_open(path, &st), 0);
	/* all the way up: 2 (store_iam.h), 3 and 4 (store_acm.h) */
	assert_int_eq(raw_int("migrate", "PRAGMA user_version"), 4);
	/* the old rows are there, through the old and the new functions */
	assert_int_eq(store_user_get(st, ACCT1, "olduser", &u), 0);
	assert_str_eq(u.arn, "arn:aws:iam::" ACCT1 ":user/olduser");
	store_user_clear(&u);
	assert_int_eq(store_iam_user_get(st, ACCT1, "olduser", &iu), 0);
	assert_str_eq(iu.path, "/");
	assert_ptr_null(iu.user_id);
	assert_int_eq(iu.created_at, 2);
	store_iam_user_clear(&iu);
	assert_int_eq(store_access_key_get(st, "AKIAOLDOLDOLDOLDOLD1", &k), 0);
	assert_str_eq(k.secret, "sekrit");
	assert_str_eq(k.user_name, "olduser");
	store_access_key_clear(&k);
	assert_int_eq(store_ca_get(st, "00000000-0000-4000-8000-000000000001", &ca), 0);
	assert_str_eq(ca.arn, "arn:ca1");
	store_ca_clear(&ca);
	/* and the new tables work on the old file */
	assert_int_eq(create_user(st, ACCT1, "newuser", "AIDANEW"), 0);
	assert_int_eq(create_user(st, ACCT1, "OLDUSER", "AIDAOLD"), PCA_ERR_EXISTS);
	assert_int_eq(store_iam_user_list(st, ACCT1, NULL, 10, &list, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(list[0].name, "newuser");
	assert_str_eq(list[1].name, "olduser");
	store_iam_user_list_free(list, n);
	assert_int_eq(store_iam_user_delete(st, ACCT1, "olduser"), PCA_ERR_STATE);	/* key */
	store_close(st);

	/* opening a current file again migrates nothing */
	assert_int_eq(store_open(path, &st), 0);
	assert_int_eq(store_iam_user_get(st, ACCT1, "newuser", &iu), 0);
	assert_str_eq(iu.user_id, "AIDANEW");
	store_iam_user_clear(&iu);
	store_close(st);
	assert_int_eq(raw_int("migrate", "PRAGMA user_version"), 4);
}

/* ---- settings, accounts -------------------------------------------------- */

static void
test_settings(void)
{
	struct store *st = open_db("settings");
	char *v = (char *)"junk";

	assert_int_eq(store_setting_get(st, "admin_account", &v), PCA_ERR_NOT_FOUND);
	assert_ptr_null(v);
	assert_int_eq(store_setting_put(st, "admin_account", ACCT1), 0);
	assert_int_eq(store_setting_get(st, "admin_account", &v), 0);
	assert_str_eq(v, ACCT1);
	free(v);
	assert_int_eq(store_setting_put(st, "admin_account", ACCT2), 0);
	assert_int_eq(store_setting_get(st, "admin_account", &v), 0);
	assert_str_eq(v, ACCT2);
	free(v);
	assert_int_eq(store_setting_put(st, "", "x"), PCA_ERR_INVALID);
	store_close(st);
}

static void
test_account_list(void)
{
	struct store *st = open_db("account_list");
	struct store_account *a = NULL;
	size_t n = 0;

	assert_int_eq(store_account_list(st, NULL, 10, &a, &n), 0);
	assert_int_eq(n, 0);
	assert_ptr_null(a);
	put_account(st, ACCT3);
	put_account(st, ACCT1);
	put_account(st, ACCT2);
	assert_int_eq(store_account_list(st, NULL, 2, &a, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(a[0].id, ACCT1);
	assert_str_eq(a[1].id, ACCT2);
	assert_str_eq(a[1].name, "test account");
	store_account_list_free(a, n);
	assert_int_eq(store_account_list(st, ACCT2, 2, &a, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(a[0].id, ACCT3);
	store_account_list_free(a, n);
	assert_int_eq(store_account_list(st, ACCT3, 2, &a, &n), 0);
	assert_int_eq(n, 0);
	store_account_list_free(a, n);
	store_close(st);
}

/* ---- organizations ---------------------------------------------------------- */

static void
test_org(void)
{
	struct store *st = open_db("org");
	struct store_org o, got;
	struct store_membership m;
	struct store_ou root;

	put_account(st, ACCT1);
	put_account(st, ACCT2);
	put_account(st, ACCT3);
	org_fixture(&o, ORG1, "999999999999", ROOT1);
	assert_int_eq(store_org_create(st, &o), PCA_ERR_NOT_FOUND);	/* no account */
	assert_int_eq(store_org_get(st, ORG1, &got), PCA_ERR_NOT_FOUND);

	/* an email set before the organization exists is kept */
	assert_int_eq(put_member(st, ACCT1, "", "", "one@example.com"), 0);
	org_fixture(&o, ORG1, ACCT1, ROOT1);
	assert_int_eq(store_org_create(st, &o), 0);
	assert_int_eq(store_org_get(st, ORG1, &got), 0);
	assert_str_eq(got.id, ORG1);
	assert_str_eq(got.management_account, ACCT1);
	assert_str_eq(got.root_id, ROOT1);
	assert_str_eq(got.feature_set, "ALL");
	assert_int_eq(got.created_at, 500);
	store_org_clear(&got);
	assert_ptr_null(got.feature_set);

	assert_int_eq(store_ou_get(st, ROOT1, &root), 0);
	assert_str_eq(root.org_id, ORG1);
	assert_str_eq(root.parent_id, "");
	assert_str_eq(root.name, "Root");
	store_ou_clear(&root);

	assert_int_eq(store_org_of_account(st, ACCT1, &got, &m), 0);
	assert_str_eq(got.id, ORG1);
	assert_str_eq(m.account_id, ACCT1);
	assert_str_eq(m.org_id, ORG1);
	assert_str_eq(m.parent_id, ROOT1);
	assert_str_eq(m.email, "one@example.com");
	assert_str_eq(m.joined_method, "CREATED");
	assert_int_eq(m.joined_at, 500);
	store_org_clear(&got);
	store_membership_clear(&m);
	assert_int_eq(store_org_of_account(st, ACCT1, &got, NULL), 0);
	store_org_clear(&got);
	assert_int_eq(store_org_of_account(st, ACCT2, &got, &m), PCA_ERR_NOT_FOUND);

	/* one organization per account; ids and roots unique */
	org_fixture(&o, ORG2, ACCT1, ROOT2);
	assert_int_eq(store_org_create(st, &o), PCA_ERR_EXISTS);
	org_fixture(&o, ORG1, ACCT2, ROOT2);
	assert_int_eq(store_org_create(st, &o), PCA_ERR_EXISTS);
	org_fixture(&o, ORG2, ACCT2, ROOT1);
	assert_int_eq(store_org_create(st, &o), PCA_ERR_EXISTS);
	assert_int_eq(store_org_of_account(st, ACCT2, &got, &m), PCA_ERR_NOT_FOUND);
	org_fixture(&o, ORG2, ACCT2, ROOT2);
	o.id[0] = '\0';
	assert_int_eq(store_org_create(st, &o), PCA_ERR_INVALID);

	/* delete: not while another account is a member */
	assert_int_eq(create_ou(st, "ou-aaaa-11111111", ORG1, ROOT1, "Eng"), 0);
	assert_int_eq(put_member(st, ACCT3, ORG1, "ou-aaaa-11111111", "three@example.com"), 0);
	assert_int_eq(store_org_delete(st, ORG1), PCA_ERR_STATE);
	assert_int_eq(put_member(st, ACCT3, "", "", "three@example.com"), 0);
	assert_int_eq(store_org_delete(st, ORG1), 0);
	assert_int_eq(store_org_get(st, ORG1, &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_ou_get(st, ROOT1, &root), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_ou_get(st, "ou-aaaa-11111111", &root), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_org_of_account(st, ACCT1, &got, &m), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_membership_get(st, ACCT1, &m), 0);	/* the row stays */
	assert_str_eq(m.org_id, "");
	assert_str_eq(m.parent_id, "");
	assert_str_eq(m.email, "one@example.com");
	store_membership_clear(&m);
	assert_int_eq(store_org_delete(st, ORG1), PCA_ERR_NOT_FOUND);
	/* and the account may found another */
	org_fixture(&o, ORG2, ACCT1, ROOT2);
	assert_int_eq(store_org_create(st, &o), 0);
	store_close(st);
}

static void
test_ou(void)
{
	struct store *st = open_db("ou");
	struct store_org o;
	struct store_ou ou, *list = NULL;
	size_t n = 0;

	put_account(st, ACCT1);
	put_account(st, ACCT2);
	put_account(st, ACCT3);
	org_fixture(&o, ORG1, ACCT1, ROOT1);
	assert_int_eq(store_org_create(st, &o), 0);
	org_fixture(&o, ORG2, ACCT2, ROOT2);
	assert_int_eq(store_org_create(st, &o), 0);

	assert_int_eq(create_ou(st, "ou-a", ORG1, ROOT1, "A"), 0);
	assert_int_eq(create_ou(st, "ou-c", ORG1, ROOT1, "C"), 0);
	assert_int_eq(create_ou(st, "ou-b", ORG1, ROOT1, "B"), 0);
	assert_int_eq(create_ou(st, "ou-a1", ORG1, "ou-a", "A1"), 0);
	assert_int_eq(create_ou(st, "ou-a", ORG1, ROOT1, "Z"), PCA_ERR_EXISTS);	/* id */
	assert_int_eq(create_ou(st, "ou-d", ORG1, ROOT1, "A"), PCA_ERR_EXISTS);	/* name */
	assert_int_eq(create_ou(st, "ou-d", ORG1, "ou-a", "A"), 0);	/* elsewhere: fine */
	assert_int_eq(create_ou(st, "ou-e", ORG1, "ou-nope", "E"), PCA_ERR_NOT_FOUND);
	assert_int_eq(create_ou(st, "ou-e", ORG1, ROOT2, "E"), PCA_ERR_INVALID);
	assert_int_eq(create_ou(st, "ou-e", ORG1, "", "E"), PCA_ERR_INVALID);
	assert_int_eq(create_ou(st, "ou-e", ORG1, ROOT1, ""), PCA_ERR_INVALID);

	assert_int_eq(store_ou_get(st, "ou-a1", &ou), 0);
	assert_str_eq(ou.id, "ou-a1");
	assert_str_eq(ou.org_id, ORG1);
	assert_str_eq(ou.parent_id, "ou-a");
	assert_str_eq(ou.name, "A1");
	assert_int_eq(ou.created_at, 600);
	store_ou_clear(&ou);
	assert_int_eq(store_ou_get(st, "ou-nope", &ou), PCA_ERR_NOT_FOUND);

	assert_int_eq(store_ou_rename(st, "ou-b", "Bee"), 0);
	assert_int_eq(store_ou_get(st, "ou-b", &ou), 0);
	assert_str_eq(ou.name, "Bee");
	store_ou_clear(&ou);
	assert_int_eq(store_ou_rename(st, "ou-b", "C"), PCA_ERR_EXISTS);
	assert_int_eq(store_ou_rename(st, "ou-nope", "X"), PCA_ERR_NOT_FOUND);

	/* children of the root, two at a time */
	assert_int_eq(store_ou_list_children(st, ROOT1, NULL, 2, &list, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(list[0].id, "ou-a");
	assert_str_eq(list[1].id, "ou-b");
	assert_str_eq(list[1].parent_id, ROOT1);
	store_ou_list_free(list, n);
	assert_int_eq(store_ou_list_children(st, ROOT1, "ou-b", 2, &list, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(list[0].id, "ou-c");
	store_ou_list_free(list, n);
	assert_int_eq(store_ou_list_children(st, "ou-c", NULL, 2, &list, &n), 0);
	assert_int_eq(n, 0);
	assert_int_eq(store_ou_list_children(st, "ou-nope", NULL, 2, &list, &n),
	    PCA_ERR_NOT_FOUND);

	/* delete: not with children, OUs or accounts; never a root */
	assert_int_eq(store_ou_delete(st, "ou-a"), PCA_ERR_STATE);
	assert_int_eq(put_member(st, ACCT3, ORG1, "ou-c", NULL), 0);
	assert_int_eq(store_ou_delete(st, "ou-c"), PCA_ERR_STATE);
	assert_int_eq(put_member(st, ACCT3, ORG1, ROOT1, NULL), 0);
	assert_int_eq(store_ou_delete(st, "ou-c"), 0);
	assert_int_eq(store_ou_delete(st, "ou-c"), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_ou_delete(st, ROOT1), PCA_ERR_INVALID);
	assert_int_eq(store_ou_delete(st, "ou-a1"), 0);
	assert_int_eq(store_ou_delete(st, "ou-d"), 0);
	assert_int_eq(store_ou_delete(st, "ou-a"), 0);
	store_close(st);
}

static void
test_membership(void)
{
	struct store *st = open_db("membership");
	struct store_org o;
	struct store_membership m, *list = NULL;
	size_t n = 0;

	put_account(st, ACCT1);
	put_account(st, ACCT2);
	put_account(st, ACCT3);
	org_fixture(&o, ORG1, ACCT1, ROOT1);
	assert_int_eq(store_org_create(st, &o), 0);
	assert_int_eq(create_ou(st, "ou-x", ORG1, ROOT1, "X"), 0);

	assert_int_eq(store_membership_get(st, ACCT2, &m), PCA_ERR_NOT_FOUND);
	assert_int_eq(put_member(st, ACCT2, ORG1, "ou-x", "two@example.com"), 0);
	assert_int_eq(store_membership_get(st, ACCT2, &m), 0);
	assert_str_eq(m.account_id, ACCT2);
	assert_str_eq(m.org_id, ORG1);
	assert_str_eq(m.parent_id, "ou-x");
	assert_str_eq(m.email, "two@example.com");
	assert_str_eq(m.joined_method, "INVITED");
	assert_int_eq(m.joined_at, 700);
	store_membership_clear(&m);
	assert_ptr_null(m.email);
	assert_int_eq(put_member(st, ACCT3, ORG1, ROOT1, NULL), 0);

	/* errors: unknown account, parent, parent of another organization,
	 * an org without a parent */
	assert_int_eq(put_member(st, "999999999999", ORG1, ROOT1, NULL), PCA_ERR_NOT_FOUND);
	assert_int_eq(put_member(st, ACCT2, ORG1, "ou-nope", NULL), PCA_ERR_NOT_FOUND);
	assert_int_eq(put_member(st, ACCT2, ORG1, "", NULL), PCA_ERR_INVALID);
	assert_int_eq(put_member(st, ACCT2, "o-nope", ROOT1, NULL), PCA_ERR_INVALID);
	/* the management account stays */
	assert_int_eq(put_member(st, ACCT1, "", "", NULL), PCA_ERR_STATE);
	assert_int_eq(put_member(st, ACCT1, ORG1, "ou-x", NULL), 0);	/* moves */

	/* by organization, paged; by parent */
	assert_int_eq(store_membership_list(st, ORG1, NULL, NULL, 2, &list, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(list[0].account_id, ACCT1);
	assert_str_eq(list[1].account_id, ACCT2);
	store_membership_list_free(list, n);
	assert_int_eq(store_membership_list(st, ORG1, NULL, ACCT2, 2, &list, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(list[0].account_id, ACCT3);
	store_membership_list_free(list, n);
	assert_int_eq(store_membership_list(st, ORG1, "ou-x", NULL, 10, &list, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(list[0].account_id, ACCT1);
	assert_str_eq(list[1].account_id, ACCT2);
	store_membership_list_free(list, n);
	assert_int_eq(store_membership_list(st, ORG1, ROOT1, NULL, 10, &list, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(list[0].account_id, ACCT3);
	store_membership_list_free(list, n);
	assert_int_eq(store_membership_list(st, "o-nope", NULL, NULL, 10, &list, &n),
	    PCA_ERR_NOT_FOUND);

	/* leaving */
	assert_int_eq(put_member(st, ACCT2, "", "", "two@example.com"), 0);
	assert_int_eq(store_membership_get(st, ACCT2, &m), 0);
	assert_str_eq(m.org_id, "");
	assert_str_eq(m.parent_id, "");
	store_membership_clear(&m);
	assert_int_eq(store_membership_list(st, ORG1, "ou-x", NULL, 10, &list, &n), 0);
	assert_int_eq(n, 1);
	store_membership_list_free(list, n);
	store_close(st);
}

static void
test_handshakes(void)
{
	struct store *st = open_db("handshakes");
	struct store_org o;
	struct store_handshake h, got, *list = NULL;
	size_t n = 0;

	put_account(st, ACCT1);
	put_account(st, ACCT2);
	org_fixture(&o, ORG1, ACCT1, ROOT1);
	assert_int_eq(store_org_create(st, &o), 0);

	memset(&h, 0, sizeof(h));
	snprintf(h.id, sizeof(h.id), "h-0000000002");
	snprintf(h.org_id, sizeof(h.org_id), ORG2);
	snprintf(h.target_account, sizeof(h.target_account), ACCT2);
	h.action = "INVITE";
	h.state = "OPEN";
	h.notes = "welcome";
	h.requested_at = 10;
	h.expires_at = 20;
	assert_int_eq(store_handshake_put(st, &h), PCA_ERR_NOT_FOUND);	/* no such org */
	snprintf(h.org_id, sizeof(h.org_id), ORG1);
	assert_int_eq(store_handshake_put(st, &h), 0);
	snprintf(h.id, sizeof(h.id), "h-0000000001");
	snprintf(h.target_account, sizeof(h.target_account), ACCT3);
	h.notes = NULL;
	assert_int_eq(store_handshake_put(st, &h), 0);

	assert_int_eq(store_handshake_get(st, "h-0000000002", &got), 0);
	assert_str_eq(got.org_id, ORG1);
	assert_str_eq(got.target_account, ACCT2);
	assert_str_eq(got.action, "INVITE");
	assert_str_eq(got.state, "OPEN");
	assert_str_eq(got.notes, "welcome");
	assert_int_eq(got.requested_at, 10);
	assert_int_eq(got.expires_at, 20);
	store_handshake_clear(&got);
	assert_int_eq(store_handshake_get(st, "h-nope", &got), PCA_ERR_NOT_FOUND);

	/* update the state; the identity cannot move */
	snprintf(h.id, sizeof(h.id), "h-0000000002");
	snprintf(h.target_account, sizeof(h.target_account), ACCT2);
	h.state = "ACCEPTED";
	assert_int_eq(store_handshake_put(st, &h), 0);
	assert_int_eq(store_handshake_get(st, "h-0000000002", &got), 0);
	assert_str_eq(got.state, "ACCEPTED");
	assert_ptr_null(got.notes);
	store_handshake_clear(&got);
	snprintf(h.target_account, sizeof(h.target_account), ACCT3);
	assert_int_eq(store_handshake_put(st, &h), PCA_ERR_EXISTS);

	assert_int_eq(store_handshake_list(st, ORG1, NULL, &list, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(list[0].id, "h-0000000001");
	assert_str_eq(list[1].id, "h-0000000002");
	store_handshake_list_free(list, n);
	assert_int_eq(store_handshake_list(st, NULL, ACCT2, &list, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(list[0].id, "h-0000000002");
	store_handshake_list_free(list, n);
	assert_int_eq(store_handshake_list(st, ORG1, ACCT3, &list, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(list[0].id, "h-0000000001");
	store_handshake_list_free(list, n);
	assert_int_eq(store_handshake_list(st, NULL, "999999999999", &list, &n), 0);
	assert_int_eq(n, 0);
	/* they go with their organization */
	assert_int_eq(store_org_delete(st, ORG1), 0);
	assert_int_eq(store_handshake_get(st, "h-0000000002", &got), PCA_ERR_NOT_FOUND);
	store_close(st);
}

/* ---- IAM users, keys, roles, policies ------------------------------------------------ */

static void
test_iam_users(void)
{
	struct store *st = open_db("iam_users");
	struct store_iam_user u, got, *list = NULL;
	struct store_user old;
	size_t n = 0;

	assert_int_eq(create_user(st, ACCT1, "alice", "AIDAALICE"), PCA_ERR_NOT_FOUND);
	put_account(st, ACCT1);
	put_account(st, ACCT2);
	assert_int_eq(create_user(st, ACCT1, "alice", "AIDAALICE"), 0);
	assert_int_eq(store_iam_user_get(st, ACCT1, "alice", &got), 0);
	assert_str_eq(got.account_id, ACCT1);
	assert_str_eq(got.name, "alice");
	assert_str_eq(got.path, "/");
	assert_str_eq(got.arn, "arn:aws:iam::" ACCT1 ":user/alice");
	assert_str_eq(got.user_id, "AIDAALICE");
	assert_int_eq(got.created_at, 77);
	store_iam_user_clear(&got);
	assert_ptr_null(got.name);

	/* the same row through store.h */
	assert_int_eq(store_user_get(st, ACCT1, "alice", &old), 0);
	assert_str_eq(old.arn, "arn:aws:iam::" ACCT1 ":user/alice");
	store_user_clear(&old);

	/* duplicates: name (any case), user id; not across accounts */
	assert_int_eq(create_user(st, ACCT1, "alice", "AIDAOTHER"), PCA_ERR_EXISTS);
	assert_int_eq(create_user(st, ACCT1, "ALICE", "AIDAOTHER"), PCA_ERR_EXISTS);
	assert_int_eq(create_user(st, ACCT1, "bob", "AIDAALICE"), PCA_ERR_EXISTS);
	assert_int_eq(create_user(st, ACCT2, "alice", "AIDAALICE2"), 0);
	assert_int_eq(create_user(st, ACCT1, "", "AIDAE"), PCA_ERR_INVALID);
	assert_int_eq(create_user(st, ACCT1, "nouid", NULL), PCA_ERR_INVALID);

	/* a path */
	memset(&u, 0, sizeof(u));
	memcpy(u.account_id, ACCT1, sizeof(u.account_id));
	u.name = "carol";
	u.path = "/eng/";
	u.arn = "arn:aws:iam::" ACCT1 ":user/eng/carol";
	u.user_id = "AIDACAROL";
	assert_int_eq(store_iam_user_create(st, &u), 0);
	assert_int_eq(store_iam_user_get(st, ACCT1, "carol", &got), 0);
	assert_str_eq(got.path, "/eng/");
	store_iam_user_clear(&got);
	assert_int_eq(create_user(st, ACCT1, "bob", "AIDABOB"), 0);
	assert_int_eq(store_iam_user_get(st, ACCT1, "dave", &got), PCA_ERR_NOT_FOUND);

	/* list by name, paged */
	assert_int_eq(store_iam_user_list(st, ACCT1, NULL, 2, &list, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(list[0].name, "alice");
	assert_str_eq(list[1].name, "bob");
	store_iam_user_list_free(list, n);
	assert_int_eq(store_iam_user_list(st, ACCT1, "bob", 2, &list, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(list[0].name, "carol");
	assert_str_eq(list[0].user_id, "AIDACAROL");
	store_iam_user_list_free(list, n);
	assert_int_eq(store_iam_user_list(st, ACCT1, "carol", 2, &list, &n), 0);
	assert_int_eq(n, 0);
	assert_int_eq(store_iam_user_list(st, "999999999999", NULL, 2, &list, &n),
	    PCA_ERR_NOT_FOUND);

	/* delete: not while it has keys, inline policies or attachments */
	assert_int_eq(put_key(st, "AKIABOBBOBBOBBOBBOB1", ACCT1, "bob"), 0);
	assert_int_eq(store_iam_user_delete(st, ACCT1, "bob"), PCA_ERR_STATE);
	assert_int_eq(store_access_key_delete(st, "AKIABOBBOBBOBBOBBOB1"), 0);
	assert_int_eq(store_inline_policy_put(st, ACCT1, STORE_PRINCIPAL_USER, "bob", "p",
	    "{}"), 0);
	assert_int_eq(store_iam_user_delete(st, ACCT1, "bob"), PCA_ERR_STATE);
	assert_int_eq(store_inline_policy_delete(st, ACCT1, STORE_PRINCIPAL_USER, "bob", "p"), 0);
	assert_int_eq(store_attachment_add(st, ACCT1, STORE_PRINCIPAL_USER, "bob",
	    "arn:aws:iam::aws:policy/AWSPrivateCAFullAccess"), 0);
	assert_int_eq(store_iam_user_delete(st, ACCT1, "bob"), PCA_ERR_STATE);
	assert_int_eq(store_attachment_remove(st, ACCT1, STORE_PRINCIPAL_USER, "bob",
	    "arn:aws:iam::aws:policy/AWSPrivateCAFullAccess"), 0);
	assert_int_eq(store_iam_user_delete(st, ACCT1, "bob"), 0);
	assert_int_eq(store_iam_user_get(st, ACCT1, "bob", &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_iam_user_delete(st, ACCT1, "bob"), PCA_ERR_NOT_FOUND);
	/* a role's policies do not hold a user of the same name */
	assert_int_eq(create_role(st, ACCT1, "carol", "AROACAROL"), 0);
	assert_int_eq(store_inline_policy_put(st, ACCT1, STORE_PRINCIPAL_ROLE, "carol", "p",
	    "{}"), 0);
	assert_int_eq(store_iam_user_delete(st, ACCT1, "carol"), 0);
	store_close(st);
}

static void
test_access_keys(void)
{
	struct store *st = open_db("iam_keys");
	struct store_access_key *list = NULL, k;
	size_t n = 0;
	uint64_t g, ga;

	put_account(st, ACCT1);
	assert_int_eq(create_user(st, ACCT1, "alice", "AIDAALICE"), 0);
	assert_int_eq(put_key(st, "AKIAROOT000000000002", ACCT1, NULL), 0);
	assert_int_eq(put_key(st, "AKIAROOT000000000001", ACCT1, NULL), 0);
	assert_int_eq(put_key(st, "AKIAALICE00000000001", ACCT1, "alice"), 0);

	assert_int_eq(store_access_key_list(st, ACCT1, NULL, &list, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(list[0].id, "AKIAROOT000000000001");
	assert_str_eq(list[1].id, "AKIAROOT000000000002");
	assert_ptr_null(list[0].secret);		/* never in a listing */
	assert_ptr_null(list[0].user_name);
	assert_int_eq(list[0].active, 1);
	assert_int_eq(list[0].created_at, 5);
	store_access_key_list_free(list, n);
	assert_int_eq(store_access_key_list(st, ACCT1, "alice", &list, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(list[0].id, "AKIAALICE00000000001");
	assert_str_eq(list[0].user_name, "alice");
	assert_str_eq(list[0].account_id, ACCT1);
	store_access_key_list_free(list, n);
	assert_int_eq(store_access_key_list(st, ACCT1, "nobody", &list, &n), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_access_key_list(st, ACCT2, NULL, &list, &n), PCA_ERR_NOT_FOUND);
	put_account(st, ACCT2);
	assert_int_eq(store_access_key_list(st, ACCT2, NULL, &list, &n), 0);
	assert_int_eq(n, 0);

	/* set_active and delete move both generations, failed or not */
	g = store_credentials_generation(st);
	ga = store_authz_generation(st);
	assert_int_eq(store_access_key_set_active(st, "AKIAALICE00000000001", 0), 0);
	assert_true(store_credentials_generation(st) > g);
	assert_true(store_authz_generation(st) > ga);
	assert_int_eq(store_access_key_get(st, "AKIAALICE00000000001", &k), 0);
	assert_int_eq(k.active, 0);
	store_access_key_clear(&k);
	g = store_credentials_generation(st);
	assert_int_eq(store_access_key_set_active(st, "AKIANOPE", 1), PCA_ERR_NOT_FOUND);
	assert_true(store_credentials_generation(st) > g);
	g = store_credentials_generation(st);
	assert_int_eq(store_access_key_delete(st, "AKIAALICE00000000001"), 0);
	assert_true(store_credentials_generation(st) > g);
	assert_int_eq(store_access_key_get(st, "AKIAALICE00000000001", &k), PCA_ERR_NOT_FOUND);
	g = store_credentials_generation(st);
	assert_int_eq(store_access_key_delete(st, "AKIAALICE00000000001"), PCA_ERR_NOT_FOUND);
	assert_true(store_credentials_generation(st) > g);
	store_close(st);
}

static void
test_roles(void)
{
	struct store *st = open_db("roles");
	struct store_iam_role ro, got, *list = NULL;
	struct store_session s, sg;
	size_t n = 0;

	assert_int_eq(create_role(st, ACCT1, "admin", "AROAADMIN"), PCA_ERR_NOT_FOUND);
	put_account(st, ACCT1);
	assert_int_eq(create_role(st, ACCT1, "admin", "AROAADMIN"), 0);
	assert_int_eq(create_role(st, ACCT1, "Admin", "AROAADMIN2"), PCA_ERR_EXISTS);
	assert_int_eq(create_role(st, ACCT1, "other", "AROAADMIN"), PCA_ERR_EXISTS);
	assert_int_eq(create_role(st, ACCT1, "other", "AROAOTHER"), 0);

	memset(&ro, 0, sizeof(ro));
	memcpy(ro.account_id, ACCT1, sizeof(ro.account_id));
	ro.name = "AWSServiceRoleForACM";
	ro.path = "/aws-service-role/acm.amazonaws.com/";
	ro.arn = "arn:aws:iam::" ACCT1 ":role/aws-service-role/acm.amazonaws.com/"
	    "AWSServiceRoleForACM";
	ro.role_id = "AROASLR";
	ro.trust_policy = "{\"trust\":1}";
	ro.description = "linked";
	ro.service = "acm.amazonaws.com";
	ro.max_session_duration = 7200;
	ro.created_at = 9;
	assert_int_eq(store_iam_role_create(st, &ro), 0);
	assert_int_eq(store_iam_role_get(st, ACCT1, "AWSServiceRoleForACM", &got), 0);
	assert_str_eq(got.account_id, ACCT1);
	assert_str_eq(got.path, "/aws-service-role/acm.amazonaws.com/");
	assert_str_eq(got.arn, ro.arn);
	assert_str_eq(got.role_id, "AROASLR");
	assert_str_eq(got.trust_policy, "{\"trust\":1}");
	assert_str_eq(got.description, "linked");
	assert_str_eq(got.service, "acm.amazonaws.com");
	assert_int_eq(got.max_session_duration, 7200);
	assert_int_eq(got.created_at, 9);
	store_iam_role_clear(&got);
	assert_int_eq(store_iam_role_get(st, ACCT1, "admin", &got), 0);
	assert_str_eq(got.path, "/");
	assert_ptr_null(got.description);
	assert_ptr_null(got.service);
	store_iam_role_clear(&got);
	assert_int_eq(store_iam_role_get(st, ACCT1, "nope", &got), PCA_ERR_NOT_FOUND);
	ro.trust_policy = NULL;
	assert_int_eq(store_iam_role_create(st, &ro), PCA_ERR_INVALID);

	assert_int_eq(store_iam_role_set_trust(st, ACCT1, "admin", "{\"new\":2}"), 0);
	assert_int_eq(store_iam_role_get(st, ACCT1, "admin", &got), 0);
	assert_str_eq(got.trust_policy, "{\"new\":2}");
	store_iam_role_clear(&got);
	assert_int_eq(store_iam_role_set_trust(st, ACCT1, "nope", "{}"), PCA_ERR_NOT_FOUND);

	/* by name (binary order: upper case first), paged */
	assert_int_eq(store_iam_role_list(st, ACCT1, NULL, 2, &list, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(list[0].name, "AWSServiceRoleForACM");
	assert_str_eq(list[1].name, "admin");
	store_iam_role_list_free(list, n);
	assert_int_eq(store_iam_role_list(st, ACCT1, "admin", 2, &list, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(list[0].name, "other");
	store_iam_role_list_free(list, n);
	assert_int_eq(store_iam_role_list(st, ACCT2, NULL, 2, &list, &n), PCA_ERR_NOT_FOUND);

	/* delete: not with policies; its sessions go with it */
	assert_int_eq(store_attachment_add(st, ACCT1, STORE_PRINCIPAL_ROLE, "admin",
	    "arn:aws:iam::aws:policy/X"), 0);
	assert_int_eq(store_iam_role_delete(st, ACCT1, "admin"), PCA_ERR_STATE);
	assert_int_eq(store_attachment_remove(st, ACCT1, STORE_PRINCIPAL_ROLE, "admin",
	    "arn:aws:iam::aws:policy/X"), 0);
	assert_int_eq(store_inline_policy_put(st, ACCT1, STORE_PRINCIPAL_ROLE, "admin", "p",
	    "{}"), 0);
	assert_int_eq(store_iam_role_delete(st, ACCT1, "admin"), PCA_ERR_STATE);
	assert_int_eq(store_inline_policy_delete(st, ACCT1, STORE_PRINCIPAL_ROLE, "admin",
	    "p"), 0);
	memset(&s, 0, sizeof(s));
	s.access_key_id = "ASIAADMIN00000000001";
	s.secret = "sessionsecret";
	s.token = "sessiontoken";
	memcpy(s.account_id, ACCT1, sizeof(s.account_id));
	s.role_name = "admin";
	s.session_name = "s1";
	s.source_arn = "arn:aws:iam::" ACCT1 ":user/alice";
	s.expires_at = 5000;
	assert_int_eq(store_session_put(st, &s), 0);
	assert_int_eq(store_iam_role_delete(st, ACCT1, "admin"), 0);
	assert_int_eq(store_session_get(st, "ASIAADMIN00000000001", &sg), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_iam_role_get(st, ACCT1, "admin", &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_iam_role_delete(st, ACCT1, "admin"), PCA_ERR_NOT_FOUND);
	store_close(st);
}

static void
test_inline_policies(void)
{
	struct store *st = open_db("inline");
	struct store_inline_policy *list = NULL;
	char *doc = NULL;
	size_t n = 0;
	const int U = STORE_PRINCIPAL_USER, R = STORE_PRINCIPAL_ROLE;

	put_account(st, ACCT1);
	assert_int_eq(store_inline_policy_put(st, ACCT1, U, "alice", "p1", "{}"),
	    PCA_ERR_NOT_FOUND);
	assert_int_eq(create_user(st, ACCT1, "alice", "AIDAALICE"), 0);
	assert_int_eq(create_role(st, ACCT1, "alice", "AROAALICE"), 0);
	assert_int_eq(store_inline_policy_put(st, ACCT1, U, "alice", "p2", "{\"v\":2}"), 0);
	assert_int_eq(store_inline_policy_put(st, ACCT1, U, "alice", "p1", "{\"v\":1}"), 0);
	assert_int_eq(store_inline_policy_put(st, ACCT1, R, "alice", "r1", "{\"r\":1}"), 0);
	assert_int_eq(store_inline_policy_put(st, ACCT1, 3, "alice", "x", "{}"),
	    PCA_ERR_INVALID);
	assert_int_eq(store_inline_policy_put(st, ACCT1, U, "alice", "", "{}"),
	    PCA_ERR_INVALID);

	assert_int_eq(store_inline_policy_get(st, ACCT1, U, "alice", "p1", &doc), 0);
	assert_str_eq(doc, "{\"v\":1}");
	free(doc);
	/* replace */
	assert_int_eq(store_inline_policy_put(st, ACCT1, U, "alice", "p1", "{\"v\":11}"), 0);
	assert_int_eq(store_inline_policy_get(st, ACCT1, U, "alice", "p1", &doc), 0);
	assert_str_eq(doc, "{\"v\":11}");
	free(doc);
	/* kinds are apart */
	assert_int_eq(store_inline_policy_get(st, ACCT1, R, "alice", "p1", &doc),
	    PCA_ERR_NOT_FOUND);
	assert_ptr_null(doc);
	assert_int_eq(store_inline_policy_get(st, ACCT1, 0, "alice", "p1", &doc),
	    PCA_ERR_INVALID);

	assert_int_eq(store_inline_policy_list(st, ACCT1, U, "alice", &list, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(list[0].name, "p1");
	assert_str_eq(list[0].document, "{\"v\":11}");
	assert_str_eq(list[1].name, "p2");
	store_inline_policy_list_free(list, n);
	assert_int_eq(store_inline_policy_list(st, ACCT1, R, "alice", &list, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(list[0].name, "r1");
	store_inline_policy_list_free(list, n);
	assert_int_eq(store_inline_policy_list(st, ACCT1, U, "nobody", &list, &n),
	    PCA_ERR_NOT_FOUND);

	assert_int_eq(store_inline_policy_delete(st, ACCT1, U, "alice", "p1"), 0);
	assert_int_eq(store_inline_policy_delete(st, ACCT1, U, "alice", "p1"),
	    PCA_ERR_NOT_FOUND);
	assert_int_eq(store_inline_policy_delete(st, ACCT1, U, "alice", "p2"), 0);
	assert_int_eq(store_inline_policy_list(st, ACCT1, U, "alice", &list, &n), 0);
	assert_int_eq(n, 0);
	store_close(st);
}

static void
test_attachments(void)
{
	struct store *st = open_db("attach");
	char **arns = NULL;
	size_t n = 0;
	const int U = STORE_PRINCIPAL_USER, R = STORE_PRINCIPAL_ROLE;
	const char *a1 = "arn:aws:iam::aws:policy/AWSPrivateCAFullAccess";
	const char *a2 = "arn:aws:iam::aws:policy/AWSPrivateCAReadOnly";

	put_account(st, ACCT1);
	assert_int_eq(store_attachment_add(st, ACCT1, U, "alice", a1), PCA_ERR_NOT_FOUND);
	assert_int_eq(create_user(st, ACCT1, "alice", "AIDAALICE"), 0);
	assert_int_eq(store_attachment_add(st, ACCT1, U, "alice", a2), 0);
	assert_int_eq(store_attachment_add(st, ACCT1, U, "alice", a1), 0);
	assert_int_eq(store_attachment_add(st, ACCT1, U, "alice", a1), PCA_ERR_EXISTS);
	assert_int_eq(store_attachment_add(st, ACCT1, R, "alice", a1), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_attachment_add(st, ACCT1, 9, "alice", a1), PCA_ERR_INVALID);

	assert_int_eq(store_attachment_list(st, ACCT1, U, "alice", &arns, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(arns[0], a1);
	assert_str_eq(arns[1], a2);
	store_string_list_free(arns, n);
	assert_int_eq(store_attachment_list(st, ACCT1, R, "alice", &arns, &n),
	    PCA_ERR_NOT_FOUND);
	assert_int_eq(store_attachment_remove(st, ACCT1, U, "alice", a1), 0);
	assert_int_eq(store_attachment_remove(st, ACCT1, U, "alice", a1), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_attachment_list(st, ACCT1, U, "alice", &arns, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(arns[0], a2);
	store_string_list_free(arns, n);
	store_close(st);
}

static void
session_fixture(struct store_session *s, const char *id, const char *role, int64_t exp)
{
	memset(s, 0, sizeof(*s));
	s->access_key_id = (char *)id;
	s->secret = "sessionsecret";
	s->token = "FwoGZXIvYXdzEJr//////////token";
	memcpy(s->account_id, ACCT1, sizeof(s->account_id));
	s->role_name = (char *)role;
	s->session_name = "build-42";
	s->source_arn = "arn:aws:iam::" ACCT1 ":user/alice";
	s->expires_at = exp;
}

static void
test_sessions(void)
{
	struct store *st = open_db("sessions");
	struct store_session s, got;
	uint64_t g, ga;

	put_account(st, ACCT1);
	session_fixture(&s, "ASIA0000000000000001", "deploy", 1000);
	assert_int_eq(store_session_put(st, &s), PCA_ERR_NOT_FOUND);	/* no role */
	assert_int_eq(create_role(st, ACCT1, "deploy", "AROADEPLOY"), 0);
	g = store_credentials_generation(st);
	ga = store_authz_generation(st);
	assert_int_eq(store_session_put(st, &s), 0);
	assert_true(store_credentials_generation(st) > g);
	assert_true(store_authz_generation(st) > ga);
	assert_int_eq(store_session_put(st, &s), PCA_ERR_EXISTS);
	session_fixture(&s, "ASIA0000000000000002", "deploy", 2000);
	assert_int_eq(store_session_put(st, &s), 0);
	s.secret = NULL;
	assert_int_eq(store_session_put(st, &s), PCA_ERR_INVALID);

	assert_int_eq(store_session_get(st, "ASIA0000000000000001", &got), 0);
	assert_str_eq(got.access_key_id, "ASIA0000000000000001");
	assert_str_eq(got.secret, "sessionsecret");
	assert_str_eq(got.token, "FwoGZXIvYXdzEJr//////////token");
	assert_str_eq(got.account_id, ACCT1);
	assert_str_eq(got.role_name, "deploy");
	assert_str_eq(got.session_name, "build-42");
	assert_str_eq(got.source_arn, "arn:aws:iam::" ACCT1 ":user/alice");
	assert_int_eq(got.expires_at, 1000);
	store_session_clear(&got);
	assert_ptr_null(got.secret);
	assert_ptr_null(got.token);
	assert_int_eq(store_session_get(st, "ASIANOPE", &got), PCA_ERR_NOT_FOUND);

	/* expiry: strictly before now; a sweep with nothing to do writes nothing */
	g = store_credentials_generation(st);
	assert_int_eq(store_session_expire(st, 1000), 0);
	assert_int_eq(store_credentials_generation(st), g);
	assert_int_eq(store_session_get(st, "ASIA0000000000000001", &got), 0);
	store_session_clear(&got);
	assert_int_eq(store_session_expire(st, 1001), 0);
	assert_true(store_credentials_generation(st) > g);
	assert_int_eq(store_session_get(st, "ASIA0000000000000001", &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_session_get(st, "ASIA0000000000000002", &got), 0);
	store_session_clear(&got);
	store_session_clear(NULL);
	store_close(st);
}

/* ---- CA permissions and policies --------------------------------------------------- */

static void
perm_fixture(struct store_permission *p, const char *ca_id, const char *principal,
    const char *source, unsigned actions)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->ca_id, sizeof(p->ca_id), "%s", ca_id);
	p->principal = (char *)principal;
	snprintf(p->source_account, sizeof(p->source_account), "%s", source);
	p->actions = actions;
	p->created_at = 31;
}

static void
test_permissions(void)
{
	struct store *st = open_db("permissions");
	struct ca_fixture f;
	struct store_permission p, *list = NULL;
	size_t n = 0;
	const unsigned all = STORE_PERM_ISSUE | STORE_PERM_GET | STORE_PERM_LIST;

	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f);
	perm_fixture(&p, "00000000-0000-4000-8000-000000000099", "acm.amazonaws.com", "", all);
	assert_int_eq(store_permission_create(st, &p), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_permission_list(st, p.ca_id, &list, &n), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_permission_list(st, f.ca.id, &list, &n), 0);
	assert_int_eq(n, 0);

	perm_fixture(&p, f.ca.id, "acm.amazonaws.com", "", all);
	assert_int_eq(store_permission_create(st, &p), 0);
	assert_int_eq(store_permission_create(st, &p), PCA_ERR_EXISTS);
	perm_fixture(&p, f.ca.id, "acm.amazonaws.com", ACCT2, STORE_PERM_ISSUE);
	assert_int_eq(store_permission_create(st, &p), 0);
	p.actions = 0;
	assert_int_eq(store_permission_create(st, &p), PCA_ERR_INVALID);
	p.actions = 0x10;
	assert_int_eq(store_permission_create(st, &p), PCA_ERR_INVALID);

	assert_int_eq(store_permission_list(st, f.ca.id, &list, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(list[0].ca_id, f.ca.id);
	assert_str_eq(list[0].principal, "acm.amazonaws.com");
	assert_str_eq(list[0].source_account, "");
	assert_int_eq(list[0].actions, all);
	assert_int_eq(list[0].created_at, 31);
	assert_str_eq(list[1].source_account, ACCT2);
	assert_int_eq(list[1].actions, STORE_PERM_ISSUE);
	store_permission_list_free(list, n);

	assert_int_eq(store_permission_delete(st, f.ca.id, "acm.amazonaws.com", NULL), 0);
	assert_int_eq(store_permission_delete(st, f.ca.id, "acm.amazonaws.com", ""),
	    PCA_ERR_NOT_FOUND);
	assert_int_eq(store_permission_list(st, f.ca.id, &list, &n), 0);
	assert_int_eq(n, 1);
	store_permission_list_free(list, n);

	/* they go with the CA */
	assert_int_eq(store_ca_purge(st, f.ca.id), 0);
	store_close(st);
	assert_int_eq(raw_int("permissions", "SELECT count(*) FROM ca_permissions"), 0);
}

static void
test_ca_policies(void)
{
	struct store *st = open_db("ca_policies");
	struct ca_fixture f1, f2, f3, f4;
	struct store_ca *cas = NULL;
	char *pol = NULL;
	size_t n = 0;

	put_account(st, ACCT1);
	put_account(st, ACCT2);
	insert_ca(st, ACCT1, 1, &f1);
	insert_ca(st, ACCT2, 2, &f2);
	insert_ca(st, ACCT2, 3, &f3);
	insert_ca(st, ACCT2, 4, &f4);

	assert_int_eq(store_ca_policy_get(st, f1.ca.id, &pol), PCA_ERR_NOT_FOUND);
	assert_ptr_null(pol);
	assert_int_eq(store_ca_policy_put(st, "00000000-0000-4000-8000-000000000099", "{}"),
	    PCA_ERR_NOT_FOUND);
	assert_int_eq(store_ca_policy_put(st, f1.ca.id, "{\"v\":1}"), 0);
	assert_int_eq(store_ca_policy_get(st, f1.ca.id, &pol), 0);
	assert_str_eq(pol, "{\"v\":1}");
	free(pol);
	assert_int_eq(store_ca_policy_put(st, f1.ca.id, "{\"v\":2}"), 0);
	assert_int_eq(store_ca_policy_get(st, f1.ca.id, &pol), 0);
	assert_str_eq(pol, "{\"v\":2}");
	free(pol);
	assert_int_eq(store_ca_policy_delete(st, f1.ca.id), 0);
	assert_int_eq(store_ca_policy_delete(st, f1.ca.id), 0);	/* none: fine */
	assert_int_eq(store_ca_policy_get(st, f1.ca.id, &pol), PCA_ERR_NOT_FOUND);

	/* CAs of other accounts with a policy, in creation order, paged */
	assert_int_eq(store_ca_policy_put(st, f1.ca.id, "{}"), 0);
	assert_int_eq(store_ca_policy_put(st, f4.ca.id, "{}"), 0);
	assert_int_eq(store_ca_policy_put(st, f2.ca.id, "{}"), 0);
	assert_int_eq(store_ca_list_with_policy(st, ACCT1, 10, &cas, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(cas[0].id, f2.ca.id);
	assert_str_eq(cas[1].id, f4.ca.id);
	assert_str_eq(cas[1].arn, f4.ca.arn);
	store_ca_list_free(cas, n);
	assert_int_eq(store_ca_list_with_policy(st, ACCT1, 1, &cas, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(cas[0].id, f2.ca.id);
	store_ca_list_free(cas, n);
	assert_int_eq(store_ca_list_with_policy_after(st, ACCT1, f2.ca.id, 1, &cas, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(cas[0].id, f4.ca.id);
	store_ca_list_free(cas, n);
	assert_int_eq(store_ca_list_with_policy_after(st, ACCT1, f4.ca.id, 1, &cas, &n), 0);
	assert_int_eq(n, 0);
	assert_int_eq(store_ca_list_with_policy_after(st, ACCT1, "no-such-ca", 1, &cas, &n),
	    PCA_ERR_INVALID);
	assert_int_eq(store_ca_list_with_policy(st, ACCT2, 10, &cas, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(cas[0].id, f1.ca.id);
	store_ca_list_free(cas, n);

	/* the policy goes with its CA */
	assert_int_eq(store_ca_purge(st, f4.ca.id), 0);
	assert_int_eq(store_ca_policy_get(st, f4.ca.id, &pol), PCA_ERR_NOT_FOUND);
	store_close(st);
	assert_int_eq(raw_int("ca_policies", "SELECT count(*) FROM ca_policies"), 2);
}

/* ---- generations ----------------------------------------------------------------- */

/* Each kind of write moves store_authz_generation() by the time it returns
 * (failed ones too); reads, handshakes and audit records do not. */
static void
test_authz_generation(void)
{
	struct store *st = open_db("authz_gen");
	struct store_org o;
	struct store_handshake h;
	struct store_permission p;
	struct store_audit a;
	struct store_iam_role ro;
	struct ca_fixture f;
	uint64_t g, c;
	char *v = NULL;
	int rr = 0;			/* results are not the point here */

#define BUMPS(call) do {						\
	g = store_authz_generation(st);					\
	rr = (call);							\
	if (store_authz_generation(st) <= g)				\
		test_fail(__FILE__, __LINE__, "no authz bump: %s", #call); \
} while (0)
#define KEEPS(call) do {						\
	g = store_authz_generation(st);					\
	rr = (call);							\
	if (store_authz_generation(st) != g)				\
		test_fail(__FILE__, __LINE__, "authz bump: %s", #call);	\
} while (0)

	assert_int_eq(store_authz_generation(NULL), 0);
	assert_int_ne(store_authz_generation(st), 0);
	put_account(st, ACCT1);
	put_account(st, ACCT2);
	insert_ca(st, ACCT1, 1, &f);

	BUMPS(store_setting_put(st, "admin_account", ACCT1));
	org_fixture(&o, ORG1, ACCT1, ROOT1);
	BUMPS(store_org_create(st, &o));
	BUMPS(store_org_create(st, &o));			/* failed: still */
	BUMPS(create_ou(st, "ou-1", ORG1, ROOT1, "One"));
	BUMPS(store_ou_rename(st, "ou-1", "Uno"));
	BUMPS(put_member(st, ACCT2, ORG1, "ou-1", NULL));
	BUMPS(put_member(st, ACCT2, ORG1, ROOT1, NULL));
	BUMPS(store_ou_delete(st, "ou-1"));
	BUMPS(create_user(st, ACCT1, "u", "AIDAU"));
	BUMPS(create_role(st, ACCT1, "r", "AROAR"));
	BUMPS(store_iam_role_set_trust(st, ACCT1, "r", "{}"));
	BUMPS(store_inline_policy_put(st, ACCT1, STORE_PRINCIPAL_USER, "u", "p", "{}"));
	BUMPS(store_inline_policy_put(st, ACCT1, STORE_PRINCIPAL_USER, "nobody", "p", "{}"));
	BUMPS(store_inline_policy_delete(st, ACCT1, STORE_PRINCIPAL_USER, "u", "p"));
	BUMPS(store_attachment_add(st, ACCT1, STORE_PRINCIPAL_ROLE, "r", "arn:p"));
	BUMPS(store_attachment_remove(st, ACCT1, STORE_PRINCIPAL_ROLE, "r", "arn:p"));
	perm_fixture(&p, f.ca.id, "acm.amazonaws.com", "", STORE_PERM_ISSUE);
	BUMPS(store_permission_create(st, &p));
	BUMPS(store_permission_delete(st, f.ca.id, "acm.amazonaws.com", NULL));
	BUMPS(store_ca_policy_put(st, f.ca.id, "{}"));
	BUMPS(store_ca_policy_delete(st, f.ca.id));
	BUMPS(store_iam_user_delete(st, ACCT1, "u"));
	BUMPS(store_iam_role_delete(st, ACCT1, "r"));
	BUMPS(put_key(st, "AKIAGEN0000000000001", ACCT1, NULL));	/* store.h writes */
	BUMPS(store_org_delete(st, ORG1));			/* STATE: ACCT2 */

	/* IAM users are credentials: both generations move */
	c = store_credentials_generation(st);
	assert_int_eq(create_user(st, ACCT1, "u2", "AIDAU2"), 0);
	assert_true(store_credentials_generation(st) > c);
	c = store_credentials_generation(st);
	assert_int_eq(store_iam_user_delete(st, ACCT1, "u2"), 0);
	assert_true(store_credentials_generation(st) > c);

	/* role writes move the credentials generation only on delete */
	c = store_credentials_generation(st);
	assert_int_eq(create_role(st, ACCT1, "r2", "AROAR2"), 0);
	assert_int_eq(store_credentials_generation(st), c);
	assert_int_eq(store_iam_role_delete(st, ACCT1, "r2"), 0);
	assert_true(store_credentials_generation(st) > c);

	memset(&h, 0, sizeof(h));
	snprintf(h.id, sizeof(h.id), "h-1");
	snprintf(h.org_id, sizeof(h.org_id), ORG1);
	snprintf(h.target_account, sizeof(h.target_account), ACCT2);
	h.action = "INVITE";
	h.state = "OPEN";
	KEEPS(store_handshake_put(st, &h));
	memset(&a, 0, sizeof(a));
	a.caller = "arn:x";
	a.action = "acm-pca:GetCertificate";
	KEEPS(store_audit_append(st, &a));
	KEEPS(store_setting_get(st, "admin_account", &v));
	free(v);
	KEEPS(store_iam_role_get(st, ACCT1, "r", &ro));
	KEEPS(store_ca_insert(st, &f.ca));			/* store.h, not authz */
	(void)rr;
	store_close(st);
#undef BUMPS
#undef KEEPS
}

/* ---- the audit log ----------------------------------------------------------------- */

static void
audit_fixture(struct store_audit *a, char *buf, size_t size, int i)
{
	memset(a, 0, sizeof(*a));
	snprintf(buf, size, "arn:aws:acm-pca:us-east-1:" ACCT1
	    ":certificate-authority/%d", i);
	a->at_ms = 1700000000000LL + i;
	a->caller = "arn:aws:iam::" ACCT1 ":user/alice";
	a->action = "acm-pca:IssueCertificate";
	a->resource = buf;
	a->allowed = i % 3 != 0;
	a->policy = i % 3 != 0 ? "AWSPrivateCAFullAccess" : "";
	a->sid = i % 3 != 0 ? "Allow1" : "";
	a->reason = i % 3 != 0 ? "allowed" : "implicit deny";
}

static void
append_n(struct store *st, int from, int to)
{
	struct store_audit a;
	char res[128];

	for (int i = from; i <= to; i++) {
		audit_fixture(&a, res, sizeof(res), i);
		assert_int_eq(store_audit_append(st, &a), 0);
	}
}

/* A write submitted after the appends returned: when it returns, they are
 * committed (the writer takes jobs in order). */
static void
audit_barrier(struct store *st)
{
	assert_int_eq(store_setting_put(st, "barrier", "x"), 0);
}

/* The documented hash, computed here independently of the store. */
static void
put_be(EVP_MD_CTX *ctx, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	assert_int_eq(EVP_DigestUpdate(ctx, b, (size_t)bytes), 1);
}

static void
put_text(EVP_MD_CTX *ctx, const char *s)
{
	put_be(ctx, strlen(s), 4);
	assert_int_eq(EVP_DigestUpdate(ctx, s, strlen(s)), 1);
}

static void
expected_hash(const struct store_audit *a, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;

	assert_ptr_not_null(ctx);
	assert_int_eq(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_eq(EVP_DigestUpdate(ctx, a->prev_hash, 32), 1);
	put_be(ctx, (uint64_t)a->seq, 8);
	put_be(ctx, (uint64_t)a->at_ms, 8);
	put_text(ctx, a->caller);
	put_text(ctx, a->action);
	put_text(ctx, a->resource);
	put_be(ctx, (uint64_t)a->allowed, 8);
	put_text(ctx, a->policy);
	put_text(ctx, a->sid);
	put_text(ctx, a->reason);
	assert_int_eq(EVP_DigestFinal_ex(ctx, out, &len), 1);
	assert_int_eq(len, 32);
	EVP_MD_CTX_free(ctx);
}

static void
test_audit_chain(void)
{
	struct store *st = open_db("audit_chain");
	struct store_audit *list = NULL, a;
	uint8_t zero[32], want[32];
	char res[128];
	int64_t count = -1, bad = -1;
	size_t n = 0;

	memset(zero, 0, sizeof(zero));
	assert_int_eq(store_audit_verify(st, &count, &bad), 0);	/* empty */
	assert_int_eq(count, 0);
	assert_int_eq(bad, 0);

	append_n(st, 1, 10);
	/* NULL texts are "" */
	memset(&a, 0, sizeof(a));
	a.at_ms = 5;
	a.allowed = 7;			/* stored as 1 */
	assert_int_eq(store_audit_append(st, &a), 0);
	audit_barrier(st);

	assert_int_eq(store_audit_list(st, 0, 100, &list, &n), 0);
	assert_int_eq(n, 11);
	for (size_t i = 0; i < n; i++) {
		assert_int_eq(list[i].seq, (int64_t)i + 1);
		assert_mem_eq(list[i].prev_hash, i == 0 ? zero : list[i - 1].hash, 32);
		expected_hash(&list[i], want);
		assert_mem_eq(list[i].hash, want, 32);
	}
	audit_fixture(&a, res, sizeof(res), 3);
	assert_str_eq(list[2].caller, a.caller);
	assert_str_eq(list[2].action, a.action);
	assert_str_eq(list[2].resource, res);
	assert_int_eq(list[2].at_ms, a.at_ms);
	assert_int_eq(list[2].allowed, 0);
	assert_str_eq(list[2].policy, "");
	assert_str_eq(list[2].reason, "implicit deny");
	assert_int_eq(list[3].allowed, 1);
	assert_str_eq(list[3].sid, "Allow1");
	assert_str_eq(list[10].caller, "");
	assert_int_eq(list[10].allowed, 1);
	store_audit_list_free(list, n);

	/* paging by seq */
	assert_int_eq(store_audit_list(st, 4, 3, &list, &n), 0);
	assert_int_eq(n, 3);
	assert_int_eq(list[0].seq, 5);
	assert_int_eq(list[2].seq, 7);
	store_audit_list_free(list, n);
	assert_int_eq(store_audit_list(st, 11, 3, &list, &n), 0);
	assert_int_eq(n, 0);

	assert_int_eq(store_audit_verify(st, &count, &bad), 0);
	assert_int_eq(count, 11);
	assert_int_eq(bad, 0);
	store_close(st);

	/* reopened: the chain goes on from the head read from the file */
	st = open_db("audit_chain");
	append_n(st, 12, 13);
	audit_barrier(st);
	assert_int_eq(store_audit_list(st, 10, 10, &list, &n), 0);
	assert_int_eq(n, 3);
	assert_int_eq(list[1].seq, 12);
	assert_mem_eq(list[1].prev_hash, list[0].hash, 32);
	store_audit_list_free(list, n);
	assert_int_eq(store_audit_verify(st, &count, &bad), 0);
	assert_int_eq(count, 13);
	store_close(st);
}

/* A record is durable with the next write, and at close at the latest. */
static void
test_audit_order(void)
{
	struct store *st = open_db("audit_order");
	struct store_audit *list = NULL;
	size_t n = 0;

	append_n(st, 1, 1);
	audit_barrier(st);
	assert_int_eq(store_audit_list(st, 0, 10, &list, &n), 0);
	assert_int_eq(n, 1);
	store_audit_list_free(list, n);
	append_n(st, 2, 50);
	store_close(st);		/* drains the queue */
	assert_int_eq(raw_int("audit_order", "SELECT count(*) FROM audit"), 50);
}

/* Make a chain of 10 in file `name`, close, run `sql`, reopen and verify. */
static void
tamper_case(const char *name, const char *sql, int64_t want_bad, int64_t want_count)
{
	struct store *st = open_db(name);
	int64_t count = -1, bad = -1;

	append_n(st, 1, 10);
	store_close(st);
	raw_exec(name, sql);
	st = open_db(name);
	assert_int_eq(store_audit_verify(st, &count, &bad), PCA_ERR_BAD_SIGNATURE);
	if (bad != want_bad || count != want_count)
		test_fail(__FILE__, __LINE__, "%s: bad %lld count %lld, want %lld %lld", sql,
		    (long long)bad, (long long)count, (long long)want_bad,
		    (long long)want_count);
	store_close(st);
}

static void
test_audit_tamper(void)
{
	static const struct { const char *sql; int64_t bad, count; } cases[] = {
		{ "UPDATE audit SET at_ms = at_ms + 1 WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET caller = 'arn:aws:iam::1:root' WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET action = 'acm-pca:ListTags' WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET resource = resource || 'x' WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET allowed = 1 - allowed WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET allowed = 2 WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET policy = 'Other' WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET sid = 'S2' WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET reason = 'r' WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET prev_hash = zeroblob(32) WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET hash = zeroblob(32) WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET hash = X'00' WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET caller = CAST(caller AS BLOB) WHERE seq = 5", 5, 4 },
		{ "UPDATE audit SET seq = 100 WHERE seq = 5", 5, 4 },
		{ "DELETE FROM audit WHERE seq = 5", 5, 4 },
		{ "DELETE FROM audit WHERE seq = 1", 1, 0 },
		{ "UPDATE audit SET reason = 'r' WHERE seq = 10", 10, 9 },
		/* a row swapped for another's content */
		{ "UPDATE audit SET resource = (SELECT resource FROM audit WHERE seq = 6) "
		  "WHERE seq = 5", 5, 4 },
	};
	char name[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "tamper%zu", i);
		tamper_case(name, cases[i].sql, cases[i].bad, cases[i].count);
	}
}

/* An edit that recomputes the edited record's hash still breaks the link
 * from the next one; cutting the tail off while the store is open is
 * caught by the head the writer remembers. */
static void
test_audit_tamper_rehash(void)
{
	struct store *st = open_db("rehash");
	struct store_audit *list = NULL;
	uint8_t h[32];
	char sql[512], hex[65];
	int64_t count = -1, bad = -1;
	size_t n = 0;

	append_n(st, 1, 10);
	audit_barrier(st);
	assert_int_eq(store_audit_list(st, 4, 1, &list, &n), 0);
	assert_int_eq(n, 1);
	free(list[0].caller);
	list[0].caller = strdup("arn:aws:iam::" ACCT1 ":root");
	expected_hash(&list[0], h);
	store_audit_list_free(list, n);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	snprintf(sql, sizeof(sql), "UPDATE audit SET caller = 'arn:aws:iam::" ACCT1 ":root', "
	    "hash = X'%s' WHERE seq = 5", hex);
	raw_exec("rehash", sql);
	assert_int_eq(store_audit_verify(st, &count, &bad), PCA_ERR_BAD_SIGNATURE);
	assert_int_eq(bad, 6);
	assert_int_eq(count, 5);
	store_close(st);

	st = open_db("truncate");
	append_n(st, 1, 10);
	audit_barrier(st);
	raw_exec("truncate", "DELETE FROM audit WHERE seq >= 9");
	assert_int_eq(store_audit_verify(st, &count, &bad), PCA_ERR_BAD_SIGNATURE);
	assert_int_eq(bad, 9);
	assert_int_eq(count, 8);
	store_close(st);
	/* XXX documented limit: after a restart the file is all there is */
	st = open_db("truncate");
	assert_int_eq(store_audit_verify(st, &count, &bad), 0);
	assert_int_eq(count, 8);
	store_close(st);
}

/* 10,000 records from 4 threads: group-committed, chained, each thread's
 * records in the order it appended them. */
#define BURST_THREADS	4
#define BURST_EACH	2500

struct burst {
	struct store	*st;
	int		 t;
	int		 failed;
};

static void *
burst_main(void *arg)
{
	struct burst *b = arg;
	struct store_audit a;
	char res[64];

	for (int i = 0; i < BURST_EACH; i++) {
		memset(&a, 0, sizeof(a));
		snprintf(res, sizeof(res), "%d/%d", b->t, i);
		a.at_ms = i;
		a.caller = "arn:aws:iam::" ACCT1 ":user/burst";
		a.action = "acm-pca:GetCertificate";
		a.resource = res;
		a.allowed = 1;
		if (store_audit_append(b->st, &a) != 0)
			b->failed++;
	}
	return NULL;
}

static void
test_audit_burst(void)
{
	struct store *st = open_db("burst");
	struct burst b[BURST_THREADS];
	pthread_t th[BURST_THREADS];
	struct store_audit *list = NULL;
	int next[BURST_THREADS] = { 0 };
	int64_t count = -1, bad = -1;
	size_t commits, n = 0;
	uint64_t t0;
	double secs;

	commits = store_commit_count(st);
	t0 = clock_mono_ns();
	for (int t = 0; t < BURST_THREADS; t++) {
		b[t].st = st;
		b[t].t = t;
		b[t].failed = 0;
		assert_int_eq(pthread_create(&th[t], NULL, burst_main, &b[t]), 0);
	}
	for (int t = 0; t < BURST_THREADS; t++)
		pthread_join(th[t], NULL);
	secs = secs_since(t0);
	audit_barrier(st);
	test_diag("%d appends from %d threads: %.3f s to queue (%.0f/s), %.3f s to commit, "
	    "%zu commits", BURST_THREADS * BURST_EACH, BURST_THREADS, secs,
	    BURST_THREADS * BURST_EACH / secs, secs_since(t0),
	    store_commit_count(st) - commits);
	for (int t = 0; t < BURST_THREADS; t++)
		assert_int_eq(b[t].failed, 0);
	assert_true(secs_since(t0) < 60.0);
	/* group commit: far fewer transactions than records */
	assert_true(store_commit_count(st) - commits < BURST_THREADS * BURST_EACH / 4);

	assert_int_eq(store_audit_verify(st, &count, &bad), 0);
	assert_int_eq(count, BURST_THREADS * BURST_EACH);
	assert_int_eq(store_audit_list(st, 0, (size_t)-1, &list, &n), 0);
	assert_int_eq(n, BURST_THREADS * BURST_EACH);
	for (size_t i = 0; i < n; i++) {
		int t, k;

		assert_int_eq(sscanf(list[i].resource, "%d/%d", &t, &k), 2);
		assert_true(t >= 0 && t < BURST_THREADS);
		assert_int_eq(k, next[t]);
		next[t]++;
	}
	store_audit_list_free(list, n);
	store_close(st);
}

int
main(void)
{
	log_init("test_store_iam", LOG_WARNING);
	test_run("store_iam/migration_v1", test_migration_v1);
	test_run("store_iam/settings", test_settings);
	test_run("store_iam/account_list", test_account_list);
	test_run("store_iam/org", test_org);
	test_run("store_iam/ou", test_ou);
	test_run("store_iam/membership", test_membership);
	test_run("store_iam/handshakes", test_handshakes);
	test_run("store_iam/iam_users", test_iam_users);
	test_run("store_iam/access_keys", test_access_keys);
	test_run("store_iam/roles", test_roles);
	test_run("store_iam/inline_policies", test_inline_policies);
	test_run("store_iam/attachments", test_attachments);
	test_run("store_iam/sessions", test_sessions);
	test_run("store_iam/permissions", test_permissions);
	test_run("store_iam/ca_policies", test_ca_policies);
	test_run("store_iam/authz_generation", test_authz_generation);
	test_run("store_iam/audit_chain", test_audit_chain);
	test_run("store_iam/audit_order", test_audit_order);
	test_run("store_iam/audit_tamper", test_audit_tamper);
	test_run("store_iam/audit_tamper_rehash", test_audit_tamper_rehash);
	test_run("store_iam/audit_burst", test_audit_burst);
	return test_done();
}
