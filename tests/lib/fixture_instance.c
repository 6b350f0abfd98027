#include "fixture_instance.h"
#include "acm_pca.pb-c.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* Run one instance.sh function (with its argument) for fx's HSMCA_HOME. */
static void
shell(struct fx_instance *fx, const char *what, const char *func, const char *arg)
{
	char cmd[4096], tail[1024];
	char *out = NULL;
	int rc;

	snprintf(tail, sizeof(tail), "%s '%s'", func, arg != NULL ? arg : "");
	snprintf(cmd, sizeof(cmd),
	    "cd '%s' && HSMCA_TOP='%s' HSMCA_HOME='%s' bash -c '. scripts/lib/instance.sh && %s' 2>&1",
	    HSMCA_SOURCE_DIR, HSMCA_SOURCE_DIR, fx->home, tail);
	rc = test_sh(&out, "%s", cmd);
	if (rc != 0) {
		test_diag("%s failed (%d): %s", what, rc, out != NULL ? out : "");
		free(out);
		test_fail(__FILE__, __LINE__, "%s failed", what);
	}
	free(out);
}

static void
env_value(const char *env, const char *name, char *out, size_t len)
{
	char key[128];
	const char *p, *e;

	snprintf(key, sizeof(key), "export %s=\"", name);
	if ((p = strstr(env, key)) == NULL)
		test_fail(__FILE__, __LINE__, "no %s in the instance's env file", name);
	p += strlen(key);
	if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= len)
		test_fail(__FILE__, __LINE__, "bad %s in the env file", name);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

void
fx_instance_up(struct fx_instance *fx, int test_clock)
{
	char path[600], why[256], *env;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->home, sizeof(fx->home), "%s/home", test_tmpdir());
	setenv("HSMCA_TEST_CLOCK", test_clock ? "1" : "0", 1);
	shell(fx, "instance_up", "instance_up", HSMCA_BUILD_DIR);
	snprintf(path, sizeof(path), "%s/env", fx->home);
	if ((env = test_read_file(path, NULL)) == NULL)
		test_fail(__FILE__, __LINE__, "no env file");
	env_value(env, "HSMCA_ENDPOINT", fx->endpoint, sizeof(fx->endpoint));
	env_value(env, "AWS_DEFAULT_REGION", fx->region, sizeof(fx->region));
	env_value(env, "AWS_SHARED_CREDENTIALS_FILE", fx->credentials, sizeof(fx->credentials));
	free(env);
	setenv("AWS_SHARED_CREDENTIALS_FILE", fx->credentials, 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	if (creds_resolve("admin", fx->region, &fx->admin, why, sizeof(why)) != 0)
		test_fail(__FILE__, __LINE__, "admin credentials: %s", why);
}

void
fx_instance_down(struct fx_instance *fx)
{
	char *out = NULL;

	test_sh(&out, "cd '%s' && HSMCA_TOP='%s' HSMCA_HOME='%s' bash -c "
	    "'. scripts/lib/instance.sh && instance_down' 2>&1", HSMCA_SOURCE_DIR,
	    HSMCA_SOURCE_DIR, fx->home);
	free(out);
	/* a sanitizer report in a daemon's log fails the test */
	if (test_sh(&out, "grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "
	    "'%s'/log/*.log", fx->home) == 0) {
		test_diag("sanitizer report in %s", out);
		free(out);
		creds_clear(&fx->admin);
		test_fail(__FILE__, __LINE__, "a daemon reported a sanitizer error");
	}
	free(out);
	creds_clear(&fx->admin);
}

void
fx_signer_stop(struct fx_instance *fx)
{
	shell(fx, "instance_signer_stop", "instance_signer_stop", NULL);
}

void
fx_signer_start(struct fx_instance *fx)
{
	shell(fx, "instance_signer_start", "instance_signer_start", HSMCA_BUILD_DIR);
}

struct pca_client *
fx_client(struct fx_instance *fx, const struct creds *cr)
{
	struct pca_client *c = NULL;

	if (pca_client_open(fx->endpoint, cr != NULL ? cr : &fx->admin, fx->region, 120000, &c) != 0)
		test_fail(__FILE__, __LINE__, "cannot open a client to %s", fx->endpoint);
	return c;
}

void
fx_new_account(struct fx_instance *fx, const char *name, struct creds *out)
{
	char file[700], why[256], *o = NULL;
	int rc;

	snprintf(file, sizeof(file), "%s/credentials-%s", fx->home, name);
	rc = test_sh(&o, "'%s/frontend/pca-frontend' -c '%s/frontend.conf' add-account "
	    "--credentials-file '%s' --profile '%s' --name '%s' 2>&1", HSMCA_BUILD_DIR, fx->home,
	    file, name, name);
	if (rc != 0)
		test_fail(__FILE__, __LINE__, "add-account: %s", o);
	free(o);
	setenv("AWS_SHARED_CREDENTIALS_FILE", file, 1);
	if (creds_resolve(name, fx->region, out, why, sizeof(why)) != 0)
		test_fail(__FILE__, __LINE__, "credentials of %s: %s", name, why);
	setenv("AWS_SHARED_CREDENTIALS_FILE", fx->credentials, 1);
}

