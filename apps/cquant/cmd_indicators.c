/* cquant indicators: the indicator registry (list, show) and indicators computed over stored
 * candles (compute). Everything goes through the registry, so every indicator it holds is
 * listed, shown and computed without this file knowing it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_data.h"
#include "cquant/core/strutil.h"
#include "cquant/ta.h"

const char cmd_indicators_usage[] =
    "usage: cquant indicators <list|show|compute> [options]\n"
    "\n"
    "The technical indicators: TA-Lib's (same names, parameters, defaults and values) and a\n"
    "few beyond it. Each runs in batch over a series or one bar at a time, with the same\n"
    "numbers either way.\n"
    "\n"
    "  list             every indicator: name, group, inputs, parameters, outputs\n"
    "  show NAME        one indicator in full\n"
    "  compute          indicators over the stored candles of one series, as CSV or JSON\n"
    "\n"
    "`cquant indicators <command> --help` shows the options of each. See\n"
    "docs/cli/indicators.md and docs/indicators.md.\n";

static const char list_usage[] =
    "usage: cquant indicators list [--group G] [--json]\n"
    "\n"
    "Every indicator of the registry: name, group, inputs, parameters as name=default\n"
    "[min..max], outputs and title.\n"
    "\n"
    "  --group G   only one group: overlap, momentum, volume, volatility, statistic, price,\n"
    "              crypto\n"
    "  --json      an array of objects on stdout\n";

static const char show_usage[] =
    "usage: cquant indicators show NAME [--json]\n"
    "\n"
    "One indicator in full: its inputs (and whether any series may be fed instead), each\n"
    "parameter with its help, default and valid range, its outputs and its lookback (the\n"
    "index of the first value) at the default parameters.\n";

static const char compute_usage[] =
    "usage: cquant indicators compute --venue V --symbol S --tf TF --ind NAME[:PARAMS] ...\n"
    "\n"
    "Computes indicators over the stored candles of one series and writes open_time\n"
    "(ISO-8601 UTC) and one column per output. PARAMS are values in the indicator's order\n"
    "(\"bbands:20,2\") or by name (\"macd:fastperiod=12,slowperiod=26\"); the rest keep their\n"
    "defaults. A column is named after the indicator and the parameter text, ',' made '_',\n"
    "and the output when there are several: rsi_14, bbands_20_2_upper. Before an indicator's\n"
    "lookback a cell is empty (CSV) or null (JSON).\n"
    "\n"
    "  --venue V, --symbol S, --tf TF   the series\n"
    "  --ind NAME[:PARAMS]  an indicator (repeat for several); `cquant indicators list`\n"
    "  --from T, --to T   only rows with from <= open time < to; the indicators still run\n"
    "                     over every stored candle before, so values in range are the same\n"
    "                     as over the whole history (warm-up included)\n"
    "  --format F         csv or json (an array of objects); default csv\n"
    "  --output FILE      write to FILE (replaced only when the compute succeeds); default stdout\n"
    "  --store URI        the store (see cquant data import --help)\n";

static const char *const group_names[] = {"overlap",   "momentum", "volume", "volatility",
                                          "statistic", "price",    "crypto"};
enum { N_GROUP_NAMES = sizeof group_names / sizeof group_names[0] };

/* "period=14 [2..100000]" for one parameter. */
static void param_text(const cq_ta_param *p, char *buf, size_t len) {
  snprintf(buf, len, "%s=%.10g [%.10g..%.10g]", p->name, p->def, p->min, p->max);
}

/* The inputs, parameters and outputs of def, each joined into one text. */
static void inputs_text(const cq_ta_def *d, char *buf, size_t len) {
  buf[0] = '\0';
  for (int k = 0; k < d->n_inputs; k++) {
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", k ? "," : "", cq_ta_field_name(d->inputs[k]));
  }
}
static void params_text(const cq_ta_def *d, char *buf, size_t len) {
  buf[0] = '\0';
  for (int k = 0; k < d->n_params; k++) {
    char one[128];
    param_text(&d->params[k], one, sizeof one);
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", k ? " " : "", one);
  }
  if (!d->n_params) snprintf(buf, len, "-");
}
static void outputs_text(const cq_ta_def *d, char *buf, size_t len) {
  buf[0] = '\0';
  for (int k = 0; k < d->n_outputs; k++) {
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", k ? "," : "", d->outputs[k]);
  }
}

