/* Parameter spaces: the declared parameters, overrides from the command line or YAML, and
 * constraints between parameters compiled to postfix. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cquant/core/strutil.h"
#include "cquant/optimize.h"
#include "opt_internal.h"

/* ---- dimensions ---------------------------------------------------------------------------- */

int64_t cq_opt_dim_levels(const cq_opt_dim *d) {
  if (d->n_choices > 0) return d->n_choices;
  if (!(d->step > 0)) return 0;
  return (int64_t)floor((d->hi - d->lo) / d->step + 1e-9) + 1;
}

double cq_opt_dim_value(const cq_opt_dim *d, int64_t level) {
  if (d->n_choices > 0) return d->choices[level];
  double v = d->lo + (double)level * d->step;
  /* steps like 0.1 land on the nearest representable decimal, not on 0.30000000000000004 */
  if (d->type != CQ_PARAM_INT) v = round(v * 1e9) / 1e9;
  return v;
}

int64_t cq_opt_space_size(const cq_opt_space *s) {
  int64_t size = 1;
  for (int i = 0; i < s->n_dims; i++) {
    int64_t l = cq_opt_dim_levels(&s->dims[i]);
    if (l <= 0 || size > INT64_MAX / l) return INT64_MAX;
    size *= l;
  }
  return size;
}

static int dim_of(const cq_opt_space *s, int param) {
  for (int i = 0; i < s->n_dims; i++)
    if (s->dims[i].param == param) return i;
  return -1;
}

static void drop_dim(cq_opt_space *s, int i) {
  memmove(&s->dims[i], &s->dims[i + 1], (size_t)(s->n_dims - i - 1) * sizeof s->dims[0]);
  s->n_dims--;
}

int cq_opt_space_init(cq_opt_space *s, const cq_strategy_def *def, cq_error *err) {
  memset(s, 0, sizeof *s);
  if (!def) return cq_error_set(err, CQ_EINVAL, "optimize: no strategy");
  s->def = def;
  int rc = cq_params_resolve(def, NULL, 0, &s->base, err);
  if (rc) return rc;
  for (int i = 0; i < def->n_params; i++) {
    const cq_param_def *p = &def->params[i];
    cq_opt_dim d = {.param = i, .type = p->type, .lo = p->min, .hi = p->max, .step = p->step};
    if (p->type == CQ_PARAM_BOOL)
      d = (cq_opt_dim){.param = i, .type = p->type, .n_choices = 2, .choices = {0, 1}};
    else if (!(p->min < p->max) || !(p->step > 0))
      continue;
    s->dims[s->n_dims++] = d;
  }
  return CQ_OK;
}

static int param_named(const cq_opt_space *s, const char *name, size_t len, cq_error *err) {
  char buf[64];
  if (len >= sizeof buf) len = sizeof buf - 1;
  memcpy(buf, name, len);
  buf[len] = '\0';
  int i = cq_param_index(s->def, buf);
  if (i >= 0) return i;
  const char *names[CQ_MAX_PARAMS];
  for (int k = 0; k < s->def->n_params && k < CQ_MAX_PARAMS; k++) names[k] = s->def->params[k].name;
  const char *near = cq_closest(buf, names, (size_t)s->def->n_params, 3);
  if (near)
    return cq_error_set(err, CQ_ENOTFOUND,
                        "strategy %s: unknown parameter \"%s\" (did you mean %s?)", s->def->name,
                        buf, near);
  return cq_error_set(err, CQ_ENOTFOUND, "strategy %s: unknown parameter \"%s\"", s->def->name,
                      buf);
}

