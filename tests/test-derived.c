/* test-derived.c: the derived index files never answer for other data
 *
 * Every count here is compared with the truth: the same criteria evaluated
 * over indexes built afresh from SQLite, without caches or files. Cases:
 * a restored backup, an edit behind Cohort's back through the sqlite3
 * library, a copied workspace, another workspace's index files, truncated
 * files, a flip of every other byte of both files, sidecar paths that
 * cannot be written or are FIFOs, temporaries left by killed writers,
 * bounded caches, damage found while exporting (also through the command
 * line), and processes building the files at once (issue 9).
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "cohort-attrs.h"
#include "cohort-criteria.h"
#include "cohort-derived-file-private.h"
#include "cohort-evaluator.h"
#include "cohort-export.h"
#include "cohort-segment.h"
#include "cohort-test-cli.h"
#include "cohort-test-customers.h"
#include "cohort-test-workspace.h"

#define A(field, op, value) \
  "{\"attribute\":{\"field\":\"" field "\",\"operator\":\"" op "\",\"value\":" value "}}"
#define PLAN_B A ("plan", "eq", "\"B\"")
#define EVENT(name) "{\"event\":{\"name\":\"" name "\"}}"

typedef TestWorkspace Fixture;

/* Criteria touching every column of the small data sets below. */
static const char *const customer_criteria[] = {
  PLAN_B,
  A ("plan", "contains", "\"a\""),
  A ("age", "gt", "30"),
  A ("amount", "between", "[10, 100]"),
  A ("seen", "before", "\"2024-06-01\""),
  A ("vip", "is_true", "null"),
  A ("email", "ends_with", "\"@example.com\""),
  A ("id", "starts_with", "\"b\""),
  "{\"and\":[]}",
};
static const char *const event_criteria[] = {
  EVENT ("buy"),
  "{\"event\":{\"name\":\"buy\",\"count\":{\"operator\":\"gte\",\"value\":2}}}",
  "{\"event\":{\"name\":\"open\",\"since\":1700000500}}",
  "{\"event\":{\"name\":\"click\",\"until\":1700000300}}",
  "{\"event\":{\"name\":\"buy\",\"where\":[{\"field\":\"value\",\"operator\":\"gt\",\"value\":20}]}}",
  "{\"event\":{\"name\":\"click\",\"where\":[{\"field\":\"campaign\",\"operator\":\"eq\",\"value\":\"spring\"}]}}",
  "{\"event\":{\"name\":\"open\",\"where\":[{\"field\":\"sent\",\"operator\":\"after\",\"value\":\"2024-01-01\"}]}}",
};
static const char *const export_attributes[] = { "plan", "age", "amount", "seen", "vip", NULL };

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  test_workspace_open (f, "cohort-derived-XXXXXX");
}

/* For the thousands of rebuilds of the flip tests: a folder in memory when
 * there is one (each rebuild syncs the file and its folder). */
static void
fixture_setup_in_memory (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  if (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) && access ("/dev/shm", W_OK) == 0)
    dir = g_build_filename ("/dev/shm", "cohort-derived-XXXXXX", NULL);
  if (dir == NULL || g_mkdtemp (dir) == NULL)
    {
      fixture_setup (f, data);
      return;
    }
  f->dir = g_steal_pointer (&dir);
  f->path = g_build_filename (f->dir, "workspace.cohort", NULL);
  f->ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
}

/* Removes whatever a test left in the folder besides the workspace. */
static void
clean_folder (const char *dir, const char *keep)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir, name, NULL);

      if (keep != NULL && strcmp (file, keep) == 0)
        continue;
      if (g_file_test (file, G_FILE_TEST_IS_DIR))
        g_rmdir (file);
      else
        g_unlink (file);
    }
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  clean_folder (f->dir, f->path);
  test_workspace_close (f);
}

static void
close_workspace (Fixture *f)
{
  g_assert_finalize_object (f->ws);
  f->ws = NULL;
}

static void
open_workspace (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_no_error (error);
}

/* Replaces @to by a copy of @from (a new file, never written in place:
 * a mapped index must not change under a reader). */
static void
copy_file (const char *from, const char *to)
{
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (from, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (to, contents, (gssize) len, NULL));
}

static void
put (CohortWorkspace *ws, gint64 ordinal, const char *id, const char *plan, const char *age,
     const char *amount, const char *seen, const char *vip)
{
  g_autofree char *email = g_strdup_printf ("%s@example.com", id);
  const char *attrs[13];
  guint n = 0;

#define ATTR(name, value) if (value != NULL) { attrs[n++] = name; attrs[n++] = value; }
  ATTR ("plan", plan);
  ATTR ("age", age);
  ATTR ("amount", amount);
  ATTR ("seen", seen);
  ATTR ("vip", vip);
#undef ATTR
  attrs[n] = NULL;
  test_put_customer (ws, ordinal, id, email, attrs);
}

/* An event of customer @ordinal; @campaign, @value and @sent may be NULL. */
static void
add_event (CohortWorkspace *ws, gint64 ordinal, const char *name, gint64 timestamp,
           const char *campaign, const char *value, const char *sent)
{
  static gint64 dedupe = 1000;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) blob = g_byte_array_new ();
  CohortAttrEntry entries[3];
  guint n = 0;
  sqlite3_stmt *stmt;

