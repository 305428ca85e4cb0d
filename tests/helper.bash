# Shared by every tests/*.bats file: run the real binary on a transcript
# and look at its replies and at what the spy program received.
bats_require_minimum_version 1.5.0

SMTPEXEC=${SMTPEXEC:-$BATS_TEST_DIRNAME/../smtpexec}
SPY=$BATS_TEST_DIRNAME/bin/spy

setup() {
	export SPY_DIR=$BATS_TEST_TMPDIR/spy
	export TZ=UTC LC_ALL=C
	unset SPY_EXIT SPY_STDOUT SPY_STDERR RELAYCLIENT TCPREMOTEIP \
	    REMOTE_ADDR REMOTE_HOST
	IN=$BATS_TEST_TMPDIR/in
}

# transcript LINE... : writes the lines, each ended by CRLF, to $IN.
transcript() {
	local l
	: > "$IN"
	for l in "$@"; do
		printf '%s\r\n' "$l" >> "$IN"
	done
}

# transcript_lf LINE... : the same with bare LF endings (a piped shell test).
transcript_lf() {
	local l
	: > "$IN"
	for l in "$@"; do
		printf '%s\n' "$l" >> "$IN"
	done
}

# smtp [smtpexec options and program...]: runs smtpexec on $IN with bats'
# run; stdout (the replies) in $output, stderr (the log) in $stderr.
# Without arguments the program is the spy. Use as `smtp -0 ...` to assert
# the exit status (the first argument, when it starts with -N, goes to run).
smtp() {
	local st=()
	case "${1:-}" in
	-[0-9]*) st=("$1"); shift ;;
	esac
	[ $# -gt 0 ] || set -- -- "$SPY"
	run "${st[@]}" --separate-stderr "$SMTPEXEC" --hostname=mx.example.org \
	    "$@" < "$IN"
}

# codes: the final line of each reply, as "code" or "code x.y.z", one a line.
codes() {
	printf '%s\n' "$output" | tr -d '\r' | awk '
	    /^[0-9][0-9][0-9] / {
		if ($2 ~ /^[245]\.[0-9]+\.[0-9]+$/) print $1 " " $2; else print $1
	    }'
}

# assert_codes CODE...: the replies, in order, are exactly these.
assert_codes() {
	local want got
	want=$(printf '%s\n' "$@")
	got=$(codes)
	if [ "$want" != "$got" ]; then
		printf 'expected replies:\n%s\ngot:\n%s\nfull output:\n%s\nstderr:\n%s\n' \
		    "$want" "$got" "$output" "${stderr:-}" >&2
		return 1
	fi
}

# reply N: the Nth reply line (1-based, every line, CR removed).
reply() {
	printf '%s\n' "$output" | tr -d '\r' | sed -n "${1}p"
}

# delivered: how many times the spy ran.
delivered() {
	local n=0
	while [ -d "$SPY_DIR/$((n + 1))" ]; do n=$((n + 1)); done
	echo "$n"
}

# The usual envelope: EHLO, MAIL, RCPT, DATA.
ENVELOPE=('EHLO client.example.net' 'MAIL FROM:<alice@example.net>' \
    'RCPT TO:<bob@example.org>' 'DATA')
