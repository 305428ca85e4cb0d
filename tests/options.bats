#!/usr/bin/env bats
# Command line options: values, usage errors, --help, --version, the
# hostname, the log sinks and the log format.
load helper

# bare [-N] ARG...: runs smtpexec with exactly these arguments (no
# --hostname added) on $IN; stdout in $output, stderr in $stderr.
bare() {
	local st=()
	case "${1:-}" in
	-[0-9]*) st=("$1"); shift ;;
	esac
	run "${st[@]}" --separate-stderr "$SMTPEXEC" "$@" < "$IN"
}

# usage_error ARG...: smtpexec with these arguments exits 64, says why on
# stderr and writes nothing to the SMTP stream.
usage_error() {
	transcript 'EHLO client.example.net' 'QUIT'
	run -64 --separate-stderr "$SMTPEXEC" "$@" < "$IN"
	if [ -n "$output" ] || [ -z "$stderr" ]; then
		printf 'arguments: %s\nstdout: %s\nstderr: %s\n' "$*" "$output" \
		    "$stderr" >&2
		return 1
	fi
}

# accepted ARG...: a session with these options runs and QUITs.
accepted() {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0 "$@" -- "$SPY"
	assert_codes 220 250 '221 2.0.0'
}

# rep CHAR N: CHAR repeated N times.
rep() {
	printf "%$2s" '' | tr ' ' "$1"
}

# log_lines: stderr, one log line a line.
log_lines() {
	printf '%s\n' "$stderr"
}

# --- usage errors (exit 64, EX_USAGE) ---

@test "no program is a usage error (exit 64)" {
	usage_error
	usage_error --hostname=mx.example.org
	usage_error --
	usage_error --max-size=100 --
}

@test "an unknown option is a usage error (exit 64)" {
	usage_error --frobnicate -- "$SPY"
	usage_error --frobnicate=1 -- "$SPY"
}

@test "a value given to an option without one is a usage error (exit 64)" {
	usage_error --no-received=yes -- "$SPY"
	usage_error --crlf=1 -- "$SPY"
}

@test "a usage error names the offending option on stderr" {
	usage_error --max-recipients=0 -- "$SPY"
	[[ "$stderr" == *max-recipients* ]]
}

@test "--max-size rejects negative, non-numeric, empty and too large values (exit 64)" {
	usage_error --max-size=-1 -- "$SPY"
	usage_error --max-size=abc -- "$SPY"
	usage_error --max-size=10k -- "$SPY"
	usage_error --max-size= -- "$SPY"
	usage_error --max-size=9223372036854775808 -- "$SPY"
	usage_error --max-size=99999999999999999999999 -- "$SPY"
}

@test "--max-size accepts 0 and 2^63-1" {
	accepted --max-size=0
	accepted --max-size=9223372036854775807
}

@test "--max-recipients outside 1..500 is a usage error (exit 64)" {
	usage_error --max-recipients=0 -- "$SPY"
	usage_error --max-recipients=501 -- "$SPY"
	usage_error --max-recipients=-1 -- "$SPY"
	usage_error --max-recipients=abc -- "$SPY"
	usage_error --max-recipients= -- "$SPY"
	usage_error --max-recipients=4294967397 -- "$SPY"
}

@test "--max-recipients accepts 1 and 500" {
	accepted --max-recipients=1
	accepted --max-recipients=500
}

@test "--timeout outside 1..1000000 is a usage error (exit 64)" {
	usage_error --timeout=0 -- "$SPY"
	usage_error --timeout=1000001 -- "$SPY"
	usage_error --timeout=-5 -- "$SPY"
	usage_error --timeout=5s -- "$SPY"
	usage_error --timeout= -- "$SPY"
}

@test "--timeout accepts 1 and 1000000" {
	accepted --timeout=1
	accepted --timeout=1000000
}

@test "--session-timeout outside 1..1000000 is a usage error (exit 64)" {
	usage_error --session-timeout=0 -- "$SPY"
	usage_error --session-timeout=1000001 -- "$SPY"
	usage_error --session-timeout=-5 -- "$SPY"
	usage_error --session-timeout=x -- "$SPY"
}

@test "--session-timeout accepts 1 and 1000000" {
	accepted --session-timeout=1
	accepted --session-timeout=1000000
}

