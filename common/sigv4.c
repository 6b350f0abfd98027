/*
 * sigv4.c - AWS Signature Version 4 primitives.
 *
 * Several functions here are void by contract (sigv4.h) although OpenSSL
 * can fail under memory pressure. They fail closed instead of returning:
 *  - sigv4_sign() and sigv4_sha256_hex() leave the empty string, which
 *    sigv4_sig_equal() never accepts and which no peer signed;
 *  - sigv4_signing_key() leaves a fixed poison key, and sigv4_sign()
 *    refuses to sign with it (an all-zero key would be a key anyone knows).
 */
#include "sigv4.h"
#include "log.h"
#include "wipe.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR	"aws4_request"
#define SHA256_LEN		32
#define HMAC_BLOCK_LEN		64	/* SHA-256 block: longer HMAC keys are hashed */
#define SIGV4_SECRET_PREFIX	"AWS4"

/* Marks a signing key whose derivation failed; a real HMAC output equals it
 * with probability 2^-256. */
static const uint8_t sigv4_poison_key[SIGV4_KEY_LEN] = {
	0xde, 0xad, 0x5e, 0xc4, 0xde, 0xad, 0x5e, 0xc4,
	0xde, 0xad, 0x5e, 0xc4, 0xde, 0xad, 0x5e, 0xc4,
	0xde, 0xad, 0x5e, 0xc4, 0xde, 0xad, 0x5e, 0xc4,
	0xde, 0xad, 0x5e, 0xc4, 0xde, 0xad, 0x5e, 0xc4,
};

static const char hexdigits[] = "0123456789abcdef";

static void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

/*
 * The algorithms, fetched once per process: an OpenSSL 3 fetch takes the
 * provider store's lock and searches it, every time, and every request
 * hashes and MACs several times. Fetched objects are thread-safe and
 * reference-counted; these live until the process exits (never freed, so
 * never used after OpenSSL's own atexit cleanup either). When a fetch
 * fails here, each call fetches for itself as before.
 */
static struct {
	pthread_once_t	 once;
	EVP_MAC		*hmac;
	EVP_MD		*sha256;
} gl_sigv4_algs = { PTHREAD_ONCE_INIT, NULL, NULL };

static void
sigv4_algs_fetch(void)
{
	gl_sigv4_algs.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	gl_sigv4_algs.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void
sigv4_algs(void)
{
	pthread_once(&gl_sigv4_algs.once, sigv4_algs_fetch);
}

/*
 * One HMAC context serves a whole derivation chain: EVP_MAC_init() with a
 * new key restarts it.
 */
struct hmac {
	EVP_MAC		*mac;		/* owned when fetched by this call */
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];
};

