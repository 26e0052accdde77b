/* cohort-import-dialog.c: import customers from a CSV file
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-import-common.h"
#include "cohort-importer.h"
#include "cohort-import-dialog.h"

#define PREVIEW_ROWS 50
#define SHOWN_REJECTIONS 100

/* In the order of the combo rows' models. */
static const CohortCsvEncoding encodings[] = {
  COHORT_CSV_ENCODING_AUTO, COHORT_CSV_ENCODING_UTF8, COHORT_CSV_ENCODING_UTF16LE,
  COHORT_CSV_ENCODING_UTF16BE, COHORT_CSV_ENCODING_WINDOWS_1252,
};
static const char delimiters[] = { 0, ',', ';', '\t', '|' };
static const CohortImportType column_types[] = {
  COHORT_IMPORT_TYPE_STRING, COHORT_IMPORT_TYPE_NUMBER, COHORT_IMPORT_TYPE_BOOLEAN,
  COHORT_IMPORT_TYPE_TIMESTAMP, COHORT_IMPORT_TYPE_SKIP,
};

struct _CohortImportDialog
{
  AdwWindow parent_instance;

  CohortWorkspace *workspace;
  CohortImporter *importer;
  CohortImportPreview *preview;
  GCancellable *cancellable;
  GPtrArray *column_rows;      /* AdwComboRow per column, NULL for id/email */
  gint64 started;              /* monotonic time the import began */
  gboolean updating;           /* filling the widgets: not the user */
  gboolean running;
  guint refresh_id;            /* a preview is due */

  AdwWindowTitle *window_title;
  GtkButton *cancel_button;
  GtkButton *import_button;
  GtkButton *done_button;
  GtkStack *stack;
  AdwComboRow *encoding_row;
  GtkStringList *encodings;
  AdwComboRow *delimiter_row;
  GtkColumnView *preview_view;
  GtkLabel *preview_label;
  AdwComboRow *id_row;
  AdwComboRow *email_row;
  AdwPreferencesGroup *columns_group;
  GtkCheckButton *good_rows_check;
  GtkCheckButton *all_or_nothing_check;
  GtkProgressBar *progress_bar;
  AdwStatusPage *summary_page;
  AdwPreferencesGroup *rejected_group;
};

G_DEFINE_FINAL_TYPE (CohortImportDialog, cohort_import_dialog, ADW_TYPE_WINDOW)

static const char *
type_label (CohortImportType type)
{
  switch (type)
    {
    case COHORT_IMPORT_TYPE_NUMBER:
      return _("Number");
    case COHORT_IMPORT_TYPE_BOOLEAN:
      return _("Yes or no");
    case COHORT_IMPORT_TYPE_TIMESTAMP:
      return _("Date and time");
    case COHORT_IMPORT_TYPE_SKIP:
      return _("Skip");
    case COHORT_IMPORT_TYPE_STRING:
    case COHORT_IMPORT_TYPE_AUTO:
    default:
      return _("Text");
    }
}

static guint
column_for_role (CohortImportDialog *self,
                 int                 column)
{
  /* Position 0 is "None". */
  return column < 0 ? 0 : (guint) column + 1;
}

static gboolean
same_header (GListModel          *names,
             CohortImportPreview *preview)
{
  if (names == NULL || g_list_model_get_n_items (names) != preview->n_columns + 1)
    return FALSE;

  for (guint i = 0; i < preview->n_columns; i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (names), i + 1), preview->header[i]) != 0)
      return FALSE;

  return TRUE;
}

static void
fill_identity_rows (CohortImportDialog *self)
{
  if (!same_header (adw_combo_row_get_model (self->id_row), self->preview))
    {
      g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

      gtk_string_list_append (names, _("None"));
      for (guint i = 0; i < self->preview->n_columns; i++)
        gtk_string_list_append (names, self->preview->header[i]);

      adw_combo_row_set_model (self->id_row, G_LIST_MODEL (names));
      adw_combo_row_set_model (self->email_row, G_LIST_MODEL (names));
    }

  adw_combo_row_set_selected (self->id_row, column_for_role (self, self->preview->id_column));
  adw_combo_row_set_selected (self->email_row, column_for_role (self, self->preview->email_column));
}

static void
column_type_changed_cb (AdwComboRow        *row,
                        GParamSpec         *pspec,
                        CohortImportDialog *self)
{
  guint selected = adw_combo_row_get_selected (row);

  if (self->updating || selected >= G_N_ELEMENTS (column_types))
    return;

  cohort_importer_set_column_type (self->importer, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                                   column_types[selected]);
}

