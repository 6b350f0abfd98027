/*
 * hsm.c - the PKCS#11 token, reached through p11-kit (see hsm.h).
 *
 * Locks, in the order they are taken:
 *   keygen_lock	serializes key generation and destruction (SoftHSM2
 *			2.6.1 corrupts its object store when two threads create
 *			or delete objects at once), and finding or making the
 *			wrapping key; signing never takes it.
 *   call_lock		rwlock: every token call holds it shared, so signing
 *			stays parallel; hsm_recover() holds it exclusively
 *			around C_Finalize/C_Initialize, because PKCS#11 leaves
 *			C_Finalize undefined while other threads are inside
 *			the module.
 *   anchor_lock	the anchor session (repair, key table reload): a
 *			PKCS#11 session must not run two find operations at
 *			once.
 *   keys_lock		rwlock over the key table and the handles in it,
 *			the wrapping key's too.
 *
 * Sessions of a previous module generation are dropped, never closed: after
 * C_Finalize their handle numbers may belong to someone else.
 */
#include "hsm.h"
#include "clock.h"
#include "log.h"
#include "wipe.h"
#include "x509util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#define HSM_LABEL_PREFIX	"hsmca-ca-"
#define HSM_LABEL_LEN		(sizeof(HSM_LABEL_PREFIX) - 1 + 2 * HSM_KEY_ID_LEN)
#define HSM_FIND_BATCH		64
#define HSM_SIG_MAX		512		/* RSA 4096 */
#define HSM_BACKOFF_MIN_MS	250
#define HSM_BACKOFF_MAX_MS	30000
#define SECRET_FILE_MAX		4096
#define TOKEN_LABEL_LEN		32		/* CK_TOKEN_INFO.label */

struct hsm_key {
	uint8_t			 id[HSM_KEY_ID_LEN];
	enum hsm_key_alg	 alg;
	EVP_PKEY		*pub;
	uint8_t			*spki;		/* DER SubjectPublicKeyInfo of pub */
	size_t			 spki_len;
	size_t			 sig_len;	/* raw C_Sign answer */
	/* guarded by hsm->keys_lock: handles change after a reconnect */
	CK_OBJECT_HANDLE	 priv_h;
	CK_OBJECT_HANDLE	 pub_h;
	int			 destroyed;
};

struct hsm {
	CK_FUNCTION_LIST	*p11;
	P11KitUri		*uri;		/* token match, kept for recover */
	char			*pin_path;	/* re-read at every login */
	char			*pin_value;	/* from the URI; wiped at close */
	char			 label[TOKEN_LABEL_LEN + 1];
	CK_ULONG		 max_rw_sessions;

	pthread_mutex_t		 keygen_lock;
	pthread_rwlock_t	 call_lock;
	pthread_mutex_t		 anchor_lock;
	pthread_rwlock_t	 keys_lock;

	/* written only under call_lock held exclusively (or before the hsm
	 * is shared), read under call_lock shared */
	int			 initialized;	/* we owe the module a C_Finalize */
	CK_SLOT_ID		 slot;
	CK_SESSION_HANDLE	 anchor;	/* anchor_lock for repair */
	uint64_t		 retry_at_ns;
	unsigned		 backoff_ms;

	atomic_uint		 generation;	/* bumped by every re-initialize */
	atomic_int		 up;
	atomic_int		 nsessions;

	struct hsm_key		**keys;		/* keys_lock */
	size_t			 nkeys, keys_cap;
	CK_OBJECT_HANDLE	 wrap_h;	/* keys_lock; the data-key wrapping
						 * key, CK_INVALID_HANDLE: none
						 * (usable) found yet */
};

struct hsm_session {
	struct hsm		*hsm;
	CK_SESSION_HANDLE	 h;
	unsigned		 generation;
};

/* Key algorithms are data: generation templates, checks and sizes. */
static const uint8_t oid_p256[] = {	/* 1.2.840.10045.3.1.7 */
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = {	/* 1.3.132.0.34 */
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

static const struct key_alg {
	enum hsm_key_alg	 alg;
	const char		*name;
	CK_KEY_TYPE		 type;
	CK_ULONG		 bits;		/* RSA modulus or EC field */
	const uint8_t		*ec_oid;
	size_t			 ec_oid_len;
	const char		*group;		/* OpenSSL group name */
} key_algs[] = {
	{ HSM_KEY_RSA_2048, "RSA_2048", CKK_RSA, 2048, NULL, 0, NULL },
	{ HSM_KEY_RSA_3072, "RSA_3072", CKK_RSA, 3072, NULL, 0, NULL },
	{ HSM_KEY_RSA_4096, "RSA_4096", CKK_RSA, 4096, NULL, 0, NULL },
	{ HSM_KEY_EC_P256, "EC_P256", CKK_EC, 256, oid_p256, sizeof(oid_p256),
	    "prime256v1" },
	{ HSM_KEY_EC_P384, "EC_P384", CKK_EC, 384, oid_p384, sizeof(oid_p384),
	    "secp384r1" },
};

/* DER DigestInfo prefixes for CKM_RSA_PKCS (RFC 8017 9.2 note 1). We hash
 * here rather than use CKM_SHA*_RSA_PKCS: measured on SoftHSM2 2.6.1 it is
 * a little faster for certificates and twice as fast for 200 KB CRLs, and
 * only the digest crosses into the module (which matters for network
 * HSMs). */
static const uint8_t di_sha256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
static const uint8_t di_sha384[] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 };
static const uint8_t di_sha512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 };

static const struct md_info {
	int			 nid;
	const uint8_t		*prefix;
	size_t			 prefix_len;
} md_infos[] = {
	{ NID_sha256, di_sha256, sizeof(di_sha256) },
	{ NID_sha384, di_sha384, sizeof(di_sha384) },
	{ NID_sha512, di_sha512, sizeof(di_sha512) },
};

static const struct key_alg *
key_alg_lookup(enum hsm_key_alg alg)
{
	for (size_t i = 0; i < sizeof(key_algs) / sizeof(key_algs[0]); i++)
		if (key_algs[i].alg == alg)
			return &key_algs[i];
	return NULL;
}

static const struct md_info *
md_info_lookup(int nid)
{
	for (size_t i = 0; i < sizeof(md_infos) / sizeof(md_infos[0]); i++)
		if (md_infos[i].nid == nid)
			return &md_infos[i];
	return NULL;
}

static void
id_hex(const uint8_t *id, char out[2 * HSM_KEY_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < HSM_KEY_ID_LEN; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 0x0f];
	}
	out[2 * HSM_KEY_ID_LEN] = '\0';
}

static void
key_label(const uint8_t *id, char out[HSM_LABEL_LEN + 1])
{
	char hex[2 * HSM_KEY_ID_LEN + 1];

	id_hex(id, hex);
	snprintf(out, HSM_LABEL_LEN + 1, "%s%s", HSM_LABEL_PREFIX, hex);
}

/*
 * Error classes. Session errors are repaired and the call retried once;
 * device errors take the whole hsm down until hsm_recover(); everything else
 * fails this request only. CKR_OPERATION_ACTIVE counts as a session error:
 * a fresh session has no operation left over from an interrupted call.
 * CKR_SESSION_COUNT is retryable but not a device failure: re-initializing
 * would close every session and make it worse.
 */
enum rv_class { RV_OK, RV_SESSION, RV_DEVICE, RV_BUSY, RV_OP };

static enum rv_class
rv_class(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
		return RV_OK;
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_OBJECT_HANDLE_INVALID:
	case CKR_KEY_HANDLE_INVALID:
	case CKR_USER_NOT_LOGGED_IN:
	case CKR_OPERATION_ACTIVE:
		return RV_SESSION;
	case CKR_DEVICE_ERROR:
	case CKR_DEVICE_REMOVED:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_CRYPTOKI_NOT_INITIALIZED:
	case CKR_GENERAL_ERROR:
		return RV_DEVICE;
	case CKR_SESSION_COUNT:
		return RV_BUSY;
	default:
		return RV_OP;
	}
}

/* Log lines name the function that made the call, not these helpers. */
#define hsm_down_mark(hsm, what, rv) hsm_down_mark_at(hsm, __func__, what, rv)
#define rv_err(hsm, what, rv) rv_err_at(hsm, __func__, what, rv)

static void
hsm_down_mark_at(struct hsm *hsm, const char *func, const char *what, CK_RV rv)
{
	if (atomic_exchange(&hsm->up, 0))
		pca_log(LOG_ERR, func, NULL, "token %s down after %s: %s",
		    hsm->label, what, p11_kit_strerror(rv));
}

/* Map a final (not retried) token answer to our error, logging it. */
static int
rv_err_at(struct hsm *hsm, const char *func, const char *what, CK_RV rv)
{
	switch (rv_class(rv)) {
	case RV_OK:
		return 0;
	case RV_DEVICE:
		hsm_down_mark_at(hsm, func, what, rv);
		return PCA_ERR_TOKEN_RETRY;
	case RV_BUSY:
		pca_log(LOG_WARNING, func, NULL, "%s: %s", what,
		    p11_kit_strerror(rv));
		return PCA_ERR_TOKEN_RETRY;
	case RV_SESSION:
	case RV_OP:
		break;
	}
	pca_log(LOG_ERR, func, NULL, "%s: %s", what, p11_kit_strerror(rv));
	switch (rv) {
	case CKR_HOST_MEMORY:
		return PCA_ERR_NOMEM;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_LOCKED:
	case CKR_PIN_EXPIRED:
	case CKR_PIN_LEN_RANGE:
		return PCA_ERR_AUTH;
	default:
		return PCA_ERR_TOKEN;
	}
}

/* ------------------------------------------------------------------ */
/* Secret files */

int
secret_file_read(const char *path, char **out)
{
	uint8_t buf[SECRET_FILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	char *s = NULL;
	int fd = -1, saved, r = PCA_ERR_INTERNAL;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	return_val_if_fail(path != NULL, PCA_ERR_INTERNAL);

	/* O_NONBLOCK: a FIFO planted at path must not hang the open */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		saved = errno;		/* the log call may change errno */
		log_error("open %s: %s", path, strerror(saved));
		r = saved == ENOENT || saved == EACCES ? PCA_ERR_CONFIG : PCA_ERR_IO;
		goto out;
	}
	/* fstat the open file: no window between the check and the read */
	if (fstat(fd, &st) == -1) {
		log_error("fstat %s: %s", path, strerror(errno));
		r = PCA_ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file", path);
		r = PCA_ERR_CONFIG;
		goto out;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		log_error("%s: mode %04o owner %u refused: want 0600 or "
		    "stricter, owned by uid %u", path,
		    (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
		    (unsigned)geteuid());
		r = PCA_ERR_PERM;
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_error("read %s: %s", path, strerror(errno));
			r = PCA_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf)) {
			log_error("%s: longer than %d bytes", path,
			    SECRET_FILE_MAX);
			r = PCA_ERR_CONFIG;
			goto out;
		}
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0) {
		log_error("%s: empty", path);
		r = PCA_ERR_CONFIG;
		goto out;
	}
	/* never echo the bytes: they are (part of) the secret */
	if (memchr(buf, '\0', len) != NULL || memchr(buf, '\n', len) != NULL ||
	    memchr(buf, '\r', len) != NULL) {
		log_error("%s: NUL, CR or more than one line refused", path);
		r = PCA_ERR_CONFIG;
		goto out;
	}
	if ((s = malloc(len + 1)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	memcpy(s, buf, len);
	s[len] = '\0';
	*out = s;
	r = 0;
 out:
	explicit_bzero(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return r;
}

/* ------------------------------------------------------------------ */
/* Module and slot */

/* Managed p11-kit modules pass their own CKF_OS_LOCKING_OK arguments to the
 * module and refcount C_Initialize/C_Finalize between callers in one
 * process; ours say the same thing for unmanaged setups. */
static CK_RV
module_initialize(CK_FUNCTION_LIST *p11)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = p11->C_Initialize(&args);
	if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED)
		rv = CKR_OK;
	return rv;
}

