/* The matching engine: simulated orders resting per instrument, matched against candles
 * (the intrabar path of cq_bar_path) or trades. All price, fee, size and rule arithmetic is
 * the shared one of fill.c, so both backtest engines fill alike.
 *
 * An order reaches the matcher SUBMITTED. Orders that act the moment they arrive (market,
 * a marketable limit, IOC/FOK, post-only that would cross) stay SUBMITTED until that
 * moment decides them, so a refusal is a REJECT; resting orders are ACCEPTED when they
 * arrive. Nothing here allocates per bar: the lists grow only when orders are added. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/core/strutil.h"
#include "cquant/match.h"

enum { REASON_LEN = 64 };

typedef struct entry {
  cq_order *o;
  cq_time cancel_at; /* INT64_MAX: no cancel asked */
  bool fresh;        /* activated on this bar: arrival logic still to run */
  bool done;         /* had its fill on this bar (one fill per order and bar) */
  char cancel_reason[REASON_LEN];
} entry;

typedef struct book {
  entry *e;
  size_t n, cap;
} book;

struct cq_matcher {
  cq_match_config cfg;
  cq_match_hooks hooks;
  int n_ins;
  cq_instrument *ins;
  book *books;
};

/* Where and how a fill happens. */
typedef struct venue_at {
  const cq_candle *bar; /* NULL on trade data */
  cq_time time;         /* stamp of the fill */
  cq_dec *avail;        /* quantity a trade has left; NULL on bars */
} venue_at;

static bool working(const cq_order *o) {
  return !cq_order_state_terminal(o->state);
}

static int move(cq_matcher *m, cq_order *o, cq_order_event ev, cq_time t, const char *reason,
                cq_error *err) {
  if (reason) cq_strlcpy(o->reason, reason, sizeof o->reason);
  o->updated = t;
  if (m->hooks.event) return m->hooks.event(m->hooks.ctx, o, ev, err);
  return cq_order_transition(o->state, ev, &o->state, err);
}

/* Refused at the moment it acts: REJECTED before acceptance, EXPIRED after. */
static int refuse(cq_matcher *m, cq_order *o, cq_time t, const char *reason, cq_error *err) {
  cq_order_event ev = o->state == CQ_OS_SUBMITTED ? CQ_OE_REJECT : CQ_OE_EXPIRE;
  return move(m, o, ev, t, reason, err);
}

static int expire(cq_matcher *m, cq_order *o, cq_time t, const char *reason, cq_error *err) {
  return move(m, o, CQ_OE_EXPIRE, t, reason, err);
}

/* ---- life cycle --------------------------------------------------------------------- */

void cq_matcher_free(cq_matcher *m) {
  if (!m) return;
  for (int i = 0; m->books && i < m->n_ins; i++) free(m->books[i].e);
  free(m->books);
  free(m->ins);
  free(m);
}

int cq_matcher_new(const cq_match_config *cfg, const cq_instrument *ins, int n_ins,
                   const cq_match_hooks *hooks, cq_matcher **out, cq_error *err) {
  if (!cfg || !ins || n_ins < 1 || !hooks || !hooks->basis || !hooks->fill)
    return cq_error_set(err, CQ_EINVAL, "matcher: needs a config, instruments and hooks");
  for (int i = 0; i < n_ins; i++)
    if (ins[i].tick.m <= 0 || ins[i].lot.m <= 0)
      return cq_error_set(err, CQ_EINVAL, "matcher: %s: tick and lot must be positive",
                          ins[i].symbol);
  cq_matcher *m = calloc(1, sizeof *m);
  if (!m) return cq_error_set(err, CQ_ENOMEM, "matcher: no memory");
  m->cfg = *cfg;
  m->hooks = *hooks;
  m->n_ins = n_ins;
  m->ins = malloc((size_t)n_ins * sizeof *m->ins);
  m->books = calloc((size_t)n_ins, sizeof *m->books);
  if (!m->ins || !m->books) {
    cq_matcher_free(m);
    return cq_error_set(err, CQ_ENOMEM, "matcher: no memory for %d instruments", n_ins);
  }
  memcpy(m->ins, ins, (size_t)n_ins * sizeof *m->ins);
  *out = m;
  return CQ_OK;
}

