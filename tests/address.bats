#!/usr/bin/env bats
# Paths in MAIL and RCPT (RFC 5321 4.1.2), their parameters, limits on
# recipients and size, and --domain.
load helper

# rep CHAR N: CHAR repeated N times.
rep() {
	printf "%$2s" '' | tr ' ' "$1"
}

# nlines N WORD: WORD N times, one a line.
nlines() {
	yes -- "$2" | head -n "$1"
}

# argv_is ARG...: the first delivery's argv is exactly these arguments.
argv_is() {
	diff <(printf '%s\n' "$@") "$SPY_DIR/1/argv"
}

# one_message MAIL-ARGS RCPT-ARGS...: EHLO, MAIL FROM:MAIL-ARGS, each
# RCPT TO:RCPT-ARGS, a short message and QUIT.
one_message() {
	local from=$1 r rcpts=()
	shift
	for r in "$@"; do
		rcpts+=("RCPT TO:$r")
	done
	transcript 'EHLO client.example.net' "MAIL FROM:$from" "${rcpts[@]}" \
	    'DATA' 'Subject: t' '' 'hello' '.' 'QUIT'
}

# --- accepted paths (RFC 5321 4.1.2) ---

@test "a plain sender and recipient reach the program as arguments" {
	one_message '<alice@example.net>' '<bob@example.org>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(reply 12)" = '250 2.1.0 Ok' ]
	[ "$(reply 13)" = '250 2.1.5 Ok' ]
	argv_is alice@example.net bob@example.org
}

@test "one space after FROM: and TO: is tolerated" {
	one_message ' <alice@example.net>' ' <bob@example.org>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net bob@example.org
}

@test "a quoted local part is accepted and kept with its quotes (RFC 5321 4.1.2 Quoted-string)" {
	one_message '<"john doe"@example.org>' '<"jane doe"@example.org>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is '"john doe"@example.org' '"jane doe"@example.org'
}

@test "a quoted local part may hold @, <, > and escaped quotes (RFC 5321 4.1.2 quoted-pairSMTP)" {
	one_message '<"a@b<c>"@example.org>' '<"x\"y\\z"@example.org>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is '"a@b<c>"@example.org' '"x\"y\\z"@example.org'
}

@test "an unterminated quoted local part is 501 5.1.7 (RFC 5321 4.1.2)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<"john@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '501 5.1.7' '221 2.0.0'
}

@test "a local part of every atext character is accepted (RFC 5321 4.1.2 Atom)" {
	local lp="a!#\$%&'*+-/=?^_\`{|}~.b"
	one_message '<alice@example.net>' "<$lp@example.org>"
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net "$lp@example.org"
}

@test "an IPv4 address literal as domain is accepted (RFC 5321 4.1.3)" {
	one_message '<alice@[192.0.2.1]>' '<bob@[192.0.2.2]>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is 'alice@[192.0.2.1]' 'bob@[192.0.2.2]'
}

@test "an IPv6 address literal as domain is accepted (RFC 5321 4.1.3)" {
	one_message '<alice@[IPv6:2001:db8::1]>' '<bob@[IPv6:2001:db8::2]>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is 'alice@[IPv6:2001:db8::1]' 'bob@[IPv6:2001:db8::2]'
}

@test "a malformed address literal is 501 5.1.3 (RFC 5321 4.1.3)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@[192.0.2.300]>' 'RCPT TO:<bob@[192.0.2.1>' \
	    'RCPT TO:<bob@[IPv6:2001:db8::zz]>' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '501 5.1.3' '501 5.1.3' \
	    '221 2.0.0'
}

@test "a source route in MAIL is accepted and dropped (RFC 5321 4.1.2, C)" {
	one_message '<@relay.example:alice@example.net>' '<bob@example.org>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net bob@example.org
}

@test "a source route of several hops in RCPT is accepted and dropped (RFC 5321 4.1.2, C)" {
	one_message '<alice@example.net>' \
	    '<@a.example,@b.example,@c.example:bob@example.org>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net bob@example.org
	grep -qx 'SMTP_RECIPIENTS=bob@example.org' "$SPY_DIR/1/env"
}

