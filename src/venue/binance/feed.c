/* Binance spot streams: one combined-stream WebSocket for the market channels of a
 * subscription set, one for its user-data stream, and a worker thread for what blocks.
 *
 * Threads. Messages arrive on the network thread, which decodes them, keeps the local books
 * and calls the handler; it never blocks. The worker thread does the HTTP: depth snapshots
 * for the books, the listen key's keep-alive and renewal. A snapshot travels from the
 * worker to the network thread through a per-book mailbox (EMPTY -> FETCHING -> READY ->
 * EMPTY, under the stream's mutex), and is applied there on the next message of the stream,
 * so the book is only ever touched on the network thread.
 *
 * Reconnects. The subscriptions are in the URL, so every (re)connection subscribes to the
 * same streams; after a reconnect every book starts over (buffer diffs, a new snapshot),
 * since diffs were lost while disconnected. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "adapter.h"
#include "binance.h"

enum {
  BN_STREAMS_MAX = 200,       /* subscriptions per set (Binance: 1024 per connection) */
  BN_STREAM_URL_MAX = 8192,   /* the combined-stream URL */
  BN_SNAPSHOT_LEVELS = 1000,  /* depth snapshot limit (weight 50) */
  BN_BOOK_LEVELS = 5000,      /* levels kept per side */
  BN_BOOK_BUFFER = 10000,     /* diffs buffered while waiting for a snapshot */
  BN_SNAPSHOT_RETRY_MS = 500, /* after a failed snapshot */
  BN_LISTEN_KEY_MAX = 128,
  BN_ROTATE_MS = 23 * 3600 * 1000 /* before Binance's 24 h connection lifetime */
};
#define BN_KEEPALIVE_DEFAULT_MS (30LL * 60 * 1000)

typedef enum { MB_EMPTY = 0, MB_WANTED, MB_FETCHING, MB_READY } mailbox_state;

/* One CQ_VCH_BOOK subscription. */
typedef struct bn_book {
  char native[CQ_SYMBOL_MAX];
  char unified[CQ_SYMBOL_MAX];
  cq_bn_book_sync *sync; /* network thread */
  bool announced_valid;  /* network thread: a BOOK_SYNCED was sent and no INVALID since */
  bool failure_told;     /* network thread: a failed snapshot was reported since the last sync */
  /* the mailbox, under stream->mu */
  mailbox_state mb;
  uint64_t mb_gen; /* the connection generation the snapshot was asked for */
  cq_l2book *snap;
  char mb_error[CQ_REASON_MAX];
} bn_book;

/* A native symbol of the set and its unified name (for events). */
typedef struct bn_name {
  char native[CQ_SYMBOL_MAX];
  char unified[CQ_SYMBOL_MAX];
} bn_name;

struct cq_venue_stream {
  bn_venue *v;
  cq_venue_handler h;
  cq_ws_client *ws;  /* market streams; NULL when none */
  cq_ws_client *uws; /* user data; NULL when not subscribed */
  bn_name *names;
  size_t nnames;
  bn_book *books;
  size_t nbooks;
  cq_bn_msg msg;  /* network thread's decode buffer (market) */
  cq_bn_msg umsg; /* user connection's; both run on the one network thread, kept apart */
  cq_bn_depth_diff diff;
  atomic_uint_fast64_t gen;   /* market connection generation: bumped on every (re)connect */
  atomic_bool snapshot_ready; /* some mailbox holds a snapshot */
  atomic_bool closing;        /* we close the connections: no "stopped" event */
  atomic_bool user_renewing;  /* the user connection is replaced (a new listen key) */

  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t worker;
  bool worker_started;
  bool stop;
  /* user data (worker side, under mu) */
  bool user;
  char listen_key[BN_LISTEN_KEY_MAX];
  int64_t keepalive_ms;
  int64_t next_keepalive_ms;
  bool renew_key; /* the key expired: get a new one and reconnect */
};

/* ---- events ---------------------------------------------------------------------------- */

static cq_time now_ns(bn_venue *v) {
  return cq_clock_now(&v->clock);
}

