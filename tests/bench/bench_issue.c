/*
 * bench_issue.c - IssueCertificate throughput and latency through the
 * native socket API and the AWS-compatible HTTP API, set against the raw
 * C_Sign rate of the same token.
 *
 *   bench_issue --home DIR [--clients N] [--seconds T] [--key K] [--fill N]
 *               [--warmup S] [--raw-seconds S] [--api native|http|both]
 *
 * DIR is a running instance (scripts/lib/instance.sh; scripts/bench makes a
 * fresh one). For each key type (RSA_2048, EC_prime256v1 or all):
 *
 *  1. setup: a ROOT CA brought to ACTIVE the AWS way (Create -> GetCsr ->
 *     IssueCertificate RootCACertificate/V1 on its own CSR -> GetCertificate
 *     -> ImportCertificateAuthorityCertificate) with the administrator's
 *     credentials, and a few leaf CSRs of the same key type made here;
 *  2. raw (bench_raw.c, shared with bench_renew): while both daemons are
 *     idle, the token opened in this process
 *     (hsm_open on signer.conf's token-uri), one session per core, a
 *     temporary key with a fixed id, SHA-256 signatures of TBS-sized data
 *     from that many threads, then the key destroyed. SoftHSM2 2.6.1 fails
 *     now and then when processes start on one token at once, so this
 *     starts only after the daemons are up and idle, and never while the
 *     signer generates a key;
 *  3. optionally --fill N: N certificates issued as fast as possible (on the
 *     EC CA when there is one), timed, then the frontend's memory;
 *  4. end to end: N client threads (one pca_client each) issue
 *     EndEntityCertificate/V1 certificates for T seconds after a warm-up;
 *     throughput, latency percentiles, errors by code, and the CPU each
 *     process spent per certificate (from /proc and getrusage);
 *  5. the same through the HTTP API (AWS JSON 1.1: POST / with X-Amz-Target
 *     ACMPrivateCA.IssueCertificate, the CSR's PEM in base64): N client
 *     threads, each holding ONE keep-alive connection (bench_http.c), every
 *     request SigV4-signed for acm-pca with the administrator's key; the
 *     same figures, then per key the HTTP rate, the native rate, and the
 *     ratios http/native and http/raw.
 *
 * --api chooses the doors: native (step 4), http (step 5) or both; the
 * default is both when the instance's env file (DIR/env) names
 * HSMCA_HTTP_ENDPOINT, else native. Setup and --fill always go through the
 * native API. Run native-only, the output is what it was before the HTTP API.
 *
 * The ratio end-to-end / raw is printed with its target (RSA_2048 >= 0.8,
 * EC_prime256v1 >= 0.3), never asserted. The benchmark shares the machine
 * with both daemons, so its clients do as little as they can: requests are
 * built once per thread (HTTP: the bodies once per phase, the signed head
 * per request), answers are only checked for an ARN.
 *
 * Exit status: 0 when every phase ran (errors inside a phase are counted
 * and printed), 1 when setup failed or a fill gave up after too many
 * errors, 2 on bad usage.
 */
#include "acm_pca.pb-c.h"
#include "bench_common.h"
#include "bench_http.h"
#include "bench_raw.h"
#include "clock.h"
#include "creds.h"
#include "err.h"
#include "hsm.h"
#include "libpca.h"
#include "log.h"
#include "sigv4.h"
#include "x509util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define BENCH_CLIENTS_DEFAULT	32
#define BENCH_CLIENTS_MAX	1024
#define BENCH_SECONDS_DEFAULT	10.0
#define BENCH_WARMUP_DEFAULT	1.0
#define BENCH_NCSR		4	/* distinct leaf CSRs per key type */
#define BENCH_TIMEOUT_MS	60000
#define BENCH_ERR_CODES		8	/* distinct error codes kept per thread */
#define BENCH_FILL_MAX_ERRORS	1000	/* a fill gives up after this many */
#define BENCH_VALIDITY_DAYS	30	/* of every leaf, on both APIs */

/* --api: which doors the end-to-end phases go through */
#define BENCH_API_NATIVE	0x1
#define BENCH_API_HTTP		0x2

#define API(x)		PCA__API__ACM_PCA__##x
#define TMPL_LEAF	"arn:aws:acm-pca:::template/EndEntityCertificate/V1"
#define HTTP_SIGNING_NAME	"acm-pca"
#define HTTP_TARGET_ISSUE	"ACMPrivateCA.IssueCertificate"

/* One key type: its API names, its token algorithm, its leaf keys. */
struct keytype {
	const char	*name;
	int		 key_alg;	/* acm-pca KeyAlgorithm */
	int		 sig_alg;	/* acm-pca SigningAlgorithm */
	const char	*sig_alg_json;	/* the same, as the HTTP API spells it */
	enum hsm_key_alg hsm_alg;
	double		 target;	/* end-to-end / raw */
	uint8_t		 raw_id[HSM_KEY_ID_LEN];	/* the temporary raw key */
};

