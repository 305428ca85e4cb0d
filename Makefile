.POSIX:
.SUFFIXES:

CC = cc
CFLAGS = -O2 -g
WARN = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wpointer-arith -Wcast-qual \
    -Wstrict-prototypes -Wmissing-prototypes
WERROR =
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
LDFLAGS =
PREFIX = /usr/local
MANDIR = $(PREFIX)/share/man

OBJS = src/main.o src/conf.o src/log.o src/iobuf.o src/reply.o src/cmd.o \
    src/addr.o src/session.o src/data.o src/spool.o src/received.o \
    src/peer.o src/deliver.o src/sig.o

all: smtpexec

smtpexec: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS)

$(OBJS): src/smtpexec.h

.SUFFIXES: .c .o
.c.o:
	$(CC) $(CFLAGS) $(WARN) $(WERROR) $(CPPFLAGS) -c -o $@ $<

check: smtpexec
	sh tests/run

demo: smtpexec
	sh examples/demo.sh

install: smtpexec
	mkdir -p $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(MANDIR)/man8
	install -m 0755 smtpexec $(DESTDIR)$(PREFIX)/sbin/smtpexec
	install -m 0644 man/smtpexec.8 $(DESTDIR)$(MANDIR)/man8/smtpexec.8

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/smtpexec $(DESTDIR)$(MANDIR)/man8/smtpexec.8

clean:
	rm -f smtpexec $(OBJS)

.PHONY: all check demo install uninstall clean
