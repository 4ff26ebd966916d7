#!/usr/bin/env python3
"""test_security.py — the function app boundary, hostile names, a hostile
wake socket, file modes and keys in logs, end to end (lighttpd,
taskhub.fcgi, taskhubd on tests/e2e/exeapp plus the C samples' object).

A canary executable lives outside the function app: run by anyone, it
leaves a mark file. No check here may leave a mark.

- function.json: a scriptFile with `..`, an absolute one outside, a
  symlink inside the app to a file outside, a path through a directory
  symlink to outside, a function folder that is a symlink to a folder
  outside (with a scriptFile outside, and with one inside), an entryPoint
  that is a path, a scriptFile with a NUL byte, a folder name that is not
  a function name: each is refused on (re)load with a log line naming
  the function and the reason, is not published, fails as "doesn't
  exist" when called, and the rest of the app keeps serving (an absolute
  scriptFile inside the app works).
- After loading, a function's script replaced by a symlink to outside,
  and a function's folder replaced by one: the next run is refused (the
  activity fails with the reason, logged by name) and, after SIGHUP, the
  reload refuses the function.
- Names through the API: starts of `..%2F..%2Fbin%2Fsh`, `..`, names
  with `/`, NUL, over-long names, an activity's name, entity names with
  traversal: each a clean 4xx (JSON when there is a body), nothing
  stored; activity names with traversal called from an orchestrator:
  "doesn't exist" failures. No mark.
- The wake socket path missing, a regular file, a directory, a socket
  nobody reads with a full queue: starts still answer 202 and the
  daemon runs the work by its rescan; the socket put back, work runs.
  A daemon started with a regular file at the path leaves it alone (at
  start and at stop) and works by rescan.
- Modes after a session with API and daemon activity (log files rolled
  over by the responder, a new hub, region files, the lock, a backup):
  environment directory 2770, every file in it 0660 and of the shared
  group, the wake socket 0660; the backup 0700 / 0600.
- The system key and wrong keys never appear in any file the stack wrote
  (daemon log, server error log, store, taskhubctl's stderr).

TAP on stdout; exit 1 when any check failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import grp  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import e2e  # noqa: E402
import harness  # noqa: E402
import test_api as T  # noqa: E402

tap = T.Tap()
SRC = os.path.dirname(os.path.abspath(__file__))
EXE_TESTAPP = os.path.join(SRC, "exeapp")
RESCAN = "2"  # seconds: what finds work when no wake arrives
WRONG_KEYS = ("wrongkey-4f1d9c2e7a", "SYSKEY12", "SYSKEY1234", "syskey123")


# ---- helpers -------------------------------------------------------------------


def functions(s):
    r = subprocess.run([T.program("taskhubctl"), "-c", s.env.conf, "functions"], capture_output=True, text=True)
    out = set()
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("orchestrator", "activity", "entity"):
            out.add(parts[0] + ":" + parts[1])
    return out


def fn_json(trigger, script, entry=None):
    d = {"bindings": [{"name": "context", "type": trigger, "direction": "in"}], "scriptFile": script}
    if entry is not None:
        d["entryPoint"] = entry
    return json.dumps(d)


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    os.chmod(os.path.dirname(path), 0o755)


def marks(s):
    return sorted(os.listdir(s.marks))


def log_since(s, off):
    with open(s.daemon.log_path, errors="replace") as f:
        f.seek(off)
        return f.read()


def log_size(s):
    return os.path.getsize(s.daemon.log_path)


def reload_app(s, published):
    """SIGHUP, then waits until `published` ('kind:name') is in the
    registry; the daemon's log of the reload."""
    off = log_size(s)
    s.daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and published not in functions(s):
        time.sleep(0.1)
    time.sleep(0.2)
    return log_since(s, off)


def call_activity(s, name, value, iid):
    """CallActivity (a Python orchestrator) calling activity name; its
    final status."""
    s.api.start("CallActivity", {"name": name, "input": value}, iid)
    return s.api.wait(iid)


