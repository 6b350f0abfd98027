/*
 * store_iam.h - who may do what: organizations, accounts, IAM users, roles,
 * policies and temporary credentials; CA permissions and resource policies;
 * the audit log. Same back end, rules and guarantees as store.h (durable
 * group-committed writes; PCA_ERR_NOT_FOUND / _EXISTS / _STATE / _TOO_LARGE /
 * _DB; *_clear() and *_list_free() release what functions fill in).
 *
 * Changes to anything an authorization decision reads (users, roles, their
 * inline policies and attachments, access keys and sessions, organizations,
 * their trees and memberships, settings, CA policies and permissions) bump
 * store_authz_generation(), so in-memory caches of compiled policies know
 * when to drop what they hold. Writes of users, access keys, roles (their
 * sessions go with them) and sessions also bump store.h's
 * store_credentials_generation().
 *
 * Lists that page take `after` (the last id or name of the previous page,
 * NULL for the first) and `limit`, and come back sorted by that key. A list
 * whose owner (account, user, role, parent, CA) does not exist is
 * PCA_ERR_NOT_FOUND rather than empty.
 *
 * Changes to this header while implementing it (store_sqlite_iam.c):
 *  - documented the rules each function follows (the comments below);
 *  - added store_ca_list_with_policy_after() (paging) and corrected what
 *    store_ca_list_with_policy() returns: it has no account or org to
 *    match, so it returns every CA of other accounts with a policy;
 *  - store_access_key_list() leaves secrets NULL;
 *  - struct store_audit documents the hash and store_audit_verify() what
 *    *count and *bad_seq are.
 */
#ifndef PCA_STORE_IAM_H
#define PCA_STORE_IAM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

/* Like store_credentials_generation(): changed by the time any write that
 * can change a decision returns (whether it succeeded or not); never 0,
 * never goes back; an atomic load. */
uint64_t store_authz_generation(struct store *st);

/* ---- settings: small named values of the service ------------------------- */

/* "admin_account": the administrator's account id (admin-init);
 * TEST_CLOCK_SETTING: how far a test clock was moved, in seconds. Put
 * creates or replaces; the key must not be empty. */
#define TEST_CLOCK_SETTING	"test_clock_offset"
int store_setting_put(struct store *st, const char *key, const char *value) PCA_MUST_CHECK;
/* *value malloc'd; PCA_ERR_NOT_FOUND when unset. */
int store_setting_get(struct store *st, const char *key, char **value) PCA_MUST_CHECK;

/* Every account, by id, after `after` (NULL: from the start). */
int store_account_list(struct store *st, const char *after, size_t limit,
    struct store_account **out, size_t *n) PCA_MUST_CHECK;
void store_account_list_free(struct store_account *a, size_t n);

/* ---- organizations ------------------------------------------------------ */

struct store_org {
	char	 id[40];		/* o-xxxxxxxxxx */
	char	 management_account[13];
	char	 root_id[40];		/* r-xxxx */
	char	*feature_set;		/* "ALL" */
	int64_t	 created_at;
};

/* A node of the organization tree: the root (r-...) or an OU (ou-...). */
struct store_ou {
	char	 id[64];
	char	 org_id[40];
	char	 parent_id[64];		/* "" for the root */
	char	*name;
	int64_t	 created_at;
};

/* Account fields of store.h's struct store_account are extended by these,
 * read and written with store_membership_*. An account that left its
 * organization keeps its row (email) with org_id and parent_id "". */
struct store_membership {
	char	 account_id[13];
	char	 org_id[40];		/* "" when not in an organization */
	char	 parent_id[64];		/* root or OU */
	char	*email;
	char	*joined_method;		/* "CREATED" / "INVITED" */
	int64_t	 joined_at;
};

/* Create an organization with its root (named "Root"; feature_set NULL is
 * "ALL"); the management account becomes its first member (parent = root,
 * joined_method "CREATED", joined_at = created_at, its email kept).
 * PCA_ERR_EXISTS if the account is in one, or the id or root id is taken;
 * PCA_ERR_NOT_FOUND if the account does not exist. */
