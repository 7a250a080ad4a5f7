/* Statistic indicators; see cquant/ta/statistic.h. */
#include "ta_internal.h"

const cq_ta_def *const ta_group_statistic[] = {NULL};
