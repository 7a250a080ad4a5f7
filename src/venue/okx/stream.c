/* OKX v5 WebSocket messages -> cquant events, the book checksum and the local book
 * synchronizer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okx_json.h"

void cq_okx_msg_init(cq_okx_msg *m) {
  memset(m, 0, sizeof *m);
  cq_vbook_msg_init(&m->book);
  cq_vevents_init(&m->events);
}

void cq_okx_msg_release(cq_okx_msg *m) {
  if (!m) return;
  cq_vbook_msg_release(&m->book);
  cq_vevents_release(&m->events);
  memset(m, 0, sizeof *m);
}

static void reset_msg(cq_okx_msg *m) {
  m->kind = CQ_OKX_MSG_EVENTS;
  m->channel[0] = m->inst_id[0] = m->event[0] = m->msg[0] = '\0';
  m->code = 0;
  cq_vbook_msg_clear(&m->book);
  m->events.n = 0;
}

static void unify(const char *inst, char out[CQ_SYMBOL_MAX]) {
  if (cq_okx_to_unified(inst, out, NULL) < 0) cq_strlcpy(out, inst, CQ_SYMBOL_MAX);
}

static cq_venue_event *push(cq_okx_msg *m, cq_vev_kind k, cq_time recv, cq_error *err) {
  return cq_vevents_push(&m->events, k, OKX, recv, err);
}

static int on_trades(json_t *data, cq_okx_msg *m, cq_time recv, cq_error *err) {
  size_t i;
  json_t *o;
  json_array_foreach(data, i, o) {
    char p[CQ__VJ_PATH_MAX], inst[CQ_SYMBOL_MAX];
    cq__vj_pathi(p, "data", i);
    cq_trade t;
    int rc = cq__okx_trade(o, p, &t, inst, err);
    if (rc < 0) return rc;
    cq_venue_event *ev = push(m, CQ_VEV_TRADE, recv, err);
    if (!ev) return err ? err->code : CQ_ELIMIT;
    ev->u.trade = t;
    ev->event_time = t.time;
    unify(inst, ev->symbol);
  }
  return 0;
}

static int on_bbo(json_t *data, cq_okx_msg *m, cq_time recv, cq_error *err) {
  size_t i;
  json_t *o;
  json_array_foreach(data, i, o) {
    char p[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "data", i);
    cq_vbook_msg_clear(&m->book);
    int rc = cq__okx_book_item(o, p, &m->book, err);
    if (rc < 0) return rc;
    cq_venue_event *ev = push(m, CQ_VEV_QUOTE, recv, err);
    if (!ev) return err ? err->code : CQ_ELIMIT;
    if (m->book.nbids)
      ev->u.quote.bid = m->book.bids[0].price, ev->u.quote.bid_qty = m->book.bids[0].qty;
    if (m->book.nasks)
      ev->u.quote.ask = m->book.asks[0].price, ev->u.quote.ask_qty = m->book.asks[0].qty;
    ev->u.quote.update_id = m->book.seq > 0 ? (uint64_t)m->book.seq : 0;
    ev->event_time = m->book.time;
    unify(m->inst_id, ev->symbol);
  }
  cq_vbook_msg_clear(&m->book);
  return 0;
}

static int on_tickers(json_t *data, cq_okx_msg *m, cq_time recv, cq_error *err) {
  size_t i;
  json_t *o;
  json_array_foreach(data, i, o) {
    char p[CQ__VJ_PATH_MAX], inst[CQ_SYMBOL_MAX];
    cq__vj_pathi(p, "data", i);
    cq_ticker t;
    int rc = cq__okx_ticker(o, p, inst, &t, err);
    if (rc < 0) return rc;
    cq_venue_event *ev = push(m, CQ_VEV_TICKER, recv, err);
    if (!ev) return err ? err->code : CQ_ELIMIT;
    ev->u.ticker = t;
    ev->event_time = t.close_time;
    unify(inst, ev->symbol);
  }
  return 0;
}

static int on_candles(json_t *data, const char *bar, cq_okx_msg *m, cq_time recv, cq_error *err) {
  cq_timeframe tf;
  int rc = cq_okx_bar_parse(bar, &tf, NULL, err);
  if (rc < 0) return rc;
  size_t i;
  json_t *row;
  json_array_foreach(data, i, row) {
    char p[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "data", i);
    cq_candle k;
    rc = cq__okx_candle_row(row, p, &k, err);
    if (rc < 0) return rc;
    cq_venue_event *ev = push(m, CQ_VEV_KLINE, recv, err);
    if (!ev) return err ? err->code : CQ_ELIMIT;
    ev->u.kline.tf = tf;
    ev->u.kline.candle = k;
    ev->event_time = k.open_time;
    unify(m->inst_id, ev->symbol);
  }
  return 0;
}

static bool nonzero_dec(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  if (!json_is_string(v) || json_string_length(v) == 0) return false;
  cq_dec d;
  return cq_dec_parse(json_string_value(v), json_string_length(v), &d, NULL) == 0 &&
         !cq_dec_is_zero(d);
}

static int on_orders(json_t *data, cq_okx_msg *m, cq_time recv, cq_error *err) {
  size_t i;
  json_t *o;
  json_array_foreach(data, i, o) {
    char p[CQ__VJ_PATH_MAX];
    cq__vj_pathi(p, "data", i);
    cq_venue_order ord;
    int rc = cq__okx_order(o, p, &ord, err);
    if (rc < 0) return rc;
    cq_venue_event *ev = push(m, CQ_VEV_ORDER, recv, err);
    if (!ev) return err ? err->code : CQ_ELIMIT;
    ev->u.order.order = ord;
    ev->event_time = ord.updated;
    cq_strlcpy(ev->symbol, ord.symbol, sizeof ev->symbol);
    if (!nonzero_dec(o, "fillSz")) continue;
    /* The order's last fill: fillPx, fillSz, tradeId, fillTime; its fee is fillFee, or the
     * order's fee when this fill is its only one (fee is the order's running total). */
    cq_venue_fill *f = &ev->u.order.fill;
    memset(f, 0, sizeof *f);
    char exec[8] = "";
    rc = cq__vj_dec(OKX, o, p, "fillPx", &f->price, err);
    if (rc == 0) rc = cq__vj_dec(OKX, o, p, "fillSz", &f->qty, err);
    if (rc == 0) rc = cq__vj_str(OKX, o, p, "tradeId", f->trade_id, sizeof f->trade_id, err);
    if (rc == 0) rc = cq__vj_times(OKX, o, p, "fillTime", &f->time, err);
    if (rc == 0) rc = cq__vj_str_oe(OKX, o, p, "execType", exec, sizeof exec, err);
    if (rc < 0) return rc;
    if (json_object_get(o, "fillFee")) {
      rc = cq__okx_fee(o, p, "fillFee", &f->fee, err);
      if (rc == 0)
        rc = cq__vj_str_oe(OKX, o, p, "fillFeeCcy", f->fee_asset, sizeof f->fee_asset, err);
    } else if (cq_dec_eq(f->qty, ord.filled)) {
      rc = cq__okx_fee(o, p, "fee", &f->fee, err);
      if (rc == 0) rc = cq__vj_str_oe(OKX, o, p, "feeCcy", f->fee_asset, sizeof f->fee_asset, err);
    }
    if (rc < 0) return rc;
    cq_strlcpy(f->symbol, ord.symbol, sizeof f->symbol);
    cq_strlcpy(f->client_id, ord.client_id, sizeof f->client_id);
    cq_strlcpy(f->venue_order_id, ord.venue_id, sizeof f->venue_order_id);
    f->side = ord.side;
    f->liquidity = exec[0] == 'M' ? CQ_LIQ_MAKER : CQ_LIQ_TAKER;
    ev->u.order.has_fill = true;
  }
  return 0;
}

