/*
 * bench_renew.c - a managed-certificate renewal sweep over N certificates
 * that fall due at once, timed through the native socket API and set
 * against the raw C_Sign rate of the same token measured in the same run.
 *
 *   bench_renew --home DIR [--count N] [--key K] [--clients C]
 *               [--verify M] [--raw-seconds S] [--sweep-timeout S]
 *
 *   --count N          managed certificates to renew (default 10000)
 *   --key K            EC_prime256v1 (default) or RSA_2048: the CA's key
 *                      and the certificates' key algorithm
 *   --clients C        client threads of the request, export and describe
 *                      phases (default 32; one pca_client each)
 *   --verify M         describe M certificates spread over the N after the
 *                      sweep (default 0: all of them)
 *   --raw-seconds S    length of the raw signing measurement (default 3)
 *   --sweep-timeout S  how long the RunScheduler call may take (default
 *                      3600)
 *
 * DIR is a running instance started with a test clock (HSMCA_TEST_CLOCK=1
 * for scripts/lib/instance.sh; scripts/bench --renew makes a fresh one).
 * With the administrator's credentials:
 *
 *  1. setup: a ROOT CA of K brought to ACTIVE the AWS way (as bench_issue,
 *     bench_common.c), and the CA's permission for acm.amazonaws.com
 *     (CreatePermission with IssueCertificate, GetCertificate and
 *     ListPermissions) that managed renewal needs;
 *  2. raw: while both daemons are idle, the token's raw signing rate for
 *     K's family, exactly as bench_issue measures it (bench_raw.c);
 *  3. request: N acm RequestCertificate from that CA (key algorithm K) by C
 *     threads, then export: ExportCertificate of each once under a
 *     passphrase (that makes it eligible for renewal); both timed, with
 *     their rates and latency percentiles;
 *  4. sweep: AdvanceClock 336 days (the certificates are valid 395 days,
 *     so all are within the 60-day renewal window), then one RunScheduler
 *     call, timed: it answers when the sweep has finished, with the counts
 *     renewed and failed. Meanwhile the database is read (read-only, every
 *     100 ms) for the renewal events recorded, which gives progress lines,
 *     when the first outcome came and the steady rate after it. Per-renewal
 *     latency is not measured: the service reports only the sweep's totals
 *     (and its events carry whole seconds of the service clock);
 *  5. verify: DescribeCertificate of the certificates (--verify) by C
 *     threads: RenewalSummary.RenewalStatus must be SUCCESS, and NotAfter
 *     must have moved past the first certificate's;
 *  6. the frontend's RSS before and after the sweep (/proc), the CPU each
 *     daemon spent per renewal, and renewals/s divided by raw signs/s.
 *
 * Renewals of certificates other runs left due on a reused instance are
 * counted by the service too: use a fresh instance.
 *
 * Exit status: 0 when every phase ran and every certificate described was
 * renewed; 1 when setup failed, a phase gave up after too many errors, or
 * a certificate was not renewed; 2 on bad usage.
 */
#include "acm.pb-c.h"
#include "acm_pca.pb-c.h"
#include "bench_common.h"
#include "bench_raw.h"
#include "clock.h"
#include "creds.h"
#include "err.h"
#include "hsm.h"
#include "hsmca.pb-c.h"
#include "libpca.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define BENCH_COUNT_DEFAULT	10000
#define BENCH_COUNT_MAX		1000000
#define BENCH_CLIENTS_DEFAULT	32
#define BENCH_CLIENTS_MAX	1024
#define BENCH_TIMEOUT_MS	60000		/* one request, export or describe */
#define BENCH_SWEEP_TIMEOUT_S	3600
#define BENCH_ATTEMPTS		5		/* per certificate and phase */
#define BENCH_MAX_ERRORS	1000		/* a phase gives up after this many */
#define BENCH_ERR_CODES		8		/* distinct error codes kept per phase */
#define BENCH_ADVANCE_DAYS	336		/* 395-day certificates: 59 days left */
#define BENCH_VALIDITY_DAYS	395
#define BENCH_PROGRESS_MS	100		/* the sweep's progress poll */
#define BENCH_PASSPHRASE	"hsmca bench renewal passphrase"

#define PCA(x)		PCA__API__ACM_PCA__##x
#define ACM(x)		PCA__API__ACM__##x
#define ACM_RENEWAL_STATUS_MAX	4		/* RenewalStatus_FAILED */

/* One key family: the CA's, the certificates' and the raw key's. */
struct keytype {
	const char	*name;
	int		 ca_key_alg;	/* acm-pca KeyAlgorithm */
	int		 sig_alg;	/* acm-pca SigningAlgorithm */
	int		 acm_key_alg;	/* acm KeyAlgorithm */
	enum hsm_key_alg hsm_alg;
	uint8_t		 raw_id[HSM_KEY_ID_LEN];	/* the temporary raw key */
};

