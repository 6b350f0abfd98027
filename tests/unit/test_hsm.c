/*
 * test_hsm.c - signer/hsm.c against a real SoftHSM2 token.
 *
 * One fresh token per test process, in test_tmpdir(). Cases run in order and
 * share the token: init, open, generate, sign, reopen, destroy, then the
 * failure paths (a session closed underneath, the module finalized
 * underneath) and a rough rate measurement.
 *
 * To break things underneath the hsm the test opens the same SoftHSM2
 * library with dlopen(): the dynamic linker hands back the instance p11-kit
 * loaded, so its raw function list reaches the sessions and login state the
 * hsm uses, bypassing p11-kit's per-caller session bookkeeping.
 */
#include "hsm.h"
#include "test.h"
#include "wipe.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#define SOFTHSM_MODULE	"/usr/lib/softhsm/libsofthsm2.so"
#define TOKEN_LABEL	"hsmca-test"
#define NALGS		5

static const struct {
	enum hsm_key_alg	 alg;
	const char		*name;
	int			 bits;
	int			 is_ec;
} algs[NALGS] = {
	{ HSM_KEY_RSA_2048, "RSA_2048", 2048, 0 },
	{ HSM_KEY_RSA_3072, "RSA_3072", 3072, 0 },
	{ HSM_KEY_RSA_4096, "RSA_4096", 4096, 0 },
	{ HSM_KEY_EC_P256, "EC_P256", 256, 1 },
	{ HSM_KEY_EC_P384, "EC_P384", 384, 1 },
};

static const int mds[] = { NID_sha256, NID_sha384, NID_sha512 };

/* the fixture, one per process */
static struct {
	char			 conf[512];
	char			 so_pin[512];
	char			 user_pin[512];
	char			 loose_pin[512];
	char			 uri[1024];
	struct hsm		*hsm;
	struct hsm_session	*s;
	uint8_t			 ids[NALGS][HSM_KEY_ID_LEN];
	uint8_t			*pub_der[NALGS];
	int			 pub_der_len[NALGS];
	void			*dl;
	CK_FUNCTION_LIST	*raw;
} fx;

static const uint8_t tbs[] = "a TBSCertificate stand-in, signed as is";

/* ------------------------------------------------------------------ */
/* helpers */

static void
file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		test_fail(__FILE__, __LINE__, "open %s", path);
	if (write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0)
		test_fail(__FILE__, __LINE__, "write %s", path);
	close(fd);
}

static void
tmp_path(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", test_tmpdir(), name);
}

static void
uri_make(char *out, size_t outlen, const char *token, const char *pin_file)
{
	snprintf(out, outlen, "pkcs11:token=%s?module-path=%s&pin-source=file:%s",
	    token, SOFTHSM_MODULE, pin_file);
}

static int
sig_verify(EVP_PKEY *pub, int md_nid, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_get_digestbynid(md_nid), NULL,
	    pub) == 1 && EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* sign tbs with k and check the signature; 1 when good */
static int
sign_check(struct hsm_session *s, const struct hsm_key *k, int md_nid)
{
	uint8_t *sig = NULL;
	size_t siglen = 0;
	int ok;

	if (hsm_sign(s, k, md_nid, tbs, sizeof(tbs), &sig, &siglen) != 0)
		return 0;
	ok = sig_verify(hsm_key_public(k), md_nid, tbs, sizeof(tbs), sig, siglen);
	free(sig);
	return ok;
}

static void
id_make(uint8_t *id, int i)
{
	for (int j = 0; j < HSM_KEY_ID_LEN; j++)
		id[j] = (uint8_t)(0x40 + 16 * i + j);
}

static void
raw_load(void)
{
	CK_C_GetFunctionList gfl;

	if (fx.raw != NULL)
		return;
	fx.dl = dlopen(SOFTHSM_MODULE, RTLD_NOW | RTLD_LOCAL);
	assert_ptr_not_null(fx.dl);
	gfl = (CK_C_GetFunctionList)dlsym(fx.dl, "C_GetFunctionList");
	assert_ptr_not_null(gfl);
	assert_int_eq(gfl(&fx.raw), CKR_OK);
}

static CK_SLOT_ID
raw_slot(void)
{
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	CK_TOKEN_INFO ti;
	char want[32];

	memset(want, ' ', sizeof(want));
	memcpy(want, TOKEN_LABEL, strlen(TOKEN_LABEL));
	assert_int_eq(fx.raw->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (CK_ULONG i = 0; i < n; i++)
		if (fx.raw->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, want, sizeof(want)) == 0)
			return slots[i];
	test_fail(__FILE__, __LINE__, "token %s not found", TOKEN_LABEL);
}

