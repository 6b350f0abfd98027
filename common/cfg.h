/*
 * cfg.h - configuration files, defined by one table per file.
 *
 * A file is lines of "keyword value"; '#' starts a comment; blank lines are
 * ignored. Each keyword is described once, in a table of struct cfg_key:
 * parsing, defaults, bounds, checking and dumping all come from it.
 *
 *	struct signer_cfg { char *token_uri; unsigned workers; ... };
 *	static const struct cfg_key keys[] = {
 *		{ "token-uri", CFG_STR,  CFG_OFF(struct signer_cfg, token_uri), .required = 1 },
 *		{ "workers",   CFG_UINT, CFG_OFF(struct signer_cfg, workers), .min = 1, .max = 256, .def = "2" },
 *	};
 *
 * Unknown keywords, repeated keywords, values out of bounds and missing
 * required keywords are errors naming file and line. Values of CFG_LIST
 * are space-separated words.
 */
#ifndef PCA_CFG_H
#define PCA_CFG_H

#include <stddef.h>
#include <stdio.h>

enum cfg_type {
	CFG_STR,	/* char *            */
	CFG_PATH,	/* char *, a file path; .check may inspect the file */
	CFG_UINT,	/* unsigned long long; .min/.max bounds */
	CFG_BOOL,	/* int; yes/no/true/false/1/0 */
	CFG_LIST,	/* struct cfg_list  */
};

struct cfg_list {
	char	**v;
	size_t	  n;
};

#define CFG_SENSITIVE	0x1	/* never printed by cfg_dump */

struct cfg_key {
	const char	*name;
	enum cfg_type	 type;
	size_t		 off;		/* offsetof the field in the target struct */
	int		 required;
	unsigned long long min, max;	/* CFG_UINT; max 0 means no bound */
	const char	*def;		/* default as text, NULL for none */
	unsigned	 flags;
	int		(*check)(const char *value, char *err, size_t errlen);
	const char	*help;
};

#define CFG_OFF(type, field)	offsetof(type, field)

/* Load path into obj (zeroed by the caller), then fill defaults and check
 * required keys. 0 or PCA_ERR_CONFIG with err set ("file:line: ..."). The
 * result is complete: do not call cfg_finish() after it. */
int cfg_load(const char *path, const struct cfg_key *keys, size_t nkeys,
    void *obj, char *err, size_t errlen);
/* Set one keyword from text (command-line overrides, after cfg_load() or
 * cfg_finish()); same checks; replaces and frees the previous value. */
int cfg_set(const struct cfg_key *keys, size_t nkeys, void *obj,
    const char *name, const char *value, char *err, size_t errlen);
/* Fill defaults for keys not set, then check required ones: for a config
 * without a file (obj zeroed by the caller). Without a file there is no
 * record of what was set, so a CFG_UINT or CFG_BOOL still 0 counts as not
 * set and gets its default; override such keys with cfg_set() afterwards. */
int cfg_finish(const struct cfg_key *keys, size_t nkeys, void *obj,
    char *err, size_t errlen);
/* Print the effective configuration in the file format (re-parsable). */
void cfg_dump(FILE *f, const struct cfg_key *keys, size_t nkeys, const void *obj);
void cfg_free(const struct cfg_key *keys, size_t nkeys, void *obj);

/* .check helper: the file exists, is a regular file owned by us, and has no
 * group or other permission bits. */
int cfg_check_mode_0600(const char *path, char *err, size_t errlen);

#endif
