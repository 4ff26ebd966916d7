/*
 * store_txn.c — the one transaction wrapper. Every state change in taskhub
 * runs through store_txn_run(): begin, run the body, commit; on deadlock or
 * lock timeout abort first, then run the body again, a bounded number of
 * times (the Berkeley DB txn_guide pattern), and report STORE_BUSY past
 * that bound.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "store/store_int.h"

/* Short randomised pause so that two losers of a deadlock do not collide
 * again in lockstep. Grows with the attempt number, capped at ~20 ms. */
static void
store_txn_backoff(unsigned attempt)
{
	struct timespec ts;
	unsigned us = 100u << (attempt < 8 ? attempt : 8);

	if (us > 20000)
		us = 20000;
	us = us / 2 + (unsigned)(rand() % (int)(us / 2 + 1));
	ts.tv_sec = 0;
	ts.tv_nsec = (long)us * 1000;
	nanosleep(&ts, NULL);
}

/* The watchdog's clock (store_env.c compares against the same one). */
static int64_t
store_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Commits txn. With full durability a writing transaction commits without
 * syncing and then flushes the log: its locks are released before the
 * flush, so concurrent writers are not serialised behind each other's
 * fdatasync and their flushes batch. The caller still returns only after
 * the log is on disk. (Another process may read the data in the moment
 * before the flush; the write-ahead log's order means that anything it
 * commits later cannot survive a power loss that this commit does not.)
 */
static int
store_txn_commit(struct store *st, DB_TXN *txn, unsigned flags)
{
	int ret;

	/* An injected commit failure ends the transaction, as a real one does. */
	if (!(flags & STORE_TXN_READONLY) && (ret = store_fault_write()) != 0) {
		txn->abort(txn);
		return ret;
	}
	if (st->opt.durability != STORE_DURABLE_FULL || (flags & STORE_TXN_READONLY))
		return txn->commit(txn, 0);
	if ((ret = txn->commit(txn, DB_TXN_WRITE_NOSYNC)) != 0)
		return ret;
	return st->env->log_flush(st->env, NULL);
}

void
store_txn_watch(struct store_txn *tx, int on)
{
	__atomic_store_n(&tx->st->attempt_since, on ? store_mono_us() : 0, __ATOMIC_RELAXED);
}

enum store_err
store_txn_run(struct store *st, unsigned flags, store_txn_fn fn, void *arg)
{
	struct store_txn tx;
	enum store_err e = STORE_BUSY;
	unsigned attempt;
	int ret;

	if (!(flags & (STORE_TXN_READONLY | STORE_TXN_NOGROW)) && store_space_check(st, 0) != STORE_OK)
		return STORE_NOSPACE;
	tx.st = st;
	tx.flags = flags;
	codec_buf_init(&tx.buf, STORE_MAX_RECORD);
	for (attempt = 0; attempt < st->opt.max_retries; attempt++) {
		/* The watch covers the reopen too: closing handles on a
		 * recovered environment can block on the old region's mutexes. */
		__atomic_store_n(&st->attempt_since, store_mono_us(), __ATOMIC_RELAXED);
		if (st->panic && (e = store_reopen(st)) != STORE_OK) {
			/* A reopen that timed out behind a live lock holder is one
			 * more attempt, not the end. */
			if (e != STORE_RETRY)
				break;
			store_txn_backoff(attempt);
			continue;
		}
		__atomic_store_n(&st->attempt_since, store_mono_us(), __ATOMIC_RELAXED);
		/* Read-only bodies run at degree 2 so long scans do not hold read
		 * locks that would stall writers. */
		ret = st->env->txn_begin(st->env, NULL, &tx.txn, (flags & STORE_TXN_READONLY) ? DB_READ_COMMITTED : 0);
		if (ret != 0) {
			e = store_dberr(st, ret);
			if (e == STORE_RETRY)
				continue;
			break;
		}
		e = fn(&tx, arg);
		if (e == STORE_OK) {
			ret = store_txn_commit(st, tx.txn, flags);
			e = store_dberr(st, ret);
			if (e != STORE_RETRY)
				break;
			/* A failed commit has already ended the transaction. */
		} else {
			tx.txn->abort(tx.txn);
			if (e != STORE_RETRY)
				break;
		}
		/* Deadlock, lock timeout or panic. A timeout may mean the lock
		 * holder is dead: reopening makes the DB_REGISTER check, which
		 * runs recovery if a registered process died (the others see
		 * the panic and reopen in turn). */
		if (st->lock_timeout) {
			st->lock_timeout = 0;
			st->panic = 1;
		}
		__atomic_store_n(&st->attempt_since, 0, __ATOMIC_RELAXED);
		store_txn_backoff(attempt);
		e = STORE_BUSY;
	}
	__atomic_store_n(&st->attempt_since, 0, __ATOMIC_RELAXED);
	if (e == STORE_RETRY)
		e = STORE_BUSY;
	codec_buf_free(&tx.buf);
	return e;
}

int
store_cursor_close(DBC *c, int ret)
{
	int cret = c->close(c);

	if (ret != 0 && ret != DB_NOTFOUND)
		return ret;
	return cret != 0 ? cret : ret;
}
