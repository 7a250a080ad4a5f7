/* The OKX dialect's streams: /ws/v5/public, /ws/v5/business and /ws/v5/private; the text
 * ping, subscribe / unsubscribe with their event answers, login; pushes of trades, tickers,
 * candle<bar>, books (a snapshot, then updates chained by prevSeqId / seqId with the CRC32
 * checksum of the top 25 levels), bbo-tbt, orders and account. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcodec.h"
#include "vsim_impl.h"

#define LOGIN_PATH "/users/self/verify"
#define LOGIN_SKEW_S 30

int vs_okx_ws_path(const char *path) {
  if (!strcmp(path, "/ws/v5/public")) return VS_CHAN_PUBLIC;
  if (!strcmp(path, "/ws/v5/private")) return VS_CHAN_PRIVATE;
  if (!strcmp(path, "/ws/v5/business")) return VS_CHAN_BUSINESS;
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

static void conn_id(const vs_conn *c, char out[24]) {
  snprintf(out, 24, "%08llx", (unsigned long long)(c->id * 2654435761ULL & 0xffffffffULL));
}

static void send_error(cq_vsim *s, vs_conn *c, int code, const char *msg) {
  json_t *j = json_object();
  char id[24], cs[16];
  conn_id(c, id);
  snprintf(cs, sizeof cs, "%d", code);
  if (j) {
    json_object_set_new(j, "event", json_string("error"));
    json_object_set_new(j, "code", json_string(cs));
    json_object_set_new(j, "msg", json_string(msg));
    json_object_set_new(j, "connId", json_string(id));
  }
  send_json(s, c, j);
}

/* One subscription argument into x: 0, or an error code with msg. */
static int parse_arg(cq_vsim *s, vs_conn *c, json_t *arg, vs_sub *x, char *msg, size_t mn) {
  memset(x, 0, sizeof *x);
  x->sym = -1;
  const char *ch = json_string_value(json_object_get(arg, "channel"));
  const char *inst = json_string_value(json_object_get(arg, "instId"));
  const char *type = json_string_value(json_object_get(arg, "instType"));
  if (!ch) {
    snprintf(msg, mn, "Missing channel.");
    return 60018;
  }
  snprintf(x->name, sizeof x->name, "%s", ch);
  if (!strcmp(ch, "orders") || !strcmp(ch, "account")) {
    if (c->chan != VS_CHAN_PRIVATE || c->account < 0) {
      snprintf(msg, mn, "Please log in");
      return 60011;
    }
    if (!strcmp(ch, "orders") && (!type || (strcmp(type, "SPOT") && strcmp(type, "ANY")))) {
      snprintf(msg, mn, "Wrong URL or channel:orders,instType:%s doesn't exist.", type ? type : "");
      return 60018;
    }
    x->kind = !strcmp(ch, "orders") ? SUB_ORDERS : SUB_ACCOUNT;
    return 0;
  }
  x->sym = vd_okx_sym(&s->mkt, inst);
  bool candle = !strncmp(ch, "candle", 6);
  /* candles on the business URL, the rest on public (private takes none of them) */
  bool where = candle ? c->chan == VS_CHAN_BUSINESS : c->chan == VS_CHAN_PUBLIC;
  if (x->sym < 0 || !where) {
    snprintf(msg, mn, "Wrong URL or channel:%s,instId:%s doesn't exist.", ch, inst ? inst : "");
    return 60018;
  }
  if (!strcmp(ch, "trades"))
    x->kind = SUB_TRADE;
  else if (!strcmp(ch, "tickers"))
    x->kind = SUB_TICKER;
  else if (!strcmp(ch, "books"))
    x->kind = SUB_BOOK;
  else if (!strcmp(ch, "bbo-tbt"))
    x->kind = SUB_BBO;
  else if (candle && vd_okx_bar(ch + 6, &x->len, &x->off)) {
    x->kind = SUB_KLINE;
    snprintf(x->interval, sizeof x->interval, "%.7s", ch + 6);
  } else {
    snprintf(msg, mn, "Wrong URL or channel:%s,instId:%s doesn't exist.", ch, inst);
    return 60018;
  }
  return 0;
}

static bool same_sub(const vs_sub *a, const vs_sub *b) {
  return a->kind == b->kind && a->sym == b->sym && !strcmp(a->name, b->name);
}

