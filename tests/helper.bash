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

# assert_msg FORMAT [N]: the Nth delivery (default 1) read exactly what
# printf FORMAT makes.
assert_msg() {
	local exp=$BATS_TEST_TMPDIR/expected got=$SPY_DIR/${2:-1}/msg
	# shellcheck disable=SC2059
	printf "$1" > "$exp"
	if ! cmp "$exp" "$got"; then
		echo "expected:"; od -c "$exp" | head -40
		echo "got:"; od -c "$got" | head -40
		return 1
	fi
}

# A live session, for tests that talk to smtpexec step by step.
# start [smtpexec options and program...]: runs smtpexec in the background
# with stdin and stdout on fifos; the test writes the client's side to
# fd $W and reads the replies from fd $R. PID is smtpexec's pid, its
# stderr goes to $ERR.
start() {
	local fin=$BATS_TEST_TMPDIR/client-in fout=$BATS_TEST_TMPDIR/client-out
	ERR=$BATS_TEST_TMPDIR/stderr
	REPLIES=
	mkfifo "$fin" "$fout"
	"$SMTPEXEC" --hostname=mx.example.org "$@" < "$fin" > "$fout" 2> "$ERR" 3>&- &
	PID=$!
	exec {W}> "$fin" {R}< "$fout"
}

# send LINE...: the client writes these lines, each ended by CRLF.
send() {
	printf '%s\r\n' "$@" >&"$W"
}

# expect REGEX: reads reply lines (within 10 s each) up to one matching
# REGEX; every line read is added to $REPLIES.
expect() {
	local line
	while IFS= read -r -t 10 -u "$R" line; do
		line=${line%$'\r'}
		REPLIES+=$line$'\n'
		[[ $line =~ $1 ]] && return 0
	done
	printf 'no reply matching %s; replies so far:\n%s' "$1" "$REPLIES" >&2
	return 1
}

# finish: waits (at most 5 s) for smtpexec to exit, then reads what is
# left of its replies into $REPLIES; $ST is its exit status (137 when it
# had to be killed).
finish() {
	local deadline=$((${EPOCHREALTIME/./} + 5000000))
	while running "$PID" && ((${EPOCHREALTIME/./} < deadline)); do
		sleep 0.02
	done
	! running "$PID" || kill -KILL "$PID"
	ST=0
	wait "$PID" || ST=$?
	PID=
	if [ -n "${R:-}" ]; then
		REPLIES+=$(tr -d '\r' <&"$R")
	fi
}

# running PID: the process exists and is not a zombie.
running() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