static CK_ULONG
raw_find(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls, const uint8_t *id,
    CK_OBJECT_HANDLE *obj)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, HSM_KEY_ID_LEN },
	};
	CK_OBJECT_HANDLE objs[4];
	CK_ULONG n = 0;

	assert_int_eq(fx.raw->C_FindObjectsInit(h, tmpl, 2), CKR_OK);
	assert_int_eq(fx.raw->C_FindObjects(h, objs, 4, &n), CKR_OK);
	assert_int_eq(fx.raw->C_FindObjectsFinal(h), CKR_OK);
	if (n > 0 && obj != NULL)
		*obj = objs[0];
	return n;
}

static void label_make(char *, size_t, const uint8_t *);

static CK_BBOOL
raw_bool(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL b = 0xff;
	CK_ATTRIBUTE a = { type, &b, sizeof(b) };

	assert_int_eq(fx.raw->C_GetAttributeValue(h, obj, &a, 1), CKR_OK);
	return b;
}

static void
fx_reopen(void)
{
	hsm_session_close(fx.s);
	fx.s = NULL;
	hsm_close(fx.hsm);
	fx.hsm = NULL;
	assert_int_eq(hsm_open(fx.uri, &fx.hsm), 0);
	assert_int_eq(hsm_session_open(fx.hsm, &fx.s), 0);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* token and PIN files */

static void
test_token_init(void)
{
	char tokens[512], conf[1024];
	static const char so[] = "so-secret-1\n";	/* one newline is fine */
	static const char user[] = "user-pin-42";

	tmp_path(tokens, sizeof(tokens), "tokens");
	assert_int_eq(mkdir(tokens, 0700), 0);
	tmp_path(fx.conf, sizeof(fx.conf), "softhsm2.conf");
	snprintf(conf, sizeof(conf), "directories.tokendir = %s\n"
	    "objectstore.backend = file\nlog.level = ERROR\n", tokens);
	file_write(fx.conf, conf, strlen(conf), 0600);
	assert_int_eq(setenv("SOFTHSM2_CONF", fx.conf, 1), 0);

	tmp_path(fx.so_pin, sizeof(fx.so_pin), "so.pin");
	tmp_path(fx.user_pin, sizeof(fx.user_pin), "user.pin");
	file_write(fx.so_pin, so, strlen(so), 0600);
	file_write(fx.user_pin, user, strlen(user), 0600);
	uri_make(fx.uri, sizeof(fx.uri), TOKEN_LABEL, fx.user_pin);

	assert_int_eq(hsm_token_init(SOFTHSM_MODULE, TOKEN_LABEL, fx.so_pin,
	    fx.user_pin), 0);
}

static void
test_token_init_twice(void)
{
	assert_int_eq(hsm_token_init(SOFTHSM_MODULE, TOKEN_LABEL, fx.so_pin,
	    fx.user_pin), PCA_ERR_EXISTS);
	assert_int_eq(hsm_token_init(SOFTHSM_MODULE,
	    "a label longer than thirty-two bytes", fx.so_pin, fx.user_pin),
	    PCA_ERR_INVALID);
}

static void
test_secret_file(void)
{
	char path[512], uri[1024], *s = NULL;
	struct hsm *hsm = NULL;

	tmp_path(fx.loose_pin, sizeof(fx.loose_pin), "loose.pin");
	file_write(fx.loose_pin, "user-pin-42", 11, 0644);
	assert_int_eq(secret_file_read(fx.loose_pin, &s), PCA_ERR_PERM);
	assert_ptr_null(s);
	uri_make(uri, sizeof(uri), TOKEN_LABEL, fx.loose_pin);
	assert_int_eq(hsm_open(uri, &hsm), PCA_ERR_PERM);
	assert_ptr_null(hsm);
	assert_int_eq(hsm_token_init(SOFTHSM_MODULE, "other", fx.so_pin,
	    fx.loose_pin), PCA_ERR_PERM);
	assert_int_eq(chmod(fx.loose_pin, 0640), 0);
	assert_int_eq(secret_file_read(fx.loose_pin, &s), PCA_ERR_PERM);
	assert_int_eq(chmod(fx.loose_pin, 0400), 0);
	assert_int_eq(secret_file_read(fx.loose_pin, &s), 0);
	assert_str_eq(s, "user-pin-42");
	str_free_wiped(s);
	s = NULL;

	assert_int_eq(secret_file_read(fx.so_pin, &s), 0);
	assert_str_eq(s, "so-secret-1");		/* newline stripped */
	str_free_wiped(s);
	s = NULL;

	tmp_path(path, sizeof(path), "bad.pin");
	file_write(path, "", 0, 0600);
	assert_int_eq(secret_file_read(path, &s), PCA_ERR_CONFIG);
	file_write(path, "\n", 1, 0600);
	assert_int_eq(secret_file_read(path, &s), PCA_ERR_CONFIG);
	file_write(path, "12\n34\n", 6, 0600);
	assert_int_eq(secret_file_read(path, &s), PCA_ERR_CONFIG);
	file_write(path, "1234\n\n", 6, 0600);
	assert_int_eq(secret_file_read(path, &s), PCA_ERR_CONFIG);
	file_write(path, "12\0" "34", 5, 0600);
	assert_int_eq(secret_file_read(path, &s), PCA_ERR_CONFIG);
	file_write(path, "1234\r\n", 6, 0600);
	assert_int_eq(secret_file_read(path, &s), PCA_ERR_CONFIG);
	assert_ptr_null(s);
	tmp_path(path, sizeof(path), "missing.pin");
	assert_int_eq(secret_file_read(path, &s), PCA_ERR_CONFIG);
	assert_int_eq(secret_file_read(test_tmpdir(), &s), PCA_ERR_CONFIG);
}

static void
test_open_wrong_pin(void)
{
	char path[512], uri[1024];
	struct hsm *hsm = NULL;

	/* nothing else is logged in now: PKCS#11 login state is per
	 * application, so with the hsm open C_Login would answer
	 * CKR_USER_ALREADY_LOGGED_IN whatever the PIN */
	tmp_path(path, sizeof(path), "wrong.pin");
	file_write(path, "not-the-pin\n", 12, 0600);
	uri_make(uri, sizeof(uri), TOKEN_LABEL, path);
	assert_int_eq(hsm_open(uri, &hsm), PCA_ERR_AUTH);
	assert_ptr_null(hsm);
}

static void
test_open_bad_uri(void)
{
	char uri[1024];
	struct hsm *hsm = NULL;

	assert_int_eq(hsm_open("http://example.com/", &hsm), PCA_ERR_CONFIG);
	snprintf(uri, sizeof(uri), "pkcs11:token=%s?pin-source=file:%s",
	    TOKEN_LABEL, fx.user_pin);
	assert_int_eq(hsm_open(uri, &hsm), PCA_ERR_CONFIG);	/* no module */
	snprintf(uri, sizeof(uri), "pkcs11:token=%s?module-path=%s",
	    TOKEN_LABEL, SOFTHSM_MODULE);
	assert_int_eq(hsm_open(uri, &hsm), PCA_ERR_CONFIG);	/* no PIN */
	snprintf(uri, sizeof(uri), "pkcs11:token=%s?module-path=%s"
	    "&pin-source=file:%s&pin-value=x", TOKEN_LABEL, SOFTHSM_MODULE,
	    fx.user_pin);
	assert_int_eq(hsm_open(uri, &hsm), PCA_ERR_CONFIG);	/* both */
	snprintf(uri, sizeof(uri), "pkcs11:token=%s?module-path=%s"
	    "&pin-source=user.pin", TOKEN_LABEL, SOFTHSM_MODULE);
	assert_int_eq(hsm_open(uri, &hsm), PCA_ERR_CONFIG);	/* relative */
	uri_make(uri, sizeof(uri), TOKEN_LABEL, fx.user_pin);
	memcpy(strstr(uri, "libsofthsm2"), "libnothere2", 11);
	assert_int_eq(hsm_open(uri, &hsm), PCA_ERR_CONFIG);	/* no module */
	uri_make(uri, sizeof(uri), "no-such-token", fx.user_pin);
	assert_int_eq(hsm_open(uri, &hsm), PCA_ERR_NOT_FOUND);
	assert_ptr_null(hsm);
}

static void
test_open(void)
{
	char uri[1024];
	struct hsm *hsm = NULL;

	/* pin-value works too (and stays out of the logs) */
	snprintf(uri, sizeof(uri), "pkcs11:token=%s?module-path=%s"
	    "&pin-value=user-pin-42", TOKEN_LABEL, SOFTHSM_MODULE);
	assert_int_eq(hsm_open(uri, &hsm), 0);
	hsm_close(hsm);
	hsm = NULL;
	/* a module registered with p11-kit, by name */
	snprintf(uri, sizeof(uri), "pkcs11:token=%s?module-name=softhsm2"
	    "&pin-source=%s", TOKEN_LABEL, fx.user_pin);
	assert_int_eq(hsm_open(uri, &hsm), 0);
	assert_str_eq(hsm_token_label(hsm), TOKEN_LABEL);
	hsm_close(hsm);
	snprintf(uri, sizeof(uri), "pkcs11:token=%s?module-name=nosuchmodule"
	    "&pin-source=%s", TOKEN_LABEL, fx.user_pin);
	assert_int_eq(hsm_open(uri, &hsm), PCA_ERR_CONFIG);

	assert_int_eq(hsm_open(fx.uri, &fx.hsm), 0);
	assert_str_eq(hsm_token_label(fx.hsm), TOKEN_LABEL);
	assert_true(hsm_is_up(fx.hsm));
	assert_int_eq(hsm_key_count(fx.hsm), 0);
	assert_int_eq(hsm_session_open(fx.hsm, &fx.s), 0);
}

/* ------------------------------------------------------------------ */
/* keys */

static void
test_generate_sign_verify(void)
{
	const struct hsm_key *k = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;

	for (int i = 0; i < NALGS; i++) {
		id_make(fx.ids[i], i);
		assert_int_eq(hsm_key_generate(fx.s, fx.ids[i], algs[i].alg, &k), 0);
		assert_ptr_not_null(k);
		assert_true(hsm_key_find(fx.hsm, fx.ids[i]) == k);
		assert_int_eq(hsm_key_alg(k), algs[i].alg);
		assert_mem_eq(hsm_key_id(k), fx.ids[i], HSM_KEY_ID_LEN);
		assert_int_eq(EVP_PKEY_get_bits(hsm_key_public(k)), algs[i].bits);
		assert_int_eq(EVP_PKEY_get_base_id(hsm_key_public(k)),
		    algs[i].is_ec ? EVP_PKEY_EC : EVP_PKEY_RSA);
		fx.pub_der_len[i] = i2d_PUBKEY(hsm_key_public(k), &fx.pub_der[i]);
		assert_int_ge(fx.pub_der_len[i], 1);
		{
			/* the SPKI bytes the signer compares keys by */
			size_t spki_len = 0;
			const uint8_t *spki = hsm_key_spki(k, &spki_len);

			assert_ptr_not_null(spki);
			assert_int_eq(spki_len, fx.pub_der_len[i]);
			assert_mem_eq(spki, fx.pub_der[i], spki_len);
		}

		for (size_t m = 0; m < sizeof(mds) / sizeof(mds[0]); m++) {
			assert_int_eq(hsm_sign(fx.s, k, mds[m], tbs, sizeof(tbs),
			    &sig, &siglen), 0);
			if (!algs[i].is_ec) {
				assert_int_eq(siglen, (size_t)algs[i].bits / 8);
			} else {
				const uint8_t *p = sig;
				ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);

				assert_ptr_not_null(es);	/* DER, all bytes */
				assert_true(p == sig + siglen);
				ECDSA_SIG_free(es);
			}
			assert_true(sig_verify(hsm_key_public(k), mds[m], tbs,
			    sizeof(tbs), sig, siglen));
			/* and it is a signature over exactly these bytes */
			assert_false(sig_verify(hsm_key_public(k), mds[m], tbs,
			    sizeof(tbs) - 1, sig, siglen));
			free(sig);
			sig = NULL;
		}
		test_diag("%s: generated, signed and verified with SHA-256/384/512",
		    algs[i].name);
	}
	assert_int_eq(hsm_key_count(fx.hsm), NALGS);
	k = hsm_key_find(fx.hsm, fx.ids[0]);
	assert_int_eq(hsm_sign(fx.s, k, NID_sha1, tbs, sizeof(tbs), &sig,
	    &siglen), PCA_ERR_UNSUPPORTED);
	assert_ptr_null(sig);
	id_make(fx.ids[0], 9);
	assert_int_eq(hsm_key_generate(fx.s, fx.ids[0], (enum hsm_key_alg)99, &k),
	    PCA_ERR_UNSUPPORTED);
	id_make(fx.ids[0], 0);
}

