/* cohort-add-members-dialog.c: paste ids or emails into a manual segment
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-add-members-dialog.h"
#include "cohort-members.h"

struct _CohortAddMembersDialog
{
  AdwWindow parent_instance;

  CohortWorkspace *workspace;
  CohortSegment *segment;

  GtkButton *cancel_button;
  GtkButton *add_button;
  GtkButton *done_button;
  GtkButton *file_button;
  GtkLabel *busy_label;
  GtkSpinner *busy_spinner;

  GCancellable *cancellable;   /* while a file is being added */
  GtkStack *stack;
  GtkTextView *text_view;
  GtkLabel *summary_label;
  GtkLabel *unknown_heading;
  GtkLabel *unknown_label;
};

#define MAX_LISTED 1000

G_DEFINE_FINAL_TYPE (CohortAddMembersDialog, cohort_add_members_dialog, ADW_TYPE_WINDOW)

static char *
get_text (CohortAddMembersDialog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
has_identifiers (CohortAddMembersDialog *self)
{
  g_autofree char *text = get_text (self);
  g_autoptr(GPtrArray) identifiers = cohort_members_parse_identifiers (text);

  return identifiers->len > 0;
}

static void
text_changed_cb (CohortAddMembersDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button),
                            self->cancellable == NULL && has_identifiers (self));
}

static void
show_result (CohortAddMembersDialog    *self,
             const CohortMembersResult *result)
{
  g_autofree char *added = NULL;
  g_autofree char *present = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *heading = NULL;
  g_autoptr(GString) unknown = g_string_new (NULL);
  guint n_unknown = result->unknown ? result->unknown->len : 0;

  added = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u customer added.", "%u customers added.",
                                        result->changed), result->changed);
  present = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u was already a member.",
                                          "%u were already members.", result->unchanged),
                             result->unchanged);
  summary = g_strconcat (added, " ", present, NULL);
  gtk_label_set_label (self->summary_label, summary);

  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "%u does not match any customer and was not added:",
                                          "%u do not match any customer and were not added:",
                                          n_unknown), n_unknown);
  gtk_label_set_label (self->unknown_heading, heading);
  /* A label of a million lines helps nobody: the first ones, and how many more. */
  for (guint i = 0; i < MIN (n_unknown, MAX_LISTED); i++)
    {
      if (i > 0)
        g_string_append_c (unknown, '\n');
      g_string_append (unknown, g_ptr_array_index (result->unknown, i));
    }
  if (n_unknown > MAX_LISTED)
    {
      guint more = n_unknown - MAX_LISTED;

      g_string_append_c (unknown, '\n');
      g_string_append_printf (unknown, g_dngettext (GETTEXT_PACKAGE, "…and %u more", "…and %u more", more),
                              more);
    }
  gtk_label_set_label (self->unknown_label, unknown->str);
  gtk_widget_set_visible (GTK_WIDGET (self->unknown_heading), n_unknown > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->unknown_label), n_unknown > 0);

  gtk_stack_set_visible_child_name (self->stack, "result");
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->add_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->done_button), TRUE);
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->done_button));
  gtk_widget_grab_focus (GTK_WIDGET (self->done_button));
}

static void
show_add_error (CohortAddMembersDialog *self,
                 const char             *message)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Could Not Add Customers"),
                                              message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_clicked_cb (CohortAddMembersDialog *self)
{
  g_auto(CohortMembersResult) result = { 0, };
  g_autoptr(GPtrArray) identifiers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = get_text (self);

  identifiers = cohort_members_parse_identifiers (text);
  if (identifiers->len == 0)
    return;

  if (!cohort_members_add (self->workspace, cohort_segment_get_id (self->segment),
                           identifiers, &result, &error))
    {
      show_add_error (self, error->message);
      return;
    }

  show_result (self, &result);
}

/* Adding from a file: read and matched in a thread with its own connection,
 * so an upload of a million rows never blocks the window. */

typedef struct
{
  CohortWorkspace *workspace;  /* the window's, told of the change at the end */
  char *workspace_path;
  gint64 segment_id;
  char *path;
  CohortMembersResult result;
} AddFile;

static void
add_file_free (gpointer data)
{
  AddFile *add = data;

  g_clear_object (&add->workspace);
  g_free (add->workspace_path);
  g_free (add->path);
  cohort_members_result_clear (&add->result);
  g_free (add);
}

static void
add_file_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  AddFile *add = task_data;
  g_autoptr(CohortWorkspace) ws = NULL;
  GError *error = NULL;

  ws = cohort_workspace_open (add->workspace_path, COHORT_WORKSPACE_OPEN_NONE, &error);
  if (ws == NULL ||
      !cohort_members_add_from_csv (ws, add->segment_id, add->path, &add->result,
                                    cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
set_busy (CohortAddMembersDialog *self,
          gboolean                busy)
{
  gtk_stack_set_visible_child_name (self->stack, busy ? "busy" : "input");
  gtk_spinner_set_spinning (self->busy_spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), !busy && has_identifiers (self));
  /* While busy, Cancel stops the reading (nothing is added). */
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cancel_button),
                                  busy ? "add.cancel-file" : "window.close");
}


