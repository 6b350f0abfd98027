/*
 * test_iam_policy.c - parsing and validating IAM policy documents: the
 * documents AWS publishes are accepted verbatim, every malformed one is
 * refused with its code and a usable message, and the PutPolicy grant rules
 * refuse what a CA's resource policy may not grant.
 */
#include "test.h"
#include "iam_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CA_ARN	"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/" \
		"11223344-1234-1122-2233-112233445566"

/* API.md 3.7's account grant, verbatim (Sids "1" and "2") */
static const char account_grant[] =
"{\"Version\":\"2012-10-17\",\n"
" \"Statement\":[\n"
"  {\"Sid\":\"1\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"555555555555\"},\n"
"   \"Action\":[\"acm-pca:DescribeCertificateAuthority\",\"acm-pca:GetCertificate\",\n"
"             \"acm-pca:GetCertificateAuthorityCertificate\",\"acm-pca:ListPermissions\",\"acm-pca:ListTags\"],\n"
"   \"Resource\":\"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11223344-1234-1122-2233-112233445566\"},\n"
"  {\"Sid\":\"2\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"555555555555\"},\n"
"   \"Action\":[\"acm-pca:IssueCertificate\"],\n"
"   \"Resource\":\"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11223344-1234-1122-2233-112233445566\",\n"
"   \"Condition\":{\"StringEquals\":{\"acm-pca:TemplateArn\":\"arn:aws:acm-pca:::template/EndEntityCertificate/V1\"}}}]}\n";

/* the 2021 page as published: Sid "1" twice */
static const char account_grant_dup_sid[] =
"{\n"
"   \"Version\":\"2012-10-17\",\n"
"   \"Statement\":[\n"
"      {\n"
"         \"Sid\":\"1\",\n"
"         \"Effect\":\"Allow\",\n"
"         \"Principal\":{\n"
"            \"AWS\":\"555555555555\"\n"
"         },\n"
"         \"Action\":[\n"
"            \"acm-pca:DescribeCertificateAuthority\",\n"
"            \"acm-pca:GetCertificate\",\n"
"            \"acm-pca:GetCertificateAuthorityCertificate\",\n"
"            \"acm-pca:ListPermissions\",\n"
"            \"acm-pca:ListTags\"\n"
"         ],\n"
"         \"Resource\":\"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11223344-1234-1122-2233-112233445566\"\n"
"      },\n"
"      {\n"
"         \"Sid\":\"1\",\n"
"         \"Effect\":\"Allow\",\n"
"         \"Principal\":{\n"
"            \"AWS\":\"555555555555\"\n"
"         },\n"
"         \"Action\":[\n"
"            \"acm-pca:IssueCertificate\"\n"
"         ],\n"
"         \"Resource\":\"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11223344-1234-1122-2233-112233445566\",\n"
"         \"Condition\":{\n"
"            \"StringEquals\":{\n"
"               \"acm-pca:TemplateArn\":\"arn:aws:acm-pca:::template/EndEntityCertificate/V1\"\n"
"            }\n"
"         }\n"
"      }\n"
"   ]\n"
"}\n";

/* policy2 of the current page, with its placeholders */
static const char org_grant_placeholders[] =
"{\n"
"   \"Version\":\"2012-10-17\",\n"
"   \"Statement\":[\n"
"      {\n"
"         \"Sid\":\"ExampleStatementID3\",\n"
"         \"Effect\":\"Allow\",\n"
"         \"Principal\":\"*\",\n"
"         \"Action\":\"acm-pca:IssueCertificate\",\n"
"         \"Resource\":\"arn:aws:acm-pca:region:account:certificate-authority/CA_ID\",\n"
"         \"Condition\":{\n"
"            \"StringEquals\":{\n"
"               \"acm-pca:TemplateArn\":\"arn:aws:acm-pca:::template/EndEntityCertificate/V1\",\n"
"               \"aws:PrincipalOrgID\":\"o-a1b2c3d4z5\"\n"
"            },\n"
"            \"StringNotEquals\":{\n"
"               \"aws:PrincipalAccount\":\"account\"\n"
"            }\n"
"         }\n"
"      },\n"
"      {\n"
"         \"Sid\":\"ExampleStatementID4\",\n"
"         \"Effect\":\"Allow\",\n"
"         \"Principal\":\"*\",\n"
"         \"Action\":[\n"
"            \"acm-pca:DescribeCertificateAuthority\",\n"
"            \"acm-pca:GetCertificate\",\n"
"            \"acm-pca:GetCertificateAuthorityCertificate\",\n"
"            \"acm-pca:ListPermissions\",\n"
"            \"acm-pca:ListTags\"\n"
"         ],\n"
"         \"Resource\":\"arn:aws:acm-pca:region:account:certificate-authority/CA_ID\",\n"
"         \"Condition\":{\n"
"            \"StringEquals\":{\n"
"               \"aws:PrincipalOrgID\":\"o-a1b2c3d4z5\"\n"
"            },\n"
"            \"StringNotEquals\":{\n"
"               \"aws:PrincipalAccount\":\"account\"\n"
"            }\n"
"         }\n"
"      }\n"
"   ]\n"
"}\n";