static const struct keytype keytypes[] = {
	{ "RSA_2048", API(KEY_ALGORITHM__KeyAlgorithm_RSA_2048),
	  API(SIGNING_ALGORITHM__SigningAlgorithm_SHA256WITHRSA), "SHA256WITHRSA",
	  HSM_KEY_RSA_2048, 0.8,
	  { 'h', 's', 'm', 'c', 'a', '-', 'b', 'e', 'n', 'c', 'h', '-', 'r', 'a', 'w', 1 } },
	{ "EC_prime256v1", API(KEY_ALGORITHM__KeyAlgorithm_EC_prime256v1),
	  API(SIGNING_ALGORITHM__SigningAlgorithm_SHA256WITHECDSA), "SHA256WITHECDSA",
	  HSM_KEY_EC_P256, 0.3,
	  { 'h', 's', 'm', 'c', 'a', '-', 'b', 'e', 'n', 'c', 'h', '-', 'r', 'a', 'w', 4 } },
};
#define NKEYTYPES (sizeof(keytypes) / sizeof(keytypes[0]))

struct opts {
	const char	*home;
	unsigned	 clients;
	double		 seconds;
	double		 warmup;
	double		 raw_seconds;
	unsigned	 keys;		/* bit i: keytypes[i] */
	uint64_t	 fill;
	unsigned	 api;		/* BENCH_API_*; 0: not chosen */
};

/* Latency percentiles of one phase, in milliseconds. */
struct lat {
	double		 p50, p90, p99, max;
};

/* The results for one key type (for the HTTP API, only the end-to-end
 * figures: rate to reconnects). */
struct kt_result {
	int		 ran;
	char		*ca_arn;
	char		*csr[BENCH_NCSR];
	size_t		 csr_len[BENCH_NCSR];
	struct bench_raw raw;		/* the token's raw signing rate */
	double		 rate;		/* issued/s end to end */
	uint64_t	 issued, errors;
	double		 elapsed;
	struct lat	 lat;
	struct bench_cpu cpu;		/* per certificate, microseconds */
	double		 busy;		/* share of all cores busy */
	double		 others;	/* share of all cores used by other processes */
	unsigned	 reconnects;	/* HTTP: connections opened again */
};

/* ---- small helpers ----------------------------------------------------- */

static void
die_usage(void)
{
	fprintf(stderr,
	    "usage: bench_issue --home DIR [--clients N] [--seconds T]\n"
	    "                   [--key RSA_2048|EC_prime256v1|all] [--fill N]\n"
	    "                   [--warmup S] [--raw-seconds S] [--api native|http|both]\n");
	exit(2);
}

static int
leaf_csr_make(const struct keytype *kt, unsigned i, char **pem, size_t *pem_len)
{
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	X509_NAME *name;
	X509_EXTENSION *ext = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	BIO *bio = NULL;
	char cn[96], san[128];
	char *data;
	long len;
	int rc = -1;

	*pem = NULL;
	snprintf(cn, sizeof(cn), "bench-%u.%s.example.internal", i,
	    kt->hsm_alg == HSM_KEY_RSA_2048 ? "rsa" : "ec");
	snprintf(san, sizeof(san), "DNS:%s,DNS:alt-%u.example.internal", cn, i);
	if (kt->hsm_alg == HSM_KEY_RSA_2048)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (key == NULL || (req = X509_REQ_new()) == NULL ||
	    !X509_REQ_set_version(req, 0) || (name = X509_REQ_get_subject_name(req)) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"hsmca bench", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn,
	    -1, -1, 0) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    (ext = X509V3_EXT_nconf_nid(NULL, NULL, NID_subject_alt_name, san)) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    !sk_X509_EXTENSION_push(exts, ext))
		goto out;
	ext = NULL;		/* the stack owns it */
	if (!X509_REQ_add_extensions(req, exts) || X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    (bio = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509_REQ(bio, req) ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0 || (*pem = malloc((size_t)len + 1)) == NULL)
		goto out;
	memcpy(*pem, data, (size_t)len);
	(*pem)[len] = '\0';
	*pem_len = (size_t)len;
	rc = 0;
 out:
	if (rc != 0)
		fprintf(stderr, "bench: could not make a leaf CSR\n");
	BIO_free(bio);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return rc;
}

/* ---- end to end --------------------------------------------------------- */

struct err_count {
	char		 code[96];
	char		 message[160];	/* the first one seen */
	uint64_t	 n;
};

/* One client thread. */
struct issue_thread {
	pthread_t		 th;
	unsigned		 index;
	struct pca_client	*client;	/* the native API's, or */
	struct bench_http	*http;		/* the HTTP API's connection */
	struct issue_phase	*ph;
	uint64_t		 issued;
	uint64_t		 errors;
	uint64_t		 t_last;	/* last answer */
	uint32_t		*lat_us;	/* one per issued certificate */
	size_t			 nlat, caplat;
	struct err_count	 err[BENCH_ERR_CODES];
	size_t			 nerr;
	int			 nomem;
};

