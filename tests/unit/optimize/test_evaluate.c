/* Evaluation: the scorecard against numbers worked out here from the cells themselves (and
 * the cells against backtests run here on copies of the candles), byte-identical documents
 * on 1, 2 or 3 threads, "not enough data" wherever a statistic cannot be computed, and the
 * errors for bad periods and missing candles. Candles from cq_data_synth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cquant/data.h"
#include "cquant/optimize.h"
#include "cquant/strategy.h"

#define HOUR CQ_NS_PER_HOUR
#define T0 INT64_C(1704067200000000000) /* 2024-01-01 00:00 UTC */

enum { BARS = 1500 };

typedef struct fixture {
  cq_candles candles[2];
  cq_bt_data data;
  cq_eval_config cfg;
} fixture;

#define assert_near(got, want, tol)                                                  \
  do {                                                                               \
    double g_ = (got), w_ = (want), t_ = (tol) * (fabs(w_) > 1 ? fabs(w_) : 1);      \
    if (!(fabs(g_ - w_) <= t_)) fail_msg("%s: got %.17g, want %.17g", #got, g_, w_); \
  } while (0)

static void add_strategy(cq_eval_config *c, const char *name) {
  cq_error e = {0};
  cq_eval_strategy *s = &c->strategies[c->n_strategies++];
  if (cq_strategy_lookup(name, &s->def, &e)) fail_msg("%s", e.msg);
  if (cq_params_resolve(s->def, NULL, 0, &s->params, &e)) fail_msg("%s", e.msg);
}

/* Two synthetic 1h symbols of BARS bars, strategies sma_cross (vector) and grid (event only),
 * 3 periods splitting the range. */
static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f) return -1;
  cq_eval_config *c = &f->cfg;
  cq_eval_config_init(c);
  c->bt.tf = (cq_timeframe){.n = 1, .unit = CQ_TF_HOUR};
  c->bt.initial_cash = CQ_DEC(10000, 0);
  snprintf(c->bt.venue, sizeof c->bt.venue, "synth");
  snprintf(c->bt.quote, sizeof c->bt.quote, "USDT");
  const char *syms[2] = {"AAA/USDT", "BBB/USDT"};
  for (int y = 0; y < 2; y++) {
    cq_synth_opts o;
    cq_synth_defaults(&o);
    o.start = T0;
    o.tf = c->bt.tf;
    o.bars = BARS;
    o.seed = 11 + (uint64_t)y;
    o.price = y ? 2000 : 100;
    cq_error e = {0};
    cq_candles_init(&f->candles[y], 0);
    if (cq_data_synth(&o, &f->candles[y], &e)) fail_msg("%s", e.msg);
    snprintf(c->bt.symbols[y], sizeof c->bt.symbols[y], "%s", syms[y]);
    if (cq_synth_instrument(&o, "synth", syms[y], &c->bt.instruments[y], &e)) fail_msg("%s", e.msg);
    f->data.candles[y] = &f->candles[y];
  }
  c->bt.n_symbols = f->data.n_symbols = 2;
  add_strategy(c, "sma_cross");
  add_strategy(c, "grid");
  c->n_periods = 3;
  cq_error e = {0};
  if (cq_eval_split(T0, T0 + BARS * HOUR, c->bt.tf, 3, c->periods, &e)) fail_msg("%s", e.msg);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  for (int y = 0; y < 2; y++) cq_candles_release(&f->candles[y]);
  free(f);
  return 0;
}

static void run(const cq_eval_config *c, const cq_bt_data *d, cq_eval_result *r) {
  cq_error e = {0};
  if (cq_eval_run(c, d, NULL, NULL, r, &e)) fail_msg("evaluate: %s", e.msg);
}

