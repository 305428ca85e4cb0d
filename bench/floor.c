/*
 * bench/floor.c: the benchmark's small helpers, one binary, chosen by the
 * first argument (or by its own name for "drain"):
 *
 *   floor transcript OUT NMSG SIZE [SEED]
 *	writes one SMTP session to OUT: EHLO, then NMSG times MAIL, RCPT,
 *	DATA and a dot-stuffed message of about SIZE octets of realistic
 *	text (lines of about 76 characters, some starting with "."), then
 *	QUIT. Deterministic: the same arguments give the same bytes.
 *   floor copy FILE DIR
 *	the floor of scenario 1: copies FILE once into an unlinked file in
 *	DIR (the spool's file system) in large blocks, then reads it back
 *	once. The work a handler cannot avoid for one big message.
 *   floor spawn [-i IN] [-o OUT] N PROGRAM [ARG ...]
 *	runs PROGRAM N times one after the other with posix_spawn (as
 *	smtpexec does), stdin from IN (opened afresh for each run; default
 *	/dev/null), stdout appended to OUT (default /dev/null); exits 1
 *	when any run did not exit 0. The floor of scenarios 2 and 3, and
 *	the driver of scenario 3's separate sessions.
 *   drain [ignored ...]
 *	reads stdin to its end and exits 0: the delivery program that
 *	discards the message.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define BLOCK	(128 * 1024)

static char block[BLOCK];

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

static int
drain(void)
{
	ssize_t n;

	while ((n = read(0, block, sizeof(block))) != 0)
		if (n == -1 && errno != EINTR)
			return 1;
	return 0;
}

/* A small LCG: deterministic and the same everywhere. */
static uint32_t seed = 12345;

static uint32_t
rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) & 0xffffff;
}

static const char *const words[] = {
	"the", "of", "and", "to", "in", "is", "that", "for", "it", "as",
	"was", "with", "be", "by", "on", "not", "he", "this", "are", "or",
	"message", "delivery", "server", "program", "session", "recipient",
	"sender", "mailbox", "transport", "queue", "benchmark", "floor",
	"quarterly", "report", "meeting", "tomorrow", "attached", "please",
	"regards", "thanks", "schedule", "budget", "project", "update",
	"customer", "invoice", "payment", "review", "draft", "version",
	"Monday", "Tuesday", "office", "network", "address", "example",
	"information", "available", "following", "important", "question",
};
#define NWORDS	(sizeof(words) / sizeof(words[0]))

/* One text line of about 76 characters into buf (no line ending). */
static size_t
text_line(char *buf)
{
	size_t len = 0, target = 68 + rnd() % 10, w;
	uint32_t r = rnd() % 40;

	if (r == 0)
		buf[len++] = '.';		/* ".word ..." */
	else if (r == 1) {
		memcpy(buf, "... ", 4);		/* an ellipsis */
		len = 4;
	} else if (r == 2) {
		buf[0] = '.';			/* a lone dot */
		return 1;
	}
	while (len < target) {
		w = rnd() % NWORDS;
		if (len > 0 && buf[len - 1] != '.' && buf[len - 1] != ' ')
			buf[len++] = ' ';
		memcpy(buf + len, words[w], strlen(words[w]));
		len += strlen(words[w]);
	}
	return len;
}

static void
out(FILE *f, const char *p, size_t n)
{
	if (fwrite(p, 1, n, f) != n)
		die("write");
}

/* One message of about size octets (as the program gets it), stuffed. */
static void
message(FILE *f, unsigned long n, unsigned long size)
{
	char line[256];
	size_t len;
	unsigned long done = 0;
	int hdr;

	hdr = snprintf(line, sizeof(line),
	    "From: Bench Sender <sender@example.org>\r\n"
	    "To: Bench Recipient <rcpt@example.org>\r\n"
	    "Subject: benchmark message %lu\r\n"
	    "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n", n);
	out(f, line, (size_t)hdr);
	done += (unsigned long)hdr;
	hdr = snprintf(line, sizeof(line),
	    "Message-ID: <%lu.bench@example.org>\r\n\r\n", n);
	out(f, line, (size_t)hdr);
	done += (unsigned long)hdr;
	while (done < size) {
		len = text_line(line);
		if (line[0] == '.')
			out(f, ".", 1);		/* dot-stuffing, RFC 5321 4.5.2 */
		line[len++] = '\r';
		line[len++] = '\n';
		out(f, line, len);
		done += len;
	}
	out(f, ".\r\n", 3);
}

