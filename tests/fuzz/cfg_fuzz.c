/*
 * cfg_fuzz.c - configuration files: common/cfg.h cfg_load with a table
 * like pca-signer's (every cfg_type, a sensitive key, a checked path), and
 * signer/policy.h policy_load, both on the same bytes written to a file.
 *
 * Invariant (cfg.h: cfg_dump output is "re-parsable"): what loads, dumps;
 * the dump loads again and dumps to the same text. Same for the policy.
 *
 * Global state: one temporary directory per process (the input and dump
 * files), removed at exit.
 *
 * Seeds: tests/fuzz/corpus/cfg/ - the shipped hsm-config files, signer and
 * frontend configurations, and edge cases (written by hand).
 */
#include "fuzz_util.h"
#include "cfg.h"
#include "policy.h"

#include <limits.h>

struct fuzz_cfg {
	char			*token_uri;
	char			*listen;
	char			*policy_file;
	unsigned long long	 workers;
	char			*log_level;
	int			 test_clock;
	struct cfg_list		 allow;
	char			*secret;
	char			*pin_file;
	unsigned long long	 timeout_ms;
};

#define FC(f)	CFG_OFF(struct fuzz_cfg, f)

/* pca-signer's keys (signer/main.c), and one of each remaining kind */
static const struct cfg_key fuzz_keys[] = {
	{ "token-uri",	 CFG_STR,  FC(token_uri),   .required = 1 },
	{ "listen",	 CFG_STR,  FC(listen),	    .required = 1 },
	{ "policy-file", CFG_PATH, FC(policy_file),  .required = 0 },
	{ "workers",	 CFG_UINT, FC(workers),	    .min = 0, .max = 256, .def = "0" },
	{ "log-level",	 CFG_STR,  FC(log_level),   .def = "info" },
	{ "test-clock",	 CFG_BOOL, FC(test_clock),  .def = "no" },
	{ "allow",	 CFG_LIST, FC(allow),	    .required = 0 },
	{ "secret",	 CFG_STR,  FC(secret),	    .flags = CFG_SENSITIVE },
	{ "pin-file",	 CFG_PATH, FC(pin_file),    .check = cfg_check_mode_0600 },
	{ "timeout-ms",	 CFG_UINT, FC(timeout_ms),  .min = 100, .def = "10000" },
};
#define NKEYS	(sizeof(fuzz_keys) / sizeof(fuzz_keys[0]))

/* set up once per process */
static struct {
	int	ready;
	char	dir[PATH_MAX];
	char	input[PATH_MAX + 16];
	char	dump[PATH_MAX + 16];
} gl_fx;

static void
fx_cleanup(void)
{
	fuzz_rmtree(gl_fx.dir);
}

static void
fx_setup(void)
{
	fuzz_logs("cfg_fuzz");
	fuzz_mkdtemp(gl_fx.dir, sizeof(gl_fx.dir), "cfg");
	snprintf(gl_fx.input, sizeof(gl_fx.input), "%s/input.conf", gl_fx.dir);
	snprintf(gl_fx.dump, sizeof(gl_fx.dump), "%s/dump.conf", gl_fx.dir);
	atexit(fx_cleanup);
	gl_fx.ready = 1;
}

/* The text of a dump (malloc'd). */
static char *
dump_text(void (*dump)(FILE *, const void *), const void *obj, size_t *len)
{
	char *buf = NULL;
	FILE *f;

	*len = 0;
	FUZZ_CHECK((f = open_memstream(&buf, len)) != NULL);
	dump(f, obj);
	FUZZ_CHECK(fclose(f) == 0);
	return buf;
}

static void
cfg_dump_fn(FILE *f, const void *obj)
{
	cfg_dump(f, fuzz_keys, NKEYS, obj);
}

static void
policy_dump_fn(FILE *f, const void *obj)
{
	policy_dump(obj, f);
}

static void
fuzz_cfg(void)
{
	struct fuzz_cfg c, again;
	char err[512], *d1, *d2;
	size_t l1, l2;

	memset(&c, 0, sizeof(c));
	memset(&again, 0, sizeof(again));
	if (cfg_load(gl_fx.input, fuzz_keys, NKEYS, &c, err, sizeof(err)) != 0) {
		FUZZ_ASSERT(err[0] != '\0');
		cfg_free(fuzz_keys, NKEYS, &c);
		return;
	}
	d1 = dump_text(cfg_dump_fn, &c, &l1);
	FUZZ_CHECK(fuzz_write_file(gl_fx.dump, d1, l1) == 0);
	if (cfg_load(gl_fx.dump, fuzz_keys, NKEYS, &again, err, sizeof(err)) != 0) {
		fprintf(stderr, "the dump of a loaded configuration does not load: %s\n"
		    "---- dump\n%s----\n", err, d1);
		FUZZ_ASSERT(!"cfg_dump output re-parsable");
	}
	d2 = dump_text(cfg_dump_fn, &again, &l2);
	FUZZ_ASSERT(l1 == l2 && memcmp(d1, d2, l1) == 0);
	free(d1);
	free(d2);

	/* command-line overrides on top: same checks, the old value freed */
	if (cfg_set(fuzz_keys, NKEYS, &c, "log-level", "debug", err, sizeof(err)) != 0 ||
	    cfg_set(fuzz_keys, NKEYS, &c, "allow", "a b c", err, sizeof(err)) != 0)
		FUZZ_ASSERT(!"cfg_set of valid values");
	FUZZ_ASSERT(cfg_set(fuzz_keys, NKEYS, &c, "workers", "257", err, sizeof(err)) != 0);
	cfg_free(fuzz_keys, NKEYS, &c);
	cfg_free(fuzz_keys, NKEYS, &again);
}

static void
fuzz_policy(void)
{
	struct policy *p = NULL, *again = NULL;
	char err[512], why[256], *d1, *d2;
	size_t l1, l2;

	if (policy_load(gl_fx.input, &p, err, sizeof(err)) != 0) {
		FUZZ_ASSERT(p == NULL && err[0] != '\0');
		return;
	}
	d1 = dump_text(policy_dump_fn, p, &l1);
	FUZZ_CHECK(fuzz_write_file(gl_fx.dump, d1, l1) == 0);
	if (policy_load(gl_fx.dump, &again, err, sizeof(err)) != 0) {
		fprintf(stderr, "the dump of a loaded policy does not load: %s\n"
		    "---- dump\n%s----\n", err, d1);
		FUZZ_ASSERT(!"policy_dump output re-parsable");
	}
	d2 = dump_text(policy_dump_fn, again, &l2);
	FUZZ_ASSERT(l1 == l2 && memcmp(d1, d2, l1) == 0);
	for (int alg = 0; alg <= HSM_KEY_EC_P384 + 1; alg++)
		if (policy_check_keygen(p, (enum hsm_key_alg)alg, why, sizeof(why)) != 0)
			FUZZ_ASSERT(why[0] != '\0');
	free(d1);
	free(d2);
	policy_free(p);
	policy_free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!gl_fx.ready)
		fx_setup();
	FUZZ_CHECK(fuzz_write_file(gl_fx.input, data, size) == 0);
	fuzz_cfg();
	fuzz_policy();
	return 0;
}
