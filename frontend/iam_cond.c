/*
 * iam_cond.c - the Condition element: compiling operator blocks and
 * deciding them against a request.
 *
 * Semantics (AWS's, spec/API.md section 6):
 *  - all operator blocks of a statement AND together, all keys of a block
 *    AND together, the values listed for one key OR together;
 *  - a negated operator (StringNotEquals, ArnNotLike, NumericNotEquals,
 *    DateNotEquals, NotIpAddress, ...) is the negation of its positive form
 *    over all listed values: the request value must match none of them;
 *  - a key missing from the request (or present with no values): Null
 *    tests exactly that; ...IfExists is true; ForAllValues is true
 *    (vacuously); ForAnyValue is false; a negated operator is true; any
 *    other operator is false;
 *  - ForAnyValue: some request value satisfies the operator; ForAllValues:
 *    every request value does. Without a set prefix a multi-valued key
 *    behaves like ForAnyValue for positive operators, and a negated
 *    operator requires that no request value match (NOT of the positive).
 *
 * Values are pre-parsed when the policy is compiled; request values are
 * parsed on each use, without allocating.
 */
#include "iam_internal.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------- value primitives */

static const double pow10_tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * Our own decimal parser rather than strtod(): strtod follows LC_NUMERIC,
 * and a policy must mean the same thing whatever locale a process runs in.
 * Exact for up to 19 significant digits and exponents within 10^+-22, which
 * covers every number a policy compares; the same text always gives the
 * same double, so NumericEquals on equal texts always holds.
 */
int
iam_num_parse(const char *s, size_t n, double *out)
{
	size_t i = 0;
	uint64_t mant = 0;
	int exp10 = 0, digits = 0, neg = 0, any = 0;
	double d;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = 1) {
		if (digits < 19) {
			mant = mant * 10 + (uint64_t)(s[i] - '0');
			digits += mant != 0;
		} else
			exp10++;
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = 1) {
			if (digits < 19) {
				mant = mant * 10 + (uint64_t)(s[i] - '0');
				digits += mant != 0;
				exp10--;
			}
		}
	}
	if (!any)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		int eneg = 0, e = 0, edig = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, edig++)
			if (e < 10000)
				e = e * 10 + (s[i] - '0');
		if (edig == 0)
			return -1;
		exp10 += eneg ? -e : e;
	}
	if (i != n)
		return -1;
	d = (double)mant;
	if (mant != 0) {
		if (exp10 > 400)
			exp10 = 400;
		if (exp10 < -400)
			exp10 = -400;
		while (exp10 > 22) {
			d *= 1e22;
			exp10 -= 22;
		}
		while (exp10 < -22) {
			d /= 1e22;
			exp10 += 22;
		}
		d = exp10 >= 0 ? d * pow10_tab[exp10] : d / pow10_tab[-exp10];
	}
	*out = neg ? -d : d;
	return 0;
}

static int
digits_at(const char *s, size_t n, size_t at, size_t count, int *v)
{
	*v = 0;
	if (count > 9 || at + count > n)	/* 9 digits always fit an int */
		return -1;
	for (size_t i = at; i < at + count; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm) */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
iam_date_parse(const char *s, size_t n, int64_t *ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, tz = 0;
	size_t i;

	/* epoch seconds, possibly with a fraction */
	for (i = 0; i < n && ((s[i] >= '0' && s[i] <= '9') || (i == 0 && s[i] == '-')); i++)
		;
	if (n > 0 && n <= 24 && (i == n || (s[i] == '.' && i > 0))) {
		double v;
		/* rounded by hand: the frontend does not link libm */
		if (iam_num_parse(s, n, &v) != 0 || v > 1e13 || v < -1e13)
			return -1;
		v *= 1000.0;
		*ms = (int64_t)(v >= 0 ? v + 0.5 : v - 0.5);
		return 0;
	}
	if (digits_at(s, n, 0, 4, &y) != 0 || n < 10 || s[4] != '-' ||
	    digits_at(s, n, 5, 2, &mo) != 0 || s[7] != '-' || digits_at(s, n, 8, 2, &d) != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		return -1;
	i = 10;
	if (i < n) {
		if ((s[i] != 'T' && s[i] != 't') || digits_at(s, n, i + 1, 2, &h) != 0 ||
		    i + 3 >= n || s[i + 3] != ':' || digits_at(s, n, i + 4, 2, &mi) != 0)
			return -1;
		i += 6;
		if (i < n && s[i] == ':') {
			if (digits_at(s, n, i + 1, 2, &sec) != 0)
				return -1;
			i += 3;
			if (i < n && s[i] == '.') {
				int nd = 0;
				for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++)
					if (nd < 3)
						frac = frac * 10 + (s[i] - '0');
				if (nd == 0)
					return -1;
				for (; nd < 3; nd++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (i < n && (s[i] == 'Z' || s[i] == 'z'))
			i++;
		else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int th, tm, sign = s[i] == '-' ? -1 : 1;
			if (digits_at(s, n, i + 1, 2, &th) != 0)
				return -1;
			i += 3;
			if (i < n && s[i] == ':')
				i++;
			if (digits_at(s, n, i, 2, &tm) != 0 || th > 23 || tm > 59)
				return -1;
			i += 2;
			tz = sign * (th * 3600 + tm * 60);
		}
		if (i != n)
			return -1;
	}
	*ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - tz) * 1000) + frac;
	return 0;
}

int
iam_arn_split(const char *s, size_t n, const char *part[IAM_ARN_PARTS], size_t plen[IAM_ARN_PARTS])
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i < n && k < IAM_ARN_PARTS - 1; i++) {
		if (s[i] != ':')
			continue;
		part[k] = s + start;
		plen[k++] = i - start;
		start = i + 1;
	}
	if (k != IAM_ARN_PARTS - 1)
		return -1;
	part[k] = s + start;
	plen[k] = n - start;
	return 0;
}

