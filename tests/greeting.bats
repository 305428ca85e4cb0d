#!/usr/bin/env bats
# The greeting, HELO/EHLO and their replies, enhanced status codes on or
# off, QUIT and the end of input.
load helper

# assert_lines FIRST LINE...: reply lines FIRST, FIRST+1, ... are exactly
# these (CR removed).
assert_lines() {
	local first=$1 want got
	shift
	want=$(printf '%s\n' "$@")
	got=$(printf '%s\n' "$output" | tr -d '\r' |
	    sed -n "${first},$((first + $# - 1))p")
	if [ "$want" != "$got" ]; then
		printf 'expected lines from %s:\n%s\ngot:\n%s\nfull output:\n%s\n' \
		    "$first" "$want" "$got" "$output" >&2
		return 1
	fi
}

# rep CHAR N: CHAR repeated N times.
rep() {
	printf "%$2s" '' | tr ' ' "$1"
}

# A name of exactly 255 octets (four labels of 63) and one of 256.
name255() {
	local l
	l=$(rep a 63)
	printf '%s.%s.%s.%s' "$l" "$l" "$l" "$l"
}
name256() {
	local l
	l=$(rep a 63)
	printf '%s.%s.%s.%s.b' "$l" "$l" "$l" "$(rep a 62)"
}

@test "the banner is 220 <hostname> ESMTP smtpexec without an enhanced code (RFC 2034)" {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0
	assert_lines 1 '220 mx.example.org ESMTP smtpexec'
}

@test "every reply line ends in CRLF even in an LF-only session (RFC 5321 2.3.8)" {
	transcript_lf 'EHLO client.example.net' 'NOOP' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.0.0' '221 2.0.0'
	run -1 grep -c -v $'\r$' <<< "$output"
	[ "$output" = 0 ]
}

@test "EHLO lists exactly the advertised extensions with the default limits (RFC 5321 4.1.1.1, 1870 4, 2920, 2034, 6152, 6531, 3030, 9422)" {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0
	assert_lines 2 \
	    '250-mx.example.org' \
	    '250-SIZE 26214400' \
	    '250-8BITMIME' \
	    '250-PIPELINING' \
	    '250-ENHANCEDSTATUSCODES' \
	    '250-SMTPUTF8' \
	    '250-CHUNKING' \
	    '250-BINARYMIME' \
	    '250-LIMITS RCPTMAX=100' \
	    '250 HELP' \
	    '221 2.0.0 Bye'
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 12 ]
}

@test "EHLO advertises SIZE with --max-size (RFC 1870 4)" {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0 --max-size=1000 -- "$SPY"
	assert_lines 3 '250-SIZE 1000'
}

@test "EHLO advertises plain SIZE with --max-size=0 (RFC 1870 4: no fixed maximum)" {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0 --max-size=0 -- "$SPY"
	assert_lines 3 '250-SIZE'
}

@test "EHLO advertises LIMITS RCPTMAX=n from --max-recipients (RFC 9422 4.2)" {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0 --max-recipients=7 -- "$SPY"
	assert_lines 10 '250-LIMITS RCPTMAX=7'
}

@test "the EHLO reply carries no enhanced code (RFC 2034 3)" {
	transcript 'EHLO client.example.net' 'EHLO client.example.net' 'QUIT'
	smtp -0
	assert_codes 220 250 250 '221 2.0.0'
}

@test "HELO gets 250 <hostname> (RFC 5321 4.1.1.1)" {
	transcript 'HELO client.example.net' 'QUIT'
	smtp -0
	assert_lines 2 '250 mx.example.org'
	assert_codes 220 250 221
}

@test "after EHLO every 2xx/4xx/5xx reply carries an enhanced code (RFC 2034 3)" {
	transcript 'EHLO client.example.net' 'NOOP' 'XYZZY' \
	    'MAIL FROM:<alice@example.net>' 'RCPT TO:<bob@example.org>' \
	    'RSET' 'VRFY bob' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.0.0' '500 5.5.2' '250 2.1.0' '250 2.1.5' \
	    '250 2.0.0' '252 2.0.0' '221 2.0.0'
}

@test "a HELO session gets no enhanced codes (RFC 2034 3)" {
	transcript 'HELO client.example.net' 'NOOP' 'XYZZY' \
	    'MAIL FROM:<alice@example.net>' 'RCPT TO:<bob@example.org>' \
	    'RCPT TO:<>' 'DATA' 'hello' '.' 'RSET' 'VRFY bob' 'QUIT'
	smtp -0
	assert_codes 220 250 250 500 250 250 501 354 250 250 252 221
	# not even in the text after the code
	run -1 grep -E '^[0-9]{3}[ -][245]\.[0-9]' <<< "$output"
}

@test "replies before HELO/EHLO carry no enhanced code (RFC 2034 3)" {
	transcript 'NOOP' 'MAIL FROM:<alice@example.net>' 'QUIT'
	smtp -0
	assert_codes 220 250 503 221
}

@test "EHLO without an argument is 501 Syntax: EHLO hostname (RFC 5321 4.1.1.1)" {
	transcript 'EHLO' 'QUIT'
	smtp -0
	assert_lines 2 '501 Syntax: EHLO hostname'
}