int store_org_create(struct store *st, const struct store_org *org) PCA_MUST_CHECK;
int store_org_get(struct store *st, const char *org_id, struct store_org *out) PCA_MUST_CHECK;
/* The organization an account belongs to (PCA_ERR_NOT_FOUND: none); m may
 * be NULL. */
int store_org_of_account(struct store *st, const char *account_id, struct store_org *out,
    struct store_membership *m) PCA_MUST_CHECK;
/* PCA_ERR_STATE while any account but the management account is a member;
 * otherwise the organization goes with its tree and handshakes, and the
 * management account leaves it. */
int store_org_delete(struct store *st, const char *org_id) PCA_MUST_CHECK;
void store_org_clear(struct store_org *o);

/* An OU under parent_id (the root or an OU of the same organization:
 * PCA_ERR_NOT_FOUND if it does not exist, PCA_ERR_INVALID if it is in
 * another one). PCA_ERR_EXISTS if the id is taken or the parent has a
 * child of that name. Roots are made by store_org_create() only. */
int store_ou_create(struct store *st, const struct store_ou *ou) PCA_MUST_CHECK;
int store_ou_get(struct store *st, const char *id, struct store_ou *out) PCA_MUST_CHECK;
/* PCA_ERR_EXISTS if a sibling has that name. */
int store_ou_rename(struct store *st, const char *id, const char *name) PCA_MUST_CHECK;
/* PCA_ERR_STATE if the OU has children (OUs or accounts); PCA_ERR_INVALID
 * for a root (it goes with its organization). */
int store_ou_delete(struct store *st, const char *id) PCA_MUST_CHECK;
/* Children OUs of a parent, by id, after `after` (NULL: from the start). */
int store_ou_list_children(struct store *st, const char *parent_id, const char *after,
    size_t limit, struct store_ou **out, size_t *n) PCA_MUST_CHECK;
void store_ou_clear(struct store_ou *ou);
void store_ou_list_free(struct store_ou *ous, size_t n);

/* Put an account into an organization under parent (create, accept an
 * invitation), move it, or take it out (org_id "", parent_id ignored).
 * Every field is written as given. PCA_ERR_NOT_FOUND: no such account or
 * parent; PCA_ERR_INVALID: the parent is in another organization;
 * PCA_ERR_STATE: the management account would leave its organization. */
int store_membership_put(struct store *st, const struct store_membership *m) PCA_MUST_CHECK;
/* PCA_ERR_NOT_FOUND when the account never had a membership row. */
int store_membership_get(struct store *st, const char *account_id,
    struct store_membership *out) PCA_MUST_CHECK;
/* Accounts of an organization (parent_id NULL) or of one parent in it, by
 * account id. */
int store_membership_list(struct store *st, const char *org_id, const char *parent_id,
    const char *after, size_t limit, struct store_membership **out, size_t *n) PCA_MUST_CHECK;
void store_membership_clear(struct store_membership *m);
void store_membership_list_free(struct store_membership *m, size_t n);

struct store_handshake {
	char	 id[40];		/* h-xxxxxxxxxx */
	char	 org_id[40];
	char	 target_account[13];
	char	*action;		/* "INVITE" */
	char	*state;			/* OPEN, ACCEPTED, DECLINED, CANCELED, EXPIRED */
	char	*notes;
	int64_t	 requested_at;
	int64_t	 expires_at;
};

/* Create, or update state, notes and expires_at of, a handshake; its
 * organization, target and action never change (PCA_ERR_EXISTS for a put
 * of the id with another organization or target). PCA_ERR_NOT_FOUND: no
 * such organization. Does not change authorization (accepting does, as a
 * membership write). */
int store_handshake_put(struct store *st, const struct store_handshake *h) PCA_MUST_CHECK;
int store_handshake_get(struct store *st, const char *id, struct store_handshake *out) PCA_MUST_CHECK;
/* Of an organization (org_id), received by an account (account_id), or
 * both filters at once (at least one non-NULL); by id, not paged. */
