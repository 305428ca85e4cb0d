#!/usr/bin/env bats
# The Received header smtpexec adds (RFC 5321 4.4; RFC 6531 3.7.3 for
# UTF8SMTP; the date per RFC 5322 3.3). Issue 2, "The message the program
# reads"; design notes: "Received: from <helo> ([ip])\n\tby <hostname>
# (smtpexec) with ESMTP id <ID>\n\tfor <rcpt>; <date>\n", without "for"
# unless there is exactly one recipient.
load helper

OK_DATA=(220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0')

# RFC 5322 3.3 date-time as the design notes write it, English names.
DATE_RE='(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [+-][0-9]{4}'

# one_message [options]: EHLO, one recipient, a short message, QUIT; the
# spy delivers it.
one_message() {
	transcript "${ENVELOPE[@]}" 'Subject: r' '' 'body' '.' 'QUIT'
	smtp -0 "$@" -- "$SPY"
	assert_codes "${OK_DATA[@]}"
	[ "$(delivered)" -eq 1 ]
}

# line N: the Nth line of the delivered message.
line() {
	sed -n "${1}p" "$SPY_DIR/1/msg"
}

# hdate: the date after the "; " of the Received header.
hdate() {
	sed -n 's/^	.*; //p' "$SPY_DIR/1/msg" | head -n 1
}

# hid: the id in the Received header.
hid() {
	sed -n 's/^	by .* id \([^ ;]*\).*/\1/p' "$SPY_DIR/1/msg" | head -n 1
}

@test "the Received header names the HELO name and TCPREMOTEIP as an address literal (RFC 5321 4.4)" {
	export TCPREMOTEIP=192.0.2.1
	one_message
	[ "$(line 1)" = 'Received: from client.example.net ([192.0.2.1])' ]
}

@test "an IPv6 peer is written as [IPv6:...] (RFC 5321 4.1.3)" {
	export TCPREMOTEIP=2001:db8::1
	one_message
	[ "$(line 1)" = 'Received: from client.example.net ([IPv6:2001:db8::1])' ]
}

@test "an IPv4-mapped IPv6 peer is written as IPv4" {
	export TCPREMOTEIP=::ffff:192.0.2.1
	one_message
	[ "$(line 1)" = 'Received: from client.example.net ([192.0.2.1])' ]
}

@test "REMOTE_ADDR gives the address when TCPREMOTEIP is unset" {
	export REMOTE_ADDR=198.51.100.7
	one_message
	[ "$(line 1)" = 'Received: from client.example.net ([198.51.100.7])' ]
}

@test "a TCPREMOTEIP that is not an address is ignored for REMOTE_ADDR" {
	export TCPREMOTEIP=not-an-address REMOTE_ADDR=198.51.100.7
	one_message
	[ "$(line 1)" = 'Received: from client.example.net ([198.51.100.7])' ]
}

@test "with no known peer address the Received header has no address part" {
	# stdin is a regular file and no address is in the environment.
	one_message
	[ "$(line 1)" = 'Received: from client.example.net' ]
}

@test "an address literal given to EHLO is the from name (RFC 5321 4.4)" {
	export TCPREMOTEIP=192.0.2.1
	transcript 'EHLO [192.0.2.9]' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'body' '.' 'QUIT'
	smtp -0
	assert_codes "${OK_DATA[@]}"
	[ "$(line 1)" = 'Received: from [192.0.2.9] ([192.0.2.1])' ]
}

@test "the Received header says by <hostname> (smtpexec) (RFC 5321 4.4)" {
	one_message
	[[ "$(line 2)" =~ ^$'\t'by\ mx\.example\.org\ \(smtpexec\)\ with\  ]]
}

@test "--hostname sets the by name of the Received header" {
	transcript "${ENVELOPE[@]}" 'body' '.' 'QUIT'
	run -0 --separate-stderr "$SMTPEXEC" --hostname=relay.example.com \
	    -- "$SPY" < "$IN"
	[[ "$(line 2)" =~ ^$'\t'by\ relay\.example\.com\ \(smtpexec\)\ with\  ]]
}

@test "a HELO session is received with SMTP (RFC 5321 4.4)" {
	transcript 'HELO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'body' '.' 'QUIT'
	smtp -0
	assert_codes 220 250 250 250 354 250 221
	[[ "$(line 2)" =~ ' with SMTP id ' ]]
}

@test "an EHLO session is received with ESMTP (RFC 5321 4.4)" {
	one_message
	[[ "$(line 2)" =~ ' with ESMTP id ' ]]
}

@test "a MAIL with SMTPUTF8 is received with UTF8SMTP (RFC 6531 3.7.3)" {
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net> SMTPUTF8' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'body' '.' 'QUIT'
	smtp -0
	assert_codes "${OK_DATA[@]}"
	[[ "$(line 2)" =~ ' with UTF8SMTP id ' ]]
}

@test "the Received id is SMTP_ID and the id in the 250 reply" {
	local id
	one_message
	id=$(hid)
	[ -n "$id" ]
	grep -Fx "SMTP_ID=$id" "$SPY_DIR/1/env"
	printf '%s\n' "$output" | tr -d '\r' | grep -Fx "250 2.0.0 Ok: queued as $id"
}

@test "each message of a session gets its own id" {
	transcript "${ENVELOPE[@]}" 'one' '.' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'two' '.' 'QUIT'
	smtp -0
	[ "$(delivered)" -eq 2 ]
	[ "$(sed -n 's/^SMTP_ID=//p' "$SPY_DIR/1/env")" != \
	    "$(sed -n 's/^SMTP_ID=//p' "$SPY_DIR/2/env")" ]
}

@test "with exactly one recipient the Received header has for <rcpt> (RFC 5321 4.4)" {
	one_message
	[[ "$(line 3)" =~ ^$'\t'for\ \<bob@example\.org\>\;\ $DATE_RE$ ]]
}

@test "with two recipients the Received header has no for clause" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'RCPT TO:<carol@example.org>' 'DATA' \
	    'Subject: r' '' 'body' '.' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.1.5' 354 \
	    '250 2.0.0' '221 2.0.0'
	[[ "$(line 2)" =~ ^$'\t'by\ mx\.example\.org\ \(smtpexec\)\ with\ ESMTP\ id\ [^\ \;]+\;\ $DATE_RE$ ]]
	[ "$(line 3)" = 'Subject: r' ]
	! grep -q 'for <' "$SPY_DIR/1/msg"
}

