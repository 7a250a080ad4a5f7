/* rsi_reversion, vector form: buy oversold, sell overbought. */
#include "strategy_internal.h"

const cq_param_def cq__rsi_reversion_params[CQ__RSI_REVERSION_NPARAMS] = {
    {"period", CQ_PARAM_INT, 14, 2, 100, 1, "bars in the RSI"},
    {"lower", CQ_PARAM_FLOAT, 30, 1, 50, 1, "enter when the RSI closes below this"},
    {"upper", CQ_PARAM_FLOAT, 70, 50, 99, 1, "exit when the RSI closes above this"},
};

/* entry[i]: RSI[i] < lower; exit[i]: RSI[i] > upper (never while the RSI warms up). */
int cq__rsi_reversion_signals(const double *p, const cq_candles *c, cq_signals *out,
                              cq_error *err) {
  int rc = cq__signals_check("rsi_reversion", c, out, err);
  if (rc) return rc;
  double *rsi[1] = {NULL};
  if ((rc = cq__ind_run("rsi_reversion", "rsi", &p[0], 1, c, rsi, 1, err))) return rc;
  for (size_t i = 0; i < c->len; i++) {
    out->entry[i] = rsi[0][i] < p[1]; /* false for NaN */
    out->exit[i] = rsi[0][i] > p[2];
  }
  cq__ind_free(rsi, 1);
  return CQ_OK;
}
