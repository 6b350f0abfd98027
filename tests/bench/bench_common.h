/*
 * bench_common.h - what the benchmarks against a running instance share:
 * reading the instance's files, process and machine figures from /proc,
 * and the setup calls (a ROOT CA brought to ACTIVE).
 *
 * Built into the pcabench library with bench_raw.c (tests/CMakeLists.txt),
 * never as a benchmark of its own. Errors are said on stderr with a
 * "bench: " prefix; the functions return -1 (or a negative figure) after.
 */
#ifndef PCA_BENCH_COMMON_H
#define PCA_BENCH_COMMON_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "creds.h"

#define BENCH_MIB	(1024.0 * 1024.0)

struct pca_client;

/* What the instance's files say (bench_instance_load). */
struct bench_instance {
	char		 endpoint[256];
	char		 region[64];
	char		 token_uri[1024];
	char		 db_path[PATH_MAX];
	char		 fe_conf[PATH_MAX];
	char		 fe_pidfile[PATH_MAX];
	char		 signer_pidfile[PATH_MAX];
	struct creds	 cr;		/* the administrator; creds_clear() it */
};

/* CPU seconds spent by each process, and by the whole machine (busy, of
 * all cores), to tell others' load apart. */
struct bench_cpu {
	double		 fe, signer, bench;
	double		 machine;
};

double bench_secs_since(uint64_t t0);	/* t0 from clock_mono_ns() */
void bench_sleep_ms(long ms);

/* The value of "key value" in a configuration file: 1 found, 0 not there,
 * -1 the file cannot be read (errno), -2 the value is too long. Quiet. */
int bench_conf_find(const char *path, const char *key, char *out, size_t outlen);
/* The same, but a missing key is an error too (-1), and said. */
int bench_conf_get(const char *path, const char *key, char *out, size_t outlen);

/*
 * Load the instance in home (scripts/lib/instance.sh's layout): endpoint,
 * region, database, token URI, pid files, and the administrator's
 * credentials resolved like the CLI. Sets AWS_SHARED_CREDENTIALS_FILE and
 * SOFTHSM2_CONF (for hsm_open in this process) and unsets the AWS key
 * variables. 0 or -1.
 */
int bench_instance_load(const char *home, struct bench_instance *in);

long bench_pid_read(const char *pidfile);
/* VmRSS and VmHWM of a process in kB; -1 (both -1) when unknown. */
int bench_proc_mem(long pid, long *rss_kb, long *hwm_kb);
/* utime + stime of a process in seconds; -1 when unknown. */
double bench_proc_cpu(long pid);
/* This process's CPU seconds (all threads). */
double bench_self_cpu(void);
/* Busy CPU seconds of the whole machine (all cores), from /proc/stat; -1. */
double bench_machine_cpu(void);
void bench_cpu_sample(const struct bench_instance *in, struct bench_cpu *c);

/* Issued acm-pca certificates in the database (a read-only look; WAL lets
 * it run beside the frontend), or -1. */
long long bench_db_cert_count(const char *path);

/* Call service:op; a RequestInProgressException is waited out (up to a
 * minute). 0, or -1 after printing the error. */
int bench_call_ok(struct pca_client *c, const char *service, const char *op,
    const ProtobufCMessage *in, ProtobufCMessage **out);

/*
 * A ROOT CA of key_alg/sig_alg (acm-pca enums) brought to ACTIVE the AWS
 * way: Create -> GetCsr -> IssueCertificate RootCACertificate/V1 (10 years)
 * on its own CSR -> GetCertificate -> ImportCertificateAuthorityCertificate.
 * Its CN names label. *arnp: its ARN (free it). 0 or -1.
 */
int bench_root_ca_create(struct pca_client *c, const char *label, int key_alg, int sig_alg,
    char **arnp);

#endif