static void emit(cq_venue_stream *s, cq_venue_event *ev) {
  snprintf(ev->venue, sizeof ev->venue, "binance");
  if (ev->recv_time == 0) ev->recv_time = now_ns(s->v);
  if (s->h.on_event) s->h.on_event(s->h.ctx, ev);
}

static void emit_status(cq_venue_stream *s, const char *symbol, cq_vstatus st, const char *fmt, ...)
    CQ_PRINTF(4, 5);

static void emit_status(cq_venue_stream *s, const char *symbol, cq_vstatus st, const char *fmt,
                        ...) {
  cq_venue_event ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = CQ_VEV_STATUS;
  if (symbol) snprintf(ev.symbol, sizeof ev.symbol, "%s", symbol);
  ev.u.status.status = st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ev.u.status.detail, sizeof ev.u.status.detail, fmt, ap);
  va_end(ap);
  emit(s, &ev);
}

/* The unified name of a native symbol of this set (the symbol itself when unknown). */
static void unify(cq_venue_stream *s, char sym[CQ_SYMBOL_MAX]) {
  if (strchr(sym, '/')) return;
  for (size_t i = 0; i < s->nnames; i++) {
    if (strcmp(s->names[i].native, sym) == 0) {
      snprintf(sym, CQ_SYMBOL_MAX, "%s", s->names[i].unified);
      return;
    }
  }
  char uni[CQ_SYMBOL_MAX];
  if (cq__bn_unified(s->v, sym, uni)) snprintf(sym, CQ_SYMBOL_MAX, "%s", uni);
}

/* ---- books ----------------------------------------------------------------------------- */

