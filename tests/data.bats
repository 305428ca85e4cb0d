#!/usr/bin/env bats
# DATA: what the program reads after a DATA command. Issue 2, "The message
# the program reads" and "The protocol"; RFC 5321 4.1.1.4, 4.5.2 and 6.3,
# RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 3030 3 (BINARYMIME).
load helper

# The replies to ENVELOPE, one line, ".", QUIT when the message is delivered.
OK_DATA=(220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0')

# expect_msg FORMAT [ARG...]: writes the expected message with printf.
expect_msg() {
	# shellcheck disable=SC2059
	printf "$@" > "$BATS_TEST_TMPDIR/expected"
}

# assert_expected [N]: the Nth delivery (default 1) read exactly the
# expected message, written beforehand to $BATS_TEST_TMPDIR/expected.
assert_expected() {
	local got=$SPY_DIR/${1:-1}/msg
	if ! cmp "$BATS_TEST_TMPDIR/expected" "$got"; then
		echo "expected:"; od -c "$BATS_TEST_TMPDIR/expected" | head -40
		echo "got:"; od -c "$got" | head -40
		return 1
	fi
}

# Dot-unstuffing and line endings

@test "DATA removes the leading dot of each stuffed line (RFC 5321 4.5.2)" {
	transcript "${ENVELOPE[@]}" 'Subject: dots' '' '..leading dot' \
	    '...two dots' '..' 'a.b' '. space' '.' 'QUIT'
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg 'Subject: dots\n\n.leading dot\n..two dots\n.\na.b\n space\n'
	assert_expected
}

@test "DATA turns every CRLF into LF, in the header and the body alike" {
	transcript "${ENVELOPE[@]}" 'Subject: lf' 'X-Other: y' '' 'line one' \
	    '' 'line three' '.' 'QUIT'
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg 'Subject: lf\nX-Other: y\n\nline one\n\nline three\n'
	assert_expected
}

@test "--crlf keeps the CRLF line endings of a DATA message" {
	transcript "${ENVELOPE[@]}" 'Subject: crlf' '' 'line one' '' '.' 'QUIT'
	smtp -0 --no-received --crlf -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg 'Subject: crlf\r\n\r\nline one\r\n\r\n'
	assert_expected
}

@test "--crlf writes a bare LF of a CRLF session as CRLF" {
	# Design notes: with --crlf every line ending is written as CRLF.
	transcript "${ENVELOPE[@]}"
	printf 'Subject: mixed\r\n\r\none\ntwo\r\n.\r\nQUIT\r\n' >> "$IN"
	smtp -0 --no-received --crlf -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg 'Subject: mixed\r\n\r\none\r\ntwo\r\n'
	assert_expected
}

@test "a session of bare-LF command lines ends the data at LF . LF (LF-only mode, a deliberate exception to RFC 5321 4.1.1.4)" {
	transcript_lf "${ENVELOPE[@]}" 'Subject: lf only' '' 'body' '.' 'QUIT'
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg 'Subject: lf only\n\nbody\n'
	assert_expected
}

@test "LF-only mode removes the leading dot of a stuffed line (RFC 5321 4.5.2)" {
	transcript_lf "${ENVELOPE[@]}" '..dot' '...dots' '.' 'QUIT'
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg '.dot\n..dots\n'
	assert_expected
}

@test "LF-only mode also ends the data at LF . CRLF" {
	# Design notes: in LF-only mode "." LF or "." CRLF ends the data.
	transcript_lf "${ENVELOPE[@]}"
	printf 'body\n.\r\nQUIT\n' >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg 'body\n'
	assert_expected
}

@test "--crlf in LF-only mode writes the line endings as CRLF" {
	transcript_lf "${ENVELOPE[@]}" 'Subject: lf' '' 'body' '.' 'QUIT'
	smtp -0 --no-received --crlf -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg 'Subject: lf\r\n\r\nbody\r\n'
	assert_expected
}

# SIZE (RFC 1870): the message as sent, without stuffing dots, the final
# dot or the Received header. "Subject: t" CRLF, CRLF, ".x" CRLF = 18 octets
# (the line "..x" is sent, but its first dot is stuffing).

@test "a message of exactly --max-size octets, stuffing dots not counted, is accepted (RFC 1870)" {
	transcript "${ENVELOPE[@]}" 'Subject: t' '' '..x' '.' 'QUIT'
	smtp -0 --max-size=18 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg 'Subject: t\n\n.x\n'
	assert_expected
}

@test "the added Received header does not count toward --max-size (RFC 1870)" {
	transcript "${ENVELOPE[@]}" 'Subject: t' '' '..x' '.' 'QUIT'
	smtp -0 --max-size=18 -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	[ "$(delivered)" -eq 1 ]
	head -n 1 "$SPY_DIR/1/msg" | grep -q '^Received: '
}

@test "a message one octet over --max-size gets 552 5.3.4 after the data and is not delivered (RFC 1870)" {
	transcript "${ENVELOPE[@]}" 'Subject: t' '' '..x' '.' 'QUIT'
	smtp -0 --max-size=17 --no-received -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '552 5.3.4' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "after a 552 5.3.4 for a message over --max-size the session goes on" {
	transcript "${ENVELOPE[@]}" 'Subject: t' '' '..x' '.' \
	    'MAIL FROM:<carol@example.net>' 'RCPT TO:<dave@example.org>' 'DATA' \
	    'small' '.' 'QUIT'
	smtp -0 --max-size=17 --no-received -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '552 5.3.4' \
	    '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
	expect_msg 'small\n'
	assert_expected
	printf 'carol@example.net\ndave@example.org\n' | cmp - "$SPY_DIR/1/argv"
}

@test "a message far over --max-size is read to its end, command-like lines included" {
	# A server that stopped reading at the limit would take these NOOPs
	# for commands and answer them.
	transcript "${ENVELOPE[@]}"
	yes NOOP | head -n 3000 | sed 's/$/\r/' >> "$IN"
	printf '.\r\nQUIT\r\n' >> "$IN"
	smtp -0 --max-size=1000 --no-received -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '552 5.3.4' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

# 8BITMIME, long lines, big messages

@test "BODY=8BITMIME octets above 127 reach the program unchanged (RFC 6152)" {
	printf 'EHLO client.example.net\r\nMAIL FROM:<alice@example.net> BODY=8BITMIME\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: caf\xc3\xa9\r\n\r\n\x80\x81\xfe\xff \xe9t\xe9\r\n.\r\nQUIT\r\n' > "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg 'Subject: caf\xc3\xa9\n\n\x80\x81\xfe\xff \xe9t\xe9\n'
	assert_expected
}

@test "BODY=8BITMIME reaches the program as SMTP_BODY=8BITMIME (RFC 6152)" {
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net> BODY=8BITMIME' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'x' '.' 'QUIT'
	smtp -0
	assert_codes "${OK_DATA[@]}"
	grep -Fx 'SMTP_BODY=8BITMIME' "$SPY_DIR/1/env"
}

@test "a 100 kB line is accepted and delivered whole" {
	local long
	long=$(head -c 100000 /dev/zero | tr '\0' a)
	transcript "${ENVELOPE[@]}"
	printf '%s\r\n.\r\nQUIT\r\n' "$long" >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	expect_msg '%s\n' "$long"
	assert_expected
}

@test "the end of data and a stuffed line are found wherever the input buffer is split" {
	# The lengths walk the last 10 octets of the input before QUIT
	# (CRLF "..x" CRLF "." CRLF) across the 64 KiB mark.
	local base k all long top=$BATS_TEST_TMPDIR/top
	transcript "${ENVELOPE[@]}"
	cp "$IN" "$top"
	base=$(wc -c < "$top")
	all=$(head -c 65536 /dev/zero | tr '\0' b)
	for ((k = 0; k <= 10; k++)); do
		rm -rf "$SPY_DIR"
		long=${all:0:65536 - base - k}
		{ cat "$top"; printf '%s\r\n..x\r\n.\r\nQUIT\r\n' "$long"; } > "$IN"
		smtp -0 --no-received -- "$SPY"
		assert_codes "${OK_DATA[@]}"
		expect_msg '%s\n.x\n' "$long"
		assert_expected
	done
}

@test "a 10 MB message is delivered byte for byte" {
	local exp=$BATS_TEST_TMPDIR/expected
	# Every 997th line starts with a dot, stuffed on the wire.
	awk 'BEGIN {
		for (i = 1; i <= 163840; i++)
			printf "%s%08d The quick brown fox jumps over the lazy dog 0123456789\n",
			    (i % 997 == 0 ? "." : ""), i
	}' > "$exp"
	[ "$(wc -c < "$exp")" -ge 10485760 ]
	transcript "${ENVELOPE[@]}"
	sed -e 's/^\./../' -e 's/$/\r/' "$exp" >> "$IN"
	printf '.\r\nQUIT\r\n' >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	cmp "$exp" "$SPY_DIR/1/msg"
}

# End of input in the middle of DATA: exit 1 (design notes), no delivery.

@test "end of input after a whole line of DATA delivers nothing and exits 1" {
	transcript "${ENVELOPE[@]}" 'Subject: cut' '' 'partial'
	smtp -1
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354
	[ "$(delivered)" -eq 0 ]
}

@test "end of input in the middle of a DATA line delivers nothing and exits 1" {
	transcript "${ENVELOPE[@]}"
	printf 'Subject: cut\r\n\r\npart' >> "$IN"
	smtp -1
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354
	[ "$(delivered)" -eq 0 ]
}

@test "end of input after CRLF . without the final CRLF delivers nothing (RFC 5321 4.1.1.4)" {
	transcript "${ENVELOPE[@]}"
	printf 'Subject: cut\r\n\r\nbody\r\n.' >> "$IN"
	smtp -1
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354
	[ "$(delivered)" -eq 0 ]
}

@test "end of input after CRLF . CR delivers nothing (RFC 5321 4.1.1.4)" {
	transcript "${ENVELOPE[@]}"
	printf 'Subject: cut\r\n\r\nbody\r\n.\r' >> "$IN"
	smtp -1
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354
	[ "$(delivered)" -eq 0 ]
}

# Mail loops (RFC 5321 6.3)

# hops N: appends N Received: header lines to $IN.
hops() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "Received: from h%d.example.net by h%d.example.net; Fri, 04 Dec 2026 16:00:00 +0000\r\n", i, i + 1
	}' >> "$IN"
}

