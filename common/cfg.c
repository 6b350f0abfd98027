/*
 * cfg.c - table-driven configuration files (see cfg.h).
 *
 * One code path turns text into a value: a line of the file, a command-line
 * override (cfg_set) and a table default all go through cfg_value_set(), so
 * a default is checked exactly like an operator's value and a bad table
 * entry fails loudly at start instead of producing a silent zero.
 */
#include "cfg.h"
#include "err.h"
#include "wipe.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CFG_LINE_MAX	4096	/* longer lines are refused, not truncated */
#define CFG_LIST_MAX	256	/* words in one CFG_LIST value */
#define CFG_MSG_MAX	512

static void *
cfg_field(const struct cfg_key *k, void *obj)
{
	return (char *)obj + k->off;
}

static const void *
cfg_field_const(const struct cfg_key *k, const void *obj)
{
	return (const char *)obj + k->off;
}

static const struct cfg_key *
cfg_key_find(const struct cfg_key *keys, size_t nkeys, const char *name, size_t *idx)
{
	for (size_t i = 0; i < nkeys; i++) {
		if (strcmp(keys[i].name, name) == 0) {
			*idx = i;
			return &keys[i];
		}
	}
	return NULL;
}

static void
cfg_list_clear(struct cfg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
cfg_value_free(const struct cfg_key *k, void *obj)
{
	void *field = cfg_field(k, obj);

	switch (k->type) {
	case CFG_STR:
	case CFG_PATH: {
		char **sp = field;

		/* a sensitive string may be a secret: wipe it on the way out */
		if (k->flags & CFG_SENSITIVE)
			str_free_wiped(*sp);
		else
			free(*sp);
		*sp = NULL;
		break;
	}
	case CFG_LIST:
		cfg_list_clear(field);
		break;
	case CFG_UINT:
		*(unsigned long long *)field = 0;
		break;
	case CFG_BOOL:
		*(int *)field = 0;
		break;
	}
}

static int
cfg_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Decimal digits only: no sign, no base prefix, no spaces ("-1" must not
 * become ULLONG_MAX the way strtoull would have it). */
static int
cfg_uint_parse(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
cfg_bool_parse(const char *s, int *out)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0) {
		*out = 1;
		return 0;
	}
	if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* Split value into words; repeated words are refused (never meaningful in
 * a list of allowed things, and usually a typo). */
static int
cfg_list_parse(const char *value, struct cfg_list *out, char *msg, size_t msglen)
{
	struct cfg_list l = { NULL, 0 };
	const char *p = value;
	int r = PCA_ERR_CONFIG;

	/* an empty list is a value: "allow-extension-oids" alone means none */
	if ((l.v = calloc(1, sizeof(*l.v))) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return PCA_ERR_NOMEM;
	}
	while (*p != '\0') {
		const char *w;
		size_t wl;
		char **nv;

		while (cfg_is_space(*p))
			p++;
		if (*p == '\0')
			break;
		for (w = p; *p != '\0' && !cfg_is_space(*p); p++)
			;
		wl = (size_t)(p - w);
		if (l.n >= CFG_LIST_MAX) {
			snprintf(msg, msglen, "more than %d words", CFG_LIST_MAX);
			goto out;
		}
		for (size_t i = 0; i < l.n; i++) {
			if (strlen(l.v[i]) == wl && memcmp(l.v[i], w, wl) == 0) {
				snprintf(msg, msglen, "word '%.*s' repeated",
				    (int)(wl > 64 ? 64 : wl), w);
				goto out;
			}
		}
		if ((nv = realloc(l.v, (l.n + 2) * sizeof(*l.v))) == NULL) {
			r = PCA_ERR_NOMEM;
			snprintf(msg, msglen, "out of memory");
			goto out;
		}
		l.v = nv;
		if ((l.v[l.n] = strndup(w, wl)) == NULL) {
			r = PCA_ERR_NOMEM;
			snprintf(msg, msglen, "out of memory");
			goto out;
		}
		l.n++;
		l.v[l.n] = NULL;
	}
	*out = l;
	l.v = NULL;
	l.n = 0;
	r = 0;
 out:
	cfg_list_clear(&l);
	return r;
}

/*
 * Parse value for key k and store it in obj, replacing (and freeing) what
 * was there. On error obj is unchanged and msg says why, without location.
 */
static int
cfg_value_set(const struct cfg_key *k, void *obj, const char *value, char *msg, size_t msglen)
{
	void *field = cfg_field(k, obj);
	unsigned long long u = 0;
	struct cfg_list l = { NULL, 0 };
	char *s = NULL;
	int b = 0, r;

	for (const char *p = value; *p != '\0'; p++) {
		/* control characters cannot survive a dump and re-parse */
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			snprintf(msg, msglen, "control character in value");
			return PCA_ERR_CONFIG;
		}
	}
	if (k->type != CFG_LIST && *value == '\0') {
		snprintf(msg, msglen, "missing value");
		return PCA_ERR_CONFIG;
	}
	switch (k->type) {
	case CFG_STR:
	case CFG_PATH:
		break;
	case CFG_UINT:
		if (cfg_uint_parse(value, &u) != 0) {
			snprintf(msg, msglen, "'%.64s' is not an unsigned decimal number", value);
			return PCA_ERR_CONFIG;
		}
		if (u < k->min || (k->max != 0 && u > k->max)) {
			if (k->max != 0)
				snprintf(msg, msglen, "%llu is out of range %llu..%llu",
				    u, k->min, k->max);
			else
				snprintf(msg, msglen, "%llu is below the minimum %llu", u, k->min);
			return PCA_ERR_CONFIG;
		}
		break;
	case CFG_BOOL:
		if (cfg_bool_parse(value, &b) != 0) {
			snprintf(msg, msglen, "'%.64s' is not yes/no/true/false/1/0", value);
			return PCA_ERR_CONFIG;
		}
		break;
	case CFG_LIST:
		break;
	default:
		snprintf(msg, msglen, "internal error: unknown type %d", (int)k->type);
		return PCA_ERR_INTERNAL;
	}
	if (k->check != NULL && k->check(value, msg, msglen) != 0) {
		if (msg[0] == '\0')
			snprintf(msg, msglen, "value refused");
		return PCA_ERR_CONFIG;
	}
	/* parse into temporaries first so a failure leaves obj as it was */
	if (k->type == CFG_LIST && (r = cfg_list_parse(value, &l, msg, msglen)) != 0)
		return r;
	if ((k->type == CFG_STR || k->type == CFG_PATH) && (s = strdup(value)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return PCA_ERR_NOMEM;
	}
	cfg_value_free(k, obj);
	switch (k->type) {
	case CFG_STR:
	case CFG_PATH:
		*(char **)field = s;
		break;
	case CFG_UINT:
		*(unsigned long long *)field = u;
		break;
	case CFG_BOOL:
		*(int *)field = b;
		break;
	case CFG_LIST:
		*(struct cfg_list *)field = l;
		break;
	}
	return 0;
}

/*
 * Fill defaults for the keys not in seen[] and check required ones. where
 * prefixes messages (the file name, or "configuration").
 */
static int
cfg_fill(const struct cfg_key *keys, size_t nkeys, void *obj, const unsigned *seen,
    const char *where, char *err, size_t errlen)
{
	char msg[CFG_MSG_MAX];

	for (size_t i = 0; i < nkeys; i++) {
		if (seen[i] != 0)
			continue;
		if (keys[i].required) {
			snprintf(err, errlen, "%s: missing required keyword '%s'", where, keys[i].name);
			return PCA_ERR_CONFIG;
		}
		if (keys[i].def == NULL)
			continue;
		msg[0] = '\0';
		if (cfg_value_set(&keys[i], obj, keys[i].def, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s: default of '%s': %s", where, keys[i].name, msg);
			return PCA_ERR_CONFIG;
		}
	}
	return 0;
}

/* Cut a comment: '#' at the start of the line or after blank space, so a
 * '#' inside a value such as a URI fragment survives. */
static void
cfg_comment_cut(char *line)
{
	for (char *p = line; *p != '\0'; p++) {
		if (*p == '#' && (p == line || cfg_is_space(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

int
cfg_load(const char *path, const struct cfg_key *keys, size_t nkeys,
    void *obj, char *err, size_t errlen)
{
	FILE *f = NULL;
	char *line = NULL, msg[CFG_MSG_MAX];
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0, *seen = NULL;	/* seen[i]: line that set keys[i], 0 if none */
	int r = PCA_ERR_CONFIG;

	if (errlen > 0)
		err[0] = '\0';
	if ((seen = calloc(nkeys + 1, sizeof(*seen))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		const struct cfg_key *k;
		char *kw, *val, *end;
		size_t idx = 0;

		if (++lineno == 0) {	/* 4 billion lines: not a config file */
			snprintf(err, errlen, "%s: too many lines", path);
			goto out;
		}
		/* the limit is on the text; its newline does not count, so a
		 * line cfg_dump() writes back loads again */
		if ((size_t)n - (n > 0 && line[n - 1] == '\n') > CFG_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", path, lineno,
			    CFG_LINE_MAX);
			goto out;
		}
		if (strlen(line) != (size_t)n) {
			snprintf(err, errlen, "%s:%u: NUL byte in line", path, lineno);
			goto out;
		}
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		cfg_comment_cut(line);
		for (kw = line; cfg_is_space(*kw); kw++)
			;
		end = kw + strlen(kw);
		while (end > kw && cfg_is_space(end[-1]))
			*--end = '\0';
		if (*kw == '\0')
			continue;
		for (val = kw; *val != '\0' && !cfg_is_space(*val); val++)
			;
		if (*val != '\0') {
			*val++ = '\0';
			while (cfg_is_space(*val))
				val++;
		}
		if ((k = cfg_key_find(keys, nkeys, kw, &idx)) == NULL) {
			snprintf(err, errlen, "%s:%u: unknown keyword '%.64s'", path, lineno, kw);
			goto out;
		}
		if (seen[idx] != 0) {
			snprintf(err, errlen, "%s:%u: keyword '%s' repeated (first on line %u)",
			    path, lineno, k->name, seen[idx]);
			goto out;
		}
		msg[0] = '\0';
		if (cfg_value_set(k, obj, val, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s:%u: %s: %s", path, lineno, k->name, msg);
			goto out;
		}
		seen[idx] = lineno;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (cfg_fill(keys, nkeys, obj, seen, path, err, errlen) != 0)
		goto out;
	r = 0;
 out:
	if (line != NULL) {
		wipe(line, cap);	/* a line may have held a secret value */
		free(line);
	}
	if (f != NULL)
		fclose(f);
	free(seen);
	return r;
}

int
cfg_set(const struct cfg_key *keys, size_t nkeys, void *obj,
    const char *name, const char *value, char *err, size_t errlen)
{
	const struct cfg_key *k;
	char msg[CFG_MSG_MAX] = "";
	size_t idx;

	if (errlen > 0)
		err[0] = '\0';
	if ((k = cfg_key_find(keys, nkeys, name, &idx)) == NULL) {
		snprintf(err, errlen, "unknown keyword '%.64s'", name);
		return PCA_ERR_CONFIG;
	}
	if (cfg_value_set(k, obj, value, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", k->name, msg);
		return PCA_ERR_CONFIG;
	}
	return 0;
}

/* Nonzero when the field holds a value; see cfg_finish() in cfg.h for why
 * a numeric 0 counts as "not set" here. */
static int
cfg_value_present(const struct cfg_key *k, const void *obj)
{
	const void *field = cfg_field_const(k, obj);

	switch (k->type) {
	case CFG_STR:
	case CFG_PATH:
		return *(char * const *)field != NULL;
	case CFG_LIST:
		return ((const struct cfg_list *)field)->v != NULL;
	case CFG_UINT:
		return *(const unsigned long long *)field != 0;
	case CFG_BOOL:
		return *(const int *)field != 0;
	}
	return 0;
}

int
cfg_finish(const struct cfg_key *keys, size_t nkeys, void *obj,
    char *err, size_t errlen)
{
	unsigned *seen;
	int r;

	if (errlen > 0)
		err[0] = '\0';
	if ((seen = calloc(nkeys + 1, sizeof(*seen))) == NULL) {
		snprintf(err, errlen, "configuration: out of memory");
		return PCA_ERR_CONFIG;
	}
	for (size_t i = 0; i < nkeys; i++)
		seen[i] = cfg_value_present(&keys[i], obj);
	r = cfg_fill(keys, nkeys, obj, seen, "configuration", err, errlen);
	free(seen);
	return r == 0 ? 0 : PCA_ERR_CONFIG;
}

void
cfg_dump(FILE *f, const struct cfg_key *keys, size_t nkeys, const void *obj)
{
	for (size_t i = 0; i < nkeys; i++) {
		const struct cfg_key *k = &keys[i];
		const void *field = cfg_field_const(k, obj);

		if (k->flags & CFG_SENSITIVE) {
			fprintf(f, "# %s (sensitive, not shown)\n", k->name);
			continue;
		}
		switch (k->type) {
		case CFG_STR:
		case CFG_PATH: {
			const char *s = *(char * const *)field;

			if (s == NULL)
				fprintf(f, "# %s (not set)\n", k->name);
			else
				fprintf(f, "%s %s\n", k->name, s);
			break;
		}
		case CFG_UINT:
			fprintf(f, "%s %llu\n", k->name, *(const unsigned long long *)field);
			break;
		case CFG_BOOL:
			fprintf(f, "%s %s\n", k->name, *(const int *)field ? "yes" : "no");
			break;
		case CFG_LIST: {
			const struct cfg_list *l = field;

			fputs(k->name, f);
			for (size_t j = 0; j < l->n; j++)
				fprintf(f, " %s", l->v[j]);
			fputc('\n', f);
			break;
		}
		}
	}
}

void
cfg_free(const struct cfg_key *keys, size_t nkeys, void *obj)
{
	if (obj == NULL)
		return;
	for (size_t i = 0; i < nkeys; i++)
		cfg_value_free(&keys[i], obj);
}

int
cfg_check_mode_0600(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return PCA_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return PCA_ERR_PERM;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by us (uid %u)", path,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		return PCA_ERR_PERM;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %04o is too open (0600 or stricter)", path,
		    (unsigned)(st.st_mode & 07777));
		return PCA_ERR_PERM;
	}
	return 0;
}
