/* test-cli-sync.c: `cohort sync` and `cohort remote` against a loopback Customer.io
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "cio-fake-server.h"
#include "cohort-members.h"
#include "cohort-segment.h"
#include "cohort-test-cli.h"
#include "cohort-test-customers.h"
#include "cohort-workspace.h"

#define SITE_ID   "site-4242"
#define TRACK_KEY "trk-SECRET-7f3a9e"
#define APP_KEY   "app-SECRET-c0ffee"

typedef struct
{
  char       *dir;
  char       *ws;
  FakeServer *server;
  char       *url_env[2];
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("cohort-cli-sync-XXXXXX", NULL);
  f->ws = g_build_filename (f->dir, "w.cohort", NULL);
  f->server = fake_server_new (SITE_ID, TRACK_KEY, APP_KEY);
  f->url_env[0] = g_strdup_printf ("COHORT_TRACK_URL=%s", fake_server_get_url (f->server));
  f->url_env[1] = g_strdup_printf ("COHORT_APP_URL=%s", fake_server_get_url (f->server));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *violation = fake_server_dup_violation (f->server);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_assert_null (violation);
  fake_server_free (f->server);
  dir = g_dir_open (f->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_remove (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->ws);
  g_free (f->url_env[0]);
  g_free (f->url_env[1]);
}

/* Runs cohort with the server's URLs and keys (@app_key NULL: the right one). */
static void
run (Fixture            *f,
     CliResult          *r,
     const char         *app_key,
     const char * const *args)
{
  g_autofree char *app = g_strdup_printf ("COHORT_APP_API_KEY=%s", app_key ? app_key : APP_KEY);
  const char *env[] = {
    "COHORT_SITE_ID=" SITE_ID,
    "COHORT_TRACK_API_KEY=" TRACK_KEY,
    app,
    "COHORT_REGION=us",
    f->url_env[0],
    f->url_env[1],
    "COHORT_HTTP_TIMEOUT=3",
    /* No keyring in tests. */
    "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent",
    NULL
  };

  cli_run_env (r, f->ws, env, args);
  /* Keys are never printed. */
  g_assert_null (strstr (r->out, TRACK_KEY));
  g_assert_null (strstr (r->out, APP_KEY));
  g_assert_null (strstr (r->err, TRACK_KEY));
  g_assert_null (strstr (r->err, APP_KEY));
}

#define RUN(f, r, ...) run ((f), (r), NULL, (const char *[]) { __VA_ARGS__, NULL })

/* Two manual segments: Alpha (c0001–c0003) and Beta (c0002–c0006). */
static void
prepare (Fixture *f)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortSegment) alpha = NULL;
  g_autoptr(CohortSegment) beta = NULL;
  const gint64 a_members[] = { 1, 2, 3 };
  const gint64 b_members[] = { 2, 3, 4, 5, 6 };

  ws = cohort_workspace_open (f->ws, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  g_assert_true (cohort_workspace_begin (ws, &error));
  for (guint i = 1; i <= 6; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%04u", i);
      test_put_customer (ws, i, id, NULL, NULL);
      fake_server_add_person (f->server, id, NULL);
    }
  g_assert_true (cohort_workspace_commit (ws, &error));
  alpha = cohort_segments_create (ws, "Alpha", COHORT_SEGMENT_MANUAL, "", &error);
  g_assert_no_error (error);
  beta = cohort_segments_create (ws, "Beta", COHORT_SEGMENT_MANUAL, "", &error);
  g_assert_no_error (error);
  cohort_members_add_ordinals (ws, cohort_segment_get_id (alpha), a_members, 3, NULL, &error);
  g_assert_no_error (error);
  cohort_members_add_ordinals (ws, cohort_segment_get_id (beta), b_members, 5, NULL, &error);
  g_assert_no_error (error);
}

static void
assert_remote (Fixture    *f,
               const char *name,
               const char *members)
{
  g_autoptr(GArray) ids = fake_server_find_segments (f->server, name);
  g_auto(GStrv) have = NULL;
  g_autofree char *joined = NULL;

  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpuint (fake_server_get_n_creates (f->server, name), ==, 1);
  have = fake_server_dup_members (f->server, g_array_index (ids, gint64, 0));
  joined = g_strjoinv (",", have);
  g_assert_cmpstr (joined, ==, members);
}

static void
test_usage (Fixture       *f,
            gconstpointer  data)
{
  g_auto(CliResult) r = { 0 };

  prepare (f);
  RUN (f, &r, "sync", "--pull-only", "--push-only");
  g_assert_cmpint (r.status, ==, 2);
  cli_result_clear (&r);

  RUN (f, &r, "sync", "extra");
  g_assert_cmpint (r.status, ==, 2);
  cli_result_clear (&r);

  RUN (f, &r, "remote", "frobnicate");
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpuint (fake_server_get_n_requests (f->server), ==, 0);
}

