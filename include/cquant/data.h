/* Market data in and out of files, and its quality: candle file readers (our CSV, Binance
 * public-data kline CSV, Binance REST kline JSON), CSV/JSON writers, quality checks,
 * resampling to a higher timeframe, and candles built from trades.
 *
 * Bad input never passes silently: a malformed row is an error naming the file, line and
 * column and what was expected, unless the caller asks to skip bad rows, in which case each
 * skipped row is listed.
 */
#ifndef CQUANT_DATA_H
#define CQUANT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cquant/core.h"
#include "cquant/model.h"
#include "cquant/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reading candle files ------------------------------------------------------------- */

typedef enum cq_candle_format {
  CQ_FMT_AUTO = 0,
  CQ_FMT_CSV,         /* open_time_ms,open,high,low,close,volume (header optional) */
  CQ_FMT_BINANCE_CSV, /* Binance public data: 12 columns, ms or µs open times */
  CQ_FMT_BINANCE_JSON /* the array Binance's REST klines endpoint returns */
} cq_candle_format;

const char *cq_candle_format_name(cq_candle_format f);

typedef struct cq_bad_row {
  uint64_t line;
  int column;
  char msg[200];
} cq_bad_row;

typedef struct cq_read_opts {
  cq_candle_format format; /* AUTO: detected from the content */
  cq_timeframe tf;         /* open times must lie on this grid */
  bool skip_bad;           /* skip malformed rows (listed in the report) instead of failing */
  bool lenient;            /* only syntax is checked: grid, price, OHLC and order rules are
                              left to cq_check_candles (for `cquant data check FILE`) */
  size_t max_listed;       /* bad rows listed in the report (0: 100) */
  cq_progress *progress;   /* optional; counts bytes */
} cq_read_opts;

typedef struct cq_read_report {
  cq_candle_format format; /* the format read */
  bool micros;             /* Binance CSV with microsecond times */
  uint64_t rows;           /* candles read */
  uint64_t duplicates;     /* rows repeating the previous open time with the same values */
  uint64_t bad;            /* rows skipped (skip_bad) */
  cq_bad_row *listed;      /* the first bad rows (malloc'd; cq_read_report_release) */
  size_t nlisted;
} cq_read_report;

void cq_read_report_release(cq_read_report *r);

/* Reads every candle of a file into out (appended). Rows must be in time order; a row
 * that repeats the previous open time with identical values is counted as a duplicate and
 * dropped, with other values it is an error. On error, out holds what it held before. */
CQ_NODISCARD int cq_read_candles_file(const char *path, const cq_read_opts *opts, cq_candles *out,
                                      cq_read_report *rep, cq_error *err);
/* The same over a buffer; `name` is used in messages. */
CQ_NODISCARD int cq_read_candles_buf(const char *name, const char *buf, size_t len,
                                     const cq_read_opts *opts, cq_candles *out, cq_read_report *rep,
                                     cq_error *err);

/* ---- importing into a store --------------------------------------------------------- */

typedef struct cq_import_report {
  cq_read_report read;   /* what the file held */
  cq_write_report write; /* what the store did with it */
} cq_import_report;

/* Reads a candle file and writes it to the store as series `key`, all in one transaction:
 * on any error (a bad row without skip_bad, a store failure) nothing is written. opts->tf is
 * taken from the key. rep->read.listed is the caller's to release
 * (cq_read_report_release). */
CQ_NODISCARD int cq_import_candles_file(cq_store *s, const cq_series_key *key, const char *path,
                                        const cq_read_opts *opts, cq_import_report *rep,
                                        cq_error *err);

/* ---- writing ------------------------------------------------------------------------- */

/* Our CSV (with header) or a JSON array of objects; values in their shortest exact form. */
CQ_NODISCARD int cq_write_candles_csv(FILE *f, const cq_candles *c, cq_error *err);
CQ_NODISCARD int cq_write_candles_json(FILE *f, const cq_candles *c, cq_error *err);

/* ---- quality ------------------------------------------------------------------------- */

