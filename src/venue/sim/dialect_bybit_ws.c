/* The Bybit dialect's streams: /v5/public/spot and /v5/private; op ping, subscribe /
 * unsubscribe and auth with their answers; topics publicTrade.S, tickers.S, kline.I.S,
 * orderbook.N.S (N 1, 50 or 200: a snapshot, then deltas whose u counts up by one; depth 1
 * is a snapshot each time), and the private order, execution and wallet. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsim_impl.h"

int vs_bybit_ws_path(const char *path) {
  if (!strcmp(path, "/v5/public/spot")) return VS_CHAN_PUBLIC;
  if (!strcmp(path, "/v5/private")) return VS_CHAN_PRIVATE;
  return -1;
}

static char *dump(json_t *j) {
  if (!j) return NULL;
  char *t = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(j);
  return t;
}

static void send_json(cq_vsim *s, vs_conn *c, json_t *j) {
  char *t = dump(j);
  if (t) vs_ws_send(s, c, NULL, t);
  free(t);
}

static void conn_id(const vs_conn *c, char out[32]) {
  snprintf(out, 32, "vsim%08llx-%llu", (unsigned long long)(c->id * 2654435761ULL & 0xffffffffULL),
           (unsigned long long)c->id);
}

/* {"success":..,"ret_msg":..,"conn_id":..,"req_id":..,"op":..} */
static void ack(cq_vsim *s, vs_conn *c, const char *op, bool ok, const char *msg,
                const char *req_id) {
  json_t *j = json_object();
  char id[32];
  conn_id(c, id);
  if (j) {
    json_object_set_new(j, "success", json_boolean(ok));
    json_object_set_new(j, "ret_msg", json_string(msg));
    json_object_set_new(j, "conn_id", json_string(id));
    if (req_id) json_object_set_new(j, "req_id", json_string(req_id));
    json_object_set_new(j, "op", json_string(op));
  }
  send_json(s, c, j);
}

static void auth_answer(cq_vsim *s, vs_conn *c, int code, const char *msg) {
  json_t *j = json_object();
  char id[32];
  conn_id(c, id);
  if (j) {
    json_object_set_new(j, "op", json_string("auth"));
    json_object_set_new(j, "success", json_boolean(code == 0));
    json_object_set_new(j, "retCode", json_integer(code));
    json_object_set_new(j, "retMsg", json_string(msg));
    json_object_set_new(j, "connId", json_string(id));
  }
  send_json(s, c, j);
}

static void auth(cq_vsim *s, vs_conn *c, json_t *args, int64_t now) {
  const char *key = json_string_value(json_array_get(args, 0));
  json_t *je = json_array_get(args, 1);
  const char *sign = json_string_value(json_array_get(args, 2));
  int64_t expires = json_is_integer(je)  ? (int64_t)json_integer_value(je)
                    : json_is_string(je) ? strtoll(json_string_value(je), NULL, 10)
                                         : 0;
  if (c->chan != VS_CHAN_PRIVATE || !key || !sign || expires <= 0) {
    auth_answer(s, c, 10001, "Params Error");
    return;
  }
  if (expires <= now) {
    auth_answer(s, c, 10002, "Params Error: request expired");
    return;
  }
  int acc = vx_account_by_key(s->ex, key);
  if (acc < 0) {
    auth_answer(s, c, 10003, "Invalid apikey");
    return;
  }
  char text[64], want[65];
  snprintf(text, sizeof text, "GET/realtime%" PRId64, expires);
  vd_hmac_hex(s->ex->acc[acc].secret, text, strlen(text), want);
  if (strcmp(want, sign) != 0) {
    auth_answer(s, c, 10004, "Invalid sign");
    return;
  }
  c->account = acc;
  auth_answer(s, c, 0, "");
}

