/* cquant backfill: candle history from a venue into the store, resumable. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cquant/ingest.h"
#include "cquant/store.h"
#include "cquant/venue.h"

const char cmd_backfill_usage[] =
    "usage: cquant backfill --venue V[,V...] --symbol S[,S...] --tf TF[,TF...] --since T "
    "[options]\n"
    "\n"
    "Pages through a venue's candle history into the store, several series at once, within\n"
    "the venue's rate limits, with a progress line per series (candles, rate, ETA).\n"
    "Resumable: a rerun asks only for what the store does not hold yet; an interrupted run\n"
    "(Ctrl-C, kill -9, network loss) keeps every page it stored and duplicates nothing.\n"
    "Stretches the venue has no candles for are recorded as gaps and not asked for again.\n"
    "Only closed candles are stored. The venue's instruments are stored too.\n"
    "\n"
    "  --venue LIST     venues, comma-separated (binance,okx,bybit): each runs in parallel\n"
    "                   with the others, within its own rate limits\n"
    "  --symbol LIST    unified symbols, comma-separated (BTC/USDT,ETH/USDT)\n"
    "  --tf LIST        timeframes, comma-separated (1m,1h,1d)\n"
    "  --since T        first open time: a date or time (2024-01-01), epoch ms, or a\n"
    "                   duration back from now (2y, 90d, 12h)\n"
    "  --until T        end, exclusive (default: now)\n"
    "  --rest-url LIST  the venue's REST base URL (default: its public one; point it at\n"
    "                   `cquant venue-sim` to work offline); with several venues, one URL\n"
    "                   per venue, in the order of --venue\n"
    "  --as LIST        the venue name the candles and instruments are stored under\n"
    "                   (default: the venue's own; e.g. binance-sim for a simulator, so\n"
    "                   simulated candles never mix with real ones); one per venue\n"
    "  --jobs N         series filled at once, per venue (default 4)\n"
    "  --store URI      the store (default: config `store`, else sqlite:./var/cquant.db)\n"
    "  --json           print the summary as JSON (one line per venue)\n"
    "\n"
    "Exit status: 0 when every series is complete, 1 when one failed (the others still\n"
    "ran; rerun to resume), 2 for a usage error, 130 when interrupted.\n";

enum { MAX_JOBS = 256, MAX_VENUES = 8, CLI_INTERRUPTED = 130 };

/* ---- progress: one line per series, every venue's ------------------------------------- */

typedef struct venue_run venue_run;

/* Shared by the runs: each run's callback (on its own thread) redraws every run's lines. */
typedef struct progress_view {
  cli_ctx *ctx;
  pthread_mutex_t mu;
  venue_run *runs;
  size_t nruns;
  cq_time last_line; /* plain output: when the last block of lines went out */
  int drawn;         /* terminal: lines drawn last time */
} progress_view;

/* One venue's backfill. */
struct venue_run {
  const cq_venue_ops *ops;
  const char *name;     /* as given to --venue */
  const char *rest_url; /* NULL: the venue's own */
  char store_venue[CQ_VENUE_MAX];
  cq_venue *venue;
  cq_store *store;
  size_t nins;
  cq_backfill_job *jobs;
  size_t njobs;
  cq_backfill_opts bo;
  progress_view *pv;
  pthread_t tid;
  bool started;
  int rc;
  cq_error e;
};

static void job_line(cli_ctx *ctx, const char *venue, const cq_backfill_job *j, char *buf,
                     size_t n) {
  char tf[CQ_TF_STRMAX], done[16], rate[16], eta[32] = "";
  cq_timeframe_format(j->tf, tf, sizeof tf);
  uint64_t expected = atomic_load(&j->expected), covered = atomic_load(&j->covered);
  uint64_t candles = atomic_load(&j->candles);
  cq_backfill_state st = (cq_backfill_state)atomic_load(&j->state);
  cq_time now = cq_clock_now(&ctx->clock);
  cq_time started = atomic_load(&j->started), finished = atomic_load(&j->finished);
  cq_time t0 = started ? started : now;
  cq_time t1 = st == CQ_BF_RUNNING || !finished ? now : finished;
  double secs = (double)(t1 - t0) / 1e9;
  double r = secs > 0 ? (double)covered / secs : 0;
  cq_human_count((double)candles, done, sizeof done);
  cq_human_count(r, rate, sizeof rate);
  double pct = expected ? 100.0 * (double)covered / (double)expected : 0;
  if (st == CQ_BF_DONE) pct = 100;
  if (pct > 100) pct = 100;
  if (st == CQ_BF_RUNNING && r > 0 && expected > covered)
    snprintf(eta, sizeof eta, " ETA %.0fs", (double)(expected - covered) / r);
  char bar[21];
  int fill = (int)(pct / 5);
  for (int i = 0; i < 20; i++) bar[i] = i < fill ? '#' : '-';
  bar[20] = '\0';
  snprintf(buf, n, "%s %-10s %-4s [%s] %3.0f%% %s candles %s bars/s%s %s", venue, j->symbol, tf,
           bar, pct, done, rate, eta, st == CQ_BF_RUNNING ? "" : cq_backfill_state_name(st));
}

