/*
 * cli_args.c - AWS-CLI-shaped arguments -> the JSON input of an operation
 * (see cli_args.h), and JSON printing the way the AWS CLI prints.
 *
 * The references are the AWS CLI v1 sources this machine carries:
 * botocore.xform_name (flag names), awscli/shorthand.py (the shorthand
 * grammar, reproduced production by production below, including its
 * backtracking on ','), awscli/argprocess.py (when a value is JSON, when
 * shorthand, how list words are split) and awscli/paramfile.py (file://,
 * fileb://). Where we differ, a comment says so.
 *
 * Conversion happens in two steps: the argument text becomes a JSON tree of
 * strings (shorthand has no types), then a descriptor walk gives members
 * their JSON types (numbers, booleans, base64 for blobs), as the AWS CLI's
 * BackCompatVisitor does. Members the descriptor does not know are left as
 * they are: codec_json_to_msg() refuses them with botocore's message.
 */
#include "cli_args.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec_json.h"

#define CLI_PARAM_FILE_MAX	(8u << 20)	/* largest member: a 2 MiB chain */
#define CLI_NAME_MAX		160
#define CLI_MAX_DEPTH		CODEC_MAX_DEPTH	/* shorthand / JSON nesting */
#define CLI_INPUT_JSON		"--cli-input-json"

static void
cli_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cli_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
cli_is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int
cli_is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static int
cli_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Python's str.isspace() for ASCII (what \s and rstrip() match) */
static int
cli_is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}


/* ---- flag names: botocore.xform_name(name, '-') -------------------------- */

/*
 * botocore applies, in order:
 *   1. if the name already contains the separator, it is returned as is;
 *   2. [A-Z]{2,}s$  ("ARNs") -> name[:-len(m)] + '-' + m.lower();
 *   3. (.)([A-Z][a-z]+)  -> \1-\2   ("CRLSign" -> "CRL-Sign");
 *   4. ([a-z0-9])([A-Z]) -> \1-\2   ("S3Bucket" stays, "keyUsage" splits);
 *   5. lower case.
 * Each re.sub scans left to right and resumes after a match, which the
 * loops below do too. (botocore also seeds its cache with a few operation
 * names, "CreateCachediSCSIVolume" and the like; no member needs them.)
 */
const char *
cli_flag_name(const char *member, char *buf, size_t len)
{
	size_t n = strlen(member), i, o, k;
	char *a = NULL, *b = NULL, *c = NULL;

	if (len == 0)
		return "";
	buf[0] = '\0';
	if (strchr(member, '-') != NULL) {
		snprintf(buf, len, "%s", member);
		return buf;
	}
	if ((a = malloc(n + 2)) == NULL || (b = malloc(2 * n + 4)) == NULL ||
	    (c = malloc(4 * n + 8)) == NULL)
		goto out;

	/* 2. the special case, leftmost match: the whole upper-case run */
	memcpy(a, member, n + 1);
	if (n >= 3 && member[n - 1] == 's') {
		for (k = n - 1; k > 0 && cli_is_upper(member[k - 1]); k--)
			;
		if (n - 1 - k >= 2) {
			memcpy(a, member, k);
			a[k] = '-';
			for (i = k; i < n; i++)
				a[i + 1] = (char)(cli_is_upper(member[i]) ?
				    member[i] - 'A' + 'a' : member[i]);
			a[n + 1] = '\0';
		}
	}
	/* 3. (.)([A-Z][a-z]+) */
	n = strlen(a);
	for (i = 0, o = 0; i < n;) {
		if (a[i] != '\n' && i + 2 < n && cli_is_upper(a[i + 1]) &&
		    cli_is_lower(a[i + 2])) {
			size_t j = i + 3;
			while (j < n && cli_is_lower(a[j]))
				j++;
			b[o++] = a[i];
			b[o++] = '-';
			memcpy(b + o, a + i + 1, j - i - 1);
			o += j - i - 1;
			i = j;
		} else
			b[o++] = a[i++];
	}
	b[o] = '\0';
	/* 4. ([a-z0-9])([A-Z]), then 5. lower case */
	for (i = 0, o = 0; b[i] != '\0';) {
		if ((cli_is_lower(b[i]) || cli_is_digit(b[i])) && cli_is_upper(b[i + 1])) {
			c[o++] = b[i];
			c[o++] = '-';
			c[o++] = b[i + 1];
			i += 2;
		} else
			c[o++] = b[i++];
	}
	c[o] = '\0';
	for (i = 0; i < o; i++)
		if (cli_is_upper(c[i]))
			c[i] = (char)(c[i] - 'A' + 'a');
	snprintf(buf, len, "%s", c);
 out:
	free(a);
	free(b);
	free(c);
	return buf;
}

/* ---- file:// and fileb:// ------------------------------------------------ */

/*
 * os.path.expanduser(os.path.expandvars(path)), as paramfile.get_file()
 * does: $VAR and ${VAR} (unknown ones left alone), then a leading "~" or
 * "~/" from $HOME. ("~user" is not supported.)
 */
static char *
cli_path_expand(const char *path)
{
	size_t cap = strlen(path) + 1, o = 0;
	const char *p = path, *home;
	char *out;

	if ((out = malloc(cap)) == NULL)
		return NULL;
	while (*p != '\0') {
		const char *name = NULL, *val, *end = NULL;
		size_t nlen = 0, vlen, need;
		char var[256];

		if (*p == '$' && p[1] == '{' && (end = strchr(p + 2, '}')) != NULL) {
			name = p + 2;
			nlen = (size_t)(end - name);
			end++;
		} else if (*p == '$' && (cli_is_upper(p[1]) || cli_is_lower(p[1]) ||
		    cli_is_digit(p[1]) || p[1] == '_')) {
			name = p + 1;
			for (end = name; cli_is_upper(*end) || cli_is_lower(*end) ||
			    cli_is_digit(*end) || *end == '_'; end++)
				;
			nlen = (size_t)(end - name);
		}
		val = NULL;
		if (name != NULL && nlen > 0 && nlen < sizeof(var)) {
			memcpy(var, name, nlen);
			var[nlen] = '\0';
			val = getenv(var);
		}
		if (val == NULL) {
			val = p;
			vlen = name != NULL && end != NULL ? (size_t)(end - p) : 1;
			end = p + vlen;
		} else
			vlen = strlen(val);
		need = o + vlen + strlen(end) + 1;
		if (need > cap) {
			char *t = realloc(out, need);
			if (t == NULL) {
				free(out);
				return NULL;
			}
			out = t;
			cap = need;
		}
		memcpy(out + o, val, vlen);
		o += vlen;
		p = end;
	}
	out[o] = '\0';
	if (out[0] == '~' && (out[1] == '/' || out[1] == '\0') &&
	    (home = getenv("HOME")) != NULL) {
		size_t hl = strlen(home);
		char *t = malloc(hl + o);
		if (t == NULL) {
			free(out);
			return NULL;
		}
		memcpy(t, home, hl);
		memcpy(t + hl, out + 1, o);	/* with the NUL */
		free(out);
		out = t;
	}
	return out;
}

