/* The vectorized engine: a strategy's signal arrays (cq_signals) turned into orders, fills
 * and equity under the fill model both engines share (match.h, docs/backtesting.md).
 *
 * A signal strategy has at most four orders per symbol at a time: the market buy of an
 * entry, the market sell of an exit, and the stop-loss / take-profit pair (a stop-market
 * sell and a limit sell, one cancelling the other). So the simulation keeps them in four
 * fixed slots per symbol and walks the bars once, in time order across symbols, with no
 * allocation per bar. Money moves in exact decimals (cq_dec) on fills only; marking to
 * market each bar is in doubles. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bt_internal.h"

/* One working order of a signal strategy. */
typedef struct vorder {
  uint64_t id;       /* 0: no order in this slot */
  cq_time active_at; /* works from the first bar opening at or after this */
  cq_time cancel_at; /* a requested cancel takes effect at this bar open (INT64_MAX: none) */
  cq_dec level;      /* stop or limit price */
  bool seen;         /* has been active on a bar (a limit is marketable only on arrival) */
} vorder;

enum { O_ENTRY, O_EXIT, O_STOP, O_TAKE, O_COUNT };

typedef struct vsym {
  const cq_candles *c;
  const cq_instrument *ins;
  cq_signals sig;
  void *block; /* behind the signal arrays */
  size_t j;    /* next bar of this symbol */
  cq_dec pos;  /* base held */
  double pos_d, last_close;
  vorder o[O_COUNT];
  double want_stop, want_take; /* levels of the pending entry (from its signal bar) */
  bool entry_filled;           /* this bar: place the stop / take at its close */
} vsym;

typedef struct vrun {
  const cq_bt_config *cfg;
  cq_bt_result *r;
  int ns;
  vsym s[CQ_BT_MAX_SYMBOLS];
  cq_dec cash;
  double cash_d;
  uint64_t next_id;
  int64_t latency; /* order latency in bars */
  cq_error *err;
} vrun;

/* ---- fills -------------------------------------------------------------------------- */

static cq_candle bar_at(const cq_candles *c, size_t j) {
  return (cq_candle){.open_time = c->open_time[j],
                     .open = c->open[j],
                     .high = c->high[j],
                     .low = c->low[j],
                     .close = c->close[j],
                     .volume = c->volume[j]};
}

/* The account as a size resolves against it: positions marked at price for sym, at the
 * last close for the others. */
static cq_size_basis basis_of(const vrun *v, int sym, cq_dec price) {
  double eq = v->cash_d;
  for (int k = 0; k < v->ns; k++)
    eq += v->s[k].pos_d * (k == sym ? cq_dec_to_double(price) : v->s[k].last_close);
  return (cq_size_basis){.cash = v->cash, .equity = eq, .position = v->s[sym].pos};
}

static int book_fill(vrun *v, int sym, const vorder *o, cq_side side, cq_dec price, cq_dec qty,
                     cq_dec rate, cq_liquidity liq, cq_time when) {
  vsym *s = &v->s[sym];
  cq_dec fee, notional, cash;
  int rc = cq_fill_fee(price, qty, rate, &fee, v->err);
  if (!rc) rc = cq_fill_notional(price, qty, &notional, v->err);
  if (rc) return rc;
  if (side == CQ_SIDE_BUY) {
    rc = cq_dec_sub(v->cash, notional, &cash, v->err);
    if (!rc) rc = cq_dec_sub(cash, fee, &cash, v->err);
    if (!rc) rc = cq_dec_add(s->pos, qty, &s->pos, v->err);
  } else {
    rc = cq_dec_add(v->cash, notional, &cash, v->err);
    if (!rc) rc = cq_dec_sub(cash, fee, &cash, v->err);
    if (!rc) rc = cq_dec_sub(s->pos, qty, &s->pos, v->err);
  }
  if (rc) return rc;
  v->cash = cash;
  v->cash_d = cq_dec_to_double(cash);
  s->pos_d = cq_dec_to_double(s->pos);
  cq_bt_fill f = {.time = when,
                  .symbol = sym,
                  .side = side,
                  .price = cq_dec_to_double(price),
                  .qty = cq_dec_to_double(qty),
                  .fee = cq_dec_to_double(fee),
                  .liquidity = liq,
                  .order_id = o->id,
                  .strategy = 0};
  return cq_bt_result_add_fill(v->r, &f, v->err);
}

/* Resolves and checks a fill of the order in slot at price. *filled says whether it
 * filled; an order that cannot fill is finished (rejected, or expired for an empty sell). */
