/*
 * iam_policy.h - IAM policy documents: parse and compile once, evaluate many
 * times.
 *
 * A policy document (IAM JSON, the grammar of AWS's "IAM JSON policy
 * reference") is parsed, validated and compiled by iam_policy_parse() into an
 * immutable struct iam_policy. iam_evaluate() then decides one request
 * against the identity policies of the caller and the resource policy of the
 * resource, reproducing AWS's evaluation logic (spec/API.md section 6):
 *
 *   1. default implicit deny;
 *   2. any matching Deny, in any policy given -> explicit deny, final;
 *   3. an account's root principal may do anything to resources of its own
 *      account (a Deny still wins);
 *   4. same account: an Allow in an identity policy OR an Allow in the
 *      resource policy naming this principal suffices. A resource-policy
 *      statement that names only the account ("111122223333" or
 *      "arn:aws:iam::111122223333:root") grants the account's root; the
 *      account's users and role sessions still need an identity Allow (the
 *      account delegates through its own identity policies);
 *   5. cross account: the resource policy must allow the principal (an
 *      account entry covers every principal of that account) AND an identity
 *      policy of the principal must allow (implicit for a root principal);
 *   6. a service principal ("acm.amazonaws.com") has no identity side: only
 *      a resource-policy Allow whose Principal is {"Service": <that name>}
 *      grants it anything ("*" and NotPrincipal never grant a service, but
 *      a Deny with "*" or NotPrincipal does apply to it);
 *   7. a TRUST policy given as the resource policy (a role's trust policy,
 *      resource = the role's ARN) must always allow: an identity Allow alone
 *      is not enough, in the same account too (AWS's rule for roles).
 *
 * Principal matching: a role ARN covers that role's sessions; "*" covers
 * every AWS principal. NotPrincipal follows AWS in testing each identity
 * of the caller (the session, its role, its account) and is read in the
 * safe direction: a Deny applies unless every one of them is listed (so,
 * as AWS documents, list the account too), an Allow only when none is.
 *
 * Policy variables: a variable whose key the request lacks (and that has
 * no default) makes that pattern or value not match, as in AWS. A request
 * whose expansion would outgrow the engine's scratch buffer is denied
 * outright (IAM_R_BAD_REQUEST) rather than evaluated with a pattern
 * silently dropped.
 *
 * Permission boundaries, session policies, SCPs and RCPs are not modelled:
 * a caller that has them passes their Deny statements as identity policies
 * (Allow-intersection semantics are not provided).
 *
 * MEMORY AND THREADS: a compiled policy lives in one arena owned by the
 * struct and is never modified after iam_policy_parse() returns, so any
 * number of threads may evaluate against it at once. It is reference
 * counted with atomic operations: iam_policy_ref() and iam_policy_unref()
 * may be called from any thread; the last unref frees it. iam_evaluate()
 * takes no locks, touches no global state, never calls into jansson and
 * never allocates (its scratch space, about 12 KiB, is on the stack).
 * Parsing calls jansson (thread-safe for distinct documents) and malloc.
 * Nothing in this module keeps mutable global state.
 *
 * ERRORS: functions that can fail return 0 or a negative enum iam_err and,
 * when the caller passed a buffer, write one line of text (no trailing
 * period is guaranteed) that can be sent to the client as the message of
 * the exception the door chooses. Suggested mapping at the doors:
 *
 *   code              acm-pca PutPolicy          iam Put*Policy / CreateRole
 *   IAM_MALFORMED     InvalidPolicyException     MalformedPolicyDocument
 *   IAM_INVALID       InvalidPolicyException     MalformedPolicyDocument
 *   IAM_UNSUPPORTED   InvalidPolicyException     MalformedPolicyDocument
 *   IAM_TOO_LARGE     InvalidPolicyException     LimitExceeded
 *   IAM_NOT_GRANTABLE InvalidPolicyException     (not used)
 *   IAM_NOMEM         RequestFailedException     ServiceFailure
 *
 * Messages quote at most a short prefix of offending values and never more
 * of the document than that.
 */
#ifndef PCA_IAM_POLICY_H
#define PCA_IAM_POLICY_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define IAM_MUST_CHECK __attribute__((warn_unused_result))
#else
#define IAM_MUST_CHECK
#endif

