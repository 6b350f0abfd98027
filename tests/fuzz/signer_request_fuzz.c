/*
 * signer_request_fuzz.c - the signer's whole request surface:
 * signer/signer.c signer_handle() on the bytes as received from the
 * frontend (decode, strict checks, dispatch) and the real handlers behind it
 * (health, keys, random, sign_csr, sign_cert: policy, TBS building, token
 * signing, verification, the sign cache, data-key wrapping), on a real
 * SoftHSM2 token.
 *
 * Global state, made once per process by LLVMFuzzerInitialize (a few
 * seconds: an RSA key is generated) and torn down at exit:
 *   - a fresh SoftHSM2 token in a temporary directory (SOFTHSM2_CONF), one
 *     hsm and one worker session on it;
 *   - three CA keys with fixed ids (FUZZ_KEY_*: EC P-256, RSA 2048, EC
 *     P-384), so requests in the corpus name keys that exist;
 *   - for each key, its SPKI and a self-signed CA certificate that the
 *     signer itself made at start (the issuer of end-entity requests);
 *   - an issuer cache (issuer_cache.h), as pca-signer has, kept across
 *     inputs: an issuer certificate served from it must get the answer a
 *     fresh parse would;
 *   - the data-key wrapping key, imported (C_CreateObject) with a fixed
 *     value (FUZZ_WRAP_KEY) rather than generated, so the corpus can hold
 *     blobs that open: the seeds are made with OpenSSL's AES-256-GCM, which
 *     also checks every answer (below);
 *   - the signer's policy: the defaults, except that key-algorithms is
 *     empty (generate_key is refused by policy: key generation takes
 *     seconds and would change the token) and two passthrough extension
 *     OIDs are allowed (FUZZ_POLICY).
 * Per sign_cert input: a fresh sign cache, so an input's answer does not
 * depend on the inputs before it (a cache kept across inputs would refuse
 * every mutation of a request that keeps its serial). Other requests never
 * reach the cache; it is NULL for them. destroy_key naming one of the fixed keys is not run
 * (the only request left that changes the token).
 *
 * The keys are made at start, so the corpus cannot hold their public keys.
 * Placeholders stand for them in sign_cert requests: subject_public_key
 * "SELF" is the signing key's SPKI, issuer_certificate "ISSUER" the signing
 * key's CA certificate. An input that holds one is handled twice: as it is,
 * and re-packed with the placeholders replaced.
 *
 * Every input is also handled by a second worker that has no session (the
 * token went away): what needs the token must be refused as retryable.
 *
 * Invariants: every input gets an answer that decodes, with the request's
 * id and a message when it failed; a certificate or CSR handed out verifies
 * with the CA key and certifies the requested key; the same sign_cert
 * request again gets the same certificate (sign_cache.h); a wrapped data key
 * opens with OpenSSL under FUZZ_WRAP_KEY to the data key sent; an unwrap of
 * a well-formed blob succeeds exactly when OpenSSL opens it, with the same
 * key; no input takes the token down.
 *
 * Seeds: tests/fuzz/corpus/signer_request/ (signer_request_fuzz
 * --write-seeds DIR): every request kind, valid and refused.
 */
#include "fuzz_util.h"
#include "hsm.h"
#include "issuer_cache.h"
#include "policy.h"
#include "sign_cache.h"
#include "signer.h"
#include "wire.h"
#include "x509util.h"

#include <dlfcn.h>
#include <limits.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#define SOFTHSM_MODULE	"/usr/lib/softhsm/libsofthsm2.so"
#define TOKEN_LABEL	"hsmca-fuzz"
#define NKEYS		3

static const struct {
	const char		 id[HSM_KEY_ID_LEN + 1];	/* 16 bytes, no NUL used */
	enum hsm_key_alg	 alg;
	Pca__Signer__SigAlg	 sig_alg;
} fuzz_keys[NKEYS] = {
	{ "hsmca-fuzz-ec256", HSM_KEY_EC_P256, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_ECDSA },
	{ "hsmca-fuzz-rsa2k", HSM_KEY_RSA_2048, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA },
	{ "hsmca-fuzz-ec384", HSM_KEY_EC_P384, PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_ECDSA },
};

#define FUZZ_POLICY \
	"# signer_request_fuzz: no key generation; two passthrough extensions\n" \
	"key-algorithms\n" \
	"allow-extension-oids 2.5.29.32 1.2.3.4\n"

/* the wrapping key's value on the fuzz token (never on a real one) */
static const uint8_t FUZZ_WRAP_KEY[32] = {
	0x68, 0x73, 0x6d, 0x63, 0x61, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x77,
	0x72, 0x61, 0x70, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x6e, 0x6f, 0x74, 0x2d,
	0x61, 0x2d, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74 };
#define WRAP_HDR_LEN	5
#define WRAP_OVERHEAD	(WRAP_HDR_LEN + HSM_WRAP_IV_LEN + HSM_WRAP_TAG_LEN)
#define FUZZ_ARN	"arn:aws:acm:us-east-1:111122223333:certificate/fuzz-0001"

#define PLACEHOLDER_SELF	"SELF"
#define PLACEHOLDER_ISSUER	"ISSUER"

/* the fixture, one per process */
static struct {
	int			 ready;
	int			 verbose;	/* HSMCA_FUZZ_VERBOSE: print answers */
	char			 dir[PATH_MAX];
	struct signer		 signer;
	struct signer_worker	 w;
	struct signer_worker	 w_down;	/* a worker whose session is gone */
	uint8_t			*spki[NKEYS];
	size_t			 spki_len[NKEYS];
	uint8_t			*issuer[NKEYS];
	size_t			 issuer_len[NKEYS];
	void			*dl;		/* the module, opened again */
} gl_fx;

/* ---- fixture ------------------------------------------------------------- */

static void
fx_path(char *out, size_t len, const char *name)
{
	FUZZ_CHECK((size_t)snprintf(out, len, "%s/%s", gl_fx.dir, name) < len);
}

static void
fx_cleanup(void)
{
	for (int i = 0; i < NKEYS; i++) {
		free(gl_fx.spki[i]);
		free(gl_fx.issuer[i]);
	}
	hsm_session_close(gl_fx.w.sess);
	hsm_close(gl_fx.signer.hsm);
	if (gl_fx.dl != NULL)
		dlclose(gl_fx.dl);
	policy_free(gl_fx.signer.policy);
	sign_cache_free(gl_fx.signer.cache);
	issuer_cache_free(gl_fx.signer.issuers);
	memset(&gl_fx.signer, 0, sizeof(gl_fx.signer));
	fuzz_rmtree(gl_fx.dir);
}

