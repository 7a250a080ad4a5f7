/* Helpers shared by the indicator tests: candles and TA-Lib reference columns from CSV.
 * Header-only: every test is its own executable. */
#ifndef CQ_TA_TEST_UTIL_H
#define CQ_TA_TEST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cquant/ta.h"

enum { MAX_COLS = 96 };

/* A CSV of numbers with a header: one array per column, NaN for an empty cell. */
typedef struct table {
  char *names[MAX_COLS];
  double *col[MAX_COLS];
  int ncol;
  size_t nrow;
} table;

static inline void table_free(table *t) {
  for (int c = 0; c < t->ncol; c++) {
    free(t->names[c]);
    free(t->col[c]);
  }
  *t = (table){0};
}

static inline int table_col(const table *t, const char *name) {
  for (int c = 0; c < t->ncol; c++)
    if (strcmp(t->names[c], name) == 0) return c;
  return -1;
}

/* Reads path into t; returns 0, or -1 when the file cannot be opened. Fails the test on a
 * malformed file. */
static inline int table_read(const char *path, table *t) {
  *t = (table){0};
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t cap = 0;
  char *line = NULL;
  ssize_t len = getline(&line, &cap, f);
  assert_true(len > 0);
  line[strcspn(line, "\r\n")] = '\0';
  for (char *save = NULL, *tok = strtok_r(line, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    assert_true(t->ncol < MAX_COLS);
    t->names[t->ncol] = strdup(tok);
    assert_non_null(t->names[t->ncol]);
    t->ncol++;
  }
  /* every column has room from the start, so none is ever NULL */
  size_t rcap = 1024;
  for (int c = 0; c < t->ncol; c++) {
    t->col[c] = malloc(rcap * sizeof(double));
    assert_non_null(t->col[c]);
  }
  while ((len = getline(&line, &cap, f)) > 0) {
    line[strcspn(line, "\r\n")] = '\0';
    if (!line[0]) continue;
    if (t->nrow == rcap) {
      rcap *= 2;
      for (int c = 0; c < t->ncol; c++) {
        double *p = realloc(t->col[c], rcap * sizeof(double));
        assert_non_null(p);
        t->col[c] = p;
      }
    }
    char *s = line;
    for (int c = 0; c < t->ncol; c++) {
      char *end = strchr(s, ',');
      if (end)
        *end = '\0';
      else if (c != t->ncol - 1)
        fail_msg("%s: row %zu has too few cells", path, t->nrow + 2);
      char *stop = s;
      double v = *s ? strtod(s, &stop) : NAN;
      if (*stop)
        fail_msg("%s: row %zu column %s: not a number '%s'", path, t->nrow + 2, t->names[c], s);
      t->col[c][t->nrow] = v;
      s = end ? end + 1 : s + strlen(s);
    }
    t->nrow++;
  }
  free(line);
  fclose(f);
  return 0;
}

/* Candles as indicator inputs: open, high, low, close, volume by cq_ta_field, and times. */
typedef struct bars {
  table t;
  const double *field[CQ_TA_FIELD_COUNT_];
  cq_time *time;
  size_t n;
} bars;

static inline int bars_read(const char *path, bars *b) {
  *b = (bars){0};
  if (table_read(path, &b->t)) return -1;
  static const char *const names[CQ_TA_FIELD_COUNT_] = {"open", "high", "low", "close", "volume"};
  for (int k = 0; k < CQ_TA_FIELD_COUNT_; k++) {
    int c = table_col(&b->t, names[k]);
    if (c < 0) {
      fail_msg("%s: no column %s", path, names[k]);
      table_free(&b->t);
      return -1;
    }
    b->field[k] = b->t.col[c];
  }
  int tc = table_col(&b->t, "open_time_ms");
  if (tc < 0) {
    fail_msg("%s: no column open_time_ms", path);
    table_free(&b->t);
    return -1;
  }
  b->n = b->t.nrow;
  b->time = malloc((b->n ? b->n : 1) * sizeof(cq_time));
  assert_non_null(b->time);
  for (size_t i = 0; i < b->n; i++) b->time[i] = (cq_time)b->t.col[tc][i] * 1000000;
  return 0;
}

static inline void bars_free(bars *b) {
  table_free(&b->t);
  free(b->time);
  *b = (bars){0};
}

/* The default inputs of def over bars [from, from + n). */
static inline cq_ta_in bars_in(const bars *b, const cq_ta_def *def, size_t from, size_t n) {
  cq_ta_in in = {.time = b->time + from, .n = n};
  for (int k = 0; k < def->n_inputs; k++) in.v[k] = b->field[def->inputs[k]] + from;
  return in;
}

/* Same value, bit for bit, or both NaN. */
static inline int same(double a, double b) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return memcmp(&a, &b, sizeof a) == 0;
}

#endif