static int check_order(const cq_matcher *m, const cq_order *o, cq_error *err) {
  if (o->instrument < 0 || o->instrument >= m->n_ins)
    return cq_error_set(err, CQ_EINVAL, "matcher: order %s: unknown instrument %d", o->client_id,
                        o->instrument);
  if (o->state != CQ_OS_SUBMITTED)
    return cq_error_set(err, CQ_EINVAL, "matcher: order %s is %s, not submitted", o->client_id,
                        cq_order_state_name(o->state));
  if ((o->type == CQ_ORDER_LIMIT || o->type == CQ_ORDER_STOP_LIMIT) && o->price.m <= 0)
    return cq_error_set(err, CQ_EINVAL, "matcher: order %s: a %s order needs a price", o->client_id,
                        cq_order_type_name(o->type));
  if ((o->type == CQ_ORDER_STOP || o->type == CQ_ORDER_STOP_LIMIT) && o->stop.m <= 0)
    return cq_error_set(err, CQ_EINVAL, "matcher: order %s: a %s order needs a stop price",
                        o->client_id, cq_order_type_name(o->type));
  return CQ_OK;
}

int cq_matcher_add(cq_matcher *m, cq_order *o, cq_error *err) {
  int rc = check_order(m, o, err);
  if (rc) return rc;
  book *b = &m->books[o->instrument];
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 16;
    entry *e = realloc(b->e, cap * sizeof *e);
    if (!e) return cq_error_set(err, CQ_ENOMEM, "matcher: no memory for order %s", o->client_id);
    b->e = e;
    b->cap = cap;
  }
  /* the book stays in id order (ties on the path go by id); the kernel adds in that order */
  size_t at = b->n;
  while (at > 0 && b->e[at - 1].o->id > o->id) {
    b->e[at] = b->e[at - 1];
    at--;
  }
  b->e[at] = (entry){.o = o, .cancel_at = INT64_MAX};
  b->n++;
  return CQ_OK;
}

static entry *find_entry(cq_matcher *m, uint64_t id) {
  for (int i = 0; i < m->n_ins; i++)
    for (size_t k = 0; k < m->books[i].n; k++)
      if (m->books[i].e[k].o->id == id && working(m->books[i].e[k].o)) return &m->books[i].e[k];
  return NULL;
}

int cq_matcher_cancel(cq_matcher *m, uint64_t id, cq_time at, const char *reason, cq_error *err) {
  entry *e = find_entry(m, id);
  if (!e) return cq_error_set(err, CQ_ENOTFOUND, "matcher: order %" PRIu64 " is not working", id);
  if (at < e->cancel_at) {
    e->cancel_at = at;
    cq_strlcpy(e->cancel_reason, reason ? reason : "cancelled", sizeof e->cancel_reason);
  }
  return CQ_OK;
}

size_t cq_matcher_open(const cq_matcher *m, int ins) {
  size_t n = 0;
  for (int i = 0; i < m->n_ins; i++) {
    if (ins >= 0 && i != ins) continue;
    for (size_t k = 0; k < m->books[i].n; k++) n += working(m->books[i].e[k].o);
  }
  return n;
}

/* Drops finished orders, keeping the rest in id order. */
static void compact(book *b) {
  size_t w = 0;
  for (size_t r = 0; r < b->n; r++)
    if (working(b->e[r].o)) b->e[w++] = b->e[r];
  b->n = w;
}

/* ---- one fill ----------------------------------------------------------------------- */

static cq_dec rate_of(const cq_matcher *m, cq_liquidity liq) {
  return liq == CQ_LIQ_MAKER ? m->cfg.maker_fee : m->cfg.taker_fee;
}

/* A taker's price: reference, slippage (SQRT sized by the quantity at the unslipped
 * price), then the tick grid against the taker. */
