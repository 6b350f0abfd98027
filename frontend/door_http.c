/*
 * door_http.c - the AWS-compatible HTTP API door (door_http.h).
 *
 * libmicrohttpd calls handle() on its pool threads: first with the headers
 * (routing, the body's announced size), then with each piece of the body,
 * then once more to answer. The request's state (struct http_req) is made
 * by the URI log callback, which also sees the raw request target that
 * SigV4 signs, and freed when MHD says the request is over.
 */
#include "door_http.h"
#include "api_catalog.h"
#include "auth.h"
#include "codec_json.h"
#include "door.h"
#include "http_sigv4.h"
#include "log.h"
#include "log_limit.h"
#include "ops.h"
#include "wipe.h"

#include <jansson.h>
#include <malloc.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define HTTP_CT_JSON		"application/x-amz-json-1.1"
#define HTTP_CT_FORM		"application/x-www-form-urlencoded"
#define HTTP_MAX_HEADERS	100	/* MHD's memory limit bounds them anyway */
#define HTTP_CONN_TIMEOUT_S	60
#define HTTP_MHD_LINES_PER_SEC	5
#define HTTP_DISCARD_FACTOR	16	/* body bytes read past the limit, at most */

/* One request. */
struct http_req {
	char		*target;	/* raw request target (path[?query]) */
	uint8_t		*body;
	size_t		 len, cap;
	size_t		 seen;		/* body bytes received, kept or not */
	int		 started;	/* the handler saw the headers */
	int		 too_large;	/* more than max_body arrived */
	int		 secret;	/* wipe the body when done */
};

/* A body MHD sends and then gives back to free_body(). */
struct http_body {
	size_t	len;
	char	data[];
};

/* One pool thread's worker, made on its first request (MHD has no thread
 * start hook). All of them are listed so that door_http_stop() can close
 * them once MHD's threads are gone. */
struct worker_slot {
	struct fe_worker	 w;
	struct worker_slot	*next;
};

static _Thread_local struct worker_slot *tl_worker;

/* The door's state: set by door_http_start() before MHD's threads run. */
static struct {
	struct MHD_Daemon	*daemon;
	struct frontend		*fe;
	size_t			 max_body;
	unsigned		 port;
	pthread_mutex_t		 lock;		/* workers */
	struct worker_slot	*workers;
	struct log_limit	 mhd_lines;
} gl_http = { NULL, NULL, DOOR_HTTP_DEFAULT_MAX_BODY, 0, PTHREAD_MUTEX_INITIALIZER, NULL,
    LOG_LIMIT_INIT(HTTP_MHD_LINES_PER_SEC) };

/* ---- jansson frees wiped ------------------------------------------------- */

static void
json_free_wiped(void *p)
{
	if (p != NULL)
		free_wiped(p, malloc_usable_size(p));
}

void
door_http_global_init(void)
{
	json_set_alloc_funcs(malloc, json_free_wiped);
}

/* ---- answers -------------------------------------------------------------- */

static void
free_body(void *cls)
{
	struct http_body *b = cls;

	free_wiped(b, sizeof(*b) + b->len);	/* answers may carry secrets */
}

/*
 * Queue status with body text (len bytes; copied) and the headers every
 * answer has. error_type: the x-amzn-ErrorType header, or NULL.
 */
