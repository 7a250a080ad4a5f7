/* The local order-book synchronizer (Binance's documented procedure; see binance.h). */
#include <stdlib.h>
#include <string.h>

#include "binance.h"

/* A buffered diff: its ids and levels, flattened into one level pool. */
typedef struct sync_diff {
  uint64_t first_id, final_id, prev_id;
  bool has_prev;
  cq_time event_time;
  size_t nbids, nasks;
  cq_bn_level *lv; /* nbids bids then nasks asks */
} sync_diff;

struct cq_bn_book_sync {
  cq_l2book *book;
  bool use_prev;
  bool needs_snapshot; /* no valid book: diffs are buffered */
  bool have_prev_final;
  uint64_t prev_final; /* u of the last diff applied */
  sync_diff *buf;
  size_t nbuf, max_buf;
};

int cq_bn_book_sync_new(size_t max_levels, size_t max_buffered, bool use_prev,
                        cq_bn_book_sync **out, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "binance: book sync: out is NULL");
  cq_bn_book_sync *s = calloc(1, sizeof *s);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "binance: book sync: out of memory");
  int rc = cq_l2book_new(max_levels, &s->book, err);
  if (rc < 0) {
    free(s);
    return rc;
  }
  s->max_buf = max_buffered ? max_buffered : 1000;
  s->buf = calloc(s->max_buf, sizeof *s->buf);
  if (!s->buf) {
    cq_bn_book_sync_free(s);
    return cq_error_set(err, CQ_ENOMEM, "binance: book sync: out of memory");
  }
  s->use_prev = use_prev;
  s->needs_snapshot = true;
  *out = s;
  return 0;
}

static void drop_buffer(cq_bn_book_sync *s) {
  for (size_t i = 0; i < s->nbuf; i++) free(s->buf[i].lv);
  s->nbuf = 0;
}

void cq_bn_book_sync_free(cq_bn_book_sync *s) {
  if (!s) return;
  if (s->buf) drop_buffer(s);
  free(s->buf);
  cq_l2book_free(s->book);
  free(s);
}

static void invalidate(cq_bn_book_sync *s) {
  cq_l2book_set_valid(s->book, false);
  s->needs_snapshot = true;
  s->have_prev_final = false;
}

void cq_bn_book_sync_reset(cq_bn_book_sync *s) {
  if (!s) return;
  drop_buffer(s);
  cq_l2book_clear(s->book);
  invalidate(s);
}

bool cq_bn_book_sync_needs_snapshot(const cq_bn_book_sync *s) {
  return !s || s->needs_snapshot;
}

const cq_l2book *cq_bn_book_sync_book(const cq_bn_book_sync *s) {
  return s ? s->book : NULL;
}

size_t cq_bn_book_sync_buffered(const cq_bn_book_sync *s) {
  return s ? s->nbuf : 0;
}

/* Applies levels to the book; on an error the book is invalid. */
static int apply_levels(cq_bn_book_sync *s, const cq_bn_level *bids, size_t nb,
                        const cq_bn_level *asks, size_t na, uint64_t final_id, cq_time t,
                        cq_error *err) {
  for (size_t i = 0; i < nb; i++) {
    int rc = cq_l2book_set(s->book, CQ_SIDE_BUY, bids[i].price, bids[i].qty, err);
    if (rc < 0) {
      invalidate(s);
      return rc;
    }
  }
  for (size_t i = 0; i < na; i++) {
    int rc = cq_l2book_set(s->book, CQ_SIDE_SELL, asks[i].price, asks[i].qty, err);
    if (rc < 0) {
      invalidate(s);
      return rc;
    }
  }
  cq_l2book_set_seq(s->book, final_id);
  if (t) cq_l2book_set_time(s->book, t);
  s->prev_final = final_id;
  s->have_prev_final = true;
  return 0;
}

/* Whether a diff (ids) may be applied to the current book; sets *stale for an old one. */
static bool follows(const cq_bn_book_sync *s, uint64_t first, uint64_t final, uint64_t prev,
                    bool has_prev, bool *stale) {
  uint64_t lid = cq_l2book_seq(s->book);
  *stale = final <= lid;
  if (*stale) return false;
  if (!s->have_prev_final) /* the first diff after the snapshot */
    return first <= lid + 1 && lid + 1 <= final;
  if (s->use_prev && has_prev) return prev == s->prev_final;
  return first == s->prev_final + 1;
}

static cq_bn_sync_result after_apply(cq_bn_book_sync *s) {
  if (cq_l2book_crossed(s->book)) {
    invalidate(s);
    return CQ_BN_SYNC_GAP;
  }
  return CQ_BN_SYNC_APPLIED;
}

