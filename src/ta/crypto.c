/* Crypto indicators; see cquant/ta/crypto.h. */
#include "ta_internal.h"

/* Channels and trend (donchian.c, keltner.c, supertrend.c, ichimoku.c); HMA (hma.c). */
extern const cq_ta_def ta_def_donchian, ta_def_keltner, ta_def_supertrend, ta_def_ichimoku;

const cq_ta_def *const ta_group_crypto[] = {
    &ta_def_hma,        /* hma.c */
    &ta_def_donchian,   /* donchian.c */
    &ta_def_keltner,    /* keltner.c */
    &ta_def_supertrend, /* supertrend.c */
    &ta_def_ichimoku,   /* ichimoku.c */
    NULL,
};