static char *json_of(const cq_eval_config *c, const cq_eval_result *r, size_t *len) {
  char *doc = NULL;
  cq_error e = {0};
  if (cq_eval_json(c, r, &doc, len, &e)) fail_msg("json: %s", e.msg);
  return doc;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const cq_eval_cell *cell(const cq_eval_result *r, int s, int y, int p) {
  for (size_t i = 0; i < r->n_cells; i++)
    if (r->cells[i].strategy == s && r->cells[i].symbol == y && r->cells[i].period == p)
      return &r->cells[i];
  fail_msg("no cell %d %d %d", s, y, p);
  return NULL;
}

static void test_split(void **state) {
  (void)state;
  cq_eval_period p[4];
  cq_error e = {0};
  cq_timeframe h = {.n = 1, .unit = CQ_TF_HOUR};
  /* 10 bars in 3: 3, 3, 4 bars, on the hour */
  assert_int_equal(cq_eval_split(T0, T0 + 10 * HOUR, h, 3, p, &e), CQ_OK);
  assert_true(p[0].from == T0 && p[0].to == T0 + 3 * HOUR);
  assert_true(p[1].from == T0 + 3 * HOUR && p[1].to == T0 + 6 * HOUR);
  assert_true(p[2].from == T0 + 6 * HOUR && p[2].to == T0 + 10 * HOUR);
  assert_int_equal(cq_eval_check_periods(p, 3, &e), CQ_OK);
  assert_int_equal(cq_eval_split(T0, T0 + 2 * HOUR, h, 3, p, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "2 bars, fewer than the 3 periods"));
  assert_int_equal(cq_eval_split(T0, T0 + 2 * HOUR, h, 0, p, &e), CQ_EINVAL);
}

static void test_bad_periods(void **state) {
  fixture *f = *state;
  cq_error e = {0};
  cq_eval_period p[2] = {{T0 + 10 * HOUR, T0 + 20 * HOUR}, {T0 + 20 * HOUR, T0 + 20 * HOUR}};
  assert_int_equal(cq_eval_check_periods(p, 2, &e), CQ_EINVAL);
  assert_non_null(
      strstr(e.msg, "period 2 (2024-01-01T20:00:00Z .. 2024-01-01T20:00:00Z) is empty"));
  p[1] = (cq_eval_period){T0 + 15 * HOUR, T0 + 30 * HOUR};
  assert_int_equal(cq_eval_check_periods(p, 2, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "periods 1 (2024-01-01T10:00:00Z .. 2024-01-01T20:00:00Z) and 2"));
  assert_non_null(strstr(e.msg, "overlap"));
  p[1] = (cq_eval_period){T0, T0 + 5 * HOUR};
  assert_int_equal(cq_eval_check_periods(p, 2, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "out of order"));

  /* a period past the candles of one symbol */
  cq_eval_config c = f->cfg;
  c.periods[2].to = T0 + (BARS + 100) * HOUR;
  c.periods[2].from = T0 + BARS * HOUR;
  cq_eval_result r;
  assert_int_equal(cq_eval_run(&c, &f->data, NULL, NULL, &r, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "AAA/USDT has no candles in period 3 (2024-03-03T12:00:00Z .. "));
  assert_null(r.cells);
  /* a strategy twice */
  c = f->cfg;
  c.strategies[1] = c.strategies[0];
  c.strategies[1].params.v[0] += 1;
  assert_int_equal(cq_eval_run(&c, &f->data, NULL, NULL, &r, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "strategy sma_cross is given twice"));
  /* the event-only strategy on the vector engine, forced */
  c = f->cfg;
  c.auto_engine = false;
  c.bt.engine = CQ_BT_VECTOR;
  assert_int_equal(cq_eval_run(&c, &f->data, NULL, NULL, &r, &e), CQ_EUNSUPPORTED);
  assert_non_null(strstr(e.msg, "grid has no vector form"));
}

/* Each cell is the backtest of its strategy on a copy of its symbol's candles in its period. */
static void test_cells(void **state) {
  fixture *f = *state;
  cq_eval_result r;
  run(&f->cfg, &f->data, &r);
  assert_int_equal(r.n_cells, 2 * 2 * 3);
  for (size_t i = 0; i < r.n_cells; i++) {
    const cq_eval_cell *x = &r.cells[i];
    const cq_eval_strategy *s = &f->cfg.strategies[x->strategy];
    const cq_eval_period *p = &f->cfg.periods[x->period];
    const cq_candles *all = &f->candles[x->symbol];
    cq_candles copy;
    cq_candles_init(&copy, 0);
    for (size_t k = 0; k < all->len; k++) {
      if (all->open_time[k] < p->from || all->open_time[k] >= p->to) continue;
      cq_candle b = {.open_time = all->open_time[k],
                     .open = all->open[k],
                     .high = all->high[k],
                     .low = all->low[k],
                     .close = all->close[k],
                     .volume = all->volume[k],
                     .quote_volume = all->quote_volume ? all->quote_volume[k] : NAN,
                     .trades = all->trades ? all->trades[k] : -1,
                     .closed = true};
      assert_int_equal(cq_candles_push(&copy, &b), CQ_OK);
    }
    cq_bt_config cfg = f->cfg.bt;
    snprintf(cfg.strategy, sizeof cfg.strategy, "%s", s->def->name);
    cfg.params = s->params;
    cfg.n_symbols = 1;
    memcpy(cfg.symbols[0], f->cfg.bt.symbols[x->symbol], sizeof cfg.symbols[0]);
    cfg.instruments[0] = f->cfg.bt.instruments[x->symbol];
    cfg.engine = s->def->signals ? CQ_BT_VECTOR : CQ_BT_EVENT;
    cfg.from = p->from;
    cfg.to = p->to;
    cq_bt_data d = {.n_symbols = 1, .candles = {&copy}};
    cq_bt_result want;
    cq_error e = {0};
    if (cq_bt_run(&cfg, &d, NULL, &want, &e)) fail_msg("%s", e.msg);
    assert_int_equal(x->engine, cfg.engine);
    assert_int_equal(x->n_returns, want.n_bars);
    assert_int_equal(x->n_returns, copy.len);
    assert_memory_equal(&x->metrics, &want.metrics, sizeof want.metrics);
    assert_true(x->n_returns > 0);
    assert_near(x->returns[x->n_returns - 1],
                want.equity[want.n_bars - 1] / want.equity[want.n_bars - 2] - 1, 1e-15);
    cq_bt_result_release(&want);
    cq_candles_release(&copy);
  }
  cq_eval_result_release(&r);
}

/* The scorecard from the cells, worked out independently. */
static void test_scorecard(void **state) {
  fixture *f = *state;
  cq_eval_result r;
  run(&f->cfg, &f->data, &r);
  double bpy = 365.0 * 24;
  /* the variance of the cells' per-bar Sharpe ratios, both strategies */
  double sum = 0, sumsq = 0;
  for (size_t i = 0; i < r.n_cells; i++) {
    const cq_moments *m = &r.cells[i].moments;
    double sr = m->sd > 0 ? m->mean / m->sd : 0;
    sum += sr;
    sumsq += sr * sr;
  }
  double var = (sumsq - sum * sum / (double)r.n_cells) / (double)(r.n_cells - 1);
  assert_true(r.var_sr.ok);
  assert_near(r.var_sr.value, var, 1e-9);
  assert_int_equal(r.trials, 2);
  for (int s = 0; s < 2; s++) {
    const cq_eval_score *sc = &r.scores[s];
    assert_int_equal(sc->strategy, s);
    assert_int_equal(sc->cells, 6);
    double cagr[6], ret[6], dd[6], sr[6], worst_sr = INFINITY, worst_dd = 0;
    int k = 0, profitable = 0;
    for (int y = 0; y < 2; y++)
      for (int p = 0; p < 3; p++, k++) {
        const cq_bt_metrics *m = &cell(&r, s, y, p)->metrics;
        cagr[k] = m->cagr;
        ret[k] = m->total_return;
        dd[k] = m->max_drawdown;
        sr[k] = isfinite(m->sharpe) ? m->sharpe : 0;
        profitable += m->total_return > 0;
        if (sr[k] < worst_sr) worst_sr = sr[k];
        if (dd[k] > worst_dd) worst_dd = dd[k];
      }
    assert_true(sc->median_cagr.ok && sc->median_return.ok && sc->median_drawdown.ok);
    assert_near(sc->median_cagr.value, median(cagr, 6), 1e-15);
    assert_near(sc->median_return.value, median(ret, 6), 1e-15);
    assert_near(sc->median_drawdown.value, median(dd, 6), 1e-15);
    assert_near(sc->worst_drawdown.value, worst_dd, 0);
    assert_near(sc->profitable.value, profitable / 6.0, 1e-15);
    assert_near(sc->worst_sharpe.value, worst_sr, 0);
    double srs[6];
    memcpy(srs, sr, sizeof srs);
    assert_near(sc->median_sharpe.value, median(srs, 6), 1e-15);

    /* consistency: per symbol the mean over its 3 periods; per period over the 2 symbols */
    double sym_sr[2] = {0}, per_sr[3] = {0};
    int sym_beat = 0, per_beat = 0;
    for (int y = 0; y < 2; y++) {
      double a = 0, b = 0;
      for (int p = 0; p < 3; p++) {
        const cq_eval_cell *x = cell(&r, s, y, p);
        sym_sr[y] += (isfinite(x->metrics.sharpe) ? x->metrics.sharpe : 0) / 3;
        a += x->metrics.total_return;
        b += x->metrics.buy_hold_return;
      }
      sym_beat += a > b;
    }
    for (int p = 0; p < 3; p++) {
      double a = 0, b = 0;
      for (int y = 0; y < 2; y++) {
        const cq_eval_cell *x = cell(&r, s, y, p);
        per_sr[p] += (isfinite(x->metrics.sharpe) ? x->metrics.sharpe : 0) / 2;
        a += x->metrics.total_return;
        b += x->metrics.buy_hold_return;
      }
      per_beat += a > b;
    }
    assert_near(sc->sharpe_sd_symbols.value, fabs(sym_sr[0] - sym_sr[1]) / sqrt(2), 1e-12);
    double pm = (per_sr[0] + per_sr[1] + per_sr[2]) / 3, pv = 0;
    for (int p = 0; p < 3; p++) pv += (per_sr[p] - pm) * (per_sr[p] - pm);
    assert_near(sc->sharpe_sd_periods.value, sqrt(pv / 2), 1e-12);
    assert_near(sc->beats_bh_symbols.value, sym_beat / 2.0, 0);
    assert_near(sc->beats_bh_periods.value, per_beat / 3.0, 0);

    /* the pooled returns: Sharpe, and the deflated Sharpe against 2 trials */
    size_t n = 0;
    double ps = 0, pss = 0;
    for (int y = 0; y < 2; y++)
      for (int p = 0; p < 3; p++) {
        const cq_eval_cell *x = cell(&r, s, y, p);
        for (size_t i = 0; i < x->n_returns; i++) {
          ps += x->returns[i];
          n++;
        }
      }
    double mean = ps / (double)n;
    double m3 = 0, m4 = 0;
    for (int y = 0; y < 2; y++)
      for (int p = 0; p < 3; p++) {
        const cq_eval_cell *x = cell(&r, s, y, p);
        for (size_t i = 0; i < x->n_returns; i++) {
          double d = x->returns[i] - mean;
          pss += d * d;
          m3 += d * d * d;
          m4 += d * d * d * d;
        }
      }
    assert_int_equal(n, 2 * BARS);
    double sd = sqrt(pss / (double)(n - 1)), m2 = pss / (double)n;
    assert_true(sc->pooled_sharpe.point.ok);
    assert_near(sc->pooled_sharpe.point.value, mean / sd * sqrt(bpy), 1e-9);
    assert_true(sc->pooled_sharpe.lo <= sc->pooled_sharpe.point.value);
    assert_true(sc->pooled_sharpe.hi >= sc->pooled_sharpe.point.value);
    cq_dsr want = cq_deflated_sharpe(mean / sd, (int64_t)n, m3 / (double)n / pow(m2, 1.5),
                                     m4 / (double)n / (m2 * m2), 2, var);
    assert_true(sc->dsr.dsr.ok && want.dsr.ok);
    assert_near(sc->dsr.dsr.value, want.dsr.value, 1e-9);
    assert_near(sc->dsr.sr0, want.sr0, 1e-9);

    /* the score: the mean of the five parts, x 100 */
    double parts = fmin(1, fmax(0, 0.5 + sc->median_cagr.value)) +
                   fmin(1, fmax(0, 1 - 2 * sc->median_drawdown.value)) + profitable / 6.0 +
                   want.dsr.value + (sym_beat / 2.0 + per_beat / 3.0) / 2;
    assert_true(sc->score.ok);
    assert_near(sc->score.value, 100 * parts / 5, 1e-9);
  }
  /* the ranking follows the score */
  int first = r.ranking[0], second = r.ranking[1];
  assert_true(r.scores[first].score.value >= r.scores[second].score.value);
  assert_int_equal(r.scores[first].rank, 1);
  assert_int_equal(r.scores[second].rank, 2);
  cq_eval_result_release(&r);
}

static void test_deterministic(void **state) {
  fixture *f = *state;
  char *docs[3];
  size_t lens[3];
  for (int t = 0; t < 3; t++) {
    cq_eval_config c = f->cfg;
    c.threads = t + 1;
    cq_eval_result r;
    run(&c, &f->data, &r);
    docs[t] = json_of(&c, &r, &lens[t]);
    cq_eval_result_release(&r);
  }
  for (int t = 1; t < 3; t++) {
    assert_int_equal(lens[t], lens[0]);
    assert_memory_equal(docs[t], docs[0], lens[0]);
  }
  /* a well-formed document with what the report needs, and no bare NaN */
  assert_non_null(strstr(docs[0], "{\"format\":1,\"kind\":\"evaluate\","));
  assert_non_null(strstr(docs[0], "\"ranking\":[\""));
  assert_non_null(strstr(docs[0], "\"symbols\":[\"AAA/USDT\",\"BBB/USDT\"]"));
  assert_non_null(strstr(docs[0], "\"strategy\":\"grid\",\"symbol\":\"BBB/USDT\",\"period\":2,"));
  assert_non_null(strstr(docs[0], "\"engine\":\"event\""));
  assert_non_null(strstr(docs[0], "\"engine\":\"vector\""));
  assert_null(strstr(docs[0], "nan"));
  assert_null(strstr(docs[0], "NaN"));
  assert_null(strstr(docs[0], "inf"));
  for (int t = 0; t < 3; t++) free(docs[t]);
}

/* One strategy, one symbol, one period of 6 bars: no spread across symbols or periods, too
 * few returns for a bootstrap; each says why, and the document carries the reasons. */
static void test_not_enough_data(void **state) {
  fixture *f = *state;
  cq_eval_config c = f->cfg;
  c.n_strategies = 1;
  c.bt.n_symbols = 1;
  c.n_periods = 1;
  c.periods[0] = (cq_eval_period){T0, T0 + 6 * HOUR};
  cq_bt_data d = {.n_symbols = 1, .candles = {&f->candles[0]}};
  cq_eval_result r;
  run(&c, &d, &r);
  const cq_eval_score *sc = &r.scores[0];
  assert_false(sc->sharpe_sd_symbols.ok);
  assert_string_equal(sc->sharpe_sd_symbols.why,
                      "needs at least 2 symbols with a Sharpe ratio (has 1)");
  assert_false(sc->sharpe_sd_periods.ok);
  assert_string_equal(sc->sharpe_sd_periods.why,
                      "needs at least 2 periods with a Sharpe ratio (has 1)");
  assert_false(sc->pooled_sharpe.point.ok);
  assert_string_equal(sc->pooled_sharpe.point.why, "needs at least 10 bar returns (has 6)");
  assert_false(r.var_sr.ok);
  /* one trial: the probabilistic Sharpe against 0 needs no variance */
  assert_int_equal(r.trials, 1);
  assert_int_equal(sc->dsr.n_trials, 1);
  /* six bars of sma_cross(10, 30): no trade, so no deflated Sharpe, a part that counts 0 */
  assert_int_equal(sc->cells, 1);
  assert_false(sc->part_overfitting.ok);
  assert_string_equal(sc->dsr.dsr.why, "the pooled returns never vary (no trade)");
  assert_true(sc->part_return.ok && sc->part_risk.ok && sc->part_robustness.ok &&
              sc->part_consistency.ok);
  assert_true(sc->score.ok);
  assert_near(sc->score.value,
              100 *
                  (sc->part_return.value + sc->part_risk.value + sc->part_robustness.value +
                   sc->part_consistency.value) /
                  5,
              1e-12);
  size_t len;
  char *doc = json_of(&c, &r, &len);
  assert_non_null(strstr(
      doc,
      "\"sharpe_sd_symbols\":{\"ok\":false,\"value\":null,\"why\":\"needs at least 2 symbols"));
  assert_non_null(
      strstr(doc, "\"var_sr\":{\"ok\":false,\"value\":null,\"why\":\"needs at least 2 cells"));
  free(doc);
  cq_eval_result_release(&r);

  /* two strategies over 1 bar: no Sharpe anywhere, no variance, no deflated Sharpe */
  c = f->cfg;
  c.bt.n_symbols = 1;
  c.n_periods = 1;
  c.periods[0] = (cq_eval_period){T0, T0 + HOUR};
  run(&c, &d, &r);
  assert_false(r.var_sr.ok);
  for (int s = 0; s < 2; s++) {
    assert_false(r.scores[s].dsr.dsr.ok);
    assert_non_null(strstr(r.scores[s].dsr.dsr.why, "needs at least 2 cells with a Sharpe ratio"));
    assert_false(r.scores[s].median_sharpe.ok);
    assert_string_equal(r.scores[s].median_sharpe.why, "no cell has a Sharpe ratio");
  }
  cq_eval_result_release(&r);

  /* cells whose metrics are undefined (as a library caller may hand in): medians say so */
  cq_eval_result x;
  cq_eval_result_init(&x);
  cq_eval_cell cells[2];
  memset(cells, 0, sizeof cells);
  for (int i = 0; i < 2; i++) {
    cells[i].period = i;
    cells[i].moments = cq_moments_of(NULL, 0);
    cells[i].metrics.cagr = cells[i].metrics.total_return = NAN;
    cells[i].metrics.max_drawdown = cells[i].metrics.volatility = NAN;
    cells[i].metrics.sharpe = cells[i].metrics.buy_hold_return = NAN;
  }
  x.cells = cells;
  x.n_cells = 2;
  x.n_strategies = x.n_symbols = 1;
  x.n_periods = 2;
  c = f->cfg;
  c.n_strategies = 1;
  cq_error e = {0};
  assert_int_equal(cq_eval_scorecard(&c, &x, &e), CQ_OK);
  sc = &x.scores[0];
  assert_false(sc->median_cagr.ok);
  assert_string_equal(sc->median_cagr.why, "no cell has a CAGR");
  assert_false(sc->worst_drawdown.ok);
  assert_false(sc->profitable.ok);
  assert_false(sc->beats_bh_periods.ok);
  assert_false(sc->part_return.ok);
  assert_false(sc->score.ok);
  assert_string_equal(sc->score.why, "none of its parts could be computed");
  free(x.scores);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split),
      cmocka_unit_test_setup_teardown(test_bad_periods, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cells, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scorecard, setup, teardown),
      cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_enough_data, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
