/* cohort-event-import-dialog.c: import customer events from a CSV file
 *
 * Shows the first rows as read (with the detected encoding and delimiter,
 * both changeable), the customer column and what to do with bad rows; the
 * import runs in a thread with its own connection to the workspace, with a
 * progress bar and Cancel, and ends with a summary whose skipped rows can
 * be saved as CSV. One import is one transaction: cancelled or failed,
 * nothing changes.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-event-importer.h"
#include "cohort-events.h"
#include "cohort-event-import-dialog.h"
#include "cohort-import-common.h"
#include "cohort-importer.h"

#define PREVIEW_ROWS 50
#define SHOWN_REJECTIONS 200
#define SHOWN_PREVIEW_PROBLEMS 5

/* In the order of the combo rows' models. */
static const CohortCsvEncoding encodings[] = {
  COHORT_CSV_ENCODING_AUTO, COHORT_CSV_ENCODING_UTF8, COHORT_CSV_ENCODING_UTF16LE,
  COHORT_CSV_ENCODING_UTF16BE, COHORT_CSV_ENCODING_WINDOWS_1252,
};
static const char delimiters[] = { 0, ',', ';', '\t', '|' };

struct _CohortEventImportDialog
{
  AdwWindow parent_instance;

  CohortWorkspace *workspace;
  char *path;
  CohortImportPreview *preview;
  CohortEventImporter *importer;   /* the one that ran */
  GCancellable *cancellable;
  GPtrArray *rows;                 /* summary rows: (group, row) pairs */
  gint64 started;
  gint64 events_before;            /* -1: unknown */
  gboolean running;

  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkButton *cancel_button;
  GtkButton *import_button;
  GtkStack *stack;
  GtkLabel *error_label;
  AdwComboRow *encoding_row;
  AdwComboRow *delimiter_row;
  AdwComboRow *customer_row;
  GtkStringList *customer_columns;
  GtkSwitch *create_switch;
  GtkCheckButton *good_rows_check;
  GtkCheckButton *all_or_nothing_check;
  AdwPreferencesGroup *preview_group;
  GtkColumnView *preview_view;
  GtkLabel *preview_note;
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  AdwStatusPage *summary_page;
  AdwPreferencesGroup *counts_group;
  AdwPreferencesGroup *rejected_group;
};

G_DEFINE_FINAL_TYPE (CohortEventImportDialog, cohort_event_import_dialog, ADW_TYPE_WINDOW)

static gboolean
is_gone (CohortEventImportDialog *self)
{
  return self->stack == NULL;
}

static void
show_page (CohortEventImportDialog *self,
           const char              *name)
{
  gboolean setup = g_strcmp0 (name, "setup") == 0;
  gboolean summary = g_strcmp0 (name, "summary") == 0;

  gtk_stack_set_visible_child_name (self->stack, name);
  gtk_widget_set_visible (GTK_WIDGET (self->import_button), setup);
  gtk_button_set_label (self->cancel_button, summary ? _("_Close") : _("_Cancel"));
  cohort_a11y_tidy_button (self->cancel_button);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->cancel_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  summary ? _("Close") : _("Cancel"), -1);
  gtk_window_set_default_widget (GTK_WINDOW (self),
                                 setup ? GTK_WIDGET (self->import_button)
                                       : summary ? GTK_WIDGET (self->cancel_button) : NULL);
}

/* The preview table */

static void
clear_preview (CohortEventImportDialog *self)
{
  cohort_preview_table_show (self->preview_view, NULL, TRUE);
  g_clear_pointer (&self->preview, cohort_import_preview_free);
}

static void
show_setup_error (CohortEventImportDialog *self,
                  const char              *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.start", message == NULL);
}

static void
fill_customer_columns (CohortEventImportDialog *self)
{
  g_autofree char *chosen = NULL;
  guint selected = adw_combo_row_get_selected (self->customer_row);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->customer_columns));
  const char *first[] = { _("Detect Automatically"), NULL };

  /* Keep the choice when the column is still there. */
  if (selected != GTK_INVALID_LIST_POSITION && selected > 0 && selected < n)
    chosen = g_strdup (gtk_string_list_get_string (self->customer_columns, selected));

  gtk_string_list_splice (self->customer_columns, 0, n, first);
  if (self->preview != NULL)
    gtk_string_list_splice (self->customer_columns, 1, 0, (const char * const *) self->preview->header);

  adw_combo_row_set_selected (self->customer_row, 0);
  for (guint i = 0; chosen != NULL && self->preview != NULL && i < self->preview->n_columns; i++)
    if (g_strcmp0 (self->preview->header[i], chosen) == 0)
      adw_combo_row_set_selected (self->customer_row, i + 1);
}

