/* Momentum indicators; see cquant/ta/momentum.h. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_rsi, ta_def_macd, ta_def_stoch, ta_def_stochf, ta_def_stochrsi,
    ta_def_adx, ta_def_adxr, ta_def_plus_di, ta_def_minus_di, ta_def_dx, ta_def_cci, ta_def_mfi,
    ta_def_mom, ta_def_roc, ta_def_rocp, ta_def_willr, ta_def_aroon, ta_def_aroonosc, ta_def_apo,
    ta_def_ppo, ta_def_cmo, ta_def_trix, ta_def_ultosc, ta_def_bop;

const cq_ta_def *const ta_group_momentum[] = {
    &ta_def_rsi,   &ta_def_macd,  &ta_def_stoch,    &ta_def_stochf,   &ta_def_stochrsi,
    &ta_def_adx,   &ta_def_adxr,  &ta_def_plus_di,  &ta_def_minus_di, &ta_def_dx,
    &ta_def_cci,   &ta_def_mfi,   &ta_def_mom,      &ta_def_roc,      &ta_def_rocp,
    &ta_def_willr, &ta_def_aroon, &ta_def_aroonosc, &ta_def_apo,      &ta_def_ppo,
    &ta_def_cmo,   &ta_def_trix,  &ta_def_ultosc,   &ta_def_bop,      NULL};

int ta_check_matype(const char *ind, const char *param, double v, cq_error *err) {
  if ((int)v != CQ_TA_MA_MAMA) return CQ_OK;
  if (err) {
    cq_error_set(err, CQ_EUNSUPPORTED, "%s: %s = 7 (MAMA) is not provided; valid: 0..6 or 8", ind,
                 param);
    cq_error_field(err, param);
  }
  return CQ_EUNSUPPORTED;
}
