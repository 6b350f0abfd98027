/*
 * organizations_ou.c - the organization's tree: CreateOrganizationalUnit,
 * DescribeOrganizationalUnit, UpdateOrganizationalUnit,
 * DeleteOrganizationalUnit, ListOrganizationalUnitsForParent, ListParents,
 * ListChildren.
 *
 * OUs nest up to ORG_OU_DEPTH_MAX levels below the root; names are unique
 * among the children of one parent; only an empty OU can be deleted.
 */
#include "acmpca.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "organizations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OU_NOT_FOUND_MSG \
	"We can't find an OU with the OrganizationalUnitId that you specified."
#define CHILD_NOT_FOUND_MSG \
	"We can't find an organizational unit (OU) or AWS account with the ChildId that " \
	"you specified."
#define OU_PAGE_SCAN	100

/* The OU id of org into *ou (store_ou_clear() it): 0, or -1 with ctx set. */
static int
ou_load(struct op_ctx *ctx, const struct store_org *org, const char *id, struct store_ou *ou)
{
	int r;

	memset(ou, 0, sizeof(*ou));
	if (!org_ou_id_valid(id))
		return op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a value that doesn't "
		    "match the required pattern for OrganizationalUnitId.");
	if ((r = store_ou_get(ctx->fe->store, id, ou)) != 0)
		return org_fail_store(ctx, r, EXC_ORG_OU_NOT_FOUND, OU_NOT_FOUND_MSG);
	if (strcmp(ou->org_id, org->id) != 0) {
		store_ou_clear(ou);
		return op_fail(ctx, EXC_ORG_OU_NOT_FOUND, OU_NOT_FOUND_MSG);
	}
	return 0;
}

/* 1 in *dup when a child OU of parent other than except_id is named name. */
static int
ou_name_taken(struct op_ctx *ctx, const char *parent, const char *name, const char *except_id,
    int *dup)
{
	struct store_ou *ous = NULL;
	char after[64] = "";
	size_t n = 0;
	int r;

	*dup = 0;
	do {
		if ((r = store_ou_list_children(ctx->fe->store, parent,
		    after[0] != '\0' ? after : NULL, OU_PAGE_SCAN, &ous, &n)) != 0)
			return r;
		for (size_t i = 0; i < n; i++)
			if (ous[i].name != NULL && strcmp(ous[i].name, name) == 0 &&
			    (except_id == NULL || strcmp(ous[i].id, except_id) != 0))
				*dup = 1;
		if (n > 0)
			snprintf(after, sizeof(after), "%s", ous[n - 1].id);
		store_ou_list_free(ous, n);
		ous = NULL;
	} while (n == OU_PAGE_SCAN && !*dup);
	return 0;
}

/* How many OUs lie between parent (included) and the root: 0 for the root. */
static int
ou_depth(struct op_ctx *ctx, const struct store_org *org, const char *parent, int *depth)
{
	char node[64];
	int r;

	*depth = 0;
	snprintf(node, sizeof(node), "%s", parent);
	while (strcmp(node, org->root_id) != 0) {
		struct store_ou ou;

		if (++*depth > ORG_OU_DEPTH_MAX + 1)	/* a loop: refuse to go deeper */
			return 0;
		memset(&ou, 0, sizeof(ou));
		if ((r = store_ou_get(ctx->fe->store, node, &ou)) != 0)
			return r;
		snprintf(node, sizeof(node), "%s", ou.parent_id);
		store_ou_clear(&ou);
		if (node[0] == '\0')
			break;
	}
	return 0;
}

static int
ou_dup_fail(struct op_ctx *ctx)
{
	return op_fail(ctx, EXC_ORG_DUPLICATE_OU, "An OU with the same name already exists.");
}

