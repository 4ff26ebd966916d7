/*
 * test_client.c — libtaskhub's client API against a real environment in a
 * temporary directory: opening (conf, connection, hub), start with and
 * without an ID and the singleton rule (also across processes), status as
 * a struct and as JSON, raise, terminate, purge, the wake datagram, the
 * API's error words, system keys, and the check-status response byte for
 * byte.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/event.h"
#include "common/status.h"
#include "sdk/client_int.h"
#include "tap.h"
#include "testenv.h"

static char conf_path[1024], anon_conf[1024], wake_path[512], home[1024];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
		tap_bail("cannot write %s", path);
}

/* An environment with hub TestHub, closed again: the client opens it as
 * a separate user program would (main publishes the registry through the
 * client's own handle). */
static void
setup(void)
{
	const char *dir = testenv_dir();
	struct store *st = testenv_open("env", STORE_DURABLE_NOSYNC);
	char text[4096], keys[1024];

	(void)testenv_hub(st);
	store_close(st);
	snprintf(home, sizeof(home), "%s/env", dir);
	snprintf(wake_path, sizeof(wake_path), "%s/wake.sock", dir);
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	write_file(keys, "# keys\nk1\nsecond key\n");
	snprintf(text, sizeof(text),
		 "home = %s\nhub = TestHub\nkeys-file = %s\nwake-socket = %s\ndurability = nosync\n"
		 "connections = Other=%s/other\n",
		 home, keys, wake_path, dir);
	snprintf(conf_path, sizeof(conf_path), "%s/taskhub.conf", dir);
	write_file(conf_path, text);
	snprintf(text, sizeof(text), "home = %s\nhub = TestHub\nanonymous = yes\nwake-socket = %s\n", home, wake_path);
	snprintf(anon_conf, sizeof(anon_conf), "%s/anon.conf", dir);
	write_file(anon_conf, text);
}

/* ---- store access through the client's own handle --------------------------- */

struct fix {
	struct store_hub *h;
	const char *id;
	int status;
	struct store_function *fns;
	size_t n;
	struct store_event *ev;
};

static enum store_err
publish_txn(struct store_txn *tx, void *arg)
{
	struct fix *f = arg;

	return store_function_publish(tx, f->h, f->fns, f->n);
}

static enum store_err
set_status_txn(struct store_txn *tx, void *arg)
{
	struct fix *f = arg;
	struct store_instance r;
	enum store_err e;

	if ((e = store_instance_get(tx, f->h, f->id, 1, &r)) != STORE_OK)
		return e;
	r.status = f->status;
	e = store_instance_put(tx, f->h, &r);
	store_instance_clear(&r);
	return e;
}

static enum store_err
inbox_txn(struct store_txn *tx, void *arg)
{
	struct fix *f = arg;

	store_event_free_array(f->ev, f->n);
	f->ev = NULL;
	f->n = 0;
	return store_inbox_take(tx, f->h, f->id, 0, &f->ev, &f->n);
}

static void
set_status(th_client *c, const char *id, int status)
{
	struct fix f = {c->hub, id, status, NULL, 0, NULL};

	if (store_txn_run(c->store, 0, set_status_txn, &f) != STORE_OK)
		tap_bail("set_status %s", id);
}

/* The types of an instance's inbox events, comma-separated. */
static void
inbox_types(th_client *c, const char *id, char *out, size_t cap)
{
	struct fix f = {c->hub, id, 0, NULL, 0, NULL};
	size_t i, o = 0;

	out[0] = '\0';
	if (store_txn_run(c->store, STORE_TXN_READONLY, inbox_txn, &f) != STORE_OK)
		return;
	for (i = 0; i < f.n && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", event_type_name(f.ev[i].type));
	store_event_free_array(f.ev, f.n);
}

/* ---- the wake socket ---------------------------------------------------------- */

static int
wake_bind(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(wake_path) >= sizeof(sa.sun_path))
		tap_bail("wake socket path too long: %s", wake_path);
	memcpy(sa.sun_path, wake_path, strlen(wake_path) + 1);
	unlink(wake_path);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		tap_bail("wake socket %s", wake_path);
	return fd;
}

