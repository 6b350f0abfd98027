/*
 * iam_policy.c - parse, validate and compile IAM policy documents.
 *
 * The JSON tree (jansson) lives only inside iam_policy_parse(): everything
 * evaluation needs is copied into one arena in forms that make matching
 * cheap (lower-cased action patterns split at ':', globs classified as
 * any/exact/prefix/general, principals normalized, condition values
 * pre-parsed by iam_cond.c). The arena is freed in one go with the policy.
 */
#include "iam_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ arena */

struct iam_chunk {
	struct iam_chunk	*next;
	size_t			 size, used;
	_Alignas(16) unsigned char data[];
};

void *
iam_arena_alloc(struct iam_arena *a, size_t n)
{
	struct iam_chunk *c = a->head;
	size_t want, off;

	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (c == NULL || c->size - c->used < n) {
		want = a->next_size > n ? a->next_size : n;
		if ((c = malloc(sizeof(*c) + want)) == NULL)
			return NULL;
		c->size = want;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		/* grow geometrically so a big document costs few mallocs */
		if (a->next_size < (size_t)1 << 20)
			a->next_size = a->next_size == 0 ? 4096 : a->next_size * 2;
	}
	off = c->used;
	c->used += n;
	memset(c->data + off, 0, n);
	return c->data + off;
}

