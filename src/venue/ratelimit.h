/* A request-weight limiter shared by every venue adapter.
 *
 * A venue publishes windows (Binance: REQUEST_WEIGHT per minute, ORDERS per 10 s and per
 * day). Counts are kept per fixed window aligned to the interval, as the venues count them;
 * we allow ourselves `share` of each limit. acquire() waits until the request fits every
 * window; the venue's own count (a X-MBX-USED-WEIGHT-1M header) replaces ours when it is
 * higher. A 429 pauses every caller for Retry-After; a 418 ban makes acquire fail at once
 * with CQ_VERR_BANNED and the time left, so nothing is sent until the ban ends.
 *
 * Thread-safe: one limiter is shared by every thread of a venue. The clock is injectable so
 * tests run on simulated time.
 */
#ifndef CQ_VENUE_RATELIMIT_H
#define CQ_VENUE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cquant/core.h"
#include "cquant/venue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cq_rl_kind {
  CQ_RL_WEIGHT = 0, /* request weight */
  CQ_RL_ORDERS      /* orders placed */
} cq_rl_kind;

typedef struct cq_rl_window {
  cq_rl_kind kind;
  int64_t interval_ns; /* window length: 60 s, 10 s, 1 day */
  int64_t limit;       /* the venue's published limit for the window */
} cq_rl_window;

enum { CQ_RL_MAX_WINDOWS = 8 };

/* Time for the limiter: now() in ns (any epoch, but aligned windows assume UTC) and
 * sleep(ns). NULL in cq_rl_new: the wall clock and nanosleep. */
typedef struct cq_rl_clock {
  void *ctx;
  cq_time (*now)(void *ctx);
  void (*sleep)(void *ctx, cq_time ns);
} cq_rl_clock;

typedef struct cq_ratelimit cq_ratelimit;

/* share in (0, 1] (0: 0.8). At most CQ_RL_MAX_WINDOWS windows; CQ_EINVAL for a window with
 * a non-positive interval or limit. clock is copied; NULL for the wall clock. */
CQ_NODISCARD int cq_rl_new(const cq_rl_window *w, size_t n, double share, const cq_rl_clock *clock,
                           cq_ratelimit **out, cq_error *err);
void cq_rl_free(cq_ratelimit *rl);

/* Replaces the windows (from a fresh exchange info); counts of windows kept by kind and
 * interval are kept. */
CQ_NODISCARD int cq_rl_set_windows(cq_ratelimit *rl, const cq_rl_window *w, size_t n,
                                   cq_error *err);

/* Waits until `weight` request weight and `orders` orders fit every window, then counts
 * them. Fails at once (nothing counted) with CQ_ELIMIT and ve->cls CQ_VERR_BANNED and
 * ve->retry_after_ms during a ban; CQ_EINVAL when the request alone exceeds our share of a
 * window (it could never be sent). ve may be NULL. */
CQ_NODISCARD int cq_rl_acquire(cq_ratelimit *rl, int64_t weight, int64_t orders, cq_verror *ve);

/* As acquire, but never waits: CQ_ELIMIT with ve->cls CQ_VERR_RATE_LIMITED and
 * ve->retry_after_ms when it would have to. */
CQ_NODISCARD int cq_rl_try_acquire(cq_ratelimit *rl, int64_t weight, int64_t orders, cq_verror *ve);

/* The venue's count for the current window of (kind, interval): ours becomes the higher. */
void cq_rl_observe_used(cq_ratelimit *rl, cq_rl_kind kind, int64_t interval_ns, int64_t used);

/* Reads one response header: X-MBX-USED-WEIGHT-<n><s|m|h|d> and X-MBX-ORDER-COUNT-<n><u>
 * (case-insensitive). Returns true when it was one of these and well-formed. */
bool cq_rl_observe_header(cq_ratelimit *rl, const char *name, const char *value);

/* Every header line of a response ("Name: value\r\n" each). */
void cq_rl_observe_headers(cq_ratelimit *rl, const char *headers, size_t len);

/* HTTP 429: every caller waits retry_after_s (at least 1 s when the venue gave none: pass
 * 0). */
void cq_rl_on_429(cq_ratelimit *rl, int64_t retry_after_s);
/* HTTP 418: banned for retry_after_s (at least 120 s when the venue gave none: pass 0). */
void cq_rl_on_418(cq_ratelimit *rl, int64_t retry_after_s);

/* True during a ban, with the time left in *left_ns (may be NULL). */
bool cq_rl_banned(cq_ratelimit *rl, int64_t *left_ns);

/* Our count in the current window of (kind, interval); -1 when no such window. */
int64_t cq_rl_used(cq_ratelimit *rl, cq_rl_kind kind, int64_t interval_ns);

#ifdef __cplusplus
}
#endif
#endif
