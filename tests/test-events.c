/* Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "cohort-criteria.h"
#include "cohort-customers.h"
#include "cohort-evaluator.h"
#include "cohort-event-importer.h"
#include "cohort-event-index.h"
#include "cohort-events.h"
#include "cohort-value.h"

#include "cohort-test-workspace.h"

typedef TestWorkspace Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  test_workspace_open (f, "cohort-events-XXXXXX");
  g_setenv ("COHORT_NOW", "1700000000", TRUE);
}

/* The CSV files the tests wrote and the second workspace of
 * /events/import-bulk go first. */
static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  test_workspace_remove_others (f);
  test_workspace_close (f);
  g_unsetenv ("COHORT_NOW");
}

static char *
write_csv (Fixture *f, const char *name, const char *contents)
{
  char *p = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (p, contents, -1, NULL));
  return p;
}

static CohortEventImporter *
import (Fixture *f, const char *contents, gboolean create_missing, gboolean all_or_nothing,
        gboolean expect_ok)
{
  g_autofree char *p = write_csv (f, "events.csv", contents);
  CohortEventImporter *im = cohort_event_importer_new (p);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  cohort_event_importer_set_create_missing (im, create_missing);
  cohort_event_importer_set_all_or_nothing (im, all_or_nothing);
  ok = cohort_event_importer_run (im, f->ws, NULL, &error);
  if (expect_ok)
    g_assert_no_error (error);
  g_assert_cmpint (ok, ==, expect_ok);
  return im;
}

static void
add_customers (Fixture *f, const char *sql)
{
  g_assert_true (cohort_workspace_begin (f->ws, NULL));
  g_assert_true (cohort_workspace_exec (f->ws, sql, NULL));
  g_assert_true (cohort_workspace_note_change (f->ws, COHORT_CHANGE_CUSTOMERS, NULL));
  g_assert_true (cohort_workspace_commit (f->ws, NULL));
}

static guint64
count (Fixture *f, const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) c = cohort_criteria_parse (json, &error);
  g_autoptr(CohortEvaluation) e = NULL;

  g_assert_no_error (error);
  e = cohort_evaluator_evaluate (f->ws, c, NULL, &error);
  g_assert_no_error (error);
  return cohort_evaluation_get_count (e);
}

/* Members as "id id id" (sorted by ordinal). */
static char *
members (Fixture *f, const char *json)
{
  g_autoptr(CohortCriteria) c = cohort_criteria_parse (json, NULL);
  g_autoptr(CohortEvaluation) e = cohort_evaluator_evaluate (f->ws, c, NULL, NULL);
  g_autoptr(GArray) ordinals = NULL;
  GString *s = g_string_new (NULL);

  g_assert_nonnull (e);
  ordinals = cohort_evaluation_get_members (e, 0, 0);
  for (guint i = 0; i < ordinals->len; i++)
    {
      const char *id = cohort_evaluation_get_text (e, g_array_index (ordinals, guint32, i), "id");
      if (s->len)
        g_string_append_c (s, ' ');
      g_string_append (s, id ? id : "?");
    }
  return g_string_free (s, FALSE);
}

static void
test_import_basic (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortEventImporter) im = NULL;
  g_autoptr(CohortEventImporter) again = NULL;
  GArray *rejected;

  add_customers (f, "INSERT INTO customers (id, email, added_at, modified_at) VALUES "
                    "('c1', 'ann@example.com', 0, 0)");
  im = import (f,
               "customer_id,name,timestamp,amount,url\r\n"
               "c1,purchase,1699990000,60,\r\n"
               "c1,purchase,2023-11-14T22:13:20Z,20,\r\n"    /* = 1700000000 */
               "c2,page,1699999000,,https://example.com/pricing\r\n"
               "c3,purchase,yesterday,5,\r\n"
               ",purchase,1699990000,1,\r\n"
               "c4,,1699990000,1,\r\n"
               "c5,signup,\"2023-11-14 22:00:00\",,\r\n",
               TRUE, FALSE, TRUE);
  g_assert_cmpuint (cohort_event_importer_get_rows (im), ==, 7);
  g_assert_cmpuint (cohort_event_importer_get_imported (im), ==, 4);
  g_assert_cmpuint (cohort_event_importer_get_customers_created (im), ==, 2);   /* c2, c5 */
  g_assert_cmpuint (cohort_event_importer_get_n_rejected (im), ==, 3);
  rejected = cohort_event_importer_get_rejected (im);
  g_assert_cmpuint (g_array_index (rejected, CohortImportRejection, 0).line, ==, 5);
  g_assert_nonnull (strstr (g_array_index (rejected, CohortImportRejection, 0).reason, "yesterday"));
  g_assert_cmpuint (g_array_index (rejected, CohortImportRejection, 1).line, ==, 6);
  g_assert_cmpuint (g_array_index (rejected, CohortImportRejection, 2).line, ==, 7);
  g_assert_cmpint (cohort_events_count (f->ws, NULL), ==, 4);

  /* The same file again adds nothing. */
  again = import (f,
                  "customer_id,name,timestamp,amount,url\n"
                  "c1,purchase,1699990000,60,\n"
                  "c1,purchase,1700000000,20,\n",
                  TRUE, FALSE, TRUE);
  g_assert_cmpuint (cohort_event_importer_get_imported (again), ==, 0);
  g_assert_cmpuint (cohort_event_importer_get_duplicates (again), ==, 2);
  g_assert_cmpint (cohort_events_count (f->ws, NULL), ==, 4);
}

