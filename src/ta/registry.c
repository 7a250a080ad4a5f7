/* The registry: every indicator's definition, parameter checking, batch runs and
 * streaming through the definitions. */
#include <ctype.h>
#include <errno.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cquant/core/strutil.h"
#include "ta_internal.h"

static const cq_ta_def *const *const groups[] = {
    ta_group_overlap,   ta_group_momentum, ta_group_volume, ta_group_volatility,
    ta_group_statistic, ta_group_price,    ta_group_crypto,
};
enum { N_GROUPS = sizeof groups / sizeof groups[0] };

static const char *const field_names[CQ_TA_FIELD_COUNT_] = {"open", "high", "low", "close",
                                                            "volume"};

const char *cq_ta_field_name(cq_ta_field f) {
  return (unsigned)f < CQ_TA_FIELD_COUNT_ ? field_names[f] : "?";
}

int cq_ta_field_parse(const char *name) {
  for (int i = 0; i < CQ_TA_FIELD_COUNT_; i++)
    if (name && strcasecmp(name, field_names[i]) == 0) return i;
  return -1;
}

const cq_ta_def *cq_ta_at(size_t i) {
  for (size_t g = 0; g < N_GROUPS; g++) {
    for (const cq_ta_def *const *d = groups[g]; *d; d++)
      if (i-- == 0) return *d;
  }
  return NULL;
}

size_t cq_ta_count(void) {
  size_t n = 0;
  while (cq_ta_at(n)) n++;
  return n;
}

const cq_ta_def *cq_ta_find(const char *name) {
  if (!name) return NULL;
  const cq_ta_def *d;
  for (size_t i = 0; (d = cq_ta_at(i)); i++)
    if (strcasecmp(d->name, name) == 0) return d;
  return NULL;
}

int cq_ta_lookup(const char *name, const cq_ta_def **out, cq_error *err) {
  *out = cq_ta_find(name);
  if (*out) return CQ_OK;
  const char *names[256];
  size_t n = 0;
  const cq_ta_def *d;
  for (size_t i = 0; (d = cq_ta_at(i)) && n < sizeof names / sizeof names[0]; i++)
    names[n++] = d->name;
  const char *near = cq_closest(name ? name : "", names, n, 3);
  if (near)
    return cq_error_set(err, CQ_ENOTFOUND, "unknown indicator '%s'; did you mean '%s'?",
                        name ? name : "", near);
  return cq_error_set(err, CQ_ENOTFOUND,
                      "unknown indicator '%s' (cquant indicators list shows them all)",
                      name ? name : "");
}