/* One phase: a duration, or a number of certificates (fill). */
struct issue_phase {
	const struct keytype	*kt;
	const struct kt_result	*ca;
	uint64_t		 deadline;	/* 0: until tickets run out */
	atomic_int_fast64_t	 tickets;	/* certificates still to issue */
	atomic_uint_fast64_t	 errors;
	atomic_uint_fast64_t	 issued;	/* for the fill's progress */
	atomic_uint		 running;	/* threads not finished */
	int			 record;	/* keep latencies */
	pthread_barrier_t	 start;
	/* the HTTP API: one JSON body per CSR, and its SHA-256 */
	char			*body[BENCH_NCSR];
	size_t			 body_len[BENCH_NCSR];
	char			 body_sha[BENCH_NCSR][65];
};

static void
err_note(struct issue_thread *t, const struct pca_error *e)
{
	size_t i;

	t->errors++;
	atomic_fetch_add(&t->ph->errors, 1);
	for (i = 0; i < t->nerr; i++) {
		if (strcmp(t->err[i].code, e->code) == 0) {
			t->err[i].n++;
			return;
		}
	}
	if (t->nerr == BENCH_ERR_CODES)
		i = BENCH_ERR_CODES - 1;	/* lumped with the last one */
	else
		i = t->nerr++;
	if (t->err[i].n == 0) {
		snprintf(t->err[i].code, sizeof(t->err[i].code), "%s", e->code);
		snprintf(t->err[i].message, sizeof(t->err[i].message), "%.*s",
		    (int)sizeof(t->err[i].message) - 1, e->message);
	}
	t->err[i].n++;
}

/* Take one certificate to issue; 0 when none are left. Never below zero, so
 * a ticket given back after an error is always taken again. */
static int
ticket_take(atomic_int_fast64_t *t)
{
	int_fast64_t v = atomic_load(t);

	while (v > 0)
		if (atomic_compare_exchange_weak(t, &v, v - 1))
			return 1;
	return 0;
}

/* One IssueCertificate through the native API: 0 issued, or -1 with e. */
static int
issue_native(struct issue_thread *t, const Pca__Api__AcmPca__IssueCertificateRequest *req,
    struct pca_error *e)
{
	Pca__Api__AcmPca__IssueCertificateResponse *resp;
	ProtobufCMessage *out;
	int rc = 0;

	if (pca_call(t->client, "acm-pca", "IssueCertificate", &req->base, &out, e) != 0)
		return -1;
	resp = (void *)out;
	if (resp->certificate_arn == NULL || strstr(resp->certificate_arn,
	    "/certificate/") == NULL) {
		snprintf(e->code, sizeof(e->code), "NoCertificateArn");
		snprintf(e->message, sizeof(e->message), "the answer has no certificate ARN");
		rc = -1;
	}
	protobuf_c_message_free_unpacked(out, NULL);
	return rc;
}

/* One IssueCertificate through the HTTP API with CSR i: 0 issued, or -1
 * with e (the x-amzn-ErrorType, else the body's __type, else "HTTP <status>"). */
static int
issue_http(struct issue_thread *t, unsigned i, struct pca_error *e)
{
	const struct issue_phase *ph = t->ph;
	struct bench_http_answer a;
	json_t *j = NULL, *v;
	int rc = -1;

	if (bench_http_call(t->http, HTTP_SIGNING_NAME, HTTP_TARGET_ISSUE, ph->body[i],
	    ph->body_len[i], ph->body_sha[i], &a) != 0) {
		snprintf(e->code, sizeof(e->code), "%s", a.error_type);
		snprintf(e->message, sizeof(e->message), "%s", a.body);
		return -1;
	}
	j = json_loadb(a.body, a.body_len, 0, NULL);
	if (a.status != 200) {
		const char *type = a.error_type, *msg = NULL, *h;

		if (json_is_object(j)) {
			if (type[0] == '\0' && json_is_string(v = json_object_get(j, "__type")))
				type = json_string_value(v);
			if (json_is_string(v = json_object_get(j, "message")) ||
			    json_is_string(v = json_object_get(j, "Message")))
				msg = json_string_value(v);
		}
		if ((h = strrchr(type, '#')) != NULL)	/* "namespace#Name" */
			type = h + 1;
		if (type[0] != '\0')
			snprintf(e->code, sizeof(e->code), "%s", type);
		else
			snprintf(e->code, sizeof(e->code), "HTTP %u", a.status);
		snprintf(e->message, sizeof(e->message), "%s", msg != NULL ? msg : a.body);
		goto out;
	}
	if (!json_is_object(j) || !json_is_string(v = json_object_get(j, "CertificateArn")) ||
	    strstr(json_string_value(v), "/certificate/") == NULL) {
		snprintf(e->code, sizeof(e->code), "NoCertificateArn");
		snprintf(e->message, sizeof(e->message), "the answer has no certificate ARN");
		goto out;
	}
	rc = 0;
 out:
	json_decref(j);
	return rc;
}