/* managed policy AWSPrivateCAUser, in the form API.md 3.7 quotes */
static const char private_ca_user[] =
"{\n"
"    \"Version\": \"2012-10-17\",\n"
"    \"Statement\": [\n"
"        {\n"
"            \"Effect\": \"Allow\",\n"
"            \"Action\": [\n"
"                \"acm-pca:IssueCertificate\"\n"
"            ],\n"
"            \"Resource\": \"arn:aws:acm-pca:*:*:certificate-authority/*\",\n"
"            \"Condition\": {\n"
"                \"ArnLike\": {\n"
"                    \"acm-pca:TemplateArn\": [\n"
"                        \"arn:aws:acm-pca:*:*:template/EndEntityCertificate/V*\"\n"
"                    ]\n"
"                }\n"
"            }\n"
"        },\n"
"        {\n"
"            \"Effect\": \"Deny\",\n"
"            \"Action\": [\n"
"                \"acm-pca:IssueCertificate\"\n"
"            ],\n"
"            \"Resource\": \"arn:aws:acm-pca:*:*:certificate-authority/*\",\n"
"            \"Condition\": {\n"
"                \"ArnNotLike\": {\n"
"                    \"acm-pca:TemplateArn\": [\n"
"                        \"arn:aws:acm-pca:*:*:template/EndEntityCertificate/V*\"\n"
"                    ]\n"
"                }\n"
"            }\n"
"        },\n"
"        {\n"
"            \"Effect\": \"Allow\",\n"
"            \"Action\": [\n"
"                \"acm-pca:RevokeCertificate\",\n"
"                \"acm-pca:GetCertificate\",\n"
"                \"acm-pca:ListPermissions\"\n"
"            ],\n"
"            \"Resource\": \"arn:aws:acm-pca:*:*:certificate-authority/*\"\n"
"        },\n"
"        {\n"
"            \"Effect\": \"Allow\",\n"
"            \"Action\": [\n"
"                \"acm-pca:ListCertificateAuthorities\"\n"
"            ],\n"
"            \"Resource\": \"*\"\n"
"        }\n"
"    ]\n"
"}\n";

/* managed policy AWSCertificateManagerPrivateCAFullAccess */
static const char private_ca_full_access[] =
"{\n"
"    \"Version\": \"2012-10-17\",\n"
"    \"Statement\": [\n"
"        {\n"
"            \"Effect\": \"Allow\",\n"
"            \"Action\": [\n"
"                \"acm-pca:*\"\n"
"            ],\n"
"            \"Resource\": \"*\"\n"
"        }\n"
"    ]\n"
"}\n";

/* AWSCertificateManagerPrivateCAReadOnly: Statement as a single object */
static const char private_ca_read_only[] =
"{\n"
"  \"Version\": \"2012-10-17\",\n"
"  \"Statement\": {\n"
"    \"Effect\": \"Allow\",\n"
"    \"Action\": [\n"
"      \"acm-pca:DescribeCertificateAuthority\",\n"
"      \"acm-pca:DescribeCertificateAuthorityAuditReport\",\n"
"      \"acm-pca:ListCertificateAuthorities\",\n"
"      \"acm-pca:GetCertificateAuthorityCsr\",\n"
"      \"acm-pca:GetCertificateAuthorityCertificate\",\n"
"      \"acm-pca:GetCertificate\",\n"
"      \"acm-pca:GetPolicy\",\n"
"      \"acm-pca:ListPermissions\",\n"
"      \"acm-pca:ListTags\"\n"
"    ],\n"
"    \"Resource\": \"*\"\n"
"  }\n"
"}\n";

