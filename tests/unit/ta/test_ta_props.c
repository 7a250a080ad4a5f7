/* Properties every registered indicator must have, checked over the whole registry on real
 * candles (the 300-bar fixture), with default parameters and with a second set:
 *   - streaming equals batch bit for bit for chunkings 1, 2, 3, 7, 100 and all at once;
 *   - an output may be the same array as an input;
 *   - outputs are NaN before the lookback and a value at it;
 *   - short inputs (0, 1, lookback, lookback + 1 bars) and NaN inside the input neither
 *     crash nor read outside the arrays (the asan build checks), and streaming still equals
 *     batch;
 *   - every parameter out of its range, or NaN, is refused with an error naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ta_test_util.h"

static bars B;

static int setup(void **state) {
  (void)state;
  if (bars_read(CQ_TEST_DATA "/binance_BTC_USDT-5m.head300.csv", &B)) return -1;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  bars_free(&B);
  return 0;
}

typedef struct outs {
  double *o[CQ_TA_MAX_OUTPUTS];
  int n;
} outs;

static outs outs_new(const cq_ta_def *d, size_t n) {
  outs o = {.n = d->n_outputs};
  for (int k = 0; k < o.n; k++) {
    o.o[k] = malloc((n ? n : 1) * sizeof(double));
    assert_non_null(o.o[k]);
    for (size_t i = 0; i < n; i++) o.o[k][i] = 12345.0; /* a value the run must overwrite */
  }
  return o;
}

static void outs_free(outs *o) {
  for (int k = 0; k < o->n; k++) free(o->o[k]);
}

static void batch(const cq_ta_def *d, const double *p, const cq_ta_in *in, outs *o) {
  cq_error e;
  cq_error_clear(&e);
  if (cq_ta_run(d, p, in, o->o, &e)) fail_msg("%s: batch: %s", d->name, e.msg);
}

/* Streams in through chunks of `chunk` bars and compares with want. */
static void stream_equals(const cq_ta_def *d, const double *p, const cq_ta_in *in, size_t chunk,
                          const outs *want, const char *what) {
  cq_ta_stream *s;
  cq_error e;
  cq_error_clear(&e);
  if (cq_ta_stream_new(d, p, &s, &e)) fail_msg("%s: stream: %s", d->name, e.msg);
  outs got = outs_new(d, in->n);
  for (size_t at = 0; at < in->n; at += chunk) {
    size_t len = in->n - at < chunk ? in->n - at : chunk;
    cq_ta_in part = {.time = in->time + at, .n = len};
    for (int k = 0; k < d->n_inputs; k++) part.v[k] = in->v[k] + at;
    double *o[CQ_TA_MAX_OUTPUTS];
    for (int k = 0; k < d->n_outputs; k++) o[k] = got.o[k] + at;
    cq_ta_stream_update_many(s, &part, o);
  }
  assert_int_equal(cq_ta_stream_bars(s), in->n);
  for (int k = 0; k < d->n_outputs; k++) {
    for (size_t i = 0; i < in->n; i++)
      if (!same(got.o[k][i], want->o[k][i]))
        fail_msg("%s(%s) %s, chunks of %zu: output %s bar %zu: stream %.17g, batch %.17g", d->name,
                 what, "stream", chunk, d->outputs[k], i, got.o[k][i], want->o[k][i]);
    if (in->n) assert_true(same(cq_ta_stream_value(s, k), want->o[k][in->n - 1]));
  }
  outs_free(&got);
  cq_ta_stream_free(s);
}

