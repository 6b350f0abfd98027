/*
 * iam.c - the iam operations: users and their access keys, roles (service-
 * linked ones included), inline policies, managed policy attachments, and
 * the AWS managed policies.
 *
 * IAM acts within the caller's account, always: every name is looked up in
 * ctx->caller->account_id. Each row's resource function names the entity
 * the action is on, as AWS does (arn:aws:iam::<account>:user<path><name>,
 * ...:role<path><name>, ...:root), and checks the names on the way: it runs
 * before authorization, so a handler sees only names of IAM's pattern.
 * Errors carry AWS IAM's codes and words (iam_util.h).
 *
 * Deviations from AWS, on purpose:
 *  - policy documents are returned as given, not URL-encoded (the native
 *    API carries them as text; the AWS CLI decodes them anyway);
 *  - permissions boundaries and tags on users and roles are refused
 *    (InvalidInput): the store keeps neither and the policy engine does not
 *    apply boundaries, so accepting them would promise a restriction that
 *    is not there;
 *  - customer managed policies do not exist: only AWS managed policies
 *    (managed_policies.h) can be attached, read and listed.
 */
#include "arn.h"
#include "clock.h"
#include "iam_util.h"
#include "log.h"
#include "managed_policies.h"
#include "ops.h"
#include "wipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_ACTIVE	PCA__API__IAM__STATUS_TYPE__statusType_Active
#define STATUS_INACTIVE	PCA__API__IAM__STATUS_TYPE__statusType_Inactive
#define SCOPE(x)	PCA__API__IAM__POLICY_SCOPE_TYPE__policyScopeType_##x
#define USAGE(x)	PCA__API__IAM__POLICY_USAGE_TYPE__PolicyUsageType_##x

#define LIST_PAGE	100	/* rows read from the store at a time */
#define NEW_ID_TRIES	3	/* fresh random ids tried on a collision */

/* ---- resources ------------------------------------------------------------ */

/* The string member `name` of in (NULL when absent). */
static const char *
member(const ProtobufCMessage *in, const char *name)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field_by_name(in->descriptor, name);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	return *(const char * const *)((const char *)in + f->offset);
}

static int
res_format(struct op_ctx *ctx, char *buf, size_t len, const char *kind, const char *path,
    const char *name)
{
	int n;

	if (ctx->caller->account_id[0] == '\0')
		return op_fail(ctx, EXC_IAM_ACCESS_DENIED, "User: %s is not authorized to "
		    "perform: %s", ctx->caller->arn, ctx->op->action);
	n = snprintf(buf, len, "arn:aws:iam::%s:%s%s%s", ctx->caller->account_id, kind,
	    path != NULL ? path : "/", name);
	if (n < 0 || (size_t)n >= len)
		return op_fail(ctx, EXC_STS_VALIDATION, "The resource name is too long.");
	return 0;
}

/* The ARN of an existing user or role as stored (its path, and its name as
 * spelt at creation should the store match names regardless of case), or
 * at "/" when there is none of that name (the handler answers
 * NoSuchEntity). */
static int
res_existing(struct op_ctx *ctx, int kind, const char *name, char *buf, size_t len)
{
	struct store_iam_user u;
	struct store_iam_role ro;
	int r, rc;

	memset(&u, 0, sizeof(u));
	memset(&ro, 0, sizeof(ro));
	if (kind == STORE_PRINCIPAL_USER) {
		r = store_iam_user_get(ctx->fe->store, ctx->caller->account_id, name, &u);
		if (r != 0 && r != PCA_ERR_NOT_FOUND)
			return iam_fail_store(ctx, r, "user");
		rc = res_format(ctx, buf, len, "user", r == 0 ? u.path : "/",
		    r == 0 ? u.name : name);
		if (r == 0)
			store_iam_user_clear(&u);
	} else {
		r = store_iam_role_get(ctx->fe->store, ctx->caller->account_id, name, &ro);
		if (r != 0 && r != PCA_ERR_NOT_FOUND)
			return iam_fail_store(ctx, r, "role");
		rc = res_format(ctx, buf, len, "role", r == 0 ? ro.path : "/",
		    r == 0 ? ro.name : name);
		if (r == 0)
			store_iam_role_clear(&ro);
	}
	return rc;
}

/* user_name names an existing user. */
static int
res_user(struct op_ctx *ctx, const ProtobufCMessage *in, char *buf, size_t len)
{
	const char *name = member(in, "user_name");

	if (iam_check_name(ctx, "userName", name, IAM_ENTITY_NAME_MAX) != 0)
		return -1;
	return res_existing(ctx, STORE_PRINCIPAL_USER, name, buf, len);
}

/* user_name, or the caller itself when absent (a user, or the root). */
static int
res_user_or_self(struct op_ctx *ctx, const ProtobufCMessage *in, char *buf, size_t len)
{
	const char *name = member(in, "user_name");

	if (name != NULL)
		return res_user(ctx, in, buf, len);
	switch (ctx->caller->kind) {
	case CALLER_ROOT:
		return res_format(ctx, buf, len, "root", "", "");
	case CALLER_USER:
		return res_existing(ctx, STORE_PRINCIPAL_USER, ctx->caller->name, buf, len);
	default:
		return op_fail(ctx, EXC_STS_VALIDATION,
		    "Must specify userName when calling with non-User credentials");
	}
}

/* A new user: user_name at path. */
static int
res_user_new(struct op_ctx *ctx, const ProtobufCMessage *in, char *buf, size_t len)
{
	const char *name = member(in, "user_name"), *path = member(in, "path");

	if (iam_check_name(ctx, "userName", name, IAM_ENTITY_NAME_MAX) != 0 ||
	    iam_check_path(ctx, "path", path) != 0)
		return -1;
	return res_format(ctx, buf, len, "user", path, name);
}

static int
res_role(struct op_ctx *ctx, const ProtobufCMessage *in, char *buf, size_t len)
{
	const char *name = member(in, "role_name");

	if (iam_check_name(ctx, "roleName", name, IAM_ENTITY_NAME_MAX) != 0)
		return -1;
	return res_existing(ctx, STORE_PRINCIPAL_ROLE, name, buf, len);
}