char *
iam_arena_strndup(struct iam_arena *a, const char *s, size_t n, int lower)
{
	char *d;

	if ((d = iam_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = lower && s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	d[n] = '\0';
	return d;
}

void
iam_arena_free(struct iam_arena *a)
{
	struct iam_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

/* ---------------------------------------------------------------- helpers */

void
iam_why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	/*
	 * Messages quote policy text and jansson's error text, which quotes the
	 * input: keep them one printable line of valid UTF-8 so they can go into
	 * a log line or a JSON error body as they are.
	 */
	for (unsigned char *b = (unsigned char *)why; *b != '\0'; ) {
		size_t need = *b < 0x80 ? 1 : (*b & 0xe0) == 0xc0 ? 2 : (*b & 0xf0) == 0xe0 ? 3 :
		    (*b & 0xf8) == 0xf0 ? 4 : 0, k;
		for (k = 1; k < need && (b[k] & 0xc0) == 0x80; k++)
			;
		if (need == 0 || k < need || (need == 1 && (*b < 0x20 || *b == 0x7f))) {
			*b++ = '?';
			continue;
		}
		b += need;
	}
}

const char *
iam_quote(char *buf, size_t buflen, const char *s)
{
	size_t n = 0, max = buflen > 65 ? 64 : buflen - 1;

	if (buflen == 0)
		return "";
	for (; s[n] != '\0' && n < max; n++)
		buf[n] = ((unsigned char)s[n] < 0x20 || s[n] == 0x7f) ? '?' : s[n];
	/* cut before an incomplete UTF-8 sequence so messages stay valid UTF-8 */
	if (s[n] != '\0') {
		size_t k = n;
		while (k > 0 && ((unsigned char)buf[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && (unsigned char)buf[k - 1] >= 0xc0) {
			unsigned char lead = (unsigned char)buf[k - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
			if (n - (k - 1) < need)
				n = k - 1;
		}
	}
	buf[n] = '\0';
	return buf;
}

const char *
iam_err_str(int r)
{
	switch (r) {
	case IAM_OK:		return "ok";
	case IAM_MALFORMED:	return "malformed policy document";
	case IAM_INVALID:	return "invalid policy";
	case IAM_UNSUPPORTED:	return "unsupported policy element";
	case IAM_TOO_LARGE:	return "policy too large";
	case IAM_NOT_GRANTABLE:	return "policy grants more than allowed";
	case IAM_NOMEM:		return "out of memory";
	case IAM_INTERNAL:	return "internal error";
	}
	return "unknown error";
}

/* ------------------------------------------------------------------ globs */

int
iam_glob_compile(struct iam_arena *a, const char *pat, size_t n, int lower, struct iam_glob *g)
{
	char *d;
	size_t j = 0, stars = 0, qs = 0;

	if ((d = iam_arena_alloc(a, n + 1)) == NULL)
		return IAM_NOMEM;
	for (size_t i = 0; i < n; i++) {
		char c = pat[i];
		if (c == '*' && j > 0 && d[j - 1] == '*')
			continue;	/* "a**b" == "a*b", and it bounds backtracking */
		if (lower && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		stars += c == '*';
		qs += c == '?';
		d[j++] = c;
	}
	d[j] = '\0';
	g->pat = d;
	g->len = (uint32_t)j;
	g->minlen = (uint32_t)(j - stars);
	if (j == 1 && d[0] == '*')
		g->kind = IAM_GLOB_ANY;
	else if (stars == 0 && qs == 0)
		g->kind = IAM_GLOB_EXACT;
	else if (stars == 1 && qs == 0 && d[j - 1] == '*') {
		g->kind = IAM_GLOB_PREFIX;
		g->len = (uint32_t)(j - 1);
	} else
		g->kind = IAM_GLOB_GENERAL;
	return 0;
}

/* -------------------------------------------------------- policy variables */

static int
var_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    strchr(":/_.-@+=", c) != NULL;
}

/*
 * "${" starts a variable; the text up to the next "}" is "*", "?", "$", a
 * key, or "key, 'default'". Anything else is refused rather than taken as
 * literal text, so a typo cannot silently turn into a pattern that matches
 * nothing (or, in a Deny, protects nothing).
 */
int
iam_vars_compile(struct iam_arena *a, const char *s, size_t n, const char *label,
    const struct iam_piece **out, uint32_t *nout, char *why, size_t whylen)
{
	struct iam_piece *pc;
	size_t np = 0, i, start;
	char q[80];

	*out = NULL;
	*nout = 0;
	if (memmem(s, n, "${", 2) == NULL)
		return 0;
	/* at most two pieces per "${" plus a trailing text piece */
	for (i = 0; i + 1 < n; i++)
		np += s[i] == '$' && s[i + 1] == '{';
	if ((pc = iam_arena_alloc(a, (2 * np + 1) * sizeof(*pc))) == NULL)
		return IAM_NOMEM;
	np = 0;
	for (i = 0, start = 0; i < n; ) {
		const char *end, *k, *ke, *d = NULL, *de = NULL;

		if (!(s[i] == '$' && i + 1 < n && s[i + 1] == '{')) {
			i++;
			continue;
		}
		if (i > start) {
			pc[np].kind = IAM_PIECE_TEXT;
			pc[np].text = s + start;
			pc[np].len = (uint32_t)(i - start);
			np++;
		}
		if ((end = memchr(s + i + 2, '}', n - i - 2)) == NULL)
			goto bad;
		k = s + i + 2;
		while (k < end && *k == ' ')
			k++;
		ke = k;
		if (ke < end && strchr("*?$", *ke) != NULL && (ke + 1 == end || ke[1] == ' ')) {
			for (const char *t = ke + 1; t < end; t++)
				if (*t != ' ')
					goto bad;
			pc[np].kind = IAM_PIECE_LITERAL;
			pc[np].text = ke;
			pc[np].len = 1;
			np++;
		} else {
			while (ke < end && var_key_char(*ke))
				ke++;
			if (ke == k || memchr(k, ':', (size_t)(ke - k)) == NULL)
				goto bad;
			const char *t = ke;
			while (t < end && *t == ' ')
				t++;
			if (t < end) {
				if (*t++ != ',')
					goto bad;
				while (t < end && *t == ' ')
					t++;
				if (t >= end || *t != '\'')
					goto bad;
				d = ++t;
				if ((de = memchr(d, '\'', (size_t)(end - d))) == NULL)
					goto bad;
				for (t = de + 1; t < end; t++)
					if (*t != ' ')
						goto bad;
			}
			pc[np].kind = IAM_PIECE_VAR;
			if ((pc[np].text = iam_arena_strndup(a, k, (size_t)(ke - k), 1)) == NULL)
				return IAM_NOMEM;
			pc[np].len = (uint32_t)(ke - k);
			if (d != NULL) {
				pc[np].has_def = 1;
				pc[np].def = d;
				pc[np].deflen = (uint32_t)(de - d);
			}
			np++;
		}
		i = (size_t)(end - s) + 1;
		start = i;
	}
	if (start < n) {
		pc[np].kind = IAM_PIECE_TEXT;
		pc[np].text = s + start;
		pc[np].len = (uint32_t)(n - start);
		np++;
	}
	*out = pc;
	*nout = (uint32_t)np;
	return 0;
 bad:
	iam_why_set(why, whylen, "%s: Invalid policy variable in \"%s\"", label,
	    iam_quote(q, sizeof(q), s));
	return IAM_INVALID;
}

/* ---------------------------------------------------------------- parsing */

struct parse {
	struct iam_policy	*p;
	enum iam_policy_kind	 kind;
	int			 vars;		/* Version 2012-10-17 */
	char			*why;
	size_t			 whylen;
	char			 label[96];	/* "statement #2 (Sid \"x\")" */
};

/* A string or a non-empty array of strings (other scalars refused), the
 * shape of Action, Resource and principal lists. */
static int
str_list(struct parse *ps, json_t *v, const char *elem, json_t **items, size_t *n)
{
	if (json_is_string(v)) {
		*items = v;
		*n = 1;
		return 0;
	}
	if (!json_is_array(v)) {
		iam_why_set(ps->why, ps->whylen, "%s: %s must be a string or an array of strings",
		    ps->label, elem);
		return IAM_MALFORMED;
	}
	if ((*n = json_array_size(v)) == 0) {
		iam_why_set(ps->why, ps->whylen, "%s: %s must not be an empty array", ps->label,
		    elem);
		return IAM_MALFORMED;
	}
	for (size_t i = 0; i < *n; i++)
		if (!json_is_string(json_array_get(v, i))) {
			iam_why_set(ps->why, ps->whylen, "%s: every entry of %s must be a string",
			    ps->label, elem);
			return IAM_MALFORMED;
		}
	*items = NULL;
	return 0;
}

static json_t *
list_item(json_t *v, json_t *single, size_t i)
{
	return single != NULL ? single : json_array_get(v, i);
}

static int
action_chars_ok(const char *s, size_t n, int service)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '*' || c == '?' || c == '-' || (!service && c == '_'))
			continue;
		return 0;
	}
	return 1;
}

static int
compile_actions(struct parse *ps, struct iam_stmt *st, json_t *v, const char *elem)
{
	struct iam_action *acts;
	json_t *single;
	size_t n;
	int r;
	char q[80];

	if ((r = str_list(ps, v, elem, &single, &n)) != 0)
		return r;
	if ((acts = iam_arena_alloc(&ps->p->arena, n * sizeof(*acts))) == NULL)
		return IAM_NOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *it = list_item(v, single, i);
		const char *s = json_string_value(it), *colon;
		size_t len = json_string_length(it);

		if ((acts[i].text = iam_arena_strndup(&ps->p->arena, s, len, 0)) == NULL)
			return IAM_NOMEM;
		if (len == 1 && s[0] == '*') {
			if (ps->kind == IAM_KIND_TRUST)
				goto trust;
			if ((r = iam_glob_compile(&ps->p->arena, "*", 1, 1, &acts[i].svc)) != 0 ||
			    (r = iam_glob_compile(&ps->p->arena, "*", 1, 1, &acts[i].name)) != 0)
				return r;
			continue;
		}
		colon = memchr(s, ':', len);
		if (colon == NULL || colon == s || colon + 1 == s + len ||
		    memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) != NULL) {
			iam_why_set(ps->why, ps->whylen, "%s: %s \"%s\": Actions/Conditions must be "
			    "prefaced by a vendor, e.g., iam, sdb, ec2, etc.", ps->label, elem,
			    iam_quote(q, sizeof(q), s));
			return IAM_INVALID;
		}
		if (!action_chars_ok(s, (size_t)(colon - s), 1) ||
		    !action_chars_ok(colon + 1, len - (size_t)(colon + 1 - s), 0)) {
			iam_why_set(ps->why, ps->whylen, "%s: %s \"%s\" has characters outside "
			    "letters, digits, -, _, * and ?", ps->label, elem,
			    iam_quote(q, sizeof(q), s));
			return IAM_INVALID;
		}
		if (ps->kind == IAM_KIND_TRUST &&
		    !((size_t)(colon - s) == 3 && strncasecmp(s, "sts", 3) == 0))
			goto trust;
		if ((r = iam_glob_compile(&ps->p->arena, s, (size_t)(colon - s), 1,
		    &acts[i].svc)) != 0 ||
		    (r = iam_glob_compile(&ps->p->arena, colon + 1, len - (size_t)(colon + 1 - s), 1,
		    &acts[i].name)) != 0)
			return r;
	}
	st->actions = acts;
	st->nactions = (uint32_t)n;
	return 0;
 trust:
	iam_why_set(ps->why, ps->whylen, "%s: a trust policy may only name sts actions "
	    "(e.g. sts:AssumeRole)", ps->label);
	return IAM_INVALID;
}