static int
module_load(const char *path, const char *name, CK_FUNCTION_LIST **out)
{
	CK_FUNCTION_LIST **mods = NULL, *found = NULL;
	char *mname;
	int r = PCA_ERR_INTERNAL;

	*out = NULL;
	if (path != NULL) {
		if ((found = p11_kit_module_load(path, 0)) == NULL) {
			log_error("load module %s: %s", path,
			    p11_kit_message() != NULL ? p11_kit_message() : "?");
			r = PCA_ERR_CONFIG;
			goto out;
		}
	} else {
		if ((mods = p11_kit_modules_load(NULL, 0)) == NULL) {
			log_error("load configured modules: %s",
			    p11_kit_message() != NULL ? p11_kit_message() : "?");
			r = PCA_ERR_CONFIG;
			goto out;
		}
		for (size_t i = 0; mods[i] != NULL; i++) {
			mname = p11_kit_module_get_name(mods[i]);
			if (found == NULL && mname != NULL &&
			    strcmp(mname, name) == 0)
				found = mods[i];
			else
				p11_kit_module_release(mods[i]);
			free(mname);
		}
		if (found == NULL) {
			log_error("no configured module named %s", name);
			r = PCA_ERR_CONFIG;
			goto out;
		}
	}
	*out = found;
	r = 0;
 out:
	free(mods);		/* the array only; its modules are released */
	return r;
}

static void
token_label_copy(const CK_TOKEN_INFO *ti, char out[TOKEN_LABEL_LEN + 1])
{
	size_t n = TOKEN_LABEL_LEN;

	memcpy(out, ti->label, TOKEN_LABEL_LEN);
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static CK_RV
slot_list_get(CK_FUNCTION_LIST *p11, CK_SLOT_ID **out, CK_ULONG *nout)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0;
	CK_RV rv;

	*out = NULL;
	*nout = 0;
	/* the list can grow between the two calls */
	for (;;) {
		if ((rv = p11->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK)
			break;
		free(slots);
		if ((slots = calloc(n + 1, sizeof(*slots))) == NULL) {
			rv = CKR_HOST_MEMORY;
			break;
		}
		rv = p11->C_GetSlotList(CK_TRUE, slots, &n);
		if (rv != CKR_BUFFER_TOO_SMALL)
			break;
	}
	if (rv != CKR_OK) {
		free(slots);
		return rv;
	}
	*out = slots;
	*nout = n;
	return CKR_OK;
}

/* The one initialized token matching hsm->uri. */
static int
slot_find(struct hsm *hsm)
{
	CK_SLOT_ID *slots = NULL, want_id;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_INFO info;
	CK_ULONG n = 0, max_rw = 0;
	size_t matches = 0;
	CK_SLOT_ID slot = 0;
	char label[TOKEN_LABEL_LEN + 1];
	CK_RV rv;
	int r = PCA_ERR_INTERNAL;

	if ((rv = hsm->p11->C_GetInfo(&info)) != CKR_OK) {
		r = rv_err(hsm, "C_GetInfo", rv);
		goto out;
	}
	if (!p11_kit_uri_match_module_info(hsm->uri, &info)) {
		log_error("module does not match the URI's library attributes");
		r = PCA_ERR_NOT_FOUND;
		goto out;
	}
	if ((rv = slot_list_get(hsm->p11, &slots, &n)) != CKR_OK) {
		r = rv_err(hsm, "C_GetSlotList", rv);
		goto out;
	}
	want_id = p11_kit_uri_get_slot_id(hsm->uri);
	for (CK_ULONG i = 0; i < n; i++) {
		if (want_id != (CK_SLOT_ID)-1 && slots[i] != want_id)
			continue;
		if (hsm->p11->C_GetSlotInfo(slots[i], &si) != CKR_OK ||
		    !p11_kit_uri_match_slot_info(hsm->uri, &si))
			continue;
		if (hsm->p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    (ti.flags & CKF_TOKEN_INITIALIZED) == 0 ||
		    !p11_kit_uri_match_token_info(hsm->uri, &ti))
			continue;
		if (matches++ == 0) {
			slot = slots[i];
			token_label_copy(&ti, label);
			max_rw = ti.ulMaxRwSessionCount;
		}
	}
	if (matches == 0) {
		log_error("no initialized token matches the URI");
		r = PCA_ERR_NOT_FOUND;
		goto out;
	}
	if (matches > 1) {
		/* a CA must know which token holds its keys */
		log_error("%zu tokens match the URI; name one with token=",
		    matches);
		r = PCA_ERR_CONFIG;
		goto out;
	}
	/* slot ids may change across C_Initialize; the label and limits are
	 * the token's and are set once, since other threads read them
	 * without locks */
	hsm->slot = slot;
	if (hsm->label[0] == '\0') {
		memcpy(hsm->label, label, sizeof(hsm->label));
		hsm->max_rw_sessions = max_rw;
	} else if (strcmp(hsm->label, label) != 0) {
		log_error("token %s answers as %s now", hsm->label, label);
		r = PCA_ERR_TOKEN;
		goto out;
	}
	r = 0;
 out:
	free(slots);
	return r;
}

/* ------------------------------------------------------------------ */
/* Login and the anchor session */

static int
pin_get(struct hsm *hsm, char **pin)
{
	*pin = NULL;
	if (hsm->pin_path != NULL)
		return secret_file_read(hsm->pin_path, pin);
	if ((*pin = strdup(hsm->pin_value)) == NULL)
		return PCA_ERR_NOMEM;
	return 0;
}

/*
 * Log in as the user on session h. Login state belongs to the token and the
 * application, not to the session, so CKR_USER_ALREADY_LOGGED_IN is success.
 * The PIN is read for this call and wiped right after C_Login.
 */
static int
hsm_login(struct hsm *hsm, CK_SESSION_HANDLE h)
{
	char *pin = NULL;
	CK_RV rv;
	int r;

	if ((r = pin_get(hsm, &pin)) != 0)
		return r;
	rv = hsm->p11->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pin,
	    (CK_ULONG)strlen(pin));
	str_free_wiped(pin);
	if (rv == CKR_USER_ALREADY_LOGGED_IN)
		rv = CKR_OK;
	return rv_err(hsm, "C_Login", rv);
}

/* Make sure the anchor session exists and is logged in. anchor_lock held
 * (or the hsm not shared yet). */
static int
anchor_ensure(struct hsm *hsm)
{
	CK_SESSION_INFO info;
	CK_SESSION_HANDLE h;
	CK_RV rv;

	if (hsm->anchor != CK_INVALID_HANDLE) {
		rv = hsm->p11->C_GetSessionInfo(hsm->anchor, &info);
		if (rv == CKR_OK && (info.state == CKS_RW_USER_FUNCTIONS ||
		    info.state == CKS_RO_USER_FUNCTIONS))
			return 0;
		if (rv == CKR_OK)	/* alive but logged out underneath */
			return hsm_login(hsm, hsm->anchor);
		if (rv != CKR_SESSION_HANDLE_INVALID && rv != CKR_SESSION_CLOSED)
			return rv_err(hsm, "C_GetSessionInfo", rv);
		log_warn("anchor session of token %s is gone; reopening",
		    hsm->label);
		hsm->anchor = CK_INVALID_HANDLE;	/* dropped, not closed */
	}
	rv = hsm->p11->C_OpenSession(hsm->slot,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h);
	if (rv != CKR_OK)
		return rv_err(hsm, "C_OpenSession", rv);
	hsm->anchor = h;
	return hsm_login(hsm, h);
}

/* ------------------------------------------------------------------ */
/* Objects and public keys */

static CK_RV
objects_find(struct hsm *hsm, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl,
    CK_ULONG ntmpl, CK_OBJECT_HANDLE **out, size_t *nout)
{
	CK_OBJECT_HANDLE batch[HSM_FIND_BATCH], *all = NULL, *tmp;
	CK_ULONG got;
	size_t n = 0;
	CK_RV rv, rv_final;

	*out = NULL;
	*nout = 0;
	if ((rv = hsm->p11->C_FindObjectsInit(h, tmpl, ntmpl)) != CKR_OK)
		return rv;
	for (;;) {
		rv = hsm->p11->C_FindObjects(h, batch, HSM_FIND_BATCH, &got);
		if (rv != CKR_OK || got == 0)
			break;
		if ((tmp = reallocarray(all, n + got, sizeof(*all))) == NULL) {
			rv = CKR_HOST_MEMORY;
			break;
		}
		all = tmp;
		memcpy(all + n, batch, got * sizeof(*all));
		n += got;
	}
	rv_final = hsm->p11->C_FindObjectsFinal(h);
	if (rv == CKR_OK)
		rv = rv_final;
	if (rv != CKR_OK) {
		free(all);
		return rv;
	}
	*out = all;
	*nout = n;
	return CKR_OK;
}

/* One attribute of unknown length, malloc'd. */
static CK_RV
attr_get(struct hsm *hsm, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
    CK_ATTRIBUTE_TYPE type, uint8_t **out, size_t *outlen)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	uint8_t *buf;
	CK_RV rv;

	*out = NULL;
	*outlen = 0;
	if ((rv = hsm->p11->C_GetAttributeValue(h, obj, &a, 1)) != CKR_OK)
		return rv;
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > 65536)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if ((buf = malloc(a.ulValueLen + 1)) == NULL)
		return CKR_HOST_MEMORY;
	a.pValue = buf;
	if ((rv = hsm->p11->C_GetAttributeValue(h, obj, &a, 1)) != CKR_OK) {
		free(buf);
		return rv;
	}
	*out = buf;
	*outlen = a.ulValueLen;
	return CKR_OK;
}