static void on_progress(void *arg, const cq_backfill_job *jobs, size_t n) {
  (void)jobs;
  (void)n;
  progress_view *pv = ((venue_run *)arg)->pv;
  cli_ctx *ctx = pv->ctx;
  if (ctx->json && !ctx->tty) return;
  char line[256];
  pthread_mutex_lock(&pv->mu);
  if (ctx->tty) {
    if (pv->drawn) fprintf(ctx->err, "\033[%dA", pv->drawn);
    int drawn = 0;
    for (size_t r = 0; r < pv->nruns; r++)
      for (size_t i = 0; i < pv->runs[r].njobs; i++) {
        job_line(ctx, pv->runs[r].store_venue, &pv->runs[r].jobs[i], line, sizeof line);
        fprintf(ctx->err, "\r\033[2K%s\n", line);
        drawn++;
      }
    pv->drawn = drawn;
    fflush(ctx->err);
    pthread_mutex_unlock(&pv->mu);
    return;
  }
  cq_time now = cq_clock_now(&ctx->clock);
  if (!pv->last_line || now - pv->last_line >= 5 * CQ_NS_PER_SEC) {
    pv->last_line = now;
    for (size_t r = 0; r < pv->nruns; r++)
      for (size_t i = 0; i < pv->runs[r].njobs; i++) {
        const cq_backfill_job *j = &pv->runs[r].jobs[i];
        if ((cq_backfill_state)atomic_load(&j->state) != CQ_BF_RUNNING) continue;
        job_line(ctx, pv->runs[r].store_venue, j, line, sizeof line);
        fprintf(ctx->err, "%s\n", line);
      }
  }
  pthread_mutex_unlock(&pv->mu);
}

/* ---- the summary ---------------------------------------------------------------------- */

static double job_seconds(const cq_backfill_job *j) {
  cq_time a = atomic_load(&j->started), b = atomic_load(&j->finished);
  return b > a ? (double)(b - a) / 1e9 : 0.0;
}

static void print_summary(cli_ctx *ctx, const char *venue, const cq_backfill_job *jobs, size_t n,
                          const char *store_uri, size_t n_instruments) {
  if (ctx->json) {
    fprintf(ctx->out, "{\"venue\":\"%s\",\"store\":", venue);
    cli_json_string(ctx->out, store_uri);
    fprintf(ctx->out, ",\"instruments\":%zu,\"series\":[", n_instruments);
    for (size_t i = 0; i < n; i++) {
      const cq_backfill_job *j = &jobs[i];
      char tf[CQ_TF_STRMAX];
      cq_timeframe_format(j->tf, tf, sizeof tf);
      cq_backfill_state st = (cq_backfill_state)atomic_load(&j->state);
      fprintf(ctx->out,
              "%s{\"symbol\":\"%s\",\"tf\":\"%s\",\"state\":\"%s\",\"candles\":%llu,"
              "\"inserted\":%llu,\"gap_bars\":%llu,\"requests\":%llu,\"seconds\":%.3f",
              i ? "," : "", j->symbol, tf, cq_backfill_state_name(st),
              (unsigned long long)atomic_load(&j->candles),
              (unsigned long long)atomic_load(&j->inserted),
              (unsigned long long)atomic_load(&j->gap_bars),
              (unsigned long long)atomic_load(&j->pages), job_seconds(j));
      if (st == CQ_BF_FAILED || st == CQ_BF_CANCELLED) {
        fputs(",\"error\":", ctx->out);
        cli_json_string(ctx->out, j->error.msg);
      }
      fputc('}', ctx->out);
    }
    fputs("]}\n", ctx->out);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const cq_backfill_job *j = &jobs[i];
    char tf[CQ_TF_STRMAX];
    cq_timeframe_format(j->tf, tf, sizeof tf);
    cq_backfill_state st = (cq_backfill_state)atomic_load(&j->state);
    fprintf(
        ctx->out,
        "%s %s %s: %s, %llu candles (%llu new), %llu bars in venue gaps, %llu "
        "requests, %.1f s%s%s\n",
        venue, j->symbol, tf, cq_backfill_state_name(st),
        (unsigned long long)atomic_load(&j->candles), (unsigned long long)atomic_load(&j->inserted),
        (unsigned long long)atomic_load(&j->gap_bars), (unsigned long long)atomic_load(&j->pages),
        job_seconds(j), st == CQ_BF_FAILED ? ": " : "", st == CQ_BF_FAILED ? j->error.msg : "");
  }
  fprintf(ctx->out, "%zu instruments stored; candles in %s\n", n_instruments, store_uri);
}

