/* Evaluation: every (strategy, symbol, period) cell as one backtest, run by worker threads on
 * read-only views of the candles, then a scorecard per strategy (return, risk, robustness,
 * overfitting risk, consistency) and one score. docs/optimization.md, "Evaluation and the
 * scorecard", defines every number.
 *
 * Determinism: a cell's numbers depend only on its strategy, symbol, period and the shared
 * settings, and each cell is written to its own slot, so the thread count changes nothing;
 * the scorecard is computed afterwards in strategy order, its bootstrap seeded per strategy. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt_internal.h"

enum { EVAL_BATCH = 16, BOOT_RESAMPLES = 1000, BOOT_MIN = 10 };

const char cq_eval_score_formula[] =
    "score = 100 x the mean of five parts, each from 0 to 1 (a part that cannot be computed "
    "counts 0): "
    "return = clamp(0.5 + median CAGR, 0, 1) (0 at -50 %/year, 1 at +50 %/year); "
    "risk = clamp(1 - 2 x median max drawdown, 0, 1) (0 at a 50 % drawdown); "
    "robustness = share of profitable cells; "
    "overfitting = deflated Sharpe probability; "
    "consistency = mean of the shares of symbols and of periods where the strategy beats buy "
    "and hold";

void cq_eval_config_init(cq_eval_config *c) {
  memset(c, 0, sizeof *c);
  cq_bt_config_default(&c->bt);
  c->auto_engine = true;
  c->tried = 1;
  c->seed = 42;
}

void cq_eval_result_init(cq_eval_result *r) {
  memset(r, 0, sizeof *r);
}

void cq_eval_result_release(cq_eval_result *r) {
  for (size_t i = 0; r->cells && i < r->n_cells; i++) free(r->cells[i].returns);
  free(r->cells);
  free(r->scores);
  memset(r, 0, sizeof *r);
}

/* ---- periods ------------------------------------------------------------------------------ */

static void iso(cq_time t, char *buf, size_t n) {
  cq_time_format_iso(t, 0, buf, n);
}

/* The open time of bar j counted from `from` on the tf grid. */
static cq_time bar_time(cq_time from, cq_timeframe tf, int64_t j) {
  int64_t step = cq_timeframe_ns(tf);
  if (step > 0) return from + j * step;
  cq_time t = from;
  for (int64_t k = 0; k < j; k++) t = cq_timeframe_next(tf, t);
  return t;
}

/* Bars opening in [from, to), at most `cap` counted for calendar timeframes. */
static int64_t bars_in(cq_time from, cq_time to, cq_timeframe tf, int64_t cap) {
  int64_t step = cq_timeframe_ns(tf);
  if (step > 0) return (to - from - 1) / step + 1;
  int64_t n = 0;
  for (cq_time t = from; t < to && n < cap; t = cq_timeframe_next(tf, t)) n++;
  return n;
}

int cq_eval_split(cq_time from, cq_time to, cq_timeframe tf, int n, cq_eval_period *out,
                  cq_error *err) {
  if (n < 1 || n > CQ_EVAL_MAX_PERIODS)
    return cq_error_set(err, CQ_EINVAL, "%d periods asked; expected 1 to %d", n,
                        CQ_EVAL_MAX_PERIODS);
  if (!(from < to)) return cq_error_set(err, CQ_EINVAL, "no time range to split");
  int64_t bars = bars_in(from, to, tf, (int64_t)CQ_EVAL_MAX_PERIODS * 1000);
  if (bars < n)
    return cq_error_set(err, CQ_EINVAL,
                        "the range holds %lld bar%s, fewer than the %d periods asked",
                        (long long)bars, bars == 1 ? "" : "s", n);
  for (int k = 0; k < n; k++) {
    out[k].from = bar_time(from, tf, bars * k / n);
    out[k].to = k + 1 == n ? to : bar_time(from, tf, bars * (k + 1) / n);
  }
  return CQ_OK;
}