static void login(cq_vsim *s, vs_conn *c, json_t *args, int64_t now) {
  json_t *a = json_array_get(args, 0);
  const char *key = json_string_value(json_object_get(a, "apiKey"));
  const char *pass = json_string_value(json_object_get(a, "passphrase"));
  const char *ts = json_string_value(json_object_get(a, "timestamp"));
  const char *sign = json_string_value(json_object_get(a, "sign"));
  if (c->chan != VS_CHAN_PRIVATE) {
    send_error(s, c, 60008, "The public channel does not support login.");
    return;
  }
  if (!key || !pass || !ts || !sign) {
    send_error(s, c, 60009, "Login failed.");
    return;
  }
  char *end = NULL;
  long long t = strtoll(ts, &end, 10);
  if (*end || t <= 0) {
    send_error(s, c, 60004, "Invalid timestamp");
    return;
  }
  if (t < now / 1000 - LOGIN_SKEW_S || t > now / 1000 + LOGIN_SKEW_S) {
    send_error(s, c, 60006, "Timestamp request expired");
    return;
  }
  int acc = vx_account_by_key(s->ex, key);
  if (acc < 0) {
    send_error(s, c, 60005, "Invalid OK-ACCESS-KEY");
    return;
  }
  if (s->bin.passphrase && *s->bin.passphrase && strcmp(pass, s->bin.passphrase) != 0) {
    send_error(s, c, 60024, "Wrong passphrase");
    return;
  }
  char text[96], want[48];
  snprintf(text, sizeof text, "%sGET%s", ts, LOGIN_PATH);
  vd_hmac_b64(s->ex->acc[acc].secret, text, strlen(text), want);
  if (strcmp(want, sign) != 0) {
    send_error(s, c, 60007, "Invalid sign");
    return;
  }
  c->account = acc;
  char id[24];
  conn_id(c, id);
  json_t *j = json_object();
  if (j) {
    json_object_set_new(j, "event", json_string("login"));
    json_object_set_new(j, "code", json_string("0"));
    json_object_set_new(j, "msg", json_string(""));
    json_object_set_new(j, "connId", json_string(id));
  }
  send_json(s, c, j);
}

void vs_okx_ws_message(cq_vsim *s, vs_conn *c, const char *data, size_t len, int64_t now) {
  if (len == 4 && !memcmp(data, "ping", 4)) {
    vs_ws_send(s, c, NULL, "pong");
    return;
  }
  json_error_t je;
  json_t *j = json_loadb(data, len, 0, &je);
  const char *op = json_string_value(json_object_get(j, "op"));
  json_t *args = json_object_get(j, "args");
  if (!op || !json_is_array(args)) {
    char m[160];
    snprintf(m, sizeof m, "Invalid request: %.*s", (int)(len > 100 ? 100 : len), data);
    send_error(s, c, 60012, m);
    goto done;
  }
  if (!strcmp(op, "login")) {
    login(s, c, args, now);
    goto done;
  }
  bool sub = !strcmp(op, "subscribe");
  if (!sub && strcmp(op, "unsubscribe") != 0) {
    send_error(s, c, 60012, "Invalid request: unknown op");
    goto done;
  }
  size_t i;
  json_t *a;
  json_array_foreach(args, i, a) {
    vs_sub x;
    char msg[160];
    int code = parse_arg(s, c, a, &x, msg, sizeof msg);
    if (code) {
      send_error(s, c, code, msg);
      continue;
    }
    bool have = false;
    for (size_t k = 0; k < c->nsubs; k++)
      if (same_sub(&c->subs[k], &x)) {
        have = true;
        if (!sub) c->subs[k--] = c->subs[--c->nsubs];
      }
    if (sub && !have) {
      if (c->nsubs == MAX_SUBS) {
        send_error(s, c, 60018, "Too many subscriptions");
        continue;
      }
      c->subs[c->nsubs++] = x;
    }
    char id[24];
    conn_id(c, id);
    json_t *r = json_object();
    if (r) {
      json_object_set_new(r, "event", json_string(op));
      json_object_set_new(r, "arg", json_deep_copy(a));
      json_object_set_new(r, "connId", json_string(id));
    }
    send_json(s, c, r);
  }
done:
  json_decref(j);
}

/* ---- pushes -------------------------------------------------------------------------------- */

