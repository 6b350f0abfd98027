/*
 * iam_util.h - what the iam handlers (iam.c) share: IAM's name and path
 * rules, identifiers and access keys, loading users and roles with IAM's
 * typed errors, policy document checks, service-linked roles, and the
 * output shapes.
 *
 * Every function that takes a struct op_ctx and returns int fails the
 * request itself: 0, or -1 with ctx's error set (op_fail), worded as AWS
 * IAM words it.
 */
#ifndef PCA_OPS_IAM_UTIL_H
#define PCA_OPS_IAM_UTIL_H

#include <stddef.h>

#include "frontend.h"
#include "iam.pb-c.h"
#include "iam_policy.h"
#include "store.h"
#include "store_iam.h"

struct managed_policy;

/* IAM's quotas (the defaults of an AWS account). */
#define IAM_KEYS_PER_USER	2	/* AccessKeysPerUser */
#define IAM_ATTACHED_MAX	10	/* managed policies per user or role */
#define IAM_USER_POLICY_MAX	2048	/* non-whitespace characters, all inline
					 * policies of a user together */
#define IAM_ROLE_POLICY_MAX	10240	/* ... of a role */
#define IAM_TRUST_POLICY_MAX	2048	/* ACLSizePerRole */
#define IAM_SESSION_MIN		3600	/* MaxSessionDuration */
#define IAM_SESSION_MAX		43200
#define IAM_PAGE_DEFAULT	100	/* MaxItems when not given */

#define IAM_ENTITY_NAME_MAX	64	/* user and role names */
#define IAM_POLICY_NAME_MAX	128
#define IAM_PATH_MAX		512
#define IAM_ID_LEN		21	/* AIDA/AROA/ANPA + 17 */
#define IAM_KEY_ID_LEN		20	/* AKIA + 16 */
#define IAM_SECRET_LEN		40

#define IAM_SLR_PATH_PREFIX	"/aws-service-role/"

/* ---- names, paths, identifiers ------------------------------------------ */

/*
 * A name of IAM's pattern [\w+=,.@-]+ of 1..max characters; `field` is the
 * member's name in AWS's messages ("userName"). ValidationError otherwise.
 */
int iam_check_name(struct op_ctx *ctx, const char *field, const char *v, size_t max);
/* A path: "/" or "/<\x21-\x7e>+/" of at most 512 characters (NULL: "/"). */
int iam_check_path(struct op_ctx *ctx, const char *field, const char *v);
/* A path prefix: "/" followed by \x21-\x7e, at most 512 (NULL passes). */
int iam_check_path_prefix(struct op_ctx *ctx, const char *v);

/* A fresh unique id: prefix ("AIDA", "AROA") and 17 random characters of
 * IAM's upper-case base32 alphabet. out has IAM_ID_LEN + 1 bytes. */
int iam_id_new(const char *prefix, char *out, size_t len) PCA_MUST_CHECK;
/* A stable id of a name (AWS managed policies: "ANPA" + 17 characters of
 * its SHA-256). */
void iam_id_of(const char *prefix, const char *name, char *out, size_t len);
/* A new access key: id "AKIA" + 16 base32 characters, secret 40 base64
 * characters, both from the CSPRNG. The caller wipes secret. */
int iam_access_key_new(char id[IAM_KEY_ID_LEN + 1], char secret[IAM_SECRET_LEN + 1])
    PCA_MUST_CHECK;

/* arn:aws:iam::<account>:<kind><path><name> (kind "user" or "role"). */
void iam_arn(char *out, size_t len, const char *account, const char *kind, const char *path,
    const char *name);

/* ---- loading, with IAM's errors ------------------------------------------ */

/* Map a store code to a typed failure; `what` names the entity. */
int iam_fail_store(struct op_ctx *ctx, int r, const char *what);

/* The user `name` of the caller's account (NoSuchEntity: "The user with
 * name bob cannot be found."). store_iam_user_clear(u) afterwards. */
int iam_user_load(struct op_ctx *ctx, const char *name, struct store_iam_user *u);
/* The role `name` of the caller's account (NoSuchEntity). */
int iam_role_load(struct op_ctx *ctx, const char *name, struct store_iam_role *r);
/* UnmodifiableEntity when r is a service-linked role (AWS changes those
 * only through the service). */
int iam_role_modifiable(struct op_ctx *ctx, const struct store_iam_role *r);

/*
 * The user whose access keys a request means: `name` when given (the user
 * must exist), else the caller itself (a user, or NULL for the account
 * root; a role session must name one: ValidationError). *user gets a
 * pointer into name or ctx->caller (NULL: the root).
 */
int iam_key_owner(struct op_ctx *ctx, const char *name, const char **user);

/* ---- policy documents ------------------------------------------------------ */

/* Characters of a policy other than JSON whitespace: how IAM sizes them. */
size_t iam_policy_size(const char *doc);

/*
 * Check doc as a policy of kind (IAM_KIND_IDENTITY for inline policies,
 * IAM_KIND_TRUST for trust policies): MalformedPolicyDocument with the
 * parser's reason, LimitExceeded for IAM_TOO_LARGE, ServiceFailure when
 * out of memory.
 */
int iam_policy_check(struct op_ctx *ctx, const char *doc, enum iam_policy_kind kind);

/*
 * Check that putting an inline policy `name` of `size` characters keeps
 * the principal's inline policies within max characters together (IAM
 * counts them all, less the one being replaced). LimitExceeded: "Maximum
 * policy size of 2048 bytes exceeded for user bob".
 */
int iam_inline_size_check(struct op_ctx *ctx, int kind, const char *principal,
    const char *name, size_t size, size_t max);

