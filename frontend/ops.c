/*
 * ops.c - the operation table and the one path every door takes into it.
 */
#include "ops.h"
#include "arn.h"
#include "authz.h"
#include "clock.h"
#include "log.h"
#include "signer_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CA_ARN	"certificate_authority_arn"

struct op_entry acmpca_op_table[] = {
	/* acm-pca: certificate authorities */
	{ "acm-pca", "CreateCertificateAuthority", "acm-pca:CreateCertificateAuthority", NULL, 0,
	  acmpca_create_certificate_authority, NULL, NULL },
	{ "acm-pca", "DescribeCertificateAuthority", "acm-pca:DescribeCertificateAuthority", CA_ARN, 0,
	  acmpca_describe_certificate_authority, NULL, NULL },
	{ "acm-pca", "ListCertificateAuthorities", "acm-pca:ListCertificateAuthorities", NULL, 0,
	  acmpca_list_certificate_authorities, NULL, NULL },
	{ "acm-pca", "UpdateCertificateAuthority", "acm-pca:UpdateCertificateAuthority", CA_ARN, 0,
	  acmpca_update_certificate_authority, NULL, NULL },
	{ "acm-pca", "DeleteCertificateAuthority", "acm-pca:DeleteCertificateAuthority", CA_ARN, 0,
	  acmpca_delete_certificate_authority, NULL, NULL },
	{ "acm-pca", "RestoreCertificateAuthority", "acm-pca:RestoreCertificateAuthority", CA_ARN, 0,
	  acmpca_restore_certificate_authority, NULL, NULL },
	{ "acm-pca", "GetCertificateAuthorityCsr", "acm-pca:GetCertificateAuthorityCsr", CA_ARN, 0,
	  acmpca_get_certificate_authority_csr, NULL, NULL },
	{ "acm-pca", "ImportCertificateAuthorityCertificate",
	  "acm-pca:ImportCertificateAuthorityCertificate", CA_ARN, 0,
	  acmpca_import_certificate_authority_certificate, NULL, NULL },
	{ "acm-pca", "GetCertificateAuthorityCertificate",
	  "acm-pca:GetCertificateAuthorityCertificate", CA_ARN, 0,
	  acmpca_get_certificate_authority_certificate, NULL, NULL },
	/* acm-pca: certificates */
	{ "acm-pca", "IssueCertificate", "acm-pca:IssueCertificate", CA_ARN, 0,
	  acmpca_issue_certificate, NULL, NULL },
	{ "acm-pca", "GetCertificate", "acm-pca:GetCertificate", CA_ARN, 0,
	  acmpca_get_certificate, NULL, NULL },
	/* acm-pca: tags */
	{ "acm-pca", "TagCertificateAuthority", "acm-pca:TagCertificateAuthority", CA_ARN, 0,
	  acmpca_tag_certificate_authority, NULL, NULL },
	{ "acm-pca", "UntagCertificateAuthority", "acm-pca:UntagCertificateAuthority", CA_ARN, 0,
	  acmpca_untag_certificate_authority, NULL, NULL },
	{ "acm-pca", "ListTags", "acm-pca:ListTags", CA_ARN, 0,
	  acmpca_list_tags, NULL, NULL },
	/* acm-pca: permissions and resource policies */
	{ "acm-pca", "CreatePermission", "acm-pca:CreatePermission", CA_ARN, 0,
	  acmpca_create_permission, NULL, NULL },
	{ "acm-pca", "DeletePermission", "acm-pca:DeletePermission", CA_ARN, 0,
	  acmpca_delete_permission, NULL, NULL },
	{ "acm-pca", "ListPermissions", "acm-pca:ListPermissions", CA_ARN, 0,
	  acmpca_list_permissions, NULL, NULL },
	{ "acm-pca", "PutPolicy", "acm-pca:PutPolicy", "resource_arn", 0,
	  acmpca_put_policy, NULL, NULL },
	{ "acm-pca", "GetPolicy", "acm-pca:GetPolicy", "resource_arn", 0,
	  acmpca_get_policy, NULL, NULL },
	{ "acm-pca", "DeletePolicy", "acm-pca:DeletePolicy", "resource_arn", 0,
	  acmpca_delete_policy, NULL, NULL },
	/* hsmca administration */
	{ "hsmca", "GetStatus", "hsmca:GetStatus", NULL, 0, hsmca_get_status, NULL, NULL },
	{ "hsmca", "AdvanceClock", "hsmca:AdvanceClock", NULL, OP_TEST_CLOCK | OP_ADMIN,
	  hsmca_advance_clock, NULL, NULL },
	{ "hsmca", "RunScheduler", "hsmca:RunScheduler", NULL, OP_TEST_CLOCK | OP_ADMIN,
	  hsmca_run_scheduler, NULL, NULL },
	{ "hsmca", "VerifyAuditLog", "hsmca:VerifyAuditLog", NULL, OP_ADMIN,
	  hsmca_verify_audit_log, NULL, NULL },
	{ "hsmca", "ListAuditRecords", "hsmca:ListAuditRecords", NULL, OP_ADMIN,
	  hsmca_list_audit_records, NULL, NULL },
	{ "hsmca", "ListRenewalEvents", "hsmca:ListRenewalEvents", NULL, 0,
	  hsmca_list_renewal_events, NULL, NULL },
	/* acm-pca's own permission operations, run for the caller (acm_authorize.c) */
	{ "hsmca", "SetAcmRenewalAuthorization", "hsmca:SetAcmRenewalAuthorization", NULL,
	  OP_NO_AUTHZ, hsmca_set_acm_renewal_authorization, NULL, NULL },
	{ 0 },
};