static int
res_role_new(struct op_ctx *ctx, const ProtobufCMessage *in, char *buf, size_t len)
{
	const char *name = member(in, "role_name"), *path = member(in, "path");

	if (iam_check_name(ctx, "roleName", name, IAM_ENTITY_NAME_MAX) != 0 ||
	    iam_check_path(ctx, "path", path) != 0)
		return -1;
	return res_format(ctx, buf, len, "role", path, name);
}

/* The service-linked role a service would get (the ARN AWS's managed
 * policies grant iam:CreateServiceLinkedRole on). */
static int
res_slr_new(struct op_ctx *ctx, const ProtobufCMessage *in, char *buf, size_t len)
{
	const char *service = member(in, "AWSServiceName");
	const struct iam_slr *s;
	char path[IAM_PATH_MAX + 1];

	if ((s = iam_slr_by_service(service)) == NULL)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT, "Invalid ServiceName: %.128s is not "
		    "a service that has a service-linked role here.",
		    service != NULL ? service : "");
	iam_slr_path(s, path, sizeof(path));
	return res_format(ctx, buf, len, "role", path, s->role_name);
}

/* ---- output helpers -------------------------------------------------------- */

static int
empty_out(struct op_ctx *ctx, ProtobufCMessage **out)
{
	return (*out = iam_msg_new(ctx, &pca__api__iam__empty__descriptor)) != NULL ? 0 : -1;
}

/* ---- users ----------------------------------------------------------------- */

static int
iam_create_user(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__CreateUserRequest *in = (const void *)in_;
	Pca__Api__Iam__CreateUserResponse *out;
	struct store_iam_user u, old;
	char arn[ARN_MAX + 1], id[IAM_ID_LEN + 1];
	const char *path = in->path != NULL ? in->path : "/";
	int r = PCA_ERR_EXISTS;

	if (in->permissions_boundary != NULL)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT,
		    "Permissions boundaries are not supported by this service.");
	if (in->n_tags > 0)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT,
		    "Tags on users are not supported by this service.");
	iam_arn(arn, sizeof(arn), ctx->caller->account_id, "user", path, in->user_name);
	memset(&u, 0, sizeof(u));
	memcpy(u.account_id, ctx->caller->account_id, sizeof(u.account_id));
	u.name = in->user_name;
	u.path = (char *)path;
	u.arn = arn;
	u.user_id = id;
	u.created_at = clock_now();
	for (int i = 0; i < NEW_ID_TRIES && r == PCA_ERR_EXISTS; i++) {
		if (iam_id_new("AIDA", id, sizeof(id)) != 0)
			return op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "no random numbers");
		r = store_iam_user_create(ctx->fe->store, &u);
		/* EXISTS: the name (most likely) or, once in 2^85, the id */
		if (r == PCA_ERR_EXISTS && store_iam_user_get(ctx->fe->store,
		    ctx->caller->account_id, in->user_name, &old) == 0) {
			store_iam_user_clear(&old);
			break;
		}
	}
	if (r == PCA_ERR_EXISTS)
		return op_fail(ctx, EXC_IAM_ENTITY_EXISTS, "User with name %s already exists.",
		    in->user_name);
	if (r != 0)
		return iam_fail_store(ctx, r, "user");
	if ((out = (void *)iam_msg_new(ctx, &pca__api__iam__create_user_response__descriptor))
	    == NULL)
		return -1;
	*out_ = &out->base;
	return (out->user = iam_user_shape(ctx, &u)) != NULL ? 0 : -1;
}

static int
iam_get_user(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__GetUserRequest *in = (const void *)in_;
	Pca__Api__Iam__GetUserResponse *out;
	struct store_iam_user u;
	const char *name = in->user_name;

	if ((out = (void *)iam_msg_new(ctx, &pca__api__iam__get_user_response__descriptor))
	    == NULL)
		return -1;
	*out_ = &out->base;
	if (name == NULL) {
		if (ctx->caller->kind == CALLER_ROOT)
			return (out->user = iam_root_shape(ctx)) != NULL ? 0 : -1;
		if (ctx->caller->kind != CALLER_USER)
			return op_fail(ctx, EXC_STS_VALIDATION,
			    "Must specify userName when calling with non-User credentials");
		name = ctx->caller->name;
	}
	if (iam_user_load(ctx, name, &u) != 0)
		return -1;
	out->user = iam_user_shape(ctx, &u);
	store_iam_user_clear(&u);
	return out->user != NULL ? 0 : -1;
}

static int
iam_delete_user(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__DeleteUserRequest *in = (const void *)in_;
	struct store_iam_user u;
	int r;

	if (iam_user_load(ctx, in->user_name, &u) != 0)
		return -1;
	store_iam_user_clear(&u);
	if (iam_delete_conflicts(ctx, STORE_PRINCIPAL_USER, in->user_name) != 0)
		return -1;
	r = store_iam_user_delete(ctx->fe->store, ctx->caller->account_id, in->user_name);
	if (r == PCA_ERR_NOT_FOUND)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY,
		    "The user with name %s cannot be found.", in->user_name);
	if (r == PCA_ERR_STATE)		/* a key or policy came meanwhile */
		return op_fail(ctx, EXC_IAM_DELETE_CONFLICT,
		    "Cannot delete entity, must delete access keys and policies first.");
	if (r != 0)
		return iam_fail_store(ctx, r, "user");
	return empty_out(ctx, out_);
}

