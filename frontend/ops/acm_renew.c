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

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>

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

/* A new IdempotencyToken: 32 hex digits (IssueCertificate takes 36 at most). */
static int
token_new(char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[16];

	if (len < 2 * sizeof(b) + 1 || RAND_bytes(b, sizeof(b)) != 1) {
		ERR_clear_error();
		return PCA_ERR_CRYPTO;
	}
	for (size_t i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * sizeof(b)] = '\0';
	return 0;
}

/*
 * The key pair and IdempotencyToken of c's renewal: those of an earlier
 * attempt to replace the same serial (interrupted, or failed after the CA
 * may have issued), else new ones, made durable (the key sealed as a
 * certificate's) before the CA is asked. 0 with *key and token; else why.
 */
static int
renew_intent(struct fe_worker *w, const struct store_acm_cert *c, EVP_PKEY **key,
    char token[STORE_ACM_TOKEN_MAX + 1], char *why, size_t whylen)
{
	struct store *st = w->fe->store;
	struct store_acm_renew_intent in;
	struct store_acm_cert sealed;
	const char *alg;
	int r;

	*key = NULL;
	memset(&sealed, 0, sizeof(sealed));
	sealed.arn = c->arn;		/* the seal's associated data */
	r = store_acm_intent_get(st, c->id, &in);
	if (r == 0 && strcmp(in.for_serial, c->serial) == 0) {
		sealed.key_ciphertext = in.key_ciphertext;
		sealed.key_ciphertext_len = in.key_ciphertext_len;
		memcpy(sealed.key_iv, in.key_iv, sizeof(sealed.key_iv));
		memcpy(sealed.key_tag, in.key_tag, sizeof(sealed.key_tag));
		sealed.wrapped_data_key = in.wrapped_data_key;
		sealed.wrapped_data_key_len = in.wrapped_data_key_len;
		r = acm_key_unprotect(w, &sealed, key, why, whylen);
		if (r == 0)
			snprintf(token, STORE_ACM_TOKEN_MAX + 1, "%s", in.token);
		store_acm_intent_clear(&in);
		if (r == 0) {
			log_info("certificate %s: renewal resumed (token %s)", c->arn, token);
			return 0;
		}
		/* the signer away: later; a seal that does not open: start over */
		if (r != PCA_ERR_BAD_SIGNATURE && r != PCA_ERR_CRYPTO && r != PCA_ERR_MALFORMED)
			return r;
		log_warn("certificate %s: the renewal in flight does not open (%s): a new key",
		    c->arn, why);
		r = PCA_ERR_NOT_FOUND;
	}
	store_acm_intent_clear(&in);
	if (r != 0 && r != PCA_ERR_NOT_FOUND) {
		snprintf(why, whylen, "the renewal in flight cannot be read");
		return r;
	}
	memset(&sealed, 0, sizeof(sealed));
	sealed.arn = c->arn;
	if ((alg = acm_key_algorithm_name(c->key_algorithm)) == NULL ||
	    acm_key_generate(alg, key) != 0) {
		snprintf(why, whylen, "no key pair of algorithm %s", alg != NULL ? alg : "?");
		return PCA_ERR_CRYPTO;
	}
	if ((r = token_new(token, STORE_ACM_TOKEN_MAX + 1)) != 0) {
		snprintf(why, whylen, "no random token");
		goto out;
	}
	if ((r = acm_key_protect(w, *key, &sealed, why, whylen)) != 0)
		goto out;
	memset(&in, 0, sizeof(in));
	snprintf(in.cert_id, sizeof(in.cert_id), "%s", c->id);
	in.for_serial = c->serial;
	snprintf(in.token, sizeof(in.token), "%s", token);
	in.key_ciphertext = sealed.key_ciphertext;
	in.key_ciphertext_len = sealed.key_ciphertext_len;
	memcpy(in.key_iv, sealed.key_iv, sizeof(in.key_iv));
	memcpy(in.key_tag, sealed.key_tag, sizeof(in.key_tag));
	in.wrapped_data_key = sealed.wrapped_data_key;
	in.wrapped_data_key_len = sealed.wrapped_data_key_len;
	in.created_at = clock_now();
	if ((r = store_acm_intent_put(st, &in)) != 0)
		snprintf(why, whylen, "the renewal in flight cannot be recorded");
 out:
	free(sealed.key_ciphertext);
	free(sealed.wrapped_data_key);
	if (r != 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	return r;
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
	char *cert_pem = NULL, *chain_pem = NULL, ca_id[37], why[512], serial[ACM_SERIAL_MAX];
	char token[STORE_ACM_TOKEN_MAX + 1];
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
	if (renew_intent(w, &c, &key, token, why, sizeof(why)) != 0)
		goto transient;
	acm_sub_ctx(&sub, w, &caller);
	if (acm_pca_issue(&sub, c.ca_arn, key, c.domain_name, (const char *const *)c.sans,
	    c.nsans, caller.kind == CALLER_SERVICE, token, &cert_pem, &chain_pem) != 0) {
		snprintf(why, sizeof(why), "%s: %.400s", api_exc_name(sub.exc), sub.msg);
		if (acm_exc_transient(sub.exc))
			goto transient;
		fr = acm_failure_reason(w->fe, c.ca_arn, sub.exc);
		/* the CA refused to sign: the next attempt starts over; any
		 * other failure may follow an issuance (GetCertificate denied)
		 * and keeps the key and token, to fetch that certificate */
		if (sub.exc == EXC_REQUEST_FAILED && store_acm_intent_delete(st, c.id) != 0)
			log_error("certificate %s: could not drop the renewal in flight", c.arn);
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
	/* done: an intent left behind is for the old serial, so stale anyway */
	if (store_acm_intent_delete(st, c.id) != 0)
		log_error("certificate %s: could not drop the finished renewal", c.arn);
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

/*
 * A sweep's shared state: the current batch of due certificates, handed
 * out one at a time to the sweep's threads. A new batch is read only when
 * every attempt of the previous one has finished, from after the last row
 * of the previous one (cursor), so certificates that are not due in their
 * account's (shorter) window, or that another renewer holds, are passed
 * over once; the sweep ends with a short batch or max attempts.
 */
struct sweep {
	struct frontend		*fe;
	pthread_mutex_t		 mu;
	pthread_cond_t		 idle;		/* inflight reached 0 */
	struct store_acm_cert	*list;
	size_t			 n, next, inflight, attempts, max;
	int64_t			 cursor_not_after;	/* the last row read */
	char			 cursor_id[STORE_ACM_ID_LEN + 1];
	int			 done, err;
	int			 renewed, failed;
	char			 account[STORE_ACCOUNT_ID_LEN + 1];
	int64_t			 window;		/* of account */
};

/* Under s->mu: the next certificate to attempt into id, or 0 when the sweep
 * is over. */
static int
sweep_take(struct sweep *s, char *id, size_t idlen)
{
	int64_t now;
	int r;

	for (;;) {
		if (s->done)
			return 0;
		while (s->next < s->n && s->attempts < s->max) {
			struct store_acm_cert *c = &s->list[s->next++];
			if (strcmp(s->account, c->account_id) != 0) {
				snprintf(s->account, sizeof(s->account), "%s", c->account_id);
				s->window = acm_renewal_window(s->fe, s->account);
			}
			if (c->not_after - s->window > clock_now())
				continue;	/* not in its account's window yet */
			snprintf(id, idlen, "%s", c->id);
			s->attempts++;
			s->inflight++;
			return 1;
		}
		if (s->inflight > 0) {
			pthread_cond_wait(&s->idle, &s->mu);
			continue;
		}
		/* the batch is finished: another, unless it was the last */
		if (s->n < SWEEP_BATCH || s->attempts >= s->max) {
			s->done = 1;
			break;
		}
		s->cursor_not_after = s->list[s->n - 1].not_after;
		snprintf(s->cursor_id, sizeof(s->cursor_id), "%s", s->list[s->n - 1].id);
		store_acm_cert_list_free(s->list, s->n);
		s->list = NULL;
		s->n = s->next = 0;
		now = clock_now();
		r = store_acm_cert_list_due(s->fe->store, now, (int64_t)ACM_WINDOW_MAX_DAYS * 86400,
		    s->cursor_not_after, s->cursor_id, SWEEP_BATCH, &s->list, &s->n);
		if (r != 0) {
			s->err = r;
			s->done = 1;
			break;
		}
		if (s->n == 0)
			s->done = 1;
	}
	pthread_cond_broadcast(&s->idle);
	return 0;
}

/* Under s->mu: count the outcome r (reason) of one attempt. */
static void
sweep_count(struct sweep *s, const char *id, int r, int reason)
{
	if (r == 0) {
		if (reason == 0)
			s->renewed++;
		else
			s->failed++;
	} else if (r == PCA_ERR_UNAVAILABLE) {
		;		/* postponed: retried in ACM_RENEW_RETRY_SOON */
	} else if (r != PCA_ERR_STATE && r != PCA_ERR_INVALID && r != PCA_ERR_NOT_FOUND) {
		log_error_fr(r, "renewal of certificate %s", id);
	}
	if (--s->inflight == 0)
		pthread_cond_broadcast(&s->idle);
}

static void
sweep_run(struct sweep *s, struct fe_worker *w)
{
	char id[64];
	int r, reason;

	pthread_mutex_lock(&s->mu);
	while (sweep_take(s, id, sizeof(id))) {
		pthread_mutex_unlock(&s->mu);
		r = acm_renew_one(w, id, 0, &reason);
		pthread_mutex_lock(&s->mu);
		sweep_count(s, id, r, reason);
	}
	pthread_mutex_unlock(&s->mu);
}

struct sweep_thread {
	struct sweep	*s;
	struct fe_worker w;
	pthread_t	 t;
	int		 started;
};

static void *
sweep_thread_main(void *arg)
{
	struct sweep_thread *t = arg;

	sweep_run(t->s, &t->w);
	return NULL;
}

int
acm_renew_sweep(struct fe_worker *w, size_t max, int *renewed, int *failed)
{
	struct sweep s;
	struct sweep_thread *extra = NULL;
	size_t nextra = 0;

	*renewed = *failed = 0;
	memset(&s, 0, sizeof(s));
	s.fe = w->fe;
	s.max = max;
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.idle, NULL);

	/* the first batch decides whether more threads are worth starting */
	pthread_mutex_lock(&s.mu);
	s.err = store_acm_cert_list_due(w->fe->store, clock_now(),
	    (int64_t)ACM_WINDOW_MAX_DAYS * 86400, 0, NULL, SWEEP_BATCH, &s.list, &s.n);
	if (s.err != 0 || s.n == 0)
		s.done = 1;
	pthread_mutex_unlock(&s.mu);

	if (!s.done && w->fe->cfg.renew_workers > 1 && s.n > 1) {
		nextra = (size_t)w->fe->cfg.renew_workers - 1;
		if (nextra > s.n - 1)
			nextra = s.n - 1;
		if ((extra = calloc(nextra, sizeof(*extra))) == NULL)
			nextra = 0;
	}
	for (size_t i = 0; i < nextra; i++) {
		extra[i].s = &s;
		if (fe_worker_init(&extra[i].w, w->fe) != 0)
			continue;	/* fewer threads, same sweep */
		if (pthread_create(&extra[i].t, NULL, sweep_thread_main, &extra[i]) != 0) {
			fe_worker_clear(&extra[i].w);
			continue;
		}
		extra[i].started = 1;
	}
	sweep_run(&s, w);
	for (size_t i = 0; i < nextra; i++) {
		if (!extra[i].started)
			continue;
		pthread_join(extra[i].t, NULL);
		fe_worker_clear(&extra[i].w);
	}
	free(extra);
	store_acm_cert_list_free(s.list, s.n);
	pthread_cond_destroy(&s.idle);
	pthread_mutex_destroy(&s.mu);
	*renewed = s.renewed;
	*failed = s.failed;
	if (s.renewed + s.failed > 0)
		log_info("renewal sweep: %d renewed, %d failed", s.renewed, s.failed);
	return s.err;
}
