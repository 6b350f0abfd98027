/*
 * test_store_acm.c - store_acm.h on store_sqlite_acm.c, on real SQLite
 * files in the test's tmpdir.
 *
 * As in test_store.c and test_store_iam.c nothing is mocked: every case
 * opens a fresh database, the file itself is read back byte for byte
 * (key blobs), older schemas are made with the sqlite3 C API, and the
 * concurrency case runs real threads against the real writer.
 */
#include "test.h"
#include "store.h"
#include "store_acm.h"
#include "err.h"
#include "log.h"
#include "wipe.h"

#include "acm.pb-c.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define ACCT1	"111122223333"
#define ACCT2	"444455556666"
#define ACCT3	"777788889999"

/* proto/acm.proto's numbers, short */
#define T_IMPORTED	PCA__API__ACM__CERTIFICATE_TYPE__CertificateType_IMPORTED
#define T_PRIVATE	PCA__API__ACM__CERTIFICATE_TYPE__CertificateType_PRIVATE
#define S_PENDING	PCA__API__ACM__CERTIFICATE_STATUS__CertificateStatus_PENDING_VALIDATION
#define S_ISSUED	PCA__API__ACM__CERTIFICATE_STATUS__CertificateStatus_ISSUED
#define S_EXPIRED	PCA__API__ACM__CERTIFICATE_STATUS__CertificateStatus_EXPIRED
#define S_REVOKED	PCA__API__ACM__CERTIFICATE_STATUS__CertificateStatus_REVOKED
#define S_FAILED	PCA__API__ACM__CERTIFICATE_STATUS__CertificateStatus_FAILED
#define A_RSA2048	PCA__API__ACM__KEY_ALGORITHM__KeyAlgorithm_RSA_2048
#define A_RSA4096	PCA__API__ACM__KEY_ALGORITHM__KeyAlgorithm_RSA_4096
#define A_EC256		PCA__API__ACM__KEY_ALGORITHM__KeyAlgorithm_EC_prime256v1
#define A_EC384		PCA__API__ACM__KEY_ALGORITHM__KeyAlgorithm_EC_secp384r1
#define R_SUCCESS	PCA__API__ACM__RENEWAL_STATUS__RenewalStatus_SUCCESS
#define R_FAILED	PCA__API__ACM__RENEWAL_STATUS__RenewalStatus_FAILED
#define F_ACCESS_DENIED	PCA__API__ACM__FAILURE_REASON__FailureReason_PCA_ACCESS_DENIED

#define DAY		86400
#define VALIDITY	(395 * DAY)
#define WINDOW		(60 * DAY)

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

/* Deterministic bytes: a different stream for each seed. */
static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 0x9e3779b9u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)(x >> 7);
	}
}

/* A certificate numbered n in account acct: PRIVATE, ISSUED, RSA_2048,
 * with a key; the caller changes fields. Pointers point into the fixture. */
struct cert_fixture {
	struct store_acm_cert	 c;
	char			 arn[160];
	char			 domain[64];
	char			 alt[64];
	char			*sans[2];
	char			 serial[64];
	char			 subject[80];
	uint8_t			 ct[1200];	/* an RSA-2048 PKCS#8, encrypted */
	uint8_t			 wk[40];	/* an AES-256 key, wrapped */
	char			 pem[4096];	/* large: the row spills to overflow pages */
};

static void
make_cert(const char *acct, unsigned n, struct cert_fixture *f)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	snprintf(f->c.id, sizeof(f->c.id), "00000000-0000-4000-8000-%012u", n);
	snprintf(f->c.account_id, sizeof(f->c.account_id), "%s", acct);
	snprintf(f->arn, sizeof(f->arn), "arn:aws:acm:us-east-1:%s:certificate/%s", acct,
	    f->c.id);
	snprintf(f->domain, sizeof(f->domain), "host%u.example.com", n);
	snprintf(f->alt, sizeof(f->alt), "alt%u.example.com", n);
	snprintf(f->serial, sizeof(f->serial), "0a:%02x:%02x", (n >> 8) & 0xff, n & 0xff);
	snprintf(f->subject, sizeof(f->subject), "CN=%s", f->domain);
	f->sans[0] = f->domain;
	f->sans[1] = f->alt;
	f->c.arn = f->arn;
	f->c.domain_name = f->domain;
	f->c.sans = f->sans;
	f->c.nsans = 2;
	f->c.ca_arn = "arn:aws:acm-pca:us-east-1:" ACCT1
	    ":certificate-authority/00000000-0000-4000-8000-00000000ca01";
	f->c.type = T_PRIVATE;
	f->c.status = S_ISSUED;
	f->c.key_algorithm = A_RSA2048;
	f->c.serial = f->serial;
	f->c.subject = f->subject;
	f->c.issuer = "CN=Test Issuing CA";
	f->c.signature_algorithm = "SHA256WITHRSA";
	f->c.not_before = 1000000;
	f->c.not_after = 1000000 + VALIDITY;
	memcpy(f->pem, "-----BEGIN CERTIFICATE-----\n", 28);
	for (i = 28; i < sizeof(f->pem) - 30; i++)
		f->pem[i] = (i % 65 == 64) ? '\n' : "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(i + n) % 26];
	memcpy(f->pem + i, "\n-----END CERTIFICATE-----\n", 27);
	f->c.cert_pem = f->pem;
	f->c.chain_pem = "-----BEGIN CERTIFICATE-----\nISSUER\n-----END CERTIFICATE-----\n";
	fill(f->ct, sizeof(f->ct), 1000 + n);
	fill(f->wk, sizeof(f->wk), 2000 + n);
	fill(f->c.key_iv, sizeof(f->c.key_iv), 3000 + n);
	fill(f->c.key_tag, sizeof(f->c.key_tag), 4000 + n);
	f->c.key_ciphertext = f->ct;
	f->c.key_ciphertext_len = sizeof(f->ct);
	f->c.wrapped_data_key = f->wk;
	f->c.wrapped_data_key_len = sizeof(f->wk);
	f->c.requested_by = "arn:aws:iam::" ACCT1 ":user/alice";
	f->c.created_at = 999000 + n;
	f->c.issued_at = 1000000;
}

static void
insert_cert(struct store *st, const char *acct, unsigned n, struct cert_fixture *f)
{
	make_cert(acct, n, f);
	assert_int_eq(store_acm_cert_insert(st, &f->c), 0);
}

/* Every field of got equals want's (version aside). */
static void
assert_cert_eq(const struct store_acm_cert *got, const struct store_acm_cert *want)
{
	size_t i;

	assert_str_eq(got->id, want->id);
	assert_str_eq(got->account_id, want->account_id);
	assert_str_eq(got->arn, want->arn);
	assert_str_eq(got->domain_name, want->domain_name);
	assert_int_eq(got->nsans, want->nsans);
	for (i = 0; i < want->nsans; i++)
		assert_str_eq(got->sans[i], want->sans[i]);
	if (want->nsans == 0)
		assert_ptr_null(got->sans);
#define OPT_STR_EQ(f) do { if (want->f == NULL) assert_ptr_null(got->f); \
	else assert_str_eq(got->f, want->f); } while (0)
	OPT_STR_EQ(ca_arn);
	OPT_STR_EQ(serial);
	OPT_STR_EQ(subject);
	OPT_STR_EQ(issuer);
	OPT_STR_EQ(signature_algorithm);
	OPT_STR_EQ(cert_pem);
	OPT_STR_EQ(chain_pem);
	OPT_STR_EQ(requested_by);
