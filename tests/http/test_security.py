#!/usr/bin/env python3
"""test_security.py — the system key on every route, and keys never in a
log, through real lighttpd and Apache mod_fcgid (docs/http-api.md,
"Authentication"; docs/deploy.md, "Keys and logs").

- The route list is the one of docs/http-api.md: the test reads the
  routes the document names and fails if one is not covered here, and
  asks the responder (405 + Allow, with the key) that each route accepts
  exactly the methods listed.
- Every route, under both base paths, with every method it accepts (HEAD
  wherever GET is) and one it does not (PUT), refuses with 401 and the
  documented JSON message: no key, a wrong `code`, a wrong
  `x-functions-key`, and near misses (the key minus its last character,
  plus one character, in another case, empty, very long; in the query
  and in the header). The design has one kind of key (system keys), so
  there is no "key of the wrong kind" to try. An unknown route refuses
  too (no key, no answer about what exists). The store is compared
  before and after: nothing changed.
- With the key every (route, method) answers its documented status.
- anonymous = yes: every route answers without a key, and with any key.
- Keys never appear in a log: a session with the right key and many
  wrong ones, in the query and in the header, with requests failing for
  other reasons (400, 401, 404, 405, 409, 413 from the responder and
  from the server, 414, 415) and one that makes the responder log (an
  unopenable connection); then every file the stack wrote is searched
  for every key used. The web servers' access logs are the exception
  docs/deploy.md explains: they record the request line, query string
  included, so a key sent as `code=` is there (checked, as the proof
  that the search finds keys where they are), and a key sent only in
  the header is not.

TAP on stdout; exit 1 when any check failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import contextlib  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import subprocess  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as T  # noqa: E402  (the shared helpers)

SERVERS = ("lighttpd", "apache-fcgid")
BASES = (T.BASE, T.V1)
# A key no log can hold by chance; the wrong keys are as unlikely.
KEY = "sec" + secrets.token_hex(16)
BROKEN_HOME = "/nonexistent-taskhub-security/env"

# Every route of docs/http-api.md and the methods it accepts ({i} is an
# instance ID, {f} a function, {e} an event, {n}/{k} an entity).
ROUTES = [
    ("orchestrators/{f}", ("POST",)),
    ("orchestrators/{f}/{i}", ("POST",)),
    ("instances", ("GET", "HEAD", "DELETE")),
    ("instances/{i}", ("GET", "HEAD", "DELETE")),
    ("instances/{i}/history", ("GET", "HEAD")),
    ("instances/{i}/raiseEvent/{e}", ("POST",)),
    ("instances/{i}/terminate", ("POST",)),
    ("instances/{i}/suspend", ("POST",)),
    ("instances/{i}/resume", ("POST",)),
    ("instances/{i}/rewind", ("POST",)),
    ("instances/{i}/restart", ("POST",)),
    ("entities", ("GET", "HEAD")),
    ("entities/{n}", ("GET", "HEAD")),
    ("entities/{n}/{k}", ("GET", "HEAD", "POST", "DELETE")),
    ("counts", ("GET", "HEAD")),
]


def doc_routes():
    """(METHOD, pattern) of every route docs/http-api.md names, with each
    {placeholder} written {*} and optional parts expanded."""
    with open(os.path.join(T.srcdir(), "docs", "http-api.md")) as f:
        text = f.read()
    out = set()
    for m in re.finditer(r"`(GET|POST|DELETE) ((?:orchestrators|instances|entities|counts)[^`]*)`", text):
        method, path = m.group(1), m.group(2).split("?")[0]
        opt = re.search(r"\[([^\]]*)\]", path)
        variants = [path] if not opt else [path[:opt.start()], path[:opt.start()] + opt.group(1)]
        for v in variants:
            out.add((method, re.sub(r"\{[^}]*\}", "{*}", v)))
    return out


def our_routes():
    return {(m, re.sub(r"\{[^}]*\}", "{*}", p)) for p, ms in ROUTES for m in ms if m != "HEAD"}


def bad_credentials():
    """(description, code for the query or None, headers): every way of
    not holding the key."""
    wrong = "wrong" + secrets.token_hex(16)
    return [
        ("no key", None, []),
        ("a wrong code", wrong, []),
        ("a wrong x-functions-key", None, [("x-functions-key", wrong)]),
        ("code = the key minus its last character", KEY[:-1], []),
        ("code = the key plus one character", KEY + "0", []),
        ("code = the key in upper case", KEY.upper(), []),
        ("an empty code", "", []),
        ("a very long code starting with the key", KEY * 100, []),
        ("x-functions-key = the key plus one character", None, [("x-functions-key", KEY + "x")]),
        ("x-functions-key = the key in upper case", None, [("x-functions-key", KEY.upper())]),
        ("an empty x-functions-key", None, [("x-functions-key", "")]),
        ("a very long x-functions-key", None, [("x-functions-key", KEY * 150)]),
    ]


def target(base, path, code, query=""):
    q = query
    if code is not None:
        q = (q + "&" if q else "") + "code=" + code
    return f"{base}/{path}" + (f"?{q}" if q else "")


def body_for(method, path):
    if method != "POST":
        return [], b""
    return [T.CT_JSON], b'{"x":1}'


class Ids:
    """The records each target's requests aim at, apart per target and
    base path: a Pending instance, a Completed one (purgeable) and a
    Failed one (rewindable), and an entity key."""

    def __init__(self, t, env, tag):
        p = re.sub(r"[^A-Za-z0-9]", "", t.name) + tag
        self.pending, self.done, self.failed = p + "-pending", p + "-done", p + "-failed"
        self.entity = p + "-ent"
        for iid in (self.pending, self.done, self.failed):
            r = t.request("POST", target(T.BASE, f"orchestrators/HelloSequence/{iid}", KEY),
                          [T.CT_JSON], b'"in"')
            if r.status != 202:
                raise RuntimeError(f"setup start {iid}: {r!r}")
        env.set_status(self.done, "Completed", output='"out"')
        env.set_status(self.failed, "Failed", output='"boom"')
        r = t.request("POST", target(T.BASE, f"entities/Counter/{self.entity}", KEY, "op=add"), [T.CT_JSON], b"1")
        if r.status != 202:
            raise RuntimeError(f"setup signal: {r!r}")

    def path(self, pattern, method):
        iid = self.pending
        if pattern == "instances/{i}" and method == "DELETE":
            iid = self.done
        elif pattern == "instances/{i}/rewind":
            iid = self.failed
        return (pattern.replace("{f}", "HelloSequence").replace("{i}", iid).replace("{e}", "Ev")
                .replace("{n}", "Counter").replace("{k}", self.entity))


# The status each (route, method) answers with the key, for the records
# of Ids (no daemon runs: control requests are only recorded).
EXPECT = {
    ("orchestrators/{f}", "POST"): (202,),
    ("orchestrators/{f}/{i}", "POST"): (202, 409),  # the second base path: the pending one exists
    ("instances", "GET"): (200,), ("instances", "HEAD"): (200,),
    ("instances", "DELETE"): (404,),  # the filter below matches nothing: JSON 404
    ("instances/{i}", "GET"): (202,), ("instances/{i}", "HEAD"): (202,),
    ("instances/{i}", "DELETE"): (200,),
    ("instances/{i}/history", "GET"): (200,), ("instances/{i}/history", "HEAD"): (200,),
    ("instances/{i}/raiseEvent/{e}", "POST"): (202,),
    ("instances/{i}/terminate", "POST"): (202,),
    ("instances/{i}/suspend", "POST"): (202,),
    ("instances/{i}/resume", "POST"): (409,),
    ("instances/{i}/rewind", "POST"): (202,),
    ("instances/{i}/restart", "POST"): (202,),
    ("entities", "GET"): (200,), ("entities", "HEAD"): (200,),
    ("entities/{n}", "GET"): (200,), ("entities/{n}", "HEAD"): (200,),
    ("entities/{n}/{k}", "GET"): (404,), ("entities/{n}/{k}", "HEAD"): (404,),  # signalled, never run
    ("entities/{n}/{k}", "POST"): (202,), ("entities/{n}/{k}", "DELETE"): (202,),
    ("counts", "GET"): (200,), ("counts", "HEAD"): (200,),
}
QUERY = {("instances", "DELETE"): "createdTimeFrom=2001-01-01T00:00:00Z&createdTimeTo=2001-01-02T00:00:00Z",
         ("entities/{n}/{k}", "POST"): "op=add"}


def unauthorized(r, method):
    """None when r is the documented 401, else what is wrong (HEAD has
    no body to check)."""
    if method == "HEAD":
        return None if r.status == 401 else f"status {r.status}: {r!r}"
    return T.is_error(r, 401, T.MSG_401)


def refusals(tap, t, env):
    """Every (route, method, base path) with every bad credential: 401,
    and the store unchanged."""
    ids = Ids(t, env, "r")
    before = env.snapshot()
    creds = bad_credentials()
    for pattern, methods in ROUTES:
        for method in methods + ("PUT",):
            for base in BASES:
                path = ids.path(pattern, method)
                bad = []
                for desc, code, hdrs in creds:
                    h, body = body_for(method, path)
                    r = t.request(method, target(base, path, code, QUERY.get((pattern, method), "")), h + hdrs, body)
                    err = unauthorized(r, method)
                    if err:
                        bad.append(f"{desc}: {err}")
                tap.ok(not bad, f"[{t.name}] {method} {base}/{pattern}: 401 for each of {len(creds)} bad keys",
                       "\n".join(bad))
    for base in BASES:
        r = t.request("GET", target(base, "nosuchroute", None))
        tap.ok(unauthorized(r, "GET") is None, f"[{t.name}] an unknown route under {base} without a key: 401",
               repr(r))
    tap.eq(env.snapshot(), before, f"[{t.name}] the refused requests changed nothing in the store")
    st = env.status(ids.done)
    tap.ok(st is not None and st.get("status") == "Completed",
           f"[{t.name}] the instance a refused purge aimed at is still there", repr(st))


def accepted(tap, t, env):
    """With the key, each (route, method) answers as documented; other
    methods get 405 with Allow listing exactly the route's methods."""
    for bi, base in enumerate(BASES):
        ids = Ids(t, env, "a%d" % bi)
        for pattern, methods in ROUTES:
            for method in methods:
                path = ids.path(pattern, method)
                h, body = body_for(method, path)
                for how in ("code", "header"):
                    code = KEY if how == "code" else None
                    hk = [("x-functions-key", KEY)] if how == "header" else []
                    if pattern == "orchestrators/{f}/{i}":
                        path = f"orchestrators/HelloSequence/{ids.pending}-{how}"
                    r = t.request(method, target(base, path, code, QUERY.get((pattern, method), "")), h + hk, body)
                    want = EXPECT[(pattern, method)]
                    if (pattern, method) == ("instances/{i}", "DELETE") and how == "header":
                        want = (404,)  # purged by the request with code
                    if (pattern, method) in (("instances/{i}/rewind", "POST"),) and how == "header":
                        want = (202, 409)  # the first rewind was recorded
                    tap.ok(r.status in want, f"[{t.name}] {method} {base}/{pattern} with the key ({how}): {want}",
                           repr(r))
            r = t.request("PUT", target(base, ids.path(pattern, "PUT"), KEY))
            want = set(methods) - {"HEAD"}
            tap.ok(r.status == 405 and T.allow_set(r) == want,
                   f"[{t.name}] PUT {base}/{pattern} with the key: 405, Allow {sorted(want)}", repr(r))


