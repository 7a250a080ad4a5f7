/* The adapter registry and the shared error names. */
#include <string.h>

#include "cquant/venue.h"

const char *cq_verr_name(cq_verr c) {
  switch (c) {
  case CQ_VERR_NONE: return "none";
  case CQ_VERR_RATE_LIMITED: return "rate_limited";
  case CQ_VERR_BANNED: return "banned";
  case CQ_VERR_TIMESTAMP: return "timestamp";
  case CQ_VERR_AUTH: return "auth";
  case CQ_VERR_INSUFFICIENT: return "insufficient_funds";
  case CQ_VERR_REJECTED: return "rejected";
  case CQ_VERR_NOT_FOUND: return "not_found";
  case CQ_VERR_BAD_REQUEST: return "bad_request";
  case CQ_VERR_UNKNOWN_OUTCOME: return "unknown_outcome";
  case CQ_VERR_UNAVAILABLE: return "unavailable";
  case CQ_VERR_PROTOCOL: return "protocol";
  case CQ_VERR_UNSUPPORTED: return "unsupported";
  }
  return "unknown";
}

void cq_verror_clear(cq_verror *ve) {
  if (ve)
    memset(ve, 0, sizeof *ve);
}
