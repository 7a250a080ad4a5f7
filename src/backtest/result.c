/* The backtest result both engines fill: its arrays, the shared time axis, and the finish
 * step (round-trip trades from the fills, the buy-and-hold benchmark, then the metrics). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include "bt_internal.h"

void cq_bt_config_default(cq_bt_config *c) {
  memset(c, 0, sizeof *c);
  c->engine = CQ_BT_EVENT;
  c->initial_cash = CQ_DEC(10000, 0);
  snprintf(c->quote, sizeof c->quote, "USDT");
  c->size = (cq_size){.kind = CQ_SIZE_ALL_IN, .value = 0};
  c->tf = (cq_timeframe){.n = 1, .unit = CQ_TF_MINUTE};
  cq_match_config_default(&c->match);
  c->trade_from = INT64_MIN;
}

const char *cq_bt_engine_name(cq_bt_engine e) {
  switch (e) {
    case CQ_BT_EVENT:
      return "event";
    case CQ_BT_VECTOR:
      return "vector";
  }
  return "?";
}

void cq_bt_result_init(cq_bt_result *r) {
  memset(r, 0, sizeof *r);
}

void cq_bt_result_release(cq_bt_result *r) {
  free(r->time); /* the one block behind time, equity, cash, exposure and benchmark */
  free(r->fills);
  free(r->trades);
  cq_bt_result_init(r);
}

void *cq__bt_big_alloc(size_t bytes) {
  /* Arrays of millions of bars: on 2 MB pages where the system offers them, so filling them
   * takes a few hundred page faults instead of hundreds of thousands. */
  enum { HUGE_PAGE = 2 << 20 };
  if (bytes < 4 * (size_t)HUGE_PAGE) return malloc(bytes ? bytes : 1);
  size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
  void *p = NULL;
  if (posix_memalign(&p, HUGE_PAGE, rounded)) return NULL;
#ifdef MADV_HUGEPAGE
  madvise(p, rounded, MADV_HUGEPAGE); /* advice only: without it the pages are just smaller */
#endif
  return p;
}

int cq_bt_result_bars(cq_bt_result *r, size_t n, cq_error *err) {
  /* five columns of 8 bytes in one block, time first (release frees r->time). Not zeroed:
   * the engines write every bar (40 bytes a bar of memset would cost as much as a vector
   * run's marking). Debug builds fill it with NaN, so a bar an engine forgets shows up in
   * every test as a NaN equity. */
  if (n > SIZE_MAX / (5 * sizeof(double)))
    return cq_error_set(err, CQ_ELIMIT, "backtest result: %zu bars is too many", n);
  double *block = cq__bt_big_alloc(5 * n * sizeof(double));
  if (!block) return cq_error_set(err, CQ_ENOMEM, "backtest result: no memory for %zu bars", n);
#ifndef NDEBUG
  for (size_t i = 0; i < 5 * n; i++) block[i] = NAN;
#endif
  free(r->time);
  r->time = (cq_time *)(void *)block;
  r->equity = block + n;
  r->cash = block + 2 * n;
  r->exposure = block + 3 * n;
  r->benchmark = block + 4 * n;
  r->n_bars = n;
  return CQ_OK;
}

/* Doubles the capacity of an array of elem-sized items to hold one more. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem, const char *what, cq_error *err) {
  if (n < *cap) return CQ_OK;
  size_t nc = *cap ? *cap * 2 : 64;
  if (nc > SIZE_MAX / elem)
    return cq_error_set(err, CQ_ELIMIT, "backtest result: too many %s", what);
  void *p = realloc(*arr, nc * elem);
  if (!p) return cq_error_set(err, CQ_ENOMEM, "backtest result: no memory for %zu %s", nc, what);
  *arr = p;
  *cap = nc;
  return CQ_OK;
}

int cq_bt_result_add_fill(cq_bt_result *r, const cq_bt_fill *f, cq_error *err) {
  void *arr = r->fills;
  int rc = grow(&arr, &r->cap_fills, r->n_fills, sizeof *f, "fills", err);
  r->fills = arr;
  if (rc) return rc;
  r->fills[r->n_fills++] = *f;
  return CQ_OK;
}

int cq_bt_result_add_trade(cq_bt_result *r, const cq_bt_trade *t, cq_error *err) {
  void *arr = r->trades;
  int rc = grow(&arr, &r->cap_trades, r->n_trades, sizeof *t, "trades", err);
  r->trades = arr;
  if (rc) return rc;
  r->trades[r->n_trades++] = *t;
  return CQ_OK;
}

/* ---- the time axis ------------------------------------------------------------------ */