/* DER Name "CN=<cn>" (malloc'd). */
static uint8_t *
name_der(const char *cn, size_t *len)
{
	X509_NAME *n;
	unsigned char *der = NULL;
	uint8_t *out;
	int l;

	FUZZ_CHECK((n = X509_NAME_new()) != NULL);
	FUZZ_CHECK(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) == 1);
	FUZZ_CHECK((l = i2d_X509_NAME(n, &der)) > 0);
	FUZZ_CHECK((out = malloc((size_t)l)) != NULL);
	memcpy(out, der, (size_t)l);
	*len = (size_t)l;
	OPENSSL_free(der);
	X509_NAME_free(n);
	return out;
}

/* Pack req (malloc'd). */
static uint8_t *
req_pack(const Pca__Signer__Request *req, size_t *len)
{
	uint8_t *buf;

	*len = pca__signer__request__get_packed_size(req);
	FUZZ_CHECK((buf = malloc(*len > 0 ? *len : 1)) != NULL);
	pca__signer__request__pack(req, buf);
	return buf;
}

/* A self-signed CA certificate of key i, made by the signer. */
static void
fx_issuer(int i)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__SignCertRequest sc = PCA__SIGNER__SIGN_CERT_REQUEST__INIT;
	Pca__Signer__Response *resp;
	uint8_t serial[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, (uint8_t)i };
	uint8_t *in, *out = NULL;
	size_t in_len, out_len = 0;
	int64_t now = (int64_t)time(NULL);

	sc.key_id.data = (uint8_t *)fuzz_keys[i].id;
	sc.key_id.len = HSM_KEY_ID_LEN;
	sc.sig_alg = fuzz_keys[i].sig_alg;
	sc.serial.data = serial;
	sc.serial.len = sizeof(serial);
	sc.subject.data = name_der("hsmca fuzz CA", &sc.subject.len);
	sc.subject_public_key.data = gl_fx.spki[i];
	sc.subject_public_key.len = gl_fx.spki_len[i];
	sc.not_before = now - 60;
	sc.not_after = now + 36000LL * 86400;	/* within max-ca-validity-days */
	sc.ca = 1;
	sc.basic_constraints_critical = 1;
	sc.has_key_usage = 1;
	sc.key_usage = 0x20 | 0x40;		/* keyCertSign, cRLSign */
	sc.has_key_usage_critical = 1;
	sc.key_usage_critical = 1;
	sc.authority_key_id = 1;
	req.version = SIGNER_PROTO_VERSION;
	req.id = 1000 + (uint64_t)i;
	req.body_case = PCA__SIGNER__REQUEST__BODY_SIGN_CERT;
	req.sign_cert = &sc;
	in = req_pack(&req, &in_len);
	FUZZ_CHECK(signer_handle(&gl_fx.w, in, in_len, &out, &out_len) == 0);
	FUZZ_CHECK((resp = pca__signer__response__unpack(NULL, out_len, out)) != NULL);
	if (resp->status != 0)
		fprintf(stderr, "issuer certificate %d: %s\n", i, resp->message);
	FUZZ_CHECK(resp->status == 0 && resp->sign_cert != NULL);
	gl_fx.issuer_len[i] = resp->sign_cert->certificate.len;
	FUZZ_CHECK((gl_fx.issuer[i] = malloc(gl_fx.issuer_len[i])) != NULL);
	memcpy(gl_fx.issuer[i], resp->sign_cert->certificate.data, gl_fx.issuer_len[i]);
	pca__signer__response__free_unpacked(resp, NULL);
	free(out);
	free(in);
	free(sc.subject.data);
}

/* ---- AES-256-GCM with OpenSSL: the seeds' maker and the answers' judge -- */

/* The blob header and AAD of op_wrap.c, version 1, key id 1. */
static size_t
wrap_aad(uint8_t *aad, const uint8_t *hdr, const uint8_t *ctx, size_t ctx_len)
{
	memcpy(aad, hdr, WRAP_HDR_LEN);
	if (ctx_len > 0)
		memcpy(aad + WRAP_HDR_LEN, ctx, ctx_len);
	return WRAP_HDR_LEN + ctx_len;
}

/* Open blob (any header) with ctx under FUZZ_WRAP_KEY: 1 and the data key
 * in out (blob_len - WRAP_OVERHEAD bytes), or 0. */
static int
gcm_open(const uint8_t *blob, size_t blob_len, const uint8_t *ctx, size_t ctx_len,
    uint8_t *out)
{
	uint8_t aad[WRAP_HDR_LEN + SIGNER_WRAP_CONTEXT_MAX];
	EVP_CIPHER_CTX *c;
	size_t n, aad_len;
	int l = 0, ok;

	if (blob_len <= WRAP_OVERHEAD || ctx_len > SIGNER_WRAP_CONTEXT_MAX)
		return 0;
	n = blob_len - WRAP_OVERHEAD;
	aad_len = wrap_aad(aad, blob, ctx, ctx_len);
	FUZZ_CHECK((c = EVP_CIPHER_CTX_new()) != NULL);
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, HSM_WRAP_IV_LEN, NULL) == 1 &&
	    EVP_DecryptInit_ex(c, NULL, NULL, FUZZ_WRAP_KEY, blob + WRAP_HDR_LEN) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &l, aad, (int)aad_len) == 1 &&
	    EVP_DecryptUpdate(c, out, &l, blob + WRAP_HDR_LEN + HSM_WRAP_IV_LEN, (int)n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, HSM_WRAP_TAG_LEN,
	    (void *)(blob + blob_len - HSM_WRAP_TAG_LEN)) == 1 &&
	    EVP_DecryptFinal_ex(c, out + l, &l) == 1;
	EVP_CIPHER_CTX_free(c);
	ERR_clear_error();
	return ok;
}

/* A version 1 blob of key under FUZZ_WRAP_KEY (blob: WRAP_OVERHEAD +
 * key_len bytes), with a fixed IV: for seeds only. */
static void
gcm_seal(const uint8_t *key, size_t key_len, const uint8_t *ctx, size_t ctx_len,
    uint8_t iv_byte, uint8_t *blob)
{
	uint8_t aad[WRAP_HDR_LEN + SIGNER_WRAP_CONTEXT_MAX];
	EVP_CIPHER_CTX *c;
	size_t aad_len;
	int l = 0;

	memcpy(blob, "\x01\x00\x00\x00\x01", WRAP_HDR_LEN);
	memset(blob + WRAP_HDR_LEN, iv_byte, HSM_WRAP_IV_LEN);
	aad_len = wrap_aad(aad, blob, ctx, ctx_len);
	FUZZ_CHECK((c = EVP_CIPHER_CTX_new()) != NULL);
	FUZZ_CHECK(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, HSM_WRAP_IV_LEN, NULL) == 1 &&
	    EVP_EncryptInit_ex(c, NULL, NULL, FUZZ_WRAP_KEY, blob + WRAP_HDR_LEN) == 1 &&
	    EVP_EncryptUpdate(c, NULL, &l, aad, (int)aad_len) == 1 &&
	    EVP_EncryptUpdate(c, blob + WRAP_HDR_LEN + HSM_WRAP_IV_LEN, &l, key,
	    (int)key_len) == 1 &&
	    EVP_EncryptFinal_ex(c, blob + WRAP_HDR_LEN + HSM_WRAP_IV_LEN + key_len, &l) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, HSM_WRAP_TAG_LEN,
	    blob + WRAP_HDR_LEN + HSM_WRAP_IV_LEN + key_len) == 1);
	EVP_CIPHER_CTX_free(c);
}

