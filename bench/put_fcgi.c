/*
 * put_fcgi.c — a responder doing exactly one Berkeley DB transactional put
 * per request: the baseline that says what a durable write through the web
 * server costs before taskhub's routing, validation and codec, so the API
 * benchmark can report taskhub.fcgi's start rate as a fraction of it.
 *
 * The environment is opened as src/store/store_env.c opens a taskhub
 * environment (DB_REGISTER|DB_RECOVER, the same lock timeout, detector,
 * cache and log sizes) so that the comparison is fair; it is a plain
 * environment with one btree, not a taskhub store.
 *
 * Configured as taskhub.fcgi is, so the shipped server configurations run
 * it unchanged: `home` and `durability` of the taskhub.conf named by
 * TASKHUB_CONF, overridden by TASKHUB_HOME and TASKHUB_DURABILITY (the
 * same code, src/common/conf.c). Point it at an environment of its own (a
 * throwaway one made by `taskhubctl init`): it adds a database, put.db.
 * Each request stores its body (at most VALUE_MAX bytes), or 300 bytes of
 * filler when it has none, under a key unique to this process and request,
 * and answers 200 {"ok":true}; 503 when the put failed after the retries.
 * Runs as FastCGI with a listening socket on fd 0, as CGI otherwise (then
 * every request opens and closes the environment, as taskhub.fcgi as CGI
 * does).
 */
#include "config.h"

#include <db.h>
#include <errno.h>
#include <fcgiapp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/conf.h"

#define VALUE_MAX     65536 /* bytes of a request body stored at most */
#define FILLER_LEN    300   /* the size of a typical instance record */
#define MAX_ATTEMPTS  20    /* store_options_init: max_retries */
#define LOCK_TIMEOUT  500   /* ms; store_options_init: lock_timeout_ms */
#define OPEN_ATTEMPTS 5

struct put_state {
	DB_ENV *env;
	DB *db;
	const char *home;
	int durability; /* 0 full, 1 write-nosync, 2 nosync */
	uint64_t seq;
};

static void
put_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	fprintf(stderr, "put_fcgi: berkeley db: %s\n", msg);
}

/* Recovery's progress messages would go to stdout, which in CGI mode is
 * the response. */
static void
put_msgcall(const DB_ENV *env, const char *msg)
{
	(void)env;
	fprintf(stderr, "put_fcgi: berkeley db: %s\n", msg);
}

static void
put_close(struct put_state *ps)
{
	if (ps->db != NULL)
		ps->db->close(ps->db, 0);
	ps->db = NULL;
	if (ps->env != NULL)
		ps->env->close(ps->env, 0);
	ps->env = NULL;
}

/* Opens the environment with store_env.c's settings, each for its reason
 * there; returns 0 or a Berkeley DB error. */
static int
put_open_once(struct put_state *ps)
{
	u_int32_t flags;
	int ret;

	if ((ret = db_env_create(&ps->env, 0)) != 0)
		return ret;
	ps->env->set_errcall(ps->env, put_errcall);
	ps->env->set_msgcall(ps->env, put_msgcall);
	/* Deadlock cycles are broken when a request blocks; the youngest loses. */
	if ((ret = ps->env->set_lk_detect(ps->env, DB_LOCK_YOUNGEST)) != 0)
		goto fail;
	/* The same lock timeout, reported as a timeout, not a deadlock. */
	if ((ret = ps->env->set_timeout(ps->env, (db_timeout_t)LOCK_TIMEOUT * 1000, DB_SET_LOCK_TIMEOUT)) != 0 ||
	    (ret = ps->env->set_flags(ps->env, DB_TIME_NOTGRANTED, 1)) != 0)
		goto fail;
	if ((ret = ps->env->set_lk_max_locks(ps->env, 200000)) != 0 ||
	    (ret = ps->env->set_lk_max_objects(ps->env, 200000)) != 0 ||
	    (ret = ps->env->set_lk_max_lockers(ps->env, 20000)) != 0)
		goto fail;
	if ((ret = ps->env->set_cachesize(ps->env, 0, 8u << 20, 1)) != 0)
		goto fail;
	if ((ret = ps->env->set_lg_bsize(ps->env, 1u << 20)) != 0 ||
	    (ret = ps->env->set_lg_max(ps->env, 10u << 20)) != 0)
		goto fail;
	if (ps->durability == 1)
		ret = ps->env->set_flags(ps->env, DB_TXN_WRITE_NOSYNC, 1);
	else if (ps->durability == 2)
		ret = ps->env->set_flags(ps->env, DB_TXN_NOSYNC, 1);
	if (ret != 0)
		goto fail;
	/* As store_env_open: DB_REGISTER + DB_RECOVER, recovery when a
	 * registered process died; group-writable files for a shared group. */
	flags = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN | DB_REGISTER | DB_RECOVER;
	if ((ret = ps->env->open(ps->env, ps->home, flags, 0660)) != 0)
		goto fail;
	if ((ret = db_create(&ps->db, ps->env, 0)) != 0)
		goto fail;
	ret = ps->db->open(ps->db, NULL, "put.db", NULL, DB_BTREE, DB_AUTO_COMMIT | DB_CREATE, 0660);
	if (ret != 0)
		goto fail;
	return 0;
fail:
	put_close(ps);
	return ret;
}