/* A topic into x; false when unknown here. */
static bool parse_topic(cq_vsim *s, const vs_conn *c, const char *t, vs_sub *x) {
  memset(x, 0, sizeof *x);
  x->sym = -1;
  if (strlen(t) >= sizeof x->name) return false;
  snprintf(x->name, sizeof x->name, "%s", t);
  if (c->chan == VS_CHAN_PRIVATE) {
    if (c->account < 0) return false;
    if (!strcmp(t, "order"))
      x->kind = SUB_ORDERS;
    else if (!strcmp(t, "execution"))
      x->kind = SUB_FILLS;
    else if (!strcmp(t, "wallet"))
      x->kind = SUB_ACCOUNT;
    else
      return false;
    return true;
  }
  const char *dot = strrchr(t, '.');
  if (!dot) return false;
  x->sym = vd_bybit_sym(&s->mkt, dot + 1);
  if (x->sym < 0) return false;
  size_t hl = (size_t)(dot - t);
  char head[48];
  if (hl >= sizeof head) return false;
  memcpy(head, t, hl);
  head[hl] = 0;
  if (!strcmp(head, "publicTrade")) {
    x->kind = SUB_TRADE;
  } else if (!strcmp(head, "tickers")) {
    x->kind = SUB_TICKER;
  } else if (!strncmp(head, "kline.", 6)) {
    x->kind = SUB_KLINE;
    if (!vd_bybit_interval(head + 6, &x->len, &x->off)) return false;
    snprintf(x->interval, sizeof x->interval, "%.7s", head + 6);
  } else if (!strncmp(head, "orderbook.", 10)) {
    x->kind = SUB_BOOK;
    x->depth = (int)strtol(head + 10, NULL, 10);
    if (strcmp(head + 10, "1") && strcmp(head + 10, "50") && strcmp(head + 10, "200")) return false;
  } else {
    return false;
  }
  return true;
}

void vs_bybit_ws_message(cq_vsim *s, vs_conn *c, const char *data, size_t len, int64_t now) {
  json_error_t je;
  json_t *j = json_loadb(data, len, 0, &je);
  const char *op = json_string_value(json_object_get(j, "op"));
  const char *req_id = json_string_value(json_object_get(j, "req_id"));
  json_t *args = json_object_get(j, "args");
  if (!op) {
    ack(s, c, "", false, "Invalid request: expected an op", req_id);
    goto done;
  }
  if (!strcmp(op, "ping")) {
    if (c->chan == VS_CHAN_PRIVATE) {
      json_t *r = json_object(), *a = json_array();
      char id[32], t[32];
      conn_id(c, id);
      snprintf(t, sizeof t, "%" PRId64, now);
      if (r && a) {
        json_object_set_new(r, "req_id", json_string(req_id ? req_id : ""));
        json_object_set_new(r, "op", json_string("pong"));
        json_array_append_new(a, json_string(t));
        json_object_set_new(r, "args", a);
        json_object_set_new(r, "conn_id", json_string(id));
      } else {
        json_decref(a);
      }
      send_json(s, c, r);
    } else {
      ack(s, c, "ping", true, "pong", req_id ? req_id : "");
    }
    goto done;
  }
  if (!strcmp(op, "auth")) {
    auth(s, c, args, now);
    goto done;
  }
  bool sub = !strcmp(op, "subscribe");
  if ((!sub && strcmp(op, "unsubscribe") != 0) || !json_is_array(args)) {
    ack(s, c, op, false, "Invalid request: unknown op or args", req_id);
    goto done;
  }
  /* all or nothing, as Bybit answers a list of topics with one ack */
  vs_sub xs[MAX_SUBS];
  size_t nx = 0, i;
  json_t *a;
  json_array_foreach(args, i, a) {
    const char *t = json_string_value(a);
    char msg[128];
    if (!t || nx == MAX_SUBS || !parse_topic(s, c, t, &xs[nx])) {
      if (t && c->chan == VS_CHAN_PRIVATE && c->account < 0)
        snprintf(msg, sizeof msg, "Request not authorized");
      else
        snprintf(msg, sizeof msg, "Invalid topic: %.100s", t ? t : "");
      ack(s, c, op, false, msg, req_id);
      goto done;
    }
    nx++;
  }
  for (size_t k = 0; k < nx; k++) {
    bool have = false;
    for (size_t q = 0; q < c->nsubs; q++)
      if (!strcmp(c->subs[q].name, xs[k].name)) {
        have = true;
        if (!sub) c->subs[q--] = c->subs[--c->nsubs];
      }
    if (sub && !have && c->nsubs < MAX_SUBS) c->subs[c->nsubs++] = xs[k];
  }
  ack(s, c, op, true, "", req_id);
done:
  json_decref(j);
}

