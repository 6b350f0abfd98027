/*
 * pca-frontend - authenticates, authorizes, keeps all state, schedules, and
 * asks pca-signer for every signature.
 *
 *   pca-frontend -c frontend.conf          serve (foreground; logs to stderr)
 *   pca-frontend -c frontend.conf -t | -T  check / print the configuration
 *   pca-frontend -c frontend.conf admin-init --credentials-file FILE [--profile NAME]
 *       create the administrator's account and access key (once) and write
 *       them as an AWS shared credentials file of mode 0600
 *   pca-frontend -c frontend.conf add-account --credentials-file FILE [--profile NAME]
 *       [--name NAME]    a standalone account with a root key, written the same way
 *
 * HSMCA_TEST_CLOCK=1 in the environment (or test-clock yes) starts the
 * service with a test clock that its administrator can move forward.
 */
#include "admin.h"
#include "authz.h"
#include "cfg.h"
#include "clock.h"
#include "cred_cache.h"
#include "door_http.h"
#include "door_socket.h"
#include "frontend.h"
#include "log.h"
#include "nonce_cache.h"
#include "ops.h"
#include "scheduler.h"
#include "serial_pool.h"
#include "store.h"
#include "store_iam.h"
#include "wire.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FE_CFG(f)	CFG_OFF(struct frontend_config, f)
/* Entries live ~6 minutes (the +-5 minute window from the request's time,
 * plus a margin; nonce_cache.c), so this cap allows ~2900 requests/s; at
 * 32 bytes an entry it costs at most 32 MiB. */
#define NONCE_CACHE_MAX	(1u << 20)

static const struct cfg_key frontend_cfg_keys[] = {
	{ "listen",	       CFG_STR,  FE_CFG(listen),	    .required = 1,
	  .help = "native socket API endpoint (tcp://host:port or ipc://path)" },
	{ "listen-http",       CFG_STR,  FE_CFG(listen_http),
	  .help = "AWS-compatible HTTP API (host:port); absent: no HTTP listener" },
	{ "http-max-body",     CFG_UINT, FE_CFG(http_max_body),     .min = 1024,
	  .max = 64ull * 1024 * 1024, .def = "1048576",
	  .help = "largest HTTP request body in bytes (larger ones get 413)" },
	{ "listen-https",      CFG_STR,  FE_CFG(listen_https),
	  .help = "the HTTP API over TLS (host:port); absent: no HTTPS listener" },
	{ "https-cert",	       CFG_PATH, FE_CFG(https_cert),
	  .help = "PEM file: the HTTPS server certificate, then its chain" },
	{ "https-key",	       CFG_PATH, FE_CFG(https_key),	    .check = cfg_check_mode_0600,
	  .help = "PEM file: the HTTPS server's private key (mode 0600 or stricter)" },
	{ "signer",	       CFG_STR,  FE_CFG(signer),	    .required = 1,
	  .help = "pca-signer's endpoint" },
	{ "database",	       CFG_PATH, FE_CFG(database),	    .required = 1 },
	{ "region",	       CFG_STR,  FE_CFG(region),	    .def = "us-east-1" },
	{ "workers",	       CFG_UINT, FE_CFG(workers),	    .min = 1, .max = 1024, .def = "32" },
	{ "signer-timeout-ms", CFG_UINT, FE_CFG(signer_timeout_ms), .min = 100, .max = 600000,
	  .def = "10000" },
	{ "keygen-timeout-ms", CFG_UINT, FE_CFG(keygen_timeout_ms), .min = 1000, .max = 3600000,
	  .def = "120000" },
	{ "sweep-interval",    CFG_UINT, FE_CFG(sweep_interval_s),  .min = 1, .max = 86400,
	  .def = "60" },
	{ "renew-workers",     CFG_UINT, FE_CFG(renew_workers),     .min = 1, .max = 64, .def = "4",
	  .help = "threads of a managed-renewal sweep (each its own signer connection)" },
	{ "test-clock",	       CFG_BOOL, FE_CFG(test_clock),	    .def = "no" },
	{ "log-level",	       CFG_STR,  FE_CFG(log_level),	    .def = "info" },
};
#define NKEYS (sizeof(frontend_cfg_keys) / sizeof(frontend_cfg_keys[0]))

/*
 * A test clock moved before a restart stays moved: a test that stops the
 * daemons in the middle of time-driven work finds the same time after.
 */
static int
restore_test_clock(struct frontend *fe)
{
	char *v = NULL, *end;
	long long off;
	int r;

	if ((r = store_setting_get(fe->store, TEST_CLOCK_SETTING, &v)) == PCA_ERR_NOT_FOUND)
		return 0;
	if (r != 0) {
		log_error_fr(r, "read the test clock's offset");
		return r;
	}
	off = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || off < 0) {
		log_error("setting %s is not an offset: %s", TEST_CLOCK_SETTING, v);
		free(v);
		return PCA_ERR_INVALID;
	}
	free(v);
	if ((r = clock_advance(off)) == 0 && off > 0)
		log_warn("TEST CLOCK: %lld s ahead, as it was left", off);
	return r;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pca-frontend -c CONFIG [-t | -T]\n"
	    "       pca-frontend -c CONFIG admin-init --credentials-file FILE [--profile NAME]\n"
	    "       pca-frontend -c CONFIG add-account --credentials-file FILE [--profile NAME]"
	    " [--name NAME]\n");
	exit(2);
}

static void *
signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig = 0;

	sigwait(set, &sig);
	log_info("signal %d: shutting down", sig);
	wire_term();
	return NULL;
}

