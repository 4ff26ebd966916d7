/*
 * taskhubd.c — the scheduler daemon: start-up (configuration, privileges,
 * the environment, the single-daemon lock, the function app, the wake
 * socket) and the loop that sleeps in one poll() until a wake datagram, a
 * signal, a finished activity or the next due timer.
 *
 *   taskhubd [-F] [-v] [-c conf] [-a app-folder] [-u user]
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "daemon/daemon.h"
#include "daemon/wakesock.h"

#define TASKHUBD_MAINTAIN_US   (60LL * 1000000) /* checkpoint and log removal */
#define TASKHUBD_RESCAN_US     (30LL * 1000000) /* a lost wake costs at most this */
#define TASKHUBD_MAX_WORKERS   256
#define SCHED_REFILL_BELOW     512 /* half of sched.c's job bound */
#define TASKHUBD_STOP_GRACE_MS 30000 /* running activities get this long after SIGTERM */
#define TASKHUBD_BATCHES_PER_TURN 4
#define TASKHUBD_HCACHE_ENTRIES   1024
#define TASKHUBD_HCACHE_BYTES     (32u << 20) /* cached histories: bounded, whatever the app does */

static int sig_pipe[2] = {-1, -1};
static char *reexec_argv[16];
static char reexec_path[CONF_PATH_MAX]; /* the daemon's own executable */

/*
 * The store's stall watch (store.h): a dead process holds a Berkeley DB
 * mutex this process is blocked on, and only a new process can recover
 * the environment. DB_REGISTER knows processes by pid, so an exec in
 * place would be refused as the same, still registered process: a child
 * waits until this process is gone (EOF on a pipe), then executes the
 * daemon again with the same settings; this process then exits (the
 * store's _exit). Descriptors are close-on-exec, so the daemon lock and
 * the wake socket are free for the successor.
 */
static void
taskhubd_reexec(void)
{
	sigset_t none;
	pid_t pid;
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1)
		return; /* the store exits anyway; a supervisor may restart us */
	if (pid > 0)
		return;
	close(p[1]);
	while (read(p[0], &c, 1) == -1 && errno == EINTR)
		;
	/* The watchdog thread that forked blocks every signal; the new image
	 * must not inherit that. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(reexec_path, reexec_argv);
	_exit(127);
}

/* The command line a successor runs: the same settings, paths made
 * absolute (a detached daemon's working directory is /). */
static void
taskhubd_reexec_argv(const char *conf_path, const char *app_dir, const char *user, int foreground, int verbose)
{
	static char conf_abs[CONF_PATH_MAX];
	size_t n = 0;

	/* The real path, not /proc/self/exe: that would rename the process
	 * "exe" for ps and pgrep. */
	ssize_t len = readlink("/proc/self/exe", reexec_path, sizeof(reexec_path) - 1);
	reexec_path[len > 0 ? len : 0] = '\0';
	reexec_argv[n++] = "taskhubd";
	if (foreground)
		reexec_argv[n++] = "-F";
	for (int i = 0; i < verbose && i < 2; i++)
		reexec_argv[n++] = "-v";
	if (conf_path != NULL) {
		reexec_argv[n++] = "-c";
		reexec_argv[n++] = realpath(conf_path, conf_abs) != NULL ? conf_abs : (char *)conf_path;
	}
	if (app_dir != NULL) {
		reexec_argv[n++] = "-a";
		reexec_argv[n++] = (char *)app_dir; /* already absolute */
	}
	if (user != NULL) {
		reexec_argv[n++] = "-u";
		reexec_argv[n++] = (char *)user;
	}
	reexec_argv[n] = NULL;
}

