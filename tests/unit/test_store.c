/*
 * test_store.c - store_sqlite.c on real SQLite files in the test's tmpdir.
 *
 * Nothing is mocked: every case opens a fresh database file, and the
 * concurrency cases run real threads against the real writer.
 */
#include "test.h"
#include "store.h"
#include "clock.h"
#include "err.h"
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define ACCT1	"111122223333"
#define ACCT2	"444455556666"
#define WINDOW	3600

/* ---- fixtures ---------------------------------------------------------- */

/* A fresh database path for this case. */
static const char *
db_path(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.db", test_tmpdir(), name);
	return buf;
}

static struct store *
open_fresh(const char *name)
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

/* A CA numbered n in account acct; the caller may change fields. Pointers
 * point to static strings or to the fixture's buffers. */
struct ca_fixture {
	struct store_ca	ca;
	char		arn[128];
};

static void
ca_fixture(struct ca_fixture *f, const char *acct, unsigned n)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->ca.id, sizeof(f->ca.id), "00000000-0000-4000-8000-%012u", n);
	snprintf(f->ca.account_id, sizeof(f->ca.account_id), "%s", acct);
	snprintf(f->arn, sizeof(f->arn),
	    "arn:aws:acm-pca:us-east-1:%s:certificate-authority/%s", acct, f->ca.id);
	f->ca.arn = f->arn;
	f->ca.type = 2;
	f->ca.status = 1;		/* CREATING */
	f->ca.key_algorithm = 3;
	f->ca.key_storage = 1;
	f->ca.usage_mode = 1;
	f->ca.config = (uint8_t *)"\x0a\x03\x08\x01\x10";
	f->ca.config_len = 5;
	f->ca.created_at = 1000 + n;
	f->ca.last_state_change_at = 1000 + n;
}

static void
insert_ca(struct store *st, const char *acct, unsigned n, struct ca_fixture *f)
{
	struct ca_fixture local;

	if (f == NULL)
		f = &local;
	ca_fixture(f, acct, n);
	assert_int_eq(store_ca_insert(st, &f->ca), 0);
}

static void
cert_fixture(struct store_cert *c, const char *ca_id, const char *serial, int64_t now)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->ca_id, sizeof(c->ca_id), "%s", ca_id);
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	c->status = STORE_CERT_PENDING;
	c->request = (uint8_t *)"\x08\x01\x12\x04test";
	c->request_len = 7;
	c->template_arn = "arn:aws:acm-pca:::template/EndEntityCertificate/V1";
	c->requester = "arn:aws:iam::" ACCT1 ":root";
	c->created_at = now;
	c->not_after = now + 86400;
}

static int
reserve(struct store *st, const char *ca_id, const char *serial, int64_t now)
{
	struct store_cert c;
	char existing[41];

	cert_fixture(&c, ca_id, serial, now);
	return store_cert_reserve(st, &c, NULL, NULL, 0, existing);
}

static const uint8_t fake_der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };

static double
secs_since(uint64_t t0)
{
	return (double)(clock_mono_ns() - t0) / 1e9;
}

/* ---- open, file, schema ---------------------------------------------------- */

static void
test_file_modes(void)
{
	char path[512], side[560];
	struct store *st;
	struct stat sb;
	mode_t old;
	const char *sfx[] = { "", "-wal", "-shm" };

	/* with no umask at all the files must still come out 0600 */
	old = umask(0);
	st = open_fresh("modes");
	umask(old);
	put_account(st, ACCT1);		/* the WAL exists once written */
	db_path("modes", path, sizeof(path));
	for (size_t i = 0; i < 3; i++) {
		snprintf(side, sizeof(side), "%s%s", path, sfx[i]);
		assert_int_eq(stat(side, &sb), 0);
		test_diag("%s: %04o", side, (unsigned)(sb.st_mode & 07777));
		assert_int_eq(sb.st_mode & 07777, 0600);
	}
	store_close(st);
}

static void
test_loose_mode_refused(void)
{
	char path[512];
	struct store *st = (struct store *)&st;	/* must be cleared */
	FILE *f;

	db_path("loose", path, sizeof(path));
	assert_ptr_not_null(f = fopen(path, "w"));
	fclose(f);
	assert_int_eq(chmod(path, 0644), 0);
	assert_int_eq(store_open(path, &st), PCA_ERR_PERM);
	assert_ptr_null(st);
	assert_int_eq(chmod(path, 0600), 0);
	assert_int_eq(store_open(path, &st), 0);
	store_close(st);
}

static void
test_schema(void)
{
	char path[512];
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *s;

	st = open_fresh("schema");
	store_close(st);
	db_path("schema", path, sizeof(path));
	assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	/* 2: store_iam.h's, 3 and 4: store_acm.h's */
	assert_int_eq(sqlite3_column_int(s, 0), 4);
	sqlite3_finalize(s);
	assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	/* a file from a newer build is refused, not silently used */
	assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = (struct store *)&db;
	assert_int_eq(store_open(path, &st), PCA_ERR_DB);
	assert_ptr_null(st);
}

/* ---- accounts, users, access keys ----------------------------------------- */

static void
test_accounts(void)
{
	struct store *st = open_fresh("accounts");
	struct store_account a, got;

	assert_int_eq(store_account_get(st, ACCT1, &got), PCA_ERR_NOT_FOUND);
	memset(&a, 0, sizeof(a));
	memcpy(a.id, ACCT1, sizeof(a.id));
	a.name = "first";
	a.created_at = 42;
	assert_int_eq(store_account_put(st, &a), 0);
	assert_int_eq(store_account_get(st, ACCT1, &got), 0);
	assert_str_eq(got.id, ACCT1);
	assert_str_eq(got.name, "first");
	assert_int_eq(got.created_at, 42);
	store_account_clear(&got);

	/* put again: the name changes, created_at stays */
	a.name = "renamed";
	a.created_at = 99;
	assert_int_eq(store_account_put(st, &a), 0);
	assert_int_eq(store_account_get(st, ACCT1, &got), 0);
	assert_str_eq(got.name, "renamed");
	assert_int_eq(got.created_at, 42);
	store_account_clear(&got);

	a.id[0] = '\0';
	assert_int_eq(store_account_put(st, &a), PCA_ERR_INVALID);
	store_close(st);
}

