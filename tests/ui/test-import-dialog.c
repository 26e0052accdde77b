/* test-import-dialog.c: Import Events through the dialog: the preview with
 * the detected delimiter, changing it, the import with its progress bar, the
 * skipped rows with their line, Cancel and Import Nothing leaving the
 * workspace as it was
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-customers.h"
#include "cohort-event-import-dialog.h"
#include "cohort-events.h"
#include "cohort-ui-test.h"

#define EVENTS_CHILD(w, name) TEMPLATE_CHILD (w, COHORT_TYPE_EVENT_IMPORT_DIALOG, name)

/* Semicolons, one bad row (line 4: a field too many). */
static const char events_csv[] =
  "customer_id;event;timestamp;plan\n"
  "c1;signup;2025-01-01T10:00:00Z;pro\n"
  "c2;signup;2025-01-02T11:00:00Z;free\n"
  "c3;signup;2025-01-03T12:00:00Z;free;extra\n"
  "c1;purchase;2025-01-04T13:00:00Z;pro\n";

static char *
write_file (UiFixture  *f,
            const char *name,
            const char *text,
            gssize      len)
{
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, len, NULL));
  return path;
}

static gint64
count_events (UiFixture *f)
{
  g_autoptr(CohortWorkspace) ws = ui_open_again (f);
  g_autoptr(GError) error = NULL;
  gint64 n = cohort_events_count (ws, &error);

  g_assert_no_error (error);
  return n;
}

static gint64
count_customers (UiFixture *f)
{
  g_autoptr(CohortWorkspace) ws = ui_open_again (f);
  g_autoptr(GError) error = NULL;
  gint64 n = cohort_customers_count (ws, &error);

  g_assert_no_error (error);
  return n;
}

static gboolean
not_running (gpointer data)
{
  return !cohort_event_import_dialog_get_busy (data);
}

static void
wait_finished (CohortEventImportDialog *dialog)
{
  for (guint i = 0; i < 15 && cohort_event_import_dialog_get_busy (dialog); i++)
    ui_wait_until (not_running, dialog);
  g_assert_false (cohort_event_import_dialog_get_busy (dialog));
  g_assert_cmpstr (cohort_event_import_dialog_get_page (dialog), ==, "summary");
}

static void
collect_titles (GtkWidget *widget,
                GString   *out)
{
  if (ADW_IS_ACTION_ROW (widget) && gtk_widget_get_visible (widget))
    {
      g_string_append_printf (out, "%s|%s\n",
                              adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)),
                              adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)) ?: "");
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_titles (child, out);
}

static char *
rows_of (gpointer widget)
{
  GString *out = g_string_new (NULL);

  collect_titles (widget, out);
  return g_string_free (out, FALSE);
}

static CohortEventImportDialog *
open_dialog (UiFixture  *f,
             const char *path)
{
  CohortEventImportDialog *dialog;

  dialog = cohort_event_import_dialog_new (GTK_WINDOW (f->window), cohort_window_get_workspace (f->window), path);
  gtk_window_present (GTK_WINDOW (dialog));
  ui_iterate ();
  return dialog;
}

static guint
n_preview_columns (CohortEventImportDialog *dialog)
{
  return g_list_model_get_n_items (gtk_column_view_get_columns (EVENTS_CHILD (dialog, "preview_view")));
}

static guint
n_preview_rows (CohortEventImportDialog *dialog)
{
  return g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (EVENTS_CHILD (dialog, "preview_view"))));
}

