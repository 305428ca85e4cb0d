/*
 * The message id and the Received: trace header (RFC 5321 4.4) with an
 * RFC 5322 3.3 date: local time, numeric zone, English names.
 */
#include <sys/time.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smtpexec.h"

#define RECEIVED_MAX	2048

static const char *const days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static void	date_rfc5322(char *, size_t);

/* Unique per host: time to the microsecond, pid, message number. */
void
id_make(struct session *s)
{
	struct timeval tv;

	(void)gettimeofday(&tv, NULL);
	(void)snprintf(s->tx.id, sizeof(s->tx.id), "%jX%05lX.%ld.%u",
	    (uintmax_t)tv.tv_sec, (unsigned long)tv.tv_usec, (long)getpid(),
	    ++s->msgseq);
}

/* The zone is local minus UTC, found without tm_gmtoff (not POSIX). */
static void
date_rfc5322(char *buf, size_t len)
{
	struct tm lt, gt;
	time_t now = time(NULL);
	long off;
	int days_apart;

	(void)localtime_r(&now, &lt);
	(void)gmtime_r(&now, &gt);
	if (lt.tm_year != gt.tm_year)
		days_apart = lt.tm_year > gt.tm_year ? 1 : -1;
	else
		days_apart = lt.tm_yday - gt.tm_yday;
	off = days_apart * 1440L + (lt.tm_hour - gt.tm_hour) * 60L +
	    (lt.tm_min - gt.tm_min);
	(void)snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[lt.tm_wday], lt.tm_mday, months[lt.tm_mon],
	    lt.tm_year + 1900, lt.tm_hour, lt.tm_min, lt.tm_sec,
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
}

/*
 * Every part is already checked: the HELO name by addr_valid_helo, the
 * recipient by addr_parse_path (no control bytes), the peer by inet_pton.
 */
void
received_write(struct session *s)
{
	const char *eol = s->conf->crlf || s->tx.body == BODY_BINARYMIME ?
	    "\r\n" : "\n";
	const char *proto = s->tx.utf8 ? "UTF8SMTP" : s->esmtp ? "ESMTP" :
	    "SMTP";
	char buf[RECEIVED_MAX], peer[80] = "", date[64], rcpt[SMTP_PATH_MAX + 16];
	int n;

	if (s->peer[0] != '\0')
		(void)snprintf(peer, sizeof(peer), " ([%s%s])",
		    strchr(s->peer, ':') != NULL ? "IPv6:" : "", s->peer);
	if (s->tx.nrcpts == 1)
		(void)snprintf(rcpt, sizeof(rcpt), "%s\tfor <%s>", eol,
		    s->tx.rcpts);
	else
		rcpt[0] = '\0';
	date_rfc5322(date, sizeof(date));
	n = snprintf(buf, sizeof(buf), "Received: from %s%s%s"
	    "\tby %s (smtpexec) with %s id %s%s; %s%s",
	    s->helo, peer, eol, s->conf->hostname, proto, s->tx.id, rcpt,
	    date, eol);
	if (n > 0 && (size_t)n < sizeof(buf))
		spool_write(s->spool, buf, (size_t)n);
}
