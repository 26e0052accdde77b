/* cohort-sync-dialog.c: Preview Sync and Sync
 *
 * The preview is the core's dry-run plan, worked out in a thread with its
 * own connection to the workspace: exactly what a push would send, and
 * nothing is sent. Sync runs cohort_sync_run_async() with a progress bar
 * (operations done of total) and can be cancelled at any moment; what
 * Customer.io confirmed stays recorded.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-credentials.h"
#include "cohort-preferences-window.h"
#include "cohort-sync-button.h"
#include "cohort-sync.h"
#include "cohort-sync-dialog.h"

struct _CohortSyncDialog
{
  AdwWindow parent_instance;

  CohortWorkspace *workspace;
  CohortSyncDialogMode mode;
  GCancellable *cancellable;     /* the plan, the credentials or the sync */
  gboolean busy;
  gboolean syncing;
  GPtrArray *rows;               /* rows added to groups: (group, row) pairs */

  AdwWindowTitle *window_title;
  GtkButton *cancel_button;
  GtkButton *sync_button;
  GtkButton *hide_button;
  GtkStack *stack;
  GtkSpinner *loading_spinner;
  AdwPreferencesGroup *plan_group;
  GtkSwitch *identify_switch;
  AdwPreferencesGroup *notes_group;
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  AdwStatusPage *result_page;
  AdwPreferencesGroup *failures_group;
  GtkButton *result_preferences_button;
  AdwPreferencesGroup *segments_group;
  AdwPreferencesGroup *result_notes_group;
  AdwStatusPage *error_page;
  GtkButton *preferences_button;
};

G_DEFINE_FINAL_TYPE (CohortSyncDialog, cohort_sync_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Dialogs whose sync runs (one per window at most). */
static GList *running_dialogs;

static void start_plan (CohortSyncDialog *self);

static gboolean
is_gone (CohortSyncDialog *self)
{
  return self->stack == NULL;
}

static void
set_busy (CohortSyncDialog *self,
          gboolean          busy)
{
  if (self->busy == busy)
    return;

  self->busy = busy;
  gtk_spinner_set_spinning (self->loading_spinner, busy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
show_page (CohortSyncDialog *self,
           const char       *name)
{
  gboolean preview = g_strcmp0 (name, "preview") == 0;
  gboolean finished = g_strcmp0 (name, "result") == 0 || g_strcmp0 (name, "error") == 0;

  gtk_stack_set_visible_child_name (self->stack, name);
  gtk_widget_set_visible (GTK_WIDGET (self->sync_button), preview);
  gtk_widget_set_visible (GTK_WIDGET (self->hide_button), g_strcmp0 (name, "progress") == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.start", preview);
  gtk_button_set_label (self->cancel_button, finished ? _("_Close") : _("_Cancel"));
  cohort_a11y_tidy_button (self->cancel_button);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->cancel_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  finished ? _("Close") : _("Cancel"),
                                  -1);
  /* Enter: Sync Now in the preview, Close at the end. */
  if (preview)
    gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->sync_button));
  else if (finished)
    gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->cancel_button));
  else
    gtk_window_set_default_widget (GTK_WINDOW (self), NULL);
}

/* Rows this dialog added, so that they can be taken out again. */
static void
clear_rows (CohortSyncDialog *self)
{
  for (guint i = 0; i + 1 < self->rows->len; i += 2)
    adw_preferences_group_remove (g_ptr_array_index (self->rows, i),
                                  g_ptr_array_index (self->rows, i + 1));
  g_ptr_array_set_size (self->rows, 0);
}

static GtkWidget *
add_row (CohortSyncDialog    *self,
         AdwPreferencesGroup *group,
         const char          *icon_name,
         const char          *title,
         const char          *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (icon_name != NULL)
    {
      GtkWidget *icon = gtk_image_new_from_icon_name (icon_name);

      gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL, "", -1);
      gtk_widget_set_valign (icon, GTK_ALIGN_CENTER);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    }
  if (subtitle != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle, -1);

  adw_preferences_group_add (group, row);
  /* Read once: the row's title, not the title and its label again. */
  cohort_a11y_set_name (row, title);
  /* The group's list is read as the group's title. */
  if (GTK_IS_LIST_BOX (gtk_widget_get_parent (row)))
    {
      const char *group_title = adw_preferences_group_get_title (group);

      cohort_a11y_set_name (gtk_widget_get_parent (row),
                            group_title != NULL && *group_title != '\0' ? group_title : _("Changes"));
    }
  g_ptr_array_add (self->rows, group);
  g_ptr_array_add (self->rows, row);
  return row;
}