enum iam_err {
	IAM_OK			=  0,
	IAM_MALFORMED		= -1,	/* not JSON, wrong JSON type, unknown, missing,
					 * duplicate or conflicting element, empty array */
	IAM_INVALID		= -2,	/* well-formed but meaningless: bad principal,
					 * action, resource, operator, condition key or
					 * value, policy variable, element not allowed in
					 * this kind of policy */
	IAM_UNSUPPORTED		= -3,	/* valid in AWS, not implemented here
					 * (Federated / CanonicalUser principals) */
	IAM_TOO_LARGE		= -4,	/* over limits.max_len or .max_statements */
	IAM_NOT_GRANTABLE	= -5,	/* iam_policy_check_grants: grants more than the
					 * caller's rules allow */
	IAM_NOMEM		= -6,
	IAM_INTERNAL		= -7,	/* a NULL argument or an impossible state */
};

/* A short constant text for r (never NULL), for logs. */
const char *iam_err_str(int r);

/* What the document is attached to; decides which elements it may have. */
enum iam_policy_kind {
	IAM_KIND_IDENTITY = 1,	/* on a user or role: no Principal/NotPrincipal;
				 * Resource or NotResource required */
	IAM_KIND_RESOURCE,	/* on a CA (PutPolicy): Principal or NotPrincipal
				 * required; Resource optional (absent: the resource
				 * the policy is attached to) */
	IAM_KIND_TRUST,		/* a role's trust policy: Principal required, Action
				 * only sts:<name> patterns; no NotPrincipal,
				 * NotAction, Resource or NotResource */
};

#define IAM_DEFAULT_MAX_LEN		81920	/* acm-pca PutPolicy, API.md 3.7 */
#define IAM_DEFAULT_MAX_STATEMENTS	500

/*
 * Limits checked before anything is allocated. A zero field takes the
 * default; iam_policy_parse(..., NULL, ...) takes all defaults.
 *
 * max_len counts BYTES OF THE TEXT AS GIVEN, whitespace included. AWS
 * counts characters, and for IAM identity policies it excludes whitespace
 * (6144 for managed policies); for acm-pca PutPolicy it counts all of them.
 * A door that wants IAM's rule counts non-whitespace itself before calling.
 */
struct iam_limits {
	size_t	max_len;
	size_t	max_statements;
};

struct iam_policy;	/* opaque, immutable after parse, refcounted */

/*
 * Parse text (len bytes, need not be NUL-terminated; UTF-8 JSON) as a policy
 * of the given kind. On success *out holds a new policy with one reference,
 * 0 is returned and why is "". On failure *out is NULL, a negative enum
 * iam_err is returned and, when why is not NULL, why gets a message
 * (truncated to whylen, always NUL-terminated when whylen > 0, printable
 * UTF-8).
 *
 * Accepted (refusals in brackets):
 *   Version   "2012-10-17" or "2008-10-17", optional [other -> MALFORMED].
 *             Policy variables ${key}, ${key, 'default'}, ${*} ${?} ${$} are
 *             recognised in Resource/NotResource and String* / Arn*
 *             condition values only under "2012-10-17"; otherwise "${" is
 *             literal text, as in AWS.
 *   Id        string.  Statement  object or non-empty array.
 *   Sid       string; duplicates are accepted (the acm-pca documentation's
 *             own example repeats Sid "1"). NB: AWS IAM refuses duplicate
 *             Sids in identity policies; this parser does not.
 *   Effect    "Allow" | "Deny", required, case-sensitive.
 *   Action / NotAction (exactly one): "*" or "<service>:<name>", string or
 *             non-empty array, * and ? wildcards, matched case-insensitively.
 *   Resource / NotResource (at most one): "*" or an ARN pattern
 *             ("arn:" and all six ':'-separated parts, or fewer when it ends
 *             in '*'), * and ? wildcards matching any run of characters
 *             including '/' and ':' (API.md section 6), case-sensitive.
 *             NB: AWS stops a '*' that is not last in its part at the next
 *             ':'; this engine does not (Condition Arn* operators do).
 *   Principal / NotPrincipal (at most one): "*", or an object with
 *             "AWS": "*" | 12-digit account | arn:P:iam::A:root | ...:user/N |
 *             ...:role/N | arn:P:sts::A:assumed-role/R/S (string or array;
 *             account ids become arn:aws:iam::A:root; no other wildcards),
 *             "Service": "<name>.amazonaws.com"-like names (lower-cased);
 *             [Federated, CanonicalUser -> UNSUPPORTED; other -> INVALID].
 *   Condition {Operator: {Key: value | [values]}}: operators String*, Arn*,
 *             Numeric*, Date*, Bool, Null, IpAddress, NotIpAddress,
 *             BinaryEquals, with ForAnyValue:/ForAllValues: prefixes and an
 *             IfExists suffix (not on Null); operator names and keys are
 *             case-insensitive; values may be JSON strings, numbers or
 *             booleans and are kept as strings and pre-parsed (numbers,
 *             dates as ISO 8601 or epoch seconds, CIDRs, ARN parts).
 *   Unknown elements, wrong JSON types, duplicate JSON keys, empty arrays,
 *   NUL bytes and invalid UTF-8 are refused.
 *
 * The original text is kept in the compiled policy (iam_policy_text).
 */
