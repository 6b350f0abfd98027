/*
 * scheduler.h - the frontend's scheduled sweeps.
 *
 * One pass (sched_sweep) does, in order:
 *   - finish certificates a stopped frontend left PENDING (re-send the
 *     recorded sign request; the signer answers idempotently);
 *   - finish CAs left CREATING (key pair and CSR);
 *   - purge DELETED CAs whose restore window has ended: destroy the key pair
 *     in the token, then remove the CA and its certificates.
 *   - renew the managed certificates that are due (acm_renew_sweep()).
 * A background thread runs a pass at start and every sweep-interval seconds;
 * with a test clock it runs none, and RunScheduler runs one at once, so a
 * test decides when time-driven work happens. Passes never overlap.
 */
#ifndef PCA_SCHEDULER_H
#define PCA_SCHEDULER_H

#include "err.h"
#include "frontend.h"

struct sched_result {
	int	completed_certs;
	int	completed_cas;
	int	purged_cas;
	int	expired_cas;
	int	renewed_certs;		/* managed certificates renewed */
	int	failed_renewals;	/* renewal attempts that failed (recorded) */
};

int sched_sweep(struct fe_worker *w, struct sched_result *res) PCA_MUST_CHECK;
int sched_start(struct frontend *fe) PCA_MUST_CHECK;
/* Stop the background thread (after wire_term()). */
void sched_stop(void);

#endif
