/*
 * frontend.h - pca-frontend's shared context.
 *
 * struct frontend is the process's one place of shared state (configuration,
 * store, caches, counters); it is set up by main.c before any thread starts
 * and its pointers do not change afterwards. Each worker thread of a door
 * owns a struct fe_worker (its own signer connection). A request runs as an
 * op_ctx: who calls, which operation, and where a typed error goes.
 */
#ifndef PCA_FRONTEND_H
#define PCA_FRONTEND_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "api_error.h"
#include "err.h"

struct store;
struct cred_cache;
struct nonce_cache;
struct serial_pool;
struct signer_conn;
struct op_entry;

struct frontend_config {
	char			*listen;		/* native socket API endpoint */
	char			*listen_http;		/* HTTP API "host:port"; NULL: none */
	unsigned long long	 http_max_body;		/* bytes of an HTTP request body */
	char			*listen_https;		/* the same API over TLS; NULL: none */
	char			*https_cert;		/* PEM: certificate, then chain */
	char			*https_key;		/* PEM private key, mode 0600 */
	char			*signer;		/* pca-signer endpoint */
	char			*database;		/* SQLite file */
	char			*region;
	unsigned long long	 workers;		/* door worker threads */
	unsigned long long	 signer_timeout_ms;
	unsigned long long	 keygen_timeout_ms;
	unsigned long long	 sweep_interval_s;	/* scheduler period */
	unsigned long long	 renew_workers;		/* threads of a renewal sweep */
	int			 test_clock;		/* allow moving the service clock */
	char			*log_level;
};

struct frontend {
	struct frontend_config	 cfg;
	struct store		*store;
	struct cred_cache	*creds;		/* NULL: every request reads the store */
	struct nonce_cache	*nonces;
	struct serial_pool	*serials;
	int64_t			 started_at;	/* real clock at start */
	struct authz		*authz;		/* compiled policies (authz.h) */
	char			 admin_account[13];	/* "" until admin-init ran */
	atomic_ullong		 n_requests;
	atomic_ullong		 n_errors;
};

/* 1 when account_id is the administrator's account (admin-init's). */
int fe_is_admin_account(const struct frontend *fe, const char *account_id);

/* Who sent a request, as authentication established it. */
enum caller_kind {
	CALLER_ROOT = 1,	/* an account's root credentials */
	CALLER_USER,		/* an IAM user's access key */
	CALLER_ROLE_SESSION,	/* temporary credentials of sts:AssumeRole */
	CALLER_SERVICE,		/* the service itself acting as a service
				 * principal (acm.amazonaws.com renewals) */
};

/* arn:aws:iam::<12>:user/ (31) + a path of up to 512 + a name of up to 64 */
#define CALLER_ARN_MAX	640

struct caller {
	char	account_id[13];
	/* arn:aws:iam::<account>:root, ...:user/<name>,
	 * arn:aws:sts::<account>:assumed-role/<role>/<session>, or the service
	 * principal's name ("acm.amazonaws.com"); a user's ARN carries its
	 * path (user/pki/alice) */
	char	arn[CALLER_ARN_MAX + 1];
	char	access_key_id[32];
	int	is_root;		/* kind == CALLER_ROOT */
	enum caller_kind kind;
	char	name[129];		/* user name, or role name of a session */
	char	session_name[65];	/* role sessions */
	char	source_account[13];	/* services: the account they act for */
};

/* What one worker thread of a door (or the scheduler) owns. */
struct fe_worker {
	struct frontend		*fe;
	struct signer_conn	*signer;
};

struct op_ctx {
	struct frontend		*fe;
	struct fe_worker	*w;
	const struct caller	*caller;
	const struct op_entry	*op;
	enum api_exc		 exc;
	char			 msg[512];
};

/* Record a typed error in ctx and return -1 (handlers: return op_fail(...)). */
int op_fail(struct op_ctx *ctx, enum api_exc e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int fe_worker_init(struct fe_worker *w, struct frontend *fe) PCA_MUST_CHECK;
void fe_worker_clear(struct fe_worker *w);

#endif
