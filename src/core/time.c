/* Calendar arithmetic, ISO-8601, epoch-ms, durations and relative points in time. */
#include <stdio.h>
#include <string.h>

#include "cquant/core/strutil.h"
#include "cquant/core/time.h"
#include "time_internal.h"

int64_t cq__floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

bool cq_is_leap_year(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned cq_days_in_month(int64_t y, unsigned m) {
  static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  return m == 2 && cq_is_leap_year(y) ? 29u : dim[m - 1];
}

/* Proleptic Gregorian day count (after H. Hinnant's public-domain derivation). */
int64_t cq_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mm = (int64_t)m;
  const int64_t doy = (153 * (mm + (mm > 2 ? -3 : 9)) + 2) / 5 + (int64_t)d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void cq_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t dd = doy - (153 * mp + 2) / 5 + 1;
  const int64_t mo = mp < 10 ? mp + 3 : mp - 9;
  *y = yoe + era * 400 + (mo <= 2);
  *m = (unsigned)mo;
  *d = (unsigned)dd;
}

void cq_time_to_civil(cq_time t, cq_civil *out) {
  int64_t days = cq__floordiv(t, CQ_NS_PER_DAY);
  int64_t rem = t % CQ_NS_PER_DAY; /* not t - days * DAY: that overflows near INT64_MIN */
  if (rem < 0) rem += CQ_NS_PER_DAY;
  int64_t y;
  unsigned m, d;
  cq_civil_from_days(days, &y, &m, &d);
  out->year = (int32_t)y;
  out->month = (int32_t)m;
  out->day = (int32_t)d;
  out->hour = (int32_t)(rem / CQ_NS_PER_HOUR);
  rem %= CQ_NS_PER_HOUR;
  out->minute = (int32_t)(rem / CQ_NS_PER_MIN);
  rem %= CQ_NS_PER_MIN;
  out->second = (int32_t)(rem / CQ_NS_PER_SEC);
  out->nanos = (int32_t)(rem % CQ_NS_PER_SEC);
}

int cq_time_from_civil(const cq_civil *c, cq_time *out, cq_error *err) {
  if (c->month < 1 || c->month > 12)
    return cq_error_set(err, CQ_EINVAL, "month %d is not 1..12", c->month);
  if (c->day < 1 || (unsigned)c->day > cq_days_in_month(c->year, (unsigned)c->month))
    return cq_error_set(err, CQ_EINVAL, "day %d does not exist in %04d-%02d", c->day, c->year,
                        c->month);
  if (c->hour < 0 || c->hour > 23) return cq_error_set(err, CQ_EINVAL, "hour %d is not 0..23", c->hour);
  if (c->minute < 0 || c->minute > 59)
    return cq_error_set(err, CQ_EINVAL, "minute %d is not 0..59", c->minute);
  if (c->second < 0 || c->second > 59)
    return cq_error_set(err, CQ_EINVAL, "second %d is not 0..59", c->second);
  if (c->nanos < 0 || c->nanos > 999999999)
    return cq_error_set(err, CQ_EINVAL, "nanoseconds %d out of range", c->nanos);
  int64_t days = cq_days_from_civil(c->year, (unsigned)c->month, (unsigned)c->day);
  int64_t t;
  int64_t tod = c->hour * CQ_NS_PER_HOUR + c->minute * CQ_NS_PER_MIN + c->second * CQ_NS_PER_SEC +
                c->nanos;
  if (__builtin_mul_overflow(days, CQ_NS_PER_DAY, &t) || __builtin_add_overflow(t, tod, &t))
    return cq_error_set(err, CQ_EOVERFLOW, "%04d-%02d-%02d is outside the representable range",
                        c->year, c->month, c->day);
  *out = t;
  return CQ_OK;
}

int cq_time_add_months(cq_time t, int64_t n, cq_time *out, cq_error *err) {
  cq_civil c;
  cq_time_to_civil(t, &c);
  if (n > INT64_C(12000) || n < -INT64_C(12000))
    return cq_error_set(err, CQ_EOVERFLOW, "%lld months is outside the representable range",
                        (long long)n);
  int64_t idx = (int64_t)c.year * 12 + (c.month - 1) + n;
  int64_t y = cq__floordiv(idx, 12);
  c.year = (int32_t)y;
  c.month = (int32_t)(idx - y * 12 + 1);
  unsigned dim = cq_days_in_month(c.year, (unsigned)c.month);
  if ((unsigned)c.day > dim) c.day = (int32_t)dim;
  return cq_time_from_civil(&c, out, err);
}

