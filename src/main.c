/*
 * smtpexec: parse the options, settle descriptors, signals and the log
 * sink, then run the one SMTP session.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpexec.h"

static int	fd2_is_client(void);

/* Under inetd and xinetd fd 2 is the connection itself. */
static int
fd2_is_client(void)
{
	struct stat st0, st2;

	if (fstat(0, &st0) == -1 || fstat(2, &st2) == -1)
		return 0;
	return S_ISSOCK(st0.st_mode) && st0.st_dev == st2.st_dev &&
	    st0.st_ino == st2.st_ino;
}

int
main(int argc, char *argv[])
{
	struct conf conf;

	fd_init();
	conf_parse(&conf, argc, argv, fd2_is_client());
	if (conf.log == LOG_SINK_AUTO)
		conf.log = conf.fd2_is_client ? LOG_SINK_SYSLOG :
		    LOG_SINK_STDERR;
	log_init(conf.log == LOG_SINK_STDERR && conf.fd2_is_client ?
	    LOG_SINK_NONE : conf.log);
	if (sig_init() == -1) {
		log_warn("event=fatal what=signals");
		return EXIT_OSERR;
	}
	if (strchr(conf.hostname, '.') == NULL)
		log_warnx("event=warning hostname=%s what=no-dot-in-hostname",
		    conf.hostname);
	session_run(&conf);
	return EXIT_OSERR;
}
