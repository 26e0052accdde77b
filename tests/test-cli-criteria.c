/* test-cli-criteria.c: segments create --criteria, set-criteria, count,
 * members, show --json, through the real binary
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "cohort-test-cli.h"
#include "cohort-test-criteria.h"
#include "cohort-test-customers.h"
#include "cohort-event-index.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

#define PUT(ws, ord, id, email, ...) \
  test_put_customer ((ws), (ord), (id), (email), (const char *[]) { __VA_ARGS__, NULL })

static void
load (Fixture *f, gboolean more)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortWorkspace) ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_CREATE, &error);

  g_assert_no_error (error);
  cohort_workspace_begin (ws, &error);
  g_assert_no_error (error);
  if (!more)
    {
      PUT (ws, 1, "1", "ann@example.com", "plan", "pro", "age", "31", "seen", "1708900000");
      PUT (ws, 2, "2", "bob@example.com", "plan", "free", "age", "22", "seen", "1700000000");
      PUT (ws, 3, "3", NULL, "plan", "Pro", "age", "45");
      PUT (ws, 4, NULL, "=cmd@example.com", "plan", "pro");
      PUT (ws, 5, "+5", "x,y@example.com", "plan", "pro", "age", "50", "seen", "2024-02-20");
    }
  else
    PUT (ws, 6, "6", "new@example.com", "plan", "pro", "age", "60");
  cohort_workspace_commit (ws, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("cohort-cli-criteria-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "workspace.cohort", NULL);
  load (f, FALSE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  const char *suffixes[] = { "", "-wal", "-shm", ".index", NULL };

  for (guint i = 0; suffixes[i]; i++)
    {
      g_autofree char *p = g_strconcat (f->path, suffixes[i], NULL);
      g_remove (p);
    }
  {
    g_autofree char *crit = g_build_filename (f->dir, "criteria.json", NULL);
    g_autofree char *events = cohort_event_index_sidecar_path (f->path);
    g_remove (crit);
    g_remove (events);
  }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

#define PRO "{\"attribute\":{\"field\":\"plan\",\"operator\":\"eq\",\"value\":\"pro\"}}"

static void
test_create_count_members (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };

  cli_run (&r, f->path, "segments", "create", "Pros", "--criteria", PRO);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "1\n");
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "count", "Pros");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "3\n");
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "count", "1");
  g_assert_cmpstr (r.out, ==, "3\n");
  cli_result_clear (&r);

  /* CSV: header, missing cells empty, formula cells protected, commas quoted. */
  cli_run (&r, f->path, "segments", "members", "Pros", "--csv");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "id,email\n1,ann@example.com\n,'=cmd@example.com\n'+5,\"x,y@example.com\"\n");
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "members", "Pros", "--limit", "1");
  g_assert_cmpstr (r.out, ==, "id,email\n1,ann@example.com\n");
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "members", "Pros", "--json", "--limit", "2");
  g_assert_cmpint (r.status, ==, 0);
  {
    g_autoptr(JsonNode) node = cli_json (&r);
    JsonArray *array = json_node_get_array (node);
    JsonObject *second;

    g_assert_cmpuint (json_array_get_length (array), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0), "id"), ==, "1");
    second = json_array_get_object_element (array, 1);
    g_assert_true (json_object_get_null_member (second, "id"));
    g_assert_cmpstr (json_object_get_string_member (second, "email"), ==, "=cmd@example.com");
  }
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "show", "Pros", "--json");
  g_assert_cmpint (r.status, ==, 0);
  {
    g_autoptr(JsonNode) node = cli_json (&r);
    JsonObject *criteria = json_object_get_object_member (json_node_get_object (node), "criteria");
    g_autofree char *text = NULL;

    g_assert_nonnull (criteria);
    text = json_to_string (json_object_get_member (json_node_get_object (node), "criteria"), FALSE);
    g_assert_cmpstr (text, ==, PRO);
  }
  cli_result_clear (&r);

  /* The text form gives the rules in words, to rebuild them in Customer.io. */
  cli_run (&r, f->path, "segments", "show", "Pros");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Rules:\tplan is “pro”\n"));
  g_assert_nonnull (strstr (r.out, "Criteria:\t" PRO "\n"));
}