@test "a malformed source route is 501 5.1.3 (RFC 5321 4.1.2 A-d-l)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<@:bob@example.org>' 'RCPT TO:<@a.example bob@example.org>' \
	    'RCPT TO:<@a.example,bob@example.org>' \
	    'RCPT TO:<@[192.0.2.1]:bob@example.org>' 'QUIT'
	smtp -0
	# At-domain = "@" Domain: no address literal in a source route
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '501 5.1.3' '501 5.1.3' \
	    '501 5.1.3' '221 2.0.0'
}

@test "the null sender <> is accepted and passed as an empty argument (RFC 5321 4.5.5)" {
	one_message '<>' '<bob@example.org>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is '' bob@example.org
	[ "$(cat "$SPY_DIR/1/argc")" -eq 2 ]
}

@test "<> as a recipient is 501 5.1.3 (RFC 5321 4.1.1.3)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<>' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '221 2.0.0'
}

@test "RCPT <postmaster> without a domain is accepted in any case (RFC 5321 4.1.1.3, 4.5.1)" {
	one_message '<alice@example.net>' '<postmaster>' '<PostMaster>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.1.5' 354 '250 2.0.0' \
	    '221 2.0.0'
	argv_is alice@example.net postmaster PostMaster
}

@test "MAIL <postmaster> without a domain is 501 5.1.7 (RFC 5321 4.1.2 Reverse-path)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<postmaster>' 'QUIT'
	smtp -0
	assert_codes 220 250 '501 5.1.7' '221 2.0.0'
}

@test "a sender path of 256 octets is accepted, no 64-octet local part limit (RFC 5321 4.5.3.1.3)" {
	local a
	a="$(rep s 242)@example.org"    # with <> 256 octets
	one_message "<$a>" '<bob@example.org>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is "$a" bob@example.org
}

@test "a sender path of 257 octets is 501 5.1.7 (RFC 5321 4.5.3.1.3)" {
	transcript 'EHLO client.example.net' \
	    "MAIL FROM:<$(rep s 243)@example.org>" 'QUIT'
	smtp -0
	assert_codes 220 250 '501 5.1.7' '221 2.0.0'
}

@test "a recipient path of 256 octets is accepted (RFC 5321 4.5.3.1.3)" {
	local a
	a="$(rep r 242)@example.org"
	one_message '<alice@example.net>' "<$a>"
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net "$a"
}

@test "a recipient path of 257 octets is 501 5.1.3 (RFC 5321 4.5.3.1.3)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    "RCPT TO:<$(rep r 243)@example.org>" 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '221 2.0.0'
}

@test "a path of 257 octets counts its source route too (RFC 5321 4.5.3.1.3)" {
	# <@relay.example: is 16 octets, 16 + 228 + 12 + 1 = 257
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    "RCPT TO:<@relay.example:$(rep r 228)@example.org>" 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '221 2.0.0'
}

# --- refused paths ---

@test "a sender without angle brackets is 501 5.1.7 (RFC 5321 4.1.2)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:alice@example.net' \
	    'MAIL FROM:<alice@example.net' 'MAIL FROM:alice@example.net>' 'QUIT'
	smtp -0
	assert_codes 220 250 '501 5.1.7' '501 5.1.7' '501 5.1.7' '221 2.0.0'
}

@test "a recipient without angle brackets is 501 5.1.3 (RFC 5321 4.1.2)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:bob@example.org' 'RCPT TO:<bob@example.org' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '501 5.1.3' '221 2.0.0'
}

@test "bad sender syntax is 501 5.1.7 and opens no transaction (RFC 3463 X.1.7)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice>' \
	    'MAIL FROM:<@example.net>' 'MAIL FROM:<alice@>' \
	    'MAIL FROM:<alice@@example.net>' 'RCPT TO:<bob@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '501 5.1.7' '501 5.1.7' '501 5.1.7' '501 5.1.7' \
	    '503 5.5.1' '221 2.0.0'
}

