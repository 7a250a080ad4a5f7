/* Bybit streams over vfeed.h: publicTrade, orderbook.1 (quotes), orderbook.200 (books) and
 * kline on /v5/public/spot; order, execution and wallet on /v5/private after auth.
 * {"op":"ping"} when idle. Books: a snapshot (or any message with u == 1) resets the book,
 * each delta needs u == previous u + 1; a break makes the book invalid and subscribing
 * again makes Bybit send a new snapshot.
 *
 * An execution does not carry its order's state: it goes to the handler as CQ_VEV_ORDER
 * with the fill and the order as its last order event said (kept per client id for the
 * last few orders), or, for an order not seen yet, PARTIAL with what the fill says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bybit.h"
#include "bybit_adapter.h"
#include "vfeed.h"

enum { BYBIT_BOOK_LEVELS = 5000, BYBIT_BOOK_DEPTH = 200, BYBIT_RECENT_ORDERS = 64 };

/* The decode buffer of one connection and the recent orders' last states. */
/* The last best bid and ask of a symbol (orderbook.1 deltas may carry one side). */
typedef struct by_top {
  char native[CQ_SYMBOL_MAX];
  cq_quote q;
} by_top;

typedef struct by_conn_msg {
  cq_bybit_msg m;
  cq_venue_order recent[BYBIT_RECENT_ORDERS];
  size_t nrecent, next;
  by_top tops[VF_SUBS_MAX];
  size_t ntops;
} by_conn_msg;

static int by_role(cq_vchan ch) {
  return ch == CQ_VCH_USER ? VF_PRIVATE : VF_PUBLIC;
}

static int by_sub_msg(const char *op, const cq_venue_sub *subs, const char *const *natives,
                      size_t n, char *buf, size_t cap, cq_error *err) {
  return cq_bybit_subscribe_msg(op, subs, natives, n, BYBIT_BOOK_DEPTH, buf, cap, err);
}

static int by_login(void *venue, char *buf, size_t cap, cq_error *err) {
  bybit_venue *v = venue;
  /* the request is good for 10 s by the venue's clock */
  return cq_bybit_auth_msg(v->core.api_key, v->core.api_secret,
                           cq__vr_server_now_ms(&v->core) + 10000, buf, cap, err);
}

static void *by_book_new(cq_error *err) {
  cq_bybit_book_sync *s = NULL;
  return cq_bybit_book_sync_new(BYBIT_BOOK_LEVELS, &s, err) < 0 ? NULL : s;
}

static void by_book_free(void *s) {
  cq_bybit_book_sync_free(s);
}

static void by_book_reset(void *s) {
  cq_bybit_book_sync_reset(s);
}

static void *by_msg_new(void) {
  by_conn_msg *m = calloc(1, sizeof *m);
  if (m) cq_bybit_msg_init(&m->m);
  return m;
}

static void by_msg_free(void *p) {
  by_conn_msg *m = p;
  if (!m) return;
  cq_bybit_msg_release(&m->m);
  free(m);
}

static cq_time wall_now(void) {
  cq_clock c;
  cq_clock_wall_init(&c);
  return cq_clock_now(&c);
}

static void remember(by_conn_msg *cm, const cq_venue_order *o) {
  for (size_t i = 0; i < cm->nrecent; i++)
    if (strcmp(cm->recent[i].client_id, o->client_id) == 0) {
      cm->recent[i] = *o;
      return;
    }
  cm->recent[cm->next] = *o;
  cm->next = (cm->next + 1) % BYBIT_RECENT_ORDERS;
  if (cm->nrecent < BYBIT_RECENT_ORDERS) cm->nrecent++;
}

static const cq_venue_order *recall(const by_conn_msg *cm, const char *client_id) {
  for (size_t i = 0; i < cm->nrecent; i++)
    if (*client_id && strcmp(cm->recent[i].client_id, client_id) == 0) return &cm->recent[i];
  return NULL;
}

