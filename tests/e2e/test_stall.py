#!/usr/bin/env python3
"""test_stall.py — a process that dies holding a Berkeley DB mutex.

With no failchk (docs/store.md), a process killed while it holds one of
Berkeley DB's region mutexes leaves every other process that needs that
mutex blocked, and no lock timeout covers it. This test makes that happen
on purpose: gdb stops `taskhubctl start` inside the log flush that follows
its commit (Berkeley DB's __log_flush_int, entered with the log region's
mutex held) and kills it there. Then:

- taskhubd, woken for work, blocks on that mutex; its store's stall watch
  (TASKHUB_STALL_MS=2000 here; 20 s by default) notices, a successor
  process (a new pid, so DB_REGISTER sees the old one as dead) recovers
  the environment and carries on: the log says so, the lock file names a
  new pid, and a HelloSequence started afterwards completes through the
  HTTP API;
- the responders behind lighttpd (a 15 s watch) leave when blocked in the
  same way, and lighttpd starts fresh ones: a request during the stall is
  answered (a 5xx at worst), and requests after it work.

Skipped when gdb is missing. TAP on stdout; exit 1 when any check failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import e2e  # noqa: E402
import test_api as T  # noqa: E402

tap = T.Tap()
HELLO = ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]


def lock_pid(s):
    lock = os.path.join(s.root, "env", "taskhubd.lock")
    with open(lock) as f:
        return int(f.read().strip() or "0")


def kill_in_flush(s, iid):
    """Runs `taskhubctl start` under gdb, as the environment's user, and
    SIGKILLs it inside the log flush after its commit. True when gdb saw
    the breakpoint."""
    ctl = os.path.join(e2e.builddir(), "taskhubctl")
    cmd = ["gdb", "-batch", "-nx", "-ex", "set breakpoint pending on", "-ex", "break __log_flush_int",
           "-ex", "run", "-ex", "kill", "--args", ctl, "-c", s.daemon.conf, "start", "HelloSequence", "--id", iid]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", daemon.WWW_USER, "--"] + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=60)
    return "hit Breakpoint 1" in r.stdout, r.stdout


def wake(s):
    import socket
    so = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        so.sendto(T.HUB.encode(), s.daemon.socket)
    finally:
        so.close()


def start_acknowledged(s, iid):
    r = None
    for _ in range(40):  # a responder may still be on its way out
        r = s.api.start_resp("HelloSequence", None, iid, timeout=60)
        if r.status in (202, 409):
            return True, r
        time.sleep(0.5)
    return False, r


def daemon_stall(s):
    pid0 = lock_pid(s)
    hit, out = kill_in_flush(s, "stall-victim-1")
    tap.ok(hit, "taskhubctl was killed inside the log flush (the log mutex is held by a dead process)", out[-1500:])
    # The killed start is in the shared cache, ready: the wake sends the
    # daemon to it, and its commit blocks on the dead process's mutex.
    wake(s)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and lock_pid(s) in (0, pid0):
        time.sleep(0.1)
    log = open(s.daemon.log_path, errors="replace").read()
    tap.ok("has been blocked for 2000 ms" in log, "taskhubd noticed the stall", s.daemon.log_tail(20))
    pid1 = lock_pid(s)
    tap.ok(pid1 not in (0, pid0) and os.path.exists(f"/proc/{pid1}"),
           "a successor daemon (a new pid) holds the environment", f"{pid0} -> {pid1}")
    ok, r = start_acknowledged(s, "stall-after-1")
    tap.ok(ok, "a start after the stall is acknowledged", repr(r))
    st = s.api.wait("stall-after-1")
    tap.ok(st.get("runtimeStatus") == "Completed" and st.get("output") == HELLO,
           "and the successor runs it to completion", json.dumps(st))
    s.successor = pid1


def responder_stall(s):
    hit, out = kill_in_flush(s, "stall-victim-2")
    tap.ok(hit, "again killed inside the log flush", out[-1500:])
    t0 = time.monotonic()
    r = s.api.start_resp("HelloSequence", None, "stall-during", timeout=60)
    tap.ok(r.status in (202, 500, 502, 503), "a start meanwhile is answered (202, or the server's 5xx once the "
           "blocked responder leaves)", repr(r))
    tap.diag(f"answered {r.status} after {time.monotonic() - t0:.1f} s (not asserted)")
    err = open(os.path.join(s.root, "lighttpd", "error.log"), errors="replace").read()
    if r.status != 202:
        tap.ok("child exited: 75" in err, "the blocked responder left with status 75 (the stall watch)", err[-1500:])
    ok, r = start_acknowledged(s, "stall-after-2")
    tap.ok(ok, "a start after it is acknowledged", repr(r))
    st = s.api.wait("stall-after-2")
    tap.ok(st.get("runtimeStatus") == "Completed" and st.get("output") == HELLO, "and runs to completion",
           json.dumps(st))


def stop_successor(s):
    # The successor is not the process the harness started: stop it by pid.
    pid = getattr(s, "successor", 0)
    if pid and os.path.exists(f"/proc/{pid}"):
        os.kill(pid, 15)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.1)
        tap.ok(not os.path.exists(f"/proc/{pid}"), "the successor stops on SIGTERM")


def main():
    if shutil.which("gdb") is None:
        print("1..0 # SKIP gdb is not installed")
        return 0
    e2e.require(e2e.samples_app())
    with e2e.stack(e2e.samples_app(), daemon_env={"TASKHUB_STALL_MS": "2000"}, durability="full") as s:
        e2e.run_parts(tap, [daemon_stall, responder_stall, stop_successor], s)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