static int
iam_list_users(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__ListUsersRequest *in = (const void *)in_;
	Pca__Api__Iam__ListUsersResponse *out;
	struct store_iam_user *u = NULL;
	size_t n = 0, limit = iam_page_limit(in->has_max_items, in->max_items);
	char *after = NULL;
	int r, rc = -1, more = 0;

	if (iam_check_path_prefix(ctx, in->path_prefix) != 0)
		return -1;
	if ((out = (void *)iam_msg_new(ctx, &pca__api__iam__list_users_response__descriptor))
	    == NULL)
		return -1;
	*out_ = &out->base;
	if ((out->users = iam_array_new(ctx, limit, sizeof(*out->users))) == NULL)
		return -1;
	if (in->marker != NULL && (after = strdup(in->marker)) == NULL)
		return iam_nomem(ctx);
	/* the marker is the name of the last user answered */
	do {
		if ((r = store_iam_user_list(ctx->fe->store, ctx->caller->account_id, after,
		    LIST_PAGE, &u, &n)) != 0) {
			rc = iam_fail_store(ctx, r, "users");
			goto out;
		}
		for (size_t i = 0; i < n && !more; i++) {
			if (!iam_path_has_prefix(u[i].path, in->path_prefix))
				continue;
			if (out->n_users == limit) {
				more = 1;
				break;
			}
			if ((out->users[out->n_users] = iam_user_shape(ctx, &u[i])) == NULL)
				goto out;
			out->n_users++;
		}
		free(after);
		after = n > 0 ? strdup(u[n - 1].name) : NULL;
		store_iam_user_list_free(u, n);
		u = NULL;
		if (n > 0 && after == NULL) {
			rc = iam_nomem(ctx);
			goto out;
		}
	} while (!more && n == LIST_PAGE);
	out->has_is_truncated = 1;
	out->is_truncated = more;
	if (more && (out->marker = strdup(out->users[out->n_users - 1]->user_name)) == NULL) {
		rc = iam_nomem(ctx);
		goto out;
	}
	rc = 0;
 out:
	free(after);
	if (u != NULL)
		store_iam_user_list_free(u, n);
	return rc;
}

/* ---- access keys ------------------------------------------------------------ */

static int
iam_create_access_key(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__CreateAccessKeyRequest *in = (const void *)in_;
	Pca__Api__Iam__CreateAccessKeyResponse *out;
	Pca__Api__Iam__AccessKey *k;
	struct store_access_key key, *keys = NULL;
	char id[IAM_KEY_ID_LEN + 1], secret[IAM_SECRET_LEN + 1];
	const char *user;
	size_t n = 0;
	int r = PCA_ERR_EXISTS, rc = -1;

	memset(secret, 0, sizeof(secret));
	if (iam_key_owner(ctx, in->user_name, &user) != 0)
		return -1;
	if ((r = store_access_key_list(ctx->fe->store, ctx->caller->account_id, user,
	    &keys, &n)) != 0)
		return iam_fail_store(ctx, r, "access keys");
	store_access_key_list_free(keys, n);
	if (n >= IAM_KEYS_PER_USER)
		return op_fail(ctx, EXC_IAM_LIMIT_EXCEEDED,
		    "Cannot exceed quota for AccessKeysPerUser: %d", IAM_KEYS_PER_USER);
	memset(&key, 0, sizeof(key));
	memcpy(key.account_id, ctx->caller->account_id, sizeof(key.account_id));
	key.id = id;
	key.secret = secret;
	key.user_name = (char *)user;
	key.active = 1;
	key.created_at = clock_now();
	r = PCA_ERR_EXISTS;
	for (int i = 0; i < NEW_ID_TRIES && r == PCA_ERR_EXISTS; i++) {
		if (iam_access_key_new(id, secret) != 0) {
			rc = op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "no random numbers");
			goto out;
		}
		r = store_access_key_put(ctx->fe->store, &key);
	}
	if (r != 0) {
		rc = iam_fail_store(ctx, r, user != NULL ? "user" : "access key");
		goto out;
	}
	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__create_access_key_response__descriptor)) == NULL)
		goto out;
	*out_ = &out->base;
	if ((k = (void *)iam_msg_new(ctx, &pca__api__iam__access_key__descriptor)) == NULL)
		goto out;
	out->access_key = k;
	k->user_name = iam_strdup(user);
	k->access_key_id = iam_strdup(id);
	k->status = STATUS_ACTIVE;
	k->secret_access_key = iam_strdup(secret);
	k->has_create_date = 1;
	k->create_date = (double)key.created_at;
	if ((user != NULL && k->user_name == NULL) || k->access_key_id == NULL ||
	    k->secret_access_key == NULL) {
		rc = iam_nomem(ctx);
		goto out;
	}
	rc = 0;
 out:
	wipe(secret, sizeof(secret));
	return rc;
}

/* The access key id of the user (NULL: the root) of the caller's account;
 * NoSuchEntity when no such key is theirs. */
static int
key_of_owner(struct op_ctx *ctx, const char *id, const char *user)
{
	struct store_access_key k;
	int r, mine;

	memset(&k, 0, sizeof(k));
	if ((r = store_access_key_get(ctx->fe->store, id, &k)) != 0 && r != PCA_ERR_NOT_FOUND)
		return iam_fail_store(ctx, r, "access key");
	mine = r == 0 && strcmp(k.account_id, ctx->caller->account_id) == 0 &&
	    (user == NULL ? k.user_name == NULL :
	    k.user_name != NULL && strcmp(k.user_name, user) == 0);
	if (r == 0)
		store_access_key_clear(&k);
	if (!mine)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY,
		    "The Access Key with id %.128s cannot be found.", id);
	return 0;
}

static int
iam_delete_access_key(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__DeleteAccessKeyRequest *in = (const void *)in_;
	const char *user;
	int r;

	if (iam_key_owner(ctx, in->user_name, &user) != 0 ||
	    key_of_owner(ctx, in->access_key_id, user) != 0)
		return -1;
	if ((r = store_access_key_delete(ctx->fe->store, in->access_key_id)) == PCA_ERR_NOT_FOUND)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY,
		    "The Access Key with id %.128s cannot be found.", in->access_key_id);
	if (r != 0)
		return iam_fail_store(ctx, r, "access key");
	return empty_out(ctx, out_);
}

static int
iam_update_access_key(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__UpdateAccessKeyRequest *in = (const void *)in_;
	const char *user;
	int r;

	if (in->status != STATUS_ACTIVE && in->status != STATUS_INACTIVE)
		return op_fail(ctx, EXC_STS_VALIDATION, "1 validation error detected: Value at "
		    "'status' failed to satisfy constraint: Member must satisfy enum value set: "
		    "[Active, Inactive]");
	if (iam_key_owner(ctx, in->user_name, &user) != 0 ||
	    key_of_owner(ctx, in->access_key_id, user) != 0)
		return -1;
	r = store_access_key_set_active(ctx->fe->store, in->access_key_id,
	    in->status == STATUS_ACTIVE);
	if (r == PCA_ERR_NOT_FOUND)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY,
		    "The Access Key with id %.128s cannot be found.", in->access_key_id);
	if (r != 0)
		return iam_fail_store(ctx, r, "access key");
	return empty_out(ctx, out_);
}

