/*
 * iam_eval.c - deciding one request against compiled policies.
 *
 * Everything here reads immutable compiled policies and the caller's
 * request, and writes only to its own stack (struct iam_eval) and to the
 * caller's struct iam_decision: no locks, no allocation, no JSON. The rules
 * are listed in iam_policy.h; this file's comments say why the less obvious
 * ones are written the way they are.
 */
#include "iam_internal.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ globs */

static size_t
utf8_len(const char *s, size_t left)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

	return n > left ? left : n;
}

/*
 * Greedy matching with one backtrack point (the last '*'): O(|p| * |s|) at
 * worst, no recursion. '?' and the backtracking step move by whole UTF-8
 * characters, so "??" never matches one three-byte character.
 */
int
iam_wild_match(const char *p, const uint8_t *lit, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;

	while (si < sn) {
		if (pi < pn) {
			int wild = lit == NULL || !lit[pi];
			if (wild && p[pi] == '*') {
				star_p = pi++;
				star_s = si;
				continue;
			}
			if (wild && p[pi] == '?') {
				pi++;
				si += utf8_len(s + si, sn - si);
				continue;
			}
			if (p[pi] == s[si]) {
				pi++;
				si++;
				continue;
			}
		}
		if (star_p == (size_t)-1)
			return 0;
		pi = star_p + 1;
		star_s += utf8_len(s + star_s, sn - star_s);
		si = star_s;
	}
	while (pi < pn && p[pi] == '*' && (lit == NULL || !lit[pi]))
		pi++;
	return pi == pn;
}

int
iam_glob_match(const struct iam_glob *g, const char *s, size_t n)
{
	switch (g->kind) {
	case IAM_GLOB_ANY:
		return 1;
	case IAM_GLOB_EXACT:
		return n == g->len && memcmp(s, g->pat, n) == 0;
	case IAM_GLOB_PREFIX:
		return n >= g->len && memcmp(s, g->pat, g->len) == 0;
	case IAM_GLOB_GENERAL:
		/* minlen counts bytes the pattern needs at least: a cheap early no */
		return n >= g->minlen && iam_wild_match(g->pat, NULL, g->len, s, n);
	}
	return 0;
}

/* ------------------------------------------------------- request context */

static int
icase_eq_lower(const char *lower, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lower[i])
			return 0;
	}
	return 1;
}

/* The keys the engine derives from the request when ctx lacks them. */
static const char *const *
derived(struct iam_eval *st, const char *key, size_t n)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(key, lit, n) == 0)
	if (IS("aws:principalarn"))
		return st->d_arn[0] != NULL ? st->d_arn : NULL;
	if (IS("aws:principalaccount"))
		return st->d_account[0] != NULL ? st->d_account : NULL;
	if (IS("aws:principaltype"))
		return st->d_type[0] != NULL ? st->d_type : NULL;
	if (IS("aws:username"))
		return st->d_user[0] != NULL ? st->d_user : NULL;
	if (IS("aws:principalservicename"))
		return st->d_service[0] != NULL ? st->d_service : NULL;
	if (IS("aws:currenttime"))
		return st->d_time[0] != NULL ? st->d_time : NULL;
	if (IS("aws:epochtime"))
		return st->d_epoch[0] != NULL ? st->d_epoch : NULL;
#undef IS
	return NULL;
}

const char *const *
iam_eval_lookup(struct iam_eval *st, const char *key, size_t keylen, size_t *n)
{
	const char *const *v;

	/* a linear scan: contexts are small, and comparing lengths first
	 * rejects almost every entry (hashing every key cost more) */
	for (size_t i = 0; i < st->nkv; i++) {
		const struct iam_kv *kv = &st->kv[i];
		if (kv->klen == keylen && icase_eq_lower(key, kv->key, keylen)) {
			/* the caller's entry wins, even with no values (= absent) */
			*n = kv->n;
			return kv->vals;
		}
	}
	if ((v = derived(st, key, keylen)) != NULL) {
		*n = 1;
		return v;
	}
	*n = 0;
	return NULL;
}

