/* macd, vector form: the MACD line crossing its signal line. */
#include "strategy_internal.h"

const cq_param_def cq__macd_params[CQ__MACD_NPARAMS] = {
    {"fast", CQ_PARAM_INT, 12, 2, 500, 1, "bars in the fast EMA"},
    {"slow", CQ_PARAM_INT, 26, 3, 2000, 1, "bars in the slow EMA (more than fast)"},
    {"signal", CQ_PARAM_INT, 9, 1, 500, 1, "bars in the signal line's EMA"},
};

int cq__macd_check(const double *p, cq_error *err) {
  return cq__check_fast_slow("macd", p, err);
}

/* entry[i]: MACD crosses above its signal line at i; exit[i]: crosses below. */
int cq__macd_signals(const double *p, const cq_candles *c, cq_signals *out, cq_error *err) {
  int rc = cq__signals_check("macd", c, out, err);
  if (rc) return rc;
  double *m[3] = {NULL, NULL, NULL};
  if ((rc = cq__ind_run("macd", "macd", p, 3, c, m, 3, err))) return rc;
  const double *line = m[0], *sig = m[1];
  for (size_t i = 1; i < c->len; i++) {
    out->entry[i] = cq__cross_up(line[i - 1], sig[i - 1], line[i], sig[i]);
    out->exit[i] = cq__cross_down(line[i - 1], sig[i - 1], line[i], sig[i]);
  }
  cq__ind_free(m, 3);
  return CQ_OK;
}
