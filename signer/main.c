/*
 * pca-signer - the isolated process that holds the only login to the token.
 *
 *   pca-signer -c signer.conf        serve (foreground; logs to stderr)
 *   pca-signer -c signer.conf -t     check the configuration and policy, exit
 *   pca-signer -c signer.conf -T     print the effective configuration and policy
 *   pca-signer init-token --module PATH --label LABEL --so-pin-file F --pin-file F
 */
#include "cfg.h"
#include "clock.h"
#include "hsm.h"
#include "issuer_cache.h"
#include "log.h"
#include "policy.h"
#include "sign_cache.h"
#include "signer.h"
#include "wire.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define SIGNER_CFG(f)	CFG_OFF(struct signer_config, f)

static const struct cfg_key signer_cfg_keys[] = {
	{ "token-uri",	 CFG_STR,  SIGNER_CFG(token_uri),   .required = 1,
	  .help = "RFC 7512 PKCS#11 URI of the token, with module-path and pin-source" },
	{ "listen",	 CFG_STR,  SIGNER_CFG(listen),	    .required = 1,
	  .help = "nanomsg endpoint the frontend connects to (ipc:// in a 0750 directory)" },
	{ "policy-file", CFG_PATH, SIGNER_CFG(policy_file),
	  .help = "the signer's own policy (hsm-config/signer-policy.conf)" },
	{ "workers",	 CFG_UINT, SIGNER_CFG(workers),	    .min = 0, .max = 256, .def = "0",
	  .help = "worker threads, one PKCS#11 session each; 0: the number of cores" },
	{ "log-level",	 CFG_STR,  SIGNER_CFG(log_level),   .def = "info" },
};
#define NKEYS (sizeof(signer_cfg_keys) / sizeof(signer_cfg_keys[0]))

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pca-signer -c CONFIG [-t | -T]\n"
	    "       pca-signer init-token --module PATH --label LABEL "
	    "--so-pin-file FILE --pin-file FILE\n");
	exit(2);
}

static int
cmd_init_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "label", required_argument, NULL, 'l' },
		{ "so-pin-file", required_argument, NULL, 's' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *module = NULL, *label = NULL, *so = NULL, *pin = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': module = optarg; break;
		case 'l': label = optarg; break;
		case 's': so = optarg; break;
		case 'p': pin = optarg; break;
		default: usage();
		}
	}
	if (module == NULL || label == NULL || so == NULL || pin == NULL)
		usage();
	r = hsm_token_init(module, label, so, pin);
	if (r == PCA_ERR_EXISTS) {
		log_info("token %s already initialized", label);
		return 0;
	}
	if (r != 0) {
		log_error_fr(r, "init token %s", label);
		return 1;
	}
	log_info("token %s initialized", label);
	return 0;
}

/* Waits for SIGTERM/SIGINT and wakes every blocked socket call. */
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

/* Brings the token back with back-off when it went away. */
static void *
token_supervisor(void *arg)
{
	struct signer *s = arg;
	unsigned delay = 1;

	while (!wire_terminating()) {
		sleep(1);
		if (hsm_is_up(s->hsm)) {
			delay = 1;
			continue;
		}
		log_warn("token down: re-initializing (next try in %us)", delay);
		if (hsm_recover(s->hsm) == 0) {
			log_info("token back: %zu keys", hsm_key_count(s->hsm));
			delay = 1;
			continue;
		}
		for (unsigned i = 0; i < delay && !wire_terminating(); i++)
			sleep(1);
		if (delay < 30)
			delay *= 2;
	}
	return NULL;
}

/*
 * Find or make the data-key wrapping key before serving, so workers rarely
 * race to make it (hsm_wrap_key_ensure() serializes them anyway). A failure
 * is not fatal: the CA keys still sign, and wrap_data_key tries again.
 */
