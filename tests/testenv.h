/*
 * testenv.h — a fresh Berkeley DB environment in a temporary directory for
 * each store test, removed at exit.
 */
#ifndef TH_TESTENV_H
#define TH_TESTENV_H

#include "store/store.h"

/* Creates a temporary directory (under $TMPDIR) and returns its path;
 * removed with everything in it when the process that made it exits. */
const char *testenv_dir(void);
/* Opens a store at dir/sub (created), with the given durability; bails out
 * on failure. Lock timeout 200 ms so crash tests run quickly. */
struct store *testenv_open(const char *sub, enum store_durability d);
/* Opens (creating it if needed) the hub "TestHub" of st; bails on failure. */
struct store_hub *testenv_hub(struct store *st);
/* Removes a directory tree; 0 or -1. */
int testenv_rmtree(const char *path);

#endif
