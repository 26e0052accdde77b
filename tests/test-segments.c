/* Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "cohort-attrs.h"
#include "cohort-segment.h"

typedef struct
{
  char            *dir;
  char            *path;
  CohortWorkspace *ws;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cohort-test-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "workspace.cohort", NULL);
  f->ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);

  g_assert_finalize_object (f->ws);
  g_remove (f->path);
  g_remove (wal);
  g_remove (shm);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static CohortSegment *
create (Fixture *f, const char *name, CohortSegmentKind kind)
{
  g_autoptr(GError) error = NULL;
  CohortSegment *s = cohort_segments_create (f->ws, name, kind, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

static void
test_create (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(CohortSegment) again = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  s = cohort_segments_create (f->ws, "  VIP customers \t", COHORT_SEGMENT_DATA_DRIVEN,
                              "  People who spend  ", &error);
  g_assert_no_error (error);
  g_assert_cmpint (cohort_segment_get_id (s), >, 0);
  g_assert_cmpstr (cohort_segment_get_name (s), ==, "VIP customers");
  g_assert_cmpstr (cohort_segment_get_description (s), ==, "People who spend");
  g_assert_cmpint (cohort_segment_get_kind (s), ==, COHORT_SEGMENT_DATA_DRIVEN);
  g_assert_true (cohort_segment_get_active (s));
  g_assert_null (cohort_segment_get_criteria (s));
  g_assert_cmpint (cohort_segment_get_count (s), ==, -1);
  g_assert_cmpint (ABS (cohort_segment_get_created_at (s) - now), <=, 5);

  again = cohort_segments_get (f->ws, cohort_segment_get_id (s), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cohort_segment_get_name (again), ==, "VIP customers");
}

static void
test_bad_names (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) first = create (f, "Newsletter", COHORT_SEGMENT_MANUAL);
  g_autofree char *max_name = NULL;
  g_autofree char *too_long = NULL;
  GString *s = g_string_new (NULL);
  static const struct { const char *name; int code; } cases[] = {
    { "", COHORT_WORKSPACE_ERROR_INVALID },
    { "   ", COHORT_WORKSPACE_ERROR_INVALID },
    { "\t\n", COHORT_WORKSPACE_ERROR_INVALID },
    { "Newsletter", COHORT_WORKSPACE_ERROR_EXISTS },
    { "newsletter", COHORT_WORKSPACE_ERROR_EXISTS },
    { " NEWSLETTER ", COHORT_WORKSPACE_ERROR_EXISTS },
    { "Ｎｅｗｓｌｅｔｔｅｒ", COHORT_WORKSPACE_ERROR_EXISTS },    /* fullwidth: NFKC folds it */
    { "two\nlines", COHORT_WORKSPACE_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CohortSegment) seg = cohort_segments_create (f->ws, cases[i].name,
                                                             COHORT_SEGMENT_MANUAL, NULL, &error);

      g_test_message ("name “%s”", cases[i].name);
      g_assert_null (seg);
      g_assert_error (error, COHORT_WORKSPACE_ERROR, cases[i].code);
      g_assert_false (cohort_segment_check_name (f->ws, cases[i].name, 0, NULL));
    }
  /* Renaming a segment to its own name (another case) is fine. */
  g_assert_true (cohort_segment_check_name (f->ws, "NEWSLETTER", cohort_segment_get_id (first), NULL));

  /* 255 characters (not bytes) are allowed, 256 are not. */
  for (int i = 0; i < 255; i++)
    g_string_append (s, "é");
  max_name = g_strdup (s->str);
  g_string_append (s, "é");
  too_long = g_string_free (s, FALSE);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CohortSegment) ok = cohort_segments_create (f->ws, max_name, COHORT_SEGMENT_MANUAL, NULL, &error);
    g_autoptr(CohortSegment) bad = NULL;

    g_assert_no_error (error);
    bad = cohort_segments_create (f->ws, too_long, COHORT_SEGMENT_MANUAL, NULL, &error);
    g_assert_null (bad);
    g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID);
  }
  {
    g_autoptr(GPtrArray) list = cohort_segments_list (f->ws, NULL);
    g_assert_cmpuint (list->len, ==, 2);
  }
}

static void
test_unicode (Fixture *f, gconstpointer data)
{
  static const char *names[] = { "Käufer 🛒", "顧客", "עברית", "Ünïcödé", "emoji 👩‍👩‍👧" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(CohortSegment) s = create (f, names[i], COHORT_SEGMENT_MANUAL);
      g_autoptr(CohortSegment) found = cohort_segments_lookup (f->ws, names[i], NULL);

      g_assert_nonnull (found);
      g_assert_cmpint (cohort_segment_get_id (found), ==, cohort_segment_get_id (s));
      g_assert_cmpstr (cohort_segment_get_name (found), ==, names[i]);
    }
  {
    g_autoptr(CohortSegment) s = cohort_segments_lookup (f->ws, "KÄUFER 🛒", NULL);
    g_assert_nonnull (s);
  }
}

