"""harness.py — real web servers in front of a responder, for the HTTP tests.

Starts lighttpd (mod_fastcgi), Apache with mod_fcgid, Apache with
mod_proxy_fcgi and a fixed responder pool, and lighttpd running the
responder as plain CGI, each on 127.0.0.1 only, each with the configuration
shipped in apache-conf/ rendered as it is (only its @PLACEHOLDERS@ filled
in) plus a minimal server skeleton of our own (server root, pid file, logs,
the listening address, the modules to load). Python 3 standard library only.

    import harness
    workdir = harness.make_workdir()
    conf = harness.make_env(builddir, workdir, hub="TestHubName",
                            anonymous=False, keys=["k1"])
    with harness.servers(["lighttpd", "apache-fcgid", "cgi"], builddir,
                         srcdir, workdir, responder, conf) as srvs:
        for s in srvs:
            st, hdrs, body = harness.request(s.base_url, "GET",
                "/runtime/webhooks/durabletask/instances",
                headers={"x-functions-key": "k1"})
            harness.json_body(body)
    harness.remove_workdir(workdir)

Running as root, the servers switch to www-data and so do the responders:
the workdir (and its parents) are made traversable, the environment is
created with `taskhubctl init --group www-data` (setgid 2770 directory, files
0660) and the files a responder reads are given to group www-data. As any
other user, everything runs as that user.

Server kinds (KINDS): "lighttpd", "apache-fcgid", "apache-proxy-fcgi",
"cgi" (lighttpd running the responder as CGI) and "apache-cgi" (Apache
mod_cgi from an .htaccess, as on a CGI-only shared host). A server is
started by its constructor and stopped by stop() (or a with block); stop()
is safe to call twice. Nothing listens on anything but 127.0.0.1:
Server.listen_addresses() reports every listening socket of the server's
processes, for the tests to check.

Set TASKHUB_KEEP_TEST_DIRS=1 to keep the workdir (configs and logs) after a
run, as tests/lib.sh does.

Running the programs under a tool (tests/stress/valgrind.sh): TH_WRAP is a
command prefix (shell words, e.g. `valgrind --tool=memcheck ...`) put in
front of every responder a server starts, through a small script placed
where the server expects the responder (wrap_responder), and in front of
taskhubd (tests/e2e/daemon.py). Each wrapped command sets TH_WRAP_TAG, a
name unique across the run (valgrind's --log-file=DIR/%q{TH_WRAP_TAG}.log
gives one log per process). TH_TIMEOUT_SCALE multiplies the tests'
timeouts (servers' and daemon's start and stop, HTTP requests, waits for
instances) for such a slow run; unset, nothing changes.
"""

import contextlib
import grp
import http.client
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

LIGHTTPD = "/usr/sbin/lighttpd"
APACHE = "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"
WWW_USER = "www-data"


def timeout_scale():
    """TH_TIMEOUT_SCALE (a factor for every timeout of the tests), 1 unset."""
    return float(os.environ.get("TH_TIMEOUT_SCALE") or 1)


