#!/bin/sh
# test_backup.sh — taskhubctl end to end against a real environment: a hot
# backup taken while another process keeps starting instances restores into
# a consistent environment holding every instance that existed before the
# backup began; stats, check and the refusals (non-empty targets, unknown
# hub, invalid instance ID, unknown command) behave as documented.
#
# Run by Automake's harness, which exports top_builddir and top_srcdir; by
# hand: top_builddir=BUILD top_srcdir=SRC sh tests/store/test_backup.sh

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
# shellcheck source=SCRIPTDIR/../lib.sh
. "$top_srcdir/tests/lib.sh"

CTL=$top_builddir/taskhubctl
[ -x "$CTL" ] || bail "$CTL not built"

# Only this test's configuration counts: no overrides from the caller.
unset TASKHUB_HOME TASKHUB_HUB TASKHUB_DURABILITY TASKHUB_GROUP
tap_tmpdir
HOME1=$TAP_TMP/env
BACKUP=$TAP_TMP/backup
HOME2=$TAP_TMP/restored
CONF=$TAP_TMP/taskhub.conf
cat >"$CONF" <<EOF
# written by test_backup.sh
home = $HOME1
hub = BackupHub
durability = full
EOF

ctl() {
	"$CTL" -c "$CONF" "$@"
}

# count FILE: lines in it.
count() {
	wc -l <"$1" | tr -d ' '
}

# instances HOME: the instance count of BackupHub from stats --json.
instances() {
	ctl -H "$1" stats --json | sed -n 's/.*"name":"BackupHub","instances":\([0-9]*\).*/\1/p'
}

# ---- an environment with 50 instances -------------------------------------

run 0 "init creates the environment and the hub" ctl init
like "$(cat "$TAP_OUT")" "created hub BackupHub" "init says it created the hub"
run 0 "init on an existing hub succeeds" ctl init
like "$(cat "$TAP_OUT")" "already exists" "init says the hub already exists"

failed=0
i=0
while [ $i -lt 50 ]; do
	ctl start Hello --id "before-$i" --input "{\"n\":$i}" >/dev/null || failed=$((failed + 1))
	i=$((i + 1))
done
is "$failed" 0 "50 instances started"
ctl list >"$TAP_TMP/list0" 2>"$TAP_ERR"
is "$(count "$TAP_TMP/list0")" 50 "list shows the 50 instances"
run 0 "start with a generated ID" ctl start Hello
id=$(cat "$TAP_OUT")
is "$(printf '%s' "$id" | tr -d '0-9a-f' | wc -c | tr -d ' '):${#id}" "0:32" "the generated ID is 32 hex digits"
run 1 "a second start of a running instance's ID is refused" ctl start Hello --id before-3
like "$(cat "$TAP_ERR")" "An instance with ID 'before-3' already exists." "with the API's message"
run 0 "status of an instance" ctl status before-7
like "$(cat "$TAP_OUT")" "input: {\"n\":7}" "status shows its input"
like "$(cat "$TAP_OUT")" "status: Pending" "status shows its runtime status"

# ---- hot backup while a writer runs ----------------------------------------

# 200 starts in a background process: bounded, and busy during the backup.
(
	j=0
	while [ $j -lt 200 ]; do
		ctl start Hello --id "during-$j" >/dev/null 2>>"$TAP_TMP/writer.err" || echo "during-$j" >>"$TAP_TMP/writer.fail"
		j=$((j + 1))
		echo $j >"$TAP_TMP/writer.count"
	done
) &
WRITER=$!
TAP_PIDS=$WRITER

# Begin the backup only once the writer is well under way.
tries=0
while [ "$(cat "$TAP_TMP/writer.count" 2>/dev/null || echo 0)" -lt 20 ] && [ $tries -lt 600 ]; do
	sleep 0.05
	tries=$((tries + 1))
done
# Everything listed here was committed before the backup began.
ctl list >"$TAP_TMP/list-before" 2>"$TAP_ERR"
kill -0 "$WRITER" 2>/dev/null
tap_result $? "the writer is still starting instances when the backup begins"
run 0 "backup while instances are being started" ctl backup "$BACKUP"
like "$(cat "$TAP_OUT")" "written to $BACKUP" "backup says where it wrote"
if kill -0 "$WRITER" 2>/dev/null; then
	diag "the writer was still running when the backup finished"
