#!/usr/bin/env python3
"""test_servers.py — the shipped web server configurations (apache-conf/),
rendered as tests/http/harness.py renders them, in front of the trivial
responder (bench/trivial_fcgi): lighttpd with mod_fastcgi, Apache with
mod_fcgid, Apache with mod_proxy_fcgi and a fixed pool, lighttpd running the
responder as CGI, and Apache running it as CGI from an .htaccess.

For each: both base paths reach the responder; SCRIPT_NAME is the base
path, PATH_INFO the rest (Apache CGI: the program, and base path and rest),
REQUEST_URI and QUERY_STRING arrive byte for byte;
the x-functions-key, x-ms-continuation-token and Authorization headers get
through, and TASKHUB_CONF is in the responder's environment; a response
header set by the responder (the continuation token, empty or not), its
status and Retry-After reach the client; a body of exactly the limit is
accepted and a byte more is refused with 413; a chunked body arrives whole
with CONTENT_LENGTH (or, through proxy_fcgi and Apache CGI, is refused
with 411); and the server's processes listen on 127.0.0.1 only.

TAP on stdout for Automake's tap-driver.sh. Needs top_builddir (for
bench/trivial_fcgi and taskhubctl) and top_srcdir (for apache-conf/ and the
harness) in the environment, as `make check` sets them.
"""

import http.client
import os
import re
import socket
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BODY_LIMIT = 64 * 1024
KINDS = ["lighttpd", "apache-fcgid", "apache-proxy-fcgi", "cgi", "apache-cgi"]
ROUTE = "/instances/inst-1/raiseEvent/Ev1/echo"
# Reserved and encoded characters, an empty value, a repeated name, UTF-8.
QUERY = "taskHub=Hub1&code=ab%2Bc%3D%3D&reason=a+b%20c&empty=&runtimeStatus=Running&runtimeStatus=Failed&x=%E2%82%AC"
TOKEN = "eyJrIjoiYWJjIn0+/x=="  # base64 with '+', '/', '='


