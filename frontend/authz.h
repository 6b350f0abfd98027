/*
 * authz.h - every authorization decision goes through authorize().
 *
 * Today the rule is the foundation's: an account may act on its own
 * resources and on nothing else ("*" actions such as creating or listing
 * CAs act on the caller's own account). The policy engine replaces the
 * body of authorize(), not its callers.
 */
#ifndef PCA_AUTHZ_H
#define PCA_AUTHZ_H

#include <stddef.h>

#include "err.h"
#include "frontend.h"

struct authz_request {
	const struct caller	*caller;
	const char		*action;	/* "acm-pca:IssueCertificate" */
	const char		*resource;	/* ARN, or "*" */
	const char		*resource_account;	/* owner of resource; NULL for "*" */
	const char		*template_arn;	/* acm-pca:TemplateArn (NULL: the default) */
};

/* 0 to allow; PCA_ERR_AUTH with why set (AWS's AccessDenied wording). */
int authorize(struct frontend *fe, const struct authz_request *req, char *why,
    size_t whylen) PCA_MUST_CHECK;

#endif
