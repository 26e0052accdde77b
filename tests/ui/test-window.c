/* test-window.c: the main window: list, empty state, search, delete and
 * undo, workspaces
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-ui-test.h"

static const char *
visible_page (UiFixture  *f,
              const char *stack)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (WINDOW_CHILD (f->window, stack)));
}

static void
test_empty_state (UiFixture     *f,
                  gconstpointer  data)
{
  g_autoptr(CohortSegment) segment = NULL;
  GtkWidget *button;

  /* A new workspace: the status page with a Create Segment button. */
  g_assert_cmpstr (visible_page (f, "main_stack"), ==, "status");
  g_assert_cmpstr (visible_page (f, "status_stack"), ==, "empty");
  g_assert_true (gtk_widget_get_mapped (WINDOW_CHILD (f->window, "empty_page")));
  button = WINDOW_CHILD (f->window, "empty_create_button");
  g_assert_true (gtk_widget_get_mapped (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "win.create-segment");

  /* The button opens the dialog. */
  ui_click (button);
  g_assert_nonnull (ui_find_toplevel (COHORT_TYPE_SEGMENT_DIALOG));
  gtk_window_destroy (ui_find_toplevel (COHORT_TYPE_SEGMENT_DIALOG));
  ui_iterate ();

  /* The first segment replaces the status page with the list. */
  segment = ui_create (f, "First", COHORT_SEGMENT_MANUAL);
  g_assert_cmpstr (visible_page (f, "main_stack"), ==, "segments");
  g_assert_cmpint (ui_find_in_list (f, "First"), ==, 0);
}

static void
test_list_sorted (UiFixture     *f,
                  gconstpointer  data)
{
  const char *names[] = { "delta", "Alpha", "charlie", "Bravo" };
  const char *sorted[] = { "Alpha", "Bravo", "charlie", "delta" };
  GListModel *model = cohort_window_get_segments (f->window);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    ui_add (f, names[i], i % 2 ? COHORT_SEGMENT_MANUAL : COHORT_SEGMENT_DATA_DRIVEN);

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, G_N_ELEMENTS (sorted));
  for (guint i = 0; i < G_N_ELEMENTS (sorted); i++)
    {
      g_autoptr(CohortSegment) segment = g_list_model_get_item (model, i);
      g_assert_cmpstr (cohort_segment_get_name (segment), ==, sorted[i]);
    }

  /* Something is selected and shown. */
  g_assert_cmpint (cohort_window_get_selected_id (f->window), >, 0);
  g_assert_cmpstr (visible_page (f, "content_stack"), ==, "segment");
}

static void
test_search (UiFixture     *f,
             gconstpointer  data)
{
  const char *names[] = { "Alpha", "alphabet soup", "Beta" };
  GListModel *model = cohort_window_get_segments (f->window);
  GtkWidget *entry = WINDOW_CHILD (f->window, "search_entry");
  gpointer args[2] = { model, NULL };
  GtkWidget *focus;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    ui_add (f, names[i], COHORT_SEGMENT_MANUAL);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL));
  ui_iterate ();
  g_assert_true (gtk_search_bar_get_search_mode (GTK_SEARCH_BAR (WINDOW_CHILD (f->window, "search_bar"))));
  focus = gtk_root_get_focus (GTK_ROOT (f->window));
  g_assert_true (focus == entry || gtk_widget_is_ancestor (focus, entry));

  /* Case-insensitive, by name. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "ALPH");
  args[1] = GUINT_TO_POINTER (2);
  g_assert_true (ui_wait_until (n_items_is, args));
  g_assert_cmpint (ui_find_in_list (f, "Beta"), ==, -1);

  gtk_editable_set_text (GTK_EDITABLE (entry), "nothing like it");
  args[1] = GUINT_TO_POINTER (0);
  g_assert_true (ui_wait_until (n_items_is, args));
  g_assert_cmpstr (visible_page (f, "sidebar_stack"), ==, "no-results");

  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  args[1] = GUINT_TO_POINTER (3);
  g_assert_true (ui_wait_until (n_items_is, args));
  g_assert_cmpstr (visible_page (f, "sidebar_stack"), ==, "list");
}

static AdwMessageDialog *
ask_delete (UiFixture     *f,
            CohortSegment *segment)
{
  AdwMessageDialog *dialog;

  g_assert_true (cohort_window_select_segment (f->window, cohort_segment_get_id (segment)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.delete-segment", NULL));
  ui_iterate ();

  dialog = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (adw_message_dialog_has_response (dialog, "delete"));
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "delete"), ==, ADW_RESPONSE_DESTRUCTIVE);
  /* Enter must not delete. */
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");

  return dialog;
}

