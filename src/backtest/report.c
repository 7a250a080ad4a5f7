/* The HTML report of a run and the index of several runs (docs/reports.md).
 *
 * One self-contained file: the run JSON in a <script type="application/json"> block, the
 * chart library (lightweight-charts, embedded at build time) and our page script and
 * style (report_page.js / report_page.css, embedded the same way). Nothing is fetched:
 * the page opens offline. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cquant/backtest.h"
#include "report_internal.h"

/* An output file: the first write error is kept and reported once, at the end. */
typedef struct html_out {
  FILE *f;
  int errnum; /* errno of the first failed write, 0 while all is well */
} html_out;

static void put_n(html_out *o, const char *s, size_t n) {
  if (o->errnum || n == 0) return;
  if (fwrite(s, 1, n, o->f) != n) o->errnum = errno ? errno : EIO;
}

static void put(html_out *o, const char *s) {
  put_n(o, s, strlen(s));
}

/* Text and attribute values: the five characters HTML gives meaning to. */
static void put_escaped(html_out *o, const char *s) {
  for (const char *p = s; *p; p++) {
    const char *e = *p == '&'    ? "&amp;"
                    : *p == '<'  ? "&lt;"
                    : *p == '>'  ? "&gt;"
                    : *p == '"'  ? "&quot;"
                    : *p == '\'' ? "&#39;"
                                 : NULL;
    if (e)
      put(o, e);
    else
      put_n(o, p, 1);
  }
}

/* The run JSON inside a script element: '<' only occurs inside JSON strings, where
 * \u003c means the same character, so "</script>" or "<!--" in the data cannot end or
 * change the element. */
static void put_json_data(html_out *o, const char *json, size_t len) {
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (json[i] != '<') continue;
    put_n(o, json + start, i - start);
    put(o, "\\u003c");
    start = i + 1;
  }
  put_n(o, json + start, len - start);
}

/* Script source inside a script element: "</script" (any case) would end it early; in
 * JavaScript "<\/" is the same text inside a string or a regular expression. */
static void put_script(html_out *o, const unsigned char *src, size_t len) {
  const char *s = (const char *)src;
  size_t start = 0;
  for (size_t i = 0; i + 8 <= len; i++) {
    if (s[i] != '<' || s[i + 1] != '/' || strncasecmp(s + i + 2, "script", 6) != 0) continue;
    put_n(o, s + start, i + 1 - start);
    put(o, "\\");
    start = i + 1;
  }
  put_n(o, s + start, len - start);
}

static int finish(html_out *o, const char *what, cq_error *err) {
  if (!o->errnum && fflush(o->f) != 0) o->errnum = errno ? errno : EIO;
  if (o->errnum) return cq_error_set(err, CQ_EIO, "writing the %s: %s", what, strerror(o->errnum));
  return CQ_OK;
}

/* ---- the run document ---------------------------------------------------------------- */

/* Parses and checks a run document; *doc is the root object (json_decref it). */
static int load_run(const char *json, size_t len, const char *what, json_t **doc, cq_error *err) {
  if (!json) return cq_error_set(err, CQ_EINVAL, "%s: no run JSON", what);
  json_error_t je;
  json_t *root = json_loadb(json, len, 0, &je);
  if (!root)
    return cq_error_set(err, CQ_EPARSE, "%s: the run JSON does not parse (line %d, column %d): %s",
                        what, je.line, je.column, je.text);
  if (!json_is_object(root) || !json_is_object(json_object_get(root, "config")) ||
      !json_is_object(json_object_get(root, "metrics"))) {
    json_decref(root);
    return cq_error_set(err, CQ_EINVAL,
                        "%s: not a cquant run document (no \"config\" and \"metrics\" objects)",
                        what);
  }
  *doc = root;
  return CQ_OK;
}

static const char *config_str(json_t *doc, const char *key) {
  const char *s = json_string_value(json_object_get(json_object_get(doc, "config"), key));
  return s ? s : "";
}

/* "BTC/USDT, ETH/USDT" */
static void put_symbols(html_out *o, json_t *doc) {
  json_t *syms = json_object_get(json_object_get(doc, "config"), "symbols");
  size_t i;
  json_t *s;
  json_array_foreach(syms, i, s) {
    if (i) put(o, ", ");
    put_escaped(o, json_string_value(s) ? json_string_value(s) : "");
  }
}

/* "sma_cross · BTC/USDT · 1h" */
static void put_title(html_out *o, json_t *doc) {
  put_escaped(o, config_str(doc, "strategy"));
  put(o, " \xC2\xB7 ");
  put_symbols(o, doc);
  put(o, " \xC2\xB7 ");
  put_escaped(o, config_str(doc, "tf"));
}

