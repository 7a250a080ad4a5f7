/* Binance codec throughput: kline pages (candles/s) and diff-depth messages parsed and
 * applied to a synchronized local book (updates/s), both against json_loads of the same
 * bytes measured in the same run. The messages have the recorded payloads' shape: kline
 * rows of twelve fields with 8-decimal strings, and depth updates of a few levels near the
 * top of a BTCUSDT book, as a busy live feed sends them. Prints figures; asserts nothing
 * about time. Exits non-zero only if a call fails.
 *
 *   bench_venue_codec [--quick]
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "binance.h"

enum { PAGE = 1000, PAGES = 50, NUPD = 200000, BOOK_LEVELS = 1000, REPS = 5 };

typedef struct buf {
  char *p;
  size_t len, cap;
} buf;

static void put(buf *b, const char *fmt, ...) CQ_PRINTF(2, 3);
static void put(buf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < b->cap - b->len) {
      b->len += (size_t)n;
      return;
    }
    size_t nc = b->cap ? b->cap * 2 : 1 << 16;
    char *p = realloc(b->p, nc);
    if (!p) {
      fprintf(stderr, "bench_venue_codec: out of memory\n");
      exit(1);
    }
    b->p = p;
    b->cap = nc;
  }
}

static int fail(const char *what, const cq_error *e) {
  fprintf(stderr, "bench_venue_codec: %s: %s\n", what, e->msg);
  return 1;
}

/* A 1000-row kline page like the recorded one, with moving prices. */
static void kline_page(rng *r, int page, buf *b) {
  b->len = 0;
  put(b, "[");
  double p = 0.0163479 * (1 + 0.01 * page);
  int64_t t = INT64_C(1499040000000) + (int64_t)page * PAGE * 60000;
  for (int i = 0; i < PAGE; i++) {
    double o = p, c = p * (1 + (unit(r) - 0.5) * 0.004);
    double h = (o > c ? o : c) * 1.001, l = (o < c ? o : c) * 0.999;
    put(b,
        "%s[%lld,\"%.8f\",\"%.8f\",\"%.8f\",\"%.8f\",\"%.8f\",%lld,\"%.8f\",%d,\"%.8f\","
        "\"%.8f\",\"0\"]",
        i ? "," : "", (long long)t, o, h, l, c, unit(r) * 150000, (long long)(t + 59999),
        unit(r) * 2500, (int)below(r, 400), unit(r) * 1800, unit(r) * 30);
    t += 60000;
    p = c;
  }
  put(b, "]");
}

