/*
 * iam_util.c - helpers shared by the iam handlers (iam_util.h).
 */
#include "iam_util.h"
#include "arn.h"
#include "log.h"
#include "managed_policies.h"
#include "wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

/* IAM's identifiers use the RFC 4648 base32 alphabet: 32 symbols, so a
 * random byte masked to 5 bits picks one without bias. */
static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* ---- names, paths, identifiers ------------------------------------------ */

static int
name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    strchr("_+=,.@-", c) != NULL;
}

int
iam_check_name(struct op_ctx *ctx, const char *field, const char *v, size_t max)
{
	size_t n;

	if (v == NULL || v[0] == '\0')
		return op_fail(ctx, EXC_STS_VALIDATION, "The specified value for %s is "
		    "invalid. It must not be empty.", field);
	for (n = 0; v[n] != '\0'; n++)
		if (!name_char((unsigned char)v[n]))
			return op_fail(ctx, EXC_STS_VALIDATION, "The specified value for "
			    "%s is invalid. It must contain only alphanumeric characters "
			    "and/or the following: +=,.@_-", field);
	if (n > max)
		return op_fail(ctx, EXC_STS_VALIDATION, "1 validation error detected: Value "
		    "at '%s' failed to satisfy constraint: Member must have length less "
		    "than or equal to %zu", field, max);
	return 0;
}

/* The characters the model's path patterns allow between slashes
 * (\u0021-\u007F; DEL is left out: no control characters in an ARN). */
static int
path_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

int
iam_check_path(struct op_ctx *ctx, const char *field, const char *v)
{
	size_t n;

	if (v == NULL)
		return 0;
	n = strlen(v);
	if (n > IAM_PATH_MAX)
		return op_fail(ctx, EXC_STS_VALIDATION, "1 validation error detected: Value "
		    "at '%s' failed to satisfy constraint: Member must have length less "
		    "than or equal to %d", field, IAM_PATH_MAX);
	if (strcmp(v, "/") == 0)
		return 0;
	if (n < 3 || v[0] != '/' || v[n - 1] != '/')
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!path_char((unsigned char)v[i]))
			goto bad;
	return 0;
 bad:
	return op_fail(ctx, EXC_STS_VALIDATION, "The specified value for %s is invalid. "
	    "It must begin and end with / and contain only alphanumeric characters "
	    "and/or / characters.", field);
}

int
iam_check_path_prefix(struct op_ctx *ctx, const char *v)
{
	if (v == NULL)
		return 0;
	if (v[0] != '/' || strlen(v) > IAM_PATH_MAX)
		goto bad;
	for (size_t i = 0; v[i] != '\0'; i++)
		if (!path_char((unsigned char)v[i]))
			goto bad;
	return 0;
 bad:
	return op_fail(ctx, EXC_STS_VALIDATION, "The specified value for pathPrefix is "
	    "invalid. It must begin with / and contain only printable characters.");
}

static int
random_b32(char *out, size_t n)
{
	unsigned char rnd[32];

	if (n > sizeof(rnd) || RAND_bytes(rnd, (int)n) != 1)
		return PCA_ERR_CRYPTO;
	for (size_t i = 0; i < n; i++)
		out[i] = b32[rnd[i] & 31];
	out[n] = '\0';
	wipe(rnd, sizeof(rnd));
	return 0;
}

int
iam_id_new(const char *prefix, char *out, size_t len)
{
	size_t p = strlen(prefix);

	if (len < IAM_ID_LEN + 1 || p != 4)
		return PCA_ERR_INTERNAL;
	memcpy(out, prefix, p);
	return random_b32(out + p, IAM_ID_LEN - p);
}

void
iam_id_of(const char *prefix, const char *name, char *out, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i, p = strlen(prefix);

	SHA256((const unsigned char *)name, strlen(name), md);
	if (len < IAM_ID_LEN + 1 || p != 4) {
		if (len > 0)
			out[0] = '\0';
		return;
	}
	memcpy(out, prefix, p);
	for (i = p; i < IAM_ID_LEN; i++)
		out[i] = b32[md[i] & 31];
	out[i] = '\0';
}

