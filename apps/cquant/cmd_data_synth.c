#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_data.h"

const char cmd_data_synth_usage[] =
    "usage: cquant data synth --symbol S --tf TF --bars N [options]\n"
    "\n"
    "Makes a synthetic market: seeded, realistic candles (volatility clustering, fat tails,\n"
    "rare gaps, a daily volume pattern) and the venue rules of its symbol, for backtests\n"
    "without market data. The same options and seed give the same candles everywhere.\n"
    "Writes the candles and the instrument to the store in one transaction, or the candles\n"
    "to a CSV file in the import format (--out).\n"
    "\n"
    "  --symbol S       unified symbol, BASE/QUOTE (SYN/USDT)\n"
    "  --tf TF          timeframe, 1s .. 1w (1m, 5m, 1h, 1d, ...)\n"
    "  --bars N         number of candles (1 .. 50000000)\n"
    "  --seed S         random seed, a whole number (default 1)\n"
    "  --start T        open time of the first candle, on the tf grid (default 2024-01-01)\n"
    "  --price P        start price (default 100); it sets the tick: 0.01 from 100 up,\n"
    "                   0.0001 from 1, 0.000001 from 0.01, else 0.00000001\n"
    "  --vol V          annualized volatility (default 0.6, i.e. 60%)\n"
    "  --drift D        annual drift of the log price (default 0)\n"
    "  --gap-rate R     chance that a bar opens with a jump (default 0.0005)\n"
    "  --venue V        venue name (default synth)\n"
    "  --store URI      the store (see cquant data import --help)\n"
    "  --out FILE       write a CSV file instead of the store\n"
    "  --json           print the report as JSON\n";

typedef struct synth_args {
  data_series_opts so;
  const char *seed, *start, *out;
  size_t bars;
  bool have_bars;
} synth_args;

static int parse_seed(cli_ctx *ctx, const char *cmd, const char *v, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (errno || end == v || *end || v[0] == '-') {
    fprintf(ctx->err, "cquant %s: --seed: expected a whole number, got \"%s\"\n", cmd, v);
    return CLI_USAGE;
  }
  *out = (uint64_t)x;
  return CLI_OK;
}

/* What was made and where it went, one line (or one JSON object). */
static void print_report(cli_ctx *ctx, const cq_series_key *key, const cq_synth_opts *o,
                         const cq_candles *c, const cq_instrument *ins, const char *dest,
                         const cq_write_report *w) {
  char tf[CQ_TF_STRMAX], first[CQ_TIME_STRMAX], last[CQ_TIME_STRMAX], tick[CQ_DEC_STRMAX];
  cq_timeframe_format(key->tf, tf, sizeof tf);
  cq_time_format_iso(c->open_time[0], 0, first, sizeof first);
  cq_time_format_iso(c->open_time[c->len - 1], 0, last, sizeof last);
  cq_dec_format(ins->tick, tick, sizeof tick);
  if (ctx->json) {
    fprintf(ctx->out,
            "{\"venue\":\"%s\",\"symbol\":\"%s\",\"tf\":\"%s\",\"bars\":%zu,"
            "\"seed\":%llu,\"first\":\"%s\",\"last\":\"%s\",\"tick\":\"%s\",\"to\":",
            key->venue, key->symbol, tf, c->len, (unsigned long long)o->seed, first, last, tick);
    cli_json_string(ctx->out, dest);
    if (w)
      fprintf(ctx->out, ",\"inserted\":%llu,\"revised\":%llu,\"unchanged\":%llu",
              (unsigned long long)w->inserted, (unsigned long long)w->revised,
              (unsigned long long)w->unchanged);
    fputs("}\n", ctx->out);
    return;
  }
  fprintf(ctx->out, "%s %s %s: %zu synthetic candles, seed %llu, %s .. %s, tick %s -> %s",
          key->venue, key->symbol, tf, c->len, (unsigned long long)o->seed, first, last, tick,
          dest);
  if (w)
    fprintf(ctx->out, " (%llu new, %llu revised, %llu unchanged; instrument written)",
            (unsigned long long)w->inserted, (unsigned long long)w->revised,
            (unsigned long long)w->unchanged);
  fputc('\n', ctx->out);
}

