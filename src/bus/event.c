/* Bus events: the binary encoding (version 1) and the JSON form.
 *
 * Layout, little-endian, fixed widths: version u8, kind u8, venue and symbol as strings
 * (u8 length, then the bytes, no NUL), id u64, event/recv/publish time i64, then the payload
 * of the kind field by field. A decimal is its mantissa i64 and scale u8; a double its IEEE
 * bits as u64; an enum or a bool one byte. Every string length is checked against the field
 * it fills, so a decoded event always has its NULs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/bus.h"
#include "cquant/jsonw.h"

/* ---- kinds ----------------------------------------------------------------------------- */

static const char *const kind_names[] = {"trade", "quote",   "kline",  "book",
                                         "order", "balance", "status", "ticker"};
enum { KIND_COUNT = (int)(sizeof kind_names / sizeof kind_names[0]) };

const char *cq_bus_kind_name(cq_vev_kind k) {
  return (unsigned)k < KIND_COUNT ? kind_names[k] : "?";
}

size_t cq_bus_event_size(const cq_bus_event *ev) {
  size_t head = offsetof(cq_bus_event, u), p;
  switch (ev->kind) {
    case CQ_VEV_TRADE:
      p = sizeof ev->u.trade;
      break;
    case CQ_VEV_QUOTE:
      p = sizeof ev->u.quote;
      break;
    case CQ_VEV_KLINE:
      p = sizeof ev->u.kline;
      break;
    case CQ_VEV_BOOK:
      p = sizeof ev->u.book;
      break;
    case CQ_VEV_ORDER:
      p = sizeof ev->u.order;
      break;
    case CQ_VEV_BALANCE:
      p = sizeof ev->u.balance;
      break;
    case CQ_VEV_STATUS:
      p = sizeof ev->u.status;
      break;
    case CQ_VEV_TICKER:
      p = sizeof ev->u.ticker;
      break;
    default:
      p = sizeof ev->u;
      break;
  }
  return head + p;
}

/* A bar length the rest of cquant accepts: 1..CQ_TF_MAX_N units, 1..12 months. */
static bool tf_ok(cq_timeframe tf) {
  if (tf.n < 1 || tf.n > CQ_TF_MAX_N) return false;
  return tf.unit != CQ_TF_MONTH || tf.n <= 12;
}

/* ---- writer ---------------------------------------------------------------------------- */

typedef struct wr {
  uint8_t *buf;
  size_t cap, len;
  bool full;       /* ran out of room */
  const char *bad; /* a field that cannot be encoded */
} wr;