int
iam_access_key_new(char id[IAM_KEY_ID_LEN + 1], char secret[IAM_SECRET_LEN + 1])
{
	unsigned char rnd[IAM_SECRET_LEN * 3 / 4];	/* 30 bytes: 40 base64 characters */
	char b64[IAM_SECRET_LEN + 1];
	int r = PCA_ERR_CRYPTO;

	id[0] = secret[0] = '\0';
	memcpy(id, "AKIA", 4);
	if (random_b32(id + 4, IAM_KEY_ID_LEN - 4) != 0)
		goto out;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    EVP_EncodeBlock((unsigned char *)b64, rnd, sizeof(rnd)) != IAM_SECRET_LEN)
		goto out;
	memcpy(secret, b64, sizeof(b64));
	r = 0;
 out:
	if (r != 0)
		id[0] = '\0';
	wipe(rnd, sizeof(rnd));
	wipe(b64, sizeof(b64));
	return r;
}

void
iam_arn(char *out, size_t len, const char *account, const char *kind, const char *path,
    const char *name)
{
	snprintf(out, len, "arn:aws:iam::%s:%s%s%s", account, kind,
	    path != NULL ? path : "/", name);
}

/* ---- loading, with IAM's errors ------------------------------------------ */

int
iam_fail_store(struct op_ctx *ctx, int r, const char *what)
{
	switch (r) {
	case PCA_ERR_NOT_FOUND:
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY, "The %s cannot be found.", what);
	case PCA_ERR_EXISTS:
		return op_fail(ctx, EXC_IAM_ENTITY_EXISTS, "The %s already exists.", what);
	case PCA_ERR_STATE:
		return op_fail(ctx, EXC_IAM_DELETE_CONFLICT, "Cannot delete entity, must "
		    "remove what depends on the %s first.", what);
	case PCA_ERR_TOO_LARGE:
		return op_fail(ctx, EXC_IAM_LIMIT_EXCEEDED, "A quota on %s was exceeded.", what);
	case PCA_ERR_NOMEM:
		return op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "out of memory");
	default:
		log_error_fr(r, "store: %s", what);
		return op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "The request processing has failed "
		    "because of an unknown error, exception or failure.");
	}
}

int
iam_user_load(struct op_ctx *ctx, const char *name, struct store_iam_user *u)
{
	int r;

	memset(u, 0, sizeof(*u));
	if ((r = store_iam_user_get(ctx->fe->store, ctx->caller->account_id, name, u)) == 0)
		return 0;
	memset(u, 0, sizeof(*u));
	if (r == PCA_ERR_NOT_FOUND)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY,
		    "The user with name %.128s cannot be found.", name);
	return iam_fail_store(ctx, r, "user");
}

int
iam_role_load(struct op_ctx *ctx, const char *name, struct store_iam_role *ro)
{
	int r;

	memset(ro, 0, sizeof(*ro));
	if ((r = store_iam_role_get(ctx->fe->store, ctx->caller->account_id, name, ro)) == 0)
		return 0;
	memset(ro, 0, sizeof(*ro));
	if (r == PCA_ERR_NOT_FOUND)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY,
		    "The role with name %.64s cannot be found.", name);
	return iam_fail_store(ctx, r, "role");
}

int
iam_role_modifiable(struct op_ctx *ctx, const struct store_iam_role *r)
{
	if (r->service == NULL)
		return 0;
	return op_fail(ctx, EXC_IAM_UNMODIFIABLE, "Cannot perform the operation on the "
	    "protected role '%.64s' - this role is only modifiable by AWS", r->name);
}

int
iam_key_owner(struct op_ctx *ctx, const char *name, const char **user)
{
	struct store_iam_user u;

	*user = NULL;
	if (name != NULL) {
		if (iam_user_load(ctx, name, &u) != 0)
			return -1;
		store_iam_user_clear(&u);
		*user = name;
		return 0;
	}
	switch (ctx->caller->kind) {
	case CALLER_ROOT:
		return 0;
	case CALLER_USER:
		*user = ctx->caller->name;
		return 0;
	default:
		return op_fail(ctx, EXC_STS_VALIDATION,
		    "Must specify userName when calling with non-User credentials");
	}
}

