/* The request-weight limiter (see ratelimit.h). Fixed windows aligned to their interval,
 * as the venues count them, one mutex around the counts; a caller that has to wait sleeps
 * outside the lock and checks again. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ratelimit.h"

typedef struct rl_win {
  cq_rl_window w;
  int64_t allowed; /* our share of w.limit */
  cq_time start;   /* start of the current window */
  int64_t used;
} rl_win;

struct cq_ratelimit {
  pthread_mutex_t mu;
  cq_rl_clock clock;
  cq_clock wall;
  double share;
  rl_win win[CQ_RL_MAX_WINDOWS];
  size_t n;
  cq_time pause_until; /* after a 429 */
  cq_time ban_until;   /* after a 418 */
};

static cq_time wall_now(void *ctx) {
  return cq_clock_now((const cq_clock *)ctx);
}

static void wall_sleep(void *ctx, cq_time ns) {
  (void)ctx;
  struct timespec ts = {(time_t)(ns / CQ_NS_PER_SEC), (long)(ns % CQ_NS_PER_SEC)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static cq_time win_start(cq_time t, int64_t interval) {
  cq_time r = t % interval;
  if (r < 0) r += interval;
  return t - r;
}

static int check_windows(const cq_rl_window *w, size_t n, cq_error *err) {
  if (n > CQ_RL_MAX_WINDOWS)
    return cq_error_set(err, CQ_EINVAL, "ratelimit: %zu windows is over %d", n, CQ_RL_MAX_WINDOWS);
  if (n && !w) return cq_error_set(err, CQ_EINVAL, "ratelimit: windows are NULL");
  for (size_t i = 0; i < n; i++)
    if (w[i].interval_ns <= 0 || w[i].limit <= 0 ||
        (w[i].kind != CQ_RL_WEIGHT && w[i].kind != CQ_RL_ORDERS))
      return cq_error_set(err, CQ_EINVAL,
                          "ratelimit: window %zu: interval and limit must be > 0 (got %lld ns, "
                          "%lld)",
                          i, (long long)w[i].interval_ns, (long long)w[i].limit);
  return 0;
}

static void set_windows(cq_ratelimit *rl, const cq_rl_window *w, size_t n) {
  rl_win old[CQ_RL_MAX_WINDOWS];
  size_t nold = rl->n;
  memcpy(old, rl->win, sizeof old);
  for (size_t i = 0; i < n; i++) {
    rl_win *x = &rl->win[i];
    memset(x, 0, sizeof *x);
    x->w = w[i];
    x->allowed = (int64_t)((double)w[i].limit * rl->share);
    if (x->allowed < 1) x->allowed = 1;
    for (size_t k = 0; k < nold; k++)
      if (old[k].w.kind == w[i].kind && old[k].w.interval_ns == w[i].interval_ns) {
        x->start = old[k].start;
        x->used = old[k].used;
      }
  }
  rl->n = n;
}

int cq_rl_new(const cq_rl_window *w, size_t n, double share, const cq_rl_clock *clock,
              cq_ratelimit **out, cq_error *err) {
  if (!out) return cq_error_set(err, CQ_EINVAL, "ratelimit: out is NULL");
  if (share == 0) share = 0.8;
  if (!(share > 0 && share <= 1))
    return cq_error_set(err, CQ_EINVAL, "ratelimit: share %g is not in (0, 1]", share);
  int rc = check_windows(w, n, err);
  if (rc < 0) return rc;
  if (clock && (!clock->now || !clock->sleep))
    return cq_error_set(err, CQ_EINVAL, "ratelimit: a clock needs now and sleep");
  cq_ratelimit *rl = calloc(1, sizeof *rl);
  if (!rl) return cq_error_set(err, CQ_ENOMEM, "ratelimit: out of memory");
  if (pthread_mutex_init(&rl->mu, NULL) != 0) {
    free(rl);
    return cq_error_set(err, CQ_EINTERNAL, "ratelimit: mutex init failed");
  }
  cq_clock_wall_init(&rl->wall);
  if (clock)
    rl->clock = *clock;
  else
    rl->clock = (cq_rl_clock){&rl->wall, wall_now, wall_sleep};
  rl->share = share;
  set_windows(rl, w, n);
  *out = rl;
  return 0;
}

void cq_rl_free(cq_ratelimit *rl) {
  if (!rl) return;
  pthread_mutex_destroy(&rl->mu);
  free(rl);
}

int cq_rl_set_windows(cq_ratelimit *rl, const cq_rl_window *w, size_t n, cq_error *err) {
  if (!rl) return cq_error_set(err, CQ_EINVAL, "ratelimit: NULL limiter");
  int rc = check_windows(w, n, err);
  if (rc < 0) return rc;
  pthread_mutex_lock(&rl->mu);
  set_windows(rl, w, n);
  pthread_mutex_unlock(&rl->mu);
  return 0;
}

static void roll(rl_win *x, cq_time now) {
  cq_time s = win_start(now, x->w.interval_ns);
  if (s != x->start) {
    x->start = s;
    x->used = 0;
  }
}

static int banned_err(cq_time left, cq_verror *ve) {
  if (ve) {
    memset(ve, 0, sizeof *ve);
    ve->cls = CQ_VERR_BANNED;
    ve->retry_after_ms = (left + CQ_NS_PER_MS - 1) / CQ_NS_PER_MS;
    cq_error_set(&ve->e, CQ_ELIMIT,
                 "rate limit: banned by the venue for %lld ms more; nothing is "
                 "sent until then",
                 (long long)ve->retry_after_ms);
  }
  return CQ_ELIMIT;
}

/* 0 and counted, or the wait needed (> 0), or a ban (< 0 with *left). Under the lock. */
static cq_time try_take(cq_ratelimit *rl, int64_t weight, int64_t orders, cq_time *left) {
  cq_time now = rl->clock.now(rl->clock.ctx);
  if (rl->ban_until > now) {
    *left = rl->ban_until - now;
    return -1;
  }
  cq_time wait = 0;
  if (rl->pause_until > now) wait = rl->pause_until - now;
  for (size_t i = 0; i < rl->n; i++) {
    rl_win *x = &rl->win[i];
    roll(x, now);
    int64_t need = x->w.kind == CQ_RL_WEIGHT ? weight : orders;
    if (need > 0 && x->used + need > x->allowed) {
      cq_time w = x->start + x->w.interval_ns - now;
      if (w > wait) wait = w;
    }
  }
  if (wait > 0) return wait;
  for (size_t i = 0; i < rl->n; i++)
    rl->win[i].used += rl->win[i].w.kind == CQ_RL_WEIGHT ? weight : orders;
  return 0;
}

static int too_big(cq_ratelimit *rl, int64_t weight, int64_t orders, cq_verror *ve) {
  if (weight < 0 || orders < 0) {
    if (ve) {
      memset(ve, 0, sizeof *ve);
      cq_error_set(&ve->e, CQ_EINVAL, "rate limit: negative weight or order count");
    }
    return CQ_EINVAL;
  }
  for (size_t i = 0; i < rl->n; i++) {
    int64_t need = rl->win[i].w.kind == CQ_RL_WEIGHT ? weight : orders;
    if (need > rl->win[i].allowed) {
      if (ve) {
        memset(ve, 0, sizeof *ve);
        ve->cls = CQ_VERR_BAD_REQUEST;
        cq_error_set(&ve->e, CQ_EINVAL,
                     "rate limit: a request of %lld is over our share %lld of a window's "
                     "limit %lld",
                     (long long)need, (long long)rl->win[i].allowed, (long long)rl->win[i].w.limit);
      }
      return CQ_EINVAL;
    }
  }
  return 0;
}

int cq_rl_acquire(cq_ratelimit *rl, int64_t weight, int64_t orders, cq_verror *ve) {
  if (!rl) return CQ_EINVAL;
  pthread_mutex_lock(&rl->mu);
  int rc = too_big(rl, weight, orders, ve);
  for (;;) {
    if (rc < 0) break;
    cq_time left = 0, wait = try_take(rl, weight, orders, &left);
    if (wait < 0) {
      rc = banned_err(left, ve);
      break;
    }
    if (wait == 0) break;
    pthread_mutex_unlock(&rl->mu);
    rl->clock.sleep(rl->clock.ctx, wait);
    pthread_mutex_lock(&rl->mu);
  }
  pthread_mutex_unlock(&rl->mu);
  return rc;
}

int cq_rl_try_acquire(cq_ratelimit *rl, int64_t weight, int64_t orders, cq_verror *ve) {
  if (!rl) return CQ_EINVAL;
  pthread_mutex_lock(&rl->mu);
  int rc = too_big(rl, weight, orders, ve);
  if (rc == 0) {
    cq_time left = 0, wait = try_take(rl, weight, orders, &left);
    if (wait < 0) {
      rc = banned_err(left, ve);
    } else if (wait > 0) {
      rc = CQ_ELIMIT;
      if (ve) {
        memset(ve, 0, sizeof *ve);
        ve->cls = CQ_VERR_RATE_LIMITED;
        ve->retry_after_ms = (wait + CQ_NS_PER_MS - 1) / CQ_NS_PER_MS;
        cq_error_set(&ve->e, CQ_ELIMIT, "rate limit: wait %lld ms", (long long)ve->retry_after_ms);
      }
    }
  }
  pthread_mutex_unlock(&rl->mu);
  return rc;
}

void cq_rl_observe_used(cq_ratelimit *rl, cq_rl_kind kind, int64_t interval_ns, int64_t used) {
  if (!rl || used < 0) return;
  pthread_mutex_lock(&rl->mu);
  cq_time now = rl->clock.now(rl->clock.ctx);
  for (size_t i = 0; i < rl->n; i++) {
    rl_win *x = &rl->win[i];
    if (x->w.kind != kind || x->w.interval_ns != interval_ns) continue;
    roll(x, now);
    if (used > x->used) x->used = used;
  }
  pthread_mutex_unlock(&rl->mu);
}

/* "1M" -> 60 s; 0 when malformed. */
static int64_t interval_of(const char *s) {
  int64_t n = 0;
  const char *p = s;
  while (*p >= '0' && *p <= '9' && n < 100000) n = n * 10 + (*p++ - '0');
  if (p == s || n <= 0 || !p[0] || p[1]) return 0;
  switch (*p) {
    case 's':
    case 'S':
      return n * CQ_NS_PER_SEC;
    case 'm':
    case 'M':
      return n * CQ_NS_PER_MIN;
    case 'h':
    case 'H':
      return n * CQ_NS_PER_HOUR;
    case 'd':
    case 'D':
      return n * CQ_NS_PER_DAY;
    default:
      return 0;
  }
}

bool cq_rl_observe_header(cq_ratelimit *rl, const char *name, const char *value) {
  static const char wpre[] = "x-mbx-used-weight-", opre[] = "x-mbx-order-count-";
  if (!rl || !name || !value) return false;
  cq_rl_kind kind;
  const char *suffix;
  if (strncasecmp(name, wpre, sizeof wpre - 1) == 0) {
    kind = CQ_RL_WEIGHT;
    suffix = name + sizeof wpre - 1;
  } else if (strncasecmp(name, opre, sizeof opre - 1) == 0) {
    kind = CQ_RL_ORDERS;
    suffix = name + sizeof opre - 1;
  } else {
    return false;
  }
  int64_t iv = interval_of(suffix);
  while (*value == ' ' || *value == '\t') value++;
  int64_t used = 0;
  const char *p = value;
  while (*p >= '0' && *p <= '9' && used < INT64_C(1000000000000)) used = used * 10 + (*p++ - '0');
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
  if (!iv || p == value || *p) return false;
  cq_rl_observe_used(rl, kind, iv, used);
  return true;
}

void cq_rl_observe_headers(cq_ratelimit *rl, const char *headers, size_t len) {
  if (!rl || !headers) return;
  const char *p = headers, *end = headers + len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *le = eol ? eol : end;
    const char *colon = memchr(p, ':', (size_t)(le - p));
    if (colon && colon - p < 64 && le - colon < 64) {
      char name[64], value[64];
      memcpy(name, p, (size_t)(colon - p));
      name[colon - p] = '\0';
      size_t vl = (size_t)(le - colon - 1);
      memcpy(value, colon + 1, vl);
      value[vl] = '\0';
      (void)cq_rl_observe_header(rl, name, value);
    }
    p = le + 1;
  }
}

void cq_rl_on_429(cq_ratelimit *rl, int64_t retry_after_s) {
  if (!rl) return;
  if (retry_after_s <= 0) retry_after_s = 1;
  if (retry_after_s > INT64_C(3) * 86400) retry_after_s = INT64_C(3) * 86400;
  pthread_mutex_lock(&rl->mu);
  cq_time until = rl->clock.now(rl->clock.ctx) + retry_after_s * CQ_NS_PER_SEC;
  if (until > rl->pause_until) rl->pause_until = until;
  pthread_mutex_unlock(&rl->mu);
}

void cq_rl_on_418(cq_ratelimit *rl, int64_t retry_after_s) {
  if (!rl) return;
  if (retry_after_s <= 0) retry_after_s = 120;
  if (retry_after_s > INT64_C(3) * 86400) retry_after_s = INT64_C(3) * 86400;
  pthread_mutex_lock(&rl->mu);
  cq_time until = rl->clock.now(rl->clock.ctx) + retry_after_s * CQ_NS_PER_SEC;
  if (until > rl->ban_until) rl->ban_until = until;
  pthread_mutex_unlock(&rl->mu);
}

bool cq_rl_banned(cq_ratelimit *rl, int64_t *left_ns) {
  if (!rl) return false;
  pthread_mutex_lock(&rl->mu);
  cq_time now = rl->clock.now(rl->clock.ctx);
  bool b = rl->ban_until > now;
  if (left_ns) *left_ns = b ? rl->ban_until - now : 0;
  pthread_mutex_unlock(&rl->mu);
  return b;
}

int64_t cq_rl_used(cq_ratelimit *rl, cq_rl_kind kind, int64_t interval_ns) {
  if (!rl) return -1;
  int64_t r = -1;
  pthread_mutex_lock(&rl->mu);
  cq_time now = rl->clock.now(rl->clock.ctx);
  for (size_t i = 0; i < rl->n; i++)
    if (rl->win[i].w.kind == kind && rl->win[i].w.interval_ns == interval_ns) {
      roll(&rl->win[i], now);
      r = rl->win[i].used;
    }
  pthread_mutex_unlock(&rl->mu);
  return r;
}
