/*
 * door_socket.h - the native socket API door: proto/api.proto envelopes
 * over a nanomsg raw REP socket, served by a pool of worker threads that
 * each answer their own request (a slow request holds one worker, not the
 * door).
 */
#ifndef PCA_DOOR_SOCKET_H
#define PCA_DOOR_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "frontend.h"

/* Hard limit of the socket: bigger messages are dropped by nanomsg before
 * they are read. Messages up to it but over API_MAX_MESSAGE get a typed
 * error. */
#define DOOR_SOCKET_HARD_MAX	(16u * 1024 * 1024)

int door_socket_start(struct frontend *fe) PCA_MUST_CHECK;
/* Wait for the workers (after wire_term()) and close the socket. */
void door_socket_stop(void);

/* Handle one request's bytes; *out is the packed Response (malloc'd).
 * *secret is set to 1 when the operation carries secrets (OP_SECRETS):
 * the caller then wipes *out and the request bytes after use.
 * Exposed for tests and fuzzing. */
int door_socket_handle(struct fe_worker *w, const uint8_t *in, size_t in_len,
    uint8_t **out, size_t *out_len, int *secret) PCA_MUST_CHECK;

#endif
