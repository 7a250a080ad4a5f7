/* Price transforms; see cquant/ta/price.h. */
#include "ta_internal.h"

extern const cq_ta_def ta_def_avgprice, ta_def_typprice, ta_def_wclprice, ta_def_medprice;

const cq_ta_def *const ta_group_price[] = {&ta_def_avgprice, &ta_def_typprice, &ta_def_wclprice,
                                           &ta_def_medprice, NULL};