/* Resource patterns: "*" or an ARN pattern with all six parts. */
static int
compile_resources(struct parse *ps, struct iam_stmt *st, json_t *v, const char *elem)
{
	struct iam_pat *pats;
	json_t *single;
	size_t n;
	int r;
	char q[80];

	if ((r = str_list(ps, v, elem, &single, &n)) != 0)
		return r;
	if ((pats = iam_arena_alloc(&ps->p->arena, n * sizeof(*pats))) == NULL)
		return IAM_NOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *it = list_item(v, single, i);
		const char *s = json_string_value(it);
		size_t len = json_string_length(it), colons = 0;

		for (size_t k = 0; k < len; k++)
			colons += s[k] == ':';
		/* all six parts, unless a final '*' stands for the rest (AWS lets
		 * a trailing '*' run across ':') */
		if (!(len == 1 && s[0] == '*') && (len < 4 || memcmp(s, "arn:", 4) != 0 ||
		    (colons < 5 && !(colons >= 2 && s[len - 1] == '*')) || len > IAM_ARN_MAX)) {
			iam_why_set(ps->why, ps->whylen, "%s: %s \"%s\" must be in ARN format or \"*\"",
			    ps->label, elem, iam_quote(q, sizeof(q), s));
			return IAM_INVALID;
		}
		if (ps->vars) {
			const char *copy;
			if ((copy = iam_arena_strndup(&ps->p->arena, s, len, 0)) == NULL)
				return IAM_NOMEM;
			if ((r = iam_vars_compile(&ps->p->arena, copy, len, ps->label,
			    &pats[i].pieces, &pats[i].npieces, ps->why, ps->whylen)) != 0)
				return r;
		}
		if (pats[i].npieces == 0 &&
		    (r = iam_glob_compile(&ps->p->arena, s, len, 0, &pats[i].g)) != 0)
			return r;
	}
	st->resources = pats;
	st->nresources = (uint32_t)n;
	st->has_resource = 1;
	return 0;
}