static void
test_import_summary_and_list (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortEventImporter) im = NULL;
  g_autoptr(GPtrArray) summary = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *text = NULL;
  CohortEvent *ev;

  im = import (f,
               "email,event,time,data\n"
               "ann@example.com,purchase,1699990000,\"{\"\"amount\"\": 12.5, \"\"sku\"\": \"\"A1\"\", \"\"gift\"\": true, \"\"tags\"\": [1,2], \"\"none\"\": null}\"\n"
               "ann@example.com,purchase,1699995000,\n"
               "ann@example.com,page,1699999999,\"{\"\"url\"\": \"\"https://x.org/\"\"}\"\n",
               TRUE, FALSE, TRUE);
  g_assert_cmpuint (cohort_event_importer_get_imported (im), ==, 3);
  g_assert_cmpuint (cohort_event_importer_get_customers_created (im), ==, 1);

  summary = cohort_events_summarize (f->ws, 1, NULL);
  g_assert_cmpuint (summary->len, ==, 2);
  json = cohort_events_summary_to_json (summary);
  text = json_to_string (json, FALSE);
  g_assert_cmpstr (text, ==, "{\"page\":{\"count\":1,\"last\":1699999999},"
                             "\"purchase\":{\"count\":2,\"last\":1699995000}}");

  list = cohort_events_list (f->ws, 1, 0, 10, NULL);
  g_assert_cmpuint (list->len, ==, 3);
  ev = list->pdata[0];
  g_assert_cmpstr (ev->name, ==, "page");                 /* newest first */
  ev = list->pdata[2];
  g_assert_cmpstr (ev->name, ==, "purchase");
  g_assert_cmpstrv (ev->keys, ((const char *[]) { "amount", "gift", "sku", "tags", NULL }));
  g_assert_cmpstrv (ev->values, ((const char *[]) { "12.5", "true", "A1", "[1,2]", NULL }));

  {
    g_auto(GStrv) names = cohort_events_list_names (f->ws, NULL);
    g_auto(GStrv) attrs = cohort_events_list_attributes (f->ws, "purchase", NULL);

    g_assert_cmpstrv (names, ((const char *[]) { "page", "purchase", NULL }));
    g_assert_cmpstrv (attrs, ((const char *[]) { "amount", "gift", "sku", "tags", NULL }));
  }
}

static void
test_import_reject_missing (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortEventImporter) im = NULL;
  g_autoptr(CohortEventImporter) strict = NULL;

  add_customers (f, "INSERT INTO customers (id, added_at, modified_at) VALUES ('known', 0, 0)");
  im = import (f, "customer_id,name,timestamp\nknown,a,1\nstranger,a,2\n", FALSE, FALSE, TRUE);
  g_assert_cmpuint (cohort_event_importer_get_imported (im), ==, 1);
  g_assert_cmpuint (cohort_event_importer_get_n_rejected (im), ==, 1);
  g_assert_nonnull (strstr (g_array_index (cohort_event_importer_get_rejected (im),
                                           CohortImportRejection, 0).reason, "stranger"));

  /* All or nothing: one bad row keeps the workspace as it was. */
  strict = import (f, "customer_id,name,timestamp\nknown,b,1\nknown,b,oops\n", TRUE, TRUE, FALSE);
  g_assert_cmpint (cohort_events_count (f->ws, NULL), ==, 1);
  g_assert_cmpuint (cohort_event_importer_get_imported (strict), ==, 0);
}

static void
test_import_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) csv = g_string_new ("customer_id,name,timestamp\n");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(CohortEventImporter) im = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *p = NULL;
  gint64 generation = cohort_workspace_get_data_generation (f->ws);

  for (int i = 0; i < 50000; i++)
    g_string_append_printf (csv, "c%d,visit,%d\n", i % 100, 1600000000 + i);
  p = write_csv (f, "big.csv", csv->str);
  im = cohort_event_importer_new (p);
  g_cancellable_cancel (cancellable);
  g_assert_false (cohort_event_importer_run (im, f->ws, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (cohort_events_count (f->ws, NULL), ==, 0);
  g_assert_cmpint (cohort_customers_count (f->ws, NULL), ==, 0);
  g_assert_cmpint (cohort_workspace_get_data_generation (f->ws), ==, generation);
}

static void
test_import_bad_mapping (Fixture *f, gconstpointer data)
{
  g_autofree char *p = write_csv (f, "x.csv", "who,what\n1,2\n");
  g_autoptr(CohortEventImporter) im = cohort_event_importer_new (p);
  g_autoptr(GError) error = NULL;

  g_assert_false (cohort_event_importer_run (im, f->ws, NULL, &error));
  g_assert_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_NO_IDENTITY);
  g_clear_error (&error);

  cohort_event_importer_set_customer_column (im, "who");
  g_assert_false (cohort_event_importer_run (im, f->ws, NULL, &error));
  g_assert_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_BAD_MAPPING);
  g_assert_nonnull (strstr (error->message, "name"));
}

/* The people and events of the evaluation tests; now = 1700000000. */
static void
load_story (Fixture *f)
{
  g_autoptr(CohortEventImporter) im = NULL;

  add_customers (f, "INSERT INTO customers (id, added_at, modified_at) VALUES "
                    "('none', 0, 0), ('one', 0, 0), ('three', 0, 0), ('old', 0, 0), ('pages', 0, 0)");
  im = import (f,
               "customer_id,name,timestamp,amount,url,plan\n"
               /* one: a purchase 1 day ago, amount 60 */
               "one,purchase,1699913600,60,,\n"
               /* three: three purchases in the last 10 days, amounts 10, 55, 80 */
               "three,purchase,1699913600,10,,pro\n"
               "three,purchase,1699500000,55,,pro\n"
               "three,purchase,1699200000,80,,\n"
               /* old: a purchase 100 days ago, and one exactly 30 days ago */
               "old,purchase,1691360000,500,,\n"
               "old,purchase,1697408000,5,,\n"
               /* pages: page views */
               "pages,page,1699999000,,https://shop.example.com/pricing,\n"
               "pages,page,1699999500,,https://shop.example.com/blog/1,\n"
               /* an event right now and one in the future */
               "one,login,1700000000,,,\n"
               "one,login,1700000100,,,\n",
               TRUE, FALSE, TRUE);
}