static void
add_file_done_cb (GObject      *source,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  g_autoptr(CohortAddMembersDialog) self = user_data;
  AddFile *add = g_task_get_task_data (G_TASK (res));
  g_autoptr(GError) error = NULL;
  guint n_bad;

  g_clear_object (&self->cancellable);
  /* The thread wrote through its own connection: tell the window, even
   * when the dialog was closed meanwhile. */
  cohort_workspace_check_external_changes (add->workspace);
  if (self->stack == NULL)
    return;

  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      set_busy (self, FALSE);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_add_error (self, error->message);
      return;
    }

  /* The file's bad rows are listed with the unknown customers: nothing is
   * dropped silently. */
  n_bad = add->result.bad_rows != NULL ? add->result.bad_rows->len : 0;
  if (add->result.unknown == NULL)
    add->result.unknown = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_bad; i++)
    g_ptr_array_add (add->result.unknown, g_strdup (add->result.bad_rows->pdata[i]));
  gtk_spinner_set_spinning (self->busy_spinner, FALSE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cancel_button), "window.close");
  show_result (self, &add->result);
  if (n_bad > 0)
    {
      guint n = add->result.unknown->len;
      g_autofree char *heading =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "%u was not added (customers that match no one, rows that could not be read):",
                                      "%u were not added (customers that match no one, rows that could not be read):",
                                      n), n);

      gtk_label_set_label (self->unknown_heading, heading);
    }
}

void
cohort_add_members_dialog_add_file (CohortAddMembersDialog *self,
                                    GFile                  *file)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *busy = NULL;
  AddFile *add;

  g_return_if_fail (COHORT_IS_ADD_MEMBERS_DIALOG (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->cancellable != NULL)
    return;
  if (!g_file_is_native (file))
    {
      show_add_error (self, _("The file is not on this computer"));
      return;
    }

  add = g_new0 (AddFile, 1);
  add->workspace = g_object_ref (self->workspace);
  add->workspace_path = g_strdup (cohort_workspace_get_path (self->workspace));
  add->segment_id = cohort_segment_get_id (self->segment);
  add->path = g_file_get_path (file);

  basename = g_file_get_basename (file);
  /* Translators: %s is a file name */
  busy = g_strdup_printf (_("Adding the customers of “%s”…"), basename);
  gtk_label_set_label (self->busy_label, busy);
  set_busy (self, TRUE);

  self->cancellable = g_cancellable_new ();
  task = g_task_new (NULL, self->cancellable, add_file_done_cb, g_object_ref (self));
  g_task_set_source_tag (task, cohort_add_members_dialog_add_file);
  g_task_set_task_data (task, add, add_file_free);
  g_task_run_in_thread (task, add_file_thread);
}

gboolean
cohort_add_members_dialog_is_busy (CohortAddMembersDialog *self)
{
  g_return_val_if_fail (COHORT_IS_ADD_MEMBERS_DIALOG (self), FALSE);

  return self->cancellable != NULL;
}

static void
cancel_file_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CohortAddMembersDialog *self = COHORT_ADD_MEMBERS_DIALOG (widget);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
file_chosen_cb (GtkNativeDialog        *chooser,
                int                     response,
                CohortAddMembersDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        cohort_add_members_dialog_add_file (self, file);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
file_clicked_cb (CohortAddMembersDialog *self)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) csv = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Add Customers from a CSV File"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Add"), _("_Cancel"));
  gtk_file_filter_set_name (csv, _("CSV files"));
  gtk_file_filter_add_mime_type (csv, "text/csv");
  gtk_file_filter_add_suffix (csv, "csv");
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), csv);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (file_chosen_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
cohort_add_members_dialog_dispose (GObject *object)
{
  CohortAddMembersDialog *self = COHORT_ADD_MEMBERS_DIALOG (object);

  /* Closing the dialog while a file is read stops the reading. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_ADD_MEMBERS_DIALOG);
  g_clear_object (&self->segment);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cohort_add_members_dialog_parent_class)->dispose (object);
}

static void
cohort_add_members_dialog_class_init (CohortAddMembersDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_add_members_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-add-members-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, done_button);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, file_button);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, busy_label);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, text_view);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, unknown_heading);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, unknown_label);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, file_clicked_cb);
  gtk_widget_class_install_action (widget_class, "add.cancel-file", NULL, cancel_file_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cohort_add_members_dialog_init (CohortAddMembersDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));
  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (text_changed_cb), self, G_CONNECT_SWAPPED);
}

CohortAddMembersDialog *
cohort_add_members_dialog_new (GtkWindow       *parent,
                               CohortWorkspace *workspace,
                               CohortSegment   *segment)
{
  CohortAddMembersDialog *self;
  g_autofree char *title = NULL;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (COHORT_IS_SEGMENT (segment), NULL);

  self = g_object_new (COHORT_TYPE_ADD_MEMBERS_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->workspace = g_object_ref (workspace);
  self->segment = g_object_ref (segment);

  /* Translators: the title of a dialog; %s is a segment name */
  title = g_strdup_printf (_("Add Customers to “%s”"), cohort_segment_get_name (segment));
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->text_view));

  return self;
}
