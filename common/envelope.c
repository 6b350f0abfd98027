/*
 * envelope.c - signing and verifying native API requests.
 *
 * The canonical text (envelope.h) takes the place of SigV4's canonical
 * request; everything after it (string to sign, key derivation, HMAC) is
 * common/sigv4.c, so the HTTP door and this one share one algorithm. A
 * native signature can never pass as an HTTP one: the canonical texts
 * start differently ("HSMCA-NATIVE-V1" versus an HTTP method).
 *
 * Ownership: envelope_sign() places six malloc'd strings in the request
 * (timestamp, nonce, region, access_key_id, session_token or NULL,
 * signature) and nothing else; envelope_clear() frees exactly those and
 * puts the protobuf-c defaults back. A failed envelope_sign() leaves the
 * request untouched.
 */
#include "envelope.h"
#include "log.h"
#include "sigv4.h"
#include "wipe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define ENVELOPE_CANON_TAG	"HSMCA-NATIVE-V1"
#define ENVELOPE_NONCE_BYTES	(ENVELOPE_NONCE_HEX_LEN / 2)

/* AWS's text for a signature mismatch, so clients see the familiar one */
#define ENVELOPE_MISMATCH	"The request signature we calculated does not match " \
	"the signature you provided. Check your AWS Secret Access Key and signing " \
	"method. Consult the service documentation for details."