static int
cli_file_read(const char *arg, const char *path, char **out, size_t *len,
    char *err, size_t errlen)
{
	size_t cap = 0, n = 0;
	char *buf = NULL, *t;
	int fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_err(err, errlen, "Unable to load paramfile %s: %s", arg, strerror(errno));
		return -1;
	}
	/* read to EOF rather than trusting st_size: file:///dev/stdin works */
	for (;;) {
		ssize_t k;

		if (n == cap) {
			if (cap > CLI_PARAM_FILE_MAX) {
				cli_err(err, errlen, "Unable to load paramfile %s: larger "
				    "than %u bytes", arg, CLI_PARAM_FILE_MAX);
				goto out;
			}
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > CLI_PARAM_FILE_MAX + 1)
				cap = CLI_PARAM_FILE_MAX + 1;
			if ((t = realloc(buf, cap + 1)) == NULL) {
				cli_err(err, errlen, "Out of memory");
				goto out;
			}
			buf = t;
		}
		k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			cli_err(err, errlen, "Unable to load paramfile %s: %s", arg,
			    strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		cli_err(err, errlen, "Out of memory");
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	close(fd);
	return r;
}

int
cli_param_value(const char *arg, char **out, size_t *len, char *err,
    size_t errlen)
{
	char *path = NULL, *data = NULL;
	size_t n = 0, i, o;
	int text, r = -1;

	*out = NULL;
	*len = 0;
	if (strncmp(arg, "file://", 7) == 0)
		text = 1;
	else if (strncmp(arg, "fileb://", 8) == 0)
		text = 0;
	else {
		if ((*out = strdup(arg)) == NULL) {
			cli_err(err, errlen, "Out of memory");
			return -1;
		}
		*len = strlen(arg);
		return 0;
	}
	if ((path = cli_path_expand(arg + (text ? 7 : 8))) == NULL) {
		cli_err(err, errlen, "Out of memory");
		goto out;
	}
	if (cli_file_read(arg, path, &data, &n, err, errlen) != 0)
		goto out;
	if (text) {
		if (!utf8_valid(data, n, NULL)) {
			cli_err(err, errlen, "Unable to load paramfile (%s), text "
			    "contents could not be decoded.  If this is a binary file, "
			    "please use the fileb:// prefix instead of the file:// "
			    "prefix.", path);
			goto out;
		}
		/* Python reads text files with universal newlines: "\r\n"
		 * and a lone "\r" become "\n" (a CRLF PEM arrives as LF) */
		for (i = 0, o = 0; i < n; i++) {
			if (data[i] == '\r') {
				data[o++] = '\n';
				if (i + 1 < n && data[i + 1] == '\n')
					i++;
			} else
				data[o++] = data[i];
		}
		n = o;
		data[n] = '\0';
	}
	*out = data;
	*len = n;
	data = NULL;
	r = 0;
 out:
	free(path);
	free(data);
	return r;
}

/* ---- shorthand syntax (awscli/shorthand.py) ------------------------------ */

struct sh_parser {
	const char	*in;
	size_t		 len;
	size_t		 i;
	int		 resolve;	/* "key@=": values may be file:// */
	int		 hard;		/* the error is no syntax error */
	unsigned	 depth;
	char		*err;
	size_t		 errlen;
};

/* regex classes of ShorthandParser; every byte >= 0x80 is inside them
 * (they run to U+FFFF) */
static int
sh_start_char(unsigned char c)
{
	return c == '!' || (c >= '#' && c <= '&') || (c >= '(' && c <= '+') ||
	    (c >= '-' && c <= '<') || (c >= '>' && c <= 'Z') ||
	    (c >= '\\' && c <= 'z') || c >= 0x7c;
}

static int
sh_first_follow_char(unsigned char c)
{
	return cli_is_space(c) || c == '!' || (c >= '#' && c <= '&') ||
	    (c >= '(' && c <= '+') || (c >= '-' && c <= '\\') ||
	    (c >= '^' && c <= '|') || c >= '~';
}

static int
sh_second_follow_char(unsigned char c)
{
	return cli_is_space(c) || c == '!' || (c >= '#' && c <= '&') ||
	    (c >= '(' && c <= '+') || (c >= '-' && c <= '<') || c >= '>';
}

static int
sh_key_char(char c)
{
	return cli_is_upper(c) || cli_is_lower(c) || cli_is_digit(c) ||
	    c == '-' || c == '_' || c == '.' || c == '#' || c == '/' || c == ':';
}

static int
sh_eof(const struct sh_parser *p)
{
	return p->i >= p->len;
}

static int
sh_cur(const struct sh_parser *p)
{
	return sh_eof(p) ? -1 : (unsigned char)p->in[p->i];
}

/* string.whitespace */
static void
sh_skip_ws(struct sh_parser *p)
{
	while (!sh_eof(p) && (p->in[p->i] == ' ' ||
	    (p->in[p->i] >= '\t' && p->in[p->i] <= '\r')))
		p->i++;
}

static size_t
sh_codepoints(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			k++;
	return k;
}

/* ShorthandParseError._error_location(): the input, a caret under the
 * failing character, split at newlines as awscli does */
static void
sh_location(const struct sh_parser *p, size_t index, char *buf, size_t len)
{
	size_t consumed = p->len, spaces, start = 0, off = 0, i;
	const char *nl;

	if (index > p->len)
		index = p->len;
	for (i = index; i > 0; i--)
		if (p->in[i - 1] == '\n') {
			start = i;
			break;
		}
	spaces = sh_codepoints(p->in + start, index - start);
	if ((nl = memchr(p->in + index, '\n', p->len - index)) != NULL)
		consumed = (size_t)(nl - p->in);
	buf[0] = '\0';
	if (len == 0)
		return;
	for (i = 0; i < consumed && off + 1 < len; i++)
		buf[off++] = p->in[i];
	if (off + 1 < len)
		buf[off++] = '\n';
	for (i = 0; i < spaces && off + 1 < len; i++)
		buf[off++] = ' ';
	if (off + 1 < len)
		buf[off++] = '^';
	for (i = consumed; i < p->len && off + 1 < len; i++)
		buf[off++] = p->in[i];
	buf[off] = '\0';
}

