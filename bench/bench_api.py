#!/usr/bin/env python3
"""bench_api.py — the HTTP API benchmark: taskhub.fcgi against the trivial
and one-put FastCGI responders, behind lighttpd and Apache mod_fcgid.

    python3 bench/bench_api.py BUILDDIR [options]      (or: make bench-api)

Every server is started by tests/http/harness.py with the configuration
shipped in apache-conf/ (only its placeholders filled in), listens on
127.0.0.1 only and is stopped at the end. For each server kind, five
servers run side by side, one per responder set-up:

    taskhub-wns    taskhub.fcgi, durability write-nosync
    taskhub-full   taskhub.fcgi, durability full
    trivial        bench/trivial_fcgi (a fixed JSON body)
    put-wns        bench/put_fcgi, one transactional put, write-nosync
    put-full       bench/put_fcgi, one transactional put, full

and wrk (the same -t/-c/-d for every case) measures three pairs:

    GET status  GET instances/{id} of a Completed instance (taskhub-wns)
                against the same request to the trivial responder;
    start       POST orchestrators/HelloSequence with the body "" (a new
                instance per request) against the same request to the
                one-put responder, at write-nosync and at full durability.

The put responders get environments of their own (made by taskhubctl init
with the same durability; put_fcgi reads home and durability from the
taskhub.conf that TASKHUB_CONF names, as taskhub.fcgi does), so the shipped
configurations run them unchanged.

Method: every server gets an untimed warm-up so that mod_fcgid's pool has
grown before anything is measured. mod_fcgid grows a pool only while
requests hold every process for over a second, so on Apache the warm-up
first sends as many long requests at once as the pool may hold
(start-and-wait calls with timeout=3 to taskhub.fcgi, which hold a process
2 to 3 s; /sleep/1500 to the trivial responder; put_fcgi has no such
request), then runs wrk with twice the connections; on lighttpd, whose pool
is fixed, it runs wrk alone. The pool sizes before the first round and
after the last are reported, as is the warm-up's latency. Then R rounds; in
each round, each pair's two sides run back to back, the side that goes
first alternating between rounds, so both sides of a pair see the same
machine. Every start adds an instance, and the servers of both kinds at one
durability share its environment, so the hub grows from round to round
(tens of thousands of instances per case run), as do put_fcgi's
databases. The tables give the median req/s of each case over the rounds and
the median of the rounds' own ratios. After the last round, the resident
memory (VmRSS from /proc/PID/status, with the anonymous/file/shmem split,
PSS and the private pages from smaps_rollup) of every responder process, found as descendants of the server's
main process.

Bounded: wrk runs for --duration seconds per case against 127.0.0.1 only.
Nothing here asserts on timings. wrk is installed with apt-get when it is
missing and we are root. Python 3 standard library only.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "http"))
import harness  # noqa: E402

HUB = "BenchHub"
KEY = "bench-key-0123456789abcdef"
ORCH = "HelloSequence"
GET_ID = "bench-get-1"
BASE = harness.BASE_PATHS[0]
GET_PATH = "%s/instances/%s" % (BASE, GET_ID)
POST_PATH = "%s/orchestrators/%s" % (BASE, ORCH)
POOL_MAX = 16  # FcgidMaxProcessesPerClass of apache-conf/apache-taskhub-fcgid.conf
STALL_US = 900000  # a request this slow counts as a mod_fcgid stall
RESPONDER_NAMES = ("taskhub.fcgi", "trivial_fcgi", "put_fcgi")

# The wrk script: the request is set once (wrk builds it in advance), and
# done() prints one JSON line with the counts and the latency figures,
# including how many requests took at least STALL_US.
WRK_LUA = r"""
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.headers["x-functions-key"] = os.getenv("BENCH_KEY")
if wrk.method == "POST" then
  wrk.body = '""'
  wrk.headers["Content-Type"] = "application/json"
end
done = function(summary, latency, requests)
  local slow = 0
  for i = 1, #latency do
    local v, n = latency(i)
    if v >= %d then slow = slow + n end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%%d,"duration_us":%%d,"bytes":%%d,' ..
    '"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d,' ..
    '"lat_min":%%d,"lat_mean":%%.1f,"lat_max":%%d,"lat_stdev":%%.1f,' ..
    '"p50":%%d,"p90":%%d,"p99":%%d,"p999":%%d,"slow":%%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), slow))
