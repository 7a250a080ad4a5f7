/* The study document (docs/optimization.md has its schema) and the bootstrap intervals of
 * the best run's metrics. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/jsonw.h"
#include "opt_internal.h"

enum { BOOT_RESAMPLES = 1000, DOC_FORMAT = 1 };

/* ---- bootstrap ---------------------------------------------------------------------------- */

static int boot_one(const double *x, size_t n, cq_stat_fn f, size_t block, uint64_t seed,
                    cq_interval *out, cq_error *err) {
  memset(out, 0, sizeof *out);
  if (n < 10) {
    out->point.ok = false;
    snprintf(out->point.why, sizeof out->point.why, "needs at least 10 values (has %zu)", n);
    out->lo = out->hi = NAN;
    return CQ_OK;
  }
  if (block > n) block = n;
  return cq_bootstrap(x, n, f, NULL, BOOT_RESAMPLES, block ? block : 1, 0.95, seed, out, err);
}

static void scale(cq_interval *iv, double k) {
  iv->point.value *= k;
  iv->lo *= k;
  iv->hi *= k;
}

int cq_opt_bootstrap(const cq_bt_result *run, uint64_t seed, cq_opt_boot *out, cq_error *err) {
  memset(out, 0, sizeof *out);
  size_t n = run->n_bars, nt = 0;
  double *ret = malloc((n ? n : 1) * sizeof *ret);
  double *tr = malloc((run->n_trades ? run->n_trades : 1) * sizeof *tr);
  if (!ret || !tr) {
    free(ret);
    free(tr);
    return cq_error_set(err, CQ_ENOMEM, "bootstrap: no memory for %zu returns", n);
  }
  cq_bt_bar_returns(run, ret);
  for (size_t i = 0; i < run->n_trades; i++)
    if (!run->trades[i].open && isfinite(run->trades[i].ret)) tr[nt++] = run->trades[i].ret;
  size_t block = (size_t)llround(cbrt((double)n));
  int64_t tf = cq_timeframe_ns(run->config.tf);
  double ann = tf > 0 ? sqrt(365.0 * 86400.0 * 1e9 / (double)tf) : 1;
  int rc = boot_one(ret, n, cq_stat_sharpe, block, cq_rng_derive(seed, 1), &out->sharpe, err);
  if (!rc) scale(&out->sharpe, ann);
  if (!rc)
    rc = boot_one(ret, n, cq_stat_total_return, block, cq_rng_derive(seed, 2), &out->total_return,
                  err);
  if (!rc)
    rc = boot_one(ret, n, cq_stat_max_drawdown, block, cq_rng_derive(seed, 3), &out->max_drawdown,
                  err);
  if (!rc) rc = boot_one(tr, nt, cq_stat_win_rate, 1, cq_rng_derive(seed, 4), &out->win_rate, err);
  if (!rc)
    rc = boot_one(tr, nt, cq_stat_profit_factor, 1, cq_rng_derive(seed, 5), &out->profit_factor,
                  err);
  if (!rc) rc = boot_one(tr, nt, cq_stat_mean, 1, cq_rng_derive(seed, 6), &out->avg_trade, err);
  free(ret);
  free(tr);
  return rc;
}

/* ---- the document ------------------------------------------------------------------------- */

static const char *state_name(cq_trial_state s) {
  return s == CQ_TRIAL_COMPLETE ? "complete" : s == CQ_TRIAL_INFEASIBLE ? "infeasible" : "failed";
}

static void put_params(cq_jw *w, const cq_opt_space *s, const double *p) {
  cq_jw_key(w, "params");
  cq_jw_open(w, '{');
  for (int i = 0; i < s->def->n_params; i++) cq_jw_key_num(w, s->def->params[i].name, p[i]);
  cq_jw_close(w, '}');
}

/* A statistic: its value, or null with the reason. */
void cq__opt_put_stat(cq_jw *w, const char *key, const cq_stat *s) {
  cq_jw_key(w, key);
  cq_jw_open(w, '{');
  cq_jw_key(w, "ok");
  cq_jw_bool(w, s->ok);
  cq_jw_key_num(w, "value", s->ok ? s->value : NAN);
  cq_jw_key(w, "why");
  if (s->ok)
    cq_jw_null(w);
  else
    cq_jw_str(w, s->why[0] ? s->why : "not enough data");
  cq_jw_close(w, '}');
}

