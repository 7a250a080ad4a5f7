/* Helpers shared by the backtest module's files (not part of the public API). */
#ifndef CQ_BT_INTERNAL_H
#define CQ_BT_INTERNAL_H

#include "cquant/backtest.h"

/* The close time of axis bar i: its open plus one timeframe (calendar months included). */
cq_time cq__bt_close_time(const cq_bt_result *r, size_t i);

/* malloc for arrays of many bars (on huge pages where available); free() releases it. */
void *cq__bt_big_alloc(size_t bytes);

/* Bars in a 365-day year for tf (months: 12 / n). */
double cq__bt_bars_per_year(cq_timeframe tf);


#endif
