/*
 * codec_query.c - the AWS query protocol (iam, sts) over protobuf-c
 * descriptors. See codec_query.h for the formats.
 *
 * Decoding is three steps, each of which bounds what the next one sees:
 *   1. form_parse(): split the body on '&' and '=', percent-decode names
 *      and values in a private copy, refuse anything botocore would never
 *      write (empty pairs, missing '=', bad escapes, odd name characters);
 *   2. tree_insert(): the dotted names become a tree ("Tags.member.1.Key"
 *      -> Tags / member / 1 / Key); a name given twice, or both as a value
 *      and as a prefix of another name, is refused here;
 *   3. q_message(): the tree is walked along the descriptor and becomes
 *      the JSON object codec_json would have received from the JSON door
 *      (typed: "10" -> 10, "true" -> true, ISO 8601 -> epoch seconds), and
 *      codec_json_to_msg() decodes that. So required members, enums,
 *      UTF-8, base64 and the api_catalog rules are checked by exactly the
 *      code, and reported in exactly the words, of the JSON door.
 * What only query can get wrong (list numbering, a structure where a
 * value belongs, "MaxItems=ten") is reported by step 3 in botocore's words
 * ("Invalid type for parameter MaxItems, value: ..."), with botocore's
 * paths ("Tags[0].Key").
 *
 * List items must be numbered 1..n without gaps. The server never
 * allocates by a client's index: items are placed in an array of n slots
 * (n = the number of items actually sent), so "Tags.member.99999999" costs
 * nothing and is a gap.
 *
 * Encoding writes compact XML with one growing buffer; an allocation
 * failure is remembered and reported once at the end.
 */
#include "codec_query.h"
#include "utf8.h"
#include "wipe.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#define Q_NAME_MAX	128			/* a member name */
#define Q_PATH_MAX	512			/* "Tags[0].Key" */
#define Q_SHOW		80			/* codec_show() output */

/* ---- errors ------------------------------------------------------------- */