/* ---- policy documents ------------------------------------------------------ */

size_t
iam_policy_size(const char *doc)
{
	size_t n = 0;

	for (; *doc != '\0'; doc++)
		if (*doc != ' ' && *doc != '\t' && *doc != '\n' && *doc != '\r')
			n++;
	return n;
}

int
iam_policy_check(struct op_ctx *ctx, const char *doc, enum iam_policy_kind kind)
{
	/* the model's limit for any policy document; IAM's own limits
	 * (non-whitespace characters) are checked by the callers */
	struct iam_limits lim = { 131072, 0 };
	struct iam_policy *p = NULL;
	char why[256];
	int r;

	r = iam_policy_parse(doc, strlen(doc), kind, &lim, &p, why, sizeof(why));
	iam_policy_unref(p);
	switch (r) {
	case IAM_OK:
		return 0;
	case IAM_TOO_LARGE:
		return op_fail(ctx, EXC_IAM_LIMIT_EXCEEDED, "%s", why);
	case IAM_NOMEM:
		return op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "out of memory");
	case IAM_MALFORMED:
	case IAM_INVALID:
	case IAM_UNSUPPORTED:
		return op_fail(ctx, EXC_IAM_MALFORMED_POLICY, "%s", why);
	default:
		log_error("policy check: %s", iam_err_str(r));
		return op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "internal error checking the "
		    "policy document");
	}
}

int
iam_inline_size_check(struct op_ctx *ctx, int kind, const char *principal,
    const char *name, size_t size, size_t max)
{
	struct store_inline_policy *p = NULL;
	size_t n = 0, total = size;
	int r;

	if (size <= max) {
		if ((r = store_inline_policy_list(ctx->fe->store, ctx->caller->account_id, kind,
		    principal, &p, &n)) != 0)
			return iam_fail_store(ctx, r, "inline policies");
		for (size_t i = 0; i < n; i++)
			if (strcmp(p[i].name, name) != 0)
				total += iam_policy_size(p[i].document);
		store_inline_policy_list_free(p, n);
	}
	if (total <= max)
		return 0;
	return op_fail(ctx, EXC_IAM_LIMIT_EXCEEDED, "Maximum policy size of %zu bytes "
	    "exceeded for %s %.128s", max, kind == STORE_PRINCIPAL_USER ? "user" : "role",
	    principal);
}

int
iam_managed_policy_get(struct op_ctx *ctx, const char *s, int attach,
    const struct managed_policy **out)
{
	struct arn a;

	*out = NULL;
	if (s == NULL || arn_parse(s, &a) != 0 || strcmp(a.service, "iam") != 0 ||
	    strncmp(a.resource, "policy/", 7) != 0)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT, "ARN %.200s is not valid.",
		    s != NULL ? s : "");
	if ((*out = managed_policy_find(s)) == NULL)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY, attach ?
		    "Policy %.200s does not exist or is not attachable." :
		    "Policy %.200s was not found.", s);
	return 0;
}

int
iam_managed_policy_is_service_role(const struct managed_policy *p)
{
	return strncmp(p->path, IAM_SLR_PATH_PREFIX, strlen(IAM_SLR_PATH_PREFIX)) == 0;
}

static void
count_arns(char **arns, size_t n, int *counts)
{
	const struct managed_policy *p;

	for (size_t i = 0; i < n; i++)
		if ((p = managed_policy_find(arns[i])) != NULL)
			counts[p - managed_policies]++;
}

#define COUNT_PAGE	100

