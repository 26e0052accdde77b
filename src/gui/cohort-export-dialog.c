/* cohort-export-dialog.c: Export Members… of a segment to a CSV file
 *
 * The file is written by a worker thread with its own connection to the
 * workspace: it evaluates the segment, then streams the members through
 * cohort_export_members() into "NAME.part" next to the chosen file, which
 * it renames when all went well (and removes otherwise).
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-customers.h"
#include "cohort-evaluator.h"
#include "cohort-export.h"
#include "cohort-export-dialog.h"

struct _CohortExportDialog
{
  AdwWindow parent_instance;

  AdwWindowTitle *window_title;
  GtkButton *cancel_button;
  GtkButton *export_button;
  GtkStack *stack;
  AdwPreferencesGroup *attributes_group;
  GtkLabel *progress_label;
  GtkProgressBar *progress_bar;

  CohortWorkspace *workspace;
  CohortSegment *segment;
  GWeakRef toasts;
  GPtrArray *checks;            /* GtkCheckButton, with "attribute-name" */
  GtkFileChooserNative *chooser;

  GCancellable *cancellable;    /* of the running export */
  GTask *task;
  guint progress_id;
};

G_DEFINE_FINAL_TYPE (CohortExportDialog, cohort_export_dialog, ADW_TYPE_WINDOW)

typedef struct
{
  char    *workspace_path;
  gint64   segment_id;
  GStrv    attributes;
  GFile   *file;

  GMutex   lock;
  gboolean started;            /* the members are known */
  guint64  done;
  guint64  total;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  g_free (job->workspace_path);
  g_strfreev (job->attributes);
  g_clear_object (&job->file);
  g_mutex_clear (&job->lock);
  g_free (job);
}

static void
job_progress_cb (guint64  done,
                 guint64  total,
                 gpointer user_data)
{
  ExportJob *job = user_data;

  g_mutex_lock (&job->lock);
  job->started = TRUE;
  job->done = done;
  job->total = total;
  g_mutex_unlock (&job->lock);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportJob *job = task_data;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GFile) parent = g_file_get_parent (job->file);
  g_autofree char *basename = g_file_get_basename (job->file);
  g_autofree char *part_name = g_strconcat (basename, ".part", NULL);
  g_autoptr(GFile) part = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ws = cohort_workspace_open (job->workspace_path, COHORT_WORKSPACE_OPEN_READ_ONLY, &error);
  if (ws != NULL)
    ev = cohort_evaluator_evaluate_segment (ws, job->segment_id, cancellable, &error);
  if (ev == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  part = parent != NULL ? g_file_get_child (parent, part_name) : g_file_new_for_path (part_name);
  out = g_file_replace (part, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, cancellable, &error);
  if (out == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  ok = cohort_export_members (ev, (const char * const *) job->attributes, 0, 0,
                              G_OUTPUT_STREAM (out), job_progress_cb, job, cancellable, &error);
  ok = ok && g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, &error);
  ok = ok && g_file_move (part, job->file, G_FILE_COPY_OVERWRITE, cancellable, NULL, NULL, &error);
  if (!ok)
    {
      if (!g_output_stream_is_closed (G_OUTPUT_STREAM (out)))
        g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL);
      g_file_delete (part, NULL, NULL);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_int (task, (gssize) cohort_evaluation_get_count (ev));
}

static void
set_busy (CohortExportDialog *self,
          gboolean            busy)
{
  gtk_stack_set_visible_child_name (self->stack, busy ? "progress" : "columns");
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), !busy);
  if (busy)
    {
      gtk_label_set_label (self->progress_label, _("Finding the members…"));
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
    }
}

static gboolean
progress_tick_cb (gpointer user_data)
{
  CohortExportDialog *self = user_data;
  ExportJob *job;
  g_autofree char *done = NULL;
  g_autofree char *total = NULL;
  g_autofree char *text = NULL;
  guint64 d, t;
  gboolean started;

  if (self->task == NULL)
    return G_SOURCE_CONTINUE;

  job = g_task_get_task_data (self->task);
  g_mutex_lock (&job->lock);
  started = job->started;
  d = job->done;
  t = job->total;
  g_mutex_unlock (&job->lock);

  if (!started)
    {
      gtk_progress_bar_pulse (self->progress_bar);
      return G_SOURCE_CONTINUE;
    }

  done = g_strdup_printf ("%" PRIu64, d);
  total = g_strdup_printf ("%" PRIu64, t);
  /* Translators: "Exported 1200 of 5000 members" */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %s of %s member", "Exported %s of %s members",
                                       (gulong) MIN (t, G_MAXULONG)),
                          done, total);
  gtk_label_set_label (self->progress_label, text);
  gtk_progress_bar_set_fraction (self->progress_bar, t > 0 ? (double) d / (double) t : 1.0);

  return G_SOURCE_CONTINUE;
}

