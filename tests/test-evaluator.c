/* test-evaluator.c: every operator and its edges, references, samples,
 * a randomized comparison with a plain reference evaluator, freshness
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <pthread.h>
#include <string.h>
#include <glib/gstdio.h>

#include "cohort-evaluator.h"
#include "cohort-live-count.h"
#include "cohort-event-index.h"
#include "cohort-segment.h"
#include "cohort-test-criteria.h"
#include "cohort-test-customers.h"
#include "cohort-test-workspace.h"

#define NOW 1709000000
#define DAY 86400

typedef TestWorkspace Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_setenv ("COHORT_NOW", G_STRINGIFY (NOW), TRUE);
  test_workspace_open (f, "cohort-eval-XXXXXX");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  test_workspace_close (f);
}

#define PUT(f, ord, id, email, ...) \
  test_put_customer ((f)->ws, (ord), (id), (email), (const char *[]) { __VA_ARGS__, NULL })

/* The dataset of the operator table (ordinals 1..12). */
static void
load_people (Fixture *f)
{
  g_autofree char *t1 = g_strdup_printf ("%d", NOW - DAY);
  g_autofree char *t2 = g_strdup_printf ("%d", NOW - 8 * DAY);
  g_autofree char *t3 = g_strdup_printf ("%d", NOW + 3600);
  g_autofree char *t6 = g_strdup_printf ("%d", NOW - 7 * DAY);
  g_autofree char *t7 = g_strdup_printf ("%d", NOW);
  g_autofree char *t8 = g_strdup_printf ("%d", NOW + 8 * DAY);

  test_workspace_begin (f);
  PUT (f, 1, "c1", "c1@x.io", "v", "10", "s", "Hello World", "b", "true", "t", t1);
  PUT (f, 2, "c2", "c2@x.io", "v", "10.0", "s", "hello", "b", "Yes", "t", t2);
  PUT (f, 3, "c3", NULL, "v", "abc", "s", "HELLO there", "b", "no", "t", t3);
  PUT (f, 4, "c4", NULL, "v", "", "s", "", "b", "", "t", "");
  PUT (f, 5, "c5", NULL, NULL);
  PUT (f, 6, "c6", NULL, "v", "ABC", "s", "Straße", "b", "FALSE", "t", t6);
  PUT (f, 7, "c7", NULL, "v", "-5", "s", "ÄRGER", "b", "1", "t", t7);
  PUT (f, 8, "c8", NULL, "v", "1e2", "s", "world", "b", "0", "t", t8);
  PUT (f, 9, "c9", NULL, "v", "2024-02-24T15:28:16Z", "s", "x=1", "b", "maybe", "t", "2024-02-24T17:28:16+02:00");
  PUT (f, 10, "c10", NULL, "v", "1708788496", "t", "2024-02-24");
  PUT (f, 11, NULL, "only@x.io", "v", "abc");
  PUT (f, 12, "c12", NULL, "v", "10abc", "t", "garbage");
  test_workspace_commit (f);
}

/* Member keys (id, else email) joined with commas, in ordinal order. */
static char *
members_of (CohortEvaluation *ev)
{
  g_autoptr(GArray) ordinals = cohort_evaluation_get_members (ev, 0, 0);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < ordinals->len; i++)
    {
      guint32 o = g_array_index (ordinals, guint32, i);
      const char *key = cohort_evaluation_get_text (ev, o, "id");

      if (key == NULL)
        key = cohort_evaluation_get_text (ev, o, "email");
      g_assert_true (cohort_evaluation_contains (ev, o));
      g_string_append_printf (out, "%s%s", out->len ? "," : "", key);
    }
  g_assert_cmpuint (ordinals->len, ==, cohort_evaluation_get_count (ev));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
eval_json (Fixture *f, const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = cohort_criteria_parse (json, &error);
  g_autoptr(CohortEvaluation) ev = NULL;

  g_assert_no_error (error);
  ev = cohort_evaluator_evaluate (f->ws, c, NULL, &error);
  g_assert_no_error (error);
  return members_of (ev);
}

#define ALL "c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,only@x.io,c12"
#define A(field, op, value) "{\"attribute\":{\"field\":\"" field "\",\"operator\":\"" op "\",\"value\":" value "}}"
#define A0(field, op) "{\"attribute\":{\"field\":\"" field "\",\"operator\":\"" op "\"}}"

static const struct { const char *json, *expected; } cases[] = {
  /* eq / neq: numbers compare as numbers, else case-sensitive strings */
  { A ("v", "eq", "\"10\""), "c1,c2" },
  { A ("v", "eq", "10.0"), "c1,c2" },
  { A ("v", "eq", "10"), "c1,c2" },
  { A ("v", "eq", "100"), "c8" },
  { A ("v", "eq", "\"abc\""), "c3,only@x.io" },
  { A ("v", "eq", "\"ABC\""), "c6" },
  { A ("v", "eq", "\"\""), "" },
  { A ("v", "neq", "\"abc\""), "c1,c2,c4,c5,c6,c7,c8,c9,c10,c12" },
  { A ("v", "neq", "10"), "c3,c4,c5,c6,c7,c8,c9,c10,only@x.io,c12" },
  /* a JSON boolean compares as the text "true"/"false", case-sensitively */
  { A ("b", "eq", "true"), "c1" },
  { A ("b", "eq", "false"), "" },
  { A ("b", "neq", "true"), "c2,c3,c4,c5,c6,c7,c8,c9,c10,only@x.io,c12" },
  { A ("b", "eq", "\"true\""), "c1" },
  /* in / not_in */
  { A ("v", "in", "[\"abc\", 100]"), "c3,c8,only@x.io" },
  { A ("v", "not_in", "[\"abc\", 100]"), "c1,c2,c4,c5,c6,c7,c9,c10,c12" },
  { A ("v", "in", "[]"), "" },
  { A ("v", "not_in", "[]"), ALL },
  /* exists */
  { A0 ("v", "exists"), "c1,c2,c3,c6,c7,c8,c9,c10,only@x.io,c12" },
  { A0 ("v", "not_exists"), "c4,c5" },
  { A ("v", "exists", "\"ignored\""), "c1,c2,c3,c6,c7,c8,c9,c10,only@x.io,c12" },
  /* case-insensitive text */
  { A ("v", "contains", "\"B\""), "c3,c6,only@x.io,c12" },
  { A ("v", "not_contains", "\"b\""), "c1,c2,c4,c5,c7,c8,c9,c10" },
  { A ("s", "contains", "\"hello\""), "c1,c2,c3" },
  { A ("s", "contains", "\"\""), "c1,c2,c3,c6,c7,c8,c9" },
  { A ("s", "starts_with", "\"HEL\""), "c1,c2,c3" },
  { A ("s", "ends_with", "\"LD\""), "c1,c8" },
  { A ("s", "contains", "\"äR\""), "c7" },
  { A ("s", "ends_with", "\"SSE\""), "c6" },
  { A ("email", "ends_with", "\"@X.IO\""), "c1,c2,only@x.io" },
  { A ("id", "starts_with", "\"C1\""), "c1,c10,c12" },
  /* matches: case-sensitive, anywhere */
  { A ("s", "matches", "\"^[Hh]ello\""), "c1,c2" },
  { A ("s", "matches", "\"=\""), "c9" },
  { A ("s", "matches", "\"o\""), "c1,c2,c8" },
  /* numbers: missing and non-numeric never match */
  { A ("v", "gt", "9"), "c1,c2,c8,c10" },
  { A ("v", "gte", "10"), "c1,c2,c8,c10" },
  { A ("v", "lt", "10"), "c7" },
  { A ("v", "lte", "-5"), "c7" },
  { A ("v", "between", "[10, 100]"), "c1,c2,c8" },
  { A ("v", "between", "[100, 10]"), "" },
  /* booleans */
  { A0 ("b", "is_true"), "c1,c2,c7" },
  { A0 ("b", "is_false"), "c3,c6,c8" },
  /* timestamps: Unix seconds and ISO 8601 with offsets, strict */
  { A ("v", "after", "\"2024-02-24T15:28:15Z\""), "c9,c10" },
  { A ("v", "after", "1708788496"), "" },
  { A ("v", "before", "1708788496"), "c1,c2,c7,c8" },
  { A ("v", "before", "\"2024-02-24T17:28:17+02:00\""), "c1,c2,c7,c8,c9,c10" },
  { A ("t", "after", "\"2024-02-24 15:28:15\""), "c1,c3,c7,c8,c9" },
  { A ("t", "before", "\"2024-02-24T00:00:01Z\""), "c2,c6,c10" },
  /* relative times against COHORT_NOW, inclusive bounds */
  { A ("t", "within_last", "{\"amount\": 7, \"unit\": \"days\"}"), "c1,c6,c7,c9,c10" },
  { A ("t", "more_than_ago", "{\"amount\": 7, \"unit\": \"days\"}"), "c2" },
  { A ("t", "more_than_ago", "{\"amount\": 1, \"unit\": \"weeks\"}"), "c2" },
  { A ("t", "within_next", "{\"amount\": 7, \"unit\": \"days\"}"), "c3,c7" },
  { A ("t", "within_next", "{\"amount\": 1, \"unit\": \"hours\"}"), "c3,c7" },
  { A ("t", "within_next", "{\"amount\": 59, \"unit\": \"minutes\"}"), "c7" },
  { A ("t", "within_last", "{\"amount\": 0, \"unit\": \"days\"}"), "c7" },
  { A ("t", "within_last", "{\"amount\": 60, \"unit\": \"minutes\"}"), "c7" },
  /* an attribute nobody has is missing for everyone */
  { A ("nope", "eq", "1"), "" },
  { A ("nope", "neq", "1"), ALL },
  { A0 ("nope", "not_exists"), ALL },
  { A ("nope", "not_contains", "\"x\""), ALL },
  /* groups */
  { "{\"and\":[]}", ALL },
  { "{\"or\":[]}", "" },
  { "{\"not\":{\"and\":[]}}", "" },
  { "{\"not\":{\"or\":[]}}", ALL },
  { "{\"and\":[{\"or\":[" A ("v", "eq", "\"abc\"") "," A ("v", "eq", "10") "]},"
    "{\"not\":" A ("id", "eq", "\"c3\"") "}]}", "c1,c2,only@x.io" },
  { "{\"or\":[" A ("v", "eq", "\"abc\"") "," A0 ("b", "is_true") "," A ("t", "more_than_ago", "{\"amount\":7,\"unit\":\"days\"}") "]}",
    "c1,c2,c3,c7,only@x.io" },
  { "{\"not\":{\"not\":{\"not\":" A0 ("v", "exists") "}}}", "c4,c5" },
};