#undef OPT_STR_EQ
	assert_int_eq(got->type, want->type);
	assert_int_eq(got->status, want->status);
	assert_int_eq(got->key_algorithm, want->key_algorithm);
	assert_int_eq(got->not_before, want->not_before);
	assert_int_eq(got->not_after, want->not_after);
	assert_int_eq(got->key_ciphertext_len, want->key_ciphertext_len);
	assert_int_eq(got->wrapped_data_key_len, want->wrapped_data_key_len);
	if (want->key_ciphertext == NULL) {
		assert_ptr_null(got->key_ciphertext);
		assert_ptr_null(got->wrapped_data_key);
	} else {
		assert_mem_eq(got->key_ciphertext, want->key_ciphertext, want->key_ciphertext_len);
		assert_mem_eq(got->wrapped_data_key, want->wrapped_data_key,
		    want->wrapped_data_key_len);
	}
	assert_mem_eq(got->key_iv, want->key_iv, sizeof(want->key_iv));
	assert_mem_eq(got->key_tag, want->key_tag, sizeof(want->key_tag));
	assert_int_eq(got->exported_since_issue, want->exported_since_issue != 0);
	assert_int_eq(got->renewal_status, want->renewal_status);
	assert_int_eq(got->renewal_reason, want->renewal_reason);
	assert_int_eq(got->renewal_updated_at, want->renewal_updated_at);
	assert_int_eq(got->renewal_attempts, want->renewal_attempts);
	assert_int_eq(got->next_attempt_at, want->next_attempt_at);
	assert_int_eq(got->created_at, want->created_at);
	assert_int_eq(got->issued_at, want->issued_at);
	assert_int_eq(got->imported_at, want->imported_at);
}

/* Run SQL on the file with a connection of our own. */
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

/*
 * How many of the chunk-byte pieces of p[0..n) (at 0, chunk, 2 chunk...)
 * occur in the file, read after the store closed (the WAL is then
 * checkpointed into it and removed). Pieces, because a blob that spills
 * to overflow pages is cut by their headers: all of them but one present
 * is "stored", none is "no trace".
 */
static size_t
file_chunks(const char *name, const uint8_t *p, size_t n, size_t chunk)
{
	char path[512];
	uint8_t *data;
	size_t len, off, found = 0;

	db_path(name, path, sizeof(path));
	assert_ptr_not_null(data = (uint8_t *)test_read_file(path, &len));
	for (off = 0; off + chunk <= n; off += chunk)
		if (memmem(data, len, p + off, chunk) != NULL)
			found++;
	free(data);
	return found;
}
#define STORED(name, p, n, chunk) \
	assert_int_ge(file_chunks((name), (p), (n), (chunk)), (n) / (chunk) - 1)
#define NO_TRACE(name, p, n, chunk) \
	assert_int_eq(file_chunks((name), (p), (n), (chunk)), 0)

static int
wal_exists(const char *name)
{
	char path[512], wal[600];

	snprintf(wal, sizeof(wal), "%s-wal", db_path(name, path, sizeof(path)));
	return access(wal, F_OK) == 0;
}

/* ---- certificates ------------------------------------------------------- */

static void
test_insert_get(void)
{
	struct store *st = open_db("insert_get");
	struct cert_fixture f, g;
	struct store_acm_cert got;
	char *odd_sans[3] = { "h\xc3\xa9llo.example.com", "quote\"back\\slash", "" };
	char *bad_sans[1] = { "bad\xff.example.com" };

	put_account(st, ACCT1);
	insert_cert(st, ACCT1, 1, &f);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &got), 0);
	assert_cert_eq(&got, &f.c);
	assert_int_eq(got.version, 1);
	store_acm_cert_clear(&got);

	/* taken: the id, or the ARN under another id */
	assert_int_eq(store_acm_cert_insert(st, &f.c), PCA_ERR_EXISTS);
	make_cert(ACCT1, 2, &g);
	g.c.arn = f.arn;
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_EXISTS);
	/* no such account */
	make_cert(ACCT2, 3, &g);
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_NOT_FOUND);

	/* missing or inconsistent fields */
	make_cert(ACCT1, 4, &g);
	g.c.arn = NULL;
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_INVALID);
	make_cert(ACCT1, 4, &g);
	g.c.domain_name = NULL;
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_INVALID);
	make_cert(ACCT1, 4, &g);
	g.c.id[0] = '\0';
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_INVALID);
	make_cert(ACCT1, 4, &g);
	g.sans[1] = NULL;
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_INVALID);
	make_cert(ACCT1, 4, &g);
	g.c.sans = NULL;
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_INVALID);
	make_cert(ACCT1, 4, &g);
	g.c.sans = bad_sans;
	g.c.nsans = 1;
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_INVALID);
	make_cert(ACCT1, 4, &g);
	g.c.wrapped_data_key = NULL;		/* half a key */
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_INVALID);
	make_cert(ACCT1, 4, &g);
	g.c.key_ciphertext = NULL;
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_INVALID);
	make_cert(ACCT1, 4, &g);
	g.c.key_ciphertext_len = 0;
	assert_int_eq(store_acm_cert_insert(st, &g.c), PCA_ERR_INVALID);
	assert_int_eq(store_acm_cert_get(st, g.c.id, &got), PCA_ERR_NOT_FOUND);

	/* the smallest certificate: no key, no SANs, no PEMs (a request just
	 * recorded); and SANs that need escaping */
	make_cert(ACCT1, 5, &g);
	g.c.nsans = 0;
	g.c.sans = NULL;
	g.c.key_ciphertext = NULL;
	g.c.key_ciphertext_len = 0;
	g.c.wrapped_data_key = NULL;
	g.c.wrapped_data_key_len = 0;
	memset(g.c.key_iv, 0, sizeof(g.c.key_iv));
	memset(g.c.key_tag, 0, sizeof(g.c.key_tag));
	g.c.ca_arn = g.c.serial = g.c.subject = g.c.issuer = NULL;
	g.c.signature_algorithm = g.c.cert_pem = g.c.chain_pem = g.c.requested_by = NULL;
	g.c.status = S_PENDING;
	g.c.not_before = g.c.not_after = g.c.issued_at = 0;
	g.c.version = 77;			/* ignored */
	assert_int_eq(store_acm_cert_insert(st, &g.c), 0);
	assert_int_eq(store_acm_cert_get(st, g.c.id, &got), 0);
	assert_cert_eq(&got, &g.c);
	assert_int_eq(got.version, 1);
	store_acm_cert_clear(&got);

	make_cert(ACCT1, 6, &g);
	g.c.sans = odd_sans;
	g.c.nsans = 3;
	g.c.type = T_IMPORTED;
	g.c.ca_arn = NULL;
	g.c.imported_at = 123456;
	assert_int_eq(store_acm_cert_insert(st, &g.c), 0);
	assert_int_eq(store_acm_cert_get(st, g.c.id, &got), 0);
	assert_cert_eq(&got, &g.c);
	store_acm_cert_clear(&got);

	assert_int_eq(store_acm_cert_get(st, "00000000-0000-4000-8000-999999999999", &got),
	    PCA_ERR_NOT_FOUND);
	assert_ptr_null(got.arn);
	store_close(st);
}

