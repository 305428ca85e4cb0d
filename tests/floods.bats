#!/usr/bin/env bats
# Floods (issue 4, "Faults and bad input"): huge or endless input, many
# commands, many messages, a client that trickles. Each must end as
# documented, and peak RSS (GNU time %M) must stay bounded and flat.
# Issue 2: command lines of at most 512 octets, longer ones discarded whole
# (RFC 5321 4.5.3.1.4); the 20th counted error gets 421 4.7.0 (exit 3);
# junk beyond --junk-limit counts; 452 4.5.3 counts only beyond 1000 in a
# session; --session-timeout gives 421 4.4.2 (exit 2).
#
# The RSS bounds hold for the plain build only: under ASan or valgrind
# (make check-asan, make check-valgrind) they are not checked, nor when GNU
# time (Debian package "time") is missing; the rest of each test still runs.
# Under valgrind the floods are made 10 times smaller.

load helper

# RSS bound for the plain build, KiB. A session needs about 2 MiB.
RSS_MAX=8192

# Flood sizes: smaller under memcheck, which is 20-50 times slower.
if [ -n "${VALGRIND:-}" ]; then
	SCALE=10
else
	SCALE=1
fi

# rss_unchecked: why peak RSS cannot be measured here (empty when it can).
rss_unchecked() {
	if [ -n "${VALGRIND:-}" ]; then
		echo 'smtpexec runs under valgrind'
	elif [ "$(head -c 2 "$SMTPEXEC")" = '#!' ]; then
		echo "$SMTPEXEC is a wrapper script"
	elif [[ ${SMTPEXEC##*/} == *asan* || ${SMTPEXEC##*/} == *san ]] ||
	    grep -qa __asan_init "$SMTPEXEC"; then
		echo 'smtpexec is a sanitizer build'
	elif ! /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
		echo 'GNU time is missing (install the Debian package "time")'
	fi
}

# flood GENERATOR [smtpexec options and program...]: pipes the output of
# the shell function GENERATOR into smtpexec (nothing is stored), under GNU
# time when it can be used. Sets $status, $RSS (KiB, empty when not
# measured); the replies are in $OUT, the log in $ERR.
flood() {
	local gen=$1
	shift
	OUT=$BATS_TEST_TMPDIR/out ERR=$BATS_TEST_TMPDIR/err RSS=
	local st=$BATS_TEST_TMPDIR/status rssf=$BATS_TEST_TMPDIR/rss
	local timer=()
	[ -n "$(rss_unchecked)" ] || timer=(/usr/bin/time -f %M -o "$rssf")
	rm -f "$rssf"
	"$gen" 2>/dev/null | {
		# (a failing command would end the test: bats runs with set -e)
		"${timer[@]}" "$SMTPEXEC" --hostname=mx.example.org "$@" \
		    > "$OUT" 2> "$ERR" && echo 0 > "$st" || echo $? > "$st"
	}
	status=$(cat "$st")
	[ ! -s "$rssf" ] || RSS=$(tail -n 1 "$rssf")
}

# check_rss MAX_KIB: peak RSS of the last flood is at most MAX_KIB, or a
# note says why it was not measured.
check_rss() {
	local why
	why=$(rss_unchecked)
	if [ -n "$why" ]; then
		echo "# peak RSS not checked: $why" >&3
		return 0
	fi
	echo "peak RSS ${RSS} KiB, bound $1 KiB"
	[ -n "$RSS" ] && [ "$RSS" -le "$1" ]
}

# summary: the final reply lines of $OUT as "count code[ x.y.z]", runs of
# the same code folded (uniq -c), one a line.
summary() {
	tr -d '\r' < "$OUT" | awk '
	    /^[0-9][0-9][0-9] / {
		if ($2 ~ /^[245]\.[0-9]+\.[0-9]+$/) print $1 " " $2; else print $1
	    }' | uniq -c | awk '{ $1 = $1; print }'
}

# assert_summary LINE...: summary is exactly these lines.
assert_summary() {
	local want got
	want=$(printf '%s\n' "$@")
	got=$(summary)
	if [ "$want" != "$got" ]; then
		printf 'expected replies (count code):\n%s\ngot:\n%s\nlog (tail):\n' \
		    "$want" "$got"
		tail -n 5 "$ERR"
		return 1
	fi
}

teardown() {
	if [ -n "${WRITER:-}" ]; then
		kill -KILL "$WRITER" 2>/dev/null || true
		wait "$WRITER" 2>/dev/null || true
	fi
}

# --- 100 MB without a newline --------------------------------------------------

garbage_then_commands() {
	printf 'EHLO client.example.net\r\n'
	head -c $((100000000 / SCALE)) /dev/zero
	printf '\r\nNOOP\r\nQUIT\r\n'
}

@test "100 MB of NUL bytes without a newline is one overlong line: one 500 5.5.2, the session goes on, RSS bounded" {
	flood garbage_then_commands -- "$SPY"
	[ "$status" -eq 0 ]
	assert_summary '1 220' '1 250' '1 500 5.5.2' '1 250 2.0.0' '1 221 2.0.0'
	check_rss "$RSS_MAX"
}

garbage_then_eof() {
	printf 'EHLO client.example.net\r\n'
	head -c $((100000000 / SCALE)) /dev/zero | tr '\0' 'x'
}

@test "100 MB without a newline, then end of input: no reply to the cut line, exit 1, RSS bounded" {
	flood garbage_then_eof -- "$SPY"
	[ "$status" -eq 1 ]
	assert_summary '1 220' '1 250'
	check_rss "$RSS_MAX"
}

data_line() {
	printf '%s\r\n' "${ENVELOPE[@]}"
	head -c $((100000000 / SCALE)) /dev/zero | tr '\0' 'x'
	printf '\r\n.\r\nQUIT\r\n'
}

@test "a 100 MB line of DATA is streamed to the program whole, RSS bounded" {
	export COUNT=$BATS_TEST_TMPDIR/count
	flood data_line --no-received --max-size=0 -- sh -c 'wc -c > "$COUNT"'
	[ "$status" -eq 0 ]
	assert_summary '1 220' '1 250' '1 250 2.1.0' '1 250 2.1.5' '1 354' \
	    '1 250 2.0.0' '1 221 2.0.0'
	# the line and its LF
	[ "$(cat "$COUNT")" -eq $((100000000 / SCALE + 1)) ]
	check_rss "$RSS_MAX"
}

# --- 100 000 pipelined NOOPs -------------------------------------------------------

noops() {
	printf 'EHLO client.example.net\r\n'
	yes NOOP | head -n $((100000 / SCALE)) | sed 's/$/\r/'
	printf 'QUIT\r\n'
}

@test "100 000 pipelined NOOPs with --junk-limit=0: 19 replies 250, the 20th NOOP gets 421 4.7.0, exit 3" {
	flood noops --junk-limit=0 -- "$SPY"
	[ "$status" -eq 3 ]
	# every NOOP is junk beyond 0, so an error: the 20th gets 421 instead
	# of its reply, and nothing is answered after it
	assert_summary '1 220' '1 250' '19 250 2.0.0' '1 421 4.7.0'
	[ "$(tr -d '\r' < "$OUT" | tail -n 1)" = '421 4.7.0 Too many errors' ]
	check_rss "$RSS_MAX"
}

@test "100 000 pipelined NOOPs within --junk-limit get 100 000 replies, in order, and RSS stays bounded (RFC 2920 3.1)" {
	flood noops --junk-limit=1000000 -- "$SPY"
	[ "$status" -eq 0 ]
	assert_summary '1 220' '1 250' "$((100000 / SCALE)) 250 2.0.0" '1 221 2.0.0'
	check_rss "$RSS_MAX"
}

# --- memory does not grow with message size (issue 2, "Done when") ----------

only_quit() {
	printf 'QUIT\r\n'
}

big_message() {
	printf '%s\r\n' 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net>' 'RCPT TO:<bob@example.org>' 'DATA'
	yes 'A line of ordinary text, about as long as the lines of a real mail.' |
	    head -n $((1400000 / SCALE)) | sed 's/$/\r/'
	printf '.\r\nQUIT\r\n'
}

@test "a 100 MB message peaks at most 512 KiB above a session that only QUITs" {
	local quit
	flood only_quit -- /bin/true
	[ "$status" -eq 0 ]
	quit=$RSS
	flood big_message --max-size=0 -- /bin/true
	[ "$status" -eq 0 ]
	[ "$(summary | tail -n 2 | head -n 1)" = '1 250 2.0.0' ]
	check_rss $((${quit:-0} + 512))
}

# --- 10 000 recipients past the limit -------------------------------------------

rcpts() {
	printf '%s\r\n' 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>'
	yes 'RCPT TO:<bob@example.org>' | head -n $((100 + 10000)) | sed 's/$/\r/'
	printf 'DATA\r\nbody\r\n.\r\nQUIT\r\n'
}

@test "10 000 RCPTs past --max-recipients: 1019 replies 452 4.5.3, then 421 4.7.0, exit 3, nothing delivered" {
	flood rcpts -- "$SPY"
	[ "$status" -eq 3 ]
	# 100 accepted (the default --max-recipients), then 452 4.5.3 (RFC
	# 5321 4.5.3.1.10); the first 1000 of them are free, the 1001st to
	# 1019th are errors 1 to 19, the 1020th is the 20th error and is
	# answered 421 4.7.0 instead
	assert_summary '1 220' '1 250' '1 250 2.1.0' '100 250 2.1.5' \
	    '1019 452 4.5.3' '1 421 4.7.0'
	[ "$(delivered)" = 0 ]
	check_rss "$RSS_MAX"
}

# --- 1 000 messages in one session ------------------------------------------------

# messages N: one session of N small messages.
messages() {
	local i
	printf 'EHLO client.example.net\r\n'
	for ((i = 1; i <= $1; i++)); do
		printf 'MAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: %d\r\n\r\nbody %d\r\n.\r\n' "$i" "$i"
	done
	printf 'QUIT\r\n'
}
messages_few() { messages 10; }
messages_many() { messages $((1000 / SCALE)); }

@test "1 000 messages in one session: 1 000 deliveries with distinct ids, and peak RSS as with 10 messages" {
	local n=$((1000 / SCALE)) rss_few
	export COUNT=$BATS_TEST_TMPDIR/count
	: > "$COUNT"
	prog='cat > /dev/null; echo x >> "$COUNT"'
	flood messages_few -- sh -c "$prog"
	[ "$status" -eq 0 ]
	rss_few=$RSS
	: > "$COUNT"
	flood messages_many -- sh -c "$prog"
	[ "$status" -eq 0 ]
	[ "$(wc -l < "$COUNT")" -eq "$n" ]
	[ "$(grep -c '^354 ' "$OUT")" -eq "$n" ]
	[ "$(grep -c '^250 2\.0\.0 Ok: queued as ' "$OUT")" -eq "$n" ]
	[ "$(grep -o 'queued as [^[:space:]]*' "$OUT" | sort -u | wc -l)" -eq "$n" ]
	[ "$(tr -d '\r' < "$OUT" | tail -n 1)" = '221 2.0.0 Bye' ]
	# nothing grows per message: 990 more deliveries cost at most 512 KiB
	# (measurement noise between two runs is about 200 KiB)
	if [ -n "$rss_few" ]; then
		echo "10 messages: $rss_few KiB; $n messages: $RSS KiB"
		[ "$RSS" -le $((rss_few + 512)) ]
	fi
	check_rss "$RSS_MAX"
}

# --- a client that trickles -------------------------------------------------------

@test "a client trickling one byte every 0.3 s is closed at --session-timeout=2 with 421 4.4.2, exit 2" {
	local fin=$BATS_TEST_TMPDIR/trickle t0 elapsed
	mkfifo "$fin"
	(
		# EHLO at once (so replies carry enhanced codes), then the trickle
		printf 'EHLO client.example.net\r\n'
		for b in $(printf 'NOOP\r\nNOOP\r\nQUIT\r\n' | od -An -v -tx1); do
			printf "\\x$b" || exit 0
			sleep 0.3
		done
	) > "$fin" 3>&- 2>/dev/null &
	WRITER=$!
	t0=${EPOCHREALTIME/./}
	# each byte comes well within --timeout=1: only the session limit ends it
	run --separate-stderr timeout 10 "$SMTPEXEC" --hostname=mx.example.org \
	    --timeout=1 --session-timeout=2 -- "$SPY" < "$fin"
	elapsed=$(((${EPOCHREALTIME/./} - t0) / 1000))
	echo "elapsed ${elapsed} ms"
	[ "$status" -eq 2 ]
	# 2 s hold about 7 octets: one NOOP at most (its 6th octet comes at
	# 1.5 s), then the 421
	[ "$(codes | tail -n 1)" = '421 4.4.2' ]
	[ "$(printf '%s\n' "$output" | tr -d '\r' | tail -n 1)" = '421 4.4.2 Timeout, closing' ]
	[[ $(codes | head -n 2 | tr '\n' ' ') == '220 250 ' ]]
	[ "$(codes | wc -l)" -le 4 ]
	[ "$elapsed" -ge 1900 ]
	[ "$elapsed" -le 3500 ]
}