#define ENTRY(attr_name, v) \
  if (v != NULL) { entries[n].attr = test_named_id (ws, "event_attributes", attr_name); entries[n].value = v; entries[n].len = strlen (v); n++; }
  ENTRY ("campaign", campaign);
  ENTRY ("value", value);
  ENTRY ("sent", sent);
#undef ENTRY
  cohort_attrs_encode (blob, entries, n);
  stmt = cohort_workspace_prepare (ws, "INSERT INTO events (customer, name, timestamp, attrs, dedupe) "
                                       "VALUES (?, ?, ?, ?, ?)", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, ordinal);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, timestamp);
  sqlite3_bind_blob (stmt, 4, blob->len ? (const void *) blob->data : "", (int) blob->len, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, dedupe++);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  cohort_workspace_note_change (ws, COHORT_CHANGE_CUSTOMERS, &error);
  g_assert_no_error (error);
}

static void
begin (CohortWorkspace *ws)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_workspace_begin (ws, &error));
  g_assert_no_error (error);
}

static void
commit (CohortWorkspace *ws)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_workspace_commit (ws, &error));
  g_assert_no_error (error);
}

/* Twelve customers, every kind of value, three event names with attributes. */
static void
load_small (CohortWorkspace *ws)
{
  begin (ws);
  put (ws, 1, "a1", "A", "25", "12.5", "2024-01-10", "yes");
  put (ws, 2, "a2", "A", "41", "99", "2024-07-01", "no");
  put (ws, 3, "b1", "B", "33", "477.72", "1700000000", "true");
  put (ws, 4, "b2", "B", "19", "-4", "2023-12-31T23:59:59Z", NULL);
  put (ws, 5, "b3", "B", "67", "10", NULL, "false");
  put (ws, 6, "c1", "Basic", NULL, "100", "2025-02-02", "1");
  put (ws, 7, "c2", "", "30", "abc", "not a date", "0");
  put (ws, 8, "c3", "Enterprise", "31.5", "1e3", "2024-05-31", NULL);
  put (ws, 9, "d1", "A", "45", "50", "2024-06-02 10:00:00", "yes");
  put (ws, 11, "d2", "premium plan", "-1", "10.0", "1717200000", "no");
  put (ws, 12, "e1", "B", "99", "100.5", "2024-06-01", "yes");
  put (ws, 13, "e2", "Ä-Plan", "18", "20", "2023-01-01", "maybe");
  add_event (ws, 1, "buy", 1700000100, "spring", "25", "2024-02-01");
  add_event (ws, 1, "buy", 1700000200, "winter", "5", NULL);
  add_event (ws, 3, "buy", 1700000300, NULL, "50", "2023-11-01");
  add_event (ws, 4, "open", 1700000400, "spring", NULL, "2024-03-03");
  add_event (ws, 4, "open", 1700000600, "summer", "1", "2025-01-01");
  add_event (ws, 5, "click", 1700000250, "spring", NULL, NULL);
  add_event (ws, 6, "click", 1700000350, "autumn", "7", "2022-01-01");
  add_event (ws, 9, "buy", 1700000700, "spring", "21", NULL);
  add_event (ws, 9, "open", 1700000800, "winter", NULL, "2024-12-24");
  add_event (ws, 12, "click", 1700000150, "spring", "3", NULL);
  commit (ws);
}

