/* Technical indicators: batch over arrays, streaming one bar at a time, one registry.
 *
 * Every indicator exists three ways, with the same numbers each way:
 *
 *   batch      cq_ta_<name>(inputs..., n, params..., outputs..., err)
 *              Arrays of n values; outputs are caller-owned arrays of n values. Index i of
 *              an output belongs to bar i: before the indicator's lookback it is NaN, from
 *              the lookback on it is TA-Lib's value for that bar. An output may be the same
 *              array as an input (in-place).
 *   lookback   cq_ta_<name>_lookback(params...): the index of the first value (TA-Lib's
 *              lookback), or -1 when the parameters are invalid.
 *   streaming  through the registry: cq_ta_stream_new("rsi", params) then one
 *              cq_ta_stream_update() per bar; the outputs after bar i are exactly the batch
 *              outputs at index i (bit for bit), however the bars are split into calls.
 *
 * The registry (cq_ta_find, cq_ta_each) describes each indicator: inputs, parameters with
 * defaults and valid ranges, outputs. The CLI, the feature pipeline, strategies and the
 * optimizer read it; they run any indicator through cq_ta_run / cq_ta_stream without
 * knowing it.
 *
 * NaN in an input propagates the way it does in TA-Lib (which does not test for NaN): it
 * reaches every output whose arithmetic it enters, and running sums carry it on. Nothing
 * reads outside the arrays, whatever the input.
 */
#ifndef CQUANT_TA_H
#define CQUANT_TA_H

#include <stdbool.h>
#include <stddef.h>

#include "cquant/core/error.h"
#include "cquant/core/time.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CQ_TA_MAX_INPUTS = 5, CQ_TA_MAX_PARAMS = 6, CQ_TA_MAX_OUTPUTS = 5 };

/* A bar field an indicator reads. */
typedef enum cq_ta_field {
  CQ_TA_OPEN,
  CQ_TA_HIGH,
  CQ_TA_LOW,
  CQ_TA_CLOSE,
  CQ_TA_VOLUME,
  CQ_TA_FIELD_COUNT_
} cq_ta_field;

const char *cq_ta_field_name(cq_ta_field f);
/* "open".."volume" → field; -1 when unknown. */
int cq_ta_field_parse(const char *name);

/* Moving-average types, numbered as TA-Lib's TA_MAType. */
typedef enum cq_ta_matype {
  CQ_TA_MA_SMA = 0,
  CQ_TA_MA_EMA = 1,
  CQ_TA_MA_WMA = 2,
  CQ_TA_MA_DEMA = 3,
  CQ_TA_MA_TEMA = 4,
  CQ_TA_MA_TRIMA = 5,
  CQ_TA_MA_KAMA = 6,
  CQ_TA_MA_MAMA = 7, /* not provided: refused with CQ_EUNSUPPORTED */
  CQ_TA_MA_T3 = 8
} cq_ta_matype;

typedef struct cq_ta_param {
  const char *name; /* "period", "nbdevup", "matype" */
  const char *help;
  double def, min, max; /* default and valid range, inclusive */
  bool integer;         /* must be a whole number */
} cq_ta_param;

/* What an indicator is. The tables are static and never change. */
typedef struct cq_ta_def cq_ta_def;

/* Inputs to a batch run: one array per input the indicator lists, in its order. */
typedef struct cq_ta_in {
  const cq_time *time; /* open times; only indicators with needs_time read it */
  const double *v[CQ_TA_MAX_INPUTS];
  size_t n;
} cq_ta_in;

struct cq_ta_def {
  const char *name;  /* lower case, as users type it: "rsi", "bbands" */
  const char *title; /* "Relative Strength Index" */
  const char *group; /* overlap, momentum, volume, volatility, statistic, price, crypto */
  int n_inputs;
  cq_ta_field inputs[CQ_TA_MAX_INPUTS]; /* the fields read by default */
  bool any_series; /* inputs are plain series: a caller may feed any series instead */
  bool needs_time; /* reads open times (session anchors) */
  int n_params;
  cq_ta_param params[CQ_TA_MAX_PARAMS];
  int n_outputs;
  const char *outputs[CQ_TA_MAX_OUTPUTS]; /* "value" for a single output */

  /* Parameters have been checked against the ranges above before any of these run. */
  /* Cross-parameter rules (fast < slow); NULL when there are none. */
  int (*check)(const double *p, cq_error *err);
  int (*lookback)(const double *p);
  int (*batch)(const cq_ta_in *in, const double *p, double *const *out, cq_error *err);
  /* streaming: a state of state_size bytes, set up by init (which may allocate), fed one
   * bar at a time (in: one value per input, in order), torn down by release */
  size_t state_size;
  int (*init)(void *st, const double *p, cq_error *err);
  void (*update)(void *st, cq_time t, const double *in, double *out);
  void (*release)(void *st);
};

/* --- the registry -------------------------------------------------------------------- */

/* The indicator of that name (case-insensitive), or NULL. */
const cq_ta_def *cq_ta_find(const char *name);
/* Same, filling err with the closest known name on failure (CQ_ENOTFOUND). */
int cq_ta_lookup(const char *name, const cq_ta_def **out, cq_error *err);
/* Every indicator, in registry order: i from 0 while the result is not NULL. */
const cq_ta_def *cq_ta_at(size_t i);
size_t cq_ta_count(void);

/* Fills params[def->n_params]: given[0..n_given) in order, defaults for the rest; then
 * checks ranges, whole numbers and cross-parameter rules. On error names the indicator,
 * the parameter, the value and the valid range. */
int cq_ta_params(const cq_ta_def *def, const double *given, int n_given, double *params,
                 cq_error *err);
/* Parses "14" / "20,2" / "fast=12,slow=26" into params (defaults for the rest), checked. */
int cq_ta_params_parse(const cq_ta_def *def, const char *text, double *params, cq_error *err);
/* Lookback for checked params. */
int cq_ta_lookback(const cq_ta_def *def, const double *params);
/* Batch run for checked params; out[k] has in->n values for output k. */
int cq_ta_run(const cq_ta_def *def, const double *params, const cq_ta_in *in, double *const *out,
              cq_error *err);

/* --- streaming ----------------------------------------------------------------------- */

typedef struct cq_ta_stream cq_ta_stream;

/* params checked here (as by cq_ta_params with all values given). */
int cq_ta_stream_new(const cq_ta_def *def, const double *params, cq_ta_stream **out, cq_error *err);
void cq_ta_stream_free(cq_ta_stream *s);
/* One bar: in has one value per input of the indicator, in order. out (may be NULL)
 * receives the outputs after this bar, NaN while the indicator is not yet ready. */
void cq_ta_stream_update(cq_ta_stream *s, cq_time t, const double *in, double *out);
/* n bars at once from arrays (as for a batch run); out[k] receives n values of output k
 * (out or any out[k] may be NULL). */
void cq_ta_stream_update_many(cq_ta_stream *s, const cq_ta_in *in, double *const *out);
/* The current value of output k (NaN before the first ready bar). */
double cq_ta_stream_value(const cq_ta_stream *s, int k);
/* Bars seen so far. */
size_t cq_ta_stream_bars(const cq_ta_stream *s);
const cq_ta_def *cq_ta_stream_def(const cq_ta_stream *s);

#ifdef __cplusplus
}
#endif

#include "cquant/ta/crypto.h"
#include "cquant/ta/momentum.h"
#include "cquant/ta/overlap.h"
#include "cquant/ta/price.h"
#include "cquant/ta/statistic.h"
#include "cquant/ta/volatility.h"
#include "cquant/ta/volume.h"

#endif