static int
q_fail(struct codec_error *err, enum codec_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
q_fail(struct codec_error *err, enum codec_err code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

static int
q_nomem(struct codec_error *err)
{
	return q_fail(err, CODEC_ERR_NOMEM, "Out of memory");
}

/* ---- 1. the form body --------------------------------------------------- */

struct qpair {
	const char	*name;		/* decoded, NUL-terminated */
	size_t		 nlen;
	const char	*value;		/* decoded, NUL-terminated (may hold NULs) */
	size_t		 vlen;
};

struct qform {
	char		*buf;		/* the decoded copy of the body */
	size_t		 blen;		/* its size (NULs are put inside) */
	struct qpair	*pairs;
	size_t		 n;
};

static int
q_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) in place ('+' is a space); -1 on a bad escape. */
static int
q_unescape(char *s, size_t n, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			s[o++] = ' ';
		else if (s[i] == '%') {
			int hi, lo;
			if (n - i < 3 || (hi = q_hex(s[i + 1])) < 0 ||
			    (lo = q_hex(s[i + 2])) < 0)
				return -1;
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			s[o++] = s[i];
	}
	*outlen = o;
	return 0;
}

/* Member names, list tokens and indexes: what a model can name. */
static int
q_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > CODEC_QUERY_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* The body may hold a secret: its decoded copy is wiped. */
static void
form_free(struct qform *f)
{
	free_wiped(f->buf, f->blen);
	free(f->pairs);
	memset(f, 0, sizeof(*f));
}

static int
form_parse(const char *body, size_t len, struct qform *f, struct codec_error *err)
{
	char shown[Q_SHOW];
	size_t i, npairs = 1, start;

	memset(f, 0, sizeof(*f));
	if (len > CODEC_QUERY_MAX_BODY)
		return q_fail(err, CODEC_ERR_SERIALIZATION,
		    "Request body too large (more than %u bytes)", CODEC_QUERY_MAX_BODY);
	if (len > 0 && body == NULL)
		return q_fail(err, CODEC_ERR_SERIALIZATION, "Missing request body");
	if (len == 0)
		return CODEC_OK;
	for (i = 0; i < len; i++)
		if (body[i] == '&' && ++npairs > CODEC_QUERY_MAX_PARAMS)
			return q_fail(err, CODEC_ERR_SERIALIZATION,
			    "Too many parameters (more than %d)", CODEC_QUERY_MAX_PARAMS);
	if ((f->buf = malloc(len + 1)) == NULL ||
	    (f->pairs = calloc(npairs, sizeof(*f->pairs))) == NULL) {
		form_free(f);
		return q_nomem(err);
	}
	f->blen = len + 1;
	memcpy(f->buf, body, len);
	f->buf[len] = '\0';
	for (start = 0; start <= len; ) {
		char *seg = f->buf + start, *amp, *eq;
		size_t seglen, klen, vlen;

		amp = memchr(seg, '&', len - start);
		seglen = amp != NULL ? (size_t)(amp - seg) : len - start;
		if (seglen == 0) {
			form_free(f);
			return q_fail(err, CODEC_ERR_SERIALIZATION,
			    "Malformed request body: empty parameter at byte %zu", start);
		}
		if ((eq = memchr(seg, '=', seglen)) == NULL) {
			codec_show(shown, sizeof(shown), seg, seglen);
			form_free(f);
			return q_fail(err, CODEC_ERR_SERIALIZATION,
			    "Malformed request body: parameter \"%s\" has no '='", shown);
		}
		klen = (size_t)(eq - seg);
		if (q_unescape(seg, klen, &klen) != 0 ||
		    q_unescape(eq + 1, seglen - (size_t)(eq - seg) - 1, &vlen) != 0) {
			codec_show(shown, sizeof(shown), seg, (size_t)(eq - seg));
			form_free(f);
			return q_fail(err, CODEC_ERR_SERIALIZATION,
			    "Malformed request body: bad percent-encoding in parameter \"%s\"",
			    shown);
		}
		if (!q_name_ok(seg, klen)) {
			codec_show(shown, sizeof(shown), seg, klen);
			form_free(f);
			return q_fail(err, CODEC_ERR_SERIALIZATION,
			    "Malformed request body: invalid parameter name \"%s\"", shown);
		}
		/* decoding only shrinks, so the NULs fit where '=' and '&' were */
		seg[klen] = '\0';
		eq[1 + vlen] = '\0';
		f->pairs[f->n].name = seg;
		f->pairs[f->n].nlen = klen;
		f->pairs[f->n].value = eq + 1;
		f->pairs[f->n].vlen = vlen;
		f->n++;
		start += seglen + 1;
	}
	return CODEC_OK;
}

static int
q_is_meta(const struct qpair *p)
{
	return strcmp(p->name, "Action") == 0 || strcmp(p->name, "Version") == 0;
}

int
codec_query_action(const char *body, size_t len, char *action, size_t alen,
    char *version, size_t vlen, struct codec_error *err)
{
	struct qform f;
	size_t i;
	int r, seen_a = 0, seen_v = 0;

	err->code = CODEC_OK;
	err->message[0] = '\0';
	if (alen > 0)
		action[0] = '\0';
	if (vlen > 0)
		version[0] = '\0';
	if ((r = form_parse(body, len, &f, err)) != CODEC_OK)
		return r;
	for (i = 0; i < f.n; i++) {
		const struct qpair *p = &f.pairs[i];
		int is_a = strcmp(p->name, "Action") == 0;
		char *dst = is_a ? action : version;
		size_t dlen = is_a ? alen : vlen;

		if (!q_is_meta(p))
			continue;
		if (is_a ? seen_a++ : seen_v++) {
			r = q_fail(err, CODEC_ERR_SERIALIZATION,
			    "Duplicate parameter: \"%s\"", p->name);
			goto out;
		}
		if (p->vlen >= dlen || memchr(p->value, '\0', p->vlen) != NULL ||
		    !q_name_ok(p->value, p->vlen)) {
			char shown[Q_SHOW];
			codec_show(shown, sizeof(shown), p->value, p->vlen);
			r = q_fail(err, CODEC_ERR_SERIALIZATION,
			    "Invalid value for parameter %s: \"%s\"", p->name, shown);
			goto out;
		}
		memcpy(dst, p->value, p->vlen + 1);
	}
	r = CODEC_OK;
 out:
	if (r != CODEC_OK) {
		if (alen > 0)
			action[0] = '\0';
		if (vlen > 0)
			version[0] = '\0';
	}
	form_free(&f);
	return r;
}

/* ---- 2. the name tree --------------------------------------------------- */

struct qnode {
	const char	*seg;		/* one dotted segment of a name */
	size_t		 seglen;
	const struct qpair *leaf;	/* the pair ending here, if any */
	struct qnode	*kids, *last, *next;
	size_t		 nkids;
};

struct qtree {
	struct qnode	*pool;
	size_t		 used, cap;
};

static struct qnode *
tree_child(const struct qnode *n, const char *seg, size_t seglen)
{
	struct qnode *k;

	for (k = n->kids; k != NULL; k = k->next)
		if (k->seglen == seglen && memcmp(k->seg, seg, seglen) == 0)
			return k;
	return NULL;
}

static int
tree_insert(struct qtree *t, const struct qpair *p, struct codec_error *err)
{
	struct qnode *n = &t->pool[0], *k;
	const char *s = p->name, *end = p->name + p->nlen;

	while (s <= end) {
		const char *dot = memchr(s, '.', (size_t)(end - s));
		size_t seglen = dot != NULL ? (size_t)(dot - s) : (size_t)(end - s);
		int last = dot == NULL;

		if (seglen == 0)
			return q_fail(err, CODEC_ERR_SERIALIZATION,
			    "Malformed request body: invalid parameter name \"%.*s\"",
			    (int)p->nlen, p->name);
		if (n->leaf != NULL)
			goto conflict;
		if ((k = tree_child(n, s, seglen)) == NULL) {
			if (t->used == t->cap)	/* cannot happen: cap counts segments */
				return q_fail(err, CODEC_ERR_SERIALIZATION, "Internal error");
			k = &t->pool[t->used++];
			k->seg = s;
			k->seglen = seglen;
			if (n->last != NULL)
				n->last->next = k;
			else
				n->kids = k;
			n->last = k;
			n->nkids++;
		} else if (last) {
			if (k->leaf != NULL)
				return q_fail(err, CODEC_ERR_SERIALIZATION,
				    "Duplicate parameter: \"%.*s\"", (int)p->nlen, p->name);
			goto conflict;
		}
		n = k;
		if (last) {
			n->leaf = p;
			return CODEC_OK;
		}
		s = dot + 1;
	}
	return CODEC_OK;
 conflict:
	return q_fail(err, CODEC_ERR_SERIALIZATION,
	    "Malformed request body: \"%.*s\" is both a value and a structure or list",
	    (int)p->nlen, p->name);
}

/* ---- 3. tree -> JSON, typed by the descriptor --------------------------- */

struct qwalk {
	struct codec_error	*err;
	unsigned		 depth;
	size_t			 pathlen;
	char			 path[Q_PATH_MAX];	/* botocore's: Tags[0].Key */
};

static size_t
walk_push_name(struct qwalk *w, const char *name)
{
	size_t old = w->pathlen;
	int n = snprintf(w->path + old, sizeof(w->path) - old, "%s%s",
	    old == 0 ? "" : ".", name);

	if (n > 0)
		w->pathlen = old + (size_t)n < sizeof(w->path) ? old + (size_t)n :
		    sizeof(w->path) - 1;
	return old;
}

static size_t
walk_push_index(struct qwalk *w, size_t i)
{
	size_t old = w->pathlen;
	int n = snprintf(w->path + old, sizeof(w->path) - old, "[%zu]", i);

	if (n > 0)
		w->pathlen = old + (size_t)n < sizeof(w->path) ? old + (size_t)n :
		    sizeof(w->path) - 1;
	return old;
}

static void
walk_pop(struct qwalk *w, size_t old)
{
	w->pathlen = old;
	w->path[old] = '\0';
}

static const char *
walk_path(const struct qwalk *w)
{
	return w->pathlen == 0 ? "input" : w->path;
}

/* botocore's wording; every query value is a string */
static int
walk_type(struct qwalk *w, const struct qnode *n, const char *valid)
{
	char shown[Q_SHOW];

	if (n->leaf == NULL)
		return q_fail(w->err, CODEC_ERR_SERIALIZATION,
		    "Invalid type for parameter %s, type: structure, valid types: %s",
		    walk_path(w), valid);
	codec_show(shown, sizeof(shown), n->leaf->value, n->leaf->vlen);
	return q_fail(w->err, CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter %s, value: \"%s\", type: string, valid "
	    "types: %s", walk_path(w), shown, valid);
}

static int
walk_value_error(struct qwalk *w, const char *why)
{
	return q_fail(w->err, CODEC_ERR_SERIALIZATION,
	    "Invalid value for parameter %s: %s", walk_path(w), why);
}

/*
 * 1 when every character of the UTF-8 string s can stand in an XML 1.0
 * document: not a C0 control other than tab, LF and CR, not U+FFFE/U+FFFF.
 * What the decoder lets in, the encoder must be able to send back.
 */
static int
q_xml_chars_ok(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (u[i] < 0x20 && u[i] != '\t' && u[i] != '\n' && u[i] != '\r')
			return 0;
		if (u[i] == 0xef && i + 2 < n && u[i + 1] == 0xbf &&
		    (u[i + 2] == 0xbe || u[i + 2] == 0xbf))
			return 0;
	}
	return 1;
}

