/* bbands_breakout, vector form: a close above the upper Bollinger band enters, a close
 * below the middle band exits. */
#include "strategy_internal.h"

const cq_param_def cq__bbands_breakout_params[CQ__BBANDS_BREAKOUT_NPARAMS] = {
    {"period", CQ_PARAM_INT, 20, 2, 500, 1, "bars in the bands' SMA and deviation"},
    {"k", CQ_PARAM_FLOAT, 2.0, 0.5, 5, 0.1, "band distance in standard deviations"},
};

/* entry[i]: close[i] > upper[i]; exit[i]: close[i] < middle[i]. BBANDS(period, k, k, SMA). */
int cq__bbands_breakout_signals(const double *p, const cq_candles *c, cq_signals *out,
                                cq_error *err) {
  int rc = cq__signals_check("bbands_breakout", c, out, err);
  if (rc) return rc;
  const double bp[4] = {p[0], p[1], p[1], CQ_TA_MA_SMA};
  double *bb[3] = {NULL, NULL, NULL};
  if ((rc = cq__ind_run("bbands_breakout", "bbands", bp, 4, c, bb, 3, err))) return rc;
  for (size_t i = 0; i < c->len; i++) {
    out->entry[i] = c->close[i] > bb[0][i];
    out->exit[i] = c->close[i] < bb[1][i];
  }
  cq__ind_free(bb, 3);
  return CQ_OK;
}