/*
 * Put the wrapping key on the token with FUZZ_WRAP_KEY as its value, made
 * like the signer's (sensitive, not extractable), through the module's own
 * function list: dlopen() hands back the instance p11-kit loaded, logged in
 * by the hsm's anchor session.
 */
static void
fx_wrap_key(void)
{
	CK_C_GetFunctionList gfl;
	CK_FUNCTION_LIST *p11;
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE k;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &type, sizeof(type) },
		{ CKA_VALUE, (void *)FUZZ_WRAP_KEY, sizeof(FUZZ_WRAP_KEY) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)HSM_WRAP_KEY_LABEL, strlen(HSM_WRAP_KEY_LABEL) },
	};
	char want[32];

	FUZZ_CHECK((gl_fx.dl = dlopen(SOFTHSM_MODULE, RTLD_NOW | RTLD_LOCAL)) != NULL);
	FUZZ_CHECK((gfl = (CK_C_GetFunctionList)dlsym(gl_fx.dl, "C_GetFunctionList")) != NULL);
	FUZZ_CHECK(gfl(&p11) == CKR_OK);
	memset(want, ' ', sizeof(want));
	memcpy(want, TOKEN_LABEL, strlen(TOKEN_LABEL));
	FUZZ_CHECK(p11->C_GetSlotList(CK_TRUE, slots, &n) == CKR_OK);
	for (CK_ULONG i = 0; i < n && h == CK_INVALID_HANDLE; i++)
		if (p11->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, want, sizeof(want)) == 0)
			FUZZ_CHECK(p11->C_OpenSession(slots[i], CKF_SERIAL_SESSION |
			    CKF_RW_SESSION, NULL, NULL, &h) == CKR_OK);
	FUZZ_CHECK(h != CK_INVALID_HANDLE);
	FUZZ_CHECK(p11->C_CreateObject(h, t, sizeof(t) / sizeof(t[0]), &k) == CKR_OK);
	FUZZ_CHECK(p11->C_CloseSession(h) == CKR_OK);
	/* found now, never made: the fuzz inputs see one fixed key */
	FUZZ_CHECK(hsm_wrap_key_ensure(gl_fx.w.sess, 0) == 0);
}

static void
fx_setup(void)
{
	char tokens[PATH_MAX + 16], conf[PATH_MAX + 32], so[PATH_MAX + 16];
	char user[PATH_MAX + 16], pol[PATH_MAX + 16], uri[3 * PATH_MAX], text[PATH_MAX + 128];
	char err[512];
	const struct hsm_key *k;

	fuzz_logs("signer_request_fuzz");
	gl_fx.verbose = getenv("HSMCA_FUZZ_VERBOSE") != NULL;
	fuzz_mkdtemp(gl_fx.dir, sizeof(gl_fx.dir), "signer");
	/* OpenSSL first (a call with opts 0 does nothing): its atexit
	 * cleanup then runs after ours */
	FUZZ_CHECK(OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL) == 1);
	fx_path(tokens, sizeof(tokens), "tokens");
	fx_path(conf, sizeof(conf), "softhsm2.conf");
	fx_path(so, sizeof(so), "so.pin");
	fx_path(user, sizeof(user), "user.pin");
	fx_path(pol, sizeof(pol), "policy.conf");
	FUZZ_CHECK(mkdir(tokens, 0700) == 0);
	snprintf(text, sizeof(text), "directories.tokendir = %s\nobjectstore.backend = file\n"
	    "log.level = ERROR\n", tokens);
	FUZZ_CHECK(fuzz_write_file(conf, text, strlen(text)) == 0);
	FUZZ_CHECK(setenv("SOFTHSM2_CONF", conf, 1) == 0);
	FUZZ_CHECK(fuzz_write_file(so, "fuzz-so-pin", 11) == 0);
	FUZZ_CHECK(fuzz_write_file(user, "fuzz-user-pin", 13) == 0);
	FUZZ_CHECK(fuzz_write_file(pol, FUZZ_POLICY, strlen(FUZZ_POLICY)) == 0);
	FUZZ_CHECK(hsm_token_init(SOFTHSM_MODULE, TOKEN_LABEL, so, user) == 0);
	snprintf(uri, sizeof(uri), "pkcs11:token=%s?module-path=%s&pin-source=file:%s",
	    TOKEN_LABEL, SOFTHSM_MODULE, user);

	gl_fx.signer.sock = -1;
	gl_fx.signer.nworkers = 1;
	FUZZ_CHECK(hsm_open(uri, &gl_fx.signer.hsm) == 0);
	/* our cleanup only now, after the module is loaded: exit handlers
	 * run last-registered first, and SoftHSM2's static destructors
	 * (registered when the module is loaded) free what C_CloseSession
	 * still reads; registered earlier, fx_cleanup closed its sessions
	 * after that (a use after free valgrind shows, a crash now and then) */
	atexit(fx_cleanup);
	/* issuer certificates parsed once, as pca-signer does; kept across
	 * inputs (a hit must answer as a miss would) */
	FUZZ_CHECK(issuer_cache_new(ISSUER_CACHE_CAPACITY, &gl_fx.signer.issuers) == 0);
	if (policy_load(pol, &gl_fx.signer.policy, err, sizeof(err)) != 0) {
		fprintf(stderr, "policy: %s\n", err);
		abort();
	}
	gl_fx.w.signer = &gl_fx.signer;
	gl_fx.w_down.signer = &gl_fx.signer;
	gl_fx.w_down.index = 1;
	FUZZ_CHECK(hsm_session_open(gl_fx.signer.hsm, &gl_fx.w.sess) == 0);
	fx_wrap_key();
	{
		/* the token and OpenSSL agree on the format (known answer) */
		uint8_t dk[32], blob[WRAP_OVERHEAD + 32], out[32];

		memset(dk, 0xd1, sizeof(dk));
		gcm_seal(dk, sizeof(dk), (const uint8_t *)FUZZ_ARN, strlen(FUZZ_ARN), 0x17, blob);
		FUZZ_CHECK(hsm_wrap_decrypt(gl_fx.w.sess, blob + WRAP_HDR_LEN, (const uint8_t *)
		    "\x01\x00\x00\x00\x01" FUZZ_ARN, WRAP_HDR_LEN + strlen(FUZZ_ARN),
		    blob + WRAP_HDR_LEN + HSM_WRAP_IV_LEN, sizeof(dk) + HSM_WRAP_TAG_LEN, out) == 0);
		FUZZ_CHECK(memcmp(out, dk, sizeof(dk)) == 0);
	}
	for (int i = 0; i < NKEYS; i++) {
		FUZZ_CHECK(hsm_key_generate(gl_fx.w.sess, (const uint8_t *)fuzz_keys[i].id,
		    fuzz_keys[i].alg, &k) == 0);
		FUZZ_CHECK(x509_pkey_to_spki(hsm_key_public(k), &gl_fx.spki[i],
		    &gl_fx.spki_len[i]) == 0);
	}
	FUZZ_CHECK(sign_cache_new(&gl_fx.signer.cache) == 0);
	for (int i = 0; i < NKEYS; i++)
		fx_issuer(i);
	sign_cache_free(gl_fx.signer.cache);
	gl_fx.signer.cache = NULL;
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