static int
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

static int
name_chars_ok(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("+=,.@_-/", c) != NULL)
			continue;
		return 0;
	}
	return s[0] != '/' && s[n - 1] != '/' && memmem(s, n, "//", 2) == NULL;
}

/*
 * One "AWS" principal: "*", an account id, or the ARN of an account root, a
 * user, a role or a role session. Wildcards inside ARNs are refused (AWS
 * allows only "*" on its own), and so is everything we cannot match
 * exactly, so that a principal never silently matches nobody.
 */
static int
compile_aws_principal(struct parse *ps, const char *s, size_t len, struct iam_principal *pr)
{
	struct iam_arena *a = &ps->p->arena;
	const char *part, *svc, *acct, *res;
	size_t partlen;
	char buf[96], q[80];

	if (len == 1 && s[0] == '*') {
		pr->kind = IAM_PR_ANY;
		return 0;
	}
	if (len == 12 && all_digits(s, 12)) {
		snprintf(buf, sizeof(buf), "arn:aws:iam::%.12s:root", s);
		if ((pr->arn = iam_arena_strndup(a, buf, strlen(buf), 0)) == NULL)
			return IAM_NOMEM;
		pr->kind = IAM_PR_ACCOUNT;
		pr->arnlen = (uint32_t)strlen(buf);
		pr->partition = pr->arn + 4;
		pr->partlen = 3;
		memcpy(pr->account, s, 12);
		return 0;
	}
	if (len > IAM_ARN_MAX || len < 4 || memcmp(s, "arn:", 4) != 0 ||
	    memchr(s, '*', len) != NULL || memchr(s, '?', len) != NULL)
		goto bad;
	part = s + 4;
	if ((svc = memchr(part, ':', len - 4)) == NULL)
		goto bad;
	partlen = (size_t)(svc - part);
	svc++;
	if (partlen == 0 || (size_t)(s + len - svc) < 5)
		goto bad;
	for (size_t i = 0; i < partlen; i++)
		if (!((part[i] >= 'a' && part[i] <= 'z') || part[i] == '-'))
			goto bad;
	if (memcmp(svc, "iam::", 5) == 0)
		acct = svc + 5;
	else if ((size_t)(s + len - svc) > 5 && memcmp(svc, "sts::", 5) == 0)
		acct = svc + 5;
	else
		goto bad;
	if ((size_t)(s + len - acct) < 14 || !all_digits(acct, 12) || acct[12] != ':')
		goto bad;
	res = acct + 13;
	size_t rlen = (size_t)(s + len - res);
	if (svc[0] == 'i' && rlen == 4 && memcmp(res, "root", 4) == 0)
		pr->kind = IAM_PR_ACCOUNT;
	else if (svc[0] == 'i' && rlen > 5 && memcmp(res, "user/", 5) == 0 &&
	    name_chars_ok(res + 5, rlen - 5))
		pr->kind = IAM_PR_USER;
	else if (svc[0] == 'i' && rlen > 5 && memcmp(res, "role/", 5) == 0 &&
	    name_chars_ok(res + 5, rlen - 5))
		pr->kind = IAM_PR_ROLE;
	else if (svc[0] == 's' && rlen > 13 && memcmp(res, "assumed-role/", 13) == 0) {
		const char *r = res + 13, *slash = memchr(r, '/', rlen - 13);
		if (slash == NULL || slash == r || slash + 1 == res + rlen ||
		    !name_chars_ok(r, rlen - 13) || memchr(slash + 1, '/',
		    (size_t)(res + rlen - slash - 1)) != NULL)
			goto bad;
		pr->kind = IAM_PR_SESSION;
	} else if (svc[0] == 's' && rlen > 15 && memcmp(res, "federated-user/", 15) == 0) {
		iam_why_set(ps->why, ps->whylen, "%s: federated-user principals are not supported",
		    ps->label);
		return IAM_UNSUPPORTED;
	} else
		goto bad;
	if ((pr->arn = iam_arena_strndup(a, s, len, 0)) == NULL)
		return IAM_NOMEM;
	pr->arnlen = (uint32_t)len;
	pr->partition = pr->arn + 4;
	pr->partlen = (uint32_t)partlen;
	memcpy(pr->account, acct, 12);
	if (pr->kind == IAM_PR_ROLE) {
		const char *name = memrchr(res, '/', rlen) + 1;
		pr->role = pr->arn + (name - s);
		pr->rolelen = (uint32_t)(s + len - name);
	}
	return 0;
 bad:
	iam_why_set(ps->why, ps->whylen, "%s: Invalid principal in policy: \"AWS\":\"%s\"",
	    ps->label, iam_quote(q, sizeof(q), s));
	return IAM_INVALID;
}

