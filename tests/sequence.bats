#!/usr/bin/env bats
# Command order, the minor commands, unknown verbs, command line limits,
# bad bytes in commands and the error and junk counters.
load helper

# rep CHAR N: CHAR repeated N times.
rep() {
	printf "%$2s" '' | tr ' ' "$1"
}

# pad PREFIX TOTAL: PREFIX followed by x's, TOTAL octets long with the
# CRLF that transcript adds.
pad() {
	printf '%s%s' "$1" "$(rep x $(($2 - 2 - ${#1})))"
}

# nlines N WORD: WORD N times, one a line (for building arrays; no shell
# loop, which bats' per-command trap makes slow).
nlines() {
	yes -- "$2" | head -n "$1"
}

# transcript_many LINE...: as transcript (each line ended by CRLF) in one
# printf, for transcripts of a thousand lines.
transcript_many() {
	printf '%s\r\n' "$@" > "$IN"
}

# argv_is ARG...: the first delivery's argv is exactly these arguments.
argv_is() {
	diff <(printf '%s\n' "$@") "$SPY_DIR/1/argv"
}

# --- order of commands (RFC 5321 4.1.4, 3.3) ---

@test "MAIL before HELO/EHLO is 503 without an enhanced code (RFC 5321 4.1.4)" {
	transcript 'MAIL FROM:<alice@example.net>' 'QUIT'
	smtp -0
	assert_codes 220 503 221
}

@test "RCPT before HELO/EHLO is 503 (RFC 5321 4.1.4)" {
	transcript 'RCPT TO:<bob@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 503 221
}

@test "DATA before HELO/EHLO is 503 (RFC 5321 4.1.4)" {
	transcript 'DATA' 'QUIT'
	smtp -0
	assert_codes 220 503 221
}

@test "RCPT before MAIL is 503 5.5.1 (RFC 5321 3.3)" {
	transcript 'EHLO client.example.net' 'RCPT TO:<bob@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '503 5.5.1' '221 2.0.0'
}

@test "DATA before MAIL is 503 5.5.1 (RFC 5321 3.3)" {
	transcript 'EHLO client.example.net' 'DATA' 'QUIT'
	smtp -0
	assert_codes 220 250 '503 5.5.1' '221 2.0.0'
}

@test "DATA without a recipient is 503 5.5.1 and sends no 354 (RFC 5321 3.3)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'DATA' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '503 5.5.1' '221 2.0.0'
}

@test "DATA after every RCPT was refused is 503 5.5.1 (RFC 5321 3.3)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob>' 'DATA' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '503 5.5.1' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "BDAT without a recipient is 503 5.5.1 and its chunk is consumed (RFC 3030 2)" {
	# "hello" CRLF is the 7-octet chunk; read as a command it would be 500
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'BDAT 7 LAST' 'hello' 'NOOP' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '503 5.5.1' '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "DATA in the middle of a chunked message is 503 5.5.1 (RFC 3030 2)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'BDAT 7' 'hello' 'DATA' 'BDAT 0 LAST' \
	    'QUIT'
	smtp -0 --no-received -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.0.0' '503 5.5.1' \
	    '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
	[ "$(cat "$SPY_DIR/1/msg")" = hello ]
}

@test "MAIL in the middle of a chunked message is 503 5.5.1 (RFC 3030 2)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'BDAT 7' 'hello' \
	    'MAIL FROM:<carol@example.net>' 'BDAT 0 LAST' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.0.0' '503 5.5.1' \
	    '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net bob@example.org
}

@test "RCPT in the middle of a chunked message is 503 5.5.1 (RFC 3030 2)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'BDAT 7' 'hello' \
	    'RCPT TO:<carol@example.org>' 'BDAT 0 LAST' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.0.0' '503 5.5.1' \
	    '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net bob@example.org
}

