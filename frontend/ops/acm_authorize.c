/*
 * acm_authorize.c - hsmca SetAcmRenewalAuthorization: the console's
 * "Authorize ACM access to renew certificates requested by this account"
 * as one call (and `pca acm-pca create-certificate-authority
 * --authorize-acm-renewals` at creation).
 *
 * It is nothing but the acm-pca operations a user would run by hand, run
 * for the caller through dispatch_call(), so they are authorized, logged
 * and audited exactly as if called one by one:
 *   Authorized: CreatePermission for acm.amazonaws.com with IssueCertificate,
 *     GetCertificate and ListPermissions (SourceAccount: the CA's account);
 *     a permission that is already there with fewer actions is replaced
 *     (ListPermissions, DeletePermission, CreatePermission);
 *   not Authorized: DeletePermission of that permission, if there is one.
 * Changed says whether anything was created or deleted.
 */
#include "acm_util.h"
#include "acmpca.h"
#include "arn.h"
#include "hsmca.pb-c.h"
#include "ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTION(x)	PCA__API__ACM_PCA__ACTION_TYPE__ActionType_##x

static int
grant(struct op_ctx *sub, const char *ca_arn, const char *account)
{
	Pca__Api__AcmPca__CreatePermissionRequest req =
	    PCA__API__ACM_PCA__CREATE_PERMISSION_REQUEST__INIT;
	Pca__Api__AcmPca__ActionType actions[] = {
		ACTION(IssueCertificate), ACTION(GetCertificate), ACTION(ListPermissions),
	};
	ProtobufCMessage *out = NULL;
	int r;

	req.certificate_authority_arn = (char *)ca_arn;
	req.principal = ACM_PRINCIPAL;
	req.source_account = (char *)account;
	req.n_actions = sizeof(actions) / sizeof(actions[0]);
	req.actions = actions;
	r = acm_call(sub, "acm-pca", "CreatePermission", &req.base, &out);
	if (out != NULL)
		protobuf_c_message_free_unpacked(out, NULL);
	return r;
}

static int
revoke(struct op_ctx *sub, const char *ca_arn, const char *source_account)
{
	Pca__Api__AcmPca__DeletePermissionRequest req =
	    PCA__API__ACM_PCA__DELETE_PERMISSION_REQUEST__INIT;
	ProtobufCMessage *out = NULL;
	int r;

	req.certificate_authority_arn = (char *)ca_arn;
	req.principal = ACM_PRINCIPAL;
	req.source_account = (char *)source_account;
	r = acm_call(sub, "acm-pca", "DeletePermission", &req.base, &out);
	if (out != NULL)
		protobuf_c_message_free_unpacked(out, NULL);
	return r;
}

/*
 * The CA's permission for acm.amazonaws.com: *found, whether it has all
 * three actions, and its source account ("" for none) into src.
 */
static int
current(struct op_ctx *sub, const char *ca_arn, int *found, int *complete, char *src,
    size_t srclen)
{
	Pca__Api__AcmPca__ListPermissionsRequest req =
	    PCA__API__ACM_PCA__LIST_PERMISSIONS_REQUEST__INIT;
	Pca__Api__AcmPca__ListPermissionsResponse *out = NULL;
	ProtobufCMessage *o = NULL;

	*found = *complete = 0;
	src[0] = '\0';
	req.certificate_authority_arn = (char *)ca_arn;
	if (acm_call(sub, "acm-pca", "ListPermissions", &req.base, &o) != 0)
		return -1;
	out = (void *)o;
	for (size_t i = 0; i < out->n_permissions && !*found; i++) {
		const Pca__Api__AcmPca__Permission *p = out->permissions[i];
		unsigned bits = 0;

		if (p->principal == NULL || strcmp(p->principal, ACM_PRINCIPAL) != 0)
			continue;
		*found = 1;
		for (size_t j = 0; j < p->n_actions; j++)
			bits |= 1u << (unsigned)p->actions[j];
		*complete = (bits & (1u << ACTION(IssueCertificate))) &&
		    (bits & (1u << ACTION(GetCertificate))) &&
		    (bits & (1u << ACTION(ListPermissions)));
		snprintf(src, srclen, "%s", p->source_account != NULL ? p->source_account : "");
	}
	protobuf_c_message_free_unpacked(o, NULL);
	return 0;
}

/* The sub-call's error becomes this call's. */
static int
fail_as(struct op_ctx *ctx, const struct op_ctx *sub)
{
	return op_fail(ctx, sub->exc, "%s", sub->msg);
}

int
hsmca_set_acm_renewal_authorization(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Hsmca__SetAcmRenewalAuthorizationRequest *in = (const void *)in_;
	Pca__Api__Hsmca__SetAcmRenewalAuthorizationResponse *out;
	struct op_ctx sub;
	struct arn a;
	char id[37], src[16];
	int found, complete, changed = 0;

	if (in->certificate_authority_arn == NULL ||
	    arn_parse_ca(in->certificate_authority_arn, &a, id) != 0)
		return op_fail(ctx, EXC_INVALID_ARN, "The certificate authority ARN %.200s is not "
		    "valid.", in->certificate_authority_arn != NULL ?
		    in->certificate_authority_arn : "");
	acm_sub_ctx(&sub, ctx->w, ctx->caller);
	if (current(&sub, in->certificate_authority_arn, &found, &complete, src,
	    sizeof(src)) != 0)
		return fail_as(ctx, &sub);
	if (in->authorized && !complete) {
		if (found && revoke(&sub, in->certificate_authority_arn, src[0] ? src : NULL) != 0)
			return fail_as(ctx, &sub);
		if (grant(&sub, in->certificate_authority_arn, a.account) != 0)
			return fail_as(ctx, &sub);
		changed = 1;
	} else if (!in->authorized && found) {
		if (revoke(&sub, in->certificate_authority_arn, src[0] ? src : NULL) != 0)
			return fail_as(ctx, &sub);
		changed = 1;
	}
	out = (void *)msg_new(&pca__api__hsmca__set_acm_renewal_authorization_response__descriptor);
	if (out == NULL || (out->certificate_authority_arn =
	    xstrdup(in->certificate_authority_arn)) == NULL) {
		if (out != NULL)
			protobuf_c_message_free_unpacked(&out->base, NULL);
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	}
	out->has_authorized = out->has_changed = 1;
	out->authorized = in->authorized;
	out->changed = changed;
	*out_ = &out->base;
	return 0;
}