static void
taskhubd_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	/* Non-blocking: a full pipe already says the same. */
	(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

static void
taskhubd_usage(void)
{
	fprintf(stderr, "usage: taskhubd [-F] [-v] [-c conf] [-a app-folder] [-u user]\n"
			"  -F  stay in the foreground and log to stderr (default: daemon, syslog)\n"
			"  -v  more log (repeat for debug)\n"
			"  -c  taskhub.conf (default: $TASKHUB_CONF, else " TH_SYSCONFDIR "/taskhub.conf)\n"
			"  -a  the function app folder (default: `app` in taskhub.conf)\n"
			"  -u  the user to run as; required when started as root\n");
	exit(2);
}

/* Started as root: become user (and its groups) for good, before touching
 * the environment, so that no file in it is ever created by root. */
static void
taskhubd_drop(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0) {
		if (user != NULL && ((pw = getpwnam(user)) == NULL || pw->pw_uid != geteuid()))
			fatalx("-u %s needs root (running as uid %u)", user, (unsigned)geteuid());
		return;
	}
	if (user == NULL)
		fatalx("refusing to run as root: give the user to run as with -u");
	if ((pw = getpwnam(user)) == NULL)
		fatalx("no such user: %s", user);
	if (pw->pw_uid == 0)
		fatalx("refusing to run as root: -u %s is root", user);
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
		fatal("cannot switch to user %s", user);
	if (setuid(0) != -1)
		fatalx("privileges could be regained after switching to %s", user);
}

static void
taskhubd_daemonize(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		fatal("setsid");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/* One daemon per environment: an flock on a file in it, held for the
 * life of the process (and dropped by the kernel when it dies). -1, said
 * in the log, when it cannot be taken. */
static int
taskhubd_lock(const char *home)
{
	char path[CONF_PATH_MAX + 32], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/taskhubd.lock", home);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		log_warnx("another taskhubd (pid %s) is running on %s", pid[0] ? pid : "?", home);
		close(fd);
		return -1;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, strlen(pid), 0) == -1)
		log_warn("%s", path);
	return fd;
}

static void
taskhubd_signals(void)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = taskhubd_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* SIGHUP: load the app folder again and republish. Objects already loaded
 * stay mapped (app.h), so nothing in flight loses its code. */
static void
taskhubd_reload(struct daemon *d, const char *dir, unsigned ncpu)
{
	struct app fresh;

	if (app_load(dir, ncpu, &fresh) == -1) {
		log_warnx("reload: %s is unusable; keeping the functions loaded before", dir);
		return;
	}
	app_free(&d->app);
	d->app = fresh;
	sched_publish(d);
	log_info("reloaded %s: %zu functions, %u skipped", dir, d->app.n, d->app.skipped);
}

/* An interval from the environment, in µs, at most a day. */
static int64_t
taskhubd_seconds(const char *s)
{
	long long v = atoll(s);

	if (v > 86400)
		v = 86400;
	return (int64_t)v * 1000000;
}

static int
taskhubd_timeout_ms(struct daemon *d, int64_t now)
{
	int64_t until = d->next_rescan;

	if (d->ready_head != NULL || d->results != NULL || d->prep_head != NULL || d->ent_head != NULL ||
	    d->entprep != NULL || d->rescan)
		return 0;
	if (d->next_maintain < until)
		until = d->next_maintain;
	if (d->next_timer != 0 && d->next_timer < until)
		until = d->next_timer;
	if (until <= now)
		return 0;
	/* A timer years away still wakes the loop hourly (and never as a
	 * negative, endless timeout). */
	if (until - now > 3600LL * 1000000)
		return 3600 * 1000;
	/* Round up: waking a little after a timer is due, not just before. */
	return (int)((until - now + 999) / 1000);
}