/* ShorthandParseSyntaxError: "Expected: '=', received: ',' for input:..." */
static int
sh_syntax_error(struct sh_parser *p, const char *expected, const char *actual)
{
	char loc[512], cur[8];
	size_t k = 1;

	if (actual == NULL) {
		if (sh_eof(p))
			actual = "EOF";
		else {
			/* one character, which may be several bytes */
			while (p->i + k < p->len && k < sizeof(cur) - 1 &&
			    ((unsigned char)p->in[p->i + k] & 0xc0) == 0x80)
				k++;
			memcpy(cur, p->in + p->i, k);
			cur[k] = '\0';
			actual = cur;
		}
	}
	sh_location(p, p->i, loc, sizeof(loc));
	cli_err(p->err, p->errlen, "Expected: '%s', received: '%s' for input:\n%s",
	    expected, actual, loc);
	return -1;
}

/* _expect(): note that the whitespace before the character stays
 * consumed when it is not there; the grammar depends on it */
static int
sh_expect(struct sh_parser *p, char c, int ws)
{
	char exp[2] = { c, '\0' };

	if (ws)
		sh_skip_ws(p);
	if (sh_eof(p) || p->in[p->i] != c)
		return sh_syntax_error(p, exp, NULL);
	p->i++;
	if (ws)
		sh_skip_ws(p);
	return 0;
}

static json_t *
sh_string(struct sh_parser *p, const char *s, size_t n)
{
	json_t *v;
	char *data;
	size_t len;

	/* bytes for now: UTF-8 is checked once the member's type is known
	 * (a fileb:// blob need not be text) */
	/* s need not be NUL-terminated: compare and copy within n bytes */
	if (p->resolve && ((n >= 7 && memcmp(s, "file://", 7) == 0) ||
	    (n >= 8 && memcmp(s, "fileb://", 8) == 0))) {
		char *path = malloc(n + 1);
		if (path != NULL) {
			memcpy(path, s, n);
			path[n] = '\0';
		}
		p->hard = 1;	/* until it worked: no backtracking over these */
		if (path == NULL) {
			cli_err(p->err, p->errlen, "Out of memory");
			return NULL;
		}
		if (cli_param_value(path, &data, &len, p->err, p->errlen) != 0) {
			free(path);
			return NULL;
		}
		p->hard = 0;
		free(path);
		v = json_stringn_nocheck(data, len);
		free(data);
	} else
		v = json_stringn_nocheck(s, n);
	if (v == NULL) {
		p->hard = 1;
		cli_err(p->err, p->errlen, "Out of memory");
	}
	return v;
}

/* value text: "\," -> ",", then rstrip() */
static json_t *
sh_plain_value(struct sh_parser *p, size_t start, size_t end)
{
	char *tmp;
	size_t i, o = 0;
	json_t *v;

	if ((tmp = malloc(end - start + 1)) == NULL) {
		cli_err(p->err, p->errlen, "Out of memory");
		return NULL;
	}
	for (i = start; i < end; i++) {
		if (p->in[i] == '\\' && i + 1 < end && p->in[i + 1] == ',')
			i++;
		tmp[o++] = p->in[i];
	}
	while (o > 0 && cli_is_space((unsigned char)tmp[o - 1]))
		o--;
	tmp[o] = '\0';
	v = sh_string(p, tmp, o);
	free(tmp);
	return v;
}

/* ( \\, | [start] ) ( \\, | [follow] )* ; 0 if there is no match */
static size_t
sh_match_word(const struct sh_parser *p, int (*follow)(unsigned char))
{
	size_t j = p->i;

	if (j + 1 < p->len && p->in[j] == '\\' && p->in[j + 1] == ',')
		j += 2;
	else if (j < p->len && sh_start_char((unsigned char)p->in[j]))
		j++;
	else
		return 0;
	for (;;) {
		if (j + 1 < p->len && p->in[j] == '\\' && p->in[j + 1] == ',')
			j += 2;
		else if (j < p->len && follow((unsigned char)p->in[j]))
			j++;
		else
			break;
	}
	return j - p->i;
}

/*
 * '(?:\\'|[^'])*' (or with "): greedy with backtracking, so the value ends
 * at the first bare quote, or else at the last escaped one.
 */
static json_t *
sh_quoted(struct sh_parser *p, char q)
{
	const char *name = q == '\'' ? "<singled quoted>" : "<double quoted>";
	size_t j = p->i + 1, end = 0, last_esc = 0, i, o = 0;
	char *tmp;
	json_t *v;

	while (j < p->len) {
		if (p->in[j] == '\\' && j + 1 < p->len && p->in[j + 1] == q) {
			last_esc = j + 1;
			j += 2;
			continue;
		}
		if (p->in[j] == q) {
			end = j;
			break;
		}
		j++;
	}
	if (end == 0 && last_esc != 0)
		end = last_esc;
	if (end == 0) {
		sh_syntax_error(p, name, "<none>");
		return NULL;
	}
	/* value[1:-1].replace("\\" + q, q).replace("\\\\", "\\") */
	if ((tmp = malloc(end - p->i)) == NULL) {
		cli_err(p->err, p->errlen, "Out of memory");
		return NULL;
	}
	for (i = p->i + 1; i < end; i++) {
		if (p->in[i] == '\\' && i + 1 < end && p->in[i + 1] == q)
			i++;
		tmp[o++] = p->in[i];
	}
	for (i = 0, j = 0; i < o; i++, j++) {
		if (tmp[i] == '\\' && i + 1 < o && tmp[i + 1] == '\\')
			i++;
		tmp[j] = tmp[i];
	}
	p->i = end + 1;
	v = sh_string(p, tmp, j);
	free(tmp);
	return v;
}

/* _first_value(): quoted, or the "first" regex (which may match nothing) */
static json_t *
sh_first_value(struct sh_parser *p)
{
	size_t n, start = p->i;

	if (sh_cur(p) == '\'' || sh_cur(p) == '"')
		return sh_quoted(p, (char)sh_cur(p));
	n = sh_match_word(p, sh_first_follow_char);
	p->i += n;
	return sh_plain_value(p, start, start + n);
}

static json_t *
sh_second_value(struct sh_parser *p)
{
	size_t n, start = p->i;

	if (sh_cur(p) == '\'' || sh_cur(p) == '"')
		return sh_quoted(p, (char)sh_cur(p));
	if ((n = sh_match_word(p, sh_second_follow_char)) == 0) {
		sh_syntax_error(p, "<second>", "<none>");
		return NULL;
	}
	p->i += n;
	return sh_plain_value(p, start, start + n);
}

static json_t *sh_explicit_values(struct sh_parser *);

