/* Orders: names, parsing, sizes, and the one [state][event] transition table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cquant/model.h"

static const char *const type_names[CQ_ORDER_TYPE_COUNT] = {"market", "limit", "stop",
                                                            "stop_limit"};
static const char *const tif_names[CQ_TIF_COUNT] = {"gtc", "ioc", "fok", "post_only"};
static const char *const state_names[CQ_OS_COUNT] = {
    "new", "submitted", "accepted", "partially_filled", "filled", "cancelled", "rejected",
    "expired"};
static const char *const event_names[CQ_OE_COUNT] = {"submit", "accept",  "reject", "partial_fill",
                                                     "fill",   "cancel", "expire"};

const char *cq_order_type_name(cq_order_type t) {
  return (unsigned)t < CQ_ORDER_TYPE_COUNT ? type_names[t] : "?";
}
const char *cq_tif_name(cq_tif t) {
  return (unsigned)t < CQ_TIF_COUNT ? tif_names[t] : "?";
}
const char *cq_order_state_name(cq_order_state s) {
  return (unsigned)s < CQ_OS_COUNT ? state_names[s] : "?";
}
const char *cq_order_event_name(cq_order_event e) {
  return (unsigned)e < CQ_OE_COUNT ? event_names[e] : "?";
}
const char *cq_side_name(cq_side s) {
  return s == CQ_SIDE_BUY ? "buy" : s == CQ_SIDE_SELL ? "sell" : "unknown";
}

static int parse_name(const char *what, const char *s, const char *const *names, int n, int *out,
                      cq_error *err) {
  for (int i = 0; i < n; i++) {
    if (!strcasecmp(s, names[i])) {
      *out = i;
      return CQ_OK;
    }
  }
  char list[160] = "";
  size_t used = 0;
  for (int i = 0; i < n && used < sizeof list; i++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
  return cq_error_set(err, CQ_EPARSE, "%s \"%s\": expected one of %s", what, s, list);
}

int cq_order_type_parse(const char *s, cq_order_type *out, cq_error *err) {
  int v = 0;
  int rc = parse_name("order type", s, type_names, CQ_ORDER_TYPE_COUNT, &v, err);
  if (rc == CQ_OK) *out = (cq_order_type)v;
  return rc;
}

int cq_tif_parse(const char *s, cq_tif *out, cq_error *err) {
  int v = 0;
  int rc = parse_name("time in force", s, tif_names, CQ_TIF_COUNT, &v, err);
  if (rc == CQ_OK) *out = (cq_tif)v;
  return rc;
}

bool cq_order_state_terminal(cq_order_state s) {
  return s == CQ_OS_FILLED || s == CQ_OS_CANCELLED || s == CQ_OS_REJECTED || s == CQ_OS_EXPIRED;
}

/* -1: not allowed. Anything not listed is an error, never a silent no-op. */
#define X (-1)
static const int transitions[CQ_OS_COUNT][CQ_OE_COUNT] = {
    /*               submit           accept          reject          partial        fill
       cancel           expire */
    [CQ_OS_NEW] = {CQ_OS_SUBMITTED, X, CQ_OS_REJECTED, X, X, X, X},
    [CQ_OS_SUBMITTED] = {X, CQ_OS_ACCEPTED, CQ_OS_REJECTED, X, X, CQ_OS_CANCELLED, CQ_OS_EXPIRED},
    [CQ_OS_ACCEPTED] = {X, X, X, CQ_OS_PARTIAL, CQ_OS_FILLED, CQ_OS_CANCELLED, CQ_OS_EXPIRED},
    [CQ_OS_PARTIAL] = {X, X, X, CQ_OS_PARTIAL, CQ_OS_FILLED, CQ_OS_CANCELLED, CQ_OS_EXPIRED},
    [CQ_OS_FILLED] = {X, X, X, X, X, X, X},
    [CQ_OS_CANCELLED] = {X, X, X, X, X, X, X},
    [CQ_OS_REJECTED] = {X, X, X, X, X, X, X},
    [CQ_OS_EXPIRED] = {X, X, X, X, X, X, X},
};
#undef X

