#!/bin/sh
# `make demo`: pipes an example SMTP transcript through ./smtpexec, which
# hands the accepted message to examples/deliver-to-dir.sh; then shows the
# replies, the log and the message as saved in a temporary folder.
# No network is used.
set -u
cd "$(dirname "$0")/.." || exit 1

if [ ! -x ./smtpexec ]; then
	echo "demo: ./smtpexec is not built; run 'make demo' or 'make' first" >&2
	exit 1
fi
demo=$(mktemp -d "${TMPDIR:-/tmp}/smtpexec-demo.XXXXXX") || exit 1
mkdir "$demo/mail" || exit 1

# What a client sends, each line ended by CRLF. The recipient outside
# example.org is refused (--domain); the line starting with a dot is sent
# dot-stuffed, as SMTP requires, and saved with one dot.
printf '%s\r\n' \
    'EHLO client.example.net' \
    'MAIL FROM:<alice@example.net>' \
    'RCPT TO:<bob@example.org>' \
    'RCPT TO:<carol@example.org>' \
    'RCPT TO:<mallory@elsewhere.example>' \
    'DATA' \
    'From: Alice <alice@example.net>' \
    'To: Bob <bob@example.org>, Carol <carol@example.org>' \
    'Subject: smtpexec demo' \
    '' \
    'Hello Bob and Carol,' \
    '' \
    '..this line starts with a dot.' \
    '.' \
    'QUIT' > "$demo/transcript"

echo "== client sends (CRLF line endings not shown):"
tr -d '\r' < "$demo/transcript"
echo

set -- ./smtpexec --hostname=mx.example.org --domain=example.org -- \
    examples/deliver-to-dir.sh "$demo/mail" '{sender}' -- '{recipients}'
echo "== command:"
echo "$*"
echo

"$@" < "$demo/transcript" > "$demo/replies" 2> "$demo/log"
status=$?

echo "== smtpexec replies (exit status $status):"
tr -d '\r' < "$demo/replies"
echo
echo "== smtpexec log (stderr):"
cat "$demo/log"
echo

found=0
for f in "$demo/mail"/*.eml; do
	[ -f "$f" ] || continue
	found=1
	echo "== delivered message $f:"
	cat "$f"
	echo
done
if [ "$found" -eq 0 ]; then
	echo "== no message was delivered"
fi
echo "== everything is in $demo (remove it with: rm -r '$demo')"
[ "$status" -eq 0 ] && [ "$found" -eq 1 ]
