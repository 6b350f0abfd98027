/*
 * test_wrap.c - wrap_data_key and unwrap_data_key (signer/op_wrap.c) and
 * the wrapping key behind them (signer/hsm.c) against a real SoftHSM2
 * token, through signer_handle() as the frontend's bytes arrive, and once
 * end to end through frontend/signer_client.c over a nanomsg socket.
 *
 * One fresh token per test process. Cases run in order and share it: no
 * wrapping key yet, many workers making it at once, its attributes, round
 * trips, every way a blob or its context can be wrong (the token must stay
 * up: SoftHSM2 2.6.1 reports a failed GCM tag as CKR_GENERAL_ERROR), then a
 * reopen, failures underneath, odd objects under the key's label, and the
 * client.
 *
 * As in test_hsm.c, dlopen() of the SoftHSM2 library hands back the
 * instance p11-kit loaded: its raw function list reads the key's attributes
 * and breaks things underneath the hsm.
 */
#include "hsm.h"
#include "signer.h"
#include "signer_client.h"
#include "test.h"
#include "wipe.h"
#include "wire.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define SOFTHSM_MODULE	"/usr/lib/softhsm/libsofthsm2.so"
#define TOKEN_LABEL	"hsmca-wrap-test"
#define NTHREADS	8
#define HDR_LEN		5		/* version, key id */
#define OVERHEAD	(HDR_LEN + HSM_WRAP_IV_LEN + HSM_WRAP_TAG_LEN)

static const char arn[] = "arn:aws:acm:us-east-1:111122223333:certificate/"
    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
static const char arn2[] = "arn:aws:acm:us-east-1:111122223333:certificate/"
    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f1";

/* the fixture, one per process */
static struct {
	char			 conf[512];
	char			 so_pin[512];
	char			 user_pin[512];
	char			 uri[1024];
	struct signer		 signer;
	struct signer_worker	 w;
	uint64_t		 next_id;
	void			*dl;
	CK_FUNCTION_LIST	*raw;
	/* a blob from early on, to open after a reopen and recoveries */
	uint8_t			 kept[OVERHEAD + 32];
	uint8_t			 kept_key[32];
} fx;

/* ------------------------------------------------------------------ */
/* helpers */

static void
file_write(const char *path, const void *data, size_t len)
{
	int fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		test_fail(__FILE__, __LINE__, "open %s", path);
	if (write(fd, data, len) != (ssize_t)len)
		test_fail(__FILE__, __LINE__, "write %s", path);
	close(fd);
}

static void
tmp_path(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", test_tmpdir(), name);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* signer_handle on req (version and id filled in); the decoded answer */
static Pca__Signer__Response *
call(struct signer_worker *w, Pca__Signer__Request *req)
{
	Pca__Signer__Response *resp;
	uint8_t *in, *out = NULL;
	size_t in_len, out_len = 0;

	req->version = SIGNER_PROTO_VERSION;
	req->id = __atomic_add_fetch(&fx.next_id, 1, __ATOMIC_RELAXED);
	in_len = pca__signer__request__get_packed_size(req);
	if ((in = malloc(in_len > 0 ? in_len : 1)) == NULL)
		return NULL;
	pca__signer__request__pack(req, in);
	if (signer_handle(w, in, in_len, &out, &out_len) != 0) {
		free(in);
		return NULL;
	}
	resp = pca__signer__response__unpack(NULL, out_len, out);
	free_wiped(in, in_len);
	free_wiped(out, out_len);
	if (resp != NULL && resp->id != req->id) {
		pca__signer__response__free_unpacked(resp, NULL);
		return NULL;
	}
	return resp;
}

/* wrap_data_key on worker w: the answer's status; *blob malloc'd when 0 */
static int
wrap_on(struct signer_worker *w, const void *key, size_t key_len, const void *ctx,
    size_t ctx_len, uint8_t **blob, size_t *blob_len)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__WrapDataKeyRequest g = PCA__SIGNER__WRAP_DATA_KEY_REQUEST__INIT;
	Pca__Signer__Response *resp;
	int r;

	*blob = NULL;
	*blob_len = 0;
	g.data_key.data = (uint8_t *)key;
	g.data_key.len = key_len;
	g.context.data = (uint8_t *)ctx;
	g.context.len = ctx_len;
	req.body_case = PCA__SIGNER__REQUEST__BODY_WRAP_DATA_KEY;
	req.wrap_data_key = &g;
	if ((resp = call(w, &req)) == NULL)
		return PCA_ERR_INTERNAL;
	r = resp->status;
	if (r == 0) {
		if (resp->body_case != PCA__SIGNER__RESPONSE__BODY_WRAP_DATA_KEY ||
		    resp->wrap_data_key->key_label == NULL ||
		    strcmp(resp->wrap_data_key->key_label, HSM_WRAP_KEY_LABEL) != 0) {
			r = PCA_ERR_INTERNAL;
		} else if ((*blob = malloc(resp->wrap_data_key->wrapped.len)) != NULL) {
			memcpy(*blob, resp->wrap_data_key->wrapped.data,
			    resp->wrap_data_key->wrapped.len);
			*blob_len = resp->wrap_data_key->wrapped.len;
		}
	} else if (resp->body_case != PCA__SIGNER__RESPONSE__BODY__NOT_SET ||
	    resp->message == NULL) {
		r = PCA_ERR_INTERNAL;	/* a failure answers with its status only */
	}
	pca__signer__response__free_unpacked(resp, NULL);
	return r;
}