static void
test_operators (Fixture *f, gconstpointer data)
{
  load_people (f);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = NULL;

      g_test_message ("%s", cases[i].json);
      got = eval_json (f, cases[i].json);
      g_assert_cmpstr (got, ==, cases[i].expected);
    }
}

static void
test_deep_nesting (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) json = g_string_new (NULL);
  g_autofree char *got = NULL;
  const guint depth = COHORT_CRITERIA_MAX_DEPTH;

  load_people (f);
  /* not(or(not(or(...)))) with an even number of nots: the condition itself,
   * as deep as criteria may be. */
  for (guint i = 0; i < depth; i++)
    g_string_append (json, i % 2 ? "{\"or\":[" : "{\"not\":");
  g_string_append (json, A ("v", "eq", "\"abc\""));
  for (guint i = depth; i-- > 0;)
    g_string_append (json, i % 2 ? "]}" : "}");
  got = eval_json (f, json->str);
  g_assert_cmpstr (got, ==, "c3,only@x.io");
}

static CohortSegment *
make_segment (Fixture *f, const char *name, CohortSegmentKind kind)
{
  g_autoptr(GError) error = NULL;
  CohortSegment *s = cohort_segments_create (f->ws, name, kind, NULL, &error);

  g_assert_no_error (error);
  return s;
}

static void
set_criteria (Fixture *f, CohortSegment *s, const char *json)
{
  g_autoptr(GError) error = NULL;

  cohort_segments_set_criteria (f->ws, cohort_segment_get_id (s), json, &error);
  g_assert_no_error (error);
}

static void
add_member (Fixture *f, CohortSegment *s, gint64 ordinal)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;

  test_workspace_begin (f);
  stmt = cohort_workspace_prepare (f->ws, "INSERT INTO segment_members (segment, customer) VALUES (?, ?)", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, cohort_segment_get_id (s));
  sqlite3_bind_int64 (stmt, 2, ordinal);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  cohort_workspace_note_change (f->ws, COHORT_CHANGE_MEMBERS, &error);
  g_assert_no_error (error);
  test_workspace_commit (f);
}

static char *
eval_segment (Fixture *f, CohortSegment *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortEvaluation) ev = cohort_evaluator_evaluate_segment (f->ws, cohort_segment_get_id (s), NULL, &error);

  g_assert_no_error (error);
  return members_of (ev);
}

static void
test_segments (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) a = NULL;
  g_autoptr(CohortSegment) m = NULL;
  g_autoptr(CohortSegment) b = NULL;
  g_autoptr(CohortSegment) empty = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *got = NULL;
  g_autofree char *got_b = NULL;
  g_autofree char *got_m = NULL;
  g_autofree char *got_empty = NULL;
  g_autofree char *got_not = NULL;
  g_autoptr(CohortSegment) reread = NULL;

  load_people (f);
  a = make_segment (f, "ABC people", COHORT_SEGMENT_DATA_DRIVEN);
  m = make_segment (f, "Hand picked", COHORT_SEGMENT_MANUAL);
  b = make_segment (f, "Combined", COHORT_SEGMENT_DATA_DRIVEN);
  empty = make_segment (f, "No criteria yet", COHORT_SEGMENT_DATA_DRIVEN);
  set_criteria (f, a, A ("v", "eq", "\"abc\""));
  add_member (f, m, 1);
  add_member (f, m, 5);

  json = g_strdup_printf ("{\"or\":[{\"segment\":{\"id\":%" G_GINT64_FORMAT "}},{\"segment\":{\"id\":%" G_GINT64_FORMAT "}}]}",
                          cohort_segment_get_id (a), cohort_segment_get_id (m));
  got = eval_json (f, json);
  g_assert_cmpstr (got, ==, "c1,c3,c5,only@x.io");

  set_criteria (f, b, json);
  got_b = eval_segment (f, b);
  g_assert_cmpstr (got_b, ==, "c1,c3,c5,only@x.io");
  got_m = eval_segment (f, m);
  g_assert_cmpstr (got_m, ==, "c1,c5");
  got_empty = eval_segment (f, empty);
  g_assert_cmpstr (got_empty, ==, "");

  /* The canonical criteria were stored. */
  reread = cohort_segments_get (f->ws, cohort_segment_get_id (b), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cohort_segment_get_criteria (reread), ==, json);
  {
    g_autofree char *not_json = g_strdup_printf ("{\"and\":[{\"not\":{\"segment\":{\"id\":%" G_GINT64_FORMAT "}}},"
                                                 A0 ("v", "exists") "]}", cohort_segment_get_id (b));
    got_not = eval_json (f, not_json);
    g_assert_cmpstr (got_not, ==, "c2,c6,c7,c8,c9,c10,c12");
  }

  {
    g_autoptr(CohortCriteria) parsed = cohort_criteria_parse (json, &error);
    g_autofree char *words = NULL;

    g_assert_no_error (error);
    words = cohort_criteria_describe_in (parsed, f->ws);
    g_assert_cmpstr (words, ==, "in segment “ABC people” or in segment “Hand picked”");
  }

  /* A manual segment has no criteria. */
  g_assert_false (cohort_segments_set_criteria (f->ws, cohort_segment_get_id (m), "{\"and\":[]}", &error));
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID);
}

