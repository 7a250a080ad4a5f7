/* The HTML report of a study or a walk-forward: the backtest report's page with our script
 * (study_page.js, embedded at build time), which draws everything from the document. */
#include "cquant/optimize.h"

extern const unsigned char cq__study_js[];
extern const size_t cq__study_js_len;

int cq_opt_report_html(const char *json, size_t len, FILE *out, cq_error *err) {
  return cq_report_page("cquant study", json, len, cq__study_js, cq__study_js_len, out, err);
}