static void
test_update_version(void)
{
	struct store *st = open_db("update");
	struct cert_fixture f, g;
	struct store_acm_cert a, b, got;
	uint8_t ct2[700], wk2[48];

	put_account(st, ACCT1);
	insert_cert(st, ACCT1, 1, &f);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &a), 0);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &b), 0);

	/* export: a changes it first */
	a.exported_since_issue = 1;
	assert_int_eq(store_acm_cert_update(st, &a), 0);
	assert_int_eq(a.version, 2);
	/* b read version 1: stale */
	b.status = S_REVOKED;
	assert_int_eq(store_acm_cert_update(st, &b), PCA_ERR_STATE);
	assert_int_eq(b.version, 1);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &got), 0);
	assert_int_eq(got.version, 2);
	assert_int_eq(got.status, S_ISSUED);
	assert_int_eq(got.exported_since_issue, 1);
	store_acm_cert_clear(&got);
	store_acm_cert_clear(&b);

	/* renewal: new key, serial, validity, renewal state; identity and
	 * created_at are not written even when the caller changes them */
	fill(ct2, sizeof(ct2), 77);
	fill(wk2, sizeof(wk2), 78);
	free_wiped(a.key_ciphertext, a.key_ciphertext_len);
	free_wiped(a.wrapped_data_key, a.wrapped_data_key_len);
	a.key_ciphertext = ct2;
	a.key_ciphertext_len = sizeof(ct2);
	a.wrapped_data_key = wk2;
	a.wrapped_data_key_len = sizeof(wk2);
	fill(a.key_iv, sizeof(a.key_iv), 79);
	fill(a.key_tag, sizeof(a.key_tag), 80);
	free(a.serial);
	a.serial = strdup("0b:01");
	a.not_after += VALIDITY;
	a.exported_since_issue = 0;
	a.renewal_status = R_SUCCESS;
	a.renewal_updated_at = 5555;
	a.renewal_attempts = 0;
	free(a.arn);
	a.arn = strdup("arn:aws:acm:us-east-1:" ACCT1 ":certificate/other");
	a.created_at = 1;
	assert_int_eq(store_acm_cert_update(st, &a), 0);
	assert_int_eq(a.version, 3);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &got), 0);
	assert_int_eq(got.version, 3);
	assert_str_eq(got.arn, f.arn);
	assert_int_eq(got.created_at, f.c.created_at);
	free(a.arn);
	a.arn = strdup(f.arn);
	a.created_at = f.c.created_at;
	assert_cert_eq(&got, &a);
	store_acm_cert_clear(&got);

	/* an update that would leave half a key changes nothing */
	a.wrapped_data_key = NULL;
	assert_int_eq(store_acm_cert_update(st, &a), PCA_ERR_INVALID);
	assert_int_eq(a.version, 3);
	a.key_ciphertext = NULL;		/* ct2 and wk2 are ours */
	store_acm_cert_clear(&a);

	/* gone */
	make_cert(ACCT1, 2, &g);
	g.c.version = 1;
	assert_int_eq(store_acm_cert_update(st, &g.c), PCA_ERR_NOT_FOUND);
	assert_int_eq(g.c.version, 1);
	store_close(st);
}

static void
test_delete(void)
{
	struct store *st = open_db("delete");
	struct cert_fixture f, g;
	struct store_acm_cert got;
	struct store_tag tag = { "env", "prod" }, *tags = NULL;
	struct store_renewal_event e, *ev = NULL;
	size_t n = 0;

	put_account(st, ACCT1);
	insert_cert(st, ACCT1, 1, &f);
	insert_cert(st, ACCT1, 2, &g);
	assert_int_eq(store_acm_tags_put(st, f.c.id, &tag, 1, 50), 0);
	assert_int_eq(store_acm_tags_put(st, g.c.id, &tag, 1, 50), 0);
	memset(&e, 0, sizeof(e));
	memcpy(e.cert_id, f.c.id, sizeof(e.cert_id));
	memcpy(e.account_id, ACCT1, sizeof(e.account_id));
	e.renewal_status = R_SUCCESS;
	assert_int_eq(store_renewal_event_append(st, &e), 0);
	memcpy(e.cert_id, g.c.id, sizeof(e.cert_id));
	assert_int_eq(store_renewal_event_append(st, &e), 0);

	assert_int_eq(store_acm_cert_delete(st, f.c.id), 0);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_acm_cert_delete(st, f.c.id), PCA_ERR_NOT_FOUND);
	/* its tags and events went with it; the other's stayed */
	assert_int_eq(store_acm_tags_list(st, f.c.id, &tags, &n), PCA_ERR_NOT_FOUND);
	assert_int_eq(raw_int("delete", "SELECT count(*) FROM acm_tags"), 1);
	assert_int_eq(store_renewal_event_list(st, ACCT1, NULL, 0, 100, &ev, &n), 0);
	assert_int_eq(n, 1);
	assert_str_eq(ev[0].cert_id, g.c.id);
	store_renewal_event_list_free(ev, n);
	assert_int_eq(store_acm_cert_get(st, g.c.id, &got), 0);
	store_acm_cert_clear(&got);
	/* the id is free again */
	assert_int_eq(store_acm_cert_insert(st, &f.c), 0);
	assert_int_eq(store_acm_tags_list(st, f.c.id, &tags, &n), 0);
	assert_int_eq(n, 0);
	assert_ptr_null(tags);
	store_close(st);
}

static void
test_clear(void)
{
	struct store *st = open_db("clear");
	struct cert_fixture f;
	struct store_acm_cert got, zero;

	put_account(st, ACCT1);
	insert_cert(st, ACCT1, 1, &f);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &got), 0);
	store_acm_cert_clear(&got);
	memset(&zero, 0, sizeof(zero));
	assert_mem_eq(&got, &zero, sizeof(zero));	/* iv and tag too */
	store_acm_cert_clear(&got);			/* twice is fine */
	store_acm_cert_clear(NULL);
	store_acm_cert_list_free(NULL, 3);
	store_renewal_event_list_free(NULL, 3);
	store_close(st);
}

/* ---- lists ---------------------------------------------------------------- */

/* ids of a list, as their fixture numbers (the last 12 digits) */
static void
assert_ids(const struct store_acm_cert *l, size_t n, const unsigned *want, size_t nwant)
{
	size_t i;

	assert_int_eq(n, nwant);
	for (i = 0; i < n; i++)
		assert_int_eq(strtoul(l[i].id + 24, NULL, 10), want[i]);
}

