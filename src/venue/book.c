/* The local L2 book: two sorted arrays of exact levels per book, capped (see book.h). */
#include <stdlib.h>
#include <string.h>

#include "book.h"

typedef struct bk_level {
  cq_dec price, qty;
} bk_level;

/* A side is kept worst first, best last: a busy feed changes the top of the book, and
 * there an insert or a removal moves only the few levels above it. */
typedef struct bk_side {
  bk_level *lv;
  size_t n;
  bool has_horizon; /* a level was dropped: prices at or past horizon are not kept */
  cq_dec horizon;
} bk_side;

struct cq_l2book {
  size_t max_levels;
  bk_side bids, asks;
  uint64_t seq;
  cq_time time;
  bool valid;
};

/* Comparison of two prices; the same scale (the usual case for one symbol) skips the
 * general path. */
static inline int px_cmp(cq_dec a, cq_dec b) {
  if (a.scale == b.scale) return (a.m > b.m) - (a.m < b.m);
  return cq_dec_cmp(a, b);
}

/* Whether a is better than b on the side: higher for bids, lower for asks. */
static inline int better(bool bid, cq_dec a, cq_dec b) {
  int c = px_cmp(a, b);
  return bid ? c : -c;
}

int cq_l2book_new(size_t max_levels, cq_l2book **out, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "l2book: out is NULL");
  if (max_levels == 0) max_levels = 1000;
  if (max_levels > 1000000)
    return cq_error_set(err, CQ_EINVAL, "l2book: max_levels %zu is over 1000000", max_levels);
  cq_l2book *b = calloc(1, sizeof *b);
  if (!b) return cq_error_set(err, CQ_ENOMEM, "l2book: out of memory");
  b->max_levels = max_levels;
  b->bids.lv = malloc(max_levels * sizeof(bk_level));
  b->asks.lv = malloc(max_levels * sizeof(bk_level));
  if (!b->bids.lv || !b->asks.lv) {
    cq_l2book_free(b);
    return cq_error_set(err, CQ_ENOMEM, "l2book: out of memory for %zu levels", max_levels);
  }
  *out = b;
  return 0;
}

void cq_l2book_free(cq_l2book *b) {
  if (!b) return;
  free(b->bids.lv);
  free(b->asks.lv);
  free(b);
}

bool cq_l2book_valid(const cq_l2book *b) {
  return b && b->valid;
}

uint64_t cq_l2book_seq(const cq_l2book *b) {
  return b ? b->seq : 0;
}

static const bk_side *side_of(const cq_l2book *b, cq_side side) {
  return side == CQ_SIDE_BUY ? &b->bids : side == CQ_SIDE_SELL ? &b->asks : NULL;
}

size_t cq_l2book_depth(const cq_l2book *b, cq_side side) {
  const bk_side *s = b ? side_of(b, side) : NULL;
  return s ? s->n : 0;
}

bool cq_l2book_level(const cq_l2book *b, cq_side side, size_t i, cq_dec *price, cq_dec *qty) {
  const bk_side *s = b ? side_of(b, side) : NULL;
  if (!s || i >= s->n) return false;
  if (price) *price = s->lv[s->n - 1 - i].price;
  if (qty) *qty = s->lv[s->n - 1 - i].qty;
  return true;
}

void cq_l2book_top(const cq_l2book *b, cq_book_snapshot *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!b) return;
  out->time = b->time;
  out->seq = b->seq;
  size_t nb = b->bids.n < CQ_BOOK_MAX_LEVELS ? b->bids.n : CQ_BOOK_MAX_LEVELS;
  size_t na = b->asks.n < CQ_BOOK_MAX_LEVELS ? b->asks.n : CQ_BOOK_MAX_LEVELS;
  for (size_t i = 0; i < nb; i++) {
    const bk_level *l = &b->bids.lv[b->bids.n - 1 - i];
    out->bids[i].price = cq_dec_to_double(l->price);
    out->bids[i].qty = cq_dec_to_double(l->qty);
  }
  for (size_t i = 0; i < na; i++) {
    const bk_level *l = &b->asks.lv[b->asks.n - 1 - i];
    out->asks[i].price = cq_dec_to_double(l->price);
    out->asks[i].qty = cq_dec_to_double(l->qty);
  }
  out->nbids = (uint32_t)nb;
  out->nasks = (uint32_t)na;
}

void cq_l2book_clear(cq_l2book *b) {
  if (!b) return;
  b->bids.n = b->asks.n = 0;
  b->bids.has_horizon = b->asks.has_horizon = false;
  b->seq = 0;
  b->time = 0;
  b->valid = false;
}

