/*
 * authz.h - every authorization decision goes through authorize().
 *
 * authorize() gathers what AWS would look at for one request and lets the
 * policy engine (iam_policy.h) decide:
 *  - the caller's identity policies: a user's or a role session's inline
 *    policies and attached managed policies (an account root and a service
 *    principal have none);
 *  - the resource's policy: for a CA, its resource policy (PutPolicy)
 *    joined with its permissions for service principals (CreatePermission,
 *    as Allow statements naming {"Service": principal}, conditioned on
 *    aws:SourceAccount when the permission names one); for sts:AssumeRole,
 *    the role's trust policy;
 *  - the request context: aws:PrincipalOrgID and aws:PrincipalOrgPaths of
 *    the caller's account, acm-pca:TemplateArn (EndEntityCertificate/V1 when
 *    an IssueCertificate request names none), iam:AWSServiceName of a
 *    service-linked role request, aws:SourceAccount of a service acting for
 *    an account, aws:CurrentTime from the service clock.
 *
 * Policies are compiled once and cached (struct authz), keyed by what they
 * belong to and tagged with store_authz_generation(): any committed change
 * of policies, permissions, roles, users or organizations empties the
 * cache before the next decision, so a removed policy or permission takes
 * effect on the next request. A decision never parses JSON.
 *
 * Every decision, allow or deny, is appended to the audit log (time,
 * caller, action, resource, effect, deciding policy and Sid).
 */
#ifndef PCA_AUTHZ_H
#define PCA_AUTHZ_H

#include <stddef.h>

#include "err.h"
#include "frontend.h"
#include "iam_policy.h"

struct authz_request {
	const struct caller	*caller;
	const char		*action;	/* "acm-pca:IssueCertificate" */
	const char		*resource;	/* ARN, or "*" */
	const char		*resource_account;	/* owner of resource; NULL for "*" */
	const char		*template_arn;	/* acm-pca:TemplateArn (NULL: the default) */
	const char		*service_name;	/* iam:AWSServiceName (service-linked roles) */
};

struct store;
struct authz;

int authz_new(struct store *st, struct authz **out) PCA_MUST_CHECK;
void authz_free(struct authz *az);

/* 0 to allow; PCA_ERR_AUTH with why set (AWS's AccessDenied wording);
 * another code when the state could not be read (why set too). When
 * decision is not NULL it gets the engine's decision. */
int authorize_decide(struct frontend *fe, const struct authz_request *req,
    struct iam_decision *decision, char *why, size_t whylen) PCA_MUST_CHECK;

/* authorize_decide() without the decision. */
int authorize(struct frontend *fe, const struct authz_request *req, char *why,
    size_t whylen) PCA_MUST_CHECK;

/* The actions a CA resource policy may grant (API.md 3.7), for PutPolicy's
 * iam_policy_check_grants(). */
extern const char *const authz_ca_policy_actions[];
extern const size_t authz_ca_policy_nactions;

#endif
