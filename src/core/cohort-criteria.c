/* cohort-criteria.c: parse, validate, serialize and describe criteria
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "cohort-criteria.h"

G_DEFINE_QUARK (cohort-criteria-error-quark, cohort_criteria_error)

G_DEFINE_BOXED_TYPE (CohortCriteria, cohort_criteria, cohort_criteria_copy, cohort_criteria_free)

typedef struct
{
  const char    *name;
  CohortOperand  operand;
  gboolean       matches_missing;
  const char    *label;
} OperatorInfo;

static const OperatorInfo operators[COHORT_N_OPS] = {
  [COHORT_OP_EQ]            = { "eq",            COHORT_OPERAND_SCALAR,    FALSE, N_("is") },
  [COHORT_OP_NEQ]           = { "neq",           COHORT_OPERAND_SCALAR,    TRUE,  N_("is not") },
  [COHORT_OP_IN]            = { "in",            COHORT_OPERAND_LIST,      FALSE, N_("is one of") },
  [COHORT_OP_NOT_IN]        = { "not_in",        COHORT_OPERAND_LIST,      TRUE,  N_("is none of") },
  [COHORT_OP_EXISTS]        = { "exists",        COHORT_OPERAND_NONE,      FALSE, N_("is set") },
  [COHORT_OP_NOT_EXISTS]    = { "not_exists",    COHORT_OPERAND_NONE,      TRUE,  N_("is not set") },
  [COHORT_OP_CONTAINS]      = { "contains",      COHORT_OPERAND_STRING,    FALSE, N_("contains") },
  [COHORT_OP_NOT_CONTAINS]  = { "not_contains",  COHORT_OPERAND_STRING,    TRUE,  N_("does not contain") },
  [COHORT_OP_STARTS_WITH]   = { "starts_with",   COHORT_OPERAND_STRING,    FALSE, N_("starts with") },
  [COHORT_OP_ENDS_WITH]     = { "ends_with",     COHORT_OPERAND_STRING,    FALSE, N_("ends with") },
  [COHORT_OP_MATCHES]       = { "matches",       COHORT_OPERAND_REGEX,     FALSE, N_("matches") },
  [COHORT_OP_GT]            = { "gt",            COHORT_OPERAND_NUMBER,    FALSE, N_("is greater than") },
  [COHORT_OP_GTE]           = { "gte",           COHORT_OPERAND_NUMBER,    FALSE, N_("is at least") },
  [COHORT_OP_LT]            = { "lt",            COHORT_OPERAND_NUMBER,    FALSE, N_("is less than") },
  [COHORT_OP_LTE]           = { "lte",           COHORT_OPERAND_NUMBER,    FALSE, N_("is at most") },
  [COHORT_OP_BETWEEN]       = { "between",       COHORT_OPERAND_RANGE,     FALSE, N_("is between") },
  [COHORT_OP_IS_TRUE]       = { "is_true",       COHORT_OPERAND_NONE,      FALSE, N_("is true") },
  [COHORT_OP_IS_FALSE]      = { "is_false",      COHORT_OPERAND_NONE,      FALSE, N_("is false") },
  [COHORT_OP_BEFORE]        = { "before",        COHORT_OPERAND_TIMESTAMP, FALSE, N_("is before") },
  [COHORT_OP_AFTER]         = { "after",         COHORT_OPERAND_TIMESTAMP, FALSE, N_("is after") },
  [COHORT_OP_WITHIN_LAST]   = { "within_last",   COHORT_OPERAND_RELATIVE,  FALSE, N_("is within the last") },
  [COHORT_OP_MORE_THAN_AGO] = { "more_than_ago", COHORT_OPERAND_RELATIVE,  FALSE, N_("is more than") },
  [COHORT_OP_WITHIN_NEXT]   = { "within_next",   COHORT_OPERAND_RELATIVE,  FALSE, N_("is within the next") },
};

static const char *const unit_names[] = { "minutes", "hours", "days", "weeks" };
static const gint64 unit_seconds[] = { 60, 3600, 86400, 7 * 86400 };

const char *
cohort_operator_to_string (CohortOperator op)
{
  g_return_val_if_fail (op < COHORT_N_OPS, NULL);
  return operators[op].name;
}

gboolean
cohort_operator_from_string (const char     *str,
                             CohortOperator *op)
{
  if (str == NULL)
    return FALSE;
  for (guint i = 0; i < COHORT_N_OPS; i++)
    if (strcmp (operators[i].name, str) == 0)
      {
        *op = (CohortOperator) i;
        return TRUE;
      }
  return FALSE;
}

CohortOperand
cohort_operator_get_operand (CohortOperator op)
{
  g_return_val_if_fail (op < COHORT_N_OPS, COHORT_OPERAND_NONE);
  return operators[op].operand;
}

const char *
cohort_operator_get_label (CohortOperator op)
{
  g_return_val_if_fail (op < COHORT_N_OPS, NULL);
  return _(operators[op].label);
}

gboolean
cohort_operator_matches_missing (CohortOperator op)
{
  g_return_val_if_fail (op < COHORT_N_OPS, FALSE);
  return operators[op].matches_missing;
}

const char *
cohort_time_unit_to_string (CohortTimeUnit unit)
{
  g_return_val_if_fail (unit <= COHORT_UNIT_WEEKS, NULL);
  return unit_names[unit];
}

gint64
cohort_time_unit_seconds (CohortTimeUnit unit)
{
  g_return_val_if_fail (unit <= COHORT_UNIT_WEEKS, 0);
  return unit_seconds[unit];
}

/* ------------------------------------------------------------------ */
/* Freeing                                                              */

static void
condition_free (CohortCondition *cond)
{
  if (cond == NULL)
    return;
  g_free (cond->field);
  g_clear_pointer (&cond->value, json_node_unref);
  for (guint i = 0; i < cond->n_scalars; i++)
    g_free (cond->scalars[i].text);
  g_free (cond->scalars);
  g_free (cond->folded);
  g_clear_pointer (&cond->regex, g_regex_unref);
  g_free (cond);
}

static void
event_free (CohortEventCondition *ev)
{
  if (ev == NULL)
    return;
  g_free (ev->name);
  g_clear_pointer (&ev->within, json_node_unref);
  g_clear_pointer (&ev->since, json_node_unref);
  g_clear_pointer (&ev->until, json_node_unref);
  g_clear_pointer (&ev->where, g_ptr_array_unref);
  g_free (ev);
}