def sanitizer_env():
    """The sanitizers' options of the caller's environment (scripts/test-all
    sends every report to files it then counts), for the servers to hand
    on to the responders (lighttpd's FastCGI processes inherit its
    environment) and for taskhubd."""
    return {k: v for k, v in os.environ.items() if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")}


# Not LeakSanitizer: a responder whose environment another process's crash
# panicked keeps Berkeley DB's handles of it (they cannot be closed), and
# the crash tests make that happen on purpose. The test programs, taskhubd
# (libdb's own allocations suppressed, scripts/test-all) and the fault
# sweeps check leaks; tests/stress/valgrind.sh checks the responders'.
SANITIZER_MARKS = re.compile(r"ERROR: AddressSanitizer|runtime error:")


def keep_sanitizer_reports(path, origin):
    """Copies the log at path into $TH_SANITIZER_REPORTS (scripts/test-all
    counts what is there) when it holds a sanitizer report: responders write
    theirs to stderr, which the web servers put in their error logs."""
    out = os.environ.get("TH_SANITIZER_REPORTS")
    if not out:
        return
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return
    if SANITIZER_MARKS.search(text):
        dst = os.path.join(out, "%s-%d-%d.log" % (origin, os.getpid(), time.time_ns()))
        with open(dst, "w") as f:
            f.write("from %s\n%s" % (path, text))


def wrap_prefix():
    """TH_WRAP as a list of words (empty unset): the command every
    responder and taskhubd run under."""
    return shlex.split(os.environ.get("TH_WRAP") or "")


START_TIMEOUT = 10.0 * timeout_scale()  # seconds a server has to answer on its port
STOP_TIMEOUT = 5.0 * timeout_scale()  # seconds between SIGTERM and SIGKILL

BASE_PATHS = ("/runtime/webhooks/durabletask", "/admin/extensions/DurableTaskExtension")


class ServerError(RuntimeError):
    """A server would not start; the message ends with its error log."""


class ServerUnavailable(ServerError):
    """The server binary or a module it needs is not installed."""


# ---- users and permissions -------------------------------------------------


def is_root():
    return os.geteuid() == 0


def server_user():
    """The user the servers and responders run as: www-data when root."""
    return WWW_USER if is_root() else pwd.getpwuid(os.geteuid()).pw_name


def _ids():
    """(uid, gid) of server_user()."""
    pw = pwd.getpwnam(server_user())
    return pw.pw_uid, pw.pw_gid


def _give(path, mode=None, owner=False):
    """Gives path to the server user's group (and user, with owner=True)
    when root; sets mode if given."""
    if is_root():
        uid, gid = _ids()
        os.chown(path, uid if owner else -1, gid)
    if mode is not None:
        os.chmod(path, mode)


def make_traversable(path):
    """Adds search permission for others on path and each parent that lacks
    it (root only; nothing else changes), so that www-data can reach path."""
    if not is_root():
        return
    p = os.path.abspath(path)
    while True:
        st = os.stat(p)
        if stat.S_ISDIR(st.st_mode) and not st.st_mode & stat.S_IXOTH:
            os.chmod(p, stat.S_IMODE(st.st_mode) | stat.S_IXOTH)
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent


def make_workdir(prefix="taskhub-http-"):
    """A fresh temporary directory, traversable by the server user."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    make_traversable(d)
    return d


def remove_workdir(workdir):
    """Removes workdir, unless TASKHUB_KEEP_TEST_DIRS is set."""
    if os.environ.get("TASKHUB_KEEP_TEST_DIRS"):
        sys.stdout.write("# kept %s\n" % workdir)
        return
    shutil.rmtree(workdir, ignore_errors=True)


# ---- the taskhub environment ----------------------------------------------


def make_env(builddir, workdir, hub="TestHubName", anonymous=False, keys=("testkey",),
             durability="write-nosync", body_max=1048576, extra=None):
    """Writes WORKDIR/taskhub.conf and WORKDIR/keys, creates the environment
    (WORKDIR/env) and the hub with taskhubctl, and returns the conf path.

    keys: the system keys, one per line of the keys file. extra: more
    `key = value` settings (a dict). When root the environment is shared
    with www-data (init --group www-data) and the conf, keys and run
    directory belong to group www-data."""
    workdir = os.path.abspath(workdir)
    make_traversable(workdir)
    conf = os.path.join(workdir, "taskhub.conf")
    keys_file = os.path.join(workdir, "keys")
    rundir = os.path.join(workdir, "run")
    os.makedirs(rundir, exist_ok=True)
    _give(rundir, 0o2770)
    with open(keys_file, "w") as f:
        f.write("# system keys for the tests\n")
        for k in keys:
            f.write(k + "\n")
    _give(keys_file, 0o640)
    settings = {
        "home": os.path.join(workdir, "env"),
        "hub": hub,
        "base-path": BASE_PATHS[0],
        "keys-file": keys_file,
        "wake-socket": os.path.join(rundir, "wake.sock"),
        "body-max": str(body_max),
        "anonymous": "yes" if anonymous else "no",
        "durability": durability,
    }
    if is_root():
        settings["group"] = WWW_USER
    settings.update(extra or {})
    with open(conf, "w") as f:
        f.write("# written by tests/http/harness.py\n")
        for k, v in settings.items():
            f.write("%s = %s\n" % (k, v))
    _give(conf, 0o640)
    cmd = [os.path.join(builddir, "taskhubctl"), "-c", conf, "init"]
    if is_root():
        cmd += ["--group", WWW_USER]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stdout))
    return conf


# ---- HTTP client -----------------------------------------------------------


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base_url, method, path, headers=None, body=None, timeout=10):
    """One HTTP request on a fresh connection.

    path is sent as given (percent-encode it yourself); body may be bytes,
    str (UTF-8) or a JSON-able dict/list (then Content-Type defaults to
    application/json). Returns (status, headers, body bytes); headers is a
    dict with lower-case names, repeated headers joined with ", ", and
    empty values kept as ""."""
    m = re.match(r"http://([^:/]+):(\d+)$", base_url.rstrip("/"))
    if not m:
        raise ValueError("base_url must be http://HOST:PORT, not %r" % base_url)
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode("utf-8")
        if not any(k.lower() == "content-type" for k in hdrs):
            hdrs["Content-Type"] = "application/json"
    elif isinstance(body, str):
        body = body.encode("utf-8")
    conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        out = {}
        for k, v in resp.getheaders():
            k = k.lower()
            out[k] = out[k] + ", " + v if k in out else v
        return resp.status, out, data
    finally:
        conn.close()


def json_body(body):
    """The body parsed as JSON (None for an empty body)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if body.strip() == "":
        return None
    return json.loads(body)


# ---- configuration templates ----------------------------------------------


def render(text, values):
    """Replaces each @NAME@ of text with values[NAME]; every placeholder
    must be filled."""
    def sub(m):
        if m.group(1) not in values:
            raise KeyError("no value for placeholder @%s@" % m.group(1))
        return str(values[m.group(1)])
    return re.sub(r"@([A-Z][A-Z0-9_]*)@", sub, text)


def _block(text, name):
    """(before, inside, after) of the `## ---- NAME ----` block of text."""
    m = re.search(r"^## ---- %s ----\n(.*?)^## ---- end %s ----\n" % (re.escape(name), re.escape(name)),
                  text, re.S | re.M)
    if not m:
        raise ValueError("no '## ---- %s ----' block in the template" % name)
    return text[:m.start()], m.group(1), text[m.end():]


def lighttpd_cgi_variant(text):
    """The shipped lighttpd template switched to its CGI alternative, as its
    comments tell an operator to: the FastCGI block removed, the CGI block's
    setting lines uncommented (a single '#' followed by neither a space nor
    another '#'; lines starting '# ' are explanations)."""
    before, _, after = _block(text, "taskhub fastcgi")
    text = before + after
    before, inside, after = _block(text, "taskhub cgi")
    lines = [ln[1:] if re.match(r"#[^ #\n]", ln) else ln for ln in inside.splitlines(True)]
    return before + "".join(lines) + after


def _template(srcdir, name):
    with open(os.path.join(srcdir, "apache-conf", name)) as f:
        return f.read()


def _is_libtool_wrapper(path):
    with open(path, "rb") as f:
        head = f.read(4096)
    return head.startswith(b"#!") and b"libtool" in head


def wrapped_command(program, builddir, tag=None):
    """The argv that runs program under TH_WRAP: the prefix, then program;
    a libtool wrapper script is run through the build's libtool
    (--mode=execute puts the real binary, not the shell script, under the
    tool). With tag, TH_WRAP_TAG=tag is set by env(1) in the command
    itself, whatever environment the caller gives it. Just [program] when
    TH_WRAP is unset."""
    prefix = wrap_prefix()
    if not prefix:
        return [program]
    tool = shutil.which(prefix[0]) or prefix[0]
    cmd = [tool] + prefix[1:] + [program]
    if _is_libtool_wrapper(program):
        cmd = [os.path.join(builddir, "libtool"), "--mode=execute"] + cmd
    if tag is not None:
        cmd = ["env", "TH_WRAP_TAG=" + tag] + cmd
    return cmd


def wrap_tag(role):
    """A TH_WRAP_TAG value unique across a run (PIDs are reused)."""
    return "%s-%d-%d" % (role, os.getpid(), time.time_ns())


def wrap_responder(path, builddir, script):
    """With TH_WRAP set, writes a shell script at `script` that runs the
    responder at `path` under it (the web server starts the script; exec
    keeps the FastCGI socket on fd 0 and the environment) and returns the
    script's path; returns path unchanged otherwise."""
    if not wrap_prefix():
        return path
    words = " ".join(shlex.quote(w) for w in wrapped_command(path, builddir))
    with open(script, "w") as f:
        f.write("#!/bin/sh\n# written by tests/http/harness.py: the responder under TH_WRAP\n"
                "TH_WRAP_TAG=taskhub.fcgi-$$-$(date +%%s%%N)\nexport TH_WRAP_TAG\n"
                "exec %s \"$@\"\n" % words)
    os.chmod(script, 0o755)
    return script


# ---- processes -------------------------------------------------------------


def _children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def process_tree(pids):
    """pids and all their descendants, as a sorted list."""
    kids = _children_map()
    seen, todo = set(), list(pids)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(kids.get(p, []))
    return sorted(seen)


def _hex_addr(h, v6):
    raw = bytes.fromhex(h)
    if not v6:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc/net/tcp6: four 32-bit words, each in host (little-endian) order.
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, raw)


