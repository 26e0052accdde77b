/* cohort-remote-segment-page.c: a segment made in Customer.io
 *
 * Shows what the last pull said (type, count) and, for a manual segment,
 * fetches its members into the workspace's mirror of them: the same core
 * call as `cohort remote members`, in a thread with its own connection to
 * the workspace, with progress and Cancel. One fetch at a time; it goes on
 * when another segment is shown.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-credentials.h"
#include "cohort-remote-segment-page.h"
#include "cohort-segment-row.h"
#include "cohort-sync.h"

typedef struct
{
  char   *path;
  gint64  remote_id;
  char   *name;
  gint    fetched;       /* atomic: members fetched so far */
} FetchData;

struct _CohortRemoteSegmentPage
{
  AdwBin parent_instance;

  CohortWorkspace *workspace;
  CohortRemoteSegment *segment;

  GCancellable *fetch_cancellable;   /* non-NULL while a fetch runs */
  FetchData *fetch;                  /* the fetch running (a reference) */
  guint poll_id;

  GtkImage *kind_image;
  GtkLabel *name_label;
  GtkLabel *summary_label;
  GtkLabel *description_label;
  GtkWidget *fetch_box;
  GtkButton *fetch_button;
  GtkProgressBar *progress_bar;
  GtkButton *cancel_button;
  GtkLabel *fetch_error_label;
  GtkLabel *type_label;
  GtkLabel *count_label;
  AdwActionRow *fetched_row;
  GtkLabel *fetched_label;
  GtkLabel *id_label;
};

G_DEFINE_FINAL_TYPE (CohortRemoteSegmentPage, cohort_remote_segment_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SEGMENT,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
fetch_data_clear (gpointer data)
{
  FetchData *fetch = data;

  g_free (fetch->path);
  g_free (fetch->name);
}

static void
fetch_data_unref (FetchData *fetch)
{
  g_atomic_rc_box_release_full (fetch, fetch_data_clear);
}

static char *
format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = unix_time > 0 ? g_date_time_new_from_unix_local (unix_time) : NULL;

  if (dt == NULL)
    return g_strdup (_("Unknown"));

  /* Translators: a date and time, see the strftime man page (e.g. "29 November 2026, 14:05") */
  return g_date_time_format (dt, _("%-d %B %Y, %H:%M"));
}

static gboolean
fetching_shown (CohortRemoteSegmentPage *self)
{
  return self->fetch != NULL && self->segment != NULL &&
         self->fetch->remote_id == cohort_remote_segment_get_id (self->segment);
}

static void
update_fetched (CohortRemoteSegmentPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gint64 total, pulled_at;
  gboolean complete;

  if (self->segment == NULL || self->workspace == NULL)
    return;

  if (!cohort_sync_get_member_pull (self->workspace, cohort_remote_segment_get_id (self->segment),
                                    &total, &complete, &pulled_at, &error))
    {
      g_warning ("Could not read the fetched members: %s", error->message);
      total = -1;
    }

  if (total < 0)
    text = g_strdup (_("Not fetched yet"));
  else
    {
      g_autofree char *when = format_time (pulled_at);

      if (complete)
        /* Translators: members of a Customer.io segment copied here, then when,
         * e.g. "1,204 members, 29 November 2026, 14:05" */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'" PRId64 " member, %s",
                                             "%'" PRId64 " members, %s", (gulong) total),
                                total, when);
      else
        /* Translators: a fetch of members that did not finish, then when it started */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Stopped after %'" PRId64 " member, %s",
                                             "Stopped after %'" PRId64 " members, %s", (gulong) total),
                                total, when);
    }
  gtk_label_set_label (self->fetched_label, text);
}

static void
update_fetch_controls (CohortRemoteSegmentPage *self)
{
  gboolean shown = fetching_shown (self);
  gboolean manual = self->segment != NULL && cohort_remote_segment_is_manual (self->segment);

  gtk_widget_set_visible (self->fetch_box, manual);
  gtk_widget_set_visible (GTK_WIDGET (self->fetched_row), manual);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), shown);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), shown);
  gtk_widget_set_visible (GTK_WIDGET (self->fetch_button), !shown);
  /* One fetch at a time. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "remote.fetch-members",
                                 manual && self->workspace != NULL && self->fetch == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "remote.cancel-fetch", shown);
  if (self->fetch != NULL && !shown)
    {
      /* Translators: %s is the name of the segment whose members are fetched */
      g_autofree char *tooltip = g_strdup_printf (_("Fetching the members of “%s”…"), self->fetch->name);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->fetch_button), tooltip);
    }
  else
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->fetch_button),
                                 _("Copy the segment’s members from Customer.io into this workspace"));
}