static void
test_no_credentials (Fixture       *f,
                     gconstpointer  data)
{
  g_auto(CliResult) r = { 0 };
  const char *env[] = { "COHORT_SITE_ID=", "COHORT_TRACK_API_KEY=", "COHORT_APP_API_KEY=",
                        "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent", NULL };

  prepare (f);
  /* No keys anywhere and no keyring: a message, not a crash. */
  cli_run_env (&r, f->ws, env, (const char *[]) { "sync", NULL });
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "COHORT_SITE_ID"));
  cli_result_clear (&r);

  /* Plain http is for this computer only. */
  {
    const char *env2[] = { "COHORT_SITE_ID=s", "COHORT_TRACK_API_KEY=t", "COHORT_APP_API_KEY=a",
                           "COHORT_APP_URL=http://api.example.com", NULL };
    cli_run_env (&r, f->ws, env2, (const char *[]) { "sync", NULL });
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "https://"));
    cli_result_clear (&r);
  }
  {
    const char *env3[] = { "COHORT_SITE_ID=s", "COHORT_TRACK_API_KEY=t", "COHORT_APP_API_KEY=a",
                           "COHORT_REGION=mars", NULL };
    cli_run_env (&r, f->ws, env3, (const char *[]) { "sync", NULL });
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "mars"));
  }
}

static void
test_dry_run_then_sync (Fixture       *f,
                        gconstpointer  data)
{
  g_auto(CliResult) r = { 0 };
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;
  guint writes;

  prepare (f);
  RUN (f, &r, "sync", "--dry-run");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==,
                   "pull the list of Customer.io segments and their counts\n"
                   "create “Alpha”\nadd 3 to “Alpha”\ncreate “Beta”\nadd 5 to “Beta”\n");
  g_assert_cmpuint (fake_server_get_n_requests (f->server), ==, 0);
  cli_result_clear (&r);

  RUN (f, &r, "sync", "--dry-run", "--json", "--push-only");
  g_assert_cmpint (r.status, ==, 0);
  root = cli_json (&r);
  obj = json_node_get_object (root);
  g_assert_true (json_object_get_boolean_member (obj, "dry_run"));
  g_assert_cmpint (json_object_get_int_member (obj, "requests"), ==, 4);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj, "actions")), ==, 4);
  g_clear_pointer (&root, json_node_unref);
  cli_result_clear (&r);

  RUN (f, &r, "sync", "--json");
  g_assert_cmpint (r.status, ==, 0);
  root = cli_json (&r);
  obj = json_node_get_object (root);
  g_assert_true (json_object_get_boolean_member (obj, "ok"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj, "segments")), ==, 2);
  g_clear_pointer (&root, json_node_unref);
  cli_result_clear (&r);
  assert_remote (f, "Alpha", "c0001,c0002,c0003");
  assert_remote (f, "Beta", "c0002,c0003,c0004,c0005,c0006");

  /* Again: nothing to write. */
  writes = fake_server_get_n_writes (f->server);
  RUN (f, &r, "sync");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (fake_server_get_n_writes (f->server), ==, writes);
  g_assert_nonnull (strstr (r.err, "up to date"));
  cli_result_clear (&r);

  RUN (f, &r, "sync", "--dry-run");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "pull the list of Customer.io segments and their counts\n");
  cli_result_clear (&r);

  /* Remote segments, with their counts. */
  fake_server_add_segment (f->server, "Made there", "dynamic", (const char *[]) { "c0001", NULL });
  {
    gint64 manual = fake_server_add_segment (f->server, "Manual there", "manual",
                                             (const char *[]) { "c0001", "c0002", NULL });
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, manual);

    RUN (f, &r, "remote", "members", id);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "2 members fetched\n");
    cli_result_clear (&r);
    fake_server_delete_segment (f->server, manual);
  }
  RUN (f, &r, "remote", "segments", "--json");
  g_assert_cmpint (r.status, ==, 0);
  root = cli_json (&r);
  {
    JsonArray *list = json_object_get_array_member (json_node_get_object (root), "segments");
    JsonObject *first;

    g_assert_cmpuint (json_array_get_length (list), ==, 3);
    first = json_array_get_object_element (list, 0);
    g_assert_cmpstr (json_object_get_string_member (first, "name"), ==, "Alpha");
    g_assert_cmpstr (json_object_get_string_member (first, "type"), ==, "manual");
    g_assert_cmpint (json_object_get_int_member (first, "count"), ==, 3);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 2), "type"),
                     ==, "dynamic");
  }
  cli_result_clear (&r);

  RUN (f, &r, "remote", "segments");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Made there"));
}

