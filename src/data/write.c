/* Candle writers: our CSV (re-importable as is) and JSON. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "cquant/data.h"

static int io_error(cq_error *err) {
  return cq_error_set(err, CQ_EIO, "writing candles: %s", strerror(errno));
}

int cq_write_candles_csv(FILE *f, const cq_candles *c, cq_error *err) {
  if (fputs("open_time_ms,open,high,low,close,volume\n", f) < 0) return io_error(err);
  char o[32], h[32], l[32], cl[32], v[32];
  for (size_t i = 0; i < c->len; i++) {
    cq_format_double(c->open[i], o, sizeof o);
    cq_format_double(c->high[i], h, sizeof h);
    cq_format_double(c->low[i], l, sizeof l);
    cq_format_double(c->close[i], cl, sizeof cl);
    cq_format_double(c->volume[i], v, sizeof v);
    if (fprintf(f, "%lld,%s,%s,%s,%s,%s\n", (long long)(c->open_time[i] / CQ_NS_PER_MS), o, h, l,
                cl, v) < 0)
      return io_error(err);
  }
  return fflush(f) ? io_error(err) : CQ_OK;
}

int cq_write_candles_json(FILE *f, const cq_candles *c, cq_error *err) {
  if (fputc('[', f) == EOF) return io_error(err);
  char o[32], h[32], l[32], cl[32], v[32], qv[32], t[CQ_TIME_STRMAX];
  for (size_t i = 0; i < c->len; i++) {
    cq_format_double(c->open[i], o, sizeof o);
    cq_format_double(c->high[i], h, sizeof h);
    cq_format_double(c->low[i], l, sizeof l);
    cq_format_double(c->close[i], cl, sizeof cl);
    cq_format_double(c->volume[i], v, sizeof v);
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
                i ? "," : "", t, (long long)(c->open_time[i] / CQ_NS_PER_MS), o, h, l, cl, v, qv,
                trades, c->closed[i] ? "true" : "false") < 0)
      return io_error(err);
  }
  if (fputs("\n]\n", f) < 0) return io_error(err);
  return fflush(f) ? io_error(err) : CQ_OK;
}