static int taker_price(cq_matcher *m, const cq_order *o, double ref, const cq_candle *bar,
                       cq_dec *out, cq_error *err) {
  const cq_instrument *ins = &m->ins[o->instrument];
  bool buy = o->side == CQ_SIDE_BUY;
  cq_round mode = buy ? CQ_ROUND_CEIL : CQ_ROUND_FLOOR;
  double est = 0;
  if (m->cfg.slippage.kind == CQ_SLIP_SQRT) {
    cq_dec p0, q0 = o->qty;
    int rc = cq_price_on_tick(ref, ins->tick, mode, &p0, err);
    if (rc) return rc;
    if (q0.m == 0) {
      cq_size_basis basis;
      m->hooks.basis(m->hooks.ctx, o, cq_dec_to_double(p0), &basis);
      rc = cq_fill_qty(o->size, o->side, p0, m->cfg.taker_fee, ins, &basis, &q0, err);
      if (rc) return rc;
    }
    est = cq_dec_to_double(q0);
  }
  double p = cq_slip_price(&m->cfg.slippage, o->side, ref, bar, est);
  return cq_price_on_tick(p, ins->tick, mode, out, err);
}

/* The cap of one fill: a share of the bar's volume on the lot grid, or what a trade has
 * left. Writes whether there is a cap. */
static int fill_cap(const cq_matcher *m, const cq_order *o, const venue_at *at, cq_dec *cap,
                    bool *capped, cq_error *err) {
  *capped = false;
  if (at->avail) {
    *cap = *at->avail;
    *capped = true;
    return CQ_OK;
  }
  if (!(m->cfg.max_volume_share > 0) || !at->bar) return CQ_OK;
  const cq_instrument *ins = &m->ins[o->instrument];
  double v = m->cfg.max_volume_share * at->bar->volume;
  *capped = true;
  if (!(v >= cq_dec_to_double(ins->lot))) {
    *cap = CQ_DEC(0, ins->lot.scale);
    return CQ_OK;
  }
  return cq_price_on_tick(v, ins->lot, CQ_ROUND_FLOOR, cap, err);
}

/* The quantity of this fill: the order's (resolved now for percent and all-in sizes),
 * less what has filled, within the cap. *qty zero: nothing to do (*why says why). */
static int fill_size(cq_matcher *m, cq_order *o, cq_dec price, cq_liquidity liq, const venue_at *at,
                     cq_dec *qty, const char **why, cq_error *err) {
  const cq_instrument *ins = &m->ins[o->instrument];
  int rc;
  *why = NULL;
  if (o->qty.m == 0) {
    cq_size_basis basis;
    m->hooks.basis(m->hooks.ctx, o, cq_dec_to_double(price), &basis);
    rc = cq_fill_qty(o->size, o->side, price, rate_of(m, liq), ins, &basis, &o->qty, err);
    if (rc) return rc;
    if (o->qty.m == 0 && o->side == CQ_SIDE_SELL) {
      *qty = o->qty;
      *why = "nothing to sell";
      return CQ_OK;
    }
  }
  cq_dec rest, cap;
  bool capped;
  rc = cq_dec_sub(o->qty, o->filled, &rest, err);
  if (!rc) rc = fill_cap(m, o, at, &cap, &capped, err);
  if (rc) return rc;
  if (capped && cq_dec_cmp(cap, rest) < 0) {
    if (o->tif == CQ_TIF_FOK) {
      *qty = CQ_DEC(0, 0);
      *why = "fill or kill: not enough volume";
      return CQ_OK;
    }
    rest = cap;
  }
  *qty = rest;
  return CQ_OK;
}