static void w_bytes(wr *w, const void *p, size_t n) {
  if (w->full || w->cap - w->len < n) {
    w->full = true;
    return;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

static void w_u8(wr *w, uint8_t v) {
  w_bytes(w, &v, 1);
}

static void w_u64(wr *w, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  w_bytes(w, b, 8);
}

static void w_u32(wr *w, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
  w_bytes(w, b, 4);
}

static void w_i64(wr *w, int64_t v) {
  w_u64(w, (uint64_t)v);
}

static void w_f64(wr *w, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  w_u64(w, u);
}

static void w_dec(wr *w, cq_dec d, const char *field) {
  if (d.scale > CQ_DEC_MAX_SCALE && !w->bad) w->bad = field;
  w_i64(w, d.m);
  w_u8(w, d.scale);
}

static void w_str(wr *w, const char *s, size_t max, const char *field) {
  size_t n = strnlen(s, max);
  if (n >= max || n > 255) {
    if (!w->bad) w->bad = field;
    return;
  }
  w_u8(w, (uint8_t)n);
  w_bytes(w, s, n);
}

static void w_enum(wr *w, int v, int count, const char *field) {
  if (v < 0 || v >= count) {
    if (!w->bad) w->bad = field;
    return;
  }
  w_u8(w, (uint8_t)v);
}

int cq_bus_encode(const cq_bus_event *ev, uint8_t *buf, size_t cap, size_t *len, cq_error *err) {
  wr w = {.buf = buf, .cap = cap};
  w_u8(&w, CQ_BUS_VERSION);
  w_enum(&w, (int)ev->kind, KIND_COUNT, "kind");
  w_str(&w, ev->venue, sizeof ev->venue, "venue");
  w_str(&w, ev->symbol, sizeof ev->symbol, "symbol");
  w_u64(&w, ev->id);
  w_i64(&w, ev->event_time);
  w_i64(&w, ev->recv_time);
  w_i64(&w, ev->publish_time);
  switch (ev->kind) {
    case CQ_VEV_TRADE: {
      const cq_trade *t = &ev->u.trade;
      w_i64(&w, t->time);
      w_dec(&w, t->price, "trade.price");
      w_dec(&w, t->qty, "trade.qty");
      w_enum(&w, (int)t->taker_side, 3, "trade.taker_side");
      w_str(&w, t->id, sizeof t->id, "trade.id");
      break;
    }
    case CQ_VEV_QUOTE: {
      const cq_quote *q = &ev->u.quote;
      w_dec(&w, q->bid, "quote.bid");
      w_dec(&w, q->bid_qty, "quote.bid_qty");
      w_dec(&w, q->ask, "quote.ask");
      w_dec(&w, q->ask_qty, "quote.ask_qty");
      w_u64(&w, q->update_id);
      break;
    }
    case CQ_VEV_KLINE: {
      const cq_candle *c = &ev->u.kline.candle;
      if (!tf_ok(ev->u.kline.tf) && !w.bad) w.bad = "kline.tf.n";
      w_u32(&w, ev->u.kline.tf.n);
      w_enum(&w, (int)ev->u.kline.tf.unit, (int)CQ_TF_MONTH + 1, "kline.tf.unit");
      w_i64(&w, c->open_time);
      w_f64(&w, c->open);
      w_f64(&w, c->high);
      w_f64(&w, c->low);
      w_f64(&w, c->close);
      w_f64(&w, c->volume);
      w_f64(&w, c->quote_volume);
      w_i64(&w, c->trades);
      w_u8(&w, c->closed ? 1 : 0);
      break;
    }
    case CQ_VEV_BOOK: {
      const cq_bus_book *b = &ev->u.book;
      if (b->nbids > CQ_BUS_BOOK_LEVELS || b->nasks > CQ_BUS_BOOK_LEVELS) {
        if (!w.bad) w.bad = "book.levels";
        break;
      }
      w_u64(&w, b->seq);
      w_u8(&w, (uint8_t)b->nbids);
      w_u8(&w, (uint8_t)b->nasks);
      for (uint32_t i = 0; i < b->nbids; i++) {
        w_dec(&w, b->bid_px[i], "book.bid_px");
        w_dec(&w, b->bid_qty[i], "book.bid_qty");
      }
      for (uint32_t i = 0; i < b->nasks; i++) {
        w_dec(&w, b->ask_px[i], "book.ask_px");
        w_dec(&w, b->ask_qty[i], "book.ask_qty");
      }
      break;
    }
    case CQ_VEV_ORDER: {
      const cq_venue_order *o = &ev->u.order.order;
      w_str(&w, o->symbol, sizeof o->symbol, "order.symbol");
      w_str(&w, o->client_id, sizeof o->client_id, "order.client_id");
      w_str(&w, o->venue_id, sizeof o->venue_id, "order.venue_id");
      w_enum(&w, (int)o->side, 3, "order.side");
      w_enum(&w, (int)o->type, CQ_ORDER_TYPE_COUNT, "order.type");
      w_enum(&w, (int)o->tif, CQ_TIF_COUNT, "order.tif");
      w_enum(&w, (int)o->state, CQ_OS_COUNT, "order.state");
      w_dec(&w, o->qty, "order.qty");
      w_dec(&w, o->price, "order.price");
      w_dec(&w, o->stop, "order.stop");
      w_dec(&w, o->filled, "order.filled");
      w_dec(&w, o->filled_quote, "order.filled_quote");
      w_i64(&w, o->created);
      w_i64(&w, o->updated);
      w_str(&w, o->reason, sizeof o->reason, "order.reason");
      w_u8(&w, ev->u.order.has_fill ? 1 : 0);
      if (ev->u.order.has_fill) {
        const cq_venue_fill *f = &ev->u.order.fill;
        w_str(&w, f->symbol, sizeof f->symbol, "fill.symbol");
        w_str(&w, f->client_id, sizeof f->client_id, "fill.client_id");
        w_str(&w, f->venue_order_id, sizeof f->venue_order_id, "fill.venue_order_id");
        w_str(&w, f->trade_id, sizeof f->trade_id, "fill.trade_id");
        w_enum(&w, (int)f->side, 3, "fill.side");
        w_dec(&w, f->price, "fill.price");
        w_dec(&w, f->qty, "fill.qty");
        w_dec(&w, f->fee, "fill.fee");
        w_str(&w, f->fee_asset, sizeof f->fee_asset, "fill.fee_asset");
        w_enum(&w, (int)f->liquidity, 2, "fill.liquidity");
        w_i64(&w, f->time);
      }
      break;
    }
    case CQ_VEV_BALANCE: {
      const cq_balance *b = &ev->u.balance;
      w_str(&w, b->asset, sizeof b->asset, "balance.asset");
      w_dec(&w, b->free, "balance.free");
      w_dec(&w, b->locked, "balance.locked");
      break;
    }
    case CQ_VEV_STATUS:
      w_enum(&w, (int)ev->u.status.status, (int)CQ_VST_STOPPED + 1, "status.status");
      w_str(&w, ev->u.status.detail, sizeof ev->u.status.detail, "status.detail");
      break;
    case CQ_VEV_TICKER: {
      const cq_ticker *t = &ev->u.ticker;
      const cq_dec *d[] = {&t->last,   &t->last_qty,     &t->open,   &t->high,       &t->low,
                           &t->volume, &t->quote_volume, &t->change, &t->change_pct, &t->vwap,
                           &t->bid,    &t->bid_qty,      &t->ask,    &t->ask_qty};
      for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) w_dec(&w, *d[i], "ticker");
      w_i64(&w, t->open_time);
      w_i64(&w, t->close_time);
      w_i64(&w, t->trades);
      break;
    }
    default:
      break;
  }
  if (w.bad)
    return cq_error_set(err, CQ_EINVAL, "bus event: cannot encode field %s (out of range)", w.bad);
  if (w.full)
    return cq_error_set(err, CQ_ELIMIT, "bus event: %zu bytes of buffer are not enough", cap);
  if (len) *len = w.len;
  return 0;
}

/* ---- reader ---------------------------------------------------------------------------- */

typedef struct rd {
  const uint8_t *buf;
  size_t len, pos;
  cq_error *err;
  int rc;
} rd;

static bool r_need(rd *r, size_t n, const char *field) {
  if (r->rc) return false;
  if (r->len - r->pos < n) {
    r->rc = cq_error_set(r->err, CQ_EPARSE,
                         "bus event: buffer ends in field %s (offset %zu, %zu bytes needed, "
                         "%zu left)",
                         field, r->pos, n, r->len - r->pos);
    cq_error_field(r->err, field);
    return false;
  }
  return true;
}

static void r_fail(rd *r, const char *field, const char *what) {
  if (r->rc) return;
  r->rc =
      cq_error_set(r->err, CQ_EPARSE, "bus event: field %s at offset %zu: %s", field, r->pos, what);
  cq_error_field(r->err, field);
}

static uint8_t r_u8(rd *r, const char *field) {
  if (!r_need(r, 1, field)) return 0;
  return r->buf[r->pos++];
}

static uint64_t r_u64(rd *r, const char *field) {
  if (!r_need(r, 8, field)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)r->buf[r->pos + (size_t)i] << (8 * i);
  r->pos += 8;
  return v;
}

static uint32_t r_u32(rd *r, const char *field) {
  if (!r_need(r, 4, field)) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)r->buf[r->pos + (size_t)i] << (8 * i);
  r->pos += 4;
  return v;
}

