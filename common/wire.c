#include "wire.h"
#include "log.h"
#include "wipe.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>

/* Set once when the process shuts its sockets down. */
static atomic_int gl_wire_term;

static int
sock_limits(int s, size_t max_msg, int timeout_ms)
{
	int max = max_msg > INT_MAX ? INT_MAX : (int)max_msg, linger = 1000;

	if (nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max, sizeof(max)) < 0 ||
	    nn_setsockopt(s, NN_SOL_SOCKET, NN_LINGER, &linger, sizeof(linger)) < 0)
		return PCA_ERR_TRANSPORT;
	if (timeout_ms >= 0 &&
	    (nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDTIMEO, &timeout_ms, sizeof(timeout_ms)) < 0 ||
	    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms, sizeof(timeout_ms)) < 0))
		return PCA_ERR_TRANSPORT;
	return 0;
}

int
wire_server_open(const char *url, size_t max_msg, int *sockp)
{
	int s, r;

	*sockp = -1;
	if ((r = wire_ipc_prepare(url)) != 0)
		return r;
	if ((s = nn_socket(AF_SP_RAW, NN_REP)) < 0) {
		log_error("nn_socket: %s", nn_strerror(nn_errno()));
		return PCA_ERR_TRANSPORT;
	}
	/* servers block in recv without a timeout; wire_term() wakes them */
	if ((r = sock_limits(s, max_msg, -1)) != 0 || nn_bind(s, url) < 0) {
		log_error("bind %s: %s", url, nn_strerror(nn_errno()));
		nn_close(s);
		return r != 0 ? r : PCA_ERR_TRANSPORT;
	}
	if (strncmp(url, "ipc://", 6) == 0 && chmod(url + 6, 0660) != 0)
		log_warn("chmod %s: %s", url + 6, strerror(errno));
	*sockp = s;
	return 0;
}

int
wire_server_recv(int sock, struct wire_req *req)
{
	struct nn_msghdr mh;
	struct nn_iovec iov;
	void *body = NULL, *ctl = NULL;
	int n;

	memset(req, 0, sizeof(*req));
	for (;;) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = &body;
		iov.iov_len = NN_MSG;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = &ctl;
		mh.msg_controllen = NN_MSG;
		if ((n = nn_recvmsg(sock, &mh, 0)) >= 0)
			break;
		if (nn_errno() == EINTR && !atomic_load(&gl_wire_term))
			continue;
		/* after nn_term() blocked receivers see ETERM or EBADF */
		if (!atomic_load(&gl_wire_term))
			log_error("nn_recvmsg: %s", nn_strerror(nn_errno()));
		return PCA_ERR_TRANSPORT;
	}
	req->body = body;
	req->len = (size_t)n;
	req->hdr = ctl;
	return 0;
}

int
wire_server_send(int sock, struct wire_req *req, const void *data, size_t len)
{
	struct nn_msghdr mh;
	struct nn_iovec iov;
	void *msg;

	if ((msg = nn_allocmsg(len, 0)) == NULL)
		return PCA_ERR_NOMEM;
	memcpy(msg, data, len);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &msg;
	iov.iov_len = NN_MSG;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = &req->hdr;	/* the request's routing header */
	mh.msg_controllen = NN_MSG;
	if (nn_sendmsg(sock, &mh, 0) < 0) {
		/* the peer may be gone; the header and message are still ours */
		wipe(msg, len);
		nn_freemsg(msg);
		if (!atomic_load(&gl_wire_term))
			log_warn("nn_sendmsg: %s", nn_strerror(nn_errno()));
		return PCA_ERR_TRANSPORT;
	}
	req->hdr = NULL;		/* consumed by nn_sendmsg */
	return 0;
}

void
wire_req_free(struct wire_req *req)
{
	/* a request may carry a secret (WrapDataKey); nanomsg frees without
	 * wiping */
	if (req->body != NULL) {
		wipe(req->body, req->len);
		nn_freemsg(req->body);
	}
	if (req->hdr != NULL)
		nn_freemsg(req->hdr);
	memset(req, 0, sizeof(*req));
}