static void
fill_column_rows (CohortImportDialog *self)
{
  g_autoptr(GtkStringList) types = gtk_string_list_new (NULL);

  for (guint i = 0; i < self->column_rows->len; i++)
    if (self->column_rows->pdata[i] != NULL)
      adw_preferences_group_remove (self->columns_group, self->column_rows->pdata[i]);
  g_ptr_array_set_size (self->column_rows, 0);

  for (guint i = 0; i < G_N_ELEMENTS (column_types); i++)
    gtk_string_list_append (types, type_label (column_types[i]));

  for (guint i = 0; i < self->preview->n_columns; i++)
    {
      GtkWidget *row = adw_combo_row_new ();
      CohortImportType type = self->preview->roles[i] == COHORT_IMPORT_ROLE_SKIP
                              ? COHORT_IMPORT_TYPE_SKIP : (CohortImportType) self->preview->types[i];

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), self->preview->header[i]);
      adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (types));
      for (guint j = 0; j < G_N_ELEMENTS (column_types); j++)
        if (column_types[j] == type)
          adw_combo_row_set_selected (ADW_COMBO_ROW (row), j);

      /* The id and email are who the customer is, not attributes. */
      if (self->preview->roles[i] == COHORT_IMPORT_ROLE_ID || self->preview->roles[i] == COHORT_IMPORT_ROLE_EMAIL)
        {
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                       self->preview->roles[i] == COHORT_IMPORT_ROLE_ID
                                       ? _("The customer’s id") : _("The customer’s email"));
          gtk_widget_set_sensitive (row, FALSE);
        }

      g_signal_connect_object (row, "notify::selected", G_CALLBACK (column_type_changed_cb), self, 0);
      adw_preferences_group_add (self->columns_group, row);
      g_ptr_array_add (self->column_rows, row);
    }
}

static void
set_can_import (CohortImportDialog *self,
                gboolean            can_import)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.start", can_import);
}

/* Reads the first rows again with the current choices and shows them. */
static void
refresh_preview (CohortImportDialog *self)
{
  g_autoptr(GError) error = NULL;
  CohortImportPreview *preview;

  preview = cohort_importer_preview (self->importer, PREVIEW_ROWS, NULL, &error);
  if (preview == NULL)
    {
      gtk_label_set_label (self->preview_label, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->preview_label), "error");
      set_can_import (self, FALSE);
      return;
    }

  g_clear_pointer (&self->preview, cohort_import_preview_free);
  self->preview = preview;

  self->updating = TRUE;

  cohort_preview_table_show (self->preview_view, self->preview, TRUE);
  fill_identity_rows (self);
  fill_column_rows (self);

  /* Say what was detected. */
  if (adw_combo_row_get_selected (self->encoding_row) == 0)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->encoding_row),
                                 cohort_csv_encoding_to_string (preview->encoding));
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->encoding_row), "");
  if (adw_combo_row_get_selected (self->delimiter_row) == 0)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->delimiter_row),
                                 cohort_csv_delimiter_describe (preview->delimiter));
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->delimiter_row), "");

  self->updating = FALSE;

  gtk_widget_remove_css_class (GTK_WIDGET (self->preview_label), "error");
  if (preview->id_column < 0 && preview->email_column < 0)
    {
      gtk_label_set_label (self->preview_label,
                           _("No id or email column was found: choose one below"));
      gtk_widget_add_css_class (GTK_WIDGET (self->preview_label), "error");
      set_can_import (self, FALSE);
    }
  else
    {
      g_autofree char *text = NULL;

      if (preview->rejected->len > 0)
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u of the first rows is bad and will be skipped",
                                             "%u of the first rows are bad and will be skipped",
                                             preview->rejected->len),
                                preview->rejected->len);
      else
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u row shown", "%u rows shown",
                                             preview->records->len),
                                preview->records->len);
      gtk_label_set_label (self->preview_label, text);
      set_can_import (self, TRUE);
    }
}

static gboolean
refresh_cb (gpointer data)
{
  CohortImportDialog *self = data;

  self->refresh_id = 0;
  refresh_preview (self);

  return G_SOURCE_REMOVE;
}

/* Not from inside a combo row's own notification: the preview refills the
 * rows. */
static void
queue_refresh (CohortImportDialog *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_idle_add (refresh_cb, self);
}

