/* donchian, vector form: a turtle-style breakout with an ATR stop. The channel of the bars
 * before i is the registry's Donchian channel (current bar included) one bar back. */
#include "strategy_internal.h"

const cq_param_def cq__donchian_params[CQ__DONCHIAN_NPARAMS] = {
    {"entry_period", CQ_PARAM_INT, 20, 2, 500, 1, "enter above the highest high of these bars"},
    {"exit_period", CQ_PARAM_INT, 10, 2, 500, 1, "exit below the lowest low of these bars"},
    {"atr_period", CQ_PARAM_INT, 20, 2, 200, 1, "bars in the ATR of the stop"},
    {"atr_mult", CQ_PARAM_FLOAT, 2.0, 0.5, 10, 0.5, "stop distance below the entry close in ATRs"},
};

double cq__donchian_stop(double close, double atr, double mult) {
  double s = close - mult * atr;
  return s > 0 ? s : NAN; /* false for NaN too */
}

/* entry[i]: close[i] > max(high[i-entry_period .. i-1]) with ATR[i] defined, stop[i] =
 * close[i] - atr_mult * ATR[i]; exit[i]: close[i] < min(low[i-exit_period .. i-1]). */
int cq__donchian_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err) {
  int rc = cq__signals_check("donchian", c, out, err);
  if (rc) return rc;
  double *hi[3] = {NULL, NULL, NULL}, *lo[3] = {NULL, NULL, NULL}, *atr[1] = {NULL};
  if ((rc = cq__ind_run("donchian", "donchian", &p[0], 1, c, hi, 3, err))) return rc;
  if ((rc = cq__ind_run("donchian", "donchian", &p[1], 1, c, lo, 3, err))) goto out_hi;
  if ((rc = cq__ind_run("donchian", "atr", &p[2], 1, c, atr, 1, err))) goto out_lo;
  for (size_t i = 1; i < c->len; i++) {
    const double x = c->close[i], a = atr[0][i];
    out->entry[i] = !isnan(a) && x > hi[0][i - 1]; /* upper channel */
    out->exit[i] = x < lo[2][i - 1];               /* lower channel */
    if (out->entry[i] && out->stop) out->stop[i] = cq__donchian_stop(x, a, p[3]);
  }
  cq__ind_free(atr, 1);
out_lo:
  cq__ind_free(lo, 3);
out_hi:
  cq__ind_free(hi, 3);
  return rc;
}
