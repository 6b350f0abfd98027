/*
 * validity.h - the acm-pca Validity shape -> notBefore/notAfter.
 *
 *   DAYS, MONTHS, YEARS   relative to issuance (calendar months and years)
 *   ABSOLUTE              seconds since the epoch
 *   END_DATE              YYMMDDHHMMSS (UTCTime; YY >= 50 is 19YY) or
 *                         YYYYMMDDHHMMSS (GeneralizedTime), UTC
 * notBefore defaults to issuance - 60 minutes (AWS's backdating for clock
 * skew); ValidityNotBefore (ABSOLUTE only) replaces it and does not move
 * notAfter.
 */
#ifndef PCA_VALIDITY_H
#define PCA_VALIDITY_H

#include <stddef.h>
#include <stdint.h>

#include "acm_pca.pb-c.h"
#include "err.h"

#define VALIDITY_BACKDATE	3600

/* PCA_ERR_INVALID with why when the shape does not describe a time, or
 * notAfter is not after notBefore. */
int validity_compute(const Pca__Api__AcmPca__Validity *v,
    const Pca__Api__AcmPca__Validity *not_before, int64_t now,
    int64_t *nb, int64_t *na, char *why, size_t whylen) PCA_MUST_CHECK;

#endif