int cq_eval_check_periods(const cq_eval_period *p, int n, cq_error *err) {
  char a[CQ_TIME_STRMAX], b[CQ_TIME_STRMAX], c[CQ_TIME_STRMAX], d[CQ_TIME_STRMAX];
  if (n < 1 || n > CQ_EVAL_MAX_PERIODS)
    return cq_error_set(err, CQ_EINVAL, "%d periods; expected 1 to %d", n, CQ_EVAL_MAX_PERIODS);
  for (int i = 0; i < n; i++) {
    if (p[i].from < p[i].to) continue;
    iso(p[i].from, a, sizeof a);
    iso(p[i].to, b, sizeof b);
    return cq_error_set(err, CQ_EINVAL,
                        "period %d (%s .. %s) is empty: it must start before it ends", i + 1, a, b);
  }
  for (int i = 1; i < n; i++) {
    if (p[i].from >= p[i - 1].to) continue;
    iso(p[i - 1].from, a, sizeof a);
    iso(p[i - 1].to, b, sizeof b);
    iso(p[i].from, c, sizeof c);
    iso(p[i].to, d, sizeof d);
    if (p[i].from < p[i - 1].from)
      return cq_error_set(err, CQ_EINVAL,
                          "periods %d (%s .. %s) and %d (%s .. %s) are out of order: "
                          "give them from the earliest",
                          i, a, b, i + 1, c, d);
    return cq_error_set(err, CQ_EINVAL, "periods %d (%s .. %s) and %d (%s .. %s) overlap", i, a, b,
                        i + 1, c, d);
  }
  return CQ_OK;
}

int cq_eval_check(const cq_eval_config *c, const cq_bt_data *data, cq_error *err) {
  if (c->n_strategies < 1 || c->n_strategies > CQ_EVAL_MAX_STRATEGIES)
    return cq_error_set(err, CQ_EINVAL, "%d strategies; expected 1 to %d", c->n_strategies,
                        CQ_EVAL_MAX_STRATEGIES);
  for (int s = 0; s < c->n_strategies; s++) {
    const cq_strategy_def *def = c->strategies[s].def;
    if (!def) return cq_error_set(err, CQ_EINVAL, "strategy %d is not set", s + 1);
    /* the document and the report name cells by strategy: one parameter set each */
    for (int k = 0; k < s; k++)
      if (c->strategies[k].def == def || !strcmp(c->strategies[k].def->name, def->name))
        return cq_error_set(err, CQ_EINVAL,
                            "strategy %s is given twice (one parameter set per strategy)",
                            def->name);
    if (!c->auto_engine && c->bt.engine == CQ_BT_VECTOR && !def->signals)
      return cq_error_set(err, CQ_EUNSUPPORTED,
                          "strategy %s has no vector form; use the event engine", def->name);
  }
  if (c->tried < 1)
    return cq_error_set(err, CQ_EINVAL,
                        "%lld parameter sets tried per strategy; expected 1 or more",
                        (long long)c->tried);
  if (!data || data->n_symbols < 1 || data->n_symbols != c->bt.n_symbols ||
      data->n_symbols > CQ_BT_MAX_SYMBOLS)
    return cq_error_set(err, CQ_EINVAL,
                        "%d symbols in the settings, %d in the data; expected the same "
                        "number, 1 to %d",
                        c->bt.n_symbols, data ? data->n_symbols : 0, CQ_BT_MAX_SYMBOLS);
  int rc = cq_eval_check_periods(c->periods, c->n_periods, err);
  if (rc) return rc;
  for (int y = 0; y < data->n_symbols; y++) {
    const cq_candles *cd = data->candles[y];
    if (!cd) return cq_error_set(err, CQ_EINVAL, "no candles for %s", c->bt.symbols[y]);
    if (data->trades[y])
      return cq_error_set(err, CQ_EUNSUPPORTED, "runs on candles, not on trade data");
    for (int p = 0; p < c->n_periods; p++) {
      if (cq_candles_lower_bound(cd, c->periods[p].from) <
          cq_candles_lower_bound(cd, c->periods[p].to))
        continue;
      char a[CQ_TIME_STRMAX], b[CQ_TIME_STRMAX];
      iso(c->periods[p].from, a, sizeof a);
      iso(c->periods[p].to, b, sizeof b);
      return cq_error_set(err, CQ_EINVAL, "%s has no candles in period %d (%s .. %s)",
                          c->bt.symbols[y], p + 1, a, b);
    }
  }
  return CQ_OK;
}

