/* The adapter registry and the shared error names. */
#include <stdio.h>
#include <string.h>

#include "cquant/venue.h"

const char *cq_verr_name(cq_verr c) {
  switch (c) {
    case CQ_VERR_NONE:
      return "none";
    case CQ_VERR_RATE_LIMITED:
      return "rate_limited";
    case CQ_VERR_BANNED:
      return "banned";
    case CQ_VERR_TIMESTAMP:
      return "timestamp";
    case CQ_VERR_AUTH:
      return "auth";
    case CQ_VERR_INSUFFICIENT:
      return "insufficient_funds";
    case CQ_VERR_REJECTED:
      return "rejected";
    case CQ_VERR_NOT_FOUND:
      return "not_found";
    case CQ_VERR_BAD_REQUEST:
      return "bad_request";
    case CQ_VERR_UNKNOWN_OUTCOME:
      return "unknown_outcome";
    case CQ_VERR_UNAVAILABLE:
      return "unavailable";
    case CQ_VERR_PROTOCOL:
      return "protocol";
    case CQ_VERR_UNSUPPORTED:
      return "unsupported";
  }
  return "unknown";
}

int cq_verr_code(cq_verr c) {
  switch (c) {
    case CQ_VERR_RATE_LIMITED:
    case CQ_VERR_BANNED:
      return CQ_ELIMIT;
    case CQ_VERR_AUTH:
      return CQ_EPERM;
    case CQ_VERR_INSUFFICIENT:
    case CQ_VERR_REJECTED:
      return CQ_EREJECTED;
    case CQ_VERR_NOT_FOUND:
      return CQ_ENOTFOUND;
    case CQ_VERR_BAD_REQUEST:
    case CQ_VERR_TIMESTAMP:
      return CQ_EINVAL;
    case CQ_VERR_UNKNOWN_OUTCOME:
    case CQ_VERR_UNAVAILABLE:
      return CQ_ENET;
    case CQ_VERR_UNSUPPORTED:
      return CQ_EUNSUPPORTED;
    case CQ_VERR_PROTOCOL:
    case CQ_VERR_NONE:
      break;
  }
  return CQ_EPARSE;
}

void cq_verror_clear(cq_verror *ve) {
  if (ve) memset(ve, 0, sizeof *ve);
}

/* Every adapter, in the order `cquant --help` lists them. */
static const cq_venue_ops *const venue_table[] = {&cq_venue_binance_ops, &cq_venue_okx_ops,
                                                   &cq_venue_bybit_ops};
static const char *const venue_names[] = {"binance", "okx", "bybit", NULL};

const char *const *cq_venue_names(void) {
  return venue_names;
}

int cq_venue_find(const char *name, const cq_venue_ops **out, cq_error *err) {
  if (!name || !out) return cq_error_set(err, CQ_EINVAL, "venue: no name given");
  for (size_t i = 0; i < sizeof venue_table / sizeof venue_table[0]; i++) {
    if (strcmp(venue_table[i]->name, name) == 0) {
      *out = venue_table[i];
      return 0;
    }
  }
  char known[128] = "";
  size_t o = 0;
  for (size_t i = 0; venue_names[i] && o < sizeof known; i++)
    o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", i ? ", " : "", venue_names[i]);
  return cq_error_set(err, CQ_ENOTFOUND, "venue \"%s\" is not known (known: %s)", name, known);
}

void cq_venue_config_default(cq_venue_config *c) {
  if (!c) return;
  memset(c, 0, sizeof *c);
  c->recv_window_ms = 5000;
  c->weight_share = 0.8;
  cq_http_options_default(&c->http);
  cq_ws_options_default(&c->ws);
}
