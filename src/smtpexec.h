/*
 * smtpexec: one SMTP session on stdin/stdout, each accepted message
 * handed to a program. Shared structures, limits and prototypes.
 */
#ifndef SMTPEXEC_H
#define SMTPEXEC_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define SMTPEXEC_VERSION	"0.1.0"

#define SMTP_CMD_MAX		512	/* RFC 5321 4.5.3.1.4, with CRLF */
#define SMTP_CMD_MAIL_MAX	1000	/* MAIL/RCPT with parameters */
#define SMTP_PATH_MAX		256	/* RFC 5321 4.5.3.1.3, with <> */
#define SMTP_DOMAIN_MAX		255	/* RFC 5321 4.5.3.1.2 */
#define SMTP_RCPT_MIN		100	/* RFC 5321 4.5.3.1.8 */
#define SMTP_RCPT_LIMIT		500	/* SMTP_RECIPIENTS < MAX_ARG_STRLEN */
#define SMTP_ERRORS_MAX		20	/* the 20th error closes */
#define SMTP_RCPT_FULL_FREE	1000	/* 452 4.5.3 replies not counted */
#define SMTP_HOPS_MAX		100	/* RFC 5321 6.3: Received: lines */
#define SMTP_ID_MAX		48
#define PROG_LINE_MAX		200	/* program's first stdout line */
#define PROG_ERR_LINES		10	/* program's stderr lines logged */

#define IBUF_SIZE		65536
#define OBUF_SIZE		4096
#define SPOOL_BUF_SIZE		65536

/* Exit statuses of smtpexec itself (the man page's EXIT STATUS). */
#define EXIT_QUIT		0
#define EXIT_EOF		1	/* client left without QUIT, I/O error */
#define EXIT_TIMEOUT		2
#define EXIT_PROTOCOL		3	/* too many errors, bad BDAT */
#define EXIT_TERM		4	/* SIGTERM */
#define EXIT_USAGE		64	/* EX_USAGE */
#define EXIT_OSERR		71	/* EX_OSERR */

enum log_sink {
	LOG_SINK_AUTO,
	LOG_SINK_STDERR,
	LOG_SINK_SYSLOG,
	LOG_SINK_NONE
};

struct conf {
	const char	 *hostname;
	uint64_t	  max_size;		/* 0: no limit */
	unsigned int	  max_rcpts;
	unsigned int	  timeout;		/* seconds */
	unsigned int	  session_timeout;
	unsigned int	  junk_limit;
	unsigned int	  delivery_timeout;
	const char	**domains;
	size_t		  ndomains;
	int		  received;
	int		  crlf;
	enum log_sink	  log;
	char		**argv;			/* program and arguments */
	int		  fd2_is_client;	/* fd 2 is the client's socket */
	int		  relayclient;		/* RELAYCLIENT set */
};

/* Session states; each a bit so that the command table holds sets. */
enum state {
	ST_INIT = 0x01,		/* before HELO/EHLO */
	ST_READY = 0x02,	/* greeted, no transaction */
	ST_MAIL = 0x04,		/* MAIL accepted */
	ST_RCPT = 0x08,		/* at least one recipient */
	ST_BDAT = 0x10,		/* chunks received, LAST not yet */
	ST_BDAT_FAIL = 0x20	/* a chunk failed: discard up to LAST */
};
#define ST_ANY	(ST_INIT | ST_READY | ST_MAIL | ST_RCPT | ST_BDAT | ST_BDAT_FAIL)

enum body {
	BODY_7BIT,
	BODY_8BITMIME,
	BODY_BINARYMIME
};
extern const char *const body_names[];	/* as in BODY= and SMTP_BODY */

enum line_end {
	LINE_CRLF,
	LINE_LF
};

/* Input from the client: fd 0, filled by poll() with the timeouts. */
struct ibuf {
	size_t		r, w;
	char		buf[IBUF_SIZE];
};

/* Replies to the client: fd 1, flushed when full or before blocking. */
struct obuf {
	size_t		len;
	char		buf[OBUF_SIZE];
};

/* One message on its way: the unlinked spool and what went wrong. */
struct spool {
	int		fd;
	int		err;		/* errno of the first write error */
	size_t		len;
	/* header scan for the mail loop check */
	int		in_header, bol, hops;
	size_t		match;
	char		buf[SPOOL_BUF_SIZE];
};

struct tx {
	char		 sender[SMTP_PATH_MAX + 1];
	char		*rcpts;		/* max_rcpts slots of SMTP_PATH_MAX+1 */
	unsigned int	 nrcpts;
	enum body	 body;
	int		 utf8;
	uint64_t	 size;		/* message size as on the wire */
	int		 toobig;
	int		 bdat_cr;	/* a chunk ended in CR */
	char		 id[SMTP_ID_MAX];
};
#define TX_RCPT(tx, i)	((tx)->rcpts + (size_t)(i) * (SMTP_PATH_MAX + 1))

