/* Parameter search over a strategy's declared parameters (grid, random, TPE), run in parallel
 * on shared read-only candles; walk-forward analysis; evaluation of strategies over symbols
 * and periods into a scorecard. docs/optimization.md describes all three.
 *
 * Determinism: trial k's parameters depend only on the study's seed, k, and the results of
 * the trials of earlier batches (batches of CQ_OPT_BATCH trials, whatever the thread count),
 * so the same seed gives the same trials and the same results on 1 or 64 threads, and a
 * resumed study continues exactly as an uninterrupted one would have. */
#ifndef CQUANT_OPTIMIZE_H
#define CQUANT_OPTIMIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cquant/backtest.h"
#include "cquant/core.h"
#include "cquant/engine.h"
#include "cquant/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  CQ_OPT_MAX_CHOICES = 64,
  CQ_OPT_MAX_CONSTRAINTS = 8,
  CQ_OPT_EXPR_MAX = 64, /* tokens of one compiled constraint */
  CQ_OPT_BATCH = 16,    /* trials proposed together (see above) */
  CQ_OPT_BLOCKS = 16,   /* return blocks kept per trial for PBO (CSCV) */
  CQ_OPT_GRID_MAX = 100000, /* points a grid search may have */
};

/* ---- the space -------------------------------------------------------------------------- */

/* One searched dimension: a declared parameter over a range (lo, lo + step, ... <= hi; step
 * 0: continuous, FLOAT only) or an explicit list of choices. */
typedef struct cq_opt_dim {
  int param; /* index among the strategy's declared parameters */
  cq_param_type type;
  double lo, hi, step;
  int n_choices; /* > 0: the values are choices[] */
  double choices[CQ_OPT_MAX_CHOICES];
} cq_opt_dim;

/* A constraint between parameters, compiled to postfix: "fast < slow", "slow >= 2 * fast",
 * "fast + 10 <= slow and slow < 200". */
typedef struct cq_opt_expr {
  char text[128];
  int n;
  struct {
    int op;   /* token kind */
    double v; /* number, or parameter index */
  } tok[CQ_OPT_EXPR_MAX];
} cq_opt_expr;

typedef struct cq_opt_space {
  const cq_strategy_def *def;
  cq_param_values base; /* values of the parameters not searched */
  int n_dims;
  cq_opt_dim dims[CQ_MAX_PARAMS];
  int n_constraints;
  cq_opt_expr constraints[CQ_OPT_MAX_CONSTRAINTS];
} cq_opt_space;

/* Every declared INT or FLOAT parameter with min < max and step > 0 over its declared range;
 * BOOL parameters over {0, 1}. */
CQ_NODISCARD int cq_opt_space_init(cq_opt_space *s, const cq_strategy_def *def, cq_error *err);
/* Overrides from "name=lo:hi:step", "name=lo:hi" (step 1 for INT, continuous for FLOAT),
 * "name=a,b,c" (choices) or "name=v" (fixed: no longer searched). Values are checked
 * against the declared type and range. */
CQ_NODISCARD int cq_opt_space_set(cq_opt_space *s, const char *assign, cq_error *err);
/* Keeps only the dimensions named (comma-separated); the others are fixed at their base. */
CQ_NODISCARD int cq_opt_space_only(cq_opt_space *s, const char *names, cq_error *err);
CQ_NODISCARD int cq_opt_space_constrain(cq_opt_space *s, const char *expr, cq_error *err);
/* The space has at least one dimension and one point meeting every constraint and the
 * strategy's own check (CQ_EINVAL otherwise, saying which: empty, or contradictory). */
CQ_NODISCARD int cq_opt_space_check(const cq_opt_space *s, cq_error *err);
/* The full parameter vector at a point: base with the dims' values set. */
void cq_opt_space_params(const cq_opt_space *s, const double *x, double *params);
/* Constraints and the strategy's check on a full parameter vector. */
bool cq_opt_space_feasible(const cq_opt_space *s, const double *params);
/* Levels of a dimension (0: continuous). */
int64_t cq_opt_dim_levels(const cq_opt_dim *d);
double cq_opt_dim_value(const cq_opt_dim *d, int64_t level);
/* Points of the grid (product of levels; INT64_MAX when some dimension is continuous or the
 * product overflows). */
int64_t cq_opt_space_size(const cq_opt_space *s);
/* "fast=5:50:5 slow=60:150:10" into buf. */
void cq_opt_space_format(const cq_opt_space *s, char *buf, size_t cap);

/* ---- the study ---------------------------------------------------------------------------- */

typedef enum cq_sampler { CQ_SAMPLER_GRID = 0, CQ_SAMPLER_RANDOM, CQ_SAMPLER_TPE } cq_sampler;
const char *cq_sampler_name(cq_sampler s);
CQ_NODISCARD int cq_sampler_parse(const char *text, cq_sampler *out, cq_error *err);

