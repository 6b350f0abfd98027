/*
 * test_signer_client.c - frontend/signer_client.c against a fake signer on
 * a real nanomsg socket: a sign request sent from its packed bytes
 * (signer_client_sign_cert_packed, what IssueCertificate uses) is byte for
 * byte the Request that signer_client_sign_cert() sends for the same
 * message, and the answer comes back.
 */
#include "test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signer.pb-c.h"
#include "signer_client.h"
#include "wire.h"

static const uint8_t cert_der[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };

struct fake {
	int		 sock;
	int		 nreq;
	uint8_t		*got[2];	/* the requests as received */
	size_t		 got_len[2];
};

/* Answer two requests with a certificate, keeping what arrived. */
static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	struct wire_req wr;
	Pca__Signer__Request *req;
	Pca__Signer__Response resp = PCA__SIGNER__RESPONSE__INIT;
	Pca__Signer__SignCertResponse sc = PCA__SIGNER__SIGN_CERT_RESPONSE__INIT;
	uint8_t *out;
	size_t len;

	for (f->nreq = 0; f->nreq < 2; f->nreq++) {
		if (wire_server_recv(f->sock, &wr) != 0)
			break;
		f->got[f->nreq] = malloc(wr.len);
		memcpy(f->got[f->nreq], wr.body, wr.len);
		f->got_len[f->nreq] = wr.len;
		req = pca__signer__request__unpack(NULL, wr.len, wr.body);
		resp.version = SIGNER_PROTO_VERSION;
		resp.id = req != NULL ? req->id : 0;
		resp.status = req != NULL && req->base.n_unknown_fields == 0 &&
		    req->body_case == PCA__SIGNER__REQUEST__BODY_SIGN_CERT ? 0 : PCA_ERR_MALFORMED;
		resp.body_case = PCA__SIGNER__RESPONSE__BODY_SIGN_CERT;
		resp.sign_cert = &sc;
		sc.certificate.data = (uint8_t *)cert_der;
		sc.certificate.len = sizeof(cert_der);
		len = pca__signer__response__get_packed_size(&resp);
		out = malloc(len);
		pca__signer__response__pack(&resp, out);
		if (wire_server_send(f->sock, &wr, out, len) != 0)
			test_diag("fake signer: send failed");
		free(out);
		wire_req_free(&wr);
		if (req != NULL)
			pca__signer__request__free_unpacked(req, NULL);
	}
	return NULL;
}

static void
test_sign_cert_packed(void)
{
	Pca__Signer__SignCertRequest s = PCA__SIGNER__SIGN_CERT_REQUEST__INIT;
	Pca__Signer__Request *a, *b;
	struct signer_conn *c = NULL;
	struct fake f;
	pthread_t th;
	uint8_t key_id[16], serial[16], spki[300], *packed, *der;
	size_t len, der_len;
	char url[600], why[256];

	memset(key_id, 0x11, sizeof(key_id));
	memset(serial, 0x22, sizeof(serial));
	memset(spki, 0x33, sizeof(spki));	/* long enough for a 2-byte length */
	s.key_id.data = key_id;
	s.key_id.len = sizeof(key_id);
	s.serial.data = serial;
	s.serial.len = sizeof(serial);
	s.subject_public_key.data = spki;
	s.subject_public_key.len = sizeof(spki);
	s.not_before = 1000;
	s.not_after = 2000;
	len = pca__signer__sign_cert_request__get_packed_size(&s);
	assert_true(len > 300);
	packed = malloc(len);
	pca__signer__sign_cert_request__pack(&s, packed);

	memset(&f, 0, sizeof(f));
	snprintf(url, sizeof(url), "ipc://%s/signer.sock", test_tmpdir());
	assert_int_eq(wire_server_open(url, SIGNER_MAX_MESSAGE, &f.sock), 0);
	assert_int_eq(pthread_create(&th, NULL, fake_main, &f), 0);
	assert_int_eq(signer_conn_open(url, 5000, &c), 0);

	assert_int_eq(signer_client_sign_cert_packed(c, packed, len, &der, &der_len, why,
	    sizeof(why)), 0);
	assert_int_eq(der_len, sizeof(cert_der));
	assert_mem_eq(der, cert_der, der_len);
	free(der);
	assert_int_eq(signer_client_sign_cert(c, &s, &der, &der_len, why, sizeof(why)), 0);
	free(der);
	pthread_join(th, NULL);
	assert_int_eq(f.nreq, 2);

	/* the same Request but for its id; the same bytes once ids agree */
	a = pca__signer__request__unpack(NULL, f.got_len[0], f.got[0]);
	b = pca__signer__request__unpack(NULL, f.got_len[1], f.got[1]);
	assert_ptr_not_null(a);
	assert_ptr_not_null(b);
	assert_int_eq(a->base.n_unknown_fields, 0);
	assert_int_eq(a->body_case, PCA__SIGNER__REQUEST__BODY_SIGN_CERT);
	assert_int_eq(a->sign_cert->subject_public_key.len, sizeof(spki));
	assert_int_eq(a->sign_cert->not_after, 2000);
	assert_int_eq(f.got_len[0], f.got_len[1]);
	b->id = a->id;
	{
		size_t blen = pca__signer__request__get_packed_size(b);
		uint8_t *bb = malloc(blen);

		pca__signer__request__pack(b, bb);
		assert_int_eq(blen, f.got_len[0]);
		assert_mem_eq(bb, f.got[0], blen);
		free(bb);
	}
	pca__signer__request__free_unpacked(a, NULL);
	pca__signer__request__free_unpacked(b, NULL);
	/* nothing to send is refused before the socket */
	assert_int_eq(signer_client_sign_cert_packed(c, packed, 0, &der, &der_len, why,
	    sizeof(why)), PCA_ERR_INTERNAL);
	assert_ptr_null(der);
	signer_conn_close(c);
	wire_close(f.sock);
	free(f.got[0]);
	free(f.got[1]);
	free(packed);
}

int
main(void)
{
	test_run("signer_client/sign_cert_packed", test_sign_cert_packed);
	return test_done();
}