int store_handshake_list(struct store *st, const char *org_id, const char *account_id,
    struct store_handshake **out, size_t *n) PCA_MUST_CHECK;
void store_handshake_clear(struct store_handshake *h);
void store_handshake_list_free(struct store_handshake *h, size_t n);

/* ---- IAM: users, roles, policies ----------------------------------------- */

/* store.h's struct store_user carries account_id, name, arn, created_at;
 * these add the IAM identifiers. */
struct store_iam_user {
	char	 account_id[13];
	char	*name;
	char	*path;			/* "/" */
	char	*arn;
	char	*user_id;		/* AIDA... */
	int64_t	 created_at;
};

/* These are the rows of store_user_put()/store_user_get(): a user put
 * there reads back here with path "/" and user_id NULL. Names are unique
 * in an account whatever their case (PCA_ERR_EXISTS), as are user ids;
 * lookups match the exact name. path NULL is "/"; user_id is required. */
int store_iam_user_create(struct store *st, const struct store_iam_user *u) PCA_MUST_CHECK;
int store_iam_user_get(struct store *st, const char *account_id, const char *name,
    struct store_iam_user *out) PCA_MUST_CHECK;
/* PCA_ERR_STATE while the user still has access keys, inline policies or
 * attachments (IAM's DeleteConflict). */
int store_iam_user_delete(struct store *st, const char *account_id, const char *name) PCA_MUST_CHECK;
int store_iam_user_list(struct store *st, const char *account_id, const char *after,
    size_t limit, struct store_iam_user **out, size_t *n) PCA_MUST_CHECK;
void store_iam_user_clear(struct store_iam_user *u);
void store_iam_user_list_free(struct store_iam_user *u, size_t n);

/* Access keys of a user (user_name) or the root (NULL), by id; secret is
 * left NULL (a listing never carries secrets: store_access_key_get()). */
int store_access_key_list(struct store *st, const char *account_id, const char *user_name,
    struct store_access_key **out, size_t *n) PCA_MUST_CHECK;
/* Both PCA_ERR_NOT_FOUND for an unknown id; both bump the credentials
 * generation, so a deactivated or deleted key stops working at once. */
int store_access_key_set_active(struct store *st, const char *id, int active) PCA_MUST_CHECK;
int store_access_key_delete(struct store *st, const char *id) PCA_MUST_CHECK;
void store_access_key_list_free(struct store_access_key *k, size_t n);

struct store_iam_role {
	char	 account_id[13];
	char	*name;
	char	*path;			/* "/" or "/aws-service-role/<service>/" */
	char	*arn;
	char	*role_id;		/* AROA... */
	char	*trust_policy;		/* JSON */
	char	*description;
	char	*service;		/* service-linked: "acm.amazonaws.com"; else NULL */
	int	 max_session_duration;	/* seconds */
	int64_t	 created_at;
};

/* Names unique in an account whatever their case, role ids unique
 * (PCA_ERR_EXISTS); path NULL is "/"; trust_policy is required. */
int store_iam_role_create(struct store *st, const struct store_iam_role *r) PCA_MUST_CHECK;
int store_iam_role_get(struct store *st, const char *account_id, const char *name,
    struct store_iam_role *out) PCA_MUST_CHECK;
int store_iam_role_set_trust(struct store *st, const char *account_id, const char *name,
    const char *trust_policy) PCA_MUST_CHECK;
/* PCA_ERR_STATE while it has inline policies or attachments; its sessions
 * are deleted with it. */
int store_iam_role_delete(struct store *st, const char *account_id, const char *name) PCA_MUST_CHECK;
int store_iam_role_list(struct store *st, const char *account_id, const char *after,
    size_t limit, struct store_iam_role **out, size_t *n) PCA_MUST_CHECK;
void store_iam_role_clear(struct store_iam_role *r);
void store_iam_role_list_free(struct store_iam_role *r, size_t n);

enum store_principal_kind { STORE_PRINCIPAL_USER = 1, STORE_PRINCIPAL_ROLE = 2 };