@test "--delivery-timeout outside 1..1000000 is a usage error (exit 64)" {
	usage_error --delivery-timeout=0 -- "$SPY"
	usage_error --delivery-timeout=1000001 -- "$SPY"
	usage_error --delivery-timeout=-5 -- "$SPY"
	usage_error --delivery-timeout=x -- "$SPY"
}

@test "--delivery-timeout accepts 1 and 1000000" {
	accepted --delivery-timeout=1
	accepted --delivery-timeout=1000000
}

@test "--junk-limit outside 0..1000000 is a usage error (exit 64)" {
	usage_error --junk-limit=-1 -- "$SPY"
	usage_error --junk-limit=1000001 -- "$SPY"
	usage_error --junk-limit=x -- "$SPY"
	usage_error --junk-limit= -- "$SPY"
}

@test "--junk-limit accepts 0 and 1000000" {
	accepted --junk-limit=0
	accepted --junk-limit=1000000
}

@test "--log other than stderr, syslog or none is a usage error (exit 64)" {
	usage_error --log=file -- "$SPY"
	usage_error --log= -- "$SPY"
	usage_error --log=STDERR2 -- "$SPY"
}

@test "a --hostname that is not a valid HELO name is a usage error (exit 64)" {
	usage_error --hostname= -- "$SPY"
	usage_error '--hostname=mx example.org' -- "$SPY"
	usage_error '--hostname=mx!example.org' -- "$SPY"
	usage_error '--hostname=[192.0.2.300]' -- "$SPY"
}

@test "a --hostname of 256 octets is a usage error, 255 is accepted (RFC 5321 4.5.3.1.2)" {
	local l
	l=$(rep a 63)
	usage_error "--hostname=$l.$l.$l.$(rep a 62).b" -- "$SPY"
	transcript 'QUIT'
	bare -0 "--hostname=$l.$l.$l.$l" -- "$SPY"
	[ "$(reply 1)" = "220 $l.$l.$l.$l ESMTP smtpexec" ]
}

@test "a bad --domain is a usage error (exit 64)" {
	usage_error --domain= -- "$SPY"
	usage_error '--domain=exa mple.org' -- "$SPY"
	usage_error '--domain=a@example.org' -- "$SPY"
	usage_error '--domain=bad..example' -- "$SPY"
}

# --- --help and --version ---

@test "--help prints to stdout and exits 0" {
	transcript 'QUIT'
	bare -0 --help
	[ -n "$output" ]
	[ -z "$stderr" ]
	[[ "$output" == *smtpexec* ]]
	[[ "$output" != 220* ]]
}

@test "--help wins over a program and other options" {
	transcript 'QUIT'
	bare -0 --max-size=5 --help -- "$SPY"
	[[ "$output" == *smtpexec* ]]
	[[ "$output" != 220* ]]
	[ "$(delivered)" -eq 0 ]
}

@test "--version prints the version to stdout and exits 0" {
	transcript 'QUIT'
	bare -0 --version
	[ -z "$stderr" ]
	[[ "$output" =~ [0-9]+\.[0-9]+ ]]
	[[ "$output" != 220* ]]
}

# --- the program and its arguments ---

@test "arguments after -- go to the program, even ones that look like options" {
	transcript "${ENVELOPE[@]}" 'hi' '.' 'QUIT'
	smtp -0 -- "$SPY" --max-size=bogus -x
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	diff <(printf '%s\n' --max-size=bogus -x alice@example.net bob@example.org) \
	    "$SPY_DIR/1/argv"
}

@test "options after the program are the program's arguments, not smtpexec's" {
	transcript "${ENVELOPE[@]}" 'hi' '.' 'QUIT'
	smtp -0 "$SPY" --no-received
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	diff <(printf '%s\n' --no-received alice@example.net bob@example.org) \
	    "$SPY_DIR/1/argv"
	head -n 1 "$SPY_DIR/1/msg" | grep -q '^Received: '
}

# --- --hostname ---

@test "--hostname is used in the banner and the EHLO and HELO replies" {
	transcript 'EHLO client.example.net' 'HELO client.example.net' 'QUIT'
	bare -0 --hostname=relay.example.com -- "$SPY"
	[ "$(reply 1)" = '220 relay.example.com ESMTP smtpexec' ]
	[ "$(reply 2)" = '250-relay.example.com' ]
	[ "$(reply 12)" = '250 relay.example.com' ]
}

