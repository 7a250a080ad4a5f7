/* cquant features: build feature sets over stored candles, export, list, show. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmd_data.h"
#include "cquant/features.h"

const char cmd_features_usage[] =
    "usage: cquant features <build|export|list|show> [options]\n"
    "\n"
    "Feature sets: YAML files of named indicators and transforms, computed over stored\n"
    "candles and stored by set name and version (a hash of the definitions).\n"
    "\n"
    "  build SET.yaml   compute a set over one series and store it (a no-op when up to date)\n"
    "  export SET       write a stored feature frame as CSV or JSON\n"
    "  list             the stored frames: set, version, series, rows, build time\n"
    "  show SET.yaml    a set's version and canonical definitions\n"
    "\n"
    "`cquant features <command> --help` shows the options of each. See docs/cli/features.md.\n";

static const char build_usage[] =
    "usage: cquant features build SET.yaml --venue V --symbol S --tf TF [options]\n"
    "\n"
    "Computes every feature of the set over the stored candles of one series and stores the\n"
    "frame under the set's name and version. Building again over the same candles changes\n"
    "nothing; a changed definition makes a new version, and old versions stay readable.\n"
    "\n"
    "  --venue V, --symbol S, --tf TF   the series\n"
    "  --from T, --to T   store the rows with from <= open time < to; the features are\n"
    "                     computed over every candle before, so values do not depend on it\n"
    "  --force            rebuild even when the stored frame is up to date\n"
    "  --store URI        the store (see cquant data import --help)\n"
    "  --json             the result as a JSON object on stdout\n";

static const char export_usage[] =
    "usage: cquant features export SET --venue V --symbol S --tf TF [options]\n"
    "\n"
    "Writes a stored feature frame: open_time (ISO-8601 UTC) and one column per feature.\n"
    "SET is a set name or a feature set file (its name and current version). Missing values\n"
    "(before an indicator's lookback) are empty cells in CSV and null in JSON.\n"
    "\n"
    "  --venue V, --symbol S, --tf TF   the series\n"
    "  --version V        a stored version (default: the file's version, or the latest built)\n"
    "  --from T, --to T   only rows with from <= open time < to\n"
    "  --format F         csv or json (an array of objects); default csv\n"
    "  --output FILE      write to FILE (replaced only when the export succeeds); default stdout\n"
    "  --store URI        the store\n";

static const char list_usage[] =
    "usage: cquant features list [--store URI] [--json]\n"
    "\n"
    "Every stored feature frame: set, version, series, rows, features, build time.\n";

static const char show_usage[] =
    "usage: cquant features show SET.yaml [--json]\n"
    "\n"
    "Checks a feature set file and prints its name, version and canonical definitions, one\n"
    "feature a line (what the version is a hash of).\n";

static bool is_file(const char *s) {
  struct stat st;
  return stat(s, &st) == 0 && S_ISREG(st.st_mode);
}

static int load_set(cli_ctx *ctx, const char *cmd, const char *path, cq_feature_set **fs) {
  cq_error e;
  cq_error_clear(&e);
  if (cq_feature_set_load(path, fs, &e)) {
    cli_report_error(ctx, cmd, &e);
    return e.code == CQ_EIO ? CLI_FAIL : CLI_USAGE;
  }
  return CLI_OK;
}

static int one_positional(cli_ctx *ctx, const char *cmd, int npos, const char *what) {
  if (npos == 1) return CLI_OK;
  fprintf(ctx->err, "cquant %s: expected %s (see --help)\n", cmd, what);
  return CLI_USAGE;
}

static int features_build(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "features build";
  data_series_opts so = {0};
  bool force = false;
  const cli_opt opts[] = {
      DATA_SERIES_OPTS(so), DATA_RANGE_OPTS(so), {"--force", NULL, CLI_FLAG, &force}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, &npos)) ||
      (rc = one_positional(ctx, cmd, npos, "one feature set file")))
    return rc;
  cq_series_key key;
  cq_time from, to;
  if ((rc = data_series_key(ctx, cmd, &so, &key)) ||
      (rc = data_time_range(ctx, cmd, &so, &from, &to)))
    return rc;
  cq_feature_set *fs;
  if ((rc = load_set(ctx, cmd, pos[0], &fs))) return rc;
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, so.store, &store))) {
    cq_feature_set_free(fs);
    return rc;
  }
  cq_error e;
  cq_error_clear(&e);
  cq_features_report rep;
  cq_time t0 = cq_clock_steady(&ctx->clock);
  if (cq_features_build(store, fs, &key, from, to, force, cq_clock_now(&ctx->clock), &rep, &e)) {
    cli_report_error(ctx, cmd, &e);
    rc = CLI_FAIL;
  } else {
    double ms = (double)(cq_clock_steady(&ctx->clock) - t0) / 1e6;
    uint64_t values = (uint64_t)rep.rows * (uint64_t)rep.features;
    if (ctx->json) {
      fputs("{\"set\":", ctx->out);
      cli_json_string(ctx->out, cq_feature_set_name(fs));
      fprintf(ctx->out,
              ",\"version\":\"%s\",\"up_to_date\":%s,\"rows\":%zu,\"features\":%d,"
              "\"values\":%llu,\"ms\":%.3f}\n",
              rep.version, rep.up_to_date ? "true" : "false", rep.rows, rep.features,
              (unsigned long long)values, ms);
    } else if (rep.up_to_date) {
      fprintf(ctx->out, "%s %s: up to date (%zu rows x %d features); nothing written\n",
              cq_feature_set_name(fs), rep.version, rep.rows, rep.features);
    } else {
      fprintf(ctx->out, "%s %s: %zu rows x %d features = %llu values built and stored in %.1f ms\n",
              cq_feature_set_name(fs), rep.version, rep.rows, rep.features,
              (unsigned long long)values, ms);
    }
  }
  cq_store_close(store);
  cq_feature_set_free(fs);
  return rc;
}

static int write_frame(FILE *f, const cq_feature_frame *fr, cq_time from, cq_time to, bool json) {
  if (json)
    fputc('[', f);
  else {
    fputs("open_time", f);
    for (int k = 0; k < fr->n_features; k++) fprintf(f, ",%s", fr->names[k]);
    fputc('\n', f);
  }
  bool first = true;
  for (size_t i = 0; i < fr->rows; i++) {
    if (fr->time[i] < from || fr->time[i] >= to) continue;
    char t[CQ_TIME_STRMAX];
    cq_time_format_iso(fr->time[i], 0, t, sizeof t);
    if (json) {
      fprintf(f, "%s\n{\"open_time\":\"%s\"", first ? "" : ",", t);
      for (int k = 0; k < fr->n_features; k++) {
        fprintf(f, ",\"%s\":", fr->names[k]);
        cli_put_number(f, fr->values[k][i], true);
      }
      fputc('}', f);
    } else {
      fputs(t, f);
      for (int k = 0; k < fr->n_features; k++) {
        fputc(',', f);
        cli_put_number(f, fr->values[k][i], false);
      }
      fputc('\n', f);
    }
    first = false;
  }
  if (json) fputs(first ? "]\n" : "\n]\n", f);
  return ferror(f) ? CQ_EIO : CQ_OK;
}

static int features_export(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "features export";
  data_series_opts so = {0};
  const char *format = "csv", *output = NULL, *version = NULL;
  const cli_opt opts[] = {DATA_SERIES_OPTS(so),
                          DATA_RANGE_OPTS(so),
                          {"--version", NULL, CLI_STR, &version},
                          {"--format", NULL, CLI_STR, &format},
                          {"--output", "-o", CLI_STR, &output}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, &npos)) ||
      (rc = one_positional(ctx, cmd, npos, "a feature set name or file")))
    return rc;
  cq_series_key key;
  cq_time from, to;
  if ((rc = data_series_key(ctx, cmd, &so, &key)) ||
      (rc = data_time_range(ctx, cmd, &so, &from, &to)))
    return rc;
  bool json = !strcmp(format, "json");
  if (!json && strcmp(format, "csv")) {
    fprintf(ctx->err, "cquant %s: --format: expected csv or json, got \"%s\"\n", cmd, format);
    return CLI_USAGE;
  }
  char set[CQ_FEATURE_NAME_MAX], ver[CQ_FEATURE_VERSION_MAX] = "";
  if (is_file(pos[0])) {
    cq_feature_set *fs;
    if ((rc = load_set(ctx, cmd, pos[0], &fs))) return rc;
    cq_strlcpy(set, cq_feature_set_name(fs), sizeof set);
    cq_strlcpy(ver, cq_feature_set_version(fs), sizeof ver);
    cq_feature_set_free(fs);
  } else {
    cq_strlcpy(set, pos[0], sizeof set);
  }
  if (version) cq_strlcpy(ver, version, sizeof ver);
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, so.store, &store))) return rc;
  cq_error e;
  cq_error_clear(&e);
  cq_feature_frame fr;
  if (cq_store_get_features(store, set, ver, &key, true, &fr, &e)) {
    if (e.code == CQ_ENOTFOUND)
      cq_error_prefix(
          &e, "%s: ",
          is_file(pos[0]) ? "build it first (cquant features build)" : "see cquant features list");
    cli_report_error(ctx, cmd, &e);
    cq_store_close(store);
    return CLI_FAIL;
  }
  cli_output o;
  if ((rc = cli_output_open(ctx, cmd, output, &o))) goto done;
  if (cli_output_close(&o, write_frame(o.f, &fr, from, to, json), &e)) {
    if (!e.msg[0]) cq_error_set(&e, CQ_EIO, "writing %s failed", output ? output : "stdout");
    cli_report_error(ctx, cmd, &e);
    rc = CLI_FAIL;
  } else if (output) {
    fprintf(ctx->err, "cquant %s: %s %s, %d features written to %s\n", cmd, fr.set, fr.version,
            fr.n_features, output);
  }
done:
  cq_feature_frame_release(&fr);
  cq_store_close(store);
  return rc;
}

static int features_list(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "features list";
  const char *store_flag = NULL;
  const cli_opt opts[] = {{"--store", NULL, CLI_STR, &store_flag}};
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, opts, 1, pos, 0, &npos))) return rc;
  cq_store *store;
  if ((rc = data_open_store(ctx, cmd, store_flag, &store))) return rc;
  cq_feature_info *list = NULL;
  size_t n = 0;
  cq_error e;
  cq_error_clear(&e);
  if (cq_store_list_features(store, &list, &n, &e)) {
    cli_report_error(ctx, cmd, &e);
    cq_store_close(store);
    return CLI_FAIL;
  }
  if (ctx->json)
    fputc('[', ctx->out);
  else if (n)
    fprintf(ctx->out, "%-16s %-16s %-10s %-12s %-4s %8s %8s  %s\n", "set", "version", "venue",
            "symbol", "tf", "rows", "features", "built");
  else
    fputs("no feature frames stored (cquant features build SET.yaml ...)\n", ctx->out);
  for (size_t i = 0; i < n; i++) {
    char tf[CQ_TF_STRMAX], t[CQ_TIME_STRMAX];
    cq_timeframe_format(list[i].key.tf, tf, sizeof tf);
    cq_time_format_iso(list[i].built_at, 0, t, sizeof t);
    if (ctx->json) {
      fputs(i ? ",\n{\"set\":" : "\n{\"set\":", ctx->out);
      cli_json_string(ctx->out, list[i].set);
      fprintf(ctx->out, ",\"version\":\"%s\",\"venue\":", list[i].version);
      cli_json_string(ctx->out, list[i].key.venue);
      fputs(",\"symbol\":", ctx->out);
      cli_json_string(ctx->out, list[i].key.symbol);
      fprintf(ctx->out, ",\"tf\":\"%s\",\"rows\":%llu,\"features\":%d,\"built_at\":\"%s\"}", tf,
              (unsigned long long)list[i].rows, list[i].n_features, t);
    } else {
      fprintf(ctx->out, "%-16s %-16s %-10s %-12s %-4s %8llu %8d  %s\n", list[i].set,
              list[i].version, list[i].key.venue, list[i].key.symbol, tf,
              (unsigned long long)list[i].rows, list[i].n_features, t);
    }
  }
  if (ctx->json) fputs(n ? "\n]\n" : "]\n", ctx->out);
  free(list);
  cq_store_close(store);
  return CLI_OK;
}

static int features_show(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "features show";
  const char *pos[1];
  int npos, rc;
  if ((rc = cli_parse(ctx, cmd, argc, argv, NULL, 0, pos, 1, &npos)) ||
      (rc = one_positional(ctx, cmd, npos, "one feature set file")))
    return rc;
  cq_feature_set *fs;
  if ((rc = load_set(ctx, cmd, pos[0], &fs))) return rc;
  if (ctx->json) {
    fputs("{\"name\":", ctx->out);
    cli_json_string(ctx->out, cq_feature_set_name(fs));
    fprintf(ctx->out, ",\"version\":\"%s\",\"features\":[", cq_feature_set_version(fs));
    for (int i = 0; i < cq_feature_set_count(fs); i++) {
      if (i) fputc(',', ctx->out);
      cli_json_string(ctx->out, cq_feature_set_feature(fs, i));
    }
    fputs("],\"definition\":", ctx->out);
    cli_json_string(ctx->out, cq_feature_set_definition(fs));
    fputs("}\n", ctx->out);
  } else {
    fprintf(ctx->out, "set %s, version %s, %d features:\n%s", cq_feature_set_name(fs),
            cq_feature_set_version(fs), cq_feature_set_count(fs), cq_feature_set_definition(fs));
  }
  cq_feature_set_free(fs);
  return CLI_OK;
}

static const cli_subcommand features_commands[] = {
    {"build", features_build, build_usage},
    {"export", features_export, export_usage},
    {"list", features_list, list_usage},
    {"show", features_show, show_usage},
};

int cmd_features(cli_ctx *ctx, int argc, char **argv) {
  return cli_dispatch(ctx, "features", cmd_features_usage, features_commands,
                      sizeof features_commands / sizeof features_commands[0], argc, argv);
}