static int
compile_service_principal(struct parse *ps, const char *s, size_t len, struct iam_principal *pr)
{
	char q[80];

	if (len < 3 || len > 128 || memchr(s, '.', len) == NULL || s[0] == '.' ||
	    s[len - 1] == '.')
		goto bad;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-'))
			goto bad;
	}
	if ((pr->arn = iam_arena_strndup(&ps->p->arena, s, len, 1)) == NULL)
		return IAM_NOMEM;
	pr->arnlen = (uint32_t)len;
	pr->kind = IAM_PR_SERVICE;
	return 0;
 bad:
	iam_why_set(ps->why, ps->whylen, "%s: Invalid principal in policy: \"Service\":\"%s\"",
	    ps->label, iam_quote(q, sizeof(q), s));
	return IAM_INVALID;
}

static int
compile_principals(struct parse *ps, struct iam_stmt *st, json_t *v, const char *elem)
{
	struct iam_principal *prs;
	const char *type;
	json_t *tv, *single;
	size_t total = 0, k = 0, n;
	int r;
	char q[80];

	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "*") != 0) {
			iam_why_set(ps->why, ps->whylen, "%s: Invalid principal in policy: %s must "
			    "be \"*\" or an object such as {\"AWS\": ...}", ps->label, elem);
			return IAM_INVALID;
		}
		if ((prs = iam_arena_alloc(&ps->p->arena, sizeof(*prs))) == NULL)
			return IAM_NOMEM;
		prs->kind = IAM_PR_ANY;
		st->principals = prs;
		st->nprincipals = 1;
		return 0;
	}
	if (!json_is_object(v)) {
		iam_why_set(ps->why, ps->whylen, "%s: %s must be \"*\" or an object", ps->label,
		    elem);
		return IAM_MALFORMED;
	}
	if (json_object_size(v) == 0) {
		iam_why_set(ps->why, ps->whylen, "%s: Invalid principal in policy: %s is empty",
		    ps->label, elem);
		return IAM_INVALID;
	}
	json_object_foreach(v, type, tv) {
		if (strcmp(type, "Federated") == 0 || strcmp(type, "CanonicalUser") == 0) {
			iam_why_set(ps->why, ps->whylen, "%s: %s principals are not supported",
			    ps->label, type);
			return IAM_UNSUPPORTED;
		}
		if (strcmp(type, "AWS") != 0 && strcmp(type, "Service") != 0) {
			iam_why_set(ps->why, ps->whylen, "%s: Invalid principal in policy: unknown "
			    "principal type \"%s\"", ps->label, iam_quote(q, sizeof(q), type));
			return IAM_INVALID;
		}
		if ((r = str_list(ps, tv, type, &single, &n)) != 0)
			return r;
		total += n;
	}
	if ((prs = iam_arena_alloc(&ps->p->arena, total * sizeof(*prs))) == NULL)
		return IAM_NOMEM;
	json_object_foreach(v, type, tv) {
		n = json_is_array(tv) ? json_array_size(tv) : 1;
		for (size_t i = 0; i < n; i++) {
			json_t *it = json_is_array(tv) ? json_array_get(tv, i) : tv;
			const char *s = json_string_value(it);
			size_t len = json_string_length(it);

			r = type[0] == 'A' ? compile_aws_principal(ps, s, len, &prs[k]) :
			    compile_service_principal(ps, s, len, &prs[k]);
			if (r != 0)
				return r;
			k++;
		}
	}
	st->principals = prs;
	st->nprincipals = (uint32_t)total;
	return 0;
}

static const char *const stmt_elems[] = {
	"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
	"NotResource", "Condition",
};

