/* Volatility indicators; see cquant/ta/volatility.h. */
#include "ta_internal.h"

const cq_ta_def *const ta_group_volatility[] = {NULL};
