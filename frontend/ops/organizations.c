/*
 * organizations.c - the organizations operations' table, what their
 * handlers share (organizations.h), and the organization itself:
 * CreateOrganization, DescribeOrganization, DeleteOrganization,
 * LeaveOrganization, ListRoots.
 */
#include "acmpca.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "organizations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define ORG_OP(name, fn) \
	{ "organizations", #name, "organizations:" #name, NULL, 0, fn, NULL, NULL }

struct op_entry organizations_op_table[] = {
	/* the organization */
	ORG_OP(CreateOrganization, org_create_organization),
	ORG_OP(DescribeOrganization, org_describe_organization),
	ORG_OP(DeleteOrganization, org_delete_organization),
	ORG_OP(LeaveOrganization, org_leave_organization),
	ORG_OP(ListRoots, org_list_roots),
	/* accounts */
	ORG_OP(CreateAccount, org_create_account),
	ORG_OP(DescribeCreateAccountStatus, org_describe_create_account_status),
	ORG_OP(DescribeAccount, org_describe_account),
	ORG_OP(ListAccounts, org_list_accounts),
	ORG_OP(ListAccountsForParent, org_list_accounts_for_parent),
	ORG_OP(MoveAccount, org_move_account),
	ORG_OP(RemoveAccountFromOrganization, org_remove_account_from_organization),
	/* the tree */
	ORG_OP(CreateOrganizationalUnit, org_create_organizational_unit),
	ORG_OP(DescribeOrganizationalUnit, org_describe_organizational_unit),
	ORG_OP(UpdateOrganizationalUnit, org_update_organizational_unit),
	ORG_OP(DeleteOrganizationalUnit, org_delete_organizational_unit),
	ORG_OP(ListOrganizationalUnitsForParent, org_list_organizational_units_for_parent),
	ORG_OP(ListParents, org_list_parents),
	ORG_OP(ListChildren, org_list_children),
	/* invitations */
	ORG_OP(InviteAccountToOrganization, org_invite_account_to_organization),
	ORG_OP(AcceptHandshake, org_accept_handshake),
	ORG_OP(DeclineHandshake, org_decline_handshake),
	ORG_OP(CancelHandshake, org_cancel_handshake),
	ORG_OP(DescribeHandshake, org_describe_handshake),
	ORG_OP(ListHandshakesForAccount, org_list_handshakes_for_account),
	ORG_OP(ListHandshakesForOrganization, org_list_handshakes_for_organization),
	{ 0 },
};

/* ---- shared --------------------------------------------------------------- */

int
org_fail_store(struct op_ctx *ctx, int r, enum api_exc nf, const char *msg)
{
	if (r == PCA_ERR_NOT_FOUND && nf != EXC_NONE)
		return op_fail(ctx, nf, "%s", msg);
	if (r == PCA_ERR_STATE)
		return op_fail(ctx, EXC_CONCURRENT_MODIFICATION, "The target of the operation "
		    "is currently being modified by a different request. Try again later.");
	log_error_fr(r, "store: %s", msg);
	return op_fail(ctx, EXC_INTERNAL, "internal error");
}

int
org_of_caller(struct op_ctx *ctx, int need_mgmt, struct store_org *org,
    struct store_membership *me)
{
	struct store_membership m;
	int r;

	memset(org, 0, sizeof(*org));
	memset(&m, 0, sizeof(m));
	if (me != NULL)
		memset(me, 0, sizeof(*me));
	r = store_org_of_account(ctx->fe->store, ctx->caller->account_id, org, &m);
	if (r != 0) {
		store_org_clear(org);
		store_membership_clear(&m);
		return org_fail_store(ctx, r, EXC_ORG_NOT_IN_USE, ORG_NOT_IN_USE_MSG);
	}
	if (need_mgmt && strcmp(org->management_account, ctx->caller->account_id) != 0) {
		store_org_clear(org);
		store_membership_clear(&m);
		return op_fail(ctx, EXC_ACCESS_DENIED, ORG_DENIED_MSG);
	}
	if (me != NULL)
		*me = m;
	else
		store_membership_clear(&m);
	return 0;
}

int
org_random_id(char *out, size_t len, const char *prefix, size_t n)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t plen = strlen(prefix), i = 0;
	unsigned char b[64];

	if (plen + n + 1 > len)
		return PCA_ERR_INTERNAL;
	memcpy(out, prefix, plen);
	while (i < n) {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return PCA_ERR_CRYPTO;
		/* 252 = 7 * 36: no bias */
		for (size_t j = 0; j < sizeof(b) && i < n; j++)
			if (b[j] < 252)
				out[plen + i++] = alnum[b[j] % 36];
	}
	out[plen + n] = '\0';
	return 0;
}