static const char *
action_icon (CohortSyncActionKind kind)
{
  switch (kind)
    {
    case COHORT_SYNC_ACTION_CREATE:
      return "folder-new-symbolic";
    case COHORT_SYNC_ACTION_DELETE:
      return "user-trash-symbolic";
    case COHORT_SYNC_ACTION_ADD:
      return "list-add-symbolic";
    case COHORT_SYNC_ACTION_REMOVE:
      return "list-remove-symbolic";
    case COHORT_SYNC_ACTION_IDENTIFY:
    default:
      return "avatar-default-symbolic";
    }
}

static void
show_error (CohortSyncDialog *self,
            const char       *title,
            const char       *description,
            gboolean          offer_preferences)
{
  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, description);
  gtk_widget_set_visible (GTK_WIDGET (self->preferences_button), offer_preferences);
  show_page (self, "error");
}

static CohortSyncFlags
push_flags (CohortSyncDialog *self)
{
  return gtk_switch_get_active (self->identify_switch) ? COHORT_SYNC_IDENTIFY : 0;
}

/* The plan (Preview Sync) */

typedef struct
{
  char            *path;
  CohortSyncFlags  flags;
} PlanData;

static void
plan_data_free (PlanData *data)
{
  g_free (data->path);
  g_free (data);
}

static void
plan_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  PlanData *data = task_data;
  g_autoptr(CohortWorkspace) ws = NULL;
  CohortSyncPlan *plan;
  GError *error = NULL;

  ws = cohort_workspace_open (data->path, COHORT_WORKSPACE_OPEN_READ_ONLY, &error);
  if (ws == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  plan = cohort_sync_plan_new (ws, data->flags, cancellable, &error);
  if (plan == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, plan, (GDestroyNotify) cohort_sync_plan_free);
}

static void
show_plan (CohortSyncDialog *self,
           CohortSyncPlan   *plan)
{
  guint n_actions = cohort_sync_plan_get_n_actions (plan);
  GPtrArray *notes = cohort_sync_plan_get_notes (plan);

  clear_rows (self);

  for (guint i = 0; i < n_actions; i++)
    {
      const CohortSyncAction *action = cohort_sync_plan_get_action (plan, i);
      g_autofree char *title = cohort_sync_action_describe (action);
      g_autofree char *subtitle = NULL;

      subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u request", "%u requests",
                                               action->n_requests),
                                  action->n_requests);
      add_row (self, self->plan_group, action_icon (action->kind), title, subtitle);
    }

  if (n_actions == 0)
    add_row (self, self->plan_group, "emblem-ok-symbolic",
             _("Nothing to send"), _("Customer.io already has every change made here"));

  for (guint i = 0; notes != NULL && i < notes->len; i++)
    add_row (self, self->notes_group, "dialog-information-symbolic",
             g_ptr_array_index (notes, i), NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->notes_group), notes != NULL && notes->len > 0);

  show_page (self, "preview");
}

static void
plan_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CohortSyncDialog) self = user_data;
  g_autoptr(CohortSyncPlan) plan = NULL;
  g_autoptr(GError) error = NULL;

  plan = g_task_propagate_pointer (G_TASK (result), &error);
  if (is_gone (self) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  if (plan == NULL)
    {
      show_error (self, _("Could Not Work Out What to Send"), error->message, FALSE);
      return;
    }
  show_plan (self, plan);
}