static void
test_delete_undo (UiFixture     *f,
                  gconstpointer  data)
{
  g_autoptr(CohortSegment) keep = ui_create (f, "Keep", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegment) doomed = ui_create (f, "Doomed", COHORT_SEGMENT_DATA_DRIVEN);
  g_autoptr(CohortWorkspace) ws = ui_open_again (f);
  g_autoptr(CohortSegment) restored = NULL;
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;

  /* Cancel keeps it. */
  dialog = ask_delete (f, doomed);
  ui_respond (dialog, "cancel");
  g_assert_null (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpint (ui_find_in_list (f, "Doomed"), >=, 0);

  /* Delete removes it from the list and the file. */
  dialog = ask_delete (f, doomed);
  ui_respond (dialog, "delete");
  g_assert_cmpint (ui_find_in_list (f, "Doomed"), ==, -1);
  g_assert_cmpint (ui_find_in_list (f, "Keep"), >=, 0);
  g_assert_null (cohort_segments_lookup (ws, "Doomed", &error));
  g_assert_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Undo (the toast's button) puts it back, with the same id, selected. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.undo-delete", "x",
                                             cohort_segment_get_id (doomed)));
  ui_iterate ();
  g_assert_cmpint (ui_find_in_list (f, "Doomed"), >=, 0);
  g_assert_cmpint (cohort_window_get_selected_id (f->window), ==, cohort_segment_get_id (doomed));
  restored = cohort_segments_lookup (ws, "Doomed", &error);
  g_assert_no_error (error);
  g_assert_cmpint (cohort_segment_get_id (restored), ==, cohort_segment_get_id (doomed));
  g_assert_cmpint (cohort_segment_get_kind (restored), ==, COHORT_SEGMENT_DATA_DRIVEN);

  /* Only once. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.undo-delete", "x", cohort_segment_get_id (doomed));
  ui_iterate ();
  g_assert_cmpuint (g_list_model_get_n_items (cohort_window_get_segments (f->window)), ==, 2);

  /* Deleting the last segment shows the empty state again; the older
   * toast's Undo no longer applies. */
  ui_respond (ask_delete (f, keep), "delete");
  ui_respond (ask_delete (f, doomed), "delete");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.undo-delete", "x", cohort_segment_get_id (keep));
  ui_iterate ();
  g_assert_cmpint (ui_find_in_list (f, "Keep"), ==, -1);
  g_assert_cmpstr (visible_page (f, "main_stack"), ==, "status");
  g_assert_cmpstr (visible_page (f, "status_stack"), ==, "empty");
}

static void
test_toggle_active_duplicate (UiFixture     *f,
                              gconstpointer  data)
{
  g_autoptr(CohortSegment) segment = ui_create (f, "Weekly", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortWorkspace) ws = ui_open_again (f);
  g_autoptr(CohortSegment) stored = NULL;
  g_autoptr(CohortSegment) copy = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_window_select_segment (f->window, cohort_segment_get_id (segment)));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.toggle-active", NULL);
  ui_iterate ();
  stored = cohort_segments_get (ws, cohort_segment_get_id (segment), &error);
  g_assert_no_error (error);
  g_assert_false (cohort_segment_get_active (stored));
  /* Still selected after the reload. */
  g_assert_cmpint (cohort_window_get_selected_id (f->window), ==, cohort_segment_get_id (segment));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.toggle-active", NULL);
  ui_iterate ();
  g_clear_object (&stored);
  stored = cohort_segments_get (ws, cohort_segment_get_id (segment), &error);
  g_assert_true (cohort_segment_get_active (stored));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.duplicate-segment", NULL);
  ui_iterate ();
  g_assert_cmpuint (g_list_model_get_n_items (cohort_window_get_segments (f->window)), ==, 2);
  copy = cohort_segments_get (ws, cohort_window_get_selected_id (f->window), &error);
  g_assert_no_error (error);
  g_assert_cmpint (cohort_segment_get_id (copy), !=, cohort_segment_get_id (segment));
  g_assert_true (g_str_has_prefix (cohort_segment_get_name (copy), "Weekly"));
}

