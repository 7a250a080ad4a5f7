/* Book-message levels, event lists and CRC-32 for the venue codecs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book.h"
#include "vcodec.h"

void cq_vbook_msg_init(cq_vbook_msg *m) {
  memset(m, 0, sizeof *m);
}

void cq_vbook_msg_release(cq_vbook_msg *m) {
  if (!m) return;
  free(m->bids);
  free(m->asks);
  memset(m, 0, sizeof *m);
}

void cq_vbook_msg_clear(cq_vbook_msg *m) {
  cq_vlevel *b = m->bids, *a = m->asks;
  size_t cb = m->cap_bids, ca = m->cap_asks;
  memset(m, 0, sizeof *m);
  m->bids = b, m->asks = a, m->cap_bids = cb, m->cap_asks = ca;
}

int cq_vbook_msg_push(cq_vbook_msg *m, cq_side side, cq_dec price, cq_dec qty, cq_error *err) {
  bool bid = side == CQ_SIDE_BUY;
  cq_vlevel **lv = bid ? &m->bids : &m->asks;
  size_t *n = bid ? &m->nbids : &m->nasks, *cap = bid ? &m->cap_bids : &m->cap_asks;
  if (*n >= CQ_V_MAX_LEVELS)
    return cq_error_set(err, CQ_ELIMIT, "book message: over %d levels per side", CQ_V_MAX_LEVELS);
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    if (nc > CQ_V_MAX_LEVELS) nc = CQ_V_MAX_LEVELS;
    cq_vlevel *p = realloc(*lv, nc * sizeof *p);
    if (!p) return cq_error_set(err, CQ_ENOMEM, "book message: out of memory");
    *lv = p, *cap = nc;
  }
  (*lv)[(*n)++] = (cq_vlevel){price, qty};
  return 0;
}

int cq_vbook_msg_apply(const cq_vbook_msg *m, cq_l2book *b, cq_error *err) {
  if (m->snapshot) cq_l2book_clear(b);
  for (size_t i = 0; i < m->nbids; i++) {
    int rc = cq_l2book_set(b, CQ_SIDE_BUY, m->bids[i].price, m->bids[i].qty, err);
    if (rc < 0) return rc;
  }
  for (size_t i = 0; i < m->nasks; i++) {
    int rc = cq_l2book_set(b, CQ_SIDE_SELL, m->asks[i].price, m->asks[i].qty, err);
    if (rc < 0) return rc;
  }
  cq_l2book_set_seq(b, (uint64_t)m->seq);
  cq_l2book_set_time(b, m->time);
  return 0;
}

void cq_vevents_init(cq_vevents *e) {
  memset(e, 0, sizeof *e);
}

void cq_vevents_release(cq_vevents *e) {
  if (!e) return;
  free(e->ev);
  memset(e, 0, sizeof *e);
}

cq_venue_event *cq_vevents_push(cq_vevents *e, cq_vev_kind kind, const char *venue,
                                cq_time recv_time, cq_error *err) {
  if (e->n >= CQ_V_MAX_EVENTS) {
    cq_error_set(err, CQ_ELIMIT, "%s: over %d events in one message", venue, CQ_V_MAX_EVENTS);
    return NULL;
  }
  if (e->n == e->cap) {
    size_t nc = e->cap ? e->cap * 2 : 8;
    if (nc > CQ_V_MAX_EVENTS) nc = CQ_V_MAX_EVENTS;
    cq_venue_event *p = realloc(e->ev, nc * sizeof *p);
    if (!p) {
      cq_error_set(err, CQ_ENOMEM, "%s: out of memory", venue);
      return NULL;
    }
    e->ev = p, e->cap = nc;
  }
  cq_venue_event *ev = &e->ev[e->n++];
  memset(ev, 0, sizeof *ev);
  ev->kind = kind;
  cq_strlcpy(ev->venue, venue, sizeof ev->venue);
  ev->recv_time = recv_time;
  return ev;
}

uint32_t cq_crc32(uint32_t crc, const void *data, size_t len) {
  const unsigned char *p = data;
  crc = ~crc;
  for (size_t i = 0; i < len; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void cq__v_notional(cq_dec qty, cq_dec price, cq_dec *out) {
  unsigned sc = (unsigned)qty.scale + price.scale;
  if (sc > CQ_DEC_MAX_SCALE) sc = CQ_DEC_MAX_SCALE;
  if (cq_dec_is_zero(qty) || cq_dec_is_zero(price) ||
      cq_dec_mul(qty, price, sc, CQ_ROUND_HALF_EVEN, out, NULL) < 0)
    *out = (cq_dec){0, 0};
}

void cq_vbuf_init(cq_vbuf *b, char *buf, size_t cap) {
  b->p = buf;
  b->cap = cap;
  b->len = 0;
  b->overflow = cap == 0;
  if (cap) buf[0] = '\0';
}

void cq_vbuf_add(cq_vbuf *b, const char *fmt, ...) {
  if (b->overflow) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (k < 0 || (size_t)k >= b->cap - b->len) {
    b->overflow = true;
    b->p[0] = '\0'; /* nothing half-written */
    return;
  }
  b->len += (size_t)k;
}

bool cq_v_plain(const char *s, size_t max) {
  if (!s) return false;
  size_t n = strlen(s);
  if (n < 1 || n > max) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 0x20 || c >= 0x7f || strchr("\"\\&=?#%", c)) return false;
  }
  return true;
}
