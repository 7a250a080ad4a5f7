/* cquant stream: live capture of venue streams into the bus and the store, and its status. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cquant/capture.h"
#include "cquant/store.h"
#include "cquant/venue.h"

const char cmd_stream_usage[] =
    "usage: cquant stream --venue V[,V...] --symbol S[,S...] [options]\n"
    "       cquant stream status [--status FILE] [--json]\n"
    "\n"
    "Subscribes to the venues' streams, normalizes what arrives into events, publishes them\n"
    "on the bus (one topic per venue, symbol and channel: md.binance.BTC/USDT.trades), builds\n"
    "live candles from the trades, watches the health of every feed, and records trades and\n"
    "closed candles to the store in batches (one transaction per batch). After a reconnect\n"
    "or a stall the missed trades and the candles of the bars they touch are fetched over\n"
    "REST, so the stored history has no hole; each repaired range is logged.\n"
    "\n"
    "  --venue LIST      venues, comma-separated (binance,okx,bybit)\n"
    "  --symbol LIST     unified symbols, comma-separated (BTC/USDT,ETH/USDT)\n"
    "  --channels LIST   trades,book,ticker,candles (default: all four)\n"
    "  --tf LIST         live candle timeframes (default 1m,5m,15m)\n"
    "  --bus URL         inproc (default: in this process) or redis://HOST:PORT (Redis\n"
    "                    Streams: the capture and the recorder may then run apart)\n"
    "  --role ROLE       all (default): capture and record; capture: publish only;\n"
    "                    record: only consume the bus into the store (needs --bus redis://)\n"
    "  --rest-url LIST   the venues' REST base URLs, one per venue (default: their public\n"
    "                    ones; point them at `cquant venue-sim` to work offline)\n"
    "  --ws-url LIST     their stream URLs, one per venue (default: the public ones, or the\n"
    "                    --rest-url with ws:// for a simulator, which serves both)\n"
    "  --as LIST         the venue names published and stored (binance-sim), one per venue\n"
    "  --store URI       the store (default: config `store`, else sqlite:./var/cquant.db)\n"
    "  --duration S      stop after S seconds (default: run until Ctrl-C)\n"
    "  --batch N         events per store transaction at most (default 5000)\n"
    "  --batch-ms MS     the longest an event waits for its transaction (default 200)\n"
    "  --consumer NAME   the recorder's consumer name in group \"recorder\" (default\n"
    "                    recorder-1; a restarted recorder must use the same name)\n"
    "  --idle-exit S     record role: stop after S seconds without an event\n"
    "  --repair-wait S   on stop, wait up to S seconds for holes whose bars are about to\n"
    "                    close at the venue to be repaired (default 10)\n"
    "  --stale S         feed-health alert: no message for S seconds (default 30)\n"
    "  --p99-max MS      feed-health alert: latency p99 above MS (default 1000)\n"
    "  --status FILE     where the running capture keeps its status, rewritten every second\n"
    "                    (default var/stream-status.json): `cquant stream status` reads it\n"
    "  --json            print the final summary as one JSON object\n"
    "\n"
    "Exit status: 0 after a clean stop (Ctrl-C, --duration, --idle-exit), 1 on a failure,\n"
    "2 for a usage error.\n";

enum { MAX_V = CQ_CAPTURE_VENUES_MAX, MAX_S = CQ_CAPTURE_SYMBOLS_MAX };

static const char *const default_status = "var/stream-status.json";

typedef struct run_ctx {
  cli_ctx *ctx;
  cq_capture *cap;
  cq_recorder *rec;
  pthread_mutex_t rec_mu; /* the recorder's stats, read by the status writer */
  _Atomic int rec_stop;
  int rec_rc;
  cq_error rec_err;
  const char *status_path;
  const char *role;
  double idle_exit;
  _Atomic int *cancel;
} run_ctx;

/* ---- the status file -------------------------------------------------------------------- */