/* The datagrams waiting, joined with '|'. */
static void
wake_drain(int fd, char *out, size_t cap)
{
	char d[256];
	ssize_t n;
	size_t o = 0;

	out[0] = '\0';
	while ((n = recv(fd, d, sizeof(d) - 1, 0)) >= 0 && o < cap) {
		d[n] = '\0';
		o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "|" : "", d);
	}
}

/* ---- cases ------------------------------------------------------------------------ */

static void
test_open(void)
{
	th_client *c;
	char err[512];

	if (!is_int(th_client_open(conf_path, NULL, NULL, &c, err, sizeof(err)), TH_OK, "open: default connection and hub"))
		tap_bail("open %s: %s", conf_path, err);
	is_str(th_client_hub(c), "TestHub", "open: the conf's hub");
	is_str(th_client_connection(c), "Storage", "open: connection-name");
	is_int((long long)th_client_body_max(c), 1048576, "open: body-max");
	th_client_close(c);
	if (!is_int(th_client_open(conf_path, "storage", "testhub", &c, err, sizeof(err)), TH_OK,
		    "open: connection and hub names in another case"))
		tap_bail("open %s: %s", conf_path, err);
	is_str(th_client_connection(c), "storage", "open: the URLs carry the connection as given");
	is_str(th_client_hub(c), "testhub", "open: the hub name as the API's URLs carry it");
	th_client_close(c);
	c = (th_client *)1;
	is_int(th_client_open(conf_path, "Nope", NULL, &c, err, sizeof(err)), TH_ECONFIG, "open: unknown connection");
	ok(c == NULL, "open: *out NULL on failure");
	is_str(err, "Connection 'Nope' is not configured.", "open: the API's words for an unknown connection");
	is_int(th_client_open(conf_path, NULL, "NoSuchHub", &c, err, sizeof(err)), TH_ENOHUB, "open: missing hub");
	is_str(err, "Task hub 'NoSuchHub' does not exist.", "open: the API's words for a missing hub");
	is_int(th_client_open("/nonexistent/taskhub.conf", NULL, NULL, &c, err, sizeof(err)), TH_ECONFIG,
	       "open: unreadable conf");
	th_client_close(NULL);
	if (th_client_open(anon_conf, NULL, NULL, &c, NULL, 0) != TH_OK)
		tap_bail("open %s", anon_conf);
	ok(th_client_authorize(c, NULL) && th_client_authorize(c, "anything"), "authorize: anonymous takes anything");
	th_client_close(c);
}

