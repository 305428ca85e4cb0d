/*
 * The spool: one unlinked temporary file per message, written in large
 * blocks, rewound for the program. Also counts the header's Received:
 * lines on the way through, for the mail loop check.
 */
#define _GNU_SOURCE		/* O_TMPFILE, in glibc and musl alike */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpexec.h"

#define MATCH_NONE	((size_t)-1)

static struct spool spool;

static int	spool_create(void);
static void	spool_out(struct spool *, const char *, size_t);
static void	spool_flush(struct spool *);
static void	spool_scan(struct spool *, const char *, size_t);

static int
spool_create(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd != -1 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL && errno != ENOENT))
		return fd;
#endif
	if ((size_t)snprintf(path, sizeof(path), "%s/smtpexec.XXXXXX", dir) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(path)) == -1)
		return -1;
	(void)unlink(path);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Opens a fresh spool for the transaction; -1 (logged) on failure. */
int
spool_open(struct session *s)
{
	struct spool *sp = &spool;

	if ((sp->fd = spool_create()) == -1) {
		log_warn("event=spool-error what=create");
		return -1;
	}
	sp->err = 0;
	sp->len = 0;
	sp->in_header = 0;
	sp->hops = 0;
	s->spool = sp;
	return 0;
}

/* Starts counting Received: lines: what follows is the client's header. */
void
spool_header_start(struct spool *sp)
{
	sp->in_header = 1;
	sp->bol = 1;
	sp->match = 0;
}

/* Counts the "Received:" lines of the header, line by line. */
static void
spool_scan(struct spool *sp, const char *p, size_t len)
{
	static const char tag[] = "received:";
	const char *nl;
	size_t i = 0;
	char c;

	while (i < len && sp->in_header) {
		/* The rest of a line that cannot match: skip to its end. */
		if (!sp->bol && sp->match == MATCH_NONE) {
			if ((nl = memchr(p + i, '\n', len - i)) == NULL)
				return;
			i = (size_t)(nl - p);
		}
		c = p[i++];
		if (c == '\n') {
			if (sp->bol)
				sp->in_header = 0;	/* the empty line */
			sp->bol = 1;
			sp->match = 0;
			continue;
		}
		if (sp->bol && c == '\r')
			continue;
		sp->bol = 0;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != tag[sp->match])
			sp->match = MATCH_NONE;
		else if (++sp->match == sizeof(tag) - 1) {
			sp->match = MATCH_NONE;
			if (++sp->hops >= SMTP_HOPS_MAX)
				sp->in_header = 0;
		}
	}
}

/* Writes p to the file, or records the first error in sp->err. */
static void
spool_out(struct spool *sp, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0 && sp->err == 0) {
		if ((n = write(sp->fd, p, len)) == -1) {
			if (errno != EINTR)
				sp->err = errno;
			continue;
		}
		if (n == 0) {
			sp->err = EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
spool_flush(struct spool *sp)
{
	spool_out(sp, sp->buf, sp->len);
	sp->len = 0;
}

/*
 * Queues message bytes. After a write error the rest is dropped and
 * sp->err holds the errno; the message is then read to its end.
 */
void
spool_write(struct spool *sp, const char *p, size_t len)
{
	size_t room;

	if (sp->in_header)
		spool_scan(sp, p, len);
	if (sp->err != 0)
		return;
	/* Whole buffers only: a write that ends off a page costs more. */
	while (len >= (room = sizeof(sp->buf) - sp->len)) {
		if (sp->len == 0) {
			room = len - len % sizeof(sp->buf);
			spool_out(sp, p, room);
		} else {
			memcpy(sp->buf + sp->len, p, room);
			sp->len = sizeof(sp->buf);
			spool_flush(sp);
		}
		p += room;
		len -= room;
		if (sp->err != 0)
			return;
	}
	memcpy(sp->buf + sp->len, p, len);
	sp->len += len;
}

/* Flushes and rewinds for the program; -1 with errno on a write error. */
int
spool_finish(struct spool *sp)
{
	spool_flush(sp);
	if (sp->err != 0) {
		errno = sp->err;
		return -1;
	}
	if (lseek(sp->fd, 0, SEEK_SET) == -1)
		return -1;
	return 0;
}

/* Never reused: a background child of the program may still read it. */
void
spool_close(struct session *s)
{
	if (s->spool == NULL)
		return;
	(void)close(s->spool->fd);
	s->spool = NULL;
}