/* ---- ISO-8601 ----------------------------------------------------------------------- */

typedef struct scan {
  const char *s;
  size_t pos;
  const char *what; /* the kind of input, for messages */
} scan;

static int scan_fail(const scan *sc, cq_error *err, const char *expected) {
  char c = sc->s[sc->pos];
  if (c)
    cq_error_set(err, CQ_EPARSE, "%s \"%s\": expected %s at character %zu, got '%c'", sc->what,
                 sc->s, expected, sc->pos + 1, c);
  else
    cq_error_set(err, CQ_EPARSE, "%s \"%s\": expected %s at character %zu, got the end",
                 sc->what, sc->s, expected, sc->pos + 1);
  cq_error_at(err, NULL, 0, (int)(sc->pos + 1));
  return CQ_EPARSE;
}

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* Exactly `width` digits. */
static int scan_fixed(scan *sc, int width, int32_t *out, const char *expected, cq_error *err) {
  int32_t v = 0;
  for (int i = 0; i < width; i++) {
    char c = sc->s[sc->pos];
    if (!is_digit(c)) return scan_fail(sc, err, expected);
    v = v * 10 + (c - '0');
    sc->pos++;
  }
  *out = v;
  return CQ_OK;
}

static int scan_char(scan *sc, char want, const char *expected, cq_error *err) {
  if (sc->s[sc->pos] != want) return scan_fail(sc, err, expected);
  sc->pos++;
  return CQ_OK;
}

int cq_time_parse_iso(const char *s, cq_time *out, cq_error *err) {
  scan sc = {s, 0, "time"};
  cq_civil c = {0};
  int rc;
  if ((rc = scan_fixed(&sc, 4, &c.year, "a 4-digit year", err)) ||
      (rc = scan_char(&sc, '-', "'-'", err)) ||
      (rc = scan_fixed(&sc, 2, &c.month, "a 2-digit month", err)) ||
      (rc = scan_char(&sc, '-', "'-'", err)) ||
      (rc = scan_fixed(&sc, 2, &c.day, "a 2-digit day", err)))
    return rc;
  if (s[sc.pos] == 'T' || s[sc.pos] == 't' || (s[sc.pos] == ' ' && is_digit(s[sc.pos + 1]))) {
    sc.pos++;
    if ((rc = scan_fixed(&sc, 2, &c.hour, "a 2-digit hour", err)) ||
        (rc = scan_char(&sc, ':', "':'", err)) ||
        (rc = scan_fixed(&sc, 2, &c.minute, "2-digit minutes", err)))
      return rc;
    if (s[sc.pos] == ':') {
      sc.pos++;
      if ((rc = scan_fixed(&sc, 2, &c.second, "2-digit seconds", err))) return rc;
      if (s[sc.pos] == '.' || s[sc.pos] == ',') {
        sc.pos++;
        if (!is_digit(s[sc.pos])) return scan_fail(&sc, err, "fraction digits");
        int32_t frac = 0;
        int ndig = 0;
        while (is_digit(s[sc.pos])) {
          if (ndig == 9) return scan_fail(&sc, err, "at most 9 fraction digits");
          frac = frac * 10 + (s[sc.pos] - '0');
          ndig++;
          sc.pos++;
        }
        for (; ndig < 9; ndig++) frac *= 10;
        c.nanos = frac;
      }
    }
  }
  int64_t offset_ns = 0;
  char z = s[sc.pos];
  if (z == 'Z' || z == 'z') {
    sc.pos++;
  } else if (z == '+' || z == '-') {
    sc.pos++;
    int32_t oh = 0, om = 0;
    if ((rc = scan_fixed(&sc, 2, &oh, "a 2-digit UTC offset hour", err))) return rc;
    if (s[sc.pos] == ':') {
      sc.pos++;
      if ((rc = scan_fixed(&sc, 2, &om, "2-digit UTC offset minutes", err))) return rc;
    } else if (is_digit(s[sc.pos])) {
      if ((rc = scan_fixed(&sc, 2, &om, "2-digit UTC offset minutes", err))) return rc;
    }
    if (oh > 23 || om > 59) {
      sc.pos--;
      return scan_fail(&sc, err, "a UTC offset within ±23:59");
    }
    offset_ns = (int64_t)oh * CQ_NS_PER_HOUR + (int64_t)om * CQ_NS_PER_MIN;
    if (z == '-') offset_ns = -offset_ns;
  }
  if (s[sc.pos] != '\0') return scan_fail(&sc, err, "the end of the time");
  cq_time t = 0;
  if ((rc = cq_time_from_civil(&c, &t, err))) {
    cq_error_prefix(err, "time \"%s\": ", s);
    return rc;
  }
  if (__builtin_sub_overflow(t, offset_ns, &t))
    return cq_error_set(err, CQ_EOVERFLOW, "time \"%s\" is outside the representable range", s);
  *out = t;
  return CQ_OK;
}