/* cq_check_candles looks at a series as it came from a file, a venue or a store: rows may be
 * unsorted, repeated or off the grid, and every kind below is checked independently. Exact
 * definitions (docs/internals/data.md):
 *   GAP         between two neighbouring distinct buckets in time order (the floors of the
 *               open times, sorted), the buckets missing from the grid; one issue per run;
 *               index: the row after the gap.
 *   DUPLICATE   an open time held by more than one row; one issue per time; index: the
 *               second row holding it (row order).
 *   UNORDERED   a row whose open time is earlier than the row before it.
 *   MISALIGNED  an open time that is not the start of a bucket of tf.
 *   OHLC        with four finite prices, high < max(open, close), low > min(open, close) or
 *               high < low.
 *   NONPOSITIVE a price that is not a finite number > 0.
 *   NEGATIVE_VOLUME  a volume that is not a finite number >= 0.
 *   ZERO_VOLUME_RUN  at least min_zero_run consecutive rows with volume exactly 0; index: the
 *               first row of the run.
 *   OUTLIER     r = ln(close[i] / close[i-1]) for each row whose open time is the bucket right
 *               after the previous row's (adjacent bars, both closes positive and finite);
 *               z = 0.6745 * |r - median| / MAD over all such returns; when MAD is 0 (most
 *               returns equal, as in a quiet market), z = |r - median| / (1.2533 * mean
 *               absolute deviation from the median); when that is 0 too, no outliers. */
typedef enum cq_issue_kind {
  CQ_ISSUE_GAP = 0,         /* bars missing from the grid: [time, time2] is the missing range */
  CQ_ISSUE_DUPLICATE,       /* an open time that appears more than once */
  CQ_ISSUE_UNORDERED,       /* an open time earlier than the one before it */
  CQ_ISSUE_MISALIGNED,      /* an open time not on the timeframe grid */
  CQ_ISSUE_OHLC,            /* high < max(open, close), low > min(open, close) or high < low */
  CQ_ISSUE_NONPOSITIVE,     /* a price <= 0 (or not finite) */
  CQ_ISSUE_NEGATIVE_VOLUME, /* volume < 0 (or not finite) */
  CQ_ISSUE_ZERO_VOLUME_RUN, /* at least min_zero_run consecutive bars with zero volume */
  CQ_ISSUE_OUTLIER,         /* a close-to-close log return with robust z-score over the limit */
  CQ_ISSUE_KIND_COUNT_
} cq_issue_kind;

/* "gap", "duplicate", "unordered", "misaligned", "ohlc", "nonpositive", "negative_volume",
 * "zero_volume_run", "outlier"; "unknown" for anything else. Never NULL. */
const char *cq_issue_kind_name(cq_issue_kind k);

typedef struct cq_issue {
  cq_issue_kind kind;
  size_t index;   /* row in the candles checked */
  cq_time time;   /* open time of the row (gaps: first missing open time) */
  cq_time time2;  /* gaps and zero-volume runs: the last open time of the range; others: time */
  uint64_t count; /* gaps: bars missing; runs: bars in the run; duplicates: rows holding the
                     time; others 1 */
  double value;   /* outliers: the robust z-score; others 0 */
} cq_issue;

typedef struct cq_check_opts {
  cq_timeframe tf;
  size_t min_zero_run; /* 0: 10 bars */
  double outlier_z;    /* 0: 12 (robust z on log returns: 0.6745 * |r - median| / MAD);
                          negative: no outlier check */
  size_t max_issues;   /* issues kept in the list (counts stay complete); 0: 1000 */
} cq_check_opts;

typedef struct cq_check_report {
  uint64_t rows;
  uint64_t counts[CQ_ISSUE_KIND_COUNT_]; /* issues of each kind (gaps: runs; see missing) */
  uint64_t missing;                      /* bars missing in all gaps */
  cq_issue *issues;                      /* malloc'd; the first max_issues in row order
                                            (then kind order within a row) */
  size_t nissues;
  bool truncated; /* more issues than max_issues */
} cq_check_report;

/* Checks c (not modified) and fills rep (cleared first; release with
 * cq_check_report_release, also after an error). CQ_EINVAL for a bad timeframe or
 * option, CQ_ENOMEM. Time O(n) for sorted input (O(n log n) otherwise), extra memory O(n). */