static int mkdir_parent(const char *path) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return 0;
  *slash = 0;
  for (char *p = dir + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(dir, 0755) && errno != EEXIST) return -1;
      *p = '/';
    }
  return mkdir(dir, 0755) && errno != EEXIST ? -1 : 0;
}

static void write_status(run_ctx *r, const char *state) {
  cli_ctx *ctx = r->ctx;
  cq_time now = cq_clock_now(&ctx->clock);
  char *cap = NULL;
  if (r->cap && cq_capture_status_json(r->cap, now, &cap, NULL)) cap = NULL;
  cq_recorder_stats rs;
  memset(&rs, 0, sizeof rs);
  if (r->rec) {
    pthread_mutex_lock(&r->rec_mu);
    cq_recorder_stats_get(r->rec, &rs);
    pthread_mutex_unlock(&r->rec_mu);
  }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.partial", r->status_path);
  if (mkdir_parent(r->status_path)) {
    free(cap);
    return;
  }
  FILE *f = fopen(tmp, "w");
  if (!f) {
    free(cap);
    return;
  }
  fprintf(f,
          "{\"state\":\"%s\",\"role\":\"%s\",\"pid\":%ld,\"updated\":%lld,"
          "\"recorder\":{\"on\":%s,\"polled\":%llu,\"applied\":%llu,\"duplicates\":%llu,"
          "\"batches\":%llu,\"trades\":%llu,\"candles\":%llu},\"capture\":%s}\n",
          state, r->role, (long)getpid(), (long long)now, r->rec ? "true" : "false",
          (unsigned long long)rs.polled, (unsigned long long)rs.applied,
          (unsigned long long)rs.duplicates, (unsigned long long)rs.batches,
          (unsigned long long)rs.trades, (unsigned long long)rs.candles, cap ? cap : "null");
  free(cap);
  bool ok = !ferror(f);
  if (fclose(f) || !ok || rename(tmp, r->status_path)) unlink(tmp);
}