static void
test_external_changes (UiFixture     *f,
                       gconstpointer  data)
{
  g_autoptr(CohortWorkspace) ws = ui_open_again (f);
  g_autoptr(CohortSegment) outside = NULL;
  g_autoptr(GError) error = NULL;

  /* As if `cohort segments create` ran while the window is open. */
  outside = cohort_segments_create (ws, "From the command line", COHORT_SEGMENT_MANUAL, "", &error);
  g_assert_no_error (error);
  ui_iterate ();

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.refresh", NULL));
  ui_iterate ();
  g_assert_cmpint (ui_find_in_list (f, "From the command line"), >=, 0);

  g_assert_true (cohort_segments_delete (ws, cohort_segment_get_id (outside), NULL, &error));
  g_assert_no_error (error);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.refresh", NULL);
  ui_iterate ();
  g_assert_cmpint (ui_find_in_list (f, "From the command line"), ==, -1);
  g_assert_cmpstr (visible_page (f, "main_stack"), ==, "status");
}

static void
check_refused (UiFixture    *f,
               const char   *name,
               const guint8 *bytes,
               gsize         len)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autofree char *after = NULL;
  CohortWorkspace *before = cohort_window_get_workspace (f->window);
  AdwMessageDialog *dialog;
  gsize after_len = 0;

  g_assert_true (g_file_set_contents (path, (const char *) bytes, (gssize) len, NULL));

  g_assert_false (cohort_window_open_workspace (f->window, path, FALSE));
  ui_iterate ();

  /* A dialog says why; the open workspace stays; the file is untouched. */
  dialog = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), !=, "");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), !=, "");
  gtk_window_destroy (GTK_WINDOW (dialog));
  ui_iterate ();

  g_assert_true (cohort_window_get_workspace (f->window) == before);
  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  g_assert_cmpmem (after, after_len, bytes, len);
}