static int on_account(json_t *data, cq_okx_msg *m, cq_time recv, cq_error *err) {
  cq_balance *b = NULL;
  size_t n = 0;
  int rc = cq__okx_balances_of(data, "data", &b, &n, err);
  if (rc < 0) return rc;
  cq_time t = 0;
  (void)cq__vj_times_opt(OKX, json_array_get(data, 0), "data[0]", "uTime", &t, NULL);
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

static int unsupported(const char *what, const char *name, cq_error *err) {
  return cq_error_set(err, CQ_EUNSUPPORTED, "okx: %s \"%.40s\" is not supported (spot only)", what,
                      name);
}

int cq_okx_parse_ws(const char *s, size_t n, cq_time recv_time, cq_okx_msg *out, cq_error *err) {
  reset_msg(out);
  if (s && n == sizeof CQ_OKX_PONG - 1 && memcmp(s, CQ_OKX_PONG, n) == 0) {
    out->kind = CQ_OKX_MSG_PONG;
    return 0;
  }
  json_t *j;
  int rc = cq__vj_load(OKX, s, n, &j, err);
  if (rc < 0) return rc;
  rc = cq__vj_obj(OKX, j, "", err);
  json_t *ev = json_object_get(j, "event");
  if (rc == 0 && ev) {
    out->kind = CQ_OKX_MSG_EVENT;
    rc = cq__vj_str(OKX, j, "", "event", out->event, sizeof out->event, err);
    int64_t code = 0;
    if (rc == 0) rc = cq__vj_i64s_opt(OKX, j, "", "code", &code, err);
    out->code = (int)code;
    json_t *msg = json_object_get(j, "msg");
    if (json_is_string(msg)) cq_strlcpy(out->msg, json_string_value(msg), sizeof out->msg);
    json_t *arg = json_object_get(j, "arg");
    json_t *ch = json_object_get(arg, "channel");
    if (json_is_string(ch)) cq_strlcpy(out->channel, json_string_value(ch), sizeof out->channel);
    json_decref(j);
    return rc;
  }
  json_t *arg = json_object_get(j, "arg");
  if (rc == 0) rc = cq__vj_obj(OKX, arg, "arg", err);
  if (rc == 0) rc = cq__vj_str(OKX, arg, "arg", "channel", out->channel, sizeof out->channel, err);
  if (rc == 0)
    rc = cq__vj_str_oe(OKX, arg, "arg", "instId", out->inst_id, sizeof out->inst_id, err);
  json_t *data = json_object_get(j, "data");
  if (rc == 0) rc = cq__vj_arr(OKX, data, "data", err);
  if (rc == 0) rc = cq__okx_spot_only(arg, "arg", err);
  if (rc < 0) {
    json_decref(j);
    return rc;
  }
  const char *c = out->channel;
  if (strcmp(c, "books") == 0 || strcmp(c, "books5") == 0 || strcmp(c, "books-l2-tbt") == 0 ||
      strcmp(c, "books50-l2-tbt") == 0 || strcmp(c, "books-elp") == 0) {
    out->kind = CQ_OKX_MSG_BOOK;
    char action[16] = "snapshot";
    rc = cq__vj_str_opt(OKX, j, "", "action", action, sizeof action, err);
    if (rc == 0 && strcmp(action, "snapshot") != 0 && strcmp(action, "update") != 0)
      rc = cq__vj_perr(OKX, err, "action", "expected snapshot or update, found \"%s\"", action);
    if (rc == 0 && json_array_size(data) != 1)
      rc = cq__vj_perr(OKX, err, "data", "a books message has one item, found %zu",
                       json_array_size(data));
    if (rc == 0) rc = cq__okx_book_item(json_array_get(data, 0), "data[0]", &out->book, err);
    out->book.snapshot = strcmp(action, "snapshot") == 0;
    cq_strlcpy(out->book.native, out->inst_id, sizeof out->book.native);
  } else if (strcmp(c, "bbo-tbt") == 0) {
    rc = on_bbo(data, out, recv_time, err);
  } else if (strcmp(c, "trades") == 0 || strcmp(c, "trades-all") == 0) {
    rc = on_trades(data, out, recv_time, err);
  } else if (strcmp(c, "tickers") == 0) {
    rc = on_tickers(data, out, recv_time, err);
  } else if (strncmp(c, "candle", 6) == 0) {
    rc = on_candles(data, c + 6, out, recv_time, err);
  } else if (strcmp(c, "orders") == 0) {
    rc = on_orders(data, out, recv_time, err);
  } else if (strcmp(c, "account") == 0) {
    rc = on_account(data, out, recv_time, err);
  } else {
    rc = unsupported("channel", c, err);
  }
  if (rc < 0) {
    cq_vbook_msg_clear(&out->book);
    out->events.n = 0;
  }
  json_decref(j);
  return rc;
}

/* ---- checksum and synchronizer ------------------------------------------------------------ */

/* "px:sz" of a level, as OKX wrote them (cq_dec keeps the scale it was read with). */
static size_t level_text(const cq_l2book *b, cq_side side, size_t i, char *buf, size_t n) {
  cq_dec px, sz;
  if (!cq_l2book_level(b, side, i, &px, &sz)) return 0;
  char a[CQ_DEC_STRMAX], q[CQ_DEC_STRMAX];
  if (cq_dec_format_fixed(px, px.scale, a, sizeof a, NULL) < 0) a[0] = '\0';
  if (cq_dec_format_fixed(sz, sz.scale, q, sizeof q, NULL) < 0) q[0] = '\0';
  int len = snprintf(buf, n, "%s:%s", a, q);
  return len < 0 ? 0 : (size_t)len;
}

int32_t cq_okx_book_checksum(const cq_l2book *b) {
  uint32_t crc = 0;
  bool first = true;
  char t[2 * CQ_DEC_STRMAX + 2];
  for (size_t i = 0; i < 25; i++) {
    for (int s = 0; s < 2; s++) {
      size_t len = level_text(b, s == 0 ? CQ_SIDE_BUY : CQ_SIDE_SELL, i, t, sizeof t);
      if (!len) continue;
      if (!first) crc = cq_crc32(crc, ":", 1);
      crc = cq_crc32(crc, t, len);
      first = false;
    }
  }
  return (int32_t)crc;
}

struct cq_okx_book_sync {
  cq_l2book *book;
  bool synced; /* a snapshot was applied and nothing broke since */
};

int cq_okx_book_sync_new(size_t max_levels, cq_okx_book_sync **out, cq_error *err) {
  if (max_levels < 25)
    return cq_error_set(err, CQ_EINVAL, "okx: book sync: max_levels must be >= 25 (checksum)");
  cq_okx_book_sync *s = calloc(1, sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "okx: book sync: out of memory");
  int rc = cq_l2book_new(max_levels, &s->book, err);
  if (rc < 0) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void cq_okx_book_sync_free(cq_okx_book_sync *s) {
  if (!s) return;
  cq_l2book_free(s->book);
  free(s);
}

void cq_okx_book_sync_reset(cq_okx_book_sync *s) {
  cq_l2book_clear(s->book);
  s->synced = false;
}

bool cq_okx_book_sync_needs_snapshot(const cq_okx_book_sync *s) {
  return !s->synced;
}
const cq_l2book *cq_okx_book_sync_book(const cq_okx_book_sync *s) {
  return s->book;
}

static void broken(cq_okx_book_sync *s) {
  s->synced = false;
  cq_l2book_set_valid(s->book, false);
}

int cq_okx_book_sync_apply(cq_okx_book_sync *s, const cq_vbook_msg *m, cq_vsync_result *res,
                           cq_error *err) {
  if (!m->snapshot) {
    if (!s->synced) {
      *res = CQ_VSYNC_WAITING;
      return 0;
    }
    if (m->prev_seq != (int64_t)cq_l2book_seq(s->book)) {
      broken(s);
      *res = CQ_VSYNC_GAP;
      return 0;
    }
  }
  int rc = cq_vbook_msg_apply(m, s->book, err);
  if (rc < 0) {
    broken(s);
    *res = CQ_VSYNC_GAP;
    return rc;
  }
  if (cq_l2book_crossed(s->book)) {
    broken(s);
    *res = CQ_VSYNC_GAP;
    return 0;
  }
  if (m->has_checksum && cq_okx_book_checksum(s->book) != m->checksum) {
    broken(s);
    *res = CQ_VSYNC_CHECKSUM;
    return 0;
  }
  s->synced = true;
  cq_l2book_set_valid(s->book, true);
  *res = CQ_VSYNC_APPLIED;
  return 0;
}