/* unwrap_data_key on worker w: the answer's status; key gets the data key
 * (SIGNER_DATA_KEY_MAX bytes of room) when 0 */
static int
unwrap_on(struct signer_worker *w, const void *blob, size_t blob_len, const void *ctx,
    size_t ctx_len, uint8_t *key, size_t *key_len)
{
	Pca__Signer__Request req = PCA__SIGNER__REQUEST__INIT;
	Pca__Signer__UnwrapDataKeyRequest g = PCA__SIGNER__UNWRAP_DATA_KEY_REQUEST__INIT;
	Pca__Signer__Response *resp;
	int r;

	*key_len = 0;
	g.wrapped.data = (uint8_t *)blob;
	g.wrapped.len = blob_len;
	g.context.data = (uint8_t *)ctx;
	g.context.len = ctx_len;
	req.body_case = PCA__SIGNER__REQUEST__BODY_UNWRAP_DATA_KEY;
	req.unwrap_data_key = &g;
	if ((resp = call(w, &req)) == NULL)
		return PCA_ERR_INTERNAL;
	r = resp->status;
	if (r == 0) {
		if (resp->body_case != PCA__SIGNER__RESPONSE__BODY_UNWRAP_DATA_KEY ||
		    resp->unwrap_data_key->data_key.len > SIGNER_DATA_KEY_MAX) {
			r = PCA_ERR_INTERNAL;
		} else {
			memcpy(key, resp->unwrap_data_key->data_key.data,
			    resp->unwrap_data_key->data_key.len);
			*key_len = resp->unwrap_data_key->data_key.len;
		}
	} else if (resp->body_case != PCA__SIGNER__RESPONSE__BODY__NOT_SET ||
	    resp->message == NULL) {
		r = PCA_ERR_INTERNAL;
	}
	pca__signer__response__free_unpacked(resp, &wipe_pb_allocator);
	return r;
}

static int
wrap(const void *key, size_t key_len, const void *ctx, size_t ctx_len, uint8_t **blob,
    size_t *blob_len)
{
	return wrap_on(&fx.w, key, key_len, ctx, ctx_len, blob, blob_len);
}

static int
unwrap(const void *blob, size_t blob_len, const void *ctx, size_t ctx_len, uint8_t *key,
    size_t *key_len)
{
	return unwrap_on(&fx.w, blob, blob_len, ctx, ctx_len, key, key_len);
}

/* unwrap must give back exactly want */
static void
opens_to(const uint8_t *blob, size_t blob_len, const void *ctx, size_t ctx_len,
    const uint8_t *want, size_t want_len)
{
	uint8_t key[SIGNER_DATA_KEY_MAX];
	size_t key_len = 0;

	assert_int_eq(unwrap(blob, blob_len, ctx, ctx_len, key, &key_len), 0);
	assert_int_eq(key_len, want_len);
	assert_mem_eq(key, want, want_len);
	explicit_bzero(key, sizeof(key));
}

static void
key_make(uint8_t *key, size_t len, int seed)
{
	for (size_t i = 0; i < len; i++)
		key[i] = (uint8_t)(seed * 31 + i * 7 + 1);
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

/* a raw read/write session; the hsm's anchor keeps the application logged in */
static CK_SESSION_HANDLE
raw_session(void)
{
	CK_SESSION_HANDLE h;

	raw_load();
	assert_int_eq(fx.raw->C_OpenSession(raw_slot(), CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &h), CKR_OK);
	return h;
}

/* the secret key objects under the wrapping key's label */
static CK_ULONG
raw_wrap_keys(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *objs, CK_ULONG max)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)HSM_WRAP_KEY_LABEL, strlen(HSM_WRAP_KEY_LABEL) },
	};
	CK_OBJECT_HANDLE buf[8];
	CK_ULONG n = 0;

	assert_int_eq(fx.raw->C_FindObjectsInit(h, tmpl, 2), CKR_OK);
	assert_int_eq(fx.raw->C_FindObjects(h, buf, 8, &n), CKR_OK);
	assert_int_eq(fx.raw->C_FindObjectsFinal(h), CKR_OK);
	for (CK_ULONG i = 0; i < n && i < max; i++)
		objs[i] = buf[i];
	return n;
}

static CK_ULONG
wrap_key_count(void)
{
	CK_SESSION_HANDLE h = raw_session();
	CK_ULONG n = raw_wrap_keys(h, NULL, 0);

	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);
	return n;
}

static CK_BBOOL
raw_bool(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL b = 0xff;
	CK_ATTRIBUTE a = { type, &b, sizeof(b) };

	assert_int_eq(fx.raw->C_GetAttributeValue(h, obj, &a, 1), CKR_OK);
	return b;
}

/* the test's own objects carry this CKA_ID */
static const char rogue[] = "rogue";

/* an AES-256 token key under the wrapping key's label, made from outside */
static void
raw_aes_key(CK_SESSION_HANDLE h, CK_BBOOL sensitive, CK_BBOOL extractable)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = CKK_AES;
	CK_ULONG len = 32;
	CK_BBOOL yes = CK_TRUE;
	CK_MECHANISM mech = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &type, sizeof(type) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &sensitive, sizeof(sensitive) },
		{ CKA_EXTRACTABLE, &extractable, sizeof(extractable) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_LABEL, (void *)HSM_WRAP_KEY_LABEL, strlen(HSM_WRAP_KEY_LABEL) },
		{ CKA_ID, (void *)rogue, sizeof(rogue) },
	};
	CK_OBJECT_HANDLE k;

	assert_int_eq(fx.raw->C_GenerateKey(h, &mech, t, sizeof(t) / sizeof(t[0]), &k),
	    CKR_OK);
}

