/*
 * The SMTP session: the state, the command table that decides what is
 * allowed when, and one handler per command (RFC 5321 4.1, 4.3).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpexec.h"

struct command {
	const char	*verb;
	unsigned int	 states;	/* ST_* bits in which it is allowed */
	void		(*handler)(struct session *, struct cmd *);
	/* Run instead of the plain 503 when refused (BDAT's payload). */
	void		(*refuse)(struct session *, struct cmd *, const char *);
	const char	*refusal;	/* the 503 text otherwise */
	size_t		 linemax;
};

static void	smtp_helo(struct session *, struct cmd *);
static void	smtp_ehlo(struct session *, struct cmd *);
static void	smtp_mail(struct session *, struct cmd *);
static void	smtp_rcpt(struct session *, struct cmd *);
static void	smtp_data(struct session *, struct cmd *);
static void	smtp_bdat(struct session *, struct cmd *);
static void	smtp_rset(struct session *, struct cmd *);
static void	smtp_noop(struct session *, struct cmd *);
static void	smtp_quit(struct session *, struct cmd *);
static void	smtp_vrfy(struct session *, struct cmd *);
static void	smtp_help(struct session *, struct cmd *);
static void	smtp_notimpl(struct session *, struct cmd *);
static void	bdat_refuse(struct session *, struct cmd *, const char *);
static void	bdat_unreadable(struct session *) __attribute__((noreturn));
static void	line_refuse(struct session *, const char *, size_t,
		    const char *);

#define ST_CHUNKING	(ST_BDAT | ST_BDAT_FAIL)

static const struct command commands[] = {
	{ "HELO", ST_ANY, smtp_helo, NULL, NULL, SMTP_CMD_MAX },
	{ "EHLO", ST_ANY, smtp_ehlo, NULL, NULL, SMTP_CMD_MAX },
	{ "MAIL", ST_READY, smtp_mail, NULL, "Nested MAIL command",
	    SMTP_CMD_MAIL_MAX },
	{ "RCPT", ST_MAIL | ST_RCPT, smtp_rcpt, NULL, "Need MAIL command",
	    SMTP_CMD_MAIL_MAX },
	{ "DATA", ST_RCPT, smtp_data, NULL, "Need RCPT command",
	    SMTP_CMD_MAX },
	{ "BDAT", ST_RCPT | ST_CHUNKING, smtp_bdat, bdat_refuse,
	    "Need RCPT command", SMTP_CMD_MAX },
	{ "RSET", ST_ANY, smtp_rset, NULL, NULL, SMTP_CMD_MAX },
	{ "NOOP", ST_ANY, smtp_noop, NULL, NULL, SMTP_CMD_MAX },
	{ "QUIT", ST_ANY, smtp_quit, NULL, NULL, SMTP_CMD_MAX },
	{ "VRFY", ST_ANY, smtp_vrfy, NULL, NULL, SMTP_CMD_MAX },
	{ "HELP", ST_ANY, smtp_help, NULL, NULL, SMTP_CMD_MAX },
	{ "EXPN", ST_ANY, smtp_notimpl, NULL, NULL, SMTP_CMD_MAX },
	{ "TURN", ST_ANY, smtp_notimpl, NULL, NULL, SMTP_CMD_MAX },
	{ "ETRN", ST_ANY, smtp_notimpl, NULL, NULL, SMTP_CMD_MAX },
	{ "SEND", ST_ANY, smtp_notimpl, NULL, NULL, SMTP_CMD_MAX },
	{ "SOML", ST_ANY, smtp_notimpl, NULL, NULL, SMTP_CMD_MAX },
	{ "SAML", ST_ANY, smtp_notimpl, NULL, NULL, SMTP_CMD_MAX },
};

const char *const body_names[] = { "7BIT", "8BITMIME", "BINARYMIME" };

static void
enter_state(struct session *s, enum state st)
{
	s->state = st;
}