void
cohort_criteria_free (CohortCriteria *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->children, g_ptr_array_unref);
  condition_free (self->attribute);
  event_free (self->event);
  g_free (self->salt);
  g_free (self);
}

CohortCriteria *
cohort_criteria_copy (const CohortCriteria *self)
{
  g_autoptr(JsonNode) node = NULL;
  CohortCriteria *copy;

  g_return_val_if_fail (self != NULL, NULL);
  node = cohort_criteria_to_json_node (self);
  copy = cohort_criteria_parse_node (node, NULL);
  g_assert (copy != NULL);
  return copy;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

typedef struct
{
  GString *path;
  guint    depth;    /* and/or/not nodes above the current one */
} Parser;

/* JSON nesting a valid criteria text can have: two levels per and/or
 * ({"and": [...]}), one per not, and at most five in a condition
 * ({"event": {"where": [{"value": {...}}]}}). Anything deeper is refused
 * before json-glib, which parses recursively, sees it. */
#define JSON_DEPTH_LIMIT (2 * COHORT_CRITERIA_MAX_DEPTH + 8)

/* A path for a message: a very deep one keeps its head and its tail,
 * cut between steps ("and[0].not.not….not.attribute"). */
static char *
shorten_path (const char *path)
{
  gsize len = strlen (path), head = 60, tail;

  if (len <= 120)
    return g_strdup (path);
  while (head > 0 && path[head] != '.')
    head--;
  tail = len - 50;
  while (tail < len && path[tail] != '.')
    tail++;
  if (head == 0 || tail >= len)
    return g_strdup (path);
  return g_strdup_printf ("%.*s…%s", (int) head, path, path + tail);
}

static void
set_too_deep (const char  *path,
              GError     **error)
{
  g_autofree char *shown = shorten_path (path);

  g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_DEEP,
               _("%s: criteria nest deeper than %d levels"),
               *shown != '\0' ? shown : "criteria", COHORT_CRITERIA_MAX_DEPTH);
}

/* The regular expression of "matches", its work per value bounded by
 * COHORT_REGEX_MATCH_LIMIT (a start-of-pattern setting PCRE2 honours in
 * the interpreter and in JIT code alike). */
static GRegex *
compile_regex (const char  *pattern,
               GError     **error)
{
  g_autofree char *limited = g_strdup_printf ("(*LIMIT_MATCH=%d)%s", COHORT_REGEX_MATCH_LIMIT, pattern);
  GRegex *regex = g_regex_new (limited, G_REGEX_OPTIMIZE, 0, NULL);

  if (regex != NULL)
    return regex;
  /* The message and offsets of the pattern as written. */
  regex = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, error);
  if (regex != NULL)
    {
      g_regex_unref (regex);
      g_set_error_literal (error, G_REGEX_ERROR, G_REGEX_ERROR_COMPILE,
                           _("the pattern cannot be given a match limit"));
    }
  return NULL;
}

/* Appends ".key" (or "key" at the top) and returns the old length. */
static gsize
path_push_key (Parser *p, const char *key)
{
  gsize old = p->path->len;

  if (p->path->len > 0)
    g_string_append_c (p->path, '.');
  g_string_append (p->path, key);
  return old;
}

static gsize
path_push_index (Parser *p, guint index)
{
  gsize old = p->path->len;

  g_string_append_printf (p->path, "[%u]", index);
  return old;
}

static void
path_pop (Parser *p, gsize old)
{
  g_string_truncate (p->path, old);
}

static gboolean parser_fail (Parser *p, GError **error, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
parser_fail (Parser      *p,
             GError     **error,
             const char  *format,
             ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  /* The top level has no path of its own. */
  g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID,
               "%s: %s", p->path->len > 0 ? p->path->str : "criteria", msg);
  return FALSE;
}

static const char *
node_type_name (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "an array";
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    default:
      return "a number";
    }
}

static gboolean
node_is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
node_is_number (JsonNode *node)
{
  GType t;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  t = json_node_get_value_type (node);
  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

static gboolean
node_is_integer (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_INT64;
}

/* Checks that @obj has only the keys in @allowed (NULL-terminated). */
static gboolean
check_keys (Parser              *p,
            JsonObject          *obj,
            const char *const   *allowed,
            GError             **error)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *member;

  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &key, &member))
    {
      if (!g_strv_contains (allowed, key))
        {
          gsize old = path_push_key (p, key);
          g_autofree char *list = g_strjoinv (", ", (char **) allowed);

          parser_fail (p, error, _("unknown key “%s” (expected %s)"), key, list);
          path_pop (p, old);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_scalar (Parser        *p,
              JsonNode      *node,
              CohortScalar  *out,
              GError       **error)
{
  out->boolean = COHORT_BOOL_NEITHER;
  out->is_number = FALSE;
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    {
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          {
            const char *s = json_node_get_string (node);

            out->text = g_strdup (s);
            out->is_number = cohort_value_parse_number (s, strlen (s), &out->number);
            return TRUE;
          }
        case G_TYPE_INT64:
          out->number = (double) json_node_get_int (node);
          out->text = g_strdup_printf ("%" PRId64, json_node_get_int (node));
          out->is_number = TRUE;
          return TRUE;
        case G_TYPE_DOUBLE:
          {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];

            out->number = json_node_get_double (node);
            out->text = g_strdup (g_ascii_dtostr (buf, sizeof buf, out->number));
            out->is_number = isfinite (out->number);
            return TRUE;
          }
        case G_TYPE_BOOLEAN:
          out->boolean = json_node_get_boolean (node) ? COHORT_BOOL_TRUE : COHORT_BOOL_FALSE;
          out->text = g_strdup (json_node_get_boolean (node) ? "true" : "false");
          return TRUE;
        default:
          break;
        }
    }
  return parser_fail (p, error, _("must be a string, a number or a boolean, not %s"),
                      node_type_name (node));
}

/* A JSON number (spec: gt/gte/lt/lte/between take numbers; "30" is a
 * string, a wrong value type). */
static gboolean
parse_number_value (Parser    *p,
                    JsonNode  *node,
                    double    *out,
                    GError   **error)
{
  if (node_is_number (node))
    {
      *out = json_node_get_double (node);
      if (isfinite (*out))
        return TRUE;
    }
  return parser_fail (p, error, _("must be a number, not %s"), node_type_name (node));
}

