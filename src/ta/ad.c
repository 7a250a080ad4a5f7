/* AD, the Chaikin accumulation/distribution line: the running sum of the close location
 * value ((close - low) - (high - close)) / (high - low) times volume; a bar with
 * high <= low adds nothing (TA-Lib). */
#include "ta_internal.h"

extern const cq_ta_def ta_def_ad;

static int ad_batch(const cq_ta_in *in, const double *p, double *const *out, cq_error *err) {
  (void)p;
  (void)err;
  const double *h = in->v[0], *l = in->v[1], *c = in->v[2], *v = in->v[3];
  double *o = out[0];
  double ad = 0.0;
  for (size_t i = 0; i < in->n; i++) o[i] = ad = ta_ad_step(ad, h[i], l[i], c[i], v[i]);
  return CQ_OK;
}
static int ad_init(void *st, const double *p, cq_error *err) {
  (void)p;
  (void)err;
  *(double *)st = 0.0;
  return CQ_OK;
}
static void ad_update(void *st, cq_time t, const double *in, double *out) {
  (void)t;
  double *ad = st;
  out[0] = *ad = ta_ad_step(*ad, in[0], in[1], in[2], in[3]);
}
static int ad_lookback(const double *p) {
  (void)p;
  return 0;
}

const cq_ta_def ta_def_ad = {
    .name = "ad",
    .title = "Chaikin A/D Line",
    .group = "volume",
    .n_inputs = 4,
    .inputs = {CQ_TA_HIGH, CQ_TA_LOW, CQ_TA_CLOSE, CQ_TA_VOLUME},
    .n_outputs = 1,
    .outputs = {"value"},
    .lookback = ad_lookback,
    .batch = ad_batch,
    .state_size = sizeof(double),
    .init = ad_init,
    .update = ad_update,
};

int cq_ta_ad_lookback(void) {
  return 0;
}
int cq_ta_ad(const double *high, const double *low, const double *close, const double *volume,
             size_t n, double *out, cq_error *err) {
  cq_ta_in x = {.v = {high, low, close, volume}, .n = n};
  return cq_ta_run(&ta_def_ad, NULL, &x, &out, err);
}
