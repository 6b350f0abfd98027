#include "signer_client.h"
#include "log.h"
#include "wipe.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

struct signer_conn {
	int		 sock;
	int		 timeout_ms;	/* default; per call when given */
	int		 cur_timeout;
	uint64_t	 next_id;
};

int
signer_conn_open(const char *url, int timeout_ms, struct signer_conn **out)
{
	struct signer_conn *c;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PCA_ERR_NOMEM;
	/* resend well after the timeout: a resend only happens when a
	 * signer restarted and the request was lost (sign is idempotent) */
	if ((r = wire_client_open(url, SIGNER_MAX_MESSAGE, timeout_ms, 4 * timeout_ms,
	    &c->sock)) != 0) {
		free(c);
		return r;
	}
	c->timeout_ms = c->cur_timeout = timeout_ms;
	/* ids only need to be unique per connection; start anywhere */
	if (RAND_bytes((unsigned char *)&c->next_id, sizeof(c->next_id)) != 1)
		c->next_id = 1;
	*out = c;
	return 0;
}

void
signer_conn_close(struct signer_conn *c)
{
	if (c == NULL)
		return;
	wire_close(c->sock);
	free(c);
}

int
signer_call(struct signer_conn *c, Pca__Signer__Request *req, int timeout_ms,
    Pca__Signer__Response **respp, char *why, size_t whylen)
{
	Pca__Signer__Response *resp = NULL;
	uint8_t *buf = NULL, *ans = NULL;
	size_t len, ans_len = 0;
	int r, want = timeout_ms > 0 ? timeout_ms : c->timeout_ms;

	*respp = NULL;
	req->version = SIGNER_PROTO_VERSION;
	req->id = c->next_id++;
	if (want != c->cur_timeout) {
		if (wire_client_set_timeout(c->sock, want) != 0)
			return PCA_ERR_TRANSPORT;
		c->cur_timeout = want;
	}
	len = pca__signer__request__get_packed_size(req);
	if ((buf = malloc(len)) == NULL)
		return PCA_ERR_NOMEM;
	pca__signer__request__pack(req, buf);
	r = wire_client_call(c->sock, buf, len, &ans, &ans_len);
	if (r != 0) {
		snprintf(why, whylen, "the signer did not answer (%s)", pca_err_str(r));
		log_warn("signer call (%zu bytes): %s", len, pca_err_str(r));
		r = PCA_ERR_UNAVAILABLE;
		goto out;
	}
	/* an answer may hold a data key (unwrap_data_key): what protobuf-c
	 * allocates for it is wiped on free, with either allocator's free */
	resp = pca__signer__response__unpack(&wipe_pb_allocator, ans_len, ans);
	if (resp == NULL || resp->version != SIGNER_PROTO_VERSION || resp->id != req->id) {
		snprintf(why, whylen, "the signer's answer does not decode or match");
		log_error("signer answer of %zu bytes does not match request %llu",
		    ans_len, (unsigned long long)req->id);
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	if (resp->status != 0) {
		r = resp->status;
		snprintf(why, whylen, "%s", resp->message != NULL ? resp->message : pca_err_str(r));
		if (r == PCA_ERR_TOKEN_RETRY)
			r = PCA_ERR_UNAVAILABLE;
		goto out;
	}
	*respp = resp;
	resp = NULL;
	r = 0;
 out:
	/* the request may hold a data key (wrap_data_key), the answer too */
	free_wiped(buf, len);
	free_wiped(ans, ans_len);
	if (resp != NULL)
		pca__signer__response__free_unpacked(resp, &wipe_pb_allocator);
	return r;
}

/* Move a bytes field out of an answer. */
static int
take_bytes(ProtobufCBinaryData *b, uint8_t **out, size_t *len)
{
	if ((*out = malloc(b->len > 0 ? b->len : 1)) == NULL)
		return PCA_ERR_NOMEM;
	memcpy(*out, b->data, b->len);
	*len = b->len;
	return 0;
}

static int
expect(Pca__Signer__Response *resp, Pca__Signer__Response__BodyCase bc, char *why, size_t whylen)
{
	if (resp->body_case == bc)
		return 0;
	snprintf(why, whylen, "the signer answered with the wrong kind");
	return PCA_ERR_INTERNAL;
}

int
signer_client_health(struct signer_conn *c, int *token_ok, unsigned *keys, char *why, size_t whylen)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__HealthRequest h = PCA__SIGNER__HEALTH_REQUEST__INIT;
	Pca__Signer__Response *resp = NULL;
	int r;

	req.body_case = PCA__SIGNER__REQUEST__BODY_HEALTH;
	req.health = &h;
	if ((r = signer_call(c, &req, 0, &resp, why, whylen)) != 0)
		return r;
	if ((r = expect(resp, PCA__SIGNER__RESPONSE__BODY_HEALTH, why, whylen)) == 0) {
		*token_ok = resp->health->token_ok;
		*keys = resp->health->keys;
	}
	pca__signer__response__free_unpacked(resp, NULL);
	return r;
}

