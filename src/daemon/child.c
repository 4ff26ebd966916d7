/*
 * child.c — fork, exec and supervise one function child.
 *
 * The child gets a process group of its own (setpgid), so the whole tree
 * it starts can be killed with one kill(-pgid); PR_SET_PDEATHSIG, so that
 * it dies with the daemon's worker thread; every descriptor but its three
 * pipes closed; the given environment only. The parent multiplexes
 * writing stdin and reading stdout/stderr with poll(), and watches the
 * child's exit through a pidfd, so a grandchild holding the pipes open
 * cannot make it wait for ever: once the child has exited, whatever is
 * left of its group is killed and reported.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/timeutil.h"
#include "daemon/child.h"

#define CHILD_DRAIN_US 200000 /* after the exit: how long pipes may stay open */

void
child_result_clear(struct child_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static int
child_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Appends up to what the cap allows; returns 1 when more came than fits. */
static int
child_take(int fd, char **buf, size_t *len, size_t max, int *open_)
{
	char tmp[65536];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		*open_ = 0;
		return 0;
	}
	if (n < 0)
		return 0;
	if (*len + (size_t)n > max) {
		size_t fit = max - *len;
		if (fit > 0) {
			memcpy(*buf + *len, tmp, fit);
			*len += fit;
		}
		return 1;
	}
	memcpy(*buf + *len, tmp, (size_t)n);
	*len += (size_t)n;
	return 0;
}

/* The supervisor's reaction to the daemon's death (its parent-death
 * signal): the whole process group goes, itself included. */
static void
child_group_die(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
	_exit(137);
}

/*
 * Runs in the forked child. It becomes a small supervisor: the leader of
 * a new process group, with a parent-death signal whose handler kills the
 * group, so that when taskhubd dies — even by kill -9 — everything the
 * function started in its group dies too (a parent-death signal alone
 * would reach only the direct child). The function itself runs in a
 * second child (exec), and the supervisor exits as that child did, so the
 * daemon sees the function's own wait status. Only async-signal-safe calls
 * here: the daemon is threaded.
 */
static void
child_exec(const struct child_spec *s, int in, int out, int err, pid_t daemon_pid)
{
	struct sigaction sa;
	char *argv[2];
	sigset_t none;
	pid_t fn;
	int status;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child_group_die;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != daemon_pid)
		child_group_die(0); /* the daemon died before the prctl */
	/* The worker thread blocks every signal; unblock (execve keeps it). */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(err, 2) == -1)
		_exit(126);
	/* Nothing of the daemon's (store files, sockets, the lock) reaches
	 * the function. */
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3, ~0U, 0) == -1)
#endif
	{
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			close((int)fd);
	}
	if (s->cwd != NULL && chdir(s->cwd) == -1) {
		static const char m[] = "cannot enter the function's folder\n";
		(void)!write(2, m, sizeof(m) - 1);
		_exit(126);
	}
	if ((fn = fork()) == -1)
		_exit(126);
	if (fn == 0) {
		/* The function: default signals, and death with its supervisor. */
		sa.sa_handler = SIG_DFL;
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		argv[0] = (char *)s->path;
		argv[1] = NULL;
		execve(s->path, argv, s->env);
		{
			static const char m[] = "cannot execute the function's scriptFile\n";
			(void)!write(2, m, sizeof(m) - 1);
		}
		_exit(127);
	}
	/* The supervisor holds no pipe end the function needs to see closed. */
	close(0);
	close(1);
	close(2);
	while (waitpid(fn, &status, 0) == -1)
		if (errno != EINTR)
			_exit(126);
	if (WIFSIGNALED(status)) {
		/* Die the same way, so the daemon reads the function's status. */
		sa.sa_handler = SIG_DFL;
		sigaction(WTERMSIG(status), &sa, NULL);
		kill(getpid(), WTERMSIG(status));
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 126);
}

