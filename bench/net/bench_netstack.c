/* bench_netstack: libwebsockets 4.1 against civetweb 1.15 on loopback, side by side.
 *
 * For each candidate: REST round trips (libcurl, one keep-alive handle) to GET /api/ping,
 * WebSocket echo round trips (one in flight), and WebSocket push throughput (server to
 * client, 150-byte trade events). Candidates run alternately, `--reps` times each; the
 * table shows the median run. Then two lws-only variants: the server on a libuv loop, and
 * permessage-deflate. Every message is checked as it is measured; a failed check exits 1.
 * CPU figures are the whole process (server, client and libcurl together) per message.
 *
 *   bench_netstack [--rest N] [--echo N] [--push N] [--reps R] [--quick]
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "spike.h"

enum { MAX_REPS = 9, WARM_REST = 2000, WARM_ECHO = 2000, WARM_PUSH = 20000 };

typedef struct config {
  size_t rest_n, echo_n, push_n;
  int reps;
} config;

enum metric {
  REST_P50,
  REST_P99,
  REST_MEAN,
  REST_RPS,
  REST_CPU,
  ECHO_P50,
  ECHO_P99,
  ECHO_MEAN,
  PUSH_MPS,
  PUSH_MBPS,
  PUSH_CPU,
  METRICS
};

typedef struct figures {
  double v[METRICS];
} figures;

typedef struct variant {
  const char *label;
  const spike_ops *ops;
  spike_opts opts;
} variant;

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v in place; fills p50, p99 and mean in microseconds. */
static void latency(uint32_t *v, size_t n, double *p50, double *p99, double *mean) {
  qsort(v, n, sizeof *v, cmp_u32);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += v[i];
  size_t i50 = n / 2, i99 = (n * 99) / 100; /* integer division on purpose: indices */
  *p50 = v[i50] / 1e3;
  *p99 = v[i99] / 1e3;
  *mean = sum / (double)n / 1e3;
}

/* CPU seconds (user + system) used by the whole process: server and client together. */
static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int run_once(const variant *v, const config *cfg, uint32_t *rest_rtt, uint32_t *echo_rtt,
                    figures *f) {
  cq_error err;
  cq_error_clear(&err);
  spike_server *srv = NULL;
  int rc = v->ops->server_start(&srv, &v->opts, &err);
  if (rc) goto out;
  int port = v->ops->server_port(srv);
  const int timeout_ms = 120000;

  spike_rest_result rr;
  if ((rc = spike_rest_run(port, WARM_REST, NULL, timeout_ms, &rr, &err))) goto out;
  double c0 = cpu_seconds();
  uint64_t t0 = spike_now_ns();
  if ((rc = spike_rest_run(port, cfg->rest_n, rest_rtt, timeout_ms, &rr, &err))) goto out;
  uint64_t t1 = spike_now_ns();
  f->v[REST_CPU] = (cpu_seconds() - c0) / (double)cfg->rest_n * 1e6;
  latency(rest_rtt, cfg->rest_n, &f->v[REST_P50], &f->v[REST_P99], &f->v[REST_MEAN]);
  f->v[REST_RPS] = (double)cfg->rest_n / ((double)(t1 - t0) / 1e9);

  spike_client_plan warm = {.echo_n = WARM_ECHO, .push_n = WARM_PUSH, .timeout_ms = timeout_ms};
  spike_client_result res;
  if ((rc = v->ops->client_run(port, &v->opts, &warm, &res, &err))) goto out;
  spike_client_plan echo = {
      .echo_n = cfg->echo_n, .echo_rtt_ns = echo_rtt, .timeout_ms = timeout_ms};
  if ((rc = v->ops->client_run(port, &v->opts, &echo, &res, &err))) goto out;
  latency(echo_rtt, cfg->echo_n, &f->v[ECHO_P50], &f->v[ECHO_P99], &f->v[ECHO_MEAN]);
  spike_client_plan push = {.push_n = cfg->push_n, .timeout_ms = timeout_ms};
  c0 = cpu_seconds();
  if ((rc = v->ops->client_run(port, &v->opts, &push, &res, &err))) goto out;
  f->v[PUSH_CPU] = (cpu_seconds() - c0) / (double)cfg->push_n * 1e6;
  double secs = (double)res.push_ns / 1e9;
  f->v[PUSH_MPS] = (double)res.push_received / secs;
  f->v[PUSH_MBPS] = (double)res.push_bytes / secs / 1e6;
out:
  if (srv) v->ops->server_stop(srv);
  if (rc) {
    char msg[512];
    cq_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "bench_netstack: %s: %s\n", v->label, msg);
  }
  return rc;
}

typedef struct row {
  const char *name;
  enum metric m;
  int higher_is_better;
  int decimals;
} row;

static const row rows[] = {
    {"REST GET round trip p50 (us)", REST_P50, 0, 1},
    {"REST GET round trip p99 (us)", REST_P99, 0, 1},
    {"REST GET round trip mean (us)", REST_MEAN, 0, 1},
    {"REST requests/s (1 connection)", REST_RPS, 1, 0},
    {"REST CPU per request (us)", REST_CPU, 0, 1},
    {"WS echo round trip p50 (us)", ECHO_P50, 0, 1},
    {"WS echo round trip p99 (us)", ECHO_P99, 0, 1},
    {"WS echo round trip mean (us)", ECHO_MEAN, 0, 1},
    {"WS push messages/s (150 B)", PUSH_MPS, 1, 0},
    {"WS push payload MB/s", PUSH_MBPS, 1, 1},
    {"WS push CPU per message (us)", PUSH_CPU, 0, 2},
};

