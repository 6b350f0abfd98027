/*
 * codec_json.c - the descriptor-driven JSON <-> protobuf codec.
 *
 * Everything here walks ProtobufCMessageDescriptor tables: field offsets,
 * quantifier offsets (has_ flags and list counts), labels and types. No
 * operation is named in this file, so a new operation needs only a
 * regenerated schema (tools/gen_api.py).
 *
 * Decoding JSON is one pass per message in descriptor (= model) order:
 *   1. members the descriptor does not know are refused (see below);
 *   2. each field is looked up by its JSON name, converted, stored, and its
 *      api_catalog rules checked.
 * Serialization errors stop the pass at once. Validation errors (missing
 * member, enum, length, count, range) are recorded, the first one wins, and
 * the pass goes on, so a serialization error anywhere in the body still
 * outranks them, as it does on AWS, where the body is deserialized before
 * it is validated.
 *
 * Unknown members. AWS JSON 1.1 servers differ (Coral ignores most unknown
 * members), but botocore validates its input against the same model and
 * never sends one, and our CLI builds its JSON from the descriptor too. An
 * unknown member therefore means a typo or a client built against another
 * model; silently dropping it could turn "Tagz" into a CA without tags. We
 * refuse it as a SerializationException with botocore's wording:
 *   Unknown parameter in Validity: "Vaule", must be one of: Value, Type
 *
 * Messages built by protobuf-c's unpack (the native door) go through the
 * same checks in codec_msg_check(), minus the JSON type checks and plus
 * unknown protobuf fields, unknown enum numbers and UTF-8 validity (proto2
 * strings are not checked by protobuf-c).
 */
#include "codec_json.h"
#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_catalog.h"

/* Packages of rest-json services: their JSON member names are camelCase. */
static const char *const codec_camel_packages[] = {
	"pca.api.ram",
};

#define CODEC_NAME_MAX	128			/* a JSON member name */
#define CODEC_PATH_MAX	(2 * CODEC_MAX_DEPTH + 2) /* field + list item per level */
#define CODEC_SHOW_MAX	64			/* bytes of a rejected value echoed */

/* One step of the path to the value being looked at, for error messages. */
struct codec_seg {
	const ProtobufCMessageDescriptor	*msg;	/* the field's message */
	const ProtobufCFieldDescriptor		*field;
	size_t					 index;	/* list item, if is_item */
	int					 is_item;
};

struct codec_walk {
	struct codec_error	*err;
	unsigned		 depth;		/* messages entered */
	int			 invalid;	/* err holds a validation error */
	size_t			 npath;
	struct codec_seg	 path[CODEC_PATH_MAX];
};

/* ---- small helpers ----------------------------------------------------- */

