/* test-multiprocess.c: many processes and threads writing one workspace
 *
 * For a bounded time, on one workspace file, at once:
 * - the core's writer threads in this process, each with its own
 *   CohortWorkspace (and short-lived ones opened beside it, as the window's
 *   worker threads do), creating segments, adding members, saving criteria;
 * - a long-lived connection in the main thread (the window) writing now and then;
 * - several `cohort` processes importing customers, creating segments,
 *   adding members, saving criteria and counting.
 * Every acknowledged write (exit 0, TRUE) is recorded. Afterwards every one
 * of them must be in the file, counts from `cohort segments count` must
 * equal a recount in plain SQL (the sqlite3 library, not Cohort's core),
 * PRAGMA integrity_check must say ok, and no process may have kept a
 * deleted WAL/SHM open. A write that could not get the lock may fail, but
 * only with a message that says another program is writing.
 *
 * COHORT_STRESS_SECONDS=N changes the running time (default 12).
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "cohort-column-index.h"
#include "cohort-criteria.h"
#include "cohort-evaluator.h"
#include "cohort-event-index.h"
#include "cohort-members.h"
#include "cohort-segment.h"
#include "cohort-test-proc.h"
#include "cohort-workspace.h"

#define N_BASE        300   /* customers b0000..b0299 imported first */
#define N_CLI_WORKERS 3
#define N_THREADS     2
#define IMPORT_ROWS   20

typedef struct
{
  char       *name;
  gboolean    manual;
  gboolean    created;          /* creation acknowledged */
  gboolean    tried;            /* creation attempted */
  gboolean    by_cli;
  GHashTable *acked;            /* member ids acknowledged */
  GHashTable *tried_members;    /* member ids attempted (acknowledged or not) */
  char       *criteria;         /* last acknowledged criteria JSON, or NULL */
  GPtrArray  *later_criteria;   /* attempted after it, not acknowledged */
  char       *prefix;           /* data-driven: the id prefix its criteria count */
  char       *ref_name;         /* data-driven: the manual segment it refers to, or NULL */
} SegRecord;

static SegRecord *
seg_record_new (const char *name,
                gboolean    manual,
                gboolean    by_cli)
{
  SegRecord *r = g_new0 (SegRecord, 1);

  r->name = g_strdup (name);
  r->manual = manual;
  r->by_cli = by_cli;
  r->acked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  r->tried_members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  r->later_criteria = g_ptr_array_new_with_free_func (g_free);
  return r;
}

static void
seg_record_free (SegRecord *r)
{
  g_free (r->name);
  g_hash_table_unref (r->acked);
  g_hash_table_unref (r->tried_members);
  g_free (r->criteria);
  g_ptr_array_unref (r->later_criteria);
  g_free (r->prefix);
  g_free (r->ref_name);
  g_free (r);
}

typedef struct
{
  char       *dir;
  char       *ws;
  const char *binary;
  gint64      deadline;
  GMutex      lock;
  GPtrArray  *segments;          /* SegRecord, in creation order */
  GHashTable *customers;         /* acknowledged imported id → email */
  GPtrArray  *failures;          /* messages */
  gboolean    running;           /* while the workers run, at most 30 messages are kept */
  guint       n_dropped;
  guint       n_commands;
  guint       n_acked;
  guint       n_busy;
  guint       n_thread_writes;
  guint       n_deleted_seen;    /* samples of /proc/self/fd with a deleted WAL/SHM */
  char       *deleted_example;
} Stress;

static void G_GNUC_PRINTF (2, 3)
stress_fail (Stress     *s,
             const char *format,
             ...)
{
  va_list args;
  char *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_mutex_lock (&s->lock);
  if (!s->running || s->failures->len < 30)
    g_ptr_array_add (s->failures, msg);
  else
    {
      s->n_dropped++;
      g_free (msg);
    }
  g_mutex_unlock (&s->lock);
}

static SegRecord *
stress_add_segment (Stress     *s,
                    const char *name,
                    gboolean    manual,
                    gboolean    by_cli)
{
  SegRecord *r = seg_record_new (name, manual, by_cli);

  g_mutex_lock (&s->lock);
  g_ptr_array_add (s->segments, r);
  g_mutex_unlock (&s->lock);
  return r;
}

static gboolean
is_busy_message (const char *err)
{
  g_autofree char *lower = g_utf8_strdown (err ? err : "", -1);

  return strstr (lower, "another program") != NULL;
}

