/* The run as one JSON document (docs/reports.md has the schema).
 *
 * A small streaming writer into one growing buffer rather than a jansson tree: a run of a
 * million bars is five million numbers, and a tree would cost a node each. Keys come in a
 * fixed order and doubles in their shortest round-trip text, so the same result always
 * gives the same bytes. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/backtest.h"
#include "cquant/jsonw.h"
#include "cquant/strategy.h"
#include "report_internal.h"

/* ---- config -------------------------------------------------------------------------- */

static const char *symbol_text(const cq_bt_config *c, int i) {
  return i >= 0 && i < c->n_symbols && i < CQ_BT_MAX_SYMBOLS ? c->symbols[i] : "";
}

/* Parameters by their declared names and types; p0, p1... when the strategy is not a
 * built-in (or the values do not match its declaration). */
static void write_params(cq_jw *w, const cq_bt_config *c) {
  const cq_strategy_def *d = cq_strategy_find(c->strategy);
  int n = c->params.n < 0 ? 0 : c->params.n > CQ_MAX_PARAMS ? CQ_MAX_PARAMS : c->params.n;
  if (d && d->n_params != n) d = NULL;
  cq_jw_open(w, '{');
  for (int i = 0; i < n; i++) {
    char name[16];
    snprintf(name, sizeof name, "p%d", i);
    cq_jw_key(w, d ? d->params[i].name : name);
    double v = c->params.v[i];
    if (d && d->params[i].type == CQ_PARAM_BOOL)
      cq_jw_bool(w, v != 0);
    else
      cq_jw_num(w, v);
  }
  cq_jw_close(w, '}');
}

static void write_instruments(cq_jw *w, const cq_bt_config *c) {
  cq_jw_key(w, "instruments");
  cq_jw_open(w, '[');
  for (int i = 0; i < c->n_symbols && i < CQ_BT_MAX_SYMBOLS; i++) {
    const cq_instrument *in = &c->instruments[i];
    cq_jw_open(w, '{');
    cq_jw_key_str(w, "symbol", c->symbols[i]);
    cq_jw_key(w, "tick");
    cq_jw_dec(w, in->tick);
    cq_jw_key(w, "lot");
    cq_jw_dec(w, in->lot);
    cq_jw_key(w, "min_qty");
    cq_jw_dec(w, in->min_qty);
    cq_jw_key(w, "min_notional");
    cq_jw_dec(w, in->min_notional);
    cq_jw_close(w, '}');
  }
  cq_jw_close(w, ']');
}

static void write_match(cq_jw *w, const cq_match_config *m) {
  char t[64];
  cq_jw_key(w, "fees");
  cq_jw_open(w, '{');
  cq_jw_key(w, "maker");
  cq_jw_dec(w, m->maker_fee);
  cq_jw_key(w, "taker");
  cq_jw_dec(w, m->taker_fee);
  cq_jw_close(w, '}');
  cq_slippage_format(m->slippage, t, sizeof t);
  cq_jw_key_str(w, "slippage", t);
  cq_jw_key(w, "latency");
  cq_jw_open(w, '{');
  cq_latency_format(m->order_latency, t, sizeof t);
  cq_jw_key_str(w, "order", t);
  cq_latency_format(m->fill_latency, t, sizeof t);
  cq_jw_key_str(w, "fill", t);
  cq_jw_close(w, '}');
  cq_jw_key_str(w, "fill_timing",
                m->market_fill == CQ_FILL_THIS_CLOSE ? "this_close" : "next_open");
  cq_jw_key_num(w, "max_volume_share", m->max_volume_share);
  cq_jw_key(w, "touch_fill");
  cq_jw_bool(w, m->touch_fill);
}