static void json_def(FILE *f, const cq_ta_def *d, bool full) {
  fputs("{\"name\":", f);
  cli_json_string(f, d->name);
  fputs(",\"group\":", f);
  cli_json_string(f, d->group);
  fputs(",\"title\":", f);
  cli_json_string(f, d->title);
  fputs(",\"inputs\":[", f);
  for (int k = 0; k < d->n_inputs; k++)
    fprintf(f, "%s\"%s\"", k ? "," : "", cq_ta_field_name(d->inputs[k]));
  fputs("],\"params\":[", f);
  for (int k = 0; k < d->n_params; k++) {
    const cq_ta_param *p = &d->params[k];
    fputs(k ? ",{\"name\":" : "{\"name\":", f);
    cli_json_string(f, p->name);
    fprintf(f, ",\"default\":%.17g,\"min\":%.17g,\"max\":%.17g,\"integer\":%s", p->def, p->min,
            p->max, p->integer ? "true" : "false");
    if (full) {
      fputs(",\"help\":", f);
      cli_json_string(f, p->help ? p->help : "");
    }
    fputc('}', f);
  }
  fputs("],\"outputs\":[", f);
  for (int k = 0; k < d->n_outputs; k++) {
    if (k) fputc(',', f);
    cli_json_string(f, d->outputs[k]);
  }
  fputc(']', f);
  if (full) {
    double p[CQ_TA_MAX_PARAMS];
    int lb = cq_ta_params(d, NULL, 0, p, NULL) ? -1 : cq_ta_lookback(d, p);
    fprintf(f, ",\"any_series\":%s,\"needs_time\":%s,\"lookback\":%d",
            d->any_series ? "true" : "false", d->needs_time ? "true" : "false", lb);
  }
  fputc('}', f);
}

static int indicators_list(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "indicators list";
  const char *group = NULL;
  const cli_opt opts[] = {{"--group", NULL, CLI_STR, &group}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, 1, pos, 0, &npos))) return rc;
  if (group) {
    bool known = false;
    for (int g = 0; g < N_GROUP_NAMES; g++) known |= !strcasecmp(group, group_names[g]);
    if (!known) {
      const char *near = cq_closest(group, group_names, N_GROUP_NAMES, 3);
      fprintf(ctx->err, "cquant %s: --group: unknown group '%s'%s%s%s; groups: ", cmd, group,
              near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
      for (int g = 0; g < N_GROUP_NAMES; g++)
        fprintf(ctx->err, "%s%s", g ? ", " : "", group_names[g]);
      fputc('\n', ctx->err);
      return CLI_USAGE;
    }
  }
  /* column widths from the texts themselves */
  int wn = 4, wg = 5, wt = 5, wi = 6, wo = 7;
  const cq_ta_def *d;
  char in[96], par[512], out[96];
  for (size_t i = 0; (d = cq_ta_at(i)); i++) {
    if (group && strcasecmp(group, d->group)) continue;
    inputs_text(d, in, sizeof in);
    outputs_text(d, out, sizeof out);
    int l;
    if ((l = (int)strlen(d->name)) > wn) wn = l;
    if ((l = (int)strlen(d->group)) > wg) wg = l;
    if ((l = (int)strlen(in)) > wi) wi = l;
    if ((l = (int)strlen(d->title)) > wt) wt = l;
    if ((l = (int)strlen(out)) > wo) wo = l;
  }
  if (ctx->json)
    fputc('[', ctx->out);
  else
    fprintf(ctx->out, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wn, "name", wg, "group", wt, "title",
            wi, "inputs", wo, "outputs", "parameters");
  size_t shown = 0;
  for (size_t i = 0; (d = cq_ta_at(i)); i++) {
    if (group && strcasecmp(group, d->group)) continue;
    if (ctx->json) {
      fputs(shown ? ",\n" : "\n", ctx->out);
      json_def(ctx->out, d, false);
    } else {
      inputs_text(d, in, sizeof in);
      params_text(d, par, sizeof par);
      outputs_text(d, out, sizeof out);
      fprintf(ctx->out, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wn, d->name, wg, d->group, wt,
              d->title, wi, in, wo, out, par);
    }
    shown++;
  }
  if (ctx->json) fputs(shown ? "\n]\n" : "]\n", ctx->out);
  return CLI_OK;
}