static void
test_invalid (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };

  cli_run (&r, f->path, "segments", "create", "Bad",
           "--criteria", "{\"and\":[" PRO ",{\"or\":[{\"attribute\":{\"field\":\"age\",\"operator\":\"older\",\"value\":3}}]}]}");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "and[1].or[0].attribute.operator"));
  cli_result_clear (&r);

  /* Nothing half-created. */
  cli_run (&r, f->path, "segments", "show", "Bad");
  g_assert_cmpint (r.status, !=, 0);
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "create", "Ref", "--criteria", "{\"not\":{\"segment\":{\"id\":42}}}");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "not.segment.id"));
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "create", "Pros", "--criteria", PRO);
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "set-criteria", "Pros", "{\"and\":[{\"segment\":{\"id\":1}}]}");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "and[0].segment.id"));
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "set-criteria", "Pros", "not json");
  g_assert_cmpint (r.status, ==, 1);
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "create", "M", "--manual", "--criteria", PRO);
  g_assert_cmpint (r.status, ==, 2);
  cli_result_clear (&r);

  /* The criteria did not change. */
  cli_run (&r, f->path, "segments", "count", "Pros");
  g_assert_cmpstr (r.out, ==, "3\n");
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "count", "Nope");
  g_assert_cmpint (r.status, ==, 1);
}

static void
test_set_criteria_and_freshness (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };
  g_autofree char *file = g_build_filename (f->dir, "criteria.json", NULL);
  g_autofree char *at_file = g_strconcat ("@", file, NULL);
  const char *env[] = { "COHORT_NOW=1709000000", NULL };

  cli_run (&r, f->path, "segments", "create", "Recent", "--data-driven");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  /* Without criteria a data-driven segment has no members. */
  cli_run (&r, f->path, "segments", "count", "Recent");
  g_assert_cmpstr (r.out, ==, "0\n");
  cli_result_clear (&r);

  g_assert_true (g_file_set_contents (file,
    "{\"and\":[{\"attribute\":{\"field\":\"seen\",\"operator\":\"within_last\",\"value\":{\"amount\":30,\"unit\":\"days\"}}},"
    "{\"attribute\":{\"field\":\"age\",\"operator\":\"gte\",\"value\":30}}]}", -1, NULL));
  cli_run (&r, f->path, "segments", "set-criteria", "Recent", at_file);
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  cli_run_env (&r, f->path, env, (const char *[]) { "segments", "count", "Recent", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "2\n");
  cli_result_clear (&r);

  cli_run_env (&r, f->path, env, (const char *[]) { "segments", "members", "Recent", NULL });
  g_assert_cmpstr (r.out, ==, "id,email\n1,ann@example.com\n'+5,\"x,y@example.com\"\n");
  cli_result_clear (&r);

  /* New data: the persisted index is stale and must not be used. */
  cli_run (&r, f->path, "segments", "set-criteria", "Recent", PRO);
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->path, "segments", "count", "Recent");
  g_assert_cmpstr (r.out, ==, "3\n");
  cli_result_clear (&r);
  load (f, TRUE);
  cli_run (&r, f->path, "segments", "count", "Recent");
  g_assert_cmpstr (r.out, ==, "4\n");
  cli_result_clear (&r);
}

static void
test_manual_and_refs (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };

  cli_run (&r, f->path, "segments", "create", "Picked", "--manual");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->path, "segments", "add", "Picked", "2", "ann@example.com");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->path, "segments", "count", "Picked");
  g_assert_cmpstr (r.out, ==, "2\n");
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "create", "Free picks", "--criteria",
           "{\"and\":[{\"segment\":{\"id\":1}},{\"not\":" PRO "}]}");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->path, "segments", "members", "Free picks");
  g_assert_cmpstr (r.out, ==, "id,email\n2,bob@example.com\n");
}

/* Criteria nested deeper than anything can walk: refused on the way in
 * with the path; written behind Cohort's back, they fail the count of
 * their segment and nothing else. */
