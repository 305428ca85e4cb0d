/*
 * The client's bytes: fd 0 read through poll() with the idle and session
 * timeouts, replies queued and written only before we block or when full.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "smtpexec.h"

#define LINE_CONTENT_MAX	(SMTP_CMD_MAIL_MAX - 2)

#define LINE_HEAD	8

static int	iobuf_wait_ms(struct session *, const struct timespec *);
static void	iobuf_head(const char *, size_t, char *, char **, size_t *);

void
timespec_deadline(struct timespec *ts, unsigned int secs)
{
	(void)clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += secs;
}

/* Milliseconds until ts, 0 when past. */
int
timespec_left_ms(const struct timespec *ts)
{
	struct timespec now;
	long long ms;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(ts->tv_sec - now.tv_sec) * 1000 +
	    (ts->tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* What is left of this read's --timeout, or of the session if less. */
static int
iobuf_wait_ms(struct session *s, const struct timespec *idle)
{
	int read_left = timespec_left_ms(idle);
	int session_left = timespec_left_ms(&s->deadline);

	return session_left < read_left ? session_left : read_left;
}

/*
 * Reads more client bytes into the input buffer; returns the count, 0 at
 * end of input. A timeout, SIGTERM or a read error ends the session.
 */
int
iobuf_fill(struct session *s)
{
	struct ibuf *in = s->in;
	struct pollfd pfd[2];
	struct timespec idle;
	ssize_t n;
	int ms;

	if (in->r == in->w)
		in->r = in->w = 0;
	else if (in->w == sizeof(in->buf)) {
		memmove(in->buf, in->buf + in->r, in->w - in->r);
		in->w -= in->r;
		in->r = 0;
	}
	iobuf_flush_or_exit(s);
	timespec_deadline(&idle, s->conf->timeout);
	for (;;) {
		if (sig_term)
			reply_fatal(s, 421, "4.3.2", "Shutting down",
			    EXIT_TERM, "term");
		pfd[0].fd = 0;
		pfd[0].events = POLLIN;
		pfd[1].fd = sig_fd();
		pfd[1].events = POLLIN;
		if ((ms = iobuf_wait_ms(s, &idle)) == 0)
			reply_fatal(s, 421, "4.4.2", "Timeout, closing",
			    EXIT_TIMEOUT, "timeout");
		if (poll(pfd, 2, ms) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("event=fatal what=poll");
			session_exit(s, EXIT_EOF, "io");
		}
		if (pfd[1].revents != 0)
			sig_drain();
		if (pfd[0].revents == 0)
			continue;
		n = read(0, in->buf + in->w, sizeof(in->buf) - in->w);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_warn("event=read-error");
			session_exit(s, EXIT_EOF, "io");
		}
		in->w += (size_t)n;
		return (int)n;
	}
}

/*
 * Writes every queued reply. Returns -1 when the client is gone and
 * IOBUF_TIMEOUT when it took nothing for --timeout; the queue is then
 * dropped, since no reply can reach it any more.
 */
int
iobuf_flush(struct session *s)
{
	struct obuf *out = s->out;
	struct pollfd pfd;
	struct timespec limit;
	size_t off = 0;
	ssize_t n;

	timespec_deadline(&limit, s->conf->timeout);
	while (off < out->len) {
		pfd.fd = 1;
		pfd.events = POLLOUT;
		n = poll(&pfd, 1, timespec_left_ms(&limit));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warnx("event=write-timeout");
			out->len = 0;
			return IOBUF_TIMEOUT;
		}
		/* POLLOUT may promise less room than we write. */
		(void)alarm(s->conf->timeout);
		n = write(1, out->buf + off, out->len - off);
		(void)alarm(0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("event=write-error");
			out->len = 0;
			return -1;
		}
		off += (size_t)n;
	}
	out->len = 0;
	return 0;
}

/* Flushes, or ends the session: a client that cannot take replies is lost. */
void
iobuf_flush_or_exit(struct session *s)
{
	switch (iobuf_flush(s)) {
	case 0:
		return;
	case IOBUF_TIMEOUT:
		session_exit(s, EXIT_TIMEOUT, "timeout");
	default:
		session_exit(s, EXIT_EOF, "io");
	}
}

void
iobuf_put(struct session *s, const char *p, size_t len)
{
	struct obuf *out = s->out;

	if (out->len + len > sizeof(out->buf))
		iobuf_flush_or_exit(s);
	memcpy(out->buf + out->len, p, len);
	out->len += len;
}

static void
iobuf_head(const char *start, size_t n, char *head, char **line, size_t *len)
{
	*len = n < LINE_HEAD - 1 ? n : LINE_HEAD - 1;
	memcpy(head, start, *len);
	head[*len] = '\0';
	*line = head;
}

/*
 * One command line. On 1, *line points into the input buffer, NUL-
 * terminated without its ending, valid until the next read. Returns 0 at
 * end of input and -1 for a line too long, which has been discarded:
 * then *line and *len hold its first octets only (the verb, if any).
 */
int
iobuf_line(struct session *s, char **line, size_t *len, enum line_end *end)
{
	static char head[LINE_HEAD];
	struct ibuf *in = s->in;
	char *start, *nl;
	int draining = 0;
	size_t n;

	for (;;) {
		start = in->buf + in->r;
		nl = memchr(start, '\n', in->w - in->r);
		if (nl != NULL) {
			in->r = (size_t)(nl - in->buf) + 1;
			n = (size_t)(nl - start);
			*end = LINE_LF;
			if (n > 0 && nl[-1] == '\r') {
				n--;
				*end = LINE_CRLF;
			}
			if (!draining && n > LINE_CONTENT_MAX)
				iobuf_head(start, n, head, line, len);
			if (draining || n > LINE_CONTENT_MAX)
				return -1;
			start[n] = '\0';
			*line = start;
			*len = n;
			return 1;
		}
		if (!draining && in->w - in->r > LINE_CONTENT_MAX + 1) {
			iobuf_head(start, in->w - in->r, head, line, len);
			draining = 1;
		}
		if (draining)
			in->r = in->w;
		if (iobuf_fill(s) == 0)
			return 0;
	}
}

/* Up to max buffered bytes, read first when none are; 0 at end of input. */
size_t
iobuf_avail(struct session *s, const char **p, uint64_t max)
{
	struct ibuf *in = s->in;
	size_t n;

	if (in->r == in->w && iobuf_fill(s) == 0)
		return 0;
	n = in->w - in->r;
	if (n > max)
		n = (size_t)max;
	*p = in->buf + in->r;
	return n;
}

void
iobuf_consume(struct session *s, size_t n)
{
	s->in->r += n;
}