/* Median over reps, metric by metric. */
static figures median(const figures *runs, int reps) {
  figures m;
  for (int k = 0; k < METRICS; k++) {
    double col[MAX_REPS] = {0};
    for (int r = 0; r < reps; r++) col[r] = runs[r].v[k];
    qsort(col, (size_t)reps, sizeof *col, cmp_double);
    m.v[k] = col[reps / 2];
  }
  return m;
}

static void print_table(const char *a_name, const figures *a, const char *b_name,
                        const figures *b) {
  printf("%-32s %12s %12s %10s  %s\n", "metric", a_name, b_name, "ratio", "better");
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    double x = a->v[rows[i].m], y = b->v[rows[i].m];
    printf("%-32s %12.*f %12.*f", rows[i].name, rows[i].decimals, x, rows[i].decimals, y);
    int a_wins = rows[i].higher_is_better ? x > y : x < y;
    printf(" %10.2f  %s\n", y != 0 ? x / y : 0.0, a_wins ? a_name : b_name);
  }
}

static void print_extra(const char *name, const figures *f) {
  printf(
      "  %-25s REST p50 %5.1f us | echo p50 %5.1f us, p99 %5.1f us | push %7.0f msg/s, "
      "%4.2f us CPU/msg\n",
      name, f->v[REST_P50], f->v[ECHO_P50], f->v[ECHO_P99], f->v[PUSH_MPS], f->v[PUSH_CPU]);
}

static int parse_args(int argc, char **argv, config *cfg) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--quick")) {
      cfg->rest_n = 2000, cfg->echo_n = 2000, cfg->push_n = 50000, cfg->reps = 1;
      continue;
    }
    if (i + 1 >= argc) return -1;
    long v = strtol(argv[++i], NULL, 10);
    if (v <= 0) return -1;
    if (!strcmp(a, "--rest"))
      cfg->rest_n = (size_t)v;
    else if (!strcmp(a, "--echo"))
      cfg->echo_n = (size_t)v;
    else if (!strcmp(a, "--push"))
      cfg->push_n = (size_t)v;
    else if (!strcmp(a, "--reps") && v <= MAX_REPS)
      cfg->reps = (int)v;
    else
      return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  config cfg = {.rest_n = 20000, .echo_n = 20000, .push_n = 500000, .reps = 3};
  if (parse_args(argc, argv, &cfg)) {
    fprintf(stderr,
            "usage: bench_netstack [--rest N] [--echo N] [--push N] [--reps R<=%d] "
            "[--quick]\n",
            MAX_REPS);
    return 2;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
  uint32_t *rest_rtt = malloc(cfg.rest_n * sizeof *rest_rtt);
  uint32_t *echo_rtt = malloc(cfg.echo_n * sizeof *echo_rtt);
  if (!rest_rtt || !echo_rtt) {
    fprintf(stderr, "bench_netstack: out of memory\n");
    free(rest_rtt);
    free(echo_rtt);
    curl_global_cleanup();
    return 1;
  }

  const variant main_pair[2] = {
      {"lws", &spike_lws_ops, {0, 0}},
      {"civetweb", &spike_civet_ops, {0, 0}},
  };
  const variant extras[2] = {
      {"lws, server on libuv", &spike_lws_ops, {.libuv = 1}},
      {"lws, permessage-deflate", &spike_lws_ops, {.deflate = 1}},
  };

  char load[64] = "?";
  FILE *fl = fopen("/proc/loadavg", "r");
  if (fl) {
    if (!fgets(load, sizeof load, fl)) strcpy(load, "?");
    load[strcspn(load, "\n")] = 0;
    fclose(fl);
  }
  printf("bench_netstack: 127.0.0.1, %ld CPUs online, load %s\n", sysconf(_SC_NPROCESSORS_ONLN),
         load);
  printf("  %s %s: one lws_service thread for the server, client on its own context\n",
         spike_lws_ops.name, spike_lws_ops.version);
  printf("  %s %s: a worker thread per connection, client reader thread\n", spike_civet_ops.name,
         spike_civet_ops.version);
  printf(
      "  REST: libcurl %s, one keep-alive handle, %zu GETs; WS: %zu echoes, %zu pushes; "
      "median of %d runs\n\n",
      curl_version_info(CURLVERSION_NOW)->version, cfg.rest_n, cfg.echo_n, cfg.push_n, cfg.reps);

  figures runs[2][MAX_REPS], xruns[2][MAX_REPS];
  int status = 0;
  for (int r = 0; r < cfg.reps && !status; r++) {
    for (int v = 0; v < 2 && !status; v++)
      status = run_once(&main_pair[v], &cfg, rest_rtt, echo_rtt, &runs[v][r]);
    for (int v = 0; v < 2 && !status; v++)
      status = run_once(&extras[v], &cfg, rest_rtt, echo_rtt, &xruns[v][r]);
  }
  if (!status) {
    figures a = median(runs[0], cfg.reps), b = median(runs[1], cfg.reps);
    print_table("lws", &a, "civetweb", &b);
    printf("\nlws variants (same client; ratio-free, compare with the lws column):\n");
    for (int v = 0; v < 2; v++) {
      figures x = median(xruns[v], cfg.reps);
      print_extra(extras[v].label, &x);
    }
  }
  free(rest_rtt);
  free(echo_rtt);
  curl_global_cleanup();
  return status ? 1 : 0;
}