/* AWSPrivateCAPrivilegedUser-like: StringLike on CA templates with its Deny */
static const char private_ca_privileged[] =
"{\"Version\":\"2012-10-17\",\"Statement\":["
"{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:IssueCertificate\"],"
" \"Resource\":\"arn:aws:acm-pca:*:*:certificate-authority/*\","
" \"Condition\":{\"StringLike\":{\"acm-pca:TemplateArn\":[\"arn:aws:acm-pca:::template/*CACertificate*/V*\"]}}},"
"{\"Effect\":\"Deny\",\"Action\":[\"acm-pca:IssueCertificate\"],"
" \"Resource\":\"arn:aws:acm-pca:*:*:certificate-authority/*\","
" \"Condition\":{\"StringNotLike\":{\"acm-pca:TemplateArn\":[\"arn:aws:acm-pca:::template/*CACertificate*/V*\"]}}},"
"{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:RevokeCertificate\",\"acm-pca:GetCertificate\",\"acm-pca:ListPermissions\"],"
" \"Resource\":\"arn:aws:acm-pca:*:*:certificate-authority/*\"},"
"{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:ListCertificateAuthorities\"],\"Resource\":\"*\"}]}";

/* the inline policy of seed 003 (DigiCert connector), as published */
static const char seed_inline[] =
"{\n"
"   \"Version\": \"2012-10-17\",\n"
"   \"Statement\": [\n"
"       {\n"
"           \"Sid\": \"VisualEditor0\",\n"
"           \"Effect\": \"Allow\",\n"
"           \"Action\": [\n"
"               \"sts:GetSessionToken\",\n"
"               \"sts:AssumeRole\",\n"
"               \"sts:GetAccessKeyInfo\"\n"
"            ],\n"
"            \"Resource\": [\n"
"               \"arn:aws:iam::*:role/<Common IAM role name>\"\n"
"            ]\n"
"       }\n"
"   ]\n"
"}\n";

static const char acm_trust[] =
"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
"\"Principal\":{\"Service\":\"acm.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}";

static const char *const pca_grantable[] = {
	"acm-pca:DescribeCertificateAuthority", "acm-pca:GetCertificate",
	"acm-pca:GetCertificateAuthorityCertificate", "acm-pca:ListPermissions",
	"acm-pca:ListTags", "acm-pca:IssueCertificate", "acm-pca:RevokeCertificate",
};

static struct iam_policy *
parse_ok_at(const char *file, int line, enum iam_policy_kind kind, const char *text)
{
	struct iam_policy *p = NULL;
	char why[512];
	int r;

	r = iam_policy_parse(text, strlen(text), kind, NULL, &p, why, sizeof(why));
	if (r != 0 || p == NULL)
		test_fail(file, line, "parse: %s: %s", iam_err_str(r), why);
	return p;
}
#define parse_ok(kind, text) parse_ok_at(__FILE__, __LINE__, kind, text)

static void
refuse_at(const char *file, int line, enum iam_policy_kind kind, const char *text, size_t len,
    const struct iam_limits *lim, int code, const char *needle)
{
	struct iam_policy *p = (struct iam_policy *)&p;	/* must be cleared */
	char why[512];
	int r;

	memset(why, 'x', sizeof(why));
	r = iam_policy_parse(text, len, kind, lim, &p, why, sizeof(why));
	if (r != code)
		test_fail(file, line, "code %d (%s), want %d; why: %s", r, iam_err_str(r), code,
		    r != 0 ? why : "");
	if (p != NULL)
		test_fail(file, line, "*out not cleared on failure");
	if (strstr(why, needle) == NULL)
		test_fail(file, line, "message \"%s\" lacks \"%s\"", why, needle);
	for (const char *c = why; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20)
			test_fail(file, line, "control character in message");
	test_diag("%-16s %s", iam_err_str(r), why);
}
#define refuse(kind, text, code, needle) \
	refuse_at(__FILE__, __LINE__, kind, text, strlen(text), NULL, code, needle)

/* A statement wrapped into a document. */
static const char *
doc1(const char *stmt)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "{\"Version\":\"2012-10-17\",\"Statement\":[%s]}", stmt);
	return buf;
}

#define ID_OK_STMT "{\"Effect\":\"Allow\",\"Action\":\"acm-pca:GetCertificate\",\"Resource\":\"*\""

static void
test_api_examples(void)
{
	struct iam_policy *p;
	size_t len;

	p = parse_ok(IAM_KIND_RESOURCE, account_grant);
	assert_int_eq(iam_policy_statement_count(p), 2);
	assert_int_eq(iam_policy_kind(p), IAM_KIND_RESOURCE);
	/* kept verbatim for GetPolicy */
	assert_str_eq(iam_policy_text(p, &len), account_grant);
	assert_int_eq(len, strlen(account_grant));
	iam_policy_unref(p);

	p = parse_ok(IAM_KIND_RESOURCE, account_grant_dup_sid);
	assert_int_eq(iam_policy_statement_count(p), 2);
	iam_policy_unref(p);

	p = parse_ok(IAM_KIND_RESOURCE, org_grant_placeholders);
	assert_int_eq(iam_policy_statement_count(p), 2);
	iam_policy_unref(p);
}

