/* Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
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
assert_integrity_ok (CohortWorkspace *ws)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, "PRAGMA integrity_check", NULL);

  g_assert_nonnull (stmt);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_reset (stmt);
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

static char *
stamp_of (sqlite3 *db, CohortStampKind kind)
{
  g_autoptr(GError) error = NULL;
  char *stamp = NULL;

  g_assert_true (cohort_workspace_read_stamp (db, kind, &stamp, &error));
  g_assert_no_error (error);
  return stamp;
}

static void
raw_exec (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  char *msg = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  sqlite3_close (db);
}

/* Another program (the sqlite3 shell) changes the tables behind Cohort's
 * back: the stamp of what it changed moves, the other one stays. */
static void
test_stamp_external_edit (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_autofree char *c0 = NULL, *e0 = NULL, *c1 = NULL, *e1 = NULL, *c2 = NULL, *e2 = NULL;
  g_autofree char *c3 = NULL;
  sqlite3 *db;

  g_assert_no_error (error);
  db = cohort_workspace_get_db (ws);
  c0 = stamp_of (db, COHORT_STAMP_CUSTOMERS);
  e0 = stamp_of (db, COHORT_STAMP_EVENTS);
  g_assert_cmpstr (c0, !=, e0);
  g_assert_true (g_str_has_prefix (c0, cohort_workspace_get_uuid (ws)));

  raw_exec (f->path, "INSERT INTO customers (id, added_at, modified_at) VALUES ('b3', 0, 0)");
  c1 = stamp_of (db, COHORT_STAMP_CUSTOMERS);
  e1 = stamp_of (db, COHORT_STAMP_EVENTS);
  g_assert_cmpstr (c1, !=, c0);
  g_assert_cmpstr (e1, ==, e0);

  raw_exec (f->path, "INSERT INTO events (customer, name, timestamp, dedupe) "
                     "SELECT ordinal, 'buy', 1, 7 FROM customers WHERE id = 'b3'");
  c2 = stamp_of (db, COHORT_STAMP_CUSTOMERS);
  e2 = stamp_of (db, COHORT_STAMP_EVENTS);
  g_assert_cmpstr (c2, ==, c1);
  g_assert_cmpstr (e2, !=, e1);

  /* Deleting the customer takes its events along (and changes both). */
  raw_exec (f->path, "PRAGMA foreign_keys = ON; DELETE FROM customers WHERE id = 'b3'");
  c3 = stamp_of (db, COHORT_STAMP_CUSTOMERS);
  g_assert_cmpstr (c3, !=, c2);
  g_assert_cmpstr (c3, !=, c0);
  {
    g_autofree char *e3 = stamp_of (db, COHORT_STAMP_EVENTS);
    g_assert_cmpstr (e3, !=, e2);
  }
}

/* A backup copied back: the same edit made again after the restore must not
 * give the stamp the file had when it was made the first time. */