static void
sbuf_add(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Append to buf, truncating silently: error messages are best effort. */
static void
sbuf_add(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*off = (size_t)n >= len - *off ? len - 1 : *off + (size_t)n;
}

/*
 * Copy at most CODEC_SHOW_MAX bytes of a client's value for an error
 * message: cut on a UTF-8 boundary, control characters replaced, "..."
 * when cut. Messages end up in logs; they must stay one printable line.
 */
void
codec_show(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t i, o = 0, lim = n > CODEC_SHOW_MAX ? CODEC_SHOW_MAX : n;

	if (lim < n)
		while (lim > 0 && ((unsigned char)s[lim] & 0xc0) == 0x80)
			lim--;
	for (i = 0; i < lim && o + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (lim < n)
		for (i = 0; i < 3 && o + 1 < dstlen; i++)
			dst[o++] = '.';
	if (dstlen > 0)
		dst[o] = '\0';
}


static const char codec_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding; NULL on allocation failure. */
static char *
codec_b64_encode(const uint8_t *p, size_t n, size_t *outlen)
{
	size_t i, o = 0, len;
	char *out;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	len = (n + 2) / 3 * 4;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = codec_b64_alphabet[v >> 18];
		out[o++] = codec_b64_alphabet[(v >> 12) & 63];
		out[o++] = codec_b64_alphabet[(v >> 6) & 63];
		out[o++] = codec_b64_alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = codec_b64_alphabet[v >> 18];
		out[o++] = codec_b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? codec_b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static int
codec_b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict base64: standard alphabet, padded to a multiple of 4, no
 * whitespace, and the unused bits of the last group zero. Every encoder
 * produces exactly this; refusing the other spellings means one byte string
 * has one JSON form (idempotency tokens and logs compare equal).
 * Returns 0, -1 (not base64) or -2 (out of memory).
 */
static int
codec_b64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen)
{
	size_t pad = 0, i, o = 0;
	uint8_t *buf;
	uint32_t acc = 0;

	*out = NULL;
	*outlen = 0;
	if (n % 4 != 0)
		return -1;
	if (n == 0)
		return 0;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	if ((buf = malloc(n / 4 * 3)) == NULL)
		return -2;
	for (i = 0; i < n - pad; i++) {
		int v = codec_b64_value(s[i]);
		if (v < 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			buf[o++] = (uint8_t)(acc >> 16);
			buf[o++] = (uint8_t)(acc >> 8);
			buf[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (pad == 1) {			/* 3 symbols: 18 bits, 2 bytes */
		if ((acc & 0x3) != 0)
			goto bad;
		buf[o++] = (uint8_t)(acc >> 10);
		buf[o++] = (uint8_t)(acc >> 2);
	} else if (pad == 2) {		/* 2 symbols: 12 bits, 1 byte */
		if ((acc & 0xf) != 0)
			goto bad;
		buf[o++] = (uint8_t)(acc >> 4);
	}
	*out = buf;
	*outlen = o;
	return 0;
 bad:
	free(buf);
	return -1;
}

/* ---- names -------------------------------------------------------------- */

static int
codec_package_is_camel(const ProtobufCMessageDescriptor *msg)
{
	size_t i;

	if (msg == NULL || msg->package_name == NULL)
		return 0;
	for (i = 0; i < sizeof(codec_camel_packages) / sizeof(codec_camel_packages[0]); i++)
		if (strcmp(msg->package_name, codec_camel_packages[i]) == 0)
			return 1;
	return 0;
}

const char *
codec_field_json_name(const ProtobufCMessageDescriptor *msg,
    const ProtobufCFieldDescriptor *f, char *buf, size_t len)
{
	const char *p;
	size_t o = 0;
	int up = 1, camel;

	if (len == 0)
		return "";
	/* gen_api.py keeps a member's own spelling when snake_case would not
	 * convert back to it ("CRLSign"); upper case tells us so */
	for (p = f->name; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z') {
			snprintf(buf, len, "%s", f->name);
			return buf;
		}
	camel = codec_package_is_camel(msg);
	for (p = f->name; *p != '\0' && o + 1 < len; p++) {
		if (*p == '_') {
			up = 1;
			continue;
		}
		if (up && !(camel && o == 0) && *p >= 'a' && *p <= 'z')
			buf[o++] = (char)(*p - 'a' + 'A');
		else
			buf[o++] = *p;
		up = 0;
	}
	buf[o] = '\0';
	return buf;
}

const char *
codec_enum_wire_name(const ProtobufCEnumDescriptor *e,
    const ProtobufCEnumValue *v, char *buf, size_t len)
{
	size_t plen = strlen(e->short_name), o = 0;
	const char *p;

	if (strncmp(v->name, e->short_name, plen) != 0 || v->name[plen] != '_')
		return v->name;
	p = v->name + plen + 1;
	if (strstr(p, "_x2D_") == NULL && strstr(p, "_x2E_") == NULL)
		return p;
	if (len == 0)
		return "";
	while (*p != '\0' && o + 1 < len) {
		if (strncmp(p, "_x2D_", 5) == 0) {
			buf[o++] = '-';
			p += 5;
		} else if (strncmp(p, "_x2E_", 5) == 0) {
			buf[o++] = '.';
			p += 5;
		} else
			buf[o++] = *p++;
	}
	buf[o] = '\0';
	return buf;
}

const ProtobufCEnumValue *
codec_enum_from_wire(const ProtobufCEnumDescriptor *e, const char *s)
{
	char buf[CODEC_NAME_MAX];
	unsigned i;

	/* a dozen values at most: compare wire spellings, which cannot be
	 * fooled by a client sending the escaped form ("A_x2D_B") */
	for (i = 0; i < e->n_values; i++)
		if (strcmp(codec_enum_wire_name(e, &e->values[i], buf,
		    sizeof(buf)), s) == 0)
			return &e->values[i];
	return NULL;
}

static const ProtobufCFieldDescriptor *
codec_field_by_json_name(const ProtobufCMessageDescriptor *d, const char *key,
    size_t keylen)
{
	char buf[CODEC_NAME_MAX];
	unsigned i;

	for (i = 0; i < d->n_fields; i++) {
		const char *n = codec_field_json_name(d, &d->fields[i], buf, sizeof(buf));
		if (strlen(n) == keylen && memcmp(n, key, keylen) == 0)
			return &d->fields[i];
	}
	return NULL;
}

/* ---- field layout ------------------------------------------------------- */

size_t
codec_elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/* proto2 optional scalars and bytes carry a has_ flag; strings and
 * messages are present when their pointer is set */
static int
codec_has_flag(const ProtobufCFieldDescriptor *f)
{
	return f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE &&
	    (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) == 0;
}

int
codec_field_present(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
	const char *base = (const char *)m;

	if (codec_has_flag(f))
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset) != 0;
	if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(void *const *)(base + f->offset) != NULL;
	return 1;	/* required (or proto3) scalar: always has a value */
}

/* ---- paths and errors --------------------------------------------------- */

static void
walk_push(struct codec_walk *w, const ProtobufCMessageDescriptor *msg,
    const ProtobufCFieldDescriptor *f)
{
	if (w->npath < CODEC_PATH_MAX) {
		w->path[w->npath].msg = msg;
		w->path[w->npath].field = f;
		w->path[w->npath].is_item = 0;
	}
	w->npath++;
}

static void
walk_push_item(struct codec_walk *w, size_t index)
{
	if (w->npath < CODEC_PATH_MAX) {
		w->path[w->npath] = w->path[w->npath - 1];
		w->path[w->npath].index = index;
		w->path[w->npath].is_item = 1;
	}
	w->npath++;
}

static void
walk_pop(struct codec_walk *w)
{
	w->npath--;
}

/* botocore's spelling: "input", "Validity", "Tags[0].Key" */
static void
walk_path_boto(const struct codec_walk *w, char *buf, size_t len)
{
	size_t i, n = w->npath < CODEC_PATH_MAX ? w->npath : CODEC_PATH_MAX, off = 0;
	char name[CODEC_NAME_MAX];

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct codec_seg *s = &w->path[i];
		if (s->is_item)
			sbuf_add(buf, len, &off, "[%zu]", s->index);
		else
			sbuf_add(buf, len, &off, "%s%s", off == 0 ? "" : ".",
			    codec_field_json_name(s->msg, s->field, name, sizeof(name)));
	}
	if (off == 0)
		snprintf(buf, len, "input");
}

/* AWS's (Coral's) spelling: "validity.value", "tags.1.member.key" */
static void
walk_path_aws(const struct codec_walk *w, char *buf, size_t len)
{
	size_t i, n = w->npath < CODEC_PATH_MAX ? w->npath : CODEC_PATH_MAX, off = 0;
	char name[CODEC_NAME_MAX];

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct codec_seg *s = &w->path[i];
		if (s->is_item) {
			sbuf_add(buf, len, &off, ".%zu.member", s->index + 1);
			continue;
		}
		codec_field_json_name(s->msg, s->field, name, sizeof(name));
		if (name[0] >= 'A' && name[0] <= 'Z')
			name[0] = (char)(name[0] - 'A' + 'a');
		sbuf_add(buf, len, &off, "%s%s", off == 0 ? "" : ".", name);
	}
}

static int
walk_fail(struct codec_walk *w, enum codec_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A hard error: it replaces any validation error and stops the walk. */
static int
walk_fail(struct codec_walk *w, enum codec_err code, const char *fmt, ...)
{
	va_list ap;

	w->err->code = code;
	va_start(ap, fmt);
	vsnprintf(w->err->message, sizeof(w->err->message), fmt, ap);
	va_end(ap);
	w->invalid = 0;
	return -1;
}

static int
walk_nomem(struct codec_walk *w)
{
	return walk_fail(w, CODEC_ERR_NOMEM, "Out of memory");
}

static void
walk_constraint(struct codec_walk *w, const char *shown, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A validation error at the current path, in AWS's words:
 *   1 validation error detected: Value 'x' at 'a.b' failed to satisfy
 *   constraint: Member must ...
 * Only the first is kept (and reported as the only one).
 */
static void
walk_constraint(struct codec_walk *w, const char *shown, const char *fmt, ...)
{
	char path[256];
	size_t off = 0;
	va_list ap;

	if (w->invalid)
		return;
	w->invalid = 1;
	w->err->code = CODEC_ERR_VALIDATION;
	walk_path_aws(w, path, sizeof(path));
	sbuf_add(w->err->message, sizeof(w->err->message), &off,
	    "1 validation error detected: %s at '%s' failed to satisfy "
	    "constraint: ", shown, path);
	if (off < sizeof(w->err->message)) {
		va_start(ap, fmt);
		vsnprintf(w->err->message + off, sizeof(w->err->message) - off, fmt, ap);
		va_end(ap);
	}
}

/* A missing required member, in botocore's words (the path is that of
 * the structure that lacks it). */
static void
walk_missing(struct codec_walk *w, const char *member)
{
	char path[256];

	if (w->invalid)
		return;
	w->invalid = 1;
	w->err->code = CODEC_ERR_VALIDATION;
	walk_path_boto(w, path, sizeof(path));
	snprintf(w->err->message, sizeof(w->err->message),
	    "Missing required parameter in %s: \"%s\"", path, member);
}

static const char *
codec_json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:	return "object";
	case JSON_ARRAY:	return "list";
	case JSON_STRING:	return "string";
	case JSON_INTEGER:	return "integer";
	case JSON_REAL:		return "number";
	case JSON_TRUE:
	case JSON_FALSE:	return "boolean";
	case JSON_NULL:		return "null";
	}
	return "unknown";
}

/* "Invalid type for parameter Validity.Value, value: "30", type: string,
 * valid types: integer" (botocore's wording; objects are not echoed) */
static int
walk_type(struct codec_walk *w, const json_t *v, const char *valid)
{
	char path[256], shown[CODEC_SHOW_MAX + 8], val[CODEC_SHOW_MAX + 48];

	walk_path_boto(w, path, sizeof(path));
	val[0] = '\0';
	if (json_is_string(v)) {
		codec_show(shown, sizeof(shown), json_string_value(v), json_string_length(v));
		snprintf(val, sizeof(val), " value: \"%s\",", shown);
	} else if (json_is_integer(v))
		snprintf(val, sizeof(val), " value: %lld,", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(val, sizeof(val), " value: %.17g,", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(val, sizeof(val), " value: %s,", json_is_true(v) ? "true" : "false");
	return walk_fail(w, CODEC_ERR_SERIALIZATION,
	    "Invalid type for parameter %s,%s type: %s, valid types: %s",
	    path, val, codec_json_type_name(v), valid);
}

static int
walk_value_error(struct codec_walk *w, const char *why)
{
	char path[256];

	walk_path_boto(w, path, sizeof(path));
	return walk_fail(w, CODEC_ERR_SERIALIZATION,
	    "Invalid value for parameter %s: %s", path, why);
}

/* ---- rules shared by both directions ------------------------------------ */

/* The api_catalog rules of one kind on a field; shown is "Value 'x'". */
static void
check_rules(struct codec_walk *w, const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, enum api_rule_kind kind, int64_t v,
    const char *shown)
{
	const struct api_rule *r;
	const char *what = kind == RULE_RANGE ? "value" : "length";
	size_t n, i;

	if ((r = api_rules_for(md, f->name, &n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (r[i].kind != kind)
			continue;
		if (v < r[i].min)
			walk_constraint(w, shown, "Member must have %s greater than or "
			    "equal to %lld", what, (long long)r[i].min);
		else if (r[i].max >= 0 && v > r[i].max)
			walk_constraint(w, shown, "Member must have %s less than or "
			    "equal to %lld", what, (long long)r[i].max);
	}
}

static int
check_string(struct codec_walk *w, const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, const char *s, size_t n)
{
	char shown[CODEC_SHOW_MAX + 16], tmp[CODEC_SHOW_MAX + 8];
	size_t ncp;

	if (!utf8_valid(s, n, &ncp))
		return walk_value_error(w, "not valid UTF-8");
	codec_show(tmp, sizeof(tmp), s, n);
	snprintf(shown, sizeof(shown), "Value '%s'", tmp);
	check_rules(w, md, f, RULE_LEN, (int64_t)ncp, shown);
	return 0;
}

static void
check_int(struct codec_walk *w, const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, int64_t v)
{
	char shown[48];

	snprintf(shown, sizeof(shown), "Value '%lld'", (long long)v);
	check_rules(w, md, f, RULE_RANGE, v, shown);
}

/* "[A, B, C]" */
static void
codec_enum_set(const ProtobufCEnumDescriptor *e, char *buf, size_t len)
{
	char name[CODEC_NAME_MAX];
	size_t off = 0;
	unsigned i;

	sbuf_add(buf, len, &off, "[");
	for (i = 0; i < e->n_values; i++)
		sbuf_add(buf, len, &off, "%s%s", i == 0 ? "" : ", ",
		    codec_enum_wire_name(e, &e->values[i], name, sizeof(name)));
	sbuf_add(buf, len, &off, "]");
}

static void
check_enum_failed(struct codec_walk *w, const ProtobufCEnumDescriptor *e,
    const char *shown)
{
	char set[384];

	codec_enum_set(e, set, sizeof(set));
	walk_constraint(w, shown, "Member must satisfy enum value set: %s", set);
}

/* ---- JSON -> message ---------------------------------------------------- */

static int decode_message(struct codec_walk *, const ProtobufCMessageDescriptor *,
    const json_t *, ProtobufCMessage **);

/*
 * Convert one JSON value (not null) into the slot of field f.
 * Returns 0 (stored; rule violations are recorded in w), 1 (not stored: a
 * validation error was recorded) or -1 (hard error).
 */
static int
decode_value(struct codec_walk *w, const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, const json_t *v, void *slot)
{
	json_int_t iv;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s;
		size_t n;
		char *copy;

		if (!json_is_string(v))
			return walk_type(w, v, "string");
		s = json_string_value(v);
		n = json_string_length(v);
		if (memchr(s, '\0', n) != NULL)
			return walk_value_error(w, "contains a NUL character");
		if (check_string(w, md, f, s, n) != 0)
			return -1;
		if ((copy = strndup(s, n)) == NULL)
			return walk_nomem(w);
		*(char **)slot = copy;	/* the message owns it from here */
		return 0;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = slot;
		uint8_t *data;
		size_t n;
		int r;

		if (!json_is_string(v))
			return walk_type(w, v, "string (base64)");
		r = codec_b64_decode(json_string_value(v), json_string_length(v), &data, &n);
		if (r == -2)
			return walk_nomem(w);
		if (r != 0)
			return walk_value_error(w, "not valid base64 (standard "
			    "alphabet, padded)");
		b->data = data;
		b->len = n;
		check_rules(w, md, f, RULE_LEN, (int64_t)n, "Value");
		return 0;
	}
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return walk_type(w, v, "boolean");
		*(protobuf_c_boolean *)slot = json_is_true(v);
		return 0;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (!json_is_integer(v))
			return walk_type(w, v, "integer");
		if ((iv = json_integer_value(v)) < INT32_MIN || iv > INT32_MAX)
			return walk_value_error(w, "out of range for a 32-bit integer");
		*(int32_t *)slot = (int32_t)iv;
		check_int(w, md, f, iv);
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (!json_is_integer(v))
			return walk_type(w, v, "integer");
		if ((iv = json_integer_value(v)) < 0 || iv > UINT32_MAX)
			return walk_value_error(w, "out of range for an unsigned "
			    "32-bit integer");
		*(uint32_t *)slot = (uint32_t)iv;
		check_int(w, md, f, iv);
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (!json_is_integer(v))
			return walk_type(w, v, "integer");
		iv = json_integer_value(v);
		*(int64_t *)slot = (int64_t)iv;
		check_int(w, md, f, iv);
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (!json_is_integer(v))
			return walk_type(w, v, "integer");
		if ((iv = json_integer_value(v)) < 0)
			return walk_value_error(w, "out of range for an unsigned "
			    "64-bit integer");
		*(uint64_t *)slot = (uint64_t)iv;
		check_int(w, md, f, iv);
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
		if (!json_is_number(v))
			return walk_type(w, v, "number");
		*(float *)slot = (float)json_number_value(v);
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		/* every double is a timestamp: epoch seconds on the wire */
		if (!json_is_number(v))
			return walk_type(w, v, "timestamp (epoch seconds)");
		*(double *)slot = json_number_value(v);
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev;
		char tmp[CODEC_SHOW_MAX + 8], shown[CODEC_SHOW_MAX + 16];

		if (!json_is_string(v))
			return walk_type(w, v, "string");
		if (memchr(json_string_value(v), '\0', json_string_length(v)) == NULL &&
		    (ev = codec_enum_from_wire(f->descriptor, json_string_value(v))) != NULL) {
			*(int *)slot = ev->value;
			return 0;
		}
		codec_show(tmp, sizeof(tmp), json_string_value(v), json_string_length(v));
		snprintf(shown, sizeof(shown), "Value '%s'", tmp);
		check_enum_failed(w, f->descriptor, shown);
		return 1;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage *sub;

		if (!json_is_object(v))
			return walk_type(w, v, "object");
		if (decode_message(w, f->descriptor, v, &sub) != 0)
			return -1;
		*(ProtobufCMessage **)slot = sub;
		return 0;
	}
	}
	return walk_fail(w, CODEC_ERR_SERIALIZATION, "Unsupported field type");
}

static int
decode_list(struct codec_walk *w, const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, const json_t *v, ProtobufCMessage *m)
{
	size_t n, i, size = codec_elem_size(f);
	size_t *np = (size_t *)((char *)m + f->quantifier_offset);
	char *arr;

	if (!json_is_array(v))
		return walk_type(w, v, "list");
	n = json_array_size(v);
	/* AWS checks the count of a list that is present, even when empty */
	check_rules(w, md, f, RULE_COUNT, (int64_t)n, "Value");
	if (n == 0)
		return 0;
	if ((arr = calloc(n, size)) == NULL)
		return walk_nomem(w);
	/* count and array stay consistent, so a failure half-way is freed by
	 * protobuf_c_message_free_unpacked() */
	*(void **)((char *)m + f->offset) = arr;
	*np = 0;
	for (i = 0; i < n; i++) {
		const json_t *item = json_array_get(v, i);
		int r;

		walk_push_item(w, i);
		if (json_is_null(item)) {
			walk_constraint(w, "Value null", "Member must not be null");
			r = 1;
		} else
			r = decode_value(w, md, f, item, arr + *np * size);
		walk_pop(w);
		if (r < 0)
			return -1;
		if (r == 0)
			(*np)++;
	}
	return 0;
}

static int
decode_field(struct codec_walk *w, const ProtobufCMessageDescriptor *d,
    const ProtobufCFieldDescriptor *f, const json_t *in, ProtobufCMessage *m)
{
	char name[CODEC_NAME_MAX];
	const json_t *v;
	int r;

	codec_field_json_name(d, f, name, sizeof(name));
	if ((v = json_object_get(in, name)) == NULL || json_is_null(v)) {
		if (f->label == PROTOBUF_C_LABEL_REQUIRED)
			walk_missing(w, name);
		return 0;
	}
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0)	/* gen_api.py makes none */
		return walk_fail(w, CODEC_ERR_SERIALIZATION, "Unsupported oneof member %s", name);
	walk_push(w, d, f);
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		r = decode_list(w, d, f, v, m);
	else {
		r = decode_value(w, d, f, v, (char *)m + f->offset);
		if (r == 0 && codec_has_flag(f))
			*(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
	}
	walk_pop(w);
	return r < 0 ? -1 : 0;
}

/* 'Unknown parameter in Validity: "Vaule", must be one of: Value, Type' */
static int
decode_unknown_member(struct codec_walk *w, const ProtobufCMessageDescriptor *d,
    const char *key, size_t keylen)
{
	char path[256], shown[CODEC_SHOW_MAX + 8], names[320], name[CODEC_NAME_MAX];
	size_t off = 0;
	unsigned i;

	walk_path_boto(w, path, sizeof(path));
	codec_show(shown, sizeof(shown), key, keylen);
	names[0] = '\0';
	for (i = 0; i < d->n_fields; i++)
		sbuf_add(names, sizeof(names), &off, "%s%s", i == 0 ? "" : ", ",
		    codec_field_json_name(d, &d->fields[i], name, sizeof(name)));
	return walk_fail(w, CODEC_ERR_SERIALIZATION,
	    "Unknown parameter in %s: \"%s\", must be one of: %s", path, shown, names);
}

static int
decode_message(struct codec_walk *w, const ProtobufCMessageDescriptor *d,
    const json_t *in, ProtobufCMessage **out)
{
	ProtobufCMessage *m = NULL;
	void *it;
	unsigned i;
	int r = -1;

	*out = NULL;
	if (w->depth >= CODEC_MAX_DEPTH) {
		char path[256];
		walk_path_boto(w, path, sizeof(path));
		return walk_fail(w, CODEC_ERR_SERIALIZATION,
		    "Input nested deeper than %d levels at %s", CODEC_MAX_DEPTH, path);
	}
	w->depth++;
	/* jansson's iterator API takes a non-const object; it only reads */
	for (it = json_object_iter((json_t *)in); it != NULL;
	    it = json_object_iter_next((json_t *)in, it)) {
		const char *key = json_object_iter_key(it);
		size_t keylen = json_object_iter_key_len(it);
		if (codec_field_by_json_name(d, key, keylen) == NULL) {
			decode_unknown_member(w, d, key, keylen);
			goto out;
		}
	}
	if ((m = calloc(1, d->sizeof_message)) == NULL) {
		walk_nomem(w);
		goto out;
	}
	d->message_init(m);
	for (i = 0; i < d->n_fields; i++)
		if (decode_field(w, d, &d->fields[i], in, m) != 0)
			goto out;
	*out = m;
	m = NULL;
	r = 0;
 out:
	w->depth--;
	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return r;
}

int
codec_json_to_msg(const ProtobufCMessageDescriptor *d, const json_t *in,
    ProtobufCMessage **out, struct codec_error *err)
{
	struct codec_walk w;
	ProtobufCMessage *m = NULL;

	*out = NULL;
	memset(&w, 0, sizeof(w));
	w.err = err;
	err->code = CODEC_OK;
	err->message[0] = '\0';
	if (in == NULL || !json_is_object(in)) {
		if (in == NULL)
			walk_fail(&w, CODEC_ERR_SERIALIZATION, "Missing request body");
		else
			walk_type(&w, in, "object");
		return err->code;
	}
	if (decode_message(&w, d, in, &m) != 0)
		return err->code;
	if (w.invalid) {
		protobuf_c_message_free_unpacked(m, NULL);
		return err->code;
	}
	*out = m;
	return CODEC_OK;
}

/* ---- checking unpacked messages ----------------------------------------- */

static int check_message(struct codec_walk *, const ProtobufCMessage *);

/* One value of field f (a list item or the field itself). */
static int
check_value(struct codec_walk *w, const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, const void *slot)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)slot;
		if (s == NULL) {
			walk_constraint(w, "Value null", "Member must not be null");
			return 0;
		}
		return check_string(w, md, f, s, strlen(s));
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = slot;
		if (b->len > 0 && b->data == NULL)
			return walk_value_error(w, "bytes without data");
		check_rules(w, md, f, RULE_LEN, (int64_t)b->len, "Value");
		return 0;
	}
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		check_int(w, md, f, *(const int32_t *)slot);
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		check_int(w, md, f, *(const uint32_t *)slot);
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		check_int(w, md, f, *(const int64_t *)slot);
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t u = *(const uint64_t *)slot;
		check_int(w, md, f, u > INT64_MAX ? INT64_MAX : (int64_t)u);
		return 0;
	}
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)slot;
		char shown[48];
		/* proto2 enums are closed, but protobuf-c stores any number */
		if (protobuf_c_enum_descriptor_get_value(f->descriptor, v) == NULL) {
			snprintf(shown, sizeof(shown), "Value '%d'", v);
			check_enum_failed(w, f->descriptor, shown);
		}
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
		if (sub == NULL) {
			walk_constraint(w, "Value null", "Member must not be null");
			return 0;
		}
		return check_message(w, sub);
	}
	case PROTOBUF_C_TYPE_BOOL:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 0;
	}
	return walk_fail(w, CODEC_ERR_SERIALIZATION, "Unsupported field type");
}