static void __attribute__((format(printf, 3, 4)))
why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static int
is_lower_hex(const char *s, size_t len)
{
	if (s == NULL || strnlen(s, len + 1) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * Fields joined by '\n' in the canonical text must not contain '\n', or
 * two different requests could share one canonical text. The region sits
 * in the '/'-separated credential scope, so '/' is refused there too.
 */
static int
field_ok(const char *s, int allow_empty, const char *forbidden)
{
	if (s == NULL || (!allow_empty && s[0] == '\0'))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || strchr(forbidden, *p) != NULL)
			return 0;
	return 1;
}

/* The canonical text of req (envelope.h); *outp is malloc'd (it may hold
 * the session token: free with str_free_wiped()). */
static int
envelope_canonical(const Pca__Api__Request *req, char **outp, size_t *lenp)
{
	char hash[65];
	const char *tok = req->session_token != NULL ? req->session_token : "";
	char *text;
	size_t len;
	int n;

	*outp = NULL;
	*lenp = 0;
	if (req->payload.len > 0 && req->payload.data == NULL)
		return PCA_ERR_INVALID;
	sigv4_sha256_hex(req->payload.len > 0 ? req->payload.data : (const uint8_t *)"",
	    req->payload.len, hash);
	if (strlen(hash) != 64)		/* "" when OpenSSL failed */
		return PCA_ERR_CRYPTO;
	len = sizeof(ENVELOPE_CANON_TAG) + strlen(req->service) + 1 +
	    strlen(req->operation) + 1 + strlen(req->nonce) + 1 + strlen(tok) + 1 +
	    64 + 1;
	if ((text = malloc(len)) == NULL)
		return PCA_ERR_NOMEM;
	n = snprintf(text, len, "%s\n%s\n%s\n%s\n%s\n%s", ENVELOPE_CANON_TAG,
	    req->service, req->operation, req->nonce, tok, hash);
	if (n < 0 || (size_t)n >= len) {
		str_free_wiped(text);
		return PCA_ERR_INTERNAL;
	}
	*outp = text;
	*lenp = (size_t)n;
	return 0;
}

/* hex(HMAC(key, string to sign)) of req: the signature req should carry
 * when key is the signing key of its scope. */
static int
envelope_compute_key(const Pca__Api__Request *req, const uint8_t key[SIGV4_KEY_LEN],
    const char *signing_name, char sig[SIGV4_SIG_HEX_LEN + 1])
{
	char *canon = NULL, *sts = NULL;
	size_t canon_len;
	int r;

	sig[0] = '\0';
	if ((r = envelope_canonical(req, &canon, &canon_len)) != 0 ||
	    (r = sigv4_string_to_sign(req->timestamp, req->region, signing_name,
	    canon, canon_len, &sts)) != 0)
		goto out;
	sigv4_sign(key, sts, strlen(sts), sig);
	if (strlen(sig) != SIGV4_SIG_HEX_LEN) {
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	r = 0;
 out:
	str_free_wiped(canon);
	free(sts);
	return r;
}

int
envelope_signing_key(const Pca__Api__Request *req, const char *secret,
    const char *signing_name, uint8_t key[SIGV4_KEY_LEN])
{
	char date8[9];

	return_val_if_fail(req != NULL && secret != NULL && signing_name != NULL,
	    PCA_ERR_INTERNAL);
	memset(key, 0, SIGV4_KEY_LEN);
	/* the scope date is the timestamp's first 8 characters */
	if (req->timestamp == NULL || strnlen(req->timestamp, SIGV4_AMZDATE_LEN + 1) !=
	    SIGV4_AMZDATE_LEN || req->region == NULL)
		return PCA_ERR_INVALID;
	memcpy(date8, req->timestamp, 8);
	date8[8] = '\0';
	sigv4_signing_key(secret, date8, req->region, signing_name, key);
	return 0;
}

/* envelope_compute_key() with the key derived from secret. */
static int
envelope_compute(const Pca__Api__Request *req, const char *secret,
    const char *signing_name, char sig[SIGV4_SIG_HEX_LEN + 1])
{
	uint8_t key[SIGV4_KEY_LEN];
	int r;

	sig[0] = '\0';
	if ((r = envelope_signing_key(req, secret, signing_name, key)) == 0)
		r = envelope_compute_key(req, key, signing_name, sig);
	wipe(key, sizeof(key));
	return r;
}

static char *
hex_nonce_new(void)
{
	uint8_t raw[ENVELOPE_NONCE_BYTES];
	static const char hexdigits[] = "0123456789abcdef";
	char *s;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return NULL;
	if ((s = malloc(ENVELOPE_NONCE_HEX_LEN + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(raw); i++) {
		s[2 * i] = hexdigits[raw[i] >> 4];
		s[2 * i + 1] = hexdigits[raw[i] & 0x0f];
	}
	s[ENVELOPE_NONCE_HEX_LEN] = '\0';
	return s;
}

int
envelope_sign(Pca__Api__Request *req, const char *access_key_id,
    const char *secret, const char *session_token, const char *region,
    const char *signing_name, int64_t now)
{
	Pca__Api__Request tmp;
	char ts[SIGV4_AMZDATE_LEN + 1], sig[SIGV4_SIG_HEX_LEN + 1];
	char *s_ts = NULL, *s_nonce = NULL, *s_region = NULL, *s_akid = NULL;
	char *s_tok = NULL, *s_sig = NULL;
	int r = PCA_ERR_INTERNAL;

	return_val_if_fail(req != NULL && secret != NULL, PCA_ERR_INTERNAL);
	if (session_token != NULL && session_token[0] == '\0')
		session_token = NULL;	/* no empty optional field on the wire */
	if (!field_ok(req->service, 0, "\n") || !field_ok(req->operation, 0, "\n") ||
	    !field_ok(access_key_id, 0, "") || !field_ok(region, 0, "/") ||
	    !field_ok(signing_name, 0, "/") ||
	    (session_token != NULL && !field_ok(session_token, 1, "")) ||
	    (req->payload.len > 0 && req->payload.data == NULL))
		return PCA_ERR_INVALID;
	sigv4_format_amzdate(now, ts);
	if (ts[0] == '\0')
		return PCA_ERR_INVALID;

	if ((s_ts = strdup(ts)) == NULL || (s_region = strdup(region)) == NULL ||
	    (s_akid = strdup(access_key_id)) == NULL ||
	    (session_token != NULL && (s_tok = strdup(session_token)) == NULL)) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	if ((s_nonce = hex_nonce_new()) == NULL) {
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	/* sign a copy, so that req changes only on success */
	tmp = *req;
	tmp.timestamp = s_ts;
	tmp.nonce = s_nonce;
	tmp.region = s_region;
	tmp.access_key_id = s_akid;
	tmp.session_token = s_tok;
	if ((r = envelope_compute(&tmp, secret, signing_name, sig)) != 0)
		goto out;
	if ((s_sig = strdup(sig)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	req->timestamp = s_ts;
	req->nonce = s_nonce;
	req->region = s_region;
	req->access_key_id = s_akid;
	req->session_token = s_tok;
	req->signature = s_sig;
	s_ts = s_nonce = s_region = s_akid = s_tok = s_sig = NULL;
	r = 0;
 out:
	free(s_ts);
	free(s_nonce);
	free(s_region);
	free(s_akid);
	str_free_wiped(s_tok);
	free(s_sig);
	return r;
}

/* The shape checks of envelope_verify(): nothing computes on a malformed
 * envelope. 0, PCA_ERR_AUTH with why set, or PCA_ERR_INVALID for a bad
 * signing name (a caller bug). */
static int
envelope_shape_check(const Pca__Api__Request *req, const char *signing_name,
    char *why, size_t whylen)
{
	int64_t t;

	why_set(why, whylen, "%s", "");
	/* Shape first: nothing below computes on a malformed envelope. */
	if (!is_lower_hex(req->signature, SIGV4_SIG_HEX_LEN)) {
		why_set(why, whylen, "signature must be %d lower-case hex characters",
		    SIGV4_SIG_HEX_LEN);
		return PCA_ERR_AUTH;
	}
	if (!is_lower_hex(req->nonce, ENVELOPE_NONCE_HEX_LEN)) {
		why_set(why, whylen, "nonce must be %d lower-case hex characters",
		    ENVELOPE_NONCE_HEX_LEN);
		return PCA_ERR_AUTH;
	}
	if (req->timestamp == NULL || sigv4_parse_amzdate(req->timestamp, &t) != 0) {
		why_set(why, whylen, "timestamp must be YYYYMMDDTHHMMSSZ (UTC)");
		return PCA_ERR_AUTH;
	}
	if (!field_ok(req->access_key_id, 0, "")) {
		why_set(why, whylen, "access key id missing or malformed");
		return PCA_ERR_AUTH;
	}
	if (!field_ok(req->region, 0, "/")) {
		why_set(why, whylen, "region missing or malformed");
		return PCA_ERR_AUTH;
	}
	if (!field_ok(req->service, 0, "\n") || !field_ok(req->operation, 0, "\n")) {
		why_set(why, whylen, "service or operation missing or malformed");
		return PCA_ERR_AUTH;
	}
	if (req->session_token != NULL && !field_ok(req->session_token, 1, "")) {
		why_set(why, whylen, "session token malformed");
		return PCA_ERR_AUTH;
	}
	if (req->payload.len > 0 && req->payload.data == NULL) {
		why_set(why, whylen, "payload malformed");
		return PCA_ERR_AUTH;
	}
	if (!field_ok(signing_name, 0, "/"))
		return PCA_ERR_INVALID;
	return 0;
}

int
envelope_verify(const Pca__Api__Request *req, const char *secret,
    const char *signing_name, char *why, size_t whylen)
{
	char sig[SIGV4_SIG_HEX_LEN + 1];
	int r;

	return_val_if_fail(req != NULL && secret != NULL && signing_name != NULL,
	    PCA_ERR_INTERNAL);
	if ((r = envelope_shape_check(req, signing_name, why, whylen)) != 0)
		return r;
	if ((r = envelope_compute(req, secret, signing_name, sig)) != 0) {
		log_error_fr(r, "envelope signature");
		why_set(why, whylen, "signature could not be computed");
		return r;
	}
	if (!sigv4_sig_equal(sig, req->signature)) {
		why_set(why, whylen, "%s", ENVELOPE_MISMATCH);
		return PCA_ERR_AUTH;
	}
	return 0;
}

int
envelope_verify_key(const Pca__Api__Request *req, const uint8_t key[SIGV4_KEY_LEN],
    const char *signing_name, char *why, size_t whylen)
{
	char sig[SIGV4_SIG_HEX_LEN + 1];
	int r;

	return_val_if_fail(req != NULL && key != NULL && signing_name != NULL,
	    PCA_ERR_INTERNAL);
	if ((r = envelope_shape_check(req, signing_name, why, whylen)) != 0)
		return r;
	if ((r = envelope_compute_key(req, key, signing_name, sig)) != 0) {
		log_error_fr(r, "envelope signature");
		why_set(why, whylen, "signature could not be computed");
		return r;
	}
	if (!sigv4_sig_equal(sig, req->signature)) {
		why_set(why, whylen, "%s", ENVELOPE_MISMATCH);
		return PCA_ERR_AUTH;
	}
	return 0;
}

void
envelope_clear(Pca__Api__Request *req)
{
	char **fields[5];

	if (req == NULL)
		return;
	fields[0] = &req->timestamp;
	fields[1] = &req->nonce;
	fields[2] = &req->region;
	fields[3] = &req->access_key_id;
	fields[4] = &req->signature;
	/* INIT and a failed sign leave protobuf-c's shared empty string */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (*fields[i] != NULL && *fields[i] != protobuf_c_empty_string)
			free(*fields[i]);
		*fields[i] = (char *)protobuf_c_empty_string;
	}
	str_free_wiped(req->session_token);
	req->session_token = NULL;
}
