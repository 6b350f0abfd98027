/*
 * store_sqlite_internal.h - what the files of the SQLite back end share:
 * store_sqlite.c (open, close, the writer, store.h), store_sqlite_iam.c
 * (store_iam.h) and store_sqlite_acm.c (store_acm.h). Nothing outside
 * these files includes it.
 *
 * The rules of store_sqlite.c hold for both:
 *
 *  - Writes are jobs, int fn(struct conn *, void *arg), run by the writer
 *    thread inside their own SAVEPOINT of a group-committed transaction.
 *    job_run*() queue one and sleep until its transaction committed; a job
 *    returning nonzero is rolled back to its savepoint alone. Job
 *    arguments live on the caller's stack, except for detached jobs
 *    (job_submit_detached()), which the writer releases itself.
 *  - Reads take a connection with conn_get() (one at a time per thread),
 *    reset every statement with stmt_done() right after use, and give the
 *    connection back with conn_put().
 *  - Statements are prepared once per connection and cached; store.h's
 *    live in conn->stmt[] (enum stmt_id), store_iam.h's in conn->ext[]
 *    (STORE_EXT_STMT_MAX slots) and store_acm.h's in conn->acm[]
 *    (STORE_ACM_STMT_MAX slots), both prepared with stmt_prepare().
 *
 * THREAD SAFETY: struct store's fields are guarded as their comments say;
 * a struct conn is used by one thread at a time.
 */
#ifndef PCA_STORE_SQLITE_INTERNAL_H
#define PCA_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* ---- statements ---------------------------------------------------------- */

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_ACCOUNT_PUT,
	ST_ACCOUNT_GET,
	ST_USER_PUT,
	ST_USER_GET,
	ST_KEY_PUT,
	ST_KEY_GET,
	ST_CA_INSERT,
	ST_CA_GET,
	ST_CA_UPDATE,
	ST_CA_EXISTS,
	ST_CA_SEQ,
	ST_CA_LIST,
	ST_CA_LIST_PURGEABLE,
	ST_CA_LIST_BY_STATUS,
	ST_CA_PURGE_TAGS,
	ST_CA_PURGE_CERTS,
	ST_CA_PURGE,
	ST_TAG_PUT,
	ST_TAG_COUNT,
	ST_TAG_REMOVE,
	ST_TAG_LIST,
	ST_CERT_INSERT,
	ST_CERT_COMPLETE,
	ST_CERT_FAIL,
	ST_CERT_STATUS,
	ST_CERT_GET,
	ST_CERT_LIST_PENDING,
	ST_CERT_COUNT,
	ST_IDEM_GET,
	ST_IDEM_PUT,
	ST__COUNT
};

/* Cache slots for the statements of store_sqlite_iam.c (its own table). */
#define STORE_EXT_STMT_MAX	96
/* ... and of store_sqlite_acm.c: its own array, so neither file's table
 * can grow into the other's slots. */
#define STORE_ACM_STMT_MAX	32

/* One SQLite connection and its statement cache. Used by one thread at a
 * time (the writer, or whoever took it from the read pool). */
struct conn {
	sqlite3		*db;
	sqlite3_stmt	*stmt[ST__COUNT];
	sqlite3_stmt	*ext[STORE_EXT_STMT_MAX];
	sqlite3_stmt	*acm[STORE_ACM_STMT_MAX];
	struct conn	*next;		/* in the idle pool */
};

/* ---- jobs ------------------------------------------------------------------ */

#define JOB_CREDENTIALS	0x1	/* writes accounts, users, access keys or sessions:
				 * bumps both generations */
#define JOB_AUTHZ	0x2	/* writes what an authorization decision reads:
				 * bumps store_authz_generation() */
#define JOB_DETACHED	0x4	/* nobody waits: the writer calls release() */

struct store_job {
	int		(*fn)(struct conn *, void *);
	void		*arg;
	int		 result;
	int		 done;
	unsigned	 flags;		/* JOB_* */
	pthread_cond_t	 cv;		/* the caller sleeps on it (not detached) */
	void		(*release)(struct store_job *);	/* detached: frees the job */
	struct store_job *next;
};

/* ---- the store ---------------------------------------------------------------- */

#define STORE_AUDIT_HASH_LEN	32	/* SHA-256 */

/*
 * The head of the audit hash chain. The writer alone reads and moves
 * tx_seq/tx_hash (the chain including the records of the transaction in
 * progress); at the end of each batch store_iam_batch_end() copies them to
 * seq/hash when it committed, or back from them when it was lost. seq/hash
 * (the committed head) are read by store_audit_verify() under mu.
 */
struct store_audit_head {
	pthread_mutex_t	 mu;
	int		 mu_ready;
	int64_t		 seq;				/* 0: no record yet */
	uint8_t		 hash[STORE_AUDIT_HASH_LEN];
	int64_t		 tx_seq;
	uint8_t		 tx_hash[STORE_AUDIT_HASH_LEN];
	atomic_size_t	 queued;			/* detached records not yet run */
};

struct store {
	char			*path;

