#include <string.h>

#include "cmd_data.h"

const char cmd_data_check_usage[] =
    "usage: cquant data check [FILE] [--venue V --symbol S --tf TF] [options]\n"
    "\n"
    "Quality checks on a candle file (FILE, with --tf) or on a stored series:\n"
    "  gap            bars missing from the timeframe grid\n"
    "  duplicate      an open time given more than once\n"
    "  unordered      an open time earlier than the one before\n"
    "  misaligned     an open time off the timeframe grid\n"
    "  ohlc           high < max(open, close), low > min(open, close) or high < low\n"
    "  nonpositive    a price that is zero, negative or not a number\n"
    "  negative_volume\n"
    "  zero_volume_run  at least --min-zero-run consecutive bars with no volume\n"
    "  outlier        a close-to-close log return whose robust z-score passes --outlier-z\n"
    "\n"
    "  --from T, --to T     only this range of a stored series\n"
    "  --min-zero-run N     default 10\n"
    "  --outlier-z Z        default 12\n"
    "  --max-issues N       issues listed (counts are always complete); default 1000\n"
    "  --strict             exit with status 1 when anything is found\n"
    "  --json               the report as JSON\n"
    "  --store URI          the store (see cquant data import --help)\n";

static void print_issue(cli_ctx *ctx, const cq_issue *is, bool first) {
  char t1[CQ_TIME_STRMAX], t2[CQ_TIME_STRMAX];
  cq_time_format_iso(is->time, 0, t1, sizeof t1);
  cq_time_format_iso(is->time2, 0, t2, sizeof t2);
  const char *kind = cq_issue_kind_name(is->kind);
  if (ctx->json) {
    fprintf(ctx->out,
            "%s{\"kind\":\"%s\",\"row\":%zu,\"time\":\"%s\",\"until\":\"%s\",\"count\":%llu,"
            "\"value\":%.6g}",
            first ? "" : ",", kind, is->index, t1, t2, (unsigned long long)is->count, is->value);
    return;
  }
  switch (is->kind) {
    case CQ_ISSUE_GAP:
      fprintf(ctx->out, "  %-16s %s .. %s  %llu bar%s missing\n", kind, t1, t2,
              (unsigned long long)is->count, is->count == 1 ? "" : "s");
      break;
    case CQ_ISSUE_ZERO_VOLUME_RUN:
      fprintf(ctx->out, "  %-16s %s .. %s  %llu bars\n", kind, t1, t2,
              (unsigned long long)is->count);
      break;
    case CQ_ISSUE_OUTLIER:
      fprintf(ctx->out, "  %-16s %s  row %zu, robust z %.1f\n", kind, t1, is->index, is->value);
      break;
    default:
      fprintf(ctx->out, "  %-16s %s  row %zu\n", kind, t1, is->index);
  }
}

int cmd_data_check(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "data check";
  data_series_opts so = {0};
  bool strict = false;
  cq_check_opts co = {0};
  const cli_opt opts[] = {DATA_SERIES_OPTS(so),
                          DATA_RANGE_OPTS(so),
                          {"--strict", NULL, CLI_FLAG, &strict},
                          {"--min-zero-run", NULL, CLI_SIZE, &co.min_zero_run},
                          {"--outlier-z", NULL, CLI_DOUBLE, &co.outlier_z},
                          {"--max-issues", NULL, CLI_SIZE, &co.max_issues}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, &npos)))
    return rc;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_error e;
  const char *what;
  char label[256];
  if (npos == 1) {
    if (!so.tf) {
      fprintf(ctx->err, "cquant %s: checking a file needs --tf\n", cmd);
      return CLI_USAGE;
    }
    cq_read_opts ro = {.lenient = true};
    if (cq_timeframe_parse(so.tf, &ro.tf, &e)) {
      fprintf(ctx->err, "cquant %s: --tf: %s\n", cmd, e.msg);
      return CLI_USAGE;
    }
    co.tf = ro.tf;
    cq_read_report rr;
    if (cq_read_candles_file(pos[0], &ro, &c, &rr, &e)) {
      cli_report_error(ctx, cmd, &e);
      return CLI_FAIL;
    }
    cq_read_report_release(&rr);
    what = pos[0];
  } else {
    cq_series_key key;
    cq_time from, to;
    if ((rc = data_series_key(ctx, cmd, &so, &key)) ||
        (rc = data_time_range(ctx, cmd, &so, &from, &to)))
      return rc;
    co.tf = key.tf;
    cq_store *store;
    if ((rc = data_open_store(ctx, cmd, so.store, &store))) return rc;
    int grc = cq_store_get_candles(store, &key, from, to, &c, &e);
    cq_store_close(store);
    if (grc) {
      cli_report_error(ctx, cmd, &e);
      cq_candles_release(&c);
      return CLI_FAIL;
    }
    snprintf(label, sizeof label, "%s %s %s", key.venue, key.symbol, so.tf);
    what = label;
  }
  cq_check_report rep;
  if (cq_check_candles(&c, &co, &rep, &e)) {
    cli_report_error(ctx, cmd, &e);
    cq_candles_release(&c);
    return CLI_FAIL;
  }
  uint64_t total = cq_check_report_total(&rep);
  if (ctx->json) {
    fputs("{\"source\":", ctx->out);
    cli_json_string(ctx->out, what);
    fprintf(ctx->out, ",\"rows\":%llu,\"missing\":%llu,\"issues_total\":%llu,\"counts\":{",
            (unsigned long long)rep.rows, (unsigned long long)rep.missing,
            (unsigned long long)total);
    for (int k = 0; k < CQ_ISSUE_KIND_COUNT_; k++)
      fprintf(ctx->out, "%s\"%s\":%llu", k ? "," : "", cq_issue_kind_name((cq_issue_kind)k),
              (unsigned long long)rep.counts[k]);
    fputs("},\"issues\":[", ctx->out);
    for (size_t i = 0; i < rep.nissues; i++) print_issue(ctx, &rep.issues[i], i == 0);
    fprintf(ctx->out, "],\"truncated\":%s}\n", rep.truncated ? "true" : "false");
  } else {
    fprintf(ctx->out, "%s: %llu candles, %llu issues\n", what, (unsigned long long)rep.rows,
            (unsigned long long)total);
    for (int k = 0; k < CQ_ISSUE_KIND_COUNT_; k++) {
      if (!rep.counts[k]) continue;
      fprintf(ctx->out, "  %-16s %llu", cq_issue_kind_name((cq_issue_kind)k),
              (unsigned long long)rep.counts[k]);
      if (k == CQ_ISSUE_GAP)
        fprintf(ctx->out, " (%llu bars missing)", (unsigned long long)rep.missing);
      fputc('\n', ctx->out);
    }
    if (rep.nissues) fprintf(ctx->out, "issues%s:\n", rep.truncated ? " (the first listed)" : "");
    for (size_t i = 0; i < rep.nissues; i++) print_issue(ctx, &rep.issues[i], i == 0);
  }
  cq_check_report_release(&rep);
  cq_candles_release(&c);
  return strict && total ? CLI_FAIL : CLI_OK;
}