static void
test_evaluate (Fixture *f, gconstpointer data)
{
  static const struct { const char *criteria; const char *expected; } cases[] = {
    /* performed, default count gte 1 */
    { "{\"event\": {\"name\": \"purchase\"}}", "one three old" },
    { "{\"event\": {\"name\": \"purchase\", \"operator\": \"performed\"}}", "one three old" },
    /* not_performed: customers with no events at all match */
    { "{\"event\": {\"name\": \"purchase\", \"operator\": \"not_performed\"}}", "none pages" },
    { "{\"event\": {\"name\": \"never\", \"operator\": \"not_performed\"}}", "none one three old pages" },
    { "{\"event\": {\"name\": \"never\"}}", "" },
    /* counts */
    { "{\"event\": {\"name\": \"purchase\", \"count\": {\"operator\": \"gte\", \"value\": 3}}}", "three" },
    { "{\"event\": {\"name\": \"purchase\", \"count\": {\"operator\": \"eq\", \"value\": 2}}}", "old" },
    { "{\"event\": {\"name\": \"purchase\", \"count\": {\"operator\": \"lte\", \"value\": 1}}}", "none one pages" },
    { "{\"event\": {\"name\": \"purchase\", \"count\": {\"operator\": \"eq\", \"value\": 0}}}", "none pages" },
    { "{\"event\": {\"name\": \"purchase\", \"operator\": \"not_performed\", \"count\": {\"operator\": \"gte\", \"value\": 2}}}", "none one pages" },
    /* within: now - 30 days <= t <= now; the edge is inside */
    { "{\"event\": {\"name\": \"purchase\", \"within\": {\"amount\": 30, \"unit\": \"days\"}}}", "one three old" },
    { "{\"event\": {\"name\": \"purchase\", \"within\": {\"amount\": 719, \"unit\": \"hours\"}}}", "one three" },
    { "{\"event\": {\"name\": \"purchase\", \"within\": {\"amount\": 2, \"unit\": \"weeks\"}, \"count\": {\"operator\": \"gte\", \"value\": 3}}}", "three" },
    { "{\"event\": {\"name\": \"purchase\", \"within\": {\"amount\": 1440, \"unit\": \"minutes\"}}}", "one three" },
    /* an event in the future is outside any within window, but not outside all time */
    { "{\"event\": {\"name\": \"login\", \"within\": {\"amount\": 1, \"unit\": \"minutes\"}, \"count\": {\"operator\": \"eq\", \"value\": 1}}}", "one" },
    { "{\"event\": {\"name\": \"login\", \"count\": {\"operator\": \"eq\", \"value\": 2}}}", "one" },
    /* since (inclusive) and until (exclusive) */
    { "{\"event\": {\"name\": \"purchase\", \"since\": 1699913600}}", "one three" },
    { "{\"event\": {\"name\": \"purchase\", \"until\": 1699913600}}", "three old" },
    { "{\"event\": {\"name\": \"purchase\", \"since\": \"2023-11-05\", \"until\": \"2023-11-10T00:00:00Z\"}}", "three" },
    { "{\"event\": {\"name\": \"purchase\", \"since\": 1699200000, \"until\": 1699200000}}", "" },
    /* where filters on the event's attributes, all must hold */
    { "{\"event\": {\"name\": \"purchase\", \"where\": [{\"field\": \"amount\", \"operator\": \"gt\", \"value\": 50}]}}", "one three old" },
    { "{\"event\": {\"name\": \"purchase\", \"within\": {\"amount\": 30, \"unit\": \"days\"}, \"where\": [{\"field\": \"amount\", \"operator\": \"gt\", \"value\": 50}]}}", "one three" },
    { "{\"event\": {\"name\": \"purchase\", \"where\": [{\"field\": \"amount\", \"operator\": \"gte\", \"value\": 55}], \"count\": {\"operator\": \"gte\", \"value\": 2}}}", "three" },
    { "{\"event\": {\"name\": \"purchase\", \"where\": [{\"field\": \"amount\", \"operator\": \"gt\", \"value\": 50}, {\"field\": \"plan\", \"operator\": \"eq\", \"value\": \"pro\"}]}}", "three" },
    { "{\"event\": {\"name\": \"purchase\", \"where\": [{\"field\": \"plan\", \"operator\": \"not_exists\"}]}}", "one three old" },
    { "{\"event\": {\"name\": \"purchase\", \"where\": [{\"field\": \"plan\", \"operator\": \"exists\"}], \"count\": {\"operator\": \"eq\", \"value\": 2}}}", "three" },
    { "{\"event\": {\"name\": \"purchase\", \"where\": [{\"field\": \"nosuch\", \"operator\": \"exists\"}]}}", "" },
    { "{\"event\": {\"name\": \"purchase\", \"where\": [{\"field\": \"nosuch\", \"operator\": \"not_exists\"}]}}", "one three old" },
    /* page views */
    { "{\"event\": {\"name\": \"page\", \"where\": [{\"field\": \"url\", \"operator\": \"contains\", \"value\": \"/PRICING\"}]}}", "pages" },
    { "{\"event\": {\"name\": \"page\", \"operator\": \"not_performed\", \"where\": [{\"field\": \"url\", \"operator\": \"starts_with\", \"value\": \"https://shop.example.com/blog\"}]}}", "none one three old" },
    /* combined with other nodes */
    { "{\"and\": [{\"event\": {\"name\": \"purchase\"}}, {\"not\": {\"event\": {\"name\": \"login\"}}}]}", "three old" },
    { "{\"or\": [{\"event\": {\"name\": \"page\"}}, {\"attribute\": {\"field\": \"id\", \"operator\": \"eq\", \"value\": \"none\"}}]}", "none pages" },
  };

  load_story (f);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = members (f, cases[i].criteria);

      g_test_message ("%s", cases[i].criteria);
      g_assert_cmpstr (got, ==, cases[i].expected);
    }
}

