/* test-criteria.c: parsing, validation paths, round trips, descriptions
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cohort-criteria.h"

/* Canonical forms: each parses and serializes back to exactly itself. */
static const char *const canonical[] = {
  "{\"and\":[]}",
  "{\"or\":[]}",
  "{\"not\":{\"and\":[]}}",
  "{\"attribute\":{\"field\":\"plan\",\"operator\":\"eq\",\"value\":\"pro\"}}",
  "{\"attribute\":{\"field\":\"age\",\"operator\":\"eq\",\"value\":10}}",
  "{\"attribute\":{\"field\":\"age\",\"operator\":\"eq\",\"value\":10.5}}",
  "{\"attribute\":{\"field\":\"vip\",\"operator\":\"eq\",\"value\":true}}",
  "{\"attribute\":{\"field\":\"plan\",\"operator\":\"neq\",\"value\":\"free\"}}",
  "{\"attribute\":{\"field\":\"plan\",\"operator\":\"in\",\"value\":[\"a\",1,false]}}",
  "{\"attribute\":{\"field\":\"plan\",\"operator\":\"not_in\",\"value\":[]}}",
  "{\"attribute\":{\"field\":\"phone\",\"operator\":\"exists\"}}",
  "{\"attribute\":{\"field\":\"phone\",\"operator\":\"not_exists\"}}",
  "{\"attribute\":{\"field\":\"email\",\"operator\":\"contains\",\"value\":\"@Example\"}}",
  "{\"attribute\":{\"field\":\"email\",\"operator\":\"not_contains\",\"value\":\"x\"}}",
  "{\"attribute\":{\"field\":\"name\",\"operator\":\"starts_with\",\"value\":\"A\"}}",
  "{\"attribute\":{\"field\":\"name\",\"operator\":\"ends_with\",\"value\":\"z\"}}",
  "{\"attribute\":{\"field\":\"name\",\"operator\":\"matches\",\"value\":\"^a.*b$\"}}",
  "{\"attribute\":{\"field\":\"age\",\"operator\":\"gt\",\"value\":30}}",
  "{\"attribute\":{\"field\":\"age\",\"operator\":\"lt\",\"value\":1.5}}",
  "{\"attribute\":{\"field\":\"age\",\"operator\":\"lte\",\"value\":-2}}",
  "{\"attribute\":{\"field\":\"age\",\"operator\":\"between\",\"value\":[18,30]}}",
  "{\"attribute\":{\"field\":\"vip\",\"operator\":\"is_true\"}}",
  "{\"attribute\":{\"field\":\"vip\",\"operator\":\"is_false\"}}",
  "{\"attribute\":{\"field\":\"t\",\"operator\":\"before\",\"value\":\"2024-02-24T15:28:16Z\"}}",
  "{\"attribute\":{\"field\":\"t\",\"operator\":\"after\",\"value\":1708788496}}",
  "{\"attribute\":{\"field\":\"t\",\"operator\":\"within_last\",\"value\":{\"amount\":7,\"unit\":\"days\"}}}",
  "{\"attribute\":{\"field\":\"t\",\"operator\":\"more_than_ago\",\"value\":{\"amount\":2,\"unit\":\"weeks\"}}}",
  "{\"attribute\":{\"field\":\"t\",\"operator\":\"within_next\",\"value\":{\"amount\":30,\"unit\":\"minutes\"}}}",
  "{\"segment\":{\"id\":4}}",
  "{\"sample\":{\"percent\":10,\"salt\":\"spring\"}}",
  "{\"event\":{\"name\":\"purchase\",\"operator\":\"performed\"}}",
  "{\"event\":{\"name\":\"purchase\",\"operator\":\"performed\",\"count\":{\"operator\":\"gte\",\"value\":3},"
    "\"within\":{\"amount\":30,\"unit\":\"days\"},\"since\":\"2024-01-01\",\"until\":1708788496,"
    "\"where\":[{\"field\":\"amount\",\"operator\":\"gt\",\"value\":50}]}}",
  "{\"event\":{\"name\":\"page\",\"operator\":\"not_performed\",\"count\":{\"operator\":\"eq\",\"value\":0},"
    "\"where\":[{\"field\":\"url\",\"operator\":\"contains\",\"value\":\"/pricing\"}]}}",
  "{\"and\":[{\"or\":[{\"attribute\":{\"field\":\"a\",\"operator\":\"eq\",\"value\":\"1\"}},"
    "{\"not\":{\"segment\":{\"id\":2}}}]},{\"sample\":{\"percent\":0,\"salt\":\"\"}}]}",
};

