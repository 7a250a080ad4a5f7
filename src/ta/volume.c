/* Volume indicators; see cquant/ta/volume.h. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_obv, ta_def_ad, ta_def_adosc, ta_def_vwap;

const cq_ta_def *const ta_group_volume[] = {&ta_def_obv, &ta_def_ad, &ta_def_adosc, &ta_def_vwap,
                                            NULL};
