/*
 * door.h - what every door (door_socket.c, door_http.c) does around the one
 * path into the operations (dispatch_call(), ops.h), so that the doors
 * differ only in how bytes become a request and an answer:
 *
 *   door_request_begin()   a request id, the request counter, a fresh op_ctx
 *   ... the door authenticates (auth.h), finds the operation (ops_find()),
 *       decodes its input and calls dispatch_call() ...
 *   door_request_end()     the error counter and a rate-limited log line
 *   door_msg_wipe()        clears the strings and bytes of the input and
 *                          output of an OP_SECRETS operation before they
 *                          are freed
 */
#ifndef PCA_DOOR_H
#define PCA_DOOR_H

#include <protobuf-c/protobuf-c.h>

#include "frontend.h"

#define DOOR_REQUEST_ID_LEN	36	/* a UUID */

/* Zero ctx for a request served by w on behalf of *caller (filled later by
 * authentication), count it and write its id to rid. */
void door_request_begin(struct op_ctx *ctx, struct fe_worker *w, struct caller *caller,
    char rid[DOOR_REQUEST_ID_LEN + 1]);

/* When ctx failed: count the error and log "<rid> <service>:<operation> ->
 * <Exception>: <message>" (at most DOOR_FAIL_LINES_PER_SEC lines a second:
 * anyone who reaches a door can cause them). NULL names print "?". */
void door_request_end(const struct op_ctx *ctx, const char *rid, const char *service,
    const char *operation);

/* Clear every string and bytes field of m and its submessages (NULL-safe). */
void door_msg_wipe(ProtobufCMessage *m);

#endif
