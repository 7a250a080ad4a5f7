/* cquant optimize / walkforward: parameter search and walk-forward analysis over stored
 * candles (docs/cli/optimize.md). Studies are kept in the store, trial by trial, so an
 * interrupted one resumes with --resume ID. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_backtest.h"
#include "cmd_data.h"
#include "cmd_optimize.h"
#include "cquant/jsonw.h"
#include "cquant/optimize.h"
#include "cquant/strategy.h"

/* Trial values kept in the store: the metrics, the return moments, the return blocks. */
enum {
  PACK_MOMENTS = 4,
  PACK_BLOCKS = 3 * CQ_OPT_BLOCKS,
};

typedef struct opt_opts {
  bt_opts bt;
  const char *sampler, *objective, *objective2, *max_dd, *is, *oos, *step;
  /* whole numbers: UNSET when not given */
  size_t trials, seed, patience, min_trades, threads, resume, warmup;
  cli_list constraints, only;
  bool anchored;
} opt_opts;

static int fail_usage(cli_ctx *ctx, const char *cmd, const cq_error *e) {
  cli_report_error(ctx, cmd, e);
  return CLI_USAGE;
}

#define UNSET SIZE_MAX

/* A whole-number option given below its least value. */
static int below(cli_ctx *ctx, const char *cmd, const char *flag, size_t v, size_t min) {
  if (v >= min) return CLI_OK;
  fprintf(ctx->err, "cquant %s: %s %zu: expected %zu or more\n", cmd, flag, v, min);
  return CLI_USAGE;
}

/* The study from the options: the backtest, the space and the search settings. */
static int study_of(cli_ctx *ctx, const char *cmd, opt_opts *o, cq_opt_study *st) {
  cq_error e;
  const cq_strategy_def *def = NULL;
  cli_list params = o->bt.params;
  o->bt.params.n = 0; /* ranges, not values: the space reads them */
  int rc = bt_config_of(ctx, cmd, &o->bt, &st->bt, &def);
  o->bt.params = params;
  if (rc) return rc;
  if (!o->bt.engine && def->signals) st->bt.engine = CQ_BT_VECTOR;
  if (cq_opt_space_init(&st->space, def, &e)) return fail_usage(ctx, cmd, &e);
  for (int i = 0; i < params.n; i++)
    if (cq_opt_space_set(&st->space, params.v[i], &e)) return fail_usage(ctx, cmd, &e);
  for (int i = 0; i < o->only.n; i++)
    if (cq_opt_space_only(&st->space, o->only.v[i], &e)) return fail_usage(ctx, cmd, &e);
  for (int i = 0; i < o->constraints.n; i++)
    if (cq_opt_space_constrain(&st->space, o->constraints.v[i], &e))
      return fail_usage(ctx, cmd, &e);
  cq_opt_config *c = &st->config;
  if (o->sampler && cq_sampler_parse(o->sampler, &c->sampler, &e)) return fail_usage(ctx, cmd, &e);
  if (c->sampler == CQ_SAMPLER_GRID) c->trials = 0;
  if (o->trials != UNSET) {
    if ((rc = below(ctx, cmd, "--trials", o->trials, 1))) return rc;
    c->trials = (int64_t)o->trials;
  }
  if (o->seed != UNSET) c->seed = o->seed;
  if (o->patience != UNSET) c->patience = (int64_t)o->patience;
  if (o->min_trades != UNSET) c->min_trades = (int64_t)o->min_trades;
  if (o->threads != UNSET) {
    if ((rc = below(ctx, cmd, "--threads", o->threads, 1))) return rc;
    c->threads = (int)(o->threads > 256 ? 256 : o->threads);
  }
  if (o->objective && cq_metric_find(o->objective, &c->objective, &e)) {
    cq_error_prefix(&e, "--objective: ");
    return fail_usage(ctx, cmd, &e);
  }
  if (o->objective2 && cq_metric_find(o->objective2, &c->objective2, &e)) {
    cq_error_prefix(&e, "--objective2: ");
    return fail_usage(ctx, cmd, &e);
  }
  if (o->max_dd) {
    char *end = NULL;
    double x = strtod(o->max_dd, &end);
    if (end == o->max_dd || *end || !(x > 0 && x <= 1)) {
      fprintf(ctx->err,
              "cquant %s: --max-dd \"%s\": expected a fraction 0 < X <= 1 (0.3 is 30 %%)\n", cmd,
              o->max_dd);
      return CLI_USAGE;
    }
    c->max_drawdown = x;
  }
  if (cq_opt_space_check(&st->space, &e)) return fail_usage(ctx, cmd, &e);
  return CLI_OK;
}

