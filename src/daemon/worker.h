/*
 * worker.h — the activity worker pool. The scheduler thread submits jobs;
 * N threads run the activity functions (user code, outside any
 * transaction) and put finished jobs on a done list, writing one byte to a
 * pipe that the scheduler's poll() watches. Only the scheduler touches the
 * store.
 *
 * Ownership: a submitted job belongs to the pool until it comes back from
 * worker_take_done(); then it is the caller's, freed with worker_job_free().
 */
#ifndef TH_WORKER_H
#define TH_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "sdk/sdk.h"

enum worker_kind {
	WORKER_ACTIVITY = 0,   /* an activity: res */
	WORKER_ORCHESTRATOR,   /* an executable orchestrator's episode: reply */
	WORKER_ENTITY,         /* an executable entity's batch: reply */
};

struct worker_job {
	struct worker_job *next;
	int kind; /* enum worker_kind */
	int hub;
	uint64_t seq; /* the task record */
	char *instance_id, *execution_id, *name, *input;
	int32_t task_id;
	th_activity_fn *fn; /* in-process activity; NULL with exe NULL: unknown to this app */
	/* executables (child.h): the file, its folder, the hub, the limits */
	char *exe, *cwd, *hub_name;
	int64_t timeout_us;
	struct sdk_activity_result res;
	/* orchestrator episodes: the request built before, the child's stdout
	 * (reply) or why there is none (fatal) */
	char *request, *reply, *fatal;
	size_t reply_len;
	void *episode; /* the scheduler's state of this episode (episode.c) */
};

struct worker_pool;

/* Starts n threads. NULL when none could start. */
struct worker_pool *worker_start(unsigned n);
/* The fd the scheduler polls for "jobs are done". */
int worker_notify_fd(const struct worker_pool *p);
void worker_submit(struct worker_pool *p, struct worker_job *j);
/* Takes every finished job (oldest first) and drains the notify pipe. */
struct worker_job *worker_take_done(struct worker_pool *p);
/* Jobs submitted and not yet taken back. */
size_t worker_busy(const struct worker_pool *p);
/* Lets running jobs finish, drops queued ones (returned through
 * worker_take_done as not run: res.ok = -1), and joins the threads; -1
 * when one is still running after grace_ms (the pool must then be left
 * alone, not freed). */
int worker_stop(struct worker_pool *p, unsigned grace_ms);
void worker_job_free(struct worker_job *j);
/* After worker_stop(): frees the pool and any job still in it. */
void worker_free(struct worker_pool *p);

#endif