static enum MHD_Result
send_answer(struct MHD_Connection *conn, unsigned status, const char *rid,
    const char *content_type, const char *text, size_t len, const char *error_type)
{
	struct MHD_Response *resp;
	struct http_body *b;
	enum MHD_Result ret;

	if ((b = malloc(sizeof(*b) + len + 1)) == NULL)
		return MHD_NO;			/* MHD closes the connection */
	b->len = len;
	memcpy(b->data, text, len);
	b->data[len] = '\0';
	resp = MHD_create_response_from_buffer_with_free_callback_cls(len, b->data, free_body, b);
	if (resp == NULL) {
		free_body(b);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES ||
	    MHD_add_response_header(resp, "x-amzn-RequestId", rid) != MHD_YES ||
	    (error_type != NULL &&
	    MHD_add_response_header(resp, "x-amzn-ErrorType", error_type) != MHD_YES) ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST") != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* {"__type":"<Code>","message":"..."} with status (0: the exception's). */
static enum MHD_Result
send_error(struct MHD_Connection *conn, unsigned status, const char *rid, enum api_exc exc,
    const char *msg)
{
	const char *code = api_exc_name(exc);
	enum MHD_Result ret;
	json_t *o;
	char *text;

	if (status == 0)
		status = (unsigned)api_exc_http_status(exc);
	o = json_pack("{s:s, s:s}", "__type", code, "message", msg);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return send_answer(conn, 500, rid, HTTP_CT_JSON,
		    "{\"__type\":\"InternalFailure\",\"message\":\"out of memory\"}",
		    strlen("{\"__type\":\"InternalFailure\",\"message\":\"out of memory\"}"),
		    "InternalFailure");
	ret = send_answer(conn, status, rid, HTTP_CT_JSON, text, strlen(text), code);
	free(text);
	return ret;
}

/* ---- the request's view for SigV4 ----------------------------------------- */

struct header_list {
	struct http_sigv4_header	 h[HTTP_MAX_HEADERS];
	size_t				 n;
	int				 overflow;
};

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_list *l = cls;

	(void)kind;
	if (l->n == HTTP_MAX_HEADERS) {
		l->overflow = 1;
		return MHD_NO;
	}
	l->h[l->n].name = key;
	l->h[l->n].value = value != NULL ? value : "";
	l->n++;
	return MHD_YES;
}

/* ---- the worker of this thread --------------------------------------------- */

static struct fe_worker *
thread_worker(void)
{
	struct worker_slot *s;

	if (tl_worker != NULL)
		return &tl_worker->w;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (fe_worker_init(&s->w, gl_http.fe) != 0) {
		log_error("http worker: no signer connection");
		fe_worker_clear(&s->w);
		free(s);
		return NULL;
	}
	pthread_mutex_lock(&gl_http.lock);
	s->next = gl_http.workers;
	gl_http.workers = s;
	pthread_mutex_unlock(&gl_http.lock);
	tl_worker = s;
	return &s->w;
}

/* ---- AWS JSON 1.1 ---------------------------------------------------------- */

/* The JSON service whose targetPrefix starts target ("<prefix>.<Op>"); *op
 * points at the operation name. NULL when none. */
static const struct api_service *
json_service_of(const char *target, const char **op)
{
	const char *dot;

	if (target == NULL || (dot = strchr(target, '.')) == NULL || dot == target ||
	    dot[1] == '\0')
		return NULL;
	for (size_t i = 0; i < api_services_len; i++) {
		const struct api_service *s = &api_services[i];

		if (strcmp(s->protocol, "json") == 0 && s->target_prefix[0] != '\0' &&
		    strlen(s->target_prefix) == (size_t)(dot - target) &&
		    strncmp(s->target_prefix, target, (size_t)(dot - target)) == 0) {
			*op = dot + 1;
			return s;
		}
	}
	return NULL;
}

/*
 * One AWS JSON 1.1 request, through the path every door takes: authenticate,
 * find the operation, decode its input, dispatch_call(), encode the output.
 */
static enum MHD_Result
serve_json(struct MHD_Connection *conn, struct http_req *hr,
    const struct http_sigv4_request *rq, const char *target)
{
	const struct api_service *svc = NULL;
	const char *opname = NULL;
	ProtobufCMessage *input = NULL, *output = NULL;
	struct fe_worker *w;
	struct op_ctx ctx;
	struct caller caller;
	struct codec_error cerr;
	json_t *in = NULL, *out = NULL;
	json_error_t jerr;
	char rid[DOOR_REQUEST_ID_LEN + 1], *text = NULL;
	unsigned status = 0;
	int st = 0;
	enum MHD_Result ret;

	if ((w = thread_worker()) == NULL) {
		struct fe_worker none = { gl_http.fe, NULL };

		door_request_begin(&ctx, &none, &caller, rid);
		op_fail(&ctx, EXC_SERVICE_UNAVAILABLE, "The service is starting or its signer "
		    "is unavailable; retry later.");
		goto done;
	}
	door_request_begin(&ctx, w, &caller, rid);
	if ((svc = json_service_of(target, &opname)) == NULL) {
		op_fail(&ctx, EXC_UNKNOWN_OPERATION, "The operation %.128s is not known.",
		    target != NULL ? target : "(no X-Amz-Target)");
		goto done;
	}
	if (auth_http(w->fe, rq, svc->signing_name, &caller, &ctx.exc, &st, ctx.msg,
	    sizeof(ctx.msg)) != 0) {
		status = (unsigned)st;
		goto done;
	}
	if ((ctx.op = ops_find(svc->name, opname)) == NULL) {
		op_fail(&ctx, EXC_UNKNOWN_OPERATION, "Operation %.64s of service %.32s is not "
		    "supported.", opname, svc->name);
		goto done;
	}
	if (ctx.op->flags & OP_SECRETS)
		hr->secret = 1;
	/* botocore sends "{}" for an operation without input; an empty body
	 * means the same */
	if (hr->len == 0)
		in = json_object();
	else
		in = json_loadb((const char *)hr->body, hr->len, JSON_REJECT_DUPLICATES, &jerr);
	if (in == NULL || !json_is_object(in)) {
		op_fail(&ctx, EXC_SERIALIZATION, "The request body is not a JSON object%s%.200s",
		    in == NULL ? ": " : ".", in == NULL ? jerr.text : "");
		goto done;
	}
	if (codec_json_to_msg(ctx.op->api->input, in, &input, &cerr) != 0) {
		op_fail(&ctx, cerr.code == CODEC_ERR_VALIDATION ? EXC_VALIDATION :
		    cerr.code == CODEC_ERR_NOMEM ? EXC_INTERNAL : EXC_SERIALIZATION, "%s",
		    cerr.message);
		goto done;
	}
	if (dispatch_call(&ctx, input, &output) != 0)
		goto done;
	if ((out = codec_msg_to_json(output, CODEC_WIRE)) == NULL ||
	    (text = json_dumps(out, JSON_COMPACT)) == NULL) {
		op_fail(&ctx, EXC_INTERNAL, "The answer cannot be encoded.");
		goto done;
	}
 done:
	door_request_end(&ctx, rid, svc != NULL ? svc->name : NULL, opname != NULL ? opname : target);
	if (ctx.exc == EXC_NONE)
		ret = send_answer(conn, 200, rid, HTTP_CT_JSON, text, strlen(text), NULL);
	else
		ret = send_error(conn, status, rid, ctx.exc, ctx.msg);
	if (hr->secret) {
		door_msg_wipe(output);
		door_msg_wipe(input);
	}
	if (text != NULL)
		str_free_wiped(text);
	json_decref(out);
	json_decref(in);
	if (output != NULL)
		protobuf_c_message_free_unpacked(output, NULL);
	if (input != NULL)
		protobuf_c_message_free_unpacked(input, NULL);
	return ret;
}

/* ---- the query protocol (iam, sts) ------------------------------------------ */

/*
 * A form-encoded POST (Action=...&Version=...): the query protocol of iam
 * and sts, whose answers are XML. XXX: this is where the query codec
 * (common/codec_query.h) plugs in: decode the form into the operation's
 * input, authenticate with auth_http(), dispatch_call(), encode the XML
 * answer. Until then every such request gets the protocol's typed error.
 */
static enum MHD_Result
door_http_query(struct MHD_Connection *conn, struct http_req *hr,
    const struct http_sigv4_request *rq)
{
	char rid[DOOR_REQUEST_ID_LEN + 1], xml[768];
	struct fe_worker none = { gl_http.fe, NULL };
	struct op_ctx ctx;
	struct caller caller;
	int n;

	(void)hr;
	(void)rq;
	door_request_begin(&ctx, &none, &caller, rid);
	op_fail(&ctx, EXC_UNKNOWN_OPERATION, "The query protocol (iam, sts) is not served "
	    "over HTTP yet; use the pca CLI.");
	door_request_end(&ctx, rid, "query", NULL);
	n = snprintf(xml, sizeof(xml), "<ErrorResponse><Error><Type>Sender</Type>"
	    "<Code>InvalidAction</Code><Message>%s</Message></Error>"
	    "<RequestId>%s</RequestId></ErrorResponse>", ctx.msg, rid);
	if (n < 0 || (size_t)n >= sizeof(xml))
		n = 0;
	return send_answer(conn, 400, rid, "text/xml", xml, (size_t)n, "InvalidAction");
}

/* ---- MHD callbacks ----------------------------------------------------------- */

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_req *hr;

	(void)cls;
	(void)conn;
	if ((hr = calloc(1, sizeof(*hr))) == NULL)
		return NULL;
	if ((hr->target = strdup(uri != NULL ? uri : "/")) == NULL) {
		free(hr);
		return NULL;
	}
	return hr;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_req *hr = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (hr == NULL)
		return;
	if (hr->body != NULL) {
		if (hr->secret)
			wipe(hr->body, hr->len);
		free(hr->body);
	}
	free(hr->target);
	free(hr);
	*con_cls = NULL;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256], more[LOG_LIMIT_NOTE_LEN];
	unsigned long dropped;
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (log_limit_allow(&gl_http.mhd_lines, &dropped))
		log_info("http: %s%s", line, log_limit_note(dropped, more));
}