static void
test_private_key_attributes(void)
{
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE priv, pub;
	uint8_t buf[1024];
	char label[64], want[64];
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE set = { CKA_EXTRACTABLE, &yes, sizeof(yes) };

	raw_load();
	/* the hsm's anchor keeps the application logged in */
	assert_int_eq(fx.raw->C_OpenSession(raw_slot(), CKF_SERIAL_SESSION,
	    NULL, NULL, &h), CKR_OK);
	for (int i = 0; i < NALGS; i++) {
		CK_ATTRIBUTE secret = { algs[i].is_ec ? CKA_VALUE :
		    CKA_PRIVATE_EXPONENT, buf, sizeof(buf) };
		CK_ATTRIBUTE la = { CKA_LABEL, label, sizeof(label) - 1 };

		assert_int_eq(raw_find(h, CKO_PRIVATE_KEY, fx.ids[i], &priv), 1);
		assert_int_eq(raw_bool(h, priv, CKA_SENSITIVE), CK_TRUE);
		assert_int_eq(raw_bool(h, priv, CKA_EXTRACTABLE), CK_FALSE);
		assert_int_eq(raw_bool(h, priv, CKA_PRIVATE), CK_TRUE);
		assert_int_eq(raw_bool(h, priv, CKA_TOKEN), CK_TRUE);
		assert_int_eq(raw_bool(h, priv, CKA_SIGN), CK_TRUE);
		assert_int_eq(raw_bool(h, priv, CKA_DECRYPT), CK_FALSE);
		assert_int_eq(raw_bool(h, priv, CKA_UNWRAP), CK_FALSE);
		assert_int_eq(raw_bool(h, priv, CKA_DERIVE), CK_FALSE);
		assert_int_eq(raw_bool(h, priv, CKA_ALWAYS_SENSITIVE), CK_TRUE);
		assert_int_eq(raw_bool(h, priv, CKA_NEVER_EXTRACTABLE), CK_TRUE);
		assert_int_eq(fx.raw->C_GetAttributeValue(h, priv, &secret, 1),
		    CKR_ATTRIBUTE_SENSITIVE);
		assert_int_ne(fx.raw->C_SetAttributeValue(h, priv, &set, 1),
		    CKR_OK);
		assert_int_eq(fx.raw->C_GetAttributeValue(h, priv, &la, 1), CKR_OK);
		label[la.ulValueLen] = '\0';
		label_make(want, sizeof(want), fx.ids[i]);
		assert_str_eq(label, want);

		assert_int_eq(raw_find(h, CKO_PUBLIC_KEY, fx.ids[i], &pub), 1);
		assert_int_eq(raw_bool(h, pub, CKA_PRIVATE), CK_FALSE);
		assert_int_eq(raw_bool(h, pub, CKA_TOKEN), CK_TRUE);
		assert_int_eq(raw_bool(h, pub, CKA_VERIFY), CK_TRUE);
	}
	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);
}

