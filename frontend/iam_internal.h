/*
 * iam_internal.h - the compiled form of a policy, shared by iam_policy.c
 * (compile), iam_cond.c (condition operators) and iam_eval.c (evaluate).
 * No other module includes this: they see struct iam_policy as opaque.
 *
 * Everything a compiled policy points to lives in its arena and is written
 * only while iam_policy_parse() runs. Evaluation reads it and keeps its own
 * scratch in a struct iam_eval on its stack.
 */
#ifndef PCA_IAM_INTERNAL_H
#define PCA_IAM_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "iam_policy.h"

/* ------------------------------------------------------------------ arena */

struct iam_chunk;
struct iam_arena {
	struct iam_chunk	*head;
	size_t			 next_size;	/* size of the next chunk to allocate */
};

/* Zeroed, 16-byte aligned, freed with the arena; NULL when out of memory. */
void *iam_arena_alloc(struct iam_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n); lower-cases ASCII when lower != 0. */
char *iam_arena_strndup(struct iam_arena *a, const char *s, size_t n, int lower);
void iam_arena_free(struct iam_arena *a);

/* ------------------------------------------------------------------ globs */

enum iam_glob_kind {
	IAM_GLOB_ANY = 1,	/* "*" */
	IAM_GLOB_EXACT,		/* no wildcard */
	IAM_GLOB_PREFIX,	/* literal then one trailing '*' */
	IAM_GLOB_GENERAL,
};

/* A wildcard pattern ('*' and '?'). Runs of '*' are collapsed. For case-insensitive uses
 * (actions) the pattern is stored lower-cased and the input is lower-cased
 * once per request, so matching itself is always byte-exact. */
struct iam_glob {
	const char	*pat;		/* NUL-terminated */
	uint32_t	 len;		/* strlen(pat); for PREFIX: the literal part */
	uint32_t	 minlen;	/* bytes a match needs at least (non-'*' count) */
	uint8_t		 kind;
};

/* Analyse pat[0..n) into g (the text is copied into a). 0 or IAM_NOMEM. */
int iam_glob_compile(struct iam_arena *a, const char *pat, size_t n, int lower,
    struct iam_glob *g);
/* Whether s[0..n) matches. '?' matches one UTF-8 character. */
int iam_glob_match(const struct iam_glob *g, const char *s, size_t n);
/* The general matcher on raw text; lit (may be NULL) marks bytes of p whose
 * '*' and '?' are literal (they came from a policy variable or ${*}). */
int iam_wild_match(const char *p, const uint8_t *lit, size_t pn, const char *s, size_t sn);

/* -------------------------------------------------------- policy variables */

enum iam_piece_kind {
	IAM_PIECE_TEXT = 1,	/* policy text, wildcards active */
	IAM_PIECE_LITERAL,	/* ${*} ${?} ${$}: the character, never a wildcard */
	IAM_PIECE_VAR,		/* ${key} or ${key, 'default'} */
};

struct iam_piece {
	uint8_t		 kind;
	uint8_t		 has_def;
	const char	*text;		/* TEXT/LITERAL: the text; VAR: lower-cased key */
	uint32_t	 len;
	const char	*def;		/* VAR with a default */
	uint32_t	 deflen;
};

/* A Resource pattern, or a string/ARN condition value: either a compiled
 * glob, or (npieces > 0) pieces expanded per request. */
struct iam_pat {
	struct iam_glob		 g;
	const struct iam_piece	*pieces;
	uint32_t		 npieces;
};

/* Split s[0..n) into pieces when it holds "${": 0 with *out and *nout set (nout
 * 0 when there is no variable), IAM_INVALID with why, or IAM_NOMEM. */
int iam_vars_compile(struct iam_arena *a, const char *s, size_t n, const char *label,
    const struct iam_piece **out, uint32_t *nout, char *why, size_t whylen);

/* ------------------------------------------------------------- conditions */

enum iam_op {
	IAM_OP_STR_EQ = 1,
	IAM_OP_STR_EQ_IC,
	IAM_OP_STR_LIKE,
	IAM_OP_ARN_LIKE,	/* ArnEquals and ArnLike are the same in AWS */
	IAM_OP_NUM_EQ,
	IAM_OP_NUM_LT,
	IAM_OP_NUM_LE,
	IAM_OP_NUM_GT,
	IAM_OP_NUM_GE,
	IAM_OP_DATE_EQ,
	IAM_OP_DATE_LT,
	IAM_OP_DATE_LE,
	IAM_OP_DATE_GT,
	IAM_OP_DATE_GE,
	IAM_OP_BOOL,
	IAM_OP_NULL,
	IAM_OP_IP,
	IAM_OP_BINARY,
};

enum iam_set { IAM_SET_NONE = 0, IAM_SET_ANY, IAM_SET_ALL };

#define IAM_ARN_PARTS	6

struct iam_cval {
	const char		*str;		/* as written (lower-cased for *IgnoreCase) */
	uint32_t		 len;
	struct iam_pat		 pat;		/* String*, with variables or StringLike */
	const struct iam_glob	*arn;		/* Arn* without variables: 6 part globs */
	union {
		double		 num;
		int64_t		 ms;		/* dates, milliseconds since epoch */
		int		 b;		/* Bool, Null */
		struct {
			uint8_t	 addr[16];
			uint8_t	 v6;
			uint8_t	 bits;
		} ip;
	} u;
};

struct iam_cond {
	const char		*key;		/* lower-cased */
	uint32_t		 keylen;
	uint8_t			 op;		/* enum iam_op */
	uint8_t			 negate;	/* StringNotEquals, ArnNotLike, and so on */
	uint8_t			 set;		/* enum iam_set */
	uint8_t			 if_exists;
	const struct iam_cval	*vals;
	uint32_t		 nvals;
};