static int check_ascending(const cq_bt_data *data, cq_error *err) {
  for (int k = 0; k < data->n_symbols; k++) {
    const cq_candles *c = data->candles[k];
    if (!c) return cq_error_set(err, CQ_EINVAL, "backtest data: symbol %d has no candles", k);
    for (size_t i = 1; i < c->len; i++)
      if (c->open_time[i] <= c->open_time[i - 1])
        return cq_error_set(err, CQ_EINVAL,
                            "backtest data: symbol %d: open times not ascending at bar %zu", k, i);
  }
  return CQ_OK;
}

/* The smallest open time not yet taken over all symbols (INT64_MAX when all are done). */
static cq_time next_time(const cq_bt_data *data, const size_t *pos) {
  cq_time t = INT64_MAX;
  for (int k = 0; k < data->n_symbols; k++) {
    const cq_candles *c = data->candles[k];
    if (pos[k] < c->len && c->open_time[pos[k]] < t) t = c->open_time[pos[k]];
  }
  return t;
}

/* Merges the symbols' open times; with out NULL only counts them. */
static size_t merge_times(const cq_bt_data *data, cq_time *out) {
  size_t pos[CQ_BT_MAX_SYMBOLS] = {0}, n = 0;
  for (cq_time t; (t = next_time(data, pos)) != INT64_MAX; n++) {
    if (out) out[n] = t;
    for (int k = 0; k < data->n_symbols; k++) {
      const cq_candles *c = data->candles[k];
      if (pos[k] < c->len && c->open_time[pos[k]] == t) pos[k]++;
    }
  }
  return n;
}

int cq_bt_time_axis(const cq_bt_data *data, cq_bt_result *r, cq_error *err) {
  if (data->n_symbols < 1 || data->n_symbols > CQ_BT_MAX_SYMBOLS)
    return cq_error_set(err, CQ_EINVAL, "backtest data: %d symbols (1 to %d)", data->n_symbols,
                        CQ_BT_MAX_SYMBOLS);
  int rc = check_ascending(data, err);
  if (rc) return rc;
  size_t n = data->n_symbols == 1 ? data->candles[0]->len : merge_times(data, NULL);
  if (n == 0) return cq_error_set(err, CQ_EINVAL, "backtest data: no candles in the range");
  rc = cq_bt_result_bars(r, n, err);
  if (rc) return rc;
  if (data->n_symbols == 1)
    memcpy(r->time, data->candles[0]->open_time, n * sizeof *r->time);
  else
    merge_times(data, r->time);
  return CQ_OK;
}

/* ---- shared helpers --------------------------------------------------------------- */

cq_time cq__bt_close_time(const cq_bt_result *r, size_t i) {
  int64_t step = cq_timeframe_ns(r->config.tf);
  return step > 0 ? r->time[i] + step : cq_timeframe_next(r->config.tf, r->time[i]);
}

double cq__bt_bars_per_year(cq_timeframe tf) {
  int64_t step = cq_timeframe_ns(tf);
  if (step > 0) return 365.0 * (double)CQ_NS_PER_DAY / (double)step;
  return tf.n ? 12.0 / (double)tf.n : NAN;
}

/* ---- round trips ------------------------------------------------------------------ */

/* One (symbol, strategy) book while a round trip is open. */
typedef struct rt_slot {
  int symbol, strategy;
  bool open;
  cq_dec pos;
  cq_bt_trade t;
  double buy_qty, buy_quote, sell_qty, sell_quote;
} rt_slot;

/* The last axis bar opening at or before t. */
static size_t bar_of(const cq_bt_result *r, cq_time t) {
  size_t lo = 0, hi = r->n_bars; /* first index with time > t */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->time[mid] <= t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo ? lo - 1 : 0;
}

static void rt_close(rt_slot *s, double mark_qty, double mark_price) {
  cq_bt_trade *t = &s->t;
  t->entry_price = s->buy_qty > 0 ? s->buy_quote / s->buy_qty : NAN;
  double sold = s->sell_qty + mark_qty, proceeds = s->sell_quote + mark_qty * mark_price;
  t->exit_price = sold > 0 ? proceeds / sold : NAN;
  t->pnl = proceeds - s->buy_quote - t->fees;
  t->ret = s->buy_quote > 0 ? t->pnl / s->buy_quote : NAN;
}

