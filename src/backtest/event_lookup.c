/* cq_bt_run_event: the strategy of the config, from the built-in registry. */
#include "cquant/backtest.h"
#include "cquant/strategy.h"

int cq_bt_run_event(const cq_bt_config *cfg, const cq_bt_data *data, cq_progress *progress,
                    cq_bt_result *out, cq_error *err) {
  const cq_strategy_def *def;
  int rc = cq_strategy_lookup(cfg->strategy, &def, err);
  if (rc) return rc;
  return cq_bt_run_event_def(cfg, def, data, progress, out, err);
}