@test "nested MAIL is 503 5.5.1 Nested MAIL command and the transaction stays (RFC 5321 4.1.4)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'MAIL FROM:<carol@example.net>' \
	    'DATA' 'hello' '.' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '503 5.5.1' 354 \
	    '250 2.0.0' '221 2.0.0'
	[ "$(reply 14)" = '503 5.5.1 Nested MAIL command' ]
	argv_is alice@example.net bob@example.org
}

@test "nested MAIL before any RCPT keeps the sender" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'MAIL FROM:<carol@example.net>' 'RCPT TO:<bob@example.org>' \
	    'DATA' 'hello' '.' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '503 5.5.1' '250 2.1.5' 354 \
	    '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net bob@example.org
}

@test "EHLO in a transaction resets it like RSET (RFC 5321 4.1.4)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'EHLO client.example.net' 'DATA' \
	    'RCPT TO:<bob@example.org>' 'MAIL FROM:<alice@example.net>' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 250 '503 5.5.1' \
	    '503 5.5.1' '250 2.1.0' '221 2.0.0'
}

@test "HELO in a transaction resets it like RSET (RFC 5321 4.1.4)" {
	transcript 'HELO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'HELO client.example.net' 'DATA' \
	    'MAIL FROM:<alice@example.net>' 'QUIT'
	smtp -0
	assert_codes 220 250 250 250 250 503 250 221
}

@test "a second message in one session starts with MAIL, no new EHLO (RFC 5321 3.3)" {
	transcript "${ENVELOPE[@]}" 'one' '.' 'MAIL FROM:<carol@example.net>' \
	    'RCPT TO:<dave@example.org>' 'DATA' 'two' '.' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' \
	    '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 2 ]
}

@test "after a delivered message RCPT is 503 5.5.1: the transaction ended (RFC 5321 4.1.1.4)" {
	transcript "${ENVELOPE[@]}" 'one' '.' 'RCPT TO:<dave@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' \
	    '503 5.5.1' '221 2.0.0'
}

# --- RSET and NOOP ---

@test "RSET is 250 2.0.0 Ok and discards the transaction (RFC 5321 4.1.1.5)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'RSET' 'DATA' 'RCPT TO:<bob@example.org>' \
	    'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.0.0' '503 5.5.1' \
	    '503 5.5.1' '221 2.0.0'
	[ "$(reply 14)" = '250 2.0.0 Ok' ]
	[ "$(delivered)" -eq 0 ]
}

@test "RSET keeps the EHLO: MAIL works after it (RFC 5321 4.1.1.5)" {
	transcript 'EHLO client.example.net' 'RSET' 'MAIL FROM:<alice@example.net>' \
	    'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.0.0' '250 2.1.0' '221 2.0.0'
}

@test "RSET, NOOP, VRFY and HELP work before HELO/EHLO (RFC 5321 4.1.4)" {
	transcript 'RSET' 'NOOP' 'VRFY bob' 'HELP' 'QUIT'
	smtp -0
	assert_codes 220 250 250 252 214 221
}

@test "RSET with an argument is 501 5.5.4 (RFC 5321 4.1.1.5)" {
	transcript 'EHLO client.example.net' 'RSET now' 'QUIT'
	smtp -0
	assert_codes 220 250 '501 5.5.4' '221 2.0.0'
}

@test "QUIT with an argument is 501 5.5.4 and the session goes on (RFC 5321 4.1.1.10)" {
	transcript 'EHLO client.example.net' 'QUIT now' 'QUIT'
	smtp -0
	assert_codes 220 250 '501 5.5.4' '221 2.0.0'
}

@test "DATA with an argument is 501 5.5.4 and sends no 354 (RFC 5321 4.1.1.4)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'DATA now' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '501 5.5.4' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "MAIL without FROM: is 501 5.5.4 (RFC 5321 4.1.1.2)" {
	transcript 'EHLO client.example.net' 'MAIL' 'MAIL <alice@example.net>' 'QUIT'
	smtp -0
	assert_codes 220 250 '501 5.5.4' '501 5.5.4' '221 2.0.0'
}

