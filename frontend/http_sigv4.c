/*
 * http_sigv4.c - SigV4 canonical requests of HTTP requests (http_sigv4.h).
 *
 * Every rule here reproduces botocore's auth.py (SigV4Auth.canonical_request
 * and its helpers), which is what the aws CLI and boto3 sign: a difference
 * of one byte is a client that cannot authenticate.
 */
#include "http_sigv4.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A growing string; on allocation failure it stays failed (err set). */
struct sb {
	char	*p;
	size_t	 len, cap;
	int	 err;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_chr(struct sb *b, char c)
{
	sb_add(b, &c, 1);
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encode s[0..n) (upper-case hex); '/' stays when keep_slash. */
static void
sb_uri_encode(struct sb *b, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[3];

		if (is_unreserved(c) || (keep_slash && c == '/')) {
			sb_chr(b, (char)c);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 0xf];
		sb_add(b, e, 3);
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into b ('+' is a '+': SigV4 is not form decoding;
 * a '%' not followed by two hex digits stays as it is). */
static void
sb_uri_decode(struct sb *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			sb_chr(b, (char)(hi << 4 | lo));
			i += 2;
		} else {
			sb_chr(b, s[i]);
		}
	}
}

/*
 * botocore: quote(remove_dot_segments(path), safe='/~'); an empty path is
 * "/". Segments "" and "." go, ".." removes the one before it; the leading
 * '/' stays, and a trailing one when any segment is left.
 */
static void
canonical_uri(struct sb *b, const char *path, size_t n)
{
	const char *seg[256];
	size_t seglen[256], nseg = 0, i = 0;
	struct sb p = { NULL, 0, 0, 0 };

	if (n == 0) {
		sb_chr(b, '/');
		return;
	}
	while (i < n) {
		size_t j = i;

		while (j < n && path[j] != '/')
			j++;
		if (j - i == 2 && path[i] == '.' && path[i + 1] == '.') {
			if (nseg > 0)
				nseg--;
		} else if (j > i && !(j - i == 1 && path[i] == '.')) {
			if (nseg == sizeof(seg) / sizeof(seg[0])) {
				b->err = 1;	/* absurd path: refused */
				return;
			}
			seg[nseg] = path + i;
			seglen[nseg++] = j - i;
		}
		i = j + 1;
	}
	if (path[0] == '/')
		sb_chr(&p, '/');
	for (i = 0; i < nseg; i++) {
		if (i > 0)
			sb_chr(&p, '/');
		sb_add(&p, seg[i], seglen[i]);
	}
	if (path[n - 1] == '/' && nseg > 0)
		sb_chr(&p, '/');
	if (p.err) {
		b->err = 1;
	} else if (p.len > 0) {
		sb_uri_encode(b, p.p, p.len, 1);
	}
	free(p.p);
}

struct qpair {
	char	*name;		/* encoded */
	char	*value;
};

static int
qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

/* The decoded and re-encoded form of s[0..n) (malloc'd), NULL when out of
 * memory. */
static char *
reencode(const char *s, size_t n)
{
	struct sb d = { NULL, 0, 0, 0 }, e = { NULL, 0, 0, 0 };

	sb_add(&d, "", 0);
	sb_uri_decode(&d, s, n);
	sb_add(&e, "", 0);
	if (!d.err)
		sb_uri_encode(&e, d.p, d.len, 0);
	free(d.p);
	if (d.err || e.err) {
		free(e.p);
		return NULL;
	}
	return e.p;
}

/* name=value pairs of query, decoded, re-encoded, sorted, joined by '&'. */
static void
canonical_query(struct sb *b, const char *q)
{
	struct qpair *pairs = NULL;
	size_t n = 0, cap = 0;
	const char *p = q;

	if (q == NULL || *q == '\0')
		return;
	while (1) {
		const char *amp = strchr(p, '&'), *end = amp != NULL ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));