/* Unix seconds (a number) or an ISO 8601 string. */
static gboolean
parse_timestamp_value (Parser    *p,
                       JsonNode  *node,
                       gint64    *out,
                       GError   **error)
{
  if (node_is_integer (node))
    {
      *out = json_node_get_int (node);
      return TRUE;
    }
  if (node_is_number (node))
    {
      double v = json_node_get_double (node);

      if (isfinite (v) && v > -1e15 && v < 1e15)
        {
          *out = (gint64) floor (v);
          return TRUE;
        }
      return parser_fail (p, error, _("is not a usable time"));
    }
  if (node_is_string (node))
    {
      const char *s = json_node_get_string (node);

      if (cohort_value_parse_timestamp (s, strlen (s), out))
        return TRUE;
      return parser_fail (p, error,
                          _("“%s” is not a time (use Unix seconds or ISO 8601 such as 2024-02-24T15:28:16Z)"),
                          s);
    }
  return parser_fail (p, error, _("must be a time (Unix seconds or an ISO 8601 string), not %s"),
                      node_type_name (node));
}

/* {"amount": N, "unit": U} */
static gboolean
parse_relative (Parser    *p,
                JsonNode  *node,
                gint64    *seconds,
                GError   **error)
{
  static const char *const keys[] = { "amount", "unit", NULL };
  JsonObject *obj;
  JsonNode *amount, *unit;
  double n;
  guint u;
  gsize old;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return parser_fail (p, error, _("must be an object like {\"amount\": 7, \"unit\": \"days\"}, not %s"),
                        node_type_name (node));
  obj = json_node_get_object (node);
  if (!check_keys (p, obj, keys, error))
    return FALSE;

  amount = json_object_get_member (obj, "amount");
  old = path_push_key (p, "amount");
  if (amount == NULL)
    return parser_fail (p, error, _("is missing"));
  if (!node_is_number (amount))
    return parser_fail (p, error, _("must be a number, not %s"), node_type_name (amount));
  n = json_node_get_double (amount);
  if (!isfinite (n) || n < 0 || n > 1e9)
    return parser_fail (p, error, _("must be a number from 0 to 1000000000"));
  path_pop (p, old);

  unit = json_object_get_member (obj, "unit");
  old = path_push_key (p, "unit");
  if (unit == NULL)
    return parser_fail (p, error, _("is missing"));
  if (!node_is_string (unit))
    return parser_fail (p, error, _("must be a string, not %s"), node_type_name (unit));
  for (u = 0; u < G_N_ELEMENTS (unit_names); u++)
    if (strcmp (unit_names[u], json_node_get_string (unit)) == 0)
      break;
  if (u == G_N_ELEMENTS (unit_names))
    return parser_fail (p, error, _("unknown unit “%s” (expected minutes, hours, days or weeks)"),
                        json_node_get_string (unit));
  path_pop (p, old);

  *seconds = (gint64) llround (n * (double) unit_seconds[u]);
  return TRUE;
}

/* The object of an "attribute" node or of an event's "where" entry;
 * p->path names that object. */
static CohortCondition *
parse_condition (Parser    *p,
                 JsonNode  *node,
                 GError   **error)
{
  static const char *const keys[] = { "field", "operator", "value", NULL };
  g_autoptr(GError) local_error = NULL;
  CohortCondition *cond;
  JsonObject *obj;
  JsonNode *field, *op, *value;
  gsize old;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      parser_fail (p, error, _("must be an object with field, operator and value, not %s"),
                   node_type_name (node));
      return NULL;
    }
  obj = json_node_get_object (node);
  if (!check_keys (p, obj, keys, error))
    return NULL;

  cond = g_new0 (CohortCondition, 1);

  field = json_object_get_member (obj, "field");
  old = path_push_key (p, "field");
  if (field == NULL)
    goto fail_missing;
  if (!node_is_string (field))
    {
      parser_fail (p, error, _("must be a string, not %s"), node_type_name (field));
      goto fail;
    }
  if (json_node_get_string (field)[0] == '\0')
    {
      parser_fail (p, error, _("must not be empty"));
      goto fail;
    }
  cond->field = g_strdup (json_node_get_string (field));
  path_pop (p, old);

  op = json_object_get_member (obj, "operator");
  old = path_push_key (p, "operator");
  if (op == NULL)
    goto fail_missing;
  if (!node_is_string (op))
    {
      parser_fail (p, error, _("must be a string, not %s"), node_type_name (op));
      goto fail;
    }
  if (!cohort_operator_from_string (json_node_get_string (op), &cond->op))
    {
      parser_fail (p, error, _("unknown operator “%s”"), json_node_get_string (op));
      goto fail;
    }
  path_pop (p, old);

  value = json_object_get_member (obj, "value");
  old = path_push_key (p, "value");
  switch (operators[cond->op].operand)
    {
    case COHORT_OPERAND_NONE:
      /* Ignored when given. */
      break;

    case COHORT_OPERAND_SCALAR:
      if (value == NULL)
        goto fail_missing;
      cond->scalars = g_new0 (CohortScalar, 1);
      cond->n_scalars = 1;
      if (!parse_scalar (p, value, &cond->scalars[0], error))
        goto fail;
      break;

    case COHORT_OPERAND_LIST:
      {
        JsonArray *array;
        guint n;

        if (value == NULL)
          goto fail_missing;
        if (!JSON_NODE_HOLDS_ARRAY (value))
          {
            parser_fail (p, error, _("must be an array of values, not %s"), node_type_name (value));
            goto fail;
          }
        array = json_node_get_array (value);
        n = json_array_get_length (array);
        cond->scalars = g_new0 (CohortScalar, MAX (n, 1));
        for (guint i = 0; i < n; i++)
          {
            gsize old_i = path_push_index (p, i);

            cond->n_scalars = i + 1;
            if (!parse_scalar (p, json_array_get_element (array, i), &cond->scalars[i], error))
              goto fail;
            path_pop (p, old_i);
          }
      }
      break;

    case COHORT_OPERAND_STRING:
      if (value == NULL)
        goto fail_missing;
      if (!node_is_string (value))
        {
          parser_fail (p, error, _("must be a string, not %s"), node_type_name (value));
          goto fail;
        }
      cond->folded = cohort_value_fold (json_node_get_string (value), -1);
      break;

    case COHORT_OPERAND_REGEX:
      if (value == NULL)
        goto fail_missing;
      if (!node_is_string (value))
        {
          parser_fail (p, error, _("must be a string, not %s"), node_type_name (value));
          goto fail;
        }
      cond->regex = compile_regex (json_node_get_string (value), &local_error);
      if (cond->regex == NULL)
        {
          parser_fail (p, error, _("invalid regular expression: %s"), local_error->message);
          goto fail;
        }
      break;

    case COHORT_OPERAND_NUMBER:
      if (value == NULL)
        goto fail_missing;
      if (!parse_number_value (p, value, &cond->low, error))
        goto fail;
      break;

    case COHORT_OPERAND_RANGE:
      {
        JsonArray *array;
        gsize old_i;

        if (value == NULL)
          goto fail_missing;
        if (!JSON_NODE_HOLDS_ARRAY (value) || json_array_get_length (json_node_get_array (value)) != 2)
          {
            parser_fail (p, error, _("must be an array of two numbers [low, high]"));
            goto fail;
          }
        array = json_node_get_array (value);
        old_i = path_push_index (p, 0);
        if (!parse_number_value (p, json_array_get_element (array, 0), &cond->low, error))
          goto fail;
        path_pop (p, old_i);
        old_i = path_push_index (p, 1);
        if (!parse_number_value (p, json_array_get_element (array, 1), &cond->high, error))
          goto fail;
        path_pop (p, old_i);
      }
      break;

    case COHORT_OPERAND_TIMESTAMP:
      if (value == NULL)
        goto fail_missing;
      if (!parse_timestamp_value (p, value, &cond->timestamp, error))
        goto fail;
      break;

    case COHORT_OPERAND_RELATIVE:
      if (value == NULL)
        goto fail_missing;
      if (!parse_relative (p, value, &cond->seconds, error))
        goto fail;
      break;

    default:
      g_assert_not_reached ();
    }
  path_pop (p, old);

  if (operators[cond->op].operand != COHORT_OPERAND_NONE)
    cond->value = json_node_copy (value);
  return cond;

