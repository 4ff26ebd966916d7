/*
 * worker.c — activity threads. A mutex and a condition variable guard the
 * job lists; a pipe tells the scheduler's poll() that results are waiting,
 * one byte per batch of results rather than per job.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/runexe.h"
#include "daemon/worker.h"

struct worker_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct worker_job *todo_head, *todo_tail;
	struct worker_job *done_head, *done_tail;
	size_t outstanding; /* submitted, not yet taken back */
	int stop;
	int notified; /* a byte is in the pipe and not yet drained */
	int pipefd[2];
	pthread_t *threads;
	unsigned nthreads;
};

void
worker_job_free(struct worker_job *j)
{
	if (j == NULL)
		return;
	free(j->instance_id);
	free(j->execution_id);
	free(j->name);
	free(j->input);
	free(j->exe);
	free(j->cwd);
	free(j->hub_name);
	free(j->request);
	free(j->reply);
	free(j->fatal);
	sdk_activity_result_clear(&j->res);
	free(j);
}

/* Called with mu held. */
static void
worker_done_locked(struct worker_pool *p, struct worker_job *j)
{
	char c = 1;

	j->next = NULL;
	if (p->done_tail != NULL)
		p->done_tail->next = j;
	else
		p->done_head = j;
	p->done_tail = j;
	if (!p->notified) {
		p->notified = 1;
		/* The pipe is non-blocking; one byte is enough. */
		if (write(p->pipefd[1], &c, 1) == -1 && errno != EAGAIN)
			log_warn("worker notify");
	}
}

static void *
worker_main(void *arg)
{
	struct worker_pool *p = arg;
	struct worker_job *j;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->todo_head == NULL && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->todo_head == NULL)
			break; /* stopping with nothing left to run */
		j = p->todo_head;
		p->todo_head = j->next;
		if (p->todo_head == NULL)
			p->todo_tail = NULL;
		if (p->stop) {
			j->res.ok = -1; /* not run: the task stays for the next start */
			worker_done_locked(p, j);
			continue;
		}
		pthread_mutex_unlock(&p->mu);
		if (j->kind == WORKER_ORCHESTRATOR || j->kind == WORKER_ENTITY)
			runexe_orchestrator(j); /* both: a request in, a reply out */
		else if (j->exe != NULL)
			runexe_activity(j);
		else if (j->fn != NULL)
			sdk_activity_run(j->fn, j->name, j->instance_id, j->input, &j->res);
		pthread_mutex_lock(&p->mu);
		worker_done_locked(p, j);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct worker_pool *
worker_start(unsigned n)
{
	struct worker_pool *p;
	sigset_t all, old;

	if ((p = calloc(1, sizeof(*p))) == NULL || (p->threads = calloc(n, sizeof(pthread_t))) == NULL) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pipe2(p->pipefd, O_CLOEXEC | O_NONBLOCK) == -1) {
		free(p->threads);
		free(p);
		return NULL;
	}
	/* Signals stay with the scheduler thread (its self-pipe). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < n; i++) {
		if (pthread_create(&p->threads[p->nthreads], NULL, worker_main, p) != 0) {
			log_warnx("could start only %u of %u activity threads", p->nthreads, n);
			break;
		}
		p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (p->nthreads == 0) {
		close(p->pipefd[0]);
		close(p->pipefd[1]);
		free(p->threads);
		free(p);
		return NULL;
	}
	return p;
}

int
worker_notify_fd(const struct worker_pool *p)
{
	return p->pipefd[0];
}

void
worker_submit(struct worker_pool *p, struct worker_job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->todo_tail != NULL)
		p->todo_tail->next = j;
	else
		p->todo_head = j;
	p->todo_tail = j;
	p->outstanding++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

struct worker_job *
worker_take_done(struct worker_pool *p)
{
	struct worker_job *list, *j;
	char buf[64];

	pthread_mutex_lock(&p->mu);
	list = p->done_head;
	p->done_head = p->done_tail = NULL;
	for (j = list; j != NULL; j = j->next)
		p->outstanding--;
	if (p->notified) {
		while (read(p->pipefd[0], buf, sizeof(buf)) > 0)
			;
		p->notified = 0;
	}
	pthread_mutex_unlock(&p->mu);
	return list;
}

size_t
worker_busy(const struct worker_pool *p)
{
	return p->outstanding;
}

int
worker_stop(struct worker_pool *p, unsigned grace_ms)
{
	struct timespec until;

	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += grace_ms / 1000;
	until.tv_nsec += (long)(grace_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	for (unsigned i = 0; i < p->nthreads; i++)
		if (pthread_timedjoin_np(p->threads[i], NULL, &until) != 0) {
			/* An activity that does not return: its task is still in
			 * the store and runs again after the next start. */
			log_warnx("an activity is still running after %u ms; stopping without it", grace_ms);
			return -1;
		}
	p->nthreads = 0;
	return 0;
}

void
worker_free(struct worker_pool *p)
{
	struct worker_job *j;

	if (p == NULL)
		return;
	while ((j = p->todo_head) != NULL) {
		p->todo_head = j->next;
		worker_job_free(j);
	}
	while ((j = p->done_head) != NULL) {
		p->done_head = j->next;
		worker_job_free(j);
	}
	close(p->pipefd[0]);
	close(p->pipefd[1]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->threads);
	free(p);
}
