#include "scheduler.h"
#include "acm_renew.h"
#include "acmpca.h"
#include "clock.h"
#include "log.h"
#include "signer_client.h"
#include "store.h"
#include "store_iam.h"
#include "wire.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SWEEP_BATCH	256

/* The scheduler's state: one background thread, passes serialized. */
static struct {
	pthread_mutex_t	 pass;		/* held for the duration of a pass */
	pthread_mutex_t	 mu;
	pthread_cond_t	 wake;
	pthread_t	 thread;
	int		 running;
	int		 stop;
	struct frontend	*fe;
} gl_sched = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	0, 0, 0, NULL,
};

int cert_complete(struct fe_worker *w, const char *ca_id, const char *serial,
    const uint8_t *sreq, size_t sreq_len, char *why, size_t whylen);

static int
sweep_pending_certs(struct fe_worker *w)
{
	struct store_cert *certs = NULL;
	size_t n = 0;
	char why[256];
	int done = 0;

	if (store_cert_list_pending(w->fe->store, SWEEP_BATCH, &certs, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		Pca__Signer__SignCertRequest *s = pca__signer__sign_cert_request__unpack(NULL,
		    certs[i].request_len, certs[i].request);
		int r;
		if (s == NULL) {
			log_error("CA %s serial %s: recorded request does not decode",
			    certs[i].ca_id, certs[i].serial);
			if (store_cert_fail(w->fe->store, certs[i].ca_id, certs[i].serial,
			    "recorded request does not decode") != 0)
				log_error("could not record the failure");
			continue;
		}
		/* decoded only to be sure it still does; sent as recorded */
		pca__signer__sign_cert_request__free_unpacked(s, NULL);
		r = cert_complete(w, certs[i].ca_id, certs[i].serial, certs[i].request,
		    certs[i].request_len, why, sizeof(why));
		if (r == 0) {
			log_info("CA %s serial %s: completed a pending issuance",
			    certs[i].ca_id, certs[i].serial);
			done++;
		} else if (r == PCA_ERR_UNAVAILABLE) {
			break;		/* the signer is away; next pass */
		}
	}
	store_cert_list_free(certs, n);
	return done;
}

static int
sweep_creating_cas(struct fe_worker *w)
{
	struct store_ca *cas = NULL;
	size_t n = 0;
	char why[256];
	int done = 0;

	if (store_ca_list_by_status(w->fe->store, CA_STATUS(CREATING), SWEEP_BATCH, &cas, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int r = ca_provision(w, &cas[i], why, sizeof(why));
		if (r == 0) {
			log_info("CA %s: key pair and CSR ready", cas[i].id);
			done++;
		} else if (r == PCA_ERR_UNAVAILABLE) {
			break;
		}
	}
	store_ca_list_free(cas, n);
	return done;
}

static int
sweep_expired_cas(struct fe_worker *w)
{
	static const int from[] = { CA_STATUS(ACTIVE), CA_STATUS(DISABLED) };
	int64_t now = clock_now();
	int done = 0;

	for (size_t k = 0; k < 2; k++) {
		struct store_ca *cas = NULL;
		size_t n = 0;
		if (store_ca_list_by_status(w->fe->store, from[k], SWEEP_BATCH, &cas, &n) != 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (cas[i].not_after == 0 || cas[i].not_after > now)
				continue;
			cas[i].status = CA_STATUS(EXPIRED);
			cas[i].last_state_change_at = now;
			if (store_ca_update(w->fe->store, &cas[i]) == 0) {
				log_info("CA %s: certificate expired", cas[i].id);
				done++;
			}
		}
		store_ca_list_free(cas, n);
	}
	return done;
}

static int
sweep_purge(struct fe_worker *w)
{
	struct store_ca *cas = NULL;
	size_t n = 0;
	uint8_t kid[16];
	char why[256];
	int done = 0, r;

	if (store_ca_list_purgeable(w->fe->store, clock_now(), SWEEP_BATCH, &cas, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (ca_key_id(&cas[i], kid) != 0)
			continue;
		/* the key goes first: a CA row without a key is harmless, a
		 * key without its CA row would be forgotten in the token */
		r = signer_client_destroy_key(w->signer, kid, why, sizeof(why));
		if (r != 0 && r != PCA_ERR_NOT_FOUND) {
			log_warn_fr(r, "CA %s: key not destroyed yet: %s", cas[i].id, why);
			if (r == PCA_ERR_UNAVAILABLE)
				break;
			continue;
		}
		if ((r = store_ca_purge(w->fe->store, cas[i].id)) != 0) {
			log_error_fr(r, "CA %s: purge", cas[i].id);
			continue;
		}
		log_info("CA %s deleted permanently; its key is destroyed", cas[i].id);
		done++;
	}
	store_ca_list_free(cas, n);
	return done;
}

/*
 * Temporary credentials are kept a day past their expiry, so that a client
 * still using them hears ExpiredTokenException rather than an unknown key;
 * then they go.
 */
#define SESSION_KEEP_EXPIRED	86400
#define RENEW_PER_SWEEP		20000	/* renewal attempts in one sweep */

static void
sweep_sessions(struct fe_worker *w)
{
	int r;

	if ((r = store_session_expire(w->fe->store, clock_now() - SESSION_KEEP_EXPIRED)) != 0)
		log_error_fr(r, "sweep: remove expired sessions");
}

int
sched_sweep(struct fe_worker *w, struct sched_result *res)
{
	memset(res, 0, sizeof(*res));
	pthread_mutex_lock(&gl_sched.pass);
	res->completed_certs = sweep_pending_certs(w);
	res->completed_cas = sweep_creating_cas(w);
	res->expired_cas = sweep_expired_cas(w);
	res->purged_cas = sweep_purge(w);
	sweep_sessions(w);
	if (acm_renew_sweep(w, RENEW_PER_SWEEP, &res->renewed_certs, &res->failed_renewals) != 0)
		log_error("sweep: managed renewals did not run to the end");
	pthread_mutex_unlock(&gl_sched.pass);
	return 0;
}

static void *
sched_main(void *arg)
{
	struct fe_worker w;
	struct sched_result res;
	struct timespec ts;

	(void)arg;
	if (fe_worker_init(&w, gl_sched.fe) != 0) {
		log_error("scheduler: no signer connection");
		return NULL;
	}
	pthread_mutex_lock(&gl_sched.mu);
	while (!gl_sched.stop) {
		pthread_mutex_unlock(&gl_sched.mu);
		if (clock_is_test()) {
			/* a test clock's sweeps run when RunScheduler asks, never on
			 * their own in the middle of a test's steps */
		} else if (sched_sweep(&w, &res) == 0 && (res.completed_certs || res.completed_cas ||
		    res.purged_cas || res.expired_cas || res.renewed_certs || res.failed_renewals))
			log_info("sweep: %d certificates and %d CAs completed, %d CAs expired, "
			    "%d purged, %d managed certificates renewed, %d renewals failed",
			    res.completed_certs, res.completed_cas, res.expired_cas, res.purged_cas,
			    res.renewed_certs, res.failed_renewals);
		pthread_mutex_lock(&gl_sched.mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)gl_sched.fe->cfg.sweep_interval_s;
		if (!gl_sched.stop)
			pthread_cond_timedwait(&gl_sched.wake, &gl_sched.mu, &ts);
	}
	pthread_mutex_unlock(&gl_sched.mu);
	fe_worker_clear(&w);
	return NULL;
}

int
sched_start(struct frontend *fe)
{
	gl_sched.fe = fe;
	gl_sched.stop = 0;
	if (pthread_create(&gl_sched.thread, NULL, sched_main, NULL) != 0)
		return PCA_ERR_INTERNAL;
	gl_sched.running = 1;
	return 0;
}

void
sched_stop(void)
{
	if (!gl_sched.running)
		return;
	pthread_mutex_lock(&gl_sched.mu);
	gl_sched.stop = 1;
	pthread_cond_broadcast(&gl_sched.wake);
	pthread_mutex_unlock(&gl_sched.mu);
	pthread_join(gl_sched.thread, NULL);
	gl_sched.running = 0;
}
