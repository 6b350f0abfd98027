/*
 * test_iam_eval.c - the evaluation matrix: actions, resources, principals,
 * every condition operator with hits and misses, the same-account union,
 * the cross-account intersection, root, role sessions, service principals,
 * the decision record, and that evaluation never touches JSON.
 */
#include "test.h"
#include "iam_policy.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OWNER	"111122223333"
#define OTHER	"555555555555"
#define THIRD	"444455556666"
#define CA	"arn:aws:acm-pca:us-east-1:" OWNER ":certificate-authority/" \
		"11223344-1234-1122-2233-112233445566"
#define CA2	"arn:aws:acm-pca:us-east-1:" OWNER ":certificate-authority/" \
		"99999999-1234-1122-2233-112233445566"
#define EE_V1	"arn:aws:acm-pca:::template/EndEntityCertificate/V1"
#define SUB_V1	"arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1"
#define NOW	1767225600LL	/* 2026-01-01T00:00:00Z */

/* ---------------------------------------------------------------- helpers */

static struct iam_policy *
parse_at(const char *file, int line, enum iam_policy_kind kind, const char *text)
{
	struct iam_policy *p = NULL;
	char why[512];
	int r = iam_policy_parse(text, strlen(text), kind, NULL, &p, why, sizeof(why));

	if (r != 0)
		test_fail(file, line, "parse: %s: %s\n%s", iam_err_str(r), why, text);
	return p;
}
#define ID(text)	parse_at(__FILE__, __LINE__, IAM_KIND_IDENTITY, text)
#define RES(text)	parse_at(__FILE__, __LINE__, IAM_KIND_RESOURCE, text)
#define TRUST(text)	parse_at(__FILE__, __LINE__, IAM_KIND_TRUST, text)

/* A request: who, what, on which resource, with which context. */
struct who {
	enum iam_principal_type	 type;
	const char		*arn;
	const char		*account;
};

static const struct who owner_root = { IAM_PRINCIPAL_ROOT, "arn:aws:iam::" OWNER ":root", OWNER };
static const struct who owner_alice = { IAM_PRINCIPAL_USER, "arn:aws:iam::" OWNER ":user/alice",
    OWNER };
static const struct who other_root = { IAM_PRINCIPAL_ROOT, "arn:aws:iam::" OTHER ":root", OTHER };
static const struct who other_bob = { IAM_PRINCIPAL_USER, "arn:aws:iam::" OTHER ":user/ops/bob",
    OTHER };
static const struct who other_session = { IAM_PRINCIPAL_ASSUMED_ROLE,
    "arn:aws:sts::" OTHER ":assumed-role/Issuer/build-42", OTHER };
static const struct who third_carol = { IAM_PRINCIPAL_USER, "arn:aws:iam::" THIRD ":user/carol",
    THIRD };
static const struct who acm_svc = { IAM_PRINCIPAL_SERVICE, "acm.amazonaws.com", NULL };

static struct iam_request
rq(const struct who *w, const char *action, const char *resource)
{
	struct iam_request r;

	memset(&r, 0, sizeof(r));
	r.principal = w->arn;
	r.principal_account = w->account;
	r.principal_type = w->type;
	r.action = action;
	r.resource = resource;
	/* every acm-pca ARN here belongs to OWNER */
	r.resource_account = strcmp(resource, "*") == 0 ? NULL : OWNER;
	r.now = NOW;
	return r;
}

/* Evaluate with one identity policy (or none) and a resource policy (or
 * none), named "id-policy" and "ca-policy". */
static enum iam_effect
ev(const struct iam_request *r, const struct iam_policy *id, const struct iam_policy *res,
    struct iam_decision *d)
{
	struct iam_attached ida = { id, "id-policy" }, rsa = { res, "ca-policy" };
	struct iam_decision tmp;
	enum iam_effect e;

	e = iam_evaluate(r, id != NULL ? &ida : NULL, id != NULL ? 1 : 0, res != NULL ? &rsa : NULL,
	    d != NULL ? d : &tmp);
	assert_int_eq(e, (d != NULL ? d : &tmp)->effect);
	return e;
}

static const char *
allow_id(const char *action, const char *resource)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"IdAllow\","
	    "\"Effect\":\"Allow\",\"Action\":%s,\"Resource\":%s}]}", action, resource);
	return buf;
}

/* ---------------------------------------------------------------- actions */

static void
test_actions(void)
{
	struct iam_policy *get = ID(allow_id("\"acm-pca:Get*\"", "\"*\""));
	struct iam_policy *all = ID(allow_id("\"*\"", "\"*\""));
	struct iam_policy *q = ID(allow_id("[\"ACM-PCA:get?ertificate\",\"acm-pca:List*s\"]", "\"*\""));
	struct iam_request r;

	r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	assert_int_eq(ev(&r, get, NULL, NULL), IAM_ALLOW);
	r.action = "ACM-PCA:GETCERTIFICATEAUTHORITYCSR";	/* case-insensitive */
	assert_int_eq(ev(&r, get, NULL, NULL), IAM_ALLOW);
	r.action = "acm-pca:IssueCertificate";
	assert_int_eq(ev(&r, get, NULL, NULL), IAM_IMPLICIT_DENY);
	r.action = "acm:GetCertificate";			/* another service */
	assert_int_eq(ev(&r, get, NULL, NULL), IAM_IMPLICIT_DENY);
	assert_int_eq(ev(&r, all, NULL, NULL), IAM_ALLOW);

	r.action = "acm-pca:GetCertificate";
	assert_int_eq(ev(&r, q, NULL, NULL), IAM_ALLOW);
	r.action = "acm-pca:GetCertificateAuthorityCertificate";	/* ? is one char */
	assert_int_eq(ev(&r, q, NULL, NULL), IAM_IMPLICIT_DENY);
	r.action = "acm-pca:ListTags";
	assert_int_eq(ev(&r, q, NULL, NULL), IAM_ALLOW);
	r.action = "acm-pca:ListPermission";
	assert_int_eq(ev(&r, q, NULL, NULL), IAM_IMPLICIT_DENY);
	iam_policy_unref(get);
	iam_policy_unref(all);
	iam_policy_unref(q);
}

static void
test_not_action_not_resource(void)
{
	struct iam_policy *na = ID("{\"Statement\":[{\"Effect\":\"Allow\",\"NotAction\":"
	    "[\"acm-pca:Delete*\",\"acm-pca:PutPolicy\"],\"Resource\":\"*\"}]}");
	struct iam_policy *nr = ID("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"acm-pca:*\","
	    "\"NotResource\":\"arn:aws:acm-pca:*:*:certificate-authority/9*\"}]}");
	struct iam_request r = rq(&owner_alice, "acm-pca:GetCertificate", CA);

	assert_int_eq(ev(&r, na, NULL, NULL), IAM_ALLOW);
	r.action = "acm-pca:DeleteCertificateAuthority";
	assert_int_eq(ev(&r, na, NULL, NULL), IAM_IMPLICIT_DENY);
	r.action = "acm-pca:putpolicy";
	assert_int_eq(ev(&r, na, NULL, NULL), IAM_IMPLICIT_DENY);

	r.action = "acm-pca:IssueCertificate";
	assert_int_eq(ev(&r, nr, NULL, NULL), IAM_ALLOW);
	r.resource = CA2;
	assert_int_eq(ev(&r, nr, NULL, NULL), IAM_IMPLICIT_DENY);
	r.resource = "*";		/* ListCertificateAuthorities: "*" is not a CA */
	r.resource_account = NULL;
	assert_int_eq(ev(&r, nr, NULL, NULL), IAM_ALLOW);
	iam_policy_unref(na);
	iam_policy_unref(nr);
}