static void
test_stamp_restored_backup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = g_strconcat (f->path, ".bak", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *after_first = NULL, *after_second = NULL;
  gsize len;
  CohortWorkspace *ws;

  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  g_assert_true (cohort_workspace_exec (ws, "PRAGMA wal_checkpoint(TRUNCATE)", NULL));
  g_object_unref (ws);
  g_assert_true (g_file_get_contents (f->path, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (backup, contents, len, NULL));

  raw_exec (f->path, "INSERT INTO customers (id, added_at, modified_at) VALUES ('x', 0, 0)");
  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_no_error (error);
  after_first = stamp_of (cohort_workspace_get_db (ws), COHORT_STAMP_CUSTOMERS);
  g_assert_true (cohort_workspace_exec (ws, "PRAGMA wal_checkpoint(TRUNCATE)", NULL));
  g_object_unref (ws);

  /* Restore, then the very same edit. */
  g_assert_true (g_file_set_contents (f->path, contents, len, NULL));
  raw_exec (f->path, "INSERT INTO customers (id, added_at, modified_at) VALUES ('x', 0, 0)");
  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_no_error (error);
  after_second = stamp_of (cohort_workspace_get_db (ws), COHORT_STAMP_CUSTOMERS);
  g_assert_cmpstr (after_first, !=, after_second);
  g_object_unref (ws);
}

static gint64
count_stamp_triggers (CohortWorkspace *ws)
{
  return query_int (ws, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name GLOB '*_stamp_*'");
}

/* Bulk writers drop the triggers inside their transaction; the commit puts
 * them back with fresh stamps, a rollback with the rest. */
static void
test_stamp_suspended (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_autofree char *c0 = NULL, *c1 = NULL, *c2 = NULL, *e1 = NULL, *e2 = NULL;
  sqlite3 *db;

  g_assert_no_error (error);
  db = cohort_workspace_get_db (ws);
  g_assert_cmpint (count_stamp_triggers (ws), ==, 12);
  c0 = stamp_of (db, COHORT_STAMP_CUSTOMERS);

  /* Rolled back: triggers and stamp as before. */
  g_assert_true (cohort_workspace_begin (ws, NULL));
  g_assert_true (cohort_workspace_suspend_stamp_triggers (ws, COHORT_STAMP_CUSTOMERS_MASK | COHORT_STAMP_EVENTS_MASK, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_stamp_triggers (ws), ==, 0);
  g_assert_true (cohort_workspace_exec (ws, "INSERT INTO customers (id, added_at, modified_at) "
                                            "VALUES ('a', 0, 0)", NULL));
  cohort_workspace_rollback (ws);
  g_assert_cmpint (count_stamp_triggers (ws), ==, 12);
  c1 = stamp_of (db, COHORT_STAMP_CUSTOMERS);
  g_assert_cmpstr (c1, ==, c0);

  /* Committed: triggers back, both stamps new although no trigger fired. */
  e1 = stamp_of (db, COHORT_STAMP_EVENTS);
  g_assert_true (cohort_workspace_begin (ws, NULL));
  g_assert_true (cohort_workspace_begin (ws, NULL));
  g_assert_true (cohort_workspace_suspend_stamp_triggers (ws, COHORT_STAMP_CUSTOMERS_MASK | COHORT_STAMP_EVENTS_MASK, &error));
  g_assert_true (cohort_workspace_exec (ws, "INSERT INTO customers (id, added_at, modified_at) "
                                            "VALUES ('a', 0, 0)", NULL));
  g_assert_true (cohort_workspace_commit (ws, &error));
  g_assert_cmpint (count_stamp_triggers (ws), ==, 0);
  g_assert_true (cohort_workspace_commit (ws, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_stamp_triggers (ws), ==, 12);
  c2 = stamp_of (db, COHORT_STAMP_CUSTOMERS);
  e2 = stamp_of (db, COHORT_STAMP_EVENTS);
  g_assert_cmpstr (c2, !=, c1);
  g_assert_cmpstr (e2, !=, e1);

  /* A savepoint that dropped them, rolled back inside a committed transaction. */
  g_assert_true (cohort_workspace_begin (ws, NULL));
  g_assert_true (cohort_workspace_begin (ws, NULL));
  g_assert_true (cohort_workspace_suspend_stamp_triggers (ws, COHORT_STAMP_CUSTOMERS_MASK | COHORT_STAMP_EVENTS_MASK, &error));
  cohort_workspace_rollback (ws);
  g_assert_cmpint (count_stamp_triggers (ws), ==, 12);
  g_assert_true (cohort_workspace_exec (ws, "UPDATE customers SET modified_at = 1", NULL));
  g_assert_true (cohort_workspace_commit (ws, &error));
  g_assert_cmpint (count_stamp_triggers (ws), ==, 12);
  {
    g_autofree char *c3 = stamp_of (db, COHORT_STAMP_CUSTOMERS);
    g_assert_cmpstr (c3, !=, c2);
  }
}

/* A workspace of an older version, whose imports dropped the unique event
 * index (and so hold an event twice): the migration restores the schema. */
static void
test_migration_restores_schema (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  CohortWorkspace *ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);

  g_assert_no_error (error);
  g_assert_true (cohort_workspace_exec (ws,
    "DROP INDEX events_by_dedupe; DROP INDEX events_by_customer;"
    "DROP TRIGGER customers_stamp_insert; DROP TRIGGER customers_stamp_update;"
    "DROP TRIGGER customers_stamp_delete; DROP TRIGGER attributes_stamp_insert;"
    "DROP TRIGGER attributes_stamp_update; DROP TRIGGER attributes_stamp_delete;"
    "DROP TRIGGER events_stamp_insert; DROP TRIGGER events_stamp_update;"
    "DROP TRIGGER events_stamp_delete; DROP TRIGGER event_attributes_stamp_insert;"
    "DROP TRIGGER event_attributes_stamp_update; DROP TRIGGER event_attributes_stamp_delete;"
    "DELETE FROM meta WHERE key GLOB '*_stamp';"
    "INSERT INTO customers (id, added_at, modified_at) VALUES ('c', 0, 0);"
    "INSERT INTO events (customer, name, timestamp, dedupe) VALUES (1, 'a', 1, 5), (1, 'a', 1, 5), (1, 'b', 2, 6);"
    "PRAGMA user_version = 3", &error));
  g_assert_no_error (error);
  g_object_unref (ws);

  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (query_int (ws, "PRAGMA user_version"), ==, cohort_workspace_schema_version ());
  g_assert_cmpint (query_int (ws, "SELECT count(*) FROM events"), ==, 2);
  g_assert_cmpint (query_int (ws, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                                  "AND name IN ('events_by_dedupe', 'events_by_customer')"), ==, 2);
  g_assert_cmpint (count_stamp_triggers (ws), ==, 12);
  assert_integrity_ok (ws);
  g_object_unref (ws);

  /* Triggers another program dropped are put back on the next open. */
  raw_exec (f->path, "DROP TRIGGER events_stamp_insert");
  ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_stamp_triggers (ws), ==, 12);
  g_object_unref (ws);
}

static gpointer
create_thread (gpointer data)
{
  GError *error = NULL;
  CohortWorkspace *ws = cohort_workspace_open (data, COHORT_WORKSPACE_OPEN_CREATE, &error);

  if (ws == NULL)
    return error;
  g_object_unref (ws);
  return NULL;
}

/* Several connections creating one new workspace at once: all succeed,
 * and it is migrated once. */
static void
test_create_race (Fixture *f, gconstpointer data)
{
  for (int round = 0; round < 10; round++)
    {
      g_autofree char *path = g_strdup_printf ("%s.%d", f->path, round);
      GThread *threads[6];
      g_autoptr(GError) error = NULL;
      g_autoptr(CohortWorkspace) ws = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        threads[i] = g_thread_new ("create", create_thread, path);
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        {
          GError *thread_error = g_thread_join (threads[i]);

          g_assert_no_error (thread_error);
        }
      ws = cohort_workspace_open (path, COHORT_WORKSPACE_OPEN_NONE, &error);
      g_assert_no_error (error);
      g_assert_cmpint (query_int (ws, "SELECT count(*) FROM meta WHERE key = 'uuid'"), ==, 1);
      g_assert_cmpint (query_int (ws, "PRAGMA user_version"), ==, cohort_workspace_schema_version ());
    }
}

/* Separate processes creating one new workspace at once (a script starting
 * several commands): all succeed, and every one's segment is there. */
static void
test_create_race_processes (Fixture *f, gconstpointer data)
{
  const char *binary = g_getenv ("COHORT_BINARY");

  if (binary == NULL)
    {
      g_test_skip ("COHORT_BINARY is not set");
      return;
    }
  for (int round = 0; round < 5; round++)
    {
      g_autofree char *path = g_strdup_printf ("%s.p%d", f->path, round);
      GSubprocess *procs[6];
      g_autoptr(GError) error = NULL;
      g_autoptr(CohortWorkspace) ws = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (procs); i++)
        {
          g_autofree char *name = g_strdup_printf ("S%u", i);

          procs[i] = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                       &error, binary, "--workspace", path, "segments", "create",
                                       name, "--manual", NULL);
          g_assert_no_error (error);
        }
      for (guint i = 0; i < G_N_ELEMENTS (procs); i++)
        {
          g_autofree char *err = NULL;

          g_assert_true (g_subprocess_communicate_utf8 (procs[i], NULL, NULL, NULL, &err, &error));
          g_assert_no_error (error);
          if (g_subprocess_get_exit_status (procs[i]) != 0)
            g_error ("process %u failed: %s", i, err);
          g_object_unref (procs[i]);
        }
      ws = cohort_workspace_open (path, COHORT_WORKSPACE_OPEN_NONE, &error);
      g_assert_no_error (error);
      g_assert_cmpint (query_int (ws, "SELECT count(*) FROM segments"), ==, 6);
      assert_integrity_ok (ws);
    }
}

