#!/usr/bin/env bats
# The session as a whole: timeouts, SIGTERM, a client that goes away, and
# the state smtpexec may inherit from its launcher (closed or extra
# descriptors, ignored or blocked signals).

load helper

# --- helpers local to this file ------------------------------------------

# prog NAME: writes stdin into the executable $BATS_TEST_TMPDIR/NAME.
prog() {
	cat > "$BATS_TEST_TMPDIR/$1"
	chmod +x "$BATS_TEST_TMPDIR/$1"
}

# wait_for FILE: waits (at most 5 s) until FILE exists.
wait_for() {
	local i
	for ((i = 0; i < 250; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.02
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# has_reply TEXT: a reply line starts with TEXT.
has_reply() {
	printf '%s\n' "$REPLIES" | grep -q "^$1"
}

teardown() {
	local f
	[ -z "${PID:-}" ] || kill -KILL "$PID" 2>/dev/null || true
	[ -z "${WRITER:-}" ] || kill -KILL "$WRITER" 2>/dev/null || true
	for f in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$f" ] || continue
		kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
}

# --- timeouts --------------------------------------------------------------

@test "--timeout=1 with a client that sends nothing gets 421 4.4.2 and exit 2" {
	start --timeout=1 -- "$SPY"
	expect '^220 '
	send 'EHLO client.example.net'
	expect '^250 '
	SECONDS=0
	finish
	[ "$ST" -eq 2 ]
	[ "$SECONDS" -le 3 ]
	printf '%s\n' "$REPLIES" | tail -n 1 | grep -q '^421 4\.4\.2 '
}

@test "--timeout=1 in the middle of DATA gets 421 4.4.2, exit 2 and no delivery" {
	start --timeout=1 -- "$SPY"
	send "${ENVELOPE[@]}"
	expect '^354 '
	send 'Subject: incomplete' '' 'a line'
	SECONDS=0
	finish
	[ "$ST" -eq 2 ]
	[ "$SECONDS" -le 3 ]
	has_reply '421 4\.4\.2 '
	[ "$(delivered)" = 0 ]
}

@test "--session-timeout ends a session that trickles NOOPs with 421 4.4.2 and exit 2" {
	local fin=$BATS_TEST_TMPDIR/trickle
	mkfifo "$fin"
	(
		printf 'EHLO client.example.net\r\n'
		for i in $(seq 50); do
			printf 'NOOP\r\n' || exit 0
			sleep 0.1
		done
	) > "$fin" 3>&- 2>/dev/null &
	WRITER=$!
	SECONDS=0
	run -2 --separate-stderr "$SMTPEXEC" --hostname=mx.example.org \
	    --timeout=5 --session-timeout=1 -- "$SPY" < "$fin"
	elapsed=$SECONDS
	[ "$elapsed" -le 3 ]
	# NOOPs were answered before the session timed out
	printf '%s\n' "$output" | tr -d '\r' | grep -q '^250 2\.0\.0 '
	[ "$(codes | tail -n 1)" = '421 4.4.2' ]
}

# --- SIGTERM ---------------------------------------------------------------

@test "SIGTERM while waiting for a command gets 421 4.3.2 and exit 4" {
	start -- "$SPY"
	send 'EHLO client.example.net'
	expect '^250 '
	kill -TERM "$PID"
	finish
	[ "$ST" -eq 4 ]
	printf '%s\n' "$REPLIES" | tail -n 1 | grep -q '^421 4\.3\.2 '
}

@test "SIGTERM while reading data discards the partial message, 421 4.3.2, exit 4" {
	start -- "$SPY"
	send "${ENVELOPE[@]}"
	expect '^354 '
	send 'Subject: partial' '' 'first half'
	kill -TERM "$PID"
	finish
	[ "$ST" -eq 4 ]
	printf '%s\n' "$REPLIES" | tail -n 1 | grep -q '^421 4\.3\.2 '
	[ "$(delivered)" = 0 ]
}

@test "SIGTERM during a delivery lets the program finish, sends its reply, then 421 4.3.2" {
	export T=$BATS_TEST_TMPDIR
	prog slow <<'EOF'
#!/bin/sh
echo $$ > "$T/slow.pid"
cat > "$T/msg"
: > "$T/started"
i=0	# bounded, and killed by PID in teardown: never left behind
while [ ! -e "$T/go" ] && [ $((i += 1)) -lt 500 ]; do sleep 0.02; done
: > "$T/finished"
exit 0
EOF
	start -- "$BATS_TEST_TMPDIR/slow"
	send "${ENVELOPE[@]}" 'Subject: complete' '' 'body' '.'
	expect '^354 '
	wait_for "$T/started"
	kill -TERM "$PID"
	: > "$T/go"
	finish
	[ "$ST" -eq 4 ]
	[ -e "$T/finished" ]
	grep -qx body "$T/msg"
	# the program's reply, then the shutdown
	[ "$(printf '%s\n' "$REPLIES" | grep -E '^[0-9]{3} ' | tail -n 2 | cut -c1-9)" = \
	    "$(printf '%s\n' '250 2.0.0' '421 4.3.2')" ]
}

@test "SIGTERM during a delivery does not reach the program" {
	export T=$BATS_TEST_TMPDIR
	prog slow <<'EOF'
#!/bin/sh
echo $$ > "$T/slow.pid"
trap 'echo TERM > "$T/got-term"' TERM
cat > /dev/null
: > "$T/started"
i=0	# bounded, and killed by PID in teardown: never left behind
while [ ! -e "$T/go" ] && [ $((i += 1)) -lt 500 ]; do sleep 0.02; done
exit 0
EOF
	start -- "$BATS_TEST_TMPDIR/slow"
	send "${ENVELOPE[@]}" 'body' '.'
	expect '^354 '
	wait_for "$T/started"
	kill -TERM "$PID"
	: > "$T/go"
	finish
	[ "$ST" -eq 4 ]
	[ ! -e "$T/got-term" ]
}

# --- a client that goes away -----------------------------------------------

@test "a client gone after the end of data: the program still runs and its status is logged" {
	export T=$BATS_TEST_TMPDIR
	prog slow <<'EOF'
#!/bin/sh
echo $$ > "$T/slow.pid"
cat > /dev/null
: > "$T/started"
i=0	# bounded, and killed by PID in teardown: never left behind
while [ ! -e "$T/go" ] && [ $((i += 1)) -lt 500 ]; do sleep 0.02; done
: > "$T/finished"
exit 67
EOF
	start --log=stderr -- "$BATS_TEST_TMPDIR/slow"
	send "${ENVELOPE[@]}" 'Subject: complete' '' 'body' '.'
	exec {W}>&-
	expect '^354 '
	wait_for "$T/started"
	# the client closes both directions while the program runs
	exec {R}<&-
	R=
	: > "$T/go"
	finish
	[ -e "$T/finished" ]
	[ "$ST" -eq 1 ]
	grep -E 'event=message.*status=exit:67' "$ERR"
}

@test "a client that has closed its side makes smtpexec exit 1, not die of SIGPIPE" {
	transcript "${ENVELOPE[@]}" 'body' '.' 'QUIT'
	export IN
	run python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdin=open(os.environ["IN"]), stdout=w,
                   stderr=subprocess.DEVNULL)
print(p.returncode)' "$SMTPEXEC" --hostname=mx.example.org -- "$SPY"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "a client gone in the middle of DATA gets no delivery" {
	start -- "$SPY"
	send "${ENVELOPE[@]}" 'Subject: cut' '' 'half a message'
	expect '^354 '
	exec {W}>&-
	finish
	[ "$ST" -eq 1 ]
	[ "$(delivered)" = 0 ]
}

# --- what the launcher leaves behind ---------------------------------------

@test "started with fd 2 closed it works and logs nothing into the message" {
	transcript "${ENVELOPE[@]}" 'Subject: one' '' 'first' '.' 'BOGUS' \
	    'MAIL FROM:<alice@example.net>' 'RCPT TO:<bob@example.org>' 'DATA' \
	    'Subject: two' '' 'second' '.' 'QUIT'
	export SPY_STDERR='program-stderr-marker'
	st=0
	# the program notes what smtpexec's own fd 2 is: /dev/null, so that
	# no spool file can take that number and receive log lines
	"$SMTPEXEC" --hostname=mx.example.org --no-received --log=stderr -- \
	    sh -c 'readlink "/proc/$PPID/fd/2" > "$0"; exec "$@"' \
	    "$BATS_TEST_TMPDIR/parentfd2" "$SPY" \
	    < "$IN" > "$BATS_TEST_TMPDIR/out" 2>&- || st=$?
	output=$(cat "$BATS_TEST_TMPDIR/out")
	[ "$st" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/parentfd2")" = /dev/null ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '500 5.5.2' \
	    '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(cat "$SPY_DIR/1/msg")" = "$(printf 'Subject: one\n\nfirst')" ]
	[ "$(cat "$SPY_DIR/2/msg")" = "$(printf 'Subject: two\n\nsecond')" ]
	[ "$(wc -c < "$SPY_DIR/1/msg")" -eq 20 ]
	[ "$(wc -c < "$SPY_DIR/2/msg")" -eq 21 ]
}

@test "started with fd 2 closed the program's stderr is /dev/null" {
	prog fd2 <<EOF
#!/usr/bin/env python3
import os, sys
try:
    t = os.readlink("/proc/self/fd/2")
except OSError:
    t = "closed"
with open("$BATS_TEST_TMPDIR/fd2", "w") as f:
    f.write(t + "\\n")
sys.stdin.read()
EOF
	transcript "${ENVELOPE[@]}" 'body' '.' 'QUIT'
	st=0
	"$SMTPEXEC" --hostname=mx.example.org --log=stderr -- "$BATS_TEST_TMPDIR/fd2" \
	    < "$IN" > "$BATS_TEST_TMPDIR/out" 2>&- || st=$?
	output=$(cat "$BATS_TEST_TMPDIR/out")
	[ "$st" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(cat "$BATS_TEST_TMPDIR/fd2")" = /dev/null ]
}

@test "started with extra open descriptors the program still sees only 0, 1 and 2" {
	prog fdlist <<EOF
#!/usr/bin/env python3
import os, sys
fds = []
for fd in range(0, 1024):
    try:
        os.fstat(fd)
        fds.append(str(fd))
    except OSError:
        pass
with open("$BATS_TEST_TMPDIR/fds", "w") as f:
    f.write(" ".join(fds) + "\n")
sys.stdin.read()
EOF
	transcript "${ENVELOPE[@]}" 'body' '.' 'QUIT'
	run --separate-stderr "$SMTPEXEC" --hostname=mx.example.org \
	    -- "$BATS_TEST_TMPDIR/fdlist" < "$IN" 3< "$IN" 4>> "$BATS_TEST_TMPDIR/extra" \
	    9< /dev/null 200< /dev/null
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(cat "$BATS_TEST_TMPDIR/fds")" = '0 1 2' ]
}

@test "started with SIGCHLD ignored the delivery still gets the program's exit status" {
	export SPY_EXIT=67
	transcript "${ENVELOPE[@]}" 'body' '.' 'QUIT'
	# a lost exit status would otherwise wait for the delivery timeout
	run --separate-stderr timeout -s KILL 20 env --ignore-signal=CHLD "$SMTPEXEC" \
	    --hostname=mx.example.org --delivery-timeout=2 -- "$SPY" < "$IN"
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '550 5.1.1' '221 2.0.0'
}

@test "started with SIGCHLD ignored a successful delivery gets 250" {
	transcript "${ENVELOPE[@]}" 'body' '.' 'QUIT'
	# a lost exit status would otherwise wait for the delivery timeout
	run --separate-stderr timeout -s KILL 20 env --ignore-signal=CHLD "$SMTPEXEC" \
	    --hostname=mx.example.org --delivery-timeout=2 -- "$SPY" < "$IN"
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
}

@test "started with SIGPIPE ignored the session works" {
	transcript "${ENVELOPE[@]}" 'body' '.' 'QUIT'
	run --separate-stderr timeout -s KILL 20 env --ignore-signal=PIPE "$SMTPEXEC" \
	    --hostname=mx.example.org -- "$SPY" < "$IN"
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" = 1 ]
}

@test "started with SIGPIPE blocked the session works" {
	transcript "${ENVELOPE[@]}" 'body' '.' 'QUIT'
	run --separate-stderr timeout -s KILL 20 env --block-signal=PIPE "$SMTPEXEC" \
	    --hostname=mx.example.org -- "$SPY" < "$IN"
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" = 1 ]
}

@test "the program starts with no signal ignored or blocked, whatever smtpexec inherited" {
	transcript "${ENVELOPE[@]}" 'body' '.' 'QUIT'
	# awk, unlike a shell, leaves its inherited signal state alone
	run --separate-stderr timeout -s KILL 20 env --ignore-signal=PIPE,CHLD,HUP,INT,XFSZ \
	    --block-signal=PIPE,TERM,USR1,ALRM "$SMTPEXEC" --hostname=mx.example.org \
	    -- awk -v out="$BATS_TEST_TMPDIR/sig" 'BEGIN {
		while ((getline l < "/proc/self/status") > 0)
			if (l ~ /^Sig(Ign|Blk):/) print l > out
		exit 0
	    }' '{sender}' < "$IN"
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "$BATS_TEST_TMPDIR/sig")
	ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' "$BATS_TEST_TMPDIR/sig")
	[ -n "$blk" ] && [ -n "$ign" ]
	# Signals 32 and 33 (bits 31 and 32) are glibc's internal ones
	# (SIGCANCEL, SIGSETXID): glibc's posix_spawn leaves them ignored in
	# the child whatever POSIX_SPAWN_SETSIGDEF says and no program can
	# use them, so they are not checked.
	(( (0x$blk & ~0x180000000) == 0 ))
	(( (0x$ign & ~0x180000000) == 0 ))
}

# --- large messages --------------------------------------------------------

@test "a 3 MB message to a program that exits without reading stdin still gets the program's reply" {
	prog noread <<'EOF'
#!/bin/sh
echo '5.2.2 Mailbox full'
exit 67
EOF
	line=$(printf 'x%.0s' $(seq 76))
	{
		printf '%s\r\n' "${ENVELOPE[@]}" 'Subject: big' ''
		yes "$line" | head -n 40000 | sed 's/$/\r/'
		printf '.\r\nQUIT\r\n'
	} > "$IN"
	[ "$(wc -c < "$IN")" -gt 3000000 ]
	run --separate-stderr timeout -s KILL 20 "$SMTPEXEC" --hostname=mx.example.org \
	    -- "$BATS_TEST_TMPDIR/noread" < "$IN"
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '550 5.2.2' '221 2.0.0'
}

@test "a 3 MB message to a program that exits 0 without reading stdin gets 250" {
	prog noread <<'EOF'
#!/bin/sh
exit 0
EOF
	line=$(printf 'y%.0s' $(seq 76))
	{
		printf '%s\r\n' "${ENVELOPE[@]}" 'Subject: big' ''
		yes "$line" | head -n 40000 | sed 's/$/\r/'
		printf '.\r\nQUIT\r\n'
	} > "$IN"
	run --separate-stderr timeout -s KILL 20 "$SMTPEXEC" --hostname=mx.example.org \
	    -- "$BATS_TEST_TMPDIR/noread" < "$IN"
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
}

@test "a client that reads no replies for --timeout is dropped with exit 2 (a blocked write is a timeout)" {
	local fout=$BATS_TEST_TMPDIR/unread
	mkfifo "$fout"
	exec 8<>"$fout"		# a reader that never reads: the pipe fills up
	{ printf 'EHLO client.example.net\r\n'; yes NOOP | head -n 20000 |
	    sed 's/$/\r/'; } > "$IN"
	run timeout -s KILL 10 bash -c '"$1" --hostname=mx.example.org \
	    --timeout=1 --junk-limit=1000000 -- "$2" < "$3" > "$4"' _ \
	    "$SMTPEXEC" "$SPY" "$IN" "$fout"
	exec 8<&-
	[ "$status" -eq 2 ]
	[[ $output == *'event=write-timeout'* ]]
	[[ $output == *'reason=timeout'* ]]
}

@test "under inetd (fd 2 is the client's socket) a usage error never reaches the client" {
	run python3 - "$SMTPEXEC" <<'PY'
import socket, subprocess, sys
ours, theirs = socket.socketpair()
p = subprocess.Popen([sys.argv[1], "--no-such-option", "--", "true"],
    stdin=theirs, stdout=theirs, stderr=theirs)
theirs.close()
rc = p.wait(timeout=10)
ours.settimeout(5)
data = ours.recv(4096)
print("rc=%d bytes=%d" % (rc, len(data)))
PY
	[ "$status" -eq 0 ]
	[ "$output" = 'rc=64 bytes=0' ]
}
