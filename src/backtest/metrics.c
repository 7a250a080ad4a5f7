/* The metrics of a run (docs/metrics.md): from the equity curve, the benchmark, the trades
 * and the fills. Returns are per bar and simple; the curve starts at the initial cash, so
 * n bars give n returns. NaN wherever a ratio has nothing to divide by. */
#include <math.h>
#include <string.h>

#include "bt_internal.h"

/* Equity point p of the curve: p = 0 is the initial cash, p = i + 1 the close of bar i. */
static double point(const double *curve, double start, size_t p) {
  return p ? curve[p - 1] : start;
}

static double bar_return(const double *curve, double start, size_t i) {
  double prev = point(curve, start, i);
  return prev != 0 ? curve[i] / prev - 1.0 : NAN;
}

typedef struct moments {
  double mean, var; /* sample variance (n - 1); NaN below 2 values */
  size_t n;
} moments;

static moments returns_moments(const double *curve, double start, size_t n) {
  moments m = {NAN, NAN, n};
  if (!n) return m;
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += bar_return(curve, start, i);
  m.mean = sum / (double)n;
  if (n < 2) return m;
  double ss = 0;
  for (size_t i = 0; i < n; i++) {
    double d = bar_return(curve, start, i) - m.mean;
    ss += d * d;
  }
  m.var = ss / (double)(n - 1);
  return m;
}

/* x / y, NaN when y is zero or either is NaN */
static double ratio(double x, double y) {
  return y != 0 && !isnan(x) && !isnan(y) ? x / y : NAN;
}

static void drawdown(const cq_bt_result *r, double start, cq_bt_metrics *m) {
  double peak = start, worst = 0;
  cq_time peak_t = r->time[0], longest = 0;
  bool under = false;
  for (size_t i = 0; i < r->n_bars; i++) {
    double e = r->equity[i];
    cq_time t = cq__bt_close_time(r, i);
    if (e >= peak) {
      if (under && t - peak_t > longest) longest = t - peak_t; /* recovered at t */
      peak = e;
      peak_t = t;
      under = false;
      continue;
    }
    under = true;
    double dd = peak > 0 ? 1.0 - e / peak : 0;
    if (dd > worst) worst = dd;
    if (t - peak_t > longest) longest = t - peak_t; /* still under at the end counts too */
  }
  m->max_drawdown = worst;
  m->max_drawdown_ns = longest;
}

static void curve_metrics(const cq_bt_result *r, cq_bt_metrics *m) {
  size_t n = r->n_bars;
  double start = cq_dec_to_double(r->config.initial_cash), bpy = cq__bt_bars_per_year(r->config.tf);
  m->start_equity = start;
  m->end_equity = r->equity[n - 1];
  m->total_return = ratio(m->end_equity, start) - 1.0;
  double years = (double)n / bpy, growth = ratio(m->end_equity, start);
  m->cagr = growth > 0 && years > 0 ? pow(growth, 1.0 / years) - 1.0 : growth <= 0 ? -1.0 : NAN;
  moments mo = returns_moments(r->equity, start, n);
  double sd = sqrt(mo.var);
  m->volatility = sd * sqrt(bpy);
  m->sharpe = ratio(mo.mean, sd) * sqrt(bpy);
  double down = 0;
  for (size_t i = 0; i < n; i++) {
    double x = bar_return(r->equity, start, i);
    if (x < 0) down += x * x;
  }
  m->sortino = ratio(mo.mean, sqrt(down / (double)n)) * sqrt(bpy);
  drawdown(r, start, m);
  m->calmar = ratio(m->cagr, m->max_drawdown);
  size_t held = 0;
  for (size_t i = 0; i < n; i++) held += r->exposure[i] > 0;
  m->exposure = (double)held / (double)n;
}

static void benchmark_metrics(const cq_bt_result *r, cq_bt_metrics *m) {
  size_t n = r->n_bars;
  double start = cq_dec_to_double(r->config.initial_cash), bpy = cq__bt_bars_per_year(r->config.tf);
  m->buy_hold_return = ratio(r->benchmark[n - 1], start) - 1.0;
  moments a = returns_moments(r->equity, start, n), b = returns_moments(r->benchmark, start, n);
  double cov = NAN;
  if (n >= 2) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
      s += (bar_return(r->equity, start, i) - a.mean) * (bar_return(r->benchmark, start, i) - b.mean);
    cov = s / (double)(n - 1);
  }
  m->beta = ratio(cov, b.var);
  m->alpha = (a.mean - m->beta * b.mean) * bpy;
}

/* Statistics over the closed round trips (an open one at the end is left out). */
static void trade_metrics(const cq_bt_result *r, cq_bt_metrics *m) {
  size_t n = 0, wins = 0;
  double gain = 0, loss = 0, sum_ret = 0, best = NAN, worst = NAN, sum_pnl = 0;
  double hold = 0;
  for (size_t i = 0; i < r->n_trades; i++) {
    const cq_bt_trade *t = &r->trades[i];
    if (t->open) continue;
    n++;
    if (t->pnl > 0) {
      wins++;
      gain += t->pnl;
    } else {
      loss -= t->pnl;
    }
    sum_pnl += t->pnl;
    sum_ret += t->ret;
    if (isnan(best) || t->ret > best) best = t->ret;
    if (isnan(worst) || t->ret < worst) worst = t->ret;
    hold += (double)(t->exit_time - t->entry_time);
  }
  m->n_trades = (int64_t)n;
  m->win_rate = n ? (double)wins / (double)n : NAN;
  m->profit_factor = ratio(gain, loss);
  m->expectancy = n ? sum_pnl / (double)n : NAN;
  m->avg_trade = n ? sum_ret / (double)n : NAN;
  m->best_trade = best;
  m->worst_trade = worst;
  m->avg_holding_ns = n ? (int64_t)llround(hold / (double)n) : 0;
  m->sqn = NAN;
  if (n >= 2) {
    double mean = sum_pnl / (double)n, ss = 0;
    for (size_t i = 0; i < r->n_trades; i++)
      if (!r->trades[i].open) ss += (r->trades[i].pnl - mean) * (r->trades[i].pnl - mean);
    m->sqn = sqrt((double)n) * ratio(mean, sqrt(ss / (double)(n - 1)));
  }
}

static void fill_metrics(const cq_bt_result *r, cq_bt_metrics *m) {
  double traded = 0, fees = 0, eq = 0;
  for (size_t i = 0; i < r->n_fills; i++) {
    traded += r->fills[i].price * r->fills[i].qty;
    fees += r->fills[i].fee;
  }
  for (size_t i = 0; i < r->n_bars; i++) eq += r->equity[i];
  m->fees = fees;
  m->turnover = ratio(traded, eq / (double)r->n_bars);
}

int cq_bt_metrics_compute(cq_bt_result *r, cq_error *err) {
  if (!r->n_bars || !r->equity)
    return cq_error_set(err, CQ_EINVAL, "backtest metrics: the result has no bars");
  cq_bt_metrics *m = &r->metrics;
  memset(m, 0, sizeof *m);
  curve_metrics(r, m);
  benchmark_metrics(r, m);
  trade_metrics(r, m);
  fill_metrics(r, m);
  return CQ_OK;
}
