#include <stdio.h>
#include <string.h>

#include "cmd_data.h"

const char cmd_data_retention_usage[] =
    "usage: cquant data retention --keep DURATION [--store URI]\n"
    "\n"
    "Sets how long the store keeps candles and trades: older data is dropped by the database\n"
    "on its own schedule, whole chunks at a time. Needs PostgreSQL with TimescaleDB (its\n"
    "retention policy); other stores say why they cannot.\n"
    "\n"
    "  --keep DURATION   e.g. 730d, 52w, 12h; 0 removes the policy (keep everything)\n"
    "  --store URI       the store (see cquant data import --help)\n";

int cmd_data_retention(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "data retention";
  const char *keep = NULL, *store_flag = NULL;
  const cli_opt opts[] = {{"--keep", NULL, CLI_STR, &keep}, {"--store", NULL, CLI_STR, &store_flag}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, 2, pos, 0, &npos))) return rc;
  if (!keep) {
    fprintf(ctx->err, "cquant %s: --keep is required (a duration such as 730d, or 0)\n", cmd);
    return CLI_USAGE;
  }
  int64_t ns = 0;
  cq_error e;
  cq_error_clear(&e);
  if (strcmp(keep, "0") && cq_duration_parse(keep, &ns, &e)) {
    fprintf(ctx->err, "cquant %s: --keep: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, store_flag, &store))) return rc;
  if (cq_store_set_retention(store, ns, &e)) {
    cli_report_error(ctx, cmd, &e);
    rc = CLI_FAIL;
  } else if (ns) {
    fprintf(ctx->out, "retention set: candles and trades older than %s are dropped\n", keep);
  } else {
    fputs("retention policy removed: everything is kept\n", ctx->out);
  }
  cq_store_close(store);
  return rc;
}
