#!/usr/bin/env bats
# Hostile input (issue 4, "Faults and bad input"): addresses built to
# reach a shell or the program's option parser, over-long and malformed
# addresses, invalid UTF-8, NUL bytes, numbers that overflow, and SMTP
# smuggling through BDAT content. Every one is either refused or passed on
# literally, never interpreted.
#
# Covered elsewhere, not repeated here: the basic '-' refusals and 257-octet
# paths (address.bats), NUL and control bytes in plain commands
# (sequence.bats), the smuggling sequences in DATA and a session that
# switches from bare LF to CRLF commands before DATA (smuggling.bats).

load helper

# prog NAME: writes stdin into the executable $BATS_TEST_TMPDIR/NAME.
prog() {
	cat > "$BATS_TEST_TMPDIR/$1"
	chmod +x "$BATS_TEST_TMPDIR/$1"
}

# rep CHAR N: CHAR repeated N times.
rep() {
	printf "%$2s" '' | tr ' ' "$1"
}

# argv_is ARG...: the first delivery's argv is exactly these arguments.
argv_is() {
	diff <(printf '%s\n' "$@") "$SPY_DIR/1/argv"
}


OK_RCPT=(220 250 '250 2.1.0' '250 2.1.5')

# --- shell metacharacters -----------------------------------------------------

@test "addresses full of shell metacharacters reach the program literally, one argument each, and no shell runs" {
	local T=$BATS_TEST_TMPDIR
	# $( ) ; & < > and space need a quoted local part (RFC 5321 4.1.2
	# Quoted-string); $ ` | { } & ' are atext and need none
	local s="\"\$(touch $T/subst)\"@example.net"
	local r1="a|b\`touch\${IFS}$T/backtick\`{x}\$HOME&c@example.org"
	local r2="\"a;touch $T/semi;b&c>$T/redir<d|e\"@example.org"
	local r3="\"it's \\\"q\\\" \\\\ end\"@example.org"
	local r4="'\${IFS}'\`id\`@example.org"
	transcript 'EHLO client.example.net' "MAIL FROM:<$s>" "RCPT TO:<$r1>" \
	    "RCPT TO:<$r2>" "RCPT TO:<$r3>" "RCPT TO:<$r4>" 'DATA' 'hi' '.' 'QUIT'
	smtp -0 -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.1.5' '250 2.1.5' \
	    '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(cat "$SPY_DIR/1/argc")" = 5 ]
	argv_is "$s" "$r1" "$r2" "$r3" "$r4"
	# nothing was evaluated anywhere
	[ ! -e "$T/subst" ]
	[ ! -e "$T/backtick" ]
	[ ! -e "$T/semi" ]
	[ ! -e "$T/redir" ]
	grep -Fqx "SMTP_SENDER=$s" "$SPY_DIR/1/env"
}

@test "metacharacters in {sender} and {recipients} are substituted as whole arguments, never re-split" {
	local r="\"x y\"@example.org" s="a\$b\`c\`d@example.net"
	transcript 'EHLO client.example.net' "MAIL FROM:<$s>" "RCPT TO:<$r>" \
	    'DATA' 'hi' '.' 'QUIT'
	smtp -0 -- "$SPY" --from '{sender}' --to '{recipients}' --end
	argv_is --from "$s" --to "$r" --end
}

# --- option-like addresses -------------------------------------------------------

@test "sendmail-style option addresses (-X/path, -oQ, --help) are refused with 553 and never reach the program" {
	# -X<file> is the sendmail option abused through PHPMailer's sender
	# (CVE-2016-10033)
	transcript 'EHLO client.example.net' 'MAIL FROM:<-X/tmp/log@example.net>' \
	    'MAIL FROM:<--help@example.net>' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<-oQ/tmp@example.org>' 'RCPT TO:<-bh@example.org>' \
	    'RCPT TO:<@relay.example:-Cfile@example.org>' 'DATA' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'hi' '.' 'QUIT'
	smtp -0 -- "$SPY"
	assert_codes 220 250 '553 5.1.7' '553 5.1.7' '250 2.1.0' '553 5.1.3' \
	    '553 5.1.3' '553 5.1.3' '503 5.5.1' '250 2.1.5' 354 '250 2.0.0' \
	    '221 2.0.0'
	[ "$(delivered)" = 1 ]
	argv_is alice@example.net bob@example.org
}

@test "a quoted local part that starts with - is accepted: its argument starts with a quote, not with -" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<"-oQ/tmp"@example.net>' \
	    'RCPT TO:<"-X/tmp/log"@example.org>' 'DATA' 'hi' '.' 'QUIT'
	smtp -0 -- "$SPY"
	assert_codes "${OK_RCPT[@]}" 354 '250 2.0.0' '221 2.0.0'
	argv_is '"-oQ/tmp"@example.net' '"-X/tmp/log"@example.org'
}

