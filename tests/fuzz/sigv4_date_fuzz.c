/*
 * sigv4_date_fuzz.c - request timestamps and envelopes: common/sigv4.h
 * sigv4_parse_amzdate, sigv4_format_amzdate and sigv4_check_window, and
 * common/envelope.h envelope_verify / envelope_sign on a decoded
 * pca.api.Request. The same input is read three ways:
 *   - as text: a timestamp "YYYYMMDDTHHMMSSZ";
 *   - its first 16 bytes as two int64 (t, now) for the window check;
 *   - as a packed pca.api.Request.
 *
 * Invariants: a timestamp that parses formats back to the same text; a time
 * that formats parses back to the same time; the window check explains
 * every refusal; an envelope verifies with one secret only; an envelope signed by envelope_sign verifies (and no longer does
 * once its payload changes).
 *
 * Seeds: tests/fuzz/corpus/sigv4_date/ (sigv4_date_fuzz --write-seeds DIR).
 */
#include "fuzz_util.h"
#include "envelope.h"
#include "sigv4.h"

#define FUZZ_SECRET	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define FUZZ_NOW	1767225600LL	/* 2026-01-01T00:00:00Z */

static void
fuzz_text(const uint8_t *data, size_t size)
{
	char *s, back[SIGV4_AMZDATE_LEN + 1], why[256];
	int64_t t;

	if ((s = fuzz_strndup(data, size)) == NULL)
		return;
	if (sigv4_parse_amzdate(s, &t) == 0) {
		sigv4_format_amzdate(t, back);
		FUZZ_ASSERT(strcmp(back, s) == 0);
		if (sigv4_check_window(t, FUZZ_NOW, why, sizeof(why)) != 0)
			FUZZ_ASSERT(why[0] != '\0');
	} else {
		FUZZ_ASSERT(t == 0);
	}
	free(s);
}

static void
fuzz_times(const uint8_t *data, size_t size)
{
	char ts[SIGV4_AMZDATE_LEN + 1], why[256];
	int64_t t, now, back;

	if (size < 16)
		return;
	memcpy(&t, data, sizeof(t));
	memcpy(&now, data + 8, sizeof(now));
	sigv4_format_amzdate(t, ts);
	if (ts[0] != '\0') {
		FUZZ_ASSERT(strlen(ts) == SIGV4_AMZDATE_LEN);
		FUZZ_ASSERT(sigv4_parse_amzdate(ts, &back) == 0 && back == t);
	}
	why[0] = '\0';
	if (sigv4_check_window(t, now, why, sizeof(why)) == 0) {
		/* |t - now| <= 300, computed without overflow */
		FUZZ_ASSERT(t >= now ? (uint64_t)t - (uint64_t)now <= SIGV4_WINDOW_SECS :
		    (uint64_t)now - (uint64_t)t <= SIGV4_WINDOW_SECS);
	} else {
		FUZZ_ASSERT(why[0] != '\0');
	}
	/* a NULL why is allowed */
	if (sigv4_check_window(now, t, NULL, 0) != 0)
		FUZZ_ASSERT(t != now);
}

static void
fuzz_envelope(const uint8_t *data, size_t size)
{
	Pca__Api__Request *req, tmp;
	char why[512];
	int64_t ts;
	int r;

	if ((req = pca__api__request__unpack(NULL, size, data)) == NULL)
		return;
	/* as the door does: 0 or PCA_ERR_AUTH with a reason; a request that
	 * verifies does so with this secret only */
	r = envelope_verify(req, FUZZ_SECRET, "acm-pca", why, sizeof(why));
	FUZZ_ASSERT(r == 0 || (r == PCA_ERR_AUTH && why[0] != '\0'));
	if (r == 0)
		FUZZ_ASSERT(envelope_verify(req, "another secret", "acm-pca", why,
		    sizeof(why)) == PCA_ERR_AUTH);
	r = envelope_verify(req, FUZZ_SECRET, req->service, why, sizeof(why));
	FUZZ_ASSERT(r == 0 || r == PCA_ERR_AUTH || r == PCA_ERR_INVALID);

	/* sign the request as a client would, at its own timestamp */
	if (req->timestamp == NULL || sigv4_parse_amzdate(req->timestamp, &ts) != 0)
		ts = FUZZ_NOW;
	tmp = *req;
	r = envelope_sign(&tmp, req->access_key_id, FUZZ_SECRET, req->session_token,
	    req->region, "acm-pca", ts);
	if (r == 0) {
		r = envelope_verify(&tmp, FUZZ_SECRET, "acm-pca", why, sizeof(why));
		if (r != 0)
			fprintf(stderr, "envelope_verify after envelope_sign: %s\n", why);
		FUZZ_ASSERT(r == 0);
		FUZZ_ASSERT(envelope_verify(&tmp, "another secret", "acm-pca", why,
		    sizeof(why)) == PCA_ERR_AUTH);
		FUZZ_ASSERT(envelope_verify(&tmp, FUZZ_SECRET, "hsmca", why,
		    sizeof(why)) == PCA_ERR_AUTH);
		if (tmp.payload.len > 0) {
			uint8_t *p = malloc(tmp.payload.len);

			FUZZ_CHECK(p != NULL);
			memcpy(p, tmp.payload.data, tmp.payload.len);
			p[0] ^= 1;
			tmp.payload.data = p;
			FUZZ_ASSERT(envelope_verify(&tmp, FUZZ_SECRET, "acm-pca", why,
			    sizeof(why)) == PCA_ERR_AUTH);
			free(p);
		}
		/* what envelope_sign placed; a failed one placed nothing and
		 * tmp still holds req's strings */
		envelope_clear(&tmp);
	}
	pca__api__request__free_unpacked(req, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		fuzz_logs("sigv4_date_fuzz");
		ready = 1;
	}
	fuzz_text(data, size);
	fuzz_times(data, size);
	fuzz_envelope(data, size);
	return 0;
}