static void
taskhubd_loop(struct daemon *d, int wfd, const char *app_dir, unsigned ncpu)
{
	struct pollfd pf[3];
	int64_t now;

	while (!d->stopping) {
		sched_collect(d);
		sched_timers(d);
		if (d->rescan) {
			int full = d->rescan > 1;
			d->rescan = 0;
			sched_rescan(d, full);
		}
		/* Activity results ride in the first batch's transaction. */
		for (int k = 0; k < TASKHUBD_BATCHES_PER_TURN &&
				(d->ready_head != NULL || d->results != NULL || d->prep_head != NULL);
		     k++)
			episode_run_batch(d, d->app.host.max_orchestrators);
		for (int k = 0; k < TASKHUBD_BATCHES_PER_TURN && (d->ent_head != NULL || d->entprep != NULL); k++)
			entity_run_batch(d, d->app.host.max_entities);
		if (d->ready_head == NULL && d->rescan_more) {
			d->rescan_more = 0;
			d->rescan = 1;
		}
		/* The workers caught up with a backlog left in the store. */
		if (d->tasks_deferred && worker_busy(d->pool) < SCHED_REFILL_BELOW) {
			d->tasks_deferred = 0;
			d->rescan = 2;
		}
		now = time_now_us();
		if (now >= d->next_maintain) {
			enum store_err e = store_maintain(d->st);
			static int worn_said;
			if (store_worn(d->st) && !worn_said) {
				worn_said = 1;
				log_warnx("the environment was recovered under this daemon after a crash: it keeps the old "
					  "regions mapped until it is restarted");
			}
			if (e != STORE_OK)
				log_warnx("maintenance: %s", store_strerror(e));
			else
				log_debug("maintenance: checkpoint taken, log files no longer needed removed");
			d->next_maintain = now + d->maintain_every_us;
		}
		if (now >= d->next_rescan) {
			d->rescan = 2;
			d->next_rescan = now + d->rescan_every_us;
		}
		pf[0].fd = sig_pipe[0];
		pf[1].fd = worker_notify_fd(d->pool);
		pf[2].fd = wfd;
		for (int i = 0; i < 3; i++) {
			pf[i].events = POLLIN;
			pf[i].revents = 0;
		}
		if (poll(pf, wfd >= 0 ? 3 : 2, taskhubd_timeout_ms(d, now)) == -1) {
			if (errno != EINTR)
				fatal("poll");
			continue;
		}
		if (pf[0].revents & POLLIN) {
			unsigned char sig;
			while (read(sig_pipe[0], &sig, 1) == 1) {
				if (sig == SIGHUP)
					taskhubd_reload(d, app_dir, ncpu);
				else {
					log_info("signal %d: finishing the work in flight and stopping", sig);
					d->stopping = 1;
				}
			}
		}
		if (wfd >= 0 && (pf[2].revents & POLLIN) && wakesock_drain(wfd) > 0 && d->rescan == 0)
			d->rescan = 1;
	}
}