/* ---- pushes ------------------------------------------------------------------------------- */

static char *topic_msg(const char *topic, const char *type, int64_t ts, json_t *data) {
  json_t *j = json_object();
  if (!j || !data) {
    json_decref(j);
    json_decref(data);
    return NULL;
  }
  json_object_set_new(j, "topic", json_string(topic));
  if (type) json_object_set_new(j, "type", json_string(type));
  json_object_set_new(j, "ts", json_integer(ts));
  json_object_set_new(j, "data", data);
  return dump(j);
}

static json_t *str_i64(int64_t v) {
  char t[32];
  snprintf(t, sizeof t, "%" PRId64, v);
  return json_string(t);
}

static json_t *kline_obj(const cq_vsim *s, int sym, const vs_sub *x, int64_t open,
                         const cq_candle *k, const vm_kx *kx, int64_t now) {
  const vm_symbol *y = &s->mkt.syms[sym];
  json_t *o = json_object();
  if (!o) return NULL;
  vd_ktext t;
  vd_kline_text(y, k, kx, false, &t);
  json_object_set_new(o, "start", json_integer(open));
  json_object_set_new(o, "end", json_integer(open + x->len - 1));
  json_object_set_new(o, "interval", json_string(x->interval));
  json_object_set_new(o, "open", json_string(t.open));
  json_object_set_new(o, "close", json_string(t.close));
  json_object_set_new(o, "high", json_string(t.high));
  json_object_set_new(o, "low", json_string(t.low));
  json_object_set_new(o, "volume", json_string(t.vol));
  json_object_set_new(o, "turnover", json_string(t.quote));
  json_object_set_new(o, "confirm", json_boolean(k->closed));
  json_object_set_new(o, "timestamp", json_integer(now));
  return o;
}

static void send_kline(cq_vsim *s, vs_conn *c, int sym, const vs_sub *x, int64_t open, int64_t at) {
  cq_candle k;
  vm_kx kx;
  if (!vm_candle_x(&s->mkt, sym, open, x->len, at, &k, &kx)) return;
  json_t *d = json_array();
  if (d) json_array_append_new(d, kline_obj(s, sym, x, open, &k, &kx, at));
  char *m = topic_msg(x->name, "snapshot", at, d);
  if (m) vs_ws_send(s, c, NULL, m);
  free(m);
}

static json_t *ticker_data(cq_vsim *s, int sym, int64_t now) {
  const vm_symbol *y = &s->mkt.syms[sym];
  cq_candle k;
  if (!vm_candle(&s->mkt, sym, now - 86400000, 86400000, now, &k)) memset(&k, 0, sizeof k);
  vm_trade last[1];
  size_t nl = vm_trades_recent(&s->mkt, sym, now, last, 1);
  double lp = nl ? last[0].price : vm_price(&s->mkt, sym, now);
  json_t *o = json_object();
  if (!o) return NULL;
  char pct[32];
  snprintf(pct, sizeof pct, "%.4f", k.open > 0 ? (lp - k.open) / k.open : 0.0);
  json_object_set_new(o, "symbol", json_string(y->ins.native));
  json_object_set_new(o, "lastPrice", vd_jstep(lp, y->ins.tick));
  json_object_set_new(o, "highPrice24h", vd_jstep(k.high, y->ins.tick));
  json_object_set_new(o, "lowPrice24h", vd_jstep(k.low, y->ins.tick));
  json_object_set_new(o, "prevPrice24h", vd_jstep(k.open, y->ins.tick));
  json_object_set_new(o, "volume24h", vd_jstep(k.volume, y->ins.lot));
  json_object_set_new(o, "turnover24h", vd_jnum(k.quote_volume));
  json_object_set_new(o, "price24hPcnt", json_string(pct));
  json_object_set_new(o, "usdIndexPrice", json_string(""));
  return o;
}