static int
check_field(struct codec_walk *w, const ProtobufCMessageDescriptor *d,
    const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m)
{
	const char *base = (const char *)m;
	int r = 0;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n = *(const size_t *)(base + f->quantifier_offset), i;
		const char *arr = *(char *const *)(base + f->offset);
		size_t size = codec_elem_size(f);

		/* protobuf cannot tell an empty list from an absent one, and
		 * optional lists (Tags of CreateCertificateAuthority) are
		 * absent more often than not: count rules apply from 1 item */
		if (n == 0)
			return 0;
		walk_push(w, d, f);
		if (arr == NULL) {
			r = walk_value_error(w, "list without items");
			goto out;
		}
		check_rules(w, d, f, RULE_COUNT, (int64_t)n, "Value");
		for (i = 0; i < n && r == 0; i++) {
			walk_push_item(w, i);
			r = check_value(w, d, f, arr + i * size);
			walk_pop(w);
		}
		goto out;
	}
	if (!codec_field_present(f, m)) {
		if (f->label == PROTOBUF_C_LABEL_REQUIRED) {
			char name[CODEC_NAME_MAX];
			walk_missing(w, codec_field_json_name(d, f, name, sizeof(name)));
		}
		return 0;
	}
	walk_push(w, d, f);
	r = check_value(w, d, f, base + f->offset);
 out:
	walk_pop(w);
	return r;
}