int
signer_client_generate_key(struct signer_conn *c, const uint8_t key_id[16],
    Pca__Signer__KeyAlg alg, int timeout_ms, uint8_t **spki, size_t *spki_len,
    char *why, size_t whylen)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__GenerateKeyRequest g = PCA__SIGNER__GENERATE_KEY_REQUEST__INIT;
	Pca__Signer__Response *resp = NULL;
	int r;

	g.key_id.data = (uint8_t *)key_id;
	g.key_id.len = 16;
	g.alg = alg;
	req.body_case = PCA__SIGNER__REQUEST__BODY_GENERATE_KEY;
	req.generate_key = &g;
	if ((r = signer_call(c, &req, timeout_ms, &resp, why, whylen)) != 0)
		return r;
	if ((r = expect(resp, PCA__SIGNER__RESPONSE__BODY_GENERATE_KEY, why, whylen)) == 0)
		r = take_bytes(&resp->generate_key->public_key, spki, spki_len);
	pca__signer__response__free_unpacked(resp, NULL);
	return r;
}

int
signer_client_get_public_key(struct signer_conn *c, const uint8_t key_id[16],
    uint8_t **spki, size_t *spki_len, char *why, size_t whylen)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__GetPublicKeyRequest g = PCA__SIGNER__GET_PUBLIC_KEY_REQUEST__INIT;
	Pca__Signer__Response *resp = NULL;
	int r;

	g.key_id.data = (uint8_t *)key_id;
	g.key_id.len = 16;
	req.body_case = PCA__SIGNER__REQUEST__BODY_GET_PUBLIC_KEY;
	req.get_public_key = &g;
	if ((r = signer_call(c, &req, 0, &resp, why, whylen)) != 0)
		return r;
	if ((r = expect(resp, PCA__SIGNER__RESPONSE__BODY_GET_PUBLIC_KEY, why, whylen)) == 0)
		r = take_bytes(&resp->get_public_key->public_key, spki, spki_len);
	pca__signer__response__free_unpacked(resp, NULL);
	return r;
}

int
signer_client_destroy_key(struct signer_conn *c, const uint8_t key_id[16], char *why, size_t whylen)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__DestroyKeyRequest d = PCA__SIGNER__DESTROY_KEY_REQUEST__INIT;
	Pca__Signer__Response *resp = NULL;
	int r;

	d.key_id.data = (uint8_t *)key_id;
	d.key_id.len = 16;
	req.body_case = PCA__SIGNER__REQUEST__BODY_DESTROY_KEY;
	req.destroy_key = &d;
	if ((r = signer_call(c, &req, 0, &resp, why, whylen)) != 0)
		return r;
	r = expect(resp, PCA__SIGNER__RESPONSE__BODY_DESTROY_KEY, why, whylen);
	pca__signer__response__free_unpacked(resp, NULL);
	return r;
}