def check_refused(log, name, why, desc):
    lines = [ln for ln in log.splitlines() if f"function '{name}'" in ln]
    tap.ok(lines and why in lines[0] and "skipped" in lines[0], desc, "\n".join(lines) or log[-3000:])


def setup_outside(s):
    """root/outside with the canary (and folders that function
    symlinks point at), root/outside/marks for its marks."""
    s.outside = os.path.join(s.root, "outside")
    s.marks = os.path.join(s.outside, "marks")
    os.makedirs(s.marks)
    os.chmod(s.outside, 0o755)
    os.chmod(s.marks, 0o1777)
    canary = ("#!/bin/sh\n# Outside the function app: must never run.\n"
              "touch \"%s/ran-$$\"\necho '\"canary\"'\n" % s.marks)
    s.canary = os.path.join(s.outside, "canary.sh")
    write(s.canary, canary, 0o755)
    for sub in ("fnfolder", "fnfolder2", "swapdir"):
        write(os.path.join(s.outside, sub, "canary.sh"), canary, 0o755)
    write(os.path.join(s.outside, "fnfolder", "function.json"), fn_json("activityTrigger", "canary.sh"))
    write(os.path.join(s.outside, "fnfolder2", "function.json"),
          fn_json("activityTrigger", os.path.join(s.daemon.app, "Echo", "run.sh")))
    write(os.path.join(s.outside, "swapdir", "function.json"), fn_json("activityTrigger", "run.sh"))
    os.symlink("canary.sh", os.path.join(s.outside, "swapdir", "run.sh"))


# ---- the function app boundary ------------------------------------------------------


ECHO = "#!/bin/sh\ncat\n"
# name -> (what the log line must say)
BAD = {
    "DotDot": "outside the function app",
    "Absolute": "outside the function app",
    "LinkFile": "outside the function app",
    "LinkDir": "outside the function app",
    "LinkedFolder": "outside the function app",
    "LinkedFolderIn": "outside the function app",
    "EntrySlash": "not a C symbol name",
    "EntryAbs": "not a C symbol name",
    "NulScript": "contains a NUL byte",
    "bad\\name": "not a valid function name",
}


def boundary(s):
    app = s.daemon.app
    shutil.copy(os.path.join(e2e.samples_app(), "samples.so"), os.path.join(app, "samples.so"))
    os.chmod(os.path.join(app, "samples.so"), 0o755)
    act = "activityTrigger"
    write(os.path.join(app, "DotDot", "function.json"), fn_json(act, "../../outside/canary.sh"))
    write(os.path.join(app, "Absolute", "function.json"), fn_json(act, s.canary))
    write(os.path.join(app, "LinkFile", "function.json"), fn_json(act, "run.sh"))
    os.symlink(s.canary, os.path.join(app, "LinkFile", "run.sh"))
    os.symlink(s.outside, os.path.join(app, "linkdir"))
    write(os.path.join(app, "LinkDir", "function.json"), fn_json(act, "../linkdir/canary.sh"))
    os.symlink(os.path.join(s.outside, "fnfolder"), os.path.join(app, "LinkedFolder"))
    os.symlink(os.path.join(s.outside, "fnfolder2"), os.path.join(app, "LinkedFolderIn"))
    write(os.path.join(app, "EntrySlash", "function.json"),
          fn_json("orchestrationTrigger", "../samples.so", "../hello_sequence"))
    write(os.path.join(app, "EntryAbs", "function.json"), fn_json("orchestrationTrigger", "../samples.so", "/bin/sh"))
    write(os.path.join(app, "NulScript", "run.sh"), ECHO, 0o755)
    write(os.path.join(app, "NulScript", "function.json"), fn_json(act, "run.sh\u0000/../../../outside/canary.sh"))
    write(os.path.join(app, "bad\\name", "run.sh"), ECHO, 0o755)
    write(os.path.join(app, "bad\\name", "function.json"), fn_json(act, "run.sh"))
    # Good ones: an absolute path inside the app, and the two that are
    # swapped for symlinks later.
    write(os.path.join(app, "AbsInside", "function.json"), fn_json(act, os.path.join(app, "Echo", "run.sh")))
    write(os.path.join(app, "Swap", "run.sh"), "#!/bin/sh\necho '\"inside\"'\n", 0o755)
    write(os.path.join(app, "Swap", "function.json"), fn_json(act, "run.sh"))
    write(os.path.join(app, "SwapDir", "run.sh"), "#!/bin/sh\necho '\"inside\"'\n", 0o755)
    write(os.path.join(app, "SwapDir", "function.json"), fn_json(act, "run.sh"))
    log = reload_app(s, "activity:SwapDir")
    fns = functions(s)
    for name, why in BAD.items():
        check_refused(log, name, why, f"{name}: refused on load, named in the log with the reason ({why})")
    tap.ok(not any(f.split(":", 1)[1] in BAD for f in fns), "no refused function is published", str(sorted(fns)))
    tap.ok({"activity:AbsInside", "activity:Swap", "activity:SwapDir", "activity:Echo",
            "orchestrator:CallActivity"} <= fns, "the good functions are published", str(sorted(fns)))
    tap.ok(s.daemon.alive(), "the daemon is alive after the reload")
    for name in [n for n in BAD if not n.startswith("Entry")]:
        st = call_activity(s, name, 1, "call-" + name.replace("\\", "-"))
        out = st.get("output") or {}
        tap.ok(st.get("runtimeStatus") == "Completed" and "doesn't exist" in str(out.get("error")),
               f"calling {name} fails as a function that doesn't exist", json.dumps(st))
    for name in ("EntrySlash", "EntryAbs"):
        r = s.api.start_resp(name, None)
        tap.ok(r.status == 400, f"starting {name} over HTTP: 400 (not registered)", repr(r))
    st = call_activity(s, "AbsInside", {"v": 1}, "call-absinside")
    tap.eq(st.get("output"), {"ok": {"v": 1}}, "an absolute scriptFile inside the app runs")
    st = call_activity(s, "Echo", 7, "call-echo")
    tap.eq(st.get("output"), {"ok": 7}, "the rest of the app keeps serving")
    tap.eq(marks(s), [], "nothing outside the app ran")


