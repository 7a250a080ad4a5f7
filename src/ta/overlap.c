/* Overlap studies beyond SMA/EMA/MA (ma.c): the moving-average types WMA, DEMA, TEMA, TRIMA,
 * KAMA and T3 (also reachable through MA by number), MIDPOINT, MIDPRICE, SAR, BBANDS. */
#include "ta_internal.h"

int ta_ma_kind_lookback(int type, int period) {
  (void)type;
  (void)period;
  return -1;
}

int ta_ma_kind_batch(int type, const double *in, size_t n, int period, double *out, cq_error *err) {
  (void)in;
  (void)n;
  (void)period;
  (void)out;
  return cq_error_set(err, CQ_EUNSUPPORTED, "matype = %d is not provided", type);
}

int ta_ma_kind_init(ta_ma *m, int type, int period, cq_error *err) {
  (void)m;
  (void)period;
  return cq_error_set(err, CQ_EUNSUPPORTED, "matype = %d is not provided", type);
}

const cq_ta_def *const ta_group_overlap[] = {&ta_def_sma, &ta_def_ema, &ta_def_ma, NULL};