/* destroy the test's own key (handles do not survive a reopen) */
static void
raw_rogue_destroy(void)
{
	CK_SESSION_HANDLE h = raw_session();
	CK_ATTRIBUTE tmpl = { CKA_ID, (void *)rogue, sizeof(rogue) };
	CK_OBJECT_HANDLE objs[4];
	CK_ULONG n = 0;

	assert_int_eq(fx.raw->C_FindObjectsInit(h, &tmpl, 1), CKR_OK);
	assert_int_eq(fx.raw->C_FindObjects(h, objs, 4, &n), CKR_OK);
	assert_int_eq(fx.raw->C_FindObjectsFinal(h), CKR_OK);
	assert_int_eq(n, 1);
	assert_int_eq(fx.raw->C_DestroyObject(h, objs[0]), CKR_OK);
	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);
}

static void
fx_open(void)
{
	assert_int_eq(hsm_open(fx.uri, &fx.signer.hsm), 0);
	assert_int_eq(hsm_session_open(fx.signer.hsm, &fx.w.sess), 0);
	fx.w.signer = &fx.signer;
}

static void
fx_reopen(void)
{
	hsm_session_close(fx.w.sess);
	fx.w.sess = NULL;
	hsm_close(fx.signer.hsm);
	fx.signer.hsm = NULL;
	fx_open();
}

/* ------------------------------------------------------------------ */
/* the token and the wrapping key */

static void
test_token_init(void)
{
	char tokens[512], conf[1024];

	tmp_path(tokens, sizeof(tokens), "tokens");
	assert_int_eq(mkdir(tokens, 0700), 0);
	tmp_path(fx.conf, sizeof(fx.conf), "softhsm2.conf");
	snprintf(conf, sizeof(conf), "directories.tokendir = %s\n"
	    "objectstore.backend = file\nlog.level = ERROR\n", tokens);
	file_write(fx.conf, conf, strlen(conf));
	assert_int_eq(setenv("SOFTHSM2_CONF", fx.conf, 1), 0);
	tmp_path(fx.so_pin, sizeof(fx.so_pin), "so.pin");
	tmp_path(fx.user_pin, sizeof(fx.user_pin), "user.pin");
	file_write(fx.so_pin, "so-wrap-1", 9);
	file_write(fx.user_pin, "user-wrap-2", 11);
	snprintf(fx.uri, sizeof(fx.uri), "pkcs11:token=%s?module-path=%s&pin-source=file:%s",
	    TOKEN_LABEL, SOFTHSM_MODULE, fx.user_pin);
	assert_int_eq(hsm_token_init(SOFTHSM_MODULE, TOKEN_LABEL, fx.so_pin, fx.user_pin), 0);
	fx.signer.sock = -1;
	fx.signer.nworkers = 1;
	fx_open();
}

static void
test_no_key_yet(void)
{
	uint8_t blob[OVERHEAD + 32], key[SIGNER_DATA_KEY_MAX];
	size_t key_len;

	/* a well-formed blob: unwrapping never makes a key */
	memset(blob, 0x5c, sizeof(blob));
	memcpy(blob, "\x01\x00\x00\x00\x01", HDR_LEN);
	assert_int_eq(unwrap(blob, sizeof(blob), arn, strlen(arn), key, &key_len),
	    PCA_ERR_NOT_FOUND);
	assert_int_eq(hsm_wrap_key_ensure(fx.w.sess, 0), PCA_ERR_NOT_FOUND);
	assert_int_eq(wrap_key_count(), 0);
}

struct racer {
	pthread_t		 t;
	pthread_barrier_t	*go;
	struct signer_worker	 w;
	int			 status;
	uint8_t			 key[32];
	uint8_t			*blob;
	size_t			 blob_len;
};

static void *
racer_run(void *arg)
{
	struct racer *rc = arg;

	pthread_barrier_wait(rc->go);
	rc->status = wrap_on(&rc->w, rc->key, sizeof(rc->key), arn, strlen(arn), &rc->blob,
	    &rc->blob_len);
	return NULL;
}

/* the first data keys arrive at once, on every worker: one key is made */
static void
test_concurrent_first_use(void)
{
	struct racer rc[NTHREADS];
	pthread_barrier_t go;

	memset(rc, 0, sizeof(rc));
	assert_int_eq(pthread_barrier_init(&go, NULL, NTHREADS), 0);
	for (int i = 0; i < NTHREADS; i++) {
		rc[i].go = &go;
		rc[i].w.signer = &fx.signer;
		rc[i].w.index = (unsigned)i + 1;
		assert_int_eq(hsm_session_open(fx.signer.hsm, &rc[i].w.sess), 0);
		key_make(rc[i].key, sizeof(rc[i].key), i);
	}
	for (int i = 0; i < NTHREADS; i++)
		assert_int_eq(pthread_create(&rc[i].t, NULL, racer_run, &rc[i]), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(rc[i].t, NULL);
	pthread_barrier_destroy(&go);
	assert_int_eq(wrap_key_count(), 1);
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_eq(rc[i].status, 0);
		assert_int_eq(rc[i].blob_len, OVERHEAD + sizeof(rc[i].key));
		opens_to(rc[i].blob, rc[i].blob_len, arn, strlen(arn), rc[i].key,
		    sizeof(rc[i].key));
		hsm_session_close(rc[i].w.sess);
		free(rc[i].blob);
	}
	assert_int_eq(hsm_wrap_key_ensure(fx.w.sess, 0), 0);
}

