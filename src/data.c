/*
 * Message content from the client into the spool: the DATA decoder
 * (end of data, dot-unstuffing, line endings, smuggling rules) and the
 * BDAT chunk reader. Both stream: memory does not grow with the message.
 */
#include <stdint.h>
#include <string.h>

#include "smtpexec.h"

/*
 * DATA decoder states, named by the bytes seen; the held bytes (a CR, a
 * dot) are not yet written. "BOL" is the start of a line that follows
 * CRLF (or DATA itself), the only place where a dot is special. In a
 * CRLF session a line that follows a bare LF is stored unchanged, so
 * that only CRLF "." CRLF ends the data (no LF.LF, CR.CR, LF.CRLF...).
 */
enum dstate {
	D_BOL,		/* CRLF */
	D_DOT,		/* CRLF "." */
	D_DOTCR,	/* CRLF "." CR */
	D_TEXT,		/* inside a line, or after a bare LF */
	D_CR		/* inside a line, CR */
};

struct decoder {
	struct session	*s;
	enum dstate	 state;
	int		 lf_only;	/* LF plays CRLF's part */
	const char	*eol;		/* line ending written */
	size_t		 eollen;
	uint64_t	 dropped;	/* stuffing dots removed */
};

static void	data_emit(struct session *, const char *, size_t);
static size_t	data_block(struct decoder *, const char *, size_t, int *);

/* Writes to the spool unless the message is already over the limit. */
static void
data_emit(struct session *s, const char *p, size_t len)
{
	if (len > 0 && !s->tx.toobig)
		spool_put(s->spool, p, len);
}

/*
 * Decodes one block; returns the octets consumed, which stop right after
 * the end of data when *done is set. Bytes copied unchanged are passed
 * on as runs [run, i) rather than one by one.
 */
static size_t
data_block(struct decoder *d, const char *p, size_t n, int *done)
{
	struct session *s = d->s;
	int crlf_out = d->eollen == 2;
	size_t i = 0, run = 0;
	const char *q, *lf;

	while (i < n) {
		switch (d->state) {
		case D_TEXT:
			/* Usually only a CR needs work: a bare LF is kept. */
			if (!d->lf_only && !crlf_out) {
				if ((q = memchr(p + i, '\r', n - i)) == NULL) {
					i = n;
					continue;
				}
			} else {
				lf = memchr(p + i, '\n', n - i);
				q = memchr(p + i, '\r',
				    (lf != NULL ? (size_t)(lf - p) : n) - i);
				if (q == NULL && (q = lf) == NULL) {
					i = n;
					continue;
				}
			}
			i = (size_t)(q - p);
			if (p[i] == '\r') {
				/*
				 * CRLF before a line that cannot end the data:
				 * the usual case, in one step. With --crlf it
				 * stays in the run as it is.
				 */
				if (i + 2 < n && p[i + 1] == '\n' &&
				    p[i + 2] != '.') {
					if (!crlf_out) {
						data_emit(s, p + run, i - run);
						run = i + 1;
					}
					i += 2;
					continue;
				}
				data_emit(s, p + run, i - run);
				run = ++i;
				d->state = D_CR;
				continue;
			}
			/* A bare LF ends the line; what follows is not BOL. */
			if (crlf_out) {
				data_emit(s, p + run, i - run);
				data_emit(s, d->eol, d->eollen);
				run = i + 1;
			}
			i++;
			d->state = d->lf_only ? D_BOL : D_TEXT;
			continue;
		case D_CR:
			if (p[i] == '\n') {
				if (crlf_out) {
					data_emit(s, d->eol, d->eollen);
					run = i + 1;
				} else
					run = i;
				i++;
				d->state = D_BOL;
				continue;
			}
			data_emit(s, "\r", 1);	/* a bare CR is data */
			run = i;
			if (p[i] == '\r')
				run = ++i;
			else
				d->state = D_TEXT;
			continue;
		case D_BOL:
			if (p[i] == '.') {
				data_emit(s, p + run, i - run);
				run = ++i;
				d->state = D_DOT;
			} else
				d->state = D_TEXT;
			continue;
		case D_DOT:
			if (p[i] == '\r') {
				run = ++i;
				d->state = D_DOTCR;
			} else if (p[i] == '\n' && d->lf_only) {
				*done = 1;
				return i + 1;
			} else if (p[i] == '\n') {
				/* CRLF "." LF: a lone dot is not stuffing. */
				data_emit(s, ".", 1);
				run = i;
				d->state = D_TEXT;
			} else {
				d->dropped++;		/* RFC 5321 4.5.2 */
				run = i;
				d->state = D_TEXT;
			}
			continue;
		case D_DOTCR:
			if (p[i] == '\n') {
				*done = 1;
				return i + 1;
			}
			d->dropped++;
			d->state = D_CR;	/* the CR was data */
			continue;
		}
	}
	data_emit(s, p + run, n - run);
	return n;
}