static void
refresh_preview (CohortEventImportDialog *self)
{
  g_autoptr(CohortImporter) reader = cohort_importer_new (self->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  guint encoding = adw_combo_row_get_selected (self->encoding_row);
  guint delimiter = adw_combo_row_get_selected (self->delimiter_row);
  CohortImportPreview *preview;

  /* Only reading: the records as they are in the file, nothing written. */
  cohort_importer_set_encoding (reader, encoding < G_N_ELEMENTS (encodings)
                                        ? encodings[encoding] : COHORT_CSV_ENCODING_AUTO);
  cohort_importer_set_delimiter (reader, delimiter < G_N_ELEMENTS (delimiters) ? delimiters[delimiter] : 0);
  preview = cohort_importer_preview (reader, PREVIEW_ROWS, NULL, &error);

  clear_preview (self);
  self->preview = preview;
  fill_customer_columns (self);
  gtk_widget_set_visible (GTK_WIDGET (self->preview_group), preview != NULL);

  if (preview == NULL)
    {
      /* The message names the file and, for a bad header, what is wrong. */
      show_setup_error (self, error->message);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->encoding_row), NULL);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->delimiter_row), NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->preview_note), FALSE);
      return;
    }

  show_setup_error (self, NULL);

  if (encoding == 0)
    {
      /* Translators: %s is an encoding name such as UTF-8 */
      g_autofree char *text = g_strdup_printf (_("Detected: %s"), cohort_csv_encoding_to_string (preview->encoding));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->encoding_row), text);
    }
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->encoding_row), NULL);
  if (delimiter == 0)
    {
      /* Translators: %s is a delimiter in words, such as “comma” */
      g_autofree char *text = g_strdup_printf (_("Detected: %s"), cohort_csv_delimiter_describe (preview->delimiter));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->delimiter_row), text);
    }
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->delimiter_row), NULL);

  cohort_preview_table_show (self->preview_view, preview, TRUE);

  for (guint i = 0; i < preview->rejected->len && i < SHOWN_PREVIEW_PROBLEMS; i++)
    {
      CohortImportRejection *r = &g_array_index (preview->rejected, CohortImportRejection, i);

      if (problems->len > 0)
        g_string_append_c (problems, '\n');
      /* Translators: a bad row in the preview: line number, then the reason */
      g_string_append_printf (problems, _("Line %" PRIu64 ": %s"), r->line, r->reason);
    }
  gtk_label_set_label (self->preview_note, problems->str);
  gtk_widget_set_visible (GTK_WIDGET (self->preview_note), problems->len > 0);
}

static void
format_changed_cb (CohortEventImportDialog *self)
{
  if (self->path != NULL && !self->running)
    refresh_preview (self);
}

/* The summary */

static void
clear_rows (CohortEventImportDialog *self)
{
  for (guint i = 0; i + 1 < self->rows->len; i += 2)
    adw_preferences_group_remove (g_ptr_array_index (self->rows, i), g_ptr_array_index (self->rows, i + 1));
  g_ptr_array_set_size (self->rows, 0);
}

static void
add_row (CohortEventImportDialog *self,
         AdwPreferencesGroup     *group,
         const char              *title,
         const char              *subtitle,
         const char              *suffix)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  if (subtitle != NULL)
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle, -1);
    }
  if (suffix != NULL)
    {
      GtkWidget *label = gtk_label_new (suffix);

      gtk_widget_add_css_class (label, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, suffix, -1);
    }

  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, group);
  g_ptr_array_add (self->rows, row);
}

static void
add_count (CohortEventImportDialog *self,
           const char              *title,
           guint64                  count)
{
  char text[32];

  g_snprintf (text, sizeof text, "%" PRIu64, count);
  add_row (self, self->counts_group, title, NULL, text);
}

static void
fill_rejected (CohortEventImportDialog *self)
{
  GArray *rejected = cohort_event_importer_get_rejected (self->importer);
  guint64 n_rejected = cohort_event_importer_get_n_rejected (self->importer);

  for (guint i = 0; i < rejected->len && i < SHOWN_REJECTIONS; i++)
    {
      CohortImportRejection *r = &g_array_index (rejected, CohortImportRejection, i);
      g_autofree char *title = NULL;

      if (r->column > 0)
        /* Translators: where a skipped row went wrong (the column counts bytes) */
        title = g_strdup_printf (_("Line %" PRIu64 ", column %u"), r->line, r->column);
      else
        title = g_strdup_printf (_("Line %" PRIu64), r->line);
      add_row (self, self->rejected_group, title, r->reason, NULL);
    }
  if (n_rejected > SHOWN_REJECTIONS)
    {
      g_autofree char *title = g_strdup_printf (_("And %" PRIu64 " more"), n_rejected - SHOWN_REJECTIONS);

      add_row (self, self->rejected_group, title, _("Save the skipped rows as CSV to see them all"), NULL);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->rejected_group), rejected->len > 0);
}