static int book_fill(cq_matcher *m, cq_order *o, cq_dec price, cq_dec qty, cq_liquidity liq,
                     cq_time t, cq_error *err) {
  cq_fill f = {.order_id = o->id,
               .strategy = o->strategy,
               .instrument = o->instrument,
               .side = o->side,
               .price = price,
               .qty = qty,
               .liquidity = liq,
               .time = t};
  cq_strlcpy(f.client_id, o->client_id, sizeof f.client_id);
  cq_dec notional = {0}, filled, quote, fees;
  int rc = cq_fill_fee(price, qty, rate_of(m, liq), &f.fee, err);
  if (!rc) rc = cq_fill_notional(price, qty, &notional, err);
  if (!rc) rc = cq_dec_add(o->filled, qty, &filled, err);
  if (!rc) rc = cq_dec_add(o->filled_quote, notional, &quote, err);
  if (!rc) rc = cq_dec_add(o->fees, f.fee, &fees, err);
  if (rc) return rc;
  o->filled = filled;
  o->filled_quote = quote;
  o->fees = fees;
  rc = m->hooks.fill(m->hooks.ctx, o, &f, err);
  if (rc) return rc;
  if (o->state == CQ_OS_SUBMITTED) rc = move(m, o, CQ_OE_ACCEPT, t, NULL, err);
  if (rc) return rc;
  bool full = cq_dec_cmp(filled, o->qty) >= 0;
  return move(m, o, full ? CQ_OE_FILL : CQ_OE_PARTIAL, t, NULL, err);
}

/* One-cancels-other: the other leg goes at once when this one fills. */
static int cancel_oco(cq_matcher *m, const cq_order *o, cq_time t, cq_error *err) {
  if (!o->oco) return CQ_OK;
  entry *e = find_entry(m, o->oco);
  if (!e) return CQ_OK;
  char why[REASON_LEN];
  snprintf(why, sizeof why, "oco: order %" PRIu64 " filled", o->id);
  return move(m, e->o, CQ_OE_CANCEL, t, why, err);
}

/* Fills e at price (maker at its limit, or taker at a reference already slipped and on
 * tick), within the cap, after the venue's checks. Refusals are order events, not errors. */
static int execute(cq_matcher *m, entry *e, cq_dec price, cq_liquidity liq, const venue_at *at,
                   cq_error *err) {
  cq_order *o = e->o;
  const cq_instrument *ins = &m->ins[o->instrument];
  cq_dec qty;
  const char *why;
  e->done = true;
  int rc = fill_size(m, o, price, liq, at, &qty, &why, err);
  if (rc) return rc;
  if (why) return expire(m, o, at->time, why, err);
  bool immediate = o->tif == CQ_TIF_IOC || o->tif == CQ_TIF_FOK;
  if (o->qty.m == 0) { /* a size that comes to less than a lot: the venue's words say why */
    cq_size_basis basis;
    cq_error why_err;
    m->hooks.basis(m->hooks.ctx, o, cq_dec_to_double(price), &basis);
    if (cq_fill_check(o->side, price, o->qty, rate_of(m, liq), ins, &basis, &why_err))
      return refuse(m, o, at->time, why_err.msg, err);
  }
  if (qty.m == 0) /* capped to nothing: keeps working, unless it must act now */
    return immediate ? expire(m, o, at->time, "no volume to fill", err) : CQ_OK;
  cq_size_basis basis;
  cq_error why_err;
  m->hooks.basis(m->hooks.ctx, o, cq_dec_to_double(price), &basis);
  if (cq_fill_check(o->side, price, qty, rate_of(m, liq), ins, &basis, &why_err))
    return refuse(m, o, at->time, why_err.msg, err);
  rc = book_fill(m, o, price, qty, liq, at->time, err);
  if (!rc && at->avail) rc = cq_dec_sub(*at->avail, qty, at->avail, err);
  if (!rc) rc = cancel_oco(m, o, at->time, err);
  if (!rc && immediate && working(o)) rc = expire(m, o, at->time, "immediate or cancel: rest", err);
  return rc;
}

static int execute_taker(cq_matcher *m, entry *e, double ref, const venue_at *at, cq_error *err) {
  cq_dec price;
  int rc = taker_price(m, e->o, ref, at->bar, &price, err);
  if (rc) return rc;
  return execute(m, e, price, CQ_LIQ_TAKER, at, err);
}