static int lookup(cli_ctx *ctx, const char *cmd, const char *name, const cq_ta_def **d) {
  cq_error e;
  cq_error_clear(&e);
  if (cq_ta_lookup(name, d, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_USAGE;
  }
  return CLI_OK;
}

static int indicators_show(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "indicators show";
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, NULL, 0, pos, 1, &npos))) return rc;
  if (npos != 1) {
    fprintf(ctx->err, "cquant %s: expected one indicator name (see --help)\n", cmd);
    return CLI_USAGE;
  }
  const cq_ta_def *d;
  if ((rc = lookup(ctx, cmd, pos[0], &d))) return rc;
  if (ctx->json) {
    json_def(ctx->out, d, true);
    fputc('\n', ctx->out);
    return CLI_OK;
  }
  FILE *f = ctx->out;
  char in[96];
  inputs_text(d, in, sizeof in);
  fprintf(f, "%s: %s\n", d->name, d->title);
  fprintf(f, "  group      %s\n", d->group);
  fprintf(f, "  inputs     %s%s\n", in, d->any_series ? " (any series may be fed instead)" : "");
  if (d->needs_time) fputs("  time       reads the bars' open times\n", f);
  fputs(d->n_params ? "  parameters\n" : "  parameters none\n", f);
  for (int k = 0; k < d->n_params; k++) {
    const cq_ta_param *p = &d->params[k];
    char one[128];
    param_text(p, one, sizeof one);
    fprintf(f, "    %-30s %s%s\n", one, p->help ? p->help : "",
            p->integer ? " (a whole number)" : "");
  }
  fputs("  outputs   ", f);
  for (int k = 0; k < d->n_outputs; k++) fprintf(f, " %s", d->outputs[k]);
  double p[CQ_TA_MAX_PARAMS];
  if (cq_ta_params(d, NULL, 0, p, NULL) == CQ_OK)
    fprintf(f, "\n  lookback   %d at the defaults (no value for the first %d bars)\n",
            cq_ta_lookback(d, p), cq_ta_lookback(d, p));
  else
    fputc('\n', f);
  return CLI_OK;
}

/* One --ind: the definition, its parameters and the column names of its outputs. */
typedef struct ind_spec {
  const cq_ta_def *def;
  double params[CQ_TA_MAX_PARAMS];
  char col[CQ_TA_MAX_OUTPUTS][128];
  double *out[CQ_TA_MAX_OUTPUTS];
} ind_spec;

static int parse_ind(cli_ctx *ctx, const char *cmd, const char *arg, ind_spec *s) {
  char name[64];
  const char *colon = strchr(arg, ':');
  size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
  if (len == 0 || len >= sizeof name) {
    fprintf(ctx->err, "cquant %s: --ind: expected NAME[:PARAMS], got \"%s\"\n", cmd, arg);
    return CLI_USAGE;
  }
  memcpy(name, arg, len);
  name[len] = '\0';
  int rc;
  if ((rc = lookup(ctx, cmd, name, &s->def))) return rc;
  const char *text = colon ? colon + 1 : "";
  cq_error e;
  cq_error_clear(&e);
  if (cq_ta_params_parse(s->def, text, s->params, &e)) {
    cli_report_error(ctx, cmd, &e);
    return CLI_USAGE;
  }
  char base[96];
  snprintf(base, sizeof base, "%s%s%s", s->def->name, *text ? "_" : "", text);
  for (char *c = base; *c; c++)
    if (*c == ',') *c = '_';
  for (int k = 0; k < s->def->n_outputs; k++) {
    if (s->def->n_outputs == 1)
      snprintf(s->col[k], sizeof s->col[k], "%s", base);
    else
      snprintf(s->col[k], sizeof s->col[k], "%s_%s", base, s->def->outputs[k]);
  }
  return CLI_OK;
}

static int write_table(FILE *f, const cq_candles *c, size_t first, const ind_spec *s, int ns,
                       bool json) {
  if (json) {
    fputc('[', f);
  } else {
    fputs("open_time", f);
    for (int j = 0; j < ns; j++)
      for (int k = 0; k < s[j].def->n_outputs; k++) fprintf(f, ",%s", s[j].col[k]);
    fputc('\n', f);
  }
  for (size_t i = first; i < c->len; i++) {
    char t[CQ_TIME_STRMAX];
    cq_time_format_iso(c->open_time[i], 0, t, sizeof t);
    if (json)
      fprintf(f, "%s\n{\"open_time\":\"%s\"", i > first ? "," : "", t);
    else
      fputs(t, f);
    for (int j = 0; j < ns; j++) {
      for (int k = 0; k < s[j].def->n_outputs; k++) {
        if (json) {
          fputc(',', f);
          cli_json_string(f, s[j].col[k]);
          fputc(':', f);
        } else {
          fputc(',', f);
        }
        cli_put_number(f, s[j].out[k][i], json);
      }
    }
    fputs(json ? "}" : "\n", f);
  }
  if (json) fputs(c->len > first ? "\n]\n" : "]\n", f);
  return ferror(f) ? CQ_EIO : CQ_OK;
}