int
iam_managed_policy_counts(struct op_ctx *ctx, int *counts)
{
	struct store *st = ctx->fe->store;
	const char *acct = ctx->caller->account_id;
	struct store_iam_user *u = NULL;
	struct store_iam_role *ro = NULL;
	char **arns = NULL, *after = NULL;
	size_t nu = 0, nr = 0, na = 0;
	int r, rc = -1;

	memset(counts, 0, managed_policies_len * sizeof(*counts));
	do {
		if ((r = store_iam_user_list(st, acct, after, COUNT_PAGE, &u, &nu)) != 0)
			goto fail;
		for (size_t i = 0; i < nu; i++) {
			if ((r = store_attachment_list(st, acct, STORE_PRINCIPAL_USER, u[i].name,
			    &arns, &na)) != 0)
				goto fail;
			count_arns(arns, na, counts);
			store_string_list_free(arns, na);
			arns = NULL;
		}
		free(after);
		after = nu > 0 ? strdup(u[nu - 1].name) : NULL;
		store_iam_user_list_free(u, nu);
		u = NULL;
	} while (nu == COUNT_PAGE && after != NULL);
	free(after);
	after = NULL;
	do {
		if ((r = store_iam_role_list(st, acct, after, COUNT_PAGE, &ro, &nr)) != 0)
			goto fail;
		for (size_t i = 0; i < nr; i++) {
			if ((r = store_attachment_list(st, acct, STORE_PRINCIPAL_ROLE, ro[i].name,
			    &arns, &na)) != 0)
				goto fail;
			count_arns(arns, na, counts);
			store_string_list_free(arns, na);
			arns = NULL;
		}
		free(after);
		after = nr > 0 ? strdup(ro[nr - 1].name) : NULL;
		store_iam_role_list_free(ro, nr);
		ro = NULL;
	} while (nr == COUNT_PAGE && after != NULL);
	rc = 0;
	goto out;
 fail:
	rc = iam_fail_store(ctx, r, "attachments");
 out:
	free(after);
	if (u != NULL)
		store_iam_user_list_free(u, nu);
	if (ro != NULL)
		store_iam_role_list_free(ro, nr);
	return rc;
}

int
iam_attachment_change(struct op_ctx *ctx, int kind, const char *principal, const char *arn,
    int attach)
{
	struct store *st = ctx->fe->store;
	const char *acct = ctx->caller->account_id;
	char **arns = NULL;
	size_t n = 0, i;
	int r, rc = -1;

	if ((r = store_attachment_list(st, acct, kind, principal, &arns, &n)) != 0)
		return iam_fail_store(ctx, r, "attachments");
	for (i = 0; i < n; i++)
		if (strcmp(arns[i], arn) == 0)
			break;
	if (attach) {
		if (i < n) {		/* attached already: IAM answers success */
			rc = 0;
			goto out;
		}
		if (n >= IAM_ATTACHED_MAX) {
			rc = op_fail(ctx, EXC_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for "
			    "PoliciesPer%s: %d", kind == STORE_PRINCIPAL_USER ? "User" : "Role",
			    IAM_ATTACHED_MAX);
			goto out;
		}
		r = store_attachment_add(st, acct, kind, principal, arn);
		if (r == PCA_ERR_EXISTS)	/* attached meanwhile */
			r = 0;
	} else {
		if (i == n) {
			rc = op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY, "Policy %.200s was not found.",
			    arn);
			goto out;
		}
		r = store_attachment_remove(st, acct, kind, principal, arn);
		if (r == PCA_ERR_NOT_FOUND) {	/* detached meanwhile */
			rc = op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY, "Policy %.200s was not found.",
			    arn);
			goto out;
		}
	}
	if (r != 0) {
		rc = iam_fail_store(ctx, r, "attachments");
		goto out;
	}
	rc = 0;
 out:
	store_string_list_free(arns, n);
	return rc;
}

/* ---- users and roles: what hangs on them -------------------------------- */

void *
iam_array_new(struct op_ctx *ctx, size_t n, size_t size)
{
	void *p = calloc(n > 0 ? n : 1, size);

	if (p == NULL)
		op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "out of memory");
	return p;
}

int
iam_nomem(struct op_ctx *ctx)
{
	return op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "out of memory");
}

