/* Batch results against TA-Lib 0.6.4's own values on real candles: every output, every
 * row, to a relative error of 1e-9 (absolute 1e-9 near zero), the first valid index
 * included. Runs on the 300-bar fixture always and on all 10,999 bars when the shared data
 * folder is present. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ta_test_util.h"

/* A reference column: the TA-Lib call as our indicator, parameters in TA-Lib's order, and
 * which output. */
typedef struct ref {
  const char *column, *name, *params, *output;
} ref;

static const ref refs[] = {
    {"SMA_20", "sma", "20", "value"},
    {"EMA_20", "ema", "20", "value"},
    {"WMA_20", "wma", "20", "value"},
    {"DEMA_20", "dema", "20", "value"},
    {"TEMA_20", "tema", "20", "value"},
    {"TRIMA_20", "trima", "20", "value"},
    {"KAMA_30", "kama", "30", "value"},
    {"T3_5_0.7", "t3", "5,0.7", "value"},
    {"MIDPOINT_14", "midpoint", "14", "value"},
    {"MIDPRICE_14", "midprice", "14", "value"},
    {"SAR_0.02_0.2", "sar", "0.02,0.2", "value"},
    {"BBANDS_20_2_upper", "bbands", "20,2,2,0", "upper"},
    {"BBANDS_20_2_middle", "bbands", "20,2,2,0", "middle"},
    {"BBANDS_20_2_lower", "bbands", "20,2,2,0", "lower"},
    {"RSI_14", "rsi", "14", "value"},
    {"MACD_12_26_9_macd", "macd", "12,26,9", "macd"},
    {"MACD_12_26_9_signal", "macd", "12,26,9", "signal"},
    {"MACD_12_26_9_hist", "macd", "12,26,9", "hist"},
    {"STOCH_14_3_3_slowk", "stoch", "14,3,0,3,0", "slowk"},
    {"STOCH_14_3_3_slowd", "stoch", "14,3,0,3,0", "slowd"},
    {"STOCHF_14_3_fastk", "stochf", "14,3,0", "fastk"},
    {"STOCHF_14_3_fastd", "stochf", "14,3,0", "fastd"},
    {"STOCHRSI_14_14_3_fastk", "stochrsi", "14,14,3,0", "fastk"},
    {"STOCHRSI_14_14_3_fastd", "stochrsi", "14,14,3,0", "fastd"},
    {"ADX_14", "adx", "14", "value"},
    {"ADXR_14", "adxr", "14", "value"},
    {"PLUS_DI_14", "plus_di", "14", "value"},
    {"MINUS_DI_14", "minus_di", "14", "value"},
    {"DX_14", "dx", "14", "value"},
    {"CCI_20", "cci", "20", "value"},
    {"MFI_14", "mfi", "14", "value"},
    {"MOM_10", "mom", "10", "value"},
    {"ROC_10", "roc", "10", "value"},
    {"ROCP_10", "rocp", "10", "value"},
    {"WILLR_14", "willr", "14", "value"},
    {"AROON_14_down", "aroon", "14", "down"},
    {"AROON_14_up", "aroon", "14", "up"},
    {"AROONOSC_14", "aroonosc", "14", "value"},
    {"APO_12_26", "apo", "12,26,0", "value"},
    {"PPO_12_26", "ppo", "12,26,0", "value"},
    {"CMO_14", "cmo", "14", "value"},
    {"TRIX_15", "trix", "15", "value"},
    {"ULTOSC_7_14_28", "ultosc", "7,14,28", "value"},
    {"BOP", "bop", "", "value"},
    {"OBV", "obv", "", "value"},
    {"AD", "ad", "", "value"},
    {"ADOSC_3_10", "adosc", "3,10", "value"},
    {"ATR_14", "atr", "14", "value"},
    {"NATR_14", "natr", "14", "value"},
    {"TRANGE", "trange", "", "value"},
    {"STDDEV_20_1", "stddev", "20,1", "value"},
    {"VAR_20_1", "var", "20,1", "value"},
    {"LINEARREG_14", "linearreg", "14", "value"},
    {"LINEARREG_SLOPE_14", "linearreg_slope", "14", "value"},
    {"LINEARREG_INTERCEPT_14", "linearreg_intercept", "14", "value"},
    {"LINEARREG_ANGLE_14", "linearreg_angle", "14", "value"},
    {"TSF_14", "tsf", "14", "value"},
    {"CORREL_30", "correl", "30", "value"},
    {"BETA_5", "beta", "5", "value"},
    {"AVGPRICE", "avgprice", "", "value"},
    {"TYPPRICE", "typprice", "", "value"},
    {"WCLPRICE", "wclprice", "", "value"},
    {"MEDPRICE", "medprice", "", "value"},
};
enum { N_REFS = sizeof refs / sizeof refs[0] };

