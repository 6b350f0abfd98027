/*
 * bench_common.c - the instance, /proc figures and setup calls shared by the
 * benchmarks (bench_common.h).
 */
#include "bench_common.h"

#include "acm_pca.pb-c.h"
#include "clock.h"
#include "creds.h"
#include "err.h"
#include "libpca.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define API(x)		PCA__API__ACM_PCA__##x
#define TMPL_ROOT	"arn:aws:acm-pca:::template/RootCACertificate/V1"

double
bench_secs_since(uint64_t t0)
{
	return (double)(clock_mono_ns() - t0) / 1e9;
}

void
bench_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
bench_conf_find(const char *path, const char *key, char *out, size_t outlen)
{
	FILE *f;
	char line[2048];
	size_t klen = strlen(key);
	int r = 0;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, key, klen) != 0 || (line[klen] != ' ' && line[klen] != '\t'))
			continue;
		const char *v = line + klen + strspn(line + klen, " \t");
		if (strlen(v) >= outlen) {
			r = -2;
			break;
		}
		memcpy(out, v, strlen(v) + 1);
		r = 1;
		break;
	}
	fclose(f);
	return r;
}

int
bench_conf_get(const char *path, const char *key, char *out, size_t outlen)
{
	int r;

	if ((r = bench_conf_find(path, key, out, outlen)) == 1)
		return 0;
	if (r == -1)
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
	else
		fprintf(stderr, "bench: %s: no usable \"%s\"\n", path, key);
	return -1;
}

int
bench_instance_load(const char *home, struct bench_instance *in)
{
	char path[PATH_MAX], listen[256], why[512];
	int r;

	memset(in, 0, sizeof(*in));
	snprintf(in->fe_conf, sizeof(in->fe_conf), "%s/frontend.conf", home);
	if (bench_conf_get(in->fe_conf, "listen", listen, sizeof(listen)) != 0 ||
	    bench_conf_get(in->fe_conf, "region", in->region, sizeof(in->region)) != 0 ||
	    bench_conf_get(in->fe_conf, "database", in->db_path, sizeof(in->db_path)) != 0)
		return -1;
	/* the daemon binds 127.0.0.1 or a path; clients use the same URL */
	snprintf(in->endpoint, sizeof(in->endpoint), "%s", listen);
	snprintf(path, sizeof(path), "%s/signer.conf", home);
	if (bench_conf_get(path, "token-uri", in->token_uri, sizeof(in->token_uri)) != 0)
		return -1;
	snprintf(in->fe_pidfile, sizeof(in->fe_pidfile), "%s/run/frontend.pid", home);
	snprintf(in->signer_pidfile, sizeof(in->signer_pidfile), "%s/run/signer.pid", home);

	/* the administrator, resolved like the CLI; the token's SoftHSM2
	 * configuration for hsm_open in this process */
	snprintf(path, sizeof(path), "%s/credentials", home);
	if (setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/softhsm2.conf", home);
	if (setenv("SOFTHSM2_CONF", path, 1) != 0)
		return -1;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	if ((r = creds_resolve("admin", in->region, &in->cr, why, sizeof(why))) != 0) {
		fprintf(stderr, "bench: credentials: %s (%s)\n", why, pca_err_str(r));
		return -1;
	}
	return 0;
}

long
bench_pid_read(const char *pidfile)
{
	FILE *f;
	long pid = -1;

	if ((f = fopen(pidfile, "r")) == NULL)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return pid;
}

int
bench_proc_mem(long pid, long *rss_kb, long *hwm_kb)
{
	char path[64], line[256];
	FILE *f;

	*rss_kb = *hwm_kb = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss_kb = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm_kb = strtol(line + 6, NULL, 10);
	}
	fclose(f);
	return *rss_kb >= 0 ? 0 : -1;
}

