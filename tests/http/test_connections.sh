#!/bin/sh
# test_connections.sh — the `connection` parameter selects the environment:
# two environments configured, a start through each lands in its own store,
# an unknown connection is a 404 with a JSON message, an unknown hub too.
# The responder runs as plain CGI (the transport plays no part here; the
# server matrix is covered by test_api.py).
. "${top_srcdir:-.}/tests/lib.sh"

tap_tmpdir
wd=$TAP_TMP
ctl="$top_builddir/taskhubctl"
fcgi="$top_builddir/taskhub.fcgi"
cat >"$wd/taskhub.conf" <<CONF
home = $wd/main
hub = TestHubName
anonymous = yes
wake-socket = $wd/wake.sock
connections = Other=$wd/other
CONF
"$ctl" -c "$wd/taskhub.conf" init >/dev/null 2>&1
"$ctl" -c "$wd/taskhub.conf" -H "$wd/other" init >/dev/null 2>&1
"$ctl" -c "$wd/taskhub.conf" functions-publish orchestrator:Hello >/dev/null
"$ctl" -c "$wd/taskhub.conf" -H "$wd/other" functions-publish orchestrator:Hello >/dev/null

# cgi METHOD PATH QUERY: prints the status code, then the body on line 2.
cgi() {
	env -i TASKHUB_CONF="$wd/taskhub.conf" REQUEST_METHOD="$1" REQUEST_URI="/runtime/webhooks/durabletask/$2?$3" \
		QUERY_STRING="$3" HTTP_HOST=127.0.0.1 CONTENT_LENGTH=0 CONTENT_TYPE=application/json "$fcgi" </dev/null |
		tr -d '\r' | awk 'NR == 1 { print $2 } /^$/ { body = 1; next } body { print }'
}

out=$(cgi POST orchestrators/Hello/in-main "")
is "$(echo "$out" | head -1)" 202 "start without connection: 202"
out=$(cgi POST orchestrators/Hello/in-other "connection=Other")
is "$(echo "$out" | head -1)" 202 "start with connection=Other: 202"
like "$out" "connection=Other" "URLs carry connection=Other"
out=$(cgi GET instances/in-other "connection=other")
is "$(echo "$out" | head -1)" 202 "connection names are case-insensitive: found in Other"
out=$(cgi GET instances/in-other "")
is "$(echo "$out" | head -1)" 404 "not in the default environment"
out=$(cgi GET instances/in-main "connection=Storage")
is "$(echo "$out" | head -1)" 202 "connection=Storage is the default environment"
out=$(cgi GET instances/in-main "connection=Nope")
is "$(echo "$out" | head -1)" 404 "unknown connection: 404"
like "$out" '"Message":"Connection '"'"'Nope'"'"' is not configured."' "with a JSON message"
out=$(cgi GET instances/in-main "taskHub=NoSuchHub")
is "$(echo "$out" | head -1)" 404 "unknown hub: 404"
like "$out" '"Message":"Task hub '"'"'NoSuchHub'"'"' does not exist."' "with a JSON message"
is "$("$ctl" -c "$wd/taskhub.conf" -H "$wd/other" list | cut -f1)" in-other "the other store holds exactly its instance"

# host.json of the function app: overridableExistingInstanceStates.
fix="$top_builddir/tests/http/fixture"
"$fix" -c "$wd/taskhub.conf" set-status in-main Running >/dev/null
out=$(cgi POST orchestrators/Hello/in-main "")
is "$(echo "$out" | head -1)" 409 "default NonRunningStates: a running instance is not replaced"
mkdir -p "$wd/app"
echo '{"version":"2.0","extensions":{"durableTask":{"overridableExistingInstanceStates":"AnyState"}}}' >"$wd/app/host.json"
echo "app = $wd/app" >>"$wd/taskhub.conf"
out=$(cgi POST orchestrators/Hello/in-main "")
is "$(echo "$out" | head -1)" 202 "AnyState in host.json: a running instance is replaced"
echo '{"extensions":{"durableTask":{"overridableExistingInstanceStates":"Sometimes"}}}' >"$wd/app/host.json"
out=$(cgi GET instances/in-main "")
is "$(echo "$out" | head -1)" 500 "a bad host.json setting stops the responder at start-up: 500"
like "$out" '"Message":"The service is not configured correctly; see the server'"'"'s error log."' \
	"with the API's JSON error, no detail for the client"
tap_done
