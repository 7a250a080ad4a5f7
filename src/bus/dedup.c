/* The idempotency helper: which event ids of a stream were applied, as a watermark plus a
 * bitmap window above it, so memory stays fixed however long the stream runs. */
#include <stdlib.h>
#include <string.h>

#include "cquant/bus.h"

int cq_bus_dedup_init(cq_bus_dedup *d, size_t window, cq_error *err) {
  memset(d, 0, sizeof *d);
  if (window == 0) window = 4096;
  if (window > ((size_t)1 << 30))
    return cq_error_set(err, CQ_EINVAL, "bus dedup: window %zu over the 2^30 cap", window);
  window = (window + 63) / 64 * 64;
  d->bits = calloc(window / 64, sizeof *d->bits);
  if (!d->bits) return cq_error_set(err, CQ_ENOMEM, "bus dedup: window of %zu ids", window);
  d->window = window;
  return 0;
}

void cq_bus_dedup_free(cq_bus_dedup *d) {
  if (!d) return;
  free(d->bits);
  d->bits = NULL;
  d->window = 0;
}

static bool bit_get(const cq_bus_dedup *d, uint64_t id) {
  uint64_t k = id % d->window;
  return (d->bits[k / 64] >> (k % 64)) & 1u;
}

static void bit_set(cq_bus_dedup *d, uint64_t id, bool on) {
  uint64_t k = id % d->window;
  if (on)
    d->bits[k / 64] |= (uint64_t)1 << (k % 64);
  else
    d->bits[k / 64] &= ~((uint64_t)1 << (k % 64));
}

bool cq_bus_dedup_seen(const cq_bus_dedup *d, uint64_t id) {
  if (id <= d->watermark) return true;
  if (id - d->watermark > d->window) return false;
  return bit_get(d, id);
}

bool cq_bus_dedup_mark(cq_bus_dedup *d, uint64_t id) {
  if (cq_bus_dedup_seen(d, id)) return false;
  if (id - d->watermark > d->window) {
    /* Move the window so id is its last slot; ids passed over count as applied. */
    uint64_t floor = id - d->window;
    if (floor - d->watermark >= d->window) {
      /* Every bit in the window is for ids below the new floor. */
      for (uint64_t i = d->watermark + 1; i <= d->watermark + d->window; i++)
        if (!bit_get(d, i)) d->skipped++;
      d->skipped += floor - d->watermark - d->window;
      memset(d->bits, 0, d->window / 8);
    } else {
      for (uint64_t i = d->watermark + 1; i <= floor; i++) {
        if (!bit_get(d, i)) d->skipped++;
        bit_set(d, i, false);
      }
    }
    d->watermark = floor;
  }
  bit_set(d, id, true);
  while (bit_get(d, d->watermark + 1)) {
    bit_set(d, d->watermark + 1, false);
    d->watermark++;
  }
  return true;
}