static void
test_never_stale (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortEventImporter) more = NULL;
  g_autofree char *sidecar = cohort_event_index_sidecar_path (f->path);
  const char *criteria = "{\"event\": {\"name\": \"purchase\", \"count\": {\"operator\": \"gte\", \"value\": 2}}}";

  load_story (f);
  g_assert_cmpuint (count (f, criteria), ==, 2);
  g_assert_true (g_file_test (sidecar, G_FILE_TEST_EXISTS));

  more = import (f, "customer_id,name,timestamp\none,purchase,1699000000\n", TRUE, FALSE, TRUE);
  g_assert_cmpuint (cohort_event_importer_get_imported (more), ==, 1);
  g_assert_cmpuint (count (f, criteria), ==, 3);

  /* From the file alone, as a new process would. */
  cohort_event_index_forget (f->path, FALSE);
  g_assert_cmpuint (count (f, criteria), ==, 3);

  /* Deleting a customer deletes their events. */
  add_customers (f, "DELETE FROM customers WHERE id = 'three'");
  g_assert_cmpuint (count (f, criteria), ==, 2);
}

static void
test_damaged_sidecar (Fixture *f, gconstpointer data)
{
  g_autofree char *sidecar = cohort_event_index_sidecar_path (f->path);
  g_autofree char *contents = NULL;
  const char *criteria = "{\"event\": {\"name\": \"purchase\", \"where\": [{\"field\": \"amount\", \"operator\": \"gt\", \"value\": 50}]}}";
  gsize len;

  load_story (f);
  g_assert_cmpuint (count (f, criteria), ==, 3);
  cohort_event_index_forget (f->path, FALSE);

  /* Garble the tail (the attribute columns) and cut the file. */
  g_assert_true (g_file_get_contents (sidecar, &contents, &len, NULL));
  for (gsize i = len / 2; i < len; i++)
    contents[i] = (char) 0xff;
  g_assert_true (g_file_set_contents (sidecar, contents, len, NULL));
  g_assert_cmpuint (count (f, criteria), ==, 3);

  cohort_event_index_forget (f->path, FALSE);
  g_assert_true (g_file_set_contents (sidecar, contents, len / 3, NULL));
  g_assert_cmpuint (count (f, criteria), ==, 3);
}

static gint64
query_int (Fixture *f, const char *sql)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (f->ws, sql, NULL);
  gint64 v;

  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return v;
}

/* The bulk test's file: @n visits (or views) of 1000 customers. */
static GString *
bulk_csv (const char *name, guint n)
{
  GString *csv = g_string_new ("customer_id,name,timestamp,page_url_with_a_long_name\n");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (csv, "c%u,%s,%u,https://example.com/%u\n", i % 1000, name,
                            1 + i % (n - 10), i % 7);
  /* Exact repeats: of the earlier import's event, and of row 0 of this file. */
  g_string_append_printf (csv, "c1,%s,1,https://example.com/0\n", name);
  g_string_append_printf (csv, "c0,%s,1,https://example.com/0\n", name);
  return csv;
}

/* A large file takes the bulk path (dedupe index dropped, events sorted): the
 * result must be the same as row by row, duplicates included. */
static void
test_import_bulk (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) csv = NULL;
  g_autoptr(CohortEventImporter) first = NULL;
  g_autoptr(CohortEventImporter) second = NULL;
  g_autoptr(CohortEventImporter) cancelled = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const guint n = 130000;

  /* A small import first: the bulk path must keep these and their keys. */
  first = import (f, "customer_id,name,timestamp,page_url_with_a_long_name\nc1,visit,1,https://example.com/0\n",
                  TRUE, FALSE, TRUE);
  csv = bulk_csv ("visit", n);
  path = write_csv (f, "bulk.csv", csv->str);
  g_assert_cmpuint (csv->len / 32, >=, 100000);

  second = cohort_event_importer_new (path);
  g_assert_true (cohort_event_importer_run (second, f->ws, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cohort_event_importer_get_rows (second), ==, n + 2);
  g_assert_cmpuint (cohort_event_importer_get_duplicates (second), ==, 2);
  g_assert_cmpuint (cohort_event_importer_get_imported (second), ==, n);
  g_assert_cmpint (cohort_events_count (f->ws, NULL), ==, n + 1);
  /* Both indexes are committed, the unique one built again (issue 9). */
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_customer'"), ==, 1);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_dedupe'"), ==, 1);

  /* Cancelled on the bulk path: rolled back, indexes and all. */
  g_string_free (csv, TRUE);
  csv = bulk_csv ("view", n);
  g_assert_true (g_file_set_contents (path, csv->str, -1, NULL));
  cancelled = cohort_event_importer_new (path);
  g_cancellable_cancel (cancellable);
  g_assert_false (cohort_event_importer_run (cancelled, f->ws, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (cohort_events_count (f->ws, NULL), ==, n + 1);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_customer'"), ==, 1);

  /* A small import after the bulk one still knows the bulk file's events. */
  {
    g_autoptr(CohortEventImporter) small =
      import (f, "customer_id,name,timestamp,page_url_with_a_long_name\n"
                 "c0,visit,1,https://example.com/0\n"          /* = row 0 of the bulk file */
                 "c5,other,2,https://example.com/new\n", TRUE, FALSE, TRUE);

    g_assert_cmpuint (cohort_event_importer_get_duplicates (small), ==, 1);
    g_assert_cmpuint (cohort_event_importer_get_imported (small), ==, 1);
    /* Row by row, through the unique index, which is still there. */
    g_assert_cmpint (query_int (f, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_dedupe'"), ==, 1);
    g_assert_cmpint (cohort_events_count (f->ws, NULL), ==, n + 2);
  }
  g_assert_cmpuint (count (f, "{\"event\": {\"name\": \"visit\", \"count\": {\"operator\": \"eq\", \"value\": 131}}}"),
                    ==, 1);   /* c1: 130 of this file, 1 from before */
}

/* Every event of @ws in a stable order, with its customer's id. */
static char *
dump_events (CohortWorkspace *ws)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws,
                                                 "SELECT c.id, e.name, e.timestamp, hex (e.attrs), e.dedupe "
                                                 "FROM events e JOIN customers c ON c.ordinal = e.customer "
                                                 "ORDER BY c.id, e.timestamp, e.id", NULL);
  GString *s = g_string_new (NULL);

  g_assert_nonnull (stmt);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (s, "%s %s %" G_GINT64_FORMAT " %s %" G_GINT64_FORMAT "\n",
                            sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 1),
                            (gint64) sqlite3_column_int64 (stmt, 2), sqlite3_column_text (stmt, 3),
                            (gint64) sqlite3_column_int64 (stmt, 4));
  sqlite3_reset (stmt);
  return g_string_free (s, FALSE);
}

static CohortEventImporter *
run_with_limits (CohortWorkspace *ws, const char *path, guint64 min_rows, guint chunk_rows,
                 gboolean all_or_nothing)
{
  CohortEventImporter *im = cohort_event_importer_new (path);
  g_autoptr(GError) error = NULL;

  cohort_event_importer_set_bulk_limits (im, min_rows, chunk_rows);
  cohort_event_importer_set_all_or_nothing (im, all_or_nothing);
  if (!cohort_event_importer_run (im, ws, NULL, &error))
    g_assert_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_REJECTED);
  return im;
}