void cq_bt_json_config(cq_jw *w, const cq_bt_config *c) {
  char t[64];
  cq_jw_key(w, "config");
  cq_jw_open(w, '{');
  cq_jw_key_str(w, "strategy", c->strategy);
  cq_jw_key(w, "params");
  write_params(w, c);
  cq_jw_key_str(w, "engine", cq_bt_engine_name(c->engine));
  cq_jw_key_str(w, "venue", c->venue);
  cq_jw_key(w, "symbols");
  cq_jw_open(w, '[');
  for (int i = 0; i < c->n_symbols && i < CQ_BT_MAX_SYMBOLS; i++) cq_jw_str(w, c->symbols[i]);
  cq_jw_close(w, ']');
  write_instruments(w, c);
  cq_timeframe_format(c->tf, t, sizeof t);
  cq_jw_key_str(w, "tf", t);
  /* an open end of the range is null */
  cq_jw_key(w, "from");
  if (c->from == INT64_MIN)
    cq_jw_null(w);
  else
    cq_jw_time(w, c->from);
  cq_jw_key(w, "to");
  if (c->to == INT64_MAX)
    cq_jw_null(w);
  else
    cq_jw_time(w, c->to);
  cq_jw_key(w, "initial_cash");
  cq_jw_dec(w, c->initial_cash);
  cq_jw_key_str(w, "quote", c->quote);
  cq_size_format(c->size, t, sizeof t);
  cq_jw_key_str(w, "size", t);
  write_match(w, &c->match);
  cq_jw_key(w, "allow_gaps");
  cq_jw_bool(w, c->allow_gaps);
  cq_jw_key(w, "trade_from"); /* null: trading from the first bar */
  if (c->trade_from == INT64_MIN || c->trade_from == 0)
    cq_jw_null(w);
  else
    cq_jw_time(w, c->trade_from);
  cq_jw_close(w, '}');
}

/* ---- metrics, trades, fills ------------------------------------------------------------ */

void cq_bt_json_metrics(cq_jw *w, const cq_bt_metrics *m) {
  cq_jw_key(w, "metrics");
  cq_jw_open(w, '{');
  cq_jw_key_num(w, "start_equity", m->start_equity);
  cq_jw_key_num(w, "end_equity", m->end_equity);
  cq_jw_key_num(w, "total_return", m->total_return);
  cq_jw_key_num(w, "cagr", m->cagr);
  cq_jw_key_num(w, "volatility", m->volatility);
  cq_jw_key_num(w, "sharpe", m->sharpe);
  cq_jw_key_num(w, "sortino", m->sortino);
  cq_jw_key_num(w, "calmar", m->calmar);
  cq_jw_key_num(w, "max_drawdown", m->max_drawdown);
  cq_jw_key_int(w, "max_drawdown_ns", m->max_drawdown_ns);
  cq_jw_key_num(w, "win_rate", m->win_rate);
  cq_jw_key_num(w, "profit_factor", m->profit_factor);
  cq_jw_key_num(w, "expectancy", m->expectancy);
  cq_jw_key_num(w, "avg_trade", m->avg_trade);
  cq_jw_key_num(w, "best_trade", m->best_trade);
  cq_jw_key_num(w, "worst_trade", m->worst_trade);
  cq_jw_key_int(w, "avg_holding_ns", m->avg_holding_ns);
  cq_jw_key_num(w, "exposure", m->exposure);
  cq_jw_key_int(w, "n_trades", m->n_trades);
  cq_jw_key_num(w, "sqn", m->sqn);
  cq_jw_key_num(w, "turnover", m->turnover);
  cq_jw_key_num(w, "fees", m->fees);
  cq_jw_key_num(w, "buy_hold_return", m->buy_hold_return);
  cq_jw_key_num(w, "alpha", m->alpha);
  cq_jw_key_num(w, "beta", m->beta);
  cq_jw_close(w, '}');
}

static void write_trades(cq_jw *w, const cq_bt_result *r) {
  cq_jw_key(w, "trades");
  cq_jw_open(w, '[');
  for (size_t i = 0; i < r->n_trades; i++) {
    const cq_bt_trade *t = &r->trades[i];
    cq_jw_open(w, '{');
    cq_jw_key_str(w, "symbol", symbol_text(&r->config, t->symbol));
    cq_jw_key_int(w, "strategy", t->strategy);
    cq_jw_key(w, "entry_time");
    cq_jw_time(w, t->entry_time);
    cq_jw_key(w, "exit_time");
    cq_jw_time(w, t->exit_time);
    cq_jw_key_int(w, "entry_bar", (int64_t)t->entry_bar);
    cq_jw_key_int(w, "exit_bar", (int64_t)t->exit_bar);
    cq_jw_key_num(w, "qty", t->qty);
    cq_jw_key_num(w, "entry_price", t->entry_price);
    cq_jw_key_num(w, "exit_price", t->exit_price);
    cq_jw_key_num(w, "fees", t->fees);
    cq_jw_key_num(w, "pnl", t->pnl);
    cq_jw_key_num(w, "return", t->ret);
    cq_jw_key(w, "open");
    cq_jw_bool(w, t->open);
    cq_jw_close(w, '}');
  }
  cq_jw_close(w, ']');
}