static void
test_managed_policies(void)
{
	const char *docs[] = { private_ca_user, private_ca_full_access, private_ca_read_only,
	    private_ca_privileged, seed_inline };

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		iam_policy_unref(parse_ok(IAM_KIND_IDENTITY, docs[i]));
	iam_policy_unref(parse_ok(IAM_KIND_TRUST, acm_trust));
}

static void
test_accepted_shapes(void)
{
	static const char *const ok_id[] = {
		/* no Version (2008 semantics), Id, NotAction, NotResource */
		"{\"Id\":\"x\",\"Statement\":{\"Effect\":\"Deny\",\"NotAction\":\"acm-pca:Get*\","
		    "\"NotResource\":[\"arn:aws:acm-pca:*:*:certificate-authority/*\"]}}",
		"{\"Version\":\"2008-10-17\",\"Statement\":[" ID_OK_STMT "}]}",
		/* "*" alone, ? wildcard, case-insensitive action */
		"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"*\",\"ACM-PCA:get?ertificate\"],"
		    "\"Resource\":\"*\"}]}",
		/* values as numbers and booleans, every operator and modifier */
		"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
		    "\"Resource\":\"*\",\"Condition\":{"
		    "\"NumericLessThan\":{\"aws:MultiFactorAuthAge\":3600},"
		    "\"NumericGreaterThanEquals\":{\"x:n\":[1.5,\"2\",1e3]},"
		    "\"Bool\":{\"aws:SecureTransport\":true},"
		    "\"Null\":{\"aws:TagKeys\":\"false\"},"
		    "\"DateLessThan\":{\"aws:CurrentTime\":\"2030-01-01T00:00:00Z\"},"
		    "\"DateGreaterThan\":{\"aws:CurrentTime\":1500000000},"
		    "\"DateEquals\":{\"x:d\":[\"2020-02-29\",\"2020-02-29T12:00:00.250+01:30\"]},"
		    "\"IpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"2001:db8::/32\",\"192.0.2.1\"]},"
		    "\"NotIpAddressIfExists\":{\"aws:SourceIp\":\"10.9.0.0/16\"},"
		    "\"BinaryEquals\":{\"x:b\":\"QmluYXJ5VmFsdWVJbkJhc2U2NA==\"},"
		    "\"ForAnyValue:StringLike\":{\"aws:PrincipalOrgPaths\":\"o-x/r-y/ou-a/*\"},"
		    "\"ForAllValues:StringEqualsIgnoreCaseIfExists\":{\"aws:TagKeys\":[\"a\",\"b\"]},"
		    "\"stringnotequalsignorecase\":{\"AWS:PrincipalTag/Team\":\"x\"},"
		    "\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:s3:::bucket\"},"
		    "\"ArnNotLikeIfExists\":{\"aws:SourceArn\":\"arn:aws:s3:::*\"},"
		    "\"StringEquals\":{\"aws:username\":\"${aws:username}\","
		    "\"x:v\":\"${x:w, 'dflt'}-${*}${?}${$}\"}"
		    "}}]}",
		/* policy variable in a Resource */
		"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
		    "\"Resource\":\"arn:aws:acm-pca:*:${aws:PrincipalAccount}:certificate-authority/*\"}]}",
		/* 2008: "${" is literal text, even malformed */
		"{\"Version\":\"2008-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
		    "\"Resource\":\"arn:aws:s3:::b/${oops\"}]}",
		/* an empty Condition is no condition */
		"{\"Statement\":[" ID_OK_STMT ",\"Condition\":{}}]}",
	};
	static const char *const ok_res[] = {
		"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"*\","
		    "\"arn:aws:iam::111122223333:root\",\"arn:aws:iam::111122223333:user/a/b/Carol\","
		    "\"arn:aws:iam::111122223333:role/service-role/R\","
		    "\"arn:aws:sts::111122223333:assumed-role/R/sess@x.com\"],"
		    "\"Service\":[\"acm.amazonaws.com\",\"pca-connector-scep.amazonaws.com\"]},"
		    "\"Action\":\"acm-pca:GetCertificate\"}]}",
		"{\"Statement\":[{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"111122223333\"},"
		    "\"Action\":\"*\",\"Resource\":\"*\"}]}",
	};

	for (size_t i = 0; i < sizeof(ok_id) / sizeof(ok_id[0]); i++)
		iam_policy_unref(parse_ok(IAM_KIND_IDENTITY, ok_id[i]));
	for (size_t i = 0; i < sizeof(ok_res) / sizeof(ok_res[0]); i++)
		iam_policy_unref(parse_ok(IAM_KIND_RESOURCE, ok_res[i]));
}