static int
compile_stmt(struct parse *ps, json_t *js, size_t index, struct iam_stmt *st)
{
	json_t *sid, *eff, *pr, *npr, *ac, *nac, *rs, *nrs, *cond, *v;
	const char *key, *e;
	int r;
	char q[80];

	st->index = (int)index;
	snprintf(ps->label, sizeof(ps->label), "statement #%zu", index);
	if (!json_is_object(js)) {
		iam_why_set(ps->why, ps->whylen, "%s is not an object", ps->label);
		return IAM_MALFORMED;
	}
	json_object_foreach(js, key, v) {
		size_t i;
		for (i = 0; i < sizeof(stmt_elems) / sizeof(stmt_elems[0]); i++)
			if (strcmp(key, stmt_elems[i]) == 0)
				break;
		if (i == sizeof(stmt_elems) / sizeof(stmt_elems[0])) {
			iam_why_set(ps->why, ps->whylen, "%s: unknown element \"%s\"", ps->label,
			    iam_quote(q, sizeof(q), key));
			return IAM_MALFORMED;
		}
	}
	if ((sid = json_object_get(js, "Sid")) != NULL) {
		if (!json_is_string(sid)) {
			iam_why_set(ps->why, ps->whylen, "%s: Sid must be a string", ps->label);
			return IAM_MALFORMED;
		}
		if ((st->sid = iam_arena_strndup(&ps->p->arena, json_string_value(sid),
		    json_string_length(sid), 0)) == NULL)
			return IAM_NOMEM;
		snprintf(ps->label, sizeof(ps->label), "statement #%zu (Sid \"%s\")", index,
		    iam_quote(q, sizeof(q), st->sid));
	}
	eff = json_object_get(js, "Effect");
	if (eff == NULL) {
		iam_why_set(ps->why, ps->whylen, "%s: Missing required field Effect", ps->label);
		return IAM_MALFORMED;
	}
	e = json_string_value(eff);
	if (e == NULL || (strcmp(e, "Allow") != 0 && strcmp(e, "Deny") != 0)) {
		iam_why_set(ps->why, ps->whylen, "%s: Effect must be \"Allow\" or \"Deny\"",
		    ps->label);
		return IAM_MALFORMED;
	}
	st->deny = e[0] == 'D';

	pr = json_object_get(js, "Principal");
	npr = json_object_get(js, "NotPrincipal");
	ac = json_object_get(js, "Action");
	nac = json_object_get(js, "NotAction");
	rs = json_object_get(js, "Resource");
	nrs = json_object_get(js, "NotResource");
	cond = json_object_get(js, "Condition");

	if (ac != NULL && nac != NULL) {
		iam_why_set(ps->why, ps->whylen, "%s has both Action and NotAction", ps->label);
		return IAM_MALFORMED;
	}
	if (ac == NULL && nac == NULL) {
		iam_why_set(ps->why, ps->whylen, "%s: Policy statement must contain actions.",
		    ps->label);
		return IAM_MALFORMED;
	}
	if (rs != NULL && nrs != NULL) {
		iam_why_set(ps->why, ps->whylen, "%s has both Resource and NotResource",
		    ps->label);
		return IAM_MALFORMED;
	}
	if (pr != NULL && npr != NULL) {
		iam_why_set(ps->why, ps->whylen, "%s has both Principal and NotPrincipal",
		    ps->label);
		return IAM_MALFORMED;
	}
	switch (ps->kind) {
	case IAM_KIND_IDENTITY:
		if (pr != NULL || npr != NULL) {
			iam_why_set(ps->why, ps->whylen, "%s: Policy document should not specify "
			    "a principal.", ps->label);
			return IAM_MALFORMED;
		}
		if (rs == NULL && nrs == NULL) {
			iam_why_set(ps->why, ps->whylen, "%s: Policy statement must contain "
			    "resources.", ps->label);
			return IAM_MALFORMED;
		}
		break;
	case IAM_KIND_RESOURCE:
		if (pr == NULL && npr == NULL) {
			iam_why_set(ps->why, ps->whylen, "%s: Missing required field Principal",
			    ps->label);
			return IAM_MALFORMED;
		}
		break;
	case IAM_KIND_TRUST:
		if (pr == NULL) {
			iam_why_set(ps->why, ps->whylen, "%s: Missing required field Principal",
			    ps->label);
			return IAM_MALFORMED;
		}
		if (npr != NULL || nac != NULL || rs != NULL || nrs != NULL) {
			iam_why_set(ps->why, ps->whylen, "%s: Has prohibited field %s", ps->label,
			    npr != NULL ? "NotPrincipal" : nac != NULL ? "NotAction" :
			    rs != NULL ? "Resource" : "NotResource");
			return IAM_MALFORMED;
		}
		break;
	}

	if ((r = compile_actions(ps, st, ac != NULL ? ac : nac,
	    ac != NULL ? "Action" : "NotAction")) != 0)
		return r;
	st->not_action = ac == NULL;
	if ((rs != NULL || nrs != NULL) && (r = compile_resources(ps, st, rs != NULL ? rs : nrs,
	    rs != NULL ? "Resource" : "NotResource")) != 0)
		return r;
	st->not_resource = nrs != NULL;
	if ((pr != NULL || npr != NULL) && (r = compile_principals(ps, st,
	    pr != NULL ? pr : npr, pr != NULL ? "Principal" : "NotPrincipal")) != 0)
		return r;
	st->not_principal = npr != NULL;
	if (cond != NULL && (r = iam_cond_compile(&ps->p->arena, cond, ps->vars, ps->label,
	    &st->conds, &st->nconds, ps->why, ps->whylen)) != 0)
		return r;
	return 0;
}

