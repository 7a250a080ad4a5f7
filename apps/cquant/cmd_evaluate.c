/* cquant evaluate: one or several strategies over several symbols and periods, every
 * (strategy, symbol, period) a backtest, scored into a scorecard and ranked
 * (docs/cli/evaluate.md, docs/optimization.md). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_backtest.h"
#include "cmd_data.h"
#include "cmd_optimize.h"
#include "cquant/optimize.h"
#include "cquant/strategy.h"

enum { DEFAULT_PERIODS = 4, MAX_THREADS = 256 };

const char cmd_evaluate_usage[] =
    "usage: cquant evaluate --strategy A,B,... --symbol X --symbol Y --tf TF [options]\n"
    "\n"
    "Runs every strategy on every symbol over every period, each one backtest, and scores\n"
    "each strategy: return (median CAGR and total return), risk (median and worst max\n"
    "drawdown, volatility), robustness (share of profitable cells, worst and median Sharpe,\n"
    "a bootstrap interval of the pooled Sharpe), overfitting risk (the deflated Sharpe),\n"
    "consistency (Sharpe spread across symbols and periods, how often it beats buy and hold),\n"
    "and one score from 0 to 100. Prints the scorecard best first (docs/optimization.md).\n"
    "\n"
    "  --strategy A,B         the strategies (repeat or comma-separate; at most 32)\n"
    "  --param S.NAME=V       a parameter of strategy S (repeatable); NAME=V when there is\n"
    "                         one strategy; the others keep their defaults\n"
    "  --symbol SYM           the symbols (repeat or comma-separate), each run on its own\n"
    "  --period FROM:TO       a period (repeatable; FROM..TO also works), in order, not\n"
    "                         overlapping; or\n"
    "  --periods N            the stored range (or --from/--to) cut into N equal periods\n"
    "                         (default 4)\n"
    "  --tried N              parameter sets tried per strategy before these (default 1):\n"
    "                         the deflated Sharpe counts strategies x N trials\n"
    "  --seed N               of the bootstrap (default 42)\n"
    "  --threads N            worker threads (default: every core)\n"
    "\n"
    "Every backtest option of cquant backtest applies to each cell (--venue, --tf, --from,\n"
    "--to, --cash, --size, --fee, --slippage, --latency, --fill, --engine...; by default the\n"
    "vector engine for a strategy that has one, else the event engine).\n"
    "\n"
    "Output: --report FILE.html (the scorecard, the cells by Sharpe), --output FILE.json,\n"
    "--json (the document on stdout), --quiet (no progress). Nothing is stored.\n"
    "\n"
    "See also cquant compare ID ID... (stored runs side by side).\n";

typedef struct eval_opts {
  bt_opts bt;
  cli_list strategies, periods;
  size_t n_periods, tried, seed, threads; /* SIZE_MAX: not given */
} eval_opts;

typedef struct job {
  eval_opts o;
  char names[CQ_EVAL_MAX_STRATEGIES][CQ_BT_NAME_MAX];
  int n_names;
  cli_list params[CQ_EVAL_MAX_STRATEGIES];
  cq_eval_config cfg;
  cq_candles candles[CQ_BT_MAX_SYMBOLS];
  cq_bt_data data;
  cq_store *store;
  cq_eval_result res;
  cq_progress prog;
  bool show;
} job;

static int usage(cli_ctx *ctx, const char *cmd, const char *what) {
  fprintf(ctx->err, "cquant %s: %s\n", cmd, what);
  return CLI_USAGE;
}

/* The strategy names of every --strategy, split at commas; each once. */
static int names_of(cli_ctx *ctx, const char *cmd, job *j) {
  for (int i = 0; i < j->o.strategies.n; i++) {
    for (const char *s = j->o.strategies.v[i]; *s;) {
      size_t n = strcspn(s, ",");
      if (n) {
        if (j->n_names == CQ_EVAL_MAX_STRATEGIES) {
          fprintf(ctx->err, "cquant %s: at most %d strategies\n", cmd, CQ_EVAL_MAX_STRATEGIES);
          return CLI_USAGE;
        }
        if (n >= CQ_BT_NAME_MAX) {
          fprintf(ctx->err,
                  "cquant %s: --strategy \"%.*s\": no such strategy (cquant backtest "
                  "strategies lists them)\n",
                  cmd, (int)n, s);
          return CLI_USAGE;
        }
        char *name = j->names[j->n_names];
        snprintf(name, CQ_BT_NAME_MAX, "%.*s", (int)n, s);
        for (int k = 0; k < j->n_names; k++)
          if (!strcmp(j->names[k], name)) {
            fprintf(ctx->err, "cquant %s: --strategy %s: given twice\n", cmd, name);
            return CLI_USAGE;
          }
        j->n_names++;
      }
      s += n;
      if (*s == ',') s++;
    }
  }
  if (!j->n_names)
    return usage(ctx, cmd,
                 "--strategy is required: one or more, comma-separated (cquant backtest "
                 "strategies lists them)");
  return CLI_OK;
}