@test "NOOP is 250 2.0.0 Ok (RFC 5321 4.1.1.9)" {
	transcript 'EHLO client.example.net' 'NOOP' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.0.0' '221 2.0.0'
	[ "$(reply 12)" = '250 2.0.0 Ok' ]
}

@test "NOOP with an argument is 250 2.0.0 (RFC 5321 4.1.1.9)" {
	transcript 'EHLO client.example.net' 'NOOP any thing' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.0.0' '221 2.0.0'
}

@test "NOOP leaves the transaction alone (RFC 5321 4.1.1.9)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'NOOP' 'RCPT TO:<bob@example.org>' 'NOOP' 'DATA' 'hello' '.' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.0.0' '250 2.1.5' '250 2.0.0' \
	    354 '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
}

# --- VRFY, EXPN, HELP and the unimplemented ---

@test "VRFY is 252 2.0.0 Cannot VRFY user; try RCPT (RFC 5321 3.5.3)" {
	transcript 'EHLO client.example.net' 'VRFY bob' 'QUIT'
	smtp -0
	[ "$(reply 12)" = '252 2.0.0 Cannot VRFY user; try RCPT' ]
	assert_codes 220 250 '252 2.0.0' '221 2.0.0'
}

@test "VRFY without an argument is 501 5.5.4 (RFC 5321 4.1.1.6)" {
	transcript 'EHLO client.example.net' 'VRFY' 'QUIT'
	smtp -0
	assert_codes 220 250 '501 5.5.4' '221 2.0.0'
}

@test "EXPN is 502 5.5.1 (RFC 5321 3.5.2)" {
	transcript 'EHLO client.example.net' 'EXPN staff' 'QUIT'
	smtp -0
	assert_codes 220 250 '502 5.5.1' '221 2.0.0'
	[ "$(reply 12)" = '502 5.5.1 Command not implemented' ]
}

@test "TURN, ETRN, SEND, SOML and SAML are 502 5.5.1 (RFC 5321 4.2.4)" {
	transcript 'EHLO client.example.net' 'TURN' 'ETRN example.org' \
	    'SEND FROM:<alice@example.net>' 'SOML FROM:<alice@example.net>' \
	    'SAML FROM:<alice@example.net>' 'QUIT'
	smtp -0
	assert_codes 220 250 '502 5.5.1' '502 5.5.1' '502 5.5.1' '502 5.5.1' \
	    '502 5.5.1' '221 2.0.0'
}

@test "HELP is a one-line 214 2.0.0 (RFC 5321 4.1.1.8)" {
	transcript 'EHLO client.example.net' 'HELP' 'QUIT'
	smtp -0
	assert_codes 220 250 '214 2.0.0' '221 2.0.0'
	[[ "$(reply 12)" == '214 2.0.0 '* ]]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 13 ]
}

@test "HELP with an argument is 214 2.0.0 (RFC 5321 4.1.1.8)" {
	transcript 'EHLO client.example.net' 'HELP MAIL' 'QUIT'
	smtp -0
	assert_codes 220 250 '214 2.0.0' '221 2.0.0'
}

@test "an unknown verb is 500 5.5.2 Command not recognized (RFC 5321 4.2.4)" {
	transcript 'EHLO client.example.net' 'XYZZY' 'XYZZY with args' 'QUIT'
	smtp -0
	assert_codes 220 250 '500 5.5.2' '500 5.5.2' '221 2.0.0'
	[ "$(reply 12)" = '500 5.5.2 Command not recognized' ]
}

@test "an empty command line is 500 5.5.2 (RFC 5321 4.2.4)" {
	transcript 'EHLO client.example.net' '' 'QUIT'
	smtp -0
	assert_codes 220 250 '500 5.5.2' '221 2.0.0'
}

