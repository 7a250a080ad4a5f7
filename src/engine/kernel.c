/* The kernel: the event loop, the strategies' contexts, indicators, timers and the
 * notifications of fills and order changes (delayed by the fill latency).
 *
 * The hot path (a bar without fills) does no allocation and no decimal arithmetic: the
 * account is marked from doubles the portfolio caches, indicators update in place. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cquant/ta.h"
#include "engine_internal.h"

struct cq_indicator {
  cq_ta_stream *s;
  int n_in;
  cq_ta_field in[CQ_TA_MAX_INPUTS];
  double out[CQ_TA_MAX_OUTPUTS];
};

struct cq_ctx {
  cq_kernel *k;
  int index;
};

typedef struct strat {
  const cq_strategy_def *def;
  cq_param_values params;
  void *state;
  cq_ctx ctx;
} strat;

typedef struct ind_list {
  cq_indicator **v;
  size_t n, cap;
} ind_list;

typedef struct timer {
  cq_time at;
  uint64_t seq, id;
  int strategy;
} timer;

/* A fill or an order change, as the strategy will hear of it at `due`. */
typedef struct note {
  cq_time due;
  bool is_fill;
  cq_fill fill;
  cq_order order;
} note;

struct cq_kernel {
  cq_kernel_config cfg;
  cq_instrument *ins;
  char venue[CQ_VENUE_MAX];
  cq_clock clock;
  int64_t tf_ns;
  int64_t order_lat, fill_lat; /* bars */
  strat strats[CQ_KERNEL_MAX_STRATEGIES];
  int n_strats;
  bool started, stopped;
  cq_portfolio *pf;
  const cq_pf_balance *cash;   /* the quote balance, read on every bar */
  const cq_pf_position **acct; /* [n_ins] the account's positions, read on every bar */
  cq_matcher *mx;
  cq__oms oms;
  ind_list *inds; /* [n_ins] */
  double *last;   /* [n_ins] last price */
  timer *timers;  /* min-heap on (at, seq) */
  size_t n_timers, cap_timers;
  uint64_t timer_seq;
  note *notes; /* FIFO ring: due times never decrease */
  size_t note_head, n_notes, cap_notes;
  cq_time last_bar; /* open time of the last bar fed */
  bool any_bar;
  int fatal; /* an error inside a hook, returned by the next driver call */
  cq_error fatal_err;
  int64_t rejected;
  cq_kernel_fill_fn fill_fn;
  void *fill_ud;
};

/* ---- time ------------------------------------------------------------------------- */

/* t plus n bars of the timeframe (calendar months step bucket by bucket). */
static cq_time after_bars(const cq_kernel *k, cq_time t, int64_t n) {
  if (k->tf_ns > 0) return t + n * k->tf_ns;
  for (int64_t i = 0; i < n; i++) t = cq_timeframe_next(k->cfg.tf, t);
  return t;
}

/* When an order or cancel sent at t reaches the book: a latency in time is exact (on candle
 * data the order then waits for the first bar that opens after it, which is the latency
 * rounded up to whole bars); a latency in bars counts bars. */
static cq_time reaches_book(const cq_kernel *k, cq_time t) {
  if (k->cfg.match.order_latency.ns > 0) return t + k->cfg.match.order_latency.ns;
  return after_bars(k, t, k->order_lat);
}

static void clock_to(cq_kernel *k, cq_time t) {
  /* the simulated clock only moves forward; an earlier time leaves it where it is */
  if (t > k->clock.sim_now && cq_clock_sim_set(&k->clock, t, NULL) != CQ_OK) return;
}

/* ---- notifications ----------------------------------------------------------------- */

static int note_push(cq_kernel *k, const note *n) {
  if (k->n_notes == k->cap_notes) {
    size_t cap = k->cap_notes ? k->cap_notes * 2 : 16;
    note *v = malloc(cap * sizeof *v);
    if (!v) return cq_error_set(&k->fatal_err, CQ_ENOMEM, "kernel: no memory for notifications");
    for (size_t i = 0; i < k->n_notes; i++) v[i] = k->notes[(k->note_head + i) % k->cap_notes];
    free(k->notes);
    k->notes = v;
    k->cap_notes = cap;
    k->note_head = 0;
  }
  k->notes[(k->note_head + k->n_notes) % k->cap_notes] = *n;
  k->n_notes++;
  return CQ_OK;
}