static int
sh_enter(struct sh_parser *p)
{
	if (p->depth >= CLI_MAX_DEPTH) {
		cli_err(p->err, p->errlen, "Shorthand nested deeper than %d levels",
		    CLI_MAX_DEPTH);
		return -1;
	}
	p->depth++;
	return 0;
}

/* explicit-list = "[" [value *("," value)] "]" */
static json_t *
sh_explicit_list(struct sh_parser *p)
{
	json_t *arr = NULL, *v;

	if (sh_enter(p) != 0)
		return NULL;
	if (sh_expect(p, '[', 1) != 0)
		goto fail;
	if ((arr = json_array()) == NULL)
		goto nomem;
	while (sh_cur(p) != ']') {
		if ((v = sh_explicit_values(p)) == NULL)
			goto fail;
		if (json_array_append_new(arr, v) != 0)
			goto nomem;
		sh_skip_ws(p);
		if (sh_cur(p) != ']') {
			if (sh_expect(p, ',', 0) != 0)
				goto fail;
			sh_skip_ws(p);
		}
	}
	if (sh_expect(p, ']', 0) != 0)
		goto fail;
	p->depth--;
	return arr;
 nomem:
	cli_err(p->err, p->errlen, "Out of memory");
 fail:
	json_decref(arr);
	p->depth--;
	return NULL;
}

static void
sh_key(struct sh_parser *p, size_t *start, size_t *n)
{
	*start = p->i;
	while (!sh_eof(p) && sh_key_char(p->in[p->i]))
		p->i++;
	*n = p->i - *start;
}

/* "@" before "=" asks for file:// values; its absence is no error */
static void
sh_resolve_marker(struct sh_parser *p)
{
	p->resolve = 0;
	sh_skip_ws(p);
	if (!sh_eof(p) && p->in[p->i] == '@') {
		p->i++;
		sh_skip_ws(p);
		p->resolve = 1;
	}
}

/* hash-literal = "{" [key "=" value *("," key "=" value)] "}"
 * (a repeated key replaces the earlier value, as in awscli) */
static json_t *
sh_hash_literal(struct sh_parser *p)
{
	json_t *obj = NULL, *v;
	size_t ks, kn;

	if (sh_enter(p) != 0)
		return NULL;
	if (sh_expect(p, '{', 1) != 0)
		goto fail;
	if ((obj = json_object()) == NULL)
		goto nomem;
	while (sh_cur(p) != '}') {
		sh_key(p, &ks, &kn);
		sh_resolve_marker(p);
		if (sh_expect(p, '=', 1) != 0)
			goto fail;
		if ((v = sh_explicit_values(p)) == NULL)
			goto fail;
		sh_skip_ws(p);
		if (sh_cur(p) != '}') {
			if (sh_expect(p, ',', 0) != 0) {
				json_decref(v);
				goto fail;
			}
			sh_skip_ws(p);
		}
		if (json_object_setn_new_nocheck(obj, p->in + ks, kn, v) != 0)
			goto nomem;
	}
	if (sh_expect(p, '}', 0) != 0)
		goto fail;
	p->depth--;
	return obj;
 nomem:
	cli_err(p->err, p->errlen, "Out of memory");
 fail:
	json_decref(obj);
	p->depth--;
	return NULL;
}

static json_t *
sh_explicit_values(struct sh_parser *p)
{
	if (sh_cur(p) == '[')
		return sh_explicit_list(p);
	if (sh_cur(p) == '{')
		return sh_hash_literal(p);
	return sh_first_value(p);
}

/*
 * csv-value: "a" -> "a"; "a,b,c" -> ["a","b","c"]. A following "k=v" is
 * not a list item: parsing it fails on '=' and the parser backs up to the
 * comma before it, exactly like awscli.
 */
static json_t *
sh_csv_value(struct sh_parser *p)
{
	json_t *first, *list = NULL, *cur;

	if ((first = sh_first_value(p)) == NULL)
		return NULL;
	sh_skip_ws(p);
	if (sh_eof(p) || p->in[p->i] != ',')
		return first;
	if (sh_expect(p, ',', 1) != 0 || (list = json_array()) == NULL ||
	    json_array_append(list, first) != 0)
		goto fail;
	for (;;) {
		if ((cur = sh_second_value(p)) != NULL) {
			sh_skip_ws(p);
			if (sh_eof(p)) {
				if (json_array_append_new(list, cur) != 0)
					goto fail;
				break;
			}
			if (sh_expect(p, ',', 1) == 0) {
				if (json_array_append_new(list, cur) != 0)
					goto fail;
				continue;
			}
			json_decref(cur);
		} else if (p->hard)
			goto fail;
		if (sh_eof(p))
			goto fail;
		while (p->i > 0 && p->in[p->i] != ',')
			p->i--;
		break;
	}
	if (json_array_size(list) == 1) {
		json_decref(list);
		return first;
	}
	json_decref(first);
	return list;
 fail:
	json_decref(first);
	json_decref(list);
	return NULL;
}

static json_t *
sh_values(struct sh_parser *p)
{
	if (sh_eof(p))
		return sh_string(p, "", 0);
	if (p->in[p->i] == '[')
		return sh_explicit_list(p);
	if (p->in[p->i] == '{')
		return sh_hash_literal(p);
	return sh_csv_value(p);
}

/* parameter = keyval *("," keyval); a key given twice is an error here */
static json_t *
sh_parse(const char *in, size_t len, char *err, size_t errlen)
{
	struct sh_parser p = { .in = in, .len = len, .err = err, .errlen = errlen };
	json_t *obj, *v;
	size_t ks, kn, last = 0;
	int first = 1;

	if ((obj = json_object()) == NULL) {
		cli_err(err, errlen, "Out of memory");
		return NULL;
	}
	do {
		if (!first && sh_expect(&p, ',', 1) != 0)
			goto fail;
		first = 0;
		sh_key(&p, &ks, &kn);
		sh_resolve_marker(&p);
		if (sh_expect(&p, '=', 1) != 0 || (v = sh_values(&p)) == NULL)
			goto fail;
		if (json_object_getn(obj, in + ks, kn) != NULL) {
			char key[128], loc[512];
			json_decref(v);
			snprintf(key, sizeof(key), "%.*s", (int)(kn < 100 ? kn : 100), in + ks);
			sh_location(&p, last + 1, loc, sizeof(loc));
			cli_err(err, errlen, "Second instance of key \"%s\" encountered "
			    "for input:\n%s\nThis is often because there is a preceding "
			    "\",\" instead of a space.", key, loc);
			goto fail;
		}
		if (json_object_setn_new_nocheck(obj, in + ks, kn, v) != 0) {
			cli_err(err, errlen, "Out of memory");
			goto fail;
		}
		last = p.i;
	} while (p.i < p.len);
	return obj;
 fail:
	json_decref(obj);
	return NULL;
}