long
iam_eval_expand(struct iam_eval *st, const struct iam_piece *pieces, uint32_t npieces)
{
	size_t o = 0;

	for (uint32_t i = 0; i < npieces; i++) {
		const struct iam_piece *pc = &pieces[i];
		const char *src = pc->text;
		size_t len = pc->len, n;
		uint8_t lit = pc->kind != IAM_PIECE_TEXT;

		if (pc->kind == IAM_PIECE_VAR) {
			const char *const *v = iam_eval_lookup(st, pc->text, pc->len, &n);
			/* AWS substitutes single values only; a missing key without a
			 * default leaves the element unmatched */
			if (n == 1) {
				src = v[0];
				len = strlen(src);
			} else if (n == 0 && pc->has_def) {
				src = pc->def;
				len = pc->deflen;
			} else
				return -1;
		}
		if (len > IAM_EXPAND_MAX - o) {
			/* not "no match": that would let a Deny slip; the whole
			 * request is refused instead */
			st->failed = 1;
			return -1;
		}
		memcpy(st->xbuf + o, src, len);
		memset(st->xlit + o, lit, len);
		o += len;
	}
	return (long)o;
}

/* ------------------------------------------------------- the request */

static int
digits12(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * Check the principal ARN against its type and account, and find the parts
 * principal matching needs. A request that contradicts itself is refused:
 * the frontend built it, so this is a bug we must not turn into an allow.
 */
static int
principal_parse(struct iam_eval *st)
{
	const struct iam_request *req = st->req;
	const char *s = req->principal, *p, *svc, *acct, *res;
	size_t n;

	if (s == NULL)
		return -1;
	st->arnlen = n = strlen(s);
	if (req->principal_type == IAM_PRINCIPAL_SERVICE) {
		if (req->principal_account != NULL || n == 0 || n > 256)
			return -1;
		st->account = NULL;
		return 0;
	}
	if (req->principal_account == NULL || strlen(req->principal_account) != 12 ||
	    !digits12(req->principal_account) || n > IAM_ARN_MAX || n < 4 ||
	    memcmp(s, "arn:", 4) != 0)
		return -1;
	p = s + 4;
	if ((svc = strchr(p, ':')) == NULL || svc == p)
		return -1;
	st->partition = p;
	st->partlen = (size_t)(svc - p);
	svc++;
	if (strncmp(svc, "iam::", 5) != 0 && strncmp(svc, "sts::", 5) != 0)
		return -1;
	acct = svc + 5;
	if (strncmp(acct, req->principal_account, 12) != 0 || acct[12] != ':')
		return -1;
	st->account = req->principal_account;
	res = acct + 13;
	switch (req->principal_type) {
	case IAM_PRINCIPAL_ROOT:
		return svc[0] == 'i' && strcmp(res, "root") == 0 ? 0 : -1;
	case IAM_PRINCIPAL_USER:
		return svc[0] == 'i' && strncmp(res, "user/", 5) == 0 && res[5] != '\0' &&
		    s[n - 1] != '/' ? 0 : -1;
	case IAM_PRINCIPAL_ASSUMED_ROLE: {
		const char *r = res + 13, *slash;
		if (svc[0] != 's' || strncmp(res, "assumed-role/", 13) != 0 ||
		    (slash = strchr(r, '/')) == NULL || slash == r || slash[1] == '\0' ||
		    strchr(slash + 1, '/') != NULL)
			return -1;
		st->role = r;
		st->rolelen = (size_t)(slash - r);
		return 0;
	}
	default:
		return -1;
	}
}

/* Seconds since the epoch as "YYYY-MM-DDThh:mm:ssZ" (civil_from_days). */
static void
format_time(int64_t t, char out[32])
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, secs = t - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int v[6], w[6] = { 4, 2, 2, 2, 2, 2 };
	const char sep[6] = { '-', '-', 'T', ':', ':', 'Z' };
	char *o = out;

	y += m <= 2;
	v[0] = (int)y; v[1] = (int)m; v[2] = (int)d;
	v[3] = (int)(secs / 3600); v[4] = (int)(secs / 60 % 60); v[5] = (int)(secs % 60);
	if (y < 0 || y > 9999) {
		memcpy(out, "1970-01-01T00:00:00Z", 21);
		return;
	}
	for (int i = 0; i < 6; i++) {
		for (int k = w[i] - 1, x = v[i]; k >= 0; k--, x /= 10)
			o[k] = (char)('0' + x % 10);
		o += w[i];
		*o++ = sep[i];
	}
	*o = '\0';
}

