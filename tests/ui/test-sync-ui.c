/* test-sync-ui.c: the preferences window (validation, no keyring), Preview
 * Sync (a dry run, no network) and Sync against a loopback fake Customer.io
 *
 * The session bus is pointed nowhere, as on a desktop without a keyring:
 * every keyring call fails at once, which is the path the UI must explain.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-preferences-window.h"
#include "cohort-sync-button.h"
#include "cohort-sync-dialog.h"
#include "cohort-ui-test.h"

/* The fake server is shared with the core and CLI sync tests. */
#include "../cio-fake-server.c"

#define PREFS_CHILD(w, name) TEMPLATE_CHILD (w, COHORT_TYPE_PREFERENCES_WINDOW, name)
#define SYNC_CHILD(w, name) TEMPLATE_CHILD (w, COHORT_TYPE_SYNC_DIALOG, name)

static gboolean
wait_busy_prefs (gpointer data)
{
  return !cohort_preferences_window_get_busy (data);
}

static gboolean
wait_sync_page (gpointer data)
{
  gpointer *args = data;

  return g_strcmp0 (cohort_sync_dialog_get_page (args[0]), args[1]) == 0 &&
         !cohort_sync_dialog_get_busy (args[0]);
}

static gboolean
wait_sync_idle (gpointer data)
{
  return !cohort_sync_dialog_get_busy (data);
}

static void
wait_page (CohortSyncDialog *dialog,
           const char       *page)
{
  gpointer args[] = { dialog, (gpointer) page };

  /* A thread and maybe HTTP: allow more than ui_wait_until's two seconds. */
  for (guint i = 0; i < 5 && !wait_sync_page (args); i++)
    ui_wait_until (wait_sync_page, args);
  g_assert_cmpstr (cohort_sync_dialog_get_page (dialog), ==, page);
}

/* The titles of every action row under @widget, joined by newlines. */
static void
collect_titles (GtkWidget *widget,
                GString   *out)
{
  if (ADW_IS_ACTION_ROW (widget) && gtk_widget_get_visible (widget))
    {
      g_string_append (out, adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)));
      g_string_append_c (out, '\n');
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_titles (child, out);
}

static char *
titles_of (gpointer widget)
{
  GString *out = g_string_new (NULL);

  collect_titles (widget, out);
  return g_string_free (out, FALSE);
}

static GtkWidget *
find_widget (GtkWidget *widget,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static CohortPreferencesWindow *
open_preferences (UiFixture *f)
{
  CohortPreferencesWindow *prefs = cohort_preferences_window_new (GTK_WINDOW (f->window));

  gtk_window_present (GTK_WINDOW (prefs));
  /* Reading the (missing) keyring ends quickly and fills nothing. */
  g_assert_true (ui_wait_until (wait_busy_prefs, prefs));
  return prefs;
}

static void
set_field (gpointer    prefs,
           const char *name,
           const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (PREFS_CHILD (prefs, name)), text);
  ui_iterate ();
}

