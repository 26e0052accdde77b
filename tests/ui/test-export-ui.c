/* test-export-ui.c: Export Members… of a segment
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-criteria.h"
#include "cohort-export-dialog.h"
#include "cohort-importer.h"
#include "cohort-members.h"
#include "cohort-segment-page.h"
#include "cohort-segment.h"
#include "cohort-ui-test.h"

static void
import_customers (UiFixture *f)
{
  g_autofree char *path = g_build_filename (f->dir, "customers.csv", NULL);
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path,
                                      "id,email,plan,note\n"
                                      "c1,one@example.com,pro,=1+1\n"
                                      "c2,two@example.com,free,\"a,b\"\n"
                                      "c3,three@example.com,pro,\n"
                                      "c4,four@example.com,free,@home\n",
                                      -1, NULL));
  importer = cohort_importer_new (path);
  g_assert_true (cohort_importer_run (importer, cohort_window_get_workspace (f->window), NULL, &error));
  g_assert_no_error (error);
  ui_iterate ();
}

static gboolean
dialog_gone (gpointer data)
{
  return ui_find_toplevel (COHORT_TYPE_EXPORT_DIALOG) == NULL;
}

static GtkWidget *
find_action_button (GtkWidget  *widget,
                    const char *action)
{
  if (GTK_IS_BUTTON (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_action_button (child, action);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
collect_checks (GtkWidget *widget,
                GPtrArray *checks)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_CHECK_BUTTON (child))
        g_ptr_array_add (checks, child);
      else
        collect_checks (child, checks);
    }
}

static gboolean
not_busy (gpointer dialog)
{
  return !cohort_export_dialog_get_busy (dialog);
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  return contents;
}

static void
test_export_data_driven (UiFixture     *f,
                         gconstpointer  data)
{
  CohortWorkspace *ws = cohort_window_get_workspace (f->window);
  g_autoptr(CohortSegment) segment = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "pro.csv", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *contents = NULL;
  g_auto(GStrv) chosen = NULL;
  CohortSegmentPage *page;
  CohortExportDialog *dialog;
  GtkWidget *button;

  import_customers (f);
  segment = ui_create (f, "Pro", COHORT_SEGMENT_DATA_DRIVEN);
  g_assert_true (cohort_segments_set_criteria (ws, cohort_segment_get_id (segment),
                                               "{\"attribute\":{\"field\":\"plan\",\"operator\":\"eq\",\"value\":\"pro\"}}",
                                               &error));
  g_assert_no_error (error);
  ui_iterate ();
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (cohort_window_get_segments (f->window)),
                                     (guint) ui_find_in_list (f, "Pro"));
  ui_iterate ();

  /* The page's button opens the dialog. */
  page = WINDOW_CHILD (f->window, "segment_page");
  button = find_action_button (GTK_WIDGET (page), "segment.export-members");
  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "E_xport Members…");
  ui_click (button);
  dialog = ui_find_toplevel (COHORT_TYPE_EXPORT_DIALOG);
  g_assert_nonnull (dialog);

  /* Each check is named as its row says. */
  {
    g_autoptr(GPtrArray) checks = g_ptr_array_new ();
    g_auto(GStrv) titles = NULL;
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

    collect_checks (GTK_WIDGET (dialog), checks);
    for (guint i = 0; i < checks->len; i++)
      {
        GtkWidget *row = gtk_widget_get_ancestor (g_ptr_array_index (checks, i), ADW_TYPE_ACTION_ROW);
        const char *title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));

        gtk_test_accessible_assert_property (g_ptr_array_index (checks, i), GTK_ACCESSIBLE_PROPERTY_LABEL, title);
        g_strv_builder_add (builder, title);
      }
    titles = g_strv_builder_end (builder);
    g_assert_cmpstrv (titles, ((const char *[]) { "note", "plan", NULL }));
  }

  /* The workspace's attributes, none chosen at first. */
  chosen = cohort_export_dialog_get_chosen (dialog);
  g_assert_cmpuint (g_strv_length (chosen), ==, 0);
  g_clear_pointer (&chosen, g_strfreev);
  g_assert_true (cohort_export_dialog_set_attribute_chosen (dialog, "note", TRUE));
  g_assert_false (cohort_export_dialog_set_attribute_chosen (dialog, "nope", TRUE));
  chosen = cohort_export_dialog_get_chosen (dialog);
  g_assert_cmpstrv (chosen, ((const char *[]) { "note", NULL }));

  /* As if the file was chosen: written in a thread, then the dialog closes. */
  cohort_export_dialog_export_to_file (dialog, file);
  g_assert_true (cohort_export_dialog_get_busy (dialog));
  g_assert_true (ui_wait_until (dialog_gone, NULL));

  contents = read_file (path);
  g_assert_cmpstr (contents, ==,
                   "id,email,note\n"
                   "c1,one@example.com,'=1+1\n"
                   "c3,three@example.com,\n");
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