end
""" % STALL_US

def log(msg):
    sys.stderr.write("bench_api: %s\n" % msg)
    sys.stderr.flush()


def die(msg):
    log(msg)
    sys.exit(1)


# ---- machine ---------------------------------------------------------------


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def first_line(cmd):
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                           timeout=10)
        return r.stdout.strip().splitlines()[0] if r.stdout.strip() else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def libdb_version(binary):
    out = first_line(["sh", "-c", "ldd '%s' | grep -o 'libdb-[0-9.]*so' | head -n 1" % binary])
    return out.replace(".so", "").replace("libdb-", "Berkeley DB ") if out.startswith("libdb") else "unknown"


def filesystem(path):
    r = subprocess.run(["df", "-PT", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       universal_newlines=True)
    rows = r.stdout.splitlines()
    if len(rows) < 2:
        return "unknown"
    c = rows[1].split()
    return "%s (%s, mounted on %s)" % (c[1], c[0], c[6])


# ---- wrk -------------------------------------------------------------------


def ensure_wrk():
    """The path of wrk, installed with apt-get if missing (root only)."""
    w = shutil.which("wrk")
    if w:
        return w
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        die("wrk is not installed (apt-get install wrk, as root)")
    log("wrk missing: apt-get install -y wrk")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    if subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet).returncode != 0:
        subprocess.run(["apt-get", "update"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet)
    w = shutil.which("wrk")
    if not w:
        die("could not install wrk with apt-get")
    return w


# ---- processes ---------------------------------------------------------------


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def cpu_ticks(pid):
    """utime + stime of pid, in clock ticks (0 when it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return 0
    f = s[s.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])


def status_kb(pid, names):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in names:
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Pss", "Private_Clean", "Private_Dirty"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


class Setup:
    """One server (kind) in front of one responder set-up."""

    def __init__(self, name, kind, server):
        self.name = name
        self.kind = kind
        self.server = server

    def pids(self):
        return self.server.pids()

    def responders(self):
        return [p for p in self.pids() if comm(p) in RESPONDER_NAMES]

    def cpu(self):
        """(responder ticks, server ticks) summed over the live processes."""
        r = s = 0
        for p in self.pids():
            if comm(p) in RESPONDER_NAMES:
                r += cpu_ticks(p)
            else:
                s += cpu_ticks(p)
        return r, s


def run_wrk(wrk, args, lua, url, method):
    """One wrk run; the figures of its done() line plus CPU of wrk itself."""
    env = dict(os.environ, BENCH_METHOD=method, BENCH_KEY=KEY)
    cmd = [wrk, "-t%d" % args.threads, "-c%d" % args.connections, "-d%ds" % args.duration,
           "--timeout", "5s", "--latency", "-s", lua, url]
    out = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status
    out.seek(0)
    text = out.read()
    m = re.search(r"^BENCHJSON (\{.*\})$", text, re.M)
    if p.returncode != 0 or not m:
        die("wrk failed (%s): %s\n%s" % (p.returncode, " ".join(cmd), text))
    res = json.loads(m.group(1))
    res["wrk_cpu_s"] = ru.ru_utime + ru.ru_stime
    res["text"] = text
    return res


def measure(wrk, args, lua, setup, method, path):
    tck = os.sysconf("SC_CLK_TCK")
    r0, s0 = setup.cpu()
    res = run_wrk(wrk, args, lua, setup.server.base_url + path, method)
    r1, s1 = setup.cpu()
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    n = max(res["requests"], 1)
    res["resp_cpu_us"] = (r1 - r0) / tck / n * 1e6
    res["srv_cpu_us"] = (s1 - s0) / tck / n * 1e6
    res["errors"] = res["connect"] + res["read"] + res["write"] + res["status"] + res["timeout"]
    res["load"] = loadavg().split()[0]
    return res


# ---- set-up ------------------------------------------------------------------