static void
test_generate_duplicate(void)
{
	const struct hsm_key *k = NULL;

	assert_int_eq(hsm_key_generate(fx.s, fx.ids[0], HSM_KEY_EC_P256, &k),
	    PCA_ERR_EXISTS);
	assert_ptr_null(k);
	assert_int_eq(hsm_key_count(fx.hsm), NALGS);
}

static void
test_reopen(void)
{
	const struct hsm_key *k;
	uint8_t *der = NULL;
	int len;

	fx_reopen();
	assert_int_eq(hsm_key_count(fx.hsm), NALGS);
	for (int i = 0; i < NALGS; i++) {
		assert_ptr_not_null(k = hsm_key_find(fx.hsm, fx.ids[i]));
		assert_int_eq(hsm_key_alg(k), algs[i].alg);
		len = i2d_PUBKEY(hsm_key_public(k), &der);
		assert_int_eq(len, fx.pub_der_len[i]);
		assert_mem_eq(der, fx.pub_der[i], (size_t)len);
		OPENSSL_free(der);
		der = NULL;
		assert_true(sign_check(fx.s, k, NID_sha256));
	}
}

static void
test_destroy(void)
{
	const struct hsm_key *k, *k2 = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	CK_SESSION_HANDLE h;

	assert_ptr_not_null(k = hsm_key_find(fx.hsm, fx.ids[1]));
	assert_int_eq(hsm_key_destroy(fx.s, fx.ids[1]), 0);
	assert_ptr_null(hsm_key_find(fx.hsm, fx.ids[1]));
	assert_int_eq(hsm_key_count(fx.hsm), NALGS - 1);
	/* a holder of the old pointer gets a clean error, not freed memory */
	assert_int_eq(hsm_key_alg(k), algs[1].alg);
	assert_int_eq(hsm_sign(fx.s, k, NID_sha256, tbs, sizeof(tbs), &sig,
	    &siglen), PCA_ERR_NOT_FOUND);
	assert_int_eq(hsm_key_destroy(fx.s, fx.ids[1]), PCA_ERR_NOT_FOUND);

	fx_reopen();
	assert_ptr_null(hsm_key_find(fx.hsm, fx.ids[1]));
	assert_int_eq(hsm_key_count(fx.hsm), NALGS - 1);
	raw_load();
	assert_int_eq(fx.raw->C_OpenSession(raw_slot(), CKF_SERIAL_SESSION,
	    NULL, NULL, &h), CKR_OK);
	assert_int_eq(raw_find(h, CKO_PRIVATE_KEY, fx.ids[1], NULL), 0);
	assert_int_eq(raw_find(h, CKO_PUBLIC_KEY, fx.ids[1], NULL), 0);
	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);

	/* the id is free again */
	assert_int_eq(hsm_key_generate(fx.s, fx.ids[1], HSM_KEY_EC_P256, &k2), 0);
	assert_true(sign_check(fx.s, k2, NID_sha256));
	assert_int_eq(hsm_key_destroy(fx.s, fx.ids[1]), 0);
	assert_int_eq(hsm_key_count(fx.hsm), NALGS - 1);
}

