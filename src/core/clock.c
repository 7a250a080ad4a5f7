/* The only file in cquant that reads the system time. */
#include <time.h>

#include "cquant/core/time.h"

static cq_time read_clock(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (cq_time)ts.tv_sec * CQ_NS_PER_SEC + (cq_time)ts.tv_nsec;
}

void cq_clock_wall_init(cq_clock *c) {
  c->kind = CQ_CLOCK_WALL;
  c->sim_now = 0;
}

void cq_clock_sim_init(cq_clock *c, cq_time start) {
  c->kind = CQ_CLOCK_SIM;
  c->sim_now = start;
}

cq_time cq_clock_now(const cq_clock *c) {
  return c->kind == CQ_CLOCK_WALL ? read_clock(CLOCK_REALTIME) : c->sim_now;
}

cq_time cq_clock_steady(const cq_clock *c) {
  return c->kind == CQ_CLOCK_WALL ? read_clock(CLOCK_MONOTONIC) : c->sim_now;
}

int64_t cq_clock_now_cb(void *clock) {
  return cq_clock_now((const cq_clock *)clock);
}

int cq_clock_sim_set(cq_clock *c, cq_time t, cq_error *err) {
  if (c->kind != CQ_CLOCK_SIM)
    return cq_error_set(err, CQ_ESTATE, "only a simulated clock can be set");
  if (t < c->sim_now)
    return cq_error_set(err, CQ_EINVAL,
                        "simulated clock cannot go backwards (from %lld to %lld ns)",
                        (long long)c->sim_now, (long long)t);
  c->sim_now = t;
  return CQ_OK;
}

int cq_clock_sim_advance(cq_clock *c, cq_time dt, cq_error *err) {
  if (dt < 0) return cq_error_set(err, CQ_EINVAL, "cannot advance a clock by a negative time");
  cq_time t;
  if (__builtin_add_overflow(c->sim_now, dt, &t))
    return cq_error_set(err, CQ_EOVERFLOW, "simulated clock would pass the end of time");
  return cq_clock_sim_set(c, t, err);
}