int
child_run(const struct child_spec *s, struct child_result *r)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1}, pfd = -1;
	int out_open = 1, err_open = 1, in_open = 1, exited = 0, status = 0;
	size_t written = 0;
	int64_t deadline, drain_until = 0;
	pid_t pid, self;

	memset(r, 0, sizeof(*r));
	if ((r->out = malloc(s->out_max + 1)) == NULL || (r->err = malloc(s->err_max + 1)) == NULL) {
		snprintf(r->reason, sizeof(r->reason), "out of memory");
		return -1;
	}
	if (pipe2(pin, O_CLOEXEC) == -1 || pipe2(pout, O_CLOEXEC) == -1 || pipe2(perr, O_CLOEXEC) == -1) {
		snprintf(r->reason, sizeof(r->reason), "pipe: %s", strerror(errno));
		goto fail;
	}
	self = getpid();
	pid = fork();
	if (pid == 0)
		child_exec(s, pin[0], pout[1], perr[1], self);
	if (pid == -1) {
		snprintf(r->reason, sizeof(r->reason), "fork: %s", strerror(errno));
		goto fail;
	}
	/* Both sides set the group, so that a kill right after fork finds it. */
	setpgid(pid, pid);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	pin[0] = pout[1] = perr[1] = -1;
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	fcntl(pout[0], F_SETFL, O_NONBLOCK);
	fcntl(perr[0], F_SETFL, O_NONBLOCK);
	pfd = child_pidfd(pid);
	deadline = s->timeout_us > 0 ? time_mono_us() + s->timeout_us : 0;
	if (s->input_len == 0) {
		close(pin[1]);
		pin[1] = -1;
		in_open = 0;
	}

	while (!exited || out_open || err_open) {
		struct pollfd pf[4];
		int n = 0, ix_in = -1, ix_out = -1, ix_err = -1, ix_pid = -1, wait_ms = 100;
		int64_t now = time_mono_us();

		if (deadline != 0 && now >= deadline && !r->timed_out) {
			r->timed_out = 1;
			kill(-pid, SIGKILL);
		}
		if (exited && drain_until != 0 && now >= drain_until) {
			/* The child is gone but its pipes are still held open: a
			 * process it left behind. */
			r->leftover = 1;
			kill(-pid, SIGKILL);
			break;
		}
		if (in_open) {
			pf[n].fd = pin[1];
			pf[n].events = POLLOUT;
			ix_in = n++;
		}
		if (out_open) {
			pf[n].fd = pout[0];
			pf[n].events = POLLIN;
			ix_out = n++;
		}
		if (err_open) {
			pf[n].fd = perr[0];
			pf[n].events = POLLIN;
			ix_err = n++;
		}
		if (!exited && pfd >= 0) {
			pf[n].fd = pfd;
			pf[n].events = POLLIN;
			ix_pid = n++;
		}
		if (deadline != 0 && !r->timed_out && (deadline - now) / 1000 < wait_ms)
			wait_ms = (int)((deadline - now) / 1000) + 1;
		if (poll(pf, (nfds_t)n, wait_ms) == -1 && errno != EINTR) {
			kill(-pid, SIGKILL); /* the wait below must not block */
			break;
		}
		if (ix_in >= 0 && (pf[ix_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(pin[1], s->input + written, s->input_len - written);
			if (w > 0)
				written += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == s->input_len) {
				close(pin[1]); /* EOF: the request is complete */
				pin[1] = -1;
				in_open = 0;
			}
		}
		if (ix_out >= 0 && (pf[ix_out].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    child_take(pout[0], &r->out, &r->out_len, s->out_max, &out_open) && !r->overflow) {
			r->overflow = 1;
			kill(-pid, SIGKILL);
		}
		if (ix_err >= 0 && (pf[ix_err].revents & (POLLIN | POLLHUP | POLLERR)))
			(void)child_take(perr[0], &r->err, &r->err_len, s->err_max, &err_open); /* cut, not fatal */
		if (!exited && (ix_pid < 0 || (pf[ix_pid].revents & POLLIN))) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid) {
				exited = 1;
				drain_until = time_mono_us() + CHILD_DRAIN_US;
			}
		}
	}
	if (!exited)
		waitpid(pid, &status, 0);
	/* Anything still in the group outlived the child: kill it, and say so. */
	if (kill(-pid, 0) == 0) {
		r->leftover = 1;
		kill(-pid, SIGKILL);
	}
	r->out[r->out_len] = '\0';
	r->err[r->err_len] = '\0';
	if (WIFEXITED(status)) {
		r->exited = 1;
		r->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status))
		r->signal = WTERMSIG(status);
	if (r->timed_out)
		snprintf(r->reason, sizeof(r->reason), "did not finish within %lld ms (killed)",
			 (long long)(s->timeout_us / 1000));
	else if (r->overflow)
		snprintf(r->reason, sizeof(r->reason), "printed more than %zu bytes (killed)", s->out_max);
	else if (r->leftover)
		snprintf(r->reason, sizeof(r->reason), "left a process running after it exited (killed)");
	else if (r->signal)
		snprintf(r->reason, sizeof(r->reason), "was killed by signal %d", r->signal);
	else if (r->exit_code != 0)
		snprintf(r->reason, sizeof(r->reason), "exited with status %d", r->exit_code);
	if (pfd >= 0)
		close(pfd);
	if (pin[1] >= 0)
		close(pin[1]);
	close(pout[0]);
	close(perr[0]);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	return -1;
}