fail_missing:
  parser_fail (p, error, _("is missing"));
fail:
  condition_free (cond);
  return NULL;
}

static CohortCriteria *parse_node (Parser *p, JsonNode *node, GError **error);

static CohortEventCondition *
parse_event (Parser    *p,
             JsonNode  *node,
             GError   **error)
{
  static const char *const keys[] = { "name", "operator", "count", "within", "since", "until", "where", NULL };
  CohortEventCondition *ev;
  JsonObject *obj;
  JsonNode *m;
  gsize old;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      parser_fail (p, error, _("must be an object, not %s"), node_type_name (node));
      return NULL;
    }
  obj = json_node_get_object (node);
  if (!check_keys (p, obj, keys, error))
    return NULL;

  ev = g_new0 (CohortEventCondition, 1);
  ev->performed = TRUE;
  ev->count_op = COHORT_OP_GTE;
  ev->count_value = 1;
  ev->where = g_ptr_array_new_with_free_func ((GDestroyNotify) condition_free);

  m = json_object_get_member (obj, "name");
  old = path_push_key (p, "name");
  if (m == NULL)
    {
      parser_fail (p, error, _("is missing"));
      goto fail;
    }
  if (!node_is_string (m) || json_node_get_string (m)[0] == '\0')
    {
      parser_fail (p, error, _("must be a non-empty string"));
      goto fail;
    }
  ev->name = g_strdup (json_node_get_string (m));
  path_pop (p, old);

  m = json_object_get_member (obj, "operator");
  old = path_push_key (p, "operator");
  if (m != NULL)
    {
      const char *s = node_is_string (m) ? json_node_get_string (m) : "";

      if (strcmp (s, "performed") == 0)
        ev->performed = TRUE;
      else if (strcmp (s, "not_performed") == 0)
        ev->performed = FALSE;
      else
        {
          parser_fail (p, error, _("must be “performed” or “not_performed”"));
          goto fail;
        }
    }
  path_pop (p, old);

  m = json_object_get_member (obj, "count");
  old = path_push_key (p, "count");
  if (m != NULL)
    {
      static const char *const count_keys[] = { "operator", "value", NULL };
      JsonObject *cobj;
      JsonNode *cop, *cval;
      gsize old2;

      if (!JSON_NODE_HOLDS_OBJECT (m))
        {
          parser_fail (p, error, _("must be an object like {\"operator\": \"gte\", \"value\": 3}"));
          goto fail;
        }
      cobj = json_node_get_object (m);
      if (!check_keys (p, cobj, count_keys, error))
        goto fail;
      cop = json_object_get_member (cobj, "operator");
      old2 = path_push_key (p, "operator");
      if (cop == NULL)
        {
          parser_fail (p, error, _("is missing"));
          goto fail;
        }
      if (node_is_string (cop) && strcmp (json_node_get_string (cop), "gte") == 0)
        ev->count_op = COHORT_OP_GTE;
      else if (node_is_string (cop) && strcmp (json_node_get_string (cop), "lte") == 0)
        ev->count_op = COHORT_OP_LTE;
      else if (node_is_string (cop) && strcmp (json_node_get_string (cop), "eq") == 0)
        ev->count_op = COHORT_OP_EQ;
      else
        {
          parser_fail (p, error, _("must be “gte”, “lte” or “eq”"));
          goto fail;
        }
      path_pop (p, old2);
      cval = json_object_get_member (cobj, "value");
      old2 = path_push_key (p, "value");
      if (cval == NULL)
        {
          parser_fail (p, error, _("is missing"));
          goto fail;
        }
      if (!node_is_integer (cval) || json_node_get_int (cval) < 0)
        {
          parser_fail (p, error, _("must be a whole number, 0 or more"));
          goto fail;
        }
      ev->count_value = json_node_get_int (cval);
      path_pop (p, old2);
      ev->has_count = TRUE;
    }
  path_pop (p, old);

  m = json_object_get_member (obj, "within");
  old = path_push_key (p, "within");
  if (m != NULL)
    {
      if (!parse_relative (p, m, &ev->within_seconds, error))
        goto fail;
      ev->within = json_node_copy (m);
    }
  path_pop (p, old);

  m = json_object_get_member (obj, "since");
  old = path_push_key (p, "since");
  if (m != NULL)
    {
      if (!parse_timestamp_value (p, m, &ev->since_ts, error))
        goto fail;
      ev->since = json_node_copy (m);
    }
  path_pop (p, old);

  m = json_object_get_member (obj, "until");
  old = path_push_key (p, "until");
  if (m != NULL)
    {
      if (!parse_timestamp_value (p, m, &ev->until_ts, error))
        goto fail;
      ev->until = json_node_copy (m);
    }
  path_pop (p, old);

  m = json_object_get_member (obj, "where");
  old = path_push_key (p, "where");
  if (m != NULL)
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (m))
        {
          parser_fail (p, error, _("must be an array of conditions, not %s"), node_type_name (m));
          goto fail;
        }
      array = json_node_get_array (m);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          gsize old_i = path_push_index (p, i);
          CohortCondition *cond = parse_condition (p, json_array_get_element (array, i), error);

          if (cond == NULL)
            goto fail;
          g_ptr_array_add (ev->where, cond);
          path_pop (p, old_i);
        }
    }
  path_pop (p, old);
  return ev;