/* The bulk path at small limits (every file is bulk, a few events per
 * chunk, so that chunks are sorted and inserted among earlier ones) gives
 * the same events, report and order of equal events as row by row. */
static void
test_import_bulk_chunks (Fixture *f, gconstpointer data)
{
  g_autofree char *other_path = g_build_filename (f->dir, "other.cohort", NULL);
  g_autoptr(CohortWorkspace) other = cohort_workspace_open (other_path, COHORT_WORKSPACE_OPEN_CREATE, NULL);
  g_autoptr(GString) csv = g_string_new ("customer,name,timestamp,plan,data\n");
  g_autofree char *path = NULL;
  g_autofree char *bulk_dump = NULL;
  g_autofree char *row_dump = NULL;
  CohortWorkspace *both[2] = { f->ws, other };

  g_assert_nonnull (other);
  for (guint w = 0; w < 2; w++)
    {
      g_assert_true (cohort_workspace_begin (both[w], NULL));
      g_assert_true (cohort_workspace_exec (both[w],
                                            "INSERT INTO customers (id, email, added_at, modified_at) VALUES "
                                            "('k1', NULL, 1, 1), ('k2', 'k2@example.com', 1, 1), "
                                            "('k3', NULL, 1, 1), (NULL, 'k4@example.com', 1, 1)", NULL));
      g_assert_true (cohort_workspace_commit (both[w], NULL));
    }
  for (guint i = 0; i < 200; i++)
    {
      static const char *const who[] = { "k3", "k1", "new1", "K4@example.com", "k2@example.com", "someone.new@example.com", "k2" };

      /* Same customer and time, different attributes: kept in file order */
      g_string_append_printf (csv, "%s,%s,%u,p%u,\"{\"\"n\"\": %u}\"\n", who[i % G_N_ELEMENTS (who)],
                              i % 3 ? "view" : "buy", 1000 + (i * 7919) % 13, i % 5, i % 11);
      if (i % 17 == 0)   /* a repeat in the same file */
        g_string_append_printf (csv, "%s,%s,%u,p%u,\"{\"\"n\"\": %u}\"\n", who[i % G_N_ELEMENTS (who)],
                                i % 3 ? "view" : "buy", 1000 + (i * 7919) % 13, i % 5, i % 11);
    }
  g_string_append (csv, "k1,view,not a time,p1,\n");
  path = write_csv (f, "chunks.csv", csv->str);

  for (guint chunk = 1; chunk <= 64; chunk *= 4)
    {
      g_autoptr(CohortEventImporter) bulk = NULL;
      g_autoptr(CohortEventImporter) rows = NULL;
      g_autoptr(CohortEventImporter) strict = NULL;
      g_autoptr(CohortEventImporter) again = NULL;
      g_autofree char *before = dump_events (f->ws);

      /* All or nothing with a rejected row: nothing kept, even after chunks went in */
      strict = run_with_limits (f->ws, path, 1, chunk, TRUE);
      g_assert_cmpuint (cohort_event_importer_get_n_rejected (strict), ==, 1);
      g_assert_cmpuint (cohort_event_importer_get_imported (strict), ==, 0);
      {
        g_autofree char *after = dump_events (f->ws);
        g_assert_cmpstr (after, ==, before);
      }

      bulk = run_with_limits (f->ws, path, 1, chunk, FALSE);
      rows = run_with_limits (other, path, G_MAXUINT64, 0, FALSE);
      g_assert_cmpuint (cohort_event_importer_get_rows (bulk), ==, cohort_event_importer_get_rows (rows));
      g_assert_cmpuint (cohort_event_importer_get_imported (bulk), ==, cohort_event_importer_get_imported (rows));
      g_assert_cmpuint (cohort_event_importer_get_duplicates (bulk), ==,
                        cohort_event_importer_get_duplicates (rows));
      g_assert_cmpuint (cohort_event_importer_get_customers_created (bulk), ==,
                        cohort_event_importer_get_customers_created (rows));
      g_assert_cmpuint (cohort_event_importer_get_n_rejected (bulk), ==, 1);
      g_assert_cmpuint (g_array_index (cohort_event_importer_get_rejected (bulk), CohortImportRejection, 0).line,
                        ==, 200 + 12 + 2);
      if (chunk == 1)
        {
          g_assert_cmpuint (cohort_event_importer_get_imported (bulk), ==, 200);
          g_assert_cmpuint (cohort_event_importer_get_duplicates (bulk), ==, 12);
          g_assert_cmpuint (cohort_event_importer_get_customers_created (bulk), ==, 2);
        }
      else
        {
          /* A re-import on the bulk path adds nothing */
          g_assert_cmpuint (cohort_event_importer_get_imported (bulk), ==, 0);
          g_assert_cmpuint (cohort_event_importer_get_duplicates (bulk), ==, 212);
        }

      g_free (bulk_dump);
      g_free (row_dump);
      bulk_dump = dump_events (f->ws);
      row_dump = dump_events (other);
      g_assert_cmpstr (bulk_dump, ==, row_dump);
      g_assert_cmpint (query_int (f, "SELECT count(*) FROM events"), ==, 200);
      g_assert_cmpint (query_int (f, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_customer'"), ==, 1);

      /* The bulk workspace is sound, both indexes included (issue 9: the
       * unique index of dedupe keys is built again before the commit) */
      g_assert_cmpint (query_int (f, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_dedupe'"), ==, 1);
      again = run_with_limits (f->ws, path, G_MAXUINT64, 0, FALSE);
      g_assert_cmpuint (cohort_event_importer_get_imported (again), ==, 0);
      g_assert_cmpint (query_int (f, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"),
                       ==, 0);
      g_assert_cmpint (query_int (f, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_dedupe'"), ==, 1);
    }
  g_assert_cmpuint (count (f, "{\"event\": {\"name\": \"buy\", \"count\": {\"operator\": \"gte\", \"value\": 1}}}"),
                    ==, 6);   /* k1, k2 (by id and email), k3, k4 (by email, any case), new1, someone.new */
}

/* Unix seconds have a fast path: it must agree with the general parser. */
static void
test_import_timestamps (Fixture *f, gconstpointer data)
{
  static const char *const times[] = {
    "0", "00042", "1700000000", "999999999999999", "1700000000.9", "-5", "2024-02-24T15:28:16Z",
    "9999999999999999", "12a", "",
  };
  g_autoptr(GString) csv = g_string_new ("customer_id,name,timestamp\n");
  g_autoptr(CohortEventImporter) im = NULL;
  guint64 accepted = 0;

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    g_string_append_printf (csv, "t%u,tick,%s\n", i, times[i]);
  im = import (f, csv->str, TRUE, FALSE, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT coalesce ((SELECT e.timestamp FROM events e JOIN customers c "
                                              "ON c.ordinal = e.customer WHERE c.id = 't%u'), -99)", i);
      gint64 expected;

      if (cohort_value_parse_timestamp (times[i], strlen (times[i]), &expected))
        accepted++;
      else
        expected = -99;
      g_assert_cmpint (query_int (f, sql), ==, expected);
    }
  g_assert_cmpuint (accepted, ==, 7);
  g_assert_cmpuint (cohort_event_importer_get_imported (im), ==, accepted);
  g_assert_cmpuint (cohort_event_importer_get_n_rejected (im), ==, G_N_ELEMENTS (times) - accepted);
}

/* On the bulk path, customers are looked up one by one when they far
 * outnumber the file's rows (and all read at once otherwise). */
static void
test_import_bulk_many_customers (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_csv (f, "few.csv",
                                     "customer,name,timestamp\n"
                                     "m7,a,1\n"
                                     "M9@EXAMPLE.COM,a,2\n"
                                     "m4999@example.com,b,3\n"
                                     "nobody,a,4\n"
                                     "m7,a,1\n");
  g_autoptr(CohortEventImporter) im = NULL;
  g_autofree char *dump = NULL;

  add_customers (f, "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
                    "INSERT INTO customers (id, email, added_at, modified_at) "
                    "SELECT 'm' || i, 'm' || i || '@example.com', 1, 1 FROM n");
  im = run_with_limits (f->ws, path, 1, 2, FALSE);
  g_assert_cmpuint (cohort_event_importer_get_rows (im), ==, 5);
  g_assert_cmpuint (cohort_event_importer_get_imported (im), ==, 4);
  g_assert_cmpuint (cohort_event_importer_get_duplicates (im), ==, 1);
  g_assert_cmpuint (cohort_event_importer_get_customers_created (im), ==, 1);
  dump = dump_events (f->ws);
  g_assert_true (g_str_has_prefix (dump, "m4999 b 3 "));
  g_assert_nonnull (strstr (dump, "\nm7 a 1 "));
  g_assert_nonnull (strstr (dump, "\nm9 a 2 "));
  g_assert_nonnull (strstr (dump, "\nnobody a 4 "));
}

static void
cancel_when_read (guint64 rows, guint64 bytes, guint64 total_bytes, gpointer user_data)
{
  /* Every row of the file below is read: the held events come next. */
  if (rows >= 5000)
    g_cancellable_cancel (user_data);
}

typedef struct
{
  guint64 last_bytes;
  guint64 total;
  gboolean went_back;
  guint n_after_read;   /* reports once every byte was read */
  guint64 rows;
} Progress;

static void
record_progress (guint64 rows, guint64 bytes, guint64 total_bytes, gpointer user_data)
{
  Progress *p = user_data;

  if (bytes < p->last_bytes)
    p->went_back = TRUE;
  if (rows == p->rows)
    p->n_after_read++;
  p->last_bytes = bytes;
  p->total = total_bytes;
}

/* A spreadsheet's apostrophe before an id ('0123) is dropped as the
 * customer import drops it: the event finds that customer instead of
 * creating a second one; spaces around it go too, on both paths. */
static void
test_import_apostrophe_ids (Fixture *f, gconstpointer data)
{
  add_customers (f, "INSERT INTO customers (id, email, added_at, modified_at) VALUES "
                    "('0123', 'a@example.com', 0, 0), ('+4477', NULL, 0, 0)");
  for (guint bulk = 0; bulk < 2; bulk++)
    {
      g_autofree char *p = write_csv (f, bulk ? "bulk.csv" : "rows.csv",
                                      bulk ? "customer_id,name,timestamp\n'0123,login,10\n\"  '+4477 \",login,11\n"
                                           : "customer_id,name,timestamp\n'0123,login,1\n\"  '+4477 \",login,2\n");
      g_autoptr(CohortEventImporter) im = cohort_event_importer_new (p);
      g_autoptr(GError) error = NULL;

      if (bulk)
        cohort_event_importer_set_bulk_limits (im, 1, 0);
      g_assert_true (cohort_event_importer_run (im, f->ws, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (cohort_event_importer_get_imported (im), ==, 2);
      g_assert_cmpuint (cohort_event_importer_get_customers_created (im), ==, 0);
    }
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM customers"), ==, 2);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM events e JOIN customers c ON c.ordinal = e.customer "
                                 "WHERE c.id = '0123'"), ==, 2);
}

/* On the bulk path the bar covers inserting the held events too: it never
 * goes back, is not full before they are in, and is full at the end. */
static void
test_import_bulk_progress (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) csv = g_string_new ("customer_id,name,timestamp\n");
  g_autoptr(CohortEventImporter) im = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  Progress progress = { 0, 0, FALSE, 0, 3000 };

  for (guint i = 0; i < 3000; i++)
    g_string_append_printf (csv, "c%u,tick,%u\n", i % 300, i);
  path = write_csv (f, "progress.csv", csv->str);
  im = cohort_event_importer_new (path);
  cohort_event_importer_set_bulk_limits (im, 1, 0);
  cohort_event_importer_set_progress_func (im, record_progress, &progress, NULL);
  g_assert_true (cohort_event_importer_run (im, f->ws, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cohort_event_importer_get_imported (im), ==, 3000);
  g_assert_false (progress.went_back);
  g_assert_cmpuint (progress.total, >, 0);
  g_assert_cmpuint (progress.last_bytes, ==, progress.total);
  /* Reports while inserting, after the last row was read. */
  g_assert_cmpuint (progress.n_after_read, >, 1);
}

/* Cancelled once every row is read, while the held events are inserted:
 * nothing is kept. */
static void
test_import_bulk_cancel_late (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) csv = g_string_new ("customer_id,name,timestamp\n");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(CohortEventImporter) im = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  for (guint i = 0; i < 5000; i++)
    g_string_append_printf (csv, "c%u,tick,%u\n", i % 300, i);
  path = write_csv (f, "late.csv", csv->str);
  im = cohort_event_importer_new (path);
  cohort_event_importer_set_bulk_limits (im, 1, 0);
  cohort_event_importer_set_progress_func (im, cancel_when_read, g_object_ref (cancellable), g_object_unref);
  g_assert_false (cohort_event_importer_run (im, f->ws, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (cohort_event_importer_get_rows (im), ==, 5000);
  g_assert_cmpuint (cohort_event_importer_get_imported (im), ==, 0);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM events"), ==, 0);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM customers"), ==, 0);
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_dedupe'"), ==, 1);
}

/* ---- The committed schema is the migrated one (issue 9, item 5) ------- */

/* The indexes of the events table, as text. */
static char *
event_indexes (Fixture *f)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (f->ws, "SELECT name, sql FROM sqlite_master "
                                                 "WHERE type = 'index' AND tbl_name = 'events' "
                                                 "ORDER BY name", NULL);
  GString *s = g_string_new (NULL);

  g_assert_nonnull (stmt);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (s, "%s: %s\n", sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 1));
  sqlite3_reset (stmt);
  return g_string_free (s, FALSE);
}

static void
assert_schema_kept (Fixture *f, const char *migrated)
{
  g_autofree char *now = event_indexes (f);
  g_autofree char *integrity = NULL;
  sqlite3_stmt *stmt;

  g_assert_cmpstr (now, ==, migrated);
  g_assert_nonnull (strstr (now, "events_by_dedupe: CREATE UNIQUE INDEX"));
  g_assert_nonnull (strstr (now, "events_by_customer: CREATE INDEX"));
  stmt = cohort_workspace_prepare (f->ws, "PRAGMA integrity_check", NULL);
  g_assert_nonnull (stmt);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  integrity = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  g_assert_cmpstr (integrity, ==, "ok");
}

static CohortEventImporter *
import_ticks (Fixture *f, const char *name, guint n, guint first, guint64 bulk_min_rows,
              GCancellable *cancellable, CohortImportProgressFunc progress)
{
  g_autoptr(GString) csv = g_string_new ("customer_id,name,timestamp,page\n");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  CohortEventImporter *im;
  gboolean ok;

  for (guint i = first; i < first + n; i++)
    g_string_append_printf (csv, "c%u,%s,%u,p%u\n", i % 400, name, 1000 + i, i % 9);
  path = write_csv (f, "ticks.csv", csv->str);
  im = cohort_event_importer_new (path);
  cohort_event_importer_set_bulk_limits (im, bulk_min_rows, 0);
  if (progress != NULL)
    cohort_event_importer_set_progress_func (im, progress, g_object_ref (cancellable), g_object_unref);
  ok = cohort_event_importer_run (im, f->ws, cancellable, &error);
  if (progress == NULL)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_false (ok);
    }
  return im;
}

static void
cancel_when_inserted (guint64 rows, guint64 bytes, guint64 total_bytes, gpointer user_data)
{
  /* The report once every held event is in (reading is 60 % of the bar,
   * inserting 25 %, building the unique index again the rest): nothing
   * looks at the cancellable again before that build, which the cancel
   * interrupts. */
  if (total_bytes > 0 && bytes < total_bytes && (double) bytes >= 0.849 * (double) total_bytes)
    g_cancellable_cancel (user_data);
}

/* A bulk import drops the unique index of dedupe keys for speed, inside its
 * transaction: what it commits has both indexes of the migrations, after a
 * first bulk import, a follow-up bulk one and a row-by-row one; a cancel
 * while the index is built again keeps the workspace as it was. */
static void
test_import_schema_kept (Fixture *f, gconstpointer data)
{
  g_autofree char *migrated = event_indexes (f);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  {
    /* Cancelled once every event is in, as the index is built again. */
    g_autoptr(CohortEventImporter) cancelled =
      import_ticks (f, "tock", 6000, 0, 1, cancellable, cancel_when_inserted);

    g_assert_cmpuint (cohort_event_importer_get_imported (cancelled), ==, 0);
    g_assert_cmpint (query_int (f, "SELECT count(*) FROM events"), ==, 0);
    assert_schema_kept (f, migrated);
  }
  {
    /* Into an empty table: the unique index is dropped and built again. */
    g_autoptr(CohortEventImporter) bulk = import_ticks (f, "tick", 6000, 0, 1, NULL, NULL);

    g_assert_cmpuint (cohort_event_importer_get_imported (bulk), ==, 6000);
    assert_schema_kept (f, migrated);
  }
  {
    /* Follow-up, half of it repeats; no larger than the table: the unique
     * index stays and takes the new keys. */
    g_autoptr(CohortEventImporter) again = import_ticks (f, "tick", 6000, 3000, 1, NULL, NULL);

    g_assert_cmpuint (cohort_event_importer_get_imported (again), ==, 3000);
    g_assert_cmpuint (cohort_event_importer_get_duplicates (again), ==, 3000);
    assert_schema_kept (f, migrated);
  }
  {
    /* Larger than the table again: dropped and built again. */
    g_autoptr(CohortEventImporter) big = import_ticks (f, "tick", 20000, 6000, 1, NULL, NULL);

    g_assert_cmpuint (cohort_event_importer_get_imported (big), ==, 17000);
    g_assert_cmpuint (cohort_event_importer_get_duplicates (big), ==, 3000);
    assert_schema_kept (f, migrated);
  }
  {
    /* Row by row: the unique index finds the repeats. */
    g_autoptr(CohortEventImporter) rows = import_ticks (f, "tick", 100, 25950, G_MAXUINT64, NULL, NULL);

    g_assert_cmpuint (cohort_event_importer_get_imported (rows), ==, 50);
    g_assert_cmpuint (cohort_event_importer_get_duplicates (rows), ==, 50);
    assert_schema_kept (f, migrated);
  }
  g_assert_cmpint (query_int (f, "SELECT count(*) FROM events"), ==, 26050);
  g_assert_cmpint (query_int (f, "SELECT count(DISTINCT dedupe) FROM events"), ==, 26050);
  /* The unique index works: a repeat is refused by SQLite itself. */
  g_assert_false (cohort_workspace_exec (f->ws, "INSERT INTO events (customer, name, timestamp, attrs, dedupe) "
                                         "SELECT customer, name, timestamp, attrs, dedupe FROM events LIMIT 1",
                                         NULL));
}

/* A "where" pattern that backtracks past the match limit on an event's
 * value is an error naming the node, never a non-match (issue 9). */
static void
test_where_too_complex (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortEventImporter) im = NULL;
  g_autoptr(CohortCriteria) c = NULL;
  g_autoptr(CohortEvaluation) e = NULL;
  g_autoptr(GError) error = NULL;

  load_story (f);
  im = import (f,
               "customer_id,name,timestamp,url\n"
               "one,visit,1699999000,aab\n"
               "three,visit,1699999000,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaacab\n",
               TRUE, FALSE, TRUE);
  /* Within the limit: the usual answer. */
  g_assert_cmpuint (count (f, "{\"event\":{\"name\":\"visit\",\"where\":"
                              "[{\"field\":\"url\",\"operator\":\"matches\",\"value\":\"^a+b$\"}]}}"), ==, 1);

  c = cohort_criteria_parse ("{\"and\":[{\"event\":{\"name\":\"visit\",\"where\":"
                             "[{\"field\":\"url\",\"operator\":\"matches\",\"value\":\"(a+)+b\"}]}}]}", &error);
  g_assert_no_error (error);
  e = cohort_evaluator_evaluate (f->ws, c, NULL, &error);
  g_assert_null (e);
  g_assert_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_COMPLEX);
  g_assert_true (g_str_has_prefix (error->message, "and[0].event.where"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/events/import/basic", test_import_basic);
  ADD ("/events/import/summary-and-list", test_import_summary_and_list);
  ADD ("/events/import/reject-missing", test_import_reject_missing);
  ADD ("/events/import/cancel", test_import_cancel);
  ADD ("/events/import/bad-mapping", test_import_bad_mapping);
  ADD ("/events/import/bulk", test_import_bulk);
  ADD ("/events/import/bulk-chunks", test_import_bulk_chunks);
  ADD ("/events/import/bulk-many-customers", test_import_bulk_many_customers);
  ADD ("/events/import/bulk-progress", test_import_bulk_progress);
  ADD ("/events/import/apostrophe-ids", test_import_apostrophe_ids);
  ADD ("/events/import/bulk-cancel-late", test_import_bulk_cancel_late);
  ADD ("/events/import/timestamps", test_import_timestamps);
  ADD ("/events/import/schema-kept", test_import_schema_kept);
  ADD ("/events/evaluate", test_evaluate);
  ADD ("/events/never-stale", test_never_stale);
  ADD ("/events/damaged-sidecar", test_damaged_sidecar);
  ADD ("/events/where-too-complex", test_where_too_complex);
  return g_test_run ();
}
