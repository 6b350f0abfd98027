/*
 * bench_policy.c - IAM policy engine throughput: decisions per second for
 * a cross-account caller with a 10-statement identity policy against a CA
 * with a 20-statement resource policy full of conditions, on 1 and 2
 * threads; and what parsing and compiling each policy costs.
 *
 *   bench_policy [--seconds S]	(default 3 per run)
 *
 * The request is arranged to be expensive: the resource statement that
 * allows is the last one, so every Deny and every earlier Allow is tested,
 * and the condition keys are spread over a realistic context. A second run
 * asks for a template the identity policy allows and no resource statement
 * grants (an implicit deny after a full scan of both policies).
 * Exit status 0, or 1 when a policy does not parse or a decision is not
 * the expected one (the figures would mean nothing).
 */
#include "iam_policy.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OWNER	"111122223333"
#define CALLER	"555555555555"
#define CA	"arn:aws:acm-pca:us-east-1:" OWNER ":certificate-authority/" \
		"11223344-1234-1122-2233-112233445566"
#define EE_V1	"arn:aws:acm-pca:::template/EndEntityCertificate/V1"
#define CLIENT_V1 "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1"

static const char identity_doc[] =
"{\"Version\":\"2012-10-17\",\"Statement\":["
"{\"Sid\":\"ReadAll\",\"Effect\":\"Allow\",\"Action\":[\"acm-pca:Describe*\",\"acm-pca:Get*\","
"  \"acm-pca:List*\"],\"Resource\":\"*\"},"
"{\"Sid\":\"NoDelete\",\"Effect\":\"Deny\",\"Action\":[\"acm-pca:DeleteCertificateAuthority\","
"  \"acm-pca:DeletePolicy\",\"acm-pca:DeletePermission\"],\"Resource\":\"*\"},"
"{\"Sid\":\"NoForeignCA\",\"Effect\":\"Deny\",\"Action\":\"acm-pca:CreateCertificateAuthority\","
"  \"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":{\"aws:RequestedRegion\":[\"us-east-1\","
"  \"eu-west-1\"]}}},"
"{\"Sid\":\"TagsOnly\",\"Effect\":\"Allow\",\"Action\":[\"acm-pca:TagCertificateAuthority\","
"  \"acm-pca:UntagCertificateAuthority\"],\"Resource\":\"arn:aws:acm-pca:*:*:certificate-authority/*\","
"  \"Condition\":{\"ForAllValues:StringLike\":{\"aws:TagKeys\":[\"team\",\"env\",\"cost-*\"]}}},"
"{\"Sid\":\"Revoke\",\"Effect\":\"Allow\",\"Action\":\"acm-pca:RevokeCertificate\","
"  \"Resource\":\"arn:aws:acm-pca:us-east-1:" OWNER ":certificate-authority/*\","
"  \"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}},"
"{\"Sid\":\"OnlyEE\",\"Effect\":\"Deny\",\"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"*\","
"  \"Condition\":{\"ArnNotLike\":{\"acm-pca:TemplateArn\":["
"  \"arn:aws:acm-pca:*:*:template/EndEntityCertificate/V*\","
"  \"arn:aws:acm-pca:*:*:template/EndEntityClientAuthCertificate/V*\"]}}},"
"{\"Sid\":\"OfficeHours\",\"Effect\":\"Deny\",\"Action\":\"acm-pca:*\",\"Resource\":\"*\","
"  \"Condition\":{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2099-01-01T00:00:00Z\"}}},"
"{\"Sid\":\"Network\",\"Effect\":\"Deny\",\"Action\":\"acm-pca:*\",\"Resource\":\"*\","
"  \"Condition\":{\"NotIpAddressIfExists\":{\"aws:SourceIp\":[\"10.0.0.0/8\",\"192.0.2.0/24\"]}}},"
"{\"Sid\":\"Audit\",\"Effect\":\"Allow\",\"Action\":\"acm-pca:CreateCertificateAuthorityAuditReport\","
"  \"Resource\":\"arn:aws:acm-pca:*:${aws:PrincipalAccount}:certificate-authority/*\"},"
"{\"Sid\":\"Issue\",\"Effect\":\"Allow\",\"Action\":\"acm-pca:IssueCertificate\","
"  \"Resource\":\"arn:aws:acm-pca:*:*:certificate-authority/*\","
"  \"Condition\":{\"StringEquals\":{\"aws:PrincipalTag/team\":\"pki\"}}}"
"]}";

/* 20 statements; the one that allows the benchmark's request is last */
static void
resource_doc_build(char *doc, size_t len)
{
	size_t o = 0;
	int n = 0;

#define ADD(...) (o += (size_t)snprintf(doc + o, o < len ? len - o : 0, __VA_ARGS__))
	ADD("{\"Version\":\"2012-10-17\",\"Statement\":[");
	/* 6 Deny guard rails */
	ADD("{\"Sid\":\"DenyOutsideOrg\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"acm-pca:*\","
	    "\"Resource\":\"" CA "\",\"Condition\":{\"StringNotEqualsIfExists\":"
	    "{\"aws:PrincipalOrgID\":\"o-a1b2c3d4z5\"},\"Null\":{\"aws:PrincipalOrgID\":\"false\"}}},");
	ADD("{\"Sid\":\"DenyCATemplates\",\"Effect\":\"Deny\",\"Principal\":\"*\","
	    "\"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"" CA "\",\"Condition\":"
	    "{\"StringLike\":{\"acm-pca:TemplateArn\":\"arn:aws:acm-pca:::template/*CACertificate*/V*\"}}},");
	ADD("{\"Sid\":\"DenyExpired\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
	    "\"Resource\":\"" CA "\",\"Condition\":{\"DateGreaterThan\":"
	    "{\"aws:CurrentTime\":\"2099-12-31T23:59:59Z\"}}},");
	ADD("{\"Sid\":\"DenyQuarantinedOU\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
	    "\"Resource\":\"" CA "\",\"Condition\":{\"ForAnyValue:StringLike\":"
	    "{\"aws:PrincipalOrgPaths\":[\"o-a1b2c3d4z5/r-ab12/ou-ab12-quarantine/*\","
	    "\"o-a1b2c3d4z5/r-ab12/ou-ab12-suspended/*\"]}}},");
	ADD("{\"Sid\":\"DenyInsecure\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
	    "\"Resource\":\"" CA "\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}},");
	ADD("{\"Sid\":\"DenyBadSource\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\","
	    "\"Resource\":\"" CA "\",\"Condition\":{\"ArnNotLike\":"
	    "{\"aws:SourceArn\":\"arn:aws:acm:*:" CALLER ":certificate/*\"},"
	    "\"Null\":{\"aws:SourceArn\":\"false\"}}},");
	n = 6;
	/* 13 Allows that do not match the request, for various reasons */
	for (int i = 0; i < 4; i++, n++)
		ADD("{\"Sid\":\"Acct%d\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"20000000000%d\"},"
		    "\"Action\":[\"acm-pca:DescribeCertificateAuthority\",\"acm-pca:GetCertificate\","
		    "\"acm-pca:IssueCertificate\"],\"Resource\":\"" CA "\",\"Condition\":{\"StringEquals\":"
		    "{\"acm-pca:TemplateArn\":\"" EE_V1 "\"}}},", i, i);
	for (int i = 0; i < 3; i++, n++)
		ADD("{\"Sid\":\"OU%d\",\"Effect\":\"Allow\",\"Principal\":\"*\","
		    "\"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"" CA "\",\"Condition\":"
		    "{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-a1b2c3d4z5\"},"
		    "\"ForAnyValue:StringLike\":{\"aws:PrincipalOrgPaths\":"
		    "\"o-a1b2c3d4z5/r-ab12/ou-ab12-team%d/*\"}}},", i, i);
	for (int i = 0; i < 3; i++, n++)
		ADD("{\"Sid\":\"Role%d\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
		    "\"arn:aws:iam::" CALLER ":role/issuer-%d\"},\"Action\":\"acm-pca:IssueCertificate\","
		    "\"Resource\":\"" CA "\",\"Condition\":{\"ArnLike\":{\"acm-pca:TemplateArn\":"
		    "\"arn:aws:acm-pca:*:*:template/EndEntity*/V*\"}}},", i, i);
	for (int i = 0; i < 3; i++, n++)
		ADD("{\"Sid\":\"Read%d\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":["
		    "\"acm-pca:GetCertificate\",\"acm-pca:ListTags\",\"acm-pca:ListPermissions\"],"
		    "\"Resource\":\"" CA "\",\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":"
		    "\"o-a1b2c3d4z5\"},\"StringNotEquals\":{\"aws:PrincipalAccount\":\"" OWNER "\"},"
		    "\"DateLessThan\":{\"aws:CurrentTime\":\"20%02d-01-01T00:00:00Z\"}}},", i, 30 + i);
	/* the one that allows: organization grant, API.md 3.7 style, narrowed */
	ADD("{\"Sid\":\"OrgIssue\",\"Effect\":\"Allow\",\"Principal\":\"*\","
	    "\"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"" CA "\",\"Condition\":{"
	    "\"StringEquals\":{\"acm-pca:TemplateArn\":\"" EE_V1 "\",\"aws:PrincipalOrgID\":\"o-a1b2c3d4z5\"},"
	    "\"StringNotEquals\":{\"aws:PrincipalAccount\":\"" OWNER "\"},"
	    "\"ForAnyValue:StringLike\":{\"aws:PrincipalOrgPaths\":\"o-a1b2c3d4z5/r-ab12/ou-ab12-11111111/*\"},"
	    "\"ArnLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::*:user/*\"},"
	    "\"DateLessThan\":{\"aws:CurrentTime\":\"2040-01-01T00:00:00Z\"}}}");
	n++;
	ADD("]}");
#undef ADD
	if (n != 20 || o >= len) {
		fprintf(stderr, "bench_policy: resource policy has %d statements, %zu bytes\n", n, o);
		exit(1);
	}
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static struct iam_policy *
parse_timed(const char *what, const char *text, enum iam_policy_kind kind)
{
	struct iam_policy *p = NULL;
	char why[512];
	uint64_t t0, best = UINT64_MAX, total = 0;
	int rounds = 2000;

	for (int i = 0; i < rounds; i++) {
		uint64_t dt;
		iam_policy_unref(p);
		p = NULL;
		t0 = now_ns();
		if (iam_policy_parse(text, strlen(text), kind, NULL, &p, why, sizeof(why)) != 0) {
			fprintf(stderr, "bench_policy: %s: %s\n", what, why);
			exit(1);
		}
		dt = now_ns() - t0;
		total += dt;
		if (dt < best)
			best = dt;
	}
	printf("parse+compile %-28s %2zu statements %5zu bytes: %7.1f us mean, %7.1f us best\n",
	    what, iam_policy_statement_count(p), strlen(text), total / 1e3 / rounds, best / 1e3);
	return p;
}

struct run {
	const struct iam_attached	*id, *res;
	const char			*template_arn;
	enum iam_effect			 want;
	atomic_int			*stop;
	uint64_t			 n;
	uint64_t			 cpu_ns;	/* this thread's CPU time */
	int				 wrong;
};

/* The caller's request and context: a user of another account in the CA
 * owner's organization, asking through ACM-like paths. */
struct caller_req {
	const char		*tmpl[1], *org[1], *paths[3], *tls[1], *ip[1], *team[1],
				*region[1], *srcacct[1], *srcarn[1];
	struct iam_ctx_entry	 ctx[9];
	struct iam_request	 req;
};

static void
caller_req_init(struct caller_req *c, const char *template_arn)
{
	*c = (struct caller_req){
		.tmpl = { template_arn }, .org = { "o-a1b2c3d4z5" },
		.paths = { "o-a1b2c3d4z5/", "o-a1b2c3d4z5/r-ab12/",
		    "o-a1b2c3d4z5/r-ab12/ou-ab12-11111111/" },
		.tls = { "true" }, .ip = { "10.20.30.40" }, .team = { "pki" },
		.region = { "us-east-1" }, .srcacct = { CALLER },
		.srcarn = { "arn:aws:acm:us-east-1:" CALLER ":certificate/0b0e3a39-6a47-4b2a-a0c1-7f1e0f7a1c55" },
	};
	c->ctx[0] = (struct iam_ctx_entry){ "acm-pca:TemplateArn", c->tmpl, 1 };
	c->ctx[1] = (struct iam_ctx_entry){ "aws:PrincipalOrgID", c->org, 1 };
	c->ctx[2] = (struct iam_ctx_entry){ "aws:PrincipalOrgPaths", c->paths, 3 };
	c->ctx[3] = (struct iam_ctx_entry){ "aws:SecureTransport", c->tls, 1 };
	c->ctx[4] = (struct iam_ctx_entry){ "aws:SourceIp", c->ip, 1 };
	c->ctx[5] = (struct iam_ctx_entry){ "aws:PrincipalTag/team", c->team, 1 };
	c->ctx[6] = (struct iam_ctx_entry){ "aws:RequestedRegion", c->region, 1 };
	c->ctx[7] = (struct iam_ctx_entry){ "aws:SourceAccount", c->srcacct, 1 };
	c->ctx[8] = (struct iam_ctx_entry){ "aws:SourceArn", c->srcarn, 1 };
	c->req = (struct iam_request){
		.principal = "arn:aws:iam::" CALLER ":user/pki/issuer-bot",
		.principal_account = CALLER,
		.principal_type = IAM_PRINCIPAL_USER,
		.action = "acm-pca:IssueCertificate",
		.resource = CA,
		.resource_account = OWNER,
		.ctx = c->ctx,
		.nctx = 9,
		.now = 1767225600,	/* 2026-01-01 */
	};
}

static void *
run_main(void *arg)
{
	struct run *r = arg;
	struct caller_req c;
	struct iam_decision d;
	uint64_t n = 0, cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int wrong = 0;

	/* counters stay local: two runs[] side by side share a cache line */
	caller_req_init(&c, r->template_arn);
	while (!atomic_load_explicit(r->stop, memory_order_relaxed)) {
		for (int i = 0; i < 256; i++)
			wrong += iam_evaluate(&c.req, r->id, 1, r->res, &d) != r->want;
		n += 256;
	}
	r->n = n;
	r->wrong = wrong;
	r->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	return NULL;
}

static int
bench(const char *label, const struct iam_attached *id, const struct iam_attached *res,
    const char *template_arn, enum iam_effect want, int nthreads, double seconds)
{
	struct run runs[2];
	pthread_t th[2];
	atomic_int stop;
	uint64_t t0, t1, total = 0, cpu = 0;
	int wrong = 0;

	atomic_init(&stop, 0);
	t0 = now_ns();
	for (int i = 0; i < nthreads; i++) {
		runs[i] = (struct run){ id, res, template_arn, want, &stop, 0, 0, 0 };
		if (pthread_create(&th[i], NULL, run_main, &runs[i]) != 0) {
			perror("pthread_create");
			exit(1);
		}
	}
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		total += runs[i].n;
		cpu += runs[i].cpu_ns;
		wrong += runs[i].wrong;
	}
	t1 = now_ns();
	/* wall time per decision per thread, and CPU time per decision: the
	 * second does not grow when other processes take the cores */
	printf("%-34s %d thread%s: %9.0f decisions/s  %6.0f ns/decision wall  %6.0f ns CPU%s\n",
	    label, nthreads, nthreads > 1 ? "s" : " ", total / ((t1 - t0) / 1e9),
	    (t1 - t0) * (double)nthreads / (double)total, cpu / (double)total,
	    wrong == 0 ? "" : "  WRONG DECISIONS");
	return wrong == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct iam_policy *id, *res;
	struct iam_attached ida, rsa;
	struct iam_decision d;
	double seconds = 3;
	char msg[256], resource_doc[32768];
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_policy [--seconds S]\n");
			return 2;
		}
	}
	if (seconds <= 0)
		seconds = 3;
	resource_doc_build(resource_doc, sizeof(resource_doc));
	id = parse_timed("identity policy", identity_doc, IAM_KIND_IDENTITY);
	res = parse_timed("CA resource policy", resource_doc, IAM_KIND_RESOURCE);
	ida = (struct iam_attached){ id, "issuer-bot-inline" };
	rsa = (struct iam_attached){ res, "ca-resource-policy" };

	/* one decision shown in full, so the figures below are known to be
	 * for the intended path */
	for (int k = 0; k < 2; k++) {
		struct caller_req c;
		caller_req_init(&c, k == 0 ? EE_V1 : CLIENT_V1);
		enum iam_effect e = iam_evaluate(&c.req, &ida, 1, &rsa, &d);
		iam_decision_format(&d, c.req.action, msg, sizeof(msg));
		printf("decision %d: %s, %s\n", k + 1, iam_effect_str(e), msg);
		if (e != (k == 0 ? IAM_ALLOW : IAM_IMPLICIT_DENY)) {
			fprintf(stderr, "bench_policy: not the intended decision\n");
			return 1;
		}
	}
	for (int t = 1; t <= 2; t++)
		rc |= bench("cross-account IssueCertificate", &ida, &rsa, EE_V1, IAM_ALLOW, t,
		    seconds);
	for (int t = 1; t <= 2; t++)
		rc |= bench("cross-account, ungranted template", &ida, &rsa,
		    CLIENT_V1, IAM_IMPLICIT_DENY, t, seconds);
	iam_policy_unref(id);
	iam_policy_unref(res);
	return rc;
}
