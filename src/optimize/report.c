/* The HTML report of a study, a walk-forward or an evaluation: the backtest report's page with
 * our script (study_page.js, embedded at build time), which draws everything from the
 * document by its kind. */
#include <string.h>

#include "cquant/optimize.h"

extern const unsigned char cq__study_js[];
extern const size_t cq__study_js_len;

/* Our documents write "kind" near the start, without spaces. */
static const char *title_of(const char *json, size_t len) {
  size_t head = len < 64 ? len : 64;
  static const char ev[] = "\"kind\":\"evaluate\"";
  for (size_t i = 0; i + sizeof ev - 1 <= head; i++)
    if (!memcmp(json + i, ev, sizeof ev - 1)) return "cquant evaluation";
  return "cquant study";
}

int cq_opt_report_html(const char *json, size_t len, FILE *out, cq_error *err) {
  if (!json) return cq_error_set(err, CQ_EINVAL, "HTML report: no document");
  return cq_report_page(title_of(json, len), json, len, cq__study_js, cq__study_js_len, out, err);
}
