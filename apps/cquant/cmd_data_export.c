#include <stdio.h>
#include <string.h>

#include "cmd_data.h"

const char cmd_data_export_usage[] =
    "usage: cquant data export --venue V --symbol S --tf TF [options]\n"
    "\n"
    "Writes stored candles of one series, in time order.\n"
    "\n"
    "  --venue V, --symbol S, --tf TF   the series\n"
    "  --from T, --to T   time range [from, to): ISO-8601 date or time, epoch ms, \"now\", or a\n"
    "                     duration back from now (2y, 180d, 12h); aliases --since, --until\n"
    "  --format F         csv (open_time_ms,open,high,low,close,volume; re-importable) or json\n"
    "                     (every field); default csv\n"
    "  --output FILE      write to FILE (replaced only when the export succeeds); default stdout\n"
    "  --store URI        the store (see cquant data import --help)\n";

int cmd_data_export(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "data export";
  data_series_opts so = {0};
  const char *format = "csv", *output = NULL;
  const cli_opt opts[] = {DATA_SERIES_OPTS(so),
                          DATA_RANGE_OPTS(so),
                          {"--format", NULL, CLI_STR, &format},
                          {"--output", "-o", CLI_STR, &output}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &npos)))
    return rc;
  cq_series_key key;
  cq_time from, to;
  if ((rc = data_series_key(ctx, cmd, &so, &key)) ||
      (rc = data_time_range(ctx, cmd, &so, &from, &to)))
    return rc;
  bool json = !strcmp(format, "json");
  if (!json && strcmp(format, "csv")) {
    fprintf(ctx->err, "cquant %s: --format: expected csv or json, got \"%s\"\n", cmd, format);
    return CLI_USAGE;
  }
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, so.store, &store))) return rc;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_error e;
  cq_error_clear(&e);
  if (cq_store_get_candles(store, &key, from, to, &c, &e)) {
    cli_report_error(ctx, cmd, &e);
    rc = CLI_FAIL;
    goto done;
  }
  cli_output o;
  if ((rc = cli_output_open(ctx, cmd, output, &o))) goto done;
  int wrc = json ? cq_write_candles_json(o.f, &c, &e) : cq_write_candles_csv(o.f, &c, &e);
  if (cli_output_close(&o, wrc, &e)) {
    cli_report_error(ctx, cmd, &e);
    rc = CLI_FAIL;
  } else if (output) {
    fprintf(ctx->err, "cquant %s: %zu candles written to %s\n", cmd, c.len, output);
  }
done:
  cq_candles_release(&c);
  cq_store_close(store);
  return rc;
}