static int try_fill(vrun *v, int sym, int slot, cq_side side, cq_size size, cq_dec price,
                    cq_liquidity liq, cq_time when, bool *filled) {
  vsym *s = &v->s[sym];
  vorder *o = &s->o[slot];
  cq_dec rate = liq == CQ_LIQ_MAKER ? v->cfg->match.maker_fee : v->cfg->match.taker_fee, qty;
  cq_size_basis b = basis_of(v, sym, price);
  int rc = cq_fill_qty(size, side, price, rate, s->ins, &b, &qty, v->err);
  if (rc) return rc;
  *filled = false;
  if (side == CQ_SIDE_SELL && qty.m == 0) { /* expired: nothing to sell */
    o->id = 0;
    return CQ_OK;
  }
  rc = cq_fill_check(side, price, qty, rate, s->ins, &b, NULL);
  if (rc == CQ_EREJECTED) {
    v->r->rejected++;
    o->id = 0;
    return CQ_OK;
  }
  if (rc) return cq_fill_check(side, price, qty, rate, s->ins, &b, v->err);
  rc = book_fill(v, sym, o, side, price, qty, rate, liq, when);
  if (rc) return rc;
  *filled = true;
  o->id = 0;
  return CQ_OK;
}

/* A taker fill from a reference price: slippage, then the tick (buys up, sells down). */
static int taker_fill(vrun *v, int sym, int slot, cq_side side, cq_size size, double ref, size_t j,
                      cq_time when, bool *filled) {
  vsym *s = &v->s[sym];
  const cq_slippage *slip = &v->cfg->match.slippage;
  cq_round mode = side == CQ_SIDE_BUY ? CQ_ROUND_CEIL : CQ_ROUND_FLOOR;
  cq_dec price;
  int rc;
  if (slip->kind != CQ_SLIP_NONE) {
    cq_candle bar = bar_at(s->c, j);
    double est = 0;
    if (slip->kind == CQ_SLIP_SQRT) { /* the quantity at the unslipped price */
      cq_dec p0, q0;
      cq_size_basis b;
      rc = cq_price_on_tick(ref, s->ins->tick, mode, &p0, v->err);
      if (!rc) b = basis_of(v, sym, p0);
      if (!rc) rc = cq_fill_qty(size, side, p0, v->cfg->match.taker_fee, s->ins, &b, &q0, v->err);
      if (rc) return rc;
      est = cq_dec_to_double(q0);
    }
    ref = cq_slip_price(slip, side, ref, &bar, est);
  }
  rc = cq_price_on_tick(ref, s->ins->tick, mode, &price, v->err);
  if (rc) return rc;
  return try_fill(v, sym, slot, side, size, price, CQ_LIQ_TAKER, when, filled);
}

/* ---- orders --------------------------------------------------------------------------- */

/* Open time of the first bar an order placed at the close of the bar opening at t works
 * on: that close plus the order latency in bars. */
static cq_time active_from(const vrun *v, cq_time t) {
  int64_t step = cq_timeframe_ns(v->cfg->tf);
  if (step > 0) return t + (v->latency + 1) * step;
  for (int64_t i = 0; i <= v->latency; i++) t = cq_timeframe_next(v->cfg->tf, t);
  return t;
}

/* The close of the bar opening at t (the clock of on_candle, and of fills at the close). */
static cq_time close_of(const vrun *v, cq_time t) {
  int64_t step = cq_timeframe_ns(v->cfg->tf);
  return step > 0 ? t + step : cq_timeframe_next(v->cfg->tf, t);
}

static void place(vrun *v, vorder *o, cq_time t, cq_dec level) {
  *o = (vorder){
      .id = ++v->next_id, .active_at = active_from(v, t), .cancel_at = INT64_MAX, .level = level};
  v->r->orders++;
}

static cq_size all_in(void) {
  return (cq_size){.kind = CQ_SIZE_ALL_IN, .value = 0};
}

/* Stop / take of a filled entry at the close of bar t (levels on the tick, half-even). */
static int place_exits(vrun *v, vsym *s, cq_time t) {
  cq_dec lv;
  int rc;
  if (isfinite(s->want_stop)) {
    rc = cq_price_on_tick(s->want_stop, s->ins->tick, CQ_ROUND_HALF_EVEN, &lv, v->err);
    if (rc) return rc;
    place(v, &s->o[O_STOP], t, lv);
  }
  if (isfinite(s->want_take)) {
    rc = cq_price_on_tick(s->want_take, s->ins->tick, CQ_ROUND_HALF_EVEN, &lv, v->err);
    if (rc) return rc;
    place(v, &s->o[O_TAKE], t, lv);
  }
  return CQ_OK;
}

