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
#include "door_https.h"
#include "api_catalog.h"
#include "auth.h"
#include "codec_json.h"
#include "codec_query.h"
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
	struct MHD_Daemon	*tls_daemon;	/* listen-https: the same handle() */
	unsigned		 tls_port;
} gl_http = { NULL, NULL, DOOR_HTTP_DEFAULT_MAX_BODY, 0, PTHREAD_MUTEX_INITIALIZER, NULL,
    LOG_LIMIT_INIT(HTTP_MHD_LINES_PER_SEC), NULL, 0 };

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

#define HTTP_CT_XML		"text/xml"
#define QUERY_XMLNS_MAX		96

/*
 * The query protocol's code and status for ctx's error. iam and sts answer
 * authentication failures with their own codes (InvalidClientTokenId, not
 * UnrecognizedClientException) and the generic classes with the query
 * services' common errors; their modelled errors (NoSuchEntity 404,
 * EntityAlreadyExists 409, ...) are api_error.c's entries as they are.
 */
static const struct {
	enum api_exc	 exc;
	const char	*code;
	unsigned	 status;
} query_errors[] = {
	{ EXC_MISSING_AUTH,		"MissingAuthenticationToken",	403 },
	{ EXC_INCOMPLETE_SIGNATURE,	"IncompleteSignature",		400 },
	{ EXC_UNRECOGNIZED_CLIENT,	"InvalidClientTokenId",		403 },
	{ EXC_INVALID_SIGNATURE,	"SignatureDoesNotMatch",	403 },	/* also "Signature
									 * expired", as sts */
	{ EXC_EXPIRED_TOKEN,		"ExpiredToken",			403 },
	{ EXC_THROTTLING,		"Throttling",			400 },
	{ EXC_ACCESS_DENIED,		"AccessDenied",			403 },
	{ EXC_VALIDATION,		"ValidationError",		400 },
	{ EXC_SERIALIZATION,		"InvalidParameterValue",	400 },
	{ EXC_UNKNOWN_OPERATION,	"InvalidAction",		400 },
	{ EXC_INVALID_ARN,		"ValidationError",		400 },
	{ EXC_INVALID_STATE,		"ValidationError",		400 },
	{ EXC_INVALID_REQUEST,		"ValidationError",		400 },
	{ EXC_INVALID_ARGS,		"ValidationError",		400 },
};

static const char *
query_error_of(enum api_exc exc, unsigned *status)
{
	for (size_t i = 0; i < sizeof(query_errors) / sizeof(query_errors[0]); i++)
		if (query_errors[i].exc == exc) {
			*status = query_errors[i].status;
			return query_errors[i].code;
		}
	*status = (unsigned)api_exc_http_status(exc);
	return api_exc_name(exc);
}

/*
 * The query service a request is for: the one whose signing name is the
 * SigV4 credential scope's service. With no (readable) Authorization
 * header the first query service stands in: authentication refuses the
 * request before its service matters.
 */
static const struct api_service *
query_service_of(const struct http_sigv4_request *rq)
{
	const struct api_service *first = NULL;
	struct http_sigv4_auth a;
	const char *hdr;
	char why[256];
	int parsed;

	hdr = http_sigv4_header(rq, "Authorization");
	parsed = hdr != NULL && http_sigv4_parse_authorization(hdr, &a, why, sizeof(why)) == 0;
	for (size_t i = 0; i < api_services_len; i++) {
		const struct api_service *s = &api_services[i];

		if (strcmp(s->protocol, "query") != 0)
			continue;
		if (first == NULL)
			first = s;
		if (parsed && strcmp(s->signing_name, a.service) == 0)
			return s;
	}
	return first;
}

/* The XML namespace of svc's answers (iam's when there is no service). */
static void
query_xmlns_of(const struct api_service *svc, char *xmlns, size_t len)
{
	snprintf(xmlns, len, "https://%s.amazonaws.com/doc/%s/",
	    svc != NULL ? svc->signing_name : "iam", svc != NULL ? svc->api_version : "");
}