/* A value for parameter p: a number of its type within its declared range. */
static int value_of(const cq_opt_space *s, int p, const char *text, size_t len, double *out,
                    cq_error *err) {
  const cq_param_def *d = &s->def->params[p];
  char buf[64];
  if (len >= sizeof buf || len == 0)
    return cq_error_set(err, CQ_EPARSE, "strategy %s: parameter %s: empty or too long value",
                        s->def->name, d->name);
  memcpy(buf, text, len);
  buf[len] = '\0';
  char *end = NULL;
  errno = 0;
  double v = strtod(buf, &end);
  if (d->type == CQ_PARAM_BOOL && (!strcasecmp(buf, "true") || !strcasecmp(buf, "false"))) {
    v = !strcasecmp(buf, "true");
    end = buf + len;
  }
  if (end == buf || *end || errno || !isfinite(v))
    return cq_error_set(err, CQ_EPARSE, "strategy %s: parameter %s: \"%s\" is not a number",
                        s->def->name, d->name, buf);
  if (d->type != CQ_PARAM_FLOAT && v != floor(v))
    return cq_error_set(err, CQ_EPARSE, "strategy %s: parameter %s = %s: must be a whole number",
                        s->def->name, d->name, buf);
  if (d->type == CQ_PARAM_BOOL && v != 0 && v != 1)
    return cq_error_set(err, CQ_EPARSE, "strategy %s: parameter %s = %s: must be 0 or 1",
                        s->def->name, d->name, buf);
  if (d->min < d->max && (v < d->min || v > d->max))
    return cq_error_set(err, CQ_EINVAL, "strategy %s: parameter %s = %g is out of range [%g, %g]",
                        s->def->name, d->name, v, d->min, d->max);
  *out = v;
  return CQ_OK;
}

static int parse_choices(const cq_opt_space *s, int p, const char *v, cq_opt_dim *d,
                         cq_error *err) {
  d->n_choices = 0;
  for (const char *c = v;;) {
    const char *comma = strchr(c, ',');
    size_t len = comma ? (size_t)(comma - c) : strlen(c);
    if (d->n_choices == CQ_OPT_MAX_CHOICES)
      return cq_error_set(err, CQ_ELIMIT, "strategy %s: parameter %s: more than %d choices",
                          s->def->name, s->def->params[p].name, CQ_OPT_MAX_CHOICES);
    int rc = value_of(s, p, c, len, &d->choices[d->n_choices], err);
    if (rc) return rc;
    for (int k = 0; k < d->n_choices; k++)
      if (d->choices[k] == d->choices[d->n_choices])
        return cq_error_set(err, CQ_EINVAL, "strategy %s: parameter %s: %g is listed twice",
                            s->def->name, s->def->params[p].name, d->choices[k]);
    d->n_choices++;
    if (!comma) break;
    c = comma + 1;
  }
  return CQ_OK;
}

static int parse_range(const cq_opt_space *s, int p, const char *v, cq_opt_dim *d, cq_error *err) {
  const char *name = s->def->params[p].name;
  const char *c1 = strchr(v, ':');
  const char *c2 = strchr(c1 + 1, ':');
  int rc = value_of(s, p, v, (size_t)(c1 - v), &d->lo, err);
  if (!rc) rc = value_of(s, p, c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1), &d->hi, err);
  if (rc) return rc;
  d->step = d->type == CQ_PARAM_INT ? 1 : 0;
  if (c2) {
    char *end = NULL;
    errno = 0;
    d->step = strtod(c2 + 1, &end);
    if (end == c2 + 1 || *end || errno || !(d->step > 0) || !isfinite(d->step))
      return cq_error_set(err, CQ_EPARSE,
                          "strategy %s: parameter %s: step \"%s\" must be a "
                          "number > 0",
                          s->def->name, name, c2 + 1);
    if (d->type == CQ_PARAM_INT && d->step != floor(d->step))
      return cq_error_set(err, CQ_EPARSE, "strategy %s: parameter %s: step %g must be whole",
                          s->def->name, name, d->step);
  }
  if (!(d->lo < d->hi))
    return cq_error_set(err, CQ_EINVAL,
                        "strategy %s: parameter %s: range %g:%g is empty (the "
                        "low end must be below the high end)",
                        s->def->name, name, d->lo, d->hi);
  return CQ_OK;
}