static int64_t r_i64(rd *r, const char *field) {
  return (int64_t)r_u64(r, field);
}

static double r_f64(rd *r, const char *field) {
  uint64_t u = r_u64(r, field);
  double d;
  memcpy(&d, &u, 8);
  return d;
}

static cq_dec r_dec(rd *r, const char *field) {
  cq_dec d = {0, 0};
  d.m = r_i64(r, field);
  d.scale = r_u8(r, field);
  if (d.scale > CQ_DEC_MAX_SCALE) {
    r->pos--;
    r_fail(r, field, "decimal scale over 18");
    d.scale = 0;
  }
  return d;
}

static int r_enum(rd *r, int count, const char *field) {
  uint8_t v = r_u8(r, field);
  if (v >= count) {
    r->pos--;
    r_fail(r, field, "value out of range");
    return 0;
  }
  return v;
}

static bool r_bool(rd *r, const char *field) {
  return r_enum(r, 2, field) != 0;
}

static void r_str(rd *r, char *dst, size_t max, const char *field) {
  uint8_t n = r_u8(r, field);
  if (r->rc) return;
  if ((size_t)n >= max) {
    r->pos--;
    r_fail(r, field, "string too long");
    return;
  }
  if (!r_need(r, n, field)) return;
  memcpy(dst, r->buf + r->pos, n);
  dst[n] = '\0';
  r->pos += n;
}