/* An error about one parameter: the message, and the parameter as the field. */
static int param_error(cq_error *err, const char *field, const char *fmt, ...) CQ_PRINTF(3, 4);
static int param_error(cq_error *err, const char *field, const char *fmt, ...) {
  if (err) {
    char msg[CQ_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cq_error_set(err, CQ_EINVAL, "%s", msg);
    cq_error_field(err, field);
  }
  return CQ_EINVAL;
}

static void range_text(const cq_ta_param *p, char *buf, size_t len) {
  snprintf(buf, len, "%s%.10g..%.10g", p->integer ? "a whole number " : "", p->min, p->max);
}

int ta_check(const cq_ta_def *def, const double *p, cq_error *err) {
  for (int i = 0; i < def->n_params; i++) {
    const cq_ta_param *d = &def->params[i];
    double v = p[i];
    if (isnan(v) || v < d->min || v > d->max || (d->integer && v != floor(v))) {
      char range[96];
      range_text(d, range, sizeof range);
      return param_error(err, d->name, "%s: %s = %.10g is out of range; valid: %s", def->name,
                         d->name, v, range);
    }
  }
  return def->check ? def->check(p, err) : CQ_OK;
}

int ta_lookback_or_neg(const cq_ta_def *def, const double *p) {
  return ta_check(def, p, NULL) ? -1 : def->lookback(p);
}

int cq_ta_params(const cq_ta_def *def, const double *given, int n_given, double *params,
                 cq_error *err) {
  if (n_given < 0 || n_given > def->n_params)
    return cq_error_set(err, CQ_EINVAL, "%s takes at most %d parameter%s, not %d", def->name,
                        def->n_params, def->n_params == 1 ? "" : "s", n_given);
  for (int i = 0; i < def->n_params; i++) params[i] = i < n_given ? given[i] : def->params[i].def;
  return ta_check(def, params, err);
}

static int param_index(const cq_ta_def *def, const char *name, size_t len) {
  for (int i = 0; i < def->n_params; i++)
    if (strlen(def->params[i].name) == len && strncasecmp(def->params[i].name, name, len) == 0)
      return i;
  return -1;
}

int cq_ta_params_parse(const cq_ta_def *def, const char *text, double *params, cq_error *err) {
  bool set[CQ_TA_MAX_PARAMS] = {false};
  for (int i = 0; i < def->n_params; i++) params[i] = def->params[i].def;
  const char *s = text ? text : "";
  int pos = 0;
  bool named = false;
  while (*s) {
    const char *end = strchr(s, ',');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    const char *eq = memchr(s, '=', len);
    int idx;
    const char *num = s;
    if (eq) {
      named = true;
      idx = param_index(def, s, (size_t)(eq - s));
      if (idx < 0) {
        char names[160] = "";
        for (int i = 0; i < def->n_params; i++) {
          size_t used = strlen(names);
          snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", def->params[i].name);
        }
        return cq_error_set(err, CQ_EINVAL, "%s: no parameter '%.*s'; it takes: %s", def->name,
                            (int)(eq - s), s, def->n_params ? names : "none");
      }
      num = eq + 1;
    } else {
      if (named)
        return cq_error_set(err, CQ_EINVAL,
                            "%s: '%.*s': a value by position cannot follow one by name", def->name,
                            (int)len, s);
      idx = pos++;
      if (idx >= def->n_params)
        return cq_error_set(err, CQ_EINVAL, "%s takes at most %d parameter%s, given '%s'",
                            def->name, def->n_params, def->n_params == 1 ? "" : "s", text);
    }
    size_t nlen = len - (size_t)(num - s);
    char buf[64];
    if (nlen == 0 || nlen >= sizeof buf)
      return param_error(err, def->params[idx].name, "%s: %s: expected a number, got '%.*s'",
                         def->name, def->params[idx].name, (int)nlen, num);
    memcpy(buf, num, nlen);
    buf[nlen] = '\0';
    char *stop;
    errno = 0;
    double v = strtod(buf, &stop);
    if (*stop || errno == ERANGE)
      return param_error(err, def->params[idx].name, "%s: %s: expected a number, got '%s'",
                         def->name, def->params[idx].name, buf);
    if (set[idx])
      return param_error(err, def->params[idx].name, "%s: %s given twice", def->name,
                         def->params[idx].name);
    set[idx] = true;
    params[idx] = v;
    s = end ? end + 1 : s + len;
    if (end && !*s)
      return cq_error_set(err, CQ_EINVAL, "%s: parameters '%s' end with a comma", def->name, text);
  }
  return ta_check(def, params, err);
}

int ta_lookback_period_minus_1(const double *p) {
  return (int)p[0] - 1;
}

int ta_call1(const cq_ta_def *def, const double *p, const double *in, size_t n, double *out,
             cq_error *err) {
  cq_ta_in x = {.v = {in}, .n = n};
  return cq_ta_run(def, p, &x, &out, err);
}

int cq_ta_lookback(const cq_ta_def *def, const double *params) {
  return def->lookback(params);
}

static bool overlaps(const double *a, const double *b, size_t n) {
  uintptr_t x = (uintptr_t)a, y = (uintptr_t)b, len = n * sizeof(double);
  return x < y + len && y < x + len;
}

int ta_unalias(const double **in, int n_in, double *const *out, int n_out, size_t n,
               double **scratch, cq_error *err) {
  *scratch = NULL;
  if (n == 0) return CQ_OK;
  int need = 0;
  bool aliased[CQ_TA_MAX_INPUTS] = {false};
  for (int k = 0; k < n_in; k++)
    for (int j = 0; j < n_out && !aliased[k]; j++)
      if (in[k] && out[j] && overlaps(in[k], out[j], n)) aliased[k] = true, need++;
  if (!need) return CQ_OK;
  if (n > SIZE_MAX / sizeof(double) / (size_t)need)
    return cq_error_set(err, CQ_ENOMEM, "in-place run: %zu values is too many", n);
  double *copy = malloc((size_t)need * n * sizeof(double));
  if (!copy) return cq_error_set(err, CQ_ENOMEM, "in-place run: out of memory");
  double *next = copy;
  for (int k = 0; k < n_in; k++) {
    if (!aliased[k]) continue;
    memcpy(next, in[k], n * sizeof(double));
    in[k] = next;
    next += n;
  }
  *scratch = copy;
  return CQ_OK;
}

int cq_ta_run(const cq_ta_def *def, const double *params, const cq_ta_in *in, double *const *out,
              cq_error *err) {
  int rc = ta_check(def, params, err);
  if (rc) return rc;
  if (in->n == 0) return CQ_OK;
  if (def->needs_time && !in->time)
    return cq_error_set(err, CQ_EINVAL, "%s: needs the bars' open times", def->name);
  for (int k = 0; k < def->n_inputs; k++)
    if (!in->v[k])
      return cq_error_set(err, CQ_EINVAL, "%s: input %d (%s) is missing", def->name, k + 1,
                          cq_ta_field_name(def->inputs[k]));
  for (int k = 0; k < def->n_outputs; k++)
    if (!out[k])
      return cq_error_set(err, CQ_EINVAL, "%s: output '%s' has no array", def->name,
                          def->outputs[k]);
  cq_ta_in x = *in;
  double *scratch;
  if ((rc = ta_unalias(x.v, def->n_inputs, out, def->n_outputs, x.n, &scratch, err))) return rc;
  rc = def->batch(&x, params, out, err);
  free(scratch);
  return rc;
}

/* --- streaming ----------------------------------------------------------------------- */

struct cq_ta_stream {
  const cq_ta_def *def;
  size_t bars;
  double value[CQ_TA_MAX_OUTPUTS];
  alignas(max_align_t) unsigned char st[];
};

int cq_ta_stream_new(const cq_ta_def *def, const double *params, cq_ta_stream **out,
                     cq_error *err) {
  *out = NULL;
  int rc = ta_check(def, params, err);
  if (rc) return rc;
  cq_ta_stream *s = calloc(1, sizeof *s + def->state_size);
  if (!s) return cq_error_set(err, CQ_ENOMEM, "%s: out of memory", def->name);
  s->def = def;
  for (int k = 0; k < CQ_TA_MAX_OUTPUTS; k++) s->value[k] = NAN;
  if ((rc = def->init(s->st, params, err))) {
    free(s);
    return rc;
  }
  *out = s;
  return CQ_OK;
}

void cq_ta_stream_free(cq_ta_stream *s) {
  if (!s) return;
  if (s->def->release) s->def->release(s->st);
  free(s);
}

void cq_ta_stream_update(cq_ta_stream *s, cq_time t, const double *in, double *out) {
  s->def->update(s->st, t, in, s->value);
  s->bars++;
  if (out) /* a loop, not memcpy: a call into libc costs more than the copy of a few values */
    for (int k = 0; k < s->def->n_outputs; k++) out[k] = s->value[k];
}

void cq_ta_stream_update_many(cq_ta_stream *s, const cq_ta_in *in, double *const *out) {
  const cq_ta_def *d = s->def;
  double bar[CQ_TA_MAX_INPUTS];
  for (size_t i = 0; i < in->n; i++) {
    for (int k = 0; k < d->n_inputs; k++) bar[k] = in->v[k][i];
    d->update(s->st, in->time ? in->time[i] : 0, bar, s->value);
    s->bars++;
    if (out)
      for (int k = 0; k < d->n_outputs; k++)
        if (out[k]) out[k][i] = s->value[k];
  }
}

double cq_ta_stream_value(const cq_ta_stream *s, int k) {
  return k >= 0 && k < s->def->n_outputs ? s->value[k] : NAN;
}

size_t cq_ta_stream_bars(const cq_ta_stream *s) {
  return s->bars;
}

const cq_ta_def *cq_ta_stream_def(const cq_ta_stream *s) {
  return s->def;
}

/* --- windows ------------------------------------------------------------------------- */

int ta_ring_init(ta_ring *r, int cap, cq_error *err) {
  *r = (ta_ring){0};
  if (cap < 1) cap = 1;
  r->v = malloc((size_t)cap * sizeof(double));
  if (!r->v)
    return cq_error_set(err, CQ_ENOMEM, "indicator window of %d values: out of memory", cap);
  r->cap = cap;
  return CQ_OK;
}

void ta_ring_release(ta_ring *r) {
  free(r->v);
  *r = (ta_ring){0};
}
