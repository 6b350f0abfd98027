/*
 * creds.c - credential and region resolution the way the AWS CLI
 * (botocore) does it, and writing a shared credentials file.
 *
 * botocore details kept here, so that one ~/.aws works for both tools:
 *  - an explicit profile (--profile) disables the environment credentials;
 *    AWS_PROFILE does not (botocore create_credential_resolver());
 *  - a profile that was named (explicitly or by AWS_PROFILE) must exist
 *    in the credentials or the config file, "default" only when named;
 *  - the files are read as Python's configparser reads them: full-line
 *    '#' and ';' comments only (a '#' inside a value is part of it), '='
 *    or ':' as delimiter, option names case-insensitive, section (profile)
 *    names case-sensitive, lines indented deeper than the option above
 *    continue it (nested values, which we ignore);
 *  - credentials come from the credentials file's [name], else from the
 *    config file's [profile name] ([default] for default); values in the
 *    credentials file override the config file's, region included;
 *  - a non-regular file (/dev/null) counts as absent.
 * Secrets read from files are wiped with the file buffer.
 */
#include "creds.h"
#include "log.h"
#include "wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#define CREDS_FILE_MAX		(1024 * 1024)	/* bytes */
#define CREDS_NO_CREDENTIALS	"Unable to locate credentials. You can configure " \
	"credentials by running \"aws configure\"."

/* What one profile says in one file. */
struct profile_vals {
	int	 found;			/* the section exists */
	char	*access_key_id;
	char	*secret_access_key;
	char	*session_token;
	char	*region;
};

static void __attribute__((format(printf, 3, 4)))
why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static void
profile_vals_clear(struct profile_vals *pv)
{
	str_free_wiped(pv->access_key_id);
	str_free_wiped(pv->secret_access_key);
	str_free_wiped(pv->session_token);
	str_free_wiped(pv->region);
	memset(pv, 0, sizeof(*pv));
}

static const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	/* botocore treats an empty variable as unset */
	return v != NULL && v[0] != '\0' ? v : NULL;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static char *
