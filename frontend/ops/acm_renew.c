/*
 * acm_renew.c - managed renewal of private certificates (acm_renew.h).
 */
#include "acm_renew.h"
#include "acm_keys.h"
#include "acm_util.h"
#include "acmpca.h"
#include "arn.h"
#include "clock.h"
#include "log.h"
#include "ops.h"
#include "store_acm.h"
#include "store_iam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_BATCH	256
#define UPDATE_TRIES	3

/* Hours of back-off after the n-th failure in a row (n >= 1): 1, 2, 4, ...
 * at most a day. */
static int64_t
backoff(int failures)
{
	int64_t s = 3600;

	for (int i = 1; i < failures && s < ACM_RENEW_BACKOFF_MAX; i++)
		s *= 2;
	return s < ACM_RENEW_BACKOFF_MAX ? s : ACM_RENEW_BACKOFF_MAX;
}

/*
 * Write c, which this attempt claimed while its serial was `serial`. A
 * concurrent writer that left the claim in place (an export, which only
 * sets what a renewal resets) costs a re-read; anything else
 * (a deletion, another renewer after our claim expired) wins.
 */
static int
renew_store(struct store *st, struct store_acm_cert *c, const char *serial)
{
	struct store_acm_cert cur;
	int r, ours;

	for (int i = 0; i < UPDATE_TRIES; i++) {
		if ((r = store_acm_cert_update(st, c)) != PCA_ERR_STATE)
			return r;
		if ((r = store_acm_cert_get(st, c->id, &cur)) != 0)
			return r;
		ours = cur.renewal_status == ACM_RENEWAL(PENDING_AUTO_RENEWAL) &&
		    cur.serial != NULL && strcmp(cur.serial, serial) == 0 &&
		    cur.type == c->type;
		c->version = cur.version;
		store_acm_cert_clear(&cur);
		if (!ours)
			return PCA_ERR_STATE;
	}
	return PCA_ERR_STATE;
}

static void
event_append(struct store *st, const struct store_acm_cert *c, int status, int reason,
    const char *detail, const char *new_serial)
{
	struct store_renewal_event e;

	memset(&e, 0, sizeof(e));
	snprintf(e.cert_id, sizeof(e.cert_id), "%s", c->id);
	snprintf(e.account_id, sizeof(e.account_id), "%s", c->account_id);
	e.at = clock_now();
	e.renewal_status = status;
	e.reason = reason;
	e.detail = (char *)detail;
	e.new_serial = (char *)new_serial;
	if (store_renewal_event_append(st, &e) != 0)
		log_error("certificate %s: could not record the renewal event", c->id);
}

/*
 * Who renews c: the service principal for the CA's own account, or the
 * certificate account's service-linked role for another account's CA.
 * 0, PCA_ERR_NOT_FOUND (no service-linked role: why says so), or a store
 * error.
 */
static int
renewal_caller(struct store *st, const struct store_acm_cert *c, const char *ca_account,
    struct caller *out, char *why, size_t whylen)
{
	struct store_iam_role role;
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(out->account_id, sizeof(out->account_id), "%s", c->account_id);
	if (strcmp(ca_account, c->account_id) == 0) {
		out->kind = CALLER_SERVICE;
		snprintf(out->arn, sizeof(out->arn), "%s", ACM_PRINCIPAL);
		snprintf(out->source_account, sizeof(out->source_account), "%s", c->account_id);
		return 0;
	}
	r = store_iam_role_get(st, c->account_id, ACM_SLR_NAME, &role);
	if (r == 0 && (role.path == NULL || strcmp(role.path, ACM_SLR_PATH) != 0))
		r = PCA_ERR_NOT_FOUND;	/* a customer's role of that name is not it */
	store_iam_role_clear(&role);
	if (r == PCA_ERR_NOT_FOUND) {
		snprintf(why, whylen, "Account %s has no service-linked role %s%s for the "
		    "certificate authority of account %s.", c->account_id, ACM_SLR_PATH,
		    ACM_SLR_NAME, ca_account);
		return r;
	}
	if (r != 0)
		return r;
	out->kind = CALLER_ROLE_SESSION;
	snprintf(out->name, sizeof(out->name), "%s", ACM_SLR_NAME);
	snprintf(out->session_name, sizeof(out->session_name), "%s", ACM_RENEWAL_SESSION);
	snprintf(out->arn, sizeof(out->arn), "arn:aws:sts::%s:assumed-role/%s/%s",
	    c->account_id, ACM_SLR_NAME, ACM_RENEWAL_SESSION);
	return 0;
}

