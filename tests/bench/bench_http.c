/*
 * bench_http.c - a keep-alive HTTP/1.1 client of the AWS JSON 1.1 API for
 * the benchmarks (bench_http.h).
 *
 * Hand-written rather than libcurl: the client shares the machine with both
 * daemons, so it should cost little, and it needs no package of its own.
 * It reads what libmicrohttpd sends (Content-Length or chunked bodies) and
 * gives up on anything else with "ConnectionError".
 */
#include "bench_http.h"

#include "clock.h"
#include "sigv4.h"
#include "wipe.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define HTTP_CT_JSON		"application/x-amz-json-1.1"
#define HTTP_HEAD_MAX		(64 * 1024)		/* status line and headers */
#define HTTP_BODY_MAX		(16 * 1024 * 1024)
#define HTTP_READ_CHUNK		16384

struct bench_http {
	char			 host[128];	/* for getaddrinfo */
	char			 port[16];
	char			 authority[160];	/* the Host header: host[:port] */
	char			 region[64];
	const struct creds	*cr;
	int			 timeout_ms;
	int			 fd;		/* -1: not connected */
	unsigned		 served;	/* answers read on this connection */
	unsigned		 opens;
	char			*out;		/* the request being sent */
	size_t			 outcap;
	char			*in;		/* what was received */
	size_t			 inlen, incap;
	char			*body;		/* a chunked body, joined */
	size_t			 bodycap;
};

/* ---- the instance's env file -------------------------------------------------- */

int
bench_http_endpoint_load(const char *home, char *out, size_t outlen)
{
	static const char key[] = "HSMCA_HTTP_ENDPOINT=";
	char path[4096], line[1024];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/env", home);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *v = line, *end;
		size_t n;

		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(v, "export ", 7) == 0)
			v += 7;
		if (strncmp(v, key, sizeof(key) - 1) != 0)
			continue;
		v += sizeof(key) - 1;
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v++;
			n -= 2;
		}
		end = v + n;
		if (n == 0 || n >= outlen || strncmp(v, "http://", 7) != 0 ||
		    memchr(v, '"', n) != NULL || memchr(v, '$', n) != NULL) {
			fprintf(stderr, "bench: %s: unusable HSMCA_HTTP_ENDPOINT\n", path);
			r = -1;
			break;
		}
		*end = '\0';
		memcpy(out, v, n + 1);
		r = 1;
		break;
	}
	fclose(f);
	return r;
}

/* ---- connection ----------------------------------------------------------------- */

/* "http://host[:port][/]" or "http://[v6][:port][/]" into h. */
static int
endpoint_parse(struct bench_http *h, const char *endpoint)
{
	const char *a, *end, *hs, *he, *port = "80";
	size_t alen, hlen;

	if (strncmp(endpoint, "http://", 7) != 0)
		return -1;
	a = endpoint + 7;
	end = a + strcspn(a, "/");
	if (*end != '\0' && strcmp(end, "/") != 0)
		return -1;		/* the API lives at "/" */
	alen = (size_t)(end - a);
	if (alen == 0 || alen >= sizeof(h->authority))
		return -1;
	if (*a == '[') {
		hs = a + 1;
		if ((he = memchr(hs, ']', alen - 1)) == NULL)
			return -1;
		if (he + 1 < end) {
			if (he[1] != ':')
				return -1;
			port = he + 2;
		}
	} else {
		hs = a;
		if ((he = memchr(a, ':', alen)) != NULL)
			port = he + 1;
		else
			he = end;
	}
	hlen = (size_t)(he - hs);
	if (hlen == 0 || hlen >= sizeof(h->host) || (size_t)(end - port) == 0 ||
	    (size_t)(end - port) >= sizeof(h->port) ||
	    strspn(port, "0123456789") < (size_t)(end - port))
		return -1;
	memcpy(h->host, hs, hlen);
	h->host[hlen] = '\0';
	memcpy(h->port, port, (size_t)(end - port));
	h->port[end - port] = '\0';
	memcpy(h->authority, a, alen);
	h->authority[alen] = '\0';
	return 0;
}

static void
conn_close(struct bench_http *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->served = 0;
}

static int
conn_open(struct bench_http *h, char *why, size_t whylen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv;
	int fd = -1, one = 1, r, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(h->host, h->port, &hints, &res)) != 0) {
		snprintf(why, whylen, "%s: %s", h->host, gai_strerror(r));
		return -1;
	}
	tv.tv_sec = h->timeout_ms / 1000;
	tv.tv_usec = (h->timeout_ms % 1000) * 1000;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) < 0) {
			e = errno;
			continue;
		}
		/* SO_SNDTIMEO bounds connect() too */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
		    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(why, whylen, "connect %s: %s", h->authority, strerror(e));
		return -1;
	}
	h->fd = fd;
	h->served = 0;
	h->opens++;
	return 0;
}