void
tx_reset(struct session *s)
{
	struct tx *tx = &s->tx;

	spool_close(s);
	tx->sender[0] = '\0';
	tx->nrcpts = 0;
	tx->body = BODY_7BIT;
	tx->utf8 = 0;
	tx->size = 0;
	tx->toobig = 0;
	tx->bdat_cr = 0;
	tx->id[0] = '\0';
	enter_state(s, s->helo_seen ? ST_READY : ST_INIT);
}

/* NOOP, RSET, VRFY, HELP, empty BDAT: beyond --junk-limit, errors. */
static void
session_junk(struct session *s)
{
	if (++s->junk > s->conf->junk_limit)
		session_count_error(s);
}

static int
no_args(struct session *s, struct cmd *cmd)
{
	if (cmd->args == NULL)
		return 1;
	reply(s, 501, "5.5.4", "Syntax: no arguments allowed");
	return 0;
}

static void
greet(struct session *s, struct cmd *cmd, int esmtp)
{
	const char *verb = esmtp ? "EHLO" : "HELO";
	char line[64];

	if (cmd->args == NULL || strchr(cmd->args, ' ') != NULL ||
	    !addr_valid_helo(cmd->args)) {
		reply(s, 501, NULL, "Syntax: %s hostname", verb);
		return;
	}
	s->helo_seen = 1;
	s->esmtp = esmtp;
	(void)snprintf(s->helo, sizeof(s->helo), "%s", cmd->args);
	tx_reset(s);
	if (!esmtp) {
		reply(s, 250, NULL, "%s", s->conf->hostname);
		return;
	}
	reply_more(s, 250, s->conf->hostname);
	if (s->conf->max_size != 0) {
		(void)snprintf(line, sizeof(line), "SIZE %ju",
		    (uintmax_t)s->conf->max_size);
		reply_more(s, 250, line);
	} else
		reply_more(s, 250, "SIZE");
	reply_more(s, 250, "8BITMIME");
	reply_more(s, 250, "PIPELINING");
	reply_more(s, 250, "ENHANCEDSTATUSCODES");
	reply_more(s, 250, "SMTPUTF8");
	reply_more(s, 250, "CHUNKING");
	reply_more(s, 250, "BINARYMIME");
	(void)snprintf(line, sizeof(line), "LIMITS RCPTMAX=%u",
	    s->conf->max_rcpts);
	reply_more(s, 250, line);
	reply(s, 250, NULL, "HELP");
}

static void
smtp_helo(struct session *s, struct cmd *cmd)
{
	greet(s, cmd, 0);
}

static void
smtp_ehlo(struct session *s, struct cmd *cmd)
{
	greet(s, cmd, 1);
}

/* 1*20DIGIT (RFC 1870, RFC 3030), saturating; -1 if not digits. */
static int
parse_size(const char *p, uint64_t *n)
{
	size_t len;

	*n = 0;
	for (len = 0; p[len] >= '0' && p[len] <= '9'; len++)
		*n = *n > (UINT64_MAX - 9) / 10 ? UINT64_MAX :
		    *n * 10 + (uint64_t)(p[len] - '0');
	return len >= 1 && len <= 20 && p[len] == '\0' ? 0 : -1;
}

/* MAIL parameters (RFC 1870 SIZE, RFC 6152/3030 BODY, RFC 6531). */
static int
mail_params(struct session *s, char *params, uint64_t *size)
{
	char *key, *value;
	int seen_size = 0, seen_body = 0, seen_utf8 = 0;

	while (cmd_param_next(&params, &key, &value)) {
		if (!s->esmtp) {
			reply(s, 555, "5.5.4", "Unsupported parameter");
			return -1;
		}
		if (strcasecmp(key, "SIZE") == 0 && !seen_size++) {
			if (value == NULL || parse_size(value, size) == -1)
				goto bad;
		} else if (strcasecmp(key, "BODY") == 0 && !seen_body++) {
			if (value == NULL)
				goto bad;
			if (strcasecmp(value, "7BIT") == 0)
				s->tx.body = BODY_7BIT;
			else if (strcasecmp(value, "8BITMIME") == 0)
				s->tx.body = BODY_8BITMIME;
			else if (strcasecmp(value, "BINARYMIME") == 0)
				s->tx.body = BODY_BINARYMIME;
			else
				goto bad;
		} else if (strcasecmp(key, "SMTPUTF8") == 0 && !seen_utf8++) {
			if (value != NULL)
				goto bad;
			s->tx.utf8 = 1;
		} else if (strcasecmp(key, "SIZE") == 0 ||
		    strcasecmp(key, "BODY") == 0 ||
		    strcasecmp(key, "SMTPUTF8") == 0)
			goto bad;
		else {
			reply(s, 555, "5.5.4", "Unsupported parameter");
			return -1;
		}
	}
	return 0;
bad:
	reply(s, 501, "5.5.4", "Syntax error in parameters");
	return -1;
}

