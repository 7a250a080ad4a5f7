/* cq_dec_parse against strtod on the decimal strings venues send, plus formatting against
 * snprintf. Prints figures and ratios; asserts nothing about time. Exits non-zero only if
 * a string fails to parse (a correctness bug, not a performance one). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "cquant/core/decimal.h"

enum { N_VALUES = 1000000, REPS = 7 };

/* One realistic venue string into out; returns its length. */
static int gen(rng *r, char *out, size_t n) {
  uint64_t kind = below(r, 100);
  if (kind < 45) { /* price at 8 decimals, 2 significant: "43251.17000000" */
    uint64_t ip = below(r, 10) < 7 ? below(r, 100000) : below(r, 100);
    return snprintf(out, n, "%llu.%02llu000000", (unsigned long long)ip,
                    (unsigned long long)below(r, 100));
  }
  if (kind < 80) { /* quantity at 8 decimals: "0.00123000" */
    return snprintf(out, n, "%llu.%08llu", (unsigned long long)(below(r, 4) ? 0 : below(r, 50)),
                    (unsigned long long)(below(r, 100000) * 1000));
  }
  if (kind < 90) { /* short forms: "0.5", "12", "-1.25" */
    switch (below(r, 3)) {
      case 0:
        return snprintf(out, n, "0.%llu", (unsigned long long)(1 + below(r, 9)));
      case 1:
        return snprintf(out, n, "%llu", (unsigned long long)below(r, 100000));
      default:
        return snprintf(out, n, "-%llu.25", (unsigned long long)below(r, 1000));
    }
  }
  if (kind < 95) { /* exponents: "1e-8", "2.5E-6" */
    if (below(r, 2)) return snprintf(out, n, "%llue-8", (unsigned long long)(1 + below(r, 9)));
    return snprintf(out, n, "%llu.5E-6", (unsigned long long)(1 + below(r, 9)));
  }
  /* longer precision: fees, funding rates, "-0.000123456789" */
  return snprintf(out, n, "%s0.%012llu", below(r, 2) ? "-" : "",
                  (unsigned long long)below(r, 1000000000000ULL));
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct result {
  double best, median;
} result;

static result summarize(double *t) {
  qsort(t, REPS, sizeof *t, cmp_double);
  return (result){t[0], t[REPS / 2]};
}

static void report(const char *name, result r) {
  printf("  %-22s %8.1f M values/s  (%5.1f ns/value, median %5.1f ns)\n", name,
         N_VALUES / r.best / 1e6, r.best / N_VALUES * 1e9, r.median / N_VALUES * 1e9);
}

int main(void) {
  char *text = malloc((size_t)N_VALUES * 24);
  uint32_t *off = malloc(N_VALUES * sizeof *off);
  uint8_t *len = malloc(N_VALUES * sizeof *len);
  cq_dec *parsed = malloc(N_VALUES * sizeof *parsed);
  if (!text || !off || !len || !parsed) {
    fprintf(stderr, "bench_decimal: out of memory\n");
    free(text);
    free(off);
    free(len);
    free(parsed);
    return 1;
  }
  rng r = {0xbe9c0de};
  size_t pos = 0;
  for (size_t i = 0; i < N_VALUES; i++) {
    int n = gen(&r, text + pos, 23);
    off[i] = (uint32_t)pos;
    len[i] = (uint8_t)n;
    pos += (size_t)n + 1; /* keep the NUL: strtod needs it */
  }

  volatile uint64_t sink_u = 0;
  volatile double sink_d = 0;
  double t_parse[REPS], t_cstr[REPS], t_strtod[REPS], t_fmt[REPS], t_snp[REPS];
  long failures = 0;

  for (int rep = 0; rep < REPS; rep++) {
    uint64_t acc = 0;
    double t0 = now_s();
    for (size_t i = 0; i < N_VALUES; i++) {
      cq_dec d = CQ_DEC(0, 0);
      if (cq_dec_parse(text + off[i], len[i], &d, NULL) != 0) failures++;
      acc += (uint64_t)d.m ^ d.scale;
      parsed[i] = d;
    }
    t_parse[rep] = now_s() - t0;
    sink_u = sink_u + acc;

    acc = 0;
    t0 = now_s();
    for (size_t i = 0; i < N_VALUES; i++) {
      cq_dec d = CQ_DEC(0, 0);
      if (cq_dec_parse_cstr(text + off[i], &d, NULL) != 0) failures++;
      acc += (uint64_t)d.m ^ d.scale;
    }
    t_cstr[rep] = now_s() - t0;
    sink_u = sink_u + acc;

    double dacc = 0;
    t0 = now_s();
    for (size_t i = 0; i < N_VALUES; i++) dacc += strtod(text + off[i], NULL);
    t_strtod[rep] = now_s() - t0;
    sink_d = sink_d + dacc;

    char buf[CQ_DEC_STRMAX];
    acc = 0;
    t0 = now_s();
    for (size_t i = 0; i < N_VALUES; i++) acc += cq_dec_format(parsed[i], buf, sizeof buf);
    t_fmt[rep] = now_s() - t0;
    sink_u = sink_u + acc;

    acc = 0;
    t0 = now_s();
    for (size_t i = 0; i < N_VALUES; i++)
      acc += (uint64_t)snprintf(buf, sizeof buf, "%.8f", cq_dec_to_double(parsed[i]));
    t_snp[rep] = now_s() - t0;
    sink_u = sink_u + acc;
  }

  result rp = summarize(t_parse), rc = summarize(t_cstr), rs = summarize(t_strtod);
  result rf = summarize(t_fmt), rn = summarize(t_snp);
  printf("bench_decimal: %d venue decimal strings (%zu bytes), best of %d runs\n", N_VALUES, pos,
         REPS);
  report("cq_dec_parse", rp);
  report("cq_dec_parse_cstr", rc);
  report("strtod", rs);
  report("cq_dec_format", rf);
  report("snprintf(\"%.8f\")", rn);
  printf("  cq_dec_parse / strtod = %.2fx\n", rs.best / rp.best);
  printf("  cq_dec_parse_cstr / strtod = %.2fx\n", rs.best / rc.best);
  printf("  cq_dec_format / snprintf = %.2fx\n", rn.best / rf.best);
  printf("  checksum %llu %.6g\n", (unsigned long long)sink_u, (double)sink_d);
  free(text);
  free(off);
  free(len);
  free(parsed);
  if (failures) {
    printf("  %ld strings failed to parse\n", failures);
    return 1;
  }
  return 0;
}