/* First index (from the worst) whose price is not worse than p: where p is or goes. */
static size_t find(const bk_side *s, bool bid, cq_dec p) {
  size_t lo = 0, hi = s->n;
  /* Diffs touch the top of the book most: look there first. */
  if (hi > 0 && better(bid, p, s->lv[hi - 1].price) > 0) return hi;
  if (hi > 1 && better(bid, p, s->lv[hi - 2].price) > 0) return hi - 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (better(bid, s->lv[mid].price, p) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int cq_l2book_set(cq_l2book *b, cq_side side, cq_dec price, cq_dec qty, cq_error *err) {
  if (!b) return cq_error_set(err, CQ_EINVAL, "l2book: book is NULL");
  bk_side *s = side == CQ_SIDE_BUY ? &b->bids : side == CQ_SIDE_SELL ? &b->asks : NULL;
  if (!s) return cq_error_set(err, CQ_EINVAL, "l2book: side must be buy or sell");
  if (!cq_dec_valid(price) || !cq_dec_valid(qty))
    return cq_error_set(err, CQ_EINVAL, "l2book: invalid decimal");
  if (price.m <= 0 || qty.m < 0) {
    char pb[CQ_DEC_STRMAX], qb[CQ_DEC_STRMAX];
    cq_dec_format(price, pb, sizeof pb);
    cq_dec_format(qty, qb, sizeof qb);
    return cq_error_set(err, CQ_EINVAL, "l2book: level %s x %s: price must be > 0, qty >= 0", pb,
                        qb);
  }
  bool bid = side == CQ_SIDE_BUY;
  if (s->has_horizon && better(bid, price, s->horizon) <= 0) return 0; /* past what we keep */
  size_t i = find(s, bid, price);
  bool found = i < s->n && px_cmp(s->lv[i].price, price) == 0;
  if (qty.m == 0) {
    if (found) {
      memmove(&s->lv[i], &s->lv[i + 1], (s->n - i - 1) * sizeof(bk_level));
      s->n--;
    }
    return 0;
  }
  if (found) {
    s->lv[i].qty = qty;
    return 0;
  }
  if (s->n == b->max_levels) {
    /* Full: the worst level goes, and nothing at or past it is kept from now on. */
    if (i == 0) {
      if (!s->has_horizon || better(bid, price, s->horizon) > 0) s->horizon = price;
      s->has_horizon = true;
      return 0;
    }
    s->horizon = s->lv[0].price;
    s->has_horizon = true;
    memmove(&s->lv[0], &s->lv[1], (i - 1) * sizeof(bk_level));
    s->lv[i - 1].price = price;
    s->lv[i - 1].qty = qty;
    return 0;
  }
  memmove(&s->lv[i + 1], &s->lv[i], (s->n - i) * sizeof(bk_level));
  s->lv[i].price = price;
  s->lv[i].qty = qty;
  s->n++;
  return 0;
}

void cq_l2book_set_valid(cq_l2book *b, bool valid) {
  if (b) b->valid = valid;
}

void cq_l2book_set_seq(cq_l2book *b, uint64_t seq) {
  if (b) b->seq = seq;
}

void cq_l2book_set_time(cq_l2book *b, cq_time t) {
  if (b) b->time = t;
}

cq_time cq_l2book_time(const cq_l2book *b) {
  return b ? b->time : 0;
}

size_t cq_l2book_max_levels(const cq_l2book *b) {
  return b ? b->max_levels : 0;
}

bool cq_l2book_crossed(const cq_l2book *b) {
  if (!b || b->bids.n == 0 || b->asks.n == 0) return false;
  return px_cmp(b->bids.lv[b->bids.n - 1].price, b->asks.lv[b->asks.n - 1].price) >= 0;
}

int cq_l2book_copy(cq_l2book *dst, const cq_l2book *src, cq_error *err) {
  if (!dst || !src) return cq_error_set(err, CQ_EINVAL, "l2book: copy of or into NULL");
  if (dst == src) return 0;
  if (src->bids.n > dst->max_levels || src->asks.n > dst->max_levels)
    return cq_error_set(err, CQ_ELIMIT, "l2book: copy of %zu/%zu levels into a book of %zu",
                        src->bids.n, src->asks.n, dst->max_levels);
  memcpy(dst->bids.lv, src->bids.lv, src->bids.n * sizeof(bk_level));
  memcpy(dst->asks.lv, src->asks.lv, src->asks.n * sizeof(bk_level));
  dst->bids.n = src->bids.n;
  dst->asks.n = src->asks.n;
  dst->bids.has_horizon = src->bids.has_horizon;
  dst->bids.horizon = src->bids.horizon;
  dst->asks.has_horizon = src->asks.has_horizon;
  dst->asks.horizon = src->asks.horizon;
  dst->seq = src->seq;
  dst->time = src->time;
  dst->valid = src->valid;
  return 0;
}

static bool side_equal(const bk_side *a, const bk_side *b) {
  if (a->n != b->n) return false;
  for (size_t i = 0; i < a->n; i++)
    if (!cq_dec_eq(a->lv[i].price, b->lv[i].price) || !cq_dec_eq(a->lv[i].qty, b->lv[i].qty))
      return false;
  return true;
}

bool cq_l2book_equal(const cq_l2book *a, const cq_l2book *b) {
  if (!a || !b) return a == b;
  return side_equal(&a->bids, &b->bids) && side_equal(&a->asks, &b->asks);
}