/* Queue the XML error of ctx (code and status: the query mapping's unless
 * given). */
static enum MHD_Result
send_query_error(struct MHD_Connection *conn, const char *rid, const char *xmlns,
    const struct op_ctx *ctx, const char *code, unsigned status)
{
	static const char oom[] = "<ErrorResponse><Error><Type>Receiver</Type>"
	    "<Code>InternalFailure</Code></Error></ErrorResponse>";
	enum MHD_Result ret;
	unsigned st;
	char *xml = NULL;
	size_t len = 0;

	if (code == NULL)
		code = query_error_of(ctx->exc, &st);
	else
		st = status;
	if (codec_query_encode_error(xmlns, code, ctx->msg, st < 500, rid, &xml, &len) != 0)
		return send_answer(conn, 500, rid, HTTP_CT_XML, oom, sizeof(oom) - 1, NULL);
	ret = send_answer(conn, st, rid, HTTP_CT_XML, xml, len, NULL);
	free(xml);
	return ret;
}

/*
 * A form-encoded POST (Action=...&Version=...), or a GET with the same
 * parameters in the URL: the query protocol of iam and sts, through the
 * path every door takes (serve_json()'s): the
 * service from the SigV4 scope, authenticate, find the operation by
 * Action, decode its input (codec_query_decode()), dispatch_call(), and
 * answer XML (codec_query_encode(), codec_query_encode_error()). Errors
 * come with iam's and sts's codes and statuses (query_errors[]), besides
 * MissingAction and MalformedQueryString, which only this door can see.
 */
