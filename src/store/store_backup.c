/*
 * store_backup.c — hot backup through Berkeley DB's own DB_ENV->backup
 * (pages read through the cache, then the log, so a copy taken while
 * writers run is consistent once recovered), and restore: copy the backup
 * into a new home and run catastrophic recovery over it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "store/store_int.h"

/* 1 if dir is absent or holds nothing, 0 if it holds files, -1 on error. */
static int
dir_empty(const char *dir)
{
	DIR *d;
	struct dirent *de;
	int empty = 1;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 1 : -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

enum store_err
store_backup(struct store *st, const char *dir)
{
	int ret;

	/* Refuse to mix a backup into a directory with other files in it. */
	if (dir_empty(dir) != 1) {
		log_warnx("backup directory %s must be absent or empty", dir);
		return STORE_INVALID;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", dir);
		return STORE_IO;
	}
	if (st->panic && store_reopen(st) != STORE_OK)
		return STORE_IO;
	/* A checkpoint first keeps the log tail the backup must carry short. */
	st->env->txn_checkpoint(st->env, 0, 0, 0);
	if ((ret = st->env->backup(st->env, dir, DB_CREATE)) != 0) {
		log_warnx("backup to %s: %s", dir, db_strerror(ret));
		return store_dberr(st, ret) == STORE_RETRY ? STORE_BUSY : store_dberr(st, ret);
	}
	return STORE_OK;
}

static int
copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, out, rc = -1;
	ssize_t r;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
		close(in);
		return -1;
	}
	for (;;) {
		r = read(in, buf, sizeof(buf));
		if (r == 0) {
			rc = fsync(out);
			break;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (write(out, buf, (size_t)r) != r)
			break;
	}
	close(in);
	if (close(out) == -1)
		rc = -1;
	return rc;
}

enum store_err
store_restore(const char *backup_dir, const char *home)
{
	char from[4096], to[4096];
	DIR *d;
	struct dirent *de;
	DB_ENV *env;
	int ret, n = 0;

	/* Look at the backup before creating anything, so a mistyped or empty
	 * backup directory leaves no empty home behind. */
	if (dir_empty(backup_dir) != 0) {
		log_warnx("%s holds no backup", backup_dir);
		return STORE_NOTFOUND;
	}
	if (dir_empty(home) != 1) {
		log_warnx("restore target %s must be absent or empty", home);
		return STORE_INVALID;
	}
	if (mkdir(home, 0700) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", home);
		return STORE_IO;
	}
	if ((d = opendir(backup_dir)) == NULL) {
		log_warn("%s", backup_dir);
		return STORE_NOTFOUND;
	}
	while ((de = readdir(d)) != NULL) {
		/* Data files and logs only; region files belong to a live env. */
		if (de->d_name[0] == '.' || strncmp(de->d_name, "__db.", 5) == 0)
			continue;
		snprintf(from, sizeof(from), "%s/%s", backup_dir, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", home, de->d_name);
		if (copy_file(from, to) == -1) {
			log_warn("copy %s to %s", from, to);
			closedir(d);
			return STORE_IO;
		}
		n++;
	}
	closedir(d);
	if (n == 0) {
		log_warnx("%s holds no backup", backup_dir);
		return STORE_NOTFOUND;
	}
	/* Catastrophic recovery replays every log file of the backup. */
	if ((ret = db_env_create(&env, 0)) != 0)
		return STORE_NOMEM;
	ret = env->open(env, home,
			DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN | DB_RECOVER_FATAL |
				DB_PRIVATE,
			0600);
	if (ret != 0)
		log_warnx("recovery of %s: %s", home, db_strerror(ret));
	env->close(env, 0);
	return ret == 0 ? STORE_OK : STORE_IO;
}
