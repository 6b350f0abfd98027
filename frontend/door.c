/*
 * door.c - what the doors share around dispatch_call() (door.h).
 */
#include "door.h"
#include "api_error.h"
#include "arn.h"
#include "log.h"
#include "log_limit.h"
#include "wipe.h"

#include <stdio.h>
#include <string.h>

/* Lines a second about failed requests: anyone who reaches a door can
 * cause them (log_limit.h). One limit for all doors. */
#define DOOR_FAIL_LINES_PER_SEC		20

static struct log_limit gl_fail_lines = LOG_LIMIT_INIT(DOOR_FAIL_LINES_PER_SEC);

void
door_request_begin(struct op_ctx *ctx, struct fe_worker *w, struct caller *caller,
    char rid[DOOR_REQUEST_ID_LEN + 1])
{
	memset(ctx, 0, sizeof(*ctx));
	memset(caller, 0, sizeof(*caller));
	ctx->fe = w->fe;
	ctx->w = w;
	ctx->caller = caller;
	snprintf(rid, DOOR_REQUEST_ID_LEN + 1, "00000000-0000-0000-0000-000000000000");
	if (uuid_generate(rid) != 0)
		log_warn("no request id");
	atomic_fetch_add(&w->fe->n_requests, 1);
}

void
door_request_end(const struct op_ctx *ctx, const char *rid, const char *service,
    const char *operation)
{
	char more[LOG_LIMIT_NOTE_LEN];
	unsigned long dropped;

	if (ctx->exc == EXC_NONE)
		return;
	atomic_fetch_add(&ctx->fe->n_errors, 1);
	if (log_limit_allow(&gl_fail_lines, &dropped))
		log_info("%s %.32s:%.64s -> %s: %s%s", rid, service != NULL ? service : "?",
		    operation != NULL ? operation : "?", api_exc_name(ctx->exc), ctx->msg,
		    log_limit_note(dropped, more));
}

static void
msg_wipe(ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d;

	if (m == NULL || depth > 16)
		return;
	d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char *base = (char *)m + f->offset;
		size_t n = 1;

		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			n = *(size_t *)((char *)m + f->quantifier_offset);
		for (size_t j = 0; j < n; j++) {
			void *slot = f->label == PROTOBUF_C_LABEL_REPEATED ?
			    (char *)*(void **)base + j * (f->type == PROTOBUF_C_TYPE_BYTES ?
			    sizeof(ProtobufCBinaryData) : sizeof(void *)) : (void *)base;

			if (f->label == PROTOBUF_C_LABEL_REPEATED && *(void **)base == NULL)
				break;
			if (f->type == PROTOBUF_C_TYPE_STRING) {
				char *str = *(char **)slot;

				if (str != NULL && str != f->default_value)
					wipe(str, strlen(str));
			} else if (f->type == PROTOBUF_C_TYPE_BYTES) {
				ProtobufCBinaryData *b = slot;

				if (b->data != NULL && b->len > 0 && (f->default_value == NULL ||
				    b->data != ((const ProtobufCBinaryData *)f->default_value)->data))
					wipe(b->data, b->len);
			} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
				msg_wipe(*(ProtobufCMessage **)slot, depth + 1);
			}
		}
	}
}

void
door_msg_wipe(ProtobufCMessage *m)
{
	msg_wipe(m, 0);
}