static void
test_random(void)
{
	uint8_t a[32], b[32], zero[32];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(zero, 0, sizeof(zero));
	assert_int_eq(hsm_random(fx.s, a, sizeof(a)), 0);
	assert_int_eq(hsm_random(fx.s, b, sizeof(b)), 0);
	assert_true(memcmp(a, b, sizeof(a)) != 0);
	assert_true(memcmp(a, zero, sizeof(a)) != 0);
	assert_int_eq(hsm_random(fx.s, a, 0), 0);
}

/* ------------------------------------------------------------------ */
/* threads */

struct worker {
	pthread_t		 t;
	const struct hsm_key	*k[2];
	int			 iterations;	/* 0: run for seconds */
	double			 seconds;
	int			 signed_ok;
	int			 failed;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct hsm_session *s = NULL;
	uint8_t *sig;
	size_t siglen;
	double end = now_s() + w->seconds;

	if (hsm_session_open(fx.hsm, &s) != 0) {
		w->failed++;
		return NULL;
	}
	for (int i = 0; w->iterations > 0 ? i < w->iterations : now_s() < end;
	    i++) {
		const struct hsm_key *k = w->k[i % 2];

		sig = NULL;
		if (hsm_sign(s, k, NID_sha256, tbs, sizeof(tbs), &sig,
		    &siglen) != 0) {
			w->failed++;
			continue;
		}
		/* checking costs as much as signing: only in the test run */
		if (w->iterations > 0 && !sig_verify(hsm_key_public(k),
		    NID_sha256, tbs, sizeof(tbs), sig, siglen))
			w->failed++;
		else
			w->signed_ok++;
		free(sig);
	}
	hsm_session_close(s);
	return NULL;
}