static void
test_cycles (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) a = NULL;
  g_autoptr(CohortSegment) b = NULL;
  g_autoptr(CohortSegment) c = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *a_refs_b = NULL;
  g_autofree char *b_refs_c = NULL;
  g_autofree char *c_refs_a = NULL;
  g_autofree char *self_ref = NULL;
  g_autoptr(CohortSegment) after = NULL;
  g_autoptr(CohortCriteria) crit = NULL;
  g_autoptr(CohortEvaluation) ev = NULL;
  sqlite3_stmt *stmt;

  load_people (f);
  a = make_segment (f, "A", COHORT_SEGMENT_DATA_DRIVEN);
  b = make_segment (f, "B", COHORT_SEGMENT_DATA_DRIVEN);
  c = make_segment (f, "C", COHORT_SEGMENT_DATA_DRIVEN);

  a_refs_b = g_strdup_printf ("{\"and\":[{\"segment\":{\"id\":%" G_GINT64_FORMAT "}}]}", cohort_segment_get_id (b));
  b_refs_c = g_strdup_printf ("{\"or\":[" A0 ("v", "exists") ",{\"segment\":{\"id\":%" G_GINT64_FORMAT "}}]}", cohort_segment_get_id (c));
  c_refs_a = g_strdup_printf ("{\"and\":[" A0 ("v", "exists") ",{\"or\":[" A0 ("s", "exists") ",{\"not\":{\"segment\":{\"id\":%" G_GINT64_FORMAT "}}}]}]}",
                              cohort_segment_get_id (a));
  self_ref = g_strdup_printf ("{\"not\":{\"segment\":{\"id\":%" G_GINT64_FORMAT "}}}", cohort_segment_get_id (a));

  set_criteria (f, a, a_refs_b);
  set_criteria (f, b, b_refs_c);

  g_assert_false (cohort_segments_set_criteria (f->ws, cohort_segment_get_id (c), c_refs_a, &error));
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_CYCLE);
  g_assert_true (g_str_has_prefix (error->message, "and[1].or[1].not.segment.id: "));
  g_clear_error (&error);

  g_assert_false (cohort_segments_set_criteria (f->ws, cohort_segment_get_id (a), self_ref, &error));
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_CYCLE);
  g_assert_true (g_str_has_prefix (error->message, "not.segment.id: "));
  g_clear_error (&error);

  g_assert_false (cohort_segments_set_criteria (f->ws, cohort_segment_get_id (a),
                                                "{\"or\":[{\"and\":[]},{\"segment\":{\"id\":999}}]}", &error));
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_NO_SEGMENT);
  g_assert_true (g_str_has_prefix (error->message, "or[1].segment.id: "));
  g_clear_error (&error);

  g_assert_false (cohort_segments_set_criteria (f->ws, cohort_segment_get_id (a), "{\"and\":[{\"x\":1}]}", &error));
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "and[0].x: "));
  g_clear_error (&error);

  /* Refused changes left the criteria as they were. */
  after = cohort_segments_get (f->ws, cohort_segment_get_id (a), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cohort_segment_get_criteria (after), ==, a_refs_b);

  /* A loop written behind our back is caught by the evaluator, not followed forever. */
  stmt = cohort_workspace_prepare (f->ws, "UPDATE segments SET criteria = ? WHERE id = ?", &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, c_refs_a, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, cohort_segment_get_id (c));
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  crit = cohort_criteria_parse (a_refs_b, &error);
  g_assert_no_error (error);
  ev = cohort_evaluator_evaluate (f->ws, crit, NULL, &error);
  g_assert_null (ev);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_CYCLE);
  g_clear_error (&error);

  /* A reference to a missing segment does not evaluate either. */
  g_clear_pointer (&crit, cohort_criteria_free);
  crit = cohort_criteria_parse ("{\"segment\":{\"id\":12345}}", &error);
  ev = cohort_evaluator_evaluate (f->ws, crit, NULL, &error);
  g_assert_null (ev);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_NO_SEGMENT);
}

/* Event conditions are evaluated by the event index (test-events covers
 * them); here only: a workspace without events. */
static void
test_events_without_events (Fixture *f, gconstpointer data)
{
  g_autofree char *performed = NULL;
  g_autofree char *not_performed = NULL;

  load_people (f);
  performed = eval_json (f, "{\"event\":{\"name\":\"purchase\"}}");
  g_assert_cmpstr (performed, ==, "");
  not_performed = eval_json (f, "{\"event\":{\"name\":\"purchase\",\"operator\":\"not_performed\"}}");
  g_assert_cmpstr (not_performed, ==, ALL);
}

/* ------------------------------------------------------------------ */
/* The plain reference: one customer at a time, straight from the spec. */

typedef struct
{
  char       *id;
  char       *email;
  GHashTable *attrs;    /* name -> value (may be "") */
  gint64      ordinal;
  gboolean    in_manual[2];
} RefCustomer;

/* Segments the random criteria may refer to. */
static gint64 ref_manual_ids[2];
static gint64 ref_data_id;
static CohortCriteria *ref_data_criteria;

static void
ref_customer_free (RefCustomer *c)
{
  g_free (c->id);
  g_free (c->email);
  g_hash_table_unref (c->attrs);
  g_free (c);
}

static guint32
ref_fnv (const char *s)
{
  guint32 h = 2166136261u;

  for (; *s; s++)
    {
      h ^= (guint8) *s;
      h *= 16777619u;
    }
  return h;
}

static gboolean
ref_eq (const char *value, const CohortScalar *v)
{
  double a;

  if (v->is_number && cohort_value_parse_number (value, strlen (value), &a))
    return a == v->number;
  return strcmp (value, v->text) == 0;
}