void cq__opt_put_interval(cq_jw *w, const char *key, const cq_interval *iv) {
  cq_jw_key(w, key);
  cq_jw_open(w, '{');
  cq__opt_put_stat(w, "point", &iv->point);
  cq_jw_key_num(w, "lo", iv->point.ok ? iv->lo : NAN);
  cq_jw_key_num(w, "hi", iv->point.ok ? iv->hi : NAN);
  cq_jw_key_num(w, "level", iv->level);
  cq_jw_key_int(w, "resamples", iv->resamples);
  cq_jw_close(w, '}');
}

static void put_space(cq_jw *w, const cq_opt_space *s) {
  cq_jw_key(w, "space");
  cq_jw_open(w, '{');
  cq_jw_key(w, "dims");
  cq_jw_open(w, '[');
  for (int i = 0; i < s->n_dims; i++) {
    const cq_opt_dim *d = &s->dims[i];
    cq_jw_open(w, '{');
    cq_jw_key_str(w, "name", s->def->params[d->param].name);
    cq_jw_key_str(w, "type",
                  d->type == CQ_PARAM_INT     ? "int"
                  : d->type == CQ_PARAM_FLOAT ? "float"
                                              : "bool");
    cq_jw_key(w, "choices");
    if (d->n_choices) {
      cq_jw_open(w, '[');
      for (int k = 0; k < d->n_choices; k++) cq_jw_num(w, d->choices[k]);
      cq_jw_close(w, ']');
    } else {
      cq_jw_null(w);
    }
    cq_jw_key_num(w, "lo", d->n_choices ? NAN : d->lo);
    cq_jw_key_num(w, "hi", d->n_choices ? NAN : d->hi);
    cq_jw_key_num(w, "step", d->n_choices ? NAN : d->step);
    cq_jw_close(w, '}');
  }
  cq_jw_close(w, ']');
  cq_jw_key(w, "constraints");
  cq_jw_open(w, '[');
  for (int i = 0; i < s->n_constraints; i++) cq_jw_str(w, s->constraints[i].text);
  cq_jw_close(w, ']');
  cq_jw_key_int(w, "size", cq_opt_space_size(s) == INT64_MAX ? -1 : cq_opt_space_size(s));
  cq_jw_close(w, '}');
}

static const char *metric_name(int i) {
  const cq_metric_info *m = cq_metric_at(i);
  return m ? m->name : "";
}

static void put_study_head(cq_jw *w, const cq_opt_study *st) {
  const cq_opt_config *c = &st->config;
  cq_jw_key(w, "study");
  cq_jw_open(w, '{');
  cq_jw_key_int(w, "id", st->store_id);
  cq_jw_key_str(w, "strategy", st->space.def->name);
  cq_jw_key_str(w, "sampler", cq_sampler_name(c->sampler));
  cq_jw_key_int(w, "seed", (int64_t)c->seed);
  cq_jw_key_str(w, "objective", metric_name(c->objective));
  const cq_metric_info *m = cq_metric_at(c->objective);
  cq_jw_key(w, "higher_better");
  cq_jw_bool(w, m && m->higher_better);
  cq_jw_key(w, "objective2");
  if (c->objective2 >= 0)
    cq_jw_str(w, metric_name(c->objective2));
  else
    cq_jw_null(w);
  const cq_metric_info *m2 = cq_metric_at(c->objective2);
  cq_jw_key(w, "higher_better2");
  cq_jw_bool(w, m2 && m2->higher_better);
  cq_jw_key_int(w, "min_trades", c->min_trades);
  cq_jw_key_num(w, "max_drawdown", c->max_drawdown > 0 ? c->max_drawdown : NAN);
  cq_jw_key_int(w, "trials_asked", c->trials);
  cq_jw_key_int(w, "patience", c->patience);
  cq_jw_key_int(w, "trials", (int64_t)st->n_trials);
  cq_jw_key(w, "stopped_early");
  cq_jw_bool(w, st->stopped_early);
  cq_jw_close(w, '}');
}

