/* OKX streams over vfeed.h: trades, bbo-tbt and books on /ws/v5/public, candles on
 * /ws/v5/business, orders and account on /ws/v5/private after a login. Text "ping" when
 * idle (OKX closes a connection quiet for 30 s). Books: a snapshot, then updates each
 * naming the previous seqId, with a CRC-32 checksum; a break or a mismatch makes the book
 * invalid, and subscribing again makes OKX send a new snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okx.h"
#include "okx_adapter.h"
#include "vfeed.h"

enum { OKX_BOOK_LEVELS = 5000 };

static int okx_role(cq_vchan ch) {
  if (ch == CQ_VCH_USER) return VF_PRIVATE;
  if (ch == CQ_VCH_KLINES) return VF_BUSINESS;
  return VF_PUBLIC;
}

static int okx_login(void *venue, char *buf, size_t cap, cq_error *err) {
  okx_venue *v = venue;
  return cq_okx_login_msg(v->core.api_key, v->core.passphrase, v->core.api_secret,
                          cq__vr_server_now_ms(&v->core) / 1000, buf, cap, err);
}

static void *okx_book_new(cq_error *err) {
  cq_okx_book_sync *s = NULL;
  return cq_okx_book_sync_new(OKX_BOOK_LEVELS, &s, err) < 0 ? NULL : s;
}

static void okx_book_free(void *s) {
  cq_okx_book_sync_free(s);
}

static void okx_book_reset(void *s) {
  cq_okx_book_sync_reset(s);
}

static void *okx_msg_new(void) {
  cq_okx_msg *m = calloc(1, sizeof *m);
  if (m) cq_okx_msg_init(m);
  return m;
}

static void okx_msg_free(void *p) {
  cq_okx_msg *m = p;
  if (!m) return;
  cq_okx_msg_release(m);
  free(m);
}

static cq_time wall_now(void) {
  cq_clock c;
  cq_clock_wall_init(&c);
  return cq_clock_now(&c);
}

static void okx_on_message(vf_conn *c, void *p, const char *data, size_t len) {
  vfeed *f = c->f;
  cq_okx_msg *m = p;
  cq_error e;
  cq_error_clear(&e);
  int rc = cq_okx_parse_ws(data, len, wall_now(), m, &e);
  if (rc < 0) {
    /* a channel of another product is not ours; anything else is logged and skipped */
    if (rc != CQ_EUNSUPPORTED && f->log)
      cq_logf(f->log, CQ_LOG_WARN, "okx: stream message skipped: %s", e.msg);
    return;
  }
  switch (m->kind) {
    case CQ_OKX_MSG_PONG:
      return;
    case CQ_OKX_MSG_EVENT:
      if (strcmp(m->event, "login") == 0 && m->code == 0) {
        c->logged_in = true;
        cq__vf_subscribe(c);
      } else if (strcmp(m->event, "error") == 0 || strcmp(m->event, "login") == 0) {
        char why[CQ_REASON_MAX];
        snprintf(why, sizeof why, "okx %.20s %d: %.90s", m->event, m->code, m->msg);
        cq__vf_status(f, NULL, CQ_VST_STOPPED, why);
      }
      return;
    case CQ_OKX_MSG_BOOK: {
      vf_book *b = cq__vf_book(f, m->book.native);
      if (!b) return;
      cq_vsync_result r = CQ_VSYNC_WAITING;
      if (cq_okx_book_sync_apply(b->sync, &m->book, &r, &e) < 0) {
        cq__vf_book_broken(c, b, e.msg);
        return;
      }
      cq__vf_book_result(c, b, r, cq_okx_book_sync_book(b->sync), m->book.time);
      return;
    }
    case CQ_OKX_MSG_EVENTS:
      for (size_t i = 0; i < m->events.n; i++) cq__vf_emit(f, &m->events.ev[i]);
      return;
  }
}

static const vfeed_dialect okx_feed = {
    .name = "okx",
    .text_ping = CQ_OKX_PING,
    .role_of = okx_role,
    .paths = {"/ws/v5/public", "/ws/v5/business", "/ws/v5/private"},
    .sub_msg = cq_okx_subscribe_msg,
    .login_msg = okx_login,
    .book_new = okx_book_new,
    .book_free = okx_book_free,
    .book_reset = okx_book_reset,
    .msg_new = okx_msg_new,
    .msg_free = okx_msg_free,
    .on_message = okx_on_message,
};

int cq__okx_subscribe(cq_venue *base, const cq_venue_sub *subs, size_t n, const cq_venue_handler *h,
                      cq_venue_stream **out, cq_verror *ve) {
  okx_venue *v = (okx_venue *)base;
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
    if (cq_okx_to_native(subs[i].symbol, natives[i], &e) < 0)
      rc = cq__vr_fail(&v->core, ve, CQ_VERR_BAD_REQUEST, 0, 0, "subscribe: symbol \"%s\": %s",
                       subs[i].symbol, e.msg);
  }
  if (rc == 0 && user && !v->core.has_keys)
    rc = cq__vr_fail(&v->core, ve, CQ_VERR_AUTH, 0, 0,
                     "subscribe: the user stream needs API keys and a passphrase");
  if (rc == 0 && user) rc = cq__vr_ensure_time(&v->core, ve); /* the login is timed */
  if (rc == 0) {
    cq_error e;
    cq_error_clear(&e);
    vfeed *f = NULL;
    if (cq__vf_open(&okx_feed, v, v->loop, &v->ws, v->ws_url, subs,
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

void cq__okx_unsubscribe(cq_venue_stream *s) {
  cq__vf_close((vfeed *)s);
}