double
bench_proc_cpu(long pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces: fields resume after its ')' */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double
bench_self_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double
bench_machine_cpu(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f;
	int n;

	if ((f = fopen("/proc/stat", "r")) == NULL)
		return -1;
	/* cpu user nice system idle iowait irq softirq steal */
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
	    &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return -1;
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

void
bench_cpu_sample(const struct bench_instance *in, struct bench_cpu *c)
{
	c->fe = bench_proc_cpu(bench_pid_read(in->fe_pidfile));
	c->signer = bench_proc_cpu(bench_pid_read(in->signer_pidfile));
	c->bench = bench_self_cpu();
	c->machine = bench_machine_cpu();
}

long long
bench_db_cert_count(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	/* 2 is STORE_CERT_ISSUED (frontend/store.h) */
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM certs WHERE status = 2", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		goto out;
	n = sqlite3_column_int64(st, 0);
 out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

int
bench_call_ok(struct pca_client *c, const char *service, const char *op,
    const ProtobufCMessage *in, ProtobufCMessage **out)
{
	struct pca_error err;
	int i;

	for (i = 0; i < 600; i++) {
		if (pca_call(c, service, op, in, out, &err) == 0)
			return 0;
		if (strcmp(err.code, "RequestInProgressException") != 0)
			break;
		bench_sleep_ms(100);
	}
	fprintf(stderr, "bench: %s: %s: %s\n", op, err.code, err.message);
	return -1;
}

int
bench_root_ca_create(struct pca_client *c, const char *label, int key_alg, int sig_alg,
    char **arnp)
{
	Pca__Api__AcmPca__CreateCertificateAuthorityRequest creq =
	    PCA__API__ACM_PCA__CREATE_CERTIFICATE_AUTHORITY_REQUEST__INIT;
	Pca__Api__AcmPca__CertificateAuthorityConfiguration cfg =
	    PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_CONFIGURATION__INIT;
	Pca__Api__AcmPca__ASN1Subject subj = PCA__API__ACM_PCA__ASN1_SUBJECT__INIT;
	Pca__Api__AcmPca__GetCertificateAuthorityCsrRequest csrreq =
	    PCA__API__ACM_PCA__GET_CERTIFICATE_AUTHORITY_CSR_REQUEST__INIT;
	Pca__Api__AcmPca__IssueCertificateRequest ireq =
	    PCA__API__ACM_PCA__ISSUE_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__Validity val = PCA__API__ACM_PCA__VALIDITY__INIT;
	Pca__Api__AcmPca__GetCertificateRequest greq = PCA__API__ACM_PCA__GET_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__ImportCertificateAuthorityCertificateRequest imp =
	    PCA__API__ACM_PCA__IMPORT_CERTIFICATE_AUTHORITY_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__CreateCertificateAuthorityResponse *cresp = NULL;
	Pca__Api__AcmPca__GetCertificateAuthorityCsrResponse *csrresp = NULL;
	Pca__Api__AcmPca__IssueCertificateResponse *iresp = NULL;
	Pca__Api__AcmPca__GetCertificateResponse *gresp = NULL;
	ProtobufCMessage *out = NULL;
	char cn[128];
	char *arn = NULL;
	int rc = -1;

	*arnp = NULL;
	snprintf(cn, sizeof(cn), "hsmca bench root %s", label);
	subj.country = "US";
	subj.organization = "hsmca bench";
	subj.common_name = cn;
	cfg.key_algorithm = key_alg;
	cfg.signing_algorithm = sig_alg;
	cfg.subject = &subj;
	creq.certificate_authority_configuration = &cfg;
	creq.certificate_authority_type = API(CERTIFICATE_AUTHORITY_TYPE__CertificateAuthorityType_ROOT);
	if (bench_call_ok(c, "acm-pca", "CreateCertificateAuthority", &creq.base, &out) != 0)
		goto out;
	cresp = (void *)out;
	if (cresp->certificate_authority_arn == NULL ||
	    (arn = strdup(cresp->certificate_authority_arn)) == NULL)
		goto out;

	csrreq.certificate_authority_arn = arn;
	if (bench_call_ok(c, "acm-pca", "GetCertificateAuthorityCsr", &csrreq.base, &out) != 0)
		goto out;
	csrresp = (void *)out;
	if (csrresp->csr == NULL)
		goto out;

	ireq.certificate_authority_arn = arn;
	ireq.csr.data = (uint8_t *)csrresp->csr;
	ireq.csr.len = strlen(csrresp->csr);
	ireq.signing_algorithm = sig_alg;
	ireq.template_arn = TMPL_ROOT;
	val.value = 10;
	val.type = API(VALIDITY_PERIOD_TYPE__ValidityPeriodType_YEARS);
	ireq.validity = &val;
	if (bench_call_ok(c, "acm-pca", "IssueCertificate", &ireq.base, &out) != 0)
		goto out;
	iresp = (void *)out;
	if (iresp->certificate_arn == NULL)
		goto out;

	greq.certificate_authority_arn = arn;
	greq.certificate_arn = iresp->certificate_arn;
	if (bench_call_ok(c, "acm-pca", "GetCertificate", &greq.base, &out) != 0)
		goto out;
	gresp = (void *)out;
	if (gresp->certificate == NULL)
		goto out;

	imp.certificate_authority_arn = arn;
	imp.certificate.data = (uint8_t *)gresp->certificate;
	imp.certificate.len = strlen(gresp->certificate);
	if (bench_call_ok(c, "acm-pca", "ImportCertificateAuthorityCertificate", &imp.base,
	    &out) != 0)
		goto out;
	protobuf_c_message_free_unpacked(out, NULL);
	*arnp = arn;
	arn = NULL;
	rc = 0;
 out:
	if (cresp != NULL)
		protobuf_c_message_free_unpacked(&cresp->base, NULL);
	if (csrresp != NULL)
		protobuf_c_message_free_unpacked(&csrresp->base, NULL);
	if (iresp != NULL)
		protobuf_c_message_free_unpacked(&iresp->base, NULL);
	if (gresp != NULL)
		protobuf_c_message_free_unpacked(&gresp->base, NULL);
	free(arn);
	return rc;
}
