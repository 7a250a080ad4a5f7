/* Backtests: the run configuration, the result (fills, round-trip trades, equity, metrics),
 * the two engines (event-driven over the kernel + match, vectorized over signal arrays),
 * JSON and HTML output, and runs kept in the store.
 *
 * Both engines take the same cq_bt_config and candles and fill the same cq_bt_result, with
 * the fill arithmetic of match.h, so a strategy that can be written both ways gives the same
 * trades and the same equity in both. */
#ifndef CQUANT_BACKTEST_H
#define CQUANT_BACKTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cquant/core.h"
#include "cquant/engine.h"
#include "cquant/match.h"
#include "cquant/model.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CQ_BT_MAX_SYMBOLS = 16, CQ_BT_NAME_MAX = 48 };

typedef enum cq_bt_engine { CQ_BT_EVENT = 0, CQ_BT_VECTOR = 1 } cq_bt_engine;
const char *cq_bt_engine_name(cq_bt_engine e); /* "event", "vector" */

/* Everything that decides a run's numbers. Filled by the CLI, a YAML run file or code. */
typedef struct cq_bt_config {
  char strategy[CQ_BT_NAME_MAX];
  cq_param_values params; /* the strategy's declared parameters, resolved */
  cq_bt_engine engine;
  char venue[CQ_VENUE_MAX];
  int n_symbols;
  char symbols[CQ_BT_MAX_SYMBOLS][CQ_SYMBOL_MAX];
  cq_instrument instruments[CQ_BT_MAX_SYMBOLS]; /* tick, lot, min notional per symbol */
  cq_timeframe tf;
  cq_time from, to;         /* [from, to) open times */
  cq_dec initial_cash;      /* in the quote asset */
  char quote[CQ_ASSET_MAX]; /* "USDT" */
  cq_size size;             /* sizing of each entry (default: all-in) */
  cq_match_config match;    /* fees, slippage, latency, fill timing, volume cap */
  bool allow_gaps;
  /* Bars opening before this are warm-up: the strategy sees them (indicators fill), no order
   * is placed (a walk-forward window's lookback). INT64_MIN: trading from the first bar. */
  cq_time trade_from;
} cq_bt_config;

/* Defaults: engine event, cash 10000 USDT, size all-in, cq_match_config_default. */
void cq_bt_config_default(cq_bt_config *c);

/* The input: one candle series per symbol, each on the config's timeframe grid; and, for a
 * tick-data run (event engine only), each symbol's trades in time order, with the candles
 * aggregated from exactly those trades (cq_aggregate_trades). Orders then fill at trade
 * prices, at most the traded quantity per trade; strategies still see on_candle at each bar
 * end, and on_trade for every trade. */
typedef struct cq_bt_data {
  int n_symbols;
  const cq_candles *candles[CQ_BT_MAX_SYMBOLS];
  const cq_trades *trades[CQ_BT_MAX_SYMBOLS]; /* all NULL: candles only */
} cq_bt_data;

/* One executed fill. */
typedef struct cq_bt_fill {
  cq_time time;
  int symbol;
  cq_side side;
  double price, qty, fee; /* exact decimals shown as doubles (their shortest text is exact) */
  cq_liquidity liquidity;
  uint64_t order_id;
  int strategy;
} cq_bt_fill;

/* A round trip: from flat to flat on one symbol (scale-ins and partial exits fold in). */
typedef struct cq_bt_trade {
  int symbol;
  int strategy;
  cq_time entry_time, exit_time;
  size_t entry_bar, exit_bar;     /* indices into the result's time axis */
  double qty;                     /* the largest position held */
  double entry_price, exit_price; /* average prices */
  double fees;
  double pnl; /* net of fees, in the quote asset */
  double ret; /* pnl / cost of the entries */
  bool open;  /* still open at the end (marked at the last close) */
} cq_bt_trade;

/* Metrics: docs/metrics.md defines each. Ratios are plain fractions (0.12 is 12 %). */
typedef struct cq_bt_metrics {
  double start_equity, end_equity;
  double total_return, cagr, volatility; /* annualized, 365-day year */
  double sharpe, sortino, calmar;
  double max_drawdown;     /* as a positive fraction */
  int64_t max_drawdown_ns; /* longest time under a previous peak */
  double win_rate, profit_factor, expectancy;
  double avg_trade, best_trade, worst_trade; /* trade returns */
  int64_t avg_holding_ns;
  double exposure; /* share of bars with a position */
  int64_t n_trades;
  double sqn, turnover, fees;
  double buy_hold_return;
  double alpha, beta; /* against buy and hold; alpha annualized */
} cq_bt_metrics;