def swapped(s):
    """Swap's script and SwapDir's folder become symlinks to outside after
    loading."""
    app = s.daemon.app
    st = call_activity(s, "Swap", None, "swap-before")
    tap.eq(st.get("output"), {"ok": "inside"}, "Swap runs its own script before the swap")
    tmp = os.path.join(app, "Swap", "run.sh.new")
    os.symlink(s.canary, tmp)
    os.rename(tmp, os.path.join(app, "Swap", "run.sh"))
    os.rename(os.path.join(app, "SwapDir"), os.path.join(s.root, "SwapDir.old"))
    os.symlink(os.path.join(s.outside, "swapdir"), os.path.join(app, "SwapDir"))
    off = log_size(s)
    for name in ("Swap", "SwapDir"):
        st = call_activity(s, name, None, "swap-after-" + name)
        err = str((st.get("output") or {}).get("error"))
        tap.ok(st.get("runtimeStatus") == "Completed" and "no longer resolves" in err,
               f"{name} replaced by a symlink after loading: the run is refused with the reason", json.dumps(st))
    log = log_since(s, off)
    for name in ("Swap", "SwapDir"):
        lines = [ln for ln in log.splitlines() if f"function '{name}'" in ln and "no longer resolves" in ln]
        tap.ok(lines, f"{name}: the refused run is logged by name", log[-2000:])
    tap.eq(marks(s), [], "nothing outside the app ran after the swap")
    write(os.path.join(app, "Marker1", "function.json"), fn_json("activityTrigger", "../Echo/run.sh"))
    log = reload_app(s, "activity:Marker1")
    check_refused(log, "Swap", "outside the function app", "after SIGHUP the swapped Swap is refused")
    check_refused(log, "SwapDir", "outside the function app", "after SIGHUP the swapped SwapDir is refused")
    fns = functions(s)
    tap.ok("activity:Swap" not in fns and "activity:SwapDir" not in fns, "and neither is published", str(fns))
    st = call_activity(s, "Swap", None, "swap-reloaded")
    tap.ok("doesn't exist" in str((st.get("output") or {}).get("error")), "calling Swap now: doesn't exist",
           json.dumps(st))
    tap.eq(marks(s), [], "nothing outside the app ran after the reload")


