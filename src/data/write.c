/* Candle writers: our CSV (re-importable as is) and JSON. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "cquant/data.h"

static int io_error(cq_error *err) {
  return cq_error_set(err, CQ_EIO, "writing candles: %s", strerror(errno));
}

/* The five prices and volume of row i in their shortest exact text. */
typedef struct row_text {
  char o[32], h[32], l[32], c[32], v[32];
} row_text;

static void format_row(const cq_candles *c, size_t i, row_text *t) {
  cq_format_double(c->open[i], t->o, sizeof t->o);
  cq_format_double(c->high[i], t->h, sizeof t->h);
  cq_format_double(c->low[i], t->l, sizeof t->l);
  cq_format_double(c->close[i], t->c, sizeof t->c);
  cq_format_double(c->volume[i], t->v, sizeof t->v);
}

int cq_write_candles_csv(FILE *f, const cq_candles *c, cq_error *err) {
  if (fputs("open_time_ms,open,high,low,close,volume\n", f) < 0) return io_error(err);
  row_text r;
  for (size_t i = 0; i < c->len; i++) {
    format_row(c, i, &r);
    if (fprintf(f, "%lld,%s,%s,%s,%s,%s\n", (long long)(c->open_time[i] / CQ_NS_PER_MS), r.o, r.h,
                r.l, r.c, r.v) < 0)
      return io_error(err);
  }
  return fflush(f) ? io_error(err) : CQ_OK;
}

int cq_write_candles_json(FILE *f, const cq_candles *c, cq_error *err) {
  if (fputc('[', f) == EOF) return io_error(err);
  char qv[32], t[CQ_TIME_STRMAX];
  row_text r;
  for (size_t i = 0; i < c->len; i++) {
    format_row(c, i, &r);
    if (isnan(c->quote_volume[i]))
      strcpy(qv, "null");
    else
      cq_format_double(c->quote_volume[i], qv, sizeof qv);
    cq_time_format_iso(c->open_time[i], 0, t, sizeof t);
    char trades[24];
    if (c->trades[i] < 0)
      strcpy(trades, "null");
    else
      snprintf(trades, sizeof trades, "%lld", (long long)c->trades[i]);
    if (fprintf(f,
                "%s\n{\"time\":\"%s\",\"open_time_ms\":%lld,\"open\":%s,\"high\":%s,\"low\":%s,"
                "\"close\":%s,\"volume\":%s,\"quote_volume\":%s,\"trades\":%s,\"closed\":%s}",
                i ? "," : "", t, (long long)(c->open_time[i] / CQ_NS_PER_MS), r.o, r.h, r.l, r.c, r.v, qv,
                trades, c->closed[i] ? "true" : "false") < 0)
      return io_error(err);
  }
  if (fputs("\n]\n", f) < 0) return io_error(err);
  return fflush(f) ? io_error(err) : CQ_OK;
}
