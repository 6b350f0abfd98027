/*
 * organizations_handshake.c - inviting an existing account:
 * InviteAccountToOrganization, AcceptHandshake, DeclineHandshake,
 * CancelHandshake, DescribeHandshake, ListHandshakesForAccount,
 * ListHandshakesForOrganization.
 *
 *   Invite -> OPEN -Accept (the invited account)-> ACCEPTED: it joins under the root
 *                  -Decline (the invited account)-> DECLINED
 *                  -Cancel (the management account)-> CANCELED
 *                  (ORG_HANDSHAKE_DAYS pass) -> EXPIRED
 *
 * A handshake is visible to the account it invites and to the management
 * account of the organization that sent it; to anyone else it does not
 * exist. Only INVITE handshakes to an ACCOUNT party are made here.
 */
#include "acmpca.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "organizations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HS_STATE(x)	ORG_ENUM(HANDSHAKE_STATE, HandshakeState_##x)
#define HS_RES(x)	ORG_ENUM(HANDSHAKE_RESOURCE_TYPE, HandshakeResourceType_##x)
#define HS_PARTY(x)	ORG_ENUM(HANDSHAKE_PARTY_TYPE, HandshakePartyType_##x)
#define HS_NOT_FOUND_MSG \
	"We can't find a handshake with the HandshakeId that you specified."
#define HS_TRANSITION_MSG \
	"You can't perform the operation on the handshake in its current state."
#define HS_IN_ORG_MSG \
	"The requested operation would violate the constraint identified in the reason " \
	"code (ALREADY_IN_AN_ORGANIZATION: the invited account is already a member of an " \
	"organization)."

/* The state as of now: an OPEN handshake past its expiry is EXPIRED. */
static const char *
hs_state(const struct store_handshake *h)
{
	if (h->state != NULL && strcmp(h->state, "OPEN") == 0 && h->expires_at <= clock_now())
		return "EXPIRED";
	return h->state != NULL ? h->state : "OPEN";
}