fail:
  event_free (ev);
  return NULL;
}

static gboolean
parse_sample (Parser          *p,
              JsonNode        *node,
              CohortCriteria  *out,
              GError         **error)
{
  static const char *const keys[] = { "percent", "salt", NULL };
  JsonObject *obj;
  JsonNode *m;
  gsize old;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return parser_fail (p, error, _("must be an object like {\"percent\": 10, \"salt\": \"spring\"}, not %s"),
                        node_type_name (node));
  obj = json_node_get_object (node);
  if (!check_keys (p, obj, keys, error))
    return FALSE;

  m = json_object_get_member (obj, "percent");
  old = path_push_key (p, "percent");
  if (m == NULL)
    return parser_fail (p, error, _("is missing"));
  if (!node_is_integer (m) || json_node_get_int (m) < 0 || json_node_get_int (m) > 100)
    return parser_fail (p, error, _("must be a whole number from 0 to 100"));
  out->percent = (guint) json_node_get_int (m);
  path_pop (p, old);

  m = json_object_get_member (obj, "salt");
  old = path_push_key (p, "salt");
  if (m == NULL)
    return parser_fail (p, error, _("is missing"));
  if (!node_is_string (m))
    return parser_fail (p, error, _("must be a string, not %s"), node_type_name (m));
  out->salt = g_strdup (json_node_get_string (m));
  path_pop (p, old);
  return TRUE;
}

static gboolean
parse_children (Parser          *p,
                JsonNode        *node,
                CohortCriteria  *out,
                GError         **error)
{
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return parser_fail (p, error, _("must be an array of nodes, not %s"), node_type_name (node));
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      gsize old = path_push_index (p, i);
      CohortCriteria *child = parse_node (p, json_array_get_element (array, i), error);

      if (child == NULL)
        return FALSE;
      g_ptr_array_add (out->children, child);
      path_pop (p, old);
    }
  return TRUE;
}

static const char *const node_keys[] = { "and", "or", "not", "attribute", "segment", "event", "sample", NULL };

static CohortCriteria *
parse_node (Parser    *p,
            JsonNode  *node,
            GError   **error)
{
  g_autoptr(CohortCriteria) self = NULL;
  JsonObject *obj;
  JsonObjectIter iter;
  const char *key = NULL, *k;
  JsonNode *value = NULL, *v;
  guint n_known = 0;
  gsize old;
  gboolean ok = FALSE;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      parser_fail (p, error, _("must be a node object such as {\"and\": [...]}, not %s"),
                   node_type_name (node));
      return NULL;
    }
  obj = json_node_get_object (node);

  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &k, &v))
    {
      if (!g_strv_contains (node_keys, k))
        {
          gsize o = path_push_key (p, k);

          parser_fail (p, error, _("unknown key “%s” (a node is one of and, or, not, attribute, segment, event, sample)"), k);
          path_pop (p, o);
          return NULL;
        }
      if (n_known++ == 0)
        {
          key = k;
          value = v;
        }
    }
  if (n_known == 0)
    {
      parser_fail (p, error, _("an empty node (expected one of and, or, not, attribute, segment, event, sample)"));
      return NULL;
    }
  if (n_known > 1)
    {
      parser_fail (p, error, _("a node has exactly one key, this one has %u"), n_known);
      return NULL;
    }

  if ((strcmp (key, "and") == 0 || strcmp (key, "or") == 0 || strcmp (key, "not") == 0) &&
      p->depth >= COHORT_CRITERIA_MAX_DEPTH)
    {
      /* Checked before going down: no walker ever sees a deeper tree. */
      set_too_deep (p->path->str, error);
      return NULL;
    }

  self = g_new0 (CohortCriteria, 1);
  old = path_push_key (p, key);
  if (strcmp (key, "and") == 0 || strcmp (key, "or") == 0)
    {
      self->kind = key[0] == 'a' ? COHORT_CRITERIA_AND : COHORT_CRITERIA_OR;
      self->children = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_criteria_free);
      p->depth++;
      ok = parse_children (p, value, self, error);
      p->depth--;
    }
  else if (strcmp (key, "not") == 0)
    {
      CohortCriteria *child;

      self->kind = COHORT_CRITERIA_NOT;
      self->children = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_criteria_free);
      p->depth++;
      child = parse_node (p, value, error);
      p->depth--;
      if (child != NULL)
        {
          g_ptr_array_add (self->children, child);
          ok = TRUE;
        }
    }
  else if (strcmp (key, "attribute") == 0)
    {
      self->kind = COHORT_CRITERIA_ATTRIBUTE;
      self->attribute = parse_condition (p, value, error);
      ok = self->attribute != NULL;
    }
  else if (strcmp (key, "segment") == 0)
    {
      static const char *const keys[] = { "id", NULL };
      JsonNode *id;

      self->kind = COHORT_CRITERIA_SEGMENT;
      if (value == NULL || !JSON_NODE_HOLDS_OBJECT (value))
        parser_fail (p, error, _("must be an object like {\"id\": 4}, not %s"), node_type_name (value));
      else if (check_keys (p, json_node_get_object (value), keys, error))
        {
          gsize o = path_push_key (p, "id");

          id = json_object_get_member (json_node_get_object (value), "id");
          if (id == NULL)
            parser_fail (p, error, _("is missing"));
          else if (!node_is_integer (id) || json_node_get_int (id) < 1)
            parser_fail (p, error, _("must be a segment id (a whole number, 1 or more)"));
          else
            {
              self->segment_id = json_node_get_int (id);
              ok = TRUE;
            }
          path_pop (p, o);
        }
    }
  else if (strcmp (key, "event") == 0)
    {
      self->kind = COHORT_CRITERIA_EVENT;
      self->event = parse_event (p, value, error);
      ok = self->event != NULL;
    }
  else
    {
      self->kind = COHORT_CRITERIA_SAMPLE;
      ok = parse_sample (p, value, self, error);
    }
  if (!ok)
    return NULL;
  path_pop (p, old);
  return g_steal_pointer (&self);
}

