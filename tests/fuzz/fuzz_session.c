/*
 * libFuzzer target over the session engine: bytes in, replies and
 * handed-over messages out, the program replaced by a recorder. Checks
 * the results against a small reference model of the rules, not only
 * for crashes. Input: one flag byte (bit 0: --crlf, bit 1: small
 * --max-size), then the client's bytes.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../../src/smtpexec.h"

#define MAX_DELIVERIES	64
#define MAX_REPLIES	65536
#define BODY_MAX	(1 << 20)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static struct conf conf;
static jmp_buf session_done;
static int infd = -1, outfd = -1;

static struct delivery {
	char	*body;
	size_t	 len;
} deliveries[MAX_DELIVERIES];
static size_t ndeliveries;

static int	replies[MAX_REPLIES];
static size_t	nreplies;

static void
fuzz_exit(int status)
{
	longjmp(session_done, status + 1);
}

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz invariant broken: %s\n", what);
		abort();
	}
}

/* The recorder that stands in for the program: keeps the spool's bytes. */
int
deliver_run(struct session *s, char *status, size_t len)
{
	struct delivery *d;
	char buf[8192];
	ssize_t n;

	check(ndeliveries < MAX_DELIVERIES, "too many deliveries");
	check(lseek(s->spool->fd, 0, SEEK_CUR) == 0, "spool not at offset 0");
	d = &deliveries[ndeliveries++];
	d->body = NULL;
	d->len = 0;
	while ((n = read(s->spool->fd, buf, sizeof(buf))) > 0) {
		d->body = realloc(d->body, d->len + (size_t)n);
		check(d->body != NULL, "memory");
		memcpy(d->body + d->len, buf, (size_t)n);
		d->len += (size_t)n;
	}
	(void)snprintf(status, len, "exit:0");
	reply_result(s, 250, "2.0.0", "Ok");
	return 250;
}

static int
tmpfd(void)
{
	char path[] = "/tmp/fuzz_session.XXXXXX";
	int fd = mkstemp(path);

	check(fd != -1 && unlink(path) == 0, "tmpfile");
	return fd;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *prog[] = { "recorder", NULL };

	(void)argc;
	(void)argv;
	memset(&conf, 0, sizeof(conf));
	conf.hostname = "fuzz.example";
	conf.max_rcpts = 5;
	conf.timeout = 300;
	conf.session_timeout = 3600;
	conf.junk_limit = 30;
	conf.delivery_timeout = 300;
	conf.log = LOG_SINK_NONE;
	conf.argv = prog;
	log_init(LOG_SINK_NONE);
	session_exit_fn = fuzz_exit;
	infd = tmpfd();
	outfd = tmpfd();
	return 0;
}

/* Final reply codes, a multiline reply counted once. */
static void
parse_replies(const char *out, size_t len)
{
	size_t i = 0;

	nreplies = 0;
	while (i + 4 <= len) {
		const char *nl = memchr(out + i, '\n', len - i);

		check(nl != NULL, "reply without line end");
		check(nl > out + i && nl[-1] == '\r', "reply without CRLF");
		if (out[i + 3] == ' ') {
			check(nreplies < MAX_REPLIES, "too many replies");
			replies[nreplies++] = atoi(out + i);
		} else
			check(out[i + 3] == '-', "reply separator");
		i = (size_t)(nl - out) + 1;
	}
	check(i == len, "partial reply");
}

/*
 * Reference DATA decoder, line by line: a line ends at LF; it is at a
 * "line start" when the previous one ended in CRLF (or always, in
 * LF-only mode). Returns the octets consumed, 0 if the end never came.
 */
static size_t
ref_data(const uint8_t *p, size_t len, int lf_only, char *body,
    size_t *blen, uint64_t *size)
{
	size_t pos = 0, n, clen;
	int prev_crlf = 1, cr;
	const uint8_t *nl;

	*blen = 0;
	*size = 0;
	for (;;) {
		if ((nl = memchr(p + pos, '\n', len - pos)) == NULL)
			return 0;
		n = (size_t)(nl - (p + pos));
		cr = n > 0 && p[pos + n - 1] == '\r';
		clen = cr ? n - 1 : n;
		if ((lf_only || prev_crlf) && clen == 1 && p[pos] == '.' &&
		    (cr || lf_only))
			return pos + n + 1;
		if ((lf_only || prev_crlf) && clen > 1 && p[pos] == '.') {
			memcpy(body + *blen, p + pos + 1, clen - 1);
			*blen += clen - 1;
			*size += n;
		} else {
			memcpy(body + *blen, p + pos, clen);
			*blen += clen;
			*size += n + 1;
		}
		if (conf.crlf)
			body[(*blen)++] = '\r';
		body[(*blen)++] = '\n';
		prev_crlf = cr;
		pos += n + 1;
	}
}

/* BDAT content: CRLF becomes LF unless --crlf or BINARYMIME. */
static size_t
ref_chunks(const char *in, size_t len, int binary, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (!conf.crlf && !binary && in[i] == '\r' && i + 1 < len &&
		    in[i + 1] == '\n')
			continue;
		out[o++] = in[i];
	}
	return o;
}

