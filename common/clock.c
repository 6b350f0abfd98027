#include "clock.h"
#include "err.h"

#include <stdatomic.h>
#include <time.h>

/* The clock's mutable state, in one place. */
static struct {
	atomic_int	test_enabled;
	atomic_llong	offset;		/* seconds added to the wall clock */
} gl_clock;

int64_t
clock_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t
clock_now(void)
{
	return clock_real() + atomic_load(&gl_clock.offset);
}

int64_t
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec + atomic_load(&gl_clock.offset)) * 1000 +
	    ts.tv_nsec / 1000000;
}

uint64_t
clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
clock_enable_test(void)
{
	atomic_store(&gl_clock.test_enabled, 1);
}

int
clock_is_test(void)
{
	return atomic_load(&gl_clock.test_enabled);
}

int
clock_advance(int64_t secs)
{
	if (!atomic_load(&gl_clock.test_enabled) || secs < 0)
		return PCA_ERR_STATE;
	atomic_fetch_add(&gl_clock.offset, secs);
	return 0;
}

int64_t
clock_offset(void)
{
	return atomic_load(&gl_clock.offset);
}
