/* Stands in for the built-in strategy registry (src/strategy) in a tree that does not have
 * it yet, so the output tests link: one strategy with three declared parameters. */
#include <strings.h>

#include "cquant/strategy.h"

static const cq_param_def stub_params[] = {
    {"fast", CQ_PARAM_INT, 10, 2, 100, 1, "fast window"},
    {"slow", CQ_PARAM_INT, 30, 5, 400, 1, "slow window"},
    {"long_only", CQ_PARAM_BOOL, 1, 0, 1, 1, "never short"},
};

static const cq_strategy_def stub = {
    .name = "stub_cross",
    .summary = "registry stand-in for the output tests",
    .n_params = 3,
    .params = stub_params,
};

const cq_strategy_def *cq_strategy_find(const char *name) {
  return name && strcasecmp(name, stub.name) == 0 ? &stub : NULL;
}

const cq_strategy_def *cq_strategy_at(size_t i) {
  return i == 0 ? &stub : NULL;
}
