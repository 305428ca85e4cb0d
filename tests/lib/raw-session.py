#!/usr/bin/env python3
"""raw-session.py PORT OUT [RCPT]: one SMTP session on a plain socket to
127.0.0.1:PORT (EHLO, MAIL, RCPT, DATA, a message, QUIT), reading each reply
to its last line; writes every byte read, to the server's close, into OUT."""
import socket
import sys

port, out = int(sys.argv[1]), sys.argv[2]
rcpt = sys.argv[3] if len(sys.argv) > 3 else "bob@example.org"
s = socket.create_connection(("127.0.0.1", port), timeout=30)
got = b""


def reply():
    global got
    while True:
        line = b""
        while not line.endswith(b"\r\n"):
            c = s.recv(1)
            if not c:
                raise SystemExit("closed after %r" % (got + line))
            line += c
        got += line
        if line[3:4] != b"-":
            return


reply()
for cmd in ("EHLO client.example.net", "MAIL FROM:<alice@example.net>",
            "RCPT TO:<%s>" % rcpt, "DATA"):
    s.sendall(cmd.encode() + b"\r\n")
    reply()
s.sendall(b"Subject: raw\r\n\r\nhello\r\n.\r\n")
reply()
s.sendall(b"QUIT\r\n")
reply()
while True:
    c = s.recv(65536)
    if not c:
        break
    got += c
open(out, "wb").write(got)