int
bench_http_open(const char *endpoint, const struct creds *cr, const char *region,
    int timeout_ms, struct bench_http **out)
{
	struct bench_http *h;
	char why[256];

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	h->fd = -1;
	h->cr = cr;
	h->timeout_ms = timeout_ms;
	if (endpoint_parse(h, endpoint) != 0 || strlen(region) >= sizeof(h->region)) {
		fprintf(stderr, "bench: %s: not an http://host:port endpoint\n", endpoint);
		goto fail;
	}
	memcpy(h->region, region, strlen(region) + 1);
	if (conn_open(h, why, sizeof(why)) != 0) {
		fprintf(stderr, "bench: %s\n", why);
		goto fail;
	}
	*out = h;
	return 0;
 fail:
	bench_http_close(h);
	return -1;
}

void
bench_http_close(struct bench_http *h)
{
	if (h == NULL)
		return;
	conn_close(h);
	free(h->out);
	free(h->in);
	free(h->body);
	free(h);
}

unsigned
bench_http_reconnects(const struct bench_http *h)
{
	return h->opens > 0 ? h->opens - 1 : 0;
}

/* ---- the request ------------------------------------------------------------------ */

/* printf into h->out at *len, growing it. 0 or -1 (out of memory). */
static int
out_add(struct bench_http *h, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
out_add(struct bench_http *h, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(h->out + *len, h->outcap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < h->outcap - *len)
			break;
		size_t cap = h->outcap ? h->outcap : 4096;
		char *p;

		while (cap < *len + (size_t)n + 1)
			cap *= 2;
		if ((p = realloc(h->out, cap)) == NULL)
			return -1;
		h->out = p;
		h->outcap = cap;
	}
	*len += (size_t)n;
	return 0;
}

/*
 * The request's head with its Authorization header, into h->out; *lenp its
 * length. The canonical request is what frontend/http_sigv4.c rebuilds from
 * these very headers.
 */
static int
request_head(struct bench_http *h, const char *signing_name, const char *target,
    size_t body_len, const char *body_sha256, size_t *lenp)
{
	const char *token = h->cr->session_token;
	const char *signed_headers = token != NULL ?
	    "content-type;host;x-amz-date;x-amz-security-token;x-amz-target" :
	    "content-type;host;x-amz-date;x-amz-target";
	char amzdate[SIGV4_AMZDATE_LEN + 1], date8[9], sig[SIGV4_SIG_HEX_LEN + 1];
	char *canon = NULL, *sts = NULL;
	uint8_t key[SIGV4_KEY_LEN];
	size_t len = 0;
	int rc = -1;

	sigv4_format_amzdate(clock_real(), amzdate);
	memcpy(date8, amzdate, 8);
	date8[8] = '\0';
	/* the canonical request, built in h->out, then moved aside */
	if (out_add(h, &len, "POST\n/\n\ncontent-type:%s\nhost:%s\nx-amz-date:%s\n",
	    HTTP_CT_JSON, h->authority, amzdate) != 0 ||
	    (token != NULL && out_add(h, &len, "x-amz-security-token:%s\n", token) != 0) ||
	    out_add(h, &len, "x-amz-target:%s\n\n%s\n%s", target, signed_headers,
	    body_sha256) != 0 || (canon = strdup(h->out)) == NULL)
		goto out;
	if (sigv4_string_to_sign(amzdate, h->region, signing_name, canon, len, &sts) != 0)
		goto out;
	sigv4_signing_key(h->cr->secret_access_key, date8, h->region, signing_name, key);
	sigv4_sign(key, sts, strlen(sts), sig);
	wipe(key, sizeof(key));
	len = 0;
	if (out_add(h, &len, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
	    "X-Amz-Date: %s\r\nX-Amz-Target: %s\r\n", h->authority, HTTP_CT_JSON, amzdate,
	    target) != 0 ||
	    (token != NULL && out_add(h, &len, "X-Amz-Security-Token: %s\r\n", token) != 0) ||
	    out_add(h, &len, "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/"
	    "aws4_request, SignedHeaders=%s, Signature=%s\r\nContent-Length: %zu\r\n\r\n",
	    h->cr->access_key_id, date8, h->region, signing_name, signed_headers, sig,
	    body_len) != 0)
		goto out;
	*lenp = len;
	rc = 0;
 out:
	free(canon);
	free(sts);
	return rc;
}

/* ---- the answer ------------------------------------------------------------------- */

enum rd { RD_OK, RD_EOF, RD_TIMEOUT, RD_ERR };