static void
format_changed_cb (CohortImportDialog *self)
{
  guint encoding = adw_combo_row_get_selected (self->encoding_row);
  guint delimiter = adw_combo_row_get_selected (self->delimiter_row);

  if (self->updating)
    return;

  if (encoding < G_N_ELEMENTS (encodings))
    cohort_importer_set_encoding (self->importer, encodings[encoding]);
  if (delimiter < G_N_ELEMENTS (delimiters))
    cohort_importer_set_delimiter (self->importer, delimiters[delimiter]);

  queue_refresh (self);
}

static void
identity_changed_cb (CohortImportDialog *self)
{
  guint id = adw_combo_row_get_selected (self->id_row);
  guint email = adw_combo_row_get_selected (self->email_row);

  if (self->updating || self->preview == NULL)
    return;

  /* "" is "no such column", as chosen. */
  cohort_importer_set_id_column (self->importer,
                                 id > 0 && id <= self->preview->n_columns ? self->preview->header[id - 1] : "");
  cohort_importer_set_email_column (self->importer,
                                    email > 0 && email <= self->preview->n_columns ? self->preview->header[email - 1] : "");
  queue_refresh (self);
}

/* Running */

static void
progress_cb (guint64  rows,
             guint64  bytes,
             guint64  total_bytes,
             gpointer user_data)
{
  CohortImportDialog *self = user_data;
  g_autofree char *text = NULL;
  g_autofree char *rows_text = NULL;
  double fraction = total_bytes > 0 ? (double) bytes / (double) total_bytes : 0.0;
  gint64 elapsed = g_get_monotonic_time () - self->started;

  if (self->progress_bar == NULL)
    return;

  rows_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'" PRIu64 " row",
                                            "%'" PRIu64 " rows", (gulong) rows), rows);

  if (fraction > 0.02 && fraction < 1.0 && elapsed > G_USEC_PER_SEC)
    {
      guint seconds_left = (guint) ((double) elapsed / fraction * (1.0 - fraction) / G_USEC_PER_SEC) + 1;

      if (seconds_left >= 60)
        /* Translators: the first %s is a number of rows, e.g. "12,000 rows · about 3 minutes left" */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · about %u minute left",
                                             "%s · about %u minutes left", seconds_left / 60 + 1),
                                rows_text, seconds_left / 60 + 1);
      else
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u second left",
                                             "%s · %u seconds left", seconds_left),
                                rows_text, seconds_left);
    }

  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
  gtk_progress_bar_set_text (self->progress_bar, text ? text : rows_text);
}

static void
show_summary (CohortImportDialog *self,
              const GError       *error)
{
  GArray *rejected = cohort_importer_get_rejected (self->importer);
  guint64 n_rejected = cohort_importer_get_n_rejected (self->importer);
  g_autofree char *description = NULL;

  gtk_stack_set_visible_child_name (self->stack, "summary");
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->import_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->done_button), TRUE);
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->done_button));

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      adw_status_page_set_icon_name (self->summary_page, "dialog-information-symbolic");
      adw_status_page_set_title (self->summary_page, _("Import Cancelled"));
      adw_status_page_set_description (self->summary_page, _("The workspace is as it was before"));
    }
  else if (error != NULL)
    {
      adw_status_page_set_icon_name (self->summary_page, "dialog-error-symbolic");
      adw_status_page_set_title (self->summary_page, _("Nothing Was Imported"));
      adw_status_page_set_description (self->summary_page, error->message);
    }
  else
    {
      g_autofree char *created = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'" PRIu64 " new customer",
                                                               "%'" PRIu64 " new customers",
                                                               (gulong) cohort_importer_get_created (self->importer)),
                                                  cohort_importer_get_created (self->importer));
      g_autofree char *updated = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'" PRIu64 " updated",
                                                               "%'" PRIu64 " updated",
                                                               (gulong) cohort_importer_get_updated (self->importer)),
                                                  cohort_importer_get_updated (self->importer));
      g_autofree char *skipped = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'" PRIu64 " skipped",
                                                               "%'" PRIu64 " skipped", (gulong) n_rejected),
                                                  n_rejected);

      adw_status_page_set_icon_name (self->summary_page, "object-select-symbolic");
      adw_status_page_set_title (self->summary_page, _("Import Finished"));
      /* Translators: e.g. "1,200 new customers, 35 updated, 2 skipped" */
      description = g_strdup_printf (_("%s, %s, %s"), created, updated, skipped);
      adw_status_page_set_description (self->summary_page, description);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->rejected_group), rejected != NULL && rejected->len > 0);
  for (guint i = 0; rejected != NULL && i < MIN (rejected->len, SHOWN_REJECTIONS); i++)
    {
      const CohortImportRejection *r = &g_array_index (rejected, CohortImportRejection, i);
      g_autofree char *title = g_strdup_printf (_("Line %" PRIu64), r->line);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), r->reason);
      adw_preferences_group_add (self->rejected_group, row);
    }
  if (n_rejected > SHOWN_REJECTIONS)
    {
      g_autofree char *more = g_strdup_printf (_("The first %u are shown; save the list to see them all"),
                                               SHOWN_REJECTIONS);
      adw_preferences_group_set_description (self->rejected_group, more);
    }
}

