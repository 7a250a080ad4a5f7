/* Streams of the OKX and Bybit adapters (vfeed.h). */
#include "vfeed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VF_MSG_MAX = 16384, VF_URL_MAX = 512 };

static cq_time wall_now(void) {
  cq_clock c;
  cq_clock_wall_init(&c);
  return cq_clock_now(&c);
}

void cq__vf_emit(vfeed *f, cq_venue_event *ev) {
  if (!ev->venue[0]) snprintf(ev->venue, sizeof ev->venue, "%s", f->d->name);
  if (!ev->recv_time) ev->recv_time = wall_now();
  if (f->h.on_event) f->h.on_event(f->h.ctx, ev);
}

void cq__vf_status(vfeed *f, const char *symbol, cq_vstatus st, const char *detail) {
  cq_venue_event ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = CQ_VEV_STATUS;
  if (symbol) snprintf(ev.symbol, sizeof ev.symbol, "%s", symbol);
  ev.u.status.status = st;
  snprintf(ev.u.status.detail, sizeof ev.u.status.detail, "%s", detail ? detail : "");
  cq__vf_emit(f, &ev);
}

vf_book *cq__vf_book(vfeed *f, const char *native) {
  for (size_t i = 0; i < f->nbooks; i++)
    if (strcmp(f->books[i].native, native) == 0) return &f->books[i];
  return NULL;
}

/* Sends op for subs[first..first+n) of c. */
static void send_subs(vf_conn *c, const char *op, size_t first, size_t n) {
  if (n == 0) return;
  const char *natives[VF_SUBS_MAX];
  for (size_t i = 0; i < n; i++) natives[i] = c->natives[first + i];
  char buf[VF_MSG_MAX];
  cq_error e;
  cq_error_clear(&e);
  int len = c->f->d->sub_msg(op, &c->subs[first], natives, n, buf, sizeof buf, &e);
  if (len < 0 || cq_ws_send(c->ws, buf, (size_t)len, &e) < 0) {
    if (c->f->log)
      cq_logf(c->f->log, CQ_LOG_WARN, "%s: stream %s not sent: %s", c->f->d->name, op, e.msg);
  }
}

void cq__vf_subscribe(vf_conn *c) {
  send_subs(c, "subscribe", 0, c->nsubs);
}

void cq__vf_book_broken(vf_conn *c, vf_book *b, const char *why) {
  vfeed *f = c->f;
  f->d->book_reset(b->sync);
  b->announced = false;
  cq__vf_status(f, b->unified, CQ_VST_BOOK_INVALID, why);
  /* the venue sends a new snapshot to a new subscription */
  for (size_t i = 0; i < c->nsubs; i++)
    if (c->subs[i].channel == CQ_VCH_BOOK && strcmp(c->natives[i], b->native) == 0) {
      send_subs(c, "unsubscribe", i, 1);
      send_subs(c, "subscribe", i, 1);
    }
}

void cq__vf_book_result(vf_conn *c, vf_book *b, cq_vsync_result r, const cq_l2book *book,
                        cq_time event_time) {
  vfeed *f = c->f;
  switch (r) {
    case CQ_VSYNC_APPLIED: {
      if (!b->announced) {
        b->announced = true;
        cq__vf_status(f, b->unified, CQ_VST_BOOK_SYNCED, "snapshot applied");
      }
      cq_venue_event ev;
      memset(&ev, 0, sizeof ev);
      ev.kind = CQ_VEV_BOOK;
      snprintf(ev.symbol, sizeof ev.symbol, "%s", b->unified);
      ev.event_time = event_time;
      ev.u.book = book;
      cq__vf_emit(f, &ev);
      break;
    }
    case CQ_VSYNC_WAITING:
      break;
    case CQ_VSYNC_GAP:
      cq__vf_book_broken(c, b, "sequence gap: resubscribing for a new snapshot");
      break;
    case CQ_VSYNC_CHECKSUM:
      cq__vf_book_broken(c, b, "checksum mismatch: resubscribing for a new snapshot");
      break;
  }
}

/* ---- connection callbacks ------------------------------------------------------------ */

static void on_open(void *ctx, cq_ws_client *ws, bool reconnect) {
  vf_conn *c = ctx;
  vfeed *f = c->f;
  if (atomic_load(&f->closing)) return;
  c->ws = ws;
  c->logged_in = false;
  cq__vf_status(f, NULL, CQ_VST_CONNECTED, reconnect ? "reconnected" : "connected");
  /* every book starts over: the venue sends a snapshot to each new subscription */
  for (size_t i = 0; i < c->nsubs; i++) {
    if (c->subs[i].channel != CQ_VCH_BOOK) continue;
    vf_book *b = cq__vf_book(f, c->natives[i]);
    if (b) {
      f->d->book_reset(b->sync);
      b->announced = false;
    }
  }
  if (c->role == VF_PRIVATE && f->d->login_msg) {
    char buf[1024];
    cq_error e;
    cq_error_clear(&e);
    int len = f->d->login_msg(f->venue, buf, sizeof buf, &e);
    if (len < 0 || cq_ws_send(ws, buf, (size_t)len, &e) < 0)
      cq__vf_status(f, NULL, CQ_VST_STOPPED, e.msg);
    return; /* subscriptions follow the login's answer */
  }
  cq__vf_subscribe(c);
}