static void
test_key_attributes(void)
{
	CK_SESSION_HANDLE h = raw_session();
	CK_OBJECT_HANDLE k, other;
	CK_OBJECT_CLASS cls = 0;
	CK_KEY_TYPE type = 0;
	CK_ULONG len = 0, wlen;
	uint8_t value[64], wrapped[128];
	CK_ATTRIBUTE a[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &type, sizeof(type) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
	};
	CK_ATTRIBUTE va = { CKA_VALUE, value, sizeof(value) };
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE set = { CKA_EXTRACTABLE, &yes, sizeof(yes) };
	CK_ATTRIBUTE unsens = { CKA_SENSITIVE, &(CK_BBOOL){ CK_FALSE }, sizeof(CK_BBOOL) };
	CK_MECHANISM kw = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };

	assert_int_eq(raw_wrap_keys(h, &k, 1), 1);
	assert_int_eq(fx.raw->C_GetAttributeValue(h, k, a, 3), CKR_OK);
	assert_int_eq(cls, CKO_SECRET_KEY);
	assert_int_eq(type, CKK_AES);
	assert_int_eq(len, 32);
	assert_int_eq(raw_bool(h, k, CKA_TOKEN), CK_TRUE);
	assert_int_eq(raw_bool(h, k, CKA_PRIVATE), CK_TRUE);
	assert_int_eq(raw_bool(h, k, CKA_SENSITIVE), CK_TRUE);
	assert_int_eq(raw_bool(h, k, CKA_EXTRACTABLE), CK_FALSE);
	assert_int_eq(raw_bool(h, k, CKA_ALWAYS_SENSITIVE), CK_TRUE);
	assert_int_eq(raw_bool(h, k, CKA_NEVER_EXTRACTABLE), CK_TRUE);
	assert_int_eq(raw_bool(h, k, CKA_LOCAL), CK_TRUE);	/* made in the token */
	assert_int_eq(raw_bool(h, k, CKA_MODIFIABLE), CK_FALSE);
	assert_int_eq(raw_bool(h, k, CKA_ENCRYPT), CK_TRUE);
	assert_int_eq(raw_bool(h, k, CKA_DECRYPT), CK_TRUE);
	assert_int_eq(raw_bool(h, k, CKA_WRAP), CK_FALSE);
	assert_int_eq(raw_bool(h, k, CKA_UNWRAP), CK_FALSE);
	assert_int_eq(raw_bool(h, k, CKA_SIGN), CK_FALSE);
	assert_int_eq(raw_bool(h, k, CKA_VERIFY), CK_FALSE);
	assert_int_eq(raw_bool(h, k, CKA_DERIVE), CK_FALSE);
	/* its value never leaves: not read, not made extractable, not wrapped */
	assert_int_eq(fx.raw->C_GetAttributeValue(h, k, &va, 1), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_eq(va.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_ne(fx.raw->C_SetAttributeValue(h, k, &set, 1), CKR_OK);
	assert_int_ne(fx.raw->C_SetAttributeValue(h, k, &unsens, 1), CKR_OK);
	assert_int_eq(raw_bool(h, k, CKA_EXTRACTABLE), CK_FALSE);
	{
		/* a session key that may wrap: still no export */
		CK_OBJECT_CLASS scls = CKO_SECRET_KEY;
		CK_KEY_TYPE stype = CKK_AES;
		CK_ULONG slen = 32;
		CK_MECHANISM gen = { CKM_AES_KEY_GEN, NULL, 0 };
		CK_ATTRIBUTE st[] = {
			{ CKA_CLASS, &scls, sizeof(scls) },
			{ CKA_KEY_TYPE, &stype, sizeof(stype) },
			{ CKA_VALUE_LEN, &slen, sizeof(slen) },
			{ CKA_WRAP, &yes, sizeof(yes) },
		};

		assert_int_eq(fx.raw->C_GenerateKey(h, &gen, st, 4, &other), CKR_OK);
		wlen = sizeof(wrapped);
		assert_int_eq(fx.raw->C_WrapKey(h, &kw, other, k, wrapped, &wlen),
		    CKR_KEY_UNEXTRACTABLE);
		assert_int_eq(fx.raw->C_DestroyObject(h, other), CKR_OK);
	}
	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);
}

/* ------------------------------------------------------------------ */
/* round trips and refusals */