# --- over-long addresses (RFC 5321 4.5.3.1.3: a path of at most 256 octets) ---

@test "a 900-octet local part is 501 5.1.7 in MAIL and 501 5.1.3 in RCPT, and the session goes on" {
	local lp
	lp=$(rep a 900)
	transcript 'EHLO client.example.net' "MAIL FROM:<$lp@example.net>" \
	    'MAIL FROM:<alice@example.net>' "RCPT TO:<$lp@example.org>" \
	    'RCPT TO:<bob@example.org>' 'DATA' 'hi' '.' 'QUIT'
	smtp -0 -- "$SPY"
	assert_codes 220 250 '501 5.1.7' '250 2.1.0' '501 5.1.3' '250 2.1.5' 354 \
	    '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net bob@example.org
}

@test "a 900-octet domain is 501 5.1.3, a 450-octet quoted local part 501 5.1.3" {
	local d q
	d=$(rep a 60).$(rep b 60).$(rep c 60).$(rep d 60).$(rep e 60).$(rep f 60).$(rep g 60).$(rep h 60).$(rep i 60).$(rep j 60).$(rep k 60).$(rep l 60).$(rep m 60).$(rep n 60).$(rep o 60).org
	# x and a quoted-pair \" 150 times: 452 octets with the quotes
	q=\"$(printf 'x\\"%.0s' $(seq 150))\"
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    "RCPT TO:<bob@$d>" "RCPT TO:<$q@example.org>" 'QUIT'
	[ "${#d}" -gt 900 ]
	[ "${#q}" -eq 452 ]
	smtp -0 -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '501 5.1.3' '221 2.0.0'
}

@test "an address of 5000 octets makes the line too long: 500 5.5.2, no transaction opened, the session goes on" {
	local lp
	lp=$(rep a 5000)
	transcript 'EHLO client.example.net' "MAIL FROM:<$lp@example.net>" \
	    'RCPT TO:<bob@example.org>' 'MAIL FROM:<alice@example.net>' \
	    "RCPT TO:<$lp@example.org>" 'DATA' 'QUIT'
	smtp -0 -- "$SPY"
	assert_codes 220 250 '500 5.5.2' '503 5.5.1' '250 2.1.0' '500 5.5.2' \
	    '503 5.5.1' '221 2.0.0'
	[ "$(delivered)" = 0 ]
}

# --- invalid UTF-8 (RFC 6531 3.3, RFC 3629 3 and 10) -----------------------------

@test "with SMTPUTF8, overlong, surrogate, out-of-range, truncated and stray UTF-8 in a recipient is 501 5.1.3" {
	local b bad=(
	    $'\xc0\xaf'			# overlong "/" (RFC 3629 10)
	    $'\xc1\xbf'			# overlong, 2 octets
	    $'\xe0\x80\xaf'		# overlong "/", 3 octets
	    $'\xf0\x8f\xbf\xbf'		# overlong U+FFFF, 4 octets
	    $'\xed\xa0\x80'		# UTF-16 surrogate U+D800
	    $'\xf4\x90\x80\x80'		# U+110000, above U+10FFFF
	    $'\xf8\x88\x80\x80\x80'	# 5-octet form
	    $'\x80'			# stray continuation octet
	    $'\xe2\x82'			# truncated sequence
	    $'\xc3'			# lead octet alone
	    $'\xfe'			# never valid
	    $'\xff'			# never valid
	)
	local cmds=('EHLO client.example.net' 'MAIL FROM:<alice@example.net> SMTPUTF8')
	for b in "${bad[@]}"; do
		cmds+=("RCPT TO:<b${b}ob@example.org>")
	done
	cmds+=($'RCPT TO:<bob@ex\xc3mple.org>' 'QUIT')
	transcript "${cmds[@]}"
	smtp -0 -- "$SPY"
	local want=(220 250 '250 2.1.0')
	for b in "${bad[@]}" domain; do
		want+=('501 5.1.3')
	done
	assert_codes "${want[@]}" '221 2.0.0'
}