static void
test_resources(void)
{
	struct iam_policy *p = ID(allow_id("\"acm-pca:*\"",
	    "[\"arn:aws:acm-pca:us-east-1:" OWNER ":certificate-authority/1122*\","
	    "\"arn:aws:acm-pca:e?-west-?:*\"]"));
	struct iam_policy *star = ID(allow_id("\"acm-pca:ListCertificateAuthorities\"", "\"*\""));
	struct iam_policy *caonly = ID(allow_id("\"acm-pca:ListCertificateAuthorities\"",
	    "\"arn:aws:acm-pca:*:*:certificate-authority/*\""));
	struct iam_request r = rq(&owner_alice, "acm-pca:GetCertificate", CA);

	assert_int_eq(ev(&r, p, NULL, NULL), IAM_ALLOW);
	r.resource = CA2;
	assert_int_eq(ev(&r, p, NULL, NULL), IAM_IMPLICIT_DENY);
	r.resource = "arn:aws:acm-pca:eu-west-2:" OWNER ":certificate-authority/x";
	assert_int_eq(ev(&r, p, NULL, NULL), IAM_ALLOW);
	r.resource = "arn:aws:acm-pca:eu-west-2:" OWNER ":certificate-authority/x";
	/* case-sensitive */
	r.resource = "arn:aws:acm-pca:US-east-1:" OWNER ":certificate-authority/11223344";
	assert_int_eq(ev(&r, p, NULL, NULL), IAM_IMPLICIT_DENY);

	r = rq(&owner_alice, "acm-pca:ListCertificateAuthorities", "*");
	assert_int_eq(ev(&r, star, NULL, NULL), IAM_ALLOW);
	assert_int_eq(ev(&r, caonly, NULL, NULL), IAM_IMPLICIT_DENY);
	iam_policy_unref(p);
	iam_policy_unref(star);
	iam_policy_unref(caonly);
}

/* ------------------------------------------------------------- conditions */

struct crow {
	int		 line;
	const char	*block;		/* the Condition element's inside */
	const char	*key;		/* NULL: the context is empty */
	const char	*v[4];
	int		 nv;
	int		 expect;
};

#define R(block, key, nv, expect, ...) { __LINE__, block, key, { __VA_ARGS__ }, nv, expect }

