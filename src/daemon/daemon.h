/*
 * daemon.h — taskhubd's shared state. One scheduler thread owns the store
 * handle and every queue below; activity worker threads only run user code
 * and hand results back through worker.h. So nothing here is locked.
 *
 * Ownership: struct daemon owns everything it points to; strings in queue
 * entries are owned by their entry.
 */
#ifndef TH_DAEMON_H
#define TH_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "common/hostjson.h"
#include "daemon/app.h"
#include "daemon/hcache.h"
#include "daemon/sset.h"
#include "daemon/worker.h"
#include "store/store.h"

#define DAEMON_MAX_HUBS 64

struct daemon_hub {
	char name[64];
	struct store_hub *h;
};

/* An instance waiting for an orchestration episode. */
struct daemon_ready {
	struct daemon_ready *next;
	int hub;
	char *id;
};

/* An executable orchestrator's episode between its two transactions: the
 * first read what the child needs and prepared its request; the child
 * ran outside any transaction (worker.h); the second replays its reply,
 * provided the instance did not change meanwhile (same execution, same
 * history length), consuming exactly the inbox events the child saw. */
struct daemon_prep {
	struct daemon_prep *next;
	int hub;
	char *id, *exec, *name;
	uint32_t nhist;
	size_t ninbox;
	int64_t now;
	char *reply, *fatal; /* the child's stdout, or why there is none */
	size_t reply_len;
};

/* An executable entity's batch between its two transactions (entity_exe.c):
 * the first read the first n inbox operations and built the request; the
 * second applies the child's reply if the entity did not change meanwhile
 * (same lastOperationTime), consuming exactly those n. */
struct daemon_entprep {
	struct daemon_entprep *next;
	int hub;
	char *id;
	int64_t last_op; /* 0: no state when read */
	size_t n;
	char *reply, *fatal;
	size_t reply_len;
};

struct daemon {
	struct conf conf;
	struct store *st;
	struct app app;
	struct daemon_hub hubs[DAEMON_MAX_HUBS];
	size_t nhubs;

	/* entity work: FIFO of "@name@key" with operations, deduplicated */
	struct daemon_ready *ent_head, *ent_tail;
	struct sset ent_set;

	/* orchestration work: FIFO of instances, deduplicated by ready_set */
	struct daemon_ready *ready_head, *ready_tail;
	struct sset ready_set;

	/* activity work handed to the workers, by "hub/seq", so that a rescan
	 * never dispatches a task twice */
	struct sset tasks_inflight;
	int tasks_deferred; /* tasks were left in the store for want of room */
	struct worker_pool *pool;
	struct worker_job *results, *results_tail; /* finished, not yet recorded */
	/* executable orchestrators: instances whose episode is with a child or
	 * waiting for its second transaction (orch_busy), those that got new
	 * events meanwhile (orch_dirty), and the finished ones (prep_*) */
	struct sset orch_busy, orch_dirty;
	struct daemon_prep *prep_head, *prep_tail;
	struct daemon_entprep *entprep; /* executable entities' batches back from their child */
	struct hcache *hc; /* recent histories (hcache.h) */

	int64_t next_timer; /* earliest due timer over all hubs, µs; 0 = none */
	int rescan;         /* 1: look at the ready queues; 2: and at tasks and timers */
	int rescan_more;    /* the last rescan saw a full page of ready instances */
	int64_t rescan_every_us, maintain_every_us;
	int64_t next_rescan, next_maintain;
	volatile int stopping;

	uint64_t episodes, activities, timers_fired, entity_ops; /* counters for the log */
};

/* sched.c: queues */
void sched_ready_push(struct daemon *d, int hub, const char *id);
/* Takes the oldest entry of a FIFO: its ID (malloc'd, the caller's) and
 * hub; NULL when empty. */
char *sched_fifo_pop(struct daemon_ready **head, struct daemon_ready **tail, struct sset *set, int *hub);
int sched_hub_index(struct daemon *d, const char *name);
void sched_refresh_hubs(struct daemon *d);
void sched_rescan(struct daemon *d, int full);
void sched_timers(struct daemon *d);
void sched_collect(struct daemon *d);
void sched_prep_free(struct daemon_prep *p);
void sched_orch_done(struct daemon *d, int hub, const char *id);
enum store_err sched_results_record(struct store_txn *tx, struct daemon *d);
void sched_results_done(struct daemon *d, int recorded);
void sched_results_commit(struct daemon *d);
void sched_dispatch_task(struct daemon *d, int hub, const struct store_task *t);
int sched_exe_job(struct daemon *d, int hub, const struct app_fn *fn, struct worker_job *j);
int sched_publish(struct daemon *d);

/* episode.c: runs up to max queued orchestration episodes in one
 * transaction; returns how many ran. */
size_t episode_run_batch(struct daemon *d, size_t max);

/* entity.c: applies the operations of up to max queued entities in one
 * transaction; returns how many entities were looked at. */
size_t entity_run_batch(struct daemon *d, size_t max);

#endif