/* Decimal integer, optional '-', no spaces or '+'; -1 not a number,
 * -2 out of the int64 range. */
static int
q_parse_int(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return -2;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

static int
q_digits(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * ISO 8601 as botocore writes it (2024-01-02T03:04:05Z, .ffffff before the
 * Z when there are microseconds), and with a +hh:mm / -hh:mm offset.
 */
static int
q_parse_timestamp(const char *s, size_t n, double *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	double frac = 0, scale = 0.1;
	size_t i = 19;
	struct tm tm;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' ||
	    q_digits(s, 4, &y) != 0 || q_digits(s + 5, 2, &mo) != 0 ||
	    q_digits(s + 8, 2, &d) != 0 || q_digits(s + 11, 2, &h) != 0 ||
	    q_digits(s + 14, 2, &mi) != 0 || q_digits(s + 17, 2, &sec) != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	if (s[i] == '.') {
		size_t start = ++i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (i == start || i - start > 9)
			return -1;
	}
	if (i + 1 == n && s[i] == 'Z')
		;
	else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
	    q_digits(s + i + 1, 2, &oh) == 0 && q_digits(s + i + 4, 2, &om) == 0 &&
	    oh <= 23 && om <= 59)
		sign = s[i] == '+' ? 1 : -1;
	else
		return -1;
	/* fields checked above, so timegm() cannot fail; its -1 is then
	 * 1969-12-31T23:59:59 (64-bit time_t: years 0000-9999 fit) */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (double)((int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60)) + frac;
	return 0;
}

static int q_message(struct qwalk *, const ProtobufCMessageDescriptor *,
    const struct qnode *, int, json_t **);

/*
 * protoc's map<K, V> field of message P: a repeated message P.<Name>Entry,
 * nested in P, of exactly the fields key and value. The nesting tells it
 * from a Tag {key, value} (pca.api.iam.Tag is not nested).
 */
static int
q_is_map_entry(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *e = f->descriptor;
	size_t dn = strlen(d->name), en;

	if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED ||
	    e == NULL || e->n_fields != 2 || strcmp(e->fields[0].name, "key") != 0 ||
	    strcmp(e->fields[1].name, "value") != 0)
		return 0;
	en = strlen(e->name);
	return en > dn + 6 && strncmp(e->name, d->name, dn) == 0 && e->name[dn] == '.' &&
	    strchr(e->name + dn + 1, '.') == NULL && strcmp(e->name + en - 5, "Entry") == 0;
}