int
org_id_valid(const char *s, const char *prefix, size_t min, size_t max)
{
	size_t plen = strlen(prefix), n;

	if (s == NULL || strncmp(s, prefix, plen) != 0)
		return 0;
	s += plen;
	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9')) || n >= max)
			return 0;
	return n >= min;
}

int
org_account_id_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (s[n] < '0' || s[n] > '9' || n >= 12)
			return 0;
	return n == 12;
}

int
org_root_id_valid(const char *s)
{
	return org_id_valid(s, "r-", 4, 32);
}

/* ou-<4..32>-<8..32> */
int
org_ou_id_valid(const char *s)
{
	const char *dash;
	char head[40];

	if (s == NULL || strncmp(s, "ou-", 3) != 0 || (dash = strchr(s + 3, '-')) == NULL ||
	    (size_t)(dash - s) >= sizeof(head))
		return 0;
	memcpy(head, s, (size_t)(dash - s));
	head[dash - s] = '\0';
	return org_id_valid(head, "ou-", 4, 32) && org_id_valid(dash + 1, "", 8, 32);
}

int
org_parent_id_valid(const char *s)
{
	return org_root_id_valid(s) || org_ou_id_valid(s);
}

void
org_arn(char *buf, size_t len, const struct store_org *org, const char *kind, const char *id)
{
	snprintf(buf, len, "arn:aws:organizations::%s:%s/%s%s%s", org->management_account, kind,
	    org->id, id != NULL ? "/" : "", id != NULL ? id : "");
}

size_t
org_page_limit(protobuf_c_boolean has, int32_t max_results)
{
	if (!has || max_results <= 0 || max_results > ORG_PAGE_MAX)
		return ORG_PAGE_MAX;
	return (size_t)max_results;
}

int
org_bad_token(struct op_ctx *ctx)
{
	return op_fail(ctx, EXC_ORG_INVALID_INPUT, "The NextToken is not valid: get it from "
	    "the response to a previous call of the operation.");
}

int
org_parent_check(struct op_ctx *ctx, const struct store_org *org, const char *parent_id,
    enum api_exc nf, int *is_root)
{
	static const char *const msg[] = {
		"We can't find a root or OU with the ParentId that you specified.",
		"We can't find a source root or OU with the ParentId that you specified.",
		"We can't find a destination root or OU with the ParentId that you specified.",
	};
	const char *m = msg[nf == EXC_ORG_SOURCE_PARENT_NOT_FOUND ? 1 :
	    nf == EXC_ORG_DEST_PARENT_NOT_FOUND ? 2 : 0];
	struct store_ou ou;
	int r, same;

	if (is_root != NULL)
		*is_root = 0;
	if (!org_parent_id_valid(parent_id))
		return op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a value that doesn't "
		    "match the required pattern for a root or OU id: %.100s", parent_id);
	if (strcmp(parent_id, org->root_id) == 0) {
		if (is_root != NULL)
			*is_root = 1;
		return 0;
	}
	if (!org_ou_id_valid(parent_id))
		return op_fail(ctx, nf, "%s", m);
	memset(&ou, 0, sizeof(ou));
	if ((r = store_ou_get(ctx->fe->store, parent_id, &ou)) != 0)
		return org_fail_store(ctx, r, nf, m);
	same = strcmp(ou.org_id, org->id) == 0;
	store_ou_clear(&ou);
	return same ? 0 : op_fail(ctx, nf, "%s", m);
}

int
org_enum_value(const ProtobufCEnumDescriptor *d, const char *wire, int dflt)
{
	char name[128];
	const ProtobufCEnumValue *v;

	if (wire == NULL)
		return dflt;
	snprintf(name, sizeof(name), "%s_%s", d->short_name, wire);
	v = protobuf_c_enum_descriptor_get_value_by_name(d, name);
	return v != NULL ? v->value : dflt;
}

Pca__Api__Organizations__Organization *
org_shape(struct op_ctx *ctx, const struct store_org *org)
{
	Pca__Api__Organizations__Organization *o;
	struct store_membership mm;
	char arn[ORG_ARN_MAX];

	o = (void *)msg_new(&pca__api__organizations__organization__descriptor);
	if (o == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		return NULL;
	}
	o->id = xstrdup(org->id);
	org_arn(arn, sizeof(arn), org, "organization", NULL);
	o->arn = xstrdup(arn);
	o->has_feature_set = 1;
	o->feature_set = org_enum_value(&pca__api__organizations__organization_feature_set__descriptor,
	    org->feature_set, ORG_ENUM(ORGANIZATION_FEATURE_SET, OrganizationFeatureSet_ALL));
	org_arn(arn, sizeof(arn), org, "account", org->management_account);
	o->master_account_arn = xstrdup(arn);
	o->master_account_id = xstrdup(org->management_account);
	/* the management account's email, when the store knows one */
	memset(&mm, 0, sizeof(mm));
	if (store_membership_get(ctx->fe->store, org->management_account, &mm) == 0 &&
	    mm.email != NULL && mm.email[0] != '\0')
		o->master_account_email = xstrdup(mm.email);
	store_membership_clear(&mm);
	if (o->id == NULL || o->arn == NULL || o->master_account_arn == NULL ||
	    o->master_account_id == NULL) {
		protobuf_c_message_free_unpacked(&o->base, NULL);
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		return NULL;
	}
	return o;
}

