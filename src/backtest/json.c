/* The run as one JSON document (docs/reports.md has the schema).
 *
 * A small streaming writer into one growing buffer rather than a jansson tree: a run of a
 * million bars is five million numbers, and a tree would cost a node each. Keys come in a
 * fixed order and doubles in their shortest round-trip text, so the same result always
 * gives the same bytes. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/backtest.h"
#include "cquant/strategy.h"
#include "report_internal.h"

enum { JW_MAX_DEPTH = 16 };

/* The writer: out of memory is remembered and reported once, at the end. */
typedef struct jw {
  char *buf;
  size_t len, cap;
  bool oom;
  int depth;
  bool comma[JW_MAX_DEPTH]; /* the next item at this depth needs a ',' before it */
  bool after_key;           /* a value follows a key: no ',' */
} jw;

static bool jw_grow(jw *w, size_t more) {
  if (w->oom) return false;
  if (w->len + more + 1 <= w->cap) return true;
  size_t cap = w->cap ? w->cap : 4096;
  while (cap < w->len + more + 1) {
    if (cap > SIZE_MAX / 2) return !(w->oom = true);
    cap *= 2;
  }
  char *p = realloc(w->buf, cap);
  if (!p) return !(w->oom = true);
  w->buf = p;
  w->cap = cap;
  return true;
}

static void jw_raw(jw *w, const char *s, size_t n) {
  if (!jw_grow(w, n)) return;
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

static void jw_put(jw *w, const char *s) {
  jw_raw(w, s, strlen(s));
}

/* Before any value or key: the separator its container needs. */
static void jw_item(jw *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->depth > 0 && w->comma[w->depth - 1]) jw_raw(w, ",", 1);
  if (w->depth > 0) w->comma[w->depth - 1] = true;
}

static void jw_null(jw *w) {
  jw_item(w);
  jw_put(w, "null");
}

static void jw_open(jw *w, char c) {
  jw_item(w);
  jw_raw(w, &c, 1);
  /* the document's nesting is fixed by this file and never deeper than a few levels */
  if (w->depth < JW_MAX_DEPTH) w->comma[w->depth++] = false;
}

static void jw_close(jw *w, char c) {
  if (w->depth > 0) w->depth--;
  jw_raw(w, &c, 1);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (c >= 0xF5 || len == 0 || len > n) return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  /* overlong forms, surrogates and code points past U+10FFFF */
  if (c == 0xE0 && s[1] < 0xA0) return 0;
  if (c == 0xED && s[1] >= 0xA0) return 0;
  if (c == 0xF0 && s[1] < 0x90) return 0;
  if (c == 0xF4 && s[1] >= 0x90) return 0;
  return len;
}

/* A JSON string: quotes, backslashes and control characters escaped; bytes that are not
 * UTF-8 become U+FFFD so the document always parses. */
static void jw_str(jw *w, const char *s) {
  jw_item(w);
  jw_raw(w, "\"", 1);
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    const char *esc = c == '"'    ? "\\\""
                      : c == '\\' ? "\\\\"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                      : c == '\t' ? "\\t"
                      : c == '\b' ? "\\b"
                      : c == '\f' ? "\\f"
                                  : NULL;
    if (esc) {
      jw_put(w, esc);
      i++;
    } else if (c < 0x20) {
      char u[8];
      snprintf(u, sizeof u, "\\u%04x", c);
      jw_put(w, u);
      i++;
    } else if (c < 0x80) {
      jw_raw(w, (const char *)p + i, 1);
      i++;
    } else {
      size_t len = utf8_len(p + i, n - i);
      jw_raw(w, len ? (const char *)p + i : "\xEF\xBF\xBD", len ? len : 3);
      i += len ? len : 1;
    }
  }
  jw_raw(w, "\"", 1);
}

static void jw_key(jw *w, const char *k) {
  jw_str(w, k);
  jw_raw(w, ":", 1);
  w->after_key = true;
}