static const char *jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static double jnum(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

static void put_ms(FILE *f, double v) {
  if (v == v)
    fprintf(f, " %8.2f", v);
  else
    fprintf(f, " %8s", "-");
}

static int cmd_status(cli_ctx *ctx, int argc, char **argv) {
  const char *path = NULL;
  const cli_opt opts[] = {{"--status", NULL, CLI_STR, &path}};
  const char *pos[1];
  int npos;
  int rc = cli_parse(ctx, "stream status", argc, argv, opts, 1, pos, 0, &npos);
  if (rc) return rc;
  if (!path) path = default_status;
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  if (!root) {
    if (access(path, F_OK))
      fprintf(ctx->err,
              "cquant stream status: no status at %s: no capture has run with this --status "
              "(start one with `cquant stream`)\n",
              path);
    else
      fprintf(ctx->err, "cquant stream status: %s: line %d: %s\n", path, je.line, je.text);
    return CLI_FAIL;
  }
  if (ctx->json) {
    char *s = json_dumps(root, JSON_COMPACT);
    if (s) fprintf(ctx->out, "%s\n", s);
    free(s);
    json_decref(root);
    return CLI_OK;
  }
  const char *state = jstr(root, "state");
  long pid = (long)jnum(root, "pid");
  double age = ((double)cq_clock_now(&ctx->clock) - jnum(root, "updated")) / 1e9;
  bool alive = pid > 0 && kill((pid_t)pid, 0) == 0;
  FILE *o = ctx->out;
  if (!strcmp(state, "running") && !alive)
    fprintf(o,
            "capture (pid %ld) is not running: it ended without stopping; last status %.0f s "
            "ago\n",
            pid, age);
  else
    fprintf(o, "capture %s (role %s, pid %ld), status %.1f s old\n", state, jstr(root, "role"), pid,
            age);
  json_t *cap = json_object_get(root, "capture");
  json_t *feeds = json_object_get(cap, "feeds");
  if (json_array_size(feeds)) {
    fprintf(o, "%-12s %-20s %9s %8s %8s %8s %8s %6s %5s %6s  %s\n", "venue", "stream", "messages",
            "rate/s", "p50 ms", "p99 ms", "last s", "reconn", "gaps", "resync", "state");
    size_t i;
    json_t *f;
    json_array_foreach(feeds, i, f) {
      char alerts[64] = "";
      size_t k;
      json_t *a;
      json_array_foreach(json_object_get(f, "alerts"), k, a) {
        size_t l = strlen(alerts);
        snprintf(alerts + l, sizeof alerts - l, "%s%s", l ? "," : "", json_string_value(a));
      }
      fprintf(o, "%-12s %-20s %9.0f %8.1f", jstr(f, "venue"), jstr(f, "stream"),
              jnum(f, "messages"), jnum(f, "rate"));
      put_ms(o, jnum(f, "p50_ms"));
      put_ms(o, jnum(f, "p99_ms"));
      put_ms(o, jnum(f, "since_last_s"));
      fprintf(o, " %6.0f %5.0f %6.0f  %s\n", jnum(f, "reconnects"), jnum(f, "gaps"),
              jnum(f, "resyncs"), alerts[0] ? alerts : "ok");
    }
  }
  json_t *reps = json_object_get(cap, "repairs");
  size_t i;
  json_t *p;
  json_array_foreach(reps, i, p) {
    char a[40], b[40];
    cq_time_format_iso((cq_time)jnum(p, "from"), 3, a, sizeof a);
    cq_time_format_iso((cq_time)jnum(p, "to"), 3, b, sizeof b);
    fprintf(o, "hole %s %s %s .. %s: %.0f trades%s, %.0f candles, %s\n", jstr(p, "venue"),
            jstr(p, "symbol"), a, b, jnum(p, "trades"),
            json_is_true(json_object_get(p, "trades_complete")) ? "" : " (incomplete)",
            jnum(p, "candles"),
            json_is_true(json_object_get(p, "done")) ? "repaired"
            : strcmp(state, "running")               ? "not repaired (its bars had not closed)"
                                                     : "pending");
  }
  json_t *rec = json_object_get(root, "recorder");
  if (json_is_true(json_object_get(rec, "on")))
    fprintf(o,
            "recorder: %.0f events applied, %.0f duplicates skipped, %.0f batches, %.0f trades "
            "and %.0f candles written\n",
            jnum(rec, "applied"), jnum(rec, "duplicates"), jnum(rec, "batches"),
            jnum(rec, "trades"), jnum(rec, "candles"));
  json_decref(root);
  return CLI_OK;
}

/* ---- running ---------------------------------------------------------------------------- */

static void *rec_thread(void *arg) {
  run_ctx *r = arg;
  while (!atomic_load(&r->rec_stop)) {
    pthread_mutex_lock(&r->rec_mu);
    int rc = cq_recorder_step(r->rec, 0, NULL, &r->rec_err);
    pthread_mutex_unlock(&r->rec_mu);
    if (rc) {
      r->rec_rc = rc;
      atomic_store(r->cancel, 1); /* the store failed: stop the whole run */
      return NULL;
    }
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 2000000L};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

/* Drains the recorder until the bus has been quiet for quiet_ms, then commits. */
static int rec_drain(run_ctx *r, int quiet_ms) {
  int64_t quiet = 0;
  while (quiet < quiet_ms) {
    size_t got = 0;
    int rc = cq_recorder_step(r->rec, 10, &got, &r->rec_err);
    if (rc) return rc;
    quiet = got ? 0 : quiet + 10;
  }
  return cq_recorder_flush(r->rec, &r->rec_err);
}

static int parse_bus(cli_ctx *ctx, const char *url, cq_bus **out) {
  cq_error e;
  if (!url || !strcmp(url, "inproc")) {
    cq_bus_options bo;
    cq_bus_options_default(&bo);
    bo.ring_size = 8192;            /* events of up to 2 KiB per slot, per topic */
    bo.on_full = CQ_BUS_FULL_BLOCK; /* the recorder must see every event */
    if (cq_bus_inproc_open(&bo, out, &e)) {
      cli_report_error(ctx, "stream", &e);
      return CLI_FAIL;
    }
    return CLI_OK;
  }
  if (strncmp(url, "redis://", 8) != 0) {
    fprintf(ctx->err, "cquant stream: --bus %s: expected inproc or redis://HOST:PORT\n", url);
    return CLI_USAGE;
  }
  char host[256];
  const char *hp = url + 8, *colon = strrchr(hp, ':');
  size_t hl = colon ? (size_t)(colon - hp) : strlen(hp);
  while (hl && hp[hl - 1] == '/') hl--;
  if (hl == 0 || hl >= sizeof host) {
    fprintf(ctx->err, "cquant stream: --bus %s: no host\n", url);
    return CLI_USAGE;
  }
  memcpy(host, hp, hl);
  host[hl] = 0;
  long port = 6379;
  if (colon) {
    char *end = NULL;
    port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || (*end && strcmp(end, "/")) || port < 1 || port > 65535) {
      fprintf(ctx->err, "cquant stream: --bus %s: bad port\n", url);
      return CLI_USAGE;
    }
  }
  cq_bus_redis_options ro;
  cq_bus_redis_options_default(&ro);
  ro.host = host;
  ro.port = (int)port;
  ro.claim_min_idle_ms = 5000;
  if (cq_bus_redis_open(&ro, out, &e)) {
    cq_error_prefix(&e, "--bus %s: ", url);
    cli_report_error(ctx, "stream", &e);
    return CLI_FAIL;
  }
  return CLI_OK;
}

static void print_summary(run_ctx *r) {
  cli_ctx *ctx = r->ctx;
  cq_capture_stats cs;
  memset(&cs, 0, sizeof cs);
  if (r->cap) cq_capture_stats_get(r->cap, &cs);
  cq_recorder_stats rs;
  memset(&rs, 0, sizeof rs);
  if (r->rec) cq_recorder_stats_get(r->rec, &rs);
  cq_capture_topic_stats *ts = NULL;
  size_t nts = 0;
  if (r->cap && cq_capture_topic_stats_get(r->cap, &ts, &nts, NULL)) nts = 0;
  if (ctx->json) {
    fprintf(ctx->out,
            "{\"role\":\"%s\",\"events\":%llu,\"published\":%llu,\"publish_errors\":%llu,"
            "\"trades\":%llu,\"candle_closes\":%llu,\"tainted\":%llu,\"reconnects\":%llu,"
            "\"holes\":%llu,\"repairs_done\":%llu,\"repaired_trades\":%llu,"
            "\"repaired_candles\":%llu,\"alerts\":%llu,\"recorder\":{\"applied\":%llu,"
            "\"duplicates\":%llu,\"batches\":%llu,\"trades\":%llu,\"candles\":%llu},\"topics\":[",
            r->role, (unsigned long long)cs.events, (unsigned long long)cs.published,
            (unsigned long long)cs.publish_errors, (unsigned long long)cs.trades,
            (unsigned long long)cs.candle_closes, (unsigned long long)cs.tainted,
            (unsigned long long)cs.reconnects, (unsigned long long)cs.holes,
            (unsigned long long)cs.repairs_done, (unsigned long long)cs.repaired_trades,
            (unsigned long long)cs.repaired_candles, (unsigned long long)cs.alerts,
            (unsigned long long)rs.applied, (unsigned long long)rs.duplicates,
            (unsigned long long)rs.batches, (unsigned long long)rs.trades,
            (unsigned long long)rs.candles);
    for (size_t i = 0; i < nts; i++) {
      fprintf(ctx->out, "%s{\"topic\":", i ? "," : "");
      cli_json_string(ctx->out, ts[i].topic);
      fprintf(ctx->out, ",\"published\":%llu}", (unsigned long long)ts[i].published);
    }
    fputs("]}\n", ctx->out);
  } else {
    if (r->cap)
      fprintf(ctx->out,
              "captured %llu events, published %llu (%llu trades, %llu candles closed); %llu "
              "reconnects, %llu holes, %llu repaired (%llu trades, %llu candles); %llu alerts\n",
              (unsigned long long)cs.events, (unsigned long long)cs.published,
              (unsigned long long)cs.trades, (unsigned long long)cs.candle_closes,
              (unsigned long long)cs.reconnects, (unsigned long long)cs.holes,
              (unsigned long long)cs.repairs_done, (unsigned long long)cs.repaired_trades,
              (unsigned long long)cs.repaired_candles, (unsigned long long)cs.alerts);
    if (r->rec)
      fprintf(ctx->out,
              "recorded %llu events in %llu batches: %llu trades, %llu candles written, %llu "
              "duplicates skipped\n",
              (unsigned long long)rs.applied, (unsigned long long)rs.batches,
              (unsigned long long)rs.trades, (unsigned long long)rs.candles,
              (unsigned long long)rs.duplicates);
  }
  free(ts);
}

int cmd_stream(cli_ctx *ctx, int argc, char **argv) {
  if (argc > 0 && !strcmp(argv[0], "status")) return cmd_status(ctx, argc - 1, argv + 1);
  const char *cmd = "stream";
  const char *venues_s = NULL, *symbols_s = NULL, *chan_s = NULL, *tf_s = NULL, *bus_s = NULL;
  const char *role = "all", *rest_s = NULL, *ws_s = NULL, *as_s = NULL, *store_flag = NULL;
  const char *status_path = default_status, *consumer = NULL;
  double duration = 0, idle_exit = 0, stale = 0, p99max = 0, repair_wait = 10;
  size_t batch = 0, batch_ms = 0;
  const cli_opt opts[] = {{"--venue", "--venues", CLI_STR, &venues_s},
                          {"--symbol", "--symbols", CLI_STR, &symbols_s},
                          {"--channels", "--channel", CLI_STR, &chan_s},
                          {"--tf", "--timeframe", CLI_STR, &tf_s},
                          {"--bus", NULL, CLI_STR, &bus_s},
                          {"--role", NULL, CLI_STR, &role},
                          {"--rest-url", NULL, CLI_STR, &rest_s},
                          {"--ws-url", NULL, CLI_STR, &ws_s},
                          {"--as", NULL, CLI_STR, &as_s},
                          {"--store", NULL, CLI_STR, &store_flag},
                          {"--duration", NULL, CLI_DOUBLE, &duration},
                          {"--batch", NULL, CLI_SIZE, &batch},
                          {"--batch-ms", NULL, CLI_SIZE, &batch_ms},
                          {"--consumer", NULL, CLI_STR, &consumer},
                          {"--idle-exit", NULL, CLI_DOUBLE, &idle_exit},
                          {"--repair-wait", NULL, CLI_DOUBLE, &repair_wait},
                          {"--stale", NULL, CLI_DOUBLE, &stale},
                          {"--p99-max", NULL, CLI_DOUBLE, &p99max},
                          {"--status", NULL, CLI_STR, &status_path}};
  const char *pos[1];
  int npos;
  int rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
  if (rc) return rc;
  if (!venues_s || !symbols_s) {
    fprintf(ctx->err, "cquant stream: --venue and --symbol are required\n");
    return CLI_USAGE;
  }
  bool do_cap = strcmp(role, "record") != 0, do_rec = strcmp(role, "capture") != 0;
  if (strcmp(role, "all") && strcmp(role, "capture") && strcmp(role, "record")) {
    fprintf(ctx->err, "cquant stream: --role %s: expected all, capture or record\n", role);
    return CLI_USAGE;
  }
  bool inproc = !bus_s || !strcmp(bus_s, "inproc");
  if (inproc && strcmp(role, "all")) {
    fprintf(ctx->err,
            "cquant stream: --role %s needs a shared bus (--bus redis://HOST:PORT): the "
            "in-process bus lives and dies with one process\n",
            role);
    return CLI_USAGE;
  }
  if (!(duration >= 0) || !(idle_exit >= 0) || !(stale >= 0) || !(p99max >= 0) ||
      !(repair_wait >= 0 && repair_wait <= 3600) || batch > 1000000 || batch_ms > 60000) {
    fprintf(ctx->err,
            "cquant stream: --duration, --idle-exit, --stale, --p99-max, --repair-wait "
            "(at most 3600) must be >= 0; "
            "--batch at most 1000000, --batch-ms at most 60000\n");
    return CLI_USAGE;
  }
  char vbuf[256], ubuf[2048], wbuf[2048], abuf[256], sbuf[2048], tbuf[256];
  const char *vn[MAX_V], *urls[MAX_V], *wurls[MAX_V], *asl[MAX_V], *syms[MAX_S], *tfl[16];
  int nv = 0, nu = 0, nw = 0, na = 0, ns = 0, nt = 0;
  if ((rc = cli_split_list(ctx, cmd, "--venue", venues_s, vbuf, sizeof vbuf, vn, MAX_V, &nv)) ||
      (rest_s && (rc = cli_split_list(ctx, cmd, "--rest-url", rest_s, ubuf, sizeof ubuf, urls,
                                      MAX_V, &nu))) ||
      (ws_s &&
       (rc = cli_split_list(ctx, cmd, "--ws-url", ws_s, wbuf, sizeof wbuf, wurls, MAX_V, &nw))) ||
      (as_s && (rc = cli_split_list(ctx, cmd, "--as", as_s, abuf, sizeof abuf, asl, MAX_V, &na))) ||
      (rc = cli_split_list(ctx, cmd, "--symbol", symbols_s, sbuf, sizeof sbuf, syms, MAX_S, &ns)) ||
      (tf_s && (rc = cli_split_list(ctx, cmd, "--tf", tf_s, tbuf, sizeof tbuf, tfl, 16, &nt))))
    return rc;
  if ((rest_s && nu != nv) || (ws_s && nw != nv) || (as_s && na != nv)) {
    fprintf(ctx->err,
            "cquant stream: --rest-url, --ws-url and --as take one value per venue (%d)\n", nv);
    return CLI_USAGE;
  }
  unsigned channels = CQ_CAP_ALL;
  cq_error e;
  if (chan_s && cq_capture_channels_parse(chan_s, &channels, &e)) {
    fprintf(ctx->err, "cquant stream: --channels: %s\n", e.msg);
    return CLI_USAGE;
  }
  cq_timeframe tfs[16];
  for (int i = 0; i < nt; i++) {
    if (cq_timeframe_parse(tfl[i], &tfs[i], &e)) {
      fprintf(ctx->err, "cquant stream: --tf %s: %s\n", tfl[i], e.msg);
      return CLI_USAGE;
    }
    for (int k = 0; k < i; k++)
      if (cq_timeframe_ns(tfs[k]) == cq_timeframe_ns(tfs[i])) {
        fprintf(ctx->err, "cquant stream: --tf: %s is given twice\n", tfl[i]);
        return CLI_USAGE;
      }
  }
  char usyms[MAX_S][CQ_SYMBOL_MAX];
  const char *symp[MAX_S];
  for (int i = 0; i < ns; i++) {
    char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
    if (cq_symbol_parse(syms[i], base, quote, &e)) {
      fprintf(ctx->err, "cquant stream: --symbol %s: %s\n", syms[i], e.msg);
      return CLI_USAGE;
    }
    snprintf(usyms[i], sizeof usyms[i], "%s/%s", base, quote);
    symp[i] = usyms[i];
    for (int k = 0; k < i; k++)
      if (!strcmp(usyms[k], usyms[i])) {
        fprintf(ctx->err, "cquant stream: --symbol: %s is given twice\n", usyms[i]);
        return CLI_USAGE;
      }
  }
  const cq_venue_ops *ops[MAX_V];
  char names[MAX_V][CQ_VENUE_MAX];
  const char *namep[MAX_V];
  for (int v = 0; v < nv; v++) {
    if (cq_venue_find(vn[v], &ops[v], &e)) {
      fprintf(ctx->err, "cquant stream: --venue: %s\n", e.msg);
      return CLI_USAGE;
    }
    cq_series_key probe;
    if (as_s && cq_series_key_set(&probe, asl[v], "BTC/USDT", "1m", &e)) {
      fprintf(ctx->err, "cquant stream: --as: %s\n", e.msg);
      return CLI_USAGE;
    }
    snprintf(names[v], sizeof names[v], "%s", as_s ? probe.venue : ops[v]->name);
    namep[v] = names[v];
    for (int w = 0; w < v; w++)
      if (!strcmp(names[w], names[v])) {
        fprintf(ctx->err, "cquant stream: --venue: %s is given twice\n", names[v]);
        return CLI_USAGE;
      }
  }

  _Atomic int cancel = 0;
  cli_sig_watch sw;
  cli_sig_watch_start(&sw, &cancel);
  run_ctx r = {.ctx = ctx,
               .status_path = status_path,
               .role = role,
               .idle_exit = idle_exit,
               .cancel = &cancel};
  pthread_mutex_init(&r.rec_mu, NULL);
  cq_bus *bus = NULL;
  cq_store *store = NULL;
  cq_net_loop *loop = NULL;
  cq_venue *venues[MAX_V] = {NULL};
  cq_topic_name *topics = NULL;
  size_t ntopics = 0;
  pthread_t rtid;
  bool rec_started = false;
  int status = CLI_OK;
  if ((rc = parse_bus(ctx, bus_s, &bus))) {
    status = rc;
    goto out;
  }
  const char *store_uri = cli_store_uri(ctx, store_flag);
  /* the topics a recorder stores: consumed here (record), or their groups made (capture) */
  if (cq_capture_topics(namep, (size_t)nv, symp, (size_t)ns, channels, nt ? tfs : NULL, (size_t)nt,
                        true, &topics, &ntopics, &e)) {
    cli_report_error(ctx, cmd, &e);
    status = CLI_FAIL;
    goto out;
  }
  if (do_rec) {
    cq_recorder_opts ro = {.bus = bus,
                           .batch_max = batch,
                           .batch_ms = (int)batch_ms,
                           .consumer = consumer,
                           .log = ctx->log};
    if (cq_store_open(store_uri, &store, &e)) {
      cli_report_error(ctx, cmd, &e);
      status = CLI_FAIL;
      goto out;
    }
    ro.store = store;
    ro.topics = topics;
    ro.ntopics = ntopics;
    if (ntopics && cq_recorder_open(&ro, &r.rec, &e)) {
      cli_report_error(ctx, cmd, &e);
      status = CLI_FAIL;
      goto out;
    }
  } else if (!inproc) {
    /* the recorder's groups exist from the start, so a recorder started later still sees
     * every event published from now on */
    for (size_t i = 0; i < ntopics; i++) {
      cq_bus_consumer *probe = NULL;
      if (cq_bus_subscribe(bus, topics[i], "recorder", "capture-probe", &probe, &e)) {
        cli_report_error(ctx, cmd, &e);
        status = CLI_FAIL;
        goto out;
      }
      cq_bus_consumer_close(probe);
    }
  }
  if (do_cap) {
    if (cq_net_loop_new(ctx->log, &loop, &e)) {
      cli_report_error(ctx, cmd, &e);
      status = CLI_FAIL;
      goto out;
    }
    cq_capture_venue cv[MAX_V];
    for (int v = 0; v < nv; v++) {
      char wsu[2048];
      cq_venue_config vc;
      cq_venue_config_default(&vc);
      vc.rest_url = rest_s ? urls[v] : NULL;
      if (ws_s)
        vc.ws_url = wurls[v];
      else if (rest_s && !strncmp(urls[v], "http", 4)) {
        snprintf(wsu, sizeof wsu, "ws%s", urls[v] + 4);
        vc.ws_url = wsu;
      }
      vc.loop = loop;
      vc.log = ctx->log;
      cq_verror ve;
      cq_verror_clear(&ve);
      if (ops[v]->open(&vc, &venues[v], &ve)) {
        venues[v] = NULL;
        cq_error_prefix(&ve.e, "%s: ", vn[v]);
        cli_report_error(ctx, cmd, &ve.e);
        status = CLI_FAIL;
        goto out;
      }
      cv[v] = (cq_capture_venue){.venue = venues[v], .name = names[v]};
    }
    cq_capture_opts co = {.venues = cv,
                          .nvenues = (size_t)nv,
                          .symbols = symp,
                          .nsymbols = (size_t)ns,
                          .channels = channels,
                          .tfs = nt ? tfs : NULL,
                          .ntfs = (size_t)nt,
                          .bus = bus,
                          .health = {.stale_s = stale, .p99_max_ms = p99max},
                          .log = ctx->log};
    if (cq_capture_open(&co, &r.cap, &e) || cq_capture_start(r.cap, &e)) {
      cli_report_error(ctx, cmd, &e);
      status = CLI_FAIL;
      goto out;
    }
    if (r.rec) {
      rec_started = pthread_create(&rtid, NULL, rec_thread, &r) == 0;
      if (!rec_started) {
        fprintf(ctx->err, "cquant stream: cannot start the recorder thread\n");
        status = CLI_FAIL;
        goto out;
      }
    }
    if (!ctx->json)
      fprintf(ctx->err, "cquant stream: capturing %d venues x %d symbols (%s bus); Ctrl-C stops\n",
              nv, ns, inproc ? "in-process" : bus_s);
  }

  /* the main loop: the status file every second, until Ctrl-C, --duration or --idle-exit */
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  double last_event = 0, last_status = -1;
  while (!atomic_load(&cancel)) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
    if (duration > 0 && el >= duration) break;
    if (el - last_status >= 1.0) {
      write_status(&r, "running");
      last_status = el;
    }
    if (!do_cap) {
      size_t got = 0;
      if ((rc = cq_recorder_step(r.rec, 20, &got, &r.rec_err))) {
        r.rec_rc = rc;
        break;
      }
      if (got) last_event = el;
      if (idle_exit > 0 && el - last_event >= idle_exit) break;
      continue;
    }
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 50000000L};
    nanosleep(&ts, NULL);
  }
  if (r.cap) cq_capture_stop(r.cap, (int64_t)(repair_wait * 1000));
  if (rec_started) {
    atomic_store(&r.rec_stop, 1);
    pthread_join(rtid, NULL);
    rec_started = false;
  }
  if (r.rec && !r.rec_rc) r.rec_rc = rec_drain(&r, 500);
  write_status(&r, "stopped");
  print_summary(&r);
  if (r.rec_rc) {
    cli_report_error(ctx, cmd, &r.rec_err);
    status = CLI_FAIL;
  }
out:
  if (rec_started) {
    atomic_store(&r.rec_stop, 1);
    pthread_join(rtid, NULL);
  }
  cq_capture_close(r.cap);
  for (int v = 0; v < nv; v++)
    if (venues[v]) ops[v]->close(venues[v]);
  cq_net_loop_free(loop);
  cq_recorder_close(r.rec);
  free(topics);
  if (store) cq_store_close(store);
  if (bus) cq_bus_close(bus);
  pthread_mutex_destroy(&r.rec_mu);
  cli_sig_watch_stop(&sw);
  return status;
}
