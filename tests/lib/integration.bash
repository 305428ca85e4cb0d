# Shared by tests/integration-*.bats: real supervisors on free loopback
# ports, driven by real clients. Every process a test starts is recorded
# and killed by its PID in teardown.
bats_require_minimum_version 1.5.0

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# The binary under test (make builds it), copied once per file so that a
# rebuild during the run cannot fail a supervisor's exec.
SMTPEXEC_BUILT=${SMTPEXEC:-$ROOT/smtpexec}
SMTPEXEC=$BATS_FILE_TMPDIR/smtpexec
EXAMPLES=$ROOT/examples
LIB=$ROOT/tests/lib
# openbsd-inetd's inetd, unpacked there by tests/install-deps.
# shellcheck disable=SC2034
INETD_DIR=/usr/local/lib/smtpexec-tests
PATH=$PATH:/usr/sbin:/sbin
export PATH

setup_file() {
	if [ ! -x "$SMTPEXEC_BUILT" ]; then
		echo "$SMTPEXEC_BUILT is missing: run make first" >&2
		return 1
	fi
	cp "$SMTPEXEC_BUILT" "$SMTPEXEC"
}

setup() {
	export TZ=UTC LC_ALL=C
	unset RELAYCLIENT TCPREMOTEIP REMOTE_ADDR REMOTE_HOST LISTEN_FDS \
	    LISTEN_PID SENDMAIL
	T=$BATS_TEST_TMPDIR
	PIDS=$T/pids
	: > "$PIDS"
}

teardown() {
	stop_all
}