/* orderbook.1: a quote, not a book. */
static void on_top(vfeed *f, by_conn_msg *cm) {
  const cq_vbook_msg *bm = &cm->m.book;
  by_top *t = NULL;
  for (size_t i = 0; i < cm->ntops && !t; i++)
    if (strcmp(cm->tops[i].native, bm->native) == 0) t = &cm->tops[i];
  if (!t) {
    if (cm->ntops == VF_SUBS_MAX) return;
    t = &cm->tops[cm->ntops++];
    memset(t, 0, sizeof *t);
    snprintf(t->native, sizeof t->native, "%s", bm->native);
  }
  if (bm->snapshot) memset(&t->q, 0, sizeof t->q);
  if (bm->nbids) {
    t->q.bid = bm->bids[0].price;
    t->q.bid_qty = bm->bids[0].qty;
  }
  if (bm->nasks) {
    t->q.ask = bm->asks[0].price;
    t->q.ask_qty = bm->asks[0].qty;
  }
  t->q.update_id = (uint64_t)bm->seq;
  cq_venue_event ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = CQ_VEV_QUOTE;
  const char *u = cq_bn_to_unified(cq__bybit_syms(f->venue), bm->native);
  snprintf(ev.symbol, sizeof ev.symbol, "%s", u ? u : bm->native);
  ev.event_time = bm->time;
  ev.u.quote = t->q;
  cq__vf_emit(f, &ev);
}

static void by_on_message(vf_conn *c, void *p, const char *data, size_t len) {
  vfeed *f = c->f;
  by_conn_msg *cm = p;
  cq_bybit_msg *m = &cm->m;
  cq_error e;
  cq_error_clear(&e);
  int rc = cq_bybit_parse_ws(data, len, cq__bybit_syms(f->venue), wall_now(), m, &e);
  if (rc < 0) {
    if (rc != CQ_EUNSUPPORTED && f->log)
      cq_logf(f->log, CQ_LOG_WARN, "bybit: stream message skipped: %s", e.msg);
    return;
  }
  switch (m->kind) {
    case CQ_BYBIT_MSG_PONG:
      return;
    case CQ_BYBIT_MSG_ACK:
      if (strcmp(m->op, "auth") == 0) {
        if (m->success) {
          c->logged_in = true;
          cq__vf_subscribe(c);
        } else {
          char why[CQ_REASON_MAX];
          snprintf(why, sizeof why, "bybit auth refused %d: %.100s", m->ret_code, m->ret_msg);
          cq__vf_status(f, NULL, CQ_VST_STOPPED, why);
        }
      } else if (!m->success && strcmp(m->op, "subscribe") == 0) {
        char why[CQ_REASON_MAX];
        snprintf(why, sizeof why, "bybit subscription refused: %.120s", m->ret_msg);
        cq__vf_status(f, NULL, CQ_VST_STOPPED, why);
      }
      return;
    case CQ_BYBIT_MSG_BOOK: {
      if (strncmp(m->topic, "orderbook.1.", 12) == 0) {
        on_top(f, cm);
        return;
      }
      vf_book *b = cq__vf_book(f, m->book.native);
      if (!b) return;
      cq_vsync_result r = CQ_VSYNC_WAITING;
      if (cq_bybit_book_sync_apply(b->sync, &m->book, &r, &e) < 0) {
        cq__vf_book_broken(c, b, e.msg);
        return;
      }
      cq__vf_book_result(c, b, r, cq_bybit_book_sync_book(b->sync), m->book.time);
      return;
    }
    case CQ_BYBIT_MSG_EVENTS:
      for (size_t i = 0; i < m->events.n; i++) {
        cq_venue_event *ev = &m->events.ev[i];
        if (ev->kind == CQ_VEV_ORDER) remember(cm, &ev->u.order.order);
        cq__vf_emit(f, ev);
      }
      return;
    case CQ_BYBIT_MSG_FILLS:
      for (size_t i = 0; i < m->nfills; i++) {
        const cq_venue_fill *fl = &m->fills[i];
        cq_venue_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = CQ_VEV_ORDER;
        snprintf(ev.symbol, sizeof ev.symbol, "%s", fl->symbol);
        ev.event_time = fl->time;
        const cq_venue_order *known = recall(cm, fl->client_id);
        if (known) {
          ev.u.order.order = *known;
        } else {
          cq_venue_order *o = &ev.u.order.order;
          snprintf(o->symbol, sizeof o->symbol, "%s", fl->symbol);
          snprintf(o->client_id, sizeof o->client_id, "%s", fl->client_id);
          snprintf(o->venue_id, sizeof o->venue_id, "%s", fl->venue_order_id);
          o->side = fl->side;
          o->state = CQ_OS_PARTIAL;
          o->updated = fl->time;
        }
        ev.u.order.has_fill = true;
        ev.u.order.fill = *fl;
        cq__vf_emit(f, &ev);
      }
      return;
  }
}

