/* test-shared-workspace.c: the window and the command line on one workspace
 *
 * The case of issue 9: with the window open, `cohort` commands run on the
 * same file; then a segment is saved in the window. Another program (a
 * separate process with its own SQLite connection) must see it, the window
 * must not hold a deleted WAL/SHM (which happens when this process loses
 * SQLite's POSIX locks, e.g. by opening and closing the database file
 * itself, and a command then believes it is the last user, checkpoints and
 * unlinks the WAL), and the save must survive the window being killed.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-members-panel.h"
#include "cohort-member-model.h"
#include "cohort-segment-page.h"
#include "cohort-ui-members.h"
#include "cohort-ui-test.h"
#include "../cohort-test-cli.h"
#include "../cohort-test-proc.h"

#define SAVED_NAME "Saved in the window"
#define PATH_ENV   "COHORT_TEST_SHARED_WORKSPACE"

static gboolean
listed (gpointer data)
{
  gpointer *args = data;

  return ui_find_in_list (args[0], args[1]) >= 0;
}

/* Waits about @ms while the window's idle work and worker threads run. */
static void
ui_run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;
  guint wake = g_timeout_add (10, ui_wake_cb, NULL);

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (wake);
}

static gint64
cli_id (CliResult *r)
{
  g_assert_cmpint (r->status, ==, 0);
  return g_ascii_strtoll (r->out, NULL, 10);
}

/* The command line works on the file while the window shows it; the
 * window's worker threads open their own connections meanwhile. */
static void
command_line_beside_window (UiFixture *f)
{
  g_autoptr(GString) csv = g_string_new ("id,email,plan\n");
  g_autofree char *csv_path = g_build_filename (f->dir, "people.csv", NULL);
  g_auto(CliResult) r = { 0 };
  gpointer args[2] = { f, (gpointer) "VIP" };
  gint64 vip;

  for (guint i = 0; i < 200; i++)
    g_string_append_printf (csv, "p%03u,p%u@example.com,%c\n", i, i, "AB"[i % 2]);
  g_assert_true (g_file_set_contents (csv_path, csv->str, (gssize) csv->len, NULL));

  cli_run (&r, f->path, "import", "customers", csv_path);
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->path, "segments", "create", "VIP", "--manual");
  vip = cli_id (&r);
  cli_result_clear (&r);
  cli_run (&r, f->path, "segments", "add", "VIP", "p001", "p002", "p003");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->path, "segments", "create", "Plan B", "--criteria",
           "{\"attribute\": {\"field\": \"plan\", \"operator\": \"eq\", \"value\": \"B\"}}");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);

  /* The window sees them and shows one: its worker threads read it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.refresh", NULL));
  g_assert_true (ui_wait_until (listed, args));
  g_assert_true (cohort_window_select_segment (f->window, vip));
  ui_wait_members (f, 3);
  ui_run_for (300);

  /* More commands, reading only, while the window is open. */
  cli_run (&r, f->path, "segments", "count", "VIP");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "3\n");
  cli_result_clear (&r);
  cli_run (&r, f->path, "segments", "count", "Plan B");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "100\n");
  cli_result_clear (&r);
  cli_run (&r, f->path, "segments", "list");
  g_assert_cmpint (r.status, ==, 0);
  cli_result_clear (&r);
  cli_run (&r, f->path, "customers", "count");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "200\n");
  ui_run_for (200);
}