/* ---- one bar of one symbol -------------------------------------------------------------- */

static bool working(const vorder *o, cq_time t) {
  return o->id && o->active_at <= t;
}

/* Market orders at the open, in id order. */
static int match_market(vrun *v, int sym, size_t j, cq_time t) {
  vsym *s = &v->s[sym];
  int first = s->o[O_EXIT].id && (!s->o[O_ENTRY].id || s->o[O_EXIT].id < s->o[O_ENTRY].id)
                  ? O_EXIT
                  : O_ENTRY;
  for (int pass = 0; pass < 2; pass++) {
    int slot = pass ? O_ENTRY + O_EXIT - first : first;
    if (!working(&s->o[slot], t)) continue;
    bool buy = slot == O_ENTRY, filled;
    int rc = taker_fill(v, sym, slot, buy ? CQ_SIDE_BUY : CQ_SIDE_SELL,
                        buy ? v->cfg->size : all_in(), s->c->open[j], j, t, &filled);
    if (rc) return rc;
    if (buy && filled) s->entry_filled = true;
  }
  return CQ_OK;
}

/* How far along the intrabar path (in price travelled) a sell stop at lv triggers, or a
 * sell limit at lv trades (above it, or at it with touch); -1 when it does not. */
static double path_reach(const double path[4], double lv, bool stop, bool touch) {
  double dist = 0;
  for (int i = 0; i < 4; i++) {
    double b = path[i], a = i ? path[i - 1] : b;
    bool hit = stop ? b <= lv : touch ? b >= lv : b > lv;
    if (hit) return i ? dist + fabs(lv - a) : 0;
    dist += fabs(b - a);
  }
  return -1;
}

/* The stop or the take of slot, triggered on this bar. */
static int fire(vrun *v, int sym, int slot, size_t j, cq_time t) {
  vsym *s = &v->s[sym];
  vorder *o = &s->o[slot];
  double lv = cq_dec_to_double(o->level), open = s->c->open[j];
  bool filled;
  int rc;
  if (slot == O_STOP) { /* at the stop, or at the open when the bar gapped through it */
    rc = taker_fill(v, sym, slot, CQ_SIDE_SELL, all_in(), open <= lv ? open : lv, j, t, &filled);
  } else if (!o->seen && open >= lv) { /* marketable on arrival: takes at the open */
    rc = taker_fill(v, sym, slot, CQ_SIDE_SELL, all_in(), open, j, t, &filled);
  } else {
    rc = try_fill(v, sym, slot, CQ_SIDE_SELL, all_in(), o->level, CQ_LIQ_MAKER, t, &filled);
  }
  if (!rc && filled) s->o[slot == O_STOP ? O_TAKE : O_STOP].id = 0; /* one cancels the other */
  return rc;
}

static int match_resting(vrun *v, int sym, size_t j, cq_time t) {
  vsym *s = &v->s[sym];
  bool ws = working(&s->o[O_STOP], t), wt = working(&s->o[O_TAKE], t);
  if (!ws && !wt) return CQ_OK;
  cq_candle bar = bar_at(s->c, j);
  double path[4], rs = -1, rt = -1;
  cq_bar_path(&bar, path);
  if (ws) rs = path_reach(path, cq_dec_to_double(s->o[O_STOP].level), true, false);
  if (wt) {
    const vorder *o = &s->o[O_TAKE];
    double lv = cq_dec_to_double(o->level);
    rt = !o->seen && bar.open >= lv ? 0 : path_reach(path, lv, false, v->cfg->match.touch_fill);
  }
  if (ws) s->o[O_STOP].seen = true;
  if (wt) s->o[O_TAKE].seen = true;
  /* in path order; at the same point, in id order */
  bool stop_first =
      rs >= 0 && (rt < 0 || rs < rt || (rs == rt && s->o[O_STOP].id < s->o[O_TAKE].id));
  int order[2] = {stop_first ? O_STOP : O_TAKE, stop_first ? O_TAKE : O_STOP};
  for (int i = 0; i < 2; i++) {
    int slot = order[i];
    if ((slot == O_STOP ? rs : rt) < 0 || !s->o[slot].id) continue;
    int rc = fire(v, sym, slot, j, t);
    if (rc) return rc;
  }
  return CQ_OK;
}

static int match_bar(vrun *v, int sym, size_t j, cq_time t) {
  vsym *s = &v->s[sym];
  for (int k = 0; k < O_COUNT; k++)
    if (s->o[k].id && s->o[k].cancel_at <= t) s->o[k].id = 0; /* cancels due take effect */
  int rc = match_market(v, sym, j, t);
  if (!rc) rc = match_resting(v, sym, j, t);
  return rc;
}

