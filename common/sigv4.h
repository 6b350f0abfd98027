/*
 * sigv4.h - AWS Signature Version 4 primitives (HMAC-SHA256).
 *
 * The same derivation serves the native socket API (common/envelope.h) and
 * the HTTP API, so one access key works on both:
 *   kDate = HMAC("AWS4" + secret, yyyymmdd); kRegion = HMAC(kDate, region);
 *   kService = HMAC(kRegion, service); kSigning = HMAC(kService, "aws4_request")
 *   signature = hex(HMAC(kSigning, string_to_sign))
 * Secrets and derived keys are wiped after use.
 */
#ifndef PCA_SIGV4_H
#define PCA_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

#define SIGV4_KEY_LEN		32
#define SIGV4_SIG_HEX_LEN	64
#define SIGV4_AMZDATE_LEN	16	/* "YYYYMMDDTHHMMSSZ" */
#define SIGV4_WINDOW_SECS	300	/* +-5 minutes */

/* kSigning for (secret, date "YYYYMMDD", region, service). */
void sigv4_signing_key(const char *secret, const char *date8, const char *region,
    const char *service, uint8_t key[SIGV4_KEY_LEN]);

/* "AWS4-HMAC-SHA256\n<amzdate>\n<date8>/<region>/<service>/aws4_request\n<hex sha256(canonical)>" */
int sigv4_string_to_sign(const char *amzdate, const char *region, const char *service,
    const char *canonical, size_t canonical_len, char **out) PCA_MUST_CHECK;

/* hex(HMAC(key, sts)) into out (65 bytes). */
void sigv4_sign(const uint8_t key[SIGV4_KEY_LEN], const char *sts, size_t sts_len,
    char out[SIGV4_SIG_HEX_LEN + 1]);

/* lower-case hex SHA-256 of data into out (65 bytes). */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Constant-time comparison of two hex signatures: 1 if equal. */
int sigv4_sig_equal(const char *a, const char *b);

/* Format / parse "YYYYMMDDTHHMMSSZ" (UTC). Parse refuses anything else. */
void sigv4_format_amzdate(int64_t t, char out[SIGV4_AMZDATE_LEN + 1]);
int sigv4_parse_amzdate(const char *s, int64_t *t) PCA_MUST_CHECK;

/* 0 when |t - now| <= SIGV4_WINDOW_SECS; otherwise PCA_ERR_AUTH with why
 * in AWS's words ("Signature expired: 20131008T001036Z is now earlier than
 * 20131008T001112Z (20131008T001612Z - 5 min.)" / "Signature not yet
 * current: ... is still later than ... (... + 5 min.)"). */
int sigv4_check_window(int64_t t, int64_t now, char *why, size_t whylen) PCA_MUST_CHECK;

#endif
