/* Configuration: declared keys with types, from YAML files, then CQUANT_* environment
 * variables, then command-line flags (each layer overrides the one before).
 *
 * Modules declare their keys as data (cq_config_key arrays). Values are validated when they
 * are loaded or set, so getters on declared keys never fail. Every value remembers where it
 * came from (default, file:line:column, environment variable, flag). An error names the file,
 * line, column and key: `config.yaml:12:5: risk.max_order_notional: expected a number, got
 * "ten"`. A file that fails changes nothing (all or nothing).
 */
#ifndef CQUANT_CORE_CONFIG_H
#define CQUANT_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cquant/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cq_config_type {
  CQ_CFG_STRING = 0,
  CQ_CFG_INT,      /* int64, within [min, max] when min < max */
  CQ_CFG_NUMBER,   /* double, within [min, max] when min < max */
  CQ_CFG_BOOL,     /* true/false, yes/no, on/off, 1/0 */
  CQ_CFG_DURATION, /* "500ms", "5s", "1h30m" → ns */
  CQ_CFG_ENUM,     /* one of `choices` */
  CQ_CFG_LIST      /* a YAML sequence of strings, or a comma-separated string */
} cq_config_type;

typedef struct cq_config_key {
  const char *key; /* dotted: "risk.max_order_notional" */
  cq_config_type type;
  const char *default_value; /* as text; NULL: no default (unset) */
  const char *help;
  const char *const *choices; /* ENUM: NULL-terminated */
  double min, max;            /* INT, NUMBER: range when min < max */
} cq_config_key;

typedef enum cq_config_origin {
  CQ_ORIGIN_UNSET = 0,
  CQ_ORIGIN_DEFAULT,
  CQ_ORIGIN_FILE,
  CQ_ORIGIN_ENV,
  CQ_ORIGIN_FLAG
} cq_config_origin;

typedef struct cq_config cq_config;

/* A configuration over one or more key tables (each kept by the caller, not copied). */
CQ_NODISCARD int cq_config_new(cq_config **out, cq_error *err);
/* Declares keys; a key declared twice is CQ_EEXIST. Defaults are checked here. */
CQ_NODISCARD int cq_config_declare(cq_config *cfg, const cq_config_key *keys, size_t n,
                                   cq_error *err);
void cq_config_free(cq_config *cfg);

/* Loads a YAML file: nested mappings give dotted keys; sequences fill LIST keys. Unknown
 * keys, wrong types and malformed YAML are errors with file:line:column. */
CQ_NODISCARD int cq_config_load_file(cq_config *cfg, const char *path, cq_error *err);
/* The same from text; `name` stands for the file name in messages. */
CQ_NODISCARD int cq_config_load_string(cq_config *cfg, const char *name, const char *text,
                                       size_t len, cq_error *err);
/* Applies CQUANT_<KEY> variables from envp (NULL-terminated "NAME=value" strings, as
 * `environ`): key "risk.max_order_notional" reads CQUANT_RISK_MAX_ORDER_NOTIONAL. Variables
 * with the prefix that match no key are ignored unless strict, where they are errors. */
CQ_NODISCARD int cq_config_load_env(cq_config *cfg, char *const *envp, bool strict, cq_error *err);
/* Sets one value from the command line; origin describes it ("--log-level"). */
CQ_NODISCARD int cq_config_set(cq_config *cfg, const char *key, const char *value,
                               const char *origin, cq_error *err);

/* Getters. CQ_ENOTFOUND for an undeclared key; CQ_ETYPE when the key has another type;
 * CQ_ENOTFOUND for a declared key with no value. Strings stay valid until the value
 * changes or the config is freed. */
CQ_NODISCARD int cq_config_get_str(const cq_config *cfg, const char *key, const char **out);
CQ_NODISCARD int cq_config_get_int(const cq_config *cfg, const char *key, int64_t *out);
CQ_NODISCARD int cq_config_get_double(const cq_config *cfg, const char *key, double *out);
CQ_NODISCARD int cq_config_get_bool(const cq_config *cfg, const char *key, bool *out);
CQ_NODISCARD int cq_config_get_duration(const cq_config *cfg, const char *key, int64_t *out_ns);
/* LIST: *items points at n strings owned by the config. */
CQ_NODISCARD int cq_config_get_list(const cq_config *cfg, const char *key,
                                    const char *const **items, size_t *n);
/* Where the key's value came from, and a description ("config.yaml:3:10",
 * "CQUANT_LOG_LEVEL", "--log-level", "default"). */
cq_config_origin cq_config_origin_of(const cq_config *cfg, const char *key, const char **where);

/* Every declared key with its value and origin: aligned text, or one JSON object. Values of
 * keys that look secret are shown as "***". */
void cq_config_dump(const cq_config *cfg, FILE *f, bool json);

#ifdef __cplusplus
}
#endif
#endif
