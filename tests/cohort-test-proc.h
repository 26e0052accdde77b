/* cohort-test-proc.h: processes and plain SQLite for the many-process tests
 *
 * What the multi-process, crash and shared-window tests have in common:
 * the descriptors a process holds on deleted WAL/SHM files, SQL through the
 * sqlite3 library alone (never through Cohort's core), the same SQL from a
 * separate process (the test binary runs itself), and a `cohort` process
 * that is killed with SIGKILL after a delay.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

/* The descriptors of process @pid (0: this one) that point to a deleted
 * WAL or SHM file ("/tmp/x/w.cohort-wal (deleted)"), as a NULL-terminated
 * array (empty when there is none). A process that holds one writes into a
 * file no other process will ever read: SQLite's locks were lost. */
static inline char **
proc_deleted_wal_fds (GPid pid)
{
  g_autofree char *dir_path = pid > 0 ? g_strdup_printf ("/proc/%d/fd", (int) pid)
                                      : g_strdup ("/proc/self/fd");
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GPtrArray) found = g_ptr_array_new ();
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename (dir_path, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (target == NULL || !g_str_has_suffix (target, " (deleted)"))
        continue;
      if (strstr (target, "-wal (deleted)") != NULL || strstr (target, "-shm (deleted)") != NULL ||
          strstr (target, "-journal (deleted)") != NULL)
        g_ptr_array_add (found, g_strdup_printf ("fd %s → %s", name, target));
    }
  g_ptr_array_add (found, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&found), FALSE);
}

/* Asserts that this process holds no deleted WAL/SHM file. */
static inline void
proc_assert_no_deleted_wal (const char *when)
{
  g_auto(GStrv) fds = proc_deleted_wal_fds (0);

  if (fds[0] != NULL)
    {
      g_autofree char *joined = g_strjoinv ("\n  ", fds);

      g_error ("%s: this process writes into a deleted WAL/SHM (another process "
               "unlinked it, so SQLite's locks were lost):\n  %s", when, joined);
    }
}

/* ---- Plain SQL, through the sqlite3 library only -------------------- */

static inline sqlite3 *
proc_sql_open (const char *path)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL);

  if (rc != SQLITE_OK)
    g_error ("sqlite3_open_v2 (%s): %s", path, db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  sqlite3_busy_timeout (db, 20000);
  return db;
}

/* Every row of @sql, columns joined by '|', rows ended by '\n'. @text
 * (optional) is bound to every ?1. Fails the test on an SQL error. */
static inline char *
proc_sql_text (sqlite3    *db,
               const char *sql,
               const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  if (text != NULL)
    sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      for (int i = 0; i < sqlite3_column_count (stmt); i++)
        {
          const char *v = (const char *) sqlite3_column_text (stmt, i);

          if (i > 0)
            g_string_append_c (out, '|');
          g_string_append (out, v ? v : "NULL");
        }
      g_string_append_c (out, '\n');
    }
  if (rc != SQLITE_DONE)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  sqlite3_finalize (stmt);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static inline gint64
proc_sql_int (sqlite3    *db,
              const char *sql,
              const char *text)
{
  g_autofree char *s = proc_sql_text (db, sql, text);

  return g_ascii_strtoll (s, NULL, 10);
}

/* A SHA-256 of every row of @sql (use ORDER BY), with the row count in front
 * so that a digest names a state readably ("30000:ab12..."). */
static inline char *
proc_sql_digest (sqlite3    *db,
                 const char *sql)
{
  g_autofree char *s = proc_sql_text (db, sql, NULL);
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, s, -1);
  guint rows = 0;

  for (const char *p = s; *p; p++)
    rows += *p == '\n';
  return g_strdup_printf ("%u:%.16s", rows, sum);
}

static inline void
proc_assert_integrity (const char *path)
{
  sqlite3 *db = proc_sql_open (path);
  g_autofree char *check = proc_sql_text (db, "PRAGMA integrity_check", NULL);

  g_assert_cmpstr (check, ==, "ok\n");
  sqlite3_close (db);
}

/* ---- The same SQL from a separate process -------------------------- */

#define PROC_SQL_HELPER_ARG "--cohort-test-sql"

/* Call first thing in main(): when the binary was started by
 * proc_sql_in_child(), answers the query and returns the exit status;
 * otherwise returns -1. */
static inline int
proc_sql_helper_main (int    argc,
                      char **argv)
{
  sqlite3 *db;
  char *text;

  if (argc != 4 || strcmp (argv[1], PROC_SQL_HELPER_ARG) != 0)
    return -1;
  db = proc_sql_open (argv[2]);
  text = proc_sql_text (db, argv[3], NULL);
  fputs (text, stdout);
  g_free (text);
  sqlite3_close (db);
  return 0;
}

/* Runs @sql on @path in a new process (this test binary, see
 * proc_sql_helper_main()), so that nothing this process holds (its SQLite
 * connections, their locks and shared memory) plays a part. */
static inline char *
proc_sql_in_child (const char *path,
                   const char *sql)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { self, PROC_SQL_HELPER_ARG, path, sql, NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_assert_nonnull (self);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s on %s in a separate process failed: %s", sql, path, err);
  return out;
}

/* ---- A cohort process killed at a chosen moment --------------------- */

/* Starts `cohort --workspace WS ARGS...` (output thrown away) with extra
 * "NAME=VALUE" environment strings @env (may be NULL). */
static inline GPid
proc_spawn_cohort (const char         *binary,
                   const char         *ws,
                   const char * const *env,
                   const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  GPid pid = 0;

  envp = g_environ_unsetenv (envp, "COHORT_WORKSPACE");
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  for (guint i = 0; env && env[i]; i++)
    {
      g_auto(GStrv) kv = g_strsplit (env[i], "=", 2);
      envp = g_environ_setenv (envp, kv[0], kv[1] ? kv[1] : "", TRUE);
    }
  g_ptr_array_add (argv, (char *) binary);
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, (char *) ws);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_async (NULL, (char **) argv->pdata, envp,
                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                 NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  return pid;
}

/* Waits @delay_us for @pid, then kills it with SIGKILL if it still runs.
 * Returns TRUE if it was killed, FALSE if it had exited on its own (then
 * *exit_status is its exit code, else 128 + signal). */
static inline gboolean
proc_kill_after (GPid    pid,
                 gint64  delay_us,
                 int    *exit_status)
{
  gint64 end = g_get_monotonic_time () + delay_us;
  int status = 0;
  pid_t r;

  for (;;)
    {
      r = waitpid (pid, &status, WNOHANG);
      if (r == pid)
        {
          *exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
          return FALSE;
        }
      g_assert_cmpint (r, ==, 0);
      if (g_get_monotonic_time () >= end)
        break;
      g_usleep (MIN (1000, MAX (0, end - g_get_monotonic_time ())));
    }
  kill (pid, SIGKILL);
  while ((r = waitpid (pid, &status, 0)) < 0 && errno == EINTR)
    ;
  g_assert_cmpint (r, ==, pid);
  g_spawn_close_pid (pid);
  /* It may have exited on its own between the last look and the kill. */
  *exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  return WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL;
}

/* Copies a closed workspace file (no WAL) to @to. */
static inline void
proc_copy_file (const char *from,
                const char *to)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (from, &data, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, data, len, &error);
  g_assert_no_error (error);
}

/* Removes @dir and the files in it (no sub-folders). */
static inline void
proc_remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_remove (path);
    }
  g_rmdir (dir);
}
