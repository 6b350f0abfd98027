/*
 * acmpca_cert.c - IssueCertificate and GetCertificate.
 *
 * Write ahead, then sign: the serial is reserved and the whole sign request
 * recorded durably (PENDING) before the signer is asked; the certificate is
 * stored durably (ISSUED) before the caller hears its ARN. A frontend that
 * dies in between finds the PENDING row at start and re-sends the recorded
 * request, which the signer answers idempotently (same serial, same bytes).
 */
#include "acmpca.h"
#include "arn.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "serial_pool.h"
#include "signer_client.h"
#include "store.h"
#include "template.h"
#include "validity.h"
#include "x509util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#define SHORT_LIVED_MAX		(7 * 86400)
#define USAGE(x) \
	PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_USAGE_MODE__CertificateAuthorityUsageMode_##x

/* The CRL distribution point and OCSP URLs of the CA's revocation
 * configuration, built as API.md §3.6 describes. */
static int
revocation_urls(struct op_ctx *ctx, const struct store_ca *ca, Pca__Signer__SignCertRequest *s,
    const struct cert_template *t)
{
	Pca__Api__AcmPca__RevocationConfiguration *rc;
	char url[1024];
	int r = 0;

	if (ca->revocation == NULL)
		return 0;
	rc = pca__api__acm_pca__revocation_configuration__unpack(NULL, ca->revocation_len,
	    ca->revocation);
	if (rc == NULL)
		return PCA_ERR_INTERNAL;
	if ((t->cdp_from & TMPL_FROM_CA) && rc->crl_configuration != NULL &&
	    rc->crl_configuration->enabled &&
	    !(rc->crl_configuration->crl_distribution_point_extension_configuration != NULL &&
	    rc->crl_configuration->crl_distribution_point_extension_configuration->omit_extension)) {
		const Pca__Api__AcmPca__CrlConfiguration *crl = rc->crl_configuration;
		const char *path = crl->custom_path != NULL ? crl->custom_path : "crl";
		if (crl->custom_cname != NULL)
			snprintf(url, sizeof(url), "http://%s/%s/%s.crl", crl->custom_cname, path, ca->id);
		else
			snprintf(url, sizeof(url), "http://%s.s3.%s.amazonaws.com/%s/%s.crl",
			    crl->s3_bucket_name != NULL ? crl->s3_bucket_name : "crl",
			    ctx->fe->cfg.region, path, ca->id);
		if ((s->crl_urls = calloc(1, sizeof(char *))) == NULL ||
		    (s->crl_urls[0] = strdup(url)) == NULL)
			r = PCA_ERR_NOMEM;
		else
			s->n_crl_urls = 1;
	}
	if (r == 0 && rc->ocsp_configuration != NULL && rc->ocsp_configuration->enabled) {
		if (rc->ocsp_configuration->ocsp_custom_cname != NULL)
			snprintf(url, sizeof(url), "http://%s", rc->ocsp_configuration->ocsp_custom_cname);
		else
			snprintf(url, sizeof(url), "http://ocsp.acm-pca.%s.amazonaws.com",
			    ctx->fe->cfg.region);
		if ((s->ocsp_urls = calloc(1, sizeof(char *))) == NULL ||
		    (s->ocsp_urls[0] = strdup(url)) == NULL)
			r = PCA_ERR_NOMEM;
		else
			s->n_ocsp_urls = 1;
	}
	pca__api__acm_pca__revocation_configuration__free_unpacked(rc, NULL);
	return r;
}

static int
dup_bytes(ProtobufCBinaryData *b, const uint8_t *p, size_t len)
{
	if ((b->data = malloc(len > 0 ? len : 1)) == NULL)
		return PCA_ERR_NOMEM;
	memcpy(b->data, p, len);
	b->len = len;
	return 0;
}

/*
 * Turn the request into the signer's SignCertRequest (heap; free with
 * pca__signer__sign_cert_request__free_unpacked). Fails the request with the
 * typed error on bad input.
 */