int cq_order_transition(cq_order_state from, cq_order_event ev, cq_order_state *next,
                        cq_error *err) {
  if ((unsigned)from >= CQ_OS_COUNT || (unsigned)ev >= CQ_OE_COUNT)
    return cq_error_set(err, CQ_EINVAL, "order state: unknown state %d or event %d", (int)from,
                        (int)ev);
  int to = transitions[from][ev];
  if (to < 0)
    return cq_error_set(err, CQ_EBADTRANSITION, "order state: %s is not allowed in %s",
                        cq_order_event_name(ev), cq_order_state_name(from));
  *next = (cq_order_state)to;
  return CQ_OK;
}

/* ---- sizes ------------------------------------------------------------------------- */

static int parse_positive(const char *what, const char *full, const char *num, double *out,
                          cq_error *err) {
  char *end = NULL;
  double v = strtod(num, &end);
  if (end == num || *end || !isfinite(v) || v <= 0)
    return cq_error_set(err, CQ_EPARSE, "size \"%s\": %s must be a positive number", full, what);
  *out = v;
  return CQ_OK;
}

int cq_size_parse(const char *s, cq_size *out, cq_error *err) {
  if (!s || !*s) return cq_error_set(err, CQ_EPARSE, "size: empty");
  if (!strcasecmp(s, "all") || !strcasecmp(s, "all-in") || !strcasecmp(s, "all_in")) {
    *out = (cq_size){.kind = CQ_SIZE_ALL_IN, .value = 0};
    return CQ_OK;
  }
  size_t len = strlen(s);
  double v = 0;
  if (len > 1 && s[len - 1] == '%') {
    char num[64];
    if (len - 1 >= sizeof num) return cq_error_set(err, CQ_EPARSE, "size \"%s\": too long", s);
    memcpy(num, s, len - 1);
    num[len - 1] = '\0';
    int rc = parse_positive("the percent", s, num, &v, err);
    if (rc) return rc;
    if (v > 100) return cq_error_set(err, CQ_EPARSE, "size \"%s\": percent above 100", s);
    *out = (cq_size){.kind = CQ_SIZE_PERCENT, .value = v / 100.0};
    return CQ_OK;
  }
  static const struct {
    const char *prefix;
    cq_size_kind kind;
  } kinds[] = {{"qty:", CQ_SIZE_QTY}, {"notional:", CQ_SIZE_NOTIONAL}, {"percent:", CQ_SIZE_PERCENT}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    size_t pl = strlen(kinds[i].prefix);
    if (strncasecmp(s, kinds[i].prefix, pl)) continue;
    int rc = parse_positive("the value", s, s + pl, &v, err);
    if (rc) return rc;
    if (kinds[i].kind == CQ_SIZE_PERCENT) {
      if (v > 100) return cq_error_set(err, CQ_EPARSE, "size \"%s\": percent above 100", s);
      v /= 100.0;
    }
    *out = (cq_size){.kind = kinds[i].kind, .value = v};
    return CQ_OK;
  }
  return cq_error_set(err, CQ_EPARSE,
                      "size \"%s\": expected qty:Q, notional:N, percent:P (or P%%) or all", s);
}

size_t cq_size_format(cq_size s, char *buf, size_t n) {
  char num[40];
  int w;
  switch (s.kind) {
  case CQ_SIZE_QTY:
    cq_format_double(s.value, num, sizeof num);
    w = snprintf(buf, n, "qty:%s", num);
    break;
  case CQ_SIZE_NOTIONAL:
    cq_format_double(s.value, num, sizeof num);
    w = snprintf(buf, n, "notional:%s", num);
    break;
  case CQ_SIZE_PERCENT:
    cq_format_double(s.value * 100.0, num, sizeof num);
    w = snprintf(buf, n, "percent:%s", num);
    break;
  default:
    w = snprintf(buf, n, "all");
    break;
  }
  return w < 0 ? 0 : (size_t)w;
}