static void
test_refuse_json(void)
{
	refuse(IAM_KIND_IDENTITY, "{\"Statement\":[", IAM_MALFORMED, "not valid JSON");
	refuse(IAM_KIND_IDENTITY, "{\"Statement\":{}} trailing", IAM_MALFORMED, "not valid JSON");
	refuse(IAM_KIND_IDENTITY, "[]", IAM_MALFORMED, "JSON object");
	refuse(IAM_KIND_IDENTITY, "\"Allow\"", IAM_MALFORMED, "");
	refuse(IAM_KIND_IDENTITY, "{\"Statement\":[" ID_OK_STMT ",\"Effect\":\"Deny\"}]}",
	    IAM_MALFORMED, "duplicate");
	refuse_at(__FILE__, __LINE__, IAM_KIND_IDENTITY, "{\"Statement\":[]}\0x", 18, NULL,
	    IAM_MALFORMED, "not valid JSON");
	refuse(IAM_KIND_IDENTITY, "{\"Statement\":[" ID_OK_STMT ",\"Sid\":\"\xff\"}]}",
	    IAM_MALFORMED, "not valid JSON");
	refuse_at(__FILE__, __LINE__, IAM_KIND_IDENTITY, "", 0, NULL, IAM_MALFORMED, "empty");
}

static void
test_refuse_elements(void)
{
	refuse(IAM_KIND_IDENTITY, "{\"Statement\":[" ID_OK_STMT ",\"Foo\":1}]}", IAM_MALFORMED,
	    "unknown element \"Foo\"");
	refuse(IAM_KIND_IDENTITY, "{\"Version\":\"2012-10-17\",\"Statment\":[]}", IAM_MALFORMED,
	    "Unknown element \"Statment\"");
	refuse(IAM_KIND_IDENTITY, "{\"Version\":\"2012-10-17\"}", IAM_MALFORMED,
	    "Missing required field Statement");
	refuse(IAM_KIND_IDENTITY, "{\"Version\":\"2012-10-18\",\"Statement\":[" ID_OK_STMT "}]}",
	    IAM_MALFORMED, "Version");
	refuse(IAM_KIND_IDENTITY, "{\"Statement\":[]}", IAM_MALFORMED, "non-empty");
	refuse(IAM_KIND_IDENTITY, "{\"Statement\":\"x\"}", IAM_MALFORMED, "Statement");
	refuse(IAM_KIND_IDENTITY, "{\"Statement\":[1]}", IAM_MALFORMED, "not an object");
	refuse(IAM_KIND_IDENTITY, "{\"Id\":5,\"Statement\":[" ID_OK_STMT "}]}", IAM_MALFORMED,
	    "Id");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Sid\":7}"), IAM_MALFORMED, "Sid");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"NotAction\":\"x:y\"}"), IAM_MALFORMED,
	    "both Action and NotAction");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"NotResource\":\"*\"}"), IAM_MALFORMED,
	    "both Resource and NotResource");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Action\":\"x:y\",\"Resource\":\"*\"}"), IAM_MALFORMED,
	    "Missing required field Effect");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Sid\":\"S1\",\"Effect\":\"allow\",\"Action\":\"x:y\","
	    "\"Resource\":\"*\"}"), IAM_MALFORMED, "statement #0 (Sid \"S1\"): Effect must be");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":true,\"Action\":\"x:y\",\"Resource\":\"*\"}"),
	    IAM_MALFORMED, "Effect");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}"),
	    IAM_MALFORMED, "Action must not be an empty array");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Action\":[\"x:y\",3],"
	    "\"Resource\":\"*\"}"), IAM_MALFORMED, "must be a string");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Action\":\"x:y\",\"Resource\":[]}"),
	    IAM_MALFORMED, "Resource must not be an empty array");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Resource\":\"*\"}"), IAM_MALFORMED,
	    "must contain actions");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Action\":\"x:y\"}"), IAM_MALFORMED,
	    "must contain resources");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Principal\":\"*\"}"), IAM_MALFORMED,
	    "should not specify a principal");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT "}"), IAM_MALFORMED,
	    "Missing required field Principal");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":\"*\",\"NotPrincipal\":\"*\"}"),
	    IAM_MALFORMED, "both Principal and NotPrincipal");
	refuse(IAM_KIND_TRUST, doc1("{\"Effect\":\"Allow\",\"Principal\":\"*\","
	    "\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}"), IAM_MALFORMED,
	    "Has prohibited field Resource");
	refuse(IAM_KIND_TRUST, doc1("{\"Effect\":\"Allow\",\"Principal\":\"*\","
	    "\"Action\":\"acm-pca:GetCertificate\"}"), IAM_INVALID, "sts actions");
	refuse(IAM_KIND_TRUST, doc1("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\"}"),
	    IAM_INVALID, "sts actions");
}