# ---- names through the API ------------------------------------------------------------


def hostile_names(s):
    before = s.env.snapshot()
    kids_before = harness.process_tree([s.daemon.proc.pid])
    paths = ["orchestrators/..%2F..%2Fbin%2Fsh", "orchestrators/..%2F..%2Foutside%2Fcanary.sh",
             "orchestrators/%2E%2E", "orchestrators/%2E%2E/x", "orchestrators/..", "orchestrators/a%2Fb",
             "orchestrators/%2Fbin%2Fsh", "orchestrators/Echo%00", "orchestrators/CallActivity%00x",
             "orchestrators/" + "A" * 300, "orchestrators/" + "A" * 5000,
             "orchestrators/CallActivity%2F..%2F..%2Foutside%2Fcanary.sh",
             "orchestrators/Echo", "orchestrators/%5C..%5Coutside%5Ccanary.sh",
             "entities/..%2F..%2Foutside/k", "entities/%2E%2E/k"]
    bad, by_server = [], []
    for p in paths:
        r = s.api.call("POST", p, body=b"1", headers=[T.CT_JSON])
        if "json" not in (r.header("content-type") or "") and r.body != b"":
            # lighttpd decodes %2F and %00 itself and refuses or
            # normalises the path before the responder sees it.
            by_server.append(f"{r.status} {p[:60]}")
            ok = 400 <= r.status < 500
        else:
            ok = 400 <= r.status < 500 and (r.body == b"" or isinstance(r.json_or_none(), dict))
        if not ok:
            bad.append(f"{p[:80]}: {r!r}")
    tap.diag("answered by the server itself: " + "; ".join(by_server))
    tap.ok(not bad, f"{len(paths)} starts and signals with hostile names: each a clean 4xx", "\n".join(bad))
    tap.eq(s.env.snapshot(), before, "and nothing was stored")
    names = ["../../outside/canary.sh", s.canary, "..", "Echo/../../outside/canary.sh", "/bin/sh",
             "x" * 300, "Echo\u0000/../../outside/canary.sh", ""]
    bad = []
    for i, n in enumerate(names):
        st = call_activity(s, n, 1, "hostile-act-%d" % i)
        out = st.get("output")
        if n == "" or "\u0000" in n:
            # Refused by the out-of-process protocol parser: the
            # orchestrator's reply is invalid, the instance fails saying so.
            if st.get("runtimeStatus") != "Failed" or "functionName" not in str(out):
                bad.append(f"{n[:60]!r}: {json.dumps(st)[:300]}")
        elif st.get("runtimeStatus") != "Completed" or not isinstance(out, dict):
            bad.append(f"{n[:60]!r}: {json.dumps(st)[:300]}")
        elif "doesn't exist" not in str(out.get("error")):
            bad.append(f"{n[:60]!r}: {json.dumps(st)[:300]}")
    tap.ok(not bad, f"{len(names)} activity names with traversal called from an orchestrator: the task fails, "
           "doesn't exist",
           "\n".join(bad))
    tap.eq(marks(s), [], "nothing outside the app ran")
    tap.ok(s.daemon.alive(), "the daemon is alive")
    left = [p for p in harness.process_tree([s.daemon.proc.pid]) if p not in kids_before]
    tap.eq(left, [], "no process is left running under the daemon")


# ---- a hostile wake socket -----------------------------------------------------------


def echo_runs(s, iid, desc):
    r = s.api.start_resp("CallActivity", {"name": "Echo", "input": iid}, iid, timeout=60)
    tap.ok(r.status == 202, f"{desc}: the start answers 202", repr(r))
    st = s.api.wait(iid)
    tap.eq(st.get("output"), {"ok": iid}, f"{desc}: the daemon runs the work")