int iam_policy_parse(const char *text, size_t len, enum iam_policy_kind kind,
    const struct iam_limits *limits, struct iam_policy **out, char *why, size_t whylen)
    IAM_MUST_CHECK;

/* Take one more reference; returns p (NULL-safe). To hand a policy to
 * another thread, take the reference before handing it over. */
struct iam_policy *iam_policy_ref(struct iam_policy *p);
/* Drop one reference; the last one frees the policy. NULL-safe. */
void iam_policy_unref(struct iam_policy *p);

/* The document exactly as it was given (NUL-terminated; *len without the
 * NUL when len is not NULL), for GetPolicy. Valid while p is referenced. */
const char *iam_policy_text(const struct iam_policy *p, size_t *len);
enum iam_policy_kind iam_policy_kind(const struct iam_policy *p);
size_t iam_policy_statement_count(const struct iam_policy *p);

/*
 * What a resource policy may grant: the frontend's rules for PutPolicy.
 * actions: every action pattern of every Allow statement must equal (case-
 * insensitively, no wildcards) one of these; for acm-pca the seven of API.md
 * 3.7. NotAction in an Allow statement, "*", "acm-pca:*" or any other
 * wildcard pattern is over-broad and refused. Deny statements are not
 * restricted by this (they can only take permissions away).
 * resource: when not NULL, every statement that has a Resource must name
 * exactly this ARN (no wildcard, no NotResource).
 * public_ok: when 0 (the default of a zeroed struct), an Allow whose
 * principal is "*" or {"AWS":"*"}, or that uses NotPrincipal, must be
 * narrowed by a condition on aws:PrincipalOrgID, aws:PrincipalOrgPaths,
 * aws:PrincipalAccount, aws:PrincipalArn or aws:SourceAccount with a
 * positive operator and no IfExists (the organization grant of API.md 3.7
 * passes; an unconditional "*" would let every account use the CA).
 */
struct iam_grant_rules {
	const char *const	*actions;
	size_t			 nactions;
	const char		*resource;
	int			 public_ok;
};

/* 0, or IAM_NOT_GRANTABLE with why naming the statement and the reason. */
int iam_policy_check_grants(const struct iam_policy *p, const struct iam_grant_rules *rules,
    char *why, size_t whylen) IAM_MUST_CHECK;

/* ---------------------------------------------------------------- evaluate */

enum iam_principal_type {
	IAM_PRINCIPAL_ROOT = 1,		/* arn:P:iam::A:root */
	IAM_PRINCIPAL_USER,		/* arn:P:iam::A:user/[path/]N */
	IAM_PRINCIPAL_ASSUMED_ROLE,	/* arn:P:sts::A:assumed-role/R/S */
	IAM_PRINCIPAL_SERVICE,		/* "acm.amazonaws.com"; account NULL */
};

/* One condition key of the request context and its values (a multi-valued
 * key such as aws:PrincipalOrgPaths has several; zero values = absent).
 * Keys compare ASCII-case-insensitively; when two entries have the same
 * key, the first counts. acm-pca:TemplateArn: the caller fills in
 * EndEntityCertificate/V1 when an IssueCertificate request names none. */
struct iam_ctx_entry {
	const char		*key;		/* any case: "aws:PrincipalOrgID" */
	const char *const	*values;
	size_t			 nvalues;
};

#define IAM_CTX_MAX	64	/* context entries per request */

/*
 * One request. Every pointer is borrowed for the duration of iam_evaluate().
 *
 * The engine adds these keys when ctx does not have them: aws:PrincipalArn
 * (for a role session the role's ARN arn:P:iam::A:role/R, without a path:
 * pass it in ctx when roles have paths), aws:PrincipalAccount,
 * aws:PrincipalType ("Account", "User", "AssumedRole"), aws:username
 * (users), aws:PrincipalServiceName (services), and aws:CurrentTime /
 * aws:EpochTime from now when now != 0.
 */
