#!/usr/bin/env bats
# ucspi-tcp: examples/run's tcpserver line with the rules of examples/tcp.smtp,
# delivering through examples/deliver-maildir, driven by swaks and by
# Postfix's smtp-source.

load lib/integration

# The run script as examples/run has it, with this tree's paths, a free
# loopback port and the current user; then exec'ed, so $PID is tcpserver.
run_script() {
	tcprules "$T/tcp.smtp.cdb" "$T/tcp.smtp.tmp" < "$EXAMPLES/tcp.smtp"
	example run | sed \
	    -e "s,/etc/smtpexec/tcp.smtp.cdb,$T/tcp.smtp.cdb," \
	    -e "s/ 0 25 / 127.0.0.1 $PORT /" \
	    -e 's/id -\([ug]\) smtpexec/id -\1/g' > "$T/run"
	grep -q "tcpserver -HRl0 -x $T/tcp.smtp.cdb -c [0-9]" "$T/run"
	grep -q " 127.0.0.1 $PORT " "$T/run"
	grep -q '"$(id -u)" -g "$(id -g)"' "$T/run"
	start tcpserver sh "$T/run"
}

# trim FILE: FILE without its trailing empty lines (swaks adds some).
trim() {
	awk '{ if ($0 == "") n++; else { for (; n > 0; n--) print ""; print } }' "$@"
}

# A message with what a transport must leave alone: a leading dot (stuffed
# on the wire, RFC 5321 4.5.2), a line longer than 1000 octets, UTF-8.
message_file() {
	{
		printf 'From: Alice <alice@example.net>\n'
		printf 'To: Bob <bob@example.org>\n'
		printf 'Subject: byte for byte\n'
		printf 'Message-ID: <%s@example.net>\n' "$1"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n'
		printf '\n'
		printf 'Gr\303\274\303\237e aus K\303\266ln.\n'
		printf '.a line that starts with a dot\n'
		printf '..two dots\n'
		printf '%01200d\n' 7
		printf 'last line\n'
	} > "$2"
}

