/* The evaluation document (kind "evaluate"; docs/optimization.md has its schema): what was
 * run, every cell's metrics, the scorecard, the ranking, the score formula and what the
 * statistics assume. Statistics that could not be computed are written with the reason. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/jsonw.h"
#include "opt_internal.h"

enum { DOC_FORMAT = 1 };

static const char *const notes[] = {
    "Each cell is one backtest of one strategy on one symbol over one period, starting flat "
    "with the initial cash at the period's first bar; indicators warm up inside the period.",
    "Sharpe ratios are annualized from the bar returns like the run metrics; a cell whose "
    "equity never moves (no trade) counts as Sharpe 0.",
    "Medians over an even number of cells are the mean of the two middle values; cells "
    "whose metric is undefined are left out.",
    "The pooled Sharpe uses every cell's bar returns together; its 95 % interval comes from "
    "1000 circular-block bootstrap resamples (blocks of about n^(1/3) bars), seeded.",
    "Overfitting risk is the deflated Sharpe ratio (Bailey and Lopez de Prado, 2014) of the "
    "pooled returns: the probability that their Sharpe beats the best of N trials drawn by "
    "luck, N = strategies x parameter sets tried per strategy, with the variance of every "
    "cell's per-bar Sharpe standing in for the variance across trials. It assumes the trials "
    "are independent, that N counts every parameter set tried before this evaluation, and "
    "that the pooled returns are one stationary series; with N = 1 it is the probabilistic "
    "Sharpe ratio against 0.",
    "A symbol (period) beats buy and hold when the strategy's mean total return over its "
    "cells exceeds the mean buy-and-hold return of the same cells.",
};

static void put_params(cq_jw *w, const cq_eval_strategy *s) {
  cq_jw_key(w, "params");
  cq_jw_open(w, '{');
  for (int i = 0; i < s->def->n_params; i++)
    cq_jw_key_num(w, s->def->params[i].name, i < s->params.n ? s->params.v[i] : NAN);
  cq_jw_close(w, '}');
}

static void put_period(cq_jw *w, const cq_eval_period *p) {
  cq_jw_key(w, "from");
  cq_jw_time(w, p->from);
  cq_jw_key(w, "to");
  cq_jw_time(w, p->to);
}

static void put_cells(cq_jw *w, const cq_eval_config *c, const cq_eval_result *r) {
  cq_jw_key(w, "cells");
  cq_jw_open(w, '[');
  for (size_t i = 0; i < r->n_cells; i++) {
    const cq_eval_cell *cell = &r->cells[i];
    cq_jw_open(w, '{');
    cq_jw_key_str(w, "strategy", c->strategies[cell->strategy].def->name);
    cq_jw_key_str(w, "symbol", c->bt.symbols[cell->symbol]);
    cq_jw_key_int(w, "period", cell->period);
    put_period(w, &c->periods[cell->period]);
    cq_jw_key_str(w, "engine", cq_bt_engine_name(cell->engine));
    cq_jw_key_int(w, "bars", (int64_t)cell->n_returns);
    cq_bt_json_metrics(w, &cell->metrics);
    cq_jw_close(w, '}');
  }
  cq_jw_close(w, ']');
}

static void put_score(cq_jw *w, const cq_eval_config *c, const cq_eval_score *s) {
  cq_jw_open(w, '{');
  cq_jw_key_str(w, "strategy", c->strategies[s->strategy].def->name);
  cq_jw_key_int(w, "rank", s->rank);
  cq_jw_key_int(w, "cells", s->cells);
  cq_jw_key(w, "return");
  cq_jw_open(w, '{');
  cq__opt_put_stat(w, "median_cagr", &s->median_cagr);
  cq__opt_put_stat(w, "median_total_return", &s->median_return);
  cq_jw_close(w, '}');
  cq_jw_key(w, "risk");
  cq_jw_open(w, '{');
  cq__opt_put_stat(w, "median_max_drawdown", &s->median_drawdown);
  cq__opt_put_stat(w, "worst_max_drawdown", &s->worst_drawdown);
  cq__opt_put_stat(w, "median_volatility", &s->median_volatility);
  cq_jw_close(w, '}');
  cq_jw_key(w, "robustness");
  cq_jw_open(w, '{');
  cq__opt_put_stat(w, "profitable_cells", &s->profitable);
  cq__opt_put_stat(w, "median_sharpe", &s->median_sharpe);
  cq__opt_put_stat(w, "worst_sharpe", &s->worst_sharpe);
  cq__opt_put_interval(w, "pooled_sharpe", &s->pooled_sharpe);
  cq_jw_close(w, '}');
  cq_jw_key(w, "overfitting");
  cq_jw_open(w, '{');
  cq__opt_put_stat(w, "deflated_sharpe", &s->dsr.dsr);
  cq_jw_key_num(w, "sr0", s->dsr.dsr.ok ? s->dsr.sr0 : NAN);
  cq_jw_key_int(w, "trials", s->dsr.n_trials);
  cq_jw_close(w, '}');
  cq_jw_key(w, "consistency");
  cq_jw_open(w, '{');
  cq__opt_put_stat(w, "sharpe_sd_symbols", &s->sharpe_sd_symbols);
  cq__opt_put_stat(w, "sharpe_sd_periods", &s->sharpe_sd_periods);
  cq__opt_put_stat(w, "beats_buy_hold_symbols", &s->beats_bh_symbols);
  cq__opt_put_stat(w, "beats_buy_hold_periods", &s->beats_bh_periods);
  cq_jw_close(w, '}');
  cq_jw_key(w, "score");
  cq_jw_open(w, '{');
  cq_jw_key(w, "ok");
  cq_jw_bool(w, s->score.ok);
  cq_jw_key_num(w, "value", s->score.ok ? s->score.value : NAN);
  cq_jw_key(w, "why");
  if (s->score.ok)
    cq_jw_null(w);
  else
    cq_jw_str(w, s->score.why[0] ? s->score.why : "not enough data");
  cq_jw_key(w, "parts");
  cq_jw_open(w, '{');
  cq__opt_put_stat(w, "return", &s->part_return);
  cq__opt_put_stat(w, "risk", &s->part_risk);
  cq__opt_put_stat(w, "robustness", &s->part_robustness);
  cq__opt_put_stat(w, "overfitting", &s->part_overfitting);
  cq__opt_put_stat(w, "consistency", &s->part_consistency);
  cq_jw_close(w, '}');
  cq_jw_close(w, '}');
  cq_jw_close(w, '}');
}

int cq_eval_json(const cq_eval_config *c, const cq_eval_result *r, char **out, size_t *len,
                 cq_error *err) {
  *out = NULL;
  if (!r->scores || r->n_strategies != c->n_strategies || r->n_periods != c->n_periods ||
      r->n_symbols != c->bt.n_symbols)
    return cq_error_set(err, CQ_EINVAL, "evaluation JSON: the result does not match the settings");
  cq_jw w = {0};
  cq_jw_open(&w, '{');
  cq_jw_key_int(&w, "format", DOC_FORMAT);
  cq_jw_key_str(&w, "kind", "evaluate");
  /* the settings every cell shares; strategy, parameters and range are the cells' own */
  cq_bt_config shared = c->bt;
  shared.strategy[0] = '\0';
  shared.params.n = 0;
  shared.from = c->periods[0].from;
  shared.to = c->periods[c->n_periods - 1].to;
  cq_bt_json_config(&w, &shared);
  cq_jw_key_str(&w, "engine", c->auto_engine ? "auto" : cq_bt_engine_name(c->bt.engine));
  cq_jw_key_int(&w, "seed", (int64_t)c->seed);
  cq_jw_key_int(&w, "tried", c->tried);
  cq_jw_key_int(&w, "trials", r->trials);
  cq__opt_put_stat(&w, "var_sr", &r->var_sr);
  cq_jw_key(&w, "strategies");
  cq_jw_open(&w, '[');
  for (int s = 0; s < c->n_strategies; s++) {
    cq_jw_open(&w, '{');
    cq_jw_key_str(&w, "name", c->strategies[s].def->name);
    cq_jw_key_str(&w, "summary",
                  c->strategies[s].def->summary ? c->strategies[s].def->summary : "");
    put_params(&w, &c->strategies[s]);
    cq_jw_close(&w, '}');
  }
  cq_jw_close(&w, ']');
  cq_jw_key(&w, "symbols");
  cq_jw_open(&w, '[');
  for (int y = 0; y < c->bt.n_symbols; y++) cq_jw_str(&w, c->bt.symbols[y]);
  cq_jw_close(&w, ']');
  cq_jw_key(&w, "periods");
  cq_jw_open(&w, '[');
  for (int p = 0; p < c->n_periods; p++) {
    cq_jw_open(&w, '{');
    put_period(&w, &c->periods[p]);
    cq_jw_close(&w, '}');
  }
  cq_jw_close(&w, ']');
  put_cells(&w, c, r);
  cq_jw_key(&w, "scorecard"); /* best first */
  cq_jw_open(&w, '[');
  for (int i = 0; i < r->n_strategies; i++) put_score(&w, c, &r->scores[r->ranking[i]]);
  cq_jw_close(&w, ']');
  cq_jw_key(&w, "ranking");
  cq_jw_open(&w, '[');
  for (int i = 0; i < r->n_strategies; i++) cq_jw_str(&w, c->strategies[r->ranking[i]].def->name);
  cq_jw_close(&w, ']');
  cq_jw_key_str(&w, "score_formula", cq_eval_score_formula);
  cq_jw_key(&w, "notes");
  cq_jw_open(&w, '[');
  for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++) cq_jw_str(&w, notes[i]);
  cq_jw_close(&w, ']');
  cq_jw_close(&w, '}');
  return cq_jw_finish(&w, "evaluation JSON", out, len, err);
}