/* Candles and instrument in one transaction: both or neither. */
static int write_store(cli_ctx *ctx, const char *cmd, const synth_args *a, const cq_series_key *key,
                       const cq_candles *c, const cq_instrument *ins, cq_write_report *w) {
  cq_store *store;
  int rc = data_open_store(ctx, cmd, a->so.store, &store);
  if (rc) return rc;
  cq_error e;
  if (cq_store_begin(store, &e) || cq_store_put_instruments(store, ins, 1, NULL, &e) ||
      cq_store_put_candles(store, key, c, 0, c->len, w, &e) || cq_store_commit(store, &e)) {
    (void)cq_store_rollback(store, NULL);
    cli_report_error(ctx, cmd, &e);
    fprintf(ctx->err, "cquant %s: nothing was written\n", cmd);
    rc = CLI_FAIL;
  }
  cq_store_close(store);
  return rc;
}

static int write_csv(cli_ctx *ctx, const char *cmd, const char *path, const cq_candles *c) {
  cli_output o;
  int rc = cli_output_open(ctx, cmd, path, &o);
  if (rc) return rc;
  cq_error e;
  cq_error_clear(&e);
  int wrc = cq_write_candles_csv(o.f, c, &e);
  if (cli_output_close(&o, wrc, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  return CLI_OK;
}

/* The options as a synth configuration; CLI_USAGE with the reason printed. */
static int synth_opts(cli_ctx *ctx, const char *cmd, synth_args *a, cq_series_key *key,
                      cq_synth_opts *o, cq_instrument *ins) {
  if (!a->so.symbol || !a->so.tf || !a->have_bars) {
    fprintf(ctx->err, "cquant %s: --symbol, --tf and --bars are required\n", cmd);
    return CLI_USAGE;
  }
  if (!a->so.venue) a->so.venue = "synth";
  int rc = data_series_key(ctx, cmd, &a->so, key);
  if (rc) return rc;
  o->tf = key->tf;
  o->bars = a->bars;
  if ((a->seed && (rc = parse_seed(ctx, cmd, a->seed, &o->seed))) ||
      (a->start && (rc = cli_parse_time(ctx, cmd, "--start", a->start, &o->start))))
    return rc;
  cq_error e;
  if (cq_synth_instrument(o, key->venue, key->symbol, ins, &e)) {
    fprintf(ctx->err, "cquant %s: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  return CLI_OK;
}

int cmd_data_synth(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "data synth";
  synth_args a = {0};
  cq_synth_opts o;
  cq_synth_defaults(&o);
  const cli_opt opts[] = {DATA_SERIES_OPTS(a.so),
                          {"--bars", NULL, CLI_SIZE, &a.bars},
                          {"--seed", NULL, CLI_STR, &a.seed},
                          {"--start", NULL, CLI_STR, &a.start},
                          {"--price", NULL, CLI_DOUBLE, &o.price},
                          {"--vol", NULL, CLI_DOUBLE, &o.annual_vol},
                          {"--drift", NULL, CLI_DOUBLE, &o.drift},
                          {"--gap-rate", NULL, CLI_DOUBLE, &o.gap_rate},
                          {"--out", "--output", CLI_STR, &a.out}};
  const char *pos[1];
  int npos;
  a.bars = (size_t)-1; /* tells "not given" from --bars 0 */
  int rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
  if (rc) return rc;
  a.have_bars = a.bars != (size_t)-1;
  cq_series_key key;
  cq_instrument ins;
  if ((rc = synth_opts(ctx, cmd, &a, &key, &o, &ins))) return rc;
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_error e;
  if (cq_data_synth(&o, &c, &e)) {
    fprintf(ctx->err, "cquant %s: %s\n", cmd, e.msg);
    return e.code == CQ_EINVAL ? CLI_USAGE : CLI_FAIL;
  }
  cq_write_report w = {0};
  if (a.out) {
    if (!(rc = write_csv(ctx, cmd, a.out, &c))) print_report(ctx, &key, &o, &c, &ins, a.out, NULL);
  } else if (!(rc = write_store(ctx, cmd, &a, &key, &c, &ins, &w))) {
    print_report(ctx, &key, &o, &c, &ins, cli_store_uri(ctx, a.so.store), &w);
  }
  cq_candles_release(&c);
  return rc;
}