static void
format_int(int64_t v, char out[24])
{
	char tmp[24];
	size_t n = 0, o = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		out[o++] = '-';
	while (n > 0)
		out[o++] = tmp[--n];
	out[o] = '\0';
}

static int
eval_init(struct iam_eval *st, const struct iam_request *req)
{
	const char *a, *colon = NULL;
	size_t n;

	st->req = req;
	st->failed = 0;
	st->nkv = 0;
	st->d_arn[0] = st->d_account[0] = st->d_type[0] = st->d_user[0] = NULL;
	st->d_service[0] = st->d_time[0] = st->d_epoch[0] = NULL;
	st->role = NULL;
	st->rolelen = 0;

	if ((a = req->action) == NULL || req->resource == NULL)
		return -1;
	/* lower-cased once, so action patterns compare byte-exact */
	for (n = 0; a[n] != '\0'; n++) {
		char c = a[n];
		if (n + 1 >= IAM_ACTION_MAX)
			return -1;
		if (c == ':') {
			if (colon != NULL)
				return -1;
			colon = st->act + n;
		}
		st->act[n] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	st->act[n] = '\0';
	if (colon == NULL || colon == st->act || colon == st->act + n - 1)
		return -1;
	st->svclen = (size_t)(colon - st->act);
	st->name = colon + 1;
	st->namelen = n - st->svclen - 1;
	st->reslen = strlen(req->resource);
	if (req->resource_account != NULL && strlen(req->resource_account) != 12)
		return -1;
	/* years 1970..9999: the clock's values print and compare without overflow */
	if (req->now < 0 || req->now > 253402300799LL)
		return -1;
	if (principal_parse(st) != 0)
		return -1;

	if (req->nctx > IAM_CTX_MAX || (req->nctx > 0 && req->ctx == NULL))
		return -1;
	for (size_t i = 0; i < req->nctx; i++) {
		const struct iam_ctx_entry *e = &req->ctx[i];
		if (e->key == NULL || (e->nvalues > 0 && e->values == NULL))
			return -1;
		for (size_t k = 0; k < e->nvalues; k++)
			if (e->values[k] == NULL)
				return -1;
		st->kv[i].key = e->key;
		st->kv[i].klen = strlen(e->key);
		st->kv[i].vals = e->values;
		st->kv[i].n = e->nvalues;
	}
	st->nkv = req->nctx;

	switch (req->principal_type) {
	case IAM_PRINCIPAL_ROOT:
		st->d_arn[0] = req->principal;
		st->d_type[0] = "Account";
		break;
	case IAM_PRINCIPAL_USER:
		st->d_arn[0] = req->principal;
		st->d_type[0] = "User";
		st->d_user[0] = strrchr(req->principal, '/') + 1;
		break;
	case IAM_PRINCIPAL_ASSUMED_ROLE: {
		/* AWS's aws:PrincipalArn of a session is its role's ARN */
		char *o = st->role_arn;
		memcpy(o, "arn:", 4);
		o += 4;
		memcpy(o, st->partition, st->partlen);
		o += st->partlen;
		memcpy(o, ":iam::", 6);
		o += 6;
		memcpy(o, st->account, 12);
		o += 12;
		memcpy(o, ":role/", 6);
		o += 6;
		memcpy(o, st->role, st->rolelen);
		o[st->rolelen] = '\0';
		st->d_arn[0] = st->role_arn;
		st->d_type[0] = "AssumedRole";
		break;
	}
	case IAM_PRINCIPAL_SERVICE:
		st->d_service[0] = req->principal;
		break;
	}
	st->d_account[0] = req->principal_account;
	if (req->now != 0) {
		format_time(req->now, st->time_iso);
		format_int(req->now, st->epoch);
		st->d_time[0] = st->time_iso;
		st->d_epoch[0] = st->epoch;
	}
	return 0;
}

/* ------------------------------------------------------------- matching */

enum { M_NONE = 0, M_ACCOUNT, M_DIRECT };

static int
action_match(const struct iam_stmt *s, const struct iam_eval *st)
{
	int found = 0;

	for (uint32_t i = 0; i < s->nactions && !found; i++) {
		const struct iam_action *a = &s->actions[i];
		found = iam_glob_match(&a->svc, st->act, st->svclen) &&
		    iam_glob_match(&a->name, st->name, st->namelen);
	}
	return s->not_action ? !found : found;
}

static int
resource_match(const struct iam_stmt *s, struct iam_eval *st)
{
	const char *r = st->req->resource;
	int found = 0;
	long n;

	if (!s->has_resource)
		return 1;	/* resource/trust policy: the resource it is attached to */
	for (uint32_t i = 0; i < s->nresources && !found; i++) {
		const struct iam_pat *p = &s->resources[i];
		if (p->npieces == 0)
			found = iam_glob_match(&p->g, r, st->reslen);
		else if ((n = iam_eval_expand(st, p->pieces, p->npieces)) >= 0)
			found = iam_wild_match(st->xbuf, st->xlit, (size_t)n, r, st->reslen);
		else if (s->not_resource)
			return 0;	/* unresolvable: the element does not match */
	}
	return s->not_resource ? !found : found;
}

static int
same_account(const struct iam_principal *pr, const struct iam_eval *st)
{
	return st->account != NULL && memcmp(pr->account, st->account, 12) == 0;
}

static int
same_partition(const struct iam_principal *pr, const struct iam_eval *st)
{
	return pr->partlen == st->partlen && memcmp(pr->partition, st->partition, st->partlen) == 0;
}

static int
service_eq(const struct iam_principal *pr, const struct iam_eval *st)
{
	return pr->arnlen == st->arnlen && icase_eq_lower(pr->arn, st->req->principal, st->arnlen);
}

/* How one Principal entry covers the caller: M_DIRECT (the caller itself,
 * its role, "*", its service name), M_ACCOUNT (only through its account,
 * for a non-root caller) or M_NONE. */
static int
entry_match(const struct iam_principal *pr, const struct iam_eval *st, int deny)
{
	enum iam_principal_type t = st->req->principal_type;

	switch (pr->kind) {
	case IAM_PR_ANY:
		/* "*" never grants a service (only {"Service": name} does), but a
		 * Deny with "*" does apply to it */
		return t != IAM_PRINCIPAL_SERVICE || deny ? M_DIRECT : M_NONE;
	case IAM_PR_SERVICE:
		return t == IAM_PRINCIPAL_SERVICE && service_eq(pr, st) ? M_DIRECT : M_NONE;
	case IAM_PR_ACCOUNT:
		if (t == IAM_PRINCIPAL_SERVICE || !same_account(pr, st) || !same_partition(pr, st))
			return M_NONE;
		return t == IAM_PRINCIPAL_ROOT ? M_DIRECT : M_ACCOUNT;
	case IAM_PR_USER:
	case IAM_PR_SESSION:
		return pr->arnlen == st->arnlen && memcmp(pr->arn, st->req->principal,
		    st->arnlen) == 0 ? M_DIRECT : M_NONE;
	case IAM_PR_ROLE:
		return t == IAM_PRINCIPAL_ASSUMED_ROLE && same_account(pr, st) &&
		    same_partition(pr, st) && pr->rolelen == st->rolelen &&
		    memcmp(pr->role, st->role, st->rolelen) == 0 ? M_DIRECT : M_NONE;
	}
	return M_NONE;
}

/*
 * NotPrincipal. A caller has up to three identities: itself, its role (a
 * session) and its account (not root). AWS evaluates NotPrincipal against
 * each, which is why its documentation lists session, role and account
 * together. We read it in the safe direction for each effect: a Deny
 * applies unless every identity is listed; an Allow applies only when none
 * is. Services: a Deny applies unless the service is listed; an Allow
 * never grants a service.
 */
static int
not_principal_match(const struct iam_stmt *s, const struct iam_eval *st)
{
	enum iam_principal_type t = st->req->principal_type;
	int self = 0, role = t != IAM_PRINCIPAL_ASSUMED_ROLE, acct = t == IAM_PRINCIPAL_ROOT;
	int all, none;

	if (t == IAM_PRINCIPAL_SERVICE) {
		for (uint32_t i = 0; i < s->nprincipals; i++)
			if (s->principals[i].kind == IAM_PR_ANY ||
			    entry_match(&s->principals[i], st, 1) != M_NONE)
				return M_NONE;
		return s->deny ? M_DIRECT : M_NONE;
	}
	for (uint32_t i = 0; i < s->nprincipals; i++) {
		const struct iam_principal *pr = &s->principals[i];
		switch (pr->kind) {
		case IAM_PR_ANY:
			return M_NONE;
		case IAM_PR_ACCOUNT:
			if (same_account(pr, st) && same_partition(pr, st)) {
				acct = 1;
				self |= t == IAM_PRINCIPAL_ROOT;
			}
			break;
		case IAM_PR_ROLE:
			role |= entry_match(pr, st, 1) == M_DIRECT;
			break;
		default:
			self |= entry_match(pr, st, 1) == M_DIRECT;
			break;
		}
	}
	all = self && role && acct;
	none = !self && (t != IAM_PRINCIPAL_ASSUMED_ROLE || !role) &&
	    (t == IAM_PRINCIPAL_ROOT || !acct);
	if (s->deny)
		return all ? M_NONE : M_DIRECT;
	return none ? M_DIRECT : M_NONE;
}

static int
principal_match(const struct iam_stmt *s, const struct iam_eval *st)
{
	int best = M_NONE, m;

	if (s->not_principal)
		return not_principal_match(s, st);
	for (uint32_t i = 0; i < s->nprincipals && best != M_DIRECT; i++)
		if ((m = entry_match(&s->principals[i], st, s->deny)) > best)
			best = m;
	return best;
}

/* Whether s applies to the request; for resource-side statements *how is
 * the strength of the principal match. Cheapest tests first. */
static int
stmt_applies(const struct iam_stmt *s, struct iam_eval *st, int resource_side, int *how)
{
	*how = M_DIRECT;
	if (!action_match(s, st))
		return 0;
	if (resource_side && (*how = principal_match(s, st)) == M_NONE)
		return 0;
	if (!resource_match(s, st))
		return 0;
	for (uint32_t i = 0; i < s->nconds; i++)
		if (!iam_cond_eval(&s->conds[i], st))
			return 0;
	return 1;
}

/* ------------------------------------------------------------- decision */

/* Copy at most len - 1 bytes, never ending inside a UTF-8 character. */
static void
copy_trunc(char *dst, size_t len, const char *src)
{
	size_t n = 0;

	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	while (n < len - 1 && src[n] != '\0')
		n++;
	if (src[n] != '\0')
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
ref_clear(struct iam_stmt_ref *r)
{
	r->index = -1;
	r->policy[0] = '\0';
	r->sid[0] = '\0';
}

static void
ref_set(struct iam_stmt_ref *r, const struct iam_attached *ap, const struct iam_stmt *s)
{
	if (ap == NULL || s == NULL) {
		ref_clear(r);
		return;
	}
	r->index = s->index;
	copy_trunc(r->policy, sizeof(r->policy), ap->name);
	if (s->sid != NULL && s->sid[0] != '\0')
		copy_trunc(r->sid, sizeof(r->sid), s->sid);
	else {
		r->sid[0] = '#';
		format_int(s->index, r->sid + 1);
	}
}

static enum iam_effect
decide(struct iam_decision *out, enum iam_effect e, enum iam_reason why,
    const struct iam_attached *bp, const struct iam_stmt *bs,
    const struct iam_attached *ap, const struct iam_stmt *as)
{
	out->effect = e;
	out->reason = why;
	ref_set(&out->by, bp, bs);
	ref_set(&out->also, ap, as);
	return e;
}

enum iam_effect
iam_evaluate(const struct iam_request *req, const struct iam_attached *ids, size_t nids,
    const struct iam_attached *res, struct iam_decision *out)
{
	struct iam_eval st;
	const struct iam_attached *id_ap = NULL, *rs_ap = NULL;
	const struct iam_stmt *id_st = NULL, *rs_st = NULL;
	int rs_how = M_NONE, how, service, same, root, trust;

	if (out == NULL)
		return IAM_IMPLICIT_DENY;
	if (req == NULL || (nids > 0 && ids == NULL) || eval_init(&st, req) != 0)
		goto bad;
	for (size_t i = 0; i < nids; i++)
		if (ids[i].policy == NULL || ids[i].policy->kind != IAM_KIND_IDENTITY)
			goto bad;
	if (res != NULL && (res->policy == NULL || (res->policy->kind != IAM_KIND_RESOURCE &&
	    res->policy->kind != IAM_KIND_TRUST)))
		goto bad;

	service = req->principal_type == IAM_PRINCIPAL_SERVICE;
	root = req->principal_type == IAM_PRINCIPAL_ROOT;
	same = !service && (req->resource_account == NULL ||
	    memcmp(req->resource_account, req->principal_account, 12) == 0);
	trust = res != NULL && res->policy->kind == IAM_KIND_TRUST;

	/*
	 * Identity side. Every Deny must be seen, but once an Allow is found
	 * (or cannot count: services have no identity side) only Deny
	 * statements are worth testing, and a policy without any is skipped.
	 */
	for (size_t i = 0; i < nids; i++) {
		const struct iam_policy *p = ids[i].policy;
		int want_allow = id_st == NULL && !service;

		if (!want_allow && !p->has_deny)
			continue;
		for (size_t k = 0; k < p->nstmts; k++) {
			const struct iam_stmt *s = &p->stmts[k];
			if (!s->deny && (id_st != NULL || service))
				continue;
			if (!stmt_applies(s, &st, 0, &how))
				continue;
			if (s->deny && st.failed)
				goto bad;	/* it may apply only because a limit was hit */
			if (s->deny)
				return decide(out, IAM_EXPLICIT_DENY, IAM_R_DENY_IDENTITY, &ids[i],
				    s, NULL, NULL);
			id_ap = &ids[i];
			id_st = s;
		}
	}
	/* Resource side: the strongest principal match wins the record. */
	if (res != NULL) {
		const struct iam_policy *p = res->policy;
		for (size_t k = 0; k < p->nstmts; k++) {
			const struct iam_stmt *s = &p->stmts[k];
			if (!s->deny && rs_how == M_DIRECT)
				continue;
			if (!stmt_applies(s, &st, 1, &how))
				continue;
			if (s->deny && st.failed)
				goto bad;
			if (s->deny)
				return decide(out, IAM_EXPLICIT_DENY, IAM_R_DENY_RESOURCE, res, s,
				    NULL, NULL);
			if (how > rs_how) {
				rs_ap = res;
				rs_st = s;
				rs_how = how;
			}
		}
	}
	/* a limit was hit somewhere: no allow may rest on a partial evaluation */
	if (st.failed)
		goto bad;

	if (service) {
		if (rs_how == M_DIRECT)
			return decide(out, IAM_ALLOW, IAM_R_ALLOW_RESOURCE, rs_ap, rs_st, NULL, NULL);
		return decide(out, IAM_IMPLICIT_DENY, IAM_R_NO_RESOURCE_ALLOW, NULL, NULL, NULL,
		    NULL);
	}
	if (same && !trust) {
		if (root)
			return decide(out, IAM_ALLOW, IAM_R_ALLOW_ROOT, NULL, NULL, NULL, NULL);
		if (id_st != NULL)
			return decide(out, IAM_ALLOW, IAM_R_ALLOW_IDENTITY, id_ap, id_st, NULL,
			    NULL);
		if (rs_how == M_DIRECT)
			return decide(out, IAM_ALLOW, IAM_R_ALLOW_RESOURCE, rs_ap, rs_st, NULL,
			    NULL);
		/* an account grant trusts the account to delegate: its users and
		 * roles still need an identity Allow */
		if (rs_how == M_ACCOUNT)
			return decide(out, IAM_IMPLICIT_DENY, IAM_R_ACCOUNT_ONLY, rs_ap, rs_st,
			    NULL, NULL);
		return decide(out, IAM_IMPLICIT_DENY, IAM_R_NO_IDENTITY_ALLOW, NULL, NULL, NULL,
		    NULL);
	}
	/* cross account, or a role's trust policy: the resource side must allow */
	if (rs_how == M_NONE)
		return decide(out, IAM_IMPLICIT_DENY, IAM_R_NO_RESOURCE_ALLOW, NULL, NULL, id_ap,
		    id_st);
	if (root || (trust && same && rs_how == M_DIRECT))
		return decide(out, IAM_ALLOW, IAM_R_ALLOW_RESOURCE, rs_ap, rs_st, NULL, NULL);
	if (id_st != NULL)
		return decide(out, IAM_ALLOW, IAM_R_ALLOW_BOTH, rs_ap, rs_st, id_ap, id_st);
	return decide(out, IAM_IMPLICIT_DENY, IAM_R_NO_IDENTITY_ALLOW, NULL, NULL, rs_ap, rs_st);
 bad:
	return decide(out, IAM_IMPLICIT_DENY, IAM_R_BAD_REQUEST, NULL, NULL, NULL, NULL);
}

const char *
iam_effect_str(enum iam_effect e)
{
	switch (e) {
	case IAM_IMPLICIT_DENY:	return "IMPLICIT_DENY";
	case IAM_EXPLICIT_DENY:	return "EXPLICIT_DENY";
	case IAM_ALLOW:		return "ALLOW";
	}
	return "IMPLICIT_DENY";
}

const char *
iam_reason_str(enum iam_reason r)
{
	switch (r) {
	case IAM_R_NONE:		return "none";
	case IAM_R_ALLOW_ROOT:		return "the account root acts on its own resource";
	case IAM_R_ALLOW_IDENTITY:	return "allowed by an identity-based policy";
	case IAM_R_ALLOW_RESOURCE:	return "allowed by the resource-based policy";
	case IAM_R_ALLOW_BOTH:		return "allowed by the resource-based policy and an "
					    "identity-based policy";
	case IAM_R_DENY_IDENTITY:	return "explicit deny in an identity-based policy";
	case IAM_R_DENY_RESOURCE:	return "explicit deny in the resource-based policy";
	case IAM_R_NO_IDENTITY_ALLOW:	return "no identity-based policy allows";
	case IAM_R_ACCOUNT_ONLY:	return "the resource-based policy grants only the "
					    "account, and no identity-based policy allows";
	case IAM_R_NO_RESOURCE_ALLOW:	return "the resource-based policy does not allow "
					    "this principal";
	case IAM_R_BAD_REQUEST:		return "the request could not be evaluated";
	}
	return "unknown";
}

int
iam_decision_format(const struct iam_decision *d, const char *action, char *buf, size_t len)
{
	const char *act = action != NULL ? action : "requested";

	switch (d->reason) {
	case IAM_R_ALLOW_ROOT:
		return snprintf(buf, len, "allowed: the account root on its own resource");
	case IAM_R_ALLOW_IDENTITY:
		return snprintf(buf, len, "allowed by identity-based policy %s statement %s",
		    d->by.policy, d->by.sid);
	case IAM_R_ALLOW_RESOURCE:
		return snprintf(buf, len, "allowed by resource-based policy %s statement %s",
		    d->by.policy, d->by.sid);
	case IAM_R_ALLOW_BOTH:
		return snprintf(buf, len, "allowed by resource-based policy %s statement %s and "
		    "identity-based policy %s statement %s", d->by.policy, d->by.sid,
		    d->also.policy, d->also.sid);
	case IAM_R_DENY_IDENTITY:
		return snprintf(buf, len, "with an explicit deny in an identity-based policy");
	case IAM_R_DENY_RESOURCE:
		return snprintf(buf, len, "with an explicit deny in a resource-based policy");
	case IAM_R_NO_IDENTITY_ALLOW:
	case IAM_R_ACCOUNT_ONLY:
		return snprintf(buf, len, "because no identity-based policy allows the %s action",
		    act);
	case IAM_R_NO_RESOURCE_ALLOW:
		return snprintf(buf, len, "because no resource-based policy allows the %s action",
		    act);
	case IAM_R_BAD_REQUEST:
	case IAM_R_NONE:
		break;
	}
	return snprintf(buf, len, "because the request could not be evaluated");
}