static gboolean
ref_condition (const CohortCondition *c, const char *value, gint64 now)
{
  gboolean missing = value == NULL || value[0] == '\0';
  double num;
  gint64 ts;
  gboolean is_num = !missing && cohort_value_parse_number (value, strlen (value), &num);
  gboolean is_ts = !missing && cohort_value_parse_timestamp (value, strlen (value), &ts);

  switch (c->op)
    {
    case COHORT_OP_EQ:
      return !missing && ref_eq (value, &c->scalars[0]);
    case COHORT_OP_NEQ:
      return missing || !ref_eq (value, &c->scalars[0]);
    case COHORT_OP_IN:
    case COHORT_OP_NOT_IN:
      {
        gboolean any = FALSE;

        for (guint i = 0; !missing && i < c->n_scalars; i++)
          any = any || ref_eq (value, &c->scalars[i]);
        return c->op == COHORT_OP_IN ? any : !any;
      }
    case COHORT_OP_EXISTS:
      return !missing;
    case COHORT_OP_NOT_EXISTS:
      return missing;
    case COHORT_OP_CONTAINS:
    case COHORT_OP_NOT_CONTAINS:
    case COHORT_OP_STARTS_WITH:
    case COHORT_OP_ENDS_WITH:
      {
        g_autofree char *hay = NULL;
        gboolean hit;

        if (missing)
          return c->op == COHORT_OP_NOT_CONTAINS;
        hay = g_utf8_casefold (value, -1);
        if (c->op == COHORT_OP_STARTS_WITH)
          hit = g_str_has_prefix (hay, c->folded);
        else if (c->op == COHORT_OP_ENDS_WITH)
          hit = g_str_has_suffix (hay, c->folded);
        else
          hit = strstr (hay, c->folded) != NULL;
        return c->op == COHORT_OP_NOT_CONTAINS ? !hit : hit;
      }
    case COHORT_OP_MATCHES:
      return !missing && g_regex_match (c->regex, value, 0, NULL);
    case COHORT_OP_GT:
      return is_num && num > c->low;
    case COHORT_OP_GTE:
      return is_num && num >= c->low;
    case COHORT_OP_LT:
      return is_num && num < c->low;
    case COHORT_OP_LTE:
      return is_num && num <= c->low;
    case COHORT_OP_BETWEEN:
      return is_num && c->low <= num && num <= c->high;
    case COHORT_OP_IS_TRUE:
      return !missing && cohort_value_parse_bool (value, strlen (value)) == COHORT_BOOL_TRUE;
    case COHORT_OP_IS_FALSE:
      return !missing && cohort_value_parse_bool (value, strlen (value)) == COHORT_BOOL_FALSE;
    case COHORT_OP_BEFORE:
      return is_ts && ts < c->timestamp;
    case COHORT_OP_AFTER:
      return is_ts && ts > c->timestamp;
    case COHORT_OP_WITHIN_LAST:
      return is_ts && now - c->seconds <= ts && ts <= now;
    case COHORT_OP_MORE_THAN_AGO:
      return is_ts && ts < now - c->seconds;
    case COHORT_OP_WITHIN_NEXT:
      return is_ts && now <= ts && ts <= now + c->seconds;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
ref_eval (const CohortCriteria *node, const RefCustomer *c, gint64 now)
{
  switch (node->kind)
    {
    case COHORT_CRITERIA_AND:
      for (guint i = 0; i < node->children->len; i++)
        if (!ref_eval (node->children->pdata[i], c, now))
          return FALSE;
      return TRUE;
    case COHORT_CRITERIA_OR:
      for (guint i = 0; i < node->children->len; i++)
        if (ref_eval (node->children->pdata[i], c, now))
          return TRUE;
      return FALSE;
    case COHORT_CRITERIA_NOT:
      return !ref_eval (node->children->pdata[0], c, now);
    case COHORT_CRITERIA_ATTRIBUTE:
      {
        const char *field = node->attribute->field;
        const char *value = strcmp (field, "id") == 0 ? c->id
                          : strcmp (field, "email") == 0 ? c->email
                          : g_hash_table_lookup (c->attrs, field);
        return ref_condition (node->attribute, value, now);
      }
    case COHORT_CRITERIA_SEGMENT:
      if (node->segment_id == ref_manual_ids[0])
        return c->in_manual[0];
      if (node->segment_id == ref_manual_ids[1])
        return c->in_manual[1];
      g_assert_cmpint (node->segment_id, ==, ref_data_id);
      return ref_eval (ref_data_criteria, c, now);
    case COHORT_CRITERIA_SAMPLE:
      {
        g_autofree char *key = g_strconcat (node->salt, ":", c->id ? c->id : c->email, NULL);
        return ref_fnv (key) % 100 < node->percent;
      }
    default:
      g_assert_not_reached ();
    }
}

static const char *const value_pool[] = {
  "10", "10.0", "abc", "ABC", "Abc", "äbc", "ÄBC", "-5", "1e2", "0", "1", "true", "TRUE",
  "yes", "No", "false", "2024-02-24T15:28:16Z", "2024-02-24", "2024-02-24 15:28:16",
  "2024-02-24T17:28:16+02:00", "1708788496", "hello world", "Hello", "x", "", "3.25",
  "1708999999", "1709000000", "1709000001", "1708395200", "1709604800", "Straße", "a,b", " 10",
};

static void
random_scalar (JsonBuilder *b)
{
  switch (g_test_rand_int_range (0, 4))
    {
    case 0:
      json_builder_add_int_value (b, g_test_rand_int_range (-6, 12));
      break;
    case 1:
      json_builder_add_double_value (b, g_test_rand_bit () ? 10.0 : 3.25);
      break;
    case 2:
      json_builder_add_boolean_value (b, g_test_rand_bit ());
      break;
    default:
      json_builder_add_string_value (b, value_pool[g_test_rand_int_range (0, G_N_ELEMENTS (value_pool))]);
    }
}

static void
random_condition (JsonBuilder *b)
{
  static const char *const fields[] = { "a0", "a1", "a2", "a3", "id", "email", "never" };
  static const char *const needles[] = { "b", "B", "10", "ä", "", "hello", "2024", "SS", "x" };
  static const char *const patterns[] = { "^a", "[0-9]+$", "b|B", "^$", "T\\d\\d", "ll" };
  static const char *const units[] = { "minutes", "hours", "days", "weeks" };
  CohortOperator op = g_test_rand_int_range (0, COHORT_N_OPS);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "attribute");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "field");
  json_builder_add_string_value (b, fields[g_test_rand_int_range (0, G_N_ELEMENTS (fields))]);
  json_builder_set_member_name (b, "operator");
  json_builder_add_string_value (b, cohort_operator_to_string (op));
  switch (cohort_operator_get_operand (op))
    {
    case COHORT_OPERAND_NONE:
      break;
    case COHORT_OPERAND_SCALAR:
      json_builder_set_member_name (b, "value");
      random_scalar (b);
      break;
    case COHORT_OPERAND_LIST:
      json_builder_set_member_name (b, "value");
      json_builder_begin_array (b);
      for (int n = g_test_rand_int_range (0, 4); n > 0; n--)
        random_scalar (b);
      json_builder_end_array (b);
      break;
    case COHORT_OPERAND_STRING:
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, needles[g_test_rand_int_range (0, G_N_ELEMENTS (needles))]);
      break;
    case COHORT_OPERAND_REGEX:
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, patterns[g_test_rand_int_range (0, G_N_ELEMENTS (patterns))]);
      break;
    case COHORT_OPERAND_NUMBER:
      json_builder_set_member_name (b, "value");
      json_builder_add_double_value (b, g_test_rand_int_range (-10, 20) / 2.0);
      break;
    case COHORT_OPERAND_RANGE:
      json_builder_set_member_name (b, "value");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, g_test_rand_int_range (-10, 12));
      json_builder_add_int_value (b, g_test_rand_int_range (-10, 120));
      json_builder_end_array (b);
      break;
    case COHORT_OPERAND_TIMESTAMP:
      json_builder_set_member_name (b, "value");
      if (g_test_rand_bit ())
        json_builder_add_int_value (b, g_test_rand_bit () ? 1708788496 : NOW + g_test_rand_int_range (-3, 3) * DAY);
      else
        json_builder_add_string_value (b, g_test_rand_bit () ? "2024-02-24T17:28:16+02:00" : "2024-02-24");
      break;
    case COHORT_OPERAND_RELATIVE:
      json_builder_set_member_name (b, "value");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "amount");
      json_builder_add_int_value (b, g_test_rand_int_range (0, 10));
      json_builder_set_member_name (b, "unit");
      json_builder_add_string_value (b, units[g_test_rand_int_range (0, 4)]);
      json_builder_end_object (b);
      break;
    default:
      g_assert_not_reached ();
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
random_node (JsonBuilder *b, int depth)
{
  int kind = depth <= 0 ? 3 + g_test_rand_int_range (0, 2) : g_test_rand_int_range (0, 6);

  switch (kind)
    {
    case 0:
    case 1:
      json_builder_begin_object (b);
      json_builder_set_member_name (b, kind == 0 ? "and" : "or");
      json_builder_begin_array (b);
      for (int n = g_test_rand_int_range (0, 4); n > 0; n--)
        random_node (b, depth - 1);
      json_builder_end_array (b);
      json_builder_end_object (b);
      break;
    case 2:
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "not");
      random_node (b, depth - 1);
      json_builder_end_object (b);
      break;
    case 4:
      if (ref_data_id != 0 && g_test_rand_int_range (0, 3) == 0)
        {
          int which = g_test_rand_int_range (0, 3);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "segment");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_int_value (b, which < 2 ? ref_manual_ids[which] : ref_data_id);
          json_builder_end_object (b);
          json_builder_end_object (b);
          break;
        }
      if (g_test_rand_int_range (0, 4) == 0)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "sample");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "percent");
          json_builder_add_int_value (b, g_test_rand_int_range (0, 101));
          json_builder_set_member_name (b, "salt");
          json_builder_add_string_value (b, g_test_rand_bit () ? "spring" : "ß");
          json_builder_end_object (b);
          json_builder_end_object (b);
          break;
        }
      G_GNUC_FALLTHROUGH;
    default:
      random_condition (b);
    }
}

