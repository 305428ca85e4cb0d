/*
 * Delivery: run the program with the envelope in argv and the environment
 * and the spool on stdin, wait for it within --delivery-timeout, and turn
 * its exit status (and first line of output) into the one reply.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpexec.h"

extern char **environ;

#define DRAIN_READS	16	/* after exit: what is in the pipe, no more */

/* RFC 3463 codes for the sysexits(3) statuses a program may return. */
static const struct exitmap {
	int		 status;
	int		 code;
	const char	*esc;
	const char	*text;
} exitmap[] = {
	{ 0,	250, "2.0.0", "Ok: queued as" },
	{ 65,	554, "5.6.0", "Message content rejected" },	/* EX_DATAERR */
	{ 67,	550, "5.1.1", "Recipient unknown" },		/* EX_NOUSER */
	{ 68,	550, "5.1.2", "Recipient domain unknown" },	/* EX_NOHOST */
	{ 69,	554, "5.0.0", "Delivery refused" },		/* EX_UNAVAILABLE */
	{ 77,	550, "5.7.1", "Delivery not authorized" },	/* EX_NOPERM */
};
/* Everything else: 75 (EX_TEMPFAIL), signals, exec failure, timeout. */
static const struct exitmap exit_temp = {
	-1,	451, "4.3.0", "Delivery failed, try later"
};

/* What the program said: the first stdout line, stderr lines to log. */
struct capture {
	char		 line[PROG_LINE_MAX + 1];
	size_t		 linelen;
	int		 linedone;
	int		 linecr;
	char		 err[PROG_LINE_MAX + 1];
	size_t		 errlen;
	unsigned int	 errlines;
	const char	*id;
};

static char	**deliver_argv(struct session *);
static char	**deliver_envp(struct session *, char **);
static int	 env_dropped(const char *);
static int	 fd_pipe(int [2]);
static int	 deliver_spawn(struct session *, pid_t *, int *, int *);
static int	 deliver_wait(struct session *, pid_t, int, int,
		    struct capture *, char *, size_t);
static int	 capture_read(int, struct capture *, int);
static void	 capture_err_line(struct capture *);
static size_t	 esc_prefix(const char *, char);
static int	 deliver_reply(struct session *, int, struct capture *);

/* {sender} and {recipients} as whole arguments, else both appended. */
static char **
deliver_argv(struct session *s)
{
	char **args = s->conf->argv, **av;
	size_t n, i, o = 0, r, lists = 1;
	int placed = 0;

	for (n = 0; args[n] != NULL; n++)
		if (strcmp(args[n], "{recipients}") == 0)
			lists++;
	/* Each {recipients} becomes nrcpts arguments; one more list if appended. */
	if ((av = calloc(n + lists * s->tx.nrcpts + 2, sizeof(char *))) ==
	    NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (strcmp(args[i], "{sender}") == 0) {
			av[o++] = s->tx.sender;
			placed = 1;
		} else if (strcmp(args[i], "{recipients}") == 0) {
			for (r = 0; r < s->tx.nrcpts; r++)
				av[o++] = TX_RCPT(&s->tx, r);
			placed = 1;
		} else
			av[o++] = args[i];
	}
	if (!placed) {
		av[o++] = s->tx.sender;
		for (r = 0; r < s->tx.nrcpts; r++)
			av[o++] = TX_RCPT(&s->tx, r);
	}
	av[o] = NULL;
	return av;
}

