/*
 * organizations_account.c - the accounts of an organization: CreateAccount,
 * DescribeCreateAccountStatus, DescribeAccount, ListAccounts,
 * ListAccountsForParent, MoveAccount, RemoveAccountFromOrganization.
 *
 * CreateAccount makes a new account in the store (a fresh random 12-digit
 * id) under the root, with the role AWS creates there: by default
 * OrganizationAccountAccessRole, trusting the management account's root to
 * sts:AssumeRole, with AdministratorAccess attached. The new account has
 * no credentials of its own; the role is the way in. AWS answers
 * CreateAccount asynchronously; here the work is done when the answer
 * comes, so the status is SUCCEEDED (or FAILED with its reason, as AWS
 * reports an email already in use) and DescribeCreateAccountStatus finds
 * it later.
 */
#include "acmpca.h"
#include "admin.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "organizations.h"
#include "x509util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#define DEFAULT_ROLE		"OrganizationAccountAccessRole"
#define ADMIN_POLICY_ARN	"arn:aws:iam::aws:policy/AdministratorAccess"
#define ROLE_MAX_SESSION	3600
#define STATUS_KEY_PREFIX	"organizations/create-account-status/"
#define NEW_ID_TRIES		16

#define CA_STATE(x)	ORG_ENUM(CREATE_ACCOUNT_STATE, CreateAccountState_##x)
#define CA_FAILURE(x)	ORG_ENUM(CREATE_ACCOUNT_FAILURE_REASON, CreateAccountFailureReason_##x)

/* [^\s@]+@[^\s@]+\.[^\s@]+ (the model's pattern) */
static int
email_valid(const char *s)
{
	const char *at = strchr(s, '@'), *dot;

	for (const char *p = s; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' ||
		    *p == '\v')
			return 0;
	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return 0;
	dot = strrchr(at + 1, '.');
	return dot != NULL && dot > at + 1 && dot[1] != '\0';
}

/* [\u0020-\u007E]+ */
static int
account_name_valid(const char *s)
{
	if (s[0] == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

/* [\w+=,.@-]{1,64} */
static int
role_name_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		    (s[n] >= '0' && s[n] <= '9') || strchr("_+=,.@-", s[n]) != NULL))
			return 0;
	return n >= 1 && n <= 64;
}

/* "AROA" + 17 characters of AWS's unique-id alphabet. */
static int
role_id_new(char out[22])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char b[17];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return PCA_ERR_CRYPTO;
	memcpy(out, "AROA", 4);
	for (size_t i = 0; i < sizeof(b); i++)
		out[4 + i] = b32[b[i] & 31];
	out[21] = '\0';
	return 0;
}

/*
 * 1 in *used when an account (in an organization or not any more) has this
 * email. Emails live in memberships; the accounts are few and CreateAccount
 * is rare, so this walks them all.
 */
static int
email_in_use(struct op_ctx *ctx, const char *email, int *used)
{
	struct store_account *a = NULL;
	char after[13] = "";
	size_t n = 0;
	int r;

	*used = 0;
	do {
		if ((r = store_account_list(ctx->fe->store, after[0] != '\0' ? after : NULL, 100,
		    &a, &n)) != 0)
			return r;
		for (size_t i = 0; i < n && !*used; i++) {
			struct store_membership m;

			memset(&m, 0, sizeof(m));
			r = store_membership_get(ctx->fe->store, a[i].id, &m);
			if (r == 0 && m.email != NULL && strcasecmp(m.email, email) == 0)
				*used = 1;
			store_membership_clear(&m);
			if (r != 0 && r != PCA_ERR_NOT_FOUND) {
				store_account_list_free(a, n);
				return r;
			}
		}
		if (n > 0)
			snprintf(after, sizeof(after), "%s", a[n - 1].id);
		store_account_list_free(a, n);
		a = NULL;
	} while (n == 100 && !*used);
	return 0;
}

/* A fresh account id no account has. */
static int
account_id_new(struct op_ctx *ctx, char id[13])
{
	struct store_account a;
	int r;

	for (int i = 0; i < NEW_ID_TRIES; i++) {
		if ((r = admin_new_account_id(id)) != 0)
			return r;
		memset(&a, 0, sizeof(a));
		r = store_account_get(ctx->fe->store, id, &a);
		store_account_clear(&a);
		if (r == PCA_ERR_NOT_FOUND)
			return 0;
		if (r != 0)
			return r;
	}
	return PCA_ERR_EXISTS;
}

/*
 * Create-account statuses are kept as settings: key STATUS_KEY_PREFIX<id>,
 * value "<org id> <base64 of the packed CreateAccountStatus>".
 * XXX a store table of their own would let ListCreateAccountStatus page.
 */