static int
pub_rsa_build(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
    EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *ossl_params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	int r = PCA_ERR_CRYPTO;

	*out = NULL;
	if ((bn_n = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (bn_e = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
	    (ossl_params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, ossl_params) <= 0)
		goto out;
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(ossl_params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return r;
}

static int
pub_ec_build(const char *group, const uint8_t *pt, size_t ptlen,
    EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *ossl_params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r = PCA_ERR_CRYPTO;

	*out = NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pt, ptlen) ||
	    (ossl_params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, ossl_params) <= 0)
		goto out;
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(ossl_params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/*
 * Read the public half of a key pair into an EVP_PKEY and tell which of our
 * algorithms it is. Returns a CK_RV for token failures; *skip is set when
 * the object is readable but not a key we can use (logged).
 */
static CK_RV
pub_read(struct hsm *hsm, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
    const char *label, const struct key_alg **algp, EVP_PKEY **out, int *skip)
{
	CK_KEY_TYPE type;
	CK_ATTRIBUTE ta = { CKA_KEY_TYPE, &type, sizeof(type) };
	uint8_t *a = NULL, *b = NULL;
	const uint8_t *pt, *der;
	size_t alen = 0, blen = 0, ptlen;
	ASN1_OCTET_STRING *os = NULL;
	const struct key_alg *ka = NULL;
	EVP_PKEY *pub = NULL;
	CK_RV rv;

	*out = NULL;
	*algp = NULL;
	*skip = 1;
	if ((rv = hsm->p11->C_GetAttributeValue(h, obj, &ta, 1)) != CKR_OK)
		goto out;
	if (type == CKK_RSA) {
		if ((rv = attr_get(hsm, h, obj, CKA_MODULUS, &a, &alen)) != CKR_OK ||
		    (rv = attr_get(hsm, h, obj, CKA_PUBLIC_EXPONENT, &b,
		    &blen)) != CKR_OK)
			goto out;
		if (pub_rsa_build(a, alen, b, blen, &pub) != 0) {
			log_error("%s: unusable RSA public key", label);
			goto out;
		}
		for (size_t i = 0; i < sizeof(key_algs) / sizeof(key_algs[0]); i++)
			if (key_algs[i].type == CKK_RSA &&
			    (int)key_algs[i].bits == EVP_PKEY_get_bits(pub))
				ka = &key_algs[i];
	} else if (type == CKK_EC) {
		if ((rv = attr_get(hsm, h, obj, CKA_EC_PARAMS, &a, &alen)) != CKR_OK ||
		    (rv = attr_get(hsm, h, obj, CKA_EC_POINT, &b, &blen)) != CKR_OK)
			goto out;
		for (size_t i = 0; i < sizeof(key_algs) / sizeof(key_algs[0]); i++)
			if (key_algs[i].type == CKK_EC &&
			    key_algs[i].ec_oid_len == alen &&
			    memcmp(key_algs[i].ec_oid, a, alen) == 0)
				ka = &key_algs[i];
		if (ka == NULL) {
			log_error("%s: EC curve not supported", label);
			goto out;
		}
		/* PKCS#11 2.20 on (and SoftHSM2) wrap the point in a DER OCTET
		 * STRING; some older tokens answer the bare point */
		ptlen = 2 * ((ka->bits + 7) / 8) + 1;
		der = b;
		if (blen == ptlen && b[0] == POINT_CONVERSION_UNCOMPRESSED) {
			pt = b;
		} else if ((os = d2i_ASN1_OCTET_STRING(NULL, &der,
		    (long)blen)) != NULL && der == b + blen &&
		    (size_t)ASN1_STRING_length(os) == ptlen) {
			pt = ASN1_STRING_get0_data(os);
		} else {
			log_error("%s: malformed CKA_EC_POINT", label);
			goto out;
		}
		if (pub_ec_build(ka->group, pt, ptlen, &pub) != 0) {
			log_error("%s: unusable EC public key", label);
			goto out;
		}
	} else {
		log_error("%s: key type %lu not supported", label,
		    (unsigned long)type);
		goto out;
	}
	if (ka == NULL) {
		log_error("%s: RSA size %d not supported", label,
		    EVP_PKEY_get_bits(pub));
		goto out;
	}
	*algp = ka;
	*out = pub;
	pub = NULL;
	*skip = 0;
 out:
	ASN1_OCTET_STRING_free(os);
	EVP_PKEY_free(pub);
	free(a);
	free(b);
	return rv;
}

static size_t
sig_len_for(const struct key_alg *ka)
{
	if (ka->type == CKK_RSA)
		return ka->bits / 8;
	return 2 * ((ka->bits + 7) / 8);
}

/* ------------------------------------------------------------------ */
/* The key table */

static struct hsm_key *
keys_find_locked(struct hsm *hsm, const uint8_t *id)
{
	for (size_t i = 0; i < hsm->nkeys; i++)
		if (!hsm->keys[i]->destroyed &&
		    memcmp(hsm->keys[i]->id, id, HSM_KEY_ID_LEN) == 0)
			return hsm->keys[i];
	return NULL;
}

static int
keys_add_locked(struct hsm *hsm, struct hsm_key *k)
{
	struct hsm_key **tmp;
	size_t cap;

	if (hsm->nkeys == hsm->keys_cap) {
		cap = hsm->keys_cap == 0 ? 16 : 2 * hsm->keys_cap;
		if ((tmp = reallocarray(hsm->keys, cap, sizeof(*tmp))) == NULL)
			return PCA_ERR_NOMEM;
		hsm->keys = tmp;
		hsm->keys_cap = cap;
	}
	hsm->keys[hsm->nkeys++] = k;
	return 0;
}

static void
key_free(struct hsm_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pub);
	free(k->spki);
	free(k);
}

/*
 * A table entry for a key pair read from the token: takes pub. The DER
 * SubjectPublicKeyInfo is encoded here, once per key: OpenSSL 3.0's
 * encoder costs ~100 us, and the signer compares keys by these bytes on
 * every request.
 */
static CK_RV
key_new(const uint8_t *id, const struct key_alg *ka, EVP_PKEY **pub,
    CK_OBJECT_HANDLE priv_h, CK_OBJECT_HANDLE pub_h, struct hsm_key **out)
{
	struct hsm_key *k;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return CKR_HOST_MEMORY;
	if (x509_pkey_to_spki(*pub, &k->spki, &k->spki_len) != 0) {
		free(k);
		return CKR_HOST_MEMORY;
	}
	memcpy(k->id, id, HSM_KEY_ID_LEN);
	k->alg = ka->alg;
	k->sig_len = sig_len_for(ka);
	k->pub = *pub;
	*pub = NULL;
	k->priv_h = priv_h;
	k->pub_h = pub_h;
	*out = k;
	return CKR_OK;
}

/* One of our objects found on the token, before it joins the table. */
struct key_found {
	uint8_t			 id[HSM_KEY_ID_LEN];
	CK_OBJECT_HANDLE	 h;
};

/*
 * Collect the handles of our objects of one class: those whose label starts
 * with the prefix and names their 16-byte CKA_ID.
 */
static CK_RV
keys_collect(struct hsm *hsm, CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
    struct key_found **out, size_t *nout)
{
	CK_ATTRIBUTE tmpl = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *objs = NULL;
	struct key_found *found = NULL;
	char label[HSM_LABEL_LEN + 1], want[HSM_LABEL_LEN + 1];
	uint8_t id[HSM_KEY_ID_LEN];
	size_t nobjs = 0, nfound = 0;
	CK_RV rv;

	*out = NULL;
	*nout = 0;
	/* find everything first, then read attributes: some tokens do not
	 * allow other calls on a session with an active find */
	if ((rv = objects_find(hsm, h, &tmpl, 1, &objs, &nobjs)) != CKR_OK)
		goto out;
	if (nobjs > 0 && (found = calloc(nobjs, sizeof(*found))) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < nobjs; i++) {
		CK_ATTRIBUTE la = { CKA_LABEL, label, HSM_LABEL_LEN };
		CK_ATTRIBUTE ia = { CKA_ID, id, sizeof(id) };

		rv = hsm->p11->C_GetAttributeValue(h, objs[i], &la, 1);
		if (rv == CKR_BUFFER_TOO_SMALL || rv == CKR_ATTRIBUTE_SENSITIVE ||
		    rv == CKR_ATTRIBUTE_TYPE_INVALID)
			continue;		/* a longer label: not ours */
		if (rv != CKR_OK)
			goto out;
		if (la.ulValueLen != HSM_LABEL_LEN ||
		    memcmp(label, HSM_LABEL_PREFIX, sizeof(HSM_LABEL_PREFIX) - 1) != 0)
			continue;
		label[HSM_LABEL_LEN] = '\0';
		rv = hsm->p11->C_GetAttributeValue(h, objs[i], &ia, 1);
		if (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL)
			goto out;
		key_label(id, want);
		if (rv != CKR_OK || ia.ulValueLen != HSM_KEY_ID_LEN ||
		    strcmp(label, want) != 0) {
			log_warn("%s: CKA_ID does not match the label; ignored",
			    label);
			continue;
		}
		memcpy(found[nfound].id, id, HSM_KEY_ID_LEN);
		found[nfound].h = objs[i];
		nfound++;
	}
	*out = found;
	*nout = nfound;
	found = NULL;
	rv = CKR_OK;
 out:
	free(found);
	free(objs);
	return rv;
}

/* A CA private key that could leave the token is a configuration accident
 * worth shouting about, though not a reason to stop signing. */
static CK_RV
key_priv_check(struct hsm *hsm, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
    const char *label)
{
	CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE, can_sign = CK_FALSE;
	CK_ATTRIBUTE a[] = {
		{ CKA_SENSITIVE, &sensitive, sizeof(sensitive) },
		{ CKA_EXTRACTABLE, &extractable, sizeof(extractable) },
		{ CKA_SIGN, &can_sign, sizeof(can_sign) },
	};
	CK_RV rv;

	rv = hsm->p11->C_GetAttributeValue(h, obj, a, sizeof(a) / sizeof(a[0]));
	if (rv != CKR_OK)
		return rv;
	if (!sensitive || extractable)
		log_error("%s: private key is %s%s", label,
		    sensitive ? "" : "not sensitive ",
		    extractable ? "extractable" : "");
	if (!can_sign)
		log_warn("%s: private key has CKA_SIGN false", label);
	return CKR_OK;
}

/* ------------------------------------------------------------------ */
/* The data-key wrapping key: finding it */

/* Every secret key object labelled HSM_WRAP_KEY_LABEL (*out malloc'd). */
static CK_RV
wrap_key_find(struct hsm *hsm, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE **out,
    size_t *nout)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)HSM_WRAP_KEY_LABEL, sizeof(HSM_WRAP_KEY_LABEL) - 1 },
	};

	return objects_find(hsm, h, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), out, nout);
}

/*
 * Is obj a wrapping key we may use: AES-256 that never leaves the token?
 * Token failures are returned; a key we must not use sets *ok to 0 (logged).
 * CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE are not required: an
 * operator may import one key into several tokens (several signers per
 * key set), and an imported key is as good as its ceremony.
 */