static void
test_url_validation (UiFixture     *f,
                     gconstpointer  data)
{
  CohortPreferencesWindow *prefs = open_preferences (f);
  GtkWidget *track_row = PREFS_CHILD (prefs, "track_url_row");
  GtkWidget *app_row = PREFS_CHILD (prefs, "app_url_row");
  GtkLabel *error_label = PREFS_CHILD (prefs, "url_error_label");
  const char *valid[] = { "", "https://track.example.com", "https://proxy.example.com:8443/cio",
                          "http://127.0.0.1:8080", "http://localhost:9000", "http://[::1]:8000" };
  const char *invalid[] = { "http://example.com", "http://192.168.1.10:8080", "ftp://example.com",
                            "not a url" };

  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (error_label)));

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_test_message ("invalid: %s", invalid[i]);
      set_field (prefs, "track_url_row", invalid[i]);
      g_assert_true (gtk_widget_has_css_class (track_row, "error"));
      g_assert_true (gtk_widget_get_visible (GTK_WIDGET (error_label)));
      /* The message names the field. */
      g_assert_nonnull (strstr (gtk_label_get_label (error_label), "Track API Address"));
      g_assert_false (cohort_preferences_window_is_valid (prefs));
      /* No test against a refused address. */
      g_assert_false (gtk_widget_is_sensitive (PREFS_CHILD (prefs, "test_button")));
    }

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_test_message ("valid: %s", valid[i]);
      set_field (prefs, "track_url_row", valid[i]);
      g_assert_false (gtk_widget_has_css_class (track_row, "error"));
      g_assert_false (gtk_widget_get_visible (GTK_WIDGET (error_label)));
      g_assert_true (cohort_preferences_window_is_valid (prefs));
    }

  set_field (prefs, "track_url_row", "http://example.com");
  ui_screenshot ("prefs-invalid-url");
  set_field (prefs, "track_url_row", "");

  /* The App API address is checked the same way. */
  set_field (prefs, "app_url_row", "http://cio.example.net");
  g_assert_true (gtk_widget_has_css_class (app_row, "error"));
  g_assert_nonnull (strstr (gtk_label_get_label (error_label), "App API Address"));
  set_field (prefs, "app_url_row", "");
  g_assert_false (gtk_widget_has_css_class (app_row, "error"));

  /* Accessible names are the visible labels. */
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (track_row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Track API Address");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (PREFS_CHILD (prefs, "app_key_row")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "App API Key");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (PREFS_CHILD (prefs, "test_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Test");

  g_assert_true (ui_wait_until (wait_busy_prefs, prefs));
}

static void
test_keyring_unavailable (UiFixture     *f,
                          gconstpointer  data)
{
  CohortPreferencesWindow *prefs = open_preferences (f);
  GtkLabel *label = PREFS_CHILD (prefs, "keyring_label");

  /* Nothing was stored, and nothing is said until something is saved. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (PREFS_CHILD (prefs, "site_id_row"))), ==, "");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (label)));

  set_field (prefs, "site_id_row", "site-123");
  set_field (prefs, "track_key_row", "track-secret");
  g_assert_true (cohort_preferences_window_get_busy (prefs));
  g_assert_true (ui_wait_until (wait_busy_prefs, prefs));

  /* Saving failed, and the window says so and what to do. */
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (label)));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (label), "error"));
  g_assert_nonnull (strstr (gtk_label_get_label (label), "keyring"));
  ui_screenshot ("prefs-no-keyring");
  /* Never a key in the message. */
  g_assert_null (strstr (gtk_label_get_label (label), "track-secret"));

  /* Test Connection with a missing key says which one, without a crash. */
  gtk_widget_activate_action (GTK_WIDGET (prefs), "prefs.test-connection", NULL);
  ui_iterate ();
  g_assert_true (gtk_widget_has_css_class (PREFS_CHILD (prefs, "test_row"), "error"));

  /* Closing flushes nothing dangerous either. */
  set_field (prefs, "app_key_row", "app-secret");
  gtk_window_close (GTK_WINDOW (prefs));
  ui_iterate ();
}