Pca__Api__Organizations__Account *
org_account_shape(struct op_ctx *ctx, const struct store_org *org,
    const struct store_membership *m)
{
	Pca__Api__Organizations__Account *a;
	struct store_account acct;
	char arn[ORG_ARN_MAX];

	a = (void *)msg_new(&pca__api__organizations__account__descriptor);
	if (a == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		return NULL;
	}
	a->id = xstrdup(m->account_id);
	org_arn(arn, sizeof(arn), org, "account", m->account_id);
	a->arn = xstrdup(arn);
	if (m->email != NULL && m->email[0] != '\0')
		a->email = xstrdup(m->email);
	memset(&acct, 0, sizeof(acct));
	if (store_account_get(ctx->fe->store, m->account_id, &acct) == 0 && acct.name != NULL &&
	    acct.name[0] != '\0')
		a->name = xstrdup(acct.name);
	store_account_clear(&acct);
	a->has_status = 1;
	a->status = ORG_ENUM(ACCOUNT_STATUS, AccountStatus_ACTIVE);
	if (m->joined_method != NULL) {
		a->has_joined_method = 1;
		a->joined_method = org_enum_value(
		    &pca__api__organizations__account_joined_method__descriptor,
		    m->joined_method, ORG_ENUM(ACCOUNT_JOINED_METHOD, AccountJoinedMethod_INVITED));
	}
	a->has_joined_timestamp = 1;
	a->joined_timestamp = (double)m->joined_at;
	if (a->id == NULL || a->arn == NULL) {
		protobuf_c_message_free_unpacked(&a->base, NULL);
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		return NULL;
	}
	return a;
}

Pca__Api__Organizations__OrganizationalUnit *
org_ou_shape(struct op_ctx *ctx, const struct store_org *org, const struct store_ou *ou)
{
	Pca__Api__Organizations__OrganizationalUnit *o;
	char arn[ORG_ARN_MAX];

	o = (void *)msg_new(&pca__api__organizations__organizational_unit__descriptor);
	if (o == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		return NULL;
	}
	o->id = xstrdup(ou->id);
	org_arn(arn, sizeof(arn), org, "ou", ou->id);
	o->arn = xstrdup(arn);
	o->name = xstrdup(ou->name != NULL ? ou->name : "");
	if (o->id == NULL || o->arn == NULL || o->name == NULL) {
		protobuf_c_message_free_unpacked(&o->base, NULL);
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		return NULL;
	}
	return o;
}

/* ---- the organization ------------------------------------------------------ */

/*
 * The caller's account becomes the management account of a new
 * organization with all features and one root.
 */
