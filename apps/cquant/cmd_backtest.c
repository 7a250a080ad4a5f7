/* cquant backtest: run a strategy over stored candles (event-driven or vectorized), print
 * its metrics, write the HTML report and JSON, and keep the run in the store; list, show and
 * compare stored runs. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include "cmd_backtest.h"
#include "cmd_data.h"
#include "cquant/strategy.h"

const char cmd_backtest_usage[] =
    "usage: cquant backtest [RUN.yaml] --strategy S --symbol SYM --tf TF [options]\n"
    "       cquant backtest <list|show|compare|strategies> [options]\n"
    "\n"
    "Runs a strategy over stored candles with the fill model of docs/backtesting.md (fees,\n"
    "slippage, latency, partial fills, venue rules), prints its metrics, and keeps the run\n"
    "in the store. Settings may come from a YAML run file; options given here override it.\n"
    "\n"
    "  --strategy S       a built-in strategy (cquant backtest strategies lists them)\n"
    "  --param K=V        a strategy parameter (repeatable), e.g. --param fast=10\n"
    "  --venue V          the venue of the candles (default: the only venue holding them)\n"
    "  --symbol SYM       one or more unified symbols (repeat or comma-separate); several\n"
    "                     symbols share one cash account\n"
    "  --tf TF            the timeframe of the stored candles (1m, 1h, 1d...)\n"
    "  --from T, --to T   open times from <= t < to (default: everything stored)\n"
    "  --engine E         event (the trading kernel, default) or vector (signal arrays)\n"
    "  --cash C           initial cash in the quote asset (default 10000)\n"
    "  --size SIZE        each entry: all (default, all-in with the fee), percent:P or P%,\n"
    "                     notional:N, qty:Q\n"
    "  --fee F            maker and taker fee rate (default 0.001 = 0.1 %); or\n"
    "  --maker-fee F, --taker-fee F\n"
    "  --slippage M       none (default), bps:N, spread:F or sqrt:Y\n"
    "  --latency L        decision to book: 0 (default), 1bar, 250ms...\n"
    "  --fill-latency L   fill to the strategy hearing of it (event engine)\n"
    "  --fill W           next-open (default) or close: when market orders fill\n"
    "  --touch-fill       limit orders fill when touched, not only when traded through\n"
    "  --volume-share X   a fill takes at most X of a bar's volume (0 < X <= 1; event engine)\n"
    "  --allow-gaps       run even when the candles have gaps (listed as warnings)\n"
    "  --ticks            run on the stored trades (tick data, event engine): orders fill\n"
    "                     at trade prices, at most the traded quantity; the strategy sees\n"
    "                     candles aggregated from those trades\n"
    "  --report FILE      write a self-contained HTML report\n"
    "  --output FILE      write the run's JSON document to FILE\n"
    "  --no-store         do not keep the run in the store\n"
    "  --store URI        the store (see cquant data import --help)\n"
    "  --json             the run's JSON document on stdout instead of the table\n"
    "\n"
    "  list               stored runs, newest first\n"
    "  show ID            one stored run: metrics (--json: its document; --report FILE)\n"
    "  compare ID ID...   stored runs side by side\n"
    "  strategies         the built-in strategies and their parameters\n"
    "\n"
    "See docs/cli/backtest.md and docs/backtesting.md.\n";

static int usage_error(cli_ctx *ctx, const char *cmd, const char *fmt, ...) CQ_PRINTF(3, 4);

static int usage_error(cli_ctx *ctx, const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(ctx->err, "cquant %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(ctx->err, fmt, ap);
  va_end(ap);
  fputc('\n', ctx->err);
  return CLI_USAGE;
}

static int dec_option(cli_ctx *ctx, const char *cmd, const char *flag, const char *v, cq_dec *out,
                      bool allow_zero) {
  cq_error e;
  if (cq_dec_parse_cstr(v, out, &e) || out->m < 0 || (!allow_zero && out->m == 0)) {
    fprintf(ctx->err, "cquant %s: %s \"%s\": expected a %s decimal number\n", cmd, flag, v,
            allow_zero ? "non-negative" : "positive");
    return CLI_USAGE;
  }
  return CLI_OK;
}

/* Fee rates above 10 % are a typo (0.1 meant as 0.1 %): refuse them. */
static int fee_option(cli_ctx *ctx, const char *cmd, const char *flag, const char *v, cq_dec *out) {
  int rc = dec_option(ctx, cmd, flag, v, out, true);
  if (rc) return rc;
  if (cq_dec_cmp(*out, CQ_DEC(1, 1)) > 0) {
    fprintf(ctx->err, "cquant %s: %s %s: a fee rate is a fraction (0.001 is 0.1 %%); above 0.1 "
                      "is refused\n", cmd, flag, v);
    return CLI_USAGE;
  }
  return CLI_OK;
}

