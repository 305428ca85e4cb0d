/*
 * Signals and descriptors at start: dispositions back to default, a
 * self-pipe that wakes poll() on SIGTERM and SIGCHLD, fds 0-2 ensured.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpexec.h"

#define SIG_LAST	64	/* covers the real-time signals too */

volatile sig_atomic_t sig_term;
static int sig_pipe[2] = { -1, -1 };

static void	sig_handler(int);
static int	fd_setflags(int, int, int);

static void
sig_handler(int sig)
{
	int saved = errno;

	if (sig == SIGTERM)
		sig_term = 1;
	/* Wake whoever sits in poll(); a full pipe already wakes it. */
	(void)write(sig_pipe[1], "", 1);
	errno = saved;
}

static int
fd_setflags(int fd, int getcmd, int flag)
{
	int setcmd = getcmd == F_GETFD ? F_SETFD : F_SETFL;
	int flags;

	if ((flags = fcntl(fd, getcmd)) == -1)
		return -1;
	return fcntl(fd, setcmd, flags | flag);
}

/*
 * Launchers leave odd dispositions behind (an ignored SIGCHLD breaks
 * waitpid), so reset every signal before catching the few we need.
 */
int
sig_init(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig, i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig <= SIG_LAST; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		return -1;

	if (pipe(sig_pipe) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if (fd_setflags(sig_pipe[i], F_GETFD, FD_CLOEXEC) == -1 ||
		    fd_setflags(sig_pipe[i], F_GETFL, O_NONBLOCK) == -1)
			return -1;

	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigaction(SIGXFSZ, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = sig_handler;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGALRM, &sa, NULL) == -1 ||
	    sigaction(SIGCHLD, &sa, NULL) == -1)
		return -1;
	return 0;
}

int
sig_fd(void)
{
	return sig_pipe[0];
}

void
sig_drain(void)
{
	char buf[64];

	while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/*
 * A closed fd 0-2 would be reused by the spool, and log lines would land
 * in a message; every inherited fd from 3 up must not reach the program.
 * /proc/self/fd names them all; RLIMIT_NOFILE can be a million.
 */
void
fd_init(void)
{
	struct dirent *de;
	DIR *dir;
	long fd, max;
	char *end;
	int i, null;

	for (i = 0; i <= 2; i++) {
		if (fcntl(i, F_GETFD) != -1)
			continue;
		null = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
		if (null != -1 && null != i) {
			(void)dup2(null, i);
			(void)close(null);
		}
	}

	if ((dir = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			fd = strtol(de->d_name, &end, 10);
			if (*end != '\0' || end == de->d_name || fd < 3 ||
			    fd == dirfd(dir))
				continue;
			(void)fd_setflags((int)fd, F_GETFD, FD_CLOEXEC);
		}
		(void)closedir(dir);
		return;
	}
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		(void)fd_setflags((int)fd, F_GETFD, FD_CLOEXEC);
}
