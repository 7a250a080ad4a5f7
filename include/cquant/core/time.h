/* Time: nanosecond UTC timestamps, clocks, ISO-8601 / epoch-ms / relative parsing and
 * formatting, durations, and timeframes with bucket alignment.
 *
 * Only src/core/clock.c reads the system time. Everything else is handed a cq_clock, so a
 * backtest is deterministic and replayable.
 */
#ifndef CQUANT_CORE_TIME_H
#define CQUANT_CORE_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Nanoseconds since 1970-01-01T00:00:00Z, UTC, no leap seconds. Covers years 1678..2261. */
typedef int64_t cq_time;

#define CQ_NS_PER_US INT64_C(1000)
#define CQ_NS_PER_MS INT64_C(1000000)
#define CQ_NS_PER_SEC INT64_C(1000000000)
#define CQ_NS_PER_MIN (60 * CQ_NS_PER_SEC)
#define CQ_NS_PER_HOUR (60 * CQ_NS_PER_MIN)
#define CQ_NS_PER_DAY (24 * CQ_NS_PER_HOUR)
#define CQ_NS_PER_WEEK (7 * CQ_NS_PER_DAY)

/* ---- clocks ------------------------------------------------------------------------- */

typedef enum cq_clock_kind { CQ_CLOCK_WALL = 1, CQ_CLOCK_SIM = 2 } cq_clock_kind;

/* One interface for the wall clock and the simulated clock. Caller-owned; initialise with
 * cq_clock_wall_init or cq_clock_sim_init. A simulated clock only moves forward. */
typedef struct cq_clock {
  cq_clock_kind kind;
  cq_time sim_now;
} cq_clock;

void cq_clock_wall_init(cq_clock *c);
void cq_clock_sim_init(cq_clock *c, cq_time start);

/* Current UTC time of the clock. */
cq_time cq_clock_now(const cq_clock *c);
/* A steady reading for measuring elapsed time (CLOCK_MONOTONIC for the wall clock; the
 * simulated time for a simulated clock). */
cq_time cq_clock_steady(const cq_clock *c);
/* Adapter for callbacks that take (void *ctx): ctx is a const cq_clock *. */
int64_t cq_clock_now_cb(void *clock);

/* Moves a simulated clock to t. CQ_ESTATE for a wall clock; CQ_EINVAL when t is earlier
 * than the clock's time (time never goes backwards). */
CQ_NODISCARD int cq_clock_sim_set(cq_clock *c, cq_time t, cq_error *err);
CQ_NODISCARD int cq_clock_sim_advance(cq_clock *c, cq_time dt, cq_error *err);

/* ---- calendar ----------------------------------------------------------------------- */

typedef struct cq_civil {
  int32_t year;   /* e.g. 2024 */
  int32_t month;  /* 1..12 */
  int32_t day;    /* 1..31 */
  int32_t hour, minute, second;
  int32_t nanos;  /* 0..999999999 */
} cq_civil;

void cq_time_to_civil(cq_time t, cq_civil *out);
/* CQ_EINVAL for a field out of range (Feb 30, hour 24...), CQ_EOVERFLOW outside cq_time. */
CQ_NODISCARD int cq_time_from_civil(const cq_civil *c, cq_time *out, cq_error *err);
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t cq_days_from_civil(int64_t y, unsigned m, unsigned d);
void cq_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
bool cq_is_leap_year(int64_t y);
unsigned cq_days_in_month(int64_t y, unsigned m);
/* t plus n calendar months, the day clamped to the target month's end (Jan 31 + 1 → Feb 28/29). */
CQ_NODISCARD int cq_time_add_months(cq_time t, int64_t n, cq_time *out, cq_error *err);

/* ---- parsing and formatting ---------------------------------------------------------- */

enum { CQ_TIME_STRMAX = 40 };

/* ISO-8601: "2024-03-01", "2024-03-01T12:30", "2024-03-01T12:30:05", fractions of a second
 * up to 9 digits, 'T' or ' ' between date and time, and "Z", "+02:00", "+0200", "-05" or
 * nothing (UTC) after. The whole string must be consumed. */
CQ_NODISCARD int cq_time_parse_iso(const char *s, cq_time *out, cq_error *err);
/* "2024-03-01T12:30:05.123Z" with frac_digits (0, 3, 6 or 9) fraction digits. Returns the
 * length written (buf is always NUL-terminated when n > 0). */
size_t cq_time_format_iso(cq_time t, int frac_digits, char *buf, size_t n);
/* Epoch milliseconds as an integer string ("1704067200000"). */
CQ_NODISCARD int cq_time_parse_epoch_ms(const char *s, cq_time *out, cq_error *err);

/* A duration: an integer and a unit, "250ns", "10us", "500ms", "5s", "2m", "12h", "180d",
 * "2w"; several may be chained ("1h30m"). Month and year are not fixed lengths and are
 * refused here (see cq_time_parse_point). */
CQ_NODISCARD int cq_duration_parse(const char *s, int64_t *out_ns, cq_error *err);
/* Shortest exact form: "1h30m", "500ms", "0s". */
size_t cq_duration_format(int64_t ns, char *buf, size_t n);

/* A point in time as the command line takes it (--from / --to): "now", an ISO-8601 date or
 * time, epoch milliseconds, or a duration back from `now` ("2y", "6M", "180d", "12h";
 * y and M are calendar years and months). */
CQ_NODISCARD int cq_time_parse_point(const char *s, cq_time now, cq_time *out, cq_error *err);

/* ---- timeframes --------------------------------------------------------------------- */

typedef enum cq_tf_unit {
  CQ_TF_SECOND = 0,
  CQ_TF_MINUTE,
  CQ_TF_HOUR,
  CQ_TF_DAY,
  CQ_TF_WEEK,
  CQ_TF_MONTH
} cq_tf_unit;

/* A bar length: n units, 1s .. 1M. Buckets are aligned to the Unix epoch for fixed-length
 * units, to Monday 00:00 UTC for weeks, and to calendar months (counted from year 0) for
 * months. */
typedef struct cq_timeframe {
  uint32_t n;
  cq_tf_unit unit;
} cq_timeframe;

/* "1s", "15s", "1m", "5m", "1h", "4h", "1d", "3d", "1w", "1M", "3M". 'm' is minutes and
 * 'M' months. n must be 1..CQ_TF_MAX_N (1..12 for months). */
enum { CQ_TF_MAX_N = 1000, CQ_TF_STRMAX = 16 };
CQ_NODISCARD int cq_timeframe_parse(const char *s, cq_timeframe *out, cq_error *err);
size_t cq_timeframe_format(cq_timeframe tf, char *buf, size_t n);
/* Length in ns; 0 for months (not fixed). */
int64_t cq_timeframe_ns(cq_timeframe tf);
/* Start of the bucket holding t. */
cq_time cq_timeframe_floor(cq_timeframe tf, cq_time t);
/* Start of the bucket after the one holding t. */
cq_time cq_timeframe_next(cq_timeframe tf, cq_time t);
bool cq_timeframe_is_aligned(cq_timeframe tf, cq_time t);
/* a divides b: every bucket of b is a whole number of buckets of a (1m into 4h, 1d into 1w,
 * 1d into 1M, but not 1w into 1M). */
bool cq_timeframe_divides(cq_timeframe a, cq_timeframe b);

#ifdef __cplusplus
}
#endif
#endif