/* Runs cohort; TRUE when acknowledged (exit 0). A busy failure that says
 * another program is writing is allowed (FALSE); anything else is a test
 * failure (FALSE). */
static gboolean
run_cli (Stress              *s,
         char               **out,
         const char * const  *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  g_autofree char *o = NULL;
  g_autofree char *e = NULL;
  int wait_status = 0, status;

  envp = g_environ_unsetenv (envp, "COHORT_WORKSPACE");
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  g_ptr_array_add (argv, (char *) s->binary);
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, s->ws);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                     &o, &e, &wait_status, &error))
    {
      stress_fail (s, "cannot run cohort: %s", error->message);
      return FALSE;
    }
  status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
  g_atomic_int_inc (&s->n_commands);
  if (out != NULL)
    *out = g_steal_pointer (&o);
  if (status == 0)
    {
      g_atomic_int_inc (&s->n_acked);
      return TRUE;
    }
  if (status == 1 && is_busy_message (e))
    {
      g_atomic_int_inc (&s->n_busy);
      return FALSE;
    }
  {
    g_autofree char *joined = g_strjoinv (" ", (char **) args);
    stress_fail (s, "cohort %s: exit %d (only a message that another program is writing "
                 "may fail a command): %s", joined, status, e);
  }
  return FALSE;
}

/* The same for a core call in this process. */
static gboolean
core_ok (Stress     *s,
         gboolean    ok,
         GError     *error,
         const char *what)
{
  g_atomic_int_inc (&s->n_thread_writes);
  if (ok)
    return TRUE;
  if (g_error_matches (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_BUSY) &&
      is_busy_message (error->message))
    {
      g_atomic_int_inc (&s->n_busy);
      return FALSE;
    }
  stress_fail (s, "%s: %s", what, error ? error->message : "failed without an error");
  return FALSE;
}

static char *
criteria_for (const char *prefix,
              gint64      ref_id)
{
  if (ref_id <= 0)
    return g_strdup_printf ("{\"attribute\": {\"field\": \"id\", \"operator\": \"starts_with\", "
                            "\"value\": \"%s\"}}", prefix);
  return g_strdup_printf ("{\"or\": [{\"attribute\": {\"field\": \"id\", \"operator\": \"starts_with\", "
                          "\"value\": \"%s\"}}, {\"segment\": {\"id\": %" G_GINT64_FORMAT "}}]}",
                          prefix, ref_id);
}

/* ---- `cohort` processes ---------------------------------------------- */

typedef struct
{
  Stress *s;
  guint   n;
} Worker;

/* Expected count of a data-driven segment: the customers of @prefixed (those
 * whose id has its prefix) and the members of the segment it refers to. */
static void
expect_count (GHashTable *prefixed,
              GHashTable *members,
              guint      *out)
{
  g_autoptr(GHashTable) all = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, prefixed);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_add (all, key);
  if (members != NULL)
    {
      g_hash_table_iter_init (&iter, members);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_hash_table_add (all, key);
    }
  *out = g_hash_table_size (all);
}