/* ---- one input ----------------------------------------------------------- */

static int
key_index(const ProtobufCBinaryData *id)
{
	if (id->len != HSM_KEY_ID_LEN)
		return -1;
	for (int i = 0; i < NKEYS; i++)
		if (memcmp(id->data, fuzz_keys[i].id, HSM_KEY_ID_LEN) == 0)
			return i;
	return -1;
}

static int
bin_is(const ProtobufCBinaryData *b, const char *s)
{
	return b->len == strlen(s) && memcmp(b->data, s, b->len) == 0;
}

/* The public key of the CA key the request names (borrowed), or NULL. */
static EVP_PKEY *
ca_public(const ProtobufCBinaryData *id)
{
	const struct hsm_key *k;

	if (id->len != HSM_KEY_ID_LEN ||
	    (k = hsm_key_find(gl_fx.signer.hsm, id->data)) == NULL)
		return NULL;
	return hsm_key_public(k);
}

/* What a successful sign_cert / sign_csr answer must be. */
static void
check_signed(const Pca__Signer__Request *req, const Pca__Signer__Response *resp)
{
	const unsigned char *p;
	EVP_PKEY *ca, *subj = NULL;
	X509 *x;
	X509_REQ *csr;

	if (resp->body_case == PCA__SIGNER__RESPONSE__BODY_SIGN_CERT) {
		const ProtobufCBinaryData *c = &resp->sign_cert->certificate;

		FUZZ_ASSERT((ca = ca_public(&req->sign_cert->key_id)) != NULL);
		p = c->data;
		FUZZ_ASSERT((x = d2i_X509(NULL, &p, (long)c->len)) != NULL &&
		    p == c->data + c->len);
		FUZZ_ASSERT(X509_verify(x, ca) == 1);
		FUZZ_ASSERT(x509_spki_to_pkey(req->sign_cert->subject_public_key.data,
		    req->sign_cert->subject_public_key.len, &subj) == 0);
		FUZZ_ASSERT(x509_pkey_equal(X509_get0_pubkey(x), subj));
		EVP_PKEY_free(subj);
		X509_free(x);
	} else if (resp->body_case == PCA__SIGNER__RESPONSE__BODY_SIGN_CSR) {
		const ProtobufCBinaryData *c = &resp->sign_csr->csr;

		FUZZ_ASSERT((ca = ca_public(&req->sign_csr->key_id)) != NULL);
		p = c->data;
		FUZZ_ASSERT((csr = d2i_X509_REQ(NULL, &p, (long)c->len)) != NULL &&
		    p == c->data + c->len);
		FUZZ_ASSERT(X509_REQ_verify(csr, ca) == 1);
		FUZZ_ASSERT(x509_pkey_equal(X509_REQ_get0_pubkey(csr), ca));
		X509_REQ_free(csr);
	}
	ERR_clear_error();
}

/* A blob unwrap_data_key must try to open (the size, version and key id
 * its header allows, a context within bounds). */
static int
blob_well_formed(const Pca__Signer__UnwrapDataKeyRequest *u)
{
	return u->wrapped.len >= WRAP_OVERHEAD + SIGNER_DATA_KEY_MIN &&
	    u->wrapped.len <= WRAP_OVERHEAD + SIGNER_DATA_KEY_MAX &&
	    memcmp(u->wrapped.data, "\x01\x00\x00\x00\x01", WRAP_HDR_LEN) == 0 &&
	    u->context.len <= SIGNER_WRAP_CONTEXT_MAX;
}

/* What wrap_data_key and unwrap_data_key answered, judged by OpenSSL. */
static void
check_wrapped(const Pca__Signer__Request *req, const Pca__Signer__Response *resp)
{
	uint8_t out[SIGNER_DATA_KEY_MAX + 1];

	/* only requests that reach their handler: this version, nothing
	 * unknown (neither kind has an enum for the strict check to refuse) */
	if (req == NULL || req->version != SIGNER_PROTO_VERSION || req->base.n_unknown_fields != 0)
		return;
	if (req->body_case == PCA__SIGNER__REQUEST__BODY_UNWRAP_DATA_KEY &&
	    req->unwrap_data_key->base.n_unknown_fields != 0)
		return;
	if (req->body_case == PCA__SIGNER__REQUEST__BODY_WRAP_DATA_KEY && resp->status == 0) {
		const Pca__Signer__WrapDataKeyRequest *g = req->wrap_data_key;
		const Pca__Signer__WrapDataKeyResponse *w = resp->wrap_data_key;

		FUZZ_ASSERT(resp->body_case == PCA__SIGNER__RESPONSE__BODY_WRAP_DATA_KEY);
		FUZZ_ASSERT(strcmp(w->key_label, HSM_WRAP_KEY_LABEL) == 0);
		FUZZ_ASSERT(w->wrapped.len == WRAP_OVERHEAD + g->data_key.len);
		FUZZ_ASSERT(memcmp(w->wrapped.data, "\x01\x00\x00\x00\x01", WRAP_HDR_LEN) == 0);
		FUZZ_ASSERT(gcm_open(w->wrapped.data, w->wrapped.len, g->context.data,
		    g->context.len, out));
		FUZZ_ASSERT(memcmp(out, g->data_key.data, g->data_key.len) == 0);
	} else if (req->body_case == PCA__SIGNER__REQUEST__BODY_UNWRAP_DATA_KEY) {
		const Pca__Signer__UnwrapDataKeyRequest *u = req->unwrap_data_key;
		int opens = blob_well_formed(u) &&
		    gcm_open(u->wrapped.data, u->wrapped.len, u->context.data, u->context.len, out);

		FUZZ_ASSERT((resp->status == 0) == opens);
		if (opens) {
			FUZZ_ASSERT(resp->body_case == PCA__SIGNER__RESPONSE__BODY_UNWRAP_DATA_KEY);
			FUZZ_ASSERT(resp->unwrap_data_key->data_key.len ==
			    u->wrapped.len - WRAP_OVERHEAD);
			FUZZ_ASSERT(memcmp(resp->unwrap_data_key->data_key.data, out,
			    resp->unwrap_data_key->data_key.len) == 0);
		} else if (blob_well_formed(u)) {
			FUZZ_ASSERT(resp->status == PCA_ERR_BAD_SIGNATURE);
		} else {
			FUZZ_ASSERT(resp->status == PCA_ERR_MALFORMED ||
			    resp->status == PCA_ERR_NOT_FOUND || resp->status == PCA_ERR_INVALID);
		}
	}
}