int
org_create_organization(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__CreateOrganizationRequest *in = (const void *)in_;
	Pca__Api__Organizations__CreateOrganizationResponse *out;
	struct store_org org, cur;
	struct store_membership m;
	int r;

	memset(&org, 0, sizeof(org));
	memset(&cur, 0, sizeof(cur));
	memset(&m, 0, sizeof(m));
	r = store_org_of_account(ctx->fe->store, ctx->caller->account_id, &cur, &m);
	store_org_clear(&cur);
	store_membership_clear(&m);
	if (r == 0)
		return op_fail(ctx, EXC_ORG_ALREADY_IN_ORG, "The provided account is already a "
		    "member of an organization.");
	if (r != PCA_ERR_NOT_FOUND)
		return org_fail_store(ctx, r, EXC_NONE, "organization");
	if ((r = org_random_id(org.id, sizeof(org.id), "o-", 10)) != 0 ||
	    (r = org_random_id(org.root_id, sizeof(org.root_id), "r-", 4)) != 0)
		return org_fail_store(ctx, r, EXC_NONE, "organization id");
	snprintf(org.management_account, sizeof(org.management_account), "%s",
	    ctx->caller->account_id);
	org.feature_set = (char *)(in->has_feature_set && in->feature_set ==
	    ORG_ENUM(ORGANIZATION_FEATURE_SET, OrganizationFeatureSet_CONSOLIDATED_BILLING) ?
	    "CONSOLIDATED_BILLING" : "ALL");
	org.created_at = clock_now();
	r = store_org_create(ctx->fe->store, &org);
	if (r == PCA_ERR_EXISTS)
		return op_fail(ctx, EXC_ORG_ALREADY_IN_ORG, "The provided account is already a "
		    "member of an organization.");
	if (r != 0)
		return org_fail_store(ctx, r, EXC_NONE, "organization");
	log_info("organization %s created by %s", org.id, ctx->caller->arn);
	out = (void *)msg_new(&pca__api__organizations__create_organization_response__descriptor);
	if (out == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	*out_ = &out->base;
	return (out->organization = org_shape(ctx, &org)) != NULL ? 0 : -1;
}

int
org_describe_organization(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	Pca__Api__Organizations__DescribeOrganizationResponse *out;
	struct store_org org;
	int rc = -1;

	(void)in_;
	if (org_of_caller(ctx, 0, &org, NULL) != 0)
		return -1;
	out = (void *)msg_new(&pca__api__organizations__describe_organization_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if ((out->organization = org_shape(ctx, &org)) != NULL)
		rc = 0;
 out:
	store_org_clear(&org);
	return rc;
}

/* Only an organization without member accounts (the management account
 * alone) can be deleted. */
int
org_delete_organization(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	struct store_org org;
	struct store_membership *m = NULL;
	size_t n = 0;
	int r, rc = -1;

	(void)in_;
	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if ((r = store_membership_list(ctx->fe->store, org.id, NULL, NULL, 2, &m, &n)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "organization members");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(m[i].account_id, org.management_account) != 0) {
			op_fail(ctx, EXC_ORG_NOT_EMPTY, "To delete an organization you must "
			    "first remove all member accounts (except the management account).");
			goto out;
		}
	}
	/* its OUs and handshakes go with it (the store cascades) */
	r = store_org_delete(ctx->fe->store, org.id);
	if (r == PCA_ERR_STATE) {		/* an account joined meanwhile */
		op_fail(ctx, EXC_ORG_NOT_EMPTY, "To delete an organization you must first "
		    "remove all member accounts (except the management account).");
		goto out;
	}
	if (r != 0) {
		org_fail_store(ctx, r, EXC_ORG_NOT_IN_USE, ORG_NOT_IN_USE_MSG);
		goto out;
	}
	log_info("organization %s deleted by %s", org.id, ctx->caller->arn);
	if ((*out_ = msg_new(&pca__api__organizations__empty__descriptor)) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_membership_list_free(m, n);
	store_org_clear(&org);
	return rc;
}

/* A member account leaves (the management account cannot). */
int
org_leave_organization(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	struct store_org org;
	struct store_membership me, out;
	int r, rc = -1;

	(void)in_;
	if (org_of_caller(ctx, 0, &org, &me) != 0)
		return -1;
	if (strcmp(org.management_account, ctx->caller->account_id) == 0) {
		op_fail(ctx, EXC_ORG_MASTER_CANNOT_LEAVE, "You can't remove a management "
		    "account from an organization. If you want the management account to "
		    "become a member account in another organization, you must first delete "
		    "the current organization of the management account.");
		goto out;
	}
	memset(&out, 0, sizeof(out));
	snprintf(out.account_id, sizeof(out.account_id), "%s", me.account_id);
	out.email = me.email;		/* the account keeps its email */
	out.joined_method = me.joined_method;
	out.joined_at = me.joined_at;
	if ((r = store_membership_put(ctx->fe->store, &out)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "membership");
		goto out;
	}
	log_info("account %s left organization %s", me.account_id, org.id);
	if ((*out_ = msg_new(&pca__api__organizations__empty__descriptor)) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_membership_clear(&me);
	store_org_clear(&org);
	return rc;
}

/* One root per organization, named "Root", without policy types. */
int
org_list_roots(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__ListRootsRequest *in = (const void *)in_;
	Pca__Api__Organizations__ListRootsResponse *out;
	Pca__Api__Organizations__Root *root;
	struct store_org org;
	char arn[ORG_ARN_MAX];
	int rc = -1;

	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	/* the one page has the one root; a token can only be forged */
	if (in->next_token != NULL) {
		org_bad_token(ctx);
		goto out;
	}
	out = (void *)msg_new(&pca__api__organizations__list_roots_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if ((out->roots = calloc(1, sizeof(*out->roots))) == NULL ||
	    (root = (void *)msg_new(&pca__api__organizations__root__descriptor)) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	out->roots[out->n_roots++] = root;
	root->id = xstrdup(org.root_id);
	org_arn(arn, sizeof(arn), &org, "root", org.root_id);
	root->arn = xstrdup(arn);
	root->name = xstrdup("Root");
	if (root->id == NULL || root->arn == NULL || root->name == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_org_clear(&org);
	return rc;
}