int
iam_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
iam_delete_conflicts(struct op_ctx *ctx, int kind, const char *name)
{
	struct store *st = ctx->fe->store;
	const char *acct = ctx->caller->account_id;
	struct store_access_key *k = NULL;
	struct store_inline_policy *p = NULL;
	char **arns = NULL;
	size_t n = 0;
	int r;

	if (kind == STORE_PRINCIPAL_USER) {
		if ((r = store_access_key_list(st, acct, name, &k, &n)) != 0)
			return iam_fail_store(ctx, r, "access keys");
		store_access_key_list_free(k, n);
		if (n > 0)
			return op_fail(ctx, EXC_IAM_DELETE_CONFLICT,
			    "Cannot delete entity, must delete access keys first.");
	}
	if ((r = store_inline_policy_list(st, acct, kind, name, &p, &n)) != 0)
		return iam_fail_store(ctx, r, "inline policies");
	store_inline_policy_list_free(p, n);
	if (n > 0)
		return op_fail(ctx, EXC_IAM_DELETE_CONFLICT,
		    "Cannot delete entity, must delete policies first.");
	if ((r = store_attachment_list(st, acct, kind, name, &arns, &n)) != 0)
		return iam_fail_store(ctx, r, "attachments");
	store_string_list_free(arns, n);
	if (n > 0)
		return op_fail(ctx, EXC_IAM_DELETE_CONFLICT,
		    "Cannot delete entity, must detach all policies first.");
	return 0;
}

int
iam_path_has_prefix(const char *path, const char *prefix)
{
	return prefix == NULL || strncmp(path != NULL ? path : "/", prefix, strlen(prefix)) == 0;
}

static const char *
kind_word(int kind)
{
	return kind == STORE_PRINCIPAL_USER ? "user" : "role";
}

int
iam_principal_check(struct op_ctx *ctx, int kind, const char *name, int modify)
{
	struct store_iam_user u;
	struct store_iam_role ro;
	int rc;

	if (kind == STORE_PRINCIPAL_USER) {
		if (iam_user_load(ctx, name, &u) != 0)
			return -1;
		store_iam_user_clear(&u);
		return 0;
	}
	if (iam_role_load(ctx, name, &ro) != 0)
		return -1;
	rc = modify ? iam_role_modifiable(ctx, &ro) : 0;
	store_iam_role_clear(&ro);
	return rc;
}

int
iam_inline_put(struct op_ctx *ctx, int kind, const char *principal, const char *name,
    const char *doc)
{
	size_t max = kind == STORE_PRINCIPAL_USER ? IAM_USER_POLICY_MAX : IAM_ROLE_POLICY_MAX;
	int r;

	if (iam_check_name(ctx, "policyName", name, IAM_POLICY_NAME_MAX) != 0 ||
	    iam_principal_check(ctx, kind, principal, 1) != 0 ||
	    iam_inline_size_check(ctx, kind, principal, name, iam_policy_size(doc), max) != 0 ||
	    iam_policy_check(ctx, doc, IAM_KIND_IDENTITY) != 0)
		return -1;
	/* stored as given: GetUserPolicy answers the same text */
	r = store_inline_policy_put(ctx->fe->store, ctx->caller->account_id, kind, principal,
	    name, doc);
	if (r == PCA_ERR_NOT_FOUND)		/* deleted meanwhile */
		return iam_principal_check(ctx, kind, principal, 0) != 0 ? -1 :
		    iam_fail_store(ctx, r, kind_word(kind));
	if (r == PCA_ERR_TOO_LARGE)
		return op_fail(ctx, EXC_IAM_LIMIT_EXCEEDED, "Maximum policy size of %zu bytes "
		    "exceeded for %s %.128s", max, kind_word(kind), principal);
	return r != 0 ? iam_fail_store(ctx, r, "inline policy") : 0;
}

static int
inline_not_found(struct op_ctx *ctx, int kind, const char *name)
{
	return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY, "The %s policy with name %.128s cannot be "
	    "found.", kind_word(kind), name);
}

int
iam_inline_get(struct op_ctx *ctx, int kind, const char *principal, const char *name,
    char **doc)
{
	int r;

	*doc = NULL;
	if (iam_check_name(ctx, "policyName", name, IAM_POLICY_NAME_MAX) != 0 ||
	    iam_principal_check(ctx, kind, principal, 0) != 0)
		return -1;
	r = store_inline_policy_get(ctx->fe->store, ctx->caller->account_id, kind, principal,
	    name, doc);
	if (r == PCA_ERR_NOT_FOUND)
		return inline_not_found(ctx, kind, name);
	return r != 0 ? iam_fail_store(ctx, r, "inline policy") : 0;
}