/* ---- the command ----------------------------------------------------------------------- */

/* Checks every symbol against the venue's instruments; names the closest on a miss. */
static int check_symbols(cli_ctx *ctx, const char *venue, const char **syms, int n,
                         const cq_instrument *ins, size_t nins) {
  for (int i = 0; i < n; i++) {
    char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
    cq_error e;
    if (cq_symbol_parse(syms[i], base, quote, &e)) {
      fprintf(ctx->err, "cquant backfill: --symbol %s: %s\n", syms[i], e.msg);
      return CLI_USAGE;
    }
    char want[CQ_SYMBOL_MAX];
    snprintf(want, sizeof want, "%s/%s", base, quote);
    bool found = false;
    for (size_t k = 0; k < nins && !found; k++) found = !strcmp(ins[k].symbol, want);
    if (found) continue;
    const char *close = NULL;
    size_t best = 4; /* at most three edits away */
    for (size_t k = 0; k < nins; k++) {
      size_t d = cq_edit_distance(want, ins[k].symbol);
      if (d < best) {
        best = d;
        close = ins[k].symbol;
      }
    }
    fprintf(ctx->err, "cquant backfill: --symbol %s: %s has no such instrument%s%s%s\n", syms[i],
            venue, close ? " (did you mean " : "", close ? close : "", close ? "?)" : "");
    return CLI_USAGE;
  }
  return CLI_OK;
}

/* Opens the venue, reads and stores its instruments, checks the symbols. */
static int prepare_run(cli_ctx *ctx, venue_run *r, const char *store_uri, const char **syms,
                       int nsym) {
  const char *cmd = "backfill";
  cq_venue_config vc;
  cq_venue_config_default(&vc);
  vc.rest_url = r->rest_url;
  vc.log = ctx->log;
  cq_verror ve;
  cq_verror_clear(&ve);
  if (r->ops->open(&vc, &r->venue, &ve)) {
    r->venue = NULL;
    cli_report_error(ctx, cmd, &ve.e);
    return CLI_FAIL;
  }
  cq_instrument *ins = NULL;
  size_t nins = 0;
  if (r->ops->instruments(r->venue, &ins, &nins, &ve)) {
    cq_error_prefix(&ve.e, "%s instruments: ", r->name);
    cli_report_error(ctx, cmd, &ve.e);
    return CLI_FAIL;
  }
  int rc = check_symbols(ctx, r->name, syms, nsym, ins, nins);
  if (rc) {
    free(ins);
    return rc;
  }
  for (size_t k = 0; k < nins; k++)
    snprintf(ins[k].venue, sizeof ins[k].venue, "%s", r->store_venue);
  cq_error e;
  cq_error_clear(&e);
  /* one store handle per venue: each run uses its own under its own lock, and the store
   * serializes the writers */
  if (cq_store_open(store_uri, &r->store, &e) ||
      cq_store_put_instruments(r->store, ins, nins, NULL, &e)) {
    cli_report_error(ctx, cmd, &e);
    free(ins);
    return CLI_FAIL;
  }
  free(ins);
  r->nins = nins;
  return CLI_OK;
}

static void *run_thread(void *arg) {
  venue_run *r = arg;
  cq_error_clear(&r->e);
  r->rc = cq_backfill_run(&r->bo, r->jobs, r->njobs, &r->e);
  return NULL;
}

static void runs_free(venue_run *runs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(runs[i].jobs);
    if (runs[i].store) cq_store_close(runs[i].store);
    if (runs[i].venue) runs[i].ops->close(runs[i].venue);
  }
}

