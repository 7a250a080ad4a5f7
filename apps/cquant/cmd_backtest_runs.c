/* cquant backtest list / show / compare / strategies, and keeping a run in the store. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_backtest.h"
#include "cmd_data.h"
#include "cquant/strategy.h"

const char cmd_backtest_list_usage[] =
    "usage: cquant backtest list [--store URI] [--json]\n"
    "\n"
    "Stored runs, newest first: id, when, strategy, engine, series, range, return, Sharpe,\n"
    "max drawdown, trades.\n";

const char cmd_backtest_show_usage[] =
    "usage: cquant backtest show ID [--report FILE] [--store URI] [--json]\n"
    "\n"
    "One stored run: its settings and metrics. --json prints its stored JSON document (every\n"
    "metric, trade and fill; charts at report resolution); --report writes its HTML report\n"
    "again.\n";

const char cmd_backtest_compare_usage[] =
    "usage: cquant backtest compare ID ID... [--store URI] [--json]\n"
    "\n"
    "Stored runs side by side: one column per run, one row per metric.\n";

const char cmd_backtest_strategies_usage[] =
    "usage: cquant backtest strategies [NAME] [--json]\n"
    "\n"
    "The built-in strategies and their declared parameters (default, range, step). See\n"
    "docs/strategies/.\n";

/* ---- keeping a run --------------------------------------------------------------------- */

int bt_store_run(cli_ctx *ctx, const char *cmd, cq_store *store, const cq_bt_result *r,
                 const char *json, size_t len, int64_t *id) {
  cq_run run;
  cq_error e;
  memset(&run, 0, sizeof run);
  if (cq_run_alloc(&run, r->n_trades, r->n_bars, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_FAIL;
  }
  const cq_bt_config *c = &r->config;
  cq_run_info *in = &run.info;
  in->created_at = cq_clock_now(&ctx->clock);
  snprintf(in->strategy, sizeof in->strategy, "%s", c->strategy);
  snprintf(in->engine, sizeof in->engine, "%s", cq_bt_engine_name(c->engine));
  snprintf(in->venue, sizeof in->venue, "%s", c->venue);
  for (int s = 0; s < c->n_symbols; s++) {
    size_t used = strlen(in->symbols);
    snprintf(in->symbols + used, sizeof in->symbols - used, "%s%s", s ? "," : "", c->symbols[s]);
  }
  cq_timeframe_format(c->tf, in->timeframe, sizeof in->timeframe);
  in->from = r->n_bars ? r->time[0] : c->from;
  in->to = r->n_bars ? r->time[r->n_bars - 1] + cq_timeframe_ns(c->tf) : c->to;
  in->total_return = r->metrics.total_return;
  in->sharpe = r->metrics.sharpe;
  in->max_drawdown = r->metrics.max_drawdown;
  in->n_trades = (int64_t)r->n_trades;
  for (size_t i = 0; i < r->n_trades; i++) {
    const cq_bt_trade *t = &r->trades[i];
    cq_run_trade *o = &run.trades[i];
    o->seq = (int64_t)i + 1;
    snprintf(o->symbol, sizeof o->symbol, "%s", c->symbols[t->symbol]);
    o->entry_time = t->entry_time;
    o->exit_time = t->exit_time;
    o->qty = t->qty;
    o->entry_price = t->entry_price;
    o->exit_price = t->exit_price;
    o->fees = t->fees;
    o->pnl = t->pnl;
    o->ret = t->ret;
  }
  memcpy(run.time, r->time, r->n_bars * sizeof *r->time);
  memcpy(run.equity, r->equity, r->n_bars * sizeof *r->equity);
  run.document = malloc(len + 1);
  if (!run.document) {
    cq_run_release(&run);
    fprintf(ctx->err, "cquant %s: out of memory\n", cmd);
    return CLI_FAIL;
  }
  memcpy(run.document, json, len);
  run.document[len] = '\0';
  int rc = cq_store_put_run(store, &run, &e);
  if (rc) {
    cli_report_error(ctx, cmd, &e);
  } else {
    *id = run.info.id;
  }
  cq_run_release(&run);
  return rc ? CLI_FAIL : CLI_OK;
}

/* ---- metrics tables ------------------------------------------------------------------- */

static bool is_fraction(const char *k) {
  static const char *const words[] = {"return", "drawdown", "rate", "exposure", "volatility",
                                      "cagr",   "avg_trade", "best_trade", "worst_trade",
                                      "expectancy_pct"};
  if (strstr(k, "equity")) return false;
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strstr(k, words[i])) return true;
  return false;
}

