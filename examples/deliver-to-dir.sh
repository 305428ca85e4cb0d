#!/bin/sh
# A delivery program for smtpexec: saves each message as a file in DIR.
#
# usage: deliver-to-dir.sh DIR SENDER [--] RECIPIENT ...
#   smtpexec -- /path/to/deliver-to-dir.sh /srv/mail {sender} -- {recipients}
#
# The file is DIR/<SMTP_ID>.eml, written under a temporary name and then
# renamed, so a reader of DIR never sees half a message. It starts with a
# Return-Path: header and one Delivered-To: header per recipient, in LF line
# endings (run smtpexec without --crlf). Exit 0 when the file is saved, 75
# (EX_TEMPFAIL: smtpexec replies 451 4.3.0 and the client retries) otherwise.
set -u

if [ $# -lt 2 ]; then
	echo "usage: deliver-to-dir.sh DIR SENDER [--] RECIPIENT ..." >&2
	exit 64
fi
dir=$1
sender=$2
shift 2
if [ "${1:-}" = "--" ]; then
	shift
fi

id=${SMTP_ID:-$(date +%s).$$}
id=$(printf '%s' "$id" | tr -c 'A-Za-z0-9._-' '_')
tmp=$dir/.$id.tmp
file=$dir/$id.eml

umask 077
if {
	printf 'Return-Path: <%s>\n' "$sender"
	for rcpt in "$@"; do
		printf 'Delivered-To: %s\n' "$rcpt"
	done
	cat
} > "$tmp" && mv "$tmp" "$file"; then
	exit 0
fi
rm -f "$tmp"
echo "deliver-to-dir.sh: cannot save $file" >&2
exit 75