/* What differs between the reverse-path of MAIL and the forward-path of RCPT. */
static const struct path_role {
	const char	*prefix;
	const char	*usage;		/* 501 5.5.4 */
	const char	*esc;		/* RFC 3463: 5.1.7 sender, 5.1.3 rcpt */
	const char	*bad;
	const char	*dash;
	int		 flags;
} sender_role = {
	"FROM:", "Syntax: MAIL FROM:<address>", "5.1.7",
	"Bad sender address syntax", "Sender address may not begin with -",
	ADDR_F_NULL
}, rcpt_role = {
	"TO:", "Syntax: RCPT TO:<address>", "5.1.3",
	"Bad recipient address syntax",
	"Recipient address may not begin with -", ADDR_F_POSTMASTER
};

/* Finds the path in the arguments, or replies 501 and returns -1. */
static int
path_find(struct session *s, struct cmd *cmd, const struct path_role *role,
    char **path, size_t *pathlen, char **params)
{
	int rc = cmd_path(cmd->args, role->prefix, path, pathlen, params);

	if (rc == CMD_NOPREFIX)
		reply(s, 501, "5.5.4", "%s", role->usage);
	else if (rc == CMD_BADPATH)
		reply(s, 501, role->esc, "%s", role->bad);
	return rc == 0 ? 0 : -1;
}

/* Checks the path and copies its mailbox to out, or replies and returns -1. */
static int
path_check(struct session *s, const struct path_role *role, const char *path,
    size_t pathlen, char *out)
{
	int rc = addr_parse_path(path, pathlen, out,
	    role->flags | (s->tx.utf8 ? ADDR_F_UTF8 : 0));

	if (rc == ADDR_SYNTAX)
		reply(s, 501, role->esc, "%s", role->bad);
	else if (rc == ADDR_UTF8)
		reply(s, 553, "5.6.7", "UTF-8 address requires SMTPUTF8");
	else if (rc == ADDR_DASH)
		reply(s, 553, role->esc, "%s", role->dash);
	return rc == ADDR_OK ? 0 : -1;
}

static void
smtp_mail(struct session *s, struct cmd *cmd)
{
	char *path, *params;
	size_t pathlen;
	uint64_t size = 0;

	if (path_find(s, cmd, &sender_role, &path, &pathlen, &params) == -1)
		return;
	s->tx.body = BODY_7BIT;
	s->tx.utf8 = 0;
	if (mail_params(s, params, &size) == -1 ||
	    path_check(s, &sender_role, path, pathlen, s->tx.sender) == -1)
		return;
	if (s->conf->max_size != 0 && size > s->conf->max_size) {
		reply(s, 552, "5.3.4", "Message size exceeds fixed limit");
		return;
	}
	enter_state(s, ST_MAIL);
	reply(s, 250, "2.1.0", "Ok");
}