static gpointer
cli_worker (gpointer data)
{
  Worker *w = data;
  Stress *s = w->s;
  g_autoptr(GRand) rand = g_rand_new_with_seed (1000 + w->n);
  g_autofree char *prefix = g_strdup_printf ("w%u-", w->n);
  g_autoptr(GHashTable) my_acked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) my_tried = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) my_list = g_ptr_array_new_with_free_func (g_free);   /* my_acked, in order */

  for (guint i = 0; g_get_monotonic_time () < s->deadline; i++)
    {
      g_autofree char *csv_path = g_strdup_printf ("%s/import-%u-%u.csv", s->dir, w->n, i);
      g_autoptr(GString) csv = g_string_new ("id,email,plan\n");
      g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *manual = g_strdup_printf ("cli%u-m%u", w->n, i);
      g_autofree char *dd = g_strdup_printf ("cli%u-d%u", w->n, i);
      g_autofree char *out = NULL;
      g_autoptr(GPtrArray) add_args = g_ptr_array_new ();
      SegRecord *m, *d;
      gint64 manual_id = 0;
      guint n_before;

      /* 1. Import distinct customers. */
      for (guint j = 0; j < IMPORT_ROWS; j++)
        {
          char *id = g_strdup_printf ("%s%u-%u", prefix, i, j);

          g_string_append_printf (csv, "%s,%s@s.example,%c\n", id, id, "AB"[j % 2]);
          g_ptr_array_add (rows, id);
          g_hash_table_add (my_tried, g_strdup (id));
        }
      g_file_set_contents (csv_path, csv->str, csv->len, NULL);
      g_mutex_lock (&s->lock);
      n_before = g_hash_table_size (s->customers);
      g_mutex_unlock (&s->lock);
      if (run_cli (s, NULL, (const char *[]) { "import", "customers", csv_path, "--json", NULL }))
        {
          g_mutex_lock (&s->lock);
          for (guint j = 0; j < rows->len; j++)
            {
              const char *id = rows->pdata[j];

              g_hash_table_insert (s->customers, g_strdup (id), g_strdup_printf ("%s@s.example", id));
              g_hash_table_add (my_acked, g_strdup (id));
              g_ptr_array_add (my_list, g_strdup (id));
            }
          g_mutex_unlock (&s->lock);
        }
      g_remove (csv_path);

      /* Every acknowledged import is counted by whoever counts next. */
      if (run_cli (s, &out, (const char *[]) { "customers", "count", NULL }) &&
          g_ascii_strtoull (out, NULL, 10) < N_BASE + n_before)
        stress_fail (s, "customers count said %s, but %u were acknowledged before it started",
                     out, N_BASE + n_before);
      g_clear_pointer (&out, g_free);

      /* 2. A manual segment with a few members. */
      m = stress_add_segment (s, manual, TRUE, TRUE);
      m->tried = TRUE;
      if (run_cli (s, &out, (const char *[]) { "segments", "create", manual, "--manual", NULL }))
        {
          m->created = TRUE;
          manual_id = g_ascii_strtoll (out, NULL, 10);
          if (manual_id <= 0)
            stress_fail (s, "segments create printed “%s”, not an id", out);
        }
      g_clear_pointer (&out, g_free);
      if (m->created)
        {
          guint n = 1 + g_rand_int_range (rand, 0, 6);

          g_ptr_array_add (add_args, (char *) "segments");
          g_ptr_array_add (add_args, (char *) "add");
          g_ptr_array_add (add_args, manual);
          for (guint j = 0; j < n; j++)
            {
              char *id;

              /* One of this worker's own imports, the others base customers. */
              if (j == 0 && my_list->len > 0)
                id = g_strdup (my_list->pdata[g_rand_int_range (rand, 0, (gint32) my_list->len)]);
              else
                id = g_strdup_printf ("b%04d", g_rand_int_range (rand, 0, N_BASE));
              g_hash_table_add (m->tried_members, g_strdup (id));
              g_ptr_array_add (add_args, id);
            }
          g_ptr_array_add (add_args, NULL);
          if (run_cli (s, NULL, (const char * const *) add_args->pdata))
            for (guint j = 3; j + 1 < add_args->len; j++)
              g_hash_table_add (m->acked, g_strdup (add_args->pdata[j]));
          for (guint j = 3; j + 1 < add_args->len; j++)
            g_free (add_args->pdata[j]);

          /* Its own members, so nobody else changes its count. */
          if (run_cli (s, &out, (const char *[]) { "segments", "count", manual, NULL }))
            {
              guint64 c = g_ascii_strtoull (out, NULL, 10);

              if (c < g_hash_table_size (m->acked) || c > g_hash_table_size (m->tried_members))
                stress_fail (s, "segments count %s said %" G_GUINT64_FORMAT ", acknowledged %u members",
                             manual, c, g_hash_table_size (m->acked));
            }
          g_clear_pointer (&out, g_free);
        }

      /* 3. A data-driven segment over this worker's imports and that segment. */
      d = stress_add_segment (s, dd, FALSE, TRUE);
      d->tried = TRUE;
      d->prefix = g_strdup (prefix);
      d->ref_name = manual_id > 0 ? g_strdup (manual) : NULL;
      if (run_cli (s, NULL, (const char *[]) { "segments", "create", dd, "--data-driven", NULL }))
        d->created = TRUE;
      if (d->created)
        {
          g_autofree char *json = criteria_for (prefix, manual_id);

          if (run_cli (s, NULL, (const char *[]) { "segments", "set-criteria", dd, json, NULL }))
            {
              g_free (d->criteria);
              d->criteria = g_steal_pointer (&json);
              g_ptr_array_set_size (d->later_criteria, 0);
            }
          else
            g_ptr_array_add (d->later_criteria, g_steal_pointer (&json));

          if (d->criteria != NULL && d->later_criteria->len == 0 &&
              g_hash_table_size (my_acked) == g_hash_table_size (my_tried) &&
              g_hash_table_size (m->acked) == g_hash_table_size (m->tried_members) &&
              run_cli (s, &out, (const char *[]) { "segments", "count", dd, NULL }))
            {
              guint expected;

              expect_count (my_acked, manual_id > 0 ? m->acked : NULL, &expected);
              if (g_ascii_strtoull (out, NULL, 10) != expected)
                stress_fail (s, "segments count %s said %s, but exactly %u match", dd, out, expected);
            }
          g_clear_pointer (&out, g_free);
        }
    }
  return NULL;
}