const char cmd_optimize_usage[] =
    "usage: cquant optimize [options]            search a strategy's parameters\n"
    "       cquant optimize --resume ID [options]  continue a stored study\n"
    "       cquant optimize list                   the stored studies\n"
    "\n"
    "Runs backtests of --strategy over stored candles for many parameter values, in parallel on\n"
    "every core, and reports the best with its overfitting statistics (docs/optimization.md).\n"
    "\n"
    "The backtest: every option of cquant backtest (--symbol, --tf, --from, --to, --fee,\n"
    "--slippage, --latency, --engine; the vector engine by default when the strategy has one).\n"
    "\n"
    "The search:\n"
    "  --param NAME=LO:HI:STEP     a range (NAME=LO:HI: step 1, or continuous for a float)\n"
    "  --param NAME=A,B,C          choices;  --param NAME=V  fixes it (no longer searched)\n"
    "  --only NAME,NAME            search only these; the others keep their defaults\n"
    "  --constraint 'fast < slow'  a rule between parameters (+ - * /, < <= > >= == !=, and, or)\n"
    "  --sampler grid|random|tpe   (default tpe)\n"
    "  --trials N                  trials to run (default 100; grid: every feasible point)\n"
    "  --seed N                    the same seed, the same trials and results (default 42)\n"
    "  --patience N                stop when the best has not improved for N trials\n"
    "  --objective METRIC          what to optimize (default sharpe; any metric of a run)\n"
    "  --objective2 METRIC         a second one: the report shows the Pareto front\n"
    "  --min-trades N, --max-dd X  trials with fewer trades or a deeper drawdown are infeasible\n"
    "  --threads N                 worker threads (default: every core)\n"
    "\n"
    "Output: --report FILE.html, --output FILE.json, --json (the document on stdout),\n"
    "--no-store (do not keep the study), --quiet (no progress).\n";

const char cmd_walkforward_usage[] =
    "usage: cquant walkforward --is LEN --oos LEN [--step LEN] [--anchored] [--warmup BARS]\n"
    "                          [every option of cquant optimize]\n"
    "\n"
    "Optimizes in each in-sample window, runs the best parameters on the out-of-sample window\n"
    "that follows (the strategy warmed up on the in-sample bars, or on --warmup bars), and\n"
    "stitches the out-of-sample runs into one equity curve. Prints each window, the stitched\n"
    "metrics, the walk-forward efficiency and the parameters' drift (docs/optimization.md).\n"
    "  --is 180d --oos 30d   window lengths; --step LEN (default: --oos)\n"
    "  --anchored            every in-sample window starts at the first bar\n";

/* ---- the store ------------------------------------------------------------------------- */

static void pack_trial(const cq_opt_trial *t, int n_params, double *values, cq_study_trial *out) {
  memset(out, 0, sizeof *out);
  out->number = t->number;
  out->state = (int)t->state;
  out->value = t->value;
  out->value2 = t->value2;
  out->n_params = n_params;
  memcpy(out->params, t->params, (size_t)n_params * sizeof(double));
  size_t k = 0;
  for (int i = 0; i < cq_metrics_count(); i++) values[k++] = cq_metric_value(&t->metrics, i);
  values[k++] = (double)t->moments.n;
  values[k++] = t->moments.mean;
  values[k++] = t->moments.sd;
  values[k++] = t->moments.skew;
  values[k++] = t->moments.kurt;
  for (int b = 0; b < CQ_OPT_BLOCKS; b++) {
    values[k++] = t->blocks[b].n;
    values[k++] = t->blocks[b].sum;
    values[k++] = t->blocks[b].sumsq;
  }
  out->values = values;
  out->n_values = k;
}

static size_t pack_size(void) {
  return (size_t)cq_metrics_count() + PACK_MOMENTS + 1 + PACK_BLOCKS;
}