/* ---- typing the parsed values (BackCompatVisitor and blobs) ------------- */

struct cli_ctx {
	const char	*flag;		/* "--validity", for messages */
	char		*err;
	size_t		 errlen;
};

static int
cli_param_error(struct cli_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "Error parsing parameter '--validity': ..." */
static int
cli_param_error(struct cli_ctx *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_err(c->err, c->errlen, "Error parsing parameter '%s': %s", c->flag, msg);
	return -1;
}

/* At most 100 bytes of a rejected value, for Python's "invalid literal". */
static void
cli_show(char *dst, size_t len, const char *s, size_t n)
{
	snprintf(dst, len, "%.*s", (int)(n > 100 ? 100 : n), s);
}

/* Python int(): surrounding whitespace, a sign, digits with single '_'
 * between them */
static int
cli_parse_int(const char *s, size_t n, long long *out)
{
	size_t i = 0, end = n;
	unsigned long long v = 0, lim;
	int neg = 0, digits = 0;

	while (i < end && cli_is_space((unsigned char)s[i]))
		i++;
	while (end > i && cli_is_space((unsigned char)s[end - 1]))
		end--;
	if (i < end && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	lim = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
	for (; i < end; i++) {
		if (s[i] == '_' && digits > 0 && i + 1 < end && cli_is_digit(s[i + 1]))
			continue;
		if (!cli_is_digit(s[i]))
			return -1;
		if (v > (lim - (unsigned long long)(s[i] - '0')) / 10)
			return -2;
		v = v * 10 + (unsigned long long)(s[i] - '0');
		digits++;
	}
	if (digits == 0)
		return -1;
	*out = neg ? (v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN :
	    -(long long)v) : (long long)v;
	return 0;
}

static int
cli_parse_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!cli_is_digit((*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/*
 * A timestamp argument: epoch seconds, or ISO 8601
 * "YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|+HH:MM|-HH:MM|+HHMM]" (UTC unless
 * an offset is given). botocore accepts more (dateutil); these are the
 * forms people type.
 */
static int
cli_parse_timestamp(const char *s, double *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	double frac = 0;
	const char *p = s;
	struct tm tm;
	char *end;
	time_t t;

	errno = 0;
	*out = strtod(s, &end);
	if (end != s && errno == 0 && isfinite(*out)) {
		while (cli_is_space((unsigned char)*end))
			end++;
		if (*end == '\0')
			return 0;
	}
	if (cli_parse_digits(&p, 4, &y) != 0 || *p++ != '-' ||
	    cli_parse_digits(&p, 2, &mo) != 0 || *p++ != '-' ||
	    cli_parse_digits(&p, 2, &d) != 0)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (cli_parse_digits(&p, 2, &h) != 0 || *p++ != ':' ||
		    cli_parse_digits(&p, 2, &mi) != 0)
			return -1;
		if (*p == ':') {
			p++;
			if (cli_parse_digits(&p, 2, &sec) != 0)
				return -1;
			if (*p == '.') {
				double scale = 0.1;
				p++;
				if (!cli_is_digit(*p))
					return -1;
				for (; cli_is_digit(*p); p++, scale /= 10)
					frac += (*p - '0') * scale;
			}
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (cli_parse_digits(&p, 2, &oh) != 0)
			return -1;
		if (*p == ':')
			p++;
		if (cli_parse_digits(&p, 2, &om) != 0)
			return -1;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*out = (double)t + frac - sign * (oh * 3600 + om * 60);
	return 0;
}

static json_t *
cli_base64(const char *s, size_t n)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *b = (const unsigned char *)s;
	size_t i, o = 0;
	json_t *v;
	char *out;

	if (n > SIZE_MAX / 2 || (out = malloc((n + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t x = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
		out[o++] = al[x >> 18];
		out[o++] = al[(x >> 12) & 63];
		out[o++] = al[(x >> 6) & 63];
		out[o++] = al[x & 63];
	}
	if (i < n) {
		uint32_t x = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0);
		out[o++] = al[x >> 18];
		out[o++] = al[(x >> 12) & 63];
		out[o++] = i + 1 < n ? al[(x >> 6) & 63] : '=';
		out[o++] = '=';
	}
	v = json_stringn(out, o);
	free(out);
	return v;
}

/*
 * A scalar from its text: blobs are the text's bytes (base64 for the
 * codec), numbers and booleans parsed like the AWS CLI does, the rest kept
 * as strings. *out is a new reference.
 */
static int
cli_scalar(struct cli_ctx *c, const ProtobufCFieldDescriptor *f, const char *s,
    size_t n, json_t **out)
{
	char shown[128];
	long long iv;
	double dv;
	int r;

	*out = NULL;
	switch (f->type) {
	case PROTOBUF_C_TYPE_BYTES:
		*out = cli_base64(s, n);
		break;
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
		if ((r = cli_parse_int(s, n, &iv)) != 0) {
			cli_show(shown, sizeof(shown), s, n);
			return cli_param_error(c, r == -2 ? "integer out of range: '%s'" :
			    "invalid literal for int() with base 10: '%s'", shown);
		}
		*out = json_integer(iv);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE: {
		char *tmp = malloc(n + 1);	/* s is not NUL-terminated */
		if (tmp == NULL)
			break;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		r = f->type == PROTOBUF_C_TYPE_DOUBLE ? cli_parse_timestamp(tmp, &dv) : -1;
		if (r != 0 && f->type == PROTOBUF_C_TYPE_FLOAT) {
			char *end;
			errno = 0;
			dv = strtod(tmp, &end);
			r = end != tmp && *end == '\0' && errno == 0 && isfinite(dv) ? 0 : -1;
		}
		free(tmp);
		if (r != 0) {
			cli_show(shown, sizeof(shown), s, n);
			return cli_param_error(c, f->type == PROTOBUF_C_TYPE_DOUBLE ?
			    "Invalid timestamp value: '%s'" :
			    "could not convert string to float: '%s'", shown);
		}
		*out = json_real(dv);
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		/* unpack_scalar_cli_arg(): "false" (any case) is false, any
		 * other text true */
		*out = json_boolean(!(n == 5 && strncasecmp(s, "false", 5) == 0));
		break;
	default:
		*out = json_stringn_nocheck(s, n);
		break;
	}
	if (*out == NULL) {
		cli_err(c->err, c->errlen, "Out of memory");
		return -1;
	}
	return 0;
}

static int cli_type_message(struct cli_ctx *, const ProtobufCMessageDescriptor *,
    json_t *, int, unsigned);

/*
 * Give one value of field f its JSON type. shorthand: the value came from
 * shorthand, where everything is a string (BackCompatVisitor's rules);
 * otherwise it came from JSON and only blobs change. *v may be replaced.
 */
static int
cli_type_value(struct cli_ctx *c, const ProtobufCFieldDescriptor *f, json_t **v,
    int shorthand, unsigned depth)
{
	json_t *nv;

	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		if (json_is_object(*v))
			return cli_type_message(c, f->descriptor, *v, shorthand, depth + 1);
		return 0;	/* the codec names the type error */
	}
	if (!json_is_string(*v))
		return 0;
	/* blobs are text to base64 and timestamps may be ISO 8601 whatever
	 * the source (botocore takes both); the rest only from shorthand */
	if (f->type == PROTOBUF_C_TYPE_BYTES || f->type == PROTOBUF_C_TYPE_DOUBLE ||
	    (shorthand && f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_ENUM)) {
		if (shorthand && f->type == PROTOBUF_C_TYPE_BOOL) {
			/* only "true"/"false" become booleans */
			const char *s = json_string_value(*v);
			size_t n = json_string_length(*v);
			if (n == 4 && strncasecmp(s, "true", 4) == 0)
				nv = json_true();
			else if (n == 5 && strncasecmp(s, "false", 5) == 0)
				nv = json_false();
			else
				return 0;
		} else if (cli_scalar(c, f, json_string_value(*v),
		    json_string_length(*v), &nv) != 0)
			return -1;
		json_decref(*v);
		*v = nv;
	}
	return 0;
}

static int
cli_type_field(struct cli_ctx *c, const ProtobufCFieldDescriptor *f, json_t **v,
    int shorthand, unsigned depth)
{
	size_t i;

	if (json_is_null(*v))
		return 0;
	if (f->label != PROTOBUF_C_LABEL_REPEATED)
		return cli_type_value(c, f, v, shorthand, depth);
	if (!json_is_array(*v)) {
		json_t *arr;
		if (!shorthand)
			return 0;
		/* "Actions=IssueCertificate" means a list of one */
		if ((arr = json_array()) == NULL || json_array_append_new(arr, *v) != 0) {
			json_decref(arr);
			*v = NULL;
			cli_err(c->err, c->errlen, "Out of memory");
			return -1;
		}
		*v = arr;
	}
	for (i = 0; i < json_array_size(*v); i++) {
		json_t *item = json_incref(json_array_get(*v, i));
		int r = json_is_null(item) ? 0 : cli_type_value(c, f, &item, shorthand, depth);
		if (r == 0 && json_array_set(*v, i, item) != 0)
			r = -1;
		json_decref(item);
		if (r != 0)
			return -1;
	}
	return 0;
}

static int
cli_type_message(struct cli_ctx *c, const ProtobufCMessageDescriptor *d,
    json_t *obj, int shorthand, unsigned depth)
{
	char name[CLI_NAME_MAX];
	unsigned i;

	if (depth > CLI_MAX_DEPTH)
		return 0;	/* deeper than the codec accepts: it will say so */
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		json_t *v;
		int r;

		codec_field_json_name(d, f, name, sizeof(name));
		if ((v = json_object_get(obj, name)) == NULL)
			continue;
		json_incref(v);
		r = cli_type_field(c, f, &v, shorthand, depth);
		if (r == 0 && json_object_set(obj, name, v) != 0) {
			cli_err(c->err, c->errlen, "Out of memory");
			r = -1;
		}
		json_decref(v);
		if (r != 0)
			return -1;
	}
	return 0;
}

/* Strings the codec will see must be text; argv and fileb:// need not be. */
static int
cli_check_text(struct cli_ctx *c, const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_string(v)) {
		if (!utf8_valid(json_string_value(v), json_string_length(v), NULL))
			return cli_param_error(c, "the value is not valid UTF-8 text "
			    "(use fileb:// only for blob parameters)");
		return 0;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if (cli_check_text(c, item) != 0)
				return -1;
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
			if (cli_check_text(c, item) != 0)
				return -1;
	}
	return 0;
}

static const char *
cli_lstrip(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && cli_is_space((unsigned char)s[i]))
		i++;
	return s + i;
}

static int
cli_json_parse(struct cli_ctx *c, const char *s, size_t n, json_t **out)
{
	json_error_t jerr;
	char shown[256];

	if ((*out = json_loadb(s, n, 0, &jerr)) == NULL) {
		snprintf(shown, sizeof(shown), "%.*s", (int)(n > 200 ? 200 : n), s);
		return cli_param_error(c, "Invalid JSON: %s\nJSON received: %s",
		    jerr.text, shown);
	}
	return 0;
}

/* A structure: JSON when it starts with '{', shorthand otherwise. */
static int
cli_structure(struct cli_ctx *c, const ProtobufCMessageDescriptor *d,
    const char *s, size_t n, json_t **out)
{
	const char *t = cli_lstrip(s, n);
	char msg[512], name[CLI_NAME_MAX];
	json_t *v = NULL;
	int shorthand = 0;

	*out = NULL;
	if (t < s + n && *t == '{') {
		if (cli_json_parse(c, s, n, &v) != 0)
			return -1;
		if (!json_is_object(v)) {
			json_decref(v);
			return cli_param_error(c, "Invalid JSON:\n%.*s", (int)n, s);
		}
	} else if (t < s + n && *t == '[') {
		return cli_param_error(c, "Invalid JSON:\n%.*s", (int)n, s);
	} else if (d->n_fields == 1 && (d->fields[0].type == PROTOBUF_C_TYPE_STRING ||
	    d->fields[0].type == PROTOBUF_C_TYPE_ENUM) &&
	    strcmp(codec_field_json_name(d, &d->fields[0], name, sizeof(name)),
	    "Value") == 0 && memchr(s, '=', n) == NULL) {
		/* argprocess special case: --foo bar means {"Value": "bar"} */
		if ((v = json_object()) == NULL ||
		    json_object_set_new(v, name, json_stringn_nocheck(s, n)) != 0) {
			json_decref(v);
			cli_err(c->err, c->errlen, "Out of memory");
			return -1;
		}
	} else {
		if ((v = sh_parse(s, n, msg, sizeof(msg))) == NULL)
			return cli_param_error(c, "%s", msg);
		shorthand = 1;
	}
	if (cli_type_message(c, d, v, shorthand, 1) != 0) {
		json_decref(v);
		return -1;
	}
	*out = v;
	return 0;
}

/* ---- argv ---------------------------------------------------------------- */

struct cli_member {
	const ProtobufCFieldDescriptor	*f;
	char				 json[CLI_NAME_MAX];
	char				 flag[CLI_NAME_MAX + 2];
	int				 given;
	int				 first, nwords;	/* its words in argv */
	const char			*inline_value;	/* --flag=value */
	int				 bool_value;
};

static int
cli_member_is_bool(const struct cli_member *m)
{
	return m->f->type == PROTOBUF_C_TYPE_BOOL &&
	    m->f->label != PROTOBUF_C_LABEL_REPEATED;
}

static struct cli_member *
cli_member_find(struct cli_member *ms, size_t n, const char *flag, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(ms[i].flag) == len && strncmp(ms[i].flag, flag, len) == 0)
			return &ms[i];
	return NULL;
}

/* One member's words -> its JSON value. */
static int
cli_member_value(struct cli_ctx *c, const struct cli_member *m, char **words,
    int nwords, json_t **out)
{
	const ProtobufCFieldDescriptor *f = m->f;
	char *text = NULL, msg[512];
	json_t *v = NULL, *item;
	size_t len;
	int i, r = -1;

	*out = NULL;
	if (cli_member_is_bool(m)) {
		*out = json_boolean(m->bool_value);
		return 0;
	}
	/* like awscli, a file:// list is one word: the file holds the list */
	if (f->label != PROTOBUF_C_LABEL_REPEATED || nwords == 1) {
		if (cli_param_value(words[0], &text, &len, msg, sizeof(msg)) != 0)
			return cli_param_error(c, "%s", msg);
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		const char *t = text != NULL ? cli_lstrip(text, len) : NULL;

		if (t != NULL && t < text + len && *t == '[') {
			if (cli_json_parse(c, text, len, &v) != 0)
				goto out;
			if (!json_is_array(v)) {
				r = cli_param_error(c, "Invalid JSON:\n%s", text);
				goto out;
			}
			if (cli_type_field(c, f, &v, 0, 0) != 0)
				goto out;
		} else {
			if ((v = json_array()) == NULL)
				goto nomem;
			/* each word is one item: scalar text, or a structure
			 * as JSON or shorthand */
			for (i = 0; i < nwords; i++) {
				const char *s = nwords == 1 ? text : words[i];
				size_t n = nwords == 1 ? len : strlen(words[i]);

				if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
					if (cli_structure(c, f->descriptor, s, n, &item) != 0)
						goto out;
				} else if (cli_scalar(c, f, s, n, &item) != 0)
					goto out;
				if (json_array_append_new(v, item) != 0)
					goto nomem;
			}
		}
	} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		if (cli_structure(c, f->descriptor, text, len, &v) != 0)
			goto out;
	} else if (cli_scalar(c, f, text, len, &v) != 0)
		goto out;
	if (cli_check_text(c, v) != 0)
		goto out;
	*out = v;
	v = NULL;
	r = 0;
	goto out;
 nomem:
	cli_err(c->err, c->errlen, "Out of memory");
 out:
	json_decref(v);
	free(text);
	return r;
}