int main(int argc, char **argv) {
  bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  int pages = quick ? 5 : PAGES, nupd = quick ? 20000 : NUPD;
  rng r = {7};
  cq_error e;

  /* ---- klines ---- */
  buf *kp = calloc((size_t)pages, sizeof *kp);
  if (!kp) return 1;
  size_t kbytes = 0;
  for (int i = 0; i < pages; i++) {
    kline_page(&r, i, &kp[i]);
    kbytes += kp[i].len;
  }
  cq_candles c;
  cq_candles_init(&c, 0);
  double best_k = 1e9, best_kj = 1e9;
  for (int rep = 0; rep < REPS; rep++) {
    double t0 = now_s();
    for (int i = 0; i < pages; i++) {
      cq_candles_clear(&c);
      if (cq_bn_parse_klines(kp[i].p, kp[i].len, 0, &c, &e)) return fail("klines", &e);
      if (c.len != PAGE) return fail("klines count", &e);
    }
    double t1 = now_s();
    for (int i = 0; i < pages; i++) {
      json_error_t je;
      json_t *j = json_loadb(kp[i].p, kp[i].len, 0, &je);
      if (!j) return 1;
      json_decref(j);
    }
    double t2 = now_s();
    if (t1 - t0 < best_k) best_k = t1 - t0;
    if (t2 - t1 < best_kj) best_kj = t2 - t1;
  }
  double ncandles = (double)pages * PAGE;
  printf("klines: %d pages of %d rows, %.1f MB\n", pages, PAGE, (double)kbytes / 1e6);
  printf("  cq_bn_parse_klines      %10.0f candles/s  %7.1f MB/s\n", ncandles / best_k,
         (double)kbytes / best_k / 1e6);
  printf("  json_loads (baseline)   %10.0f candles/s  %7.1f MB/s\n", ncandles / best_kj,
         (double)kbytes / best_kj / 1e6);
  printf("  ratio parse / baseline  %10.2f (time; < 1 is faster than json_loads alone)\n",
         best_k / best_kj);

  /* ---- depth updates ---- */
  /* A book of BOOK_LEVELS levels a side around 20377.00 (tick 0.10), then small diffs near
   * the top: 1-3 levels a side, a quarter of them removals, a removed level put back. */
  cq_l2book *snap;
  if (cq_l2book_new((size_t)BOOK_LEVELS * 2, &snap, &e)) return fail("book", &e);
  int64_t mid = 203770; /* in ticks of 0.1 */
  for (int i = 1; i <= BOOK_LEVELS; i++) {
    if (cq_l2book_set(snap, CQ_SIDE_BUY, CQ_DEC((mid - i) * 10, 2),
                      CQ_DEC((int64_t)below(&r, 5000) + 1, 3), &e) ||
        cq_l2book_set(snap, CQ_SIDE_SELL, CQ_DEC((mid + i) * 10, 2),
                      CQ_DEC((int64_t)below(&r, 5000) + 1, 3), &e))
      return fail("book", &e);
  }
  uint64_t lid = 2098021528332ULL;
  cq_l2book_set_seq(snap, lid);
  cq_l2book_set_valid(snap, true);
  buf msgs = {0};
  size_t *off = malloc(((size_t)nupd + 1) * sizeof *off);
  if (!off) return 1;
  uint64_t u = lid;
  for (int k = 0; k < nupd; k++) {
    off[k] = msgs.len;
    uint64_t first = u + 1;
    u = first + below(&r, 20);
    put(&msgs, "{\"e\":\"depthUpdate\",\"E\":%lld,\"s\":\"BTCUSDT\",\"U\":%llu,\"u\":%llu,\"b\":[",
        (long long)(INT64_C(1667346579146) + k), (unsigned long long)first, (unsigned long long)u);
    for (int side = 0; side < 2; side++) {
      int n = 1 + (int)below(&r, 3);
      for (int i = 0; i < n; i++) {
        int64_t d = 1 + (int64_t)below(&r, below(&r, 10) < 8 ? 10 : 200);
        int64_t px = side ? mid + d : mid - d;
        int64_t q = below(&r, 4) == 0 ? 0 : (int64_t)below(&r, 5000) + 1;
        put(&msgs, "%s[\"%lld.%lld0\",\"%lld.%03lld\"]", i ? "," : "", (long long)(px / 10),
            (long long)(px % 10), (long long)(q / 1000), (long long)(q % 1000));
      }
      put(&msgs, side ? "]}" : "],\"a\":[");
    }
  }
  off[nupd] = msgs.len;

  cq_bn_book_sync *sync;
  if (cq_bn_book_sync_new((size_t)BOOK_LEVELS * 2, 16, false, &sync, &e)) return fail("sync", &e);
  cq_bn_depth_diff d;
  cq_bn_depth_diff_init(&d);
  cq_bn_msg m;
  cq_bn_msg_init(&m);
  double best_fast = 1e9, best_jan = 1e9, best_base = 1e9, best_parse = 1e9;
  for (int rep = 0; rep < REPS; rep++) {
    cq_bn_sync_result res;
    /* in-place parser + apply */
    if (cq_bn_book_sync_snapshot(sync, snap, &res, &e) || res != CQ_BN_SYNC_APPLIED)
      return fail("snapshot", &e);
    double t0 = now_s();
    for (int k = 0; k < nupd; k++) {
      if (cq_bn_parse_depth_update(msgs.p + off[k], off[k + 1] - off[k], &d, &e))
        return fail("depth parse", &e);
      if (cq_bn_book_sync_diff(sync, &d, &res, &e)) return fail("apply", &e);
      if (res != CQ_BN_SYNC_APPLIED) {
        fprintf(stderr, "bench_venue_codec: update %d not applied (%d)\n", k, (int)res);
        return 1;
      }
    }
    double t1 = now_s();
    /* in-place parser alone */
    for (int k = 0; k < nupd; k++)
      if (cq_bn_parse_depth_update(msgs.p + off[k], off[k + 1] - off[k], &d, &e))
        return fail("depth parse", &e);
    double t2 = now_s();
    /* the general (jansson) stream decoder + apply */
    if (cq_bn_book_sync_snapshot(sync, snap, &res, &e)) return fail("snapshot", &e);
    double t3 = now_s();
    for (int k = 0; k < nupd; k++) {
      if (cq_bn_parse_stream(msgs.p + off[k], off[k + 1] - off[k], NULL, 0, &m, &e))
        return fail("stream parse", &e);
      if (cq_bn_book_sync_diff(sync, &m.depth, &res, &e)) return fail("apply", &e);
    }
    double t4 = now_s();
    /* baseline: json_loads of the same bytes */
    for (int k = 0; k < nupd; k++) {
      json_error_t je;
      json_t *j = json_loadb(msgs.p + off[k], off[k + 1] - off[k], 0, &je);
      if (!j) return 1;
      json_decref(j);
    }
    double t5 = now_s();
    if (t1 - t0 < best_fast) best_fast = t1 - t0;
    if (t2 - t1 < best_parse) best_parse = t2 - t1;
    if (t4 - t3 < best_jan) best_jan = t4 - t3;
    if (t5 - t4 < best_base) best_base = t5 - t4;
  }
  printf("depth updates: %d messages, %.0f bytes each on average, book of %d levels a side\n", nupd,
         (double)msgs.len / nupd, BOOK_LEVELS);
  printf("  in-place parse + apply  %10.0f updates/s  (target 1000000)\n", nupd / best_fast);
  printf("  in-place parse alone    %10.0f updates/s\n", nupd / best_parse);
  printf("  jansson decode + apply  %10.0f updates/s\n", nupd / best_jan);
  printf("  json_loads (baseline)   %10.0f updates/s\n", nupd / best_base);
  printf("  ratio parse+apply / baseline %5.2f (time; < 1 is faster than json_loads alone)\n",
         best_fast / best_base);
  cq_bn_msg_release(&m);
  cq_bn_depth_diff_release(&d);
  cq_bn_book_sync_free(sync);
  cq_l2book_free(snap);
  free(off);
  free(msgs.p);
  for (int i = 0; i < pages; i++) free(kp[i].p);
  free(kp);
  cq_candles_release(&c);
  return 0;
}
