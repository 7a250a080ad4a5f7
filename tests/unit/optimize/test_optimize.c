/* Parameter search: spaces and constraints, each sampler finding a known best, determinism
 * across thread counts and across an interruption, the Pareto front, walk-forward windows
 * and stitching, the study document. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cquant/data.h"
#include "cquant/optimize.h"
#include "cquant/strategy.h"

#define DAY (24 * CQ_NS_PER_HOUR)

/* ---- a strategy whose best parameters are known ------------------------------------------
 * It enters every 2k bars and exits k bars later, k = 1 + |x - 17| + |y - 29|: the number of
 * round trips falls as (x, y) moves away from (17, 29), so with n_trades as the objective the
 * best point is exactly there, whatever the prices. */
static const cq_param_def peak_params[] = {
    {"x", CQ_PARAM_INT, 0, 0, 40, 1, "first coordinate"},
    {"y", CQ_PARAM_INT, 0, 0, 40, 1, "second coordinate"},
};

static int peak_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err) {
  (void)err;
  size_t k = 1 + (size_t)(fabs(p[0] - 17) + fabs(p[1] - 29));
  for (size_t i = 0; i < c->len; i++) {
    out->entry[i] = i % (2 * k) == 0;
    out->exit[i] = i % (2 * k) == k;
  }
  return CQ_OK;
}

static const cq_strategy_def peak_def = {.name = "peak",
                                         .summary = "trades most at (17, 29)",
                                         .n_params = 2,
                                         .params = peak_params,
                                         .signals = peak_signals};

static cq_candles bars;

static int setup(void **state) {
  (void)state;
  cq_synth_opts o;
  cq_synth_defaults(&o);
  o.tf = (cq_timeframe){.n = 1, .unit = CQ_TF_HOUR};
  o.bars = (size_t)24 * 200;
  o.seed = 11;
  cq_candles_init(&bars, 0);
  return cq_data_synth(&o, &bars, NULL);
}

static int teardown(void **state) {
  (void)state;
  cq_candles_release(&bars);
  return 0;
}

static void study_for(cq_opt_study *st, const cq_strategy_def *def, cq_sampler s, int64_t trials) {
  cq_opt_study_init(st);
  assert_int_equal(cq_opt_space_init(&st->space, def, NULL), CQ_OK);
  st->config.sampler = s;
  st->config.trials = trials;
  st->config.seed = 7;
  assert_int_equal(cq_metric_find("n_trades", &st->config.objective, NULL), CQ_OK);
  cq_bt_config *b = &st->bt;
  snprintf(b->strategy, sizeof b->strategy, "%s", def->name);
  b->engine = CQ_BT_VECTOR;
  snprintf(b->venue, sizeof b->venue, "test");
  b->n_symbols = 1;
  snprintf(b->symbols[0], sizeof b->symbols[0], "SYN/USDT");
  b->instruments[0] = (cq_instrument){.tick = CQ_DEC(1, 2), .lot = CQ_DEC(1, 5)};
  snprintf(b->instruments[0].symbol, sizeof b->instruments[0].symbol, "SYN/USDT");
  b->tf = (cq_timeframe){.n = 1, .unit = CQ_TF_HOUR};
  b->from = INT64_MIN;
  b->to = INT64_MAX;
}

static cq_bt_data data_of(const cq_candles *c) {
  cq_bt_data d = {.n_symbols = 1};
  d.candles[0] = c;
  return d;
}

static const cq_opt_trial *best_of(const cq_opt_study *st) {
  assert_true(st->best >= 0);
  return &st->trials[st->best];
}

/* ---- spaces -------------------------------------------------------------------------------- */

