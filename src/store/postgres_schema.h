/* The PostgreSQL schema: versioned migrations, shared by postgres.c and nothing else. */
#ifndef CQUANT_STORE_POSTGRES_SCHEMA_H
#define CQUANT_STORE_POSTGRES_SCHEMA_H

#include <libpq-fe.h>

#include "cquant/core.h"

/* The schema version this code writes; a database with a newer one is refused. */
#define CQ_PG_SCHEMA_VERSION 6

/* Applies migration `version` (1-based) inside the caller's open transaction. `where`
 * ("host:port/db") is for messages. 0 or an error; the caller rolls back on error. */
int cq__pg_migration(PGconn *conn, int version, const char *where, cq_error *err);

#endif