@test "verbs and FROM:/TO: are case-insensitive (RFC 5321 2.4)" {
	transcript 'ehlo client.example.net' 'mail from:<alice@example.net>' \
	    'RcPt To:<bob@example.org>' 'noop' 'rset' 'MaIl FrOm:<alice@example.net>' \
	    'rcpt to:<bob@example.org>' 'data' 'hello' '.' 'vrfy bob' 'help' 'quit'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.0.0' '250 2.0.0' \
	    '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '252 2.0.0' '214 2.0.0' \
	    '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
}

# --- command line length (RFC 5321 4.5.3.1.4) ---

@test "a 512-octet command line with CRLF is accepted (RFC 5321 4.5.3.1.4)" {
	transcript 'EHLO client.example.net' "$(pad 'NOOP ' 512)" 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.0.0' '221 2.0.0'
}

@test "a 513-octet command line is 500 5.5.2 Line too long and the session goes on (RFC 5321 4.5.3.1.4)" {
	transcript 'EHLO client.example.net' "$(pad 'NOOP ' 513)" 'NOOP' 'QUIT'
	smtp -0
	assert_codes 220 250 '500 5.5.2' '250 2.0.0' '221 2.0.0'
	[ "$(reply 12)" = '500 5.5.2 Line too long' ]
}

@test "an overlong command line is discarded whole: one reply for 2000 octets" {
	transcript 'EHLO client.example.net' "$(pad 'NOOP ' 2000)" 'NOOP' 'QUIT'
	smtp -0
	assert_codes 220 250 '500 5.5.2' '250 2.0.0' '221 2.0.0'
}

@test "a command line longer than any buffer (100000 octets) gets one 500 5.5.2" {
	transcript 'EHLO client.example.net' "$(pad 'RCPT TO:<' 100000)" 'NOOP' 'QUIT'
	smtp -0
	assert_codes 220 250 '500 5.5.2' '250 2.0.0' '221 2.0.0'
}

@test "an overlong line is not executed in part: its tail is not a command" {
	local l
	l="$(pad 'NOOP ' 512)QUIT"
	transcript 'EHLO client.example.net' "$l" 'NOOP' 'QUIT'
	smtp -0
	assert_codes 220 250 '500 5.5.2' '250 2.0.0' '221 2.0.0'
}

@test "a 1000-octet MAIL line is read as a command (RFC 5321 4.5.3.1.4 with parameters)" {
	# the unknown parameter shows the line was parsed, not cut
	transcript 'EHLO client.example.net' \
	    "$(pad 'MAIL FROM:<alice@example.net> X-PAD=' 1000)" 'QUIT'
	smtp -0
	assert_codes 220 250 '555 5.5.4' '221 2.0.0'
}

@test "a 1001-octet MAIL line is 500 5.5.2 and opens no transaction (RFC 5321 4.5.3.1.4)" {
	transcript 'EHLO client.example.net' \
	    "$(pad 'MAIL FROM:<alice@example.net> SIZE=10 X-PAD=' 1001)" \
	    'RCPT TO:<bob@example.org>' 'MAIL FROM:<alice@example.net>' 'QUIT'
	smtp -0
	assert_codes 220 250 '500 5.5.2' '503 5.5.1' '250 2.1.0' '221 2.0.0'
}

@test "a 1000-octet RCPT line is read as a command (RFC 5321 4.5.3.1.4)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    "$(pad 'RCPT TO:<bob@example.org> X-PAD=' 1000)" 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '555 5.5.4' '221 2.0.0'
}

@test "a 1001-octet RCPT line is 500 5.5.2 and adds no recipient (RFC 5321 4.5.3.1.4)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    "$(pad 'RCPT TO:<bob@example.org> X-PAD=' 1001)" 'DATA' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '500 5.5.2' '503 5.5.1' '221 2.0.0'
}

