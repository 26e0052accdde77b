/* cohort-preferences-window.c: the Customer.io connection settings
 *
 * Changes apply as they are made: a moment after the last keystroke the
 * credentials are written to the keyring, in a thread (the keyring may have
 * to start or unlock). When the keyring cannot be used, the window says so
 * and what to do instead; nothing is ever written anywhere else.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-cio-client.h"
#include "cohort-credentials.h"
#include "cohort-preferences-window.h"

/* How long after the last change the keyring is written. */
#define SAVE_DELAY_MS 600

struct _CohortPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GCancellable *cancellable;
  guint save_source;
  gboolean loading;
  gboolean saving;
  gboolean save_again;       /* changed while saving */
  gboolean testing;
  gboolean updating;         /* the program fills the fields */

  AdwComboRow *region_row;
  AdwEntryRow *site_id_row;
  AdwPasswordEntryRow *track_key_row;
  AdwPasswordEntryRow *app_key_row;
  GtkLabel *keyring_label;
  AdwActionRow *test_row;
  GtkSpinner *test_spinner;
  GtkButton *test_button;
  AdwActionRow *track_result_row;
  GtkImage *track_result_icon;
  AdwActionRow *app_result_row;
  GtkImage *app_result_icon;
  AdwEntryRow *track_url_row;
  AdwEntryRow *app_url_row;
  GtkLabel *url_error_label;
};

G_DEFINE_FINAL_TYPE (CohortPreferencesWindow, cohort_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void schedule_save (CohortPreferencesWindow *self);

/* The window was destroyed while a thread worked for it. */
static gboolean
is_gone (CohortPreferencesWindow *self)
{
  return self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable);
}

static char *
field_text (gpointer editable)
{
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (editable)));

  g_strstrip (text);
  if (*text == '\0')
    return NULL;
  return g_steal_pointer (&text);
}

static CohortCredentials *
credentials_from_fields (CohortPreferencesWindow *self)
{
  CohortCredentials *creds = cohort_credentials_new ();

  creds->site_id = field_text (self->site_id_row);
  creds->track_api_key = field_text (self->track_key_row);
  creds->app_api_key = field_text (self->app_key_row);
  creds->track_url = field_text (self->track_url_row);
  creds->app_url = field_text (self->app_url_row);

  switch (adw_combo_row_get_selected (self->region_row))
    {
    case 1:
      creds->region = COHORT_REGION_US;
      break;
    case 2:
      creds->region = COHORT_REGION_EU;
      break;
    default:
      creds->region = COHORT_REGION_UNKNOWN;
      break;
    }

  return creds;
}

static void
set_text (gpointer    editable,
          const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (editable), text ? text : "");
}

static void
fill_fields (CohortPreferencesWindow *self,
             CohortCredentials       *creds)
{
  guint region = 0;

  self->updating = TRUE;
  set_text (self->site_id_row, creds->site_id);
  set_text (self->track_key_row, creds->track_api_key);
  set_text (self->app_key_row, creds->app_api_key);
  set_text (self->track_url_row, creds->track_url);
  set_text (self->app_url_row, creds->app_url);
  if (creds->region == COHORT_REGION_US)
    region = 1;
  else if (creds->region == COHORT_REGION_EU)
    region = 2;
  adw_combo_row_set_selected (self->region_row, region);
  self->updating = FALSE;
}

static void
update_busy (CohortPreferencesWindow *self)
{
  gboolean can_test = !self->testing && !self->loading;

  gtk_widget_set_visible (GTK_WIDGET (self->test_spinner), self->testing);
  gtk_spinner_set_spinning (self->test_spinner, self->testing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.test-connection",
                                 can_test && cohort_preferences_window_is_valid (self));
}

/* Inline validation of one custom URL; returns whether it is acceptable. */
static gboolean
check_url_row (AdwEntryRow  *row,
               GString      *messages)
{
  g_autofree char *url = field_text (row);
  g_autoptr(GError) error = NULL;

  if (url == NULL || cohort_cio_check_base_url (url, &error))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
      return TRUE;
    }

  gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  if (messages->len > 0)
    g_string_append_c (messages, '\n');
  /* Translators: the first %s names a field, the second says what is wrong */
  g_string_append_printf (messages, _("%s: %s"),
                          adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                          error->message);
  return FALSE;
}

static gboolean
validate_urls (CohortPreferencesWindow *self)
{
  g_autoptr(GString) messages = g_string_new (NULL);
  gboolean ok;

  ok = check_url_row (self->track_url_row, messages);
  ok = check_url_row (self->app_url_row, messages) && ok;

  gtk_label_set_label (self->url_error_label, messages->str);
  gtk_widget_set_visible (GTK_WIDGET (self->url_error_label), !ok);
  return ok;
}

