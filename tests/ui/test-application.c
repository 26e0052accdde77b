/* test-application.c: the application object: --workspace, actions,
 * shortcuts, About
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-application.h"
#include "cohort-ui-test.h"

typedef struct
{
  CohortApplication *app;
  const char *path;
  gboolean expect_open;
  gboolean checked;
} AppTest;

static void
accel_is (GtkApplication *app,
          const char     *action,
          const char     *accel)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (app, action);

  g_assert_nonnull (accels);
  g_assert_true (g_strv_contains ((const char * const *) accels, accel));
}

static gboolean
check_and_quit_cb (gpointer data)
{
  AppTest *t = data;
  GtkApplication *app = GTK_APPLICATION (t->app);
  GtkWindow *window = gtk_application_get_active_window (app);
  CohortWorkspace *workspace;

  g_assert_true (COHORT_IS_WINDOW (window));
  workspace = cohort_window_get_workspace (COHORT_WINDOW (window));

  if (t->expect_open)
    {
      g_assert_nonnull (workspace);
      g_assert_cmpstr (cohort_workspace_get_path (workspace), ==, t->path);

      /* Shortcuts, the shortcuts window and About. */
      accel_is (app, "win.create-segment", "<Control>n");
      accel_is (app, "win.search", "<Control>f");
      accel_is (app, "win.refresh", "F5");
      accel_is (app, "app.quit", "<Control>q");
      accel_is (app, "win.show-help-overlay", "<Control>question");
      g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));

      g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
      ui_iterate ();
      g_assert_nonnull (ui_find_toplevel (ADW_TYPE_ABOUT_WINDOW));
    }
  else
    {
      /* A dialog explains; the window offers to open or make another. */
      g_assert_null (workspace);
      g_assert_nonnull (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
      g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (WINDOW_CHILD (window, "status_stack"))),
                       ==, "no-workspace");
      g_assert_false (gtk_widget_is_sensitive (WINDOW_CHILD (window, "status_create_button")));
    }

  t->checked = TRUE;
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);

  return G_SOURCE_REMOVE;
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 AppTest        *t)
{
  if (COHORT_IS_WINDOW (window))
    g_timeout_add (200, check_and_quit_cb, t);
}

static void
run_app (AppTest *t)
{
  char *argv[] = { (char *) "cohort", (char *) "--workspace", (char *) t->path, NULL };
  int status;

  t->app = cohort_application_new ();
  /* Tests run side by side: do not find each other on the bus. */
  g_application_set_flags (G_APPLICATION (t->app),
                           G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE);
  g_signal_connect (t->app, "window-added", G_CALLBACK (window_added_cb), t);

  status = g_application_run (G_APPLICATION (t->app), G_N_ELEMENTS (argv) - 1, argv);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (t->checked);
  g_assert_finalize_object (t->app);
}

static void
test_workspace_option (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cohort-app-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "from-option.cohort", NULL);
  AppTest t = { .path = path, .expect_open = TRUE };

  run_app (&t);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  ui_remove_tree (dir);
}

static void
test_workspace_option_bad_file (void)
{
  static const char png[] = "\x89PNG\r\n\x1a\n not really a picture";
  g_autofree char *dir = g_dir_make_tmp ("cohort-app-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "picture.cohort", NULL);
  g_autofree char *after = NULL;
  AppTest t = { .path = path, .expect_open = FALSE };

  g_assert_true (g_file_set_contents (path, png, sizeof png - 1, NULL));

  /* No crash: a dialog, and the file as it was. */
  run_app (&t);
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, png);

  ui_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  ui_init (&argc, &argv);

  g_test_add_func ("/ui/application/workspace-option", test_workspace_option);
  g_test_add_func ("/ui/application/workspace-option-bad-file", test_workspace_option_bad_file);

  return g_test_run ();
}