@test "with SMTPUTF8, invalid UTF-8 in the sender is 501 5.1.7 and valid 2-, 3- and 4-octet forms are delivered unchanged" {
	transcript 'EHLO client.example.net' \
	    $'MAIL FROM:<b\xed\xa0\x80ob@example.net> SMTPUTF8' \
	    $'MAIL FROM:<b\xc0\xafob@example.net> SMTPUTF8' \
	    $'MAIL FROM:<j\xc3\xb6rg@ex\xc3\xa4mple.net> SMTPUTF8' \
	    $'RCPT TO:<\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf@example.org>' \
	    'DATA' 'hi' '.' 'QUIT'
	smtp -0 -- "$SPY"
	assert_codes 220 250 '501 5.1.7' '501 5.1.7' '250 2.1.0' '250 2.1.5' 354 \
	    '250 2.0.0' '221 2.0.0'
	argv_is $'j\xc3\xb6rg@ex\xc3\xa4mple.net' \
	    $'\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf@example.org'
}

# --- NUL bytes ------------------------------------------------------------------

@test "a NUL that would cut an address short is 500 5.5.2: no recipient added, no truncated address delivered" {
	printf 'EHLO client.example.net\r\nMAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org\0@evil.example>\r\nDATA\r\nRCPT TO:<evil@evil.example\0>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n' > "$IN"
	smtp -0 -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '500 5.5.2' '503 5.5.1' '500 5.5.2' \
	    '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	argv_is alice@example.net carol@example.org
}

@test "NUL bytes in the verb, in EHLO and alone on a line are 500 5.5.2 and the session goes on" {
	printf 'EHLO client.example.net\r\nMAIL\0FROM:<alice@example.net>\r\n\0\0\0\r\nEHLO a\0b\r\nNO\0OP\r\nMAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n' > "$IN"
	smtp -0 -- "$SPY"
	assert_codes 220 250 '500 5.5.2' '500 5.5.2' '500 5.5.2' '500 5.5.2' \
	    '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" = 1 ]
}

# --- numbers that overflow -------------------------------------------------------

@test "a SIZE= that overflows 64 bits is never taken as small: no transaction is opened (RFC 1870 6)" {
	# 2^64 + 1 would wrap to 1
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net> SIZE=18446744073709551617' \
	    'MAIL FROM:<alice@example.net> SIZE=99999999999999999999999999' \
	    'RCPT TO:<bob@example.org>' 'QUIT'
	smtp -0 -- "$SPY"
	# 2^64+1 is 1*20DIGIT and over the limit (RFC 1870 6); 26 digits is no
	# SIZE value at all
	assert_codes 220 250 '552 5.3.4' '501 5.5.4' '503 5.5.1' '221 2.0.0'
}

@test "a BDAT size above 2^64 is read as that many octets: the rest of the input is payload, never commands (RFC 3030 2)" {
	# 2^64 + 5 would wrap to 5: "QUIT" CRLF and a second transaction
	# would then run as commands
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'BDAT 18446744073709551621 LAST' 'QUIT' \
	    'MAIL FROM:<evil@example.com>' 'RCPT TO:<victim@example.org>' \
	    'BDAT 5 LAST' 'evil!' 'QUIT'
	smtp -1 --max-size=0 -- "$SPY"
	assert_codes "${OK_RCPT[@]}"
	[ "$(delivered)" = 0 ]
}

# --- BDAT smuggling (the 2023 SMTP smuggling sequences in chunk content) ------

# The transaction an attacker hides after a fake end of data.
SMUGGLED='MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nsmuggled\r\n'
SMUGGLED_LF='MAIL FROM:<evil@example.com>\nRCPT TO:<victim@example.org>\nDATA\nsmuggled\n'

# bdat_smuggle SEQ WANT: a chunked message "body", SEQ, a smuggled
# MAIL/RCPT/DATA with its text, split in two chunks in the middle of SEQ.
# Chunk content is never an end of data nor a command (RFC 3030 2): two
# 250s, one delivery to the real envelope, holding everything, with only
# CRLF turned into LF, SEQ stored as WANT (printf escapes).
bdat_smuggle() {
	local c=$BATS_TEST_TMPDIR/content cut
	# shellcheck disable=SC2059
	printf "Subject: t\\r\\n\\r\\nbody$1$SMUGGLED" > "$c"
	# "Subject: t" CRLF CRLF "body" and the first two octets of SEQ
	cut=20
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>'
	printf 'BDAT %d\r\n' "$cut" >> "$IN"
	head -c "$cut" "$c" >> "$IN"
	printf 'BDAT %d LAST\r\n' $(($(wc -c < "$c") - cut)) >> "$IN"
	tail -c +$((cut + 1)) "$c" >> "$IN"
	printf 'QUIT\r\n' >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
	argv_is alice@example.net bob@example.org
	assert_msg "Subject: t\\n\\nbody$2$SMUGGLED_LF"
}

@test "BDAT content with CRLF . CRLF and a smuggled transaction is data: one delivery" {
	bdat_smuggle '\r\n.\r\n' '\n.\n'
}