static int
check_message(struct codec_walk *w, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned i;
	int r = 0;

	if (d == NULL || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return walk_fail(w, CODEC_ERR_SERIALIZATION, "Not a protobuf message");
	if (w->depth >= CODEC_MAX_DEPTH) {
		char path[256];
		walk_path_boto(w, path, sizeof(path));
		return walk_fail(w, CODEC_ERR_SERIALIZATION,
		    "Input nested deeper than %d levels at %s", CODEC_MAX_DEPTH, path);
	}
	if (m->n_unknown_fields != 0) {
		char path[256];
		walk_path_boto(w, path, sizeof(path));
		return walk_fail(w, CODEC_ERR_SERIALIZATION,
		    "Unknown field number %u in %s", m->unknown_fields[0].tag, path);
	}
	w->depth++;
	for (i = 0; i < d->n_fields && r == 0; i++)
		r = check_field(w, d, &d->fields[i], m);
	w->depth--;
	return r;
}

int
codec_msg_check(const ProtobufCMessage *m, struct codec_error *err)
{
	struct codec_walk w;

	memset(&w, 0, sizeof(w));
	w.err = err;
	err->code = CODEC_OK;
	err->message[0] = '\0';
	if (m == NULL) {
		walk_fail(&w, CODEC_ERR_SERIALIZATION, "Missing request body");
		return err->code;
	}
	if (check_message(&w, m) != 0 || w.invalid)
		return err->code;
	return CODEC_OK;
}

/* ---- message -> JSON ---------------------------------------------------- */

/* Round half to even, without libm (pcajson does not link it). */
static long long
codec_round_even(double x)
{
	long long k = (long long)x;	/* toward zero */
	double d = x - (double)k;

	if (d > 0.5 || (d == 0.5 && (k & 1) != 0))
		k++;
	else if (d < -0.5 || (d == -0.5 && (k & 1) != 0))
		k--;
	return k;
}

void
codec_format_timestamp(double t, char *buf, size_t len)
{
	long long ip, us;
	struct tm tm;
	time_t secs;

	/*
	 * As botocore's parse_timestamp(t).isoformat() in UTC, which is what
	 * the AWS CLI prints: microseconds rounded half to even (CPython's
	 * fromtimestamp), the fraction left out when it is zero. Years
	 * outside 1..9999 (which Python cannot print) come out as the number.
	 */
	if (!isfinite(t) || t < -62135596800.0 || t >= 253402300800.0)
		goto raw;
	ip = (long long)t;		/* modf(): the fraction is exact */
	us = codec_round_even((t - (double)ip) * 1e6);
	if (us >= 1000000) {
		us -= 1000000;
		ip += 1;
	} else if (us < 0) {
		us += 1000000;
		ip -= 1;
	}
	secs = (time_t)ip;
	if (gmtime_r(&secs, &tm) == NULL || tm.tm_year + 1900 > 9999)
		goto raw;
	if (us == 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d+00:00",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (long)us);
	return;
 raw:
	snprintf(buf, len, "%.17g", t);
}

static json_t *encode_message(const ProtobufCMessage *, enum codec_style,
    unsigned, int);

static json_t *
encode_value(const ProtobufCFieldDescriptor *f, const void *slot,
    enum codec_style style, unsigned depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		/* NULL (not UTF-8) makes the whole encoding fail */
		return json_string(*(char *const *)slot);
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = slot;
		json_t *j;
		size_t n;
		char *s;

		if (b->len > 0 && b->data == NULL)
			return NULL;
		if ((s = codec_b64_encode(b->data, b->len, &n)) == NULL)
			return NULL;
		j = json_stringn(s, n);
		free(s);
		return j;
	}
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)slot);
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)slot);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)slot);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_integer(*(const int64_t *)slot);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t u = *(const uint64_t *)slot;
		return u > INT64_MAX ? json_real((double)u) : json_integer((json_int_t)u);
	}
	case PROTOBUF_C_TYPE_FLOAT:
		return json_real(*(const float *)slot);
	case PROTOBUF_C_TYPE_DOUBLE: {
		double t = *(const double *)slot;
		char buf[64];

		if (style == CODEC_CLI) {
			codec_format_timestamp(t, buf, sizeof(buf));
			return json_string(buf);
		}
		/* whole seconds as integers: exact, and what AWS sends */
		if (t > -9007199254740992.0 && t < 9007199254740992.0 &&
		    t == (double)(json_int_t)t)
			return json_integer((json_int_t)t);
		return json_real(t);
	}
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev;
		char buf[CODEC_NAME_MAX];
		int v = *(const int *)slot;

		/* a number this build cannot name is shown as the number
		 * rather than dropping the whole answer */
		if ((ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v)) == NULL)
			return json_integer(v);
		return json_string(codec_enum_wire_name(f->descriptor, ev, buf, sizeof(buf)));
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
		return sub == NULL ? NULL : encode_message(sub, style, depth + 1, 0);
	}
	}
	return NULL;
}