struct json_t;
/* Compile a Condition element (a JSON object) into *out and *nout. vars: the
 * policy is 2012-10-17. label names the statement for messages. */
int iam_cond_compile(struct iam_arena *a, const struct json_t *cond, int vars,
    const char *label, const struct iam_cond **out, uint32_t *nout, char *why, size_t whylen);

/* ---------------------------------------------------------- the statement */

enum iam_pr_kind {
	IAM_PR_ANY = 1,		/* "*" or {"AWS":"*"} */
	IAM_PR_ACCOUNT,		/* arn:P:iam::A:root (or "A") */
	IAM_PR_USER,		/* arn:P:iam::A:user/... */
	IAM_PR_ROLE,		/* arn:P:iam::A:role/[path/]R; covers R's sessions */
	IAM_PR_SESSION,		/* arn:P:sts::A:assumed-role/R/S */
	IAM_PR_SERVICE,		/* "acm.amazonaws.com", lower-cased */
};

struct iam_principal {
	uint8_t		 kind;
	const char	*arn;		/* normalized ARN, or the service name */
	uint32_t	 arnlen;
	const char	*partition;	/* ACCOUNT/ROLE: points into arn */
	uint32_t	 partlen;
	char		 account[13];	/* ACCOUNT/USER/ROLE/SESSION */
	const char	*role;		/* ROLE: the role name (last path part) */
	uint32_t	 rolelen;
};

struct iam_action {
	struct iam_glob	 svc;		/* lower-cased; kind ANY for the bare "*" */
	struct iam_glob	 name;
	const char	*text;		/* as written, for messages */
};

struct iam_stmt {
	int				 index;
	const char			*sid;		/* NULL when absent */
	uint8_t				 deny;
	uint8_t				 not_action;
	uint8_t				 not_resource;
	uint8_t				 has_resource;
	uint8_t				 not_principal;
	const struct iam_action		*actions;
	uint32_t			 nactions;
	const struct iam_pat		*resources;
	uint32_t			 nresources;
	const struct iam_principal	*principals;	/* none in identity policies */
	uint32_t			 nprincipals;
	const struct iam_cond		*conds;
	uint32_t			 nconds;
};

struct iam_policy {
	atomic_uint			 refs;
	enum iam_policy_kind		 kind;
	uint8_t				 has_deny;
	const char			*text;
	size_t				 textlen;
	const struct iam_stmt		*stmts;
	size_t				 nstmts;
	struct iam_arena		 arena;
};

/* ---------------------------------------------------- evaluation scratch */

#define IAM_ACTION_MAX	256	/* longest request action */
#define IAM_EXPAND_MAX	4096	/* a pattern after policy variables */
#define IAM_ARN_MAX	2048

struct iam_kv {
	const char		*key;
	size_t			 klen;
	const char *const	*vals;
	size_t			 n;
};

/* What iam_evaluate() works out once per request. Lives on its stack. */
struct iam_eval {
	const struct iam_request *req;
	int			 failed;	/* a limit was hit: the request is denied */

	char			 act[IAM_ACTION_MAX];	/* lower-cased action */
	size_t			 svclen;
	const char		*name;
	size_t			 namelen;
	size_t			 reslen;

	/* the principal, parsed */
	const char		*partition;
	size_t			 partlen;
	const char		*account;	/* 12 digits, or NULL (service) */
	const char		*role;		/* sessions */
	size_t			 rolelen;
	size_t			 arnlen;	/* strlen(req->principal) */

	struct iam_kv		 kv[IAM_CTX_MAX];
	size_t			 nkv;

	/* values of the keys the engine derives (see iam_policy.h) */
	const char		*d_arn[1], *d_account[1], *d_type[1], *d_user[1],
				*d_service[1], *d_time[1], *d_epoch[1];
	char			 role_arn[IAM_ARN_MAX + 64];
	char			 time_iso[32];
	char			 epoch[24];

	/* one expanded pattern at a time */
	char			 xbuf[IAM_EXPAND_MAX];
	uint8_t			 xlit[IAM_EXPAND_MAX];
};

/* The values of a condition key (key lower-cased); *n = 0 when the request
 * does not have it. */
const char *const *iam_eval_lookup(struct iam_eval *st, const char *key, size_t keylen,
    size_t *n);
/* Expand a pattern's pieces into st->xbuf/xlit: the length, or -1 when a
 * variable has no value and no default. Overflow sets st->failed and
 * returns -1. */
long iam_eval_expand(struct iam_eval *st, const struct iam_piece *pieces, uint32_t npieces);
/* 1 when the condition holds for the request. */
int iam_cond_eval(const struct iam_cond *c, struct iam_eval *st);

/* helpers shared by the three files */
void iam_why_set(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A printable, truncated copy of s for messages (never more than 64 bytes
 * of s, cut at a UTF-8 boundary, control characters replaced). */
const char *iam_quote(char *buf, size_t buflen, const char *s);
/* Dates: ISO 8601 (YYYY-MM-DD[Thh:mm[:ss[.fff]]][Z|+hh:mm]) or epoch
 * seconds, to milliseconds. 0 or -1. */
int iam_date_parse(const char *s, size_t n, int64_t *ms);
/* A decimal number [+-]digits[.digits][e[+-]digits]. 0 or -1. */
int iam_num_parse(const char *s, size_t n, double *out);
/* ARN part boundaries: the first five ':' split s; 0 or -1 (too few). */
int iam_arn_split(const char *s, size_t n, const char *part[IAM_ARN_PARTS],
    size_t plen[IAM_ARN_PARTS]);

#endif
