/* Crypto indicators; see cquant/ta/crypto.h. */
#include "ta_internal.h"

const cq_ta_def *const ta_group_crypto[] = {&ta_def_hma, NULL};