static void
test_list_filters_paging(void)
{
	struct store *st = open_db("list");
	struct cert_fixture f;
	struct store_acm_cert *l = NULL;
	size_t n = 0, total, i;
	char after[STORE_ACM_ID_LEN + 1];
	static const int statuses[] = { S_ISSUED, S_PENDING, S_EXPIRED, S_FAILED };
	static const int algs[] = { A_RSA2048, A_EC256, A_EC384 };
	int want_issued[] = { S_ISSUED }, want_alg[] = { A_EC256, A_EC384 };
	int want_two[] = { S_PENDING, S_FAILED }, bad[] = { 0 }, bad2[] = { 63 };
	unsigned expect[20];
	size_t nexpect;

	put_account(st, ACCT1);
	put_account(st, ACCT2);
	/* 12 in ACCT1 inserted out of id order, 3 in ACCT2 */
	for (i = 0; i < 12; i++) {
		unsigned num = (unsigned)((i * 5) % 12) + 1;

		make_cert(ACCT1, num, &f);
		f.c.status = statuses[num % 4];
		f.c.key_algorithm = algs[num % 3];
		assert_int_eq(store_acm_cert_insert(st, &f.c), 0);
	}
	for (i = 0; i < 3; i++)
		insert_cert(st, ACCT2, 100 + (unsigned)i, &f);

	/* everything, by id */
	assert_int_eq(store_acm_cert_list(st, ACCT1, NULL, 0, NULL, 0, NULL, 100, &l, &n), 0);
	for (i = 0; i < 12; i++)
		expect[i] = (unsigned)i + 1;
	assert_ids(l, n, expect, 12);
	/* whole rows, key included */
	assert_int_eq(l[0].key_ciphertext_len, sizeof(f.ct));
	assert_int_eq(l[0].nsans, 2);
	assert_int_eq(l[0].version, 1);
	store_acm_cert_list_free(l, n);

	/* pages of 5: 5, 5, 2, then nothing */
	total = 0;
	after[0] = '\0';
	for (int page = 0; page < 4; page++) {
		assert_int_eq(store_acm_cert_list(st, ACCT1, NULL, 0, NULL, 0,
		    page == 0 ? NULL : after, 5, &l, &n), 0);
		assert_int_eq(n, page < 2 ? 5 : page == 2 ? 2 : 0);
		for (i = 0; i < n; i++)
			assert_int_eq(strtoul(l[i].id + 24, NULL, 10), total + i + 1);
		total += n;
		if (n > 0)
			memcpy(after, l[n - 1].id, sizeof(after));
		store_acm_cert_list_free(l, n);
	}
	assert_int_eq(total, 12);
	/* a position whose certificate is gone still pages on */
	make_cert(ACCT1, 6, &f);
	assert_int_eq(store_acm_cert_delete(st, f.c.id), 0);
	assert_int_eq(store_acm_cert_list(st, ACCT1, NULL, 0, NULL, 0, f.c.id, 2, &l, &n), 0);
	expect[0] = 7;
	expect[1] = 8;
	assert_ids(l, n, expect, 2);
	store_acm_cert_list_free(l, n);
	f.c.status = statuses[6 % 4];
	f.c.key_algorithm = algs[6 % 3];
	assert_int_eq(store_acm_cert_insert(st, &f.c), 0);

	/* status filter: ISSUED are num % 4 == 0 */
	assert_int_eq(store_acm_cert_list(st, ACCT1, want_issued, 1, NULL, 0, NULL, 100,
	    &l, &n), 0);
	expect[0] = 4;
	expect[1] = 8;
	expect[2] = 12;
	assert_ids(l, n, expect, 3);
	store_acm_cert_list_free(l, n);
	/* two statuses: PENDING (num % 4 == 1) or FAILED (num % 4 == 3) */
	assert_int_eq(store_acm_cert_list(st, ACCT1, want_two, 2, NULL, 0, NULL, 100,
	    &l, &n), 0);
	nexpect = 0;
	for (i = 1; i <= 12; i++)
		if (i % 4 == 1 || i % 4 == 3)
			expect[nexpect++] = (unsigned)i;
	assert_ids(l, n, expect, nexpect);
	store_acm_cert_list_free(l, n);
	/* key algorithm filter: EC (num % 3 != 0) */
	assert_int_eq(store_acm_cert_list(st, ACCT1, NULL, 0, want_alg, 2, NULL, 100,
	    &l, &n), 0);
	nexpect = 0;
	for (i = 1; i <= 12; i++)
		if (i % 3 != 0)
			expect[nexpect++] = (unsigned)i;
	assert_ids(l, n, expect, nexpect);
	store_acm_cert_list_free(l, n);
	/* both, paged by 1 */
	nexpect = 0;
	for (i = 1; i <= 12; i++)
		if ((i % 4 == 1 || i % 4 == 3) && i % 3 != 0)
			expect[nexpect++] = (unsigned)i;
	after[0] = '\0';
	for (i = 0; i <= nexpect; i++) {
		assert_int_eq(store_acm_cert_list(st, ACCT1, want_two, 2, want_alg, 2,
		    i == 0 ? NULL : after, 1, &l, &n), 0);
		if (i == nexpect) {
			assert_int_eq(n, 0);
			break;
		}
		assert_ids(l, n, &expect[i], 1);
		memcpy(after, l[0].id, sizeof(after));
		store_acm_cert_list_free(l, n);
	}
	/* values outside 1..62 */
	assert_int_eq(store_acm_cert_list(st, ACCT1, bad, 1, NULL, 0, NULL, 100, &l, &n),
	    PCA_ERR_INVALID);
	assert_int_eq(store_acm_cert_list(st, ACCT1, NULL, 0, bad2, 1, NULL, 100, &l, &n),
	    PCA_ERR_INVALID);
	assert_ptr_null(l);
	assert_int_eq(n, 0);
	/* the other account, an empty one, limit 0 */
	assert_int_eq(store_acm_cert_list(st, ACCT2, NULL, 0, NULL, 0, NULL, 100, &l, &n), 0);
	expect[0] = 100;
	expect[1] = 101;
	expect[2] = 102;
	assert_ids(l, n, expect, 3);
	store_acm_cert_list_free(l, n);
	assert_int_eq(store_acm_cert_list(st, ACCT3, NULL, 0, NULL, 0, NULL, 100, &l, &n), 0);
	assert_int_eq(n, 0);
	assert_int_eq(store_acm_cert_list(st, ACCT1, NULL, 0, NULL, 0, NULL, 0, &l, &n), 0);
	assert_int_eq(n, 0);
	store_close(st);
}

static void
test_list_due(void)
{
	const int64_t now = 50000000;
	struct store *st = open_db("due");
	struct cert_fixture f;
	struct store_acm_cert *l = NULL, cur;
	size_t n = 0;
	unsigned expect[8];

	put_account(st, ACCT1);
	put_account(st, ACCT2);
#define DUE(num, acct, exp_at, tweak) do { make_cert((acct), (num), &f); \
	f.c.exported_since_issue = 1; f.c.not_after = (exp_at); tweak; \
	assert_int_eq(store_acm_cert_insert(st, &f.c), 0); } while (0)
	/* due: inside the window, exported, backed off until now at most */
	DUE(1, ACCT1, now + 10 * DAY, (void)0);
	DUE(2, ACCT2, now + 5 * DAY, (void)0);			/* any account */
	DUE(3, ACCT1, now + WINDOW, (void)0);			/* the window's edge */
	DUE(4, ACCT1, now + 1, f.c.next_attempt_at = now);	/* back-off just over */
	/* not due */
	DUE(10, ACCT1, now + WINDOW + 1, (void)0);		/* not yet */
	DUE(11, ACCT1, now + DAY, f.c.exported_since_issue = 0);
	DUE(12, ACCT1, now + DAY, f.c.next_attempt_at = now + 3600);	/* backing off */
	DUE(13, ACCT1, now + DAY, f.c.type = T_IMPORTED);
	DUE(14, ACCT1, now + DAY, f.c.status = S_EXPIRED);
	DUE(15, ACCT1, now + DAY, f.c.status = S_PENDING);
	DUE(16, ACCT1, now, (void)0);				/* expired */
	DUE(17, ACCT1, now - DAY, (void)0);