int cq_opt_space_set(cq_opt_space *s, const char *assign, cq_error *err) {
  const char *eq = assign ? strchr(assign, '=') : NULL;
  if (!eq || eq == assign || !eq[1])
    return cq_error_set(err, CQ_EPARSE,
                        "optimize: \"%s\": expected name=lo:hi:step, name=a,b,c or name=value",
                        assign ? assign : "");
  int p = param_named(s, assign, (size_t)(eq - assign), err);
  if (p < 0) return p;
  const char *v = eq + 1;
  cq_opt_dim d = {.param = p, .type = s->def->params[p].type};
  int rc;
  if (strchr(v, ':')) {
    if (d.type == CQ_PARAM_BOOL)
      return cq_error_set(err, CQ_EINVAL, "strategy %s: parameter %s is a flag: give 0,1",
                          s->def->name, s->def->params[p].name);
    rc = parse_range(s, p, v, &d, err);
  } else if (strchr(v, ',')) {
    rc = parse_choices(s, p, v, &d, err);
  } else {
    /* a fixed value: no longer searched */
    rc = value_of(s, p, v, strlen(v), &s->base.v[p], err);
    int i = dim_of(s, p);
    if (!rc && i >= 0) drop_dim(s, i);
    return rc;
  }
  if (rc) return rc;
  int i = dim_of(s, p);
  if (i < 0) {
    if (s->n_dims == CQ_MAX_PARAMS)
      return cq_error_set(err, CQ_ELIMIT, "optimize: too many dimensions");
    i = s->n_dims++;
  }
  s->dims[i] = d;
  return CQ_OK;
}

int cq_opt_space_only(cq_opt_space *s, const char *names, cq_error *err) {
  bool keep[CQ_MAX_PARAMS] = {false};
  for (const char *c = names;;) {
    const char *comma = strchr(c, ',');
    size_t len = comma ? (size_t)(comma - c) : strlen(c);
    int p = param_named(s, c, len, err);
    if (p < 0) return p;
    keep[p] = true;
    if (!comma) break;
    c = comma + 1;
  }
  for (int i = s->n_dims - 1; i >= 0; i--)
    if (!keep[s->dims[i].param]) drop_dim(s, i);
  return CQ_OK;
}

void cq_opt_space_params(const cq_opt_space *s, const double *x, double *params) {
  for (int i = 0; i < CQ_MAX_PARAMS; i++) params[i] = i < s->base.n ? s->base.v[i] : 0;
  for (int i = 0; i < s->n_dims; i++) params[s->dims[i].param] = x[i];
}

void cq_opt_space_format(const cq_opt_space *s, char *buf, size_t cap) {
  size_t at = 0;
  if (cap) buf[0] = '\0';
  for (int i = 0; i < s->n_dims && at < cap; i++) {
    const cq_opt_dim *d = &s->dims[i];
    int n = snprintf(buf + at, cap - at, "%s%s=", i ? " " : "", s->def->params[d->param].name);
    if (n < 0) return;
    at += (size_t)n;
    for (int k = 0; d->n_choices && k < d->n_choices && at < cap; k++)
      if ((n = snprintf(buf + at, cap - at, "%s%.10g", k ? "," : "", d->choices[k])) > 0)
        at += (size_t)n;
    if (!d->n_choices && at < cap &&
        (n = snprintf(buf + at, cap - at, "%.10g:%.10g:%.10g", d->lo, d->hi, d->step)) > 0)
      at += (size_t)n;
  }
}

/* ---- constraints ------------------------------------------------------------------------- */

enum {
  T_NUM = 1,
  T_PARAM,
  T_ADD,
  T_SUB,
  T_MUL,
  T_DIV,
  T_NEG,
  T_LT,
  T_LE,
  T_GT,
  T_GE,
  T_EQ,
  T_NE,
  T_AND,
  T_OR,
  T_LPAREN,
};

typedef struct lexer {
  const cq_opt_space *s;
  const char *text, *p;
  int tok;
  double v;
  cq_error *err;
} lexer;

static int syntax(lexer *L, const char *what) {
  return cq_error_set(L->err, CQ_EPARSE, "constraint \"%s\": %s at column %d", L->text, what,
                      (int)(L->p - L->text) + 1);
}

static int lex(lexer *L) {
  while (isspace((unsigned char)*L->p)) L->p++;
  const char *p = L->p;
  static const struct {
    const char *s;
    int tok;
  } ops[] = {{"<=", T_LE}, {">=", T_GE}, {"==", T_EQ}, {"!=", T_NE},    {"&&", T_AND},
             {"||", T_OR}, {"<", T_LT},  {">", T_GT},  {"=", T_EQ},     {"+", T_ADD},
             {"-", T_SUB}, {"*", T_MUL}, {"/", T_DIV}, {"(", T_LPAREN}, {")", ')'}};
  if (!*p) return L->tok = 0;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    size_t n = strlen(ops[i].s);
    if (!strncmp(p, ops[i].s, n)) {
      L->p += n;
      return L->tok = ops[i].tok;
    }
  }
  if (isdigit((unsigned char)*p) || *p == '.') {
    char *end = NULL;
    L->v = strtod(p, &end);
    L->p = end;
    return L->tok = T_NUM;
  }
  if (isalpha((unsigned char)*p) || *p == '_') {
    const char *e = p;
    while (isalnum((unsigned char)*e) || *e == '_') e++;
    L->p = e;
    if ((e - p == 3 && !strncasecmp(p, "and", 3))) return L->tok = T_AND;
    if ((e - p == 2 && !strncasecmp(p, "or", 2))) return L->tok = T_OR;
    int i = param_named(L->s, p, (size_t)(e - p), L->err);
    if (i < 0) {
      cq_error_prefix(L->err, "constraint \"%s\": ", L->text);
      return -1;
    }
    L->v = i;
    return L->tok = T_PARAM;
  }
  return syntax(L, "unexpected character"), -1;
}