/* systemd's LISTEN_* would mislead the program; SMTP_* are ours. */
static int
env_dropped(const char *e)
{
	static const char *const names[] = {
		"LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=", "SMTP_SENDER=",
		"SMTP_RECIPIENTS=", "SMTP_HELO=", "SMTP_REMOTE_IP=",
		"SMTP_BODY=", "SMTP_UTF8=", "SMTP_ID="
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(e, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

#define ENV_OURS	7

/*
 * Built in the parent: the inherited part is filtered once per session,
 * the SMTP_* strings go into one allocation per message (*textp).
 */
static char **
deliver_envp(struct session *s, char **textp)
{
	static char **envp;
	static size_t nbase;
	struct tx *tx = &s->tx;
	size_t n, o, r, size, len;
	char *text, *p;

	if (envp == NULL) {
		for (n = 0; environ[n] != NULL; n++)
			;
		if ((envp = calloc(n + ENV_OURS + 1, sizeof(char *))) == NULL)
			return NULL;
		for (n = 0; environ[n] != NULL; n++)
			if (!env_dropped(environ[n]))
				envp[nbase++] = environ[n];
	}
	o = nbase;
	size = sizeof("SMTP_SENDER=") + strlen(tx->sender) +
	    sizeof("SMTP_RECIPIENTS=") + (size_t)tx->nrcpts * (SMTP_PATH_MAX + 1) +
	    sizeof("SMTP_HELO=") + strlen(s->helo) +
	    sizeof("SMTP_REMOTE_IP=") + strlen(s->peer) +
	    sizeof("SMTP_BODY=BINARYMIME") + sizeof("SMTP_UTF8=1") +
	    sizeof("SMTP_ID=") + strlen(tx->id);
	if ((text = malloc(size)) == NULL)
		return NULL;
	p = text;
#define ENV_ADD(fmt, val) do {						\
	envp[o++] = p;							\
	p += sprintf(p, fmt, val) + 1;					\
} while (0)
	ENV_ADD("SMTP_SENDER=%s", tx->sender);
	envp[o++] = p;
	p += sprintf(p, "SMTP_RECIPIENTS=");
	for (r = 0; r < tx->nrcpts; r++) {
		len = strlen(TX_RCPT(tx, r));
		memcpy(p, TX_RCPT(tx, r), len);
		p += len;
		*p++ = r + 1 < tx->nrcpts ? '\n' : '\0';
	}
	if (tx->nrcpts == 0)
		*p++ = '\0';
	ENV_ADD("SMTP_HELO=%s", s->helo);
	ENV_ADD("SMTP_REMOTE_IP=%s", s->peer);
	ENV_ADD("SMTP_BODY=%s", body_names[tx->body]);
	ENV_ADD("SMTP_ID=%s", tx->id);
	if (tx->utf8)
		ENV_ADD("SMTP_UTF8=%s", "1");
#undef ENV_ADD
	envp[o] = NULL;
	*textp = text;
	return envp;
}

static int
fd_pipe(int fds[2])
{
	if (pipe(fds) == -1)
		return -1;
	if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1) {
		(void)close(fds[0]);
		(void)close(fds[1]);
		return -1;
	}
	return 0;
}

/*
 * Starts the program in its own process group with default signal
 * dispositions and an empty mask. Returns 0, or an errno value.
 */
static int
deliver_spawn(struct session *s, pid_t *pid, int *outfd, int *errfd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	char **argv = NULL, **envp = NULL, *envtext = NULL;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc;
	const struct conf *conf = s->conf;

	*outfd = *errfd = -1;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return ENOMEM;
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return ENOMEM;
	}
	/*
	 * The full set, not just the two we ignore: glibc's spawn helper
	 * otherwise leaves its internal signals (32, 33) ignored, and an
	 * ignored disposition survives exec.
	 */
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	sigemptyset(&none);
	rc = ENOMEM;
	if ((argv = deliver_argv(s)) == NULL ||
	    (envp = deliver_envp(s, &envtext)) == NULL)
		goto done;
	if (fd_pipe(out) == -1 ||
	    (conf->log == LOG_SINK_SYSLOG && fd_pipe(err) == -1)) {
		rc = errno;
		goto done;
	}
	if ((rc = posix_spawn_file_actions_adddup2(&fa, s->spool->fd, 0)) ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1)))
		goto done;
	if (err[1] != -1)
		rc = posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	else if (conf->log != LOG_SINK_STDERR || conf->fd2_is_client)
		rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null",
		    O_WRONLY, 0);
	if (rc != 0 ||
	    (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP)) ||
	    (rc = posix_spawnattr_setsigdefault(&attr, &all)) ||
	    (rc = posix_spawnattr_setsigmask(&attr, &none)) ||
	    (rc = posix_spawnattr_setpgroup(&attr, 0)))
		goto done;
	rc = argv[0] == NULL ? EINVAL :
	    posix_spawnp(pid, argv[0], &fa, &attr, argv, envp);