static void
test_randomized (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) ref_customer_free);
  const guint n_people = 600;
  const guint n_rounds = g_test_slow () ? 3000 : 600;
  guint with_refs = 0;

  test_workspace_begin (f);
  for (guint i = 0; i < n_people; i++)
    {
      RefCustomer *c = g_new0 (RefCustomer, 1);
      g_autoptr(GPtrArray) attrs = g_ptr_array_new ();
      gint64 ordinal;

      c->attrs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      if (g_test_rand_int_range (0, 10) > 0)
        c->id = g_strdup_printf ("%s%u", g_test_rand_bit () ? "C" : "", i);
      if (c->id == NULL || g_test_rand_bit ())
        c->email = g_strdup_printf ("p%u@%s", i, g_test_rand_bit () ? "Example.com" : "x.io");
      for (guint k = 0; k < 4; k++)
        if (g_test_rand_int_range (0, 5) > 0)
          {
            char *name = g_strdup_printf ("a%u", k);
            const char *v = value_pool[g_test_rand_int_range (0, G_N_ELEMENTS (value_pool))];

            g_hash_table_insert (c->attrs, name, g_strdup (v));
            g_ptr_array_add (attrs, name);
            g_ptr_array_add (attrs, (char *) v);
          }
      g_ptr_array_add (attrs, NULL);
      /* Gaps in the ordinals, as deletions leave them. */
      ordinal = i * 2 + g_test_rand_int_range (0, 2);
      test_put_customer (f->ws, ordinal, c->id, c->email, (const char * const *) attrs->pdata);
      g_ptr_array_add (people, c);
      c->ordinal = ordinal;
    }
  test_workspace_commit (f);

  /* Two manual segments with random members, one data-driven segment with
   * random criteria: random criteria below refer to them. */
  {
    g_autoptr(CohortSegment) m0 = make_segment (f, "Manual 0", COHORT_SEGMENT_MANUAL);
    g_autoptr(CohortSegment) m1 = make_segment (f, "Manual 1", COHORT_SEGMENT_MANUAL);
    g_autoptr(CohortSegment) d = make_segment (f, "Data", COHORT_SEGMENT_DATA_DRIVEN);
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *json = NULL;

    ref_manual_ids[0] = cohort_segment_get_id (m0);
    ref_manual_ids[1] = cohort_segment_get_id (m1);
    for (guint i = 0; i < people->len; i++)
      {
        RefCustomer *c = people->pdata[i];

        for (guint k = 0; k < 2; k++)
          if (g_test_rand_int_range (0, 3) == 0)
            {
              add_member (f, k == 0 ? m0 : m1, c->ordinal);
              c->in_manual[k] = TRUE;
            }
      }
    random_node (b, 3);
    root = json_builder_get_root (b);
    ref_data_criteria = cohort_criteria_parse_node (root, &error);
    g_assert_no_error (error);
    json = cohort_criteria_to_string (ref_data_criteria, FALSE);
    set_criteria (f, d, json);
    ref_data_id = cohort_segment_get_id (d);
  }

  for (guint round = 0; round < n_rounds; round++)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(CohortCriteria) crit = NULL;
      g_autoptr(CohortEvaluation) ev = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *json = NULL;
      guint64 expected = 0;

      random_node (b, g_test_rand_int_range (0, 5));
      root = json_builder_get_root (b);
      crit = cohort_criteria_parse_node (root, &error);
      g_assert_no_error (error);
      json = cohort_criteria_to_string (crit, FALSE);
      with_refs += strstr (json, "\"segment\"") != NULL;
      ev = cohort_evaluator_evaluate (f->ws, crit, NULL, &error);
      g_assert_no_error (error);

      /* Compare member by member through the key, not only counts. */
      {
        g_autoptr(GHashTable) engine = g_hash_table_new (g_str_hash, g_str_equal);
        g_autoptr(GArray) ordinals = cohort_evaluation_get_members (ev, 0, 0);

        for (guint i = 0; i < ordinals->len; i++)
          {
            guint32 o = g_array_index (ordinals, guint32, i);
            const char *key = cohort_evaluation_get_text (ev, o, "id");

            g_hash_table_add (engine, (gpointer) (key ? key : cohort_evaluation_get_text (ev, o, "email")));
          }
        for (guint i = 0; i < people->len; i++)
          {
            RefCustomer *c = people->pdata[i];
            gboolean want = ref_eval (crit, c, NOW);
            gboolean got = g_hash_table_contains (engine, c->id ? c->id : c->email);

            if (want != got)
              g_error ("round %u: %s: customer %s: reference %d, engine %d",
                       round, json, c->id ? c->id : c->email, want, got);
            expected += want;
          }
      }
      g_assert_cmpuint (cohort_evaluation_get_count (ev), ==, expected);
    }
  g_test_message ("%u of %u random criteria referred to segments", with_refs, n_rounds);
  g_assert_cmpuint (with_refs, >, n_rounds / 20);
  ref_data_id = 0;
  g_clear_pointer (&ref_data_criteria, cohort_criteria_free);
}

static void
test_sample (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) ten = NULL;
  g_autoptr(CohortCriteria) rest = NULL;
  g_autoptr(CohortEvaluation) a = NULL;
  g_autoptr(CohortEvaluation) again = NULL;
  g_autoptr(CohortEvaluation) b = NULL;
  g_autoptr(CohortBitmap) both = NULL;
  g_autoptr(CohortBitmap) either = NULL;
  guint64 expected = 0;

  test_workspace_begin (f);
  for (guint i = 1; i <= 5000; i++)
    {
      g_autofree char *id = g_strdup_printf ("user-%u", i);
      g_autofree char *email = g_strdup_printf ("user%u@example.com", i);
      g_autofree char *key = g_strconcat ("holdout-2026:", i % 7 ? id : email, NULL);

      test_put_customer (f->ws, i, i % 7 ? id : NULL, email, NULL);
      expected += ref_fnv (key) % 100 < 10;
    }
  test_workspace_commit (f);

  ten = cohort_criteria_parse ("{\"sample\":{\"percent\":10,\"salt\":\"holdout-2026\"}}", &error);
  rest = cohort_criteria_parse ("{\"not\":{\"sample\":{\"percent\":10,\"salt\":\"holdout-2026\"}}}", &error);
  g_assert_no_error (error);
  a = cohort_evaluator_evaluate (f->ws, ten, NULL, &error);
  g_assert_no_error (error);
  again = cohort_evaluator_evaluate (f->ws, ten, NULL, &error);
  b = cohort_evaluator_evaluate (f->ws, rest, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (cohort_evaluation_get_count (a), ==, expected);
  g_assert_cmpuint (expected, >, 400);
  g_assert_cmpuint (expected, <, 600);
  g_assert_true (cohort_bitmap_equal (cohort_evaluation_get_bitmap (a), cohort_evaluation_get_bitmap (again)));
  both = cohort_bitmap_copy (cohort_evaluation_get_bitmap (a));
  cohort_bitmap_and (both, cohort_evaluation_get_bitmap (b));
  g_assert_true (cohort_bitmap_is_empty (both));
  either = cohort_bitmap_copy (cohort_evaluation_get_bitmap (a));
  cohort_bitmap_or (either, cohort_evaluation_get_bitmap (b));
  g_assert_cmpuint (cohort_bitmap_popcount (either), ==, 5000);

  /* Published FNV-1a test vectors, for the reference itself. */
  g_assert_cmphex (ref_fnv (""), ==, 0x811c9dc5);
  g_assert_cmphex (ref_fnv ("a"), ==, 0xe40c292c);
  g_assert_cmphex (ref_fnv ("foobar"), ==, 0xbf9cf968);
  g_assert_cmphex (cohort_fnv1a32 ("s:a", 3, COHORT_FNV1A32_INIT), ==, ref_fnv ("s:a"));
}

/* Enough customers for a column of mostly distinct values to stop being
 * deduplicated while the index is built: repeats then live in separate
 * dictionary entries, and must still count right. */
static gint64 count_of (Fixture *f, const char *json);

