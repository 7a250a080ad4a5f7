/* Bybit v5 WebSocket messages -> cquant events and fills, and the local book synchronizer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "by_json.h"

void cq_bybit_msg_init(cq_bybit_msg *m) {
  memset(m, 0, sizeof *m);
  cq_vbook_msg_init(&m->book);
  cq_vevents_init(&m->events);
}

void cq_bybit_msg_release(cq_bybit_msg *m) {
  if (!m) return;
  cq_vbook_msg_release(&m->book);
  cq_vevents_release(&m->events);
  free(m->fills);
  memset(m, 0, sizeof *m);
}

static void reset_msg(cq_bybit_msg *m) {
  m->kind = CQ_BYBIT_MSG_EVENTS;
  m->topic[0] = m->op[0] = m->ret_msg[0] = m->req_id[0] = '\0';
  m->success = false;
  m->ret_code = 0;
  memset(&m->ack, 0, sizeof m->ack);
  cq_vbook_msg_clear(&m->book);
  m->events.n = 0;
  m->nfills = 0;
}

static cq_venue_event *push(cq_bybit_msg *m, cq_vev_kind k, cq_time recv, cq_error *err) {
  return cq_vevents_push(&m->events, k, BYBIT, recv, err);
}

static int on_ack(json_t *j, cq_bybit_msg *m, cq_error *err) {
  int rc = cq__vj_str(BYBIT, j, "", "op", m->op, sizeof m->op, err);
  if (rc < 0) return rc;
  json_t *rm = json_object_get(j, "ret_msg");
  if (!rm) rm = json_object_get(j, "retMsg");
  if (json_is_string(rm)) cq_strlcpy(m->ret_msg, json_string_value(rm), sizeof m->ret_msg);
  if (strcmp(m->op, "pong") == 0 ||
      (strcmp(m->op, "ping") == 0 && strcmp(m->ret_msg, "pong") == 0)) {
    m->kind = CQ_BYBIT_MSG_PONG;
    return 0;
  }
  m->kind = CQ_BYBIT_MSG_ACK;
  json_t *code = json_object_get(j, "retCode");
  if (!code) code = json_object_get(j, "ret_code");
  if (code && !json_is_integer(code))
    return cq__vj_perr(BYBIT, err, "retCode", "expected an integer");
  m->ret_code = code ? (int)json_integer_value(code) : 0;
  json_t *ok = json_object_get(j, "success");
  if (ok && !json_is_boolean(ok)) return cq__vj_perr(BYBIT, err, "success", "expected a boolean");
  m->success = ok ? json_is_true(ok) : m->ret_code == 0;
  json_t *rid = json_object_get(j, "req_id");
  if (!rid) rid = json_object_get(j, "reqId");
  if (json_is_string(rid)) cq_strlcpy(m->req_id, json_string_value(rid), sizeof m->req_id);
  json_t *d = json_object_get(j, "data");
  if (strncmp(m->op, "order.", 6) == 0 && json_is_object(d)) {
    rc = cq__vj_str_oe(BYBIT, d, "data", "orderId", m->ack.venue_id, sizeof m->ack.venue_id, err);
    if (rc == 0)
      rc = cq__vj_str_oe(BYBIT, d, "data", "orderLinkId", m->ack.client_id, sizeof m->ack.client_id,
                         err);
  }
  return rc;
}

static int on_book(json_t *j, cq_bybit_msg *m, cq_error *err) {
  m->kind = CQ_BYBIT_MSG_BOOK;
  char type[16];
  json_t *d = json_object_get(j, "data");
  int rc = cq__vj_str(BYBIT, j, "", "type", type, sizeof type, err);
  if (rc == 0 && strcmp(type, "snapshot") != 0 && strcmp(type, "delta") != 0)
    rc = cq__vj_perr(BYBIT, err, "type", "expected snapshot or delta, found \"%s\"", type);
  if (rc == 0) rc = cq__vj_obj(BYBIT, d, "data", err);
  if (rc == 0) rc = cq__vj_str(BYBIT, d, "data", "s", m->book.native, sizeof m->book.native, err);
  if (rc == 0) rc = cq__by_levels(d, "data", "b", CQ_SIDE_BUY, &m->book, err);
  if (rc == 0) rc = cq__by_levels(d, "data", "a", CQ_SIDE_SELL, &m->book, err);
  if (rc == 0) rc = cq__vj_i64(BYBIT, d, "data", "u", &m->book.seq, err);
  if (rc == 0) rc = cq__vj_i64_opt(BYBIT, d, "data", "seq", &m->book.cross_seq, err);
  if (rc == 0) rc = cq__vj_time(BYBIT, j, "", "ts", &m->book.time, err);
  m->book.snapshot = strcmp(type, "snapshot") == 0;
  return rc;
}

/* A trade's event time is the message's ts, when Bybit sent it (the trade's own T comes a
 * little before); latency is measured from it as from the other topics' ts. */