static void
show_summary (CohortEventImportDialog *self,
              gboolean                 ok,
              const GError            *error)
{
  guint64 n_rejected = cohort_event_importer_get_n_rejected (self->importer);
  g_autofree char *description = NULL;

  clear_rows (self);
  gtk_widget_set_visible (GTK_WIDGET (self->counts_group), ok);
  gtk_widget_set_visible (GTK_WIDGET (self->rejected_group), FALSE);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      adw_status_page_set_icon_name (self->summary_page, "process-stop-symbolic");
      adw_status_page_set_title (self->summary_page, _("Import Cancelled"));
      description = g_strdup (_("Nothing was imported: the workspace is exactly as it was."));
    }
  else if (g_error_matches (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_REJECTED))
    {
      adw_status_page_set_icon_name (self->summary_page, "dialog-warning-symbolic");
      adw_status_page_set_title (self->summary_page, _("Nothing Imported"));
      description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                  "%" PRIu64 " row is bad, so nothing was imported, as you asked.",
                                                  "%" PRIu64 " rows are bad, so nothing was imported, as you asked.",
                                                  n_rejected),
                                     n_rejected);
      fill_rejected (self);
    }
  else if (!ok)
    {
      adw_status_page_set_icon_name (self->summary_page, "dialog-error-symbolic");
      adw_status_page_set_title (self->summary_page, _("Import Failed"));
      /* The message says where: the file, and the line when there is one. */
      description = g_strdup_printf (_("%s. Nothing was changed."), error->message);
    }
  else
    {
      guint64 imported = cohort_event_importer_get_imported (self->importer);

      adw_status_page_set_icon_name (self->summary_page, "emblem-ok-symbolic");
      adw_status_page_set_title (self->summary_page, _("Import Complete"));
      description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                  "%" PRIu64 " event imported.",
                                                  "%" PRIu64 " events imported.", imported),
                                     imported);
      add_count (self, _("Events imported"), imported);
      add_count (self, _("Already in the workspace, not imported twice"),
                 cohort_event_importer_get_duplicates (self->importer));
      add_count (self, _("Customers added"), cohort_event_importer_get_customers_created (self->importer));
      add_count (self, _("Rows skipped"), n_rejected);
      fill_rejected (self);
    }

  adw_status_page_set_description (self->summary_page, description);
  show_page (self, "summary");
}

/* The import */

static char *
format_time_left (gint64 seconds)
{
  if (seconds < 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d second left",
                                         "about %d seconds left", (int) seconds),
                            (int) MAX (seconds, 1));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d minute left",
                                       "about %d minutes left", (int) ((seconds + 59) / 60)),
                          (int) ((seconds + 59) / 60));
}

static void
progress_cb (guint64  rows,
             guint64  bytes,
             guint64  total,
             gpointer user_data)
{
  CohortEventImportDialog *self = user_data;
  g_autofree char *rows_text = NULL;
  g_autofree char *bytes_text = NULL;
  g_autofree char *total_text = NULL;
  g_autofree char *left = NULL;
  g_autofree char *text = NULL;
  gint64 elapsed = g_get_monotonic_time () - self->started;

  if (is_gone (self) || !self->running)
    return;

  rows_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" PRIu64 " row",
                                            "%" PRIu64 " rows", rows), rows);
  bytes_text = g_format_size (bytes);
  if (total > 0)
    {
      total_text = g_format_size (total);
      gtk_progress_bar_set_fraction (self->progress_bar, MIN (1.0, (double) bytes / total));
    }
  else
    gtk_progress_bar_pulse (self->progress_bar);

  /* A guess once there is something to go by. */
  if (total > 0 && bytes > 0 && bytes < total && elapsed > G_USEC_PER_SEC)
    left = format_time_left ((gint64) ((double) elapsed / G_USEC_PER_SEC * (double) (total - bytes) / bytes));

  if (total_text != NULL && left != NULL)
    /* Translators: “1,200 rows · 3.1 MB of 9.4 MB · about 4 seconds left” */
    text = g_strdup_printf (_("%s · %s of %s · %s"), rows_text, bytes_text, total_text, left);
  else if (total_text != NULL)
    text = g_strdup_printf (_("%s · %s of %s"), rows_text, bytes_text, total_text);
  else
    text = g_strdup_printf (_("%s · %s"), rows_text, bytes_text);
  gtk_label_set_label (self->progress_label, text);
}