/* "COUNT:id id ..." of @evaluation, or NULL with @error. */
static char *
describe (CohortEvaluation *ev, GError **error)
{
  CohortColumnIndex *index = cohort_evaluation_get_index (ev);
  g_autoptr(GArray) ordinals = cohort_evaluation_get_members (ev, 0, 0);
  g_autoptr(GString) out = g_string_new (NULL);

  g_string_printf (out, "%" G_GUINT64_FORMAT ":", cohort_evaluation_get_count (ev));
  for (guint i = 0; i < ordinals->len; i++)
    {
      GError *local_error = NULL;
      const char *id = cohort_column_index_get_text (index, "id", g_array_index (ordinals, guint32, i), &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      g_string_append_printf (out, "%s%s", i ? " " : "", id ? id : "?");
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The CSV export of @ev (ids, emails and every attribute), or NULL with @error. */
static char *
export_of (CohortEvaluation *ev, GError **error)
{
  g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();

  if (!cohort_export_members (ev, export_attributes, 0, 0, stream, NULL, NULL, NULL, error))
    return NULL;
  g_assert_true (g_output_stream_write_all (stream, "", 1, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (stream, NULL, NULL));
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (stream));
}

/* What the app answers for @json: caches and sidecars as they are. With
 * @csv, also the export. NULL with @error when it fails. */
static char *
answer (CohortWorkspace *ws, const char *json, gboolean csv, GError **error)
{
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(CohortCriteria) criteria = cohort_criteria_parse (json, &parse_error);
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autofree char *text = NULL;
  g_autofree char *exported = NULL;

  g_assert_no_error (parse_error);
  ev = cohort_evaluator_evaluate (ws, criteria, NULL, error);
  if (ev == NULL || (text = describe (ev, error)) == NULL)
    return NULL;
  if (csv && (exported = export_of (ev, error)) == NULL)
    return NULL;
  return g_strconcat (text, "\n", exported, NULL);
}

/* The same over indexes built afresh from SQLite: no cache, no file. */
static char *
truth (CohortWorkspace *ws, const char *json, gboolean csv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) criteria = cohort_criteria_parse (json, &error);
  g_autoptr(CohortColumnIndex) index = NULL;
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autofree char *text = NULL;
  g_autofree char *exported = NULL;

  g_assert_no_error (error);
  index = cohort_column_index_build (cohort_workspace_get_db (ws), NULL, &error);
  g_assert_no_error (error);
  ev = cohort_evaluator_evaluate_index (index, cohort_workspace_get_db (ws), criteria, NULL, &error);
  g_assert_no_error (error);
  text = describe (ev, &error);
  g_assert_no_error (error);
  if (csv)
    {
      exported = export_of (ev, &error);
      g_assert_no_error (error);
    }
  return g_strconcat (text, "\n", exported, NULL);
}

/* The app's answer equals the truth; a damaged index may fail the
 * command once, clearly, and then it is right. Returns TRUE when that
 * happened. */
static gboolean
check (CohortWorkspace *ws, const char *json, gboolean csv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *want = truth (ws, json, csv);
  g_autofree char *got = answer (ws, json, csv, &error);
  gboolean failed = got == NULL;

  if (got == NULL)
    {
      g_assert_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_DAMAGED);
      g_assert_true (g_str_has_prefix (error->message, "The index file is damaged"));
      g_clear_error (&error);
      got = answer (ws, json, csv, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpstr (got, ==, want);
  return failed;
}

static void
check_all (CohortWorkspace *ws)
{
  for (guint i = 0; i < G_N_ELEMENTS (customer_criteria); i++)
    check (ws, customer_criteria[i], i == 0);
  for (guint i = 0; i < G_N_ELEMENTS (event_criteria); i++)
    check (ws, event_criteria[i], FALSE);
}

static void
forget_caches (const char *path)
{
  cohort_column_index_forget (path, FALSE);
  cohort_event_index_forget (path, FALSE);
}

/* ---- a restored backup ------------------------------------------------- */

static void
test_restore_backup (Fixture *f, gconstpointer data)
{
  g_autofree char *backup = g_strconcat (f->path, ".backup", NULL);

  load_small (f->ws);
  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *want_before = truth (f->ws, PLAN_B, TRUE);

      /* Counted: the index files exist; then the backup (workspace alone). */
      check_all (f->ws);
      close_workspace (f);
      copy_file (f->path, backup);
      open_workspace (f);

      /* A customer with plan B, and events, counted: the files follow. */
      begin (f->ws);
      put (f->ws, 20, "new-b", "B", "50", "1", NULL, NULL);
      add_event (f->ws, 20, "buy", 1700000900, "spring", "30", NULL);
      add_event (f->ws, 20, "buy", 1700000901, "spring", "31", NULL);
      commit (f->ws);
      check_all (f->ws);

      /* The backup restored, then another change of the same size. The
       * index files (and, in round 0, the in-process caches) now hold data
       * that is gone: never to be used. */
      close_workspace (f);
      copy_file (backup, f->path);
      open_workspace (f);
      begin (f->ws);
      put (f->ws, 20, "new-a", "A", "50", "1", NULL, NULL);
      add_event (f->ws, 20, "open", 1700000900, "summer", NULL, NULL);
      add_event (f->ws, 20, "open", 1700000901, "summer", NULL, NULL);
      commit (f->ws);
      if (round == 1)
        forget_caches (f->path);
      {
        g_autofree char *after = truth (f->ws, PLAN_B, TRUE);

        g_assert_cmpstr (after, ==, want_before);   /* new-b is gone */
        g_assert_null (strstr (after, "new-b"));
      }
      check_all (f->ws);

      /* Back to the state before the round. */
      begin (f->ws);
      g_assert_true (cohort_workspace_exec (f->ws, "DELETE FROM events WHERE customer = 20;"
                                                  "DELETE FROM customers WHERE ordinal = 20", NULL));
      cohort_workspace_note_change (f->ws, COHORT_CHANGE_CUSTOMERS, NULL);
      commit (f->ws);
    }
}

/* ---- an edit behind Cohort's back ---------------------------------------- */

static void
outside_exec (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static void
test_outside_edit (Fixture *f, gconstpointer data)
{
  static const char *const edits[] = {
    "DELETE FROM customers WHERE id = 'b3'",
    "UPDATE customers SET attrs = (SELECT attrs FROM customers WHERE id = 'a1') WHERE id = 'b2'",
    "INSERT INTO events (customer, name, timestamp, attrs, dedupe) VALUES (2, 'buy', 1700000500, x'', 77)",
    "INSERT INTO events (customer, name, timestamp, attrs, dedupe) VALUES (2, 'buy', 1700000501, x'', 78)",
    "UPDATE events SET name = 'open' WHERE customer = 9 AND name = 'buy'",
    "DELETE FROM events WHERE customer = 4",
    "UPDATE customers SET id = 'renamed', email = NULL WHERE id = 'a2'",
    "INSERT INTO customers (ordinal, id, email, attrs, added_at, modified_at) "
    "  SELECT 40, 'copy', NULL, attrs, 0, 0 FROM customers WHERE id = 'e1'",
    "DELETE FROM event_attributes WHERE name = 'campaign'",
  };
  g_autofree char *b3 = NULL;

  load_small (f->ws);
  check_all (f->ws);
  b3 = answer (f->ws, PLAN_B, FALSE, NULL);
  g_assert_nonnull (strstr (b3, "b3"));

  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      outside_exec (f->path, edits[i]);
      /* Even edits: the next count in this process; odd: a new process. */
      if (i % 2 == 1)
        forget_caches (f->path);
      check_all (f->ws);
      if (i == 0)
        {
          g_autofree char *after = answer (f->ws, PLAN_B, FALSE, NULL);
          g_assert_null (strstr (after, "b3"));
        }
    }
}

/* A workspace whose stamps are gone (an older schema read without being
 * migrated, or meta edited by hand): the indexes are built for each use,
 * never taken from a file or a cache. */
static void
test_no_stamp (Fixture *f, gconstpointer data)
{
  load_small (f->ws);
  check_all (f->ws);
  outside_exec (f->path, "DELETE FROM meta WHERE key IN ('customers_stamp', 'events_stamp')");
  outside_exec (f->path, "DELETE FROM customers WHERE id = 'b3'");
  outside_exec (f->path, "DELETE FROM events WHERE customer = 1");
  check_all (f->ws);
  forget_caches (f->path);
  check_all (f->ws);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CohortColumnIndex) index = cohort_column_index_ensure (f->ws, NULL, &error);

    g_assert_no_error (error);
    g_assert_false (cohort_column_index_is_mapped (index));
    g_assert_null (cohort_column_index_get_stamp (index));
  }
}

