/* The feature pipeline: a feature set is a YAML file of named features, each an indicator
 * of the registry (cquant/ta.h) or a difference, ratio, lag or rolling z-score of other
 * features or bar fields. Building a set computes it over stored candles and stores the
 * columns as a feature frame (cquant/store.h) keyed by the set's name and version, a hash
 * of its canonical definitions. Part of the data module.
 *
 *   name: trend                      # optional; the file name without .yaml otherwise
 *   features:
 *     rsi14: rsi:14                  # an indicator: name[:params], params as on the CLI
 *     bb_up: {ind: "bbands:20,2", output: upper}
 *     ema_fast: ema:12
 *     ema_slow: {ind: ema, params: {period: 26}}
 *     gap: {diff: [ema_fast, ema_slow]}       # a - b
 *     rel: {ratio: [close, ema_slow]}         # a / b (NaN where b is 0)
 *     rsi_prev: {lag: rsi14, periods: 1}      # the value periods bars earlier
 *     rsi_z: {zscore: rsi14, window: 50}      # (x - mean) / population stddev over window
 *     rsi_smooth: {ind: "sma:5", input: rsi14}  # an indicator over another feature
 *
 * Features may use the bar fields (open, high, low, close, volume) and the features above
 * them. Every feature is stored, in file order.
 */
#ifndef CQUANT_FEATURES_H
#define CQUANT_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

#include "cquant/core.h"
#include "cquant/model.h"
#include "cquant/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cq_feature_set cq_feature_set;

/* Reads and checks a feature set; errors name the file, line and column and the feature. */
CQ_NODISCARD int cq_feature_set_load(const char *path, cq_feature_set **out, cq_error *err);
/* The same from text; origin names it in messages, and its stem is the default name. */
CQ_NODISCARD int cq_feature_set_parse(const char *text, size_t len, const char *origin,
                                      cq_feature_set **out, cq_error *err);
void cq_feature_set_free(cq_feature_set *fs);

const char *cq_feature_set_name(const cq_feature_set *fs);
/* 16 hex digits: a hash of the canonical definitions (not of the name or the layout of the
 * file: comments, spacing, parameter spelling and defaults written out do not change it). */
const char *cq_feature_set_version(const cq_feature_set *fs);
/* The canonical definitions, one feature a line. */
const char *cq_feature_set_definition(const cq_feature_set *fs);
int cq_feature_set_count(const cq_feature_set *fs);
const char *cq_feature_set_feature(const cq_feature_set *fs, int i);

/* Computes every feature over the candles into out (allocated; release with
 * cq_feature_frame_release): rows = c->len, times = open times, set, version, definition
 * filled in (not key, source or built_at). */
CQ_NODISCARD int cq_feature_set_compute(const cq_feature_set *fs, const cq_candles *c,
                                        cq_feature_frame *out, cq_error *err);

/* A fingerprint of candles (open times and values, bit for bit): 16 hex digits. */
void cq_candles_fingerprint(const cq_candles *c, char out[CQ_FEATURE_VERSION_MAX]);

typedef struct cq_features_report {
  bool up_to_date; /* the stored frame was built from the same candles: nothing written */
  size_t rows;
  int features;
  char version[CQ_FEATURE_VERSION_MAX];
} cq_features_report;

/* Builds fs over the stored candles of key before `to` and stores the frame's rows with
 * from <= open time < to, built_at = now: the indicators warm up on the history before
 * `from`, so a row's values do not depend on `from`. Unless force, a frame of the same set
 * and version built from the same candles and range is left as it is (a no-op).
 * CQ_ENOTFOUND when there are no candles in [from, to). */
CQ_NODISCARD int cq_features_build(cq_store *s, const cq_feature_set *fs, const cq_series_key *key,
                                   cq_time from, cq_time to, bool force, cq_time now,
                                   cq_features_report *rep, cq_error *err);

#ifdef __cplusplus
}
#endif

#endif