static int
build_sign_request(struct op_ctx *ctx, const Pca__Api__AcmPca__IssueCertificateRequest *in,
    const struct store_ca *ca, const struct cert_template *t, struct x509_csr *csr,
    const uint8_t serial[SERIAL_LEN], Pca__Signer__SignCertRequest **out)
{
	Pca__Signer__SignCertRequest *s;
	uint8_t *der = NULL, kid[16];
	size_t len = 0;
	int64_t nb, na, now = clock_now();
	char why[256];
	int r, rc = -1, self = t->kind == TMPL_ROOT_CA;

	*out = NULL;
	if ((s = malloc(sizeof(*s))) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	pca__signer__sign_cert_request__init(s);
	if (ca_key_id(ca, kid) != 0 || dup_bytes(&s->key_id, kid, sizeof(kid)) != 0 ||
	    dup_bytes(&s->serial, serial, SERIAL_LEN) != 0)
		goto nomem;
	s->sig_alg = sigalg_to_signer(in->signing_algorithm);

	if (validity_compute(in->validity, in->validity_not_before, now, &nb, &na,
	    why, sizeof(why)) != 0) {
		rc = op_fail(ctx, EXC_INVALID_ARGS, "Invalid Validity: %s", why);
		goto out;
	}
	if (!self && na > ca->not_after) {
		rc = op_fail(ctx, EXC_INVALID_ARGS, "The certificate's validity may not end "
		    "after the certificate authority's (%lld).", (long long)ca->not_after);
		goto out;
	}
	if (ca->usage_mode == USAGE(SHORT_LIVED_CERTIFICATE) && na - now > SHORT_LIVED_MAX) {
		rc = op_fail(ctx, EXC_INVALID_ARGS, "A short-lived certificate authority issues "
		    "certificates valid for at most 7 days.");
		goto out;
	}
	s->not_before = nb;
	s->not_after = na;

	if ((r = x509_csr_part_der(csr, X509_CSR_SUBJECT, &der, &len)) != 0)
		goto nomem;
	s->subject.data = der;
	s->subject.len = len;
	if ((r = x509_csr_part_der(csr, X509_CSR_SPKI, &der, &len)) != 0)
		goto nomem;
	s->subject_public_key.data = der;
	s->subject_public_key.len = len;
	r = x509_csr_part_der(csr, X509_CSR_SAN, &der, &len);
	if (r == 0) {
		s->has_subject_alt_names = 1;
		s->subject_alt_names.data = der;
		s->subject_alt_names.len = len;
		/* RFC 5280 4.2.1.6: with an empty subject the SAN is critical */
		if (X509_NAME_entry_count(x509_csr_subject(csr)) == 0) {
			s->has_subject_alt_names_critical = 1;
			s->subject_alt_names_critical = 1;
		}
	} else if (r != PCA_ERR_NOT_FOUND) {
		rc = op_fail(ctx, EXC_MALFORMED_CSR, "The CSR's subjectAltName does not decode.");
		goto out;
	}

	if (!self) {
		if (ca->cert_der == NULL) {
			rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority has no "
			    "certificate.");
			goto out;
		}
		s->has_issuer_certificate = 1;
		if (dup_bytes(&s->issuer_certificate, ca->cert_der, ca->cert_der_len) != 0)
			goto nomem;
	}
	s->ca = t->bc_ca;
	s->basic_constraints_critical = t->bc_critical;
	if (t->path_len >= 0) {
		s->has_path_len = 1;
		s->path_len = t->path_len;
	}
	if (t->has_key_usage) {
		s->has_key_usage = s->has_key_usage_critical = 1;
		s->key_usage = t->key_usage;
		s->key_usage_critical = t->key_usage_critical;
	}
	if (t->has_eku) {
		size_t n = 0;
		while (n < 3 && t->eku[n] != NULL)
			n++;
		if ((s->extended_key_usage = calloc(n, sizeof(char *))) == NULL)
			goto nomem;
		for (size_t i = 0; i < n; i++)
			if ((s->extended_key_usage[s->n_extended_key_usage++] = strdup(t->eku[i])) == NULL)
				goto nomem;
		s->has_extended_key_usage_critical = 1;
		s->extended_key_usage_critical = t->eku_critical;
	}
	s->authority_key_id = t->aki == TMPL_AKI_CA;
	if (revocation_urls(ctx, ca, s, t) != 0)
		goto nomem;
	*out = s;
	s = NULL;
	rc = 0;
	goto out;
 nomem:
	rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
 out:
	if (s != NULL)
		pca__signer__sign_cert_request__free_unpacked(s, NULL);
	return rc;
}