int cmd_backfill(cli_ctx *ctx, int argc, char **argv) {
  const char *cmd = "backfill";
  const char *venue_names = NULL, *symbols = NULL, *tfs = NULL, *since_s = NULL, *until_s = NULL;
  const char *rest_urls = NULL, *store_flag = NULL, *as_names = NULL;
  size_t jobs_n = 4;
  const cli_opt opts[] = {{"--venue", "--venues", CLI_STR, &venue_names},
                          {"--symbol", "--symbols", CLI_STR, &symbols},
                          {"--tf", "--timeframe", CLI_STR, &tfs},
                          {"--since", "--from", CLI_STR, &since_s},
                          {"--until", "--to", CLI_STR, &until_s},
                          {"--rest-url", NULL, CLI_STR, &rest_urls},
                          {"--as", NULL, CLI_STR, &as_names},
                          {"--jobs", NULL, CLI_SIZE, &jobs_n},
                          {"--store", NULL, CLI_STR, &store_flag}};
  const char *pos[1];
  int npos;
  int rc = cli_parse(ctx, cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, &npos);
  if (rc) return rc;
  if (!venue_names || !symbols || !tfs || !since_s) {
    fprintf(ctx->err, "cquant backfill: --venue, --symbol, --tf and --since are required\n");
    return CLI_USAGE;
  }
  if (jobs_n < 1 || jobs_n > 64) {
    fprintf(ctx->err, "cquant backfill: --jobs: expected 1 .. 64, got %zu\n", jobs_n);
    return CLI_USAGE;
  }
  char vbuf[256], ubuf[2048], abuf[256];
  const char *vnames[MAX_VENUES], *urls[MAX_VENUES], *asl[MAX_VENUES];
  int nv = 0, nu = 0, na = 0;
  if ((rc = cli_split_list(ctx, "backfill", "--venue", venue_names, vbuf, sizeof vbuf, vnames, MAX_VENUES, &nv)) ||
      (rest_urls &&
       (rc = cli_split_list(ctx, "backfill", "--rest-url", rest_urls, ubuf, sizeof ubuf, urls, MAX_VENUES, &nu))) ||
      (as_names &&
       (rc = cli_split_list(ctx, "backfill", "--as", as_names, abuf, sizeof abuf, asl, MAX_VENUES, &na))))
    return rc;
  if ((rest_urls && nu != nv) || (as_names && na != nv)) {
    fprintf(ctx->err, "cquant backfill: --rest-url and --as take one value per venue (%d)\n", nv);
    return CLI_USAGE;
  }
  venue_run runs[MAX_VENUES];
  memset(runs, 0, sizeof runs);
  cq_error e;
  for (int v = 0; v < nv; v++) {
    venue_run *r = &runs[v];
    if (cq_venue_find(vnames[v], &r->ops, &e)) {
      fprintf(ctx->err, "cquant backfill: --venue: %s\n", e.msg);
      return CLI_USAGE;
    }
    for (int w = 0; w < v; w++)
      if (runs[w].ops == r->ops && (!as_names || strcmp(asl[w], asl[v]) == 0)) {
        fprintf(ctx->err, "cquant backfill: --venue: %s is given twice\n", vnames[v]);
        return CLI_USAGE;
      }
    r->name = vnames[v];
    r->rest_url = rest_urls ? urls[v] : NULL;
    cq_series_key probe; /* checks the --as name as a venue name */
    if (as_names && cq_series_key_set(&probe, asl[v], "BTC/USDT", "1h", &e)) {
      fprintf(ctx->err, "cquant backfill: --as: %s\n", e.msg);
      return CLI_USAGE;
    }
    snprintf(r->store_venue, sizeof r->store_venue, "%s", as_names ? probe.venue : r->ops->name);
  }
  char sbuf[2048], tbuf[256];
  const char *syms[MAX_JOBS], *tfl[32];
  int nsym = 0, ntf = 0;
  if ((rc = cli_split_list(ctx, "backfill", "--symbol", symbols, sbuf, sizeof sbuf, syms, MAX_JOBS, &nsym)) ||
      (rc = cli_split_list(ctx, "backfill", "--tf", tfs, tbuf, sizeof tbuf, tfl, 32, &ntf)))
    return rc;
  if ((size_t)nsym * (size_t)ntf > MAX_JOBS) {
    fprintf(ctx->err, "cquant backfill: at most %d series (symbols x timeframes) per run\n",
            MAX_JOBS);
    return CLI_USAGE;
  }
  cq_timeframe tf[32];
  for (int i = 0; i < ntf; i++)
    if (cq_timeframe_parse(tfl[i], &tf[i], &e)) {
      fprintf(ctx->err, "cquant backfill: --tf %s: %s\n", tfl[i], e.msg);
      return CLI_USAGE;
    }
  cq_time since, until = cq_clock_now(&ctx->clock);
  if ((rc = cli_parse_time(ctx, cmd, "--since", since_s, &since)) ||
      (until_s && (rc = cli_parse_time(ctx, cmd, "--until", until_s, &until))))
    return rc;
  if (since >= until) {
    fprintf(ctx->err, "cquant backfill: --since must be before --until\n");
    return CLI_USAGE;
  }

  /* every venue is checked (instruments, symbols) before any of them runs */
  const char *store_uri = cli_store_uri(ctx, store_flag);
  for (int v = 0; v < nv; v++)
    if ((rc = prepare_run(ctx, &runs[v], store_uri, syms, nsym))) {
      runs_free(runs, (size_t)nv);
      return rc;
    }
  size_t per = (size_t)nsym * (size_t)ntf;
  for (int v = 0; v < nv; v++) {
    venue_run *r = &runs[v];
    r->jobs = calloc(per, sizeof *r->jobs);
    if (!r->jobs) {
      fprintf(ctx->err, "cquant backfill: out of memory\n");
      runs_free(runs, (size_t)nv);
      return CLI_FAIL;
    }
    for (int s = 0; s < nsym; s++)
      for (int t = 0; t < ntf; t++) {
        cq_backfill_job *j = &r->jobs[r->njobs++];
        char base[CQ_ASSET_MAX], quote[CQ_ASSET_MAX];
        if (cq_symbol_parse(syms[s], base, quote, NULL) == CQ_OK) /* checked above */
          snprintf(j->symbol, sizeof j->symbol, "%s/%s", base, quote);
        j->tf = tf[t];
        j->since = since;
        j->until = until;
      }
  }

  _Atomic int cancel = 0;
  cli_sig_watch sw;
  cli_sig_watch_start(&sw, &cancel);
  progress_view pv = {.ctx = ctx, .runs = runs, .nruns = (size_t)nv};
  pthread_mutex_init(&pv.mu, NULL);
  for (int v = 0; v < nv; v++) {
    venue_run *r = &runs[v];
    r->pv = &pv;
    r->bo = (cq_backfill_opts){.venue = r->venue,
                               .venue_name = r->store_venue,
                               .store = r->store,
                               .threads = (int)jobs_n,
                               .clock = &ctx->clock,
                               .cancel = &cancel,
                               .progress = on_progress,
                               .progress_ctx = r,
                               .log = ctx->log};
  }
  if (nv == 1) {
    run_thread(&runs[0]);
  } else {
    /* one thread per venue, each within its venue's own limits */
    for (int v = 0; v < nv; v++) {
      runs[v].started = pthread_create(&runs[v].tid, NULL, run_thread, &runs[v]) == 0;
      if (!runs[v].started) run_thread(&runs[v]);
    }
    for (int v = 0; v < nv; v++)
      if (runs[v].started) pthread_join(runs[v].tid, NULL);
  }
  cli_sig_watch_stop(&sw);
  pthread_mutex_destroy(&pv.mu);
  int status = CLI_OK;
  for (int v = 0; v < nv; v++)
    print_summary(ctx, runs[v].store_venue, runs[v].jobs, runs[v].njobs, store_uri, runs[v].nins);
  for (int v = 0; v < nv; v++) {
    venue_run *r = &runs[v];
    if (!r->rc) continue;
    if (atomic_load(&cancel)) {
      status = CLI_INTERRUPTED;
      continue;
    }
    cli_report_error(ctx, cmd, &r->e);
    if (status == CLI_OK) status = CLI_FAIL;
  }
  if (status == CLI_INTERRUPTED)
    fprintf(ctx->err,
            "cquant backfill: interrupted; what was stored is kept: run the same "
            "command again to resume\n");
  else if (status == CLI_FAIL)
    fprintf(ctx->err,
            "cquant backfill: the pages stored so far are kept; run it again to "
            "resume\n");
  runs_free(runs, (size_t)nv);
  return status;
}
