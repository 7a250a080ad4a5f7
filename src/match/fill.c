/* The fill arithmetic both backtest engines share: parsing of the fill-model settings,
 * prices on the tick grid, slippage, fees, sizes and venue rules. Exact decimals wherever
 * money moves. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cquant/match.h"

void cq_match_config_default(cq_match_config *c) {
  memset(c, 0, sizeof *c);
  c->market_fill = CQ_FILL_NEXT_OPEN;
  c->slippage.kind = CQ_SLIP_NONE;
  c->maker_fee = CQ_DEC(1, 3);
  c->taker_fee = CQ_DEC(1, 3);
}

/* ---- settings text ---------------------------------------------------------------- */

static int number_after(const char *full, const char *num, double *out, cq_error *err) {
  char *end = NULL;
  errno = 0;
  double v = strtod(num, &end);
  if (end == num || *end || errno || !isfinite(v) || v < 0)
    return cq_error_set(err, CQ_EPARSE, "slippage \"%s\": expected a number >= 0 after the colon",
                        full);
  *out = v;
  return CQ_OK;
}

int cq_slippage_parse(const char *s, cq_slippage *out, cq_error *err) {
  static const struct {
    const char *name;
    cq_slip_kind kind;
  } kinds[] = {{"bps", CQ_SLIP_BPS}, {"spread", CQ_SLIP_SPREAD}, {"sqrt", CQ_SLIP_SQRT}};
  if (!s || !strcasecmp(s, "none") || !strcmp(s, "0")) {
    *out = (cq_slippage){.kind = CQ_SLIP_NONE, .value = 0};
    return CQ_OK;
  }
  const char *colon = strchr(s, ':');
  for (size_t i = 0; colon && i < sizeof kinds / sizeof kinds[0]; i++) {
    size_t nl = strlen(kinds[i].name);
    if ((size_t)(colon - s) != nl || strncasecmp(s, kinds[i].name, nl)) continue;
    double v = 0;
    int rc = number_after(s, colon + 1, &v, err);
    if (rc) return rc;
    if (kinds[i].kind == CQ_SLIP_BPS && v >= 10000)
      return cq_error_set(err, CQ_EPARSE, "slippage \"%s\": 10000 bps or more is the whole price",
                          s);
    *out = (cq_slippage){.kind = kinds[i].kind, .value = v};
    return CQ_OK;
  }
  return cq_error_set(err, CQ_EPARSE,
                      "slippage \"%s\": expected none, bps:N, spread:F or sqrt:Y", s);
}

size_t cq_slippage_format(cq_slippage s, char *buf, size_t n) {
  static const char *const names[] = {"none", "bps", "spread", "sqrt"};
  char num[40];
  int w;
  if (s.kind == CQ_SLIP_NONE || (unsigned)s.kind > CQ_SLIP_SQRT) {
    w = snprintf(buf, n, "none");
  } else {
    cq_format_double(s.value, num, sizeof num);
    w = snprintf(buf, n, "%s:%s", names[s.kind], num);
  }
  return w < 0 ? 0 : (size_t)w;
}

int cq_latency_parse(const char *s, cq_latency *out, cq_error *err) {
  if (!s || !*s) return cq_error_set(err, CQ_EPARSE, "latency: empty");
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || errno || v < 0)
    return cq_error_set(err, CQ_EPARSE,
                        "latency \"%s\": expected a whole number >= 0 and a unit: 1bar, 250ms", s);
  static const struct {
    const char *unit;
    int64_t ns; /* 0: bars */
  } units[] = {{"", -1},      {"bar", 0},           {"bars", 0}, {"ns", 1},
               {"us", 1000},  {"ms", CQ_NS_PER_MS}, {"s", CQ_NS_PER_SEC},
               {"m", CQ_NS_PER_MIN}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcasecmp(end, units[i].unit)) continue;
    if (units[i].ns < 0) {
      if (v != 0)
        return cq_error_set(err, CQ_EPARSE, "latency \"%s\": say the unit: %lldbar or %lldms", s,
                            v, v);
      *out = (cq_latency){0, 0};
    } else if (units[i].ns == 0) {
      *out = (cq_latency){.bars = v, .ns = 0};
    } else {
      if (v > INT64_MAX / units[i].ns)
        return cq_error_set(err, CQ_EOVERFLOW, "latency \"%s\": too long", s);
      *out = (cq_latency){.bars = 0, .ns = v * units[i].ns};
    }
    return CQ_OK;
  }
  return cq_error_set(err, CQ_EPARSE, "latency \"%s\": unknown unit \"%s\" (bar, ns, us, ms, s, m)",
                      s, end);
}