/*
 * The managed policy an ARN names: InvalidInput for what is not an IAM
 * policy ARN, NoSuchEntity for one that names no policy here (worded for
 * attaching when attach is 1: "Policy <arn> does not exist or is not
 * attachable.", else "Policy <arn> was not found.").
 */
int iam_managed_policy_get(struct op_ctx *ctx, const char *arn, int attach,
    const struct managed_policy **out);
/* 1 when p is a service-role policy (attachable only to service-linked
 * roles, by the service). */
int iam_managed_policy_is_service_role(const struct managed_policy *p);
/* The number of users and roles of the caller's account each managed
 * policy is attached to, indexed like managed_policies[]. */
int iam_managed_policy_counts(struct op_ctx *ctx, int *counts);

/*
 * Attach (attach = 1) or detach a managed policy ARN to or from a user or
 * role, with IAM's checks and errors: the quota of IAM_ATTACHED_MAX,
 * attaching twice succeeds, detaching what is not attached is NoSuchEntity.
 */
int iam_attachment_change(struct op_ctx *ctx, int kind, const char *principal,
    const char *arn, int attach);

/* ---- users and roles: what hangs on them -------------------------------- */

/* The user or role `name` (kind STORE_PRINCIPAL_*) exists; when modify,
 * it may also be changed (not a service-linked role). */
int iam_principal_check(struct op_ctx *ctx, int kind, const char *name, int modify);
/* DeleteConflict worded for what still hangs on a user (access keys, then
 * inline policies, then attachments) or role, as AWS words it; 0 when
 * nothing does. */
int iam_delete_conflicts(struct op_ctx *ctx, int kind, const char *name);

/* Put{User,Role}Policy: name and principal checked, IAM's size quota,
 * the document parsed as an identity policy, then stored as given. */
int iam_inline_put(struct op_ctx *ctx, int kind, const char *principal, const char *name,
    const char *doc);
/* Get{User,Role}Policy: *doc (free it); NoSuchEntity when absent. */
int iam_inline_get(struct op_ctx *ctx, int kind, const char *principal, const char *name,
    char **doc);
int iam_inline_delete(struct op_ctx *ctx, int kind, const char *principal, const char *name);
/* List{User,Role}Policies: the names after marker (the last one answered
 * before), at most limit, into the answer's members. */
int iam_inline_list(struct op_ctx *ctx, int kind, const char *principal, const char *marker,
    size_t limit, char ***names, size_t *nnames, protobuf_c_boolean *truncated, char **next);

/* Attach{User,Role}Policy: an AWS managed policy that is not a service
 * role's (PolicyNotAttachable), to a principal that may be changed. */
int iam_policy_attach(struct op_ctx *ctx, int kind, const char *principal, const char *arn);
/* Detach{User,Role}Policy: any IAM policy ARN that is attached. */
int iam_policy_detach(struct op_ctx *ctx, int kind, const char *principal, const char *arn);
/* ListAttached{User,Role}Policies: the policies under prefix after marker
 * (the ARN of the last one answered), at most limit. */
int iam_attached_list(struct op_ctx *ctx, int kind, const char *principal, const char *prefix,
    const char *marker, size_t limit, Pca__Api__Iam__AttachedPolicy ***list, size_t *nlist,
    protobuf_c_boolean *truncated, char **next);

/* ---- service-linked roles ------------------------------------------------- */

struct iam_slr {
	const char	*service;	/* "acm.amazonaws.com" */
	const char	*role_name;	/* "AWSServiceRoleForCertificateManager" */
	const char	*policy_arn;	/* attached at creation */
	const char	*description;
};

/* The service-linked role a service has, or NULL. */
const struct iam_slr *iam_slr_by_service(const char *service);
/* The trust policy of a service-linked role (allows the service). */
void iam_slr_trust(const struct iam_slr *s, char *out, size_t len);
/* Its path: /aws-service-role/<service>/ */
void iam_slr_path(const struct iam_slr *s, char *out, size_t len);

/* ---- paging ----------------------------------------------------------------- */

/* MaxItems of a request (has/v as decoded), IAM's default when absent. */
size_t iam_page_limit(protobuf_c_boolean has, int32_t v);
/* 1 when path (NULL: "/") starts with prefix (NULL: any). */
int iam_path_has_prefix(const char *path, const char *prefix);
/* qsort() of char * by strcmp. */
int iam_cmp_str(const void *a, const void *b);
/* calloc of n (at least 1) elements; NULL with ctx set (ServiceFailure). */
void *iam_array_new(struct op_ctx *ctx, size_t n, size_t size);
/* ServiceFailure "out of memory"; -1. */
int iam_nomem(struct op_ctx *ctx);

/* ---- output shapes (NULL on failure, ctx set) --------------------------- */

Pca__Api__Iam__User *iam_user_shape(struct op_ctx *ctx, const struct store_iam_user *u);
Pca__Api__Iam__Role *iam_role_shape(struct op_ctx *ctx, const struct store_iam_role *r);
/* The account root as a User (GetUser by root credentials). */
Pca__Api__Iam__User *iam_root_shape(struct op_ctx *ctx);
Pca__Api__Iam__Policy *iam_managed_policy_shape(struct op_ctx *ctx,
    const struct managed_policy *p, int attachment_count);

/* Allocate an empty message of type d; NULL with ctx set when out of memory. */
ProtobufCMessage *iam_msg_new(struct op_ctx *ctx, const ProtobufCMessageDescriptor *d);
/* strdup that NULL passes through. */
char *iam_strdup(const char *s);

#endif
