/* The backtest result: storage, the shared time axis and the finish step (round trips and
 * the buy-and-hold benchmark). A minimal version so the event engine builds and tests;
 * metrics are left at zero here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/backtest.h"

void cq_bt_config_default(cq_bt_config *c) {
  memset(c, 0, sizeof *c);
  c->engine = CQ_BT_EVENT;
  c->initial_cash = CQ_DEC(10000, 0);
  memcpy(c->quote, "USDT", 5);
  c->size = (cq_size){.kind = CQ_SIZE_ALL_IN, .value = 0};
  c->tf = (cq_timeframe){.n = 1, .unit = CQ_TF_HOUR};
  cq_match_config_default(&c->match);
}

const char *cq_bt_engine_name(cq_bt_engine e) {
  return e == CQ_BT_VECTOR ? "vector" : e == CQ_BT_EVENT ? "event" : "?";
}

void cq_bt_result_init(cq_bt_result *r) {
  memset(r, 0, sizeof *r);
}

void cq_bt_result_release(cq_bt_result *r) {
  free(r->time);
  free(r->equity);
  free(r->cash);
  free(r->exposure);
  free(r->benchmark);
  free(r->fills);
  free(r->trades);
  cq_bt_config keep = r->config;
  memset(r, 0, sizeof *r);
  r->config = keep;
}

int cq_bt_result_bars(cq_bt_result *r, size_t n, cq_error *err) {
  size_t sz = n ? n : 1;
  cq_time *t = calloc(sz, sizeof *t);
  double *e = calloc(sz, sizeof *e), *c = calloc(sz, sizeof *c), *x = calloc(sz, sizeof *x),
         *b = calloc(sz, sizeof *b);
  if (!t || !e || !c || !x || !b) {
    free(t), free(e), free(c), free(x), free(b);
    return cq_error_set(err, CQ_ENOMEM, "backtest result: no memory for %zu bars", n);
  }
  free(r->time), free(r->equity), free(r->cash), free(r->exposure), free(r->benchmark);
  r->time = t, r->equity = e, r->cash = c, r->exposure = x, r->benchmark = b;
  r->n_bars = n;
  return CQ_OK;
}

static int grow(void **v, size_t *cap, size_t n, size_t each, cq_error *err) {
  if (n < *cap) return CQ_OK;
  size_t nc = *cap ? *cap * 2 : 64;
  void *p = realloc(*v, nc * each);
  if (!p) return cq_error_set(err, CQ_ENOMEM, "backtest result: no memory");
  *v = p;
  *cap = nc;
  return CQ_OK;
}

int cq_bt_result_add_fill(cq_bt_result *r, const cq_bt_fill *f, cq_error *err) {
  int rc = grow((void **)&r->fills, &r->cap_fills, r->n_fills, sizeof *f, err);
  if (rc) return rc;
  r->fills[r->n_fills++] = *f;
  return CQ_OK;
}

int cq_bt_result_add_trade(cq_bt_result *r, const cq_bt_trade *t, cq_error *err) {
  int rc = grow((void **)&r->trades, &r->cap_trades, r->n_trades, sizeof *t, err);
  if (rc) return rc;
  r->trades[r->n_trades++] = *t;
  return CQ_OK;
}

/* ---- the time axis ----------------------------------------------------------------- */

int cq_bt_time_axis(const cq_bt_data *data, cq_bt_result *r, cq_error *err) {
  size_t total = 0;
  for (int s = 0; s < data->n_symbols; s++) total += data->candles[s] ? data->candles[s]->len : 0;
  if (total == 0) return cq_error_set(err, CQ_EINVAL, "backtest: no candles at all");
  int rc = cq_bt_result_bars(r, total, err);
  if (rc) return rc;
  /* k-way merge of ascending series, duplicates once */
  size_t cur[CQ_BT_MAX_SYMBOLS] = {0}, n = 0;
  for (;;) {
    cq_time best = INT64_MAX;
    for (int s = 0; s < data->n_symbols; s++) {
      const cq_candles *c = data->candles[s];
      if (c && cur[s] < c->len && c->open_time[cur[s]] < best) best = c->open_time[cur[s]];
    }
    if (best == INT64_MAX) break;
    for (int s = 0; s < data->n_symbols; s++) {
      const cq_candles *c = data->candles[s];
      if (c && cur[s] < c->len && c->open_time[cur[s]] == best) cur[s]++;
    }
    r->time[n++] = best;
  }
  r->n_bars = n;
  return CQ_OK;
}

/* ---- finish ----------------------------------------------------------------------- */