trim_right(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (is_space(s[n - 1]) || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static char *
trim(char *s)
{
	while (is_space(*s))
		s++;
	return trim_right(s);
}

/*
 * Does the section header text (inside the brackets, trimmed) name
 * profile? The credentials file names profiles bare; the config file
 * writes "profile name", and "default" bare or as "profile default".
 */
static int
section_matches(const char *hdr, int config_file, const char *profile)
{
	if (!config_file)
		return strcmp(hdr, profile) == 0;
	if (strcmp(profile, "default") == 0 && strcmp(hdr, "default") == 0)
		return 1;
	if (strncmp(hdr, "profile", 7) != 0 || !is_space(hdr[7]))
		return 0;
	hdr += 7;
	while (is_space(*hdr))
		hdr++;
	return strcmp(hdr, profile) == 0;
}

static int
value_set(char **dst, const char *v)
{
	char *s;

	if ((s = strdup(v)) == NULL)
		return PCA_ERR_NOMEM;
	str_free_wiped(*dst);
	*dst = s;
	return 0;
}

/*
 * Parse the INI text in buf (modified in place) and collect the values of
 * profile's section(s) into pv. Every line is checked, as configparser
 * refuses a whole file for one bad line.
 */
static int
ini_parse(char *buf, const char *path, int config_file, const char *profile,
    struct profile_vals *pv, char *why, size_t whylen)
{
	char *line, *next, *s, *d, *key, *val;
	int in_section = 0, matching = 0, r;
	long opt_indent = -1, indent, lineno = 0;

	if (strncmp(buf, "\xef\xbb\xbf", 3) == 0)	/* UTF-8 BOM */
		buf += 3;
	for (line = buf; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (indent = 0; is_space(line[indent]); indent++)
			;
		s = trim_right(line + indent);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (opt_indent >= 0 && indent > opt_indent)
			continue;		/* continuation of a nested value */
		if (*s == '[') {
			/* configparser reads "[name] # note" as [name]: the
			 * header ends at the last ']' */
			if ((d = strrchr(s, ']')) == NULL)
				goto bad;
			*d = '\0';
			s = trim(s + 1);
			if (*s == '\0')
				goto bad;
			in_section = 1;
			matching = section_matches(s, config_file, profile);
			pv->found |= matching;
			opt_indent = -1;
			continue;
		}
		if (!in_section)
			goto bad;
		if ((d = strpbrk(s, "=:")) == NULL)
			goto bad;
		*d = '\0';
		key = trim_right(s);
		val = trim(d + 1);
		if (*key == '\0')
			goto bad;
		opt_indent = indent;
		if (!matching || *val == '\0')
			continue;
		r = 0;
		if (strcasecmp(key, "aws_access_key_id") == 0)
			r = value_set(&pv->access_key_id, val);
		else if (strcasecmp(key, "aws_secret_access_key") == 0)
			r = value_set(&pv->secret_access_key, val);
		else if (strcasecmp(key, "aws_session_token") == 0)
			r = value_set(&pv->session_token, val);
		else if (strcasecmp(key, "region") == 0)
			r = value_set(&pv->region, val);
		if (r != 0)
			return r;
	}
	return 0;
 bad:
	why_set(why, whylen, "Unable to parse config file: %s (line %ld)", path, lineno);
	return PCA_ERR_CONFIG;
}

/*
 * Read profile's values from the file at path. A missing or non-regular
 * file is no error (pv->found stays 0); an unreadable, oversized or
 * malformed one is PCA_ERR_CONFIG.
 */
static int
ini_profile_read(const char *path, int config_file, const char *profile,
    struct profile_vals *pv, char *why, size_t whylen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd = -1, r = PCA_ERR_INTERNAL;

	if (path == NULL)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		why_set(why, whylen, "Unable to read %s: %s", path, strerror(errno));
		return PCA_ERR_CONFIG;
	}
	if (fstat(fd, &st) != 0) {
		why_set(why, whylen, "Unable to read %s: %s", path, strerror(errno));
		r = PCA_ERR_CONFIG;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = 0;
		goto out;
	}
	if (st.st_size > CREDS_FILE_MAX) {
		why_set(why, whylen, "Unable to read %s: larger than %d bytes", path,
		    CREDS_FILE_MAX);
		r = PCA_ERR_CONFIG;
		goto out;
	}
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	/* the file may change while read: never past cap - 1 */
	while (len < cap - 1) {
		if ((n = read(fd, buf + len, cap - 1 - len)) < 0) {
			if (errno == EINTR)
				continue;
			why_set(why, whylen, "Unable to read %s: %s", path, strerror(errno));
			r = PCA_ERR_CONFIG;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		why_set(why, whylen, "Unable to parse config file: %s (NUL byte)", path);
		r = PCA_ERR_CONFIG;
		goto out;
	}
	r = ini_parse(buf, path, config_file, profile, pv, why, whylen);
 out:
	if (fd >= 0)
		close(fd);
	free_wiped(buf, cap);
	return r;
}

/* $HOME, else the password database; NULL when neither knows. */
static char *
home_dir(void)
{
	const char *h = env_get("HOME");
	struct passwd pw, *res = NULL;
	char pwbuf[4096];

	if (h != NULL)
		return strdup(h);
	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) != 0 || res == NULL ||
	    res->pw_dir == NULL)
		return NULL;
	return strdup(res->pw_dir);
}

/*
 * The path of a shared file: the variable's value with a leading "~"
 * expanded (botocore expanduser()), else ~/.aws/<name>. *pathp is NULL
 * when there is no home to put it in.
 */