int cq_bn_book_sync_diff(cq_bn_book_sync *s, const cq_bn_depth_diff *d, cq_bn_sync_result *res,
                         cq_error *err) {
  if (!s || !d || !res) return cq_error_set(err, CQ_EINVAL, "binance: book sync: NULL argument");
  if (s->needs_snapshot) {
    if (s->nbuf == s->max_buf) {
      /* The snapshot is late: the oldest diff goes, and with it the chance to join an early
       * snapshot; a later one still joins the newest diffs. */
      free(s->buf[0].lv);
      memmove(&s->buf[0], &s->buf[1], (s->nbuf - 1) * sizeof *s->buf);
      s->nbuf--;
    }
    sync_diff *b = &s->buf[s->nbuf];
    size_t n = d->nbids + d->nasks;
    b->lv = malloc((n ? n : 1) * sizeof *b->lv);
    if (!b->lv) return cq_error_set(err, CQ_ENOMEM, "binance: book sync: out of memory");
    if (d->nbids) memcpy(b->lv, d->bids, d->nbids * sizeof *b->lv);
    if (d->nasks) memcpy(b->lv + d->nbids, d->asks, d->nasks * sizeof *b->lv);
    b->nbids = d->nbids;
    b->nasks = d->nasks;
    b->first_id = d->first_id;
    b->final_id = d->final_id;
    b->prev_id = d->prev_id;
    b->has_prev = d->has_prev;
    b->event_time = d->event_time;
    s->nbuf++;
    *res = CQ_BN_SYNC_BUFFERED;
    return 0;
  }
  bool stale;
  if (!follows(s, d->first_id, d->final_id, d->prev_id, d->has_prev, &stale)) {
    if (stale) {
      *res = CQ_BN_SYNC_STALE;
      return 0;
    }
    /* The diff that broke the sequence may be the one a new snapshot joins: keep it. */
    invalidate(s);
    int rc = cq_bn_book_sync_diff(s, d, res, err);
    *res = CQ_BN_SYNC_GAP;
    return rc;
  }
  int rc = apply_levels(s, d->bids, d->nbids, d->asks, d->nasks, d->final_id, d->event_time, err);
  if (rc < 0) {
    *res = CQ_BN_SYNC_GAP;
    return rc;
  }
  *res = after_apply(s);
  return 0;
}

int cq_bn_book_sync_snapshot(cq_bn_book_sync *s, const cq_l2book *snap, cq_bn_sync_result *res,
                             cq_error *err) {
  if (!s || !snap || !res) return cq_error_set(err, CQ_EINVAL, "binance: book sync: NULL argument");
  int rc = cq_l2book_copy(s->book, snap, err);
  if (rc < 0) {
    invalidate(s);
    *res = CQ_BN_SYNC_GAP;
    return rc;
  }
  s->have_prev_final = false;
  s->needs_snapshot = false;
  if (cq_l2book_crossed(s->book)) {
    invalidate(s);
    drop_buffer(s);
    *res = CQ_BN_SYNC_GAP;
    return 0;
  }
  cq_l2book_set_valid(s->book, true);
  /* Replay the buffer: older diffs are dropped, the rest must join without a gap. */
  *res = CQ_BN_SYNC_APPLIED;
  size_t i = 0;
  for (; i < s->nbuf; i++) {
    const sync_diff *b = &s->buf[i];
    bool stale;
    if (!follows(s, b->first_id, b->final_id, b->prev_id, b->has_prev, &stale)) {
      if (stale) continue;
      invalidate(s);
      *res = CQ_BN_SYNC_GAP;
      break;
    }
    rc = apply_levels(s, b->lv, b->nbids, b->lv + b->nbids, b->nasks, b->final_id, b->event_time,
                      err);
    if (rc < 0) {
      *res = CQ_BN_SYNC_GAP;
      break;
    }
    if (after_apply(s) == CQ_BN_SYNC_GAP) {
      *res = CQ_BN_SYNC_GAP;
      break;
    }
  }
  if (*res == CQ_BN_SYNC_GAP) {
    /* Keep the diffs after the break: a newer snapshot may join them. */
    size_t keep = i < s->nbuf ? s->nbuf - i : 0;
    for (size_t k = 0; k < i && k < s->nbuf; k++) free(s->buf[k].lv);
    memmove(&s->buf[0], &s->buf[s->nbuf - keep], keep * sizeof *s->buf);
    s->nbuf = keep;
    return rc;
  }
  drop_buffer(s);
  return 0;
}