int
iam_inline_delete(struct op_ctx *ctx, int kind, const char *principal, const char *name)
{
	int r;

	if (iam_check_name(ctx, "policyName", name, IAM_POLICY_NAME_MAX) != 0 ||
	    iam_principal_check(ctx, kind, principal, 1) != 0)
		return -1;
	r = store_inline_policy_delete(ctx->fe->store, ctx->caller->account_id, kind,
	    principal, name);
	if (r == PCA_ERR_NOT_FOUND)
		return inline_not_found(ctx, kind, name);
	return r != 0 ? iam_fail_store(ctx, r, "inline policy") : 0;
}

int
iam_inline_list(struct op_ctx *ctx, int kind, const char *principal, const char *marker,
    size_t limit, char ***names, size_t *nnames, protobuf_c_boolean *truncated,
    char **next)
{
	struct store_inline_policy *p = NULL;
	char **v = NULL;
	size_t n = 0, i, j = 0;
	int r, rc = -1;

	*names = NULL;
	*nnames = 0;
	*truncated = 0;
	*next = NULL;
	if (iam_principal_check(ctx, kind, principal, 0) != 0)
		return -1;
	if ((r = store_inline_policy_list(ctx->fe->store, ctx->caller->account_id, kind,
	    principal, &p, &n)) != 0)
		return iam_fail_store(ctx, r, "inline policies");
	if ((v = iam_array_new(ctx, n, sizeof(*v))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		v[i] = p[i].name;
	if (n > 1)
		qsort(v, n, sizeof(*v), iam_cmp_str);
	for (i = 0; i < n && marker != NULL && strcmp(v[i], marker) <= 0; i++)
		;
	if ((*names = iam_array_new(ctx, limit < n ? limit : n, sizeof(**names))) == NULL)
		goto out;
	for (; i < n && j < limit; i++)
		if (((*names)[j++] = strdup(v[i])) == NULL) {
			rc = iam_nomem(ctx);
			goto out;
		}
	*nnames = j;
	*truncated = i < n;
	if (i < n && (*next = strdup(v[i - 1])) == NULL) {
		rc = iam_nomem(ctx);
		goto out;
	}
	rc = 0;
 out:
	free(v);
	store_inline_policy_list_free(p, n);
	return rc;
}

int
iam_policy_attach(struct op_ctx *ctx, int kind, const char *principal, const char *arn)
{
	const struct managed_policy *p;

	/* a service-linked role is not modifiable, so every role and user that
	 * gets here is the customer's */
	if (iam_principal_check(ctx, kind, principal, 1) != 0 ||
	    iam_managed_policy_get(ctx, arn, 1, &p) != 0)
		return -1;
	if (iam_managed_policy_is_service_role(p))
		return op_fail(ctx, EXC_IAM_NOT_ATTACHABLE, "Cannot attach a Service Role Policy "
		    "to a %s.", kind == STORE_PRINCIPAL_USER ? "User" : "Customer Role");
	return iam_attachment_change(ctx, kind, principal, arn, 1);
}

int
iam_policy_detach(struct op_ctx *ctx, int kind, const char *principal, const char *arn)
{
	struct arn a;

	if (iam_principal_check(ctx, kind, principal, 1) != 0)
		return -1;
	/* a policy attached once can always be detached, so the ARN needs only
	 * its shape, not an entry in today's table */
	if (arn_parse(arn, &a) != 0 || strcmp(a.service, "iam") != 0 ||
	    strncmp(a.resource, "policy/", 7) != 0)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT, "ARN %.200s is not valid.", arn);
	return iam_attachment_change(ctx, kind, principal, arn, 0);
}

/* The path of a managed policy ARN: "/" in arn:aws:iam::aws:policy/Name,
 * "/aws-service-role/" in ...:policy/aws-service-role/Name. */
static void
policy_arn_path(const char *arn, char *out, size_t len)
{
	const char *p = strstr(arn, ":policy/"), *last;

	if (p == NULL) {
		snprintf(out, len, "/");
		return;
	}
	p += strlen(":policy");
	last = strrchr(p, '/');
	snprintf(out, len, "%.*s", (int)(last - p + 1), p);
}

static const char *
policy_arn_name(const char *arn)
{
	const char *last = strrchr(arn, '/');

	return last != NULL ? last + 1 : arn;
}

int
iam_attached_list(struct op_ctx *ctx, int kind, const char *principal, const char *prefix,
    const char *marker, size_t limit, Pca__Api__Iam__AttachedPolicy ***list, size_t *nlist,
    protobuf_c_boolean *truncated, char **next)
{
	Pca__Api__Iam__AttachedPolicy *ap;
	char **arns = NULL, path[IAM_PATH_MAX + 1];
	size_t n = 0, i, last = 0;
	int r, rc = -1;

	*list = NULL;
	*nlist = 0;
	*truncated = 0;
	*next = NULL;
	if (iam_check_path_prefix(ctx, prefix) != 0 ||
	    iam_principal_check(ctx, kind, principal, 0) != 0)
		return -1;
	if ((r = store_attachment_list(ctx->fe->store, ctx->caller->account_id, kind, principal,
	    &arns, &n)) != 0)
		return iam_fail_store(ctx, r, "attachments");
	if (n > 1)		/* qsort() takes no NULL, even for 0 items */
		qsort(arns, n, sizeof(*arns), iam_cmp_str);
	if ((*list = iam_array_new(ctx, limit < n ? limit : n, sizeof(**list))) == NULL)
		goto out;
	/* the marker is the ARN of the last policy answered */
	for (i = 0; i < n && marker != NULL && strcmp(arns[i], marker) <= 0; i++)
		;
	for (; i < n; i++) {
		policy_arn_path(arns[i], path, sizeof(path));
		if (!iam_path_has_prefix(path, prefix))
			continue;
		if (*nlist == limit) {
			*truncated = 1;
			break;
		}
		if ((ap = (void *)iam_msg_new(ctx, &pca__api__iam__attached_policy__descriptor))
		    == NULL)
			goto out;
		(*list)[(*nlist)++] = ap;
		last = i;
		ap->policy_arn = strdup(arns[i]);
		ap->policy_name = strdup(policy_arn_name(arns[i]));
		if (ap->policy_arn == NULL || ap->policy_name == NULL) {
			rc = iam_nomem(ctx);
			goto out;
		}
	}
	if (*truncated && (*next = strdup(arns[last])) == NULL) {
		rc = iam_nomem(ctx);
		goto out;
	}
	rc = 0;
 out:
	store_string_list_free(arns, n);
	return rc;
}

/* ---- service-linked roles ------------------------------------------------- */

static const struct iam_slr iam_slrs[] = {
	{ "acm.amazonaws.com", "AWSServiceRoleForCertificateManager",
	  "arn:aws:iam::aws:policy/aws-service-role/CertificateManagerServiceRolePolicy",
	  "" },
};

const struct iam_slr *
iam_slr_by_service(const char *service)
{
	if (service == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(iam_slrs) / sizeof(iam_slrs[0]); i++)
		if (strcmp(iam_slrs[i].service, service) == 0)
			return &iam_slrs[i];
	return NULL;
}

void
iam_slr_trust(const struct iam_slr *s, char *out, size_t len)
{
	snprintf(out, len, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
	    "\"Principal\":{\"Service\":\"%s\"},\"Action\":\"sts:AssumeRole\"}]}", s->service);
}

void
iam_slr_path(const struct iam_slr *s, char *out, size_t len)
{
	snprintf(out, len, IAM_SLR_PATH_PREFIX "%s/", s->service);
}

/* ---- paging ----------------------------------------------------------------- */

size_t
iam_page_limit(protobuf_c_boolean has, int32_t v)
{
	if (!has)
		return IAM_PAGE_DEFAULT;
	if (v < 1)
		return 1;
	return v > 1000 ? 1000 : (size_t)v;
}

/* ---- output shapes ---------------------------------------------------------- */

ProtobufCMessage *
iam_msg_new(struct op_ctx *ctx, const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = malloc(d->sizeof_message);

	if (m == NULL) {
		op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "out of memory");
		return NULL;
	}
	d->message_init(m);
	return m;
}