/* ---- one cell ----------------------------------------------------------------------------- */

/* The bar returns of a run (cq_bt_bar_returns) and their moments. */
static int keep_returns(const cq_bt_result *r, cq_eval_cell *cell, cq_error *err) {
  size_t n = r->n_bars;
  cell->returns = malloc((n ? n : 1) * sizeof *cell->returns);
  if (!cell->returns) return cq_error_set(err, CQ_ENOMEM, "no memory for %zu bar returns", n);
  cq_bt_bar_returns(r, cell->returns);
  cell->n_returns = n;
  cell->moments = cq_moments_of(cell->returns, n);
  return CQ_OK;
}

static int run_cell(const cq_eval_config *c, const cq_bt_data *data, cq_eval_cell *cell,
                    cq_error *err) {
  const cq_eval_strategy *st = &c->strategies[cell->strategy];
  const cq_eval_period *p = &c->periods[cell->period];
  int y = cell->symbol;
  cq_bt_config cfg = c->bt;
  snprintf(cfg.strategy, sizeof cfg.strategy, "%s", st->def->name);
  cfg.params = st->params;
  cfg.n_symbols = 1;
  memcpy(cfg.symbols[0], c->bt.symbols[y], sizeof cfg.symbols[0]);
  cfg.instruments[0] = c->bt.instruments[y];
  if (cfg.instruments[0].quote[0])
    snprintf(cfg.quote, sizeof cfg.quote, "%s", cfg.instruments[0].quote);
  cfg.from = p->from;
  cfg.to = p->to;
  const cq_candles *all = data->candles[y];
  cq_candles view = cq_candles_view(all, cq_candles_lower_bound(all, p->from),
                                    cq_candles_lower_bound(all, p->to));
  cq_bt_data d = {.n_symbols = 1, .candles = {&view}};
  cq_bt_result r;
  bool vector = c->auto_engine ? st->def->signals != NULL : c->bt.engine == CQ_BT_VECTOR;
  cfg.engine = vector ? CQ_BT_VECTOR : CQ_BT_EVENT;
  int rc = cq_bt_run_def(st->def, &cfg, &d, NULL, &r, err);
  /* settings the vector engine cannot model: the event engine gives the same numbers */
  if (rc == CQ_EUNSUPPORTED && vector && c->auto_engine) {
    cq_error_clear(err);
    cfg.engine = CQ_BT_EVENT;
    rc = cq_bt_run_def(st->def, &cfg, &d, NULL, &r, err);
  }
  if (rc) return rc;
  cell->engine = cfg.engine;
  cell->metrics = r.metrics;
  rc = keep_returns(&r, cell, err);
  cq_bt_result_release(&r);
  return rc;
}

/* ---- a batch ------------------------------------------------------------------------------- */

typedef struct batch {
  const cq_eval_config *c;
  const cq_bt_data *data;
  cq_eval_cell *cells;
  size_t from; /* the batch's first cell */
} batch;

static int run_item(size_t i, void *user, cq_error *err) {
  batch *b = user;
  return run_cell(b->c, b->data, &b->cells[b->from + i], err);
}

static int run_batch(batch *b, size_t n, int threads, cq_error *err) {
  size_t failed = 0;
  int rc = cq__parallel_for(n, threads, run_item, b, &failed, err);
  if (!rc) return CQ_OK;
  const cq_eval_cell *cell = &b->cells[b->from + failed];
  char a[CQ_TIME_STRMAX];
  iso(b->c->periods[cell->period].from, a, sizeof a);
  cq_error_prefix(err,
                  "%s on %s, period %d (from %s): ", b->c->strategies[cell->strategy].def->name,
                  b->c->bt.symbols[cell->symbol], cell->period + 1, a);
  return rc;
}