static int
codec_is_response(const ProtobufCMessageDescriptor *d)
{
	size_t n = strlen(d->short_name);

	return n >= 8 && strcmp(d->short_name + n - 8, "Response") == 0;
}

static json_t *
encode_message(const ProtobufCMessage *m, enum codec_style style,
    unsigned depth, int top)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;
	char name[CODEC_NAME_MAX];
	json_t *obj = NULL, *ret = NULL;
	unsigned i;

	if (depth >= CODEC_MAX_DEPTH || (obj = json_object()) == NULL)
		goto out;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		json_t *v;

		codec_field_json_name(d, f, name, sizeof(name));
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset), j;
			const char *arr = *(char *const *)(base + f->offset);
			size_t size = codec_elem_size(f);

			if (n == 0 && !(top && codec_is_response(d)))
				continue;
			if ((v = json_array()) == NULL)
				goto out;
			if (json_object_set_new(obj, name, v) != 0)
				goto out;
			for (j = 0; j < n; j++) {
				json_t *item;
				if (arr == NULL ||
				    (item = encode_value(f, arr + j * size, style, depth)) == NULL ||
				    json_array_append_new(v, item) != 0)
					goto out;
			}
			continue;
		}
		if (!codec_field_present(f, m))
			continue;
		if ((v = encode_value(f, base + f->offset, style, depth)) == NULL ||
		    json_object_set_new(obj, name, v) != 0)
			goto out;
	}
	ret = obj;
	obj = NULL;
 out:
	json_decref(obj);
	return ret;
}

json_t *
codec_msg_to_json(const ProtobufCMessage *m, enum codec_style style)
{
	if (m == NULL || m->descriptor == NULL ||
	    m->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
		return NULL;
	return encode_message(m, style, 0, 1);
}
