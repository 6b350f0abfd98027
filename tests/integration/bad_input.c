/*
 * bad_input - everything a user or attacker can send to the native socket
 * API gets a clear, typed error, and the service keeps serving and loses
 * nothing. Real daemons on a fresh SoftHSM2 token.
 */
#include "acm_pca.pb-c.h"
#include "api.pb-c.h"
#include "clock.h"
#include "envelope.h"
#include "fixture_instance.h"
#include "hsmca.pb-c.h"
#include "sigv4.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define KEY(x)	PCA__API__ACM_PCA__KEY_ALGORITHM__KeyAlgorithm_##x
#define SIG(x)	PCA__API__ACM_PCA__SIGNING_ALGORITHM__SigningAlgorithm_##x

static struct fx_instance fx;
static struct pca_client *admin;
static char *root_arn;		/* an ACTIVE RSA root */
static char *ec_root_arn;	/* an ACTIVE EC root */

/* Exchange raw bytes and decode the answer's error code ("" on success). */
static void
raw_expect(const uint8_t *req, size_t len, const char *code)
{
	Pca__Api__Response *resp;
	uint8_t *ans = NULL;
	size_t ans_len = 0;

	if (pca_call_raw(admin, req, len, &ans, &ans_len) != 0)
		test_fail(__FILE__, __LINE__, "no answer to %zu bytes", len);
	if ((resp = pca__api__response__unpack(NULL, ans_len, ans)) == NULL)
		test_fail(__FILE__, __LINE__, "the answer does not decode");
	if (code[0] == '\0' ? resp->error_code != NULL :
	    resp->error_code == NULL || strcmp(resp->error_code, code) != 0) {
		test_diag("got %s: %s", resp->error_code ? resp->error_code : "success",
		    resp->error_message ? resp->error_message : "");
		test_fail(__FILE__, __LINE__, "expected %s", code[0] ? code : "success");
	}
	pca__api__response__free_unpacked(resp, NULL);
	free(ans);
}

/* The service still answers an authenticated request. */
static void
still_serving(void)
{
	Pca__Api__Hsmca__Empty in = PCA__API__HSMCA__EMPTY__INIT;
	Pca__Api__Hsmca__GetStatusResponse *st;

	st = (void *)fx_call_ok(admin, "GetStatus", &in.base);
	assert_true(st->signer_healthy);
	protobuf_c_message_free_unpacked(&st->base, NULL);
}

static uint8_t *
list_request(size_t *len)
{
	Pca__Api__AcmPca__ListCertificateAuthoritiesRequest in =
	    PCA__API__ACM_PCA__LIST_CERTIFICATE_AUTHORITIES_REQUEST__INIT;
	uint8_t payload[64], *req = NULL;
	size_t pl = pca__api__acm_pca__list_certificate_authorities_request__pack(&in, payload);

	if (pca_request_build(admin, "acm-pca", "ListCertificateAuthorities", payload, pl,
	    &req, len) != 0)
		test_fail(__FILE__, __LINE__, "build");
	return req;
}

static void
test_setup(void)
{
	fx_instance_up(&fx, 1);
	admin = fx_client(&fx, NULL);
	root_arn = fx_root_ca(admin, KEY(RSA_2048), SIG(SHA256WITHRSA));
	ec_root_arn = fx_root_ca(admin, KEY(EC_prime256v1), SIG(SHA256WITHECDSA));
	still_serving();
}

static void
test_garbage(void)
{
	static const uint8_t junk[] = "\xff\xff\xff\xff garbage that is no protobuf";
	uint8_t *req, *cut;
	size_t len;

	raw_expect(junk, sizeof(junk), "SerializationException");
	raw_expect((const uint8_t *)"", 0, "SerializationException");
	req = list_request(&len);
	if ((cut = malloc(len)) == NULL)
		test_fail(__FILE__, __LINE__, "oom");
	memcpy(cut, req, len);
	raw_expect(cut, len / 2, "SerializationException");	/* truncated */
	free(cut);
	free(req);
	still_serving();
}