static int
compile_doc(struct parse *ps, json_t *doc, const struct iam_limits *lim)
{
	json_t *ver, *stmts, *id, *v;
	struct iam_stmt *st;
	const char *key;
	size_t n;
	int r;
	char q[80];

	snprintf(ps->label, sizeof(ps->label), "policy");
	if (!json_is_object(doc)) {
		iam_why_set(ps->why, ps->whylen, "The policy must be a JSON object");
		return IAM_MALFORMED;
	}
	json_object_foreach(doc, key, v) {
		if (strcmp(key, "Version") != 0 && strcmp(key, "Id") != 0 &&
		    strcmp(key, "Statement") != 0) {
			iam_why_set(ps->why, ps->whylen, "Unknown element \"%s\" in the policy",
			    iam_quote(q, sizeof(q), key));
			return IAM_MALFORMED;
		}
	}
	if ((ver = json_object_get(doc, "Version")) != NULL) {
		const char *s = json_string_value(ver);
		if (s == NULL || (strcmp(s, "2012-10-17") != 0 && strcmp(s, "2008-10-17") != 0)) {
			iam_why_set(ps->why, ps->whylen, "Version must be \"2012-10-17\" or "
			    "\"2008-10-17\"");
			return IAM_MALFORMED;
		}
		ps->vars = s[3] == '2';
	}
	if ((id = json_object_get(doc, "Id")) != NULL && !json_is_string(id)) {
		iam_why_set(ps->why, ps->whylen, "Id must be a string");
		return IAM_MALFORMED;
	}
	if ((stmts = json_object_get(doc, "Statement")) == NULL) {
		iam_why_set(ps->why, ps->whylen, "Missing required field Statement");
		return IAM_MALFORMED;
	}
	if (json_is_object(stmts))
		n = 1;
	else if (json_is_array(stmts) && (n = json_array_size(stmts)) > 0)
		;
	else {
		iam_why_set(ps->why, ps->whylen, "Statement must be an object or a non-empty "
		    "array of objects");
		return IAM_MALFORMED;
	}
	if (n > lim->max_statements) {
		iam_why_set(ps->why, ps->whylen, "The policy has %zu statements; at most %zu are "
		    "allowed", n, lim->max_statements);
		return IAM_TOO_LARGE;
	}
	if ((st = iam_arena_alloc(&ps->p->arena, n * sizeof(*st))) == NULL)
		return IAM_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((r = compile_stmt(ps, json_is_array(stmts) ? json_array_get(stmts, i) : stmts,
		    i, &st[i])) != 0)
			return r;
		ps->p->has_deny |= st[i].deny;
	}
	ps->p->stmts = st;
	ps->p->nstmts = n;
	return 0;
}

