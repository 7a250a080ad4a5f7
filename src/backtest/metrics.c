/* The metrics of a run (docs/metrics.md): from the equity curve, the benchmark, the trades
 * and the fills. Returns are per bar and simple; the curve starts at the initial cash, so
 * n bars give n returns. NaN wherever a ratio has nothing to divide by. */
#include <math.h>
#include <string.h>

#include "bt_internal.h"

/* One pass over the curve and the benchmark: returns r (equity) and b (benchmark) per bar,
 * summed shifted by their first value (which keeps the variance exact enough however
 * large the mean), the downside, the drawdown and the bars with a position. */
typedef struct pass {
  size_t n, held;
  double sr, sb, srr, sbb, srb, down; /* sums of (r - r0), (b - b0), products, min(r, 0)^2 */
  double r0, b0, eq_sum;
  double max_dd;
  int64_t dd_ns;
} pass;

static void one_pass(const cq_bt_result *r, double start, pass *p) {
  int64_t step = cq_timeframe_ns(r->config.tf);
  double peak = start, prev = start, prev_b = start, floor_e = start * (1.0 + 1e-12);
  cq_time peak_t = r->time[0];
  bool under = false;
  memset(p, 0, sizeof *p);
  p->n = r->n_bars;
  for (size_t i = 0; i < r->n_bars; i++) {
    double e = r->equity[i], bm = r->benchmark[i];
    double x = prev != 0 ? e / prev - 1.0 : NAN, y = prev_b != 0 ? bm / prev_b - 1.0 : NAN;
    if (i == 0) {
      p->r0 = x;
      p->b0 = y;
    }
    double dx = x - p->r0, dy = y - p->b0;
    p->sr += dx;
    p->sb += dy;
    p->srr += dx * dx;
    p->sbb += dy * dy;
    p->srb += dx * dy;
    if (x < 0) p->down += x * x;
    p->held += r->exposure[i] > 0;
    p->eq_sum += e;
    prev = e;
    prev_b = bm;
    /* drawdown: from a peak to the first close back at or above it (or the end) */
    cq_time t = step > 0 ? r->time[i] + step : cq_timeframe_next(r->config.tf, r->time[i]);
    if (e >= peak) {
      if (under && t - peak_t > p->dd_ns) p->dd_ns = t - peak_t;
      peak = e;
      peak_t = t;
      floor_e = peak * (1.0 - p->max_dd) * (1.0 + 1e-12);
      under = false;
      continue;
    }
    under = true;
    if (e < floor_e) { /* a new deepest point is possible: divide only then */
      double dd = peak > 0 ? 1.0 - e / peak : 0;
      if (dd > p->max_dd) p->max_dd = dd;
      floor_e = peak * (1.0 - p->max_dd) * (1.0 + 1e-12);
    }
    if (t - peak_t > p->dd_ns) p->dd_ns = t - peak_t;
  }
}

/* x / y, NaN when y is zero or either is NaN */
static double ratio(double x, double y) {
  return y != 0 && !isnan(x) && !isnan(y) ? x / y : NAN;
}

/* Returns the mean equity (for the turnover). */
static double curve_metrics(const cq_bt_result *r, cq_bt_metrics *m) {
  size_t n = r->n_bars;
  double start = cq_dec_to_double(r->config.initial_cash), bpy = cq__bt_bars_per_year(r->config.tf);
  pass p;
  one_pass(r, start, &p);
  double dn = (double)n, ann = sqrt(bpy);
  m->start_equity = start;
  m->end_equity = r->equity[n - 1];
  double growth = ratio(m->end_equity, start), years = dn / bpy;
  m->total_return = growth - 1.0;
  m->cagr = growth > 0 && years > 0 ? pow(growth, 1.0 / years) - 1.0 : growth <= 0 ? -1.0 : NAN;
  double mean = p.r0 + p.sr / dn, mean_b = p.b0 + p.sb / dn;
  double var = n > 1 ? (p.srr - p.sr * p.sr / dn) / (dn - 1) : NAN;
  double var_b = n > 1 ? (p.sbb - p.sb * p.sb / dn) / (dn - 1) : NAN;
  double cov = n > 1 ? (p.srb - p.sr * p.sb / dn) / (dn - 1) : NAN;
  double sd = var > 0 ? sqrt(var) : var == var ? 0 : NAN;
  m->volatility = sd * ann;
  m->sharpe = ratio(mean, sd) * ann;
  m->sortino = ratio(mean, sqrt(p.down / dn)) * ann;
  m->max_drawdown = p.max_dd;
  m->max_drawdown_ns = p.dd_ns;
  m->calmar = ratio(m->cagr, m->max_drawdown);
  m->exposure = (double)p.held / dn;
  m->buy_hold_return = ratio(r->benchmark[n - 1], start) - 1.0;
  m->beta = ratio(cov, var_b > 0 ? var_b : 0);
  m->alpha = (mean - m->beta * mean_b) * bpy;
  return p.eq_sum / dn;
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

static void fill_metrics(const cq_bt_result *r, double mean_equity, cq_bt_metrics *m) {
  double traded = 0, fees = 0;
  for (size_t i = 0; i < r->n_fills; i++) {
    traded += r->fills[i].price * r->fills[i].qty;
    fees += r->fills[i].fee;
  }
  m->fees = fees;
  m->turnover = ratio(traded, mean_equity);
}

int cq_bt_metrics_compute(cq_bt_result *r, cq_error *err) {
  if (!r->n_bars || !r->equity)
    return cq_error_set(err, CQ_EINVAL, "backtest metrics: the result has no bars");
  cq_bt_metrics *m = &r->metrics;
  memset(m, 0, sizeof *m);
  double mean_equity = curve_metrics(r, m);
  trade_metrics(r, m);
  fill_metrics(r, mean_equity, m);
  return CQ_OK;
}

void cq_bt_bar_returns(const cq_bt_result *r, double *out) {
  double prev = cq_dec_to_double(r->config.initial_cash);
  for (size_t i = 0; i < r->n_bars; i++) {
    out[i] = prev != 0 ? r->equity[i] / prev - 1 : 0;
    prev = r->equity[i];
  }
}
