/*
 * acmpca_access.c - who else may use a CA: CreatePermission,
 * DeletePermission, ListPermissions (grants to service principals such as
 * the managed-certificate service acm.amazonaws.com) and PutPolicy,
 * GetPolicy, DeletePolicy (the CA's resource-based policy, API.md 3.7).
 *
 * Only the CA's owner can change either: neither action is one a resource
 * policy may grant (authz_ca_policy_actions), so authorize() allows them
 * only through the owner's own identity policies or its root. The policy
 * engine reads both on the next request (store_authz_generation()).
 */
#include "acmpca.h"
#include "authz.h"
#include "clock.h"
#include "iam_policy.h"
#include "log.h"
#include "ops.h"
#include "store_iam.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTION(x)	PCA__API__ACM_PCA__ACTION_TYPE__ActionType_##x
#define PERM_PAGE_MAX	1000
#define ACM_PRINCIPAL	"acm.amazonaws.com"

static const struct {
	int		 action;
	unsigned	 bit;
	const char	*iam;
} perm_actions[] = {
	{ ACTION(IssueCertificate), STORE_PERM_ISSUE, "acm-pca:IssueCertificate" },
	{ ACTION(GetCertificate), STORE_PERM_GET, "acm-pca:GetCertificate" },
	{ ACTION(ListPermissions), STORE_PERM_LIST, "acm-pca:ListPermissions" },
};
#define NPERM_ACTIONS	(sizeof(perm_actions) / sizeof(perm_actions[0]))

static int
account_id_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return i == 12;
}

/* The principal and source account of a permission request, checked. */
static int
check_principal(struct op_ctx *ctx, const char *principal, const char *source_account)
{
	if (principal == NULL || principal[0] == '\0')
		return op_fail(ctx, EXC_VALIDATION, "Principal is required.");
	if (strcmp(principal, ACM_PRINCIPAL) != 0)
		return op_fail(ctx, EXC_INVALID_REQUEST, "The principal %.100s is not supported; "
		    "the only valid principal is " ACM_PRINCIPAL ".", principal);
	if (source_account != NULL && !account_id_valid(source_account))
		return op_fail(ctx, EXC_VALIDATION, "SourceAccount must be a 12-digit account id.");
	return 0;
}