static void
test_round_trip (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (canonical); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CohortCriteria) c = cohort_criteria_parse (canonical[i], &error);
      g_autoptr(CohortCriteria) copy = NULL;
      g_autofree char *out = NULL;
      g_autofree char *out2 = NULL;

      g_test_message ("%s", canonical[i]);
      g_assert_no_error (error);
      out = cohort_criteria_to_string (c, FALSE);
      g_assert_cmpstr (out, ==, canonical[i]);
      copy = cohort_criteria_copy (c);
      out2 = cohort_criteria_to_string (copy, FALSE);
      g_assert_cmpstr (out2, ==, canonical[i]);
    }
}

/* Non-canonical input: the first serialization is stable from then on. */
static void
test_normalize (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "{ \"attribute\" : { \"value\": \"x\", \"operator\": \"eq\", \"field\": \"f\" } }",
      "{\"attribute\":{\"field\":\"f\",\"operator\":\"eq\",\"value\":\"x\"}}" },
    /* exists ignores a value */
    { "{\"attribute\":{\"field\":\"f\",\"operator\":\"exists\",\"value\":\"whatever\"}}",
      "{\"attribute\":{\"field\":\"f\",\"operator\":\"exists\"}}" },
    { "{\"sample\":{\"salt\":\"s\",\"percent\":5}}",
      "{\"sample\":{\"percent\":5,\"salt\":\"s\"}}" },
    { "{\"event\":{\"name\":\"e\"}}",
      "{\"event\":{\"name\":\"e\",\"operator\":\"performed\"}}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CohortCriteria) c = cohort_criteria_parse (cases[i].in, &error);
      g_autoptr(CohortCriteria) again = NULL;
      g_autofree char *out = NULL;
      g_autofree char *out2 = NULL;

      g_assert_no_error (error);
      out = cohort_criteria_to_string (c, FALSE);
      g_assert_cmpstr (out, ==, cases[i].out);
      again = cohort_criteria_parse (out, &error);
      g_assert_no_error (error);
      out2 = cohort_criteria_to_string (again, FALSE);
      g_assert_cmpstr (out2, ==, out);
    }
}

typedef struct
{
  const char *json;
  const char *path;       /* expected path ("" = the top) */
  const char *fragment;   /* expected in the message */
} ErrorCase;

