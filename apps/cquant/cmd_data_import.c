#include <string.h>
#include <sys/stat.h>

#include "cmd_data.h"

const char cmd_data_import_usage[] =
    "usage: cquant data import FILE... --venue V --symbol S --tf TF [options]\n"
    "\n"
    "Reads candle files into the store as one series. Formats (detected, or --format):\n"
    "  csv            open_time_ms,open,high,low,close,volume (header optional)\n"
    "  binance-csv    Binance public-data klines, 12 columns, ms or us open times\n"
    "  binance-json   the JSON array Binance's REST klines endpoint returns\n"
    "Each file is one transaction: all of it or nothing. Re-importing the same data changes\n"
    "nothing; candles the venue revised are updated and counted.\n"
    "\n"
    "  --venue V        venue name (binance, okx, bybit, ...)\n"
    "  --symbol S       unified symbol, BASE/QUOTE (BTC/USDT)\n"
    "  --tf TF          timeframe of the candles (1m, 5m, 1h, 1d, 1w, 1M, ...)\n"
    "  --format F       auto, csv, binance-csv or binance-json (default auto)\n"
    "  --skip-bad       skip malformed rows and list them, instead of failing the file\n"
    "  --store URI      sqlite:PATH or postgres://... (default: config `store`, CQUANT_STORE,\n"
    "                   else " CQ_STORE_DEFAULT_URI
    ")\n"
    "  --json           print the report as JSON\n";

static int parse_format(const char *s, cq_candle_format *out) {
  for (int f = CQ_FMT_AUTO; f <= CQ_FMT_BINANCE_JSON; f++) {
    if (!strcmp(s, cq_candle_format_name((cq_candle_format)f))) {
      *out = (cq_candle_format)f;
      return 0;
    }
  }
  return -1;
}

static void print_report(cli_ctx *ctx, const char *file, const cq_import_report *r, bool first) {
  const cq_read_report *rd = &r->read;
  if (ctx->json) {
    fprintf(ctx->out, "%s{\"file\":", first ? "" : ",");
    cli_json_string(ctx->out, file);
    fprintf(ctx->out,
            ",\"format\":\"%s\",\"rows\":%llu,\"inserted\":%llu,\"revised\":%llu,"
            "\"unchanged\":%llu,\"duplicates\":%llu,\"skipped\":%llu,\"skipped_rows\":[",
            cq_candle_format_name(rd->format), (unsigned long long)rd->rows,
            (unsigned long long)r->write.inserted, (unsigned long long)r->write.revised,
            (unsigned long long)r->write.unchanged, (unsigned long long)rd->duplicates,
            (unsigned long long)rd->bad);
    for (size_t i = 0; i < rd->nlisted; i++) {
      fprintf(ctx->out, "%s{\"line\":%llu,\"column\":%d,\"error\":", i ? "," : "",
              (unsigned long long)rd->listed[i].line, rd->listed[i].column);
      cli_json_string(ctx->out, rd->listed[i].msg);
      fputc('}', ctx->out);
    }
    fputs("]}", ctx->out);
    return;
  }
  fprintf(ctx->out, "%s: %llu candles (%s%s): %llu new, %llu revised, %llu unchanged", file,
          (unsigned long long)rd->rows, cq_candle_format_name(rd->format),
          rd->micros ? ", microsecond times" : "", (unsigned long long)r->write.inserted,
          (unsigned long long)r->write.revised, (unsigned long long)r->write.unchanged);
  if (rd->duplicates)
    fprintf(ctx->out, ", %llu repeated rows dropped", (unsigned long long)rd->duplicates);
  fputc('\n', ctx->out);
  if (rd->bad) {
    fprintf(ctx->out, "  skipped %llu bad rows%s\n", (unsigned long long)rd->bad,
            rd->nlisted < rd->bad ? " (the first listed)" : ":");
    for (size_t i = 0; i < rd->nlisted; i++)
      fprintf(ctx->out, "  %s:%llu:%d: %s\n", file, (unsigned long long)rd->listed[i].line,
              rd->listed[i].column, rd->listed[i].msg);
  }
}

int cmd_data_import(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "data import";
  data_series_opts so = {0};
  const char *format = NULL;
  bool skip_bad = false;
  const cli_opt opts[] = {DATA_SERIES_OPTS(so),
                          {"--format", NULL, CLI_STR, &format},
                          {"--skip-bad", NULL, CLI_FLAG, &skip_bad}};
  const char *files[256];
  int nfiles = 0;
  int rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], files, 256, &nfiles);
  if (rc) return rc;
  if (nfiles == 0) {
    fprintf(ctx->err, "cquant %s: name at least one file (see cquant %s --help)\n", cmd, cmd);
    return CLI_USAGE;
  }
  cq_series_key key;
  if ((rc = data_series_key(ctx, cmd, &so, &key))) return rc;
  cq_read_opts ro = {.skip_bad = skip_bad};
  if (format && parse_format(format, &ro.format)) {
    fprintf(ctx->err,
            "cquant %s: --format: expected auto, csv, binance-csv or binance-json, got \"%s\"\n",
            cmd, format);
    return CLI_USAGE;
  }
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, so.store, &store))) return rc;
  if (ctx->json) fputs("{\"files\":[", ctx->out);
  for (int i = 0; i < nfiles && rc == CLI_OK; i++) {
    struct stat st;
    uint64_t size = stat(files[i], &st) == 0 ? (uint64_t)st.st_size : 0;
    cq_progress_opts po;
    cli_progress_opts(ctx, &po, files[i], "bytes", size);
    cq_progress prog;
    cq_progress_init(&prog, &po);
    ro.progress = &prog;
    cq_import_report rep;
    cq_error e;
    if (cq_import_candles_file(store, &key, files[i], &ro, &rep, &e)) {
      if (ctx->json) fputs("]}\n", ctx->out);
      cli_report_error(ctx, cmd, &e);
      fprintf(ctx->err, "cquant %s: nothing from %s was written\n", cmd, files[i]);
      rc = CLI_FAIL;
      break;
    }
    if (size >= (64u << 20)) cq_progress_finish(&prog);
    print_report(ctx, files[i], &rep, i == 0);
    cq_read_report_release(&rep.read);
  }
  if (ctx->json && rc == CLI_OK) fputs("]}\n", ctx->out);
  cq_store_close(store);
  return rc;
}