int cq_bus_decode(const uint8_t *buf, size_t len, cq_bus_event *out, cq_error *err) {
  /* Decoded into a local first so *out is never half-written. */
  cq_bus_event ev;
  memset(&ev, 0, sizeof ev);
  rd r = {.buf = buf, .len = len, .err = err};
  uint8_t ver = r_u8(&r, "version");
  if (!r.rc && ver != CQ_BUS_VERSION) {
    r.pos--;
    r.rc = cq_error_set(err, CQ_EPARSE, "bus event: unknown version %u (this build reads %d)",
                        (unsigned)ver, CQ_BUS_VERSION);
    cq_error_field(err, "version");
  }
  ev.kind = (cq_vev_kind)r_enum(&r, KIND_COUNT, "kind");
  r_str(&r, ev.venue, sizeof ev.venue, "venue");
  r_str(&r, ev.symbol, sizeof ev.symbol, "symbol");
  ev.id = r_u64(&r, "id");
  ev.event_time = r_i64(&r, "event_time");
  ev.recv_time = r_i64(&r, "recv_time");
  ev.publish_time = r_i64(&r, "publish_time");
  if (r.rc) return r.rc;
  switch (ev.kind) {
    case CQ_VEV_TRADE: {
      cq_trade *t = &ev.u.trade;
      t->time = r_i64(&r, "trade.time");
      t->price = r_dec(&r, "trade.price");
      t->qty = r_dec(&r, "trade.qty");
      t->taker_side = (cq_side)r_enum(&r, 3, "trade.taker_side");
      r_str(&r, t->id, sizeof t->id, "trade.id");
      break;
    }
    case CQ_VEV_QUOTE: {
      cq_quote *q = &ev.u.quote;
      q->bid = r_dec(&r, "quote.bid");
      q->bid_qty = r_dec(&r, "quote.bid_qty");
      q->ask = r_dec(&r, "quote.ask");
      q->ask_qty = r_dec(&r, "quote.ask_qty");
      q->update_id = r_u64(&r, "quote.update_id");
      break;
    }
    case CQ_VEV_KLINE: {
      cq_candle *c = &ev.u.kline.candle;
      ev.u.kline.tf.n = r_u32(&r, "kline.tf.n");
      ev.u.kline.tf.unit = (cq_tf_unit)r_enum(&r, (int)CQ_TF_MONTH + 1, "kline.tf.unit");
      if (!r.rc && !tf_ok(ev.u.kline.tf)) {
        r.pos -= 5;
        r_fail(&r, "kline.tf.n", "bar length out of range");
      }
      c->open_time = r_i64(&r, "kline.open_time");
      c->open = r_f64(&r, "kline.open");
      c->high = r_f64(&r, "kline.high");
      c->low = r_f64(&r, "kline.low");
      c->close = r_f64(&r, "kline.close");
      c->volume = r_f64(&r, "kline.volume");
      c->quote_volume = r_f64(&r, "kline.quote_volume");
      c->trades = r_i64(&r, "kline.trades");
      c->closed = r_bool(&r, "kline.closed");
      break;
    }
    case CQ_VEV_BOOK: {
      cq_bus_book *b = &ev.u.book;
      b->seq = r_u64(&r, "book.seq");
      b->nbids = r_enum(&r, CQ_BUS_BOOK_LEVELS + 1, "book.nbids");
      b->nasks = r_enum(&r, CQ_BUS_BOOK_LEVELS + 1, "book.nasks");
      for (uint32_t i = 0; i < b->nbids && !r.rc; i++) {
        b->bid_px[i] = r_dec(&r, "book.bid_px");
        b->bid_qty[i] = r_dec(&r, "book.bid_qty");
      }
      for (uint32_t i = 0; i < b->nasks && !r.rc; i++) {
        b->ask_px[i] = r_dec(&r, "book.ask_px");
        b->ask_qty[i] = r_dec(&r, "book.ask_qty");
      }
      break;
    }
    case CQ_VEV_ORDER: {
      cq_venue_order *o = &ev.u.order.order;
      r_str(&r, o->symbol, sizeof o->symbol, "order.symbol");
      r_str(&r, o->client_id, sizeof o->client_id, "order.client_id");
      r_str(&r, o->venue_id, sizeof o->venue_id, "order.venue_id");
      o->side = (cq_side)r_enum(&r, 3, "order.side");
      o->type = (cq_order_type)r_enum(&r, CQ_ORDER_TYPE_COUNT, "order.type");
      o->tif = (cq_tif)r_enum(&r, CQ_TIF_COUNT, "order.tif");
      o->state = (cq_order_state)r_enum(&r, CQ_OS_COUNT, "order.state");
      o->qty = r_dec(&r, "order.qty");
      o->price = r_dec(&r, "order.price");
      o->stop = r_dec(&r, "order.stop");
      o->filled = r_dec(&r, "order.filled");
      o->filled_quote = r_dec(&r, "order.filled_quote");
      o->created = r_i64(&r, "order.created");
      o->updated = r_i64(&r, "order.updated");
      r_str(&r, o->reason, sizeof o->reason, "order.reason");
      ev.u.order.has_fill = r_bool(&r, "order.has_fill");
      if (ev.u.order.has_fill) {
        cq_venue_fill *f = &ev.u.order.fill;
        r_str(&r, f->symbol, sizeof f->symbol, "fill.symbol");
        r_str(&r, f->client_id, sizeof f->client_id, "fill.client_id");
        r_str(&r, f->venue_order_id, sizeof f->venue_order_id, "fill.venue_order_id");
        r_str(&r, f->trade_id, sizeof f->trade_id, "fill.trade_id");
        f->side = (cq_side)r_enum(&r, 3, "fill.side");
        f->price = r_dec(&r, "fill.price");
        f->qty = r_dec(&r, "fill.qty");
        f->fee = r_dec(&r, "fill.fee");
        r_str(&r, f->fee_asset, sizeof f->fee_asset, "fill.fee_asset");
        f->liquidity = (cq_liquidity)r_enum(&r, 2, "fill.liquidity");
        f->time = r_i64(&r, "fill.time");
      }
      break;
    }
    case CQ_VEV_BALANCE: {
      cq_balance *b = &ev.u.balance;
      r_str(&r, b->asset, sizeof b->asset, "balance.asset");
      b->free = r_dec(&r, "balance.free");
      b->locked = r_dec(&r, "balance.locked");
      break;
    }
    case CQ_VEV_STATUS:
      ev.u.status.status = (cq_vstatus)r_enum(&r, (int)CQ_VST_STOPPED + 1, "status.status");
      r_str(&r, ev.u.status.detail, sizeof ev.u.status.detail, "status.detail");
      break;
    case CQ_VEV_TICKER: {
      cq_ticker *t = &ev.u.ticker;
      cq_dec *d[] = {&t->last,   &t->last_qty,     &t->open,   &t->high,       &t->low,
                     &t->volume, &t->quote_volume, &t->change, &t->change_pct, &t->vwap,
                     &t->bid,    &t->bid_qty,      &t->ask,    &t->ask_qty};
      for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) *d[i] = r_dec(&r, "ticker");
      t->open_time = r_i64(&r, "ticker.open_time");
      t->close_time = r_i64(&r, "ticker.close_time");
      t->trades = r_i64(&r, "ticker.trades");
      break;
    }
    default:
      break;
  }
  if (r.rc) return r.rc;
  if (r.pos != r.len) {
    cq_error_set(err, CQ_EPARSE, "bus event: %zu bytes left over after the %s payload",
                 r.len - r.pos, cq_bus_kind_name(ev.kind));
    cq_error_field(err, "payload");
    return CQ_EPARSE;
  }
  *out = ev;
  return 0;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void j_dec(cq_jw *w, const char *k, cq_dec d) {
  cq_jw_key(w, k);
  cq_jw_dec(w, d);
}

