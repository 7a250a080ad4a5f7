/* Volume indicators; see cquant/ta/volume.h. */
#include "ta_internal.h"

const cq_ta_def *const ta_group_volume[] = {NULL};