static int indicators_compute(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "indicators compute";
  data_series_opts so = {0};
  const char *format = "csv", *output = NULL;
  cli_list inds = {0};
  const cli_opt opts[] = {DATA_SERIES_OPTS(so),
                          DATA_RANGE_OPTS(so),
                          {"--ind", NULL, CLI_LIST, &inds},
                          {"--format", NULL, CLI_STR, &format},
                          {"--output", "-o", CLI_STR, &output}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &npos)))
    return rc;
  cq_series_key key;
  cq_time from, to;
  if ((rc = data_series_key(ctx, cmd, &so, &key)) ||
      (rc = data_time_range(ctx, cmd, &so, &from, &to)))
    return rc;
  if (inds.n == 0) {
    fprintf(ctx->err, "cquant %s: --ind is required (e.g. --ind rsi:14 --ind bbands:20,2)\n", cmd);
    return CLI_USAGE;
  }
  bool json = !strcmp(format, "json");
  if (!json && strcmp(format, "csv")) {
    fprintf(ctx->err, "cquant %s: --format: expected csv or json, got \"%s\"\n", cmd, format);
    return CLI_USAGE;
  }
  ind_spec *specs = calloc((size_t)inds.n, sizeof *specs);
  if (!specs) {
    fprintf(ctx->err, "cquant %s: out of memory\n", cmd);
    return CLI_FAIL;
  }
  for (int j = 0; j < inds.n; j++)
    if ((rc = parse_ind(ctx, cmd, inds.v[j], &specs[j]))) {
      free(specs);
      return rc;
    }
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, so.store, &store))) {
    free(specs);
    return rc;
  }
  cq_candles c;
  cq_candles_init(&c, 0);
  cq_error e;
  cq_error_clear(&e);
  char series[160];
  char tf[CQ_TF_STRMAX];
  cq_timeframe_format(key.tf, tf, sizeof tf);
  snprintf(series, sizeof series, "%s %s %s", key.venue, key.symbol, tf);
  /* the whole history before `to`: indicators warm up on it (and EMA-like ones depend on
   * where they start), rows before `from` are not printed */
  if (cq_store_get_candles(store, &key, INT64_MIN, to, &c, &e)) {
    cli_report_error(ctx, cmd, &e);
    rc = CLI_FAIL;
    goto done;
  }
  size_t first = 0;
  while (first < c.len && c.open_time[first] < from) first++;
  if (first == c.len) {
    fprintf(ctx->err,
            "cquant %s: no candles of %s%s in the store (cquant data list shows what is "
            "stored)\n",
            cmd, series, so.from || so.to ? " in that time range" : "");
    rc = CLI_FAIL;
    goto done;
  }
  for (int j = 0; j < inds.n; j++) {
    ind_spec *s = &specs[j];
    cq_ta_in in = {.time = c.open_time, .n = c.len};
    for (int k = 0; k < s->def->n_inputs; k++) in.v[k] = cq_candles_field(&c, (int)s->def->inputs[k]);
    for (int k = 0; k < s->def->n_outputs; k++)
      if (!(s->out[k] = malloc(c.len * sizeof(double)))) {
        fprintf(ctx->err, "cquant %s: out of memory for %zu values\n", cmd, c.len);
        rc = CLI_FAIL;
        goto done;
      }
    if (cq_ta_run(s->def, s->params, &in, s->out, &e)) {
      cli_report_error(ctx, cmd, &e);
      rc = CLI_FAIL;
      goto done;
    }
  }
  cli_output o;
  if ((rc = cli_output_open(ctx, cmd, output, &o))) goto done;
  cq_error_clear(&e);
  if (cli_output_close(&o, write_table(o.f, &c, first, specs, inds.n, json), &e)) {
    if (!e.msg[0]) cq_error_set(&e, CQ_EIO, "writing %s failed", output ? output : "stdout");
    cli_report_error(ctx, cmd, &e);
    rc = CLI_FAIL;
  } else if (output) {
    fprintf(ctx->err, "cquant %s: %zu rows of %s, %d indicator%s written to %s\n", cmd, c.len,
            series, inds.n, inds.n == 1 ? "" : "s", output);
  }
done:
  for (int j = 0; j < inds.n; j++)
    for (int k = 0; k < CQ_TA_MAX_OUTPUTS; k++) free(specs[j].out[k]);
  free(specs);
  cq_candles_release(&c);
  cq_store_close(store);
  return rc;
}

static const cli_subcommand indicators_commands[] = {
    {"list", indicators_list, list_usage},
    {"show", indicators_show, show_usage},
    {"compute", indicators_compute, compute_usage},
};

int cmd_indicators(cli_ctx *ctx, int argc, char **argv) {
  return cli_dispatch(ctx, "indicators", cmd_indicators_usage, indicators_commands,
                      sizeof indicators_commands / sizeof indicators_commands[0], argc, argv);
}