static void put_trial_metrics(cq_jw *w, const cq_bt_metrics *m) {
  cq_jw_key(w, "metrics");
  cq_jw_open(w, '{');
  for (int i = 0; i < cq_metrics_count(); i++)
    cq_jw_key_num(w, metric_name(i), cq_metric_value(m, i));
  cq_jw_close(w, '}');
}

static void put_trials(cq_jw *w, const cq_opt_study *st) {
  cq_jw_key(w, "trials");
  cq_jw_open(w, '[');
  for (size_t i = 0; i < st->n_trials; i++) {
    const cq_opt_trial *t = &st->trials[i];
    cq_jw_open(w, '{');
    cq_jw_key_int(w, "number", t->number);
    cq_jw_key_str(w, "state", state_name(t->state));
    put_params(w, &st->space, t->params);
    cq_jw_key_num(w, "value", t->value);
    cq_jw_key_num(w, "value2", t->value2);
    put_trial_metrics(w, &t->metrics);
    cq_jw_close(w, '}');
  }
  cq_jw_close(w, ']');
}

static void put_stats(cq_jw *w, const cq_opt_stats *s, const cq_opt_boot *b) {
  cq_jw_key(w, "stats");
  cq_jw_open(w, '{');
  cq_jw_key(w, "dsr");
  cq_jw_open(w, '{');
  cq__opt_put_stat(w, "probability", &s->dsr.dsr);
  cq_jw_key_num(w, "sr0", s->dsr.dsr.ok ? s->dsr.sr0 : NAN);
  cq_jw_key_int(w, "n_trials", s->dsr.n_trials);
  cq_jw_key_num(w, "var_sr", s->dsr.var_sr);
  cq_jw_close(w, '}');
  cq_jw_key(w, "pbo");
  cq_jw_open(w, '{');
  cq__opt_put_stat(w, "probability", &s->pbo.pbo);
  cq_jw_key_int(w, "splits", s->pbo.n_splits);
  cq_jw_key_num(w, "prob_loss", s->pbo.pbo.ok ? s->pbo.prob_loss : NAN);
  cq__opt_put_stat(w, "slope", &s->pbo.slope);
  cq_jw_close(w, '}');
  cq_jw_key(w, "stability");
  cq_jw_open(w, '{');
  cq__opt_put_stat(w, "ratio", &s->stability.stability);
  cq_jw_key_num(w, "fall", s->stability.stability.ok ? s->stability.fall : NAN);
  cq_jw_key_int(w, "neighbours", s->stability.neighbours);
  cq_jw_close(w, '}');
  cq_jw_key(w, "bootstrap");
  if (!b) {
    cq_jw_null(w);
  } else {
    cq_jw_open(w, '{');
    cq__opt_put_interval(w, "sharpe", &b->sharpe);
    cq__opt_put_interval(w, "total_return", &b->total_return);
    cq__opt_put_interval(w, "max_drawdown", &b->max_drawdown);
    cq__opt_put_interval(w, "win_rate", &b->win_rate);
    cq__opt_put_interval(w, "profit_factor", &b->profit_factor);
    cq__opt_put_interval(w, "avg_trade", &b->avg_trade);
    cq_jw_close(w, '}');
  }
  cq_jw_close(w, '}');
}