/* Each --param to its strategy: "S.NAME=V", or "NAME=V" with one strategy. */
static int params_of(cli_ctx *ctx, const char *cmd, job *j) {
  for (int i = 0; i < j->o.bt.params.n; i++) {
    const char *a = j->o.bt.params.v[i];
    size_t key = strcspn(a, "="), dot = strcspn(a, ".");
    int to = -1;
    const char *rest = a;
    if (dot < key) {
      for (int k = 0; k < j->n_names && to < 0; k++)
        if (strlen(j->names[k]) == dot && !strncmp(j->names[k], a, dot)) to = k;
      if (to < 0) {
        fprintf(ctx->err,
                "cquant %s: --param \"%s\": %.*s is not among the strategies "
                "evaluated (",
                cmd, a, (int)dot, a);
        for (int k = 0; k < j->n_names; k++) fprintf(ctx->err, "%s%s", k ? ", " : "", j->names[k]);
        fputs(")\n", ctx->err);
        return CLI_USAGE;
      }
      rest = a + dot + 1;
    } else if (j->n_names == 1) {
      to = 0;
    } else {
      fprintf(ctx->err,
              "cquant %s: --param \"%s\": say which strategy it is for: "
              "STRATEGY.NAME=VALUE (as %s.%s)\n",
              cmd, a, j->names[0], a);
      return CLI_USAGE;
    }
    cli_list *l = &j->params[to];
    if (l->n == CLI_LIST_MAX) return usage(ctx, cmd, "too many --param");
    l->v[l->n++] = rest;
  }
  return CLI_OK;
}

/* "FROM:TO" (the first colon where both sides read as times) or "FROM..TO". */
static int period_of(cli_ctx *ctx, const char *cmd, const char *text, cq_eval_period *out) {
  cq_time now = cq_clock_now(&ctx->clock);
  char a[128], b[128];
  const char *dots = strstr(text, "..");
  size_t len = strlen(text);
  for (size_t i = 0; i < len && len < sizeof a; i++) {
    size_t skip = dots ? 2 : 1;
    if (dots ? text + i != dots : text[i] != ':') continue;
    snprintf(a, sizeof a, "%.*s", (int)i, text);
    snprintf(b, sizeof b, "%s", text + i + skip);
    if (cq_time_parse_point(a, now, &out->from, NULL) == CQ_OK &&
        cq_time_parse_point(b, now, &out->to, NULL) == CQ_OK)
      return CLI_OK;
  }
  fprintf(ctx->err,
          "cquant %s: --period \"%s\": expected FROM:TO or FROM..TO (dates such as 2024-01-01, "
          "times, epoch ms)\n",
          cmd, text);
  return CLI_USAGE;
}