fi
wait "$WRITER"
is "$?" 0 "the writer finished"
TAP_PIDS=
is "$(cat "$TAP_TMP/writer.fail" 2>/dev/null)" "" "all 200 background starts succeeded"
n_before=$(count "$TAP_TMP/list-before")
diag "$n_before instances existed when the backup began"
[ "$n_before" -gt 50 ] && [ "$n_before" -lt 251 ]
tap_result $? "the listing before the backup saw some of the writer's instances ($n_before)"

# ---- restore -------------------------------------------------------------------

run 0 "restore into a new HOME" ctl restore "$BACKUP" "$HOME2"
like "$(cat "$TAP_OUT")" "BackupHub" "restore names the restored hub"
run 0 "check passes on the restored environment" ctl -H "$HOME2" check
like "$(cat "$TAP_OUT")" "hub BackupHub: ok" "check reports the hub ok"
ctl -H "$HOME2" list >"$TAP_TMP/list-restored" 2>"$TAP_ERR"
tap_result $? "list works on the restored environment"
missing=$(awk -F '\t' 'NR == FNR { have[$1] = 1; next } !($1 in have) { print $1 }' \
	"$TAP_TMP/list-restored" "$TAP_TMP/list-before" | head -5)
is "$missing" "" "every instance that existed before the backup began was restored"
n_restored=$(count "$TAP_TMP/list-restored")
diag "$n_restored instances restored"
[ "$n_restored" -ge "$n_before" ] && [ "$n_restored" -le 251 ]
tap_result $? "the restored count is between the count before the backup and all starts ($n_restored)"
run 0 "restored status keeps the input" ctl -H "$HOME2" status before-42
like "$(cat "$TAP_OUT")" "input: {\"n\":42}" "the restored instance's input is intact"

run 0 "stats on the restored environment" ctl -H "$HOME2" stats
like "$(cat "$TAP_OUT")" "hub BackupHub" "stats names the hub"
like "$(cat "$TAP_OUT")" "Pending" "stats counts per runtime status"
is "$(instances "$HOME2")" "$n_restored" "stats --json counts every restored instance"
run 0 "stats --json" ctl -H "$HOME2" stats --json
like "$(cat "$TAP_OUT")" "\"byStatus\":{\"Running\":0," "stats --json has per-status counts"

# The original keeps working after a backup and after the writer.
run 0 "check passes on the original environment" ctl check
is "$(instances "$HOME1")" 251 "the original holds every instance started"

# ---- refusals ----------------------------------------------------------------------

mkdir "$TAP_TMP/full" && : >"$TAP_TMP/full/keep"
run 1 "restore into a non-empty directory fails" ctl restore "$BACKUP" "$TAP_TMP/full"
like "$(cat "$TAP_ERR")" "must be absent or empty" "and says why"
is "$(ls "$TAP_TMP/full")" "keep" "the non-empty directory is left as it was"
run 1 "backup into a non-empty directory fails" ctl backup "$BACKUP"
like "$(cat "$TAP_ERR")" "must be absent or empty" "and says why"
run 1 "restore of a missing backup fails" ctl restore "$TAP_TMP/nosuch" "$TAP_TMP/r3"
[ ! -e "$TAP_TMP/r3" ]
tap_result $? "and creates no HOME"

run 1 "an unknown hub is a failure" ctl -h NoSuchHub list
like "$(cat "$TAP_ERR")" "taskhubctl: hub 'NoSuchHub': no such task hub" "with a message naming the hub"
run 1 "check of an unknown hub is a failure" ctl -h NoSuchHub check