/* ---- copies and other workspaces' files ------------------------------------ */

static void
test_copied_workspace (Fixture *f, gconstpointer data)
{
  const char *suffixes[] = { "", ".index", ".events-index" };
  g_autofree char *dir2 = g_dir_make_tmp ("cohort-derived-copy-XXXXXX", NULL);
  g_autofree char *path2 = g_build_filename (dir2, "workspace.cohort", NULL);
  g_autoptr(CohortWorkspace) ws2 = NULL;
  g_autoptr(CohortWorkspace) other = NULL;
  g_autofree char *dir3 = g_dir_make_tmp ("cohort-derived-other-XXXXXX", NULL);
  g_autofree char *path3 = g_build_filename (dir3, "workspace.cohort", NULL);
  g_autoptr(GError) error = NULL;

  load_small (f->ws);
  check_all (f->ws);

  /* The copy, with its index files, is the same data: right either way. */
  close_workspace (f);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (f->path, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (path2, suffixes[i], NULL);

      copy_file (from, to);
    }
  open_workspace (f);
  ws2 = cohort_workspace_open (path2, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_no_error (error);
  check_all (ws2);

  /* The copy changes; its files are put in place of the original's. */
  begin (ws2);
  put (ws2, 3, "b1", "A", "33", "1", NULL, NULL);
  put (ws2, 21, "x1", "B", "33", "1", NULL, NULL);
  add_event (ws2, 21, "buy", 1700000100, "spring", "99", NULL);
  commit (ws2);
  check_all (ws2);
  for (guint i = 1; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (path2, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (f->path, suffixes[i], NULL);

      copy_file (from, to);
    }
  forget_caches (f->path);
  check_all (f->ws);

  /* Another workspace altogether: its files in place of ours. */
  other = cohort_workspace_open (path3, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  begin (other);
  put (other, 1, "z1", "B", "1", "1", NULL, NULL);
  add_event (other, 1, "buy", 1700000100, "spring", "99", NULL);
  commit (other);
  check_all (other);
  for (guint i = 1; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (path3, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (f->path, suffixes[i], NULL);

      copy_file (from, to);
    }
  forget_caches (f->path);
  check_all (f->ws);

  forget_caches (path2);
  forget_caches (path3);
  g_assert_finalize_object (g_steal_pointer (&ws2));
  g_assert_finalize_object (g_steal_pointer (&other));
  clean_folder (dir2, NULL);
  clean_folder (dir3, NULL);
  g_assert_cmpint (g_rmdir (dir2), ==, 0);
  g_assert_cmpint (g_rmdir (dir3), ==, 0);
}

/* ---- truncated and flipped files ----------------------------------------------- */

static void
test_truncated (Fixture *f, gconstpointer data)
{
  const char *suffixes[] = { ".index", ".events-index" };

  load_small (f->ws);
  check_all (f->ws);
  for (guint s = 0; s < G_N_ELEMENTS (suffixes); s++)
    {
      g_autofree char *sidecar = g_strconcat (f->path, suffixes[s], NULL);
      g_autofree char *contents = NULL;
      gsize len;
      gsize cuts[] = { 0, 1, 7, 8, 40, 47, 48, 64, 100, 0, 0, 0, 0 };

      g_assert_true (g_file_get_contents (sidecar, &contents, &len, NULL));
      cuts[9] = len / 2;
      cuts[10] = len - 8;
      cuts[11] = len - 1;
      cuts[12] = len + 8;     /* grown: zeros at the end */
      for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
        {
          g_autofree char *bytes = g_malloc0 (cuts[i] + 1);

          memcpy (bytes, contents, MIN (cuts[i], len));
          g_assert_true (g_file_set_contents (sidecar, bytes, (gssize) cuts[i], NULL));
          forget_caches (f->path);
          check_all (f->ws);
          /* Rebuilt and rewritten whole. */
          {
            g_autofree char *now = NULL;
            gsize now_len;

            g_assert_true (g_file_get_contents (sidecar, &now, &now_len, NULL));
            g_assert_cmpuint (now_len, ==, len);
          }
        }
    }
}

/* Flips one bit of every byte of @suffix's file in turn: each flip is
 * either detected (rebuilt, or the command fails clearly once) or harmless
 * (it changes nothing used): the answers always equal the truth. */
static void
flip_every_byte (Fixture *f, const char *suffix, const char *const *criteria, guint n_criteria, gboolean csv)
{
  g_autofree char *sidecar = g_strconcat (f->path, suffix, NULL);
  g_autofree char *tmp = g_strconcat (sidecar, ".flipped", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GPtrArray) wants = g_ptr_array_new_with_free_func (g_free);
  guint detected = 0, failed_once = 0, flipped = 0;
  /* Every other byte (each bit in turn) in memory; on a disk, where each
   * rebuild is synced, every fifth: the test stays well under a minute. */
  gsize step = g_str_has_prefix (f->dir, "/dev/shm/") ? 2 : 5;
  gsize len;

  load_small (f->ws);
  for (guint c = 0; c < n_criteria; c++)
    g_ptr_array_add (wants, truth (f->ws, criteria[c], csv));
  check_all (f->ws);
  g_assert_true (g_file_get_contents (sidecar, &contents, &len, NULL));

  for (gsize pos = 0; pos < len; pos += step)
    {
      g_autofree char *now = NULL;
      gsize now_len;

      flipped++;
      contents[pos] ^= (char) (1u << (pos / step % 8));
      /* A new file each time: never change a file that may be mapped. */
      g_assert_true (g_file_set_contents_full (tmp, contents, (gssize) len,
                                               G_FILE_SET_CONTENTS_NONE, 0644, NULL));
      g_assert_cmpint (g_rename (tmp, sidecar), ==, 0);
      contents[pos] ^= (char) (1u << (pos / step % 8));
      forget_caches (f->path);

      for (guint c = 0; c < n_criteria; c++)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *got = answer (f->ws, criteria[c], csv, &error);

          if (got == NULL)
            {
              /* Found while reading texts after the count: a clear failure,
               * and the file is gone, so the next command is right. */
              g_assert_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_DAMAGED);
              g_clear_error (&error);
              failed_once++;
              got = answer (f->ws, criteria[c], csv, &error);
              g_assert_no_error (error);
            }
          if (g_strcmp0 (got, wants->pdata[c]) != 0)
            g_error ("%s, byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " flipped: %s gives\n%s\ninstead of\n%s",
                     suffix, pos, len, criteria[c], got, (const char *) wants->pdata[c]);
        }
      /* Detected: the file was rebuilt (or removed). */
      if (!g_file_get_contents (sidecar, &now, &now_len, NULL) || now_len != len ||
          memcmp (now, contents, len) == 0)
        detected++;
    }
  g_test_message ("%s: %u of %" G_GSIZE_FORMAT " bytes flipped, %u detected (%u of them while reading texts), "
                  "the others harmless", suffix, flipped, len, detected, failed_once);
  /* Only padding between sections is not covered. */
  g_assert_cmpuint (detected, >=, flipped * 9 / 10);
}

static void
test_flip_customers (Fixture *f, gconstpointer data)
{
  flip_every_byte (f, ".index", (const char *const *) customer_criteria, G_N_ELEMENTS (customer_criteria), TRUE);
}

static void
test_flip_events (Fixture *f, gconstpointer data)
{
  flip_every_byte (f, ".events-index", (const char *const *) event_criteria, G_N_ELEMENTS (event_criteria), FALSE);
}

/* ---- damage found while exporting ---------------------------------------------- */

/* Flips a byte of the file in place, where @needle is: the mapped index sees it. */
static void
damage_in_place (const char *file, const char *needle)
{
  g_autofree char *contents = NULL;
  gsize len;
  const char *at;
  char byte;
  int fd;

  g_assert_true (g_file_get_contents (file, &contents, &len, NULL));
  at = NULL;
  for (gsize i = 0; at == NULL && i + strlen (needle) <= len; i++)
    if (memcmp (contents + i, needle, strlen (needle)) == 0)
      at = contents + i;
  g_assert_nonnull (at);
  byte = *at ^ 0x20;
  fd = g_open (file, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, &byte, 1, at - contents), ==, 1);
  close (fd);
}

static void
test_export_damage (Fixture *f, gconstpointer data)
{
  g_autofree char *sidecar = cohort_column_index_sidecar_path (f->path);
  g_autoptr(CohortCriteria) criteria = cohort_criteria_parse (PLAN_B, NULL);
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;

  load_small (f->ws);
  check (f->ws, PLAN_B, FALSE);

  /* A new process: the file is mapped; the count reads the plan alone. */
  forget_caches (f->path);
  ev = cohort_evaluator_evaluate (f->ws, criteria, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cohort_column_index_is_mapped (cohort_evaluation_get_index (ev)));
  damage_in_place (sidecar, "b2@example.com");

  csv = export_of (ev, &error);
  g_assert_null (csv);
  g_assert_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_DAMAGED);
  g_assert_nonnull (strstr (error->message, "email"));
  g_clear_error (&error);
  /* Reported, and repaired: the file is gone, the next export is right. */
  g_assert_false (g_file_test (sidecar, G_FILE_TEST_EXISTS));
  g_clear_pointer (&ev, cohort_evaluation_unref);
  check (f->ws, PLAN_B, TRUE);
}

