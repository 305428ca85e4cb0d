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

SRCS = src/main.c src/conf.c src/log.c src/iobuf.c src/reply.c src/cmd.c \
    src/addr.c src/session.c src/data.c src/spool.c src/received.c \
    src/peer.c src/deliver.c src/sig.c
# The fuzz target links the engine without main() and the real delivery.
FUZZ_SRCS = src/conf.c src/log.c src/iobuf.c src/reply.c src/cmd.c \
    src/addr.c src/session.c src/data.c src/spool.c src/received.c \
    src/peer.c src/sig.c tests/fuzz/fuzz_session.c
FUZZ_SECONDS = 60
SANITIZE = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
    -fno-omit-frame-pointer

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

# Developer checks (CI runs them all): sanitizers, valgrind, analysers, fuzzing.
smtpexec-asan: $(SRCS) src/smtpexec.h
	$(CC) $(SANITIZE) $(WARN) $(WERROR) $(CPPFLAGS) -o $@ $(SRCS)

check-asan: smtpexec-asan
	SMTPEXEC=$$PWD/smtpexec-asan UNIT_ONLY=1 sh tests/run

check-valgrind: smtpexec
	sh tests/valgrind-check

analyze:
	cppcheck --quiet --enable=warning,portability --error-exitcode=1 \
	    --inline-suppr $(CPPFLAGS) src
	for f in $(SRCS); do \
	    gcc -fanalyzer $(WARN) -Werror $(CPPFLAGS) -c -o /dev/null $$f || exit 1; \
	done

tests/fuzz/fuzz_session: $(FUZZ_SRCS) src/smtpexec.h
	clang $(SANITIZE) -fsanitize=fuzzer $(CPPFLAGS) -o $@ $(FUZZ_SRCS)

fuzz: tests/fuzz/fuzz_session
	mkdir -p tests/fuzz/work
	tests/fuzz/fuzz_session -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -artifact_prefix=tests/fuzz/crash- tests/fuzz/work tests/fuzz/corpus

install: smtpexec
	mkdir -p $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(MANDIR)/man8
	install -m 0755 smtpexec $(DESTDIR)$(PREFIX)/sbin/smtpexec
	install -m 0644 man/smtpexec.8 $(DESTDIR)$(MANDIR)/man8/smtpexec.8

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/smtpexec $(DESTDIR)$(MANDIR)/man8/smtpexec.8

clean:
	rm -f smtpexec smtpexec-asan tests/fuzz/fuzz_session $(OBJS)

.PHONY: all check check-asan check-valgrind analyze fuzz demo install uninstall \
    clean