/* Delivers what is due by t (all of it when all): on_fill, on_order. */
static void note_flush(cq_kernel *k, cq_time t, bool all) {
  while (k->n_notes) {
    note *n = &k->notes[k->note_head];
    if (!all && n->due > t) break;
    note cur = *n; /* a callback may queue more notes and move the ring */
    k->note_head = (k->note_head + 1) % k->cap_notes;
    k->n_notes--;
    int si = cur.is_fill ? cur.fill.strategy : cur.order.strategy;
    strat *s = &k->strats[si];
    if (cur.is_fill && s->def->on_fill) s->def->on_fill(&s->ctx, s->state, &cur.fill);
    if (!cur.is_fill && s->def->on_order) s->def->on_order(&s->ctx, s->state, &cur.order);
  }
}

static cq_time note_due(const cq_kernel *k, cq_time at) {
  return after_bars(k, at, k->fill_lat);
}

/* ---- hooks of the matching engine -------------------------------------------------- */

static double marked_positions(const cq_kernel *k, int except, double price) {
  double v = 0;
  for (int i = 0; i < k->cfg.n_instruments; i++) {
    const cq_pf_position *p = cq_portfolio_position(k->pf, -1, i);
    if (p->qty_d != 0) v += p->qty_d * (i == except ? price : k->last[i]); /* last: NaN unseen */
  }
  return v;
}

static void hook_basis(void *ctx, const cq_order *o, double price, cq_size_basis *out) {
  cq_kernel *k = ctx;
  out->cash = k->cash->total;
  out->equity = cq_dec_to_double(out->cash) + marked_positions(k, o->instrument, price);
  out->position = cq_portfolio_position(k->pf, o->strategy, o->instrument)->qty;
}

static int hook_fill(void *ctx, cq_order *o, const cq_fill *f, cq_error *err) {
  cq_kernel *k = ctx;
  int rc = cq_portfolio_apply(k->pf, f, err);
  if (!rc && k->fill_fn) rc = k->fill_fn(k->fill_ud, f, err);
  if (rc) return rc;
  (void)o;
  note n = {.due = note_due(k, f->time), .is_fill = true, .fill = *f};
  rc = note_push(k, &n);
  if (rc) return cq_error_set(err, rc, "%s", k->fatal_err.msg);
  return CQ_OK;
}

static int order_changed(cq_kernel *k, const cq_order *o, cq_error *err) {
  note n = {.due = note_due(k, o->updated), .is_fill = false, .order = *o};
  int rc = note_push(k, &n);
  if (rc) return cq_error_set(err, rc, "%s", k->fatal_err.msg);
  return CQ_OK;
}

static int hook_event(void *ctx, cq_order *o, cq_order_event ev, cq_error *err) {
  cq_kernel *k = ctx;
  int rc = cq_order_apply(o, ev, k->cfg.log, err);
  if (rc) return rc;
  if (ev == CQ_OE_REJECT) k->rejected++;
  return order_changed(k, o, err);
}

/* ---- life cycle ------------------------------------------------------------------- */

static void free_indicators(cq_kernel *k) {
  for (int i = 0; k->inds && i < k->cfg.n_instruments; i++) {
    for (size_t j = 0; j < k->inds[i].n; j++) {
      cq_ta_stream_free(k->inds[i].v[j]->s);
      free(k->inds[i].v[j]);
    }
    free(k->inds[i].v);
  }
  free(k->inds);
}

void cq_kernel_free(cq_kernel *k) {
  if (!k) return;
  for (int i = 0; i < k->n_strats; i++) free(k->strats[i].state);
  free_indicators(k);
  cq_matcher_free(k->mx);
  cq_portfolio_free(k->pf);
  cq__oms_release(&k->oms);
  free(k->ins);
  free(k->last);
  free(k->acct);
  free(k->timers);
  free(k->notes);
  free(k);
}

static int check_config(const cq_kernel_config *cfg, cq_error *err) {
  if (!cfg || cfg->n_instruments < 1 || !cfg->instruments)
    return cq_error_set(err, CQ_EINVAL, "kernel: no instruments");
  if (!cfg->quote[0]) return cq_error_set(err, CQ_EINVAL, "kernel: no quote currency");
  for (int i = 0; i < cfg->n_instruments; i++) {
    const cq_instrument *in = &cfg->instruments[i];
    if (strcmp(in->quote, cfg->quote) || strcmp(in->venue, cfg->instruments[0].venue))
      return cq_error_set(err, CQ_EINVAL,
                          "kernel: %s is quoted in %s at %s; the run trades %s at %s", in->symbol,
                          in->quote, in->venue, cfg->quote, cfg->instruments[0].venue);
  }
  if (cfg->initial_cash.m < 0) return cq_error_set(err, CQ_EINVAL, "kernel: negative cash");
  return CQ_OK;
}