static void space_errors(void **state) {
  (void)state;
  const cq_strategy_def *sma = NULL;
  assert_int_equal(cq_strategy_lookup("sma_cross", &sma, NULL), CQ_OK);
  cq_opt_space s;
  cq_error e;
  assert_int_equal(cq_opt_space_init(&s, sma, NULL), CQ_OK);
  assert_int_equal(s.n_dims, 2);
  assert_int_equal(cq_opt_space_set(&s, "fats=5:50:5", &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "did you mean fast"));
  assert_int_equal(cq_opt_space_set(&s, "fast=50:5:5", &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "is empty"));
  assert_int_equal(cq_opt_space_set(&s, "fast=5:50:2.5", &e), CQ_EPARSE);
  assert_int_equal(cq_opt_space_set(&s, "fast=1:50:5", &e), CQ_EINVAL); /* declared min 2 */
  assert_non_null(strstr(e.msg, "out of range"));
  assert_int_equal(cq_opt_space_set(&s, "fast=5:50:5", NULL), CQ_OK);
  assert_int_equal(cq_opt_space_set(&s, "slow=60,90,120", NULL), CQ_OK);
  assert_int_equal(cq_opt_space_size(&s), 10 * 3);
  assert_int_equal(cq_opt_space_constrain(&s, "fast <", &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "column"));
  assert_int_equal(cq_opt_space_constrain(&s, "fast < slow < 3", &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "chain"));
  assert_int_equal(cq_opt_space_constrain(&s, "fast + slow", &e), CQ_EPARSE);
  assert_int_equal(cq_opt_space_constrain(&s, "fest < slow", &e), CQ_EPARSE);
  assert_non_null(strstr(e.msg, "did you mean fast"));
  /* feasible: 2 * fast <= slow - 10 holds at fast 5, slow 60 */
  assert_int_equal(cq_opt_space_constrain(&s, "2 * fast <= slow - 10 and (slow != 90)", NULL),
                   CQ_OK);
  double p[CQ_MAX_PARAMS] = {0};
  cq_opt_space_params(&s, (double[]){5, 60}, p);
  assert_true(cq_opt_space_feasible(&s, p));
  cq_opt_space_params(&s, (double[]){5, 90}, p);
  assert_false(cq_opt_space_feasible(&s, p));
  cq_opt_space_params(&s, (double[]){50, 60}, p);
  assert_false(cq_opt_space_feasible(&s, p));
  assert_int_equal(cq_opt_space_check(&s, NULL), CQ_OK);
  /* contradictory: nothing left */
  assert_int_equal(cq_opt_space_constrain(&s, "fast > slow", NULL), CQ_OK);
  assert_int_equal(cq_opt_space_check(&s, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "no point of the space"));
  /* empty: every parameter fixed */
  assert_int_equal(cq_opt_space_init(&s, sma, NULL), CQ_OK);
  assert_int_equal(cq_opt_space_set(&s, "fast=10", NULL), CQ_OK);
  assert_int_equal(cq_opt_space_set(&s, "slow=30", NULL), CQ_OK);
  assert_int_equal(cq_opt_space_check(&s, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "nothing to search"));
  /* metrics by name */
  int m;
  assert_int_equal(cq_metric_find("sharpe", &m, NULL), CQ_OK);
  assert_int_equal(cq_metric_find("sharp", &m, &e), CQ_ENOTFOUND);
  assert_non_null(strstr(e.msg, "did you mean sharpe"));
}

/* ---- samplers find the known best ------------------------------------------------------------ */

static void grid_finds_best(void **state) {
  (void)state;
  cq_opt_study st;
  study_for(&st, &peak_def, CQ_SAMPLER_GRID, 0);
  assert_int_equal(cq_opt_space_set(&st.space, "x=1:40:4", NULL), CQ_OK); /* 1, 5, ..., 37 */
  assert_int_equal(cq_opt_space_set(&st.space, "y=1:40:4", NULL), CQ_OK);
  cq_bt_data d = data_of(&bars);
  assert_int_equal(cq_opt_run(&st, &d, NULL, NULL, NULL), CQ_OK);
  assert_int_equal(st.n_trials, 100);
  assert_true(best_of(&st)->params[0] == 17 && best_of(&st)->params[1] == 29);
  cq_opt_study_release(&st);
}

static void random_finds_best(void **state) {
  (void)state;
  cq_opt_study st;
  study_for(&st, &peak_def, CQ_SAMPLER_RANDOM, 400);
  assert_int_equal(cq_opt_space_set(&st.space, "x=12:22", NULL), CQ_OK); /* 11 x 11 points */
  assert_int_equal(cq_opt_space_set(&st.space, "y=24:34", NULL), CQ_OK);
  cq_bt_data d = data_of(&bars);
  assert_int_equal(cq_opt_run(&st, &d, NULL, NULL, NULL), CQ_OK);
  assert_true(best_of(&st)->params[0] == 17 && best_of(&st)->params[1] == 29);
  cq_opt_study_release(&st);
}