typedef struct cq_bt_result {
  cq_bt_config config;
  size_t n_bars;  /* the time axis: the union of the symbols' open times */
  cq_time *time;  /* n_bars */
  double *equity; /* at each bar's close */
  double *cash;
  double *exposure;  /* value of positions / equity */
  double *benchmark; /* equal-weight buy and hold of the symbols, same start */
  size_t n_fills, cap_fills;
  cq_bt_fill *fills;
  size_t n_trades, cap_trades;
  cq_bt_trade *trades;
  int64_t orders, rejected; /* orders placed; of them rejected */
  cq_bt_metrics metrics;
} cq_bt_result;

void cq_bt_result_init(cq_bt_result *r);
void cq_bt_result_release(cq_bt_result *r);
/* Room for n bars (time, equity, cash, exposure, benchmark), not initialized. */
CQ_NODISCARD int cq_bt_result_bars(cq_bt_result *r, size_t n, cq_error *err);
CQ_NODISCARD int cq_bt_result_add_fill(cq_bt_result *r, const cq_bt_fill *f, cq_error *err);
CQ_NODISCARD int cq_bt_result_add_trade(cq_bt_result *r, const cq_bt_trade *t, cq_error *err);

/* The time axis both engines use: the union of the symbols' open times, ascending
 * (r->n_bars, r->time; equity/cash/exposure/benchmark allocated, not initialized: the engine
 * writes every bar, cq_bt_finish the benchmark). CQ_EINVAL when there are no candles at all. */
CQ_NODISCARD int cq_bt_time_axis(const cq_bt_data *data, cq_bt_result *r, cq_error *err);

/* After an engine has filled time, equity, cash, exposure and fills: builds the round-trip
 * trades from the fills (flat to flat per symbol and strategy), the benchmark from the
 * candles, and the metrics. Both engines end with it. */
CQ_NODISCARD int cq_bt_finish(cq_bt_result *r, const cq_bt_data *data, cq_error *err);

/* ---- engines ------------------------------------------------------------------------ */

/* Event-driven: the kernel with the strategy, match against the candles. */
CQ_NODISCARD int cq_bt_run_event(const cq_bt_config *cfg, const cq_bt_data *data,
                                 cq_progress *progress, cq_bt_result *out, cq_error *err);

/* The same with the strategy given (tests, strategies outside the registry). out is
 * initialised here; on failure it is released. */
CQ_NODISCARD int cq_bt_run_event_def(const cq_bt_config *cfg, const cq_strategy_def *def,
                                     const cq_bt_data *data, cq_progress *progress,
                                     cq_bt_result *out, cq_error *err);

/* Vectorized: the strategy's signal arrays (cq_strategy_def.signals) to fills and equity.
 * CQ_EUNSUPPORTED for a strategy without a vector form or settings it cannot model
 * (volume cap with partial fills, fill latency), naming what. */
CQ_NODISCARD int cq_bt_run_vector(const cq_bt_config *cfg, const cq_bt_data *data,
                                  cq_bt_result *out, cq_error *err);

/* The same with the strategy given directly (a strategy not in the built-in registry, as
 * tests and benchmarks define them); cq_bt_run_vector looks cfg->strategy up and calls it.
 * Parameters missing from cfg->params take the declared defaults. */
CQ_NODISCARD int cq_bt_run_vector_def(const cq_strategy_def *def, const cq_bt_config *cfg,
                                      const cq_bt_data *data, cq_bt_result *out, cq_error *err);

/* Either engine, as cfg->engine says, with the strategy given (cq_bt_run looks it up by
 * cfg->strategy). progress is used by the event engine only. */
CQ_NODISCARD int cq_bt_run_def(const cq_strategy_def *def, const cq_bt_config *cfg,
                               const cq_bt_data *data, cq_progress *progress, cq_bt_result *out,
                               cq_error *err);