/* {"arg":{"channel":..,"instId":..},"data":data} */
static char *push(const cq_vsim *s, const char *channel, int sym, const char *action,
                  json_t *data) {
  json_t *j = json_object(), *arg = json_object();
  if (!j || !arg || !data) {
    json_decref(j);
    json_decref(arg);
    json_decref(data);
    return NULL;
  }
  json_object_set_new(arg, "channel", json_string(channel));
  if (sym >= 0) {
    char id[CQ_SYMBOL_MAX];
    vd_okx_inst_id(&s->mkt, sym, id);
    json_object_set_new(arg, "instId", json_string(id));
  }
  json_object_set_new(j, "arg", arg);
  if (action) json_object_set_new(j, "action", json_string(action));
  json_object_set_new(j, "data", data);
  return dump(j);
}

static void to_subs(cq_vsim *s, vs_sub_kind kind, int sym, const char *name, const char *m) {
  if (!m) return;
  for (size_t i = 0; i < MAX_CONNS; i++) {
    vs_conn *c = &s->conns[i];
    if (!c->used) continue;
    for (size_t k = 0; k < c->nsubs; k++)
      if (c->subs[k].kind == kind && c->subs[k].sym == sym &&
          (!name || !strcmp(c->subs[k].name, name)))
        vs_ws_send(s, c, NULL, m);
  }
}

/* OKX's checksum text of the top 25 levels as written: bid:size:ask:size:... */
static int32_t checksum(const vm_symbol *y, const vm_level *bids, const vm_level *asks, size_t n) {
  uint32_t crc = 0;
  bool first = true;
  char p[CQ_DEC_STRMAX], q[CQ_DEC_STRMAX], t[2 * CQ_DEC_STRMAX + 2];
  for (size_t i = 0; i < 25 && i < n; i++)
    for (int side = 0; side < 2; side++) {
      const vm_level *lv = side == 0 ? &bids[i] : &asks[i];
      if (lv->price <= 0) continue;
      vd_step_text(lv->price, y->ins.tick, p, sizeof p);
      vd_step_text(lv->qty, y->ins.lot, q, sizeof q);
      int w = snprintf(t, sizeof t, "%s%s:%s", first ? "" : ":", p, q);
      crc = cq_crc32(crc, t, (size_t)w);
      first = false;
    }
  return (int32_t)crc;
}

static json_t *book_data(const cq_vsim *s, int sym, const vm_level *b, size_t nb, const vm_level *a,
                         size_t na, int64_t now, int64_t prev, int64_t seq, const vm_level *fb,
                         const vm_level *fa) {
  const vm_symbol *y = &s->mkt.syms[sym];
  json_t *d = json_array(), *o = json_object();
  if (!d || !o) {
    json_decref(d);
    json_decref(o);
    return NULL;
  }
  char t[32];
  snprintf(t, sizeof t, "%" PRId64, now);
  json_object_set_new(o, "asks", vd_okx_levels(y, a, na));
  json_object_set_new(o, "bids", vd_okx_levels(y, b, nb));
  json_object_set_new(o, "ts", json_string(t));
  if (fb) json_object_set_new(o, "checksum", json_integer(checksum(y, fb, fa, VM_BOOK_LEVELS)));
  json_object_set_new(o, "prevSeqId", json_integer(prev));
  json_object_set_new(o, "seqId", json_integer(seq));
  json_array_append_new(d, o);
  return d;
}

