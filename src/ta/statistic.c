/* Statistic indicators; see cquant/ta/statistic.h. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_zscore;

const cq_ta_def *const ta_group_statistic[] = {
    &ta_def_zscore, /* beyond TA-Lib */
    NULL,
};
