/* The event-driven backtest: the kernel with one strategy, fed the candles of every
 * symbol bar by bar on the shared time axis (on tick data, each bar's trades first, which do
 * the matching); equity, cash and exposure recorded at each bar's close and every fill as it
 * is booked. */
#include <stdlib.h>
#include <string.h>

#include "cquant/backtest.h"
#include "cquant/kernel.h"

enum { PROGRESS_EVERY = 1 << 16 };

static int record_fill(void *ud, const cq_fill *f, cq_error *err) {
  cq_bt_result *r = ud;
  cq_bt_fill bf = {.time = f->time,
                   .symbol = f->instrument,
                   .side = f->side,
                   .price = cq_dec_to_double(f->price),
                   .qty = cq_dec_to_double(f->qty),
                   .fee = cq_dec_to_double(f->fee),
                   .liquidity = f->liquidity,
                   .order_id = f->order_id,
                   .strategy = f->strategy};
  return cq_bt_result_add_fill(r, &bf, err);
}

static int check_inputs(const cq_bt_config *cfg, const cq_strategy_def *def, const cq_bt_data *data,
                        cq_error *err) {
  if (!cfg || !def || !data) return cq_error_set(err, CQ_EINVAL, "backtest: missing input");
  if (cfg->n_symbols < 1 || cfg->n_symbols > CQ_BT_MAX_SYMBOLS || data->n_symbols != cfg->n_symbols)
    return cq_error_set(err, CQ_EINVAL, "backtest: %d symbols configured, %d candle series given",
                        cfg->n_symbols, data->n_symbols);
  bool ticks = data->trades[0] != NULL;
  for (int s = 0; s < data->n_symbols; s++) {
    if (!data->candles[s])
      return cq_error_set(err, CQ_EINVAL, "backtest: no candles for %s", cfg->symbols[s]);
    if ((data->trades[s] != NULL) != ticks)
      return cq_error_set(err, CQ_EINVAL, "backtest: trades for some symbols only (%s)",
                          cfg->symbols[s]);
    const cq_trades *t = data->trades[s];
    for (size_t i = 1; t && i < t->len; i++)
      if (t->time[i] < t->time[i - 1])
        return cq_error_set(err, CQ_EINVAL,
                            "backtest: %s trade %zu is earlier than the one "
                            "before it",
                            cfg->symbols[s], i);
    if (t && t->len && data->candles[s]->len && t->time[0] < data->candles[s]->open_time[0])
      return cq_error_set(err, CQ_EINVAL,
                          "backtest: %s has trades before its first candle "
                          "(the candles must be aggregated from the trades)",
                          cfg->symbols[s]);
  }
  if (ticks && cfg->match.market_fill == CQ_FILL_THIS_CLOSE)
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "backtest: on trade data market orders fill at "
                        "the next trade; fills at the bar's close are for candles only");
  return CQ_OK;
}

/* The run's instruments with what the config implies filled in: the symbol, its base and
 * quote, the venue. Tick and lot must be given (the matcher says so when they are not). */
static int instruments_of(const cq_bt_config *cfg, cq_instrument *ins, cq_error *err) {
  for (int s = 0; s < cfg->n_symbols; s++) {
    ins[s] = cfg->instruments[s];
    if (!ins[s].symbol[0]) cq_strlcpy(ins[s].symbol, cfg->symbols[s], sizeof ins[s].symbol);
    if (!ins[s].venue[0]) cq_strlcpy(ins[s].venue, cfg->venue, sizeof ins[s].venue);
    if (!ins[s].base[0] || !ins[s].quote[0]) {
      int rc = cq_symbol_parse(ins[s].symbol, ins[s].base, ins[s].quote, err);
      if (rc) return rc;
    }
  }
  return CQ_OK;
}

static int make_kernel(const cq_bt_config *cfg, const cq_strategy_def *def, cq_bt_result *r,
                       cq_kernel **out, cq_error *err) {
  cq_instrument ins[CQ_BT_MAX_SYMBOLS];
  int rc = instruments_of(cfg, ins, err);
  if (rc) return rc;
  cq_kernel_config kc = {.tf = cfg->tf,
                         .n_instruments = cfg->n_symbols,
                         .instruments = ins,
                         .initial_cash = cfg->initial_cash,
                         .size = cfg->size,
                         .match = cfg->match,
                         .start = r->n_bars ? r->time[0] : 0,
                         .trade_from = cfg->trade_from};
  memcpy(kc.quote, cfg->quote, sizeof kc.quote);
  cq_param_values pv = cfg->params;
  if (pv.n != def->n_params) rc = cq_params_resolve(def, NULL, 0, &pv, err);
  if (!rc) rc = cq_kernel_new(&kc, out, err);
  if (rc) return rc;
  cq_kernel_on_fill(*out, record_fill, r);
  rc = cq_kernel_add_strategy(*out, def, &pv, NULL, err);
  if (!rc) rc = cq_kernel_start(*out, err);
  return rc;
}

