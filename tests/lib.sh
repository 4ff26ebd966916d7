# lib.sh — helpers for taskhub's shell tests, sourced by each of them:
# Test Anything Protocol output for Automake's tap-driver.sh (every check
# numbered, the plan printed at the end from the count) and a temporary
# directory that is removed, with any background job, however the test ends.
#
#	. "$top_srcdir/tests/lib.sh"
#	tap_tmpdir                     # sets TAP_TMP
#	run 0 "init works" "$CTL" init # runs it; stdout in $TAP_OUT, stderr in $TAP_ERR
#	like "$(cat "$TAP_ERR")" "already exists" "says so"
#	tap_done                       # prints 1..N; exit status 0 only if all passed
#
# POSIX sh; nothing here depends on bash.

TAP_N=0
TAP_FAILED=0
TAP_TMP=
TAP_PIDS=

# diag MESSAGE...: a comment line the harness shows and does not count.
diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# bail MESSAGE: a broken precondition; stop the whole test.
bail() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

# tap_result STATUS DESCRIPTION: "ok N" when STATUS is 0, "not ok N" otherwise.
# Returns STATUS, so a caller may skip checks that depend on this one.
tap_result() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$TAP_N" "$2"
	else
		printf 'not ok %d - %s\n' "$TAP_N" "$2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
	return "$1"
}

# ok DESCRIPTION COMMAND [ARG...]: passes when the command exits 0.
ok() {
	_desc=$1
	shift
	"$@"
	tap_result $? "$_desc"
}

# is GOT WANT DESCRIPTION: string equality; shows both sides on failure.
is() {
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		diag "     got: '$1'" "    want: '$2'"
		return 1
	fi
}

# like TEXT SUBSTRING DESCRIPTION: TEXT contains SUBSTRING (fixed string).
like() {
	case $1 in
	*"$2"*)
		tap_result 0 "$3"
		;;
	*)
		tap_result 1 "$3"
		diag "    text: '$1'" "    want: '$2' in it"
		return 1
		;;
	esac
}

# run WANT_STATUS DESCRIPTION COMMAND [ARG...]: runs the command with its
# stdout in $TAP_OUT and stderr in $TAP_ERR; passes when it exits WANT_STATUS.
run() {
	_want=$1
	_desc=$2
	shift 2
	"$@" >"$TAP_OUT" 2>"$TAP_ERR"
	_got=$?
	if [ "$_got" -eq "$_want" ]; then
		tap_result 0 "$_desc"
	else
		tap_result 1 "$_desc"
		diag "    exit status $_got, wanted $_want: $*" "    stderr: $(cat "$TAP_ERR")"
		return 1
	fi
}

# tap_cleanup: kills the background jobs listed in TAP_PIDS and removes
# TAP_TMP (kept when TASKHUB_KEEP_TEST_DIRS is set, for a post-mortem).
tap_cleanup() {
	for _pid in $TAP_PIDS; do
		kill "$_pid" 2>/dev/null
		wait "$_pid" 2>/dev/null
	done
	TAP_PIDS=
	if [ -n "$TAP_TMP" ] && [ -d "$TAP_TMP" ]; then
		if [ -n "${TASKHUB_KEEP_TEST_DIRS:-}" ]; then
			diag "kept $TAP_TMP"
		else
			rm -rf "$TAP_TMP"
		fi
	fi
}

# tap_tmpdir: makes TAP_TMP (with TAP_OUT and TAP_ERR inside) and arranges
# for tap_cleanup on exit and on the usual signals.
tap_tmpdir() {
	TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/taskhub-test.XXXXXX") || bail "mktemp -d failed"
	TAP_OUT=$TAP_TMP/stdout
	TAP_ERR=$TAP_TMP/stderr
	trap 'tap_cleanup' EXIT
	trap 'tap_cleanup; trap - EXIT; exit 129' HUP
	trap 'tap_cleanup; trap - EXIT; exit 130' INT
	trap 'tap_cleanup; trap - EXIT; exit 143' TERM
}

# tap_done: the plan line, after the fact; the exit status says whether
# every check passed.
tap_done() {
	printf '1..%d\n' "$TAP_N"
	[ "$TAP_FAILED" -eq 0 ] || diag "$TAP_FAILED of $TAP_N checks failed"
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}