/*
 * signer_handle on in; req is the same bytes decoded here (NULL when they
 * do not decode). Checks the answer; a sign_cert that succeeded is sent
 * again and must get the same certificate.
 */
static void
handle(const uint8_t *in, size_t in_len, const Pca__Signer__Request *req)
{
	Pca__Signer__Response *resp;
	uint8_t *out = NULL, *again = NULL;
	size_t out_len = 0, again_len = 0;

	FUZZ_ASSERT(signer_handle(&gl_fx.w, in, in_len, &out, &out_len) == 0);
	FUZZ_ASSERT((resp = pca__signer__response__unpack(NULL, out_len, out)) != NULL);
	FUZZ_ASSERT(resp->version == SIGNER_PROTO_VERSION);
	if (gl_fx.verbose)
		fprintf(stderr, "signer_request: %zu bytes -> status %d %s\n", in_len,
		    (int)resp->status, resp->message != NULL ? resp->message : "");
	if (req != NULL)
		FUZZ_ASSERT(resp->id == req->id);
	check_wrapped(req, resp);
	/* no input takes the token down (a failed GCM tag, say) */
	FUZZ_ASSERT(hsm_is_up(gl_fx.signer.hsm));
	if (resp->status != 0) {
		FUZZ_ASSERT(resp->body_case == PCA__SIGNER__RESPONSE__BODY__NOT_SET);
		FUZZ_ASSERT(resp->message != NULL && resp->message[0] != '\0');
	} else {
		/* the answer's body is the request's kind (same field numbers) */
		FUZZ_ASSERT(req != NULL && (int)resp->body_case == (int)req->body_case);
		check_signed(req, resp);
		if (resp->body_case == PCA__SIGNER__RESPONSE__BODY_SIGN_CERT) {
			Pca__Signer__Response *r2;

			FUZZ_ASSERT(signer_handle(&gl_fx.w, in, in_len, &again, &again_len) == 0);
			FUZZ_ASSERT((r2 = pca__signer__response__unpack(NULL, again_len,
			    again)) != NULL);
			FUZZ_ASSERT(r2->status == 0 && r2->sign_cert != NULL);
			FUZZ_ASSERT(r2->sign_cert->certificate.len ==
			    resp->sign_cert->certificate.len &&
			    memcmp(r2->sign_cert->certificate.data,
			    resp->sign_cert->certificate.data,
			    resp->sign_cert->certificate.len) == 0);
			pca__signer__response__free_unpacked(r2, NULL);
			free(again);
		}
	}
	pca__signer__response__free_unpacked(resp, NULL);
	free(out);
}

/* The same bytes on a worker without a session (the token went away):
 * requests that need the token are refused as retryable, the others run. */
static void
handle_down(const uint8_t *in, size_t in_len, const Pca__Signer__Request *req)
{
	Pca__Signer__Response *resp;
	uint8_t *out = NULL;
	size_t out_len = 0;

	FUZZ_ASSERT(signer_handle(&gl_fx.w_down, in, in_len, &out, &out_len) == 0);
	FUZZ_ASSERT((resp = pca__signer__response__unpack(NULL, out_len, out)) != NULL);
	if (req != NULL && resp->status != PCA_ERR_MALFORMED &&
	    req->body_case != PCA__SIGNER__REQUEST__BODY_HEALTH &&
	    req->body_case != PCA__SIGNER__REQUEST__BODY_GET_PUBLIC_KEY)
		FUZZ_ASSERT(resp->status == PCA_ERR_TOKEN_RETRY);
	pca__signer__response__free_unpacked(resp, NULL);
	free(out);
}

/* Replace the placeholders of a sign_cert request; 1 when one was. The
 * caller puts the saved fields back before freeing req. */
static int
substitute(Pca__Signer__Request *req, ProtobufCBinaryData *save_spki,
    ProtobufCBinaryData *save_issuer)
{
	Pca__Signer__SignCertRequest *sc;
	int i, n = 0;

	if (req->body_case != PCA__SIGNER__REQUEST__BODY_SIGN_CERT)
		return 0;
	sc = req->sign_cert;
	*save_spki = sc->subject_public_key;
	*save_issuer = sc->issuer_certificate;
	if ((i = key_index(&sc->key_id)) < 0)
		return 0;
	if (bin_is(&sc->subject_public_key, PLACEHOLDER_SELF)) {
		sc->subject_public_key.data = gl_fx.spki[i];
		sc->subject_public_key.len = gl_fx.spki_len[i];
		n++;
	}
	if (sc->has_issuer_certificate && bin_is(&sc->issuer_certificate, PLACEHOLDER_ISSUER)) {
		sc->issuer_certificate.data = gl_fx.issuer[i];
		sc->issuer_certificate.len = gl_fx.issuer_len[i];
		n++;
	}
	return n > 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Pca__Signer__Request *req;
	ProtobufCBinaryData save_spki, save_issuer;
	uint8_t *re;
	size_t re_len;

	if (!gl_fx.ready)
		fx_setup();
	req = pca__signer__request__unpack(NULL, size, data);
	/* the one request that would change the token for later inputs */
	if (req != NULL && req->body_case == PCA__SIGNER__REQUEST__BODY_DESTROY_KEY &&
	    key_index(&req->destroy_key->key_id) >= 0) {
		pca__signer__request__free_unpacked(req, NULL);
		return 0;
	}
	/* a fresh cache (600 KB) for the one request that uses it */
	if (req != NULL && req->body_case == PCA__SIGNER__REQUEST__BODY_SIGN_CERT)
		FUZZ_CHECK(sign_cache_new(&gl_fx.signer.cache) == 0);
	handle(data, size, req);
	handle_down(data, size, req);
	if (req != NULL && substitute(req, &save_spki, &save_issuer)) {
		Pca__Signer__Request *req2;

		/* protobuf-c packs some messages it will not unpack (an
		 * unknown field it kept, say): the answer is checked against
		 * what the new bytes decode to */
		re = req_pack(req, &re_len);
		req2 = pca__signer__request__unpack(NULL, re_len, re);
		handle(re, re_len, req2);
		if (req2 != NULL)
			pca__signer__request__free_unpacked(req2, NULL);
		free(re);
		req->sign_cert->subject_public_key = save_spki;
		req->sign_cert->issuer_certificate = save_issuer;
	}
	sign_cache_free(gl_fx.signer.cache);
	gl_fx.signer.cache = NULL;
	if (req != NULL)
		pca__signer__request__free_unpacked(req, NULL);
	return 0;
}

/* ---- seeds --------------------------------------------------------------- */

#define T_2049_06	2506118400LL	/* 2049-06-01: UTCTime ... */
#define T_2050_06	2537654400LL	/* ... to GeneralizedTime */
#define T_2090		3786912000LL	/* 2090-01-01 */
#define T_2091		3818448000LL
#define T_2100		4102444800LL

