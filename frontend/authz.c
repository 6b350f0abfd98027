/*
 * authz.c - gather policies and context for one request and let the policy
 * engine decide (authz.h).
 *
 * The cache: a fixed table of entries keyed by a string naming what the
 * entry compiles ("U|<account>|<user>" identity policies of a user,
 * "R|<account>|<role>" of a role, "C|<ca id>" a CA's resource policy with
 * its permissions, "T|<account>|<role>" a role's trust policy,
 * "O|<account>" an account's organization context). Each entry is
 * immutable and reference counted, so a decision holds what it uses
 * without a lock while another thread replaces it. The whole table is
 * emptied when store_authz_generation() moves.
 */
#include "authz.h"
#include "arn.h"
#include "clock.h"
#include "log.h"
#include "managed_policies.h"
#include "store.h"
#include "store_iam.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const authz_ca_policy_actions[] = {
	"acm-pca:DescribeCertificateAuthority",
	"acm-pca:GetCertificate",
	"acm-pca:GetCertificateAuthorityCertificate",
	"acm-pca:ListPermissions",
	"acm-pca:ListTags",
	"acm-pca:IssueCertificate",
	"acm-pca:RevokeCertificate",
};
const size_t authz_ca_policy_nactions =
    sizeof(authz_ca_policy_actions) / sizeof(authz_ca_policy_actions[0]);

#define AUTHZ_SLOTS		512
#define AUTHZ_KEY_MAX		200
#define AUTHZ_MAX_POLICIES	32	/* identity policies per principal used */
#define DEFAULT_TEMPLATE	"arn:aws:acm-pca:::template/EndEntityCertificate/V1"

/* What one cache entry holds: compiled policies, or an org context. */
struct authz_entry {
	atomic_int		 refs;
	char			 key[AUTHZ_KEY_MAX];
	size_t			 n;
	struct iam_attached	 pol[AUTHZ_MAX_POLICIES];
	char			*names[AUTHZ_MAX_POLICIES];
	int			 in_org;
	char			 org_id[40];
	char			 org_path[1024];	/* o-x/r-y/ou-.../ */
};

struct authz {
	struct store		*store;
	pthread_mutex_t		 mu;
	uint64_t		 gen;
	struct authz_entry	*slots[AUTHZ_SLOTS];
	/* the managed policies, compiled once */
	struct iam_policy	**managed;
	size_t			 nmanaged;
};

static void
entry_unref(struct authz_entry *e)
{
	if (e == NULL || atomic_fetch_sub(&e->refs, 1) != 1)
		return;
	for (size_t i = 0; i < e->n; i++) {
		iam_policy_unref((struct iam_policy *)e->pol[i].policy);
		free(e->names[i]);
	}
	free(e);
}

static struct authz_entry *
entry_new(const char *key)
{
	struct authz_entry *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	atomic_init(&e->refs, 1);
	snprintf(e->key, sizeof(e->key), "%s", key);
	return e;
}

/* Add policy p (its reference passes to e) named name. */
static int
entry_add(struct authz_entry *e, struct iam_policy *p, const char *name)
{
	if (e->n == AUTHZ_MAX_POLICIES) {
		iam_policy_unref(p);
		return PCA_ERR_TOO_LARGE;
	}
	if ((e->names[e->n] = strdup(name)) == NULL) {
		iam_policy_unref(p);
		return PCA_ERR_NOMEM;
	}
	e->pol[e->n].policy = p;
	e->pol[e->n].name = e->names[e->n];
	e->n++;
	return 0;
}

static uint64_t
key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

int
authz_new(struct store *st, struct authz **out)
{
	struct authz *az;
	char why[256];
	int r;

	*out = NULL;
	if ((az = calloc(1, sizeof(*az))) == NULL)
		return PCA_ERR_NOMEM;
	az->store = st;
	pthread_mutex_init(&az->mu, NULL);
	if ((az->managed = calloc(managed_policies_len, sizeof(*az->managed))) == NULL) {
		authz_free(az);
		return PCA_ERR_NOMEM;
	}
	for (size_t i = 0; i < managed_policies_len; i++) {
		const char *doc = managed_policies[i].document;

		r = iam_policy_parse(doc, strlen(doc), IAM_KIND_IDENTITY, NULL, &az->managed[i],
		    why, sizeof(why));
		if (r != 0) {
			log_error("managed policy %s does not compile: %s", managed_policies[i].name,
			    why);
			authz_free(az);
			return PCA_ERR_INTERNAL;
		}
		az->nmanaged++;
	}
	*out = az;
	return 0;
}

