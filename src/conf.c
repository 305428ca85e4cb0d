/*
 * Command line: long options, defaults, validation, usage. A usage
 * error exits 64 (EX_USAGE) with a message on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "smtpexec.h"

#define TIMEOUT_MAX	1000000U
#define JUNK_MAX	1000000U

enum {
	OPT_HOSTNAME = 256, OPT_MAX_SIZE, OPT_MAX_RCPTS, OPT_TIMEOUT,
	OPT_SESSION_TIMEOUT, OPT_JUNK_LIMIT, OPT_DELIVERY_TIMEOUT, OPT_DOMAIN,
	OPT_NO_RECEIVED, OPT_CRLF, OPT_LOG, OPT_VERSION, OPT_HELP
};

static const struct option options[] = {
	{ "hostname",		required_argument, NULL, OPT_HOSTNAME },
	{ "max-size",		required_argument, NULL, OPT_MAX_SIZE },
	{ "max-recipients",	required_argument, NULL, OPT_MAX_RCPTS },
	{ "timeout",		required_argument, NULL, OPT_TIMEOUT },
	{ "session-timeout",	required_argument, NULL, OPT_SESSION_TIMEOUT },
	{ "junk-limit",		required_argument, NULL, OPT_JUNK_LIMIT },
	{ "delivery-timeout",	required_argument, NULL, OPT_DELIVERY_TIMEOUT },
	{ "domain",		required_argument, NULL, OPT_DOMAIN },
	{ "no-received",	no_argument,	   NULL, OPT_NO_RECEIVED },
	{ "crlf",		no_argument,	   NULL, OPT_CRLF },
	{ "log",		required_argument, NULL, OPT_LOG },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ NULL,			0,		   NULL, 0 }
};

static const char usage_text[] =
    "usage: smtpexec [--crlf] [--delivery-timeout=seconds] [--domain=domain]\n"
    "                [--hostname=name] [--junk-limit=n]\n"
    "                [--log=stderr|syslog|none] [--max-recipients=n]\n"
    "                [--max-size=bytes] [--no-received]\n"
    "                [--session-timeout=seconds] [--timeout=seconds]\n"
    "                [--] program [argument ...]\n"
    "       smtpexec --help | --version\n";

/* fd 2 is the client's socket: a usage error goes to syslog instead. */
static int	conf_quiet;

static void	conf_fail(const char *, const char *)
		    __attribute__((noreturn));
static uint64_t	conf_number(const char *, const char *, uint64_t, uint64_t);
static void	conf_hostname(struct conf *);

void
conf_usage(int status)
{
	(void)fputs(usage_text, status == 0 ? stdout : stderr);
	exit(status);
}

static void
conf_fail(const char *what, const char *value)
{
	if (conf_quiet) {
		openlog("smtpexec", LOG_PID, LOG_MAIL);
		syslog(LOG_ERR, "event=usage-error what=\"%s\"", what);
		exit(EXIT_USAGE);
	}
	(void)fprintf(stderr, "smtpexec: %s: %s\n", what, value);
	conf_usage(EXIT_USAGE);
}

/* Decimal digits only: strtoull would take signs, spaces and hex. */
static uint64_t
conf_number(const char *name, const char *s, uint64_t min, uint64_t max)
{
	char what[64];
	uint64_t n = 0;
	const char *p;

	(void)snprintf(what, sizeof(what), "--%s must be a number from %"
	    PRIu64 " to %" PRIu64, name, min, max);
	if (*s == '\0')
		conf_fail(what, "(empty)");
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n > (UINT64_MAX - 9) / 10)
			conf_fail(what, s);
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (n < min || n > max)
		conf_fail(what, s);
	return n;
}

static void
conf_hostname(struct conf *conf)
{
	static char name[SMTP_DOMAIN_MAX + 1];

	if (gethostname(name, sizeof(name)) == -1 ||
	    (name[sizeof(name) - 1] = '\0', !addr_valid_helo(name))) {
		conf->hostname = "localhost";
		return;
	}
	conf->hostname = name;
}

void
conf_parse(struct conf *conf, int argc, char **argv, int fd2_is_client)
{
	int ch;

	memset(conf, 0, sizeof(*conf));
	conf->fd2_is_client = conf_quiet = fd2_is_client;
	conf->max_size = 26214400;
	conf->max_rcpts = SMTP_RCPT_MIN;
	conf->timeout = 300;
	conf->session_timeout = 3600;
	conf->junk_limit = 100;
	conf->delivery_timeout = 300;
	conf->received = 1;
	conf->log = LOG_SINK_AUTO;
	if ((conf->domains = calloc(argc, sizeof(char *))) == NULL) {
		if (!conf_quiet)
			perror("smtpexec");
		exit(EXIT_OSERR);
	}

	/* "+": stop at the program, whose own options are not ours. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:", options, NULL)) != -1) {
		switch (ch) {
		case OPT_HOSTNAME:
			if (!addr_valid_helo(optarg))
				conf_fail("--hostname is not a valid host name",
				    optarg);
			conf->hostname = optarg;
			break;
		case OPT_MAX_SIZE:
			conf->max_size = conf_number("max-size", optarg, 0,
			    INT64_MAX);
			break;
		case OPT_MAX_RCPTS:
			conf->max_rcpts = (unsigned int)conf_number(
			    "max-recipients", optarg, 1, SMTP_RCPT_LIMIT);
			break;
		case OPT_TIMEOUT:
			conf->timeout = (unsigned int)conf_number("timeout",
			    optarg, 1, TIMEOUT_MAX);
			break;
		case OPT_SESSION_TIMEOUT:
			conf->session_timeout = (unsigned int)conf_number(
			    "session-timeout", optarg, 1, TIMEOUT_MAX);
			break;
		case OPT_JUNK_LIMIT:
			conf->junk_limit = (unsigned int)conf_number(
			    "junk-limit", optarg, 0, JUNK_MAX);
			break;
		case OPT_DELIVERY_TIMEOUT:
			conf->delivery_timeout = (unsigned int)conf_number(
			    "delivery-timeout", optarg, 1, TIMEOUT_MAX);
			break;
		case OPT_DOMAIN:
			if (!addr_valid_domain(optarg, strlen(optarg), 1))
				conf_fail("--domain is not a valid domain",
				    optarg);
			conf->domains[conf->ndomains++] = optarg;
			break;
		case OPT_NO_RECEIVED:
			conf->received = 0;
			break;
		case OPT_CRLF:
			conf->crlf = 1;
			break;
		case OPT_LOG:
			if (strcmp(optarg, "stderr") == 0)
				conf->log = LOG_SINK_STDERR;
			else if (strcmp(optarg, "syslog") == 0)
				conf->log = LOG_SINK_SYSLOG;
			else if (strcmp(optarg, "none") == 0)
				conf->log = LOG_SINK_NONE;
			else
				conf_fail("--log must be stderr, syslog or none",
				    optarg);
			break;
		case OPT_VERSION:
			(void)printf("smtpexec %s\n", SMTPEXEC_VERSION);
			exit(0);
		case OPT_HELP:
			conf_usage(0);
		case ':':
			conf_fail("option needs a value", argv[optind - 1]);
		default:
			conf_fail("unknown option", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		conf_fail("missing", "program");
	conf->argv = argv + optind;
	if (conf->hostname == NULL)
		conf_hostname(conf);
	conf->relayclient = getenv("RELAYCLIENT") != NULL;
}
