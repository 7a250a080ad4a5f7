/* Resampling: candles of a lower timeframe aggregated exactly into a higher one. */
#include <math.h>
#include <string.h>

#include "cquant/data.h"
#include "data_internal.h"

/* Every row sorted, distinct and on the `from` grid; the message names the first row that
 * is not. */
static int check_input(const cq_candles *in, cq_timeframe from, cq_error *err) {
  const cq_time *t = in->open_time;
  char a[CQ_TIME_STRMAX], b[CQ_TIME_STRMAX], tf[CQ_TF_STRMAX];
  for (size_t i = 0; i < in->len; i++) {
    if (i > 0 && t[i] <= t[i - 1]) {
      cq_time_format_iso(t[i], 3, a, sizeof a);
      cq_time_format_iso(t[i - 1], 3, b, sizeof b);
      return cq_error_set(err, CQ_EINVAL,
                          "resample: row %zu (open time %s) is not after row %zu (%s): input "
                          "must be sorted with distinct open times",
                          i, a, i - 1, b);
    }
    if (!cq_timeframe_is_aligned(from, t[i])) {
      cq_time_format_iso(t[i], 3, a, sizeof a);
      cq_timeframe_format(from, tf, sizeof tf);
      return cq_error_set(err, CQ_EINVAL, "resample: row %zu (open time %s) is not on the %s grid",
                          i, a, tf);
    }
  }
  return CQ_OK;
}

/* Source bars a bucket [b, e) of `into` spans. `from` divides `into`, so the bucket is a
 * whole number of `from` bars: for a fixed-length `from` its length over the bar's (months
 * of 28..31 days, from the bucket's own end), for months the ratio of the counts. */
static uint64_t bars_in_bucket(cq_timeframe from, cq_timeframe into, cq_time b, cq_time e) {
  if (from.unit == CQ_TF_MONTH) return into.n / from.n;
  return ((uint64_t)e - (uint64_t)b) / (uint64_t)cq_timeframe_ns(from);
}

int cq_resample(const cq_candles *in, cq_timeframe from, cq_timeframe into, bool keep_incomplete,
                cq_candles *out, cq_resample_report *rep, cq_error *err) {
  if (!rep) return cq_error_set(err, CQ_EINVAL, "resample: no report to fill");
  memset(rep, 0, sizeof *rep);
  if (!in || !out) return cq_error_set(err, CQ_EINVAL, "resample: no input or no output");
  if (in == out) return cq_error_set(err, CQ_EINVAL, "resample: input and output are the same");
  int rc;
  if ((rc = cq__tf_check(from, "resample: source", err))) return rc;
  if ((rc = cq__tf_check(into, "resample: target", err))) return rc;
  if (!cq_timeframe_divides(from, into)) {
    char a[CQ_TF_STRMAX], b[CQ_TF_STRMAX];
    cq_timeframe_format(from, a, sizeof a);
    cq_timeframe_format(into, b, sizeof b);
    return cq_error_set(err, CQ_EINVAL,
                        "resample: %s does not divide %s (each %s bar must lie in one %s bar)", a,
                        b, a, b);
  }
  if ((rc = check_input(in, from, err))) return rc;

  const cq_time *t = in->open_time;
  size_t keep = out->len, n = in->len, i = 0;
  while (i < n) {
    cq_time b = cq_timeframe_floor(into, t[i]);
    cq_time e = cq_timeframe_next(into, b);
    cq_candle k = {.open_time = b,
                   .open = in->open[i],
                   .high = in->high[i],
                   .low = in->low[i],
                   .trades = 0,
                   .closed = true};
    cq__ksum vol = {0, 0}, qvol = {0, 0};
    bool qv_known = true, trades_known = true;
    size_t j = i;
    for (; j < n && t[j] < e; j++) {
      if (in->high[j] > k.high) k.high = in->high[j];
      if (in->low[j] < k.low) k.low = in->low[j];
      cq__ksum_add(&vol, in->volume[j]);
      if (isnan(in->quote_volume[j]))
        qv_known = false;
      else
        cq__ksum_add(&qvol, in->quote_volume[j]);
      if (in->trades[j] < 0)
        trades_known = false;
      else if (trades_known && __builtin_add_overflow(k.trades, in->trades[j], &k.trades)) {
        out->len = keep;
        return cq_error_set(err, CQ_EOVERFLOW, "resample: trade count overflows at row %zu", j);
      }
      if (!in->closed[j]) k.closed = false;
    }
    k.close = in->close[j - 1];
    k.volume = cq__ksum_value(&vol);
    k.quote_volume = qv_known ? cq__ksum_value(&qvol) : NAN;
    if (!trades_known) k.trades = -1;
    uint64_t have = j - i;
    i = j;
    if (have < bars_in_bucket(from, into, b, e)) {
      if (rep->incomplete++ == 0) rep->first_incomplete = b;
      rep->last_incomplete = b;
      if (!keep_incomplete) continue;
      k.closed = false;
    }
    if ((rc = cq_candles_push(out, &k))) {
      out->len = keep;
      return cq_error_set(err, rc, "resample: storing bucket %llu: %s",
                          (unsigned long long)rep->buckets, cq_strerror(rc));
    }
    rep->buckets++;
  }
  return CQ_OK;
}