#undef DUE

	assert_int_eq(store_acm_cert_list_due(st, now, WINDOW, 0, NULL, 100, &l, &n), 0);
	expect[0] = 4;		/* by not_after */
	expect[1] = 2;
	expect[2] = 1;
	expect[3] = 3;
	assert_ids(l, n, expect, 4);
	assert_int_eq(l[0].key_ciphertext_len, sizeof(f.ct));
	store_acm_cert_list_free(l, n);
	assert_int_eq(store_acm_cert_list_due(st, now, WINDOW, 0, NULL, 2, &l, &n), 0);
	assert_ids(l, n, expect, 2);
	/* the next page from after the last row read: 1 and 3, then nothing */
	{
		int64_t na = l[1].not_after;
		char id[STORE_ACM_ID_LEN + 1];
		struct store_acm_cert *l2 = NULL;
		size_t n2 = 0;

		snprintf(id, sizeof(id), "%s", l[1].id);
		store_acm_cert_list_free(l, n);
		assert_int_eq(store_acm_cert_list_due(st, now, WINDOW, na, id, 2, &l2, &n2), 0);
		assert_ids(l2, n2, expect + 2, 2);
		na = l2[1].not_after;
		snprintf(id, sizeof(id), "%s", l2[1].id);
		store_acm_cert_list_free(l2, n2);
		assert_int_eq(store_acm_cert_list_due(st, now, WINDOW, na, id, 2, &l2, &n2), 0);
		assert_int_eq(n2, 0);
		/* a cursor between rows of one not_after: the ties after its id */
		make_cert(ACCT1, 1, &f);
		assert_int_eq(store_acm_cert_list_due(st, now, WINDOW, now + 10 * DAY, "", 100,
		    &l2, &n2), 0);
		assert_ids(l2, n2, expect + 2, 2);	/* 1 (id > ""), then 3 */
		store_acm_cert_list_free(l2, n2);
		assert_int_eq(store_acm_cert_list_due(st, now, WINDOW, now + 10 * DAY, f.c.id, 100,
		    &l2, &n2), 0);
		assert_ids(l2, n2, expect + 3, 1);
		store_acm_cert_list_free(l2, n2);
	}

	/* an hour later 12 is back; exporting 11 makes it eligible; a failed
	 * attempt backs 1 off */
	make_cert(ACCT1, 11, &f);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &cur), 0);
	cur.exported_since_issue = 1;
	assert_int_eq(store_acm_cert_update(st, &cur), 0);
	store_acm_cert_clear(&cur);
	make_cert(ACCT1, 1, &f);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &cur), 0);
	cur.renewal_status = R_FAILED;
	cur.renewal_reason = F_ACCESS_DENIED;
	cur.renewal_attempts = 1;
	cur.next_attempt_at = now + 7200;
	assert_int_eq(store_acm_cert_update(st, &cur), 0);
	store_acm_cert_clear(&cur);
	/* also: 4 has expired meanwhile, 10 entered the window */
	assert_int_eq(store_acm_cert_list_due(st, now + 3600, WINDOW, 0, NULL, 100, &l, &n), 0);
	expect[0] = 11;		/* ties by id */
	expect[1] = 12;
	expect[2] = 2;
	expect[3] = 3;
	expect[4] = 10;
	assert_ids(l, n, expect, 5);
	store_acm_cert_list_free(l, n);

	/* a renewal done (not exported since) leaves the list */
	make_cert(ACCT1, 4, &f);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &cur), 0);
	cur.exported_since_issue = 0;
	cur.not_after += VALIDITY;
	assert_int_eq(store_acm_cert_update(st, &cur), 0);
	store_acm_cert_clear(&cur);
	assert_int_eq(store_acm_cert_list_due(st, now, WINDOW, 0, NULL, 100, &l, &n), 0);
	expect[0] = 11;
	expect[1] = 2;
	expect[2] = 3;
	assert_ids(l, n, expect, 3);
	store_acm_cert_list_free(l, n);

	/* extreme windows neither overflow nor fail */
	assert_int_eq(store_acm_cert_list_due(st, now, INT64_MAX, 0, NULL, 100, &l, &n), 0);
	assert_int_eq(n, 4);			/* 2, 3, 10, 11 */
	store_acm_cert_list_free(l, n);
	assert_int_eq(store_acm_cert_list_due(st, now, INT64_MIN, 0, NULL, 100, &l, &n), 0);
	assert_int_eq(n, 0);
	assert_int_eq(store_acm_cert_list_due(st, now, 0, 0, NULL, 100, &l, &n), 0);
	assert_int_eq(n, 0);
	/* the partial index serves the query */
	{
		char path[512];
		sqlite3 *db;
		sqlite3_stmt *s;
		int used = 0;

		assert_int_eq(sqlite3_open(db_path("due", path, sizeof(path)), &db), SQLITE_OK);
		assert_int_eq(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT id FROM acm_certs "
		    "WHERE type = 3 AND status = 2 AND exported_since_issue = 1 "
		    "AND not_after <= 5 AND not_after > 1 AND (not_after, id) > (2, 'x') "
		    "AND next_attempt_at <= 1 ORDER BY not_after, id LIMIT 10", -1, &s, NULL),
		    SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW)
			if (strstr((const char *)sqlite3_column_text(s, 3), "acm_certs_due"))
				used = 1;
		sqlite3_finalize(s);
		sqlite3_close(db);
		assert_true(used);
	}
	store_close(st);
}

/* ---- tags -------------------------------------------------------------------- */

