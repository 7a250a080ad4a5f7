/* Live candles: one cq_bar_builder per timeframe, fed the same trades. A trade is applied to
 * copies of every builder first and committed only when all accepted it, so an error leaves
 * every bar as it was and the timeframes never disagree about which trades they hold. */
#include <stdlib.h>
#include <string.h>

#include "cquant/ingest.h"

struct cq_live_candles {
  char venue[CQ_VENUE_MAX];
  char symbol[CQ_SYMBOL_MAX];
  size_t n;
  cq_bar_builder b[CQ_LIVE_TF_MAX];
  cq_time last;      /* time of the trade accepted last; INT64_MIN: none */
  cq_time watermark; /* latest tick; INT64_MIN: none */
  cq_live_candle_fn fn;
  cq_live_late_fn late_fn;
  void *ctx;
  cq_live_candles_stats st;
};

static int copy_name(char *dst, size_t cap, const char *src, const char *what, cq_error *err) {
  size_t len = src ? strlen(src) : 0;
  if (len == 0 || len >= cap)
    return cq_error_set(err, CQ_EINVAL, "live candles: %s must be 1..%zu characters", what,
                        cap - 1);
  memcpy(dst, src, len + 1);
  return CQ_OK;
}

int cq_live_candles_open(const char *venue, const char *symbol, const cq_timeframe *tfs, size_t n,
                         cq_live_candle_fn fn, cq_live_late_fn late_fn, void *ctx,
                         cq_live_candles **out, cq_error *err) {
  if (!out || (!tfs && n)) return cq_error_set(err, CQ_EINVAL, "live candles: no output");
  *out = NULL;
  if (n == 0 || n > CQ_LIVE_TF_MAX)
    return cq_error_set(err, CQ_EINVAL, "live candles: %zu timeframes (1..%d)", n,
                        (int)CQ_LIVE_TF_MAX);
  cq_live_candles *lc = calloc(1, sizeof *lc);
  if (!lc) return cq_error_set(err, CQ_ENOMEM, "live candles: out of memory");
  int rc = copy_name(lc->venue, sizeof lc->venue, venue, "venue", err);
  if (!rc) rc = copy_name(lc->symbol, sizeof lc->symbol, symbol, "symbol", err);
  for (size_t i = 0; !rc && i < n; i++) {
    char name[CQ_TF_STRMAX];
    cq_timeframe_format(tfs[i], name, sizeof name);
    if (cq_timeframe_ns(tfs[i]) <= 0) {
      rc = cq_error_set(err, CQ_EINVAL, "live candles: timeframe %zu (%s) is not of fixed length",
                        i, name);
      break;
    }
    for (size_t j = 0; j < i; j++)
      if (tfs[j].n == tfs[i].n && tfs[j].unit == tfs[i].unit)
        rc = cq_error_set(err, CQ_EINVAL, "live candles: timeframe %s given twice", name);
    if (!rc) rc = cq_bar_builder_init(&lc->b[i], tfs[i], err);
  }
  if (rc) {
    free(lc);
    return rc;
  }
  lc->n = n;
  lc->last = lc->watermark = INT64_MIN;
  lc->fn = fn;
  lc->late_fn = late_fn;
  lc->ctx = ctx;
  *out = lc;
  return CQ_OK;
}

void cq_live_candles_close(cq_live_candles *lc) {
  free(lc);
}

static void report(cq_live_candles *lc, size_t i, const cq_candle *c) {
  if (c->closed)
    lc->st.closed++;
  else
    lc->st.updates++;
  if (lc->fn) lc->fn(lc->ctx, lc->b[i].tf, c);
}

int cq_live_candles_add(cq_live_candles *lc, const cq_trade *t, bool *late, cq_error *err) {
  if (late) *late = false;
  if (!lc || !t) return cq_error_set(err, CQ_EINVAL, "live candles: no trade");
  if (t->time < lc->last || t->time < lc->watermark) {
    lc->st.late++;
    if (late) *late = true;
    if (lc->late_fn) lc->late_fn(lc->ctx, t);
    return CQ_OK;
  }
  cq_bar_builder next[CQ_LIVE_TF_MAX];
  cq_candle closed[CQ_LIVE_TF_MAX];
  bool emitted[CQ_LIVE_TF_MAX] = {0};
  memcpy(next, lc->b, lc->n * sizeof next[0]);
  for (size_t i = 0; i < lc->n; i++) {
    int rc = cq_bar_builder_add(&next[i], t, &closed[i], &emitted[i], err);
    if (rc) {
      cq_error_prefix(err, "live candles %s %s: ", lc->venue, lc->symbol);
      return rc;
    }
  }
  memcpy(lc->b, next, lc->n * sizeof next[0]);
  lc->last = t->time;
  lc->st.trades++;
  for (size_t i = 0; i < lc->n; i++)
    if (emitted[i]) report(lc, i, &closed[i]);
  for (size_t i = 0; i < lc->n; i++) {
    cq_candle c;
    bool e;
    /* A watermark before any bar's end: a snapshot that leaves the builder as it is. */
    cq_bar_builder_flush(&lc->b[i], INT64_MIN, &c, &e);
    if (e) report(lc, i, &c);
  }
  return CQ_OK;
}

void cq_live_candles_tick(cq_live_candles *lc, cq_time now) {
  if (!lc || now <= lc->watermark) return;
  lc->watermark = now;
  for (size_t i = 0; i < lc->n; i++) {
    if (!lc->b[i].forming || lc->b[i].end > now) continue;
    cq_candle c;
    bool e;
    cq_bar_builder_flush(&lc->b[i], now, &c, &e);
    if (e) report(lc, i, &c);
  }
}

void cq_live_candles_stats_get(const cq_live_candles *lc, cq_live_candles_stats *out) {
  *out = lc->st;
}

int cq_live_candles_event(const cq_live_candles *lc, cq_timeframe tf, const cq_candle *c,
                          uint64_t id, cq_time recv_time, cq_bus_event *out, cq_error *err) {
  if (!lc || !c || !out || id == 0)
    return cq_error_set(err, CQ_EINVAL, "live candles: event needs a candle and an id > 0");
  memset(out, 0, sizeof *out);
  out->kind = CQ_VEV_KLINE;
  memcpy(out->venue, lc->venue, sizeof out->venue);
  memcpy(out->symbol, lc->symbol, sizeof out->symbol);
  out->id = id;
  out->event_time = c->open_time;
  out->recv_time = recv_time;
  out->u.kline.tf = tf;
  out->u.kline.candle = *c;
  return CQ_OK;
}
