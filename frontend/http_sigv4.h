/*
 * http_sigv4.h - the HTTP side of AWS Signature Version 4: parsing the
 * Authorization header and rebuilding the canonical request of an HTTP
 * request exactly as botocore's SigV4Auth builds it (common/sigv4.h has the
 * key derivation, string to sign and HMAC).
 *
 * Canonical request = the six lines, joined by "\n":
 *   METHOD
 *   canonical URI: the path with dot segments and empty segments removed
 *     (a trailing '/' kept), every byte but A-Z a-z 0-9 - . _ ~ / written
 *     %XX (upper case) -- a '%' of the path too: non-S3 services encode the
 *     already encoded path once more
 *   canonical query string: name=value pairs, decoded and re-encoded (only
 *     the unreserved bytes stay), sorted by name then value, joined by '&'
 *   canonical headers: "name:value\n" for each name of SignedHeaders, in its
 *     order, values trimmed with inner runs of white space made one space,
 *     repeated headers joined by ','
 *   SignedHeaders as given
 *   payload hash (x-amz-content-sha256 when the request sent one)
 *
 * Nothing here depends on the HTTP server library: a request is a view of
 * the method, the raw request target, the headers in the order received and
 * the body. No function here allocates what it does not return.
 */
#ifndef PCA_HTTP_SIGV4_H
#define PCA_HTTP_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sigv4.h"

#define HTTP_SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
#define HTTP_SIGV4_KEY_ID_MAX		128
#define HTTP_SIGV4_SCOPE_PART_MAX	64
#define HTTP_SIGV4_SIGNED_MAX		1024	/* SignedHeaders */
#define HTTP_SIGV4_MAX_HEADERS		64	/* names in SignedHeaders */

struct http_sigv4_header {
	const char	*name;		/* as received (any case) */
	const char	*value;
};

struct http_sigv4_request {
	const char			*method;	/* "POST" */
	const char			*target;	/* raw request target: path[?query] */
	const struct http_sigv4_header	*headers;	/* in the order received */
	size_t				 n_headers;
	const uint8_t			*body;
	size_t				 body_len;
};

/* The parts of "AWS4-HMAC-SHA256 Credential=<key>/<date8>/<region>/<service>/
 * <terminator>, SignedHeaders=<h1;h2>, Signature=<hex>". */
struct http_sigv4_auth {
	char	key_id[HTTP_SIGV4_KEY_ID_MAX + 1];
	char	date8[HTTP_SIGV4_SCOPE_PART_MAX + 1];
	char	region[HTTP_SIGV4_SCOPE_PART_MAX + 1];
	char	service[HTTP_SIGV4_SCOPE_PART_MAX + 1];
	char	terminator[HTTP_SIGV4_SCOPE_PART_MAX + 1];
	char	signed_headers[HTTP_SIGV4_SIGNED_MAX + 1];
	char	signature[SIGV4_SIG_HEX_LEN + 1];
};

/*
 * Parse an Authorization header value. Parameters may come in any order,
 * separated by ',' and optional spaces. 0, or PCA_ERR_MALFORMED with why in
 * AWS's words (IncompleteSignatureException texts); PCA_ERR_UNSUPPORTED
 * when the algorithm is not AWS4-HMAC-SHA256.
 */
int http_sigv4_parse_authorization(const char *value, struct http_sigv4_auth *a,
    char *why, size_t whylen) PCA_MUST_CHECK;

/* The first value of header name (case-insensitive), or NULL. */
const char *http_sigv4_header(const struct http_sigv4_request *rq, const char *name);

/*
 * The canonical request of rq for the signed header names signed_headers
 * ("a;b;c", lower case) and the payload hash payload_hash (64 hex), into
 * *out (malloc'd, NUL-terminated; *out_len without the NUL). 0,
 * PCA_ERR_MALFORMED (why set: a name of SignedHeaders is empty or not lower
 * case, or too many) or PCA_ERR_NOMEM.
 */
int http_sigv4_canonical_request(const struct http_sigv4_request *rq,
    const char *signed_headers, const char *payload_hash, char **out, size_t *out_len,
    char *why, size_t whylen) PCA_MUST_CHECK;

/*
 * The signature (64 hex) rq would carry when signed with the signing key
 * key for auth's scope at amzdate, with payload hash payload_hash. 0 or
 * the error of http_sigv4_canonical_request(). The caller compares it to
 * auth->signature with sigv4_sig_equal().
 */
int http_sigv4_signature(const struct http_sigv4_request *rq, const struct http_sigv4_auth *auth,
    const char *amzdate, const char *payload_hash, const uint8_t key[SIGV4_KEY_LEN],
    char sig[SIGV4_SIG_HEX_LEN + 1], char *why, size_t whylen) PCA_MUST_CHECK;

#endif
