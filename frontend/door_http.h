/*
 * door_http.h - the AWS-compatible HTTP API door (libmicrohttpd), so that
 * the aws CLI and the AWS SDKs work against hsmca with --endpoint-url only.
 *
 *   POST /  X-Amz-Target: <targetPrefix>.<Operation>      AWS JSON 1.1
 *           (ACMPrivateCA, CertificateManager, AWSOrganizationsV20161128,
 *           HsmcaAdmin): the body is decoded by codec_json (CODEC_WIRE),
 *           the caller authenticated by auth_http() (SigV4 from the
 *           headers), and the operation run by dispatch_call(), exactly the
 *           path of the native door; the answer is the output as JSON or
 *           {"__type":"<Code>","message":"..."} with x-amzn-ErrorType.
 *   POST /  Content-Type: application/x-www-form-urlencoded (Action=...)
 *           the query protocol of iam and sts: door_http_query() (a typed
 *           error until its codec is plugged in there).
 *   anything else: 404 (path) or 405 (method), typed.
 *
 * Every answer carries x-amzn-RequestId. Bodies over http-max-body get 413
 * with a typed error; a malformed request costs one answer, never the
 * service. MHD's thread pool has `workers` threads; each owns its own
 * struct fe_worker (signer connection), made on its first request. The
 * HTTPS listener is a second MHD daemon with its own pool, TLS by GnuTLS
 * (door_https.c), and the same handlers.
 */
#ifndef PCA_DOOR_HTTP_H
#define PCA_DOOR_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "frontend.h"

#define DOOR_HTTP_DEFAULT_MAX_BODY	(1024u * 1024)

/*
 * Once, before any thread starts: jansson (the HTTP door's JSON) wipes
 * every block it frees, since request and answer trees carry secrets
 * (CreateAccessKey, ExportCertificate).
 */
void door_http_global_init(void);

/* Listen on fe->cfg.listen_http ("host:port"; port 0 picks one), and on
 * fe->cfg.listen_https with TLS (door_https.h: https-cert, https-key); each
 * is optional. Both listeners run the same request path. On failure nothing
 * is left listening. */
int door_http_start(struct frontend *fe) PCA_MUST_CHECK;
/* Stop the listeners, wait for their threads, close their signer connections.
 * NULL-safe: nothing when it was not started. */
void door_http_stop(void);
/* The port listened on (0 when not listening). */
unsigned door_http_port(void);

#endif