n=$(instances "$HOME1")
run 1 "an instance ID with '/' is refused" ctl start Hello --id 'bad/id'
like "$(cat "$TAP_ERR")" "invalid instance ID 'bad/id'" "with a message"
run 1 "an instance ID with '#' is refused" ctl start Hello --id 'bad#id'
run 1 "an empty instance ID is refused" ctl start Hello --id ''
run 1 "an instance ID of 257 bytes is refused" ctl start Hello --id "$(printf '%0257d' 0)"
run 1 "an entity-style instance ID is refused" ctl start Hello --id '@counter@k'
run 1 "input that is not JSON is refused" ctl start Hello --id good-id --input '{"a":'
is "$(instances "$HOME1")" "$n" "refused starts change nothing"
run 1 "status of an invalid ID is refused" ctl status 'bad/id'
run 1 "status of an unknown instance fails" ctl status no-such-instance
like "$(cat "$TAP_ERR")" "not found" "and says so"
run 1 "purge of a pending instance is refused" ctl purge before-1
like "$(cat "$TAP_ERR")" "is Pending" "and names its status"
run 0 "purge-all with nothing terminal" ctl purge-all
is "$(cat "$TAP_OUT")" "purged 0 instances" "purges nothing"
run 2 "purge-all of a non-terminal status is a usage error" ctl purge-all --status Pending

run 2 "an unknown command is a usage error" ctl frobnicate
like "$(cat "$TAP_ERR")" "unknown command 'frobnicate'" "and says so"
run 2 "no command is a usage error" ctl
run 2 "a missing argument is a usage error" ctl start
run 2 "an unknown option is a usage error" ctl list --frob
run 2 "a bad --top is a usage error" ctl list --top -1
run 2 "an unknown status is a usage error" ctl list --status Sleeping
run 2 "an unknown durability is a usage error" ctl -d sometimes hubs
run 0 "help lists every command" ctl help
for cmd in init hubs hub-create hub-delete check stats maintain backup restore start status list purge purge-all; do
	grep -Eq "^  $cmd( |\$)" "$TAP_OUT" || echo "$cmd" >>"$TAP_TMP/help.missing"
done
is "$(cat "$TAP_TMP/help.missing" 2>/dev/null)" "" "help shows every command"

run 1 "init with an invalid hub name fails" ctl -H "$TAP_TMP/badhub" -h 9lives init
[ ! -e "$TAP_TMP/badhub" ]
tap_result $? "and creates no environment"

# ---- a group-shared environment ---------------------------------------------------

group=$(id -gn)
run 0 "init --group $group" ctl -H "$TAP_TMP/shared" init --group "$group"
is "$(find "$TAP_TMP/shared" -prune -perm 2770)" "$TAP_TMP/shared" "the directory is mode 2770: setgid, group-writable"
is "$(find "$TAP_TMP/shared" -type f ! -perm -0660 | head -3)" "" "its files are group-readable and -writable"
run 0 "init --group again" ctl -H "$TAP_TMP/shared" init --group "$group"
run 1 "init --group of an unknown group fails" ctl -H "$TAP_TMP/nogroup" init --group no-such-group-xyzzy
like "$(cat "$TAP_ERR")" "unknown group" "and says so"

# ---- list filters, hubs, maintain ---------------------------------------------------

run 0 "list --prefix --top" ctl list --prefix during- --top 7
is "$(count "$TAP_OUT")" 7 "returns exactly --top lines"
is "$(cut -f1 "$TAP_OUT" | grep -cv '^during-')" 0 "all with the prefix"
run 0 "list --status Pending --name hello" ctl list --status Pending --name hello
is "$(count "$TAP_OUT")" 251 "the name filter ignores case"
run 0 "list --status Completed" ctl list --status Completed,Failed
is "$(count "$TAP_OUT")" 0 "finds none"
run 0 "hub-create a second hub" ctl hub-create OtherHub
run 1 "hub-create of an existing hub fails" ctl hub-create OtherHub
ctl hubs >"$TAP_TMP/hubs" 2>"$TAP_ERR"
is "$(sort "$TAP_TMP/hubs" | tr '\n' ' ')" "BackupHub OtherHub " "hubs lists both"
run 0 "check covers every hub" ctl check
like "$(cat "$TAP_OUT")" "hub OtherHub: ok" "including the new one"
run 0 "hub-delete" ctl hub-delete OtherHub
is "$(ctl hubs)" "BackupHub" "the deleted hub is gone"
run 1 "hub-delete of an unknown hub fails" ctl hub-delete OtherHub
run 0 "maintain" ctl maintain
run 0 "check after maintain" ctl check

tap_done