/* ---- The core's writer threads in this process ------------------------ */

static gpointer
core_writer (gpointer data)
{
  Worker *w = data;
  Stress *s = w->s;
  g_autoptr(GRand) rand = g_rand_new_with_seed (2000 + w->n);
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GError) error = NULL;

  ws = cohort_workspace_open (s->ws, COHORT_WORKSPACE_OPEN_NONE, &error);
  if (ws == NULL)
    {
      stress_fail (s, "thread %u cannot open the workspace: %s", w->n, error->message);
      return NULL;
    }

  for (guint i = 0; g_get_monotonic_time () < s->deadline; i++)
    {
      g_autofree char *manual = g_strdup_printf ("thr%u-m%u", w->n, i);
      g_autofree char *dd = g_strdup_printf ("thr%u-d%u", w->n, i);
      g_autoptr(CohortSegment) m_seg = NULL;
      g_autoptr(CohortSegment) d_seg = NULL;
      SegRecord *m, *d;

      /* A short-lived connection beside the long one, as the window's
       * worker threads open them (count, list, export). */
      {
        g_autoptr(CohortWorkspace) other = cohort_workspace_open (s->ws, i % 2 ? COHORT_WORKSPACE_OPEN_READ_ONLY
                                                                               : COHORT_WORKSPACE_OPEN_NONE,
                                                                  &error);
        g_autoptr(GPtrArray) list = NULL;

        if (other != NULL)
          list = cohort_segments_list (other, &error);
        if (list == NULL)
          core_ok (s, FALSE, error, "a short-lived connection");
        g_clear_error (&error);
      }

      m = stress_add_segment (s, manual, TRUE, FALSE);
      m->tried = TRUE;
      m_seg = cohort_segments_create (ws, manual, COHORT_SEGMENT_MANUAL, "", &error);
      if (core_ok (s, m_seg != NULL, error, "cohort_segments_create"))
        {
          g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
          g_auto(CohortMembersResult) result = { 0 };
          guint n = 1 + g_rand_int_range (rand, 0, 4);

          m->created = TRUE;
          for (guint j = 0; j < n; j++)
            {
              char *id = g_strdup_printf ("b%04d", g_rand_int_range (rand, 0, N_BASE));

              g_hash_table_add (m->tried_members, g_strdup (id));
              g_ptr_array_add (ids, id);
            }
          if (core_ok (s, cohort_members_add (ws, cohort_segment_get_id (m_seg), ids, &result, &error),
                       error, "cohort_members_add"))
            for (guint j = 0; j < ids->len; j++)
              g_hash_table_add (m->acked, g_strdup (ids->pdata[j]));
        }
      g_clear_error (&error);

      d = stress_add_segment (s, dd, FALSE, FALSE);
      d->tried = TRUE;
      d->prefix = g_strdup_printf ("b0%u", w->n - N_CLI_WORKERS);   /* b00…, b01…: 100 customers each */
      d->ref_name = m_seg != NULL ? g_strdup (manual) : NULL;
      d_seg = cohort_segments_create (ws, dd, COHORT_SEGMENT_DATA_DRIVEN, "", &error);
      if (core_ok (s, d_seg != NULL, error, "cohort_segments_create"))
        {
          g_autofree char *json = criteria_for (d->prefix, m_seg ? cohort_segment_get_id (m_seg) : 0);

          d->created = TRUE;
          g_clear_error (&error);
          if (core_ok (s, cohort_segments_set_criteria (ws, cohort_segment_get_id (d_seg), json, &error),
                       error, "cohort_segments_set_criteria"))
            {
              g_free (d->criteria);
              d->criteria = g_steal_pointer (&json);
            }
          else
            g_ptr_array_add (d->later_criteria, g_steal_pointer (&json));
          g_clear_error (&error);

          /* Counted at once by a reader, as the window's live count does:
           * the 100 customers of the prefix and the referenced members. */
          if (d->criteria != NULL &&
              g_hash_table_size (m->acked) == g_hash_table_size (m->tried_members))
            {
              g_autoptr(CohortWorkspace) reader = cohort_workspace_open (s->ws, COHORT_WORKSPACE_OPEN_READ_ONLY, &error);
              g_autoptr(CohortEvaluation) ev = NULL;

              if (reader != NULL)
                ev = cohort_evaluator_evaluate_segment (reader, cohort_segment_get_id (d_seg), NULL, &error);
              if (ev == NULL)
                core_ok (s, FALSE, error, "evaluating in a read-only connection");
              else
                {
                  guint64 expected = 100;
                  GHashTableIter iter;
                  gpointer key;

                  g_hash_table_iter_init (&iter, m->acked);
                  while (g_hash_table_iter_next (&iter, &key, NULL))
                    expected += !g_str_has_prefix (key, d->prefix);
                  if (cohort_evaluation_get_count (ev) != expected)
                    stress_fail (s, "a reader thread counted %" G_GUINT64_FORMAT " in %s, exactly %"
                                 G_GUINT64_FORMAT " match", cohort_evaluation_get_count (ev), dd, expected);
                }
            }
        }
      g_clear_error (&error);
      g_usleep (150 * 1000);
    }
  return NULL;
}

