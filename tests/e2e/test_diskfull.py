#!/usr/bin/env python3
"""test_diskfull.py — the environment on a small tmpfs that fills up
while instances are started and run (lighttpd with taskhub.fcgi as
FastCGI, taskhubd with the sample app, durability full).

1. Some HelloSequence instances are started and completed.
2. A filler file takes all but the store's reserve (16 MiB) and 4 MiB
   more; a bounded load of starts with 16 KB inputs then fills the rest
   while the daemon runs them, until the store refuses starts. Then the
   filler grows to leave 512 KiB (another program filling the disk) and
   the load goes on. Every answer must be a 202, or a 503 with the API's
   JSON error (nothing else: no 500, no HTML from the web server); reads
   keep answering meanwhile.
3. The filler is removed. Without anyone running recovery, starts are
   accepted again (clients retry 503s, as Retry-After asks).
4. Every start acknowledged with a 202, before, during and after, exists
   and completes with the right output and an exact history; the daemon
   is the one that was started (or its own successor) and
   `taskhubctl check` finds the environment consistent.

Needs root, for the tmpfs (mounted in a private mount namespace of this
test, made with unshare(1)); skipped otherwise. TAP on stdout.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

tap = e2e.harness.Tap()
T = e2e.T

TMPFS_MB = 96          # the file system the environment lives on
RESERVE_KB = 16 * 1024  # the store's min_free_bytes default (store.h)
SLACK_KB = 4 * 1024     # what the load may fill above the reserve
LEFT_KB = 512           # what the filler leaves in the end
BEFORE = 20            # instances started before the disk fills
LOAD_MAX = 600         # starts tried while it is full, at most
LOAD_SECONDS = 60.0    # ... and for at most this long
REFUSED_ENOUGH = 25    # 503s after which the load stops
RESUME_TIMEOUT = 60.0  # seconds a client retries a start after space returns
FINISH_TIMEOUT = 120.0
HELLO = ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
HISTORY = ["ExecutionStarted", "TaskCompleted", "TaskCompleted", "TaskCompleted", "ExecutionCompleted"]
BIG_INPUT = json.dumps({"pad": "x" * 16000})


class Tmpfs:
    """A tmpfs of TMPFS_MB mounted on a fresh directory; the environment
    is a symlink to a folder on it, so that removing the workdir never
    meets a mount point."""

    def __init__(self):
        self.mnt = tempfile.mkdtemp(prefix="taskhub-tmpfs-")
        os.chmod(self.mnt, 0o755)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0755" % TMPFS_MB, "tmpfs", self.mnt],
                       check=True)
        self.filler = os.path.join(self.mnt, "filler")

    def prepare(self, root):
        home = os.path.join(self.mnt, "env")
        os.makedirs(home)
        os.symlink(home, os.path.join(root, "env"))

    def free(self):
        st = os.statvfs(self.mnt)
        return st.f_bavail * st.f_frsize

    def fill(self, left_kb):
        """Grows the filler until left_kb are left (tmpfs allocates as
        written, so the file is written, not made sparse)."""
        want = self.free() - left_kb * 1024
        chunk = b"\0" * (1 << 20)
        with open(self.filler, "ab") as f:
            while want > 0:
                n = min(want, len(chunk))
                try:
                    f.write(chunk[:n])
                    f.flush()
                except OSError:
                    break
                want -= n
        return self.free()

    def unfill(self):
        os.unlink(self.filler)

    def close(self):
        subprocess.run(["umount", "-l", self.mnt])
        shutil.rmtree(self.mnt, ignore_errors=True)


def start(api, iid, input_):
    return api.start_resp("HelloSequence", input_, iid=iid, timeout=60)


def ack_until(api, iid, input_, deadline):
    """Starts iid, retrying 503s (and a 409 after a lost answer means it
    is there) until deadline; the last response."""
    r = None
    while time.monotonic() < deadline:
        try:
            r = start(api, iid, input_)
        except OSError:
            r = None
        if r is not None and r.status in (202, 409):
            return r
        time.sleep(0.2)
    return r


def load_while_full(s, acked, tag):
    """Starts until the store has refused REFUSED_ENOUGH of them (bounded);
    (answers by status, anything that was neither 202 nor a JSON 503)."""
    counts, wrong = {}, []
    refused = 0
    t_end = time.monotonic() + LOAD_SECONDS
    for i in range(LOAD_MAX):
        if refused >= REFUSED_ENOUGH or time.monotonic() > t_end:
            break
        iid = "%s-%d" % (tag, i)
        r = start(s.api, iid, BIG_INPUT)
        counts[r.status] = counts.get(r.status, 0) + 1
        if r.status == 202:
            acked.append(iid)
        elif r.status == 503:
            refused += 1
            err = T.is_error(r, 503)
            if err:
                wrong.append("%s: %s" % (iid, err))
        else:
            wrong.append("%s: %r" % (iid, r))
        if i % 10 == 0:
            g = T.call(s.target, "GET", "instances", "top=3")
            if g.status != 200:
                wrong.append("a read while full: %r" % g)
    return counts, wrong


def finish(s, ids):
    deadline = time.monotonic() + FINISH_TIMEOUT
    pending = list(ids)
    while pending and time.monotonic() < deadline:
        st = s.api.status(pending[0]) or {}
        if st.get("runtimeStatus") in e2e.TERMINAL:
            pending.pop(0)
        else:
            time.sleep(0.1)
    return pending


def verify(s, ids):
    bad = []
    for iid in ids:
        st = s.api.status(iid, history=True) or {}
        if (st.get("runtimeStatus"), st.get("output")) != ("Completed", HELLO):
            bad.append("%s: %r %r" % (iid, st.get("runtimeStatus"), st.get("output")))
        elif e2e.history_types(st) != HISTORY:
            bad.append("%s: history %r" % (iid, e2e.history_types(st)))
    return bad


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root to mount a tmpfs")
        return 0
    if os.environ.get("TH_DISKFULL_NS") != "1":
        # A private mount namespace: the tmpfs is gone with the test,
        # however it ends.
        env = dict(os.environ, TH_DISKFULL_NS="1")
        try:
            return subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                                   os.path.abspath(__file__)] + sys.argv[1:], env=env).returncode
        except FileNotFoundError:
            print("1..0 # SKIP unshare(1) is not installed")
            return 0
    e2e.require(e2e.samples_app())
    fs = Tmpfs()
    try:
        with e2e.stack(e2e.samples_app(), durability="full", prepare=fs.prepare) as s:
            pid0 = s.daemon.proc.pid
            acked = []
            for i in range(BEFORE):
                r = start(s.api, "before-%d" % i, {"n": i})
                if r.status == 202:
                    acked.append("before-%d" % i)
            tap.ok(len(acked) == BEFORE, "%d starts before the disk fills: all 202" % BEFORE)
            tap.ok(not finish(s, acked), "... and all finish")

            for tag, left_kb in (("filling", RESERVE_KB + SLACK_KB), ("full", LEFT_KB)):
                left = fs.fill(left_kb)
                counts, wrong = load_while_full(s, acked, tag)
                tap.diag("%s: %d KiB free after the filler; answers %s; %d KiB free after the load" % (
                    tag, left // 1024, ", ".join("%d x %d" % (n, st) for st, n in sorted(counts.items())),
                    fs.free() // 1024))
                tap.ok(counts.get(503, 0) > 0, "%s: the store refuses starts (503)" % tag, repr(counts))
                tap.ok(not wrong, "%s: every answer is a 202 or the API's JSON 503; reads answer" % tag,
                       "\n".join(wrong[:10]))
            tap.ok(s.daemon.alive(), "the daemon is still running while the disk is full",
                   s.daemon.log_tail())

            fs.unfill()
            deadline = time.monotonic() + RESUME_TIMEOUT
            after = []
            for i in range(20):
                r = ack_until(s.api, "after-%d" % i, {"n": i}, deadline)
                if r is not None and r.status in (202, 409):
                    after.append("after-%d" % i)
            tap.ok(len(after) == 20, "space returned: starts are accepted again, no recovery run by hand",
                   "%d of 20 accepted" % len(after))
            acked += after

            pending = finish(s, acked)
            tap.ok(not pending, "every acknowledged start (%d) finishes" % len(acked),
                   "still running: %s\n%s" % (pending[:10], s.daemon.log_tail()))
            bad = verify(s, acked)
            tap.ok(not bad, "... Completed with the right output and exactly its history", "\n".join(bad[:10]))
            chk = s.env.ctl("check", check=False)
            tap.ok(chk.returncode == 0, "taskhubctl check: the environment is consistent",
                   chk.stdout[-1500:] + chk.stderr[-500:])
            tap.ok(s.daemon.alive() or s.daemon.proc.pid != pid0, "the daemon is running",
                   s.daemon.log_tail())
    finally:
        fs.close()
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
