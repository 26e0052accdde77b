/* Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include <gio/gio.h>

#include "cohort-test-cli.h"
#include "cohort-workspace.h"

typedef struct
{
  char *dir;
  char *ws;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("cohort-cli-XXXXXX", NULL);
  f->ws = g_build_filename (f->dir, "w.cohort", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  const char *suffixes[] = { "", "-wal", "-shm", ".index" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *p = g_strconcat (f->ws, suffixes[i], NULL);
      g_remove (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->ws);
}

static void
test_version_help (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };

  cli_run (&r, NULL, "--version");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "cohort "));
  cli_result_clear (&r);

  cli_run (&r, NULL, "--help");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "segments"));
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "--help");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "create"));
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "create", "--help");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "--data-driven"));
  cli_result_clear (&r);

  cli_run (&r, f->ws, "frobnicate");
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "frobnicate"));
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "frobnicate");
  g_assert_cmpint (r.status, ==, 2);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "list", "--no-such-option");
  g_assert_cmpint (r.status, ==, 2);
}

static void
test_create_list_show (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };
  g_autoptr(JsonNode) root = NULL;
  JsonArray *segments;
  JsonObject *s;
  gint64 id;

  cli_run (&r, f->ws, "segments", "create", "VIP", "--manual", "--description", "Big spenders");
  g_assert_cmpint (r.status, ==, 0);
  id = g_ascii_strtoll (r.out, NULL, 10);
  g_assert_cmpint (id, >, 0);
  g_assert_cmpstr (g_strstrip (r.out), ==, "1");
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "create", "Active users", "--data-driven");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "list", "--json");
  g_assert_cmpint (r.status, ==, 0);
  root = cli_json (&r);
  segments = json_object_get_array_member (json_node_get_object (root), "segments");
  g_assert_cmpuint (json_array_get_length (segments), ==, 2);
  s = json_array_get_object_element (segments, 0);      /* sorted by name */
  g_assert_cmpstr (json_object_get_string_member (s, "name"), ==, "Active users");
  g_assert_cmpstr (json_object_get_string_member (s, "kind"), ==, "data-driven");
  s = json_array_get_object_element (segments, 1);
  g_assert_cmpint (json_object_get_int_member (s, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (s, "name"), ==, "VIP");
  g_assert_cmpstr (json_object_get_string_member (s, "kind"), ==, "manual");
  g_assert_true (json_object_get_boolean_member (s, "active"));
  g_assert_cmpstr (json_object_get_string_member (s, "description"), ==, "Big spenders");
  g_assert_cmpint (json_object_get_int_member (s, "created_at"), >, 1700000000);
  g_assert_cmpint (json_object_get_int_member (s, "updated_at"), >=,
                   json_object_get_int_member (s, "created_at"));
  g_assert_cmpuint (json_object_get_size (s), ==, 7);
  g_clear_pointer (&root, json_node_unref);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "show", "vip", "--json");
  g_assert_cmpint (r.status, ==, 0);
  root = cli_json (&r);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "name"), ==, "VIP");
  g_clear_pointer (&root, json_node_unref);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "show", "1");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "VIP"));
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "list");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Active users"));
  g_assert_nonnull (strstr (r.out, "VIP"));
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };

  /* Usage: no kind, both kinds, no name. */
  cli_run (&r, f->ws, "segments", "create", "X");
  g_assert_cmpint (r.status, ==, 2);
  cli_result_clear (&r);
  cli_run (&r, f->ws, "segments", "create", "X", "--manual", "--data-driven");
  g_assert_cmpint (r.status, ==, 2);
  cli_result_clear (&r);
  cli_run (&r, f->ws, "segments", "create", "--manual");
  g_assert_cmpint (r.status, ==, 2);
  cli_result_clear (&r);

  /* Failures: duplicate name, no such segment, empty name. */
  cli_run (&r, f->ws, "segments", "create", "Dup", "--manual");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->ws, "segments", "create", "DUP", "--data-driven");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "already exists"));
  cli_result_clear (&r);
  cli_run (&r, f->ws, "segments", "create", "   ", "--manual");
  g_assert_cmpint (r.status, ==, 1);
  cli_result_clear (&r);
  cli_run (&r, f->ws, "segments", "show", "Nope");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "Nope"));
  cli_result_clear (&r);
  cli_run (&r, f->ws, "segments", "delete", "999");
  g_assert_cmpint (r.status, ==, 1);
  cli_result_clear (&r);
}