int
signer_client_random(struct signer_conn *c, uint8_t *buf, size_t len, char *why, size_t whylen)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__RandomRequest g = PCA__SIGNER__RANDOM_REQUEST__INIT;
	Pca__Signer__Response *resp = NULL;
	int r;

	g.length = (uint32_t)len;
	req.body_case = PCA__SIGNER__REQUEST__BODY_RANDOM;
	req.random = &g;
	if ((r = signer_call(c, &req, 0, &resp, why, whylen)) != 0)
		return r;
	if ((r = expect(resp, PCA__SIGNER__RESPONSE__BODY_RANDOM, why, whylen)) == 0) {
		if (resp->random->data.len != len) {
			snprintf(why, whylen, "the signer returned %zu random bytes, not %zu",
			    resp->random->data.len, len);
			r = PCA_ERR_INTERNAL;
		} else {
			memcpy(buf, resp->random->data.data, len);
		}
	}
	pca__signer__response__free_unpacked(resp, NULL);
	return r;
}

int
signer_client_sign_csr(struct signer_conn *c, const Pca__Signer__SignCsrRequest *sreq,
    uint8_t **csr, size_t *csr_len, char *why, size_t whylen)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__Response *resp = NULL;
	int r;

	req.body_case = PCA__SIGNER__REQUEST__BODY_SIGN_CSR;
	req.sign_csr = (Pca__Signer__SignCsrRequest *)sreq;
	if ((r = signer_call(c, &req, 0, &resp, why, whylen)) != 0)
		return r;
	if ((r = expect(resp, PCA__SIGNER__RESPONSE__BODY_SIGN_CSR, why, whylen)) == 0)
		r = take_bytes(&resp->sign_csr->csr, csr, csr_len);
	pca__signer__response__free_unpacked(resp, NULL);
	return r;
}

int
signer_client_sign_cert(struct signer_conn *c, const Pca__Signer__SignCertRequest *sreq,
    uint8_t **der, size_t *der_len, char *why, size_t whylen)
{
	uint8_t *buf;
	size_t len;
	int r;

	*der = NULL;
	*der_len = 0;
	len = pca__signer__sign_cert_request__get_packed_size(sreq);
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return PCA_ERR_NOMEM;
	pca__signer__sign_cert_request__pack(sreq, buf);
	r = signer_client_sign_cert_packed(c, buf, len, der, der_len, why, whylen);
	free(buf);
	return r;
}

#define VARINT_MAX	10	/* bytes of a base-128 uint64 */

/* The protobuf base-128 varint of v into out; its length. */
static size_t
varint_put(uint64_t v, uint8_t out[VARINT_MAX])
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/*
 * The body goes in as an unknown field of the Request: protobuf-c writes
 * unknown fields after the known ones, as tag and then the bytes it holds
 * (for a length-delimited field, the length and the value), which is
 * exactly how it writes a sign_cert member (a oneof's case number is its
 * field number). The signer reads a plain Request with sign_cert set, byte
 * for byte what signer_client_sign_cert() would send (test_signer_client.c).
 */
int
signer_client_sign_cert_packed(struct signer_conn *c, const uint8_t *sreq, size_t len,
    uint8_t **der, size_t *der_len, char *why, size_t whylen)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	ProtobufCMessageUnknownField body;
	Pca__Signer__Response *resp = NULL;
	uint8_t *field = NULL;
	size_t n;
	int r;

	*der = NULL;
	*der_len = 0;
	if (sreq == NULL || len == 0 || len > SIGNER_MAX_MESSAGE) {
		snprintf(why, whylen, "no sign request");
		return PCA_ERR_INTERNAL;
	}
	if ((field = malloc(VARINT_MAX + len)) == NULL)
		return PCA_ERR_NOMEM;
	n = varint_put(len, field);
	memcpy(field + n, sreq, len);
	memset(&body, 0, sizeof(body));
	body.tag = PCA__SIGNER__REQUEST__BODY_SIGN_CERT;
	body.wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
	body.len = n + len;
	body.data = field;
	req.base.n_unknown_fields = 1;
	req.base.unknown_fields = &body;
	if ((r = signer_call(c, &req, 0, &resp, why, whylen)) != 0)
		goto out;
	if ((r = expect(resp, PCA__SIGNER__RESPONSE__BODY_SIGN_CERT, why, whylen)) == 0)
		r = take_bytes(&resp->sign_cert->certificate, der, der_len);
	pca__signer__response__free_unpacked(resp, NULL);
 out:
	free(field);
	return r;
}