static void
test_rename_and_activate (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) a = create (f, "Alpha", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegment) b = create (f, "Beta", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegment) renamed = NULL;
  g_autoptr(CohortSegment) after = NULL;
  g_autoptr(GError) error = NULL;

  renamed = cohort_segments_update (f->ws, cohort_segment_get_id (a), "Beta", NULL, &error);
  g_assert_null (renamed);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_EXISTS);
  g_clear_error (&error);

  renamed = cohort_segments_update (f->ws, cohort_segment_get_id (a), "Gamma", "new text", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cohort_segment_get_name (renamed), ==, "Gamma");
  g_assert_cmpstr (cohort_segment_get_description (renamed), ==, "new text");
  g_clear_object (&renamed);

  /* The old name is free again. */
  renamed = cohort_segments_update (f->ws, cohort_segment_get_id (b), "alpha", NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&renamed);

  g_assert_true (cohort_segments_set_active (f->ws, cohort_segment_get_id (b), FALSE, &error));
  after = cohort_segments_get (f->ws, cohort_segment_get_id (b), NULL);
  g_assert_false (cohort_segment_get_active (after));
  g_clear_object (&after);
  g_assert_true (cohort_segments_set_active (f->ws, cohort_segment_get_id (b), TRUE, &error));
  after = cohort_segments_get (f->ws, cohort_segment_get_id (b), NULL);
  g_assert_true (cohort_segment_get_active (after));

  g_assert_false (cohort_segments_set_active (f->ws, 9999, TRUE, &error));
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  renamed = cohort_segments_update (f->ws, 9999, "x", NULL, &error);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND);
}

static gint64
add_customer (Fixture *f, const char *id)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (f->ws,
      "INSERT INTO customers (id, added_at, modified_at) VALUES (?, 0, 0)", NULL);

  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  return sqlite3_last_insert_rowid (cohort_workspace_get_db (f->ws));
}

static void
add_member (Fixture *f, gint64 segment, gint64 customer)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (f->ws,
      "INSERT INTO segment_members (segment, customer) VALUES (?, ?)", NULL);

  sqlite3_bind_int64 (stmt, 1, segment);
  sqlite3_bind_int64 (stmt, 2, customer);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
}

static void
test_duplicate (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) a = create (f, "Buyers", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegment) c1 = NULL;
  g_autoptr(CohortSegment) c2 = NULL;
  g_autoptr(GError) error = NULL;
  gint64 c = add_customer (f, "c1");

  add_member (f, cohort_segment_get_id (a), c);
  add_member (f, cohort_segment_get_id (a), add_customer (f, "c2"));

  c1 = cohort_segments_duplicate (f->ws, cohort_segment_get_id (a), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cohort_segment_get_name (c1), ==, "Buyers (copy)");
  g_assert_cmpint (cohort_segment_get_count (c1), ==, 2);
  c2 = cohort_segments_duplicate (f->ws, cohort_segment_get_id (a), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cohort_segment_get_name (c2), ==, "Buyers (copy 2)");
  g_assert_cmpint (cohort_segment_get_kind (c2), ==, COHORT_SEGMENT_MANUAL);
}

static void
test_duplicate_long_name (Fixture *f, gconstpointer data)
{
  g_autofree char *name = g_strnfill (255, 'x');
  g_autoptr(CohortSegment) a = create (f, name, COHORT_SEGMENT_DATA_DRIVEN);
  g_autoptr(CohortSegment) copy = cohort_segments_duplicate (f->ws, cohort_segment_get_id (a), NULL);

  g_assert_nonnull (copy);
  g_assert_cmpint (g_utf8_strlen (cohort_segment_get_name (copy), -1), ==, 255);
  g_assert_true (g_str_has_suffix (cohort_segment_get_name (copy), " (copy)"));
  g_assert_cmpint (cohort_segment_get_kind (copy), ==, COHORT_SEGMENT_DATA_DRIVEN);
}

