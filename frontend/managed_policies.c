/*
 * managed_policies.c - the AWS managed policies hsmca offers, named and
 * written as AWS publishes them (arn:aws:iam::aws:policy/<path><Name>).
 * Statements for services hsmca does not have (e.g. SecretsManager) are
 * left out: they would grant nothing here.
 */
#include "managed_policies.h"

#include <string.h>

#define PCA_CA_ARN	"arn:aws:acm-pca:*:*:certificate-authority/*"
#define ACM_SLR_ARN	"arn:aws:iam::*:role/aws-service-role/acm.amazonaws.com/" \
			"AWSServiceRoleForCertificateManager*"

const struct managed_policy managed_policies[] = {
	{ "AdministratorAccess", "/",
	  "Provides full access to AWS services and resources.",
	  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
	  "\"Resource\":\"*\"}]}" },
	{ "ReadOnlyAccess", "/",
	  "Provides read-only access to AWS services and resources.",
	  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
	  "\"acm:Describe*\",\"acm:Get*\",\"acm:List*\",\"acm-pca:Describe*\",\"acm-pca:Get*\","
	  "\"acm-pca:List*\",\"iam:Get*\",\"iam:List*\",\"organizations:Describe*\","
	  "\"organizations:List*\",\"sts:GetCallerIdentity\"],\"Resource\":\"*\"}]}" },
	{ "IAMFullAccess", "/",
	  "Provides full access to IAM.",
	  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"iam:*\","
	  "\"organizations:DescribeAccount\",\"organizations:DescribeOrganization\","
	  "\"organizations:DescribeOrganizationalUnit\",\"organizations:ListAccounts\","
	  "\"organizations:ListAccountsForParent\",\"organizations:ListOrganizationalUnitsForParent\","
	  "\"organizations:ListRoots\"],\"Resource\":\"*\"}]}" },
	{ "IAMReadOnlyAccess", "/",
	  "Provides read only access to IAM.",
	  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
	  "\"iam:GenerateCredentialReport\",\"iam:GenerateServiceLastAccessedDetails\","
	  "\"iam:Get*\",\"iam:List*\",\"iam:SimulateCustomPolicy\",\"iam:SimulatePrincipalPolicy\"],"
	  "\"Resource\":\"*\"}]}" },
	{ "AWSCertificateManagerFullAccess", "/",
	  "Provides full access to AWS Certificate Manager (ACM).",
	  "{\"Version\":\"2012-10-17\",\"Statement\":["
	  "{\"Effect\":\"Allow\",\"Action\":[\"acm:*\"],\"Resource\":\"*\"},"
	  "{\"Effect\":\"Allow\",\"Action\":\"iam:CreateServiceLinkedRole\",\"Resource\":\""
	  ACM_SLR_ARN "\",\"Condition\":{\"StringEquals\":{\"iam:AWSServiceName\":"
	  "\"acm.amazonaws.com\"}}},"
	  "{\"Effect\":\"Allow\",\"Action\":[\"iam:DeleteServiceLinkedRole\","
	  "\"iam:GetServiceLinkedRoleDeletionStatus\",\"iam:GetRole\"],\"Resource\":\""
	  ACM_SLR_ARN "\"}]}" },
	{ "AWSCertificateManagerReadOnly", "/",
	  "Provides read only access to AWS Certificate Manager (ACM).",
	  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
	  "\"acm:DescribeCertificate\",\"acm:ListCertificates\",\"acm:GetCertificate\","
	  "\"acm:ListTagsForCertificate\",\"acm:GetAccountConfiguration\"],\"Resource\":\"*\"}]}" },
	{ "AWSCertificateManagerPrivateCAFullAccess", "/",
	  "Provides full access to AWS Private Certificate Authority.",
	  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
	  "[\"acm-pca:*\"],\"Resource\":\"*\"}]}" },
	{ "AWSCertificateManagerPrivateCAReadOnly", "/",
	  "Provides read only access to AWS Private Certificate Authority.",
	  "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":["
	  "\"acm-pca:DescribeCertificateAuthority\",\"acm-pca:DescribeCertificateAuthorityAuditReport\","
	  "\"acm-pca:ListCertificateAuthorities\",\"acm-pca:GetCertificateAuthorityCsr\","
	  "\"acm-pca:GetCertificateAuthorityCertificate\",\"acm-pca:GetCertificate\","
	  "\"acm-pca:GetPolicy\",\"acm-pca:ListPermissions\",\"acm-pca:ListTags\"],"
	  "\"Resource\":\"*\"}}" },
	{ "AWSCertificateManagerPrivateCAUser", "/",
	  "Provides certificate user access to AWS Private Certificate Authority "
	  "(end-entity certificates only).",
	  "{\"Version\":\"2012-10-17\",\"Statement\":["
	  "{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:IssueCertificate\"],\"Resource\":\""
	  PCA_CA_ARN "\",\"Condition\":{\"StringLike\":{\"acm-pca:TemplateArn\":["
	  "\"arn:aws:acm-pca:::template/EndEntityCertificate/V*\"]}}},"
	  "{\"Effect\":\"Deny\",\"Action\":[\"acm-pca:IssueCertificate\"],\"Resource\":\""
	  PCA_CA_ARN "\",\"Condition\":{\"StringNotLike\":{\"acm-pca:TemplateArn\":["
	  "\"arn:aws:acm-pca:::template/EndEntityCertificate/V*\"]}}},"
	  "{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:RevokeCertificate\","
	  "\"acm-pca:GetCertificate\",\"acm-pca:ListPermissions\"],\"Resource\":\""
	  PCA_CA_ARN "\"},"
	  "{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:ListCertificateAuthorities\"],"
	  "\"Resource\":\"*\"}]}" },
	{ "AWSCertificateManagerPrivateCAPrivilegedUser", "/",
	  "Provides privileged certificate user access to AWS Private Certificate "
	  "Authority (CA certificates only).",
	  "{\"Version\":\"2012-10-17\",\"Statement\":["
	  "{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:IssueCertificate\"],\"Resource\":\""
	  PCA_CA_ARN "\",\"Condition\":{\"StringLike\":{\"acm-pca:TemplateArn\":["
	  "\"arn:aws:acm-pca:::template/*CACertificate*/V*\"]}}},"
	  "{\"Effect\":\"Deny\",\"Action\":[\"acm-pca:IssueCertificate\"],\"Resource\":\""
	  PCA_CA_ARN "\",\"Condition\":{\"StringNotLike\":{\"acm-pca:TemplateArn\":["
	  "\"arn:aws:acm-pca:::template/*CACertificate*/V*\"]}}},"
	  "{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:RevokeCertificate\","
	  "\"acm-pca:GetCertificate\",\"acm-pca:ListPermissions\"],\"Resource\":\""
	  PCA_CA_ARN "\"},"
	  "{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:ListCertificateAuthorities\"],"
	  "\"Resource\":\"*\"}]}" },
	{ "AWSCertificateManagerPrivateCAAuditor", "/",
	  "Provides auditor access to AWS Private Certificate Authority.",
	  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
	  "\"acm-pca:CreateCertificateAuthorityAuditReport\","
	  "\"acm-pca:DescribeCertificateAuthority\",\"acm-pca:DescribeCertificateAuthorityAuditReport\","
	  "\"acm-pca:GetCertificateAuthorityCsr\",\"acm-pca:GetCertificateAuthorityCertificate\","
	  "\"acm-pca:GetPolicy\",\"acm-pca:ListPermissions\",\"acm-pca:ListTags\"],"
	  "\"Resource\":\"" PCA_CA_ARN "\"},"
	  "{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:ListCertificateAuthorities\"],"
	  "\"Resource\":\"*\"}]}" },
	{ "AWSOrganizationsFullAccess", "/",
	  "Provides full access to AWS Organizations.",
	  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
	  "\"organizations:*\",\"Resource\":\"*\"}]}" },
	{ "AWSOrganizationsReadOnlyAccess", "/",
	  "Provides read-only access to AWS Organizations.",
	  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
	  "\"organizations:Describe*\",\"organizations:List*\"],\"Resource\":\"*\"}]}" },
	/* the policy of ACM's service-linked role (issue 4: managed renewal) */
	{ "CertificateManagerServiceRolePolicy", "/aws-service-role/",
	  "Policy granting permissions to ACM to manage certificates of private CAs.",
	  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
	  "\"acm-pca:IssueCertificate\",\"acm-pca:GetCertificate\"],\"Resource\":\"*\"}]}" },
};
const size_t managed_policies_len = sizeof(managed_policies) / sizeof(managed_policies[0]);

const struct managed_policy *
managed_policy_find(const char *arn)
{
	char want[256];

	for (size_t i = 0; i < managed_policies_len; i++) {
		managed_policy_arn(&managed_policies[i], want, sizeof(want));
		if (strcmp(want, arn) == 0)
			return &managed_policies[i];
	}
	return NULL;
}

void
managed_policy_arn(const struct managed_policy *p, char *out, size_t len)
{
	snprintf(out, len, "arn:aws:iam::aws:policy%s%s", p->path, p->name);
}