def anonymous(tap, t, env):
    """anonymous = yes: every route answers without a key and with a
    wrong one."""
    for bi, base in enumerate(BASES):
        ids = Ids(t, env, "n%d" % bi)
        for pattern, methods in ROUTES:
            for method in methods:
                bad = []
                for n, (desc, code) in enumerate((("no key", None), ("a wrong key", "wrong" + secrets.token_hex(4)))):
                    path = ids.path(pattern, method)
                    if pattern == "orchestrators/{f}/{i}":
                        path = f"orchestrators/HelloSequence/{ids.pending}-{n}"
                    h, body = body_for(method, path)
                    r = t.request(method, target(base, path, code, QUERY.get((pattern, method), "")), h, body)
                    want = EXPECT[(pattern, method)]
                    if desc != "no key" and (pattern, method) in (("instances/{i}", "DELETE"),
                                                                  ("instances/{i}/rewind", "POST")):
                        want = want + (404, 409)
                    if r.status not in want:
                        bad.append(f"{desc}: expected {want}: {r!r}")
                tap.ok(not bad, f"[{t.name}] anonymous: {method} {base}/{pattern} without a key and with a wrong one",
                       "\n".join(bad))


def log_session(tap, t, env, used):
    """Requests with the right key and wrong ones that fail in every
    way; every key used is added to used (query or header)."""
    iid = re.sub(r"[^A-Za-z0-9]", "", t.name) + "-logs"
    wq, wh = "wrongq" + secrets.token_hex(16), "wrongh" + secrets.token_hex(16)
    used["query"].update({KEY, wq})
    used["header"].add(wh)
    hk = [("x-functions-key", KEY)]
    reqs = [
        ("POST", target(T.BASE, f"orchestrators/HelloSequence/{iid}", KEY), [T.CT_JSON], b'"x"', 202),
        ("POST", target(T.BASE, f"orchestrators/HelloSequence/{iid}", None), [T.CT_JSON] + hk, b'"x"', 409),
        ("POST", target(T.BASE, "orchestrators/HelloSequence", KEY), [T.CT_JSON], b'{"bad', 400),
        ("POST", target(T.BASE, "orchestrators/NoSuchOrchestrator", None), [T.CT_JSON] + hk, b'1', 400),
        ("GET", target(T.BASE, "instances/%40entity", KEY), [], b"", 400),
        ("GET", target(T.BASE, "instances", KEY, "createdTimeFrom=yesterday"), [], b"", 400),
        ("GET", target(T.BASE, "nosuchroute", KEY), [], b"", 404),
        ("GET", target(T.BASE, "instances/nosuchinstance", None), hk, b"", 404),
        ("GET", target(T.BASE, "instances", KEY, "taskHub=NoSuchHub"), [], b"", 404),
        ("GET", target(T.BASE, "instances", KEY, "connection=NoSuchConnection"), [], b"", 404),
        ("GET", target(T.BASE, "instances", KEY, "connection=Broken"), [], b"", 404),
        ("PUT", target(T.BASE, "instances", KEY), [], b"", 405),
        ("PATCH", target(T.V1, "instances", None), hk, b"", 405),
        ("POST", target(T.BASE, f"instances/{iid}/raiseEvent/Ev", KEY), [("Content-Type", "text/plain")], b"x", 415),
        ("POST", target(T.BASE, "orchestrators/HelloSequence", KEY), [T.CT_JSON],
         b'"' + b"x" * (T.BODY_MAX + 10) + b'"', 413),
        ("POST", target(T.BASE, "orchestrators/HelloSequence", None), [T.CT_JSON] + hk,
         b'"' + b"x" * (T.SERVER_BODY_LIMIT + 10) + b'"', 413),
        ("GET", target(T.BASE, "instances", KEY, "x=" + "y" * 9000), [], b"", (414, 431, 400)),
        ("GET", target(T.BASE, "instances", wq), [], b"", 401),
        ("GET", target(T.V1, "counts", wq), [], b"", 401),
        ("POST", target(T.BASE, "orchestrators/HelloSequence", wq), [T.CT_JSON], b'{"bad', 401),
        ("GET", target(T.BASE, "instances", None), [("x-functions-key", wh)], b"", 401),
        ("DELETE", target(T.BASE, f"instances/{iid}", None), [("x-functions-key", wh)], b"", 401),
        ("POST", target(T.BASE, "orchestrators/HelloSequence", None), [T.CT_JSON, ("x-functions-key", wh)],
         b'"' + b"x" * (T.BODY_MAX + 10) + b'"', (401, 413)),
    ]
    bad = []
    for method, tgt, hdrs, body, want in reqs:
        want = want if isinstance(want, tuple) else (want,)
        try:
            r = t.request(method, tgt, hdrs, body)
            status = r.status
        except (OSError, ConnectionError) as e:
            # A server may close on an oversized request before answering.
            status, r = None, e
        if status not in want and not (status is None and 413 in want):
            bad.append(f"{method} {tgt[:120]}: expected {want}, got {r!r}"[:600])
    tap.ok(not bad, f"[{t.name}] the log session's {len(reqs)} requests got their statuses", "\n".join(bad))


