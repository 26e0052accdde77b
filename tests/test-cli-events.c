/* Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "cohort-test-cli.h"

typedef struct
{
  char *dir;
  char *ws;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("cohort-cli-events-XXXXXX", NULL);
  f->ws = g_build_filename (f->dir, "w.cohort", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_remove (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->ws);
}

static char *
write_file (Fixture *f, const char *name, const char *contents)
{
  char *p = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (p, contents, -1, NULL));
  return p;
}

static void
test_import_and_show (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *csv = write_file (f, "events.csv",
      "customer_id,event,timestamp,amount\n"
      "u1,purchase,1700000000,60\n"
      "u1,purchase,2023-11-15T00:00:00Z,10\n"
      "u2,page,1700000000,\n"
      "u3,purchase,not a time,1\n");
  g_autofree char *bad = write_file (f, "bad.csv", "customer_id,event,timestamp\nu1,x,1\nu1,x,\n");
  JsonObject *o, *events;

  cli_run (&r, f->ws, "import", "events", csv, "--json");
  g_assert_cmpint (r.status, ==, 0);
  root = cli_json (&r);
  o = json_node_get_object (root);
  g_assert_cmpint (json_object_get_int_member (o, "rows"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (o, "imported"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (o, "customers_created"), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "rejected")), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (
                     json_object_get_array_member (o, "rejected"), 0), "line"), ==, 5);
  g_clear_pointer (&root, json_node_unref);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "customers", "show", "u1", "--json");
  g_assert_cmpint (r.status, ==, 0);
  root = cli_json (&r);
  events = json_object_get_object_member (json_node_get_object (root), "events");
  g_assert_nonnull (events);
  o = json_object_get_object_member (events, "purchase");
  g_assert_cmpint (json_object_get_int_member (o, "count"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "last"), ==, 1700006400);
  g_clear_pointer (&root, json_node_unref);
  cli_result_clear (&r);

  /* All or nothing: exit 1, nothing imported. */
  cli_run (&r, f->ws, "import", "events", bad, "--all-or-nothing");
  g_assert_cmpint (r.status, ==, 1);
  cli_result_clear (&r);
  cli_run (&r, f->ws, "customers", "show", "u1", "--json");
  root = cli_json (&r);
  events = json_object_get_object_member (json_node_get_object (root), "events");
  g_assert_false (json_object_has_member (events, "x"));
  g_clear_pointer (&root, json_node_unref);
  cli_result_clear (&r);

  /* Unknown customers rejected on request. */
  {
    g_autofree char *more = write_file (f, "more.csv", "customer_id,event,timestamp\nu1,y,5\nstranger,y,5\n");

    cli_run (&r, f->ws, "import", "events", more, "--reject-missing", "--json");
    g_assert_cmpint (r.status, ==, 0);
    root = cli_json (&r);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "imported"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "customers_created"), ==, 0);
    g_clear_pointer (&root, json_node_unref);
    cli_result_clear (&r);

    cli_run (&r, f->ws, "import", "events", more, "--reject-missing", "--create-missing");
    g_assert_cmpint (r.status, ==, 2);
    cli_result_clear (&r);
  }

  /* No such file, no customer column. */
  cli_run (&r, f->ws, "import", "events", "/nonexistent/file.csv");
  g_assert_cmpint (r.status, ==, 1);
  cli_result_clear (&r);
  {
    g_autofree char *nocust = write_file (f, "nocust.csv", "who,event,timestamp\na,b,1\n");

    cli_run (&r, f->ws, "import", "events", nocust);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "customer"));
  }
}

static void
test_count_with_events (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };
  g_autofree char *csv = write_file (f, "events.csv",
      "customer_id,name,timestamp,url\n"
      "a,page,1699990000,https://x.org/pricing\n"
      "b,page,1699990000,https://x.org/blog\n"
      "b,purchase,1600000000,\n");
  const char *env[] = { "COHORT_NOW=1700000000", NULL };

  cli_run (&r, f->ws, "import", "events", csv);
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  cli_run_env (&r, f->ws, env, (const char *[]) { "segments", "create", "Pricing viewers", "--criteria",
      "{\"event\": {\"name\": \"page\", \"within\": {\"amount\": 7, \"unit\": \"days\"}, "
      "\"where\": [{\"field\": \"url\", \"operator\": \"contains\", \"value\": \"pricing\"}]}}", NULL });
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run_env (&r, f->ws, env, (const char *[]) { "segments", "count", "Pricing viewers", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "1\n");
  cli_result_clear (&r);

  cli_run_env (&r, f->ws, env, (const char *[]) { "segments", "create", "Never bought", "--criteria",
      "{\"event\": {\"name\": \"purchase\", \"operator\": \"not_performed\"}}", NULL });
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run_env (&r, f->ws, env, (const char *[]) { "segments", "members", "Never bought", "--csv", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "id,email\na,\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/cli/events/import-and-show", test_import_and_show);
  ADD ("/cli/events/count-with-events", test_count_with_events);
  return g_test_run ();
}