@test "a 600-octet command other than MAIL/RCPT is 500 5.5.2 (RFC 5321 4.5.3.1.4)" {
	transcript 'EHLO client.example.net' "$(pad 'VRFY ' 600)" 'QUIT'
	smtp -0
	assert_codes 220 250 '500 5.5.2' '221 2.0.0'
}

# --- bad bytes in commands ---

@test "a NUL in a command is 500 5.5.2 Invalid character in command" {
	printf 'EHLO client.example.net\r\nNOOP a\000b\r\nNOOP\r\nQUIT\r\n' > "$IN"
	smtp -0
	assert_codes 220 250 '500 5.5.2' '250 2.0.0' '221 2.0.0'
	[ "$(reply 12)" = '500 5.5.2 Invalid character in command' ]
}

@test "a NUL in a MAIL address is 500 5.5.2 and opens no transaction" {
	printf 'EHLO client.example.net\r\nMAIL FROM:<alice\000@example.net>\r\nRCPT TO:<bob@example.org>\r\nQUIT\r\n' > "$IN"
	smtp -0
	assert_codes 220 250 '500 5.5.2' '503 5.5.1' '221 2.0.0'
}

@test "a line of NULs is 500 5.5.2 and the session goes on" {
	printf 'EHLO client.example.net\r\n\000\000\000\000\r\nNOOP\r\nQUIT\r\n' > "$IN"
	smtp -0
	assert_codes 220 250 '500 5.5.2' '250 2.0.0' '221 2.0.0'
}

@test "TAB, bare CR, ESC and DEL in a command are 500 5.5.2" {
	printf 'EHLO client.example.net\r\nNOOP\ta\r\nNOOP a\rb\r\nNOOP \033[31m\r\nNOOP a\177\r\nQUIT\r\n' > "$IN"
	smtp -0
	assert_codes 220 250 '500 5.5.2' '500 5.5.2' '500 5.5.2' '500 5.5.2' \
	    '221 2.0.0'
}

@test "a control byte in EHLO is refused and leaves the session not greeted" {
	printf 'EHLO client\001.example.net\r\nMAIL FROM:<alice@example.net>\r\nQUIT\r\n' > "$IN"
	smtp -0
	# 500 5.5.2 before EHLO carries no enhanced code (RFC 2034)
	assert_codes 220 500 503 221
}

# --- the error counter ---

@test "the 20th counted error gets 421 4.7.0 Too many errors and exit 3" {
	local t
	mapfile -t t < <(nlines 20 XYZZY)
	transcript 'EHLO client.example.net' "${t[@]}" 'NOOP' 'QUIT'
	smtp -3
	mapfile -t t < <(nlines 19 '500 5.5.2')
	assert_codes 220 250 "${t[@]}" '421 4.7.0'
	[ "$(reply 31)" = '421 4.7.0 Too many errors' ]
}

@test "19 errors do not end the session" {
	local t
	mapfile -t t < <(nlines 19 XYZZY)
	transcript 'EHLO client.example.net' "${t[@]}" 'NOOP' 'QUIT'
	smtp -0
	mapfile -t t < <(nlines 19 '500 5.5.2')
	assert_codes 220 250 "${t[@]}" '250 2.0.0' '221 2.0.0'
}

@test "successful commands between errors do not reset the error count" {
	local t=() i
	for ((i = 0; i < 20; i++)); do
		t+=(XYZZY 'NOOP')
	done
	transcript 'EHLO client.example.net' "${t[@]}"
	smtp -3
	t=()
	for ((i = 0; i < 19; i++)); do
		t+=('500 5.5.2' '250 2.0.0')
	done
	assert_codes 220 250 "${t[@]}" '421 4.7.0'
}

