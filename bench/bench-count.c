/* bench-count.c: data generator, direct loader and in-process count benchmark
 *
 *   bench-count-tool generate N FILE.csv        deterministic customers CSV
 *   bench-count-tool load WORKSPACE FILE.csv     load it into a workspace by direct SQL
 *   bench-count-tool run WORKSPACE JSON ROUNDS   index build/open time, memory, median count
 *   bench-count-tool time ROUNDS CMD ARGS...     median wall time of a whole process (monotonic clock)
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cohort-attrs.h"
#include "cohort-column-index.h"
#include "cohort-evaluator.h"
#include "cohort-workspace.h"

#define BENCH_NOW 1735689600   /* 2025-01-01, COHORT_NOW of the benchmark */

static guint64 rng_state = 0x853c49e6748fea9bULL;

static guint32
rng (void)
{
  /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (guint32) ((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static const char *const first_names[] = {
  "Anna", "Ben", "Carla", "David", "Eva", "Finn", "Greta", "Hugo", "Ines", "Jonas", "Klara", "Luca",
  "Mia", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sven", "Tara", "Uwe", "Vera", "Wim", "Xenia",
  "Yusuf", "Zoe", "Åsa", "Björn", "Chloé", "Dörte",
};
static const char *const last_names[] = {
  "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
  "Hoffmann", "Smith", "Johnson", "Brown", "Garcia", "Martin", "Dubois", "Rossi", "Novak", "Kowalski",
  "Jensen", "Silva", "Santos", "Kim", "Lee", "Tanaka", "Sato", "Nguyen", "Ivanov", "Horvat", "Berg",
};
static const char *const countries[] = {
  "DE", "US", "FR", "GB", "NL", "ES", "IT", "PL", "SE", "AT", "CH", "BE", "DK", "NO", "FI",
  "IE", "PT", "CZ", "CA", "AU", "BR", "MX", "JP", "KR", "IN",
};
static const char *const plans[] = { "free", "free", "free", "basic", "basic", "pro", "enterprise" };
static const char *const domains[] = { "gmail.com", "yahoo.com", "outlook.com", "example.com", "web.de", "icloud.com" };

static int
generate (guint n, const char *file)
{
  FILE *fp = fopen (file, "w");

  if (fp == NULL)
    {
      perror (file);
      return 1;
    }
  fprintf (fp, "id,email,first_name,last_name,country,plan,age,lifetime_value,created_at,last_seen,newsletter\n");
  for (guint i = 1; i <= n; i++)
    {
      guint ltv_cents = rng () % 500000;

      fprintf (fp, "%u,user%u@%s,%s,%s,%s,%s,%u,%u.%02u,%u,%u,%s\n",
               i, i, domains[rng () % G_N_ELEMENTS (domains)],
               first_names[rng () % G_N_ELEMENTS (first_names)],
               last_names[rng () % G_N_ELEMENTS (last_names)],
               countries[rng () % G_N_ELEMENTS (countries)],
               plans[rng () % G_N_ELEMENTS (plans)],
               18 + rng () % 63,
               ltv_cents / 100, ltv_cents % 100,
               BENCH_NOW - 3 * 365 * 86400 + rng () % (3 * 365 * 86400),
               BENCH_NOW - rng () % (120 * 86400),
               rng () % 3 ? "true" : "false");
    }
  return fclose (fp) == 0 ? 0 : 1;
}

/* The generator writes no quotes or commas inside cells: split on commas. */
static int
load (const char *path, const char *file)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = cohort_workspace_open (path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_autoptr(GByteArray) blob = g_byte_array_new ();
  g_auto(GStrv) header = NULL;
  guint32 attr_ids[64];
  char line[4096];
  FILE *fp;
  sqlite3_stmt *stmt;
  guint n_cols, rows = 0;
  gint64 t0 = g_get_monotonic_time ();

  if (ws == NULL)
    g_error ("%s", error->message);
  fp = fopen (file, "r");
  if (fp == NULL || fgets (line, sizeof line, fp) == NULL)
    g_error ("cannot read %s", file);
  g_strchomp (line);
  header = g_strsplit (line, ",", -1);
  n_cols = g_strv_length (header);
  if (!cohort_workspace_begin (ws, &error))
    g_error ("%s", error->message);
  for (guint c = 2; c < n_cols; c++)
    {
      stmt = cohort_workspace_prepare (ws, "INSERT INTO attributes (name, type) VALUES (?, ?) RETURNING id", &error);
      sqlite3_bind_text (stmt, 1, header[c], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, strcmp (header[c], "age") == 0 || strcmp (header[c], "lifetime_value") == 0 ? "number"
                                  : g_str_has_suffix (header[c], "_at") || strcmp (header[c], "last_seen") == 0 ? "timestamp"
                                  : strcmp (header[c], "newsletter") == 0 ? "boolean" : "string", -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_ROW)
        g_error ("attributes: %s", sqlite3_errmsg (cohort_workspace_get_db (ws)));
      attr_ids[c] = (guint32) sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  stmt = cohort_workspace_prepare (ws, "INSERT INTO customers (id, email, attrs, added_at, modified_at) "
                                       "VALUES (?, ?, ?, ?, ?)", &error);
  while (fgets (line, sizeof line, fp) != NULL)
    {
      CohortAttrEntry entries[64];
      char *fields[64];
      guint n = 0;
      char *p = line;

      g_strchomp (line);
      fields[n++] = p;
      for (; *p; p++)
        if (*p == ',' && n < G_N_ELEMENTS (fields))
          {
            *p = '\0';
            fields[n++] = p + 1;
          }
      if (n != n_cols)
        g_error ("bad line %u", rows + 2);
      for (guint c = 2; c < n_cols; c++)
        {
          entries[c - 2].attr = attr_ids[c];
          entries[c - 2].value = fields[c];
          entries[c - 2].len = strlen (fields[c]);
        }
      g_byte_array_set_size (blob, 0);
      cohort_attrs_encode (blob, entries, n_cols - 2);
      sqlite3_bind_text (stmt, 1, fields[0], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, fields[1], -1, SQLITE_STATIC);
      sqlite3_bind_blob (stmt, 3, blob->data, (int) blob->len, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, BENCH_NOW);
      sqlite3_bind_int64 (stmt, 5, BENCH_NOW);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        g_error ("customers: %s", sqlite3_errmsg (cohort_workspace_get_db (ws)));
      sqlite3_reset (stmt);
      rows++;
    }
  fclose (fp);
  if (!cohort_workspace_note_change (ws, COHORT_CHANGE_CUSTOMERS, &error) ||
      !cohort_workspace_commit (ws, &error))
    g_error ("%s", error->message);
  printf ("loaded %u customers in %.2f s\n", rows, (g_get_monotonic_time () - t0) / 1e6);
  return 0;
}

static long
status_kb (const char *key)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (p = strstr (status, key)) == NULL)
    return -1;
  return strtol (p + strlen (key), NULL, 10);
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static int
run (const char *path, const char *json, guint rounds)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = cohort_workspace_open (path, COHORT_WORKSPACE_OPEN_NONE, &error);
  g_autoptr(CohortCriteria) criteria = NULL;
  g_autoptr(CohortColumnIndex) built = NULL;
  g_autoptr(CohortColumnIndex) index = NULL;
  g_autofree double *times = g_new0 (double, MAX (rounds, 1));
  long rss0, rss1, rss2;
  guint64 count = 0;
  gint64 t0;

  if (ws == NULL)
    g_error ("%s", error->message);
  criteria = cohort_criteria_parse (json, &error);
  if (criteria == NULL)
    g_error ("%s", error->message);

  /* 1. Building from SQLite, as after an import. */
  rss0 = status_kb ("VmRSS:");
  t0 = g_get_monotonic_time ();
  built = cohort_column_index_build (cohort_workspace_get_db (ws), NULL, &error);
  if (built == NULL)
    g_error ("%s", error->message);
  printf ("index build from SQLite: %.0f ms, %" G_GUINT64_FORMAT " customers, %.1f MB of columns, RSS +%.1f MB (peak RSS %.1f MB)\n",
          (g_get_monotonic_time () - t0) / 1e3, cohort_column_index_get_n_customers (built),
          cohort_column_index_get_size (built) / 1048576.0,
          ((rss1 = status_kb ("VmRSS:")) - rss0) / 1024.0, status_kb ("VmHWM:") / 1024.0);
  g_clear_pointer (&built, cohort_column_index_unref);

  /* 2. After a change of data: built and written to the sidecar. */
  cohort_column_index_forget (path, TRUE);
  t0 = g_get_monotonic_time ();
  index = cohort_column_index_ensure (ws, NULL, &error);
  if (index == NULL)
    g_error ("%s", error->message);
  printf ("index build + write of %s: %.0f ms\n", cohort_column_index_is_mapped (index) ? "(mapped?)" : "the sidecar",
          (g_get_monotonic_time () - t0) / 1e3);
  g_clear_pointer (&index, cohort_column_index_unref);

  /* 3. What opening a workspace costs: the sidecar is mapped. */
  cohort_column_index_forget (path, FALSE);
  rss1 = status_kb ("VmRSS:");
  t0 = g_get_monotonic_time ();
  index = cohort_column_index_ensure (ws, NULL, &error);
  if (index == NULL)
    g_error ("%s", error->message);
  printf ("index open (%s): %.1f ms\n", cohort_column_index_is_mapped (index) ? "mapped sidecar" : "built, sidecar not writable",
          (g_get_monotonic_time () - t0) / 1e3);

  /* 4. Counts (the first one checks the mapped columns it uses). */
  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr(CohortEvaluation) ev = NULL;

      t0 = g_get_monotonic_time ();
      ev = cohort_evaluator_evaluate (ws, criteria, NULL, &error);
      if (ev == NULL)
        g_error ("%s", error->message);
      times[i] = (g_get_monotonic_time () - t0) / 1e3;
      count = cohort_evaluation_get_count (ev);
    }
  rss2 = status_kb ("VmRSS:");
  qsort (times, rounds, sizeof (double), compare_double);
  printf ("count = %" G_GUINT64_FORMAT "\n", count);
  printf ("in-process count: median %.2f ms, min %.2f ms, max %.2f ms over %u rounds\n",
          times[rounds / 2], times[0], times[rounds - 1], rounds);
  printf ("RSS while counting: %.1f MB (mapped index pages touched: +%.1f MB)\n", rss2 / 1024.0, (rss2 - rss1) / 1024.0);
  printf ("MEDIAN_MS=%.3f\n", times[rounds / 2]);
  return 0;
}

/* Prints "MEDIAN_MS OUTPUT" for @rounds runs of argv. */
static int
time_command (guint rounds, char **argv)
{
  g_autofree double *times = g_new0 (double, MAX (rounds, 1));
  g_autofree char *last = NULL;

  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;
      int status = 0;
      gint64 t0 = g_get_monotonic_time ();

      if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                         NULL, NULL, &out, NULL, &status, &error))
        g_error ("%s", error->message);
      times[i] = (g_get_monotonic_time () - t0) / 1e3;
      if (!g_spawn_check_wait_status (status, &error))
        g_error ("%s: %s", argv[0], error->message);
      g_free (last);
      last = g_strdup (g_strstrip (out));
    }
  qsort (times, rounds, sizeof (double), compare_double);
  {
    struct rusage usage;

    getrusage (RUSAGE_CHILDREN, &usage);
    printf ("%.1f %s %.1f\n", times[rounds / 2], last, usage.ru_maxrss / 1024.0);
  }
  return 0;
}

int
main (int argc, char *argv[])
{
  if (argc >= 4 && strcmp (argv[1], "time") == 0)
    return time_command ((guint) atoi (argv[2]), argv + 3);
  if (argc == 4 && strcmp (argv[1], "generate") == 0)
    return generate ((guint) atoi (argv[2]), argv[3]);
  if (argc == 4 && strcmp (argv[1], "load") == 0)
    return load (argv[2], argv[3]);
  if (argc == 5 && strcmp (argv[1], "run") == 0)
    return run (argv[2], argv[3], (guint) atoi (argv[4]));
  fprintf (stderr, "usage: %s generate N FILE | load WORKSPACE FILE | run WORKSPACE JSON ROUNDS\n", argv[0]);
  return 2;
}