static const vfeed_dialect by_feed = {
    .name = "bybit",
    .text_ping = CQ_BYBIT_PING,
    .role_of = by_role,
    .paths = {"/v5/public/spot", "/v5/public/spot", "/v5/private"},
    .sub_msg = by_sub_msg,
    .login_msg = by_login,
    .book_new = by_book_new,
    .book_free = by_book_free,
    .book_reset = by_book_reset,
    .msg_new = by_msg_new,
    .msg_free = by_msg_free,
    .on_message = by_on_message,
};

int cq__bybit_subscribe(cq_venue *base, const cq_venue_sub *subs, size_t n,
                        const cq_venue_handler *h, cq_venue_stream **out, cq_verror *ve) {
  bybit_venue *v = (bybit_venue *)base;
  cq_verror_clear(ve);
  if (!subs || !h || !out || n == 0 || n > VF_SUBS_MAX)
    return cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0,
                       "subscribe: 1 to %d subscriptions and a handler", VF_SUBS_MAX);
  char(*natives)[CQ_SYMBOL_MAX] = calloc(n, sizeof *natives);
  if (!natives) return cq__vr_fail(&v->core, ve, CQ_VERR_UNAVAILABLE, 0, 0, "out of memory");
  int rc = 0;
  bool user = false;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (subs[i].channel == CQ_VCH_USER) {
      user = true;
      continue;
    }
    cq_error e;
    cq_error_clear(&e);
    if (cq_bybit_to_native(subs[i].symbol, natives[i], &e) < 0)
      rc = cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "subscribe: symbol \"%s\": %s",
                       subs[i].symbol, e.msg);
  }
  if (rc == 0 && user && !v->core.has_keys)
    rc = cq__vr_fail(&v->core, ve, CQ_VERR_AUTH, 0, 0, "subscribe: the user stream needs API keys");
  /* stream messages name BTCUSDT: the map says BTC/USDT */
  if (rc == 0) rc = cq__bybit_load_symbols(v, ve);
  if (rc == 0 && user) rc = cq__vr_ensure_time(&v->core, ve); /* the auth is timed */
  if (rc == 0) {
    cq_error e;
    cq_error_clear(&e);
    vfeed *f = NULL;
    if (cq__vf_open(&by_feed, v, v->loop, &v->ws, v->ws_url, subs,
                    (const char(*)[CQ_SYMBOL_MAX])natives, n, h, v->core.log, &f, &e) < 0)
      rc = cq__vr_fail(&v->core, ve,
                       e.code == CQ_EUNSUPPORTED ? CQ_VERR_UNSUPPORTED
                       : e.code == CQ_ESTATE     ? CQ_VERR_UNAVAILABLE
                                                 : CQ_VERR_BAD_REQUEST,
                       0, 0, "subscribe: %s", e.msg);
    else
      *out = (cq_venue_stream *)f;
  }
  free(natives);
  return rc;
}

void cq__bybit_unsubscribe(cq_venue_stream *s) {
  cq__vf_close((vfeed *)s);
}
