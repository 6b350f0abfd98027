/*
 * http_sigv4_fuzz.c - the HTTP door's SigV4 parsing (frontend/http_sigv4.h):
 * the Authorization header parser and the canonical request builder, on
 * attacker-chosen headers, request targets and SignedHeaders lists.
 *
 * Input: lines. Line 1 is an Authorization header value, line 2 the raw
 * request target, each further line up to an empty one a header
 * "name:value"; the rest is the body.
 *
 * Invariants: a parsed header has a 64-character signature and five
 * non-empty scope parts; a canonical request that builds starts with the
 * method, ends with the payload hash, and names SignedHeaders on its
 * next-to-last line; building it twice gives the same bytes.
 */
#include "fuzz_util.h"
#include "http_sigv4.h"

#define FUZZ_MAX_HEADERS	32
#define FUZZ_HASH	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_sigv4_header h[FUZZ_MAX_HEADERS];
	struct http_sigv4_request rq;
	struct http_sigv4_auth a;
	char *text, *line, *next, *auth, *target, *c1 = NULL, *c2 = NULL, why[256];
	size_t n = 0, l1 = 0, l2 = 0, tail;
	int r;

	fuzz_logs("http_sigv4_fuzz");
	if ((text = fuzz_strndup(data, size)) == NULL)
		return 0;
	auth = text;
	if ((target = strchr(auth, '\n')) == NULL)
		goto out;
	*target++ = '\0';
	line = strchr(target, '\n');
	if (line != NULL)
		*line++ = '\0';
	for (; line != NULL && *line != '\0' && n < FUZZ_MAX_HEADERS; line = next) {
		char *colon;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((colon = strchr(line, ':')) == NULL)
			break;
		*colon = '\0';
		h[n].name = line;
		h[n].value = colon + 1;
		n++;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = "POST";
	rq.target = target;
	rq.headers = h;
	rq.n_headers = n;
	rq.body = (const uint8_t *)(line != NULL ? line : "");
	rq.body_len = line != NULL ? strlen(line) : 0;

	r = http_sigv4_parse_authorization(auth, &a, why, sizeof(why));
	if (r != 0) {
		FUZZ_ASSERT(why[0] != '\0');
		goto out;
	}
	FUZZ_ASSERT(strlen(a.signature) == SIGV4_SIG_HEX_LEN);
	FUZZ_ASSERT(a.key_id[0] && a.date8[0] && a.region[0] && a.service[0] &&
	    a.terminator[0] && a.signed_headers[0]);
	if (http_sigv4_canonical_request(&rq, a.signed_headers, FUZZ_HASH, &c1, &l1, why,
	    sizeof(why)) != 0) {
		FUZZ_ASSERT(c1 == NULL);
		goto out;
	}
	FUZZ_ASSERT(strncmp(c1, "POST\n", 5) == 0);
	tail = strlen(a.signed_headers) + 1 + strlen(FUZZ_HASH);
	FUZZ_ASSERT(l1 > tail && strcmp(c1 + l1 - strlen(FUZZ_HASH), FUZZ_HASH) == 0);
	FUZZ_ASSERT(strncmp(c1 + l1 - tail, a.signed_headers, strlen(a.signed_headers)) == 0);
	FUZZ_ASSERT(http_sigv4_canonical_request(&rq, a.signed_headers, FUZZ_HASH, &c2, &l2,
	    why, sizeof(why)) == 0);
	FUZZ_ASSERT(l1 == l2 && memcmp(c1, c2, l1) == 0);
 out:
	free(c1);
	free(c2);
	free(text);
	return 0;
}
