/*
 * signer.c - the request table and the worker pool of pca-signer.
 */
#include "signer.h"
#include "hsm.h"
#include "log.h"
#include "wipe.h"
#include "wire.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OP_NEEDS_TOKEN	0x1	/* refused with PCA_ERR_TOKEN_RETRY while the token is down */

/* The whole surface of the key-holding process. */
static const struct signer_op {
	Pca__Signer__Request__BodyCase	 kind;
	const char			*name;
	unsigned			 flags;
	signer_op_fn			*fn;
} signer_ops[] = {
	{ PCA__SIGNER__REQUEST__BODY_HEALTH,	     "health",	       0,		op_health },
	{ PCA__SIGNER__REQUEST__BODY_GENERATE_KEY,   "generate_key",   OP_NEEDS_TOKEN,	op_generate_key },
	{ PCA__SIGNER__REQUEST__BODY_GET_PUBLIC_KEY, "get_public_key", 0,		op_get_public_key },
	{ PCA__SIGNER__REQUEST__BODY_DESTROY_KEY,    "destroy_key",    OP_NEEDS_TOKEN,	op_destroy_key },
	{ PCA__SIGNER__REQUEST__BODY_RANDOM,	     "random",	       OP_NEEDS_TOKEN,	op_random },
	{ PCA__SIGNER__REQUEST__BODY_SIGN_CSR,	     "sign_csr",       OP_NEEDS_TOKEN,	op_sign_csr },
	{ PCA__SIGNER__REQUEST__BODY_SIGN_CERT,	     "sign_cert",      OP_NEEDS_TOKEN,	op_sign_cert },
	{ PCA__SIGNER__REQUEST__BODY_WRAP_DATA_KEY,  "wrap_data_key",  OP_NEEDS_TOKEN,	op_wrap_data_key },
	{ PCA__SIGNER__REQUEST__BODY_UNWRAP_DATA_KEY, "unwrap_data_key", OP_NEEDS_TOKEN, op_unwrap_data_key },
};

static const struct signer_op *
op_lookup(const Pca__Signer__Request *req)
{
	for (size_t i = 0; i < sizeof(signer_ops) / sizeof(signer_ops[0]); i++)
		if (signer_ops[i].kind == req->body_case)
			return &signer_ops[i];
	return NULL;
}

/*
 * protobuf-c accepts any number for an enum field and keeps unknown fields
 * aside; the signer believes neither. Checks every level of the message.
 */
static int
msg_strict(const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (depth > 8 || m->n_unknown_fields != 0)
		return 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m + f->offset;
		size_t n = 1;

		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			n = *(const size_t *)((const char *)m + f->quantifier_offset);
		else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
				continue;
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING &&
		    !*(const protobuf_c_boolean *)((const char *)m + f->quantifier_offset))
			continue;
		for (size_t j = 0; j < n; j++) {
			if (f->type == PROTOBUF_C_TYPE_ENUM) {
				const int *v = f->label == PROTOBUF_C_LABEL_REPEATED ?
				    &(*(int * const *)base)[j] : (const int *)base;
				if (protobuf_c_enum_descriptor_get_value(f->descriptor, *v) == NULL)
					return 0;
			} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
				const ProtobufCMessage *sub = f->label == PROTOBUF_C_LABEL_REPEATED ?
				    (*(ProtobufCMessage * const * const *)base)[j] :
				    *(const ProtobufCMessage * const *)base;
				if (sub != NULL && !msg_strict(sub, depth + 1))
					return 0;
			}
		}
	}
	return 1;
}

