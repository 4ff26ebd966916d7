#!/usr/bin/env python3
"""test_bad_requests.py — the catalogue of bad requests
(cases/bad_requests.json) against every server: malformed and truncated
JSON, oversized bodies, hostile instance IDs and names, forged
continuation tokens, bad dates, unknown hubs, wrong methods, missing and
wrong keys. Each must get its documented 4xx with a JSON body holding
"Message" (never a 5xx) and leave the store exactly as it was: the hub's
record counts and full listing (taskhubctl) are compared after every
request, and the records of the instances the requests aim at are
compared at the end. A request a web server refuses on its own before
the responder runs (control characters or invalid UTF-8 in the URL, a
malformed escape, a line over its limit: cases marked server_may_refuse)
may get that server's own 4xx page; those are listed in the output.

TAP on stdout; exit 1 when any test failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import base64
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as T  # noqa: E402  (the shared helpers)

MIN_CASES = 60
REPEAT = re.compile(r"\{R:(.*?):(\d+)\}")


def expand(s, ids):
    for k, v in ids.items():
        s = s.replace("{" + k + "}", v)
    return REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), s)


def case_request(t, case, ids):
    """The request of one case: (method, target, headers, body)."""
    path = expand(case["path"], ids)
    query = expand(case.get("query", ""), ids)
    key = case.get("key", True)
    if key == "none":
        key = None
    target = T.api_target(path, query, key)
    headers = [(k, expand(v, ids)) for k, v in case.get("headers", [])]
    if "body_b64" in case:
        body = base64.b64decode(case["body_b64"])
    elif "body_size" in case:
        body = b'"' + b"a" * (case["body_size"] - 2) + b'"'
    else:
        body = expand(case.get("body", ""), ids).encode("utf-8")
    if case.get("token_from"):
        r = T.call(t, "GET", "instances", case["token_from"])
        tok = r.header("x-ms-continuation-token")
        if r.status != 200 or not tok:
            raise RuntimeError(f"no token from GET instances?{case['token_from']}: {r!r}")
        headers.append(("x-ms-continuation-token", tok))
    return case["method"], target, headers, body


def server_refusal(r):
    """The web server's own error page (the request never reached the
    responder): a 4xx in HTML."""
    ct = (r.header("content-type") or "").lower()
    return 400 <= r.status < 500 and ct.startswith("text/html")


def problems_of(case, r):
    out = []
    want = case["status"]
    if r.status >= 500:
        out.append(f"5xx: {r!r}")
    err = T.is_error(r, want, case.get("message"), case.get("prefix"))
    if err:
        out.append(err)
    b = r.json_or_none()
    if case.get("exception_prefix"):
        exc = b.get("ExceptionMessage") if isinstance(b, dict) else None
        if not (isinstance(exc, str) and exc.startswith(case["exception_prefix"])):
            out.append(f"ExceptionMessage {exc!r} does not start with {case['exception_prefix']!r}")
    if "allow" in case and T.allow_set(r) != set(case["allow"]):
        out.append(f"Allow {r.header('allow')!r}, expected {', '.join(case['allow'])}")
    return out


def run_target(tap, t, env, cases, index):
    p = T.Suite(tap, t, env, index).p
    ids = {"PEND": p + "bad-pend", "RUN": p + "bad-run", "DONE": p + "bad-done"}
    T.make_instance(t, env, ids["PEND"], input_=b'{"p":1}')
    T.make_instance(t, env, ids["RUN"], "Running", custom='{"c":1}')
    T.make_instance(t, env, ids["DONE"], "Completed", output='"out"')
    T.sample_history(env, ids["DONE"])
    records = {k: env.status(v) for k, v in ids.items()}
    inboxes = {k: env.inbox(v) for k, v in ids.items()}
    first = env.snapshot()
    snap = first
    fivexx, refused = [], []
    for i, case in enumerate(cases):
        desc = f"[{t.name}] {case['method']} {case['desc']} -> {case['status']}"
        try:
            method, target, headers, body = case_request(t, case, ids)
            r = t.request(method, target, headers, body)
        except Exception as e:  # a dropped connection is a failure of its own
            tap.ok(False, desc, f"request failed: {e!r}")
            continue
        if case.get("server_may_refuse") and server_refusal(r):
            probs = []
            refused.append(f"{case['desc']}: {r.status}")
            desc += f" (refused by {t.name} itself: {r.status})"
        else:
            probs = problems_of(case, r)
        if r.status >= 500:
            fivexx.append(case["desc"])
        after = env.snapshot()
        if after != snap:
            probs.append(f"the store changed:\n  before {snap}\n  after  {after}")
            snap = after
        shown = target if len(target) < 300 else target[:300] + f"...({len(target)} bytes)"
        tap.ok(not probs, desc, f"{method} {shown}\n" + "\n".join(probs))
    tap.ok(not fivexx, f"[{t.name}] no request of the catalogue got a 5xx", "\n".join(fivexx))
    if refused:
        tap.diag(f"{t.name} refused {len(refused)} requests itself (its own 4xx page):\n  " + "\n  ".join(refused))
    tap.eq(env.snapshot(), first, f"[{t.name}] store unchanged after the whole catalogue")
    tap.eq({k: env.status(v) for k, v in ids.items()}, records,
           f"[{t.name}] the targeted instances' records unchanged (status, times, payloads)")
    tap.eq({k: env.inbox(v) for k, v in ids.items()}, inboxes,
           f"[{t.name}] the targeted instances' inboxes unchanged")
    with_check = env.ctl("check", check=False)
    tap.ok(with_check.returncode == 0, f"[{t.name}] taskhubctl check: store consistent",
           with_check.stdout + with_check.stderr)


def main():
    T.require_programs()
    with open(os.path.join(T.HERE, "cases", "bad_requests.json")) as f:
        cases = json.load(f)["cases"]
    tap = T.Tap()
    tap.ok(len(cases) >= MIN_CASES, f"the catalogue holds at least {MIN_CASES} bad requests ({len(cases)})")
    with T.environment() as env:
        with T.targets(env) as ts:
            if not ts:
                T.skip_all("no server available")
            for i, t in enumerate(ts):
                tap.diag(f"target {t.name} ({t.host})")
                run_target(tap, t, env, cases, i)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
