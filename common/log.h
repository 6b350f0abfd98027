/*
 * log.h - process log (not the audit log).
 *
 * Every line names its process and function:
 *   2026-11-23T10:00:00Z pca-signer[123] error op_sign_cert: sign ca=... : token operation failed
 * Lines go to stderr (daemons redirect it to their log file). Payloads never
 * reach the log: callers log types and lengths, never secrets.
 * Thread-safe; level set once at start.
 */
#ifndef PCA_LOG_H
#define PCA_LOG_H

#include <syslog.h>	/* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */

void log_init(const char *progname, int level);
int log_level_parse(const char *s);	/* "debug" -> LOG_DEBUG, -1 if unknown */

void pca_log(int level, const char *func, const char *errstr,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(...)	pca_log(LOG_DEBUG, __func__, NULL, __VA_ARGS__)
#define log_info(...)	pca_log(LOG_INFO, __func__, NULL, __VA_ARGS__)
#define log_warn(...)	pca_log(LOG_WARNING, __func__, NULL, __VA_ARGS__)
#define log_error(...)	pca_log(LOG_ERR, __func__, NULL, __VA_ARGS__)
/* The _fr variants append pca_err_str(r). */
#define log_warn_fr(r, ...)  pca_log(LOG_WARNING, __func__, pca_err_str(r), __VA_ARGS__)
#define log_error_fr(r, ...) pca_log(LOG_ERR, __func__, pca_err_str(r), __VA_ARGS__)

/* Precondition check for programmer errors: logs and returns val. */
#define return_val_if_fail(cond, val) do {				\
	if (!(cond)) {							\
		pca_log(LOG_ERR, __func__, NULL, "check failed: %s", #cond); \
		return (val);						\
	}								\
} while (0)

#endif