static void
update (CohortRemoteSegmentPage *self)
{
  CohortRemoteSegment *segment = self->segment;
  const char *description;
  g_autofree char *count = NULL;
  g_autofree char *id = NULL;
  gboolean manual;

  update_fetch_controls (self);
  if (segment == NULL)
    return;

  manual = cohort_remote_segment_is_manual (segment);
  description = cohort_remote_segment_get_description (segment);

  gtk_image_set_from_icon_name (self->kind_image, manual ? "cohort-manual-symbolic"
                                                         : "cohort-data-driven-symbolic");
  gtk_label_set_label (self->name_label, cohort_remote_segment_get_name (segment));
  gtk_label_set_label (self->summary_label,
                       manual ? _("A manual segment made in Customer.io. Fetch its members to have them here.")
                              : _("A segment made in Customer.io, kept up to date there by its own rules."));
  gtk_label_set_label (self->description_label, description);
  gtk_widget_set_visible (GTK_WIDGET (self->description_label), description != NULL && *description != '\0');
  gtk_label_set_label (self->type_label,
                       cohort_remote_type_label (cohort_remote_segment_get_remote_type (segment)));
  count = cohort_segment_format_count (cohort_remote_segment_get_count (segment));
  gtk_label_set_label (self->count_label, count);
  id = g_strdup_printf ("%" PRId64, cohort_remote_segment_get_id (segment));
  gtk_label_set_label (self->id_label, id);
  gtk_label_set_label (self->fetch_error_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->fetch_error_label), FALSE);
  update_fetched (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  CohortRemoteSegmentPage *self = user_data;
  g_autofree char *text = NULL;
  gint fetched;

  if (self->fetch == NULL)
    {
      self->poll_id = 0;
      return G_SOURCE_REMOVE;
    }
  fetched = g_atomic_int_get (&self->fetch->fetched);
  /* Translators: members fetched from Customer.io so far, e.g. "1,000 fetched" */
  text = g_strdup_printf (_("%'d fetched"), fetched);
  gtk_progress_bar_set_text (self->progress_bar, text);
  gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
fetch_progress (guint       done,
                guint       total,
                const char *what,
                gpointer    user_data)
{
  FetchData *fetch = user_data;

  g_atomic_int_set (&fetch->fetched, (gint) MIN (done, (guint) G_MAXINT));
}

static void
fetch_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  FetchData *fetch = task_data;
  g_autoptr(CohortCredentials) creds = NULL;
  g_autoptr(CohortCioClient) client = NULL;
  g_autoptr(CohortWorkspace) ws = NULL;
  GError *error = NULL;
  gint64 n;

  creds = cohort_credentials_load (cancellable, &error);
  if (creds == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!cohort_credentials_is_complete (creds))
    {
      g_task_return_new_error (task, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NO_CREDENTIALS,
                               "%s", _("Cohort needs your Site ID, Track API key and App API key. "
                                       "Enter them in Preferences; they are kept in your keyring."));
      return;
    }
  client = cohort_cio_client_new (creds, &error);
  if (client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  ws = cohort_workspace_open (fetch->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  if (ws == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  n = cohort_sync_pull_members (ws, client, fetch->remote_id, 0, fetch_progress, fetch,
                                cancellable, &error);
  if (n < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, (gssize) n);
}

static void
stop_fetch (CohortRemoteSegmentPage *self)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_pointer (&self->fetch, fetch_data_unref);
  g_clear_object (&self->fetch_cancellable);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
fetch_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GWeakRef *ref = user_data;
  g_autoptr(CohortRemoteSegmentPage) self = g_weak_ref_get (ref);
  g_autoptr(GError) error = NULL;
  gboolean was_shown;
  GtkWidget *toasts;
  FetchData *fetch;
  gssize n;

  g_weak_ref_clear (ref);
  g_free (ref);

  n = g_task_propagate_int (G_TASK (result), &error);
  if (self == NULL || self->fetch == NULL)
    return;

  fetch = g_atomic_rc_box_acquire (self->fetch);
  was_shown = fetching_shown (self);
  stop_fetch (self);
  update_fetch_controls (self);
  if (was_shown)
    update_fetched (self);

  toasts = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Translators: %s is why the members could not be fetched */
      g_autofree char *text = g_strdup_printf (_("Could not fetch the members: %s"), error->message);

      if (was_shown)
        {
          gtk_label_set_label (self->fetch_error_label, text);
          gtk_widget_set_visible (GTK_WIDGET (self->fetch_error_label), TRUE);
        }
      else if (toasts != NULL)
        adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (toasts), adw_toast_new (text));
    }
  else if (error == NULL && toasts != NULL)
    {
      /* Translators: members fetched from Customer.io; %s is the segment name */
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%'" PRId64 " member of “%s” fetched",
                                                            "%'" PRId64 " members of “%s” fetched",
                                                            (gulong) n),
                                               (gint64) n, fetch->name);

      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (toasts), adw_toast_new (text));
    }
  fetch_data_unref (fetch);
}