int
main(int argc, char **argv)
{
	struct daemon d;
	struct store_options o;
	const char *conf_path = NULL, *app_dir = NULL, *user = NULL, *env;
	static char app_abs[CONF_PATH_MAX];
	char err[512];
	int ch, foreground = 0, verbose = 0, lockfd, wfd;
	unsigned ncpu, nworkers;
	enum store_err e;

	/* Descriptors 0-2 exist, so that no pipe of ours is ever taken for a
	 * child's stdio (child.c dup2s onto them). */
	{
		int fd;
		while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
			;
		if (fd > 2)
			close(fd);
	}
	/* A successor of a stalled daemon inherits a full signal mask (see
	 * taskhubd_reexec); start from a clean one. */
	{
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	while ((ch = getopt(argc, argv, "Fvc:a:u:h")) != -1) {
		switch (ch) {
		case 'F':
			foreground = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 'a':
			app_dir = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		default:
			taskhubd_usage();
		}
	}
	if (optind != argc)
		taskhubd_usage();
	log_init("taskhubd", 0);
	log_verbose(verbose);
	memset(&d, 0, sizeof(d));
	conf_defaults(&d.conf);
	if (conf_load(&d.conf, conf_path, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (app_dir == NULL)
		app_dir = d.conf.app[0] != '\0' ? d.conf.app : NULL;
	/* Absolute, so that SIGHUP reloads and a successor still find it
	 * after a detached daemon's chdir("/"). */
	if (app_dir != NULL && realpath(app_dir, app_abs) != NULL)
		app_dir = app_abs;
	taskhubd_reexec_argv(conf_path, app_dir, user, foreground, verbose);
	taskhubd_drop(user);
	if (!foreground) {
		taskhubd_daemonize();
		log_init("taskhubd", 1);
	}
	if (d.conf.group[0] != '\0')
		umask(007); /* the environment is shared with the web server's group */

	/* The environment first: opening it runs recovery after a crash. */
	store_options_init(&o);
	o.durability = (enum store_durability)store_durability_parse(d.conf.durability);
	o.group_shared = d.conf.group[0] != '\0';
	o.on_stall = taskhubd_reexec;
	if ((env = getenv("TASKHUB_STALL_MS")) != NULL && atol(env) > 0)
		o.stall_ms = (unsigned)atol(env); /* tests: a short watch */
	if ((e = store_open(d.conf.home, &o, &d.st)) != STORE_OK)
		fatalx("cannot open the environment %s: %s", d.conf.home, store_strerror(e));
	/* A daemon that stops here closes the environment first: left open
	 * by an exit, its registration would make the next process to open
	 * the environment recover it, under the running daemon and every
	 * responder (each would have to reopen). */
	if ((lockfd = taskhubd_lock(d.conf.home)) == -1) {
		store_close(d.st);
		exit(1);
	}

	ncpu = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (app_dir == NULL) {
		log_warnx("no function app (-a, or `app` in taskhub.conf): nothing can run");
		hostjson_defaults(&d.app.host, ncpu);
	} else if (app_load(app_dir, ncpu, &d.app) == -1) {
		store_close(d.st);
		fatalx("cannot load the function app %s", app_dir);
	}
	log_info("function app %s: %zu functions, %u skipped", app_dir ? app_dir : "(none)", d.app.n, d.app.skipped);
	sched_refresh_hubs(&d);
	if (d.nhubs == 0)
		log_warnx("the environment %s has no task hub yet (taskhubctl hub-create)", d.conf.home);
	if (sched_publish(&d) == -1)
		log_warnx("the function registry could not be published to every hub");

	nworkers = d.app.host.max_activities;
	if (nworkers > TASKHUBD_MAX_WORKERS)
		nworkers = TASKHUBD_MAX_WORKERS;
	taskhubd_signals();
	if ((d.pool = worker_start(nworkers)) == NULL)
		fatalx("cannot start the activity threads");
	if ((d.hc = hcache_new(TASKHUBD_HCACHE_ENTRIES, TASKHUBD_HCACHE_BYTES)) == NULL)
		fatalx("out of memory");
	sset_init(&d.ready_set);
	sset_init(&d.orch_busy);
	sset_init(&d.ent_set);
	sset_init(&d.orch_dirty);
	sset_init(&d.tasks_inflight);
	d.rescan_every_us = TASKHUBD_RESCAN_US;
	if ((env = getenv("TASKHUB_RESCAN_SECONDS")) != NULL && atoll(env) > 0)
		d.rescan_every_us = taskhubd_seconds(env);
	d.maintain_every_us = TASKHUBD_MAINTAIN_US;
	if ((env = getenv("TASKHUB_MAINTAIN_SECONDS")) != NULL && atoll(env) > 0)
		d.maintain_every_us = taskhubd_seconds(env);

	/* The socket last: its presence says the daemon is ready. */
	wfd = d.conf.wake_socket[0] != '\0' ? wakesock_open(d.conf.wake_socket, d.conf.group) : -1;
	if (wfd == -1)
		log_warnx("no wake socket: new work is found by the rescan every %lld s",
			  (long long)(d.rescan_every_us / 1000000));
	log_info("ready: %s, %zu hubs, %u activity threads", d.conf.home, d.nhubs, nworkers);

	d.rescan = 2; /* everything a previous run left */
	d.next_rescan = time_now_us() + d.rescan_every_us;
	d.next_maintain = time_now_us() + d.maintain_every_us;
	taskhubd_loop(&d, wfd, app_dir, ncpu);

	/* In-flight activities finish and are recorded; queued ones stay in
	 * the store for the next start. */
	wakesock_close(wfd, d.conf.wake_socket);
	if (worker_stop(d.pool, TASKHUBD_STOP_GRACE_MS) == 0) {
		sched_collect(&d);
		sched_results_commit(&d);
		worker_free(d.pool);
	} else {
		/* Record what did finish; a thread is still inside user code,
		 * so the pool stays allocated until the process ends. */
		sched_collect(&d);
		sched_results_commit(&d);
	}
	log_info("stopped: %llu episodes, %llu activities, %llu timers, %llu entity operations",
		 (unsigned long long)d.episodes, (unsigned long long)d.activities, (unsigned long long)d.timers_fired,
		 (unsigned long long)d.entity_ops);
	while (d.ready_head != NULL) {
		struct daemon_ready *r = d.ready_head;
		d.ready_head = r->next;
		free(r->id);
		free(r);
	}
	sset_free(&d.ready_set);
	sset_free(&d.orch_busy);
	sset_free(&d.ent_set);
	while (d.ent_head != NULL) {
		struct daemon_ready *r = d.ent_head;
		d.ent_head = r->next;
		free(r->id);
		free(r);
	}
	sset_free(&d.orch_dirty);
	while (d.prep_head != NULL) {
		struct daemon_prep *p = d.prep_head;
		d.prep_head = p->next;
		sched_prep_free(p);
	}
	sset_free(&d.tasks_inflight);
	app_free(&d.app);
	hcache_free(d.hc);
	store_close(d.st);
	close(lockfd);
	return 0;
}