static void
test_concurrent_sign(void)
{
	struct worker w[2];

	memset(w, 0, sizeof(w));
	for (int i = 0; i < 2; i++) {
		w[i].k[0] = hsm_key_find(fx.hsm, fx.ids[0]);	/* RSA 2048 */
		w[i].k[1] = hsm_key_find(fx.hsm, fx.ids[3]);	/* EC P-256 */
		assert_ptr_not_null(w[i].k[0]);
		assert_ptr_not_null(w[i].k[1]);
		w[i].iterations = 200;
		assert_int_eq(pthread_create(&w[i].t, NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(w[i].t, NULL);
	for (int i = 0; i < 2; i++) {
		assert_int_eq(w[i].failed, 0);
		assert_int_eq(w[i].signed_ok, 200);
	}
}

/* ------------------------------------------------------------------ */
/* failures underneath */

static void
test_session_recover(void)
{
	const struct hsm_key *rsa = hsm_key_find(fx.hsm, fx.ids[0]);
	const struct hsm_key *ec = hsm_key_find(fx.hsm, fx.ids[4]);
	CK_SESSION_HANDLE h;
	uint8_t buf[16];

	assert_ptr_not_null(rsa);
	assert_ptr_not_null(ec);
	raw_load();
	/* every session of the process, the anchor included: the token
	 * also logs the application out */
	assert_int_eq(fx.raw->C_CloseAllSessions(raw_slot()), CKR_OK);
	assert_true(sign_check(fx.s, rsa, NID_sha256));
	assert_true(hsm_is_up(fx.hsm));
	assert_int_eq(hsm_key_count(fx.hsm), NALGS - 1);
	assert_true(sign_check(fx.s, ec, NID_sha384));

	/* logged out underneath: CKR_USER_NOT_LOGGED_IN or an invisible key */
	assert_int_eq(fx.raw->C_OpenSession(raw_slot(), CKF_SERIAL_SESSION,
	    NULL, NULL, &h), CKR_OK);
	assert_int_eq(fx.raw->C_Logout(h), CKR_OK);
	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);
	assert_true(sign_check(fx.s, ec, NID_sha256));
	assert_true(sign_check(fx.s, rsa, NID_sha512));
	assert_int_eq(hsm_random(fx.s, buf, sizeof(buf)), 0);
	assert_true(hsm_is_up(fx.hsm));
}

static void
test_device_recover(void)
{
	const struct hsm_key *rsa = hsm_key_find(fx.hsm, fx.ids[0]);
	const struct hsm_key *ec = hsm_key_find(fx.hsm, fx.ids[3]);
	struct hsm_session *s2 = NULL;
	uint8_t *sig = NULL, buf[16];
	size_t siglen = 0;

	assert_ptr_not_null(rsa);
	assert_ptr_not_null(ec);
	assert_int_eq(hsm_session_open(fx.hsm, &s2), 0);
	raw_load();
	/* the module forgets everything: CKR_CRYPTOKI_NOT_INITIALIZED */
	assert_int_eq(fx.raw->C_Finalize(NULL), CKR_OK);
	assert_int_eq(hsm_sign(fx.s, rsa, NID_sha256, tbs, sizeof(tbs), &sig,
	    &siglen), PCA_ERR_TOKEN_RETRY);
	assert_ptr_null(sig);
	assert_false(hsm_is_up(fx.hsm));
	assert_int_eq(hsm_random(s2, buf, sizeof(buf)), PCA_ERR_TOKEN_RETRY);

	assert_int_eq(hsm_recover(fx.hsm), 0);
	assert_true(hsm_is_up(fx.hsm));
	assert_int_eq(hsm_recover(fx.hsm), 0);		/* up: nothing to do */
	assert_int_eq(hsm_key_count(fx.hsm), NALGS - 1);
	/* the same key structs, the same sessions, reopened lazily */
	assert_true(hsm_key_find(fx.hsm, fx.ids[0]) == rsa);
	assert_true(sign_check(fx.s, rsa, NID_sha256));
	assert_true(sign_check(s2, ec, NID_sha256));
	assert_int_eq(hsm_random(s2, buf, sizeof(buf)), 0);
	hsm_session_close(s2);
}

/* ------------------------------------------------------------------ */
/* rates */

static double
rate(const struct hsm_key *k, int nsessions)
{
	struct worker w[2];
	double t0, t1;
	int total = 0;

	memset(w, 0, sizeof(w));
	t0 = now_s();
	for (int i = 0; i < nsessions; i++) {
		w[i].k[0] = w[i].k[1] = k;
		w[i].seconds = 1.0;
		assert_int_eq(pthread_create(&w[i].t, NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < nsessions; i++)
		pthread_join(w[i].t, NULL);
	t1 = now_s();
	for (int i = 0; i < nsessions; i++) {
		assert_int_eq(w[i].failed, 0);
		total += w[i].signed_ok;
	}
	return total / (t1 - t0);
}

static void
test_rates(void)
{
	const struct hsm_key *rsa = hsm_key_find(fx.hsm, fx.ids[0]);
	const struct hsm_key *ec = hsm_key_find(fx.hsm, fx.ids[3]);

	assert_ptr_not_null(rsa);
	assert_ptr_not_null(ec);
	test_diag("raw hsm_sign rate, RSA_2048: 1 session %.0f/s, 2 sessions %.0f/s",
	    rate(rsa, 1), rate(rsa, 2));
	test_diag("raw hsm_sign rate, EC_P256:  1 session %.0f/s, 2 sessions %.0f/s",
	    rate(ec, 1), rate(ec, 2));
}

/* ------------------------------------------------------------------ */
/* other writers on the token */

/* handles do not survive C_Finalize: the test's own pairs carry this
 * marker so they can be found again */
static const char rogue[] = "rogue";

static void
raw_ec_pair(CK_SESSION_HANDLE h, const uint8_t *id, const char *label,
    CK_OBJECT_HANDLE *priv, CK_OBJECT_HANDLE *pub)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	    0x3d, 0x03, 0x01, 0x07 };
	CK_BBOOL yes = CK_TRUE;
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		{ CKA_ID, (void *)id, HSM_KEY_ID_LEN },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_SUBJECT, (void *)rogue, sizeof(rogue) },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_ID, (void *)id, HSM_KEY_ID_LEN },
		{ CKA_LABEL, (void *)label, strlen(label) },
		{ CKA_SUBJECT, (void *)rogue, sizeof(rogue) },
	};

	assert_int_eq(fx.raw->C_GenerateKeyPair(h, &mech, pubt, 6, privt, 7,
	    pub, priv), CKR_OK);
}