static const struct crow crows[] = {
	/* String */
	R("\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc\"}", "aws:PrincipalOrgID", 1, 1, "o-abc"),
	R("\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc\"}", "aws:PrincipalOrgID", 1, 0, "o-ABC"),
	R("\"StringEquals\":{\"aws:PrincipalOrgID\":[\"o-x\",\"o-abc\"]}", "aws:principalorgid", 1, 1, "o-abc"),
	R("\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc\"}", NULL, 0, 0, NULL),
	R("\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-*\"}", "aws:PrincipalOrgID", 1, 0, "o-abc"),
	R("\"StringNotEquals\":{\"aws:PrincipalOrgID\":\"o-abc\"}", "aws:PrincipalOrgID", 1, 0, "o-abc"),
	R("\"StringNotEquals\":{\"aws:PrincipalOrgID\":[\"o-x\",\"o-y\"]}", "aws:PrincipalOrgID", 1, 1, "o-abc"),
	R("\"StringNotEquals\":{\"aws:PrincipalOrgID\":[\"o-x\",\"o-abc\"]}", "aws:PrincipalOrgID", 1, 0, "o-abc"),
	R("\"StringNotEquals\":{\"aws:PrincipalOrgID\":\"o-abc\"}", NULL, 0, 1, NULL),
	R("\"StringEqualsIgnoreCase\":{\"x:k\":\"O-ABC\"}", "x:k", 1, 1, "o-abc"),
	R("\"StringEqualsIgnoreCase\":{\"x:k\":\"O-ABC\"}", "x:k", 1, 0, "o-abd"),
	R("\"StringNotEqualsIgnoreCase\":{\"x:k\":\"O-ABC\"}", "x:k", 1, 0, "o-Abc"),
	R("\"StringNotEqualsIgnoreCase\":{\"x:k\":\"O-ABC\"}", "x:k", 1, 1, "o-abd"),
	R("\"StringLike\":{\"x:k\":\"o-*\"}", "x:k", 1, 1, "o-abc"),
	R("\"StringLike\":{\"x:k\":\"o-*\"}", "x:k", 1, 0, "x-abc"),
	R("\"StringLike\":{\"x:k\":\"?-a*c\"}", "x:k", 1, 1, "o-abbbc"),
	R("\"StringLike\":{\"x:k\":\"O-*\"}", "x:k", 1, 0, "o-abc"),
	R("\"StringLike\":{\"x:k\":\"?\"}", "x:k", 1, 1, "\xe2\x82\xac"),	/* one character */
	R("\"StringLike\":{\"x:k\":\"*??\"}", "x:k", 1, 0, "\xe2\x82\xac"),
	/* backtracking steps over whole characters too */
	R("\"StringLike\":{\"x:k\":\"*??c*\"}", "x:k", 1, 0, "\xe2\x82\xac" "cz"),
	R("\"StringLike\":{\"x:k\":\"*??c*\"}", "x:k", 1, 1, "a\xe2\x82\xac" "cz"),
	R("\"StringNotLike\":{\"x:k\":[\"a*\",\"b*\"]}", "x:k", 1, 1, "cat"),
	R("\"StringNotLike\":{\"x:k\":[\"a*\",\"b*\"]}", "x:k", 1, 0, "bat"),
	R("\"StringNotLike\":{\"x:k\":\"a*\"}", NULL, 0, 1, NULL),
	/* Arn: each of the six parts on its own */
	R("\"ArnLike\":{\"acm-pca:TemplateArn\":\"arn:aws:acm-pca:*:*:template/EndEntityCertificate/V*\"}",
	    "acm-pca:TemplateArn", 1, 1, EE_V1),
	R("\"ArnLike\":{\"acm-pca:TemplateArn\":\"arn:aws:acm-pca:*:*:template/EndEntityCertificate/V*\"}",
	    "acm-pca:TemplateArn", 1, 0, SUB_V1),
	R("\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:*::" OWNER ":*\"}", "aws:SourceArn", 1, 1,
	    "arn:aws:iam::" OWNER ":root"),
	R("\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:*::" OWNER ":*\"}", "aws:SourceArn", 1, 0,
	    "arn:aws:iam::" OTHER ":root"),
	/* a wildcard does not run into the next part, as a plain glob would */
	R("\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:iam::1*:root\"}", "aws:SourceArn", 1, 0,
	    "arn:aws:iam::1:x:root"),
	R("\"StringLike\":{\"aws:SourceArn\":\"arn:aws:iam::1*:root\"}", "aws:SourceArn", 1, 1,
	    "arn:aws:iam::1:x:root"),
	R("\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:s3:::b*\"}", "aws:SourceArn", 1, 0, "not-an-arn"),
	R("\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:s3:::b*\"}", "aws:SourceArn", 1, 1,
	    "arn:aws:s3:::other"),
	R("\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:s3:::b*\"}", "aws:SourceArn", 1, 0,
	    "arn:aws:s3:::bucket"),
	R("\"ArnNotEquals\":{\"aws:SourceArn\":\"arn:aws:s3:::b\"}", NULL, 0, 1, NULL),
	/* Numeric */
	R("\"NumericEquals\":{\"x:n\":\"10\"}", "x:n", 1, 1, "10"),
	R("\"NumericEquals\":{\"x:n\":10}", "x:n", 1, 1, "10.0"),
	R("\"NumericEquals\":{\"x:n\":\"10\"}", "x:n", 1, 0, "11"),
	R("\"NumericEquals\":{\"x:n\":\"10\"}", "x:n", 1, 0, "ten"),
	R("\"NumericEquals\":{\"x:n\":0.1}", "x:n", 1, 1, "0.1"),
	R("\"NumericNotEquals\":{\"x:n\":\"10\"}", "x:n", 1, 1, "11"),
	R("\"NumericNotEquals\":{\"x:n\":\"10\"}", "x:n", 1, 0, "1e1"),
	R("\"NumericLessThan\":{\"x:n\":5}", "x:n", 1, 1, "4.99"),
	R("\"NumericLessThan\":{\"x:n\":5}", "x:n", 1, 0, "5"),
	R("\"NumericLessThanEquals\":{\"x:n\":5}", "x:n", 1, 1, "5"),
	R("\"NumericLessThanEquals\":{\"x:n\":5}", "x:n", 1, 0, "6"),
	R("\"NumericGreaterThan\":{\"x:n\":-5}", "x:n", 1, 1, "-4"),
	R("\"NumericGreaterThan\":{\"x:n\":-5}", "x:n", 1, 0, "-5"),
	R("\"NumericGreaterThanEquals\":{\"x:n\":\"1.5e2\"}", "x:n", 1, 1, "150"),
	R("\"NumericGreaterThanEquals\":{\"x:n\":\"1.5e2\"}", "x:n", 1, 0, "149.999"),
	R("\"NumericLessThan\":{\"x:n\":5}", NULL, 0, 0, NULL),
	/* Date, against aws:CurrentTime from the request's clock (2026-01-01) */
	R("\"DateLessThan\":{\"aws:CurrentTime\":\"2026-06-01T00:00:00Z\"}", NULL, 0, 1, NULL),
	R("\"DateLessThan\":{\"aws:CurrentTime\":\"2025-12-31T23:59:59Z\"}", NULL, 0, 0, NULL),
	R("\"DateGreaterThan\":{\"aws:CurrentTime\":\"2025-12-31\"}", NULL, 0, 1, NULL),
	R("\"DateGreaterThan\":{\"aws:CurrentTime\":\"2026-01-01T00:00:00Z\"}", NULL, 0, 0, NULL),
	R("\"DateEquals\":{\"aws:CurrentTime\":1767225600}", NULL, 0, 1, NULL),
	R("\"DateEquals\":{\"aws:CurrentTime\":\"2026-01-01T01:00:00+01:00\"}", NULL, 0, 1, NULL),
	R("\"DateEquals\":{\"aws:EpochTime\":\"2026-01-01\"}", NULL, 0, 1, NULL),
	R("\"DateNotEquals\":{\"aws:CurrentTime\":\"2026-01-01\"}", NULL, 0, 0, NULL),
	R("\"DateLessThanEquals\":{\"aws:CurrentTime\":\"2026-01-01T00:00:00.000Z\"}", NULL, 0, 1, NULL),
	R("\"DateGreaterThanEquals\":{\"aws:CurrentTime\":\"2026-01-01T00:00:00.001Z\"}", NULL, 0, 0, NULL),
	/* a context value overrides the clock */
	R("\"DateLessThan\":{\"aws:CurrentTime\":\"2026-06-01T00:00:00Z\"}", "aws:CurrentTime", 1, 0,
	    "2027-01-01T00:00:00Z"),
	R("\"DateLessThan\":{\"x:d\":\"2026-06-01\"}", "x:d", 1, 0, "garbage"),
	/* Bool and Null */
	R("\"Bool\":{\"aws:SecureTransport\":\"true\"}", "aws:SecureTransport", 1, 1, "true"),
	R("\"Bool\":{\"aws:SecureTransport\":true}", "aws:SecureTransport", 1, 1, "TRUE"),
	R("\"Bool\":{\"aws:SecureTransport\":\"true\"}", "aws:SecureTransport", 1, 0, "false"),
	R("\"Bool\":{\"aws:SecureTransport\":\"false\"}", NULL, 0, 0, NULL),
	R("\"BoolIfExists\":{\"aws:SecureTransport\":\"false\"}", NULL, 0, 1, NULL),
	R("\"Null\":{\"aws:TagKeys\":\"true\"}", NULL, 0, 1, NULL),
	R("\"Null\":{\"aws:TagKeys\":\"true\"}", "aws:TagKeys", 1, 0, "a"),
	R("\"Null\":{\"aws:TagKeys\":false}", "aws:TagKeys", 1, 1, "a"),
	R("\"Null\":{\"aws:TagKeys\":\"false\"}", NULL, 0, 0, NULL),
	R("\"Null\":{\"aws:TagKeys\":\"true\"}", "aws:TagKeys", 0, 1, NULL),	/* no values = absent */
	/* IP and binary */
	R("\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}", "aws:SourceIp", 1, 1, "10.1.2.3"),
	R("\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}", "aws:SourceIp", 1, 0, "11.1.2.3"),
	R("\"IpAddress\":{\"aws:SourceIp\":\"192.0.2.0/25\"}", "aws:SourceIp", 1, 0, "192.0.2.200"),
	R("\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}", "aws:SourceIp", 1, 1, "2001:DB8::1"),
	R("\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}", "aws:SourceIp", 1, 0, "10.1.2.3"),
	R("\"NotIpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}", "aws:SourceIp", 1, 1, "11.1.2.3"),
	R("\"NotIpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}", "aws:SourceIp", 1, 0, "10.9.9.9"),
	R("\"BinaryEquals\":{\"x:b\":\"QmluYXJ5\"}", "x:b", 1, 1, "QmluYXJ5"),
	R("\"BinaryEquals\":{\"x:b\":\"QmluYXJ5\"}", "x:b", 1, 0, "QmluYXJ6"),
	/* IfExists */
	R("\"StringEqualsIfExists\":{\"x:k\":\"a\"}", NULL, 0, 1, NULL),
	R("\"StringEqualsIfExists\":{\"x:k\":\"a\"}", "x:k", 1, 0, "b"),
	R("\"StringEqualsIfExists\":{\"x:k\":\"a\"}", "x:k", 1, 1, "a"),
	R("\"ArnLikeIfExists\":{\"aws:SourceArn\":\"arn:aws:s3:::b\"}", NULL, 0, 1, NULL),
	R("\"NumericLessThanIfExists\":{\"x:n\":1}", "x:n", 1, 0, "2"),
	/* set operators */
	R("\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}", "aws:TagKeys", 2, 1, "b", "c"),
	R("\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}", "aws:TagKeys", 1, 0, "c"),
	R("\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}", NULL, 0, 0, NULL),
	R("\"ForAnyValue:StringNotEquals\":{\"aws:TagKeys\":\"a\"}", NULL, 0, 0, NULL),
	R("\"ForAnyValue:StringNotEquals\":{\"aws:TagKeys\":\"a\"}", "aws:TagKeys", 2, 1, "a", "z"),
	R("\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}", "aws:TagKeys", 1, 1, "a"),
	R("\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}", "aws:TagKeys", 2, 1, "b", "a"),
	R("\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}", "aws:TagKeys", 2, 0, "a", "c"),
	R("\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}", NULL, 0, 1, NULL),
	R("\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}", "aws:TagKeys", 0, 1, NULL),
	R("\"ForAllValues:StringNotEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}", "aws:TagKeys", 2, 1, "c", "d"),
	R("\"ForAllValues:StringNotEquals\":{\"aws:TagKeys\":[\"a\",\"b\"]}", "aws:TagKeys", 2, 0, "c", "a"),
	R("\"ForAnyValue:StringLike\":{\"aws:PrincipalOrgPaths\":\"o-x/r-y/ou-a/*\"}",
	    "aws:PrincipalOrgPaths", 2, 1, "o-x/r-y/ou-z/", "o-x/r-y/ou-a/ou-b/"),
	R("\"ForAnyValue:StringLike\":{\"aws:PrincipalOrgPaths\":\"o-x/r-y/ou-a/*\"}",
	    "aws:PrincipalOrgPaths", 1, 0, "o-x/r-y/ou-z/ou-a/"),
	/* without a set prefix, a negated operator wants no value to match */
	R("\"StringNotEquals\":{\"aws:TagKeys\":\"a\"}", "aws:TagKeys", 2, 0, "a", "b"),
	R("\"StringEquals\":{\"aws:TagKeys\":\"a\"}", "aws:TagKeys", 2, 1, "b", "a"),
	/* several operators and keys AND together */
	R("\"StringEquals\":{\"x:k\":\"a\",\"x:j\":\"b\"}", "x:k", 1, 0, "a"),
	/* policy variables */
	R("\"StringEquals\":{\"x:k\":\"${aws:username}\"}", "x:k", 1, 1, "alice"),
	R("\"StringEquals\":{\"x:k\":\"${aws:username}\"}", "x:k", 1, 0, "bob"),
	R("\"StringLike\":{\"x:k\":\"team-${aws:PrincipalAccount}-*\"}", "x:k", 1, 1,
	    "team-" OWNER "-x"),
	R("\"StringEquals\":{\"x:k\":\"${x:missing, 'dflt'}\"}", "x:k", 1, 1, "dflt"),
	R("\"StringEquals\":{\"x:k\":\"${x:missing}\"}", "x:k", 1, 0, "${x:missing}"),
	R("\"StringLike\":{\"x:k\":\"a${*}\"}", "x:k", 1, 1, "a*"),
	R("\"StringLike\":{\"x:k\":\"a${*}\"}", "x:k", 1, 0, "ab"),
	R("\"StringEqualsIgnoreCase\":{\"x:k\":\"${aws:PrincipalType}\"}", "x:k", 1, 1, "USER"),
	R("\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:iam::${aws:PrincipalAccount}:*\"}",
	    "aws:SourceArn", 1, 1, "arn:aws:iam::" OWNER ":role/x"),
	R("\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:iam::${aws:PrincipalAccount}:*\"}",
	    "aws:SourceArn", 1, 0, "arn:aws:iam::" OTHER ":role/x"),
	/* keys the engine derives */
	R("\"StringEquals\":{\"aws:PrincipalAccount\":\"" OWNER "\"}", NULL, 0, 1, NULL),
	R("\"ArnEquals\":{\"aws:PrincipalArn\":\"arn:aws:iam::" OWNER ":user/alice\"}", NULL, 0, 1, NULL),
	R("\"StringEquals\":{\"aws:PrincipalType\":\"User\"}", NULL, 0, 1, NULL),
	R("\"StringEquals\":{\"aws:username\":\"alice\"}", NULL, 0, 1, NULL),
	R("\"StringEquals\":{\"aws:CurrentTime\":\"2026-01-01T00:00:00Z\"}", NULL, 0, 1, NULL),
	R("\"StringEquals\":{\"aws:EpochTime\":\"1767225600\"}", NULL, 0, 1, NULL),
	R("\"NumericEquals\":{\"aws:EpochTime\":1767225600}", NULL, 0, 1, NULL),
	R("\"Null\":{\"aws:PrincipalServiceName\":\"true\"}", NULL, 0, 1, NULL),
	/* a context entry, even empty, wins over the derived value */
	R("\"StringEquals\":{\"AWS:PRINCIPALACCOUNT\":\"" OWNER "\"}", "aws:PrincipalAccount", 1, 0,
	    OTHER),
};