/* Receive until h->in holds at least n bytes (one NUL more fits). */
static enum rd
in_need(struct bench_http *h, size_t n)
{
	while (h->inlen < n) {
		ssize_t got;

		if (h->incap < h->inlen + HTTP_READ_CHUNK + 1) {
			size_t cap = h->incap ? h->incap : HTTP_READ_CHUNK * 2;
			char *p;

			while (cap < h->inlen + HTTP_READ_CHUNK + 1)
				cap *= 2;
			if ((p = realloc(h->in, cap)) == NULL)
				return RD_ERR;
			h->in = p;
			h->incap = cap;
		}
		got = recv(h->fd, h->in + h->inlen, h->incap - h->inlen - 1, 0);
		if (got == 0)
			return RD_EOF;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? RD_TIMEOUT : RD_ERR;
		}
		h->inlen += (size_t)got;
	}
	return RD_OK;
}

/* The end of the head ("\r\n\r\n" included): RD_OK with *headlen set. */
static enum rd
head_read(struct bench_http *h, size_t *headlen)
{
	size_t from = 0;
	enum rd r;

	for (;;) {
		if (h->inlen >= 4) {
			char *e;

			h->in[h->inlen] = '\0';
			if ((e = strstr(h->in + from, "\r\n\r\n")) != NULL) {
				*headlen = (size_t)(e - h->in) + 4;
				return RD_OK;
			}
			from = h->inlen - 3;
		}
		if (h->inlen >= HTTP_HEAD_MAX)
			return RD_ERR;
		if ((r = in_need(h, h->inlen + 1)) != RD_OK)
			return r;
	}
}

/* A chunked body starting at h->in[pos], joined into h->body. */
static enum rd
chunked_read(struct bench_http *h, size_t pos, size_t *body_len)
{
	size_t len = 0;
	enum rd r;

	for (;;) {
		char *eol, *end;
		unsigned long long n;

		/* the size line */
		for (;;) {
			h->in[h->inlen] = '\0';
			if ((eol = strstr(h->in + pos, "\r\n")) != NULL)
				break;
			if (h->inlen - pos > 1024)
				return RD_ERR;
			if ((r = in_need(h, h->inlen + 1)) != RD_OK)
				return r;
		}
		errno = 0;
		n = strtoull(h->in + pos, &end, 16);
		if (end == h->in + pos || errno != 0 || n > HTTP_BODY_MAX ||
		    len + n > HTTP_BODY_MAX)
			return RD_ERR;
		pos = (size_t)(eol - h->in) + 2;
		if (n == 0)
			break;
		if ((r = in_need(h, pos + n + 2)) != RD_OK)
			return r;
		if (h->bodycap < len + n + 1) {
			size_t cap = h->bodycap ? h->bodycap : 4096;
			char *p;

			while (cap < len + n + 1)
				cap *= 2;
			if ((p = realloc(h->body, cap)) == NULL)
				return RD_ERR;
			h->body = p;
			h->bodycap = cap;
		}
		memcpy(h->body + len, h->in + pos, n);
		len += n;
		if (memcmp(h->in + pos + n, "\r\n", 2) != 0)
			return RD_ERR;
		pos += n + 2;
	}
	/* no trailers are sent here: the last chunk ends with an empty line */
	if ((r = in_need(h, pos + 2)) != RD_OK)
		return r;
	if (memcmp(h->in + pos, "\r\n", 2) != 0)
		return RD_ERR;
	if (h->body == NULL && (h->body = malloc(h->bodycap = 1)) == NULL)
		return RD_ERR;
	h->body[len] = '\0';
	*body_len = len;
	return RD_OK;
}

/* Does the comma-separated header value v hold token (any case)? */
static int
value_has(const char *v, const char *token)
{
	size_t n = strlen(token);

	while (*v != '\0') {
		v += strspn(v, " \t,");
		if (strncasecmp(v, token, n) == 0 && (v[n] == '\0' || v[n] == ',' ||
		    v[n] == ' ' || v[n] == '\t' || v[n] == ';'))
			return 1;
		v += strcspn(v, ",");
	}
	return 0;
}