static int
cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct store_access_key *)a)->id,
	    ((const struct store_access_key *)b)->id);
}

static int
iam_list_access_keys(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__ListAccessKeysRequest *in = (const void *)in_;
	Pca__Api__Iam__ListAccessKeysResponse *out;
	Pca__Api__Iam__AccessKeyMetadata *m;
	struct store_access_key *k = NULL;
	size_t n = 0, i, limit = iam_page_limit(in->has_max_items, in->max_items);
	const char *user;
	int r, rc = -1;

	if (iam_key_owner(ctx, in->user_name, &user) != 0)
		return -1;
	if ((r = store_access_key_list(ctx->fe->store, ctx->caller->account_id, user,
	    &k, &n)) != 0)
		return iam_fail_store(ctx, r, "access keys");
	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__list_access_keys_response__descriptor)) == NULL)
		goto out;
	*out_ = &out->base;
	if ((out->access_key_metadata = iam_array_new(ctx, limit < n ? limit : n,
	    sizeof(*out->access_key_metadata))) == NULL)
		goto out;
	if (n > 1)		/* qsort() takes no NULL, even for 0 items */
		qsort(k, n, sizeof(*k), cmp_key);
	/* the marker is the id of the last key answered */
	for (i = 0; i < n && in->marker != NULL && strcmp(k[i].id, in->marker) <= 0; i++)
		;
	for (; i < n && out->n_access_key_metadata < limit; i++) {
		if ((m = (void *)iam_msg_new(ctx,
		    &pca__api__iam__access_key_metadata__descriptor)) == NULL)
			goto out;
		out->access_key_metadata[out->n_access_key_metadata++] = m;
		m->user_name = iam_strdup(k[i].user_name);
		m->access_key_id = iam_strdup(k[i].id);
		m->has_status = 1;
		m->status = k[i].active ? STATUS_ACTIVE : STATUS_INACTIVE;
		m->has_create_date = 1;
		m->create_date = (double)k[i].created_at;
		if (m->access_key_id == NULL || (k[i].user_name != NULL && m->user_name == NULL)) {
			rc = iam_nomem(ctx);
			goto out;
		}
	}
	out->has_is_truncated = 1;
	out->is_truncated = i < n;
	if (i < n && (out->marker = strdup(k[i - 1].id)) == NULL) {
		rc = iam_nomem(ctx);
		goto out;
	}
	rc = 0;
 out:
	store_access_key_list_free(k, n);	/* wipes the secrets */
	return rc;
}

/* ---- inline policies (users and roles) -------------------------------------- */

static int
iam_put_user_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__PutUserPolicyRequest *in = (const void *)in_;

	if (iam_inline_put(ctx, STORE_PRINCIPAL_USER, in->user_name, in->policy_name,
	    in->policy_document) != 0)
		return -1;
	return empty_out(ctx, out_);
}

static int
iam_get_user_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__GetUserPolicyRequest *in = (const void *)in_;
	Pca__Api__Iam__GetUserPolicyResponse *out;
	char *doc;

	if (iam_inline_get(ctx, STORE_PRINCIPAL_USER, in->user_name, in->policy_name, &doc) != 0)
		return -1;
	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__get_user_policy_response__descriptor)) == NULL) {
		free(doc);
		return -1;
	}
	*out_ = &out->base;
	out->policy_document = doc;
	out->user_name = iam_strdup(in->user_name);
	out->policy_name = iam_strdup(in->policy_name);
	return out->user_name != NULL && out->policy_name != NULL ? 0 : iam_nomem(ctx);
}

static int
iam_delete_user_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__DeleteUserPolicyRequest *in = (const void *)in_;

	if (iam_inline_delete(ctx, STORE_PRINCIPAL_USER, in->user_name, in->policy_name) != 0)
		return -1;
	return empty_out(ctx, out_);
}

static int
iam_list_user_policies(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__ListUserPoliciesRequest *in = (const void *)in_;
	Pca__Api__Iam__ListUserPoliciesResponse *out;

	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__list_user_policies_response__descriptor)) == NULL)
		return -1;
	*out_ = &out->base;
	out->has_is_truncated = 1;
	return iam_inline_list(ctx, STORE_PRINCIPAL_USER, in->user_name, in->marker,
	    iam_page_limit(in->has_max_items, in->max_items), &out->policy_names,
	    &out->n_policy_names, &out->is_truncated, &out->marker);
}

/* ---- managed policy attachments ---------------------------------------------- */

static int
iam_attach_user_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__AttachUserPolicyRequest *in = (const void *)in_;

	if (iam_policy_attach(ctx, STORE_PRINCIPAL_USER, in->user_name, in->policy_arn) != 0)
		return -1;
	return empty_out(ctx, out_);
}

static int
iam_detach_user_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__DetachUserPolicyRequest *in = (const void *)in_;

	if (iam_policy_detach(ctx, STORE_PRINCIPAL_USER, in->user_name, in->policy_arn) != 0)
		return -1;
	return empty_out(ctx, out_);
}

static int
iam_list_attached_user_policies(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Iam__ListAttachedUserPoliciesRequest *in = (const void *)in_;
	Pca__Api__Iam__ListAttachedUserPoliciesResponse *out;

	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__list_attached_user_policies_response__descriptor)) == NULL)
		return -1;
	*out_ = &out->base;
	out->has_is_truncated = 1;
	return iam_attached_list(ctx, STORE_PRINCIPAL_USER, in->user_name, in->path_prefix,
	    in->marker, iam_page_limit(in->has_max_items, in->max_items),
	    &out->attached_policies, &out->n_attached_policies, &out->is_truncated,
	    &out->marker);
}

/* ---- roles ------------------------------------------------------------------- */

/* A trust policy: IAM's size quota, then the grammar of trust policies. */
static int
trust_check(struct op_ctx *ctx, const char *doc)
{
	if (iam_policy_size(doc) > IAM_TRUST_POLICY_MAX)
		return op_fail(ctx, EXC_IAM_LIMIT_EXCEEDED, "Cannot exceed quota for "
		    "ACLSizePerRole: %d", IAM_TRUST_POLICY_MAX);
	return iam_policy_check(ctx, doc, IAM_KIND_TRUST);
}