static void tpe_finds_best(void **state) {
  (void)state;
  cq_opt_study st;
  study_for(&st, &peak_def, CQ_SAMPLER_TPE, 160);
  cq_bt_data d = data_of(&bars);
  assert_int_equal(cq_opt_run(&st, &d, NULL, NULL, NULL), CQ_OK);
  /* 41 x 41 = 1681 points: TPE gets there in 160 trials; random search would need ~1000 */
  assert_true(best_of(&st)->params[0] == 17 && best_of(&st)->params[1] == 29);
  /* and it spends its trials near the peak: most of the last 64 within 6 of it */
  int near = 0;
  for (size_t i = st.n_trials - 64; i < st.n_trials; i++)
    near += fabs(st.trials[i].params[0] - 17) + fabs(st.trials[i].params[1] - 29) <= 6;
  assert_true(near > 32);
  cq_opt_study_release(&st);
}

/* ---- determinism ----------------------------------------------------------------------------- */

static char *doc_of(const cq_opt_study *st) {
  char *json = NULL;
  assert_int_equal(cq_opt_study_json(st, NULL, NULL, NULL, NULL, &json, NULL, NULL), CQ_OK);
  return json;
}

static void same_across_threads(void **state) {
  (void)state;
  const cq_strategy_def *sma = NULL;
  assert_int_equal(cq_strategy_lookup("sma_cross", &sma, NULL), CQ_OK);
  cq_bt_data d = data_of(&bars);
  char *docs[3];
  int threads[3] = {1, 2, 3};
  for (int k = 0; k < 3; k++) {
    cq_opt_study st;
    study_for(&st, sma, CQ_SAMPLER_TPE, 50);
    assert_int_equal(cq_metric_find("sharpe", &st.config.objective, NULL), CQ_OK);
    assert_int_equal(cq_opt_space_set(&st.space, "fast=2:60", NULL), CQ_OK);
    assert_int_equal(cq_opt_space_set(&st.space, "slow=10:300", NULL), CQ_OK);
    assert_int_equal(cq_opt_space_constrain(&st.space, "fast < slow", NULL), CQ_OK);
    st.config.threads = threads[k];
    assert_int_equal(cq_opt_run(&st, &d, NULL, NULL, NULL), CQ_OK);
    assert_int_equal(st.n_trials, 50);
    docs[k] = doc_of(&st);
    cq_opt_study_release(&st);
  }
  assert_string_equal(docs[0], docs[1]);
  assert_string_equal(docs[0], docs[2]);
  assert_null(strstr(docs[0], "NaN"));
  for (int k = 0; k < 3; k++) free(docs[k]);
}

/* Stopped after 20 trials and continued to 50: the same 50 trials as one run. */
static bool stop_at_20(const cq_opt_study *st, void *user) {
  (void)user;
  return st->n_trials < 20;
}

static void resume_is_seamless(void **state) {
  (void)state;
  cq_bt_data d = data_of(&bars);
  cq_opt_study a, b;
  study_for(&a, &peak_def, CQ_SAMPLER_TPE, 50);
  study_for(&b, &peak_def, CQ_SAMPLER_TPE, 50);
  a.config.trials = 20; /* ends mid-batch: 16 + 4 */
  assert_int_equal(cq_opt_run(&a, &d, stop_at_20, NULL, NULL), CQ_OK);
  assert_int_equal(a.n_trials, 20);
  a.config.trials = 50;
  assert_int_equal(cq_opt_run(&a, &d, NULL, NULL, NULL), CQ_OK);
  assert_int_equal(cq_opt_run(&b, &d, NULL, NULL, NULL), CQ_OK);
  char *x = doc_of(&a), *y = doc_of(&b);
  /* the documents differ only in what was asked: compare the trials */
  assert_string_equal(strstr(x, "\"trials\":["), strstr(y, "\"trials\":["));
  free(x);
  free(y);
  cq_opt_study_release(&a);
  cq_opt_study_release(&b);
}

static void patience_stops(void **state) {
  (void)state;
  cq_bt_data d = data_of(&bars);
  cq_opt_study st;
  study_for(&st, &peak_def, CQ_SAMPLER_GRID, 0);
  st.config.patience = 5;
  /* x fixed at the peak, y from 29 upwards: the first trial is the best */
  assert_int_equal(cq_opt_space_set(&st.space, "x=17", NULL), CQ_OK);
  assert_int_equal(cq_opt_space_set(&st.space, "y=29:40", NULL), CQ_OK);
  assert_int_equal(cq_opt_run(&st, &d, NULL, NULL, NULL), CQ_OK);
  assert_true(st.stopped_early);
  assert_int_equal(st.n_trials, 6); /* the best, then 5 without improvement */
  assert_int_equal(st.best, 0);
  cq_opt_study_release(&st);
}