CohortCriteria *
cohort_criteria_parse_node (JsonNode  *node,
                            GError   **error)
{
  Parser p = { 0 };
  CohortCriteria *result;

  p.path = g_string_new (NULL);
  result = parse_node (&p, node, error);
  g_string_free (p.path, TRUE);
  return result;
}

CohortCriteria *
cohort_criteria_parse (const char  *json,
                       GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (json != NULL, NULL);

  if (!cohort_criteria_check_json_depth (json, -1, error))
    return NULL;
  if (!json_parser_load_from_data (parser, json, -1, &local_error))
    {
      g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID,
                   _("criteria: not valid JSON: %s"), local_error->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID,
                           _("criteria: empty (not valid JSON)"));
      return NULL;
    }
  return cohort_criteria_parse_node (json_parser_get_root (parser), error);
}

typedef struct
{
  const char *key;        /* objects: the current member's name, raw */
  gsize       key_len;
  guint       index;      /* arrays: the current element */
  gboolean    is_array;
  gboolean    want_key;   /* objects: the next string is a name */
} ScanFrame;

static void
scan_path (GString         *path,
           const ScanFrame *frames,
           guint            depth)
{
  for (guint d = 0; d < depth; d++)
    {
      if (frames[d].is_array)
        g_string_append_printf (path, "[%u]", frames[d].index);
      else if (frames[d].key != NULL)
        {
          if (path->len > 0)
            g_string_append_c (path, '.');
          g_string_append_len (path, frames[d].key, (gssize) MIN (frames[d].key_len, 64));
        }
    }
}

gboolean
cohort_criteria_check_json_depth (const char  *json,
                                  gssize       length,
                                  GError     **error)
{
  gsize len;
  g_autofree ScanFrame *frames = NULL;
  guint depth = 0;

  g_return_val_if_fail (json != NULL, FALSE);

  len = length < 0 ? strlen (json) : (gsize) length;
  frames = g_new0 (ScanFrame, JSON_DEPTH_LIMIT);
  for (gsize i = 0; i < len; i++)
    {
      switch (json[i])
        {
        case '"':
          {
            gsize start = ++i;

            while (i < len && json[i] != '"')
              i += json[i] == '\\' ? 2 : 1;
            if (depth > 0 && frames[depth - 1].want_key)
              {
                frames[depth - 1].key = json + start;
                frames[depth - 1].key_len = MIN (i, len) - start;
                frames[depth - 1].want_key = FALSE;
              }
          }
          break;
        case '{':
        case '[':
          if (depth == JSON_DEPTH_LIMIT)
            {
              g_autoptr(GString) path = g_string_new (NULL);

              scan_path (path, frames, depth);
              set_too_deep (path->str, error);
              return FALSE;
            }
          frames[depth].key = NULL;
          frames[depth].key_len = 0;
          frames[depth].index = 0;
          frames[depth].is_array = json[i] == '[';
          frames[depth].want_key = json[i] == '{';
          depth++;
          break;
        case '}':
        case ']':
          if (depth > 0)
            depth--;
          break;
        case ',':
          if (depth > 0)
            {
              if (frames[depth - 1].is_array)
                frames[depth - 1].index++;
              else
                frames[depth - 1].want_key = TRUE;
            }
          break;
        default:
          break;
        }
    }
  return TRUE;
}

JsonNode *
cohort_criteria_json_from_string (const char  *json,
                                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonNode *node;

  g_return_val_if_fail (json != NULL, NULL);

  if (!cohort_criteria_check_json_depth (json, -1, error))
    return NULL;
  node = json_from_string (json, &local_error);
  if (node == NULL)
    {
      if (local_error != NULL)
        g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID,
                     _("criteria: not valid JSON: %s"), local_error->message);
      else
        g_set_error_literal (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID,
                             _("criteria: empty (not valid JSON)"));
    }
  return node;
}

char *
cohort_criteria_error_get_path (const GError *error)
{
  const char *colon;

  if (error == NULL || error->domain != COHORT_CRITERIA_ERROR)
    return NULL;
  colon = strstr (error->message, ": ");
  if (colon == NULL)
    return NULL;
  if (colon - error->message == 8 && g_str_has_prefix (error->message, "criteria"))
    return g_strdup ("");
  return g_strndup (error->message, (gsize) (colon - error->message));
}

/* ------------------------------------------------------------------ */
/* Serializing                                                          */

static JsonNode *
condition_to_json (const CohortCondition *cond)
{
  JsonObject *obj = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (obj, "field", cond->field);
  json_object_set_string_member (obj, "operator", operators[cond->op].name);
  if (cond->value != NULL)
    json_object_set_member (obj, "value", json_node_copy (cond->value));
  json_node_take_object (node, obj);
  return node;
}

static JsonNode *
wrap (const char *key, JsonNode *value)
{
  JsonObject *obj = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_member (obj, key, value);
  json_node_take_object (node, obj);
  return node;
}

