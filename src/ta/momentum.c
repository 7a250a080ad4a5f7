/* Momentum indicators; see cquant/ta/momentum.h. */
#include "ta_internal.h"

const cq_ta_def *const ta_group_momentum[] = {NULL};
