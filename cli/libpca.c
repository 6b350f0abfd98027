#include "libpca.h"
#include "api.pb-c.h"
#include "api_catalog.h"
#include "clock.h"
#include "envelope.h"
#include "wire.h"
#include "wipe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pca_client {
	int	 sock;
	char	*access_key_id;
	char	*secret;		/* wiped on close */
	char	*session_token;
	char	*region;
};

int
pca_client_open(const char *endpoint, const struct creds *cr, const char *region,
    int timeout_ms, struct pca_client **out)
{
	struct pca_client *c;
	int r;

	*out = NULL;
	if (endpoint == NULL || cr == NULL || cr->access_key_id == NULL ||
	    cr->secret_access_key == NULL)
		return PCA_ERR_INVALID;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PCA_ERR_NOMEM;
	c->sock = -1;
	c->access_key_id = strdup(cr->access_key_id);
	c->secret = strdup(cr->secret_access_key);
	c->session_token = cr->session_token != NULL ? strdup(cr->session_token) : NULL;
	c->region = strdup(region != NULL ? region : "us-east-1");
	if (c->access_key_id == NULL || c->secret == NULL || c->region == NULL ||
	    (cr->session_token != NULL && c->session_token == NULL)) {
		pca_client_close(c);
		return PCA_ERR_NOMEM;
	}
	/* nanomsg would resend a request after the interval; every resend
	 * carries the same nonce and would be refused as a replay, so the
	 * interval is longer than the timeout */
	if ((r = wire_client_open(endpoint, API_MAX_MESSAGE + 65536, timeout_ms,
	    timeout_ms + 60000, &c->sock)) != 0) {
		pca_client_close(c);
		return r;
	}
	*out = c;
	return 0;
}

void
pca_client_close(struct pca_client *c)
{
	if (c == NULL)
		return;
	wire_close(c->sock);
	free(c->access_key_id);
	str_free_wiped(c->secret);
	str_free_wiped(c->session_token);
	free(c->region);
	free(c);
}

int
pca_request_build(struct pca_client *c, const char *service, const char *operation,
    const uint8_t *payload, size_t payload_len, uint8_t **out, size_t *out_len)
{
	const struct api_service *svc = api_service_find(service);
	Pca__Api__Request req = PCA__API__REQUEST__INIT;
	int r;

	*out = NULL;
	if (svc == NULL)
		return PCA_ERR_NOT_FOUND;
	req.version = API_PROTO_VERSION;
	req.service = (char *)service;
	req.operation = (char *)operation;
	req.payload.data = (uint8_t *)payload;
	req.payload.len = payload_len;
	if ((r = envelope_sign(&req, c->access_key_id, c->secret, c->session_token, c->region,
	    svc->signing_name, clock_real())) != 0)
		return r;
	*out_len = pca__api__request__get_packed_size(&req);
	if ((*out = malloc(*out_len)) == NULL)
		r = PCA_ERR_NOMEM;
	else
		pca__api__request__pack(&req, *out);
	envelope_clear(&req);
	return r;
}

int
pca_call_raw(struct pca_client *c, const uint8_t *req, size_t req_len, uint8_t **resp,
    size_t *resp_len)
{
	return wire_client_call(c->sock, req, req_len, resp, resp_len);
}

static int
set_err(struct pca_error *err, const char *code, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
set_err(struct pca_error *err, const char *code, int retryable, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->code, sizeof(err->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->retryable = retryable;
	return -1;
}

int
pca_call(struct pca_client *c, const char *service, const char *operation,
    const ProtobufCMessage *in, ProtobufCMessage **out, struct pca_error *err)
{
	const struct api_op *op = api_op_find(service, operation);
	Pca__Api__Response *resp = NULL;
	uint8_t *payload = NULL, *req = NULL, *ans = NULL;
	size_t plen, req_len = 0, ans_len = 0;
	int r, rc = -1;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (op == NULL)
		return set_err(err, "UnknownOperation", 0, "%s:%s is not an operation this "
		    "client knows", service, operation);
	if (in->descriptor != op->input)
		return set_err(err, "InvalidInput", 0, "the input is a %s, not a %s",
		    in->descriptor->name, op->input->name);
	plen = protobuf_c_message_get_packed_size(in);
	if ((payload = malloc(plen > 0 ? plen : 1)) == NULL)
		return set_err(err, "ClientError", 0, "out of memory");
	protobuf_c_message_pack(in, payload);
	if ((r = pca_request_build(c, service, operation, payload, plen, &req, &req_len)) != 0) {
		rc = set_err(err, "ClientError", 0, "cannot sign the request: %s", pca_err_str(r));
		goto out;
	}
	if ((r = pca_call_raw(c, req, req_len, &ans, &ans_len)) != 0) {
		rc = set_err(err, "RequestTimeout", 1, "no answer from the service (%s); is it "
		    "running and is the endpoint right?", pca_err_str(r));
		goto out;
	}
	resp = pca__api__response__unpack(NULL, ans_len, ans);
	if (resp == NULL) {
		rc = set_err(err, "ResponseError", 0, "the answer does not decode");
		goto out;
	}
	if (resp->error_code != NULL) {
		rc = set_err(err, resp->error_code, resp->has_retryable && resp->retryable, "%s",
		    resp->error_message != NULL ? resp->error_message : "");
		goto out;
	}
	*out = protobuf_c_message_unpack(op->output, NULL, resp->has_payload ?
	    resp->payload.len : 0, resp->has_payload ? resp->payload.data : (const uint8_t *)"");
	if (*out == NULL) {
		rc = set_err(err, "ResponseError", 0, "the answer's payload does not decode");
		goto out;
	}
	rc = 0;
 out:
	if (resp != NULL)
		pca__api__response__free_unpacked(resp, NULL);
	free(payload);
	free(req);
	free(ans);
	return rc;
}
