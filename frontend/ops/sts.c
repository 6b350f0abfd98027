/*
 * sts.c - the sts operations: AssumeRole and GetCallerIdentity.
 *
 * AssumeRole hands out temporary credentials for a role: an access key id
 * "ASIA" + 16 characters, a 40-character secret and a session token, valid
 * until the service clock (clock.h) passes Expiration. The authorizer has
 * decided with the role's trust policy before the handler runs (authz.h);
 * the handler checks what only the role knows (it exists, its
 * MaxSessionDuration). auth.c authenticates requests signed with them.
 *
 * Session policies, session tags and MFA are not supported: a request that
 * carries them is refused rather than granted more than it asked for.
 */
#include "acmpca.h"
#include "admin.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "store_iam.h"
#include "sts.pb-c.h"
#include "wipe.h"
#include "x509util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#define STS_DURATION_MIN	900
#define STS_DURATION_DEFAULT	3600
#define STS_CHAINED_MAX		3600	/* a role session assuming a role */
#define STS_TOKEN_BYTES		108	/* 144 base64 characters */
#define STS_NAME_MAX		64

static int sts_assume_role(struct op_ctx *, const ProtobufCMessage *, ProtobufCMessage **);
static int sts_get_caller_identity(struct op_ctx *, const ProtobufCMessage *,
    ProtobufCMessage **);
static int sts_assume_role_resource(struct op_ctx *, const ProtobufCMessage *, char *, size_t);

struct op_entry sts_op_table[] = {
	{ "sts", "AssumeRole", "sts:AssumeRole", NULL, OP_SECRETS, sts_assume_role, NULL,
	  sts_assume_role_resource },
	{ "sts", "GetCallerIdentity", "sts:GetCallerIdentity", NULL, OP_NO_AUTHZ,
	  sts_get_caller_identity, NULL, NULL },
	{ 0 },
};

/* [\w+=,.@-] */
static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("_+=,.@-", c) != NULL);
}

/* [\w+=,.@-]{min,max} */
static int
name_valid(const char *s, size_t min, size_t max)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!name_char(s[n]) || n >= max)
			return 0;
	return n >= min;
}

/*
 * arn:aws:iam::<12 digits>:role/<path/><name>: the account and the name
 * (the path's characters are printable ASCII, the name's [\w+=,.@-]).
 */
static int
role_arn_parse(const char *arn, char account[13], char name[STS_NAME_MAX + 1])
{
	static const char pre[] = "arn:aws:iam::";
	const char *p = arn, *last;

	if (strncmp(p, pre, sizeof(pre) - 1) != 0)
		return 0;
	p += sizeof(pre) - 1;
	for (int i = 0; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	if (strncmp(p + 12, ":role/", 6) != 0)
		return 0;
	memcpy(account, p, 12);
	account[12] = '\0';
	p += 18;
	for (const char *q = p; *q != '\0'; q++)
		if (*q < 0x21 || *q > 0x7e)
			return 0;
	last = strrchr(p, '/');
	last = last != NULL ? last + 1 : p;
	if (!name_valid(last, 1, STS_NAME_MAX))
		return 0;
	snprintf(name, STS_NAME_MAX + 1, "%s", last);
	return 1;
}

static int
validation(struct op_ctx *ctx, const char *value, const char *member, const char *constraint)
{
	return op_fail(ctx, EXC_STS_VALIDATION, "1 validation error detected: Value '%.200s' "
	    "at '%s' failed to satisfy constraint: %s", value, member, constraint);
}

/*
 * The role's ARN is the resource; the input is checked here, before any
 * authorization, as AWS validates a request before it decides on it.
 */
static int
sts_assume_role_resource(struct op_ctx *ctx, const ProtobufCMessage *in_, char *buf, size_t len)
{
	const Pca__Api__Sts__AssumeRoleRequest *in = (const void *)in_;
	char account[13], name[STS_NAME_MAX + 1];

	if (!role_arn_parse(in->role_arn, account, name) || strlen(in->role_arn) >= len)
		return validation(ctx, in->role_arn, "roleArn", "Member must be the ARN of an "
		    "IAM role (arn:aws:iam::<account>:role/<name>)");
	if (!name_valid(in->role_session_name, 2, STS_NAME_MAX))
		return validation(ctx, in->role_session_name, "roleSessionName", "Member must "
		    "satisfy regular expression pattern: [\\w+=,.@-]{2,64}");
	if (in->policy != NULL || in->n_policy_arns > 0)
		return op_fail(ctx, EXC_STS_VALIDATION, "Session policies (Policy, PolicyArns) "
		    "are not supported by this service.");
	if (in->n_tags > 0 || in->n_transitive_tag_keys > 0)
		return op_fail(ctx, EXC_STS_VALIDATION, "Session tags are not supported by this "
		    "service.");
	if (in->serial_number != NULL || in->token_code != NULL)
		return op_fail(ctx, EXC_STS_VALIDATION, "MFA (SerialNumber, TokenCode) is not "
		    "supported by this service.");
	if (in->source_identity != NULL && !name_valid(in->source_identity, 2, STS_NAME_MAX))
		return validation(ctx, in->source_identity, "sourceIdentity", "Member must "
		    "satisfy regular expression pattern: [\\w+=,.@-]*");
	snprintf(buf, len, "%s", in->role_arn);
	return 0;
}

/* Fresh temporary credentials: ASIA id, secret, base64 token (malloc'd,
 * free with str_free_wiped()). */
static int
session_credentials_new(char id[21], char secret[41], char **token)
{
	uint8_t raw[STS_TOKEN_BYTES];
	int r;

	*token = NULL;
	if ((r = admin_new_access_key(id, secret)) != 0)
		return r;
	memcpy(id, "ASIA", 4);			/* temporary, as AWS marks them */
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		r = PCA_ERR_CRYPTO;
		goto out;
	}
	if ((*token = b64_encode(raw, sizeof(raw))) == NULL) {
		r = PCA_ERR_NOMEM;
		goto out;
	}
	r = 0;
 out:
	wipe(raw, sizeof(raw));
	return r;
}