static size_t bar_of(const cq_bt_result *r, cq_time t) {
  size_t lo = 0, hi = r->n_bars;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->time[mid] < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < r->n_bars ? lo : r->n_bars - 1;
}

typedef struct open_trade {
  bool on;
  double qty, bought, cost, sold, proceeds, fees;
  cq_bt_trade t;
} open_trade;

static void close_trade(open_trade *o, double mark_qty, double mark_price) {
  double value = o->proceeds + mark_qty * mark_price;
  o->t.entry_price = o->bought > 0 ? o->cost / o->bought : 0;
  double out_qty = o->sold + mark_qty;
  o->t.exit_price = out_qty > 0 ? value / out_qty : 0;
  o->t.fees = o->fees;
  o->t.pnl = value - o->cost - o->fees;
  o->t.ret = o->cost > 0 ? o->t.pnl / o->cost : 0;
}

static int build_trades(cq_bt_result *r, const cq_bt_data *data, cq_error *err) {
  int nstrat = 1;
  for (size_t i = 0; i < r->n_fills; i++)
    if (r->fills[i].strategy + 1 > nstrat) nstrat = r->fills[i].strategy + 1;
  size_t slots = (size_t)nstrat * CQ_BT_MAX_SYMBOLS;
  open_trade *ot = calloc(slots, sizeof *ot);
  if (!ot) return cq_error_set(err, CQ_ENOMEM, "backtest: no memory for trades");
  int rc = CQ_OK;
  for (size_t i = 0; i < r->n_fills && !rc; i++) {
    const cq_bt_fill *f = &r->fills[i];
    open_trade *o = &ot[(size_t)f->strategy * CQ_BT_MAX_SYMBOLS + (size_t)f->symbol];
    if (!o->on) {
      memset(o, 0, sizeof *o);
      o->on = true;
      o->t.symbol = f->symbol;
      o->t.strategy = f->strategy;
      o->t.entry_time = f->time;
      o->t.entry_bar = bar_of(r, f->time);
    }
    double v = f->price * f->qty;
    if (f->side == CQ_SIDE_BUY)
      o->qty += f->qty, o->bought += f->qty, o->cost += v;
    else
      o->qty -= f->qty, o->sold += f->qty, o->proceeds += v;
    o->fees += f->fee;
    if (o->qty > o->t.qty) o->t.qty = o->qty;
    if (o->qty <= 1e-12 * (o->bought > 0 ? o->bought : 1)) {
      o->t.exit_time = f->time;
      o->t.exit_bar = bar_of(r, f->time);
      close_trade(o, 0, 0);
      rc = cq_bt_result_add_trade(r, &o->t, err);
      o->on = false;
    }
  }
  for (size_t k = 0; k < slots && !rc; k++) {
    open_trade *o = &ot[k];
    if (!o->on) continue;
    const cq_candles *c = data->candles[o->t.symbol];
    double last = c && c->len ? c->close[c->len - 1] : 0;
    o->t.exit_time = r->time[r->n_bars - 1];
    o->t.exit_bar = r->n_bars - 1;
    o->t.open = true;
    close_trade(o, o->qty, last);
    rc = cq_bt_result_add_trade(r, &o->t, err);
  }
  free(ot);
  return rc;
}

/* Equal weight in each symbol from its first close, flat before it. */
static void benchmark(cq_bt_result *r, const cq_bt_data *data) {
  double cash0 = cq_dec_to_double(r->config.initial_cash);
  size_t cur[CQ_BT_MAX_SYMBOLS] = {0};
  double first[CQ_BT_MAX_SYMBOLS] = {0}, last[CQ_BT_MAX_SYMBOLS] = {0};
  int ns = data->n_symbols;
  for (size_t b = 0; b < r->n_bars; b++) {
    double sum = 0;
    for (int s = 0; s < ns; s++) {
      const cq_candles *c = data->candles[s];
      if (c && cur[s] < c->len && c->open_time[cur[s]] == r->time[b]) {
        last[s] = c->close[cur[s]++];
        if (first[s] == 0) first[s] = last[s];
      }
      sum += first[s] > 0 ? last[s] / first[s] : 1.0;
    }
    r->benchmark[b] = ns > 0 ? cash0 * sum / ns : cash0;
  }
}

int cq_bt_finish(cq_bt_result *r, const cq_bt_data *data, cq_error *err) {
  if (r->n_bars == 0) return cq_error_set(err, CQ_EINVAL, "backtest: no bars to finish");
  int rc = build_trades(r, data, err);
  if (rc) return rc;
  benchmark(r, data);
  return CQ_OK;
}