static void
test_export_manual (UiFixture     *f,
                    gconstpointer  data)
{
  CohortWorkspace *ws = cohort_window_get_workspace (f->window);
  g_autoptr(CohortSegment) segment = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  CohortMembersResult result = { 0 };
  g_autofree char *path = g_build_filename (f->dir, "picked.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *contents = NULL;
  CohortExportDialog *dialog;

  import_customers (f);
  segment = ui_create (f, "Picked", COHORT_SEGMENT_MANUAL);
  ids = cohort_members_parse_identifiers ("c2, four@example.com");
  g_assert_true (cohort_members_add (ws, cohort_segment_get_id (segment), ids, &result, &error));
  g_assert_no_error (error);
  cohort_members_result_clear (&result);

  /* An existing file is replaced. */
  g_assert_true (g_file_set_contents (path, "old", -1, NULL));

  dialog = cohort_export_dialog_new (GTK_WINDOW (f->window), ws, segment, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  ui_iterate ();
  g_assert_true (cohort_export_dialog_set_attribute_chosen (dialog, "plan", TRUE));
  g_assert_true (cohort_export_dialog_set_attribute_chosen (dialog, "note", TRUE));
  cohort_export_dialog_export_to_file (dialog, file);
  g_assert_true (ui_wait_until (dialog_gone, NULL));

  /* Columns in the order listed (by name). */
  contents = read_file (path);
  g_assert_cmpstr (contents, ==,
                   "id,email,note,plan\n"
                   "c2,two@example.com,\"a,b\",free\n"
                   "c4,four@example.com,'@home,free\n");
}

static void
test_export_error (UiFixture     *f,
                   gconstpointer  data)
{
  CohortWorkspace *ws = cohort_window_get_workspace (f->window);
  g_autoptr(CohortSegment) segment = NULL;
  g_autofree char *path = g_build_filename (f->dir, "no-such-folder", "x.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  CohortExportDialog *dialog;

  import_customers (f);
  segment = ui_create (f, "Empty", COHORT_SEGMENT_MANUAL);
  dialog = cohort_export_dialog_new (GTK_WINDOW (f->window), ws, segment, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  ui_iterate ();

  /* A folder that is not there: said in a message, the dialog stays. */
  cohort_export_dialog_export_to_file (dialog, file);
  g_assert_true (ui_wait_until (not_busy, dialog));
  g_assert_nonnull (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_true (ui_find_toplevel (COHORT_TYPE_EXPORT_DIALOG) == dialog);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_export_cancel (UiFixture     *f,
                    gconstpointer  data)
{
  CohortWorkspace *ws = cohort_window_get_workspace (f->window);
  g_autoptr(CohortSegment) segment = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(GString) csv = g_string_new ("id,email,plan\n");
  g_autofree char *input = g_build_filename (f->dir, "many.csv", NULL);
  g_autofree char *path = g_build_filename (f->dir, "all.csv", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  CohortExportDialog *dialog;

  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (csv, "u%u,u%u@example.com,%s\n", i, i, i % 2 ? "pro" : "free");
  g_assert_true (g_file_set_contents (input, csv->str, (gssize) csv->len, NULL));
  importer = cohort_importer_new (input);
  g_assert_true (cohort_importer_run (importer, ws, NULL, &error));
  g_assert_no_error (error);
  segment = ui_create (f, "Everyone", COHORT_SEGMENT_DATA_DRIVEN);
  g_assert_true (cohort_segments_set_criteria (ws, cohort_segment_get_id (segment),
                                               "{\"attribute\":{\"field\":\"plan\",\"operator\":\"exists\"}}",
                                               &error));
  g_assert_no_error (error);

  dialog = cohort_export_dialog_new (GTK_WINDOW (f->window), ws, segment, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
  ui_iterate ();

  /* Cancel while it writes: the dialog comes back to the columns, and no
   * partial file is left behind. (Had the thread already finished, the
   * file is complete and the dialog gone: held here, so that asking it
   * whether it is busy stays valid.) */
  g_object_ref (dialog);
  cohort_export_dialog_export_to_file (dialog, file);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (TEMPLATE_CHILD (dialog, COHORT_TYPE_EXPORT_DIALOG, "stack")), ==, "progress");
  g_signal_emit_by_name (TEMPLATE_CHILD (dialog, COHORT_TYPE_EXPORT_DIALOG, "cancel_button"), "clicked");
  g_assert_true (ui_wait_until (not_busy, dialog));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  if (ui_find_toplevel (COHORT_TYPE_EXPORT_DIALOG) != NULL)
    {
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      g_assert_cmpstr (gtk_stack_get_visible_child_name (TEMPLATE_CHILD (dialog, COHORT_TYPE_EXPORT_DIALOG, "stack")), ==, "columns");
      g_assert_null (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));

      g_test_message ("cancelled before the end");
      /* Again, to the end this time. */
      cohort_export_dialog_export_to_file (dialog, file);
      g_assert_true (ui_wait_until (dialog_gone, NULL));
    }
  g_object_unref (dialog);
  {
    g_autofree char *contents = read_file (path);
    g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 20002);
  }
}

int
main (int   argc,
      char *argv[])
{
  ui_init (&argc, &argv);

  g_test_add ("/ui/export/data-driven", UiFixture, NULL,
              ui_fixture_set_up, test_export_data_driven, ui_fixture_tear_down);
  g_test_add ("/ui/export/manual", UiFixture, NULL,
              ui_fixture_set_up, test_export_manual, ui_fixture_tear_down);
  g_test_add ("/ui/export/cancel", UiFixture, NULL,
              ui_fixture_set_up, test_export_cancel, ui_fixture_tear_down);
  g_test_add ("/ui/export/error", UiFixture, NULL,
              ui_fixture_set_up, test_export_error, ui_fixture_tear_down);

  return g_test_run ();
}