static void check_one(const cq_ta_def *d, const double *p, const char *what) {
  cq_ta_in in = bars_in(&B, d, 0, B.n);
  outs want = outs_new(d, B.n);
  batch(d, p, &in, &want);

  /* lookback: NaN before, a value at it (for at least one output) */
  int lb = cq_ta_lookback(d, p);
  assert_true(lb >= 0);
  assert_true((size_t)lb < B.n);
  bool any = false;
  for (int k = 0; k < d->n_outputs; k++) {
    for (int i = 0; i < lb; i++)
      if (!isnan(want.o[k][i]))
        fail_msg("%s(%s): output %s has a value at %d, before its lookback %d", d->name, what,
                 d->outputs[k], i, lb);
    any |= !isnan(want.o[k][lb]);
  }
  if (!any) fail_msg("%s(%s): no value at the lookback %d", d->name, what, lb);

  static const size_t chunks[] = {1, 2, 3, 7, 100, SIZE_MAX};
  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++)
    stream_equals(d, p, &in, chunks[c] == SIZE_MAX ? B.n : chunks[c], &want, what);

  /* in place: each input in turn is also output k, for each k */
  for (int j = 0; j < d->n_inputs; j++) {
    for (int k = 0; k < d->n_outputs; k++) {
      outs o = outs_new(d, B.n);
      memcpy(o.o[k], in.v[j], B.n * sizeof(double));
      cq_ta_in alias = in;
      alias.v[j] = o.o[k];
      batch(d, p, &alias, &o);
      for (int m = 0; m < d->n_outputs; m++)
        for (size_t i = 0; i < B.n; i++)
          if (!same(o.o[m][i], want.o[m][i]))
            fail_msg("%s(%s): input %d in place of output %s: output %s bar %zu differs", d->name,
                     what, j, d->outputs[k], d->outputs[m], i);
      outs_free(&o);
    }
  }

  /* short inputs: exactly sized copies, so asan sees any read past the end */
  size_t lens[] = {0, 1, (size_t)lb, (size_t)lb + 1};
  for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
    size_t n = lens[l];
    double *copy[CQ_TA_MAX_INPUTS];
    cq_ta_in sh = {.time = B.time, .n = n};
    for (int k = 0; k < d->n_inputs; k++) {
      copy[k] = malloc((n ? n : 1) * sizeof(double));
      assert_non_null(copy[k]);
      memcpy(copy[k], in.v[k], n * sizeof(double));
      sh.v[k] = copy[k];
    }
    outs o = outs_new(d, n);
    batch(d, p, &sh, &o);
    for (int k = 0; k < d->n_outputs; k++)
      for (size_t i = 0; i < n; i++)
        if (!same(o.o[k][i], want.o[k][i]))
          fail_msg("%s(%s): %zu bars: output %s bar %zu differs from the full run", d->name, what,
                   n, d->outputs[k], i);
    stream_equals(d, p, &sh, 1, &o, what);
    outs_free(&o);
    for (int k = 0; k < d->n_inputs; k++) free(copy[k]);
  }

  /* NaN inside every input at bar 40 and the last bar: batch and stream agree */
  {
    double *copy[CQ_TA_MAX_INPUTS];
    cq_ta_in nn = in;
    for (int k = 0; k < d->n_inputs; k++) {
      copy[k] = malloc(B.n * sizeof(double));
      assert_non_null(copy[k]);
      memcpy(copy[k], in.v[k], B.n * sizeof(double));
      copy[k][40] = NAN;
      copy[k][B.n - 1] = NAN;
      nn.v[k] = copy[k];
    }
    outs o = outs_new(d, B.n);
    batch(d, p, &nn, &o);
    stream_equals(d, p, &nn, 3, &o, what);
    outs_free(&o);
    for (int k = 0; k < d->n_inputs; k++) free(copy[k]);
  }
  outs_free(&want);
}

/* A second parameter set: each parameter moved from its default toward the middle of its
 * range (whole numbers stay whole), kept only if the indicator accepts it and it fits. */
static bool other_params(const cq_ta_def *d, double *p) {
  for (int i = 0; i < d->n_params; i++) {
    const cq_ta_param *q = &d->params[i];
    double v;
    if (q->integer) {
      v = q->def + 3 <= q->max && q->def + 3 <= 60 ? q->def + 3 : q->def;
      if (strcmp(q->name, "matype") == 0 || strstr(q->name, "matype")) v = q->def == 1 ? 0 : 1;
    } else {
      v = q->def * 1.5;
      if (v > q->max || v < q->min) v = (q->min + q->def) / 2;
    }
    p[i] = v;
  }
  double dummy[CQ_TA_MAX_PARAMS];
  if (cq_ta_params(d, p, d->n_params, dummy, NULL)) return false;
  return cq_ta_lookback(d, p) + 2 < (int)B.n;
}

