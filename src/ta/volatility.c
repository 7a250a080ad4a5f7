/* Volatility indicators; see cquant/ta/volatility.h. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_atr, ta_def_natr, ta_def_trange;

const cq_ta_def *const ta_group_volatility[] = {&ta_def_atr, &ta_def_natr, &ta_def_trange, NULL};