static void
test_failures (Fixture       *f,
               gconstpointer  data)
{
  g_auto(CliResult) r = { 0 };
  g_autofree char *contents = NULL;
  gsize len = 0;

  prepare (f);

  /* A wrong App key: stop, name the key. */
  run (f, &r, "wrong-key", (const char *[]) { "sync", NULL });
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "App API key"));
  g_assert_cmpuint (fake_server_get_n_writes (f->server), ==, 0);
  cli_result_clear (&r);

  /* The create's answer is lost: no duplicate. The second segment's add is
   * refused: exit 1, and what succeeded stays. */
  fake_server_add_fault (f->server, "POST", "/v1/segments", FAKE_FAULT_DROP_APPLIED, 1);
  fake_server_add_fault (f->server, "POST", "/api/v1/segments/101/", FAKE_FAULT_401, 1);
  RUN (f, &r, "sync");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "Track API key"));
  assert_remote (f, "Alpha", "c0001,c0002,c0003");
  cli_result_clear (&r);

  RUN (f, &r, "sync");
  g_assert_cmpint (r.status, ==, 0);
  assert_remote (f, "Alpha", "c0001,c0002,c0003");
  assert_remote (f, "Beta", "c0002,c0003,c0004,c0005,c0006");
  cli_result_clear (&r);

  /* Deleted in Customer.io: reported, then relinked on request. */
  {
    g_autoptr(GArray) ids = fake_server_find_segments (f->server, "Alpha");
    fake_server_delete_segment (f->server, g_array_index (ids, gint64, 0));
  }
  RUN (f, &r, "sync");
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "deleted in Customer.io"));
  /* …with what to type next. */
  g_assert_nonnull (strstr (r.err, "cohort remote relink NAME|ID"));
  cli_result_clear (&r);
  RUN (f, &r, "remote", "relink", "Alpha");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  RUN (f, &r, "sync");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "created “Alpha”"));

  /* The keys are nowhere in the workspace. */
  g_assert_true (g_file_get_contents (f->ws, &contents, &len, NULL));
  for (gsize i = 0; i + strlen (APP_KEY) <= len; i++)
    g_assert_false (memcmp (contents + i, APP_KEY, strlen (APP_KEY)) == 0 ||
                    memcmp (contents + i, TRACK_KEY, strlen (TRACK_KEY)) == 0);
}

/* Fixture setup for one kill: a fresh workspace and server. */
static void
kill_once (guint k,
           guint n_requests)
{
  Fixture f = { 0 };
  g_auto(CliResult) r = { 0 };
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  g_autofree char *app_url = NULL;
  g_autofree char *track_url = NULL;
  GPid pid;
  int status;
  guint writes;

  g_test_message ("SIGKILL at request %u of %u", k, n_requests);
  fixture_setup (&f, NULL);
  prepare (&f);
  fake_server_fail_from (f.server, k, FAKE_FAULT_HANG);

  envp = g_environ_unsetenv (envp, "COHORT_WORKSPACE");
  envp = g_environ_setenv (envp, "COHORT_SITE_ID", SITE_ID, TRUE);
  envp = g_environ_setenv (envp, "COHORT_TRACK_API_KEY", TRACK_KEY, TRUE);
  envp = g_environ_setenv (envp, "COHORT_APP_API_KEY", APP_KEY, TRUE);
  envp = g_environ_setenv (envp, "COHORT_REGION", "us", TRUE);
  envp = g_environ_setenv (envp, "COHORT_TRACK_URL", fake_server_get_url (f.server), TRUE);
  envp = g_environ_setenv (envp, "COHORT_APP_URL", fake_server_get_url (f.server), TRUE);
  g_ptr_array_add (argv, (char *) g_getenv ("COHORT_BINARY"));
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, f.ws);
  g_ptr_array_add (argv, (char *) "sync");
  g_ptr_array_add (argv, NULL);
  g_spawn_async (NULL, (char **) argv->pdata, envp,
                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                 NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  /* The k-th request was applied and hangs: kill the process right there. */
  if (k < n_requests)
    g_assert_true (fake_server_wait_requests (f.server, k + 1, 20000));
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
  fake_server_clear_faults (f.server);

  RUN (&f, &r, "sync");
  g_assert_cmpint (r.status, ==, 0);
  assert_remote (&f, "Alpha", "c0001,c0002,c0003");
  assert_remote (&f, "Beta", "c0002,c0003,c0004,c0005,c0006");
  cli_result_clear (&r);

  writes = fake_server_get_n_writes (f.server);
  RUN (&f, &r, "sync");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (fake_server_get_n_writes (f.server), ==, writes);
  cli_result_clear (&r);
  fixture_teardown (&f, NULL);
}

static void
test_sigkill (void)
{
  guint n_requests;

  {
    Fixture f = { 0 };
    g_auto(CliResult) r = { 0 };

    fixture_setup (&f, NULL);
    prepare (&f);
    RUN (&f, &r, "sync");
    g_assert_cmpint (r.status, ==, 0);
    n_requests = fake_server_get_n_requests (f.server);
    fixture_teardown (&f, NULL);
  }
  g_assert_cmpuint (n_requests, >=, 7);
  for (guint k = 0; k < n_requests; k++)
    kill_once (k, n_requests);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/cli-sync/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("usage", test_usage);
  ADD ("no-credentials", test_no_credentials);
  ADD ("dry-run-then-sync", test_dry_run_then_sync);
  ADD ("failures", test_failures);
#undef ADD
  g_test_add_func ("/cli-sync/sigkill-at-every-request", test_sigkill);

  return g_test_run ();
}
