#include "validity.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Latest time we accept anywhere: 9999-12-31T23:59:59Z (GeneralizedTime). */
#define TIME_MAX	253402300799LL

static int
add_calendar(int64_t now, int64_t months, int64_t *out)
{
	struct tm tm;
	time_t t = (time_t)now;
	int64_t y, m;

	if (months > 12LL * 8000)
		return PCA_ERR_INVALID;
	gmtime_r(&t, &tm);
	m = tm.tm_mon + months;
	y = tm.tm_year + m / 12;
	tm.tm_mon = (int)(m % 12);
	tm.tm_year = (int)y;
	*out = (int64_t)timegm(&tm);	/* normalizes e.g. Feb 30 to Mar 2 */
	return 0;
}

static int
end_date(int64_t v, int64_t *out)
{
	char s[32];
	struct tm tm;
	size_t n;
	int year, i;

	n = (size_t)snprintf(s, sizeof(s), "%lld", (long long)v);
	if (n != 12 && n != 14)
		return PCA_ERR_INVALID;
	memset(&tm, 0, sizeof(tm));
	i = 0;
	if (n == 12) {
		year = (s[0] - '0') * 10 + (s[1] - '0');
		year += year >= 50 ? 1900 : 2000;
		i = 2;
	} else {
		year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		i = 4;
	}
#define TWO(k) ((s[i + (k)] - '0') * 10 + (s[i + (k) + 1] - '0'))
	tm.tm_year = year - 1900;
	tm.tm_mon = TWO(0) - 1;
	tm.tm_mday = TWO(2);
	tm.tm_hour = TWO(4);
	tm.tm_min = TWO(6);
	tm.tm_sec = TWO(8);
#undef TWO
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return PCA_ERR_INVALID;
	{
		struct tm check = tm;
		*out = (int64_t)timegm(&check);
		/* refuse dates timegm had to normalize (e.g. 31 April) */
		if (check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon)
			return PCA_ERR_INVALID;
	}
	return 0;
}

static int
point_in_time(const Pca__Api__AcmPca__Validity *v, int64_t now, int64_t *out,
    char *why, size_t whylen)
{
	int64_t val = v->value;

	if (val < 1) {
		snprintf(why, whylen, "Validity Value must be at least 1");
		return PCA_ERR_INVALID;
	}
	switch (v->type) {
	case PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_DAYS:
		if (val > 3660000) goto range;
		*out = now + val * 86400;
		return 0;
	case PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_MONTHS:
		if (add_calendar(now, val, out) != 0) goto range;
		return 0;
	case PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_YEARS:
		if (val > 8000 || add_calendar(now, val * 12, out) != 0) goto range;
		return 0;
	case PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_ABSOLUTE:
		if (val > TIME_MAX) goto range;
		*out = val;
		return 0;
	case PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_END_DATE:
		if (end_date(val, out) != 0) {
			snprintf(why, whylen, "END_DATE %lld is not a date in the form "
			    "YYMMDDHHMMSS or YYYYMMDDHHMMSS", (long long)val);
			return PCA_ERR_INVALID;
		}
		return 0;
	default:
		snprintf(why, whylen, "unknown Validity Type");
		return PCA_ERR_INVALID;
	}
 range:
	snprintf(why, whylen, "Validity Value %lld is out of range", (long long)val);
	return PCA_ERR_INVALID;
}

int
validity_compute(const Pca__Api__AcmPca__Validity *v, const Pca__Api__AcmPca__Validity *vnb,
    int64_t now, int64_t *nb, int64_t *na, char *why, size_t whylen)
{
	int r;

	if ((r = point_in_time(v, now, na, why, whylen)) != 0)
		return r;
	*nb = now - VALIDITY_BACKDATE;
	if (vnb != NULL) {
		if (vnb->type != PCA__API__ACM_PCA__VALIDITY_PERIOD_TYPE__ValidityPeriodType_ABSOLUTE) {
			snprintf(why, whylen, "ValidityNotBefore must be of Type ABSOLUTE");
			return PCA_ERR_INVALID;
		}
		if ((r = point_in_time(vnb, now, nb, why, whylen)) != 0)
			return r;
	}
	if (*na <= *nb) {
		snprintf(why, whylen, "the certificate would end before it begins");
		return PCA_ERR_INVALID;
	}
	if (*na <= now) {
		snprintf(why, whylen, "the validity period ends in the past");
		return PCA_ERR_INVALID;
	}
	return 0;
}