static int periods_given(cli_ctx *ctx, const char *cmd, job *j) {
  eval_opts *o = &j->o;
  if (o->n_periods != SIZE_MAX)
    return usage(ctx, cmd, "--period and --periods: give the periods or their number, not both");
  if (o->bt.from || o->bt.to)
    return usage(ctx, cmd, "--period and --from/--to: the periods give the range");
  if (o->periods.n > CQ_EVAL_MAX_PERIODS) {
    fprintf(ctx->err, "cquant %s: at most %d periods\n", cmd, CQ_EVAL_MAX_PERIODS);
    return CLI_USAGE;
  }
  for (int i = 0; i < o->periods.n; i++) {
    int rc = period_of(ctx, cmd, o->periods.v[i], &j->cfg.periods[i]);
    if (rc) return rc;
  }
  j->cfg.n_periods = o->periods.n;
  cq_error e;
  if (cq_eval_check_periods(j->cfg.periods, j->cfg.n_periods, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_USAGE;
  }
  return CLI_OK;
}

/* --periods N: the span of the candles loaded, cut into N. */
static int periods_split(cli_ctx *ctx, const char *cmd, job *j) {
  size_t n = j->o.n_periods == SIZE_MAX ? DEFAULT_PERIODS : j->o.n_periods;
  if (n < 1 || n > CQ_EVAL_MAX_PERIODS) {
    fprintf(ctx->err, "cquant %s: --periods %zu: expected 1 to %d\n", cmd, n, CQ_EVAL_MAX_PERIODS);
    return CLI_USAGE;
  }
  cq_time t0 = INT64_MAX, tend = INT64_MIN;
  for (int y = 0; y < j->data.n_symbols; y++) {
    const cq_candles *c = j->data.candles[y];
    if (!c->len) continue;
    cq_time last = cq_timeframe_next(j->cfg.bt.tf, c->open_time[c->len - 1]);
    if (c->open_time[0] < t0) t0 = c->open_time[0];
    if (last > tend) tend = last;
  }
  cq_error e;
  if (cq_eval_split(t0, tend, j->cfg.bt.tf, (int)n, j->cfg.periods, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_USAGE;
  }
  j->cfg.n_periods = (int)n;
  return CLI_OK;
}

/* The settings of every strategy (bt_config_of checks each name and its parameters), the
 * shared backtest settings from the first. */
static int config_of(cli_ctx *ctx, const char *cmd, job *j) {
  cq_eval_config *c = &j->cfg;
  cq_eval_config_init(c);
  for (int s = 0; s < j->n_names; s++) {
    bt_opts one = j->o.bt;
    one.strategy = j->names[s];
    one.params = j->params[s];
    cq_bt_config bt;
    const cq_strategy_def *def = NULL;
    int rc = bt_config_of(ctx, cmd, &one, &bt, &def);
    if (rc) return rc;
    if (s == 0) c->bt = bt;
    c->strategies[s].def = def;
    c->strategies[s].params = bt.params;
  }
  c->n_strategies = j->n_names;
  c->bt.strategy[0] = '\0';
  c->bt.params.n = 0;
  c->auto_engine = j->o.bt.engine == NULL;
  if (!c->auto_engine && c->bt.engine == CQ_BT_VECTOR)
    for (int s = 0; s < c->n_strategies; s++)
      if (!c->strategies[s].def->signals) {
        fprintf(ctx->err,
                "cquant %s: --engine vector: strategy %s has no vector form; leave "
                "--engine out (each strategy then runs on the engine it has)\n",
                cmd, c->strategies[s].def->name);
        return CLI_USAGE;
      }
  if (j->o.tried != SIZE_MAX) {
    if (j->o.tried < 1 || j->o.tried > INT64_MAX / CQ_EVAL_MAX_STRATEGIES)
      return usage(ctx, cmd, "--tried: expected 1 or more parameter sets");
    c->tried = (int64_t)j->o.tried;
  }
  if (j->o.seed != SIZE_MAX) c->seed = (uint64_t)j->o.seed;
  if (j->o.threads != SIZE_MAX) {
    if (j->o.threads < 1) return usage(ctx, cmd, "--threads: expected 1 or more");
    c->threads = (int)(j->o.threads > MAX_THREADS ? MAX_THREADS : j->o.threads);
  }
  return CLI_OK;
}

static int parse(cli_ctx *ctx, const char *cmd, int argc, char **argv, eval_opts *o) {
  bt_opts *b = &o->bt;
  o->n_periods = o->tried = o->seed = o->threads = SIZE_MAX;
  cli_opt opts[BT_RUN_OPTS + 6] = {
      {"--strategy", "--strategies", CLI_LIST, &o->strategies},
      {"--period", NULL, CLI_LIST, &o->periods},
      {"--periods", NULL, CLI_SIZE, &o->n_periods},
      {"--tried", NULL, CLI_SIZE, &o->tried},
      {"--seed", NULL, CLI_SIZE, &o->seed},
      {"--threads", "-j", CLI_SIZE, &o->threads},
  };
  size_t n = 6 + bt_run_opts(b, opts + 6);
  int npos = 0;
  return cli_parse(ctx, cmd, argc, argv, opts, n, NULL, 0, &npos);
}

/* ---- output ------------------------------------------------------------------------------ */

/* digits: after the point; pct: as a percentage */
static const char *fmt(char *buf, size_t n, const cq_stat *s, bool pct, int digits) {
  if (!s->ok)
    snprintf(buf, n, "n/a");
  else if (pct)
    snprintf(buf, n, "%.*f%%", digits, s->value * 100);
  else
    snprintf(buf, n, "%.*f", digits, s->value);
  return buf;
}

static void note_missing(FILE *f, const char *strategy, const char *what, const cq_stat *s,
                         int *count) {
  if (s->ok) return;
  if (!(*count)++) fputs("not enough data:\n", f);
  fprintf(f, "  %s, %s: %s\n", strategy, what, s->why[0] ? s->why : "not enough data");
}

static void print_scorecard(cli_ctx *ctx, const job *j, double secs) {
  FILE *f = ctx->out;
  const cq_eval_config *c = &j->cfg;
  const cq_eval_result *r = &j->res;
  char tfs[CQ_TF_STRMAX];
  cq_timeframe_format(c->bt.tf, tfs, sizeof tfs);
  fprintf(f,
          "evaluate: %d strateg%s x %d symbol%s x %d period%s = %zu backtest%s in %.2f s (%s %s)\n",
          c->n_strategies, c->n_strategies == 1 ? "y" : "ies", c->bt.n_symbols,
          c->bt.n_symbols == 1 ? "" : "s", c->n_periods, c->n_periods == 1 ? "" : "s", r->n_cells,
          r->n_cells == 1 ? "" : "s", secs, c->bt.venue, tfs);
  for (int p = 0; p < c->n_periods; p++) {
    char a[CQ_TIME_STRMAX], b[CQ_TIME_STRMAX];
    cq_time_format_iso(c->periods[p].from, 0, a, sizeof a);
    cq_time_format_iso(c->periods[p].to, 0, b, sizeof b);
    fprintf(f, "  period %d: %s .. %s\n", p + 1, a, b);
  }
  fprintf(f, "\n%3s  %-16s %6s %9s %9s %9s %9s %10s\n", "#", "strategy", "score", "CAGR", "return",
          "max DD", "worst DD", "volatility");
  char x[6][32];
  for (int i = 0; i < r->n_strategies; i++) {
    const cq_eval_score *s = &r->scores[r->ranking[i]];
    fprintf(f, "%3d  %-16s %6s %9s %9s %9s %9s %10s\n", s->rank,
            c->strategies[s->strategy].def->name,
            s->score.ok ? (snprintf(x[0], sizeof x[0], "%.1f", s->score.value), x[0]) : "n/a",
            fmt(x[1], sizeof x[1], &s->median_cagr, true, 2),
            fmt(x[2], sizeof x[2], &s->median_return, true, 2),
            fmt(x[3], sizeof x[3], &s->median_drawdown, true, 2),
            fmt(x[4], sizeof x[4], &s->worst_drawdown, true, 2),
            fmt(x[5], sizeof x[5], &s->median_volatility, true, 2));
  }
  fprintf(f, "\n%3s  %-16s %10s %7s %7s %22s %7s %8s %8s %10s\n", "#", "strategy", "profitable",
          "Sharpe", "worst", "pooled Sharpe [95%]", "DSR", "SR sd/sy", "SR sd/pe", "beats B&H");
  for (int i = 0; i < r->n_strategies; i++) {
    const cq_eval_score *s = &r->scores[r->ranking[i]];
    char pooled[48], beats[32], a[16], b[16];
    const cq_interval *iv = &s->pooled_sharpe;
    if (iv->point.ok)
      snprintf(pooled, sizeof pooled, "%.2f [%.2f, %.2f]", iv->point.value, iv->lo, iv->hi);
    else
      snprintf(pooled, sizeof pooled, "n/a");
    snprintf(beats, sizeof beats, "%s/%s", fmt(a, sizeof a, &s->beats_bh_symbols, true, 0),
             fmt(b, sizeof b, &s->beats_bh_periods, true, 0));
    fprintf(f, "%3d  %-16s %10s %7s %7s %22s %7s %8s %8s %10s\n", s->rank,
            c->strategies[s->strategy].def->name, fmt(x[0], sizeof x[0], &s->profitable, true, 0),
            fmt(x[1], sizeof x[1], &s->median_sharpe, false, 2),
            fmt(x[2], sizeof x[2], &s->worst_sharpe, false, 2), pooled,
            fmt(x[3], sizeof x[3], &s->dsr.dsr, false, 3),
            fmt(x[4], sizeof x[4], &s->sharpe_sd_symbols, false, 2),
            fmt(x[5], sizeof x[5], &s->sharpe_sd_periods, false, 2), beats);
  }
  fprintf(f,
          "\nSharpe: median over the cells; worst: the lowest cell; DSR: deflated Sharpe "
          "over %lld trial%s; SR sd/sy, sd/pe: spread of the Sharpe across symbols, periods; "
          "beats B&H: share of symbols/periods.\n",
          (long long)r->trials, r->trials == 1 ? "" : "s");
  int missing = 0;
  for (int i = 0; i < r->n_strategies; i++) {
    const cq_eval_score *s = &r->scores[r->ranking[i]];
    const char *name = c->strategies[s->strategy].def->name;
    note_missing(f, name, "score", &s->score, &missing);
    note_missing(f, name, "median CAGR", &s->median_cagr, &missing);
    note_missing(f, name, "median max drawdown", &s->median_drawdown, &missing);
    note_missing(f, name, "median Sharpe", &s->median_sharpe, &missing);
    note_missing(f, name, "pooled Sharpe", &s->pooled_sharpe.point, &missing);
    note_missing(f, name, "deflated Sharpe", &s->dsr.dsr, &missing);
    note_missing(f, name, "Sharpe spread across symbols", &s->sharpe_sd_symbols, &missing);
    note_missing(f, name, "Sharpe spread across periods", &s->sharpe_sd_periods, &missing);
    note_missing(f, name, "beats buy and hold (symbols)", &s->beats_bh_symbols, &missing);
    note_missing(f, name, "beats buy and hold (periods)", &s->beats_bh_periods, &missing);
  }
}

static bool on_cells(size_t done, size_t total, void *user) {
  job *j = user;
  (void)total;
  if (j->show) cq_progress_set(&j->prog, done);
  return true;
}

/* ---- the command ------------------------------------------------------------------------- */

static int evaluate(cli_ctx *ctx, const char *cmd, job *j, int argc, char **argv) {
  int rc = parse(ctx, cmd, argc, argv, &j->o);
  if (!rc) rc = names_of(ctx, cmd, j);
  if (!rc) rc = params_of(ctx, cmd, j);
  if (!rc) rc = config_of(ctx, cmd, j);
  if (!rc && j->o.periods.n) rc = periods_given(ctx, cmd, j);
  if (rc) return rc;
  if (j->cfg.n_periods) {
    j->cfg.bt.from = j->cfg.periods[0].from;
    j->cfg.bt.to = j->cfg.periods[j->cfg.n_periods - 1].to;
  }
  if ((rc = data_open_store(ctx, cmd, j->o.bt.store, &j->store))) return rc;
  for (int s = 0; s < CQ_BT_MAX_SYMBOLS; s++) cq_candles_init(&j->candles[s], 0);
  rc = bt_load_data(ctx, cmd, &j->o.bt, j->store, &j->cfg.bt, j->candles, NULL, &j->data);
  if (!rc && !j->cfg.n_periods) rc = periods_split(ctx, cmd, j);
  if (rc) return rc;

  cq_error e;
  cq_error_clear(&e);
  j->show = !j->o.bt.quiet;
  size_t cells = (size_t)j->cfg.n_strategies * (size_t)j->data.n_symbols * (size_t)j->cfg.n_periods;
  if (j->show) {
    cq_progress_opts po;
    cli_progress_opts(ctx, &po, "evaluate", "backtests", cells);
    cq_progress_init(&j->prog, &po);
  }
  cq_time t0 = cq_clock_steady(&ctx->clock);
  int erc = cq_eval_run(&j->cfg, &j->data, on_cells, j, &j->res, &e);
  double secs = (double)(cq_clock_steady(&ctx->clock) - t0) / 1e9;
  if (j->show) cq_progress_finish(&j->prog);
  if (erc) {
    cli_report_error(ctx, cmd, &e);
    return erc == CQ_EINVAL || erc == CQ_EUNSUPPORTED ? CLI_USAGE : CLI_FAIL;
  }
  char *doc = NULL;
  size_t len = 0;
  if (cq_eval_json(&j->cfg, &j->res, &doc, &len, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  if (j->o.bt.report) rc = opt_write_doc(ctx, cmd, j->o.bt.report, doc, len, true);
  if (!rc && j->o.bt.output) rc = opt_write_doc(ctx, cmd, j->o.bt.output, doc, len, false);
  if (!rc && ctx->json) {
    fwrite(doc, 1, len, ctx->out);
  } else if (!rc) {
    print_scorecard(ctx, j, secs);
    if (j->o.bt.report) fprintf(ctx->out, "report: %s\n", j->o.bt.report);
  }
  free(doc);
  return rc;
}

int cmd_evaluate(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "evaluate";
  job *j = calloc(1, sizeof *j);
  if (!j) {
    fprintf(ctx->err, "cquant %s: out of memory\n", cmd);
    return CLI_FAIL;
  }
  cq_eval_result_init(&j->res);
  int rc = evaluate(ctx, cmd, j, argc, argv);
  cq_eval_result_release(&j->res);
  for (int s = 0; s < CQ_BT_MAX_SYMBOLS; s++) cq_candles_release(&j->candles[s]);
  if (j->store) cq_store_close(j->store);
  free(j);
  return rc;
}