static void
make_segment (Fixture *f, const char *name, const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortSegment) segment = cohort_segments_create (f->ws, name, COHORT_SEGMENT_DATA_DRIVEN, NULL, &error);

  g_assert_no_error (error);
  cohort_segments_set_criteria (f->ws, cohort_segment_get_id (segment), json, &error);
  g_assert_no_error (error);
}

static void
test_cli_export_damage (Fixture *f, gconstpointer data)
{
  g_autofree char *sidecar = cohort_column_index_sidecar_path (f->path);
  g_autofree char *want = NULL;
  g_autofree char *want_count = NULL;

  load_small (f->ws);
  make_segment (f, "Plan B", PLAN_B);
  want = truth (f->ws, PLAN_B, FALSE);
  want_count = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", g_ascii_strtoull (want, NULL, 10));

  {
    g_auto(CliResult) r = { 0 };

    cli_run_env (&r, f->path, NULL, (const char *[]) { "segments", "count", "Plan B", NULL });
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, want_count);
  }
  g_assert_true (g_file_test (sidecar, G_FILE_TEST_IS_REGULAR));
  damage_in_place (sidecar, "b2@example.com");
  {
    g_auto(CliResult) r = { 0 };

    cli_run_env (&r, f->path, NULL, (const char *[]) { "segments", "members", "Plan B", "--csv", NULL });
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "The index file is damaged"));
    g_assert_cmpstr (r.out, ==, "");
  }
  {
    g_auto(CliResult) r = { 0 };

    cli_run_env (&r, f->path, NULL, (const char *[]) { "segments", "members", "Plan B", "--json", NULL });
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "b2@example.com"));
  }
  damage_in_place (sidecar, "b2@example.com");
  {
    g_auto(CliResult) r = { 0 };

    cli_run_env (&r, f->path, NULL, (const char *[]) { "segments", "members", "Plan B", "--json", NULL });
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "The index file is damaged"));
  }
  {
    g_auto(CliResult) r = { 0 };

    cli_run_env (&r, f->path, NULL, (const char *[]) { "segments", "members", "Plan B", "--csv", NULL });
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "id,email\nb1,b1@example.com\nb2,b2@example.com\n"
                                "b3,b3@example.com\ne1,e1@example.com\n");
  }
}