static int
sts_assume_role(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Sts__AssumeRoleRequest *in = (const void *)in_;
	Pca__Api__Sts__AssumeRoleResponse *out;
	Pca__Api__Sts__Credentials *cr;
	Pca__Api__Sts__AssumedRoleUser *user;
	struct store_iam_role ro;
	struct store_session s;
	char account[13], name[STS_NAME_MAX + 1], id[21], secret[41], *token = NULL;
	char arn[300], rid[200];
	int64_t now = clock_now(), dur = STS_DURATION_DEFAULT, max;
	int r, rc = -1;

	memset(&ro, 0, sizeof(ro));
	memset(secret, 0, sizeof(secret));
	if (!role_arn_parse(in->role_arn, account, name))	/* checked before */
		return op_fail(ctx, EXC_STS_VALIDATION, "Invalid RoleArn.");
	/* a role that does not exist, or not at this path, is denied like
	 * one whose trust policy does not allow the caller */
	r = store_iam_role_get(ctx->fe->store, account, name, &ro);
	if (r == 0 && (ro.arn == NULL || strcmp(ro.arn, in->role_arn) != 0))
		r = PCA_ERR_NOT_FOUND;
	if (r == PCA_ERR_NOT_FOUND) {
		op_fail(ctx, EXC_IAM_ACCESS_DENIED, "User: %s is not authorized to perform: "
		    "sts:AssumeRole on resource: %.300s", ctx->caller->arn, in->role_arn);
		goto out;
	}
	if (r != 0) {
		log_error_fr(r, "store: role %s", in->role_arn);
		op_fail(ctx, EXC_INTERNAL, "internal error");
		goto out;
	}
	max = ro.max_session_duration > 0 ? ro.max_session_duration : STS_DURATION_DEFAULT;
	if (in->has_duration_seconds)
		dur = in->duration_seconds;
	if (dur < STS_DURATION_MIN) {
		char v[24];

		snprintf(v, sizeof(v), "%lld", (long long)dur);
		validation(ctx, v, "durationSeconds", "Member must have value greater than or "
		    "equal to 900");
		goto out;
	}
	if (dur > max) {
		op_fail(ctx, EXC_STS_VALIDATION, "The requested DurationSeconds exceeds the "
		    "MaxSessionDuration set for this role.");
		goto out;
	}
	if (ctx->caller->kind == CALLER_ROLE_SESSION && dur > STS_CHAINED_MAX) {
		op_fail(ctx, EXC_STS_VALIDATION, "The requested DurationSeconds exceeds the 1 "
		    "hour session limit for roles assumed by role chaining.");
		goto out;
	}
	if ((r = session_credentials_new(id, secret, &token)) != 0) {
		log_error_fr(r, "session credentials");
		op_fail(ctx, EXC_INTERNAL, "internal error");
		goto out;
	}
	memset(&s, 0, sizeof(s));
	s.access_key_id = id;
	s.secret = secret;
	s.token = token;
	snprintf(s.account_id, sizeof(s.account_id), "%s", account);
	s.role_name = name;
	s.session_name = in->role_session_name;
	s.source_arn = (char *)ctx->caller->arn;
	s.expires_at = now + dur;
	if ((r = store_session_put(ctx->fe->store, &s)) != 0) {
		log_error_fr(r, "store: session of %s", in->role_arn);
		op_fail(ctx, EXC_INTERNAL, "internal error");
		goto out;
	}
	log_info("%s assumed %s as session %s until %lld", ctx->caller->arn, in->role_arn,
	    in->role_session_name, (long long)s.expires_at);
	if ((out = (void *)msg_new(&pca__api__sts__assume_role_response__descriptor)) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	cr = (void *)msg_new(&pca__api__sts__credentials__descriptor);
	user = (void *)msg_new(&pca__api__sts__assumed_role_user__descriptor);
	out->credentials = cr;
	out->assumed_role_user = user;
	if (cr == NULL || user == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	snprintf(arn, sizeof(arn), "arn:aws:sts::%s:assumed-role/%s/%s", account, name,
	    in->role_session_name);
	snprintf(rid, sizeof(rid), "%s:%s", ro.role_id != NULL ? ro.role_id : "",
	    in->role_session_name);
	cr->access_key_id = strdup(id);
	cr->secret_access_key = strdup(secret);
	cr->session_token = strdup(token);
	cr->expiration = (double)s.expires_at;
	user->assumed_role_id = strdup(rid);
	user->arn = strdup(arn);
	if (in->source_identity != NULL)
		out->source_identity = strdup(in->source_identity);
	if (cr->access_key_id == NULL || cr->secret_access_key == NULL ||
	    cr->session_token == NULL || user->assumed_role_id == NULL || user->arn == NULL ||
	    (in->source_identity != NULL && out->source_identity == NULL)) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	wipe(secret, sizeof(secret));
	str_free_wiped(token);
	store_iam_role_clear(&ro);
	return rc;
}

/* A stable unique id (prefix + 17 characters) derived from an ARN, for
 * principals whose store record carries none. */
static void
derived_id(const char *prefix, const char *arn, char out[22])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char h[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)arn, strlen(arn), h);
	memcpy(out, prefix, 4);
	for (int i = 0; i < 17; i++)
		out[4 + i] = b32[h[i] & 31];
	out[21] = '\0';
}