@test "bad recipient syntax is 501 5.1.3 (RFC 3463 X.1.3)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob>' 'RCPT TO:<@example.org>' 'RCPT TO:<bob@>' \
	    'RCPT TO:<bob@bad..example>' 'RCPT TO:<bob@-bad.example>' \
	    'RCPT TO:<a..b@example.org>' 'RCPT TO:<.b@example.org>' \
	    'RCPT TO:<b.@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '501 5.1.3' '501 5.1.3' \
	    '501 5.1.3' '501 5.1.3' '501 5.1.3' '501 5.1.3' '501 5.1.3' \
	    '221 2.0.0'
}

@test "a sender starting with - is 553 5.1.7: it would reach the program as an option" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<-oQ/tmp@example.net>' \
	    'RCPT TO:<bob@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '553 5.1.7' '503 5.5.1' '221 2.0.0'
}

@test "a recipient starting with - is 553 5.1.3: it would reach the program as an option" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<-x@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '553 5.1.3' '221 2.0.0'
}

@test "a recipient starting with - after its dropped source route is 553 5.1.3" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<@relay.example:-x@example.org>' 'DATA' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '553 5.1.3' '503 5.5.1' '221 2.0.0'
}

@test "a - inside a local part is fine" {
	one_message '<a-b@example.net>' '<c-@example.org>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
}

# --- UTF-8 (RFC 6531) ---

@test "UTF-8 in a sender without SMTPUTF8 is 553 5.6.7 (RFC 6531 3.5)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<jörg@example.net>' \
	    'MAIL FROM:<joerg@bücher.example>' 'QUIT'
	smtp -0
	assert_codes 220 250 '553 5.6.7' '553 5.6.7' '221 2.0.0'
}

@test "UTF-8 in a recipient without SMTPUTF8 is 553 5.6.7 (RFC 6531 3.5)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<jörg@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '553 5.6.7' '221 2.0.0'
}

@test "with SMTPUTF8 valid UTF-8 addresses are accepted and passed unchanged (RFC 6531 3.3)" {
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<jörg@bücher.example> SMTPUTF8' \
	    'RCPT TO:<δοκιμή@παράδειγμα.δοκιμή>' 'RCPT TO:<用户@例子.广告>' \
	    'DATA' 'hello' '.' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.1.5' 354 \
	    '250 2.0.0' '221 2.0.0'
	argv_is 'jörg@bücher.example' 'δοκιμή@παράδειγμα.δοκιμή' '用户@例子.广告'
	grep -qx 'SMTP_UTF8=1' "$SPY_DIR/1/env"
}

@test "with SMTPUTF8 invalid UTF-8 in the sender is 501 5.1.7 (RFC 6531 3.3, RFC 3629)" {
	transcript 'EHLO client.example.net' \
	    $'MAIL FROM:<j\xffrg@example.net> SMTPUTF8' \
	    $'MAIL FROM:<j\xc3(rg@example.net> SMTPUTF8' \
	    $'MAIL FROM:<j\xc0\xafrg@example.net> SMTPUTF8' \
	    $'MAIL FROM:<j\xed\xa0\x80rg@example.net> SMTPUTF8' \
	    $'MAIL FROM:<jrg@example.ne\xc3> SMTPUTF8' 'QUIT'
	smtp -0
	assert_codes 220 250 '501 5.1.7' '501 5.1.7' '501 5.1.7' '501 5.1.7' \
	    '501 5.1.7' '221 2.0.0'
}

@test "with SMTPUTF8 invalid UTF-8 in a recipient is 501 5.1.3 (RFC 6531 3.3, RFC 3629)" {
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net> SMTPUTF8' \
	    $'RCPT TO:<b\x80b@example.org>' $'RCPT TO:<bob@ex\xe4mple.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '501 5.1.3' '221 2.0.0'
}

# --- MAIL parameters (RFC 5321 4.1.1.11, 1870, 6152, 3030, 6531) ---

@test "MAIL parameters SIZE, BODY and SMTPUTF8 are accepted, keywords in any case" {
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net> SIZE=100 BODY=8BITMIME SMTPUTF8' 'RSET' \
	    'MAIL FROM:<alice@example.net> size=100 body=7bit smtputf8' 'RSET' \
	    'MAIL FROM:<alice@example.net> Body=BinaryMime' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.0.0' '250 2.1.0' '250 2.0.0' \
	    '250 2.1.0' '221 2.0.0'
}