static void
test_large (Fixture *f, gconstpointer data)
{
  const guint n = 70000;
  gint64 eq = 0, gt = 0, ends = 0, plan = 0;

  test_workspace_begin (f);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("u%u", i);
      g_autofree char *num = g_strdup_printf ("%u", i % 50000);
      const char *p = i % 3 ? "free" : "pro";

      test_put_customer (f->ws, i, id, NULL, (const char *[]) { "n", num, "plan", p, NULL });
      eq += i % 50000 == 123;
      gt += i % 50000 > 49990;
      ends += (i % 50000) % 100 == 7 && i % 50000 >= 100;
      plan += i % 3 == 0 && i % 50000 >= 19000 && i % 50000 <= 19999;
    }
  test_workspace_commit (f);
  g_assert_cmpint (count_of (f, A ("n", "eq", "123")), ==, eq);
  g_assert_cmpint (count_of (f, A ("n", "eq", "\"123\"")), ==, eq);
  g_assert_cmpint (count_of (f, A ("n", "neq", "123")), ==, n - eq);
  g_assert_cmpint (count_of (f, A ("n", "gt", "49990")), ==, gt);
  g_assert_cmpint (count_of (f, A ("n", "ends_with", "\"07\"")), ==, ends);
  g_assert_cmpint (count_of (f, "{\"and\":[" A ("plan", "eq", "\"pro\"") "," A ("n", "between", "[19000, 19999]") "]}"), ==, plan);
  g_assert_cmpint (count_of (f, "{\"and\":[" A ("n", "between", "[19000, 19999]") "," A ("plan", "eq", "\"pro\"") "]}"), ==, plan);
}

static gint64
count_of (Fixture *f, const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = cohort_criteria_parse (json, &error);
  g_autoptr(CohortEvaluation) ev = NULL;

  g_assert_no_error (error);
  ev = cohort_evaluator_evaluate (f->ws, c, NULL, &error);
  g_assert_no_error (error);
  return (gint64) cohort_evaluation_get_count (ev);
}

static void
test_fresh (Fixture *f, gconstpointer data)
{
  const char *json = A ("v", "eq", "\"abc\"");
  g_autofree char *sidecar = cohort_column_index_sidecar_path (f->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortColumnIndex) index = NULL;
  sqlite3_stmt *stmt;

  load_people (f);
  g_assert_cmpint (count_of (f, json), ==, 2);
  g_assert_true (g_file_test (sidecar, G_FILE_TEST_EXISTS));

  /* A change through this connection. */
  test_workspace_begin (f);
  PUT (f, 20, "c20", NULL, "v", "abc");
  test_workspace_commit (f);
  g_assert_cmpint (count_of (f, json), ==, 3);

  /* An edit and a delete. */
  test_workspace_begin (f);
  PUT (f, 3, "c3", NULL, "v", "ABC");
  stmt = cohort_workspace_prepare (f->ws, "DELETE FROM customers WHERE ordinal = 11", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  cohort_workspace_note_change (f->ws, COHORT_CHANGE_CUSTOMERS, &error);
  test_workspace_commit (f);
  g_assert_cmpint (count_of (f, json), ==, 1);
  g_assert_cmpint (count_of (f, "{\"and\":[]}"), ==, 12);

  /* Inside a transaction the uncommitted data counts, and is not persisted. */
  test_workspace_begin (f);
  PUT (f, 21, "c21", NULL, "v", "abc");
  g_assert_cmpint (count_of (f, json), ==, 2);
  cohort_workspace_rollback (f->ws);
  g_assert_cmpint (count_of (f, json), ==, 1);

  /* A fresh process (no in-process cache) maps the sidecar. */
  cohort_column_index_forget (f->path, FALSE);
  index = cohort_column_index_ensure (f->ws, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cohort_column_index_is_mapped (index));
  {
    g_autofree char *stamp = NULL;

    g_assert_true (cohort_workspace_read_stamp (cohort_workspace_get_db (f->ws), COHORT_STAMP_CUSTOMERS,
                                                &stamp, &error));
    g_assert_cmpstr (cohort_column_index_get_stamp (index), ==, stamp);
  }
  g_clear_pointer (&index, cohort_column_index_unref);
  g_assert_cmpint (count_of (f, json), ==, 1);

  /* A sidecar from an older generation is never used. */
  {
    g_autofree char *old_contents = NULL;
    gsize old_len;

    g_assert_true (g_file_get_contents (sidecar, &old_contents, &old_len, NULL));
    test_workspace_begin (f);
    PUT (f, 22, "c22", NULL, "v", "abc");
    test_workspace_commit (f);
    g_assert_cmpint (count_of (f, json), ==, 2);
    cohort_column_index_forget (f->path, FALSE);
    g_assert_true (g_file_set_contents (sidecar, old_contents, (gssize) old_len, NULL));
    g_assert_cmpint (count_of (f, json), ==, 2);
  }
}

/* The stamp covers the customers alone: a change of manual membership
 * keeps the index; a change of customers does not. */
static void
test_customers_generation (Fixture *f, gconstpointer data)
{
  const char *json = A ("v", "eq", "\"abc\"");
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortColumnIndex) before = NULL;
  g_autoptr(CohortColumnIndex) after_members = NULL;
  g_autoptr(CohortColumnIndex) after_customers = NULL;
  g_autoptr(CohortSegment) m = NULL;

  load_people (f);
  g_assert_cmpint (count_of (f, json), ==, 2);
  before = cohort_column_index_ensure (f->ws, NULL, &error);
  g_assert_no_error (error);

  m = make_segment (f, "Picked", COHORT_SEGMENT_MANUAL);
  add_member (f, m, 3);
  after_members = cohort_column_index_ensure (f->ws, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (after_members == before);
  g_assert_cmpint (count_of (f, "{\"segment\":{\"id\":1}}"), ==, 1);

  test_workspace_begin (f);
  PUT (f, 40, "c40", NULL, "v", "abc");
  test_workspace_commit (f);
  after_customers = cohort_column_index_ensure (f->ws, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (after_customers != before);
  g_assert_cmpint (count_of (f, json), ==, 3);
}

/* Flip bytes in the data part of the sidecar: the damage is noticed and the
 * index rebuilt. Also truncation and garbage. */
static void
test_damaged_sidecar (Fixture *f, gconstpointer data)
{
  const char *json = A ("s", "contains", "\"hello\"");
  g_autofree char *sidecar = cohort_column_index_sidecar_path (f->path);
  g_autofree char *contents = NULL;
  gsize len;

  load_people (f);
  g_assert_cmpint (count_of (f, json), ==, 3);
  g_assert_true (g_file_get_contents (sidecar, &contents, &len, NULL));

  for (gsize pos = len / 3; pos < len; pos += len / 7 + 1)
    {
      g_autofree char *bad = g_memdup2 (contents, len);

      bad[pos] ^= 0x5a;
      g_assert_true (g_file_set_contents (sidecar, bad, (gssize) len, NULL));
      cohort_column_index_forget (f->path, FALSE);
      g_assert_cmpint (count_of (f, json), ==, 3);
      g_assert_cmpint (count_of (f, A ("v", "eq", "10")), ==, 2);
    }
  g_assert_true (g_file_set_contents (sidecar, contents, (gssize) len / 2, NULL));
  cohort_column_index_forget (f->path, FALSE);
  g_assert_cmpint (count_of (f, json), ==, 3);
  g_assert_true (g_file_set_contents (sidecar, "garbage", -1, NULL));
  cohort_column_index_forget (f->path, FALSE);
  g_assert_cmpint (count_of (f, json), ==, 3);
}

static void
async_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  CohortEvaluation **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = cohort_evaluator_evaluate_finish (COHORT_WORKSPACE (source), res, &error);
  g_assert_no_error (error);
}

static void
async_cancelled (GObject *source, GAsyncResult *res, gpointer user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortEvaluation) ev = cohort_evaluator_evaluate_finish (COHORT_WORKSPACE (source), res, &error);

  g_assert_null (ev);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  *done = TRUE;
}

static void
on_updated (CohortLiveCount *live, gpointer user_data)
{
  guint *n = user_data;
  (*n)++;
}

