/* The event forms' position rules, shared by every signal strategy so that they act on
 * exactly the bars the vector engine acts on (engine.h, cq_signals):
 *   - at a bar's close, flat with no pending entry: an entry signal buys the run's size at
 *     market; long with no pending exit: an exit signal cancels the stop and the take and
 *     sells the whole position at market;
 *   - an entry that fills completely places the stop (stop-market sell) and the take (GTC
 *     limit sell) of its signal bar, each the whole position, one cancelling the other. */
#include <stdio.h>
#include <string.h>

#include "cquant/match.h"
#include "strategy_internal.h"

int cq__sig_start(cq_ctx *ctx, cq__sig_state *s, const char *strategy, cq_error *err) {
  int n = cq_ctx_symbols(ctx);
  if (n > CQ__ST_MAX_SYMBOLS)
    return cq_error_set(err, CQ_ELIMIT, "%s: %d symbols; a built-in strategy runs at most %d",
                        strategy, n, (int)CQ__ST_MAX_SYMBOLS);
  memset(s, 0, sizeof *s);
  for (int i = 0; i < CQ__ST_MAX_SYMBOLS; i++) s->leg[i].stop_level = s->leg[i].take_level = NAN;
  return CQ_OK;
}

/* An order of ours that is still working (not yet in a terminal state). */
static bool pending(const cq_ctx *ctx, uint64_t id) {
  if (!id) return false;
  const cq_order *o = cq_ctx_order(ctx, id);
  return o && !cq_order_state_terminal(o->state);
}

static void log_error(cq_ctx *ctx, const char *what, const cq_error *e) {
  cq_ctx_log(ctx, CQ_LOG_WARN, "%s: %s", what, e->msg);
}

/* Cancels id when it is still working; a finished order needs nothing. */
static void cancel_if_open(cq_ctx *ctx, uint64_t *id) {
  if (pending(ctx, *id)) {
    cq_error e = {0};
    if (cq_ctx_cancel(ctx, *id, &e) && e.code != CQ_ENOTFOUND) log_error(ctx, "cancel", &e);
  }
  *id = 0;
}

static void enter(cq_ctx *ctx, cq__sig_leg *l, int symbol, double stop, double take) {
  cq_error e = {0};
  cq_order_req r = {.symbol = symbol,
                    .side = CQ_SIDE_BUY,
                    .type = CQ_ORDER_MARKET,
                    .tif = CQ_TIF_GTC,
                    .size = cq_ctx_default_size(ctx)};
  uint64_t id = 0;
  if (cq_ctx_submit(ctx, &r, &id, &e)) {
    log_error(ctx, "entry", &e);
    return;
  }
  l->entry = id;
  l->stop_level = stop;
  l->take_level = take;
}

static void leave(cq_ctx *ctx, cq__sig_leg *l, int symbol) {
  cancel_if_open(ctx, &l->stop);
  cancel_if_open(ctx, &l->take);
  cq_error e = {0};
  cq_order_req r = {.symbol = symbol,
                    .side = CQ_SIDE_SELL,
                    .type = CQ_ORDER_MARKET,
                    .tif = CQ_TIF_GTC,
                    .size = {.kind = CQ_SIZE_ALL_IN}};
  uint64_t id = 0;
  if (cq_ctx_submit(ctx, &r, &id, &e)) {
    log_error(ctx, "exit", &e);
    return;
  }
  l->exit = id;
}

void cq__sig_bar(cq_ctx *ctx, cq__sig_state *s, int symbol, bool entry, bool exit, double stop,
                 double take) {
  if (symbol < 0 || symbol >= CQ__ST_MAX_SYMBOLS) return;
  if (cq_ctx_warming_up(ctx)) return;
  cq__sig_leg *l = &s->leg[symbol];
  cq_dec pos = cq_ctx_position(ctx, symbol);
  if (cq_dec_is_zero(pos)) {
    if (entry && !pending(ctx, l->entry)) enter(ctx, l, symbol, stop, take);
  } else if (cq_dec_sign(pos) > 0) {
    if (exit && !pending(ctx, l->exit)) leave(ctx, l, symbol);
  }
}

/* A protective level on the tick grid (nearest tick), or false when there is none. */
static bool level_on_tick(cq_ctx *ctx, int symbol, double level, double *out) {
  if (!isfinite(level) || level <= 0) return false;
  const cq_instrument *ins = cq_ctx_instrument(ctx, symbol);
  cq_dec d;
  cq_error e = {0};
  if (!ins || cq_price_on_tick(level, ins->tick, CQ_ROUND_HALF_EVEN, &d, &e)) {
    if (ins) log_error(ctx, "stop/take level", &e);
    return false;
  }
  *out = cq_dec_to_double(d);
  return true;
}