done:
	if (out[1] != -1)
		(void)close(out[1]);
	if (err[1] != -1)
		(void)close(err[1]);
	if (rc == 0) {
		*outfd = out[0];
		*errfd = err[0];
	} else {
		if (out[0] != -1)
			(void)close(out[0]);
		if (err[0] != -1)
			(void)close(err[0]);
	}
	free(argv);
	free(envtext);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

static void
capture_err_line(struct capture *c)
{
	char esc[PROG_LINE_MAX * 4 + 1];

	if (c->errlines < PROG_ERR_LINES) {
		log_escape(esc, sizeof(esc), c->err, c->errlen);
		log_info("event=program-stderr id=%s text=%s", c->id, esc);
	}
	c->errlines++;
	c->errlen = 0;
}

/* One read from the program's stdout (err = 0) or stderr; 0 at EOF. */
static int
capture_read(int fd, struct capture *c, int err)
{
	char buf[4096];
	ssize_t n, i;
	unsigned char ch;

	if ((n = read(fd, buf, sizeof(buf))) <= 0)
		return n == -1 && (errno == EAGAIN || errno == EINTR) ? -1 : 0;
	for (i = 0; i < n; i++) {
		ch = (unsigned char)buf[i];
		if (err) {
			if (c->errlines >= PROG_ERR_LINES)
				break;
			if (ch == '\n' || c->errlen == PROG_LINE_MAX)
				capture_err_line(c);
			if (ch != '\n')
				c->err[c->errlen++] = (char)ch;
			continue;
		}
		if (c->linedone)
			break;
		if (ch == '\n' || c->linelen == PROG_LINE_MAX) {
			if (ch == '\n' && c->linecr)
				c->linelen--;	/* CRLF ends the line too */
			c->linedone = 1;
			break;
		}
		c->linecr = ch == '\r';
		c->line[c->linelen++] = ch >= 0x20 && ch <= 0x7e ? (char)ch : '?';
	}
	return 1;
}

/*
 * Waits for the program, reading its output as it comes so that it
 * never blocks on a full pipe. Once waitpid() has reported the exit,
 * takes what the pipes hold and stops: a background child may keep them
 * open. Returns the wait status, or -1 after the timeout kill.
 */
static int
deliver_wait(struct session *s, pid_t pid, int outfd, int errfd,
    struct capture *c, char *status, size_t len)
{
	struct timespec deadline;
	struct pollfd pfd[3];
	int wstatus, ms, i, timedout = 0;
	pid_t r;

