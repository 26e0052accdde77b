/* test-export.c: members → CSV, protected against formula injection; → JSON
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "cohort-export.h"
#include "cohort-test-customers.h"

typedef struct
{
  char *dir;
  CohortWorkspace *ws;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = g_dir_make_tmp ("cohort-export-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "test.cohort", NULL);
  f->ws = cohort_workspace_open (path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "test.cohort", NULL);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_clear_object (&f->ws);
  dir = g_dir_open (f->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (f->dir, name, NULL);
      g_remove (file);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

static void
begin (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  cohort_workspace_begin (f->ws, &error);
  g_assert_no_error (error);
}

static void
commit (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  cohort_workspace_commit (f->ws, &error);
  g_assert_no_error (error);
}

/* Customers with a "keep" attribute. */
static CohortEvaluation *
evaluate_kept (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) criteria = NULL;
  CohortEvaluation *ev;

  criteria = cohort_criteria_parse ("{\"attribute\":{\"field\":\"keep\",\"operator\":\"exists\"}}", &error);
  g_assert_no_error (error);
  ev = cohort_evaluator_evaluate (f->ws, criteria, NULL, &error);
  g_assert_no_error (error);
  return ev;
}

static char *
export_to_string (CohortEvaluation   *ev,
                  const char * const *attributes,
                  guint64             offset,
                  guint64             limit)
{
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_export_members (ev, attributes, offset, limit, out, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (out, "", 1, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
}

static void
test_cells (void)
{
  static const struct
  {
    const char *in;
    const char *out;
  } cases[] = {
    { "plain", "plain" },
    { "", "" },
    { "=1+2", "'=1+2" },
    { "+33 6 12", "'+33 6 12" },
    { "-5", "'-5" },
    { "@SUM(A1)", "'@SUM(A1)" },
    { "\tindented", "'\tindented" },
    { "\rreturn", "\"'\rreturn\"" },
    { "=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
    { "a,b", "\"a,b\"" },
    { "say \"hi\"", "\"say \"\"hi\"\"\"" },
    { "two\nlines", "\"two\nlines\"" },
    { "mid=dle", "mid=dle" },
    { "a-b", "a-b" },
    { " =space first", " =space first" },
    { "élan", "élan" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      cohort_export_append_cell (out, cases[i].in);
      g_assert_cmpstr (out->str, ==, cases[i].out);
    }

  /* No value: an empty cell. */
  {
    g_autoptr(GString) out = g_string_new ("x");
    cohort_export_append_cell (out, NULL);
    g_assert_cmpstr (out->str, ==, "x");
  }
}

static void
test_members (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autofree char *csv = NULL;
  const char *attributes[] = { "plan", "note", "missing", NULL };

  begin (f);
  test_put_customer (f->ws, 1, "c1", "one@example.com",
                     (const char *[]) { "keep", "y", "plan", "pro", "note", "=cmd|' /C calc'!A0", NULL });
  test_put_customer (f->ws, 2, "c2", NULL,
                     (const char *[]) { "keep", "y", "plan", "free", "note", "hello, world", NULL });
  test_put_customer (f->ws, 3, "c3", "three@example.com", (const char *[]) { "plan", "pro", NULL });
  test_put_customer (f->ws, 4, NULL, "-four@example.com",
                     (const char *[]) { "keep", "y", "note", "line\nbreak", NULL });
  commit (f);

  ev = evaluate_kept (f);
  g_assert_cmpuint (cohort_evaluation_get_count (ev), ==, 3);

  csv = export_to_string (ev, attributes, 0, 0);
  g_assert_cmpstr (csv, ==,
                   "id,email,plan,note,missing\n"
                   "c1,one@example.com,pro,'=cmd|' /C calc'!A0,\n"
                   "c2,,free,\"hello, world\",\n"
                   ",'-four@example.com,,\"line\nbreak\",\n");
  g_clear_pointer (&csv, g_free);

  /* No attributes. */
  csv = export_to_string (ev, NULL, 0, 0);
  g_assert_cmpstr (csv, ==, "id,email\nc1,one@example.com\nc2,\n,'-four@example.com\n");
  g_clear_pointer (&csv, g_free);

  /* A range. */
  csv = export_to_string (ev, NULL, 1, 1);
  g_assert_cmpstr (csv, ==, "id,email\nc2,\n");
  g_clear_pointer (&csv, g_free);
  csv = export_to_string (ev, NULL, 5, 0);
  g_assert_cmpstr (csv, ==, "id,email\n");
  g_clear_pointer (&csv, g_free);

  /* Header names are protected too. */
  {
    const char *odd[] = { "=x", "a,b", NULL };
    csv = export_to_string (ev, odd, 2, 0);
    g_assert_cmpstr (csv, ==, "id,email,'=x,\"a,b\"\n,'-four@example.com,,\n");
  }
}

/* JSON: raw values (no formula prefix), null for a missing one. */
static void
test_members_json (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  const char *attributes[] = { "note", "missing", NULL };
  JsonArray *array;
  JsonObject *o;

  begin (f);
  test_put_customer (f->ws, 1, "c1", "one@example.com",
                     (const char *[]) { "keep", "y", "note", "=cmd|' /C calc'!A0", NULL });
  test_put_customer (f->ws, 2, "c2", NULL, (const char *[]) { "keep", "y", "note", "a\"b", NULL });
  test_put_customer (f->ws, 3, "c3", "three@example.com", NULL);
  test_put_customer (f->ws, 4, NULL, "-four@example.com", (const char *[]) { "keep", "y", NULL });
  commit (f);
  ev = evaluate_kept (f);

  text = cohort_export_members_json (ev, attributes, 0, 0);
  g_assert_false (g_str_has_suffix (text, "\n"));
  g_assert_true (g_str_has_prefix (text, "[\n  {\n    \"id\""));
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  array = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  o = json_array_get_object_element (array, 0);
  g_assert_cmpuint (json_object_get_size (o), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, "c1");
  g_assert_cmpstr (json_object_get_string_member (o, "email"), ==, "one@example.com");
  g_assert_cmpstr (json_object_get_string_member (o, "note"), ==, "=cmd|' /C calc'!A0");
  g_assert_true (json_object_get_null_member (o, "missing"));
  o = json_array_get_object_element (array, 1);
  g_assert_true (json_object_get_null_member (o, "email"));
  g_assert_cmpstr (json_object_get_string_member (o, "note"), ==, "a\"b");
  o = json_array_get_object_element (array, 2);
  g_assert_true (json_object_get_null_member (o, "id"));
  g_assert_cmpstr (json_object_get_string_member (o, "email"), ==, "-four@example.com");
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&node, json_node_unref);

  /* A range, no attributes. */
  text = cohort_export_members_json (ev, NULL, 1, 1);
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  array = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  o = json_array_get_object_element (array, 0);
  g_assert_cmpuint (json_object_get_size (o), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, "c2");
  g_clear_pointer (&text, g_free);

  /* Past the end: an empty array. */
  text = cohort_export_members_json (ev, NULL, 5, 0);
  g_assert_cmpstr (text, ==, "[]");
}

typedef struct
{
  guint   calls;
  guint64 last_done;
  guint64 total;
  GCancellable *cancel_at_first;
} Progress;

static void
progress_cb (guint64  done,
             guint64  total,
             gpointer user_data)
{
  Progress *p = user_data;

  g_assert_cmpuint (done, >=, p->last_done);
  g_assert_cmpuint (done, <=, total);
  p->calls++;
  p->last_done = done;
  p->total = total;
  if (p->cancel_at_first != NULL && done > 0)
    g_cancellable_cancel (p->cancel_at_first);
}

static void
test_streamed (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "members.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileOutputStream) out = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  const char *attributes[] = { "n", NULL };
  Progress progress = { 0 };
  gsize len;

  begin (f);
  for (guint i = 1; i <= 10000; i++)
    {
      g_autofree char *id = g_strdup_printf ("user-%05u", i);
      g_autofree char *email = g_strdup_printf ("user%u@example.com", i);
      g_autofree char *n = g_strdup_printf ("%s%u", i % 10 == 0 ? "-" : "", i);

      test_put_customer (f->ws, i, id, email, (const char *[]) { "keep", "y", "n", n, NULL });
    }
  commit (f);
  ev = evaluate_kept (f);
  g_assert_cmpuint (cohort_evaluation_get_count (ev), ==, 10000);

  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cohort_export_members (ev, attributes, 0, 0, G_OUTPUT_STREAM (out),
                                        progress_cb, &progress, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error));

  /* Progress came in steps, and ended with all of them. */
  g_assert_cmpuint (progress.calls, >, 2);
  g_assert_cmpuint (progress.last_done, ==, 10000);
  g_assert_cmpuint (progress.total, ==, 10000);

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  lines = g_strsplit (contents, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 10002);
  g_assert_cmpstr (lines[0], ==, "id,email,n");
  g_assert_cmpstr (lines[1], ==, "user-00001,user1@example.com,1");
  g_assert_cmpstr (lines[10], ==, "user-00010,user10@example.com,'-10");
  g_assert_cmpstr (lines[10000], ==, "user-10000,user10000@example.com,'-10000");
  g_assert_cmpstr (lines[10001], ==, "");
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  Progress progress = { 0 };

  begin (f);
  for (guint i = 1; i <= 10000; i++)
    {
      g_autofree char *id = g_strdup_printf ("u%u", i);
      test_put_customer (f->ws, i, id, NULL, (const char *[]) { "keep", "y", NULL });
    }
  commit (f);
  ev = evaluate_kept (f);

  progress.cancel_at_first = cancellable;
  g_assert_false (cohort_export_members (ev, NULL, 0, 0, out, progress_cb, &progress, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (progress.last_done, <, 10000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/export/cells", test_cells);
  g_test_add ("/export/members", Fixture, NULL, fixture_set_up, test_members, fixture_tear_down);
  g_test_add ("/export/members-json", Fixture, NULL, fixture_set_up, test_members_json, fixture_tear_down);
  g_test_add ("/export/streamed", Fixture, NULL, fixture_set_up, test_streamed, fixture_tear_down);
  g_test_add ("/export/cancelled", Fixture, NULL, fixture_set_up, test_cancelled, fixture_tear_down);

  return g_test_run ();
}