/* ---- shortest doubles, fast ---------------------------------------------------------------
 *
 * cq_format_double tries "%.*f" with 0, 1, 2... decimals until the text parses back to the
 * same double: up to 20 printf and strtod calls a number, too slow for millions of points.
 * This gives the same text with one pass of integer arithmetic. v = m * 2^-s exactly; a
 * decimal parses back to v when it lies inside v's rounding interval, (2m +- 1) * 2^-(s+1)
 * (ends included when m is even: ties go to the even mantissa). The fewest decimals d with
 * a multiple of 10^-d inside that interval is the d cq_format_double stops at, because the
 * nearest multiple, which "%.*f" prints, is then inside too. That holds while the interval
 * is symmetric, so powers of two (whose lower neighbour is nearer) and values outside the
 * plain-notation range go to cq_format_double itself. */

typedef unsigned __int128 u128;

/* The digits of n with d of them after the point ("1234", 2 -> "12.34"; 5, 3 -> "0.005"). */
static size_t put_fixed(u128 n, int d, bool neg, char *buf) {
  char digits[48];
  int len = 0;
  while (n > UINT64_MAX) { /* 128-bit division is slow: only for the digits past 2^64 */
    digits[len++] = (char)('0' + (int)(n % 10));
    n /= 10;
  }
  uint64_t n64 = (uint64_t)n;
  do {
    digits[len++] = (char)('0' + (int)(n64 % 10));
    n64 /= 10;
  } while (n64 > 0);
  while (len <= d) digits[len++] = '0'; /* at least one digit before the point */
  size_t k = 0;
  if (neg) buf[k++] = '-';
  for (int i = len - 1; i >= 0; i--) {
    buf[k++] = digits[i];
    if (i == d && d > 0) buf[k++] = '.';
  }
  buf[k] = '\0';
  return k;
}

