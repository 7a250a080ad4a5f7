#include <string.h>

#include "cquant/core/progress.h"

static void copy_trunc(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

void cq_progress_init(cq_progress *p, const cq_progress_opts *opts) {
  memset(p, 0, sizeof *p);
  p->o = *opts;
  if (!p->o.redraw_ns) p->o.redraw_ns = 100 * CQ_NS_PER_MS;
  if (!p->o.line_ns) p->o.line_ns = 5 * CQ_NS_PER_SEC;
  if (p->o.width <= 0 || p->o.width > 100) p->o.width = 30;
  copy_trunc(p->label, sizeof p->label, opts->label ? opts->label : "progress");
  copy_trunc(p->unit, sizeof p->unit, opts->unit ? opts->unit : "items");
  p->o.label = p->label;
  p->o.unit = p->unit;
  p->start = p->last = cq_clock_steady(opts->clock);
}

void cq_human_count(double v, char *buf, size_t n) {
  static const char suffix[] = {'\0', 'k', 'M', 'G', 'T'};
  size_t i = 0;
  while (v >= 1000.0 && i + 1 < sizeof suffix) {
    v /= 1000.0;
    i++;
  }
  if (i == 0)
    snprintf(buf, n, "%.0f", v);
  else
    snprintf(buf, n, v < 10 ? "%.2f%c" : v < 100 ? "%.1f%c" : "%.0f%c", v, suffix[i]);
}

static void fmt_secs(double s, char *buf, size_t n) {
  if (s < 0 || s > 1e9) {
    snprintf(buf, n, "--");
    return;
  }
  long t = (long)(s + 0.5);
  if (t >= 3600)
    snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60)
    snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
  else
    snprintf(buf, n, "%.1fs", s);
}

static void draw(cq_progress *p, cq_time now, bool final) {
  FILE *out = p->o.out;
  double elapsed = (double)(now - p->start) / 1e9;
  double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
  char done[24], total[24], rate_s[24], eta[24], el[24];
  cq_human_count((double)p->done, done, sizeof done);
  cq_human_count((double)p->o.total, total, sizeof total);
  cq_human_count(rate, rate_s, sizeof rate_s);
  fmt_secs(elapsed, el, sizeof el);
  if (final) {
    fprintf(out, "%s%s: %s %s in %s (%s %s/s)\n", p->o.animate && p->drawn ? "\r\033[K" : "",
            p->label, done, p->unit, el, rate_s, p->unit);
  } else if (p->o.total) {
    double frac = (double)p->done / (double)p->o.total;
    if (frac > 1) frac = 1;
    double left =
        rate > 0 ? (double)(p->o.total - (p->done < p->o.total ? p->done : p->o.total)) / rate : -1;
    fmt_secs(left, eta, sizeof eta);
    if (p->o.animate) {
      char bar[101];
      int fill = (int)(frac * p->o.width);
      for (int i = 0; i < p->o.width; i++) bar[i] = i < fill ? '#' : '.';
      bar[p->o.width] = '\0';
      fprintf(out, "\r\033[K%s [%s] %5.1f%% %s/%s %s %s %s/s ETA %s%s%s", p->label, bar, frac * 100,
              done, total, p->unit, rate_s, p->unit, eta, p->note[0] ? " " : "", p->note);
    } else {
      fprintf(out, "%s: %.1f%% %s/%s %s, %s %s/s, ETA %s%s%s\n", p->label, frac * 100, done, total,
              p->unit, rate_s, p->unit, eta, p->note[0] ? ", " : "", p->note);
    }
  } else {
    if (p->o.animate)
      fprintf(out, "\r\033[K%s %s %s %s/s %s", p->label, done, p->unit, rate_s, el);
    else
      fprintf(out, "%s: %s %s, %s %s/s, %s elapsed\n", p->label, done, p->unit, rate_s, p->unit,
              el);
  }
  fflush(out);
  p->drawn = true;
  p->last = now;
}

void cq_progress_set(cq_progress *p, uint64_t done) {
  if (done > p->done) p->done = done;
  if (!p->o.out) return;
  cq_time now = cq_clock_steady(p->o.clock);
  int64_t every = p->o.animate ? p->o.redraw_ns : p->o.line_ns;
  if (now - p->last >= every) draw(p, now, false);
}

void cq_progress_note(cq_progress *p, const char *note) {
  snprintf(p->note, sizeof p->note, "%s", note ? note : "");
}

void cq_progress_add(cq_progress *p, uint64_t n) {
  cq_progress_set(p, p->done + n);
}

void cq_progress_finish(cq_progress *p) {
  if (!p->o.out) return;
  draw(p, cq_clock_steady(p->o.clock), true);
}