int cq_kernel_new(const cq_kernel_config *cfg, cq_kernel **out, cq_error *err) {
  int rc = check_config(cfg, err);
  if (rc) return rc;
  cq_kernel *k = calloc(1, sizeof *k);
  if (!k) return cq_error_set(err, CQ_ENOMEM, "kernel: no memory");
  size_t n = (size_t)cfg->n_instruments;
  k->cfg = *cfg;
  k->ins = malloc(n * sizeof *k->ins);
  k->last = calloc(n, sizeof *k->last);
  k->inds = calloc(n, sizeof *k->inds);
  if (!k->ins || !k->last || !k->inds) {
    cq_kernel_free(k);
    return cq_error_set(err, CQ_ENOMEM, "kernel: no memory for %zu instruments", n);
  }
  memcpy(k->ins, cfg->instruments, n * sizeof *k->ins);
  k->cfg.instruments = k->ins;
  for (size_t i = 0; i < n; i++) k->last[i] = NAN;
  cq_strlcpy(k->venue, k->ins[0].venue, sizeof k->venue);
  cq_clock_sim_init(&k->clock, cfg->start);
  k->tf_ns = cq_timeframe_ns(cfg->tf);
  k->order_lat = cq_latency_bars(cfg->match.order_latency, cfg->tf);
  k->fill_lat = cq_latency_bars(cfg->match.fill_latency, cfg->tf);
  *out = k;
  return CQ_OK;
}

int cq_kernel_add_strategy(cq_kernel *k, const cq_strategy_def *def, const cq_param_values *params,
                           int *index, cq_error *err) {
  if (k->started) return cq_error_set(err, CQ_ESTATE, "kernel: strategies are added before start");
  if (!def || !def->name) return cq_error_set(err, CQ_EINVAL, "kernel: no strategy");
  if (k->n_strats == CQ_KERNEL_MAX_STRATEGIES)
    return cq_error_set(err, CQ_ELIMIT, "kernel: at most %d strategies", CQ_KERNEL_MAX_STRATEGIES);
  strat *s = &k->strats[k->n_strats];
  memset(s, 0, sizeof *s);
  if (params) {
    s->params = *params;
  } else {
    int rc = cq_params_resolve(def, NULL, 0, &s->params, err);
    if (rc) return rc;
  }
  if (def->state_size) {
    s->state = calloc(1, def->state_size);
    if (!s->state)
      return cq_error_set(err, CQ_ENOMEM, "kernel: no memory for the state of %s", def->name);
  }
  s->def = def;
  s->ctx = (cq_ctx){.k = k, .index = k->n_strats};
  if (index) *index = k->n_strats;
  k->n_strats++;
  return CQ_OK;
}

void cq_kernel_on_fill(cq_kernel *k, cq_kernel_fill_fn fn, void *ud) {
  k->fill_fn = fn;
  k->fill_ud = ud;
}

int cq_kernel_start(cq_kernel *k, cq_error *err) {
  if (k->started) return cq_error_set(err, CQ_ESTATE, "kernel: already started");
  if (k->n_strats == 0) return cq_error_set(err, CQ_EINVAL, "kernel: no strategy to run");
  int rc = cq_portfolio_new(k->ins, k->cfg.n_instruments, k->n_strats, &k->pf, err);
  if (!rc) rc = cq_portfolio_deposit(k->pf, k->venue, k->cfg.quote, k->cfg.initial_cash, err);
  cq_match_hooks hooks = {.ctx = k, .basis = hook_basis, .fill = hook_fill, .event = hook_event};
  if (!rc) rc = cq_matcher_new(&k->cfg.match, k->ins, k->cfg.n_instruments, &hooks, &k->mx, err);
  if (rc) return rc;
  k->cash = cq_portfolio_balance_ref(k->pf, k->venue, k->cfg.quote);
  k->acct = malloc((size_t)k->cfg.n_instruments * sizeof(cq_pf_position *));
  if (!k->acct) return cq_error_set(err, CQ_ENOMEM, "kernel: no memory");
  for (int i = 0; i < k->cfg.n_instruments; i++) k->acct[i] = cq_portfolio_position(k->pf, -1, i);
  k->started = true;
  for (int i = 0; i < k->n_strats; i++) {
    strat *s = &k->strats[i];
    if (!s->def->on_start) continue;
    rc = s->def->on_start(&s->ctx, s->state, err);
    if (rc) {
      cq_error_prefix(err, "strategy %s: ", s->def->name);
      return rc;
    }
  }
  return k->fatal ? cq_error_set(err, k->fatal, "%s", k->fatal_err.msg) : CQ_OK;
}

/* ---- timers ----------------------------------------------------------------------- */