static void
test_async (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = NULL;
  g_autoptr(CohortCriteria) c2 = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(CohortLiveCount) live = NULL;
  CohortEvaluation *ev = NULL;
  gboolean cancelled = FALSE;
  guint updates = 0;

  load_people (f);
  c = cohort_criteria_parse (A ("v", "eq", "\"abc\""), &error);
  c2 = cohort_criteria_parse (A0 ("b", "is_true"), &error);
  g_assert_no_error (error);

  cohort_evaluator_evaluate_async (f->ws, c, NULL, async_done, &ev);
  while (ev == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (cohort_evaluation_get_count (ev), ==, 2);
  g_clear_pointer (&ev, cohort_evaluation_unref);

  g_cancellable_cancel (cancellable);
  cohort_evaluator_evaluate_async (f->ws, c, cancellable, async_cancelled, &cancelled);
  while (!cancelled)
    g_main_context_iteration (NULL, TRUE);

  /* The live count: only the last of quick edits is reported. */
  live = cohort_live_count_new (f->ws);
  g_signal_connect (live, "updated", G_CALLBACK (on_updated), &updates);
  cohort_live_count_set_criteria (live, c);
  cohort_live_count_set_criteria (live, c2);
  g_assert_true (cohort_live_count_get_busy (live));
  while (updates == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (updates, ==, 1);
  g_assert_null (cohort_live_count_get_error (live));
  g_assert_cmpuint (cohort_evaluation_get_count (cohort_live_count_get_result (live)), ==, 3);
  g_assert_cmpuint (cohort_evaluation_get_total (cohort_live_count_get_result (live)), ==, 12);
  g_assert_false (cohort_live_count_get_busy (live));

  /* A change of data re-counts. */
  test_workspace_begin (f);
  PUT (f, 30, "c30", NULL, "b", "yes");
  test_workspace_commit (f);
  while (updates == 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (cohort_evaluation_get_count (cohort_live_count_get_result (live)), ==, 4);
  g_assert_finalize_object (g_steal_pointer (&live));
}

/* ------------------------------------------------------------------ */
/* Criteria that cannot crash or hang (issue 9, items 8 and 9)          */

static void
exec_sql (Fixture *f, const char *sql, const char *text, gint64 id)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = cohort_workspace_prepare (f->ws, sql, &error);

  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
}

/* Criteria too deep to walk, written behind our back (an old version, the
 * sqlite3 shell): evaluating that segment, or one that refers to it, fails
 * with a clear error; the others still count. */
static void
test_stored_too_deep (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) deep = NULL;
  g_autoptr(CohortSegment) uses = NULL;
  g_autoptr(CohortSegment) ok = NULL;
  g_autoptr(CohortSegment) limit = NULL;
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *too_deep = test_not_chain (100000, A0 ("v", "exists"));
  g_autofree char *just_under = test_not_chain (COHORT_CRITERIA_MAX_DEPTH + 1, A0 ("v", "exists"));
  g_autofree char *at_limit = test_not_chain (COHORT_CRITERIA_MAX_DEPTH, A0 ("v", "exists"));
  g_autofree char *refers = NULL;

  load_people (f);
  deep = make_segment (f, "Deep", COHORT_SEGMENT_DATA_DRIVEN);
  uses = make_segment (f, "Uses deep", COHORT_SEGMENT_DATA_DRIVEN);
  ok = make_segment (f, "Fine", COHORT_SEGMENT_DATA_DRIVEN);
  limit = make_segment (f, "At the limit", COHORT_SEGMENT_DATA_DRIVEN);

  /* Saving refuses it... */
  g_assert_false (cohort_segments_set_criteria (f->ws, cohort_segment_get_id (deep), too_deep, &error));
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_DEEP);
  g_clear_error (&error);
  g_assert_false (cohort_segments_set_criteria (f->ws, cohort_segment_get_id (deep), just_under, &error));
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_DEEP);
  g_clear_error (&error);

  /* ...another program writes it anyway. */
  exec_sql (f, "UPDATE segments SET criteria = ? WHERE id = ?", too_deep, cohort_segment_get_id (deep));
  refers = g_strdup_printf ("{\"or\":[" A0 ("s", "exists") ",{\"segment\":{\"id\":%" G_GINT64_FORMAT "}}]}",
                            cohort_segment_get_id (deep));
  set_criteria (f, uses, refers);
  set_criteria (f, ok, A ("v", "eq", "\"abc\""));
  set_criteria (f, limit, at_limit);

  ev = cohort_evaluator_evaluate_segment (f->ws, cohort_segment_get_id (deep), NULL, &error);
  g_assert_null (ev);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_DEEP);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "The criteria of segment “Deep” are invalid: not.not."));
  g_assert_nonnull (strstr (error->message, "criteria nest deeper than"));
  g_clear_error (&error);

  ev = cohort_evaluator_evaluate_segment (f->ws, cohort_segment_get_id (uses), NULL, &error);
  g_assert_null (ev);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_DEEP);
  g_clear_error (&error);

  ev = cohort_evaluator_evaluate_segment (f->ws, cohort_segment_get_id (ok), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cohort_evaluation_get_count (ev), ==, 2);
  g_clear_pointer (&ev, cohort_evaluation_unref);

  /* An even number of nots: the condition itself. */
  ev = cohort_evaluator_evaluate_segment (f->ws, cohort_segment_get_id (limit), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cohort_evaluation_get_count (ev), ==, 10);
}

typedef struct
{
  Fixture          *f;
  gint64            segment;
  CohortEvaluation *result;
  GError           *error;
} ChainEval;

static void *
chain_eval_thread (void *data)
{
  ChainEval *ce = data;

  ce->result = cohort_evaluator_evaluate_segment (ce->f->ws, ce->segment, NULL, &ce->error);
  return NULL;
}

/* Evaluates @segment in a thread with a 1 MB stack (GLib's worker threads
 * get 8 MB; this makes the test need 8× less of the chain). */
static CohortEvaluation *
evaluate_on_small_stack (Fixture *f, gint64 segment, GError **error)
{
  ChainEval ce = { f, segment, NULL, NULL };
  pthread_attr_t attr;
  pthread_t thread;

  g_assert_cmpint (pthread_attr_init (&attr), ==, 0);
  g_assert_cmpint (pthread_attr_setstacksize (&attr, 1024 * 1024), ==, 0);
  g_assert_cmpint (pthread_create (&thread, &attr, chain_eval_thread, &ce), ==, 0);
  g_assert_cmpint (pthread_join (thread, NULL), ==, 0);
  pthread_attr_destroy (&attr);
  if (ce.error != NULL)
    g_propagate_error (error, ce.error);
  return ce.result;
}

/* A chain of references longer than a thread's stack could follow by
 * recursion: each segment is "in the previous one". */
static void
test_reference_chain (Fixture *f, gconstpointer data)
{
  const guint n = 20000;
  g_autoptr(CohortSegment) first = NULL;
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  gint64 prev, last = 0;

  load_people (f);
  first = make_segment (f, "First", COHORT_SEGMENT_DATA_DRIVEN);
  set_criteria (f, first, A0 ("b", "is_true"));
  prev = cohort_segment_get_id (first);

  test_workspace_begin (f);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("Chain %u", i);
      g_autofree char *criteria = g_strdup_printf ("{\"segment\":{\"id\":%" G_GINT64_FORMAT "}}", prev);

      stmt = cohort_workspace_prepare (f->ws, "INSERT INTO segments (name, name_key, kind, criteria, created_at, updated_at) "
                                              "VALUES (?, ?, 'data-driven', ?, 0, 0)", &error);
      g_assert_no_error (error);
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, criteria, -1, SQLITE_TRANSIENT);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
      last = sqlite3_last_insert_rowid (cohort_workspace_get_db (f->ws));
      stmt = cohort_workspace_prepare (f->ws, "INSERT INTO segment_refs (segment, target) VALUES (?, ?)", &error);
      g_assert_no_error (error);
      sqlite3_bind_int64 (stmt, 1, last);
      sqlite3_bind_int64 (stmt, 2, prev);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
      prev = last;
    }
  test_workspace_commit (f);

  ev = evaluate_on_small_stack (f, last, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cohort_evaluation_get_count (ev), ==, 3);
  g_clear_pointer (&ev, cohort_evaluation_unref);

  /* Closed into a loop behind our back: a cycle error, not a crash. */
  {
    g_autofree char *loop = g_strdup_printf ("{\"segment\":{\"id\":%" G_GINT64_FORMAT "}}", last);

    exec_sql (f, "UPDATE segments SET criteria = ? WHERE id = ?", loop, cohort_segment_get_id (first));
  }
  ev = evaluate_on_small_stack (f, last, &error);
  g_assert_null (ev);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_CYCLE);
}

