/* Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "cohort-segment.h"
#include "cohort-workspace.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("cohort-test-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "sub", "workspace.cohort", NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_remove (path);
      return;
    }
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static char *
file_checksum (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
}

static gint64
query_int (CohortWorkspace *ws, const char *sql)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, sql, NULL);
  gint64 v;

  g_assert_nonnull (stmt);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return v;
}

static void
test_create_and_reopen (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autofree char *uuid = NULL;

  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND);
  g_assert_null (ws);
  g_clear_error (&error);

  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (query_int (ws, "PRAGMA user_version"), ==, cohort_workspace_schema_version ());
  g_assert_cmpint (query_int (ws, "PRAGMA foreign_keys"), ==, 1);
  g_assert_cmpint (query_int (ws, "SELECT count(*) FROM sqlite_master WHERE name = 'segments'"), ==, 1);
  g_assert_cmpstr (cohort_workspace_get_path (ws), ==, f->path);
  g_assert_nonnull (cohort_workspace_get_uuid (ws));
  uuid = g_strdup (cohort_workspace_get_uuid (ws));
  g_assert_cmpint (cohort_workspace_get_data_generation (ws), ==, 1);
  g_clear_object (&ws);

  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cohort_workspace_get_uuid (ws), ==, uuid);
  {
    sqlite3_stmt *stmt = cohort_workspace_prepare (ws, "PRAGMA journal_mode", NULL);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
    sqlite3_reset (stmt);
  }
}

static void
test_refuse_newer (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *sql = NULL;

  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  sql = g_strdup_printf ("PRAGMA user_version = %d", cohort_workspace_schema_version () + 1);
  g_assert_true (cohort_workspace_exec (ws, sql, NULL));
  g_assert_true (cohort_workspace_exec (ws, "PRAGMA wal_checkpoint(TRUNCATE)", NULL));
  g_clear_object (&ws);

  before = file_checksum (f->path);
  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_null (ws);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_TOO_NEW);
  g_assert_nonnull (strstr (error->message, "newer"));
  after = file_checksum (f->path);
  g_assert_cmpstr (before, ==, after);
}

static void
write_file (const char *path, const void *data, gsize len)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_mkdir_with_parents (dir, 0700);
  g_assert_true (g_file_set_contents (path, data, len, NULL));
}

static void
test_refuse_png (Fixture *f, gconstpointer data)
{
  static const guint8 png[] = {
    0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R',
    0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  write_file (f->path, png, sizeof png);
  before = file_checksum (f->path);
  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_null (ws);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE);
  after = file_checksum (f->path);
  g_assert_cmpstr (before, ==, after);
  {
    g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
    g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  }
}

static void
test_refuse_foreign_db (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  sqlite3 *db;

  g_mkdir_with_parents (dir, 0700);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE moz_places (id INTEGER)", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  before = file_checksum (f->path);
  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_null (ws);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE);
  after = file_checksum (f->path);
  g_assert_cmpstr (before, ==, after);
}

static void
make_big_workspace (const char *path)
{
  g_autoptr(CohortWorkspace) ws = cohort_workspace_open (path, COHORT_WORKSPACE_OPEN_CREATE, NULL);

  g_assert_nonnull (ws);
  g_assert_true (cohort_workspace_begin (ws, NULL));
  for (int i = 0; i < 500; i++)
    {
      g_autofree char *name = g_strdup_printf ("Segment number %d with a long enough name", i);
      g_autoptr(CohortSegment) s = cohort_segments_create (ws, name, COHORT_SEGMENT_MANUAL,
                                                           "padding padding padding", NULL);
      g_assert_nonnull (s);
    }
  g_assert_true (cohort_workspace_commit (ws, NULL));
  g_assert_true (cohort_workspace_exec (ws, "PRAGMA wal_checkpoint(TRUNCATE)", NULL));
}

static void
test_refuse_truncated (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize len;

  make_big_workspace (f->path);
  g_assert_true (g_file_get_contents (f->path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 8192);
  write_file (f->path, contents, len / 2);

  before = file_checksum (f->path);
  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_null (ws);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_CORRUPT);
  after = file_checksum (f->path);
  g_assert_cmpstr (before, ==, after);

  /* Shorter than the header itself. */
  g_clear_error (&error);
  write_file (f->path, contents, 50);
  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_null (ws);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_CORRUPT);
}

