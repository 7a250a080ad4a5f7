#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_data.h"

const char cmd_data_list_usage[] =
    "usage: cquant data list [--venue V] [--symbol S] [--store URI] [--json]\n"
    "\n"
    "Coverage of each stored candle series: first and last open time, rows, bars missing from\n"
    "the timeframe grid between them, and the number of gaps (runs of missing bars).\n";

int cmd_data_list(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "data list";
  data_series_opts so = {0};
  const cli_opt opts[] = {DATA_SERIES_OPTS(so)};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &npos)))
    return rc;
  char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX], symbol[CQ_SYMBOL_MAX] = "";
  cq_error e;
  if (so.symbol) {
    if (cq_symbol_parse(so.symbol, base, quote, &e)) {
      fprintf(ctx->err, "cquant %s: %s\n", cmd, e.msg);
      return CLI_USAGE;
    }
    snprintf(symbol, sizeof symbol, "%s/%s", base, quote);
  }
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, so.store, &store))) return rc;
  cq_series_info *list = NULL;
  size_t n = 0;
  if (cq_store_list_series(store, &list, &n, &e)) {
    cli_report_error(ctx, cmd, &e);
    cq_store_close(store);
    return CLI_FAIL;
  }
  if (ctx->json)
    fputs("{\"series\":[", ctx->out);
  else
    fprintf(ctx->out, "%-10s %-14s %-4s %-20s %-20s %10s %9s %6s\n", "VENUE", "SYMBOL", "TF",
            "FIRST", "LAST", "ROWS", "MISSING", "GAPS");
  size_t shown = 0;
  for (size_t i = 0; i < n; i++) {
    const cq_series_info *s = &list[i];
    if (so.venue && strcasecmp(so.venue, s->key.venue)) continue;
    if (symbol[0] && strcmp(symbol, s->key.symbol)) continue;
    char tf[CQ_TF_STRMAX], first[CQ_TIME_STRMAX], last[CQ_TIME_STRMAX];
    cq_timeframe_format(s->key.tf, tf, sizeof tf);
    cq_time_format_iso(s->first, 0, first, sizeof first);
    cq_time_format_iso(s->last, 0, last, sizeof last);
    if (ctx->json) {
      fprintf(ctx->out,
              "%s{\"venue\":\"%s\",\"symbol\":\"%s\",\"tf\":\"%s\",\"first\":\"%s\","
              "\"last\":\"%s\",\"rows\":%llu,\"missing\":%llu,\"gaps\":%llu}",
              shown ? "," : "", s->key.venue, s->key.symbol, tf, first, last,
              (unsigned long long)s->rows, (unsigned long long)s->missing,
              (unsigned long long)s->gaps);
    } else {
      first[16] = last[16] = '\0'; /* minutes are enough for people */
      fprintf(ctx->out, "%-10s %-14s %-4s %-20s %-20s %10llu %9llu %6llu\n", s->key.venue,
              s->key.symbol, tf, first, last, (unsigned long long)s->rows,
              (unsigned long long)s->missing, (unsigned long long)s->gaps);
    }
    shown++;
  }
  if (ctx->json)
    fputs("]}\n", ctx->out);
  else if (!shown)
    fprintf(ctx->out, "(no candles stored)\n");
  free(list);
  cq_store_close(store);
  return CLI_OK;
}