static void *
issue_main(void *arg)
{
	struct issue_thread *t = arg;
	struct issue_phase *ph = t->ph;
	Pca__Api__AcmPca__IssueCertificateRequest req = PCA__API__ACM_PCA__ISSUE_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__Validity val = PCA__API__ACM_PCA__VALIDITY__INIT;
	struct pca_error err;
	unsigned k = t->index;
	uint64_t t0, t1;
	int r;

	req.certificate_authority_arn = ph->ca->ca_arn;
	req.signing_algorithm = ph->kt->sig_alg;
	req.template_arn = TMPL_LEAF;
	val.value = BENCH_VALIDITY_DAYS;
	val.type = API(VALIDITY_PERIOD_TYPE__ValidityPeriodType_DAYS);
	req.validity = &val;

	pthread_barrier_wait(&ph->start);
	for (;;) {
		if (ph->deadline != 0) {
			if (clock_mono_ns() >= ph->deadline)
				break;
		} else {
			if (atomic_load(&ph->errors) > BENCH_FILL_MAX_ERRORS ||
			    !ticket_take(&ph->tickets))
				break;
		}
		/* the CSRs take turns */
		req.csr.data = (uint8_t *)ph->ca->csr[k % BENCH_NCSR];
		req.csr.len = ph->ca->csr_len[k % BENCH_NCSR];
		t0 = clock_mono_ns();
		if (t->http != NULL)
			r = issue_http(t, k % BENCH_NCSR, &err);
		else
			r = issue_native(t, &req, &err);
		k++;
		t1 = clock_mono_ns();
		t->t_last = t1;
		if (r != 0) {
			err_note(t, &err);
			if (ph->deadline == 0)
				atomic_fetch_add(&ph->tickets, 1);	/* try it again */
			/* the next send cancels a timed-out request (HTTP: on
			 * a new connection): the client stays usable; say it
			 * once per client */
			if (strcmp(err.code, "RequestTimeout") == 0 && t->errors == 1)
				fprintf(stderr, "bench: client %u: %s\n", t->index, err.message);
			continue;
		}
		t->issued++;
		atomic_fetch_add(&ph->issued, 1);
		if (ph->record && !t->nomem) {
			if (t->nlat == t->caplat) {
				size_t cap = t->caplat ? 2 * t->caplat : 4096;
				uint32_t *p = realloc(t->lat_us, cap * sizeof(*p));
				if (p == NULL) {
					t->nomem = 1;	/* latencies incomplete */
				} else {
					t->lat_us = p;
					t->caplat = cap;
				}
			}
			if (t->nlat < t->caplat) {
				uint64_t us = (t1 - t0) / 1000;
				t->lat_us[t->nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
			}
		}
	}
	atomic_fetch_sub(&ph->running, 1);
	return NULL;
}

/*
 * The JSON bodies of the HTTP API's requests on ca, one per CSR, and their
 * SHA-256: the same request as issue_main's native one. 0 or -1.
 */
static int
http_bodies_make(struct issue_phase *ph)
{
	json_t *j = NULL;
	char *b64 = NULL;
	unsigned i;
	int rc = -1;

	for (i = 0; i < BENCH_NCSR; i++) {
		if ((b64 = b64_encode((const uint8_t *)ph->ca->csr[i], ph->ca->csr_len[i])) == NULL ||
		    (j = json_pack("{s:s, s:s, s:s, s:{s:i, s:s}, s:s}",
		    "CertificateAuthorityArn", ph->ca->ca_arn,
		    "Csr", b64,
		    "SigningAlgorithm", ph->kt->sig_alg_json,
		    "Validity", "Value", BENCH_VALIDITY_DAYS, "Type", "DAYS",
		    "TemplateArn", TMPL_LEAF)) == NULL ||
		    (ph->body[i] = json_dumps(j, JSON_COMPACT)) == NULL)
			goto out;
		ph->body_len[i] = strlen(ph->body[i]);
		sigv4_sha256_hex(ph->body[i], ph->body_len[i], ph->body_sha[i]);
		json_decref(j);
		j = NULL;
		free(b64);
		b64 = NULL;
	}
	rc = 0;
 out:
	if (rc != 0)
		fprintf(stderr, "bench: could not build the HTTP requests\n");
	json_decref(j);
	free(b64);
	return rc;
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

/* Print the errors of a phase, merged over the threads. */
static void
errors_print(const struct issue_thread *ts, unsigned n)
{
	struct err_count all[BENCH_ERR_CODES * 4];
	size_t nall = 0, i, j;
	unsigned k;

	for (k = 0; k < n; k++) {
		for (i = 0; i < ts[k].nerr; i++) {
			const struct err_count *e = &ts[k].err[i];
			for (j = 0; j < nall; j++)
				if (strcmp(all[j].code, e->code) == 0)
					break;
			if (j == nall && nall < sizeof(all) / sizeof(all[0])) {
				all[nall++] = *e;
				continue;
			}
			if (j == nall)
				j = nall - 1;		/* lumped with the last one */
			all[j].n += e->n;
		}
	}
	for (j = 0; j < nall; j++)
		printf("    error %-32s x%-8llu e.g. %s\n", all[j].code,
		    (unsigned long long)all[j].n, all[j].message);
}

/*
 * Run one phase on kt's CA with nclients threads: for secs seconds, or
 * until count certificates are issued (secs == 0). The threads use https
 * (the HTTP API) when it is not NULL, else clients (the native API). Fills
 * res (rate, latencies, CPU per certificate) when res is not NULL.
 */
static int
issue_run(const struct bench_instance *in, struct pca_client **clients,
    struct bench_http **https, unsigned nclients, const struct keytype *kt,
    const struct kt_result *ca, double secs, uint64_t count, struct kt_result *res, int quiet)
{
	struct issue_phase ph;
	struct issue_thread *ts = NULL;
	struct bench_cpu c0, c1;
	uint32_t *all = NULL;
	uint64_t t0, t_end = 0, issued = 0, errors = 0;
	size_t nall = 0;
	unsigned i, reconnects = 0;
	int rc = -1;

	memset(&ph, 0, sizeof(ph));
	ph.kt = kt;
	ph.ca = ca;
	ph.record = res != NULL;
	if (https != NULL) {
		if (http_bodies_make(&ph) != 0)
			goto out_bodies;
		for (i = 0; i < nclients; i++)
			reconnects -= bench_http_reconnects(https[i]);
	}
	atomic_init(&ph.tickets, secs > 0 ? 0 : (int_fast64_t)count);
	atomic_init(&ph.errors, 0);
	atomic_init(&ph.issued, 0);
	atomic_init(&ph.running, nclients);
	if ((ts = calloc(nclients, sizeof(*ts))) == NULL ||
	    pthread_barrier_init(&ph.start, NULL, nclients + 1) != 0) {
		free(ts);
		goto out_bodies;
	}
	for (i = 0; i < nclients; i++) {
		ts[i].index = i;
		if (https != NULL)
			ts[i].http = https[i];
		else
			ts[i].client = clients[i];
		ts[i].ph = &ph;
		if (pthread_create(&ts[i].th, NULL, issue_main, &ts[i]) != 0) {
			fprintf(stderr, "bench: pthread_create failed\n");
			exit(1);	/* a barrier short of threads never opens */
		}
	}
	bench_cpu_sample(in, &c0);
	t0 = clock_mono_ns();
	ph.deadline = secs > 0 ? t0 + (uint64_t)(secs * 1e9) : 0;
	pthread_barrier_wait(&ph.start);
	if (secs <= 0 && !quiet) {
		/* a long fill says how far it got every 10 seconds */
		unsigned ticks = 0;
		while (atomic_load(&ph.running) > 0) {
			bench_sleep_ms(100);
			if (++ticks % 100 == 0)
				fprintf(stderr, "bench: %llu/%llu issued after %.0f s\n",
				    (unsigned long long)atomic_load(&ph.issued),
				    (unsigned long long)count, bench_secs_since(t0));
		}
	}
	for (i = 0; i < nclients; i++) {
		pthread_join(ts[i].th, NULL);
		issued += ts[i].issued;
		errors += ts[i].errors;
		if (ts[i].t_last > t_end)
			t_end = ts[i].t_last;
		nall += ts[i].nlat;
		if (ts[i].nomem)
			fprintf(stderr, "bench: out of memory for latencies\n");
		if (https != NULL)
			reconnects += bench_http_reconnects(https[i]);
	}
	bench_cpu_sample(in, &c1);
	if (t_end <= t0)
		t_end = clock_mono_ns();
	if (!quiet && errors > 0)
		errors_print(ts, nclients);
	if (res != NULL) {
		res->issued = issued;
		res->errors = errors;
		res->elapsed = (double)(t_end - t0) / 1e9;
		res->rate = (double)issued / res->elapsed;
		res->reconnects = reconnects;
		if (nall > 0 && (all = malloc(nall * sizeof(*all))) != NULL) {
			nall = 0;
			for (i = 0; i < nclients; i++) {
				memcpy(all + nall, ts[i].lat_us, ts[i].nlat * sizeof(*all));
				nall += ts[i].nlat;
			}
			qsort(all, nall, sizeof(*all), u32_cmp);
			res->lat.p50 = pct_ms(all, nall, 0.50);
			res->lat.p90 = pct_ms(all, nall, 0.90);
			res->lat.p99 = pct_ms(all, nall, 0.99);
			res->lat.max = (double)all[nall - 1] / 1000.0;
		}
		if (issued > 0) {
			res->cpu.fe = c0.fe >= 0 && c1.fe >= 0 ? (c1.fe - c0.fe) * 1e6 / issued : -1;
			res->cpu.signer = c0.signer >= 0 && c1.signer >= 0 ?
			    (c1.signer - c0.signer) * 1e6 / issued : -1;
			res->cpu.bench = (c1.bench - c0.bench) * 1e6 / issued;
		}
		if (c0.machine >= 0 && c1.machine >= 0 && c0.fe >= 0 && c0.signer >= 0) {
			double cores = (double)sysconf(_SC_NPROCESSORS_ONLN);
			double busy = c1.machine - c0.machine;
			double ours = (c1.fe - c0.fe) + (c1.signer - c0.signer) +
			    (c1.bench - c0.bench);
			res->busy = busy / (res->elapsed * cores);
			res->others = busy > ours ? (busy - ours) / (res->elapsed * cores) : 0;
		}
	}
	rc = count > 0 && secs <= 0 && issued < count ? -1 : 0;
	for (i = 0; i < nclients; i++)
		free(ts[i].lat_us);
	free(all);
	free(ts);
	pthread_barrier_destroy(&ph.start);
 out_bodies:
	for (i = 0; i < BENCH_NCSR; i++)
		free(ph.body[i]);
	return rc;
}

/* ---- main --------------------------------------------------------------- */

static void
opts_parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "home", required_argument, NULL, 'h' },
		{ "clients", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "fill", required_argument, NULL, 'f' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "raw-seconds", required_argument, NULL, 'r' },
		{ "api", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long long v;
	int c;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->clients = BENCH_CLIENTS_DEFAULT;
	o->seconds = BENCH_SECONDS_DEFAULT;
	o->warmup = BENCH_WARMUP_DEFAULT;
	o->raw_seconds = BENCH_RAW_SECONDS;
	o->keys = (1u << NKEYTYPES) - 1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		errno = 0;
		switch (c) {
		case 'h':
			o->home = optarg;
			break;
		case 'c':
			v = strtoull(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > BENCH_CLIENTS_MAX)
				die_usage();
			o->clients = (unsigned)v;
			break;
		case 's':
		case 'w':
		case 'r': {
			double d = strtod(optarg, &end);
			if (*end != '\0' || errno != 0 || d < 0 || d > 86400 ||
			    (c != 'w' && d <= 0))
				die_usage();
			if (c == 's')
				o->seconds = d;
			else if (c == 'w')
				o->warmup = d;
			else
				o->raw_seconds = d;
			break;
		}
		case 'k':
			if (strcmp(optarg, "all") == 0) {
				o->keys = (1u << NKEYTYPES) - 1;
				break;
			}
			for (i = 0; i < NKEYTYPES; i++)
				if (strcmp(optarg, keytypes[i].name) == 0)
					break;
			if (i == NKEYTYPES)
				die_usage();
			o->keys = 1u << i;
			break;
		case 'f':
			v = strtoull(optarg, &end, 10);
			if (*end != '\0' || errno != 0 || v > 100000000ULL)
				die_usage();
			o->fill = v;
			break;
		case 'a':
			if (strcmp(optarg, "native") == 0)
				o->api = BENCH_API_NATIVE;
			else if (strcmp(optarg, "http") == 0)
				o->api = BENCH_API_HTTP;
			else if (strcmp(optarg, "both") == 0)
				o->api = BENCH_API_NATIVE | BENCH_API_HTTP;
			else
				die_usage();
			break;
		default:
			die_usage();
		}
	}
	if (o->home == NULL || optind != argc)
		die_usage();
}

