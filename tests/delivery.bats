#!/usr/bin/env bats
# The delivery interface (issue 2, "The interface"): how the program is
# run (arguments, environment, stdin, descriptors), how its exit status
# and first stdout line become the one reply to the end of data, and
# where its stdout and stderr go.

load helper

# --- helpers local to this file ------------------------------------------

# prog NAME: writes stdin into the executable $BATS_TEST_TMPDIR/NAME.
prog() {
	cat > "$BATS_TEST_TMPDIR/$1"
	chmod +x "$BATS_TEST_TMPDIR/$1"
}

# message: the usual envelope, a small message, QUIT.
message() {
	transcript "${ENVELOPE[@]}" 'Subject: test' '' 'Hello.' '.' 'QUIT'
}

# data_reply: the reply line that follows the 354.
data_reply() {
	printf '%s\n' "$output" | tr -d '\r' | sed -n '/^354 /{n;p;q;}'
}

# argv N: the arguments of the Nth run of the spy, one a line.
argv() {
	cat "$SPY_DIR/${1:-1}/argv"
}

# Programs that record their environment: $DUMP/VAR for each variable
# that is set (its exact value), nothing for one that is unset.
envdump() {
	export DUMP=$BATS_TEST_TMPDIR/env
	prog envdump <<'EOF'
#!/bin/sh
mkdir -p "$DUMP"
for v in SMTP_SENDER SMTP_RECIPIENTS SMTP_HELO SMTP_REMOTE_IP SMTP_BODY \
    SMTP_UTF8 SMTP_ID LISTEN_FDS LISTEN_PID LISTEN_FDNAMES UNRELATED_VAR; do
	eval "isset=\${$v+x} val=\${$v-}"
	[ -z "$isset" ] || printf '%s' "$val" > "$DUMP/$v"
done
cat > /dev/null
exit 0
EOF
}

# is_set VAR / value VAR: what envdump saw.
is_set() { [ -e "$DUMP/$1" ]; }
value() { cat "$DUMP/$1"; }

# gone PID: the process has exited (no such process, or a zombie).
gone() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

teardown() {
	local f
	for f in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$f" ] || continue
		kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
}

# --- arguments -------------------------------------------------------------

@test "an argument that is exactly {sender} is replaced by the reverse-path without angle brackets" {
	message
	smtp -0 -- "$SPY" -f '{sender}' -x
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(argv)" = "$(printf '%s\n' -f alice@example.net -x)" ]
}

@test "an argument that is exactly {recipients} becomes one argument per accepted recipient in RCPT order" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<zed@example.org>' 'RCPT TO:<bob@example.org>' \
	    'RCPT TO:<amy@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$SPY" --to '{recipients}' --end
	[ "$(argv)" = "$(printf '%s\n' --to zed@example.org bob@example.org amy@example.org --end)" ]
	[ "$(cat "$SPY_DIR/1/argc")" = 5 ]
}

@test "{sender} and {recipients} together are both replaced and nothing is appended" {
	message
	smtp -0 -- "$SPY" '{recipients}' from '{sender}'
	[ "$(argv)" = "$(printf '%s\n' bob@example.org from alice@example.net)" ]
}

@test "with only {recipients} given the sender is not appended" {
	message
	smtp -0 -- "$SPY" '{recipients}'
	[ "$(argv)" = bob@example.org ]
}

@test "with only {sender} given the recipients are not appended" {
	message
	smtp -0 -- "$SPY" '{sender}'
	[ "$(argv)" = alice@example.net ]
}

@test "a placeholder inside a longer argument is left alone" {
	message
	smtp -0 -- "$SPY" 'x{sender}' '{sender}x' '{recipients}=' '{Sender}' '{recipients}'
	[ "$(argv)" = "$(printf '%s\n' 'x{sender}' '{sender}x' '{recipients}=' '{Sender}' bob@example.org)" ]
}

@test "without placeholders the sender and then each recipient are appended after the given arguments" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'RCPT TO:<carol@example.org>' \
	    'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$SPY" -a 'b c'
	[ "$(argv)" = "$(printf '%s\n' -a 'b c' alice@example.net bob@example.org carol@example.org)" ]
	[ "$(cat "$SPY_DIR/1/argc")" = 5 ]
}