/* The raw keys' ids are bench_issue's: a key either left behind is
 * destroyed by the next run of either. */
static const struct keytype keytypes[] = {
	{ "EC_prime256v1", PCA(KEY_ALGORITHM__KeyAlgorithm_EC_prime256v1),
	  PCA(SIGNING_ALGORITHM__SigningAlgorithm_SHA256WITHECDSA),
	  ACM(KEY_ALGORITHM__KeyAlgorithm_EC_prime256v1), HSM_KEY_EC_P256,
	  { 'h', 's', 'm', 'c', 'a', '-', 'b', 'e', 'n', 'c', 'h', '-', 'r', 'a', 'w', 4 } },
	{ "RSA_2048", PCA(KEY_ALGORITHM__KeyAlgorithm_RSA_2048),
	  PCA(SIGNING_ALGORITHM__SigningAlgorithm_SHA256WITHRSA),
	  ACM(KEY_ALGORITHM__KeyAlgorithm_RSA_2048), HSM_KEY_RSA_2048,
	  { 'h', 's', 'm', 'c', 'a', '-', 'b', 'e', 'n', 'c', 'h', '-', 'r', 'a', 'w', 1 } },
};
#define NKEYTYPES (sizeof(keytypes) / sizeof(keytypes[0]))

struct opts {
	const char		*home;
	size_t			 count;
	const struct keytype	*kt;
	unsigned		 clients;
	size_t			 verify;	/* 0: all */
	double			 raw_seconds;
	unsigned		 sweep_timeout;	/* seconds */
};

/* ---- phases of client calls over the certificates ----------------------- */

enum phase_kind {
	PHASE_REQUEST,		/* RequestCertificate: fills arns[] */
	PHASE_EXPORT,		/* ExportCertificate of arns[] */
	PHASE_DESCRIBE,		/* DescribeCertificate of arns[]: renewed? */
};

struct err_count {
	char		 code[96];
	char		 message[160];	/* the first one seen */
	uint64_t	 n;
};

/* What a phase measured. */
struct phase_result {
	size_t		 items;		/* calls to make */
	size_t		 done;		/* that succeeded */
	uint64_t	 errors;	/* failed attempts */
	double		 elapsed;
	double		 rate;		/* done / elapsed */
	double		 p50, p90, p99, max;	/* ms, of the successful calls */
	int		 gave_up;
};

/* One phase: items calls, taken in turn by the threads. */
struct phase {
	enum phase_kind		 kind;
	const struct keytype	*kt;
	const char		*ca_arn;
	char			**arns;		/* count of them */
	size_t			 count;
	size_t			 items;		/* describe: a sample of count */
	int64_t			 renewed_after;	/* describe: NotAfter beyond this */
	uint32_t		*lat_us;	/* [items]; UINT32_MAX: failed */
	atomic_size_t		 next;
	atomic_uint_fast64_t	 errors;
	atomic_uint_fast64_t	 done;
	atomic_int		 stop;		/* too many errors */
	/* describe: certificates by RenewalStatus (0: no RenewalSummary) */
	atomic_uint_fast64_t	 status[ACM_RENEWAL_STATUS_MAX + 1];
	atomic_uint_fast64_t	 moved;		/* NotAfter moved */
	pthread_mutex_t		 mu;		/* err */
	struct err_count	 err[BENCH_ERR_CODES];
	size_t			 nerr;
	pthread_barrier_t	 start;
};

struct phase_thread {
	pthread_t		 th;
	unsigned		 index;
	struct pca_client	*client;
	struct phase		*ph;
};

static void
die_usage(void)
{
	fprintf(stderr,
	    "usage: bench_renew --home DIR [--count N] [--key EC_prime256v1|RSA_2048]\n"
	    "                   [--clients C] [--verify M] [--raw-seconds S]\n"
	    "                   [--sweep-timeout S]\n");
	exit(2);
}

static void
err_note(struct phase *ph, const struct pca_error *e)
{
	size_t i;

	atomic_fetch_add(&ph->errors, 1);
	pthread_mutex_lock(&ph->mu);
	for (i = 0; i < ph->nerr; i++)
		if (strcmp(ph->err[i].code, e->code) == 0)
			break;
	if (i == ph->nerr) {
		if (ph->nerr == BENCH_ERR_CODES)
			i = BENCH_ERR_CODES - 1;	/* lumped with the last one */
		else
			i = ph->nerr++;
	}
	if (ph->err[i].n == 0) {
		snprintf(ph->err[i].code, sizeof(ph->err[i].code), "%s", e->code);
		snprintf(ph->err[i].message, sizeof(ph->err[i].message), "%.*s",
		    (int)sizeof(ph->err[i].message) - 1, e->message);
	}
	ph->err[i].n++;
	pthread_mutex_unlock(&ph->mu);
}