/* ---- where the files cannot be written, or are not files ------------------------ */

static void
test_unwritable (Fixture *f, gconstpointer data)
{
  g_autofree char *index = cohort_column_index_sidecar_path (f->path);
  g_autofree char *events = cohort_event_index_sidecar_path (f->path);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  load_small (f->ws);
  /* The sidecar paths are folders: every write fails (as root too). */
  g_assert_cmpint (g_mkdir (index, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (events, 0755), ==, 0);
  forget_caches (f->path);
  check_all (f->ws);
  {
    g_autoptr(CohortColumnIndex) built = cohort_column_index_ensure (f->ws, NULL, NULL);

    g_assert_nonnull (built);
    g_assert_false (cohort_column_index_is_mapped (built));
  }
  /* No temporary left behind. */
  dir = g_dir_open (f->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (name[0] == '.');
  g_assert_cmpint (g_rmdir (index), ==, 0);
  g_assert_cmpint (g_rmdir (events), ==, 0);

  /* FIFOs in their place: never waited on, replaced by the next write. */
  g_assert_cmpint (mkfifo (index, 0644), ==, 0);
  g_assert_cmpint (mkfifo (events, 0644), ==, 0);
  forget_caches (f->path);
  check_all (f->ws);
  g_assert_true (g_file_test (index, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (events, G_FILE_TEST_IS_REGULAR));
}

/* ---- temporaries of killed writers --------------------------------------------- */

static long
dead_pid (void)
{
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (0);
  g_assert_cmpint (waitpid (pid, NULL, 0), ==, pid);
  return (long) pid;
}

static void
make_file (const char *path, gint64 age_seconds)
{
  struct utimbuf times;

  g_assert_true (g_file_set_contents (path, "partial", -1, NULL));
  times.actime = times.modtime = (time_t) (g_get_real_time () / G_USEC_PER_SEC - age_seconds);
  g_assert_cmpint (utime (path, &times), ==, 0);
}

static void
test_stale_temporaries (Fixture *f, gconstpointer data)
{
  g_autofree char *dead = g_strdup_printf ("%s/.workspace.cohort.index.%ld.Ab3dEf", f->dir, dead_pid ());
  g_autofree char *old = g_strdup_printf ("%s/.workspace.cohort.index.Zz9yX8", f->dir);
  g_autofree char *live = g_strdup_printf ("%s/.workspace.cohort.index.%ld.Qq1wW2", f->dir, (long) getppid ());
  g_autofree char *events_dead = g_strdup_printf ("%s/.workspace.cohort.events-index.%ld.Ab3dEf", f->dir, dead_pid ());
  g_autofree char *events_tmp = g_strdup_printf ("%s/workspace.cohort.events-index.tmp", f->dir);
  g_autofree char *unrelated = g_strdup_printf ("%s/.workspace.cohort.notes.Ab3dEf", f->dir);

  load_small (f->ws);
  make_file (dead, 5);
  make_file (old, 3600);
  make_file (live, 5);
  make_file (events_dead, 0);
  make_file (events_tmp, 3600);   /* an older version's fixed name */
  make_file (unrelated, 3600);

  /* The next writes of both files clean up after the dead writers. */
  forget_caches (f->path);
  cohort_column_index_forget (f->path, TRUE);
  cohort_event_index_forget (f->path, TRUE);
  check_all (f->ws);
  g_assert_false (g_file_test (dead, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (live, G_FILE_TEST_EXISTS));   /* its writer is alive, and it is young */
  g_assert_false (g_file_test (events_dead, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (events_tmp, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (unrelated, G_FILE_TEST_EXISTS));

  /* A young temporary of an unknown writer is left alone. */
  make_file (events_tmp, 5);
  cohort_event_index_forget (f->path, TRUE);
  check_all (f->ws);
  g_assert_true (g_file_test (events_tmp, G_FILE_TEST_EXISTS));
  g_unlink (live);
  g_unlink (events_tmp);
  g_unlink (unrelated);
}

/* ---- processes building at once ---------------------------------------------- */

static void
test_processes_build_at_once (Fixture *f, gconstpointer data)
{
  const char *binary = g_getenv ("COHORT_BINARY");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *want = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_assert_nonnull (binary);
  load_small (f->ws);
  make_segment (f, "Buyers", "{\"and\":[" EVENT ("buy") "," A ("age", "gt", "20") "]}");
  want = truth (f->ws, "{\"and\":[" EVENT ("buy") "," A ("age", "gt", "20") "]}", FALSE);

  for (guint round = 0; round < 3; round++)
    {
      cohort_column_index_forget (f->path, TRUE);
      cohort_event_index_forget (f->path, TRUE);
      for (guint i = 0; i < 6; i++)
        {
          GSubprocess *p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, binary, "--workspace",
                                             f->path, "segments", "count", "Buyers", NULL);

          g_assert_no_error (error);
          g_ptr_array_add (procs, p);
        }
      for (guint i = 0; i < procs->len; i++)
        {
          g_autofree char *out = NULL;

          g_assert_true (g_subprocess_communicate_utf8 (procs->pdata[i], NULL, NULL, &out, NULL, &error));
          g_assert_no_error (error);
          g_assert_true (g_subprocess_get_successful (procs->pdata[i]));
          g_assert_cmpuint (g_ascii_strtoull (out, NULL, 10), ==, g_ascii_strtoull (want, NULL, 10));
        }
      g_ptr_array_set_size (procs, 0);

      /* Whole files that this process maps and uses. */
      forget_caches (f->path);
      {
        g_autoptr(CohortColumnIndex) index = cohort_column_index_ensure (f->ws, NULL, &error);

        g_assert_no_error (error);
        g_assert_true (cohort_column_index_is_mapped (index));
      }
      check (f->ws, "{\"and\":[" EVENT ("buy") "," A ("age", "gt", "20") "]}", FALSE);
    }
  dir = g_dir_open (f->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (name[0] == '.');
}

/* ---- the file discipline itself ---------------------------------------------- */

/* Large sections (checked on several threads), a stamp that must match,
 * a flipped byte found in its section alone. */
static void
test_file_sections (Fixture *f, gconstpointer data)
{
  const gsize sizes[] = { 3u << 20, 2u << 20, 5, (3u << 20) / 2, 0, 1u << 20 };
  g_autofree char *file = g_build_filename (f->dir, "sections", NULL);
  g_autoptr(GPtrArray) buffers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CohortDerivedWriter) writer = cohort_derived_writer_new ("TESTFILE", 7, "stamp-1");
  g_autoptr(CohortDerivedFile) mapped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  const char *why = NULL;
  gsize len;

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint8 *b = g_malloc (MAX (sizes[i], 1));

      for (gsize k = 0; k < sizes[i]; k++)
        b[k] = (guint8) (k * 31 + i);
      g_ptr_array_add (buffers, b);
      g_assert_cmpuint (cohort_derived_writer_add (writer, 100 + i, b, sizes[i]), ==, i);
    }
  g_assert_true (cohort_derived_writer_write (writer, file, &error));
  g_assert_no_error (error);

  g_assert_null (cohort_derived_file_open (file, "TESTFILE", 7, "stamp-2", &why));
  g_assert_cmpstr (why, ==, "stale");
  g_assert_null (cohort_derived_file_open (file, "TESTFILE", 8, "stamp-1", &why));
  g_assert_null (cohort_derived_file_open (file, "OTHERFIL", 7, "stamp-1", &why));
  mapped = cohort_derived_file_open (file, "TESTFILE", 7, "stamp-1", &why);
  g_assert_nonnull (mapped);
  g_assert_cmpuint (cohort_derived_file_get_n_sections (mapped), ==, G_N_ELEMENTS (sizes));
  g_assert_true (cohort_derived_file_verify_sections (mapped, 0, G_N_ELEMENTS (sizes)));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint64 size;
      gconstpointer p = cohort_derived_file_section (mapped, i, 100 + i, &size);

      g_assert_nonnull (p);
      g_assert_cmpuint (size, ==, sizes[i]);
      g_assert_cmpmem (p, sizes[i], buffers->pdata[i], sizes[i]);
      g_assert_null (cohort_derived_file_peek (mapped, i, 99, NULL));
    }
  g_assert_false (cohort_derived_file_verify_sections (mapped, 1, G_N_ELEMENTS (sizes)));
  g_clear_pointer (&mapped, cohort_derived_file_free);

  /* One byte of the fourth section flipped: that section alone fails. */
  g_assert_true (g_file_get_contents (file, &contents, &len, NULL));
  {
    /* Sections follow the header in order, each 8-byte aligned. */
    gsize at = len;

    for (guint i = G_N_ELEMENTS (sizes) - 1; i >= 3; i--)
      at -= (sizes[i] + 7) & ~(gsize) 7;
    g_assert_cmpmem (contents + at, 64, buffers->pdata[3], 64);
    contents[at + sizes[3] / 2] ^= 0x10;
  }
  g_assert_true (g_file_set_contents (file, contents, (gssize) len, NULL));
  mapped = cohort_derived_file_open (file, "TESTFILE", 7, "stamp-1", &why);
  g_assert_nonnull (mapped);
  g_assert_false (cohort_derived_file_verify_sections (mapped, 0, G_N_ELEMENTS (sizes)));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    g_assert_cmpint (cohort_derived_file_verify (mapped, i), ==, i != 3);
  g_assert_null (cohort_derived_file_section (mapped, 3, 103, NULL));
  cohort_derived_file_discard (mapped);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
}

/* ---- bounded caches --------------------------------------------------------- */

static void
test_bounded_caches (Fixture *f, gconstpointer data)
{
  Fixture others[3] = { { 0 } };

  load_small (f->ws);
  check_all (f->ws);
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      test_workspace_open (&others[i], "cohort-derived-cache-XXXXXX");
      load_small (others[i].ws);
      check_all (others[i].ws);
      g_assert_cmpuint (cohort_column_index_get_n_cached (), <=, 2);
      g_assert_cmpuint (cohort_event_index_get_n_cached (), <=, 2);
    }
  /* A change of the stamp evicts what was built from the old data. */
  begin (f->ws);
  put (f->ws, 30, "late", "B", "1", "1", NULL, NULL);
  add_event (f->ws, 30, "buy", 1700000000, NULL, NULL, NULL);
  commit (f->ws);
  check_all (f->ws);
  g_assert_cmpuint (cohort_column_index_get_n_cached (), <=, 2);
  g_assert_cmpuint (cohort_event_index_get_n_cached (), <=, 2);
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    test_workspace_close (&others[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("COHORT_NOW", "1717243200", TRUE);   /* 2024-06-01T12:00:00Z */

#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/derived/restore-backup", test_restore_backup);
  ADD ("/derived/outside-edit", test_outside_edit);
  ADD ("/derived/no-stamp", test_no_stamp);
  ADD ("/derived/copied-workspace", test_copied_workspace);
  ADD ("/derived/truncated", test_truncated);
  g_test_add ("/derived/flip-customers", Fixture, NULL, fixture_setup_in_memory, test_flip_customers, fixture_teardown);
  g_test_add ("/derived/flip-events", Fixture, NULL, fixture_setup_in_memory, test_flip_events, fixture_teardown);
  ADD ("/derived/export-damage", test_export_damage);
  ADD ("/derived/cli-export-damage", test_cli_export_damage);
  ADD ("/derived/unwritable", test_unwritable);
  ADD ("/derived/stale-temporaries", test_stale_temporaries);
  ADD ("/derived/processes-build-at-once", test_processes_build_at_once);
  ADD ("/derived/bounded-caches", test_bounded_caches);
  ADD ("/derived/file-sections", test_file_sections);
#undef ADD
  return g_test_run ();
}