/*
 * Ask the signer for a recorded PENDING certificate and store the result.
 * Used by IssueCertificate and by the scheduler's recovery of requests a
 * stopped frontend left behind. On a refusal the row becomes FAILED.
 */
int
cert_complete(struct fe_worker *w, const char *ca_id, const char *serial,
    const uint8_t *sreq, size_t sreq_len, char *why, size_t whylen)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	int r;

	/* the bytes recorded by store_cert_reserve(), sent as they are */
	r = signer_client_sign_cert_packed(w->signer, sreq, sreq_len, &der, &der_len, why,
	    whylen);
	if (r == 0) {
		r = store_cert_complete(w->fe->store, ca_id, serial, der, der_len);
		if (r != 0)
			snprintf(why, whylen, "could not store the certificate");
	} else if (r != PCA_ERR_UNAVAILABLE) {
		if (store_cert_fail(w->fe->store, ca_id, serial, why) != 0)
			log_error("CA %s serial %s: could not record the failure", ca_id, serial);
	}
	free(der);
	return r;
}

int
acmpca_issue_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__IssueCertificateRequest *in = (const void *)in_;
	Pca__Api__AcmPca__IssueCertificateResponse *out = NULL;
	Pca__Signer__SignCertRequest *sreq = NULL;
	const struct cert_template *t;
	struct store_ca ca;
	struct store_cert pc;
	struct x509_csr *csr = NULL;
	EVP_PKEY *ca_key = NULL;
	X509_REQ *ca_csr = NULL;
	uint8_t serial[SERIAL_LEN];
	char serial_hex[X509_SERIAL_HEX_MAX], existing[41], why[512],
	    scope[ACMPCA_ISSUE_SCOPE_MAX];
	char arn[ARN_MAX + 64];
	const char *tarn = in->template_arn != NULL ? in->template_arn : TMPL_DEFAULT_ARN;
	int r, rc = -1;

	memset(&pc, 0, sizeof(pc));
	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if ((t = template_find(tarn)) == NULL) {
		rc = op_fail(ctx, EXC_INVALID_ARGS, "TemplateArn %.200s is not a certificate "
		    "template.", tarn);
		goto out;
	}
	if (t->passthrough != 0 || t->subject_from != TMPL_FROM_CSR ||
	    t->aki == TMPL_AKI_API || (t->bc_ca && !t->has_key_usage)) {
		rc = op_fail(ctx, EXC_INVALID_ARGS, "Template %s takes values from "
		    "ApiPassthrough or CSR passthrough, which this service does not "
		    "support yet.", t->name);
		goto out;
	}
	if (in->api_passthrough != NULL)
		log_debug("ApiPassthrough ignored: template %s does not use it", t->name);
	if (!sigalg_fits_key(in->signing_algorithm, ca.key_algorithm)) {
		rc = op_fail(ctx, EXC_INVALID_ARGS, "SigningAlgorithm must be a %s algorithm "
		    "for this certificate authority's key.", key_family(ca.key_algorithm));
		goto out;
	}
	if (x509_csr_load(in->csr.data, in->csr.len, &csr) != 0) {
		rc = op_fail(ctx, EXC_MALFORMED_CSR, "The CSR is not a PEM or DER PKCS#10 "
		    "certificate signing request.");
		goto out;
	}
	if ((r = x509_csr_validate(csr, why, sizeof(why))) != 0) {
		rc = op_fail(ctx, EXC_MALFORMED_CSR, "%s", why);
		goto out;
	}
	if (t->kind == TMPL_ROOT_CA) {
		/* a root certifies itself: its own CSR, while it waits for it */
		if (ca.type != CA_TYPE(ROOT)) {
			rc = op_fail(ctx, EXC_INVALID_ARGS, "RootCACertificate can be used only "
			    "by a ROOT certificate authority.");
			goto out;
		}
		if (ca.csr_der == NULL || x509_csr_parse(ca.csr_der, ca.csr_der_len, &ca_csr) != 0 ||
		    (ca_key = X509_REQ_get_pubkey(ca_csr)) == NULL ||
		    !x509_pkey_equal(ca_key, x509_csr_pkey(csr))) {
			rc = op_fail(ctx, EXC_INVALID_ARGS, "RootCACertificate issues the "
			    "certificate authority's own certificate: the CSR must be its own.");
			goto out;
		}
		if (ca.status != CA_STATUS(PENDING_CERTIFICATE) && ca.status != CA_STATUS(ACTIVE)) {
			rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is %s.",
			    ca_status_name(ca.status));
			goto out;
		}
	} else if (ca.status != CA_STATUS(ACTIVE)) {
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is %s; it "
		    "issues certificates only when ACTIVE.", ca_status_name(ca.status));
		goto out;
	}

	if ((r = serial_pool_next(ctx->fe->serials, ctx->w->signer, serial)) != 0) {
		rc = fail_signer(ctx, r, "no serial number");
		goto out;
	}
	if (build_sign_request(ctx, in, &ca, t, csr, serial, &sreq) != 0)
		goto out;
	x509_serial_hex(serial, SERIAL_LEN, serial_hex);

	/* write ahead: the intent is durable before the signer is asked */
	snprintf(pc.ca_id, sizeof(pc.ca_id), "%s", ca.id);
	snprintf(pc.serial, sizeof(pc.serial), "%s", serial_hex);
	pc.status = STORE_CERT_PENDING;
	pc.request_len = pca__signer__sign_cert_request__get_packed_size(sreq);
	if ((pc.request = malloc(pc.request_len)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	pca__signer__sign_cert_request__pack(sreq, pc.request);
	pc.template_arn = (char *)t->arn;
	pc.requester = (char *)ctx->caller->arn;
	pc.created_at = clock_now();
	pc.not_after = sreq->not_after;
	acmpca_issue_scope(scope, sizeof(scope), ctx->caller->account_id, ca.id);
	r = store_cert_reserve(ctx->fe->store, &pc, in->idempotency_token != NULL ? scope : NULL,
	    in->idempotency_token, IDEMPOTENCY_WINDOW, existing);
	if (r == PCA_ERR_EXISTS && existing[0] != '\0') {
		snprintf(serial_hex, sizeof(serial_hex), "%s", existing);
		goto answer;	/* same token: the same certificate */
	}
	if (r != 0) {
		rc = fail_store(ctx, r, "certificate");
		goto out;
	}
	if ((r = cert_complete(ctx->w, ca.id, serial_hex, pc.request, pc.request_len, why,
	    sizeof(why))) != 0) {
		rc = fail_signer(ctx, r, why);
		goto out;
	}
	/* debug: one line a certificate costs more than the rest of the log;
	 * the certificate's row keeps requester and template */
	log_debug("CA %s issued %s (%s) for %s", ca.id, serial_hex, t->name, ctx->caller->arn);
 answer:
	arn_format_cert(arn, sizeof(arn), ca.arn, serial_hex);
	if ((out = (void *)msg_new(&pca__api__acm_pca__issue_certificate_response__descriptor)) == NULL ||
	    (out->certificate_arn = strdup(arn)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	out = NULL;
	rc = 0;
 out:
	if (out != NULL)
		protobuf_c_message_free_unpacked(&out->base, NULL);
	if (sreq != NULL)
		pca__signer__sign_cert_request__free_unpacked(sreq, NULL);
	free(pc.request);
	x509_csr_free(csr);
	X509_REQ_free(ca_csr);
	EVP_PKEY_free(ca_key);
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_get_certificate(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__GetCertificateRequest *in = (const void *)in_;
	Pca__Api__AcmPca__GetCertificateResponse *out = NULL;
	struct store_ca ca;
	struct store_cert c;
	char ca_arn[ARN_MAX + 1], ca_id[37], serial[41], *pem = NULL, *ca_pem = NULL;
	int r, rc = -1;

	memset(&c, 0, sizeof(c));
	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (arn_parse_cert(in->certificate_arn, ca_arn, ca_id, serial) != 0) {
		rc = op_fail(ctx, EXC_INVALID_ARN, "The ARN %.200s is not a valid certificate "
		    "ARN.", in->certificate_arn);
		goto out;
	}
	if (strcmp(ca_arn, ca.arn) != 0) {
		rc = op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "Certificate %.200s was not issued by "
		    "%.200s.", in->certificate_arn, ca.arn);
		goto out;
	}
	if ((r = store_cert_get(ctx->fe->store, ca.id, serial, &c)) != 0) {
		if (r == PCA_ERR_NOT_FOUND)
			rc = op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "Could not find certificate "
			    "%.200s.", in->certificate_arn);
		else
			rc = fail_store(ctx, r, "certificate");
		goto out;
	}
	if (c.status == STORE_CERT_PENDING) {
		rc = op_fail(ctx, EXC_REQUEST_IN_PROGRESS, "The certificate is being issued.");
		goto out;
	}
	if (c.status != STORE_CERT_ISSUED) {
		rc = op_fail(ctx, EXC_REQUEST_FAILED, "The certificate was not issued: %s",
		    c.failure != NULL ? c.failure : "unknown reason");
		goto out;
	}
	if (x509_cert_der_to_pem(c.der, c.der_len, &pem) != 0) {
		rc = op_fail(ctx, EXC_INTERNAL, "the stored certificate does not encode");
		goto out;
	}
	if ((out = (void *)msg_new(&pca__api__acm_pca__get_certificate_response__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	out->certificate = pem;
	pem = NULL;
	/* the chain: the issuing CA's certificate, then its own chain up to
	 * the root; a root's self-issued certificate has none */
	if (ca.cert_der != NULL && !(c.der_len == ca.cert_der_len &&
	    memcmp(c.der, ca.cert_der, c.der_len) == 0)) {
		size_t l1, l2;
		if (x509_cert_der_to_pem(ca.cert_der, ca.cert_der_len, &ca_pem) != 0) {
			rc = op_fail(ctx, EXC_INTERNAL, "the CA certificate does not encode");
			goto out;
		}
		l1 = strlen(ca_pem);
		l2 = ca.chain_pem != NULL ? strlen(ca.chain_pem) : 0;
		if ((out->certificate_chain = malloc(l1 + l2 + 1)) == NULL) {
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
		memcpy(out->certificate_chain, ca_pem, l1);
		if (l2 > 0)
			memcpy(out->certificate_chain + l1, ca.chain_pem, l2);
		out->certificate_chain[l1 + l2] = '\0';
	}
	*out_ = &out->base;
	out = NULL;
	rc = 0;
 out:
	if (out != NULL)
		protobuf_c_message_free_unpacked(&out->base, NULL);
	free(pem);
	free(ca_pem);
	store_cert_clear(&c);
	store_ca_clear(&ca);
	return rc;
}

void
acmpca_issue_scope(char *out, size_t len, const char *account_id, const char *ca_id)
{
	snprintf(out, len, "IssueCertificate:%s:%s", account_id, ca_id);
}