@test "arguments after the program name are the program's, not options of smtpexec" {
	message
	run --separate-stderr "$SMTPEXEC" --hostname=mx.example.org "$SPY" \
	    --log=none -x '{sender}' < "$IN"
	[ "$status" -eq 0 ]
	[ "$(argv)" = "$(printf '%s\n' --log=none -x alice@example.net)" ]
}

@test "only accepted recipients reach the program, refused ones do not" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'RCPT TO:<eve@elsewhere.example>' \
	    'RCPT TO:<carol@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 --domain=example.org -- "$SPY" '{recipients}'
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '550 5.7.1' '250 2.1.5' \
	    354 '250 2.0.0' '221 2.0.0'
	[ "$(argv)" = "$(printf '%s\n' bob@example.org carol@example.org)" ]
}

@test "a quoted local part reaches the program as one argument with its quotes (RFC 5321 4.1.2)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<"john doe"@example.org>' \
	    'RCPT TO:<"jane q. public"@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$SPY" '{sender}' '{recipients}'
	[ "$(cat "$SPY_DIR/1/argc")" = 2 ]
	[ "$(argv)" = "$(printf '%s\n' '"john doe"@example.org' '"jane q. public"@example.org')" ]
}

@test "a source route is dropped before the mailbox reaches the program (RFC 5321 4.1.2)" {
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<@relay.example.net:alice@example.net>' \
	    'RCPT TO:<@a.example,@b.example:bob@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$SPY" '{sender}' '{recipients}'
	[ "$(argv)" = "$(printf '%s\n' alice@example.net bob@example.org)" ]
}

@test "the null reverse-path <> becomes an empty {sender} argument" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$SPY" '{sender}' '{recipients}'
	[ "$(cat "$SPY_DIR/1/argc")" = 2 ]
	[ "$(argv)" = "$(printf '%s\n' '' bob@example.org)" ]
}

@test "the null reverse-path <> is appended as an empty argument when there is no placeholder" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$SPY" first
	[ "$(cat "$SPY_DIR/1/argc")" = 3 ]
	[ "$(argv)" = "$(printf '%s\n' first '' bob@example.org)" ]
}

@test "shell metacharacters in the arguments are passed literally, never through a shell" {
	message
	smtp -0 -- "$SPY" "a;touch $BATS_TEST_TMPDIR/semi" \
	    "\$(touch $BATS_TEST_TMPDIR/subst)" '`id`' '*' '{sender}'
	[ "$(argv)" = "$(printf '%s\n' "a;touch $BATS_TEST_TMPDIR/semi" \
	    "\$(touch $BATS_TEST_TMPDIR/subst)" '`id`' '*' alice@example.net)" ]
	[ ! -e "$BATS_TEST_TMPDIR/semi" ]
	[ ! -e "$BATS_TEST_TMPDIR/subst" ]
}

@test "a program name without a slash is searched in PATH" {
	mkdir "$BATS_TEST_TMPDIR/bin"
	cp "$SPY" "$BATS_TEST_TMPDIR/bin/smtpexec-test-deliver"
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	message
	smtp -0 -- smtpexec-test-deliver '{sender}'
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" = 1 ]
	[ "$(argv)" = alice@example.net ]
}

# --- environment -----------------------------------------------------------

@test "SMTP_SENDER holds the reverse-path without angle brackets" {
	envdump
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_SENDER)" = alice@example.net ]
}

@test "SMTP_SENDER is set and empty for the null reverse-path" {
	envdump
	transcript 'EHLO client.example.net' 'MAIL FROM:<>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	is_set SMTP_SENDER
	[ -z "$(value SMTP_SENDER)" ]
}

@test "SMTP_RECIPIENTS holds the accepted recipients in RCPT order, newline-separated" {
	envdump
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<zed@example.org>' 'RCPT TO:<bob@example.org>' \
	    'RCPT TO:<"a b"@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_RECIPIENTS)" = "$(printf '%s\n' zed@example.org bob@example.org '"a b"@example.org')" ]
}

@test "SMTP_HELO holds the EHLO argument" {
	envdump
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_HELO)" = client.example.net ]
}

@test "SMTP_HELO holds the HELO argument in a HELO session" {
	envdump
	transcript 'HELO old.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_HELO)" = old.example.net ]
}

@test "SMTP_REMOTE_IP comes from TCPREMOTEIP first" {
	envdump
	export TCPREMOTEIP=192.0.2.1 REMOTE_ADDR=192.0.2.2 REMOTE_HOST=192.0.2.3
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_REMOTE_IP)" = 192.0.2.1 ]
}

