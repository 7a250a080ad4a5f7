#include <string.h>

#include "cmd_data.h"

const char cmd_data_resample_usage[] =
    "usage: cquant data resample --venue V --symbol S --tf TF --into TF2 [options]\n"
    "\n"
    "Aggregates a stored series into a higher timeframe and stores the result as the series\n"
    "(V, S, TF2): open of the first bar, highest high, lowest low, close of the last, summed\n"
    "volumes. TF must divide TF2 (1m into 4h, 1d into 1w or 1M; not 1w into 1M). A bucket that\n"
    "lacks any source bar is incomplete: reported, and stored only with --keep-incomplete\n"
    "(marked not closed). Nothing is invented where there is no data.\n"
    "\n"
    "  --into TF2          the target timeframe (not --to, which is a time)\n"
    "  --from T, --to T    only source bars in [from, to)\n"
    "  --keep-incomplete   store incomplete buckets too\n"
    "  --dry-run           report without writing\n"
    "  --store URI         the store (see cquant data import --help)\n"
    "  --json              the report as JSON\n";

int cmd_data_resample(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "data resample";
  data_series_opts so = {0};
  const char *into = NULL;
  bool keep = false, dry = false;
  const cli_opt opts[] = {DATA_SERIES_OPTS(so),
                          DATA_RANGE_OPTS(so),
                          {"--into", NULL, CLI_STR, &into},
                          {"--keep-incomplete", NULL, CLI_FLAG, &keep},
                          {"--dry-run", NULL, CLI_FLAG, &dry}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &npos)))
    return rc;
  cq_series_key key, out_key;
  cq_time from, to;
  if ((rc = data_series_key(ctx, cmd, &so, &key)) ||
      (rc = data_time_range(ctx, cmd, &so, &from, &to)))
    return rc;
  if (!into) {
    fprintf(ctx->err, "cquant %s: --into is required (the target timeframe, e.g. --into 4h)\n",
            cmd);
    return CLI_USAGE;
  }
  cq_error e;
  if (cq_series_key_set(&out_key, so.venue, so.symbol, into, &e)) {
    fprintf(ctx->err, "cquant %s: --into: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, so.store, &store))) return rc;
  cq_candles in, out;
  cq_candles_init(&in, 0);
  cq_candles_init(&out, 0);
  cq_resample_report rr = {0};
  cq_write_report wr = {0};
  rc = CLI_FAIL;
  if (cq_store_get_candles(store, &key, from, to, &in, &e) ||
      cq_resample(&in, key.tf, out_key.tf, keep, &out, &rr, &e))
    goto fail;
  if (!dry) {
    if (cq_store_begin(store, &e)) goto fail;
    if (cq_store_put_candles(store, &out_key, &out, 0, out.len, &wr, &e) ||
        cq_store_commit(store, &e)) {
      cq_store_rollback(store, NULL);
      goto fail;
    }
  }
  char t1[CQ_TIME_STRMAX] = "", t2[CQ_TIME_STRMAX] = "";
  if (rr.incomplete) {
    cq_time_format_iso(rr.first_incomplete, 0, t1, sizeof t1);
    cq_time_format_iso(rr.last_incomplete, 0, t2, sizeof t2);
  }
  if (ctx->json) {
    fprintf(ctx->out,
            "{\"source_rows\":%zu,\"buckets\":%llu,\"incomplete\":%llu,\"first_incomplete\":\"%s\","
            "\"last_incomplete\":\"%s\",\"inserted\":%llu,\"revised\":%llu,\"unchanged\":%llu,"
            "\"dry_run\":%s}\n",
            in.len, (unsigned long long)rr.buckets, (unsigned long long)rr.incomplete, t1, t2,
            (unsigned long long)wr.inserted, (unsigned long long)wr.revised,
            (unsigned long long)wr.unchanged, dry ? "true" : "false");
  } else {
    fprintf(ctx->out, "%s %s %s -> %s: %zu source candles, %llu buckets", key.venue, key.symbol,
            so.tf, into, in.len, (unsigned long long)rr.buckets);
    if (!dry)
      fprintf(ctx->out, " (%llu new, %llu revised, %llu unchanged)",
              (unsigned long long)wr.inserted, (unsigned long long)wr.revised,
              (unsigned long long)wr.unchanged);
    fputc('\n', ctx->out);
    if (rr.incomplete)
      fprintf(ctx->out, "  %llu incomplete buckets %s, from %s to %s\n",
              (unsigned long long)rr.incomplete, keep ? "kept (not closed)" : "left out", t1, t2);
  }
  rc = CLI_OK;
  goto done;
fail:
  cli_report_error(ctx, cmd, &e);
done:
  cq_candles_release(&in);
  cq_candles_release(&out);
  cq_store_close(store);
  return rc;
}
