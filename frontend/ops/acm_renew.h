/*
 * acm_renew.h - managed renewal of private certificates (API.md 4.4),
 * shared by RenewCertificate and the scheduler.
 *
 * A renewal issues a new certificate, with a new key pair of the same
 * algorithm, from the same CA through acm-pca (acm_pca_issue()), acting
 * as the managed-certificate service:
 *   - CA of the certificate's own account: as the service principal
 *     acm.amazonaws.com for that account (aws:SourceAccount), so only the
 *     CA's permission for it (CreatePermission with IssueCertificate,
 *     GetCertificate and ListPermissions; ListPermissions is called first)
 *     or its resource policy can allow it;
 *   - CA of another account: as a session of the certificate account's
 *     service-linked role AWSServiceRoleForCertificateManager (its policy
 *     CertificateManagerServiceRolePolicy, and the CA's policy or share);
 *     without the role, the renewal fails with SLR_NOT_FOUND.
 * The certificate keeps its ARN; on success its serial, validity, key and
 * chain change, RenewalStatus becomes SUCCESS and it must be exported again
 * to be eligible again. On failure the old certificate stays, RenewalStatus
 * becomes FAILED with the reason, and the next automatic attempt waits
 * 1, 2, 4, ... hours after the 1st, 2nd, 3rd failure in a row (at most 24;
 * min(2^earlier failures, 24) hours). Every outcome is a renewal event
 * (store_renewal_event_append()) and a log line.
 *
 * Two renewers never both renew one certificate: an attempt first claims
 * it (RenewalStatus PENDING_AUTO_RENEWAL) with the store's version check,
 * and a claim younger than ACM_RENEW_CLAIM_TTL is respected by the others.
 * A claim left by a stopped frontend expires and is taken over.
 *
 * Nor does the CA issue twice for one renewal: before it is asked, the new
 * key (sealed) and the IssueCertificate IdempotencyToken are stored as the
 * renewal in flight (store_acm_intent_put()); an attempt that finds one
 * for the same serial, after a crash or a failure that may have followed
 * the issuance (GetCertificate denied), reuses both, and acm_pca_issue()
 * fetches the certificate the token already got. It is dropped on success
 * and when the CA refused to sign (RequestFailed).
 */
#ifndef PCA_OPS_ACM_RENEW_H
#define PCA_OPS_ACM_RENEW_H

#include <stddef.h>

#include "err.h"
#include "frontend.h"

#define ACM_RENEW_CLAIM_TTL	600		/* seconds a claim holds */
#define ACM_RENEW_RETRY_SOON	900		/* after a transient failure */
#define ACM_RENEW_BACKOFF_MAX	(24 * 3600)

/*
 * One renewal attempt of certificate cert_id. on_demand (RenewCertificate)
 * ignores the back-off time. Returns:
 *   0                    the attempt ran and was recorded: *reason is 0 on
 *                        success, else the FailureReason recorded;
 *   PCA_ERR_NOT_FOUND    no such certificate;
 *   PCA_ERR_INVALID      not eligible for renewal (nothing recorded);
 *   PCA_ERR_STATE        another renewer holds it, or it is not due yet;
 *   PCA_ERR_UNAVAILABLE  the signer or the store was away: nothing
 *                        recorded but a retry in ACM_RENEW_RETRY_SOON;
 *   another code         the store failed.
 */
int acm_renew_one(struct fe_worker *w, const char *cert_id, int on_demand, int *reason)
    PCA_MUST_CHECK;

/*
 * Renew what is due: every eligible certificate whose NotAfter is within
 * its account's window (DaysBeforeExpiry, default 60 days) and whose
 * back-off has passed, at most max attempts, on the frontend's
 * renew-workers threads (w's and renew-workers - 1 more, each with its own
 * signer connection; the claim in acm_renew_one() keeps them apart).
 * Counts outcomes; returns 0 or the store's error. The store is read in
 * batches by NotAfter with the longest window any account may have, each
 * from after the previous batch's last row; a certificate outside its own
 * account's window is passed over in memory.
 */
int acm_renew_sweep(struct fe_worker *w, size_t max, int *renewed, int *failed)
    PCA_MUST_CHECK;

#endif