static void
test_round_trip(void)
{
	static const size_t lens[] = { 16, 24, 32, 48, 64 };
	uint8_t key[SIGNER_DATA_KEY_MAX], ctx[SIGNER_WRAP_CONTEXT_MAX], *a, *b;
	size_t a_len, b_len;
	const struct { const void *p; size_t len; } ctxs[] = {
		{ "", 0 }, { arn, sizeof(arn) - 1 }, { ctx, sizeof(ctx) },
	};

	for (size_t i = 0; i < sizeof(ctx); i++)
		ctx[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (size_t c = 0; c < sizeof(ctxs) / sizeof(ctxs[0]); c++) {
			key_make(key, lens[i], (int)(i * 3 + c));
			assert_int_eq(wrap(key, lens[i], ctxs[c].p, ctxs[c].len, &a, &a_len), 0);
			/* self-describing: version 1, key 1, IV, ciphertext, tag */
			assert_int_eq(a_len, OVERHEAD + lens[i]);
			assert_mem_eq(a, "\x01\x00\x00\x00\x01", HDR_LEN);
			assert_true(memmem(a, a_len, key, lens[i]) == NULL);
			opens_to(a, a_len, ctxs[c].p, ctxs[c].len, key, lens[i]);
			/* a fresh IV every time */
			assert_int_eq(wrap(key, lens[i], ctxs[c].p, ctxs[c].len, &b, &b_len), 0);
			assert_int_eq(b_len, a_len);
			assert_true(memcmp(a + HDR_LEN, b + HDR_LEN, HSM_WRAP_IV_LEN) != 0);
			assert_true(memcmp(a + HDR_LEN + HSM_WRAP_IV_LEN,
			    b + HDR_LEN + HSM_WRAP_IV_LEN, lens[i]) != 0);
			opens_to(b, b_len, ctxs[c].p, ctxs[c].len, key, lens[i]);
			free(a);
			free(b);
		}
	}
	key_make(fx.kept_key, sizeof(fx.kept_key), 99);
	assert_int_eq(wrap(fx.kept_key, sizeof(fx.kept_key), arn, strlen(arn), &a, &a_len), 0);
	assert_int_eq(a_len, sizeof(fx.kept));
	memcpy(fx.kept, a, a_len);
	free(a);
	assert_int_eq(wrap_key_count(), 1);
}