CQ_NODISCARD int cq_check_candles(const cq_candles *c, const cq_check_opts *opts,
                                  cq_check_report *rep, cq_error *err);
/* Issues found in total (every kind). */
uint64_t cq_check_report_total(const cq_check_report *rep);
void cq_check_report_release(cq_check_report *rep);

/* ---- resampling and aggregation ------------------------------------------------------ */

typedef struct cq_resample_report {
  uint64_t buckets;    /* candles written to out */
  uint64_t incomplete; /* buckets that lack source bars (kept only with keep_incomplete) */
  cq_time first_incomplete, last_incomplete; /* open times, when incomplete > 0 */
} cq_resample_report;

/* Aggregates candles of timeframe `from` (sorted, distinct open times on the `from` grid)
 * into timeframe `into` (which `from` must divide), appending to out: open of the first bar,
 * highest high, lowest low, close of the last, summed volumes and trade counts. Volumes are
 * summed with Neumaier's compensated summation: the error stays within about one rounding
 * of the exact sum whatever the number of bars (a naive sum drifts with it). quote_volume is
 * NaN if any source bar lacks it, trades -1 if any source bar lacks it.
 *
 * A bucket holding fewer source bars than it spans (a bar missing inside, or the first and
 * last buckets of a range that starts or ends mid-bucket; months span 28 to 31 days) is
 * incomplete: counted in rep, left out unless keep_incomplete, in which case it is written
 * with closed = false. A complete bucket is closed when all its source bars are. Nothing is
 * invented for a bucket with no source bars.
 *
 * CQ_EINVAL: a bad timeframe, `from` not dividing `into` ("1w does not divide 1M"), a row
 * out of order, repeated or off the grid (the message names the row), in == out. CQ_ELIMIT /
 * CQ_ENOMEM from out. On error, out holds what it held before; rep may be partly filled. */
CQ_NODISCARD int cq_resample(const cq_candles *in, cq_timeframe from, cq_timeframe into,
                             bool keep_incomplete, cq_candles *out, cq_resample_report *rep,
                             cq_error *err);

/* Time bars from trades, one trade at a time: the live pipeline feeds it trades as they come
 * and the batch cq_aggregate_trades is built on it, so both give the same numbers.
 *
 * Prices and quantities stay exact: OHLC are trade prices; volume (Σ qty) and quote volume
 * (Σ price × qty) are kept as exact 128-bit mantissas at a common scale (the largest scale
 * seen, trailing zeros of each trade ignored) and turned into the nearest double only when a
 * bar is emitted. Caller-owned; it allocates nothing and needs no release; copy it to keep a
 * snapshot. */
__extension__ typedef __int128 cq__i128;

typedef struct cq_bar_builder {
  cq_timeframe tf;
  bool forming;       /* a bar has trades */
  cq_time start, end; /* the forming bar's bucket, [start, end) */
  cq_time last;       /* time of the last trade added (INT64_MIN: none) */
  cq_time min_time;   /* trades before this fall in a bar already emitted closed */
  cq_dec open, high, low, close;
  int64_t trades;
  uint8_t vol_scale, quote_scale;
  cq__i128 vol, quote; /* Σ qty * 10^vol_scale, Σ price × qty * 10^quote_scale */
} cq_bar_builder;

/* CQ_EINVAL for a timeframe out of range (n = 0, unknown unit). */
CQ_NODISCARD int cq_bar_builder_init(cq_bar_builder *b, cq_timeframe tf, cq_error *err);

/* Adds a trade. When it falls in a later bucket than the forming bar, that bar is complete:
 * it is written to *closed_out with closed = true and *emitted is set (otherwise *emitted is
 * false and *closed_out untouched). Errors, after which the builder is as it was and
 * *emitted is false:
 *   CQ_EINVAL    a trade earlier than the one before it, or in a bar already emitted closed
 *                by a flush; a price or quantity <= 0 or with an invalid scale;
 *   CQ_EOVERFLOW an exact sum no longer fits 128 bits at its scale. */
CQ_NODISCARD int cq_bar_builder_add(cq_bar_builder *b, const cq_trade *t, cq_candle *closed_out,
                                    bool *emitted, cq_error *err);