/* Either engine, as cfg->engine says; then metrics. */
CQ_NODISCARD int cq_bt_run(const cq_bt_config *cfg, const cq_bt_data *data, cq_progress *progress,
                           cq_bt_result *out, cq_error *err);

/* ---- metrics ------------------------------------------------------------------------ */

/* The bar returns of a run into out[0 .. r->n_bars): equity over the bar before, the first
 * over the initial cash; 0 where the equity before is 0. */
void cq_bt_bar_returns(const cq_bt_result *r, double *out);

/* From the result's equity, benchmark, trades and fills; annualized from cfg tf. */
CQ_NODISCARD int cq_bt_metrics_compute(cq_bt_result *r, cq_error *err);

/* ---- metrics by name ------------------------------------------------------------------ */

typedef struct cq_metric_info {
  const char *name;   /* "sharpe" */
  bool higher_better; /* false for max_drawdown, volatility, fees, turnover */
  const char *help;
} cq_metric_info;

/* The metrics an objective can name: every field of cq_bt_metrics, in its order. */
int cq_metrics_count(void);
const cq_metric_info *cq_metric_at(int index); /* NULL out of range */
/* Index into the table; CQ_ENOTFOUND with the closest name when unknown. */
CQ_NODISCARD int cq_metric_find(const char *name, int *index, cq_error *err);
/* The value of metric `index` in m (int64 and nanosecond fields as doubles). */
double cq_metric_value(const cq_bt_metrics *m, int index);
/* Sets metric `index` (int64 fields from a whole double). */
void cq_metric_set(cq_bt_metrics *m, int index, double v);

/* ---- output ------------------------------------------------------------------------- */

/* The run as one JSON document: config, metrics, trades, fills, equity (and, with candles,
 * the candles for the report). Deterministic: the same run gives the same bytes. Caller
 * frees *out. */
CQ_NODISCARD int cq_bt_to_json(const cq_bt_result *r, const cq_bt_data *candles, char **out,
                               size_t *len, cq_error *err);

/* Options of the JSON document. max_points 0 keeps every equity point and candle (what
 * --json writes); otherwise the equity arrays and each symbol's candles are cut to at most
 * max_points buckets of consecutive bars: the last point of each bucket (drawdown: the
 * deepest), candles aggregated (first open, highest high, lowest low, last close, summed
 * volume). Metrics, trades, fills and monthly returns always come from every bar. */
typedef struct cq_bt_json_options {
  size_t max_points;
} cq_bt_json_options;

/* What the HTML report embeds: at most this many points per chart. */
enum { CQ_BT_REPORT_MAX_POINTS = 5000 };

/* cq_bt_to_json with options (NULL: the defaults, every point). */
CQ_NODISCARD int cq_bt_to_json_opts(const cq_bt_result *r, const cq_bt_data *candles,
                                    const cq_bt_json_options *opt, char **out, size_t *len,
                                    cq_error *err);

/* Parts of the document for other documents (a study embeds runs): the whole run as a value,
 * and the "config" and "metrics" members (key and object). */
struct cq_jw;
void cq_bt_json_run(struct cq_jw *w, const cq_bt_result *r, const cq_bt_data *candles,
                    size_t max_points);
void cq_bt_json_config(struct cq_jw *w, const cq_bt_config *c);
void cq_bt_json_metrics(struct cq_jw *w, const cq_bt_metrics *m);

/* A self-contained HTML report (no network fetches) from the JSON document above. */
CQ_NODISCARD int cq_bt_report_html(const char *json, size_t len, FILE *out, cq_error *err);

/* A self-contained page for another document (a study, a walk-forward): the report's style,
 * the chart library, the document in a <script type="application/json" id="cq-doc"> block,
 * an empty <main id="app"> and page_js, which draws everything from the document. */
CQ_NODISCARD int cq_report_page(const char *title, const char *json, size_t len,
                                const unsigned char *page_js, size_t page_js_len, FILE *out,
                                cq_error *err);

/* An index page linking several reports: titles[i] -> hrefs[i], with a metrics row each
 * from jsons[i]. */
CQ_NODISCARD int cq_bt_report_index(const char *const *titles, const char *const *hrefs,
                                    const char *const *jsons, size_t n, FILE *out, cq_error *err);

#ifdef __cplusplus
}
#endif
#endif