static void
test_tags(void)
{
	struct store *st = open_db("tags");
	struct cert_fixture f, g;
	struct store_tag *tags = NULL;
	size_t n = 0;
	struct store_tag t1[] = { { "b", "2" }, { "a", "1" }, { "c", NULL } };
	struct store_tag t2[] = { { "a", "one" }, { "d", "4" } };
	struct store_tag over[] = { { "e", "5" }, { "a", "uno" } };
	struct store_tag rm[] = { { "a", "wrong" }, { "b", NULL }, { "d", "4" }, { "zz", NULL } };
	struct store_tag nullkey[] = { { NULL, "x" } };
	const char *missing = "00000000-0000-4000-8000-999999999999";

	put_account(st, ACCT1);
	insert_cert(st, ACCT1, 1, &f);
	insert_cert(st, ACCT1, 2, &g);
	assert_int_eq(store_acm_tags_list(st, f.c.id, &tags, &n), 0);
	assert_int_eq(n, 0);

	assert_int_eq(store_acm_tags_put(st, f.c.id, t1, 3, 4), 0);
	/* overwriting a does not count twice: a b c d = 4 */
	assert_int_eq(store_acm_tags_put(st, f.c.id, t2, 2, 4), 0);
	assert_int_eq(store_acm_tags_list(st, f.c.id, &tags, &n), 0);
	assert_int_eq(n, 4);
	assert_str_eq(tags[0].key, "a");
	assert_str_eq(tags[0].value, "one");
	assert_str_eq(tags[1].key, "b");
	assert_str_eq(tags[2].key, "c");
	assert_ptr_null(tags[2].value);
	assert_str_eq(tags[3].key, "d");
	store_tags_free(tags, n);
	/* a fifth would exceed 4: nothing written, not even the overwrite */
	assert_int_eq(store_acm_tags_put(st, f.c.id, over, 2, 4), PCA_ERR_TOO_LARGE);
	assert_int_eq(store_acm_tags_list(st, f.c.id, &tags, &n), 0);
	assert_int_eq(n, 4);
	assert_str_eq(tags[0].value, "one");
	store_tags_free(tags, n);
	/* the limit is per certificate */
	assert_int_eq(store_acm_tags_put(st, g.c.id, t1, 3, 3), 0);

	/* remove: a only with its value, b whatever, d with its value */
	assert_int_eq(store_acm_tags_remove(st, f.c.id, rm, 4), 0);
	assert_int_eq(store_acm_tags_list(st, f.c.id, &tags, &n), 0);
	assert_int_eq(n, 2);
	assert_str_eq(tags[0].key, "a");
	assert_str_eq(tags[1].key, "c");
	store_tags_free(tags, n);
	assert_int_eq(store_acm_tags_list(st, g.c.id, &tags, &n), 0);
	assert_int_eq(n, 3);
	store_tags_free(tags, n);

	/* errors */
	assert_int_eq(store_acm_tags_put(st, missing, t1, 1, 50), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_acm_tags_put(st, missing, NULL, 0, 50), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_acm_tags_remove(st, missing, t1, 1), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_acm_tags_list(st, missing, &tags, &n), PCA_ERR_NOT_FOUND);
	assert_ptr_null(tags);
	assert_int_eq(store_acm_tags_put(st, f.c.id, nullkey, 1, 50), PCA_ERR_INVALID);
	assert_int_eq(store_acm_tags_remove(st, f.c.id, nullkey, 1), PCA_ERR_INVALID);
	store_close(st);
}

/* ---- renewal events ------------------------------------------------------------ */

static void
event_fixture(struct store_renewal_event *e, const char *cert_id, const char *acct,
    int64_t at, int status)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->cert_id, sizeof(e->cert_id), "%s", cert_id);
	snprintf(e->account_id, sizeof(e->account_id), "%s", acct);
	e->at = at;
	e->renewal_status = status;
	if (status == R_FAILED) {
		e->reason = F_ACCESS_DENIED;
		e->detail = "the CA has not granted acm.amazonaws.com";
	} else {
		e->new_serial = "0c:0d";
	}
}

static void
test_events(void)
{
	struct store *st = open_db("events");
	static const char owner[] = "fgfhfgffgh";	/* f: 5 events, g: 3, h: 2 */
	struct cert_fixture f, g, h;
	struct store_renewal_event e, *ev = NULL;
	size_t n = 0, i, total;
	int64_t after, last;

	put_account(st, ACCT1);
	put_account(st, ACCT2);
	insert_cert(st, ACCT1, 1, &f);
	insert_cert(st, ACCT1, 2, &g);
	insert_cert(st, ACCT2, 3, &h);
	for (i = 0; i < 10; i++) {
		const struct cert_fixture *x = owner[i] == 'f' ? &f : owner[i] == 'g' ? &g : &h;

		event_fixture(&e, x->c.id, x->c.account_id, 100 + (int64_t)i,
		    i % 3 == 0 ? R_SUCCESS : R_FAILED);
		e.seq = 999;			/* ignored */
		assert_int_eq(store_renewal_event_append(st, &e), 0);
	}

	/* the account: f's and g's, oldest first, seq increasing */
	assert_int_eq(store_renewal_event_list(st, ACCT1, NULL, 0, 100, &ev, &n), 0);
	assert_int_eq(n, 8);
	last = 0;
	for (i = 0; i < n; i++) {
		assert_true(ev[i].seq > last);
		last = ev[i].seq;
		assert_str_eq(ev[i].account_id, ACCT1);
		assert_true(i == 0 || ev[i].at > ev[i - 1].at);
	}
	assert_int_eq(ev[0].at, 100);
	assert_int_eq(ev[0].renewal_status, R_SUCCESS);
	assert_str_eq(ev[0].new_serial, "0c:0d");
	assert_ptr_null(ev[0].detail);
	assert_int_eq(ev[1].renewal_status, R_FAILED);
	assert_int_eq(ev[1].reason, F_ACCESS_DENIED);
	assert_str_eq(ev[1].detail, "the CA has not granted acm.amazonaws.com");
	assert_ptr_null(ev[1].new_serial);
	store_renewal_event_list_free(ev, n);

	/* one certificate, in pages of 2 */
	total = 0;
	after = 0;
	for (;;) {
		assert_int_eq(store_renewal_event_list(st, ACCT1, f.c.id, after, 2, &ev, &n), 0);
		for (i = 0; i < n; i++) {
			assert_str_eq(ev[i].cert_id, f.c.id);
			assert_true(ev[i].seq > after);
			after = ev[i].seq;
		}
		total += n;
		store_renewal_event_list_free(ev, n);
		if (n < 2)
			break;
	}
	assert_int_eq(total, 5);
	assert_int_eq(store_renewal_event_list(st, ACCT1, g.c.id, 0, 100, &ev, &n), 0);
	assert_int_eq(n, 3);
	store_renewal_event_list_free(ev, n);
	assert_int_eq(store_renewal_event_list(st, ACCT2, NULL, 0, 100, &ev, &n), 0);
	assert_int_eq(n, 2);
	store_renewal_event_list_free(ev, n);
	/* another account's certificate shows nothing */
	assert_int_eq(store_renewal_event_list(st, ACCT2, f.c.id, 0, 100, &ev, &n), 0);
	assert_int_eq(n, 0);
	assert_ptr_null(ev);
	assert_int_eq(store_renewal_event_list(st, ACCT1, NULL, 0, 0, &ev, &n), 0);
	assert_int_eq(n, 0);

	/* a certificate of another account, or none */
	event_fixture(&e, h.c.id, ACCT1, 200, R_SUCCESS);
	assert_int_eq(store_renewal_event_append(st, &e), PCA_ERR_NOT_FOUND);
	event_fixture(&e, "00000000-0000-4000-8000-999999999999", ACCT1, 200, R_SUCCESS);
	assert_int_eq(store_renewal_event_append(st, &e), PCA_ERR_NOT_FOUND);
	event_fixture(&e, f.c.id, ACCT1, 200, R_SUCCESS);
	e.account_id[0] = '\0';
	assert_int_eq(store_renewal_event_append(st, &e), PCA_ERR_INVALID);

	/* numbers are never reused, even after the last events go */
	assert_int_eq(store_renewal_event_list(st, ACCT2, NULL, 0, 100, &ev, &n), 0);
	last = ev[n - 1].seq;
	store_renewal_event_list_free(ev, n);
	assert_int_eq(store_acm_cert_delete(st, h.c.id), 0);
	assert_int_eq(store_acm_cert_delete(st, f.c.id), 0);
	assert_int_eq(store_acm_cert_delete(st, g.c.id), 0);
	insert_cert(st, ACCT2, 3, &h);
	event_fixture(&e, h.c.id, ACCT2, 300, R_SUCCESS);
	assert_int_eq(store_renewal_event_append(st, &e), 0);
	assert_int_eq(store_renewal_event_list(st, ACCT2, NULL, 0, 100, &ev, &n), 0);
	assert_int_eq(n, 1);
	assert_true(ev[0].seq > last);
	store_renewal_event_list_free(ev, n);
	store_close(st);
}