/* ---- seeds --------------------------------------------------------------- */

static int
seed_request(const char *dir, const char *name, const char *service, const char *op,
    const char *payload, const char *session_token, int64_t now, int corrupt)
{
	Pca__Api__Request req = PCA__API__REQUEST__INIT;
	uint8_t *buf;
	size_t len;
	int r;

	req.version = API_PROTO_VERSION;
	req.service = (char *)service;
	req.operation = (char *)op;
	req.payload.data = (uint8_t *)payload;
	req.payload.len = strlen(payload);
	if (envelope_sign(&req, "AKIAFUZZFUZZFUZZFUZZ", FUZZ_SECRET, session_token,
	    "us-east-1", "acm-pca", now) != 0)
		return -1;
	if (corrupt)
		req.signature[0] = req.signature[0] == 'a' ? 'b' : 'a';
	len = pca__api__request__get_packed_size(&req);
	if ((buf = malloc(len)) == NULL) {
		envelope_clear(&req);
		return -1;
	}
	pca__api__request__pack(&req, buf);
	r = fuzz_seed(dir, name, buf, len);
	free(buf);
	envelope_clear(&req);
	return r;
}

int
FuzzWriteSeeds(const char *dir)
{
	static const char *const texts[] = {
		"20260101T000000Z", "19700101T000000Z", "19691231T235959Z",
		"99991231T235959Z", "00000101T000000Z", "20240229T120000Z",
		"20230229T120000Z", "20260101T240000Z", "20260101T000060Z",
		"2026-01-01T00:00:00Z", "20260101T000000", "20260101t000000z",
	};
	static const int64_t pairs[][2] = {
		{ FUZZ_NOW, FUZZ_NOW + 300 }, { FUZZ_NOW, FUZZ_NOW + 301 },
		{ INT64_MIN, INT64_MAX }, { INT64_MAX, INT64_MIN + 1 },
		{ -62167219200LL, 0 }, { 253402300799LL, 253402300800LL },
	};
	char name[64];
	uint8_t b[16];
	int r = 0;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		snprintf(name, sizeof(name), "text-%02zu", i);
		r |= fuzz_seed(dir, name, texts[i], strlen(texts[i]));
	}
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		memcpy(b, &pairs[i][0], 8);
		memcpy(b + 8, &pairs[i][1], 8);
		snprintf(name, sizeof(name), "times-%02zu", i);
		r |= fuzz_seed(dir, name, b, sizeof(b));
	}
	r |= seed_request(dir, "envelope-list", "acm-pca", "ListCertificateAuthorities",
	    "", NULL, FUZZ_NOW, 0);
	r |= seed_request(dir, "envelope-describe", "acm-pca", "DescribeCertificateAuthority",
	    "\x0a\x05" "arn:x", NULL, FUZZ_NOW, 0);
	r |= seed_request(dir, "envelope-session", "hsmca", "GetStatus", "", "FwoGZXIvYXdzE",
	    FUZZ_NOW, 0);
	r |= seed_request(dir, "envelope-badsig", "acm-pca", "ListTags", "\x0a\x01x", NULL,
	    FUZZ_NOW, 1);
	r |= seed_request(dir, "envelope-y9999", "acm-pca", "ListTags", "", NULL,
	    253402300799LL, 0);
	return r == 0 ? 0 : -1;
}