/* destroy the test's own objects with this id */
static void
raw_rogue_destroy(CK_SESSION_HANDLE h, const uint8_t *id)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_ID, (void *)id, HSM_KEY_ID_LEN },
		{ CKA_SUBJECT, (void *)rogue, sizeof(rogue) },
	};
	CK_OBJECT_HANDLE objs[4];
	CK_ULONG n = 0;

	assert_int_eq(fx.raw->C_FindObjectsInit(h, tmpl, 2), CKR_OK);
	assert_int_eq(fx.raw->C_FindObjects(h, objs, 4, &n), CKR_OK);
	assert_int_eq(fx.raw->C_FindObjectsFinal(h), CKR_OK);
	assert_int_eq(n, 2);
	for (CK_ULONG i = 0; i < n; i++)
		assert_int_eq(fx.raw->C_DestroyObject(h, objs[i]), CKR_OK);
}

static void
label_make(char *out, size_t outlen, const uint8_t *id)
{
	snprintf(out, outlen, "hsmca-ca-");
	for (int j = 0; j < HSM_KEY_ID_LEN; j++)
		snprintf(out + 9 + 2 * j, 3, "%02x", id[j]);
}

static void
test_foreign_objects(void)
{
	const struct hsm_key *k = NULL, *old, *now;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE priv, pub;
	uint8_t id[HSM_KEY_ID_LEN], *sig = NULL;
	size_t siglen = 0, n = hsm_key_count(fx.hsm);
	char label[64];

	raw_load();
	assert_int_eq(fx.raw->C_OpenSession(raw_slot(), CKF_SERIAL_SESSION |
	    CKF_RW_SESSION, NULL, NULL, &h), CKR_OK);

	/* an object the table never saw still owns its id */
	id_make(id, 12);
	raw_ec_pair(h, id, "not-ours", &priv, &pub);
	assert_int_eq(hsm_key_generate(fx.s, id, HSM_KEY_EC_P256, &k),
	    PCA_ERR_EXISTS);
	raw_rogue_destroy(h, id);

	/* a second pair under a CA's id and label: ambiguous, not used */
	label_make(label, sizeof(label), fx.ids[3]);
	raw_ec_pair(h, fx.ids[3], label, &priv, &pub);
	fx_reopen();		/* C_Finalize: the raw session is gone too */
	assert_ptr_null(hsm_key_find(fx.hsm, fx.ids[3]));
	assert_int_eq(hsm_key_count(fx.hsm), n - 1);
	assert_int_eq(fx.raw->C_OpenSession(raw_slot(), CKF_SERIAL_SESSION |
	    CKF_RW_SESSION, NULL, NULL, &h), CKR_OK);
	raw_rogue_destroy(h, fx.ids[3]);
	fx_reopen();
	assert_int_eq(fx.raw->C_OpenSession(raw_slot(), CKF_SERIAL_SESSION |
	    CKF_RW_SESSION, NULL, NULL, &h), CKR_OK);
	assert_ptr_not_null(k = hsm_key_find(fx.hsm, fx.ids[3]));
	assert_true(sign_check(fx.s, k, NID_sha256));

	/* a CA key pair replaced underneath while the hsm is open: the next
	 * reload notices the public key changed and drops the old entry */
	assert_ptr_not_null(old = hsm_key_find(fx.hsm, fx.ids[4]));
	assert_int_eq(raw_find(h, CKO_PRIVATE_KEY, fx.ids[4], &priv), 1);
	assert_int_eq(fx.raw->C_DestroyObject(h, priv), CKR_OK);
	assert_int_eq(raw_find(h, CKO_PUBLIC_KEY, fx.ids[4], &pub), 1);
	assert_int_eq(fx.raw->C_DestroyObject(h, pub), CKR_OK);
	label_make(label, sizeof(label), fx.ids[4]);
	raw_ec_pair(h, fx.ids[4], label, &priv, &pub);
	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);
	/* the old handle is gone: a session-class error, then a reload */
	assert_int_eq(hsm_sign(fx.s, old, NID_sha256, tbs, sizeof(tbs), &sig,
	    &siglen), PCA_ERR_NOT_FOUND);
	assert_ptr_null(sig);
	assert_ptr_not_null(now = hsm_key_find(fx.hsm, fx.ids[4]));
	assert_true(now != old);
	assert_int_eq(EVP_PKEY_eq(hsm_key_public(now), hsm_key_public(old)), 0);
	{
		/* the new pair's SPKI bytes came with it from the reload */
		size_t now_len = 0, old_len = 0;
		const uint8_t *now_spki = hsm_key_spki(now, &now_len);
		const uint8_t *old_spki = hsm_key_spki(old, &old_len);
		unsigned char *der = NULL;
		int der_len = i2d_PUBKEY(hsm_key_public(now), &der);

		assert_int_eq(now_len, der_len);
		assert_mem_eq(now_spki, der, now_len);
		assert_false(now_len == old_len && memcmp(now_spki, old_spki, now_len) == 0);
		OPENSSL_free(der);
	}
	assert_int_eq(hsm_key_alg(now), HSM_KEY_EC_P256);
	assert_true(sign_check(fx.s, now, NID_sha256));
	assert_int_eq(hsm_key_count(fx.hsm), n);
}