static void
mem_print(const struct bench_instance *in, const char *when, long long certs)
{
	long rss, hwm, pid = bench_pid_read(in->fe_pidfile);

	if (pid <= 0 || bench_proc_mem(pid, &rss, &hwm) != 0) {
		printf("frontend RSS %s: unknown (no process)\n", when);
		return;
	}
	printf("frontend RSS %s: %.1f MiB (peak %.1f MiB), certificates stored: %lld\n", when,
	    (double)rss * 1024 / BENCH_MIB, (double)hwm * 1024 / BENCH_MIB, certs);
}

/* The figures of one end-to-end phase (after its errors). */
static void
phase_print(const struct kt_result *r)
{
	printf("    %llu issued in %.2f s, %llu errors; cpu per certificate: "
	    "frontend %.0f us, signer %.0f us, bench %.0f us\n",
	    (unsigned long long)r->issued, r->elapsed,
	    (unsigned long long)r->errors, r->cpu.fe, r->cpu.signer,
	    r->cpu.bench);
	printf("    cores busy %.0f%%, by other processes %.0f%%%s\n", r->busy * 100,
	    r->others * 100, r->others > 0.10 ?
	    " - the machine is not idle: figures are low" : "");
}

static void
raw_print(const struct bench_raw *raw)
{
	printf("    raw token: %.0f sign/s with %u threads (%.0f with 1), other processes "
	    "%.0f%%%s; verify-after-sign %.1f us\n", raw->rate, raw->threads,
	    raw->rate1, raw->others * 100, raw->others > 0.10 ?
	    " (not idle: low)" : "", raw->verify_us);
}