static void
test_operators(void)
{
	for (size_t i = 0; i < sizeof(crows) / sizeof(crows[0]); i++) {
		const struct crow *c = &crows[i];
		struct iam_ctx_entry ctx = { c->key, c->v, (size_t)c->nv };
		struct iam_request r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
		struct iam_policy *p;
		char doc[2048];
		enum iam_effect e;

		snprintf(doc, sizeof(doc), "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":"
		    "\"Allow\",\"Action\":\"acm-pca:GetCertificate\",\"Resource\":\"*\","
		    "\"Condition\":{%s}}}", c->block);
		p = parse_at(__FILE__, c->line, IAM_KIND_IDENTITY, doc);
		if (c->key != NULL) {
			r.ctx = &ctx;
			r.nctx = 1;
		}
		e = ev(&r, p, NULL, NULL);
		iam_policy_unref(p);
		if ((e == IAM_ALLOW) != c->expect)
			test_fail(__FILE__, c->line, "{%s} with %s=%s%s: got %s, want %s", c->block,
			    c->key != NULL ? c->key : "(nothing)", c->nv > 0 ? c->v[0] : "",
			    c->nv > 1 ? ",..." : "", iam_effect_str(e),
			    c->expect ? "ALLOW" : "IMPLICIT_DENY");
	}
	test_diag("%zu condition cases", sizeof(crows) / sizeof(crows[0]));
}

static void
test_date_without_clock(void)
{
	struct iam_policy *p = ID("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
	    "\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:CurrentTime\":"
	    "\"2030-01-01\"}}}}");
	struct iam_request r = rq(&owner_alice, "acm-pca:GetCertificate", CA);

	assert_int_eq(ev(&r, p, NULL, NULL), IAM_ALLOW);
	r.now = 0;			/* no clock, no key: the condition is false */
	assert_int_eq(ev(&r, p, NULL, NULL), IAM_IMPLICIT_DENY);
	iam_policy_unref(p);
}

static void
test_resource_variables(void)
{
	struct iam_policy *p = ID(allow_id("\"acm-pca:*\"",
	    "\"arn:aws:acm-pca:*:${aws:PrincipalAccount}:certificate-authority/*\""));
	struct iam_policy *lit = ID("{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":"
	    "\"Allow\",\"Action\":\"*\",\"Resource\":"
	    "\"arn:aws:acm-pca:*:${aws:PrincipalAccount}:certificate-authority/*\"}}");
	struct iam_request r = rq(&owner_alice, "acm-pca:GetCertificate", CA);

	assert_int_eq(ev(&r, p, NULL, NULL), IAM_ALLOW);
	r = rq(&other_bob, "acm-pca:GetCertificate", CA);
	r.resource_account = OWNER;
	assert_int_eq(ev(&r, p, NULL, NULL), IAM_IMPLICIT_DENY);
	/* under 2008-10-17 the variable is literal text */
	r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	assert_int_eq(ev(&r, lit, NULL, NULL), IAM_IMPLICIT_DENY);
	r.resource = "arn:aws:acm-pca:x:${aws:PrincipalAccount}:certificate-authority/y";
	assert_int_eq(ev(&r, lit, NULL, NULL), IAM_ALLOW);
	iam_policy_unref(p);
	iam_policy_unref(lit);
}

/* A variable that would overflow the scratch buffer must not make a Deny
 * silently not apply: the whole request is refused. */