/* A string value: UTF-8 that XML can carry, else refused here (jansson
 * would refuse the former; the encoder could not send back the latter). */
static int
q_string(struct qwalk *w, const struct qpair *p, json_t **out)
{
	if (!utf8_valid(p->value, p->vlen, NULL))
		return walk_value_error(w, "not valid UTF-8");
	if (!q_xml_chars_ok(p->value, p->vlen))
		return walk_value_error(w, "contains a control character");
	if ((*out = json_stringn(p->value, p->vlen)) == NULL)
		return q_nomem(w->err);
	return CODEC_OK;
}

/* One value of field f (a list item or the field itself). */
static int
q_value(struct qwalk *w, const ProtobufCFieldDescriptor *f, const struct qnode *n,
    json_t **out)
{
	const struct qpair *p = n->leaf;
	int64_t iv;
	double t;
	int r;

	*out = NULL;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		if (p != NULL)
			return walk_type(w, n, "structure");
		return q_message(w, f->descriptor, n, 0, out);
	}
	if (p == NULL)
		return walk_type(w, n, f->type == PROTOBUF_C_TYPE_BOOL ? "boolean" :
		    f->type == PROTOBUF_C_TYPE_DOUBLE ? "timestamp" :
		    f->type == PROTOBUF_C_TYPE_STRING ||
		    f->type == PROTOBUF_C_TYPE_ENUM ? "string" :
		    f->type == PROTOBUF_C_TYPE_BYTES ? "blob" : "integer");
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_ENUM:		/* codec_json checks the value set */
		return q_string(w, p, out);
	case PROTOBUF_C_TYPE_BYTES:		/* codec_json checks the base64 */
		if (!utf8_valid(p->value, p->vlen, NULL))
			return walk_value_error(w, "not valid base64 (standard "
			    "alphabet, padded)");
		if ((*out = json_stringn(p->value, p->vlen)) == NULL)
			return q_nomem(w->err);
		return CODEC_OK;
	case PROTOBUF_C_TYPE_BOOL:
		if (strcmp(p->value, "true") == 0 && p->vlen == 4)
			*out = json_true();
		else if (strcmp(p->value, "false") == 0 && p->vlen == 5)
			*out = json_false();
		else
			return walk_type(w, n, "boolean");
		return CODEC_OK;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		/* codec_json checks the range of the field's own type */
		if ((r = q_parse_int(p->value, p->vlen, &iv)) == -1)
			return walk_type(w, n, "integer");
		if (r != 0)
			return walk_value_error(w, "out of range for a 64-bit integer");
		if ((*out = json_integer((json_int_t)iv)) == NULL)
			return q_nomem(w->err);
		return CODEC_OK;
	case PROTOBUF_C_TYPE_DOUBLE:
		/* every double is a timestamp; the JSON door takes epoch seconds */
		if (q_parse_timestamp(p->value, p->vlen, &t) != 0)
			return walk_type(w, n, "timestamp (ISO 8601)");
		if ((*out = json_real(t)) == NULL)
			return q_nomem(w->err);
		return CODEC_OK;
	case PROTOBUF_C_TYPE_FLOAT: {
		char *end;
		double v = strtod(p->value, &end);
		if (p->vlen == 0 || end != p->value + p->vlen || v != v ||
		    v > 3.5e38 || v < -3.5e38)
			return walk_type(w, n, "float");
		if ((*out = json_real(v)) == NULL)
			return q_nomem(w->err);
		return CODEC_OK;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		break;
	}
	return q_fail(w->err, CODEC_ERR_SERIALIZATION, "Unsupported field type");
}

/* A list index: 1..CODEC_QUERY_MAX_ITEMS, decimal, no leading zero. */
static size_t
q_index(const struct qnode *k)
{
	size_t i, v = 0;

	if (k->seglen == 0 || k->seglen > 4 || k->seg[0] == '0')
		return 0;
	for (i = 0; i < k->seglen; i++) {
		if (k->seg[i] < '0' || k->seg[i] > '9')
			return 0;
		v = v * 10 + (size_t)(k->seg[i] - '0');
	}
	return v <= CODEC_QUERY_MAX_ITEMS ? v : 0;
}