@test "BDAT content with LF . LF is data" {
	bdat_smuggle '\n.\n' '\n.\n'
}

@test "BDAT content with LF . CRLF is data" {
	bdat_smuggle '\n.\r\n' '\n.\n'
}

@test "BDAT content with CR . CR is data, the bare CRs kept" {
	bdat_smuggle '\r.\r' '\r.\r'
}

@test "BDAT content with CR . LF is data" {
	bdat_smuggle '\r.\n' '\r.\n'
}

@test "BDAT content with LF . CR is data" {
	bdat_smuggle '\n.\r' '\n.\r'
}

@test "BDAT content with CR . CRLF is data" {
	bdat_smuggle '\r.\r\n' '\r.\n'
}

@test "BDAT content with CRLF . LF is data" {
	bdat_smuggle '\r\n.\n' '\n.\n'
}

@test "BDAT content with CRLF . CR is data" {
	bdat_smuggle '\r\n.\r' '\n.\r'
}

@test "BDAT content with CRLF NUL . CRLF is data, the NUL kept" {
	bdat_smuggle '\r\n\0.\r\n' '\n\0.\n'
}

@test "BDAT content with CRLF . NUL CRLF is data, the NUL kept" {
	bdat_smuggle '\r\n.\0\r\n' '\n.\0\n'
}

@test "BDAT content with LF LF . LF LF is data" {
	bdat_smuggle '\n\n.\n\n' '\n\n.\n\n'
}

@test "BDAT content with BODY=BINARYMIME keeps every smuggling sequence octet for octet (RFC 3030 3)" {
	local c=$BATS_TEST_TMPDIR/content
	local all='\r\n.\r\n\n.\n\n.\r\n\r.\r\r.\n\n.\r\r.\r\n\r\n.\n\r\n.\r\r\n\0.\r\n\r\n.\0\r\n'
	# shellcheck disable=SC2059
	printf "body$all$SMUGGLED" > "$c"
	transcript 'EHLO client.example.net' \
	    'MAIL FROM:<alice@example.net> BODY=BINARYMIME' 'RCPT TO:<bob@example.org>'
	printf 'BDAT %d LAST\r\n' "$(wc -c < "$c")" >> "$IN"
	cat "$c" >> "$IN"
	printf 'QUIT\r\n' >> "$IN"
	smtp -0 --no-received -- "$SPY"
	assert_codes "${OK_RCPT[@]}" '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 1 ]
	cmp "$c" "$SPY_DIR/1/msg"
}

@test "a BDAT line with a control byte never lets its chunk run as commands (RFC 3030 2)" {
	local bad
	# the 6-octet chunk is "RSET" CRLF: answered as a command it would
	# get 250 2.0.0
	for bad in 'BDAT 6\0 LAST' 'BDAT 6\t LAST' 'BDAT 6 LAST\0' 'BDAT 6\r LAST'; do
		transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
		    'RCPT TO:<bob@example.org>'
		# shellcheck disable=SC2059
		printf "$bad\\r\\nRSET\\r\\nQUIT\\r\\n" >> "$IN"
		# the chunk's end cannot be known: the session closes
		smtp -3 -- "$SPY"
		assert_codes 220 250 '250 2.1.0' '250 2.1.5' '421 4.5.0'
		[ "$(delivered)" = 0 ]
	done
}

# --- found in review: each failed before its fix -----------------------------

@test "four recipients of 250 octets are all logged, and the message line keeps its outcome" {
	local l i
	l=$(printf 'a%.0s' $(seq 246))
	# 250-octet mailboxes: four " to=<...>" entries of 256 octets each
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    "RCPT TO:<$l@b.c>" "RCPT TO:<$l@c.c>" \
	    "RCPT TO:<$l@d.c>" "RCPT TO:<$l@e.c>" DATA hi . QUIT
	smtp -0 --log=stderr -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '250 2.1.5' '250 2.1.5' \
	    '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	for i in b c d e; do
		printf '%s\n' "$stderr" | grep -qF "to=<$l@$i.c>"
	done
	printf '%s\n' "$stderr" | grep -E 'event=message .* status=exit:0 reply=250$'
}

@test "a BDAT line over 1000 octets closes with 421 4.5.0: its chunk is never run as commands (RFC 3030 2)" {
	local pad
	pad=$(printf '0%.0s' $(seq 1100))
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' "BDAT 30 LAST $pad" RSET \
	    'MAIL FROM:<evil@x.example>' 'RCPT TO:<victim@example.org>' DATA hi . QUIT
	smtp -3 -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' '421 4.5.0'
	[ "$(delivered)" -eq 0 ]
}