size_t cq_time_format_iso(cq_time t, int frac_digits, char *buf, size_t n) {
  cq_civil c;
  cq_time_to_civil(t, &c);
  int r;
  if (frac_digits == 3 || frac_digits == 6 || frac_digits == 9) {
    int32_t div = frac_digits == 3 ? 1000000 : frac_digits == 6 ? 1000 : 1;
    r = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%0*dZ", c.year, c.month, c.day, c.hour,
                 c.minute, c.second, frac_digits, c.nanos / div);
  } else {
    r = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
                 c.minute, c.second);
  }
  return r < 0 ? 0 : (size_t)r;
}

int cq_time_parse_epoch_ms(const char *s, cq_time *out, cq_error *err) {
  scan sc = {s, 0, "epoch milliseconds"};
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    sc.pos++;
  }
  if (!is_digit(s[sc.pos])) return scan_fail(&sc, err, "a digit");
  int64_t ms = 0;
  while (is_digit(s[sc.pos])) {
    if (__builtin_mul_overflow(ms, 10, &ms) || __builtin_add_overflow(ms, s[sc.pos] - '0', &ms))
      return cq_error_set(err, CQ_EOVERFLOW, "epoch milliseconds \"%s\" out of range", s);
    sc.pos++;
  }
  if (s[sc.pos] != '\0') return scan_fail(&sc, err, "a digit");
  if (neg) ms = -ms;
  int64_t t;
  if (__builtin_mul_overflow(ms, CQ_NS_PER_MS, &t))
    return cq_error_set(err, CQ_EOVERFLOW, "epoch milliseconds \"%s\" out of range", s);
  *out = t;
  return CQ_OK;
}

/* ---- durations ---------------------------------------------------------------------- */

typedef struct unit_def {
  const char *name;
  int64_t ns; /* 0: calendar unit (months, years) */
} unit_def;

/* Longest names first so "ms" wins over "m". */
static const unit_def duration_units[] = {
    {"ns", 1},         {"us", CQ_NS_PER_US},    {"ms", CQ_NS_PER_MS},
    {"s", CQ_NS_PER_SEC}, {"m", CQ_NS_PER_MIN}, {"h", CQ_NS_PER_HOUR},
    {"d", CQ_NS_PER_DAY}, {"w", CQ_NS_PER_WEEK}, {"M", 0},
    {"y", 0},
};

/* Parses "<int><unit>" sequences. Calendar units (M, y) are returned in *months when months
 * is non-NULL and refused otherwise. */
