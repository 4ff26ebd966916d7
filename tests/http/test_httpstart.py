#!/usr/bin/env python3
"""test_httpstart.py — cgi-bin/HttpStartSingle (the seed's singleton
starter on the client API) under real lighttpd (mod_fastcgi) and Apache
(mod_fcgid), deployed with the shipped apache-conf/*-httpstart*.conf beside
the management API, and once as plain CGI with no server.

Per server: a start answers 202 with exactly the management API's
check-status response (body and Location / Retry-After / Content-Type, byte
for byte once the instance IDs are swapped); a second start while the
instance is Pending, Running, ContinuedAsNew or Suspended answers 409 with
the exact message (byte-identical to the API's 409); after the instance is
Completed, Failed or Terminated (set with tests/http/fixture) a new start
answers 202 and replaces it; 32 concurrent requests for one ID (connections
opened first, requests released together by a barrier) give exactly one 202
and 31 x 409, for a fresh ID and for a finished one; bad method, path, ID,
orchestrator, JSON and key answer the API's JSON errors.

TAP on stdout; exit 1 when any test failed.
"""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as T  # noqa: E402  (the shared helpers)

KINDS = ("lighttpd", "apache-fcgid")
EXTRAS = {"lighttpd": "lighttpd-httpstart.conf", "apache-fcgid": "apache-httpstart-fcgid.conf"}
PREFIX = "/api"
CLIENTS = 32
TIMEOUT = 60


def program():
    return T.program("cgi-bin/HttpStartSingle")


def place_program(env):
    """A copy of HttpStartSingle the servers' user can run."""
    d = os.path.join(env.root, "bin")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    dst = os.path.join(d, "HttpStartSingle")
    shutil.copy2(program(), dst)
    os.chmod(dst, 0o755)
    return dst


def single(t, fn, iid, body=b'{"n":1}', method="POST", key=True, headers=(("Content-Type", "application/json"),)):
    """A request to HttpStartSingle's route (iid and fn sent as given)."""
    return t.request(method, T.api_target(f"orchestrators/{fn}/{iid}", key=key, base=PREFIX + ""), headers,
                     body if method == "POST" else b"")


def mgmt_start(t, fn, iid, body=b'{"n":1}'):
    return T.call(t, "POST", f"orchestrators/{fn}/{iid}", headers=(T.CT_JSON,), body=body)


def swap(resp, old, new):
    """(body, Location, Retry-After, Content-Type) of resp with instance ID
    old written as new (both are plain ASCII here)."""
    def f(v):
        return v.replace(old, new) if isinstance(v, str) else v
    return (resp.body.replace(old.encode(), new.encode()), f(resp.header("location")),
            resp.header("retry-after"), resp.header("content-type"))


def race(t, iid):
    """CLIENTS simultaneous starts of iid; the list of Resp (or exceptions)."""
    return T.race_post(t, T.api_target(f"orchestrators/HelloSequence/{iid}", base=PREFIX), b'{"race":true}',
                       CLIENTS, TIMEOUT)


