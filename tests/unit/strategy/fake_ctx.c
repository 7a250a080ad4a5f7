/* The stand-in context of fake_ctx.h. */
#include "fake_ctx.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cq_dec dec_of(double v) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.8f", v);
  cq_dec d = cq_dec_from_int(0);
  if (cq_dec_parse_cstr(buf, &d, NULL)) return cq_dec_from_int(0);
  return d;
}

cq_time cq_ctx_now(const cq_ctx *ctx) {
  return ctx->c->open_time[ctx->bar];
}
const double *cq_ctx_params(const cq_ctx *ctx) {
  return ctx->params;
}
int cq_ctx_symbols(const cq_ctx *ctx) {
  (void)ctx;
  return 1;
}
const cq_instrument *cq_ctx_instrument(const cq_ctx *ctx, int symbol) {
  return symbol == 0 ? &ctx->ins : NULL;
}

int cq_ctx_indicator(cq_ctx *ctx, const char *name, const char *params, int symbol,
                     cq_indicator **out, cq_error *err) {
  const cq_ta_def *d;
  int rc = cq_ta_lookup(name, &d, err);
  if (rc) return rc;
  double p[CQ_TA_MAX_PARAMS];
  if ((rc = cq_ta_params_parse(d, params, p, err))) return rc;
  if (ctx->n_ind == FAKE_MAX_IND) return cq_error_set(err, CQ_ELIMIT, "fake: too many indicators");
  struct cq_indicator *ind = &ctx->ind[ctx->n_ind];
  if ((rc = cq_ta_stream_new(d, p, &ind->s, err))) return rc;
  ind->symbol = symbol;
  ctx->n_ind++;
  *out = ind;
  return CQ_OK;
}
double cq_ind_value(const cq_indicator *ind, int output) {
  return cq_ta_stream_value(ind->s, output);
}
bool cq_ind_ready(const cq_indicator *ind) {
  return !isnan(cq_ta_stream_value(ind->s, 0));
}

int cq_ctx_submit(cq_ctx *ctx, const cq_order_req *req, uint64_t *id, cq_error *err) {
  if (ctx->n_orders == FAKE_MAX_ORDERS) return cq_error_set(err, CQ_ELIMIT, "fake: full");
  cq_order *o = &ctx->orders[ctx->n_orders];
  memset(o, 0, sizeof *o);
  o->id = ctx->n_orders + 1;
  o->instrument = req->symbol;
  o->side = req->side;
  o->type = req->type;
  o->tif = req->tif;
  o->size = req->size;
  o->price = dec_of(req->price);
  o->stop = dec_of(req->stop);
  o->oco = req->oco;
  o->state = CQ_OS_ACCEPTED;
  ctx->placed_bar[ctx->n_orders] = ctx->bar;
  ctx->n_orders++;
  *id = o->id;
  return CQ_OK;
}
int cq_ctx_buy(cq_ctx *ctx, int symbol, cq_size size, uint64_t *id, cq_error *err) {
  cq_order_req r = {.symbol = symbol, .side = CQ_SIDE_BUY, .size = size};
  return cq_ctx_submit(ctx, &r, id, err);
}
int cq_ctx_close(cq_ctx *ctx, int symbol, uint64_t *id, cq_error *err) {
  cq_order_req r = {.symbol = symbol, .side = CQ_SIDE_SELL, .size = {.kind = CQ_SIZE_ALL_IN}};
  return cq_ctx_submit(ctx, &r, id, err);
}

static cq_order *find(cq_ctx *ctx, uint64_t id) {
  return id >= 1 && id <= ctx->n_orders ? &ctx->orders[id - 1] : NULL;
}
const cq_order *cq_ctx_order(const cq_ctx *ctx, uint64_t id) {
  return id >= 1 && id <= ctx->n_orders ? &ctx->orders[id - 1] : NULL;
}

static void finish(cq_ctx *ctx, cq_order *o, cq_order_state st, const cq_strategy_def *def,
                   void *state) {
  o->state = st;
  if (def && def->on_order) def->on_order(ctx, state, o);
}

int cq_ctx_cancel(cq_ctx *ctx, uint64_t id, cq_error *err) {
  cq_order *o = find(ctx, id);
  if (!o || cq_order_state_terminal(o->state))
    return cq_error_set(err, CQ_ENOTFOUND, "fake: no open order %llu", (unsigned long long)id);
  o->state = CQ_OS_CANCELLED;
  return CQ_OK;
}
void cq_ctx_cancel_all(cq_ctx *ctx, int symbol) {
  for (size_t i = 0; i < ctx->n_orders; i++)
    if (ctx->orders[i].instrument == symbol && !cq_order_state_terminal(ctx->orders[i].state))
      ctx->orders[i].state = CQ_OS_CANCELLED;
}
size_t cq_ctx_open_orders(const cq_ctx *ctx, int symbol, const cq_order **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < ctx->n_orders; i++) {
    const cq_order *o = &ctx->orders[i];
    if ((symbol < 0 || o->instrument == symbol) && !cq_order_state_terminal(o->state)) {
      if (n < max) out[n] = o;
      n++;
    }
  }
  return n;
}