static void
test_refuse_garbled (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize len;

  make_big_workspace (f->path);
  g_assert_true (g_file_get_contents (f->path, &contents, &len, NULL));
  /* Keep the header, destroy the schema page and beyond. */
  for (gsize i = 100; i < len; i++)
    contents[i] = (char) (i * 7919);
  write_file (f->path, contents, len);

  before = file_checksum (f->path);
  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_null (ws);
  g_assert_true (g_error_matches (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_CORRUPT) ||
                 g_error_matches (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE));
  after = file_checksum (f->path);
  g_assert_cmpstr (before, ==, after);
}

static void
test_empty_file_is_new (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = NULL;

  write_file (f->path, "", 0);
  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ws);
  g_assert_cmpint (query_int (ws, "PRAGMA user_version"), ==, cohort_workspace_schema_version ());
}

static void
on_changed (CohortWorkspace *ws, guint what, gpointer data)
{
  *(guint *) data |= what;
}

static void
test_transactions (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, NULL);
  guint changed = 0;
  gint64 gen;

  g_signal_connect (ws, "changed", G_CALLBACK (on_changed), &changed);
  gen = cohort_workspace_get_data_generation (ws);

  /* Inner rollback keeps the outer work. */
  g_assert_true (cohort_workspace_begin (ws, NULL));
  g_assert_true (cohort_workspace_set_meta (ws, "a", "1", NULL));
  g_assert_true (cohort_workspace_begin (ws, NULL));
  g_assert_true (cohort_workspace_set_meta (ws, "b", "2", NULL));
  cohort_workspace_rollback (ws);
  g_assert_true (cohort_workspace_note_change (ws, COHORT_CHANGE_CUSTOMERS, NULL));
  g_assert_cmpuint (changed, ==, 0);
  g_assert_true (cohort_workspace_commit (ws, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, COHORT_CHANGE_CUSTOMERS);
  g_assert_cmpint (cohort_workspace_get_data_generation (ws), ==, gen + 1);
  {
    g_autofree char *a = cohort_workspace_get_meta (ws, "a");
    g_autofree char *b = cohort_workspace_get_meta (ws, "b");

    g_assert_cmpstr (a, ==, "1");
    g_assert_null (b);
  }

  /* A failed outer transaction leaves nothing behind and emits nothing. */
  changed = 0;
  g_assert_true (cohort_workspace_begin (ws, NULL));
  g_assert_true (cohort_workspace_set_meta (ws, "c", "3", NULL));
  g_assert_true (cohort_workspace_note_change (ws, COHORT_CHANGE_SEGMENTS, NULL));
  cohort_workspace_rollback (ws);
  g_assert_false (cohort_workspace_in_transaction (ws));
  g_assert_cmpuint (changed, ==, 0);
  {
    g_autofree char *c = cohort_workspace_get_meta (ws, "c");
    g_assert_null (c);
  }
}

static void
test_external_changes (Fixture *f, gconstpointer data)
{
  g_autoptr(CohortWorkspace) app = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, NULL);
  g_autoptr(CohortWorkspace) cli = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, NULL);
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(GPtrArray) list = NULL;
  guint changed = 0;

  g_signal_connect (app, "changed", G_CALLBACK (on_changed), &changed);
  g_assert_false (cohort_workspace_check_external_changes (app));

  /* Our own writes are not "external". */
  s = cohort_segments_create (app, "Mine", COHORT_SEGMENT_MANUAL, NULL, NULL);
  g_assert_nonnull (s);
  changed = 0;
  g_assert_false (cohort_workspace_check_external_changes (app));
  g_clear_object (&s);

  s = cohort_segments_create (cli, "From the command line", COHORT_SEGMENT_MANUAL, NULL, NULL);
  g_assert_nonnull (s);
  g_assert_true (cohort_workspace_check_external_changes (app));
  g_assert_cmpuint (changed, ==, COHORT_CHANGE_ALL);
  list = cohort_segments_list (app, NULL);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_false (cohort_workspace_check_external_changes (app));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/workspace/create-and-reopen", test_create_and_reopen);
  ADD ("/workspace/refuse-newer", test_refuse_newer);
  ADD ("/workspace/refuse-png", test_refuse_png);
  ADD ("/workspace/refuse-foreign-db", test_refuse_foreign_db);
  ADD ("/workspace/refuse-truncated", test_refuse_truncated);
  ADD ("/workspace/refuse-garbled", test_refuse_garbled);
  ADD ("/workspace/empty-file-is-new", test_empty_file_is_new);
  ADD ("/workspace/transactions", test_transactions);
  ADD ("/workspace/external-changes", test_external_changes);
  return g_test_run ();
}