/* --cli-input-json: a JSON object of the whole input, which arguments
 * given on the command line override (as in the AWS CLI). */
static int
cli_input_json(const ProtobufCMessageDescriptor *input, const char *arg,
    json_t **out, char *err, size_t errlen)
{
	struct cli_ctx c = { CLI_INPUT_JSON, err, errlen };
	char *text = NULL, msg[512];
	json_t *v = NULL;
	size_t len;
	int r = -1;

	*out = NULL;
	if (cli_param_value(arg, &text, &len, msg, sizeof(msg)) != 0)
		return cli_param_error(&c, "%s", msg);
	if (cli_json_parse(&c, text, len, &v) != 0)
		goto out;
	if (!json_is_object(v)) {
		r = cli_param_error(&c, "Invalid JSON:\n%s", text);
		goto out;
	}
	if (cli_type_message(&c, input, v, 0, 1) != 0 || cli_check_text(&c, v) != 0)
		goto out;
	*out = v;
	v = NULL;
	r = 0;
 out:
	json_decref(v);
	free(text);
	return r;
}

/* Append ", word" (or "word") to a growing list for the error message. */
static void
cli_list_add(char *buf, size_t len, size_t *off, const char *word)
{
	int n = snprintf(buf + *off, len - *off, "%s%s", *off == 0 ? "" : ", ", word);

	if (n > 0)
		*off = (size_t)n >= len - *off ? len - 1 : *off + (size_t)n;
}