/* Create role r (its id is filled in here), with IAM's answer to a taken
 * name: EntityAlreadyExists, or for a service-linked role InvalidInput. */
static int
role_create(struct op_ctx *ctx, struct store_iam_role *ro)
{
	struct store_iam_role old;
	int r = PCA_ERR_EXISTS;

	for (int i = 0; i < NEW_ID_TRIES && r == PCA_ERR_EXISTS; i++) {
		if (iam_id_new("AROA", ro->role_id, IAM_ID_LEN + 1) != 0)
			return op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "no random numbers");
		r = store_iam_role_create(ctx->fe->store, ro);
		if (r == PCA_ERR_EXISTS && store_iam_role_get(ctx->fe->store,
		    ctx->caller->account_id, ro->name, &old) == 0) {
			store_iam_role_clear(&old);
			break;
		}
	}
	if (r == PCA_ERR_EXISTS && ro->service != NULL)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT, "Service role name %s has been taken "
		    "in this account, please try a different suffix.", ro->name);
	if (r == PCA_ERR_EXISTS)
		return op_fail(ctx, EXC_IAM_ENTITY_EXISTS, "Role with name %s already exists.",
		    ro->name);
	return r != 0 ? iam_fail_store(ctx, r, "role") : 0;
}

static int
iam_create_role(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__CreateRoleRequest *in = (const void *)in_;
	Pca__Api__Iam__CreateRoleResponse *out;
	struct store_iam_role ro;
	char arn[ARN_MAX + 1], id[IAM_ID_LEN + 1];
	const char *path = in->path != NULL ? in->path : "/";

	if (strncmp(path, IAM_SLR_PATH_PREFIX, strlen(IAM_SLR_PATH_PREFIX)) == 0)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT, "The path %s is reserved for "
		    "service-linked roles: use CreateServiceLinkedRole.", IAM_SLR_PATH_PREFIX);
	if (in->permissions_boundary != NULL)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT,
		    "Permissions boundaries are not supported by this service.");
	if (in->n_tags > 0)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT,
		    "Tags on roles are not supported by this service.");
	if (in->has_max_session_duration && (in->max_session_duration < IAM_SESSION_MIN ||
	    in->max_session_duration > IAM_SESSION_MAX))
		return op_fail(ctx, EXC_STS_VALIDATION, "The requested MaxSessionDuration of %d "
		    "seconds is not between %d and %d seconds.", (int)in->max_session_duration,
		    IAM_SESSION_MIN, IAM_SESSION_MAX);
	if (trust_check(ctx, in->assume_role_policy_document) != 0)
		return -1;
	iam_arn(arn, sizeof(arn), ctx->caller->account_id, "role", path, in->role_name);
	memset(&ro, 0, sizeof(ro));
	memcpy(ro.account_id, ctx->caller->account_id, sizeof(ro.account_id));
	ro.name = in->role_name;
	ro.path = (char *)path;
	ro.arn = arn;
	ro.role_id = id;
	ro.trust_policy = in->assume_role_policy_document;
	ro.description = in->description;
	ro.max_session_duration = in->has_max_session_duration ? in->max_session_duration :
	    IAM_SESSION_MIN;
	ro.created_at = clock_now();
	if (role_create(ctx, &ro) != 0)
		return -1;
	if ((out = (void *)iam_msg_new(ctx, &pca__api__iam__create_role_response__descriptor))
	    == NULL)
		return -1;
	*out_ = &out->base;
	return (out->role = iam_role_shape(ctx, &ro)) != NULL ? 0 : -1;
}

static int
iam_get_role(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__GetRoleRequest *in = (const void *)in_;
	Pca__Api__Iam__GetRoleResponse *out;
	struct store_iam_role ro;

	if (iam_role_load(ctx, in->role_name, &ro) != 0)
		return -1;
	if ((out = (void *)iam_msg_new(ctx, &pca__api__iam__get_role_response__descriptor))
	    != NULL) {
		*out_ = &out->base;
		out->role = iam_role_shape(ctx, &ro);
	}
	store_iam_role_clear(&ro);
	return out != NULL && out->role != NULL ? 0 : -1;
}

static int
iam_delete_role(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__DeleteRoleRequest *in = (const void *)in_;
	struct store_iam_role ro;
	int r;

	if (iam_role_load(ctx, in->role_name, &ro) != 0)
		return -1;
	r = iam_role_modifiable(ctx, &ro);
	store_iam_role_clear(&ro);
	if (r != 0 || iam_delete_conflicts(ctx, STORE_PRINCIPAL_ROLE, in->role_name) != 0)
		return -1;
	r = store_iam_role_delete(ctx->fe->store, ctx->caller->account_id, in->role_name);
	if (r == PCA_ERR_NOT_FOUND)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY,
		    "The role with name %s cannot be found.", in->role_name);
	if (r == PCA_ERR_STATE)
		return op_fail(ctx, EXC_IAM_DELETE_CONFLICT,
		    "Cannot delete entity, must delete policies first.");
	if (r != 0)
		return iam_fail_store(ctx, r, "role");
	return empty_out(ctx, out_);
}

static int
iam_list_roles(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__ListRolesRequest *in = (const void *)in_;
	Pca__Api__Iam__ListRolesResponse *out;
	struct store_iam_role *ro = NULL;
	size_t n = 0, limit = iam_page_limit(in->has_max_items, in->max_items);
	char *after = NULL;
	int r, rc = -1, more = 0;

	if (iam_check_path_prefix(ctx, in->path_prefix) != 0)
		return -1;
	if ((out = (void *)iam_msg_new(ctx, &pca__api__iam__list_roles_response__descriptor))
	    == NULL)
		return -1;
	*out_ = &out->base;
	if ((out->roles = iam_array_new(ctx, limit, sizeof(*out->roles))) == NULL)
		return -1;
	if (in->marker != NULL && (after = strdup(in->marker)) == NULL)
		return iam_nomem(ctx);
	/* the marker is the name of the last role answered */
	do {
		if ((r = store_iam_role_list(ctx->fe->store, ctx->caller->account_id, after,
		    LIST_PAGE, &ro, &n)) != 0) {
			rc = iam_fail_store(ctx, r, "roles");
			goto out;
		}
		for (size_t i = 0; i < n && !more; i++) {
			if (!iam_path_has_prefix(ro[i].path, in->path_prefix))
				continue;
			if (out->n_roles == limit) {
				more = 1;
				break;
			}
			if ((out->roles[out->n_roles] = iam_role_shape(ctx, &ro[i])) == NULL)
				goto out;
			out->n_roles++;
		}
		free(after);
		after = n > 0 ? strdup(ro[n - 1].name) : NULL;
		store_iam_role_list_free(ro, n);
		ro = NULL;
		if (n > 0 && after == NULL) {
			rc = iam_nomem(ctx);
			goto out;
		}
	} while (!more && n == LIST_PAGE);
	out->has_is_truncated = 1;
	out->is_truncated = more;
	if (more && (out->marker = strdup(out->roles[out->n_roles - 1]->role_name)) == NULL) {
		rc = iam_nomem(ctx);
		goto out;
	}
	rc = 0;
 out:
	free(after);
	if (ro != NULL)
		store_iam_role_list_free(ro, n);
	return rc;
}

