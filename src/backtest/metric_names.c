/* The metrics by name, for objectives, constraints and comparisons. */
#include <math.h>
#include <stddef.h>
#include <strings.h>

#include "cquant/backtest.h"
#include "cquant/core/strutil.h"

#define M_DOUBLE 0
#define M_INT 1

typedef struct metric_field {
  cq_metric_info info;
  size_t offset;
  int kind;
} metric_field;

#define F(name, higher, kind, help) \
  { {#name, higher, help}, offsetof(cq_bt_metrics, name), kind }

static const metric_field FIELDS[] = {
    F(start_equity, true, M_DOUBLE, "equity at the start"),
    F(end_equity, true, M_DOUBLE, "equity at the end"),
    F(total_return, true, M_DOUBLE, "end equity / start equity - 1"),
    F(cagr, true, M_DOUBLE, "compound annual growth rate"),
    F(volatility, false, M_DOUBLE, "annualized standard deviation of bar returns"),
    F(sharpe, true, M_DOUBLE, "annualized Sharpe ratio (risk-free rate 0)"),
    F(sortino, true, M_DOUBLE, "annualized Sortino ratio"),
    F(calmar, true, M_DOUBLE, "CAGR / max drawdown"),
    F(max_drawdown, false, M_DOUBLE, "deepest fall from a previous peak"),
    F(max_drawdown_ns, false, M_INT, "longest time under a previous peak (ns)"),
    F(win_rate, true, M_DOUBLE, "share of trades with a positive PnL"),
    F(profit_factor, true, M_DOUBLE, "gross profit / gross loss"),
    F(expectancy, true, M_DOUBLE, "mean PnL per trade"),
    F(avg_trade, true, M_DOUBLE, "mean trade return"),
    F(best_trade, true, M_DOUBLE, "best trade return"),
    F(worst_trade, true, M_DOUBLE, "worst trade return"),
    F(avg_holding_ns, true, M_INT, "mean holding time (ns)"),
    F(exposure, true, M_DOUBLE, "share of bars with a position"),
    F(n_trades, true, M_INT, "number of round trips"),
    F(sqn, true, M_DOUBLE, "system quality number"),
    F(turnover, false, M_DOUBLE, "traded notional / mean equity"),
    F(fees, false, M_DOUBLE, "fees paid"),
    F(buy_hold_return, true, M_DOUBLE, "return of buying and holding"),
    F(alpha, true, M_DOUBLE, "annualized alpha against buy and hold"),
    F(beta, false, M_DOUBLE, "beta against buy and hold"),
};

enum { N_FIELDS = sizeof FIELDS / sizeof FIELDS[0] };

const cq_metric_info *cq_metric_at(int index) {
  return index >= 0 && index < N_FIELDS ? &FIELDS[index].info : NULL;
}

int cq_metrics_count(void) {
  return N_FIELDS;
}

int cq_metric_find(const char *name, int *index, cq_error *err) {
  const char *names[N_FIELDS];
  for (int i = 0; i < N_FIELDS; i++) {
    names[i] = FIELDS[i].info.name;
    if (name && !strcasecmp(name, names[i])) {
      *index = i;
      return CQ_OK;
    }
  }
  const char *near = name ? cq_closest(name, names, N_FIELDS, 3) : NULL;
  if (near)
    return cq_error_set(err, CQ_ENOTFOUND, "unknown metric \"%s\" (did you mean %s?)",
                        name ? name : "", near);
  return cq_error_set(err, CQ_ENOTFOUND,
                      "unknown metric \"%s\" (cquant optimize --help lists them)",
                      name ? name : "");
}

void cq_metric_set(cq_bt_metrics *m, int index, double v) {
  if (index < 0 || index >= N_FIELDS) return;
  char *p = (char *)m + FIELDS[index].offset;
  if (FIELDS[index].kind == M_INT)
    *(int64_t *)(void *)p = (int64_t)v;
  else
    *(double *)(void *)p = v;
}

double cq_metric_value(const cq_bt_metrics *m, int index) {
  if (index < 0 || index >= N_FIELDS) return NAN;
  const char *p = (const char *)m + FIELDS[index].offset;
  if (FIELDS[index].kind == M_INT) return (double)*(const int64_t *)(const void *)p;
  return *(const double *)(const void *)p;
}