def run_server(tap, t, env):
    n = t.name
    p = f"{n}-"

    # -- start: the management API's own answer, byte for byte
    iid, ref = p + "single", p + "ref"
    r = single(t, "HelloSequence", iid)
    m = mgmt_start(t, "HelloSequence", ref)
    tap.eq(r.status, 202, f"[{n}] start: 202")
    tap.eq(r.reason, "Accepted", f"[{n}] start: reason Accepted")
    tap.eq(swap(r, iid, ref), swap(m, ref, ref),
           f"[{n}] start: body, Location, Retry-After, Content-Type exactly as the management API's start")
    tap.eq([k for k, _ in (r.json_or_none(pairs=True) or [])], T.CHECK_KEYS, f"[{n}] start: payload keys in order")
    tap.ok((r.header("location") or "").startswith(f"http://{t.host}{T.BASE}/instances/{iid}?taskHub={T.HUB}"
                                                    f"&connection=Storage&code={T.KEY}"),
           f"[{n}] start: Location points at the management API", r.header("location"))
    st = T.call(t, "GET", f"instances/{iid}")
    tap.eq((st.status, (st.json_or_none() or {}).get("input"), (st.json_or_none() or {}).get("runtimeStatus")),
           (202, {"n": 1}, "Pending"), f"[{n}] start: the instance is Pending with the body as input")

    # -- 409 while it runs, in each running state
    want409 = b'{"Message":"An instance with ID \'%s\' already exists."}' % iid.encode()
    for state in ("Pending", "Running", "ContinuedAsNew", "Suspended"):
        if state != "Pending":
            env.set_status(iid, state)
        r = single(t, "HelloSequence", iid, body=b'{"n":2}')
        tap.eq((r.status, r.body, r.header("content-type")), (409, want409, T.ERR_CT),
               f"[{n}] start over a {state} instance: 409 with the exact message")
    m = mgmt_start(t, "HelloSequence", iid)
    tap.eq((m.status, m.body), (409, want409), f"[{n}] the management API's 409 is the same bytes")
    st = T.call(t, "GET", f"instances/{iid}").json_or_none() or {}
    tap.eq(st.get("input"), {"n": 1}, f"[{n}] a refused start changed nothing")

    # -- after completion (and failure, termination): a new start
    for state in ("Completed", "Failed", "Terminated"):
        env.set_status(iid, state, output='"done"')
        r = single(t, "HelloSequence", iid, body=b'{"state":"%s"}' % state.encode())
        m = mgmt_start(t, "HelloSequence", ref + state)
        tap.eq(r.status, 202, f"[{n}] start over a {state} instance: 202")
        tap.eq(swap(r, iid, ref + state), swap(m, ref + state, ref + state),
               f"[{n}] start over {state}: the management API's check-status response")
        st = T.call(t, "GET", f"instances/{iid}").json_or_none() or {}
        tap.eq((st.get("runtimeStatus"), st.get("input"), st.get("output")), ("Pending", {"state": state}, None),
               f"[{n}] start over {state}: replaced, Pending, new input")

    # -- 32 concurrent starts of one ID: a fresh one, then a finished one
    for what, rid in (("a fresh ID", p + "race"), ("a Completed instance", p + "race")):
        if what != "a fresh ID":
            env.set_status(rid, "Completed", output='"done"')
        res = race(t, rid)
        codes = [x.status if isinstance(x, T.Resp) else repr(x) for x in res]
        bodies409 = {x.body for x in res if isinstance(x, T.Resp) and x.status == 409}
        tap.ok(codes.count(202) == 1 and codes.count(409) == CLIENTS - 1,
               f"[{n}] {CLIENTS} concurrent starts of {what}: exactly one 202, {CLIENTS - 1} x 409",
               f"answers: {sorted(map(str, codes))}")
        tap.eq(bodies409, {b'{"Message":"An instance with ID \'%s\' already exists."}' % rid.encode()},
               f"[{n}] concurrent starts of {what}: every 409 has the exact message")
        starts = [e for e in env.inbox(rid) if e[0] == "ExecutionStarted"]
        tap.eq(len(starts), 1, f"[{n}] concurrent starts of {what}: one ExecutionStarted in the inbox")

    # -- errors: the API's JSON shape
    r = single(t, "HelloSequence", p + "m", method="GET")
    tap.eq((r.status, r.header("allow"), T.is_error(r, 405, "The method is not allowed on this route.")),
           (405, "POST", None), f"[{n}] GET: 405, Allow: POST, JSON error")
    r = single(t, "HelloSequence", p + "m", method="PUT")
    tap.eq(r.status, 405, f"[{n}] PUT: 405")
    r = t.request("POST", T.api_target("orchestrators/HelloSequence", base=PREFIX), (T.CT_JSON,), b"{}")
    tap.eq(T.is_error(r, 400, "The request path must be {prefix}/orchestrators/{functionName}/{instanceId}."),
           None, f"[{n}] a path without an instance ID: 400 JSON")
    r = single(t, "HelloSequence", p + "a%ZZb")
    tap.eq(r.status, 400, f"[{n}] a malformed escape in the path: 400")
    for what, fn, iid in (("an encoded slash in the ID", "HelloSequence", p + "a%2Fb"),
                          ("an ID starting with @", "HelloSequence", "%40" + p),
                          ("an unknown orchestrator", "NoSuchOrchestrator", p + "u"),
                          ("bad JSON", "HelloSequence", p + "j")):
        body = b'{"n":' if what == "bad JSON" else b"{}"
        r = single(t, fn, iid, body=body)
        m = mgmt_start(t, fn, iid, body=body)
        tap.eq((r.status, r.body, r.header("content-type")), (400, m.body, T.ERR_CT),
               f"[{n}] {what}: 400 with the management API's JSON body")
    r = single(t, "HelloSequence", p + "k", key=None)
    tap.eq(T.is_error(r, 401), None, f"[{n}] no key: 401 JSON")
    r = single(t, "HelloSequence", p + "k", key="wrong")
    tap.eq(r.status, 401, f"[{n}] a wrong key: 401")
    r = single(t, "HelloSequence", p + "k", key=None,
               headers=(("Content-Type", "application/json"), ("x-functions-key", T.KEY)))
    m = T.call(t, "POST", f"orchestrators/HelloSequence/{p}kref", key=None,
               headers=(T.CT_JSON, ("x-functions-key", T.KEY)), body=b'{"n":1}')
    tap.eq(r.status, 202, f"[{n}] the key in x-functions-key: 202")
    tap.eq(swap(r, p + "k", p + "kref"), swap(m, p + "kref", p + "kref"),
           f"[{n}] the key in x-functions-key: the URLs carry it, as the management API's")
    r = single(t, "HelloSequence", p + "big", body=b'"' + b"x" * T.BODY_MAX + b'"')
    tap.eq(T.is_error(r, 413, "The request body is larger than the configured limit."), None,
           f"[{n}] a body over body-max: 413 JSON")
    r = single(t, "HelloSequence", p + "empty", body=b"")
    st = T.call(t, "GET", f"instances/{p}empty").json_or_none() or {}
    tap.eq((r.status, st.get("input", "absent")), (202, None), f"[{n}] no body: started without input")


