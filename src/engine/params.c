/* Strategy parameters: "name=value" assignments resolved against the declared table. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cquant/core/strutil.h"
#include "cquant/engine.h"

enum { NAME_MAX_LEN = 64 };

int cq_param_index(const cq_strategy_def *d, const char *name) {
  for (int i = 0; d && name && i < d->n_params; i++)
    if (!strcasecmp(d->params[i].name, name)) return i;
  return -1;
}

static int unknown_param(const cq_strategy_def *d, const char *name, cq_error *err) {
  const char *names[CQ_MAX_PARAMS];
  int n = d->n_params < CQ_MAX_PARAMS ? d->n_params : CQ_MAX_PARAMS;
  for (int i = 0; i < n; i++) names[i] = d->params[i].name;
  const char *near = cq_closest(name, names, (size_t)n, 3);
  if (near)
    return cq_error_set(err, CQ_ENOTFOUND,
                        "strategy %s: unknown parameter \"%s\" (did you mean %s?)", d->name, name,
                        near);
  return cq_error_set(err, CQ_ENOTFOUND, "strategy %s: unknown parameter \"%s\"", d->name, name);
}

static int parse_value(const cq_strategy_def *d, const cq_param_def *p, const char *text,
                       double *out, cq_error *err) {
  if (p->type == CQ_PARAM_BOOL) {
    if (!strcmp(text, "1") || !strcasecmp(text, "true"))
      *out = 1;
    else if (!strcmp(text, "0") || !strcasecmp(text, "false"))
      *out = 0;
    else
      return cq_error_set(err, CQ_EPARSE,
                          "strategy %s: parameter %s = \"%s\": expected 0, 1, true or false",
                          d->name, p->name, text);
    return CQ_OK;
  }
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end || errno || !isfinite(v))
    return cq_error_set(err, CQ_EPARSE, "strategy %s: parameter %s = \"%s\": not a number", d->name,
                        p->name, text);
  if (p->type == CQ_PARAM_INT && v != floor(v))
    return cq_error_set(err, CQ_EPARSE, "strategy %s: parameter %s = %s: must be a whole number",
                        d->name, p->name, text);
  *out = v;
  return CQ_OK;
}

/* Declared values in range: a declared [min, max] with min < max bounds it. */
static int check_range(const cq_strategy_def *d, const cq_param_def *p, double v, cq_error *err) {
  if (p->min < p->max && (v < p->min || v > p->max))
    return cq_error_set(err, CQ_EINVAL, "strategy %s: parameter %s = %g is out of range [%g, %g]",
                        d->name, p->name, v, p->min, p->max);
  return CQ_OK;
}

static int assign_one(const cq_strategy_def *d, const char *a, cq_param_values *out,
                      cq_error *err) {
  const char *eq = strchr(a, '=');
  if (!eq || eq == a)
    return cq_error_set(err, CQ_EPARSE, "strategy %s: \"%s\": expected name=value", d->name, a);
  size_t nl = (size_t)(eq - a);
  char name[NAME_MAX_LEN];
  if (nl >= sizeof name)
    return cq_error_set(err, CQ_EPARSE, "strategy %s: parameter name in \"%s\" is too long",
                        d->name, a);
  memcpy(name, a, nl);
  name[nl] = '\0';
  int i = cq_param_index(d, name);
  if (i < 0) return unknown_param(d, name, err);
  return parse_value(d, &d->params[i], eq + 1, &out->v[i], err);
}

int cq_params_resolve(const cq_strategy_def *d, const char *const *assign, int n,
                      cq_param_values *out, cq_error *err) {
  if (!d || !out || n < 0 || (n > 0 && !assign))
    return cq_error_set(err, CQ_EINVAL, "parameters: no strategy or output");
  if (d->n_params < 0 || d->n_params > CQ_MAX_PARAMS)
    return cq_error_set(err, CQ_EINVAL, "strategy %s: %d parameters (at most %d)", d->name,
                        d->n_params, CQ_MAX_PARAMS);
  cq_param_values v = {.n = d->n_params};
  for (int i = 0; i < d->n_params; i++) v.v[i] = d->params[i].def;
  for (int k = 0; k < n; k++) {
    int rc = assign_one(d, assign[k], &v, err);
    if (rc) return rc;
  }
  for (int i = 0; i < d->n_params; i++) {
    int rc = check_range(d, &d->params[i], v.v[i], err);
    if (rc) return rc;
  }
  if (d->check) {
    int rc = d->check(v.v, err);
    if (rc) {
      cq_error_prefix(err, "strategy %s: ", d->name);
      return rc;
    }
  }
  *out = v;
  return CQ_OK;
}