/* ---- key material on disk ---------------------------------------------------- */

/*
 * The store stores what it is given: the ciphertext and the wrapped key
 * are in the file byte for byte, and a plaintext key the caller never
 * passed is not (the store has no way to make one). Rewriting or deleting
 * the row leaves no copy of an old ciphertext on freed pages.
 */
static void
test_key_bytes(void)
{
	char path[512];
	struct store *st;
	struct cert_fixture f, g;
	struct store_acm_cert got;
	uint8_t plaintext[1190], ct2[1200], wk2[40];

	/* "the PKCS#8 DER": made here, handed to nobody */
	fill(plaintext, sizeof(plaintext), 0xdecade);
	plaintext[0] = 0x30;
	plaintext[1] = 0x82;

	st = open_db("keys");
	put_account(st, ACCT1);
	insert_cert(st, ACCT1, 1, &f);
	insert_cert(st, ACCT1, 2, &g);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &got), 0);
	assert_int_eq(got.key_ciphertext_len, sizeof(f.ct));
	assert_mem_eq(got.key_ciphertext, f.ct, sizeof(f.ct));
	assert_int_eq(got.wrapped_data_key_len, sizeof(f.wk));
	assert_mem_eq(got.wrapped_data_key, f.wk, sizeof(f.wk));
	assert_mem_eq(got.key_iv, f.c.key_iv, sizeof(f.c.key_iv));
	assert_mem_eq(got.key_tag, f.c.key_tag, sizeof(f.c.key_tag));
	store_acm_cert_clear(&got);
	store_close(st);
	assert_false(wal_exists("keys"));

	STORED("keys", f.ct, sizeof(f.ct), 32);
	STORED("keys", f.wk, sizeof(f.wk), 8);
	STORED("keys", g.ct, sizeof(g.ct), 32);
	STORED("keys", g.wk, sizeof(g.wk), 8);
	NO_TRACE("keys", plaintext, sizeof(plaintext), 16);

	/* f: exported (the row is rewritten, same key), then renewed with a
	 * new key (the old one freed); g: deleted */
	assert_int_eq(store_open(db_path("keys", path, sizeof(path)), &st), 0);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &got), 0);
	got.exported_since_issue = 1;
	assert_int_eq(store_acm_cert_update(st, &got), 0);
	fill(ct2, sizeof(ct2), 0xbeef);
	fill(wk2, sizeof(wk2), 0xfeed);
	free_wiped(got.key_ciphertext, got.key_ciphertext_len);
	free_wiped(got.wrapped_data_key, got.wrapped_data_key_len);
	got.key_ciphertext = ct2;
	got.wrapped_data_key = wk2;
	assert_int_eq(store_acm_cert_update(st, &got), 0);
	got.key_ciphertext = got.wrapped_data_key = NULL;
	store_acm_cert_clear(&got);
	assert_int_eq(store_acm_cert_delete(st, g.c.id), 0);
	store_close(st);
	assert_false(wal_exists("keys"));

	STORED("keys", ct2, sizeof(ct2), 32);
	STORED("keys", wk2, sizeof(wk2), 8);
	/* no trace of the replaced or the deleted key */
	NO_TRACE("keys", f.ct, sizeof(f.ct), 16);
	NO_TRACE("keys", f.wk, sizeof(f.wk), 8);
	NO_TRACE("keys", g.ct, sizeof(g.ct), 16);
	NO_TRACE("keys", g.wk, sizeof(g.wk), 8);
	NO_TRACE("keys", plaintext, sizeof(plaintext), 16);
	assert_int_eq(raw_int("keys", "SELECT count(*) FROM acm_certs"), 1);
}

/* ---- migration ------------------------------------------------------------------ */

/*
 * A version-2 file: this build's schema without what migration 3 added
 * (migration 3 only creates objects, so dropping them is exactly
 * version 2), with rows in the old tables.
 */
static void
test_migration_v2(void)
{
	char path[512];
	struct store *st;
	struct store_ca ca;
	struct store_account acct;
	struct cert_fixture f;
	struct store_acm_cert got;
	struct store_tag tag = { "k", "v" };

	st = open_db("migrate");
	store_close(st);
	raw_exec("migrate",
	    "DROP TABLE acm_renew_intents; DROP TABLE renewal_events; DROP TABLE acm_tags;"
	    "DROP TABLE acm_certs;"
	    "PRAGMA user_version = 2;"
	    "INSERT INTO accounts VALUES('" ACCT1 "', 'old', 1);"
	    "INSERT INTO cas(id, account_id, arn, type, status, status_before_delete, "
	    "  key_algorithm, key_storage, usage_mode, failure_reason, not_before, not_after, "
	    "  created_at, last_state_change_at, restorable_until, version) VALUES("
	    "  '00000000-0000-4000-8000-000000000001', '" ACCT1 "', 'arn:ca1', 2, 1, 0, 3, 1,"
	    "  1, 0, 0, 0, 4, 4, 0, 1);"
	    "INSERT INTO settings VALUES('k', 'v');");
	assert_int_eq(raw_int("migrate", "SELECT count(*) FROM sqlite_master "
	    "WHERE name LIKE 'acm%' OR name LIKE 'renewal%'"), 0);
	assert_int_eq(raw_int("migrate", "PRAGMA user_version"), 2);

	st = open_db("migrate");
	assert_int_eq(raw_int("migrate", "PRAGMA user_version"), 4);
	/* the old rows are there */
	assert_int_eq(store_account_get(st, ACCT1, &acct), 0);
	assert_str_eq(acct.name, "old");
	store_account_clear(&acct);
	assert_int_eq(store_ca_get(st, "00000000-0000-4000-8000-000000000001", &ca), 0);
	assert_str_eq(ca.arn, "arn:ca1");
	store_ca_clear(&ca);
	assert_int_eq(raw_int("migrate", "SELECT count(*) FROM settings"), 1);
	/* and the new tables work on the old file */
	insert_cert(st, ACCT1, 1, &f);
	assert_int_eq(store_acm_tags_put(st, f.c.id, &tag, 1, 50), 0);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &got), 0);
	assert_cert_eq(&got, &f.c);
	store_acm_cert_clear(&got);
	store_close(st);

	/* opening a current file again migrates nothing */
	assert_int_eq(store_open(db_path("migrate", path, sizeof(path)), &st), 0);
	assert_int_eq(store_acm_cert_get(st, f.c.id, &got), 0);
	store_acm_cert_clear(&got);
	store_close(st);
	assert_int_eq(raw_int("migrate", "PRAGMA user_version"), 4);
	assert_int_eq(raw_int("migrate", "SELECT count(*) FROM acm_tags"), 1);
}

