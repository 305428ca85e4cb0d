#!/usr/bin/env bats
# stunnel: examples/stunnel-smtps.conf, implicit TLS (RFC 8314) in exec mode
# in front of smtpexec, delivering through examples/deliver-maildir; clients
# are Python's smtplib.SMTP_SSL and curl smtps://, both verifying the
# server's certificate.

load lib/integration

# A certificate for 127.0.0.1, made per test (an EC key: fast).
make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj /CN=localhost \
	    -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
	    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
}

stunnel_conf() {
	{
		printf 'foreground = yes\npid =\n'
		example stunnel-smtps.conf | sed \
		    -e "s/^setuid = smtpexec\$/setuid = $(id -un)/" \
		    -e "s/^setgid = smtpexec\$/setgid = $(id -gn)/" \
		    -e "s/^accept = 465\$/accept = 127.0.0.1:$PORT/" \
		    -e "s,^cert = .*,cert = $T/cert.pem," \
		    -e "s,^key = .*,key = $T/key.pem," \
		    -e "s,$EXAMPLES/deliver-maildir,$LIB/record $T/rec $EXAMPLES/deliver-maildir,"
	} > "$T/stunnel.conf"
	grep -q "^accept = 127.0.0.1:$PORT\$" "$T/stunnel.conf"
	grep -q "^exec = $SMTPEXEC\$" "$T/stunnel.conf"
	grep -q "^execArgs = .* --domain=" "$T/stunnel.conf"
	start stunnel stunnel "$T/stunnel.conf"
}

@test "smtplib.SMTP_SSL over implicit TLS (RFC 8314): delivered into the Maildir, SMTP_REMOTE_IP is the client's address from REMOTE_HOST" {
	need stunnel stunnel4 openssl openssl python3 python3
	make_cert
	serve stunnel_conf
	# From 127.0.0.2: exec mode hands smtpexec a socketpair, so only
	# stunnel's REMOTE_HOST can tell it the client's address.
	run -0 python3 - "$PORT" "$T/cert.pem" <<-'PY'
	import smtplib, ssl, sys
	ctx = ssl.create_default_context(cafile=sys.argv[2])
	with smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=ctx,
	                      source_address=("127.0.0.2", 0),
	                      local_hostname="client.example.net") as s:
	    assert s.sock.version().startswith("TLS"), s.sock.version()
	    s.sendmail("alice@example.net", ["bob@example.org"],
	               b"Subject: over TLS\r\n\r\nsecret\r\n")
	PY
	wait_files "$T/Maildir/new" 1
	f=$(ls "$T"/Maildir/new/*)
	grep -q '^Received: from client.example.net (\[127.0.0.2\])$' "$f"
	grep -q '^secret$' "$f"
	grep -qx 'SMTP_REMOTE_IP=127.0.0.2' "$T"/rec/*/env
}

@test "curl smtps:// with certificate checking: delivered, and the example's --domain refuses relaying: 550 5.7.1" {
	need stunnel stunnel4 openssl openssl curl curl
	make_cert
	serve stunnel_conf
	printf 'Subject: curl over TLS\n\nhello\n' > "$T/msg"
	run -0 curl -sS --cacert "$T/cert.pem" --interface 127.0.0.2 \
	    "smtps://127.0.0.1:$PORT" --mail-from alice@example.net \
	    --mail-rcpt bob@example.org --upload-file "$T/msg"
	wait_files "$T/Maildir/new" 1
	grep -q '^Subject: curl over TLS$' "$T"/Maildir/new/*
	grep -qx 'SMTP_REMOTE_IP=127.0.0.2' "$T"/rec/*/env
	run curl -sS -v --cacert "$T/cert.pem" "smtps://127.0.0.1:$PORT" \
	    --mail-from alice@example.net --mail-rcpt someone@elsewhere.example \
	    --upload-file "$T/msg"
	[ "$status" -ne 0 ]
	[[ "$output" == *"< 550 5.7.1"* ]]
	[ "$(ls "$T/Maildir/new" | wc -l)" -eq 1 ]
}