static int
status_save(struct op_ctx *ctx, const char *org_id,
    const Pca__Api__Organizations__CreateAccountStatus *s)
{
	char key[sizeof(STATUS_KEY_PREFIX) + 40], *val = NULL, *b64 = NULL;
	uint8_t *packed = NULL;
	size_t len;
	int r = PCA_ERR_NOMEM;

	len = pca__api__organizations__create_account_status__get_packed_size(s);
	if ((packed = malloc(len > 0 ? len : 1)) == NULL)
		goto out;
	pca__api__organizations__create_account_status__pack(s, packed);
	if ((b64 = b64_encode(packed, len)) == NULL ||
	    (val = malloc(strlen(org_id) + 1 + strlen(b64) + 1)) == NULL)
		goto out;
	sprintf(val, "%s %s", org_id, b64);
	snprintf(key, sizeof(key), STATUS_KEY_PREFIX "%s", s->id);
	r = store_setting_put(ctx->fe->store, key, val);
 out:
	free(val);
	free(b64);
	free(packed);
	return r;
}

/* The status of request id, if it belongs to org_id: 0; PCA_ERR_NOT_FOUND. */
static int
status_load(struct op_ctx *ctx, const char *org_id, const char *id,
    Pca__Api__Organizations__CreateAccountStatus **out)
{
	char key[sizeof(STATUS_KEY_PREFIX) + 40], *val = NULL, *sp;
	uint8_t *packed = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	snprintf(key, sizeof(key), STATUS_KEY_PREFIX "%s", id);
	if ((r = store_setting_get(ctx->fe->store, key, &val)) != 0)
		return r;
	r = PCA_ERR_NOT_FOUND;
	if ((sp = strchr(val, ' ')) == NULL || (size_t)(sp - val) != strlen(org_id) ||
	    strncmp(val, org_id, strlen(org_id)) != 0)
		goto out;
	if (b64_decode(sp + 1, strlen(sp + 1), &packed, &len) != 0 ||
	    (*out = pca__api__organizations__create_account_status__unpack(NULL, len,
	    packed)) == NULL) {
		log_error("create-account status %s does not decode", id);
		r = PCA_ERR_DB;
		goto out;
	}
	r = 0;
 out:
	free(packed);
	free(val);
	return r;
}

/* The account, its role and its place under the root. */
static int
account_make(struct op_ctx *ctx, const struct store_org *org,
    const Pca__Api__Organizations__CreateAccountRequest *in, const char *id, int64_t now)
{
	const char *role = in->role_name != NULL ? in->role_name : DEFAULT_ROLE;
	struct store_account a;
	struct store_iam_role ro;
	struct store_membership m;
	char trust[256], arn[200], role_id[22];
	int r;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", id);
	a.name = in->account_name;
	a.created_at = now;
	if ((r = store_account_put(ctx->fe->store, &a)) != 0)
		return r;
	if ((r = role_id_new(role_id)) != 0)
		return r;
	snprintf(trust, sizeof(trust), "{\"Version\":\"2012-10-17\",\"Statement\":[{"
	    "\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::%s:root\"},"
	    "\"Action\":\"sts:AssumeRole\"}]}", org->management_account);
	snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/%s", id, role);
	memset(&ro, 0, sizeof(ro));
	snprintf(ro.account_id, sizeof(ro.account_id), "%s", id);
	ro.name = (char *)role;
	ro.path = "/";
	ro.arn = arn;
	ro.role_id = role_id;
	ro.trust_policy = trust;
	ro.max_session_duration = ROLE_MAX_SESSION;
	ro.created_at = now;
	if ((r = store_iam_role_create(ctx->fe->store, &ro)) != 0 ||
	    (r = store_attachment_add(ctx->fe->store, id, STORE_PRINCIPAL_ROLE, role,
	    ADMIN_POLICY_ARN)) != 0)
		return r;
	memset(&m, 0, sizeof(m));
	snprintf(m.account_id, sizeof(m.account_id), "%s", id);
	snprintf(m.org_id, sizeof(m.org_id), "%s", org->id);
	snprintf(m.parent_id, sizeof(m.parent_id), "%s", org->root_id);
	m.email = in->email;
	m.joined_method = "CREATED";
	m.joined_at = now;
	return store_membership_put(ctx->fe->store, &m);
}