/*
 * Reads the content of DATA up to its end into the spool, setting
 * tx.size (RFC 1870: as sent, less stuffing dots and the final ".")
 * and tx.toobig. End of input first ends the session: nothing delivered.
 */
void
data_read(struct session *s, int lf_only)
{
	struct decoder d;
	const char *p;
	uint64_t consumed = 0, max = s->conf->max_size;
	size_t n, used;
	int done = 0;

	memset(&d, 0, sizeof(d));
	d.s = s;
	d.state = D_BOL;
	d.lf_only = lf_only;
	d.eol = s->conf->crlf ? "\r\n" : "\n";
	d.eollen = strlen(d.eol);
	while (!done) {
		if ((n = iobuf_avail(s, &p, SIZE_MAX)) == 0) {
			log_info("event=abort id=%s what=eof-in-data", s->tx.id);
			session_exit(s, EXIT_EOF, "eof");
		}
		used = data_block(&d, p, n, &done);
		iobuf_consume(s, used);
		consumed += used;
		/* Worst case for the terminator still left: "." CRLF. */
		if (max != 0 && consumed - d.dropped > max + 3)
			s->tx.toobig = 1;
	}
	/* The terminator: "." CRLF or, in LF-only mode, "." LF. */
	s->tx.size = consumed - d.dropped - (d.state == D_DOTCR ? 3 : 2);
	if (max != 0 && s->tx.size > max)
		s->tx.toobig = 1;
}

/*
 * Reads one BDAT chunk of n octets into the spool. Chunks are never
 * dot-stuffed (RFC 3030 2); CRLF becomes LF unless --crlf or BINARYMIME.
 * A CR that ends a chunk is held until the next octet is known.
 */
void
bdat_read(struct session *s, uint64_t n, int last)
{
	int convert = !s->conf->crlf && s->tx.body != BODY_BINARYMIME;
	const char *p, *cr;
	size_t avail, i, run;

	while (n > 0) {
		if ((avail = iobuf_avail(s, &p, n)) == 0) {
			log_info("event=abort id=%s what=eof-in-bdat", s->tx.id);
			session_exit(s, EXIT_EOF, "eof");
		}
		iobuf_consume(s, avail);
		n -= avail;
		if (!convert) {
			data_emit(s, p, avail);
			continue;
		}
		i = run = 0;
		if (s->tx.bdat_cr) {
			s->tx.bdat_cr = 0;
			if (p[0] != '\n')
				data_emit(s, "\r", 1);
		}
		while ((cr = memchr(p + i, '\r', avail - i)) != NULL) {
			i = (size_t)(cr - p);
			if (i + 1 == avail) {
				s->tx.bdat_cr = 1;
				break;
			}
			if (p[i + 1] == '\n') {
				data_emit(s, p + run, i - run);
				run = i + 1;
			}
			i++;
		}
		data_emit(s, p + run, avail - run - (size_t)s->tx.bdat_cr);
	}
	if (last && s->tx.bdat_cr) {
		s->tx.bdat_cr = 0;
		data_emit(s, "\r", 1);
	}
}

/* Consumes a refused chunk's n octets without keeping them. */
void
bdat_discard(struct session *s, uint64_t n)
{
	const char *p;
	size_t avail;

	while (n > 0) {
		if ((avail = iobuf_avail(s, &p, n)) == 0)
			session_exit(s, EXIT_EOF, "eof");
		iobuf_consume(s, avail);
		n -= avail;
	}
}