int
acm_renew_one(struct fe_worker *w, const char *cert_id, int on_demand, int *reason)
{
	struct store *st = w->fe->store;
	struct store_acm_cert c;
	struct caller caller;
	struct op_ctx sub;
	struct arn ca;
	EVP_PKEY *key = NULL;
	const char *alg;
	char *cert_pem = NULL, *chain_pem = NULL, ca_id[37], why[512], serial[ACM_SERIAL_MAX];
	int64_t now = clock_now();
	int prev_status, prev_reason, fr = 0, r, rc;

	*reason = 0;
	why[0] = '\0';
	if ((r = store_acm_cert_get(st, cert_id, &c)) != 0)
		return r;
	if (!acm_cert_eligible(&c, now) || c.serial == NULL) {
		rc = PCA_ERR_INVALID;
		goto out;
	}
	if ((!on_demand && c.next_attempt_at > now) ||
	    (c.renewal_status == ACM_RENEWAL(PENDING_AUTO_RENEWAL) &&
	    c.renewal_updated_at > now - ACM_RENEW_CLAIM_TTL)) {
		rc = PCA_ERR_STATE;
		goto out;
	}
	/* claim it: a concurrent renewer's claim or any change since the read
	 * makes this one give way */
	prev_status = c.renewal_status;
	prev_reason = c.renewal_reason;
	c.renewal_status = ACM_RENEWAL(PENDING_AUTO_RENEWAL);
	c.renewal_reason = 0;
	c.renewal_updated_at = now;
	c.next_attempt_at = now + ACM_RENEW_CLAIM_TTL;
	if ((rc = store_acm_cert_update(st, &c)) != 0)
		goto out;
	snprintf(serial, sizeof(serial), "%s", c.serial);

	if (arn_parse_ca(c.ca_arn, &ca, ca_id) != 0) {
		fr = ACM_REASON(PCA_INVALID_ARN);
		snprintf(why, sizeof(why), "The certificate authority ARN is not valid.");
		goto failed;
	}
	if ((r = renewal_caller(st, &c, ca.account, &caller, why, sizeof(why))) != 0) {
		if (r != PCA_ERR_NOT_FOUND)
			goto transient;
		fr = ACM_REASON(SLR_NOT_FOUND);
		goto failed;
	}
	if ((alg = acm_key_algorithm_name(c.key_algorithm)) == NULL ||
	    acm_key_generate(alg, &key) != 0) {
		snprintf(why, sizeof(why), "no key pair of algorithm %s", alg != NULL ? alg : "?");
		goto transient;
	}
	acm_sub_ctx(&sub, w, &caller);
	if (acm_pca_issue(&sub, c.ca_arn, key, c.domain_name, (const char *const *)c.sans,
	    c.nsans, caller.kind == CALLER_SERVICE, &cert_pem, &chain_pem) != 0) {
		snprintf(why, sizeof(why), "%s: %.400s", api_exc_name(sub.exc), sub.msg);
		if (acm_exc_transient(sub.exc))
			goto transient;
		fr = acm_failure_reason(w->fe, c.ca_arn, sub.exc);
		goto failed;
	}
	/* the new certificate and key replace the old ones */
	r = acm_cert_set_issued(&c, cert_pem, chain_pem);
	cert_pem = chain_pem = NULL;
	if (r != 0) {
		snprintf(why, sizeof(why), "the issued certificate does not parse");
		goto transient;
	}
	if (acm_key_protect(w, key, &c, why, sizeof(why)) != 0)
		goto transient;
	EVP_PKEY_free(key);
	key = NULL;
	c.issued_at = now;
	c.exported_since_issue = 0;
	c.renewal_status = ACM_RENEWAL(SUCCESS);
	c.renewal_reason = 0;
	c.renewal_updated_at = now;
	c.renewal_attempts = 0;
	c.next_attempt_at = 0;
	if ((rc = renew_store(st, &c, serial)) != 0) {
		log_error_fr(rc, "certificate %s: renewed by the CA as %s, but not stored",
		    c.arn, c.serial);
		goto out;
	}
	event_append(st, &c, ACM_RENEWAL(SUCCESS), 0, "renewed", c.serial);
	log_info("certificate %s renewed%s: serial %s, not after %lld", c.arn,
	    on_demand ? " on demand" : "", c.serial, (long long)c.not_after);
	rc = 0;
	goto out;

 failed:
	c.renewal_status = ACM_RENEWAL(FAILED);
	c.renewal_reason = fr;
	c.renewal_updated_at = now;
	c.renewal_attempts++;
	c.next_attempt_at = now + backoff(c.renewal_attempts);
	if ((rc = renew_store(st, &c, serial)) != 0) {
		log_error_fr(rc, "certificate %s: could not record a failed renewal", c.arn);
		goto out;
	}
	event_append(st, &c, ACM_RENEWAL(FAILED), fr, why, NULL);
	log_info("certificate %s: renewal failed (%s, attempt %d, next in %llds): %s", c.arn,
	    enum_wire(&pca__api__acm__failure_reason__descriptor, fr), c.renewal_attempts,
	    (long long)(c.next_attempt_at - now), why);
	*reason = fr;
	rc = 0;
	goto out;

 transient:
	/* nothing the owner must act on: back as it was, retried soon */
	c.renewal_status = prev_status;
	c.renewal_reason = prev_reason;
	c.next_attempt_at = now + ACM_RENEW_RETRY_SOON;
	if ((rc = renew_store(st, &c, serial)) != 0)
		log_error_fr(rc, "certificate %s: could not release the renewal claim", c.arn);
	log_warn("certificate %s: renewal postponed: %s", c.arn, why);
	rc = PCA_ERR_UNAVAILABLE;
 out:
	EVP_PKEY_free(key);
	free(cert_pem);
	free(chain_pem);
	store_acm_cert_clear(&c);
	return rc;
}