static void
test_expansion_overflow(void)
{
	struct iam_policy *p = ID("{\"Version\":\"2012-10-17\",\"Statement\":["
	    "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},"
	    "{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":"
	    "{\"StringNotLike\":{\"x:k\":\"${x:big}\"}}}]}");
	struct iam_policy *q = ID("{\"Version\":\"2012-10-17\",\"Statement\":["
	    "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},"
	    "{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":"
	    "{\"StringLike\":{\"x:k\":\"${x:big}*\"}}}]}");
	struct iam_request r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	char *big = malloc(10000);
	const char *bv[1] = { big }, *kv[1] = { "zzz" };
	struct iam_ctx_entry ctx[2] = { { "x:big", bv, 1 }, { "x:k", kv, 1 } };
	struct iam_decision d;

	assert_ptr_not_null(big);
	memset(big, 'a', 9999);
	big[9999] = '\0';
	r.ctx = ctx;
	r.nctx = 2;
	assert_int_eq(ev(&r, p, NULL, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_BAD_REQUEST);
	/* a positive operator: the Deny would silently not apply */
	assert_int_eq(ev(&r, q, NULL, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_BAD_REQUEST);
	big[10] = '\0';
	assert_int_eq(ev(&r, p, NULL, &d), IAM_EXPLICIT_DENY);
	kv[0] = big;
	assert_int_eq(ev(&r, p, NULL, &d), IAM_ALLOW);
	assert_int_eq(ev(&r, q, NULL, &d), IAM_EXPLICIT_DENY);
	free(big);
	iam_policy_unref(p);
	iam_policy_unref(q);
}

/* ---------------------------------------------------- combining policies */

static const char account_grant[] =
"{\"Version\":\"2012-10-17\",\"Statement\":["
" {\"Sid\":\"1\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" OTHER "\"},"
"  \"Action\":[\"acm-pca:DescribeCertificateAuthority\",\"acm-pca:GetCertificate\","
"   \"acm-pca:GetCertificateAuthorityCertificate\",\"acm-pca:ListPermissions\",\"acm-pca:ListTags\"],"
"  \"Resource\":\"" CA "\"},"
" {\"Sid\":\"1\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" OTHER "\"},"
"  \"Action\":[\"acm-pca:IssueCertificate\"],\"Resource\":\"" CA "\","
"  \"Condition\":{\"StringEquals\":{\"acm-pca:TemplateArn\":\"" EE_V1 "\"}}}]}";

static const char org_grant[] =
"{\"Version\":\"2012-10-17\",\"Statement\":["
" {\"Sid\":\"ExampleStatementID3\",\"Effect\":\"Allow\",\"Principal\":\"*\","
"  \"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"" CA "\","
"  \"Condition\":{\"StringEquals\":{\"acm-pca:TemplateArn\":\"" EE_V1 "\","
"   \"aws:PrincipalOrgID\":\"o-a1b2c3d4z5\"},"
"   \"StringNotEquals\":{\"aws:PrincipalAccount\":\"" OWNER "\"}}},"
" {\"Sid\":\"ExampleStatementID4\",\"Effect\":\"Allow\",\"Principal\":\"*\","
"  \"Action\":[\"acm-pca:DescribeCertificateAuthority\",\"acm-pca:GetCertificate\","
"   \"acm-pca:GetCertificateAuthorityCertificate\",\"acm-pca:ListPermissions\",\"acm-pca:ListTags\"],"
"  \"Resource\":\"" CA "\","
"  \"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-a1b2c3d4z5\"},"
"   \"StringNotEquals\":{\"aws:PrincipalAccount\":\"" OWNER "\"}}}]}";

static void
test_explicit_deny_wins(void)
{
	struct iam_policy *allow = ID(allow_id("\"*\"", "\"*\""));
	struct iam_policy *deny = ID("{\"Statement\":[{\"Sid\":\"NoIssue\",\"Effect\":\"Deny\","
	    "\"Action\":\"acm-pca:Issue*\",\"Resource\":\"*\"}]}");
	struct iam_policy *rdeny = RES("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
	    "\"Action\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" OWNER "\"},"
	    "\"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"" CA "\"}]}");
	struct iam_attached two[2] = { { allow, "AllowAll" }, { deny, "DenyIssue" } };
	struct iam_request r = rq(&owner_alice, "acm-pca:IssueCertificate", CA);
	struct iam_decision d;

	/* identity Deny in another identity policy */
	assert_int_eq(iam_evaluate(&r, two, 2, NULL, &d), IAM_EXPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_DENY_IDENTITY);
	assert_str_eq(d.by.policy, "DenyIssue");
	assert_str_eq(d.by.sid, "NoIssue");
	assert_int_eq(d.by.index, 0);
	/* identity Deny beats a resource Allow */
	assert_int_eq(ev(&r, deny, rdeny, &d), IAM_EXPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_DENY_IDENTITY);
	/* resource Deny beats an identity Allow, and the root's own-account right */
	assert_int_eq(ev(&r, allow, rdeny, &d), IAM_EXPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_DENY_RESOURCE);
	assert_str_eq(d.by.policy, "ca-policy");
	assert_str_eq(d.by.sid, "#1");
	r = rq(&owner_root, "acm-pca:IssueCertificate", CA);
	assert_int_eq(ev(&r, NULL, rdeny, &d), IAM_EXPLICIT_DENY);
	r.action = "acm-pca:GetCertificate";
	assert_int_eq(ev(&r, NULL, rdeny, &d), IAM_ALLOW);
	assert_int_eq(d.reason, IAM_R_ALLOW_ROOT);
	iam_policy_unref(allow);
	iam_policy_unref(deny);
	iam_policy_unref(rdeny);
}

static void
test_same_account_union(void)
{
	struct iam_policy *id = ID(allow_id("\"acm-pca:GetCertificate\"", "\"" CA "\""));
	struct iam_policy *to_alice = RES("{\"Statement\":[{\"Sid\":\"Alice\",\"Effect\":\"Allow\","
	    "\"Principal\":{\"AWS\":\"arn:aws:iam::" OWNER ":user/alice\"},"
	    "\"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"" CA "\"}]}");
	struct iam_policy *to_acct = RES("{\"Statement\":[{\"Sid\":\"Acct\",\"Effect\":\"Allow\","
	    "\"Principal\":{\"AWS\":\"arn:aws:iam::" OWNER ":root\"},"
	    "\"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"" CA "\"}]}");
	struct iam_request r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	struct iam_decision d;
	char msg[256];

	/* identity alone */
	assert_int_eq(ev(&r, id, NULL, &d), IAM_ALLOW);
	assert_int_eq(d.reason, IAM_R_ALLOW_IDENTITY);
	assert_str_eq(d.by.policy, "id-policy");
	assert_str_eq(d.by.sid, "IdAllow");
	/* resource alone, naming the user */
	r.action = "acm-pca:IssueCertificate";
	assert_int_eq(ev(&r, NULL, to_alice, &d), IAM_ALLOW);
	assert_int_eq(d.reason, IAM_R_ALLOW_RESOURCE);
	assert_str_eq(d.by.sid, "Alice");
	/* either one: the identity policy does not cover Issue, the resource does */
	assert_int_eq(ev(&r, id, to_alice, &d), IAM_ALLOW);
	/* neither */
	r.action = "acm-pca:PutPolicy";
	assert_int_eq(ev(&r, id, to_alice, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_NO_IDENTITY_ALLOW);
	iam_decision_format(&d, r.action, msg, sizeof(msg));
	assert_str_eq(msg, "because no identity-based policy allows the acm-pca:PutPolicy action");

	/* an account principal grants the root, not the account's users */
	r.action = "acm-pca:IssueCertificate";
	assert_int_eq(ev(&r, NULL, to_acct, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_ACCOUNT_ONLY);
	assert_str_eq(d.by.sid, "Acct");
	iam_policy_unref(id);
	id = ID(allow_id("\"acm-pca:Issue*\"", "\"*\""));
	assert_int_eq(ev(&r, id, to_acct, &d), IAM_ALLOW);
	assert_int_eq(d.reason, IAM_R_ALLOW_IDENTITY);
	r = rq(&owner_root, "acm-pca:IssueCertificate", CA);
	assert_int_eq(ev(&r, NULL, to_acct, &d), IAM_ALLOW);
	iam_policy_unref(id);
	iam_policy_unref(to_alice);
	iam_policy_unref(to_acct);
}

static void
test_root(void)
{
	struct iam_request r = rq(&owner_root, "acm-pca:DeleteCertificateAuthority", CA);
	struct iam_policy *grant = RES(account_grant);
	struct iam_policy *grant3 = RES("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":"
	    "{\"AWS\":\"" THIRD "\"},\"Action\":\"acm-pca:GetCertificate\"}}");
	struct iam_decision d;
	char msg[256];

	/* own account: everything, no policy needed */
	assert_int_eq(ev(&r, NULL, NULL, &d), IAM_ALLOW);
	assert_int_eq(d.reason, IAM_R_ALLOW_ROOT);
	assert_int_eq(d.by.index, -1);
	r = rq(&owner_root, "acm-pca:CreateCertificateAuthority", "*");
	assert_int_eq(ev(&r, NULL, NULL, &d), IAM_ALLOW);

	/* another account's root: only what the resource policy grants */
	r = rq(&other_root, "acm-pca:GetCertificate", CA);
	assert_int_eq(ev(&r, NULL, NULL, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_NO_RESOURCE_ALLOW);
	iam_decision_format(&d, r.action, msg, sizeof(msg));
	assert_str_eq(msg, "because no resource-based policy allows the acm-pca:GetCertificate "
	    "action");
	assert_int_eq(ev(&r, NULL, grant, &d), IAM_ALLOW);
	assert_int_eq(d.reason, IAM_R_ALLOW_RESOURCE);
	assert_str_eq(d.by.sid, "1");
	assert_int_eq(d.by.index, 0);
	r.action = "acm-pca:IssueCertificate";	/* second statement, also Sid "1" */
	{
		const char *tv[1] = { EE_V1 };
		struct iam_ctx_entry ctx = { "acm-pca:TemplateArn", tv, 1 };
		r.ctx = &ctx;
		r.nctx = 1;
		assert_int_eq(ev(&r, NULL, grant, &d), IAM_ALLOW);
		assert_str_eq(d.by.sid, "1");
		assert_int_eq(d.by.index, 1);
		tv[0] = SUB_V1;
		assert_int_eq(ev(&r, NULL, grant, &d), IAM_IMPLICIT_DENY);
		r.ctx = NULL;
		r.nctx = 0;
	}
	r.action = "acm-pca:DeleteCertificateAuthority";	/* never granted */
	assert_int_eq(ev(&r, NULL, grant, &d), IAM_IMPLICIT_DENY);
	r.action = "acm-pca:GetCertificate";
	assert_int_eq(ev(&r, NULL, grant3, &d), IAM_IMPLICIT_DENY);
	iam_policy_unref(grant);
	iam_policy_unref(grant3);
}

static void
test_cross_account(void)
{
	struct iam_policy *grant = RES(account_grant);
	struct iam_policy *bob_id = ID("{\"Statement\":[{\"Sid\":\"BobIssue\",\"Effect\":\"Allow\","
	    "\"Action\":[\"acm-pca:IssueCertificate\",\"acm-pca:GetCertificate\","
	    "\"acm-pca:DeleteCertificateAuthority\"],\"Resource\":\"arn:aws:acm-pca:*:*:*\"}]}");
	struct iam_policy *to_bob = RES("{\"Statement\":[{\"Sid\":\"Bob\",\"Effect\":\"Allow\","
	    "\"Principal\":{\"AWS\":[\"arn:aws:iam::" OTHER ":user/ops/bob\"]},"
	    "\"Action\":\"acm-pca:GetCertificate\",\"Resource\":\"" CA "\"}]}");
	struct iam_request r = rq(&other_bob, "acm-pca:GetCertificate", CA);
	struct iam_decision d;
	char msg[512];

	/* identity only: not enough across accounts */
	assert_int_eq(ev(&r, bob_id, NULL, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_NO_RESOURCE_ALLOW);
	assert_str_eq(d.also.sid, "BobIssue");
	/* resource only: not enough either */
	assert_int_eq(ev(&r, NULL, grant, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_NO_IDENTITY_ALLOW);
	assert_str_eq(d.also.policy, "ca-policy");
	/* both */
	assert_int_eq(ev(&r, bob_id, grant, &d), IAM_ALLOW);
	assert_int_eq(d.reason, IAM_R_ALLOW_BOTH);
	assert_str_eq(d.by.policy, "ca-policy");
	assert_str_eq(d.by.sid, "1");
	assert_str_eq(d.also.policy, "id-policy");
	assert_str_eq(d.also.sid, "BobIssue");
	iam_decision_format(&d, r.action, msg, sizeof(msg));
	assert_str_eq(msg, "allowed by resource-based policy ca-policy statement 1 and "
	    "identity-based policy id-policy statement BobIssue");
	/* the identity policy cannot add what the resource policy does not name */
	r.action = "acm-pca:DeleteCertificateAuthority";
	assert_int_eq(ev(&r, bob_id, grant, &d), IAM_IMPLICIT_DENY);
	/* a grant to the user ARN works the same way */
	r.action = "acm-pca:GetCertificate";
	assert_int_eq(ev(&r, bob_id, to_bob, &d), IAM_ALLOW);
	assert_str_eq(d.by.sid, "Bob");
	/* another account is not covered */
	r = rq(&third_carol, "acm-pca:GetCertificate", CA);
	assert_int_eq(ev(&r, bob_id, grant, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(ev(&r, bob_id, to_bob, &d), IAM_IMPLICIT_DENY);
	iam_policy_unref(grant);
	iam_policy_unref(bob_id);
	iam_policy_unref(to_bob);
}

static void
test_role_session(void)
{
	struct iam_policy *to_role = RES("{\"Statement\":[{\"Sid\":\"Role\",\"Effect\":\"Allow\","
	    "\"Principal\":{\"AWS\":\"arn:aws:iam::" OTHER ":role/team/Issuer\"},"
	    "\"Action\":\"acm-pca:GetCertificate\"}]}");
	struct iam_policy *to_other_role = RES("{\"Statement\":[{\"Effect\":\"Allow\","
	    "\"Principal\":{\"AWS\":\"arn:aws:iam::" OTHER ":role/Auditor\"},"
	    "\"Action\":\"acm-pca:GetCertificate\"}]}");
	struct iam_policy *to_session = RES("{\"Statement\":[{\"Effect\":\"Allow\","
	    "\"Principal\":{\"AWS\":\"arn:aws:sts::" OTHER ":assumed-role/Issuer/build-42\"},"
	    "\"Action\":\"acm-pca:GetCertificate\"}]}");
	struct iam_policy *id = ID(allow_id("\"acm-pca:Get*\"", "\"*\""));
	struct iam_policy *cond = ID("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
	    "\"Resource\":\"*\",\"Condition\":{\"ArnLike\":{\"aws:PrincipalArn\":"
	    "\"arn:aws:iam::" OTHER ":role/Issuer\"},\"StringEquals\":{\"aws:PrincipalType\":"
	    "\"AssumedRole\"}}}]}");
	struct iam_request r = rq(&other_session, "acm-pca:GetCertificate", CA);
	struct iam_decision d;

	assert_int_eq(ev(&r, id, to_role, &d), IAM_ALLOW);
	assert_int_eq(d.reason, IAM_R_ALLOW_BOTH);
	assert_int_eq(ev(&r, id, to_session, &d), IAM_ALLOW);
	assert_int_eq(ev(&r, id, to_other_role, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(ev(&r, NULL, to_role, &d), IAM_IMPLICIT_DENY);
	/* aws:PrincipalArn of a session is its role's ARN */
	assert_int_eq(ev(&r, cond, to_role, &d), IAM_ALLOW);
	/* a user of the same name is not the role */
	r = rq(&other_bob, "acm-pca:GetCertificate", CA);
	assert_int_eq(ev(&r, id, to_role, &d), IAM_IMPLICIT_DENY);
	iam_policy_unref(to_role);
	iam_policy_unref(to_other_role);
	iam_policy_unref(to_session);
	iam_policy_unref(id);
	iam_policy_unref(cond);
}

static void
test_api_grants(void)
{
	struct iam_policy *grant = RES(account_grant), *org = RES(org_grant);
	struct iam_policy *id = ID("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"acm-pca:*\","
	    "\"Resource\":\"*\"}]}");
	const char *tv[1] = { EE_V1 }, *org_id[1] = { "o-a1b2c3d4z5" };
	struct iam_ctx_entry ctx[2] = { { "acm-pca:TemplateArn", tv, 1 },
	    { "aws:PrincipalOrgID", org_id, 1 } };
	struct iam_request r = rq(&other_bob, "acm-pca:IssueCertificate", CA);
	struct iam_decision d;

	r.ctx = ctx;
	r.nctx = 2;
	assert_int_eq(ev(&r, id, grant, &d), IAM_ALLOW);
	assert_int_eq(ev(&r, id, org, &d), IAM_ALLOW);
	assert_str_eq(d.by.sid, "ExampleStatementID3");
	r.action = "acm-pca:ListTags";
	assert_int_eq(ev(&r, id, org, &d), IAM_ALLOW);
	assert_str_eq(d.by.sid, "ExampleStatementID4");
	/* the wrong template */
	r.action = "acm-pca:IssueCertificate";
	tv[0] = SUB_V1;
	assert_int_eq(ev(&r, id, grant, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(ev(&r, id, org, &d), IAM_IMPLICIT_DENY);
	tv[0] = EE_V1;
	/* outside the organization */
	org_id[0] = "o-zzzzzzzzzz";
	assert_int_eq(ev(&r, id, org, &d), IAM_IMPLICIT_DENY);
	r.nctx = 1;			/* no org at all */
	assert_int_eq(ev(&r, id, org, &d), IAM_IMPLICIT_DENY);
	/* the owner's own users are excluded by aws:PrincipalAccount: they
	 * need their own identity policy */
	org_id[0] = "o-a1b2c3d4z5";
	r = rq(&owner_alice, "acm-pca:IssueCertificate", CA);
	r.ctx = ctx;
	r.nctx = 2;
	assert_int_eq(ev(&r, NULL, org, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(ev(&r, id, org, &d), IAM_ALLOW);
	iam_policy_unref(grant);
	iam_policy_unref(org);
	iam_policy_unref(id);
}

static void
test_org_paths(void)
{
	struct iam_policy *rp = RES("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"OU\","
	    "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"acm-pca:GetCertificate\","
	    "\"Resource\":\"" CA "\",\"Condition\":{\"ForAnyValue:StringLike\":"
	    "{\"aws:PrincipalOrgPaths\":\"o-x/r-y/ou-a/*\"}}}]}");
	struct iam_policy *id = ID(allow_id("\"acm-pca:GetCertificate\"", "\"*\""));
	const char *paths[2] = { "o-x/r-y/ou-b/", "o-x/r-y/ou-a/ou-c/" };
	struct iam_ctx_entry ctx = { "aws:PrincipalOrgPaths", paths, 2 };
	struct iam_request r = rq(&other_bob, "acm-pca:GetCertificate", CA);
	struct iam_decision d;

	r.ctx = &ctx;
	r.nctx = 1;
	assert_int_eq(ev(&r, id, rp, &d), IAM_ALLOW);
	ctx.nvalues = 1;
	assert_int_eq(ev(&r, id, rp, &d), IAM_IMPLICIT_DENY);
	r.nctx = 0;
	assert_int_eq(ev(&r, id, rp, &d), IAM_IMPLICIT_DENY);
	iam_policy_unref(rp);
	iam_policy_unref(id);
}

static void
test_service_principal(void)
{
	struct iam_policy *rp = RES("{\"Statement\":["
	    "{\"Sid\":\"ACM\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ACM.amazonaws.com\"},"
	    "\"Action\":[\"acm-pca:IssueCertificate\",\"acm-pca:GetCertificate\","
	    "\"acm-pca:ListPermissions\"],\"Resource\":\"" CA "\","
	    "\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":\"" OWNER "\"}}},"
	    "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"acm-pca:ListTags\"},"
	    "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" OWNER "\"},"
	    "\"Action\":\"acm-pca:DescribeCertificateAuthority\"}]}");
	struct iam_policy *deny_all = RES("{\"Statement\":["
	    "{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"acm.amazonaws.com\"},\"Action\":\"*\"},"
	    "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"acm-pca:RevokeCertificate\"}]}");
	struct iam_policy *id_all = ID(allow_id("\"*\"", "\"*\""));
	const char *src[1] = { OWNER };
	struct iam_ctx_entry ctx = { "aws:SourceAccount", src, 1 };
	struct iam_request r = rq(&acm_svc, "acm-pca:IssueCertificate", CA);
	struct iam_decision d;

	r.ctx = &ctx;
	r.nctx = 1;
	assert_int_eq(ev(&r, NULL, rp, &d), IAM_ALLOW);
	assert_int_eq(d.reason, IAM_R_ALLOW_RESOURCE);
	assert_str_eq(d.by.sid, "ACM");
	src[0] = OTHER;			/* confused deputy */
	assert_int_eq(ev(&r, NULL, rp, &d), IAM_IMPLICIT_DENY);
	src[0] = OWNER;
	/* "*" and account principals never grant a service */
	r.action = "acm-pca:ListTags";
	assert_int_eq(ev(&r, NULL, rp, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_NO_RESOURCE_ALLOW);
	r.action = "acm-pca:DescribeCertificateAuthority";
	assert_int_eq(ev(&r, NULL, rp, &d), IAM_IMPLICIT_DENY);
	/* nor does an identity policy */
	assert_int_eq(ev(&r, id_all, NULL, &d), IAM_IMPLICIT_DENY);
	/* another service is not acm */
	r = rq(&acm_svc, "acm-pca:GetCertificate", CA);
	r.principal = "pca-connector-scep.amazonaws.com";
	assert_int_eq(ev(&r, NULL, deny_all, &d), IAM_IMPLICIT_DENY);
	/* a Deny with "*" applies to services */
	r.principal = "acm.amazonaws.com";
	assert_int_eq(ev(&r, NULL, deny_all, &d), IAM_ALLOW);
	r.action = "acm-pca:RevokeCertificate";
	assert_int_eq(ev(&r, NULL, deny_all, &d), IAM_EXPLICIT_DENY);
	/* and the owner's users are not the service */
	r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	assert_int_eq(ev(&r, NULL, deny_all, &d), IAM_IMPLICIT_DENY);
	iam_policy_unref(rp);
	iam_policy_unref(deny_all);
	iam_policy_unref(id_all);
}

static void
test_not_principal(void)
{
	/* AWS's documented shape: session, role and account all listed */
	struct iam_policy *rp = RES("{\"Statement\":["
	    "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" OTHER "\"},\"Action\":\"*\"},"
	    "{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":["
	    "\"arn:aws:sts::" OTHER ":assumed-role/Issuer/build-42\","
	    "\"arn:aws:iam::" OTHER ":role/Issuer\",\"arn:aws:iam::" OTHER ":root\"]},"
	    "\"Action\":\"*\",\"Resource\":\"" CA "\"}]}");
	struct iam_policy *user_only = RES("{\"Statement\":["
	    "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" OTHER "\"},\"Action\":\"*\"},"
	    "{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"arn:aws:iam::" OTHER ":user/ops/bob\"},"
	    "\"Action\":\"*\"}]}");
	struct iam_policy *id = ID(allow_id("\"*\"", "\"*\""));
	struct iam_request r = rq(&other_session, "acm-pca:GetCertificate", CA);
	struct iam_decision d;

	assert_int_eq(ev(&r, id, rp, &d), IAM_ALLOW);
	r.principal = "arn:aws:sts::" OTHER ":assumed-role/Issuer/other-session";
	assert_int_eq(ev(&r, id, rp, &d), IAM_EXPLICIT_DENY);
	r = rq(&other_root, "acm-pca:GetCertificate", CA);
	assert_int_eq(ev(&r, id, rp, &d), IAM_ALLOW);
	r = rq(&other_bob, "acm-pca:GetCertificate", CA);
	assert_int_eq(ev(&r, id, rp, &d), IAM_EXPLICIT_DENY);
	/* without the account listed, AWS denies the user too (the account
	 * identity is not excluded) */
	assert_int_eq(ev(&r, id, user_only, &d), IAM_EXPLICIT_DENY);
	r = rq(&acm_svc, "acm-pca:GetCertificate", CA);
	assert_int_eq(ev(&r, NULL, rp, &d), IAM_EXPLICIT_DENY);
	iam_policy_unref(rp);
	iam_policy_unref(user_only);
	iam_policy_unref(id);
}

static void
test_trust(void)
{
	const char *role = "arn:aws:iam::" OWNER ":role/Issuer";
	struct iam_policy *acct = TRUST("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
	    "\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" OWNER ":root\"},"
	    "\"Action\":\"sts:AssumeRole\"}]}");
	struct iam_policy *alice = TRUST("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
	    "{\"AWS\":\"arn:aws:iam::" OWNER ":user/alice\"},\"Action\":[\"sts:AssumeRole\","
	    "\"sts:TagSession\"]}]}");
	struct iam_policy *acm = TRUST("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
	    "{\"Service\":\"acm.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}");
	struct iam_policy *id = ID(allow_id("\"sts:AssumeRole\"", "\"*\""));
	struct iam_request r = rq(&owner_alice, "sts:AssumeRole", role);
	struct iam_decision d;

	/* same account: an identity Allow alone is not enough for a role */
	assert_int_eq(ev(&r, id, acm, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(d.reason, IAM_R_NO_RESOURCE_ALLOW);
	/* the account in the trust policy delegates to identity policies */
	assert_int_eq(ev(&r, NULL, acct, &d), IAM_IMPLICIT_DENY);
	assert_int_eq(ev(&r, id, acct, &d), IAM_ALLOW);
	/* naming the user is enough on its own */
	assert_int_eq(ev(&r, NULL, alice, &d), IAM_ALLOW);
	r = rq(&acm_svc, "sts:AssumeRole", role);
	assert_int_eq(ev(&r, NULL, acm, &d), IAM_ALLOW);
	iam_policy_unref(acct);
	iam_policy_unref(alice);
	iam_policy_unref(acm);
	iam_policy_unref(id);
}

static void
test_bad_requests(void)
{
	struct iam_policy *id = ID(allow_id("\"*\"", "\"*\""));
	struct iam_policy *rp = RES(account_grant);
	struct iam_attached wrong = { rp, "x" };
	struct iam_request r;
	struct iam_decision d;
	struct iam_ctx_entry many[IAM_CTX_MAX + 1];
	const char *nullv[1] = { NULL };
	struct iam_ctx_entry nullctx = { "x:k", nullv, 1 };
	char msg[128];

#define BAD(expr) do { memset(&d, 0xa5, sizeof(d)); \
	assert_int_eq((expr), IAM_IMPLICIT_DENY); \
	assert_int_eq(d.reason, IAM_R_BAD_REQUEST); assert_int_eq(d.by.index, -1); } while (0)

	r = rq(&owner_alice, "GetCertificate", CA);
	BAD(ev(&r, id, NULL, &d));
	r.action = "acm-pca:Get:Certificate";
	BAD(ev(&r, id, NULL, &d));
	r.action = NULL;
	BAD(ev(&r, id, NULL, &d));
	r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	r.principal_account = OTHER;			/* ARN and account disagree */
	BAD(ev(&r, id, NULL, &d));
	r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	r.principal_type = IAM_PRINCIPAL_ROOT;		/* ARN and type disagree */
	BAD(ev(&r, id, NULL, &d));
	r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	r.principal = "arn:aws:sts::" OWNER ":assumed-role/R";
	r.principal_type = IAM_PRINCIPAL_ASSUMED_ROLE;
	BAD(ev(&r, id, NULL, &d));
	r = rq(&acm_svc, "acm-pca:GetCertificate", CA);
	r.principal_account = OWNER;
	BAD(ev(&r, id, NULL, &d));
	r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	BAD(iam_evaluate(&r, &wrong, 1, NULL, &d));		/* a resource policy as identity */
	BAD(iam_evaluate(NULL, NULL, 0, NULL, &d));
	r.nctx = IAM_CTX_MAX + 1;
	for (size_t i = 0; i < IAM_CTX_MAX + 1; i++)
		many[i] = (struct iam_ctx_entry){ "x:k", NULL, 0 };
	r.ctx = many;
	BAD(ev(&r, id, NULL, &d));
	r.ctx = &nullctx;
	r.nctx = 1;
	BAD(ev(&r, id, NULL, &d));
	r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	r.now = -1;
	BAD(ev(&r, id, NULL, &d));
	r.now = INT64_MIN;
	BAD(ev(&r, id, NULL, &d));
	assert_int_eq(iam_evaluate(&r, NULL, 0, NULL, NULL), IAM_IMPLICIT_DENY);
	iam_decision_format(&d, "x:y", msg, sizeof(msg));
	assert_str_eq(msg, "because the request could not be evaluated");
	iam_policy_unref(id);
	iam_policy_unref(rp);
#undef BAD
}

static void
test_decision_record(void)
{
	char longname[300], longsid[200], doc[1024];
	struct iam_policy *p;
	struct iam_attached a;
	struct iam_request r = rq(&owner_alice, "acm-pca:GetCertificate", CA);
	struct iam_decision d;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(longsid, 's', sizeof(longsid) - 1);
	longsid[sizeof(longsid) - 1] = '\0';
	/* an \u00e9 straddling the cut must not be split */
	memcpy(longsid + IAM_SID_MAX - 2, "\xc3\xa9", 2);
	snprintf(doc, sizeof(doc), "{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"x:y\","
	    "\"Resource\":\"*\"},{\"Sid\":\"%s\",\"Effect\":\"Deny\",\"Action\":\"*\","
	    "\"Resource\":\"*\"}]}", longsid);
	p = ID(doc);
	a = (struct iam_attached){ p, longname };
	assert_int_eq(iam_evaluate(&r, &a, 1, NULL, &d), IAM_EXPLICIT_DENY);
	assert_int_eq(d.by.index, 1);
	assert_int_eq(strlen(d.by.policy), IAM_NAME_MAX - 1);
	assert_int_eq(strlen(d.by.sid), IAM_SID_MAX - 2);
	assert_int_eq(d.also.index, -1);
	assert_str_eq(iam_effect_str(d.effect), "EXPLICIT_DENY");
	assert_str_eq(iam_reason_str(d.reason), "explicit deny in an identity-based policy");
	/* the record outlives the policy */
	iam_policy_unref(p);
	assert_int_eq(d.by.sid[0], 's');
}

/* ------------------------------------------------------- no JSON, threads */

#ifndef __SANITIZE_ADDRESS__
/*
 * Count every heap allocation of this process (glibc lets an executable
 * interpose malloc; ASan owns the allocator, so its build skips this).
 */
#define HEAP_COUNTING 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static atomic_size_t heap_calls;

void *
malloc(size_t n)
{
	atomic_fetch_add_explicit(&heap_calls, 1, memory_order_relaxed);
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	atomic_fetch_add_explicit(&heap_calls, 1, memory_order_relaxed);
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	atomic_fetch_add_explicit(&heap_calls, 1, memory_order_relaxed);
	return __libc_realloc(p, n);
}
#endif

static size_t json_allocs;

static void *
count_malloc(size_t n)
{
	json_allocs++;
	return malloc(n);
}

static void
test_no_json_in_evaluate(void)
{
	struct iam_policy *grant, *id, *org;
	const char *tv[1] = { EE_V1 }, *org_id[1] = { "o-a1b2c3d4z5" };
	struct iam_ctx_entry ctx[2] = { { "acm-pca:TemplateArn", tv, 1 },
	    { "aws:PrincipalOrgID", org_id, 1 } };
	struct iam_request r = rq(&other_bob, "acm-pca:IssueCertificate", CA);
	struct iam_decision d;
	size_t parse_allocs, heap0;

	json_set_alloc_funcs(count_malloc, free);
	json_allocs = 0;
	grant = RES(account_grant);
	org = RES(org_grant);
	id = ID("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"acm-pca:*\",\"Resource\":\"*\"},"
	    "{\"Effect\":\"Deny\",\"Action\":\"acm-pca:Delete*\",\"Resource\":\"*\"}]}");
	parse_allocs = json_allocs;
	json_allocs = 0;
	r.ctx = ctx;
	r.nctx = 2;
#ifdef HEAP_COUNTING
	heap0 = atomic_load(&heap_calls);
#endif
	for (int i = 0; i < 1000; i++) {
		int del = i % 3 == 0;
		r.action = del ? "acm-pca:DeleteCertificateAuthority" : "acm-pca:IssueCertificate";
		assert_int_eq(ev(&r, id, i % 2 ? grant : org, &d),
		    del ? IAM_EXPLICIT_DENY : IAM_ALLOW);
	}
#ifdef HEAP_COUNTING
	/* nor does anything else */
	assert_int_eq(atomic_load(&heap_calls) - heap0, 0);
	test_diag("heap allocations while evaluating: 0");
#else
	(void)heap0;
	test_diag("heap allocations not counted under ASan");
#endif
	json_set_alloc_funcs(malloc, free);
	test_diag("jansson allocations: %zu while parsing, %zu while evaluating", parse_allocs,
	    json_allocs);
	assert_int_ge(parse_allocs, 10);
	assert_int_eq(json_allocs, 0);
	iam_policy_unref(grant);
	iam_policy_unref(org);
	iam_policy_unref(id);
}

struct thr {
	struct iam_policy	*id, *rp;
	int			 allows;
};

static void *
thr_main(void *arg)
{
	struct thr *t = arg;
	const char *tv[1] = { EE_V1 };
	struct iam_ctx_entry ctx = { "acm-pca:TemplateArn", tv, 1 };
	struct iam_request r = rq(&other_bob, "acm-pca:IssueCertificate", CA);
	struct iam_decision d;
	struct iam_attached ida = { t->id, "id" }, rsa = { t->rp, "ca" };

	r.ctx = &ctx;
	r.nctx = 1;
	for (int i = 0; i < 20000; i++)
		t->allows += iam_evaluate(&r, &ida, 1, &rsa, &d) == IAM_ALLOW;
	/* the thread owns the references it was handed */
	iam_policy_unref(t->id);
	iam_policy_unref(t->rp);
	return NULL;
}

static void
test_threads(void)
{
	struct thr t[4];
	pthread_t th[4];
	struct iam_policy *id = ID(allow_id("\"acm-pca:Issue*\"", "\"*\"")), *rp = RES(account_grant);

	for (int i = 0; i < 4; i++) {
		/* taken before the thread exists: a thread taking its own could
		 * find the policy already freed by the unrefs below */
		t[i] = (struct thr){ iam_policy_ref(id), iam_policy_ref(rp), 0 };
		assert_int_eq(pthread_create(&th[i], NULL, thr_main, &t[i]), 0);
	}
	/* the creator's references go while the threads still run */
	iam_policy_unref(id);
	iam_policy_unref(rp);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_eq(t[i].allows, 20000);
	}
}

int
main(void)
{
	test_run("iam_eval/actions", test_actions);
	test_run("iam_eval/not_action_not_resource", test_not_action_not_resource);
	test_run("iam_eval/resources", test_resources);
	test_run("iam_eval/operators", test_operators);
	test_run("iam_eval/date_without_clock", test_date_without_clock);
	test_run("iam_eval/resource_variables", test_resource_variables);
	test_run("iam_eval/expansion_overflow", test_expansion_overflow);
	test_run("iam_eval/explicit_deny_wins", test_explicit_deny_wins);
	test_run("iam_eval/same_account_union", test_same_account_union);
	test_run("iam_eval/root", test_root);
	test_run("iam_eval/cross_account", test_cross_account);
	test_run("iam_eval/role_session", test_role_session);
	test_run("iam_eval/api_grants", test_api_grants);
	test_run("iam_eval/org_paths", test_org_paths);
	test_run("iam_eval/service_principal", test_service_principal);
	test_run("iam_eval/not_principal", test_not_principal);
	test_run("iam_eval/trust", test_trust);
	test_run("iam_eval/bad_requests", test_bad_requests);
	test_run("iam_eval/decision_record", test_decision_record);
	test_run("iam_eval/no_json_in_evaluate", test_no_json_in_evaluate);
	test_run("iam_eval/threads", test_threads);
	return test_done();
}