/* An answer that decodes but lacks what the phase needs. */
static void
err_note_local(struct phase *ph, const char *code, const char *message)
{
	struct pca_error e;

	memset(&e, 0, sizeof(e));
	snprintf(e.code, sizeof(e.code), "%s", code);
	snprintf(e.message, sizeof(e.message), "%s", message);
	err_note(ph, &e);
}

/* One call of the phase for certificate i: 0 done, -1 failed (noted). */
static int
phase_call(struct phase_thread *t, size_t i)
{
	struct phase *ph = t->ph;
	struct pca_error err;
	ProtobufCMessage *out = NULL;
	char domain[96];
	int rc = -1;

	switch (ph->kind) {
	case PHASE_REQUEST: {
		Pca__Api__Acm__RequestCertificateRequest req =
		    PCA__API__ACM__REQUEST_CERTIFICATE_REQUEST__INIT;
		Pca__Api__Acm__RequestCertificateResponse *resp;

		snprintf(domain, sizeof(domain), "c%07zu.renew.bench.example.internal", i);
		req.domain_name = domain;
		req.certificate_authority_arn = (char *)ph->ca_arn;
		req.has_key_algorithm = 1;
		req.key_algorithm = ph->kt->acm_key_alg;
		if (pca_call(t->client, "acm", "RequestCertificate", &req.base, &out, &err) != 0)
			break;
		resp = (void *)out;
		if (resp->certificate_arn == NULL || (ph->arns[i] =
		    strdup(resp->certificate_arn)) == NULL) {
			err_note_local(ph, "NoCertificateArn", "the answer has no certificate ARN");
			goto out;
		}
		rc = 0;
		goto out;
	}
	case PHASE_EXPORT: {
		Pca__Api__Acm__ExportCertificateRequest req =
		    PCA__API__ACM__EXPORT_CERTIFICATE_REQUEST__INIT;
		Pca__Api__Acm__ExportCertificateResponse *resp;

		req.certificate_arn = ph->arns[i];
		req.passphrase.data = (uint8_t *)BENCH_PASSPHRASE;
		req.passphrase.len = strlen(BENCH_PASSPHRASE);
		if (pca_call(t->client, "acm", "ExportCertificate", &req.base, &out, &err) != 0)
			break;
		resp = (void *)out;
		if (resp->certificate == NULL || resp->private_key == NULL) {
			err_note_local(ph, "NoCertificate", "the answer has no certificate or key");
			goto out;
		}
		rc = 0;
		goto out;
	}
	case PHASE_DESCRIBE: {
		Pca__Api__Acm__DescribeCertificateRequest req =
		    PCA__API__ACM__DESCRIBE_CERTIFICATE_REQUEST__INIT;
		Pca__Api__Acm__DescribeCertificateResponse *resp;
		const Pca__Api__Acm__CertificateDetail *d;
		unsigned st = 0;

		req.certificate_arn = ph->arns[i];
		if (pca_call(t->client, "acm", "DescribeCertificate", &req.base, &out, &err) != 0)
			break;
		resp = (void *)out;
		if ((d = resp->certificate) == NULL) {
			err_note_local(ph, "NoCertificate", "the answer has no Certificate");
			goto out;
		}
		if (d->renewal_summary != NULL && (unsigned)d->renewal_summary->renewal_status <=
		    ACM_RENEWAL_STATUS_MAX)
			st = (unsigned)d->renewal_summary->renewal_status;
		atomic_fetch_add(&ph->status[st], 1);
		if (d->has_not_after && d->not_after > (double)ph->renewed_after)
			atomic_fetch_add(&ph->moved, 1);
		rc = 0;
		goto out;
	}
	}
	/* pca_call failed */
	err_note(ph, &err);
	/* the next send cancels a timed-out request: the client stays usable */
	if (strcmp(err.code, "RequestTimeout") == 0)
		fprintf(stderr, "bench: client %u: %s\n", t->index, err.message);
	if (strcmp(err.code, "RequestInProgressException") == 0 || err.retryable)
		bench_sleep_ms(100);
 out:
	if (out != NULL)
		protobuf_c_message_free_unpacked(out, NULL);
	return rc;
}

static void *
phase_main(void *arg)
{
	struct phase_thread *t = arg;
	struct phase *ph = t->ph;
	size_t k, i;
	uint64_t t0, us;
	int a;

	pthread_barrier_wait(&ph->start);
	while (!atomic_load(&ph->stop) && (k = atomic_fetch_add(&ph->next, 1)) < ph->items) {
		/* a describe sample is spread over all the certificates */
		i = ph->items == ph->count ? k : k * ph->count / ph->items;
		ph->lat_us[k] = UINT32_MAX;
		if (ph->kind != PHASE_REQUEST && ph->arns[i] == NULL)
			continue;		/* its request failed */
		for (a = 0; a < BENCH_ATTEMPTS; a++) {
			t0 = clock_mono_ns();
			if (phase_call(t, i) == 0) {
				us = (clock_mono_ns() - t0) / 1000;
				ph->lat_us[k] = us >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)us;
				atomic_fetch_add(&ph->done, 1);
				break;
			}
			if (atomic_load(&ph->errors) > BENCH_MAX_ERRORS) {
				atomic_store(&ph->stop, 1);
				break;
			}
		}
	}
	return NULL;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_ms(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1000.0;
}