static bool timer_before(const timer *a, const timer *b) {
  return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static void timer_pop(cq_kernel *k, timer *out) {
  timer *h = k->timers;
  *out = h[0];
  h[0] = h[--k->n_timers];
  size_t i = 0, n = k->n_timers;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && timer_before(&h[c + 1], &h[c])) c++;
    if (!timer_before(&h[c], &h[i])) break;
    timer tmp = h[i];
    h[i] = h[c];
    h[c] = tmp;
    i = c;
  }
}

static void run_timers(cq_kernel *k, cq_time t) {
  while (k->n_timers && k->timers[0].at <= t) {
    timer tm;
    timer_pop(k, &tm);
    clock_to(k, tm.at);
    strat *s = &k->strats[tm.strategy];
    if (s->def->on_timer) s->def->on_timer(&s->ctx, s->state, tm.id, tm.at);
  }
}

int cq_kernel_advance(cq_kernel *k, cq_time t, cq_error *err) {
  run_timers(k, t);
  clock_to(k, t);
  return k->fatal ? cq_error_set(err, k->fatal, "%s", k->fatal_err.msg) : CQ_OK;
}

/* ---- the loop --------------------------------------------------------------------- */

static double field_of(const cq_candle *b, cq_ta_field f) {
  switch (f) {
    case CQ_TA_OPEN:
      return b->open;
    case CQ_TA_HIGH:
      return b->high;
    case CQ_TA_LOW:
      return b->low;
    case CQ_TA_VOLUME:
      return b->volume;
    default:
      return b->close;
  }
}

static void feed_indicators(cq_kernel *k, int i, const cq_candle *b) {
  ind_list *l = &k->inds[i];
  for (size_t j = 0; j < l->n; j++) {
    cq_indicator *ind = l->v[j];
    double in[CQ_TA_MAX_INPUTS];
    for (int f = 0; f < ind->n_in; f++) in[f] = field_of(b, ind->in[f]);
    cq_ta_stream_update(ind->s, b->open_time, in, ind->out);
  }
}

static int fail(cq_kernel *k, int rc, cq_error *err) {
  if (!k->fatal) {
    k->fatal = rc;
    if (err) k->fatal_err = *err;
  }
  return rc;
}

/* One bar of every instrument that has one at t. by_trades: the bars were aggregated from
 * trades already fed through cq_kernel_trade, which did the matching; the clock is already
 * past them. */
static int bar_step(cq_kernel *k, cq_time t, const cq_candle *const *bars, bool by_trades,
                    cq_error *err) {
  if (!k->started || k->stopped) return cq_error_set(err, CQ_ESTATE, "kernel: not running");
  if (k->fatal) return cq_error_set(err, k->fatal, "%s", k->fatal_err.msg);
  if (k->any_bar ? t <= k->last_bar : !by_trades && t < cq_clock_now(&k->clock))
    return cq_error_set(err, CQ_EINVAL, "kernel: bar at %" PRId64 " is not after the last one", t);
  k->last_bar = t;
  k->any_bar = true;
  int n = k->cfg.n_instruments, rc;
  run_timers(k, t);
  clock_to(k, t);
  for (int i = 0; i < n && !by_trades; i++) {
    if (bars[i] && (rc = cq_matcher_bar(k->mx, i, bars[i], err))) return fail(k, rc, err);
  }
  for (int i = 0; i < n; i++) {
    if (!bars[i]) continue;
    k->last[i] = bars[i]->close;
    cq_portfolio_mark(k->pf, i, bars[i]->close);
  }
  cq_time close = after_bars(k, t, 1);
  run_timers(k, close - 1); /* timers inside the bar, before it closes */
  clock_to(k, close);
  note_flush(k, by_trades ? cq_clock_now(&k->clock) : t, false);
  for (int i = 0; i < n; i++) {
    if (!bars[i]) continue;
    feed_indicators(k, i, bars[i]);
    for (int s = 0; s < k->n_strats; s++) {
      strat *st = &k->strats[s];
      if (st->def->on_candle) st->def->on_candle(&st->ctx, st->state, i, bars[i]);
    }
  }
  if (!by_trades && k->cfg.match.market_fill == CQ_FILL_THIS_CLOSE) {
    for (int i = 0; i < n; i++) {
      if (bars[i] && (rc = cq_matcher_close(k->mx, i, bars[i], close, err)))
        return fail(k, rc, err);
    }
    note_flush(k, close, false); /* fills at the close are heard at the close */
  }
  cq__oms_advance(&k->oms);
  return k->fatal ? cq_error_set(err, k->fatal, "%s", k->fatal_err.msg) : CQ_OK;
}

int cq_kernel_bar(cq_kernel *k, cq_time t, const cq_candle *const *bars, cq_error *err) {
  return bar_step(k, t, bars, false, err);
}