/* At the close of bar j: the strategy's decision from its signals. */
static int decide(vrun *v, int sym, size_t j, cq_time t) {
  vsym *s = &v->s[sym];
  bool now = v->cfg->match.market_fill == CQ_FILL_THIS_CLOSE, filled = false;
  int rc = CQ_OK;
  if (s->pos.m == 0 && !s->o[O_ENTRY].id) {
    if (!s->sig.entry[j]) return CQ_OK;
    place(v, &s->o[O_ENTRY], t, CQ_DEC(0, 0));
    s->want_stop = s->sig.stop ? s->sig.stop[j] : NAN;
    s->want_take = s->sig.take ? s->sig.take[j] : NAN;
    if (now) {
      rc = taker_fill(v, sym, O_ENTRY, CQ_SIDE_BUY, v->cfg->size, s->c->close[j], j, close_of(v, t),
                      &filled);
      if (!rc && filled) rc = place_exits(v, s, t);
    }
  } else if (s->pos.m > 0 && !s->o[O_EXIT].id) {
    if (!s->sig.exit[j]) return CQ_OK;
    cq_time at = active_from(v, t);
    if (s->o[O_STOP].id) s->o[O_STOP].cancel_at = at;
    if (s->o[O_TAKE].id) s->o[O_TAKE].cancel_at = at;
    place(v, &s->o[O_EXIT], t, CQ_DEC(0, 0));
    if (now)
      rc = taker_fill(v, sym, O_EXIT, CQ_SIDE_SELL, all_in(), s->c->close[j], j, close_of(v, t),
                      &filled);
  }
  return rc;
}

/* ---- the run ------------------------------------------------------------------------ */

static int refuse(const cq_strategy_def *def, const cq_bt_config *cfg, const cq_bt_data *data,
                  cq_error *err) {
  if (!def->signals)
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "vector engine: strategy %s has no vector form; use the event engine",
                        def->name);
  if (cfg->match.max_volume_share > 0)
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "vector engine: a volume cap (max_volume_share %g) is not supported; "
                        "use the event engine",
                        cfg->match.max_volume_share);
  if (cq_latency_bars(cfg->match.fill_latency, cfg->tf) > 0)
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "vector engine: a fill latency is not supported; use the event engine");
  if (cfg->match.market_fill == CQ_FILL_THIS_CLOSE &&
      cq_latency_bars(cfg->match.order_latency, cfg->tf) > 0)
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "vector engine: fills at this close with an order latency are not "
                        "supported");
  if (data->trades[0])
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "vector engine: trade data needs the event engine (--engine event)");
  if (data->n_symbols != cfg->n_symbols)
    return cq_error_set(err, CQ_EINVAL, "vector engine: %d candle series for %d symbols",
                        data->n_symbols, cfg->n_symbols);
  return CQ_OK;
}

/* The strategy's signal arrays for symbol k (zeroed, stop/take NaN-filled). */
static int make_signals(vrun *v, const cq_strategy_def *def, const double *params, int k) {
  vsym *s = &v->s[k];
  size_t n = s->c->len;
  s->block = cq__bt_big_alloc(n * (2 * sizeof(double) + 2));
  if (!s->block)
    return cq_error_set(v->err, CQ_ENOMEM, "vector engine: no memory for the signals of %s",
                        v->cfg->symbols[k]);
  double *d = s->block;
  s->sig = (cq_signals){.n = n, .stop = d, .take = d + n, .entry = (uint8_t *)(d + 2 * n)};
  s->sig.exit = s->sig.entry + n;
  for (size_t i = 0; i < 2 * n; i++) d[i] = NAN;
  memset(s->sig.entry, 0, 2 * n);
  int rc = def->signals(params, s->c, &s->sig, v->err);
  if (rc) return rc;
  if (s->sig.n != n)
    return cq_error_set(v->err, CQ_EINTERNAL,
                        "vector engine: strategy %s gave %zu signals for %zu bars", def->name,
                        s->sig.n, n);
  /* warm-up: decisions at the closes of bars opening before trade_from place nothing */
  for (size_t i = 0; i < n && s->c->open_time[i] < v->cfg->trade_from; i++) s->sig.entry[i] = 0;
  return CQ_OK;
}