size_t cq_latency_format(cq_latency l, char *buf, size_t n) {
  int w;
  if (l.bars)
    w = snprintf(buf, n, "%" PRId64 "bar%s", l.bars, l.bars == 1 ? "" : "s");
  else if (l.ns % CQ_NS_PER_MS == 0)
    w = snprintf(buf, n, "%" PRId64 "ms", l.ns / CQ_NS_PER_MS);
  else
    w = snprintf(buf, n, "%" PRId64 "ns", l.ns);
  return w < 0 ? 0 : (size_t)w;
}

int64_t cq_latency_bars(cq_latency l, cq_timeframe tf) {
  if (l.bars) return l.bars;
  int64_t step = cq_timeframe_ns(tf);
  if (l.ns <= 0 || step <= 0) return 0;
  return (l.ns + step - 1) / step;
}

/* ---- prices, fees, sizes ------------------------------------------------------------ */

static const double pow10_table[] = {1e0, 1e1, 1e2, 1e3,  1e4,  1e5, 1e6,
                                     1e7, 1e8, 1e9, 1e10, 1e11, 1e12};

/* The double nearest to k ticks: exact integer over an exact power of ten, one rounding. */
static double grid(int64_t k, const cq_dec *tick) {
  return (double)(k * tick->m) / pow10_table[tick->scale];
}

/* FLOOR and CEIL (what slipped fills use) without the text, when the tick count is far
 * inside 2^53. The text path rounds the shortest text T of v; doubles are monotone in the
 * decimal they round from, so T is exactly k ticks when v is the double of k ticks, and
 * otherwise lies strictly between the ticks whose doubles bracket v. */
static bool grid_round(double v, cq_dec tick, cq_round mode, cq_dec *out) {
  if ((mode != CQ_ROUND_FLOOR && mode != CQ_ROUND_CEIL) || tick.m <= 0 || tick.m >= 1000000 ||
      tick.scale > 12 || !(v >= 1.0))
    return false;
  double x = v * pow10_table[tick.scale];
  if (!(x < 1e14)) return false;
  int64_t k = (int64_t)(x / (double)tick.m);
  while (k > 0 && grid(k, &tick) > v) k--;
  while (grid(k + 1, &tick) <= v) k++;
  if (grid(k, &tick) != v && mode == CQ_ROUND_CEIL) k++;
  if (k <= 0) return false;
  *out = CQ_DEC(k * tick.m, tick.scale);
  return true;
}

int cq_dec_of_price(double v, cq_dec *out, cq_error *err) {
  if (!isfinite(v)) return cq_error_set(err, CQ_EINVAL, "%g is not a finite number", v);
  /* The fewest fraction digits that give v back, without text, while the double grid is
   * finer than that digit (|v| x 10^sc < 2^52): no other decimal of sc digits parses to v,
   * so this is the value of v's shortest text. */
  for (unsigned sc = 0; sc < sizeof pow10_table / sizeof pow10_table[0]; sc++) {
    double scaled = v * pow10_table[sc];
    if (!(fabs(scaled) < 0x1p52)) break;
    double r = nearbyint(scaled);
    if (r / pow10_table[sc] == v) {
      *out = CQ_DEC((int64_t)r, (uint8_t)sc);
      return CQ_OK;
    }
  }
  char text[40];
  size_t n = cq_format_double(v, text, sizeof text);
  int rc = cq_dec_parse(text, n, out, NULL);
  if (rc == CQ_EINEXACT) {
    /* more than 18 fraction digits: round at 18 (far below any tick or lot) */
    char fixed[64];
    snprintf(fixed, sizeof fixed, "%.18f", v);
    rc = cq_dec_parse_cstr(fixed, out, NULL);
  }
  if (rc) return cq_error_set(err, rc, "%s cannot be held as a decimal", text);
  return CQ_OK;
}

int cq_price_on_tick(double v, cq_dec tick, cq_round mode, cq_dec *out, cq_error *err) {
  if (!isfinite(v) || v <= 0)
    return cq_error_set(err, CQ_EINVAL, "price %g: not a positive finite number", v);
  if (grid_round(v, tick, mode, out)) return CQ_OK;
  cq_dec d;
  int rc = cq_dec_of_price(v, &d, err);
  if (!rc) rc = cq_dec_round_step(d, tick, mode, out, err);
  if (rc) return rc;
  if (out->m <= 0) *out = tick; /* never a zero price: one tick is the least a venue takes */
  return CQ_OK;
}

double cq_slip_price(const cq_slippage *s, cq_side side, double ref, const cq_candle *bar,
                     double qty) {
  double dir = side == CQ_SIDE_BUY ? 1.0 : -1.0, p = ref;
  switch (s->kind) {
  case CQ_SLIP_BPS:
    p = ref * (1.0 + dir * s->value / 1e4);
    break;
  case CQ_SLIP_SPREAD:
    if (bar && bar->high > bar->low) p = ref + dir * s->value * (bar->high - bar->low) * 0.5;
    break;
  case CQ_SLIP_SQRT:
    if (bar && bar->open > 0 && bar->high > bar->low) {
      double sigma = (bar->high - bar->low) / bar->open;
      double part = bar->volume > 0 ? qty / bar->volume : 1.0;
      if (part > 1.0) part = 1.0;
      if (part < 0) part = 0;
      p = ref * (1.0 + dir * s->value * sigma * sqrt(part));
    }
    break;
  default:
    break;
  }
  return p > 0 ? p : 0;
}