static void
cache_flush_locked(struct authz *az)
{
	for (size_t i = 0; i < AUTHZ_SLOTS; i++) {
		entry_unref(az->slots[i]);
		az->slots[i] = NULL;
	}
}

void
authz_free(struct authz *az)
{
	if (az == NULL)
		return;
	cache_flush_locked(az);
	for (size_t i = 0; i < az->nmanaged; i++)
		iam_policy_unref(az->managed[i]);
	free(az->managed);
	pthread_mutex_destroy(&az->mu);
	free(az);
}

/* The cached entry for key at generation gen, referenced; NULL on a miss. */
static struct authz_entry *
cache_get(struct authz *az, uint64_t gen, const char *key)
{
	struct authz_entry *e = NULL;
	size_t slot = key_hash(key) % AUTHZ_SLOTS;

	pthread_mutex_lock(&az->mu);
	if (gen != az->gen) {
		cache_flush_locked(az);
		az->gen = gen;
	}
	if (az->slots[slot] != NULL && strcmp(az->slots[slot]->key, key) == 0) {
		e = az->slots[slot];
		atomic_fetch_add(&e->refs, 1);
	}
	pthread_mutex_unlock(&az->mu);
	return e;
}

/* Keep e (built from what the store said at gen) unless the store moved on. */
static void
cache_put(struct authz *az, uint64_t gen, struct authz_entry *e)
{
	size_t slot = key_hash(e->key) % AUTHZ_SLOTS;

	pthread_mutex_lock(&az->mu);
	if (gen == az->gen) {
		entry_unref(az->slots[slot]);
		atomic_fetch_add(&e->refs, 1);
		az->slots[slot] = e;
	}
	pthread_mutex_unlock(&az->mu);
}

static int
compile(const char *doc, enum iam_policy_kind kind, const char *what, struct iam_policy **out)
{
	struct iam_limits lim = { .max_len = 1024 * 1024, .max_statements = 2000 };
	char why[256];
	int r;

	if ((r = iam_policy_parse(doc, strlen(doc), kind, &lim, out, why, sizeof(why))) != 0) {
		/* stored policies were validated on the way in */
		log_error("stored policy %s does not compile: %s", what, why);
		return r == IAM_NOMEM ? PCA_ERR_NOMEM : PCA_ERR_INTERNAL;
	}
	return 0;
}

/* Identity policies of a user (kind STORE_PRINCIPAL_USER) or role. */
static int
load_identity(struct authz *az, const char *account, int kind, const char *name,
    struct authz_entry *e)
{
	struct store_inline_policy *inl = NULL;
	char **arns = NULL, label[300];
	size_t ninl = 0, narns = 0;
	struct iam_policy *p;
	int r;

	r = store_inline_policy_list(az->store, account, kind, name, &inl, &ninl);
	if (r != 0 && r != PCA_ERR_NOT_FOUND)
		goto out;
	for (size_t i = 0; i < ninl; i++) {
		snprintf(label, sizeof(label), "%s", inl[i].name);
		if ((r = compile(inl[i].document, IAM_KIND_IDENTITY, label, &p)) != 0 ||
		    (r = entry_add(e, p, label)) != 0)
			goto out;
	}
	r = store_attachment_list(az->store, account, kind, name, &arns, &narns);
	if (r != 0 && r != PCA_ERR_NOT_FOUND)
		goto out;
	for (size_t i = 0; i < narns; i++) {
		const struct managed_policy *m = managed_policy_find(arns[i]);

		if (m == NULL) {
			log_warn("%s %s attaches unknown policy %s", account, name, arns[i]);
			continue;
		}
		p = az->managed[m - managed_policies];
		if ((r = entry_add(e, iam_policy_ref(p), m->name)) != 0)
			goto out;
	}
	r = 0;
 out:
	store_inline_policy_list_free(inl, ninl);
	store_string_list_free(arns, narns);
	return r;
}