static void on_message(void *ctx, cq_ws_client *ws, const char *data, size_t len, bool binary) {
  vf_conn *c = ctx;
  (void)binary;
  if (atomic_load(&c->f->closing)) return; /* unsubscribing: nothing more for the handler */
  c->ws = ws;
  c->f->d->on_message(c, c->f->msgs[c->role], data, len);
}

static void on_close(void *ctx, cq_ws_client *ws, int code, const char *why, bool reconnecting) {
  vf_conn *c = ctx;
  vfeed *f = c->f;
  (void)ws;
  if (atomic_load(&f->closing)) return;
  for (size_t i = 0; i < c->nsubs; i++) {
    if (c->subs[i].channel != CQ_VCH_BOOK) continue;
    vf_book *b = cq__vf_book(f, c->natives[i]);
    if (b && b->announced) {
      b->announced = false;
      cq__vf_status(f, b->unified, CQ_VST_BOOK_INVALID, "disconnected");
    }
  }
  char detail[CQ_REASON_MAX];
  snprintf(detail, sizeof detail, "closed %d%s%s%s", code, why && *why ? " (" : "", why ? why : "",
           why && *why ? ")" : "");
  cq__vf_status(f, NULL, reconnecting ? CQ_VST_DISCONNECTED : CQ_VST_STOPPED, detail);
}

/* ---- open and close -------------------------------------------------------------------- */

void cq__vf_close(vfeed *f) {
  if (!f) return;
  atomic_store(&f->closing, true);
  for (int r = 0; r < VF_ROLES; r++) {
    cq_ws_client_close(f->conns[r].handle);
    f->conns[r].handle = NULL;
    if (f->msgs[r]) f->d->msg_free(f->msgs[r]);
  }
  for (size_t i = 0; i < f->nbooks; i++) f->d->book_free(f->books[i].sync);
  free(f->books);
  free(f);
}

int cq__vf_open(const vfeed_dialect *d, void *venue, cq_net_loop *loop, const cq_ws_options *ws,
                const char *base_url, const cq_venue_sub *subs,
                const char (*natives)[CQ_SYMBOL_MAX], size_t n, const cq_venue_handler *h,
                cq_log *log, vfeed **out, cq_error *err) {
  if (!loop) return cq_error_set(err, CQ_ESTATE, "%s: streams need a network loop", d->name);
  if (n == 0 || n > VF_SUBS_MAX)
    return cq_error_set(err, CQ_EINVAL, "%s: 1 to %d subscriptions per set", d->name, VF_SUBS_MAX);
  vfeed *f = calloc(1, sizeof *f);
  if (!f) return cq_error_set(err, CQ_ENOMEM, "%s: stream: out of memory", d->name);
  f->d = d;
  f->venue = venue;
  f->h = *h;
  f->log = log;
  size_t nbooks = 0;
  for (size_t i = 0; i < n; i++) nbooks += subs[i].channel == CQ_VCH_BOOK;
  if (nbooks && !(f->books = calloc(nbooks, sizeof *f->books))) {
    free(f);
    return cq_error_set(err, CQ_ENOMEM, "%s: stream: out of memory", d->name);
  }
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    int role = d->role_of(subs[i].channel);
    vf_conn *c = &f->conns[role];
    c->f = f;
    c->role = role;
    c->subs[c->nsubs] = subs[i];
    snprintf(c->natives[c->nsubs], CQ_SYMBOL_MAX, "%s", natives[i]);
    c->nsubs++;
    if (subs[i].channel == CQ_VCH_BOOK && !cq__vf_book(f, natives[i])) {
      vf_book *b = &f->books[f->nbooks];
      snprintf(b->native, sizeof b->native, "%s", natives[i]);
      snprintf(b->unified, sizeof b->unified, "%s", subs[i].symbol);
      if (!(b->sync = d->book_new(err)))
        rc = err && err->code ? err->code : CQ_ENOMEM;
      else
        f->nbooks++;
    }
  }
  /* every request is checked before anything connects */
  for (int r = 0; r < VF_ROLES && rc == 0; r++) {
    vf_conn *c = &f->conns[r];
    if (!c->nsubs) continue;
    const char *nat[VF_SUBS_MAX];
    for (size_t i = 0; i < c->nsubs; i++) nat[i] = c->natives[i];
    char buf[VF_MSG_MAX];
    int len = d->sub_msg("subscribe", c->subs, nat, c->nsubs, buf, sizeof buf, err);
    if (len < 0) rc = len;
    if (rc == 0 && !(f->msgs[r] = d->msg_new()))
      rc = cq_error_set(err, CQ_ENOMEM, "%s: stream: out of memory", d->name);
  }
  for (int r = 0; r < VF_ROLES && rc == 0; r++) {
    vf_conn *c = &f->conns[r];
    if (!c->nsubs) continue;
    char url[VF_URL_MAX];
    int ul = snprintf(url, sizeof url, "%s%s", base_url, d->paths[r]);
    if (ul < 0 || (size_t)ul >= sizeof url) {
      rc = cq_error_set(err, CQ_EINVAL, "%s: stream URL too long", d->name);
      break;
    }
    cq_ws_options o = *ws;
    o.url = url;
    o.text_ping = d->text_ping;
    cq_ws_callbacks cb = {
        .ctx = c, .on_open = on_open, .on_message = on_message, .on_close = on_close};
    rc = cq_ws_client_open(loop, &o, &cb, &c->handle, err);
  }
  if (rc < 0) {
    cq__vf_close(f);
    return rc;
  }
  *out = f;
  return 0;
}