static void
restart_cancellable (CohortSyncDialog *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

static void
start_plan (CohortSyncDialog *self)
{
  g_autoptr(GTask) task = NULL;
  PlanData *data = g_new0 (PlanData, 1);

  restart_cancellable (self);
  data->path = g_strdup (cohort_workspace_get_path (self->workspace));
  data->flags = COHORT_SYNC_PUSH | push_flags (self);

  adw_status_page_set_title (ADW_STATUS_PAGE (gtk_stack_get_child_by_name (self->stack, "loading")),
                             _("Working Out What to Send…"));
  show_page (self, "loading");
  set_busy (self, TRUE);

  task = g_task_new (NULL, self->cancellable, plan_done_cb, g_object_ref (self));
  g_task_set_source_tag (task, start_plan);
  g_task_set_task_data (task, data, (GDestroyNotify) plan_data_free);
  g_task_run_in_thread (task, plan_thread);
}

static void
identify_toggled_cb (CohortSyncDialog *self)
{
  if (!self->syncing && self->mode == COHORT_SYNC_DIALOG_PREVIEW)
    start_plan (self);
}

/* The sync */

static void
sync_progress_cb (guint       done,
                  guint       total,
                  const char *what,
                  gpointer    user_data)
{
  CohortSyncDialog *self = user_data;
  g_autofree char *text = NULL;

  if (is_gone (self) || !self->syncing)
    return;

  /* Translators: operations sent to Customer.io, e.g. “3 of 12” */
  text = g_strdup_printf (_("%u of %u"), done, total);
  cohort_sync_button_update (gtk_window_get_transient_for (GTK_WINDOW (self)), GTK_WINDOW (self), done, total);
  gtk_progress_bar_set_text (self->progress_bar, text);
  gtk_progress_bar_set_fraction (self->progress_bar, total > 0 ? (double) done / total : 0.0);
  gtk_label_set_label (self->progress_label, what ? what : "");
}

static void
show_report (CohortSyncDialog *self,
             CohortSyncReport *report,
             const GError     *error)
{
  gboolean cancelled = report->cancelled ||
                       g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  guint n_failures = report->failures ? report->failures->len : 0;
  guint n_done = report->done ? report->done->len : 0;
  g_autofree char *description = NULL;

  clear_rows (self);

  if (cancelled)
    {
      adw_status_page_set_icon_name (self->result_page, "process-stop-symbolic");
      adw_status_page_set_title (self->result_page, _("Sync Cancelled"));
      description = g_strdup (_("What Customer.io confirmed before you cancelled is recorded; "
                                "the rest will be sent at the next sync."));
    }
  else if (n_failures > 0 || error != NULL)
    {
      adw_status_page_set_icon_name (self->result_page, "dialog-warning-symbolic");
      adw_status_page_set_title (self->result_page, _("Sync Finished With Errors"));
      description = g_strdup (_("What succeeded is recorded. Fix what is listed below, then sync again."));
    }
  else
    {
      adw_status_page_set_icon_name (self->result_page, "emblem-ok-symbolic");
      adw_status_page_set_title (self->result_page, _("Sync Complete"));
      description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                  "%u change sent to Customer.io.",
                                                  "%u changes sent to Customer.io.", n_done),
                                     n_done);
    }
  adw_status_page_set_description (self->result_page, description);

  for (guint i = 0; i < n_failures; i++)
    {
      GtkWidget *row = add_row (self, self->failures_group, "dialog-error-symbolic",
                                g_ptr_array_index (report->failures, i), NULL);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), g_ptr_array_index (report->failures, i));
      gtk_widget_add_css_class (row, "error");
    }
  if (n_failures == 0 && error != NULL && !cancelled)
    add_row (self, self->failures_group, "dialog-error-symbolic", error->message, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->failures_group),
                          n_failures > 0 || (error != NULL && !cancelled));
  /* A refused key is fixed in Preferences. */
  gtk_widget_set_visible (GTK_WIDGET (self->result_preferences_button),
                          !cancelled && (g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_UNAUTHORIZED) ||
                                         g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_INVALID_URL)));

  for (guint i = 0; report->segments != NULL && i < report->segments->len; i++)
    {
      CohortSyncSegmentResult *r = g_ptr_array_index (report->segments, i);
      g_autofree char *subtitle = NULL;

      if (r->remote_count < 0)
        subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" PRId64 " member",
                                                 "%" PRId64 " members", r->local_count),
                                    r->local_count);
      else
        {
          /* Translators: how many members a segment has on this computer */
          g_autofree char *here = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" PRId64 " member here",
                                                                "%" PRId64 " members here", r->local_count),
                                                   r->local_count);

          if (r->unknown > 0)
            /* Translators: the first %s is "N members here"; then the count in
             * Customer.io and how many of the members it does not know */
            subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                     "%s, %" PRId64 " in Customer.io: %" PRId64 " is a person "
                                                     "Customer.io does not know (sync with “Also Add Members "
                                                     "as People” to send them)",
                                                     "%s, %" PRId64 " in Customer.io: %" PRId64 " are people "
                                                     "Customer.io does not know (sync with “Also Add Members "
                                                     "as People” to send them)",
                                                     r->unknown),
                                        here, r->remote_count, r->unknown);
          else
            /* Translators: %s is "N members here", then the count in Customer.io */
            subtitle = g_strdup_printf (_("%s, %" PRId64 " in Customer.io"), here, r->remote_count);
        }
      add_row (self, self->segments_group, NULL, r->name, subtitle);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->segments_group),
                          report->segments != NULL && report->segments->len > 0);

  for (guint i = 0; report->notes != NULL && i < report->notes->len; i++)
    add_row (self, self->result_notes_group, "dialog-information-symbolic",
             g_ptr_array_index (report->notes, i), NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->result_notes_group),
                          report->notes != NULL && report->notes->len > 0);

  show_page (self, "result");
}

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CohortSyncDialog) self = user_data;
  g_autoptr(CohortSyncReport) report = NULL;
  g_autoptr(GError) error = NULL;

  report = cohort_sync_run_finish (result, &error);
  self->syncing = FALSE;
  running_dialogs = g_list_remove (running_dialogs, self);
  if (is_gone (self))
    return;

  cohort_sync_button_update (gtk_window_get_transient_for (GTK_WINDOW (self)), NULL, 0, 0);
  /* Run in the background: back to say how it went. */
  if (!gtk_widget_get_visible (GTK_WIDGET (self)))
    gtk_window_present (GTK_WINDOW (self));

  set_busy (self, FALSE);
  /* Sync wrote through its own connection: show it in the window. */
  cohort_workspace_check_external_changes (self->workspace);
  /* The window asks about segments deleted in Customer.io. */
  g_signal_emit (self, signals[FINISHED], 0);
  if (is_gone (self))
    return;

  if (report == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          CohortSyncReport empty = { .cancelled = TRUE };

          show_report (self, &empty, error);
          return;
        }
      show_error (self, _("Could Not Sync"), error->message,
                  g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NO_CREDENTIALS) ||
                  g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_INVALID_URL) ||
                  g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_UNAUTHORIZED));
      return;
    }
  show_report (self, report, error);
}