static void
test_wrong_context(void)
{
	uint8_t key[32], out[SIGNER_DATA_KEY_MAX], *blob, *empty;
	size_t blob_len, empty_len, out_len = 1;
	char longer[sizeof(arn) + 1];

	key_make(key, sizeof(key), 7);
	assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &blob, &blob_len), 0);
	snprintf(longer, sizeof(longer), "%s/", arn);
	assert_int_eq(unwrap(blob, blob_len, arn2, strlen(arn2), out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	assert_int_eq(out_len, 0);
	assert_int_eq(unwrap(blob, blob_len, arn, strlen(arn) - 1, out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	assert_int_eq(unwrap(blob, blob_len, longer, strlen(longer), out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	assert_int_eq(unwrap(blob, blob_len, "", 0, out, &out_len), PCA_ERR_BAD_SIGNATURE);
	/* and the other way round */
	assert_int_eq(wrap(key, sizeof(key), "", 0, &empty, &empty_len), 0);
	assert_int_eq(unwrap(empty, empty_len, arn, strlen(arn), out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	opens_to(empty, empty_len, "", 0, key, sizeof(key));
	/* a refusal is the input's fault: the token stays up */
	assert_true(hsm_is_up(fx.signer.hsm));
	opens_to(blob, blob_len, arn, strlen(arn), key, sizeof(key));
	free(blob);
	free(empty);
}

static void
test_tampered(void)
{
	uint8_t key[32], out[SIGNER_DATA_KEY_MAX], *blob, *other, mixed[OVERHEAD + 32];
	uint8_t longer[OVERHEAD + 33];
	size_t blob_len, other_len, out_len;
	int n = 0;

	key_make(key, sizeof(key), 11);
	assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &blob, &blob_len), 0);
	/* any bit of the IV, the ciphertext or the tag */
	for (size_t i = HDR_LEN; i < blob_len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			blob[i] ^= (uint8_t)(1u << bit);
			assert_int_eq(unwrap(blob, blob_len, arn, strlen(arn), out, &out_len),
			    PCA_ERR_BAD_SIGNATURE);
			blob[i] ^= (uint8_t)(1u << bit);
			n++;
		}
	}
	test_diag("%d tampered blobs refused (IV, ciphertext, tag)", n);
	assert_true(hsm_is_up(fx.signer.hsm));
	/* the header: another version is malformed, another key unknown */
	blob[0] = 0x02;
	assert_int_eq(unwrap(blob, blob_len, arn, strlen(arn), out, &out_len), PCA_ERR_MALFORMED);
	blob[0] = 0x00;
	assert_int_eq(unwrap(blob, blob_len, arn, strlen(arn), out, &out_len), PCA_ERR_MALFORMED);
	blob[0] = 0x01;
	for (int i = 1; i < HDR_LEN; i++) {
		blob[i] ^= 0x10;
		assert_int_eq(unwrap(blob, blob_len, arn, strlen(arn), out, &out_len),
		    PCA_ERR_NOT_FOUND);
		blob[i] ^= 0x10;
	}
	/* one byte less or more: still a size a data key may have */
	assert_int_eq(unwrap(blob, blob_len - 1, arn, strlen(arn), out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	memcpy(longer, blob, blob_len);
	longer[blob_len] = 0;
	assert_int_eq(unwrap(longer, sizeof(longer), arn, strlen(arn), out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	/* the IV of one blob with the ciphertext and tag of another */
	assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &other, &other_len), 0);
	memcpy(mixed, blob, HDR_LEN + HSM_WRAP_IV_LEN);
	memcpy(mixed + HDR_LEN + HSM_WRAP_IV_LEN, other + HDR_LEN + HSM_WRAP_IV_LEN,
	    other_len - HDR_LEN - HSM_WRAP_IV_LEN);
	assert_int_eq(unwrap(mixed, sizeof(mixed), arn, strlen(arn), out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	/* a ciphertext and tag of the right size that the signer never made */
	memset(mixed + HDR_LEN, 0, sizeof(mixed) - HDR_LEN);
	assert_int_eq(unwrap(mixed, sizeof(mixed), arn, strlen(arn), out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	assert_true(hsm_is_up(fx.signer.hsm));
	opens_to(blob, blob_len, arn, strlen(arn), key, sizeof(key));
	opens_to(other, other_len, arn, strlen(arn), key, sizeof(key));
	free(blob);
	free(other);
	assert_int_ge(fx.signer.n_failed, (unsigned long long)n);
}

static void
test_sizes(void)
{
	uint8_t key[SIGNER_DATA_KEY_MAX + 1], ctx[SIGNER_WRAP_CONTEXT_MAX + 1];
	uint8_t blob[OVERHEAD + SIGNER_DATA_KEY_MAX + 1], out[SIGNER_DATA_KEY_MAX], *b;
	size_t b_len, out_len;

	memset(key, 0x42, sizeof(key));
	memset(ctx, 'c', sizeof(ctx));
	assert_int_eq(wrap(key, 0, arn, strlen(arn), &b, &b_len), PCA_ERR_INVALID);
	assert_int_eq(wrap(key, SIGNER_DATA_KEY_MIN - 1, arn, strlen(arn), &b, &b_len),
	    PCA_ERR_INVALID);
	assert_int_eq(wrap(key, SIGNER_DATA_KEY_MAX + 1, arn, strlen(arn), &b, &b_len),
	    PCA_ERR_INVALID);
	assert_ptr_null(b);
	assert_int_eq(wrap(key, 32, ctx, SIGNER_WRAP_CONTEXT_MAX + 1, &b, &b_len),
	    PCA_ERR_INVALID);
	assert_int_eq(wrap(key, 32, ctx, SIGNER_WRAP_CONTEXT_MAX, &b, &b_len), 0);
	assert_int_eq(unwrap(b, b_len, ctx, SIGNER_WRAP_CONTEXT_MAX + 1, out, &out_len),
	    PCA_ERR_INVALID);
	opens_to(b, b_len, ctx, SIGNER_WRAP_CONTEXT_MAX, key, 32);
	free(b);

	memset(blob, 0, sizeof(blob));
	memcpy(blob, "\x01\x00\x00\x00\x01", HDR_LEN);
	assert_int_eq(unwrap(blob, 0, arn, strlen(arn), out, &out_len), PCA_ERR_MALFORMED);
	assert_int_eq(unwrap(blob, HDR_LEN, arn, strlen(arn), out, &out_len), PCA_ERR_MALFORMED);
	assert_int_eq(unwrap(blob, OVERHEAD + SIGNER_DATA_KEY_MIN - 1, arn, strlen(arn), out,
	    &out_len), PCA_ERR_MALFORMED);
	assert_int_eq(unwrap(blob, OVERHEAD + SIGNER_DATA_KEY_MAX + 1, arn, strlen(arn), out,
	    &out_len), PCA_ERR_MALFORMED);
	assert_int_eq(unwrap(blob, OVERHEAD + SIGNER_DATA_KEY_MIN, arn, strlen(arn), out,
	    &out_len), PCA_ERR_BAD_SIGNATURE);

	/* the hsm layer checks its own bounds */
	assert_int_eq(hsm_wrap_encrypt(fx.w.sess, blob, NULL, 0, key, 0, blob),
	    PCA_ERR_INVALID);
	assert_int_eq(hsm_wrap_decrypt(fx.w.sess, blob, NULL, 0, blob, HSM_WRAP_TAG_LEN, out),
	    PCA_ERR_INVALID);
	assert_true(hsm_is_up(fx.signer.hsm));
}

/* a refused tag leaves nothing in the caller's buffer */
static void
test_hsm_layer(void)
{
	uint8_t iv[HSM_WRAP_IV_LEN], pt[40], ct[40 + HSM_WRAP_TAG_LEN], out[40], zero[40];

	memset(zero, 0, sizeof(zero));
	key_make(pt, sizeof(pt), 5);
	assert_int_eq(hsm_random(fx.w.sess, iv, sizeof(iv)), 0);
	assert_int_eq(hsm_wrap_encrypt(fx.w.sess, iv, (const uint8_t *)"aad", 3, pt,
	    sizeof(pt), ct), 0);
	assert_int_eq(hsm_wrap_decrypt(fx.w.sess, iv, (const uint8_t *)"aad", 3, ct,
	    sizeof(ct), out), 0);
	assert_mem_eq(out, pt, sizeof(pt));
	memset(out, 0xee, sizeof(out));
	assert_int_eq(hsm_wrap_decrypt(fx.w.sess, iv, (const uint8_t *)"aaD", 3, ct,
	    sizeof(ct), out), PCA_ERR_BAD_SIGNATURE);
	assert_mem_eq(out, zero, sizeof(out));
	iv[0] ^= 1;
	assert_int_eq(hsm_wrap_decrypt(fx.w.sess, iv, (const uint8_t *)"aad", 3, ct,
	    sizeof(ct), out), PCA_ERR_BAD_SIGNATURE);
	assert_true(hsm_is_up(fx.signer.hsm));
}

/* ------------------------------------------------------------------ */
/* reopen and failures underneath */

static void
test_reopen(void)
{
	fx_reopen();
	/* found at open: no token call needed to know it */
	assert_int_eq(hsm_wrap_key_ensure(fx.w.sess, 0), 0);
	opens_to(fx.kept, sizeof(fx.kept), arn, strlen(arn), fx.kept_key, sizeof(fx.kept_key));
	assert_int_eq(wrap_key_count(), 1);
}

static void
test_session_recover(void)
{
	CK_SESSION_HANDLE h;
	uint8_t key[32], *blob;
	size_t blob_len;

	raw_load();
	/* every session closed, which also logs the application out */
	assert_int_eq(fx.raw->C_CloseAllSessions(raw_slot()), CKR_OK);
	opens_to(fx.kept, sizeof(fx.kept), arn, strlen(arn), fx.kept_key, sizeof(fx.kept_key));
	/* logged out underneath: the key is invisible until the login comes back;
	 * no second key is made meanwhile */
	h = raw_session();
	assert_int_eq(fx.raw->C_Logout(h), CKR_OK);
	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);
	key_make(key, sizeof(key), 21);
	assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &blob, &blob_len), 0);
	opens_to(blob, blob_len, arn, strlen(arn), key, sizeof(key));
	free(blob);
	assert_true(hsm_is_up(fx.signer.hsm));
	assert_int_eq(wrap_key_count(), 1);
}

static void
test_device_recover(void)
{
	uint8_t key[32], out[SIGNER_DATA_KEY_MAX], *blob;
	size_t blob_len, out_len;

	raw_load();
	key_make(key, sizeof(key), 23);
	/* the module forgets everything: CKR_CRYPTOKI_NOT_INITIALIZED */
	assert_int_eq(fx.raw->C_Finalize(NULL), CKR_OK);
	assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &blob, &blob_len),
	    PCA_ERR_TOKEN_RETRY);
	assert_false(hsm_is_up(fx.signer.hsm));
	/* refused before the handler while the token is down */
	assert_int_eq(unwrap(fx.kept, sizeof(fx.kept), arn, strlen(arn), out, &out_len),
	    PCA_ERR_TOKEN_RETRY);
	assert_int_eq(hsm_recover(fx.signer.hsm), 0);
	opens_to(fx.kept, sizeof(fx.kept), arn, strlen(arn), fx.kept_key, sizeof(fx.kept_key));
	assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &blob, &blob_len), 0);
	opens_to(blob, blob_len, arn, strlen(arn), key, sizeof(key));
	free(blob);
	assert_int_eq(wrap_key_count(), 1);
}

/* ------------------------------------------------------------------ */
/* other objects under the label */

static void
test_ambiguous_key(void)
{
	CK_SESSION_HANDLE h;
	uint8_t key[32], out[SIGNER_DATA_KEY_MAX], *blob = NULL;
	size_t blob_len, out_len;

	key_make(key, sizeof(key), 31);
	h = raw_session();
	raw_aes_key(h, CK_TRUE, CK_FALSE);
	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);
	/* two keys under one label: which one wraps is anybody's guess */
	fx_reopen();
	assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &blob, &blob_len), PCA_ERR_TOKEN);
	assert_ptr_null(blob);
	assert_int_eq(unwrap(fx.kept, sizeof(fx.kept), arn, strlen(arn), out, &out_len),
	    PCA_ERR_TOKEN);
	assert_int_eq(wrap_key_count(), 2);		/* and no third one */
	/* the operator removes the extra one: used again, no restart needed */
	raw_rogue_destroy();
	opens_to(fx.kept, sizeof(fx.kept), arn, strlen(arn), fx.kept_key, sizeof(fx.kept_key));
	assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &blob, &blob_len), 0);
	free(blob);
	assert_int_eq(wrap_key_count(), 1);
}

