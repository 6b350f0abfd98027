#include "log.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The only mutable globals of the log: set once by log_init() before
 * threads start, read-only afterwards. */
static struct {
	char	progname[32];
	int	level;
} gl_log = { "hsmca", LOG_INFO };

void
log_init(const char *progname, int level)
{
	snprintf(gl_log.progname, sizeof(gl_log.progname), "%s", progname);
	gl_log.level = level;
}

int
log_level_parse(const char *s)
{
	if (strcmp(s, "debug") == 0) return LOG_DEBUG;
	if (strcmp(s, "info") == 0) return LOG_INFO;
	if (strcmp(s, "warn") == 0 || strcmp(s, "warning") == 0) return LOG_WARNING;
	if (strcmp(s, "error") == 0) return LOG_ERR;
	return -1;
}

static const char *
level_name(int level)
{
	switch (level) {
	case LOG_DEBUG:		return "debug";
	case LOG_INFO:		return "info";
	case LOG_WARNING:	return "warn";
	default:		return "error";
	}
}

void
pca_log(int level, const char *func, const char *errstr, const char *fmt, ...)
{
	char msg[1024], ts[32];
	struct tm tm;
	time_t now;
	va_list ap;

	if (level > gl_log.level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* never let control characters from inputs forge log lines */
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* one fprintf per line: stdio locks the stream, lines do not interleave */
	fprintf(stderr, "%s %s[%d] %s %s: %s%s%s\n", ts, gl_log.progname,
	    (int)getpid(), level_name(level), func, msg,
	    errstr != NULL ? ": " : "", errstr != NULL ? errstr : "");
}