static const ErrorCase errors[] = {
  { "", "", "JSON" },
  { "[1]", "", "node" },
  { "42", "", "node" },
  { "{}", "", "empty" },
  { "{\"and\":[], \"or\":[]}", "", "exactly one" },
  { "{\"andd\":[]}", "andd", "unknown key" },
  { "{\"and\":{}}", "and", "array" },
  { "{\"and\":[{\"and\":[]},{\"and\":[]},{\"or\":[{\"attribute\":{\"field\":\"a\",\"operator\":\"nope\",\"value\":1}}]}]}",
    "and[2].or[0].attribute.operator", "unknown operator" },
  { "{\"and\":[1]}", "and[0]", "node" },
  { "{\"not\":[]}", "not", "node" },
  { "{\"not\":{\"x\":1}}", "not.x", "unknown key" },
  { "{\"attribute\":[]}", "attribute", "object" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"eq\",\"value\":1,\"extra\":2}}", "attribute.extra", "unknown key" },
  { "{\"attribute\":{\"operator\":\"eq\",\"value\":1}}", "attribute.field", "missing" },
  { "{\"attribute\":{\"field\":3,\"operator\":\"eq\",\"value\":1}}", "attribute.field", "string" },
  { "{\"attribute\":{\"field\":\"\",\"operator\":\"eq\",\"value\":1}}", "attribute.field", "empty" },
  { "{\"attribute\":{\"field\":\"a\",\"value\":1}}", "attribute.operator", "missing" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":7,\"value\":1}}", "attribute.operator", "string" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"EQ\",\"value\":1}}", "attribute.operator", "unknown operator" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"eq\"}}", "attribute.value", "missing" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"eq\",\"value\":null}}", "attribute.value", "string" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"eq\",\"value\":[1]}}", "attribute.value", "string" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"in\",\"value\":\"x\"}}", "attribute.value", "array" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"in\",\"value\":[1,{}]}}", "attribute.value[1]", "string" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"contains\",\"value\":1}}", "attribute.value", "string" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"matches\",\"value\":\"(unclosed\"}}", "attribute.value", "regular expression" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"gt\",\"value\":\"ten\"}}", "attribute.value", "number" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"gte\",\"value\":\"30\"}}", "attribute.value", "number" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"between\",\"value\":[\"1\", 2]}}", "attribute.value[0]", "number" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"gt\",\"value\":true}}", "attribute.value", "number" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"between\",\"value\":[1]}}", "attribute.value", "two numbers" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"between\",\"value\":[1,\"x\"]}}", "attribute.value[1]", "number" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"before\",\"value\":\"yesterday\"}}", "attribute.value", "not a time" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"after\",\"value\":false}}", "attribute.value", "time" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"within_last\",\"value\":7}}", "attribute.value", "amount" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"within_last\",\"value\":{\"amount\":7}}}", "attribute.value.unit", "missing" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"within_last\",\"value\":{\"amount\":7,\"unit\":\"months\"}}}", "attribute.value.unit", "unknown unit" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"within_last\",\"value\":{\"amount\":-1,\"unit\":\"days\"}}}", "attribute.value.amount", "0" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"within_next\",\"value\":{\"amount\":\"7\",\"unit\":\"days\"}}}", "attribute.value.amount", "number" },
  { "{\"attribute\":{\"field\":\"a\",\"operator\":\"more_than_ago\",\"value\":{\"amount\":1,\"unit\":\"days\",\"x\":1}}}", "attribute.value.x", "unknown key" },
  { "{\"segment\":4}", "segment", "object" },
  { "{\"segment\":{}}", "segment.id", "missing" },
  { "{\"segment\":{\"id\":\"4\"}}", "segment.id", "segment id" },
  { "{\"segment\":{\"id\":0}}", "segment.id", "segment id" },
  { "{\"segment\":{\"id\":4,\"name\":\"x\"}}", "segment.name", "unknown key" },
  { "{\"sample\":{\"percent\":101,\"salt\":\"s\"}}", "sample.percent", "0 to 100" },
  { "{\"sample\":{\"percent\":5.5,\"salt\":\"s\"}}", "sample.percent", "0 to 100" },
  { "{\"sample\":{\"percent\":5}}", "sample.salt", "missing" },
  { "{\"sample\":{\"percent\":5,\"salt\":1}}", "sample.salt", "string" },
  { "{\"event\":{}}", "event.name", "missing" },
  { "{\"event\":{\"name\":\"e\",\"operator\":\"did\"}}", "event.operator", "performed" },
  { "{\"event\":{\"name\":\"e\",\"count\":{\"operator\":\"gt\",\"value\":1}}}", "event.count.operator", "gte" },
  { "{\"event\":{\"name\":\"e\",\"count\":{\"operator\":\"eq\",\"value\":-1}}}", "event.count.value", "whole number" },
  { "{\"event\":{\"name\":\"e\",\"within\":{\"amount\":1,\"unit\":\"years\"}}}", "event.within.unit", "unknown unit" },
  { "{\"event\":{\"name\":\"e\",\"since\":\"soon\"}}", "event.since", "not a time" },
  { "{\"event\":{\"name\":\"e\",\"until\":[]}}", "event.until", "time" },
  { "{\"event\":{\"name\":\"e\",\"where\":[{\"field\":\"amount\",\"operator\":\"gt\",\"value\":1},{\"field\":\"x\",\"operator\":\"bad\"}]}}",
    "event.where[1].operator", "unknown operator" },
  { "{\"event\":{\"name\":\"e\",\"color\":\"red\"}}", "event.color", "unknown key" },
  { "{\"or\":[{\"and\":[{\"not\":{\"attribute\":{\"field\":\"a\",\"operator\":\"in\",\"value\":[1,2,[3]]}}}]}]}",
    "or[0].and[0].not.attribute.value[2]", "string" },
};

