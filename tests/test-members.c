/* Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "cohort-criteria.h"
#include "cohort-members.h"
#include "cohort-test-workspace.h"
#include "cohort-segment.h"

typedef struct
{
  char            *dir;
  char            *path;
  CohortWorkspace *ws;
  gint64           manual;
  gint64           dynamic;
} Fixture;

static void
add_customer (Fixture *f, const char *id, const char *email)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (f->ws,
      "INSERT INTO customers (id, email, added_at, modified_at) VALUES (?, ?, 0, 0)", NULL);

  if (id)
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (email)
    sqlite3_bind_text (stmt, 2, email, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) m = NULL;
  g_autoptr(CohortSegment) d = NULL;

  f->dir = g_dir_make_tmp ("cohort-test-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "workspace.cohort", NULL);
  f->ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, NULL);
  g_assert_nonnull (f->ws);
  add_customer (f, "1", "ann@example.com");
  add_customer (f, "2", "bob@example.com");
  add_customer (f, NULL, "cat@example.com");
  add_customer (f, "bob@example.com", NULL);   /* an id that looks like someone's email */
  m = cohort_segments_create (f->ws, "Hand list", COHORT_SEGMENT_MANUAL, NULL, NULL);
  d = cohort_segments_create (f->ws, "Rules", COHORT_SEGMENT_DATA_DRIVEN, NULL, NULL);
  f->manual = cohort_segment_get_id (m);
  f->dynamic = cohort_segment_get_id (d);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  TestWorkspace t = { f->dir, f->path, f->ws };

  /* Also removes the index files the tests made, and checks the folder is empty. */
  test_workspace_close (&t);
}

static void
test_parse (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) ids = cohort_members_parse_identifiers (" 1 ,2\r\n\n\"ann@example.com\"\t3;1\n  ");

  g_assert_cmpuint (ids->len, ==, 4);
  g_assert_cmpstr (ids->pdata[0], ==, "1");
  g_assert_cmpstr (ids->pdata[1], ==, "2");
  g_assert_cmpstr (ids->pdata[2], ==, "ann@example.com");
  g_assert_cmpstr (ids->pdata[3], ==, "3");
}

static void
test_add_remove (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) ids = cohort_members_parse_identifiers ("1\nCAT@example.com\nnobody\n2\nbob@example.com\nghost@x.org");
  g_auto(CohortMembersResult) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GArray) removed = NULL;
  guint changed = 0;

  g_assert_true (cohort_members_add (f->ws, f->manual, ids, &r, &error));
  g_assert_no_error (error);
  /* 1, cat (email, case-insensitive), 2, and "bob@example.com" which is an id. */
  g_assert_cmpuint (r.changed, ==, 4);
  g_assert_cmpuint (r.unchanged, ==, 0);
  g_assert_cmpuint (r.unknown->len, ==, 2);
  g_assert_cmpstr (r.unknown->pdata[0], ==, "nobody");
  g_assert_cmpstr (r.unknown->pdata[1], ==, "ghost@x.org");
  g_assert_cmpint (cohort_members_count (f->ws, f->manual, NULL), ==, 4);

  again = cohort_members_parse_identifiers ("1,2");
  g_assert_true (cohort_members_add (f->ws, f->manual, again, &r, &error));
  g_assert_cmpuint (r.changed, ==, 0);
  g_assert_cmpuint (r.unchanged, ==, 2);

  g_assert_true (cohort_members_remove (f->ws, f->manual, again, &r, &error));
  g_assert_cmpuint (r.changed, ==, 2);
  g_assert_cmpint (cohort_members_count (f->ws, f->manual, NULL), ==, 2);

  {
    gint64 ordinals[] = { 1, 2 };
    g_assert_true (cohort_members_add_ordinals (f->ws, f->manual, ordinals, 2, &changed, &error));
    g_assert_cmpuint (changed, ==, 2);
    g_assert_true (cohort_members_remove_ordinals (f->ws, f->manual, ordinals, 1, &changed, &error));
    g_assert_cmpuint (changed, ==, 1);
  }

  g_assert_true (cohort_members_clear (f->ws, f->manual, &removed, &error));
  g_assert_cmpuint (removed->len, ==, 3);
  g_assert_cmpint (cohort_members_count (f->ws, f->manual, NULL), ==, 0);
}

static void
test_refuse_data_driven (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) ids = cohort_members_parse_identifiers ("1");
  g_autoptr(GError) error = NULL;
  gint64 gen = cohort_workspace_get_data_generation (f->ws);

  g_assert_false (cohort_members_add (f->ws, f->dynamic, ids, NULL, &error));
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "data-driven"));
  g_clear_error (&error);
  g_assert_false (cohort_members_clear (f->ws, f->dynamic, NULL, &error));
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cohort_members_add (f->ws, 12345, ids, NULL, &error));
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND);
  g_assert_cmpint (cohort_workspace_get_data_generation (f->ws), ==, gen);
  g_assert_false (cohort_workspace_in_transaction (f->ws));
}