static void
test_oversize(void)
{
	size_t big = 5u * 1024 * 1024;
	uint8_t *buf = calloc(1, big);

	assert_ptr_not_null(buf);
	raw_expect(buf, big, "ValidationException");
	free(buf);
	still_serving();
}

static void
test_bad_signature(void)
{
	uint8_t *req;
	size_t len;
	Pca__Api__Request *r;
	uint8_t *again;
	size_t again_len;

	/* tamper one hex digit of the signature */
	req = list_request(&len);
	r = pca__api__request__unpack(NULL, len, req);
	assert_ptr_not_null(r);
	r->signature[0] = r->signature[0] == 'a' ? 'b' : 'a';
	again_len = pca__api__request__get_packed_size(r);
	again = malloc(again_len);
	pca__api__request__pack(r, again);
	raw_expect(again, again_len, "InvalidSignatureException");
	free(again);
	pca__api__request__free_unpacked(r, NULL);
	free(req);

	/* a valid request, sent twice: the replay is refused */
	req = list_request(&len);
	raw_expect(req, len, "");
	raw_expect(req, len, "InvalidSignatureException");
	free(req);
	still_serving();
}

static void
test_expired(void)
{
	Pca__Api__Request req = PCA__API__REQUEST__INIT;
	uint8_t payload[1], *buf;
	size_t len;

	req.version = API_PROTO_VERSION;
	req.service = "acm-pca";
	req.operation = "ListCertificateAuthorities";
	req.payload.data = payload;
	req.payload.len = 0;
	assert_int_eq(envelope_sign(&req, fx.admin.access_key_id, fx.admin.secret_access_key,
	    NULL, fx.region, "acm-pca", clock_real() - 600), 0);
	len = pca__api__request__get_packed_size(&req);
	buf = malloc(len);
	pca__api__request__pack(&req, buf);
	raw_expect(buf, len, "InvalidSignatureException");
	free(buf);
	envelope_clear(&req);

	/* an unknown access key */
	req.version = API_PROTO_VERSION;
	req.service = "acm-pca";
	req.operation = "ListCertificateAuthorities";
	assert_int_eq(envelope_sign(&req, "AKIAUNKNOWNUNKNOWN12", "secret", NULL, fx.region,
	    "acm-pca", clock_real()), 0);
	len = pca__api__request__get_packed_size(&req);
	buf = malloc(len);
	pca__api__request__pack(&req, buf);
	raw_expect(buf, len, "UnrecognizedClientException");
	free(buf);
	envelope_clear(&req);

	/* a wrong secret for a real key */
	req.version = API_PROTO_VERSION;
	req.service = "acm-pca";
	req.operation = "ListCertificateAuthorities";
	assert_int_eq(envelope_sign(&req, fx.admin.access_key_id, "not the secret", NULL,
	    fx.region, "acm-pca", clock_real()), 0);
	len = pca__api__request__get_packed_size(&req);
	buf = malloc(len);
	pca__api__request__pack(&req, buf);
	raw_expect(buf, len, "InvalidSignatureException");
	free(buf);
	envelope_clear(&req);
	still_serving();
}

static void
test_unknown_operation_and_payload(void)
{
	uint8_t *req, bad[] = { 0xff, 0x01, 0x02 };
	uint8_t enum_payload[64];
	size_t len, pl;
	Pca__Api__AcmPca__ListCertificateAuthoritiesRequest in =
	    PCA__API__ACM_PCA__LIST_CERTIFICATE_AUTHORITIES_REQUEST__INIT;

	assert_int_eq(pca_request_build(admin, "acm-pca", "FormatDisk", bad, 0, &req, &len), 0);
	raw_expect(req, len, "UnknownOperationException");
	free(req);
	assert_int_eq(pca_request_build(admin, "acm-pca", "IssueCertificate", bad, sizeof(bad),
	    &req, &len), 0);
	raw_expect(req, len, "SerializationException");
	free(req);
	/* an enum number the model does not know */
	in.has_resource_owner = 1;
	in.resource_owner = 77;
	pl = pca__api__acm_pca__list_certificate_authorities_request__pack(&in, enum_payload);
	assert_int_eq(pca_request_build(admin, "acm-pca", "ListCertificateAuthorities",
	    enum_payload, pl, &req, &len), 0);
	raw_expect(req, len, "ValidationException");
	free(req);
	/* a value out of the model's range */
	in.has_resource_owner = 0;
	in.has_max_results = 1;
	in.max_results = 5000;
	pl = pca__api__acm_pca__list_certificate_authorities_request__pack(&in, enum_payload);
	assert_int_eq(pca_request_build(admin, "acm-pca", "ListCertificateAuthorities",
	    enum_payload, pl, &req, &len), 0);
	raw_expect(req, len, "ValidationException");
	free(req);
	still_serving();
}

