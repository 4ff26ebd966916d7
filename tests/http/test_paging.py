#!/usr/bin/env python3
"""test_paging.py — keyset paging of GET instances under writes.

1,000 instances are started over HTTP; then, through each server, they are
listed 37 at a time (x-ms-continuation-token) in the three orders the
store pages by — creation time, runtime status, instance ID prefix — while
a writer keeps starting new instances over HTTP (IDs that sort between the
original ones), creating some with creation times inside the listed range
(the fixture, as a second process), and purging some of the new ones. No
original instance may be missing or repeated, no instance may appear
twice, no page may exceed 37, and the last page's token must be empty.
Also: the default page is 100, and top=1000 gives one page of up to 1000.

TAP on stdout; exit 1 when any test failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import os  # noqa: E402
import random  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as T  # noqa: E402  (the shared helpers)

ORIGINALS = 1000
PAGE = 37
CREATE_THREADS = 8
MAX_PAGES = 200  # 1,000 / 37 is 28 pages; the writer adds at most a few more
WRITER_MAX = 600  # instances the writer may add per listing
WAIT_PER_PAGE = 2.0  # seconds the lister waits for the writer to make progress
PREFIX = "pg-"


def create_originals(t, env):
    """Starts PREFIX0000 ... over HTTP from a few threads; returns the IDs
    that got 202 and the failures."""
    ids = [f"{PREFIX}{i:04d}" for i in range(ORIGINALS)]
    random.Random(7).shuffle(ids)  # creation order unrelated to ID order
    fails = []

    def one(iid):
        r = T.start(t, iid=iid, body=b'{"n":1}')
        if r.status != 202:
            fails.append(f"{iid}: {r!r}")
    with ThreadPoolExecutor(CREATE_THREADS) as ex:
        list(ex.map(one, ids))
    return ids, fails


class Writer(threading.Thread):
    """Keeps changing the hub while a listing runs: new instances over
    HTTP whose IDs sort between the originals, instances with old creation
    times (fixture), and purges of new ones. count says how far it got."""

    def __init__(self, t, env, tag, lo_us, hi_us):
        super().__init__(daemon=True)
        self.t, self.env, self.tag = t, env, tag
        self.lo, self.hi = lo_us, hi_us
        self.stop = threading.Event()
        self.count = 0
        self.purged = 0
        self.errors = []
        self.new = []

    def run(self):
        rnd = random.Random(hash(self.tag) & 0xffff)
        k = 0
        while not self.stop.is_set() and k < WRITER_MAX:
            k += 1
            base = f"{PREFIX}{rnd.randrange(ORIGINALS):04d}-{self.tag}{k}"
            try:
                if k % 3 == 0:
                    # Created "in the past": lands inside the range being listed.
                    self.env.fix("create", base + "f", "HelloSequence", "--created-us",
                                 str(rnd.randrange(self.lo, self.hi)))
                    self.new.append(base + "f")
                else:
                    r = T.start(self.t, iid=base + "n", body=b"1")
                    if r.status != 202:
                        self.errors.append(f"start {base}n: {r.status}")
                    else:
                        self.new.append(base + "n")
                if k % 5 == 0 and self.new:
                    victim = self.new.pop(rnd.randrange(len(self.new)))
                    self.env.set_status(victim, "Completed")
                    r = T.call(self.t, "DELETE", f"instances/{victim}")
                    if r.status != 200:
                        self.errors.append(f"purge {victim}: {r.status}")
                    else:
                        self.purged += 1
            except Exception as e:  # reported by the test
                self.errors.append(repr(e))
            self.count += 1


def list_pages(t, query, writer):
    """Follows the token with top=37, waiting between pages until the
    writer has made progress. Returns (ids in order, page sizes, last
    token header, problems)."""
    ids, sizes, token, problems = [], [], None, []
    for page in range(MAX_PAGES):
        hs = [("x-ms-continuation-token", token)] if token else []
        r = T.call(t, "GET", "instances", f"{query}&top={PAGE}&showInput=false".lstrip("&"), headers=hs)
        b = r.json_or_none()
        if r.status != 200 or not isinstance(b, list):
            problems.append(f"page {page + 1}: {r!r}")
            return ids, sizes, None, problems
        sizes.append(len(b))
        ids += [x.get("instanceId") for x in b]
        token = r.header("x-ms-continuation-token")
        if not token:
            return ids, sizes, token, problems
        seen = writer.count
        deadline = time.monotonic() + WAIT_PER_PAGE
        while writer.count < seen + 2 and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
    problems.append(f"more than {MAX_PAGES} pages")
    return ids, sizes, token, problems


def check_listing(tap, t, env, originals, order, query, lo, hi):
    s = T.Suite(tap, t, env)
    w = Writer(t, env, f"{t.name[:1]}{order[:1]}", lo, hi)
    w.start()
    try:
        ids, sizes, last, probs = list_pages(t, query, w)
    finally:
        w.stop.set()
        w.join(60)
    what = f"[{t.name}] {order} order, pages of {PAGE}"
    tap.diag(f"{t.name} {order}: {len(sizes)} pages, {len(ids)} items; meanwhile {w.count} writes "
             f"({len(w.new) + w.purged} new instances, {w.purged} purged)")
    tap.ok(not probs, f"{what}: every page 200 with an array", "\n".join(probs))
    tap.ok(w.count >= len(sizes) - 1 and not w.errors,
           f"{what}: instances were created (and purged) between the pages",
           f"{w.count} writes for {len(sizes)} pages; errors: {w.errors[:5]}")
    tap.ok(all(n <= PAGE for n in sizes), f"{what}: no page holds more than {PAGE}", repr(sizes))
    counts = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    missing = sorted(set(originals) - set(counts))
    repeated = sorted(i for i, n in counts.items() if n > 1)
    tap.ok(not missing, f"{what}: none of the {len(originals)} originals missing",
           f"{len(missing)} missing: {missing[:20]}")
    tap.ok(not repeated, f"{what}: no instance listed twice", f"{len(repeated)} repeated: {repeated[:20]}")
    s.last_token(last, f"{order} order: the last page's continuation header is empty")
    if order == "ID":
        tap.eq(ids, sorted(ids), f"{what}: IDs in order")


def main():
    T.require_programs()
    tap = T.Tap()
    with T.environment() as env:
        with T.targets(env) as ts:
            if not ts:
                T.skip_all("no server available")
            t0 = time.monotonic()
            lo = int(time.time() * 1e6)
            originals, fails = create_originals(ts[0], env)
            hi = int(time.time() * 1e6)
            tap.ok(not fails, f"{ORIGINALS} instances started over HTTP through {ts[0].name}",
                   "\n".join(fails[:20]))
            tap.diag(f"created {ORIGINALS} in {time.monotonic() - t0:.1f} s")
            for t in ts:
                r = T.call(t, "GET", "instances", "showInput=false")
                b = r.json_or_none()
                tap.ok(r.status == 200 and isinstance(b, list) and len(b) == 100 and
                       r.header("x-ms-continuation-token"),
                       f"[{t.name}] default page: 100 instances and a token",
                       f"{r.status} {len(b) if isinstance(b, list) else short(r.body)}")
                r = T.call(t, "GET", "instances", f"instanceIdPrefix={PREFIX}0&top=1000&showInput=false")
                b = r.json_or_none()
                tap.ok(r.status == 200 and isinstance(b, list) and len(b) == 1000,
                       f"[{t.name}] top=1000: one page of 1000", f"{r.status} {T.short(r.body, 200)}")
                for order, query in (("creation-time", ""),
                                     ("status", "runtimeStatus=Pending,Running"),
                                     ("ID", f"instanceIdPrefix={PREFIX}")):
                    check_listing(tap, t, env, originals, order, query, lo, hi)
            tap.diag(f"total {time.monotonic() - t0:.1f} s")
            chk = env.ctl("check", check=False)
            tap.ok(chk.returncode == 0, "taskhubctl check: store consistent afterwards", chk.stdout + chk.stderr)
    return tap.done()


def short(v):
    return T.short(v, 200)


if __name__ == "__main__":
    sys.exit(main())