/* Name.member.N... (Name.entry.N.key / .value for a map) -> JSON array */
static int
q_list(struct qwalk *w, const ProtobufCMessageDescriptor *d,
    const ProtobufCFieldDescriptor *f, const struct qnode *n, json_t **out)
{
	int map = q_is_map_entry(d, f);
	const char *token = map ? "entry" : "member";
	const struct qnode *items, *k, **slot = NULL;
	json_t *arr = NULL;
	size_t i, cnt;
	int r;

	*out = NULL;
	if (n->leaf != NULL) {
		/* botocore writes an empty list as "Name=" */
		if (n->leaf->vlen != 0)
			return walk_type(w, n, "list");
		if ((*out = json_array()) == NULL)
			return q_nomem(w->err);
		return CODEC_OK;
	}
	if (n->nkids != 1 || (items = n->kids)->seglen != strlen(token) ||
	    memcmp(items->seg, token, items->seglen) != 0 || items->leaf != NULL)
		return q_fail(w->err, CODEC_ERR_SERIALIZATION,
		    "Invalid list parameter %s: its items are named %s.N, N from 1",
		    walk_path(w), token);
	cnt = items->nkids;
	if ((slot = calloc(cnt, sizeof(*slot))) == NULL)
		return q_nomem(w->err);
	for (k = items->kids; k != NULL; k = k->next) {
		size_t idx = q_index(k);
		if (idx == 0) {
			r = q_fail(w->err, CODEC_ERR_SERIALIZATION,
			    "Invalid list parameter %s: item number \"%.*s\" is not "
			    "from 1 to %d", walk_path(w), (int)k->seglen, k->seg,
			    CODEC_QUERY_MAX_ITEMS);
			goto out;
		}
		if (idx <= cnt)			/* unique: the tree merged repeats */
			slot[idx - 1] = k;
	}
	for (i = 0; i < cnt; i++)
		if (slot[i] == NULL) {
			r = q_fail(w->err, CODEC_ERR_SERIALIZATION,
			    "Invalid list parameter %s: %s %zu is missing (items are "
			    "numbered from 1 without gaps)", walk_path(w), token, i + 1);
			goto out;
		}
	if ((arr = json_array()) == NULL) {
		r = q_nomem(w->err);
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		size_t old = walk_push_index(w, i);
		json_t *v;

		if (map) {
			if (slot[i]->leaf != NULL)
				r = walk_type(w, slot[i], "structure");
			else
				r = q_message(w, f->descriptor, slot[i], 1, &v);
		} else
			r = q_value(w, f, slot[i], &v);
		walk_pop(w, old);
		if (r != CODEC_OK)
			goto out;
		if (json_array_append_new(arr, v) != 0) {
			r = q_nomem(w->err);
			goto out;
		}
	}
	*out = arr;
	arr = NULL;
	r = CODEC_OK;
 out:
	json_decref(arr);
	free(slot);
	return r;
}

/*
 * Members whose model name is all lower case: gen_api.py keeps the name as
 * the field name, but with no upper-case letter in it codec_field_json_name()
 * cannot tell it from a snake_case name and capitalises it ("arn" -> "Arn").
 * botocore sends the model's spelling, so the query names are fixed here.
 * XXX the JSON door has the same bug; fix it at the source (gen_api.py)
 * and drop this table.
 */
static const struct {
	const char	*message;	/* descriptor name */
	const char	*field;		/* field name = model member name */
} q_lower_members[] = {
	{ "pca.api.sts.PolicyDescriptorType", "arn" },
};

/* The query name of a field: its JSON name, or key/value in a map entry. */
static const char *
q_field_name(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f,
    int map_entry, char *buf, size_t len)
{
	size_t i;

	if (map_entry)
		return f->name;
	for (i = 0; i < sizeof(q_lower_members) / sizeof(q_lower_members[0]); i++)
		if (strcmp(d->name, q_lower_members[i].message) == 0 &&
		    strcmp(f->name, q_lower_members[i].field) == 0)
			return f->name;
	return codec_field_json_name(d, f, buf, len);
}

/* 'Unknown parameter in Tags[0]: "Kee", must be one of: Key, Value' */
static int
q_unknown(struct qwalk *w, const ProtobufCMessageDescriptor *d, int map_entry,
    const struct qnode *k)
{
	char names[320], name[Q_NAME_MAX];
	size_t off = 0;
	unsigned i;

	names[0] = '\0';
	for (i = 0; i < d->n_fields && off < sizeof(names); i++) {
		int n = snprintf(names + off, sizeof(names) - off, "%s%s",
		    i == 0 ? "" : ", ",
		    q_field_name(d, &d->fields[i], map_entry, name, sizeof(name)));
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return q_fail(w->err, CODEC_ERR_SERIALIZATION,
	    "Unknown parameter in %s: \"%.*s\", must be one of: %s", walk_path(w),
	    (int)k->seglen, k->seg, names);
}

static int
q_message(struct qwalk *w, const ProtobufCMessageDescriptor *d,
    const struct qnode *n, int map_entry, json_t **out)
{
	char name[Q_NAME_MAX];
	const struct qnode *k;
	json_t *obj = NULL;
	unsigned i;
	int r;

	*out = NULL;
	if (w->depth >= CODEC_MAX_DEPTH)
		return q_fail(w->err, CODEC_ERR_SERIALIZATION,
		    "Input nested deeper than %d levels at %s", CODEC_MAX_DEPTH,
		    walk_path(w));
	/* unknown members first, as codec_json does */
	for (k = n->kids; k != NULL; k = k->next) {
		for (i = 0; i < d->n_fields; i++) {
			const char *fn = q_field_name(d, &d->fields[i], map_entry,
			    name, sizeof(name));
			if (strlen(fn) == k->seglen && memcmp(fn, k->seg, k->seglen) == 0)
				break;
		}
		if (i == d->n_fields)
			return q_unknown(w, d, map_entry, k);
	}
	if ((obj = json_object()) == NULL)
		return q_nomem(w->err);
	w->depth++;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *qn = q_field_name(d, f, map_entry, name, sizeof(name));
		size_t old;
		json_t *v;

		if ((k = tree_child(n, qn, strlen(qn))) == NULL)
			continue;
		old = walk_push_name(w, codec_field_json_name(d, f, name, sizeof(name)));
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			r = q_list(w, d, f, k, &v);
		else
			r = q_value(w, f, k, &v);
		walk_pop(w, old);
		if (r != CODEC_OK)
			goto out;
		/* the JSON door's name: codec_json looks the field up by it */
		codec_field_json_name(d, f, name, sizeof(name));
		if (json_object_set_new(obj, name, v) != 0) {
			r = q_nomem(w->err);
			goto out;
		}
	}
	*out = obj;
	obj = NULL;
	r = CODEC_OK;
 out:
	w->depth--;
	json_decref(obj);
	return r;
}