def listen_addresses(pids):
    """Every listening TCP socket and bound UDP socket held open by one of
    pids: a sorted list of (proto, address, port)."""
    inodes = set()
    for p in pids:
        try:
            fds = os.listdir("/proc/%d/fd" % p)
        except OSError:
            continue
        for fd in fds:
            try:
                t = os.readlink("/proc/%d/fd/%s" % (p, fd))
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]", t)
            if m:
                inodes.add(m.group(1))
    out = set()
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open("/proc/net/" + proto) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if inode not in inodes:
                continue
            if proto.startswith("tcp") and state != "0A":  # TCP_LISTEN
                continue
            addr, port = local.split(":")
            if proto.startswith("udp") and int(port, 16) == 0:
                continue
            out.add((proto, _hex_addr(addr, proto.endswith("6")), int(port, 16)))
    return sorted(out)


def _wait_port(port, proc, pids, deadline):
    """True once one of pids() listens on 127.0.0.1:port and answers a
    connection (so a stranger that took the port in the meantime is not
    mistaken for our server); False if proc exits or the deadline passes."""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if ("tcp", "127.0.0.1", port) in listen_addresses(pids()):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                pass
        time.sleep(0.05)
    return False


def _terminate(proc, timeout=STOP_TIMEOUT):
    """SIGTERM to proc, SIGKILL to its process group after timeout."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


# ---- servers ---------------------------------------------------------------


class Server:
    """A web server in front of a responder, on 127.0.0.1:port.

    constructor(builddir, srcdir, workdir, responder_path, conf_path,
    port=None, body_limit=1048576, extras=()): renders the shipped template
    and the skeleton into WORKDIR/<kind>/, starts the server and waits until
    the port answers (ServerError otherwise, with the error log). body_limit
    is the server's request body limit in bytes (a multiple of 1024).
    extras: more shipped templates to include after the main one, as
    (file name in apache-conf/, {PLACEHOLDER: value}) pairs; they also get
    the main template's values (apache-conf/*-httpstart*.conf).

    Attributes: kind, port, base_url ("http://127.0.0.1:PORT"), dir (its
    own directory: configs, error.log), responder (the path the server
    runs), proc (the Popen of the server's main process)."""

    kind = None
    binary = None

    def __init__(self, builddir, srcdir, workdir, responder_path, conf_path, port=None, body_limit=1048576,
                 extras=()):
        self.extras = list(extras)
        self.builddir = os.path.abspath(builddir)
        self.srcdir = os.path.abspath(srcdir)
        self.workdir = os.path.abspath(workdir)
        self.conf_path = os.path.abspath(conf_path)
        self.body_limit = body_limit
        self.proc = None
        self.dir = os.path.join(self.workdir, self.kind)
        missing = self.missing()
        if missing:
            raise ServerUnavailable("%s: %s is not installed" % (self.kind, missing))
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(os.path.join(self.dir, "htdocs"))
        os.makedirs(os.path.join(self.dir, "run"))
        os.makedirs(os.path.join(self.dir, "tmp"))
        for d in ("", "run", "tmp"):
            _give(os.path.join(self.dir, d), 0o755 if d == "" else 0o770, owner=True)
        make_traversable(self.dir)
        self.responder = self._wrap(self._place_responder(os.path.abspath(responder_path)))
        # A free port may be taken by someone else before the server binds
        # it: try another (unless the caller chose the port).
        for attempt in range(1 if port else 3):
            self.port = port or free_port()
            self.base_url = "http://127.0.0.1:%d" % self.port
            try:
                self._start()
                return
            except ServerError as exc:
                self.stop()
                if port or attempt == 2 or "Address already in use" not in str(exc):
                    raise
                for name in ("error.log", "server.out"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(os.path.join(self.dir, name))
            except BaseException:
                self.stop()
                raise

    # -- what subclasses provide

    @classmethod
    def missing(cls):
        """The first required file that is not installed, or None."""
        return None if os.access(cls.binary, os.X_OK) else cls.binary

    def _command(self):
        raise NotImplementedError

    def _write_config(self):
        raise NotImplementedError

    # -- common machinery

    def _write_extras(self, values):
        """Renders each extra template (extras: (file name in apache-conf/,
        more placeholder values)) beside the shipped one, with the shipped
        template's values too; the paths, for the skeleton to include."""
        paths = []
        for name, more in self.extras:
            v = dict(values)
            v.update(more)
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                f.write(render(_template(self.srcdir, name), v))
            paths.append(path)
        return paths

    def _place_responder(self, path):
        """A copy of the responder in our directory (the build tree may not
        be reachable by www-data); a libtool wrapper script is used in place,
        its directories made traversable instead."""
        if _is_libtool_wrapper(path):
            make_traversable(os.path.dirname(path))
            return path
        d = os.path.join(self.dir, "cgi-bin")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        dst = os.path.join(d, os.path.basename(path))
        shutil.copy2(path, dst)
        os.chmod(dst, 0o755)
        return dst

    def _wrap(self, placed):
        """The responder the server runs: placed itself, or with TH_WRAP a
        script in its place that runs placed (a copy is renamed *.real so
        that the script keeps the name the configuration expects)."""
        if not wrap_prefix():
            return placed
        if os.path.dirname(placed).startswith(self.dir + os.sep):
            real = placed + ".real"
            os.rename(placed, real)
            return wrap_responder(real, self.builddir, placed)
        d = os.path.join(self.dir, "cgi-bin")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        return wrap_responder(placed, self.builddir, os.path.join(d, os.path.basename(placed)))

    def _start(self):
        self._write_config()
        self.log = open(os.path.join(self.dir, "server.out"), "wb")
        self.proc = subprocess.Popen(self._command(), cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     env=self._environment(), start_new_session=True)
        if not _wait_port(self.port, self.proc, self.pids, time.monotonic() + START_TIMEOUT):
            raise ServerError("%s did not answer on 127.0.0.1:%d within %.0f s\n%s" %
                              (self.kind, self.port, START_TIMEOUT, self.error_log(40)))

    def _environment(self):
        # A small, predictable environment: no TASKHUB_* override leaks in.
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
        env.update(sanitizer_env())
        return env

    def pids(self):
        """The server's processes (with its responders), while it runs."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        return process_tree([self.proc.pid])

    def listen_addresses(self):
        """(proto, address, port) of every socket the server's processes
        listen on."""
        return listen_addresses(self.pids())

    def error_log(self, lines=None):
        """The server's error log and console output (the last lines)."""
        text = ""
        for name in ("error.log", "server.out"):
            p = os.path.join(self.dir, name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    text += "--- %s\n%s" % (name, f.read())
        if lines:
            text = "\n".join(text.splitlines()[-lines:])
        return text

    def stop(self):
        """SIGTERM, wait, SIGKILL to the process group after STOP_TIMEOUT."""
        _terminate(self.proc)
        if getattr(self, "log", None) is not None:
            self.log.close()
            self.log = None
        for name in ("error.log", "server.out"):
            keep_sanitizer_reports(os.path.join(self.dir, name), self.kind)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return "<%s %s>" % (self.kind, self.base_url)


class Lighttpd(Server):
    """lighttpd with mod_fastcgi, spawning the responder itself
    (apache-conf/lighttpd-taskhub.conf)."""

    kind = "lighttpd"
    binary = LIGHTTPD
    template = "lighttpd-taskhub.conf"

    def _template_text(self):
        return _template(self.srcdir, self.template)

    def _write_config(self):
        if self.body_limit % 1024:
            raise ValueError("lighttpd counts the body limit in KiB: use a multiple of 1024")
        values = {
            "RESPONDER": self.responder,
            "TASKHUB_CONF": self.conf_path,
            "RUNDIR": os.path.join(self.dir, "run"),
            "BODY_LIMIT_KB": self.body_limit // 1024,
        }
        shipped = render(self._template_text(), values)
        with open(os.path.join(self.dir, "lighttpd-taskhub.conf"), "w") as f:
            f.write(shipped)
        extra = "".join('include "%s"\n' % p for p in self._write_extras(values))
        user = ""
        if is_root():
            user = 'server.username = "%s"\nserver.groupname = "%s"\n' % (
                WWW_USER, grp.getgrgid(_ids()[1]).gr_name)
        skeleton = """# written by tests/http/harness.py
server.document-root = "{d}/htdocs"
server.bind = "127.0.0.1"
server.port = {port}
server.use-ipv6 = "disable"
server.pid-file = "{d}/lighttpd.pid"
server.errorlog = "{d}/error.log"
server.upload-dirs = ( "{d}/tmp" )
{user}include "{d}/lighttpd-taskhub.conf"
{extra}""".format(d=self.dir, port=self.port, user=user, extra=extra)
        with open(os.path.join(self.dir, "lighttpd.conf"), "w") as f:
            f.write(skeleton)

    def _command(self):
        return [LIGHTTPD, "-D", "-f", os.path.join(self.dir, "lighttpd.conf")]


class Cgi(Lighttpd):
    """lighttpd with mod_cgi, starting the responder once per request: the
    CGI alternative of apache-conf/lighttpd-taskhub.conf, switched on as its
    comments say."""

    kind = "cgi"

    def _template_text(self):
        return lighttpd_cgi_variant(_template(self.srcdir, self.template))


class _Apache(Server):
    """The Apache skeleton shared by both Apache kinds: a self-contained
    apache2.conf (no /etc/apache2, no APACHE_* variables), event MPM, run
    in the foreground."""

    binary = APACHE
    modules = ()  # (module name, file) beyond the skeleton's own
    template = None
    mpm = ("mpm_event_module", "mod_mpm_event.so")
    mpm_settings = """StartServers 1
ServerLimit 1
ThreadsPerChild 32
MaxRequestWorkers 32
MinSpareThreads 4
MaxSpareThreads 32"""

    @classmethod
    def missing(cls):
        m = super().missing()
        if m:
            return m
        for _, f in cls.modules:
            p = os.path.join(APACHE_MODULES, f)
            if not os.path.exists(p):
                return p
        return None

    def _values(self):
        raise NotImplementedError

    def _extra_skeleton(self):
        return ""

    def _shipped_path(self):
        """Where the rendered template goes."""
        return os.path.join(self.dir, self.template)

    def _include(self):
        return 'Include "%s"' % self._shipped_path()

    def _write_config(self):
        shipped = render(_template(self.srcdir, self.template), self._values())
        with open(self._shipped_path(), "w") as f:
            f.write(shipped)
        include = self._include() + "".join('\nInclude "%s"' % p for p in self._write_extras(self._values()))
        mods = [self.mpm, ("authz_core_module", "mod_authz_core.so")]
        mods += list(self.modules)
        load = "".join('LoadModule %s "%s/%s"\n' % (n, APACHE_MODULES, f) for n, f in mods)
        user = ""
        if is_root():
            user = "User %s\nGroup %s\n" % (WWW_USER, grp.getgrgid(_ids()[1]).gr_name)
        skeleton = """# written by tests/http/harness.py
ServerRoot "{d}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{d}/apache2.pid"
DefaultRuntimeDir "{d}/run"
Mutex file:{d}/run default
ErrorLog "{d}/error.log"
LogLevel warn
LogFormat "%h \\"%r\\" %>s %b %D" short
CustomLog "{d}/access.log" short
{load}{user}
{mpm_settings}
Timeout 60
KeepAlive Off
DocumentRoot "{d}/htdocs"
<Directory />
	AllowOverride None
	Require all denied
</Directory>
# Apache looks PATH_INFO up under the document root to fill in
# PATH_TRANSLATED for every request; an empty, readable root keeps that
# from logging an access error each time.
<Directory "{d}/htdocs">
	Require all granted
</Directory>
{extra}
{include}
""".format(d=self.dir, port=self.port, load=load, user=user, extra=self._extra_skeleton(),
           mpm_settings=self.mpm_settings, include=include)
        with open(os.path.join(self.dir, "apache2.conf"), "w") as f:
            f.write(skeleton)

    def _command(self):
        return [APACHE, "-d", self.dir, "-f", os.path.join(self.dir, "apache2.conf"), "-DFOREGROUND"]


class ApacheFcgid(_Apache):
    """Apache with mod_fcgid spawning the responder
    (apache-conf/apache-taskhub-fcgid.conf)."""

    kind = "apache-fcgid"
    template = "apache-taskhub-fcgid.conf"
    modules = (("alias_module", "mod_alias.so"), ("rewrite_module", "mod_rewrite.so"), ("fcgid_module", "mod_fcgid.so"))

    def _values(self):
        return {"RESPONDER": self.responder, "TASKHUB_CONF": self.conf_path, "BODY_LIMIT": self.body_limit}

    def _extra_skeleton(self):
        # mod_fcgid's sockets and shared process table, away from the
        # system Apache's (/var/lib/apache2/fcgid).
        return 'FcgidIPCDir "{d}/run/fcgid"\nFcgidProcessTableFile "{d}/run/fcgid_shm"\n'.format(d=self.dir)


class ApacheProxyFcgi(_Apache):
    """Apache with mod_proxy_fcgi in front of a fixed pool of responders
    listening on one UNIX socket (apache-conf/apache-taskhub-proxy-fcgi.conf).
    The pool is started here as spawn-fcgi would: the listening socket on
    fd 0 of `pool_size` processes, TASKHUB_CONF in their environment."""

    kind = "apache-proxy-fcgi"
    template = "apache-taskhub-proxy-fcgi.conf"
    modules = (("proxy_module", "mod_proxy.so"), ("proxy_fcgi_module", "mod_proxy_fcgi.so"),
               ("rewrite_module", "mod_rewrite.so"))
    pool_size = 4

    def _values(self):
        return {"SOCKET": self.socket_path, "BODY_LIMIT": self.body_limit}

    def _start(self):
        self.pool = []
        self.socket_path = os.path.join(self.dir, "run", "taskhub.sock")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            lsock.bind(self.socket_path)
            lsock.listen(128)
            _give(self.socket_path, 0o660, owner=True)
            env = self._environment()
            env["TASKHUB_CONF"] = self.conf_path
            kw = {}
            if is_root():
                uid, gid = _ids()
                kw = {"user": uid, "group": gid, "extra_groups": []}
            for _ in range(self.pool_size):
                self.pool.append(subprocess.Popen([self.responder], stdin=lsock.fileno(),
                                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                                  cwd=self.dir, env=env, start_new_session=True, **kw))
        finally:
            lsock.close()
        super()._start()

    def pids(self):
        pool = [p.pid for p in getattr(self, "pool", []) if p.poll() is None]
        return sorted(set(super().pids() + process_tree(pool)))

    def stop(self):
        super().stop()
        for p in getattr(self, "pool", []):
            _terminate(p)
        self.pool = []


class ApacheCgi(_Apache):
    """Apache with mod_cgi as a CGI-only shared host has it: the responder
    in the document root's cgi-bin/ as taskhub.cgi, and the shipped
    apache-conf/apache-taskhub-cgi.htaccess as the document root's
    .htaccess. The responder sees SCRIPT_NAME = /cgi-bin/taskhub.cgi and
    PATH_INFO = base path + route (REQUEST_URI is the client's)."""

    kind = "apache-cgi"
    template = "apache-taskhub-cgi.htaccess"
    modules = (("mime_module", "mod_mime.so"), ("env_module", "mod_env.so"),
               ("rewrite_module", "mod_rewrite.so"), ("cgi_module", "mod_cgi.so"))
    # mod_cgi forks from the serving process: a non-threaded MPM.
    mpm = ("mpm_prefork_module", "mod_mpm_prefork.so")
    mpm_settings = """StartServers 2
MinSpareServers 2
MaxSpareServers 8
ServerLimit 16
MaxRequestWorkers 16"""
    script_name = "/cgi-bin/taskhub.cgi"

    def _place_responder(self, path):
        d = os.path.join(self.dir, "htdocs", "cgi-bin")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        dst = os.path.join(d, "taskhub.cgi")
        shutil.copy2(path, dst)
        os.chmod(dst, 0o755)
        return dst

    def _values(self):
        return {"TASKHUB_CONF": self.conf_path, "CGI_PATH": "cgi-bin/taskhub.cgi", "BODY_LIMIT": self.body_limit}

    def _shipped_path(self):
        return os.path.join(self.dir, "htdocs", ".htaccess")

    def _include(self):
        return ""

    def _extra_skeleton(self):
        # What a shared host provides: .htaccess allowed, cgi-bin runs .cgi.
        return """TypesConfig /dev/null
<Directory "{d}/htdocs">
	AllowOverride FileInfo AuthConfig Limit
</Directory>
<Directory "{d}/htdocs/cgi-bin">
	Options +ExecCGI
	AddHandler cgi-script .cgi
</Directory>
""".format(d=self.dir)


KINDS = {
    "lighttpd": Lighttpd,
    "apache-fcgid": ApacheFcgid,
    "apache-proxy-fcgi": ApacheProxyFcgi,
    "cgi": Cgi,
    "apache-cgi": ApacheCgi,
}


@contextlib.contextmanager
def servers(kinds, builddir, srcdir, workdir, responder_path, conf_path, **kw):
    """Starts a server of each kind (names of KINDS or Server classes), each
    on its own free port, yields them as a list in that order, and stops
    every one that started however the block ends. kw goes to each
    constructor (body_limit)."""
    started = []
    try:
        for k in kinds:
            cls = KINDS[k] if isinstance(k, str) else k
            started.append(cls(builddir, srcdir, workdir, responder_path, conf_path, **kw))
        yield started
    finally:
        for s in reversed(started):
            s.stop()


def exit_on_signals():
    """Turns SIGTERM, SIGHUP and SIGINT into SystemExit, so that the with
    blocks and finally clauses stop the servers and remove the workdir when
    a test is interrupted (make check killed, ^C). Call it once, early."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, handler)


# ---- TAP -------------------------------------------------------------------


class Tap:
    """Test Anything Protocol output for Automake's tap-driver.sh: numbered
    "ok N - ..." lines, the plan at the end (done())."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None, todo=None):
        """One check; diag is shown when it fails. With todo (a reason) a
        failure is expected and not counted (TAP's TODO: Automake reports
        XFAIL, and XPASS, which fails the run, once it starts to pass)."""
        self.n += 1
        suffix = " # TODO %s" % todo if todo else ""
        if cond:
            print("ok %d - %s%s" % (self.n, desc, suffix))
        else:
            if not todo:
                self.failed += 1
            print("not ok %d - %s%s" % (self.n, desc, suffix))
            if diag:
                self.diag(diag)
        sys.stdout.flush()
        return bool(cond)

    def is_(self, got, want, desc, todo=None):
        return self.ok(got == want, desc, "     got: %r\n    want: %r" % (got, want), todo=todo)

    def skip(self, desc, reason):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, desc, reason))
        sys.stdout.flush()

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line)
        sys.stdout.flush()

    def bail(self, text):
        print("Bail out! " + str(text).splitlines()[0] if text else "Bail out!")
        self.diag(text)
        sys.exit(1)

    def done(self):
        print("1..%d" % self.n)
        if self.failed:
            self.diag("%d of %d checks failed" % (self.failed, self.n))
        sys.stdout.flush()
        return 0 if self.failed == 0 else 1


def dirs_from_environment():
    """(builddir, srcdir) from top_builddir / top_srcdir (set by Automake's
    harness), else guessed from this file's location (a build in the source
    tree)."""
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(here, "..", ".."))
    build = os.environ.get("top_builddir") or src
    return os.path.abspath(build), os.path.abspath(src)
