#!/usr/bin/env bats
# CHUNKING and BINARYMIME (RFC 3030). Issue 2, "CHUNKING" and "The message
# the program reads".
load helper

# begin [MAIL PARAMETERS]: EHLO, MAIL and RCPT into $IN.
begin() {
	transcript 'EHLO client.example.net' \
	    "MAIL FROM:<alice@example.net>${1:+ $1}" 'RCPT TO:<bob@example.org>'
}

# cmds LINE...: appends command lines ended by CRLF to $IN.
cmds() {
	local l
	for l in "$@"; do
		printf '%s\r\n' "$l" >> "$IN"
	done
}

# bdat [LAST] FORMAT: appends "BDAT <n>[ LAST]" and the n octets that
# printf FORMAT makes.
bdat() {
	local last='' c=$BATS_TEST_TMPDIR/chunk
	if [ "$1" = LAST ]; then
		last=' LAST'
		shift
	fi
	# shellcheck disable=SC2059
	printf "$1" > "$c"
	printf 'BDAT %d%s\r\n' "$(($(wc -c < "$c")))" "$last" >> "$IN"
	cat "$c" >> "$IN"
}


# has_line TEXT: one of the reply lines is exactly TEXT.
has_line() {
	printf '%s\n' "$output" | tr -d '\r' | grep -Fxq -- "$1"
}

# The replies up to and including RCPT.
OK_RCPT=(220 250 '250 2.1.0' '250 2.1.5')

@test "EHLO advertises CHUNKING (RFC 3030 2)" {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0
	assert_codes 220 250 '221 2.0.0'
	has_line '250-CHUNKING'
}

@test "EHLO advertises BINARYMIME (RFC 3030 3)" {
	transcript 'EHLO client.example.net' 'QUIT'
	smtp -0
	assert_codes 220 250 '221 2.0.0'
	has_line '250-BINARYMIME'
}

@test "BDAT n LAST reads exactly n octets, end-of-data and command look-alikes included (RFC 3030 2)" {
	begin
	bdat LAST 'Subject: t\r\n\r\nhi\r\n.\r\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nQUIT\r\n'
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
	assert_msg 'Subject: t\n\nhi\n.\nMAIL FROM:<evil@example.com>\nRCPT TO:<victim@example.org>\nDATA\nQUIT\n'
}

@test "a chunk that is not LAST gets 250 2.0.0 <n> octets received (RFC 3030 2)" {
	begin
	bdat 'hello'
	bdat LAST ' world\r\n'
	cmds QUIT
	smtp -0
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '250 2.0.0' '221 2.0.0'
	has_line '250 2.0.0 5 octets received'
}

@test "BDAT LAST delivers the chunks joined in order (RFC 3030 2)" {
	begin
	bdat 'Subject: chunks\r\n\r\nhel'
	bdat 'lo wor'
	bdat LAST 'ld\r\n'
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '250 2.0.0' '250 2.0.0' \
	    '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
	assert_msg 'Subject: chunks\n\nhello world\n'
}

@test "a CRLF split between two chunks still becomes LF" {
	begin
	bdat 'one\r'
	bdat LAST '\ntwo\r\n'
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '250 2.0.0' '221 2.0.0'
	assert_msg 'one\ntwo\n'
}

@test "chunks are not dot-unstuffed (RFC 3030 2)" {
	begin
	bdat LAST '..one\r\n.\r\n...two\r\n'
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '221 2.0.0'
	assert_msg '..one\n.\n...two\n'
}

@test "--crlf keeps the CRLF line endings of a chunked message" {
	begin
	bdat 'Subject: t\r\n'
	bdat LAST '\r\nbody\r\n'
	cmds QUIT
	smtp -0 --no-received --crlf -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '250 2.0.0' '221 2.0.0'
	assert_msg 'Subject: t\r\n\r\nbody\r\n'
}

@test "BODY=BINARYMIME octets reach the program unchanged (RFC 3030 3)" {
	begin BODY=BINARYMIME
	bdat 'a\r\nb\nc\r\0\xff'
	bdat LAST '\r\n..d\r\n.\r\n\x80'
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '250 2.0.0' '221 2.0.0'
	assert_msg 'a\r\nb\nc\r\0\xff\r\n..d\r\n.\r\n\x80'
}

@test "BODY=BINARYMIME octets are unchanged with --crlf too: a bare LF stays bare" {
	begin BODY=BINARYMIME
	bdat LAST 'a\nb\r\nc'
	cmds QUIT
	smtp -0 --no-received --crlf -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '221 2.0.0'
	assert_msg 'a\nb\r\nc'
}