static void
show_keyring_message (CohortPreferencesWindow *self,
                      const char              *message,
                      gboolean                 is_error)
{
  gtk_label_set_label (self->keyring_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->keyring_label), message != NULL);
  if (is_error)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->keyring_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->keyring_label), "error");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->keyring_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->keyring_label), "dim-label");
    }
}

static void
clear_test_results (CohortPreferencesWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->track_result_row), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->app_result_row), FALSE);
  adw_action_row_set_subtitle (self->test_row, _("Checks both keys with Customer.io"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->test_row), "error");
}

/* Loading from the keyring */

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  CohortCredentials *creds = cohort_credentials_new ();

  /* Only the keyring: the environment overrides it for the command line
   * and for sync, but it is not what the user stored. */
  cohort_credentials_load_keyring (creds, cancellable);
  g_task_return_pointer (task, creds, (GDestroyNotify) cohort_credentials_free);
}

static void
load_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CohortPreferencesWindow *self = COHORT_PREFERENCES_WINDOW (source);
  g_autoptr(CohortCredentials) creds = g_task_propagate_pointer (G_TASK (result), NULL);

  self->loading = FALSE;
  if (is_gone (self))
    return;
  if (creds != NULL)
    {
      /* Whatever was typed while loading wins over what was stored. */
      if (self->save_source == 0)
        fill_fields (self, creds);
      validate_urls (self);
    }
  update_busy (self);
}

/* Saving to the keyring */

static void
store_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;

  if (cohort_credentials_store (task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
store_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CohortPreferencesWindow *self = COHORT_PREFERENCES_WINDOW (source);
  g_autoptr(GError) error = NULL;

  self->saving = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *message = NULL;

      if (is_gone (self))
        return;
      /* Not the keys: only what the keyring said. */
      g_debug ("Could not store the credentials: %s", error->message);
      message = g_strdup_printf (_("Could not save to the keyring: %s. Set up or unlock a keyring "
                                   "(such as GNOME Keyring), then edit a field to try again. The "
                                   "command line can also read the keys from COHORT_SITE_ID, "
                                   "COHORT_TRACK_API_KEY and COHORT_APP_API_KEY."),
                                 error->message);
      show_keyring_message (self, message, TRUE);
    }
  else if (is_gone (self))
    return;
  else
    show_keyring_message (self, _("Saved in your keyring."), FALSE);

  if (self->save_again)
    {
      self->save_again = FALSE;
      schedule_save (self);
    }
  update_busy (self);
}

static void
save_now (CohortPreferencesWindow *self)
{
  g_autoptr(GTask) task = NULL;

  g_clear_handle_id (&self->save_source, g_source_remove);

  if (self->saving)
    {
      self->save_again = TRUE;
      return;
    }
  /* A URL that would be refused is not stored; the field says why. */
  if (!validate_urls (self))
    return;

  self->saving = TRUE;
  /* The task keeps the window alive until the keyring answered. */
  task = g_task_new (self, self->cancellable, store_done_cb, NULL);
  g_task_set_source_tag (task, save_now);
  g_task_set_task_data (task, credentials_from_fields (self), (GDestroyNotify) cohort_credentials_free);
  g_task_run_in_thread (task, store_thread);
}

static gboolean
save_timeout_cb (gpointer user_data)
{
  CohortPreferencesWindow *self = user_data;

  self->save_source = 0;
  save_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_save (CohortPreferencesWindow *self)
{
  g_clear_handle_id (&self->save_source, g_source_remove);
  self->save_source = g_timeout_add (SAVE_DELAY_MS, save_timeout_cb, self);
}

static void
changed_cb (CohortPreferencesWindow *self)
{
  if (self->updating)
    return;

  clear_test_results (self);
  if (validate_urls (self))
    schedule_save (self);
  update_busy (self);
}

/* Test Connection */

static void
show_result (AdwActionRow *row,
             GtkImage     *icon,
             const GError *error)
{
  gtk_widget_set_visible (GTK_WIDGET (row), TRUE);
  if (error == NULL)
    {
      adw_action_row_set_subtitle (row, _("Connected: the key works"));
      gtk_image_set_from_icon_name (icon, "emblem-ok-symbolic");
      gtk_widget_remove_css_class (GTK_WIDGET (icon), "error");
      gtk_widget_add_css_class (GTK_WIDGET (icon), "success");
    }
  else
    {
      adw_action_row_set_subtitle (row, error->message);
      gtk_image_set_from_icon_name (icon, "dialog-error-symbolic");
      gtk_widget_remove_css_class (GTK_WIDGET (icon), "success");
      gtk_widget_add_css_class (GTK_WIDGET (icon), "error");
    }
}

static void
test_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CohortPreferencesWindow) self = user_data;
  g_autoptr(GError) track_error = NULL;
  g_autoptr(GError) app_error = NULL;
  gboolean ok;

  ok = cohort_cio_client_test_connection_finish (COHORT_CIO_CLIENT (source), result,
                                                 &track_error, &app_error);
  self->testing = FALSE;
  if (is_gone (self))
    return;

  show_result (self->track_result_row, self->track_result_icon, track_error);
  show_result (self->app_result_row, self->app_result_icon, app_error);
  adw_action_row_set_subtitle (self->test_row,
                               ok ? _("Both keys work")
                                  : _("A key did not work: see below"));
  /* Bring the answer into view (and to a screen reader). */
  gtk_widget_grab_focus (GTK_WIDGET (track_error == NULL && app_error != NULL
                                     ? self->app_result_row : self->track_result_row));
  update_busy (self);
}

