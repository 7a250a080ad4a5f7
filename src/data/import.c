/* File → store, in one transaction. */
#include <string.h>

#include "cquant/data.h"
#include "cquant/store.h"

enum { IMPORT_BATCH = 50000 };

int cq_import_candles_file(cq_store *s, const cq_series_key *key, const char *path,
                           const cq_read_opts *opts, cq_import_report *rep, cq_error *err) {
  memset(rep, 0, sizeof *rep);
  cq_read_opts o = *opts;
  o.tf = key->tf;
  cq_candles c;
  cq_candles_init(&c, 0);
  int rc = cq_read_candles_file(path, &o, &c, &rep->read, err);
  if (rc || (rc = cq_store_begin(s, err))) goto done;
  for (size_t i = 0; i < c.len; i += IMPORT_BATCH) {
    size_t n = c.len - i < IMPORT_BATCH ? c.len - i : IMPORT_BATCH;
    if ((rc = cq_store_put_candles(s, key, &c, i, n, &rep->write, err))) {
      cq_store_rollback(s, NULL);
      memset(&rep->write, 0, sizeof rep->write);
      goto done;
    }
  }
  if ((rc = cq_store_commit(s, err))) {
    cq_store_rollback(s, NULL);
    memset(&rep->write, 0, sizeof rep->write);
  }
done:
  cq_candles_release(&c);
  return rc;
}