static CK_RV
wrap_key_check(struct hsm *hsm, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
    int *ok)
{
	CK_KEY_TYPE type = CKK_VENDOR_DEFINED;
	CK_ULONG len = 0;
	CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE, priv = CK_FALSE;
	CK_BBOOL enc = CK_FALSE, dec = CK_FALSE;
	CK_ATTRIBUTE a[] = {
		{ CKA_KEY_TYPE, &type, sizeof(type) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
		{ CKA_SENSITIVE, &sensitive, sizeof(sensitive) },
		{ CKA_EXTRACTABLE, &extractable, sizeof(extractable) },
		{ CKA_PRIVATE, &priv, sizeof(priv) },
		{ CKA_ENCRYPT, &enc, sizeof(enc) },
		{ CKA_DECRYPT, &dec, sizeof(dec) },
	};
	CK_RV rv;

	*ok = 0;
	rv = hsm->p11->C_GetAttributeValue(h, obj, a, sizeof(a) / sizeof(a[0]));
	if (rv_class(rv) == RV_SESSION || rv_class(rv) == RV_DEVICE ||
	    rv_class(rv) == RV_BUSY)
		return rv;
	if (rv != CKR_OK) {
		log_error("%s: attributes unreadable (%s); not used",
		    HSM_WRAP_KEY_LABEL, p11_kit_strerror(rv));
		return CKR_OK;
	}
	if (type != CKK_AES || len != HSM_WRAP_KEY_BYTES) {
		log_error("%s: not an AES-256 key (type %lu, %lu bytes); not used",
		    HSM_WRAP_KEY_LABEL, (unsigned long)type, (unsigned long)len);
		return CKR_OK;
	}
	if (!sensitive || extractable || !priv) {
		log_error("%s: the key could leave the token (%s%s%s); not used",
		    HSM_WRAP_KEY_LABEL, sensitive ? "" : "not sensitive ",
		    extractable ? "extractable " : "", priv ? "" : "public");
		return CKR_OK;
	}
	if (!enc || !dec) {
		log_error("%s: CKA_ENCRYPT or CKA_DECRYPT is false; not used",
		    HSM_WRAP_KEY_LABEL);
		return CKR_OK;
	}
	*ok = 1;
	return CKR_OK;
}

/*
 * Look the wrapping key up on session h and set hsm->wrap_h: its handle
 * when there is exactly one usable object under the label, else none.
 * *nfound (may be NULL) gets how many objects hold the label. Only session
 * and device errors are returned: a missing or odd wrapping key must not
 * stop the CA keys from loading.
 */
static CK_RV
wrap_key_load(struct hsm *hsm, CK_SESSION_HANDLE h, size_t *nfound)
{
	CK_OBJECT_HANDLE *objs = NULL, found = CK_INVALID_HANDLE;
	size_t n = 0;
	int ok = 0;
	CK_RV rv;

	if (nfound != NULL)
		*nfound = 0;
	rv = wrap_key_find(hsm, h, &objs, &n);
	if (rv == CKR_OK && n == 1)
		rv = wrap_key_check(hsm, h, objs[0], &ok);
	if (rv != CKR_OK) {
		if (rv_class(rv) != RV_OP || rv == CKR_HOST_MEMORY)
			goto out;
		log_error("%s: look-up failed: %s", HSM_WRAP_KEY_LABEL,
		    p11_kit_strerror(rv));
		rv = CKR_OK;
		n = 0;
	}
	if (n > 1)
		log_error("%s: %zu objects hold this label; none is used until "
		    "an operator removes the extra ones", HSM_WRAP_KEY_LABEL, n);
	if (n == 1 && ok)
		found = objs[0];
	if (nfound != NULL)
		*nfound = n;
	pthread_rwlock_wrlock(&hsm->keys_lock);
	hsm->wrap_h = found;
	pthread_rwlock_unlock(&hsm->keys_lock);
 out:
	free(objs);
	return rv;
}

/*
 * Find every CA key on the token and merge it into the table: known ids get
 * their new handles, new ids are added, ids no longer on the token (or whose
 * public key changed underneath us) are marked destroyed. Uses session h,
 * which the caller owns exclusively (the anchor, under anchor_lock).
 */
static CK_RV
keys_load(struct hsm *hsm, CK_SESSION_HANDLE h)
{
	struct key_found *privs = NULL, *pubs = NULL;
	size_t npriv = 0, npub = 0;
	struct hsm_key **loaded = NULL, *k, *old;
	const struct key_alg *ka;
	char label[HSM_LABEL_LEN + 1];
	EVP_PKEY *pub = NULL;
	size_t nloaded = 0;
	int skip, keys_locked = 0;
	CK_RV rv;

	if ((rv = wrap_key_load(hsm, h, NULL)) != CKR_OK ||
	    (rv = keys_collect(hsm, h, CKO_PRIVATE_KEY, &privs, &npriv)) != CKR_OK ||
	    (rv = keys_collect(hsm, h, CKO_PUBLIC_KEY, &pubs, &npub)) != CKR_OK)
		goto out;
	if (npriv > 0 && (loaded = calloc(npriv, sizeof(*loaded))) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < npriv; i++) {
		CK_OBJECT_HANDLE pub_h = CK_INVALID_HANDLE;
		size_t npaired = 0;

		key_label(privs[i].id, label);
		for (size_t j = 0; j < npub; j++)
			if (memcmp(pubs[j].id, privs[i].id, HSM_KEY_ID_LEN) == 0) {
				pub_h = pubs[j].h;
				npaired++;
			}
		if (npaired != 1) {
			log_error("%s: %zu public keys with this CKA_ID; ignored",
			    label, npaired);
			continue;
		}
		if ((rv = key_priv_check(hsm, h, privs[i].h, label)) == CKR_OK)
			rv = pub_read(hsm, h, pub_h, label, &ka, &pub, &skip);
		if (rv_class(rv) == RV_OP && rv != CKR_HOST_MEMORY) {
			/* this object is odd; the other keys still count */
			log_error("%s: %s; ignored", label, p11_kit_strerror(rv));
			continue;
		}
		if (rv != CKR_OK)
			goto out;
		if (skip)
			continue;
		if ((rv = key_new(privs[i].id, ka, &pub, privs[i].h, pub_h, &k)) != CKR_OK)
			goto out;
		loaded[nloaded++] = k;
	}
	/* two key pairs under one id: which one signs is anybody's guess,
	 * so neither does until an operator removes one */
	for (size_t i = 0; i < nloaded; i++) {
		for (size_t j = 0; j < nloaded; j++) {
			if (j == i || memcmp(loaded[i]->id, loaded[j]->id,
			    HSM_KEY_ID_LEN) != 0)
				continue;
			key_label(loaded[i]->id, label);
			log_error("%s: more than one key pair; ignored", label);
			/* freed after the scan, so later ids still match */
			loaded[i]->destroyed = 1;
			break;
		}
	}
	for (size_t i = 0; i < nloaded; i++) {
		if (loaded[i]->destroyed) {
			key_free(loaded[i]);
			loaded[i] = NULL;
		}
	}

	pthread_rwlock_wrlock(&hsm->keys_lock);
	keys_locked = 1;
	/* grow first, so the merge below cannot fail half-way */
	if (hsm->nkeys + nloaded > hsm->keys_cap) {
		struct hsm_key **tmp;
		size_t cap = hsm->nkeys + nloaded + 16;

		if ((tmp = reallocarray(hsm->keys, cap, sizeof(*tmp))) == NULL) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		hsm->keys = tmp;
		hsm->keys_cap = cap;
	}
	for (size_t i = 0; i < hsm->nkeys; i++) {
		old = hsm->keys[i];
		if (old->destroyed)
			continue;
		k = NULL;
		for (size_t j = 0; j < nloaded; j++)
			if (loaded[j] != NULL &&
			    memcmp(loaded[j]->id, old->id, HSM_KEY_ID_LEN) == 0)
				k = loaded[j];
		key_label(old->id, label);
		if (k == NULL) {
			log_warn("%s: no longer on the token", label);
			old->destroyed = 1;
			old->priv_h = old->pub_h = CK_INVALID_HANDLE;
		} else if (EVP_PKEY_eq(old->pub, k->pub) != 1) {
			/* somebody replaced the key pair: never sign with a
			 * key whose public half we did not see before */
			log_error("%s: public key changed on the token", label);
			old->destroyed = 1;
			old->priv_h = old->pub_h = CK_INVALID_HANDLE;
		} else {
			old->priv_h = k->priv_h;
			old->pub_h = k->pub_h;
			for (size_t j = 0; j < nloaded; j++)
				if (loaded[j] == k)
					loaded[j] = NULL;
			key_free(k);
		}
	}
	for (size_t j = 0; j < nloaded; j++) {
		if (loaded[j] == NULL)
			continue;
		hsm->keys[hsm->nkeys++] = loaded[j];	/* room reserved above */
		loaded[j] = NULL;
	}
	rv = CKR_OK;
 out:
	if (keys_locked)
		pthread_rwlock_unlock(&hsm->keys_lock);
	for (size_t j = 0; j < nloaded; j++)
		key_free(loaded[j]);
	free(loaded);
	EVP_PKEY_free(pub);
	free(privs);
	free(pubs);
	return rv;
}

/* The current handle of k, or CK_INVALID_HANDLE once it is destroyed. */
static CK_OBJECT_HANDLE
key_handle(struct hsm *hsm, const struct hsm_key *k, int priv)
{
	CK_OBJECT_HANDLE h;

	pthread_rwlock_rdlock(&hsm->keys_lock);
	h = k->destroyed ? CK_INVALID_HANDLE : priv ? k->priv_h : k->pub_h;
	pthread_rwlock_unlock(&hsm->keys_lock);
	return h;
}

static int
key_is_destroyed(struct hsm *hsm, const struct hsm_key *k)
{
	int d;

	pthread_rwlock_rdlock(&hsm->keys_lock);
	d = k->destroyed;
	pthread_rwlock_unlock(&hsm->keys_lock);
	return d;
}

/* ------------------------------------------------------------------ */
/* Sessions and the retry loop */

/* Open s->h if it is missing or belongs to an earlier module generation.
 * call_lock held shared. */
static int
session_ready(struct hsm_session *s)
{
	struct hsm *hsm = s->hsm;
	unsigned gen;
	CK_RV rv;

	if (!atomic_load(&hsm->up))
		return PCA_ERR_TOKEN_RETRY;
	gen = atomic_load(&hsm->generation);
	if (s->h != CK_INVALID_HANDLE && s->generation == gen)
		return 0;
	/* the old handle died with C_Finalize; its number may be reused */
	s->h = CK_INVALID_HANDLE;
	rv = hsm->p11->C_OpenSession(hsm->slot,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s->h);
	if (rv != CKR_OK) {
		s->h = CK_INVALID_HANDLE;
		return rv_err(hsm, "C_OpenSession", rv);
	}
	s->generation = gen;
	return 0;
}

/*
 * After a session-class error: reopen the worker session, make sure the
 * anchor is alive and logged in (a token that closed one session may have
 * closed all of them, which also logs the application out), and re-find the
 * key handles. call_lock held shared.
 */
static int
session_repair(struct hsm_session *s, CK_RV why)
{
	struct hsm *hsm = s->hsm;
	CK_RV rv;
	int r;

	if (why == CKR_SESSION_HANDLE_INVALID || why == CKR_SESSION_CLOSED)
		s->h = CK_INVALID_HANDLE;	/* gone; do not close a reused number */
	if (s->h != CK_INVALID_HANDLE) {
		(void)hsm->p11->C_CloseSession(s->h);	/* never C_Logout */
		s->h = CK_INVALID_HANDLE;
	}
	pthread_mutex_lock(&hsm->anchor_lock);
	if ((r = anchor_ensure(hsm)) == 0 &&
	    (rv = keys_load(hsm, hsm->anchor)) != CKR_OK)
		r = rv_err(hsm, "find keys", rv);
	pthread_mutex_unlock(&hsm->anchor_lock);
	if (r != 0)
		return r;
	return session_ready(s);
}

typedef CK_RV (*hsm_op_fn)(struct hsm_session *, void *);

/*
 * Run one token operation on s under the circuit breaker: a session error
 * repairs and retries once, a device error takes the hsm down, anything else
 * fails this request. fn must be safe to run twice.
 */
static int
hsm_run(struct hsm_session *s, const char *what, hsm_op_fn fn, void *arg)
{
	struct hsm *hsm = s->hsm;
	CK_RV rv = CKR_OK;
	int r;

	pthread_rwlock_rdlock(&hsm->call_lock);
	for (int attempt = 0;; attempt++) {
		if ((r = session_ready(s)) != 0)
			goto out;
		rv = fn(s, arg);
		if (rv_class(rv) != RV_SESSION || attempt > 0)
			break;
		log_warn("%s on token %s: %s; reopening the session", what,
		    hsm->label, p11_kit_strerror(rv));
		if ((r = session_repair(s, rv)) != 0)
			goto out;
	}
	r = rv_err(hsm, what, rv);
 out:
	pthread_rwlock_unlock(&hsm->call_lock);
	return r;
}

/* ------------------------------------------------------------------ */
/* Open and close */

static int
uri_apply(struct hsm *hsm, const char *uri, char **module_path,
    char **module_name)
{
	const char *src, *val, *mp, *mn;
	int rc;

	*module_path = *module_name = NULL;
	if ((hsm->uri = p11_kit_uri_new()) == NULL)
		return PCA_ERR_NOMEM;
	/* the URI may carry pin-value: never log it */
	if ((rc = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, hsm->uri)) !=
	    P11_KIT_URI_OK) {
		log_error("token URI: %s", p11_kit_uri_message(rc));
		return PCA_ERR_CONFIG;
	}
	if (p11_kit_uri_any_unrecognized(hsm->uri)) {
		/* p11-kit would then match no token; say why */
		log_error("token URI has attributes p11-kit does not know");
		return PCA_ERR_CONFIG;
	}
	mp = p11_kit_uri_get_module_path(hsm->uri);
	mn = p11_kit_uri_get_module_name(hsm->uri);
	if ((mp == NULL) == (mn == NULL)) {
		log_error("token URI needs exactly one of module-path and "
		    "module-name");
		return PCA_ERR_CONFIG;
	}
	if ((mp != NULL && (*module_path = strdup(mp)) == NULL) ||
	    (mn != NULL && (*module_name = strdup(mn)) == NULL))
		return PCA_ERR_NOMEM;

	src = p11_kit_uri_get_pin_source(hsm->uri);
	val = p11_kit_uri_get_pin_value(hsm->uri);
	if ((src == NULL) == (val == NULL)) {
		log_error("token URI needs exactly one of pin-source and "
		    "pin-value");
		return PCA_ERR_CONFIG;
	}
	if (val != NULL) {
		if ((hsm->pin_value = strdup(val)) == NULL)
			return PCA_ERR_NOMEM;
		/* p11-kit frees its copy without wiping; wipe it first */
		explicit_bzero((char *)val, strlen(val));
		p11_kit_uri_set_pin_value(hsm->uri, NULL);
		return 0;
	}
	if (strncmp(src, "file://", 7) == 0 && src[7] == '/')
		src += 7;
	else if (strncmp(src, "file:", 5) == 0)
		src += 5;
	if (src[0] != '/') {
		log_error("pin-source must be file:/absolute/path");
		return PCA_ERR_CONFIG;
	}
	if ((hsm->pin_path = strdup(src)) == NULL)
		return PCA_ERR_NOMEM;
	return 0;
}