@test "HELO without an argument is 501 Syntax: HELO hostname (RFC 5321 4.1.1.1)" {
	transcript 'HELO' 'QUIT'
	smtp -0
	assert_lines 2 '501 Syntax: HELO hostname'
}

@test "EHLO with two arguments is 501 (RFC 5321 4.1.1.1: one domain)" {
	transcript 'EHLO client.example.net extra' 'QUIT'
	smtp -0
	assert_lines 2 '501 Syntax: EHLO hostname'
}

@test "EHLO with a character outside letters, digits, dot, hyphen, underscore is 501 (RFC 5321 4.1.2)" {
	transcript 'EHLO client!example.net' 'EHLO client@example.net' \
	    'EHLO <client.example.net>' 'QUIT'
	smtp -0
	assert_codes 220 501 501 501 221
}

@test "EHLO accepts letters, digits, dot, hyphen and underscore (RFC 5321 4.1.2)" {
	transcript 'EHLO my_host-1.Example.NET' 'QUIT'
	smtp -0
	assert_codes 220 250 '221 2.0.0'
}

@test "EHLO accepts a name that does not resolve: never checked against DNS (RFC 5321 4.1.4)" {
	transcript 'EHLO nonexistent.invalid' 'QUIT'
	smtp -0
	assert_codes 220 250 '221 2.0.0'
}

@test "EHLO accepts an IPv4 address literal (RFC 5321 4.1.3)" {
	transcript 'EHLO [192.0.2.1]' 'QUIT'
	smtp -0
	assert_codes 220 250 '221 2.0.0'
}

@test "EHLO accepts an IPv6 address literal (RFC 5321 4.1.3)" {
	transcript 'EHLO [IPv6:2001:db8::1]' 'QUIT'
	smtp -0
	assert_codes 220 250 '221 2.0.0'
}

@test "HELO accepts an address literal (RFC 5321 4.1.3)" {
	transcript 'HELO [192.0.2.1]' 'QUIT'
	smtp -0
	assert_codes 220 250 221
}

@test "EHLO refuses a malformed address literal (RFC 5321 4.1.3)" {
	transcript 'EHLO [192.0.2.1' 'EHLO [192.0.2.300]' \
	    'EHLO [IPv6:2001:db8::g]' 'EHLO []' 'QUIT'
	smtp -0
	assert_codes 220 501 501 501 501 221
}

@test "EHLO accepts a name of 255 octets (RFC 5321 4.5.3.1.2)" {
	transcript "EHLO $(name255)" 'QUIT'
	smtp -0
	assert_codes 220 250 '221 2.0.0'
}

@test "EHLO refuses a name of 256 octets (RFC 5321 4.5.3.1.2)" {
	transcript "EHLO $(name256)" 'QUIT'
	smtp -0
	assert_codes 220 501 221
}

@test "HELO refuses a name of 256 octets (RFC 5321 4.5.3.1.2)" {
	transcript "HELO $(name256)" 'QUIT'
	smtp -0
	assert_codes 220 501 221
}

@test "a refused EHLO leaves the session state as it was" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'EHLO bad!name' 'RCPT TO:<bob@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' 501 '250 2.1.5' '221 2.0.0'
}

@test "a refused first EHLO leaves the session not greeted: MAIL is 503 (RFC 5321 4.1.4)" {
	transcript 'EHLO bad!name' 'MAIL FROM:<alice@example.net>' 'QUIT'
	smtp -0
	assert_codes 220 501 503 221
}

@test "EHLO after HELO turns enhanced codes on (RFC 2034 3)" {
	transcript 'HELO client.example.net' 'NOOP' 'EHLO client.example.net' \
	    'NOOP' 'QUIT'
	smtp -0
	assert_codes 220 250 250 250 '250 2.0.0' '221 2.0.0'
}

@test "QUIT gets 221 2.0.0 Bye and exit status 0 (RFC 5321 4.1.1.10)" {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0
	assert_codes 220 250 '221 2.0.0'
	assert_lines 12 '221 2.0.0 Bye'
}

@test "nothing after QUIT is read or answered (RFC 5321 4.1.1.10)" {
	transcript 'EHLO client.example.net' 'QUIT' 'NOOP' 'XYZZY'
	smtp -0
	assert_codes 220 250 '221 2.0.0'
}

@test "QUIT in a HELO session gets 221 without an enhanced code (RFC 2034 3)" {
	transcript 'HELO client.example.net' 'QUIT'
	smtp -0
	assert_codes 220 250 221
}

@test "end of input without QUIT exits 1" {
	transcript 'EHLO client.example.net' 'NOOP'
	smtp -1
	assert_codes 220 250 '250 2.0.0'
}

@test "empty input: the banner, then exit 1" {
	: > "$IN"
	smtp -1
	assert_codes 220
}

@test "end of input in an open transaction exits 1 and delivers nothing" {
	transcript "${ENVELOPE[@]}" 'Subject: cut' '' 'no end'
	smtp -1
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354
	[ "$(delivered)" -eq 0 ]
}
