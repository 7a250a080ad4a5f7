/* The vector forms' helpers: indicators through the registry (the same definitions the
 * event forms stream, so both see the same numbers), output checks, the fast < slow rule. */
#include <stdlib.h>

#include "strategy_internal.h"

void cq__ind_free(double **out, int n) {
  for (int k = 0; k < n; k++) {
    free(out[k]);
    out[k] = NULL;
  }
}

int cq__ind_run(const char *strategy, const char *name, const double *params, int n_params,
                const cq_candles *c, double **out, int n_out, cq_error *err) {
  const cq_ta_def *d;
  int rc = cq_ta_lookup(name, &d, err);
  if (rc) {
    cq_error_prefix(err, "%s: ", strategy);
    return rc;
  }
  double p[CQ_TA_MAX_PARAMS];
  if ((rc = cq_ta_params(d, params, n_params, p, err))) {
    cq_error_prefix(err, "%s: ", strategy);
    return rc;
  }
  if (d->n_outputs < 1 || d->n_outputs != n_out)
    return cq_error_set(err, CQ_EINTERNAL, "%s: indicator %s has %d outputs, not %d", strategy,
                        name, d->n_outputs, n_out);
  cq_ta_in in = {.time = c->open_time, .n = c->len};
  for (int k = 0; k < d->n_inputs; k++) in.v[k] = cq_candles_field(c, (int)d->inputs[k]);
  /* at least one element each, so an empty series still gets distinct arrays */
  size_t n = c->len ? c->len : 1;
  for (int k = 0; k < d->n_outputs; k++) {
    out[k] = malloc(n * sizeof **out);
    if (!out[k]) {
      cq__ind_free(out, k);
      return cq_error_set(err, CQ_ENOMEM, "%s: no memory for %zu values of %s", strategy, n, name);
    }
  }
  if ((rc = cq_ta_run(d, p, &in, out, err))) {
    cq__ind_free(out, d->n_outputs);
    cq_error_prefix(err, "%s: ", strategy);
    return rc;
  }
  return CQ_OK;
}

int cq__signals_check(const char *strategy, const cq_candles *c, const cq_signals *out,
                      cq_error *err) {
  if (!c || !out || !out->entry || !out->exit)
    return cq_error_set(err, CQ_EINVAL, "%s: signals: no candles or no entry/exit arrays",
                        strategy);
  if (out->n < c->len)
    return cq_error_set(err, CQ_EINVAL, "%s: signals: arrays hold %zu bars, the candles %zu",
                        strategy, out->n, c->len);
  return CQ_OK;
}

int cq__check_fast_slow(const char *strategy, const double *p, cq_error *err) {
  if (p[0] < p[1]) return CQ_OK;
  int rc = cq_error_set(err, CQ_EINVAL, "%s: fast (%g) must be less than slow (%g)", strategy, p[0],
                        p[1]);
  cq_error_field(err, "fast");
  return rc;
}

int cq__ma_cross_signals(const char *strategy, const char *ind, const double *p,
                         const cq_candles *c, cq_signals *out, cq_error *err) {
  int rc = cq__signals_check(strategy, c, out, err);
  if (rc) return rc;
  double *fast[1] = {NULL}, *slow[1] = {NULL};
  if ((rc = cq__ind_run(strategy, ind, &p[0], 1, c, fast, 1, err))) return rc;
  if ((rc = cq__ind_run(strategy, ind, &p[1], 1, c, slow, 1, err))) {
    cq__ind_free(fast, 1);
    return rc;
  }
  const double *f = fast[0], *s = slow[0];
  for (size_t i = 1; f && s && i < c->len; i++) { /* f, s: never NULL after a success */
    out->entry[i] = cq__cross_up(f[i - 1], s[i - 1], f[i], s[i]);
    out->exit[i] = cq__cross_down(f[i - 1], s[i - 1], f[i], s[i]);
  }
  cq__ind_free(fast, 1);
  cq__ind_free(slow, 1);
  return CQ_OK;
}
