#!/usr/bin/env bats
# xinetd: examples/xinetd.smtpexec in a generated configuration, run with
# xinetd -dontfork -f, delivering through examples/deliver-webhook; clients
# are curl and a raw socket. xinetd gives the connection as fd 2 too, so
# smtpexec's default log is syslog and nothing else may reach the client.

load lib/integration

xinetd_conf() {
	local users=
	if [ "$(id -u)" -eq 0 ]; then
		users="s/= smtpexec\$/= $(id -un)/"
	else
		users='/^[[:space:]]*\(user\|group\)[[:space:]]*=/d'
	fi
	{
		printf 'defaults\n{\n\tlog_type = FILE %s\n}\n' "$T/xinetd.syslog"
		example xinetd.smtpexec | sed \
		    -e 's/^service smtp$/service smtpexec-test/' \
		    -e "s/^{\$/{\\n\\ttype = UNLISTED\\n\\tport = $PORT\\n\\tbind = 127.0.0.1/" \
		    -e "$users" \
		    -e "s,https://hooks.example.org/mail,http://127.0.0.1:$WPORT/mail,"
	} > "$T/xinetd.conf"
	grep -q "^	server_args.*http://127.0.0.1:$WPORT/mail" "$T/xinetd.conf"
	start xinetd xinetd -dontfork -f "$T/xinetd.conf"
}

@test "curl --mail-from --mail-rcpt --upload-file through xinetd: the webhook gets the message and the envelope, SMTP_REMOTE_IP=127.0.0.1" {
	need xinetd xinetd curl curl python3 python3
	webhook 200
	serve xinetd_conf
	printf 'From: alice@example.net\nSubject: by curl\n\n.a dot line\nbody\n' > "$T/msg"
	run -0 curl -sS -v "smtp://127.0.0.1:$PORT" --mail-from alice@example.net \
	    --mail-rcpt bob@example.org --mail-rcpt carol@example.org \
	    --upload-file "$T/msg"
	# Everything curl read from the server is an SMTP reply.
	printf '%s\n' "$output" | sed -n 's/^< //p' > "$T/read"
	only_replies "$T/read"
	grep -q '^250 2.0.0 Ok: queued as ' "$T/read"
	wait_file "$T/hooks/1.body"
	h=$T/hooks/1.headers
	grep -qx 'Method: POST' "$h"
	grep -qx 'Path: /mail' "$h"
	grep -qix 'Content-Type: message/rfc822' "$h"
	grep -qix 'X-SMTP-Sender: alice@example.net' "$h"
	[ "$(grep -i '^X-SMTP-Recipient:' "$h" | cut -d' ' -f2)" = "$(printf 'bob@example.org\ncarol@example.org')" ]
	grep -qix 'X-SMTP-Remote-IP: 127.0.0.1' "$h"
	id=$(sed -n 's/^250 2.0.0 Ok: queued as \([^ ]*\).*/\1/p' "$T/read" | tr -d '\r')
	grep -qix "X-SMTP-ID: $id" "$h"
	# curl sends an LF file as it is and stuffs dots only after CRLF, so
	# ".a dot line" must stay; it ends the data with CRLF "." CRLF, which
	# after the file's last LF is one empty line more.
	grep -q '^Received: from .* (\[127.0.0.1\])$' "$T/hooks/1.body"
	{ cat "$T/msg"; echo; } > "$T/want"
	strip_trace "$T/hooks/1.body" | cmp - "$T/want"
}

@test "a webhook that fails gives 451 4.3.0 and its error goes to syslog, never to the client: only SMTP replies on the socket" {
	need xinetd xinetd curl curl python3 python3
	webhook 503
	serve xinetd_conf
	run -0 python3 "$LIB/raw-session.py" "$PORT" "$T/read"
	only_replies "$T/read"
	grep -q '^451 4.3.0' "$T/read"
	grep -q '^221 2.0.0' "$T/read"
	run ! grep -q 'deliver-webhook' "$T/read"
	[ -f "$T/hooks/1.body" ]
}