static void
test_start(th_client *c, int wfd)
{
	static const char status_pre[] = "{\"name\":\"HelloSequence\",\"instanceId\":\"single\",\"runtimeStatus\":"
					 "\"Pending\",\"input\":{\"a\":1},\"customStatus\":null,\"output\":null,"
					 "\"createdTime\":\"";
	char *id = NULL, got[512];
	th_status s;
	char *json;

	wake_drain(wfd, got, sizeof(got));
	is_int(th_client_start(c, "NoSuch", "a1", NULL, NULL), TH_ENOFUNCTION, "start: unknown orchestrator");
	is_str(th_client_errmsg(c),
	       "The function 'NoSuch' doesn't exist, is disabled, or is not an orchestrator function. Additional "
	       "info: The following are the known orchestrator functions: 'HelloSequence', 'Other'.",
	       "start: the API's message, known orchestrators listed");
	is_int(th_client_start(c, "hellosequence", "single", "{\"a\":1}", &id), TH_OK, "start with an ID");
	is_str(id, "single", "start: *id_out is the ID");
	free(id);
	wake_drain(wfd, got, sizeof(got));
	is_str(got, "TestHub", "start: one wake datagram naming the hub, after the commit");
	is_int(th_client_start(c, "HelloSequence", "single", NULL, NULL), TH_EEXISTS, "start: a Pending ID is held");
	is_str(th_client_errmsg(c), "An instance with ID 'single' already exists.", "start: the API's 409 message");
	ok(th_client_errdetail(c) == NULL, "start: 409 has no detail");
	wake_drain(wfd, got, sizeof(got));
	is_str(got, "", "start: no wake when nothing was started");

	is_int(th_client_get_status(c, "single", 1, &s), TH_OK, "get_status");
	is_str(s.name, "HelloSequence", "status: the name as registered");
	is_str(s.instance_id, "single", "status: instanceId");
	is_str(s.runtime_status, "Pending", "status: Pending");
	is_str(s.input, "{\"a\":1}", "status: input");
	ok(s.output == NULL && s.custom_status == NULL, "status: no output or custom status");
	ok(s.created_us > 0 && s.last_updated_us >= s.created_us, "status: times");
	th_status_clear(&s);
	is_int(th_client_get_status(c, "single", 0, &s), TH_OK, "get_status without input");
	ok(s.input == NULL, "status: input left out");
	th_status_clear(&s);
	is_int(th_client_get_status_json(c, "single", 1, &json), TH_OK, "get_status_json");
	ok(json != NULL && strncmp(json, status_pre, strlen(status_pre)) == 0 &&
		   strstr(json, "\",\"lastUpdatedTime\":\"") != NULL && json[strlen(json) - 1] == '}',
	   "status JSON: the API's object, keys in order (%s)", json ? json : "NULL");
	free(json);
	is_int(th_client_get_status(c, "missing", 1, &s), TH_ENOTFOUND, "get_status: unknown ID");

	is_int(th_client_start(c, "HelloSequence", NULL, NULL, &id), TH_OK, "start without an ID");
	ok(id != NULL && strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32, "start: a 32-hex-digit ID (%s)",
	   id ? id : "NULL");
	free(id);
	is_int(th_client_start(c, "HelloSequence", "j", "{bad", NULL), TH_EINVALID, "start: bad JSON input");
	is_str(th_client_errmsg(c), "Invalid JSON content", "start: the API's words for bad JSON");
	is_int(th_client_start(c, "HelloSequence", "a/b", NULL, NULL), TH_EINVALID, "start: an ID with '/'");
	is_str(th_client_errdetail(c),
	       "instanceId (Parameter 'Instance ID must be valid UTF-8 without control characters or any of / \\ # "
	       "?.')",
	       "start: the API's detail for a bad ID");
	is_int(th_client_start(c, "HelloSequence", "@x", NULL, NULL), TH_EINVALID, "start: an entity-like ID");
	is_int(th_client_get_status(c, "j", 0, &s), TH_ENOTFOUND, "start: nothing written on refusal");

	/* Finished instances are replaced; each running state is held. */
	{
		static const int held[] = {STATUS_PENDING, STATUS_RUNNING, STATUS_CONTINUED_AS_NEW, STATUS_SUSPENDED};
		static const int done[] = {STATUS_COMPLETED, STATUS_FAILED, STATUS_TERMINATED};
		size_t i;

		for (i = 0; i < 4; i++) {
			set_status(c, "single", held[i]);
			is_int(th_client_start(c, "HelloSequence", "single", NULL, NULL), TH_EEXISTS,
			       "start: %s is held", status_name(held[i]));
		}
		for (i = 0; i < 3; i++) {
			set_status(c, "single", done[i]);
			is_int(th_client_start(c, "HelloSequence", "single", "\"v2\"", NULL), TH_OK,
			       "start: %s is replaced", status_name(done[i]));
			is_int(th_client_get_status(c, "single", 1, &s), TH_OK, "replaced: readable");
			ok(strcmp(s.runtime_status, "Pending") == 0 && s.input && strcmp(s.input, "\"v2\"") == 0,
			   "replaced: Pending with the new input");
			th_status_clear(&s);
		}
	}
}