static void put_head(html_out *o, json_t *doc) {
  put(o,
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"cquant\">\n<title>");
  put_title(o, doc);
  put(o, " \xE2\x80\x94 cquant backtest</title>\n<style>\n");
  put_n(o, (const char *)cq__report_css, cq__report_css_len);
  put(o, "</style>\n</head>\n");
}

/* The sections the page script fills in; the title is also written here so the page says
 * what it is even with scripts off. */
static void put_body(html_out *o, json_t *doc) {
  put(o, "<body>\n<header>\n<h1>");
  put_title(o, doc);
  put(o,
      "</h1>\n<p id=\"subtitle\"></p>\n<noscript><p>This report draws its tables and charts "
      "with JavaScript; the run's data is in the cq-run block of this file.</p></noscript>\n"
      "</header>\n<main>\n"
      "<section><h2>Metrics</h2><div id=\"metrics\" class=\"cards\"></div></section>\n"
      "<section><h2>Equity</h2><div class=\"legend\" id=\"equity-legend\"></div>"
      "<div id=\"equity-chart\" class=\"chart\"></div>\n"
      "<h3>Drawdown</h3><div id=\"drawdown-chart\" class=\"chart small\"></div></section>\n"
      "<section><h2>Price and trades</h2><div id=\"symbol-pick\"></div>"
      "<div id=\"price-chart\" class=\"chart tall\"></div></section>\n"
      "<section><h2>Monthly returns</h2><div id=\"monthly\"></div></section>\n"
      "<section><h2>Trades</h2><div id=\"trades\"></div></section>\n"
      "<section><h2>Configuration</h2><div id=\"config\"></div></section>\n"
      "</main>\n<footer><p id=\"footer\"></p></footer>\n");
}

int cq_bt_report_html(const char *json, size_t len, FILE *out, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "HTML report: no output file");
  json_t *doc = NULL;
  int rc = load_run(json, len, "HTML report", &doc, err);
  if (rc < 0) return rc;
  html_out o = {out, 0};
  put_head(&o, doc);
  put_body(&o, doc);
  put(&o, "<script type=\"application/json\" id=\"cq-run\">");
  put_json_data(&o, json, len);
  put(&o, "</script>\n<script id=\"cq-charts\">\n");
  put_script(&o, cq__charts_js, cq__charts_js_len);
  put(&o, "\n</script>\n<script>\n");
  put_script(&o, cq__report_js, cq__report_js_len);
  put(&o, "</script>\n</body>\n</html>\n");
  json_decref(doc);
  return finish(&o, "HTML report", err);
}

/* ---- other pages ---------------------------------------------------------------------- */

int cq_report_page(const char *title, const char *json, size_t len, const unsigned char *page_js,
                   size_t page_js_len, FILE *out, cq_error *err) {
  if (!out || !json || !page_js)
    return cq_error_set(err, CQ_EINVAL, "HTML page: no output file, document or script");
  json_error_t je;
  json_t *doc = json_loadb(json, len, 0, &je);
  if (!doc)
    return cq_error_set(err, CQ_EPARSE,
                        "HTML page: the JSON does not parse (line %d, column %d): %s", je.line,
                        je.column, je.text);
  json_decref(doc);
  html_out o = {out, 0};
  put(&o,
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"cquant\">\n<title>");
  put_escaped(&o, title ? title : "cquant");
  put(&o, "</title>\n<style>\n");
  put_n(&o, (const char *)cq__report_css, cq__report_css_len);
  put(&o, "</style>\n</head>\n<body>\n<header>\n<h1>");
  put_escaped(&o, title ? title : "cquant");
  put(&o,
      "</h1>\n<p id=\"subtitle\"></p>\n<noscript><p>This report draws its tables and charts "
      "with JavaScript; its data is in the cq-doc block of this file.</p></noscript>\n"
      "</header>\n<main id=\"app\"></main>\n<footer><p id=\"footer\"></p></footer>\n"
      "<script type=\"application/json\" id=\"cq-doc\">");
  put_json_data(&o, json, len);
  put(&o, "</script>\n<script id=\"cq-charts\">\n");
  put_script(&o, cq__charts_js, cq__charts_js_len);
  put(&o, "\n</script>\n<script>\n");
  put_script(&o, page_js, page_js_len);
  put(&o, "</script>\n</body>\n</html>\n");
  return finish(&o, "HTML page", err);
}

/* ---- the index ------------------------------------------------------------------------ */

/* How an index column shows its metric. */
typedef enum cell_kind { CELL_PERCENT, CELL_RATIO, CELL_COUNT } cell_kind;