int
org_create_account(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__CreateAccountRequest *in = (const void *)in_;
	Pca__Api__Organizations__CreateAccountResponse *out;
	Pca__Api__Organizations__CreateAccountStatus *st;
	struct store_org org;
	char car[40], id[13];
	int64_t now = clock_now();
	int r, used, rc = -1;

	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (!email_valid(in->email)) {
		op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a value that doesn't match "
		    "the required pattern for Email.");
		goto out;
	}
	if (!account_name_valid(in->account_name)) {
		op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a value that doesn't match "
		    "the required pattern for AccountName.");
		goto out;
	}
	if (in->role_name != NULL && !role_name_valid(in->role_name)) {
		op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a role name that isn't "
		    "valid.");
		goto out;
	}
	out = (void *)msg_new(&pca__api__organizations__create_account_response__descriptor);
	st = (void *)msg_new(&pca__api__organizations__create_account_status__descriptor);
	if (out == NULL || st == NULL) {
		free(out);
		free(st);
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	out->create_account_status = st;
	if ((r = org_random_id(car, sizeof(car), "car-", 32)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "request id");
		goto out;
	}
	st->id = xstrdup(car);
	st->account_name = xstrdup(in->account_name);
	st->has_state = st->has_requested_timestamp = st->has_completed_timestamp = 1;
	st->requested_timestamp = st->completed_timestamp = (double)now;
	if (st->id == NULL || st->account_name == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = email_in_use(ctx, in->email, &used)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "accounts");
		goto out;
	}
	if (used) {
		/* as AWS reports it: the request FAILED, not the call */
		st->state = CA_STATE(FAILED);
		st->has_failure_reason = 1;
		st->failure_reason = CA_FAILURE(EMAIL_ALREADY_EXISTS);
	} else {
		if ((r = account_id_new(ctx, id)) != 0 ||
		    (r = account_make(ctx, &org, in, id, now)) != 0) {
			org_fail_store(ctx, r, EXC_NONE, "new account");
			goto out;
		}
		st->state = CA_STATE(SUCCEEDED);
		if ((st->account_id = xstrdup(id)) == NULL) {
			op_fail(ctx, EXC_INTERNAL, "out of memory");
			goto out;
		}
		log_info("organization %s: account %s created by %s", org.id, id,
		    ctx->caller->arn);
	}
	if ((r = status_save(ctx, org.id, st)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "create-account status");
		goto out;
	}
	rc = 0;
 out:
	store_org_clear(&org);
	return rc;
}

int
org_describe_create_account_status(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__DescribeCreateAccountStatusRequest *in = (const void *)in_;
	Pca__Api__Organizations__DescribeCreateAccountStatusResponse *out;
	Pca__Api__Organizations__CreateAccountStatus *st = NULL;
	struct store_org org;
	int r, rc = -1;

	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (!org_id_valid(in->create_account_request_id, "car-", 8, 32)) {
		op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a value that doesn't match "
		    "the required pattern for CreateAccountRequestId.");
		goto out;
	}
	if ((r = status_load(ctx, org.id, in->create_account_request_id, &st)) != 0) {
		org_fail_store(ctx, r, EXC_ORG_CREATE_STATUS_NOT_FOUND, "We can't find a "
		    "create account request with the CreateAccountRequestId that you "
		    "specified.");
		goto out;
	}
	out = (void *)msg_new(
	    &pca__api__organizations__describe_create_account_status_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	out->create_account_status = st;
	st = NULL;
	*out_ = &out->base;
	rc = 0;
 out:
	if (st != NULL)
		protobuf_c_message_free_unpacked(&st->base, NULL);
	store_org_clear(&org);
	return rc;
}

/* The membership of account_id in org: 0, or -1 with AccountNotFound. */
static int
member_get(struct op_ctx *ctx, const struct store_org *org, const char *account_id,
    struct store_membership *m)
{
	static const char nf[] = "We can't find an AWS account with the AccountId that you "
	    "specified.";
	int r;

	memset(m, 0, sizeof(*m));
	if (!org_account_id_valid(account_id))
		return op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a value that doesn't "
		    "match the required pattern for AccountId.");
	if ((r = store_membership_get(ctx->fe->store, account_id, m)) != 0)
		return org_fail_store(ctx, r, EXC_ORG_ACCOUNT_NOT_FOUND, nf);
	if (strcmp(m->org_id, org->id) != 0) {
		store_membership_clear(m);
		return op_fail(ctx, EXC_ORG_ACCOUNT_NOT_FOUND, nf);
	}
	return 0;
}