static enum MHD_Result
door_http_query(struct MHD_Connection *conn, struct http_req *hr,
    const struct http_sigv4_request *rq)
{
	const struct api_service *svc;
	ProtobufCMessage *input = NULL, *output = NULL;
	const char *body = hr->body != NULL ? (const char *)hr->body : "";
	size_t body_len = hr->len;
	const char *qcode = NULL;
	unsigned qstatus = 400;
	struct fe_worker *w;
	struct op_ctx ctx;
	struct caller caller;
	struct codec_error cerr;
	char rid[DOOR_REQUEST_ID_LEN + 1], xmlns[QUERY_XMLNS_MAX];
	char action[CODEC_QUERY_ACTION_MAX], version[CODEC_QUERY_ACTION_MAX];
	char *xml = NULL;
	size_t xml_len = 0;
	int st = 0, r;
	enum MHD_Result ret;

	action[0] = version[0] = '\0';
	if (strcmp(rq->method, MHD_HTTP_METHOD_GET) == 0) {
		/* the same parameters in the URL (SigV4 signs them there) */
		const char *q = strchr(rq->target, '?');

		body = q != NULL ? q + 1 : "";
		body_len = strlen(body);
	}
	svc = query_service_of(rq);
	query_xmlns_of(svc, xmlns, sizeof(xmlns));
	if ((w = thread_worker()) == NULL) {
		struct fe_worker none = { gl_http.fe, NULL };

		door_request_begin(&ctx, &none, &caller, rid);
		op_fail(&ctx, EXC_SERVICE_UNAVAILABLE, "The service is starting or its signer "
		    "is unavailable; retry later.");
		goto done;
	}
	door_request_begin(&ctx, w, &caller, rid);
	if (svc == NULL) {
		op_fail(&ctx, EXC_UNKNOWN_OPERATION, "No service speaks the query protocol.");
		goto done;
	}
	if (body_len > CODEC_QUERY_MAX_BODY) {
		op_fail(&ctx, EXC_VALIDATION, "The request body exceeds the limit of %u bytes.",
		    CODEC_QUERY_MAX_BODY);
		qcode = "ValidationError";
		qstatus = 413;
		goto done;
	}
	if (auth_http(w->fe, rq, svc->signing_name, &caller, &ctx.exc, &st, ctx.msg,
	    sizeof(ctx.msg)) != 0)
		goto done;
	if ((r = codec_query_action(body, body_len, action, sizeof(action), version,
	    sizeof(version), &cerr)) != CODEC_OK) {
		op_fail(&ctx, r == CODEC_ERR_NOMEM ? EXC_INTERNAL : EXC_SERIALIZATION, "%s",
		    cerr.message);
		if (r != CODEC_ERR_NOMEM)
			qcode = "MalformedQueryString";
		goto done;
	}
	if (action[0] == '\0') {
		op_fail(&ctx, EXC_UNKNOWN_OPERATION, "Missing Action");
		qcode = "MissingAction";
		goto done;
	}
	/* AWS's words, also for a missing or another Version */
	if (strcmp(version, svc->api_version) != 0 ||
	    (ctx.op = ops_find(svc->name, action)) == NULL) {
		op_fail(&ctx, EXC_UNKNOWN_OPERATION, "Could not find operation %s for version %s",
		    action, version[0] != '\0' ? version : "NO_VERSION_SPECIFIED");
		goto done;
	}
	if (ctx.op->flags & OP_SECRETS)
		hr->secret = 1;
	if ((r = codec_query_decode(body, body_len, ctx.op->api->input, &input, &cerr)) != 0) {
		op_fail(&ctx, r == CODEC_ERR_VALIDATION ? EXC_VALIDATION :
		    r == CODEC_ERR_NOMEM ? EXC_INTERNAL : EXC_SERIALIZATION, "%s", cerr.message);
		goto done;
	}
	if (dispatch_call(&ctx, input, &output) != 0)
		goto done;
	if (codec_query_encode(ctx.op->name, xmlns, output, rid, &xml, &xml_len) != 0)
		op_fail(&ctx, EXC_INTERNAL, "The answer cannot be encoded.");
 done:
	door_request_end(&ctx, rid, svc != NULL ? svc->name : "query",
	    action[0] != '\0' ? action : NULL);
	if (ctx.exc == EXC_NONE)
		ret = send_answer(conn, 200, rid, HTTP_CT_XML, xml, xml_len, NULL);
	else
		ret = send_query_error(conn, rid, xmlns, &ctx, qcode, qstatus);
	if (hr->secret) {
		door_msg_wipe(output);
		door_msg_wipe(input);
	}
	if (xml != NULL)
		free_wiped(xml, xml_len);
	if (output != NULL)
		protobuf_c_message_free_unpacked(output, NULL);
	if (input != NULL)
		protobuf_c_message_free_unpacked(input, NULL);
	return ret;
}

/* 1 for a query-protocol GET: "GET /?Action=...". */
static int
query_get(const char *method, const char *target)
{
	const char *q = strchr(target, '?');

	return strcmp(method, MHD_HTTP_METHOD_GET) == 0 && q != NULL &&
	    (strncmp(q + 1, "Action=", 7) == 0 || strstr(q, "&Action=") != NULL);
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

/* fmt is libmicrohttpd's own printf format */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

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

/*
 * A body over max_body: 413 with ValidationException, or for a form body
 * (iam, sts) the query protocol's XML ValidationError in the namespace of
 * the service the Authorization header's scope names.
 */
static enum MHD_Result
too_large(struct MHD_Connection *conn, const char *what)
{
	char rid[DOOR_REQUEST_ID_LEN + 1], msg[256], xmlns[QUERY_XMLNS_MAX];
	struct fe_worker none = { gl_http.fe, NULL };
	struct op_ctx ctx;
	struct caller caller;
	const char *ct;

	door_request_begin(&ctx, &none, &caller, rid);
	snprintf(msg, sizeof(msg), "The request body%s exceeds the limit of %zu bytes.", what,
	    gl_http.max_body);
	op_fail(&ctx, EXC_VALIDATION, "%s", msg);
	door_request_end(&ctx, rid, NULL, NULL);
	ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct != NULL && strncasecmp(ct, HTTP_CT_FORM, strlen(HTTP_CT_FORM)) == 0) {
		struct http_sigv4_header auth = { "Authorization",
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_AUTHORIZATION) };
		struct http_sigv4_request rq = { MHD_HTTP_METHOD_POST, "/", &auth,
		    auth.value != NULL ? 1 : 0, (const uint8_t *)"", 0 };

		query_xmlns_of(query_service_of(&rq), xmlns, sizeof(xmlns));
		return send_query_error(conn, rid, xmlns, &ctx, "ValidationError", 413);
	}
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
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0 && !query_get(method, hr->target))
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
	if ((ct != NULL && strncasecmp(ct, HTTP_CT_FORM, strlen(HTTP_CT_FORM)) == 0) ||
	    strcmp(method, MHD_HTTP_METHOD_GET) == 0)
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