size_t cq__bt_format_double(double v, char *buf, size_t n) {
  double a = fabs(v);
  if (n < 48 || !(a >= 1e-12 && a < 1e15)) return cq_format_double(v, buf, n);
  int exp2 = 0;
  uint64_t m = (uint64_t)ldexp(frexp(a, &exp2), 53); /* a = m * 2^(exp2 - 53) exactly */
  int s = 53 - exp2;                                 /* 3 <= s <= 93 in this range */
  if (m == UINT64_C(1) << 52) return cq_format_double(v, buf, n);
  bool even = (m & 1) == 0;
  u128 lo = 2 * (u128)m - 1, hi = 2 * (u128)m + 1, unit = (u128)1 << (s + 1);
  u128 pow10 = 1;
  for (int d = 0; d <= 20; d++, lo *= 10, hi *= 10, pow10 *= 10) {
    /* the first multiple of 10^-d at or above the interval's low end, scaled by 10^d */
    u128 k = (lo >> (s + 1)) + 1;
    if (even && (lo & (unit - 1)) == 0) k--;
    bool inside = even ? k * unit <= hi : k * unit < hi;
    if (!inside) continue;
    /* what "%.*f" prints: a * 10^d rounded to the nearest integer, ties to even */
    u128 scaled = (u128)m * pow10, half = (u128)1 << (s - 1);
    u128 q = scaled >> s, rem = scaled & (((u128)1 << s) - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return put_fixed(q, d, v < 0, buf);
  }
  return cq_format_double(v, buf, n);
}

/* A double in its shortest round-trip text; NaN and infinities have no JSON form: null. */
static void jw_num(jw *w, double v) {
  jw_item(w);
  if (!isfinite(v)) {
    jw_put(w, "null");
    return;
  }
  char t[48];
  size_t n = cq__bt_format_double(v, t, sizeof t);
  jw_raw(w, t, n);
}

static void jw_int(jw *w, int64_t v) {
  jw_item(w);
  char t[24];
  int n = snprintf(t, sizeof t, "%" PRId64, v);
  jw_raw(w, t, (size_t)n);
}

static void jw_bool(jw *w, bool v) {
  jw_item(w);
  jw_put(w, v ? "true" : "false");
}

/* A decimal as a JSON number, exactly ("0.001", "10000"). */
static void jw_dec(jw *w, cq_dec d) {
  jw_item(w);
  char t[CQ_DEC_STRMAX];
  cq_dec_format(d, t, sizeof t);
  jw_put(w, t[0] ? t : "null");
}

/* ISO-8601 UTC with as many fraction digits as the time needs (none for whole seconds). */
static void jw_time(jw *w, cq_time t) {
  int frac = t % CQ_NS_PER_SEC == 0 ? 0 : t % CQ_NS_PER_MS == 0 ? 3 : 9;
  char s[CQ_TIME_STRMAX];
  cq_time_format_iso(t, frac, s, sizeof s);
  jw_str(w, s);
}

static void jw_key_str(jw *w, const char *k, const char *v) {
  jw_key(w, k);
  jw_str(w, v);
}

static void jw_key_num(jw *w, const char *k, double v) {
  jw_key(w, k);
  jw_num(w, v);
}

static void jw_key_int(jw *w, const char *k, int64_t v) {
  jw_key(w, k);
  jw_int(w, v);
}

/* ---- config -------------------------------------------------------------------------- */

static const char *symbol_text(const cq_bt_config *c, int i) {
  return i >= 0 && i < c->n_symbols && i < CQ_BT_MAX_SYMBOLS ? c->symbols[i] : "";
}

/* Parameters by their declared names and types; p0, p1... when the strategy is not a
 * built-in (or the values do not match its declaration). */
static void write_params(jw *w, const cq_bt_config *c) {
  const cq_strategy_def *d = cq_strategy_find(c->strategy);
  int n = c->params.n < 0 ? 0 : c->params.n > CQ_MAX_PARAMS ? CQ_MAX_PARAMS : c->params.n;
  if (d && d->n_params != n) d = NULL;
  jw_open(w, '{');
  for (int i = 0; i < n; i++) {
    char name[16];
    snprintf(name, sizeof name, "p%d", i);
    jw_key(w, d ? d->params[i].name : name);
    double v = c->params.v[i];
    if (d && d->params[i].type == CQ_PARAM_BOOL)
      jw_bool(w, v != 0);
    else
      jw_num(w, v);
  }
  jw_close(w, '}');
}

static void write_instruments(jw *w, const cq_bt_config *c) {
  jw_key(w, "instruments");
  jw_open(w, '[');
  for (int i = 0; i < c->n_symbols && i < CQ_BT_MAX_SYMBOLS; i++) {
    const cq_instrument *in = &c->instruments[i];
    jw_open(w, '{');
    jw_key_str(w, "symbol", c->symbols[i]);
    jw_key(w, "tick");
    jw_dec(w, in->tick);
    jw_key(w, "lot");
    jw_dec(w, in->lot);
    jw_key(w, "min_qty");
    jw_dec(w, in->min_qty);
    jw_key(w, "min_notional");
    jw_dec(w, in->min_notional);
    jw_close(w, '}');
  }
  jw_close(w, ']');
}

static void write_match(jw *w, const cq_match_config *m) {
  char t[64];
  jw_key(w, "fees");
  jw_open(w, '{');
  jw_key(w, "maker");
  jw_dec(w, m->maker_fee);
  jw_key(w, "taker");
  jw_dec(w, m->taker_fee);
  jw_close(w, '}');
  cq_slippage_format(m->slippage, t, sizeof t);
  jw_key_str(w, "slippage", t);
  jw_key(w, "latency");
  jw_open(w, '{');
  cq_latency_format(m->order_latency, t, sizeof t);
  jw_key_str(w, "order", t);
  cq_latency_format(m->fill_latency, t, sizeof t);
  jw_key_str(w, "fill", t);
  jw_close(w, '}');
  jw_key_str(w, "fill_timing", m->market_fill == CQ_FILL_THIS_CLOSE ? "this_close" : "next_open");
  jw_key_num(w, "max_volume_share", m->max_volume_share);
  jw_key(w, "touch_fill");
  jw_bool(w, m->touch_fill);
}

static void write_config(jw *w, const cq_bt_config *c) {
  char t[64];
  jw_key(w, "config");
  jw_open(w, '{');
  jw_key_str(w, "strategy", c->strategy);
  jw_key(w, "params");
  write_params(w, c);
  jw_key_str(w, "engine", cq_bt_engine_name(c->engine));
  jw_key_str(w, "venue", c->venue);
  jw_key(w, "symbols");
  jw_open(w, '[');
  for (int i = 0; i < c->n_symbols && i < CQ_BT_MAX_SYMBOLS; i++) jw_str(w, c->symbols[i]);
  jw_close(w, ']');
  write_instruments(w, c);
  cq_timeframe_format(c->tf, t, sizeof t);
  jw_key_str(w, "tf", t);
  /* an open end of the range is null */
  jw_key(w, "from");
  if (c->from == INT64_MIN)
    jw_null(w);
  else
    jw_time(w, c->from);
  jw_key(w, "to");
  if (c->to == INT64_MAX)
    jw_null(w);
  else
    jw_time(w, c->to);
  jw_key(w, "initial_cash");
  jw_dec(w, c->initial_cash);
  jw_key_str(w, "quote", c->quote);
  cq_size_format(c->size, t, sizeof t);
  jw_key_str(w, "size", t);
  write_match(w, &c->match);
  jw_key(w, "allow_gaps");
  jw_bool(w, c->allow_gaps);
  jw_key(w, "trade_from"); /* null: trading from the first bar */
  if (c->trade_from == INT64_MIN || c->trade_from == 0)
    jw_null(w);
  else
    jw_time(w, c->trade_from);
  jw_close(w, '}');
}

/* ---- metrics, trades, fills ------------------------------------------------------------ */

static void write_metrics(jw *w, const cq_bt_metrics *m) {
  jw_key(w, "metrics");
  jw_open(w, '{');
  jw_key_num(w, "start_equity", m->start_equity);
  jw_key_num(w, "end_equity", m->end_equity);
  jw_key_num(w, "total_return", m->total_return);
  jw_key_num(w, "cagr", m->cagr);
  jw_key_num(w, "volatility", m->volatility);
  jw_key_num(w, "sharpe", m->sharpe);
  jw_key_num(w, "sortino", m->sortino);
  jw_key_num(w, "calmar", m->calmar);
  jw_key_num(w, "max_drawdown", m->max_drawdown);
  jw_key_int(w, "max_drawdown_ns", m->max_drawdown_ns);
  jw_key_num(w, "win_rate", m->win_rate);
  jw_key_num(w, "profit_factor", m->profit_factor);
  jw_key_num(w, "expectancy", m->expectancy);
  jw_key_num(w, "avg_trade", m->avg_trade);
  jw_key_num(w, "best_trade", m->best_trade);
  jw_key_num(w, "worst_trade", m->worst_trade);
  jw_key_int(w, "avg_holding_ns", m->avg_holding_ns);
  jw_key_num(w, "exposure", m->exposure);
  jw_key_int(w, "n_trades", m->n_trades);
  jw_key_num(w, "sqn", m->sqn);
  jw_key_num(w, "turnover", m->turnover);
  jw_key_num(w, "fees", m->fees);
  jw_key_num(w, "buy_hold_return", m->buy_hold_return);
  jw_key_num(w, "alpha", m->alpha);
  jw_key_num(w, "beta", m->beta);
  jw_close(w, '}');
}

static void write_trades(jw *w, const cq_bt_result *r) {
  jw_key(w, "trades");
  jw_open(w, '[');
  for (size_t i = 0; i < r->n_trades; i++) {
    const cq_bt_trade *t = &r->trades[i];
    jw_open(w, '{');
    jw_key_str(w, "symbol", symbol_text(&r->config, t->symbol));
    jw_key_int(w, "strategy", t->strategy);
    jw_key(w, "entry_time");
    jw_time(w, t->entry_time);
    jw_key(w, "exit_time");
    jw_time(w, t->exit_time);
    jw_key_int(w, "entry_bar", (int64_t)t->entry_bar);
    jw_key_int(w, "exit_bar", (int64_t)t->exit_bar);
    jw_key_num(w, "qty", t->qty);
    jw_key_num(w, "entry_price", t->entry_price);
    jw_key_num(w, "exit_price", t->exit_price);
    jw_key_num(w, "fees", t->fees);
    jw_key_num(w, "pnl", t->pnl);
    jw_key_num(w, "return", t->ret);
    jw_key(w, "open");
    jw_bool(w, t->open);
    jw_close(w, '}');
  }
  jw_close(w, ']');
}

static void write_fills(jw *w, const cq_bt_result *r) {
  jw_key(w, "fills");
  jw_open(w, '[');
  for (size_t i = 0; i < r->n_fills; i++) {
    const cq_bt_fill *f = &r->fills[i];
    jw_open(w, '{');
    jw_key(w, "time");
    jw_time(w, f->time);
    jw_key_str(w, "symbol", symbol_text(&r->config, f->symbol));
    jw_key_str(w, "side", cq_side_name(f->side));
    jw_key_num(w, "price", f->price);
    jw_key_num(w, "qty", f->qty);
    jw_key_num(w, "fee", f->fee);
    jw_key_str(w, "liquidity", f->liquidity == CQ_LIQ_MAKER ? "maker" : "taker");
    jw_key_int(w, "order_id", (int64_t)f->order_id);
    jw_key_int(w, "strategy", f->strategy);
    jw_close(w, '}');
  }
  jw_close(w, ']');
}

/* ---- equity, monthly returns, candles ---------------------------------------------------- */

/* Buckets of k consecutive points: bucket j is [j*k, min(n, (j+1)*k)). */
static size_t bucket_size(size_t n, size_t max_points) {
  return max_points == 0 || n <= max_points ? 1 : (n + max_points - 1) / max_points;
}

/* Index of the last point of the bucket starting at start. */
static size_t bucket_last(size_t start, size_t n, size_t k) {
  return start + k < n ? start + k - 1 : n - 1;
}

static void write_column(jw *w, const char *key, const double *v, size_t n, size_t k) {
  jw_key(w, key);
  jw_open(w, '[');
  for (size_t start = 0; v && start < n; start += k) jw_num(w, v[bucket_last(start, n, k)]);
  jw_close(w, ']');
}

/* Drawdown under the running peak, as a positive fraction; each bucket shows its deepest
 * point so that downsampling never hides a drawdown. */
static void write_drawdown(jw *w, const double *eq, size_t n, size_t k) {
  jw_key(w, "drawdown");
  jw_open(w, '[');
  double peak = -INFINITY;
  for (size_t start = 0; eq && start < n; start += k) {
    double deepest = 0;
    for (size_t i = start; i < n && i < start + k; i++) {
      if (eq[i] > peak) peak = eq[i];
      double dd = peak > 0 && isfinite(eq[i]) ? 1.0 - eq[i] / peak : 0;
      if (dd > deepest) deepest = dd;
    }
    jw_num(w, deepest);
  }
  jw_close(w, ']');
}

static void write_equity(jw *w, const cq_bt_result *r, size_t max_points) {
  size_t n = r->n_bars, k = bucket_size(n, max_points);
  jw_key(w, "equity");
  jw_open(w, '{');
  jw_key(w, "time");
  jw_open(w, '[');
  for (size_t start = 0; r->time && start < n; start += k)
    jw_time(w, r->time[bucket_last(start, n, k)]);
  jw_close(w, ']');
  write_column(w, "equity", r->equity, n, k);
  write_column(w, "cash", r->cash, n, k);
  write_column(w, "exposure", r->exposure, n, k);
  write_column(w, "benchmark", r->benchmark, n, k);
  write_drawdown(w, r->equity, n, k);
  jw_close(w, '}');
}

static double start_equity(const cq_bt_result *r) {
  double s = r->metrics.start_equity;
  return isfinite(s) && s > 0 ? s : cq_dec_to_double(r->config.initial_cash);
}

static void write_month(jw *w, const cq_civil *c, double ret) {
  jw_open(w, '{');
  jw_key_int(w, "year", c->year);
  jw_key_int(w, "month", c->month);
  jw_key_num(w, "return", ret);
  jw_close(w, '}');
}

/* Calendar-month returns from every bar: a month's last close against the previous
 * month's (the starting equity for the first month). Bars count in the month they open. */
static void write_monthly(jw *w, const cq_bt_result *r) {
  jw_key(w, "monthly");
  jw_open(w, '[');
  double base = start_equity(r);
  for (size_t i = 0; r->time && r->equity && i < r->n_bars; i++) {
    cq_civil c, next;
    cq_time_to_civil(r->time[i], &c);
    if (i + 1 < r->n_bars) {
      cq_time_to_civil(r->time[i + 1], &next);
      if (next.year == c.year && next.month == c.month) continue;
    }
    double end = r->equity[i];
    write_month(w, &c, base > 0 ? end / base - 1.0 : NAN);
    base = end;
  }
  jw_close(w, ']');
}

/* One candle for bars [start, last]: first open, highest high, lowest low, last close,
 * summed volume. */
static void bucket_ohlcv(const cq_candles *c, size_t start, size_t last, double out[5]) {
  out[0] = c->open[start];
  out[1] = c->high[start];
  out[2] = c->low[start];
  out[3] = c->close[last];
  out[4] = 0;
  for (size_t i = start; i <= last; i++) {
    if (c->high[i] > out[1]) out[1] = c->high[i];
    if (c->low[i] < out[2]) out[2] = c->low[i];
    out[4] += c->volume[i];
  }
}

static void write_candle_series(jw *w, const char *symbol, const cq_candles *c, size_t max_points) {
  size_t n = c ? c->len : 0, k = bucket_size(n, max_points);
  static const char *const keys[] = {"o", "h", "l", "c", "v"};
  jw_open(w, '{');
  jw_key_str(w, "symbol", symbol);
  jw_key(w, "time");
  jw_open(w, '[');
  for (size_t start = 0; start < n; start += k) jw_time(w, c->open_time[start]);
  jw_close(w, ']');
  for (int f = 0; f < 5; f++) {
    jw_key(w, keys[f]);
    jw_open(w, '[');
    for (size_t start = 0; start < n; start += k) {
      double v[5];
      bucket_ohlcv(c, start, bucket_last(start, n, k), v);
      jw_num(w, v[f]);
    }
    jw_close(w, ']');
  }
  jw_close(w, '}');
}

static void write_candles(jw *w, const cq_bt_result *r, const cq_bt_data *d, size_t max_points) {
  jw_key(w, "candles");
  jw_open(w, '[');
  for (int s = 0; s < d->n_symbols && s < CQ_BT_MAX_SYMBOLS; s++)
    write_candle_series(w, symbol_text(&r->config, s), d->candles[s], max_points);
  jw_close(w, ']');
}

/* ---- the document ------------------------------------------------------------------- */

static void write_document(jw *w, const cq_bt_result *r, const cq_bt_data *d, size_t max_pts) {
  jw_open(w, '{');
  jw_key_int(w, "format", CQ__BT_JSON_FORMAT);
  write_config(w, &r->config);
  jw_key(w, "run");
  jw_open(w, '{');
  jw_key_int(w, "bars", (int64_t)r->n_bars);
  jw_key_int(w, "orders", r->orders);
  jw_key_int(w, "rejected", r->rejected);
  jw_key_int(w, "fills", (int64_t)r->n_fills);
  jw_key_int(w, "trades", (int64_t)r->n_trades);
  jw_key_int(w, "max_points", (int64_t)max_pts);
  jw_close(w, '}');
  write_metrics(w, &r->metrics);
  write_trades(w, r);
  write_fills(w, r);
  write_equity(w, r, max_pts);
  write_monthly(w, r);
  if (d) write_candles(w, r, d, max_pts);
  jw_close(w, '}');
  jw_raw(w, "\n", 1);
}

int cq_bt_to_json_opts(const cq_bt_result *r, const cq_bt_data *candles,
                       const cq_bt_json_options *opt, char **out, size_t *len, cq_error *err) {
  if (!r || !out) return cq_error_set(err, CQ_EINVAL, "backtest JSON: no result or no output");
  if (r->n_bars > 0 && (!r->time || !r->equity))
    return cq_error_set(err, CQ_EINVAL, "backtest JSON: %zu bars but no time or equity arrays",
                        r->n_bars);
  jw w = {0};
  write_document(&w, r, candles, opt ? opt->max_points : 0);
  if (w.oom) {
    free(w.buf);
    return cq_error_set(err, CQ_ENOMEM, "backtest JSON: out of memory at %zu bytes", w.len);
  }
  w.buf[w.len] = '\0';
  *out = w.buf;
  if (len) *len = w.len;
  return CQ_OK;
}

int cq_bt_to_json(const cq_bt_result *r, const cq_bt_data *candles, char **out, size_t *len,
                  cq_error *err) {
  return cq_bt_to_json_opts(r, candles, NULL, out, len, err);
}