def hostile_socket(s):
    sock = s.daemon.socket
    aside = sock + ".aside"
    os.rename(sock, aside)  # the daemon's socket, kept bound under another name
    try:
        echo_runs(s, "wake-missing", "wake socket missing")
        with open(sock, "w") as f:
            f.write("not a socket\n")
        echo_runs(s, "wake-file", "a regular file at the wake socket's path")
        os.unlink(sock)
        os.mkdir(sock)
        echo_runs(s, "wake-dir", "a directory at the wake socket's path")
        os.rmdir(sock)
        deaf = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            deaf.bind(sock)
            os.chmod(sock, 0o666)
            deaf.setblocking(False)
            out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            out.setblocking(False)
            sent = 0
            try:
                while sent < 100000:
                    out.sendto(b"x", sock)
                    sent += 1
            except (BlockingIOError, OSError):
                pass
            out.close()
            tap.ok(sent < 100000, f"a socket nobody reads: its queue filled after {sent} datagrams")
            echo_runs(s, "wake-deaf", "a socket nobody reads, its queue full")
        finally:
            deaf.close()
            os.unlink(sock)
    finally:
        with_exc = os.path.lexists(sock)
        if with_exc:
            if os.path.isdir(sock):
                os.rmdir(sock)
            else:
                os.unlink(sock)
        os.rename(aside, sock)
    echo_runs(s, "wake-back", "the wake socket put back")
    tap.ok(s.daemon.alive(), "the daemon is alive")


def daemon_leaves_file(s):
    """A daemon started with a regular file at the wake socket's path
    leaves it alone, at start and at stop, and works by its rescan."""
    sock = s.daemon.socket
    tap.eq(s.daemon.stop(), 0, "the daemon stops with 0")
    try:
        leave_file(s, sock)
    finally:
        if os.path.lexists(sock):
            os.unlink(sock)
        s.daemon.start()