/* Splits comma-separated symbols of every --symbol into cfg. */
static int symbols_of(cli_ctx *ctx, const char *cmd, const cli_list *l, cq_bt_config *cfg) {
  cfg->n_symbols = 0;
  for (int i = 0; i < l->n; i++) {
    const char *s = l->v[i];
    while (*s) {
      size_t n = strcspn(s, ",");
      if (n) {
        if (cfg->n_symbols >= CQ_BT_MAX_SYMBOLS) {
          fprintf(ctx->err, "cquant %s: at most %d symbols in one run\n", cmd, CQ_BT_MAX_SYMBOLS);
          return CLI_USAGE;
        }
        char sym[CQ_SYMBOL_MAX], base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
        snprintf(sym, sizeof sym, "%.*s", (int)n, s);
        cq_error e;
        if (cq_symbol_parse(sym, base, quote, &e)) {
          fprintf(ctx->err, "cquant %s: --symbol: %s\n", cmd, e.msg);
          return CLI_USAGE;
        }
        for (int k = 0; k < cfg->n_symbols; k++)
          if (!strcmp(cfg->symbols[k], sym))
            return usage_error(ctx, cmd, "--symbol %s: given twice", sym);
        snprintf(cfg->symbols[cfg->n_symbols], CQ_SYMBOL_MAX, "%s/%s", base, quote);
        if (cfg->n_symbols == 0) {
          snprintf(cfg->quote, sizeof cfg->quote, "%s", quote);
        } else if (strcmp(cfg->quote, quote)) {
          fprintf(ctx->err, "cquant %s: --symbol: %s and %s have different quote assets; one "
                            "run has one cash account\n", cmd, cfg->symbols[0], sym);
          return CLI_USAGE;
        }
        cfg->n_symbols++;
      }
      s += n;
      if (*s == ',') s++;
    }
  }
  if (!cfg->n_symbols) return usage_error(ctx, cmd, "%s", "--symbol is required");
  return CLI_OK;
}

