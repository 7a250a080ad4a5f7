/* The simulator on a socket: the dialect wired to the server of net.h (REST on the network
 * thread, WebSocket streams), and the market thread that moves the exchange and feeds the
 * streams. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vsim_impl.h"

/* The headers any dialect reads. */
static const char *const header_names[] = {
    "X-MBX-APIKEY",        "OK-ACCESS-KEY",        "OK-ACCESS-SIGN",
    "OK-ACCESS-TIMESTAMP", "OK-ACCESS-PASSPHRASE", "X-BAPI-API-KEY",
    "X-BAPI-TIMESTAMP",    "X-BAPI-RECV-WINDOW",   "X-BAPI-SIGN"};

static void on_http(void *ctx, const cq_srv_request *req, cq_srv_response *resp) {
  cq_vsim *s = ctx;
  char hdr[2048], val[256];
  size_t o = 0;
  hdr[0] = 0;
  for (size_t i = 0; i < sizeof header_names / sizeof header_names[0]; i++) {
    if (!cq_srv_header(req, header_names[i], val, sizeof val)) continue;
    int w = snprintf(hdr + o, sizeof hdr - o, "%s: %s\r\n", header_names[i], val);
    if (w < 0 || (size_t)w >= sizeof hdr - o) break;
    o += (size_t)w;
  }
  cq_vsim_handle_headers(s, req->method, req->path, req->query, req->body, hdr, resp);
}

/* ---- WebSocket ---------------------------------------------------------------------------- */

static vs_conn *conn_get(cq_vsim *s, uint64_t id) {
  for (size_t i = 0; i < MAX_CONNS; i++)
    if (s->conns[i].used && s->conns[i].id == id) return &s->conns[i];
  return NULL;
}