static void books(cq_vsim *s, int sym, int64_t now, const vs_v5_scratch *sc) {
  sym_state *st = &s->ss[sym];
  int64_t step = now / VM_BOOK_STEP_MS;
  vm_book(&s->mkt, sym, step, sc->bids, sc->asks, VM_BOOK_LEVELS);
  vx_add_resting(s->ex, sym, sc->bids, sc->asks, VM_BOOK_LEVELS);
  size_t n = 0;
  while (n < VM_BOOK_LEVELS && sc->bids[n].price > 0) n++;
  size_t na = 0;
  while (na < VM_BOOK_LEVELS && sc->asks[na].price > 0) na++;
  char *upd = NULL, *snap = NULL;
  bool moved = st->vstep && step != st->vstep;
  if (moved) {
    size_t nb = vs_book_diff(st->vb, sc->bids, VM_BOOK_LEVELS, sc->db);
    size_t nd = vs_book_diff(st->va, sc->asks, VM_BOOK_LEVELS, sc->da);
    upd = push(s, "books", sym, "update",
               book_data(s, sym, sc->db, nb, sc->da, nd, now, st->vstep, step, sc->bids, sc->asks));
  }
  bool updates = false; /* a subscriber that gets this update (a depth fault is its) */
  for (size_t i = 0; moved && i < MAX_CONNS; i++)
    for (size_t k = 0; s->conns[i].used && k < s->conns[i].nsubs; k++)
      if (s->conns[i].subs[k].sym == sym && s->conns[i].subs[k].kind == SUB_BOOK &&
          s->conns[i].subs[k].snap)
        updates = true;
  cq_vsim_fault_kind f = updates ? vf_depth_fault(&s->faults) : CQ_VSIM_FAULT_NONE;
  for (size_t i = 0; i < MAX_CONNS; i++) {
    vs_conn *c = &s->conns[i];
    if (!c->used) continue;
    for (size_t k = 0; k < c->nsubs; k++) {
      vs_sub *x = &c->subs[k];
      if (x->sym != sym) continue;
      if (x->kind == SUB_BBO && (moved || !x->snap)) {
        char *m = push(s, "bbo-tbt", sym, NULL,
                       book_data(s, sym, sc->bids, 1, sc->asks, 1, now, -1, step, NULL, NULL));
        if (m) vs_ws_send(s, c, NULL, m);
        free(m);
        x->snap = true;
      }
      if (x->kind != SUB_BOOK) continue;
      if (!x->snap) {
        if (!snap)
          snap =
              push(s, "books", sym, "snapshot",
                   book_data(s, sym, sc->bids, n, sc->asks, na, now, -1, step, sc->bids, sc->asks));
        if (snap) vs_ws_send(s, c, NULL, snap);
        x->snap = true;
        continue;
      }
      if (!upd || f == CQ_VSIM_FAULT_DEPTH_DROP) continue;
      if (f == CQ_VSIM_FAULT_DEPTH_REORDER && !c->held) {
        c->held = strdup(upd); /* sent after the next one */
        continue;
      }
      vs_ws_send(s, c, NULL, upd);
      if (f == CQ_VSIM_FAULT_DEPTH_DUP) vs_ws_send(s, c, NULL, upd);
      if (c->held && f != CQ_VSIM_FAULT_DEPTH_REORDER) {
        vs_ws_send(s, c, NULL, c->held);
        free(c->held);
        c->held = NULL;
      }
    }
  }
  free(upd);
  free(snap);
  memcpy(st->vb, sc->bids, VM_BOOK_LEVELS * sizeof *sc->bids);
  memcpy(st->va, sc->asks, VM_BOOK_LEVELS * sizeof *sc->asks);
  st->vstep = step;
}

static void user_event(cq_vsim *s, const vx_event *ev) {
  char *m = NULL;
  vs_sub_kind kind;
  if (ev->kind == VX_EV_ORDER) {
    kind = SUB_ORDERS;
    json_t *o = vd_okx_order_obj(&s->mkt, &ev->order, ev->has_fill ? &ev->fill : NULL);
    if (o && ev->has_fill)
      json_object_set_new(o, "execType", json_string(ev->fill.maker ? "M" : "T"));
    json_t *d = json_array();
    if (d && o)
      json_array_append_new(d, o);
    else
      json_decref(o);
    json_t *j = json_object(), *arg = json_object();
    if (j && arg && d) {
      json_object_set_new(arg, "channel", json_string("orders"));
      json_object_set_new(arg, "instType", json_string("SPOT"));
      char uid[32];
      snprintf(uid, sizeof uid, "%d", 100000 + ev->account);
      json_object_set_new(arg, "uid", json_string(uid));
      json_object_set_new(j, "arg", arg);
      json_object_set_new(j, "data", d);
      m = dump(j);
    } else {
      json_decref(j);
      json_decref(arg);
      json_decref(d);
    }
  } else {
    kind = SUB_ACCOUNT;
    json_t *det = json_array();
    for (int i = 0; det && i < ev->nbal; i++)
      json_array_append_new(det, vd_okx_balance_detail(&ev->bal[i], ev->time_ms));
    json_t *a = json_object(), *d = json_array(), *j = json_object(), *arg = json_object();
    if (det && a && d && j && arg) {
      char t[32];
      snprintf(t, sizeof t, "%" PRId64, ev->time_ms);
      json_object_set_new(a, "details", det);
      json_object_set_new(a, "totalEq", json_string(""));
      json_object_set_new(a, "uTime", json_string(t));
      json_array_append_new(d, a);
      json_object_set_new(arg, "channel", json_string("account"));
      json_object_set_new(j, "arg", arg);
      json_object_set_new(j, "data", d);
      m = dump(j);
    } else {
      json_decref(det);
      json_decref(a);
      json_decref(d);
      json_decref(j);
      json_decref(arg);
    }
  }
  if (!m) return;
  for (size_t i = 0; i < MAX_CONNS; i++) {
    vs_conn *c = &s->conns[i];
    if (!c->used || c->account != ev->account) continue;
    for (size_t k = 0; k < c->nsubs; k++)
      if (c->subs[k].kind == kind) vs_ws_send(s, c, NULL, m);
  }
  free(m);
}