static void
test_too_deep (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };
  g_autofree char *file = g_build_filename (f->dir, "criteria.json", NULL);
  g_autofree char *arg = g_strconcat ("@", file, NULL);
  g_autofree char *too_deep = test_not_chain (100000, PRO);
  g_autofree char *at_limit = test_not_chain (COHORT_CRITERIA_MAX_DEPTH, PRO);
  g_autofree char *message = g_strdup_printf ("criteria nest deeper than %d levels", COHORT_CRITERIA_MAX_DEPTH);

  g_assert_true (g_file_set_contents (file, too_deep, -1, NULL));
  cli_run (&r, f->path, "segments", "create", "Deep", "--criteria", arg);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_str_has_prefix (r.err, "cohort: not.not.not."));
  g_assert_nonnull (strstr (r.err, message));
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "list");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_null (strstr (r.out, "Deep"));
  cli_result_clear (&r);

  /* Exactly as deep as allowed: saved and counted (an even number of nots). */
  g_assert_true (g_file_set_contents (file, at_limit, -1, NULL));
  cli_run (&r, f->path, "segments", "create", "Limit", "--criteria", arg);
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->path, "segments", "count", "Limit");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "3\n");
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "create", "Pros", "--criteria", PRO);
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  /* Another program (an old version, the sqlite3 shell) stores 100,000 levels. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CohortWorkspace) ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);
    sqlite3_stmt *stmt;

    g_assert_no_error (error);
    stmt = cohort_workspace_prepare (ws, "UPDATE segments SET criteria = ? WHERE name = 'Limit'", &error);
    g_assert_no_error (error);
    sqlite3_bind_text (stmt, 1, too_deep, -1, SQLITE_TRANSIENT);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
    sqlite3_reset (stmt);
  }

  cli_run (&r, f->path, "segments", "count", "Limit");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_nonnull (strstr (r.err, "The criteria of segment “Limit” are invalid: not.not."));
  g_assert_nonnull (strstr (r.err, message));
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "list");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Limit"));
  g_assert_nonnull (strstr (r.out, "Pros"));
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "show", "Limit");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  /* The JSON view neither crashes nor hands on what no parser can read. */
  cli_run (&r, f->path, "segments", "show", "Limit", "--json");
  g_assert_cmpint (r.status, ==, 0);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();

    g_assert_true (json_parser_load_from_data (parser, r.out, -1, NULL));
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                                    "name"), ==, "Limit");
  }
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "count", "Pros");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "3\n");
}

/* A pattern that backtracks past its limit on a value: exit 1 with the
 * node and the value, not a wrong count. */
static void
test_pattern_too_complex (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CohortWorkspace) ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);

    g_assert_no_error (error);
    cohort_workspace_begin (ws, &error);
    g_assert_no_error (error);
    PUT (ws, 7, "7", NULL, "code", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaacab");
    PUT (ws, 8, "8", NULL, "code", "aab");
    cohort_workspace_commit (ws, &error);
    g_assert_no_error (error);
  }

  cli_run (&r, f->path, "segments", "create", "Backtracks", "--criteria",
           "{\"or\":[" PRO ",{\"attribute\":{\"field\":\"code\",\"operator\":\"matches\",\"value\":\"(a+)+b\"}}]}");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  cli_run (&r, f->path, "segments", "count", "Backtracks");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_true (g_str_has_prefix (r.err, "cohort: or[1].attribute.value: the pattern is too complex to match “aaaa"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ((path), Fixture, NULL, fixture_setup, (func), fixture_teardown)
  ADD ("/cli-criteria/create-count-members", test_create_count_members);
  ADD ("/cli-criteria/invalid", test_invalid);
  ADD ("/cli-criteria/set-criteria-and-freshness", test_set_criteria_and_freshness);
  ADD ("/cli-criteria/manual-and-refs", test_manual_and_refs);
  ADD ("/cli-criteria/too-deep", test_too_deep);
  ADD ("/cli-criteria/pattern-too-complex", test_pattern_too_complex);

  return g_test_run ();
}