static void
test_import_events (UiFixture     *f,
                    gconstpointer  data)
{
  g_autofree char *path = write_file (f, "events.csv", events_csv, -1);
  CohortEventImportDialog *dialog = open_dialog (f, path);
  AdwComboRow *delimiter_row = EVENTS_CHILD (dialog, "delimiter_row");
  GtkLabel *note = EVENTS_CHILD (dialog, "preview_note");
  g_autofree char *counts = NULL;
  g_autofree char *skipped = NULL;

  /* The preview: line + 4 columns, the 3 good rows, the detected delimiter,
   * and the bad row with its line. */
  g_assert_cmpstr (cohort_event_import_dialog_get_page (dialog), ==, "setup");
  g_assert_cmpuint (n_preview_columns (dialog), ==, 5);
  g_assert_cmpuint (n_preview_rows (dialog), ==, 3);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (delimiter_row)), ==, "Detected: semicolon");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (note)));
  g_assert_nonnull (strstr (gtk_label_get_label (note), "Line 4"));
  g_assert_false (gtk_widget_get_visible (EVENTS_CHILD (dialog, "error_label")));
  g_assert_true (gtk_window_get_default_widget (GTK_WINDOW (dialog)) == EVENTS_CHILD (dialog, "import_button"));
  ui_screenshot ("events-setup");

  /* Comma instead: one column per line; the preview follows. */
  adw_combo_row_set_selected (delimiter_row, 1);
  ui_iterate ();
  g_assert_cmpuint (n_preview_columns (dialog), ==, 2);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (delimiter_row)) ?: "", ==, "");
  /* Back to detection. */
  adw_combo_row_set_selected (delimiter_row, 0);
  ui_iterate ();
  g_assert_cmpuint (n_preview_columns (dialog), ==, 5);

  /* The customer column by hand. */
  adw_combo_row_set_selected (EVENTS_CHILD (dialog, "customer_row"), 1);
  g_assert_cmpstr (gtk_string_list_get_string (EVENTS_CHILD (dialog, "customer_columns"), 1), ==, "customer_id");

  ui_click (EVENTS_CHILD (dialog, "import_button"));
  wait_finished (dialog);

  /* The bar ended full, and the summary says what happened. */
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (EVENTS_CHILD (dialog, "progress_bar")), ==, 1.0);
  g_assert_cmpstr (adw_status_page_get_title (EVENTS_CHILD (dialog, "summary_page")), ==, "Import Complete");
  counts = rows_of (EVENTS_CHILD (dialog, "counts_group"));
  g_test_message ("%s", counts);
  g_assert_nonnull (strstr (counts, "Events imported"));
  skipped = rows_of (EVENTS_CHILD (dialog, "rejected_group"));
  g_test_message ("%s", skipped);
  g_assert_true (gtk_widget_get_visible (EVENTS_CHILD (dialog, "rejected_group")));
  g_assert_nonnull (strstr (skipped, "Line 4"));
  ui_screenshot ("events-summary");

  /* In the workspace, as another program sees it. */
  g_assert_cmpint (count_events (f), ==, 3);
  g_assert_cmpint (count_customers (f), ==, 2);

  /* Close is the way out now. */
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "window.close", NULL);
  ui_iterate ();
  g_assert_null (dialog);
}

static void
test_all_or_nothing (UiFixture     *f,
                     gconstpointer  data)
{
  g_autofree char *path = write_file (f, "events.csv", events_csv, -1);
  CohortEventImportDialog *dialog = open_dialog (f, path);

  gtk_check_button_set_active (EVENTS_CHILD (dialog, "all_or_nothing_check"), TRUE);
  ui_click (EVENTS_CHILD (dialog, "import_button"));
  wait_finished (dialog);

  g_assert_cmpstr (adw_status_page_get_title (EVENTS_CHILD (dialog, "summary_page")), ==, "Nothing Imported");
  g_assert_true (gtk_widget_get_visible (EVENTS_CHILD (dialog, "rejected_group")));
  g_assert_cmpint (count_events (f), ==, 0);
  g_assert_cmpint (count_customers (f), ==, 0);
}