@test "--hostname is used in the Received header (RFC 5321 4.4)" {
	transcript "${ENVELOPE[@]}" 'hi' '.' 'QUIT'
	bare -0 --hostname=relay.example.com -- "$SPY"
	grep -q 'by relay.example.com (smtpexec)' "$SPY_DIR/1/msg"
}

@test "--hostname accepts an address literal" {
	transcript 'QUIT'
	bare -0 '--hostname=[192.0.2.1]' -- "$SPY"
	[ "$(reply 1)" = '220 [192.0.2.1] ESMTP smtpexec' ]
}

@test "a --hostname without a dot is used and logs a warning" {
	transcript 'QUIT'
	bare -0 --hostname=localhost --log=stderr -- "$SPY"
	[ "$(reply 1)" = '220 localhost ESMTP smtpexec' ]
	grep -qE ' event=warning .*hostname=localhost' <<< "$stderr"
}

# --- --max-size on the message (RFC 1870) ---

@test "a message of exactly --max-size octets on the wire is accepted (RFC 1870 6)" {
	# "12345678" CRLF is 10 octets
	transcript "${ENVELOPE[@]}" '12345678' '.' 'QUIT'
	smtp -0 --max-size=10 -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
}

@test "a message one octet over --max-size is 552 5.3.4 and not delivered (RFC 1870 6)" {
	transcript "${ENVELOPE[@]}" '123456789' '.' 'NOOP' 'QUIT'
	smtp -0 --max-size=10 -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '552 5.3.4' '250 2.0.0' \
	    '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "stuffing dots do not count toward --max-size (RFC 1870 6)" {
	# "..2345678" CRLF is 11 octets stuffed, 10 as sent
	transcript "${ENVELOPE[@]}" '..2345678' '.' 'QUIT'
	smtp -0 --max-size=10 --no-received -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(cat "$SPY_DIR/1/msg")" = '.2345678' ]
}

# --- --no-received and --crlf ---

@test "without --no-received the message starts with a Received: header (RFC 5321 4.4)" {
	transcript "${ENVELOPE[@]}" 'Subject: t' '' 'hi' '.' 'QUIT'
	smtp -0
	head -n 1 "$SPY_DIR/1/msg" | grep -qE '^Received: from client\.example\.net( |$)'
}

@test "--no-received delivers the message bytes alone" {
	transcript "${ENVELOPE[@]}" 'Subject: t' '' 'hi' '.' 'QUIT'
	smtp -0 --no-received -- "$SPY"
	cmp "$SPY_DIR/1/msg" <(printf 'Subject: t\n\nhi\n')
}

@test "--crlf keeps CRLF line endings in the message" {
	transcript "${ENVELOPE[@]}" 'Subject: t' '' 'hi' '.' 'QUIT'
	smtp -0 --no-received --crlf -- "$SPY"
	cmp "$SPY_DIR/1/msg" <(printf 'Subject: t\r\n\r\nhi\r\n')
}

# --- logging ---

@test "--log=none writes nothing to stderr, not even the program's stderr" {
	export SPY_STDERR='program says boom'
	transcript "${ENVELOPE[@]}" 'hi' '.' 'XYZZY' 'QUIT'
	smtp -0 --log=none -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '500 5.5.2' \
	    '221 2.0.0'
	[ -z "$stderr" ]
}

@test "--log=none writes nothing on end of input and on errors either" {
	transcript 'EHLO client.example.net' 'XYZZY'
	smtp -1 --log=none -- "$SPY"
	[ -z "$stderr" ]
}

@test "--log=syslog writes nothing to stderr and does not pass it to the program" {
	export SPY_STDERR='program says boom'
	transcript "${ENVELOPE[@]}" 'hi' '.' 'QUIT'
	smtp -0 --log=syslog -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ -z "$stderr" ]
}

@test "--log=stderr passes the program's stderr through" {
	export SPY_STDERR='program says boom'
	transcript "${ENVELOPE[@]}" 'hi' '.' 'QUIT'
	smtp -0 --log=stderr -- "$SPY"
	log_lines | grep -qx 'program says boom'
}