static int parse_duration_parts(const char *s, const char *what, int64_t *out_ns, int64_t *months,
                                cq_error *err) {
  scan sc = {s, 0, what};
  int64_t total = 0, mon = 0;
  if (!s[0]) return scan_fail(&sc, err, "a number and a unit such as 500ms, 5s, 2m, 12h or 30d");
  while (s[sc.pos]) {
    if (!is_digit(s[sc.pos])) return scan_fail(&sc, err, "a digit");
    int64_t v = 0;
    while (is_digit(s[sc.pos])) {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s[sc.pos] - '0', &v))
        return cq_error_set(err, CQ_EOVERFLOW, "%s \"%s\" out of range", what, s);
      sc.pos++;
    }
    const unit_def *u = NULL;
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
      size_t len = strlen(duration_units[i].name);
      if (!strncmp(s + sc.pos, duration_units[i].name, len)) {
        u = &duration_units[i];
        sc.pos += len;
        break;
      }
    }
    if (!u) return scan_fail(&sc, err, "a unit (ns, us, ms, s, m, h, d, w)");
    if (u->ns == 0) {
      if (!months) {
        sc.pos--;
        return scan_fail(&sc, err, "a fixed-length unit (ns, us, ms, s, m, h, d, w)");
      }
      int64_t add = u->name[0] == 'y' ? v * 12 : v;
      if (v > 100000 || __builtin_add_overflow(mon, add, &mon))
        return cq_error_set(err, CQ_EOVERFLOW, "%s \"%s\" out of range", what, s);
      continue;
    }
    int64_t part;
    if (__builtin_mul_overflow(v, u->ns, &part) || __builtin_add_overflow(total, part, &total))
      return cq_error_set(err, CQ_EOVERFLOW, "%s \"%s\" out of range", what, s);
  }
  *out_ns = total;
  if (months) *months = mon;
  return CQ_OK;
}

int cq_duration_parse(const char *s, int64_t *out_ns, cq_error *err) {
  return parse_duration_parts(s, "duration", out_ns, NULL, err);
}

size_t cq_duration_format(int64_t ns, char *buf, size_t n) {
  static const unit_def fmt_units[] = {
      {"d", CQ_NS_PER_DAY}, {"h", CQ_NS_PER_HOUR}, {"m", CQ_NS_PER_MIN}, {"s", CQ_NS_PER_SEC},
      {"ms", CQ_NS_PER_MS}, {"us", CQ_NS_PER_US}, {"ns", 1},
  };
  char tmp[96];
  size_t len = 0;
  uint64_t v;
  if (ns < 0) {
    tmp[len++] = '-';
    v = (uint64_t)(-(ns + 1)) + 1u;
  } else {
    v = (uint64_t)ns;
  }
  if (v == 0) {
    memcpy(tmp + len, "0s", 3);
    len += 2;
  }
  for (size_t i = 0; i < sizeof fmt_units / sizeof fmt_units[0] && v; i++) {
    uint64_t u = (uint64_t)fmt_units[i].ns;
    if (v >= u) {
      int r = snprintf(tmp + len, sizeof tmp - len, "%llu%s", (unsigned long long)(v / u),
                       fmt_units[i].name);
      if (r > 0) len += (size_t)r;
      v %= u;
    }
  }
  tmp[len] = '\0';
  return cq_strlcpy(buf, tmp, n);
}

int cq_time_parse_point(const char *s, cq_time now, cq_time *out, cq_error *err) {
  if (!strcmp(s, "now")) {
    *out = now;
    return CQ_OK;
  }
  size_t len = strlen(s);
  size_t digits = strspn(s, "0123456789");
  if (len >= 5 && s[4] == '-' && digits == 4) return cq_time_parse_iso(s, out, err);
  if (digits == len && len > 0) return cq_time_parse_epoch_ms(s, out, err);
  if (digits > 0) {
    int64_t back_ns = 0, months = 0;
    int rc = parse_duration_parts(s, "time", &back_ns, &months, err);
    if (rc) {
      cq_error_prefix(err, "a time is an ISO-8601 date, epoch ms, \"now\" or a duration back "
                           "from now such as 2y, 180d, 12h: ");
      return rc;
    }
    cq_time t = now;
    if (months && (rc = cq_time_add_months(t, -months, &t, err))) return rc;
    if (__builtin_sub_overflow(t, back_ns, &t))
      return cq_error_set(err, CQ_EOVERFLOW, "time \"%s\" is outside the representable range", s);
    *out = t;
    return CQ_OK;
  }
  return cq_error_set(err, CQ_EPARSE,
                      "time \"%s\": expected an ISO-8601 date or time (2024-03-01, "
                      "2024-03-01T12:00:00Z), epoch milliseconds, \"now\", or a duration back "
                      "from now (2y, 180d, 12h)",
                      s);
}