@test "the Received header comes first, in the documented form, and the message follows unchanged" {
	local id date
	export TCPREMOTEIP=192.0.2.1
	one_message
	id=$(hid)
	date=$(hdate)
	printf 'Received: from client.example.net ([192.0.2.1])\n\tby mx.example.org (smtpexec) with ESMTP id %s\n\tfor <bob@example.org>; %s\nSubject: r\n\nbody\n' \
	    "$id" "$date" > "$BATS_TEST_TMPDIR/expected"
	cmp "$BATS_TEST_TMPDIR/expected" "$SPY_DIR/1/msg"
}

@test "the Received date has the RFC 5322 3.3 form with a numeric zone" {
	one_message
	[[ "$(hdate)" =~ ^$DATE_RE$ ]]
	[[ "$(hdate)" =~ \ \+0000$ ]]
}

@test "the Received date is the local time with its offset east of UTC (RFC 5322 3.3)" {
	local now then
	export TZ='<+0530>-05:30'
	now=$(date +%s)
	one_message
	[[ "$(hdate)" =~ ^$DATE_RE$ ]]
	[[ "$(hdate)" =~ \ \+0530$ ]]
	then=$(date -d "$(hdate)" +%s)
	[ $((then - now)) -ge -1 ] && [ $((then - now)) -le 60 ]
}

@test "the Received date is the local time with its offset west of UTC (RFC 5322 3.3)" {
	local now then
	export TZ='<-0330>+03:30'
	now=$(date +%s)
	one_message
	[[ "$(hdate)" =~ \ -0330$ ]]
	then=$(date -d "$(hdate)" +%s)
	[ $((then - now)) -ge -1 ] && [ $((then - now)) -le 60 ]
}

@test "the Received date uses English names whatever the locale (RFC 5322 3.3)" {
	# A German locale built for the test: month and day names differ there.
	command -v localedef >/dev/null || skip 'localedef is missing (package locales)'
	mkdir -p "$BATS_TEST_TMPDIR/loc"
	localedef -i de_DE -f UTF-8 "$BATS_TEST_TMPDIR/loc/de_DE.UTF-8" ||
	    skip 'cannot build the de_DE locale here'
	export LOCPATH=$BATS_TEST_TMPDIR/loc LC_ALL=de_DE.UTF-8 LANG=de_DE.UTF-8
	[ "$(date -d 2026-12-04 +%b)" = Dez ]	# the locale is really German
	one_message
	[[ "$(hdate)" =~ ^$DATE_RE$ ]]
}

@test "--no-received delivers the message without a Received header" {
	one_message --no-received
	printf 'Subject: r\n\nbody\n' | cmp - "$SPY_DIR/1/msg"
}

@test "with --crlf the Received header lines end in CRLF too" {
	local n
	one_message --crlf
	n=$(grep -c '' "$SPY_DIR/1/msg")
	[ "$(grep -c $'\r$' "$SPY_DIR/1/msg")" -eq "$n" ]
	[ "$(line 1 | tr -d '\r')" = 'Received: from client.example.net' ]
}