static void
test_preview_sync (UiFixture     *f,
                   gconstpointer  data)
{
  g_autoptr(CohortSegment) segment = ui_create (f, "Newsletter", COHORT_SEGMENT_MANUAL);
  CohortSyncDialog *dialog;
  g_autofree char *titles = NULL;

  /* No credentials and no server: a dry run needs neither. */
  ui_unset_credentials ();

  dialog = cohort_sync_dialog_new (GTK_WINDOW (f->window), cohort_window_get_workspace (f->window),
                                   COHORT_SYNC_DIALOG_PREVIEW);
  gtk_window_present (GTK_WINDOW (dialog));
  wait_page (dialog, "preview");

  titles = titles_of (SYNC_CHILD (dialog, "plan_group"));
  g_test_message ("plan: %s", titles);
  g_assert_nonnull (strstr (titles, "create"));
  g_assert_nonnull (strstr (titles, "Newsletter"));
  g_assert_true (gtk_widget_get_visible (SYNC_CHILD (dialog, "sync_button")));
  ui_screenshot ("preview-sync");
  g_assert_true (gtk_window_get_default_widget (GTK_WINDOW (dialog)) == SYNC_CHILD (dialog, "sync_button"));

  /* Sync Now without credentials: a clear message and a way to enter them. */
  ui_click (SYNC_CHILD (dialog, "sync_button"));
  wait_page (dialog, "error");
  g_assert_true (gtk_widget_get_visible (SYNC_CHILD (dialog, "preferences_button")));
  ui_screenshot ("sync-no-credentials");
  g_assert_cmpstr (adw_status_page_get_title (SYNC_CHILD (dialog, "error_page")), ==,
                   "Connect to Customer.io First");

  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  ui_click (SYNC_CHILD (dialog, "preferences_button"));
  g_assert_null (dialog);
  g_assert_nonnull (ui_find_toplevel (COHORT_TYPE_PREFERENCES_WINDOW));
  g_assert_true (ui_wait_until (wait_busy_prefs, ui_find_toplevel (COHORT_TYPE_PREFERENCES_WINDOW)));
}