static void
test_delete_restore (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) a = create (f, "Churned", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegment) other = create (f, "Others", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegmentSnapshot) snapshot = NULL;
  g_autoptr(CohortSegment) restored = NULL;
  g_autoptr(CohortSegment) gone = NULL;
  g_autoptr(CohortSegment) newer = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = cohort_segment_get_id (a);
  gint64 c1 = add_customer (f, "c1"), c2 = add_customer (f, "c2");

  add_member (f, id, c1);
  add_member (f, id, c2);
  g_assert_true (cohort_segments_delete (f->ws, id, &snapshot, &error));
  g_assert_no_error (error);
  gone = cohort_segments_get (f->ws, id, &error);
  g_assert_null (gone);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A new segment never takes the deleted one's id. */
  newer = create (f, "Newer", COHORT_SEGMENT_MANUAL);
  g_assert_cmpint (cohort_segment_get_id (newer), >, id);

  /* A customer deleted meanwhile does not come back as a member. */
  g_assert_true (cohort_workspace_exec (f->ws, "DELETE FROM customers WHERE id = 'c2'", NULL));

  restored = cohort_segments_restore (f->ws, snapshot, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cohort_segment_get_id (restored), ==, id);
  g_assert_cmpstr (cohort_segment_get_name (restored), ==, "Churned");
  g_assert_cmpint (cohort_segment_get_count (restored), ==, 1);
  g_assert_cmpint (cohort_segment_get_created_at (restored), ==, cohort_segment_get_created_at (a));

  /* Deleting what does not exist says so. */
  g_assert_false (cohort_segments_delete (f->ws, 424242, NULL, &error));
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND);
  (void) other;
}

static void
test_restore_name_taken (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) a = create (f, "Leads", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegmentSnapshot) snapshot = NULL;
  g_autoptr(CohortSegment) squatter = NULL;
  g_autoptr(CohortSegment) restored = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_segments_delete (f->ws, cohort_segment_get_id (a), &snapshot, NULL));
  squatter = create (f, "LEADS", COHORT_SEGMENT_MANUAL);
  restored = cohort_segments_restore (f->ws, snapshot, &error);
  g_assert_null (restored);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_EXISTS);
}

static void
test_delete_in_use (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) target = create (f, "Target", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegment) user = create (f, "User", COHORT_SEGMENT_DATA_DRIVEN);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) users = NULL;
  g_autofree char *sql = g_strdup_printf ("INSERT INTO segment_refs (segment, target) VALUES (%"
                                          G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")",
                                          cohort_segment_get_id (user),
                                          cohort_segment_get_id (target));

  g_assert_true (cohort_workspace_exec (f->ws, sql, NULL));
  users = cohort_segments_referenced_by (f->ws, cohort_segment_get_id (target), NULL);
  g_assert_cmpstrv (users, ((const char *[]) { "User", NULL }));

  g_assert_false (cohort_segments_delete (f->ws, cohort_segment_get_id (target), NULL, &error));
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_IN_USE);
  g_assert_nonnull (strstr (error->message, "User"));
  g_clear_error (&error);

  /* The user itself can go, and then the target too. */
  g_assert_true (cohort_segments_delete (f->ws, cohort_segment_get_id (user), NULL, &error));
  g_assert_true (cohort_segments_delete (f->ws, cohort_segment_get_id (target), NULL, &error));
  g_assert_no_error (error);
}

static void
test_lookup (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortSegment) a = create (f, "Shoppers", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegment) by_id = NULL;
  g_autoptr(CohortSegment) by_name = NULL;
  g_autoptr(CohortSegment) missing = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, cohort_segment_get_id (a));

  by_id = cohort_segments_lookup (f->ws, id, NULL);
  g_assert_cmpstr (cohort_segment_get_name (by_id), ==, "Shoppers");
  by_name = cohort_segments_lookup (f->ws, "shoppers", NULL);
  g_assert_cmpint (cohort_segment_get_id (by_name), ==, cohort_segment_get_id (a));
  missing = cohort_segments_lookup (f->ws, "Nobody", &error);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND);
}

static void
test_ten_thousand (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_workspace_begin (f->ws, NULL));
  for (int i = 0; i < 10000; i++)
    {
      g_autofree char *name = g_strdup_printf ("Segment %05d", 9999 - i);
      g_autoptr(CohortSegment) s = cohort_segments_create (f->ws, name,
                                                           i % 2 ? COHORT_SEGMENT_MANUAL
                                                                 : COHORT_SEGMENT_DATA_DRIVEN,
                                                           NULL, &error);
      g_assert_no_error (error);
    }
  g_assert_true (cohort_workspace_commit (f->ws, NULL));

  list = cohort_segments_list (f->ws, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 10000);
  g_assert_cmpstr (cohort_segment_get_name (list->pdata[0]), ==, "Segment 00000");
  g_assert_cmpstr (cohort_segment_get_name (list->pdata[9999]), ==, "Segment 09999");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/segments/create", test_create);
  ADD ("/segments/bad-names", test_bad_names);
  ADD ("/segments/unicode", test_unicode);
  ADD ("/segments/rename-and-activate", test_rename_and_activate);
  ADD ("/segments/duplicate", test_duplicate);
  ADD ("/segments/duplicate-long-name", test_duplicate_long_name);
  ADD ("/segments/delete-restore", test_delete_restore);
  ADD ("/segments/restore-name-taken", test_restore_name_taken);
  ADD ("/segments/delete-in-use", test_delete_in_use);
  ADD ("/segments/lookup", test_lookup);
  ADD ("/segments/ten-thousand", test_ten_thousand);
  return g_test_run ();
}