int
codec_query_decode(const char *body, size_t len, const ProtobufCMessageDescriptor *d,
    ProtobufCMessage **out, struct codec_error *err)
{
	struct qform f;
	struct qtree t = { 0 };
	struct qwalk w;
	json_t *j = NULL;
	size_t i, nseg = 1;
	int r;

	*out = NULL;
	err->code = CODEC_OK;
	err->message[0] = '\0';
	if ((r = form_parse(body, len, &f, err)) != CODEC_OK)
		return r;
	for (i = 0; i < f.n; i++) {
		const char *s;
		nseg++;
		for (s = f.pairs[i].name; *s != '\0'; s++)
			nseg += *s == '.';
	}
	if ((t.pool = calloc(nseg, sizeof(*t.pool))) == NULL) {
		r = q_nomem(err);
		goto out;
	}
	t.cap = nseg;
	t.used = 1;				/* the root */
	for (i = 0; i < f.n; i++) {
		if (q_is_meta(&f.pairs[i]))
			continue;
		if ((r = tree_insert(&t, &f.pairs[i], err)) != CODEC_OK)
			goto out;
	}
	memset(&w, 0, sizeof(w));
	w.err = err;
	if ((r = q_message(&w, d, &t.pool[0], 0, &j)) != CODEC_OK)
		goto out;
	r = codec_json_to_msg(d, j, out, err);
 out:
	json_decref(j);
	free(t.pool);
	form_free(&f);
	return r;
}

/* ---- XML out ------------------------------------------------------------ */

struct xbuf {
	char	*p;
	size_t	 len, cap;
	int	 nomem;
	int	 bad;		/* a string XML cannot carry (strict mode) */
};