static int unpack_trial(const cq_study_trial *s, int n_params, cq_opt_trial *t, cq_error *err) {
  if (s->n_values != pack_size() || s->n_params != n_params)
    return cq_error_set(err, CQ_EPARSE,
                        "stored trial %lld has %zu values and %d parameters; expected %zu and %d "
                        "(a study from another version)",
                        (long long)s->number, s->n_values, s->n_params, pack_size(), n_params);
  memset(t, 0, sizeof *t);
  t->number = s->number;
  t->state = (cq_trial_state)s->state;
  t->value = s->value;
  t->value2 = s->value2;
  memcpy(t->params, s->params, (size_t)n_params * sizeof(double));
  const double *v = s->values;
  size_t k = 0;
  for (int i = 0; i < cq_metrics_count(); i++) cq_metric_set(&t->metrics, i, v[k++]);
  t->moments = (cq_moments){
      .n = (int64_t)v[k], .mean = v[k + 1], .sd = v[k + 2], .skew = v[k + 3], .kurt = v[k + 4]};
  k += 5;
  for (int b = 0; b < CQ_OPT_BLOCKS; b++, k += 3)
    t->blocks[b] = (cq_block_stat){v[k], v[k + 1], v[k + 2]};
  return CQ_OK;
}

static void info_of(const cq_opt_study *st, const char *kind, cq_study_info *in) {
  in->best_trial = st->best >= 0 ? st->trials[st->best].number : -1;
  in->best_value = st->best >= 0 ? st->trials[st->best].value : NAN;
  snprintf(in->kind, sizeof in->kind, "%s", kind);
  snprintf(in->strategy, sizeof in->strategy, "%s", st->space.def->name);
  snprintf(in->sampler, sizeof in->sampler, "%s", cq_sampler_name(st->config.sampler));
  snprintf(in->objective, sizeof in->objective, "%s", cq_metric_at(st->config.objective)->name);
  snprintf(in->venue, sizeof in->venue, "%s", st->bt.venue);
  size_t at = 0;
  in->symbols[0] = '\0';
  for (int s = 0; s < st->bt.n_symbols && at < sizeof in->symbols; s++) {
    int n = snprintf(in->symbols + at, sizeof in->symbols - at, "%s%s", s ? "," : "",
                     st->bt.symbols[s]);
    if (n > 0) at += (size_t)n;
  }
  cq_timeframe_format(st->bt.tf, in->timeframe, sizeof in->timeframe);
  in->from = st->bt.from;
  in->to = st->bt.to;
}

typedef struct run_state {
  cli_ctx *ctx;
  const char *cmd;
  cq_store *store;
  int64_t study;
  size_t stored;
  cq_progress prog;
  bool show;
  int rc;
  cq_error err;
  char *spec; /* a new study: created with its first trials (nothing refused is kept) */
  cq_opt_study *st;
} run_state;

static int create_study(run_state *rs, const cq_opt_study *st) {
  cq_study_info in = {0};
  info_of(st, "optimize", &in);
  in.created_at = in.updated_at = cq_clock_now(&rs->ctx->clock);
  snprintf(in.status, sizeof in.status, "running");
  int rc = cq_store_put_study(rs->store, &in, rs->spec, &rs->err);
  if (!rc) rs->study = rs->st->store_id = in.id;
  return rc;
}

static int store_new_trials(run_state *rs, const cq_opt_study *st) {
  size_t n = st->n_trials - rs->stored;
  if (!rs->store || n == 0) return CQ_OK;
  if (!rs->study) {
    int rc = create_study(rs, st);
    if (rc) return rc;
  }
  cq_study_trial *t = calloc(n, sizeof *t);
  double *values = malloc(n * pack_size() * sizeof *values);
  if (!t || !values) {
    free(t);
    free(values);
    return cq_error_set(&rs->err, CQ_ENOMEM, "optimize: no memory");
  }
  for (size_t i = 0; i < n; i++)
    pack_trial(&st->trials[rs->stored + i], st->space.def->n_params, values + i * pack_size(),
               &t[i]);
  int rc = cq_store_put_trials(rs->store, rs->study, t, n, &rs->err);
  if (!rc) rs->stored = st->n_trials;
  free(t);
  free(values);
  return rc;
}

static bool on_batch(const cq_opt_study *st, void *user) {
  run_state *rs = user;
  if (rs->show) {
    char note[96] = "";
    if (st->best >= 0)
      snprintf(note, sizeof note, "best %s %.4g (trial %lld)",
               cq_metric_at(st->config.objective)->name, st->trials[st->best].value,
               (long long)st->trials[st->best].number);
    cq_progress_note(&rs->prog, note);
    cq_progress_set(&rs->prog, st->n_trials);
  }
  if (store_new_trials(rs, st)) {
    rs->rc = rs->err.code;
    return false;
  }
  return true;
}

