/* bench-sort.c: how fast are the customers ordered by an attribute?
 *
 *   bench-sort-tool WORKSPACE FLAT_DB [RUNS]
 *
 * WORKSPACE is a Cohort workspace (a copy: its index file may be written)
 * and FLAT_DB the same customers as one SQLite table "t" of text columns, as
 * bench-count.sh makes them. For each case, in one process: the median time
 * of cohort_customer_order() over the column index, and of SQLite ordering
 * the flat table (SELECT rowid ... ORDER BY ..., every row stepped), and
 * whether both give the same order. Also: the index's open time and the
 * time to read one page of 100 rows by ordinal, as the list model does.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort-column-index.h"
#include "cohort-customer-order.h"
#include "cohort-customers.h"
#include "cohort-workspace.h"

typedef struct
{
  const char *label;
  const char *field;
  gboolean    descending;
  const char *search;
  const char *sql;        /* the same order over the flat table; ?1: the LIKE pattern */
} Case;

static const Case cases[] = {
  { "number (lifetime_value) ascending", "lifetime_value", FALSE, NULL,
    "SELECT rowid FROM t ORDER BY lifetime_value = '', CAST(lifetime_value AS REAL), rowid" },
  { "number (age) descending", "age", TRUE, NULL,
    "SELECT rowid FROM t ORDER BY age = '', CAST(age AS REAL) DESC, rowid DESC" },
  { "text (last_name) ascending", "last_name", FALSE, NULL,
    "SELECT rowid FROM t ORDER BY last_name = '', last_name, rowid" },
  { "text (email) ascending", "email", FALSE, NULL,
    "SELECT rowid FROM t ORDER BY email = '', email COLLATE NOCASE, rowid" },
  { "search \"user12\" by lifetime_value", "lifetime_value", FALSE, "user12",
    "SELECT rowid FROM t WHERE id LIKE ?1 OR email LIKE ?1 "
    "ORDER BY lifetime_value = '', CAST(lifetime_value AS REAL), rowid" },
};

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v,
        guint   n)
{
  qsort (v, n, sizeof (double), compare_doubles);
  return v[n / 2];
}

static GArray *
sqlite_order (sqlite3    *db,
              const Case *c)
{
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autofree char *pattern = c->search ? g_strdup_printf ("%%%s%%", c->search) : NULL;
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, c->sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", c->sql, sqlite3_errmsg (db));
  if (pattern != NULL)
    sqlite3_bind_text (stmt, 1, pattern, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      guint32 rowid = (guint32) sqlite3_column_int64 (stmt, 0);

      g_array_append_val (rows, rowid);
    }
  sqlite3_finalize (stmt);
  return rows;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortColumnIndex) index = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *flat = NULL;
  guint runs;
  gint64 t0;

  if (argc < 3)
    {
      g_printerr ("Usage: %s WORKSPACE FLAT_DB [RUNS]\n", argv[0]);
      return 2;
    }
  runs = argc > 3 ? (guint) atoi (argv[3]) : 5;
  runs = CLAMP (runs, 1, 50);

  ws = cohort_workspace_open (argv[1], COHORT_WORKSPACE_OPEN_NONE, &error);
  if (ws == NULL)
    g_error ("%s", error->message);
  if (sqlite3_open_v2 (argv[2], &flat, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    g_error ("%s: %s", argv[2], sqlite3_errmsg (flat));

  t0 = g_get_monotonic_time ();
  index = cohort_column_index_ensure (ws, NULL, &error);
  if (index == NULL)
    g_error ("%s", error->message);
  printf ("index: %" G_GUINT64_FORMAT " customers, %s in %.1f ms\n",
          cohort_column_index_get_n_customers (index),
          cohort_column_index_is_mapped (index) ? "mapped" : "built",
          (g_get_monotonic_time () - t0) / 1000.0);
  printf ("median of %u runs\n", runs);
  printf ("%-40s %10s %12s %8s %8s  %s\n", "case", "rows", "sqlite3 ms", "cohort", "ratio", "same order");

  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      const Case *c = &cases[k];
      g_autofree double *ours = g_new (double, runs);
      g_autofree double *theirs = g_new (double, runs);
      g_autoptr(GArray) order = NULL;
      g_autoptr(GArray) reference = NULL;
      gboolean same;
      double a, b;

      for (guint r = 0; r < runs; r++)
        {
          g_clear_pointer (&order, g_array_unref);
          t0 = g_get_monotonic_time ();
          order = cohort_customer_order (index, c->field, c->descending, c->search, NULL, &error);
          ours[r] = (g_get_monotonic_time () - t0) / 1000.0;
          if (order == NULL)
            g_error ("%s", error->message);

          g_clear_pointer (&reference, g_array_unref);
          t0 = g_get_monotonic_time ();
          reference = sqlite_order (flat, c);
          theirs[r] = (g_get_monotonic_time () - t0) / 1000.0;
        }
      /* Ordinals and the flat table's rowids both number the CSV's rows. */
      same = order->len == reference->len &&
             memcmp (order->data, reference->data, order->len * sizeof (guint32)) == 0;
      a = median (ours, runs);
      b = median (theirs, runs);
      printf ("%-40s %10u %12.1f %8.1f %7.1fx  %s\n", c->label, order->len, b, a, b / a,
              same ? "yes" : "no");
    }

  /* A page of the list, as the model reads it: 100 rows by ordinal. */
  {
    g_autoptr(GArray) order = cohort_customer_order (index, "lifetime_value", FALSE, NULL, NULL, &error);
    g_autofree double *times = g_new (double, runs);

    if (order == NULL)
      g_error ("%s", error->message);
    for (guint r = 0; r < runs; r++)
      {
        guint first = (guint) ((order->len - 100) / runs * r);

        t0 = g_get_monotonic_time ();
        for (guint i = first; i < first + 100 && i < order->len; i++)
          {
            g_autoptr(GPtrArray) row = NULL;

            row = cohort_customers_list_after (ws, (gint64) g_array_index (order, guint32, i) - 1, 1, &error);
            if (row == NULL || row->len != 1)
              g_error ("reading a customer: %s", error ? error->message : "missing");
          }
        times[r] = (g_get_monotonic_time () - t0) / 1000.0;
      }
    printf ("page of 100 rows by ordinal: %.2f ms\n", median (times, runs));
  }

  sqlite3_close (flat);
  return 0;
}