char *
iam_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void *
shape_nomem(struct op_ctx *ctx, ProtobufCMessage *m)
{
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "out of memory");
	return NULL;
}

Pca__Api__Iam__User *
iam_user_shape(struct op_ctx *ctx, const struct store_iam_user *u)
{
	Pca__Api__Iam__User *o;

	if ((o = (void *)iam_msg_new(ctx, &pca__api__iam__user__descriptor)) == NULL)
		return NULL;
	o->path = iam_strdup(u->path != NULL ? u->path : "/");
	o->user_name = iam_strdup(u->name);
	o->user_id = iam_strdup(u->user_id);
	o->arn = iam_strdup(u->arn);
	o->create_date = (double)u->created_at;
	if (o->path == NULL || o->user_name == NULL || o->user_id == NULL || o->arn == NULL)
		return shape_nomem(ctx, &o->base);
	return o;
}

Pca__Api__Iam__User *
iam_root_shape(struct op_ctx *ctx)
{
	Pca__Api__Iam__User *o;
	struct store_account a;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = store_account_get(ctx->fe->store, ctx->caller->account_id, &a)) != 0) {
		iam_fail_store(ctx, r, "account");
		return NULL;
	}
	if ((o = (void *)iam_msg_new(ctx, &pca__api__iam__user__descriptor)) == NULL) {
		store_account_clear(&a);
		return NULL;
	}
	/* as AWS answers for root credentials: the account id as UserId, the
	 * root ARN, no name and no path */
	o->user_id = iam_strdup(ctx->caller->account_id);
	o->arn = iam_strdup(ctx->caller->arn);
	o->create_date = (double)a.created_at;
	store_account_clear(&a);
	if (o->user_id == NULL || o->arn == NULL)
		return shape_nomem(ctx, &o->base);
	return o;
}