@test "SMTP_REMOTE_IP comes from REMOTE_ADDR when TCPREMOTEIP is not a valid IP" {
	envdump
	export TCPREMOTEIP=not-an-ip REMOTE_ADDR=198.51.100.7 REMOTE_HOST=192.0.2.3
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_REMOTE_IP)" = 198.51.100.7 ]
}

@test "SMTP_REMOTE_IP comes from REMOTE_HOST when it is the only valid IP" {
	envdump
	export REMOTE_ADDR=host.example.net REMOTE_HOST=2001:db8::1
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_REMOTE_IP)" = 2001:db8::1 ]
}

@test "SMTP_REMOTE_IP shows an IPv4-mapped IPv6 address as IPv4" {
	envdump
	export TCPREMOTEIP=::ffff:192.0.2.9
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_REMOTE_IP)" = 192.0.2.9 ]
}

@test "SMTP_REMOTE_IP is set and empty when no source gives a valid IP" {
	envdump
	export TCPREMOTEIP='192.0.2.1 ' REMOTE_ADDR=999.1.1.1 REMOTE_HOST=host.example.net
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	is_set SMTP_REMOTE_IP
	[ -z "$(value SMTP_REMOTE_IP)" ]
}

@test "SMTP_REMOTE_IP is set and empty when stdin is not a socket and nothing is in the environment" {
	envdump
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	is_set SMTP_REMOTE_IP
	[ -z "$(value SMTP_REMOTE_IP)" ]
}

@test "SMTP_BODY is 7BIT when MAIL has no BODY parameter" {
	envdump
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_BODY)" = 7BIT ]
}

@test "SMTP_BODY is 8BITMIME after MAIL BODY=8BITMIME (RFC 6152)" {
	envdump
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net> BODY=8bitmime' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_BODY)" = 8BITMIME ]
}

@test "SMTP_BODY is BINARYMIME after MAIL BODY=BINARYMIME and BDAT (RFC 3030 3)" {
	envdump
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net> BODY=BINARYMIME' \
	    'RCPT TO:<bob@example.org>' 'BDAT 4 LAST'
	printf 'Hi\r\nQUIT\r\n' >> "$IN"
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.0.0' '221 2.0.0'
	[ "$(value SMTP_BODY)" = BINARYMIME ]
}

@test "SMTP_UTF8 is 1 after MAIL with SMTPUTF8 (RFC 6531 3.4)" {
	envdump
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net> SMTPUTF8' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'Hi' '.' 'QUIT'
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_UTF8)" = 1 ]
}

@test "SMTP_UTF8 is unset without SMTPUTF8, even when smtpexec's own environment has it" {
	envdump
	export SMTP_UTF8=1
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	! is_set SMTP_UTF8
}

@test "SMTP_ variables inherited by smtpexec are replaced by the message's" {
	envdump
	export SMTP_SENDER=forged@evil.example SMTP_RECIPIENTS=forged@evil.example \
	    SMTP_HELO=forged SMTP_BODY=BINARYMIME SMTP_ID=forged
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value SMTP_SENDER)" = alice@example.net ]
	[ "$(value SMTP_RECIPIENTS)" = bob@example.org ]
	[ "$(value SMTP_HELO)" = client.example.net ]
	[ "$(value SMTP_BODY)" = 7BIT ]
	[ "$(value SMTP_ID)" != forged ]
}

@test "SMTP_ID is the id given in the 250 reply" {
	envdump
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	line=$(data_reply)
	[[ $line == '250 2.0.0 Ok: queued as '* ]]
	id=${line#'250 2.0.0 Ok: queued as '}
	[ -n "$id" ]
	[ "$(value SMTP_ID)" = "$id" ]
}

@test "each message of a session gets its own SMTP_ID" {
	transcript "${ENVELOPE[@]}" 'one' '.' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'two' '.' 'QUIT'
	smtp -0
	[ "$(delivered)" = 2 ]
	id1=$(sed -n 's/^SMTP_ID=//p' "$SPY_DIR/1/env")
	id2=$(sed -n 's/^SMTP_ID=//p' "$SPY_DIR/2/env")
	[ -n "$id1" ] && [ -n "$id2" ] && [ "$id1" != "$id2" ]
}

@test "LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES are removed from the program's environment" {
	envdump
	export LISTEN_FDS=1 LISTEN_PID=$$ LISTEN_FDNAMES=smtp
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ -e "$DUMP/SMTP_ID" ]
	[ ! -e "$DUMP/LISTEN_FDS" ]
	[ ! -e "$DUMP/LISTEN_PID" ]
	[ ! -e "$DUMP/LISTEN_FDNAMES" ]
}