static void
test_sync (UiFixture     *f,
           gconstpointer  data)
{
  g_autoptr(FakeServer) server = fake_server_new ("site", "track-key", "app-key");
  g_autoptr(CohortSegment) segment = ui_create (f, "Trial users", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegment) other = ui_create (f, "Churned", COHORT_SEGMENT_MANUAL);
  CohortSyncDialog *dialog;
  GtkProgressBar *bar;
  g_autofree char *titles = NULL;
  g_autofree char *again = NULL;

  ui_set_credentials (fake_server_get_url (server));

  dialog = cohort_sync_dialog_new (GTK_WINDOW (f->window), cohort_window_get_workspace (f->window),
                                   COHORT_SYNC_DIALOG_SYNC);
  gtk_window_present (GTK_WINDOW (dialog));
  wait_page (dialog, "result");

  /* The bar ended full: every operation done. */
  bar = SYNC_CHILD (dialog, "progress_bar");
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (bar), ==, 1.0);
  g_assert_cmpstr (adw_status_page_get_title (SYNC_CHILD (dialog, "result_page")), ==, "Sync Complete");
  titles = titles_of (SYNC_CHILD (dialog, "segments_group"));
  g_assert_nonnull (strstr (titles, "Trial users"));
  g_assert_nonnull (strstr (titles, "Churned"));
  g_assert_false (gtk_widget_get_visible (SYNC_CHILD (dialog, "failures_group")));
  ui_screenshot ("sync-result");
  gtk_window_destroy (GTK_WINDOW (dialog));
  ui_iterate ();

  /* Nothing left to send. */
  dialog = cohort_sync_dialog_new (GTK_WINDOW (f->window), cohort_window_get_workspace (f->window),
                                   COHORT_SYNC_DIALOG_PREVIEW);
  gtk_window_present (GTK_WINDOW (dialog));
  wait_page (dialog, "preview");
  again = titles_of (SYNC_CHILD (dialog, "plan_group"));
  g_assert_nonnull (strstr (again, "Nothing to send"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  ui_iterate ();

  /* A refused key: the sync stops and the message names the key. */
  g_setenv ("COHORT_APP_API_KEY", "wrong", TRUE);
  ui_add (f, "Later", COHORT_SEGMENT_MANUAL);
  dialog = cohort_sync_dialog_new (GTK_WINDOW (f->window), cohort_window_get_workspace (f->window),
                                   COHORT_SYNC_DIALOG_SYNC);
  gtk_window_present (GTK_WINDOW (dialog));
  for (guint i = 0; i < 5 && cohort_sync_dialog_get_busy (dialog); i++)
    ui_wait_until (wait_sync_idle, dialog);
  g_assert_false (cohort_sync_dialog_get_busy (dialog));
  g_test_message ("page after a refused key: %s", cohort_sync_dialog_get_page (dialog));
  ui_screenshot ("sync-refused-key");
  g_assert_cmpstr (cohort_sync_dialog_get_page (dialog), ==, "result");
  titles = (g_free (titles), titles_of (SYNC_CHILD (dialog, "failures_group")));
  g_assert_nonnull (strstr (titles, "App API key"));
  g_assert_null (strstr (titles, "wrong"));
  g_assert_true (gtk_widget_get_visible (SYNC_CHILD (dialog, "result_preferences_button")));

  ui_unset_credentials ();
}

static void
iterate_briefly (void)
{
  gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 10;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

/* A loopback server that accepts connections and never answers: a sync
 * against it runs until it is cancelled. */
static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  g_ptr_array_add (user_data, g_object_ref (connection));
  return TRUE;
}

static void
test_cancel_sync (UiFixture     *f,
                  gconstpointer  data)
{
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  CohortSyncDialog *dialog;
  CohortSyncButton *button;

  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (incoming_cb), connections);
  g_socket_service_start (service);
  url = g_strdup_printf ("http://127.0.0.1:%u",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));

  ui_add (f, "Segment", COHORT_SEGMENT_MANUAL);
  ui_set_credentials (url);

  dialog = cohort_sync_dialog_new (GTK_WINDOW (f->window), cohort_window_get_workspace (f->window),
                                   COHORT_SYNC_DIALOG_SYNC);
  gtk_window_present (GTK_WINDOW (dialog));
  {
    gpointer args[] = { dialog, (gpointer) "progress" };
    gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

    while ((g_strcmp0 (cohort_sync_dialog_get_page (dialog), "progress") != 0 || connections->len == 0) &&
           g_get_monotonic_time () < end)
      ui_wait_until (wait_sync_page, args);
  }
  g_assert_cmpstr (cohort_sync_dialog_get_page (dialog), ==, "progress");
  g_assert_cmpuint (connections->len, >, 0);
  ui_screenshot ("sync-progress");

  /* The header bar shows the sync; Run in Background hides the dialog and
   * the button brings it back. */
  button = COHORT_SYNC_BUTTON (find_widget (GTK_WIDGET (f->window), COHORT_TYPE_SYNC_BUTTON));
  g_assert_nonnull (button);
  g_assert_true (cohort_sync_button_get_busy (button));
  g_assert_true (gtk_widget_get_visible (SYNC_CHILD (dialog, "hide_button")));
  /* (Not ui_click (): while a spinner spins, there is always something to
   * do and ui_iterate () would not return.) */
  g_signal_emit_by_name (SYNC_CHILD (dialog, "hide_button"), "clicked");
  iterate_briefly ();
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  ui_screenshot ("sync-in-background");
  g_assert_true (cohort_sync_button_get_busy (button));
  /* Sync from the menu meanwhile shows the running one, starts no other. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sync", NULL);
  iterate_briefly ();
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_true (cohort_sync_dialog_get_running (GTK_WINDOW (f->window)) == dialog);
  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    guint n_dialogs = 0;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

        n_dialogs += COHORT_IS_SYNC_DIALOG (w);
      }
    g_assert_cmpuint (n_dialogs, ==, 1);
  }
  g_signal_emit_by_name (SYNC_CHILD (dialog, "hide_button"), "clicked");
  iterate_briefly ();
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (dialog)));

  g_signal_emit_by_name (adw_bin_get_child (ADW_BIN (button)), "clicked");
  iterate_briefly ();
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_cmpstr (cohort_sync_dialog_get_page (dialog), ==, "progress");

  /* Escape cancels and the dialog stays to say so. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "window.close", NULL);
  wait_page (dialog, "result");
  g_assert_cmpstr (adw_status_page_get_title (SYNC_CHILD (dialog, "result_page")), ==, "Sync Cancelled");
  ui_screenshot ("sync-cancelled");
  g_assert_false (cohort_sync_button_get_busy (button));
  gtk_window_destroy (GTK_WINDOW (dialog));
  ui_iterate ();

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  ui_unset_credentials ();
}

static gboolean
not_testing (gpointer data)
{
  return !cohort_preferences_window_get_busy (data) &&
         gtk_widget_get_visible (PREFS_CHILD (data, "app_result_row"));
}

static void
test_connection (UiFixture     *f,
                 gconstpointer  data)
{
  g_autoptr(FakeServer) server = fake_server_new ("site", "track-key", "app-key");
  CohortPreferencesWindow *prefs = open_preferences (f);
  const char *track, *app;

  set_field (prefs, "site_id_row", "site");
  set_field (prefs, "track_key_row", "track-key");
  set_field (prefs, "app_key_row", "not-the-app-key");
  adw_combo_row_set_selected (PREFS_CHILD (prefs, "region_row"), 1);
  set_field (prefs, "track_url_row", fake_server_get_url (server));
  set_field (prefs, "app_url_row", fake_server_get_url (server));

  gtk_widget_activate_action (GTK_WIDGET (prefs), "prefs.test-connection", NULL);
  for (guint i = 0; i < 5 && !not_testing (prefs); i++)
    ui_wait_until (not_testing, prefs);
  g_assert_true (not_testing (prefs));

  /* Which key works and which does not, and why. */
  track = adw_action_row_get_subtitle (PREFS_CHILD (prefs, "track_result_row"));
  app = adw_action_row_get_subtitle (PREFS_CHILD (prefs, "app_result_row"));
  g_test_message ("track: %s; app: %s", track, app);
  g_assert_cmpstr (track, ==, "Connected: the key works");
  g_assert_nonnull (strstr (app, "App API key"));
  g_assert_null (strstr (app, "not-the-app-key"));
  ui_screenshot ("prefs-test-connection");
}