static void
smtp_rcpt(struct session *s, struct cmd *cmd)
{
	struct tx *tx = &s->tx;
	char *path, *params, mbox[SMTP_PATH_MAX + 1];
	size_t pathlen;

	if (path_find(s, cmd, &rcpt_role, &path, &pathlen, &params) == -1)
		return;
	if (*params != '\0') {
		reply(s, 555, "5.5.4", "Unsupported parameter");
		return;
	}
	if (path_check(s, &rcpt_role, path, pathlen, mbox) == -1)
		return;
	if (s->conf->ndomains > 0 && !s->conf->relayclient &&
	    !addr_is_postmaster(mbox) && !addr_domain_allowed(s->conf, mbox))
		reply(s, 550, "5.7.1", "Relaying denied");
	else if (tx->nrcpts >= s->conf->max_rcpts)
		reply(s, 452, "4.5.3", "Too many recipients");
	else {
		memcpy(TX_RCPT(tx, tx->nrcpts), mbox, strlen(mbox) + 1);
		tx->nrcpts++;
		enter_state(s, ST_RCPT);
		reply(s, 250, "2.1.5", "Ok");
	}
}

/* Opens the spool and writes the trace header; replies 451 on failure. */
static int
message_start(struct session *s)
{
	if (spool_open(s) == -1)
		return -1;
	id_make(s);
	if (s->conf->received)
		received_write(s);
	spool_header_start(s->spool);
	return 0;
}

/*
 * One line per message: id, sender, each recipient, size, body, the
 * program's status and the reply. Recipients that do not fit in one
 * line go first, in "event=message-rcpts" lines.
 */
static void
message_log(struct session *s, const char *status, int code)
{
	struct tx *tx = &s->tx;
	char line[SMTP_PATH_MAX * 4 + 64], esc[SMTP_PATH_MAX * 4 + 1];
	size_t len = 0, elen;
	unsigned int i;

	for (i = 0; i < tx->nrcpts; i++) {
		log_escape(esc, sizeof(esc), TX_RCPT(tx, i),
		    strlen(TX_RCPT(tx, i)));
		elen = strlen(esc);
		/* " to=<" ">" and the NUL must fit. */
		if (len > 0 && len + elen + 7 > sizeof(line)) {
			log_info("event=message-rcpts id=%s%s", tx->id, line);
			len = 0;
		}
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		    " to=<%s>", esc);
	}
	line[len] = '\0';
	log_escape(esc, sizeof(esc), tx->sender, strlen(tx->sender));
	log_info("event=message id=%s from=<%s>%s size=%ju body=%s status=%s "
	    "reply=%d", tx->id, esc, line, (uintmax_t)tx->size,
	    body_names[tx->body], status, code);
}

/*
 * The message is complete: refuse it if it went wrong on the way in,
 * else hand it over. Logs the outcome and ends the transaction.
 */
static void
message_finish(struct session *s)
{
	struct tx *tx = &s->tx;
	char status[32] = "not-delivered";
	int code;

	if (tx->toobig) {
		code = 552;
		reply_result(s, 552, "5.3.4", "Message size exceeds fixed limit");
	} else if (spool_finish(s->spool) == -1) {
		log_warn("event=spool-error id=%s what=write", tx->id);
		code = 452;
		reply_result(s, 452, "4.3.1", "Insufficient system storage");
	} else if (s->spool->hops >= SMTP_HOPS_MAX) {
		code = 554;
		reply_result(s, 554, "5.4.6",
		    "Too many Received headers: mail loop");
	} else
		code = deliver_run(s, status, sizeof(status));

	message_log(s, status, code);
	tx_reset(s);
}

static void
smtp_data(struct session *s, struct cmd *cmd)
{
	if (!no_args(s, cmd))
		return;
	if (s->tx.body == BODY_BINARYMIME) {
		/* RFC 3030 3: BINARYMIME content only in BDAT chunks. */
		reply(s, 503, "5.5.1", "BINARYMIME requires BDAT");
		return;
	}
	if (message_start(s) == -1) {
		reply(s, 451, "4.3.0", "Cannot create spool file, try later");
		return;
	}
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	/* LF-only mode, fixed here: no command line ended in CRLF so far. */
	data_read(s, !s->crlf_seen);
	message_finish(s);
}

/*
 * A BDAT line that cannot be read (its size not 1*20DIGIT, a control
 * byte, too long) leaves the end of its payload unknown: what follows
 * cannot be told from commands, so the session cannot go on.
 */
static void
bdat_unreadable(struct session *s)
{
	reply_fatal(s, 421, "4.5.0", "Bad BDAT syntax, closing",
	    EXIT_PROTOCOL, "bdat-syntax");
}