/* ---- arrival, cancels ------------------------------------------------------------- */

static int apply_cancels(cq_matcher *m, book *b, cq_time t, cq_error *err) {
  for (size_t k = 0; k < b->n; k++) {
    entry *e = &b->e[k];
    e->done = false;
    if (!working(e->o) || e->cancel_at > t) continue;
    int rc = move(m, e->o, CQ_OE_CANCEL, t, e->cancel_reason, err);
    if (rc) return rc;
  }
  return CQ_OK;
}

/* Orders due become active; resting kinds are accepted now, the rest act on arrival. */
static int activate(cq_matcher *m, book *b, cq_time t, cq_error *err) {
  for (size_t k = 0; k < b->n; k++) {
    entry *e = &b->e[k];
    cq_order *o = e->o;
    if (o->state != CQ_OS_SUBMITTED || o->active_at > t) continue;
    e->fresh = true;
    if (o->type == CQ_ORDER_STOP || o->type == CQ_ORDER_STOP_LIMIT) {
      int rc = move(m, o, CQ_OE_ACCEPT, t, NULL, err);
      if (rc) return rc;
    }
  }
  return CQ_OK;
}

static bool limit_marketable(const cq_order *o, double px) {
  double lim = cq_dec_to_double(o->price);
  return o->side == CQ_SIDE_BUY ? lim >= px : lim <= px;
}

/* A limit at the moment it acts (arrival, or its stop trading at px): taker at px when
 * marketable, else it rests (IOC/FOK expire, post-only that would cross is refused). */
static int limit_arrives(cq_matcher *m, entry *e, double px, const venue_at *at, cq_error *err) {
  cq_order *o = e->o;
  e->fresh = false;
  if (limit_marketable(o, px)) {
    if (o->tif == CQ_TIF_POST_ONLY) {
      e->done = true;
      return refuse(m, o, at->time, "post-only order would cross", err);
    }
    return execute_taker(m, e, px, at, err);
  }
  if (o->tif == CQ_TIF_IOC || o->tif == CQ_TIF_FOK) {
    e->done = true;
    return expire(m, o, at->time, "not marketable on arrival", err);
  }
  if (o->state == CQ_OS_SUBMITTED) return move(m, o, CQ_OE_ACCEPT, at->time, NULL, err);
  return CQ_OK;
}

/* ---- candles: the intrabar path ---------------------------------------------------- */

typedef struct path {
  double p[4];
  double d[4]; /* distance travelled when the path reaches p[k] */
} path;

static void path_of(const cq_candle *bar, path *P) {
  cq_bar_path(bar, P->p);
  P->d[0] = 0;
  for (int k = 1; k < 4; k++) P->d[k] = P->d[k - 1] + fabs(P->p[k] - P->p[k - 1]);
}

static bool satisfies(double px, double level, int dir, bool strict) {
  if (dir > 0) return strict ? px > level : px >= level;
  return strict ? px < level : px <= level;
}

/* The first point at or after distance from where the price is at or beyond level (dir
 * +1: above, -1: below; strict: beyond only). Writes its distance and the price there:
 * the level when the path crosses it, the price itself when it is already beyond. */
static bool path_find(const path *P, double from, double level, int dir, bool strict, double *pos,
                      double *px) {
  for (int k = 0; k < 3; k++) {
    double a = P->p[k], b = P->p[k + 1], d0 = P->d[k], d1 = P->d[k + 1];
    if (d1 < from) continue;
    double s = from > d0 ? from : d0;
    double ps = a + (b >= a ? 1.0 : -1.0) * (s - d0);
    if (satisfies(ps, level, dir, strict)) {
      *pos = s;
      *px = ps;
      return true;
    }
    if (satisfies(b, level, dir, strict)) {
      *pos = d0 + fabs(level - a);
      *px = level;
      return true;
    }
  }
  return false;
}

