#!/usr/bin/env bats
# SMTP smuggling (the 2023 research by SEC Consult): in a session whose
# commands end in CRLF, only CRLF . CRLF ends the data (RFC 5321 4.1.1.4).
# Issue 2, "Line endings": a line ends at CRLF or at a bare LF (both become
# LF); only a line after a CRLF (or the DATA command) is unstuffed, and only
# "." CRLF there ends the data; a line after a bare LF is stored unchanged; a
# bare CR is data.
load helper

OK_DATA=(220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0')

# The transaction an attacker hides after a fake end of data.
SMUGGLED='MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nsmuggled\r\n'
SMUGGLED_LF='MAIL FROM:<evil@example.com>\nRCPT TO:<victim@example.org>\nDATA\nsmuggled\n'


# smuggle SEQ WANT: a CRLF session whose message is "body", the sequence
# SEQ, then a smuggled MAIL/RCPT/DATA with its own text, then the real end
# of data. SEQ must not end the message: one reply to the end of data, one
# delivery, to the real envelope, holding the smuggled text, with SEQ stored
# as WANT (printf escapes).
smuggle() {
	transcript "${ENVELOPE[@]}"
	# shellcheck disable=SC2059
	printf "Subject: t\\r\\n\\r\\nbody$1$SMUGGLED.\\r\\nQUIT\\r\\n" >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	[ "$(delivered)" -eq 1 ]
	printf 'alice@example.net\nbob@example.org\n' | cmp - "$SPY_DIR/1/argv"
	grep -q '^smuggled$' "$SPY_DIR/1/msg"
	assert_msg "Subject: t\\n\\nbody$2$SMUGGLED_LF"
}

@test "LF . LF does not end the data of a CRLF session" {
	smuggle '\n.\n' '\n.\n'
}

@test "LF . CRLF does not end the data: a line after a bare LF is not an end" {
	smuggle '\n.\r\n' '\n.\n'
}

@test "CR . CR does not end the data: a bare CR is data" {
	smuggle '\r.\r' '\r.\r'
}

@test "CR . LF does not end the data" {
	smuggle '\r.\n' '\r.\n'
}

@test "LF . CR does not end the data" {
	smuggle '\n.\r' '\n.\r'
}

@test "CR . CRLF does not end the data" {
	smuggle '\r.\r\n' '\r.\n'
}

@test "CRLF . LF does not end the data and the lone dot is kept" {
	# Design notes: "." then a bare LF after CRLF is data, stored ".\n".
	smuggle '\r\n.\n' '\n.\n'
}

@test "CRLF . CR does not end the data; the line is unstuffed since it follows CRLF (RFC 5321 4.5.2)" {
	smuggle '\r\n.\r' '\n\r'
}

@test "CRLF . CR CRLF does not end the data (RFC 5321 4.5.2 unstuffs the dot)" {
	smuggle '\r\n.\r\r\n' '\n\r\n'
}

@test "CRLF NUL . CRLF does not end the data and the NUL is kept" {
	smuggle '\r\n\0.\r\n' '\n\0.\n'
}

@test "CRLF . NUL CRLF does not end the data (RFC 5321 4.5.2 unstuffs the dot)" {
	smuggle '\r\n.\0\r\n' '\n\0\n'
}

@test "CRLF LF . LF does not end the data" {
	smuggle '\r\n\n.\n' '\n\n.\n'
}

@test "LF LF . LF LF does not end the data" {
	smuggle '\n\n.\n\n' '\n\n.\n\n'
}

@test "a stuffed-looking line after a bare LF keeps both dots" {
	transcript "${ENVELOPE[@]}"
	printf 'first\n..second\r\n.\r\nQUIT\r\n' >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	assert_msg 'first\n..second\n'
}

@test "a bare CR is data, not a line ending" {
	transcript "${ENVELOPE[@]}"
	printf 'one\rtwo\r\n\r\r\n.\r\nQUIT\r\n' >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	assert_msg 'one\rtwo\n\r\n'
}

@test "a bare CR stays a bare CR with --crlf" {
	transcript "${ENVELOPE[@]}"
	printf 'one\rtwo\r\n.\r\nQUIT\r\n' >> "$IN"
	smtp -0 --no-received --crlf -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	assert_msg 'one\rtwo\r\n'
}

@test "a bare-LF command followed by CRLF commands before DATA is not LF-only mode" {
	printf 'EHLO client.example.net\nMAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n' > "$IN"
	# shellcheck disable=SC2059
	printf "body\\n.\\n$SMUGGLED.\\r\\nQUIT\\r\\n" >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	[ "$(delivered)" -eq 1 ]
	assert_msg "body\\n.\\n$SMUGGLED_LF"
}

@test "one CRLF command among bare-LF commands before DATA means it is not LF-only mode" {
	printf 'EHLO client.example.net\r\nMAIL FROM:<alice@example.net>\nRCPT TO:<bob@example.org>\nDATA\n' > "$IN"
	# shellcheck disable=SC2059
	printf "body\\n.\\n$SMUGGLED.\\r\\nQUIT\\r\\n" >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	[ "$(delivered)" -eq 1 ]
	assert_msg "body\\n.\\n$SMUGGLED_LF"
}

@test "LF-only mode is decided at each DATA: after a CRLF command LF . LF no longer ends the data" {
	transcript_lf "${ENVELOPE[@]}" 'first' '.'
	# shellcheck disable=SC2059
	printf "MAIL FROM:<alice@example.net>\\r\\nRCPT TO:<bob@example.org>\\r\\nDATA\\r\\nsecond\\n.\\n$SMUGGLED.\\r\\nQUIT\\r\\n" >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' \
	    '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 2 ]
	assert_msg 'first\n' 1
	assert_msg "second\\n.\\n$SMUGGLED_LF" 2
}