static void
test_window_actions (UiFixture     *f,
                     gconstpointer  data)
{
  CohortSyncDialog *dialog;

  ui_unset_credentials ();
  ui_add (f, "Newsletter", COHORT_SEGMENT_MANUAL);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.preview-sync", NULL);
  ui_iterate ();
  dialog = ui_find_toplevel (COHORT_TYPE_SYNC_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  wait_page (dialog, "preview");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Preview Sync");

  /* Escape closes when nothing runs. */
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "window.close", NULL);
  ui_iterate ();
  g_assert_null (dialog);
}

int
main (int    argc,
      char **argv)
{
  /* No session bus: no keyring (and no prompt that would hang a test). */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/cohort-test-bus", TRUE);
  ui_unset_credentials ();

  ui_init (&argc, &argv);

  g_test_add ("/ui/sync/preferences/url-validation", UiFixture, NULL,
              ui_fixture_set_up, test_url_validation, ui_fixture_tear_down);
  g_test_add ("/ui/sync/preferences/keyring-unavailable", UiFixture, NULL,
              ui_fixture_set_up, test_keyring_unavailable, ui_fixture_tear_down);
  g_test_add ("/ui/sync/preview", UiFixture, NULL,
              ui_fixture_set_up, test_preview_sync, ui_fixture_tear_down);
  g_test_add ("/ui/sync/sync", UiFixture, NULL,
              ui_fixture_set_up, test_sync, ui_fixture_tear_down);
  g_test_add ("/ui/sync/cancel", UiFixture, NULL,
              ui_fixture_set_up, test_cancel_sync, ui_fixture_tear_down);

  g_test_add ("/ui/sync/preferences/test-connection", UiFixture, NULL,
              ui_fixture_set_up, test_connection, ui_fixture_tear_down);
  g_test_add ("/ui/sync/window-actions", UiFixture, NULL,
              ui_fixture_set_up, test_window_actions, ui_fixture_tear_down);

  return g_test_run ();
}