static uint64_t place_exit(cq_ctx *ctx, int symbol, cq_order_type type, double level,
                           uint64_t oco) {
  cq_order_req r = {.symbol = symbol,
                    .side = CQ_SIDE_SELL,
                    .type = type,
                    .tif = CQ_TIF_GTC,
                    .size = {.kind = CQ_SIZE_ALL_IN},
                    .oco = oco};
  if (type == CQ_ORDER_STOP)
    r.stop = level;
  else
    r.price = level;
  uint64_t id = 0;
  cq_error e = {0};
  if (cq_ctx_submit(ctx, &r, &id, &e)) {
    log_error(ctx, type == CQ_ORDER_STOP ? "stop" : "take", &e);
    return 0;
  }
  return id;
}

/* The entry of l filled completely: its stop and take, the take naming the stop as the
 * order to cancel when it fills (and cq__sig_on_order cancelling the take when the stop
 * fills, should the kernel link only one way). */
static void protect(cq_ctx *ctx, cq__sig_leg *l, int symbol) {
  double stop, take;
  bool has_stop = level_on_tick(ctx, symbol, l->stop_level, &stop);
  bool has_take = level_on_tick(ctx, symbol, l->take_level, &take);
  l->stop = has_stop ? place_exit(ctx, symbol, CQ_ORDER_STOP, stop, 0) : 0;
  l->take = has_take ? place_exit(ctx, symbol, CQ_ORDER_LIMIT, take, l->stop) : 0;
  l->stop_level = l->take_level = NAN;
}

void cq__sig_on_order(cq_ctx *ctx, cq__sig_state *s, const cq_order *o) {
  int symbol = o->instrument;
  if (symbol < 0 || symbol >= CQ__ST_MAX_SYMBOLS) return;
  cq__sig_leg *l = &s->leg[symbol];
  if (o->state != CQ_OS_FILLED) return;
  if (o->id == l->entry) {
    l->entry = 0;
    protect(ctx, l, symbol);
  } else if (o->id == l->stop) {
    l->stop = 0;
    cancel_if_open(ctx, &l->take);
  } else if (o->id == l->take) {
    l->take = 0;
    cancel_if_open(ctx, &l->stop);
  }
}

void cq__fmt_params(char *buf, size_t n, const char *const *names, const double *v, int count) {
  size_t used = 0;
  if (n) buf[0] = '\0';
  for (int i = 0; i < count && used < n; i++) {
    int w = snprintf(buf + used, n - used, "%s%s=%.17g", i ? "," : "", names[i], v[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
}

int cq__ind_open(cq_ctx *ctx, const char *strategy, const char *name, const char *const *names,
                 const double *v, int count, int symbol, cq_indicator **out, cq_error *err) {
  char text[256];
  cq__fmt_params(text, sizeof text, names, v, count);
  int rc = cq_ctx_indicator(ctx, name, text, symbol, out, err);
  if (rc) cq_error_prefix(err, "%s: %s(%s): ", strategy, name, text);
  return rc;
}

void cq__cross_step(cq__cross *x, bool *up, bool *down) {
  double a = cq_ind_value(x->a, x->ka), b = cq_ind_value(x->b, x->kb);
  *up = cq__cross_up(x->pa, x->pb, a, b);
  *down = cq__cross_down(x->pa, x->pb, a, b);
  x->pa = a;
  x->pb = b;
}

int cq__ma_cross_start(cq_ctx *ctx, cq__cross_state *s, const char *strategy, const char *ind,
                       cq_error *err) {
  int rc = cq__sig_start(ctx, &s->sig, strategy, err);
  if (rc) return rc;
  static const char *const period[] = {"period"};
  const double *p = cq_ctx_params(ctx);
  for (int i = 0; i < cq_ctx_symbols(ctx); i++) {
    cq__cross *x = &s->x[i];
    if ((rc = cq__ind_open(ctx, strategy, ind, period, &p[0], 1, i, &x->a, err))) return rc;
    if ((rc = cq__ind_open(ctx, strategy, ind, period, &p[1], 1, i, &x->b, err))) return rc;
    x->ka = x->kb = 0;
    x->pa = x->pb = NAN;
  }
  return CQ_OK;
}

void cq__cross_candle(cq_ctx *ctx, cq__cross_state *s, int symbol) {
  if (symbol < 0 || symbol >= CQ__ST_MAX_SYMBOLS) return;
  bool up, down;
  cq__cross_step(&s->x[symbol], &up, &down);
  cq__sig_bar(ctx, &s->sig, symbol, up, down, NAN, NAN);
}
