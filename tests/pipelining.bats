#!/usr/bin/env bats
# PIPELINING (RFC 2920): a client may send a whole group of commands, or a
# whole session, in one write. Issue 2, "PIPELINING": every reply, once, in
# order, and no reply waits behind a delivery.
load helper

# smtp_pipe [options...]: like smtp, but the transcript reaches smtpexec
# through a pipe in one write (cat writes a small file in one go).
smtp_pipe() {
	local st=()
	case "${1:-}" in
	-[0-9]*) st=("$1"); shift ;;
	esac
	[ $# -gt 0 ] || set -- -- "$SPY"
	run "${st[@]}" --separate-stderr sh -c 'f=$1; shift; cat "$f" | "$@"' sh "$IN" \
	    "$SMTPEXEC" --hostname=mx.example.org "$@"
}

@test "a two-message session sent in one write gets every reply once, in order (RFC 2920 3.1)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'one' '.' 'RSET' 'NOOP' \
	    'MAIL FROM:<carol@example.net>' 'RCPT TO:<dave@example.org>' \
	    'RCPT TO:<erin@example.org>' 'DATA' 'two' '.' 'QUIT'
	[ "$(wc -c < "$IN")" -lt 4096 ]
	smtp_pipe -0
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' \
	    '250 2.0.0' '250 2.0.0' '250 2.1.0' '250 2.1.5' '250 2.1.5' 354 \
	    '250 2.0.0' '221 2.0.0'
}

@test "two messages in one pipelined session give two deliveries, each with its own envelope" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@example.org>' 'DATA' 'one' '.' \
	    'MAIL FROM:<carol@example.net>' 'RCPT TO:<dave@example.org>' \
	    'RCPT TO:<erin@example.org>' 'DATA' 'two' '.' 'QUIT'
	smtp -0 --no-received -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' \
	    '250 2.1.0' '250 2.1.5' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
	[ "$(delivered)" -eq 2 ]
	printf 'one\n' | cmp - "$SPY_DIR/1/msg"
	printf 'two\n' | cmp - "$SPY_DIR/2/msg"
	printf 'alice@example.net\nbob@example.org\n' | cmp - "$SPY_DIR/1/argv"
	printf 'carol@example.net\ndave@example.org\nerin@example.org\n' |
	    cmp - "$SPY_DIR/2/argv"
}

@test "500 pipelined NOOPs with a large --junk-limit get 500 replies (RFC 2920 3.1)" {
	local want
	mapfile -t want < <(yes '250 2.0.0' | head -n 500)
	transcript 'EHLO client.example.net'
	yes NOOP | head -n 500 | sed 's/$/\r/' >> "$IN"
	printf 'QUIT\r\n' >> "$IN"
	smtp -0 --junk-limit=1000 -- "$SPY"
	assert_codes 220 250 "${want[@]}" '221 2.0.0'
}

@test "ten messages in one write give ten deliveries, in order" {
	local i lines=() want=()
	for ((i = 1; i <= 10; i++)); do
		lines+=('MAIL FROM:<alice@example.net>' 'RCPT TO:<bob@example.org>' \
		    'DATA' "message $i" '.')
		want+=('250 2.1.0' '250 2.1.5' 354 '250 2.0.0')
	done
	transcript 'EHLO client.example.net' "${lines[@]}" 'QUIT'
	smtp -0 --no-received -- "$SPY"
	assert_codes 220 250 "${want[@]}" '221 2.0.0'
	[ "$(delivered)" -eq 10 ]
	for ((i = 1; i <= 10; i++)); do
		printf 'message %d\n' "$i" | cmp - "$SPY_DIR/$i/msg"
	done
}

@test "a refused RCPT in a pipelined group does not stop the commands after it (RFC 2920 3.1)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@@example.org>' 'RCPT TO:<dave@example.org>' 'DATA' \
	    'text' '.' 'QUIT'
	smtp -0 --no-received -- "$SPY"
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '250 2.1.5' 354 \
	    '250 2.0.0' '221 2.0.0'
	printf 'alice@example.net\ndave@example.org\n' | cmp - "$SPY_DIR/1/argv"
}

@test "when every RCPT of a pipelined group fails, DATA gets 503 5.5.1 and the text lines are answered as commands (RFC 2920 3.1)" {
	transcript 'EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
	    'RCPT TO:<bob@@example.org>' 'DATA' 'text line' '.' 'QUIT'
	smtp -0
	assert_codes 220 250 '250 2.1.0' '501 5.1.3' '503 5.5.1' '500 5.5.2' \
	    '500 5.5.2' '221 2.0.0'
	[ "$(delivered)" -eq 0 ]
}

@test "the replies before the end of data are sent before the program starts" {
	# Issue 2: the reply buffer is flushed before the delivery program
	# starts. The program copies what the client has received so far.
	local prog=$BATS_TEST_TMPDIR/snap out=$BATS_TEST_TMPDIR/out
	cat > "$prog" <<-'EOF'
	#!/bin/sh
	cat "$OUT_FILE" > "$SNAP_FILE"
	cat > /dev/null
	EOF
	chmod +x "$prog"
	transcript "${ENVELOPE[@]}" 'text' '.' 'QUIT'
	OUT_FILE=$out SNAP_FILE=$BATS_TEST_TMPDIR/snapshot \
	    "$SMTPEXEC" --hostname=mx.example.org -- "$prog" < "$IN" > "$out"
	output=$(cat "$BATS_TEST_TMPDIR/snapshot")
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354
	output=$(cat "$out")
	assert_codes 220 250 '250 2.1.0' '250 2.1.5' 354 '250 2.0.0' '221 2.0.0'
}