def run_cgi(tap, env, prog):
    """The same program as plain CGI (no FastCGI socket on fd 0)."""
    iid = "cgi-single"

    def cgi(method, path, body=b""):
        e = {"PATH": "/usr/bin:/bin", "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": method,
             "REQUEST_URI": path, "SCRIPT_NAME": "/cgi-bin/HttpStartSingle", "QUERY_STRING": path.partition("?")[2],
             "HTTP_HOST": "example.org", "HTTPS": "on", "TASKHUB_CONF": env.conf,
             "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json"}
        out = subprocess.run([prog], input=body, env=e, capture_output=True, timeout=TIMEOUT).stdout
        head, _, rest = out.partition(b"\r\n\r\n")
        return head.decode("latin-1"), rest
    head, body = cgi("POST", f"/cgi-bin/HttpStartSingle{PREFIX}/orchestrators/HelloSequence/{iid}?code={T.KEY}",
                     b'{"cgi":1}')
    tap.ok(head.startswith("Status: 202 Accepted\r\n"), "[cgi] start as plain CGI: 202", head)
    tap.ok(f"Location: https://example.org{T.BASE}/instances/{iid}?taskHub={T.HUB}&connection=Storage"
           f"&code={T.KEY}" in head, "[cgi] Location from HTTP_HOST and HTTPS=on", head)
    tap.ok(body.startswith(b'{"id":"%s","statusQueryGetUri":"https://example.org' % iid.encode()),
           "[cgi] check-status body", body[:200])
    head, body = cgi("POST", f"{PREFIX}/orchestrators/HelloSequence/{iid}?code={T.KEY}", b"{}")
    tap.eq((head.split("\r\n")[0], body), ("Status: 409 Conflict",
                                           b'{"Message":"An instance with ID \'%s\' already exists."}' % iid.encode()),
           "[cgi] a second start: 409 with the exact message")


def main():
    T.require_programs()
    if not os.access(program(), os.X_OK):
        T.skip_all("not built: " + program())
    h = T.harness_module()
    tap = T.Tap()
    with T.environment() as env:
        prog = place_program(env)
        kinds = [k for k in KINDS if not h.KINDS[k].missing()]
        for k in KINDS:
            if k not in kinds:
                print(f"# SKIP {k}: {h.KINDS[k].missing()} is not installed")
        for k in kinds:
            extras = [(EXTRAS[k], {"HTTPSTART": prog})]
            with h.servers([k], T.builddir(), T.srcdir(), env.root, T.responder_path(), env.conf,
                           body_limit=T.SERVER_BODY_LIMIT, extras=extras) as srvs:
                t = T.HttpTarget(k, srvs[0].port, srvs[0])
                try:
                    run_server(tap, t, env)
                except Exception:
                    import traceback
                    tap.ok(False, f"[{k}] ran to the end", traceback.format_exc()[-3000:] + T.server_log(t))
        run_cgi(tap, env, prog)
        chk = env.ctl("check", check=False)
        tap.ok(chk.returncode == 0, "taskhubctl check: store consistent afterwards", chk.stdout + chk.stderr)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