int cq_eval_run(const cq_eval_config *c, const cq_bt_data *data, cq_eval_progress_fn cb, void *user,
                cq_eval_result *out, cq_error *err) {
  cq_eval_result_init(out);
  int rc = cq_eval_check(c, data, err);
  if (rc) return rc;
  out->n_strategies = c->n_strategies;
  out->n_symbols = data->n_symbols;
  out->n_periods = c->n_periods;
  size_t n = (size_t)c->n_strategies * (size_t)data->n_symbols * (size_t)c->n_periods;
  out->cells = calloc(n, sizeof *out->cells);
  if (!out->cells) return cq_error_set(err, CQ_ENOMEM, "evaluate: no memory for %zu cells", n);
  out->n_cells = n;
  for (size_t i = 0; i < out->n_cells; i++) {
    cq_eval_cell *cell = &out->cells[i];
    cell->period = (int)(i % (size_t)c->n_periods);
    cell->symbol = (int)(i / (size_t)c->n_periods % (size_t)data->n_symbols);
    cell->strategy = (int)(i / ((size_t)c->n_periods * (size_t)data->n_symbols));
  }
  batch b = {.c = c, .data = data, .cells = out->cells};
  int threads = cq__threads(c->threads);
  for (size_t at = 0; !rc && at < out->n_cells; at += EVAL_BATCH) {
    size_t to = at + EVAL_BATCH < out->n_cells ? at + EVAL_BATCH : out->n_cells;
    b.from = at;
    rc = run_batch(&b, to - at, threads, err);
    if (!rc && cb && !cb(to, out->n_cells, user))
      rc = cq_error_set(err, CQ_ESTATE, "evaluate: stopped after %zu of %zu cells", to,
                        out->n_cells);
  }
  if (!rc) rc = cq_eval_scorecard(c, out, err);
  if (rc) cq_eval_result_release(out);
  return rc;
}

/* ---- the scorecard ------------------------------------------------------------------------ */

static cq_stat ok(double v) {
  return (cq_stat){.ok = true, .value = v};
}

static cq_stat na(const char *fmt, ...) CQ_PRINTF(1, 2);

static cq_stat na(const char *fmt, ...) {
  cq_stat s = {.ok = false, .value = NAN};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s.why, sizeof s.why, fmt, ap);
  va_end(ap);
  return s;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Moves the finite values of v[0..n) to its front; returns how many. */
static size_t finite_only(double *v, size_t n) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(v[i])) v[m++] = v[i];
  return m;
}

/* The median of the finite values (sorts v). */
static cq_stat median_of(double *v, size_t n, const char *what) {
  size_t m = finite_only(v, n);
  if (!m) return na("no cell has a %s", what);
  qsort(v, m, sizeof *v, cmp_double);
  return ok(m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2);
}

static cq_stat extreme_of(double *v, size_t n, bool highest, const char *what) {
  size_t m = finite_only(v, n);
  if (!m) return na("no cell has a %s", what);
  double x = v[0];
  for (size_t i = 1; i < m; i++)
    if (highest ? v[i] > x : v[i] < x) x = v[i];
  return ok(x);
}

/* The standard deviation (n - 1) of the finite values, over at least 2 of `what`. */
static cq_stat sd_of(double *v, size_t n, const char *what) {
  size_t m = finite_only(v, n);
  if (m < 2) return na("needs at least 2 %s with a Sharpe ratio (has %zu)", what, m);
  double mean = 0, ss = 0;
  for (size_t i = 0; i < m; i++) mean += v[i];
  mean /= (double)m;
  for (size_t i = 0; i < m; i++) ss += (v[i] - mean) * (v[i] - mean);
  return ok(sqrt(ss / (double)(m - 1)));
}

