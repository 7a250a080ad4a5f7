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
  CQ_FMT_CSV,           /* open_time_ms,open,high,low,close,volume (header optional) */
  CQ_FMT_BINANCE_CSV,   /* Binance public data: 12 columns, ms or µs open times */
  CQ_FMT_BINANCE_JSON   /* the array Binance's REST klines endpoint returns */
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
  cq_candle_format format;  /* the format read */
  bool micros;              /* Binance CSV with microsecond times */
  uint64_t rows;            /* candles read */
  uint64_t duplicates;      /* rows repeating the previous open time with the same values */
  uint64_t bad;             /* rows skipped (skip_bad) */
  cq_bad_row *listed;       /* the first bad rows (malloc'd; cq_read_report_release) */
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
                                     const cq_read_opts *opts, cq_candles *out,
                                     cq_read_report *rep, cq_error *err);

/* ---- importing into a store --------------------------------------------------------- */

typedef struct cq_import_report {
  cq_read_report read;     /* what the file held */
  cq_write_report write;   /* what the store did with it */
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

typedef enum cq_issue_kind {
  CQ_ISSUE_GAP = 0,        /* bars missing from the grid: [time, time2] is the missing range */
  CQ_ISSUE_DUPLICATE,      /* an open time that appears more than once */
  CQ_ISSUE_UNORDERED,      /* an open time earlier than the one before it */
  CQ_ISSUE_MISALIGNED,     /* an open time not on the timeframe grid */
  CQ_ISSUE_OHLC,           /* high < max(open, close), low > min(open, close) or high < low */
  CQ_ISSUE_NONPOSITIVE,    /* a price <= 0 (or not finite) */
  CQ_ISSUE_NEGATIVE_VOLUME,/* volume < 0 (or not finite) */
  CQ_ISSUE_ZERO_VOLUME_RUN,/* at least min_zero_run consecutive bars with zero volume */
  CQ_ISSUE_OUTLIER,        /* a close-to-close log return with robust z-score over the limit */
  CQ_ISSUE_KIND_COUNT_
} cq_issue_kind;

const char *cq_issue_kind_name(cq_issue_kind k);

typedef struct cq_issue {
  cq_issue_kind kind;
  size_t index;   /* row in the candles checked */
  cq_time time;   /* open time of the row (gaps: first missing open time) */
  cq_time time2;  /* gaps and zero-volume runs: the last open time of the range */
  uint64_t count; /* gaps: bars missing; runs: bars in the run; duplicates: occurrences */
  double value;   /* outliers: the robust z-score; others 0 */
} cq_issue;

typedef struct cq_check_opts {
  cq_timeframe tf;
  size_t min_zero_run;   /* 0: 10 bars */
  double outlier_z;      /* 0: 12 (robust z on log returns: 0.6745 * |r - median| / MAD) */
  size_t max_issues;     /* issues kept in the list (counts stay complete); 0: 1000 */
} cq_check_opts;

typedef struct cq_check_report {
  uint64_t rows;
  uint64_t counts[CQ_ISSUE_KIND_COUNT_]; /* issues of each kind (gaps: runs; see missing) */
  uint64_t missing;                      /* bars missing in all gaps */
  cq_issue *issues;                      /* malloc'd, in row order */
  size_t nissues;
  bool truncated;                        /* more issues than max_issues */
} cq_check_report;

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

/* Aggregates candles of timeframe `from` (sorted, distinct open times) into timeframe `into`
 * (which `from` must divide): open of the first bar, highest high, lowest low, close of the
 * last, summed volumes and trade counts (compensated summation, so the sum is the correctly
 * rounded sum of the inputs). A bucket missing any source bar is incomplete: left out unless
 * keep_incomplete, in which case it is written with closed = false. Nothing is invented for
 * a bucket with no source bars. */
CQ_NODISCARD int cq_resample(const cq_candles *in, cq_timeframe from, cq_timeframe into,
                             bool keep_incomplete, cq_candles *out, cq_resample_report *rep,
                             cq_error *err);

/* Builds time bars from trades (in time order): OHLC from trade prices, volume and quote
 * volume summed exactly in decimal, trade count. Bars with no trades are not emitted. A bar
 * whose end is after `watermark` (the time up to which all trades are known) is left open
 * (closed = false). */
CQ_NODISCARD int cq_aggregate_trades(const cq_trades *t, cq_timeframe tf, cq_time watermark,
                                     cq_candles *out, cq_error *err);

#ifdef __cplusplus
}
#endif
#endif