int
hsm_open(const char *uri, struct hsm **out)
{
	struct hsm *hsm = NULL;
	char *module_path = NULL, *module_name = NULL;
	pthread_rwlockattr_t ra;
	CK_RV rv;
	int r = PCA_ERR_INTERNAL;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	return_val_if_fail(uri != NULL, PCA_ERR_INTERNAL);

	if ((hsm = calloc(1, sizeof(*hsm))) == NULL)
		return PCA_ERR_NOMEM;
	hsm->anchor = CK_INVALID_HANDLE;
	hsm->wrap_h = CK_INVALID_HANDLE;
	hsm->backoff_ms = HSM_BACKOFF_MIN_MS;
	atomic_init(&hsm->generation, 1);
	atomic_init(&hsm->up, 0);
	atomic_init(&hsm->nsessions, 0);
	pthread_mutex_init(&hsm->keygen_lock, NULL);
	pthread_mutex_init(&hsm->anchor_lock, NULL);
	pthread_rwlock_init(&hsm->keys_lock, NULL);
	/* prefer the writer so hsm_recover() is not starved by signers */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&hsm->call_lock, &ra);
	pthread_rwlockattr_destroy(&ra);

	if ((r = uri_apply(hsm, uri, &module_path, &module_name)) != 0 ||
	    (r = module_load(module_path, module_name, &hsm->p11)) != 0)
		goto out;
	if ((rv = module_initialize(hsm->p11)) != CKR_OK) {
		r = rv_err(hsm, "C_Initialize", rv);
		goto out;
	}
	hsm->initialized = 1;
	if ((r = slot_find(hsm)) != 0 || (r = anchor_ensure(hsm)) != 0)
		goto out;
	if ((rv = keys_load(hsm, hsm->anchor)) != CKR_OK) {
		r = rv_err(hsm, "find keys", rv);
		goto out;
	}
	atomic_store(&hsm->up, 1);
	log_info("token %s: %zu CA keys", hsm->label, hsm_key_count(hsm));
	*out = hsm;
	hsm = NULL;
	r = 0;
 out:
	hsm_close(hsm);
	free(module_path);
	free(module_name);
	return r;
}

void
hsm_close(struct hsm *hsm)
{
	int n;

	if (hsm == NULL)
		return;
	if ((n = atomic_load(&hsm->nsessions)) != 0)
		log_warn("token %s closed with %d sessions open", hsm->label, n);
	if (hsm->initialized) {
		/* closing the last session logs out; no C_Logout needed */
		if (hsm->anchor != CK_INVALID_HANDLE)
			(void)hsm->p11->C_CloseSession(hsm->anchor);
		(void)hsm->p11->C_Finalize(NULL);
	}
	if (hsm->p11 != NULL)
		p11_kit_module_release(hsm->p11);
	for (size_t i = 0; i < hsm->nkeys; i++)
		key_free(hsm->keys[i]);
	free(hsm->keys);
	p11_kit_uri_free(hsm->uri);
	free(hsm->pin_path);
	str_free_wiped(hsm->pin_value);
	pthread_mutex_destroy(&hsm->keygen_lock);
	pthread_mutex_destroy(&hsm->anchor_lock);
	pthread_rwlock_destroy(&hsm->keys_lock);
	pthread_rwlock_destroy(&hsm->call_lock);
	free(hsm);
}