static void
stop_progress (CohortExportDialog *self)
{
  g_clear_handle_id (&self->progress_id, g_source_remove);
  g_clear_object (&self->task);
  g_clear_object (&self->cancellable);
}

static void
show_error (CohortExportDialog *self,
            const GError       *error)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Could Not Export the Members"), error->message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
export_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  CohortExportDialog *self = COHORT_EXPORT_DIALOG (source);
  ExportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gssize count;

  count = g_task_propagate_int (G_TASK (result), &error);
  if (G_TASK (result) != self->task)
    return;   /* an older export, already given up */

  if (error != NULL)
    {
      stop_progress (self);
      if (gtk_widget_in_destruction (GTK_WIDGET (self)))
        return;
      set_busy (self, FALSE);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error);
      return;
    }

  {
    g_autoptr(AdwToastOverlay) toasts = g_weak_ref_get (&self->toasts);
    g_autofree char *name = g_file_get_basename (job->file);
    g_autofree char *number = g_strdup_printf ("%" G_GSSIZE_FORMAT, count);
    g_autofree char *title = NULL;

    /* Translators: "Exported 5000 members to vip.csv" */
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %s member to %s", "Exported %s members to %s",
                                          (gulong) count),
                             number, name);
    if (toasts != NULL)
      adw_toast_overlay_add_toast (toasts, adw_toast_new (title));
    g_debug ("%s", title);
  }

  stop_progress (self);
  gtk_window_destroy (GTK_WINDOW (self));
}