@test "500, 501, 502, 503, 553, 555 and 550 5.7.1 all count as errors" {
	transcript 'EHLO client.example.net' \
	    XYZZY XYZZY XYZZY \
	    VRFY VRFY VRFY \
	    'EXPN x' 'EXPN x' 'EXPN x' \
	    'RCPT TO:<bob@example.org>' 'RCPT TO:<bob@example.org>' \
	    'RCPT TO:<bob@example.org>' \
	    'MAIL FROM:<-alice@example.net>' 'MAIL FROM:<-alice@example.net>' \
	    'MAIL FROM:<-alice@example.net>' \
	    'MAIL FROM:<alice@example.net> FOO=1' 'MAIL FROM:<alice@example.net> FOO=1' \
	    'MAIL FROM:<alice@example.net> FOO=1' \
	    'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@elsewhere.example>' 'RCPT TO:<carol@elsewhere.example>' \
	    'QUIT'
	smtp -3 --domain=example.org -- "$SPY"
	assert_codes 220 250 \
	    '500 5.5.2' '500 5.5.2' '500 5.5.2' \
	    '501 5.5.4' '501 5.5.4' '501 5.5.4' \
	    '502 5.5.1' '502 5.5.1' '502 5.5.1' \
	    '503 5.5.1' '503 5.5.1' '503 5.5.1' \
	    '553 5.1.7' '553 5.1.7' '553 5.1.7' \
	    '555 5.5.4' '555 5.5.4' '555 5.5.4' \
	    '250 2.1.0' '550 5.7.1' '421 4.7.0'
}

@test "refused EHLO arguments count as errors" {
	local t
	mapfile -t t < <(nlines 20 'EHLO bad!name')
	transcript "${t[@]}" 'QUIT'
	smtp -3
	mapfile -t t < <(nlines 19 501)
	assert_codes 220 "${t[@]}" '421'
}

@test "452 4.5.3 is not counted as an error up to 1000 in a session, only beyond" {
	local t
	# 1 accepted recipient, then 1020 refused: the 1001st to 1019th 452
	# are errors 1 to 19, the 1020th is the 20th error.
	mapfile -t t < <(nlines 1020 'RCPT TO:<bob@example.org>')
	transcript_many 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' "${t[@]}" 'QUIT'
	smtp -3 --max-recipients=1 -- "$SPY"
	mapfile -t t < <(nlines 1019 '452 4.5.3')
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' "${t[@]}" '421 4.7.0'
}

@test "1000 replies 452 4.5.3 and 19 errors do not end the session" {
	local t x e
	mapfile -t t < <(nlines 1000 'RCPT TO:<bob@example.org>')
	mapfile -t x < <(nlines 19 XYZZY)
	transcript_many 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' "${t[@]}" "${x[@]}" 'QUIT'
	smtp -0 --max-recipients=1 -- "$SPY"
	mapfile -t t < <(nlines 1000 '452 4.5.3')
	mapfile -t e < <(nlines 19 '500 5.5.2')
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' "${t[@]}" "${e[@]}" \
	    '221 2.0.0'
}

@test "a BDAT size that is not 1*20DIGIT gets 421 4.5.0 and exit 3 at once (RFC 3030 2)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'BDAT 123456789012345678901 LAST' 'NOOP' \
	    'QUIT'
	smtp -3
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '421 4.5.0'
	[ "$(reply 14)" = '421 4.5.0 Bad BDAT syntax, closing' ]
}

# --- junk commands (--junk-limit) ---

@test "with --junk-limit=0 every NOOP counts: the 20th gets 421 4.7.0" {
	local t
	mapfile -t t < <(nlines 20 NOOP)
	transcript 'EHLO client.example.net' "${t[@]}" 'QUIT'
	smtp -3 --junk-limit=0 -- "$SPY"
	mapfile -t t < <(nlines 19 '250 2.0.0')
	assert_codes 220 250 "${t[@]}" '421 4.7.0'
}