struct seed_ctx {
	const char	*dir;
	int		 n;
	int		 failed;
	uint8_t		*subject;	/* DER Name */
	size_t		 subject_len;
	uint8_t		*ee_spki;	/* an EC P-256 end-entity key */
	size_t		 ee_spki_len;
	uint8_t		*rsa_spki;	/* an RSA 2048 end-entity key */
	size_t		 rsa_spki_len;
	uint8_t		*san;		/* DER GeneralNames */
	size_t		 san_len;
	uint8_t		*sia;		/* DER SubjectInfoAccessSyntax */
	size_t		 sia_len;
};

static void
seed_write(struct seed_ctx *s, const char *what, Pca__Signer__Request *req)
{
	char name[96];
	uint8_t *buf;
	size_t len;

	if (req->version == 0)
		req->version = SIGNER_PROTO_VERSION;
	req->id = 7000 + (uint64_t)s->n;
	buf = req_pack(req, &len);
	snprintf(name, sizeof(name), "%02d-%s", s->n++, what);
	if (fuzz_seed(s->dir, name, buf, len) != 0)
		s->failed = 1;
	free(buf);
}

static void
seed_raw(struct seed_ctx *s, const char *what, const void *data, size_t len)
{
	char name[96];

	snprintf(name, sizeof(name), "%02d-%s", s->n++, what);
	if (fuzz_seed(s->dir, name, data, len) != 0)
		s->failed = 1;
}

static uint8_t *
spki_new(int type, size_t *len)
{
	EVP_PKEY *k = type == EVP_PKEY_EC ? EVP_EC_gen("prime256v1") : EVP_RSA_gen(2048);
	uint8_t *der = NULL;

	FUZZ_CHECK(k != NULL && x509_pkey_to_spki(k, &der, len) == 0);
	EVP_PKEY_free(k);
	return der;
}

static uint8_t *
gens_der(int sia, size_t *len)
{
	GENERAL_NAMES *gens = NULL;
	AUTHORITY_INFO_ACCESS *aia = NULL;
	unsigned char *der = NULL;
	uint8_t *out;
	int l;

	if (sia) {
		ACCESS_DESCRIPTION *ad;

		FUZZ_CHECK((aia = AUTHORITY_INFO_ACCESS_new()) != NULL);
		FUZZ_CHECK((ad = ACCESS_DESCRIPTION_new()) != NULL);
		ASN1_OBJECT_free(ad->method);
		ad->method = OBJ_nid2obj(NID_caRepository);
		GENERAL_NAME_free(ad->location);
		FUZZ_CHECK((ad->location = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_URI,
		    "http://repo.example.com/ca", 0)) != NULL);
		FUZZ_CHECK(sk_ACCESS_DESCRIPTION_push(aia, ad) > 0);
		FUZZ_CHECK((l = i2d_AUTHORITY_INFO_ACCESS(aia, &der)) > 0);
		AUTHORITY_INFO_ACCESS_free(aia);
	} else {
		GENERAL_NAME *g;

		FUZZ_CHECK((gens = GENERAL_NAMES_new()) != NULL);
		FUZZ_CHECK((g = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_DNS,
		    "www.example.com", 0)) != NULL && sk_GENERAL_NAME_push(gens, g) > 0);
		FUZZ_CHECK((g = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_IPADD,
		    "192.0.2.7", 0)) != NULL && sk_GENERAL_NAME_push(gens, g) > 0);
		FUZZ_CHECK((g = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_EMAIL,
		    "pki@example.com", 0)) != NULL && sk_GENERAL_NAME_push(gens, g) > 0);
		FUZZ_CHECK((l = i2d_GENERAL_NAMES(gens, &der)) > 0);
		GENERAL_NAMES_free(gens);
	}
	FUZZ_CHECK((out = malloc((size_t)l)) != NULL);
	memcpy(out, der, (size_t)l);
	*len = (size_t)l;
	OPENSSL_free(der);
	return out;
}

/* A sign_cert request of key i: self-signed CA ("SELF"), or an end-entity
 * certificate under the key's CA certificate ("ISSUER"). */
static void
seed_cert(struct seed_ctx *s, const char *what, int i, int self,
    void (*tweak)(struct seed_ctx *, Pca__Signer__SignCertRequest *))
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__SignCertRequest sc = PCA__SIGNER__SIGN_CERT_REQUEST__INIT;
	uint8_t serial[16] = { 0x4a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71,
	    0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7, 0xe8, (uint8_t)s->n };
	static char *eku[] = { "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2" };
	static char *crl[] = { "http://crl.example.com/crl/ca.crl" };
	static char *ocsp[] = { "http://ocsp.example.com" };

	sc.key_id.data = (uint8_t *)fuzz_keys[i].id;
	sc.key_id.len = HSM_KEY_ID_LEN;
	sc.sig_alg = fuzz_keys[i].sig_alg;
	sc.serial.data = serial;
	sc.serial.len = sizeof(serial);
	sc.subject.data = s->subject;
	sc.subject.len = s->subject_len;
	sc.authority_key_id = 1;
	if (self) {
		sc.subject_public_key.data = (uint8_t *)PLACEHOLDER_SELF;
		sc.subject_public_key.len = strlen(PLACEHOLDER_SELF);
		sc.not_before = T_2090;
		sc.not_after = T_2100;
		sc.ca = 1;
		sc.basic_constraints_critical = 1;
		sc.has_key_usage = 1;
		sc.key_usage = 0x20 | 0x40 | 0x01;
		sc.has_key_usage_critical = 1;
		sc.key_usage_critical = 1;
	} else {
		sc.subject_public_key.data = s->ee_spki;
		sc.subject_public_key.len = s->ee_spki_len;
		sc.has_issuer_certificate = 1;
		sc.issuer_certificate.data = (uint8_t *)PLACEHOLDER_ISSUER;
		sc.issuer_certificate.len = strlen(PLACEHOLDER_ISSUER);
		sc.not_before = T_2090;
		sc.not_after = T_2091;
		sc.has_key_usage = 1;
		sc.key_usage = 0x01 | 0x04;
		sc.n_extended_key_usage = 2;
		sc.extended_key_usage = eku;
		sc.has_subject_alt_names = 1;
		sc.subject_alt_names.data = s->san;
		sc.subject_alt_names.len = s->san_len;
		sc.n_crl_urls = 1;
		sc.crl_urls = crl;
		sc.n_ocsp_urls = 1;
		sc.ocsp_urls = ocsp;
	}
	if (tweak != NULL)
		tweak(s, &sc);
	req.body_case = PCA__SIGNER__REQUEST__BODY_SIGN_CERT;
	req.sign_cert = &sc;
	seed_write(s, what, &req);
}

static void
tw_not_ca(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	(void)s;
	sc->ca = 0;
	sc->not_after = T_2091;
}