static void put_metric(FILE *f, const char *key, json_t *v, int width) {
  char buf[64];
  if (json_is_null(v) || !v) {
    snprintf(buf, sizeof buf, "-");
  } else if (json_is_number(v)) {
    double x = json_number_value(v);
    size_t kl = strlen(key);
    if (kl > 3 && !strcmp(key + kl - 3, "_ns"))
      /* whole seconds: nanoseconds of an average holding time are noise */
      cq_duration_format((int64_t)(x / 1e9 + 0.5) * CQ_NS_PER_SEC, buf, sizeof buf);
    else if (json_is_integer(v))
      snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    else if (is_fraction(key))
      snprintf(buf, sizeof buf, "%.2f %%", x * 100.0);
    else
      snprintf(buf, sizeof buf, "%.4g", x);
  } else if (json_is_string(v)) {
    snprintf(buf, sizeof buf, "%s", json_string_value(v));
  } else {
    snprintf(buf, sizeof buf, "?");
  }
  fprintf(f, " %*s", width, buf);
}

/* One row per metric of the first document, one column per run. */
static void print_metric_docs(FILE *f, const char *const *titles, json_t *const *metrics, size_t n) {
  int width = 14;
  for (size_t i = 0; i < n; i++)
    if ((int)strlen(titles[i]) > width) width = (int)strlen(titles[i]);
  fprintf(f, "%-18s", "metric");
  for (size_t i = 0; i < n; i++) fprintf(f, " %*s", width, titles[i]);
  fputc('\n', f);
  if (!n || !json_is_object(metrics[0])) return;
  const char *key;
  json_t *v;
  json_object_foreach(metrics[0], key, v) {
    fprintf(f, "%-18s", key);
    for (size_t i = 0; i < n; i++) put_metric(f, key, json_object_get(metrics[i], key), width);
    fputc('\n', f);
  }
}

/* The metrics object of a run document; NULL when it has none. */
static json_t *doc_metrics(json_t *doc) {
  return doc ? json_object_get(doc, "metrics") : NULL;
}

void bt_print_metrics_json(FILE *f, const char *title, const char *json, size_t len) {
  json_error_t je;
  json_t *doc = json_loadb(json, len, 0, &je);
  json_t *m = doc_metrics(doc);
  if (m) print_metric_docs(f, &title, &m, 1);
  json_decref(doc);
}

/* ---- list, show, compare --------------------------------------------------------------- */

static int parse_id(cli_ctx *ctx, const char *cmd, const char *s, int64_t *id) {
  char *end = NULL;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end || v <= 0) {
    fprintf(ctx->err, "cquant %s: \"%s\": expected a run id (cquant backtest list shows them)\n",
            cmd, s);
    return CLI_USAGE;
  }
  *id = v;
  return CLI_OK;
}

int cmd_backtest_list(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "backtest list", *store_flag = NULL;
  const cli_opt opts[] = {{"--store", NULL, CLI_STR, &store_flag}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, 1, pos, 0, &npos))) return rc;
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, store_flag, &store))) return rc;
  cq_run_info *runs = NULL;
  size_t n = 0;
  cq_error e;
  if (cq_store_list_runs(store, &runs, &n, &e)) {
    cli_report_error(ctx, cmd, &e);
    cq_store_close(store);
    return CLI_FAIL;
  }
  if (ctx->json) fputc('[', ctx->out);
  else if (n)
    fprintf(ctx->out, "%6s  %-20s  %-16s %-6s  %-24s %-5s %9s %8s %8s %6s\n", "id", "created",
            "strategy", "engine", "venue:symbols", "tf", "return", "sharpe", "max dd", "trades");
  for (size_t i = 0; i < n; i++) {
    const cq_run_info *r = &runs[i];
    char created[CQ_TIME_STRMAX], from[CQ_TIME_STRMAX], to[CQ_TIME_STRMAX];
    cq_time_format_iso(r->created_at, 0, created, sizeof created);
    cq_time_format_iso(r->from, 0, from, sizeof from);
    cq_time_format_iso(r->to, 0, to, sizeof to);
    if (ctx->json) {
      fprintf(ctx->out, "%s\n{\"id\":%lld,\"created_at\":\"%s\",\"strategy\":", i ? "," : "",
              (long long)r->id, created);
      cli_json_string(ctx->out, r->strategy);
      fprintf(ctx->out, ",\"engine\":\"%s\",\"venue\":", r->engine);
      cli_json_string(ctx->out, r->venue);
      fputs(",\"symbols\":", ctx->out);
      cli_json_string(ctx->out, r->symbols);
      fprintf(ctx->out, ",\"tf\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"total_return\":",
              r->timeframe, from, to);
      cli_put_number(ctx->out, r->total_return, true);
      fputs(",\"sharpe\":", ctx->out);
      cli_put_number(ctx->out, r->sharpe, true);
      fputs(",\"max_drawdown\":", ctx->out);
      cli_put_number(ctx->out, r->max_drawdown, true);
      fprintf(ctx->out, ",\"trades\":%lld}", (long long)r->n_trades);
    } else {
      char series[CQ_VENUE_MAX + CQ_RUN_SYMBOLS_MAX + 2];
      snprintf(series, sizeof series, "%s:%s", r->venue, r->symbols);
      fprintf(ctx->out, "%6lld  %-20s  %-16s %-6s  %-24s %-5s %8.2f%% %8.3f %7.2f%% %6lld\n",
              (long long)r->id, created, r->strategy, r->engine, series, r->timeframe,
              r->total_return * 100.0, r->sharpe, r->max_drawdown * 100.0,
              (long long)r->n_trades);
    }
  }
  if (ctx->json) fputs(n ? "\n]\n" : "]\n", ctx->out);
  else if (!n) fprintf(ctx->out, "no stored runs (cquant backtest --strategy ... makes one)\n");
  free(runs);
  cq_store_close(store);
  return CLI_OK;
}