/* ---- Checks ----------------------------------------------------------- */

static gboolean
same_json (const char *a,
           const char *b)
{
  g_autoptr(JsonNode) na = json_from_string (a, NULL);
  g_autoptr(JsonNode) nb = json_from_string (b, NULL);

  return na != NULL && nb != NULL && json_node_equal (na, nb);
}

static void
sample_fds (Stress *s)
{
  g_auto(GStrv) fds = proc_deleted_wal_fds (0);

  if (fds[0] != NULL)
    {
      s->n_deleted_seen++;
      if (s->deleted_example == NULL)
        s->deleted_example = g_strjoinv ("; ", fds);
    }
}

static gint64
recount (sqlite3   *db,
         SegRecord *r,
         gint64     id)
{
  g_autofree char *sql = NULL;
  gint64 ref = 0;

  if (r->manual)
    {
      sql = g_strdup_printf ("SELECT count(*) FROM segment_members WHERE segment = %" G_GINT64_FORMAT, id);
      return proc_sql_int (db, sql, NULL);
    }
  if (r->ref_name != NULL)
    ref = proc_sql_int (db, "SELECT id FROM segments WHERE name = ?1", r->ref_name);
  sql = g_strdup_printf ("SELECT count(*) FROM customers WHERE substr(id, 1, length(?1)) = ?1 "
                         "OR ordinal IN (SELECT customer FROM segment_members WHERE segment = %"
                         G_GINT64_FORMAT ")", ref);
  return proc_sql_int (db, sql, r->prefix);
}