/* addr/bits, or a plain address (all bits) when cidr is set. */
static int
ip_parse(const char *s, size_t n, uint8_t addr[16], uint8_t *v6, uint8_t *bits, int cidr)
{
	char buf[64];
	const char *slash;
	size_t alen;
	int b = -1;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	slash = memchr(s, '/', n);
	if (slash != NULL) {
		size_t blen = n - (size_t)(slash - s) - 1;
		if (!cidr || blen == 0 || blen > 3 ||
		    digits_at(s, n, (size_t)(slash - s) + 1, blen, &b) != 0)
			return -1;
	}
	alen = slash != NULL ? (size_t)(slash - s) : n;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(addr, 0, 16);
	*v6 = memchr(buf, ':', alen) != NULL;
	if (inet_pton(*v6 ? AF_INET6 : AF_INET, buf, addr) != 1)
		return -1;
	if (b < 0)
		b = *v6 ? 128 : 32;
	if (b > (*v6 ? 128 : 32))
		return -1;
	*bits = (uint8_t)b;
	return 0;
}

static int
ip_in(const uint8_t net[16], uint8_t bits, const uint8_t a[16])
{
	size_t full = bits / 8;
	uint8_t mask;

	if (memcmp(net, a, full) != 0)
		return 0;
	if (bits % 8 == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - bits % 8));
	return (net[full] & mask) == (a[full] & mask);
}

