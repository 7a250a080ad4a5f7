/* The backtest entry points that need the built-in strategies: the vector engine by
 * strategy name, and the dispatch over both engines. */
#include "cquant/backtest.h"
#include "cquant/strategy.h"

int cq_bt_run_vector(const cq_bt_config *cfg, const cq_bt_data *data, cq_bt_result *out,
                     cq_error *err) {
  const cq_strategy_def *def = NULL;
  int rc = cq_strategy_lookup(cfg->strategy, &def, err);
  if (rc) return rc;
  return cq_bt_run_vector_def(def, cfg, data, out, err);
}

int cq_bt_run_def(const cq_strategy_def *def, const cq_bt_config *cfg, const cq_bt_data *data,
                  cq_progress *progress, cq_bt_result *out, cq_error *err) {
  switch (cfg->engine) {
    case CQ_BT_EVENT:
      return cq_bt_run_event_def(cfg, def, data, progress, out, err);
    case CQ_BT_VECTOR:
      return cq_bt_run_vector_def(def, cfg, data, out, err);
  }
  return cq_error_set(err, CQ_EINVAL, "backtest: unknown engine %d", (int)cfg->engine);
}

int cq_bt_run(const cq_bt_config *cfg, const cq_bt_data *data, cq_progress *progress,
              cq_bt_result *out, cq_error *err) {
  const cq_strategy_def *def = NULL;
  int rc = cq_strategy_lookup(cfg->strategy, &def, err);
  return rc ? rc : cq_bt_run_def(def, cfg, data, progress, out, err);
}
