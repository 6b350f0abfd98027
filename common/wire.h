/*
 * wire.h - nanomsg sockets and framing for both protocols.
 *
 * Servers (the frontend's socket door, the signer) use a raw REP socket
 * (AF_SP_RAW): any number of worker threads receive from it at once and each
 * answers its own request, out of order, by sending the answer with the
 * request's header (struct wire_req). Clients use one plain REQ socket per
 * thread: one outstanding request per socket.
 *
 * Every socket gets NN_RCVMAXSIZE (messages over the limit are dropped by
 * nanomsg before we allocate them), send/receive timeouts and a linger.
 * ipc:// endpoints live in directories of mode 0750 (file permissions are
 * their only access control): wire_ipc_prepare() makes sure of that.
 *
 * Shutdown: wire_term() wakes every thread blocked in a socket call (they
 * get PCA_ERR_TRANSPORT with wire_terminating() true); only then are sockets
 * closed, never while another thread is blocked on them.
 */
#ifndef PCA_WIRE_H
#define PCA_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SIGNER_PROTO_VERSION	2	/* 2: WrapDataKey, UnwrapDataKey */
#define SIGNER_MAX_MESSAGE	(1u * 1024 * 1024)	/* signer requests/answers */

/* WrapDataKey / UnwrapDataKey (proto/signer.proto) */
#define SIGNER_DATA_KEY_MIN	16
#define SIGNER_DATA_KEY_MAX	64
#define SIGNER_WRAP_CONTEXT_MAX	256
#define SIGNER_WRAP_LABEL_MAX	64	/* key_label, with its NUL */

/* One received request of a raw REP socket: body and routing header. */
struct wire_req {
	void	*body;		/* nanomsg message, wiped and nn_freemsg'd by wire_req_free */
	size_t	 len;
	void	*hdr;		/* routing header (control message) */
};

/* Raw REP socket bound to url. */
int wire_server_open(const char *url, size_t max_msg, int *sock) PCA_MUST_CHECK;
/* Block until a request arrives. PCA_ERR_TRANSPORT on shutdown or error. */
int wire_server_recv(int sock, struct wire_req *req) PCA_MUST_CHECK;
/* Answer req with data (copied); consumes the routing header. */
int wire_server_send(int sock, struct wire_req *req, const void *data, size_t len) PCA_MUST_CHECK;
void wire_req_free(struct wire_req *req);

/* Plain REQ socket connected to url; timeout_ms for send and receive;
 * resend_ms: NN_REQ_RESEND_IVL (nanomsg resends unanswered requests after
 * it; the protocols are idempotent, so a resend is harmless). */
int wire_client_open(const char *url, size_t max_msg, int timeout_ms, int resend_ms,
    int *sock) PCA_MUST_CHECK;
/* Send a request and wait for its answer (*resp malloc'd, free()).
 * PCA_ERR_TIMEOUT when no answer came in time. nanomsg's copy of the answer
 * is wiped here.
 * XXX the copies nanomsg makes of what we send (wire_server_send, the
 * request here) are freed inside nanomsg, unwiped: for the one secret on
 * the signer protocol (a data key) that is a heap remnant in both daemons
 * until the allocator reuses it. */
int wire_client_call(int sock, const void *req, size_t req_len, uint8_t **resp,
    size_t *resp_len) PCA_MUST_CHECK;
int wire_client_set_timeout(int sock, int timeout_ms);

void wire_close(int sock);
/* Wake every blocked socket call of the process (nn_term). */
void wire_term(void);
int wire_terminating(void);

/* For ipc://path: create path's directory with mode 0750 if needed, refuse
 * it if group/other can write or others can read, and remove a stale socket
 * file. Other schemes: nothing to do. */
int wire_ipc_prepare(const char *url) PCA_MUST_CHECK;

#endif