static int
transcript(int argc, char **argv)
{
	unsigned long nmsg, size, i;
	FILE *f;

	if (argc < 5)
		return 64;
	nmsg = strtoul(argv[3], NULL, 10);
	size = strtoul(argv[4], NULL, 10);
	if (argc > 5)
		seed = (uint32_t)strtoul(argv[5], NULL, 10);
	if ((f = fopen(argv[2], "w")) == NULL)
		die(argv[2]);
	setvbuf(f, NULL, _IOFBF, BLOCK);
	fputs("EHLO client.example.org\r\n", f);
	for (i = 0; i < nmsg; i++) {
		fputs("MAIL FROM:<sender@example.org>\r\n"
		    "RCPT TO:<rcpt@example.org>\r\n"
		    "DATA\r\n", f);
		message(f, i, size);
	}
	fputs("QUIT\r\n", f);
	if (fclose(f) != 0)
		die(argv[2]);
	return 0;
}

static int
copy(int argc, char **argv)
{
	int in, sp;
	ssize_t n, w, off;

	if (argc != 4)
		return 64;
	if ((in = open(argv[2], O_RDONLY)) == -1)
		die(argv[2]);
	if ((sp = open(argv[3], O_TMPFILE | O_RDWR, 0600)) == -1)
		die(argv[3]);
	while ((n = read(in, block, sizeof(block))) != 0) {
		if (n == -1)
			die("read");
		for (off = 0; off < n; off += w)
			if ((w = write(sp, block + off, (size_t)(n - off))) <= 0)
				die("write");
	}
	if (lseek(sp, 0, SEEK_SET) == -1)
		die("lseek");
	while ((n = read(sp, block, sizeof(block))) != 0)
		if (n == -1)
			die("read");
	close(sp);
	close(in);
	return 0;
}

static int
spawn(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	const char *in = "/dev/null", *outp = "/dev/null";
	long i, n, failed = 0;
	int o, st, c;
	pid_t pid;

	optind = 2;
	while ((c = getopt(argc, argv, "+i:o:")) != -1) {
		if (c == 'i')
			in = optarg;
		else if (c == 'o')
			outp = optarg;
		else
			return 64;
	}
	if (argc - optind < 2)
		return 64;
	n = strtol(argv[optind], NULL, 10);
	argv += optind + 1;
	if ((o = open(outp, O_WRONLY | O_CREAT | O_APPEND, 0644)) == -1)
		die(outp);
	for (i = 0; i < n; i++) {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, o, 1);
		if ((errno = posix_spawn(&pid, argv[0], &fa, NULL, argv,
		    environ)) != 0)
			die(argv[0]);
		posix_spawn_file_actions_destroy(&fa);
		while (waitpid(pid, &st, 0) == -1)
			if (errno != EINTR)
				die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	if (failed > 0) {
		fprintf(stderr, "floor spawn: %ld of %ld runs of %s failed\n",
		    failed, n, argv[0]);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');

	name = name != NULL ? name + 1 : argv[0];
	if (strcmp(name, "drain") == 0)
		return drain();
	if (argc > 1 && strcmp(argv[1], "transcript") == 0)
		return transcript(argc, argv);
	if (argc > 1 && strcmp(argv[1], "copy") == 0)
		return copy(argc, argv);
	if (argc > 1 && strcmp(argv[1], "spawn") == 0)
		return spawn(argc, argv);
	fprintf(stderr, "usage: floor transcript|copy|spawn ...\n");
	return 64;
}