int
signer_handle(struct signer_worker *w, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len)
{
	Pca__Signer__Request *req = NULL;
	Pca__Signer__Response *resp = NULL;
	const struct signer_op *op = NULL;
	char why[256] = "";
	int r;

	*out = NULL;
	*out_len = 0;
	if ((resp = malloc(sizeof(*resp))) == NULL)
		return PCA_ERR_NOMEM;
	pca__signer__response__init(resp);
	resp->version = SIGNER_PROTO_VERSION;
	atomic_fetch_add(&w->signer->n_requests, 1);

	/* requests and answers may hold a data key (wrap_data_key,
	 * unwrap_data_key): every block protobuf-c allocates or frees for
	 * them, a half-decoded request's too, is wiped on free */
	req = pca__signer__request__unpack(&wipe_pb_allocator, in_len, in);
	if (req == NULL || !msg_strict(&req->base, 0)) {
		r = PCA_ERR_MALFORMED;
		snprintf(why, sizeof(why), "request does not decode (%zu bytes)", in_len);
		goto answer;
	}
	resp->id = req->id;
	if (req->version != SIGNER_PROTO_VERSION) {
		r = PCA_ERR_MALFORMED;
		snprintf(why, sizeof(why), "protocol version %u, expected %u",
		    req->version, SIGNER_PROTO_VERSION);
		goto answer;
	}
	if ((op = op_lookup(req)) == NULL) {
		r = PCA_ERR_MALFORMED;
		snprintf(why, sizeof(why), "unknown request kind %d", (int)req->body_case);
		goto answer;
	}
	if ((op->flags & OP_NEEDS_TOKEN) &&
	    (w->sess == NULL || !hsm_is_up(w->signer->hsm))) {
		r = PCA_ERR_TOKEN_RETRY;
		snprintf(why, sizeof(why), "token unavailable");
		goto answer;
	}
	r = op->fn(w, req, resp, why, sizeof(why));
 answer:
	if (r != 0) {
		/* a failed request answers with its status only */
		protobuf_c_message_free_unpacked(&resp->base, &wipe_pb_allocator);
		if ((resp = malloc(sizeof(*resp))) == NULL) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
		pca__signer__response__init(resp);
		resp->version = SIGNER_PROTO_VERSION;
		resp->id = req != NULL ? req->id : 0;
		resp->status = r;
		resp->message = strdup(why[0] != '\0' ? why : pca_err_str(r));
		if (r == PCA_ERR_MALFORMED)
			atomic_fetch_add(&w->signer->n_malformed, 1);
		atomic_fetch_add(&w->signer->n_failed, 1);
		log_warn("%s: %s (%s)", op != NULL ? op->name : "request", why, pca_err_str(r));
	} else {
		log_debug("%s ok", op->name);
	}
	*out_len = pca__signer__response__get_packed_size(resp);
	if ((*out = malloc(*out_len)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	pca__signer__response__pack(resp, *out);
	r = 0;
 out:
	if (req != NULL)
		pca__signer__request__free_unpacked(req, &wipe_pb_allocator);
	if (resp != NULL)
		protobuf_c_message_free_unpacked(&resp->base, &wipe_pb_allocator);
	return r;
}

static void *
worker_main(void *arg)
{
	struct signer_worker *w = arg;
	struct wire_req wr;
	uint8_t *out;
	size_t out_len;

	while (!wire_terminating()) {
		if (wire_server_recv(w->signer->sock, &wr) != 0) {
			if (wire_terminating())
				break;
			continue;
		}
		/* a session lost with the token is reopened lazily */
		if (w->sess == NULL && hsm_is_up(w->signer->hsm) &&
		    hsm_session_open(w->signer->hsm, &w->sess) != 0)
			w->sess = NULL;
		if (signer_handle(w, wr.body, wr.len, &out, &out_len) == 0) {
			if (wire_server_send(w->signer->sock, &wr, out, out_len) != 0)
				log_warn("answer not delivered (%zu bytes)", out_len);
			free_wiped(out, out_len);	/* may hold a data key */
		}
		wire_req_free(&wr);			/* wipes the request */
	}
	return NULL;
}

int
signer_serve(struct signer *s)
{
	struct signer_worker *ws = NULL;
	pthread_t *th = NULL;
	unsigned started = 0;
	int r = PCA_ERR_NOMEM;

	if ((ws = calloc(s->nworkers, sizeof(*ws))) == NULL ||
	    (th = calloc(s->nworkers, sizeof(*th))) == NULL)
		goto out;
	for (unsigned i = 0; i < s->nworkers; i++) {
		ws[i].signer = s;
		ws[i].index = i;
		if ((r = hsm_session_open(s->hsm, &ws[i].sess)) != 0) {
			log_error_fr(r, "worker %u: open session", i);
			goto out;
		}
	}
	for (; started < s->nworkers; started++) {
		if (pthread_create(&th[started], NULL, worker_main, &ws[started]) != 0) {
			log_error("pthread_create failed");
			r = PCA_ERR_INTERNAL;
			wire_term();
			break;
		}
	}
	log_info("serving with %u workers", s->nworkers);
	r = 0;
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
 out:
	if (ws != NULL)
		for (unsigned i = 0; i < s->nworkers; i++)
			hsm_session_close(ws[i].sess);
	free(ws);
	free(th);
	return r;
}