static int
hmac_open(struct hmac *h)
{
	EVP_MAC *mac;

	memset(h, 0, sizeof(*h));
	h->params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	h->params[1] = OSSL_PARAM_construct_end();
	sigv4_algs();
	if ((mac = gl_sigv4_algs.hmac) == NULL &&
	    (mac = h->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return PCA_ERR_CRYPTO;
	if ((h->ctx = EVP_MAC_CTX_new(mac)) == NULL) {
		EVP_MAC_free(h->mac);
		h->mac = NULL;
		return PCA_ERR_CRYPTO;
	}
	return 0;
}

static void
hmac_close(struct hmac *h)
{
	EVP_MAC_CTX_free(h->ctx);	/* cleanses the keyed state */
	EVP_MAC_free(h->mac);		/* NULL unless fetched by hmac_open */
	memset(h, 0, sizeof(*h));
}

static int
hmac_run(struct hmac *h, const uint8_t *key, size_t key_len,
    const void *msg, size_t msg_len, uint8_t out[SHA256_LEN])
{
	size_t out_len = 0;

	if (EVP_MAC_init(h->ctx, key, key_len, h->params) != 1 ||
	    EVP_MAC_update(h->ctx, msg, msg_len) != 1 ||
	    EVP_MAC_final(h->ctx, out, &out_len, SHA256_LEN) != 1 ||
	    out_len != SHA256_LEN)
		return PCA_ERR_CRYPTO;
	return 0;
}

static int
sha256_raw(const void *d1, size_t l1, const void *d2, size_t l2,
    uint8_t out[SHA256_LEN])
{
	EVP_MD_CTX *md;
	unsigned int n = 0;
	int r = PCA_ERR_CRYPTO;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return PCA_ERR_CRYPTO;
	sigv4_algs();
	if (EVP_DigestInit_ex(md, gl_sigv4_algs.sha256 != NULL ? gl_sigv4_algs.sha256 :
	    EVP_sha256(), NULL) != 1 ||
	    (l1 > 0 && EVP_DigestUpdate(md, d1, l1) != 1) ||
	    (l2 > 0 && EVP_DigestUpdate(md, d2, l2) != 1) ||
	    EVP_DigestFinal_ex(md, out, &n) != 1 || n != SHA256_LEN)
		goto out;
	r = 0;
 out:
	EVP_MD_CTX_free(md);
	return r;
}

/*
 * kDate = HMAC("AWS4" + secret, date8). The concatenated key is built in a
 * fixed stack buffer and wiped; a key longer than the SHA-256 block is by
 * definition of HMAC replaced by its hash, so a long secret needs no heap
 * copy either: HMAC(k, m) == HMAC(SHA256(k), m) when |k| > 64.
 */
static int
sigv4_kdate(struct hmac *h, const char *secret, const char *date8,
    uint8_t kdate[SHA256_LEN])
{
	uint8_t key[HMAC_BLOCK_LEN];
	size_t plen = sizeof(SIGV4_SECRET_PREFIX) - 1, slen = strlen(secret);
	size_t klen;
	int r;

	if (slen <= sizeof(key) - plen) {
		memcpy(key, SIGV4_SECRET_PREFIX, plen);
		memcpy(key + plen, secret, slen);
		klen = plen + slen;
	} else {
		if ((r = sha256_raw(SIGV4_SECRET_PREFIX, plen, secret, slen, key)) != 0)
			goto out;
		klen = SHA256_LEN;
	}
	r = hmac_run(h, key, klen, date8, strlen(date8), kdate);
 out:
	wipe(key, sizeof(key));
	return r;
}

void
sigv4_signing_key(const char *secret, const char *date8, const char *region,
    const char *service, uint8_t key[SIGV4_KEY_LEN])
{
	struct hmac h;
	uint8_t kdate[SHA256_LEN], kregion[SHA256_LEN], kservice[SHA256_LEN];
	int r = PCA_ERR_INTERNAL;

	memset(&h, 0, sizeof(h));
	if (secret == NULL || date8 == NULL || region == NULL || service == NULL) {
		log_error("check failed: NULL argument");
		goto out;
	}
	if ((r = hmac_open(&h)) != 0 ||
	    (r = sigv4_kdate(&h, secret, date8, kdate)) != 0 ||
	    (r = hmac_run(&h, kdate, sizeof(kdate), region, strlen(region), kregion)) != 0 ||
	    (r = hmac_run(&h, kregion, sizeof(kregion), service, strlen(service),
	    kservice)) != 0 ||
	    (r = hmac_run(&h, kservice, sizeof(kservice), SIGV4_TERMINATOR,
	    sizeof(SIGV4_TERMINATOR) - 1, key)) != 0)
		goto out;
	r = 0;
 out:
	if (r != 0) {
		log_error_fr(r, "signing key derivation");
		memcpy(key, sigv4_poison_key, SIGV4_KEY_LEN);
	}
	hmac_close(&h);
	wipe(kdate, sizeof(kdate));
	wipe(kregion, sizeof(kregion));
	wipe(kservice, sizeof(kservice));
}

int
sigv4_string_to_sign(const char *amzdate, const char *region, const char *service,
    const char *canonical, size_t canonical_len, char **out)
{
	uint8_t digest[SHA256_LEN];
	char hash[65];
	char *sts = NULL;
	size_t len;
	int n, r = PCA_ERR_INTERNAL;

	*out = NULL;
	if (amzdate == NULL || region == NULL || service == NULL ||
	    (canonical == NULL && canonical_len > 0))
		return PCA_ERR_INVALID;
	/* the scope's date is the first 8 characters of the timestamp */
	if (strlen(amzdate) != SIGV4_AMZDATE_LEN)
		return PCA_ERR_INVALID;
	if ((r = sha256_raw(canonical, canonical_len, NULL, 0, digest)) != 0)
		return r;
	hex_encode(digest, sizeof(digest), hash);

	len = sizeof(SIGV4_ALGORITHM) + SIGV4_AMZDATE_LEN + 1 + 8 + 1 +
	    strlen(region) + 1 + strlen(service) + 1 + sizeof(SIGV4_TERMINATOR) +
	    64 + 1;
	if ((sts = malloc(len)) == NULL)
		return PCA_ERR_NOMEM;
	n = snprintf(sts, len, "%s\n%s\n%.8s/%s/%s/%s\n%s", SIGV4_ALGORITHM,
	    amzdate, amzdate, region, service, SIGV4_TERMINATOR, hash);
	if (n < 0 || (size_t)n >= len) {
		free(sts);
		return PCA_ERR_INTERNAL;
	}
	*out = sts;
	return 0;
}

void
sigv4_sign(const uint8_t key[SIGV4_KEY_LEN], const char *sts, size_t sts_len,
    char out[SIGV4_SIG_HEX_LEN + 1])
{
	struct hmac h;
	uint8_t mac[SHA256_LEN];
	int r;

	out[0] = '\0';
	if (key == NULL || (sts == NULL && sts_len > 0)) {
		log_error("check failed: NULL argument");
		return;
	}
	/* a failed derivation never yields a usable signature */
	if (CRYPTO_memcmp(key, sigv4_poison_key, SIGV4_KEY_LEN) == 0)
		return;
	if ((r = hmac_open(&h)) != 0 ||
	    (r = hmac_run(&h, key, SIGV4_KEY_LEN, sts, sts_len, mac)) != 0)
		log_error_fr(r, "signature");
	else
		hex_encode(mac, sizeof(mac), out);
	hmac_close(&h);
	wipe(mac, sizeof(mac));
}

void
sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t digest[SHA256_LEN];

	out[0] = '\0';
	if (data == NULL && len > 0)
		return;
	if (sha256_raw(data, len, NULL, 0, digest) != 0) {
		log_error("sha256 failed");
		return;
	}
	hex_encode(digest, sizeof(digest), out);
}

int
sigv4_sig_equal(const char *a, const char *b)
{
	/* Lengths are public (always 64 for a well-formed signature); only
	 * the contents must be compared in constant time. The empty string
	 * left by a failed computation never matches. */
	if (a == NULL || b == NULL ||
	    strnlen(a, SIGV4_SIG_HEX_LEN + 1) != SIGV4_SIG_HEX_LEN ||
	    strnlen(b, SIGV4_SIG_HEX_LEN + 1) != SIGV4_SIG_HEX_LEN)
		return 0;
	return CRYPTO_memcmp(a, b, SIGV4_SIG_HEX_LEN) == 0;
}

void
sigv4_format_amzdate(int64_t t, char out[SIGV4_AMZDATE_LEN + 1])
{
	struct tm tm;
	time_t tt = (time_t)t;
	int n;

	out[0] = '\0';
	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		/* not representable in four year digits: leave "" (unparsable,
		 * and envelope_sign() refuses it) */
		return;
	}
	n = snprintf(out, SIGV4_AMZDATE_LEN + 1, "%04d%02d%02dT%02d%02d%02dZ",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
	    tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
	if (n != SIGV4_AMZDATE_LEN)
		out[0] = '\0';
}

static int
digits_parse(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
days_in_month(int year, int month)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : mdays[month - 1];
}

int
sigv4_parse_amzdate(const char *s, int64_t *t)
{
	struct tm tm;
	int year, mon, day, hour, min, sec;
	time_t tt;

	*t = 0;
	if (s == NULL || strnlen(s, SIGV4_AMZDATE_LEN + 1) != SIGV4_AMZDATE_LEN ||
	    s[8] != 'T' || s[15] != 'Z')
		return PCA_ERR_MALFORMED;
	if ((year = digits_parse(s, 4)) < 0 ||
	    (mon = digits_parse(s + 4, 2)) < 1 || mon > 12 ||
	    (day = digits_parse(s + 6, 2)) < 1 || day > days_in_month(year, mon) ||
	    (hour = digits_parse(s + 9, 2)) < 0 || hour > 23 ||
	    (min = digits_parse(s + 11, 2)) < 0 || min > 59 ||
	    /* no leap seconds: no SDK sends :60 and timegm would roll it over */
	    (sec = digits_parse(s + 13, 2)) < 0 || sec > 59)
		return PCA_ERR_MALFORMED;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	/* timegm() returns -1 both for errors and for 19691231T235959Z;
	 * every field was range-checked above, so -1 here is that second */
	tt = timegm(&tm);
	*t = (int64_t)tt;
	return 0;
}

int
sigv4_check_window(int64_t t, int64_t now, char *why, size_t whylen)
{
	char ts[SIGV4_AMZDATE_LEN + 1], bound[SIGV4_AMZDATE_LEN + 1];
	char nows[SIGV4_AMZDATE_LEN + 1];
	int64_t lo, hi;

	/* saturate rather than overflow at the ends of int64_t */
	lo = now < INT64_MIN + SIGV4_WINDOW_SECS ? INT64_MIN : now - SIGV4_WINDOW_SECS;
	hi = now > INT64_MAX - SIGV4_WINDOW_SECS ? INT64_MAX : now + SIGV4_WINDOW_SECS;
	if (t >= lo && t <= hi)
		return 0;
	if (why != NULL && whylen > 0) {
		sigv4_format_amzdate(t, ts);
		sigv4_format_amzdate(now, nows);
		if (t < lo) {
			sigv4_format_amzdate(lo, bound);
			snprintf(why, whylen, "Signature expired: %s is now earlier "
			    "than %s (%s - 5 min.)", ts, bound, nows);
		} else {
			sigv4_format_amzdate(hi, bound);
			snprintf(why, whylen, "Signature not yet current: %s is still "
			    "later than %s (%s + 5 min.)", ts, bound, nows);
		}
	}
	return PCA_ERR_AUTH;
}