/*
 * Refuses a line that cannot be read as a command (too long, a control
 * byte) with 500; if it was meant as BDAT, the session cannot go on.
 */
static void
line_refuse(struct session *s, const char *line, size_t len,
    const char *text)
{
	if (len >= 4 && strncasecmp(line, "BDAT", 4) == 0 &&
	    (len == 4 || (unsigned char)line[4] <= ' '))
		bdat_unreadable(s);
	reply(s, 500, "5.5.2", "%s", text);
}

/* "BDAT" SP size [SP "LAST"] (RFC 3030 2). */
static int
bdat_args(struct session *s, struct cmd *cmd, uint64_t *size, int *last)
{
	char *sp;

	*last = 0;
	if (cmd->args != NULL && (sp = strchr(cmd->args, ' ')) != NULL) {
		*sp = '\0';
		*last = strcasecmp(sp + 1, "LAST") == 0 ? 1 : -1;
	}
	if (cmd->args == NULL || parse_size(cmd->args, size) == -1)
		bdat_unreadable(s);
	if (*last == -1) {
		bdat_discard(s, *size);
		reply(s, 501, "5.5.4", "Syntax: BDAT size [LAST]");
		return -1;
	}
	return 0;
}

/* A failed chunk fails the message: the rest is discarded (RFC 3030 2). */
static void
bdat_fail(struct session *s, int last)
{
	if (last)
		tx_reset(s);
	else {
		spool_close(s);
		enter_state(s, ST_BDAT_FAIL);
	}
}

static void
smtp_bdat(struct session *s, struct cmd *cmd)
{
	struct tx *tx = &s->tx;
	uint64_t size, max = s->conf->max_size;
	int last;

	if (bdat_args(s, cmd, &size, &last) == -1) {
		if (s->state != ST_BDAT_FAIL)
			bdat_fail(s, 0);
		return;
	}
	if (s->state == ST_BDAT_FAIL) {
		/*
		 * Chunks already in the pipeline after a failed one (RFC 3030
		 * 2): not the client's error, so junk rather than errors.
		 */
		bdat_discard(s, size);
		if (last)
			tx_reset(s);
		session_junk(s);
		reply_result(s, 503, "5.5.1", "Transaction failed, send RSET");
		return;
	}
	if (s->spool == NULL && message_start(s) == -1) {
		bdat_discard(s, size);
		bdat_fail(s, last);
		reply(s, 451, "4.3.0", "Cannot create spool file, try later");
		return;
	}
	if (max != 0 && (size > max || tx->size + size > max)) {
		bdat_discard(s, size);
		bdat_fail(s, last);
		reply_result(s, 552, "5.3.4", "Message size exceeds fixed limit");
		return;
	}
	bdat_read(s, size, last);
	tx->size += size;
	if (s->spool->err != 0) {
		errno = s->spool->err;
		log_warn("event=spool-error id=%s what=write", tx->id);
		bdat_fail(s, last);
		reply_result(s, 452, "4.3.1", "Insufficient system storage");
		return;
	}
	if (last) {
		message_finish(s);
		return;
	}
	if (size == 0)
		session_junk(s);
	enter_state(s, ST_BDAT);
	reply(s, 250, "2.0.0", "%ju octets received", (uintmax_t)size);
}

/* A refused BDAT still carries its payload, which must not be read as commands. */
static void
bdat_refuse(struct session *s, struct cmd *cmd, const char *text)
{
	uint64_t size;
	int last;

	if (bdat_args(s, cmd, &size, &last) == -1)
		return;
	bdat_discard(s, size);
	reply(s, 503, "5.5.1", "%s", text);
}

static void
smtp_rset(struct session *s, struct cmd *cmd)
{
	session_junk(s);
	if (!no_args(s, cmd))
		return;
	tx_reset(s);
	reply(s, 250, "2.0.0", "Ok");
}