int
acmpca_create_permission(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__CreatePermissionRequest *in = (const void *)in_;
	struct store_permission p;
	struct store_ca ca;
	int r, rc = -1;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (check_principal(ctx, in->principal, in->source_account) != 0)
		goto out;
	memset(&p, 0, sizeof(p));
	if (in->n_actions < 1 || in->n_actions > NPERM_ACTIONS) {
		rc = op_fail(ctx, EXC_VALIDATION, "Actions must name 1 to 3 of IssueCertificate, "
		    "GetCertificate and ListPermissions.");
		goto out;
	}
	for (size_t i = 0; i < in->n_actions; i++) {
		size_t j;

		for (j = 0; j < NPERM_ACTIONS && perm_actions[j].action != (int)in->actions[i]; j++)
			;
		if (j == NPERM_ACTIONS) {
			rc = op_fail(ctx, EXC_VALIDATION, "Unknown action %d.", (int)in->actions[i]);
			goto out;
		}
		p.actions |= perm_actions[j].bit;
	}
	/* while it is set up too, as the console grants it at creation */
	if (ca.status != CA_STATUS(ACTIVE) && ca.status != CA_STATUS(PENDING_CERTIFICATE) &&
	    ca.status != CA_STATUS(CREATING)) {
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is in the %s state; "
		    "permissions can be created only while it is being set up or ACTIVE.",
		    ca_status_name(ca.status));
		goto out;
	}
	memcpy(p.ca_id, ca.id, sizeof(p.ca_id));
	p.principal = in->principal;
	if (in->source_account != NULL)
		snprintf(p.source_account, sizeof(p.source_account), "%s", in->source_account);
	p.created_at = clock_now();
	r = store_permission_create(ctx->fe->store, &p);
	if (r == PCA_ERR_EXISTS) {
		rc = op_fail(ctx, EXC_PERMISSION_ALREADY_EXISTS, "The designated permission has "
		    "already been given to the user.");
		goto out;
	}
	if (r != 0) {
		rc = fail_store(ctx, r, "permission");
		goto out;
	}
	log_info("CA %s: permission for %s (actions 0x%x) created by %s", ca.id, p.principal,
	    p.actions, ctx->caller->arn);
	if ((*out_ = msg_new(&pca__api__acm_pca__empty__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_delete_permission(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__DeletePermissionRequest *in = (const void *)in_;
	struct store_ca ca;
	int r, rc = -1;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (check_principal(ctx, in->principal, in->source_account) != 0)
		goto out;
	r = store_permission_delete(ctx->fe->store, ca.id, in->principal,
	    in->source_account != NULL ? in->source_account : "");
	if (r == PCA_ERR_NOT_FOUND) {
		rc = op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "Could not find a permission for %.100s "
		    "on certificate authority %.200s.", in->principal, ca.arn);
		goto out;
	}
	if (r != 0) {
		rc = fail_store(ctx, r, "permission");
		goto out;
	}
	log_info("CA %s: permission for %s deleted by %s", ca.id, in->principal, ctx->caller->arn);
	if ((*out_ = msg_new(&pca__api__acm_pca__empty__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_ca_clear(&ca);
	return rc;
}

/* The policy AWS returns with a permission: what the grant amounts to. */
static char *
permission_policy(const struct store_permission *p, const char *ca_arn)
{
	json_t *doc, *acts;
	char *s;

	acts = json_array();
	for (size_t j = 0; j < NPERM_ACTIONS; j++)
		if (p->actions & perm_actions[j].bit)
			json_array_append_new(acts, json_string(perm_actions[j].iam));
	doc = json_pack("{s:s, s:[{s:s, s:{s:s}, s:o, s:s}]}", "Version", "2012-10-17",
	    "Statement", "Effect", "Allow", "Principal", "Service", p->principal,
	    "Action", acts, "Resource", ca_arn);
	if (doc == NULL)
		return NULL;
	if (p->source_account[0] != '\0')
		json_object_set_new(json_array_get(json_object_get(doc, "Statement"), 0),
		    "Condition", json_pack("{s:{s:s}}", "StringEquals", "aws:SourceAccount",
		    p->source_account));
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return s;
}

static Pca__Api__AcmPca__Permission *
permission_shape(const struct store_permission *p, const char *ca_arn)
{
	Pca__Api__AcmPca__Permission *s;

	if ((s = (void *)msg_new(&pca__api__acm_pca__permission__descriptor)) == NULL)
		return NULL;
	s->certificate_authority_arn = xstrdup(ca_arn);
	s->has_created_at = 1;
	s->created_at = (double)p->created_at;
	s->principal = xstrdup(p->principal);
	if (p->source_account[0] != '\0')
		s->source_account = xstrdup(p->source_account);
	if ((s->actions = calloc(NPERM_ACTIONS, sizeof(*s->actions))) != NULL)
		for (size_t j = 0; j < NPERM_ACTIONS; j++)
			if (p->actions & perm_actions[j].bit)
				s->actions[s->n_actions++] = perm_actions[j].action;
	s->policy = permission_policy(p, ca_arn);
	if (s->certificate_authority_arn == NULL || s->principal == NULL || s->actions == NULL ||
	    s->policy == NULL || (p->source_account[0] != '\0' && s->source_account == NULL)) {
		protobuf_c_message_free_unpacked(&s->base, NULL);
		return NULL;
	}
	return s;
}

/* NextToken: the index of the next permission, as decimal text. */
int
acmpca_list_permissions(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__ListPermissionsRequest *in = (const void *)in_;
	Pca__Api__AcmPca__ListPermissionsResponse *out;
	struct store_permission *perm = NULL;
	struct store_ca ca;
	size_t n = 0, start = 0, limit = PERM_PAGE_MAX;
	int r, rc = -1;

	if (ca_load(ctx, in->certificate_authority_arn, &ca) != 0)
		return -1;
	if (in->next_token != NULL) {
		char *end;
		unsigned long v = strtoul(in->next_token, &end, 10);

		if (in->next_token[0] < '0' || in->next_token[0] > '9' || *end != '\0' ||
		    v > 1000000) {
			rc = op_fail(ctx, EXC_INVALID_NEXT_TOKEN, "The token is not valid.");
			goto out;
		}
		start = v;
	}
	if (in->has_max_results && in->max_results >= 1 && (size_t)in->max_results < limit)
		limit = (size_t)in->max_results;
	r = store_permission_list(ctx->fe->store, ca.id, &perm, &n);
	if (r != 0 && r != PCA_ERR_NOT_FOUND) {
		rc = fail_store(ctx, r, "permissions");
		goto out;
	}
	if (in->next_token != NULL && start >= n && start != 0) {
		rc = op_fail(ctx, EXC_INVALID_NEXT_TOKEN, "The token is not valid.");
		goto out;
	}
	out = (void *)msg_new(&pca__api__acm_pca__list_permissions_response__descriptor);
	if (out == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if ((out->permissions = calloc(n > 0 ? n : 1, sizeof(void *))) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = start; i < n && i < start + limit; i++) {
		if ((out->permissions[out->n_permissions] = permission_shape(&perm[i], ca.arn)) ==
		    NULL) {
			rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
		out->n_permissions++;
	}
	if (start + limit < n) {
		char tok[24];

		snprintf(tok, sizeof(tok), "%zu", start + limit);
		out->next_token = xstrdup(tok);
	}
	rc = 0;
 out:
	store_permission_list_free(perm, n);
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_put_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__PutPolicyRequest *in = (const void *)in_;
	struct iam_grant_rules rules;
	struct iam_policy *pol = NULL;
	struct store_ca ca;
	char why[400];
	int r, rc = -1;

	if (ca_load(ctx, in->resource_arn, &ca) != 0)
		return -1;
	if (ca.status == CA_STATUS(DELETED)) {
		rc = op_fail(ctx, EXC_INVALID_STATE, "The certificate authority is in the DELETED "
		    "state.");
		goto out;
	}
	if (in->policy == NULL || in->policy[0] == '\0') {
		rc = op_fail(ctx, EXC_VALIDATION, "Policy is required.");
		goto out;
	}
	r = iam_policy_parse(in->policy, strlen(in->policy), IAM_KIND_RESOURCE, NULL, &pol, why,
	    sizeof(why));
	if (r == IAM_NOMEM) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	if (r != 0) {
		rc = op_fail(ctx, EXC_INVALID_POLICY, "The resource policy is invalid: %s", why);
		goto out;
	}
	/* Resource is not pinned to this CA's ARN: the documented examples
	 * are accepted verbatim, and a statement naming another resource
	 * grants nothing here */
	memset(&rules, 0, sizeof(rules));
	rules.actions = authz_ca_policy_actions;
	rules.nactions = authz_ca_policy_nactions;
	if (iam_policy_check_grants(pol, &rules, why, sizeof(why)) != 0) {
		rc = op_fail(ctx, EXC_INVALID_POLICY, "The resource policy is invalid: %s", why);
		goto out;
	}
	if ((r = store_ca_policy_put(ctx->fe->store, ca.id, in->policy)) != 0) {
		rc = fail_store(ctx, r, "policy");
		goto out;
	}
	log_info("CA %s: resource policy (%zu statements) put by %s", ca.id,
	    iam_policy_statement_count(pol), ctx->caller->arn);
	if ((*out_ = msg_new(&pca__api__acm_pca__empty__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	iam_policy_unref(pol);
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_get_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__GetPolicyRequest *in = (const void *)in_;
	Pca__Api__AcmPca__GetPolicyResponse *out;
	struct store_ca ca;
	char *text = NULL;
	int r, rc = -1;

	if (ca_load(ctx, in->resource_arn, &ca) != 0)
		return -1;
	r = store_ca_policy_get(ctx->fe->store, ca.id, &text);
	if (r == PCA_ERR_NOT_FOUND) {
		rc = op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "No policy is attached to %.200s.",
		    ca.arn);
		goto out;
	}
	if (r != 0) {
		rc = fail_store(ctx, r, "policy");
		goto out;
	}
	out = (void *)msg_new(&pca__api__acm_pca__get_policy_response__descriptor);
	if (out == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	out->policy = text;
	text = NULL;
	*out_ = &out->base;
	rc = 0;
 out:
	free(text);
	store_ca_clear(&ca);
	return rc;
}

int
acmpca_delete_policy(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__AcmPca__DeletePolicyRequest *in = (const void *)in_;
	struct store_ca ca;
	char *text = NULL;
	int r, rc = -1;

	if (ca_load(ctx, in->resource_arn, &ca) != 0)
		return -1;
	r = store_ca_policy_get(ctx->fe->store, ca.id, &text);
	free(text);
	if (r == PCA_ERR_NOT_FOUND) {
		rc = op_fail(ctx, EXC_RESOURCE_NOT_FOUND, "No policy is attached to %.200s.",
		    ca.arn);
		goto out;
	}
	if (r == 0)
		r = store_ca_policy_delete(ctx->fe->store, ca.id);
	if (r != 0) {
		rc = fail_store(ctx, r, "policy");
		goto out;
	}
	log_info("CA %s: resource policy deleted by %s", ca.id, ctx->caller->arn);
	if ((*out_ = msg_new(&pca__api__acm_pca__empty__descriptor)) == NULL) {
		rc = op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_ca_clear(&ca);
	return rc;
}