int cq_kernel_bar_of_trades(cq_kernel *k, cq_time t, const cq_candle *const *bars, cq_error *err) {
  return bar_step(k, t, bars, true, err);
}

int cq_kernel_trade(cq_kernel *k, int ins, const cq_trade *t, cq_error *err) {
  if (!k->started || k->stopped) return cq_error_set(err, CQ_ESTATE, "kernel: not running");
  if (ins < 0 || ins >= k->cfg.n_instruments)
    return cq_error_set(err, CQ_EINVAL, "kernel: unknown instrument %d", ins);
  if (k->fatal) return cq_error_set(err, k->fatal, "%s", k->fatal_err.msg);
  run_timers(k, t->time);
  clock_to(k, t->time);
  int rc = cq_matcher_trade(k->mx, ins, t, err);
  if (rc) return fail(k, rc, err);
  k->last[ins] = cq_dec_to_double(t->price);
  cq_portfolio_mark(k->pf, ins, k->last[ins]);
  note_flush(k, t->time, false);
  for (int s = 0; s < k->n_strats; s++) {
    strat *st = &k->strats[s];
    if (st->def->on_trade) st->def->on_trade(&st->ctx, st->state, ins, t);
  }
  cq__oms_advance(&k->oms);
  return k->fatal ? cq_error_set(err, k->fatal, "%s", k->fatal_err.msg) : CQ_OK;
}

int cq_kernel_stop(cq_kernel *k, cq_error *err) {
  if (!k->started || k->stopped) return cq_error_set(err, CQ_ESTATE, "kernel: not running");
  int rc = cq_matcher_expire_all(k->mx, cq_clock_now(&k->clock), "end of run", err);
  if (rc) return fail(k, rc, err);
  note_flush(k, 0, true);
  k->stopped = true; /* on_stop may look, not trade: orders now would never work */
  k->n_timers = 0;
  for (int i = 0; i < k->n_strats; i++) {
    strat *s = &k->strats[i];
    if (s->def->on_stop) s->def->on_stop(&s->ctx, s->state);
  }
  return k->fatal ? cq_error_set(err, k->fatal, "%s", k->fatal_err.msg) : CQ_OK;
}

/* ---- accessors -------------------------------------------------------------------- */

const cq_portfolio *cq_kernel_portfolio(const cq_kernel *k) {
  return k->pf;
}

const cq_order *cq_kernel_order(const cq_kernel *k, uint64_t id) {
  return cq__oms_get(&k->oms, id);
}

uint64_t cq_kernel_order_count(const cq_kernel *k) {
  return k->oms.n;
}

int64_t cq_kernel_rejected(const cq_kernel *k) {
  return k->rejected;
}

cq_time cq_kernel_now(const cq_kernel *k) {
  return cq_clock_now(&k->clock);
}

void *cq_kernel_strategy_state(cq_kernel *k, int i) {
  return i >= 0 && i < k->n_strats ? k->strats[i].state : NULL;
}

double cq_kernel_cash(const cq_kernel *k) {
  return k->cash ? k->cash->total_d : 0;
}

double cq_kernel_positions_value(const cq_kernel *k) {
  if (!k->acct) return 0;
  double v = 0;
  for (int i = 0; i < k->cfg.n_instruments; i++) {
    double q = k->acct[i]->qty_d;
    if (q != 0) v += q * k->last[i];
  }
  return v;
}

double cq_kernel_equity(const cq_kernel *k) {
  return cq_kernel_cash(k) + cq_kernel_positions_value(k);
}

/* ---- the strategy's context ------------------------------------------------------- */

cq_time cq_ctx_now(const cq_ctx *ctx) {
  return cq_clock_now(&ctx->k->clock);
}

bool cq_ctx_warming_up(const cq_ctx *ctx) {
  /* the close of the last warm-up bar is trade_from itself: still a warm-up decision */
  cq_time from = ctx->k->cfg.trade_from;
  return from != INT64_MIN && from != 0 && cq_clock_now(&ctx->k->clock) <= from;
}

const double *cq_ctx_params(const cq_ctx *ctx) {
  return ctx->k->strats[ctx->index].params.v;
}

int cq_ctx_symbols(const cq_ctx *ctx) {
  return ctx->k->cfg.n_instruments;
}

const cq_instrument *cq_ctx_instrument(const cq_ctx *ctx, int symbol) {
  return symbol >= 0 && symbol < ctx->k->cfg.n_instruments ? &ctx->k->ins[symbol] : NULL;
}