static int output_index(const cq_ta_def *d, const char *name) {
  for (int k = 0; k < d->n_outputs; k++)
    if (strcmp(d->outputs[k], name) == 0) return k;
  return -1;
}

/* Compares every reference column of the table with our batch values; returns the number of
 * columns that differ (each reported). */
static int compare(const char *what, const bars *b, const table *ref_t) {
  int bad = 0;
  int tc = table_col(ref_t, "open_time_ms");
  if (tc < 0) {
    fail_msg("%s: no column open_time_ms", what);
    return 1;
  }
  assert_int_equal(ref_t->nrow, b->n);
  for (size_t i = 0; i < b->n; i++)
    if ((cq_time)ref_t->col[tc][i] * 1000000 != b->time[i])
      fail_msg("%s: row %zu: reference and candles are not the same bars", what, i + 2);
  for (int r = 0; r < N_REFS; r++) {
    const ref *x = &refs[r];
    int c = table_col(ref_t, x->column);
    if (c < 0) {
      fail_msg("%s: reference has no column %s", what, x->column);
      return bad + 1;
    }
    const cq_ta_def *d = cq_ta_find(x->name);
    if (!d) {
      print_error("%s: %s: no indicator '%s' in the registry\n", what, x->column, x->name);
      bad++;
      continue;
    }
    double p[CQ_TA_MAX_PARAMS];
    cq_error e;
    cq_error_clear(&e);
    if (cq_ta_params_parse(d, x->params, p, &e)) {
      print_error("%s: %s: parameters '%s': %s\n", what, x->column, x->params, e.msg);
      bad++;
      continue;
    }
    int k = output_index(d, x->output);
    if (k < 0) {
      print_error("%s: %s: %s has no output '%s'\n", what, x->column, x->name, x->output);
      bad++;
      continue;
    }
    double *out[CQ_TA_MAX_OUTPUTS];
    for (int j = 0; j < d->n_outputs; j++) {
      out[j] = malloc((b->n ? b->n : 1) * sizeof(double));
      assert_non_null(out[j]);
    }
    cq_ta_in in = bars_in(b, d, 0, b->n);
    int rc = cq_ta_run(d, p, &in, out, &e);
    if (rc) {
      print_error("%s: %s: %s\n", what, x->column, e.msg);
      bad++;
    } else {
      const double *want = ref_t->col[c];
      size_t first_ref = 0, first_ours = 0;
      while (first_ref < b->n && isnan(want[first_ref])) first_ref++;
      while (first_ours < b->n && isnan(out[k][first_ours])) first_ours++;
      int lb = cq_ta_lookback(d, p);
      if (first_ref != first_ours || (size_t)lb != first_ref) {
        print_error("%s: %s: first value at %zu, TA-Lib's at %zu, lookback says %d\n", what,
                    x->column, first_ours, first_ref, lb);
        bad++;
      } else {
        for (size_t i = first_ref; i < b->n; i++) {
          double a = out[k][i], w = want[i];
          double diff = fabs(a - w);
          if (isnan(w) != isnan(a) || (!isnan(w) && diff > 1e-9 && diff > 1e-9 * fabs(w))) {
            print_error("%s: %s: row %zu: %.17g, TA-Lib %.17g\n", what, x->column, i + 2, a, w);
            bad++;
            break;
          }
        }
      }
    }
    for (int j = 0; j < d->n_outputs; j++) free(out[j]);
  }
  return bad;
}

static void run_pair(const char *candles, const char *reference, bool skip_if_absent) {
  bars b;
  table t;
  if (bars_read(candles, &b)) {
    if (skip_if_absent) {
      print_message("skipped: no shared data (%s)\n", candles);
      skip();
      return;
    }
    fail_msg("cannot read %s", candles);
    return;
  }
  if (table_read(reference, &t)) {
    bars_free(&b);
    if (skip_if_absent) {
      print_message("skipped: no shared data (%s)\n", reference);
      skip();
      return;
    }
    fail_msg("cannot read %s", reference);
    return;
  }
  int bad = compare(reference, &b, &t);
  table_free(&t);
  bars_free(&b);
  if (bad) fail_msg("%d reference column(s) differ", bad);
}

static void test_fixture(void **state) {
  (void)state;
  run_pair(CQ_TEST_DATA "/binance_BTC_USDT-5m.head300.csv",
           CQ_TEST_DATA "/reference/talib/binance_BTC_USDT-5m.head300.csv", false);
}

static void test_shared(void **state) {
  (void)state;
  run_pair(CQ_SHARED_DATA "/market/binance_BTC_USDT-5m.csv",
           CQ_SHARED_DATA "/reference/talib/binance_BTC_USDT-5m.talib.csv", true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixture),
      cmocka_unit_test(test_shared),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