def chunked_post(base_url, path, chunks, timeout=10):
    """POST with Transfer-Encoding: chunked; (status, body bytes)."""
    host, port = base_url[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.putheader("Content-Type", "application/json")
        conn.endheaders()
        for c in chunks:
            conn.send(b"%x\r\n%s\r\n" % (len(c), c))
        conn.send(b"0\r\n\r\n")
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def raw_status(base_url, head, timeout=10):
    """Sends head (a request's head, as text) on a raw socket; the status
    of the answer, or None."""
    host, port = base_url[len("http://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as c:
        c.sendall(head.encode("ascii"))
        data = b""
        while b"\r\n" not in data:
            got = c.recv(4096)
            if not got:
                break
            data += got
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else None


def check_server(t, s, conf):
    k = s.kind
    for base in harness.BASE_PATHS:
        st, _, body = harness.request(s.base_url, "GET", base + "/instances")
        t.ok(st == 200 and harness.json_body(body) == {"ok": True},
             "%s: GET %s/instances reaches the responder" % (k, base), "status %d, body %r" % (st, body[:200]))

        payload = b'{"name":"x"}' * 10
        headers = {"x-functions-key": "key-1", "x-ms-continuation-token": TOKEN,
                   "Authorization": "Bearer abc.def", "Content-Type": "application/json"}
        st, hdrs, body = harness.request(s.base_url, "POST", base + ROUTE + "?" + QUERY,
                                         headers=headers, body=payload)
        if not t.ok(st == 200, "%s: echo through %s" % (k, base), "status %d, body %r" % (st, body[:300])):
            continue
        e = harness.json_body(body)
        if k == "apache-cgi":  # rewritten onto /cgi-bin/taskhub.cgi
            t.is_(e["script_name"], s.script_name, "%s: SCRIPT_NAME is the program" % k)
            t.is_(e["path_info"], base + ROUTE, "%s: PATH_INFO is base path and route" % k)
        else:
            t.is_(e["script_name"], base, "%s: SCRIPT_NAME is the base path" % k)
            t.is_(e["path_info"], ROUTE, "%s: PATH_INFO is the rest of the path" % k)
        t.is_(e["query_string"], QUERY, "%s: QUERY_STRING byte for byte" % k)
        t.is_(e["request_uri"], base + ROUTE + "?" + QUERY, "%s: REQUEST_URI byte for byte" % k)
        t.is_(e["method"], "POST", "%s: REQUEST_METHOD" % k)
        t.is_(e["body_length"], len(payload), "%s: the body arrives whole" % k)
        t.is_(e["x_functions_key"], "key-1", "%s: x-functions-key passed" % k)
        t.is_(e["x_ms_continuation_token"], TOKEN, "%s: x-ms-continuation-token passed" % k)
        t.is_(e["authorization"], "Bearer abc.def", "%s: Authorization passed" % k)
        conf_seen = e["taskhub_conf_env"] or e["taskhub_conf_param"]
        t.is_(conf_seen, conf, "%s: TASKHUB_CONF reaches the responder" % k)
        t.is_(hdrs.get("x-ms-continuation-token"), TOKEN, "%s: response header from the responder" % k)
        t.is_(hdrs.get("vary"), None, "%s: no Vary added by the configuration" % k)
        if harness.is_root():
            t.is_(e["uid"], harness._ids()[0], "%s: the responder runs as %s" % (k, harness.WWW_USER))

    base = harness.BASE_PATHS[0]
    # The API sends an empty continuation header on the last page; lighttpd
    # (1.4.69, FastCGI and CGI alike) drops response headers with an empty
    # value, so there the last page has none.
    st, hdrs, _ = harness.request(s.base_url, "GET", base + "/instances/echo")
    t.is_(hdrs.get("x-ms-continuation-token"), "", "%s: an empty response header gets through" % k,
          todo="lighttpd drops empty response headers" if k in ("lighttpd", "cgi") else None)

    st, hdrs, body = harness.request(s.base_url, "GET", base + "/status/503")
    t.ok(st == 503 and hdrs.get("retry-after") == "1" and harness.json_body(body) == {"status": 503},
         "%s: status, Retry-After and body from the responder" % k, "status %d, headers %r" % (st, hdrs))
    st, _, body = harness.request(s.base_url, "GET", base + "/status/404")
    t.ok(st == 404 and harness.json_body(body) == {"status": 404},
         "%s: the responder's 404 and its body, not the server's" % k, "status %d, body %r" % (st, body[:200]))

    st, _, body = harness.request(s.base_url, "POST", base + "/instances/echo", body=b"x" * BODY_LIMIT)
    ok = st == 200 and harness.json_body(body)["body_length"] == BODY_LIMIT
    t.ok(ok, "%s: a body of exactly the limit (%d) is accepted" % (k, BODY_LIMIT), "status %d" % st)
    st, _, _ = harness.request(s.base_url, "POST", base + "/instances/echo", body=b"x" * (BODY_LIMIT + 1))
    t.is_(st, 413, "%s: a byte over the limit is refused with 413" % k)

    # An absurd announced length is refused before any body is sent.
    st = raw_status(s.base_url, "POST %s/instances/echo HTTP/1.1\r\nHost: x\r\n"
                    "Content-Length: 99999999999999999999\r\nConnection: close\r\n\r\n" % base)
    t.ok(st in (400, 413), "%s: a 20-digit Content-Length is refused at once" % k, "status %r" % st)

    # Chunked bodies, small and larger than the servers' read-ahead: whole,
    # with CONTENT_LENGTH; the proxy_fcgi and Apache CGI configurations
    # refuse them (411), as mod_proxy_fcgi and mod_cgi would pass them on
    # without a length.
    for size in (5000, BODY_LIMIT):
        chunks = [b"[" + b"1," * (size // 4), b"2" * (size - 2 - 2 * (size // 4)) + b"]"]
        st, body = chunked_post(s.base_url, base + "/instances/echo", chunks)
        if k in ("apache-proxy-fcgi", "apache-cgi"):
            t.is_(st, 411, "%s: a chunked body of %d bytes is refused with 411" % (k, size))
            continue
        e = harness.json_body(body) if st == 200 else {}
        t.ok(st == 200 and e.get("body_length") == size,
             "%s: a chunked body of %d bytes arrives whole" % (k, size), "status %d, body %r" % (st, body[:300]))
        t.is_(e.get("content_length"), str(size), "%s: a chunked body of %d bytes arrives with "
              "CONTENT_LENGTH" % (k, size))
    # Over the limit: lighttpd 413; mod_fcgid 500 (FcgidMaxRequestLen).
    big = [b"x" * 40000, b"x" * (BODY_LIMIT + 1 - 40000)]
    st, body = chunked_post(s.base_url, base + "/instances/echo", big)
    want = {"lighttpd": 413, "cgi": 413, "apache-fcgid": 500, "apache-proxy-fcgi": 411, "apache-cgi": 411}[k]
    t.is_(st, want, "%s: a chunked body a byte over the limit gets %d" % (k, want))

    addrs = s.listen_addresses()
    t.ok(("tcp", "127.0.0.1", s.port) in addrs and all(a[1] == "127.0.0.1" for a in addrs),
         "%s: listens on 127.0.0.1 only" % k, "listening: %r" % addrs)


def main():
    harness.exit_on_signals()
    builddir, srcdir = harness.dirs_from_environment()
    responder = os.path.join(builddir, "bench", "trivial_fcgi")
    t = harness.Tap()
    if not os.access(responder, os.X_OK):
        t.bail("%s is not built (make bench/trivial_fcgi)" % responder)
    workdir = harness.make_workdir()
    try:
        conf = harness.make_env(builddir, workdir, keys=["key-1"])
        for kind in KINDS:
            try:
                with harness.servers([kind], builddir, srcdir, workdir, responder, conf,
                                     body_limit=BODY_LIMIT) as (s,):
                    t.ok(True, "%s: started on %s" % (kind, s.base_url))
                    try:
                        check_server(t, s, conf)
                    except Exception as exc:  # a broken exchange: say so, go on
                        t.ok(False, "%s: checks ran to the end" % kind, "%s: %s\n%s" %
                             (type(exc).__name__, exc, s.error_log(20)))
            except harness.ServerUnavailable as exc:
                t.skip("%s: started" % kind, str(exc))
            except harness.ServerError as exc:
                t.ok(False, "%s: started" % kind, str(exc))
    finally:
        harness.remove_workdir(workdir)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