int cq_fill_notional(cq_dec price, cq_dec qty, cq_dec *out, cq_error *err) {
  return cq_dec_mul(price, qty, CQ_MONEY_SCALE, CQ_ROUND_HALF_EVEN, out, err);
}

int cq_fill_fee(cq_dec price, cq_dec qty, cq_dec rate, cq_dec *fee, cq_error *err) {
  cq_dec notional;
  /* exact notional first (scales add up; fall back to money scale if it would not fit) */
  unsigned sc = (unsigned)price.scale + qty.scale;
  if (sc > CQ_DEC_MAX_SCALE) sc = CQ_DEC_MAX_SCALE;
  int rc = cq_dec_mul(price, qty, sc, CQ_ROUND_HALF_EVEN, &notional, NULL);
  if (rc) rc = cq_dec_mul(price, qty, CQ_MONEY_SCALE, CQ_ROUND_HALF_EVEN, &notional, err);
  if (rc) return rc;
  return cq_dec_mul(notional, rate, CQ_MONEY_SCALE, CQ_ROUND_UP, fee, err);
}

/* cost of buying q at price with the fee: notional + fee */
static int buy_cost(cq_dec price, cq_dec q, cq_dec rate, cq_dec *cost, cq_error *err) {
  cq_dec notional = {0}, fee = {0};
  int rc = cq_fill_notional(price, q, &notional, err);
  if (!rc) rc = cq_fill_fee(price, q, rate, &fee, err);
  if (!rc) rc = cq_dec_add(notional, fee, cost, err);
  return rc;
}

/* the most lots whose cost with the fee stays within budget (budget >= 0) */
static int affordable(cq_dec budget, cq_dec price, cq_dec rate, cq_dec lot, cq_dec *qty,
                      cq_error *err) {
  cq_dec one = CQ_DEC(1, 0), denom, q;
  cq_dec f;
  int rc = cq_dec_add(one, rate, &f, err);
  if (!rc) rc = cq_dec_mul(price, f, CQ_DEC_MAX_SCALE, CQ_ROUND_UP, &denom, NULL);
  if (rc) rc = cq_dec_mul(price, f, 12, CQ_ROUND_UP, &denom, err);
  if (rc) return rc;
  rc = cq_dec_div(budget, denom, lot.scale, CQ_ROUND_DOWN, &q, err);
  if (!rc) rc = cq_dec_round_step(q, lot, CQ_ROUND_DOWN, &q, err);
  if (rc) return rc;
  /* the fee rounds up per fill: step down a lot while the cost is over budget */
  for (int guard = 0; guard < 4 && q.m > 0; guard++) {
    cq_dec cost;
    rc = buy_cost(price, q, rate, &cost, err);
    if (rc) return rc;
    if (cq_dec_cmp(cost, budget) <= 0) break;
    rc = cq_dec_sub(q, lot, &q, err);
    if (rc) return rc;
  }
  if (q.m < 0) q = CQ_DEC(0, lot.scale);
  *qty = q;
  return CQ_OK;
}

int cq_fill_qty(cq_size size, cq_side side, cq_dec price, cq_dec fee_rate,
                const cq_instrument *ins, const cq_size_basis *basis, cq_dec *qty,
                cq_error *err) {
  if (price.m <= 0) return cq_error_set(err, CQ_EINVAL, "fill price must be positive");
  if (ins->lot.m <= 0) return cq_error_set(err, CQ_EINVAL, "%s: lot step must be positive",
                                           ins->symbol);
  cq_dec q = CQ_DEC(0, ins->lot.scale), v = CQ_DEC(0, 0);
  int rc = CQ_OK;
  switch (size.kind) {
  case CQ_SIZE_QTY:
    rc = cq_dec_of_price(size.value, &q, err);
    break;
  case CQ_SIZE_NOTIONAL:
    rc = cq_dec_of_price(size.value, &v, err);
    if (!rc) rc = cq_dec_div(v, price, ins->lot.scale, CQ_ROUND_DOWN, &q, err);
    break;
  case CQ_SIZE_PERCENT:
    if (side == CQ_SIDE_BUY) {
      double budget_d = size.value * basis->equity;
      cq_dec budget = CQ_DEC(0, 0);
      if (!(budget_d > 0)) break;
      rc = cq_dec_of_price(budget_d, &budget, err);
      if (!rc) rc = cq_dec_rescale(budget, CQ_MONEY_SCALE, CQ_ROUND_DOWN, &budget, err);
      if (!rc && cq_dec_cmp(budget, basis->cash) > 0) budget = basis->cash;
      if (!rc) rc = affordable(budget, price, fee_rate, ins->lot, &q, err);
    } else {
      rc = cq_dec_of_price(size.value, &v, err);
      if (!rc) rc = cq_dec_mul(basis->position, v, ins->lot.scale, CQ_ROUND_DOWN, &q, err);
    }
    break;
  case CQ_SIZE_ALL_IN:
    if (side == CQ_SIDE_BUY) {
      if (basis->cash.m > 0) rc = affordable(basis->cash, price, fee_rate, ins->lot, &q, err);
    } else {
      q = basis->position;
    }
    break;
  default:
    return cq_error_set(err, CQ_EINVAL, "unknown size kind %d", (int)size.kind);
  }
  if (rc) return rc;
  if (q.m > 0) rc = cq_dec_round_step(q, ins->lot, CQ_ROUND_DOWN, &q, err);
  if (rc) return rc;
  if (q.m < 0) q = CQ_DEC(0, ins->lot.scale);
  *qty = q;
  return CQ_OK;
}