static void
smtp_noop(struct session *s, struct cmd *cmd)
{
	(void)cmd;	/* RFC 5321 4.1.1.9: an argument is allowed */
	session_junk(s);
	reply(s, 250, "2.0.0", "Ok");
}

static void
smtp_quit(struct session *s, struct cmd *cmd)
{
	if (!no_args(s, cmd))
		return;
	reply(s, 221, "2.0.0", "Bye");
	session_exit(s, EXIT_QUIT, "quit");
}

static void
smtp_vrfy(struct session *s, struct cmd *cmd)
{
	session_junk(s);
	if (cmd->args == NULL)
		reply(s, 501, "5.5.4", "Syntax: VRFY address");
	else
		reply(s, 252, "2.0.0", "Cannot VRFY user; try RCPT");
}

static void
smtp_help(struct session *s, struct cmd *cmd)
{
	(void)cmd;
	session_junk(s);
	reply(s, 214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA BDAT "
	    "RSET NOOP QUIT VRFY HELP");
}

static void
smtp_notimpl(struct session *s, struct cmd *cmd)
{
	(void)cmd;
	reply(s, 502, "5.5.1", "Command not implemented");
}

static void
session_dispatch(struct session *s, struct cmd *cmd, size_t len)
{
	const struct command *c = NULL;
	const char *text;
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcasecmp(cmd->verb, commands[i].verb) == 0) {
			c = &commands[i];
			break;
		}
	log_escape(s->verb, sizeof(s->verb), cmd->verb, strlen(cmd->verb));
	if (c == NULL) {
		reply(s, 500, "5.5.2", "Command not recognized");
		return;
	}
	/* RFC 5321 4.5.3.1.4: 512 octets with CRLF; MAIL/RCPT get more. */
	if (len + 2 > c->linemax) {
		line_refuse(s, cmd->verb, strlen(cmd->verb), "Line too long");
		return;
	}
	if (c->states & s->state) {
		c->handler(s, cmd);
		return;
	}
	if (s->state == ST_INIT)
		text = "Send HELO or EHLO first";
	else if (s->state & ST_CHUNKING)
		text = "Not allowed during BDAT transfer";
	else
		text = c->refusal;
	if (c->refuse != NULL)
		c->refuse(s, cmd, text);
	else
		reply(s, 503, "5.5.1", "%s", text);
}

void
session_run(const struct conf *conf)
{
	static struct ibuf in;
	static struct obuf out;
	static char *rcpts;
	struct session s;
	struct cmd cmd;
	enum line_end end;
	char *line;
	size_t len;
	int rc;

	memset(&s, 0, sizeof(s));
	s.conf = conf;
	s.in = &in;
	s.out = &out;
	s.state = ST_INIT;
	in.r = in.w = 0;
	out.len = 0;
	/* Sized once from --max-recipients; untouched pages cost nothing. */
	if (rcpts == NULL)
		rcpts = calloc(conf->max_rcpts, SMTP_PATH_MAX + 1);
	if ((s.tx.rcpts = rcpts) == NULL) {
		log_warn("event=fatal what=memory");
		exit(EXIT_OSERR);
	}
	peer_init(s.peer, sizeof(s.peer));
	timespec_deadline(&s.deadline, conf->session_timeout);
	log_info("event=connect remote=%s", s.peer[0] != '\0' ? s.peer :
	    "unknown");
	reply(&s, 220, NULL, "%s ESMTP smtpexec", conf->hostname);
	for (;;) {
		/* Pipelined commands may wait in the buffer: check first. */
		if (sig_term)
			reply_fatal(&s, 421, "4.3.2", "Shutting down", EXIT_TERM,
			    "term");
		s.verb[0] = '\0';
		rc = iobuf_line(&s, &line, &len, &end);
		if (rc == 0)
			session_exit(&s, EXIT_EOF, "eof");
		if (end == LINE_CRLF)
			s.crlf_seen = 1;
		if (rc == -1)
			line_refuse(&s, line, len, "Line too long");
		else if (cmd_parse(line, len, &cmd) == -1)
			line_refuse(&s, line, len, "Invalid character in command");
		else
			session_dispatch(&s, &cmd, len);
	}
}