/*
 * Run phase ph with the clients, one thread each; progress on stderr every
 * 10 seconds under label. Fills res. 0, or -1 when the phase gave up or
 * could not start.
 */
static int
phase_run(struct phase *ph, struct pca_client **clients, unsigned nclients, const char *label,
    struct phase_result *res)
{
	struct phase_thread *ts = NULL;
	uint32_t *ok = NULL;
	uint64_t t0;
	size_t i, n = 0;
	unsigned k, ticks = 0;

	memset(res, 0, sizeof(*res));
	res->items = ph->items;
	atomic_init(&ph->next, 0);
	atomic_init(&ph->errors, 0);
	atomic_init(&ph->done, 0);
	atomic_init(&ph->stop, 0);
	atomic_init(&ph->moved, 0);
	for (i = 0; i <= ACM_RENEWAL_STATUS_MAX; i++)
		atomic_init(&ph->status[i], 0);
	ph->nerr = 0;
	if ((ph->lat_us = calloc(ph->items > 0 ? ph->items : 1, sizeof(*ph->lat_us))) == NULL ||
	    (ts = calloc(nclients, sizeof(*ts))) == NULL ||
	    pthread_mutex_init(&ph->mu, NULL) != 0)
		goto fail;
	if (pthread_barrier_init(&ph->start, NULL, nclients + 1) != 0) {
		pthread_mutex_destroy(&ph->mu);
		goto fail;
	}
	for (k = 0; k < nclients; k++) {
		ts[k].index = k;
		ts[k].client = clients[k];
		ts[k].ph = ph;
		if (pthread_create(&ts[k].th, NULL, phase_main, &ts[k]) != 0) {
			fprintf(stderr, "bench: pthread_create failed\n");
			exit(1);	/* a barrier short of threads never opens */
		}
	}
	t0 = clock_mono_ns();
	pthread_barrier_wait(&ph->start);
	/* done when every item is taken and answered: join below */
	while (atomic_load(&ph->next) < ph->items && !atomic_load(&ph->stop)) {
		bench_sleep_ms(100);
		if (++ticks % 100 == 0)
			fprintf(stderr, "bench: %s: %llu/%zu after %.0f s\n", label,
			    (unsigned long long)atomic_load(&ph->done), ph->items,
			    bench_secs_since(t0));
	}
	for (k = 0; k < nclients; k++)
		pthread_join(ts[k].th, NULL);
	res->elapsed = bench_secs_since(t0);
	res->done = atomic_load(&ph->done);
	res->errors = atomic_load(&ph->errors);
	res->rate = res->elapsed > 0 ? (double)res->done / res->elapsed : 0;
	res->gave_up = atomic_load(&ph->stop);
	if ((ok = malloc((ph->items > 0 ? ph->items : 1) * sizeof(*ok))) != NULL) {
		for (i = 0; i < ph->items; i++)
			if (ph->lat_us[i] != UINT32_MAX)
				ok[n++] = ph->lat_us[i];
		qsort(ok, n, sizeof(*ok), u32_cmp);
		res->p50 = pct_ms(ok, n, 0.50);
		res->p90 = pct_ms(ok, n, 0.90);
		res->p99 = pct_ms(ok, n, 0.99);
		res->max = n > 0 ? (double)ok[n - 1] / 1000.0 : 0;
	}
	for (i = 0; i < ph->nerr; i++)
		printf("    %s error %-32s x%-8llu e.g. %s\n", label, ph->err[i].code,
		    (unsigned long long)ph->err[i].n, ph->err[i].message);
	if (res->gave_up)
		fprintf(stderr, "bench: %s: gave up after %llu errors\n", label,
		    (unsigned long long)res->errors);
	free(ok);
	free(ph->lat_us);
	ph->lat_us = NULL;
	free(ts);
	pthread_barrier_destroy(&ph->start);
	pthread_mutex_destroy(&ph->mu);
	return res->gave_up ? -1 : 0;
 fail:
	free(ph->lat_us);
	ph->lat_us = NULL;
	free(ts);
	return -1;
}

static void
phase_print(const char *label, const struct phase_result *r)
{
	printf("%-10s %8zu %8zu %9.2f %9.1f %8.2f %8.2f %8.2f %9.2f %7llu\n", label, r->items,
	    r->done, r->elapsed, r->rate, r->p50, r->p90, r->p99, r->max,
	    (unsigned long long)r->errors);
}

/* ---- the sweep's progress, from the database ---------------------------- */

/* Renewal outcomes recorded (renewal_events: SUCCESS 3 or FAILED 4) after
 * event seq; the read-only look WAL allows beside the frontend. */