static void
test_control(th_client *c)
{
	char types[512];
	th_status s;

	is_int(th_client_start(c, "HelloSequence", "ctl", NULL, NULL), TH_OK, "control: started");
	is_int(th_client_raise_event(c, "ctl", "Approval", "{\"ok\":true}"), TH_OK, "raise_event");
	is_int(th_client_raise_event(c, "ctl", "Approval", "{bad"), TH_EINVALID, "raise_event: bad JSON");
	is_int(th_client_raise_event(c, "ctl", "bad/name", NULL), TH_EINVALID, "raise_event: bad name");
	is_int(th_client_raise_event(c, "nope", "E", NULL), TH_ENOTFOUND, "raise_event: unknown ID");
	is_int(th_client_terminate(c, "ctl", "enough"), TH_OK, "terminate");
	inbox_types(c, "ctl", types, sizeof(types));
	is_str(types, "ExecutionStarted,EventRaised,ExecutionTerminated", "control: recorded in the inbox, in order");
	is_int(th_client_purge(c, "ctl"), TH_ESTATE, "purge: a Pending instance is refused");
	is_str(th_client_errmsg(c),
	       "Instance 'ctl' is Pending; only Completed, Failed, Canceled or Terminated instances can be purged.",
	       "purge: the API's 409 message");
	set_status(c, "ctl", STATUS_TERMINATED);
	is_int(th_client_raise_event(c, "ctl", "E", NULL), TH_ESTATE, "raise_event: a finished instance");
	is_int(th_client_terminate(c, "ctl", NULL), TH_ESTATE, "terminate: a finished instance");
	is_int(th_client_purge(c, "ctl"), TH_OK, "purge a terminated instance");
	if (!is_int(th_client_get_status(c, "ctl", 0, &s), TH_ENOTFOUND, "purge: gone"))
		th_status_clear(&s); /* the purge failed (an injected fault): s was filled */
	is_int(th_client_purge(c, "ctl"), TH_ENOTFOUND, "purge: unknown ID");
}

static void
test_check_status(th_client *c)
{
	th_check_status cs;
	const char *pre = "https://example.com:8443/runtime/webhooks/durabletask/instances/a%20b";
	const char *suf = "taskHub=TestHub&connection=Storage&code=k%2B1%26x";
	char want[8192], loc[1024];
	char origin[300];

	th_client_origin(origin, sizeof(origin), "127.0.0.1:80", "on", "example.com:8443, proxy", NULL);
	is_str(origin, "https://example.com:8443", "origin: HTTPS=on, first X-Forwarded-Host");
	th_client_origin(origin, sizeof(origin), "h", NULL, NULL, "HTTPS");
	is_str(origin, "https://h", "origin: X-Forwarded-Proto");
	th_client_origin(origin, sizeof(origin), NULL, NULL, NULL, NULL);
	is_str(origin, "http://localhost", "origin: no Host");

	is_int(th_client_check_status(c, "https://example.com:8443", "a b", "k+1&x", 0, &cs), TH_OK, "check_status");
	snprintf(
		want, sizeof(want),
		"{\"id\":\"a b\",\"statusQueryGetUri\":\"%s?%s\",\"sendEventPostUri\":\"%s/raiseEvent/{eventName}?%s\","
		"\"terminatePostUri\":\"%s/terminate?reason={text}&%s\",\"purgeHistoryDeleteUri\":\"%s?%s\","
		"\"restartPostUri\":\"%s/restart?%s\",\"suspendPostUri\":\"%s/suspend?reason={text}&%s\","
		"\"resumePostUri\":\"%s/resume?reason={text}&%s\"}",
		pre, suf, pre, suf, pre, suf, pre, suf, pre, suf, pre, suf, pre, suf);
	is_str(cs.body, want, "check_status: the 202 body byte for byte");
	snprintf(loc, sizeof(loc), "%s?%s", pre, suf);
	is_str(cs.location, loc, "check_status: Location is statusQueryGetUri");
	is_str(cs.retry_after, "10", "check_status: Retry-After 10");
	is_str(cs.content_type, "application/json; charset=utf-8", "check_status: Content-Type");
	is_int(cs.status, 202, "check_status: 202");
	th_check_status_clear(&cs);

	is_int(th_client_check_status(c, "http://h", "x", NULL, TH_CHECK_WITH_REWIND, &cs), TH_OK,
	       "check_status with rewind");
	ok(cs.body != NULL &&
		   strstr(cs.body, "\"terminatePostUri\":\"http://h/runtime/webhooks/durabletask/instances/x/terminate?"
				   "reason={text}&taskHub=TestHub&connection=Storage\",\"rewindPostUri\":\"http://h/"
				   "runtime/webhooks/durabletask/instances/x/rewind?reason={text}&taskHub=TestHub&"
				   "connection=Storage\",\"purgeHistoryDeleteUri\"") != NULL,
	   "check_status: rewindPostUri after terminatePostUri, no code when none");
	th_check_status_clear(&cs);
	is_int(th_client_check_status(c, "http://h", "", NULL, 0, &cs), TH_EINVALID, "check_status: empty ID");
	ok(cs.body == NULL && cs.location == NULL, "check_status: nothing returned on failure");
}