@test "the rest of smtpexec's environment reaches the program" {
	envdump
	export UNRELATED_VAR='kept as is'
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/envdump"
	[ "$(value UNRELATED_VAR)" = 'kept as is' ]
}

# --- stdin and descriptors -------------------------------------------------

@test "the program's stdin is at offset 0" {
	message
	smtp -0
	[ "$(cat "$SPY_DIR/1/offset")" = 0 ]
	grep -qx 'Hello.' "$SPY_DIR/1/msg"
}

@test "the program's stdin is a regular, seekable file" {
	prog stdinkind <<EOF
#!/bin/sh
stat -L -c %F /proc/\$\$/fd/0 > "$BATS_TEST_TMPDIR/kind"
# read it, rewind by reopening the same open file description, read again
cat > "$BATS_TEST_TMPDIR/first"
exec python3 -c 'import os,sys; os.lseek(0, 0, 0); sys.stdout.write(sys.stdin.read())' > "$BATS_TEST_TMPDIR/second"
EOF
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/stdinkind"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[[ $(cat "$BATS_TEST_TMPDIR/kind") == regular* ]]
	[ -s "$BATS_TEST_TMPDIR/first" ]
	cmp "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/second"
}

@test "the program sees only descriptors 0, 1 and 2" {
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
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/fdlist"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(cat "$BATS_TEST_TMPDIR/fds")" = '0 1 2' ]
}

# --- exit status -> reply --------------------------------------------------

@test "exit 0 gets 250 2.0.0 Ok: queued as <id>" {
	message
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[[ $(data_reply) =~ ^'250 2.0.0 Ok: queued as '[^\ ]+$ ]]
}

@test "exit 65 (EX_DATAERR) gets 554 5.6.0" {
	export SPY_EXIT=65
	message
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '554 5.6.0' '221 2.0.0'
}

@test "exit 67 (EX_NOUSER) gets 550 5.1.1" {
	export SPY_EXIT=67
	message
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '550 5.1.1' '221 2.0.0'
}

@test "exit 68 (EX_NOHOST) gets 550 5.1.2" {
	export SPY_EXIT=68
	message
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '550 5.1.2' '221 2.0.0'
}

@test "exit 69 (EX_UNAVAILABLE) gets 554 5.0.0" {
	export SPY_EXIT=69
	message
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '554 5.0.0' '221 2.0.0'
}

@test "exit 75 (EX_TEMPFAIL) gets 451 4.3.0" {
	export SPY_EXIT=75
	message
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '451 4.3.0' '221 2.0.0'
}

@test "exit 77 (EX_NOPERM) gets 550 5.7.1" {
	export SPY_EXIT=77
	message
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '550 5.7.1' '221 2.0.0'
}

@test "exit 1 gets 451 4.3.0" {
	export SPY_EXIT=1
	message
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '451 4.3.0' '221 2.0.0'
}

@test "exit 70 (EX_SOFTWARE, not in the table) gets 451 4.3.0" {
	export SPY_EXIT=70
	message
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '451 4.3.0' '221 2.0.0'
}

@test "a program killed by a signal gets 451 4.3.0" {
	prog suicide <<'EOF'
#!/bin/sh
cat > /dev/null
kill -KILL $$
EOF
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/suicide"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '451 4.3.0' '221 2.0.0'
}

@test "a program that cannot be executed gets 451 4.3.0" {
	message
	smtp -0 -- "$BATS_TEST_TMPDIR/no-such-program"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '451 4.3.0' '221 2.0.0'
}

@test "a program name not found in PATH gets 451 4.3.0" {
	message
	smtp -0 -- smtpexec-test-no-such-program-in-path
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '451 4.3.0' '221 2.0.0'
}

@test "a failed exec is logged with its errno" {
	# valgrind runs posix_spawn's clone(CLONE_VFORK) as a fork, so the
	# exec's errno cannot come back: the child just exits 127 there.
	[ -z "${VALGRIND:-}" ] || skip 'under valgrind posix_spawn cannot report the exec errno'
	message
	smtp -0 --log=stderr -- "$BATS_TEST_TMPDIR/no-such-program"
	printf '%s\n' "$stderr" | grep -Eqi 'ENOENT|No such file|errno=2\b'
}