/* "btcusdt@kline_1m" into a subscription; false when unknown. */
static bool parse_stream(const vm_market *m, const char *name, vs_sub *out) {
  memset(out, 0, sizeof *out);
  if (strlen(name) >= sizeof out->name) return false;
  snprintf(out->name, sizeof out->name, "%s", name);
  const char *at = strchr(name, '@');
  if (!at || at == name || (size_t)(at - name) >= CQ_SYMBOL_MAX) return false;
  char sym[CQ_SYMBOL_MAX];
  size_t n = (size_t)(at - name);
  for (size_t i = 0; i < n; i++)
    sym[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
  sym[n] = 0;
  out->sym = -1;
  for (size_t i = 0; i < m->nsyms; i++)
    if (!strcmp(m->syms[i].ins.native, sym)) out->sym = (int)i;
  if (out->sym < 0) return false;
  const char *k = at + 1;
  if (!strcmp(k, "trade"))
    out->kind = SUB_TRADE;
  else if (!strcmp(k, "aggTrade"))
    out->kind = SUB_AGG;
  else if (!strcmp(k, "bookTicker"))
    out->kind = SUB_BOOK_TICKER;
  else if (!strcmp(k, "ticker"))
    out->kind = SUB_TICKER;
  else if (!strcmp(k, "depth") || !strcmp(k, "depth@1000ms"))
    out->kind = SUB_DEPTH;
  else if (!strcmp(k, "depth@100ms"))
    out->kind = SUB_DEPTH100;
  else if (!strncmp(k, "kline_", 6)) {
    out->kind = SUB_KLINE;
    out->len = vd_interval_ms(k + 6);
    if (!out->len || strlen(k + 6) >= sizeof out->interval) return false;
    snprintf(out->interval, sizeof out->interval, "%s", k + 6);
  } else
    return false;
  return true;
}

static bool conn_add_sub(cq_vsim *s, vs_conn *c, const char *name) {
  for (size_t i = 0; i < c->nsubs; i++)
    if (!strcmp(c->subs[i].name, name)) return true;
  if (c->nsubs == MAX_SUBS) return false;
  vs_sub x;
  if (!parse_stream(&s->mkt, name, &x)) return false;
  c->subs[c->nsubs++] = x;
  return true;
}

static int on_ws_open(void *ctx, uint64_t id, const char *path, const char *query) {
  cq_vsim *s = ctx;
  int64_t now = cq_vsim_now_ms(s);
  pthread_mutex_lock(&s->mu);
  vs_conn *c = NULL;
  for (size_t i = 0; i < MAX_CONNS && !c; i++)
    if (!s->conns[i].used) c = &s->conns[i];
  int status = 0;
  if (!c) {
    status = 503;
    goto done;
  }
  memset(c, 0, sizeof *c);
  c->id = id;
  c->account = -1;
  c->countdown = -1;
  if (s->ops->ws_path) {
    int ch = s->ops->ws_path(path);
    if (ch < 0) {
      status = 404;
      goto done;
    }
    c->chan = ch;
    goto accept;
  }
  char list[1024] = "";
  if (!strcmp(path, "/stream")) {
    c->combined = true;
    if (!cq_query_get(query, "streams", list, sizeof list)) list[0] = 0;
  } else if (!strncmp(path, "/ws", 3) && (path[3] == 0 || path[3] == '/')) {
    snprintf(list, sizeof list, "%s", path[3] ? path + 4 : "");
  } else {
    status = 404;
    goto done;
  }
  char *save = NULL;
  for (char *t = strtok_r(list, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
    int acc = strchr(t, '@') ? -1 : vd_binance_listen_account(&s->bin, t, now);
    if (acc >= 0) {
      c->account = acc;
      snprintf(c->listen_key, sizeof c->listen_key, "%s", t);
      continue;
    }
    if (!conn_add_sub(s, c, t)) {
      status = 400;
      goto done;
    }
  }
accept:
  c->used = true;
  c->opened_ms = now;
  s->counters.ws_connections++;
  s->counters.ws_open++;
done:
  pthread_mutex_unlock(&s->mu);
  return status;
}

static void on_ws_message(void *ctx, uint64_t id, const char *data, size_t len) {
  cq_vsim *s = ctx;
  if (s->ops->ws_message) {
    int64_t now = cq_vsim_now_ms(s);
    pthread_mutex_lock(&s->mu);
    vs_conn *vc = conn_get(s, id);
    if (vc) s->ops->ws_message(s, vc, data, len, now);
    pthread_mutex_unlock(&s->mu);
    return;
  }
  json_error_t je;
  json_t *j = json_loadb(data, len, 0, &je);
  pthread_mutex_lock(&s->mu);
  vs_conn *c = conn_get(s, id);
  char reply[256];
  reply[0] = 0;
  if (!c) goto done;
  json_t *m = j ? json_object_get(j, "method") : NULL, *p = j ? json_object_get(j, "params") : NULL,
         *jid = j ? json_object_get(j, "id") : NULL;
  const char *method = m ? json_string_value(m) : NULL;
  long long idv = json_is_integer(jid) ? (long long)json_integer_value(jid) : 0;
  if (!method || !jid) {
    snprintf(reply, sizeof reply,
             "{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: expected method "
             "and id\"},\"id\":%lld}",
             idv);
    goto done;
  }
  if (!strcmp(method, "SUBSCRIBE") || !strcmp(method, "UNSUBSCRIBE")) {
    bool sub_ = !strcmp(method, "SUBSCRIBE");
    if (!json_is_array(p)) {
      snprintf(reply, sizeof reply,
               "{\"error\":{\"code\":2,\"msg\":\"Invalid request: params must "
               "be an array\"},\"id\":%lld}",
               idv);
      goto done;
    }
    size_t i;
    json_t *v;
    json_array_foreach(p, i, v) {
      const char *name = json_string_value(v);
      if (!name) continue;
      if (sub_) {
        if (!conn_add_sub(s, c, name)) {
          snprintf(reply, sizeof reply,
                   "{\"error\":{\"code\":2,\"msg\":\"Invalid request: unknown "
                   "stream\"},\"id\":%lld}",
                   idv);
          goto done;
        }
      } else {
        for (size_t k = 0; k < c->nsubs; k++)
          if (!strcmp(c->subs[k].name, name)) {
            c->subs[k] = c->subs[--c->nsubs];
            break;
          }
      }
    }
    snprintf(reply, sizeof reply, "{\"result\":null,\"id\":%lld}", idv);
  } else if (!strcmp(method, "LIST_SUBSCRIPTIONS")) {
    json_t *r = json_object(), *a = json_array();
    if (r && a) {
      for (size_t k = 0; k < c->nsubs; k++) json_array_append_new(a, json_string(c->subs[k].name));
      json_object_set_new(r, "result", a);
      json_object_set_new(r, "id", json_integer(idv));
      char *txt = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
      if (txt) vs_ws_send(s, c, NULL, txt);
      free(txt);
      json_decref(r);
    } else {
      json_decref(r);
      json_decref(a);
    }
  } else {
    snprintf(reply, sizeof reply,
             "{\"error\":{\"code\":2,\"msg\":\"Invalid request: unknown "
             "method\"},\"id\":%lld}",
             idv);
  }
done:
  if (c && reply[0]) vs_ws_send(s, c, NULL, reply);
  pthread_mutex_unlock(&s->mu);
  json_decref(j);
}

static void on_ws_close(void *ctx, uint64_t id) {
  cq_vsim *s = ctx;
  pthread_mutex_lock(&s->mu);
  vs_conn *c = conn_get(s, id);
  if (c) {
    if (s->counters.ws_open) s->counters.ws_open--;
    free(c->held);
    memset(c, 0, sizeof *c);
  }
  pthread_mutex_unlock(&s->mu);
}

/* Sends msg (wrapped for a combined connection when stream is given); applies the
 * connection's fault countdown. Called with s->mu held. */
void vs_ws_send(cq_vsim *s, vs_conn *c, const char *stream, const char *msg) {
  if (!s->srv || c->ended) return;
  if (c->countdown == 0) {
    c->ended = true;
    if (cq_server_ws_end(s->srv, c->id, c->how, 1006, NULL)) return;
    return;
  }
  if (c->countdown > 0) c->countdown--;
  int rc;
  if (c->combined && stream) {
    size_t n = strlen(stream) + strlen(msg) + 32;
    char *w = malloc(n);
    if (!w) return;
    int k = snprintf(w, n, "{\"stream\":\"%s\",\"data\":%s}", stream, msg);
    rc = cq_server_ws_send(s->srv, c->id, w, (size_t)k, NULL);
    free(w);
  } else {
    rc = cq_server_ws_send(s->srv, c->id, msg, strlen(msg), NULL);
  }
  if (rc == CQ_OK) s->counters.ws_messages++;
}

/* ---- the market thread -------------------------------------------------------------------- */

/* A diff from the book as last sent (step a) to the current one (step b), as Binance
 * aggregates one: every level that changed at any step in (a, b], with its quantity at b
 * (0: gone). A client that applies it to a snapshot taken at any step in [a, b] gets the
 * book at b. The steps between are the synthetic market's (the users' orders as now). */
typedef struct lv_track {
  double price, first;
  int present;
  bool changed;
} lv_track;

#define MAX_MID_STEPS 50
#define TRACK_MAX ((size_t)4 * VM_BOOK_LEVELS)

static size_t range_diff(const vm_market *m, int sym, int64_t a, int64_t b, const vm_level *old,
                         const vm_level *cur, bool bids, vm_level *tmp_b, vm_level *tmp_a,
                         lv_track *tr, size_t trmax, vm_level *out) {
  size_t nt = 0;
  int books = 0;
  int64_t mids = b - a - 1;
  if (mids > MAX_MID_STEPS) mids = 0; /* a long pause: the two ends only */
  for (int64_t k = -1; k <= mids; k++) {
    const vm_level *lv;
    if (k < 0) {
      lv = old;
    } else if (k == mids) {
      lv = cur;
    } else {
      vm_book(m, sym, a + 1 + k, tmp_b, tmp_a, VM_BOOK_LEVELS);
      lv = bids ? tmp_b : tmp_a;
    }
    books++;
    for (size_t i = 0; i < VM_BOOK_LEVELS; i++) {
      if (lv[i].price <= 0) continue;
      size_t j = 0;
      while (j < nt && tr[j].price != lv[i].price) j++;
      if (j == nt) {
        if (nt == trmax) continue;
        tr[nt++] = (lv_track){lv[i].price, lv[i].qty, 0, books > 1};
      }
      if (tr[j].first != lv[i].qty) tr[j].changed = true;
      tr[j].present++;
    }
  }
  size_t n = 0;
  for (size_t j = 0; j < nt; j++) {
    if (!tr[j].changed && tr[j].present == books) continue;
    double q = 0.0;
    for (size_t i = 0; i < VM_BOOK_LEVELS; i++)
      if (cur[i].price == tr[j].price) q = cur[i].qty;
    out[n++] = (vm_level){tr[j].price, q};
  }
  return n;
}

static void send_depth(cq_vsim *s, vs_sub_kind kind, int sym, const char *msg) {
  cq_vsim_fault_kind f = vf_depth_fault(&s->faults);
  for (size_t i = 0; i < MAX_CONNS; i++) {
    vs_conn *c = &s->conns[i];
    if (!c->used) continue;
    for (size_t k = 0; k < c->nsubs; k++) {
      vs_sub *x = &c->subs[k];
      if (x->kind != kind || x->sym != sym) continue;
      if (f == CQ_VSIM_FAULT_DEPTH_DROP) continue;
      if (f == CQ_VSIM_FAULT_DEPTH_REORDER && !c->held) {
        c->held = strdup(msg); /* sent after the next one */
        continue;
      }
      vs_ws_send(s, c, x->name, msg);
      if (f == CQ_VSIM_FAULT_DEPTH_DUP) vs_ws_send(s, c, x->name, msg);
      if (c->held && f != CQ_VSIM_FAULT_DEPTH_REORDER) {
        vs_ws_send(s, c, x->name, c->held);
        free(c->held);
        c->held = NULL;
      }
    }
  }
}

size_t vs_trades_page(const cq_vsim *s, int sym, int64_t from, int64_t now, int64_t *after_id,
                      vm_trade *tr, size_t max) {
  if (from >= now) return 0;
  size_t n = vm_trades_after(&s->mkt, sym, from, now, *after_id, tr, max);
  if (n) *after_id = tr[n - 1].id;
  return n;
}

static void tick(cq_vsim *s, int64_t now) {
  /* a step that fails (an amount out of range) leaves the orders as they were: the next
   * step tries again */
  (void)vx_market_step(s->ex, now, NULL);
  vf_script_tick(&s->faults, now);
  int64_t from = s->last_tick_ms ? s->last_tick_ms : now - 1;
  s->last_tick_ms = now;
  /* the trades of this step: from where the last step's ended, never twice */
  int64_t tfrom = s->trades_to_ms ? s->trades_to_ms : now - 1;
  if (now > tfrom) s->trades_to_ms = now;
  int64_t step = now / VM_BOOK_STEP_MS;
  const size_t max_ev = 256;
  vx_event *ev = malloc(max_ev * sizeof *ev);
  vm_trade *tr = malloc(MAX_TICK_TRADES * sizeof *tr);
  vm_level *bids = malloc(VM_BOOK_LEVELS * sizeof *bids),
           *asks = malloc(VM_BOOK_LEVELS * sizeof *asks);
  vm_level *db = malloc(TRACK_MAX * sizeof *db), *da = malloc(TRACK_MAX * sizeof *da);
  vm_level *tb = malloc(VM_BOOK_LEVELS * sizeof *tb), *ta = malloc(VM_BOOK_LEVELS * sizeof *ta);
  lv_track *trk = malloc(TRACK_MAX * sizeof *trk);
  if (!ev || !tr || !bids || !asks || !db || !da || !tb || !ta || !trk) goto done;
  size_t nev = vx_events_take(s->ex, ev, max_ev);
  cq_vsim_fault_spec wf;
  bool ws_fault = vf_ws_fault(&s->faults, &wf);
  pthread_mutex_lock(&s->mu);
  if (ws_fault)
    for (size_t i = 0; i < MAX_CONNS; i++)
      if (s->conns[i].used) {
        s->conns[i].countdown = wf.n;
        s->conns[i].how = wf.kind == CQ_VSIM_FAULT_WS_STALL ? CQ_WS_END_STALL : CQ_WS_END_DROP;
      }
  bool binance = s->ops->tick == NULL; /* Binance's streams are the code below */
  if (!binance) {
    vs_v5_scratch sc = {.bids = bids, .asks = asks, .db = db, .da = da, .trades_from = tfrom};
    s->ops->tick(s, from, now, ev, nev, &sc);
  }
  for (size_t y = 0; binance && y < s->mkt.nsyms; y++) {
    int sym = (int)y;
    bool want[SUB_KIND_COUNT_] = {false};
    for (size_t i = 0; i < MAX_CONNS; i++)
      if (s->conns[i].used)
        for (size_t k = 0; k < s->conns[i].nsubs; k++)
          if (s->conns[i].subs[k].sym == sym) want[s->conns[i].subs[k].kind] = true;
    int64_t after = -1;
    for (size_t n; (want[SUB_TRADE] || want[SUB_AGG]) &&
                   (n = vs_trades_page(s, sym, tfrom, now, &after, tr, MAX_TICK_TRADES)) > 0;) {
      for (size_t t = 0; t < n; t++) {
        char *m1 = want[SUB_TRADE] ? vd_binance_trade_msg(&s->mkt, sym, &tr[t], now, false) : NULL;
        char *m2 = want[SUB_AGG] ? vd_binance_trade_msg(&s->mkt, sym, &tr[t], now, true) : NULL;
        for (size_t i = 0; i < MAX_CONNS; i++) {
          vs_conn *c = &s->conns[i];
          if (!c->used) continue;
          for (size_t k = 0; k < c->nsubs; k++) {
            vs_sub *x = &c->subs[k];
            if (x->sym != sym) continue;
            if (x->kind == SUB_TRADE && m1) vs_ws_send(s, c, x->name, m1);
            if (x->kind == SUB_AGG && m2) vs_ws_send(s, c, x->name, m2);
          }
        }
        free(m1);
        free(m2);
      }
    }
    char *tk = NULL; /* the 24 h ticker, once a second per subscription */
    for (size_t i = 0; want[SUB_TICKER] && i < MAX_CONNS; i++) {
      vs_conn *c = &s->conns[i];
      if (!c->used) continue;
      for (size_t k = 0; k < c->nsubs; k++) {
        vs_sub *x = &c->subs[k];
        if (x->kind != SUB_TICKER || x->sym != sym || x->ticks == now / 1000) continue;
        x->ticks = now / 1000;
        if (!tk) tk = vd_binance_ticker_msg(&s->bin, sym, now);
        if (tk) vs_ws_send(s, c, x->name, tk);
      }
    }
    free(tk);
    sym_state *st = &s->ss[y];
    bool need_book = want[SUB_BOOK_TICKER] || want[SUB_DEPTH] || want[SUB_DEPTH100];
    if (need_book && !vm_in_gap(&s->mkt, now)) {
      vm_book(&s->mkt, sym, step, bids, asks, VM_BOOK_LEVELS);
      vx_add_resting(s->ex, sym, bids, asks, VM_BOOK_LEVELS);
      if (want[SUB_BOOK_TICKER] &&
          (bids[0].price != st->top_bid.price || bids[0].qty != st->top_bid.qty ||
           asks[0].price != st->top_ask.price || asks[0].qty != st->top_ask.qty)) {
        st->top_bid = bids[0];
        st->top_ask = asks[0];
        char *m = vd_binance_book_ticker_msg(&s->mkt, sym, step, &bids[0], &asks[0]);
        for (size_t i = 0; m && i < MAX_CONNS; i++) {
          vs_conn *c = &s->conns[i];
          if (!c->used) continue;
          for (size_t k = 0; k < c->nsubs; k++)
            if (c->subs[k].sym == sym && c->subs[k].kind == SUB_BOOK_TICKER)
              vs_ws_send(s, c, c->subs[k].name, m);
        }
        free(m);
      }
      if (want[SUB_DEPTH100] && step > st->step) {
        if (st->step) {
          size_t nb = range_diff(&s->mkt, sym, st->step, step, st->bids, bids, true, tb, ta, trk,
                                 TRACK_MAX, db);
          size_t na = range_diff(&s->mkt, sym, st->step, step, st->asks, asks, false, tb, ta, trk,
                                 TRACK_MAX, da);
          char *m = vd_binance_depth_msg(&s->mkt, sym, st->step + 1, step, now, db, nb, da, na);
          if (m) send_depth(s, SUB_DEPTH100, sym, m);
          free(m);
        }
        memcpy(st->bids, bids, VM_BOOK_LEVELS * sizeof *bids);
        memcpy(st->asks, asks, VM_BOOK_LEVELS * sizeof *asks);
        st->step = step;
      }
      if (want[SUB_DEPTH] && step >= st->step1 + 1000 / VM_BOOK_STEP_MS) {
        if (st->step1) {
          size_t nb = range_diff(&s->mkt, sym, st->step1, step, st->bids1, bids, true, tb, ta, trk,
                                 TRACK_MAX, db);
          size_t na = range_diff(&s->mkt, sym, st->step1, step, st->asks1, asks, false, tb, ta, trk,
                                 TRACK_MAX, da);
          char *m = vd_binance_depth_msg(&s->mkt, sym, st->step1 + 1, step, now, db, nb, da, na);
          if (m) send_depth(s, SUB_DEPTH, sym, m);
          free(m);
        }
        memcpy(st->bids1, bids, VM_BOOK_LEVELS * sizeof *bids);
        memcpy(st->asks1, asks, VM_BOOK_LEVELS * sizeof *asks);
        st->step1 = step;
      }
    }
    if (want[SUB_KLINE])
      for (size_t i = 0; i < MAX_CONNS; i++) {
        vs_conn *c = &s->conns[i];
        if (!c->used) continue;
        for (size_t k = 0; k < c->nsubs; k++) {
          vs_sub *x = &c->subs[k];
          if (x->kind != SUB_KLINE || x->sym != sym) continue;
          int64_t open = vd_interval_floor(now, x->len);
          if (x->last_open && open != x->last_open) { /* the candle closed: its final state */
            char *m = vd_binance_kline_msg(&s->mkt, sym, x->interval, x->len, x->last_open,
                                           x->last_open + x->len);
            if (m) vs_ws_send(s, c, x->name, m);
            free(m);
          }
          if (now / 1000 != from / 1000 || x->last_open != open) {
            char *m = vd_binance_kline_msg(&s->mkt, sym, x->interval, x->len, open, now);
            if (m) vs_ws_send(s, c, x->name, m);
            free(m);
          }
          x->last_open = open;
        }
      }
  }
  /* connections at the end of their life, and user streams whose listen key expired */
  int64_t life = s->opt.ws_lifetime_ms > 0 ? s->opt.ws_lifetime_ms : INT64_C(86400000);
  for (size_t i = 0; i < MAX_CONNS; i++) {
    vs_conn *c = &s->conns[i];
    if (!c->used || c->ended || !s->srv) continue;
    if (binance && c->account >= 0 && vd_binance_listen_account(&s->bin, c->listen_key, now) < 0) {
      char m[160];
      snprintf(m, sizeof m, "{\"e\":\"listenKeyExpired\",\"E\":%lld,\"listenKey\":\"%s\"}",
               (long long)now, c->listen_key);
      vs_ws_send(s, c, NULL, m);
      c->account = -1; /* said once; the connection stays, as Binance's does */
    }
    if (now - c->opened_ms >= life) {
      c->ended = true;
      int rc = cq_server_ws_end(s->srv, c->id, CQ_WS_END_CLOSE, 1000, NULL);
      (void)rc; /* a connection already gone needs no close */
    }
  }
  for (size_t e = 0; binance && e < nev; e++) {
    char *m = vd_binance_user_msg(&s->bin, &ev[e]);
    if (!m) continue;
    for (size_t i = 0; i < MAX_CONNS; i++) {
      vs_conn *c = &s->conns[i];
      if (c->used && c->account == ev[e].account) vs_ws_send(s, c, NULL, m);
    }
    free(m);
  }
  pthread_mutex_unlock(&s->mu);
done:
  free(ev);
  free(tr);
  free(bids);
  free(asks);
  free(db);
  free(da);
  free(tb);
  free(ta);
  free(trk);
}

static void *market_main(void *arg) {
  cq_vsim *s = arg;
  int interval = s->opt.stream_interval_ms > 0 ? s->opt.stream_interval_ms : 100;
  pthread_mutex_lock(&s->run_mu);
  while (!s->stopping) {
    s->wake = false;
    pthread_mutex_unlock(&s->run_mu);
    tick(s, cq_vsim_now_ms(s));
    pthread_mutex_lock(&s->run_mu);
    if (s->stopping) break;
    if (s->wake) continue; /* user events waiting: out now, not at the next step */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)interval * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&s->run_cv, &s->run_mu, &ts);
  }
  pthread_mutex_unlock(&s->run_mu);
  return NULL;
}

