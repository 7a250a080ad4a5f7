/* The local order book and its Binance synchronizer: the recorded L2 capture (a snapshot
 * and a later diff that does not follow it), level updates, the level cap, and generated
 * diff streams with dropped, duplicated and reordered messages checked against a reference
 * book after every message: the book is either marked invalid or equal to the reference,
 * never silently wrong, and it resyncs from a new snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "binance.h"

/* ---- the recorded capture ------------------------------------------------------------ */

typedef struct csv_row {
  uint64_t first, last;
  long long pu;
  char side;
  cq_dec price, qty;
} csv_row;

/* symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu */
static int read_csv(const char *path, csv_row *rows, int max) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[256];
  int n = 0;
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return 0;
  }
  while (n < max && fgets(line, sizeof line, f)) {
    char *fld[10];
    int k = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, ",\n", &save); t && k < 10; t = strtok_r(NULL, ",\n", &save))
      fld[k++] = t;
    if (k < 8) continue;
    csv_row *r = &rows[n];
    r->first = strtoull(fld[2], NULL, 10);
    r->last = strtoull(fld[3], NULL, 10);
    r->side = fld[4][0];
    assert_int_equal(cq_dec_parse_cstr(fld[6], &r->price, NULL), 0);
    assert_int_equal(cq_dec_parse_cstr(fld[7], &r->qty, NULL), 0);
    r->pu = k > 8 ? strtoll(fld[8], NULL, 10) : -1;
    n++;
  }
  fclose(f);
  return n;
}

static cq_side side_of(char c) {
  return c == 'b' ? CQ_SIDE_BUY : CQ_SIDE_SELL;
}