/* Append one statement object per permission of the CA to stmts. */
static int
permissions_to_statements(struct authz *az, const char *ca_id, const char *ca_arn,
    json_t *stmts)
{
	static const struct { unsigned bit; const char *action; } acts[] = {
		{ STORE_PERM_ISSUE, "acm-pca:IssueCertificate" },
		{ STORE_PERM_GET, "acm-pca:GetCertificate" },
		{ STORE_PERM_LIST, "acm-pca:ListPermissions" },
	};
	struct store_permission *perm = NULL;
	size_t n = 0;
	int r;

	r = store_permission_list(az->store, ca_id, &perm, &n);
	if (r == PCA_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		json_t *st, *act;
		char sid[128];

		act = json_array();
		for (size_t j = 0; j < sizeof(acts) / sizeof(acts[0]); j++)
			if (perm[i].actions & acts[j].bit)
				json_array_append_new(act, json_string(acts[j].action));
		if (json_array_size(act) == 0) {
			json_decref(act);
			continue;
		}
		snprintf(sid, sizeof(sid), "CaPermission:%s%s%s", perm[i].principal,
		    perm[i].source_account[0] != '\0' ? ":" : "", perm[i].source_account);
		st = json_pack("{s:s, s:s, s:{s:s}, s:o, s:s}", "Sid", sid, "Effect", "Allow",
		    "Principal", "Service", perm[i].principal, "Action", act, "Resource", ca_arn);
		if (st != NULL && perm[i].source_account[0] != '\0')
			json_object_set_new(st, "Condition", json_pack("{s:{s:s}}",
			    "StringEquals", "aws:SourceAccount", perm[i].source_account));
		if (st == NULL || json_array_append_new(stmts, st) != 0) {
			r = PCA_ERR_NOMEM;
			goto out;
		}
	}
	r = 0;
 out:
	store_permission_list_free(perm, n);
	return r;
}

/* A CA's resource policy joined with its permissions; e->n stays 0 when it
 * has neither. */
