"""e2e.py — what the end-to-end tests share: an environment with lighttpd
in front of taskhub.fcgi and taskhubd running a function app, and a small
client for the management API that starts instances, raises events and
polls until an instance finishes.

The HTTP pieces come from tests/http (harness.py: the real servers;
test_api.py: TAP output, the raw HTTP client, the Env wrapper around
taskhubctl), so the end-to-end tests talk to the responder exactly as the
API tests do. Python 3 standard library only.

    with e2e.stack(tap, app=e2e.samples_app()) as s:
        iid = s.api.start("HelloSequence")
        st = s.api.wait(iid)

Polling has a deadline only so that a broken engine cannot hang the suite;
no test asserts how fast anything happens.
"""

import contextlib
import json
import os
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
HTTP = os.path.join(os.path.dirname(HERE), "http")
for _p in (HERE, HTTP):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import daemon  # noqa: E402
import harness  # noqa: E402
import test_api as T  # noqa: E402

TERMINAL = ("Completed", "Failed", "Terminated", "Canceled")
WAIT_TIMEOUT = 60.0  # seconds an instance may take before a test gives up on it
POLL = 0.05


def builddir():
    return os.path.abspath(T.builddir())


def samples_app():
    return os.path.join(builddir(), "samples", "app")


def test_app(version=1):
    return os.path.join(builddir(), "tests", "e2e", "app" if version == 1 else "app-v%d" % version)


def require(*apps):
    """Skips the whole test (TAP plan 1..0) when a program, lighttpd or an
    app folder is missing; turns SIGTERM/SIGINT into SystemExit so that
    servers and daemons are stopped when the test is interrupted."""
    harness.exit_on_signals()
    need = [T.program("taskhubctl"), T.responder_path(), daemon.program(builddir())]
    missing = [p for p in need if not os.access(p, os.X_OK)]
    missing += [a for a in apps if not os.path.isdir(a)]
    if missing:
        T.skip_all("not built: " + ", ".join(missing))
    m = harness.KINDS["lighttpd"].missing()
    if m:
        T.skip_all("lighttpd: %s is not installed" % m)


# ---- the management API ------------------------------------------------------


class Api:
    """The routes the end-to-end tests use, on one server (a test_api
    HttpTarget). Every method returns the test_api Resp or what it says."""

    def __init__(self, target):
        self.t = target

    def call(self, method, path, query="", body=b"", headers=(), timeout=60):
        return T.call(self.t, method, path, query, headers=headers, body=body, timeout=timeout)

    def start_resp(self, name, input_=None, iid=None, raw=None, timeout=60):
        """POST orchestrators/NAME[/ID] with the JSON of input_ (or the
        raw bytes), as a Resp."""
        body = raw if raw is not None else json.dumps(input_).encode()
        path = "orchestrators/%s" % T.q(name) + ("/%s" % T.q(iid) if iid else "")
        return self.call("POST", path, body=body, headers=[T.CT_JSON], timeout=timeout)

    def start(self, name, input_=None, iid=None, timeout=60):
        """Starts an instance; its ID. AssertionError unless 202; OSError
        (socket.timeout) when no answer comes within timeout seconds."""
        r = self.start_resp(name, input_, iid, timeout=timeout)
        if r.status != 202:
            raise AssertionError("start %s: %r" % (name, r))
        return r.json()["id"]

    def get(self, iid, history=False):
        """GET instances/ID (with history and outputs): the Resp."""
        query = "showHistory=true&showHistoryOutput=true" if history else ""
        return self.call("GET", "instances/%s" % T.q(iid), query)

    def status(self, iid, history=False):
        """The status object, or None when the instance is unknown (404)."""
        r = self.get(iid, history)
        if r.status == 404:
            return None
        if r.status not in (200, 202):
            raise AssertionError("GET %s: %r" % (iid, r))
        return r.json()

    def wait(self, iid, until=None, timeout=WAIT_TIMEOUT, history=False):
        """Polls until until(status) is true (default: a terminal
        runtimeStatus) and returns that status, fetched with history when
        asked. On timeout returns the last status seen with the key
        "_timeout" added, so a check on it fails with what was there."""
        until = until or (lambda s: s["runtimeStatus"] in TERMINAL)
        deadline = time.monotonic() + timeout * harness.timeout_scale()
        st = None
        while True:
            st = self.status(iid)
            if st is not None and until(st):
                return self.status(iid, history=True) if history else st
            if time.monotonic() > deadline:
                st = dict(st or {})
                st["_timeout"] = "gave up after %.0f s" % timeout
                return st
            time.sleep(POLL)

    def wait_custom(self, iid, value, timeout=WAIT_TIMEOUT):
        """Waits until the custom status equals value (or the instance
        finished); the status."""
        return self.wait(iid, lambda s: s.get("customStatus") == value or s["runtimeStatus"] in TERMINAL, timeout)

    def raise_event(self, iid, name, value):
        return self.call("POST", "instances/%s/raiseEvent/%s" % (T.q(iid), T.q(name)),
                         body=json.dumps(value).encode(), headers=[T.CT_JSON])

    def control(self, iid, op, query=""):
        """POST instances/ID/OP (terminate, suspend, resume, rewind, restart)."""
        return self.call("POST", "instances/%s/%s" % (T.q(iid), op), query)


