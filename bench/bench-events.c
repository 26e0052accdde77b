/* bench-events.c: event data generator and in-process event count benchmark
 *
 *   bench-events-tool generate N_CUSTOMERS N_EVENTS FILE.csv   deterministic events CSV
 *   bench-events-tool run WORKSPACE JSON ROUNDS                event index build/open, median count
 *
 * The customers come from bench-count-tool (ids 1..N); process timing uses
 * `bench-count-tool time`.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cohort-column-index.h"
#include "cohort-evaluator.h"
#include "cohort-event-index.h"
#include "cohort-workspace.h"

#define BENCH_NOW 1735689600   /* 2025-01-01, COHORT_NOW of the benchmark */

static guint64 state = 0x9e3779b97f4a7c15ULL;

static guint32
rng (void)
{
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return (guint32) ((state * 0x2545f4914f6cdd1dULL) >> 32);
}

static const char *const pages[] = {
  "https://shop.example.com/", "https://shop.example.com/pricing", "https://shop.example.com/blog/launch",
  "https://shop.example.com/products/42", "https://shop.example.com/cart", "https://shop.example.com/help",
};
static const char *const products[] = { "shoes", "shirt", "hat", "bag", "socks", "coat", "scarf" };

static int
generate (guint n_customers, guint n_events, const char *file)
{
  FILE *fp = fopen (file, "w");

  if (fp == NULL)
    {
      perror (file);
      return 1;
    }
  fprintf (fp, "customer_id,name,timestamp,amount,url,product\n");
  for (guint i = 0; i < n_events; i++)
    {
      guint customer = 1 + rng () % n_customers;
      guint kind = rng () % 10;
      guint ts = BENCH_NOW - rng () % (365 * 86400);

      if (kind < 2)
        fprintf (fp, "%u,purchase,%u,%u.%02u,,%s\n", customer, ts, rng () % 300, rng () % 100,
                 products[rng () % G_N_ELEMENTS (products)]);
      else if (kind < 7)
        fprintf (fp, "%u,page,%u,,%s,\n", customer, ts, pages[rng () % G_N_ELEMENTS (pages)]);
      else if (kind < 9)
        fprintf (fp, "%u,login,%u,,,\n", customer, ts);
      else
        fprintf (fp, "%u,add_to_cart,%u,,,%s\n", customer, ts, products[rng () % G_N_ELEMENTS (products)]);
    }
  return fclose (fp) == 0 ? 0 : 1;
}

static long
status_kb (const char *key)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (p = strstr (status, key)) == NULL)
    return 0;
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
  g_autoptr(CohortEventIndex) built = NULL;
  g_autoptr(CohortEventIndex) mapped = NULL;
  g_autofree double *times = g_new0 (double, MAX (rounds, 1));
  guint64 count = 0;
  long rss0;
  gint64 t0;

  if (ws == NULL)
    g_error ("%s", error->message);
  criteria = cohort_criteria_parse (json, &error);
  if (criteria == NULL)
    g_error ("%s", error->message);

  rss0 = status_kb ("VmRSS:");
  t0 = g_get_monotonic_time ();
  built = cohort_event_index_build (cohort_workspace_get_db (ws), NULL, &error);
  if (built == NULL)
    g_error ("%s", error->message);
  printf ("event index build from SQLite: %.0f ms, %" G_GUINT64_FORMAT " events, RSS +%.1f MB (peak RSS %.1f MB)\n",
          (g_get_monotonic_time () - t0) / 1e3, cohort_event_index_get_n_events (built),
          (status_kb ("VmRSS:") - rss0) / 1024.0, status_kb ("VmHWM:") / 1024.0);
  g_clear_pointer (&built, cohort_event_index_unref);

  t0 = g_get_monotonic_time ();
  mapped = cohort_event_index_ensure_for_db (cohort_workspace_get_db (ws), path, NULL, &error);
  if (mapped == NULL)
    g_error ("%s", error->message);
  printf ("event index open (%s): %.1f ms\n",
          cohort_event_index_is_mapped (mapped) ? "mapped sidecar" : "built and written",
          (g_get_monotonic_time () - t0) / 1e3);

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
  qsort (times, rounds, sizeof (double), compare_double);
  printf ("count %" G_GUINT64_FORMAT ": median %.2f ms (min %.2f, max %.2f, %u rounds; the first includes opening)\n",
          count, times[rounds / 2], times[0], times[rounds - 1], rounds);
  printf ("MEDIAN_MS=%.3f\nCOUNT=%" G_GUINT64_FORMAT "\n", times[rounds / 2], count);
  return 0;
}

int
main (int argc, char *argv[])
{
  if (argc == 5 && strcmp (argv[1], "generate") == 0)
    return generate ((guint) atoi (argv[2]), (guint) atoi (argv[3]), argv[4]);
  if (argc == 5 && strcmp (argv[1], "run") == 0)
    return run (argv[2], argv[3], (guint) atoi (argv[4]));
  fprintf (stderr, "usage: %s generate N_CUSTOMERS N_EVENTS FILE | run WORKSPACE JSON ROUNDS\n", argv[0]);
  return 2;
}