JsonNode *
cohort_criteria_to_json_node (const CohortCriteria *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  switch (self->kind)
    {
    case COHORT_CRITERIA_AND:
    case COHORT_CRITERIA_OR:
      {
        JsonArray *array = json_array_new ();
        JsonNode *node = json_node_new (JSON_NODE_ARRAY);

        for (guint i = 0; i < self->children->len; i++)
          json_array_add_element (array, cohort_criteria_to_json_node (g_ptr_array_index (self->children, i)));
        json_node_take_array (node, array);
        return wrap (self->kind == COHORT_CRITERIA_AND ? "and" : "or", node);
      }
    case COHORT_CRITERIA_NOT:
      return wrap ("not", cohort_criteria_to_json_node (g_ptr_array_index (self->children, 0)));
    case COHORT_CRITERIA_ATTRIBUTE:
      return wrap ("attribute", condition_to_json (self->attribute));
    case COHORT_CRITERIA_SEGMENT:
      {
        JsonObject *obj = json_object_new ();
        JsonNode *node = json_node_new (JSON_NODE_OBJECT);

        json_object_set_int_member (obj, "id", self->segment_id);
        json_node_take_object (node, obj);
        return wrap ("segment", node);
      }
    case COHORT_CRITERIA_EVENT:
      {
        const CohortEventCondition *ev = self->event;
        JsonObject *obj = json_object_new ();
        JsonNode *node = json_node_new (JSON_NODE_OBJECT);

        json_object_set_string_member (obj, "name", ev->name);
        json_object_set_string_member (obj, "operator", ev->performed ? "performed" : "not_performed");
        if (ev->has_count)
          {
            JsonObject *c = json_object_new ();

            json_object_set_string_member (c, "operator", operators[ev->count_op].name);
            json_object_set_int_member (c, "value", ev->count_value);
            json_object_set_object_member (obj, "count", c);
          }
        if (ev->within != NULL)
          json_object_set_member (obj, "within", json_node_copy (ev->within));
        if (ev->since != NULL)
          json_object_set_member (obj, "since", json_node_copy (ev->since));
        if (ev->until != NULL)
          json_object_set_member (obj, "until", json_node_copy (ev->until));
        if (ev->where->len > 0)
          {
            JsonArray *array = json_array_new ();

            for (guint i = 0; i < ev->where->len; i++)
              json_array_add_element (array, condition_to_json (g_ptr_array_index (ev->where, i)));
            json_object_set_array_member (obj, "where", array);
          }
        json_node_take_object (node, obj);
        return wrap ("event", node);
      }
    case COHORT_CRITERIA_SAMPLE:
      {
        JsonObject *obj = json_object_new ();
        JsonNode *node = json_node_new (JSON_NODE_OBJECT);

        json_object_set_int_member (obj, "percent", self->percent);
        json_object_set_string_member (obj, "salt", self->salt);
        json_node_take_object (node, obj);
        return wrap ("sample", node);
      }
    default:
      g_assert_not_reached ();
    }
}

char *
cohort_criteria_to_string (const CohortCriteria *self,
                           gboolean              pretty)
{
  g_autoptr(JsonNode) node = cohort_criteria_to_json_node (self);

  return json_to_string (node, pretty);
}

/* ------------------------------------------------------------------ */
/* References                                                           */

static void
collect_refs (const CohortCriteria *self,
              GString              *path,
              GPtrArray            *out)
{
  gsize old = path->len;

  switch (self->kind)
    {
    case COHORT_CRITERIA_AND:
    case COHORT_CRITERIA_OR:
      for (guint i = 0; i < self->children->len; i++)
        {
          g_string_append_printf (path, "%s%s[%u]", path->len ? "." : "",
                                  self->kind == COHORT_CRITERIA_AND ? "and" : "or", i);
          collect_refs (g_ptr_array_index (self->children, i), path, out);
          g_string_truncate (path, old);
        }
      break;
    case COHORT_CRITERIA_NOT:
      g_string_append_printf (path, "%snot", path->len ? "." : "");
      collect_refs (g_ptr_array_index (self->children, 0), path, out);
      g_string_truncate (path, old);
      break;
    case COHORT_CRITERIA_SEGMENT:
      {
        CohortSegmentRef *ref = g_new0 (CohortSegmentRef, 1);

        ref->segment_id = self->segment_id;
        ref->path = g_strdup_printf ("%s%ssegment.id", path->str, path->len ? "." : "");
        g_ptr_array_add (out, ref);
      }
      break;
    default:
      break;
    }
}

static void
segment_ref_free (CohortSegmentRef *ref)
{
  g_free (ref->path);
  g_free (ref);
}

GPtrArray *
cohort_criteria_collect_refs (const CohortCriteria *self)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) segment_ref_free);
  g_autoptr(GString) path = g_string_new (NULL);

  collect_refs (self, path, out);
  return out;
}

static int
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

GArray *
cohort_criteria_collect_segment_ids (const CohortCriteria *self)
{
  g_autoptr(GPtrArray) refs = cohort_criteria_collect_refs (self);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < refs->len; i++)
    g_array_append_val (ids, ((CohortSegmentRef *) g_ptr_array_index (refs, i))->segment_id);
  g_array_sort (ids, compare_int64);
  for (guint i = 1; i < ids->len;)
    {
      if (g_array_index (ids, gint64, i) == g_array_index (ids, gint64, i - 1))
        g_array_remove_index (ids, i);
      else
        i++;
    }
  return ids;
}

gboolean
cohort_criteria_uses_events (const CohortCriteria *self)
{
  if (self->kind == COHORT_CRITERIA_EVENT)
    return TRUE;
  if (self->children != NULL)
    for (guint i = 0; i < self->children->len; i++)
      if (cohort_criteria_uses_events (g_ptr_array_index (self->children, i)))
        return TRUE;
  return FALSE;
}

static void
collect_fields (const CohortCriteria *self,
                GPtrArray            *out)
{
  if (self->kind == COHORT_CRITERIA_ATTRIBUTE)
    {
      for (guint i = 0; i < out->len; i++)
        if (strcmp (g_ptr_array_index (out, i), self->attribute->field) == 0)
          return;
      g_ptr_array_add (out, g_strdup (self->attribute->field));
    }
  if (self->children != NULL)
    for (guint i = 0; i < self->children->len; i++)
      collect_fields (g_ptr_array_index (self->children, i), out);
}

GPtrArray *
cohort_criteria_collect_fields (const CohortCriteria *self)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  collect_fields (self, out);
  return out;
}

/* ------------------------------------------------------------------ */
/* Describing                                                           */

static void
describe_time (GString *out, gint64 ts)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ts);

  if (dt == NULL)
    g_string_append_printf (out, "%" PRId64, ts);
  else if (g_date_time_get_hour (dt) == 0 && g_date_time_get_minute (dt) == 0 &&
           g_date_time_get_second (dt) == 0)
    {
      g_autofree char *s = g_date_time_format (dt, "%Y-%m-%d");
      g_string_append (out, s);
    }
  else
    {
      g_autofree char *s = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S UTC");
      g_string_append (out, s);
    }
}