int
iam_policy_parse(const char *text, size_t len, enum iam_policy_kind kind,
    const struct iam_limits *limits, struct iam_policy **out, char *why, size_t whylen)
{
	struct iam_limits lim = { IAM_DEFAULT_MAX_LEN, IAM_DEFAULT_MAX_STATEMENTS };
	struct parse ps;
	struct iam_policy *p = NULL;
	json_t *doc = NULL;
	json_error_t jerr;
	char *copy;
	int r = IAM_INTERNAL;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (out == NULL)
		return IAM_INTERNAL;
	*out = NULL;
	if (text == NULL || (kind != IAM_KIND_IDENTITY && kind != IAM_KIND_RESOURCE &&
	    kind != IAM_KIND_TRUST)) {
		iam_why_set(why, whylen, "internal error: bad arguments");
		return IAM_INTERNAL;
	}
	if (limits != NULL) {
		if (limits->max_len != 0)
			lim.max_len = limits->max_len;
		if (limits->max_statements != 0)
			lim.max_statements = limits->max_statements;
	}
	/* bound the length before anything is allocated */
	if (len > lim.max_len) {
		iam_why_set(why, whylen, "The policy is %zu bytes long; at most %zu are allowed",
		    len, lim.max_len);
		return IAM_TOO_LARGE;
	}
	if (len == 0) {
		iam_why_set(why, whylen, "The policy is empty");
		return IAM_MALFORMED;
	}
	/* duplicate keys would make "which Effect counts" ambiguous */
	if ((doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		iam_why_set(why, whylen, "The policy is not valid JSON: %s (line %d, column %d)",
		    jerr.text, jerr.line, jerr.column);
		r = IAM_MALFORMED;
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		r = IAM_NOMEM;
		goto out;
	}
	atomic_init(&p->refs, 1);
	p->kind = kind;
	/* one chunk usually holds it all: the compiled form is a few times the text */
	p->arena.next_size = 2 * len + 4096;
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.kind = kind;
	ps.why = why;
	ps.whylen = whylen;
	if ((r = compile_doc(&ps, doc, &lim)) != 0)
		goto out;
	/* kept verbatim for GetPolicy */
	if ((copy = iam_arena_strndup(&p->arena, text, len, 0)) == NULL) {
		r = IAM_NOMEM;
		goto out;
	}
	p->text = copy;
	p->textlen = len;
	*out = p;
	p = NULL;
	r = 0;
 out:
	if (r == IAM_NOMEM)
		iam_why_set(why, whylen, "out of memory");
	json_decref(doc);
	iam_policy_unref(p);
	return r;
}

struct iam_policy *
iam_policy_ref(struct iam_policy *p)
{
	if (p != NULL)
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

void
iam_policy_unref(struct iam_policy *p)
{
	if (p == NULL)
		return;
	/* acq_rel: the freeing thread must see every other thread's last reads */
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	iam_arena_free(&p->arena);
	free(p);
}

const char *
iam_policy_text(const struct iam_policy *p, size_t *len)
{
	if (len != NULL)
		*len = p->textlen;
	return p->text;
}

enum iam_policy_kind
iam_policy_kind(const struct iam_policy *p)
{
	return p->kind;
}

size_t
iam_policy_statement_count(const struct iam_policy *p)
{
	return p->nstmts;
}

/* ------------------------------------------------------ what may be granted */

static void
stmt_label(const struct iam_stmt *st, char *buf, size_t len)
{
	char q[80];

	if (st->sid != NULL)
		snprintf(buf, len, "statement #%d (Sid \"%s\")", st->index,
		    iam_quote(q, sizeof(q), st->sid));
	else
		snprintf(buf, len, "statement #%d", st->index);
}

/* Whether an Allow that names everyone is narrowed to known principals. */
static int
stmt_scoped(const struct iam_stmt *st)
{
	static const char *const keys[] = { "aws:principalorgid", "aws:principalorgpaths",
	    "aws:principalaccount", "aws:principalarn", "aws:sourceaccount" };
	int anyone = st->not_principal;

	for (uint32_t i = 0; i < st->nprincipals; i++)
		anyone |= st->principals[i].kind == IAM_PR_ANY;
	if (!anyone)
		return 1;
	for (uint32_t i = 0; i < st->nconds; i++) {
		const struct iam_cond *c = &st->conds[i];
		if (c->negate || c->if_exists || c->op == IAM_OP_NULL || c->set == IAM_SET_ALL)
			continue;	/* these hold when the key is absent or differs */
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strcmp(c->key, keys[k]) == 0)
				return 1;
	}
	return 0;
}

int
iam_policy_check_grants(const struct iam_policy *p, const struct iam_grant_rules *rules,
    char *why, size_t whylen)
{
	char label[96], q[80];

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (p == NULL || rules == NULL)
		return IAM_INTERNAL;
	for (size_t i = 0; i < p->nstmts; i++) {
		const struct iam_stmt *st = &p->stmts[i];

		stmt_label(st, label, sizeof(label));
		if (rules->resource != NULL && st->has_resource) {
			if (st->not_resource) {
				iam_why_set(why, whylen, "%s: NotResource is not allowed; name the "
				    "resource", label);
				return IAM_NOT_GRANTABLE;
			}
			for (uint32_t k = 0; k < st->nresources; k++) {
				const struct iam_pat *rp = &st->resources[k];
				if (rp->npieces != 0 || rp->g.kind != IAM_GLOB_EXACT ||
				    strcmp(rp->g.pat, rules->resource) != 0) {
					iam_why_set(why, whylen, "%s: the Resource must be %s", label,
					    rules->resource);
					return IAM_NOT_GRANTABLE;
				}
			}
		}
		if (st->deny)
			continue;	/* a Deny only takes away */
		if (st->not_action) {
			iam_why_set(why, whylen, "%s: NotAction in an Allow statement grants "
			    "too much", label);
			return IAM_NOT_GRANTABLE;
		}
		if (!rules->public_ok && !stmt_scoped(st)) {
			iam_why_set(why, whylen, "%s: an Allow for every principal must be "
			    "narrowed by a condition on aws:PrincipalOrgID, aws:PrincipalOrgPaths "
			    "or aws:PrincipalAccount", label);
			return IAM_NOT_GRANTABLE;
		}
		for (uint32_t k = 0; k < st->nactions; k++) {
			const struct iam_action *ac = &st->actions[k];
			size_t j;

			if (ac->svc.kind != IAM_GLOB_EXACT || ac->name.kind != IAM_GLOB_EXACT) {
				iam_why_set(why, whylen, "%s: the action %s is over-broad; name each "
				    "action", label, iam_quote(q, sizeof(q), ac->text));
				return IAM_NOT_GRANTABLE;
			}
			for (j = 0; j < rules->nactions; j++) {
				const char *a = rules->actions[j], *c = strchr(a, ':');
				if (c != NULL && (size_t)(c - a) == ac->svc.len &&
				    strncasecmp(a, ac->svc.pat, ac->svc.len) == 0 &&
				    strcasecmp(c + 1, ac->name.pat) == 0)
					break;
			}
			if (j == rules->nactions) {
				iam_why_set(why, whylen, "%s: the action %s may not be granted by "
				    "this policy", label, iam_quote(q, sizeof(q), ac->text));
				return IAM_NOT_GRANTABLE;
			}
		}
	}
	return 0;
}