def run_quiet(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if r.returncode != 0:
        die("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stdout.strip()))
    return r.stdout


def subdir(parent, name, mode=0o755):
    d = os.path.join(parent, name)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, mode)
    return d


def put_env(builddir, workdir, durability):
    """An environment of its own for put_fcgi; returns the conf path."""
    d = subdir(workdir, "putenv-" + durability)
    return harness.make_env(builddir, d, hub=HUB, anonymous=False, keys=[KEY], durability=durability)


def taskhub_env(builddir, workdir, durability):
    """A taskhub environment with the hub, the published orchestrator and
    one Completed instance for the GET case; returns the conf path."""
    d = subdir(workdir, "env-" + durability)
    conf = harness.make_env(builddir, d, hub=HUB, anonymous=False, keys=[KEY], durability=durability)
    home = os.path.join(d, "env")
    ctl = [os.path.join(builddir, "taskhubctl"), "-c", conf, "-H", home, "-h", HUB]
    fix = [os.path.join(builddir, "tests", "http", "fixture"), "-H", home, "-h", HUB]
    run_quiet(fix + ["publish", "orchestrator:" + ORCH, "activity:SayHello"])
    run_quiet(ctl + ["start", ORCH, "--id", GET_ID, "--input", '{"city":"Tokyo"}'])
    run_quiet(fix + ["set-status", GET_ID, "Completed",
                     "--output", '["Hello Tokyo!","Hello Seattle!","Hello London!"]'])
    return conf


def hold(setup, name, n=16):
    """n requests at once that each hold a responder process for over a
    second, where the responder has such a request: mod_fcgid grows its
    pool only then."""
    import threading
    if name.startswith("taskhub"):
        method, path, body = "POST", POST_PATH + "?timeout=3&pollingInterval=1", b'""'
    elif name == "trivial":
        method, path, body = "GET", BASE + "/sleep/1500", None
    else:
        return
    def one():
        try:
            harness.request(setup.server.base_url, method, path, headers={
                "x-functions-key": KEY, "Content-Type": "application/json"}, body=body, timeout=20)
        except OSError:
            pass
    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def check(setup, method, path, want):
    st, _, body = harness.request(setup.server.base_url, method, path, headers={
        "x-functions-key": KEY, "Content-Type": "application/json"}, body=b'""' if method == "POST" else None)
    if st != want:
        die("%s %s on %s: status %d, expected %d: %r\n%s" % (
            method, path, setup.name, st, want, body[:300], setup.server.error_log(20)))


# ---- report --------------------------------------------------------------------


def ms(us):
    return "%.2f" % (us / 1000.0)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_int(x):
    return "{:,}".format(int(round(x)))


def main():
    ap = argparse.ArgumentParser(description="HTTP API benchmark: taskhub.fcgi against trivial responders")
    ap.add_argument("builddir", nargs="?", default=".", help="the build directory (default: .)")
    ap.add_argument("-t", "--threads", type=int, default=2, help="wrk threads (2)")
    ap.add_argument("-c", "--connections", type=int, default=16, help="wrk connections (16)")
    ap.add_argument("-d", "--duration", type=int, default=10, help="seconds per case (10)")
    ap.add_argument("-r", "--rounds", type=int, default=3, help="rounds (3)")
    ap.add_argument("-w", "--warmup", type=int, default=3, help="warm-up seconds per server (3)")
    ap.add_argument("-s", "--servers", default="lighttpd,apache-fcgid",
                    help="server kinds, comma-separated (lighttpd,apache-fcgid)")
    ap.add_argument("--json", help="also write every raw figure to this file")
    ap.add_argument("-k", "--keep", action="store_true", help="keep the work directory (configs, logs)")
    args = ap.parse_args()
    if not (1 <= args.duration <= 60 and 1 <= args.connections <= 256 and 1 <= args.threads <= 16
            and 1 <= args.rounds <= 10 and 0 <= args.warmup <= 30):
        die("out of bounds: duration 1..60 s, connections 1..256, threads 1..16, rounds 1..10, warm-up 0..30 s")
    kinds = [k for k in args.servers.split(",") if k]
    for k in kinds:
        if k not in harness.KINDS:
            die("unknown server kind %r (one of %s)" % (k, ", ".join(harness.KINDS)))

    builddir = os.path.abspath(args.builddir)
    need = ["taskhub.fcgi", "taskhubctl", "bench/trivial_fcgi", "bench/put_fcgi", "tests/http/fixture"]
    missing = [p for p in need if not os.access(os.path.join(builddir, p), os.X_OK)]
    if missing:
        die("not built in %s: %s (make && make bench/trivial_fcgi bench/put_fcgi tests/http/fixture, "
            "or make bench-api)" % (builddir, ", ".join(missing)))
    wrk = ensure_wrk()

    os.umask(0o007)  # the environments are shared with the server user's group
    workdir = harness.make_workdir("taskhub-bench-api-")
    machine = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "kernel": " ".join(os.uname()[i] for i in (0, 2, 4)),
        "fs": filesystem(workdir),
        "libdb": libdb_version(os.path.join(builddir, "bench", "put_fcgi")),
        "lighttpd": first_line([harness.LIGHTTPD, "-v"]),
        "apache": first_line([harness.APACHE, "-v"]).replace("Server version: ", ""),
        "wrk": first_line([wrk, "-v"]).split(" Copyright")[0],
        "load_before": loadavg(),
    }
    lua = os.path.join(workdir, "bench.lua")
    with open(lua, "w") as f:
        f.write(WRK_LUA)

    setups = {}
    results = {}  # (kind, case) -> [per-round result]
    warmups = {}  # (kind, setup name) -> result
    rss = {}  # (kind, setup name) -> [per-process dict]
    pools = {}  # (kind, setup name) -> [responders before round 1, after the last]
    try:
        conf = {d: taskhub_env(builddir, workdir, d) for d in ("write-nosync", "full")}
        plan = [  # setup name, responder path, conf
            ("taskhub-wns", os.path.join(builddir, "taskhub.fcgi"), conf["write-nosync"]),
            ("taskhub-full", os.path.join(builddir, "taskhub.fcgi"), conf["full"]),
            ("trivial", os.path.join(builddir, "bench", "trivial_fcgi"), conf["write-nosync"]),
            ("put-wns", os.path.join(builddir, "bench", "put_fcgi"), put_env(builddir, workdir, "write-nosync")),
            ("put-full", os.path.join(builddir, "bench", "put_fcgi"), put_env(builddir, workdir, "full")),
        ]
        for kind in kinds:
            for name, responder, c in plan:
                sd = subdir(workdir, "%s-%s" % (kind, name))
                log("starting %s for %s" % (kind, name))
                srv = harness.KINDS[kind](builddir, SRCDIR, sd, responder, c)
                setups[(kind, name)] = Setup(name, kind, srv)

        # case name, setup, method, path, expected status
        cases = {
            "GET status": ("taskhub-wns", "GET", GET_PATH, 200),
            "trivial": ("trivial", "GET", GET_PATH, 200),
            "start wns": ("taskhub-wns", "POST", POST_PATH, 202),
            "one put wns": ("put-wns", "POST", POST_PATH, 200),
            "start full": ("taskhub-full", "POST", POST_PATH, 202),
            "one put full": ("put-full", "POST", POST_PATH, 200),
        }
        pairs = [("GET status", "trivial", 0.90), ("start wns", "one put wns", 0.85),
                 ("start full", "one put full", 0.85)]
        for kind in kinds:
            for case, (name, method, path, want) in cases.items():
                check(setups[(kind, name)], method, path, want)

        # Warm-up (see the top of this file).
        if args.warmup:
            for kind in kinds:
                for name, _, _ in plan:
                    setup = setups[(kind, name)]
                    method, path = ("GET", GET_PATH) if name in ("taskhub-wns", "trivial") else ("POST", POST_PATH)
                    wargs = argparse.Namespace(**vars(args))
                    wargs.duration = args.warmup
                    if kind.startswith("apache"):
                        # mod_fcgid adds about one process per stalled
                        # second: hold until the pool is full (16, as
                        # shipped) or four tries have passed.
                        for _ in range(4):
                            if len(setup.responders()) >= POOL_MAX:
                                break
                            hold(setup, name, POOL_MAX)
                        wargs.connections = 2 * args.connections
                    log("warm-up %s %s" % (kind, name))
                    warmups[(kind, name)] = measure(wrk, wargs, lua, setup, method, path)
        for key, setup in setups.items():
            pools[key] = [len(setup.responders())]

        for rnd in range(args.rounds):
            for kind in kinds:
                for a, b, _ in pairs:
                    order = (a, b) if rnd % 2 == 0 else (b, a)
                    for case in order:
                        name, method, path, _ = cases[case]
                        log("round %d/%d %s %s" % (rnd + 1, args.rounds, kind, case))
                        r = measure(wrk, args, lua, setups[(kind, name)], method, path)
                        r["round"] = rnd + 1
                        results.setdefault((kind, case), []).append(r)

        for key, setup in setups.items():
            pools[key].append(len(setup.responders()))
        for (kind, name), s in setups.items():
            rss[(kind, name)] = [dict(pid=p, comm=comm(p), **status_kb(p, ("VmRSS", "RssAnon", "RssFile",
                                                                           "RssShmem", "VmHWM")))
                                 for p in s.responders()]
    finally:
        for s in setups.values():
            s.server.stop()
        machine["load_after"] = loadavg()
        if args.keep:
            log("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    report(args, kinds, machine, cases, pairs, results, warmups, rss, pools)
    if args.json:
        raw = {
            "machine": machine,
            "settings": {k: getattr(args, k) for k in ("threads", "connections", "duration", "rounds", "warmup")},
            "results": {"%s|%s" % k: [{x: y for x, y in r.items() if x != "text"} for r in v]
                        for k, v in results.items()},
            "warmups": {"%s|%s" % k: {x: y for x, y in v.items() if x != "text"} for k, v in warmups.items()},
            "rss": {"%s|%s" % k: v for k, v in rss.items()},
            "pools": {"%s|%s" % k: v for k, v in pools.items()},
        }
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)
    return 0