/* Several processes starting at once race to create put.db: retry. */
static int
put_open(struct put_state *ps)
{
	int i, ret = 0;

	for (i = 0; i < OPEN_ATTEMPTS; i++) {
		if ((ret = put_open_once(ps)) == 0)
			return 0;
		if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED && ret != DB_RUNRECOVERY)
			break;
	}
	fprintf(stderr, "put_fcgi: cannot open %s: %s\n", ps->home, db_strerror(ret));
	return ret;
}

/* One transaction, one put; aborted and retried on a deadlock or lock
 * timeout; the environment reopened (recovering) after a panic. */
static int
put_one(struct put_state *ps, const void *value, size_t len)
{
	unsigned char kbuf[16];
	uint64_t pid = (uint64_t)getpid(), seq = ++ps->seq;
	DBT key, data;
	DB_TXN *txn;
	int i, ret = 0;

	for (i = 0; i < 8; i++) {
		kbuf[i] = (unsigned char)(pid >> (56 - 8 * i)); /* big-endian, as the store's keys */
		kbuf[8 + i] = (unsigned char)(seq >> (56 - 8 * i));
	}
	for (i = 0; i < MAX_ATTEMPTS; i++) {
		if (ps->env == NULL && (ret = put_open(ps)) != 0)
			return ret;
		memset(&key, 0, sizeof(key));
		memset(&data, 0, sizeof(data));
		key.data = kbuf;
		key.size = sizeof(kbuf);
		data.data = (void *)value;
		data.size = (u_int32_t)len;
		if ((ret = ps->env->txn_begin(ps->env, NULL, &txn, 0)) == 0) {
			if ((ret = ps->db->put(ps->db, txn, &key, &data, 0)) == 0)
				ret = txn->commit(txn, 0);
			else
				txn->abort(txn);
		}
		if (ret == 0)
			return 0;
		if (ret == DB_RUNRECOVERY)
			put_close(ps);
		else if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED)
			break;
	}
	fprintf(stderr, "put_fcgi: put failed: %s\n", db_strerror(ret));
	return ret;
}

/* One request, whichever transport carries it. */
static void
put_request(struct put_state *ps, FCGX_Request *req)
{
	static const char ok_reply[] = "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
				       "Content-Length: 12\r\n\r\n{\"ok\":true}\n";
	static const char busy_reply[] =
		"Status: 503 Service Unavailable\r\nContent-Type: application/json; "
		"charset=utf-8\r\nRetry-After: 1\r\nContent-Length: 13\r\n\r\n{\"ok\":false}\n";
	static char body[VALUE_MAX], filler[FILLER_LEN];
	size_t len = 0;
	int n;

	if (filler[0] == '\0')
		memset(filler, 'x', sizeof(filler));
	for (;;) {
		char skip[4096];

		if (len < sizeof(body))
			n = req != NULL ? FCGX_GetStr(body + len, (int)(sizeof(body) - len), req->in)
					: (int)fread(body + len, 1, sizeof(body) - len, stdin);
		else /* past the cap: read and drop */
			n = req != NULL ? FCGX_GetStr(skip, sizeof(skip), req->in)
					: (int)fread(skip, 1, sizeof(skip), stdin);
		if (n <= 0)
			break;
		if (len < sizeof(body))
			len += (size_t)n;
	}
	n = len > 0 ? put_one(ps, body, len) : put_one(ps, filler, sizeof(filler));
	if (req != NULL)
		FCGX_PutS(n == 0 ? ok_reply : busy_reply, req->out);
	else
		fputs(n == 0 ? ok_reply : busy_reply, stdout);
}

int
main(void)
{
	struct put_state ps;
	struct conf conf;
	FCGX_Request req;
	char err[512];

	memset(&ps, 0, sizeof(ps));
	conf_defaults(&conf);
	if (conf_load(&conf, NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "put_fcgi: %s\n", err);
		return 1;
	}
	ps.home = conf.home;
	if (strcmp(conf.durability, "write-nosync") == 0)
		ps.durability = 1;
	else if (strcmp(conf.durability, "nosync") == 0)
		ps.durability = 2;
	/* setgid and group-writable, as taskhubctl init --group makes it. */
	if (mkdir(ps.home, 02770) == -1 && errno != EEXIST) {
		fprintf(stderr, "put_fcgi: mkdir %s: %s\n", ps.home, strerror(errno));
		return 1;
	}
	umask(007);
	if (FCGX_IsCGI()) {
		if (getenv("GATEWAY_INTERFACE") == NULL) {
			fprintf(stderr,
				"usage: run by a web server, as FastCGI or CGI (see the top of bench/put_fcgi.c)\n");
			return 2;
		}
		put_request(&ps, NULL);
		fflush(stdout);
		put_close(&ps);
		return 0;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fprintf(stderr, "put_fcgi: cannot initialise libfcgi\n");
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		put_request(&ps, &req);
		FCGX_Finish_r(&req);
	}
	put_close(&ps);
	return 0;
}