int cq_ctx_subscribe(cq_ctx *ctx, const char *symbol, int *index, cq_error *err) {
  for (int i = 0; i < ctx->k->cfg.n_instruments; i++) {
    if (strcasecmp(ctx->k->ins[i].symbol, symbol)) continue;
    *index = i;
    return CQ_OK;
  }
  return cq_error_set(err, CQ_ENOTFOUND, "subscribe: the run does not carry %s", symbol);
}

static int ind_list_push(ind_list *l, cq_indicator *ind, cq_error *err) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 4;
    cq_indicator **v = realloc(l->v, cap * sizeof(cq_indicator *));
    if (!v) return cq_error_set(err, CQ_ENOMEM, "indicator: no memory");
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = ind;
  return CQ_OK;
}

int cq_ctx_indicator(cq_ctx *ctx, const char *name, const char *params, int symbol,
                     cq_indicator **out, cq_error *err) {
  cq_kernel *k = ctx->k;
  if (symbol < 0 || symbol >= k->cfg.n_instruments)
    return cq_error_set(err, CQ_EINVAL, "indicator %s: unknown symbol %d", name, symbol);
  const cq_ta_def *def;
  double p[CQ_TA_MAX_PARAMS];
  int rc = cq_ta_lookup(name, &def, err);
  if (!rc) rc = cq_ta_params_parse(def, params ? params : "", p, err);
  if (rc) return rc;
  cq_indicator *ind = calloc(1, sizeof *ind);
  if (!ind) return cq_error_set(err, CQ_ENOMEM, "indicator %s: no memory", name);
  rc = cq_ta_stream_new(def, p, &ind->s, err);
  if (!rc) rc = ind_list_push(&k->inds[symbol], ind, err);
  if (rc) {
    if (ind->s) cq_ta_stream_free(ind->s);
    free(ind);
    return rc;
  }
  ind->n_in = def->n_inputs;
  for (int f = 0; f < def->n_inputs; f++) ind->in[f] = def->inputs[f];
  for (int o = 0; o < CQ_TA_MAX_OUTPUTS; o++) ind->out[o] = NAN;
  *out = ind;
  return CQ_OK;
}

double cq_ind_value(const cq_indicator *ind, int output) {
  return output >= 0 && output < CQ_TA_MAX_OUTPUTS ? ind->out[output] : NAN;
}

bool cq_ind_ready(const cq_indicator *ind) {
  return !isnan(ind->out[0]);
}

/* ---- orders ----------------------------------------------------------------------- */

static int check_req(const cq_kernel *k, const cq_order_req *r, cq_error *err) {
  if (r->symbol < 0 || r->symbol >= k->cfg.n_instruments)
    return cq_error_set(err, CQ_EINVAL, "order: unknown symbol %d", r->symbol);
  if (r->side != CQ_SIDE_BUY && r->side != CQ_SIDE_SELL)
    return cq_error_set(err, CQ_EINVAL, "order: side must be buy or sell");
  if ((unsigned)r->type >= CQ_ORDER_TYPE_COUNT || (unsigned)r->tif >= CQ_TIF_COUNT ||
      (unsigned)r->size.kind >= CQ_SIZE_COUNT)
    return cq_error_set(err, CQ_EINVAL, "order: unknown type, time in force or size kind");
  if (r->size.kind != CQ_SIZE_ALL_IN && !(r->size.value > 0))
    return cq_error_set(err, CQ_EINVAL, "order: size must be positive");
  if (r->size.kind == CQ_SIZE_PERCENT && r->size.value > 1)
    return cq_error_set(err, CQ_EINVAL, "order: percent size above 100 %%");
  bool limit = r->type == CQ_ORDER_LIMIT || r->type == CQ_ORDER_STOP_LIMIT;
  bool stop = r->type == CQ_ORDER_STOP || r->type == CQ_ORDER_STOP_LIMIT;
  if (limit && !(r->price > 0 && isfinite(r->price)))
    return cq_error_set(err, CQ_EINVAL, "order: a %s order needs a price > 0",
                        cq_order_type_name(r->type));
  if (stop && !(r->stop > 0 && isfinite(r->stop)))
    return cq_error_set(err, CQ_EINVAL, "order: a %s order needs a stop price > 0",
                        cq_order_type_name(r->type));
  if (r->tif == CQ_TIF_POST_ONLY && r->type != CQ_ORDER_LIMIT && r->type != CQ_ORDER_STOP_LIMIT)
    return cq_error_set(err, CQ_EINVAL, "order: post-only needs a limit price");
  return CQ_OK;
}

/* Prices on the tick grid (limit: buys down, sells up; stop: nearest), a fixed quantity on
 * the lot grid. */