static void
credentials_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GError *error = NULL;
  CohortCredentials *creds = cohort_credentials_load (cancellable, &error);

  if (creds == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, creds, (GDestroyNotify) cohort_credentials_free);
}

static void
credentials_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(CohortSyncDialog) self = user_data;
  g_autoptr(CohortCredentials) creds = NULL;
  g_autoptr(GError) error = NULL;

  creds = g_task_propagate_pointer (G_TASK (result), &error);
  if (is_gone (self) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (creds == NULL || !cohort_credentials_is_complete (creds))
    {
      set_busy (self, FALSE);
      show_error (self, _("Connect to Customer.io First"),
                  creds == NULL ? error->message
                                : _("Cohort needs your Site ID, Track API key and App API key. "
                                    "Enter them in Preferences; they are kept in your keyring."),
                  TRUE);
      return;
    }

  self->syncing = TRUE;
  running_dialogs = g_list_prepend (running_dialogs, self);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, NULL);
  gtk_label_set_label (self->progress_label, _("Checking Customer.io…"));
  show_page (self, "progress");
  cohort_sync_button_update (gtk_window_get_transient_for (GTK_WINDOW (self)), GTK_WINDOW (self), 0, 0);
  cohort_sync_run_async (cohort_workspace_get_path (self->workspace), creds,
                         COHORT_SYNC_DEFAULT | push_flags (self),
                         sync_progress_cb, self, self->cancellable,
                         sync_done_cb, g_object_ref (self));
}

static void
start_sync (CohortSyncDialog *self)
{
  g_autoptr(GTask) task = NULL;

  restart_cancellable (self);
  adw_status_page_set_title (ADW_STATUS_PAGE (gtk_stack_get_child_by_name (self->stack, "loading")),
                             _("Reading Your Keys…"));
  show_page (self, "loading");
  set_busy (self, TRUE);

  /* The keyring may need to start or unlock: not on the main thread. */
  task = g_task_new (NULL, self->cancellable, credentials_done_cb, g_object_ref (self));
  g_task_set_source_tag (task, start_sync);
  g_task_run_in_thread (task, credentials_thread);
}

static void
start_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CohortSyncDialog *self = COHORT_SYNC_DIALOG (widget);

  if (!self->busy)
    start_sync (self);
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CohortSyncDialog *self = COHORT_SYNC_DIALOG (widget);

  /* Cancelling a sync keeps the dialog open to say what happened. */
  if (self->syncing)
    {
      g_cancellable_cancel (self->cancellable);
      gtk_label_set_label (self->progress_label, _("Cancelling…"));
      return;
    }

  gtk_window_destroy (GTK_WINDOW (self));
}