static void
test_refuse_values(void)
{
	/* actions and resources */
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Action\":\"IssueCertificate\","
	    "\"Resource\":\"*\"}"), IAM_INVALID, "prefaced by a vendor");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Action\":\"a:b:c\","
	    "\"Resource\":\"*\"}"), IAM_INVALID, "prefaced by a vendor");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Action\":\"acm-pca:Get Cert\","
	    "\"Resource\":\"*\"}"), IAM_INVALID, "characters");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Action\":\"x:y\","
	    "\"Resource\":\"certificate-authority/x\"}"), IAM_INVALID, "ARN format");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Action\":\"x:y\","
	    "\"Resource\":\"arn:aws:acm-pca:us-east-1\"}"), IAM_INVALID, "ARN format");
	/* principals */
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":{\"AWS\":\"12345\"}}"),
	    IAM_INVALID, "Invalid principal in policy: \"AWS\":\"12345\"");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":{\"AWS\":"
	    "\"arn:aws:iam::*:root\"}}"), IAM_INVALID, "Invalid principal");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":{\"AWS\":"
	    "\"arn:aws:iam::111122223333:group/g\"}}"), IAM_INVALID, "Invalid principal");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":{\"AWS\":"
	    "\"arn:aws:sts::111122223333:assumed-role/R\"}}"), IAM_INVALID, "Invalid principal");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":\"111122223333\"}"),
	    IAM_INVALID, "Invalid principal");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":{}}"), IAM_INVALID,
	    "Invalid principal");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":{\"AWS\":[]}}"), IAM_MALFORMED,
	    "empty array");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":{\"Service\":\"*\"}}"),
	    IAM_INVALID, "\"Service\":\"*\"");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":{\"User\":\"x\"}}"),
	    IAM_INVALID, "unknown principal type");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":{\"Federated\":"
	    "\"cognito-identity.amazonaws.com\"}}"), IAM_UNSUPPORTED, "Federated");
	refuse(IAM_KIND_RESOURCE, doc1(ID_OK_STMT ",\"Principal\":{\"CanonicalUser\":\"ab\"}}"),
	    IAM_UNSUPPORTED, "CanonicalUser");
	/* conditions */
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"StringEqualz\":"
	    "{\"aws:x\":\"y\"}}}"), IAM_INVALID, "Invalid Condition type : StringEqualz");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"ForSomeValues:StringEquals\":"
	    "{\"aws:x\":\"y\"}}}"), IAM_INVALID, "Invalid Condition type");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"NullIfExists\":"
	    "{\"aws:x\":\"true\"}}}"), IAM_INVALID, "Invalid Condition type");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":[]}"), IAM_MALFORMED,
	    "Condition must be an object");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":\"StringEquals\"}"),
	    IAM_MALFORMED, "Condition must be an object");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"StringEquals\":\"x\"}}"),
	    IAM_MALFORMED, "must be an object of keys");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"StringEquals\":"
	    "{\"aws:x\":[]}}}"), IAM_MALFORMED, "empty list");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"StringEquals\":"
	    "{\"aws:x\":null}}}"), IAM_MALFORMED, "strings, numbers or booleans");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"StringEquals\":"
	    "{\"aws:x\":[{\"a\":1}]}}}"), IAM_MALFORMED, "strings, numbers or booleans");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"StringEquals\":"
	    "{\"nokey\":\"y\"}}}"), IAM_INVALID, "invalid key");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"NumericEquals\":"
	    "{\"x:n\":\"ten\"}}}"), IAM_INVALID, "is not a number");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"DateLessThan\":"
	    "{\"aws:CurrentTime\":\"2020-02-30\"}}}"), IAM_INVALID, "ISO 8601");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"Bool\":"
	    "{\"aws:SecureTransport\":\"yes\"}}}"), IAM_INVALID, "true or false");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"IpAddress\":"
	    "{\"aws:SourceIp\":\"10.0.0.0/33\"}}}"), IAM_INVALID, "CIDR");
	/* found by fuzzing: the prefix length overflowed an int (UBSan) */
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"IpAddress\":"
	    "{\"aws:SourceIp\":\"11.0.0.0/5555555555558\"}}}"), IAM_INVALID, "CIDR");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"IpAddress\":"
	    "{\"aws:SourceIp\":\"11.0.0.0/\"}}}"), IAM_INVALID, "CIDR");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"ArnLike\":"
	    "{\"aws:SourceArn\":\"arn:aws:s3\"}}}"), IAM_INVALID, "six parts");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"BinaryEquals\":"
	    "{\"x:b\":\"not base64!\"}}}"), IAM_INVALID, "base64");
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"Condition\":{\"StringEquals\":"
	    "{\"aws:x\":\"${aws:username\"}}}"), IAM_INVALID, "statement #0: Invalid policy variable");
	refuse(IAM_KIND_IDENTITY, doc1("{\"Effect\":\"Allow\",\"Action\":\"*\","
	    "\"Resource\":\"arn:aws:s3:::b/${}\"}"), IAM_INVALID, "Invalid policy variable");
	/* control characters never reach the message */
	refuse(IAM_KIND_IDENTITY, doc1(ID_OK_STMT ",\"F\\u0001\\n\":1}"), IAM_MALFORMED,
	    "unknown element \"F??\"");
}