@test "swaks through the run script's tcpserver: the message lands in new/ of the Maildir with Return-Path and Delivered-To (RFC 5321 4.4)" {
	need tcpserver ucspi-tcp tcprules ucspi-tcp swaks swaks
	serve run_script
	message_file plain "$T/msg"
	run -0 swaks --server 127.0.0.1 --port "$PORT" --ehlo client.example.net \
	    --from alice@example.net --to bob@example.org --data "$T/msg"
	[[ "$output" == *"<-  250 2.0.0 Ok: queued as "* ]]
	[[ "$output" == *"<-  221 2.0.0"* ]]
	wait_files "$T/Maildir/new" 1
	[ -z "$(ls -A "$T/Maildir/tmp")" ]
	f=$(ls "$T"/Maildir/new/*)
	[ "$(sed -n 1p "$f")" = "Return-Path: <alice@example.net>" ]
	[ "$(sed -n 2p "$f")" = "Delivered-To: bob@example.org" ]
	sed -n 3p "$f" | grep -q '^Received: from client.example.net (\[127.0.0.1\])$'
	strip_trace "$f" | trim | cmp - "$T/msg"
	grep -q 'event=message .* reply=250' "$T/tcpserver.log"
}

@test "swaks --pipeline sends MAIL, RCPT and DATA in one group and gets each reply, in order (RFC 2920)" {
	need tcpserver ucspi-tcp tcprules ucspi-tcp swaks swaks
	serve run_script
	message_file pipelined "$T/msg"
	run -0 swaks --pipeline --server 127.0.0.1 --port "$PORT" \
	    --from alice@example.net --to bob@example.org,carol@example.org \
	    --data "$T/msg"
	# swaks shows the group it wrote, then the replies it read: the
	# commands and replies from MAIL to the 354, without the message.
	printf '%s\n' "$output" | tr -d '\r' |
	    sed -n '/^ -> MAIL FROM/,/^<-  354/p' | cut -c1-17 > "$T/flow"
	cat > "$T/want" <<-'END'
	 -> MAIL FROM:<al
	 -> RCPT TO:<bob@
	 -> RCPT TO:<caro
	 -> DATA
	<-  250 2.1.0 Ok
	<-  250 2.1.5 Ok
	<-  250 2.1.5 Ok
	<-  354 End data 
	END
	diff "$T/want" "$T/flow"
	[[ "$output" == *"<-  250 2.0.0 Ok: queued as "* ]]
	wait_files "$T/Maildir/new" 1
	strip_trace "$T"/Maildir/new/* | trim | cmp - "$T/msg"
}

@test "an 8-bit body to several recipients arrives byte for byte with one Delivered-To per recipient, in RCPT order" {
	need tcpserver ucspi-tcp tcprules ucspi-tcp swaks swaks
	serve run_script
	message_file eightbit "$T/msg"
	run -0 swaks --server 127.0.0.1 --port "$PORT" --from alice@example.net \
	    --to carol@example.org,bob@example.org,postmaster@example.org \
	    --data "$T/msg"
	wait_files "$T/Maildir/new" 1
	f=$(ls "$T"/Maildir/new/*)
	[ "$(ls "$T/Maildir/new" | wc -l)" -eq 1 ]
	sed -n 2,4p "$f" > "$T/got"
	printf 'Delivered-To: %s\n' carol@example.org bob@example.org \
	    postmaster@example.org | diff - "$T/got"
	strip_trace "$f" | trim | cmp - "$T/msg"
}

@test "examples/tcp.smtp gives 127.0.0.1 RELAYCLIENT; 127.0.0.2 may mail --domain only: 550 5.7.1 elsewhere" {
	need tcpserver ucspi-tcp tcprules ucspi-tcp swaks swaks
	serve run_script
	run -0 swaks --server 127.0.0.1 --port "$PORT" --from alice@example.net \
	    --to someone@elsewhere.example --body relayed
	[[ "$output" == *"<-  250 2.0.0 Ok: queued as"* ]]
	run swaks --server 127.0.0.1 --port "$PORT" --local-interface 127.0.0.2 \
	    --from alice@example.net --to someone@elsewhere.example --body refused
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 550 5.7.1"* ]]
	run -0 swaks --server 127.0.0.1 --port "$PORT" --local-interface 127.0.0.2 \
	    --from alice@example.net --to bob@example.org --body local
	wait_files "$T/Maildir/new" 2
	[ "$(ls "$T/Maildir/new" | wc -l)" -eq 2 ]
	grep -l '^Received: from .*(\[127.0.0.2\])' "$T"/Maildir/new/* | xargs grep -q '^local$'
}

@test "deliver-maildir exits 75 when it cannot store: 451 4.3.0, the client keeps the message, nothing half-written" {
	need tcpserver ucspi-tcp tcprules ucspi-tcp swaks swaks
	: > "$T/Maildir"	# a file where the Maildir should be
	serve run_script
	run swaks --server 127.0.0.1 --port "$PORT" --from alice@example.net \
	    --to bob@example.org --body 'try later'
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 451 4.3.0"* ]]
	[ ! -s "$T/Maildir" ]
	grep -q 'deliver-maildir: cannot create' "$T/tcpserver.log"
	grep -q 'event=message .* status=exit:75 reply=451' "$T/tcpserver.log"
}

@test "smtp-source, 4 sessions of many messages each (-s 4 -m 100 -d): exactly 100 messages, each byte for byte" {
	need tcpserver ucspi-tcp tcprules ucspi-tcp smtp-source postfix
	serve run_script
	message_file source "$T/msg"
	# smtp-source ends the data with CRLF "." CRLF after the file's last
	# line: one empty line more.
	{ cat "$T/msg"; echo; } > "$T/want"
	run -0 smtp-source -s 4 -m 100 -d -F "$T/msg" -f alice@example.net \
	    -t bob@example.org -M client.example.net "127.0.0.1:$PORT"
	wait_files "$T/Maildir/new" 100
	[ "$(ls "$T/Maildir/new" | wc -l)" -eq 100 ]
	for f in "$T"/Maildir/new/*; do
		strip_trace "$f" | cmp - "$T/want"
	done
	[ "$(grep -c 'event=message .* reply=250' "$T/tcpserver.log")" -eq 100 ]
}

@test "the Maildir example under load: 20 parallel sessions, 1000 messages, 1000 distinct complete files" {
	need tcpserver ucspi-tcp tcprules ucspi-tcp smtp-source postfix
	serve run_script
	message_file load "$T/msg"
	run -0 smtp-source -s 20 -m 1000 -F "$T/msg" -f alice@example.net \
	    -t bob@example.org "127.0.0.1:$PORT"
	wait_files "$T/Maildir/new" 1000
	[ "$(ls "$T/Maildir/new" | wc -l)" -eq 1000 ]
	[ -z "$(ls -A "$T/Maildir/tmp")" ]
	want=$({ cat "$T/msg"; echo; } | md5sum)
	for f in "$T"/Maildir/new/*; do
		strip_trace "$f" | md5sum
	done | sort | uniq -c > "$T/sums"
	[ "$(cat "$T/sums")" = "   1000 $want" ] || { cat "$T/sums"; false; }
	# Every message has its own id.
	[ "$(grep -h '^	by .* id ' "$T"/Maildir/new/* | sort -u | wc -l)" -eq 1000 ]
}