int
acm_renew_sweep(struct fe_worker *w, size_t max, int *renewed, int *failed)
{
	struct store_acm_cert *list = NULL;
	char account[STORE_ACCOUNT_ID_LEN + 1] = "";
	int64_t now, window = 0;
	size_t n = 0, attempts = 0, progress;
	int r, reason;

	*renewed = *failed = 0;
	do {
		now = clock_now();
		r = store_acm_cert_list_due(w->fe->store, now, (int64_t)ACM_WINDOW_MAX_DAYS * 86400,
		    SWEEP_BATCH, &list, &n);
		if (r != 0)
			return r;
		progress = 0;
		for (size_t i = 0; i < n && attempts < max; i++) {
			if (strcmp(account, list[i].account_id) != 0) {
				snprintf(account, sizeof(account), "%s", list[i].account_id);
				window = acm_renewal_window(w->fe, account);
			}
			if (list[i].not_after - window > now)
				continue;	/* not in its account's window yet */
			attempts++;
			r = acm_renew_one(w, list[i].id, 0, &reason);
			if (r == 0) {
				progress++;
				if (reason == 0)
					(*renewed)++;
				else
					(*failed)++;
			} else if (r == PCA_ERR_UNAVAILABLE) {
				progress++;	/* postponed: it left the due list */
			} else if (r != PCA_ERR_STATE && r != PCA_ERR_INVALID &&
			    r != PCA_ERR_NOT_FOUND) {
				log_error_fr(r, "renewal of certificate %s", list[i].id);
			}
		}
		store_acm_cert_list_free(list, n);
		list = NULL;
	} while (progress > 0 && n == SWEEP_BATCH && attempts < max);
	if (*renewed + *failed > 0)
		log_info("renewal sweep: %d renewed, %d failed", *renewed, *failed);
	return 0;
}