static void
test_users(void)
{
	struct store *st = open_fresh("users");
	struct store_user u, got;

	memset(&u, 0, sizeof(u));
	memcpy(u.account_id, ACCT1, sizeof(u.account_id));
	u.name = "alice";
	u.arn = "arn:aws:iam::" ACCT1 ":user/alice";
	u.created_at = 7;
	assert_int_eq(store_user_put(st, &u), PCA_ERR_NOT_FOUND);	/* no account */
	put_account(st, ACCT1);
	assert_int_eq(store_user_put(st, &u), 0);
	assert_int_eq(store_user_get(st, ACCT1, "alice", &got), 0);
	assert_str_eq(got.account_id, ACCT1);
	assert_str_eq(got.name, "alice");
	assert_str_eq(got.arn, u.arn);
	assert_int_eq(got.created_at, 7);
	store_user_clear(&got);
	assert_ptr_null(got.name);
	assert_int_eq(store_user_get(st, ACCT1, "bob", &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_user_get(st, ACCT2, "alice", &got), PCA_ERR_NOT_FOUND);
	store_close(st);
}

static void
test_access_keys(void)
{
	struct store *st = open_fresh("keys");
	struct store_access_key k, got;
	struct store_user u;

	put_account(st, ACCT1);
	put_account(st, ACCT2);
	memset(&k, 0, sizeof(k));
	k.id = "AKIAAAAAAAAAAAAAAAAA";
	k.secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	memcpy(k.account_id, ACCT1, sizeof(k.account_id));
	k.active = 1;
	k.created_at = 5;
	assert_int_eq(store_access_key_put(st, &k), 0);
	assert_int_eq(store_access_key_get(st, k.id, &got), 0);
	assert_str_eq(got.id, k.id);
	assert_str_eq(got.secret, k.secret);
	assert_str_eq(got.account_id, ACCT1);
	assert_ptr_null(got.user_name);
	assert_int_eq(got.active, 1);
	assert_int_eq(got.created_at, 5);
	store_access_key_clear(&got);
	assert_ptr_null(got.secret);
	assert_ptr_null(got.id);

	/* deactivate through put */
	k.active = 0;
	assert_int_eq(store_access_key_put(st, &k), 0);
	assert_int_eq(store_access_key_get(st, k.id, &got), 0);
	assert_int_eq(got.active, 0);
	store_access_key_clear(&got);

	/* the same id under another owner is refused, the key unchanged */
	memcpy(k.account_id, ACCT2, sizeof(k.account_id));
	k.secret = "other";
	assert_int_eq(store_access_key_put(st, &k), PCA_ERR_EXISTS);
	assert_int_eq(store_access_key_get(st, k.id, &got), 0);
	assert_str_eq(got.account_id, ACCT1);
	assert_str_eq(got.secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	store_access_key_clear(&got);

	/* a user's key needs the user; an unknown account is refused */
	k.id = "AKIABBBBBBBBBBBBBBBB";
	k.user_name = "carol";
	assert_int_eq(store_access_key_put(st, &k), PCA_ERR_NOT_FOUND);
	memset(&u, 0, sizeof(u));
	memcpy(u.account_id, ACCT2, sizeof(u.account_id));
	u.name = "carol";
	u.arn = "arn:aws:iam::" ACCT2 ":user/carol";
	assert_int_eq(store_user_put(st, &u), 0);
	assert_int_eq(store_access_key_put(st, &k), 0);
	assert_int_eq(store_access_key_get(st, k.id, &got), 0);
	assert_str_eq(got.user_name, "carol");
	store_access_key_clear(&got);
	k.id = "AKIACCCCCCCCCCCCCCCC";
	k.user_name = NULL;
	memcpy(k.account_id, "999999999999", sizeof(k.account_id));
	assert_int_eq(store_access_key_put(st, &k), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_access_key_get(st, "AKIANOPE", &got), PCA_ERR_NOT_FOUND);
	store_close(st);
}

/*
 * store_credentials_generation(): changed by every write of accounts, users
 * and access keys by the time it returns (succeeded or not), by nothing
 * else, and read by any thread.
 */
static void
test_credentials_generation(void)
{
	struct store *st = open_fresh("generation");
	struct store_access_key k;
	struct store_user u;
	struct ca_fixture f;
	uint64_t g;

	assert_int_eq(store_credentials_generation(NULL), 0);
	g = store_credentials_generation(st);
	assert_int_ne(g, 0);
	put_account(st, ACCT1);
	assert_true(store_credentials_generation(st) > g);
	g = store_credentials_generation(st);
	memset(&u, 0, sizeof(u));
	memcpy(u.account_id, ACCT1, sizeof(u.account_id));
	u.name = "dave";
	u.arn = "arn:aws:iam::" ACCT1 ":user/dave";
	assert_int_eq(store_user_put(st, &u), 0);
	assert_true(store_credentials_generation(st) > g);
	g = store_credentials_generation(st);
	memset(&k, 0, sizeof(k));
	k.id = "AKIADDDDDDDDDDDDDDDD";
	k.secret = "secret";
	memcpy(k.account_id, ACCT1, sizeof(k.account_id));
	k.active = 1;
	assert_int_eq(store_access_key_put(st, &k), 0);
	assert_true(store_credentials_generation(st) > g);
	g = store_credentials_generation(st);
	k.active = 0;				/* deactivation */
	assert_int_eq(store_access_key_put(st, &k), 0);
	assert_true(store_credentials_generation(st) > g);
	g = store_credentials_generation(st);
	memcpy(k.account_id, "999999999999", sizeof(k.account_id));
	assert_int_eq(store_access_key_put(st, &k), PCA_ERR_EXISTS);	/* failed: bumped anyway */
	assert_true(store_credentials_generation(st) > g);
	/* other writes leave it alone */
	g = store_credentials_generation(st);
	ca_fixture(&f, ACCT1, 1);
	assert_int_eq(store_ca_insert(st, &f.ca), 0);
	assert_int_eq(store_ca_purge(st, f.ca.id), 0);
	assert_int_eq(store_credentials_generation(st), g);
	store_close(st);
}

struct reader {
	struct store	*st;
	unsigned long	 ok, failed;
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct store_account a;

	for (int i = 0; i < 200; i++) {
		if (store_account_get(r->st, ACCT1, &a) == 0)
			r->ok++;
		else
			r->failed++;
		store_account_clear(&a);
	}
	return NULL;
}

/* More reading threads than read connections: the extra ones wait for a
 * connection instead of opening their own, and everyone gets served. */
static void
test_readers_bounded(void)
{
	struct store *st = open_fresh("readers");
	struct reader r[100];
	pthread_t th[100];

	put_account(st, ACCT1);
	for (int i = 0; i < 100; i++) {
		r[i].st = st;
		r[i].ok = r[i].failed = 0;
		assert_int_eq(pthread_create(&th[i], NULL, reader_main, &r[i]), 0);
	}
	for (int i = 0; i < 100; i++) {
		pthread_join(th[i], NULL);
		assert_int_eq(r[i].ok, 200);
		assert_int_eq(r[i].failed, 0);
	}
	store_close(st);
}

/* ---- certificate authorities ----------------------------------------------- */

static void
test_ca_insert_get(void)
{
	struct store *st = open_fresh("ca");
	struct ca_fixture f, g;
	struct store_ca got;

	ca_fixture(&f, ACCT1, 1);
	assert_int_eq(store_ca_insert(st, &f.ca), PCA_ERR_NOT_FOUND);	/* no account */
	put_account(st, ACCT1);
	f.ca.revocation = (uint8_t *)"";	/* present but empty */
	f.ca.revocation_len = 0;
	f.ca.csr_der = (uint8_t *)fake_der;
	f.ca.csr_der_len = sizeof(fake_der);
	f.ca.chain_pem = "-----BEGIN CERTIFICATE-----\n";
	f.ca.serial = "01:02";
	f.ca.not_before = 10;
	f.ca.not_after = 20;
	f.ca.restorable_until = 30;
	f.ca.status_before_delete = 3;
	f.ca.failure_reason = 2;
	assert_int_eq(store_ca_insert(st, &f.ca), 0);
	assert_int_eq(store_ca_get(st, f.ca.id, &got), 0);
	assert_str_eq(got.id, f.ca.id);
	assert_str_eq(got.account_id, ACCT1);
	assert_str_eq(got.arn, f.arn);
	assert_int_eq(got.type, 2);
	assert_int_eq(got.status, 1);
	assert_int_eq(got.status_before_delete, 3);
	assert_int_eq(got.key_algorithm, 3);
	assert_int_eq(got.key_storage, 1);
	assert_int_eq(got.usage_mode, 1);
	assert_int_eq(got.failure_reason, 2);
	assert_int_eq(got.config_len, 5);
	assert_mem_eq(got.config, f.ca.config, 5);
	assert_ptr_not_null(got.revocation);	/* empty, not absent */
	assert_int_eq(got.revocation_len, 0);
	assert_int_eq(got.csr_der_len, sizeof(fake_der));
	assert_mem_eq(got.csr_der, fake_der, sizeof(fake_der));
	assert_ptr_null(got.cert_der);
	assert_str_eq(got.chain_pem, f.ca.chain_pem);
	assert_str_eq(got.serial, "01:02");
	assert_int_eq(got.not_before, 10);
	assert_int_eq(got.not_after, 20);
	assert_int_eq(got.created_at, 1001);
	assert_int_eq(got.restorable_until, 30);
	assert_int_eq(got.version, 0);
	store_ca_clear(&got);
	assert_ptr_null(got.arn);

	/* the id and the ARN are unique */
	assert_int_eq(store_ca_insert(st, &f.ca), PCA_ERR_EXISTS);
	ca_fixture(&g, ACCT1, 2);
	g.ca.arn = f.arn;
	assert_int_eq(store_ca_insert(st, &g.ca), PCA_ERR_EXISTS);
	assert_int_eq(store_ca_get(st, g.ca.id, &got), PCA_ERR_NOT_FOUND);
	store_close(st);
}

static void
test_ca_update_version(void)
{
	struct store *st = open_fresh("ca_update");
	struct ca_fixture f;
	struct store_ca a, b, got;

	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f);
	assert_int_eq(store_ca_get(st, f.ca.id, &a), 0);
	assert_int_eq(store_ca_get(st, f.ca.id, &b), 0);

	/* a wins */
	free(a.cert_der);
	assert_ptr_not_null(a.cert_der = malloc(sizeof(fake_der)));
	memcpy(a.cert_der, fake_der, sizeof(fake_der));
	a.cert_der_len = sizeof(fake_der);
	a.status = 3;			/* ACTIVE */
	assert_int_eq(store_ca_update(st, &a), 0);
	assert_int_eq(a.version, 1);

	/* b read version 0: a concurrent change, refused, nothing written */
	b.status = 5;
	assert_int_eq(store_ca_update(st, &b), PCA_ERR_STATE);
	assert_int_eq(b.version, 0);
	assert_int_eq(store_ca_get(st, f.ca.id, &got), 0);
	assert_int_eq(got.status, 3);
	assert_int_eq(got.version, 1);
	assert_int_eq(got.cert_der_len, sizeof(fake_der));
	store_ca_clear(&got);

	/* with the fresh version it goes through */
	assert_int_eq(store_ca_update(st, &a), 0);
	assert_int_eq(a.version, 2);

	/* a CA that is gone is NOT_FOUND, not STATE */
	snprintf(b.id, sizeof(b.id), "ffffffff-0000-4000-8000-000000000000");
	assert_int_eq(store_ca_update(st, &b), PCA_ERR_NOT_FOUND);
	store_ca_clear(&a);
	store_ca_clear(&b);
	store_close(st);
}

static void
test_ca_list_paging(void)
{
	struct store *st = open_fresh("ca_list");
	struct store_ca *cas;
	char after[STORE_CA_ID_LEN + 1];
	size_t n, seen = 0;
	unsigned order[] = { 9, 3, 7, 1, 5 };	/* creation order, not id order */

	put_account(st, ACCT1);
	put_account(st, ACCT2);
	for (size_t i = 0; i < 5; i++) {
		insert_ca(st, ACCT1, order[i], NULL);
		insert_ca(st, ACCT2, 100 + order[i], NULL);	/* interleaved */
	}
	after[0] = '\0';
	for (int page = 0; page < 4; page++) {
		assert_int_eq(store_ca_list(st, ACCT1, after[0] != '\0' ? after : NULL, 2,
		    &cas, &n), 0);
		assert_int_le(n, 2);
		for (size_t i = 0; i < n; i++) {
			char want[STORE_CA_ID_LEN + 1];

			snprintf(want, sizeof(want), "00000000-0000-4000-8000-%012u",
			    order[seen + i]);
			assert_str_eq(cas[i].id, want);
			assert_str_eq(cas[i].account_id, ACCT1);
		}
		seen += n;
		if (n > 0)
			memcpy(after, cas[n - 1].id, sizeof(after));
		store_ca_list_free(cas, n);
		if (n < 2)
			break;
	}
	assert_int_eq(seen, 5);

	/* an id of another account, or an unknown one, is no position */
	assert_int_eq(store_ca_list(st, ACCT1, "00000000-0000-4000-8000-000000000103", 2,
	    &cas, &n), PCA_ERR_INVALID);
	assert_ptr_null(cas);
	assert_int_eq(store_ca_list(st, ACCT1, "nope", 2, &cas, &n), PCA_ERR_INVALID);
	assert_int_eq(store_ca_list(st, "000000000000", NULL, 10, &cas, &n), 0);
	assert_int_eq(n, 0);
	store_ca_list_free(cas, n);
	store_close(st);
}

static void
test_ca_list_purgeable_by_status(void)
{
	struct store *st = open_fresh("ca_purgeable");
	struct ca_fixture f;
	struct store_ca *cas;
	size_t n;
	struct { unsigned n; int status; int64_t until; } rows[] = {
		{ 1, 4, 0 },		/* DELETED, no window */
		{ 2, 4, 100 },		/* DELETED, window over at 500 */
		{ 3, 4, 1000 },		/* DELETED, still restorable */
		{ 4, 3, 0 },		/* ACTIVE */
		{ 5, 1, 0 },		/* CREATING */
		{ 6, 1, 0 },
	};

	put_account(st, ACCT1);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ca_fixture(&f, ACCT1, rows[i].n);
		f.ca.status = rows[i].status;
		f.ca.restorable_until = rows[i].until;
		assert_int_eq(store_ca_insert(st, &f.ca), 0);
	}
	assert_int_eq(store_ca_list_purgeable(st, 500, 10, &cas, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(cas[0].id, "00000000-0000-4000-8000-000000000001");
	assert_str_eq(cas[1].id, "00000000-0000-4000-8000-000000000002");
	store_ca_list_free(cas, n);
	assert_int_eq(store_ca_list_purgeable(st, 1000, 10, &cas, &n), 0);
	assert_int_eq(n, 3);
	store_ca_list_free(cas, n);
	assert_int_eq(store_ca_list_purgeable(st, 1000, 1, &cas, &n), 0);
	assert_int_eq(n, 1);
	store_ca_list_free(cas, n);

	assert_int_eq(store_ca_list_by_status(st, 1, 10, &cas, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(cas[0].id, "00000000-0000-4000-8000-000000000005");
	assert_str_eq(cas[1].id, "00000000-0000-4000-8000-000000000006");
	store_ca_list_free(cas, n);
	assert_int_eq(store_ca_list_by_status(st, 7, 10, &cas, &n), 0);
	assert_int_eq(n, 0);
	store_ca_list_free(cas, n);
	store_close(st);
}

static void
test_ca_insert_idem(void)
{
	struct store *st = open_fresh("ca_idem");
	struct ca_fixture f1, f2, f3, f4;
	struct store_ca got;
	char *existing = (char *)"garbage";
	const char *scope = "CreateCertificateAuthority:" ACCT1;

	put_account(st, ACCT1);
	/* no token: a plain insert */
	ca_fixture(&f4, ACCT1, 4);
	assert_int_eq(store_ca_insert_idem(st, &f4.ca, NULL, NULL, WINDOW, &existing), 0);
	assert_ptr_null(existing);

	ca_fixture(&f1, ACCT1, 1);
	f1.ca.created_at = 10000;
	assert_int_eq(store_ca_insert_idem(st, &f1.ca, scope, "tok", WINDOW, &existing), 0);
	assert_ptr_null(existing);

	/* the same token inside the window: the first CA, nothing inserted */
	ca_fixture(&f2, ACCT1, 2);
	f2.ca.created_at = 10000 + WINDOW - 1;
	assert_int_eq(store_ca_insert_idem(st, &f2.ca, scope, "tok", WINDOW, &existing),
	    PCA_ERR_EXISTS);
	assert_str_eq(existing, f1.arn);
	free(existing);
	assert_int_eq(store_ca_get(st, f2.ca.id, &got), PCA_ERR_NOT_FOUND);

	/* after the window: a new CA, and the record now names it */
	ca_fixture(&f3, ACCT1, 3);
	f3.ca.created_at = 10000 + WINDOW;
	assert_int_eq(store_ca_insert_idem(st, &f3.ca, scope, "tok", WINDOW, &existing), 0);
	assert_ptr_null(existing);
	f2.ca.created_at = 10000 + WINDOW + 1;
	assert_int_eq(store_ca_insert_idem(st, &f2.ca, scope, "tok", WINDOW, &existing),
	    PCA_ERR_EXISTS);
	assert_str_eq(existing, f3.arn);
	free(existing);

	/* a taken id with a fresh token: EXISTS without an earlier ARN, and the
	 * token stays free (the job rolled back as a whole) */
	f1.ca.created_at = 20000;
	assert_int_eq(store_ca_insert_idem(st, &f1.ca, scope, "tok2", WINDOW, &existing),
	    PCA_ERR_EXISTS);
	assert_ptr_null(existing);
	assert_int_eq(store_ca_insert_idem(st, &f2.ca, scope, "tok2", WINDOW, &existing), 0);
	assert_int_eq(store_ca_get(st, f2.ca.id, &got), 0);
	store_ca_clear(&got);
	store_close(st);
}

/* ---- tags ---------------------------------------------------------------------- */

static void
test_tags(void)
{
	struct store *st = open_fresh("tags");
	struct ca_fixture f;
	struct store_tag two[] = { { "b", "2" }, { "a", "1" } };
	struct store_tag more[] = { { "c", "3" }, { "d", "4" } };
	struct store_tag mixed[] = { { "a", "one" }, { "c", NULL } };
	struct store_tag rm_wrong[] = { { "a", "1" } };
	struct store_tag rm[] = { { "a", NULL }, { "zz", NULL } };
	struct store_tag *t;
	size_t n;

	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f);
	assert_int_eq(store_tags_put(st, "no-such-ca", two, 2, 3), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_tags_put(st, f.ca.id, two, 2, 3), 0);

	/* 2 + 2 new > 3: refused, nothing of it written */
	assert_int_eq(store_tags_put(st, f.ca.id, more, 2, 3), PCA_ERR_TOO_LARGE);
	assert_int_eq(store_tags_list(st, f.ca.id, NULL, 10, &t, &n), 0);
	assert_int_eq(n, 2);
	store_tags_free(t, n);

	/* an overwrite does not count twice: 2 + 1 new = 3 */
	assert_int_eq(store_tags_put(st, f.ca.id, mixed, 2, 3), 0);
	assert_int_eq(store_tags_put(st, f.ca.id, mixed, 2, 3), 0);
	assert_int_eq(store_tags_list(st, f.ca.id, NULL, 10, &t, &n), 0);
	assert_int_eq(n, 3);
	assert_str_eq(t[0].key, "a");
	assert_str_eq(t[0].value, "one");
	assert_str_eq(t[1].key, "b");
	assert_str_eq(t[1].value, "2");
	assert_str_eq(t[2].key, "c");
	assert_ptr_null(t[2].value);
	store_tags_free(t, n);

	/* paging by key */
	assert_int_eq(store_tags_list(st, f.ca.id, "a", 1, &t, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(t[0].key, "b");
	store_tags_free(t, n);
	assert_int_eq(store_tags_list(st, f.ca.id, "c", 5, &t, &n), 0);
	assert_int_eq(n, 0);
	store_tags_free(t, n);

	/* remove: a value must match; NULL matches any; unknown keys are fine */
	assert_int_eq(store_tags_remove(st, f.ca.id, rm_wrong, 1), 0);
	assert_int_eq(store_tags_list(st, f.ca.id, NULL, 10, &t, &n), 0);
	assert_int_eq(n, 3);
	store_tags_free(t, n);
	assert_int_eq(store_tags_remove(st, f.ca.id, rm, 2), 0);
	assert_int_eq(store_tags_list(st, f.ca.id, NULL, 10, &t, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(t[0].key, "b");
	store_tags_free(t, n);
	assert_int_eq(store_tags_remove(st, "no-such-ca", rm, 2), PCA_ERR_NOT_FOUND);
	store_close(st);
}

/* ---- certificates ---------------------------------------------------------------- */

static void
test_cert_lifecycle(void)
{
	struct store *st = open_fresh("certs");
	struct ca_fixture f;
	struct store_cert c, got, *list;
	char existing[41];
	size_t n;

	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f);
	assert_int_eq(reserve(st, "ffffffff-0000-4000-8000-000000000000", "01", 5),
	    PCA_ERR_NOT_FOUND);			/* no such CA */
	assert_int_eq(reserve(st, f.ca.id, "0A", 5), PCA_ERR_INVALID);	/* upper case */
	assert_int_eq(reserve(st, f.ca.id, "", 5), PCA_ERR_INVALID);
	assert_int_eq(reserve(st, f.ca.id, "03", 300), 0);
	assert_int_eq(reserve(st, f.ca.id, "01", 100), 0);
	assert_int_eq(reserve(st, f.ca.id, "02", 200), 0);

	/* the unique serial */
	cert_fixture(&c, f.ca.id, "01", 400);
	memset(existing, 'x', sizeof(existing));
	assert_int_eq(store_cert_reserve(st, &c, NULL, NULL, 0, existing), PCA_ERR_EXISTS);
	assert_str_eq(existing, "");

	assert_int_eq(store_cert_get(st, f.ca.id, "01", &got), 0);
	assert_str_eq(got.ca_id, f.ca.id);
	assert_str_eq(got.serial, "01");
	assert_int_eq(got.status, STORE_CERT_PENDING);
	assert_int_eq(got.request_len, 7);
	assert_mem_eq(got.request, "\x08\x01\x12\x04test", 7);
	assert_ptr_null(got.der);
	assert_str_eq(got.template_arn, c.template_arn);
	assert_str_eq(got.requester, c.requester);
	assert_ptr_null(got.failure);
	assert_int_eq(got.created_at, 100);
	assert_int_eq(got.not_after, 100 + 86400);
	store_cert_clear(&got);

	/* pending, oldest first */
	assert_int_eq(store_cert_list_pending(st, 10, &list, &n), 0);
	assert_int_eq(n, 3);
	assert_str_eq(list[0].serial, "01");
	assert_str_eq(list[1].serial, "02");
	assert_str_eq(list[2].serial, "03");
	store_cert_list_free(list, n);
	assert_int_eq(store_cert_list_pending(st, 2, &list, &n), 0);
	assert_int_eq(n, 2);
	store_cert_list_free(list, n);

	assert_int_eq(store_cert_complete(st, f.ca.id, "01", fake_der, sizeof(fake_der)), 0);
	assert_int_eq(store_cert_complete(st, f.ca.id, "01", fake_der, sizeof(fake_der)),
	    PCA_ERR_STATE);
	assert_int_eq(store_cert_fail(st, f.ca.id, "01", "late"), PCA_ERR_STATE);
	assert_int_eq(store_cert_fail(st, f.ca.id, "02", "policy refused"), 0);
	assert_int_eq(store_cert_complete(st, f.ca.id, "02", fake_der, sizeof(fake_der)),
	    PCA_ERR_STATE);
	assert_int_eq(store_cert_complete(st, f.ca.id, "09", fake_der, sizeof(fake_der)),
	    PCA_ERR_NOT_FOUND);
	assert_int_eq(store_cert_fail(st, f.ca.id, "09", "x"), PCA_ERR_NOT_FOUND);

	assert_int_eq(store_cert_get(st, f.ca.id, "01", &got), 0);
	assert_int_eq(got.status, STORE_CERT_ISSUED);
	assert_int_eq(got.der_len, sizeof(fake_der));
	assert_mem_eq(got.der, fake_der, sizeof(fake_der));
	store_cert_clear(&got);
	assert_int_eq(store_cert_get(st, f.ca.id, "02", &got), 0);
	assert_int_eq(got.status, STORE_CERT_FAILED);
	assert_str_eq(got.failure, "policy refused");
	store_cert_clear(&got);
	assert_int_eq(store_cert_get(st, f.ca.id, "09", &got), PCA_ERR_NOT_FOUND);

	assert_int_eq(store_cert_list_pending(st, 10, &list, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(list[0].serial, "03");
	store_cert_list_free(list, n);
	assert_int_eq(store_cert_count(st, f.ca.id), 3);
	assert_int_eq(store_cert_count(st, "no-such-ca"), 0);
	store_close(st);
}

static void
test_cert_idempotency(void)
{
	struct store *st = open_fresh("cert_idem");
	struct ca_fixture f;
	struct store_cert c, got;
	char existing[41];
	const char *scope = "IssueCertificate:" ACCT1;

	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f);
	cert_fixture(&c, f.ca.id, "a1", 1000);
	assert_int_eq(store_cert_reserve(st, &c, scope, "tok", WINDOW, existing), 0);
	assert_str_eq(existing, "");

	/* inside the window: the earlier serial, nothing inserted */
	cert_fixture(&c, f.ca.id, "b2", 1000 + WINDOW - 1);
	assert_int_eq(store_cert_reserve(st, &c, scope, "tok", WINDOW, existing),
	    PCA_ERR_EXISTS);
	assert_str_eq(existing, "a1");
	assert_int_eq(store_cert_get(st, f.ca.id, "b2", &got), PCA_ERR_NOT_FOUND);

	/* the same token in another scope is another request */
	assert_int_eq(store_cert_reserve(st, &c, "IssueCertificate:" ACCT2, "tok", WINDOW,
	    existing), 0);

	/* outside the window: a new certificate, the record replaced */
	cert_fixture(&c, f.ca.id, "c3", 1000 + WINDOW);
	assert_int_eq(store_cert_reserve(st, &c, scope, "tok", WINDOW, existing), 0);
	cert_fixture(&c, f.ca.id, "d4", 1000 + WINDOW + 5);
	assert_int_eq(store_cert_reserve(st, &c, scope, "tok", WINDOW, existing),
	    PCA_ERR_EXISTS);
	assert_str_eq(existing, "c3");

	/* a taken serial with a fresh token: EXISTS with "", and the token
	 * was not claimed (the whole job rolled back) */
	cert_fixture(&c, f.ca.id, "a1", 9000);
	assert_int_eq(store_cert_reserve(st, &c, scope, "tok2", WINDOW, existing),
	    PCA_ERR_EXISTS);
	assert_str_eq(existing, "");
	cert_fixture(&c, f.ca.id, "e5", 9001);
	assert_int_eq(store_cert_reserve(st, &c, scope, "tok2", WINDOW, existing), 0);
	assert_int_eq(store_cert_count(st, f.ca.id), 4);	/* a1 b2 c3 e5 */

	/* a lookup finds the latest result however old; nothing for others */
	{
		char *res = NULL;

		assert_int_eq(store_idem_lookup(st, scope, "tok", &res), 0);
		assert_str_eq(res, "c3");
		free(res);
		assert_int_eq(store_idem_lookup(st, scope, "tok2", &res), 0);
		assert_str_eq(res, "e5");
		free(res);
		assert_int_eq(store_idem_lookup(st, scope, "nope", &res), PCA_ERR_NOT_FOUND);
		assert_ptr_null(res);
		assert_int_eq(store_idem_lookup(st, "IssueCertificate:" ACCT2, "tok2", &res),
		    PCA_ERR_NOT_FOUND);
	}
	store_close(st);
}

static void
test_idem_claim(void)
{
	struct store *st = open_fresh("idem");
	char *existing = NULL;

	assert_int_eq(store_idem_claim(st, "Op:acct", "t", "r1", 100, 10, &existing), 0);
	assert_ptr_null(existing);
	assert_int_eq(store_idem_claim(st, "Op:acct", "t", "r2", 109, 10, &existing),
	    PCA_ERR_EXISTS);
	assert_str_eq(existing, "r1");
	free(existing);
	assert_int_eq(store_idem_claim(st, "Op:other", "t", "x", 109, 10, &existing), 0);
	/* at age == window the record is stale and replaced */
	assert_int_eq(store_idem_claim(st, "Op:acct", "t", "r3", 110, 10, &existing), 0);
	assert_ptr_null(existing);
	assert_int_eq(store_idem_claim(st, "Op:acct", "t", "r4", 111, 10, &existing),
	    PCA_ERR_EXISTS);
	assert_str_eq(existing, "r3");
	free(existing);
	/* a NULL result reads back as "" */
	assert_int_eq(store_idem_claim(st, "Op:acct", "n", NULL, 100, 10, &existing), 0);
	assert_int_eq(store_idem_claim(st, "Op:acct", "n", "y", 101, 10, &existing),
	    PCA_ERR_EXISTS);
	assert_str_eq(existing, "");
	free(existing);
	store_close(st);
}

static void
test_purge(void)
{
	struct store *st = open_fresh("purge");
	struct ca_fixture f1, f2;
	struct store_tag tags[] = { { "k", "v" } };
	struct store_tag *t;
	struct store_ca got;
	struct store_cert cert;
	size_t n;

	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f1);
	insert_ca(st, ACCT1, 2, &f2);
	for (unsigned i = 0; i < 3; i++) {
		char serial[8];

		snprintf(serial, sizeof(serial), "%02x", i + 1);
		assert_int_eq(reserve(st, f1.ca.id, serial, i), 0);
		assert_int_eq(reserve(st, f2.ca.id, serial, i), 0);
	}
	assert_int_eq(store_tags_put(st, f1.ca.id, tags, 1, 50), 0);
	assert_int_eq(store_tags_put(st, f2.ca.id, tags, 1, 50), 0);

	assert_int_eq(store_ca_purge(st, f1.ca.id), 0);
	assert_int_eq(store_ca_get(st, f1.ca.id, &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_cert_get(st, f1.ca.id, "01", &cert), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_cert_count(st, f1.ca.id), 0);
	assert_int_eq(store_tags_list(st, f1.ca.id, NULL, 10, &t, &n), 0);
	assert_int_eq(n, 0);
	store_tags_free(t, n);
	assert_int_eq(store_ca_purge(st, f1.ca.id), PCA_ERR_NOT_FOUND);

	/* the other CA keeps what it owns */
	assert_int_eq(store_cert_count(st, f2.ca.id), 3);
	assert_int_eq(store_tags_list(st, f2.ca.id, NULL, 10, &t, &n), 0);
	assert_int_eq(n, 1);
	store_tags_free(t, n);

	/* a purged id may be used again */
	insert_ca(st, ACCT1, 1, NULL);
	assert_int_eq(store_cert_count(st, f1.ca.id), 0);
	store_close(st);
}

static void
test_persist(void)
{
	char path[512];
	struct store *st = open_fresh("persist");
	struct ca_fixture f;
	struct store_ca got;
	struct store_cert cert;
	struct store_access_key key;
	struct store_access_key k = { 0 };

	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f);
	assert_int_eq(reserve(st, f.ca.id, "abcdef", 1), 0);
	assert_int_eq(store_cert_complete(st, f.ca.id, "abcdef", fake_der, sizeof(fake_der)), 0);
	k.id = "AKIAPERSISTPERSIST00";
	k.secret = "s3cret";
	memcpy(k.account_id, ACCT1, sizeof(k.account_id));
	assert_int_eq(store_access_key_put(st, &k), 0);
	store_close(st);

	assert_int_eq(store_open(db_path("persist", path, sizeof(path)), &st), 0);
	assert_int_eq(store_ca_get(st, f.ca.id, &got), 0);
	assert_str_eq(got.arn, f.arn);
	store_ca_clear(&got);
	assert_int_eq(store_cert_get(st, f.ca.id, "abcdef", &cert), 0);
	assert_int_eq(cert.status, STORE_CERT_ISSUED);
	assert_mem_eq(cert.der, fake_der, sizeof(fake_der));
	store_cert_clear(&cert);
	assert_int_eq(store_access_key_get(st, k.id, &key), 0);
	assert_str_eq(key.secret, "s3cret");
	store_access_key_clear(&key);
	/* and it still takes writes */
	assert_int_eq(reserve(st, f.ca.id, "abcdf0", 2), 0);
	store_close(st);
}

/* ---- concurrency --------------------------------------------------------------- */

struct load {
	struct store	*st;
	const char	*ca_id;
	unsigned	 thread;
	unsigned	 count;
	int		 complete;	/* reserve + complete, or reserve only */
	int		 dup_every;	/* also retry a taken serial every n */
	unsigned	 failures;
	unsigned	 dups_refused;
};

static void *
load_main(void *arg)
{
	struct load *l = arg;
	char serial[41];

	for (unsigned i = 0; i < l->count; i++) {
		snprintf(serial, sizeof(serial), "%04x%08x", l->thread, i);
		if (reserve(l->st, l->ca_id, serial, (int64_t)i) != 0 ||
		    (l->complete && store_cert_complete(l->st, l->ca_id, serial, fake_der,
		    sizeof(fake_der)) != 0))
			l->failures++;
		/* a failing job in the middle of a batch: only it is undone */
		if (l->dup_every > 0 && i % (unsigned)l->dup_every == 0) {
			if (reserve(l->st, l->ca_id, serial, (int64_t)i) == PCA_ERR_EXISTS)
				l->dups_refused++;
			else
				l->failures++;
		}
	}
	return NULL;
}

/* Run nthreads x per reserve(+complete); returns writes per second. */
static double
run_load(struct store *st, const char *ca_id, unsigned nthreads, unsigned per,
    int complete, int dup_every, unsigned thread_base, size_t *writes)
{
	pthread_t *tids;
	struct load *loads;
	uint64_t t0;
	double secs;
	size_t w = 0, failures = 0;

	assert_ptr_not_null(tids = calloc(nthreads, sizeof(*tids)));
	assert_ptr_not_null(loads = calloc(nthreads, sizeof(*loads)));
	t0 = clock_mono_ns();
	for (unsigned i = 0; i < nthreads; i++) {
		loads[i] = (struct load){ st, ca_id, thread_base + i, per, complete, dup_every, 0, 0 };
		assert_int_eq(pthread_create(&tids[i], NULL, load_main, &loads[i]), 0);
	}
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	secs = secs_since(t0);
	for (unsigned i = 0; i < nthreads; i++) {
		failures += loads[i].failures;
		w += (size_t)per * (complete ? 2 : 1) + loads[i].dups_refused;
	}
	free(tids);
	free(loads);
	assert_int_eq(failures, 0);
	*writes = w;
	return (double)w / secs;
}

static void
test_group_commit(void)
{
	struct store *st = open_fresh("concurrent");
	struct ca_fixture f;
	struct store_cert *list;
	size_t writes, commits0, commits, n;
	double rate1, rate16;

	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f);

	/* one thread: one commit (one fsync) per write */
	commits0 = store_commit_count(st);
	rate1 = run_load(st, f.ca.id, 1, 200, 1, 0, 1000, &writes);
	commits = store_commit_count(st) - commits0;
	test_diag("1 thread: %zu writes, %zu commits, %.0f writes/s", writes, commits, rate1);
	assert_int_eq(commits, writes);

	/* 16 threads: the writer batches whatever queued up meanwhile */
	commits0 = store_commit_count(st);
	rate16 = run_load(st, f.ca.id, 16, 200, 1, 20, 0, &writes);
	commits = store_commit_count(st) - commits0;
	test_diag("16 threads: %zu writes, %zu commits (%.1f writes per commit), "
	    "%.0f writes/s (%.1fx one thread)", writes, commits, (double)writes / (double)commits,
	    rate16, rate16 / rate1);
	assert_int_le(commits * 4, writes);

	/* every one of them is there, and issued */
	assert_int_eq(store_cert_count(st, f.ca.id), 200 + 16 * 200);
	assert_int_eq(store_cert_list_pending(st, 10, &list, &n), 0);
	assert_int_eq(n, 0);
	store_cert_list_free(list, n);
	store_close(st);
}

/* The main thread writes; a reader thread, woken right after each write
 * function returns, must see it. */
struct raw {
	struct store	*st;
	const char	*ca_id;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 written;	/* serial index written, -1 none yet */
	int		 checked;	/* serial index the reader verified */
	int		 misses;
	int		 stop;
};

static void *
raw_reader(void *arg)
{
	struct raw *x = arg;
	struct store_cert got;
	struct store_ca ca;
	char serial[16];
	int want;

	pthread_mutex_lock(&x->mu);
	for (;;) {
		while (x->written == x->checked && !x->stop)
			pthread_cond_wait(&x->cv, &x->mu);
		if (x->stop)
			break;
		want = x->written;
		pthread_mutex_unlock(&x->mu);

		snprintf(serial, sizeof(serial), "%06x", (unsigned)want);
		if (store_cert_get(x->st, x->ca_id, serial, &got) != 0)
			x->misses++;
		store_cert_clear(&got);
		if (store_ca_get(x->st, x->ca_id, &ca) != 0 || ca.version != want + 1)
			x->misses++;
		store_ca_clear(&ca);

		pthread_mutex_lock(&x->mu);
		x->checked = want;
		pthread_cond_broadcast(&x->cv);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

static void
test_read_after_write(void)
{
	struct store *st = open_fresh("raw");
	struct ca_fixture f;
	struct store_ca ca;
	struct raw x;
	pthread_t tid;
	char serial[16];

	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f);
	assert_int_eq(store_ca_get(st, f.ca.id, &ca), 0);
	memset(&x, 0, sizeof(x));
	x.st = st;
	x.ca_id = f.ca.id;
	x.written = x.checked = -1;
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.cv, NULL);
	assert_int_eq(pthread_create(&tid, NULL, raw_reader, &x), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(serial, sizeof(serial), "%06x", (unsigned)i);
		assert_int_eq(reserve(st, f.ca.id, serial, i), 0);
		assert_int_eq(store_ca_update(st, &ca), 0);
		pthread_mutex_lock(&x.mu);
		x.written = i;
		pthread_cond_broadcast(&x.cv);
		while (x.checked != i)
			pthread_cond_wait(&x.cv, &x.mu);
		pthread_mutex_unlock(&x.mu);
	}
	pthread_mutex_lock(&x.mu);
	x.stop = 1;
	pthread_cond_broadcast(&x.cv);
	pthread_mutex_unlock(&x.mu);
	pthread_join(tid, NULL);
	pthread_cond_destroy(&x.cv);
	pthread_mutex_destroy(&x.mu);
	store_ca_clear(&ca);
	assert_int_eq(x.misses, 0);
	store_close(st);
}

/* ---- start-up cost with many certificates ------------------------------------ */

static long
rss_kb(void)
{
	char *s = test_read_file("/proc/self/statm", NULL);
	long pages = 0, resident = 0;

	if (s != NULL && sscanf(s, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	free(s);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Open, and answer one point read and the pending scan: what a restarting
 * frontend does before it serves. */
static double
time_open(const char *path, const char *ca_id, long *rss_delta)
{
	struct store *st;
	struct store_cert got, *list;
	size_t n;
	uint64_t t0;
	double secs;
	long rss0 = rss_kb();

	t0 = clock_mono_ns();
	assert_int_eq(store_open(path, &st), 0);
	assert_int_eq(store_cert_get(st, ca_id, "000000000001", &got), 0);
	store_cert_clear(&got);
	assert_int_eq(store_cert_list_pending(st, 100, &list, &n), 0);
	store_cert_list_free(list, n);
	secs = secs_since(t0);
	*rss_delta = rss_kb() - rss0;
	store_close(st);
	return secs;
}

static void
test_startup_100k(void)
{
	char big[512], small[512];
	struct store *st;
	struct ca_fixture f;
	size_t writes;
	uint64_t t0;
	double rate, t_small, t_big;
	long rss_small, rss_big;
	const unsigned threads = 64, per = 100000 / 64 + 1;	/* >= 100,000 */

	/* the same CA, one certificate, in a small file */
	st = open_fresh("small");
	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f);
	assert_int_eq(reserve(st, f.ca.id, "000000000001", 1), 0);
	store_close(st);

	st = open_fresh("big");
	put_account(st, ACCT1);
	insert_ca(st, ACCT1, 1, &f);
	t0 = clock_mono_ns();
	rate = run_load(st, f.ca.id, threads, per, 0, 0, 0, &writes);
	test_diag("bulk: %zu certificates in %.2f s (%.0f/s, %zu commits)", writes,
	    secs_since(t0), rate, store_commit_count(st));
	assert_int_ge(writes, 100000);
	assert_int_eq(store_cert_count(st, f.ca.id), writes);
	store_close(st);

	db_path("small", small, sizeof(small));
	db_path("big", big, sizeof(big));
	t_small = time_open(small, f.ca.id, &rss_small);
	t_big = time_open(big, f.ca.id, &rss_big);
	test_diag("open + first reads: 1 cert %.2f ms (rss %+ld KiB), %zu certs %.2f ms "
	    "(rss %+ld KiB)", t_small * 1e3, rss_small, writes, t_big * 1e3, rss_big);
	/* no scan at start: a few ms either way, nowhere near reading 100k rows */
	assert_true(t_big < 0.25);
	assert_int_le(rss_big, 16 * 1024);
}

int
main(void)
{
	log_init("test_store", LOG_WARNING);	/* expected refusals still show */
	test_run("store/file_modes", test_file_modes);
	test_run("store/loose_mode_refused", test_loose_mode_refused);
	test_run("store/schema", test_schema);
	test_run("store/accounts", test_accounts);
	test_run("store/users", test_users);
	test_run("store/access_keys", test_access_keys);
	test_run("store/credentials_generation", test_credentials_generation);
	test_run("store/readers_bounded", test_readers_bounded);
	test_run("store/ca_insert_get", test_ca_insert_get);
	test_run("store/ca_update_version", test_ca_update_version);
	test_run("store/ca_list_paging", test_ca_list_paging);
	test_run("store/ca_list_purgeable_by_status", test_ca_list_purgeable_by_status);
	test_run("store/ca_insert_idem", test_ca_insert_idem);
	test_run("store/tags", test_tags);
	test_run("store/cert_lifecycle", test_cert_lifecycle);
	test_run("store/cert_idempotency", test_cert_idempotency);
	test_run("store/idem_claim", test_idem_claim);
	test_run("store/purge", test_purge);
	test_run("store/persist", test_persist);
	test_run("store/read_after_write", test_read_after_write);
	test_run("store/group_commit", test_group_commit);
	test_run("store/startup_100k", test_startup_100k);
	return test_done();
}