static int fill_order(cq_kernel *k, cq_order *o, const cq_order_req *r, cq_error *err) {
  const cq_instrument *ins = &k->ins[r->symbol];
  int rc = CQ_OK;
  o->instrument = r->symbol;
  o->side = r->side;
  o->type = r->type;
  o->tif = r->tif;
  o->size = r->size;
  o->created = o->updated = cq_clock_now(&k->clock);
  o->active_at = reaches_book(k, o->created);
  if (r->type == CQ_ORDER_LIMIT || r->type == CQ_ORDER_STOP_LIMIT)
    rc = cq_price_on_tick(r->price, ins->tick,
                          r->side == CQ_SIDE_BUY ? CQ_ROUND_FLOOR : CQ_ROUND_CEIL, &o->price, err);
  if (!rc && (r->type == CQ_ORDER_STOP || r->type == CQ_ORDER_STOP_LIMIT))
    rc = cq_price_on_tick(r->stop, ins->tick, CQ_ROUND_HALF_EVEN, &o->stop, err);
  if (!rc && r->size.kind == CQ_SIZE_QTY) {
    cq_size_basis none = {.cash = CQ_DEC(0, 0), .equity = 0, .position = CQ_DEC(0, 0)};
    rc = cq_fill_qty(r->size, r->side, CQ_DEC(1, 0), k->cfg.match.taker_fee, ins, &none, &o->qty,
                     err);
  }
  return rc;
}

/* Links the two legs of a one-cancels-other pair both ways. */
static int link_oco(cq_kernel *k, int strategy, cq_order *o, uint64_t other, cq_error *err) {
  cq_order *p = cq__oms_get(&k->oms, other);
  if (!p || p->strategy != strategy || cq_order_state_terminal(p->state))
    return cq_error_set(err, CQ_ENOTFOUND, "order: oco order %" PRIu64 " is not open", other);
  o->oco = other;
  if (!p->oco) p->oco = o->id;
  return CQ_OK;
}

static int reject_now(cq_kernel *k, cq_order *o, const char *reason, cq_error *err) {
  cq_strlcpy(o->reason, reason, sizeof o->reason);
  int rc = cq_order_apply(o, CQ_OE_REJECT, k->cfg.log, err);
  if (rc) return rc;
  k->rejected++;
  return order_changed(k, o, err);
}

int cq_ctx_submit(cq_ctx *ctx, const cq_order_req *req, uint64_t *id, cq_error *err) {
  cq_kernel *k = ctx->k;
  if (!k->started || k->stopped) return cq_error_set(err, CQ_ESTATE, "order: kernel not running");
  if (cq_ctx_warming_up(ctx))
    return cq_error_set(err, CQ_ESTATE,
                        "order: the run is warming up (no orders before its "
                        "trading start)");
  int rc = check_req(k, req, err);
  if (rc) return rc;
  cq_order *o;
  rc = cq__oms_create(&k->oms, k->strats[ctx->index].def->name, ctx->index, &o, err);
  if (rc) return rc;
  rc = fill_order(k, o, req, err);
  if (!rc && req->oco) rc = link_oco(k, ctx->index, o, req->oco, err);
  if (rc) {
    /* the order exists (its id is taken): it is refused, the call reports why */
    (void)reject_now(k, o, err ? err->msg : "invalid order", NULL);
    return rc;
  }
  *id = o->id;
  if (req->size.kind == CQ_SIZE_QTY && o->qty.m == 0)
    return reject_now(k, o, "lot size: quantity is below one lot", err);
  rc = cq_order_apply(o, CQ_OE_SUBMIT, k->cfg.log, err);
  if (!rc) rc = order_changed(k, o, err);
  if (!rc) rc = cq_matcher_add(k->mx, o, err);
  if (rc) {
    char why[CQ_REASON_MAX];
    cq_strlcpy(why, err ? err->msg : "not accepted", sizeof why);
    (void)reject_now(k, o, why, NULL);
  }
  return rc;
}

int cq_ctx_buy(cq_ctx *ctx, int symbol, cq_size size, uint64_t *id, cq_error *err) {
  cq_order_req r = {.symbol = symbol,
                    .side = CQ_SIDE_BUY,
                    .type = CQ_ORDER_MARKET,
                    .tif = CQ_TIF_GTC,
                    .size = size};
  return cq_ctx_submit(ctx, &r, id, err);
}

int cq_ctx_close(cq_ctx *ctx, int symbol, uint64_t *id, cq_error *err) {
  *id = 0;
  if (cq_ctx_position(ctx, symbol).m <= 0) return CQ_OK;
  cq_order_req r = {.symbol = symbol,
                    .side = CQ_SIDE_SELL,
                    .type = CQ_ORDER_MARKET,
                    .tif = CQ_TIF_GTC,
                    .size = {.kind = CQ_SIZE_ALL_IN}};
  return cq_ctx_submit(ctx, &r, id, err);
}