	timespec_deadline(&deadline, s->conf->delivery_timeout);
	for (;;) {
		r = waitpid(pid, &wstatus, WNOHANG);
		if (r == pid)
			break;
		if ((ms = timespec_left_ms(&deadline)) == 0) {
			(void)kill(-pid, SIGKILL);
			(void)kill(pid, SIGKILL);
			while (waitpid(pid, &wstatus, 0) == -1 && errno == EINTR)
				;
			timedout = 1;
			break;
		}
		pfd[0].fd = sig_fd();
		pfd[1].fd = outfd;
		pfd[2].fd = errfd;
		for (i = 0; i < 3; i++)
			pfd[i].events = POLLIN;
		if (poll(pfd, 3, ms) == -1)
			continue;
		if (pfd[0].revents != 0)
			sig_drain();
		if (pfd[1].revents != 0 && capture_read(outfd, c, 0) == 0) {
			(void)close(outfd);
			outfd = -1;
		}
		if (pfd[2].revents != 0 && capture_read(errfd, c, 1) == 0) {
			(void)close(errfd);
			errfd = -1;
		}
	}
	for (i = 0; i < DRAIN_READS && outfd != -1 &&
	    capture_read(outfd, c, 0) == 1; i++)
		;
	for (i = 0; i < DRAIN_READS && errfd != -1 &&
	    capture_read(errfd, c, 1) == 1; i++)
		;
	if (c->errlen > 0)
		capture_err_line(c);
	if (outfd != -1)
		(void)close(outfd);
	if (errfd != -1)
		(void)close(errfd);
	if (timedout) {
		(void)snprintf(status, len, "timeout");
		return -1;
	}
	if (WIFEXITED(wstatus))
		(void)snprintf(status, len, "exit:%d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		(void)snprintf(status, len, "signal:%d", WTERMSIG(wstatus));
	return wstatus;
}

/* Length of an RFC 3463 code of class c ("5.2.2") that starts line, or 0. */
static size_t
esc_prefix(const char *line, char c)
{
	const char *p = line;
	int part, d;

	if (*p++ != c)
		return 0;
	for (part = 0; part < 2; part++) {
		if (*p++ != '.')
			return 0;
		for (d = 0; d < 3 && *p >= '0' && *p <= '9'; d++)
			p++;
		if (d == 0)
			return 0;
	}
	return *p == ' ' || *p == '\0' ? (size_t)(p - line) : 0;
}

/*
 * One reply for the whole message. A first line that starts with an RFC
 * 3463 code of the reply's class replaces code and text; any other
 * first line is added to the default text in parentheses.
 */
static int
deliver_reply(struct session *s, int wstatus, struct capture *c)
{
	const struct exitmap *row = &exit_temp;
	char text[PROG_LINE_MAX + 128], esc[16];
	const char *rest;
	size_t i, n;

	if (wstatus != -1 && WIFEXITED(wstatus))
		for (i = 0; i < sizeof(exitmap) / sizeof(exitmap[0]); i++)
			if (exitmap[i].status == WEXITSTATUS(wstatus))
				row = &exitmap[i];
	c->line[c->linelen] = '\0';
	if (row->status == 0)
		(void)snprintf(text, sizeof(text), "%s %s", row->text,
		    s->tx.id);
	else
		(void)snprintf(text, sizeof(text), "%s", row->text);

	if ((n = esc_prefix(c->line, row->esc[0])) > 0 && n < sizeof(esc)) {
		memcpy(esc, c->line, n);
		esc[n] = '\0';
		for (rest = c->line + n; *rest == ' '; rest++)
			;
		reply_result(s, row->code, esc, *rest != '\0' ? rest : text);
		return row->code;
	}
	if (c->linelen > 0)
		(void)snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    " (%s)", c->line);
	reply_result(s, row->code, row->esc, text);
	return row->code;
}

/* Runs the program for the complete message in the spool and replies. */
int
deliver_run(struct session *s, char *status, size_t len)
{
	struct capture c;
	pid_t pid;
	int outfd, errfd, rc, wstatus;

	/* No reply may wait behind the delivery (RFC 2920 3.1). */
	(void)iobuf_flush(s);
	memset(&c, 0, sizeof(c));
	c.id = s->tx.id;
	if ((rc = deliver_spawn(s, &pid, &outfd, &errfd)) != 0) {
		errno = rc;
		log_warn("event=exec-failed id=%s program=%s", s->tx.id,
		    s->conf->argv[0]);
		(void)snprintf(status, len, "exec-failed");
		reply_result(s, exit_temp.code, exit_temp.esc, exit_temp.text);
		return exit_temp.code;
	}
	wstatus = deliver_wait(s, pid, outfd, errfd, &c, status, len);
	return deliver_reply(s, wstatus, &c);
}