static void
issue_expect(const char *ca, const uint8_t *csr, size_t len, int sig, const char *code)
{
	Pca__Api__AcmPca__IssueCertificateRequest ir = PCA__API__ACM_PCA__ISSUE_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__Validity v = PCA__API__ACM_PCA__VALIDITY__INIT;

	ir.certificate_authority_arn = (char *)ca;
	ir.csr.data = (uint8_t *)csr;
	ir.csr.len = len;
	ir.signing_algorithm = sig;
	v.type = PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_DAYS;
	v.value = 30;
	ir.validity = &v;
	if (code == NULL) {
		ProtobufCMessage *o = fx_call_ok(admin, "IssueCertificate", &ir.base);
		protobuf_c_message_free_unpacked(o, NULL);
	} else {
		fx_call_err(admin, "IssueCertificate", &ir.base, code);
	}
}

static void
test_bad_csrs(void)
{
	size_t len;
	char *csr;
	uint8_t *der;
	const unsigned char *p;
	X509_REQ *req;
	BIO *b;
	int dl;

	issue_expect(root_arn, (const uint8_t *)"not a CSR at all", 16, SIG(SHA256WITHRSA),
	    "MalformedCSRException");
	csr = fx_csr("RSA", 1024, NULL, "small.example", &len);
	issue_expect(root_arn, (uint8_t *)csr, len, SIG(SHA256WITHRSA), "MalformedCSRException");
	free(csr);
	csr = fx_csr("EC", 0, "secp256k1", "k1.example", &len);
	issue_expect(root_arn, (uint8_t *)csr, len, SIG(SHA256WITHRSA), "MalformedCSRException");
	free(csr);
	csr = fx_csr("EC", 0, "prime256v1", NULL, &len);	/* no subject, no SAN */
	issue_expect(root_arn, (uint8_t *)csr, len, SIG(SHA256WITHRSA), "MalformedCSRException");
	free(csr);

	/* a CSR whose self-signature is wrong: flip a bit of the signature */
	csr = fx_csr("RSA", 2048, NULL, "tampered.example", &len);
	b = BIO_new_mem_buf(csr, (int)len);
	req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	assert_ptr_not_null(req);
	der = NULL;
	dl = i2d_X509_REQ(req, &der);
	assert_int_ge(dl, 100);
	der[dl - 5] ^= 0x01;
	issue_expect(root_arn, der, (size_t)dl, SIG(SHA256WITHRSA), "MalformedCSRException");
	/* the same CSR untouched, as DER: accepted */
	der[dl - 5] ^= 0x01;
	p = der;
	issue_expect(root_arn, p, (size_t)dl, SIG(SHA256WITHRSA), NULL);
	OPENSSL_free(der);
	X509_REQ_free(req);
	BIO_free(b);
	free(csr);

	/* a family mismatch and an unknown template */
	csr = fx_csr("EC", 0, "prime256v1", "ok.example", &len);
	issue_expect(ec_root_arn, (uint8_t *)csr, len, SIG(SHA256WITHRSA), "InvalidArgsException");
	free(csr);
	still_serving();
}