/* Append a piece of the body (anything past max_body is counted, not kept). */
static void
body_append(struct http_req *hr, const char *data, size_t n)
{
	if (hr->too_large || n > gl_http.max_body - hr->len) {
		hr->too_large = 1;
		return;
	}
	if (hr->len + n > hr->cap) {
		size_t cap = hr->cap ? hr->cap : 4096;
		uint8_t *nb;

		while (cap < hr->len + n)
			cap *= 2;
		if (cap > gl_http.max_body)
			cap = gl_http.max_body;
		if ((nb = malloc(cap)) == NULL) {
			hr->too_large = 1;	/* answered as too large: nothing kept */
			return;
		}
		if (hr->len > 0)
			memcpy(nb, hr->body, hr->len);
		if (hr->body != NULL)
			free_wiped(hr->body, hr->cap);	/* may hold a secret */
		hr->body = nb;
		hr->cap = cap;
	}
	memcpy(hr->body + hr->len, data, n);
	hr->len += n;
}

static enum MHD_Result
too_large(struct MHD_Connection *conn, const char *what)
{
	char rid[DOOR_REQUEST_ID_LEN + 1], msg[256];
	struct fe_worker none = { gl_http.fe, NULL };
	struct op_ctx ctx;
	struct caller caller;

	door_request_begin(&ctx, &none, &caller, rid);
	snprintf(msg, sizeof(msg), "The request body%s exceeds the limit of %zu bytes.", what,
	    gl_http.max_body);
	op_fail(&ctx, EXC_VALIDATION, "%s", msg);
	door_request_end(&ctx, rid, NULL, NULL);
	return send_error(conn, 413, rid, EXC_VALIDATION, msg);
}