static int on_trades(json_t *data, cq_time ts, const cq_bn_symbols *syms, cq_bybit_msg *m,
                     cq_time recv, cq_error *err) {
  int rc = cq__vj_arr(BYBIT, data, "data", err);
  size_t i;
  json_t *o;
  if (rc < 0) return rc;
  json_array_foreach(data, i, o) {
    char p[CQ__VJ_PATH_MAX], sym[CQ_SYMBOL_MAX];
    cq__vj_pathi(p, "data", i);
    cq_trade t;
    memset(&t, 0, sizeof t);
    rc = cq__vj_obj(BYBIT, o, p, err);
    if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "s", sym, sizeof sym, err);
    if (rc == 0) rc = cq__vj_str(BYBIT, o, p, "i", t.id, sizeof t.id, err);
    if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "p", &t.price, err);
    if (rc == 0) rc = cq__vj_dec(BYBIT, o, p, "v", &t.qty, err);
    if (rc == 0) rc = cq__by_side(o, p, "S", &t.taker_side, err);
    if (rc == 0) rc = cq__vj_times(BYBIT, o, p, "T", &t.time, err);
    if (rc < 0) return rc;
    cq_venue_event *ev = push(m, CQ_VEV_TRADE, recv, err);
    if (!ev) return err ? err->code : CQ_ELIMIT;
    ev->u.trade = t;
    ev->event_time = ts ? ts : t.time;
    cq__by_unify(syms, sym, ev->symbol);
  }
  return rc;
}

static int on_klines(json_t *data, const char *topic, const cq_bn_symbols *syms, cq_bybit_msg *m,
                     cq_time recv, cq_error *err) {
  /* kline.<interval>.<symbol> */
  const char *iv = topic + 6, *dot = strchr(iv, '.');
  if (!dot || !dot[1])
    return cq__vj_perr(BYBIT, err, "topic", "expected kline.<interval>.<symbol>");
  char ivs[8], sym[CQ_SYMBOL_MAX];
  size_t il = (size_t)(dot - iv);
  if (il >= sizeof ivs) return cq__vj_perr(BYBIT, err, "topic", "bad interval");
  memcpy(ivs, iv, il);
  ivs[il] = '\0';
  cq_strlcpy(sym, dot + 1, sizeof sym);
  cq_timeframe tf;
  int rc = cq_bybit_interval_parse(ivs, &tf, err);
  if (rc == 0) rc = cq__vj_arr(BYBIT, data, "data", err);
  size_t i;
  json_t *o;
  if (rc < 0) return rc;
  json_array_foreach(data, i, o) {
    char p[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "data", i);
    cq_candle k;
    memset(&k, 0, sizeof k);
    k.trades = -1;
    cq_dec d[6];
    memset(d, 0, sizeof d);
    static const char *const keys[] = {"open", "high", "low", "close", "volume", "turnover"};
    rc = cq__vj_obj(BYBIT, o, p, err);
    if (rc == 0) rc = cq__vj_times(BYBIT, o, p, "start", &k.open_time, err);
    for (size_t f = 0; rc == 0 && f < 6; f++) rc = cq__vj_dec(BYBIT, o, p, keys[f], &d[f], err);
    if (rc == 0) rc = cq__vj_bool(BYBIT, o, p, "confirm", &k.closed, err);
    cq_time ts = 0;
    if (rc == 0) rc = cq__vj_times_opt(BYBIT, o, p, "timestamp", &ts, err);
    if (rc < 0) return rc;
    k.open = cq_dec_to_double(d[0]), k.high = cq_dec_to_double(d[1]);
    k.low = cq_dec_to_double(d[2]), k.close = cq_dec_to_double(d[3]);
    k.volume = cq_dec_to_double(d[4]), k.quote_volume = cq_dec_to_double(d[5]);
    cq_venue_event *ev = push(m, CQ_VEV_KLINE, recv, err);
    if (!ev) return err ? err->code : CQ_ELIMIT;
    ev->u.kline.tf = tf;
    ev->u.kline.candle = k;
    ev->event_time = ts;
    cq__by_unify(syms, sym, ev->symbol);
  }
  return rc;
}