def leave_file(s, sock):
    with open(sock, "w") as f:
        f.write("precious\n")
    off = log_size(s)
    with open(s.daemon.log_path, "ab") as log:
        p = subprocess.Popen(s.daemon.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             env=s.daemon._environment(), cwd=s.daemon.workdir, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and p.poll() is None and "ready:" not in log_since(s, off):
            time.sleep(0.05)
        log = log_since(s, off)
        tap.ok(p.poll() is None and "ready:" in log, "it starts", log[-2000:])
        tap.ok("not a socket" in log, "and says the path is not a socket", log[-2000:])
        echo_runs(s, "wake-file-start", "no wake socket (a file in its place)")
        with open(sock) as f:
            tap.eq(f.read(), "precious\n", "the file is untouched while it runs")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    tap.eq(p.returncode, 0, "it stops with 0")
    tap.ok(os.path.isfile(sock) and open(sock).read() == "precious\n", "and leaves the file in place")


# ---- modes ------------------------------------------------------------------------------


def modes(s):
    env = s.env.home
    # Log files created by the responder (www-data): well over one 10 MiB
    # Berkeley DB log file of inputs.
    logs0 = sorted(f for f in os.listdir(env) if f.startswith("log."))
    big = "x" * 200000
    for i in range(60):
        r = s.api.start_resp("CallActivity", {"pad": big}, "modes-%02d" % i)
        if r.status != 202:
            tap.ok(False, "a large start answers 202", repr(r))
            break
    logs1 = sorted(f for f in os.listdir(env) if f.startswith("log."))
    tap.ok(len(set(logs1) - set(logs0)) >= 1, "the starts rolled the log over", f"{logs0} -> {logs1}")
    s.env.ctl("hub-create", "SecondHub")
    s.env.publish(hub="SecondHub")
    s.api.call("POST", "orchestrators/CallActivity", "taskHub=SecondHub",
               body=json.dumps({"name": "Echo", "input": 1}).encode(), headers=[T.CT_JSON])
    backup = os.path.join(s.root, "backup")
    s.env.ctl("backup", backup)
    st = s.api.wait("modes-59")
    tap.ok(st.get("runtimeStatus") in e2e.TERMINAL, "the daemon ran the large instances", json.dumps(st)[:300])
    sock = stat.S_IMODE(os.stat(s.daemon.socket).st_mode)
    tap.eq(oct(sock), oct(0o660), "the wake socket is 0660")
    if os.geteuid() != 0:
        tap.diag("not root: no group configured, the group-shared modes were not checked")
        wide = [p for p in harness_files(env) if stat.S_IMODE(os.lstat(p).st_mode) & 0o007]
        tap.eq(wide, [], "no file in the environment is open to others")
        return
    gid = grp.getgrnam(harness.WWW_USER).gr_gid
    tap.eq(oct(stat.S_IMODE(os.stat(env).st_mode)), oct(0o2770), "the environment directory is 2770")
    tap.eq(os.stat(s.daemon.socket).st_gid, gid, "the wake socket belongs to the shared group")
    bad = []
    n = 0
    for p in harness_files(env):
        st_ = os.lstat(p)
        n += 1
        if stat.S_ISDIR(st_.st_mode):
            if stat.S_IMODE(st_.st_mode) != 0o2770 or st_.st_gid != gid:
                bad.append(f"{p}: dir {oct(stat.S_IMODE(st_.st_mode))} gid {st_.st_gid}")
        elif not stat.S_ISREG(st_.st_mode) or stat.S_IMODE(st_.st_mode) != 0o660 or st_.st_gid != gid:
            bad.append(f"{p}: {oct(st_.st_mode)} gid {st_.st_gid}")
    names = sorted(os.listdir(env))
    tap.ok(not bad and n > 0, f"every one of the environment's {n} entries is 0660 and of group "
           f"{harness.WWW_USER}", "\n".join(bad) + f"\n{names}")
    kinds = {"region": any(f.startswith("__db.") for f in names), "log": len(logs1) >= 2,
             "lock": "taskhubd.lock" in names}
    tap.ok(all(kinds.values()), "region files, several log files and the lock file were among them", str(kinds))
    bmode = stat.S_IMODE(os.stat(backup).st_mode)
    wide = [f for f in os.listdir(backup) if stat.S_IMODE(os.stat(os.path.join(backup, f)).st_mode) & 0o077]
    tap.ok(bmode == 0o700 and not wide and os.listdir(backup),
           "the backup is 0700 with files 0600 (the operator's, docs/taskhubctl.md)", f"{oct(bmode)} {wide}")


def harness_files(top):
    for d, dirs, fs in os.walk(top):
        for x in dirs + fs:
            yield os.path.join(d, x)


# ---- keys in logs -----------------------------------------------------------------------


def keys_in_logs(s):
    t = s.target
    for k in WRONG_KEYS:
        t.request("GET", f"{T.BASE}/instances?code={k}")
        t.request("POST", f"{T.BASE}/orchestrators/CallActivity", [T.CT_JSON, ("x-functions-key", k)], b"1")
    t.request("POST", f"{T.V1}/orchestrators/CallActivity?code={T.KEY}", [T.CT_JSON], b"{bad")
    t.request("GET", f"{T.BASE}/instances", [("x-functions-key", T.KEY)])
    ctl = s.env.ctl("status", "--", "nope", check=False)
    keys = (T.KEY,) + WRONG_KEYS
    tap.ok(not any(k in ctl.stderr for k in keys), "taskhubctl's stderr holds no key", ctl.stderr)
    keys_file = os.path.join(s.root, "keys")
    found, n = [], 0
    for p in harness_files(s.root):
        if p == keys_file or not os.path.isfile(p) or os.path.islink(p):
            continue
        n += 1
        with open(p, "rb") as f:
            data = f.read()
        found += [f"{os.path.relpath(p, s.root)}: {k}" for k in keys if k.encode() in data]
    tap.ok(n > 0 and not found, f"no key in any of the {n} files the stack wrote (daemon log, error log, store)",
           "\n".join(found))


def main():
    e2e.require(EXE_TESTAPP, e2e.samples_app())
    with e2e.stack(EXE_TESTAPP, daemon_env={"TASKHUB_RESCAN_SECONDS": RESCAN}) as s:
        setup_outside(s)
        e2e.run_parts(tap, [boundary, swapped, hostile_names, hostile_socket, daemon_leaves_file, modes,
                            keys_in_logs], s)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