/* The options as JSON text, {"args":[...]}: what --resume parses again. NULL: no memory. */
static char *spec_of(int argc, char **argv) {
  cq_jw w = {0};
  cq_jw_open(&w, '{');
  cq_jw_key(&w, "args");
  cq_jw_open(&w, '[');
  for (int i = 0; i < argc; i++) cq_jw_str(&w, argv[i]);
  cq_jw_close(&w, ']');
  cq_jw_close(&w, '}');
  char *text = NULL;
  return cq_jw_finish(&w, "study options", &text, NULL, NULL) ? NULL : text;
}

/* ---- running ----------------------------------------------------------------------------- */

/* The backtest's options (bt_run_opts) and the search's. */
static size_t opts_table(opt_opts *o, cli_opt *t) {
  const cli_opt own[] = {
      {"--strategy", NULL, CLI_STR, &o->bt.strategy},
      {"--no-store", NULL, CLI_FLAG, &o->bt.no_store},
      {"--sampler", NULL, CLI_STR, &o->sampler},
      {"--trials", NULL, CLI_SIZE, &o->trials},
      {"--seed", NULL, CLI_SIZE, &o->seed},
      {"--patience", NULL, CLI_SIZE, &o->patience},
      {"--objective", NULL, CLI_STR, &o->objective},
      {"--objective2", NULL, CLI_STR, &o->objective2},
      {"--min-trades", NULL, CLI_SIZE, &o->min_trades},
      {"--max-dd", NULL, CLI_STR, &o->max_dd},
      {"--threads", "-j", CLI_SIZE, &o->threads},
      {"--constraint", NULL, CLI_LIST, &o->constraints},
      {"--only", NULL, CLI_LIST, &o->only},
      {"--resume", NULL, CLI_SIZE, &o->resume},
      {"--is", NULL, CLI_STR, &o->is},
      {"--oos", NULL, CLI_STR, &o->oos},
      {"--step", NULL, CLI_STR, &o->step},
      {"--warmup", NULL, CLI_SIZE, &o->warmup},
      {"--anchored", NULL, CLI_FLAG, &o->anchored},
  };
  memcpy(t, own, sizeof own);
  return sizeof own / sizeof own[0] + bt_run_opts(&o->bt, t + sizeof own / sizeof own[0]);
}

typedef struct job {
  opt_opts o;
  cq_opt_study st;
  cq_candles candles[CQ_BT_MAX_SYMBOLS];
  cq_bt_data data;
  cq_store *store;
  char *spec_argv[128];
  int spec_argc;
} job;

static void job_release(job *j) {
  cq_opt_study_release(&j->st);
  for (int s = 0; s < CQ_BT_MAX_SYMBOLS; s++) cq_candles_release(&j->candles[s]);
  if (j->store) cq_store_close(j->store);
  for (int i = 0; i < j->spec_argc; i++) free(j->spec_argv[i]);
  free(j);
}

static int parse_args(cli_ctx *ctx, const char *cmd, int argc, char **argv, opt_opts *o) {
  cli_opt table[64];
  o->trials = o->seed = o->patience = o->min_trades = o->threads = o->resume = o->warmup = UNSET;
  size_t n = opts_table(o, table);
  int npos = 0;
  return cli_parse(ctx, cmd, argc, argv, table, n, NULL, 0, &npos);
}

/* --resume ID: the stored options of the study, then the ones given now over them (a new
 * --trials, --threads, --report...). */