# need TOOL PACKAGE [TOOL PACKAGE ...]: each tool is on PATH (or a path that
# exists). Missing: skip on a developer's machine, fail when CI=true.
need() {
	local msg=
	while [ $# -ge 2 ]; do
		if ! command -v "$1" >/dev/null 2>&1; then
			msg="$msg $1 (Debian package $2)"
		fi
		shift 2
	done
	[ -n "$msg" ] || return 0
	msg="missing:$msg; run tests/install-deps as root"
	if [ "${CI:-}" = true ]; then
		echo "$msg" >&2
		return 1
	fi
	skip "$msg"
}

# free_port: a TCP port that nothing on this machine uses now. The caller
# still retries on a lost race (serve).
free_port() {
	local used p
	used=$(awk 'NR > 1 { split($2, a, ":"); print a[2] }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	while :; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if ! printf '%s\n' "$used" | grep -qx "$(printf '%04X' "$p")"; then
			echo "$p"
			return
		fi
	done
}

# start NAME COMMAND...: runs COMMAND in the background, output into
# $T/NAME.log; its PID in $PID and in $PIDS for teardown.
start() {
	local name=$1
	shift
	"$@" > "$T/$name.log" 2>&1 < /dev/null 3>&- &
	PID=$!
	echo "$PID" >> "$PIDS"
}

# listening PORT: a socket listens on 127.0.0.1:PORT (or on any address).
listening() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h="$hex" 'NR > 1 && $4 == "0A" {
		n = split($2, a, ":")
		if (a[n] == h) found = 1
	} END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# wait_listen PORT PID: until PORT listens, at most 10 s; fails at once if
# PID exits first.
wait_listen() {
	local _
	for _ in $(seq 200); do
		listening "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# serve FUNCTION: picks a free port into $PORT and calls FUNCTION, which
# starts a supervisor on it (with start); tries another port if that one
# was taken meanwhile.
serve() {
	local _
	for _ in 1 2 3 4 5; do
		PORT=$(free_port)
		"$1"
		if wait_listen "$PORT" "$PID"; then
			return 0
		fi
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	done
	echo "serve $1: nothing listens on 127.0.0.1:$PORT; its log:" >&2
	cat "$T"/*.log >&2
	return 1
}

# descendants PID: the PIDs of PID's children, grandchildren, ...
descendants() {
	ps -e -o pid= -o ppid= | awk -v root="$1" '
	    { parent[$1] = $2 }
	    END {
		n = 1; want[root] = 1
		while (n) {
			n = 0
			for (p in parent)
				if (!(p in want) && parent[p] in want) {
					want[p] = 1; n = 1
				}
		}
		for (p in want) if (p != root) print p
	    }'
}

# stop_all: every process recorded by start, and whatever each left
# running (sessions, deliveries), by PID: SIGTERM, then SIGKILL.
stop_all() {
	local pids p _
	[ -s "${PIDS:-/nonexistent}" ] || return 0
	pids=
	while read -r p; do
		pids="$pids $p $(descendants "$p")"
	done < "$PIDS"
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	for _ in $(seq 40); do
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && break
			p=
		done
		[ -n "$p" ] || break
		sleep 0.05
	done
	for p in $pids; do
		kill -9 "$p" 2>/dev/null || true
	done
	: > "$PIDS"
	return 0
}

# wait_files DIR N: until DIR holds at least N files, at most 30 s. The 250
# comes only after the delivery exits, so this is a bound, not a delay.
wait_files() {
	local _ n
	for _ in $(seq 600); do
		n=$(find "$1" -type f 2>/dev/null | wc -l)
		[ "$n" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "wait_files: $1 holds $n files, not $2" >&2
	return 1
}

# strip_trace FILE: the message in FILE without the headers added at
# delivery (Return-Path:, Delivered-To:, and Received: with its
# continuation lines), as the client sent it.
strip_trace() {
	awk 'BEGIN { head = 1 }
	    head && /^(Return-Path|Delivered-To|Received):/ { skip = 1; next }
	    head && skip && /^[ \t]/ { next }
	    { head = 0; skip = 0; print }' "$1"
}

# example FILE: the text of examples/FILE with the paths of an installed
# system replaced by this tree's, the port by $PORT, users by the current
# one; fails when a replaced string was not there (the example changed).
example() {
	local f=$EXAMPLES/$1
	grep -q /usr/local/sbin/smtpexec "$f" || {
		echo "example: $1 does not run /usr/local/sbin/smtpexec" >&2
		return 1
	}
	sed -e "s,/usr/local/sbin/smtpexec,$SMTPEXEC,g" \
	    -e "s,/usr/local/libexec/smtpexec/,$EXAMPLES/,g" \
	    -e "s,/var/lib/smtpexec/Maildir,$T/Maildir,g" "$f"
}

# execstart UNIT: the ExecStart= command of examples/UNIT, continuation
# lines joined, with this tree's paths (see example). Fails on a quote or a
# % specifier, which a plain word split would get wrong.
execstart() {
	local cmd
	cmd=$(example "$1" | awk '
	    /^ExecStart=/ { on = 1; sub(/^ExecStart=/, "") }
	    on { line = line $0; if (sub(/\\$/, "", line)) next; print line; exit }')
	case $cmd in
	*[\"\'%]* | "")
		echo "execstart: cannot split: $cmd" >&2
		return 1 ;;
	esac
	printf '%s\n' "$cmd"
}

# wait_file FILE: until FILE exists, at most 10 s.
wait_file() {
	local _
	for _ in $(seq 200); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	echo "wait_file: no $1" >&2
	return 1
}

# webhook STATUS: starts tests/lib/webhook.py answering STATUS; its port in
# $WPORT, the requests it saved in $T/hooks.
webhook() {
	start webhook python3 "$LIB/webhook.py" "$T/webhook.port" "$T/hooks" "$1"
	wait_file "$T/webhook.port"
	# shellcheck disable=SC2034
	WPORT=$(cat "$T/webhook.port")
}

# only_replies FILE: every line of FILE (what a client read) is an SMTP
# reply, "NNN " or "NNN-" then text (RFC 5321 4.2): nothing else reached it.
only_replies() {
	if tr -d '\r' < "$1" | grep -vE '^[2-5][0-9][0-9][ -]'; then
		echo "only_replies: the client got the lines above" >&2
		return 1
	fi
	[ -s "$1" ]
}