static void
tw_utctime(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	(void)s;
	sc->not_before = T_2049_06;
	sc->not_after = T_2050_06;
}

static void
tw_sub_ca(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	(void)s;
	sc->ca = 1;
	sc->has_path_len = 1;
	sc->path_len = 0;
	sc->basic_constraints_critical = 1;
	sc->key_usage = 0x20 | 0x40;
	sc->n_extended_key_usage = 0;
	sc->has_subject_alt_names = 0;
	sc->not_after = T_2100;
}

static void
tw_passthrough(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	static uint8_t policies[] = { 0x30, 0x06, 0x30, 0x04, 0x06, 0x02, 0x2a, 0x03 };
	static uint8_t null_der[] = { 0x05, 0x00 };
	static Pca__Signer__Extension e1 = PCA__SIGNER__EXTENSION__INIT;
	static Pca__Signer__Extension e2 = PCA__SIGNER__EXTENSION__INIT;
	static Pca__Signer__Extension *exts[] = { &e1, &e2 };

	(void)s;
	e1.oid = "2.5.29.32";
	e1.value.data = policies;
	e1.value.len = sizeof(policies);
	e2.oid = "1.2.3.4";
	e2.critical = 0;
	e2.value.data = null_der;
	e2.value.len = sizeof(null_der);
	sc->n_extensions = 2;
	sc->extensions = exts;
}

static void
tw_bad_ext(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	static uint8_t null_der[] = { 0x05, 0x00 };
	static Pca__Signer__Extension e = PCA__SIGNER__EXTENSION__INIT;
	static Pca__Signer__Extension *exts[] = { &e };

	(void)s;
	e.oid = "2.5.29.17";		/* built from fields, never passed through */
	e.value.data = null_der;
	e.value.len = sizeof(null_der);
	sc->n_extensions = 1;
	sc->extensions = exts;
}

static void
tw_empty_subject(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	static uint8_t empty_name[] = { 0x30, 0x00 };

	(void)s;
	sc->subject.data = empty_name;
	sc->subject.len = sizeof(empty_name);
	sc->has_subject_alt_names_critical = 1;
	sc->subject_alt_names_critical = 1;
}

static void
tw_rsa_subject(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	sc->subject_public_key.data = s->rsa_spki;
	sc->subject_public_key.len = s->rsa_spki_len;
	sc->sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA512_ECDSA;
}

static void
tw_too_long(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	(void)s;
	sc->not_after = sc->not_before + 3651LL * 86400;
}

static void
tw_backdated(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	(void)s;
	sc->not_before = 946684800;	/* 2000 */
	sc->not_after = 978307200;
}

static void
tw_short_serial(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	(void)s;
	sc->serial.len = 4;
}

static void
tw_alg_mismatch(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	(void)s;
	sc->sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA256_RSA;
}

static void
tw_garbage_subject(struct seed_ctx *s, Pca__Signer__SignCertRequest *sc)
{
	static uint8_t junk[] = { 0x30, 0x05, 0x31, 0x03, 0x30, 0x01, 0x06 };

	(void)s;
	sc->subject.data = junk;
	sc->subject.len = sizeof(junk);
}

static void
seed_simple(struct seed_ctx *s)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__HealthRequest h = PCA__SIGNER__HEALTH_REQUEST__INIT;
	Pca__Signer__GenerateKeyRequest g = PCA__SIGNER__GENERATE_KEY_REQUEST__INIT;
	Pca__Signer__GetPublicKeyRequest gp = PCA__SIGNER__GET_PUBLIC_KEY_REQUEST__INIT;
	Pca__Signer__DestroyKeyRequest d = PCA__SIGNER__DESTROY_KEY_REQUEST__INIT;
	Pca__Signer__RandomRequest rnd = PCA__SIGNER__RANDOM_REQUEST__INIT;
	static const uint32_t lengths[] = { 16, 4096, 0, 4097 };
	char what[64];

	req.body_case = PCA__SIGNER__REQUEST__BODY_HEALTH;
	req.health = &h;
	seed_write(s, "health", &req);
	req.version = SIGNER_PROTO_VERSION - 1;		/* a frontend not yet upgraded */
	seed_write(s, "health-old-version", &req);
	req.version = 0;

	req.body_case = PCA__SIGNER__REQUEST__BODY_GENERATE_KEY;
	req.generate_key = &g;
	g.key_id.data = (uint8_t *)"hsmca-fuzz-new01";
	g.key_id.len = HSM_KEY_ID_LEN;
	g.alg = PCA__SIGNER__KEY_ALG__KEY_ALG_EC_P256;
	seed_write(s, "generate-key-policy", &req);
	g.key_id.len = 15;
	seed_write(s, "generate-key-short-id", &req);

	req.body_case = PCA__SIGNER__REQUEST__BODY_GET_PUBLIC_KEY;
	req.get_public_key = &gp;
	for (int i = 0; i < NKEYS; i++) {
		gp.key_id.data = (uint8_t *)fuzz_keys[i].id;
		gp.key_id.len = HSM_KEY_ID_LEN;
		snprintf(what, sizeof(what), "get-public-key-%d", i);
		seed_write(s, what, &req);
	}
	gp.key_id.data = (uint8_t *)"hsmca-fuzz-none0";
	seed_write(s, "get-public-key-unknown", &req);

	req.body_case = PCA__SIGNER__REQUEST__BODY_DESTROY_KEY;
	req.destroy_key = &d;
	d.key_id.data = (uint8_t *)"hsmca-fuzz-none0";
	d.key_id.len = HSM_KEY_ID_LEN;
	seed_write(s, "destroy-key-unknown", &req);
	d.key_id.len = 17;
	d.key_id.data = (uint8_t *)"hsmca-fuzz-none01";
	seed_write(s, "destroy-key-long-id", &req);

	req.body_case = PCA__SIGNER__REQUEST__BODY_RANDOM;
	req.random = &rnd;
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		rnd.length = lengths[i];
		snprintf(what, sizeof(what), "random-%u", lengths[i]);
		seed_write(s, what, &req);
	}

	req.body_case = PCA__SIGNER__REQUEST__BODY__NOT_SET;
	seed_write(s, "no-body", &req);
}

static void
seed_csr(struct seed_ctx *s)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__SignCsrRequest c = PCA__SIGNER__SIGN_CSR_REQUEST__INIT;
	char what[64];

	req.body_case = PCA__SIGNER__REQUEST__BODY_SIGN_CSR;
	req.sign_csr = &c;
	c.subject.data = s->subject;
	c.subject.len = s->subject_len;
	for (int i = 0; i < NKEYS; i++) {
		c.key_id.data = (uint8_t *)fuzz_keys[i].id;
		c.key_id.len = HSM_KEY_ID_LEN;
		c.sig_alg = fuzz_keys[i].sig_alg;
		c.has_key_usage = i != 1;
		c.key_usage = 0x20 | 0x40;
		c.has_subject_info_access = i == 0;
		c.subject_info_access.data = s->sia;
		c.subject_info_access.len = s->sia_len;
		snprintf(what, sizeof(what), "sign-csr-%d", i);
		seed_write(s, what, &req);
	}
	c.key_id.data = (uint8_t *)fuzz_keys[0].id;
	c.sig_alg = PCA__SIGNER__SIG_ALG__SIG_ALG_SHA384_RSA;
	seed_write(s, "sign-csr-alg-mismatch", &req);
	c.key_id.data = (uint8_t *)"hsmca-fuzz-none0";
	seed_write(s, "sign-csr-unknown-key", &req);
}