static void
test_errors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (errors); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CohortCriteria) c = NULL;
      g_autofree char *path = NULL;

      g_test_message ("%s", errors[i].json);
      c = cohort_criteria_parse (errors[i].json, &error);
      g_assert_null (c);
      g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID);
      g_test_message ("→ %s", error->message);
      path = cohort_criteria_error_get_path (error);
      g_assert_cmpstr (path, ==, errors[i].path);
      if (errors[i].path[0] != '\0')
        {
          g_autofree char *prefix = g_strconcat (errors[i].path, ": ", NULL);
          g_assert_true (g_str_has_prefix (error->message, prefix));
        }
      g_assert_nonnull (strstr (error->message, errors[i].fragment));
    }
}

static void
test_values (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = NULL;

  c = cohort_criteria_parse ("{\"attribute\":{\"field\":\"t\",\"operator\":\"before\","
                             "\"value\":\"2024-02-24T17:28:16+02:00\"}}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (c->attribute->timestamp, ==, 1708788496);
  g_clear_pointer (&c, cohort_criteria_free);

  c = cohort_criteria_parse ("{\"attribute\":{\"field\":\"t\",\"operator\":\"within_last\","
                             "\"value\":{\"amount\":2,\"unit\":\"hours\"}}}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (c->attribute->seconds, ==, 7200);
  g_clear_pointer (&c, cohort_criteria_free);

  c = cohort_criteria_parse ("{\"attribute\":{\"field\":\"a\",\"operator\":\"in\","
                             "\"value\":[\"10\",\"x\",2.5,true]}}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c->attribute->n_scalars, ==, 4);
  g_assert_true (c->attribute->scalars[0].is_number);
  g_assert_cmpfloat (c->attribute->scalars[0].number, ==, 10.0);
  g_assert_false (c->attribute->scalars[1].is_number);
  g_assert_true (c->attribute->scalars[2].is_number);
  g_assert_cmpint (c->attribute->scalars[3].boolean, ==, COHORT_BOOL_TRUE);
  g_clear_pointer (&c, cohort_criteria_free);

  c = cohort_criteria_parse ("{\"attribute\":{\"field\":\"a\",\"operator\":\"contains\","
                             "\"value\":\"ÄBC\"}}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->attribute->folded, ==, "äbc");
}

static char *
name_of (gint64 id, gpointer user_data)
{
  return id == 2 ? g_strdup ("Churned") : NULL;
}

static void
test_describe (void)
{
  static const struct { const char *json, *words; } cases[] = {
    { "{\"and\":[]}", "everyone" },
    { "{\"or\":[]}", "no one" },
    { "{\"and\":[{\"attribute\":{\"field\":\"plan\",\"operator\":\"eq\",\"value\":\"pro\"}},"
      "{\"or\":[{\"attribute\":{\"field\":\"age\",\"operator\":\"gt\",\"value\":30}},"
      "{\"not\":{\"segment\":{\"id\":2}}}]}]}",
      "plan is “pro” and (age is greater than 30 or not in segment “Churned”)" },
    { "{\"attribute\":{\"field\":\"t\",\"operator\":\"within_last\",\"value\":{\"amount\":1,\"unit\":\"days\"}}}",
      "t is within the last 1 day" },
    { "{\"attribute\":{\"field\":\"t\",\"operator\":\"more_than_ago\",\"value\":{\"amount\":3,\"unit\":\"weeks\"}}}",
      "t is more than 3 weeks ago" },
    { "{\"attribute\":{\"field\":\"t\",\"operator\":\"before\",\"value\":\"2024-02-24\"}}",
      "t is before 2024-02-24" },
    { "{\"attribute\":{\"field\":\"x\",\"operator\":\"between\",\"value\":[1,2.5]}}",
      "x is between 1 and 2.5" },
    { "{\"attribute\":{\"field\":\"x\",\"operator\":\"in\",\"value\":[\"a\",1]}}",
      "x is one of “a”, 1" },
    { "{\"segment\":{\"id\":9}}", "in segment #9" },
    { "{\"sample\":{\"percent\":10,\"salt\":\"q\"}}", "in a 10 % sample (salt “q”)" },
    { "{\"event\":{\"name\":\"purchase\",\"count\":{\"operator\":\"gte\",\"value\":3},"
      "\"within\":{\"amount\":30,\"unit\":\"days\"},\"where\":[{\"field\":\"amount\",\"operator\":\"gt\",\"value\":50}]}}",
      "performed “purchase” at least 3 times within the last 30 days where amount is greater than 50" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CohortCriteria) c = cohort_criteria_parse (cases[i].json, &error);
      g_autofree char *words = NULL;

      g_assert_no_error (error);
      words = cohort_criteria_describe (c, name_of, NULL);
      g_assert_cmpstr (words, ==, cases[i].words);
    }
}

static void
test_refs (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = NULL;
  g_autoptr(GPtrArray) refs = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GPtrArray) fields = NULL;

  c = cohort_criteria_parse ("{\"and\":[{\"segment\":{\"id\":5}},{\"or\":[{\"attribute\":"
                             "{\"field\":\"a\",\"operator\":\"exists\"}},{\"not\":{\"segment\":{\"id\":3}}}]},"
                             "{\"segment\":{\"id\":5}},{\"attribute\":{\"field\":\"b\",\"operator\":\"exists\"}},"
                             "{\"attribute\":{\"field\":\"a\",\"operator\":\"exists\"}}]}", &error);
  g_assert_no_error (error);
  refs = cohort_criteria_collect_refs (c);
  g_assert_cmpuint (refs->len, ==, 3);
  g_assert_cmpstr (((CohortSegmentRef *) refs->pdata[0])->path, ==, "and[0].segment.id");
  g_assert_cmpstr (((CohortSegmentRef *) refs->pdata[1])->path, ==, "and[1].or[1].not.segment.id");
  g_assert_cmpint (((CohortSegmentRef *) refs->pdata[1])->segment_id, ==, 3);
  g_assert_cmpstr (((CohortSegmentRef *) refs->pdata[2])->path, ==, "and[2].segment.id");
  ids = cohort_criteria_collect_segment_ids (c);
  g_assert_cmpuint (ids->len, ==, 2);
  g_assert_cmpint (g_array_index (ids, gint64, 0), ==, 3);
  g_assert_cmpint (g_array_index (ids, gint64, 1), ==, 5);
  fields = cohort_criteria_collect_fields (c);
  g_assert_cmpuint (fields->len, ==, 2);
  g_assert_cmpstr (fields->pdata[0], ==, "a");
  g_assert_cmpstr (fields->pdata[1], ==, "b");
  g_assert_false (cohort_criteria_uses_events (c));
}

/* @n and/or/not levels (alternating not and or, or only nots) above one condition. */
static char *
nested (guint n, gboolean only_not)
{
  GString *json = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (json, i % 2 && !only_not ? "{\"or\":[" : "{\"not\":");
  g_string_append (json, "{\"attribute\":{\"field\":\"a\",\"operator\":\"exists\"}}");
  for (guint i = n; i-- > 0;)
    g_string_append (json, i % 2 && !only_not ? "]}" : "}");
  return g_string_free (json, FALSE);
}

/* Exactly COHORT_CRITERIA_MAX_DEPTH levels: parsed, serialized, copied,
 * described, walked for references. */
static void
test_deep (void)
{
  for (guint only_not = 0; only_not < 2; only_not++)
    {
      g_autofree char *json = nested (COHORT_CRITERIA_MAX_DEPTH, only_not);
      g_autoptr(GError) error = NULL;
      g_autoptr(CohortCriteria) c = NULL;
      g_autoptr(CohortCriteria) copy = NULL;
      g_autoptr(GPtrArray) refs = NULL;
      g_autofree char *out = NULL;
      g_autofree char *words = NULL;

      c = cohort_criteria_parse (json, &error);
      g_assert_no_error (error);
      out = cohort_criteria_to_string (c, FALSE);
      g_assert_cmpstr (out, ==, json);
      copy = cohort_criteria_copy (c);
      g_assert_nonnull (copy);
      words = cohort_criteria_describe (c, NULL, NULL);
      g_assert_true (g_str_has_prefix (words, "not "));
      refs = cohort_criteria_collect_refs (c);
      g_assert_cmpuint (refs->len, ==, 0);
      g_assert_true (cohort_criteria_check_json_depth (json, -1, &error));
      g_assert_no_error (error);
    }
}

/* One level more is refused by the tree check, with the path of the node
 * that is one too deep. */
static void
test_too_deep (void)
{
  g_autofree char *json = nested (COHORT_CRITERIA_MAX_DEPTH + 1, TRUE);
  g_autofree char *inside = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = NULL;

  /* The raw scan lets it through (it is not deep as JSON)... */
  g_assert_true (cohort_criteria_check_json_depth (json, -1, &error));
  g_assert_no_error (error);
  /* ...the tree check does not. */
  c = cohort_criteria_parse (json, &error);
  g_assert_null (c);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_DEEP);
  g_test_message ("%s", error->message);
  expected = g_strdup_printf (": criteria nest deeper than %d levels", COHORT_CRITERIA_MAX_DEPTH);
  g_assert_true (g_str_has_suffix (error->message, expected));
  g_assert_true (g_str_has_prefix (error->message, "not.not.not."));
  /* A long path keeps its head and tail. */
  g_assert_nonnull (strstr (error->message, "not….not"));
  g_assert_cmpuint (strlen (error->message), <, 300);
  g_clear_error (&error);

  /* Also inside a group, with the group's path at the front. */
  inside = g_strdup_printf ("{\"and\":[{\"and\":[]},%s]}", json);
  g_clear_pointer (&c, cohort_criteria_free);
  c = cohort_criteria_parse (inside, &error);
  g_assert_null (c);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_DEEP);
  g_assert_true (g_str_has_prefix (error->message, "and[1].not.not."));
}

/* 100,000 levels: refused by the scan before json-glib (which recurses)
 * ever sees them; no crash, a clear error. Strings are skipped by the
 * scan, escapes included. */
static void
test_very_deep (void)
{
  const guint n = 100000;
  g_autoptr(GString) json = g_string_new ("{\"and\":[{\"and\":[]},");
  g_autoptr(GString) text = g_string_new ("{\"attribute\":{\"field\":\"a\",\"operator\":\"eq\",\"value\":\"\\\"");
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = NULL;
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; i < n; i++)
    g_string_append (json, i % 3 == 2 ? "{\"or\":[" : "{\"not\":");
  g_string_append (json, "{\"attribute\":{\"field\":\"a\",\"operator\":\"exists\"}}");
  for (guint i = n; i-- > 0;)
    g_string_append (json, i % 3 == 2 ? "]}" : "}");
  g_string_append (json, "]}");

  c = cohort_criteria_parse (json->str, &error);
  g_assert_null (c);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_DEEP);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "and[1].not.not.or[0].not.not.or[0]"));
  g_assert_nonnull (strstr (error->message, "criteria nest deeper than"));
  g_clear_error (&error);

  node = cohort_criteria_json_from_string (json->str, &error);
  g_assert_null (node);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_DEEP);
  g_clear_error (&error);

  /* Brackets inside a string (after an escaped quote) are text, not nesting. */
  for (guint i = 0; i < n; i++)
    g_string_append (text, i % 2 ? "{" : "[\\\"");
  g_string_append (text, "\"}}");
  g_clear_pointer (&c, cohort_criteria_free);
  c = cohort_criteria_parse (text->str, &error);
  g_assert_no_error (error);
  g_assert_nonnull (c);
  g_assert_cmpuint (strlen (c->attribute->scalars[0].text), ==, 1 + n / 2 * 3);
  node = cohort_criteria_json_from_string (text->str, &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);
}