/* UserId as AWS shows it: the account id for the root, AIDA... for a
 * user, AROA...:<session> for a role session. */
static int
caller_user_id(struct op_ctx *ctx, char *buf, size_t len)
{
	const struct caller *c = ctx->caller;
	struct store_iam_user u;
	struct store_iam_role ro;
	char id[22];
	int r;

	switch (c->kind) {
	case CALLER_ROOT:
		snprintf(buf, len, "%s", c->account_id);
		return 0;
	case CALLER_USER:
		memset(&u, 0, sizeof(u));
		r = store_iam_user_get(ctx->fe->store, c->account_id, c->name, &u);
		if (r == 0 && u.user_id != NULL)
			snprintf(buf, len, "%s", u.user_id);
		else
			derived_id("AIDA", c->arn, buf);
		store_iam_user_clear(&u);
		return r == 0 || r == PCA_ERR_NOT_FOUND ? 0 : r;
	case CALLER_ROLE_SESSION:
		memset(&ro, 0, sizeof(ro));
		r = store_iam_role_get(ctx->fe->store, c->account_id, c->name, &ro);
		if (r == 0 && ro.role_id != NULL)
			snprintf(id, sizeof(id), "%s", ro.role_id);
		else
			derived_id("AROA", c->arn, id);
		store_iam_role_clear(&ro);
		snprintf(buf, len, "%s:%s", id, c->session_name);
		return r == 0 || r == PCA_ERR_NOT_FOUND ? 0 : r;
	default:
		snprintf(buf, len, "%.*s", (int)(len - 1), c->arn);
		return 0;
	}
}

static int
sts_get_caller_identity(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	Pca__Api__Sts__GetCallerIdentityResponse *out;
	char uid[200];
	int r;

	(void)in_;
	if ((r = caller_user_id(ctx, uid, sizeof(uid))) != 0) {
		log_error_fr(r, "store: identity of %s", ctx->caller->arn);
		return op_fail(ctx, EXC_INTERNAL, "internal error");
	}
	out = (void *)msg_new(&pca__api__sts__get_caller_identity_response__descriptor);
	if (out == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	*out_ = &out->base;
	out->user_id = strdup(uid);
	out->account = strdup(ctx->caller->account_id);
	out->arn = strdup(ctx->caller->arn);
	if (out->user_id == NULL || out->account == NULL || out->arn == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	return 0;
}
