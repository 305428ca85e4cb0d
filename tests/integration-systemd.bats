#!/usr/bin/env bats
# systemd: examples/smtpexec.socket and smtpexec@.service (and the sendmail
# pair) pass systemd-analyze verify, and each service's own ExecStart= runs
# under systemd-socket-activate --inetd -a, the way the socket unit starts
# it, driven by Python's smtplib.

load lib/integration

# socket_activate_unit: serves the ExecStart= line of $UNIT with $FROM
# replaced by $TO (a recording wrapper). systemd-socket-activate passes on
# only the variables named with -E: those in $PASS.
socket_activate_unit() {
	local cmd v envs=()
	cmd=$(execstart "$UNIT")
	cmd=${cmd/"$FROM"/"$TO"}
	read -r -a argv <<< "$cmd"
	for v in ${PASS:-}; do
		envs+=(-E "$v")
	done
	start socket-activate systemd-socket-activate --inetd \
	    -l "127.0.0.1:$PORT" -a "${envs[@]}" "${argv[@]}"
}

@test "systemd-analyze verify accepts the socket and service units of examples/, as installed" {
	need systemd-analyze systemd
	mkdir "$T/units"
	for u in smtpexec.socket smtpexec@.service smtpexec-sendmail.socket \
	    smtpexec-sendmail@.service; do
		example "$u" > "$T/units/$u" 2>/dev/null || cp "$EXAMPLES/$u" "$T/units/$u"
	done
	cd "$T/units"
	run -0 systemd-analyze verify ./smtpexec.socket ./smtpexec@.service \
	    ./smtpexec-sendmail.socket ./smtpexec-sendmail@.service
	[ -z "$output" ] || { echo "$output"; false; }
}

@test "the service's settings are those the issue asks for: Accept=yes, socket I/O, sandbox, limits" {
	s=$EXAMPLES/smtpexec@.service
	for k in StandardInput=socket StandardOutput=socket StandardError=journal \
	    CollectMode=inactive-or-failed KillMode=mixed DynamicUser=yes \
	    StateDirectory=smtpexec ProtectSystem=strict PrivateTmp=yes \
	    ProtectHome=yes 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	    SystemCallFilter=@system-service; do
		grep -qx "$k" "$s" || { echo "missing $k" >&2; false; }
	done
	grep -q '^MemoryMax=' "$s"
	grep -q 'NoNewPrivileges' "$s"
	# RuntimeMaxSec= above --session-timeout plus --delivery-timeout.
	max=$(sed -n 's/^RuntimeMaxSec=//p' "$s")
	st=$(execstart smtpexec@.service | sed -n 's/.*--session-timeout=\([0-9]*\).*/\1/p')
	dt=$(execstart smtpexec@.service | sed -n 's/.*--delivery-timeout=\([0-9]*\).*/\1/p')
	[ "$max" -gt $((st + dt)) ]
	for k in ListenStream=25 Accept=yes; do
		grep -qx "$k" "$EXAMPLES/smtpexec.socket"
	done
	grep -q '^MaxConnections=[0-9]' "$EXAMPLES/smtpexec.socket"
	grep -q '^MaxConnectionsPerSource=[0-9]' "$EXAMPLES/smtpexec.socket"
	# The sendmail unit sets nothing that implies NoNewPrivileges=.
	run ! grep -qE '^(SystemCallFilter|DynamicUser|RestrictAddressFamilies|PrivateDevices|NoNewPrivileges)=' \
	    "$EXAMPLES/smtpexec-sendmail@.service"
}