/* A tree built in memory (the rules builder's) is checked as deeply. */
static void
test_deep_node (void)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = NULL;
  JsonNode *inner = json_from_string ("{\"and\":[]}", NULL);

  for (guint i = 0; i < COHORT_CRITERIA_MAX_DEPTH + 5; i++)
    {
      JsonObject *o = json_object_new ();
      JsonNode *wrap = json_node_new (JSON_NODE_OBJECT);

      json_object_set_member (o, "not", inner);
      json_node_take_object (wrap, o);
      inner = wrap;
    }
  root = inner;
  c = cohort_criteria_parse_node (root, &error);
  g_assert_null (c);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_DEEP);
}

/* The match limit added to every pattern does not show in the messages of
 * invalid ones, nor change what valid ones match. */
static void
test_regex_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = NULL;
  g_autoptr(CohortCriteria) bad = NULL;

  c = cohort_criteria_parse ("{\"attribute\":{\"field\":\"a\",\"operator\":\"matches\",\"value\":\"^(?i)x+$\"}}", &error);
  g_assert_no_error (error);
  g_assert_true (g_regex_match (c->attribute->regex, "xXx", 0, NULL));
  g_assert_false (g_regex_match (c->attribute->regex, "xy", 0, NULL));

  bad = cohort_criteria_parse ("{\"attribute\":{\"field\":\"a\",\"operator\":\"matches\",\"value\":\"a(b\"}}", &error);
  g_assert_null (bad);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID);
  g_assert_null (strstr (error->message, "LIMIT_MATCH"));
}