@test "a program still running at --delivery-timeout gets 451 4.3.0 and its process group is killed" {
	export PIDS=$BATS_TEST_TMPDIR
	prog sleeper <<'EOF'
#!/bin/sh
cat > /dev/null
echo $$ > "$PIDS/shell.pid"
sleep 30 < /dev/null > /dev/null 2>&1 &
echo $! > "$PIDS/child.pid"
sleep 30
EOF
	message
	SECONDS=0
	smtp -0 --delivery-timeout=1 -- "$BATS_TEST_TMPDIR/sleeper"
	elapsed=$SECONDS
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '451 4.3.0' '221 2.0.0'
	[ "$elapsed" -le 4 ]
	# the kill is asynchronous: allow the processes a moment to die
	for i in $(seq 100); do
		gone "$(cat "$PIDS/shell.pid")" && gone "$(cat "$PIDS/child.pid")" && break
		sleep 0.02
	done
	gone "$(cat "$PIDS/shell.pid")"
	gone "$(cat "$PIDS/child.pid")"
}

# --- the program's first stdout line ---------------------------------------

@test "a first line with a code of the matching class replaces code and text after a permanent failure (RFC 3463)" {
	export SPY_EXIT=67 SPY_STDOUT='5.2.2 Mailbox full'
	message
	smtp -0
	[ "$(data_reply)" = '550 5.2.2 Mailbox full' ]
}

@test "a first line with a code of the matching class replaces code and text after success (RFC 3463)" {
	export SPY_EXIT=0 SPY_STDOUT='2.6.0 Stored in folder INBOX'
	message
	smtp -0
	[ "$(data_reply)" = '250 2.6.0 Stored in folder INBOX' ]
}

@test "a first line with a code of the matching class replaces code and text after a temporary failure (RFC 3463)" {
	export SPY_EXIT=75 SPY_STDOUT='4.2.2 Over quota, try later'
	message
	smtp -0
	[ "$(data_reply)" = '451 4.2.2 Over quota, try later' ]
}

@test "a success code printed by a failing program is appended, and no 250 is sent" {
	export SPY_EXIT=1 SPY_STDOUT='2.0.0 Delivered'
	message
	smtp -0
	line=$(data_reply)
	[[ $line == '451 4.3.0 '*' (2.0.0 Delivered)' ]]
}

@test "a first line with a code of the wrong class is appended in parentheses" {
	export SPY_EXIT=67 SPY_STDOUT='4.2.2 Try later'
	message
	smtp -0
	line=$(data_reply)
	[[ $line == '550 5.1.1 '*' (4.2.2 Try later)' ]]
}

@test "a permanent code printed after exit 0 is appended, the reply stays 250" {
	export SPY_EXIT=0 SPY_STDOUT='5.1.1 No such user'
	message
	smtp -0
	line=$(data_reply)
	[[ $line == '250 2.0.0 '*' (5.1.1 No such user)' ]]
}

@test "a first line without a code is appended to the default text" {
	export SPY_EXIT=0 SPY_STDOUT='delivered to inbox'
	message
	smtp -0
	line=$(data_reply)
	[[ $line =~ ^'250 2.0.0 Ok: queued as '[^\ ]+' (delivered to inbox)'$ ]]
}

@test "only the first line of the program's stdout is used" {
	export SPY_EXIT=67 SPY_STDOUT=$'first line\nsecond line\n5.2.2 third'
	message
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '550 5.1.1' '221 2.0.0'
	line=$(data_reply)
	[[ $line == '550 5.1.1 '*' (first line)' ]]
	[[ $output != *second* ]]
	[[ $output != *third* ]]
}

@test "bytes outside 0x20-0x7E in the program's line are shown as ?" {
	export SPY_EXIT=0 SPY_STDOUT=$'a\tb\001c\303\251d\177e~ f\033[0m'
	message
	smtp -0
	line=$(data_reply)
	[[ $line == '250 2.0.0 '*' (a?b?c??d?e~ f?[0m)' ]]
}

@test "at most 200 octets of the program's line are kept" {
	a=$(printf 'a%.0s' $(seq 150))
	b=$(printf 'b%.0s' $(seq 150))
	export SPY_EXIT=0 SPY_STDOUT="$a$b"
	message
	smtp -0
	line=$(data_reply)
	[[ $line == '250 2.0.0 '*" ($a${b:0:50})" ]]
}

