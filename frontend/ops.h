/*
 * ops.h - the operation table: one row per operation, in one place (ops.c).
 *
 * A row names the operation (service + AWS name), the IAM action it needs,
 * where its resource ARN is in the input (a proto field name; NULL: the
 * action is on "*"), flags, and the handler. Every door decodes the input
 * with the operation's descriptor (api_catalog), authenticates the caller,
 * and calls dispatch_call(), which authorizes and runs the handler: one
 * implementation per operation whatever the door.
 */
#ifndef PCA_OPS_H
#define PCA_OPS_H

#include <protobuf-c/protobuf-c.h>

#include "api_catalog.h"
#include "frontend.h"

#define OP_TEST_CLOCK	0x1	/* only when the frontend runs with a test clock */
#define OP_ADMIN	0x2	/* the administrator account only */

#define OP_NO_AUTHZ	0x4	/* any authenticated caller (sts:GetCallerIdentity) */
#define OP_SECRETS	0x8	/* input or output carries secrets: the door wipes
				 * the request, the messages and the answer */

typedef int op_handler_fn(struct op_ctx *ctx, const ProtobufCMessage *in,
    ProtobufCMessage **out);

/*
 * The resource ARN of an operation whose input holds no ARN but a name
 * (iam:CreateUser: arn:aws:iam::<caller's account>:user/<UserName>), or an
 * ARN in a field that is not a string at the top level. Writes the ARN to
 * buf: 0; or -1 with ctx's error set (the input is invalid). The resource's
 * account is the one in the ARN.
 */
typedef int op_resource_fn(struct op_ctx *ctx, const ProtobufCMessage *in, char *buf,
    size_t len);

struct op_entry {
	const char	*service;
	const char	*name;
	const char	*action;		/* "acm-pca:IssueCertificate" */
	const char	*resource_field;	/* input field holding the resource ARN */
	unsigned	 flags;
	op_handler_fn	*fn;
	const struct api_op *api;		/* the catalog's row (descriptors) */
	op_resource_fn	*resource_fn;		/* instead of resource_field */
};

/*
 * Each service module defines one table, ended by a row whose service is
 * NULL; ops.c lists the tables. The rows' api member is filled once by
 * ops_init().
 */
extern struct op_entry acmpca_op_table[], iam_op_table[], sts_op_table[],
    organizations_op_table[], acm_op_table[];

/* Check the table against the catalog once at start (every row has a
 * catalog entry); PCA_ERR_INTERNAL naming the bad row otherwise. */
int ops_init(void) PCA_MUST_CHECK;
const struct op_entry *ops_find(const char *service, const char *name);

/*
 * Run op for caller: extract and check the resource ARN, authorize, run the
 * handler. 0 with *out set (free with protobuf_c_message_free_unpacked), or
 * -1 with ctx->exc / ctx->msg set.
 */
int dispatch_call(struct op_ctx *ctx, const ProtobufCMessage *in, ProtobufCMessage **out);

/* handlers, by service (frontend/ops/<service>_<noun>.c) */
op_handler_fn acmpca_create_certificate_authority, acmpca_describe_certificate_authority,
    acmpca_list_certificate_authorities, acmpca_update_certificate_authority,
    acmpca_delete_certificate_authority, acmpca_restore_certificate_authority,
    acmpca_get_certificate_authority_csr, acmpca_import_certificate_authority_certificate,
    acmpca_get_certificate_authority_certificate, acmpca_issue_certificate,
    acmpca_get_certificate, acmpca_tag_certificate_authority,
    acmpca_untag_certificate_authority, acmpca_list_tags, acmpca_create_permission,
    acmpca_delete_permission, acmpca_list_permissions, acmpca_put_policy, acmpca_get_policy,
    acmpca_delete_policy;
op_handler_fn hsmca_advance_clock, hsmca_run_scheduler, hsmca_get_status,
    hsmca_verify_audit_log, hsmca_list_audit_records, hsmca_list_renewal_events,
    hsmca_set_acm_renewal_authorization;

#endif