static void
test_states_and_arns(void)
{
	Pca__Api__AcmPca__CreateCertificateAuthorityRequest cr =
	    PCA__API__ACM_PCA__CREATE_CERTIFICATE_AUTHORITY_REQUEST__INIT;
	Pca__Api__AcmPca__CertificateAuthorityConfiguration cfg =
	    PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_CONFIGURATION__INIT;
	Pca__Api__AcmPca__ASN1Subject subj = PCA__API__ACM_PCA__ASN1_SUBJECT__INIT;
	Pca__Api__AcmPca__CreateCertificateAuthorityResponse *co;
	Pca__Api__AcmPca__DescribeCertificateAuthorityRequest dr =
	    PCA__API__ACM_PCA__DESCRIBE_CERTIFICATE_AUTHORITY_REQUEST__INIT;
	Pca__Api__AcmPca__ImportCertificateAuthorityCertificateRequest im =
	    PCA__API__ACM_PCA__IMPORT_CERTIFICATE_AUTHORITY_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__GetCertificateAuthorityCertificateRequest gc =
	    PCA__API__ACM_PCA__GET_CERTIFICATE_AUTHORITY_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__GetCertificateAuthorityCertificateResponse *gco;
	char *csr, arn[300];
	size_t len;

	csr = fx_csr("RSA", 2048, NULL, "leaf.example", &len);
	subj.common_name = "pending";
	cfg.key_algorithm = KEY(RSA_2048);
	cfg.signing_algorithm = SIG(SHA256WITHRSA);
	cfg.subject = &subj;
	cr.certificate_authority_configuration = &cfg;
	cr.certificate_authority_type =
	    PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_TYPE__CertificateAuthorityType_SUBORDINATE;
	co = (void *)fx_call_ok(admin, "CreateCertificateAuthority", &cr.base);
	issue_expect(co->certificate_authority_arn, (uint8_t *)csr, len, SIG(SHA256WITHRSA),
	    "InvalidStateException");

	/* importing a certificate whose key is not the CA's */
	gc.certificate_authority_arn = root_arn;
	gco = (void *)fx_call_ok(admin, "GetCertificateAuthorityCertificate", &gc.base);
	im.certificate_authority_arn = co->certificate_authority_arn;
	im.certificate.data = (uint8_t *)gco->certificate;
	im.certificate.len = strlen(gco->certificate);
	fx_call_err(admin, "ImportCertificateAuthorityCertificate", &im.base,
	    "CertificateMismatchException");
	im.certificate.data = (uint8_t *)"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	im.certificate.len = strlen((char *)im.certificate.data);
	fx_call_err(admin, "ImportCertificateAuthorityCertificate", &im.base,
	    "MalformedCertificateException");
	protobuf_c_message_free_unpacked(&gco->base, NULL);
	protobuf_c_message_free_unpacked(&co->base, NULL);

	/* ARNs: malformed, well-formed but unknown, another region's */
	dr.certificate_authority_arn = "arn:aws:acm-pca:us-east-1:123:certificate-authority/x";
	fx_call_err(admin, "DescribeCertificateAuthority", &dr.base, "InvalidArnException");
	dr.certificate_authority_arn = "not-an-arn";
	fx_call_err(admin, "DescribeCertificateAuthority", &dr.base, "InvalidArnException");
	snprintf(arn, sizeof(arn), "%s", root_arn);
	memcpy(strrchr(arn, '/') + 1, "00000000", 8);
	dr.certificate_authority_arn = arn;
	fx_call_err(admin, "DescribeCertificateAuthority", &dr.base, "ResourceNotFoundException");
	snprintf(arn, sizeof(arn), "arn:aws:acm-pca:eu-west-1:%s", strstr(root_arn, "us-east-1:") + 10);
	dr.certificate_authority_arn = arn;
	fx_call_err(admin, "DescribeCertificateAuthority", &dr.base, "ResourceNotFoundException");
	{
		/* a NextToken shaped like one but naming no CA of ours (found by
		 * the api_envelope fuzzer: it was an InternalFailure) */
		Pca__Api__AcmPca__ListCertificateAuthoritiesRequest lr =
		    PCA__API__ACM_PCA__LIST_CERTIFICATE_AUTHORITIES_REQUEST__INIT;
		lr.next_token = "05555555-2222-4333-8444-000000000001";
		fx_call_err(admin, "ListCertificateAuthorities", &lr.base,
		    "InvalidNextTokenException");
	}
	free(csr);
	still_serving();
}