def history_types(st):
    return [e.get("EventType") for e in (st.get("historyEvents") or [])]


def events(st, kind):
    return [e for e in (st.get("historyEvents") or []) if e.get("EventType") == kind]


def q(s):
    return urllib.parse.quote(s, safe="")


# ---- the whole stack ------------------------------------------------------------


class Stack:
    """One environment, lighttpd in front of taskhub.fcgi, one taskhubd.
    Attributes: root (the workdir), env (test_api.Env), target, api (Api),
    targets (every server), daemon (daemon.Daemon)."""


@contextlib.contextmanager
def stack(app, daemon_env=None, app_name="app", durability="write-nosync", kinds=("lighttpd",), prepare=None):
    """Builds the stack for app (a function app folder, copied into the
    workdir), starts the daemon (ready when this yields) and tears all of
    it down however the block ends; the workdir is removed unless
    TASKHUB_KEEP_TEST_DIRS is set. kinds: the web servers (harness.KINDS
    names) in front of the one environment; s.target and s.api are the
    first, s.targets every one that is installed. prepare(root), when
    given, runs before the environment is created in root/env (to mount a
    file system there, for one)."""
    root = harness.make_workdir(prefix="taskhub-e2e-")
    s = Stack()
    s.root = root
    try:
        if prepare is not None:
            prepare(root)
        conf = harness.make_env(builddir(), root, hub=T.HUB, keys=[T.KEY], durability=durability)
        s.env = T.Env(root, os.path.join(root, "env"), conf)
        appdir = daemon.install_app(app, root, app_name)
        with daemon.Daemon(builddir(), conf, appdir, root, env=daemon_env) as d:
            s.daemon = d
            d.start()
            with T.targets(s.env, list(kinds)) as ts:
                if not ts:
                    raise RuntimeError("%s did not start" % kinds[0])
                s.targets = ts
                s.target = ts[0]
                s.api = Api(ts[0])
                yield s
    finally:
        for pid, cmd in kill_leftovers(root):
            print("# killed a process left running from the workdir: %d %s" % (pid, cmd))
        harness.remove_workdir(root)


def kill_leftovers(root):
    """SIGKILLs, by PID, every process still running a program from the
    workdir root (a responder that did not exit with its server, for
    instance because it is stuck in the store), so that none outlives the
    test; returns [(pid, command)]."""
    import signal
    prefix = os.path.abspath(root) + "/"
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv0 = f.read().split(b"\0")[0].decode("utf-8", "replace")
        except OSError:
            continue
        if argv0.startswith(prefix):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(d), signal.SIGKILL)
                out.append((int(d), argv0))
    return out


def run_parts(tap, parts, s):
    """Runs each part (a function of the stack); an exception in one is a
    failed check naming it, and the others still run."""
    import traceback
    for part in parts:
        try:
            part(s)
        except Exception as e:  # noqa: BLE001 - reported as a failed check
            tap.ok(False, "%s ran to the end" % part.__name__,
                   "".join(traceback.format_exception(type(e), e, e.__traceback__))[-3000:] +
                   "\n" + s.daemon.log_tail(30))
