/* Progress of a long job: a bar with rate and ETA on a terminal, plain periodic lines
 * otherwise (CI, files, pipes). The app decides which (isatty and CI); the library only
 * writes to the FILE * it is given, and reads time from the clock it is given. */
#ifndef CQUANT_CORE_PROGRESS_H
#define CQUANT_CORE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cquant/core/time.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cq_progress_opts {
  FILE *out;              /* where to draw; NULL: draw nothing */
  bool animate;           /* true: a redrawn bar (terminal); false: plain lines */
  const cq_clock *clock;  /* required */
  const char *label;      /* "import candles.csv" */
  const char *unit;       /* "rows"; NULL: "items" */
  uint64_t total;         /* 0: unknown (no percentage, no ETA) */
  int64_t redraw_ns;      /* bar redraw interval; 0: 100 ms */
  int64_t line_ns;        /* plain line interval; 0: 5 s */
  int width;              /* bar width in characters; 0: 30 */
} cq_progress_opts;

typedef struct cq_progress {
  cq_progress_opts o;
  char label[64];
  char unit[16];
  uint64_t done;
  cq_time start, last;
  bool drawn;
  char note[96]; /* shown after the ETA: "best sharpe 1.84" */
} cq_progress;

void cq_progress_init(cq_progress *p, const cq_progress_opts *opts);
/* Sets the count done so far (never goes back); draws when the interval has passed. */
void cq_progress_set(cq_progress *p, uint64_t done);
/* Text shown after the ETA from the next redraw on ("" clears it). */
void cq_progress_note(cq_progress *p, const char *note);
void cq_progress_add(cq_progress *p, uint64_t n);
/* Final line: count, elapsed time and mean rate. */
void cq_progress_finish(cq_progress *p);

/* "1.23M", "456k", "789" — a count for people, into buf. */
void cq_human_count(double v, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