static void
test_operators (void)
{
  for (guint i = 0; i < COHORT_N_OPS; i++)
    {
      CohortOperator op;

      g_assert_true (cohort_operator_from_string (cohort_operator_to_string (i), &op));
      g_assert_cmpint (op, ==, i);
      g_assert_nonnull (cohort_operator_get_label (i));
    }
  g_assert_true (cohort_operator_matches_missing (COHORT_OP_NOT_CONTAINS));
  g_assert_false (cohort_operator_matches_missing (COHORT_OP_CONTAINS));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/criteria/round-trip", test_round_trip);
  g_test_add_func ("/criteria/normalize", test_normalize);
  g_test_add_func ("/criteria/errors", test_errors);
  g_test_add_func ("/criteria/values", test_values);
  g_test_add_func ("/criteria/describe", test_describe);
  g_test_add_func ("/criteria/refs", test_refs);
  g_test_add_func ("/criteria/deep", test_deep);
  g_test_add_func ("/criteria/too-deep", test_too_deep);
  g_test_add_func ("/criteria/very-deep", test_very_deep);
  g_test_add_func ("/criteria/deep-node", test_deep_node);
  g_test_add_func ("/criteria/regex-limit", test_regex_limit);
  g_test_add_func ("/criteria/operators", test_operators);

  return g_test_run ();
}