static void replay_capture(const char *root) {
  char p1[512], p2[512];
  snprintf(p1, sizeof p1, "%s/btcusdt-depth-snap.csv", root);
  snprintf(p2, sizeof p2, "%s/btcusdt-depth-update.csv", root);
  static csv_row snap[256], upd[256];
  int ns = read_csv(p1, snap, 256), nu = read_csv(p2, upd, 256);
  assert_int_equal(ns, 100);
  assert_int_equal(nu, 100);

  cq_l2book *book;
  assert_int_equal(cq_l2book_new(1000, &book, NULL), 0);
  for (int i = 0; i < ns; i++)
    assert_int_equal(cq_l2book_set(book, side_of(snap[i].side), snap[i].price, snap[i].qty, NULL),
                     0);
  cq_l2book_set_seq(book, snap[0].last);
  assert_int_equal(cq_l2book_seq(book), 2098021528332ULL);
  assert_false(cq_l2book_crossed(book));

  cq_bn_depth_diff d;
  cq_bn_depth_diff_init(&d);
  d.first_id = upd[0].first;
  d.final_id = upd[0].last;
  d.prev_id = (uint64_t)upd[0].pu;
  d.has_prev = true;
  for (int i = 0; i < nu; i++)
    assert_int_equal(
        cq_bn_depth_diff_push(&d, side_of(upd[i].side), upd[i].price, upd[i].qty, NULL), 0);
  assert_int_equal(d.first_id, 2098041693435ULL);
  assert_int_equal(d.final_id, 2098041696700ULL);

  /* Through the synchronizer, in both sequence modes: the diff does not follow. */
  for (int mode = 0; mode < 2; mode++) {
    cq_bn_book_sync *s;
    cq_bn_sync_result r;
    assert_int_equal(cq_bn_book_sync_new(1000, 100, mode == 1, &s, NULL), 0);
    assert_true(cq_bn_book_sync_needs_snapshot(s));
    assert_int_equal(cq_bn_book_sync_snapshot(s, book, &r, NULL), 0);
    assert_int_equal(r, CQ_BN_SYNC_APPLIED);
    assert_true(cq_l2book_valid(cq_bn_book_sync_book(s)));
    assert_false(cq_bn_book_sync_needs_snapshot(s));
    assert_true(cq_l2book_equal(cq_bn_book_sync_book(s), book));
    assert_int_equal(cq_bn_book_sync_diff(s, &d, &r, NULL), 0);
    assert_int_equal(r, CQ_BN_SYNC_GAP);
    assert_false(cq_l2book_valid(cq_bn_book_sync_book(s)));
    assert_true(cq_bn_book_sync_needs_snapshot(s));
    /* Not applied: the book still holds the snapshot's levels, marked invalid. */
    assert_true(cq_l2book_equal(cq_bn_book_sync_book(s), book));
    cq_bn_book_sync_free(s);
  }

  /* The same diff applied as level updates on the snapshot: qty 0 removes, others set. */
  for (int i = 0; i < nu; i++)
    assert_int_equal(cq_l2book_set(book, side_of(upd[i].side), upd[i].price, upd[i].qty, NULL), 0);
  for (int sd = 0; sd < 2; sd++) {
    cq_side side = sd ? CQ_SIDE_SELL : CQ_SIDE_BUY;
    size_t depth = cq_l2book_depth(book, side);
    /* Expected: the last word on each price (the capture repeats some levels), from the
     * update, else the snapshot. */
    size_t want = 0;
    for (int pass = 0; pass < 2; pass++) {
      const csv_row *rows = pass ? upd : snap;
      int n = pass ? nu : ns;
      for (int i = 0; i < n; i++) {
        if (side_of(rows[i].side) != side) continue;
        bool later = false; /* another row decides this price */
        for (int k = pass ? i + 1 : 0; k < nu; k++)
          if (side_of(upd[k].side) == side && cq_dec_eq(upd[k].price, rows[i].price)) later = true;
        if (later) continue;
        bool found = false;
        for (size_t k = 0; k < depth; k++) {
          cq_dec p, q;
          assert_true(cq_l2book_level(book, side, k, &p, &q));
          if (cq_dec_eq(p, rows[i].price)) {
            assert_true(cq_dec_eq(q, rows[i].qty));
            found = true;
          }
        }
        assert_int_equal(found, !cq_dec_is_zero(rows[i].qty));
        if (!cq_dec_is_zero(rows[i].qty)) want++;
      }
    }
    assert_int_equal(depth, want);
    /* Sorted best first. */
    for (size_t k = 1; k < depth; k++) {
      cq_dec a, b;
      assert_true(cq_l2book_level(book, side, k - 1, &a, NULL));
      assert_true(cq_l2book_level(book, side, k, &b, NULL));
      assert_int_equal(cq_dec_cmp(a, b), side == CQ_SIDE_BUY ? 1 : -1);
    }
  }

  /* A fresh book from the update alone: only the non-zero levels. */
  cq_l2book *fresh;
  assert_int_equal(cq_l2book_new(1000, &fresh, NULL), 0);
  size_t nonzero = 0;
  for (int i = 0; i < nu; i++) {
    assert_int_equal(cq_l2book_set(fresh, side_of(upd[i].side), upd[i].price, upd[i].qty, NULL), 0);
    bool later = false;
    for (int k = i + 1; k < nu; k++)
      if (upd[k].side == upd[i].side && cq_dec_eq(upd[k].price, upd[i].price)) later = true;
    if (!later && !cq_dec_is_zero(upd[i].qty)) nonzero++;
  }
  assert_int_equal(cq_l2book_depth(fresh, CQ_SIDE_BUY) + cq_l2book_depth(fresh, CQ_SIDE_SELL),
                   nonzero);
  cq_l2book_free(fresh);
  cq_bn_depth_diff_release(&d);
  cq_l2book_free(book);
}

static void test_capture_local(void **state) {
  (void)state;
  replay_capture(CQ_TEST_DATA "/exchange/binance/l2");
}

static void test_capture_shared(void **state) {
  (void)state;
  const char *root = CQ_SHARED_DATA "/exchange/binance/l2";
  char p[512];
  snprintf(p, sizeof p, "%s/btcusdt-depth-snap.csv", root);
  FILE *f = fopen(p, "r");
  if (!f) {
    print_message("skipped: no shared data (%s)\n", root);
    skip();
  }
  fclose(f);
  replay_capture(root);
}

/* ---- the book itself ---------------------------------------------------------------------- */

