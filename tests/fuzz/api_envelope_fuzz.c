/*
 * api_envelope_fuzz.c - the frontend's native door: frontend/door_socket.h
 * door_socket_handle() on the bytes of a pca.api.Request, as a client sends
 * them: decode, version, authentication (auth_native: timestamp window,
 * access key, envelope signature, nonce), the operation table, payload
 * decoding, codec_msg_check, authorization and the handlers.
 *
 * Every input is handled up to three times:
 *   1. as it is: it was signed before this process started (or not at all),
 *      so it stops at authentication at the latest (every check before the
 *      signature);
 *   2. when it decodes as a Request of version 1: signed afresh (now, a new
 *      nonce) with the secret of the access key it names if that is one of
 *      the fixture's, else with the root key of the fuzz account, and
 *      handled again: this reaches the handlers. The session token, region,
 *      service, operation and payload are the input's;
 *   3. the signed bytes of 2. once more: a replay, which must be refused.
 *
 * Global state, made once per process by LLVMFuzzerInitialize and torn
 * down at exit (all in a temporary directory):
 *   - a SQLite store with two accounts: 111111111111 with a root access key,
 *     an IAM user's key and an inactive key; 222222222222 with a root key;
 *   - three CAs of account 111111111111 (FUZZ_CA_*): an ACTIVE root with a
 *     certificate, a root and a subordinate waiting for their certificates
 *     (PENDING_CERTIFICATE), all with the key FUZZ_CA_KEY below, so the
 *     seeds can hold certificates and CSRs that match them;
 *   - a stand-in signer on an inproc:// socket, served by one thread: it
 *     answers random (serial numbers) and health, and refuses everything
 *     else with PCA_ERR_TOKEN_RETRY, as a signer whose token is down. So
 *     IssueCertificate runs up to the sign request, CreateCertificateAuthority
 *     leaves its CA CREATING, and no request waits on a timeout;
 *   - the frontend: serial pool, one worker, operation table; a fresh nonce
 *     cache per input (answers do not depend on earlier inputs, and the
 *     process does not grow with every input).
 *     The service clock is the real one (no test clock: AdvanceClock and
 *     RunScheduler are refused as in production).
 * After each input the store is put back: the three CAs are re-created
 * when anything about them changed (version, tags, certificates) and any
 * other CA of the two accounts is purged. Idempotency records and nonces
 * stay (both expire after 5 minutes).
 *
 * Invariants: every input gets a Response that decodes, with a request id;
 * the signed request sent a second time (a replay) is refused;
 * an error has a code and a message; a success's payload decodes as the
 * operation's output and passes codec_msg_check and codec_msg_to_json (what
 * the native door returns, a JSON door could return too).
 * InternalFailure answers are printed (they are worth a look) but stop the
 * run only with HSMCA_FUZZ_STRICT set.
 *
 * Seeds: tests/fuzz/corpus/api_envelope/ (api_envelope_fuzz --write-seeds
 * DIR): every operation, valid and refused, by each kind of caller.
 */
#include "fuzz_util.h"
#include "acm_pca.pb-c.h"
#include "api.pb-c.h"
#include "api_catalog.h"
#include "authz.h"
#include "api_error.h"
#include "arn.h"
#include "clock.h"
#include "codec_json.h"
#include "door_socket.h"
#include "envelope.h"
#include "nonce_cache.h"
#include "ops.h"
#include "serial_pool.h"
#include "signer.pb-c.h"
#include "store.h"
#include "wire.h"
#include "x509util.h"

#include <limits.h>
#include <pthread.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define FUZZ_REGION		"us-east-1"
#define FUZZ_ACCOUNT		"111111111111"
#define FUZZ_OTHER_ACCOUNT	"222222222222"
#define FUZZ_SIGNER_URL		"inproc://hsmca-fuzz-signer"

#define FUZZ_CA_ACTIVE		"11111111-2222-4333-8444-000000000001"
#define FUZZ_CA_PENDING		"11111111-2222-4333-8444-000000000002"
#define FUZZ_CA_SUB		"11111111-2222-4333-8444-000000000003"
#define FUZZ_CERT_SERIAL	"0a0b0c0d0e0f10111213141516171819"	/* issued by ACTIVE */
#define FUZZ_CA_ARN(id)		"arn:aws:acm-pca:" FUZZ_REGION ":" FUZZ_ACCOUNT \
				":certificate-authority/" id

/* The key of the fixture's CAs: a test key, public on purpose. */
static const char FUZZ_CA_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgM+gbaXr+/r5yel4/\n"
    "WvGBM+HiPWKCabvdBmknLlKzlOyhRANCAASb+YwWjIQQn9aqf/LgcWFZ4eOBHmYz\n"
    "2MqLArA61p8o13chc7OhecrDkrN4dprnQ+PAcICIHuQlrnXG2OzDZEmh\n"
    "-----END PRIVATE KEY-----\n";

/* access keys of the fixture */
static const struct {
	const char	*id;
	const char	*secret;
	const char	*account;
	const char	*user;		/* NULL: the account's root */
	int		 active;
} fuzz_creds[] = {
	{ "AKIAFUZZROOT00000001", "fuzz-root-secret-0000000000000000000000001", FUZZ_ACCOUNT,
	  NULL, 1 },
	{ "AKIAFUZZUSER00000001", "fuzz-user-secret-0000000000000000000000001", FUZZ_ACCOUNT,
	  "alice", 1 },
	{ "AKIAFUZZOFF000000001", "fuzz-off-secret-00000000000000000000000001", FUZZ_ACCOUNT,
	  NULL, 0 },
	{ "AKIAFUZZROOT00000002", "fuzz-root-secret-0000000000000000000000002",
	  FUZZ_OTHER_ACCOUNT, NULL, 1 },
};
#define NCREDS	(sizeof(fuzz_creds) / sizeof(fuzz_creds[0]))

enum { CA_ACTIVE, CA_PENDING, CA_SUB, NCAS };