@test "--log=stderr writes only smtpexec[PID]: key=value lines" {
	transcript "${ENVELOPE[@]}" 'hi' '.' 'XYZZY' 'QUIT'
	smtp -0 --log=stderr -- "$SPY"
	[ -n "$stderr" ]
	run -1 grep -Ev '^smtpexec\[[0-9]+\]: [a-z][a-z0-9_-]*=[^ ]*( [a-z][a-z0-9_-]*=[^ ]*)*$' \
	    <<< "$stderr"
}

@test "the log has a connect event with the remote IP" {
	export TCPREMOTEIP=192.0.2.7
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0 --log=stderr -- "$SPY"
	log_lines | grep -E ' event=connect( |$)' | grep -qE ' remote=192\.0\.2\.7( |$)'
}

@test "the log has one message event with id, sender, each recipient and reply" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'RCPT TO:<carol@example.org>' 'DATA' 'hi' \
	    '.' 'QUIT'
	smtp -0 --log=stderr -- "$SPY"
	local id
	id=$(reply 16 | sed -n 's/^250 2\.0\.0 Ok: queued as //p')
	[ -n "$id" ]
	log_lines | grep -E ' event=message( |$)' | grep -F " id=$id" |
	    grep -F ' from=<alice@example.net>' | grep -F ' to=<bob@example.org>' |
	    grep -F ' to=<carol@example.org>' | grep -qE ' reply=250( |$)'
}

@test "the log has an error event for a protocol error" {
	transcript 'EHLO client.example.net' 'XYZZY' 'RCPT TO:<bob@example.org>' \
	    'QUIT'
	smtp -0 --log=stderr -- "$SPY"
	log_lines | grep -E ' event=error( |$)' | grep -qE ' reply=500( |$)'
	log_lines | grep -E ' event=error( |$)' | grep -E ' command=RCPT( |$)' |
	    grep -qE ' reply=503( |$)'
}

@test "the log has a disconnect event with reason=quit" {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0 --log=stderr -- "$SPY"
	log_lines | grep -E ' event=disconnect( |$)' | grep -qE ' reason=quit( |$)'
}

@test "the log says reason=eof when the client leaves without QUIT" {
	transcript 'EHLO client.example.net'
	smtp -1 --log=stderr -- "$SPY"
	log_lines | grep -E ' event=disconnect( |$)' | grep -qE ' reason=eof( |$)'
}

@test "the log says reason=errors after 421 4.7.0" {
	transcript 'EHLO client.example.net' XYZZY XYZZY XYZZY XYZZY XYZZY XYZZY \
	    XYZZY XYZZY XYZZY XYZZY XYZZY XYZZY XYZZY XYZZY XYZZY XYZZY XYZZY \
	    XYZZY XYZZY XYZZY
	smtp -3 --log=stderr -- "$SPY"
	log_lines | grep -E ' event=disconnect( |$)' | grep -qE ' reason=errors( |$)'
}

@test "the default log is stderr when fd 2 is not the client's socket" {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0
	log_lines | grep -qE '^smtpexec\[[0-9]+\]: .*event=connect'
}

@test "the log writes a space in a quoted local part as \\x20" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<"john doe"@example.org>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'hi' '.' 'QUIT'
	smtp -0 --log=stderr -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	log_lines | grep -qF 'from=<"john\x20doe"@example.org>'
}

@test "the log writes UTF-8 bytes of an address as \\xNN" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<jörg@example.net> SMTPUTF8' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'hi' '.' 'QUIT'
	smtp -0 --log=stderr -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	log_lines | grep -qiF 'from=<j\xc3\xb6rg@example.net>'
}

@test "no raw control or 8-bit client byte ever reaches the log" {
	printf '%s\r\n' 'EHLO client.example.net' \
	    $'XY\x1b[2JZ' $'MAIL FROM:<\x01@example.net>' $'NOOP \x7f\xff' \
	    'MAIL FROM:<jörg@example.net> SMTPUTF8' 'RCPT TO:<δ@example.org>' \
	    'DATA' 'hi' '.' $'\x80\x9b' 'QUIT' > "$IN"
	smtp -0 --log=stderr -- "$SPY"
	[ -n "$stderr" ]
	run -1 env LC_ALL=C grep -n '[^ -~]' <<< "$stderr"
}