static void
xb_add(struct xbuf *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (n >= b->cap - b->len || b->p == NULL) {
		size_t cap = b->cap == 0 ? 1024 : b->cap;
		char *np;
		while (cap - b->len <= n) {
			if (cap > SIZE_MAX / 2) {
				b->nomem = 1;
				return;
			}
			cap *= 2;
		}
		/* not realloc(): the old copy may hold a secret (CreateAccessKey,
		 * AssumeRole), so it is wiped before it is freed */
		if ((np = malloc(cap)) == NULL) {
			b->nomem = 1;
			return;
		}
		if (b->p != NULL) {
			memcpy(np, b->p, b->len + 1);
			free_wiped(b->p, b->cap);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
xb_str(struct xbuf *b, const char *s)
{
	xb_add(b, s, strlen(s));
}

static void
xb_printf(struct xbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
xb_printf(struct xbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->bad = 1;
		return;
	}
	xb_add(b, tmp, (size_t)n);
}

/* The length of the UTF-8 sequence at s[0..n), 0 when invalid. */
static size_t
xb_utf8_len(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t k = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 :
	    c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;

	if (k == 0 || k > n || !utf8_valid(s, k, NULL))
		return 0;
	return k;
}

/*
 * Escaped text (element content or a double-quoted attribute). CR goes
 * out as &#13;, which XML parsers would otherwise turn into LF. In strict
 * mode a character XML cannot carry (or bad UTF-8) marks the buffer bad;
 * otherwise it becomes U+FFFD.
 */
static void
xb_text(struct xbuf *b, const char *s, size_t n, int strict)
{
	size_t i = 0, run = 0;

	while (i < n) {
		const char *rep = NULL;
		size_t k = xb_utf8_len(s + i, n - i);

		if (k == 0 || !q_xml_chars_ok(s + i, k)) {
			if (strict) {
				b->bad = 1;
				return;
			}
			rep = "\xef\xbf\xbd";	/* U+FFFD */
			if (k == 0)
				k = 1;
		} else if (s[i] == '&')
			rep = "&amp;";
		else if (s[i] == '<')
			rep = "&lt;";
		else if (s[i] == '>')
			rep = "&gt;";
		else if (s[i] == '"')
			rep = "&quot;";
		else if (s[i] == '\r')
			rep = "&#13;";
		if (rep != NULL) {
			xb_add(b, s + i - run, run);
			xb_str(b, rep);
			run = 0;
		} else
			run += k;
		i += k;
	}
	xb_add(b, s + n - run, run);
}

/* <name>, </name> or <name/> */
static void
xb_tag(struct xbuf *b, const char *pre, const char *name, const char *post)
{
	xb_str(b, pre);
	xb_str(b, name);
	xb_str(b, post);
}

static void
xb_timestamp(struct xbuf *b, double t)
{
	long long s, ms;
	struct tm tm;
	time_t tt;

	if (!(t > -62135596800.0 && t < 253402300800.0)) {	/* years 1..9999, not NaN */
		b->bad = 1;
		return;
	}
	s = (long long)t;
	if ((double)s > t)
		s--;
	ms = (long long)((t - (double)s) * 1000.0 + 0.5);
	if (ms >= 1000) {
		s++;
		ms -= 1000;
	}
	tt = (time_t)s;
	if (gmtime_r(&tt, &tm) == NULL) {
		b->bad = 1;
		return;
	}
	xb_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (ms != 0)
		xb_printf(b, ".%03lld", ms);
	xb_str(b, "Z");
}

static void xb_message(struct xbuf *, const ProtobufCMessage *, unsigned, int, int);

/*
 * Members iam answers URL-encoded: the model's policyDocumentType strings
 * (GetUserPolicy, GetRolePolicy, a Role's AssumeRolePolicyDocument,
 * GetPolicyVersion). botocore (handlers.py, json_decode_policies) unquotes
 * and parses them, so the aws CLI and boto3 show the document as an
 * object, as against AWS.
 */
static const struct {
	const char	*message;	/* descriptor name */
	const char	*field;		/* field name */
} q_urlencoded_members[] = {
	{ "pca.api.iam.GetUserPolicyResponse",	"policy_document" },
	{ "pca.api.iam.GetRolePolicyResponse",	"policy_document" },
	{ "pca.api.iam.Role",			"assume_role_policy_document" },
	{ "pca.api.iam.PolicyVersion",		"document" },
};

static int
xb_is_urlencoded(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
	size_t i;

	if (f->type != PROTOBUF_C_TYPE_STRING)
		return 0;
	for (i = 0; i < sizeof(q_urlencoded_members) / sizeof(q_urlencoded_members[0]); i++)
		if (strcmp(d->name, q_urlencoded_members[i].message) == 0 &&
		    strcmp(f->name, q_urlencoded_members[i].field) == 0)
			return 1;
	return 0;
}

/* s with every byte but A-Z a-z 0-9 - . _ ~ as %XX (what Python's
 * urllib.parse.unquote() undoes: a space is %20, never '+'). s must be
 * text XML could carry as it is (strict xb_text()), so that the document
 * botocore decodes is one AWS could have sent. */
static void
xb_urlencoded(struct xbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0, i, n, k;

	if (s == NULL) {
		b->bad = 1;
		return;
	}
	n = strlen(s);
	for (i = 0; i < n; i += k)
		if ((k = xb_utf8_len(s + i, n - i)) == 0 || !q_xml_chars_ok(s + i, k)) {
			b->bad = 1;
			return;
		}
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
			run++;
			continue;
		}
		xb_add(b, s + i - run, run);
		run = 0;
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 0xf];
		xb_add(b, esc, sizeof(esc));
	}
	xb_add(b, s + i - run, run);
}

static void
xb_value(struct xbuf *b, const ProtobufCFieldDescriptor *f, const void *slot,
    unsigned depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)slot;
		if (s == NULL) {
			b->bad = 1;
			return;
		}
		xb_text(b, s, strlen(s), 1);
		return;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *d = slot;
		unsigned char *enc;
		if (d->len == 0)
			return;
		if (d->data == NULL || d->len > (size_t)INT32_MAX / 4 * 3 - 3) {
			b->bad = 1;
			return;
		}
		if ((enc = malloc((d->len + 2) / 3 * 4 + 1)) == NULL) {
			b->nomem = 1;
			return;
		}
		xb_add(b, (char *)enc, (size_t)EVP_EncodeBlock(enc, d->data, (int)d->len));
		free(enc);
		return;
	}
	case PROTOBUF_C_TYPE_BOOL:
		xb_str(b, *(const protobuf_c_boolean *)slot ? "true" : "false");
		return;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		xb_printf(b, "%d", (int)*(const int32_t *)slot);
		return;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		xb_printf(b, "%u", (unsigned)*(const uint32_t *)slot);
		return;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		xb_printf(b, "%lld", (long long)*(const int64_t *)slot);
		return;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		xb_printf(b, "%llu", (unsigned long long)*(const uint64_t *)slot);
		return;
	case PROTOBUF_C_TYPE_FLOAT:
		xb_printf(b, "%.9g", (double)*(const float *)slot);
		return;
	case PROTOBUF_C_TYPE_DOUBLE:
		xb_timestamp(b, *(const double *)slot);
		return;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev;
		char buf[Q_SHOW];
		int v = *(const int *)slot;
		/* as codec_msg_to_json: a number this build cannot name */
		if ((ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v)) == NULL)
			xb_printf(b, "%d", v);
		else
			xb_str(b, codec_enum_wire_name(f->descriptor, ev, buf, sizeof(buf)));
		return;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
		if (sub == NULL) {
			b->bad = 1;
			return;
		}
		xb_message(b, sub, depth + 1, 0, 0);
		return;
	}
	}
	b->bad = 1;
}