int cq_vsim_start(cq_vsim *s, cq_net_loop *loop, const char *host, int port, cq_error *err) {
  if (s->srv) return cq_error_set(err, CQ_ESTATE, "venue simulator: already started");
  cq_server_options so;
  memset(&so, 0, sizeof so);
  so.host = host ? host : "127.0.0.1";
  so.port = port;
  so.ping_interval_ms = s->opt.ws_ping_ms > 0 ? s->opt.ws_ping_ms : 20000;
  cq_srv_callbacks cb = {.ctx = s,
                         .on_http = on_http,
                         .on_ws_open = on_ws_open,
                         .on_ws_message = on_ws_message,
                         .on_ws_close = on_ws_close};
  cq_server *srv = NULL;
  int rc = cq_server_start(loop, &so, &cb, &srv, err);
  if (rc) return rc;
  pthread_mutex_lock(&s->mu);
  s->srv = srv;
  s->port = cq_server_port(srv);
  snprintf(s->rest_url, sizeof s->rest_url, "http://%s:%d", so.host, s->port);
  snprintf(s->ws_url, sizeof s->ws_url, "ws://%s:%d", so.host, s->port);
  pthread_mutex_unlock(&s->mu);
  s->stopping = false;
  if (pthread_create(&s->thread, NULL, market_main, s)) {
    cq_vsim_stop(s);
    return cq_error_set(err, CQ_EINTERNAL, "venue simulator: cannot start the market thread");
  }
  s->thread_on = true;
  s->stop_hook = cq_vsim_stop;
  if (s->opt.log)
    cq_logf(s->opt.log, CQ_LOG_INFO, "venue-sim: %s on %s and %s, market %s",
            s->opt.dialect ? s->opt.dialect : "binance", s->rest_url, s->ws_url,
            s->opt.market ? s->opt.market : "synthetic:1");
  return CQ_OK;
}

void cq_vsim_stop(cq_vsim *s) {
  if (!s) return;
  if (s->thread_on) {
    pthread_mutex_lock(&s->run_mu);
    s->stopping = true;
    pthread_cond_signal(&s->run_cv);
    pthread_mutex_unlock(&s->run_mu);
    pthread_join(s->thread, NULL);
    s->thread_on = false;
  }
  if (s->srv) {
    cq_server *srv = s->srv;
    cq_server_stop(srv);
    pthread_mutex_lock(&s->mu);
    s->srv = NULL;
    for (size_t i = 0; i < MAX_CONNS; i++) {
      free(s->conns[i].held);
      memset(&s->conns[i], 0, sizeof s->conns[i]);
    }
    pthread_mutex_unlock(&s->mu);
  }
}