static const struct {
	const char	*id;
	int		 type;
	int		 status;
} fuzz_cas[NCAS] = {
	{ FUZZ_CA_ACTIVE,
	  PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_TYPE__CertificateAuthorityType_ROOT,
	  PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_STATUS__CertificateAuthorityStatus_ACTIVE },
	{ FUZZ_CA_PENDING,
	  PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_TYPE__CertificateAuthorityType_ROOT,
	  PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_STATUS__CertificateAuthorityStatus_PENDING_CERTIFICATE },
	{ FUZZ_CA_SUB,
	  PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_TYPE__CertificateAuthorityType_SUBORDINATE,
	  PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_STATUS__CertificateAuthorityStatus_PENDING_CERTIFICATE },
};

/* the fixture, one per process */
static struct {
	int			 ready;
	int			 verbose;	/* HSMCA_FUZZ_VERBOSE: print answers */
	int			 strict;	/* HSMCA_FUZZ_STRICT: InternalFailure aborts */
	char			 dir[PATH_MAX];
	char			 db[PATH_MAX + 16];
	struct frontend		 fe;
	struct fe_worker	 w;
	int			 signer_sock;
	pthread_t		 signer_th;
	int			 signer_running;
	struct store_ca		 ca[NCAS];	/* as inserted */
	int64_t			 ca_version[NCAS];
	uint8_t			*cert_der;	/* FUZZ_CERT_SERIAL, ISSUED */
	size_t			 cert_der_len;
} gl_fx = { .signer_sock = -1 };

/* ---- X.509 helpers (fixture and seeds) ------------------------------------ */

static EVP_PKEY *
ca_key(void)
{
	BIO *b;
	EVP_PKEY *k;

	FUZZ_CHECK((b = BIO_new_mem_buf(FUZZ_CA_KEY, -1)) != NULL);
	FUZZ_CHECK((k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) != NULL);
	BIO_free(b);
	return k;
}

static X509_NAME *
name_new(const char *cn)
{
	X509_NAME *n;

	FUZZ_CHECK((n = X509_NAME_new()) != NULL);
	FUZZ_CHECK(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)"hsmca fuzz", -1, -1, 0) == 1);
	FUZZ_CHECK(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) == 1);
	return n;
}

static void
ext_add(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	FUZZ_CHECK((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) != NULL);
	FUZZ_CHECK(X509_add_ext(x, e, -1) == 1);
	X509_EXTENSION_free(e);
}

/*
 * A CA certificate for subject_key named cn, signed by issuer_key (issuer:
 * its certificate, NULL for self-signed), valid from an hour ago for days.
 */