static void
describe_relative (GString *out, JsonNode *value)
{
  JsonObject *obj = json_node_get_object (value);
  double amount = json_object_get_double_member (obj, "amount");
  const char *unit = json_object_get_string_member (obj, "unit");
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  gulong n = (gulong) amount;
  const char *num;

  if ((double) n == amount)
    {
      g_snprintf (buf, sizeof buf, "%lu", n);
      num = buf;
    }
  else
    {
      num = g_ascii_dtostr (buf, sizeof buf, amount);
      n = 2;   /* plural for fractions */
    }
  if (strcmp (unit, "minutes") == 0)
    g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%s minute", "%s minutes", n), num);
  else if (strcmp (unit, "hours") == 0)
    g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%s hour", "%s hours", n), num);
  else if (strcmp (unit, "days") == 0)
    g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%s day", "%s days", n), num);
  else
    g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%s week", "%s weeks", n), num);
}

static void
describe_scalar (GString *out, const CohortScalar *s)
{
  if (s->boolean != COHORT_BOOL_NEITHER || s->is_number)
    g_string_append (out, s->text);
  else
    g_string_append_printf (out, "“%s”", s->text);
}

static void
describe_condition (GString *out, const CohortCondition *c)
{
  g_string_append_printf (out, "%s %s", c->field, _(operators[c->op].label));
  switch (operators[c->op].operand)
    {
    case COHORT_OPERAND_NONE:
      break;
    case COHORT_OPERAND_SCALAR:
      g_string_append_c (out, ' ');
      describe_scalar (out, &c->scalars[0]);
      break;
    case COHORT_OPERAND_LIST:
      g_string_append_c (out, ' ');
      for (guint i = 0; i < c->n_scalars; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          describe_scalar (out, &c->scalars[i]);
        }
      if (c->n_scalars == 0)
        g_string_append (out, _("(nothing)"));
      break;
    case COHORT_OPERAND_STRING:
    case COHORT_OPERAND_REGEX:
      g_string_append_printf (out, " “%s”", json_node_get_string (c->value));
      break;
    case COHORT_OPERAND_NUMBER:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_string_append_printf (out, " %s", g_ascii_dtostr (buf, sizeof buf, c->low));
      }
      break;
    case COHORT_OPERAND_RANGE:
      {
        char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
        /* TRANSLATORS: "age is between 18 and 30" */
        g_string_append_printf (out, _(" %s and %s"), g_ascii_dtostr (a, sizeof a, c->low),
                                g_ascii_dtostr (b, sizeof b, c->high));
      }
      break;
    case COHORT_OPERAND_TIMESTAMP:
      g_string_append_c (out, ' ');
      describe_time (out, c->timestamp);
      break;
    case COHORT_OPERAND_RELATIVE:
      g_string_append_c (out, ' ');
      describe_relative (out, c->value);
      if (c->op == COHORT_OP_MORE_THAN_AGO)
        g_string_append (out, _(" ago"));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
describe (const CohortCriteria  *self,
          GString               *out,
          gboolean               nested,
          CohortSegmentNameFunc  segment_name,
          gpointer               user_data)
{
  switch (self->kind)
    {
    case COHORT_CRITERIA_AND:
    case COHORT_CRITERIA_OR:
      if (self->children->len == 0)
        g_string_append (out, self->kind == COHORT_CRITERIA_AND ? _("everyone") : _("no one"));
      else if (self->children->len == 1)
        describe (g_ptr_array_index (self->children, 0), out, nested, segment_name, user_data);
      else
        {
          if (nested)
            g_string_append_c (out, '(');
          for (guint i = 0; i < self->children->len; i++)
            {
              if (i > 0)
                g_string_append (out, self->kind == COHORT_CRITERIA_AND ? _(" and ") : _(" or "));
              describe (g_ptr_array_index (self->children, i), out, TRUE, segment_name, user_data);
            }
          if (nested)
            g_string_append_c (out, ')');
        }
      break;
    case COHORT_CRITERIA_NOT:
      g_string_append (out, _("not "));
      describe (g_ptr_array_index (self->children, 0), out, TRUE, segment_name, user_data);
      break;
    case COHORT_CRITERIA_ATTRIBUTE:
      describe_condition (out, self->attribute);
      break;
    case COHORT_CRITERIA_SEGMENT:
      {
        g_autofree char *name = segment_name ? segment_name (self->segment_id, user_data) : NULL;

        if (name != NULL)
          g_string_append_printf (out, _("in segment “%s”"), name);
        else
          g_string_append_printf (out, _("in segment #%" PRId64), self->segment_id);
      }
      break;
    case COHORT_CRITERIA_EVENT:
      {
        const CohortEventCondition *ev = self->event;

        g_string_append_printf (out, ev->performed ? _("performed “%s”") : _("did not perform “%s”"),
                                ev->name);
        if (ev->has_count)
          {
            if (ev->count_op == COHORT_OP_GTE)
              g_string_append_printf (out, _(" at least %" PRId64 " times"), ev->count_value);
            else if (ev->count_op == COHORT_OP_LTE)
              g_string_append_printf (out, _(" at most %" PRId64 " times"), ev->count_value);
            else
              g_string_append_printf (out, _(" exactly %" PRId64 " times"), ev->count_value);
          }
        if (ev->within != NULL)
          {
            g_string_append (out, _(" within the last "));
            describe_relative (out, ev->within);
          }
        if (ev->since != NULL)
          {
            g_string_append (out, _(" since "));
            describe_time (out, ev->since_ts);
          }
        if (ev->until != NULL)
          {
            g_string_append (out, _(" until "));
            describe_time (out, ev->until_ts);
          }
        for (guint i = 0; i < ev->where->len; i++)
          {
            g_string_append (out, i == 0 ? _(" where ") : _(" and "));
            describe_condition (out, g_ptr_array_index (ev->where, i));
          }
      }
      break;
    case COHORT_CRITERIA_SAMPLE:
      g_string_append_printf (out, _("in a %u %% sample (salt “%s”)"), self->percent, self->salt);
      break;
    default:
      g_assert_not_reached ();
    }
}

char *
cohort_criteria_describe (const CohortCriteria  *self,
                          CohortSegmentNameFunc  segment_name,
                          gpointer               user_data)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);
  describe (self, out, FALSE, segment_name, user_data);
  return g_string_free (out, FALSE);
}