static void
hide_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  /* The sync goes on; the header bar's sync button shows it and brings
   * this dialog back. */
  if (COHORT_SYNC_DIALOG (widget)->syncing)
    gtk_widget_set_visible (widget, FALSE);
}

static void
preferences_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CohortSyncDialog *self = COHORT_SYNC_DIALOG (widget);
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  CohortPreferencesWindow *prefs = cohort_preferences_window_new (parent);

  gtk_window_destroy (GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (prefs));
}

static gboolean
cohort_sync_dialog_close_request (GtkWindow *window)
{
  CohortSyncDialog *self = COHORT_SYNC_DIALOG (window);

  /* Escape or the close button during a sync: cancel it and say so. */
  if (self->syncing)
    {
      cancel_activated (GTK_WIDGET (self), "sync.cancel", NULL);
      return TRUE;
    }

  return GTK_WINDOW_CLASS (cohort_sync_dialog_parent_class)->close_request (window);
}

static void
cohort_sync_dialog_dispose (GObject *object)
{
  CohortSyncDialog *self = COHORT_SYNC_DIALOG (object);

  if (self->syncing)
    cohort_sync_button_update (gtk_window_get_transient_for (GTK_WINDOW (self)), NULL, 0, 0);
  running_dialogs = g_list_remove (running_dialogs, self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->rows != NULL)
    g_ptr_array_set_size (self->rows, 0);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_object (&self->workspace);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_SYNC_DIALOG);

  G_OBJECT_CLASS (cohort_sync_dialog_parent_class)->dispose (object);
}

static void
cohort_sync_dialog_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CohortSyncDialog *self = COHORT_SYNC_DIALOG (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_sync_dialog_class_init (CohortSyncDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cohort_sync_dialog_dispose;
  object_class->get_property = cohort_sync_dialog_get_property;
  window_class->close_request = cohort_sync_dialog_close_request;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CohortSyncDialog::finished:
   *
   * A sync ended (done, failed or cancelled) and the window has seen what
   * it wrote.
   */
  signals[FINISHED] = g_signal_new ("finished",
                                    G_TYPE_FROM_CLASS (klass),
                                    G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-sync-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, sync_button);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, hide_button);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, plan_group);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, identify_switch);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, notes_group);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, progress_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, result_page);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, failures_group);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, result_preferences_button);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, segments_group);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, result_notes_group);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, error_page);
  gtk_widget_class_bind_template_child (widget_class, CohortSyncDialog, preferences_button);
  gtk_widget_class_bind_template_callback (widget_class, identify_toggled_cb);

  gtk_widget_class_install_action (widget_class, "sync.start", NULL, start_activated);
  gtk_widget_class_install_action (widget_class, "sync.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "sync.preferences", NULL, preferences_activated);
  gtk_widget_class_install_action (widget_class, "sync.hide", NULL, hide_activated);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cohort_sync_dialog_init (CohortSyncDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));

  self->rows = g_ptr_array_new ();
}

CohortSyncDialog *
cohort_sync_dialog_new (GtkWindow            *parent,
                        CohortWorkspace      *workspace,
                        CohortSyncDialogMode  mode)
{
  CohortSyncDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (COHORT_IS_WORKSPACE (workspace), NULL);

  self = g_object_new (COHORT_TYPE_SYNC_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->workspace = g_object_ref (workspace);
  self->mode = mode;

  if (mode == COHORT_SYNC_DIALOG_PREVIEW)
    {
      gtk_window_set_title (GTK_WINDOW (self), _("Preview Sync"));
      adw_window_title_set_title (self->window_title, _("Preview Sync"));
      start_plan (self);
    }
  else
    start_sync (self);

  return self;
}

gboolean
cohort_sync_dialog_get_busy (CohortSyncDialog *self)
{
  g_return_val_if_fail (COHORT_IS_SYNC_DIALOG (self), FALSE);

  return self->busy;
}

const char *
cohort_sync_dialog_get_page (CohortSyncDialog *self)
{
  g_return_val_if_fail (COHORT_IS_SYNC_DIALOG (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

CohortSyncDialog *
cohort_sync_dialog_get_running (GtkWindow *parent)
{
  for (GList *l = running_dialogs; l != NULL; l = l->next)
    if (gtk_window_get_transient_for (l->data) == parent)
      return l->data;

  return NULL;
}