static int
iam_update_assume_role_policy(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Iam__UpdateAssumeRolePolicyRequest *in = (const void *)in_;
	int r;

	if (iam_principal_check(ctx, STORE_PRINCIPAL_ROLE, in->role_name, 1) != 0 ||
	    trust_check(ctx, in->policy_document) != 0)
		return -1;
	r = store_iam_role_set_trust(ctx->fe->store, ctx->caller->account_id, in->role_name,
	    in->policy_document);
	if (r == PCA_ERR_NOT_FOUND)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY,
		    "The role with name %s cannot be found.", in->role_name);
	if (r != 0)
		return iam_fail_store(ctx, r, "role");
	return empty_out(ctx, out_);
}

static int
iam_put_role_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__PutRolePolicyRequest *in = (const void *)in_;

	if (iam_inline_put(ctx, STORE_PRINCIPAL_ROLE, in->role_name, in->policy_name,
	    in->policy_document) != 0)
		return -1;
	return empty_out(ctx, out_);
}

static int
iam_get_role_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__GetRolePolicyRequest *in = (const void *)in_;
	Pca__Api__Iam__GetRolePolicyResponse *out;
	char *doc;

	if (iam_inline_get(ctx, STORE_PRINCIPAL_ROLE, in->role_name, in->policy_name, &doc) != 0)
		return -1;
	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__get_role_policy_response__descriptor)) == NULL) {
		free(doc);
		return -1;
	}
	*out_ = &out->base;
	out->policy_document = doc;
	out->role_name = iam_strdup(in->role_name);
	out->policy_name = iam_strdup(in->policy_name);
	return out->role_name != NULL && out->policy_name != NULL ? 0 : iam_nomem(ctx);
}

static int
iam_delete_role_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__DeleteRolePolicyRequest *in = (const void *)in_;

	if (iam_inline_delete(ctx, STORE_PRINCIPAL_ROLE, in->role_name, in->policy_name) != 0)
		return -1;
	return empty_out(ctx, out_);
}

static int
iam_list_role_policies(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__ListRolePoliciesRequest *in = (const void *)in_;
	Pca__Api__Iam__ListRolePoliciesResponse *out;

	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__list_role_policies_response__descriptor)) == NULL)
		return -1;
	*out_ = &out->base;
	out->has_is_truncated = 1;
	return iam_inline_list(ctx, STORE_PRINCIPAL_ROLE, in->role_name, in->marker,
	    iam_page_limit(in->has_max_items, in->max_items), &out->policy_names,
	    &out->n_policy_names, &out->is_truncated, &out->marker);
}

static int
iam_attach_role_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__AttachRolePolicyRequest *in = (const void *)in_;

	if (iam_policy_attach(ctx, STORE_PRINCIPAL_ROLE, in->role_name, in->policy_arn) != 0)
		return -1;
	return empty_out(ctx, out_);
}

static int
iam_detach_role_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__DetachRolePolicyRequest *in = (const void *)in_;

	if (iam_policy_detach(ctx, STORE_PRINCIPAL_ROLE, in->role_name, in->policy_arn) != 0)
		return -1;
	return empty_out(ctx, out_);
}

static int
iam_list_attached_role_policies(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Iam__ListAttachedRolePoliciesRequest *in = (const void *)in_;
	Pca__Api__Iam__ListAttachedRolePoliciesResponse *out;

	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__list_attached_role_policies_response__descriptor)) == NULL)
		return -1;
	*out_ = &out->base;
	out->has_is_truncated = 1;
	return iam_attached_list(ctx, STORE_PRINCIPAL_ROLE, in->role_name, in->path_prefix,
	    in->marker, iam_page_limit(in->has_max_items, in->max_items),
	    &out->attached_policies, &out->n_attached_policies, &out->is_truncated,
	    &out->marker);
}

/* ---- service-linked roles ------------------------------------------------------ */

static int
iam_create_service_linked_role(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Iam__CreateServiceLinkedRoleRequest *in = (const void *)in_;
	Pca__Api__Iam__CreateServiceLinkedRoleResponse *out;
	const struct iam_slr *s;
	struct store_iam_role ro;
	char arn[ARN_MAX + 1], id[IAM_ID_LEN + 1], path[IAM_PATH_MAX + 1], trust[512];
	int r;

	/* the resource function refused services without one */
	if ((s = iam_slr_by_service(in->awsservicename)) == NULL)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT, "Invalid ServiceName: %.128s",
		    in->awsservicename);
	if (in->custom_suffix != NULL)
		return op_fail(ctx, EXC_IAM_INVALID_INPUT, "Custom suffix is not allowed for "
		    "%s", s->service);
	iam_slr_path(s, path, sizeof(path));
	iam_slr_trust(s, trust, sizeof(trust));
	iam_arn(arn, sizeof(arn), ctx->caller->account_id, "role", path, s->role_name);
	memset(&ro, 0, sizeof(ro));
	memcpy(ro.account_id, ctx->caller->account_id, sizeof(ro.account_id));
	ro.name = (char *)s->role_name;
	ro.path = path;
	ro.arn = arn;
	ro.role_id = id;
	ro.trust_policy = trust;
	ro.description = in->description != NULL ? in->description : (char *)s->description;
	ro.service = (char *)s->service;
	ro.max_session_duration = IAM_SESSION_MIN;
	ro.created_at = clock_now();
	if (role_create(ctx, &ro) != 0)
		return -1;
	if ((r = store_attachment_add(ctx->fe->store, ctx->caller->account_id,
	    STORE_PRINCIPAL_ROLE, s->role_name, s->policy_arn)) != 0) {
		/* a role without its policy would be useless to the service */
		if (store_iam_role_delete(ctx->fe->store, ctx->caller->account_id,
		    s->role_name) != 0)
			log_error("account %s: service-linked role %s left without its policy",
			    ctx->caller->account_id, s->role_name);
		return iam_fail_store(ctx, r, "service-linked role");
	}
	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__create_service_linked_role_response__descriptor)) == NULL)
		return -1;
	*out_ = &out->base;
	return (out->role = iam_role_shape(ctx, &ro)) != NULL ? 0 : -1;
}