void
cohort_export_dialog_export_to_file (CohortExportDialog *self,
                                     GFile              *file)
{
  ExportJob *job;

  g_return_if_fail (COHORT_IS_EXPORT_DIALOG (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  stop_progress (self);

  job = g_new0 (ExportJob, 1);
  g_mutex_init (&job->lock);
  job->workspace_path = g_strdup (cohort_workspace_get_path (self->workspace));
  job->segment_id = cohort_segment_get_id (self->segment);
  job->attributes = cohort_export_dialog_get_chosen (self);
  job->file = g_object_ref (file);

  self->cancellable = g_cancellable_new ();
  self->task = g_task_new (self, self->cancellable, export_done_cb, NULL);
  g_task_set_source_tag (self->task, cohort_export_dialog_export_to_file);
  /* A file already written is reported as written, even if Cancel came late. */
  g_task_set_check_cancellable (self->task, FALSE);
  g_task_set_task_data (self->task, job, (GDestroyNotify) export_job_free);
  set_busy (self, TRUE);
  self->progress_id = g_timeout_add (100, progress_tick_cb, self);
  g_task_run_in_thread (self->task, export_thread);
}

gboolean
cohort_export_dialog_get_busy (CohortExportDialog *self)
{
  g_return_val_if_fail (COHORT_IS_EXPORT_DIALOG (self), FALSE);

  return self->task != NULL;
}

static void
chooser_response_cb (CohortExportDialog *self,
                     int                 response,
                     GtkNativeDialog    *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file != NULL)
    cohort_export_dialog_export_to_file (self, file);
}

static void
export_clicked_cb (CohortExportDialog *self)
{
  g_autoptr(GtkFileFilter) csv = gtk_file_filter_new ();
  g_autofree char *name = NULL;

  if (self->chooser != NULL)
    return;

  self->chooser = gtk_file_chooser_native_new (_("Export Members"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_filter_set_name (csv, _("CSV files"));
  gtk_file_filter_add_suffix (csv, "csv");
  gtk_file_filter_add_mime_type (csv, "text/csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), csv);
  name = g_strconcat (cohort_segment_get_name (self->segment), ".csv", NULL);
  g_strdelimit (name, "/\\", '-');
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
cancel_clicked_cb (CohortExportDialog *self)
{
  /* While writing: stop, and choose again; otherwise: close. */
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      return;
    }
  gtk_window_close (GTK_WINDOW (self));
}

static gboolean
cohort_export_dialog_close_request (GtkWindow *window)
{
  CohortExportDialog *self = COHORT_EXPORT_DIALOG (window);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (cohort_export_dialog_parent_class)->close_request (window);
}

gboolean
cohort_export_dialog_set_attribute_chosen (CohortExportDialog *self,
                                           const char         *name,
                                           gboolean            chosen)
{
  g_return_val_if_fail (COHORT_IS_EXPORT_DIALOG (self), FALSE);

  for (guint i = 0; i < self->checks->len; i++)
    {
      GtkCheckButton *check = g_ptr_array_index (self->checks, i);

      if (g_strcmp0 (g_object_get_data (G_OBJECT (check), "attribute-name"), name) == 0)
        {
          gtk_check_button_set_active (check, chosen);
          return TRUE;
        }
    }

  return FALSE;
}

GStrv
cohort_export_dialog_get_chosen (CohortExportDialog *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (COHORT_IS_EXPORT_DIALOG (self), NULL);

  for (guint i = 0; i < self->checks->len; i++)
    {
      GtkCheckButton *check = g_ptr_array_index (self->checks, i);

      if (gtk_check_button_get_active (check))
        g_strv_builder_add (builder, g_object_get_data (G_OBJECT (check), "attribute-name"));
    }

  return g_strv_builder_end (builder);
}

static void
cohort_export_dialog_dispose (GObject *object)
{
  CohortExportDialog *self = COHORT_EXPORT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_handle_id (&self->progress_id, g_source_remove);
  g_clear_object (&self->task);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->workspace);
  g_clear_object (&self->segment);
  g_clear_pointer (&self->checks, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), COHORT_TYPE_EXPORT_DIALOG);

  G_OBJECT_CLASS (cohort_export_dialog_parent_class)->dispose (object);
}

static void
cohort_export_dialog_finalize (GObject *object)
{
  CohortExportDialog *self = COHORT_EXPORT_DIALOG (object);

  g_weak_ref_clear (&self->toasts);

  G_OBJECT_CLASS (cohort_export_dialog_parent_class)->finalize (object);
}

static void
cohort_export_dialog_class_init (CohortExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cohort_export_dialog_dispose;
  object_class->finalize = cohort_export_dialog_finalize;
  window_class->close_request = cohort_export_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortExportDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, CohortExportDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CohortExportDialog, export_button);
  gtk_widget_class_bind_template_child (widget_class, CohortExportDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, CohortExportDialog, attributes_group);
  gtk_widget_class_bind_template_child (widget_class, CohortExportDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, CohortExportDialog, progress_bar);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cohort_export_dialog_init (CohortExportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));
  self->checks = g_ptr_array_new ();
  g_weak_ref_init (&self->toasts, NULL);
}

CohortExportDialog *
cohort_export_dialog_new (GtkWindow       *parent,
                          CohortWorkspace *workspace,
                          CohortSegment   *segment,
                          AdwToastOverlay *toasts)
{
  CohortExportDialog *self;
  g_autoptr(GPtrArray) attributes = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (COHORT_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (COHORT_IS_SEGMENT (segment), NULL);

  self = g_object_new (COHORT_TYPE_EXPORT_DIALOG, "transient-for", parent, NULL);
  self->workspace = g_object_ref (workspace);
  self->segment = g_object_ref (segment);
  g_weak_ref_set (&self->toasts, toasts);
  adw_window_title_set_subtitle (self->window_title, cohort_segment_get_name (segment));

  attributes = cohort_attributes_list (workspace, &error);
  if (attributes == NULL)
    {
      g_warning ("Could not list the attributes: %s", error->message);
      attributes = g_ptr_array_new ();
    }
  if (attributes->len == 0)
    adw_preferences_group_set_description (self->attributes_group,
                                           _("ID and email are exported. This workspace has no other attributes."));

  for (guint i = 0; i < attributes->len; i++)
    {
      const CohortAttribute *attribute = g_ptr_array_index (attributes, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (check), "attribute-name", g_strdup (attribute->name), g_free);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, attribute->name,
                                      -1);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), attribute->name);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      adw_preferences_group_add (self->attributes_group, row);
      g_ptr_array_add (self->checks, check);
    }

  return self;
}