static void write_fills(cq_jw *w, const cq_bt_result *r) {
  cq_jw_key(w, "fills");
  cq_jw_open(w, '[');
  for (size_t i = 0; i < r->n_fills; i++) {
    const cq_bt_fill *f = &r->fills[i];
    cq_jw_open(w, '{');
    cq_jw_key(w, "time");
    cq_jw_time(w, f->time);
    cq_jw_key_str(w, "symbol", symbol_text(&r->config, f->symbol));
    cq_jw_key_str(w, "side", cq_side_name(f->side));
    cq_jw_key_num(w, "price", f->price);
    cq_jw_key_num(w, "qty", f->qty);
    cq_jw_key_num(w, "fee", f->fee);
    cq_jw_key_str(w, "liquidity", f->liquidity == CQ_LIQ_MAKER ? "maker" : "taker");
    cq_jw_key_int(w, "order_id", (int64_t)f->order_id);
    cq_jw_key_int(w, "strategy", f->strategy);
    cq_jw_close(w, '}');
  }
  cq_jw_close(w, ']');
}

/* ---- equity, monthly returns, candles ---------------------------------------------------- */

/* Buckets of k consecutive points: bucket j is [j*k, min(n, (j+1)*k)). */
static size_t bucket_size(size_t n, size_t max_points) {
  return max_points == 0 || n <= max_points ? 1 : (n + max_points - 1) / max_points;
}

/* Index of the last point of the bucket starting at start. */
static size_t bucket_last(size_t start, size_t n, size_t k) {
  return start + k < n ? start + k - 1 : n - 1;
}

static void write_column(cq_jw *w, const char *key, const double *v, size_t n, size_t k) {
  cq_jw_key(w, key);
  cq_jw_open(w, '[');
  for (size_t start = 0; v && start < n; start += k) cq_jw_num(w, v[bucket_last(start, n, k)]);
  cq_jw_close(w, ']');
}

/* Drawdown under the running peak, as a positive fraction; each bucket shows its deepest
 * point so that downsampling never hides a drawdown. */
static void write_drawdown(cq_jw *w, const double *eq, size_t n, size_t k) {
  cq_jw_key(w, "drawdown");
  cq_jw_open(w, '[');
  double peak = -INFINITY;
  for (size_t start = 0; eq && start < n; start += k) {
    double deepest = 0;
    for (size_t i = start; i < n && i < start + k; i++) {
      if (eq[i] > peak) peak = eq[i];
      double dd = peak > 0 && isfinite(eq[i]) ? 1.0 - eq[i] / peak : 0;
      if (dd > deepest) deepest = dd;
    }
    cq_jw_num(w, deepest);
  }
  cq_jw_close(w, ']');
}

static void write_equity(cq_jw *w, const cq_bt_result *r, size_t max_points) {
  size_t n = r->n_bars, k = bucket_size(n, max_points);
  cq_jw_key(w, "equity");
  cq_jw_open(w, '{');
  cq_jw_key(w, "time");
  cq_jw_open(w, '[');
  for (size_t start = 0; r->time && start < n; start += k)
    cq_jw_time(w, r->time[bucket_last(start, n, k)]);
  cq_jw_close(w, ']');
  write_column(w, "equity", r->equity, n, k);
  write_column(w, "cash", r->cash, n, k);
  write_column(w, "exposure", r->exposure, n, k);
  write_column(w, "benchmark", r->benchmark, n, k);
  write_drawdown(w, r->equity, n, k);
  cq_jw_close(w, '}');
}

static double start_equity(const cq_bt_result *r) {
  double s = r->metrics.start_equity;
  return isfinite(s) && s > 0 ? s : cq_dec_to_double(r->config.initial_cash);
}

static void write_month(cq_jw *w, const cq_civil *c, double ret) {
  cq_jw_open(w, '{');
  cq_jw_key_int(w, "year", c->year);
  cq_jw_key_int(w, "month", c->month);
  cq_jw_key_num(w, "return", ret);
  cq_jw_close(w, '}');
}

/* Calendar-month returns from every bar: a month's last close against the previous
 * month's (the starting equity for the first month). Bars count in the month they open. */