static void
test_open_errors (UiFixture     *f,
                  gconstpointer  data)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0 };
  static const guint8 truncated[] = "SQLite format 3\0\x10\0\x01\x01\0\x40\x20\x20";
  g_autofree char *missing = g_build_filename (f->dir, "missing.cohort", NULL);
  g_autofree char *newer = g_build_filename (f->dir, "newer.cohort", NULL);
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;

  check_refused (f, "picture.cohort", png, sizeof png);
  check_refused (f, "truncated.cohort", truncated, sizeof truncated);

  /* Made by a newer Cohort. */
  ws = cohort_workspace_open (newer, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  sql = g_strdup_printf ("PRAGMA user_version = %d", COHORT_WORKSPACE_SCHEMA_VERSION + 1);
  g_assert_true (cohort_workspace_exec (ws, sql, &error));
  g_clear_object (&ws);
  g_assert_false (cohort_window_open_workspace (f->window, newer, FALSE));
  ui_iterate ();
  g_assert_nonnull (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  gtk_window_destroy (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  ui_iterate ();

  /* A missing file is not created unless asked to. */
  g_assert_false (cohort_window_open_workspace (f->window, missing, FALSE));
  ui_iterate ();
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_assert_true (g_str_equal (cohort_workspace_get_path (cohort_window_get_workspace (f->window)), f->path));
}

static void
test_switch_workspace (UiFixture     *f,
                       gconstpointer  data)
{
  g_autoptr(CohortSegment) segment = ui_create (f, "Only here", COHORT_SEGMENT_MANUAL);
  g_autofree char *other = g_build_filename (f->dir, "other.cohort", NULL);

  g_assert_true (cohort_window_open_workspace (f->window, other, TRUE));
  ui_iterate ();
  g_assert_cmpstr (cohort_workspace_get_path (cohort_window_get_workspace (f->window)), ==, other);
  g_assert_cmpint (ui_find_in_list (f, "Only here"), ==, -1);
  g_assert_cmpstr (visible_page (f, "main_stack"), ==, "status");

  g_assert_true (cohort_window_open_workspace (f->window, f->path, FALSE));
  ui_iterate ();
  g_assert_cmpint (ui_find_in_list (f, "Only here"), ==, 0);
}

static void
assert_named_like_tooltip (GtkWidget *button)
{
  const char *tooltip = gtk_widget_get_tooltip_text (button);

  g_assert_nonnull (tooltip);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip);
}

static void
test_accessible (UiFixture     *f,
                 gconstpointer  data)
{
  const char *icon_buttons[] = {
    "create_button", "menu_button", "search_button", "back_button",
    "status_create_button", "status_menu_button",
  };
  g_autoptr(CohortSegment) segment = ui_create (f, "Named", COHORT_SEGMENT_MANUAL);

  /* Icon-only buttons: a tooltip and the same accessible name. */
  for (guint i = 0; i < G_N_ELEMENTS (icon_buttons); i++)
    {
      g_test_message ("%s", icon_buttons[i]);
      assert_named_like_tooltip (WINDOW_CHILD (f->window, icon_buttons[i]));
    }

  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (WINDOW_CHILD (f->window, "create_button")),
                                   GTK_ACCESSIBLE_ROLE_BUTTON);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (WINDOW_CHILD (f->window, "search_entry")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Search segments");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (WINDOW_CHILD (f->window, "segment_list")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Segments");
}

static void
test_window_size_kept (void)
{
  g_autoptr(GSettings) settings = g_settings_new ("org.cohortapp.Cohort");
  CohortWindow *window;
  int width, height;

  /* What was saved is used for the next window... */
  g_settings_set_int (settings, "window-width", 777);
  g_settings_set_int (settings, "window-height", 555);
  window = cohort_window_new (NULL);
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 777);
  g_assert_cmpint (height, ==, 555);

  /* ...and a new size is saved. */
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 480);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 640);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 480);

  g_object_ref (window);
  gtk_window_destroy (GTK_WINDOW (window));
  ui_iterate ();
  g_assert_finalize_object (window);
}

int
main (int   argc,
      char *argv[])
{
  ui_init (&argc, &argv);

  g_test_add ("/ui/window/empty-state", UiFixture, NULL,
              ui_fixture_set_up, test_empty_state, ui_fixture_tear_down);
  g_test_add ("/ui/window/list-sorted", UiFixture, NULL,
              ui_fixture_set_up, test_list_sorted, ui_fixture_tear_down);
  g_test_add ("/ui/window/search", UiFixture, NULL,
              ui_fixture_set_up, test_search, ui_fixture_tear_down);
  g_test_add ("/ui/window/delete-undo", UiFixture, NULL,
              ui_fixture_set_up, test_delete_undo, ui_fixture_tear_down);
  g_test_add ("/ui/window/toggle-active-duplicate", UiFixture, NULL,
              ui_fixture_set_up, test_toggle_active_duplicate, ui_fixture_tear_down);
  g_test_add ("/ui/window/external-changes", UiFixture, NULL,
              ui_fixture_set_up, test_external_changes, ui_fixture_tear_down);
  g_test_add ("/ui/window/open-errors", UiFixture, NULL,
              ui_fixture_set_up, test_open_errors, ui_fixture_tear_down);
  g_test_add ("/ui/window/switch-workspace", UiFixture, NULL,
              ui_fixture_set_up, test_switch_workspace, ui_fixture_tear_down);
  g_test_add ("/ui/window/accessible", UiFixture, NULL,
              ui_fixture_set_up, test_accessible, ui_fixture_tear_down);
  g_test_add_func ("/ui/window/window-size-kept", test_window_size_kept);

  return g_test_run ();
}