static int on_ticker(json_t *j, const cq_bn_symbols *syms, cq_bybit_msg *m, cq_time recv,
                     cq_error *err) {
  char type[16] = "snapshot";
  int rc = cq__vj_str_opt(BYBIT, j, "", "type", type, sizeof type, err);
  if (rc == 0 && strcmp(type, "snapshot") != 0)
    /* Derivatives tickers send deltas of the changed fields only; spot sends snapshots. */
    return cq_error_set(err, CQ_EUNSUPPORTED,
                        "bybit: ticker %s messages are not supported "
                        "(spot sends snapshots)",
                        type);
  char sym[CQ_SYMBOL_MAX];
  cq_ticker t;
  if (rc == 0) rc = cq__by_ticker(json_object_get(j, "data"), "data", sym, &t, err);
  cq_time ts = 0;
  if (rc == 0) rc = cq__vj_time(BYBIT, j, "", "ts", &ts, err);
  if (rc < 0) return rc;
  t.close_time = ts;
  t.open_time = ts - CQ_NS_PER_DAY;
  cq_venue_event *ev = push(m, CQ_VEV_TICKER, recv, err);
  if (!ev) return err ? err->code : CQ_ELIMIT;
  ev->u.ticker = t;
  ev->event_time = ts;
  cq__by_unify(syms, sym, ev->symbol);
  return 0;
}

static int on_orders(json_t *data, const cq_bn_symbols *syms, cq_bybit_msg *m, cq_time recv,
                     cq_error *err) {
  int rc = cq__vj_arr(BYBIT, data, "data", err);
  size_t i;
  json_t *o;
  if (rc < 0) return rc;
  json_array_foreach(data, i, o) {
    char p[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "data", i);
    cq_venue_order ord;
    rc = cq__by_order(o, p, syms, &ord, err);
    if (rc < 0) return rc;
    cq_venue_event *ev = push(m, CQ_VEV_ORDER, recv, err);
    if (!ev) return err ? err->code : CQ_ELIMIT;
    ev->u.order.order = ord;
    ev->event_time = ord.updated;
    cq_strlcpy(ev->symbol, ord.symbol, sizeof ev->symbol);
  }
  return rc;
}

static int on_fills(json_t *data, const cq_bn_symbols *syms, cq_bybit_msg *m, cq_error *err) {
  int rc = cq__vj_arr(BYBIT, data, "data", err);
  if (rc < 0) return rc;
  size_t cnt = json_array_size(data);
  if (cnt > CQ_V_MAX_EVENTS)
    return cq__vj_perr(BYBIT, err, "data", "%zu executions is over %d", cnt, CQ_V_MAX_EVENTS);
  if (cnt > m->cap_fills) {
    cq_venue_fill *p = realloc(m->fills, cnt * sizeof *p);
    if (!p) return cq_error_set(err, CQ_ENOMEM, "bybit: out of memory");
    m->fills = p, m->cap_fills = cnt;
  }
  for (size_t i = 0; i < cnt; i++) {
    char p[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "data", i);
    rc = cq__by_fill(json_array_get(data, i), p, syms, &m->fills[i], err);
    if (rc < 0) return rc;
  }
  m->nfills = cnt;
  m->kind = CQ_BYBIT_MSG_FILLS;
  return 0;
}

static int on_wallet(json_t *data, cq_bybit_msg *m, cq_time recv, cq_time t, cq_error *err) {
  cq_balance *b = NULL;
  size_t n = 0;
  int rc = cq__by_coins(data, "data", &b, &n, err);
  if (rc < 0) return rc;
  for (size_t i = 0; i < n; i++) {
    cq_venue_event *ev = push(m, CQ_VEV_BALANCE, recv, err);
    if (!ev) {
      free(b);
      return err ? err->code : CQ_ELIMIT;
    }
    ev->u.balance = b[i];
    ev->event_time = t;
  }
  free(b);
  return 0;
}

static bool topic_is(const char *t, const char *name) {
  size_t l = strlen(name);
  return strncmp(t, name, l) == 0 && (t[l] == '\0' || t[l] == '.');
}

