#!/usr/bin/env python3
"""webhook.py PORTFILE DIR STATUS: an HTTP endpoint on 127.0.0.1 (a port of
its own choice, written to PORTFILE) that saves each POST as DIR/N.headers
and DIR/N.body and answers STATUS."""
import http.server
import os
import sys

portfile, outdir, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        count += 1
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        base = os.path.join(outdir, str(count))
        with open(base + ".body.tmp", "wb") as f:
            f.write(body)
        with open(base + ".headers", "w") as f:
            f.write("Method: %s\nPath: %s\n" % (self.command, self.path))
            for k, v in self.headers.items():
                f.write("%s: %s\n" % (k, v))
        os.rename(base + ".body.tmp", base + ".body")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt, *args):
        sys.stderr.write(fmt % args + "\n")


os.makedirs(outdir, exist_ok=True)
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