static void
test_keys_and_errors(th_client *c)
{
	char *j;

	ok(th_client_authorize(c, "k1"), "authorize: a key of the file");
	ok(th_client_authorize(c, "second key"), "authorize: another key");
	ok(!th_client_authorize(c, "k"), "authorize: a prefix is refused");
	ok(!th_client_authorize(c, "k1x"), "authorize: a longer key is refused");
	ok(!th_client_authorize(c, NULL), "authorize: no key is refused");
	ok(!th_client_authorize(c, "# keys"), "authorize: comment lines are not keys");
	j = th_client_error_json("say \"hi\"\n", NULL);
	is_str(j, "{\"Message\":\"say \\\"hi\\\"\\n\"}", "error_json: the API's shape, escaped");
	free(j);
	j = th_client_error_json("m", "d");
	is_str(j, "{\"Message\":\"m\",\"ExceptionMessage\":\"d\"}", "error_json: with a detail");
	free(j);
	is_str(th_client_strerror(TH_EEXISTS), "an instance with this ID already exists", "strerror");
	is_str(th_client_strerror((th_client_err)99), "unknown error", "strerror: out of range");
}

/* N processes, each with its own client, start one ID at once: exactly one
 * wins (the check and the write are one transaction). */
static void
test_race(void)
{
	enum { N = 8 };
	int go[2], i, wins = 0, held = 0, other = 0;
	pid_t pids[N];

	if (pipe(go) == -1)
		tap_bail("pipe");
	for (i = 0; i < N; i++) {
		if ((pids[i] = fork()) == 0) {
			th_client *c;
			char b;
			int rc;

			close(go[1]);
			if (th_client_open(conf_path, NULL, NULL, &c, NULL, 0) != TH_OK)
				_exit(100);
			(void)read(go[0], &b, 1); /* all released when the pipe closes */
			rc = th_client_start(c, "HelloSequence", "race", NULL, NULL);
			th_client_close(c);
			_exit(rc);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < N; i++) {
		int st;

		waitpid(pids[i], &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == TH_OK)
			wins++;
		else if (WIFEXITED(st) && WEXITSTATUS(st) == TH_EEXISTS)
			held++;
		else
			other++;
	}
	ok(wins == 1 && held == N - 1 && other == 0, "%d processes start one ID: 1 wins, %d held (got %d, %d, %d)", N,
	   N - 1, wins, held, other);
}

int
main(void)
{
	th_client *c;
	char err[512];
	int wfd;

	setup();
	wfd = wake_bind();
	/* One environment handle per process (DB_REGISTER): the opening
	 * cases run before the client of the other cases is opened. */
	test_open();
	if (th_client_open(conf_path, NULL, NULL, &c, err, sizeof(err)) != TH_OK)
		tap_bail("open: %s", err);
	{
		struct store_function fns[2] = {
			{STORE_FN_ORCHESTRATOR, "HelloSequence", "x.so", "hello"},
			{STORE_FN_ORCHESTRATOR, "Other", "x.so", "other"},
		};
		struct fix f = {c->hub, NULL, 0, fns, 2, NULL};

		if (store_txn_run(c->store, 0, publish_txn, &f) != STORE_OK)
			tap_bail("publish");
	}
	test_start(c, wfd);
	test_control(c);
	test_check_status(c);
	test_keys_and_errors(c);
	th_client_close(c);
	test_race();
	close(wfd);
	return tap_done();
}
