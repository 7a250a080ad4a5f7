/* Internal side of the local order book (cq_l2book of venue.h): the functions that change
 * it, for the venue synchronizers and the simulator. Readers use venue.h only.
 *
 * Levels are kept as exact decimals in two sorted arrays (bids best = highest first, asks
 * best = lowest first), at most max_levels per side. When a side is full, the worst level is
 * dropped and its price becomes the side's horizon: from then on, levels at or past the
 * horizon are ignored, so every level the book holds is exact and the book only ever shows
 * fewer levels, never a wrong one. A new snapshot (cq_l2book_clear) lifts the horizon.
 */
#ifndef CQ_VENUE_BOOK_H
#define CQ_VENUE_BOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "cquant/venue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Empties both sides, lifts the horizons, sets seq 0 and marks the book invalid. */
void cq_l2book_clear(cq_l2book *b);

/* Sets one level: qty 0 removes it (absent is fine); a negative qty or price, or a price of
 * 0, is CQ_EINVAL. side is CQ_SIDE_BUY (bids) or CQ_SIDE_SELL (asks). */
CQ_NODISCARD int cq_l2book_set(cq_l2book *b, cq_side side, cq_dec price, cq_dec qty, cq_error *err);

void cq_l2book_set_valid(cq_l2book *b, bool valid);
void cq_l2book_set_seq(cq_l2book *b, uint64_t seq);
void cq_l2book_set_time(cq_l2book *b, cq_time t);
cq_time cq_l2book_time(const cq_l2book *b);
size_t cq_l2book_max_levels(const cq_l2book *b);

/* Best bid >= best ask (both sides non-empty). */
bool cq_l2book_crossed(const cq_l2book *b);

/* Copies src into dst (levels, horizons, seq, time, validity); CQ_ELIMIT when dst holds
 * fewer levels than src has. */
CQ_NODISCARD int cq_l2book_copy(cq_l2book *dst, const cq_l2book *src, cq_error *err);

/* Same levels on both sides (prices and quantities compared as values). */
bool cq_l2book_equal(const cq_l2book *a, const cq_l2book *b);

#ifdef __cplusplus
}
#endif
#endif