/* Emits the forming bar, if any, into *out (*emitted says whether there was one). It is
 * closed when its end is at or before `watermark` (the time up to which all trades are
 * known); the builder then starts afresh and refuses later trades in that bar. Otherwise
 * it goes out with closed = false as a snapshot and keeps forming: the same bar will be
 * emitted again, updated. */
void cq_bar_builder_flush(cq_bar_builder *b, cq_time watermark, cq_candle *out, bool *emitted);

/* Builds time bars from trades (in time order) with a cq_bar_builder, appending them to out:
 * OHLC from trade prices, volume and quote volume summed exactly in decimal, trade count.
 * Bars with no trades are not emitted. The last bar is flushed with `watermark`: closed when
 * its end <= watermark, otherwise left open (closed = false). Errors as for
 * cq_bar_builder_add (the message names the trade's index) and from out; on error, out holds
 * what it held before. */
CQ_NODISCARD int cq_aggregate_trades(const cq_trades *t, cq_timeframe tf, cq_time watermark,
                                     cq_candles *out, cq_error *err);

/* ---- synthetic markets ------------------------------------------------------------------
 * A seeded generator of realistic candles, for backtests and demos without market data:
 *   - log returns r_t = sigma_t z_t with GARCH(1,1) variance (volatility clustering):
 *     sigma2_t = w + a r_{t-1}^2 + b sigma2_{t-1}, a = 0.06, b = 0.92, w set so the
 *     long-run variance is annual_vol^2 per year (365 days of trading);
 *   - z Student-t with 4 degrees of freedom, scaled to unit variance (fat tails);
 *   - rare gaps: with probability gap_rate a bar opens 4..12 sigma away from the last close;
 *   - high and low drawn exactly from the range of a Brownian bridge from open to close;
 *   - volume: a U-shape over the UTC day (busiest around midnight UTC, quietest at noon),
 *     rising with |r_t|, with log-normal noise; quote volume and trade count follow;
 *   - prices on a tick chosen from the start price (cq_synth_tick), volumes on 0.00001.
 * Deterministic for a seed on every platform: its own PRNG (xoshiro256** seeded by
 * splitmix64) and samplers using only + - * / sqrt log exp, which IEEE 754 and the C library
 * give the same everywhere we build. */
typedef struct cq_synth_opts {
  cq_time start;     /* open time of the first bar, on the tf grid */
  cq_timeframe tf;   /* a fixed length: seconds to weeks (not months) */
  size_t bars;       /* 1 .. CQ_SYNTH_MAX_BARS */
  double price;      /* start price, 1e-6 .. 1e9 */
  double annual_vol; /* long-run annualized volatility of log returns, 0 .. 10 (0.6 = 60%) */
  double drift;      /* annual drift of the log price, -10 .. 10 */
  double gap_rate;   /* chance that a bar opens with a jump, 0 .. 0.5 */
  uint64_t seed;
} cq_synth_opts;

enum { CQ_SYNTH_MAX_BARS = 50000000 };

/* start 2024-01-01, 1m, 1440 bars, price 100, annual_vol 0.6, drift 0, gap_rate 0.0005,
 * seed 1. */
void cq_synth_defaults(cq_synth_opts *o);

/* Appends o->bars candles to out. CQ_EINVAL, naming the option, for a bad one; CQ_ENOMEM or
 * CQ_ELIMIT from out. On error, out holds what it held before. */
CQ_NODISCARD int cq_data_synth(const cq_synth_opts *o, cq_candles *out, cq_error *err);

/* The tick for a start price: 0.01 from 100 up, 0.0001 from 1, 0.000001 from 0.01, else
 * 0.00000001. */
cq_dec cq_synth_tick(double price);

/* The venue rules of a synthetic symbol (BASE/QUOTE): tick from o->price, lot and minimum
 * quantity 0.00001, minimum notional 5, trading. CQ_EPARSE for a bad symbol. */
CQ_NODISCARD int cq_synth_instrument(const cq_synth_opts *o, const char *venue, const char *symbol,
                                     cq_instrument *out, cq_error *err);

#ifdef __cplusplus
}
#endif
#endif