typedef struct cq_opt_config {
  cq_sampler sampler;
  int64_t trials; /* how many to run (grid: 0 = every feasible point) */
  uint64_t seed;
  int64_t patience;    /* stop when the best has not improved for this many trials; 0: never */
  int objective;       /* metric index (cq_metric_find) */
  int objective2;      /* second metric for the Pareto front; -1: none */
  int64_t min_trades;  /* fewer trades: infeasible */
  double max_drawdown; /* deeper: infeasible (0: no limit) */
  int threads;         /* 0: every core */
  int tpe_startup;     /* random trials before TPE models (default 10) */
  int tpe_candidates;  /* candidates scored per TPE proposal (default 24) */
} cq_opt_config;

void cq_opt_config_default(cq_opt_config *c); /* tpe, 100 trials, seed 42, sharpe */

typedef enum cq_trial_state {
  CQ_TRIAL_COMPLETE = 0,
  CQ_TRIAL_INFEASIBLE = 1, /* ran; broke min trades or max drawdown */
  CQ_TRIAL_FAILED = 2      /* the backtest failed (its error is logged) */
} cq_trial_state;

typedef struct cq_opt_trial {
  int64_t number;
  cq_trial_state state;
  double params[CQ_MAX_PARAMS]; /* the full vector */
  double value, value2;         /* objective(s); NaN unless complete */
  cq_bt_metrics metrics;
  cq_moments moments; /* of the bar returns */
  cq_block_stat blocks[CQ_OPT_BLOCKS];
} cq_opt_trial;

typedef struct cq_opt_study {
  cq_opt_space space;
  cq_opt_config config;
  cq_bt_config bt; /* the backtest every trial runs (params replaced) */
  size_t n_trials, cap_trials;
  cq_opt_trial *trials; /* by number */
  int64_t best;         /* index of the best complete trial; -1 none */
  bool stopped_early;
  int64_t store_id; /* 0: not stored */
} cq_opt_study;

void cq_opt_study_init(cq_opt_study *st);
void cq_opt_study_release(cq_opt_study *st);

/* Called after each batch, from the calling thread: trials done, the study so far. Return
 * false to stop after this batch. */
typedef bool (*cq_opt_progress_fn)(const cq_opt_study *st, void *user);

/* Runs the study until config.trials trials exist (a study with trials already, as a resumed
 * one, continues from there), the grid is exhausted, or patience runs out. data is shared
 * read-only by the worker threads. */
CQ_NODISCARD int cq_opt_run(cq_opt_study *st, const cq_bt_data *data, cq_opt_progress_fn cb,
                            void *user, cq_error *err);

/* Whether a is better than b under the study's objective (NaN is worst). */
bool cq_opt_better(const cq_opt_study *st, double a, double b);

/* Indices of the trials on the Pareto front of (objective, objective2), both oriented as
 * their metrics say; sorted by the first objective. Caller frees *out. */
CQ_NODISCARD int cq_opt_pareto(const cq_opt_study *st, size_t **out, size_t *n, cq_error *err);

/* Overfitting statistics of a study: the Deflated Sharpe of the best trial, PBO over the
 * complete trials, the stability of the best point. */
typedef struct cq_opt_stats {
  cq_dsr dsr;
  cq_pbo pbo;
  cq_stability stability;
} cq_opt_stats;

CQ_NODISCARD int cq_opt_stats_compute(const cq_opt_study *st, cq_opt_stats *out, cq_error *err);
void cq_opt_stats_release(cq_opt_stats *s);

/* Bootstrap confidence intervals of a run's main metrics (95 %, 1000 resamples, seeded):
 * per-bar Sharpe, total return and max drawdown from the bar returns (circular blocks of
 * about n^(1/3) bars, keeping short-range dependence), win rate, profit factor and mean trade
 * return from the trades (i.i.d.). Each says "not enough data" rather than a NaN. */
typedef struct cq_opt_boot {
  cq_interval sharpe, total_return, max_drawdown; /* sharpe annualized */
  cq_interval win_rate, profit_factor, avg_trade;
} cq_opt_boot;

CQ_NODISCARD int cq_opt_bootstrap(const cq_bt_result *run, uint64_t seed, cq_opt_boot *out,
                                  cq_error *err);

/* Runs the study's backtest with the parameters of trial i (the best, to report it). */
CQ_NODISCARD int cq_opt_run_trial(const cq_opt_study *st, const cq_bt_data *data,
                                  const double *params, cq_bt_result *out, cq_error *err);

/* ---- documents ------------------------------------------------------------------------- */