static void
test_other_account(void)
{
	struct creds other;
	struct pca_client *oc;
	Pca__Api__AcmPca__DescribeCertificateAuthorityRequest dr =
	    PCA__API__ACM_PCA__DESCRIBE_CERTIFICATE_AUTHORITY_REQUEST__INIT;
	Pca__Api__AcmPca__ListCertificateAuthoritiesRequest lr =
	    PCA__API__ACM_PCA__LIST_CERTIFICATE_AUTHORITIES_REQUEST__INIT;
	Pca__Api__AcmPca__ListCertificateAuthoritiesResponse *lo;
	Pca__Api__AcmPca__IssueCertificateRequest ir = PCA__API__ACM_PCA__ISSUE_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__Validity v = PCA__API__ACM_PCA__VALIDITY__INIT;
	Pca__Api__AcmPca__DeleteCertificateAuthorityRequest del =
	    PCA__API__ACM_PCA__DELETE_CERTIFICATE_AUTHORITY_REQUEST__INIT;
	char arn[300], *csr;
	size_t len;

	fx_new_account(&fx, "other", &other);
	oc = fx_client(&fx, &other);
	dr.certificate_authority_arn = root_arn;
	fx_call_err(oc, "DescribeCertificateAuthority", &dr.base, "AccessDeniedException");
	csr = fx_csr("RSA", 2048, NULL, "intruder.example", &len);
	ir.certificate_authority_arn = root_arn;
	ir.csr.data = (uint8_t *)csr;
	ir.csr.len = len;
	ir.signing_algorithm = SIG(SHA256WITHRSA);
	v.type = PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_DAYS;
	v.value = 1;
	ir.validity = &v;
	fx_call_err(oc, "IssueCertificate", &ir.base, "AccessDeniedException");
	del.certificate_authority_arn = root_arn;
	fx_call_err(oc, "DeleteCertificateAuthority", &del.base, "AccessDeniedException");
	/* the CA's id under the intruder's own account id names nothing */
	snprintf(arn, sizeof(arn), "arn:aws:acm-pca:%s:%s:%s", fx.region,
	    "000000000000", strstr(root_arn, "certificate-authority/"));
	dr.certificate_authority_arn = arn;
	fx_call_err(oc, "DescribeCertificateAuthority", &dr.base, "AccessDeniedException");
	lo = (void *)fx_call_ok(oc, "ListCertificateAuthorities", &lr.base);
	assert_int_eq(lo->n_certificate_authorities, 0);
	protobuf_c_message_free_unpacked(&lo->base, NULL);
	free(csr);
	pca_client_close(oc);
	creds_clear(&other);
	still_serving();
}

/* Policies the CLI would refuse before sending: the server's own checks. */
static void
test_bad_policies(void)
{
	Pca__Api__AcmPca__PutPolicyRequest pp = PCA__API__ACM_PCA__PUT_POLICY_REQUEST__INIT;
	Pca__Api__AcmPca__GetPolicyRequest gp = PCA__API__ACM_PCA__GET_POLICY_REQUEST__INIT;
	static const char stmt[] = "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
	    "\"111122223333\"},\"Action\":\"acm-pca:GetCertificate\"}";
	size_t n = 81920 / (sizeof(stmt) - 1) + 2, off;
	char *big;

	big = malloc(n * sizeof(stmt) + 64);
	assert_true(big != NULL);
	off = (size_t)sprintf(big, "{\"Version\":\"2012-10-17\",\"Statement\":[");
	for (size_t i = 0; i < n; i++)
		off += (size_t)sprintf(big + off, "%s%s", i ? "," : "", stmt);
	strcpy(big + off, "]}");
	assert_true(strlen(big) > 81920);
	pp.resource_arn = root_arn;
	pp.policy = big;
	/* the model's length constraint, checked before the handler, as AWS does */
	fx_call_err(admin, "PutPolicy", &pp.base, "ValidationException");
	pp.policy = "";
	fx_call_err(admin, "PutPolicy", &pp.base, "ValidationException");
	pp.policy = "[1,2,3]";
	fx_call_err(admin, "PutPolicy", &pp.base, "InvalidPolicyException");
	pp.policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
	    "\"Principal\":{\"AWS\":\"111122223333\"},\"Action\":\"acm-pca:GetCertificate\","
	    "\"Action\":\"acm-pca:ListTags\"}]}";	/* a duplicate key */
	fx_call_err(admin, "PutPolicy", &pp.base, "InvalidPolicyException");
	pp.policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
	    "\"Principal\":{\"AWS\":\"111122223333\"},\"Action\":\"acm-pca:GetCertificate\xff\"}]}";
	fx_call_err(admin, "PutPolicy", &pp.base, "SerializationException");	/* not UTF-8 */
	pp.policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
	    "\"Principal\":{\"AWS\":\"111122223333\"},\"Action\":\"acm-pca:GetCertificate\"}]}";
	pp.resource_arn = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/nope";
	fx_call_err(admin, "PutPolicy", &pp.base, "InvalidArnException");
	/* nothing was stored */
	gp.resource_arn = root_arn;
	fx_call_err(admin, "GetPolicy", &gp.base, "ResourceNotFoundException");
	free(big);
	still_serving();
}