static void
import_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CohortEventImportDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = cohort_event_importer_run_finish (COHORT_EVENT_IMPORTER (source), result, &error);
  self->running = FALSE;
  if (is_gone (self))
    return;

  /* Cancelled just after the import committed, GTask still reports the
   * cancellation: believe the workspace, not the error. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->events_before >= 0 &&
      cohort_events_count (self->workspace, NULL) != self->events_before)
    {
      g_debug ("The import committed before it was cancelled");
      g_clear_error (&error);
      ok = TRUE;
    }

  if (ok)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      /* The import wrote through its own connection: show it in the window. */
      cohort_workspace_check_external_changes (self->workspace);
    }
  show_summary (self, ok, error);
}

static void
start_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CohortEventImportDialog *self = COHORT_EVENT_IMPORT_DIALOG (widget);
  guint encoding = adw_combo_row_get_selected (self->encoding_row);
  guint delimiter = adw_combo_row_get_selected (self->delimiter_row);
  guint customer = adw_combo_row_get_selected (self->customer_row);

  if (self->running || self->preview == NULL)
    return;

  g_clear_object (&self->importer);
  self->importer = cohort_event_importer_new (self->path);
  cohort_event_importer_set_encoding (self->importer, encoding < G_N_ELEMENTS (encodings)
                                                      ? encodings[encoding] : COHORT_CSV_ENCODING_AUTO);
  cohort_event_importer_set_delimiter (self->importer,
                                       delimiter < G_N_ELEMENTS (delimiters) ? delimiters[delimiter] : 0);
  if (customer != GTK_INVALID_LIST_POSITION && customer > 0)
    cohort_event_importer_set_customer_column (self->importer,
                                               gtk_string_list_get_string (self->customer_columns, customer));
  cohort_event_importer_set_create_missing (self->importer, gtk_switch_get_active (self->create_switch));
  cohort_event_importer_set_all_or_nothing (self->importer,
                                            gtk_check_button_get_active (self->all_or_nothing_check));
  cohort_event_importer_set_progress_func (self->importer, progress_cb, self, NULL);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->running = TRUE;
  self->events_before = cohort_events_count (self->workspace, NULL);
  self->started = g_get_monotonic_time ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_label (self->progress_label, _("Starting…"));
  show_page (self, "progress");

  cohort_event_importer_run_async (self->importer, cohort_workspace_get_path (self->workspace),
                                   self->cancellable, import_done_cb, g_object_ref (self));
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CohortEventImportDialog *self = COHORT_EVENT_IMPORT_DIALOG (widget);

  if (self->running)
    {
      g_cancellable_cancel (self->cancellable);
      gtk_label_set_label (self->progress_label, _("Cancelling…"));
      return;
    }

  gtk_window_destroy (GTK_WINDOW (self));
}

/* Saving the skipped rows */

static void
save_rejected_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  CohortEventImportDialog *self = COHORT_EVENT_IMPORT_DIALOG (widget);

  if (self->importer == NULL)
    return;

  cohort_save_rejected_rows (GTK_WINDOW (self), self->toast_overlay, self->path,
                             cohort_event_importer_get_rejected (self->importer));
}

static gboolean
cohort_event_import_dialog_close_request (GtkWindow *window)
{
  CohortEventImportDialog *self = COHORT_EVENT_IMPORT_DIALOG (window);

  /* Escape while importing cancels, and the dialog stays to say so. */
  if (self->running)
    {
      cancel_activated (GTK_WIDGET (self), "import.cancel", NULL);
      return TRUE;
    }

  return GTK_WINDOW_CLASS (cohort_event_import_dialog_parent_class)->close_request (window);
}

static void
cohort_event_import_dialog_dispose (GObject *object)
{
  CohortEventImportDialog *self = COHORT_EVENT_IMPORT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->importer != NULL)
    cohort_event_importer_set_progress_func (self->importer, NULL, NULL, NULL);

  if (self->preview_view != NULL)
    clear_preview (self);
  if (self->rows != NULL)
    g_ptr_array_set_size (self->rows, 0);
  g_clear_pointer (&self->rows, g_ptr_array_unref);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_EVENT_IMPORT_DIALOG);

  G_OBJECT_CLASS (cohort_event_import_dialog_parent_class)->dispose (object);
}

