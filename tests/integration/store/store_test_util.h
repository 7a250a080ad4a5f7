/* Fresh, empty stores for tests: the backend named by CQ_TEST_STORE (a store URI), or a
 * SQLite file in a new temporary folder. */
#ifndef CQ_TEST_STORE_UTIL_H
#define CQ_TEST_STORE_UTIL_H

#include <stddef.h>

#include "cquant/store.h"

typedef struct store_fixture {
  cq_store *store;
  char uri[512];
  char dir[64]; /* temporary folder to remove, "" for none */
} store_fixture;

/* A new empty store: a SQLite file in a new temporary folder, or a new database on the
 * PostgreSQL server CQ_TEST_STORE names. 0 on success. */
int store_fixture_open(store_fixture *f);
void store_fixture_close(store_fixture *f);

/* The URI of a new, empty database (no store opened on it yet) on the PostgreSQL server that
 * CQ_TEST_STORE names; -1 when CQ_TEST_STORE is not a postgres:// URI or on failure. */
int store_pg_fresh_uri(char *buf, size_t n);

/* Runs SQL (several statements allowed) straight on the database of a store URI, past the
 * store: to lay out an old schema or look at raw rows. 0, or -1 with the reason printed. */
int store_exec(const char *uri, const char *sql);

/* cmocka setup/teardown: *state is a store_fixture *. */
int store_setup(void **state);
int store_teardown(void **state);
#define STORE(state) (((store_fixture *)*(state))->store)

#endif