struct store_inline_policy {
	char	*name;
	char	*document;		/* JSON */
};

/* Inline policies of a user or role (put = create or replace; the user or
 * role must exist: PCA_ERR_NOT_FOUND). kind is enum store_principal_kind
 * (anything else: PCA_ERR_INVALID). get and delete of none: NOT_FOUND. */
int store_inline_policy_put(struct store *st, const char *account_id, int kind,
    const char *principal, const char *name, const char *document) PCA_MUST_CHECK;
int store_inline_policy_get(struct store *st, const char *account_id, int kind,
    const char *principal, const char *name, char **document) PCA_MUST_CHECK;
int store_inline_policy_delete(struct store *st, const char *account_id, int kind,
    const char *principal, const char *name) PCA_MUST_CHECK;
/* All of them, by name (documents included: the authorizer compiles them). */
int store_inline_policy_list(struct store *st, const char *account_id, int kind,
    const char *principal, struct store_inline_policy **out, size_t *n) PCA_MUST_CHECK;
void store_inline_policy_list_free(struct store_inline_policy *p, size_t n);

/* Managed policy attachments (ARNs) of a user or role, by ARN. add:
 * PCA_ERR_EXISTS when attached already (IAM's AttachUserPolicy succeeds
 * then: the caller decides), PCA_ERR_NOT_FOUND without the principal;
 * remove of one not attached: PCA_ERR_NOT_FOUND. */
int store_attachment_add(struct store *st, const char *account_id, int kind,
    const char *principal, const char *policy_arn) PCA_MUST_CHECK;
int store_attachment_remove(struct store *st, const char *account_id, int kind,
    const char *principal, const char *policy_arn) PCA_MUST_CHECK;
int store_attachment_list(struct store *st, const char *account_id, int kind,
    const char *principal, char ***arns, size_t *n) PCA_MUST_CHECK;
void store_string_list_free(char **v, size_t n);

/* ---- temporary credentials (sts:AssumeRole) ------------------------------- */

struct store_session {
	char	*access_key_id;		/* ASIA... */
	char	*secret;		/* wiped by store_session_clear() */
	char	*token;			/* the session token clients send */
	char	 account_id[13];	/* the role's account */
	char	*role_name;
	char	*session_name;
	char	*source_arn;		/* who assumed it */
	int64_t	 expires_at;		/* service clock */
};

/* PCA_ERR_EXISTS: the access key id is taken; PCA_ERR_NOT_FOUND: no such
 * role. A session dies with its role. */
int store_session_put(struct store *st, const struct store_session *s) PCA_MUST_CHECK;
/* Expired sessions not swept yet are returned too: check expires_at. */
int store_session_get(struct store *st, const char *access_key_id, struct store_session *out) PCA_MUST_CHECK;
/* Remove sessions that expired before now (expires_at < now); when there
 * is none, nothing is written and no generation moves. */
int store_session_expire(struct store *st, int64_t now) PCA_MUST_CHECK;
void store_session_clear(struct store_session *s);

/* ---- CA permissions and resource policies -------------------------------- */

#define STORE_PERM_ISSUE	0x1	/* IssueCertificate */
#define STORE_PERM_GET		0x2	/* GetCertificate */
#define STORE_PERM_LIST		0x4	/* ListPermissions */

struct store_permission {
	char	 ca_id[STORE_CA_ID_LEN + 1];
	char	*principal;		/* "acm.amazonaws.com" */
	char	 source_account[13];	/* "" when none */
	unsigned actions;		/* STORE_PERM_* */
	int64_t	 created_at;
};

/* PCA_ERR_EXISTS when (ca, principal, source account) has one already;
 * PCA_ERR_NOT_FOUND without the CA; actions must be a non-empty set of
 * STORE_PERM_* (PCA_ERR_INVALID). Permissions and the policy below go with
 * their CA (store_ca_purge()). */
int store_permission_create(struct store *st, const struct store_permission *p) PCA_MUST_CHECK;
/* source_account NULL or "": the one without a source account. */
int store_permission_delete(struct store *st, const char *ca_id, const char *principal,
    const char *source_account) PCA_MUST_CHECK;