/* Values that make (a+)+b backtrack past the match limit: an error naming
 * the node and the value, never "no match"; values within the limit
 * still decide normally. */
static void
test_regex_too_complex (Fixture *f, gconstpointer data)
{
  const char *const exprs[] = {
    /* dense: every entry decided */
    "{\"or\":[" A ("s", "eq", "\"x\"") "," A ("s", "matches", "\"(a+)+b\"") "]}",
    /* sparse: only the few candidates left by the first condition */
    "{\"and\":[" A ("id", "eq", "\"c3\"") "," A ("s", "matches", "\"(a+)+b\"") "]}",
  };
  const char *const paths[] = { "or[1].attribute.value: ", "and[1].attribute.value: " };
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(CohortSegment) outer = NULL;
  g_autoptr(CohortCriteria) c = NULL;
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autofree char *refers = NULL;
  g_autofree char *got = NULL;

  test_workspace_begin (f);
  PUT (f, 1, "c1", NULL, "s", "aab");
  PUT (f, 2, "c2", NULL, "s", "aaaaaaaaaacab");
  PUT (f, 3, "c3", NULL, "s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaacab");
  PUT (f, 4, "c4", NULL, "s", "no");
  test_workspace_commit (f);

  /* Within the limit: the usual answer. Only the values of candidates
   * are matched, so c3's cannot fail a count it is not part of. */
  got = eval_json (f, "{\"and\":[" A ("id", "neq", "\"c3\"") "," A ("s", "matches", "\"(a+)+b\"") "]}");
  g_assert_cmpstr (got, ==, "c1,c2");
  g_clear_pointer (&got, g_free);
  got = eval_json (f, "{\"and\":[" A ("id", "eq", "\"c2\"") "," A ("s", "matches", "\"(a+)+b\"") "]}");
  g_assert_cmpstr (got, ==, "c2");

  for (guint i = 0; i < G_N_ELEMENTS (exprs); i++)
    {
      g_test_message ("%s", exprs[i]);
      g_clear_pointer (&c, cohort_criteria_free);
      c = cohort_criteria_parse (exprs[i], &error);
      g_assert_no_error (error);
      ev = cohort_evaluator_evaluate (f->ws, c, NULL, &error);
      g_assert_null (ev);
      g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_COMPLEX);
      g_test_message ("→ %s", error->message);
      g_assert_true (g_str_has_prefix (error->message, paths[i]));
      g_assert_nonnull (strstr (error->message, "the pattern is too complex to match “aaaaaaaaaaaaaaaaaaaaaaaa…”"));
      g_clear_error (&error);
    }

  /* Through a reference: which segment says it. */
  s = make_segment (f, "Backtracks", COHORT_SEGMENT_DATA_DRIVEN);
  set_criteria (f, s, exprs[0]);
  outer = make_segment (f, "Outer", COHORT_SEGMENT_DATA_DRIVEN);
  refers = g_strdup_printf ("{\"and\":[{\"segment\":{\"id\":%" G_GINT64_FORMAT "}}]}", cohort_segment_get_id (s));
  set_criteria (f, outer, refers);
  ev = cohort_evaluator_evaluate_segment (f->ws, cohort_segment_get_id (s), NULL, &error);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_COMPLEX);
  g_assert_true (g_str_has_prefix (error->message, "or[1].attribute.value: "));
  g_clear_error (&error);
  ev = cohort_evaluator_evaluate_segment (f->ws, cohort_segment_get_id (outer), NULL, &error);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_COMPLEX);
  g_assert_true (g_str_has_prefix (error->message, "In segment “Backtracks”: or[1].attribute.value: "));
}

static void
live_updated (CohortLiveCount *live, gpointer user_data)
{
  guint *n = user_data;

  (*n)++;
}

/* The live count of the builder gets the error, not a count. */
static void
test_regex_live_count (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = NULL;
  g_autoptr(CohortLiveCount) live = NULL;
  guint updates = 0;

  test_workspace_begin (f);
  PUT (f, 1, "c1", NULL, "s", "aab");
  PUT (f, 2, "c2", NULL, "s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaacab");
  test_workspace_commit (f);
  c = cohort_criteria_parse (A ("s", "matches", "\"(a+)+b\""), &error);
  g_assert_no_error (error);

  live = cohort_live_count_new (f->ws);
  cohort_live_count_set_delay (live, 0);
  g_signal_connect (live, "updated", G_CALLBACK (live_updated), &updates);
  cohort_live_count_set_criteria (live, c);
  while (updates == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (cohort_live_count_get_result (live));
  g_assert_nonnull (cohort_live_count_get_error (live));
  g_assert_true (g_error_matches (cohort_live_count_get_error (live), COHORT_CRITERIA_ERROR,
                                  COHORT_CRITERIA_ERROR_TOO_COMPLEX));
  g_assert_finalize_object (g_steal_pointer (&live));
}

static gpointer
cancel_later (gpointer data)
{
  g_usleep (150 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

/* 20,000 distinct values that each cost (a+)+b most of its match limit
 * (several seconds in all): a cancel stops the count within a value. */
static void
test_regex_cancel (Fixture *f, gconstpointer data)
{
  const guint n = 20000;
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) warm = NULL;
  g_autoptr(CohortCriteria) c = NULL;
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GThread *thread;
  gint64 start, took;

  test_workspace_begin (f);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("u%u", i);
      g_autofree char *value = g_strdup_printf ("aaaaaaaaaaaaaaac%05ub", i);

      test_put_customer (f->ws, i, id, NULL, (const char *[]) { "s", value, NULL });
    }
  test_workspace_commit (f);

  /* The index first, so that the cancel lands in the matching. */
  warm = cohort_criteria_parse (A0 ("s", "exists"), &error);
  g_assert_no_error (error);
  ev = cohort_evaluator_evaluate (f->ws, warm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cohort_evaluation_get_count (ev), ==, n);
  g_clear_pointer (&ev, cohort_evaluation_unref);

  c = cohort_criteria_parse (A ("s", "matches", "\"(a+)+b\""), &error);
  g_assert_no_error (error);
  thread = g_thread_new ("cancel", cancel_later, cancellable);
  start = g_get_monotonic_time ();
  ev = cohort_evaluator_evaluate (f->ws, c, cancellable, &error);
  took = g_get_monotonic_time () - start;
  g_thread_join (thread);
  g_test_message ("cancelled after %" G_GINT64_FORMAT " ms", took / 1000);
  g_assert_null (ev);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (took, <, 2 * G_USEC_PER_SEC);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ((path), Fixture, NULL, fixture_setup, (func), fixture_teardown)
  ADD ("/evaluator/operators", test_operators);
  ADD ("/evaluator/deep-nesting", test_deep_nesting);
  ADD ("/evaluator/segments", test_segments);
  ADD ("/evaluator/cycles", test_cycles);
  ADD ("/evaluator/events-without-events", test_events_without_events);
  ADD ("/evaluator/sample", test_sample);
  ADD ("/evaluator/randomized", test_randomized);
  ADD ("/evaluator/large", test_large);
  ADD ("/evaluator/fresh", test_fresh);
  ADD ("/evaluator/customers-generation", test_customers_generation);
  ADD ("/evaluator/damaged-sidecar", test_damaged_sidecar);
  ADD ("/evaluator/async", test_async);
  ADD ("/evaluator/stored-too-deep", test_stored_too_deep);
  ADD ("/evaluator/reference-chain", test_reference_chain);
  ADD ("/evaluator/regex-too-complex", test_regex_too_complex);
  ADD ("/evaluator/regex-live-count", test_regex_live_count);
  ADD ("/evaluator/regex-cancel", test_regex_cancel);

  return g_test_run ();
}