/* A metric cell: the number for sorting, the text for reading ("12.34%", "1.52", "7"). */
static void put_metric_cell(html_out *o, json_t *metrics, const char *key, cell_kind kind) {
  json_t *v = json_object_get(metrics, key);
  if (!json_is_number(v)) {
    put(o, "<td class=\"num\" data-v=\"\">\xE2\x80\x93</td>");
    return;
  }
  double x = json_number_value(v);
  char t[96];
  snprintf(t, sizeof t, "<td class=\"num\" data-v=\"%.17g\">", x);
  put(o, t);
  if (kind == CELL_PERCENT)
    snprintf(t, sizeof t, "%.2f%%", x * 100.0);
  else if (kind == CELL_COUNT || fabs(x) >= 1e6)
    snprintf(t, sizeof t, "%.0f", x);
  else
    snprintf(t, sizeof t, "%.2f", x);
  put(o, t);
  put(o, "</td>");
}

static const struct index_col {
  const char *title, *key;
  cell_kind kind;
} index_cols[] = {
    {"Total return", "total_return", CELL_PERCENT},
    {"CAGR", "cagr", CELL_PERCENT},
    {"Sharpe", "sharpe", CELL_RATIO},
    {"Sortino", "sortino", CELL_RATIO},
    {"Max drawdown", "max_drawdown", CELL_PERCENT},
    {"Win rate", "win_rate", CELL_PERCENT},
    {"Trades", "n_trades", CELL_COUNT},
    {"Buy & hold", "buy_hold_return", CELL_PERCENT},
    {"End equity", "end_equity", CELL_RATIO},
};

static void put_index_row(html_out *o, const char *title, const char *href, json_t *doc) {
  put(o, "<tr><td data-v=\"");
  put_escaped(o, title);
  put(o, "\"><a href=\"");
  put_escaped(o, href);
  put(o, "\">");
  put_escaped(o, title);
  put(o, "</a></td><td>");
  put_escaped(o, config_str(doc, "strategy"));
  put(o, "</td><td>");
  put_symbols(o, doc);
  put(o, "</td><td>");
  put_escaped(o, config_str(doc, "tf"));
  put(o, "</td>");
  json_t *m = json_object_get(doc, "metrics");
  for (size_t c = 0; c < sizeof index_cols / sizeof index_cols[0]; c++)
    put_metric_cell(o, m, index_cols[c].key, index_cols[c].kind);
  put(o, "</tr>\n");
}

static void put_index_head(html_out *o, size_t n) {
  char t[64];
  put(o,
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"cquant\">\n<title>cquant backtests</title>\n<style>\n");
  put_n(o, (const char *)cq__report_css, cq__report_css_len);
  snprintf(t, sizeof t, "%zu run%s", n, n == 1 ? "" : "s");
  put(o, "</style>\n</head>\n<body>\n<header>\n<h1>Backtests</h1>\n<p>");
  put(o, t);
  put(o,
      " \xC2\xB7 click a column to sort</p>\n</header>\n<main>\n<table id=\"runs\" "
      "class=\"grid sortable\">\n<thead><tr><th>Run</th><th>Strategy</th><th>Symbols</th>"
      "<th>TF</th>");
  for (size_t c = 0; c < sizeof index_cols / sizeof index_cols[0]; c++) {
    put(o, "<th class=\"num\">");
    put(o, index_cols[c].title);
    put(o, "</th>");
  }
  put(o, "</tr></thead>\n<tbody>\n");
}

static void release_docs(json_t **docs, size_t n) {
  for (size_t i = 0; i < n; i++) json_decref(docs[i]);
  free(docs);
}

int cq_bt_report_index(const char *const *titles, const char *const *hrefs,
                       const char *const *jsons, size_t n, FILE *out, cq_error *err) {
  if (!out || (n > 0 && (!titles || !hrefs || !jsons)))
    return cq_error_set(err, CQ_EINVAL, "report index: no output file or no runs");
  json_t **docs = calloc(n ? n : 1, sizeof(json_t *));
  if (!docs) return cq_error_set(err, CQ_ENOMEM, "report index: out of memory for %zu runs", n);
  /* every document is checked before anything is written: nothing half-written */
  for (size_t i = 0; i < n; i++) {
    char what[64];
    snprintf(what, sizeof what, "report index, run %zu", i + 1);
    int rc = load_run(jsons[i], jsons[i] ? strlen(jsons[i]) : 0, what, &docs[i], err);
    if (rc < 0) {
      release_docs(docs, i);
      return rc;
    }
  }
  html_out o = {out, 0};
  put_index_head(&o, n);
  for (size_t i = 0; i < n; i++)
    put_index_row(&o, titles[i] ? titles[i] : "", hrefs[i] ? hrefs[i] : "", docs[i]);
  put(&o, "</tbody>\n</table>\n</main>\n<script>\n");
  put_script(&o, cq__index_js, cq__index_js_len);
  put(&o, "</script>\n</body>\n</html>\n");
  release_docs(docs, n);
  return finish(&o, "report index", err);
}