/* The study as one JSON document (docs/optimization.md has the schema): the space, the
 * trials, the best trial with its whole run (charts cut to CQ_BT_REPORT_MAX_POINTS), the
 * Pareto front, the overfitting statistics and bootstrap intervals. best_run, boot may be
 * NULL. Deterministic: elapsed time and thread count are left out. Caller frees *out. */
CQ_NODISCARD int cq_opt_study_json(const cq_opt_study *st, const cq_opt_stats *stats,
                                   const cq_opt_boot *boot, const cq_bt_result *best_run,
                                   const cq_bt_data *data, char **out, size_t *len, cq_error *err);

/* ---- walk-forward --------------------------------------------------------------------- */

typedef struct cq_wf_config {
  int64_t is_ns, oos_ns, step_ns; /* step 0: oos */
  bool anchored;                  /* in-sample windows all start at the first bar */
  int64_t warmup_bars;            /* bars before each OOS window fed to the strategy without
                                     trading; -1: the whole in-sample window */
} cq_wf_config;

typedef struct cq_wf_window {
  cq_time is_from, is_to, oos_from, oos_to;
  double params[CQ_MAX_PARAMS]; /* the in-sample best */
  double is_value;              /* its objective in sample */
  cq_bt_metrics is_metrics, oos_metrics;
  int64_t trials;
  bool ok; /* false: no feasible trial in sample (the window is flat) */
} cq_wf_window;

typedef struct cq_wf_result {
  size_t n_windows;
  cq_wf_window *windows;
  cq_bt_result oos;            /* the stitched out-of-sample run */
  cq_stat efficiency;          /* OOS annualized return / mean IS annualized return (not ok when the
                                  in-sample mean is not positive) */
  int searched;                /* dimensions of the space: drift[0 .. searched) */
  double drift[CQ_MAX_PARAMS]; /* std of each searched parameter across windows / its range */
} cq_wf_result;

void cq_wf_result_init(cq_wf_result *r);
void cq_wf_result_release(cq_wf_result *r);

/* Optimizes each in-sample window with `proto` (its space, config and backtest), evaluates
 * the best parameters out of sample, and stitches the out-of-sample equity. */
CQ_NODISCARD int cq_walkforward(const cq_opt_study *proto, const cq_wf_config *wf,
                                const cq_bt_data *data, cq_opt_progress_fn cb, void *user,
                                cq_wf_result *out, cq_error *err);

/* The walk-forward as one JSON document: the windows (dates, best parameters, in- and
 * out-of-sample metrics), efficiency, drift, and the stitched out-of-sample run (the
 * candles of data for its chart). Caller frees *out. */
CQ_NODISCARD int cq_wf_json(const cq_opt_study *proto, const cq_wf_config *wf,
                            const cq_wf_result *r, const cq_bt_data *data, char **out, size_t *len,
                            cq_error *err);

/* ---- evaluation: strategies x symbols x periods into a scorecard ---------------------- */

/* docs/optimization.md ("Evaluation and the scorecard") defines every number below. */
enum {
  CQ_EVAL_MAX_STRATEGIES = 32,
  CQ_EVAL_MAX_PERIODS = 64,
};

typedef struct cq_eval_strategy {
  const cq_strategy_def *def;
  cq_param_values params; /* resolved (cq_params_resolve) */
} cq_eval_strategy;

typedef struct cq_eval_period {
  cq_time from, to; /* open times from <= t < to */
} cq_eval_period;

typedef struct cq_eval_config {
  /* What every cell shares: venue, tf, cash, sizing, fill model; bt.n_symbols,
   * bt.symbols[] and bt.instruments[] name the symbols, in the order of the data's candles.
   * Each cell replaces the strategy, its parameters, the symbols (one) and the range. */
  cq_bt_config bt;
  bool auto_engine; /* true: the vector engine for a strategy with signals when the settings
                       allow it, else the event engine; false: bt.engine for every cell */
  int n_strategies;
  cq_eval_strategy strategies[CQ_EVAL_MAX_STRATEGIES];
  int n_periods;
  cq_eval_period periods[CQ_EVAL_MAX_PERIODS];
  /* Parameter sets tried per strategy before settling on the ones evaluated (>= 1): the
   * deflated Sharpe counts n_strategies x tried trials. */
  int64_t tried;
  uint64_t seed; /* of the bootstrap */
  int threads;   /* 0: every core */
} cq_eval_config;

/* auto engine, tried 1, seed 42, every core; bt as cq_bt_config_default. */
void cq_eval_config_init(cq_eval_config *c);

/* n periods of equal length covering [from, to), their bounds on the tf grid counted from
 * `from` (the last ends at `to`). CQ_EINVAL when n is outside 1..CQ_EVAL_MAX_PERIODS or the
 * range holds fewer than n bars. */
CQ_NODISCARD int cq_eval_split(cq_time from, cq_time to, cq_timeframe tf, int n,
                               cq_eval_period *out, cq_error *err);