static void want_snapshot(cq_venue_stream *s, bn_book *b) {
  pthread_mutex_lock(&s->mu);
  if (b->mb == MB_EMPTY) {
    b->mb = MB_WANTED;
    b->mb_gen = atomic_load(&s->gen);
    pthread_cond_signal(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
}

static void book_event(cq_venue_stream *s, bn_book *b, cq_time event_time) {
  cq_venue_event ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = CQ_VEV_BOOK;
  snprintf(ev.symbol, sizeof ev.symbol, "%s", b->unified);
  ev.event_time = event_time;
  ev.u.book = cq_bn_book_sync_book(b->sync);
  emit(s, &ev);
}

static void book_invalid(cq_venue_stream *s, bn_book *b, const char *why) {
  if (b->announced_valid) emit_status(s, b->unified, CQ_VST_BOOK_INVALID, "%s", why);
  b->announced_valid = false;
}

/* Applies the snapshots waiting in mailboxes (network thread). */
static void apply_snapshots(cq_venue_stream *s) {
  if (!atomic_exchange(&s->snapshot_ready, false)) return;
  uint64_t gen = atomic_load(&s->gen);
  for (size_t i = 0; i < s->nbooks; i++) {
    bn_book *b = &s->books[i];
    pthread_mutex_lock(&s->mu);
    bool ready = b->mb == MB_READY;
    bool current = b->mb_gen == gen;
    char err[CQ_REASON_MAX];
    snprintf(err, sizeof err, "%s", b->mb_error);
    pthread_mutex_unlock(&s->mu);
    if (!ready) continue;
    cq_bn_sync_result res = CQ_BN_SYNC_GAP;
    cq_error e;
    cq_error_clear(&e);
    bool ok = current && !*err && cq_bn_book_sync_snapshot(b->sync, b->snap, &res, &e) == 0 &&
              res == CQ_BN_SYNC_APPLIED;
    pthread_mutex_lock(&s->mu);
    b->mb = MB_EMPTY;
    b->mb_error[0] = '\0';
    pthread_mutex_unlock(&s->mu);
    if (ok) {
      b->announced_valid = true;
      b->failure_told = false;
      emit_status(s, b->unified, CQ_VST_BOOK_SYNCED, "snapshot %" PRIu64 " applied",
                  cq_l2book_seq(b->snap));
      book_event(s, b, cq_l2book_time(cq_bn_book_sync_book(b->sync)));
    } else {
      /* too old for the buffered diffs, from an earlier connection, or not fetched */
      if (*err && (b->announced_valid || !b->failure_told)) {
        /* say why the book is not coming (a ban, an outage), once until it does */
        emit_status(s, b->unified, CQ_VST_BOOK_INVALID, "%s", err);
        b->announced_valid = false;
        b->failure_told = true;
      }
      want_snapshot(s, b);
    }
  }
}

static bn_book *book_of(cq_venue_stream *s, const char *native) {
  for (size_t i = 0; i < s->nbooks; i++)
    if (strcmp(s->books[i].native, native) == 0) return &s->books[i];
  return NULL;
}

/* One depthUpdate (network thread). */
static void on_depth(cq_venue_stream *s, const cq_bn_depth_diff *d) {
  bn_book *b = book_of(s, d->symbol);
  if (!b) return;
  cq_bn_sync_result res;
  cq_error e;
  cq_error_clear(&e);
  if (cq_bn_book_sync_diff(b->sync, d, &res, &e) < 0) {
    book_invalid(s, b, e.msg);
    cq_bn_book_sync_reset(b->sync);
    want_snapshot(s, b);
    return;
  }
  switch (res) {
    case CQ_BN_SYNC_APPLIED:
      book_event(s, b, d->event_time);
      break;
    case CQ_BN_SYNC_STALE:
      break;
    case CQ_BN_SYNC_BUFFERED:
      want_snapshot(s, b);
      break;
    case CQ_BN_SYNC_GAP: {
      char why[CQ_REASON_MAX];
      snprintf(why, sizeof why, "sequence gap at update %" PRIu64 "..%" PRIu64 "; resyncing",
               d->first_id, d->final_id);
      book_invalid(s, b, why);
      want_snapshot(s, b);
      break;
    }
  }
}

/* ---- the market connection ------------------------------------------------------------- */

static void on_open(void *ctx, cq_ws_client *ws, bool reconnect) {
  (void)ws;
  cq_venue_stream *s = ctx;
  atomic_fetch_add(&s->gen, 1);
  for (size_t i = 0; i < s->nbooks; i++) {
    cq_bn_book_sync_reset(s->books[i].sync);
    book_invalid(s, &s->books[i], "reconnected: resyncing");
  }
  emit_status(s, NULL, CQ_VST_CONNECTED, "%s", reconnect ? "reconnected" : "connected");
}

static void on_close(void *ctx, cq_ws_client *ws, int code, const char *why, bool reconnecting) {
  (void)ws;
  cq_venue_stream *s = ctx;
  for (size_t i = 0; i < s->nbooks; i++) book_invalid(s, &s->books[i], "disconnected");
  if (atomic_load(&s->closing)) return;
  emit_status(s, NULL, reconnecting ? CQ_VST_DISCONNECTED : CQ_VST_STOPPED,
              "market streams closed (%d %s)%s", code, why ? why : "",
              reconnecting ? ", reconnecting" : "");
}

/* One decoded message with an event, or a status. */
static void dispatch(cq_venue_stream *s, cq_bn_msg *m) {
  if (m->kind == CQ_BN_MSG_STREAM_END) {
    emit_status(s, NULL, CQ_VST_DISCONNECTED, "the venue ends the stream: %s", m->event);
    return;
  }
  if (m->kind == CQ_BN_MSG_ACCOUNT) {
    for (size_t i = 0; i < m->nbalances; i++) {
      cq_venue_event ev;
      memset(&ev, 0, sizeof ev);
      ev.kind = CQ_VEV_BALANCE;
      ev.event_time = m->ev.event_time;
      ev.recv_time = m->ev.recv_time;
      ev.u.balance = m->balances[i];
      emit(s, &ev);
    }
    return;
  }
  if (!m->has_event) return;
  unify(s, m->ev.symbol);
  if (m->ev.kind == CQ_VEV_ORDER) {
    unify(s, m->ev.u.order.order.symbol);
    if (m->ev.u.order.has_fill) unify(s, m->ev.u.order.fill.symbol);
  }
  emit(s, &m->ev);
}

/* A combined-stream message of a depth stream: {"stream":"btcusdt@depth@100ms",...}. */
static bool is_depth(const char *data, size_t len) {
  static const char head[] = "{\"stream\":\"";
  size_t h = sizeof head - 1;
  if (len < h || memcmp(data, head, h) != 0) return false;
  for (size_t i = h; i < len && i < h + 64 && data[i] != '"'; i++)
    if (data[i] == '@' && len - i > 6 && memcmp(data + i, "@depth", 6) == 0) return true;
  return false;
}

static void on_message(void *ctx, cq_ws_client *ws, const char *data, size_t len, bool binary) {
  (void)ws;
  cq_venue_stream *s = ctx;
  if (binary) return;
  apply_snapshots(s);
  cq_time recv = now_ns(s->v);
  cq_error e;
  cq_error_clear(&e);
  /* depth updates, the bulk of a book's traffic, take the in-place parser; they are told
   * apart by the combined stream's name at the head of the message */
  if (s->nbooks > 0 && is_depth(data, len)) {
    int rc = cq_bn_parse_depth_update(data, len, &s->diff, &e);
    if (rc == 0) {
      on_depth(s, &s->diff);
      return;
    }
    cq_error_clear(&e);
  }
  int rc = cq_bn_parse_stream(data, len, cq__bn_syms(s->v), recv, &s->msg, &e);
  if (rc < 0) {
    /* a reply to a request, an event we do not use: not worth more than a debug line */
    if (s->v->log)
      cq_logf(s->v->log, rc == CQ_EUNSUPPORTED ? CQ_LOG_DEBUG : CQ_LOG_WARN,
              "binance: stream message dropped: %s%s%s", e.field, *e.field ? ": " : "", e.msg);
    return;
  }
  if (s->msg.kind == CQ_BN_MSG_DEPTH) {
    on_depth(s, &s->msg.depth);
    return;
  }
  dispatch(s, &s->msg);
}

/* ---- the user-data connection ---------------------------------------------------------- */

static void on_user_open(void *ctx, cq_ws_client *ws, bool reconnect) {
  (void)ws;
  cq_venue_stream *s = ctx;
  emit_status(s, NULL, CQ_VST_CONNECTED, "user data %s", reconnect ? "reconnected" : "connected");
}

static void on_user_close(void *ctx, cq_ws_client *ws, int code, const char *why,
                          bool reconnecting) {
  (void)ws;
  cq_venue_stream *s = ctx;
  if (atomic_load(&s->closing)) return;
  if (atomic_load(&s->user_renewing)) {
    emit_status(s, NULL, CQ_VST_DISCONNECTED, "user data: a new listen key, reconnecting");
    return;
  }
  emit_status(s, NULL, reconnecting ? CQ_VST_DISCONNECTED : CQ_VST_STOPPED,
              "user data closed (%d %s)%s", code, why ? why : "",
              reconnecting ? ", reconnecting" : "");
}

static void on_user_message(void *ctx, cq_ws_client *ws, const char *data, size_t len,
                            bool binary) {
  (void)ws;
  cq_venue_stream *s = ctx;
  if (binary) return;
  cq_error e;
  cq_error_clear(&e);
  int rc = cq_bn_parse_stream(data, len, cq__bn_syms(s->v), now_ns(s->v), &s->umsg, &e);
  if (rc < 0) {
    if (s->v->log)
      cq_logf(s->v->log, rc == CQ_EUNSUPPORTED ? CQ_LOG_DEBUG : CQ_LOG_WARN,
              "binance: user message dropped: %s%s%s", e.field, *e.field ? ": " : "", e.msg);
    return;
  }
  if (s->umsg.kind == CQ_BN_MSG_STREAM_END) {
    /* listenKeyExpired: the worker gets a new key and reconnects */
    pthread_mutex_lock(&s->mu);
    s->renew_key = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
  }
  dispatch(s, &s->umsg);
}

/* POST /api/v3/userDataStream -> a listen key. */
static int listen_key_new(bn_venue *v, char key[BN_LISTEN_KEY_MAX], cq_verror *ve) {
  bn_req r = {.method = "POST", .path = "/api/v3/userDataStream", .key = true, .safe = true};
  cq_http_response resp;
  int rc = cq__bn_call(v, &r, &resp, ve);
  if (rc < 0) return rc;
  json_error_t je;
  json_t *root = json_loadb(resp.body, resp.body_len, 0, &je);
  json_t *k = root ? json_object_get(root, "listenKey") : NULL;
  const char *ks = json_is_string(k) ? json_string_value(k) : NULL;
  if (!ks || !*ks || strlen(ks) >= BN_LISTEN_KEY_MAX ||
      strspn(ks, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != strlen(ks))
    rc = cq__bn_fail(ve, CQ_VERR_PROTOCOL, 0, resp.status,
                     "POST /api/v3/userDataStream: no usable listenKey in the answer");
  else
    snprintf(key, BN_LISTEN_KEY_MAX, "%s", ks);
  json_decref(root);
  cq_http_response_release(&resp);
  return rc;
}

/* PUT keeps the key alive; CQ_VERR_NOT_FOUND-like refusals (-1125) mean it is gone. */
static int listen_key_keepalive(bn_venue *v, const char *key, cq_verror *ve) {
  char q[BN_LISTEN_KEY_MAX + 16];
  snprintf(q, sizeof q, "listenKey=%s", key);
  bn_req r = {
      .method = "PUT", .path = "/api/v3/userDataStream", .query = q, .key = true, .safe = true};
  cq_http_response resp;
  int rc = cq__bn_call(v, &r, &resp, ve);
  if (rc == 0) cq_http_response_release(&resp);
  return rc;
}

static int open_ws(cq_venue_stream *s, const char *streams, bool user, cq_ws_client **out,
                   cq_verror *ve) {
  bn_venue *v = s->v;
  char *url = malloc(BN_STREAM_URL_MAX);
  if (!url) return cq__bn_fail(ve, CQ_VERR_UNAVAILABLE, 0, 0, "out of memory");
  int n = snprintf(url, BN_STREAM_URL_MAX, "%s/stream?streams=%s", v->ws_url, streams);
  if (n < 0 || n >= BN_STREAM_URL_MAX) {
    free(url);
    return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "too many streams for one URL");
  }
  cq_ws_options o = v->ws;
  o.url = url;
  if (o.max_lifetime_ms == 0) o.max_lifetime_ms = BN_ROTATE_MS;
  cq_ws_callbacks cb = {.ctx = s,
                        .on_open = user ? on_user_open : on_open,
                        .on_message = user ? on_user_message : on_message,
                        .on_close = user ? on_user_close : on_close};
  cq_error e;
  cq_error_clear(&e);
  int rc = cq_ws_client_open(v->loop, &o, &cb, out, &e);
  free(url);
  if (rc < 0) return cq__bn_fail(ve, CQ_VERR_UNAVAILABLE, 0, 0, "stream: %s", e.msg);
  return 0;
}

/* ---- the worker ------------------------------------------------------------------------ */

static void cond_wait_ms(cq_venue_stream *s, int64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t ns = ts.tv_nsec + (ms % 1000) * 1000000;
  ts.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
  ts.tv_nsec = (long)(ns % 1000000000);
  pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

/* Fetches one wanted snapshot (called with mu held; returns with it held). */
static bool fetch_one(cq_venue_stream *s) {
  for (size_t i = 0; i < s->nbooks; i++) {
    bn_book *b = &s->books[i];
    if (b->mb != MB_WANTED) continue;
    b->mb = MB_FETCHING;
    pthread_mutex_unlock(&s->mu);
    cq_verror ve;
    cq_verror_clear(&ve);
    int rc = cq__bn_depth(&s->v->base, b->unified, BN_SNAPSHOT_LEVELS, b->snap, &ve);
    pthread_mutex_lock(&s->mu);
    if (rc < 0) snprintf(b->mb_error, sizeof b->mb_error, "snapshot failed: %.140s", ve.e.msg);
    b->mb = MB_READY;
    atomic_store(&s->snapshot_ready, true);
    if (rc < 0 && !s->stop) {
      /* not at once again: a ban or an outage would make this a loop */
      int64_t wait = ve.cls == CQ_VERR_BANNED ? ve.retry_after_ms : BN_SNAPSHOT_RETRY_MS;
      cond_wait_ms(s, wait < BN_SNAPSHOT_RETRY_MS ? BN_SNAPSHOT_RETRY_MS : wait);
    }
    return true;
  }
  return false;
}

/* The listen key: keep it alive, or get a new one and reconnect (mu held). */
static void user_upkeep(cq_venue_stream *s) {
  bn_venue *v = s->v;
  int64_t now = cq__bn_now_ms(v);
  if (!s->renew_key && now < s->next_keepalive_ms) return;
  char key[BN_LISTEN_KEY_MAX];
  snprintf(key, sizeof key, "%s", s->listen_key);
  bool renew = s->renew_key;
  s->next_keepalive_ms = now + s->keepalive_ms;
  pthread_mutex_unlock(&s->mu);
  cq_verror ve;
  cq_verror_clear(&ve);
  if (!renew && listen_key_keepalive(v, key, &ve) < 0) {
    /* -1125: the key does not exist any more */
    renew = ve.venue_code == -1125 || ve.cls == CQ_VERR_BAD_REQUEST || ve.cls == CQ_VERR_NOT_FOUND;
    if (!renew && v->log)
      cq_logf(v->log, CQ_LOG_WARN, "binance: listen key keep-alive failed: %s", ve.e.msg);
  }
  if (renew) {
    cq_verror_clear(&ve);
    if (listen_key_new(v, key, &ve) == 0) {
      cq_ws_client *old = s->uws, *nws = NULL;
      pthread_mutex_lock(&s->mu);
      s->uws = NULL;
      pthread_mutex_unlock(&s->mu);
      atomic_store(&s->user_renewing, true);
      cq_ws_client_close(old);
      atomic_store(&s->user_renewing, false);
      cq_verror oe;
      cq_verror_clear(&oe);
      if (open_ws(s, key, true, &nws, &oe) < 0 && v->log)
        cq_logf(v->log, CQ_LOG_ERROR, "binance: user stream not reopened: %s", oe.e.msg);
      pthread_mutex_lock(&s->mu);
      s->uws = nws;
      snprintf(s->listen_key, sizeof s->listen_key, "%s", key);
      s->renew_key = false;
      return;
    }
    if (v->log) cq_logf(v->log, CQ_LOG_ERROR, "binance: no new listen key: %s", ve.e.msg);
    pthread_mutex_lock(&s->mu);
    /* try again soon, but not in a loop */
    s->next_keepalive_ms = cq__bn_now_ms(v) + 1000;
    s->renew_key = true;
    return;
  }
  pthread_mutex_lock(&s->mu);
}

static void *worker_main(void *arg) {
  cq_venue_stream *s = arg;
  pthread_mutex_lock(&s->mu);
  while (!s->stop) {
    if (fetch_one(s)) continue;
    int64_t wait = 1000;
    if (s->user) {
      user_upkeep(s);
      if (s->stop) break;
      int64_t left = s->next_keepalive_ms - cq__bn_now_ms(s->v);
      if (s->renew_key && left > 1000) left = 1000;
      if (left < wait) wait = left > 1 ? left : 1;
    }
    bool wanted = false;
    for (size_t i = 0; i < s->nbooks; i++) wanted |= s->books[i].mb == MB_WANTED;
    if (!wanted && !s->stop) cond_wait_ms(s, wait);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* ---- subscribe / unsubscribe ----------------------------------------------------------- */

static void stream_free(cq_venue_stream *s) {
  if (!s) return;
  /* no callback runs after the clients are closed; the worker (which may replace the user
   * connection) is stopped before that one is closed */
  atomic_store(&s->closing, true);
  cq_ws_client_close(s->ws);
  pthread_mutex_lock(&s->mu);
  s->stop = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (s->worker_started) pthread_join(s->worker, NULL);
  cq_ws_client_close(s->uws);
  for (size_t i = 0; i < s->nbooks; i++) {
    cq_bn_book_sync_free(s->books[i].sync);
    cq_l2book_free(s->books[i].snap);
  }
  if (s->user && *s->listen_key) {
    /* the key is closed so the venue stops sending; a failure here changes nothing */
    char q[BN_LISTEN_KEY_MAX + 16];
    snprintf(q, sizeof q, "listenKey=%s", s->listen_key);
    bn_req r = {.method = "DELETE",
                .path = "/api/v3/userDataStream",
                .query = q,
                .key = true,
                .safe = true};
    cq_http_response resp;
    if (cq__bn_call(s->v, &r, &resp, NULL) == 0) cq_http_response_release(&resp);
  }
  free(s->books);
  free(s->names);
  cq_bn_msg_release(&s->msg);
  cq_bn_msg_release(&s->umsg);
  cq_bn_depth_diff_release(&s->diff);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* Appends "name" to the comma... slash-separated stream list. */
static int add_stream(char *list, size_t n, size_t *len, const char *name) {
  int w = snprintf(list + *len, n - *len, "%s%s", *len ? "/" : "", name);
  if (w < 0 || (size_t)w >= n - *len) return CQ_ELIMIT;
  *len += (size_t)w;
  return 0;
}

static int add_name(cq_venue_stream *s, const char *native, const char *unified) {
  for (size_t i = 0; i < s->nnames; i++)
    if (strcmp(s->names[i].native, native) == 0) return 0;
  snprintf(s->names[s->nnames].native, CQ_SYMBOL_MAX, "%s", native);
  snprintf(s->names[s->nnames].unified, CQ_SYMBOL_MAX, "%s", unified);
  s->nnames++;
  return 0;
}

int cq__bn_subscribe(cq_venue *base, const cq_venue_sub *subs, size_t n, const cq_venue_handler *h,
                     cq_venue_stream **out, cq_verror *ve) {
  bn_venue *v = (bn_venue *)base;
  cq_verror_clear(ve);
  *out = NULL;
  if (!v->loop)
    return cq__bn_fail(ve, CQ_VERR_UNSUPPORTED, 0, 0,
                       "streams need a network loop in the venue configuration");
  if (!subs || n == 0 || n > BN_STREAMS_MAX || !h || !h->on_event)
    return cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0,
                       "subscribe: 1 to %d subscriptions and a handler are needed", BN_STREAMS_MAX);
  cq_venue_stream *s = calloc(1, sizeof *s);
  if (!s) return cq__bn_fail(ve, CQ_VERR_UNAVAILABLE, 0, 0, "out of memory");
  s->v = v;
  s->h = *h;
  cq_bn_msg_init(&s->msg);
  cq_bn_msg_init(&s->umsg);
  cq_bn_depth_diff_init(&s->diff);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->names = calloc(n, sizeof *s->names);
  s->books = calloc(n, sizeof *s->books);
  char *list = malloc(BN_STREAM_URL_MAX);
  int rc = 0;
  if (!s->names || !s->books || !list) {
    rc = cq__bn_fail(ve, CQ_VERR_UNAVAILABLE, 0, 0, "out of memory");
    goto fail;
  }
  size_t len = 0;
  list[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    const cq_venue_sub *sub = &subs[i];
    if (sub->channel == CQ_VCH_USER) {
      s->user = true;
      continue;
    }
    char native[CQ_SYMBOL_MAX], lower[CQ_SYMBOL_MAX], name[CQ_SYMBOL_MAX + 32];
    if ((rc = cq__bn_native(v, sub->symbol, native, ve)) < 0) goto fail;
    add_name(s, native, sub->symbol);
    size_t k = 0;
    for (; native[k]; k++)
      lower[k] = (char)(native[k] >= 'A' && native[k] <= 'Z' ? native[k] - 'A' + 'a' : native[k]);
    lower[k] = '\0';
    switch (sub->channel) {
      case CQ_VCH_TRADES:
        snprintf(name, sizeof name, "%s@trade", lower);
        break;
      case CQ_VCH_AGG_TRADES:
        snprintf(name, sizeof name, "%s@aggTrade", lower);
        break;
      case CQ_VCH_QUOTES:
        snprintf(name, sizeof name, "%s@bookTicker", lower);
        break;
      case CQ_VCH_TICKER: /* the 24hrTicker, once a second */
        snprintf(name, sizeof name, "%s@ticker", lower);
        break;
      case CQ_VCH_KLINES: {
        const char *iv = cq_bn_interval_name(sub->tf);
        if (!iv) {
          rc = cq__bn_fail(ve, CQ_VERR_UNSUPPORTED, 0, 0, "klines: Binance has no such interval");
          goto fail;
        }
        snprintf(name, sizeof name, "%s@kline_%s", lower, iv);
        break;
      }
      case CQ_VCH_BOOK: {
        if (book_of(s, native)) continue;
        bn_book *b = &s->books[s->nbooks];
        snprintf(b->native, sizeof b->native, "%s", native);
        snprintf(b->unified, sizeof b->unified, "%s", sub->symbol);
        cq_error e;
        cq_error_clear(&e);
        if (cq_bn_book_sync_new(BN_BOOK_LEVELS, BN_BOOK_BUFFER, false, &b->sync, &e) < 0 ||
            cq_l2book_new(BN_BOOK_LEVELS, &b->snap, &e) < 0) {
          cq_bn_book_sync_free(b->sync);
          b->sync = NULL;
          rc = cq__bn_fail(ve, CQ_VERR_UNAVAILABLE, 0, 0, "book: %s", e.msg);
          goto fail;
        }
        s->nbooks++;
        snprintf(name, sizeof name, "%s@depth@100ms", lower);
        break;
      }
      default:
        rc = cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "subscribe: unknown channel %d",
                         (int)sub->channel);
        goto fail;
    }
    if (add_stream(list, BN_STREAM_URL_MAX - BN_URL_MAX - 32, &len, name) < 0) {
      rc = cq__bn_fail(ve, CQ_VERR_BAD_REQUEST, 0, 0, "subscribe: too many streams for one URL");
      goto fail;
    }
  }
  if (s->user) {
    if (!v->has_keys) {
      rc = cq__bn_fail(ve, CQ_VERR_AUTH, 0, 0, "the user-data stream needs an API key");
      goto fail;
    }
    /* execution reports name native symbols: know them all before the first one */
    if ((rc = cq__bn_load_symbols(v, ve)) < 0 || (rc = listen_key_new(v, s->listen_key, ve)) < 0)
      goto fail;
    s->keepalive_ms = v->keepalive_ms > 0 ? v->keepalive_ms : BN_KEEPALIVE_DEFAULT_MS;
    s->next_keepalive_ms = cq__bn_now_ms(v) + s->keepalive_ms;
  }
  if (pthread_create(&s->worker, NULL, worker_main, s) != 0) {
    rc = cq__bn_fail(ve, CQ_VERR_UNAVAILABLE, 0, 0, "no worker thread");
    goto fail;
  }
  s->worker_started = true;
  if (len > 0 && (rc = open_ws(s, list, false, &s->ws, ve)) < 0) goto fail;
  if (s->user) {
    cq_ws_client *u = NULL;
    if ((rc = open_ws(s, s->listen_key, true, &u, ve)) < 0) goto fail;
    pthread_mutex_lock(&s->mu);
    s->uws = u;
    pthread_mutex_unlock(&s->mu);
  }
  free(list);
  *out = s;
  return 0;
fail:
  free(list);
  stream_free(s);
  return rc < 0 ? rc : CQ_EINTERNAL;
}

void cq__bn_unsubscribe(cq_venue_stream *s) {
  stream_free(s);
}