static char *book_msg(const cq_vsim *s, int sym, const vs_sub *x, bool snapshot, const vm_level *b,
                      size_t nb, const vm_level *a, size_t na, int64_t now, int64_t step) {
  const vm_symbol *y = &s->mkt.syms[sym];
  json_t *d = json_object();
  if (!d) return NULL;
  json_object_set_new(d, "s", json_string(y->ins.native));
  json_object_set_new(d, "b", vd_bybit_levels(y, b, nb));
  json_object_set_new(d, "a", vd_bybit_levels(y, a, na));
  json_object_set_new(d, "u", json_integer(x->seq));
  json_object_set_new(d, "seq", json_integer(step));
  json_t *j = json_object();
  if (!j) {
    json_decref(d);
    return NULL;
  }
  json_object_set_new(j, "topic", json_string(x->name));
  json_object_set_new(j, "type", json_string(snapshot ? "snapshot" : "delta"));
  json_object_set_new(j, "ts", json_integer(now));
  json_object_set_new(j, "data", d);
  json_object_set_new(j, "cts", json_integer(now));
  return dump(j);
}

static size_t count_levels(const vm_level *lv, size_t n) {
  size_t k = 0;
  while (k < n && lv[k].price > 0) k++;
  return k;
}

static void books(cq_vsim *s, int sym, int64_t now, const vs_v5_scratch *sc) {
  sym_state *st = &s->ss[sym];
  int64_t step = now / VM_BOOK_STEP_MS;
  vm_book(&s->mkt, sym, step, sc->bids, sc->asks, VM_BOOK_LEVELS);
  vx_add_resting(s->ex, sym, sc->bids, sc->asks, VM_BOOK_LEVELS);
  bool moved = st->vstep && step != st->vstep;
  bool updates = false; /* a subscriber that gets a delta (a depth fault is its) */
  for (size_t i = 0; moved && i < MAX_CONNS; i++)
    for (size_t k = 0; s->conns[i].used && k < s->conns[i].nsubs; k++) {
      const vs_sub *x = &s->conns[i].subs[k];
      if (x->sym == sym && x->kind == SUB_BOOK && x->snap && x->depth > 1) updates = true;
    }
  cq_vsim_fault_kind f = updates ? vf_depth_fault(&s->faults) : CQ_VSIM_FAULT_NONE;
  for (size_t i = 0; i < MAX_CONNS; i++) {
    vs_conn *c = &s->conns[i];
    if (!c->used) continue;
    for (size_t k = 0; k < c->nsubs; k++) {
      vs_sub *x = &c->subs[k];
      if (x->kind != SUB_BOOK || x->sym != sym) continue;
      size_t n = (size_t)x->depth < VM_BOOK_LEVELS ? (size_t)x->depth : VM_BOOK_LEVELS;
      if (!x->snap || (x->depth == 1 && moved)) { /* depth 1: a snapshot each change */
        if (x->depth == 1 && x->snap && sc->bids[0].price == st->vb[0].price &&
            sc->bids[0].qty == st->vb[0].qty && sc->asks[0].price == st->va[0].price &&
            sc->asks[0].qty == st->va[0].qty)
          continue;
        x->seq++;
        char *m = book_msg(s, sym, x, true, sc->bids, count_levels(sc->bids, n), sc->asks,
                           count_levels(sc->asks, n), now, step);
        if (m) vs_ws_send(s, c, NULL, m);
        free(m);
        x->snap = true;
        continue;
      }
      if (!moved || x->depth == 1) continue;
      size_t nb = vs_book_diff(st->vb, sc->bids, n, sc->db);
      size_t na = vs_book_diff(st->va, sc->asks, n, sc->da);
      if (!nb && !na) continue;
      x->seq++;
      char *m = book_msg(s, sym, x, false, sc->db, nb, sc->da, na, now, step);
      if (!m) continue;
      if (f == CQ_VSIM_FAULT_DEPTH_DROP) {
        free(m);
        continue;
      }
      if (f == CQ_VSIM_FAULT_DEPTH_REORDER && !c->held) {
        c->held = m; /* sent after the next one */
        continue;
      }
      vs_ws_send(s, c, NULL, m);
      if (f == CQ_VSIM_FAULT_DEPTH_DUP) vs_ws_send(s, c, NULL, m);
      if (c->held && f != CQ_VSIM_FAULT_DEPTH_REORDER) {
        vs_ws_send(s, c, NULL, c->held);
        free(c->held);
        c->held = NULL;
      }
      free(m);
    }
  }
  memcpy(st->vb, sc->bids, VM_BOOK_LEVELS * sizeof *sc->bids);
  memcpy(st->va, sc->asks, VM_BOOK_LEVELS * sizeof *sc->asks);
  st->vstep = step;
}