static void test_levels_and_cap(void **state) {
  (void)state;
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(3, &b, NULL), 0);
  assert_false(cq_l2book_valid(b));
  for (int p = 1; p <= 5; p++)
    assert_int_equal(cq_l2book_set(b, CQ_SIDE_BUY, CQ_DEC(p, 0), CQ_DEC(p, 1), NULL), 0);
  /* The three best kept: 5, 4, 3; 2 and below are past the horizon from now on. */
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), 3);
  cq_dec p, q;
  assert_true(cq_l2book_level(b, CQ_SIDE_BUY, 0, &p, &q));
  assert_true(cq_dec_eq(p, CQ_DEC(5, 0)));
  assert_true(cq_l2book_level(b, CQ_SIDE_BUY, 2, &p, &q));
  assert_true(cq_dec_eq(p, CQ_DEC(3, 0)));
  assert_false(cq_l2book_level(b, CQ_SIDE_BUY, 3, &p, &q));
  /* Removing the best does not bring back a level we no longer know. */
  assert_int_equal(cq_l2book_set(b, CQ_SIDE_BUY, CQ_DEC(5, 0), CQ_DEC(0, 0), NULL), 0);
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), 2);
  assert_int_equal(cq_l2book_set(b, CQ_SIDE_BUY, CQ_DEC(2, 0), CQ_DEC(7, 0), NULL), 0);
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), 2);
  /* Same price at another scale is the same level. */
  assert_int_equal(cq_l2book_set(b, CQ_SIDE_BUY, CQ_DEC(400, 2), CQ_DEC(9, 0), NULL), 0);
  assert_true(cq_l2book_level(b, CQ_SIDE_BUY, 0, &p, &q));
  assert_true(cq_dec_eq(q, CQ_DEC(9, 0)));
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), 2);
  /* Asks ascend; a crossed book is detected. */
  assert_int_equal(cq_l2book_set(b, CQ_SIDE_SELL, CQ_DEC(6, 0), CQ_DEC(1, 0), NULL), 0);
  assert_int_equal(cq_l2book_set(b, CQ_SIDE_SELL, CQ_DEC(55, 1), CQ_DEC(1, 0), NULL), 0);
  assert_true(cq_l2book_level(b, CQ_SIDE_SELL, 0, &p, &q));
  assert_true(cq_dec_eq(p, CQ_DEC(55, 1)));
  assert_false(cq_l2book_crossed(b));
  assert_int_equal(cq_l2book_set(b, CQ_SIDE_SELL, CQ_DEC(4, 0), CQ_DEC(1, 0), NULL), 0);
  assert_true(cq_l2book_crossed(b));
  cq_book_snapshot snap;
  cq_l2book_top(b, &snap);
  assert_int_equal(snap.nbids, 2);
  assert_int_equal(snap.nasks, 3);
  assert_true(snap.asks[0].price == 4.0);
  /* Bad levels. */
  cq_error e;
  assert_int_equal(cq_l2book_set(b, CQ_SIDE_BUY, CQ_DEC(-1, 0), CQ_DEC(1, 0), &e), CQ_EINVAL);
  assert_int_equal(cq_l2book_set(b, CQ_SIDE_BUY, CQ_DEC(1, 0), CQ_DEC(-1, 0), &e), CQ_EINVAL);
  assert_int_equal(cq_l2book_set(b, CQ_SIDE_UNKNOWN, CQ_DEC(1, 0), CQ_DEC(1, 0), &e), CQ_EINVAL);
  /* Clear lifts the horizon. */
  cq_l2book_clear(b);
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), 0);
  assert_int_equal(cq_l2book_set(b, CQ_SIDE_BUY, CQ_DEC(1, 0), CQ_DEC(1, 0), NULL), 0);
  assert_int_equal(cq_l2book_depth(b, CQ_SIDE_BUY), 1);
  cq_l2book_free(b);
}

static void test_depth_json(void **state) {
  (void)state;
  cq_l2book *b;
  assert_int_equal(cq_l2book_new(100, &b, NULL), 0);
  const char *crossed = "{\"lastUpdateId\":7,\"bids\":[[\"2\",\"1\"]],\"asks\":[[\"1\",\"1\"]]}";
  assert_int_equal(cq_bn_parse_depth(crossed, strlen(crossed), b, NULL), 0);
  assert_false(cq_l2book_valid(b));
  const char *ok = "{\"lastUpdateId\":8,\"bids\":[[\"1\",\"1\"],[\"1.5\",\"2\"]],\"asks\":[]}";
  assert_int_equal(cq_bn_parse_depth(ok, strlen(ok), b, NULL), 0);
  assert_true(cq_l2book_valid(b));
  assert_int_equal(cq_l2book_seq(b), 8);
  cq_dec p;
  assert_true(cq_l2book_level(b, CQ_SIDE_BUY, 0, &p, NULL));
  assert_true(cq_dec_eq(p, CQ_DEC(15, 1)));
  cq_l2book_free(b);
}

/* ---- generated streams against a reference ------------------------------------------- */

enum { MID = 100, SPAN = 200, NDIFF = 3000 };

typedef struct ref_state {
  int64_t q[SPAN + 1]; /* qty in thousandths at price index 1..SPAN; bids < MID < asks */
} ref_state;