static int emit(cq_opt_expr *e, int op, double v, lexer *L) {
  if (e->n == CQ_OPT_EXPR_MAX) return syntax(L, "expression too long");
  e->tok[e->n].op = op;
  e->tok[e->n].v = v;
  e->n++;
  return CQ_OK;
}

/* Precedence climbing: or < and < comparison < + - < * / < unary. */
static int prec(int tok) {
  switch (tok) {
    case T_OR:
      return 1;
    case T_AND:
      return 2;
    case T_LT:
    case T_LE:
    case T_GT:
    case T_GE:
    case T_EQ:
    case T_NE:
      return 3;
    case T_ADD:
    case T_SUB:
      return 4;
    case T_MUL:
    case T_DIV:
      return 5;
    default:
      return 0;
  }
}

static int parse_expr(lexer *L, cq_opt_expr *e, int min_prec);

static int parse_unary(lexer *L, cq_opt_expr *e) {
  int rc;
  switch (L->tok) {
    case T_NUM:
    case T_PARAM:
      rc = emit(e, L->tok, L->v, L);
      if (!rc && lex(L) < 0) rc = CQ_EPARSE;
      return rc;
    case T_SUB:
      if (lex(L) < 0) return CQ_EPARSE;
      rc = parse_unary(L, e);
      return rc ? rc : emit(e, T_NEG, 0, L);
    case T_LPAREN:
      if (lex(L) < 0) return CQ_EPARSE;
      rc = parse_expr(L, e, 1);
      if (rc) return rc;
      if (L->tok != ')') return syntax(L, "expected )");
      return lex(L) < 0 ? CQ_EPARSE : CQ_OK;
    default:
      return syntax(L, "expected a parameter, a number or (");
  }
}

static int parse_expr(lexer *L, cq_opt_expr *e, int min_prec) {
  int rc = parse_unary(L, e);
  while (!rc && prec(L->tok) >= min_prec && prec(L->tok) > 0) {
    int op = L->tok, p = prec(op);
    if (lex(L) < 0) return CQ_EPARSE;
    /* comparisons do not chain: a < b < c is an error, not (a < b) < c */
    rc = parse_expr(L, e, p == 3 ? 4 : p + 1);
    if (!rc) rc = emit(e, op, 0, L);
    if (!rc && p == 3 && prec(L->tok) == 3) return syntax(L, "comparisons do not chain; use and");
  }
  return rc;
}

/* Whether the top of the compiled expression is a truth value (a comparison, and, or). */
static bool is_test(int op) {
  return prec(op) <= 3 && prec(op) > 0;
}

int cq_opt_space_constrain(cq_opt_space *s, const char *expr, cq_error *err) {
  if (s->n_constraints == CQ_OPT_MAX_CONSTRAINTS)
    return cq_error_set(err, CQ_ELIMIT, "optimize: at most %d constraints", CQ_OPT_MAX_CONSTRAINTS);
  cq_opt_expr *e = &s->constraints[s->n_constraints];
  memset(e, 0, sizeof *e);
  cq_strlcpy(e->text, expr ? expr : "", sizeof e->text);
  lexer L = {.s = s, .text = e->text, .p = e->text, .err = err};
  if (lex(&L) < 0) return CQ_EPARSE;
  int rc = parse_expr(&L, e, 1);
  if (rc) return rc;
  if (L.tok) return syntax(&L, "unexpected text");
  if (!e->n || !is_test(e->tok[e->n - 1].op))
    return cq_error_set(err, CQ_EPARSE,
                        "constraint \"%s\": not a comparison (write it like fast < slow)", e->text);
  s->n_constraints++;
  return CQ_OK;
}