static void
test_refuse_limits(void)
{
	struct iam_limits lim = { 0, 3 };
	char *big;
	size_t n = IAM_DEFAULT_MAX_LEN + 1;

	/* oversize: refused on length alone, before parsing */
	big = malloc(n);
	assert_ptr_not_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	refuse_at(__FILE__, __LINE__, IAM_KIND_RESOURCE, big, n, NULL, IAM_TOO_LARGE,
	    "at most 81920");
	free(big);

	lim.max_len = 64;
	refuse_at(__FILE__, __LINE__, IAM_KIND_RESOURCE, account_grant, strlen(account_grant),
	    &lim, IAM_TOO_LARGE, "at most 64");

	lim.max_len = 0;
	refuse_at(__FILE__, __LINE__, IAM_KIND_IDENTITY,
	    "{\"Statement\":[" ID_OK_STMT "}," ID_OK_STMT "}," ID_OK_STMT "}," ID_OK_STMT "}]}",
	    strlen("{\"Statement\":[" ID_OK_STMT "}," ID_OK_STMT "}," ID_OK_STMT "},"
	    ID_OK_STMT "}]}"), &lim, IAM_TOO_LARGE, "4 statements; at most 3");
}

static void
test_bad_args(void)
{
	struct iam_policy *p = NULL;
	char why[64];

	assert_int_eq(iam_policy_parse("{}", 2, IAM_KIND_IDENTITY, NULL, NULL, why, sizeof(why)),
	    IAM_INTERNAL);
	assert_int_eq(iam_policy_parse(NULL, 2, IAM_KIND_IDENTITY, NULL, &p, why, sizeof(why)),
	    IAM_INTERNAL);
	assert_int_eq(iam_policy_parse("{}", 2, 0, NULL, &p, NULL, 0), IAM_INTERNAL);
	assert_ptr_null(p);
	/* a tiny message buffer is still NUL-terminated */
	assert_int_eq(iam_policy_parse("{\"x\":1}", 7, IAM_KIND_IDENTITY, NULL, &p, why, 8),
	    IAM_MALFORMED);
	assert_int_eq(strlen(why), 7);
	iam_policy_unref(NULL);
	assert_ptr_null(iam_policy_ref(NULL));
}

static void
test_refcount(void)
{
	struct iam_policy *p = parse_ok(IAM_KIND_IDENTITY, private_ca_user);

	assert_true(iam_policy_ref(p) == p);
	iam_policy_unref(p);
	assert_int_eq(iam_policy_statement_count(p), 4);	/* still alive */
	iam_policy_unref(p);				/* ASan: freed exactly once */
}

static int
check(const char *text, const char *resource, char *why, size_t whylen)
{
	struct iam_grant_rules rules = { pca_grantable, 7, resource, 0 };
	struct iam_policy *p = parse_ok(IAM_KIND_RESOURCE, text);
	int r = iam_policy_check_grants(p, &rules, why, whylen);

	iam_policy_unref(p);
	if (r != 0)
		test_diag("check_grants: %s", why);
	return r;
}

#define GRANT(act) "{\"Sid\":\"G\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"555555555555\"}," \
	"\"Action\":" act ",\"Resource\":\"" CA_ARN "\"}"