static void
expect_delivery(size_t *d, const char *body, size_t len)
{
	check(*d < ndeliveries, "a 250 after data without delivery");
	check(deliveries[*d].len == len &&
	    (len == 0 || memcmp(deliveries[*d].body, body, len) == 0),
	    "delivered body differs from the reference");
	(*d)++;
}

/* Walks the input's command lines and the replies in step. */
static void
ref_session(const uint8_t *p, size_t len)
{
	static char body[BODY_MAX], chunks[BODY_MAX], conv[BODY_MAX];
	size_t pos = 0, r = 0, d = 0, n, used, blen, clen = 0;
	int crlf_seen = 0, binary = 0, code, code2, last;
	uint64_t size, bsize, csize = 0;
	const uint8_t *nl;
	char line[32];

	check(nreplies > 0 && replies[0] == 220, "greeting");
	r = 1;
	while ((nl = memchr(p + pos, '\n', len - pos)) != NULL) {
		n = (size_t)(nl - (p + pos));
		if (n > 0 && p[pos + n - 1] == '\r')
			crlf_seen = 1;
		memset(line, 0, sizeof(line));
		memcpy(line, p + pos, n < sizeof(line) - 1 ? n : sizeof(line) - 1);
		pos += n + 1;
		/* A BDAT is answered after its chunk: cut off, no reply. */
		if (r == nreplies && strncasecmp(line, "BDAT ", 5) == 0 &&
		    line[5] >= '0' && line[5] <= '9' &&
		    strtoull(line + 5, NULL, 10) > len - pos)
			break;
		check(r < nreplies, "a command line without a reply");
		code = replies[r++];
		if (code == 421 || code == 221)
			break;
		if (strncasecmp(line, "MAIL", 4) == 0 && code == 250) {
			char mail[1001];

			memcpy(mail, p + pos - n - 1, n < 1000 ? n : 1000);
			mail[n < 1000 ? n : 1000] = '\0';
			for (char *c = mail; *c != '\0'; c++)
				if (*c >= 'a' && *c <= 'z')
					*c = (char)(*c - 'a' + 'A');
			binary = strstr(mail, " BODY=BINARYMIME") != NULL;
		}
		if (code == 250 && (strncasecmp(line, "RSET", 4) == 0 ||
		    strncasecmp(line, "HELO", 4) == 0 ||
		    strncasecmp(line, "EHLO", 4) == 0))
			clen = csize = 0;
		if (strncasecmp(line, "DATA", 4) == 0 && code == 354) {
			used = ref_data(p + pos, len - pos, !crlf_seen, body,
			    &blen, &size);
			if (used == 0)
				break;		/* cut off: nothing handed over */
			pos += used;
			check(r < nreplies, "no reply to the end of data");
			code2 = replies[r++];
			if (code2 == 250) {
				check(conf.max_size == 0 || size <= conf.max_size,
				    "250 for an oversize message");
				expect_delivery(&d, body, blen);
			} else if (code2 == 552)
				check(size > conf.max_size, "552 within the limit");
			else if (code2 == 421)
				break;
			continue;
		}
		if (strncasecmp(line, "BDAT ", 5) == 0 && code != 500) {
			char *end;
			unsigned long long sz = strtoull(line + 5, &end, 10);

			if (line[5] < '0' || line[5] > '9' || end - (line + 5) > 20)
				continue;	/* only 421 is right, checked above */
			last = strncasecmp(end, " LAST", 5) == 0;
			if (sz > len - pos)
				break;		/* cut off inside the chunk */
			if (code == 250 && clen + sz <= sizeof(chunks)) {
				memcpy(chunks + clen, p + pos, sz);
				clen += sz;
				csize += sz;
			}
			pos += sz;
			if (code == 250 && last) {
				bsize = ref_chunks(chunks, clen, binary, conv);
				expect_delivery(&d, conv, bsize);
			}
			if (code != 250 || last)
				clen = csize = 0;
		}
	}
	check(r == nreplies, "a reply without a command line");
	check(d == ndeliveries, "a delivery without a 250");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[16 << 20];
	ssize_t n;
	size_t i;

	if (size < 1 || size > 65536)
		return -1;
	conf.crlf = data[0] & 1;
	conf.max_size = data[0] & 2 ? 100 : 0;
	check(ftruncate(infd, 0) == 0 && pwrite(infd, data + 1, size - 1, 0) ==
	    (ssize_t)(size - 1) && lseek(infd, 0, SEEK_SET) == 0, "input");
	check(ftruncate(outfd, 0) == 0 && lseek(outfd, 0, SEEK_SET) == 0,
	    "output");
	check(dup2(infd, 0) == 0 && dup2(outfd, 1) == 1, "dup2");
	ndeliveries = 0;
	if (setjmp(session_done) == 0)
		session_run(&conf);
	n = pread(outfd, out, sizeof(out), 0);
	check(n >= 0 && (size_t)n < sizeof(out), "output size");
	parse_replies(out, (size_t)n);
	ref_session(data + 1, size - 1);
	for (i = 0; i < ndeliveries; i++)
		free(deliveries[i].body);
	return 0;
}