/* ---- Pareto ---------------------------------------------------------------------------------- */

static void pareto_front(void **state) {
  (void)state;
  cq_opt_study st;
  study_for(&st, &peak_def, CQ_SAMPLER_GRID, 0);
  assert_int_equal(cq_metric_find("sharpe", &st.config.objective, NULL), CQ_OK);
  assert_int_equal(cq_metric_find("max_drawdown", &st.config.objective2, NULL), CQ_OK);
  /* (sharpe, drawdown): higher sharpe and lower drawdown are better */
  const double pts[][2] = {{1.0, 0.30}, {0.5, 0.10}, {0.8, 0.35}, {1.2, 0.40},
                           {0.5, 0.10}, {0.2, 0.05}, {0.9, 0.20}};
  st.n_trials = st.cap_trials = sizeof pts / sizeof pts[0];
  st.trials = calloc(st.n_trials, sizeof *st.trials);
  assert_non_null(st.trials);
  for (size_t i = 0; i < st.n_trials; i++)
    st.trials[i] = (cq_opt_trial){.number = (int64_t)i, .value = pts[i][0], .value2 = pts[i][1]};
  st.trials[5].state = CQ_TRIAL_INFEASIBLE;
  size_t *front = NULL, n = 0;
  assert_int_equal(cq_opt_pareto(&st, &front, &n, NULL), CQ_OK);
  /* by sharpe, best first: 3 (1.2, .40), 0 (1.0, .30), 6 (.9, .20), 1 (.5, .10); 2 is
   * dominated by 0, 4 equals 1 (the first stays), 5 is infeasible */
  assert_int_equal(n, 4);
  assert_int_equal(front[0], 3);
  assert_int_equal(front[1], 0);
  assert_int_equal(front[2], 6);
  assert_int_equal(front[3], 1);
  free(front);
  cq_opt_study_release(&st);
}

/* ---- walk-forward ---------------------------------------------------------------------- */

/* A grid study of sma_cross: objective `metric` over the fast and slow ranges given. */
static void sma_grid(cq_opt_study *st, const char *metric, const char *fast, const char *slow) {
  const cq_strategy_def *sma = NULL;
  assert_int_equal(cq_strategy_lookup("sma_cross", &sma, NULL), CQ_OK);
  study_for(st, sma, CQ_SAMPLER_GRID, 0);
  assert_int_equal(cq_metric_find(metric, &st->config.objective, NULL), CQ_OK);
  assert_int_equal(cq_opt_space_set(&st->space, fast, NULL), CQ_OK);
  assert_int_equal(cq_opt_space_set(&st->space, slow, NULL), CQ_OK);
}

static void walkforward_windows(void **state) {
  (void)state;
  cq_bt_data d = data_of(&bars);
  cq_opt_study st;
  sma_grid(&st, "total_return", "fast=5:25:5", "slow=30:90:30");
  /* 200 days: 60-day in-sample, 30-day out-of-sample windows, step 30: 5 windows, the last
   * out-of-sample one 20 days */
  cq_wf_config wf = {.is_ns = 60 * DAY, .oos_ns = 30 * DAY, .warmup_bars = -1};
  cq_wf_result r;
  assert_int_equal(cq_walkforward(&st, &wf, &d, NULL, NULL, &r, NULL), CQ_OK);
  assert_int_equal(r.n_windows, 5);
  cq_time t0 = bars.open_time[0];
  for (size_t k = 0; k < r.n_windows; k++) {
    const cq_wf_window *w = &r.windows[k];
    assert_true(w->is_from == t0 + (int64_t)k * 30 * DAY);
    assert_true(w->oos_from == w->is_to && w->is_to - w->is_from == 60 * DAY);
    assert_int_equal(w->trials, 15);
  }
  assert_true(r.windows[4].oos_to == bars.open_time[bars.len - 1] + CQ_NS_PER_HOUR);
  /* the stitched run covers every out-of-sample bar once, in order */
  assert_int_equal(r.oos.n_bars, (size_t)(200 - 60) * 24);
  for (size_t i = 1; i < r.oos.n_bars; i++)
    assert_true(r.oos.time[i] == r.oos.time[i - 1] + CQ_NS_PER_HOUR);
  /* no fill before its window's out-of-sample start */
  for (size_t i = 0; i < r.oos.n_fills; i++)
    assert_true(r.oos.fills[i].time >= r.windows[0].oos_from);
  /* chaining: the stitched return is the product of the windows' returns */
  double prod = 1;
  for (size_t k = 0; k < r.n_windows; k++) prod *= 1 + r.windows[k].oos_metrics.total_return;
  assert_true(fabs((1 + r.oos.metrics.total_return) / prod - 1) < 1e-9);
  char *json = NULL;
  assert_int_equal(cq_wf_json(&st, &wf, &r, &d, &json, NULL, NULL), CQ_OK);
  assert_non_null(strstr(json, "\"kind\":\"walkforward\""));
  free(json);
  cq_wf_result_release(&r);
  /* anchored: every in-sample window starts at the first bar */
  wf.anchored = true;
  assert_int_equal(cq_walkforward(&st, &wf, &d, NULL, NULL, &r, NULL), CQ_OK);
  for (size_t k = 0; k < r.n_windows; k++) assert_true(r.windows[k].is_from == t0);
  cq_wf_result_release(&r);
  /* too short for one window */
  cq_error e;
  wf.is_ns = 300 * DAY;
  assert_int_equal(cq_walkforward(&st, &wf, &d, NULL, NULL, &r, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "shorter than one in-sample window"));
  cq_opt_study_release(&st);
}