static void
test_close(void)
{
	hsm_session_close(fx.s);
	fx.s = NULL;
	hsm_close(fx.hsm);
	fx.hsm = NULL;
	hsm_close(NULL);
	hsm_session_close(NULL);
}

int
main(void)
{
	int r;

	test_run("hsm/token_init", test_token_init);
	test_run("hsm/token_init_twice", test_token_init_twice);
	test_run("hsm/secret_file", test_secret_file);
	test_run("hsm/open_wrong_pin", test_open_wrong_pin);
	test_run("hsm/open_bad_uri", test_open_bad_uri);
	test_run("hsm/open", test_open);
	test_run("hsm/generate_sign_verify", test_generate_sign_verify);
	test_run("hsm/private_key_attributes", test_private_key_attributes);
	test_run("hsm/generate_duplicate", test_generate_duplicate);
	test_run("hsm/reopen", test_reopen);
	test_run("hsm/destroy", test_destroy);
	test_run("hsm/random", test_random);
	test_run("hsm/concurrent_sign", test_concurrent_sign);
	test_run("hsm/session_recover", test_session_recover);
	test_run("hsm/device_recover", test_device_recover);
	test_run("hsm/rates", test_rates);
	test_run("hsm/foreign_objects", test_foreign_objects);
	test_run("hsm/close", test_close);

	/* after hsm_close(): p11-kit has unloaded its reference */
	hsm_session_close(fx.s);
	hsm_close(fx.hsm);
	for (int i = 0; i < NALGS; i++)
		OPENSSL_free(fx.pub_der[i]);
	if (fx.dl != NULL)
		dlclose(fx.dl);
	r = test_done();
	return r;
}
