/* Statistic indicators; see cquant/ta/statistic.h. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_zscore;

const cq_ta_def *const ta_group_statistic[] = {
    &ta_def_stddev,
    &ta_def_var,
    &ta_def_linearreg,
    &ta_def_linearreg_slope,
    &ta_def_linearreg_intercept,
    &ta_def_linearreg_angle,
    &ta_def_tsf,
    &ta_def_correl,
    &ta_def_beta,
    &ta_def_zscore, /* beyond TA-Lib */
    NULL,
};