def files_under(root):
    for d, _, fs in os.walk(root):
        for f in fs:
            p = os.path.join(d, f)
            if os.path.isfile(p) and not os.path.islink(p):
                yield p


def check_logs(tap, env, ts, used):
    """Searches every file the stack wrote (the keys file aside) for
    every key used."""
    ctl = env.ctl("list", check=False)
    ctl2 = env.ctl("status", "--", "no-such-instance", check=False)
    stderr = ctl.stderr + ctl2.stderr
    for k in used["query"] | used["header"]:
        if k in stderr:
            tap.ok(False, "taskhubctl's stderr holds no key", stderr)
            break
    else:
        tap.ok(True, "taskhubctl's stderr holds no key")
    keys_file = os.path.join(env.root, "keys")
    found, searched, access = [], 0, []
    for p in files_under(env.root):
        if p == keys_file:
            continue
        with open(p, "rb") as f:
            data = f.read()
        searched += 1
        if os.path.basename(p) == "access.log":
            access.append((p, data))
            continue
        for k in used["query"] | used["header"]:
            if k.encode() in data:
                found.append(f"{os.path.relpath(p, env.root)}: {k}")
    tap.diag(f"searched {searched} files for {len(used['query'] | used['header'])} keys")
    tap.ok(not found, "no key in any file the stack wrote (error logs, responder stderr, store)", "\n".join(found))
    for t in ts:
        log = t.extra.error_log() if t.extra is not None else ""
        tap.ok(f"connection Broken: cannot open {BROKEN_HOME}" in log,
               f"[{t.name}] the responder's own log line reached the error log that was searched",
               log[-2000:])
    for p, data in access:
        rel = os.path.relpath(p, env.root)
        tap.ok(KEY.encode() in data, f"{rel}: the access log records the query string, key included "
               "(docs/deploy.md; the search finds keys where they are)")
        hdr = [k for k in used["header"] - used["query"] if k.encode() in data]
        tap.ok(not hdr, f"{rel}: a key sent only in x-functions-key is not in the access log", str(hdr))