cq_dec cq_ctx_position(const cq_ctx *ctx, int symbol) {
  return symbol == 0 ? ctx->pos : cq_dec_from_int(0);
}
double cq_ctx_position_value(const cq_ctx *ctx, int symbol) {
  return cq_dec_to_double(cq_ctx_position(ctx, symbol)) * ctx->c->close[ctx->bar];
}
cq_dec cq_ctx_cash(const cq_ctx *ctx) {
  return dec_of(ctx->equity);
}
double cq_ctx_equity(const cq_ctx *ctx) {
  return ctx->equity;
}
cq_size cq_ctx_default_size(const cq_ctx *ctx) {
  (void)ctx;
  return (cq_size){.kind = CQ_SIZE_ALL_IN};
}
double cq_ctx_last_price(const cq_ctx *ctx, int symbol) {
  (void)symbol;
  return ctx->c->close[ctx->bar];
}
int cq_ctx_timer(cq_ctx *ctx, cq_time at, uint64_t timer, cq_error *err) {
  (void)ctx;
  (void)at;
  (void)timer;
  return cq_error_set(err, CQ_EUNSUPPORTED, "fake: no timers");
}
void cq_ctx_log(cq_ctx *ctx, cq_log_level level, const char *fmt, ...) {
  (void)fmt;
  if (level >= CQ_LOG_WARN) ctx->warnings++;
}

/* One order's chance at bar t; returns whether it filled. */
static bool try_fill(cq_ctx *ctx, cq_order *o, size_t t) {
  const cq_candles *c = ctx->c;
  bool flat = cq_dec_is_zero(ctx->pos);
  double qty = 1, px;
  switch (o->type) {
    case CQ_ORDER_MARKET:
      if (o->side == CQ_SIDE_SELL && flat) {
        o->state = CQ_OS_EXPIRED;
        return false;
      }
      px = c->open[t];
      break;
    case CQ_ORDER_STOP:
      px = cq_dec_to_double(o->stop);
      if (o->side != CQ_SIDE_SELL || flat || !(c->low[t] <= px)) return false;
      break;
    case CQ_ORDER_LIMIT:
      px = cq_dec_to_double(o->price);
      if (o->side == CQ_SIDE_SELL ? flat || !(c->high[t] > px) : !(c->low[t] < px)) return false;
      break;
    default:
      return false;
  }
  if (o->side == CQ_SIDE_BUY) {
    if (o->size.kind == CQ_SIZE_NOTIONAL) qty = o->size.value / px;
    if (o->size.kind == CQ_SIZE_QTY) qty = o->size.value;
    o->filled = dec_of(qty);
    double pos = cq_dec_to_double(ctx->pos) + cq_dec_to_double(o->filled);
    ctx->pos = dec_of(pos);
  } else {
    double held = cq_dec_to_double(ctx->pos);
    qty = o->size.kind == CQ_SIZE_QTY ? fmin(o->size.value, held) : held;
    o->filled = dec_of(qty);
    ctx->pos = dec_of(held - cq_dec_to_double(o->filled));
  }
  return true;
}

static void match_bar(cq_ctx *ctx, const cq_strategy_def *def, void *state, size_t t) {
  /* market orders first, then the resting ones, each in id order */
  for (int pass = 0; pass < 2; pass++) {
    size_t n = ctx->n_orders; /* orders placed while matching wait for the next bar */
    for (size_t i = 0; i < n; i++) {
      cq_order *o = &ctx->orders[i];
      if (cq_order_state_terminal(o->state) || ctx->placed_bar[i] >= t) continue;
      if ((o->type == CQ_ORDER_MARKET) != (pass == 0)) continue;
      if (try_fill(ctx, o, t)) {
        cq_order *other = find(ctx, o->oco);
        if (other && !cq_order_state_terminal(other->state)) other->state = CQ_OS_CANCELLED;
        finish(ctx, o, CQ_OS_FILLED, def, state);
      } else if (o->state == CQ_OS_EXPIRED) {
        finish(ctx, o, CQ_OS_EXPIRED, def, state);
      }
    }
  }
}

static void feed(cq_ctx *ctx, size_t t) {
  const cq_candles *c = ctx->c;
  for (int k = 0; k < ctx->n_ind; k++) {
    const cq_ta_def *d = cq_ta_stream_def(ctx->ind[k].s);
    double in[CQ_TA_MAX_INPUTS];
    for (int j = 0; j < d->n_inputs; j++) {
      const double *col[] = {c->open, c->high, c->low, c->close, c->volume};
      in[j] = col[d->inputs[j]][t];
    }
    cq_ta_stream_update(ctx->ind[k].s, c->open_time[t], in, NULL);
  }
}

int fake_run(cq_ctx *ctx, const cq_strategy_def *def, const double *params, const cq_candles *c,
             cq_error *err) {
  memset(ctx, 0, sizeof *ctx);
  ctx->c = c;
  ctx->equity = 3000;
  ctx->pos = cq_dec_from_int(0);
  if (cq_dec_parse_cstr("0.01", &ctx->ins.tick, err)) return CQ_EINTERNAL;
  ctx->ins.lot = ctx->ins.tick;
  for (int i = 0; i < def->n_params; i++) ctx->params[i] = params[i];
  void *state = calloc(1, def->state_size);
  if (!state) return cq_error_set(err, CQ_ENOMEM, "fake: no memory");
  int rc = def->on_start ? def->on_start(ctx, state, err) : CQ_OK;
  for (size_t t = 0; rc == CQ_OK && t < c->len; t++) {
    ctx->bar = t;
    match_bar(ctx, def, state, t);
    feed(ctx, t);
    cq_candle bar;
    cq_candles_get(c, t, &bar);
    if (def->on_candle) def->on_candle(ctx, state, 0, &bar);
  }
  free(state);
  return rc;
}

void fake_release(cq_ctx *ctx) {
  for (int k = 0; k < ctx->n_ind; k++) cq_ta_stream_free(ctx->ind[k].s);
  ctx->n_ind = 0;
}