static void
cohort_event_import_dialog_finalize (GObject *object)
{
  CohortEventImportDialog *self = COHORT_EVENT_IMPORT_DIALOG (object);

  g_clear_pointer (&self->preview, cohort_import_preview_free);
  g_clear_object (&self->importer);
  g_clear_object (&self->workspace);
  g_free (self->path);

  G_OBJECT_CLASS (cohort_event_import_dialog_parent_class)->finalize (object);
}

static void
cohort_event_import_dialog_class_init (CohortEventImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cohort_event_import_dialog_dispose;
  object_class->finalize = cohort_event_import_dialog_finalize;
  window_class->close_request = cohort_event_import_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-event-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, import_button);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, encoding_row);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, delimiter_row);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, customer_row);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, customer_columns);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, create_switch);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, good_rows_check);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, all_or_nothing_check);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, preview_group);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, preview_view);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, preview_note);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, summary_page);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, counts_group);
  gtk_widget_class_bind_template_child (widget_class, CohortEventImportDialog, rejected_group);
  gtk_widget_class_bind_template_callback (widget_class, format_changed_cb);

  gtk_widget_class_install_action (widget_class, "import.start", NULL, start_activated);
  gtk_widget_class_install_action (widget_class, "import.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "import.save-rejected", NULL, save_rejected_activated);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cohort_event_import_dialog_init (CohortEventImportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));

  self->rows = g_ptr_array_new ();
}

CohortEventImportDialog *
cohort_event_import_dialog_new (GtkWindow       *parent,
                                CohortWorkspace *workspace,
                                const char      *path)
{
  CohortEventImportDialog *self;
  g_autofree char *basename = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (COHORT_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (COHORT_TYPE_EVENT_IMPORT_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->workspace = g_object_ref (workspace);
  self->path = g_strdup (path);

  basename = g_filename_display_basename (path);
  adw_window_title_set_subtitle (self->window_title, basename);

  refresh_preview (self);
  show_page (self, "setup");

  return self;
}

const char *
cohort_event_import_dialog_get_page (CohortEventImportDialog *self)
{
  g_return_val_if_fail (COHORT_IS_EVENT_IMPORT_DIALOG (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

gboolean
cohort_event_import_dialog_get_busy (CohortEventImportDialog *self)
{
  g_return_val_if_fail (COHORT_IS_EVENT_IMPORT_DIALOG (self), FALSE);

  return self->running;
}

/* Choosing the file first */

typedef struct
{
  GtkFileChooserNative *chooser;
  GtkWindow *parent;          /* weak */
  CohortWorkspace *workspace;
} Choice;

static void
choice_free (Choice *choice)
{
  g_clear_object (&choice->chooser);
  g_clear_weak_pointer (&choice->parent);
  g_clear_object (&choice->workspace);
  g_free (choice);
}

static void
file_chosen_cb (GtkNativeDialog *chooser,
                int              response,
                Choice          *choice)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  path = file ? g_file_get_path (file) : NULL;

  if (path != NULL && choice->parent != NULL)
    gtk_window_present (GTK_WINDOW (cohort_event_import_dialog_new (choice->parent, choice->workspace, path)));

  gtk_native_dialog_destroy (chooser);
  choice_free (choice);
}

void
cohort_event_import_dialog_choose (GtkWindow       *parent,
                                   CohortWorkspace *workspace)
{
  g_autoptr(GtkFileFilter) csv = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  Choice *choice = g_new0 (Choice, 1);

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));
  g_return_if_fail (COHORT_IS_WORKSPACE (workspace));

  choice->workspace = g_object_ref (workspace);
  g_set_weak_pointer (&choice->parent, parent);
  choice->chooser = gtk_file_chooser_native_new (_("Import Events"), parent, GTK_FILE_CHOOSER_ACTION_OPEN,
                                                 _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (choice->chooser), TRUE);

  gtk_file_filter_set_name (csv, _("CSV Files"));
  gtk_file_filter_add_pattern (csv, "*.csv");
  gtk_file_filter_add_pattern (csv, "*.CSV");
  gtk_file_filter_add_pattern (csv, "*.tsv");
  gtk_file_filter_add_pattern (csv, "*.txt");
  gtk_file_filter_add_mime_type (csv, "text/csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (choice->chooser), csv);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (choice->chooser), all);

  g_signal_connect (choice->chooser, "response", G_CALLBACK (file_chosen_cb), choice);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (choice->chooser));
}