static struct op_entry *const op_tables[] = {
	acmpca_op_table, iam_op_table, sts_op_table, organizations_op_table, acm_op_table,
};
#define NTABLES (sizeof(op_tables) / sizeof(op_tables[0]))

int
ops_init(void)
{
	for (size_t t = 0; t < NTABLES; t++) {
		for (struct op_entry *e = op_tables[t]; e->service != NULL; e++) {
			if ((e->api = api_op_find(e->service, e->name)) == NULL) {
				log_error("operation %s:%s is not in the API catalog",
				    e->service, e->name);
				return PCA_ERR_INTERNAL;
			}
			if (e->resource_field != NULL &&
			    protobuf_c_message_descriptor_get_field_by_name(e->api->input,
			    e->resource_field) == NULL) {
				log_error("operation %s:%s has no field %s", e->service,
				    e->name, e->resource_field);
				return PCA_ERR_INTERNAL;
			}
		}
	}
	return 0;
}

const struct op_entry *
ops_find(const char *service, const char *name)
{
	for (size_t t = 0; t < NTABLES; t++)
		for (const struct op_entry *e = op_tables[t]; e->service != NULL; e++)
			if (strcmp(e->service, service) == 0 && strcmp(e->name, name) == 0)
				return e->api != NULL ? e : NULL;
	return NULL;
}

int
op_fail(struct op_ctx *ctx, enum api_exc e, const char *fmt, ...)
{
	va_list ap;

	ctx->exc = e;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* The string value of the resource field of in (NULL if absent). */
static const char *
resource_of(const struct op_entry *op, const ProtobufCMessage *in)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field_by_name(op->api->input, op->resource_field);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING)
		return NULL;
	return *(const char * const *)((const char *)in + f->offset);
}

/* The string field `name` of in, NULL when absent or not a string. */
static const char *
string_field(const ProtobufCMessage *in, const char *name)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field_by_name(in->descriptor, name);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	return *(const char * const *)((const char *)in + f->offset);
}