int cq_ctx_cancel(cq_ctx *ctx, uint64_t id, cq_error *err) {
  cq_kernel *k = ctx->k;
  cq_order *o = cq__oms_get(&k->oms, id);
  if (!o || o->strategy != ctx->index || cq_order_state_terminal(o->state))
    return cq_error_set(err, CQ_ENOTFOUND, "cancel: order %" PRIu64 " is not open", id);
  cq_time now = cq_clock_now(&k->clock);
  return cq_matcher_cancel(k->mx, id, reaches_book(k, now), "cancelled by strategy", err);
}

void cq_ctx_cancel_all(cq_ctx *ctx, int symbol) {
  cq_kernel *k = ctx->k;
  for (uint64_t id = k->oms.first_open ? k->oms.first_open : 1; id <= k->oms.n; id++) {
    const cq_order *o = cq__oms_get(&k->oms, id);
    if (o->strategy != ctx->index || (symbol >= 0 && o->instrument != symbol)) continue;
    /* cancel_all is best effort: an order that finished meanwhile needs nothing */
    if (!cq_order_state_terminal(o->state) && cq_ctx_cancel(ctx, id, NULL) != CQ_OK) continue;
  }
}

const cq_order *cq_ctx_order(const cq_ctx *ctx, uint64_t id) {
  const cq_order *o = cq__oms_get(&ctx->k->oms, id);
  return o && o->strategy == ctx->index ? o : NULL;
}

size_t cq_ctx_open_orders(const cq_ctx *ctx, int symbol, const cq_order **out, size_t max) {
  const cq_kernel *k = ctx->k;
  size_t n = 0;
  for (uint64_t id = k->oms.first_open ? k->oms.first_open : 1; id <= k->oms.n; id++) {
    const cq_order *o = cq__oms_get(&k->oms, id);
    if (o->strategy != ctx->index || (symbol >= 0 && o->instrument != symbol)) continue;
    if (cq_order_state_terminal(o->state)) continue;
    if (out && n < max) out[n] = o;
    n++;
  }
  return n;
}

cq_dec cq_ctx_position(const cq_ctx *ctx, int symbol) {
  const cq_pf_position *p = cq_portfolio_position(ctx->k->pf, ctx->index, symbol);
  return p ? p->qty : CQ_DEC(0, 0);
}

double cq_ctx_position_value(const cq_ctx *ctx, int symbol) {
  const cq_pf_position *p = cq_portfolio_position(ctx->k->pf, ctx->index, symbol);
  return p && p->qty_d != 0 ? p->qty_d * ctx->k->last[symbol] : 0;
}

cq_dec cq_ctx_cash(const cq_ctx *ctx) {
  return ctx->k->cash ? ctx->k->cash->total : CQ_DEC(0, 0);
}

double cq_ctx_equity(const cq_ctx *ctx) {
  return cq_kernel_equity(ctx->k);
}

cq_size cq_ctx_default_size(const cq_ctx *ctx) {
  return ctx->k->cfg.size;
}

double cq_ctx_last_price(const cq_ctx *ctx, int symbol) {
  return symbol >= 0 && symbol < ctx->k->cfg.n_instruments ? ctx->k->last[symbol] : NAN;
}

int cq_ctx_timer(cq_ctx *ctx, cq_time at, uint64_t id, cq_error *err) {
  cq_kernel *k = ctx->k;
  if (at < cq_clock_now(&k->clock))
    return cq_error_set(err, CQ_EINVAL, "timer %" PRIu64 ": time is in the past", id);
  if (k->n_timers == k->cap_timers) {
    size_t cap = k->cap_timers ? k->cap_timers * 2 : 8;
    timer *v = realloc(k->timers, cap * sizeof *v);
    if (!v) return cq_error_set(err, CQ_ENOMEM, "timer: no memory");
    k->timers = v;
    k->cap_timers = cap;
  }
  size_t i = k->n_timers++;
  k->timers[i] = (timer){.at = at, .seq = ++k->timer_seq, .id = id, .strategy = ctx->index};
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!timer_before(&k->timers[i], &k->timers[p])) break;
    timer tmp = k->timers[i];
    k->timers[i] = k->timers[p];
    k->timers[p] = tmp;
    i = p;
  }
  return CQ_OK;
}

void cq_ctx_log(cq_ctx *ctx, cq_log_level level, const char *fmt, ...) {
  cq_log *log = ctx->k->cfg.log;
  if (!log || !cq_log_enabled(log, level)) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  CQ_LOG(log, level, msg, CQ_F_STR("strategy", ctx->k->strats[ctx->index].def->name));
}
