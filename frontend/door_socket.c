#include "door_socket.h"
#include "wipe.h"
#include "api.pb-c.h"
#include "arn.h"
#include "auth.h"
#include "codec_json.h"
#include "door.h"
#include "envelope.h"
#include "log.h"
#include "log_limit.h"
#include "ops.h"
#include "wire.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines a second about vanished clients: anyone who reaches the socket can
 * cause them (log_limit.h); failed requests are door.c's. */
#define DOOR_GONE_LINES_PER_SEC		5

/* The door's threads and socket (set once by door_socket_start), and the
 * limits of the lines its requests log. */
static struct {
	int		 sock;
	pthread_t	*threads;
	size_t		 nthreads;
	struct frontend	*fe;
	struct log_limit gone_lines;
} gl_door = { -1, NULL, 0, NULL, LOG_LIMIT_INIT(DOOR_GONE_LINES_PER_SEC) };

static int
answer(const char *request_id, enum api_exc exc, const char *msg, const ProtobufCMessage *out,
    uint8_t **buf, size_t *len)
{
	Pca__Api__Response resp = PCA__API__RESPONSE__INIT;
	uint8_t *payload = NULL;

	resp.version = API_PROTO_VERSION;
	resp.request_id = (char *)request_id;
	if (exc != EXC_NONE) {
		resp.error_code = (char *)api_exc_name(exc);
		resp.error_message = (char *)msg;
		resp.has_retryable = 1;
		resp.retryable = api_exc_retryable(exc);
	} else if (out != NULL) {
		size_t pl = protobuf_c_message_get_packed_size(out);
		if ((payload = malloc(pl > 0 ? pl : 1)) == NULL)
			return PCA_ERR_NOMEM;
		protobuf_c_message_pack(out, payload);
		resp.has_payload = 1;
		resp.payload.data = payload;
		resp.payload.len = pl;
	}
	*len = pca__api__response__get_packed_size(&resp);
	if ((*buf = malloc(*len)) == NULL) {
		free(payload);
		return PCA_ERR_NOMEM;
	}
	pca__api__response__pack(&resp, *buf);
	if (payload != NULL)
		free_wiped(payload, resp.payload.len);
	return 0;
}

int
door_socket_handle(struct fe_worker *w, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, int *secret)
{
	Pca__Api__Request *req = NULL;
	ProtobufCMessage *input = NULL, *output = NULL;
	struct op_ctx ctx;
	struct caller caller;
	struct codec_error cerr;
	char rid[DOOR_REQUEST_ID_LEN + 1];
	int r;

	door_request_begin(&ctx, w, &caller, rid);
	if (in_len > API_MAX_MESSAGE) {
		op_fail(&ctx, EXC_VALIDATION, "The request of %zu bytes exceeds the limit of "
		    "%u bytes.", in_len, API_MAX_MESSAGE);
		goto done;
	}
	req = pca__api__request__unpack(NULL, in_len, in);
	if (req == NULL || req->base.n_unknown_fields != 0) {
		op_fail(&ctx, EXC_SERIALIZATION, "The request does not decode as a "
		    "pca.api.Request.");
		goto done;
	}
	if (req->version != API_PROTO_VERSION) {
		op_fail(&ctx, EXC_SERIALIZATION, "Protocol version %u is not supported; "
		    "this service speaks version %u.", req->version, API_PROTO_VERSION);
		goto done;
	}
	if (auth_native(w->fe, req, &caller, &ctx.exc, ctx.msg, sizeof(ctx.msg)) != 0)
		goto done;
	if ((ctx.op = ops_find(req->service, req->operation)) == NULL) {
		op_fail(&ctx, EXC_UNKNOWN_OPERATION, "Operation %.64s of service %.32s is not "
		    "supported.", req->operation, req->service);
		goto done;
	}
	input = protobuf_c_message_unpack(ctx.op->api->input, NULL, req->payload.len,
	    req->payload.data);
	if (input == NULL) {
		op_fail(&ctx, EXC_SERIALIZATION, "The payload does not decode as the input "
		    "of %s (a required member may be missing).", ctx.op->name);
		goto done;
	}
	if (codec_msg_check(input, &cerr) != 0) {
		op_fail(&ctx, cerr.code == CODEC_ERR_VALIDATION ? EXC_VALIDATION :
		    EXC_SERIALIZATION, "%s", cerr.message);
		goto done;
	}
	if (dispatch_call(&ctx, input, &output) != 0)
		goto done;
 done:
	door_request_end(&ctx, rid, req != NULL ? req->service : NULL,
	    req != NULL ? req->operation : NULL);
	r = answer(rid, ctx.exc, ctx.msg, output, out, out_len);
	if (ctx.op != NULL && (ctx.op->flags & OP_SECRETS)) {
		door_msg_wipe(output);
		door_msg_wipe(input);
		if (req != NULL && req->payload.data != NULL)
			wipe(req->payload.data, req->payload.len);
		if (r == 0)
			*secret = 1;
	}
	if (output != NULL)
		protobuf_c_message_free_unpacked(output, NULL);
	if (input != NULL)
		protobuf_c_message_free_unpacked(input, NULL);
	if (req != NULL)
		pca__api__request__free_unpacked(req, NULL);
	return r;
}

static void *
worker_main(void *arg)
{
	struct fe_worker w;
	struct wire_req wr;
	uint8_t *out;
	size_t out_len;
	unsigned long dropped;
	char more[LOG_LIMIT_NOTE_LEN];
	int secret;

	(void)arg;
	if (fe_worker_init(&w, gl_door.fe) != 0) {
		log_error("worker: no signer connection");
		return NULL;
	}
	while (!wire_terminating()) {
		if (wire_server_recv(gl_door.sock, &wr) != 0)
			continue;
		secret = 0;
		if (door_socket_handle(&w, wr.body, wr.len, &out, &out_len, &secret) == 0) {
			if (wire_server_send(gl_door.sock, &wr, out, out_len) != 0 &&
			    log_limit_allow(&gl_door.gone_lines, &dropped))
				log_info("answer not delivered (%zu bytes): client gone%s",
				    out_len, log_limit_note(dropped, more));
			if (secret)
				free_wiped(out, out_len);
			else
				free(out);
		}
		if (secret && wr.body != NULL)
			wipe(wr.body, wr.len);
		wire_req_free(&wr);
	}
	fe_worker_clear(&w);
	return NULL;
}

int
door_socket_start(struct frontend *fe)
{
	int r;

	gl_door.fe = fe;
	if ((r = wire_server_open(fe->cfg.listen, DOOR_SOCKET_HARD_MAX, &gl_door.sock)) != 0)
		return r;
	if ((gl_door.threads = calloc(fe->cfg.workers, sizeof(pthread_t))) == NULL)
		return PCA_ERR_NOMEM;
	for (; gl_door.nthreads < fe->cfg.workers; gl_door.nthreads++)
		if (pthread_create(&gl_door.threads[gl_door.nthreads], NULL, worker_main, NULL) != 0)
			return PCA_ERR_INTERNAL;
	log_info("native API on %s with %zu workers", fe->cfg.listen, gl_door.nthreads);
	return 0;
}

void
door_socket_stop(void)
{
	for (size_t i = 0; i < gl_door.nthreads; i++)
		pthread_join(gl_door.threads[i], NULL);
	free(gl_door.threads);
	gl_door.threads = NULL;
	gl_door.nthreads = 0;
	wire_close(gl_door.sock);
	gl_door.sock = -1;
}