/* Take what hangs on a service-linked role off it (the service's own
 * policies: nothing a customer could have added), then the role. */
static int
slr_delete(struct op_ctx *ctx, const char *name)
{
	struct store *st = ctx->fe->store;
	const char *acct = ctx->caller->account_id;
	struct store_inline_policy *p = NULL;
	char **arns = NULL;
	size_t n = 0, i;
	int r;

	if ((r = store_attachment_list(st, acct, STORE_PRINCIPAL_ROLE, name, &arns, &n)) != 0)
		return iam_fail_store(ctx, r, "attachments");
	for (i = 0; i < n && r == 0; i++)
		if ((r = store_attachment_remove(st, acct, STORE_PRINCIPAL_ROLE, name,
		    arns[i])) == PCA_ERR_NOT_FOUND)
			r = 0;
	store_string_list_free(arns, n);
	if (r != 0)
		return iam_fail_store(ctx, r, "attachments");
	if ((r = store_inline_policy_list(st, acct, STORE_PRINCIPAL_ROLE, name, &p, &n)) != 0)
		return iam_fail_store(ctx, r, "inline policies");
	for (i = 0; i < n && r == 0; i++)
		if ((r = store_inline_policy_delete(st, acct, STORE_PRINCIPAL_ROLE, name,
		    p[i].name)) == PCA_ERR_NOT_FOUND)
			r = 0;
	store_inline_policy_list_free(p, n);
	if (r != 0)
		return iam_fail_store(ctx, r, "inline policies");
	r = store_iam_role_delete(st, acct, name);
	if (r == PCA_ERR_NOT_FOUND)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY,
		    "The role with name %s cannot be found.", name);
	return r != 0 ? iam_fail_store(ctx, r, "role") : 0;
}

static int
iam_delete_service_linked_role(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Iam__DeleteServiceLinkedRoleRequest *in = (const void *)in_;
	Pca__Api__Iam__DeleteServiceLinkedRoleResponse *out;
	struct store_iam_role ro;
	char task[ARN_MAX + 1], uuid[37];
	int rc = -1;

	if (iam_role_load(ctx, in->role_name, &ro) != 0)
		return -1;
	if (ro.service == NULL) {
		rc = op_fail(ctx, EXC_IAM_INVALID_INPUT, "Role %s is not a service-linked role.",
		    in->role_name);
		goto out;
	}
	if (uuid_generate(uuid) != 0) {
		rc = op_fail(ctx, EXC_IAM_SERVICE_FAILURE, "no random numbers");
		goto out;
	}
	/* AWS deletes in the background and answers a task id; the deletion
	 * here is done by the time the id is answered */
	snprintf(task, sizeof(task), "task%s%s/%s", ro.path, ro.name, uuid);
	if (slr_delete(ctx, in->role_name) != 0)
		goto out;
	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__delete_service_linked_role_response__descriptor)) == NULL)
		goto out;
	*out_ = &out->base;
	rc = (out->deletion_task_id = strdup(task)) != NULL ? 0 : iam_nomem(ctx);
 out:
	store_iam_role_clear(&ro);
	return rc;
}

/* ---- AWS managed policies --------------------------------------------------------- */

static int
iam_get_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__GetPolicyRequest *in = (const void *)in_;
	Pca__Api__Iam__GetPolicyResponse *out;
	const struct managed_policy *p;
	int *counts;

	if (iam_managed_policy_get(ctx, in->policy_arn, 0, &p) != 0)
		return -1;
	if ((counts = iam_array_new(ctx, managed_policies_len, sizeof(*counts))) == NULL)
		return -1;
	if (iam_managed_policy_counts(ctx, counts) != 0 ||
	    (out = (void *)iam_msg_new(ctx, &pca__api__iam__get_policy_response__descriptor))
	    == NULL) {
		free(counts);
		return -1;
	}
	*out_ = &out->base;
	out->policy = iam_managed_policy_shape(ctx, p, counts[p - managed_policies]);
	free(counts);
	return out->policy != NULL ? 0 : -1;
}

static int
iam_get_policy_version(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__GetPolicyVersionRequest *in = (const void *)in_;
	Pca__Api__Iam__GetPolicyVersionResponse *out;
	Pca__Api__Iam__PolicyVersion *v;
	const struct managed_policy *p;

	if (iam_managed_policy_get(ctx, in->policy_arn, 0, &p) != 0)
		return -1;
	/* hsmca's managed policies have one version each */
	if (strcmp(in->version_id, "v1") != 0)
		return op_fail(ctx, EXC_IAM_NO_SUCH_ENTITY, "Policy %.200s version %.32s does "
		    "not exist or is not attachable.", in->policy_arn, in->version_id);
	if ((out = (void *)iam_msg_new(ctx,
	    &pca__api__iam__get_policy_version_response__descriptor)) == NULL)
		return -1;
	*out_ = &out->base;
	if ((v = (void *)iam_msg_new(ctx, &pca__api__iam__policy_version__descriptor)) == NULL)
		return -1;
	out->policy_version = v;
	v->document = strdup(p->document);
	v->version_id = strdup("v1");
	v->has_is_default_version = 1;
	v->is_default_version = 1;
	return v->document != NULL && v->version_id != NULL ? 0 : iam_nomem(ctx);
}