ProtobufCMessage *
fx_call_ok(struct pca_client *c, const char *op, const ProtobufCMessage *in)
{
	struct pca_error err;
	ProtobufCMessage *out = NULL;
	const char *svc = strncmp(in->descriptor->package_name, "pca.api.hsmca", 13) == 0 ?
	    "hsmca" : "acm-pca";

	if (pca_call(c, svc, op, in, &out, &err) != 0)
		test_fail(__FILE__, __LINE__, "%s failed: %s: %s", op, err.code, err.message);
	return out;
}

void
fx_call_err(struct pca_client *c, const char *op, const ProtobufCMessage *in, const char *code)
{
	struct pca_error err;
	ProtobufCMessage *out = NULL;
	const char *svc = strncmp(in->descriptor->package_name, "pca.api.hsmca", 13) == 0 ?
	    "hsmca" : "acm-pca";

	if (pca_call(c, svc, op, in, &out, &err) == 0) {
		protobuf_c_message_free_unpacked(out, NULL);
		test_fail(__FILE__, __LINE__, "%s succeeded; expected %s", op, code);
	}
	if (strcmp(err.code, code) != 0)
		test_fail(__FILE__, __LINE__, "%s failed with %s (%s); expected %s", op,
		    err.code, err.message, code);
}

char *
fx_csr(const char *type, int bits, const char *curve, const char *cn, size_t *len)
{
	EVP_PKEY *k = NULL;
	X509_REQ *req = NULL;
	BIO *b = NULL;
	char *pem = NULL, *data;
	long n;

	if (strcmp(type, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	if (k == NULL || (req = X509_REQ_new()) == NULL || !X509_REQ_set_pubkey(req, k))
		test_fail(__FILE__, __LINE__, "CSR key");
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0);
	if (!X509_REQ_sign(req, k, EVP_sha256()) || (b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509_REQ(b, req))
		test_fail(__FILE__, __LINE__, "CSR signing");
	n = BIO_get_mem_data(b, &data);
	if ((pem = malloc((size_t)n + 1)) == NULL)
		test_fail(__FILE__, __LINE__, "out of memory");
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return pem;
}

char *
fx_root_ca(struct pca_client *c, int key_algorithm, int signing_algorithm)
{
	Pca__Api__AcmPca__CreateCertificateAuthorityRequest cr =
	    PCA__API__ACM_PCA__CREATE_CERTIFICATE_AUTHORITY_REQUEST__INIT;
	Pca__Api__AcmPca__CertificateAuthorityConfiguration cfg =
	    PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_CONFIGURATION__INIT;
	Pca__Api__AcmPca__ASN1Subject subj = PCA__API__ACM_PCA__ASN1_SUBJECT__INIT;
	Pca__Api__AcmPca__GetCertificateAuthorityCsrRequest gc =
	    PCA__API__ACM_PCA__GET_CERTIFICATE_AUTHORITY_CSR_REQUEST__INIT;
	Pca__Api__AcmPca__IssueCertificateRequest ir = PCA__API__ACM_PCA__ISSUE_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__Validity v = PCA__API__ACM_PCA__VALIDITY__INIT;
	Pca__Api__AcmPca__GetCertificateRequest gr = PCA__API__ACM_PCA__GET_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__ImportCertificateAuthorityCertificateRequest im =
	    PCA__API__ACM_PCA__IMPORT_CERTIFICATE_AUTHORITY_CERTIFICATE_REQUEST__INIT;
	Pca__Api__AcmPca__CreateCertificateAuthorityResponse *co;
	Pca__Api__AcmPca__GetCertificateAuthorityCsrResponse *csr;
	Pca__Api__AcmPca__IssueCertificateResponse *io;
	Pca__Api__AcmPca__GetCertificateResponse *go;
	ProtobufCMessage *e;
	char *arn;

	subj.common_name = "fixture root";
	subj.organization = "hsmca tests";
	cfg.key_algorithm = key_algorithm;
	cfg.signing_algorithm = signing_algorithm;
	cfg.subject = &subj;
	cr.certificate_authority_configuration = &cfg;
	cr.certificate_authority_type =
	    PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_TYPE__CertificateAuthorityType_ROOT;
	co = (void *)fx_call_ok(c, "CreateCertificateAuthority", &cr.base);
	arn = strdup(co->certificate_authority_arn);
	protobuf_c_message_free_unpacked(&co->base, NULL);

	gc.certificate_authority_arn = arn;
	csr = (void *)fx_call_ok(c, "GetCertificateAuthorityCsr", &gc.base);
	ir.certificate_authority_arn = arn;
	ir.csr.data = (uint8_t *)csr->csr;
	ir.csr.len = strlen(csr->csr);
	ir.signing_algorithm = signing_algorithm;
	ir.template_arn = "arn:aws:acm-pca:::template/RootCACertificate/V1";
	v.type = PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_YEARS;
	v.value = 10;
	ir.validity = &v;
	io = (void *)fx_call_ok(c, "IssueCertificate", &ir.base);
	protobuf_c_message_free_unpacked(&csr->base, NULL);

	gr.certificate_authority_arn = arn;
	gr.certificate_arn = io->certificate_arn;
	go = (void *)fx_call_ok(c, "GetCertificate", &gr.base);
	im.certificate_authority_arn = arn;
	im.certificate.data = (uint8_t *)go->certificate;
	im.certificate.len = strlen(go->certificate);
	e = fx_call_ok(c, "ImportCertificateAuthorityCertificate", &im.base);
	protobuf_c_message_free_unpacked(e, NULL);
	protobuf_c_message_free_unpacked(&go->base, NULL);
	protobuf_c_message_free_unpacked(&io->base, NULL);
	return arn;
}