static void
test_check_grants(void)
{
	char why[256];

	assert_int_eq(check(account_grant, CA_ARN, why, sizeof(why)), 0);
	assert_int_eq(check(account_grant_dup_sid, CA_ARN, why, sizeof(why)), 0);
	assert_int_eq(check(account_grant, NULL, why, sizeof(why)), 0);
	assert_int_eq(check(doc1(GRANT("\"ACM-PCA:revokecertificate\"")), CA_ARN, why,
	    sizeof(why)), 0);

	assert_int_eq(check(doc1(GRANT("\"*\"")), CA_ARN, why, sizeof(why)), IAM_NOT_GRANTABLE);
	assert_str_contains(why, "action * is over-broad");
	assert_int_eq(check(doc1(GRANT("\"acm-pca:*\"")), CA_ARN, why, sizeof(why)),
	    IAM_NOT_GRANTABLE);
	assert_str_contains(why, "acm-pca:* is over-broad");
	assert_int_eq(check(doc1(GRANT("[\"acm-pca:Get*\"]")), CA_ARN, why, sizeof(why)),
	    IAM_NOT_GRANTABLE);
	assert_int_eq(check(doc1(GRANT("[\"acm-pca:GetCertificate\","
	    "\"acm-pca:DeleteCertificateAuthority\"]")), CA_ARN, why, sizeof(why)),
	    IAM_NOT_GRANTABLE);
	assert_str_contains(why, "statement #0 (Sid \"G\"): the action "
	    "acm-pca:DeleteCertificateAuthority may not be granted");
	assert_int_eq(check(doc1("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotAction\":"
	    "\"acm-pca:Delete*\",\"Resource\":\"" CA_ARN "\"}"), CA_ARN, why, sizeof(why)),
	    IAM_NOT_GRANTABLE);
	assert_str_contains(why, "NotAction");
	/* the organization grant is narrowed; "*" alone, or narrowed in the
	 * wrong direction, is not */
	assert_int_eq(check(org_grant_placeholders, NULL, why, sizeof(why)), 0);
	assert_int_eq(check(doc1("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
	    "\"acm-pca:GetCertificate\",\"Resource\":\"" CA_ARN "\"}"), CA_ARN, why, sizeof(why)),
	    IAM_NOT_GRANTABLE);
	assert_str_contains(why, "narrowed");
	assert_int_eq(check(doc1("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"" "555555555555"
	    "\",\"*\"]},\"Action\":\"acm-pca:GetCertificate\",\"Condition\":{"
	    "\"StringNotEquals\":{\"aws:PrincipalAccount\":\"111122223333\"},"
	    "\"StringEqualsIfExists\":{\"aws:PrincipalOrgID\":\"o-a1b2c3d4z5\"}}}"), CA_ARN, why,
	    sizeof(why)), IAM_NOT_GRANTABLE);
	assert_int_eq(check(doc1("{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":"
	    "\"555555555555\"},\"Action\":\"acm-pca:GetCertificate\"}"), CA_ARN, why,
	    sizeof(why)), IAM_NOT_GRANTABLE);
	{
		struct iam_grant_rules pub = { pca_grantable, 7, NULL, 1 };
		struct iam_policy *p = parse_ok(IAM_KIND_RESOURCE, doc1("{\"Effect\":\"Allow\","
		    "\"Principal\":\"*\",\"Action\":\"acm-pca:GetCertificate\"}"));
		assert_int_eq(iam_policy_check_grants(p, &pub, why, sizeof(why)), 0);
		iam_policy_unref(p);
	}
	/* a Deny may be as broad as it likes */
	assert_int_eq(check(doc1("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
	    "\"Resource\":\"" CA_ARN "\"}"), CA_ARN, why, sizeof(why)), 0);
	/* the Resource must be this CA */
	assert_int_eq(check(account_grant, "arn:aws:acm-pca:us-east-1:111122223333:"
	    "certificate-authority/00000000-0000-0000-0000-000000000000", why, sizeof(why)),
	    IAM_NOT_GRANTABLE);
	assert_str_contains(why, "the Resource must be");
	assert_int_eq(check(doc1("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
	    "\"acm-pca:GetCertificate\",\"Resource\":\"arn:aws:acm-pca:*:*:certificate-authority/*\"}"),
	    CA_ARN, why, sizeof(why)), IAM_NOT_GRANTABLE);
	assert_int_eq(check(doc1("{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
	    "\"NotResource\":\"" CA_ARN "\"}"), CA_ARN, why, sizeof(why)), IAM_NOT_GRANTABLE);
	assert_str_contains(why, "NotResource");
}

int
main(void)
{
	test_run("iam_policy/api_examples_verbatim", test_api_examples);
	test_run("iam_policy/managed_policies", test_managed_policies);
	test_run("iam_policy/accepted_shapes", test_accepted_shapes);
	test_run("iam_policy/refuse_json", test_refuse_json);
	test_run("iam_policy/refuse_elements", test_refuse_elements);
	test_run("iam_policy/refuse_values", test_refuse_values);
	test_run("iam_policy/refuse_limits", test_refuse_limits);
	test_run("iam_policy/bad_args", test_bad_args);
	test_run("iam_policy/refcount", test_refcount);
	test_run("iam_policy/check_grants", test_check_grants);
	return test_done();
}
