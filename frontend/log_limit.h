/*
 * log_limit.h - rate limits for log lines that clients can trigger.
 *
 * A failed request logs a line, and anyone who can reach the socket can
 * fail requests: unlimited, that is a way to fill the disk and to bury the
 * lines that matter. Each such call site owns a struct log_limit allowing
 * at most `per_sec` lines a second; the first line allowed after some were
 * refused carries their count, so the log still says how many there were.
 *
 *	static struct log_limit fail_lines = LOG_LIMIT_INIT(20);
 *	unsigned long dropped;
 *	char note[LOG_LIMIT_NOTE_LEN];
 *	if (log_limit_allow(&fail_lines, &dropped))
 *		log_info("request failed: ...%s", ..., log_limit_note(dropped, note));
 *
 * THREAD SAFETY: log_limit_allow may be called from any thread.
 */
#ifndef PCA_LOG_LIMIT_H
#define PCA_LOG_LIMIT_H

#include <pthread.h>
#include <stdint.h>

struct log_limit {
	pthread_mutex_t	 mu;
	unsigned	 per_sec;
	uint64_t	 second;	/* monotonic second of the current count */
	unsigned	 lines;		/* allowed in that second */
	unsigned long	 dropped;	/* refused since the last line allowed */
};

#define LOG_LIMIT_INIT(per_sec)	{ PTHREAD_MUTEX_INITIALIZER, (per_sec), 0, 0, 0 }
#define LOG_LIMIT_NOTE_LEN	64

/* 1 when a line may be logged now, with *dropped the number refused since
 * the previous line allowed (then reset); 0 when it must be skipped. */
int log_limit_allow(struct log_limit *ll, unsigned long *dropped);
/* The same at monotonic time now_ns (tests). */
int log_limit_allow_at(struct log_limit *ll, uint64_t now_ns, unsigned long *dropped);
/* " (and N more not logged before)" in note, or "" when dropped is 0. */
const char *log_limit_note(unsigned long dropped, char note[LOG_LIMIT_NOTE_LEN]);

#endif