struct iam_request {
	const char			*principal;	/* ARN, or service name */
	const char			*principal_account;	/* NULL for a service */
	enum iam_principal_type		 principal_type;
	const char			*action;	/* "acm-pca:IssueCertificate" */
	const char			*resource;	/* ARN, or "*" */
	const char			*resource_account;	/* NULL for "*": the
							 * caller's own account */
	const struct iam_ctx_entry	*ctx;
	size_t				 nctx;
	int64_t				 now;		/* seconds since epoch, 0 = unset */
};

/* A compiled policy as attached to the caller or the resource. name is the
 * caller's name for it (policy name or ARN), copied into decisions. */
struct iam_attached {
	const struct iam_policy	*policy;
	const char		*name;
};

/* Zero is implicit deny, so a zeroed decision never allows. */
enum iam_effect {
	IAM_IMPLICIT_DENY = 0,
	IAM_EXPLICIT_DENY,
	IAM_ALLOW,
};

enum iam_reason {
	IAM_R_NONE = 0,
	IAM_R_ALLOW_ROOT,		/* the account root on its own resource */
	IAM_R_ALLOW_IDENTITY,		/* an identity-based Allow (same account) */
	IAM_R_ALLOW_RESOURCE,		/* a resource-based Allow that suffices alone:
					 * naming the principal in the same account,
					 * the service, or another account's root */
	IAM_R_ALLOW_BOTH,		/* cross account, or a trust policy naming the
					 * account: resource (by) and identity (also) */
	IAM_R_DENY_IDENTITY,		/* explicit Deny in an identity-based policy */
	IAM_R_DENY_RESOURCE,		/* explicit Deny in the resource-based policy */
	IAM_R_NO_IDENTITY_ALLOW,	/* no identity-based policy allows */
	IAM_R_ACCOUNT_ONLY,		/* same account, the resource policy grants only
					 * the account (by); no identity Allow */
	IAM_R_NO_RESOURCE_ALLOW,	/* cross account, service or trust: the
					 * resource-based policy does not allow */
	IAM_R_BAD_REQUEST,		/* the request itself is malformed */
};

#define IAM_NAME_MAX	129	/* policy name, truncated; IAM's max is 128 */
#define IAM_SID_MAX	65	/* Sid (or "#<index>"), truncated */

/* One statement that contributed to a decision. index < 0: none. */
struct iam_stmt_ref {
	int	index;			/* 0-based position in its document */
	char	policy[IAM_NAME_MAX];
	char	sid[IAM_SID_MAX];	/* the Sid, or "#<index>" when it has none */
};

/*
 * The decision: self-contained (fixed buffers, no pointers), so it can be
 * queued for the audit log after the policies are gone.
 *   by:   the Deny that decided; the Allow that decided (for a cross-account
 *         allow, the resource statement); for IAM_R_ACCOUNT_ONLY the
 *         resource statement that names the account.
 *   also: for IAM_R_ALLOW_BOTH the identity statement; otherwise, on an
 *         implicit deny, the one-sided Allow that was not enough (if any).
 */
struct iam_decision {
	enum iam_effect		effect;
	enum iam_reason		reason;
	struct iam_stmt_ref	by;
	struct iam_stmt_ref	also;
};

/*
 * Decide req against the identity policies ids[0..nids) (may be 0) and the
 * resource policy res (NULL: none). Every policy's kind must fit its slot
 * (IDENTITY in ids, RESOURCE or TRUST in res); a policy of the wrong kind
 * makes the request IAM_R_BAD_REQUEST. Returns out->effect; out is always
 * fully written. Thread-safe, allocation-free, never touches JSON.
 */
enum iam_effect iam_evaluate(const struct iam_request *req, const struct iam_attached *ids,
    size_t nids, const struct iam_attached *res, struct iam_decision *out) IAM_MUST_CHECK;

const char *iam_effect_str(enum iam_effect e);		/* "ALLOW", ... */
const char *iam_reason_str(enum iam_reason r);		/* "no identity-based policy allows" */

/*
 * The tail of AWS's AccessDenied message for a denied decision, e.g.
 * "because no identity-based policy allows the acm-pca:PutPolicy action" or
 * "with an explicit deny in a resource-based policy"; for an allow, a
 * summary naming the statements. Returns what snprintf returns.
 */
int iam_decision_format(const struct iam_decision *d, const char *action, char *buf,
    size_t len);

#endif
