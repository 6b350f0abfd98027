/*
 * log_limit.c - rate limits for log lines that clients can trigger.
 */
#include "log_limit.h"
#include "clock.h"

#include <stdio.h>

int
log_limit_allow_at(struct log_limit *ll, uint64_t now_ns, unsigned long *dropped)
{
	uint64_t sec = now_ns / 1000000000u;
	int ok;

	*dropped = 0;
	pthread_mutex_lock(&ll->mu);
	if (sec != ll->second) {
		ll->second = sec;
		ll->lines = 0;
	}
	if ((ok = ll->lines < ll->per_sec)) {
		ll->lines++;
		*dropped = ll->dropped;
		ll->dropped = 0;
	} else {
		ll->dropped++;
	}
	pthread_mutex_unlock(&ll->mu);
	return ok;
}

int
log_limit_allow(struct log_limit *ll, unsigned long *dropped)
{
	return log_limit_allow_at(ll, clock_mono_ns(), dropped);
}

const char *
log_limit_note(unsigned long dropped, char note[LOG_LIMIT_NOTE_LEN])
{
	if (dropped == 0)
		return "";
	snprintf(note, LOG_LIMIT_NOTE_LEN, " (and %lu more not logged before)", dropped);
	return note;
}
