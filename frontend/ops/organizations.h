/*
 * organizations.h - what the organizations handlers share: the caller's
 * organization with the right typed errors, identifiers, ARNs, paging and
 * output shapes.
 *
 * Who may call what (AWS's rules): the management account runs every
 * management operation; a member account may DescribeOrganization,
 * ListParents of itself, LeaveOrganization, and handle the handshakes it
 * received; an account in no organization gets
 * AWSOrganizationsNotInUseException from anything that needs one. IAM
 * authorization (dispatch_call) has already run on "*" before a handler
 * starts; these checks come on top.
 *
 * Identifiers (AWS's patterns): organization o-<10 [a-z0-9]>, root
 * r-<4>, OU ou-<root's 4>-<8>, handshake h-<10>, create-account request
 * car-<32>. ARNs are arn:aws:organizations::<management account>:
 * organization/o-x, account/o-x/<id>, root/o-x/r-x, ou/o-x/ou-x,
 * handshake/o-x/invite/h-x.
 */
#ifndef PCA_OPS_ORGANIZATIONS_H
#define PCA_OPS_ORGANIZATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "frontend.h"
#include "ops.h"
#include "organizations.pb-c.h"
#include "store_iam.h"

#define ORG_ENUM(type, v)	PCA__API__ORGANIZATIONS__##type##__##v
#define ORG_PAGE_MAX		20	/* MaxResults' maximum and default */
#define ORG_OU_DEPTH_MAX	5	/* OUs below the root, AWS's limit */
#define ORG_HANDSHAKE_DAYS	15	/* an invitation stays open this long */
#define ORG_ARN_MAX		256

#define ORG_NOT_IN_USE_MSG	"Your account is not a member of an organization."
#define ORG_DENIED_MSG		"You don't have permissions to access this resource."

/* The caller's organization into *org (store_org_clear() it) and the
 * caller's membership into *me when not NULL (store_membership_clear()).
 * need_mgmt: only the management account may go on (AccessDeniedException
 * otherwise). -1 with ctx set on failure. */
int org_of_caller(struct op_ctx *ctx, int need_mgmt, struct store_org *org,
    struct store_membership *me);

/* Map a store error to a typed failure (NOT_FOUND: `nf` with msg). */
int org_fail_store(struct op_ctx *ctx, int r, enum api_exc nf, const char *msg);

/* prefix followed by n random characters of [a-z0-9] into out (len >
 * strlen(prefix) + n). */
int org_random_id(char *out, size_t len, const char *prefix, size_t n) PCA_MUST_CHECK;

/* 1 when s is prefix followed by min..max characters of [a-z0-9]. */
int org_id_valid(const char *s, const char *prefix, size_t min, size_t max);
int org_account_id_valid(const char *s);	/* 12 digits */
int org_ou_id_valid(const char *s);
int org_root_id_valid(const char *s);
int org_parent_id_valid(const char *s);	/* root or OU */

/* arn:aws:organizations::<mgmt>:<kind>/<org id>[/<id>] */
void org_arn(char *buf, size_t len, const struct store_org *org, const char *kind,
    const char *id);

/* The page size of MaxResults (ORG_PAGE_MAX when absent). */
size_t org_page_limit(protobuf_c_boolean has, int32_t max_results);
int org_bad_token(struct op_ctx *ctx);

/*
 * Check that parent_id (root or OU) is a node of org: 0, or -1 with ctx
 * set to `nf` (ParentNotFound, SourceParentNotFound...). *is_root tells
 * which when not NULL.
 */
int org_parent_check(struct op_ctx *ctx, const struct store_org *org, const char *parent_id,
    enum api_exc nf, int *is_root);

/* Output shapes (malloc'd, NULL with ctx set on failure). */
Pca__Api__Organizations__Organization *org_shape(struct op_ctx *ctx,
    const struct store_org *org);
Pca__Api__Organizations__Account *org_account_shape(struct op_ctx *ctx,
    const struct store_org *org, const struct store_membership *m);
Pca__Api__Organizations__OrganizationalUnit *org_ou_shape(struct op_ctx *ctx,
    const struct store_org *org, const struct store_ou *ou);

/* Wire name of an enum value <-> value. */
int org_enum_value(const ProtobufCEnumDescriptor *d, const char *wire, int dflt);

/* handlers (organizations.c, organizations_account.c, organizations_ou.c,
 * organizations_handshake.c) */
op_handler_fn org_create_organization, org_describe_organization, org_delete_organization,
    org_leave_organization, org_list_roots;
op_handler_fn org_create_account, org_describe_create_account_status, org_describe_account,
    org_list_accounts, org_list_accounts_for_parent, org_move_account,
    org_remove_account_from_organization;
op_handler_fn org_create_organizational_unit, org_describe_organizational_unit,
    org_update_organizational_unit, org_delete_organizational_unit,
    org_list_organizational_units_for_parent, org_list_parents, org_list_children;
op_handler_fn org_invite_account_to_organization, org_accept_handshake,
    org_decline_handshake, org_cancel_handshake, org_describe_handshake,
    org_list_handshakes_for_account, org_list_handshakes_for_organization;

#endif