@test "a program printing megabytes to stdout does not block and its first line is used" {
	prog chatty <<'EOF'
#!/bin/sh
cat > /dev/null
yes 'lots of output' | head -c 8000000
exit 0
EOF
	message
	run --separate-stderr timeout -s KILL 20 "$SMTPEXEC" --hostname=mx.example.org \
	    -- "$BATS_TEST_TMPDIR/chatty" < "$IN"
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[[ $(data_reply) == *' (lots of output)' ]]
}

@test "a background child holding the program's stdout open does not delay the reply" {
	export PIDS=$BATS_TEST_TMPDIR
	prog forker <<'EOF'
#!/bin/sh
cat > /dev/null
sleep 6 2> /dev/null &
echo $! > "$PIDS/bg.pid"
echo '2.0.0 Handed to the background'
exit 0
EOF
	message
	SECONDS=0
	run --separate-stderr timeout -s KILL 20 "$SMTPEXEC" --hostname=mx.example.org \
	    -- "$BATS_TEST_TMPDIR/forker" < "$IN"
	elapsed=$SECONDS
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(data_reply)" = '250 2.0.0 Handed to the background' ]
	[ "$elapsed" -le 3 ]
}

@test "nothing the program prints reaches the client raw" {
	export SPY_EXIT=0 SPY_STDOUT=$'250 2.0.0 fake\r\n221 fake bye' SPY_STDERR='553 from stderr'
	message
	smtp -0 --log=stderr -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(printf '%s\n' "$output" | grep -c fake)" -le 1 ]
	[[ $output != *'221 fake bye'* ]]
	[[ $output != *'from stderr'* ]]
}

# --- the program's stderr and --log ----------------------------------------

@test "with --log=stderr the program's stderr reaches smtpexec's stderr" {
	export SPY_STDERR='program-stderr-marker'
	message
	smtp -0 --log=stderr -- "$SPY"
	[[ $stderr == *program-stderr-marker* ]]
	[[ $output != *program-stderr-marker* ]]
}

@test "with --log=none the program's stderr is discarded" {
	export SPY_STDERR='program-stderr-marker'
	message
	smtp -0 --log=none -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[[ $stderr != *program-stderr-marker* ]]
	[[ $output != *program-stderr-marker* ]]
}

@test "with --log=syslog the program's stderr is not written to smtpexec's stderr" {
	export SPY_STDERR='program-stderr-marker'
	message
	smtp -0 --log=syslog -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[[ $stderr != *program-stderr-marker* ]]
	[[ $output != *program-stderr-marker* ]]
}

@test "with --log=syslog a program writing much to stderr does not block" {
	prog noisy <<'EOF'
#!/bin/sh
cat > /dev/null
yes 'error line' | head -c 4000000 >&2
exit 0
EOF
	message
	run --separate-stderr timeout -s KILL 20 "$SMTPEXEC" --hostname=mx.example.org \
	    --log=syslog -- "$BATS_TEST_TMPDIR/noisy" < "$IN"
	[ "$status" -eq 0 ]
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
}

@test "{recipients} given twice expands to the whole list twice" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<r1@example.org>' 'RCPT TO:<r2@example.org>' \
	    'RCPT TO:<r3@example.org>' 'RCPT TO:<r4@example.org>' \
	    'RCPT TO:<r5@example.org>' DATA hi . QUIT
	smtp -0 -- "$SPY" {recipients} -- {recipients}
	[ "$(cat "$SPY_DIR/1/argc")" -eq 11 ]
	[ "$(sed -n '1p;5p;6p;7p;11p' "$SPY_DIR/1/argv" | tr '\n' ' ')" = \
	    'r1@example.org r5@example.org -- r1@example.org r5@example.org ' ]
}

@test "a program that is not executable gets 451 4.3.0 and the exec error is logged" {
	[ -z "${VALGRIND:-}" ] || skip 'under valgrind posix_spawn cannot report the exec errno'
	printf '#!/bin/sh\nexit 0\n' > "$BATS_TEST_TMPDIR/noexec"
	chmod 644 "$BATS_TEST_TMPDIR/noexec"
	message
	smtp -0 --log=stderr -- "$BATS_TEST_TMPDIR/noexec"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '451 4.3.0' '221 2.0.0'
	printf '%s\n' "$stderr" | grep -Eq 'event=exec-failed .*(Permission denied|EACCES)'
}