/*
 * One MHD daemon on spec, running handle() on the pool: plain HTTP, or TLS
 * when tls is not NULL (the same request path either way). what names the
 * config keyword in log lines.
 */
static int
listener_start(const char *what, const char *spec, const struct door_https *tls,
    struct MHD_Daemon **dp, unsigned *portp)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem opts[DOOR_HTTPS_NOPTS] = { { MHD_OPTION_END, 0, NULL } };
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	int r;

	if ((r = parse_listen(spec, &ss, &sslen)) != 0) {
		log_error("%s %s: not host:port", what, spec);
		return r;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls != NULL) {
		flags |= MHD_USE_TLS;
		door_https_options(tls, opts);
	}
	*dp = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,	/* first: MHD wants it so */
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)gl_http.fe->cfg.workers,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONN_TIMEOUT_S,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    MHD_OPTION_ARRAY, opts,			/* TLS: certificate and key */
	    MHD_OPTION_END);
	if (*dp == NULL) {
		log_error("%s %s: cannot listen%s", what, spec,
		    tls != NULL ? " (or the certificate and key do not load)" : "");
		return PCA_ERR_TRANSPORT;
	}
	info = MHD_get_daemon_info(*dp, MHD_DAEMON_INFO_BIND_PORT);
	*portp = info != NULL ? info->port : 0;
	return 0;
}

int
door_http_start(struct frontend *fe)
{
	struct door_https tls;
	int r;

	if (fe->cfg.listen_http == NULL && fe->cfg.listen_https == NULL)
		return 0;
	gl_http.fe = fe;
	gl_http.max_body = (size_t)fe->cfg.http_max_body;
	if (fe->cfg.listen_http != NULL) {
		if ((r = listener_start("listen-http", fe->cfg.listen_http, NULL,
		    &gl_http.daemon, &gl_http.port)) != 0)
			return r;
		log_info("HTTP API on %s (port %u) with %llu threads, bodies up to %zu bytes",
		    fe->cfg.listen_http, gl_http.port, fe->cfg.workers, gl_http.max_body);
	}
	if (fe->cfg.listen_https == NULL)
		return 0;
	if ((r = door_https_load(&fe->cfg, &tls)) != 0) {
		door_http_stop();
		return r;
	}
	r = listener_start("listen-https", fe->cfg.listen_https, &tls,
	    &gl_http.tls_daemon, &gl_http.tls_port);
	door_https_clear(&tls);		/* GnuTLS has its own copy now */
	if (r != 0) {
		door_http_stop();
		return r;
	}
	log_info("HTTPS API on %s (port %u, certificate %s) with %llu threads",
	    fe->cfg.listen_https, gl_http.tls_port, fe->cfg.https_cert, fe->cfg.workers);
	return 0;
}

void
door_http_stop(void)
{
	struct worker_slot *s, *next;

	if (gl_http.daemon == NULL && gl_http.tls_daemon == NULL)
		return;
	if (gl_http.daemon != NULL)
		MHD_stop_daemon(gl_http.daemon);	/* joins the pool threads */
	if (gl_http.tls_daemon != NULL)
		MHD_stop_daemon(gl_http.tls_daemon);
	gl_http.daemon = NULL;
	gl_http.tls_daemon = NULL;
	gl_http.port = 0;
	gl_http.tls_port = 0;
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