static char *private_msg(const char *topic, const vx_event *ev, json_t *data) {
  json_t *j = json_object();
  if (!j || !data) {
    json_decref(j);
    json_decref(data);
    return NULL;
  }
  char id[64];
  snprintf(id, sizeof id, "%s-%d-%" PRId64 "-%" PRId64, topic, ev->account, ev->order.id,
           ev->time_ms);
  json_object_set_new(j, "id", json_string(id));
  json_object_set_new(j, "topic", json_string(topic));
  json_object_set_new(j, "creationTime", json_integer(ev->time_ms));
  json_object_set_new(j, "data", data);
  return dump(j);
}

static void to_account(cq_vsim *s, int account, vs_sub_kind kind, const char *m) {
  if (!m) return;
  for (size_t i = 0; i < MAX_CONNS; i++) {
    vs_conn *c = &s->conns[i];
    if (!c->used || c->account != account) continue;
    for (size_t k = 0; k < c->nsubs; k++)
      if (c->subs[k].kind == kind) vs_ws_send(s, c, NULL, m);
  }
}

static void user_event(cq_vsim *s, const vx_event *ev) {
  if (ev->kind == VX_EV_BALANCE) {
    json_t *coins = json_array(), *a = json_object(), *d = json_array();
    if (coins && a && d) {
      for (int i = 0; i < ev->nbal; i++) json_array_append_new(coins, vd_bybit_coin(&ev->bal[i]));
      json_object_set_new(a, "accountType", json_string("UNIFIED"));
      json_object_set_new(a, "coin", coins);
      json_array_append_new(d, a);
      char *m = private_msg("wallet", ev, d);
      to_account(s, ev->account, SUB_ACCOUNT, m);
      free(m);
    } else {
      json_decref(coins);
      json_decref(a);
      json_decref(d);
    }
    return;
  }
  const vx_order *o = &ev->order;
  json_t *oj = vd_bybit_order_obj(&s->mkt, o), *d = json_array();
  if (oj) json_object_set_new(oj, "category", json_string("spot"));
  if (d && oj)
    json_array_append_new(d, oj);
  else
    json_decref(oj);
  char *m = private_msg("order", ev, d);
  to_account(s, ev->account, SUB_ORDERS, m);
  free(m);
  if (!ev->has_fill) return;
  const vx_fill *f = &ev->fill;
  json_t *x = json_object();
  d = json_array();
  if (!x || !d) {
    json_decref(x);
    json_decref(d);
    return;
  }
  cq_dec leaves;
  if (cq_dec_add(o->qty, CQ_DEC(-o->filled.m, o->filled.scale), &leaves, NULL))
    leaves = CQ_DEC(0, 0);
  bool market = o->type == CQ_ORDER_MARKET || o->type == CQ_ORDER_STOP;
  json_object_set_new(x, "category", json_string("spot"));
  json_object_set_new(x, "symbol", json_string(s->mkt.syms[o->sym].ins.native));
  json_object_set_new(x, "orderId", str_i64(o->id));
  json_object_set_new(x, "orderLinkId", json_string(o->client_id));
  json_object_set_new(x, "side", json_string(o->side == CQ_SIDE_SELL ? "Sell" : "Buy"));
  json_object_set_new(x, "execId", str_i64(f->trade_id));
  json_object_set_new(x, "execPrice", vd_jdec(f->price));
  json_object_set_new(x, "execQty", vd_jdec(f->qty));
  json_object_set_new(x, "execFee", vd_jdec(f->fee));
  json_object_set_new(x, "feeCurrency", json_string(f->fee_asset));
  json_object_set_new(x, "execType", json_string("Trade"));
  json_object_set_new(x, "execValue", vd_jdec(f->quote));
  json_object_set_new(x, "isMaker", json_boolean(f->maker));
  json_object_set_new(x, "execTime", str_i64(f->time_ms));
  json_object_set_new(x, "orderPrice", market ? json_string("0") : vd_jdec(o->price));
  json_object_set_new(x, "orderQty", vd_jdec(o->qty));
  json_object_set_new(x, "leavesQty", vd_jdec(leaves));
  json_object_set_new(x, "orderType", json_string(market ? "Market" : "Limit"));
  json_object_set_new(x, "stopOrderType", json_string(""));
  json_object_set_new(x, "seq", json_integer(f->trade_id));
  json_array_append_new(d, x);
  m = private_msg("execution", ev, d);
  to_account(s, ev->account, SUB_FILLS, m);
  free(m);
}