int cmd_backtest_show(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "backtest show", *store_flag = NULL, *report = NULL;
  const cli_opt opts[] = {{"--store", NULL, CLI_STR, &store_flag},
                          {"--report", NULL, CLI_STR, &report}};
  const char *pos[1];
  int npos, rc;
  int64_t id;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, 2, pos, 1, &npos))) return rc;
  if (npos != 1) {
    fprintf(ctx->err, "cquant %s: expected one run id\n", cmd);
    return CLI_USAGE;
  }
  if ((rc = parse_id(ctx, cmd, pos[0], &id))) return rc;
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, store_flag, &store))) return rc;
  cq_run run;
  cq_error e;
  memset(&run, 0, sizeof run);
  if (cq_store_get_run(store, id, false, &run, &e)) {
    cli_report_error(ctx, cmd, &e);
    cq_store_close(store);
    return e.code == CQ_ENOTFOUND ? CLI_USAGE : CLI_FAIL;
  }
  const char *doc = run.document ? run.document : "";
  size_t len = strlen(doc);
  rc = CLI_OK;
  if (report) {
    cli_output o;
    if ((rc = cli_output_open(ctx, cmd, report, &o)) == CLI_OK) {
      cq_error_clear(&e);
      int hrc = cq_bt_report_html(doc, len, o.f, &e);
      if (cli_output_close(&o, hrc, NULL) || hrc) {
        cli_report_error(ctx, cmd, &e);
        rc = CLI_FAIL;
      }
    }
  }
  if (rc == CLI_OK) {
    if (ctx->json) {
      fwrite(doc, 1, len, ctx->out);
      fputc('\n', ctx->out);
    } else {
      const cq_run_info *r = &run.info;
      char created[CQ_TIME_STRMAX], from[CQ_TIME_STRMAX], to[CQ_TIME_STRMAX];
      cq_time_format_iso(r->created_at, 0, created, sizeof created);
      cq_time_format_iso(r->from, 0, from, sizeof from);
      cq_time_format_iso(r->to, 0, to, sizeof to);
      fprintf(ctx->out, "run %lld: %s (%s engine) on %s %s %s, %s .. %s, made %s\n",
              (long long)r->id, r->strategy, r->engine, r->venue, r->symbols, r->timeframe, from,
              to, created);
      bt_print_metrics_json(ctx->out, r->strategy, doc, len);
      if (report) fprintf(ctx->out, "report: %s\n", report);
    }
  }
  cq_run_release(&run);
  cq_store_close(store);
  return rc;
}

int cmd_backtest_compare(cli_ctx *ctx, int argc, char **argv) {
  return bt_compare_runs(ctx, "backtest compare", argc, argv);
}