@test "with --junk-limit=5, 5 NOOPs are free and the 25th is the 20th error" {
	local t
	mapfile -t t < <(nlines 25 NOOP)
	transcript 'EHLO client.example.net' "${t[@]}" 'QUIT'
	smtp -3 --junk-limit=5 -- "$SPY"
	mapfile -t t < <(nlines 24 '250 2.0.0')
	assert_codes 220 250 "${t[@]}" '421 4.7.0'
}

@test "by default 100 junk commands are free: 119 NOOPs pass, the 120th gets 421 4.7.0" {
	local t
	mapfile -t t < <(nlines 120 NOOP)
	transcript 'EHLO client.example.net' "${t[@]}" 'QUIT'
	smtp -3
	mapfile -t t < <(nlines 119 '250 2.0.0')
	assert_codes 220 250 "${t[@]}" '421 4.7.0'
}

@test "119 NOOPs with the default junk limit do not end the session" {
	local t
	mapfile -t t < <(nlines 119 NOOP)
	transcript 'EHLO client.example.net' "${t[@]}" 'QUIT'
	smtp -0
	mapfile -t t < <(nlines 119 '250 2.0.0')
	assert_codes 220 250 "${t[@]}" '221 2.0.0'
}

@test "NOOP, RSET, VRFY and HELP share the junk count" {
	transcript 'EHLO client.example.net' \
	    NOOP NOOP NOOP NOOP NOOP RSET RSET RSET RSET RSET \
	    'VRFY a' 'VRFY a' 'VRFY a' 'VRFY a' 'VRFY a' HELP HELP HELP HELP \
	    HELP 'QUIT'
	smtp -3 --junk-limit=0 -- "$SPY"
	assert_codes 220 250 \
	    '250 2.0.0' '250 2.0.0' '250 2.0.0' '250 2.0.0' '250 2.0.0' \
	    '250 2.0.0' '250 2.0.0' '250 2.0.0' '250 2.0.0' '250 2.0.0' \
	    '252 2.0.0' '252 2.0.0' '252 2.0.0' '252 2.0.0' '252 2.0.0' \
	    '214 2.0.0' '214 2.0.0' '214 2.0.0' '214 2.0.0' '421 4.7.0'
}

@test "junk beyond --junk-limit and errors add up to the same count" {
	local t x e
	mapfile -t t < <(nlines 10 NOOP)
	mapfile -t x < <(nlines 10 XYZZY)
	transcript 'EHLO client.example.net' "${t[@]}" "${x[@]}" 'QUIT'
	smtp -3 --junk-limit=0 -- "$SPY"
	mapfile -t t < <(nlines 10 '250 2.0.0')
	mapfile -t e < <(nlines 9 '500 5.5.2')
	assert_codes 220 250 "${t[@]}" "${e[@]}" '421 4.7.0'
}

@test "empty non-LAST BDATs beyond --junk-limit count as errors (RFC 3030 2)" {
	local t
	mapfile -t t < <(nlines 20 'BDAT 0')
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' "${t[@]}" 'QUIT'
	smtp -3 --junk-limit=0 -- "$SPY"
	mapfile -t t < <(nlines 19 '250 2.0.0')
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' "${t[@]}" '421 4.7.0'
	[ "$(delivered)" -eq 0 ]
}

@test "MAIL, RCPT and DATA are not junk" {
	local t=() i
	# 7 messages: 21 commands, more than 20 errors if they counted
	for ((i = 0; i < 7; i++)); do
		t+=('MAIL FROM:<alice@example.net>' 'RCPT TO:<bob@example.org>' \
		    'DATA' 'hi' '.')
	done
	transcript 'EHLO client.example.net' "${t[@]}" 'QUIT'
	smtp -0 --junk-limit=0 -- "$SPY"
	t=()
	for ((i = 0; i < 7; i++)); do
		t+=('250 2.1.0' '250 2.1.5' 354 '250 2.0.0')
	done
	assert_codes 220 250 "${t[@]}" '221 2.0.0'
}