static int
base64_ok(const char *s, size_t n)
{
	size_t i, pad = 0;

	if (n == 0 || n % 4 != 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '=') {
			if (++pad > 2)
				return 0;
			continue;
		}
		if (pad > 0 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

static int
bool_parse(const char *s, size_t n, int *b)
{
	if (n == 4 && strncasecmp(s, "true", 4) == 0)
		*b = 1;
	else if (n == 5 && strncasecmp(s, "false", 5) == 0)
		*b = 0;
	else
		return -1;
	return 0;
}

/* ------------------------------------------------------------- compiling */

static const struct op_def {
	const char	*name;
	uint8_t		 op;
	uint8_t		 negate;
} op_defs[] = {
	{ "StringEquals",		IAM_OP_STR_EQ,		0 },
	{ "StringNotEquals",		IAM_OP_STR_EQ,		1 },
	{ "StringEqualsIgnoreCase",	IAM_OP_STR_EQ_IC,	0 },
	{ "StringNotEqualsIgnoreCase",	IAM_OP_STR_EQ_IC,	1 },
	{ "StringLike",			IAM_OP_STR_LIKE,	0 },
	{ "StringNotLike",		IAM_OP_STR_LIKE,	1 },
	{ "ArnEquals",			IAM_OP_ARN_LIKE,	0 },
	{ "ArnLike",			IAM_OP_ARN_LIKE,	0 },
	{ "ArnNotEquals",		IAM_OP_ARN_LIKE,	1 },
	{ "ArnNotLike",			IAM_OP_ARN_LIKE,	1 },
	{ "NumericEquals",		IAM_OP_NUM_EQ,		0 },
	{ "NumericNotEquals",		IAM_OP_NUM_EQ,		1 },
	{ "NumericLessThan",		IAM_OP_NUM_LT,		0 },
	{ "NumericLessThanEquals",	IAM_OP_NUM_LE,		0 },
	{ "NumericGreaterThan",		IAM_OP_NUM_GT,		0 },
	{ "NumericGreaterThanEquals",	IAM_OP_NUM_GE,		0 },
	{ "DateEquals",			IAM_OP_DATE_EQ,		0 },
	{ "DateNotEquals",		IAM_OP_DATE_EQ,		1 },
	{ "DateLessThan",		IAM_OP_DATE_LT,		0 },
	{ "DateLessThanEquals",		IAM_OP_DATE_LE,		0 },
	{ "DateGreaterThan",		IAM_OP_DATE_GT,		0 },
	{ "DateGreaterThanEquals",	IAM_OP_DATE_GE,		0 },
	{ "Bool",			IAM_OP_BOOL,		0 },
	{ "Null",			IAM_OP_NULL,		0 },
	{ "IpAddress",			IAM_OP_IP,		0 },
	{ "NotIpAddress",		IAM_OP_IP,		1 },
	{ "BinaryEquals",		IAM_OP_BINARY,		0 },
};

/* "ForAnyValue:StringLikeIfExists" -> op, negate, set, if_exists. */
static int
op_lookup(const char *name, struct iam_cond *c)
{
	size_t n = strlen(name);

	if (n > 12 && strncasecmp(name, "ForAnyValue:", 12) == 0) {
		c->set = IAM_SET_ANY;
		name += 12;
		n -= 12;
	} else if (n > 13 && strncasecmp(name, "ForAllValues:", 13) == 0) {
		c->set = IAM_SET_ALL;
		name += 13;
		n -= 13;
	}
	if (n > 8 && strncasecmp(name + n - 8, "IfExists", 8) == 0) {
		c->if_exists = 1;
		n -= 8;
	}
	for (size_t i = 0; i < sizeof(op_defs) / sizeof(op_defs[0]); i++) {
		if (strlen(op_defs[i].name) != n || strncasecmp(op_defs[i].name, name, n) != 0)
			continue;
		/* Null tests presence: a set prefix or IfExists makes no sense */
		if (op_defs[i].op == IAM_OP_NULL && (c->set != IAM_SET_NONE || c->if_exists))
			return -1;
		c->op = op_defs[i].op;
		c->negate = op_defs[i].negate;
		return 0;
	}
	return -1;
}

static int
key_ok(const char *k, size_t n)
{
	const char *colon = memchr(k, ':', n);

	if (n == 0 || n > 512 || colon == NULL || colon == k || colon + 1 == k + n)
		return 0;
	for (const char *p = k; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x20 || k[i] == 0x7f)
			return 0;
	return 1;
}

/* A JSON scalar as the string AWS would compare: strings as they are,
 * numbers in their shortest round-trip form, booleans as true/false.
 * (printf and strtod follow LC_NUMERIC: the frontend runs in the C locale.) */
static int
value_text(const json_t *v, char *buf, size_t buflen, const char **s, size_t *n)
{
	if (json_is_string(v)) {
		*s = json_string_value(v);
		*n = json_string_length(v);
	} else if (json_is_integer(v)) {
		snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*s = buf;
		*n = strlen(buf);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, buflen, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		*s = buf;
		*n = strlen(buf);
	} else if (json_is_boolean(v)) {
		*s = json_is_true(v) ? "true" : "false";
		*n = strlen(*s);
	} else
		return -1;
	return 0;
}

struct ccx {
	struct iam_arena	*a;
	int			 vars;
	const char		*label;
	const char		*opname;
	const char		*key;
	char			*why;
	size_t			 whylen;
};

static int
bad_value(struct ccx *x, const char *s, const char *what)
{
	char q[80];

	iam_why_set(x->why, x->whylen, "%s: Condition %s on %s: \"%s\" is not %s", x->label,
	    x->opname, x->key, iam_quote(q, sizeof(q), s), what);
	return IAM_INVALID;
}

static int
compile_value(struct ccx *x, const struct iam_cond *c, const char *s, size_t n,
    struct iam_cval *cv)
{
	const char *part[IAM_ARN_PARTS];
	size_t plen[IAM_ARN_PARTS];
	struct iam_glob *g;
	int r, has_vars = 0;

	if (memchr(s, '\0', n) != NULL)
		return bad_value(x, s, "a valid string");
	if ((cv->str = iam_arena_strndup(x->a, s, n, c->op == IAM_OP_STR_EQ_IC)) == NULL)
		return IAM_NOMEM;
	cv->len = (uint32_t)n;
	switch (c->op) {
	case IAM_OP_STR_EQ:
	case IAM_OP_STR_EQ_IC:
	case IAM_OP_STR_LIKE:
	case IAM_OP_ARN_LIKE:
		if (x->vars) {
			if ((r = iam_vars_compile(x->a, cv->str, n, x->label, &cv->pat.pieces,
			    &cv->pat.npieces, x->why, x->whylen)) != 0)
				return r;
			has_vars = cv->pat.npieces != 0;
		}
		if (c->op == IAM_OP_STR_LIKE && !has_vars)
			return iam_glob_compile(x->a, s, n, 0, &cv->pat.g);
		if (c->op != IAM_OP_ARN_LIKE)
			return 0;
		if (iam_arn_split(s, n, part, plen) != 0)
			return bad_value(x, s, "an ARN (six parts separated by ':')");
		if (has_vars)
			return 0;	/* split again after expansion */
		if ((g = iam_arena_alloc(x->a, IAM_ARN_PARTS * sizeof(*g))) == NULL)
			return IAM_NOMEM;
		for (int i = 0; i < IAM_ARN_PARTS; i++)
			if ((r = iam_glob_compile(x->a, part[i], plen[i], 0, &g[i])) != 0)
				return r;
		cv->arn = g;
		return 0;
	case IAM_OP_NUM_EQ:
	case IAM_OP_NUM_LT:
	case IAM_OP_NUM_LE:
	case IAM_OP_NUM_GT:
	case IAM_OP_NUM_GE:
		if (iam_num_parse(s, n, &cv->u.num) != 0 || !isfinite(cv->u.num))
			return bad_value(x, s, "a number");
		return 0;
	case IAM_OP_DATE_EQ:
	case IAM_OP_DATE_LT:
	case IAM_OP_DATE_LE:
	case IAM_OP_DATE_GT:
	case IAM_OP_DATE_GE:
		if (iam_date_parse(s, n, &cv->u.ms) != 0)
			return bad_value(x, s, "an ISO 8601 date or epoch seconds");
		return 0;
	case IAM_OP_BOOL:
	case IAM_OP_NULL:
		if (bool_parse(s, n, &cv->u.b) != 0)
			return bad_value(x, s, "true or false");
		return 0;
	case IAM_OP_IP:
		if (ip_parse(s, n, cv->u.ip.addr, &cv->u.ip.v6, &cv->u.ip.bits, 1) != 0)
			return bad_value(x, s, "an IP address or CIDR block");
		return 0;
	case IAM_OP_BINARY:
		if (!base64_ok(s, n))
			return bad_value(x, s, "base64");
		return 0;
	}
	return IAM_INTERNAL;
}

int
iam_cond_compile(struct iam_arena *a, const struct json_t *cond, int vars, const char *label,
    const struct iam_cond **out, uint32_t *nout, char *why, size_t whylen)
{
	struct ccx x = { a, vars, label, NULL, NULL, why, whylen };
	struct iam_cond *conds;
	const char *opname, *key;
	json_t *block, *vals;
	size_t n = 0, k = 0;
	int r;
	char q[80], num[40];

	*out = NULL;
	*nout = 0;
	if (!json_is_object(cond)) {
		iam_why_set(why, whylen, "%s: Condition must be an object", label);
		return IAM_MALFORMED;
	}
	/* jansson's iteration API takes non-const objects; we only read */
	json_object_foreach((json_t *)cond, opname, block) {
		struct iam_cond probe = { 0 };
		if (op_lookup(opname, &probe) != 0) {
			iam_why_set(why, whylen, "%s: Invalid Condition type : %s", label,
			    iam_quote(q, sizeof(q), opname));
			return IAM_INVALID;
		}
		if (!json_is_object(block)) {
			iam_why_set(why, whylen, "%s: Condition %s must be an object of keys",
			    label, opname);
			return IAM_MALFORMED;
		}
		n += json_object_size(block);
	}
	if (n == 0)
		return 0;
	if ((conds = iam_arena_alloc(a, n * sizeof(*conds))) == NULL)
		return IAM_NOMEM;
	json_object_foreach((json_t *)cond, opname, block) {
		json_object_foreach(block, key, vals) {
			struct iam_cond *c = &conds[k++];
			struct iam_cval *cv;
			size_t nv = 1, klen = strlen(key);

			(void)op_lookup(opname, c);
			x.opname = opname;
			x.key = iam_quote(q, sizeof(q), key);
			if (!key_ok(key, klen)) {
				iam_why_set(why, whylen, "%s: Condition %s: invalid key \"%s\"",
				    label, opname, x.key);
				return IAM_INVALID;
			}
			if ((c->key = iam_arena_strndup(a, key, klen, 1)) == NULL)
				return IAM_NOMEM;
			c->keylen = (uint32_t)klen;
			if (json_is_array(vals) && (nv = json_array_size(vals)) == 0) {
				iam_why_set(why, whylen, "%s: Condition %s on %s has an empty list",
				    label, opname, x.key);
				return IAM_MALFORMED;
			}
			if ((cv = iam_arena_alloc(a, nv * sizeof(*cv))) == NULL)
				return IAM_NOMEM;
			for (size_t i = 0; i < nv; i++) {
				json_t *v = json_is_array(vals) ? json_array_get(vals, i) : vals;
				const char *s;
				size_t sl;

				if (value_text(v, num, sizeof(num), &s, &sl) != 0) {
					iam_why_set(why, whylen, "%s: Condition %s on %s: values must "
					    "be strings, numbers or booleans", label, opname, x.key);
					return IAM_MALFORMED;
				}
				if ((r = compile_value(&x, c, s, sl, &cv[i])) != 0)
					return r;
			}
			c->vals = cv;
			c->nvals = (uint32_t)nv;
		}
	}
	*out = conds;
	*nout = (uint32_t)n;
	return 0;
}

/* ------------------------------------------------------------- evaluating */

static int
icase_eq(const char *lower, const char *s, size_t n)
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

static int
icase_eq2(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

static int
arn_like(const struct iam_cval *v, struct iam_eval *st, const char *const rpart[],
    const size_t rlen[])
{
	const char *part[IAM_ARN_PARTS];
	size_t plen[IAM_ARN_PARTS];
	long n;

	if (v->arn != NULL) {
		for (int i = 0; i < IAM_ARN_PARTS; i++)
			if (!iam_glob_match(&v->arn[i], rpart[i], rlen[i]))
				return 0;
		return 1;
	}
	if ((n = iam_eval_expand(st, v->pat.pieces, v->pat.npieces)) < 0 ||
	    iam_arn_split(st->xbuf, (size_t)n, part, plen) != 0)
		return 0;
	for (int i = 0; i < IAM_ARN_PARTS; i++)
		if (!iam_wild_match(part[i], st->xlit + (part[i] - st->xbuf), plen[i], rpart[i],
		    rlen[i]))
			return 0;
	return 1;
}

/* Whether request value r matches at least one policy value (the positive
 * form of the operator). */
static int
pos_any(const struct iam_cond *c, struct iam_eval *st, const char *r, size_t rn)
{
	/* set by the parse that matches c->op; initialized for the compiler */
	const char *rpart[IAM_ARN_PARTS] = { 0 };
	size_t rlen[IAM_ARN_PARTS] = { 0 };
	uint8_t addr[16], v6 = 0, bits = 0;
	double num = 0;
	int64_t ms = 0;
	int b = 0;
	long n;

	switch (c->op) {
	case IAM_OP_NUM_EQ: case IAM_OP_NUM_LT: case IAM_OP_NUM_LE:
	case IAM_OP_NUM_GT: case IAM_OP_NUM_GE:
		if (iam_num_parse(r, rn, &num) != 0)
			return 0;
		break;
	case IAM_OP_DATE_EQ: case IAM_OP_DATE_LT: case IAM_OP_DATE_LE:
	case IAM_OP_DATE_GT: case IAM_OP_DATE_GE:
		/* the engine's own clock value: no need to print and re-parse it */
		if (r == st->time_iso || r == st->epoch)
			ms = st->req->now * 1000;
		else if (iam_date_parse(r, rn, &ms) != 0)
			return 0;
		break;
	case IAM_OP_BOOL:
		if (bool_parse(r, rn, &b) != 0)
			return 0;
		break;
	case IAM_OP_IP:
		if (ip_parse(r, rn, addr, &v6, &bits, 0) != 0)
			return 0;
		break;
	case IAM_OP_ARN_LIKE:
		if (iam_arn_split(r, rn, rpart, rlen) != 0)
			return 0;
		break;
	default:
		break;
	}
	for (uint32_t i = 0; i < c->nvals; i++) {
		const struct iam_cval *v = &c->vals[i];

		switch (c->op) {
		case IAM_OP_STR_EQ:
		case IAM_OP_BINARY:
			if (v->pat.npieces == 0) {
				if (v->len == rn && memcmp(v->str, r, rn) == 0)
					return 1;
			} else if ((n = iam_eval_expand(st, v->pat.pieces, v->pat.npieces)) >= 0 &&
			    (size_t)n == rn && memcmp(st->xbuf, r, rn) == 0)
				return 1;
			break;
		case IAM_OP_STR_EQ_IC:
			if (v->pat.npieces == 0) {
				if (v->len == rn && icase_eq(v->str, r, rn))
					return 1;
			} else if ((n = iam_eval_expand(st, v->pat.pieces, v->pat.npieces)) >= 0 &&
			    (size_t)n == rn && icase_eq2(st->xbuf, r, rn))
				return 1;
			break;
		case IAM_OP_STR_LIKE:
			if (v->pat.npieces == 0) {
				if (iam_glob_match(&v->pat.g, r, rn))
					return 1;
			} else if ((n = iam_eval_expand(st, v->pat.pieces, v->pat.npieces)) >= 0 &&
			    iam_wild_match(st->xbuf, st->xlit, (size_t)n, r, rn))
				return 1;
			break;
		case IAM_OP_ARN_LIKE:
			if (arn_like(v, st, rpart, rlen))
				return 1;
			break;
		case IAM_OP_NUM_EQ: if (num == v->u.num) return 1; break;
		case IAM_OP_NUM_LT: if (num < v->u.num) return 1; break;
		case IAM_OP_NUM_LE: if (num <= v->u.num) return 1; break;
		case IAM_OP_NUM_GT: if (num > v->u.num) return 1; break;
		case IAM_OP_NUM_GE: if (num >= v->u.num) return 1; break;
		case IAM_OP_DATE_EQ: if (ms == v->u.ms) return 1; break;
		case IAM_OP_DATE_LT: if (ms < v->u.ms) return 1; break;
		case IAM_OP_DATE_LE: if (ms <= v->u.ms) return 1; break;
		case IAM_OP_DATE_GT: if (ms > v->u.ms) return 1; break;
		case IAM_OP_DATE_GE: if (ms >= v->u.ms) return 1; break;
		case IAM_OP_BOOL:
			if (b == v->u.b)
				return 1;
			break;
		case IAM_OP_IP:
			if (v6 == v->u.ip.v6 && ip_in(v->u.ip.addr, v->u.ip.bits, addr))
				return 1;
			break;
		default:
			return 0;
		}
	}
	return 0;
}

/* The operator, negation included, for one request value. */
static int
single(const struct iam_cond *c, struct iam_eval *st, const char *r)
{
	int m = pos_any(c, st, r, strlen(r));

	return c->negate ? !m : m;
}

int
iam_cond_eval(const struct iam_cond *c, struct iam_eval *st)
{
	const char *const *vals;
	size_t n;

	vals = iam_eval_lookup(st, c->key, c->keylen, &n);
	if (c->op == IAM_OP_NULL) {
		for (uint32_t i = 0; i < c->nvals; i++)
			if (c->vals[i].u.b == (n == 0))
				return 1;
		return 0;
	}
	if (n == 0) {
		if (c->if_exists || c->set == IAM_SET_ALL)
			return 1;
		if (c->set == IAM_SET_ANY)
			return 0;
		return c->negate;
	}
	switch (c->set) {
	case IAM_SET_ALL:
		for (size_t i = 0; i < n; i++)
			if (!single(c, st, vals[i]))
				return 0;
		return 1;
	case IAM_SET_ANY:
		for (size_t i = 0; i < n; i++)
			if (single(c, st, vals[i]))
				return 1;
		return 0;
	default:
		/* positive: some value matches; negated: none does */
		for (size_t i = 0; i < n; i++)
			if (pos_any(c, st, vals[i], strlen(vals[i])))
				return !c->negate;
		return c->negate;
	}
}