static int
aws_file_path(const char *var, const char *name, char **pathp)
{
	const char *v = env_get(var), *rest;
	char *home = NULL, *p = NULL;
	size_t len;
	int r = PCA_ERR_INTERNAL;

	*pathp = NULL;
	if (v != NULL && !(v[0] == '~' && (v[1] == '/' || v[1] == '\0'))) {
		if ((*pathp = strdup(v)) == NULL)
			return PCA_ERR_NOMEM;
		return 0;
	}
	rest = v != NULL ? v + 1 : NULL;
	if ((home = home_dir()) == NULL) {
		r = 0;			/* nowhere to look: no file */
		goto out;
	}
	len = strlen(home) + strlen(rest != NULL ? rest : "/.aws/") + strlen(name) + 1;
	if ((p = malloc(len)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	if (rest != NULL)
		snprintf(p, len, "%s%s", home, rest);
	else
		snprintf(p, len, "%s/.aws/%s", home, name);
	*pathp = p;
	p = NULL;
	r = 0;
 out:
	free(home);
	free(p);
	return r;
}

static int
creds_take(struct creds *out, const char *akid, const char *secret,
    const char *token)
{
	if ((out->access_key_id = strdup(akid)) == NULL ||
	    (out->secret_access_key = strdup(secret)) == NULL ||
	    (token != NULL && (out->session_token = strdup(token)) == NULL))
		return PCA_ERR_NOMEM;
	return 0;
}

/* Credentials of one file's profile, if it has any: 0 with *got set, or
 * PCA_ERR_CONFIG for a key id without its secret (botocore's
 * PartialCredentialsError). */
static int
creds_from_profile(const struct profile_vals *pv, const char *provider,
    struct creds *out, int *got, char *why, size_t whylen)
{
	if (pv->access_key_id == NULL)
		return 0;
	if (pv->secret_access_key == NULL) {
		why_set(why, whylen, "Partial credentials found in %s, missing: "
		    "aws_secret_access_key", provider);
		return PCA_ERR_CONFIG;
	}
	*got = 1;
	return creds_take(out, pv->access_key_id, pv->secret_access_key,
	    pv->session_token);
}

int
creds_resolve(const char *profile, const char *region, struct creds *out,
    char *why, size_t whylen)
{
	struct profile_vals cred_pv, cfg_pv;
	const char *env_akid, *env_secret, *name, *reg = NULL;
	char *cred_path = NULL, *cfg_path = NULL;
	int explicit, named, got = 0, r = PCA_ERR_INTERNAL;

	memset(&cred_pv, 0, sizeof(cred_pv));
	memset(&cfg_pv, 0, sizeof(cfg_pv));
	return_val_if_fail(out != NULL, PCA_ERR_INTERNAL);
	memset(out, 0, sizeof(*out));
	why_set(why, whylen, "%s", "");

	explicit = profile != NULL && profile[0] != '\0';
	name = explicit ? profile : env_get("AWS_PROFILE");
	named = name != NULL;
	if (name == NULL)
		name = "default";

	/* 1. the environment, unless a profile was asked for explicitly */
	env_akid = env_get("AWS_ACCESS_KEY_ID");
	env_secret = env_get("AWS_SECRET_ACCESS_KEY");
	if (!explicit && env_akid != NULL) {
		if (env_secret == NULL) {
			why_set(why, whylen, "Partial credentials found in env, "
			    "missing: AWS_SECRET_ACCESS_KEY");
			r = PCA_ERR_CONFIG;
			goto out;
		}
		if ((r = creds_take(out, env_akid, env_secret,
		    env_get("AWS_SESSION_TOKEN"))) != 0)
			goto out;
		got = 1;
	}
	if (region != NULL && region[0] != '\0')
		reg = region;
	else if ((reg = env_get("AWS_REGION")) == NULL)
		reg = env_get("AWS_DEFAULT_REGION");

	/* 2. the files, when something is still missing or a profile was
	 * named (then it must exist, as botocore checks) */
	if (!got || reg == NULL || named) {
		if ((r = aws_file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials",
		    &cred_path)) != 0 ||
		    (r = aws_file_path("AWS_CONFIG_FILE", "config", &cfg_path)) != 0 ||
		    (r = ini_profile_read(cred_path, 0, name, &cred_pv, why, whylen)) != 0 ||
		    (r = ini_profile_read(cfg_path, 1, name, &cfg_pv, why, whylen)) != 0)
			goto out;
		if (named && !cred_pv.found && !cfg_pv.found) {
			why_set(why, whylen, "The config profile (%s) could not be found",
			    name);
			r = PCA_ERR_CONFIG;
			goto out;
		}
		if (!got && (r = creds_from_profile(&cred_pv,
		    "shared-credentials-file", out, &got, why, whylen)) != 0)
			goto out;
		if (!got && (r = creds_from_profile(&cfg_pv, "config-file", out, &got,
		    why, whylen)) != 0)
			goto out;
		if (reg == NULL)
			reg = cred_pv.region != NULL ? cred_pv.region : cfg_pv.region;
	}
	if (!got) {
		why_set(why, whylen, "%s", CREDS_NO_CREDENTIALS);
		r = PCA_ERR_NOT_FOUND;
		goto out;
	}
	if (reg != NULL && (out->region = strdup(reg)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	r = 0;
 out:
	if (r != 0)
		creds_clear(out);
	profile_vals_clear(&cred_pv);
	profile_vals_clear(&cfg_pv);
	free(cred_path);
	free(cfg_path);
	return r;
}

void
creds_clear(struct creds *c)
{
	if (c == NULL)
		return;
	str_free_wiped(c->access_key_id);
	str_free_wiped(c->secret_access_key);
	str_free_wiped(c->session_token);
	free(c->region);
	memset(c, 0, sizeof(*c));
}

/* A value written to the file must read back unchanged: no control
 * characters (line structure), no surrounding blanks (trimmed on read). */
static int
value_writable(const char *s, const char *forbidden)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || is_space(s[0]) || is_space(s[n - 1]))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || strchr(forbidden, *p) != NULL)
			return 0;
	return 1;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory holding path (malloc'd): "." for a bare name. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int
creds_write_file(const char *path, const char *profile, const char *access_key_id,
    const char *secret)
{
	uint8_t rnd[8];
	char *text = NULL, *dir = NULL, *tmp = NULL;
	size_t text_len = 0, tmp_len;
	int fd = -1, dfd = -1, created = 0, n, r = PCA_ERR_INTERNAL;

	if (profile == NULL)
		profile = "default";
	if (path == NULL || path[0] == '\0' || !value_writable(profile, "[]") ||
	    !value_writable(access_key_id, "") || !value_writable(secret, ""))
		return PCA_ERR_INVALID;

	text_len = strlen(profile) + strlen(access_key_id) + strlen(secret) + 64;
	if ((text = malloc(text_len)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	n = snprintf(text, text_len, "[%s]\naws_access_key_id = %s\n"
	    "aws_secret_access_key = %s\n", profile, access_key_id, secret);
	if (n < 0 || (size_t)n >= text_len)
		goto out;

	if ((dir = dir_of(path)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	/* like "aws configure", create ~/.aws (one level, private) */
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_error("mkdir %s: %s", dir, strerror(errno));
		r = PCA_ERR_IO;
		goto out;
	}
	tmp_len = strlen(path) + 32;
	if ((tmp = malloc(tmp_len)) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	/* 0600 from creation: the secret never sits in a readable file;
	 * O_EXCL and O_NOFOLLOW refuse a planted file or symlink */
	for (int tries = 0; fd < 0 && tries < 8; tries++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			r = PCA_ERR_CRYPTO;
			goto out;
		}
		snprintf(tmp, tmp_len, "%s.tmp-%02x%02x%02x%02x%02x%02x%02x%02x", path,
		    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		log_error("create %s: %s", tmp, strerror(errno));
		r = PCA_ERR_IO;
		goto out;
	}
	created = 1;
	/* the umask can only have narrowed 0600; make it exact */
	if (fchmod(fd, 0600) != 0 || write_all(fd, text, (size_t)n) != 0 ||
	    fsync(fd) != 0) {
		log_error("write %s: %s", tmp, strerror(errno));
		r = PCA_ERR_IO;
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		log_error("close %s: %s", tmp, strerror(errno));
		r = PCA_ERR_IO;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		log_error("rename %s: %s", path, strerror(errno));
		r = PCA_ERR_IO;
		goto out;
	}
	created = 0;
	/* make the rename itself durable */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (fsync(dfd) != 0 && errno != EINVAL)) {
		log_error("fsync %s: %s", dir, strerror(errno));
		r = PCA_ERR_IO;
		goto out;
	}
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (created)
		unlink(tmp);
	free_wiped(text, text_len);
	free(dir);
	free(tmp);
	return r;
}