static void
test_signer_down(void)
{
	Pca__Api__Hsmca__Empty in = PCA__API__HSMCA__EMPTY__INIT;
	Pca__Api__Hsmca__GetStatusResponse *st;
	char *csr;
	size_t len;

	csr = fx_csr("RSA", 2048, NULL, "while-down.example", &len);
	fx_signer_stop(&fx);
	issue_expect(root_arn, (uint8_t *)csr, len, SIG(SHA256WITHRSA), "ServiceUnavailable");
	st = (void *)fx_call_ok(admin, "GetStatus", &in.base);
	assert_false(st->signer_healthy);	/* the frontend itself still answers */
	protobuf_c_message_free_unpacked(&st->base, NULL);
	fx_signer_start(&fx);
	issue_expect(root_arn, (uint8_t *)csr, len, SIG(SHA256WITHRSA), NULL);
	free(csr);
	still_serving();
}

static void
test_nothing_lost(void)
{
	Pca__Api__AcmPca__ListCertificateAuthoritiesRequest lr =
	    PCA__API__ACM_PCA__LIST_CERTIFICATE_AUTHORITIES_REQUEST__INIT;
	Pca__Api__AcmPca__ListCertificateAuthoritiesResponse *lo;
	char *csr;
	size_t len;

	lo = (void *)fx_call_ok(admin, "ListCertificateAuthorities", &lr.base);
	assert_int_eq(lo->n_certificate_authorities, 3);
	protobuf_c_message_free_unpacked(&lo->base, NULL);
	csr = fx_csr("EC", 0, "secp384r1", "after.example", &len);
	issue_expect(ec_root_arn, (uint8_t *)csr, len, SIG(SHA384WITHECDSA), NULL);
	free(csr);
}

static void
test_teardown(void)
{
	pca_client_close(admin);
	free(root_arn);
	free(ec_root_arn);
	fx_instance_down(&fx);
}

int
main(void)
{
	test_run("bad_input/setup", test_setup);
	test_run("bad_input/bad_policies", test_bad_policies);
	test_run("bad_input/garbage_and_truncated", test_garbage);
	test_run("bad_input/oversize", test_oversize);
	test_run("bad_input/signature_and_replay", test_bad_signature);
	test_run("bad_input/expired_unknown_key_wrong_secret", test_expired);
	test_run("bad_input/unknown_operation_payload_enum_range", test_unknown_operation_and_payload);
	test_run("bad_input/csrs", test_bad_csrs);
	test_run("bad_input/states_and_arns", test_states_and_arns);
	test_run("bad_input/other_account", test_other_account);
	test_run("bad_input/signer_down", test_signer_down);
	test_run("bad_input/nothing_lost", test_nothing_lost);
	test_run("bad_input/teardown", test_teardown);
	return test_done();
}