typedef enum ev_kind { EV_ARRIVE, EV_TRIGGER, EV_REST } ev_kind;

/* The next thing that happens to e on the path from distance `from`. */
static bool next_event(const cq_matcher *m, const entry *e, const path *P, double from, double *pos,
                       double *px, ev_kind *kind) {
  const cq_order *o = e->o;
  int up = o->side == CQ_SIDE_BUY ? 1 : -1;
  if (e->done || !working(o) || o->type == CQ_ORDER_MARKET) return false;
  if (o->state == CQ_OS_SUBMITTED && !e->fresh) return false; /* not on the book yet */
  if (o->type == CQ_ORDER_LIMIT && e->fresh) {
    *pos = 0;
    *px = P->p[0];
    *kind = EV_ARRIVE;
    return true;
  }
  if ((o->type == CQ_ORDER_STOP || o->type == CQ_ORDER_STOP_LIMIT) && !o->triggered) {
    *kind = EV_TRIGGER; /* a buy stop when the price reaches it from below, a sell mirrored */
    return path_find(P, from, cq_dec_to_double(o->stop), up, false, pos, px);
  }
  if (o->type == CQ_ORDER_STOP) return false; /* triggered: fills at the next open */
  *kind = EV_REST; /* a resting buy limit fills when the price trades below it */
  return path_find(P, from, cq_dec_to_double(o->price), -up, !m->cfg.touch_fill, pos, px);
}

static int on_event(cq_matcher *m, entry *e, ev_kind kind, double px, const venue_at *at,
                    cq_error *err) {
  cq_order *o = e->o;
  switch (kind) {
    case EV_ARRIVE:
      return limit_arrives(m, e, px, at, err);
    case EV_TRIGGER:
      o->triggered = true;
      e->fresh = false;
      if (o->type == CQ_ORDER_STOP) return execute_taker(m, e, px, at, err);
      return limit_arrives(m, e, px, at, err);
    default:
      return execute(m, e, o->price, CQ_LIQ_MAKER, at, err);
  }
}

/* Stops and limits in path order, ties by order id (the book is in id order). */
static int match_path(cq_matcher *m, book *b, const cq_candle *bar, const venue_at *at,
                      cq_error *err) {
  path P;
  path_of(bar, &P);
  double cur = 0;
  for (;;) {
    entry *best = NULL;
    double best_pos = INFINITY, best_px = 0;
    ev_kind best_kind = EV_REST;
    for (size_t k = 0; k < b->n; k++) {
      double pos, px;
      ev_kind kind;
      if (!next_event(m, &b->e[k], &P, cur, &pos, &px, &kind)) continue;
      if (pos < best_pos) {
        best = &b->e[k];
        best_pos = pos;
        best_px = px;
        best_kind = kind;
      }
    }
    if (!best) return CQ_OK;
    cur = best_pos;
    int rc = on_event(m, best, best_kind, best_px, at, err);
    if (rc) return rc;
  }
}

/* Market orders (and triggered stops still working) at the open, in id order. */
static int match_open(cq_matcher *m, book *b, const cq_candle *bar, const venue_at *at,
                      cq_error *err) {
  for (size_t k = 0; k < b->n; k++) {
    entry *e = &b->e[k];
    cq_order *o = e->o;
    bool market = o->type == CQ_ORDER_MARKET || (o->type == CQ_ORDER_STOP && o->triggered);
    if (!market || !working(o) || e->done) continue;
    if (o->state == CQ_OS_SUBMITTED && !e->fresh) continue; /* not yet active */
    e->fresh = false;
    int rc = execute_taker(m, e, bar->open, at, err);
    if (rc) return rc;
  }
  return CQ_OK;
}