		if (end > p) {
			if (n == cap) {
				struct qpair *np;

				cap = cap ? cap * 2 : 8;
				if ((np = realloc(pairs, cap * sizeof(*pairs))) == NULL) {
					b->err = 1;
					goto out;
				}
				pairs = np;
			}
			pairs[n].name = reencode(p, (size_t)((eq != NULL ? eq : end) - p));
			pairs[n].value = eq != NULL ? reencode(eq + 1, (size_t)(end - eq - 1)) :
			    reencode("", 0);
			n++;
			if (pairs[n - 1].name == NULL || pairs[n - 1].value == NULL) {
				b->err = 1;
				goto out;
			}
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	if (n > 1)		/* qsort() takes no NULL, even for 0 items ("?&&") */
		qsort(pairs, n, sizeof(*pairs), qpair_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			sb_chr(b, '&');
		sb_str(b, pairs[i].name);
		sb_chr(b, '=');
		sb_str(b, pairs[i].value);
	}
 out:
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* botocore: ' '.join(value.split()) */
static void
sb_header_value(struct sb *b, const char *v)
{
	int first = 1;

	while (*v != '\0') {
		const char *w;

		while (is_space(*v))
			v++;
		if (*v == '\0')
			break;
		w = v;
		while (*v != '\0' && !is_space(*v))
			v++;
		if (!first)
			sb_chr(b, ' ');
		sb_add(b, w, (size_t)(v - w));
		first = 0;
	}
}

const char *
http_sigv4_header(const struct http_sigv4_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->n_headers; i++)
		if (strcasecmp(rq->headers[i].name, name) == 0)
			return rq->headers[i].value;
	return NULL;
}

static void
why_set(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

int
http_sigv4_canonical_request(const struct http_sigv4_request *rq,
    const char *signed_headers, const char *payload_hash, char **out, size_t *out_len,
    char *why, size_t whylen)
{
	struct sb b = { NULL, 0, 0, 0 };
	const char *target = rq->target != NULL ? rq->target : "/", *q, *s, *e;
	size_t nnames = 0;
	int r = PCA_ERR_MALFORMED;

	*out = NULL;
	*out_len = 0;
	for (const char *m = rq->method; *m != '\0'; m++)
		sb_chr(&b, (char)(*m >= 'a' && *m <= 'z' ? *m - 'a' + 'A' : *m));
	sb_chr(&b, '\n');
	q = strchr(target, '?');
	canonical_uri(&b, target, q != NULL ? (size_t)(q - target) : strlen(target));
	sb_chr(&b, '\n');
	canonical_query(&b, q != NULL ? q + 1 : NULL);
	sb_chr(&b, '\n');
	/* the canonical headers, in SignedHeaders' order */
	for (s = signed_headers; ; s = e + 1) {
		size_t n;
		int found = 0;

		e = strchr(s, ';');
		n = e != NULL ? (size_t)(e - s) : strlen(s);
		if (n == 0) {
			why_set(why, whylen, "SignedHeaders has an empty header name.");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if ((s[i] >= 'A' && s[i] <= 'Z') || is_space(s[i]) || s[i] == ':') {
				why_set(why, whylen, "SignedHeaders names must be lower case.");
				goto out;
			}
		}
		if (++nnames > HTTP_SIGV4_MAX_HEADERS) {
			why_set(why, whylen, "SignedHeaders names too many headers.");
			goto out;
		}
		sb_add(&b, s, n);
		sb_chr(&b, ':');
		for (size_t i = 0; i < rq->n_headers; i++) {
			if (strlen(rq->headers[i].name) != n ||
			    strncasecmp(rq->headers[i].name, s, n) != 0)
				continue;
			if (found++)
				sb_chr(&b, ',');
			sb_header_value(&b, rq->headers[i].value);
		}
		sb_chr(&b, '\n');
		if (e == NULL)
			break;
	}
	sb_chr(&b, '\n');
	sb_str(&b, signed_headers);
	sb_chr(&b, '\n');
	sb_str(&b, payload_hash);
	if (b.err) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	*out = b.p;
	*out_len = b.len;
	b.p = NULL;
	r = 0;
 out:
	free(b.p);
	return r;
}

int
http_sigv4_signature(const struct http_sigv4_request *rq, const struct http_sigv4_auth *auth,
    const char *amzdate, const char *payload_hash, const uint8_t key[SIGV4_KEY_LEN],
    char sig[SIGV4_SIG_HEX_LEN + 1], char *why, size_t whylen)
{
	char *canon = NULL, *sts = NULL;
	size_t len;
	int r;

	sig[0] = '\0';
	if ((r = http_sigv4_canonical_request(rq, auth->signed_headers, payload_hash, &canon,
	    &len, why, whylen)) != 0)
		return r;
	if ((r = sigv4_string_to_sign(amzdate, auth->region, auth->service, canon, len,
	    &sts)) != 0) {
		why_set(why, whylen, "The string to sign cannot be built.");
		goto out;
	}
	sigv4_sign(key, sts, strlen(sts), sig);
 out:
	free(canon);
	free(sts);
	return r;
}

/* Copy s[0..n) into dst of size cap: 0, or -1 when it does not fit. */
static int
copy_part(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* Split "key/date/region/service/terminator" into a. */
static int
parse_credential(const char *s, size_t n, struct http_sigv4_auth *a)
{
	char *dst[5] = { a->key_id, a->date8, a->region, a->service, a->terminator };
	size_t cap[5] = { sizeof(a->key_id), sizeof(a->date8), sizeof(a->region),
	    sizeof(a->service), sizeof(a->terminator) };
	size_t part = 0, i = 0;

	/* exactly five non-empty parts */
	while (part < 5) {
		size_t j = i;

		while (j < n && s[j] != '/')
			j++;
		if (j == i || copy_part(dst[part], cap[part], s + i, j - i) != 0)
			return -1;
		part++;
		if (j == n)
			return part == 5 ? 0 : -1;
		i = j + 1;
	}
	return -1;		/* a sixth part */
}

int
http_sigv4_parse_authorization(const char *value, struct http_sigv4_auth *a, char *why,
    size_t whylen)
{
	const char *p = value, *alg;
	size_t alen;
	int have_cred = 0, have_signed = 0, have_sig = 0;

	memset(a, 0, sizeof(*a));
	if (value == NULL) {
		why_set(why, whylen, "Missing Authentication Token");
		return PCA_ERR_MALFORMED;
	}
	while (*p == ' ')
		p++;
	alg = p;
	while (*p != '\0' && *p != ' ')
		p++;
	alen = (size_t)(p - alg);
	if (alen != strlen(HTTP_SIGV4_ALGORITHM) ||
	    strncmp(alg, HTTP_SIGV4_ALGORITHM, alen) != 0) {
		why_set(why, whylen, "Unsupported AWS 'algorithm': '%.*s'.",
		    (int)(alen > 64 ? 64 : alen), alg);
		return PCA_ERR_UNSUPPORTED;
	}
	while (*p != '\0') {
		const char *k, *eq, *v, *end;
		size_t klen, vlen;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		k = p;
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if ((eq = memchr(k, '=', (size_t)(end - k))) == NULL) {
			why_set(why, whylen, "Authorization header requires each component to be "
			    "of the form key=value.");
			return PCA_ERR_MALFORMED;
		}
		klen = (size_t)(eq - k);
		v = eq + 1;
		vlen = (size_t)(end - v);
		while (vlen > 0 && v[vlen - 1] == ' ')
			vlen--;
		if (klen == 10 && strncmp(k, "Credential", 10) == 0 && !have_cred) {
			if (parse_credential(v, vlen, a) != 0) {
				why_set(why, whylen, "Authorization header requires 'Credential' "
				    "parameter of the form <key>/<date>/<region>/<service>/"
				    "aws4_request.");
				return PCA_ERR_MALFORMED;
			}
			have_cred = 1;
		} else if (klen == 13 && strncmp(k, "SignedHeaders", 13) == 0 && !have_signed) {
			if (vlen == 0 || copy_part(a->signed_headers, sizeof(a->signed_headers),
			    v, vlen) != 0) {
				why_set(why, whylen, "Authorization header has an invalid "
				    "'SignedHeaders' parameter.");
				return PCA_ERR_MALFORMED;
			}
			have_signed = 1;
		} else if (klen == 9 && strncmp(k, "Signature", 9) == 0 && !have_sig) {
			if (vlen != SIGV4_SIG_HEX_LEN ||
			    copy_part(a->signature, sizeof(a->signature), v, vlen) != 0) {
				why_set(why, whylen, "Authorization header has an invalid "
				    "'Signature' parameter.");
				return PCA_ERR_MALFORMED;
			}
			have_sig = 1;
		} else {
			why_set(why, whylen, "Authorization header has an unknown or repeated "
			    "component '%.*s'.", (int)(klen > 32 ? 32 : klen), k);
			return PCA_ERR_MALFORMED;
		}
		p = end;
	}
	if (!have_cred || !have_signed || !have_sig) {
		why_set(why, whylen, "Authorization header requires '%s' parameter.",
		    !have_cred ? "Credential" : !have_signed ? "SignedHeaders" : "Signature");
		return PCA_ERR_MALFORMED;
	}
	return 0;
}