static void test_every_indicator(void **state) {
  (void)state;
  size_t n = cq_ta_count();
  assert_true(n > 0);
  for (size_t i = 0; i < n; i++) {
    const cq_ta_def *d = cq_ta_at(i);
    assert_non_null(d->name);
    assert_non_null(d->batch);
    assert_non_null(d->update);
    assert_true(d->n_outputs >= 1 && d->n_outputs <= CQ_TA_MAX_OUTPUTS);
    assert_ptr_equal(cq_ta_find(d->name), d);
    double p[CQ_TA_MAX_PARAMS];
    assert_int_equal(cq_ta_params(d, NULL, 0, p, NULL), 0);
    check_one(d, p, "defaults");
    if (d->n_params && other_params(d, p)) check_one(d, p, "other parameters");
  }
}

static void test_bad_params(void **state) {
  (void)state;
  for (size_t i = 0; i < cq_ta_count(); i++) {
    const cq_ta_def *d = cq_ta_at(i);
    for (int j = 0; j < d->n_params; j++) {
      const cq_ta_param *q = &d->params[j];
      double bad[3] = {NAN, q->min - 1, q->max + 1};
      for (int b = 0; b < 3; b++) {
        double p[CQ_TA_MAX_PARAMS];
        assert_int_equal(cq_ta_params(d, NULL, 0, p, NULL), 0);
        p[j] = bad[b];
        cq_error e;
        cq_error_clear(&e);
        double out[CQ_TA_MAX_PARAMS];
        int rc = cq_ta_params(d, p, d->n_params, out, &e);
        if (rc != CQ_EINVAL) fail_msg("%s: %s = %g accepted (%d)", d->name, q->name, bad[b], rc);
        assert_string_equal(e.field, q->name);
        assert_non_null(strstr(e.msg, q->name));
        cq_ta_stream *s = NULL;
        assert_int_equal(cq_ta_stream_new(d, p, &s, NULL), CQ_EINVAL);
        assert_null(s);
      }
      if (q->integer && q->max > q->min) {
        double p[CQ_TA_MAX_PARAMS], out[CQ_TA_MAX_PARAMS];
        assert_int_equal(cq_ta_params(d, NULL, 0, p, NULL), 0);
        p[j] = q->min + 0.5;
        assert_int_equal(cq_ta_params(d, p, d->n_params, out, NULL), CQ_EINVAL);
      }
    }
  }
}

static void test_registry_lookup(void **state) {
  (void)state;
  const cq_ta_def *d;
  cq_error e;
  cq_error_clear(&e);
  assert_int_equal(cq_ta_lookup("SMA", &d, &e), 0);
  assert_string_equal(d->name, "sma");
  assert_int_equal(cq_ta_lookup("smaa", &d, &e), CQ_ENOTFOUND);
  assert_null(d);
  assert_non_null(strstr(e.msg, "did you mean"));
  double p[CQ_TA_MAX_PARAMS];
  const cq_ta_def *ma = cq_ta_find("ma");
  assert_non_null(ma);
  assert_int_equal(cq_ta_params_parse(ma, "matype=1,period=10", p, &e), 0);
  assert_true(p[0] == 10 && p[1] == 1);
  assert_int_equal(cq_ta_params_parse(ma, "10,", p, &e), CQ_EINVAL);
  assert_int_equal(cq_ta_params_parse(ma, "10,1,3", p, &e), CQ_EINVAL);
  assert_int_equal(cq_ta_params_parse(ma, "x", p, &e), CQ_EINVAL);
  assert_int_equal(cq_ta_params_parse(ma, "perod=3", p, &e), CQ_EINVAL);
  assert_non_null(strstr(e.msg, "period"));
  assert_int_equal(cq_ta_params_parse(ma, "period=3,5", p, &e), CQ_EINVAL);
  assert_int_equal(cq_ta_params_parse(ma, "30,7", p, &e), CQ_EUNSUPPORTED);
  /* the typed functions check too */
  double x[3] = {1, 2, 3}, y[3];
  assert_int_equal(cq_ta_sma(x, 3, 0, y, &e), CQ_EINVAL);
  assert_string_equal(e.field, "period");
  assert_int_equal(cq_ta_sma_lookback(0), -1);
  assert_int_equal(cq_ta_sma_lookback(5), 4);
  assert_int_equal(cq_ta_sma(x, 3, 2, x, &e), 0); /* in place */
  assert_true(isnan(x[0]) && x[1] == 1.5 && x[2] == 2.5);
  (void)y;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry_lookup),
      cmocka_unit_test(test_every_indicator),
      cmocka_unit_test(test_bad_params),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