static void
fetch_members_cb (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CohortRemoteSegmentPage *self = COHORT_REMOTE_SEGMENT_PAGE (widget);
  g_autoptr(GTask) task = NULL;
  GWeakRef *ref;

  if (self->segment == NULL || self->workspace == NULL || self->fetch != NULL ||
      !cohort_remote_segment_is_manual (self->segment))
    return;

  self->fetch = g_atomic_rc_box_new0 (FetchData);
  self->fetch->path = g_strdup (cohort_workspace_get_path (self->workspace));
  self->fetch->remote_id = cohort_remote_segment_get_id (self->segment);
  self->fetch->name = g_strdup (cohort_remote_segment_get_name (self->segment));
  self->fetch_cancellable = g_cancellable_new ();

  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  task = g_task_new (NULL, self->fetch_cancellable, fetch_done_cb, ref);
  g_task_set_source_tag (task, fetch_members_cb);
  g_task_set_task_data (task, g_atomic_rc_box_acquire (self->fetch), (GDestroyNotify) fetch_data_unref);
  g_task_run_in_thread (task, fetch_thread);

  gtk_label_set_label (self->fetch_error_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->fetch_error_label), FALSE);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, _("Connecting to Customer.io…"));
  self->poll_id = g_timeout_add (100, poll_cb, self);
  update_fetch_controls (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->cancel_button));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
cancel_fetch_cb (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CohortRemoteSegmentPage *self = COHORT_REMOTE_SEGMENT_PAGE (widget);

  if (self->fetch_cancellable != NULL)
    g_cancellable_cancel (self->fetch_cancellable);
}

static void
cohort_remote_segment_page_dispose (GObject *object)
{
  CohortRemoteSegmentPage *self = COHORT_REMOTE_SEGMENT_PAGE (object);

  if (self->fetch_cancellable != NULL)
    g_cancellable_cancel (self->fetch_cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_pointer (&self->fetch, fetch_data_unref);
  g_clear_object (&self->fetch_cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_REMOTE_SEGMENT_PAGE);
  g_clear_object (&self->segment);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cohort_remote_segment_page_parent_class)->dispose (object);
}

static void
cohort_remote_segment_page_get_property (GObject    *object,
                                         guint       prop_id,
                                         GValue     *value,
                                         GParamSpec *pspec)
{
  CohortRemoteSegmentPage *self = COHORT_REMOTE_SEGMENT_PAGE (object);

  switch (prop_id)
    {
    case PROP_SEGMENT:
      g_value_set_object (value, self->segment);
      break;

    case PROP_BUSY:
      g_value_set_boolean (value, self->fetch != NULL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_remote_segment_page_class_init (CohortRemoteSegmentPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_remote_segment_page_dispose;
  object_class->get_property = cohort_remote_segment_page_get_property;

  properties[PROP_SEGMENT] =
    g_param_spec_object ("segment", NULL, NULL,
                         COHORT_TYPE_REMOTE_SEGMENT,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-remote-segment-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, kind_image);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, name_label);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, description_label);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, fetch_box);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, fetch_button);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, fetch_error_label);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, type_label);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, fetched_row);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, fetched_label);
  gtk_widget_class_bind_template_child (widget_class, CohortRemoteSegmentPage, id_label);

  gtk_widget_class_install_action (widget_class, "remote.fetch-members", NULL, fetch_members_cb);
  gtk_widget_class_install_action (widget_class, "remote.cancel-fetch", NULL, cancel_fetch_cb);
}

static void
cohort_remote_segment_page_init (CohortRemoteSegmentPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));
  update_fetch_controls (self);
}

CohortRemoteSegment *
cohort_remote_segment_page_get_segment (CohortRemoteSegmentPage *self)
{
  g_return_val_if_fail (COHORT_IS_REMOTE_SEGMENT_PAGE (self), NULL);

  return self->segment;
}

void
cohort_remote_segment_page_set_segment (CohortRemoteSegmentPage *self,
                                        CohortWorkspace         *workspace,
                                        CohortRemoteSegment     *segment)
{
  g_return_if_fail (COHORT_IS_REMOTE_SEGMENT_PAGE (self));
  g_return_if_fail (workspace == NULL || COHORT_IS_WORKSPACE (workspace));
  g_return_if_fail (segment == NULL || COHORT_IS_REMOTE_SEGMENT (segment));

  g_set_object (&self->workspace, workspace);
  if (self->segment == segment)
    {
      update (self);
      return;
    }
  g_set_object (&self->segment, segment);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEGMENT]);
}

gboolean
cohort_remote_segment_page_get_busy (CohortRemoteSegmentPage *self)
{
  g_return_val_if_fail (COHORT_IS_REMOTE_SEGMENT_PAGE (self), FALSE);

  return self->fetch != NULL;
}