static void
test_refuse_device (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = cohort_workspace_open ("/dev/null", COHORT_WORKSPACE_OPEN_CREATE, &error);

  g_assert_null (ws);
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
}

static gboolean
has_deleted_wal (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *fd = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (fd, NULL);

      if (target != NULL && g_str_has_suffix (target, " (deleted)") &&
          (strstr (target, "-wal") != NULL || strstr (target, "-shm") != NULL))
        return TRUE;
    }
  return FALSE;
}

/* The window keeps its connection while worker threads open and close their
 * own and the command line runs beside it: nobody may drop the window's
 * locks, or the command line deletes the WAL under it and later saves vanish. */
static void
test_shared_with_command_line (Fixture *f, gconstpointer data)
{
  const char *binary = g_getenv ("COHORT_BINARY");
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) window = NULL;
  g_autoptr(CohortWorkspace) worker = NULL;
  g_autofree char *out = NULL;
  int status = 0;
  char *argv[] = { (char *) binary, (char *) "--workspace", f->path,
                   (char *) "segments", (char *) "list", NULL };

  if (binary == NULL)
    {
      g_test_skip ("COHORT_BINARY is not set");
      return;
    }
  window = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  /* A worker thread's connection, opened and closed. */
  worker = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_clear_object (&worker);

  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_false (has_deleted_wal ());

  /* A save in the "window" is seen by another connection. */
  g_assert_true (cohort_workspace_set_meta (window, "probe", "saved", &error));
  {
    sqlite3 *other = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (f->path, &other, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (other, "SELECT value FROM meta WHERE key = 'probe'", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "saved");
    sqlite3_finalize (stmt);
    sqlite3_close (other);
  }
}