int
hsm_session_open(struct hsm *hsm, struct hsm_session **out)
{
	struct hsm_session *s = NULL;
	int r = PCA_ERR_INTERNAL, n;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	return_val_if_fail(hsm != NULL, PCA_ERR_INTERNAL);

	/* the anchor takes one of the token's read/write sessions */
	n = atomic_fetch_add(&hsm->nsessions, 1) + 1;
	if (hsm->max_rw_sessions != CK_EFFECTIVELY_INFINITE &&
	    hsm->max_rw_sessions != CK_UNAVAILABLE_INFORMATION &&
	    (CK_ULONG)n + 1 > hsm->max_rw_sessions) {
		log_error("token %s allows %lu read/write sessions; %d wanted",
		    hsm->label, (unsigned long)hsm->max_rw_sessions, n + 1);
		r = PCA_ERR_TOKEN;
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	s->hsm = hsm;
	s->h = CK_INVALID_HANDLE;
	pthread_rwlock_rdlock(&hsm->call_lock);
	r = session_ready(s);
	pthread_rwlock_unlock(&hsm->call_lock);
	if (r != 0)
		goto out;
	*out = s;
	s = NULL;
	r = 0;
 out:
	if (r != 0) {
		atomic_fetch_sub(&hsm->nsessions, 1);
		free(s);
	}
	return r;
}

void
hsm_session_close(struct hsm_session *s)
{
	struct hsm *hsm;

	if (s == NULL)
		return;
	hsm = s->hsm;
	pthread_rwlock_rdlock(&hsm->call_lock);
	/* never C_Logout: login state is shared with every other session */
	if (s->h != CK_INVALID_HANDLE &&
	    s->generation == atomic_load(&hsm->generation))
		(void)hsm->p11->C_CloseSession(s->h);
	pthread_rwlock_unlock(&hsm->call_lock);
	atomic_fetch_sub(&hsm->nsessions, 1);
	free(s);
}

/* ------------------------------------------------------------------ */
/* Keys */

const struct hsm_key *
hsm_key_find(struct hsm *hsm, const uint8_t *id)
{
	const struct hsm_key *k;

	return_val_if_fail(hsm != NULL && id != NULL, NULL);
	pthread_rwlock_rdlock(&hsm->keys_lock);
	k = keys_find_locked(hsm, id);
	pthread_rwlock_unlock(&hsm->keys_lock);
	return k;
}

size_t
hsm_key_count(struct hsm *hsm)
{
	size_t n = 0;

	return_val_if_fail(hsm != NULL, 0);
	pthread_rwlock_rdlock(&hsm->keys_lock);
	for (size_t i = 0; i < hsm->nkeys; i++)
		if (!hsm->keys[i]->destroyed)
			n++;
	pthread_rwlock_unlock(&hsm->keys_lock);
	return n;
}

enum hsm_key_alg
hsm_key_alg(const struct hsm_key *k)
{
	return k->alg;
}

EVP_PKEY *
hsm_key_public(const struct hsm_key *k)
{
	return k->pub;
}

const uint8_t *
hsm_key_spki(const struct hsm_key *k, size_t *len)
{
	*len = k->spki_len;
	return k->spki;
}

const uint8_t *
hsm_key_id(const struct hsm_key *k)
{
	return k->id;
}

struct find_id_op {
	const uint8_t		*id;
	size_t			 nfound;
};

static CK_RV
op_find_id(struct hsm_session *s, void *arg)
{
	struct find_id_op *o = arg;
	CK_ATTRIBUTE tmpl = { CKA_ID, (void *)o->id, HSM_KEY_ID_LEN };
	CK_OBJECT_HANDLE *objs = NULL;
	CK_RV rv;

	rv = objects_find(s->hsm, s->h, &tmpl, 1, &objs, &o->nfound);
	free(objs);
	return rv;
}

static void
attr_push(CK_ATTRIBUTE *t, CK_ULONG *n, CK_ATTRIBUTE_TYPE type,
    const void *v, CK_ULONG len)
{
	t[*n].type = type;
	t[*n].pValue = (void *)v;	/* templates are read, never written */
	t[*n].ulValueLen = len;
	(*n)++;
}

struct generate_op {
	const struct key_alg	*ka;
	const uint8_t		*id;
	CK_OBJECT_HANDLE	 priv_h, pub_h;
};

static CK_RV
op_generate(struct hsm_session *s, void *arg)
{
	struct generate_op *o = arg;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = o->ka->bits;
	CK_BYTE e[] = { 0x01, 0x00, 0x01 };	/* 65537 */
	char label[HSM_LABEL_LEN + 1];
	CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub[12], priv[12];
	CK_ULONG npub = 0, npriv = 0;

	key_label(o->id, label);
	attr_push(pub, &npub, CKA_TOKEN, &yes, sizeof(yes));
	attr_push(pub, &npub, CKA_PRIVATE, &no, sizeof(no));
	attr_push(pub, &npub, CKA_VERIFY, &yes, sizeof(yes));
	attr_push(pub, &npub, CKA_ENCRYPT, &no, sizeof(no));
	attr_push(pub, &npub, CKA_WRAP, &no, sizeof(no));
	attr_push(pub, &npub, CKA_ID, o->id, HSM_KEY_ID_LEN);
	attr_push(pub, &npub, CKA_LABEL, label, HSM_LABEL_LEN);
	attr_push(priv, &npriv, CKA_TOKEN, &yes, sizeof(yes));
	attr_push(priv, &npriv, CKA_PRIVATE, &yes, sizeof(yes));
	attr_push(priv, &npriv, CKA_SENSITIVE, &yes, sizeof(yes));
	attr_push(priv, &npriv, CKA_EXTRACTABLE, &no, sizeof(no));
	attr_push(priv, &npriv, CKA_SIGN, &yes, sizeof(yes));
	attr_push(priv, &npriv, CKA_DECRYPT, &no, sizeof(no));
	attr_push(priv, &npriv, CKA_UNWRAP, &no, sizeof(no));
	attr_push(priv, &npriv, CKA_DERIVE, &no, sizeof(no));
	attr_push(priv, &npriv, CKA_ID, o->id, HSM_KEY_ID_LEN);
	attr_push(priv, &npriv, CKA_LABEL, label, HSM_LABEL_LEN);
	if (o->ka->type == CKK_RSA) {
		attr_push(pub, &npub, CKA_MODULUS_BITS, &bits, sizeof(bits));
		attr_push(pub, &npub, CKA_PUBLIC_EXPONENT, e, sizeof(e));
	} else {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		attr_push(pub, &npub, CKA_EC_PARAMS, o->ka->ec_oid, o->ka->ec_oid_len);
	}
	return s->hsm->p11->C_GenerateKeyPair(s->h, &mech, pub, npub, priv,
	    npriv, &o->pub_h, &o->priv_h);
}

struct pub_op {
	CK_OBJECT_HANDLE	 h;
	const char		*label;
	const struct key_alg	*ka;
	EVP_PKEY		*pub;
	int			 skip;
};

static CK_RV
op_pub_read(struct hsm_session *s, void *arg)
{
	struct pub_op *o = arg;

	EVP_PKEY_free(o->pub);
	o->pub = NULL;
	return pub_read(s->hsm, s->h, o->h, o->label, &o->ka, &o->pub, &o->skip);
}

struct destroy_op {
	const struct hsm_key	*k;		/* NULL: not in the table */
	CK_OBJECT_HANDLE	 priv_h, pub_h;	/* CK_INVALID_HANDLE once gone */
};

static CK_RV
op_destroy(struct hsm_session *s, void *arg)
{
	struct destroy_op *o = arg;
	CK_OBJECT_HANDLE h;
	CK_RV rv;

	/* a session repair may have re-found the handles */
	if (o->k != NULL && o->priv_h != CK_INVALID_HANDLE &&
	    (h = key_handle(s->hsm, o->k, 1)) != CK_INVALID_HANDLE)
		o->priv_h = h;
	if (o->k != NULL && o->pub_h != CK_INVALID_HANDLE &&
	    (h = key_handle(s->hsm, o->k, 0)) != CK_INVALID_HANDLE)
		o->pub_h = h;
	/* private half first: a leftover public key is harmless; on retry
	 * the half already gone is skipped */
	if (o->priv_h != CK_INVALID_HANDLE) {
		if ((rv = s->hsm->p11->C_DestroyObject(s->h, o->priv_h)) != CKR_OK)
			return rv;
		o->priv_h = CK_INVALID_HANDLE;
	}
	if (o->pub_h != CK_INVALID_HANDLE) {
		if ((rv = s->hsm->p11->C_DestroyObject(s->h, o->pub_h)) != CKR_OK)
			return rv;
		o->pub_h = CK_INVALID_HANDLE;
	}
	return CKR_OK;
}

int
hsm_key_generate(struct hsm_session *s, const uint8_t *id,
    enum hsm_key_alg alg, const struct hsm_key **out)
{
	struct hsm *hsm;
	const struct key_alg *ka;
	struct find_id_op fo = { id, 0 };
	struct generate_op go;
	struct pub_op po;
	struct destroy_op dop;
	struct hsm_key *k = NULL, *found = NULL;
	char label[HSM_LABEL_LEN + 1];
	uint64_t t0;
	int r = PCA_ERR_INTERNAL, generated = 0;

	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	*out = NULL;
	return_val_if_fail(s != NULL && id != NULL, PCA_ERR_INTERNAL);
	hsm = s->hsm;
	if ((ka = key_alg_lookup(alg)) == NULL) {
		log_error("key algorithm %d not supported", (int)alg);
		return PCA_ERR_UNSUPPORTED;
	}
	memset(&go, 0, sizeof(go));
	memset(&po, 0, sizeof(po));
	key_label(id, label);

	pthread_mutex_lock(&hsm->keygen_lock);
	if (hsm_key_find(hsm, id) != NULL) {
		r = PCA_ERR_EXISTS;
		goto out;
	}
	/* the table only knows our labels; refuse any object with this id */
	if ((r = hsm_run(s, "find id", op_find_id, &fo)) != 0)
		goto out;
	if (fo.nfound > 0) {
		log_error("%s: the token already has %zu objects with this id",
		    label, fo.nfound);
		r = PCA_ERR_EXISTS;
		goto out;
	}
	go.ka = ka;
	go.id = id;
	t0 = clock_mono_ns();
	if ((r = hsm_run(s, "C_GenerateKeyPair", op_generate, &go)) != 0)
		goto out;
	generated = 1;
	po.h = go.pub_h;
	po.label = label;
	if ((r = hsm_run(s, "read public key", op_pub_read, &po)) != 0)
		goto out;
	if (po.skip || po.ka != ka) {
		r = PCA_ERR_TOKEN;
		goto out;
	}
	if (key_new(id, ka, &po.pub, go.priv_h, go.pub_h, &k) != CKR_OK) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	pthread_rwlock_wrlock(&hsm->keys_lock);
	/* a session repair in another thread may have re-found the new
	 * pair already; keep one entry per id */
	if ((found = keys_find_locked(hsm, id)) == NULL)
		r = keys_add_locked(hsm, k);
	pthread_rwlock_unlock(&hsm->keys_lock);
	if (r != 0)
		goto out;
	if (found != NULL) {
		key_free(k);
		k = found;
	}
	log_info("%s: generated %s on token %s in %llu ms", label, ka->name,
	    hsm->label, (unsigned long long)((clock_mono_ns() - t0) / 1000000));
	*out = k;
	k = NULL;
	generated = 0;
	r = 0;
 out:
	if (generated) {
		/* do not leave a key pair the table does not know about */
		dop.k = NULL;
		dop.priv_h = go.priv_h;
		dop.pub_h = go.pub_h;
		if (hsm_run(s, "C_DestroyObject", op_destroy, &dop) != 0)
			log_error("%s: could not remove the half-made key pair",
			    label);
	}
	pthread_mutex_unlock(&hsm->keygen_lock);
	EVP_PKEY_free(po.pub);
	key_free(k);
	return r;
}

int
hsm_key_destroy(struct hsm_session *s, const uint8_t *id)
{
	struct hsm *hsm;
	struct hsm_key *k;
	struct destroy_op dop;
	char label[HSM_LABEL_LEN + 1];
	int r = PCA_ERR_INTERNAL;

	return_val_if_fail(s != NULL && id != NULL, PCA_ERR_INTERNAL);
	hsm = s->hsm;
	key_label(id, label);

	pthread_mutex_lock(&hsm->keygen_lock);
	pthread_rwlock_rdlock(&hsm->keys_lock);
	if ((k = keys_find_locked(hsm, id)) != NULL) {
		dop.k = k;
		dop.priv_h = k->priv_h;
		dop.pub_h = k->pub_h;
	}
	pthread_rwlock_unlock(&hsm->keys_lock);
	if (k == NULL) {
		r = PCA_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = hsm_run(s, "C_DestroyObject", op_destroy, &dop)) != 0)
		goto out;
	/* the struct stays: other threads may still hold it */
	pthread_rwlock_wrlock(&hsm->keys_lock);
	k->destroyed = 1;
	k->priv_h = k->pub_h = CK_INVALID_HANDLE;
	pthread_rwlock_unlock(&hsm->keys_lock);
	log_info("%s: destroyed on token %s", label, hsm->label);
	r = 0;
 out:
	pthread_mutex_unlock(&hsm->keygen_lock);
	return r;
}

/* ------------------------------------------------------------------ */
/* Signing and randomness */

struct sign_op {
	const struct hsm_key	*k;
	CK_MECHANISM_TYPE	 mech;
	const uint8_t		*in;
	size_t			 inlen;
	uint8_t			*out;
	CK_ULONG		 outlen;
	CK_ULONG		 cap;		/* size of out */
};

static CK_RV
op_sign(struct hsm_session *s, void *arg)
{
	struct sign_op *o = arg;
	CK_MECHANISM mech = { o->mech, NULL, 0 };
	CK_OBJECT_HANDLE h;
	CK_RV rv;

	if ((h = key_handle(s->hsm, o->k, 1)) == CK_INVALID_HANDLE)
		return CKR_KEY_HANDLE_INVALID;
	if ((rv = s->hsm->p11->C_SignInit(s->h, &mech, h)) != CKR_OK)
		return rv;
	/* the buffer always fits, so C_Sign ends the operation either way */
	o->outlen = o->cap;
	return s->hsm->p11->C_Sign(s->h, (CK_BYTE_PTR)o->in, (CK_ULONG)o->inlen,
	    o->out, &o->outlen);
}

