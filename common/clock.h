/*
 * clock.h - the one place hsmca reads time.
 *
 * clock_now() is the service clock: certificate validity, CA expiry,
 * restore windows, renewals, credential expiry and CRLs use it. A test clock
 * (enabled once at start, only when the operator asks for it) lets tests
 * move it forward without sleeping.
 *
 * clock_real() is the wall clock, never moved: the +-5 minute window of
 * request signatures uses it, so clients keep working while tests move the
 * service clock.
 *
 * THREAD SAFETY: all functions may be called from any thread.
 */
#ifndef PCA_CLOCK_H
#define PCA_CLOCK_H

#include <stdint.h>

int64_t clock_now(void);		/* service clock, seconds since epoch */
int64_t clock_now_ms(void);		/* service clock, milliseconds */
int64_t clock_real(void);		/* wall clock, seconds */
uint64_t clock_mono_ns(void);		/* monotonic, for durations */

/* Enable the test clock; before it, clock_advance() refuses. */
void clock_enable_test(void);
int clock_is_test(void);
/* Move the service clock forward by secs (>= 0). Returns 0, or
 * PCA_ERR_STATE when the test clock is not enabled. */
int clock_advance(int64_t secs);
int64_t clock_offset(void);

#endif