static void
table_head(void)
{
	printf("\n%-14s %7s %9s %7s %7s %7s %8s %10s %6s %7s\n", "key", "clients", "issued/s",
	    "p50 ms", "p90 ms", "p99 ms", "max ms", "raw sign/s", "ratio", "target");
}

/* One row: r's end-to-end figures against raw, the token's rate. */
static void
table_row(const struct keytype *kt, unsigned clients, const struct kt_result *r,
    const struct bench_raw *raw)
{
	printf("%-14s %7u %9.0f %7.2f %7.2f %7.2f %8.2f %10.0f %6.2f %5s%.1f%s\n",
	    kt->name, clients, r->rate, r->lat.p50, r->lat.p90,
	    r->lat.p99, r->lat.max, raw->rate,
	    raw->rate > 0 ? r->rate / raw->rate : 0, ">=",
	    kt->target,
	    raw->rate > 0 && r->rate / raw->rate >= kt->target ?
	    "" : " (below)");
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct bench_instance in;
	struct kt_result res[NKEYTYPES], hres[NKEYTYPES];	/* native, HTTP */
	struct pca_client *setup = NULL, **clients = NULL;
	struct bench_http **https = NULL;
	char http_endpoint[BENCH_HTTP_ENDPOINT_MAX];
	struct hsm *hsm = NULL;
	unsigned i, j, opened = 0, hopened = 0, ncores;
	const struct keytype *fill_kt = NULL;
	struct kt_result *fill_ca = NULL;
	double fill_secs = 0;
	uint64_t t0;
	int r, rc = 1;

	opts_parse(argc, argv, &o);
	/* results and progress (stderr) interleave in order when piped */
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("bench_issue", LOG_WARNING);
	memset(res, 0, sizeof(res));
	memset(hres, 0, sizeof(hres));
	if ((ncores = (unsigned)sysconf(_SC_NPROCESSORS_ONLN)) == 0)
		ncores = 1;
	if (bench_instance_load(o.home, &in) != 0)
		goto out;
	/* the HTTP API: used by default when the instance has one */
	r = bench_http_endpoint_load(o.home, http_endpoint, sizeof(http_endpoint));
	if (r < 0 && o.api != BENCH_API_NATIVE)
		goto out;
	if (o.api == 0)
		o.api = r == 1 ? BENCH_API_NATIVE | BENCH_API_HTTP : BENCH_API_NATIVE;
	if ((o.api & BENCH_API_HTTP) && r != 1) {
		fprintf(stderr, "bench: %s/env names no HSMCA_HTTP_ENDPOINT: no HTTP API\n",
		    o.home);
		goto out;
	}
	if ((r = pca_client_open(in.endpoint, &in.cr, in.region, BENCH_TIMEOUT_MS, &setup)) != 0) {
		fprintf(stderr, "bench: connect %s: %s\n", in.endpoint, pca_err_str(r));
		goto out;
	}

	/* 1. setup: the CAs, then the leaf CSRs */
	for (i = 0; i < NKEYTYPES; i++) {
		if (!(o.keys & (1u << i)))
			continue;
		t0 = clock_mono_ns();
		if (bench_root_ca_create(setup, keytypes[i].name, keytypes[i].key_alg,
		    keytypes[i].sig_alg, &res[i].ca_arn) != 0)
			goto out;
		fprintf(stderr, "bench: %s root CA ACTIVE in %.2f s: %s\n", keytypes[i].name,
		    bench_secs_since(t0), res[i].ca_arn);
		for (j = 0; j < BENCH_NCSR; j++)
			if (leaf_csr_make(&keytypes[i], j, &res[i].csr[j], &res[i].csr_len[j]) != 0)
				goto out;
		res[i].ran = 1;
	}

	/* 2. raw signing: the daemons are idle now (every setup call has
	 * answered); this process starts on the token only now */
	bench_sleep_ms(200);
	if ((r = hsm_open(in.token_uri, &hsm)) != 0) {
		fprintf(stderr, "bench: hsm_open: %s\n", pca_err_str(r));
		goto out;
	}
	for (i = 0; i < NKEYTYPES; i++)
		if (res[i].ran && bench_raw_measure(hsm, keytypes[i].name,
		    keytypes[i].hsm_alg, keytypes[i].raw_id, ncores, o.raw_seconds, &res[i].raw) != 0)
			goto out;
	hsm_close(hsm);
	hsm = NULL;

	/* the clients: one socket each (the native API's also fill) */
	if ((clients = calloc(o.clients, sizeof(*clients))) == NULL)
		goto out;
	for (; (o.api & BENCH_API_NATIVE || o.fill > 0) && opened < o.clients; opened++) {
		if ((r = pca_client_open(in.endpoint, &in.cr, in.region, BENCH_TIMEOUT_MS,
		    &clients[opened])) != 0) {
			fprintf(stderr, "bench: connect %s: %s\n", in.endpoint, pca_err_str(r));
			goto out;
		}
	}
	if (o.api & BENCH_API_HTTP) {
		if ((https = calloc(o.clients, sizeof(*https))) == NULL)
			goto out;
		for (; hopened < o.clients; hopened++)
			if (bench_http_open(http_endpoint, &in.cr, in.region, BENCH_TIMEOUT_MS,
			    &https[hopened]) != 0)
				goto out;
		fprintf(stderr, "bench: HTTP API at %s: %u keep-alive connections\n",
		    http_endpoint, hopened);
	}
	mem_print(&in, "before", bench_db_cert_count(in.db_path));

	/* 3. fill: on the EC CA when there is one (the fastest to sign) */
	if (o.fill > 0) {
		for (i = 0; i < NKEYTYPES; i++) {
			if (res[i].ran && (fill_kt == NULL || keytypes[i].hsm_alg == HSM_KEY_EC_P256)) {
				fill_kt = &keytypes[i];
				fill_ca = &res[i];
			}
		}
		fprintf(stderr, "bench: filling with %llu %s certificates...\n",
		    (unsigned long long)o.fill, fill_kt->name);
		t0 = clock_mono_ns();
		r = issue_run(&in, clients, NULL, o.clients, fill_kt, fill_ca, 0, o.fill, NULL, 0);
		fill_secs = bench_secs_since(t0);
		printf("fill: %llu %s certificates in %.1f s (%.0f/s)%s\n",
		    (unsigned long long)o.fill, fill_kt->name, fill_secs, (double)o.fill / fill_secs,
		    r != 0 ? " - INCOMPLETE, too many errors" : "");
		mem_print(&in, "after fill", bench_db_cert_count(in.db_path));
		if (r != 0)
			goto out;
	}

	/* 4. end to end, native API; 5. the same through the HTTP API */
	for (i = 0; i < NKEYTYPES; i++) {
		if (!res[i].ran)
			continue;
		if (o.api & BENCH_API_NATIVE) {
			if (o.warmup > 0 && issue_run(&in, clients, NULL, o.clients, &keytypes[i],
			    &res[i], o.warmup, 0, NULL, 1) != 0)
				goto out;
			fprintf(stderr, "bench: %s: %u clients for %.0f s...\n", keytypes[i].name,
			    o.clients, o.seconds);
			printf("%s end to end:\n", keytypes[i].name);
			if (issue_run(&in, clients, NULL, o.clients, &keytypes[i], &res[i],
			    o.seconds, 0, &res[i], 0) != 0)
				goto out;
			phase_print(&res[i]);
			raw_print(&res[i].raw);
		}
		if (o.api & BENCH_API_HTTP) {
			if (o.warmup > 0 && issue_run(&in, NULL, https, o.clients, &keytypes[i],
			    &res[i], o.warmup, 0, NULL, 1) != 0)
				goto out;
			fprintf(stderr, "bench: %s: %u HTTP clients for %.0f s...\n",
			    keytypes[i].name, o.clients, o.seconds);
			printf("%s end to end, HTTP API:\n", keytypes[i].name);
			if (issue_run(&in, NULL, https, o.clients, &keytypes[i], &res[i],
			    o.seconds, 0, &hres[i], 0) != 0)
				goto out;
			phase_print(&hres[i]);
			printf("    connections: %u kept alive, one per client; %u opened again\n",
			    o.clients, hres[i].reconnects);
			if (!(o.api & BENCH_API_NATIVE))
				raw_print(&res[i].raw);
		}
	}

	/* the tables */
	if (o.api & BENCH_API_NATIVE) {
		table_head();
		for (i = 0; i < NKEYTYPES; i++)
			if (res[i].ran)
				table_row(&keytypes[i], o.clients, &res[i], &res[i].raw);
	}
	if (o.api & BENCH_API_HTTP) {
		printf("\nHTTP API (AWS JSON 1.1, SigV4 per request, one keep-alive connection "
		    "per client):");
		table_head();
		for (i = 0; i < NKEYTYPES; i++)
			if (res[i].ran)
				table_row(&keytypes[i], o.clients, &hres[i], &res[i].raw);
		printf("\n");
		for (i = 0; i < NKEYTYPES; i++) {
			char native[32] = "-", ratio[32] = "-";

			if (!res[i].ran)
				continue;
			if (o.api & BENCH_API_NATIVE) {
				snprintf(native, sizeof(native), "%.0f", res[i].rate);
				if (res[i].rate > 0)
					snprintf(ratio, sizeof(ratio), "%.2f",
					    hres[i].rate / res[i].rate);
			}
			printf("%-14s http %.0f issued/s, native %s issued/s, http/native %s, "
			    "http/raw %.2f\n", keytypes[i].name, hres[i].rate, native, ratio,
			    res[i].raw.rate > 0 ? hres[i].rate / res[i].raw.rate : 0);
		}
	}
	if (o.fill > 0)
		printf("fill: %llu certificates in %.1f s (%.0f/s)\n", (unsigned long long)o.fill,
		    fill_secs, (double)o.fill / fill_secs);
	mem_print(&in, "after", bench_db_cert_count(in.db_path));
	rc = 0;
 out:
	if (hsm != NULL)
		hsm_close(hsm);
	for (i = 0; i < opened; i++)
		pca_client_close(clients[i]);
	free(clients);
	for (i = 0; i < hopened; i++)
		bench_http_close(https[i]);
	free(https);
	pca_client_close(setup);
	for (i = 0; i < NKEYTYPES; i++) {
		free(res[i].ca_arn);
		for (j = 0; j < BENCH_NCSR; j++)
			free(res[i].csr[j]);
	}
	creds_clear(&in.cr);
	return rc;
}