static void
on_changed (CohortWorkspace *ws, guint what, gpointer data)
{
  *(guint *) data |= what;
}

static void
test_change_signal (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) ids = cohort_members_parse_identifiers ("1");
  gint64 gen = cohort_workspace_get_data_generation (f->ws);
  guint changed = 0;

  g_signal_connect (f->ws, "changed", G_CALLBACK (on_changed), &changed);
  g_assert_true (cohort_members_add (f->ws, f->manual, ids, NULL, NULL));
  g_assert_cmpuint (changed, ==, COHORT_CHANGE_MEMBERS);
  /* Membership is not derived data: the index generation stays. */
  g_assert_cmpint (cohort_workspace_get_data_generation (f->ws), ==, gen);
  /* Nothing changed: no signal. */
  changed = 0;
  g_assert_true (cohort_members_add (f->ws, f->manual, ids, NULL, NULL));
  g_assert_cmpuint (changed, ==, 0);
  g_signal_handlers_disconnect_by_data (f->ws, &changed);
}

static void
test_from_csv (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "upload.csv", NULL);
  g_auto(CohortMembersResult) r = { 0 };
  g_autoptr(GError) error = NULL;

  /* Shopify-style: quoted header, apostrophe-protected ids, a BOM, CRLF. */
  g_assert_true (g_file_set_contents (path,
      "\xef\xbb\xbf\"Customer ID\",\"Email\",\"Note\"\r\n"
      "'1,,x\r\n"
      ",CAT@example.com,y\r\n"
      "'999,ann@example.com,z\r\n"        /* id wins: 999 is unknown */
      ",,empty\r\n"
      "2,bob@example.com\r\n"             /* one field short: bad row */
      "1,,again\r\n", -1, NULL));
  g_assert_true (cohort_members_add_from_csv (f->ws, f->manual, path, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.changed, ==, 2);
  g_assert_cmpuint (r.unknown->len, ==, 1);
  g_assert_cmpstr (r.unknown->pdata[0], ==, "999");
  g_assert_cmpuint (r.bad_rows->len, ==, 2);
  g_assert_nonnull (strstr (r.bad_rows->pdata[0], "line 5"));
  g_assert_nonnull (strstr (r.bad_rows->pdata[1], "line 6"));
  g_assert_cmpint (cohort_members_count (f->ws, f->manual, NULL), ==, 2);

  g_assert_true (g_file_set_contents (path, "name,phone\nx,1\n", -1, NULL));
  g_assert_false (cohort_members_add_from_csv (f->ws, f->manual, path, &r, NULL, &error));
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID);
  g_remove (path);
}

static void
test_freeze (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) frozen = NULL;
  g_autoptr(CohortSegment) frozen_manual = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = cohort_members_parse_identifiers ("2");

  g_assert_true (cohort_segments_set_criteria (f->ws, f->dynamic,
      "{\"attribute\": {\"field\": \"email\", \"operator\": \"ends_with\", \"value\": \"@EXAMPLE.com\"}}",
      &error));
  g_assert_no_error (error);

  frozen = cohort_segments_freeze (f->ws, f->dynamic, "Frozen rules", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cohort_segment_get_kind (frozen), ==, COHORT_SEGMENT_MANUAL);
  g_assert_cmpint (cohort_segment_get_count (frozen), ==, 3);   /* ann, bob, cat */

  /* A frozen list no longer follows the rules. */
  g_assert_true (cohort_workspace_exec (f->ws, "UPDATE customers SET email = 'x@other.org' WHERE id = '1'", NULL));
  {
    g_autoptr(CohortSegment) again = cohort_segments_get (f->ws, cohort_segment_get_id (frozen), NULL);
    g_assert_cmpint (cohort_segment_get_count (again), ==, 3);
  }

  /* Manual segments freeze too; a taken name is refused and nothing is left behind. */
  g_assert_true (cohort_members_add (f->ws, f->manual, ids, NULL, NULL));
  frozen_manual = cohort_segments_freeze (f->ws, f->manual, "frozen RULES", NULL, &error);
  g_assert_null (frozen_manual);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_EXISTS);
  g_assert_false (cohort_workspace_in_transaction (f->ws));
  g_clear_error (&error);
  frozen_manual = cohort_segments_freeze (f->ws, f->manual, "Hand copy", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cohort_segment_get_count (frozen_manual), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/members/parse", test_parse);
  ADD ("/members/add-remove", test_add_remove);
  ADD ("/members/refuse-data-driven", test_refuse_data_driven);
  ADD ("/members/change-signal", test_change_signal);
  ADD ("/members/from-csv", test_from_csv);
  ADD ("/members/freeze", test_freeze);
  return g_test_run ();
}