static int resume_args(cli_ctx *ctx, const char *cmd, job *j, int64_t id, cq_study *stored) {
  cq_error e;
  if (cq_store_get_study(j->store, id, true, stored, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  /* the spec is {"args":[...]}: the options the study was started with */
  json_error_t je;
  json_t *doc = stored->spec ? json_loads(stored->spec, 0, &je) : NULL;
  json_t *args = json_object_get(doc, "args");
  for (size_t i = 0; i < json_array_size(args) && j->spec_argc < 127; i++) {
    const char *a = json_string_value(json_array_get(args, i));
    char *copy = a ? strdup(a) : NULL;
    if (!copy) break;
    j->spec_argv[j->spec_argc++] = copy;
  }
  json_decref(doc);
  if (!j->spec_argc) {
    fprintf(ctx->err, "cquant %s: study %lld keeps no options to resume from\n", cmd,
            (long long)id);
    return CLI_FAIL;
  }
  return parse_args(ctx, cmd, j->spec_argc, j->spec_argv, &j->o);
}

static int load_stored_trials(cli_ctx *ctx, const char *cmd, job *j, const cq_study *stored) {
  cq_error e;
  cq_opt_study *st = &j->st;
  st->trials = calloc(stored->ntrials ? stored->ntrials : 1, sizeof *st->trials);
  if (!st->trials) return CLI_FAIL;
  st->cap_trials = stored->ntrials ? stored->ntrials : 1;
  for (size_t i = 0; i < stored->ntrials; i++) {
    if (unpack_trial(&stored->trials[i], st->space.def->n_params, &st->trials[i], &e) ||
        stored->trials[i].number != (int64_t)i) {
      if (!e.code) cq_error_set(&e, CQ_EPARSE, "stored trials are not numbered 0, 1, 2...");
      cli_report_error(ctx, cmd, &e);
      return CLI_FAIL;
    }
  }
  st->n_trials = stored->ntrials;
  st->store_id = stored->info.id;
  return CLI_OK;
}

int opt_write_doc(cli_ctx *ctx, const char *cmd, const char *path, const char *text, size_t len,
                  bool html) {
  cli_output out;
  int rc = cli_output_open(ctx, cmd, path, &out);
  if (rc) return rc;
  cq_error e;
  cq_error_clear(&e);
  rc = html ? cq_opt_report_html(text, len, out.f, &e)
            : (fwrite(text, 1, len, out.f) == len ? CQ_OK : CQ_EIO);
  if (cli_output_close(&out, rc, &e)) {
    if (e.code)
      cli_report_error(ctx, cmd, &e);
    else
      fprintf(ctx->err, "cquant %s: cannot write %s\n", cmd, path);
    return CLI_FAIL;
  }
  return CLI_OK;
}

static void print_stat(FILE *f, const char *name, const cq_stat *s) {
  fprintf(f, "  %-26s ", name);
  if (s->ok)
    fprintf(f, "%.3f", s->value);
  else
    fprintf(f, "not enough data (%s)", s->why);
  fputc('\n', f);
}

static void print_best(cli_ctx *ctx, const cq_opt_study *st) {
  const cq_opt_trial *b = &st->trials[st->best];
  fprintf(ctx->out, "best: trial %lld, %s = %.6g:", (long long)b->number,
          cq_metric_at(st->config.objective)->name, b->value);
  for (int d = 0; d < st->space.n_dims; d++) {
    int p = st->space.dims[d].param;
    fprintf(ctx->out, " %s=%.10g", st->space.def->params[p].name, b->params[p]);
  }
  fprintf(ctx->out, " (return %.2f%%, max drawdown %.2f%%, %lld trades)\n",
          b->metrics.total_return * 100, b->metrics.max_drawdown * 100,
          (long long)b->metrics.n_trades);
}

static int optimize_finish(cli_ctx *ctx, const char *cmd, job *j, run_state *rs, double secs) {
  cq_opt_study *st = &j->st;
  cq_error e;
  cq_error_clear(&e);
  cq_opt_stats stats;
  cq_opt_boot boot;
  cq_bt_result best;
  cq_bt_result_init(&best);
  char *doc = NULL;
  size_t len = 0;
  int rc = cq_opt_stats_compute(st, &stats, &e);
  bool have_best = st->best >= 0;
  if (!rc && have_best) rc = cq_opt_run_trial(st, &j->data, st->trials[st->best].params, &best, &e);
  if (!rc && have_best) rc = cq_opt_bootstrap(&best, st->config.seed, &boot, &e);
  if (!rc)
    rc = cq_opt_study_json(st, &stats, have_best ? &boot : NULL, have_best ? &best : NULL, &j->data,
                           &doc, &len, &e);
  if (rc) {
    cli_report_error(ctx, cmd, &e);
    rc = CLI_FAIL;
  }
  if (!rc && rs->store && rs->study) {
    cq_study_info in = {.id = rs->study};
    info_of(st, "optimize", &in);
    in.updated_at = cq_clock_now(&ctx->clock);
    snprintf(in.status, sizeof in.status, "%s", st->stopped_early ? "stopped" : "done");
    cq_study got;
    memset(&got, 0, sizeof got);
    if (cq_store_get_study(rs->store, rs->study, false, &got, &e) == CQ_OK)
      in.created_at = got.info.created_at;
    cq_study_release(&got);
    if (cq_store_put_study(rs->store, &in, NULL, &e)) {
      cli_report_error(ctx, cmd, &e);
      rc = CLI_FAIL;
    }
  }
  if (!rc && j->o.bt.report) rc = opt_write_doc(ctx, cmd, j->o.bt.report, doc, len, true);
  if (!rc && j->o.bt.output) rc = opt_write_doc(ctx, cmd, j->o.bt.output, doc, len, false);
  if (!rc && ctx->json) {
    fwrite(doc, 1, len, ctx->out);
  } else if (!rc) {
    fprintf(ctx->out, "%s: %zu trials (%s sampler) in %.2f s, %.1f trials/s%s\n",
            st->space.def->name, st->n_trials, cq_sampler_name(st->config.sampler), secs,
            secs > 0 ? (double)st->n_trials / secs : 0.0,
            st->stopped_early ? "; stopped early (no improvement within --patience)" : "");
    if (have_best)
      print_best(ctx, st);
    else
      fprintf(ctx->out, "no trial met the constraints (--min-trades, --max-dd)\n");
    print_stat(ctx->out, "deflated Sharpe (P > luck)", &stats.dsr.dsr);
    print_stat(ctx->out, "PBO (CSCV)", &stats.pbo.pbo);
    print_stat(ctx->out, "stability around the best", &stats.stability.stability);
    if (have_best)
      fprintf(ctx->out, "  %-26s %.2f [%.2f, %.2f]\n", "Sharpe, 95% bootstrap",
              boot.sharpe.point.value, boot.sharpe.lo, boot.sharpe.hi);
    if (st->store_id)
      fprintf(ctx->out, "study %lld stored (resume: cquant optimize --resume %lld)\n",
              (long long)st->store_id, (long long)st->store_id);
    if (j->o.bt.report) fprintf(ctx->out, "report: %s\n", j->o.bt.report);
  }
  free(doc);
  cq_bt_result_release(&best);
  cq_opt_stats_release(&stats);
  return rc;
}

static int prepare(cli_ctx *ctx, const char *cmd, int argc, char **argv, job *j, cq_study *stored) {
  int rc = parse_args(ctx, cmd, argc, argv, &j->o);
  if (rc) return rc;
  if (j->o.resume != UNSET) {
    int64_t id = (int64_t)j->o.resume;
    if ((rc = below(ctx, cmd, "--resume", j->o.resume, 1))) return rc;
    if ((rc = data_open_store(ctx, cmd, j->o.bt.store, &j->store))) return rc;
    opt_opts now = j->o;
    memset(&j->o, 0, sizeof j->o);
    if ((rc = resume_args(ctx, cmd, j, id, stored))) return rc;
    /* given now, over the stored ones */
    if (now.trials != UNSET) j->o.trials = now.trials;
    if (now.threads != UNSET) j->o.threads = now.threads;
    if (now.bt.report) j->o.bt.report = now.bt.report;
    if (now.bt.output) j->o.bt.output = now.bt.output;
    if (now.patience != UNSET) j->o.patience = now.patience;
    j->o.bt.quiet = now.bt.quiet;
    j->o.resume = now.resume;
  }
  cq_opt_study_init(&j->st);
  if ((rc = study_of(ctx, cmd, &j->o, &j->st))) return rc;
  if (!j->store && (rc = data_open_store(ctx, cmd, j->o.bt.store, &j->store))) return rc;
  for (int s = 0; s < CQ_BT_MAX_SYMBOLS; s++) cq_candles_init(&j->candles[s], 0);
  return bt_load_data(ctx, cmd, &j->o.bt, j->store, &j->st.bt, j->candles, NULL, &j->data);
}

static int optimize_run(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "optimize";
  job *j = calloc(1, sizeof *j);
  cq_study stored;
  memset(&stored, 0, sizeof stored);
  if (!j) return CLI_FAIL;
  int rc = prepare(ctx, cmd, argc, argv, j, &stored);
  run_state rs = {.ctx = ctx, .cmd = cmd, .show = !j->o.bt.quiet};
  cq_error e;
  cq_error_clear(&e);
  if (!rc && j->o.resume != UNSET) rc = load_stored_trials(ctx, cmd, j, &stored);
  if (!rc && !j->o.bt.no_store) {
    rs.store = j->store;
    rs.stored = j->st.n_trials;
    rs.st = &j->st;
    if (j->o.resume != UNSET) {
      rs.study = stored.info.id;
    } else if (!(rs.spec = spec_of(argc, argv))) {
      fprintf(ctx->err, "cquant %s: out of memory\n", cmd);
      rc = CLI_FAIL;
    }
  }
  cq_study_release(&stored);
  if (!rc) {
    if (rs.show) {
      cq_progress_opts po;
      cli_progress_opts(ctx, &po, "optimize", "trials",
                        (uint64_t)(j->st.config.trials > 0 ? j->st.config.trials : 0));
      cq_progress_init(&rs.prog, &po);
    }
    cq_time t0 = cq_clock_steady(&ctx->clock);
    int orc = cq_opt_run(&j->st, &j->data, on_batch, &rs, &e);
    double secs = (double)(cq_clock_steady(&ctx->clock) - t0) / 1e9;
    if (rs.show) cq_progress_finish(&rs.prog);
    if (orc || rs.rc) {
      cli_report_error(ctx, cmd, orc ? &e : &rs.err);
      rc = orc == CQ_EINVAL || orc == CQ_EUNSUPPORTED || orc == CQ_ELIMIT ? CLI_USAGE : CLI_FAIL;
    } else {
      rc = optimize_finish(ctx, cmd, j, &rs, secs);
    }
  }
  free(rs.spec);
  job_release(j);
  return rc;
}

/* ---- walk-forward ------------------------------------------------------------------------ */

static int duration_opt(cli_ctx *ctx, const char *cmd, const char *flag, const char *v,
                        int64_t *out) {
  cq_error e;
  if (!v) {
    fprintf(ctx->err, "cquant %s: %s is required (a length like 180d)\n", cmd, flag);
    return CLI_USAGE;
  }
  if (cq_duration_parse(v, out, &e) || *out <= 0) {
    fprintf(ctx->err, "cquant %s: %s \"%s\": expected a positive length like 180d, 12h\n", cmd,
            flag, v);
    return CLI_USAGE;
  }
  return CLI_OK;
}

int cmd_walkforward(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "walkforward";
  if (cli_wants_help(argc, argv)) {
    fputs(cmd_walkforward_usage, ctx->out);
    return CLI_OK;
  }
  job *j = calloc(1, sizeof *j);
  if (!j) return CLI_FAIL;
  cq_study stored;
  memset(&stored, 0, sizeof stored);
  int rc = prepare(ctx, cmd, argc, argv, j, &stored);
  cq_study_release(&stored);
  cq_wf_config wf = {.warmup_bars = -1, .anchored = j->o.anchored};
  if (!rc && j->o.resume != UNSET) {
    fprintf(ctx->err, "cquant %s: --resume is for cquant optimize\n", cmd);
    rc = CLI_USAGE;
  }
  if (!rc) rc = duration_opt(ctx, cmd, "--is", j->o.is, &wf.is_ns);
  if (!rc) rc = duration_opt(ctx, cmd, "--oos", j->o.oos, &wf.oos_ns);
  if (!rc && j->o.step) rc = duration_opt(ctx, cmd, "--step", j->o.step, &wf.step_ns);
  if (j->o.warmup != UNSET) wf.warmup_bars = (int64_t)j->o.warmup;
  cq_wf_result r;
  cq_wf_result_init(&r);
  char *doc = NULL;
  size_t len = 0;
  cq_error e;
  cq_error_clear(&e);
  if (!rc) {
    cq_time t0 = cq_clock_steady(&ctx->clock);
    if (cq_walkforward(&j->st, &wf, &j->data, NULL, NULL, &r, &e) ||
        cq_wf_json(&j->st, &wf, &r, &j->data, &doc, &len, &e)) {
      cli_report_error(ctx, cmd, &e);
      rc = e.code == CQ_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    double secs = (double)(cq_clock_steady(&ctx->clock) - t0) / 1e9;
    if (!rc && j->o.bt.report) rc = opt_write_doc(ctx, cmd, j->o.bt.report, doc, len, true);
    if (!rc && j->o.bt.output) rc = opt_write_doc(ctx, cmd, j->o.bt.output, doc, len, false);
    if (!rc && ctx->json) {
      fwrite(doc, 1, len, ctx->out);
    } else if (!rc) {
      fprintf(ctx->out, "%s walk-forward: %zu windows in %.2f s\n", j->st.space.def->name,
              r.n_windows, secs);
      for (size_t k = 0; k < r.n_windows; k++) {
        const cq_wf_window *w = &r.windows[k];
        char a[CQ_TIME_STRMAX], b[CQ_TIME_STRMAX];
        cq_time_format_iso(w->oos_from, 0, a, sizeof a);
        cq_time_format_iso(w->oos_to, 0, b, sizeof b);
        fprintf(ctx->out, "  %2zu  OOS %s .. %s ", k + 1, a, b);
        for (int d = 0; d < j->st.space.n_dims; d++) {
          int p = j->st.space.dims[d].param;
          fprintf(ctx->out, " %s=%.10g", j->st.space.def->params[p].name, w->params[p]);
        }
        fprintf(ctx->out, "  IS %s %.3g, OOS return %.2f%%%s\n",
                cq_metric_at(j->st.config.objective)->name, w->is_value,
                w->oos_metrics.total_return * 100, w->ok ? "" : " (nothing feasible in sample)");
      }
      const cq_bt_metrics *m = &r.oos.metrics;
      fprintf(ctx->out,
              "stitched OOS: return %.2f%%, CAGR %.2f%%, Sharpe %.2f, max drawdown %.2f%%, %lld "
              "trades\n",
              m->total_return * 100, m->cagr * 100, m->sharpe, m->max_drawdown * 100,
              (long long)m->n_trades);
      print_stat(ctx->out, "walk-forward efficiency", &r.efficiency);
      for (int d = 0; d < r.searched; d++)
        fprintf(ctx->out, "  drift of %-17s %.3f of its range\n",
                j->st.space.def->params[j->st.space.dims[d].param].name, r.drift[d]);
      if (j->o.bt.report) fprintf(ctx->out, "report: %s\n", j->o.bt.report);
    }
  }
  free(doc);
  cq_wf_result_release(&r);
  job_release(j);
  return rc;
}

/* ---- list / show ------------------------------------------------------------------------- */

static int optimize_list(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "optimize list";
  const char *store_flag = NULL;
  const cli_opt opts[] = {{"--store", NULL, CLI_STR, &store_flag}};
  int npos = 0, rc = cli_parse(ctx, cmd, argc, argv, opts, 1, NULL, 0, &npos);
  if (rc) return rc;
  cq_store *store = NULL;
  if ((rc = data_open_store(ctx, cmd, store_flag, &store))) return rc;
  cq_study_info *in = NULL;
  size_t n = 0;
  cq_error e;
  if (cq_store_list_studies(store, &in, &n, &e)) {
    cli_report_error(ctx, cmd, &e);
    cq_store_close(store);
    return CLI_FAIL;
  }
  if (!ctx->json)
    fprintf(ctx->out, "%5s  %-12s %-16s %-7s %-10s %-28s %6s %10s  %s\n", "id", "kind", "strategy",
            "sampler", "objective", "venue:symbols tf", "trials", "best", "status");
  for (size_t i = 0; i < n; i++) {
    if (ctx->json) {
      fprintf(ctx->out, "{\"id\":%lld,\"kind\":", (long long)in[i].id);
      cli_json_string(ctx->out, in[i].kind);
      fputs(",\"strategy\":", ctx->out);
      cli_json_string(ctx->out, in[i].strategy);
      fputs(",\"sampler\":", ctx->out);
      cli_json_string(ctx->out, in[i].sampler);
      fputs(",\"objective\":", ctx->out);
      cli_json_string(ctx->out, in[i].objective);
      fprintf(ctx->out, ",\"trials\":%lld,\"best\":", (long long)in[i].n_trials);
      cli_put_number(ctx->out, in[i].best_value, true);
      fputs(",\"status\":", ctx->out);
      cli_json_string(ctx->out, in[i].status);
      fputs("}\n", ctx->out);
      continue;
    }
    char where[640];
    snprintf(where, sizeof where, "%s:%s %s", in[i].venue, in[i].symbols, in[i].timeframe);
    fprintf(ctx->out, "%5lld  %-12s %-16s %-7s %-10s %-28s %6lld %10.4g  %s\n", (long long)in[i].id,
            in[i].kind, in[i].strategy, in[i].sampler, in[i].objective, where,
            (long long)in[i].n_trials, in[i].best_value, in[i].status);
  }
  free(in);
  cq_store_close(store);
  return CLI_OK;
}

static const cli_subcommand optimize_commands[] = {
    {"list", optimize_list, "usage: cquant optimize list [--store URI] [--json]\n"},
};

int cmd_optimize(cli_ctx *ctx, int argc, char **argv) {
  if (argc > 0 && argv[0][0] != '-')
    return cli_dispatch(ctx, "optimize", cmd_optimize_usage, optimize_commands,
                        sizeof optimize_commands / sizeof optimize_commands[0], argc, argv);
  if (cli_wants_help(argc, argv)) {
    fputs(cmd_optimize_usage, ctx->out);
    return CLI_OK;
  }
  return optimize_run(ctx, argc, argv);
}