void vs_bybit_tick(cq_vsim *s, int64_t from, int64_t now, const vx_event *ev, size_t nev,
                   const vs_v5_scratch *sc) {
  for (size_t y = 0; y < s->mkt.nsyms; y++) {
    int sym = (int)y;
    const vm_symbol *ys = &s->mkt.syms[sym];
    bool want[SUB_KIND_COUNT_] = {false};
    for (size_t i = 0; i < MAX_CONNS; i++)
      if (s->conns[i].used)
        for (size_t k = 0; k < s->conns[i].nsubs; k++)
          if (s->conns[i].subs[k].sym == sym) want[s->conns[i].subs[k].kind] = true;
    if (want[SUB_TRADE]) {
      vm_trade tr[64];
      size_t n;
      int64_t after = -1;
      char topic[64];
      snprintf(topic, sizeof topic, "publicTrade.%s", ys->ins.native);
      /* in pages, so a long pause still sends every trade */
      while ((n = vs_trades_page(s, sym, sc->trades_from, now, &after, tr, 64)) > 0) {
        json_t *d = json_array();
        for (size_t t = 0; d && t < n; t++) {
          json_t *o = json_object();
          if (!o) break;
          json_object_set_new(o, "T", json_integer(tr[t].time_ms));
          json_object_set_new(o, "s", json_string(ys->ins.native));
          json_object_set_new(o, "S", json_string(tr[t].buyer_maker ? "Sell" : "Buy"));
          json_object_set_new(o, "v", vd_jtrade(ys, &tr[t], VD_TRADE_QTY, false));
          json_object_set_new(o, "p", vd_jtrade(ys, &tr[t], VD_TRADE_PRICE, false));
          json_object_set_new(o, "i", str_i64(tr[t].id));
          json_object_set_new(o, "BT", json_false());
          json_array_append_new(d, o);
        }
        if (n) {
          char *m = topic_msg(topic, "snapshot", now, d);
          for (size_t i = 0; m && i < MAX_CONNS; i++) {
            vs_conn *c = &s->conns[i];
            if (!c->used) continue;
            for (size_t k = 0; k < c->nsubs; k++)
              if (c->subs[k].kind == SUB_TRADE && c->subs[k].sym == sym) vs_ws_send(s, c, NULL, m);
          }
          free(m);
        } else {
          json_decref(d);
        }
      }
    }
    for (size_t i = 0; (want[SUB_TICKER] || want[SUB_KLINE]) && i < MAX_CONNS; i++) {
      vs_conn *c = &s->conns[i];
      if (!c->used) continue;
      for (size_t k = 0; k < c->nsubs; k++) {
        vs_sub *x = &c->subs[k];
        if (x->sym != sym) continue;
        if (x->kind == SUB_TICKER && x->ticks != now / 1000) {
          x->ticks = now / 1000; /* once a second */
          char *m = topic_msg(x->name, "snapshot", now, ticker_data(s, sym, now));
          if (m) vs_ws_send(s, c, NULL, m);
          free(m);
        } else if (x->kind == SUB_KLINE) {
          int64_t open = vd_floor_off(now, x->len, x->off);
          if (x->last_open && open != x->last_open) /* closed: its final state */
            send_kline(s, c, sym, x, x->last_open, x->last_open + x->len);
          if (now / 1000 != from / 1000 || x->last_open != open)
            send_kline(s, c, sym, x, open, now);
          x->last_open = open;
        }
      }
    }
    if (want[SUB_BOOK] && !vm_in_gap(&s->mkt, now)) books(s, sym, now, sc);
  }
  for (size_t e = 0; e < nev; e++) user_event(s, &ev[e]);
}