static void
test_unreadable_workspace (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };
  g_autofree char *png = g_build_filename (f->dir, "picture.png", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_true (g_file_set_contents (png, "\x89PNG\r\n\x1a\nnot really", -1, NULL));
  g_file_get_contents (png, &before, NULL, NULL);
  cli_run (&r, png, "segments", "list");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "not a Cohort workspace"));
  g_file_get_contents (png, &after, NULL, NULL);
  g_assert_cmpstr (before, ==, after);
  g_remove (png);
  cli_result_clear (&r);

  /* Listing a workspace that does not exist is an error, not a new file. */
  cli_run (&r, f->ws, "segments", "list");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_false (g_file_test (f->ws, G_FILE_TEST_EXISTS));
}

static void
test_change_commands (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };
  g_autoptr(JsonNode) root = NULL;
  JsonObject *s;

  cli_run (&r, f->ws, "segments", "create", "Trial", "--manual");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "rename", "Trial", "Trial users");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->ws, "segments", "rename", "Trial users");
  g_assert_cmpint (r.status, ==, 2);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "deactivate", "trial users");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "describe", "1", "On a free trial");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "show", "1", "--json");
  root = cli_json (&r);
  s = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (s, "name"), ==, "Trial users");
  g_assert_false (json_object_get_boolean_member (s, "active"));
  g_assert_cmpstr (json_object_get_string_member (s, "description"), ==, "On a free trial");
  g_clear_pointer (&root, json_node_unref);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "activate", "1");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "duplicate", "1");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (g_strstrip (r.out), ==, "2");
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "delete", "Trial users");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "list", "--json");
  root = cli_json (&r);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (root),
                                                                        "segments")), ==, 1);
}

static void
test_env_workspace (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };
  g_autofree char *env = g_strconcat ("COHORT_WORKSPACE=", f->ws, NULL);
  const char *envv[] = { env, NULL };

  cli_run_env (&r, NULL, envv, (const char *[]) { "segments", "create", "From env", "--manual", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_file_test (f->ws, G_FILE_TEST_EXISTS));
  cli_result_clear (&r);

  /* --workspace after the command works too. */
  cli_run (&r, NULL, "segments", "list", "--json", "--workspace", f->ws);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "From env"));
}

