#!/usr/bin/env bats
# One source of truth: the man page and the README stay in step with the
# code and with examples/.
load helper

@test "every option in --help is documented in the man page's OPTIONS" {
	run -0 "$SMTPEXEC" --help
	local opts opt
	opts=$(printf '%s\n' "$output" | grep -o -- '--[a-z][a-z-]*' | sort -u)
	[ -n "$opts" ]
	for opt in $opts; do
		grep -q -- "^\.It Fl -${opt#--}" "$BATS_TEST_DIRNAME/../man/smtpexec.8" ||
		    { echo "missing from man/smtpexec.8: $opt"; return 1; }
	done
}

@test "the man page's SYNOPSIS names the same options as usage()" {
	run -0 "$SMTPEXEC" --help
	local from_usage from_man
	from_usage=$(printf '%s\n' "$output" | grep -o -- '--[a-z][a-z-]*' | sort -u)
	from_man=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' \
	    "$BATS_TEST_DIRNAME/../man/smtpexec.8" | grep -o 'Fl -[a-z][a-z-]*' |
	    sed 's/^Fl /-/' | sort -u)
	[ "$from_usage" = "$from_man" ]
}

@test "the README shows the settings of each supervisor configuration in examples/" {
	local f
	# smtpexec-sendmail.socket is smtpexec.socket under another name.
	for f in smtpexec.socket smtpexec@.service \
	    smtpexec-sendmail@.service xinetd.smtpexec inetd.conf run tcp.smtp \
	    stunnel-smtps.conf; do
		python3 - "$BATS_TEST_DIRNAME/../examples/$f" \
		    "$BATS_TEST_DIRNAME/../README.md" <<'PY' ||
import sys
readme = open(sys.argv[2]).read().splitlines()
lines = [l for l in open(sys.argv[1]).read().splitlines()
         if l.strip() and not l.startswith("#")]
sys.exit(0 if all(l in readme for l in lines) else 1)
PY
		    { echo "README.md lacks lines of examples/$f"; return 1; }
	done
}

@test "every exit status in the code is in the man page's EXIT STATUS" {
	local n
	for n in $(sed -n 's/^#define EXIT_[A-Z]*[[:space:]]*\([0-9]*\).*/\1/p' \
	    "$BATS_TEST_DIRNAME/../src/smtpexec.h"); do
		sed -n '/^\.Sh EXIT STATUS/,/^\.Sh EXAMPLES/p' \
		    "$BATS_TEST_DIRNAME/../man/smtpexec.8" | grep -qw "$n" ||
		    { echo "exit status $n is not documented"; return 1; }
	done
}