int
wire_client_open(const char *url, size_t max_msg, int timeout_ms, int resend_ms, int *sockp)
{
	int s, r;

	*sockp = -1;
	if ((s = nn_socket(AF_SP, NN_REQ)) < 0) {
		log_error("nn_socket: %s", nn_strerror(nn_errno()));
		return PCA_ERR_TRANSPORT;
	}
	if ((r = sock_limits(s, max_msg, timeout_ms)) != 0 ||
	    nn_setsockopt(s, NN_REQ, NN_REQ_RESEND_IVL, &resend_ms, sizeof(resend_ms)) < 0 ||
	    nn_connect(s, url) < 0) {
		log_error("connect %s: %s", url, nn_strerror(nn_errno()));
		nn_close(s);
		return r != 0 ? r : PCA_ERR_TRANSPORT;
	}
	*sockp = s;
	return 0;
}

int
wire_client_set_timeout(int sock, int timeout_ms)
{
	if (nn_setsockopt(sock, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms, sizeof(timeout_ms)) < 0)
		return PCA_ERR_TRANSPORT;
	return 0;
}

int
wire_client_call(int sock, const void *req, size_t req_len, uint8_t **respp, size_t *resp_len)
{
	void *msg = NULL;
	uint8_t *copy;
	int n;

	*respp = NULL;
	*resp_len = 0;
	while (nn_send(sock, req, req_len, 0) < 0) {
		if (nn_errno() == EINTR && !atomic_load(&gl_wire_term))
			continue;
		return nn_errno() == ETIMEDOUT || nn_errno() == EAGAIN ?
		    PCA_ERR_TIMEOUT : PCA_ERR_TRANSPORT;
	}
	while ((n = nn_recv(sock, &msg, NN_MSG, 0)) < 0) {
		if (nn_errno() == EINTR && !atomic_load(&gl_wire_term))
			continue;
		return nn_errno() == ETIMEDOUT || nn_errno() == EAGAIN ?
		    PCA_ERR_TIMEOUT : PCA_ERR_TRANSPORT;
	}
	/* copy out so callers free() like any other buffer */
	/* an answer may carry a secret (UnwrapDataKey): wipe nanomsg's copy */
	if ((copy = malloc(n > 0 ? (size_t)n : 1)) == NULL) {
		wipe(msg, (size_t)n);
		nn_freemsg(msg);
		return PCA_ERR_NOMEM;
	}
	memcpy(copy, msg, (size_t)n);
	wipe(msg, (size_t)n);
	nn_freemsg(msg);
	*respp = copy;
	*resp_len = (size_t)n;
	return 0;
}

void
wire_close(int sock)
{
	if (sock >= 0)
		nn_close(sock);
}

void
wire_term(void)
{
	atomic_store(&gl_wire_term, 1);
	nn_term();
}

int
wire_terminating(void)
{
	return atomic_load(&gl_wire_term);
}

int
wire_ipc_prepare(const char *url)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (strncmp(url, "ipc://", 6) != 0)
		return 0;
	if (strlen(url + 6) >= sizeof(dir))
		return PCA_ERR_CONFIG;
	strcpy(dir, url + 6);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;		/* relative file in the cwd: caller's choice */
	*slash = '\0';
	if (dir[0] != '\0' && mkdir(dir, 0750) != 0 && errno != EEXIST) {
		log_error("mkdir %s: %s", dir, strerror(errno));
		return PCA_ERR_IO;
	}
	if (dir[0] != '\0') {
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			log_error("%s: not a directory", dir);
			return PCA_ERR_IO;
		}
		if ((st.st_mode & 0027) != 0) {
			log_error("%s: mode %03o lets others reach the socket; use 0750",
			    dir, (unsigned)(st.st_mode & 0777));
			return PCA_ERR_PERM;
		}
	}
	return 0;
}