static int
load_ca_policy(struct authz *az, const char *ca_id, const char *ca_arn, struct authz_entry *e)
{
	json_t *doc = NULL, *stmts = NULL, *orig;
	char *text = NULL, *out = NULL;
	struct iam_policy *p;
	json_error_t jerr;
	int r;

	r = store_ca_policy_get(az->store, ca_id, &text);
	if (r != 0 && r != PCA_ERR_NOT_FOUND)
		return r;
	if (text != NULL) {
		if ((doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
		    !json_is_object(doc)) {
			log_error("CA %s: stored policy is not JSON", ca_id);
			r = PCA_ERR_INTERNAL;
			goto out;
		}
		orig = json_object_get(doc, "Statement");
		if (json_is_array(orig)) {
			stmts = json_incref(orig);
		} else {
			stmts = json_array();
			json_array_append(stmts, orig);
			json_object_set(doc, "Statement", stmts);
		}
	} else {
		doc = json_pack("{s:s, s:[]}", "Version", "2012-10-17", "Statement");
		stmts = json_incref(json_object_get(doc, "Statement"));
	}
	if ((r = permissions_to_statements(az, ca_id, ca_arn, stmts)) != 0)
		goto out;
	if (json_array_size(stmts) == 0) {
		r = 0;
		goto out;
	}
	if ((out = json_dumps(doc, JSON_COMPACT)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	if ((r = compile(out, IAM_KIND_RESOURCE, "CA resource policy", &p)) != 0 ||
	    (r = entry_add(e, p, "resource policy")) != 0)
		goto out;
	r = 0;
 out:
	json_decref(stmts);
	json_decref(doc);
	free(out);
	free(text);
	return r;
}

static int
load_trust_policy(struct authz *az, const char *account, const char *role,
    struct authz_entry *e)
{
	struct store_iam_role ro;
	struct iam_policy *p;
	int r;

	memset(&ro, 0, sizeof(ro));
	if ((r = store_iam_role_get(az->store, account, role, &ro)) != 0)
		return r == PCA_ERR_NOT_FOUND ? 0 : r;
	if (ro.trust_policy != NULL &&
	    (r = compile(ro.trust_policy, IAM_KIND_TRUST, "trust policy", &p)) == 0)
		r = entry_add(e, p, "trust policy");
	store_iam_role_clear(&ro);
	return r;
}

/* The organization an account is in and its path o-x/r-y/ou-.../ */
static int
load_org(struct authz *az, const char *account, struct authz_entry *e)
{
	struct store_org org;
	struct store_membership m;
	char chain[16][64];
	size_t depth = 0, off;
	char node[64];
	int r;

	memset(&org, 0, sizeof(org));
	memset(&m, 0, sizeof(m));
	r = store_org_of_account(az->store, account, &org, &m);
	if (r == PCA_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	snprintf(node, sizeof(node), "%s", m.parent_id);
	/* walk up from the account's parent to the root */
	while (node[0] != '\0' && depth < 16) {
		struct store_ou ou;

		snprintf(chain[depth++], sizeof(chain[0]), "%s", node);
		if (strcmp(node, org.root_id) == 0)
			break;
		memset(&ou, 0, sizeof(ou));
		if ((r = store_ou_get(az->store, node, &ou)) != 0)
			goto out;
		snprintf(node, sizeof(node), "%s", ou.parent_id);
		store_ou_clear(&ou);
	}
	e->in_org = 1;
	snprintf(e->org_id, sizeof(e->org_id), "%s", org.id);
	off = (size_t)snprintf(e->org_path, sizeof(e->org_path), "%s/", org.id);
	while (depth > 0 && off < sizeof(e->org_path))
		off += (size_t)snprintf(e->org_path + off, sizeof(e->org_path) - off, "%s/",
		    chain[--depth]);
	r = 0;
 out:
	store_org_clear(&org);
	store_membership_clear(&m);
	return r;
}

enum load_kind { LOAD_USER, LOAD_ROLE, LOAD_CA, LOAD_TRUST, LOAD_ORG };

/* The entry for (kind, a, b), from the cache or the store; NULL with *err. */
static struct authz_entry *
entry_for(struct authz *az, uint64_t gen, enum load_kind kind, const char *a, const char *b,
    int *err)
{
	static const char tag[] = "URCTO";
	struct authz_entry *e;
	char key[AUTHZ_KEY_MAX];
	int r;

	snprintf(key, sizeof(key), "%c|%s|%s", tag[kind], a, b != NULL ? b : "");
	if ((e = cache_get(az, gen, key)) != NULL)
		return e;
	if ((e = entry_new(key)) == NULL) {
		*err = PCA_ERR_NOMEM;
		return NULL;
	}
	switch (kind) {
	case LOAD_USER:
		r = load_identity(az, a, STORE_PRINCIPAL_USER, b, e);
		break;
	case LOAD_ROLE:
		r = load_identity(az, a, STORE_PRINCIPAL_ROLE, b, e);
		break;
	case LOAD_CA:
		r = load_ca_policy(az, a, b, e);
		break;
	case LOAD_TRUST:
		r = load_trust_policy(az, a, b, e);
		break;
	default:
		r = load_org(az, a, e);
		break;
	}
	if (r != 0) {
		entry_unref(e);
		*err = r;
		return NULL;
	}
	cache_put(az, gen, e);
	return e;
}

/* "role/path/R" -> R; "" when it is too long to be a role name. */
static const char *
role_name_of(const char *resource, char *buf, size_t len)
{
	const char *slash = strrchr(resource, '/'), *name = slash != NULL ? slash + 1 : resource;
	size_t n = strlen(name);

	if (n >= len)
		n = 0;
	memcpy(buf, name, n);
	buf[n] = '\0';
	return buf;
}

static void
audit(struct frontend *fe, const struct authz_request *req, const struct iam_decision *d)
{
	struct store_audit a;
	char reason[256];

	memset(&a, 0, sizeof(a));
	a.at_ms = clock_now_ms();
	a.caller = (char *)req->caller->arn;
	a.action = (char *)req->action;
	a.resource = (char *)req->resource;
	a.allowed = d->effect == IAM_ALLOW;
	a.policy = (char *)(d->by.index >= 0 ? d->by.policy : "");
	a.sid = (char *)(d->by.index >= 0 ? d->by.sid : "");
	snprintf(reason, sizeof(reason), "%s", iam_reason_str(d->reason));
	a.reason = reason;
	if (store_audit_append(fe->store, &a) != 0)
		log_error("audit: could not record %s %s %s", req->caller->arn, req->action,
		    req->resource);
}

int
authorize_decide(struct frontend *fe, const struct authz_request *req,
    struct iam_decision *decision, char *why, size_t whylen)
{
	struct authz *az = fe->authz;
	struct authz_entry *ident = NULL, *res = NULL, *org = NULL;
	struct iam_request ir;
	struct iam_decision d;
	struct iam_ctx_entry ctx[8];
	const char *v_org[1], *v_path[1], *v_tmpl[1], *v_src[1], *v_svc[1];
	const char *res_account;
	char ca_id[37], role[130], tail[400];
	struct arn a;
	uint64_t gen;
	size_t nctx = 0;
	int r = 0;

	memset(&d, 0, sizeof(d));
	gen = store_authz_generation(fe->store);
	res_account = req->resource_account != NULL ? req->resource_account :
	    req->caller->account_id;
	memset(&ir, 0, sizeof(ir));
	ir.principal = req->caller->arn;
	ir.action = req->action;
	ir.resource = req->resource;
	ir.resource_account = res_account;
	ir.now = clock_now();
	switch (req->caller->kind) {
	case CALLER_USER:
		ir.principal_type = IAM_PRINCIPAL_USER;
		ident = entry_for(az, gen, LOAD_USER, req->caller->account_id, req->caller->name, &r);
		break;
	case CALLER_ROLE_SESSION:
		ir.principal_type = IAM_PRINCIPAL_ASSUMED_ROLE;
		ident = entry_for(az, gen, LOAD_ROLE, req->caller->account_id, req->caller->name, &r);
		break;
	case CALLER_SERVICE:
		ir.principal_type = IAM_PRINCIPAL_SERVICE;
		break;
	default:
		ir.principal_type = IAM_PRINCIPAL_ROOT;
		break;
	}
	if (r != 0)
		goto fail;
	if (req->caller->kind != CALLER_SERVICE)
		ir.principal_account = req->caller->account_id;
	/* the resource's own policy */
	if (strncmp(req->resource, "arn:", 4) == 0 && arn_parse(req->resource, &a) == 0) {
		if (strcmp(a.service, "acm-pca") == 0 &&
		    arn_parse_ca(req->resource, &a, ca_id) == 0)
			res = entry_for(az, gen, LOAD_CA, ca_id, req->resource, &r);
		else if (strcmp(a.service, "iam") == 0 && strncmp(a.resource, "role/", 5) == 0 &&
		    strcmp(req->action, "sts:AssumeRole") == 0)
			res = entry_for(az, gen, LOAD_TRUST, a.account,
			    role_name_of(a.resource, role, sizeof(role)), &r);
		if (r != 0)
			goto fail;
	}
	/* the context */
	if (req->caller->kind != CALLER_SERVICE) {
		if ((org = entry_for(az, gen, LOAD_ORG, req->caller->account_id, NULL, &r)) == NULL)
			goto fail;
		if (org->in_org) {
			v_org[0] = org->org_id;
			v_path[0] = org->org_path;
			ctx[nctx++] = (struct iam_ctx_entry){ "aws:PrincipalOrgID", v_org, 1 };
			ctx[nctx++] = (struct iam_ctx_entry){ "aws:PrincipalOrgPaths", v_path, 1 };
		}
	} else if (req->caller->source_account[0] != '\0') {
		v_src[0] = req->caller->source_account;
		ctx[nctx++] = (struct iam_ctx_entry){ "aws:SourceAccount", v_src, 1 };
	}
	if (strcmp(req->action, "acm-pca:IssueCertificate") == 0) {
		v_tmpl[0] = req->template_arn != NULL && req->template_arn[0] != '\0' ?
		    req->template_arn : DEFAULT_TEMPLATE;
		ctx[nctx++] = (struct iam_ctx_entry){ "acm-pca:TemplateArn", v_tmpl, 1 };
	}
	if (req->service_name != NULL) {
		v_svc[0] = req->service_name;
		ctx[nctx++] = (struct iam_ctx_entry){ "iam:AWSServiceName", v_svc, 1 };
	}
	ir.ctx = ctx;
	ir.nctx = nctx;
	if (iam_evaluate(&ir, ident != NULL ? ident->pol : NULL, ident != NULL ? ident->n : 0,
	    res != NULL && res->n > 0 ? &res->pol[0] : NULL, &d) == IAM_ALLOW)
		log_debug("allow %s %s %s", req->caller->arn, req->action, req->resource);
	audit(fe, req, &d);
	if (decision != NULL)
		*decision = d;
	if (d.effect == IAM_ALLOW) {
		r = 0;
		goto out;
	}
	iam_decision_format(&d, req->action, tail, sizeof(tail));
	snprintf(why, whylen, "User: %s is not authorized to perform: %s on resource: %s %s",
	    req->caller->arn, req->action, req->resource, tail);
	log_info("deny %s %s %s: %s", req->caller->arn, req->action, req->resource,
	    iam_reason_str(d.reason));
	r = PCA_ERR_AUTH;
	goto out;
 fail:
	log_error_fr(r, "authorize %s %s %s", req->caller->arn, req->action, req->resource);
	snprintf(why, whylen, "The authorization state could not be read; try again.");
	if (decision != NULL)
		*decision = d;
 out:
	entry_unref(ident);
	entry_unref(res);
	entry_unref(org);
	return r;
}

int
authorize(struct frontend *fe, const struct authz_request *req, char *why, size_t whylen)
{
	return authorize_decide(fe, req, NULL, why, whylen);
}