def main():
    T.require_programs()
    h = T.harness_module()
    tap = T.Tap()
    missing = [r for r in doc_routes() if r not in our_routes()]
    tap.ok(not missing, "every route docs/http-api.md names is tested here", str(sorted(missing)))
    extra = [r for r in our_routes() if r not in doc_routes()]
    tap.ok(not extra, "every route tested here is documented", str(sorted(extra)))
    kinds = [k for k in T.server_kinds() if k in SERVERS] or list(SERVERS)
    used = {"query": set(), "header": set()}
    root = h.make_workdir()
    try:
        conf = h.make_env(T.builddir(), root, hub=T.HUB, keys=[KEY], body_max=T.BODY_MAX,
                          extra={"connections": f"Broken={BROKEN_HOME}"})
        env = T.Env(root, os.path.join(root, "env"), conf, key=KEY)
        env.publish()
        with T.targets(env, kinds) as ts:
            if not ts:
                T.skip_all("no server available")
            for t in ts:
                tap.diag(f"target {t.name} ({t.host})")
                for part in (refusals, accepted, lambda tap, t, env: log_session(tap, t, env, used)):
                    try:
                        part(tap, t, env)
                    except Exception as e:  # noqa: BLE001 - a crash in one part must not hide the others
                        import traceback
                        tap.ok(False, f"[{t.name}] {getattr(part, '__name__', 'part')} ran to the end",
                               "".join(traceback.format_exception(type(e), e, e.__traceback__))[-2000:] +
                               T.server_log(t))
        for creds in bad_credentials():
            if creds[1]:
                used["query"].add(creds[1])
            for _, v in creds[2]:
                if v:
                    used["header"].add(v)
        # Near misses that contain the key (the long ones) would match the
        # key's own occurrences: the key itself is searched for anyway.
        used["query"] = {k for k in used["query"] if k == KEY or KEY not in k}
        used["header"] = {k for k in used["header"] if KEY not in k}
        check_logs(tap, env, ts, used)
    finally:
        h.remove_workdir(root)
    with contextlib.ExitStack() as stack:
        env = stack.enter_context(T.environment(anonymous=True))
        ts = stack.enter_context(T.targets(env, kinds))
        for t in ts:
            anonymous(tap, t, env)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