/* Save Changes in the New Segment dialog, as a user would. */
static void
save_in_window (UiFixture *f)
{
  CohortSegmentDialog *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.create-segment", NULL));
  ui_iterate ();
  dialog = ui_find_toplevel (COHORT_TYPE_SEGMENT_DIALOG);
  g_assert_nonnull (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  gtk_widget_activate (DIALOG_CHILD (dialog, "manual_check"));
  ui_iterate ();
  gtk_editable_set_text (GTK_EDITABLE (DIALOG_CHILD (dialog, "name_row")), SAVED_NAME);
  ui_iterate ();
  ui_click (DIALOG_CHILD (dialog, "save_button"));
  g_assert_null (dialog);
  g_assert_cmpint (ui_find_in_list (f, SAVED_NAME), >=, 0);
}

/* What another program sees, from a separate process. */
static void
assert_seen_by_another_process (const char *path)
{
  g_autofree char *count = proc_sql_in_child (path, "SELECT count(*) FROM segments WHERE name = '" SAVED_NAME "'");
  g_autofree char *check = proc_sql_in_child (path, "PRAGMA integrity_check");
  g_auto(CliResult) r = { 0 };

  g_assert_cmpstr (count, ==, "1\n");
  g_assert_cmpstr (check, ==, "ok\n");
  cli_run (&r, path, "segments", "show", SAVED_NAME);
  g_assert_cmpint (r.status, ==, 0);
}

static void
test_save_after_command_line (UiFixture     *f,
                              gconstpointer  data)
{
  command_line_beside_window (f);
  proc_assert_no_deleted_wal ("after the command line ran beside the window");

  save_in_window (f);
  proc_assert_no_deleted_wal ("after saving in the window");
  assert_seen_by_another_process (f->path);

  /* And the command line writes again: the window sees that too. */
  {
    g_auto(CliResult) r = { 0 };
    gpointer args[2] = { f, (gpointer) "After the save" };

    cli_run (&r, f->path, "segments", "create", "After the save", "--manual");
    g_assert_cmpint (r.status, ==, 0);
    gtk_widget_activate_action (GTK_WIDGET (f->window), "win.refresh", NULL);
    g_assert_true (ui_wait_until (listed, args));
    proc_assert_no_deleted_wal ("after another command");
  }
}

/* Run in a subprocess: the same, then the window is killed (SIGKILL), so
 * nothing it holds in memory or in a WAL it alone sees survives. */
static void
test_killed_window_child (void)
{
  UiFixture f = { 0 };
  const char *path = g_getenv (PATH_ENV);

  if (!g_test_subprocess ())
    {
      g_test_skip ("only run by /ui/shared-workspace/killed-window");
      return;
    }
  g_assert_nonnull (path);
  f.path = g_strdup (path);
  f.dir = g_path_get_dirname (path);
  f.window = cohort_window_new (NULL);
  g_assert_true (cohort_window_open_workspace (f.window, f.path, TRUE));
  gtk_window_present (GTK_WINDOW (f.window));
  ui_iterate ();

  command_line_beside_window (&f);
  save_in_window (&f);
  ui_run_for (100);
  g_print ("saved in the window\n");
  fflush (stdout);
  kill (getpid (), SIGKILL);
  g_assert_not_reached ();
}

static void
test_killed_window (void)
{
  const char *path = g_getenv (PATH_ENV);
  g_autofree char *dir = g_path_get_dirname (path);

  g_test_trap_subprocess ("/ui/shared-workspace/killed-window/child", 120 * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  /* Killed after it said the segment was saved. */
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout ("*saved in the window*");

  assert_seen_by_another_process (path);
  {
    g_auto(CliResult) r = { 0 };

    cli_run (&r, path, "segments", "count", "VIP");
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "3\n");
  }
  ui_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  int helper = proc_sql_helper_main (argc, argv);
  g_autofree char *self = NULL;
  g_autofree char *self_dir = NULL;
  g_autofree char *cohort = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  gboolean subprocess = FALSE;
  int rc;

  if (helper >= 0)
    return helper;

  /* The environment is set before GTK starts threads. The command line
   * next to the window is the one of this build; the killed window's
   * workspace is made by the parent and named to the subprocess. */
  self = g_file_read_link ("/proc/self/exe", NULL);
  g_assert_nonnull (self);
  self_dir = g_path_get_dirname (self);
  cohort = g_build_filename (self_dir, "..", "..", "src", "cohort", NULL);
  g_setenv ("COHORT_BINARY", cohort, FALSE);
  /* No GL: Mesa's software driver, loaded and unloaded by GTK's probe,
   * leaks a block LeakSanitizer cannot attribute (an unloaded module). */
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  for (int i = 1; i < argc; i++)
    subprocess |= g_str_has_prefix (argv[i], "--GTestSubprocess");
  if (!subprocess)
    {
      dir = g_dir_make_tmp ("cohort-ui-killed-XXXXXX", NULL);
      path = g_build_filename (dir, "shared.cohort", NULL);
      g_setenv (PATH_ENV, path, TRUE);
    }

  ui_init (&argc, &argv);
  g_test_add ("/ui/shared-workspace/save-after-command-line", UiFixture, NULL,
              ui_fixture_set_up, test_save_after_command_line, ui_fixture_tear_down);
  g_test_add_func ("/ui/shared-workspace/killed-window", test_killed_window);
  g_test_add_func ("/ui/shared-workspace/killed-window/child", test_killed_window_child);

  rc = g_test_run ();
  if (dir != NULL)
    ui_remove_tree (dir);
  return rc;
}