struct progress {
	const char		*db_path;
	int64_t			 after;		/* events before the sweep */
	uint64_t		 t0;		/* the RunScheduler call */
	atomic_int		 stop;
	pthread_t		 th;
	/* what the poll saw */
	long long		 n;		/* outcomes so far */
	double			 t_first;	/* s after t0 of the first, or -1 */
	double			 t_last;	/* s after t0 the count last rose */
	long long		 n_first;	/* outcomes at t_first */
	int			 failed;	/* the database could not be read */
};

static int
progress_open(const char *path, sqlite3 **db, sqlite3_stmt **count)
{
	*db = NULL;
	*count = NULL;
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(*db, 1000);
	if (sqlite3_prepare_v2(*db, "SELECT count(*) FROM renewal_events WHERE seq > ?1 "
	    "AND renewal_status IN (3, 4)", -1, count, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

/* The highest event number now, or -1. */
static int64_t
progress_last_seq(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t seq = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM renewal_events", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return seq;
}

static void *
progress_main(void *arg)
{
	struct progress *p = arg;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	unsigned ticks = 0;
	long long n;
	double t;

	if (progress_open(p->db_path, &db, &st) != 0) {
		p->failed = 1;
		goto out;
	}
	for (;;) {
		int stop = atomic_load(&p->stop);	/* one more look after the end */

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, p->after);
		if (sqlite3_step(st) == SQLITE_ROW) {
			n = sqlite3_column_int64(st, 0);
			t = bench_secs_since(p->t0);
			if (n > 0 && p->t_first < 0) {
				p->t_first = t;
				p->n_first = n;
			}
			if (n > p->n)
				p->t_last = t;
			p->n = n;
		}
		if (stop)
			break;
		bench_sleep_ms(BENCH_PROGRESS_MS);
		if (++ticks % (10000 / BENCH_PROGRESS_MS) == 0)
			fprintf(stderr, "bench: sweep: %lld renewal outcomes after %.0f s\n", p->n,
			    bench_secs_since(p->t0));
	}
 out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

/* ---- setup -------------------------------------------------------------- */

/* The CA's permission for the managed-certificate service. */
static int
acm_permission_create(struct pca_client *c, const char *ca_arn)
{
	Pca__Api__AcmPca__CreatePermissionRequest req =
	    PCA__API__ACM_PCA__CREATE_PERMISSION_REQUEST__INIT;
	Pca__Api__AcmPca__ActionType actions[] = {
		PCA(ACTION_TYPE__ActionType_IssueCertificate),
		PCA(ACTION_TYPE__ActionType_GetCertificate),
		PCA(ACTION_TYPE__ActionType_ListPermissions),
	};
	ProtobufCMessage *out = NULL;

	req.certificate_authority_arn = (char *)ca_arn;
	req.principal = "acm.amazonaws.com";
	req.n_actions = sizeof(actions) / sizeof(actions[0]);
	req.actions = actions;
	if (bench_call_ok(c, "acm-pca", "CreatePermission", &req.base, &out) != 0)
		return -1;
	protobuf_c_message_free_unpacked(out, NULL);
	return 0;
}

/* The service clock now (*now), and whether it is a test clock. */
static int
service_status(struct pca_client *c, double *now, int *test_clock)
{
	Pca__Api__Hsmca__Empty in = PCA__API__HSMCA__EMPTY__INIT;
	Pca__Api__Hsmca__GetStatusResponse *resp;
	ProtobufCMessage *out = NULL;

	if (bench_call_ok(c, "hsmca", "GetStatus", &in.base, &out) != 0)
		return -1;
	resp = (void *)out;
	*now = resp->has_now ? resp->now : 0;
	*test_clock = resp->has_test_clock && resp->test_clock;
	protobuf_c_message_free_unpacked(out, NULL);
	return 0;
}

static int
clock_advance_days(struct pca_client *c, int64_t days, double *now)
{
	Pca__Api__Hsmca__AdvanceClockRequest req = PCA__API__HSMCA__ADVANCE_CLOCK_REQUEST__INIT;
	Pca__Api__Hsmca__AdvanceClockResponse *resp;
	ProtobufCMessage *out = NULL;

	req.has_days = 1;
	req.days = days;
	if (bench_call_ok(c, "hsmca", "AdvanceClock", &req.base, &out) != 0)
		return -1;
	resp = (void *)out;
	*now = resp->has_now ? resp->now : 0;
	protobuf_c_message_free_unpacked(out, NULL);
	return 0;
}

/* ---- main --------------------------------------------------------------- */

static void
opts_parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "home", required_argument, NULL, 'h' },
		{ "count", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'k' },
		{ "clients", required_argument, NULL, 'c' },
		{ "verify", required_argument, NULL, 'v' },
		{ "raw-seconds", required_argument, NULL, 'r' },
		{ "sweep-timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	char *end;
	double d;
	size_t i;
	int c;

	memset(o, 0, sizeof(*o));
	o->count = BENCH_COUNT_DEFAULT;
	o->kt = &keytypes[0];
	o->clients = BENCH_CLIENTS_DEFAULT;
	o->raw_seconds = BENCH_RAW_SECONDS;
	o->sweep_timeout = BENCH_SWEEP_TIMEOUT_S;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		errno = 0;
		switch (c) {
		case 'h':
			o->home = optarg;
			break;
		case 'n':
		case 'c':
		case 'v':
		case 't':
			v = strtoull(optarg, &end, 10);
			if (*end != '\0' || errno != 0 || optarg[0] == '-' ||
			    (c == 'n' && (v < 1 || v > BENCH_COUNT_MAX)) ||
			    (c == 'c' && (v < 1 || v > BENCH_CLIENTS_MAX)) ||
			    (c == 'v' && v > BENCH_COUNT_MAX) ||
			    (c == 't' && (v < 1 || v > 24 * 3600)))
				die_usage();
			if (c == 'n')
				o->count = (size_t)v;
			else if (c == 'c')
				o->clients = (unsigned)v;
			else if (c == 'v')
				o->verify = (size_t)v;
			else
				o->sweep_timeout = (unsigned)v;
			break;
		case 'k':
			for (i = 0; i < NKEYTYPES; i++)
				if (strcmp(optarg, keytypes[i].name) == 0)
					break;
			if (i == NKEYTYPES)
				die_usage();
			o->kt = &keytypes[i];
			break;
		case 'r':
			d = strtod(optarg, &end);
			if (*end != '\0' || errno != 0 || d <= 0 || d > 86400)
				die_usage();
			o->raw_seconds = d;
			break;
		default:
			die_usage();
		}
	}
	if (o->home == NULL || optind != argc)
		die_usage();
	if (o->verify == 0 || o->verify > o->count)
		o->verify = o->count;
}

static void
mem_print(const struct bench_instance *in, const char *when)
{
	long rss, hwm, pid = bench_pid_read(in->fe_pidfile);

	if (pid <= 0 || bench_proc_mem(pid, &rss, &hwm) != 0) {
		printf("frontend RSS %s: unknown (no process)\n", when);
		return;
	}
	printf("frontend RSS %s: %.1f MiB (peak %.1f MiB), acm-pca certificates stored: %lld\n",
	    when, (double)rss * 1024 / BENCH_MIB, (double)hwm * 1024 / BENCH_MIB,
	    bench_db_cert_count(in->db_path));
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct bench_instance in;
	struct bench_raw raw;
	struct phase ph;
	struct phase_result req_res, exp_res, desc_res;
	struct progress prog;
	struct bench_cpu c0, c1;
	struct pca_client *setup = NULL, *sweeper = NULL, **clients = NULL;
	struct hsm *hsm = NULL;
	Pca__Api__Hsmca__Empty empty = PCA__API__HSMCA__EMPTY__INIT;
	Pca__Api__Hsmca__RunSchedulerResponse *sresp = NULL;
	ProtobufCMessage *out = NULL;
	struct pca_error err;
	char **arns = NULL, *ca_arn = NULL, workers[32];
	double svc_now0 = 0, svc_now1 = 0, sweep_secs = 0, rate, cores;
	unsigned i, opened = 0, ncores;
	int test_clock = 0, prog_started = 0, renewed = 0, failed = 0, r, rc = 1;
	uint64_t t0;
	size_t k;

	opts_parse(argc, argv, &o);
	/* results and progress (stderr) interleave in order when piped */
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("bench_renew", LOG_WARNING);
	memset(&raw, 0, sizeof(raw));
	memset(&ph, 0, sizeof(ph));
	memset(&prog, 0, sizeof(prog));
	if ((ncores = (unsigned)sysconf(_SC_NPROCESSORS_ONLN)) == 0)
		ncores = 1;
	cores = (double)ncores;
	if (bench_instance_load(o.home, &in) != 0)
		goto out;
	if ((r = pca_client_open(in.endpoint, &in.cr, in.region, BENCH_TIMEOUT_MS, &setup)) != 0) {
		fprintf(stderr, "bench: connect %s: %s\n", in.endpoint, pca_err_str(r));
		goto out;
	}
	if (service_status(setup, &svc_now0, &test_clock) != 0)
		goto out;
	if (!test_clock) {
		fprintf(stderr, "bench: the instance has no test clock: start it with "
		    "HSMCA_TEST_CLOCK=1 (scripts/bench --renew does)\n");
		goto out;
	}
	if (bench_conf_find(in.fe_conf, "renew-workers", workers, sizeof(workers)) != 1)
		snprintf(workers, sizeof(workers), "the default");

	/* 1. setup: the CA, and its permission for acm.amazonaws.com */
	t0 = clock_mono_ns();
	if (bench_root_ca_create(setup, o.kt->name, o.kt->ca_key_alg, o.kt->sig_alg,
	    &ca_arn) != 0 || acm_permission_create(setup, ca_arn) != 0)
		goto out;
	fprintf(stderr, "bench: %s root CA ACTIVE, acm.amazonaws.com permitted, in %.2f s: %s\n",
	    o.kt->name, bench_secs_since(t0), ca_arn);

	/* 2. raw signing: the daemons are idle now (every setup call has
	 * answered); this process starts on the token only now */
	bench_sleep_ms(200);
	if ((r = hsm_open(in.token_uri, &hsm)) != 0) {
		fprintf(stderr, "bench: hsm_open: %s\n", pca_err_str(r));
		goto out;
	}
	if (bench_raw_measure(hsm, o.kt->name, o.kt->hsm_alg, o.kt->raw_id, ncores,
	    o.raw_seconds, &raw) != 0)
		goto out;
	hsm_close(hsm);
	hsm = NULL;

	/* the clients: one socket each */
	if ((clients = calloc(o.clients, sizeof(*clients))) == NULL ||
	    (arns = calloc(o.count, sizeof(*arns))) == NULL)
		goto out;
	for (; opened < o.clients; opened++) {
		if ((r = pca_client_open(in.endpoint, &in.cr, in.region, BENCH_TIMEOUT_MS,
		    &clients[opened])) != 0) {
			fprintf(stderr, "bench: connect %s: %s\n", in.endpoint, pca_err_str(r));
			goto out;
		}
	}

	/* 3. request, then export each once */
	ph.kt = o.kt;
	ph.ca_arn = ca_arn;
	ph.arns = arns;
	ph.count = o.count;
	ph.items = o.count;
	printf("%s, %zu certificates, %u clients, %u cores; renew-workers: %s\n", o.kt->name,
	    o.count, o.clients, ncores, workers);
	printf("%-10s %8s %8s %9s %9s %8s %8s %8s %9s %7s\n", "phase", "calls", "done",
	    "seconds", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors");
	fprintf(stderr, "bench: requesting %zu %s certificates...\n", o.count, o.kt->name);
	ph.kind = PHASE_REQUEST;
	r = phase_run(&ph, clients, o.clients, "request", &req_res);
	phase_print("request", &req_res);
	if (r != 0)
		goto out;
	fprintf(stderr, "bench: exporting them...\n");
	ph.kind = PHASE_EXPORT;
	r = phase_run(&ph, clients, o.clients, "export", &exp_res);
	phase_print("export", &exp_res);
	if (r != 0)
		goto out;
	if (req_res.done < o.count || exp_res.done < req_res.done)
		printf("    %zu of %zu certificates are eligible for renewal\n", exp_res.done,
		    o.count);
	mem_print(&in, "before the sweep");

	/* 4. the sweep: all due at once */
	if (clock_advance_days(setup, BENCH_ADVANCE_DAYS, &svc_now1) != 0)
		goto out;
	fprintf(stderr, "bench: service clock moved %d days; sweeping (timeout %u s)...\n",
	    BENCH_ADVANCE_DAYS, o.sweep_timeout);
	if ((r = pca_client_open(in.endpoint, &in.cr, in.region, (int)o.sweep_timeout * 1000,
	    &sweeper)) != 0) {
		fprintf(stderr, "bench: connect %s: %s\n", in.endpoint, pca_err_str(r));
		goto out;
	}
	prog.db_path = in.db_path;
	prog.t_first = -1;
	atomic_init(&prog.stop, 0);
	if ((prog.after = progress_last_seq(in.db_path)) < 0)
		fprintf(stderr, "bench: the renewal events cannot be read: no progress\n");
	bench_cpu_sample(&in, &c0);
	t0 = prog.t0 = clock_mono_ns();
	if (prog.after >= 0 && pthread_create(&prog.th, NULL, progress_main, &prog) == 0)
		prog_started = 1;
	r = pca_call(sweeper, "hsmca", "RunScheduler", &empty.base, &out, &err);
	sweep_secs = bench_secs_since(t0);
	bench_cpu_sample(&in, &c1);
	if (prog_started) {
		atomic_store(&prog.stop, 1);
		pthread_join(prog.th, NULL);
	}
	if (r != 0) {
		fprintf(stderr, "bench: RunScheduler after %.1f s: %s: %s\n", sweep_secs, err.code,
		    err.message);
		goto out;
	}
	sresp = (void *)out;
	out = NULL;
	renewed = sresp->has_renewed_certificates ? sresp->renewed_certificates : 0;
	failed = sresp->has_failed_renewals ? sresp->failed_renewals : 0;
	rate = sweep_secs > 0 ? renewed / sweep_secs : 0;
	printf("%-10s %8zu %8d %9.2f %9.1f %8s %8s %8s %9s %7d\n", "sweep", exp_res.done,
	    renewed, sweep_secs, rate, "-", "-", "-", "-", failed);
	printf("    RunScheduler: %d renewed, %d failed in %.2f s: %.1f renewals/s "
	    "(per-renewal latency: not reported by the service)\n", renewed, failed, sweep_secs,
	    rate);
	/* the last poll comes after the answer */
	if (prog.t_last > sweep_secs)
		prog.t_last = sweep_secs;
	if (prog_started && !prog.failed && prog.t_first >= 0)
		printf("    events: %lld outcomes; first after %.2f s, last after %.2f s; "
		    "%.1f/s in between\n", prog.n, prog.t_first, prog.t_last,
		    prog.t_last > prog.t_first ?
		    (double)(prog.n - prog.n_first) / (prog.t_last - prog.t_first) : 0);
	if (renewed > 0 && c0.fe >= 0 && c1.fe >= 0 && c0.signer >= 0 && c1.signer >= 0) {
		double busy = c1.machine - c0.machine;
		double ours = (c1.fe - c0.fe) + (c1.signer - c0.signer) + (c1.bench - c0.bench);

		printf("    cpu per renewal: frontend %.0f us, signer %.0f us; cores busy %.0f%%, "
		    "by other processes %.0f%%%s\n", (c1.fe - c0.fe) * 1e6 / renewed,
		    (c1.signer - c0.signer) * 1e6 / renewed,
		    c0.machine >= 0 ? busy / (sweep_secs * cores) * 100 : 0,
		    c0.machine >= 0 && busy > ours ? (busy - ours) / (sweep_secs * cores) * 100 : 0,
		    c0.machine >= 0 && busy > ours && (busy - ours) / (sweep_secs * cores) > 0.10 ?
		    " - the machine is not idle: figures are low" : "");
	}
	if ((size_t)renewed != exp_res.done)
		printf("    the sweep renewed %d, not the %zu certificates made eligible%s\n",
		    renewed, exp_res.done, renewed > (int)exp_res.done ?
		    " (others were due: use a fresh instance)" : "");
	mem_print(&in, "after the sweep");

	/* 5. verify */
	fprintf(stderr, "bench: describing %zu certificates...\n", o.verify);
	ph.kind = PHASE_DESCRIBE;
	ph.items = o.verify;
	ph.renewed_after = (int64_t)svc_now0 + (int64_t)(BENCH_VALIDITY_DAYS + 1) * 86400;
	r = phase_run(&ph, clients, o.clients, "describe", &desc_res);
	phase_print("describe", &desc_res);
	printf("    RenewalStatus of %zu described: SUCCESS %llu, FAILED %llu, "
	    "PENDING_AUTO_RENEWAL %llu, none %llu; NotAfter moved on %llu\n", desc_res.done,
	    (unsigned long long)atomic_load(&ph.status[ACM(RENEWAL_STATUS__RenewalStatus_SUCCESS)]),
	    (unsigned long long)atomic_load(&ph.status[ACM(RENEWAL_STATUS__RenewalStatus_FAILED)]),
	    (unsigned long long)atomic_load(
	    &ph.status[ACM(RENEWAL_STATUS__RenewalStatus_PENDING_AUTO_RENEWAL)]),
	    (unsigned long long)atomic_load(&ph.status[0]),
	    (unsigned long long)atomic_load(&ph.moved));

	/* 6. against the raw rate */
	printf("    raw token: %.0f sign/s with %u threads (%.0f with 1), other processes "
	    "%.0f%%%s; verify-after-sign %.1f us\n", raw.rate, raw.threads, raw.rate1,
	    raw.others * 100, raw.others > 0.10 ? " (not idle: low)" : "", raw.verify_us);
	printf("\n%-14s %9s %9s %10s %10s %10s %8s\n", "key", "certs", "renewed", "sweep s",
	    "renewed/s", "raw sign/s", "ratio");
	printf("%-14s %9zu %9d %10.2f %10.1f %10.0f %8.3f\n", o.kt->name, o.count, renewed,
	    sweep_secs, rate, raw.rate, raw.rate > 0 ? rate / raw.rate : 0);
	printf("request %.1f/s (ratio %.3f), export %.1f/s\n", req_res.rate,
	    raw.rate > 0 ? req_res.rate / raw.rate : 0, exp_res.rate);
	if (r == 0 && desc_res.done == o.verify &&
	    atomic_load(&ph.status[ACM(RENEWAL_STATUS__RenewalStatus_SUCCESS)]) == o.verify &&
	    atomic_load(&ph.moved) == o.verify)
		rc = 0;
	else
		fprintf(stderr, "bench: not every certificate described was renewed\n");
 out:
	if (sresp != NULL)
		protobuf_c_message_free_unpacked(&sresp->base, NULL);
	if (hsm != NULL)
		hsm_close(hsm);
	for (i = 0; i < opened; i++)
		pca_client_close(clients[i]);
	free(clients);
	pca_client_close(sweeper);
	pca_client_close(setup);
	if (arns != NULL)
		for (k = 0; k < o.count; k++)
			free(arns[k]);
	free(arns);
	free(ca_arn);
	creds_clear(&in.cr);
	return rc;
}