static double eval(const cq_opt_expr *e, const double *params) {
  double st[CQ_OPT_EXPR_MAX];
  int n = 0;
  for (int i = 0; i < e->n; i++) {
    int op = e->tok[i].op;
    /* the parser only builds well-formed postfix; the guards keep a bad one harmless */
    if ((op == T_NUM || op == T_PARAM) && n == CQ_OPT_EXPR_MAX) return 0;
    if (op != T_NUM && op != T_PARAM && n < (op == T_NEG ? 1 : 2)) return 0;
    if (op == T_NUM) {
      st[n++] = e->tok[i].v;
      continue;
    }
    if (op == T_PARAM) {
      st[n++] = params[(int)e->tok[i].v];
      continue;
    }
    if (op == T_NEG) {
      st[n - 1] = -st[n - 1];
      continue;
    }
    double b = st[--n], a = st[n - 1], r = 0;
    switch (op) {
      case T_ADD:
        r = a + b;
        break;
      case T_SUB:
        r = a - b;
        break;
      case T_MUL:
        r = a * b;
        break;
      case T_DIV:
        r = a / b;
        break;
      case T_LT:
        r = a < b;
        break;
      case T_LE:
        r = a <= b;
        break;
      case T_GT:
        r = a > b;
        break;
      case T_GE:
        r = a >= b;
        break;
      case T_EQ:
        r = a == b;
        break;
      case T_NE:
        r = a != b;
        break;
      case T_AND:
        r = a != 0 && b != 0;
        break;
      case T_OR:
        r = a != 0 || b != 0;
        break;
      default:
        break;
    }
    st[n - 1] = r;
  }
  return n ? st[0] : 0;
}

bool cq_opt_space_feasible(const cq_opt_space *s, const double *params) {
  for (int i = 0; i < s->n_constraints; i++)
    if (!(eval(&s->constraints[i], params) != 0)) return false;
  return !s->def->check || s->def->check(params, NULL) == CQ_OK;
}

/* ---- checking the space ------------------------------------------------------------------- */

/* Point `index` of the grid, last dimension fastest. */
void cq__opt_grid_point(const cq_opt_space *s, int64_t index, double *x) {
  for (int i = s->n_dims - 1; i >= 0; i--) {
    int64_t l = cq_opt_dim_levels(&s->dims[i]);
    if (l <= 0) { /* continuous: no grid; its low end */
      x[i] = s->dims[i].lo;
      continue;
    }
    x[i] = cq_opt_dim_value(&s->dims[i], index % l);
    index /= l;
  }
}

int cq_opt_space_check(const cq_opt_space *s, cq_error *err) {
  if (s->n_dims == 0)
    return cq_error_set(err, CQ_EINVAL,
                        "optimize: strategy %s: nothing to search (every parameter is fixed); "
                        "give a range like --param name=lo:hi:step",
                        s->def->name);
  int64_t size = cq_opt_space_size(s);
  double x[CQ_MAX_PARAMS], p[CQ_MAX_PARAMS];
  if (size <= CQ_OPT_GRID_MAX) {
    for (int64_t i = 0; i < size; i++) {
      cq__opt_grid_point(s, i, x);
      cq_opt_space_params(s, x, p);
      if (cq_opt_space_feasible(s, p)) return CQ_OK;
    }
  } else {
    cq_rng r;
    cq_rng_seed(&r, 1);
    for (int k = 0; k < 200000; k++) {
      cq__opt_sample_uniform(s, &r, x);
      cq_opt_space_params(s, x, p);
      if (cq_opt_space_feasible(s, p)) return CQ_OK;
    }
  }
  char text[512] = "";
  for (int i = 0; i < s->n_constraints; i++) {
    size_t at = strlen(text);
    snprintf(text + at, sizeof text - at, "%s%s", i ? "; " : "", s->constraints[i].text);
  }
  char sp[512];
  cq_opt_space_format(s, sp, sizeof sp);
  return cq_error_set(err, CQ_EINVAL,
                      "optimize: strategy %s: no point of the space (%s) meets the constraints%s%s "
                      "and the strategy's own rules: they contradict each other or the ranges",
                      s->def->name, sp, *text ? " " : "", text);
}