/* The periods are not empty (from < to), in order and do not overlap; CQ_EINVAL naming the
 * period(s) otherwise. */
CQ_NODISCARD int cq_eval_check_periods(const cq_eval_period *p, int n, cq_error *err);

/* The configuration against the data: strategies (each once), symbols (as many as the data
 * has), periods (above), and every symbol has candles in every period (CQ_EINVAL naming the
 * symbol and the period otherwise). */
CQ_NODISCARD int cq_eval_check(const cq_eval_config *c, const cq_bt_data *data, cq_error *err);

/* One backtest: a strategy on one symbol over one period. */
typedef struct cq_eval_cell {
  int strategy, symbol, period;
  cq_bt_engine engine; /* the one that ran it */
  cq_bt_metrics metrics;
  cq_moments moments; /* of the bar returns */
  size_t n_returns;
  double *returns; /* the bar returns (equity over the bar before; the first over the cash) */
} cq_eval_cell;

/* A strategy's scorecard. Every statistic is a cq_stat: not ok, with why, when it cannot be
 * computed. Sharpe ratios are annualized like the run metrics; a cell whose equity never
 * moves (no trade) counts as Sharpe 0. */
typedef struct cq_eval_score {
  int strategy;
  int rank;      /* 1: best */
  int64_t cells; /* cells run */
  /* return */
  cq_stat median_cagr, median_return;
  /* risk */
  cq_stat median_drawdown, worst_drawdown, median_volatility;
  /* robustness */
  cq_stat profitable; /* share of cells with a total return > 0 */
  cq_stat median_sharpe, worst_sharpe;
  cq_interval pooled_sharpe; /* Sharpe of every cell's bar returns together, with a 95 %
                                circular-block bootstrap interval */
  /* overfitting risk: the deflated Sharpe of the pooled returns (one trial: the
   * probabilistic Sharpe against 0) */
  cq_dsr dsr;
  /* consistency: a symbol's (period's) Sharpe is the mean over its periods (symbols); it
   * beats buy and hold when its mean total return exceeds the mean buy-and-hold return of
   * the same cells */
  cq_stat sharpe_sd_symbols, sharpe_sd_periods;
  cq_stat beats_bh_symbols, beats_bh_periods;
  /* the five parts of the score (0..1) and the score (0..100): see cq_eval_score_formula */
  cq_stat part_return, part_risk, part_robustness, part_overfitting, part_consistency;
  cq_stat score;
} cq_eval_score;

/* How the score combines the parts, in words (also written into the document). */
extern const char cq_eval_score_formula[];

typedef struct cq_eval_result {
  size_t n_cells;
  cq_eval_cell *cells; /* cell (s, y, p) at (s * n_symbols + y) * n_periods + p */
  int n_strategies, n_symbols, n_periods;
  int64_t trials;        /* n_strategies x tried: the deflated Sharpe's trials */
  cq_stat var_sr;        /* variance of the cells' per-bar Sharpe ratios (every strategy's) */
  cq_eval_score *scores; /* by strategy */
  int ranking[CQ_EVAL_MAX_STRATEGIES]; /* strategy indices, best first */
} cq_eval_result;

void cq_eval_result_init(cq_eval_result *r);
void cq_eval_result_release(cq_eval_result *r);

/* Called from the calling thread after each batch of cells. Return false to stop (the run
 * then fails with CQ_ESTATE, saying so). */
typedef bool (*cq_eval_progress_fn)(size_t done, size_t total, void *user);

/* Checks (cq_eval_check), runs every cell on worker threads over read-only views of data
 * (each cell's numbers depend on nothing but its inputs: the result is the same on any
 * number of threads), then the scorecard. out is initialised here; released on failure. */
CQ_NODISCARD int cq_eval_run(const cq_eval_config *c, const cq_bt_data *data,
                             cq_eval_progress_fn cb, void *user, cq_eval_result *out,
                             cq_error *err);

/* The scorecard and ranking from the cells (cq_eval_run ends with it). */
CQ_NODISCARD int cq_eval_scorecard(const cq_eval_config *c, cq_eval_result *r, cq_error *err);

/* The evaluation as one JSON document (kind "evaluate"; docs/optimization.md has the
 * schema): settings, strategies, symbols, periods, cells with their metrics, the scorecard
 * rows, the ranking, the score formula and notes. Deterministic. Caller frees *out. */
CQ_NODISCARD int cq_eval_json(const cq_eval_config *c, const cq_eval_result *r, char **out,
                              size_t *len, cq_error *err);

/* The HTML report of a study, walk-forward or evaluation document (one self-contained file). */
CQ_NODISCARD int cq_opt_report_html(const char *json, size_t len, FILE *out, cq_error *err);

#ifdef __cplusplus
}
#endif
#endif