/* ---- statistics on a study: said, never NaN ------------------------------------------------ */

static void stats_of_study(void **state) {
  (void)state;
  const cq_strategy_def *sma = NULL;
  assert_int_equal(cq_strategy_lookup("sma_cross", &sma, NULL), CQ_OK);
  cq_bt_data d = data_of(&bars);
  cq_opt_study st;
  sma_grid(&st, "sharpe", "fast=5:30:5", "slow=40:120:20");
  assert_int_equal(cq_opt_run(&st, &d, NULL, NULL, NULL), CQ_OK);
  cq_opt_stats s;
  assert_int_equal(cq_opt_stats_compute(&st, &s, NULL), CQ_OK);
  assert_true(s.dsr.dsr.ok && s.dsr.dsr.value >= 0 && s.dsr.dsr.value <= 1);
  assert_true(s.pbo.pbo.ok && s.pbo.pbo.value >= 0 && s.pbo.pbo.value <= 1);
  assert_int_equal(s.pbo.n_splits, 12870); /* C(16, 8) */
  assert_true(s.stability.neighbours > 0);
  cq_bt_result best;
  assert_int_equal(cq_opt_run_trial(&st, &d, best_of(&st)->params, &best, NULL), CQ_OK);
  assert_true(best.metrics.sharpe == best_of(&st)->value);
  cq_opt_boot boot;
  assert_int_equal(cq_opt_bootstrap(&best, 1, &boot, NULL), CQ_OK);
  assert_true(boot.sharpe.point.ok && boot.sharpe.lo <= boot.sharpe.hi);
  char *json = NULL;
  assert_int_equal(cq_opt_study_json(&st, &s, &boot, &best, &d, &json, NULL, NULL), CQ_OK);
  assert_null(strstr(json, "NaN"));
  assert_non_null(strstr(json, "\"best_run\":{"));
  free(json);
  cq_bt_result_release(&best);
  cq_opt_stats_release(&s);
  /* one trial: the statistics say why they are missing */
  cq_opt_study one;
  study_for(&one, sma, CQ_SAMPLER_GRID, 0);
  assert_int_equal(cq_opt_space_set(&one.space, "fast=5,6", NULL), CQ_OK);
  assert_int_equal(cq_opt_space_set(&one.space, "slow=40", NULL), CQ_OK);
  one.config.trials = 1;
  assert_int_equal(cq_opt_run(&one, &d, NULL, NULL, NULL), CQ_OK);
  assert_int_equal(cq_opt_stats_compute(&one, &s, NULL), CQ_OK);
  assert_false(s.pbo.pbo.ok);
  assert_true(strlen(s.pbo.pbo.why) > 0);
  assert_false(s.dsr.dsr.ok);
  cq_opt_stats_release(&s);
  cq_opt_study_release(&one);
  cq_opt_study_release(&st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(space_errors),        cmocka_unit_test(grid_finds_best),
      cmocka_unit_test(random_finds_best),   cmocka_unit_test(tpe_finds_best),
      cmocka_unit_test(same_across_threads), cmocka_unit_test(resume_is_seamless),
      cmocka_unit_test(patience_stops),      cmocka_unit_test(pareto_front),
      cmocka_unit_test(walkforward_windows), cmocka_unit_test(stats_of_study),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