int bt_compare_runs(cli_ctx *ctx, const char *cmd, int argc, char **argv) {
  const char *store_flag = NULL;
  const cli_opt opts[] = {{"--store", NULL, CLI_STR, &store_flag}};
  enum { MAX_RUNS = 16 };
  const char *pos[MAX_RUNS];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, 1, pos, MAX_RUNS, &npos))) return rc;
  if (npos < 2) {
    fprintf(ctx->err, "cquant %s: expected two run ids or more\n", cmd);
    return CLI_USAGE;
  }
  int64_t ids[MAX_RUNS];
  for (int i = 0; i < npos; i++)
    if ((rc = parse_id(ctx, cmd, pos[i], &ids[i]))) return rc;
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, store_flag, &store))) return rc;
  json_t *docs[MAX_RUNS] = {0}, *metrics[MAX_RUNS] = {0};
  char titles[MAX_RUNS][96];
  const char *tp[MAX_RUNS];
  rc = CLI_OK;
  for (int i = 0; i < npos && rc == CLI_OK; i++) {
    cq_run run;
    cq_error e;
    memset(&run, 0, sizeof run);
    if (cq_store_get_run(store, ids[i], false, &run, &e)) {
      cli_report_error(ctx, cmd, &e);
      rc = e.code == CQ_ENOTFOUND ? CLI_USAGE : CLI_FAIL;
      break;
    }
    json_error_t je;
    docs[i] = run.document ? json_loads(run.document, 0, &je) : NULL;
    metrics[i] = doc_metrics(docs[i]);
    snprintf(titles[i], sizeof titles[i], "#%lld %s", (long long)ids[i], run.info.strategy);
    tp[i] = titles[i];
    if (!metrics[i]) {
      fprintf(ctx->err, "cquant %s: run %lld has no readable metrics\n", cmd, (long long)ids[i]);
      rc = CLI_FAIL;
    }
    cq_run_release(&run);
  }
  if (rc == CLI_OK) {
    if (ctx->json) {
      fputc('[', ctx->out);
      for (int i = 0; i < npos; i++) {
        fprintf(ctx->out, "%s{\"id\":%lld,\"metrics\":", i ? "," : "", (long long)ids[i]);
        json_dumpf(metrics[i], ctx->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('}', ctx->out);
      }
      fputs("]\n", ctx->out);
    } else {
      print_metric_docs(ctx->out, tp, metrics, (size_t)npos);
    }
  }
  for (int i = 0; i < npos; i++) json_decref(docs[i]);
  cq_store_close(store);
  return rc;
}

int cmd_backtest_strategies(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "backtest strategies";
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, NULL, 0, pos, 1, &npos))) return rc;
  static const char *const types[] = {"int", "float", "bool"};
  if (ctx->json) fputc('[', ctx->out);
  bool first = true;
  for (size_t i = 0; cq_strategy_at(i); i++) {
    const cq_strategy_def *d = cq_strategy_at(i);
    if (npos && strcmp(pos[0], d->name)) continue;
    if (ctx->json) {
      fprintf(ctx->out, "%s\n{\"name\":\"%s\",\"summary\":", first ? "" : ",", d->name);
      cli_json_string(ctx->out, d->summary);
      fprintf(ctx->out, ",\"vector\":%s,\"params\":[", d->signals ? "true" : "false");
      for (int k = 0; k < d->n_params; k++) {
        const cq_param_def *p = &d->params[k];
        fprintf(ctx->out, "%s{\"name\":\"%s\",\"type\":\"%s\",\"default\":", k ? "," : "",
                p->name, types[p->type]);
        cli_put_number(ctx->out, p->def, true);
        fputs(",\"min\":", ctx->out);
        cli_put_number(ctx->out, p->min, true);
        fputs(",\"max\":", ctx->out);
        cli_put_number(ctx->out, p->max, true);
        fputs(",\"step\":", ctx->out);
        cli_put_number(ctx->out, p->step, true);
        fputs(",\"help\":", ctx->out);
        cli_json_string(ctx->out, p->help ? p->help : "");
        fputc('}', ctx->out);
      }
      fputs("]}", ctx->out);
    } else {
      fprintf(ctx->out, "%s%-16s %s%s\n", first ? "" : "\n", d->name, d->summary,
              d->signals ? "" : " (event engine only)");
      for (int k = 0; k < d->n_params; k++) {
        const cq_param_def *p = &d->params[k];
        fprintf(ctx->out, "  %-14s %-5s default %-8g range %g..%g step %g  %s\n", p->name,
                types[p->type], p->def, p->min, p->max, p->step, p->help ? p->help : "");
      }
    }
    first = false;
  }
  if (ctx->json) fputs(first ? "]\n" : "\n]\n", ctx->out);
  if (first && npos) {
    const cq_strategy_def *d;
    cq_error e;
    if (cq_strategy_lookup(pos[0], &d, &e)) fprintf(ctx->err, "cquant %s: %s\n", cmd, e.msg);
    return CLI_USAGE;
  }
  return CLI_OK;
}