# more LINE...: appends lines ended by CRLF to $IN.
more() {
	local l
	for l in "$@"; do
		printf '%s\r\n' "$l" >> "$IN"
	done
}

@test "a header with 100 Received: lines gets 554 5.4.6 and is not delivered (RFC 5321 6.3)" {
	transcript "${ENVELOPE[@]}"
	hops 100
	more 'Subject: loop' '' 'body' '.' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '554 5.4.6' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "a header with 99 Received: lines is delivered, with smtpexec's own as the 100th (RFC 5321 6.3)" {
	transcript "${ENVELOPE[@]}"
	hops 99
	more 'Subject: loop' '' 'body' '.' 'QUIT'
	smtp -0
	assert_codes "${OK_DATA[@]}"
	[ "$(delivered)" -eq 1 ]
	[ "$(grep -c '^Received:' "$SPY_DIR/1/msg")" -eq 100 ]
}

@test "Received: lines in the body do not count toward the mail loop limit (RFC 5321 6.3)" {
	transcript "${ENVELOPE[@]}" 'Subject: forwarded' ''
	hops 150
	more '.' 'QUIT'
	smtp -0
	assert_codes "${OK_DATA[@]}"
	[ "$(delivered)" -eq 1 ]
}

@test "after a 554 5.4.6 for a mail loop the session goes on" {
	transcript "${ENVELOPE[@]}"
	hops 100
	more '' 'body' '.' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'fine' '.' 'QUIT'
	smtp -0 --no-received -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '554 5.4.6' \
	    '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	expect_msg 'fine\n'
	assert_expected
}

# BINARYMIME requires BDAT (RFC 3030 3)

@test "DATA after MAIL BODY=BINARYMIME gets 503 5.5.1 (RFC 3030 3)" {
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net> BODY=BINARYMIME' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '503 5.5.1' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}