static void
wrap_key_prepare(struct hsm *hsm)
{
	struct hsm_session *sess = NULL;
	int r;

	if ((r = hsm_session_open(hsm, &sess)) == 0)
		r = hsm_wrap_key_ensure(sess, 1);
	hsm_session_close(sess);
	if (r != 0)
		log_warn_fr(r, "wrapping key %s not ready; data-key requests will "
		    "try again", HSM_WRAP_KEY_LABEL);
}

int
main(int argc, char **argv)
{
	struct signer_config cfg;
	struct signer s;
	const char *cfg_path = NULL;
	char err[512];
	int c, check = 0, dump = 0, lvl, r, rc = 1;
	sigset_t set;
	pthread_t sig_th, sup_th;
	struct rlimit no_core = { 0, 0 };

	log_init("pca-signer", LOG_INFO);
	if (argc > 1 && strcmp(argv[1], "init-token") == 0)
		return cmd_init_token(argc - 1, argv + 1);
	while ((c = getopt(argc, argv, "c:tT")) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; break;
		case 't': check = 1; break;
		case 'T': dump = 1; break;
		default: usage();
		}
	}
	if (cfg_path == NULL || optind != argc)
		usage();

	memset(&cfg, 0, sizeof(cfg));
	memset(&s, 0, sizeof(s));
	s.sock = -1;
	if (cfg_load(cfg_path, signer_cfg_keys, NKEYS, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "pca-signer: %s\n", err);
		goto out;
	}
	if ((lvl = log_level_parse(cfg.log_level)) < 0) {
		fprintf(stderr, "pca-signer: %s: unknown log-level %s\n", cfg_path, cfg.log_level);
		goto out;
	}
	log_init("pca-signer", lvl);
	if (policy_load(cfg.policy_file, &s.policy, err, sizeof(err)) != 0) {
		fprintf(stderr, "pca-signer: %s\n", err);
		goto out;
	}
	if (check || dump) {
		if (dump) {
			cfg_dump(stdout, signer_cfg_keys, NKEYS, &cfg);
			policy_dump(s.policy, stdout);
		}
		rc = 0;
		goto out;
	}

	/* the key holder never dumps core (it would hold session secrets) */
	setrlimit(RLIMIT_CORE, &no_core);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	s.nworkers = cfg.workers > 0 ? (unsigned)cfg.workers :
	    (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (s.nworkers == 0)
		s.nworkers = 1;
	if ((r = sign_cache_new(&s.cache)) != 0 ||
	    (r = issuer_cache_new(ISSUER_CACHE_CAPACITY, &s.issuers)) != 0 ||
	    (r = hsm_open(cfg.token_uri, &s.hsm)) != 0) {
		log_error_fr(r, "open token");
		goto out;
	}
	log_info("token %s: %zu CA keys", hsm_token_label(s.hsm), hsm_key_count(s.hsm));
	wrap_key_prepare(s.hsm);
	if ((r = wire_server_open(cfg.listen, SIGNER_MAX_MESSAGE, &s.sock)) != 0) {
		log_error_fr(r, "listen %s", cfg.listen);
		goto out;
	}
	log_info("listening on %s", cfg.listen);
	if (pthread_create(&sig_th, NULL, signal_thread, &set) != 0 ||
	    pthread_create(&sup_th, NULL, token_supervisor, &s) != 0) {
		log_error("pthread_create failed");
		goto out;
	}
	r = signer_serve(&s);
	/* wake the signal thread if no signal came (serve failed); never
	 * cancel it: it may be inside nn_term() holding nanomsg's lock */
	pthread_kill(sig_th, SIGTERM);
	pthread_join(sig_th, NULL);
	wire_term();
	pthread_join(sup_th, NULL);
	rc = r == 0 ? 0 : 1;
	log_info("stopped: %llu requests, %llu failed, %llu malformed",
	    (unsigned long long)s.n_requests, (unsigned long long)s.n_failed,
	    (unsigned long long)s.n_malformed);
 out:
	wire_close(s.sock);
	hsm_close(s.hsm);
	sign_cache_free(s.cache);
	issuer_cache_free(s.issuers);
	policy_free(s.policy);
	cfg_free(signer_cfg_keys, NKEYS, &cfg);
	return rc;
}