/* The equity at the close of axis bar i. */
static void mark(vrun *v, size_t i) {
  double held = 0;
  for (int k = 0; k < v->ns; k++) held += v->s[k].pos_d * v->s[k].last_close;
  double eq = v->cash_d + held;
  v->r->equity[i] = eq;
  v->r->cash[i] = v->cash_d;
  v->r->exposure[i] = eq != 0 ? held / eq : 0;
}

static int run_bar(vrun *v, size_t i) {
  cq_time t = v->r->time[i];
  bool here[CQ_BT_MAX_SYMBOLS] = {false};
  int rc = CQ_OK;
  for (int k = 0; k < v->ns && !rc; k++) {
    vsym *s = &v->s[k];
    here[k] = s->j < s->c->len && s->c->open_time[s->j] == t;
    s->entry_filled = false;
    if (here[k] && (s->o[0].id | s->o[1].id | s->o[2].id | s->o[3].id))
      rc = match_bar(v, k, s->j, t);
  }
  /* the strategy hears of fills (entries place their stop / take), then sees the bars */
  for (int k = 0; k < v->ns && !rc; k++)
    if (v->s[k].entry_filled) rc = place_exits(v, &v->s[k], t);
  for (int k = 0; k < v->ns && !rc; k++) {
    vsym *s = &v->s[k];
    if (!here[k]) continue;
    s->last_close = s->c->close[s->j];
    rc = decide(v, k, s->j, t);
    s->j++;
  }
  if (!rc) mark(v, i);
  return rc;
}

/* One symbol with no order working: the bars up to the next signal that can act change
 * nothing but the marks, so they are marked in a tight loop (the same arithmetic as
 * mark). Returns the bar to go on from. */
static size_t skip_quiet(vrun *v, size_t i) {
  vsym *s = &v->s[0];
  size_t n = v->r->n_bars, k = i;
  const double *close = s->c->close;
  double *eq = v->r->equity, *cash = v->r->cash, *ex = v->r->exposure, c = v->cash_d;
  if (s->pos.m == 0) {
    for (const uint8_t *entry = s->sig.entry; k < n && !entry[k]; k++) {
      eq[k] = c;
      cash[k] = c;
      ex[k] = 0;
    }
  } else if (s->pos.m > 0) {
    double q = s->pos_d;
    for (const uint8_t *exit = s->sig.exit; k < n && !exit[k]; k++) {
      double held = q * close[k], e = c + held;
      eq[k] = e;
      cash[k] = c;
      ex[k] = e != 0 ? held / e : 0;
    }
  }
  if (k > i) s->last_close = close[k - 1];
  s->j = k;
  return k;
}

static bool quiet(const vrun *v) {
  const vorder *o = v->s[0].o;
  return v->ns == 1 && !(o[0].id | o[1].id | o[2].id | o[3].id);
}

static int run(vrun *v, const cq_strategy_def *def, const cq_bt_data *data) {
  const cq_bt_config *cfg = v->cfg;
  double params[CQ_MAX_PARAMS];
  for (int i = 0; i < CQ_MAX_PARAMS; i++)
    params[i] = i < cfg->params.n ? cfg->params.v[i] : i < def->n_params ? def->params[i].def : 0;
  int rc = cq_bt_time_axis(data, v->r, v->err);
  for (int k = 0; k < v->ns && !rc; k++) {
    v->s[k].c = data->candles[k];
    v->s[k].ins = &cfg->instruments[k];
    rc = make_signals(v, def, params, k);
  }
  for (size_t i = 0; i < v->r->n_bars && !rc; i++) {
    if (quiet(v) && (i = skip_quiet(v, i)) == v->r->n_bars) break;
    rc = run_bar(v, i);
  }
  return rc ? rc : cq_bt_finish(v->r, data, v->err);
}

int cq_bt_run_vector_def(const cq_strategy_def *def, const cq_bt_config *cfg,
                         const cq_bt_data *data, cq_bt_result *out, cq_error *err) {
  int rc = refuse(def, cfg, data, err);
  if (rc) return rc;
  vrun *v = calloc(1, sizeof *v);
  if (!v) return cq_error_set(err, CQ_ENOMEM, "vector engine: no memory");
  cq_bt_result_init(out);
  out->config = *cfg;
  *v = (vrun){.cfg = &out->config,
              .r = out,
              .ns = data->n_symbols,
              .cash = cfg->initial_cash,
              .cash_d = cq_dec_to_double(cfg->initial_cash),
              .latency = cq_latency_bars(cfg->match.order_latency, cfg->tf),
              .err = err};
  rc = run(v, def, data);
  for (int k = 0; k < v->ns; k++) free(v->s[k].block);
  free(v);
  if (rc) cq_bt_result_release(out); /* nothing half-written */
  return rc;
}