/* ---- renewals in flight ------------------------------------------------------------ */

static void
test_renew_intent(void)
{
	struct store *st = open_db("intent");
	struct cert_fixture f, g;
	struct store_acm_renew_intent in, got;
	uint8_t ct[40], wk[24];

	put_account(st, ACCT1);
	insert_cert(st, ACCT1, 1, &f);
	insert_cert(st, ACCT1, 2, &g);
	memset(ct, 0xc1, sizeof(ct));
	memset(wk, 0x3a, sizeof(wk));
	memset(&in, 0, sizeof(in));
	snprintf(in.cert_id, sizeof(in.cert_id), "%s", f.c.id);
	in.for_serial = "0a:00:01";
	snprintf(in.token, sizeof(in.token), "%s", "0123456789abcdef0123456789abcdef");
	in.key_ciphertext = ct;
	in.key_ciphertext_len = sizeof(ct);
	memset(in.key_iv, 7, sizeof(in.key_iv));
	memset(in.key_tag, 9, sizeof(in.key_tag));
	in.wrapped_data_key = wk;
	in.wrapped_data_key_len = sizeof(wk);
	in.created_at = 1234;

	assert_int_eq(store_acm_intent_get(st, f.c.id, &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(store_acm_intent_put(st, &in), 0);
	assert_int_eq(store_acm_intent_get(st, f.c.id, &got), 0);
	assert_str_eq(got.for_serial, "0a:00:01");
	assert_str_eq(got.token, in.token);
	assert_int_eq(got.key_ciphertext_len, sizeof(ct));
	assert_true(memcmp(got.key_ciphertext, ct, sizeof(ct)) == 0);
	assert_true(memcmp(got.key_iv, in.key_iv, sizeof(in.key_iv)) == 0);
	assert_true(memcmp(got.key_tag, in.key_tag, sizeof(in.key_tag)) == 0);
	assert_int_eq(got.wrapped_data_key_len, sizeof(wk));
	assert_true(memcmp(got.wrapped_data_key, wk, sizeof(wk)) == 0);
	assert_int_eq(got.created_at, 1234);
	store_acm_intent_clear(&got);
	assert_ptr_null(got.for_serial);

	/* a second put replaces it; another certificate has none */
	in.for_serial = "0a:00:02";
	assert_int_eq(store_acm_intent_put(st, &in), 0);
	assert_int_eq(store_acm_intent_get(st, f.c.id, &got), 0);
	assert_str_eq(got.for_serial, "0a:00:02");
	store_acm_intent_clear(&got);
	assert_int_eq(store_acm_intent_get(st, g.c.id, &got), PCA_ERR_NOT_FOUND);

	/* refused: no such certificate, a missing field */
	snprintf(in.cert_id, sizeof(in.cert_id), "%s", "00000000-0000-4000-8000-000000009999");
	assert_int_eq(store_acm_intent_put(st, &in), PCA_ERR_NOT_FOUND);
	snprintf(in.cert_id, sizeof(in.cert_id), "%s", g.c.id);
	in.key_ciphertext_len = 0;
	assert_int_eq(store_acm_intent_put(st, &in), PCA_ERR_INVALID);
	in.key_ciphertext_len = sizeof(ct);
	in.token[0] = '\0';
	assert_int_eq(store_acm_intent_put(st, &in), PCA_ERR_INVALID);

	/* delete: idempotent; deleting the certificate takes its intent */
	assert_int_eq(store_acm_intent_delete(st, g.c.id), 0);
	assert_int_eq(store_acm_cert_delete(st, f.c.id), 0);
	assert_int_eq(store_acm_intent_get(st, f.c.id, &got), PCA_ERR_NOT_FOUND);
	assert_int_eq(raw_int("intent", "SELECT count(*) FROM acm_renew_intents"), 0);
	store_close(st);
}

/* ---- concurrency ------------------------------------------------------------------ */

#define CONC_THREADS	8
#define CONC_EACH	40

struct conc_arg {
	struct store	*st;
	int		 t;
	int		 failed;
};

static void *
conc_main(void *p)
{
	struct conc_arg *a = p;
	struct cert_fixture *f = malloc(sizeof(*f));
	struct store_acm_cert got;
	int k;

	if (f == NULL) {
		a->failed++;
		return NULL;
	}
	for (k = 0; k < CONC_EACH; k++) {
		make_cert(ACCT1, (unsigned)(a->t * 1000 + k), f);
		if (store_acm_cert_insert(a->st, &f->c) != 0 ||
		    store_acm_cert_get(a->st, f->c.id, &got) != 0) {
			a->failed++;
			continue;
		}
		/* two writers of one row: exactly one wins */
		got.exported_since_issue = 1;
		if (store_acm_cert_update(a->st, &got) != 0)
			a->failed++;
		got.version = 1;
		if (store_acm_cert_update(a->st, &got) != PCA_ERR_STATE)
			a->failed++;
		store_acm_cert_clear(&got);
	}
	free(f);
	return NULL;
}

static void
test_concurrent(void)
{
	struct store *st = open_db("concurrent");
	struct conc_arg a[CONC_THREADS];
	pthread_t th[CONC_THREADS];
	struct store_acm_cert *l = NULL;
	size_t n = 0, commits, i;

	put_account(st, ACCT1);
	commits = store_commit_count(st);
	for (int t = 0; t < CONC_THREADS; t++) {
		a[t].st = st;
		a[t].t = t;
		a[t].failed = 0;
		assert_int_eq(pthread_create(&th[t], NULL, conc_main, &a[t]), 0);
	}
	for (int t = 0; t < CONC_THREADS; t++) {
		pthread_join(th[t], NULL);
		assert_int_eq(a[t].failed, 0);
	}
	test_diag("%d writes in %zu commits", CONC_THREADS * CONC_EACH * 3,
	    store_commit_count(st) - commits);
	assert_int_eq(store_acm_cert_list(st, ACCT1, NULL, 0, NULL, 0, NULL, (size_t)-1,
	    &l, &n), 0);
	assert_int_eq(n, CONC_THREADS * CONC_EACH);
	for (i = 0; i < n; i++) {
		assert_int_eq(l[i].version, 2);
		assert_int_eq(l[i].exported_since_issue, 1);
	}
	store_acm_cert_list_free(l, n);
	store_close(st);
}

int
main(void)
{
	log_init("test_store_acm", LOG_WARNING);
	test_run("store_acm/insert_get", test_insert_get);
	test_run("store_acm/update_version", test_update_version);
	test_run("store_acm/delete", test_delete);
	test_run("store_acm/clear", test_clear);
	test_run("store_acm/list_filters_paging", test_list_filters_paging);
	test_run("store_acm/list_due", test_list_due);
	test_run("store_acm/tags", test_tags);
	test_run("store_acm/events", test_events);
	test_run("store_acm/key_bytes", test_key_bytes);
	test_run("store_acm/renew_intent", test_renew_intent);
	test_run("store_acm/migration_v2", test_migration_v2);
	test_run("store_acm/concurrent", test_concurrent);
	return test_done();
}
