/*
 * bench_http.h - a minimal HTTP/1.1 client of the AWS JSON 1.1 API, for
 * the benchmarks: one keep-alive TCP connection, one outstanding request,
 * every request SigV4-signed (common/sigv4.h) the way botocore signs it.
 *
 * What is signed (frontend/http_sigv4.c rebuilds the same):
 *   POST / (no query), SignedHeaders content-type;host;x-amz-date;
 *   x-amz-target (and x-amz-security-token with temporary credentials),
 *   the payload hash being the SHA-256 of the body.
 *
 * Built into the pcabench library (tests/CMakeLists.txt), never as a
 * benchmark of its own. Only what the server here sends is read: a status
 * line, headers, then a body of Content-Length bytes or chunked. A server
 * that closes an idle keep-alive connection is met with one reconnection
 * and one retry, counted (bench_http_reconnects).
 *
 * One connection serves one thread at a time.
 */
#ifndef PCA_BENCH_HTTP_H
#define PCA_BENCH_HTTP_H

#include <stddef.h>

#include "creds.h"

#define BENCH_HTTP_ENDPOINT_MAX	256

struct bench_http;

/* The result of one call. */
struct bench_http_answer {
	unsigned	 status;	/* HTTP status; 0 when none was read */
	char		 error_type[96];	/* x-amzn-ErrorType (up to ':'), or "" */
	const char	*body;		/* NUL-terminated; valid until the next call */
	size_t		 body_len;
};

/*
 * HSMCA_HTTP_ENDPOINT of the instance's env file (home/env, written by
 * scripts/lib/instance.sh) into out: 1 found, 0 not there (or no env file),
 * -1 an unusable value (said on stderr).
 */
int bench_http_endpoint_load(const char *home, char *out, size_t outlen);

/*
 * Connect to endpoint ("http://host:port"; "http://host" means port 80) for
 * credentials cr (kept by reference: they must outlive the connection)
 * in region. timeout_ms bounds each send and each wait for an answer.
 * 0, or -1 after saying why on stderr.
 */
int bench_http_open(const char *endpoint, const struct creds *cr, const char *region,
    int timeout_ms, struct bench_http **out);
void bench_http_close(struct bench_http *h);

/*
 * POST body to "/" with X-Amz-Target: target, signed for signing_name;
 * body_sha256 is the body's SHA-256 in hex (computed once by the caller,
 * since its requests repeat). 0 when an answer was read (any status: see
 * a->status), or -1 with a->error_type "RequestTimeout" (no answer in time)
 * or "ConnectionError" (connect, send or receive failed, or an answer that
 * does not parse); the connection is then closed and the next call opens
 * a new one.
 */
int bench_http_call(struct bench_http *h, const char *signing_name, const char *target,
    const char *body, size_t body_len, const char *body_sha256,
    struct bench_http_answer *a);

/* Connections opened after the first one (idle closes, errors). */
unsigned bench_http_reconnects(const struct bench_http *h);

#endif