int
org_create_organizational_unit(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__CreateOrganizationalUnitRequest *in = (const void *)in_;
	Pca__Api__Organizations__CreateOrganizationalUnitResponse *out;
	struct store_org org;
	struct store_ou ou;
	char head[40];
	int r, dup, depth, rc = -1;

	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (org_parent_check(ctx, &org, in->parent_id, EXC_ORG_PARENT_NOT_FOUND, NULL) != 0)
		goto out;
	if ((r = ou_depth(ctx, &org, in->parent_id, &depth)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "organizational unit");
		goto out;
	}
	if (depth + 1 > ORG_OU_DEPTH_MAX) {
		op_fail(ctx, EXC_ORG_CONSTRAINT_VIOLATION, "You attempted to create an OU tree "
		    "that is too many levels deep (OU_DEPTH_LIMIT_EXCEEDED: at most %d).",
		    ORG_OU_DEPTH_MAX);
		goto out;
	}
	if ((r = ou_name_taken(ctx, in->parent_id, in->name, NULL, &dup)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "organizational units");
		goto out;
	}
	if (dup) {
		ou_dup_fail(ctx);
		goto out;
	}
	memset(&ou, 0, sizeof(ou));
	/* ou-<the root's id without r->-<8> */
	snprintf(head, sizeof(head), "ou-%.32s-", org.root_id + 2);
	if ((r = org_random_id(ou.id, sizeof(ou.id), head, 8)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "organizational unit id");
		goto out;
	}
	snprintf(ou.org_id, sizeof(ou.org_id), "%s", org.id);
	snprintf(ou.parent_id, sizeof(ou.parent_id), "%s", in->parent_id);
	ou.name = in->name;
	ou.created_at = clock_now();
	r = store_ou_create(ctx->fe->store, &ou);
	if (r == PCA_ERR_EXISTS) {
		ou_dup_fail(ctx);
		goto out;
	}
	if (r != 0) {
		org_fail_store(ctx, r, EXC_NONE, "organizational unit");
		goto out;
	}
	out = (void *)msg_new(
	    &pca__api__organizations__create_organizational_unit_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if ((out->organizational_unit = org_ou_shape(ctx, &org, &ou)) != NULL)
		rc = 0;
 out:
	store_org_clear(&org);
	return rc;
}

int
org_describe_organizational_unit(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__DescribeOrganizationalUnitRequest *in = (const void *)in_;
	Pca__Api__Organizations__DescribeOrganizationalUnitResponse *out;
	struct store_org org;
	struct store_ou ou;
	int rc = -1;

	memset(&ou, 0, sizeof(ou));
	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (ou_load(ctx, &org, in->organizational_unit_id, &ou) != 0)
		goto out;
	out = (void *)msg_new(
	    &pca__api__organizations__describe_organizational_unit_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if ((out->organizational_unit = org_ou_shape(ctx, &org, &ou)) != NULL)
		rc = 0;
 out:
	store_ou_clear(&ou);
	store_org_clear(&org);
	return rc;
}

/* Renames an OU (without a Name, it answers the OU as it is). */
int
org_update_organizational_unit(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__UpdateOrganizationalUnitRequest *in = (const void *)in_;
	Pca__Api__Organizations__UpdateOrganizationalUnitResponse *out;
	struct store_org org;
	struct store_ou ou;
	int r, dup, rc = -1;

	memset(&ou, 0, sizeof(ou));
	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (ou_load(ctx, &org, in->organizational_unit_id, &ou) != 0)
		goto out;
	if (in->name != NULL && (ou.name == NULL || strcmp(in->name, ou.name) != 0)) {
		if (in->name[0] == '\0') {
			op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a string parameter "
			    "that is shorter than allowed (Name).");
			goto out;
		}
		if ((r = ou_name_taken(ctx, ou.parent_id, in->name, ou.id, &dup)) != 0) {
			org_fail_store(ctx, r, EXC_NONE, "organizational units");
			goto out;
		}
		if (dup) {
			ou_dup_fail(ctx);
			goto out;
		}
		r = store_ou_rename(ctx->fe->store, ou.id, in->name);
		if (r == PCA_ERR_EXISTS) {
			ou_dup_fail(ctx);
			goto out;
		}
		if (r != 0) {
			org_fail_store(ctx, r, EXC_ORG_OU_NOT_FOUND, OU_NOT_FOUND_MSG);
			goto out;
		}
		free(ou.name);
		if ((ou.name = strdup(in->name)) == NULL) {
			op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
	}
	out = (void *)msg_new(
	    &pca__api__organizations__update_organizational_unit_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if ((out->organizational_unit = org_ou_shape(ctx, &org, &ou)) != NULL)
		rc = 0;
 out:
	store_ou_clear(&ou);
	store_org_clear(&org);
	return rc;
}

static int
ou_not_empty_fail(struct op_ctx *ctx)
{
	return op_fail(ctx, EXC_ORG_OU_NOT_EMPTY, "The specified OU is not empty. Move all "
	    "accounts to another root or to other OUs, remove all child OUs, and try the "
	    "operation again.");
}

int
org_delete_organizational_unit(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__DeleteOrganizationalUnitRequest *in = (const void *)in_;
	struct store_org org;
	struct store_ou ou, *kids = NULL;
	struct store_membership *m = NULL;
	size_t nk = 0, nm = 0;
	int r, rc = -1;

	memset(&ou, 0, sizeof(ou));
	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (ou_load(ctx, &org, in->organizational_unit_id, &ou) != 0)
		goto out;
	if ((r = store_ou_list_children(ctx->fe->store, ou.id, NULL, 1, &kids, &nk)) != 0 ||
	    (r = store_membership_list(ctx->fe->store, org.id, ou.id, NULL, 1, &m, &nm)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "organizational unit");
		goto out;
	}
	if (nk > 0 || nm > 0) {
		ou_not_empty_fail(ctx);
		goto out;
	}
	r = store_ou_delete(ctx->fe->store, ou.id);
	if (r == PCA_ERR_STATE) {	/* a child arrived meanwhile */
		ou_not_empty_fail(ctx);
		goto out;
	}
	if (r != 0) {
		org_fail_store(ctx, r, EXC_ORG_OU_NOT_FOUND, OU_NOT_FOUND_MSG);
		goto out;
	}
	if ((*out_ = msg_new(&pca__api__organizations__empty__descriptor)) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_ou_list_free(kids, nk);
	store_membership_list_free(m, nm);
	store_ou_clear(&ou);
	store_org_clear(&org);
	return rc;
}

/* One page of the child OUs of parent, as OrganizationalUnit shapes (ous)
 * or as Child shapes (children). */
static int
ous_page(struct op_ctx *ctx, const struct store_org *org, const char *parent, const char *token,
    size_t limit, Pca__Api__Organizations__OrganizationalUnit ***ous, size_t *n_ous,
    Pca__Api__Organizations__Child ***children, size_t *n_children, char **next_token)
{
	struct store_ou *o = NULL;
	size_t n = 0;
	int r, rc = -1;

	if (token != NULL && !org_ou_id_valid(token))
		return org_bad_token(ctx);
	if ((r = store_ou_list_children(ctx->fe->store, parent, token, limit + 1, &o, &n)) != 0)
		return org_fail_store(ctx, r, EXC_NONE, "organizational units");
	if (ous != NULL && (*ous = calloc(n > 0 ? n : 1, sizeof(**ous))) == NULL)
		goto oom;
	if (children != NULL && (*children = calloc(n > 0 ? n : 1, sizeof(**children))) == NULL)
		goto oom;
	for (size_t i = 0; i < n && i < limit; i++) {
		if (ous != NULL) {
			if (((*ous)[*n_ous] = org_ou_shape(ctx, org, &o[i])) == NULL)
				goto out;
			(*n_ous)++;
		} else {
			Pca__Api__Organizations__Child *c;

			c = (void *)msg_new(&pca__api__organizations__child__descriptor);
			if (c == NULL)
				goto oom;
			(*children)[(*n_children)++] = c;
			c->has_type = 1;
			c->type = ORG_ENUM(CHILD_TYPE, ChildType_ORGANIZATIONAL_UNIT);
			if ((c->id = xstrdup(o[i].id)) == NULL)
				goto oom;
		}
	}
	if (n > limit && (*next_token = xstrdup(o[limit - 1].id)) == NULL)
		goto oom;
	rc = 0;
	goto out;
 oom:
	op_fail(ctx, EXC_INTERNAL, "out of memory");
 out:
	store_ou_list_free(o, n);
	return rc;
}

int
org_list_organizational_units_for_parent(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__ListOrganizationalUnitsForParentRequest *in =
	    (const void *)in_;
	Pca__Api__Organizations__ListOrganizationalUnitsForParentResponse *out;
	struct store_org org;
	int rc = -1;

	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (org_parent_check(ctx, &org, in->parent_id, EXC_ORG_PARENT_NOT_FOUND, NULL) != 0)
		goto out;
	out = (void *)msg_new(
	    &pca__api__organizations__list_organizational_units_for_parent_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	rc = ous_page(ctx, &org, in->parent_id, in->next_token,
	    org_page_limit(in->has_max_results, in->max_results), &out->organizational_units,
	    &out->n_organizational_units, NULL, NULL, &out->next_token);
 out:
	store_org_clear(&org);
	return rc;
}

/* One page of the accounts directly under parent, as Child shapes. */
static int
account_children_page(struct op_ctx *ctx, const struct store_org *org, const char *parent,
    const char *token, size_t limit, Pca__Api__Organizations__ListChildrenResponse *out)
{
	struct store_membership *m = NULL;
	size_t n = 0;
	int r, rc = -1;

	if (token != NULL && !org_account_id_valid(token))
		return org_bad_token(ctx);
	if ((r = store_membership_list(ctx->fe->store, org->id, parent, token, limit + 1,
	    &m, &n)) != 0)
		return org_fail_store(ctx, r, EXC_NONE, "accounts");
	if ((out->children = calloc(n > 0 ? n : 1, sizeof(*out->children))) == NULL)
		goto oom;
	for (size_t i = 0; i < n && i < limit; i++) {
		Pca__Api__Organizations__Child *c;

		if ((c = (void *)msg_new(&pca__api__organizations__child__descriptor)) == NULL)
			goto oom;
		out->children[out->n_children++] = c;
		c->has_type = 1;
		c->type = ORG_ENUM(CHILD_TYPE, ChildType_ACCOUNT);
		if ((c->id = xstrdup(m[i].account_id)) == NULL)
			goto oom;
	}
	if (n > limit && (out->next_token = xstrdup(m[limit - 1].account_id)) == NULL)
		goto oom;
	rc = 0;
	goto out;
 oom:
	op_fail(ctx, EXC_INTERNAL, "out of memory");
 out:
	store_membership_list_free(m, n);
	return rc;
}

int
org_list_children(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__ListChildrenRequest *in = (const void *)in_;
	Pca__Api__Organizations__ListChildrenResponse *out;
	struct store_org org;
	size_t limit = org_page_limit(in->has_max_results, in->max_results);
	int rc = -1;

	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (org_parent_check(ctx, &org, in->parent_id, EXC_ORG_PARENT_NOT_FOUND, NULL) != 0)
		goto out;
	out = (void *)msg_new(&pca__api__organizations__list_children_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	switch (in->child_type) {
	case ORG_ENUM(CHILD_TYPE, ChildType_ACCOUNT):
		rc = account_children_page(ctx, &org, in->parent_id, in->next_token, limit, out);
		break;
	case ORG_ENUM(CHILD_TYPE, ChildType_ORGANIZATIONAL_UNIT):
		rc = ous_page(ctx, &org, in->parent_id, in->next_token, limit, NULL, NULL,
		    &out->children, &out->n_children, &out->next_token);
		break;
	default:
		op_fail(ctx, EXC_ORG_INVALID_INPUT, "You specified an invalid value for "
		    "ChildType.");
		break;
	}
 out:
	store_org_clear(&org);
	return rc;
}

/*
 * The parent of an account or OU. A member account may ask about itself;
 * the management account about any child.
 */
int
org_list_parents(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__ListParentsRequest *in = (const void *)in_;
	Pca__Api__Organizations__ListParentsResponse *out;
	Pca__Api__Organizations__Parent *p;
	struct store_org org;
	struct store_membership m;
	struct store_ou ou;
	char parent[64];
	int r, rc = -1;

	memset(&m, 0, sizeof(m));
	memset(&ou, 0, sizeof(ou));
	if (org_of_caller(ctx, 0, &org, NULL) != 0)
		return -1;
	if (!org_account_id_valid(in->child_id) && !org_ou_id_valid(in->child_id)) {
		op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a value that doesn't match "
		    "the required pattern for ChildId.");
		goto out;
	}
	if (strcmp(org.management_account, ctx->caller->account_id) != 0 &&
	    strcmp(in->child_id, ctx->caller->account_id) != 0) {
		op_fail(ctx, EXC_ACCESS_DENIED, ORG_DENIED_MSG);
		goto out;
	}
	if (in->next_token != NULL) {		/* one parent: one page */
		org_bad_token(ctx);
		goto out;
	}
	if (org_account_id_valid(in->child_id)) {
		r = store_membership_get(ctx->fe->store, in->child_id, &m);
		if (r == 0 && strcmp(m.org_id, org.id) != 0)
			r = PCA_ERR_NOT_FOUND;
		if (r != 0) {
			org_fail_store(ctx, r, EXC_ORG_CHILD_NOT_FOUND, CHILD_NOT_FOUND_MSG);
			goto out;
		}
		snprintf(parent, sizeof(parent), "%s", m.parent_id);
	} else {
		r = store_ou_get(ctx->fe->store, in->child_id, &ou);
		if (r == 0 && strcmp(ou.org_id, org.id) != 0)
			r = PCA_ERR_NOT_FOUND;
		if (r != 0) {
			org_fail_store(ctx, r, EXC_ORG_CHILD_NOT_FOUND, CHILD_NOT_FOUND_MSG);
			goto out;
		}
		snprintf(parent, sizeof(parent), "%s", ou.parent_id);
	}
	out = (void *)msg_new(&pca__api__organizations__list_parents_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if ((out->parents = calloc(1, sizeof(*out->parents))) == NULL ||
	    (p = (void *)msg_new(&pca__api__organizations__parent__descriptor)) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	out->parents[out->n_parents++] = p;
	p->has_type = 1;
	p->type = strcmp(parent, org.root_id) == 0 ? ORG_ENUM(PARENT_TYPE, ParentType_ROOT) :
	    ORG_ENUM(PARENT_TYPE, ParentType_ORGANIZATIONAL_UNIT);
	if ((p->id = xstrdup(parent)) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_ou_clear(&ou);
	store_membership_clear(&m);
	store_org_clear(&org);
	return rc;
}