int cq_matcher_bar(cq_matcher *m, int ins, const cq_candle *bar, cq_error *err) {
  if (ins < 0 || ins >= m->n_ins)
    return cq_error_set(err, CQ_EINVAL, "matcher: unknown instrument %d", ins);
  book *b = &m->books[ins];
  if (b->n == 0) return CQ_OK;
  venue_at at = {.bar = bar, .time = bar->open_time, .avail = NULL};
  int rc = apply_cancels(m, b, bar->open_time, err);
  if (!rc) rc = activate(m, b, bar->open_time, err);
  if (!rc) rc = match_open(m, b, bar, &at, err);
  if (!rc) rc = match_path(m, b, bar, &at, err);
  compact(b);
  return rc;
}

int cq_matcher_close(cq_matcher *m, int ins, const cq_candle *bar, cq_time close_time,
                     cq_error *err) {
  if (ins < 0 || ins >= m->n_ins)
    return cq_error_set(err, CQ_EINVAL, "matcher: unknown instrument %d", ins);
  book *b = &m->books[ins];
  /* a fill at the close happens at the close */
  venue_at at = {.bar = bar, .time = close_time, .avail = NULL};
  int rc = CQ_OK;
  for (size_t k = 0; k < b->n && !rc; k++) {
    entry *e = &b->e[k];
    cq_order *o = e->o;
    if (o->type != CQ_ORDER_MARKET || o->state != CQ_OS_SUBMITTED || o->active_at > close_time)
      continue;
    e->done = false;
    rc = execute_taker(m, e, bar->close, &at, err);
  }
  compact(b);
  return rc;
}

/* ---- trades ---------------------------------------------------------------------- */

static int trade_one(cq_matcher *m, entry *e, double px, const venue_at *at, cq_error *err) {
  cq_order *o = e->o;
  int up = o->side == CQ_SIDE_BUY ? 1 : -1;
  if (!working(o) || (o->state == CQ_OS_SUBMITTED && !e->fresh)) return CQ_OK;
  if (at->avail->m <= 0) return CQ_OK;
  switch (o->type) {
    case CQ_ORDER_MARKET:
      e->fresh = false;
      return execute_taker(m, e, px, at, err);
    case CQ_ORDER_STOP:
    case CQ_ORDER_STOP_LIMIT:
      if (!o->triggered) {
        if (!satisfies(px, cq_dec_to_double(o->stop), up, false)) return CQ_OK;
        o->triggered = true;
        e->fresh = false;
        if (o->type == CQ_ORDER_STOP) return execute_taker(m, e, px, at, err);
        return limit_arrives(m, e, px, at, err);
      }
      if (o->type == CQ_ORDER_STOP) return execute_taker(m, e, px, at, err);
      break;
    default:
      if (e->fresh) return limit_arrives(m, e, px, at, err);
      break;
  }
  if (!satisfies(px, cq_dec_to_double(o->price), -up, !m->cfg.touch_fill)) return CQ_OK;
  return execute(m, e, o->price, CQ_LIQ_MAKER, at, err);
}

int cq_matcher_trade(cq_matcher *m, int ins, const cq_trade *t, cq_error *err) {
  if (ins < 0 || ins >= m->n_ins)
    return cq_error_set(err, CQ_EINVAL, "matcher: unknown instrument %d", ins);
  book *b = &m->books[ins];
  if (b->n == 0) return CQ_OK;
  cq_dec avail = t->qty;
  venue_at at = {.bar = NULL, .time = t->time, .avail = &avail};
  double px = cq_dec_to_double(t->price);
  int rc = apply_cancels(m, b, t->time, err);
  if (!rc) rc = activate(m, b, t->time, err);
  for (size_t k = 0; k < b->n && !rc; k++) rc = trade_one(m, &b->e[k], px, &at, err);
  compact(b);
  return rc;
}

int cq_matcher_expire_all(cq_matcher *m, cq_time at, const char *reason, cq_error *err) {
  for (int i = 0; i < m->n_ins; i++) {
    book *b = &m->books[i];
    for (size_t k = 0; k < b->n; k++) {
      if (!working(b->e[k].o)) continue;
      int rc = expire(m, b->e[k].o, at, reason, err);
      if (rc) return rc;
    }
    compact(b);
  }
  return CQ_OK;
}