static int
xb_is_response(const ProtobufCMessageDescriptor *d)
{
	size_t n = strlen(d->short_name);

	return n >= 8 && strcmp(d->short_name + n - 8, "Response") == 0;
}

/* The members of m, each as <Name>...</Name>. */
static void
xb_message(struct xbuf *b, const ProtobufCMessage *m, unsigned depth, int top,
    int map_entry)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	char name[Q_NAME_MAX];
	unsigned i;

	if (d == NULL || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC ||
	    depth >= CODEC_MAX_DEPTH) {
		b->bad = 1;
		return;
	}
	for (i = 0; i < d->n_fields && !b->bad && !b->nomem; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *fn = q_field_name(d, f, map_entry, name, sizeof(name));

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset), j;
			const char *arr = *(char *const *)(base + f->offset);
			size_t size = codec_elem_size(f);
			int map = q_is_map_entry(d, f);

			if (n == 0) {
				if (top && xb_is_response(d))
					xb_tag(b, "<", fn, "/>");
				continue;
			}
			if (arr == NULL) {
				b->bad = 1;
				return;
			}
			xb_tag(b, "<", fn, ">");
			for (j = 0; j < n; j++) {
				xb_str(b, map ? "<entry>" : "<member>");
				if (map) {
					const ProtobufCMessage *e =
					    *(ProtobufCMessage *const *)(arr + j * size);
					if (e == NULL)
						b->bad = 1;
					else
						xb_message(b, e, depth + 1, 0, 1);
				} else
					xb_value(b, f, arr + j * size, depth);
				xb_str(b, map ? "</entry>" : "</member>");
			}
			xb_tag(b, "</", fn, ">");
			continue;
		}
		if (!codec_field_present(f, m))
			continue;
		xb_tag(b, "<", fn, ">");
		if (xb_is_urlencoded(d, f))
			xb_urlencoded(b, *(char *const *)(base + f->offset));
		else
			xb_value(b, f, base + f->offset, depth);
		xb_tag(b, "</", fn, ">");
	}
}

/* An element name we write ourselves: letters and digits only. */
static int
xb_name_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > Q_NAME_MAX - 16)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int
xb_finish(struct xbuf *b, char **xml, size_t *len)
{
	if (b->nomem || b->bad) {
		free_wiped(b->p, b->cap);
		return b->nomem ? CODEC_ERR_NOMEM : CODEC_ERR_SERIALIZATION;
	}
	*xml = b->p;
	*len = b->len;
	return CODEC_OK;
}

static void
xb_open_root(struct xbuf *b, const char *root, const char *suffix,
    const char *xmlns)
{
	xb_tag(b, "<", root, suffix);
	if (xmlns != NULL) {
		xb_str(b, " xmlns=\"");
		xb_text(b, xmlns, strlen(xmlns), 1);
		xb_str(b, "\"");
	}
	xb_str(b, ">");
}

static void
xb_request_id(struct xbuf *b, const char *request_id)
{
	xb_str(b, "<RequestId>");
	if (request_id != NULL)
		xb_text(b, request_id, strlen(request_id), 1);
	xb_str(b, "</RequestId>");
}

int
codec_query_encode(const char *op, const char *xmlns, const ProtobufCMessage *out,
    const char *request_id, char **xml, size_t *len)
{
	struct xbuf b = { 0 };

	*xml = NULL;
	*len = 0;
	if (!xb_name_ok(op))
		return CODEC_ERR_SERIALIZATION;
	xb_open_root(&b, op, "Response", xmlns);
	if (out != NULL && out->descriptor != NULL && out->descriptor->n_fields > 0) {
		xb_tag(&b, "<", op, "Result>");
		xb_message(&b, out, 0, 1, 0);
		xb_tag(&b, "</", op, "Result>");
	}
	xb_str(&b, "<ResponseMetadata>");
	xb_request_id(&b, request_id);
	xb_tag(&b, "</ResponseMetadata></", op, "Response>");
	return xb_finish(&b, xml, len);
}

int
codec_query_encode_error(const char *xmlns, const char *code, const char *message,
    int sender, const char *request_id, char **xml, size_t *len)
{
	struct xbuf b = { 0 };

	*xml = NULL;
	*len = 0;
	if (code == NULL)
		return CODEC_ERR_SERIALIZATION;
	xb_open_root(&b, "ErrorResponse", "", xmlns);
	xb_str(&b, "<Error><Type>");
	xb_str(&b, sender ? "Sender" : "Receiver");
	xb_str(&b, "</Type><Code>");
	xb_text(&b, code, strlen(code), 1);
	xb_str(&b, "</Code>");
	if (message != NULL) {
		xb_str(&b, "<Message>");
		xb_text(&b, message, strlen(message), 0);
		xb_str(&b, "</Message>");
	}
	xb_str(&b, "</Error>");
	xb_request_id(&b, request_id);
	xb_str(&b, "</ErrorResponse>");
	return xb_finish(&b, xml, len);
}