typedef struct gen {
  uint64_t rng;
  ref_state *states; /* states[k]: after diff k (0: the start) */
  uint64_t *final;   /* u of diff k; final[0]: the first snapshot's id */
  uint64_t *first;
  /* diff k's levels */
  int (*lv)[8][2];
  int *nlv;
} gen;

static uint64_t rnd(gen *g) {
  g->rng ^= g->rng << 13;
  g->rng ^= g->rng >> 7;
  g->rng ^= g->rng << 17;
  return g->rng;
}

static cq_dec price_of(int i) {
  return CQ_DEC(2000000 + i, 2); /* 20000.01 .. 20002.00 */
}

static void gen_make(gen *g, uint64_t seed) {
  g->rng = seed | 1;
  g->states = calloc(NDIFF + 1, sizeof *g->states);
  g->final = calloc(NDIFF + 1, sizeof *g->final);
  g->first = calloc(NDIFF + 1, sizeof *g->first);
  g->lv = calloc(NDIFF + 1, sizeof *g->lv);
  g->nlv = calloc(NDIFF + 1, sizeof *g->nlv);
  assert_true(g->states && g->final && g->first && g->lv && g->nlv);
  for (int i = 1; i <= SPAN; i++)
    if (i != MID && rnd(g) % 3 != 0) g->states[0].q[i] = (int64_t)(rnd(g) % 5000) + 1;
  g->final[0] = 1000000;
  for (int k = 1; k <= NDIFF; k++) {
    g->states[k] = g->states[k - 1];
    g->first[k] = g->final[k - 1] + 1;
    g->final[k] = g->first[k] + rnd(g) % 4; /* a diff may span several updates */
    g->nlv[k] = 1 + (int)(rnd(g) % 6);
    for (int j = 0; j < g->nlv[k]; j++) {
      /* Near the top most of the time, as a busy feed is. */
      int off = (int)(rnd(g) % 100 < 80 ? rnd(g) % 10 : rnd(g) % 99) + 1;
      int i = rnd(g) % 2 ? MID - off : MID + off;
      int64_t q = rnd(g) % 4 == 0 ? 0 : (int64_t)(rnd(g) % 5000) + 1;
      g->lv[k][j][0] = i;
      g->lv[k][j][1] = (int)q;
      g->states[k].q[i] = q;
    }
  }
}

static void gen_free(gen *g) {
  free(g->states);
  free(g->final);
  free(g->first);
  free(g->lv);
  free(g->nlv);
}

static void diff_of(const gen *g, int k, cq_bn_depth_diff *d) {
  d->nbids = d->nasks = 0;
  d->first_id = g->first[k];
  d->final_id = g->final[k];
  d->has_prev = true;
  d->prev_id = g->final[k - 1];
  d->event_time = k;
  for (int j = 0; j < g->nlv[k]; j++) {
    int i = g->lv[k][j][0];
    assert_int_equal(cq_bn_depth_diff_push(d, i < MID ? CQ_SIDE_BUY : CQ_SIDE_SELL, price_of(i),
                                           CQ_DEC(g->lv[k][j][1], 3), NULL),
                     0);
  }
}

static void snapshot_of(const gen *g, int k, cq_l2book *b) {
  cq_l2book_clear(b);
  for (int i = 1; i <= SPAN; i++)
    if (g->states[k].q[i])
      assert_int_equal(cq_l2book_set(b, i < MID ? CQ_SIDE_BUY : CQ_SIDE_SELL, price_of(i),
                                     CQ_DEC(g->states[k].q[i], 3), NULL),
                       0);
  cq_l2book_set_seq(b, g->final[k]);
  cq_l2book_set_valid(b, true);
}

/* The book equals the reference state it claims (its seq). */
static void check_book(const gen *g, const cq_l2book *b) {
  uint64_t seq = cq_l2book_seq(b);
  int k = -1;
  for (int i = 0; i <= NDIFF; i++)
    if (g->final[i] == seq) k = i;
  if (k < 0) fail_msg("a valid book at seq %llu, which no diff ends at", (unsigned long long)seq);
  cq_l2book *want;
  assert_int_equal(cq_l2book_new(1000, &want, NULL), 0);
  snapshot_of(g, k, want);
  if (!cq_l2book_equal(b, want)) fail_msg("valid book at diff %d differs from the reference", k);
  cq_l2book_free(want);
}

typedef enum fault { F_NONE = 0, F_DROP, F_DUP, F_SWAP } fault;