def report(args, kinds, machine, cases, pairs, results, warmups, rss, pools):
    p = print
    p("## HTTP API benchmark: taskhub.fcgi against trivial responders")
    p()
    p("- date: %s" % machine["date"])
    p("- CPUs (nproc): %s" % machine["nproc"])
    p("- CPU model: %s" % machine["cpu"])
    p("- kernel: %s" % machine["kernel"])
    p("- environments: %s" % machine["fs"])
    p("- %s; %s; %s; %s" % (machine["libdb"], machine["lighttpd"], machine["apache"], machine["wrk"]))
    p("- load average before: %s; after: %s (the benchmark's own processes included: responders "
      "waiting on a flush count too)" % (machine["load_before"], machine["load_after"]))
    p("- wrk -t%d -c%d -d%ds --latency (every case), %d rounds, %d s warm-up per server; "
      "127.0.0.1 only" % (args.threads, args.connections, args.duration, args.rounds, args.warmup))
    p()
    p("| server | case | req/s (median) | per round | p50 ms | p99 ms | max ms | ≥0.9 s | errors "
      "| responder CPU µs/req | server CPU µs/req | wrk CPU µs/req |")
    p("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in kinds:
        for case in cases:
            rs = results.get((kind, case), [])
            if not rs:
                continue
            p("| %s | %s | %s | %s | %s | %s | %s | %d | %d | %.0f | %.0f | %.0f |" % (
                kind, case, fmt_int(med([r["rps"] for r in rs])), " ".join(fmt_int(r["rps"]) for r in rs),
                ms(med([r["p50"] for r in rs])), ms(med([r["p99"] for r in rs])),
                ms(max(r["lat_max"] for r in rs)), sum(r["slow"] for r in rs), sum(r["errors"] for r in rs),
                med([r["resp_cpu_us"] for r in rs]), med([r["srv_cpu_us"] for r in rs]),
                med([r["wrk_cpu_s"] / max(r["requests"], 1) * 1e6 for r in rs])))
    p()
    p("| server | ratio | median | per round | goal | met |")
    p("|---|---|---:|---|---:|---|")
    for kind in kinds:
        for a, b, goal in pairs:
            ra, rb = results.get((kind, a), []), results.get((kind, b), [])
            per = [x["rps"] / y["rps"] for x, y in zip(ra, rb) if y["rps"] > 0]
            if not per:
                continue
            m = med(per)
            p("| %s | %s / %s | %.0f%% | %s | %.0f%% | %s |" % (
                kind, a, b, 100 * m, " ".join("%.0f" % (100 * x) for x in per), 100 * goal,
                "yes" if m >= goal else "**no**"))
    p()
    p("Resident memory of the responder processes after the load (KiB; VmRSS min / median / max over "
      "the processes; the split, PSS and private pages of the largest):")
    p()
    p("| server | responder set-up | processes (before / after the rounds) | VmRSS min / median / max "
      "| RssAnon | RssFile | RssShmem | Pss | private (USS) | VmRSS ≤ 4096 |")
    p("|---|---|---|---|---:|---:|---:|---:|---:|---|")
    for (kind, name), procs in rss.items():
        procs = [x for x in procs if "VmRSS" in x]
        if not procs:
            p("| %s | %s | 0 | - | - | - | - | - | - | - |" % (kind, name))
            continue
        v = sorted(x["VmRSS"] for x in procs)
        big = max(procs, key=lambda x: x["VmRSS"])
        pool = pools.get((kind, name), [])
        p("| %s | %s | %s | %d / %d / %d | %d | %d | %d | %s | %s | %s |" % (
            kind, name, " / ".join(str(x) for x in pool) or str(len(procs)), v[0], statistics.median(v), v[-1], big.get("RssAnon", 0),
            big.get("RssFile", 0), big.get("RssShmem", 0), big.get("Pss", "-"),
            big.get("Private_Clean", 0) + big.get("Private_Dirty", 0) if "Private_Dirty" in big else "-",
            ("yes" if v[-1] <= 4096 else "**no**") if name.startswith("taskhub") else "(baseline)"))
    if warmups:
        p()
        p("Warm-up (%d s of wrk per server, after the long requests on Apache; untimed for the tables):"
          % args.warmup)
        p()
        p("| server | set-up | req/s | p99 ms | max ms | ≥0.9 s |")
        p("|---|---|---:|---:|---:|---:|")
        for (kind, name), r in warmups.items():
            p("| %s | %s | %s | %s | %s | %d |" % (kind, name, fmt_int(r["rps"]), ms(r["p99"]), ms(r["lat_max"]),
                                                  r["slow"]))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