/* The administrator's account, recorded by admin-init. */
static int
load_admin_account(struct frontend *fe)
{
	char *id = NULL;
	int r;

	r = store_setting_get(fe->store, "admin_account", &id);
	if (r == PCA_ERR_NOT_FOUND) {
		log_warn("no administrator account yet: run pca-frontend admin-init");
		return 0;
	}
	if (r != 0) {
		log_error_fr(r, "read the administrator's account");
		return r;
	}
	snprintf(fe->admin_account, sizeof(fe->admin_account), "%s", id);
	free(id);
	return 0;
}

/* admin-init and add-account: offline commands on the store. */
static int
cmd_account(struct frontend *fe, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "credentials-file", required_argument, NULL, 'f' },
		{ "profile", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *profile = "default", *name = "account";
	int add = strcmp(argv[0], "add-account") == 0;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 'p': profile = optarg; break;
		case 'n': name = optarg; break;
		default: usage();
		}
	}
	if (file == NULL)
		usage();
	if ((r = store_open(fe->cfg.database, &fe->store)) != 0) {
		log_error_fr(r, "open %s", fe->cfg.database);
		return 1;
	}
	r = add ? admin_add_account(fe, name, file, profile) : admin_init(fe, file, profile);
	store_close(fe->store);
	fe->store = NULL;
	return r == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct frontend fe;
	const char *cfg_path = NULL, *env;
	char err[512];
	int c, check = 0, dump = 0, lvl, r, rc = 1, door = 0, http = 0, sched = 0;
	sigset_t set;
	pthread_t sig_th;

	log_init("pca-frontend", LOG_INFO);
	door_http_global_init();
	memset(&fe, 0, sizeof(fe));
	while ((c = getopt(argc, argv, "+c:tT")) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; break;
		case 't': check = 1; break;
		case 'T': dump = 1; break;
		default: usage();
		}
	}
	if (cfg_path == NULL)
		usage();
	if (cfg_load(cfg_path, frontend_cfg_keys, NKEYS, &fe.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "pca-frontend: %s\n", err);
		goto out;
	}
	if ((lvl = log_level_parse(fe.cfg.log_level)) < 0) {
		fprintf(stderr, "pca-frontend: %s: unknown log-level %s\n", cfg_path,
		    fe.cfg.log_level);
		goto out;
	}
	log_init("pca-frontend", lvl);
	if ((r = ops_init()) != 0)
		goto out;
	if (optind < argc) {
		if (strcmp(argv[optind], "admin-init") != 0 &&
		    strcmp(argv[optind], "add-account") != 0)
			usage();
		rc = cmd_account(&fe, argc - optind, argv + optind);
		goto out;
	}
	if (check || dump) {
		if (dump)
			cfg_dump(stdout, frontend_cfg_keys, NKEYS, &fe.cfg);
		rc = 0;
		goto out;
	}
	if ((env = getenv("HSMCA_TEST_CLOCK")) != NULL && strcmp(env, "1") == 0)
		fe.cfg.test_clock = 1;
	if (fe.cfg.test_clock) {
		clock_enable_test();
		log_warn("TEST CLOCK: the service clock can be moved by the administrator");
	}

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((r = store_open(fe.cfg.database, &fe.store)) != 0) {
		log_error_fr(r, "open %s", fe.cfg.database);
		goto out;
	}
	fe.started_at = clock_real();
	if ((r = load_admin_account(&fe)) != 0)
		goto out;
	if (fe.cfg.test_clock && (r = restore_test_clock(&fe)) != 0)
		goto out;
	if ((r = nonce_cache_new(NONCE_CACHE_MAX, &fe.nonces)) != 0 ||
	    (r = cred_cache_new(CRED_CACHE_SLOTS, &fe.creds)) != 0 ||
	    (r = serial_pool_new(&fe.serials)) != 0 ||
	    (r = authz_new(fe.store, &fe.authz)) != 0) {
		log_error_fr(r, "start");
		goto out;
	}
	if ((r = door_socket_start(&fe)) != 0) {
		log_error_fr(r, "listen %s", fe.cfg.listen);
		wire_term();
		door = 1;
		goto out;
	}
	door = 1;
	if ((r = door_http_start(&fe)) != 0) {
		log_error_fr(r, "HTTP API (listen-http %s, listen-https %s)",
		    fe.cfg.listen_http != NULL ? fe.cfg.listen_http : "-",
		    fe.cfg.listen_https != NULL ? fe.cfg.listen_https : "-");
		wire_term();
		goto out;
	}
	http = 1;
	if ((r = sched_start(&fe)) != 0) {
		log_error_fr(r, "scheduler");
		wire_term();
		goto out;
	}
	sched = 1;
	if (pthread_create(&sig_th, NULL, signal_thread, &set) != 0) {
		log_error("pthread_create failed");
		wire_term();
		goto out;
	}
	log_info("serving (region %s, database %s)", fe.cfg.region, fe.cfg.database);
	pthread_join(sig_th, NULL);
	rc = 0;
 out:
	if (http)
		door_http_stop();
	if (door)
		door_socket_stop();
	if (sched)
		sched_stop();
	if (fe.store != NULL) {
		store_close(fe.store);
		log_info("stopped: %llu requests, %llu errors",
		    (unsigned long long)fe.n_requests, (unsigned long long)fe.n_errors);
	}
	nonce_cache_free(fe.nonces);
	cred_cache_free(fe.creds);
	serial_pool_free(fe.serials);
	authz_free(fe.authz);
	cfg_free(frontend_cfg_keys, NKEYS, &fe.cfg);
	return rc;
}
