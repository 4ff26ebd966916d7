/*
 * store_int.h — what the files of src/store share: the handles behind the
 * opaque types of store.h, key layouts, and the Berkeley DB error mapping.
 * Never included outside src/store/ (and the store's own tests).
 */
#ifndef TH_STORE_INT_H
#define TH_STORE_INT_H

#include <db.h>
#include <pthread.h>

#include "store/store.h"
#include "store/store_codec.h"

/* A record (value) may hold a few payloads; this bounds one encoding. */
#define STORE_MAX_RECORD (4 * STORE_MAX_PAYLOAD + 65536)

struct store_hub {
	struct store *st;
	char name[64];   /* as created */
	char file[80];   /* hub_<lowercase name>.db */
	DB *instances;   /* instanceId -> instance record */
	DB *idx_created; /* secondary: be64(created) ‖ instanceId */
	DB *idx_status;  /* secondary: status ‖ be64(created) ‖ instanceId */
	DB *history;     /* instanceId ‖ 0 ‖ be32(seq) -> event */
	DB *inbox;       /* instanceId ‖ 0 ‖ be64(seq) -> event */
	DB *ready;       /* instanceId -> ready time */
	DB *ready_time;  /* secondary: be64(ready time) ‖ instanceId */
	DB *tasks;       /* be64(seq) -> activity task */
	DB *timers;      /* be64(fireAt) ‖ instanceId ‖ 0 ‖ be32(timerId) -> event */
	DB *functions;   /* kind ‖ lowercase name -> function */
	DB *entities;    /* lowercase name ‖ 0 ‖ key -> entity */
	DB *meta;        /* name -> value (schema version) */
	struct store_hub *next;
};

struct store {
	DB_ENV *env;
	char *home;
	struct store_options opt;
	DB *catalog; /* the hubs: lowercase name -> created time ‖ name as created */
	struct store_hub *hubs;
	int panic;        /* DB_RUNRECOVERY, or a lock timeout: reopen before the next transaction */
	int space_low;    /* the last space check failed (logged once until room returns) */
	int panicked;     /* Berkeley DB said DB_RUNRECOVERY since the last open */
	int worn;         /* a panicked environment was reopened (store_worn) */
	int lock_timeout; /* the last attempt ended in a lock timeout */
	/* The lock-timeout watchdog (store_env.c): Berkeley DB only checks
	 * lock timeouts when its deadlock detector runs, so each process runs
	 * it periodically; otherwise a waiter blocked on a dead process's lock
	 * would sleep forever. */
	pthread_t detector;
	DB_ENV *detector_env; /* the watchdog's own handle (joined, not registered) */
	pthread_mutex_t detector_mu;
	pthread_cond_t detector_cv;
	int detector_running, detector_stop;
	/* Stall watch (store_env.c): when the current transaction attempt
	 * began (monotonic µs, 0 = none), read by a thread of its own that
	 * lives from store_open() to store_close() — unlike the lock watchdog
	 * it is not stopped while a reopen closes handles, which is one of the
	 * places a dead process's mutex can block. */
	int64_t attempt_since;
	pthread_t stall_thread;
	pthread_mutex_t stall_mu;
	pthread_cond_t stall_cv;
	int stall_running, stall_stop;
};

struct store_txn {
	struct store *st;
	DB_TXN *txn;
	unsigned flags;
	struct codec_buf buf; /* scratch encoding buffer, reused by verbs */
};

/* Maps a Berkeley DB return to the domain: deadlock and lock timeout become
 * STORE_RETRY, DB_RUNRECOVERY marks the store for reopening. */
enum store_err store_dberr(struct store *st, int ret);

/* store_space.c: gives the region files of home their blocks; 0 or an
 * errno (ENOSPC). */
int store_space_back_regions(const char *home);
/* STORE_OK while min_free_bytes (plus, with for_regions, the size of the
 * region files, which a recovery recreates) are free; else STORE_NOSPACE. */
