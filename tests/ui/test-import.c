/* test-import.c: importing customers through the import dialog
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-customers-view.h"
#include "cohort-import-dialog.h"
#include "cohort-ui-test.h"

#define IMPORT_CHILD(dialog, name) TEMPLATE_CHILD (dialog, COHORT_TYPE_IMPORT_DIALOG, name)

static const char good_and_bad[] =
  "id,email,plan,total_spent\n"
  "c1,one@example.com,pro,120\n"
  "c2,two@example.com,free,0\n"
  "c3,three@example.com,free,3.5\n"
  "c4,four@example.com,pro,99\n"
  "c5,too,many,fields,here\n"
  "c6,six@example.com,pro,7\n";

static CohortImportDialog *
open_dialog (UiFixture  *f,
             const char *contents)
{
  g_autofree char *path = g_build_filename (f->dir, "people.csv", NULL);
  CohortImportDialog *dialog;

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  dialog = cohort_import_dialog_new (GTK_WINDOW (f->window), cohort_window_get_workspace (f->window), path);
  gtk_window_present (GTK_WINDOW (dialog));
  ui_iterate ();

  return dialog;
}

static gboolean
finished (gpointer data)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (IMPORT_CHILD (data, "stack")), "summary") == 0;
}

static void
run_import (CohortImportDialog *dialog)
{
  g_assert_true (gtk_widget_is_sensitive (IMPORT_CHILD (dialog, "import_button")));
  ui_click (IMPORT_CHILD (dialog, "import_button"));
  g_assert_true (ui_wait_until (finished, dialog));
  ui_iterate ();
}

static void
test_import_good_rows (UiFixture     *f,
                       gconstpointer  data)
{
  CohortImportDialog *dialog = open_dialog (f, good_and_bad);
  GtkColumnView *preview = IMPORT_CHILD (dialog, "preview_view");
  CohortCustomersView *view = WINDOW_CHILD (f->window, "customers_view");

  /* The preview: the line numbers and the columns of the file, its good rows,
   * the id found by name. */
  g_assert_cmpuint (g_list_model_get_n_items (gtk_column_view_get_columns (preview)), ==, 5);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (preview))), ==, 5);
  g_assert_cmpuint (adw_combo_row_get_selected (IMPORT_CHILD (dialog, "id_row")), ==, 1);
  g_assert_cmpuint (adw_combo_row_get_selected (IMPORT_CHILD (dialog, "email_row")), ==, 2);

  run_import (dialog);
  g_assert_cmpstr (adw_status_page_get_title (IMPORT_CHILD (dialog, "summary_page")), ==, "Import Finished");
  /* The progress bar went all the way. */
  g_assert_cmpfloat_with_epsilon (gtk_progress_bar_get_fraction (IMPORT_CHILD (dialog, "progress_bar")), 1.0, 0.001);
  /* The bad row is listed. */
  g_assert_true (gtk_widget_get_visible (IMPORT_CHILD (dialog, "rejected_group")));

  /* The window shows the new customers. */
  g_assert_cmpstr (gtk_label_get_label (WINDOW_CHILD (f->window, "customers_count_label")), ==, "5");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cohort_customers_view_get_model (view))), ==, 5);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (WINDOW_CHILD (f->window, "content_stack"))), ==, "customers");

  gtk_widget_activate_action (GTK_WIDGET (dialog), "window.close", NULL);
  ui_iterate ();
  g_assert_null (ui_find_toplevel (COHORT_TYPE_IMPORT_DIALOG));
}

static void
test_import_all_or_nothing (UiFixture     *f,
                            gconstpointer  data)
{
  CohortImportDialog *dialog = open_dialog (f, good_and_bad);
  g_autoptr(GError) error = NULL;

  gtk_widget_activate (IMPORT_CHILD (dialog, "all_or_nothing_check"));
  run_import (dialog);

  g_assert_cmpstr (adw_status_page_get_title (IMPORT_CHILD (dialog, "summary_page")), ==, "Nothing Was Imported");
  g_assert_cmpint (cohort_customers_count (cohort_window_get_workspace (f->window), &error), ==, 0);
  g_assert_no_error (error);
}

static void
test_import_needs_identity (UiFixture     *f,
                            gconstpointer  data)
{
  CohortImportDialog *dialog = open_dialog (f, "name,plan\nAda,pro\nGrace,free\n");

  /* Neither id nor email: Import waits for a choice. */
  g_assert_false (gtk_widget_is_sensitive (IMPORT_CHILD (dialog, "import_button")));

  /* Choosing "name" as the id makes it possible. */
  adw_combo_row_set_selected (IMPORT_CHILD (dialog, "id_row"), 1);
  ui_iterate ();
  g_assert_true (gtk_widget_is_sensitive (IMPORT_CHILD (dialog, "import_button")));

  run_import (dialog);
  g_assert_cmpstr (adw_status_page_get_title (IMPORT_CHILD (dialog, "summary_page")), ==, "Import Finished");
  g_assert_cmpint (cohort_customers_count (cohort_window_get_workspace (f->window), NULL), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  ui_init (&argc, &argv);

  g_test_add ("/ui/import/good-rows", UiFixture, NULL,
              ui_fixture_set_up, test_import_good_rows, ui_fixture_tear_down);
  g_test_add ("/ui/import/all-or-nothing", UiFixture, NULL,
              ui_fixture_set_up, test_import_all_or_nothing, ui_fixture_tear_down);
  g_test_add ("/ui/import/needs-identity", UiFixture, NULL,
              ui_fixture_set_up, test_import_needs_identity, ui_fixture_tear_down);

  return g_test_run ();
}