static enum MHD_Result
route_error(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum MHD_Result
route_error(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
{
	char rid[DOOR_REQUEST_ID_LEN + 1], msg[256];
	struct fe_worker none = { gl_http.fe, NULL };
	struct op_ctx ctx;
	struct caller caller;
	va_list ap;

	door_request_begin(&ctx, &none, &caller, rid);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	op_fail(&ctx, EXC_UNKNOWN_OPERATION, "%s", msg);
	door_request_end(&ctx, rid, NULL, NULL);
	return send_error(conn, status, rid, EXC_UNKNOWN_OPERATION, msg);
}

/* 1 when the raw target's path is "/" (any query string). */
static int
path_is_root(const char *target)
{
	return target[0] == '/' && (target[1] == '\0' || target[1] == '?');
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_req *hr = *con_cls;
	struct header_list hl;
	struct http_sigv4_request rq;
	const char *ct, *cl, *expect;

	(void)cls;
	(void)url;
	(void)version;
	if (hr == NULL) {
		/* no state could be made: answer at once (the body is never read) */
		char rid[DOOR_REQUEST_ID_LEN + 1] = "00000000-0000-0000-0000-000000000000";

		return send_error(conn, 503, rid, EXC_SERVICE_UNAVAILABLE, "Out of memory.");
	}
	if (!hr->started) {
		hr->started = 1;
		if (!path_is_root(hr->target))
			return route_error(conn, MHD_HTTP_NOT_FOUND, "No such resource: %.128s. "
			    "Every operation is POST / with X-Amz-Target.", hr->target);
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return route_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Method %.16s is not "
			    "allowed: every operation is POST /.", method);
		/*
		 * A body announced too large: a client waiting for "100 Continue"
		 * gets the answer now and sends nothing; any other is sending it
		 * already and would only see a reset, so it is read (and dropped,
		 * up to HTTP_DISCARD_FACTOR times the limit) and answered after.
		 */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_EXPECT);
		if (cl != NULL && strtoull(cl, NULL, 10) > gl_http.max_body) {
			if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
				return too_large(conn, "");
			hr->too_large = 1;
		}
		return MHD_YES;		/* the body comes next */
	}
	if (*upload_data_size > 0) {
		hr->seen += *upload_data_size;
		if (hr->seen / HTTP_DISCARD_FACTOR > gl_http.max_body)
			return MHD_NO;	/* enough: MHD closes the connection */
		body_append(hr, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (hr->too_large)
		return too_large(conn, " (as sent)");

	memset(&hl, 0, sizeof(hl));
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &hl);
	if (hl.overflow)
		return route_error(conn, MHD_HTTP_BAD_REQUEST, "%s", "Too many headers.");
	rq.method = method;
	rq.target = hr->target;
	rq.headers = hl.h;
	rq.n_headers = hl.n;
	rq.body = hr->body != NULL ? hr->body : (const uint8_t *)"";
	rq.body_len = hr->len;
	ct = http_sigv4_header(&rq, "Content-Type");
	if (ct != NULL && strncasecmp(ct, HTTP_CT_FORM, strlen(HTTP_CT_FORM)) == 0)
		return door_http_query(conn, hr, &rq);
	return serve_json(conn, hr, &rq, http_sigv4_header(&rq, "X-Amz-Target"));
}

/* ---- start and stop ------------------------------------------------------------ */

/* "host:port" or "[v6]:port" into a socket address. */
static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *port, *h = spec;
	size_t hl;
	int r;

	if (spec[0] == '[') {
		const char *e = strchr(spec, ']');

		if (e == NULL || e[1] != ':')
			return PCA_ERR_CONFIG;
		h = spec + 1;
		hl = (size_t)(e - h);
		port = e + 2;
	} else {
		const char *c = strrchr(spec, ':');

		if (c == NULL)
			return PCA_ERR_CONFIG;
		hl = (size_t)(c - spec);
		port = c + 1;
	}
	if (hl == 0 || hl >= sizeof(host) || *port == '\0')
		return PCA_ERR_CONFIG;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0 || res == NULL) {
		log_error("listen-http %s: %s", spec, gai_strerror(r));
		return PCA_ERR_CONFIG;
	}
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return PCA_ERR_CONFIG;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
door_http_start(struct frontend *fe)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	int r;

	if (fe->cfg.listen_http == NULL)
		return 0;
	gl_http.fe = fe;
	gl_http.max_body = (size_t)fe->cfg.http_max_body;
	if ((r = parse_listen(fe->cfg.listen_http, &ss, &sslen)) != 0) {
		log_error("listen-http %s: not host:port", fe->cfg.listen_http);
		return r;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	gl_http.daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,	/* first: MHD wants it so */
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)fe->cfg.workers,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONN_TIMEOUT_S,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_END);
	if (gl_http.daemon == NULL) {
		log_error("listen-http %s: cannot listen", fe->cfg.listen_http);
		return PCA_ERR_TRANSPORT;
	}
	info = MHD_get_daemon_info(gl_http.daemon, MHD_DAEMON_INFO_BIND_PORT);
	gl_http.port = info != NULL ? info->port : 0;
	log_info("HTTP API on %s (port %u) with %llu threads, bodies up to %zu bytes",
	    fe->cfg.listen_http, gl_http.port, fe->cfg.workers, gl_http.max_body);
	return 0;
}

void
door_http_stop(void)
{
	struct worker_slot *s, *next;

	if (gl_http.daemon == NULL)
		return;
	MHD_stop_daemon(gl_http.daemon);	/* joins the pool threads */
	gl_http.daemon = NULL;
	gl_http.port = 0;
	pthread_mutex_lock(&gl_http.lock);
	s = gl_http.workers;
	gl_http.workers = NULL;
	pthread_mutex_unlock(&gl_http.lock);
	for (; s != NULL; s = next) {
		next = s->next;
		fe_worker_clear(&s->w);
		free(s);
	}
}

unsigned
door_http_port(void)
{
	return gl_http.port;
}
