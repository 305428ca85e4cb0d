/*
 * Logging: one key=value line per event, to stderr or syslog (ident
 * smtpexec, LOG_PID, LOG_MAIL), never into the SMTP stream.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "smtpexec.h"

#define LOG_LINE_MAX	4096	/* a message line with its longest addresses */

static enum log_sink log_sink = LOG_SINK_STDERR;

static void	log_vemit(int, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

void
log_init(enum log_sink sink)
{
	log_sink = sink;
	if (sink == LOG_SINK_SYSLOG)
		openlog("smtpexec", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void
log_vemit(int prio, const char *err, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n;

	if (log_sink == LOG_SINK_NONE)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (err != NULL && (size_t)n < sizeof(line))
		(void)snprintf(line + n, sizeof(line) - n, " error=\"%s\"", err);
	if (log_sink == LOG_SINK_SYSLOG)
		syslog(prio, "%s", line);
	else
		(void)fprintf(stderr, "smtpexec[%ld]: %s\n", (long)getpid(),
		    line);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* Like log_warnx, with strerror(errno) added as error="...". */
void
log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

/*
 * Copies client bytes into dst as text safe for a log line: bytes
 * outside 0x21-0x7E, and the backslash, become \xNN. Truncates to fit.
 */
void
log_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i, o = 0;

	if (dstlen == 0)
		return;
	for (i = 0; i < srclen; i++) {
		c = (unsigned char)src[i];
		if (c >= 0x21 && c <= 0x7e && c != '\\') {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	dst[o] = '\0';
}
