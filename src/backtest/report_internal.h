/* Shared by the JSON writer and the HTML report (src/backtest/json.c, report.c). */
#ifndef CQUANT_BACKTEST_REPORT_INTERNAL_H
#define CQUANT_BACKTEST_REPORT_INTERNAL_H

#include <stddef.h>

/* Version of the run JSON document ("format"): raised when a key changes meaning. */
#define CQ__BT_JSON_FORMAT 1


/* lightweight-charts' standalone production build, embedded at build time from web/ by
 * tools/embed.c (NUL-terminated; the length leaves the NUL out). */
extern const unsigned char cq__charts_js[];
extern const size_t cq__charts_js_len;
/* Our page script and style (report_page.js, report_page.css, index_page.js), embedded the
 * same way. */
extern const unsigned char cq__report_js[], cq__report_css[], cq__index_js[];
extern const size_t cq__report_js_len, cq__report_css_len, cq__index_js_len;

#endif
