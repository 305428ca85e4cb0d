/*
 * Replies: the only way bytes reach the client. Adds the enhanced status
 * code when EHLO asked for them, and counts the replies that are errors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpexec.h"

#define REPLY_LINE_MAX	512	/* RFC 5321 4.5.3.1.5 */

static void	reply_emit(struct session *, int, int, const char *,
		    const char *);
static int	reply_is_error(int, const char *);

static void
reply_emit(struct session *s, int code, int more, const char *esc,
    const char *text)
{
	char line[REPLY_LINE_MAX];
	int n;

	if (s->esmtp && esc != NULL)
		n = snprintf(line, sizeof(line), "%03d%c%s %s\r\n", code,
		    more ? '-' : ' ', esc, text);
	else
		n = snprintf(line, sizeof(line), "%03d%c%s\r\n", code,
		    more ? '-' : ' ', text);
	if (n < 0)
		abort();
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 2] = '\r';
		line[n - 1] = '\n';
	}
	iobuf_put(s, line, (size_t)n);
}

/* The refusals that count toward the 20 errors that close a session. */
static int
reply_is_error(int code, const char *esc)
{
	switch (code) {
	case 500: case 501: case 502: case 503: case 553: case 555:
		return 1;
	case 550:
		return esc != NULL && strcmp(esc, "5.7.1") == 0;
	default:
		return 0;
	}
}

/*
 * A reply to a command. The text is a fixed format at the call site,
 * never client data. The 20th error is answered with 421 instead.
 */
void
reply(struct session *s, int code, const char *esc, const char *fmt, ...)
{
	char text[REPLY_LINE_MAX];
	va_list ap;

	if (reply_is_error(code, esc))
		session_count_error(s);
	else if (code == 452 && esc != NULL && strcmp(esc, "4.5.3") == 0 &&
	    ++s->rcpt_full > SMTP_RCPT_FULL_FREE)
		session_count_error(s);
	if (code >= 400)
		log_info("event=error command=%s reply=%d",
		    s->verb[0] != '\0' ? s->verb : "-", code);
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	reply_emit(s, code, 0, esc, text);
}

/* A line of a multiline reply (EHLO), never with an enhanced code. */
void
reply_more(struct session *s, int code, const char *text)
{
	reply_emit(s, code, 1, NULL, text);
}

/* A reply that is an outcome, not a refusal: delivery, size, storage. */
void
reply_result(struct session *s, int code, const char *esc, const char *text)
{
	reply_emit(s, code, 0, esc, text);
}

/* Counts an error; the 20th closes the session (RFC 5321 4.3.2 421). */
void
session_count_error(struct session *s)
{
	if (++s->errors >= SMTP_ERRORS_MAX)
		reply_fatal(s, 421, "4.7.0", "Too many errors", EXIT_PROTOCOL,
		    "errors");
}

/* 421 and the end of the session: the last thing the client hears. */
void
reply_fatal(struct session *s, int code, const char *esc, const char *text,
    int status, const char *reason)
{
	reply_emit(s, code, 0, esc, text);
	session_exit(s, status, reason);
}

/* The fuzz target replaces exit() to run many sessions in one process. */
void	(*session_exit_fn)(int) = exit;

void
session_exit(struct session *s, int status, const char *reason)
{
	(void)iobuf_flush(s);
	log_info("event=disconnect reason=%s errors=%u", reason, s->errors);
	spool_close(s);
	session_exit_fn(status);
	abort();
}