@test "with BODY=BINARYMIME the Received header ends its lines in CRLF" {
	local msg=$SPY_DIR/1/msg hdr=$BATS_TEST_TMPDIR/hdr size lf crlf
	begin BODY=BINARYMIME
	bdat LAST 'x\n'
	cmds QUIT
	smtp -0
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '221 2.0.0'
	size=$(wc -c < "$msg")
	head -c $((size - 2)) "$msg" > "$hdr"
	tail -c 2 "$msg" | cmp - <(printf 'x\n')
	grep -q '^Received: from client\.example\.net' "$hdr"
	lf=$(tr -cd '\n' < "$hdr" | wc -c)
	crlf=$(grep -c $'\r$' "$hdr")
	[ "$lf" -ge 2 ]
	[ "$lf" -eq "$crlf" ]
	[ "$(tail -c 2 "$hdr" | od -An -c | tr -d ' ')" = '\r\n' ]
}

@test "BODY=BINARYMIME reaches the program as SMTP_BODY=BINARYMIME (RFC 3030 3)" {
	begin BODY=BINARYMIME
	bdat LAST 'x'
	cmds QUIT
	smtp -0
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '221 2.0.0'
	grep -Fx 'SMTP_BODY=BINARYMIME' "$SPY_DIR/1/env"
}

# Refusals: the octets are consumed all the same.