/* a key that could leave the token is not used, nor replaced (last: it
 * destroys the real key) */
static void
test_weak_key(void)
{
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE k;
	uint8_t key[32], out[SIGNER_DATA_KEY_MAX], *blob = NULL;
	size_t blob_len, out_len;

	key_make(key, sizeof(key), 41);
	h = raw_session();
	assert_int_eq(raw_wrap_keys(h, &k, 1), 1);
	assert_int_eq(fx.raw->C_DestroyObject(h, k), CKR_OK);
	raw_aes_key(h, CK_FALSE, CK_TRUE);
	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);
	fx_reopen();
	assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &blob, &blob_len), PCA_ERR_TOKEN);
	assert_int_eq(unwrap(fx.kept, sizeof(fx.kept), arn, strlen(arn), out, &out_len),
	    PCA_ERR_TOKEN);
	assert_int_eq(wrap_key_count(), 1);
	/* removed: the next wrap makes a proper key; old blobs are lost with
	 * the key they were made under */
	raw_rogue_destroy();
	assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &blob, &blob_len), 0);
	opens_to(blob, blob_len, arn, strlen(arn), key, sizeof(key));
	assert_int_eq(unwrap(fx.kept, sizeof(fx.kept), arn, strlen(arn), out, &out_len),
	    PCA_ERR_BAD_SIGNATURE);
	free(blob);
	assert_int_eq(wrap_key_count(), 1);
	h = raw_session();
	assert_int_eq(raw_wrap_keys(h, &k, 1), 1);
	assert_int_eq(raw_bool(h, k, CKA_EXTRACTABLE), CK_FALSE);
	assert_int_eq(fx.raw->C_CloseSession(h), CKR_OK);
}