/* Later assignments of the same parameter win (a run file's, then the command line's). */
static int params_of(cli_ctx *ctx, const char *cmd, const cq_strategy_def *def, const cli_list *l,
                     cq_param_values *out) {
  const char *assign[CLI_LIST_MAX];
  int n = 0;
  for (int i = 0; i < l->n; i++) {
    const char *eq = strchr(l->v[i], '=');
    if (!eq || eq == l->v[i])
      return usage_error(ctx, cmd, "--param \"%s\": expected NAME=VALUE", l->v[i]);
    size_t kl = (size_t)(eq - l->v[i]);
    int k = 0;
    while (k < n && !(strncmp(assign[k], l->v[i], kl) == 0 && assign[k][kl] == '=')) k++;
    assign[k] = l->v[i];
    if (k == n) n++;
  }
  cq_error e;
  if (cq_params_resolve(def, assign, n, out, &e)) {
    fprintf(ctx->err, "cquant %s: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  return CLI_OK;
}

/* Tick size from the prices themselves, for symbols the store has no instrument for: the
 * most fraction digits any of the first bars' prices needs. */
static cq_dec infer_tick(const cq_candles *c) {
  unsigned digits = 0;
  size_t n = c->len < 5000 ? c->len : 5000;
  for (size_t i = 0; i < n; i++) {
    const double v[4] = {c->open[i], c->high[i], c->low[i], c->close[i]};
    for (int k = 0; k < 4; k++) {
      char s[40];
      cq_format_double(v[k], s, sizeof s);
      const char *dot = strchr(s, '.');
      if (strchr(s, 'e')) {
        digits = 10;
        continue;
      }
      unsigned d = dot ? (unsigned)strlen(dot + 1) : 0;
      if (d > digits) digits = d;
    }
  }
  if (digits > 12) digits = 12;
  int64_t m = 1;
  return CQ_DEC(m, (uint8_t)digits);
}

/* The only venue holding symbol at tf, when --venue is not given. */
static int pick_venue(cli_ctx *ctx, const char *cmd, cq_store *store, const char *symbol,
                      cq_timeframe tf, char venue[CQ_VENUE_MAX]) {
  cq_series_info *info = NULL;
  size_t n = 0, found = 0;
  cq_error e;
  if (cq_store_list_series(store, &info, &n, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  char seen[256] = "";
  for (size_t i = 0; i < n; i++) {
    if (strcmp(info[i].key.symbol, symbol) || info[i].key.tf.unit != tf.unit ||
        info[i].key.tf.n != tf.n)
      continue;
    if (!found++) snprintf(venue, CQ_VENUE_MAX, "%s", info[i].key.venue);
    size_t used = strlen(seen);
    snprintf(seen + used, sizeof seen - used, "%s%s", used ? ", " : "", info[i].key.venue);
  }
  free(info);
  char tfs[CQ_TF_STRMAX];
  cq_timeframe_format(tf, tfs, sizeof tfs);
  if (found == 1) return CLI_OK;
  if (!found)
    fprintf(ctx->err, "cquant %s: the store holds no %s candles of %s (cquant data list shows "
                      "what it holds; cquant data synth makes some)\n", cmd, tfs, symbol);
  else
    fprintf(ctx->err, "cquant %s: %s %s is held for several venues (%s): say which with "
                      "--venue\n", cmd, symbol, tfs, seen);
  return CLI_USAGE;
}

/* Loads the candles of one symbol and checks them: none in range is an error saying what the
 * store holds; gaps are an error unless --allow-gaps. */
/* Tick data: the stored trades of one symbol in range, and the candles aggregated from them
 * (bars without trades are quiet, not gaps). */
static int load_trades(cli_ctx *ctx, const char *cmd, cq_store *store, const cq_bt_config *cfg,
                       int s, cq_trades *t, cq_candles *c) {
  cq_error e;
  if (cq_store_get_trades(store, cfg->venue, cfg->symbols[s], cfg->from, cfg->to, t, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  if (t->len == 0) {
    fprintf(ctx->err, "cquant %s: --ticks: no %s %s trades stored in the range asked (without "
                      "--ticks the run uses candles)\n", cmd, cfg->venue, cfg->symbols[s]);
    return CLI_FAIL;
  }
  if (cq_aggregate_trades(t, cfg->tf, INT64_MAX, c, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  return CLI_OK;
}

static int load_symbol(cli_ctx *ctx, const char *cmd, cq_store *store, cq_bt_config *cfg, int s,
                       cq_candles *c, cq_trades *ticks) {
  cq_series_key key;
  cq_error e;
  memset(&key, 0, sizeof key);
  snprintf(key.venue, sizeof key.venue, "%s", cfg->venue);
  snprintf(key.symbol, sizeof key.symbol, "%s", cfg->symbols[s]);
  key.tf = cfg->tf;
  char tfs[CQ_TF_STRMAX];
  cq_timeframe_format(cfg->tf, tfs, sizeof tfs);
  if (ticks) {
    int rc = load_trades(ctx, cmd, store, cfg, s, ticks, c);
    if (rc) return rc;
  } else if (cq_store_get_candles(store, &key, cfg->from, cfg->to, c, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  if (c->len == 0) {
    fprintf(ctx->err, "cquant %s: no %s %s %s candles in the range asked", cmd, cfg->venue,
            cfg->symbols[s], tfs);
    cq_series_info *info = NULL;
    size_t n = 0;
    if (!cq_store_list_series(store, &info, &n, NULL)) {
      for (size_t i = 0; i < n; i++) {
        if (strcmp(info[i].key.venue, key.venue) || strcmp(info[i].key.symbol, key.symbol) ||
            info[i].key.tf.unit != key.tf.unit || info[i].key.tf.n != key.tf.n)
          continue;
        char a[CQ_TIME_STRMAX], b[CQ_TIME_STRMAX];
        cq_time_format_iso(info[i].first, 0, a, sizeof a);
        cq_time_format_iso(info[i].last, 0, b, sizeof b);
        fprintf(ctx->err, " (the store holds %s to %s)", a, b);
      }
      free(info);
    }
    fputc('\n', ctx->err);
    return CLI_FAIL;
  }
  cq_check_opts co = {.tf = cfg->tf, .outlier_z = -1, .max_issues = 5};
  cq_check_report rep;
  if (cq_check_candles(c, &co, &rep, &e)) {
    cq_check_report_release(&rep);
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  uint64_t gaps = ticks ? 0 : rep.counts[CQ_ISSUE_GAP];
  if (gaps) {
    fprintf(ctx->err, "cquant %s: %s %s %s: %llu bars missing in %llu gap%s%s\n", cmd,
            cfg->venue, cfg->symbols[s], tfs, (unsigned long long)rep.missing,
            (unsigned long long)gaps, gaps == 1 ? "" : "s",
            cfg->allow_gaps ? " (going on: --allow-gaps)" : "");
    for (size_t i = 0; i < rep.nissues; i++) {
      if (rep.issues[i].kind != CQ_ISSUE_GAP) continue;
      char a[CQ_TIME_STRMAX], b[CQ_TIME_STRMAX];
      cq_time_format_iso(rep.issues[i].time, 0, a, sizeof a);
      cq_time_format_iso(rep.issues[i].time2, 0, b, sizeof b);
      fprintf(ctx->err, "  missing %s .. %s (%llu bars)\n", a, b,
              (unsigned long long)rep.issues[i].count);
    }
    if (!cfg->allow_gaps) {
      fprintf(ctx->err, "cquant %s: fill the gaps (cquant data import) or pass --allow-gaps to "
                        "run over them\n", cmd);
      cq_check_report_release(&rep);
      return CLI_FAIL;
    }
  }
  cq_check_report_release(&rep);
  cq_instrument *ins = &cfg->instruments[s];
  int rc = cq_store_get_instrument(store, cfg->venue, cfg->symbols[s], ins, &e);
  if (rc == CQ_ENOTFOUND) {
    memset(ins, 0, sizeof *ins);
    cq_strlcpy(ins->venue, cfg->venue, sizeof ins->venue);
    cq_strlcpy(ins->symbol, cfg->symbols[s], sizeof ins->symbol);
    if (cq_symbol_parse(cfg->symbols[s], ins->base, ins->quote, NULL)) return CLI_FAIL;
    ins->tick = infer_tick(c);
    ins->lot = CQ_DEC(1, 8);
    ins->status = CQ_INSTRUMENT_TRADING;
    char t[CQ_DEC_STRMAX];
    cq_dec_format(ins->tick, t, sizeof t);
    cq_logf(ctx->log, CQ_LOG_INFO,
            "%s %s: no instrument in the store; tick %s from the prices, lot 0.00000001, no "
            "minimum notional", cfg->venue, cfg->symbols[s], t);
  } else if (rc) {
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  return CLI_OK;
}

int bt_load_data(cli_ctx *ctx, const char *cmd, const bt_opts *o, cq_store *store,
                 cq_bt_config *cfg, cq_candles *candles, cq_trades *trades, cq_bt_data *data) {
  int rc;
  if (o->venue) {
    snprintf(cfg->venue, sizeof cfg->venue, "%s", o->venue);
    for (char *p = cfg->venue; *p; p++) *p = (char)tolower((unsigned char)*p);
  } else if ((rc = pick_venue(ctx, cmd, store, cfg->symbols[0], cfg->tf, cfg->venue))) {
    return rc;
  }
  memset(data, 0, sizeof *data);
  data->n_symbols = cfg->n_symbols;
  for (int s = 0; s < cfg->n_symbols; s++) {
    if ((rc = load_symbol(ctx, cmd, store, cfg, s, &candles[s], trades ? &trades[s] : NULL)))
      return rc;
    data->candles[s] = &candles[s];
    if (trades) data->trades[s] = &trades[s];
  }
  return CLI_OK;
}

static const char *str_or(const char *a, const char *b) {
  return a ? a : b;
}

/* Flags over the run file: a flag given wins; lists add up (params: later ones win). */
static void merge_opts(bt_opts *flags, const bt_opts *file) {
  const char **f[] = {&flags->strategy, &flags->venue,        &flags->tf,        &flags->from,
                      &flags->to,       &flags->store,        &flags->engine,    &flags->fee,
                      &flags->maker_fee, &flags->taker_fee,   &flags->slippage,  &flags->latency,
                      &flags->fill_latency, &flags->fill,     &flags->size,      &flags->cash,
                      &flags->quote,    &flags->volume_share, &flags->report,    &flags->output};
  const char *const g[] = {file->strategy, file->venue,        file->tf,        file->from,
                           file->to,       file->store,        file->engine,    file->fee,
                           file->maker_fee, file->taker_fee,   file->slippage,  file->latency,
                           file->fill_latency, file->fill,     file->size,      file->cash,
                           file->quote,    file->volume_share, file->report,    file->output};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) *f[i] = str_or(*f[i], g[i]);
  cli_list sym = file->symbols, par = file->params;
  for (int i = 0; i < flags->symbols.n && sym.n < CLI_LIST_MAX; i++)
    sym.v[sym.n++] = flags->symbols.v[i];
  for (int i = 0; i < flags->params.n && par.n < CLI_LIST_MAX; i++)
    par.v[par.n++] = flags->params.v[i];
  if (flags->symbols.n) sym = flags->symbols; /* symbols on the command line replace the file's */
  flags->symbols = sym;
  flags->params = par;
  flags->touch_fill |= file->touch_fill;
  flags->allow_gaps |= file->allow_gaps;
  flags->no_store |= file->no_store;
  flags->ticks |= file->ticks;
}

/* Builds cfg from the settings; CLI_OK or CLI_USAGE with the reason printed. */
int bt_config_of(cli_ctx *ctx, const char *cmd, const bt_opts *o, cq_bt_config *cfg,
                 const cq_strategy_def **def) {
  cq_error e;
  int rc;
  cq_bt_config_default(cfg);
  if (!o->strategy) return usage_error(ctx, cmd, "%s", "--strategy is required (cquant backtest "
                                                       "strategies lists them)");
  if (cq_strategy_lookup(o->strategy, def, &e)) {
    fprintf(ctx->err, "cquant %s: --strategy: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  snprintf(cfg->strategy, sizeof cfg->strategy, "%s", (*def)->name);
  if ((rc = params_of(ctx, cmd, *def, &o->params, &cfg->params))) return rc;
  if ((rc = symbols_of(ctx, cmd, &o->symbols, cfg))) return rc;
  if (o->quote) snprintf(cfg->quote, sizeof cfg->quote, "%s", o->quote);
  if (!o->tf) return usage_error(ctx, cmd, "%s", "--tf is required (the candles' timeframe)");
  if (cq_timeframe_parse(o->tf, &cfg->tf, &e)) {
    fprintf(ctx->err, "cquant %s: --tf: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  data_series_opts so = {.from = o->from, .to = o->to};
  if ((rc = data_time_range(ctx, cmd, &so, &cfg->from, &cfg->to))) return rc;
  if (o->engine) {
    if (!strcasecmp(o->engine, "event")) cfg->engine = CQ_BT_EVENT;
    else if (!strcasecmp(o->engine, "vector")) cfg->engine = CQ_BT_VECTOR;
    else return usage_error(ctx, cmd, "--engine \"%s\": expected event or vector", o->engine);
  }
  if (o->cash && (rc = dec_option(ctx, cmd, "--cash", o->cash, &cfg->initial_cash, false)))
    return rc;
  if (o->size && cq_size_parse(o->size, &cfg->size, &e)) {
    fprintf(ctx->err, "cquant %s: --size: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  cq_match_config *m = &cfg->match;
  if (o->fee) {
    if ((rc = fee_option(ctx, cmd, "--fee", o->fee, &m->taker_fee))) return rc;
    m->maker_fee = m->taker_fee;
  }
  if (o->maker_fee && (rc = fee_option(ctx, cmd, "--maker-fee", o->maker_fee, &m->maker_fee)))
    return rc;
  if (o->taker_fee && (rc = fee_option(ctx, cmd, "--taker-fee", o->taker_fee, &m->taker_fee)))
    return rc;
  if (o->slippage && cq_slippage_parse(o->slippage, &m->slippage, &e)) {
    fprintf(ctx->err, "cquant %s: --slippage: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  if (o->latency && cq_latency_parse(o->latency, &m->order_latency, &e)) {
    fprintf(ctx->err, "cquant %s: --latency: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  if (o->fill_latency && cq_latency_parse(o->fill_latency, &m->fill_latency, &e)) {
    fprintf(ctx->err, "cquant %s: --fill-latency: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  if (o->fill) {
    if (!strcasecmp(o->fill, "next-open") || !strcasecmp(o->fill, "next_open"))
      m->market_fill = CQ_FILL_NEXT_OPEN;
    else if (!strcasecmp(o->fill, "close"))
      m->market_fill = CQ_FILL_THIS_CLOSE;
    else
      return usage_error(ctx, cmd, "--fill \"%s\": expected next-open or close", o->fill);
    if (m->market_fill == CQ_FILL_THIS_CLOSE &&
        (m->order_latency.bars || m->order_latency.ns))
      return usage_error(ctx, cmd, "%s", "--fill close needs --latency 0: an order that waits "
                                         "cannot fill at the close it was decided on");
  }
  if (o->volume_share) {
    char *end = NULL;
    errno = 0;
    double v = strtod(o->volume_share, &end);
    if (end == o->volume_share || *end || errno || !(v > 0 && v <= 1))
      return usage_error(ctx, cmd, "--volume-share \"%s\": expected a fraction 0 < X <= 1",
                         o->volume_share);
    m->max_volume_share = v;
  }
  m->touch_fill = o->touch_fill;
  cfg->allow_gaps = o->allow_gaps;
  return CLI_OK;
}

static void print_summary(cli_ctx *ctx, const cq_bt_result *r, double ms, const char *json,
                          size_t len) {
  const cq_bt_config *c = &r->config;
  char tfs[CQ_TF_STRMAX], a[CQ_TIME_STRMAX], b[CQ_TIME_STRMAX];
  cq_timeframe_format(c->tf, tfs, sizeof tfs);
  cq_time_format_iso(r->time[0], 0, a, sizeof a);
  cq_time_format_iso(r->time[r->n_bars - 1], 0, b, sizeof b);
  fprintf(ctx->out, "%s (%s engine) on %s", c->strategy, cq_bt_engine_name(c->engine), c->venue);
  for (int s = 0; s < c->n_symbols; s++) fprintf(ctx->out, "%s%s", s ? "," : " ", c->symbols[s]);
  fprintf(ctx->out, " %s, %s .. %s: %zu bars in %.1f ms (%.1f M bars/s)\n", tfs, a, b, r->n_bars,
          ms, ms > 0 ? (double)r->n_bars / ms / 1e3 : 0.0);
  fprintf(ctx->out, "orders %lld (rejected %lld), fills %zu, trades %zu\n",
          (long long)r->orders, (long long)r->rejected, r->n_fills, r->n_trades);
  bt_print_metrics_json(ctx->out, c->strategy, json, len);
}

static int write_text(cli_ctx *ctx, const char *cmd, const char *path, const char *text,
                      size_t len) {
  cli_output o;
  int rc = cli_output_open(ctx, cmd, path, &o);
  if (rc) return rc;
  cq_error e;
  rc = fwrite(text, 1, len, o.f) == len ? CQ_OK : CQ_EIO;
  if (cli_output_close(&o, rc, &e)) {
    fprintf(ctx->err, "cquant %s: cannot write %s\n", cmd, path);
    return CLI_FAIL;
  }
  return CLI_OK;
}

static int write_report(cli_ctx *ctx, const char *cmd, const char *path, const char *json,
                        size_t len) {
  cli_output o;
  int rc = cli_output_open(ctx, cmd, path, &o);
  if (rc) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = cq_bt_report_html(json, len, o.f, &e);
  if (rc) {
    cli_output_close(&o, rc, NULL);
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  if (cli_output_close(&o, CQ_OK, &e)) {
    fprintf(ctx->err, "cquant %s: cannot write %s\n", cmd, path);
    return CLI_FAIL;
  }
  return CLI_OK;
}

size_t bt_run_opts(bt_opts *o, cli_opt *out) {
  const cli_opt opts[BT_RUN_OPTS] = {
      {"--param", "-p", CLI_LIST, &o->params},
      {"--venue", NULL, CLI_STR, &o->venue},
      {"--symbol", "--symbols", CLI_LIST, &o->symbols},
      {"--tf", NULL, CLI_STR, &o->tf},
      {"--from", "--since", CLI_STR, &o->from},
      {"--to", "--until", CLI_STR, &o->to},
      {"--engine", NULL, CLI_STR, &o->engine},
      {"--cash", NULL, CLI_STR, &o->cash},
      {"--quote", NULL, CLI_STR, &o->quote},
      {"--size", NULL, CLI_STR, &o->size},
      {"--fee", NULL, CLI_STR, &o->fee},
      {"--maker-fee", NULL, CLI_STR, &o->maker_fee},
      {"--taker-fee", NULL, CLI_STR, &o->taker_fee},
      {"--slippage", NULL, CLI_STR, &o->slippage},
      {"--latency", NULL, CLI_STR, &o->latency},
      {"--fill-latency", NULL, CLI_STR, &o->fill_latency},
      {"--fill", NULL, CLI_STR, &o->fill},
      {"--touch-fill", NULL, CLI_FLAG, &o->touch_fill},
      {"--volume-share", NULL, CLI_STR, &o->volume_share},
      {"--allow-gaps", NULL, CLI_FLAG, &o->allow_gaps},
      {"--report", NULL, CLI_STR, &o->report},
      {"--output", "-o", CLI_STR, &o->output},
      {"--quiet", "-q", CLI_FLAG, &o->quiet},
      {"--store", NULL, CLI_STR, &o->store},
  };
  memcpy(out, opts, sizeof opts);
  return BT_RUN_OPTS;
}

static int backtest_run(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "backtest";
  bt_opts o, file;
  memset(&o, 0, sizeof o);
  memset(&file, 0, sizeof file);
  cli_opt opts[BT_RUN_OPTS + 3] = {{"--strategy", NULL, CLI_STR, &o.strategy},
                                   {"--ticks", NULL, CLI_FLAG, &o.ticks},
                                   {"--no-store", NULL, CLI_FLAG, &o.no_store}};
  size_t nopts = 3 + bt_run_opts(&o, opts + 3);
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, nopts, pos, 1, &npos)))
    return rc;
  if (npos == 1) {
    if ((rc = bt_runfile_load(ctx, cmd, pos[0], &file))) {
      bt_opts_release(&file);
      return rc;
    }
    merge_opts(&o, &file);
  }
  cq_bt_config *cfg = calloc(1, sizeof *cfg);
  cq_bt_result *res = calloc(1, sizeof *res);
  cq_candles *candles = calloc(CQ_BT_MAX_SYMBOLS, sizeof *candles);
  cq_trades *trades = calloc(CQ_BT_MAX_SYMBOLS, sizeof *trades);
  cq_store *store = NULL;
  char *json = NULL, *rdoc = NULL;
  size_t json_len = 0, rdoc_len = 0;
  const cq_strategy_def *def = NULL;
  if (!cfg || !res || !candles || !trades) {
    fprintf(ctx->err, "cquant %s: out of memory\n", cmd);
    rc = CLI_FAIL;
    goto done;
  }
  cq_bt_result_init(res);
  for (int s = 0; s < CQ_BT_MAX_SYMBOLS; s++) {
    cq_candles_init(&candles[s], 0);
    cq_trades_init(&trades[s], 0);
  }
  cq_bt_data data = {0};
  if ((rc = bt_config_of(ctx, cmd, &o, cfg, &def))) goto done;
  if ((rc = data_open_store(ctx, cmd, o.store, &store))) goto done;
  if ((rc = bt_load_data(ctx, cmd, &o, store, cfg, candles, o.ticks ? trades : NULL, &data)))
    goto done;
  size_t bars = 0;
  for (int s = 0; s < cfg->n_symbols; s++) bars += candles[s].len;
  cq_progress prog;
  cq_progress_opts po;
  if (!o.quiet) {
    cli_progress_opts(ctx, &po, "backtest", "bars", bars / (size_t)cfg->n_symbols);
    cq_progress_init(&prog, &po);
  }
  cq_error e;
  cq_error_clear(&e);
  cq_time t0 = cq_clock_steady(&ctx->clock);
  int brc = cq_bt_run(cfg, &data, o.quiet ? NULL : &prog, res, &e);
  double ms = (double)(cq_clock_steady(&ctx->clock) - t0) / 1e6;
  if (!o.quiet) {
    if (!brc) cq_progress_set(&prog, res->n_bars);
    cq_progress_finish(&prog);
  }
  if (brc) {
    cli_report_error(ctx, cmd, &e);
    rc = brc == CQ_EUNSUPPORTED || brc == CQ_EINVAL || brc == CQ_ECONFIG ? CLI_USAGE : CLI_FAIL;
    goto done;
  }
  /* The report's document: every metric, trade and fill, the charts at most
   * CQ_BT_REPORT_MAX_POINTS points a series; it is also what the store keeps (the equity at
   * every bar and the trades go to their own tables). The full document (--json, --output)
   * has every bar. */
  cq_bt_json_options ro = {.max_points = CQ_BT_REPORT_MAX_POINTS};
  if (cq_bt_to_json_opts(res, &data, &ro, &rdoc, &rdoc_len, &e)) {
    cli_report_error(ctx, cmd, &e);
    rc = CLI_FAIL;
    goto done;
  }
  if ((ctx->json || o.output) && cq_bt_to_json(res, &data, &json, &json_len, &e)) {
    cli_report_error(ctx, cmd, &e);
    rc = CLI_FAIL;
    goto done;
  }
  if (o.report && (rc = write_report(ctx, cmd, o.report, rdoc, rdoc_len))) goto done;
  if (o.output && (rc = write_text(ctx, cmd, o.output, json, json_len))) goto done;
  int64_t id = 0;
  if (!o.no_store && (rc = bt_store_run(ctx, cmd, store, res, rdoc, rdoc_len, &id))) goto done;
  if (ctx->json) {
    fwrite(json, 1, json_len, ctx->out);
    fputc('\n', ctx->out);
  } else {
    print_summary(ctx, res, ms, rdoc, rdoc_len);
    if (id) fprintf(ctx->out, "run %lld stored (cquant backtest show %lld)\n", (long long)id,
                    (long long)id);
    if (o.report) fprintf(ctx->out, "report: %s\n", o.report);
  }
done:
  free(json);
  free(rdoc);
  if (res) cq_bt_result_release(res);
  for (int s = 0; s < CQ_BT_MAX_SYMBOLS; s++) {
    if (candles) cq_candles_release(&candles[s]);
    if (trades) cq_trades_release(&trades[s]);
  }
  free(candles);
  free(trades);
  free(res);
  free(cfg);
  if (store) cq_store_close(store);
  bt_opts_release(&file);
  return rc;
}

static const cli_subcommand backtest_commands[] = {
    {"list", cmd_backtest_list, cmd_backtest_list_usage},
    {"show", cmd_backtest_show, cmd_backtest_show_usage},
    {"compare", cmd_backtest_compare, cmd_backtest_compare_usage},
    {"strategies", cmd_backtest_strategies, cmd_backtest_strategies_usage},
};

int cmd_backtest(cli_ctx *ctx, int argc, char **argv) {
  size_t n = sizeof backtest_commands / sizeof backtest_commands[0];
  if (argc > 0 && argv[0][0] != '-') {
    /* a subcommand, or a run file; anything else is a mistyped subcommand */
    size_t len = strlen(argv[0]);
    bool yaml = (len > 5 && !strcmp(argv[0] + len - 5, ".yaml")) ||
                (len > 4 && !strcmp(argv[0] + len - 4, ".yml"));
    if (!yaml)
      return cli_dispatch(ctx, "backtest", cmd_backtest_usage, backtest_commands, n, argc, argv);
  }
  if (cli_wants_help(argc, argv)) {
    fputs(cmd_backtest_usage, ctx->out);
    return CLI_OK;
  }
  return backtest_run(ctx, argc, argv);
}