static void
test_cancel (UiFixture     *f,
             gconstpointer  data)
{
  g_autoptr(GString) csv = g_string_new ("customer_id,event,timestamp,amount\n");
  g_autofree char *path = NULL;
  CohortEventImportDialog *dialog;

  /* Enough rows that the import is still running when cancelled. */
  for (guint i = 0; i < 300000; i++)
    g_string_append_printf (csv, "c%u,purchase,%u,%u\n", i % 5000, 1700000000 + i, i % 997);
  path = write_file (f, "big.csv", csv->str, (gssize) csv->len);

  dialog = open_dialog (f, path);
  ui_click (EVENTS_CHILD (dialog, "import_button"));
  g_assert_true (cohort_event_import_dialog_get_busy (dialog));
  g_assert_cmpstr (cohort_event_import_dialog_get_page (dialog), ==, "progress");
  ui_screenshot ("events-progress");

  /* Escape cancels; the dialog stays to say that nothing changed. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "window.close", NULL);
  wait_finished (dialog);

  /* Taking a screenshot gives the import time to end first: then the
   * dialog must say so, and tell the truth either way. */
  if (g_getenv ("COHORT_UI_SCREENSHOTS") != NULL &&
      g_strcmp0 (adw_status_page_get_title (EVENTS_CHILD (dialog, "summary_page")), "Import Complete") == 0)
    {
      g_assert_cmpint (count_events (f), ==, 300000);
      return;
    }

  g_assert_cmpstr (adw_status_page_get_title (EVENTS_CHILD (dialog, "summary_page")), ==, "Import Cancelled");
  g_assert_nonnull (strstr (adw_status_page_get_description (EVENTS_CHILD (dialog, "summary_page")),
                            "exactly as it was"));
  ui_screenshot ("events-cancelled");

  g_assert_cmpint (count_events (f), ==, 0);
  g_assert_cmpint (count_customers (f), ==, 0);
}

static void
test_errors (UiFixture     *f,
             gconstpointer  data)
{
  g_autofree char *empty = write_file (f, "empty.csv", "", 0);
  g_autofree char *duplicate = write_file (f, "dup.csv", "id,event,id\n1,a,2\n", -1);
  g_autofree char *missing = g_build_filename (f->dir, "missing.csv", NULL);
  const char *paths[] = { empty, duplicate, missing };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      CohortEventImportDialog *dialog = open_dialog (f, paths[i]);
      GtkLabel *label = EVENTS_CHILD (dialog, "error_label");
      g_autofree char *base = g_path_get_basename (paths[i]);

      /* Said clearly, naming the file; no import possible. */
      g_assert_true (gtk_widget_get_visible (GTK_WIDGET (label)));
      g_test_message ("%s", gtk_label_get_label (label));
      g_assert_nonnull (strstr (gtk_label_get_label (label), base));
      g_assert_false (gtk_widget_is_sensitive (EVENTS_CHILD (dialog, "import_button")));
      if (i == 1)
        ui_screenshot ("events-error");
      gtk_window_destroy (GTK_WINDOW (dialog));
      ui_iterate ();
    }
}

static void
test_accessible (UiFixture     *f,
                 gconstpointer  data)
{
  g_autofree char *path = write_file (f, "events.csv", events_csv, -1);
  CohortEventImportDialog *dialog = open_dialog (f, path);

  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (EVENTS_CHILD (dialog, "delimiter_row")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Delimiter");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (EVENTS_CHILD (dialog, "customer_row")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Customer Column");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (EVENTS_CHILD (dialog, "all_or_nothing_check")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Import Nothing");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (EVENTS_CHILD (dialog, "import_button")),
                                   GTK_ACCESSIBLE_ROLE_BUTTON);
}

int
main (int    argc,
      char **argv)
{
  ui_init (&argc, &argv);

  g_test_add ("/ui/import-dialog/events", UiFixture, NULL,
              ui_fixture_set_up, test_import_events, ui_fixture_tear_down);
  g_test_add ("/ui/import-dialog/all-or-nothing", UiFixture, NULL,
              ui_fixture_set_up, test_all_or_nothing, ui_fixture_tear_down);
  g_test_add ("/ui/import-dialog/cancel", UiFixture, NULL,
              ui_fixture_set_up, test_cancel, ui_fixture_tear_down);
  g_test_add ("/ui/import-dialog/errors", UiFixture, NULL,
              ui_fixture_set_up, test_errors, ui_fixture_tear_down);
  g_test_add ("/ui/import-dialog/accessible", UiFixture, NULL,
              ui_fixture_set_up, test_accessible, ui_fixture_tear_down);

  return g_test_run ();
}