	/* the write queue and the writer thread */
	pthread_mutex_t		 mu;
	pthread_cond_t		 work_cv;	/* the writer sleeps on it */
	struct store_job	*head, *tail;
	int			 stopping;
	int			 writer_running;
	pthread_t		 writer;
	struct conn		*wconn;		/* the writer's own */
	atomic_size_t		 commits;
	/* store_credentials_generation(): bumped by the writer after each
	 * batch with a credentials job, before its callers are woken */
	atomic_uint_fast64_t	 cred_gen;
	/* store_authz_generation(): the same for JOB_AUTHZ and
	 * JOB_CREDENTIALS jobs */
	atomic_uint_fast64_t	 authz_gen;

	/* read connections: nreaders open, of which nidle in idle */
	pthread_mutex_t		 pool_mu;
	pthread_cond_t		 pool_cv;	/* a reader waits for one */
	struct conn		*idle;
	size_t			 nidle;
	size_t			 nreaders;

	int			 sync_ready;	/* mutexes and cv initialized */

	struct store_audit_head	 audit;		/* store_sqlite_iam.c */
};

/* ---- errors, statements, binding, columns (store_sqlite.c) ---------------- */

/* Map a SQLite result code to PCA_ERR_* (constraint violations are answers:
 * EXISTS, NOT_FOUND, INVALID); anything else is logged with SQLite's
 * message and becomes PCA_ERR_DB. */
int db_err(struct conn *c, int rc, const char *func, const char *what);
#define DB_ERR(c, rc, what)	db_err((c), (rc), __func__, (what))

/* The cached statement in *slot, prepared from sql on first use. */
int stmt_prepare(struct conn *c, sqlite3_stmt **slot, const char *sql,
    sqlite3_stmt **out);
/* Reset (ends the read snapshot) and clear bindings. NULL-safe. */
void stmt_done(sqlite3_stmt *s);
/* 1 for a row, 0 when done, or a negative PCA_ERR_*. */
int stmt_step(struct conn *c, sqlite3_stmt *s, const char *func);
#define STEP(c, s)	stmt_step((c), (s), __func__)

/* Binders: no-ops once *rc holds an error; SQLITE_STATIC (the caller's
 * data outlives the statement's use). */
void bind_text(sqlite3_stmt *s, int i, const char *v, int *rc);
void bind_int(sqlite3_stmt *s, int i, int64_t v, int *rc);
void bind_limit(sqlite3_stmt *s, int i, size_t v, int *rc);
void bind_blob(sqlite3_stmt *s, int i, const uint8_t *p, size_t len, int *rc);

/* Column readers: malloc'd copies (NULL stays NULL); col_fixed() into a
 * fixed array, PCA_ERR_DB when the value does not fit. */
int col_str(sqlite3_stmt *s, int i, char **out);
int col_fixed(sqlite3_stmt *s, int i, char *buf, size_t size);
int col_blob(sqlite3_stmt *s, int i, uint8_t **p, size_t *len);

/* Column order shared by ca_bind() and ca_row(): ?1..?22 in that order. */
#define CA_COLS "id, account_id, arn, type, status, status_before_delete, " \
	"key_algorithm, key_storage, usage_mode, failure_reason, config, " \
	"revocation, csr_der, cert_der, chain_pem, serial, not_before, " \
	"not_after, created_at, last_state_change_at, restorable_until, version"
/* A row of "SELECT " CA_COLS into *ca (cleared on failure). */
int ca_row(sqlite3_stmt *s, struct store_ca *ca);

/* A NUL-terminated, non-empty fixed array. */
#define FIXED_OK(a)	((a)[0] != '\0' && memchr((a), '\0', sizeof(a)) != NULL)

/* Room for element n of a malloc'd array (new slots zeroed), or NULL. */
void *list_grow(void *arr, size_t *cap, size_t n, size_t elsize);

/* ---- connections and jobs (store_sqlite.c) ------------------------------- */

/* A read connection (waits while STORE_READERS_MAX are taken); give it
 * back with conn_put(). Never hold two. */
int conn_get(struct store *st, struct conn **out);
void conn_put(struct store *st, struct conn *c);

/* Queue fn(arg) and sleep until its transaction committed (or was lost);
 * flags JOB_CREDENTIALS / JOB_AUTHZ bump the generations before the
 * caller wakes, whatever the result. PCA_ERR_STATE after store_close(). */
int job_submit(struct store *st, int (*fn)(struct conn *, void *), void *arg,
    unsigned flags);
int job_run(struct store *st, int (*fn)(struct conn *, void *), void *arg);
int job_run_credentials(struct store *st, int (*fn)(struct conn *, void *), void *arg);
int job_run_authz(struct store *st, int (*fn)(struct conn *, void *), void *arg);
/* Queue a heap job (fn, arg, release, flags set) and return at once; the
 * writer runs it in order with every other job, logs a failure and calls
 * job->release(job). On an error return the job was not queued and the
 * caller still owns it. */
int job_submit_detached(struct store *st, struct store_job *job);

/* ---- hooks into store_sqlite_iam.c ---------------------------------------- */

/* After the schema is current and before the writer starts: initialize
 * the IAM state of st (the audit chain head, read from the database). */
int store_iam_open(struct store *st);
/* From store_free(): NULL-safe, also after a failed store_iam_open(). */
void store_iam_free(struct store *st);
/* From the writer after each batch: committed or lost. */
void store_iam_batch_end(struct store *st, int committed);

#endif
