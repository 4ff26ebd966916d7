"""daemon.py — taskhubd for the end-to-end tests: start it on a
configuration and a function app, stop it (SIGTERM), kill it (SIGKILL),
restart it. Python 3 standard library only.

    d = Daemon(builddir, conf, install_app(app, workdir, "app"), workdir,
               env={"TASKHUB_RESCAN_SECONDS": "3600"})
    d.start()          # returns once the daemon is ready
    ...
    rc = d.stop()      # SIGTERM; its exit status (0 expected)
    d.start(app=other) # the same environment, another app folder
    d.kill()           # SIGKILL, as a crash

The command line (the daemon's contract):
    taskhubd -F -c CONF -a APPDIR [-u www-data] [-v]
-F keeps it in the foreground, logging to stderr: that goes to
WORKDIR/<name>.log, one file across restarts, each start marked in it. Run
as root, the daemon must be told whom to become (-u www-data, the user the
web servers of tests/http/harness.py run as), so the app folder is copied
into the workdir and made readable for that user (install_app).

Readiness: the daemon opens the environment, publishes the function
registry to every hub, and only then creates the wake socket (the
`wake-socket` of the configuration). start() removes a socket file left by
a killed daemon first (it would otherwise look like readiness) and waits
for the socket to appear while the process is alive.
"""

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

_HTTP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "http")
if _HTTP not in sys.path:
    sys.path.insert(0, _HTTP)
import harness  # noqa: E402  tests/http/harness.py: TH_WRAP and TH_TIMEOUT_SCALE

READY_TIMEOUT = 30.0 * harness.timeout_scale()  # seconds a daemon has to create its wake socket
STOP_TIMEOUT = 30.0 * harness.timeout_scale()  # seconds between SIGTERM and giving up (SIGKILL)
WWW_USER = "www-data"


class DaemonError(RuntimeError):
    """The daemon would not start (or stop); the message ends with its log."""


def conf_value(conf, key):
    """The value of `key = value` in a taskhub.conf, or None."""
    with open(conf) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, _, v = line.partition("=")
            if k.strip() == key:
                return v.strip()
    return None


def install_app(src, workdir, name):
    """Copies the function app folder src to WORKDIR/name (replacing it)
    and makes it readable for the daemon's user: directories 0755, files
    0644, shared objects and executables 0755. Returns the new path."""
    dst = os.path.join(os.path.abspath(workdir), name)
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    for root, dirs, files in os.walk(dst):
        os.chmod(root, 0o755)
        for f in files:
            p = os.path.join(root, f)
            # Shared objects and executable functions (scripts) stay runnable.
            runnable = f.endswith(".so") or os.stat(p).st_mode & 0o100
            os.chmod(p, 0o755 if runnable else 0o644)
    return dst


def program(builddir):
    return os.path.join(os.path.abspath(builddir), "taskhubd")


class Daemon:
    """One taskhubd on one environment. Attributes: program, conf, app,
    socket (the wake socket's path), log_path, proc (the Popen while it
    runs), starts (how many times it was started)."""

    def __init__(self, builddir, conf, app, workdir, env=None, verbose=True, name="taskhubd"):
        self.program = program(builddir)
        self.conf = os.path.abspath(conf)
        self.app = os.path.abspath(app)
        self.workdir = os.path.abspath(workdir)
        self.extra_env = dict(env or {})
        self.verbose = verbose
        self.socket = conf_value(self.conf, "wake-socket")
        if not self.socket:
            raise DaemonError("%s has no wake-socket" % self.conf)
        self.log_path = os.path.join(self.workdir, name + ".log")
        self.proc = None
        self.starts = 0

    def command(self):
        """The daemon's argv; under TH_WRAP (see tests/http/harness.py)
        the wrapper's words come first."""
        cmd = harness.wrapped_command(self.program, os.path.dirname(self.program), harness.wrap_tag("taskhubd"))
        cmd += ["-F", "-c", self.conf, "-a", self.app]
        if os.geteuid() == 0:
            cmd += ["-u", WWW_USER]
        if self.verbose:
            cmd.append("-v")
        return cmd

    def _environment(self):
        # A small, predictable environment: no TASKHUB_* override leaks in
        # from the caller's, only the ones the test asks for.
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
        env.update(harness.sanitizer_env())
        env.update(self.extra_env)
        return env

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _socket_ready(self):
        try:
            return stat.S_ISSOCK(os.stat(self.socket).st_mode)
        except OSError:
            return False

    def start(self, app=None, timeout=READY_TIMEOUT):
        """Starts the daemon (on app, when given) and waits until it is
        ready; DaemonError with the log's end when it exits first or is not
        ready within timeout."""
        if self.alive():
            raise DaemonError("taskhubd is already running (pid %d)" % self.proc.pid)
        if app is not None:
            self.app = os.path.abspath(app)
        # Only after the previous process is gone (alive() above): a socket
        # left by a killed daemon is not a sign of readiness.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket)
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(("==== start %d: %s\n" % (self.starts, " ".join(self.command()))).encode())
            log.flush()
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=self._environment(),
                                         cwd=self.workdir, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise DaemonError("taskhubd exited with %s before it was ready\n%s" % (rc, self.log_tail()))
            if self._socket_ready():
                return self
            time.sleep(0.02)
        self.kill()
        raise DaemonError("taskhubd did not create %s within %.0f s\n%s" % (self.socket, timeout, self.log_tail()))

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM and wait: the daemon's exit status (None when it was not
        running). When it does not exit within timeout it is killed and
        DaemonError is raised."""
        if self.proc is None:
            return None
        p = self.proc
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise DaemonError("taskhubd did not exit within %.0f s of SIGTERM\n%s" % (timeout, self.log_tail()))
        self.proc = None
        harness.keep_sanitizer_reports(self.log_path, "taskhubd")
        return p.returncode

    def kill(self):
        """SIGKILL to the daemon's process group (it and any function
        process it started), as a crash; waits for it."""
        if self.proc is None:
            return
        p = self.proc
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        self.proc = None

    def restart(self, app=None):
        """stop() then start(app); the exit status of the stop."""
        rc = self.stop()
        self.start(app)
        return rc

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                text = f.read()
        except OSError:
            return "(no log)"
        return "--- %s\n%s" % (self.log_path, "\n".join(text.splitlines()[-lines:]))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.stop()
        except DaemonError:
            pass
        self.kill()