static int
ecdsa_der(const uint8_t *rs, size_t len, uint8_t **out, size_t *outlen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	uint8_t *der = NULL, *p;
	int n, r = PCA_ERR_CRYPTO;

	if ((es = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(rs, (int)(len / 2), NULL)) == NULL ||
	    (bs = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL)) == NULL ||
	    !ECDSA_SIG_set0(es, br, bs))
		goto out;
	br = bs = NULL;			/* owned by es now */
	if ((n = i2d_ECDSA_SIG(es, NULL)) <= 0)
		goto out;
	if ((der = malloc((size_t)n)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	p = der;
	if (i2d_ECDSA_SIG(es, &p) != n)
		goto out;
	*out = der;
	*outlen = (size_t)n;
	der = NULL;
	r = 0;
 out:
	free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

int
hsm_sign(struct hsm_session *s, const struct hsm_key *k, int md_nid,
    const uint8_t *data, size_t len, uint8_t **sigp, size_t *siglenp)
{
	const struct md_info *mi;
	const EVP_MD *md;
	uint8_t in[32 + EVP_MAX_MD_SIZE], raw[HSM_SIG_MAX];
	struct sign_op o;
	unsigned int mdlen;
	size_t off = 0;
	int r = PCA_ERR_INTERNAL;

	return_val_if_fail(sigp != NULL && siglenp != NULL, PCA_ERR_INTERNAL);
	*sigp = NULL;
	*siglenp = 0;
	return_val_if_fail(s != NULL && k != NULL, PCA_ERR_INTERNAL);
	return_val_if_fail(data != NULL || len == 0, PCA_ERR_INTERNAL);
	return_val_if_fail(k->sig_len <= sizeof(raw), PCA_ERR_INTERNAL);

	if ((mi = md_info_lookup(md_nid)) == NULL ||
	    (md = EVP_get_digestbynid(md_nid)) == NULL) {
		log_error("digest %d not supported", md_nid);
		return PCA_ERR_UNSUPPORTED;
	}
	if (key_is_destroyed(s->hsm, k))
		return PCA_ERR_NOT_FOUND;

	memset(&o, 0, sizeof(o));
	o.k = k;
	if (k->alg == HSM_KEY_EC_P256 || k->alg == HSM_KEY_EC_P384) {
		/* SoftHSM2 2.6.1 has no CKM_ECDSA_SHA256: hash here */
		o.mech = CKM_ECDSA;
	} else {
		o.mech = CKM_RSA_PKCS;
		memcpy(in, mi->prefix, mi->prefix_len);
		off = mi->prefix_len;
	}
	if (!EVP_Digest(data, len, in + off, &mdlen, md, NULL)) {
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	o.in = in;
	o.inlen = off + mdlen;
	o.out = raw;
	o.cap = (CK_ULONG)k->sig_len;
	if ((r = hsm_run(s, "C_Sign", op_sign, &o)) != 0) {
		if (key_is_destroyed(s->hsm, k))
			r = PCA_ERR_NOT_FOUND;
		goto out;
	}
	if (o.outlen != k->sig_len) {
		log_error("C_Sign answered %lu bytes, want %zu",
		    (unsigned long)o.outlen, k->sig_len);
		r = PCA_ERR_TOKEN;
		goto out;
	}
	if (o.mech == CKM_ECDSA) {
		r = ecdsa_der(raw, o.outlen, sigp, siglenp);
		goto out;
	}
	if ((*sigp = malloc(o.outlen)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	memcpy(*sigp, raw, o.outlen);
	*siglenp = o.outlen;
	r = 0;
 out:
	return r;
}

struct random_op {
	uint8_t			*buf;
	size_t			 len;
};

static CK_RV
op_random(struct hsm_session *s, void *arg)
{
	struct random_op *o = arg;

	return s->hsm->p11->C_GenerateRandom(s->h, o->buf, (CK_ULONG)o->len);
}

int
hsm_random(struct hsm_session *s, uint8_t *buf, size_t len)
{
	struct random_op o = { buf, len };

	return_val_if_fail(s != NULL && (buf != NULL || len == 0),
	    PCA_ERR_INTERNAL);
	if (len == 0)
		return 0;
	return hsm_run(s, "C_GenerateRandom", op_random, &o);
}

/* ------------------------------------------------------------------ */
/* Data-key wrapping */

static CK_OBJECT_HANDLE
wrap_handle(struct hsm *hsm)
{
	CK_OBJECT_HANDLE h;

	pthread_rwlock_rdlock(&hsm->keys_lock);
	h = hsm->wrap_h;
	pthread_rwlock_unlock(&hsm->keys_lock);
	return h;
}

struct wrap_key_op {
	int			 create;
	size_t			 nfound;	/* objects under the label */
	int			 created;
};

/*
 * Find the wrapping key, or make it. One step, so that the session-repair
 * retry repeats the look-up too: a token that logged us out hides private
 * objects from C_FindObjects without an error, and C_GenerateKey would then
 * fail with CKR_USER_NOT_LOGGED_IN; after the repair the key that was there
 * all along is found. keygen_lock held.
 */
static CK_RV
op_wrap_key(struct hsm_session *s, void *arg)
{
	struct wrap_key_op *o = arg;
	struct hsm *hsm = s->hsm;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = CKK_AES;
	CK_ULONG len = HSM_WRAP_KEY_BYTES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM mech = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_SESSION_INFO info;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[18];
	CK_ULONG n = 0;
	CK_RV rv;

	o->created = 0;
	/* look only while logged in: see above */
	if ((rv = hsm->p11->C_GetSessionInfo(s->h, &info)) != CKR_OK)
		return rv;
	if (info.state != CKS_RW_USER_FUNCTIONS && info.state != CKS_RO_USER_FUNCTIONS)
		return CKR_USER_NOT_LOGGED_IN;
	if ((rv = wrap_key_load(hsm, s->h, &o->nfound)) != CKR_OK)
		return rv;
	if (o->nfound > 0 || !o->create)
		return CKR_OK;
	attr_push(t, &n, CKA_CLASS, &cls, sizeof(cls));
	attr_push(t, &n, CKA_KEY_TYPE, &type, sizeof(type));
	attr_push(t, &n, CKA_VALUE_LEN, &len, sizeof(len));
	attr_push(t, &n, CKA_TOKEN, &yes, sizeof(yes));
	attr_push(t, &n, CKA_PRIVATE, &yes, sizeof(yes));
	attr_push(t, &n, CKA_SENSITIVE, &yes, sizeof(yes));
	attr_push(t, &n, CKA_EXTRACTABLE, &no, sizeof(no));
	attr_push(t, &n, CKA_MODIFIABLE, &no, sizeof(no));
	attr_push(t, &n, CKA_ENCRYPT, &yes, sizeof(yes));
	attr_push(t, &n, CKA_DECRYPT, &yes, sizeof(yes));
	/* C_Encrypt/C_Decrypt of data keys only: no wrapping of other token
	 * objects, no signing, no derivation */
	attr_push(t, &n, CKA_WRAP, &no, sizeof(no));
	attr_push(t, &n, CKA_UNWRAP, &no, sizeof(no));
	attr_push(t, &n, CKA_SIGN, &no, sizeof(no));
	attr_push(t, &n, CKA_VERIFY, &no, sizeof(no));
	attr_push(t, &n, CKA_DERIVE, &no, sizeof(no));
	attr_push(t, &n, CKA_LABEL, HSM_WRAP_KEY_LABEL, sizeof(HSM_WRAP_KEY_LABEL) - 1);
	if ((rv = hsm->p11->C_GenerateKey(s->h, &mech, t, n, &h)) != CKR_OK)
		return rv;
	o->created = 1;
	o->nfound = 1;
	pthread_rwlock_wrlock(&hsm->keys_lock);
	hsm->wrap_h = h;
	pthread_rwlock_unlock(&hsm->keys_lock);
	return CKR_OK;
}

int
hsm_wrap_key_ensure(struct hsm_session *s, int create)
{
	struct hsm *hsm;
	struct wrap_key_op o;
	int r = PCA_ERR_INTERNAL;

	return_val_if_fail(s != NULL, PCA_ERR_INTERNAL);
	hsm = s->hsm;
	if (wrap_handle(hsm) != CK_INVALID_HANDLE)
		return 0;
	memset(&o, 0, sizeof(o));
	o.create = create;
	pthread_mutex_lock(&hsm->keygen_lock);
	/* another thread may have found or made it meanwhile */
	if (wrap_handle(hsm) != CK_INVALID_HANDLE) {
		r = 0;
		goto out;
	}
	if ((r = hsm_run(s, "find or make the wrapping key", op_wrap_key, &o)) != 0)
		goto out;
	if (o.created)
		log_info("%s: generated AES-256 on token %s", HSM_WRAP_KEY_LABEL,
		    hsm->label);
	if (wrap_handle(hsm) != CK_INVALID_HANDLE)
		r = 0;
	else if (o.nfound == 0)
		r = PCA_ERR_NOT_FOUND;
	else
		r = PCA_ERR_TOKEN;	/* odd or ambiguous: logged */
 out:
	pthread_mutex_unlock(&hsm->keygen_lock);
	return r;
}

struct wrap_op {
	int			 decrypt;
	const uint8_t		*iv;
	const uint8_t		*aad;
	size_t			 aad_len;
	const uint8_t		*in;
	size_t			 in_len;
	uint8_t			*out;
	CK_ULONG		 out_cap;
	CK_ULONG		 out_len;
	int			 bad_tag;
};

/*
 * One C_Encrypt or C_Decrypt with CKM_AES_GCM. CK_GCM_PARAMS is the PKCS#11
 * 2.40 errata header's (p11-kit's and SoftHSM2's), with ulIvBits: SoftHSM2
 * reads ulIvLen and checks ulParameterLen against that layout; ulIvBits is
 * set as well, for modules that read it.
 *
 * A tag that does not verify is data, not a token failure: SoftHSM2 2.6.1
 * answers CKR_GENERAL_ERROR for it (later versions
 * CKR_ENCRYPTED_DATA_INVALID), which rv_class() counts as a device error
 * and would take the token down, for every frontend, on one tampered blob.
 * So after CKR_GENERAL_ERROR the token is asked something that does not
 * depend on the input (one byte of C_GenerateRandom): if it answers, the
 * input was bad.
 */
static CK_RV
op_wrap(struct hsm_session *s, void *arg)
{
	struct wrap_op *o = arg;
	CK_FUNCTION_LIST *p11 = s->hsm->p11;
	CK_GCM_PARAMS gcm;
	CK_MECHANISM mech = { CKM_AES_GCM, &gcm, sizeof(gcm) };
	CK_OBJECT_HANDLE key;
	CK_BYTE probe;
	CK_RV rv;

	o->bad_tag = 0;
	if ((key = wrap_handle(s->hsm)) == CK_INVALID_HANDLE)
		return CKR_KEY_HANDLE_INVALID;	/* repaired: found again */
	memset(&gcm, 0, sizeof(gcm));
	gcm.pIv = (CK_BYTE_PTR)o->iv;
	gcm.ulIvLen = HSM_WRAP_IV_LEN;
	gcm.ulIvBits = 8 * HSM_WRAP_IV_LEN;
	gcm.pAAD = (CK_BYTE_PTR)o->aad;
	gcm.ulAADLen = (CK_ULONG)o->aad_len;
	gcm.ulTagBits = 8 * HSM_WRAP_TAG_LEN;
	/* out always fits (CKR_BUFFER_TOO_SMALL would leave the operation
	 * active), so the call ends the operation either way */
	o->out_len = o->out_cap;
	if (!o->decrypt) {
		if ((rv = p11->C_EncryptInit(s->h, &mech, key)) != CKR_OK)
			return rv;
		return p11->C_Encrypt(s->h, (CK_BYTE_PTR)o->in, (CK_ULONG)o->in_len,
		    o->out, &o->out_len);
	}
	if ((rv = p11->C_DecryptInit(s->h, &mech, key)) != CKR_OK)
		return rv;
	rv = p11->C_Decrypt(s->h, (CK_BYTE_PTR)o->in, (CK_ULONG)o->in_len,
	    o->out, &o->out_len);
	if (rv == CKR_GENERAL_ERROR &&
	    p11->C_GenerateRandom(s->h, &probe, 1) == CKR_OK)
		rv = CKR_ENCRYPTED_DATA_INVALID;
	if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE) {
		o->bad_tag = 1;
		rv = CKR_OK;
	}
	return rv;
}

int
hsm_wrap_encrypt(struct hsm_session *s, const uint8_t iv[HSM_WRAP_IV_LEN],
    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
    uint8_t *out)
{
	struct wrap_op o;
	int r;

	return_val_if_fail(s != NULL && iv != NULL && in != NULL && out != NULL,
	    PCA_ERR_INTERNAL);
	return_val_if_fail(aad != NULL || aad_len == 0, PCA_ERR_INTERNAL);
	if (in_len == 0 || in_len > HSM_WRAP_DATA_MAX || aad_len > HSM_WRAP_DATA_MAX)
		return PCA_ERR_INVALID;
	memset(&o, 0, sizeof(o));
	o.iv = iv;
	o.aad = aad;
	o.aad_len = aad_len;
	o.in = in;
	o.in_len = in_len;
	o.out = out;
	o.out_cap = (CK_ULONG)(in_len + HSM_WRAP_TAG_LEN);
	if ((r = hsm_run(s, "C_Encrypt", op_wrap, &o)) != 0)
		return r;
	if (o.out_len != in_len + HSM_WRAP_TAG_LEN) {
		log_error("C_Encrypt answered %lu bytes, want %zu",
		    (unsigned long)o.out_len, in_len + HSM_WRAP_TAG_LEN);
		wipe(out, in_len + HSM_WRAP_TAG_LEN);
		return PCA_ERR_TOKEN;
	}
	return 0;
}

int
hsm_wrap_decrypt(struct hsm_session *s, const uint8_t iv[HSM_WRAP_IV_LEN],
    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
    uint8_t *out)
{
	/* SoftHSM2 2.6.1 wants room for in_len bytes (the tag too) */
	uint8_t buf[HSM_WRAP_DATA_MAX + HSM_WRAP_TAG_LEN];
	struct wrap_op o;
	int r = PCA_ERR_INTERNAL;

	return_val_if_fail(s != NULL && iv != NULL && in != NULL && out != NULL,
	    PCA_ERR_INTERNAL);
	return_val_if_fail(aad != NULL || aad_len == 0, PCA_ERR_INTERNAL);
	if (in_len <= HSM_WRAP_TAG_LEN || in_len > sizeof(buf) ||
	    aad_len > HSM_WRAP_DATA_MAX)
		return PCA_ERR_INVALID;
	memset(&o, 0, sizeof(o));
	o.decrypt = 1;
	o.iv = iv;
	o.aad = aad;
	o.aad_len = aad_len;
	o.in = in;
	o.in_len = in_len;
	o.out = buf;
	o.out_cap = (CK_ULONG)in_len;
	if ((r = hsm_run(s, "C_Decrypt", op_wrap, &o)) != 0)
		goto out;
	if (o.bad_tag) {
		r = PCA_ERR_BAD_SIGNATURE;
		goto out;
	}
	if (o.out_len != in_len - HSM_WRAP_TAG_LEN) {
		log_error("C_Decrypt answered %lu bytes, want %zu",
		    (unsigned long)o.out_len, in_len - HSM_WRAP_TAG_LEN);
		r = PCA_ERR_TOKEN;
		goto out;
	}
	memcpy(out, buf, o.out_len);
	r = 0;
 out:
	explicit_bzero(buf, sizeof(buf));
	if (r != 0)
		wipe(out, in_len - HSM_WRAP_TAG_LEN);
	return r;
}

/* ------------------------------------------------------------------ */
/* Health */

int
hsm_is_up(struct hsm *hsm)
{
	return_val_if_fail(hsm != NULL, 0);
	return atomic_load(&hsm->up);
}

/*
 * Bring a down token back: C_Finalize, C_Initialize, find the slot again
 * (slot ids may change), reopen and log in the anchor, re-find the keys
 * (checking their public halves did not change), then bump the generation
 * so every worker session reopens itself on its next call. Attempts after a
 * failure are spaced by a doubling back-off; early calls answer
 * PCA_ERR_TOKEN_RETRY without touching the token.
 */
int
hsm_recover(struct hsm *hsm)
{
	uint64_t now;
	CK_RV rv;
	int r = PCA_ERR_INTERNAL;

	return_val_if_fail(hsm != NULL, PCA_ERR_INTERNAL);
	pthread_rwlock_wrlock(&hsm->call_lock);
	if (atomic_load(&hsm->up)) {
		r = 0;
		goto done;
	}
	now = clock_mono_ns();
	if (now < hsm->retry_at_ns) {
		r = PCA_ERR_TOKEN_RETRY;
		goto done;
	}
	log_info("token %s: re-initializing the module", hsm->label);
	/* every session dies with C_Finalize; the anchor is dropped, and
	 * workers see the new generation */
	hsm->anchor = CK_INVALID_HANDLE;
	if (hsm->initialized) {
		rv = hsm->p11->C_Finalize(NULL);
		if (rv != CKR_OK)
			log_warn("C_Finalize: %s", p11_kit_strerror(rv));
		hsm->initialized = 0;
	}
	atomic_fetch_add(&hsm->generation, 1);
	if ((rv = module_initialize(hsm->p11)) != CKR_OK) {
		log_error("C_Initialize: %s", p11_kit_strerror(rv));
		r = PCA_ERR_TOKEN_RETRY;
		goto out;
	}
	hsm->initialized = 1;
	if ((r = slot_find(hsm)) != 0 || (r = anchor_ensure(hsm)) != 0)
		goto out;
	if ((rv = keys_load(hsm, hsm->anchor)) != CKR_OK) {
		r = rv_err(hsm, "find keys", rv);
		goto out;
	}
	r = 0;
 out:
	if (r == 0) {
		hsm->backoff_ms = HSM_BACKOFF_MIN_MS;
		hsm->retry_at_ns = 0;
		atomic_store(&hsm->up, 1);
		log_info("token %s is back: %zu CA keys", hsm->label,
		    hsm_key_count(hsm));
	} else {
		hsm->retry_at_ns = now + (uint64_t)hsm->backoff_ms * 1000000u;
		log_warn_fr(r, "token %s still down; next try in %u ms",
		    hsm->label, hsm->backoff_ms);
		hsm->backoff_ms = hsm->backoff_ms * 2 > HSM_BACKOFF_MAX_MS ?
		    HSM_BACKOFF_MAX_MS : hsm->backoff_ms * 2;
		if (r != PCA_ERR_AUTH && r != PCA_ERR_CONFIG)
			r = PCA_ERR_TOKEN_RETRY;
	}
 done:
	pthread_rwlock_unlock(&hsm->call_lock);
	return r;
}

const char *
hsm_token_label(struct hsm *hsm)
{
	return_val_if_fail(hsm != NULL, "");
	return hsm->label;
}

/* ------------------------------------------------------------------ */
/* Token initialization */

int
hsm_token_init(const char *module_path, const char *label,
    const char *so_pin_file, const char *user_pin_file)
{
	CK_FUNCTION_LIST *p11 = NULL;
	CK_SLOT_ID *slots = NULL, slot = 0;
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_TOKEN_INFO ti;
	CK_UTF8CHAR padded[TOKEN_LABEL_LEN];
	CK_ULONG n = 0;
	char *so_pin = NULL, *user_pin = NULL, have[TOKEN_LABEL_LEN + 1];
	int r = PCA_ERR_INTERNAL, initialized = 0, found = 0, logged_in = 0;
	CK_RV rv;

	return_val_if_fail(module_path != NULL && label != NULL &&
	    so_pin_file != NULL && user_pin_file != NULL, PCA_ERR_INTERNAL);
	if (label[0] == '\0' || strlen(label) > TOKEN_LABEL_LEN) {
		log_error("token label must be 1 to %d bytes", TOKEN_LABEL_LEN);
		return PCA_ERR_INVALID;
	}
	memset(padded, ' ', sizeof(padded));
	memcpy(padded, label, strlen(label));

	/* read both PINs before touching the token */
	if ((r = secret_file_read(so_pin_file, &so_pin)) != 0 ||
	    (r = secret_file_read(user_pin_file, &user_pin)) != 0)
		goto out;
	if ((r = module_load(module_path, NULL, &p11)) != 0)
		goto out;
	if ((rv = module_initialize(p11)) != CKR_OK) {
		log_error("C_Initialize: %s", p11_kit_strerror(rv));
		r = PCA_ERR_TOKEN;
		goto out;
	}
	initialized = 1;
	if ((rv = slot_list_get(p11, &slots, &n)) != CKR_OK) {
		log_error("C_GetSlotList: %s", p11_kit_strerror(rv));
		r = PCA_ERR_TOKEN;
		goto out;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		if (p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if ((ti.flags & CKF_TOKEN_INITIALIZED) == 0) {
			if (!found) {
				slot = slots[i];
				found = 1;
			}
			continue;
		}
		token_label_copy(&ti, have);
		if (strcmp(have, label) == 0) {
			log_error("a token labelled %s exists", label);
			r = PCA_ERR_EXISTS;
			goto out;
		}
	}
	if (!found) {
		log_error("no slot with an uninitialized token");
		r = PCA_ERR_TOKEN;
		goto out;
	}
	rv = p11->C_InitToken(slot, (CK_UTF8CHAR_PTR)so_pin,
	    (CK_ULONG)strlen(so_pin), padded);
	if (rv != CKR_OK) {
		log_error("C_InitToken: %s", p11_kit_strerror(rv));
		r = PCA_ERR_TOKEN;
		goto out;
	}
	/* SoftHSM2 moves an initialized token to a new slot id: find it by
	 * its label again */
	free(slots);
	slots = NULL;
	found = 0;
	if ((rv = slot_list_get(p11, &slots, &n)) != CKR_OK) {
		log_error("C_GetSlotList: %s", p11_kit_strerror(rv));
		r = PCA_ERR_TOKEN;
		goto out;
	}
	for (CK_ULONG i = 0; i < n && !found; i++) {
		if (p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    (ti.flags & CKF_TOKEN_INITIALIZED) == 0)
			continue;
		token_label_copy(&ti, have);
		if (strcmp(have, label) == 0) {
			slot = slots[i];
			found = 1;
		}
	}
	if (!found) {
		log_error("token %s vanished after C_InitToken", label);
		r = PCA_ERR_TOKEN;
		goto out;
	}
	if ((rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &h)) != CKR_OK) {
		log_error("C_OpenSession: %s", p11_kit_strerror(rv));
		r = PCA_ERR_TOKEN;
		goto out;
	}
	rv = p11->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)so_pin,
	    (CK_ULONG)strlen(so_pin));
	str_free_wiped(so_pin);
	so_pin = NULL;
	if (rv != CKR_OK) {
		log_error("C_Login SO: %s", p11_kit_strerror(rv));
		r = PCA_ERR_TOKEN;
		goto out;
	}
	logged_in = 1;
	rv = p11->C_InitPIN(h, (CK_UTF8CHAR_PTR)user_pin,
	    (CK_ULONG)strlen(user_pin));
	str_free_wiped(user_pin);
	user_pin = NULL;
	if (rv != CKR_OK) {
		log_error("C_InitPIN: %s", p11_kit_strerror(rv));
		r = PCA_ERR_TOKEN;
		goto out;
	}
	log_info("token %s initialized", label);
	r = 0;
 out:
	/* the SO must not stay logged in (the user may be, in another
	 * session of this process, and keeps that) */
	if (logged_in)
		(void)p11->C_Logout(h);
	if (h != CK_INVALID_HANDLE)
		(void)p11->C_CloseSession(h);
	if (initialized)
		(void)p11->C_Finalize(NULL);
	if (p11 != NULL)
		p11_kit_module_release(p11);
	free(slots);
	str_free_wiped(so_pin);
	str_free_wiped(user_pin);
	return r;
}