static void write_monthly(cq_jw *w, const cq_bt_result *r) {
  cq_jw_key(w, "monthly");
  cq_jw_open(w, '[');
  double base = start_equity(r);
  for (size_t i = 0; r->time && r->equity && i < r->n_bars; i++) {
    cq_civil c, next;
    cq_time_to_civil(r->time[i], &c);
    if (i + 1 < r->n_bars) {
      cq_time_to_civil(r->time[i + 1], &next);
      if (next.year == c.year && next.month == c.month) continue;
    }
    double end = r->equity[i];
    write_month(w, &c, base > 0 ? end / base - 1.0 : NAN);
    base = end;
  }
  cq_jw_close(w, ']');
}

/* One candle for bars [start, last]: first open, highest high, lowest low, last close,
 * summed volume. */
static void bucket_ohlcv(const cq_candles *c, size_t start, size_t last, double out[5]) {
  out[0] = c->open[start];
  out[1] = c->high[start];
  out[2] = c->low[start];
  out[3] = c->close[last];
  out[4] = 0;
  for (size_t i = start; i <= last; i++) {
    if (c->high[i] > out[1]) out[1] = c->high[i];
    if (c->low[i] < out[2]) out[2] = c->low[i];
    out[4] += c->volume[i];
  }
}

static void write_candle_series(cq_jw *w, const char *symbol, const cq_candles *c,
                                size_t max_points) {
  size_t n = c ? c->len : 0, k = bucket_size(n, max_points);
  static const char *const keys[] = {"o", "h", "l", "c", "v"};
  cq_jw_open(w, '{');
  cq_jw_key_str(w, "symbol", symbol);
  cq_jw_key(w, "time");
  cq_jw_open(w, '[');
  for (size_t start = 0; start < n; start += k) cq_jw_time(w, c->open_time[start]);
  cq_jw_close(w, ']');
  for (int f = 0; f < 5; f++) {
    cq_jw_key(w, keys[f]);
    cq_jw_open(w, '[');
    for (size_t start = 0; start < n; start += k) {
      double v[5];
      bucket_ohlcv(c, start, bucket_last(start, n, k), v);
      cq_jw_num(w, v[f]);
    }
    cq_jw_close(w, ']');
  }
  cq_jw_close(w, '}');
}

static void write_candles(cq_jw *w, const cq_bt_result *r, const cq_bt_data *d, size_t max_points) {
  cq_jw_key(w, "candles");
  cq_jw_open(w, '[');
  for (int s = 0; s < d->n_symbols && s < CQ_BT_MAX_SYMBOLS; s++)
    write_candle_series(w, symbol_text(&r->config, s), d->candles[s], max_points);
  cq_jw_close(w, ']');
}

/* ---- the document ------------------------------------------------------------------- */

void cq_bt_json_run(cq_jw *w, const cq_bt_result *r, const cq_bt_data *d, size_t max_pts) {
  cq_jw_open(w, '{');
  cq_jw_key_int(w, "format", CQ__BT_JSON_FORMAT);
  cq_bt_json_config(w, &r->config);
  cq_jw_key(w, "run");
  cq_jw_open(w, '{');
  cq_jw_key_int(w, "bars", (int64_t)r->n_bars);
  cq_jw_key_int(w, "orders", r->orders);
  cq_jw_key_int(w, "rejected", r->rejected);
  cq_jw_key_int(w, "fills", (int64_t)r->n_fills);
  cq_jw_key_int(w, "trades", (int64_t)r->n_trades);
  cq_jw_key_int(w, "max_points", (int64_t)max_pts);
  cq_jw_close(w, '}');
  cq_bt_json_metrics(w, &r->metrics);
  write_trades(w, r);
  write_fills(w, r);
  write_equity(w, r, max_pts);
  write_monthly(w, r);
  if (d) write_candles(w, r, d, max_pts);
  cq_jw_close(w, '}');
}

int cq_bt_to_json_opts(const cq_bt_result *r, const cq_bt_data *candles,
                       const cq_bt_json_options *opt, char **out, size_t *len, cq_error *err) {
  if (!r || !out) return cq_error_set(err, CQ_EINVAL, "backtest JSON: no result or no output");
  if (r->n_bars > 0 && (!r->time || !r->equity))
    return cq_error_set(err, CQ_EINVAL, "backtest JSON: %zu bars but no time or equity arrays",
                        r->n_bars);
  cq_jw w = {0};
  cq_bt_json_run(&w, r, candles, opt ? opt->max_points : 0);
  return cq_jw_finish(&w, "backtest JSON", out, len, err);
}

int cq_bt_to_json(const cq_bt_result *r, const cq_bt_data *candles, char **out, size_t *len,
                  cq_error *err) {
  return cq_bt_to_json_opts(r, candles, NULL, out, len, err);
}