@test "smtpexec@.service's ExecStart under systemd-socket-activate: smtplib's 1 MB attachment reaches the Maildir intact, SMTP_REMOTE_IP=127.0.0.1" {
	need systemd-socket-activate systemd python3 python3
	UNIT=smtpexec@.service
	FROM=$EXAMPLES/deliver-maildir
	TO="$LIB/record $T/rec $EXAMPLES/deliver-maildir"
	serve socket_activate_unit
	run -0 python3 - "$PORT" "$T" <<-'PY'
	import email, email.message, email.policy, hashlib, os, smtplib, sys
	port, tmp = int(sys.argv[1]), sys.argv[2]
	blob = os.urandom(1 << 20)
	msg = email.message.EmailMessage()
	msg["From"] = "Alice <alice@example.net>"
	msg["To"] = "bob@example.org, carol@example.org"
	msg["Subject"] = "1 MB"
	msg.set_content("Gr\u00fc\u00dfe, see the attachment.\n", cte="8bit")
	msg.add_attachment(blob, maintype="application", subtype="octet-stream",
	                   filename="blob.bin")
	with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.net") as s:
	    s.ehlo()
	    assert s.has_extn("8bitmime") and s.has_extn("pipelining")
	    refused = s.send_message(msg, mail_options=["BODY=8BITMIME"])
	    assert refused == {}, refused
	open(os.path.join(tmp, "blob.sha256"), "w").write(hashlib.sha256(blob).hexdigest())
	PY
	wait_files "$T/Maildir/new" 1
	f=$(ls "$T"/Maildir/new/*)
	run -0 python3 - "$f" "$(cat "$T/blob.sha256")" <<-'PY'
	import email, email.policy, hashlib, sys
	path, want = sys.argv[1], sys.argv[2]
	m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
	assert m["Return-Path"] == "<alice@example.net>", m["Return-Path"]
	assert m.get_all("Delivered-To") == ["bob@example.org", "carol@example.org"]
	assert m["Received"].startswith("from client.example.net ([127.0.0.1])"), m["Received"]
	assert m["Subject"] == "1 MB"
	text = m.get_body(("plain",)).get_content()
	assert text == "Gr\u00fc\u00dfe, see the attachment.\n", repr(text)
	(att,) = list(m.iter_attachments())
	assert att.get_filename() == "blob.bin"
	data = att.get_content()
	assert len(data) == 1 << 20 and hashlib.sha256(data).hexdigest() == want
	PY
	env=$(cat "$T"/rec/*/env)
	[[ "$env" == *"SMTP_REMOTE_IP=127.0.0.1"* ]]
	[[ "$env" == *"SMTP_BODY=8BITMIME"* ]]
	[[ "$env" == *"SMTP_HELO=client.example.net"* ]]
	[[ "$env" == *"SMTP_SENDER=alice@example.net"* ]]
	[ "$(sed -n 2p "$T"/rec/*/argv)" = "$T/Maildir" ]
}

@test "smtpexec-sendmail@.service's ExecStart: sendmail gets -i -f SENDER -- RECIPIENTS, and its exit 67 becomes 550 5.1.1" {
	need systemd-socket-activate systemd python3 python3
	UNIT=smtpexec-sendmail@.service
	FROM=x TO=x
	export SENDMAIL=$LIB/fake-sendmail FAKE_SENDMAIL_DIR=$T/sendmail
	PASS='SENDMAIL FAKE_SENDMAIL_DIR FAKE_SENDMAIL_EXIT'
	serve socket_activate_unit
	run -0 python3 - "$PORT" <<-'PY'
	import smtplib, sys
	port = int(sys.argv[1])
	body = b"Subject: via sendmail\r\n\r\n.leading dot\r\nend\r\n"
	with smtplib.SMTP("127.0.0.1", port) as s:
	    s.sendmail("", ["bob@example.org", '"john doe"@example.org'], body)
	PY
	d=$(ls -d "$T"/sendmail/*)
	printf '%s\n' -i -f '' -- bob@example.org '"john doe"@example.org' |
	    diff - "$d/argv"
	grep -q '^\.leading dot$' "$d/msg"
	grep -q '^Received: from ' "$d/msg"
	export FAKE_SENDMAIL_EXIT=67
	stop_all
	serve socket_activate_unit
	run -0 python3 - "$PORT" <<-'PY'
	import smtplib, sys
	with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
	    try:
	        s.sendmail("alice@example.net", ["nobody@example.org"], b"x\r\n")
	    except smtplib.SMTPDataError as e:
	        assert e.smtp_code == 550 and e.smtp_error.startswith(b"5.1.1"), e
	    else:
	        raise AssertionError("accepted")
	PY
}