static void
import_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CohortImportDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  cohort_importer_run_finish (COHORT_IMPORTER (source), result, &error);
  self->running = FALSE;

  /* Closed meanwhile. */
  if (self->stack == NULL)
    return;

  /* The import wrote through its own connection: let the window know. */
  cohort_workspace_check_external_changes (self->workspace);

  show_summary (self, error);
}

static void
start_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CohortImportDialog *self = COHORT_IMPORT_DIALOG (widget);

  if (self->running)
    return;

  cohort_importer_set_all_or_nothing (self->importer,
                                      gtk_check_button_get_active (self->all_or_nothing_check));
  cohort_importer_set_progress_func (self->importer, progress_cb, self, NULL);

  self->running = TRUE;
  self->started = g_get_monotonic_time ();
  self->cancellable = g_cancellable_new ();
  gtk_stack_set_visible_child_name (self->stack, "progress");
  set_can_import (self, FALSE);
  progress_cb (0, 0, 0, self);

  cohort_importer_run_async (self->importer, cohort_workspace_get_path (self->workspace),
                             self->cancellable, import_done_cb, g_object_ref (self));
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CohortImportDialog *self = COHORT_IMPORT_DIALOG (widget);

  /* While importing, Cancel stops it (the summary follows); before, it closes. */
  if (self->running)
    g_cancellable_cancel (self->cancellable);
  else
    gtk_window_close (GTK_WINDOW (self));
}

static void
save_report_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CohortImportDialog *self = COHORT_IMPORT_DIALOG (widget);

  cohort_save_rejected_rows (GTK_WINDOW (self), NULL, cohort_importer_get_path (self->importer),
                             cohort_importer_get_rejected (self->importer));
}

static gboolean
cohort_import_dialog_close_request (GtkWindow *window)
{
  CohortImportDialog *self = COHORT_IMPORT_DIALOG (window);

  /* Closing while importing cancels: nothing is half-written. */
  if (self->running)
    g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (cohort_import_dialog_parent_class)->close_request (window);
}

static void
cohort_import_dialog_dispose (GObject *object)
{
  CohortImportDialog *self = COHORT_IMPORT_DIALOG (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  if (self->importer != NULL)
    cohort_importer_set_progress_func (self->importer, NULL, NULL, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_IMPORT_DIALOG);

  g_clear_pointer (&self->column_rows, g_ptr_array_unref);
  g_clear_pointer (&self->preview, cohort_import_preview_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->importer);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cohort_import_dialog_parent_class)->dispose (object);
}

static void
cohort_import_dialog_class_init (CohortImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cohort_import_dialog_dispose;
  window_class->close_request = cohort_import_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, import_button);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, done_button);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, encoding_row);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, encodings);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, delimiter_row);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, preview_view);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, preview_label);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, id_row);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, email_row);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, columns_group);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, good_rows_check);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, all_or_nothing_check);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, summary_page);
  gtk_widget_class_bind_template_child (widget_class, CohortImportDialog, rejected_group);
  gtk_widget_class_bind_template_callback (widget_class, format_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, identity_changed_cb);

  gtk_widget_class_install_action (widget_class, "import.start", NULL, start_activated);
  gtk_widget_class_install_action (widget_class, "import.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "import.save-report", NULL, save_report_activated);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "import.cancel", NULL);
}

static void
cohort_import_dialog_init (CohortImportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));

  /* Row objects are owned by the group; this only remembers them. */
  self->column_rows = g_ptr_array_new ();
}

CohortImportDialog *
cohort_import_dialog_new (GtkWindow       *parent,
                          CohortWorkspace *workspace,
                          const char      *path)
{
  CohortImportDialog *self;
  g_autofree char *basename = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (COHORT_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (COHORT_TYPE_IMPORT_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->workspace = g_object_ref (workspace);
  self->importer = cohort_importer_new (path);

  basename = g_filename_display_basename (path);
  adw_window_title_set_subtitle (self->window_title, basename);

  refresh_preview (self);

  return self;
}