/* wrap_data_key and unwrap_data_key; the blobs are OpenSSL's, under the
 * fixture's FUZZ_WRAP_KEY */
static void
seed_wrap(struct seed_ctx *s)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__WrapDataKeyRequest w = PCA__SIGNER__WRAP_DATA_KEY_REQUEST__INIT;
	Pca__Signer__UnwrapDataKeyRequest u = PCA__SIGNER__UNWRAP_DATA_KEY_REQUEST__INIT;
	uint8_t dk[SIGNER_DATA_KEY_MAX + 1], ctx[SIGNER_WRAP_CONTEXT_MAX + 1];
	uint8_t blob[WRAP_OVERHEAD + 32];

	for (size_t i = 0; i < sizeof(dk); i++)
		dk[i] = (uint8_t)(0xa0 + i);
	memset(ctx, 'c', sizeof(ctx));
	req.body_case = PCA__SIGNER__REQUEST__BODY_WRAP_DATA_KEY;
	req.wrap_data_key = &w;
	w.data_key.data = dk;
	w.data_key.len = 32;
	w.context.data = (uint8_t *)FUZZ_ARN;
	w.context.len = strlen(FUZZ_ARN);
	seed_write(s, "wrap-data-key", &req);
	w.data_key.len = SIGNER_DATA_KEY_MIN - 1;
	seed_write(s, "wrap-data-key-short", &req);
	w.data_key.len = SIGNER_DATA_KEY_MAX;
	w.context.data = ctx;
	w.context.len = SIGNER_WRAP_CONTEXT_MAX + 1;
	seed_write(s, "wrap-data-key-long-context", &req);

	gcm_seal(dk, 32, (const uint8_t *)FUZZ_ARN, strlen(FUZZ_ARN), 0x42, blob);
	req.body_case = PCA__SIGNER__REQUEST__BODY_UNWRAP_DATA_KEY;
	req.unwrap_data_key = &u;
	u.wrapped.data = blob;
	u.wrapped.len = sizeof(blob);
	u.context.data = (uint8_t *)FUZZ_ARN;
	u.context.len = strlen(FUZZ_ARN);
	seed_write(s, "unwrap-data-key", &req);
	u.context.len--;
	seed_write(s, "unwrap-data-key-wrong-context", &req);
	u.context.len++;
	blob[sizeof(blob) - 1] ^= 0x01;
	seed_write(s, "unwrap-data-key-tampered-tag", &req);
	blob[sizeof(blob) - 1] ^= 0x01;
	blob[0] = 0x02;
	seed_write(s, "unwrap-data-key-version2", &req);
	blob[0] = 0x01;
	blob[4] = 0x02;
	seed_write(s, "unwrap-data-key-other-key", &req);
	blob[4] = 0x01;
	u.wrapped.len = WRAP_OVERHEAD + SIGNER_DATA_KEY_MIN - 1;
	seed_write(s, "unwrap-data-key-short", &req);
}

_Static_assert(SIGNER_PROTO_VERSION < 0x80, "the raw seeds hold the version in one byte");

int
FuzzWriteSeeds(const char *dir)
{
	struct seed_ctx s;
	/* this version, id 1, field 99 (unknown): refused by the strict check */
	static const uint8_t unknown_field[] = { 0x08, SIGNER_PROTO_VERSION, 0x10, 0x01,
	    0x52, 0x00, 0x98, 0x06, 0x01 };
	/* this version, id 1, generate_key { key_id: a fixed key's, alg: 99 }: an
	 * enum value protobuf-c keeps and the strict check refuses */
	static const uint8_t bad_enum[] = { 0x08, SIGNER_PROTO_VERSION, 0x10, 0x01, 0x5a, 0x14, 0x0a,
	    0x10, 'h', 's', 'm', 'c', 'a', '-', 'f', 'u', 'z', 'z', '-', 'e', 'c', '2',
	    '5', '6', 0x10, 0x63 };

	memset(&s, 0, sizeof(s));
	s.dir = dir;
	s.subject = name_der("www.example.com", &s.subject_len);
	s.ee_spki = spki_new(EVP_PKEY_EC, &s.ee_spki_len);
	s.rsa_spki = spki_new(EVP_PKEY_RSA, &s.rsa_spki_len);
	s.san = gens_der(0, &s.san_len);
	s.sia = gens_der(1, &s.sia_len);

	seed_simple(&s);
	seed_csr(&s);
	seed_cert(&s, "sign-cert-root-ec256", 0, 1, NULL);
	seed_cert(&s, "sign-cert-root-rsa", 1, 1, NULL);
	seed_cert(&s, "sign-cert-root-ec384", 2, 1, tw_utctime);
	seed_cert(&s, "sign-cert-ee-ec256", 0, 0, NULL);
	seed_cert(&s, "sign-cert-ee-rsa", 1, 0, tw_passthrough);
	seed_cert(&s, "sign-cert-ee-ec384-utctime", 2, 0, tw_utctime);
	seed_cert(&s, "sign-cert-sub-ca", 0, 0, tw_sub_ca);
	seed_cert(&s, "sign-cert-ee-empty-subject", 1, 0, tw_empty_subject);
	seed_cert(&s, "sign-cert-ee-rsa-subject", 2, 0, tw_rsa_subject);
	seed_cert(&s, "sign-cert-ext-not-allowed", 0, 0, tw_bad_ext);
	seed_cert(&s, "sign-cert-too-long", 0, 0, tw_too_long);
	seed_cert(&s, "sign-cert-backdated", 1, 0, tw_backdated);
	seed_cert(&s, "sign-cert-short-serial", 0, 0, tw_short_serial);
	seed_cert(&s, "sign-cert-alg-mismatch", 0, 1, tw_alg_mismatch);
	seed_cert(&s, "sign-cert-garbage-subject", 2, 1, tw_garbage_subject);
	seed_cert(&s, "sign-cert-self-not-ca", 0, 1, tw_not_ca);
	seed_wrap(&s);
	seed_raw(&s, "unknown-field", unknown_field, sizeof(unknown_field));
	seed_raw(&s, "bad-enum", bad_enum, sizeof(bad_enum));
	seed_raw(&s, "empty", "", 0);

	free(s.subject);
	free(s.ee_spki);
	free(s.rsa_spki);
	free(s.san);
	free(s.sia);
	return s.failed ? -1 : 0;
}