/* "<what> <a> <relation> <b>" as a venue rejection */
static int reject(cq_error *err, const char *what, cq_dec a, const char *relation, cq_dec b) {
  char sa[CQ_DEC_STRMAX], sb[CQ_DEC_STRMAX];
  cq_dec_format(a, sa, sizeof sa);
  cq_dec_format(b, sb, sizeof sb);
  return cq_error_set(err, CQ_EREJECTED, "%s %s %s %s", what, sa, relation, sb);
}

int cq_fill_check(cq_side side, cq_dec price, cq_dec qty, cq_dec fee_rate,
                  const cq_instrument *ins, const cq_size_basis *basis, cq_error *err) {
  cq_dec r;
  int rc;
  if (qty.m <= 0) return cq_error_set(err, CQ_EREJECTED, "quantity: must be positive");
  if (ins->lot.m > 0) {
    rc = cq_dec_round_step(qty, ins->lot, CQ_ROUND_UNNECESSARY, &r, NULL);
    if (rc) return reject(err, "lot size: quantity", qty, "is not a multiple of the step", ins->lot);
  }
  if (ins->tick.m > 0) {
    rc = cq_dec_round_step(price, ins->tick, CQ_ROUND_UNNECESSARY, &r, NULL);
    if (rc) return reject(err, "price filter: price", price, "is not a multiple of the tick",
                    ins->tick);
  }
  if (ins->min_qty.m > 0 && cq_dec_cmp(qty, ins->min_qty) < 0)
    return reject(err, "lot size: quantity", qty, "is below the minimum", ins->min_qty);
  cq_dec notional;
  rc = cq_fill_notional(price, qty, &notional, err);
  if (rc) return rc;
  if (ins->min_notional.m > 0 && cq_dec_cmp(notional, ins->min_notional) < 0) {
    char sa[CQ_DEC_STRMAX], sb[CQ_DEC_STRMAX];
    cq_dec_format(notional, sa, sizeof sa);
    cq_dec_format(ins->min_notional, sb, sizeof sb);
    return cq_error_set(err, CQ_EREJECTED, "min notional: %s %s is below %s", sa, ins->quote, sb);
  }
  if (side == CQ_SIDE_BUY) {
    cq_dec cost;
    rc = buy_cost(price, qty, fee_rate, &cost, err);
    if (rc) return rc;
    if (cq_dec_cmp(cost, basis->cash) > 0) {
      char sa[CQ_DEC_STRMAX], sb[CQ_DEC_STRMAX];
      cq_dec_format(cost, sa, sizeof sa);
      cq_dec_format(basis->cash, sb, sizeof sb);
      return cq_error_set(err, CQ_EREJECTED, "insufficient balance: cost %s %s with fee, %s free",
                          sa, ins->quote, sb);
    }
  } else if (cq_dec_cmp(qty, basis->position) > 0) {
    char sa[CQ_DEC_STRMAX], sb[CQ_DEC_STRMAX];
    cq_dec_format(qty, sa, sizeof sa);
    cq_dec_format(basis->position, sb, sizeof sb);
    return cq_error_set(err, CQ_EREJECTED, "insufficient balance: sell %s %s, %s held", sa,
                        ins->base, sb);
  }
  return CQ_OK;
}

void cq_bar_path(const cq_candle *bar, double out[4]) {
  out[0] = bar->open;
  bool high_first = (bar->high - bar->open) < (bar->open - bar->low);
  out[1] = high_first ? bar->high : bar->low;
  out[2] = high_first ? bar->low : bar->high;
  out[3] = bar->close;
}