/* Tick data: every trade (of every symbol, in time order; ties by symbol) before end. */
static int feed_trades(cq_kernel *k, const cq_bt_data *data, size_t *next, cq_time end,
                       cq_error *err) {
  for (;;) {
    int best = -1;
    cq_time bt = end;
    for (int s = 0; s < data->n_symbols; s++) {
      const cq_trades *t = data->trades[s];
      if (next[s] < t->len && t->time[next[s]] < bt) {
        best = s;
        bt = t->time[next[s]];
      }
    }
    if (best < 0) return CQ_OK;
    const cq_trades *t = data->trades[best];
    size_t i = next[best]++;
    cq_trade tr = {.time = t->time[i],
                   .price = t->price[i],
                   .qty = t->qty[i],
                   .taker_side = (cq_side)t->taker_side[i]};
    int rc = cq_kernel_trade(k, best, &tr, err);
    if (rc) return rc;
  }
}

/* Feeds bar after bar: the candles of every symbol that has one at the axis time (on tick
 * data, after the trades of that bar). */
static int feed(cq_kernel *k, const cq_bt_data *data, cq_progress *progress, cq_bt_result *r,
                cq_error *err) {
  int ns = data->n_symbols;
  bool ticks = data->trades[0] != NULL;
  size_t cur[CQ_BT_MAX_SYMBOLS] = {0}, next_trade[CQ_BT_MAX_SYMBOLS] = {0};
  int64_t step = cq_timeframe_ns(r->config.tf);
  cq_candle buf[CQ_BT_MAX_SYMBOLS];
  const cq_candle *bars[CQ_BT_MAX_SYMBOLS];
  for (size_t b = 0; b < r->n_bars; b++) {
    cq_time t = r->time[b];
    for (int s = 0; s < ns; s++) {
      const cq_candles *c = data->candles[s];
      bars[s] = NULL;
      size_t i = cur[s];
      if (i < c->len && c->open_time[i] == t) {
        /* the columns read in place (cq_candles_get, without the call per bar) */
        buf[s] = (cq_candle){.open_time = t,
                             .open = c->open[i],
                             .high = c->high[i],
                             .low = c->low[i],
                             .close = c->close[i],
                             .volume = c->volume[i],
                             .quote_volume = c->quote_volume[i],
                             .trades = c->trades[i],
                             .closed = c->closed[i] != 0};
        bars[s] = &buf[s];
        cur[s] = i + 1;
      }
    }
    int rc;
    if (ticks) {
      cq_time end = step > 0 ? t + step : cq_timeframe_next(r->config.tf, t);
      if ((rc = feed_trades(k, data, next_trade, end, err)) ||
          (rc = cq_kernel_bar_of_trades(k, t, bars, err)))
        return rc;
    } else if ((rc = cq_kernel_bar(k, t, bars, err))) {
      return rc;
    }
    double cash = cq_kernel_cash(k), pos = cq_kernel_positions_value(k);
    r->cash[b] = cash;
    r->equity[b] = cash + pos;
    r->exposure[b] = cash + pos > 0 ? pos / (cash + pos) : 0;
    if (progress && (b + 1) % PROGRESS_EVERY == 0) cq_progress_set(progress, b + 1);
  }
  if (progress) cq_progress_set(progress, r->n_bars);
  return CQ_OK;
}

int cq_bt_run_event_def(const cq_bt_config *cfg, const cq_strategy_def *def, const cq_bt_data *data,
                        cq_progress *progress, cq_bt_result *out, cq_error *err) {
  int rc = check_inputs(cfg, def, data, err);
  if (rc) return rc;
  cq_bt_result_init(out);
  out->config = *cfg;
  cq_kernel *k = NULL;
  rc = cq_bt_time_axis(data, out, err);
  if (!rc) rc = make_kernel(cfg, def, out, &k, err);
  if (!rc) rc = feed(k, data, progress, out, err);
  if (!rc) rc = cq_kernel_stop(k, err);
  if (!rc) {
    out->orders = (int64_t)cq_kernel_order_count(k);
    out->rejected = cq_kernel_rejected(k);
    rc = cq_bt_finish(out, data, err);
  }
  cq_kernel_free(k);
  if (rc) cq_bt_result_release(out);
  return rc;
}