int
signer_client_wrap_data_key(struct signer_conn *c, const uint8_t *data_key, size_t data_key_len,
    const uint8_t *context, size_t context_len, uint8_t **wrapped, size_t *wrapped_len,
    char *key_label, size_t key_label_size, char *why, size_t whylen)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__WrapDataKeyRequest g = PCA__SIGNER__WRAP_DATA_KEY_REQUEST__INIT;
	Pca__Signer__Response *resp = NULL;
	int r;

	*wrapped = NULL;
	*wrapped_len = 0;
	if (key_label != NULL && key_label_size > 0)
		key_label[0] = '\0';
	g.data_key.data = (uint8_t *)data_key;
	g.data_key.len = data_key_len;
	g.context.data = (uint8_t *)context;
	g.context.len = context_len;
	req.body_case = PCA__SIGNER__REQUEST__BODY_WRAP_DATA_KEY;
	req.wrap_data_key = &g;
	if ((r = signer_call(c, &req, 0, &resp, why, whylen)) != 0)
		return r;
	if ((r = expect(resp, PCA__SIGNER__RESPONSE__BODY_WRAP_DATA_KEY, why, whylen)) != 0)
		goto out;
	if (key_label != NULL && (size_t)snprintf(key_label, key_label_size, "%s",
	    resp->wrap_data_key->key_label) >= key_label_size) {
		snprintf(why, whylen, "the signer's key label is too long");
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	r = take_bytes(&resp->wrap_data_key->wrapped, wrapped, wrapped_len);
 out:
	pca__signer__response__free_unpacked(resp, &wipe_pb_allocator);
	return r;
}

int
signer_client_unwrap_data_key(struct signer_conn *c, const uint8_t *wrapped, size_t wrapped_len,
    const uint8_t *context, size_t context_len, uint8_t *data_key, size_t cap,
    size_t *data_key_len, char *why, size_t whylen)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__UnwrapDataKeyRequest g = PCA__SIGNER__UNWRAP_DATA_KEY_REQUEST__INIT;
	Pca__Signer__Response *resp = NULL;
	const ProtobufCBinaryData *k;
	int r;

	*data_key_len = 0;
	g.wrapped.data = (uint8_t *)wrapped;
	g.wrapped.len = wrapped_len;
	g.context.data = (uint8_t *)context;
	g.context.len = context_len;
	req.body_case = PCA__SIGNER__REQUEST__BODY_UNWRAP_DATA_KEY;
	req.unwrap_data_key = &g;
	if ((r = signer_call(c, &req, 0, &resp, why, whylen)) != 0)
		return r;
	if ((r = expect(resp, PCA__SIGNER__RESPONSE__BODY_UNWRAP_DATA_KEY, why, whylen)) != 0)
		goto out;
	k = &resp->unwrap_data_key->data_key;
	if (k->len < SIGNER_DATA_KEY_MIN || k->len > SIGNER_DATA_KEY_MAX || k->len > cap) {
		snprintf(why, whylen, "the signer returned a data key of %zu bytes (room for %zu)",
		    k->len, cap);
		r = PCA_ERR_INTERNAL;
		goto out;
	}
	memcpy(data_key, k->data, k->len);
	*data_key_len = k->len;
	r = 0;
 out:
	/* wipes the data key's copy in the answer */
	pca__signer__response__free_unpacked(resp, &wipe_pb_allocator);
	return r;
}