static int rt_fill(cq_bt_result *r, rt_slot *s, const cq_bt_fill *f, cq_error *err) {
  cq_dec q;
  int rc = cq_dec_of_price(f->qty, &q, err);
  if (rc) return rc;
  if (!s->open) {
    memset(&s->t, 0, sizeof s->t);
    s->t.symbol = f->symbol;
    s->t.strategy = f->strategy;
    s->t.entry_time = f->time;
    s->t.entry_bar = bar_of(r, f->time);
    s->buy_qty = s->buy_quote = s->sell_qty = s->sell_quote = 0;
    s->pos = CQ_DEC(0, 0);
    s->open = true;
  }
  bool buy = f->side == CQ_SIDE_BUY;
  rc = buy ? cq_dec_add(s->pos, q, &s->pos, err) : cq_dec_sub(s->pos, q, &s->pos, err);
  if (rc) return rc;
  double *qty = buy ? &s->buy_qty : &s->sell_qty, *quote = buy ? &s->buy_quote : &s->sell_quote;
  *qty += f->qty;
  *quote += f->price * f->qty;
  s->t.fees += f->fee;
  double held = fabs(cq_dec_to_double(s->pos));
  if (held > s->t.qty) s->t.qty = held;
  if (s->pos.m != 0) return CQ_OK;
  s->t.exit_time = f->time;
  s->t.exit_bar = bar_of(r, f->time);
  rt_close(s, 0, 0);
  s->open = false;
  return cq_bt_result_add_trade(r, &s->t, err);
}

static rt_slot *rt_find(rt_slot *slots, size_t *n, size_t cap, int symbol, int strategy) {
  for (size_t i = 0; i < *n; i++)
    if (slots[i].symbol == symbol && slots[i].strategy == strategy) return &slots[i];
  if (*n == cap) return NULL;
  rt_slot *s = &slots[(*n)++];
  memset(s, 0, sizeof *s);
  s->symbol = symbol;
  s->strategy = strategy;
  return s;
}

static double last_close(const cq_bt_data *data, int symbol) {
  const cq_candles *c = symbol < data->n_symbols ? data->candles[symbol] : NULL;
  return c && c->len ? c->close[c->len - 1] : NAN;
}

static int build_trades(cq_bt_result *r, const cq_bt_data *data, cq_error *err) {
  enum { MAX_SLOTS = 256 };
  rt_slot *slots = calloc(MAX_SLOTS, sizeof *slots);
  if (!slots) return cq_error_set(err, CQ_ENOMEM, "backtest trades: no memory");
  size_t n = 0;
  int rc = CQ_OK;
  r->n_trades = 0;
  for (size_t i = 0; i < r->n_fills && !rc; i++) {
    const cq_bt_fill *f = &r->fills[i];
    rt_slot *s = rt_find(slots, &n, MAX_SLOTS, f->symbol, f->strategy);
    rc = s ? rt_fill(r, s, f, err)
           : cq_error_set(err, CQ_ELIMIT, "backtest trades: more than %d symbol and strategy pairs",
                          MAX_SLOTS);
  }
  /* round trips still open: marked at the symbol's last close */
  for (size_t i = 0; i < n && !rc; i++) {
    rt_slot *s = &slots[i];
    if (!s->open) continue;
    s->t.open = true;
    s->t.exit_time = r->time[r->n_bars - 1];
    s->t.exit_bar = r->n_bars - 1;
    rt_close(s, cq_dec_to_double(s->pos), last_close(data, s->symbol));
    rc = cq_bt_result_add_trade(r, &s->t, err);
  }
  free(slots);
  return rc;
}

/* ---- benchmark --------------------------------------------------------------------- */

/* initial cash x the mean over symbols of close / first close (1 before a symbol starts,
 * its last close carried over bars it does not have) */
static void build_benchmark(cq_bt_result *r, const cq_bt_data *data) {
  double cash = cq_dec_to_double(r->config.initial_cash);
  int ns = data->n_symbols;
  size_t pos[CQ_BT_MAX_SYMBOLS] = {0};
  double ratio[CQ_BT_MAX_SYMBOLS];
  if (ns == 1 && data->candles[0]->len == r->n_bars) { /* one symbol: its bars are the axis */
    const double *close = data->candles[0]->close;
    double first = close[0];
    for (size_t i = 0; i < r->n_bars; i++)
      r->benchmark[i] = first > 0 ? cash * (close[i] / first) : cash;
    return;
  }
  for (int k = 0; k < ns; k++) ratio[k] = 1.0;
  for (size_t i = 0; i < r->n_bars; i++) {
    double sum = 0;
    for (int k = 0; k < ns; k++) {
      const cq_candles *c = data->candles[k];
      while (pos[k] < c->len && c->open_time[pos[k]] < r->time[i]) pos[k]++;
      if (pos[k] < c->len && c->open_time[pos[k]] == r->time[i] && c->close[0] > 0)
        ratio[k] = c->close[pos[k]] / c->close[0];
      sum += ratio[k];
    }
    r->benchmark[i] = ns ? cash * sum / ns : cash;
  }
}

int cq_bt_finish(cq_bt_result *r, const cq_bt_data *data, cq_error *err) {
  if (!r->n_bars || !r->time)
    return cq_error_set(err, CQ_EINVAL, "backtest finish: the result has no time axis");
  int rc = build_trades(r, data, err);
  if (rc) return rc;
  build_benchmark(r, data);
  return cq_bt_metrics_compute(r, err);
}