struct session {
	const struct conf *conf;
	enum state	 state;
	int		 esmtp;		/* EHLO: enhanced status codes */
	int		 helo_seen;
	char		 helo[SMTP_DOMAIN_MAX + 1];
	char		 peer[64];	/* IP as text, "" when unknown */
	int		 crlf_seen;	/* a command line ended in CRLF */
	unsigned int	 errors;
	unsigned int	 junk;
	unsigned int	 rcpt_full;	/* 452 4.5.3 replies */
	unsigned int	 msgseq;
	char		 verb[20];	/* current command, escaped, for logs */
	struct timespec	 deadline;	/* end of --session-timeout */
	struct tx	 tx;
	struct spool	*spool;
	struct ibuf	*in;
	struct obuf	*out;
};

/* A parsed command line; pointers into the caller's line buffer. */
struct cmd {
	char		*verb;
	char		*args;		/* NULL when there are none */
};

/* conf.c */
void	 conf_parse(struct conf *, int, char **, int);
void	 conf_usage(int) __attribute__((noreturn));

/* log.c */
void	 log_init(enum log_sink);
void	 log_info(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_escape(char *, size_t, const char *, size_t);

/* sig.c */
extern volatile sig_atomic_t sig_term;
int	 sig_init(void);
int	 sig_fd(void);
void	 sig_drain(void);
void	 fd_init(void);

/* iobuf.c */
void	 timespec_deadline(struct timespec *, unsigned int);
int	 timespec_left_ms(const struct timespec *);
int	 iobuf_fill(struct session *);
#define IOBUF_TIMEOUT	-2
int	 iobuf_flush(struct session *);
void	 iobuf_flush_or_exit(struct session *);
void	 iobuf_put(struct session *, const char *, size_t);
int	 iobuf_line(struct session *, char **, size_t *, enum line_end *);
size_t	 iobuf_avail(struct session *, const char **, uint64_t);
void	 iobuf_consume(struct session *, size_t);

/* reply.c */
void	 reply(struct session *, int, const char *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
void	 reply_more(struct session *, int, const char *);
void	 reply_result(struct session *, int, const char *, const char *);
void	 reply_fatal(struct session *, int, const char *, const char *, int,
	    const char *)
	    __attribute__((noreturn));
void	 session_count_error(struct session *);
void	 session_exit(struct session *, int, const char *)
	    __attribute__((noreturn));
extern void (*session_exit_fn)(int);

/* cmd.c */
#define CMD_NOPREFIX	-1	/* no "FROM:" / "TO:" */
#define CMD_BADPATH	-2	/* no <...> around the path */
int	 cmd_parse(char *, size_t, struct cmd *);
int	 cmd_path(char *, const char *, char **, size_t *, char **);
int	 cmd_param_next(char **, char **, char **);

/* addr.c */
#define ADDR_OK		0
#define ADDR_SYNTAX	-1
#define ADDR_UTF8	-2	/* UTF-8 without SMTPUTF8 */
#define ADDR_DASH	-3	/* would reach the program as an option */
#define ADDR_F_NULL		0x1	/* <> allowed (MAIL) */
#define ADDR_F_POSTMASTER	0x2	/* <postmaster> allowed (RCPT) */
#define ADDR_F_UTF8		0x4	/* SMTPUTF8 given */
int	 addr_parse_path(const char *, size_t, char *, int);
int	 addr_valid_helo(const char *);
int	 addr_valid_domain(const char *, size_t, int);
int	 addr_is_postmaster(const char *);
int	 addr_domain_allowed(const struct conf *, const char *);

/* data.c */
void	 data_read(struct session *, int);
void	 bdat_read(struct session *, uint64_t, int);
void	 bdat_discard(struct session *, uint64_t);

/* spool.c */
int	 spool_open(struct session *);
void	 spool_header_start(struct spool *);
void	 spool_write(struct spool *, const char *, size_t);
int	 spool_finish(struct spool *);
void	 spool_close(struct session *);

/* spool_write's common case, inline for the DATA path. */
static inline void
spool_put(struct spool *sp, const char *p, size_t len)
{
	if (sp->in_header || len >= sizeof(sp->buf) - sp->len) {
		spool_write(sp, p, len);
		return;
	}
	memcpy(sp->buf + sp->len, p, len);
	sp->len += len;
}

/* received.c */
void	 id_make(struct session *);
void	 received_write(struct session *);

/* peer.c */
void	 peer_init(char *, size_t);

/* deliver.c */
int	 deliver_run(struct session *, char *, size_t);

/* session.c */
void	 session_run(const struct conf *) __attribute__((noreturn));
void	 tx_reset(struct session *);

#endif
