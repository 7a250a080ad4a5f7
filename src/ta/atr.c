/* ATR, the average true range (Wilder), seeded as TA-Lib: the mean of the true ranges of
 * bars 1..period is the value at bar period. The smoothing multiplies by precomputed factors
 * instead of TA-Lib's divide (see ta_atr_st in ta_internal.h). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_atr;

/* The same arithmetic as ta_atr_st_update, as a tight loop. */
void ta_atr_kernel(const double *high, const double *low, const double *close, size_t n, int period,
                   double *out) {
  size_t lb = (size_t)period;
  if (n <= lb) {
    ta_nan(out, 0, n);
    return;
  }
  ta_nan(out, 0, lb);
  if (period == 1) {
    for (size_t i = 1; i < n; i++) out[i] = ta_true_range(high[i], low[i], close[i - 1]);
    return;
  }
  double sum = 0.0;
  for (size_t i = 1; i <= lb; i++) sum += ta_true_range(high[i], low[i], close[i - 1]);
  double atr = sum / period;
  out[lb] = atr;
  const double keep = ta_atr_keep(period), add = ta_atr_add(period);
  for (size_t i = lb + 1; i < n; i++) {
    atr = atr * keep + ta_true_range(high[i], low[i], close[i - 1]) * add;
    out[i] = atr;
  }
}

static int atr_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)err;
  ta_atr_kernel(in->v[0], in->v[1], in->v[2], in->n, (int)p[0], out[0]);
  return CQ_OK;
}
static int atr_init(void *st, const double *p, cq_error *err) {
  (void)err;
  ta_atr_st_init(st, (int)p[0]);
  return CQ_OK;
}
static void atr_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  out[0] = ta_atr_st_update(st, in[0], in[1], in[2]);
}
static int atr_lookback(const double *p) {
  return (int)p[0];
}

const cq_ta_def ta_def_atr = {
    .name = "atr",
    .title = "Average True Range",
    .group = "volatility",
    .n_inputs = 3,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE},
    .n_params = 1,
    .params = {{.name = "period",
                .help = "bars in the Wilder average",
                .def = 14,
                .min = 1,
                .max = 100000,
                .integer = true}},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = atr_lookback,
    .batch = atr_batch,
    .state_size = sizeof(ta_atr_st),
    .init = atr_init,
    .update = atr_update,
};

int cq_ta_atr_lookback(int period) {
  const double p[] = {period};
  return ta_lookback_or_neg(&ta_def_atr, p);
}
int cq_ta_atr(const double *high, const double *low, const double *close, size_t n, int period,
              double *out, cq_error *err) {
  const double p[] = {period};
  cq_ta_in x = {.v = {high, low, close}, .n = n};
  return cq_ta_run(&ta_def_atr, p, &x, &out, err);
}