static void
check_final_state (Stress *s)
{
  sqlite3 *db = proc_sql_open (s->ws);
  g_autofree char *check = proc_sql_text (db, "PRAGMA integrity_check", NULL);
  GHashTableIter iter;
  gpointer key, value;
  guint n_counted = 0, n_cli = 0, n_thr = 0;

  if (g_strcmp0 (check, "ok\n") != 0)
    {
      stress_fail (s, "PRAGMA integrity_check: %s", check);
      sqlite3_close (db);
      return;    /* nothing below can be read */
    }

  /* Every acknowledged customer, with its email. */
  g_hash_table_iter_init (&iter, s->customers);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *email = proc_sql_text (db, "SELECT email FROM customers WHERE id = ?1", key);
      g_autofree char *want = g_strdup_printf ("%s\n", (char *) value);

      if (g_strcmp0 (email, want) != 0)
        stress_fail (s, "imported customer %s was acknowledged but is %s", (char *) key,
                     *email ? email : "missing");
    }

  for (guint i = 0; i < s->segments->len; i++)
    {
      SegRecord *r = s->segments->pdata[i];
      g_autofree char *row = proc_sql_text (db, "SELECT id, kind FROM segments WHERE name = ?1", r->name);
      g_auto(GStrv) cols = NULL;
      gint64 id;

      if (*row == '\0')
        {
          if (r->created)
            stress_fail (s, "segment %s was acknowledged but is missing", r->name);
          continue;
        }
      if (!r->tried)
        stress_fail (s, "segment %s exists but was never created", r->name);
      g_strchomp (row);
      cols = g_strsplit (row, "|", 2);
      id = g_ascii_strtoll (cols[0], NULL, 10);
      if (g_strcmp0 (cols[1], r->manual ? "manual" : "data-driven") != 0)
        stress_fail (s, "segment %s is %s", r->name, cols[1]);

      if (r->manual)
        {
          g_autofree char *sql = g_strdup_printf ("SELECT c.id FROM segment_members m JOIN customers c "
                                                  "ON c.ordinal = m.customer WHERE m.segment = %"
                                                  G_GINT64_FORMAT, id);
          g_autofree char *members = proc_sql_text (db, sql, NULL);
          g_auto(GStrv) lines = g_strsplit (members, "\n", -1);
          g_autoptr(GHashTable) have = g_hash_table_new (g_str_hash, g_str_equal);

          for (guint j = 0; lines[j] && *lines[j]; j++)
            {
              g_hash_table_add (have, lines[j]);
              if (!g_hash_table_contains (r->tried_members, lines[j]))
                stress_fail (s, "segment %s has member %s that was never added", r->name, lines[j]);
            }
          g_hash_table_iter_init (&iter, r->acked);
          while (g_hash_table_iter_next (&iter, &key, NULL))
            if (!g_hash_table_contains (have, key))
              stress_fail (s, "segment %s lost acknowledged member %s", r->name, (char *) key);
        }
      else
        {
          g_autofree char *stored = proc_sql_text (db, "SELECT ifnull(criteria, '') FROM segments WHERE name = ?1",
                                                   r->name);
          gboolean ok = FALSE;

          g_strchomp (stored);
          if (r->criteria == NULL)
            ok = *stored == '\0';
          else
            ok = same_json (stored, r->criteria);
          for (guint j = 0; !ok && j < r->later_criteria->len; j++)
            ok = same_json (stored, r->later_criteria->pdata[j]);
          if (!ok)
            stress_fail (s, "segment %s has criteria %s, acknowledged %s", r->name, stored,
                         r->criteria ? r->criteria : "none");
          if (r->criteria == NULL || r->later_criteria->len > 0)
            continue;    /* no recount for an unknown criteria */
        }

      /* `cohort segments count` against a recount in plain SQL: every
       * segment made by a process, every fifth made by a thread, at most
       * 40 of each. */
      if (r->by_cli ? n_cli++ < 40 : (i % 5 == 0 && n_thr++ < 40))
        {
          g_autofree char *out = NULL;
          gint64 expected = recount (db, r, id);

          if (run_cli (s, &out, (const char *[]) { "segments", "count", r->name, NULL }))
            {
              n_counted++;
              if (g_ascii_strtoll (out, NULL, 10) != expected)
                stress_fail (s, "segments count %s said %s, plain SQL counts %" G_GINT64_FORMAT,
                             r->name, g_strchomp (out), expected);
            }
        }
    }

  {
    g_autofree char *out = NULL;
    gint64 expected = proc_sql_int (db, "SELECT count(*) FROM customers", NULL);

    if (run_cli (s, &out, (const char *[]) { "customers", "count", NULL }) &&
        g_ascii_strtoll (out, NULL, 10) != expected)
      stress_fail (s, "customers count said %s, plain SQL counts %" G_GINT64_FORMAT, out, expected);
    if (expected != N_BASE + g_hash_table_size (s->customers))
      stress_fail (s, "%" G_GINT64_FORMAT " customers, but %u were imported",
                   expected, N_BASE + g_hash_table_size (s->customers));
  }
  g_test_message ("counted %u segments with cohort and plain SQL", n_counted);
  sqlite3_close (db);
}