int
org_describe_account(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__DescribeAccountRequest *in = (const void *)in_;
	Pca__Api__Organizations__DescribeAccountResponse *out;
	struct store_org org;
	struct store_membership m;
	int rc = -1;

	memset(&m, 0, sizeof(m));
	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (member_get(ctx, &org, in->account_id, &m) != 0)
		goto out;
	out = (void *)msg_new(&pca__api__organizations__describe_account_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	if ((out->account = org_account_shape(ctx, &org, &m)) != NULL)
		rc = 0;
 out:
	store_membership_clear(&m);
	store_org_clear(&org);
	return rc;
}

/* One page of the accounts of org (parent NULL) or of one parent. */
static int
accounts_page(struct op_ctx *ctx, const struct store_org *org, const char *parent,
    const char *token, size_t limit, Pca__Api__Organizations__Account ***accounts,
    size_t *n_accounts, char **next_token)
{
	struct store_membership *m = NULL;
	size_t n = 0;
	int r, rc = -1;

	if (token != NULL && !org_account_id_valid(token))
		return org_bad_token(ctx);
	if ((r = store_membership_list(ctx->fe->store, org->id, parent, token, limit + 1,
	    &m, &n)) != 0)
		return org_fail_store(ctx, r, EXC_NONE, "accounts");
	if ((*accounts = calloc(n > 0 ? n : 1, sizeof(**accounts))) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && i < limit; i++) {
		if (((*accounts)[*n_accounts] = org_account_shape(ctx, org, &m[i])) == NULL)
			goto out;
		(*n_accounts)++;
	}
	if (n > limit && (*next_token = xstrdup(m[limit - 1].account_id)) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_membership_list_free(m, n);
	return rc;
}

int
org_list_accounts(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__ListAccountsRequest *in = (const void *)in_;
	Pca__Api__Organizations__ListAccountsResponse *out;
	struct store_org org;
	int rc = -1;

	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	out = (void *)msg_new(&pca__api__organizations__list_accounts_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	rc = accounts_page(ctx, &org, NULL, in->next_token,
	    org_page_limit(in->has_max_results, in->max_results), &out->accounts,
	    &out->n_accounts, &out->next_token);
 out:
	store_org_clear(&org);
	return rc;
}

int
org_list_accounts_for_parent(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__ListAccountsForParentRequest *in = (const void *)in_;
	Pca__Api__Organizations__ListAccountsForParentResponse *out;
	struct store_org org;
	int rc = -1;

	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (org_parent_check(ctx, &org, in->parent_id, EXC_ORG_PARENT_NOT_FOUND, NULL) != 0)
		goto out;
	out = (void *)msg_new(
	    &pca__api__organizations__list_accounts_for_parent_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	rc = accounts_page(ctx, &org, in->parent_id, in->next_token,
	    org_page_limit(in->has_max_results, in->max_results), &out->accounts,
	    &out->n_accounts, &out->next_token);
 out:
	store_org_clear(&org);
	return rc;
}

/*
 * AWS's order of checks: the account must be in the organization, both
 * parents must exist; an account already under the destination is a
 * DuplicateAccountException, one not under the source AccountNotFound.
 */
int
org_move_account(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__MoveAccountRequest *in = (const void *)in_;
	struct store_org org;
	struct store_membership m;
	int r, rc = -1;

	memset(&m, 0, sizeof(m));
	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (member_get(ctx, &org, in->account_id, &m) != 0 ||
	    org_parent_check(ctx, &org, in->source_parent_id,
	    EXC_ORG_SOURCE_PARENT_NOT_FOUND, NULL) != 0 ||
	    org_parent_check(ctx, &org, in->destination_parent_id,
	    EXC_ORG_DEST_PARENT_NOT_FOUND, NULL) != 0)
		goto out;
	if (strcmp(m.parent_id, in->destination_parent_id) == 0) {
		op_fail(ctx, EXC_ORG_DUPLICATE_ACCOUNT, "That account is already present in "
		    "the specified destination.");
		goto out;
	}
	if (strcmp(m.parent_id, in->source_parent_id) != 0) {
		op_fail(ctx, EXC_ORG_ACCOUNT_NOT_FOUND, "We can't find an AWS account with the "
		    "AccountId that you specified in the source parent.");
		goto out;
	}
	snprintf(m.parent_id, sizeof(m.parent_id), "%s", in->destination_parent_id);
	if ((r = store_membership_put(ctx->fe->store, &m)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "membership");
		goto out;
	}
	if ((*out_ = msg_new(&pca__api__organizations__empty__descriptor)) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_membership_clear(&m);
	store_org_clear(&org);
	return rc;
}

int
org_remove_account_from_organization(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__RemoveAccountFromOrganizationRequest *in =
	    (const void *)in_;
	struct store_org org;
	struct store_membership m;
	int r, rc = -1;

	memset(&m, 0, sizeof(m));
	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (member_get(ctx, &org, in->account_id, &m) != 0)
		goto out;
	if (strcmp(m.account_id, org.management_account) == 0) {
		op_fail(ctx, EXC_ORG_MASTER_CANNOT_LEAVE, "You can't remove the management "
		    "account from an organization; delete the organization instead.");
		goto out;
	}
	m.org_id[0] = '\0';		/* out; the account keeps its email */
	m.parent_id[0] = '\0';
	if ((r = store_membership_put(ctx->fe->store, &m)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "membership");
		goto out;
	}
	log_info("organization %s: account %s removed by %s", org.id, m.account_id,
	    ctx->caller->arn);
	if ((*out_ = msg_new(&pca__api__organizations__empty__descriptor)) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	store_membership_clear(&m);
	store_org_clear(&org);
	return rc;
}