static void
test_members (Fixture *f, gconstpointer data)
{
  g_auto(CliResult) r = { 0 };
  g_autoptr(JsonNode) root = NULL;
  JsonObject *o;

  cli_run (&r, f->ws, "segments", "create", "Hand", "--manual");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->ws, "segments", "create", "Rules", "--data-driven");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  {
    g_autoptr(CohortWorkspace) ws = cohort_workspace_open (f->ws, COHORT_WORKSPACE_OPEN_NONE, NULL);

    g_assert_nonnull (ws);
    g_assert_true (cohort_workspace_exec (ws,
        "INSERT INTO customers (id, email, added_at, modified_at) VALUES "
        "('u1', 'ann@example.com', 0, 0), ('u2', NULL, 0, 0), (NULL, 'cat@example.com', 0, 0)",
        NULL));
  }

  cli_run (&r, f->ws, "segments", "add", "Hand", "u1", "cat@example.com,nobody", "--json");
  g_assert_cmpint (r.status, ==, 0);
  root = cli_json (&r);
  o = json_node_get_object (root);
  g_assert_cmpint (json_object_get_int_member (o, "added"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "already_present"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "unknown")), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (o, "unknown"), 0), ==, "nobody");
  g_clear_pointer (&root, json_node_unref);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "add", "Hand", "u1", "u2");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Added 1, already present 1, unknown 0"));
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "remove", "Hand", "ann@example.com", "ghost");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Removed 1"));
  g_assert_nonnull (strstr (r.out, "unknown: ghost"));
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "list");
  g_assert_nonnull (strstr (r.out, "2"));
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "add", "Rules", "u1");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "data-driven"));
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "add", "Hand");
  g_assert_cmpint (r.status, ==, 2);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "freeze", "Hand", "Hand snapshot");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpint (g_ascii_strtoll (r.out, NULL, 10), >, 2);
  cli_result_clear (&r);

  cli_run (&r, f->ws, "segments", "clear", "Hand");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Removed 2"));
  cli_result_clear (&r);

  /* The snapshot kept its members. */
  cli_run (&r, f->ws, "segments", "show", "Hand snapshot");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Members:\t2"));
  cli_result_clear (&r);

  {
    g_autofree char *csv = g_build_filename (f->dir, "upload.csv", NULL);

    g_assert_true (g_file_set_contents (csv, "Email Address,First Name\r\nann@example.com,Ann\r\n"
                                              "nobody@example.com,No\r\n", -1, NULL));
    cli_run (&r, f->ws, "segments", "add", "Hand", "--from-csv", csv, "--json");
    g_assert_cmpint (r.status, ==, 0);
    root = cli_json (&r);
    o = json_node_get_object (root);
    g_assert_cmpint (json_object_get_int_member (o, "added"), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (o, "unknown"), 0),
                     ==, "nobody@example.com");
    g_clear_pointer (&root, json_node_unref);
    cli_result_clear (&r);

    cli_run (&r, f->ws, "segments", "add", "Hand", "u1", "--from-csv", csv);
    g_assert_cmpint (r.status, ==, 2);
    g_remove (csv);
  }
}

/* The app and the command line may write the same workspace at once:
 * several processes creating segments concurrently all succeed. */
static void
test_concurrent_writers (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  const char *binary = g_getenv ("COHORT_BINARY");
  g_auto(CliResult) r = { 0 };
  g_autoptr(JsonNode) root = NULL;
  const guint n_procs = 6, per_proc = 8;

  cli_run (&r, f->ws, "segments", "create", "Seed", "--manual");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  for (guint p = 0; p < n_procs; p++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *script = NULL;
      GSubprocess *proc;
      GString *cmd = g_string_new (NULL);

      for (guint i = 0; i < per_proc; i++)
        g_string_append_printf (cmd, "'%s' --workspace '%s' segments create 'P%u-%u' --manual >/dev/null || exit 1; ",
                                binary, f->ws, p, i);
      script = g_string_free (cmd, FALSE);
      proc = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sh", "-c", script, NULL);
      g_assert_no_error (error);
      g_ptr_array_add (procs, proc);
    }
  for (guint p = 0; p < procs->len; p++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (g_subprocess_wait_check (procs->pdata[p], NULL, &error));
      g_assert_no_error (error);
    }

  cli_run (&r, f->ws, "segments", "list", "--json");
  g_assert_cmpint (r.status, ==, 0);
  root = cli_json (&r);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (root),
                                                                        "segments")), ==, 1 + n_procs * per_proc);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/cli/segments/version-help", test_version_help);
  ADD ("/cli/segments/create-list-show", test_create_list_show);
  ADD ("/cli/segments/errors", test_errors);
  ADD ("/cli/segments/unreadable-workspace", test_unreadable_workspace);
  ADD ("/cli/segments/change-commands", test_change_commands);
  ADD ("/cli/segments/env-workspace", test_env_workspace);
  ADD ("/cli/segments/members", test_members);
  ADD ("/cli/segments/concurrent-writers", test_concurrent_writers);
  return g_test_run ();
}
