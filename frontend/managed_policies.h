/*
 * managed_policies.h - AWS managed IAM policies (read-only, shared by every
 * account): arn:aws:iam::aws:policy<path><name>.
 */
#ifndef PCA_MANAGED_POLICIES_H
#define PCA_MANAGED_POLICIES_H

#include <stddef.h>
#include <stdio.h>

struct managed_policy {
	const char	*name;
	const char	*path;		/* "/" or "/aws-service-role/" */
	const char	*description;
	const char	*document;	/* JSON, as AWS publishes it */
};

extern const struct managed_policy managed_policies[];
extern const size_t managed_policies_len;

/* The policy with this ARN, or NULL. */
const struct managed_policy *managed_policy_find(const char *arn);
void managed_policy_arn(const struct managed_policy *p, char *out, size_t len);

#endif
