/* Overlap studies beyond SMA/EMA/MA (ma.c): the moving-average types WMA, DEMA, TEMA, TRIMA,
 * KAMA and T3 (also reachable through MA by number), MIDPOINT, MIDPRICE, SAR, BBANDS. */
#include "ta_internal.h"

/* T3 as a moving-average type uses TA-Lib's default volume factor. */
static const double T3_VFACTOR = 0.7;

int ta_ma_kind_lookback(int type, int period) {
  switch (type) {
    case CQ_TA_MA_WMA:
    case CQ_TA_MA_TRIMA:
      return period - 1;
    case CQ_TA_MA_DEMA:
      return 2 * (period - 1);
    case CQ_TA_MA_TEMA:
      return 3 * (period - 1);
    case CQ_TA_MA_KAMA:
      return period;
    case CQ_TA_MA_T3:
      return 6 * (period - 1);
    default:
      return -1;
  }
}

int ta_ma_kind_batch(int type, const double *in, size_t n, int period, double *out, cq_error *err) {
  switch (type) {
    case CQ_TA_MA_WMA:
      ta_wma_kernel(in, n, period, out);
      return CQ_OK;
    case CQ_TA_MA_DEMA:
      ta_xema_kernel(2, in, n, period, out);
      return CQ_OK;
    case CQ_TA_MA_TEMA:
      ta_xema_kernel(3, in, n, period, out);
      return CQ_OK;
    case CQ_TA_MA_TRIMA:
      return ta_trima_kernel(in, n, period, out, err);
    case CQ_TA_MA_KAMA:
      return ta_kama_kernel(in, n, period, out, err);
    case CQ_TA_MA_T3:
      ta_t3_kernel(in, n, period, T3_VFACTOR, out);
      return CQ_OK;
    default:
      return cq_error_set(err, CQ_EUNSUPPORTED, "matype = %d is not provided", type);
  }
}

int ta_ma_kind_init(ta_ma *m, int type, int period, cq_error *err) {
  switch (type) {
    case CQ_TA_MA_WMA:
      return ta_wma_ma_init(m, period, err);
    case CQ_TA_MA_DEMA:
      return ta_xema_ma_init(m, 2, period, err);
    case CQ_TA_MA_TEMA:
      return ta_xema_ma_init(m, 3, period, err);
    case CQ_TA_MA_TRIMA:
      return ta_trima_ma_init(m, period, err);
    case CQ_TA_MA_KAMA:
      return ta_kama_ma_init(m, period, err);
    case CQ_TA_MA_T3:
      return ta_t3_ma_init(m, period, T3_VFACTOR, err);
    default:
      return cq_error_set(err, CQ_EUNSUPPORTED, "matype = %d is not provided", type);
  }
}

const cq_ta_def *const ta_group_overlap[] = {
    &ta_def_sma,      &ta_def_ema,  &ta_def_wma,    &ta_def_dema, &ta_def_tema,
    &ta_def_trima,    &ta_def_kama, &ta_def_t3,     &ta_def_ma,   &ta_def_midpoint,
    &ta_def_midprice, &ta_def_sar,  &ta_def_bbands, NULL};