@test "BDAT without an accepted recipient consumes its octets and gets 503 5.5.1 (RFC 3030 2)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>'
	bdat LAST 'NOOP\r\n'
	cmds QUIT
	smtp -0
	assert_codes 220 250 '250 2.1.0' '503 5.5.1' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "BDAT before MAIL consumes its octets and gets 503 5.5.1 (RFC 3030 2)" {
	transcript 'EHLO client.example.net'
	bdat 'NOOP\r\n'
	cmds QUIT
	smtp -0
	assert_codes 220 250 '503 5.5.1' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "after a failed chunk every later BDAT of the message gets 503 5.5.1 up to LAST (RFC 3030 2)" {
	# A spool that cannot be created: BDAT consumes its chunk, 451 4.3.0.
	[ -z "${VALGRIND:-}" ] || skip 'valgrind itself needs the TMPDIR this test takes away'
	begin
	bdat 'NOOP\r\n'
	bdat 'NOOP\r\n'
	bdat LAST 'NOOP\r\n'
	cmds 'MAIL FROM:<alice@example.net>' QUIT
	TMPDIR=$BATS_TEST_TMPDIR/missing smtp -0
	assert_codes "${OK_RCPT[@]}" '451 4.3.0' '503 5.5.1' '503 5.5.1' \
	    '250 2.1.0' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "DATA in the middle of a chunked message gets 503 5.5.1" {
	begin
	bdat 'hello '
	cmds DATA
	bdat LAST 'world\r\n'
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '503 5.5.1' '250 2.0.0' \
	    '221 2.0.0'
	assert_msg 'hello world\n'
}

@test "MAIL in the middle of a chunked message gets 503 5.5.1" {
	begin
	bdat 'hello '
	cmds 'MAIL FROM:<carol@example.net>'
	bdat LAST 'world\r\n'
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '503 5.5.1' '250 2.0.0' \
	    '221 2.0.0'
	assert_msg 'hello world\n'
	printf 'alice@example.net\nbob@example.org\n' | cmp - "$SPY_DIR/1/argv"
}

@test "RCPT in the middle of a chunked message gets 503 5.5.1" {
	begin
	bdat 'hello '
	cmds 'RCPT TO:<dave@example.org>'
	bdat LAST 'world\r\n'
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '503 5.5.1' '250 2.0.0' \
	    '221 2.0.0'
	assert_msg 'hello world\n'
	printf 'alice@example.net\nbob@example.org\n' | cmp - "$SPY_DIR/1/argv"
}

@test "RSET in the middle of a chunked message delivers nothing" {
	begin
	bdat 'hello'
	cmds RSET
	bdat LAST 'NOOP\r\n'
	cmds QUIT
	smtp -0
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '250 2.0.0' '503 5.5.1' \
	    '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "end of input in the middle of a chunk delivers nothing and exits 1" {
	begin
	printf 'BDAT 100 LAST\r\nonly a few octets\r\n' >> "$IN"
	smtp -1
	assert_codes "${OK_RCPT[@]}"
	[ "$(delivered)" -eq 0 ]
}

@test "end of input between chunks delivers nothing and exits 1" {
	begin
	bdat 'hello\r\n'
	smtp -1
	assert_codes "${OK_RCPT[@]}" '250 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

# A size that is not 1*20DIGIT (RFC 3030 2): what follows cannot be told
# from payload, so 421 4.5.0 and exit 3 (design notes).

@test "BDAT with a size that is not a number gets 421 4.5.0 and exits 3 (RFC 3030 2)" {
	begin
	cmds 'BDAT x LAST' 'QUIT'
	smtp -3
	assert_codes "${OK_RCPT[@]}" '421 4.5.0'
	[ "$(delivered)" -eq 0 ]
}

@test "BDAT with a 21-digit size gets 421 4.5.0 and exits 3 (RFC 3030 2: 1*20DIGIT)" {
	begin
	cmds 'BDAT 100000000000000000000 LAST' 'QUIT'
	smtp -3
	assert_codes "${OK_RCPT[@]}" '421 4.5.0'
}

@test "BDAT with a negative size gets 421 4.5.0 and exits 3 (RFC 3030 2)" {
	begin
	cmds 'BDAT -1 LAST' 'QUIT'
	smtp -3
	assert_codes "${OK_RCPT[@]}" '421 4.5.0'
}

@test "BDAT without a size gets 421 4.5.0 and exits 3 (RFC 3030 2)" {
	begin
	cmds 'BDAT' 'QUIT'
	smtp -3
	assert_codes "${OK_RCPT[@]}" '421 4.5.0'
}

@test "BDAT with a 20-digit size with leading zeros is valid (RFC 3030 2: 1*20DIGIT)" {
	begin
	printf 'BDAT 00000000000000000005 LAST\r\nhello' >> "$IN"
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '221 2.0.0'
	assert_msg 'hello'
}

# Size (RFC 1870 with RFC 3030): the sum of the chunks.

@test "a chunked message of exactly --max-size octets is delivered (RFC 1870)" {
	begin
	bdat 'hello'
	bdat LAST 'world'
	cmds QUIT
	smtp -0 --max-size=10 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '250 2.0.0' '221 2.0.0'
	assert_msg 'helloworld'
}

@test "a chunk that takes the message over --max-size gets 552 5.3.4 and later chunks 503 5.5.1" {
	begin
	bdat 'hello '
	bdat 'world!'
	bdat 'NOOP\r\n'
	bdat LAST 'NOOP\r\n'
	cmds QUIT
	smtp -0 --max-size=10 -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '552 5.3.4' '503 5.5.1' \
	    '503 5.5.1' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "a LAST chunk over --max-size gets 552 5.3.4 and the session goes on" {
	begin
	bdat LAST 'NOOP\r\nNOOP\r\n'
	cmds 'MAIL FROM:<alice@example.net>' 'RCPT TO:<bob@example.org>'
	bdat LAST 'small'
	cmds QUIT
	smtp -0 --max-size=10 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '552 5.3.4' '250 2.1.0' '250 2.1.5' \
	    '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
	assert_msg 'small'
}

@test "RSET after a refused chunk ends the refusals and a new message is delivered" {
	begin
	bdat 'more than ten octets'
	cmds RSET 'MAIL FROM:<alice@example.net>' 'RCPT TO:<bob@example.org>'
	bdat LAST 'small'
	cmds QUIT
	smtp -0 --max-size=10 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '552 5.3.4' '250 2.0.0' '250 2.1.0' \
	    '250 2.1.5' '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
	assert_msg 'small'
}

# Junk and empty chunks

@test "an empty BDAT that is not LAST counts as junk: with --junk-limit=0 the 20th closes the session" {
	local i want=()
	begin
	for ((i = 1; i <= 20; i++)); do
		bdat ''
	done
	cmds QUIT
	for ((i = 1; i <= 19; i++)); do
		want+=('250 2.0.0')
	done
	smtp -3 --junk-limit=0 -- "$SPY"
	assert_codes "${OK_RCPT[@]}" "${want[@]}" '421 4.7.0'
	[ "$(delivered)" -eq 0 ]
}

@test "chunks with octets are not junk, even with --junk-limit=0" {
	local i want=()
	begin
	for ((i = 1; i <= 25; i++)); do
		bdat 'x'
		want+=('250 2.0.0')
	done
	bdat LAST ''
	cmds QUIT
	smtp -0 --junk-limit=0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" "${want[@]}" '250 2.0.0' '221 2.0.0'
	assert_msg 'xxxxxxxxxxxxxxxxxxxxxxxxx'
}

@test "BDAT 0 LAST ends a chunked message and delivers it (RFC 3030 2)" {
	begin
	bdat 'hello\r\n'
	bdat LAST ''
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
	assert_msg 'hello\n'
}

@test "BDAT 0 LAST alone delivers an empty message (RFC 3030 2)" {
	begin
	bdat LAST ''
	cmds QUIT
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
	[ ! -s "$SPY_DIR/1/msg" ]
}
