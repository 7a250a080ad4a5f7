#include "store_test_util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef CQ_HAVE_POSTGRES
#include <libpq-fe.h>
#endif

#ifdef CQ_HAVE_POSTGRES
/* Creates a database with a name of its own on the server of `admin_uri` and writes its URI. */
static int pg_fresh(const char *admin_uri, char *buf, size_t n) {
  PGconn *c = PQconnectdb(admin_uri);
  if (PQstatus(c) != CONNECTION_OK) {
    fprintf(stderr, "postgres %s: %s", admin_uri, PQerrorMessage(c));
    PQfinish(c);
    return -1;
  }
  PGresult *r = PQexec(c, "SELECT 'cq_test_' || pg_backend_pid() || '_' ||"
                          " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    fprintf(stderr, "postgres: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return -1;
  }
  char name[64], sql[128];
  snprintf(name, sizeof name, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
  r = PQexec(c, sql);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) fprintf(stderr, "postgres: %s", PQerrorMessage(c));
  PQclear(r);
  PQfinish(c);
  if (!ok) return -1;
  /* replace the database part of the URI: scheme://auth@host:port/DB?options */
  const char *slash = strchr(strstr(admin_uri, "://") + 3, '/');
  const char *query = strchr(admin_uri, '?');
  int len = slash ? (int)(slash - admin_uri) : (int)strlen(admin_uri);
  snprintf(buf, n, "%.*s/%s%s", len, admin_uri, name, query ? query : "");
  return 0;
}
#endif

int store_pg_fresh_uri(char *buf, size_t n) {
  const char *env = getenv("CQ_TEST_STORE");
  if (!env || strncmp(env, "postgres", 8) != 0) return -1;
#ifdef CQ_HAVE_POSTGRES
  return pg_fresh(env, buf, n);
#else
  (void)buf;
  (void)n;
  return -1;
#endif
}

int store_exec(const char *uri, const char *sql) {
  if (!strncmp(uri, "sqlite:", 7)) {
    sqlite3 *db = NULL;
    char *msg = NULL;
    int rc = sqlite3_open_v2(uri + 7, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fprintf(stderr, "%s: %s\n", uri, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
  }
#ifdef CQ_HAVE_POSTGRES
  PGconn *c = PQconnectdb(uri);
  int ok = PQstatus(c) == CONNECTION_OK;
  if (ok) {
    PGresult *r = PQexec(c, sql);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
  }
  if (!ok) fprintf(stderr, "%s: %s", uri, PQerrorMessage(c));
  PQfinish(c);
  return ok ? 0 : -1;
#else
  fprintf(stderr, "%s: this build has no PostgreSQL backend\n", uri);
  return -1;
#endif
}

int store_fixture_open(store_fixture *f) {
  memset(f, 0, sizeof *f);
  const char *env = getenv("CQ_TEST_STORE");
  if (env && *env && strncmp(env, "sqlite:", 7) != 0) {
#ifdef CQ_HAVE_POSTGRES
    if (pg_fresh(env, f->uri, sizeof f->uri)) return -1;
#else
    fprintf(stderr, "CQ_TEST_STORE=%s but this build has no PostgreSQL backend\n", env);
    return -1;
#endif
  } else {
    snprintf(f->dir, sizeof f->dir, "/tmp/cq_store_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->uri, sizeof f->uri, "sqlite:%s/test.db", f->dir);
  }
  cq_error e;
  if (cq_store_open(f->uri, &f->store, &e)) {
    fprintf(stderr, "open %s: %s\n", f->uri, e.msg);
    store_fixture_close(f);
    return -1;
  }
  return 0;
}

void store_fixture_close(store_fixture *f) {
  cq_store_close(f->store);
  f->store = NULL;
  if (f->dir[0]) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->dir);
    f->dir[0] = '\0';
  }
}

int store_setup(void **state) {
  store_fixture *f = malloc(sizeof *f);
  if (!f || store_fixture_open(f)) {
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

int store_teardown(void **state) {
  store_fixture_close(*state);
  free(*state);
  return 0;
}