@test "BODY=8BITMIME reaches the program as SMTP_BODY (RFC 6152)" {
	one_message '<alice@example.net> BODY=8BITMIME' '<bob@example.org>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	grep -qx 'SMTP_BODY=8BITMIME' "$SPY_DIR/1/env"
	run -1 grep '^SMTP_UTF8=' "$SPY_DIR/1/env"
}

@test "an unknown MAIL parameter is 555 5.5.4 (RFC 5321 4.1.1.11)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net> FOO=bar' \
	    'MAIL FROM:<alice@example.net> RET=FULL' \
	    'MAIL FROM:<alice@example.net> AUTH=<>' 'RCPT TO:<bob@example.org>' 'QUIT'
	smtp -0
	assert_codes 220 250 '555 5.5.4' '555 5.5.4' '555 5.5.4' '503 5.5.1' \
	    '221 2.0.0'
}

@test "an RCPT parameter is 555 5.5.4 (RFC 5321 4.1.1.11)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org> NOTIFY=NEVER' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '555 5.5.4' '221 2.0.0'
}

@test "a wrong BODY or SIZE value is 501 5.5.4" {
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net> BODY=QUOTED' \
	    'MAIL FROM:<alice@example.net> SIZE=abc' \
	    'MAIL FROM:<alice@example.net> SIZE=' \
	    'MAIL FROM:<alice@example.net> SIZE=-1' \
	    'MAIL FROM:<alice@example.net> SIZE=123456789012345678901' 'QUIT'
	smtp -0
	# RFC 1870 size-value is 1*20DIGIT
	assert_codes 220 250 '501 5.5.4' '501 5.5.4' '501 5.5.4' '501 5.5.4' \
	    '501 5.5.4' '221 2.0.0'
}

@test "MAIL parameters in a HELO session are 555 without an enhanced code (RFC 5321 4.1.1.11)" {
	transcript 'HELO client.example.net' 'MAIL FROM:<alice@example.net> SIZE=10' \
	    'MAIL FROM:<alice@example.net> BODY=8BITMIME' 'MAIL FROM:<alice@example.net>' \
	    'QUIT'
	smtp -0
	assert_codes 220 250 555 555 250 221
}

@test "a declared SIZE equal to --max-size is accepted (RFC 1870 6)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net> SIZE=1000' \
	    'QUIT'
	smtp -0 --max-size=1000 -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '221 2.0.0'
}

@test "a declared SIZE above --max-size is 552 5.3.4 at MAIL (RFC 1870 6)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net> SIZE=1001' \
	    'RCPT TO:<bob@example.org>' 'QUIT'
	smtp -0 --max-size=1000 -- "$SPY"
	assert_codes 220 250 '552 5.3.4' '503 5.5.1' '221 2.0.0'
}

@test "a declared SIZE above the default limit of 26214400 is 552 5.3.4 (RFC 1870 6)" {
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net> SIZE=26214400' 'RSET' \
	    'MAIL FROM:<alice@example.net> SIZE=26214401' \
	    'MAIL FROM:<alice@example.net> SIZE=99999999999999999999' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.0.0' '552 5.3.4' '552 5.3.4' \
	    '221 2.0.0'
}

@test "with --max-size=0 any declared SIZE is accepted (RFC 1870 4)" {
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net> SIZE=99999999999999999999' 'QUIT'
	smtp -0 --max-size=0 -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '221 2.0.0'
}

# --- recipient limit (RFC 5321 4.5.3.1.8, 4.5.3.1.10) ---

@test "more than --max-recipients is 452 4.5.3 and the others are delivered (RFC 5321 4.5.3.1.10)" {
	one_message '<alice@example.net>' '<a@example.org>' '<b@example.org>' \
	    '<c@example.org>'
	smtp -0 --max-recipients=2 -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.1.5' '452 4.5.3' 354 \
	    '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net a@example.org b@example.org
}