int cq_opt_study_json(const cq_opt_study *st, const cq_opt_stats *stats, const cq_opt_boot *boot,
                      const cq_bt_result *best_run, const cq_bt_data *data, char **out, size_t *len,
                      cq_error *err) {
  size_t *front = NULL, nfront = 0;
  if (st->config.objective2 >= 0) {
    int rc = cq_opt_pareto(st, &front, &nfront, err);
    if (rc) return rc;
  }
  cq_jw w = {0};
  cq_jw_open(&w, '{');
  cq_jw_key_int(&w, "format", DOC_FORMAT);
  cq_jw_key_str(&w, "kind", "optimize");
  put_study_head(&w, st);
  put_space(&w, &st->space);
  cq_bt_json_config(&w, &st->bt);
  cq_jw_key(&w, "best");
  if (st->best >= 0)
    cq_jw_int(&w, st->trials[st->best].number);
  else
    cq_jw_null(&w);
  put_trials(&w, st);
  cq_jw_key(&w, "pareto");
  if (front) {
    cq_jw_open(&w, '[');
    for (size_t i = 0; i < nfront; i++) cq_jw_int(&w, st->trials[front[i]].number);
    cq_jw_close(&w, ']');
  } else {
    cq_jw_null(&w);
  }
  free(front);
  if (stats) put_stats(&w, stats, boot);
  cq_jw_key(&w, "best_run");
  if (best_run)
    cq_bt_json_run(&w, best_run, data, CQ_BT_REPORT_MAX_POINTS);
  else
    cq_jw_null(&w);
  cq_jw_close(&w, '}');
  return cq_jw_finish(&w, "study JSON", out, len, err);
}

/* ---- walk-forward ------------------------------------------------------------------------- */

static void put_window(cq_jw *w, const cq_opt_space *s, const cq_wf_window *win) {
  cq_jw_open(w, '{');
  cq_jw_key(w, "is_from");
  cq_jw_time(w, win->is_from);
  cq_jw_key(w, "is_to");
  cq_jw_time(w, win->is_to);
  cq_jw_key(w, "oos_from");
  cq_jw_time(w, win->oos_from);
  cq_jw_key(w, "oos_to");
  cq_jw_time(w, win->oos_to);
  cq_jw_key(w, "ok");
  cq_jw_bool(w, win->ok);
  cq_jw_key_int(w, "trials", win->trials);
  put_params(w, s, win->params);
  cq_jw_key_num(w, "is_value", win->is_value);
  cq_jw_key(w, "is");
  cq_jw_open(w, '{');
  put_trial_metrics(w, &win->is_metrics);
  cq_jw_close(w, '}');
  cq_jw_key(w, "oos");
  cq_jw_open(w, '{');
  put_trial_metrics(w, &win->oos_metrics);
  cq_jw_close(w, '}');
  cq_jw_close(w, '}');
}

int cq_wf_json(const cq_opt_study *proto, const cq_wf_config *wf, const cq_wf_result *r,
               const cq_bt_data *data, char **out, size_t *len, cq_error *err) {
  cq_jw w = {0};
  cq_jw_open(&w, '{');
  cq_jw_key_int(&w, "format", DOC_FORMAT);
  cq_jw_key_str(&w, "kind", "walkforward");
  put_study_head(&w, proto);
  put_space(&w, &proto->space);
  cq_bt_json_config(&w, &proto->bt);
  cq_jw_key(&w, "walkforward");
  cq_jw_open(&w, '{');
  cq_jw_key_int(&w, "is_ns", wf->is_ns);
  cq_jw_key_int(&w, "oos_ns", wf->oos_ns);
  cq_jw_key_int(&w, "step_ns", wf->step_ns > 0 ? wf->step_ns : wf->oos_ns);
  cq_jw_key(&w, "anchored");
  cq_jw_bool(&w, wf->anchored);
  cq_jw_key_int(&w, "warmup_bars", wf->warmup_bars);
  cq__opt_put_stat(&w, "efficiency", &r->efficiency);
  cq_jw_key(&w, "drift");
  cq_jw_open(&w, '{');
  for (int d = 0; d < r->searched && d < proto->space.n_dims; d++)
    cq_jw_key_num(&w, proto->space.def->params[proto->space.dims[d].param].name, r->drift[d]);
  cq_jw_close(&w, '}');
  cq_jw_close(&w, '}');
  cq_jw_key(&w, "windows");
  cq_jw_open(&w, '[');
  for (size_t i = 0; i < r->n_windows; i++) put_window(&w, &proto->space, &r->windows[i]);
  cq_jw_close(&w, ']');
  cq_jw_key(&w, "oos_run");
  cq_bt_json_run(&w, &r->oos, data, CQ_BT_REPORT_MAX_POINTS);
  cq_jw_close(&w, '}');
  return cq_jw_finish(&w, "study JSON", out, len, err);
}