void vs_okx_tick(cq_vsim *s, int64_t from, int64_t now, const vx_event *ev, size_t nev,
                 const vs_v5_scratch *sc) {
  for (size_t y = 0; y < s->mkt.nsyms; y++) {
    int sym = (int)y;
    bool want[SUB_KIND_COUNT_] = {false};
    for (size_t i = 0; i < MAX_CONNS; i++)
      if (s->conns[i].used)
        for (size_t k = 0; k < s->conns[i].nsubs; k++)
          if (s->conns[i].subs[k].sym == sym) want[s->conns[i].subs[k].kind] = true;
    if (want[SUB_TRADE]) {
      vm_trade tr[64];
      size_t n;
      int64_t after = -1;
      /* in pages, so a long pause still sends every trade */
      while ((n = vs_trades_page(s, sym, sc->trades_from, now, &after, tr, 64)) > 0) {
        for (size_t t = 0; t < n; t++) {
          json_t *o = vd_okx_trade_obj(&s->mkt, sym, &tr[t]), *d = json_array();
          if (o) json_object_set_new(o, "count", json_string("1"));
          if (d && o)
            json_array_append_new(d, o);
          else
            json_decref(o);
          char *m = push(s, "trades", sym, NULL, d);
          to_subs(s, SUB_TRADE, sym, NULL, m);
          free(m);
        }
      }
    }
    if (want[SUB_TICKER])
      for (size_t i = 0; i < MAX_CONNS; i++) {
        vs_conn *c = &s->conns[i];
        if (!c->used) continue;
        for (size_t k = 0; k < c->nsubs; k++) {
          vs_sub *x = &c->subs[k];
          if (x->kind != SUB_TICKER || x->sym != sym || x->ticks == now / 1000) continue;
          x->ticks = now / 1000; /* once a second */
          json_t *d = json_array(), *o = vd_okx_ticker_obj(&s->bin, sym, now);
          if (d && o)
            json_array_append_new(d, o);
          else
            json_decref(o);
          char *m = push(s, "tickers", sym, NULL, d);
          if (m) vs_ws_send(s, c, NULL, m);
          free(m);
        }
      }
    if (want[SUB_KLINE])
      for (size_t i = 0; i < MAX_CONNS; i++) {
        vs_conn *c = &s->conns[i];
        if (!c->used) continue;
        for (size_t k = 0; k < c->nsubs; k++) {
          vs_sub *x = &c->subs[k];
          if (x->kind != SUB_KLINE || x->sym != sym) continue;
          int64_t open = vd_floor_off(now, x->len, x->off);
          cq_candle kc;
          vm_kx kx;
          if (x->last_open && open != x->last_open &&
              vm_candle_x(&s->mkt, sym, x->last_open, x->len, x->last_open + x->len, &kc, &kx)) {
            json_t *d = json_array(); /* the candle closed: its final state */
            if (d) json_array_append_new(d, vd_okx_candle_row(&s->mkt, sym, &kc, &kx));
            char *m = push(s, x->name, sym, NULL, d);
            if (m) vs_ws_send(s, c, NULL, m);
            free(m);
          }
          if ((now / 1000 != from / 1000 || x->last_open != open) &&
              vm_candle_x(&s->mkt, sym, open, x->len, now, &kc, &kx)) {
            json_t *d = json_array();
            if (d) json_array_append_new(d, vd_okx_candle_row(&s->mkt, sym, &kc, &kx));
            char *m = push(s, x->name, sym, NULL, d);
            if (m) vs_ws_send(s, c, NULL, m);
            free(m);
          }
          x->last_open = open;
        }
      }
    if ((want[SUB_BOOK] || want[SUB_BBO]) && !vm_in_gap(&s->mkt, now)) books(s, sym, now, sc);
  }
  for (size_t e = 0; e < nev; e++) user_event(s, &ev[e]);
}