static X509 *
cert_make(EVP_PKEY *subject_key, const char *cn, EVP_PKEY *issuer_key, X509 *issuer,
    long serial, long days, const char *bc)
{
	X509 *x;
	X509_NAME *n = name_new(cn);

	FUZZ_CHECK((x = X509_new()) != NULL);
	FUZZ_CHECK(X509_set_version(x, 2) == 1);
	FUZZ_CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), serial) == 1);
	FUZZ_CHECK(X509_set_subject_name(x, n) == 1);
	FUZZ_CHECK(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n) == 1);
	FUZZ_CHECK(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL);
	FUZZ_CHECK(X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) != NULL);
	FUZZ_CHECK(X509_set_pubkey(x, subject_key) == 1);
	ext_add(x, issuer, NID_basic_constraints, bc);
	ext_add(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
	ext_add(x, issuer, NID_subject_key_identifier, "hash");
	ext_add(x, issuer, NID_authority_key_identifier, "keyid:always");
	FUZZ_CHECK(X509_sign(x, issuer_key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return x;
}

/* A CSR of key named cn, with a subjectAltName when san is not NULL. */
static X509_REQ *
csr_make(EVP_PKEY *key, const char *cn, const char *san)
{
	X509_REQ *r;
	X509_NAME *n = name_new(cn);

	FUZZ_CHECK((r = X509_REQ_new()) != NULL);
	FUZZ_CHECK(X509_REQ_set_version(r, 0) == 1);
	FUZZ_CHECK(X509_REQ_set_subject_name(r, n) == 1);
	FUZZ_CHECK(X509_REQ_set_pubkey(r, key) == 1);
	if (san != NULL) {
		STACK_OF(X509_EXTENSION) *exts;
		X509_EXTENSION *e;

		FUZZ_CHECK((exts = sk_X509_EXTENSION_new_null()) != NULL);
		FUZZ_CHECK((e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
		    san)) != NULL);
		FUZZ_CHECK(sk_X509_EXTENSION_push(exts, e) > 0);
		FUZZ_CHECK(X509_REQ_add_extensions(r, exts) == 1);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	FUZZ_CHECK(X509_REQ_sign(r, key, EVP_sha256()) > 0);
	X509_NAME_free(n);
	return r;
}

static uint8_t *
der_of_cert(X509 *x, size_t *len)
{
	uint8_t *der = NULL;

	FUZZ_CHECK(x509_cert_to_der(x, &der, len) == 0);
	return der;
}

static uint8_t *
der_of_csr(X509_REQ *r, size_t *len)
{
	unsigned char *p = NULL;
	uint8_t *der;
	int n;

	FUZZ_CHECK((n = i2d_X509_REQ(r, &p)) > 0);
	FUZZ_CHECK((der = malloc((size_t)n)) != NULL);
	memcpy(der, p, (size_t)n);
	OPENSSL_free(p);
	*len = (size_t)n;
	return der;
}

static char *
pem_of(const char *label, const uint8_t *der, size_t len)
{
	char *pem = NULL;

	if (strcmp(label, "CERTIFICATE") == 0)
		FUZZ_CHECK(x509_cert_der_to_pem(der, len, &pem) == 0);
	else
		FUZZ_CHECK(x509_csr_der_to_pem(der, len, &pem) == 0);
	return pem;
}

/* ---- the stand-in signer ------------------------------------------------- */

static void *
signer_main(void *arg)
{
	struct wire_req wr;

	(void)arg;
	while (!wire_terminating()) {
		Pca__Signer__Request *req;
		Pca__Signer__Response resp = PCA__SIGNER__RESPONSE__INIT;
		Pca__Signer__HealthResponse h = PCA__SIGNER__HEALTH_RESPONSE__INIT;
		Pca__Signer__RandomResponse rnd = PCA__SIGNER__RANDOM_RESPONSE__INIT;
		uint8_t rbuf[4096], *out;
		size_t len;

		if (wire_server_recv(gl_fx.signer_sock, &wr) != 0)
			continue;
		req = pca__signer__request__unpack(NULL, wr.len, wr.body);
		resp.version = SIGNER_PROTO_VERSION;
		resp.id = req != NULL ? req->id : 0;
		if (req != NULL && req->body_case == PCA__SIGNER__REQUEST__BODY_HEALTH) {
			h.token_label = "fuzz";
			h.workers = 1;
			resp.body_case = PCA__SIGNER__RESPONSE__BODY_HEALTH;
			resp.health = &h;
		} else if (req != NULL && req->body_case == PCA__SIGNER__REQUEST__BODY_RANDOM &&
		    req->random->length > 0 && req->random->length <= sizeof(rbuf)) {
			FUZZ_CHECK(RAND_bytes(rbuf, (int)req->random->length) == 1);
			rnd.data.data = rbuf;
			rnd.data.len = req->random->length;
			resp.body_case = PCA__SIGNER__RESPONSE__BODY_RANDOM;
			resp.random = &rnd;
		} else {
			resp.status = PCA_ERR_TOKEN_RETRY;
			resp.message = "token unavailable (fuzz stand-in signer)";
		}
		len = pca__signer__response__get_packed_size(&resp);
		FUZZ_CHECK((out = malloc(len)) != NULL);
		pca__signer__response__pack(&resp, out);
		if (wire_server_send(gl_fx.signer_sock, &wr, out, len) != 0 && !wire_terminating())
			fprintf(stderr, "stand-in signer: answer not sent\n");
		free(out);
		wire_req_free(&wr);
		if (req != NULL)
			pca__signer__request__free_unpacked(req, NULL);
	}
	/* this thread's DRBG (RAND_bytes above) */
	OPENSSL_thread_stop();
	return NULL;
}

/* ---- fixture ------------------------------------------------------------- */

static void
fx_cleanup(void)
{
	if (gl_fx.signer_running) {
		wire_term();
		pthread_join(gl_fx.signer_th, NULL);
	}
	fe_worker_clear(&gl_fx.w);
	wire_close(gl_fx.signer_sock);
	store_close(gl_fx.fe.store);
	nonce_cache_free(gl_fx.fe.nonces);
	serial_pool_free(gl_fx.fe.serials);
	authz_free(gl_fx.fe.authz);
	for (int i = 0; i < NCAS; i++)
		store_ca_clear(&gl_fx.ca[i]);
	free(gl_fx.cert_der);
	fuzz_rmtree(gl_fx.dir);
}

static uint8_t *
ca_config(size_t *len)
{
	Pca__Api__AcmPca__CertificateAuthorityConfiguration cfg =
	    PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_CONFIGURATION__INIT;
	Pca__Api__AcmPca__ASN1Subject subj = PCA__API__ACM_PCA__ASN1_SUBJECT__INIT;
	uint8_t *buf;

	subj.organization = "hsmca fuzz";
	subj.common_name = "fuzz CA";
	cfg.key_algorithm = PCA__API__ACM_PCA__KEY_ALGORITHM__KeyAlgorithm_EC_prime256v1;
	cfg.signing_algorithm =
	    PCA__API__ACM_PCA__SIGNING_ALGORITHM__SigningAlgorithm_SHA256WITHECDSA;
	cfg.subject = &subj;
	*len = pca__api__acm_pca__certificate_authority_configuration__get_packed_size(&cfg);
	FUZZ_CHECK((buf = malloc(*len)) != NULL);
	pca__api__acm_pca__certificate_authority_configuration__pack(&cfg, buf);
	return buf;
}

static uint8_t *
ca_revocation(size_t *len)
{
	Pca__Api__AcmPca__RevocationConfiguration rc =
	    PCA__API__ACM_PCA__REVOCATION_CONFIGURATION__INIT;
	Pca__Api__AcmPca__CrlConfiguration crl = PCA__API__ACM_PCA__CRL_CONFIGURATION__INIT;
	Pca__Api__AcmPca__OcspConfiguration ocsp = PCA__API__ACM_PCA__OCSP_CONFIGURATION__INIT;
	uint8_t *buf;

	crl.enabled = 1;
	crl.has_expiration_in_days = 1;
	crl.expiration_in_days = 7;
	crl.s3_bucket_name = "fuzz-crl";
	ocsp.enabled = 1;
	rc.crl_configuration = &crl;
	rc.ocsp_configuration = &ocsp;
	*len = pca__api__acm_pca__revocation_configuration__get_packed_size(&rc);
	FUZZ_CHECK((buf = malloc(*len)) != NULL);
	pca__api__acm_pca__revocation_configuration__pack(&rc, buf);
	return buf;
}

/* The fixture's CAs as inserted (gl_fx.ca), with their CSR and, for the
 * active one, a self-signed certificate of FUZZ_CA_KEY. */
static void
fx_cas_make(void)
{
	EVP_PKEY *k = ca_key();
	X509_REQ *csr = csr_make(k, "fuzz CA", NULL);
	X509 *cert = cert_make(k, "fuzz CA", k, NULL, 0x4242, 36500, "critical,CA:TRUE");
	EVP_PKEY *leaf_key = EVP_EC_gen("prime256v1");
	X509 *leaf;
	char arn[ARN_MAX];
	int64_t now = clock_now();

	FUZZ_CHECK(leaf_key != NULL);
	leaf = cert_make(leaf_key, "leaf.example.com", k, cert, 0x0a0b0c0d, 365, "CA:FALSE");
	gl_fx.cert_der = der_of_cert(leaf, &gl_fx.cert_der_len);
	X509_free(leaf);
	EVP_PKEY_free(leaf_key);

	for (int i = 0; i < NCAS; i++) {
		struct store_ca *ca = &gl_fx.ca[i];

		memset(ca, 0, sizeof(*ca));
		snprintf(ca->id, sizeof(ca->id), "%s", fuzz_cas[i].id);
		snprintf(ca->account_id, sizeof(ca->account_id), "%s", FUZZ_ACCOUNT);
		arn_format_ca(arn, sizeof(arn), FUZZ_REGION, FUZZ_ACCOUNT, ca->id);
		FUZZ_CHECK((ca->arn = strdup(arn)) != NULL);
		ca->type = fuzz_cas[i].type;
		ca->status = fuzz_cas[i].status;
		ca->key_algorithm = PCA__API__ACM_PCA__KEY_ALGORITHM__KeyAlgorithm_EC_prime256v1;
		ca->key_storage = PCA__API__ACM_PCA__KEY_STORAGE_SECURITY_STANDARD__KeyStorageSecurityStandard_FIPS_140_2_LEVEL_3_OR_HIGHER;
		ca->usage_mode = PCA__API__ACM_PCA__CERTIFICATE_AUTHORITY_USAGE_MODE__CertificateAuthorityUsageMode_GENERAL_PURPOSE;
		ca->config = ca_config(&ca->config_len);
		ca->revocation = ca_revocation(&ca->revocation_len);
		ca->csr_der = der_of_csr(csr, &ca->csr_der_len);
		ca->created_at = ca->last_state_change_at = now;
		if (i == CA_ACTIVE) {
			ca->cert_der = der_of_cert(cert, &ca->cert_der_len);
			FUZZ_CHECK(x509_cert_validity(cert, &ca->not_before, &ca->not_after) == 0);
			FUZZ_CHECK((ca->serial = strdup("42:42")) != NULL);
		}
	}
	X509_free(cert);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
}

/* The certificates a fixture CA has: the active one issued one. */
static size_t
fx_ca_certs(int i)
{
	return i == CA_ACTIVE ? 1 : 0;
}

/* (Re)create fixture CA i (and its certificate); its version as stored. */
static void
fx_ca_put(int i)
{
	struct store_ca got;
	struct store_cert c;
	char existing[41];
	int r;

	if ((r = store_ca_purge(gl_fx.fe.store, gl_fx.ca[i].id)) != 0 && r != PCA_ERR_NOT_FOUND)
		FUZZ_CHECK(!"store_ca_purge");
	FUZZ_CHECK(store_ca_insert(gl_fx.fe.store, &gl_fx.ca[i]) == 0);
	if (fx_ca_certs(i) > 0) {
		memset(&c, 0, sizeof(c));
		memcpy(c.ca_id, gl_fx.ca[i].id, sizeof(c.ca_id));
		snprintf(c.serial, sizeof(c.serial), "%s", FUZZ_CERT_SERIAL);
		c.status = STORE_CERT_PENDING;
		c.request = (uint8_t *)"\x0a\x00";	/* not read once ISSUED */
		c.request_len = 2;
		c.template_arn = "arn:aws:acm-pca:::template/EndEntityCertificate/V1";
		c.requester = "arn:aws:iam::" FUZZ_ACCOUNT ":root";
		c.created_at = gl_fx.ca[i].created_at;
		c.not_after = gl_fx.ca[i].created_at + 365 * 86400;
		FUZZ_CHECK(store_cert_reserve(gl_fx.fe.store, &c, NULL, NULL, 0, existing) == 0);
		FUZZ_CHECK(store_cert_complete(gl_fx.fe.store, c.ca_id, c.serial, gl_fx.cert_der,
		    gl_fx.cert_der_len) == 0);
	}
	FUZZ_CHECK(store_ca_get(gl_fx.fe.store, gl_fx.ca[i].id, &got) == 0);
	gl_fx.ca_version[i] = got.version;
	store_ca_clear(&got);
}

static void
fx_setup(void)
{
	struct store_account acct;
	struct store_user user;
	struct store_access_key key;
	int64_t now;

	fuzz_logs("api_envelope_fuzz");
	gl_fx.verbose = getenv("HSMCA_FUZZ_VERBOSE") != NULL;
	gl_fx.strict = getenv("HSMCA_FUZZ_STRICT") != NULL;
	fuzz_mkdtemp(gl_fx.dir, sizeof(gl_fx.dir), "frontend");
	/* OpenSSL first (a call with opts 0 does nothing): its atexit
	 * cleanup then runs after ours */
	FUZZ_CHECK(OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL) == 1);
	atexit(fx_cleanup);
	snprintf(gl_fx.db, sizeof(gl_fx.db), "%s/hsmca.db", gl_fx.dir);
	FUZZ_CHECK(ops_init() == 0);

	gl_fx.fe.cfg.signer = FUZZ_SIGNER_URL;
	gl_fx.fe.cfg.database = gl_fx.db;
	gl_fx.fe.cfg.region = FUZZ_REGION;
	gl_fx.fe.cfg.workers = 1;
	gl_fx.fe.cfg.signer_timeout_ms = 2000;
	gl_fx.fe.cfg.keygen_timeout_ms = 2000;
	gl_fx.fe.cfg.sweep_interval_s = 60;
	gl_fx.fe.cfg.log_level = "info";
	FUZZ_CHECK(store_open(gl_fx.db, &gl_fx.fe.store) == 0);
	gl_fx.fe.started_at = clock_real();	/* as frontend/main.c */
	FUZZ_CHECK(serial_pool_new(&gl_fx.fe.serials) == 0);
	FUZZ_CHECK(authz_new(gl_fx.fe.store, &gl_fx.fe.authz) == 0);

	FUZZ_CHECK(wire_server_open(FUZZ_SIGNER_URL, SIGNER_MAX_MESSAGE, &gl_fx.signer_sock) == 0);
	FUZZ_CHECK(pthread_create(&gl_fx.signer_th, NULL, signer_main, NULL) == 0);
	gl_fx.signer_running = 1;
	FUZZ_CHECK(fe_worker_init(&gl_fx.w, &gl_fx.fe) == 0);

	now = clock_now();
	for (size_t i = 0; i < NCREDS; i++) {
		memset(&acct, 0, sizeof(acct));
		snprintf(acct.id, sizeof(acct.id), "%s", fuzz_creds[i].account);
		acct.name = "fuzz";
		acct.created_at = now;
		FUZZ_CHECK(store_account_put(gl_fx.fe.store, &acct) == 0);
		if (fuzz_creds[i].user != NULL) {
			char arn[256];

			memset(&user, 0, sizeof(user));
			snprintf(user.account_id, sizeof(user.account_id), "%s", fuzz_creds[i].account);
			snprintf(arn, sizeof(arn), "arn:aws:iam::%s:user/%s", fuzz_creds[i].account,
			    fuzz_creds[i].user);
			user.name = (char *)fuzz_creds[i].user;
			user.arn = arn;
			user.created_at = now;
			FUZZ_CHECK(store_user_put(gl_fx.fe.store, &user) == 0);
		}
		memset(&key, 0, sizeof(key));
		key.id = (char *)fuzz_creds[i].id;
		key.secret = (char *)fuzz_creds[i].secret;
		snprintf(key.account_id, sizeof(key.account_id), "%s", fuzz_creds[i].account);
		key.user_name = (char *)fuzz_creds[i].user;
		key.active = fuzz_creds[i].active;
		key.created_at = now;
		FUZZ_CHECK(store_access_key_put(gl_fx.fe.store, &key) == 0);
	}
	fx_cas_make();
	for (int i = 0; i < NCAS; i++)
		fx_ca_put(i);
	gl_fx.ready = 1;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	if (!gl_fx.ready)
		fx_setup();
	return 0;
}

/* Put the store back as fx_setup() left it. */
static void
fx_reset(void)
{
	static const char *const accounts[] = { FUZZ_ACCOUNT, FUZZ_OTHER_ACCOUNT };
	struct store_ca got, *cas;
	struct store_tag *tags;
	size_t n, ntags;

	for (int i = 0; i < NCAS; i++) {
		int changed = 1;

		if (store_ca_get(gl_fx.fe.store, gl_fx.ca[i].id, &got) == 0) {
			changed = got.version != gl_fx.ca_version[i] ||
			    store_cert_count(gl_fx.fe.store, got.id) != fx_ca_certs(i);
			store_ca_clear(&got);
		}
		if (!changed && store_tags_list(gl_fx.fe.store, gl_fx.ca[i].id, NULL, 1, &tags,
		    &ntags) == 0) {
			changed = ntags != 0;
			store_tags_free(tags, ntags);
		}
		if (changed)
			fx_ca_put(i);
	}
	for (size_t a = 0; a < sizeof(accounts) / sizeof(accounts[0]); a++) {
		for (;;) {
			size_t purged = 0;

			FUZZ_CHECK(store_ca_list(gl_fx.fe.store, accounts[a], NULL, 100, &cas,
			    &n) == 0);
			for (size_t i = 0; i < n; i++) {
				int fixed = 0;

				for (int j = 0; j < NCAS; j++)
					fixed |= strcmp(cas[i].id, gl_fx.ca[j].id) == 0;
				if (!fixed) {
					FUZZ_CHECK(store_ca_purge(gl_fx.fe.store, cas[i].id) == 0);
					purged++;
				}
			}
			store_ca_list_free(cas, n);
			if (purged == 0)
				break;
		}
	}
}

/* ---- one input ----------------------------------------------------------- */

/* The door on in, its answer checked; 1 when it succeeded. */
static int
door(const uint8_t *in, size_t len, const char *pass)
{
	Pca__Api__Response *resp;
	const struct op_entry *op = NULL;
	Pca__Api__Request *req;
	ProtobufCMessage *output;
	struct codec_error cerr;
	uint8_t *out = NULL;
	size_t out_len = 0;
	json_t *j;
	int ok, secret = 0;

	FUZZ_ASSERT(door_socket_handle(&gl_fx.w, in, len, &out, &out_len, &secret) == 0);
	FUZZ_ASSERT((resp = pca__api__response__unpack(NULL, out_len, out)) != NULL);
	FUZZ_ASSERT(resp->version == API_PROTO_VERSION);
	FUZZ_ASSERT(resp->request_id != NULL && uuid_valid(resp->request_id));
	if ((req = pca__api__request__unpack(NULL, len, in)) != NULL) {
		op = ops_find(req->service, req->operation);
		if (gl_fx.verbose || (resp->error_code != NULL &&
		    strcmp(resp->error_code, api_exc_name(EXC_INTERNAL)) == 0))
			fprintf(stderr, "api_envelope %s: %.64s:%.64s (%.24s) -> %s: %s\n", pass,
			    req->service, req->operation, req->access_key_id,
			    resp->error_code != NULL ? resp->error_code : "ok",
			    resp->error_message != NULL ? resp->error_message : "");
		if (gl_fx.strict && resp->error_code != NULL &&
		    strcmp(resp->error_code, api_exc_name(EXC_INTERNAL)) == 0)
			FUZZ_ASSERT(!"no InternalFailure (HSMCA_FUZZ_STRICT)");
	}
	if (resp->error_code != NULL) {
		FUZZ_ASSERT(resp->error_code[0] != '\0' && resp->error_message != NULL);
		FUZZ_ASSERT(resp->has_retryable && !resp->has_payload);
	} else {
		/* only an authenticated request of a known operation succeeds */
		FUZZ_ASSERT(req != NULL && op != NULL && resp->has_payload);
		output = protobuf_c_message_unpack(op->api->output, NULL, resp->payload.len,
		    resp->payload.data);
		FUZZ_ASSERT(output != NULL);
		if (codec_msg_check(output, &cerr) != CODEC_OK) {
			fprintf(stderr, "output of %s fails codec_msg_check: %s\n", op->name,
			    cerr.message);
			FUZZ_ASSERT(!"outputs pass codec_msg_check");
		}
		FUZZ_ASSERT((j = codec_msg_to_json(output, CODEC_WIRE)) != NULL);
		json_decref(j);
		protobuf_c_message_free_unpacked(output, NULL);
	}
	ok = resp->error_code == NULL;
	if (req != NULL)
		pca__api__request__free_unpacked(req, NULL);
	pca__api__response__free_unpacked(resp, NULL);
	free(out);
	return ok;
}

/* The fixture's credentials for key id, or the fuzz account's root. */
static size_t
creds_of(const char *key_id)
{
	for (size_t i = 0; i < NCREDS; i++)
		if (strcmp(key_id, fuzz_creds[i].id) == 0)
			return i;
	return 0;
}

static const char *
signing_name_of(const char *service)
{
	const struct api_service *svc = api_service_find(service);

	return svc != NULL ? svc->signing_name : "acm-pca";
}

/* Sign req afresh (as its caller, now) and hand it to the door. */
static void
resign(Pca__Api__Request *req)
{
	Pca__Api__Request tmp = *req;
	const char *region = req->region;
	size_t c = creds_of(req->access_key_id);
	uint8_t *buf;
	size_t len;

	if (region == NULL || region[0] == '\0' || strchr(region, '/') != NULL)
		region = FUZZ_REGION;
	if (envelope_sign(&tmp, fuzz_creds[c].id, fuzz_creds[c].secret, req->session_token,
	    region, signing_name_of(req->service), clock_real()) != 0)
		return;		/* nothing placed in tmp */
	len = pca__api__request__get_packed_size(&tmp);
	FUZZ_CHECK((buf = malloc(len > 0 ? len : 1)) != NULL);
	pca__api__request__pack(&tmp, buf);
	envelope_clear(&tmp);
	(void)door(buf, len, "signed");
	/* the same bytes again: a replay, refused whatever the first answer */
	FUZZ_ASSERT(!door(buf, len, "replayed"));
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Pca__Api__Request *req;

	if (!gl_fx.ready)
		fx_setup();
	FUZZ_CHECK(nonce_cache_new(64, &gl_fx.fe.nonces) == 0);
	(void)door(data, size, "as is");
	if (size <= API_MAX_MESSAGE &&
	    (req = pca__api__request__unpack(NULL, size, data)) != NULL) {
		if (req->version == API_PROTO_VERSION && req->base.n_unknown_fields == 0) {
			resign(req);
			fx_reset();
		}
		pca__api__request__free_unpacked(req, NULL);
	}
	nonce_cache_free(gl_fx.fe.nonces);
	gl_fx.fe.nonces = NULL;
	ERR_clear_error();
	return 0;
}

/* ---- seeds --------------------------------------------------------------- */

struct seed_ctx {
	const char	*dir;
	int		 n;
	int		 failed;
};

/* A Request carrying payload, signed with the fixture's credentials c
 * (now: stale by the time it is replayed). */
static void
seed_signed(struct seed_ctx *s, const char *what, size_t c, const char *service,
    const char *opname, const uint8_t *payload, size_t plen, const char *session_token)
{
	Pca__Api__Request req = PCA__API__REQUEST__INIT;
	uint8_t *buf;
	size_t len;
	char name[96];

	req.version = API_PROTO_VERSION;
	req.service = (char *)service;
	req.operation = (char *)opname;
	req.payload.data = (uint8_t *)payload;
	req.payload.len = plen;
	FUZZ_CHECK(envelope_sign(&req, fuzz_creds[c].id, fuzz_creds[c].secret, session_token,
	    FUZZ_REGION, signing_name_of(service), clock_real()) == 0);
	len = pca__api__request__get_packed_size(&req);
	FUZZ_CHECK((buf = malloc(len)) != NULL);
	pca__api__request__pack(&req, buf);
	snprintf(name, sizeof(name), "%02d-%s", s->n++, what);
	if (fuzz_seed(s->dir, name, buf, len) != 0)
		s->failed = 1;
	free(buf);
	envelope_clear(&req);
}

/* The same with the operation's input given as JSON (through the codec). */
static void
seed_op(struct seed_ctx *s, const char *what, size_t c, const char *service,
    const char *opname, const char *json, const char *session_token)
{
	const struct api_op *op = api_op_find(service, opname);
	ProtobufCMessage *in = NULL;
	struct codec_error err;
	json_error_t jerr;
	json_t *j;
	uint8_t *payload;
	size_t plen;

	if (op == NULL || json == NULL || (j = json_loads(json, 0, &jerr)) == NULL) {
		fprintf(stderr, "seed %s: no operation or bad JSON\n", what);
		s->failed = 1;
		return;
	}
	if (codec_json_to_msg(op->input, j, &in, &err) != CODEC_OK) {
		fprintf(stderr, "seed %s: %s\n", what, err.message);
		s->failed = 1;
		json_decref(j);
		return;
	}
	json_decref(j);
	plen = protobuf_c_message_get_packed_size(in);
	FUZZ_CHECK((payload = malloc(plen > 0 ? plen : 1)) != NULL);
	protobuf_c_message_pack(in, payload);
	protobuf_c_message_free_unpacked(in, NULL);
	seed_signed(s, what, c, service, opname, payload, plen, session_token);
	free(payload);
}

static void
seed_raw(struct seed_ctx *s, const char *what, const void *data, size_t len)
{
	char name[96];

	snprintf(name, sizeof(name), "%02d-%s", s->n++, what);
	if (fuzz_seed(s->dir, name, data, len) != 0)
		s->failed = 1;
}

/* base64 of DER (malloc'd) */
static char *
b64_of(const uint8_t *der, size_t len)
{
	char *b;

	FUZZ_CHECK((b = b64_encode(der, len)) != NULL);
	return b;
}

int
FuzzWriteSeeds(const char *dir)
{
	struct seed_ctx s = { dir, 0, 0 };
	EVP_PKEY *k = ca_key(), *root_key, *ee_key;
	X509 *self, *root, *sub;
	X509_REQ *own_csr, *ee_csr, *ee_rsa_csr;
	EVP_PKEY *rsa_key;
	uint8_t *der;
	size_t len;
	char *self_b64, *sub_b64, *chain_b64, *own_b64, *ee_b64, *rsa_b64, *pem, json[16384];
	const char *A = FUZZ_CA_ARN(FUZZ_CA_ACTIVE), *P = FUZZ_CA_ARN(FUZZ_CA_PENDING);
	const char *S = FUZZ_CA_ARN(FUZZ_CA_SUB);

	/* a root's own certificate (FUZZ_CA_KEY), a subordinate's under another root */
	FUZZ_CHECK((root_key = EVP_EC_gen("prime256v1")) != NULL);
	FUZZ_CHECK((ee_key = EVP_EC_gen("prime256v1")) != NULL);
	FUZZ_CHECK((rsa_key = EVP_RSA_gen(2048)) != NULL);
	self = cert_make(k, "fuzz CA", k, NULL, 0x1001, 36500, "critical,CA:TRUE");
	root = cert_make(root_key, "fuzz outer root", root_key, NULL, 0x2001, 36500,
	    "critical,CA:TRUE");
	sub = cert_make(k, "fuzz sub CA", root_key, root, 0x2002, 36000,
	    "critical,CA:TRUE,pathlen:0");
	own_csr = csr_make(k, "fuzz CA", NULL);
	ee_csr = csr_make(ee_key, "leaf.example.com", "DNS:leaf.example.com,IP:192.0.2.9");
	ee_rsa_csr = csr_make(rsa_key, "rsa.example.com", NULL);

	der = der_of_cert(self, &len);
	pem = pem_of("CERTIFICATE", der, len);
	self_b64 = b64_of((const uint8_t *)pem, strlen(pem));
	free(pem);
	free(der);
	der = der_of_cert(sub, &len);
	sub_b64 = b64_of(der, len);		/* DER is accepted too */
	free(der);
	der = der_of_cert(root, &len);
	pem = pem_of("CERTIFICATE", der, len);
	chain_b64 = b64_of((const uint8_t *)pem, strlen(pem));
	free(pem);
	free(der);
	der = der_of_csr(own_csr, &len);
	own_b64 = b64_of(der, len);
	free(der);
	der = der_of_csr(ee_csr, &len);
	pem = pem_of("CERTIFICATE REQUEST", der, len);
	ee_b64 = b64_of((const uint8_t *)pem, strlen(pem));
	free(pem);
	free(der);
	der = der_of_csr(ee_rsa_csr, &len);
	rsa_b64 = b64_of(der, len);
	free(der);

#define J(...)	(snprintf(json, sizeof(json), __VA_ARGS__) < (int)sizeof(json) ? json : NULL)
	seed_op(&s, "list", 0, "acm-pca", "ListCertificateAuthorities", "{}", NULL);
	seed_op(&s, "list-page", 0, "acm-pca", "ListCertificateAuthorities",
	    "{\"MaxResults\":1,\"NextToken\":\"" FUZZ_CA_ACTIVE "\"}", NULL);
	seed_op(&s, "describe-active", 0, "acm-pca", "DescribeCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\"}", A), NULL);
	seed_op(&s, "describe-unknown", 0, "acm-pca", "DescribeCertificateAuthority",
	    "{\"CertificateAuthorityArn\":\"" FUZZ_CA_ARN("11111111-2222-4333-8444-999999999999")
	    "\"}", NULL);
	seed_op(&s, "describe-bad-arn", 0, "acm-pca", "DescribeCertificateAuthority",
	    "{\"CertificateAuthorityArn\":\"arn:aws:acm-pca:us-east-1:111111111111:"
	    "certificate-authority/NOPE\"}", NULL);
	seed_op(&s, "describe-other-account", 3, "acm-pca", "DescribeCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\"}", A), NULL);
	seed_op(&s, "describe-as-user", 1, "acm-pca", "DescribeCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\"}", S), NULL);
	seed_op(&s, "describe-inactive-key", 2, "acm-pca", "DescribeCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\"}", A), NULL);
	seed_op(&s, "describe-session-token", 0, "acm-pca", "DescribeCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\"}", A), "FwoGZXIvYXdzEBYaDFAKE");
	seed_op(&s, "list-tags", 0, "acm-pca", "ListTags",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"MaxResults\":5}", A), NULL);
	seed_op(&s, "tag", 0, "acm-pca", "TagCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Tags\":[{\"Key\":\"team\",\"Value\":\"pki\"},"
	    "{\"Key\":\"empty\"}]}", A), NULL);
	seed_op(&s, "tag-reserved", 0, "acm-pca", "TagCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Tags\":[{\"Key\":\"aws:x\"}]}", A), NULL);
	seed_op(&s, "untag", 0, "acm-pca", "UntagCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Tags\":[{\"Key\":\"team\"}]}", A), NULL);
	seed_op(&s, "update-disable", 0, "acm-pca", "UpdateCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Status\":\"DISABLED\","
	    "\"RevocationConfiguration\":{\"CrlConfiguration\":{\"Enabled\":true,"
	    "\"ExpirationInDays\":30,\"CustomCname\":\"crl.example.com\"},"
	    "\"OcspConfiguration\":{\"Enabled\":true,\"OcspCustomCname\":\"ocsp.example.com\"}}}",
	    A), NULL);
	seed_op(&s, "delete-pending", 0, "acm-pca", "DeleteCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"PermanentDeletionTimeInDays\":7}", P), NULL);
	seed_op(&s, "restore-active", 0, "acm-pca", "RestoreCertificateAuthority",
	    J("{\"CertificateAuthorityArn\":\"%s\"}", A), NULL);
	seed_op(&s, "get-csr", 0, "acm-pca", "GetCertificateAuthorityCsr",
	    J("{\"CertificateAuthorityArn\":\"%s\"}", P), NULL);
	seed_op(&s, "get-ca-cert", 0, "acm-pca", "GetCertificateAuthorityCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\"}", A), NULL);
	seed_op(&s, "import-root", 0, "acm-pca", "ImportCertificateAuthorityCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Certificate\":\"%s\"}", P, self_b64), NULL);
	seed_op(&s, "import-sub", 0, "acm-pca", "ImportCertificateAuthorityCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Certificate\":\"%s\","
	    "\"CertificateChain\":\"%s\"}", S, sub_b64, chain_b64), NULL);
	seed_op(&s, "import-sub-no-chain", 0, "acm-pca", "ImportCertificateAuthorityCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Certificate\":\"%s\"}", S, sub_b64), NULL);
	seed_op(&s, "issue-ee", 0, "acm-pca", "IssueCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Csr\":\"%s\",\"SigningAlgorithm\":"
	    "\"SHA256WITHECDSA\",\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"},"
	    "\"IdempotencyToken\":\"fuzz-1\"}", A, ee_b64), NULL);
	seed_op(&s, "issue-ee-rsa-end-date", 0, "acm-pca", "IssueCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Csr\":\"%s\",\"SigningAlgorithm\":"
	    "\"SHA384WITHECDSA\",\"Validity\":{\"Value\":20991231235959,\"Type\":\"END_DATE\"},"
	    "\"ValidityNotBefore\":{\"Value\":1767225600,\"Type\":\"ABSOLUTE\"},"
	    "\"TemplateArn\":\"arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1\"}",
	    A, rsa_b64), NULL);
	seed_op(&s, "issue-subordinate-template", 0, "acm-pca", "IssueCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Csr\":\"%s\",\"SigningAlgorithm\":"
	    "\"SHA256WITHECDSA\",\"Validity\":{\"Value\":5,\"Type\":\"YEARS\"},"
	    "\"TemplateArn\":\"arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1\"}",
	    A, ee_b64), NULL);
	seed_op(&s, "issue-root-own-csr", 0, "acm-pca", "IssueCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Csr\":\"%s\",\"SigningAlgorithm\":"
	    "\"SHA256WITHECDSA\",\"Validity\":{\"Value\":10,\"Type\":\"YEARS\"},"
	    "\"TemplateArn\":\"arn:aws:acm-pca:::template/RootCACertificate/V1\"}", P, own_b64),
	    NULL);
	seed_op(&s, "issue-bad-csr", 0, "acm-pca", "IssueCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"Csr\":\"AAAA\",\"SigningAlgorithm\":"
	    "\"SHA256WITHECDSA\",\"Validity\":{\"Value\":1,\"Type\":\"DAYS\"}}", A), NULL);
	seed_op(&s, "get-cert-issued", 0, "acm-pca", "GetCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"CertificateArn\":\"%s/certificate/"
	    FUZZ_CERT_SERIAL "\"}", A, A), NULL);
	seed_op(&s, "get-cert-unknown", 0, "acm-pca", "GetCertificate",
	    J("{\"CertificateAuthorityArn\":\"%s\",\"CertificateArn\":\"%s/certificate/"
	    "0123456789abcdef0123456789abcdef\"}", A, A), NULL);
	seed_op(&s, "create-ec", 0, "acm-pca", "CreateCertificateAuthority",
	    "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"EC_prime256v1\","
	    "\"SigningAlgorithm\":\"SHA256WITHECDSA\",\"Subject\":{\"Country\":\"US\","
	    "\"Organization\":\"Example\",\"CommonName\":\"Example Root\"},\"CsrExtensions\":{"
	    "\"KeyUsage\":{\"KeyCertSign\":true,\"CRLSign\":true},\"SubjectInformationAccess\":"
	    "[{\"AccessMethod\":{\"AccessMethodType\":\"CA_REPOSITORY\"},\"AccessLocation\":"
	    "{\"UniformResourceIdentifier\":\"http://example.com/repo\"}}]}},"
	    "\"RevocationConfiguration\":{\"CrlConfiguration\":{\"Enabled\":true,"
	    "\"ExpirationInDays\":7,\"S3BucketName\":\"crl-bucket\"}},"
	    "\"CertificateAuthorityType\":\"ROOT\",\"IdempotencyToken\":\"create-1\","
	    "\"Tags\":[{\"Key\":\"env\",\"Value\":\"fuzz\"}]}", NULL);
	seed_op(&s, "create-custom-subject", 0, "acm-pca", "CreateCertificateAuthority",
	    "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"EC_secp384r1\","
	    "\"SigningAlgorithm\":\"SHA384WITHECDSA\",\"Subject\":{\"CustomAttributes\":"
	    "[{\"ObjectIdentifier\":\"2.5.4.3\",\"Value\":\"custom CN\"},"
	    "{\"ObjectIdentifier\":\"0.9.2342.19200300.100.1.25\",\"Value\":\"example\"}]}},"
	    "\"CertificateAuthorityType\":\"ROOT\"}", NULL);
	seed_op(&s, "create-rsa-sub", 0, "acm-pca", "CreateCertificateAuthority",
	    "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"RSA_2048\","
	    "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{\"CommonName\":\"Sub\"}},"
	    "\"CertificateAuthorityType\":\"SUBORDINATE\",\"UsageMode\":\"SHORT_LIVED_CERTIFICATE\"}",
	    NULL);
	seed_op(&s, "create-mismatch", 0, "acm-pca", "CreateCertificateAuthority",
	    "{\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"EC_secp384r1\","
	    "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{\"CommonName\":\"x\"}},"
	    "\"CertificateAuthorityType\":\"ROOT\"}", NULL);
	seed_op(&s, "status", 0, "hsmca", "GetStatus", "{}", NULL);
	seed_op(&s, "advance-clock", 0, "hsmca", "AdvanceClock", "{\"Days\":1}", NULL);
	seed_op(&s, "run-scheduler-as-user", 1, "hsmca", "RunScheduler", "{}", NULL);
	seed_signed(&s, "unknown-service", 0, "kms", "ListKeys", NULL, 0, NULL);
	seed_signed(&s, "unknown-operation", 0, "acm-pca", "Frobnicate", NULL, 0, NULL);
	seed_signed(&s, "not-served", 0, "acm-pca", "ListPermissions", NULL, 0, NULL);
	seed_signed(&s, "payload-empty", 0, "acm-pca", "IssueCertificate", NULL, 0, NULL);
	seed_signed(&s, "payload-garbage", 0, "acm-pca", "ListTags",
	    (const uint8_t *)"\x0a\xff\xff\x01", 4, NULL);
	/* decodes, but fails codec_msg_check: UpdateCertificateAuthority's
	 * status (field 3) of 99, an unknown enum value */
	seed_signed(&s, "payload-bad-enum", 0, "acm-pca", "UpdateCertificateAuthority",
	    (const uint8_t *)"\x0a\x05" "arn:x" "\x18\x63", 9, NULL);
	{
		Pca__Api__Request r = PCA__API__REQUEST__INIT;
		uint8_t buf[256];

		r.version = 2;
		r.service = "acm-pca";
		r.operation = "ListTags";
		len = pca__api__request__pack(&r, buf);
		seed_raw(&s, "version-2", buf, len);
	}
	seed_raw(&s, "empty", "", 0);
	seed_raw(&s, "garbage", "\xff\xff\xff\xff", 4);
#undef J

	free(self_b64);
	free(sub_b64);
	free(chain_b64);
	free(own_b64);
	free(ee_b64);
	free(rsa_b64);
	X509_free(self);
	X509_free(root);
	X509_free(sub);
	X509_REQ_free(own_csr);
	X509_REQ_free(ee_csr);
	X509_REQ_free(ee_rsa_csr);
	EVP_PKEY_free(k);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ee_key);
	EVP_PKEY_free(rsa_key);
	return s.failed ? -1 : 0;
}