enum store_err store_space_check(struct store *st, int for_regions);

/*
 * Every Berkeley DB write (put, delete, cursor delete) is written
 * STORE_WRITE(db->put(...)), and commits go through store_txn_commit: under
 * --enable-fault-inject the write chosen by TASKHUB_FAULT returns the error
 * configured (DB_LOCK_DEADLOCK, ENOSPC, EIO) without reaching the database,
 * so the tests see every caller's handling of a failed write.
 */
#ifdef TH_FAULT_INJECT
/* 0, or the Berkeley DB error this write is to fail with. */
int store_fault_write(void);
#define STORE_WRITE(call)                                                                                   \
	__extension__({                                                                                     \
		int store_fault_ = store_fault_write();                                                     \
		store_fault_ != 0 ? store_fault_ : (call);                                                  \
	})
#else
#define store_fault_write() 0
#define STORE_WRITE(call) (call)
#endif

/* Closes a cursor and folds its result into ret (the last cursor call's):
 * closing a cursor that deleted records can itself deadlock, and that must
 * reach the retry wrapper. An earlier real error wins; DB_NOTFOUND does not. */
int store_cursor_close(DBC *c, int ret);

/* After a panic: close every handle and open again (store_env.c). */
enum store_err store_reopen(struct store *st);

/* Opens or creates the databases of one hub inside txn. */
enum store_err store_hub_open_dbs(struct store *st, struct store_hub *h, DB_TXN *txn, int create);
/* nosync: abandoning the handles (reopen): flush nothing, since a page a
 * dead process held would make the flush wait for ever; the log has it. */
void store_hub_close_dbs(struct store_hub *h, int nosync);
/* Closes h's handles, or with retire hands each to it instead (the handles
 * of a panicked environment, which cannot be closed: store_env.c). */
void store_hub_release_dbs(struct store_hub *h, int nosync, void (*retire)(void *handle));

/* ---- keys (store_key.c) -------------------------------------------------- */

/* A key buffer: big enough for any key (ID 256 + name 256 + integers). */
#define KEY_MAX 1100
struct store_key {
	unsigned char b[KEY_MAX];
	size_t len;
};
/* id ‖ 0 ‖ be32(seq) */
void key_history(struct store_key *k, const char *id, uint32_t seq);
/* id ‖ 0 ‖ be64(seq) */
void key_inbox(struct store_key *k, const char *id, uint64_t seq);
/* id ‖ 0: the start of an instance's range in history and inbox */
void key_prefix0(struct store_key *k, const char *id);
/* id ‖ 1: just past an instance's range */
void key_prefix1(struct store_key *k, const char *id);
/* be64(fireAt) ‖ id ‖ 0 ‖ be32(timerId) */
void key_timer(struct store_key *k, int64_t fire_at, const char *id, int32_t timer_id);
/* kind ‖ lowercase(name) */
void key_function(struct store_key *k, int kind, const char *name);
/* lowercase(name) ‖ 0 ‖ key */
void key_entity(struct store_key *k, const char *name, const char *ekey);
void key_u64(struct store_key *k, uint64_t v);

/* Continuation tokens: opaque base64url of a kind byte, a key and a check
 * value. token_make returns a malloc'd string (NULL on ENOMEM). */
enum token_kind {
	TOKEN_CREATED = 1, /* instances by idx_created */
	TOKEN_STATUS = 2,  /* instances by idx_status */
	TOKEN_PREFIX = 3,  /* instances by ID */
	TOKEN_ENTITY = 4,  /* entities by name ‖ key */
	TOKEN_HISTORY = 5, /* history position: be32(seq) */
};
char *token_make(int kind, const void *key, size_t len);
/* Decodes tok into key (cap KEY_MAX); STORE_INVALID if malformed, tampered
 * with, or of another kind. */
enum store_err token_parse(const char *tok, int kind, struct store_key *key);

#endif