/* A workspace in a folder that cannot be written: read commands still work
 * (as a snapshot), writes fail saying why. Runs the check as "nobody" when
 * the tests run as root, whom permissions do not stop. */
static int
read_only_check (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = cohort_workspace_open (path, COHORT_WORKSPACE_OPEN_NONE, &error);

  if (ws == NULL)
    {
      g_printerr ("open: %s\n", error->message);
      return 10;
    }
  if (!cohort_workspace_is_read_only (ws))
    return 11;
  if (query_int (ws, "SELECT count(*) FROM customers") != 1)
    return 12;
  if (cohort_workspace_set_meta (ws, "x", "y", &error))
    return 13;
  if (strstr (error->message, "read-only") == NULL)
    {
      g_printerr ("write: %s\n", error->message);
      return 14;
    }
  return 0;
}

static void
test_read_only_folder (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);
  CohortWorkspace *ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  int status;
  pid_t pid;

  g_assert_no_error (error);
  g_assert_true (cohort_workspace_exec (ws, "INSERT INTO customers (id, added_at, modified_at) "
                                            "VALUES ('r', 0, 0)", NULL));
  g_object_unref (ws);   /* the last connection: the WAL is merged and removed */
  g_assert_cmpint (g_chmod (f->dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (f->path, 0644), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0555), ==, 0);

  if (getuid () != 0)
    {
      g_assert_cmpint (read_only_check (f->path), ==, 0);
      g_chmod (dir, 0755);
      return;
    }
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      if (setgid (65534) != 0 || setuid (65534) != 0)
        _exit (20);
      _exit (read_only_check (f->path));
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_chmod (dir, 0755);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
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
  ADD ("/workspace/stamp/external-edit", test_stamp_external_edit);
  ADD ("/workspace/stamp/restored-backup", test_stamp_restored_backup);
  ADD ("/workspace/stamp/suspended", test_stamp_suspended);
  ADD ("/workspace/migration-restores-schema", test_migration_restores_schema);
  ADD ("/workspace/create-race", test_create_race);
  ADD ("/workspace/create-race-processes", test_create_race_processes);
  ADD ("/workspace/refuse-device", test_refuse_device);
  ADD ("/workspace/shared-with-command-line", test_shared_with_command_line);
  ADD ("/workspace/read-only-folder", test_read_only_folder);
  return g_test_run ();
}