static void
test_stress (void)
{
  Stress s = { 0 };
  g_autoptr(CohortWorkspace) window = NULL;
  g_autoptr(GError) error = NULL;
  Worker workers[N_CLI_WORKERS + N_THREADS];
  GThread *threads[N_CLI_WORKERS + N_THREADS];
  const char *seconds_env = g_getenv ("COHORT_STRESS_SECONDS");
  guint seconds = seconds_env ? (guint) g_ascii_strtoull (seconds_env, NULL, 10) : 12;
  guint n_window_writes = 0, n_window_acked = 0;
  gint64 started, next_write;
  g_autoptr(GString) base = g_string_new ("id,email,plan\n");
  g_autofree char *base_path = NULL;

  s.binary = g_getenv ("COHORT_BINARY");
  g_assert_nonnull (s.binary);
  s.dir = g_dir_make_tmp ("cohort-multiprocess-XXXXXX", NULL);
  s.ws = g_build_filename (s.dir, "shared.cohort", NULL);
  g_mutex_init (&s.lock);
  s.segments = g_ptr_array_new_with_free_func ((GDestroyNotify) seg_record_free);
  s.customers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s.failures = g_ptr_array_new_with_free_func (g_free);

  /* The base customers, by the command line. */
  for (guint i = 0; i < N_BASE; i++)
    g_string_append_printf (base, "b%04u,b%04u@base.example,%c\n", i, i, "ABC"[i % 3]);
  base_path = g_build_filename (s.dir, "base.csv", NULL);
  g_file_set_contents (base_path, base->str, base->len, &error);
  g_assert_no_error (error);
  s.deadline = G_MAXINT64;
  g_assert_true (run_cli (&s, NULL, (const char *[]) { "import", "customers", base_path, NULL }));

  /* The window: one connection open for the whole run. */
  window = cohort_workspace_open (s.ws, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_assert_no_error (error);

  started = g_get_monotonic_time ();
  s.deadline = started + seconds * G_USEC_PER_SEC;
  s.running = TRUE;
  for (guint i = 0; i < N_CLI_WORKERS + N_THREADS; i++)
    {
      workers[i].s = &s;
      workers[i].n = i;
      threads[i] = g_thread_new ("stress", i < N_CLI_WORKERS ? cli_worker : core_writer, &workers[i]);
    }

  /* Meanwhile the window writes now and then and its descriptors are
   * looked at every 50 ms. */
  next_write = started;
  while (g_get_monotonic_time () < s.deadline)
    {
      sample_fds (&s);
      if (g_get_monotonic_time () >= next_write)
        {
          g_autofree char *name = g_strdup_printf ("window-%u", n_window_writes++);
          g_autoptr(CohortSegment) seg = NULL;
          SegRecord *r = stress_add_segment (&s, name, TRUE, FALSE);

          r->tried = TRUE;
          cohort_workspace_check_external_changes (window);
          seg = cohort_segments_create (window, name, COHORT_SEGMENT_MANUAL, "", &error);
          if (core_ok (&s, seg != NULL, error, "window: cohort_segments_create"))
            {
              r->created = TRUE;
              n_window_acked++;
            }
          g_clear_error (&error);
          next_write += G_USEC_PER_SEC / 2;
        }
      g_usleep (50 * 1000);
    }
  for (guint i = 0; i < N_CLI_WORKERS + N_THREADS; i++)
    g_thread_join (threads[i]);
  s.running = FALSE;
  if (s.n_dropped > 0)
    stress_fail (&s, "… and %u more failures while the workers ran", s.n_dropped);
  sample_fds (&s);

  /* The window saves once more after everything ran: a separate process
   * must see it. */
  {
    g_autoptr(CohortSegment) seg = cohort_segments_create (window, "window-last", COHORT_SEGMENT_MANUAL, "", &error);
    g_autofree char *seen = NULL;
    SegRecord *r = stress_add_segment (&s, "window-last", TRUE, FALSE);

    r->tried = TRUE;
    if (core_ok (&s, seg != NULL, error, "window: the last cohort_segments_create"))
      {
        r->created = TRUE;
        seen = proc_sql_in_child (s.ws, "SELECT count(*) FROM segments WHERE name = 'window-last'");
        if (g_strcmp0 (seen, "1\n") != 0)
          stress_fail (&s, "a segment saved by the long-lived connection is not seen by another process");
      }
    g_clear_error (&error);
  }
  g_clear_object (&window);

  g_test_message ("%.1f s: %u cohort commands (%u acknowledged, %u busy), %u core writes "
                  "in threads, %u window writes (%u acknowledged), %u customers imported, "
                  "%u segments",
                  (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC,
                  s.n_commands, s.n_acked, s.n_busy, s.n_thread_writes,
                  n_window_writes, n_window_acked, g_hash_table_size (s.customers),
                  s.segments->len);

  if (s.n_deleted_seen > 0)
    stress_fail (&s, "%u times this process held a deleted WAL/SHM open, e.g. %s",
                 s.n_deleted_seen, s.deleted_example);

  check_final_state (&s);

  for (guint i = 0; i < s.failures->len; i++)
    g_printerr ("FAILED: %s\n", (char *) s.failures->pdata[i]);
  g_assert_cmpuint (s.failures->len, ==, 0);
  /* Enough happened for the run to mean something. */
  g_assert_cmpuint (s.n_acked, >=, 10);
  g_assert_cmpuint (s.n_thread_writes, >=, 10);

  g_ptr_array_unref (s.segments);
  g_hash_table_unref (s.customers);
  g_ptr_array_unref (s.failures);
  g_free (s.deleted_example);
  g_mutex_clear (&s.lock);
  cohort_column_index_forget (s.ws, TRUE);
  cohort_event_index_forget (s.ws, TRUE);
  proc_remove_tree (s.dir);
  g_free (s.ws);
  g_free (s.dir);
}

/* ---- Opening while another connection checkpoints ----------------------- */

typedef struct
{
  const char *path;
  gint64      deadline;
  gint        n_opens;
  gint        n_writes;
  GMutex      lock;
  GString    *failures;
} OpenRace;

/* Grows the file: every commit adds pages, and each is checkpointed at once
 * (the checkpoint writes page 1, with the new size, before the pages that
 * make the file that long). */
static gpointer
race_writer (gpointer data)
{
  OpenRace *o = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = cohort_workspace_open (o->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_autofree char *description = g_strnfill (3000, 'x');

  g_assert_no_error (error);
  for (guint i = 0; g_get_monotonic_time () < o->deadline; i++)
    {
      g_autofree char *name = g_strdup_printf ("grow-%u", i);
      g_autoptr(CohortSegment) seg = cohort_segments_create (ws, name, COHORT_SEGMENT_MANUAL, description, &error);

      g_assert_no_error (error);
      g_assert_true (cohort_workspace_exec (ws, "PRAGMA wal_checkpoint(PASSIVE)", &error));
      g_assert_no_error (error);
      g_atomic_int_inc (&o->n_writes);
    }
  return NULL;
}

static gpointer
race_opener (gpointer data)
{
  OpenRace *o = data;

  while (g_get_monotonic_time () < o->deadline)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CohortWorkspace) ws = cohort_workspace_open (o->path, COHORT_WORKSPACE_OPEN_NONE, &error);

      g_atomic_int_inc (&o->n_opens);
      if (ws == NULL && !g_error_matches (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_BUSY))
        {
          g_mutex_lock (&o->lock);
          if (o->failures->len < 2000)
            g_string_append_printf (o->failures, "  %s\n", error->message);
          g_mutex_unlock (&o->lock);
        }
    }
  return NULL;
}

/* A workspace opened while another connection checkpoints is never taken
 * for a damaged one: in WAL mode the size in the file's header runs ahead of
 * the file while a checkpoint writes, so it proves nothing about truncation. */
static void
test_open_during_checkpoint (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cohort-open-race-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "race.cohort", NULL);
  OpenRace o = { path, 0, 0, 0, { 0 }, g_string_new (NULL) };
  g_autoptr(GError) error = NULL;
  GThread *threads[3];

  {
    g_autoptr(CohortWorkspace) created = cohort_workspace_open (path, COHORT_WORKSPACE_OPEN_CREATE, &error);

    g_assert_no_error (error);
  }
  g_mutex_init (&o.lock);
  o.deadline = g_get_monotonic_time () + 4 * G_USEC_PER_SEC;
  threads[0] = g_thread_new ("writer", race_writer, &o);
  threads[1] = g_thread_new ("opener", race_opener, &o);
  threads[2] = g_thread_new ("opener", race_opener, &o);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  g_test_message ("%d opens during %d checkpointed writes", o.n_opens, o.n_writes);
  if (o.failures->len > 0)
    g_printerr ("Opens that failed while another connection checkpointed:\n%s", o.failures->str);
  g_assert_cmpuint (o.failures->len, ==, 0);
  g_assert_cmpint (o.n_opens, >, 0);
  g_assert_cmpint (o.n_writes, >, 0);
  proc_assert_integrity (path);

  g_string_free (o.failures, TRUE);
  g_mutex_clear (&o.lock);
  cohort_column_index_forget (path, TRUE);
  cohort_event_index_forget (path, TRUE);
  proc_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  int helper = proc_sql_helper_main (argc, argv);

  if (helper >= 0)
    return helper;
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/multiprocess/open-during-checkpoint", test_open_during_checkpoint);
  g_test_add_func ("/multiprocess/stress", test_stress);
  return g_test_run ();
}
