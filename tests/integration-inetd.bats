#!/usr/bin/env bats
# inetd: the line of examples/inetd.conf under Debian's openbsd-inetd in
# debug mode (-d: foreground), delivering through examples/deliver-sendmail
# into a recording stand-in for sendmail ($SENDMAIL).

load lib/integration

INETD=$INETD_DIR/inetd

inetd_conf() {
	example inetd.conf | grep -v '^#' | sed \
	    -e "s/^smtp\\([[:space:]]\\)/127.0.0.1:$PORT\\1/" \
	    -e "s/\\(nowait[.0-9]*[[:space:]]*\\)mail\\([[:space:]]\\)/\\1$(id -un)\\2/" \
	    > "$T/inetd.conf"
	grep -q "^127.0.0.1:$PORT	stream	tcp	nowait.[0-9]*	$(id -un)	$SMTPEXEC	smtpexec " "$T/inetd.conf"
	start inetd "$INETD" -d "$T/inetd.conf"
}

@test "swaks through openbsd-inetd: sendmail gets -i -f SENDER -- RECIPIENTS and the message, with the Received header (RFC 5321 4.4)" {
	need "$INETD" 'openbsd-inetd, unpacked by tests/install-deps' swaks swaks
	export SENDMAIL=$LIB/fake-sendmail FAKE_SENDMAIL_DIR=$T/sendmail
	serve inetd_conf
	run -0 swaks --server 127.0.0.1 --port "$PORT" --ehlo client.example.net \
	    --from alice@example.net --to bob@example.org,carol@example.org \
	    --header 'Subject: through inetd' --body 'hello from inetd'
	[[ "$output" == *"<-  250 2.0.0 Ok: queued as "* ]]
	d=$(ls -d "$T"/sendmail/*)
	printf '%s\n' -i -f alice@example.net -- bob@example.org carol@example.org |
	    diff - "$d/argv"
	grep -q '^Received: from client.example.net (\[127.0.0.1\])$' "$d/msg"
	grep -q '^Subject: through inetd$' "$d/msg"
	grep -q '^hello from inetd$' "$d/msg"
	grep -q 'execv' "$T/inetd.log"
}

@test "under inetd fd 2 is the socket: a failing delivery's error goes to syslog, the client reads only SMTP replies" {
	need "$INETD" 'openbsd-inetd, unpacked by tests/install-deps' python3 python3
	export SENDMAIL=$T/no-such-sendmail
	serve inetd_conf
	run -0 python3 "$LIB/raw-session.py" "$PORT" "$T/read"
	only_replies "$T/read"
	grep -q '^451 4.3.0' "$T/read"
	run ! grep -q 'deliver-sendmail' "$T/read"
}

@test "the inetd.conf line's --domain refuses a foreign domain: 550 5.7.1, nothing delivered" {
	need "$INETD" 'openbsd-inetd, unpacked by tests/install-deps' swaks swaks
	export SENDMAIL=$LIB/fake-sendmail FAKE_SENDMAIL_DIR=$T/sendmail
	serve inetd_conf
	run swaks --server 127.0.0.1 --port "$PORT" --from alice@example.net \
	    --to someone@elsewhere.example --body relay
	[ "$status" -ne 0 ]
	[[ "$output" == *"<** 550 5.7.1"* ]]
	[ ! -e "$T/sendmail" ]
}