Pca__Api__Iam__Role *
iam_role_shape(struct op_ctx *ctx, const struct store_iam_role *r)
{
	Pca__Api__Iam__Role *o;

	if ((o = (void *)iam_msg_new(ctx, &pca__api__iam__role__descriptor)) == NULL)
		return NULL;
	o->path = iam_strdup(r->path != NULL ? r->path : "/");
	o->role_name = iam_strdup(r->name);
	o->role_id = iam_strdup(r->role_id);
	o->arn = iam_strdup(r->arn);
	o->create_date = (double)r->created_at;
	o->assume_role_policy_document = iam_strdup(r->trust_policy);
	if (r->description != NULL && r->description[0] != '\0' &&
	    (o->description = strdup(r->description)) == NULL)
		return shape_nomem(ctx, &o->base);
	o->has_max_session_duration = 1;
	o->max_session_duration = r->max_session_duration;
	if (o->path == NULL || o->role_name == NULL || o->role_id == NULL || o->arn == NULL ||
	    (r->trust_policy != NULL && o->assume_role_policy_document == NULL))
		return shape_nomem(ctx, &o->base);
	return o;
}

Pca__Api__Iam__Policy *
iam_managed_policy_shape(struct op_ctx *ctx, const struct managed_policy *p,
    int attachment_count)
{
	Pca__Api__Iam__Policy *o;
	char arn[256], id[IAM_ID_LEN + 1];

	if ((o = (void *)iam_msg_new(ctx, &pca__api__iam__policy__descriptor)) == NULL)
		return NULL;
	managed_policy_arn(p, arn, sizeof(arn));
	iam_id_of("ANPA", arn, id, sizeof(id));
	o->policy_name = iam_strdup(p->name);
	o->policy_id = iam_strdup(id);
	o->arn = iam_strdup(arn);
	o->path = iam_strdup(p->path);
	o->default_version_id = iam_strdup("v1");
	o->description = iam_strdup(p->description);
	o->has_attachment_count = 1;
	o->attachment_count = attachment_count;
	o->has_permissions_boundary_usage_count = 1;
	o->permissions_boundary_usage_count = 0;
	o->has_is_attachable = 1;
	o->is_attachable = 1;
	if (o->policy_name == NULL || o->policy_id == NULL || o->arn == NULL ||
	    o->path == NULL || o->default_version_id == NULL || o->description == NULL)
		return shape_nomem(ctx, &o->base);
	return o;
}