int
cli_args_parse(const ProtobufCMessageDescriptor *input, int argc, char **argv,
    json_t **out, char *err, size_t errlen)
{
	struct cli_member *ms = NULL, *m;
	json_t *obj = NULL, *v;
	const char *input_json = NULL;
	char list[1024];
	size_t nm = input->n_fields, off, i;
	int a, r = -1;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((ms = calloc(nm + 1, sizeof(*ms))) == NULL) {
		cli_err(err, errlen, "Out of memory");
		goto out;
	}
	for (i = 0; i < nm; i++) {
		ms[i].f = &input->fields[i];
		codec_field_json_name(input, ms[i].f, ms[i].json, sizeof(ms[i].json));
		ms[i].flag[0] = ms[i].flag[1] = '-';
		cli_flag_name(ms[i].json, ms[i].flag + 2, sizeof(ms[i].flag) - 2);
	}

	/* 1. split argv the way argparse does; a repeated flag: last wins */
	off = 0;
	list[0] = '\0';
	for (a = 0; a < argc;) {
		const char *arg = argv[a], *eq;
		size_t nlen;
		int neg = 0, j;

		if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
			cli_list_add(list, sizeof(list), &off, arg);
			a++;
			continue;
		}
		eq = strchr(arg, '=');
		nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		m = cli_member_find(ms, nm, arg, nlen);
		if (m == NULL && nlen > 5 && strncmp(arg, "--no-", 5) == 0) {
			/* --no-flag: the false of a boolean member */
			char flag[CLI_NAME_MAX + 2];
			snprintf(flag, sizeof(flag), "--%.*s", (int)(nlen - 5), arg + 5);
			if ((m = cli_member_find(ms, nm, flag, strlen(flag))) != NULL &&
			    cli_member_is_bool(m))
				neg = 1;
			else
				m = NULL;
		}
		if (m == NULL && !(nlen == strlen(CLI_INPUT_JSON) &&
		    strncmp(arg, CLI_INPUT_JSON, nlen) == 0)) {
			cli_list_add(list, sizeof(list), &off, arg);
			a++;
			continue;
		}
		if (m != NULL && cli_member_is_bool(m)) {
			if (eq != NULL) {
				cli_err(err, errlen, "argument %.*s: ignored explicit "
				    "argument '%s'", (int)nlen, arg, eq + 1);
				goto out;
			}
			m->given = 1;
			m->bool_value = !neg;
			a++;
			continue;
		}
		if (eq != NULL) {
			if (m == NULL)
				input_json = eq + 1;
			else {
				m->given = 1;
				m->inline_value = eq + 1;
				m->nwords = 1;
			}
			a++;
			continue;
		}
		for (j = a + 1; j < argc && strncmp(argv[j], "--", 2) != 0; j++)
			;
		if (j == a + 1) {
			cli_err(err, errlen, "argument %s: expected %s argument", arg,
			    m != NULL && m->f->label == PROTOBUF_C_LABEL_REPEATED ?
			    "at least one" : "one");
			goto out;
		}
		if (m == NULL || m->f->label != PROTOBUF_C_LABEL_REPEATED)
			j = a + 2;	/* one word; the rest are strays */
		if (m == NULL)
			input_json = argv[a + 1];
		else {
			m->given = 1;
			m->inline_value = NULL;
			m->first = a + 1;
			m->nwords = j - a - 1;
		}
		a = j;
	}

	/* 2. --cli-input-json first: it may supply required members */
	if (input_json != NULL) {
		if (cli_input_json(input, input_json, &obj, err, errlen) != 0)
			goto out;
	} else if ((obj = json_object()) == NULL) {
		cli_err(err, errlen, "Out of memory");
		goto out;
	}

	/* 3. argparse's checks, in its order: required, then unknown */
	{
		char req[1024];
		size_t roff = 0;

		req[0] = '\0';
		for (i = 0; i < nm; i++)
			if (ms[i].f->label == PROTOBUF_C_LABEL_REQUIRED && !ms[i].given &&
			    json_object_get(obj, ms[i].json) == NULL)
				cli_list_add(req, sizeof(req), &roff, ms[i].flag);
		if (roff > 0) {
			cli_err(err, errlen, "the following arguments are required: %s", req);
			goto out;
		}
	}
	if (off > 0) {
		cli_err(err, errlen, "Unknown options: %s", list);
		goto out;
	}

	/* 4. values, in model order (the AWS CLI's order, and ours for keys) */
	for (i = 0; i < nm; i++) {
		struct cli_ctx c = { ms[i].flag, err, errlen };
		char *one[1];

		if (!ms[i].given)
			continue;
		one[0] = (char *)ms[i].inline_value;
		if (cli_member_value(&c, &ms[i], ms[i].inline_value != NULL ? one :
		    argv + ms[i].first, ms[i].nwords, &v) != 0)
			goto out;
		if (json_object_set_new(obj, ms[i].json, v) != 0) {
			cli_err(err, errlen, "Out of memory");
			goto out;
		}
	}
	*out = obj;
	obj = NULL;
	r = 0;
 out:
	json_decref(obj);
	free(ms);
	return r;
}