int store_permission_list(struct store *st, const char *ca_id, struct store_permission **out,
    size_t *n) PCA_MUST_CHECK;
void store_permission_list_free(struct store_permission *p, size_t n);

/* The CA's resource policy (JSON); put replaces (PCA_ERR_NOT_FOUND
 * without the CA); get of none is PCA_ERR_NOT_FOUND; delete of none is 0. */
int store_ca_policy_put(struct store *st, const char *ca_id, const char *policy) PCA_MUST_CHECK;
int store_ca_policy_get(struct store *st, const char *ca_id, char **policy) PCA_MUST_CHECK;
int store_ca_policy_delete(struct store *st, const char *ca_id) PCA_MUST_CHECK;
/* CAs of accounts other than not_account that have a resource policy, in
 * creation order, at most limit (for ListCertificateAuthorities with
 * ResourceOwner OTHER_ACCOUNTS: the authorizer decides which of them the
 * caller may see). The _after form pages like store_ca_list(): CAs after
 * after_id (NULL: from the start; PCA_ERR_INVALID when it is no CA). */
int store_ca_list_with_policy(struct store *st, const char *not_account, size_t limit,
    struct store_ca **out, size_t *n) PCA_MUST_CHECK;
int store_ca_list_with_policy_after(struct store *st, const char *not_account,
    const char *after_id, size_t limit, struct store_ca **out, size_t *n) PCA_MUST_CHECK;

/* ---- the audit log -------------------------------------------------------- */

/*
 * The chain: record seq (1, 2, ...) has
 *
 *	hash = SHA-256(prev_hash || u64 seq || u64 at_ms || caller || action ||
 *	    resource || u64 allowed || policy || sid || reason)
 *
 * integers as 8 bytes big-endian (allowed is 0 or 1), each text as a 4-byte
 * big-endian length then its bytes (NULL is stored and hashed as ""), and
 * prev_hash the hash of record seq - 1 (32 zero bytes for record 1).
 * Texts are at most 65536 bytes (PCA_ERR_TOO_LARGE).
 */
struct store_audit {
	int64_t	 seq;			/* set by the store */
	int64_t	 at_ms;			/* service clock */
	char	*caller;		/* principal ARN */
	char	*action;
	char	*resource;
	int	 allowed;
	char	*policy;		/* deciding policy, "" for none */
	char	*sid;			/* deciding statement */
	char	*reason;
	uint8_t	 prev_hash[32];		/* set by the store */
	uint8_t	 hash[32];		/* SHA-256 of prev_hash and the record */
};

/*
 * Queue a record and return without waiting for its commit: the writer
 * takes jobs in order, so the record is committed no later than any write
 * any thread submits after this call returns (a state change is never
 * durable without the decision that allowed it). The writer links it to the
 * previous record (hash chain) as it commits. When thousands of records
 * already wait for the writer, the call waits for its own commit instead,
 * like a write (backpressure). XXX: a record whose transaction is lost
 * after the call returned (an I/O error at commit) is only logged by the
 * writer; a write in a later transaction may still succeed without it.
 */
int store_audit_append(struct store *st, const struct store_audit *a) PCA_MUST_CHECK;
/* Records after seq `after`, in order, at most limit. */
int store_audit_list(struct store *st, int64_t after, size_t limit, struct store_audit **out,
    size_t *n) PCA_MUST_CHECK;
/* Walk the whole chain: 0 when records 1..n are all there, each hash is
 * right and links to its predecessor; PCA_ERR_BAD_SIGNATURE with *bad_seq
 * the first record missing, altered or unlinked. *count: the records
 * verified (before the break). While the store is open, the writer's
 * memory of the last committed record also catches records cut off the
 * end and a chain rewritten from its start (XXX: across a restart only
 * an anchor kept outside the file would). */
int store_audit_verify(struct store *st, int64_t *count, int64_t *bad_seq) PCA_MUST_CHECK;
void store_audit_list_free(struct store_audit *a, size_t n);

#endif