static Pca__Api__Organizations__HandshakeResource *
hs_resource(int type, const char *value)
{
	Pca__Api__Organizations__HandshakeResource *r;

	r = (void *)msg_new(&pca__api__organizations__handshake_resource__descriptor);
	if (r == NULL)
		return NULL;
	r->has_type = 1;
	r->type = type;
	if (value != NULL && (r->value = strdup(value)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static int
hs_add_resource(Pca__Api__Organizations__HandshakeResource ***v, size_t *n, int type,
    const char *value)
{
	Pca__Api__Organizations__HandshakeResource *r;

	if ((r = hs_resource(type, value)) == NULL)
		return -1;
	(*v)[(*n)++] = r;
	return 0;
}

static int
hs_add_party(Pca__Api__Organizations__Handshake *h, int type, const char *id)
{
	Pca__Api__Organizations__HandshakeParty *p;

	p = (void *)msg_new(&pca__api__organizations__handshake_party__descriptor);
	if (p == NULL)
		return -1;
	h->parties[h->n_parties++] = p;
	p->type = type;
	return (p->id = strdup(id)) != NULL ? 0 : -1;
}

/*
 * The Handshake shape. org is the organization that sent it, NULL when it
 * is gone (no ARN then, and no details of its management account).
 */
static Pca__Api__Organizations__Handshake *
hs_shape(struct op_ctx *ctx, const struct store_org *org, const struct store_handshake *h)
{
	Pca__Api__Organizations__Handshake *o;
	Pca__Api__Organizations__HandshakeResource *res;
	struct store_membership mm;
	struct store_account ma;
	char arn[ORG_ARN_MAX], id[64];

	memset(&mm, 0, sizeof(mm));
	memset(&ma, 0, sizeof(ma));
	if ((o = (void *)msg_new(&pca__api__organizations__handshake__descriptor)) == NULL)
		goto oom;
	if ((o->id = strdup(h->id)) == NULL)
		goto oom;
	if (org != NULL) {
		snprintf(id, sizeof(id), "invite/%s", h->id);
		org_arn(arn, sizeof(arn), org, "handshake", id);
		if ((o->arn = strdup(arn)) == NULL)
			goto oom;
	}
	if ((o->parties = calloc(2, sizeof(*o->parties))) == NULL ||
	    hs_add_party(o, HS_PARTY(ORGANIZATION), h->org_id) != 0 ||
	    hs_add_party(o, HS_PARTY(ACCOUNT), h->target_account) != 0)
		goto oom;
	o->has_state = 1;
	o->state = org_enum_value(&pca__api__organizations__handshake_state__descriptor,
	    hs_state(h), HS_STATE(OPEN));
	o->has_requested_timestamp = o->has_expiration_timestamp = o->has_action = 1;
	o->requested_timestamp = (double)h->requested_at;
	o->expiration_timestamp = (double)h->expires_at;
	o->action = ORG_ENUM(ACTION_TYPE, ActionType_INVITE);
	/* ORGANIZATION (with what it says of itself), ACCOUNT, NOTES */
	if ((o->resources = calloc(3, sizeof(*o->resources))) == NULL ||
	    hs_add_resource(&o->resources, &o->n_resources, HS_RES(ORGANIZATION),
	    h->org_id) != 0)
		goto oom;
	res = o->resources[0];
	if ((res->resources = calloc(3, sizeof(*res->resources))) == NULL)
		goto oom;
	if (org != NULL) {
		if (store_membership_get(ctx->fe->store, org->management_account, &mm) == 0 &&
		    mm.email != NULL && mm.email[0] != '\0' &&
		    hs_add_resource(&res->resources, &res->n_resources, HS_RES(MASTER_EMAIL),
		    mm.email) != 0)
			goto oom;
		if (store_account_get(ctx->fe->store, org->management_account, &ma) == 0 &&
		    ma.name != NULL && ma.name[0] != '\0' &&
		    hs_add_resource(&res->resources, &res->n_resources, HS_RES(MASTER_NAME),
		    ma.name) != 0)
			goto oom;
		if (hs_add_resource(&res->resources, &res->n_resources,
		    HS_RES(ORGANIZATION_FEATURE_SET), org->feature_set != NULL &&
		    strcmp(org->feature_set, "CONSOLIDATED_BILLING") == 0 ?
		    "CONSOLIDATED_BILLING" : "FULL") != 0)
			goto oom;
	}
	if (hs_add_resource(&o->resources, &o->n_resources, HS_RES(ACCOUNT),
	    h->target_account) != 0)
		goto oom;
	if (h->notes != NULL && h->notes[0] != '\0' &&
	    hs_add_resource(&o->resources, &o->n_resources, HS_RES(NOTES), h->notes) != 0)
		goto oom;
	store_membership_clear(&mm);
	store_account_clear(&ma);
	return o;
 oom:
	store_membership_clear(&mm);
	store_account_clear(&ma);
	if (o != NULL)
		protobuf_c_message_free_unpacked(&o->base, NULL);
	op_fail(ctx, EXC_INTERNAL, "out of memory");
	return NULL;
}

/* The organization that sent h: 0 with *org, PCA_ERR_NOT_FOUND when gone. */
static int
hs_org(struct op_ctx *ctx, const struct store_handshake *h, struct store_org *org)
{
	memset(org, 0, sizeof(*org));
	return store_org_get(ctx->fe->store, h->org_id, org);
}

enum hs_role { HS_TARGET = 1, HS_SENDER = 2 };

/*
 * Load handshake id as seen by the caller: *role says whether the caller
 * is the invited account (HS_TARGET) or the sender's management account
 * (HS_SENDER); anyone else gets HandshakeNotFoundException. *org gets the
 * sending organization (org_ok 0 when it is gone).
 */
static int
hs_load(struct op_ctx *ctx, const char *id, struct store_handshake *h, struct store_org *org,
    int *org_ok, unsigned *role)
{
	int r;

	memset(h, 0, sizeof(*h));
	memset(org, 0, sizeof(*org));
	*org_ok = 0;
	*role = 0;
	if (!org_id_valid(id, "h-", 8, 32))
		return op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a value that doesn't "
		    "match the required pattern for HandshakeId.");
	if ((r = store_handshake_get(ctx->fe->store, id, h)) != 0)
		return org_fail_store(ctx, r, EXC_ORG_HANDSHAKE_NOT_FOUND, HS_NOT_FOUND_MSG);
	r = hs_org(ctx, h, org);
	if (r != 0 && r != PCA_ERR_NOT_FOUND) {
		store_handshake_clear(h);
		return org_fail_store(ctx, r, EXC_NONE, "organization");
	}
	*org_ok = r == 0;
	if (strcmp(h->target_account, ctx->caller->account_id) == 0)
		*role |= HS_TARGET;
	if (*org_ok && strcmp(org->management_account, ctx->caller->account_id) == 0)
		*role |= HS_SENDER;
	if (*role == 0) {
		store_handshake_clear(h);
		store_org_clear(org);
		*org_ok = 0;
		return op_fail(ctx, EXC_ORG_HANDSHAKE_NOT_FOUND, HS_NOT_FOUND_MSG);
	}
	return 0;
}

/* Set h's state and store it. */
static int
hs_set_state(struct op_ctx *ctx, struct store_handshake *h, const char *state)
{
	char *s;
	int r;

	if ((s = strdup(state)) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	free(h->state);
	h->state = s;
	if ((r = store_handshake_put(ctx->fe->store, h)) != 0)
		return org_fail_store(ctx, r, EXC_ORG_HANDSHAKE_NOT_FOUND, HS_NOT_FOUND_MSG);
	return 0;
}

/* Answer {Handshake: h} in an output message of type d (the outputs of
 * Invite, Accept, Decline, Cancel and Describe: one member, handshake). */
static int
hs_answer(struct op_ctx *ctx, const ProtobufCMessageDescriptor *d, const struct store_org *org,
    const struct store_handshake *h, ProtobufCMessage **out_)
{
	const ProtobufCFieldDescriptor *f;
	Pca__Api__Organizations__Handshake *shape;
	ProtobufCMessage *out;

	f = protobuf_c_message_descriptor_get_field_by_name(d, "handshake");
	if (f == NULL || f->descriptor != &pca__api__organizations__handshake__descriptor)
		return op_fail(ctx, EXC_INTERNAL, "%s has no handshake", d->name);
	if ((out = msg_new(d)) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	*out_ = out;
	if ((shape = hs_shape(ctx, org, h)) == NULL)
		return -1;
	*(Pca__Api__Organizations__Handshake **)(void *)((char *)out + f->offset) = shape;
	return 0;
}

int
org_invite_account_to_organization(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__InviteAccountToOrganizationRequest *in = (const void *)in_;
	const char *target = in->target->id;
	struct store_org org, other;
	struct store_membership om;
	struct store_account acct;
	struct store_handshake h, *hs = NULL;
	size_t n = 0;
	int64_t now = clock_now();
	int r, rc = -1;

	memset(&other, 0, sizeof(other));
	memset(&om, 0, sizeof(om));
	memset(&acct, 0, sizeof(acct));
	memset(&h, 0, sizeof(h));
	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if (in->target->type != HS_PARTY(ACCOUNT)) {
		op_fail(ctx, EXC_ORG_INVALID_INPUT, "You specified the wrong type of entity as "
		    "a party (INVALID_PARTY_TYPE_TARGET): invite an account by its id "
		    "(Type=ACCOUNT).");
		goto out;
	}
	if (!org_account_id_valid(target)) {
		op_fail(ctx, EXC_ORG_INVALID_INPUT, "You provided a value that doesn't match "
		    "the required pattern for an account id (12 digits).");
		goto out;
	}
	if ((r = store_account_get(ctx->fe->store, target, &acct)) != 0) {
		org_fail_store(ctx, r, EXC_ORG_ACCOUNT_NOT_FOUND, "We can't find an AWS "
		    "account with the AccountId that you specified.");
		goto out;
	}
	r = store_org_of_account(ctx->fe->store, target, &other, &om);
	if (r == 0) {
		op_fail(ctx, EXC_ORG_HANDSHAKE_CONSTRAINT, HS_IN_ORG_MSG);
		goto out;
	}
	if (r != PCA_ERR_NOT_FOUND) {
		org_fail_store(ctx, r, EXC_NONE, "organization");
		goto out;
	}
	if ((r = store_handshake_list(ctx->fe->store, org.id, NULL, &hs, &n)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "handshakes");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(hs[i].target_account, target) == 0 &&
		    strcmp(hs_state(&hs[i]), "OPEN") == 0) {
			op_fail(ctx, EXC_ORG_DUPLICATE_HANDSHAKE, "A handshake with the same "
			    "action and target already exists.");
			goto out;
		}
	}
	if ((r = org_random_id(h.id, sizeof(h.id), "h-", 10)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "handshake id");
		goto out;
	}
	snprintf(h.org_id, sizeof(h.org_id), "%s", org.id);
	snprintf(h.target_account, sizeof(h.target_account), "%s", target);
	h.action = "INVITE";
	h.state = "OPEN";
	h.notes = in->notes;
	h.requested_at = now;
	h.expires_at = now + (int64_t)ORG_HANDSHAKE_DAYS * 86400;
	if ((r = store_handshake_put(ctx->fe->store, &h)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "handshake");
		goto out;
	}
	log_info("organization %s invited account %s (%s)", org.id, target, h.id);
	rc = hs_answer(ctx,
	    &pca__api__organizations__invite_account_to_organization_response__descriptor,
	    &org, &h, out_);
 out:
	store_handshake_list_free(hs, n);
	store_account_clear(&acct);
	store_membership_clear(&om);
	store_org_clear(&other);
	store_org_clear(&org);
	return rc;
}

/* An OPEN handshake, or InvalidHandshakeTransitionException (an expired
 * one is recorded as EXPIRED on the way). */
static int
hs_must_be_open(struct op_ctx *ctx, struct store_handshake *h)
{
	const char *s = hs_state(h);

	if (strcmp(s, "OPEN") == 0)
		return 0;
	if (strcmp(s, "EXPIRED") == 0 && strcmp(h->state, "EXPIRED") != 0 &&
	    hs_set_state(ctx, h, "EXPIRED") != 0)
		log_warn("handshake %s: could not record its expiry", h->id);
	return op_fail(ctx, EXC_ORG_HANDSHAKE_TRANSITION, HS_TRANSITION_MSG);
}

int
org_accept_handshake(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__AcceptHandshakeRequest *in = (const void *)in_;
	struct store_handshake h;
	struct store_org org, other;
	struct store_membership m, om;
	unsigned role;
	int r, org_ok, rc = -1;

	memset(&other, 0, sizeof(other));
	memset(&m, 0, sizeof(m));
	memset(&om, 0, sizeof(om));
	if (hs_load(ctx, in->handshake_id, &h, &org, &org_ok, &role) != 0)
		return -1;
	if (!(role & HS_TARGET)) {
		op_fail(ctx, EXC_ACCESS_DENIED, ORG_DENIED_MSG);
		goto out;
	}
	if (hs_must_be_open(ctx, &h) != 0)
		goto out;
	if (!org_ok) {			/* the organization was deleted */
		op_fail(ctx, EXC_ORG_HANDSHAKE_TRANSITION, HS_TRANSITION_MSG);
		goto out;
	}
	r = store_org_of_account(ctx->fe->store, ctx->caller->account_id, &other, &om);
	if (r == 0) {
		op_fail(ctx, EXC_ORG_HANDSHAKE_CONSTRAINT, HS_IN_ORG_MSG);
		goto out;
	}
	if (r != PCA_ERR_NOT_FOUND) {
		org_fail_store(ctx, r, EXC_NONE, "organization");
		goto out;
	}
	/* the account joins under the root, keeping an email it had */
	r = store_membership_get(ctx->fe->store, ctx->caller->account_id, &m);
	if (r != 0 && r != PCA_ERR_NOT_FOUND) {
		org_fail_store(ctx, r, EXC_NONE, "membership");
		goto out;
	}
	snprintf(m.account_id, sizeof(m.account_id), "%s", ctx->caller->account_id);
	snprintf(m.org_id, sizeof(m.org_id), "%s", org.id);
	snprintf(m.parent_id, sizeof(m.parent_id), "%s", org.root_id);
	free(m.joined_method);
	if ((m.joined_method = strdup("INVITED")) == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	m.joined_at = clock_now();
	if ((r = store_membership_put(ctx->fe->store, &m)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "membership");
		goto out;
	}
	if (hs_set_state(ctx, &h, "ACCEPTED") != 0)
		goto out;
	log_info("account %s joined organization %s (%s)", m.account_id, org.id, h.id);
	rc = hs_answer(ctx, &pca__api__organizations__accept_handshake_response__descriptor,
	    &org, &h, out_);
 out:
	store_membership_clear(&m);
	store_membership_clear(&om);
	store_org_clear(&other);
	store_org_clear(&org);
	store_handshake_clear(&h);
	return rc;
}

/* Decline (the invited account) or cancel (the sender) an open handshake. */
static int
hs_close(struct op_ctx *ctx, const char *id, unsigned need, const char *state,
    const ProtobufCMessageDescriptor *d, ProtobufCMessage **out_)
{
	struct store_handshake h;
	struct store_org org;
	unsigned role;
	int org_ok, rc = -1;

	if (hs_load(ctx, id, &h, &org, &org_ok, &role) != 0)
		return -1;
	if (!(role & need)) {
		op_fail(ctx, EXC_ACCESS_DENIED, ORG_DENIED_MSG);
		goto out;
	}
	if (hs_must_be_open(ctx, &h) != 0 || hs_set_state(ctx, &h, state) != 0)
		goto out;
	rc = hs_answer(ctx, d, org_ok ? &org : NULL, &h, out_);
 out:
	store_org_clear(&org);
	store_handshake_clear(&h);
	return rc;
}

int
org_decline_handshake(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__DeclineHandshakeRequest *in = (const void *)in_;

	return hs_close(ctx, in->handshake_id, HS_TARGET, "DECLINED",
	    &pca__api__organizations__decline_handshake_response__descriptor, out_);
}

int
org_cancel_handshake(struct op_ctx *ctx, const ProtobufCMessage *in_, ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__CancelHandshakeRequest *in = (const void *)in_;

	return hs_close(ctx, in->handshake_id, HS_SENDER, "CANCELED",
	    &pca__api__organizations__cancel_handshake_response__descriptor, out_);
}

int
org_describe_handshake(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__DescribeHandshakeRequest *in = (const void *)in_;
	struct store_handshake h;
	struct store_org org;
	unsigned role;
	int org_ok, rc;

	if (hs_load(ctx, in->handshake_id, &h, &org, &org_ok, &role) != 0)
		return -1;
	rc = hs_answer(ctx, &pca__api__organizations__describe_handshake_response__descriptor,
	    org_ok ? &org : NULL, &h, out_);
	store_org_clear(&org);
	store_handshake_clear(&h);
	return rc;
}

static int
hs_cmp_id(const void *a, const void *b)
{
	return strcmp(((const struct store_handshake *)a)->id,
	    ((const struct store_handshake *)b)->id);
}

/*
 * One page of handshakes (sorted by id; the token is the last id of the
 * previous page) into *out, *n_out and *next. org: the organization of them
 * all (ListHandshakesForOrganization), or NULL to look each one's up.
 */
static int
hs_page(struct op_ctx *ctx, struct store_handshake *hs, size_t n,
    const Pca__Api__Organizations__HandshakeFilter *filter, const char *token, size_t limit,
    const struct store_org *org, Pca__Api__Organizations__Handshake ***out, size_t *n_out,
    char **next)
{
	size_t i = 0, k = 0;

	if (token != NULL && !org_id_valid(token, "h-", 8, 32))
		return org_bad_token(ctx);
	if (filter != NULL && filter->has_action_type && filter->parent_handshake_id != NULL)
		return op_fail(ctx, EXC_ORG_INVALID_INPUT, "You can specify only one filter "
		    "parameter for the operation (MAX_FILTER_LIMIT_EXCEEDED).");
	if ((*out = calloc(limit, sizeof(**out))) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	/* only INVITE handshakes exist here, none with a parent */
	if (filter != NULL && ((filter->has_action_type &&
	    filter->action_type != ORG_ENUM(ACTION_TYPE, ActionType_INVITE)) ||
	    filter->parent_handshake_id != NULL))
		return 0;
	if (n > 1)
		qsort(hs, n, sizeof(*hs), hs_cmp_id);
	if (token != NULL)
		while (i < n && strcmp(hs[i].id, token) <= 0)
			i++;
	for (; i < n && k < limit; i++, k++) {
		struct store_org own;
		int r = 0;

		memset(&own, 0, sizeof(own));
		if (org == NULL && (r = hs_org(ctx, &hs[i], &own)) != 0 && r != PCA_ERR_NOT_FOUND)
			return org_fail_store(ctx, r, EXC_NONE, "organization");
		(*out)[*n_out] = hs_shape(ctx, org != NULL ? org : r == 0 ? &own : NULL, &hs[i]);
		store_org_clear(&own);
		if ((*out)[*n_out] == NULL)
			return -1;
		(*n_out)++;
	}
	if (i < n && k > 0 && (*next = strdup(hs[i - 1].id)) == NULL)
		return op_fail(ctx, EXC_INTERNAL, "out of memory");
	return 0;
}

int
org_list_handshakes_for_account(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__ListHandshakesForAccountRequest *in = (const void *)in_;
	Pca__Api__Organizations__ListHandshakesForAccountResponse *out;
	struct store_handshake *hs = NULL;
	size_t n = 0;
	int r, rc = -1;

	if ((r = store_handshake_list(ctx->fe->store, NULL, ctx->caller->account_id, &hs,
	    &n)) != 0)
		return org_fail_store(ctx, r, EXC_NONE, "handshakes");
	out = (void *)msg_new(
	    &pca__api__organizations__list_handshakes_for_account_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	rc = hs_page(ctx, hs, n, in->filter, in->next_token,
	    org_page_limit(in->has_max_results, in->max_results), NULL, &out->handshakes,
	    &out->n_handshakes, &out->next_token);
 out:
	store_handshake_list_free(hs, n);
	return rc;
}

int
org_list_handshakes_for_organization(struct op_ctx *ctx, const ProtobufCMessage *in_,
    ProtobufCMessage **out_)
{
	const Pca__Api__Organizations__ListHandshakesForOrganizationRequest *in =
	    (const void *)in_;
	Pca__Api__Organizations__ListHandshakesForOrganizationResponse *out;
	struct store_handshake *hs = NULL;
	struct store_org org;
	size_t n = 0;
	int r, rc = -1;

	if (org_of_caller(ctx, 1, &org, NULL) != 0)
		return -1;
	if ((r = store_handshake_list(ctx->fe->store, org.id, NULL, &hs, &n)) != 0) {
		org_fail_store(ctx, r, EXC_NONE, "handshakes");
		goto out;
	}
	out = (void *)msg_new(
	    &pca__api__organizations__list_handshakes_for_organization_response__descriptor);
	if (out == NULL) {
		op_fail(ctx, EXC_INTERNAL, "out of memory");
		goto out;
	}
	*out_ = &out->base;
	rc = hs_page(ctx, hs, n, in->filter, in->next_token,
	    org_page_limit(in->has_max_results, in->max_results), &org, &out->handshakes,
	    &out->n_handshakes, &out->next_token);
 out:
	store_handshake_list_free(hs, n);
	store_org_clear(&org);
	return rc;
}
