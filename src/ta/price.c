/* Price indicators; see cquant/ta/price.h. */
#include "ta_internal.h"

const cq_ta_def *const ta_group_price[] = {NULL};