static void j_time(cq_jw *w, const char *k, cq_time t) {
  cq_jw_key(w, k);
  cq_jw_time(w, t);
}

int cq_bus_event_json(const cq_bus_event *ev, char **out, size_t *len, cq_error *err) {
  cq_jw w;
  memset(&w, 0, sizeof w);
  cq_jw_open(&w, '{');
  cq_jw_key_int(&w, "version", CQ_BUS_VERSION);
  cq_jw_key_str(&w, "kind", cq_bus_kind_name(ev->kind));
  cq_jw_key_str(&w, "venue", ev->venue);
  cq_jw_key_str(&w, "symbol", ev->symbol);
  {
    /* as text: a u64 is beyond what a JSON reader keeps exact as a number */
    char b[24];
    snprintf(b, sizeof b, "%llu", (unsigned long long)ev->id);
    cq_jw_key_str(&w, "id", b);
  }
  j_time(&w, "event_time", ev->event_time);
  j_time(&w, "recv_time", ev->recv_time);
  j_time(&w, "publish_time", ev->publish_time);
  switch (ev->kind) {
    case CQ_VEV_TRADE:
      j_time(&w, "time", ev->u.trade.time);
      j_dec(&w, "price", ev->u.trade.price);
      j_dec(&w, "qty", ev->u.trade.qty);
      cq_jw_key_str(&w, "taker_side", cq_side_name(ev->u.trade.taker_side));
      cq_jw_key_str(&w, "trade_id", ev->u.trade.id);
      break;
    case CQ_VEV_QUOTE:
      j_dec(&w, "bid", ev->u.quote.bid);
      j_dec(&w, "bid_qty", ev->u.quote.bid_qty);
      j_dec(&w, "ask", ev->u.quote.ask);
      j_dec(&w, "ask_qty", ev->u.quote.ask_qty);
      cq_jw_key_int(&w, "update_id", (int64_t)ev->u.quote.update_id);
      break;
    case CQ_VEV_KLINE: {
      char tf[CQ_TF_STRMAX];
      cq_timeframe_format(ev->u.kline.tf, tf, sizeof tf);
      const cq_candle *c = &ev->u.kline.candle;
      cq_jw_key_str(&w, "tf", tf);
      j_time(&w, "open_time", c->open_time);
      cq_jw_key_num(&w, "open", c->open);
      cq_jw_key_num(&w, "high", c->high);
      cq_jw_key_num(&w, "low", c->low);
      cq_jw_key_num(&w, "close", c->close);
      cq_jw_key_num(&w, "volume", c->volume);
      cq_jw_key_num(&w, "quote_volume", c->quote_volume);
      cq_jw_key_int(&w, "trades", c->trades);
      cq_jw_key(&w, "closed");
      cq_jw_bool(&w, c->closed);
      break;
    }
    case CQ_VEV_BOOK: {
      const cq_bus_book *b = &ev->u.book;
      cq_jw_key_int(&w, "seq", (int64_t)b->seq);
      for (int side = 0; side < 2; side++) {
        uint32_t n = side ? b->nasks : b->nbids;
        const cq_dec *px = side ? b->ask_px : b->bid_px, *qty = side ? b->ask_qty : b->bid_qty;
        cq_jw_key(&w, side ? "asks" : "bids");
        cq_jw_open(&w, '[');
        for (uint32_t i = 0; i < n && i < CQ_BUS_BOOK_LEVELS; i++) {
          cq_jw_open(&w, '[');
          cq_jw_dec(&w, px[i]);
          cq_jw_dec(&w, qty[i]);
          cq_jw_close(&w, ']');
        }
        cq_jw_close(&w, ']');
      }
      break;
    }
    case CQ_VEV_ORDER: {
      const cq_venue_order *o = &ev->u.order.order;
      cq_jw_key(&w, "order");
      cq_jw_open(&w, '{');
      cq_jw_key_str(&w, "symbol", o->symbol);
      cq_jw_key_str(&w, "client_id", o->client_id);
      cq_jw_key_str(&w, "venue_id", o->venue_id);
      cq_jw_key_str(&w, "side", cq_side_name(o->side));
      cq_jw_key_str(&w, "type", cq_order_type_name(o->type));
      cq_jw_key_str(&w, "tif", cq_tif_name(o->tif));
      cq_jw_key_str(&w, "state", cq_order_state_name(o->state));
      j_dec(&w, "qty", o->qty);
      j_dec(&w, "price", o->price);
      j_dec(&w, "stop", o->stop);
      j_dec(&w, "filled", o->filled);
      j_dec(&w, "filled_quote", o->filled_quote);
      j_time(&w, "created", o->created);
      j_time(&w, "updated", o->updated);
      cq_jw_key_str(&w, "reason", o->reason);
      cq_jw_close(&w, '}');
      if (ev->u.order.has_fill) {
        const cq_venue_fill *f = &ev->u.order.fill;
        cq_jw_key(&w, "fill");
        cq_jw_open(&w, '{');
        cq_jw_key_str(&w, "trade_id", f->trade_id);
        cq_jw_key_str(&w, "venue_order_id", f->venue_order_id);
        cq_jw_key_str(&w, "side", cq_side_name(f->side));
        j_dec(&w, "price", f->price);
        j_dec(&w, "qty", f->qty);
        j_dec(&w, "fee", f->fee);
        cq_jw_key_str(&w, "fee_asset", f->fee_asset);
        cq_jw_key_str(&w, "liquidity", f->liquidity == CQ_LIQ_MAKER ? "maker" : "taker");
        j_time(&w, "time", f->time);
        cq_jw_close(&w, '}');
      }
      break;
    }
    case CQ_VEV_BALANCE:
      cq_jw_key_str(&w, "asset", ev->u.balance.asset);
      j_dec(&w, "free", ev->u.balance.free);
      j_dec(&w, "locked", ev->u.balance.locked);
      break;
    case CQ_VEV_STATUS: {
      static const char *const st[] = {"connected", "disconnected", "book_invalid", "book_synced",
                                       "stopped"};
      unsigned s = (unsigned)ev->u.status.status;
      cq_jw_key_str(&w, "status", s < 5 ? st[s] : "?");
      cq_jw_key_str(&w, "detail", ev->u.status.detail);
      break;
    }
    case CQ_VEV_TICKER: {
      const cq_ticker *t = &ev->u.ticker;
      j_dec(&w, "last", t->last);
      j_dec(&w, "last_qty", t->last_qty);
      j_dec(&w, "open", t->open);
      j_dec(&w, "high", t->high);
      j_dec(&w, "low", t->low);
      j_dec(&w, "volume", t->volume);
      j_dec(&w, "quote_volume", t->quote_volume);
      j_dec(&w, "change", t->change);
      j_dec(&w, "change_pct", t->change_pct);
      j_dec(&w, "vwap", t->vwap);
      j_dec(&w, "bid", t->bid);
      j_dec(&w, "bid_qty", t->bid_qty);
      j_dec(&w, "ask", t->ask);
      j_dec(&w, "ask_qty", t->ask_qty);
      j_time(&w, "open_time", t->open_time);
      j_time(&w, "close_time", t->close_time);
      cq_jw_key_int(&w, "trades", t->trades);
      break;
    }
    default:
      break;
  }
  cq_jw_close(&w, '}');
  return cq_jw_finish(&w, "bus event JSON", out, len, err);
}