/* ------------------------------------------------------------------ */
/* through the frontend's client */

#define SERVE_N		4

struct server {
	int		 sock;
	int		 served;
};

/* what pca-signer's workers do, for SERVE_N requests */
static void *
server_run(void *arg)
{
	struct server *sv = arg;
	struct wire_req wr;
	uint8_t *out;
	size_t out_len;

	for (sv->served = 0; sv->served < SERVE_N; sv->served++) {
		if (wire_server_recv(sv->sock, &wr) != 0)
			break;
		if (signer_handle(&fx.w, wr.body, wr.len, &out, &out_len) == 0) {
			if (wire_server_send(sv->sock, &wr, out, out_len) != 0)
				test_diag("server: send failed");
			free_wiped(out, out_len);
		}
		wire_req_free(&wr);
	}
	return NULL;
}

static void
test_client(void)
{
	struct signer_conn *c = NULL;
	struct server sv;
	pthread_t th;
	uint8_t key[48], out[SIGNER_DATA_KEY_MAX], *blob = NULL;
	size_t blob_len = 0, out_len = 0;
	char url[600], why[256], label[SIGNER_WRAP_LABEL_MAX];

	key_make(key, sizeof(key), 51);
	memset(&sv, 0, sizeof(sv));
	snprintf(url, sizeof(url), "ipc://%s/signer.sock", test_tmpdir());
	assert_int_eq(wire_server_open(url, SIGNER_MAX_MESSAGE, &sv.sock), 0);
	assert_int_eq(pthread_create(&th, NULL, server_run, &sv), 0);
	assert_int_eq(signer_conn_open(url, 5000, &c), 0);

	assert_int_eq(signer_client_wrap_data_key(c, key, sizeof(key), (const uint8_t *)arn,
	    strlen(arn), &blob, &blob_len, label, sizeof(label), why, sizeof(why)), 0);
	assert_str_eq(label, HSM_WRAP_KEY_LABEL);
	assert_int_eq(blob_len, OVERHEAD + sizeof(key));
	assert_int_eq(signer_client_unwrap_data_key(c, blob, blob_len, (const uint8_t *)arn,
	    strlen(arn), out, sizeof(out), &out_len, why, sizeof(why)), 0);
	assert_int_eq(out_len, sizeof(key));
	assert_mem_eq(out, key, sizeof(key));
	explicit_bzero(out, sizeof(out));
	assert_int_eq(signer_client_unwrap_data_key(c, blob, blob_len, (const uint8_t *)arn2,
	    strlen(arn2), out, sizeof(out), &out_len, why, sizeof(why)), PCA_ERR_BAD_SIGNATURE);
	assert_str_contains(why, "does not open");
	assert_int_eq(out_len, 0);
	/* no room for the key: refused, nothing copied */
	assert_int_eq(signer_client_unwrap_data_key(c, blob, blob_len, (const uint8_t *)arn,
	    strlen(arn), out, 16, &out_len, why, sizeof(why)), PCA_ERR_INTERNAL);
	assert_int_eq(out_len, 0);
	pthread_join(th, NULL);
	assert_int_eq(sv.served, SERVE_N);
	free(blob);
	signer_conn_close(c);
	wire_close(sv.sock);
}

static void
test_rates(void)
{
	uint8_t key[32], out[SIGNER_DATA_KEY_MAX], *blob;
	size_t blob_len, out_len;
	double t0 = now_s(), t;
	int n = 0;

	key_make(key, sizeof(key), 61);
	do {
		assert_int_eq(wrap(key, sizeof(key), arn, strlen(arn), &blob, &blob_len), 0);
		assert_int_eq(unwrap(blob, blob_len, arn, strlen(arn), out, &out_len), 0);
		free(blob);
		n++;
	} while ((t = now_s() - t0) < 1.0);
	test_diag("wrap + unwrap through signer_handle: %.0f pairs/s", n / t);
}

static void
test_close(void)
{
	hsm_session_close(fx.w.sess);
	fx.w.sess = NULL;
	hsm_close(fx.signer.hsm);
	fx.signer.hsm = NULL;
}

int
main(void)
{
	test_run("wrap/token_init", test_token_init);
	test_run("wrap/no_key_yet", test_no_key_yet);
	test_run("wrap/concurrent_first_use", test_concurrent_first_use);
	test_run("wrap/key_attributes", test_key_attributes);
	test_run("wrap/round_trip", test_round_trip);
	test_run("wrap/wrong_context", test_wrong_context);
	test_run("wrap/tampered", test_tampered);
	test_run("wrap/sizes", test_sizes);
	test_run("wrap/hsm_layer", test_hsm_layer);
	test_run("wrap/reopen", test_reopen);
	test_run("wrap/session_recover", test_session_recover);
	test_run("wrap/device_recover", test_device_recover);
	test_run("wrap/ambiguous_key", test_ambiguous_key);
	test_run("wrap/client", test_client);
	test_run("wrap/rates", test_rates);
	test_run("wrap/weak_key", test_weak_key);
	test_run("wrap/close", test_close);

	/* after hsm_close(): p11-kit has unloaded its reference */
	hsm_session_close(fx.w.sess);
	hsm_close(fx.signer.hsm);
	if (fx.dl != NULL)
		dlclose(fx.dl);
	return test_done();
}