static int
iam_list_policies(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Iam__ListPoliciesRequest *in = (const void *)in_;
	Pca__Api__Iam__ListPoliciesResponse *out;
	const struct managed_policy *p;
	size_t i = 0, limit = iam_page_limit(in->has_max_items, in->max_items);
	int *counts = NULL, rc = -1, last = -1;

	if (in->has_scope && in->scope != SCOPE(All) && in->scope != SCOPE(AWS) &&
	    in->scope != SCOPE(Local))
		return op_fail(ctx, EXC_STS_VALIDATION, "1 validation error detected: Value at "
		    "'scope' failed to satisfy constraint: Member must satisfy enum value set: "
		    "[All, AWS, Local]");
	if (in->has_policy_usage_filter && in->policy_usage_filter != USAGE(PermissionsPolicy) &&
	    in->policy_usage_filter != USAGE(PermissionsBoundary))
		return op_fail(ctx, EXC_STS_VALIDATION, "1 validation error detected: Value at "
		    "'policyUsageFilter' failed to satisfy constraint: Member must satisfy enum "
		    "value set: [PermissionsPolicy, PermissionsBoundary]");
	if (iam_check_path_prefix(ctx, in->path_prefix) != 0)
		return -1;
	if ((out = (void *)iam_msg_new(ctx, &pca__api__iam__list_policies_response__descriptor))
	    == NULL)
		return -1;
	*out_ = &out->base;
	out->has_is_truncated = 1;
	/* no customer managed policies: Local lists nothing */
	if (in->has_scope && in->scope == SCOPE(Local))
		return 0;
	if ((counts = iam_array_new(ctx, managed_policies_len, sizeof(*counts))) == NULL ||
	    (out->policies = iam_array_new(ctx, limit < managed_policies_len ? limit :
	    managed_policies_len, sizeof(*out->policies))) == NULL)
		goto out;
	if (iam_managed_policy_counts(ctx, counts) != 0)
		goto out;
	/* the marker is the name of the last policy answered */
	if (in->marker != NULL) {
		for (i = 0; i < managed_policies_len; i++)
			if (strcmp(managed_policies[i].name, in->marker) == 0)
				break;
		i = i < managed_policies_len ? i + 1 : managed_policies_len;
	}
	for (; i < managed_policies_len; i++) {
		p = &managed_policies[i];
		if ((in->has_only_attached && in->only_attached && counts[i] == 0) ||
		    !iam_path_has_prefix(p->path, in->path_prefix))
			continue;
		if (out->n_policies == limit) {
			out->is_truncated = 1;
			break;
		}
		if ((out->policies[out->n_policies] = iam_managed_policy_shape(ctx, p,
		    counts[i])) == NULL)
			goto out;
		out->n_policies++;
		last = (int)i;
	}
	if (out->is_truncated && (out->marker = strdup(managed_policies[last].name)) == NULL) {
		rc = iam_nomem(ctx);
		goto out;
	}
	rc = 0;
 out:
	free(counts);
	return rc;
}

/* ---- the table ------------------------------------------------------------------- */

#define IAM_OP(name, fn, res)	{ "iam", #name, "iam:" #name, NULL, 0, fn, NULL, res }
/* an operation whose answer holds a secret (the door wipes it) */
#define IAM_SECRET_OP(name, fn, res) \
	{ "iam", #name, "iam:" #name, NULL, OP_SECRETS, fn, NULL, res }

struct op_entry iam_op_table[] = {
	/* users */
	IAM_OP(CreateUser, iam_create_user, res_user_new),
	IAM_OP(GetUser, iam_get_user, res_user_or_self),
	IAM_OP(DeleteUser, iam_delete_user, res_user),
	IAM_OP(ListUsers, iam_list_users, NULL),
	/* access keys: a user's, or the caller's own */
	IAM_SECRET_OP(CreateAccessKey, iam_create_access_key, res_user_or_self),
	IAM_OP(DeleteAccessKey, iam_delete_access_key, res_user_or_self),
	IAM_OP(UpdateAccessKey, iam_update_access_key, res_user_or_self),
	IAM_OP(ListAccessKeys, iam_list_access_keys, res_user_or_self),
	/* inline policies and attachments of users */
	IAM_OP(PutUserPolicy, iam_put_user_policy, res_user),
	IAM_OP(GetUserPolicy, iam_get_user_policy, res_user),
	IAM_OP(DeleteUserPolicy, iam_delete_user_policy, res_user),
	IAM_OP(ListUserPolicies, iam_list_user_policies, res_user),
	IAM_OP(AttachUserPolicy, iam_attach_user_policy, res_user),
	IAM_OP(DetachUserPolicy, iam_detach_user_policy, res_user),
	IAM_OP(ListAttachedUserPolicies, iam_list_attached_user_policies, res_user),
	/* roles */
	IAM_OP(CreateRole, iam_create_role, res_role_new),
	IAM_OP(GetRole, iam_get_role, res_role),
	IAM_OP(DeleteRole, iam_delete_role, res_role),
	IAM_OP(ListRoles, iam_list_roles, NULL),
	IAM_OP(UpdateAssumeRolePolicy, iam_update_assume_role_policy, res_role),
	IAM_OP(PutRolePolicy, iam_put_role_policy, res_role),
	IAM_OP(GetRolePolicy, iam_get_role_policy, res_role),
	IAM_OP(DeleteRolePolicy, iam_delete_role_policy, res_role),
	IAM_OP(ListRolePolicies, iam_list_role_policies, res_role),
	IAM_OP(AttachRolePolicy, iam_attach_role_policy, res_role),
	IAM_OP(DetachRolePolicy, iam_detach_role_policy, res_role),
	IAM_OP(ListAttachedRolePolicies, iam_list_attached_role_policies, res_role),
	IAM_OP(CreateServiceLinkedRole, iam_create_service_linked_role, res_slr_new),
	IAM_OP(DeleteServiceLinkedRole, iam_delete_service_linked_role, res_role),
	/* AWS managed policies: the resource would be arn:aws:iam::aws:policy/...,
	 * an account ("aws") the authorizer cannot take, so these act on "*" */
	IAM_OP(GetPolicy, iam_get_policy, NULL),
	IAM_OP(GetPolicyVersion, iam_get_policy_version, NULL),
	IAM_OP(ListPolicies, iam_list_policies, NULL),
	{ 0 },
};