static void
test_connection_activated (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  CohortPreferencesWindow *self = COHORT_PREFERENCES_WINDOW (widget);
  g_autoptr(CohortCredentials) creds = NULL;
  g_autoptr(CohortCioClient) client = NULL;
  g_autoptr(GError) error = NULL;

  if (self->testing)
    return;

  clear_test_results (self);
  creds = credentials_from_fields (self);
  client = cohort_cio_client_new (creds, &error);
  if (client == NULL)
    {
      /* A missing key or a refused URL: the message names it. */
      adw_action_row_set_subtitle (self->test_row, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->test_row), "error");
      return;
    }

  /* Test what is typed, and keep it. */
  if (self->save_source != 0)
    save_now (self);

  self->testing = TRUE;
  adw_action_row_set_subtitle (self->test_row, _("Testing…"));
  cohort_cio_client_test_connection_async (client, self->cancellable, test_done_cb,
                                           g_object_ref (self));
  update_busy (self);
}

static gboolean
cohort_preferences_window_close_request (GtkWindow *window)
{
  CohortPreferencesWindow *self = COHORT_PREFERENCES_WINDOW (window);

  /* Keep what was just typed. */
  if (self->save_source != 0)
    save_now (self);

  return GTK_WINDOW_CLASS (cohort_preferences_window_parent_class)->close_request (window);
}

static void
cohort_preferences_window_dispose (GObject *object)
{
  CohortPreferencesWindow *self = COHORT_PREFERENCES_WINDOW (object);

  g_clear_handle_id (&self->save_source, g_source_remove);
  /* A store in progress holds a reference: it is not cancelled here. */
  if (self->cancellable != NULL && !self->saving)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (cohort_preferences_window_parent_class)->dispose (object);
}

static void
cohort_preferences_window_class_init (CohortPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cohort_preferences_window_dispose;
  window_class->close_request = cohort_preferences_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, region_row);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, site_id_row);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, track_key_row);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, app_key_row);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, keyring_label);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, test_row);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, test_button);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, track_result_row);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, track_result_icon);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, app_result_row);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, app_result_icon);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, track_url_row);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, app_url_row);
  gtk_widget_class_bind_template_child (widget_class, CohortPreferencesWindow, url_error_label);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);

  gtk_widget_class_install_action (widget_class, "prefs.test-connection", NULL, test_connection_activated);
}

static void
cohort_preferences_window_init (CohortPreferencesWindow *self)
{
  g_autoptr(GTask) task = NULL;

  /* Building the rows must not look like the user changing them: an empty
   * save would clear the keyring. */
  self->updating = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));
  self->updating = FALSE;

  self->cancellable = g_cancellable_new ();
  self->loading = TRUE;
  update_busy (self);

  task = g_task_new (self, self->cancellable, load_done_cb, NULL);
  g_task_set_source_tag (task, cohort_preferences_window_init);
  g_task_run_in_thread (task, load_thread);
}

CohortPreferencesWindow *
cohort_preferences_window_new (GtkWindow *parent)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  return g_object_new (COHORT_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       NULL);
}

gboolean
cohort_preferences_window_is_valid (CohortPreferencesWindow *self)
{
  g_autofree char *track = NULL;
  g_autofree char *app = NULL;

  g_return_val_if_fail (COHORT_IS_PREFERENCES_WINDOW (self), FALSE);

  track = field_text (self->track_url_row);
  app = field_text (self->app_url_row);

  return (track == NULL || cohort_cio_check_base_url (track, NULL)) &&
         (app == NULL || cohort_cio_check_base_url (app, NULL));
}

gboolean
cohort_preferences_window_get_busy (CohortPreferencesWindow *self)
{
  g_return_val_if_fail (COHORT_IS_PREFERENCES_WINDOW (self), FALSE);

  return self->loading || self->saving || self->testing || self->save_source != 0;
}
