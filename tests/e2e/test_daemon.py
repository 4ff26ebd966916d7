#!/usr/bin/env python3
"""test_daemon.py — taskhubd as a program: start-up checks, the function
app loader, signals, detaching, modes.

- A second daemon on the same environment refuses to start, naming the
  first one's pid; the first keeps working.
- Privileges: run as root, the daemon refuses to start without -u and
  with -u root; as another user, -u naming someone else is refused.
- A function app with broken functions — malformed function.json, no
  trigger binding, a scriptFile that does not exist, one outside the app
  folder (../), a shared object without the entryPoint symbol — reports
  each by name with its reason and skips it; the rest of the app runs (a
  HelloSequence completes) and only the good functions are published.
- SIGHUP loads the app again: a function added to the folder is
  published and runs.
- Without -F the daemon detaches: the command returns at once, the daemon
  keeps running (its pid is in the lock file) and serves work; SIGTERM
  stops it and removes the wake socket.
- The wake socket is mode 0660.
- The wake socket shrugs off garbage and floods; modes of the
  environment, its files and the socket.
- Maintenance on a tick: with TASKHUB_MAINTAIN_SECONDS=1, log files the
  instances' writes filled are removed once checkpointed.

TAP on stdout; exit 1 when any check failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import e2e  # noqa: E402
import test_api as T  # noqa: E402

tap = T.Tap()
HELLO = ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]


SCALE = e2e.harness.timeout_scale()  # TH_TIMEOUT_SCALE: a run under valgrind (tests/stress/valgrind.sh)


def run(cmd, env=None, timeout=30):
    e = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
    e.update(env or {})
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          env=e, timeout=timeout * SCALE)


def functions(s):
    """The published registry as a set of 'kind:name'."""
    r = run([os.path.join(e2e.builddir(), "taskhubctl"), "-c", s.daemon.conf, "functions"])
    out = set()
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("orchestrator", "activity", "entity"):
            out.add(parts[0] + ":" + parts[1])
    return out


def hello_completes(s, iid):
    s.api.start("HelloSequence", None, iid)
    st = s.api.wait(iid)
    return st.get("runtimeStatus") == "Completed" and st.get("output") == HELLO, st


def second_daemon_refused(s):
    mark = os.path.getsize(s.daemon.log_path)
    r = run(s.daemon.command(), timeout=30)
    tap.ok(r.returncode != 0, "a second taskhubd on the same environment exits non-zero", r.stdout)
    tap.ok("another taskhubd (pid %d) is running on" % s.daemon.proc.pid in r.stdout,
           "it names the running daemon's pid", r.stdout)
    tap.ok(s.daemon.alive(), "the first daemon keeps running")
    ok, st = hello_completes(s, "second-daemon")
    tap.ok(ok, "and keeps working", json.dumps(st))
    # The refused daemon had opened the environment: it must close it, not
    # just exit, or the next process to open it (taskhubctl here) finds a
    # dead registered process and recovers the environment under the
    # running daemon and responders, which all have to reopen.
    run([os.path.join(e2e.builddir(), "taskhubctl"), "-c", s.daemon.conf, "stats"])
    ok, st = hello_completes(s, "second-daemon-after")
    with open(s.daemon.log_path, errors="replace") as f:
        f.seek(mark)
        log = f.read()
    tap.ok(ok and "reopening environment" not in log and "run recovery" not in log,
           "the refusal leaves the environment as it was: nothing recovered, the daemon does not reopen",
           log[-2000:] + json.dumps(st))


def privileges(s):
    prog = s.daemon.program
    base = [prog, "-F", "-c", s.daemon.conf, "-a", s.daemon.app]
    if os.geteuid() == 0:
        r = run(base)
        tap.ok(r.returncode != 0 and "refusing to run as root" in r.stdout,
               "as root without -u: refused", r.stdout)
        r = run(base + ["-u", "root"])
        tap.ok(r.returncode != 0 and "refusing to run as root" in r.stdout, "as root with -u root: refused",
               r.stdout)
        r = run(base + ["-u", "no-such-user-here"])
        tap.ok(r.returncode != 0 and "no such user" in r.stdout, "-u with an unknown user: refused", r.stdout)
    else:
        r = run(base + ["-u", "root"])
        tap.ok(r.returncode != 0 and "needs root" in r.stdout, "not root, -u another user: refused", r.stdout)
        tap.diag("not root: the root-only refusals were not run")
    mode = stat.S_IMODE(os.stat(s.daemon.socket).st_mode)
    tap.eq(oct(mode), oct(0o660), "the wake socket is mode 0660")


def write_function(app, name, text):
    d = os.path.join(app, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "function.json"), "w") as f:
        f.write(text)
    os.chmod(d, 0o755)
    os.chmod(os.path.join(d, "function.json"), 0o644)


def fn_json(trigger, script, entry):
    return json.dumps({"bindings": [{"name": "context", "type": trigger, "direction": "in"}],
                       "scriptFile": script, "entryPoint": entry})


BROKEN = {
    "BadJson": ('{"bindings": [', "is not a JSON object"),
    "NoTrigger": (json.dumps({"bindings": [{"type": "httpTrigger"}], "scriptFile": "../samples.so",
                              "entryPoint": "hello_sequence"}), "no orchestrationTrigger"),
    "MissingFile": (fn_json("activityTrigger", "../nothere.so", "say_hello"), "No such file"),
    "Outside": (fn_json("activityTrigger", "../../taskhub.conf", "x"), "outside the function app"),
    "NoSymbol": (fn_json("orchestrationTrigger", "../samples.so", "no_such_symbol"), "has no symbol"),
}


def broken_app(s):
    app = s.daemon.app
    for name, (text, _) in BROKEN.items():
        write_function(app, name, text)
    rc = s.daemon.restart()
    tap.eq(rc, 0, "restart on an app with broken functions: the old daemon stopped with 0")
    log = open(s.daemon.log_path, errors="replace").read().split("==== start")[-1]
    for name, (_, why) in BROKEN.items():
        line = [ln for ln in log.splitlines() if f"function '{name}'" in ln]
        tap.ok(line and why in line[0] and "skipped" in line[0],
               f"{name}: reported by name with the reason ({why}) and skipped", "\n".join(line) or log[-2000:])
    fns = functions(s)
    tap.ok(not any(f.split(":")[1] in BROKEN for f in fns), "no broken function is published", str(fns))
    tap.ok({"orchestrator:HelloSequence", "activity:SayHello"} <= fns, "the good functions are published",
           str(fns))
    ok, st = hello_completes(s, "broken-app")
    tap.ok(ok, "the rest of the app runs: HelloSequence completes", json.dumps(st))
    for name in BROKEN:
        shutil.rmtree(os.path.join(app, name))


def sighup_reload(s):
    app = s.daemon.app
    write_function(app, "HelloAgain", fn_json("orchestrationTrigger", "../samples.so", "hello_sequence"))
    s.daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30 * SCALE
    while time.monotonic() < deadline and "orchestrator:HelloAgain" not in functions(s):
        time.sleep(0.1)
    tap.ok("orchestrator:HelloAgain" in functions(s), "SIGHUP: a function added to the app is published")
    s.api.start("HelloAgain", None, "hello-again")
    st = s.api.wait("hello-again")
    tap.ok(st.get("runtimeStatus") == "Completed" and st.get("output") == HELLO, "and runs", json.dumps(st))
    tap.ok(s.daemon.alive(), "the daemon is still the same process after SIGHUP")


def detached(s):
    rc = s.daemon.stop()
    tap.eq(rc, 0, "the foreground daemon stopped with 0")
    cmd = [c for c in s.daemon.command() if c != "-F"]
    t0 = time.monotonic()
    r = run(cmd, timeout=30)
    tap.ok(r.returncode == 0, "without -F the command returns 0 (the daemon detached)", r.stdout)
    deadline = time.monotonic() + 30 * SCALE
    while time.monotonic() < deadline and not os.path.exists(s.daemon.socket):
        time.sleep(0.05)
    lock = os.path.join(os.path.dirname(s.daemon.conf), "env", "taskhubd.lock")
    pid = int(open(lock).read().strip() or "0")
    alive = pid > 0 and os.path.exists(f"/proc/{pid}")
    tap.ok(alive, "the detached daemon runs, its pid in the lock file", f"pid {pid}")
    tap.diag(f"detached in {time.monotonic() - t0:.2f} s (not asserted)")
    if alive:
        ok, st = hello_completes(s, "detached")
        tap.ok(ok, "the detached daemon serves work", json.dumps(st))
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30 * SCALE
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.05)
        tap.ok(not os.path.exists(f"/proc/{pid}"), "SIGTERM stops the detached daemon")
        tap.ok(not os.path.exists(s.daemon.socket), "and it removes its wake socket")
    s.daemon.start()


def hostile_wake(s):
    """The wake socket takes anything: empty, garbage and maximal
    datagrams, and a flood (bounded in count and time), without harm; a
    start made during the flood still completes."""
    import socket
    so = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    so.setblocking(False)
    sent = dropped = 0
    payloads = [b"", b"\x00\xff" * 10, b"TestHubName", b"../../etc/passwd", b"x" * 60000]
    deadline = time.monotonic() + 5
    s.api.start("HelloSequence", None, "during-flood")
    while sent + dropped < 50000 and time.monotonic() < deadline:
        try:
            so.sendto(payloads[(sent + dropped) % len(payloads)], s.daemon.socket)
            sent += 1
        except (BlockingIOError, OSError):
            dropped += 1  # the daemon's queue is full: that is the point
    so.close()
    tap.diag(f"wake flood: {sent} datagrams sent, {dropped} refused by a full queue (not asserted)")
    tap.ok(s.daemon.alive(), "the daemon survives garbage and a flood on its wake socket")
    st = s.api.wait("during-flood")
    tap.eq((st.get("runtimeStatus"), st.get("output")), ("Completed", HELLO), "work started during the flood completes")


def modes(s):
    """Files and sockets get the modes of the design: the environment
    directory group-shared (setgid 2770) when a group is configured (as
    root in CI), its files and the wake socket 0660."""
    env = os.path.join(os.path.dirname(s.daemon.conf), "env")
    sock = stat.S_IMODE(os.stat(s.daemon.socket).st_mode)
    tap.eq(oct(sock), oct(0o660), "the wake socket is 0660")
    if os.geteuid() == 0:
        tap.eq(oct(stat.S_IMODE(os.stat(env).st_mode)), oct(0o2770), "the environment directory is 2770")
        wide = [f for f in os.listdir(env) if stat.S_IMODE(os.stat(os.path.join(env, f)).st_mode) & 0o007]
        tap.eq(wide, [], "no file in the environment is readable or writable by others")
    else:
        tap.diag("not root: no group configured, the group-shared modes were not checked")


def log_files(s):
    env = os.path.join(os.path.dirname(s.daemon.conf), "env")
    return sorted(f for f in os.listdir(env) if f.startswith("log."))


def maintenance(s):
    # Berkeley DB log files are 10 MiB here; 120 starts with a 200 KB
    # input write well over two of them (the input is in the instance
    # record and in its ExecutionStarted event).
    s.daemon.stop()
    s.daemon.extra_env["TASKHUB_MAINTAIN_SECONDS"] = "1"
    s.daemon.start()
    big = "x" * 200000
    for i in range(120):
        s.api.start("CityRecommender", {"pad": big}, "maint-%03d" % i)
    before = log_files(s)
    tap.ok(len(before) >= 2, "the starts filled more than one log file", str(before))
    deadline = time.monotonic() + 60 * SCALE
    while time.monotonic() < deadline and log_files(s) and log_files(s)[0] == before[0]:
        time.sleep(0.2)
    after = log_files(s)
    tap.ok(before[0] not in after, "the maintenance tick removed the oldest log file", f"{before} -> {after}")
    del s.daemon.extra_env["TASKHUB_MAINTAIN_SECONDS"]


def main():
    e2e.require(e2e.samples_app())
    with e2e.stack(e2e.samples_app()) as s:
        parts = [second_daemon_refused, privileges, broken_app, sighup_reload, detached, maintenance,
                 hostile_wake, modes]
        if e2e.harness.wrap_prefix():
            # Under TH_WRAP (valgrind) the detached daemon is the tool's
            # forked copy, which never lets go of the caller's pipe.
            tap.diag("TH_WRAP is set: the detached daemon is not tested")
            parts.remove(detached)
        e2e.run_parts(tap, parts, s)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