/* Read one answer into a. *keep: the connection may serve another. */
static enum rd
answer_read(struct bench_http *h, struct bench_http_answer *a, int *keep)
{
	size_t headlen, cl = 0, body_len = 0;
	int has_cl = 0, chunked = 0, minor;
	char *line, *next;
	enum rd r;

	h->inlen = 0;
	*keep = 1;
	if ((r = head_read(h, &headlen)) != RD_OK)
		return r;
	h->in[headlen - 2] = '\0';		/* the head, as lines */
	if (sscanf(h->in, "HTTP/1.%d %u", &minor, &a->status) != 2 || a->status < 100 ||
	    a->status > 599)
		return RD_ERR;
	if (minor == 0)
		*keep = 0;
	for (line = strstr(h->in, "\r\n") + 2; *line != '\0'; line = next) {
		char *colon, *v;

		if ((next = strstr(line, "\r\n")) == NULL)
			return RD_ERR;
		*next = '\0';
		next += 2;
		if ((colon = strchr(line, ':')) == NULL)
			return RD_ERR;
		*colon = '\0';
		v = colon + 1 + strspn(colon + 1, " \t");
		if (strcasecmp(line, "Content-Length") == 0) {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(v, &end, 10);
			if (end == v || *end != '\0' || errno != 0 || n > HTTP_BODY_MAX)
				return RD_ERR;
			cl = (size_t)n;
			has_cl = 1;
		} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
			if (!value_has(v, "chunked"))
				return RD_ERR;
			chunked = 1;
		} else if (strcasecmp(line, "Connection") == 0) {
			if (value_has(v, "close"))
				*keep = 0;
			else if (value_has(v, "keep-alive"))
				*keep = 1;
		} else if (strcasecmp(line, "x-amzn-ErrorType") == 0) {
			snprintf(a->error_type, sizeof(a->error_type), "%.*s",
			    (int)strcspn(v, ":"), v);
		}
	}
	if (chunked) {
		if ((r = chunked_read(h, headlen, &body_len)) != RD_OK)
			return r;
		a->body = h->body;
		a->body_len = body_len;
		return RD_OK;
	}
	if (!has_cl) {
		/* the body ends with the connection */
		*keep = 0;
		while ((r = in_need(h, h->inlen + 1)) == RD_OK)
			if (h->inlen - headlen > HTTP_BODY_MAX)
				return RD_ERR;
		if (r != RD_EOF)
			return r;
		cl = h->inlen - headlen;
	} else if ((r = in_need(h, headlen + cl)) != RD_OK) {
		return r;
	}
	h->in[headlen + cl] = '\0';	/* in_need keeps room for it */
	a->body = h->in + headlen;
	a->body_len = cl;
	return RD_OK;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
bench_http_call(struct bench_http *h, const char *signing_name, const char *target,
    const char *body, size_t body_len, const char *body_sha256,
    struct bench_http_answer *a)
{
	static const char *const what[] = { "", "the server closed the connection",
	    "no answer in time", "a receive error or an answer that does not parse" };
	char why[256];
	size_t len;
	int attempt, keep = 0;
	enum rd r = RD_ERR;

	memset(a, 0, sizeof(*a));
	a->body = "";
	if (request_head(h, signing_name, target, body_len, body_sha256, &len) != 0) {
		snprintf(a->error_type, sizeof(a->error_type), "ConnectionError");
		a->body = "out of memory building the request";
		return -1;
	}
	if (h->outcap < len + body_len + 1) {
		char *p = realloc(h->out, len + body_len + 1);

		if (p == NULL) {
			snprintf(a->error_type, sizeof(a->error_type), "ConnectionError");
			a->body = "out of memory building the request";
			return -1;
		}
		h->out = p;
		h->outcap = len + body_len + 1;
	}
	memcpy(h->out + len, body, body_len);
	len += body_len;
	/* a reused connection the server closed while it was idle is opened
	 * again once: the request was not served */
	for (attempt = 0; attempt < 2; attempt++) {
		int reused;

		if (h->fd < 0 && conn_open(h, why, sizeof(why)) != 0) {
			snprintf(a->error_type, sizeof(a->error_type), "ConnectionError");
			a->body = "cannot connect";
			return -1;
		}
		reused = h->served > 0;
		if (send_all(h->fd, h->out, len) != 0) {
			r = errno == EAGAIN || errno == EWOULDBLOCK ? RD_TIMEOUT : RD_ERR;
			conn_close(h);
			if (reused && r == RD_ERR)
				continue;
			break;
		}
		memset(a, 0, sizeof(*a));
		a->body = "";
		r = answer_read(h, a, &keep);
		/* closed (FIN, or RST when our request was unread) before
		 * answering a single byte */
		if ((r == RD_EOF || r == RD_ERR) && reused && h->inlen == 0) {
			conn_close(h);
			continue;
		}
		break;
	}
	if (r != RD_OK) {
		conn_close(h);
		memset(a, 0, sizeof(*a));
		snprintf(a->error_type, sizeof(a->error_type), "%s",
		    r == RD_TIMEOUT ? "RequestTimeout" : "ConnectionError");
		a->body = what[r];
		return -1;
	}
	h->served++;
	if (!keep)
		conn_close(h);
	return 0;
}