int cq_bybit_parse_ws(const char *s, size_t n, const cq_bn_symbols *syms, cq_time recv_time,
                      cq_bybit_msg *out, cq_error *err) {
  reset_msg(out);
  json_t *j;
  int rc = cq__vj_load(BYBIT, s, n, &j, err);
  if (rc < 0) return rc;
  rc = cq__vj_obj(BYBIT, j, "", err);
  if (rc == 0 && json_object_get(j, "op")) {
    rc = on_ack(j, out, err);
    json_decref(j);
    return rc;
  }
  if (rc == 0) rc = cq__vj_str(BYBIT, j, "", "topic", out->topic, sizeof out->topic, err);
  if (rc < 0) {
    json_decref(j);
    return rc;
  }
  const char *t = out->topic;
  json_t *data = json_object_get(j, "data");
  if (strncmp(t, "orderbook.", 10) == 0) {
    rc = on_book(j, out, err);
  } else if (strncmp(t, "publicTrade.", 12) == 0 || strncmp(t, "trade.", 6) == 0) {
    cq_time ts = 0;
    rc = cq__vj_times_opt(BYBIT, j, "", "ts", &ts, err);
    if (rc == 0) rc = on_trades(data, ts, syms, out, recv_time, err);
  } else if (strncmp(t, "kline.", 6) == 0) {
    rc = on_klines(data, t, syms, out, recv_time, err);
  } else if (strncmp(t, "tickers.", 8) == 0) {
    rc = on_ticker(j, syms, out, recv_time, err);
  } else if (topic_is(t, "order")) {
    rc = on_orders(data, syms, out, recv_time, err);
  } else if (topic_is(t, "execution")) {
    rc = on_fills(data, syms, out, err);
  } else if (topic_is(t, "wallet")) {
    cq_time ct = 0;
    rc = cq__vj_i64_opt(BYBIT, j, "", "creationTime", &ct, err);
    if (rc == 0) rc = cq__vj_ms_to_time(BYBIT, ct, "creationTime", &ct, err);
    if (rc == 0) rc = on_wallet(data, out, recv_time, ct, err);
  } else {
    rc = cq_error_set(err, CQ_EUNSUPPORTED, "bybit: topic \"%.40s\" is not supported (spot only)",
                      t);
  }
  if (rc < 0) {
    cq_vbook_msg_clear(&out->book);
    out->events.n = 0;
    out->nfills = 0;
  }
  json_decref(j);
  return rc;
}

/* ---- synchronizer ------------------------------------------------------------------------- */

struct cq_bybit_book_sync {
  cq_l2book *book;
  bool synced;
};

int cq_bybit_book_sync_new(size_t max_levels, cq_bybit_book_sync **out, cq_error *err) {
  cq_bybit_book_sync *s = calloc(1, sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "bybit: book sync: out of memory");
  int rc = cq_l2book_new(max_levels, &s->book, err);
  if (rc < 0) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void cq_bybit_book_sync_free(cq_bybit_book_sync *s) {
  if (!s) return;
  cq_l2book_free(s->book);
  free(s);
}

void cq_bybit_book_sync_reset(cq_bybit_book_sync *s) {
  cq_l2book_clear(s->book);
  s->synced = false;
}

bool cq_bybit_book_sync_needs_snapshot(const cq_bybit_book_sync *s) {
  return !s->synced;
}
const cq_l2book *cq_bybit_book_sync_book(const cq_bybit_book_sync *s) {
  return s->book;
}

static void broken(cq_bybit_book_sync *s) {
  s->synced = false;
  cq_l2book_set_valid(s->book, false);
}

int cq_bybit_book_sync_apply(cq_bybit_book_sync *s, const cq_vbook_msg *m, cq_vsync_result *res,
                             cq_error *err) {
  /* u == 1: the service restarted and this message starts a new book. */
  bool snap = m->snapshot || m->seq == 1;
  if (!snap) {
    if (!s->synced) {
      *res = CQ_VSYNC_WAITING;
      return 0;
    }
    if ((uint64_t)m->seq != cq_l2book_seq(s->book) + 1) {
      broken(s);
      *res = CQ_VSYNC_GAP;
      return 0;
    }
  }
  cq_vbook_msg copy = *m;
  copy.snapshot = snap;
  int rc = cq_vbook_msg_apply(&copy, s->book, err);
  if (rc < 0 || cq_l2book_crossed(s->book)) {
    broken(s);
    *res = CQ_VSYNC_GAP;
    return rc;
  }
  s->synced = true;
  cq_l2book_set_valid(s->book, true);
  *res = CQ_VSYNC_APPLIED;
  return 0;
}