/* ---- printing ------------------------------------------------------------ */

/* json.dumps(ensure_ascii=False) string escaping */
static void
cli_print_string(FILE *f, const char *s, size_t n)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':	fputs("\\\"", f); break;
		case '\\':	fputs("\\\\", f); break;
		case '\n':	fputs("\\n", f); break;
		case '\r':	fputs("\\r", f); break;
		case '\t':	fputs("\\t", f); break;
		case '\b':	fputs("\\b", f); break;
		case '\f':	fputs("\\f", f); break;
		default:
			if (c < 0x20)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

/* Python's repr(float): the shortest digits that read back the same,
 * positional for exponents -4..15, else d.ddde+XX */
static void
cli_print_real(FILE *f, double v)
{
	char tmp[40], digits[24], out[64];
	int p, e, nd = 0, o = 0, neg;
	const char *q;

	if (!isfinite(v)) {
		fputs(isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity", f);
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	neg = tmp[0] == '-';
	for (q = tmp + neg; *q != 'e'; q++)
		if (cli_is_digit(*q))
			digits[nd++] = *q;
	e = atoi(q + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (neg)
		out[o++] = '-';
	if (e >= -4 && e < 16) {
		if (e >= 0) {
			for (int i = 0; i <= e; i++)
				out[o++] = i < nd ? digits[i] : '0';
			out[o++] = '.';
			if (nd > e + 1)
				for (int i = e + 1; i < nd; i++)
					out[o++] = digits[i];
			else
				out[o++] = '0';
		} else {
			out[o++] = '0';
			out[o++] = '.';
			for (int i = 0; i < -e - 1; i++)
				out[o++] = '0';
			for (int i = 0; i < nd; i++)
				out[o++] = digits[i];
		}
		out[o] = '\0';
	} else {
		out[o++] = digits[0];
		if (nd > 1) {
			out[o++] = '.';
			for (int i = 1; i < nd; i++)
				out[o++] = digits[i];
		}
		snprintf(out + o, sizeof(out) - (size_t)o, "e%c%02d", e < 0 ? '-' : '+',
		    e < 0 ? -e : e);
	}
	fputs(out, f);
}

static void
cli_print_indent(FILE *f, int n)
{
	for (int i = 0; i < n; i++)
		fputc(' ', f);
}

static void
cli_print_value(FILE *f, const json_t *v, int indent)
{
	const char *key;
	json_t *item;
	size_t i, n;
	void *it;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			fputs("{}", f);
			return;
		}
		fputs("{\n", f);
		n = json_object_size(v);
		i = 0;
		for (it = json_object_iter((json_t *)v); it != NULL;
		    it = json_object_iter_next((json_t *)v, it)) {
			key = json_object_iter_key(it);
			cli_print_indent(f, indent + 4);
			cli_print_string(f, key, json_object_iter_key_len(it));
			fputs(": ", f);
			cli_print_value(f, json_object_iter_value(it), indent + 4);
			fputs(++i < n ? ",\n" : "\n", f);
		}
		cli_print_indent(f, indent);
		fputc('}', f);
		return;
	case JSON_ARRAY:
		if ((n = json_array_size(v)) == 0) {
			fputs("[]", f);
			return;
		}
		fputs("[\n", f);
		json_array_foreach(v, i, item) {
			cli_print_indent(f, indent + 4);
			cli_print_value(f, item, indent + 4);
			fputs(i + 1 < n ? ",\n" : "\n", f);
		}
		cli_print_indent(f, indent);
		fputc(']', f);
		return;
	case JSON_STRING:
		cli_print_string(f, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	case JSON_REAL:
		cli_print_real(f, json_real_value(v));
		return;
	case JSON_TRUE:
		fputs("true", f);
		return;
	case JSON_FALSE:
		fputs("false", f);
		return;
	case JSON_NULL:
		fputs("null", f);
		return;
	}
}

void
cli_print_json(FILE *f, const json_t *v)
{
	if (v == NULL || (json_is_object(v) && json_object_size(v) == 0))
		return;
	cli_print_value(f, v, 0);
	fputc('\n', f);
}