@test "by default 100 recipients are accepted and the 101st is 452 4.5.3 (RFC 5321 4.5.3.1.8)" {
	local r want
	mapfile -t r < <(seq -f 'RCPT TO:<r%g@example.org>' 101)
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    "${r[@]}" 'DATA' 'hello' '.' 'QUIT'
	smtp -0
	mapfile -t want < <(nlines 100 '250 2.1.5')
	assert_codes 220 250 '250 2.1.0' "${want[@]}" '452 4.5.3' 354 \
	    '250 2.0.0' '221 2.0.0'
	[ "$(cat "$SPY_DIR/1/argc")" -eq 101 ]
}

@test "the recipient count starts again after RSET" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<a@example.org>' 'RSET' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<b@example.org>' 'RCPT TO:<c@example.org>' 'QUIT'
	smtp -0 --max-recipients=1 -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.0.0' '250 2.1.0' \
	    '250 2.1.5' '452 4.5.3' '221 2.0.0'
}

# --- --domain and RELAYCLIENT ---

@test "with --domain a recipient in another domain is 550 5.7.1" {
	one_message '<alice@example.net>' '<bob@example.org>' '<eve@other.example>'
	smtp -0 --domain=example.org -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '550 5.7.1' 354 \
	    '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net bob@example.org
}

@test "--domain does not restrict the sender" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@other.example>' 'QUIT'
	smtp -0 --domain=example.org -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '221 2.0.0'
}

@test "--domain matches ASCII case-insensitively" {
	one_message '<alice@example.net>' '<bob@EXAMPLE.Org>'
	smtp -0 --domain=Example.ORG -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
}

@test "--domain with a trailing dot matches the domain without it" {
	one_message '<alice@example.net>' '<bob@example.org>'
	smtp -0 --domain=example.org. -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
}

@test "--domain does not match subdomains or parent domains" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@sub.example.org>' 'RCPT TO:<bob@org>' \
	    'RCPT TO:<bob@xexample.org>' 'QUIT'
	smtp -0 --domain=example.org -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '550 5.7.1' '550 5.7.1' '550 5.7.1' \
	    '221 2.0.0'
}

@test "--domain is repeatable" {
	one_message '<alice@example.net>' '<bob@example.org>' '<carol@example.com>' \
	    '<eve@example.net>'
	smtp -0 --domain=example.org --domain=example.com -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.1.5' '550 5.7.1' 354 \
	    '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net bob@example.org carol@example.com
}

@test "with --domain an address literal recipient is 550 5.7.1" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@[192.0.2.1]>' 'QUIT'
	smtp -0 --domain=example.org -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '550 5.7.1' '221 2.0.0'
}

@test "with --domain a U-label domain matches byte for byte (RFC 6531)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net> SMTPUTF8' \
	    'RCPT TO:<jörg@bücher.example>' 'RCPT TO:<jörg@BüCHER.example>' \
	    'RCPT TO:<jörg@bÜcher.example>' 'QUIT'
	smtp -0 --domain=bücher.example -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.1.5' '550 5.7.1' \
	    '221 2.0.0'
}

@test "with --domain <postmaster> without a domain is always accepted (RFC 5321 4.5.1)" {
	one_message '<alice@example.net>' '<postmaster>' '<POSTMASTER>'
	smtp -0 --domain=example.org -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.1.5' 354 \
	    '250 2.0.0' '221 2.0.0'
}

@test "with --domain postmaster at the own domain is accepted, at another 550 5.7.1" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<postmaster@example.org>' 'RCPT TO:<postmaster@other.example>' \
	    'QUIT'
	smtp -0 --domain=example.org -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '550 5.7.1' '221 2.0.0'
}

@test "RELAYCLIENT lifts --domain" {
	export RELAYCLIENT=1
	one_message '<alice@example.net>' '<eve@other.example>'
	smtp -0 --domain=example.org -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net eve@other.example
}

@test "RELAYCLIENT set and empty lifts --domain too (ucspi-tcp convention)" {
	export RELAYCLIENT=
	one_message '<alice@example.net>' '<eve@other.example>'
	smtp -0 --domain=example.org -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
}

@test "without --domain every recipient domain is accepted" {
	one_message '<alice@example.net>' '<eve@other.example>' '<bob@[192.0.2.1]>'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.1.5' 354 \
	    '250 2.0.0' '221 2.0.0'
}