static double clamp01(double x) {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* A cell's per-bar Sharpe ratio (mean / sd of its bar returns): 0 when its equity never
 * moves, NaN with fewer than 2 returns. */
static double bar_sharpe(const cq_eval_cell *cell) {
  const cq_moments *m = &cell->moments;
  if (m->n < 2 || !isfinite(m->sd)) return NAN;
  return m->sd > 0 ? m->mean / m->sd : 0;
}

/* A cell's annualized Sharpe as the run metrics give it; 0 for a flat equity (see above). */
static double cell_sharpe(const cq_eval_cell *cell) {
  if (isfinite(cell->metrics.sharpe)) return cell->metrics.sharpe;
  return bar_sharpe(cell) == 0 ? 0 : NAN;
}

static double bars_per_year(cq_timeframe tf) {
  int64_t step = cq_timeframe_ns(tf);
  if (step > 0) return 365.0 * (double)CQ_NS_PER_DAY / (double)step;
  return tf.n ? 12.0 / (double)tf.n : NAN;
}

static const cq_eval_cell *cell_at(const cq_eval_result *r, int s, int y, int p) {
  return &r->cells[((size_t)s * (size_t)r->n_symbols + (size_t)y) * (size_t)r->n_periods +
                   (size_t)p];
}

/* The variance of every cell's per-bar Sharpe ratio: the spread of Sharpe ratios the
 * deflated Sharpe expects from luck alone. */
static int sharpe_variance(cq_eval_result *r, cq_error *err) {
  double *v = malloc((r->n_cells ? r->n_cells : 1) * sizeof *v);
  if (!v) return cq_error_set(err, CQ_ENOMEM, "evaluate: no memory for %zu cells", r->n_cells);
  for (size_t i = 0; i < r->n_cells; i++) v[i] = bar_sharpe(&r->cells[i]);
  size_t m = finite_only(v, r->n_cells);
  if (m < 2) {
    r->var_sr = na("needs at least 2 cells with a Sharpe ratio (has %zu)", m);
  } else {
    double mean = 0, ss = 0;
    for (size_t i = 0; i < m; i++) mean += v[i];
    mean /= (double)m;
    for (size_t i = 0; i < m; i++) ss += (v[i] - mean) * (v[i] - mean);
    r->var_sr = ok(ss / (double)(m - 1));
  }
  free(v);
  return CQ_OK;
}

/* Shares of the symbols (by_symbol) or periods beating buy and hold, and the spread of their
 * mean Sharpe ratios. */
static void consistency(const cq_eval_result *r, int s, bool by_symbol, double *work, cq_stat *sd,
                        cq_stat *beats) {
  int groups = by_symbol ? r->n_symbols : r->n_periods;
  int members = by_symbol ? r->n_periods : r->n_symbols;
  int counted = 0, won = 0;
  for (int g = 0; g < groups; g++) {
    double sum_sr = 0, sum_ret = 0, sum_bh = 0;
    int n_sr = 0, n_ret = 0;
    for (int k = 0; k < members; k++) {
      const cq_eval_cell *cell = by_symbol ? cell_at(r, s, g, k) : cell_at(r, s, k, g);
      double sr = cell_sharpe(cell);
      if (isfinite(sr)) {
        sum_sr += sr;
        n_sr++;
      }
      if (isfinite(cell->metrics.total_return) && isfinite(cell->metrics.buy_hold_return)) {
        sum_ret += cell->metrics.total_return;
        sum_bh += cell->metrics.buy_hold_return;
        n_ret++;
      }
    }
    work[g] = n_sr ? sum_sr / n_sr : NAN;
    if (n_ret) {
      counted++;
      won += sum_ret > sum_bh;
    }
  }
  const char *what = by_symbol ? "symbols" : "periods";
  *sd = sd_of(work, (size_t)groups, what);
  *beats = counted ? ok((double)won / counted)
                   : na("no %s with a total return and a buy-and-hold return", what);
}

/* The Sharpe ratio of every cell's bar returns together, with its bootstrap interval, and
 * the deflated Sharpe from the same returns. */
static int pooled(const cq_eval_config *c, const cq_eval_result *r, int s, cq_eval_score *sc,
                  cq_error *err) {
  size_t n = 0;
  for (int y = 0; y < r->n_symbols; y++)
    for (int p = 0; p < r->n_periods; p++) n += cell_at(r, s, y, p)->n_returns;
  double *x = malloc((n ? n : 1) * sizeof *x);
  if (!x) return cq_error_set(err, CQ_ENOMEM, "evaluate: no memory for %zu bar returns", n);
  size_t at = 0;
  for (int y = 0; y < r->n_symbols; y++)
    for (int p = 0; p < r->n_periods; p++) {
      const cq_eval_cell *cell = cell_at(r, s, y, p);
      if (cell->n_returns) memcpy(x + at, cell->returns, cell->n_returns * sizeof *x);
      at += cell->n_returns;
    }
  double ann = sqrt(bars_per_year(c->bt.tf));
  int rc = CQ_OK;
  cq_moments m = cq_moments_of(x, n);
  bool flat = m.n >= 2 && m.sd == 0;
  cq_interval *iv = &sc->pooled_sharpe;
  if (n < BOOT_MIN || flat) {
    memset(iv, 0, sizeof *iv);
    iv->point = n < BOOT_MIN ? na("needs at least %d bar returns (has %zu)", BOOT_MIN, n)
                             : na("the pooled returns never vary (no trade)");
    iv->lo = iv->hi = NAN;
    iv->level = 0.95;
  } else {
    size_t block = (size_t)llround(cbrt((double)n));
    if (block < 1) block = 1;
    rc = cq_bootstrap(x, n, cq_stat_sharpe, NULL, BOOT_RESAMPLES, block, 0.95,
                      cq_rng_derive(c->seed, (uint64_t)s + 1), iv, err);
    if (!rc && iv->point.ok) {
      iv->point.value *= ann;
      iv->lo *= ann;
      iv->hi *= ann;
    }
  }
  free(x);
  if (rc) return rc;
  double sr = m.n >= 2 && isfinite(m.sd) && m.sd > 0 ? m.mean / m.sd : NAN;
  cq_dsr *d = &sc->dsr;
  if (flat) {
    memset(d, 0, sizeof *d);
    d->dsr = na("the pooled returns never vary (no trade)");
    d->sr0 = NAN;
    d->n_trials = r->trials;
    d->var_sr = r->var_sr.ok ? r->var_sr.value : NAN;
  } else if (r->trials == 1) {
    /* one trial: nothing to deflate, the probabilistic Sharpe against 0 */
    memset(d, 0, sizeof *d);
    d->dsr = cq_psr(sr, 0, m.n, m.skew, m.kurt);
    d->sr0 = 0;
    d->n_trials = 1;
    d->var_sr = r->var_sr.ok ? r->var_sr.value : NAN;
  } else if (!r->var_sr.ok) {
    memset(d, 0, sizeof *d);
    d->dsr = r->var_sr;
    d->sr0 = NAN;
    d->n_trials = r->trials;
    d->var_sr = NAN;
  } else {
    *d = cq_deflated_sharpe(sr, m.n, m.skew, m.kurt, r->trials, r->var_sr.value);
  }
  return CQ_OK;
}

static void score_parts(cq_eval_score *sc) {
  sc->part_return = sc->median_cagr.ok ? ok(clamp01(0.5 + sc->median_cagr.value))
                                       : na("no median CAGR: %s", sc->median_cagr.why);
  sc->part_risk = sc->median_drawdown.ok ? ok(clamp01(1 - 2 * sc->median_drawdown.value))
                                         : na("no median drawdown: %s", sc->median_drawdown.why);
  sc->part_robustness = sc->profitable;
  sc->part_overfitting = sc->dsr.dsr;
  const cq_stat *a = &sc->beats_bh_symbols, *b = &sc->beats_bh_periods;
  if (a->ok && b->ok)
    sc->part_consistency = ok((a->value + b->value) / 2);
  else if (a->ok || b->ok)
    sc->part_consistency = a->ok ? *a : *b;
  else
    sc->part_consistency = na("no symbol or period compares with buy and hold");
  const cq_stat *parts[] = {&sc->part_return, &sc->part_risk, &sc->part_robustness,
                            &sc->part_overfitting, &sc->part_consistency};
  /* a part that cannot be computed counts 0: no evidence is not good evidence */
  double sum = 0;
  int n = 0;
  size_t n_parts = sizeof parts / sizeof parts[0];
  for (size_t i = 0; i < n_parts; i++)
    if (parts[i]->ok && isfinite(parts[i]->value)) {
      sum += parts[i]->value;
      n++;
    }
  sc->score = n ? ok(100 * sum / (double)n_parts) : na("none of its parts could be computed");
}

static int score_one(const cq_eval_config *c, const cq_eval_result *r, int s, double *work,
                     cq_eval_score *sc, cq_error *err) {
  size_t k = (size_t)r->n_symbols * (size_t)r->n_periods;
  double *cagr = work, *ret = work + k, *dd = work + 2 * k, *vol = work + 3 * k, *sr = work + 4 * k;
  size_t profitable = 0, with_return = 0;
  for (int y = 0; y < r->n_symbols; y++)
    for (int p = 0; p < r->n_periods; p++) {
      const cq_eval_cell *cell = cell_at(r, s, y, p);
      size_t i = (size_t)y * (size_t)r->n_periods + (size_t)p;
      cagr[i] = cell->metrics.cagr;
      ret[i] = cell->metrics.total_return;
      dd[i] = cell->metrics.max_drawdown;
      vol[i] = cell->metrics.volatility;
      sr[i] = cell_sharpe(cell);
      if (isfinite(ret[i])) {
        with_return++;
        profitable += ret[i] > 0;
      }
    }
  memset(sc, 0, sizeof *sc);
  sc->strategy = s;
  sc->cells = (int64_t)k;
  sc->median_cagr = median_of(cagr, k, "CAGR");
  sc->median_return = median_of(ret, k, "total return");
  sc->median_volatility = median_of(vol, k, "volatility");
  sc->worst_drawdown = extreme_of(dd, k, true, "max drawdown");
  sc->median_drawdown = median_of(dd, k, "max drawdown");
  sc->profitable =
      with_return ? ok((double)profitable / (double)with_return) : na("no cell has a total return");
  sc->worst_sharpe = extreme_of(sr, k, false, "Sharpe ratio");
  sc->median_sharpe = median_of(sr, k, "Sharpe ratio");
  int rc = pooled(c, r, s, sc, err);
  if (rc) return rc;
  consistency(r, s, true, work, &sc->sharpe_sd_symbols, &sc->beats_bh_symbols);
  consistency(r, s, false, work, &sc->sharpe_sd_periods, &sc->beats_bh_periods);
  score_parts(sc);
  return CQ_OK;
}

/* Best first: the higher score (one that could not be computed last), then the higher
 * median Sharpe, then the earlier strategy. */
static bool ranks_before(const cq_eval_score *a, const cq_eval_score *b) {
  if (a->score.ok != b->score.ok) return a->score.ok;
  if (a->score.ok && a->score.value != b->score.value) return a->score.value > b->score.value;
  double x = a->median_sharpe.ok ? a->median_sharpe.value : -INFINITY;
  double y = b->median_sharpe.ok ? b->median_sharpe.value : -INFINITY;
  if (x != y) return x > y;
  return a->strategy < b->strategy;
}

int cq_eval_scorecard(const cq_eval_config *c, cq_eval_result *r, cq_error *err) {
  if (r->n_strategies < 1 || r->n_strategies > CQ_EVAL_MAX_STRATEGIES || r->n_symbols < 1 ||
      r->n_periods < 1 ||
      r->n_cells != (size_t)r->n_strategies * (size_t)r->n_symbols * (size_t)r->n_periods)
    return cq_error_set(err, CQ_EINVAL, "%zu cells for %d strategies x %d symbols x %d periods",
                        r->n_cells, r->n_strategies, r->n_symbols, r->n_periods);
  free(r->scores);
  r->scores = calloc((size_t)r->n_strategies, sizeof *r->scores);
  size_t k = (size_t)r->n_symbols * (size_t)r->n_periods;
  double *work = malloc(5 * k * sizeof *work);
  if (!r->scores || !work) {
    free(work);
    return cq_error_set(err, CQ_ENOMEM, "evaluate: no memory for the scorecard");
  }
  r->trials = (int64_t)r->n_strategies * (c->tried > 0 ? c->tried : 1);
  int rc = sharpe_variance(r, err);
  for (int s = 0; !rc && s < r->n_strategies; s++)
    rc = score_one(c, r, s, work, &r->scores[s], err);
  free(work);
  if (rc) return rc;
  for (int s = 0; s < r->n_strategies; s++) r->ranking[s] = s;
  for (int i = 1; i < r->n_strategies; i++) /* insertion sort: stable, few strategies */
    for (int j = i; j > 0 && ranks_before(&r->scores[r->ranking[j]], &r->scores[r->ranking[j - 1]]);
         j--) {
      int t = r->ranking[j];
      r->ranking[j] = r->ranking[j - 1];
      r->ranking[j - 1] = t;
    }
  for (int i = 0; i < r->n_strategies; i++) r->scores[r->ranking[i]].rank = i + 1;
  return CQ_OK;
}