/* AccessDenied is spelt per protocol: the query services' "AccessDenied". */
static enum api_exc
access_denied_of(const struct op_entry *op)
{
	return strcmp(op->service, "iam") == 0 || strcmp(op->service, "sts") == 0 ?
	    EXC_IAM_ACCESS_DENIED : EXC_ACCESS_DENIED;
}

int
dispatch_call(struct op_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const struct op_entry *op = ctx->op;
	struct authz_request az;
	struct arn a;
	char why[512], ca_id[37], resbuf[ARN_MAX + 1];
	const char *res = "*";
	int is_ca, r;

	*out = NULL;
	if (in->descriptor != op->api->input)
		return op_fail(ctx, EXC_INTERNAL, "input of the wrong type");
	if ((op->flags & OP_TEST_CLOCK) && !clock_is_test())
		return op_fail(ctx, EXC_INVALID_STATE,
		    "%s is available only when the service runs with a test clock "
		    "(HSMCA_TEST_CLOCK=1)", op->name);
	memset(&az, 0, sizeof(az));
	if (op->resource_fn != NULL) {
		if (op->resource_fn(ctx, in, resbuf, sizeof(resbuf)) != 0)
			return -1;
		res = resbuf;
		if (arn_parse(res, &a) != 0)
			return op_fail(ctx, EXC_INTERNAL, "resource of %s is not an ARN", op->name);
		az.resource_account = a.account[0] != '\0' ? a.account : NULL;
	} else if (op->resource_field != NULL) {
		if ((res = resource_of(op, in)) == NULL)
			return op_fail(ctx, EXC_VALIDATION, "missing resource ARN");
		/* the strict shape of the resource: a malformed ARN is
		 * InvalidArn before any authorization says anything */
		is_ca = strcmp(op->service, "acm-pca") == 0 &&
		    (strcmp(op->resource_field, CA_ARN) == 0 ||
		    strcmp(op->resource_field, "resource_arn") == 0);
		if (is_ca ? arn_parse_ca(res, &a, ca_id) != 0 : arn_parse(res, &a) != 0)
			return op_fail(ctx, EXC_INVALID_ARN, "The ARN %.200s is not valid.", res);
		az.resource_account = a.account[0] != '\0' ? a.account : NULL;
	}
	az.caller = ctx->caller;
	az.action = op->action;
	az.resource = res;
	az.template_arn = string_field(in, "template_arn");
	az.service_name = string_field(in, "AWSServiceName");
	if ((op->flags & OP_ADMIN) && !fe_is_admin_account(ctx->fe, ctx->caller->account_id))
		return op_fail(ctx, access_denied_of(op),
		    "User: %s is not authorized to perform: %s", ctx->caller->arn, op->action);
	if (!(op->flags & OP_NO_AUTHZ) && (r = authorize(ctx->fe, &az, why, sizeof(why))) != 0)
		return op_fail(ctx, r == PCA_ERR_AUTH ? access_denied_of(op) : EXC_INTERNAL,
		    "%s", why);
	ctx->exc = EXC_NONE;
	if (op->fn(ctx, in, out) != 0) {
		if (ctx->exc == EXC_NONE)
			op_fail(ctx, EXC_INTERNAL, "internal error");
		if (*out != NULL) {
			protobuf_c_message_free_unpacked(*out, NULL);
			*out = NULL;
		}
		return -1;
	}
	if (*out == NULL)
		return op_fail(ctx, EXC_INTERNAL, "handler produced no output");
	return 0;
}

int
fe_worker_init(struct fe_worker *w, struct frontend *fe)
{
	memset(w, 0, sizeof(*w));
	w->fe = fe;
	return signer_conn_open(fe->cfg.signer, (int)fe->cfg.signer_timeout_ms, &w->signer);
}

void
fe_worker_clear(struct fe_worker *w)
{
	signer_conn_close(w->signer);
	w->signer = NULL;
}

int
fe_is_admin_account(const struct frontend *fe, const char *account_id)
{
	return fe->admin_account[0] != '\0' && strcmp(fe->admin_account, account_id) == 0;
}