typedef struct counts {
  int applied, gaps, stale, snapshots, buffered;
} counts;

/* Delivers the diffs with faults at rate 1/every (0: none); a gap asks for a snapshot,
 * which arrives after `lag` more messages and reflects the venue's state at that time. */
static counts run_stream(uint64_t seed, fault kind, int every, int lag) {
  gen g;
  gen_make(&g, seed);
  cq_bn_book_sync *s;
  assert_int_equal(cq_bn_book_sync_new(1000, 64, false, &s, NULL), 0);
  cq_l2book *snap;
  assert_int_equal(cq_l2book_new(1000, &snap, NULL), 0);
  cq_bn_depth_diff d;
  cq_bn_depth_diff_init(&d);
  counts c = {0};
  int pending = lag; /* messages until the requested snapshot arrives */
  int newest = 0;    /* the venue's state: the newest diff sent */
  const int clean_tail = 200;
  for (int k = 1; k <= NDIFF; k++) {
    int order[2] = {k, 0};
    int n = 1;
    bool faulty = every && k < NDIFF - clean_tail && rnd(&g) % (uint64_t)every == 0;
    if (faulty && kind == F_DROP) n = 0;
    if (faulty && kind == F_DUP) order[n++] = k;
    if (faulty && kind == F_SWAP && k + 1 < NDIFF - clean_tail) {
      order[0] = k + 1;
      order[1] = k;
      n = 2;
      k++;
    }
    if (k > newest) newest = k;
    for (int m = 0; m < n; m++) {
      cq_bn_sync_result r;
      diff_of(&g, order[m], &d);
      assert_int_equal(cq_bn_book_sync_diff(s, &d, &r, NULL), 0);
      switch (r) {
        case CQ_BN_SYNC_APPLIED:
          c.applied++;
          break;
        case CQ_BN_SYNC_GAP:
          c.gaps++;
          break;
        case CQ_BN_SYNC_STALE:
          c.stale++;
          break;
        case CQ_BN_SYNC_BUFFERED:
          c.buffered++;
          break;
      }
      const cq_l2book *b = cq_bn_book_sync_book(s);
      if (cq_l2book_valid(b)) check_book(&g, b);
      if (cq_bn_book_sync_needs_snapshot(s) && --pending <= 0) {
        snapshot_of(&g, newest - (int)(rnd(&g) % 3 == 0 && newest > 1), snap);
        assert_int_equal(cq_bn_book_sync_snapshot(s, snap, &r, NULL), 0);
        c.snapshots++;
        if (cq_l2book_valid(b)) check_book(&g, b);
        pending = lag;
      }
    }
  }
  /* After the clean tail, the book is valid and equals the venue's final state. */
  const cq_l2book *b = cq_bn_book_sync_book(s);
  assert_true(cq_l2book_valid(b));
  assert_int_equal(cq_l2book_seq(b), g.final[NDIFF]);
  check_book(&g, b);
  cq_bn_depth_diff_release(&d);
  cq_l2book_free(snap);
  cq_bn_book_sync_free(s);
  gen_free(&g);
  return c;
}

static void test_stream_clean(void **state) {
  (void)state;
  counts c = run_stream(11, F_NONE, 0, 5);
  assert_int_equal(c.gaps, 0);
  assert_int_equal(c.snapshots, 1);
  assert_true(c.buffered >= 4);
}

static void test_stream_drops(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 5; seed++) {
    counts c = run_stream(seed * 7919, F_DROP, 50, 4);
    assert_true(c.gaps > 10);
    assert_true(c.snapshots >= c.gaps);
  }
}

static void test_stream_duplicates(void **state) {
  (void)state;
  /* A duplicate is older than the book: dropped, never a gap. */
  counts c = run_stream(3, F_DUP, 20, 3);
  assert_int_equal(c.gaps, 0);
  assert_true(c.stale > 50);
}

static void test_stream_reordered(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 5; seed++) {
    counts c = run_stream(seed * 104729, F_SWAP, 40, 6);
    assert_true(c.gaps > 10);
  }
}

static void test_stream_immediate_snapshot(void **state) {
  (void)state;
  /* The snapshot arrives before any diff was buffered, and late (many buffered). */
  run_stream(99, F_DROP, 30, 1);
  run_stream(98, F_DROP, 100, 40);
}

static void test_snapshot_too_old(void **state) {
  (void)state;
  gen g;
  gen_make(&g, 5);
  cq_bn_book_sync *s;
  assert_int_equal(cq_bn_book_sync_new(1000, 64, false, &s, NULL), 0);
  cq_l2book *snap;
  assert_int_equal(cq_l2book_new(1000, &snap, NULL), 0);
  cq_bn_depth_diff d;
  cq_bn_depth_diff_init(&d);
  cq_bn_sync_result r;
  /* Diffs 10..20 buffered; a snapshot at 5 cannot join them. */
  for (int k = 10; k <= 20; k++) {
    diff_of(&g, k, &d);
    assert_int_equal(cq_bn_book_sync_diff(s, &d, &r, NULL), 0);
    assert_int_equal(r, CQ_BN_SYNC_BUFFERED);
  }
  snapshot_of(&g, 5, snap);
  assert_int_equal(cq_bn_book_sync_snapshot(s, snap, &r, NULL), 0);
  assert_int_equal(r, CQ_BN_SYNC_GAP);
  assert_false(cq_l2book_valid(cq_bn_book_sync_book(s)));
  assert_true(cq_bn_book_sync_needs_snapshot(s));
  /* A newer one (at 15) joins the diffs still kept. */
  snapshot_of(&g, 15, snap);
  assert_int_equal(cq_bn_book_sync_snapshot(s, snap, &r, NULL), 0);
  assert_int_equal(r, CQ_BN_SYNC_APPLIED);
  assert_int_equal(cq_l2book_seq(cq_bn_book_sync_book(s)), g.final[20]);
  check_book(&g, cq_bn_book_sync_book(s));
  assert_int_equal(cq_bn_book_sync_buffered(s), 0);
  /* A crossing diff invalidates. */
  d.nbids = d.nasks = 0;
  d.first_id = g.final[20] + 1;
  d.final_id = d.first_id;
  assert_int_equal(cq_bn_depth_diff_push(&d, CQ_SIDE_BUY, price_of(MID + 50), CQ_DEC(1, 0), NULL),
                   0);
  assert_int_equal(cq_bn_book_sync_diff(s, &d, &r, NULL), 0);
  assert_int_equal(r, CQ_BN_SYNC_GAP);
  assert_false(cq_l2book_valid(cq_bn_book_sync_book(s)));
  /* Reset: everything goes. */
  cq_bn_book_sync_reset(s);
  assert_int_equal(cq_bn_book_sync_buffered(s), 0);
  assert_int_equal(cq_l2book_depth(cq_bn_book_sync_book(s), CQ_SIDE_BUY), 0);
  cq_bn_depth_diff_release(&d);
  cq_l2book_free(snap);
  cq_bn_book_sync_free(s);
  gen_free(&g);
}

static void test_buffer_cap(void **state) {
  (void)state;
  gen g;
  gen_make(&g, 9);
  cq_bn_book_sync *s;
  assert_int_equal(cq_bn_book_sync_new(1000, 8, false, &s, NULL), 0);
  cq_bn_depth_diff d;
  cq_bn_depth_diff_init(&d);
  cq_bn_sync_result r;
  for (int k = 1; k <= 100; k++) {
    diff_of(&g, k, &d);
    assert_int_equal(cq_bn_book_sync_diff(s, &d, &r, NULL), 0);
  }
  assert_int_equal(cq_bn_book_sync_buffered(s), 8);
  cq_l2book *snap;
  assert_int_equal(cq_l2book_new(1000, &snap, NULL), 0);
  snapshot_of(&g, 95, snap);
  assert_int_equal(cq_bn_book_sync_snapshot(s, snap, &r, NULL), 0);
  assert_int_equal(r, CQ_BN_SYNC_APPLIED);
  check_book(&g, cq_bn_book_sync_book(s));
  assert_int_equal(cq_l2book_seq(cq_bn_book_sync_book(s)), g.final[100]);
  cq_bn_depth_diff_release(&d);
  cq_l2book_free(snap);
  cq_bn_book_sync_free(s);
  gen_free(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_capture_local),
      cmocka_unit_test(test_capture_shared),
      cmocka_unit_test(test_levels_and_cap),
      cmocka_unit_test(test_depth_json),
      cmocka_unit_test(test_stream_clean),
      cmocka_unit_test(test_stream_drops),
      cmocka_unit_test(test_stream_duplicates),
      cmocka_unit_test(test_stream_reordered),
      cmocka_unit_test(test_stream_immediate_snapshot),
      cmocka_unit_test(test_snapshot_too_old),
      cmocka_unit_test(test_buffer_cap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
