/* test-sync-state.c: what the window shows of Customer.io after a real sync
 * against a loopback fake: segments made there (badge, type, count, Fetch
 * Members), each local segment's sync state in its row and on its page, and
 * the question about segments deleted there (Publish Again, Deactivate)
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-members.h"
#include "cohort-remote-segment-page.h"
#include "cohort-segment-page.h"
#include "cohort-segment-row.h"
#include "cohort-sync-dialog.h"
#include "cohort-sync.h"
#include "cohort-ui-test.h"
#include "../cohort-test-customers.h"

/* The fake server is shared with the core and CLI sync tests. */
#include "../cio-fake-server.c"

#define ROW_CHILD(row, name) TEMPLATE_CHILD (row, COHORT_TYPE_SEGMENT_ROW, name)
#define PAGE_CHILD(page, name) TEMPLATE_CHILD (page, COHORT_TYPE_SEGMENT_PAGE, name)
#define REMOTE_CHILD(page, name) TEMPLATE_CHILD (page, COHORT_TYPE_REMOTE_SEGMENT_PAGE, name)

static gboolean
sync_ended (gpointer data)
{
  const char *page = cohort_sync_dialog_get_page (data);

  return (g_strcmp0 (page, "result") == 0 || g_strcmp0 (page, "error") == 0) &&
         !cohort_sync_dialog_get_busy (data);
}

/* Sync from the window (win.sync) and wait for the summary; the dialog is
 * left open (the question about deleted segments comes over it). */
static CohortSyncDialog *
sync_from_window (UiFixture *f)
{
  CohortSyncDialog *dialog;

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sync", NULL);
  ui_iterate ();
  dialog = ui_find_toplevel (COHORT_TYPE_SYNC_DIALOG);
  g_assert_nonnull (dialog);
  for (guint i = 0; i < 10 && !sync_ended (dialog); i++)
    ui_wait_until (sync_ended, dialog);
  g_assert_cmpstr (cohort_sync_dialog_get_page (dialog), ==, "result");
  return dialog;
}

static void
close_sync (CohortSyncDialog *dialog)
{
  gtk_window_destroy (GTK_WINDOW (dialog));
  ui_iterate ();
}

static void
put_customers (UiFixture *f,
               guint      n)
{
  CohortWorkspace *ws = cohort_window_get_workspace (f->window);
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_workspace_begin (ws, &error));
  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i);
      g_autofree char *email = g_strdup_printf ("c%u@example.com", i);

      test_put_customer (ws, i, id, email, NULL);
    }
  g_assert_true (cohort_workspace_commit (ws, &error));
  ui_iterate ();
}

static void
add_member (UiFixture     *f,
            CohortSegment *segment,
            const char    *id)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_auto(CohortMembersResult) result = { 0 };
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (ids, (gpointer) id);
  g_assert_true (cohort_members_add (cohort_window_get_workspace (f->window),
                                     cohort_segment_get_id (segment), ids, &result, &error));
  g_assert_no_error (error);
  ui_iterate ();
}

static CohortSyncState
core_state (UiFixture     *f,
            CohortSegment *segment)
{
  g_auto(CohortSyncStatus) status = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_sync_get_status (cohort_window_get_workspace (f->window),
                                         cohort_segment_get_id (segment), &status, &error));
  return status.state;
}

static CohortSegmentRow *
find_row_in (GtkWidget  *widget,
             const char *name)
{
  if (COHORT_IS_SEGMENT_ROW (widget) && gtk_widget_get_mapped (widget) &&
      g_strcmp0 (gtk_label_get_label (ROW_CHILD (widget, "name_label")), name) == 0)
    return COHORT_SEGMENT_ROW (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      CohortSegmentRow *row = find_row_in (child, name);

      if (row != NULL)
        return row;
    }
  return NULL;
}

/* The row shown for @name in the sidebar (local or from Customer.io). */
static CohortSegmentRow *
find_row (UiFixture  *f,
          const char *name)
{
  CohortSegmentRow *row;

  ui_iterate ();
  row = find_row_in (GTK_WIDGET (f->window), name);
  g_assert_nonnull (row);
  return row;
}

static const char *
row_sync_text (UiFixture  *f,
               const char *name)
{
  GtkLabel *label = ROW_CHILD (find_row (f, name), "sync_label");

  return gtk_widget_get_visible (GTK_WIDGET (label)) ? gtk_label_get_label (label) : "";
}

static gboolean
row_has_badge (UiFixture  *f,
               const char *name)
{
  return gtk_widget_get_visible (ROW_CHILD (find_row (f, name), "badge_label"));
}

static const char *
page_sync_text (UiFixture     *f,
                CohortSegment *segment)
{
  g_assert_true (cohort_window_select_segment (f->window, cohort_segment_get_id (segment)));
  ui_iterate ();
  return gtk_label_get_label (PAGE_CHILD (WINDOW_CHILD (f->window, "segment_page"), "sync_label"));
}

static gboolean
not_fetching (gpointer data)
{
  return !cohort_remote_segment_page_get_busy (data);
}

static void
test_remote_segments (UiFixture     *f,
                      gconstpointer  data)
{
  g_autoptr(FakeServer) server = fake_server_new ("site", "track-key", "app-key");
  const char *made_there[] = { "c1", "c2", NULL };
  const char *rules_there[] = { "c3", NULL };
  g_autoptr(CohortSegment) alpha = NULL;
  GtkListBox *remote_list = WINDOW_CHILD (f->window, "remote_list");
  CohortRemoteSegmentPage *remote_page = WINDOW_CHILD (f->window, "remote_page");
  GtkStack *content_stack = WINDOW_CHILD (f->window, "content_stack");
  CohortSegmentRow *row;
  GtkListBoxRow *list_row;
  gint64 total, pulled_at;
  gboolean complete;
  g_autoptr(GError) error = NULL;

  put_customers (f, 3);
  alpha = ui_create (f, "Alpha", COHORT_SEGMENT_MANUAL);
  add_member (f, alpha, "c1");
  fake_server_add_person (server, "c1", "c1@example.com");
  fake_server_add_person (server, "c2", "c2@example.com");
  fake_server_add_person (server, "c3", "c3@example.com");
  fake_server_add_segment (server, "Made there", "manual", made_there);
  fake_server_add_segment (server, "Rules there", "dynamic", rules_there);
  ui_set_credentials (fake_server_get_url (server));

  /* Before any sync: nothing from Customer.io. */
  g_assert_false (gtk_widget_get_visible (WINDOW_CHILD (f->window, "remote_heading")));
  g_assert_null (gtk_list_box_get_row_at_index (remote_list, 0));
  g_assert_cmpstr (row_sync_text (f, "Alpha"), ==, "");
  g_assert_false (row_has_badge (f, "Alpha"));
  g_assert_cmpstr (page_sync_text (f, alpha), ==, "Not published to Customer.io");

  close_sync (sync_from_window (f));
  /* No segment was deleted there: no question. */
  g_assert_null (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));

  /* The two made there, not Alpha's own remote segment. */
  g_assert_true (gtk_widget_get_visible (WINDOW_CHILD (f->window, "remote_heading")));
  g_assert_true (gtk_widget_get_visible (WINDOW_CHILD (f->window, "remote_scroller")));
  g_assert_nonnull (gtk_list_box_get_row_at_index (remote_list, 1));
  g_assert_null (gtk_list_box_get_row_at_index (remote_list, 2));

  row = find_row (f, "Made there");
  g_assert_true (gtk_widget_get_visible (ROW_CHILD (row, "badge_label")));
  g_assert_cmpstr (gtk_label_get_label (ROW_CHILD (row, "badge_label")), ==, "Customer.io");
  g_assert_cmpstr (gtk_label_get_label (ROW_CHILD (row, "kind_label")), ==, "Manual");
  g_assert_cmpstr (gtk_label_get_label (ROW_CHILD (row, "count_label")), ==, "2");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Customer.io segment, Manual");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (gtk_list_box_get_row_at_index (remote_list, 0)),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Made there");
  row = find_row (f, "Rules there");
  g_assert_cmpstr (gtk_label_get_label (ROW_CHILD (row, "kind_label")), ==, "Data-driven");
  g_assert_cmpstr (gtk_label_get_label (ROW_CHILD (row, "count_label")), ==, "1");

  /* Alpha is published: its badge, and synced. */
  g_assert_true (row_has_badge (f, "Alpha"));
  g_assert_cmpstr (row_sync_text (f, "Alpha"), ==, "Synced");
  g_assert_cmpstr (page_sync_text (f, alpha), ==, "Synced");
  ui_screenshot ("sync-state-sidebar");

  /* A segment made there: its page. */
  list_row = gtk_list_box_get_row_at_index (remote_list, 0);
  gtk_list_box_select_row (remote_list, list_row);
  ui_iterate ();
  g_assert_cmpstr (gtk_stack_get_visible_child_name (content_stack), ==, "remote");
  g_assert_cmpint (cohort_window_get_selected_id (f->window), ==, 0);
  g_assert_cmpstr (gtk_label_get_label (REMOTE_CHILD (remote_page, "name_label")), ==, "Made there");
  g_assert_cmpstr (gtk_label_get_label (REMOTE_CHILD (remote_page, "type_label")), ==, "Manual");
  g_assert_cmpstr (gtk_label_get_label (REMOTE_CHILD (remote_page, "count_label")), ==, "2");
  g_assert_cmpstr (gtk_label_get_label (REMOTE_CHILD (remote_page, "fetched_label")), ==, "Not fetched yet");
  g_assert_true (gtk_widget_get_visible (REMOTE_CHILD (remote_page, "fetch_button")));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (REMOTE_CHILD (remote_page, "fetch_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Fetch Members");
  ui_screenshot ("sync-state-remote-page");

  /* Fetch Members: the members land in the workspace, as with
   * `cohort remote members`. */
  /* (Not ui_click (): it would run the loop until the fetch is over.) */
  g_signal_emit_by_name (REMOTE_CHILD (remote_page, "fetch_button"), "clicked");
  g_assert_true (cohort_remote_segment_page_get_busy (remote_page));
  g_assert_true (gtk_widget_get_visible (REMOTE_CHILD (remote_page, "cancel_button")));
  for (guint i = 0; i < 5 && !not_fetching (remote_page); i++)
    ui_wait_until (not_fetching, remote_page);
  g_assert_false (cohort_remote_segment_page_get_busy (remote_page));
  g_assert_false (gtk_widget_get_visible (REMOTE_CHILD (remote_page, "fetch_error_label")));
  g_assert_true (g_str_has_prefix (gtk_label_get_label (REMOTE_CHILD (remote_page, "fetched_label")),
                                   "2 members, "));
  g_assert_true (cohort_sync_get_member_pull (cohort_window_get_workspace (f->window),
                                              cohort_remote_segment_get_id (cohort_remote_segment_page_get_segment (remote_page)),
                                              &total, &complete, &pulled_at, &error));
  g_assert_cmpint (total, ==, 2);
  g_assert_true (complete);
  ui_screenshot ("sync-state-fetched");

  /* On a narrow window, activating the row (Enter, a click) opens its page. */
  gtk_widget_set_visible (GTK_WIDGET (f->window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 400, 700);
  gtk_window_present (GTK_WINDOW (f->window));
  ui_iterate ();
  if (adw_leaflet_get_folded (WINDOW_CHILD (f->window, "leaflet")))
    {
      AdwLeaflet *leaflet = WINDOW_CHILD (f->window, "leaflet");

      ui_click (WINDOW_CHILD (f->window, "back_button"));
      g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "sidebar");
      ui_screenshot ("sync-state-narrow");
      g_signal_emit_by_name (remote_list, "row-activated", gtk_list_box_get_row_at_index (remote_list, 0));
      ui_iterate ();
      g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "content");
      g_assert_cmpstr (gtk_stack_get_visible_child_name (content_stack), ==, "remote");
    }
  else
    g_test_message ("the window did not fold: narrow navigation not checked");
  gtk_widget_set_visible (GTK_WIDGET (f->window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 680);
  gtk_window_present (GTK_WINDOW (f->window));
  ui_iterate ();

  /* The data-driven one: no members to fetch. */
  gtk_list_box_select_row (remote_list, gtk_list_box_get_row_at_index (remote_list, 1));
  ui_iterate ();
  g_assert_cmpstr (gtk_label_get_label (REMOTE_CHILD (remote_page, "name_label")), ==, "Rules there");
  g_assert_cmpstr (gtk_label_get_label (REMOTE_CHILD (remote_page, "type_label")), ==, "Data-driven");
  g_assert_false (gtk_widget_get_visible (REMOTE_CHILD (remote_page, "fetch_box")));

  /* Picking a local segment leaves the remote one. */
  g_assert_true (cohort_window_select_segment (f->window, cohort_segment_get_id (alpha)));
  ui_iterate ();
  g_assert_cmpstr (gtk_stack_get_visible_child_name (content_stack), ==, "segment");
  g_assert_null (gtk_list_box_get_selected_row (remote_list));

  /* Search filters both lists. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL);
  gtk_editable_set_text (GTK_EDITABLE (WINDOW_CHILD (f->window, "search_entry")), "rules");
  {
    /* After the entry's search delay. */
    gpointer args[] = { cohort_window_get_segments (f->window), GUINT_TO_POINTER (0) };
    g_assert_true (ui_wait_until (n_items_is, args));
  }
  ui_iterate ();
  g_assert_nonnull (gtk_list_box_get_row_at_index (remote_list, 0));
  g_assert_null (gtk_list_box_get_row_at_index (remote_list, 1));
  /* Only segments from Customer.io match: no "No Results" over them. */
  g_assert_false (gtk_widget_get_visible (WINDOW_CHILD (f->window, "sidebar_stack")));
  ui_screenshot ("sync-state-search");
  /* Enter opens the match. */
  g_signal_emit_by_name (WINDOW_CHILD (f->window, "search_entry"), "activate");
  ui_iterate ();
  g_assert_cmpstr (gtk_stack_get_visible_child_name (content_stack), ==, "remote");
  g_assert_cmpstr (gtk_label_get_label (REMOTE_CHILD (remote_page, "name_label")), ==, "Rules there");

  gtk_editable_set_text (GTK_EDITABLE (WINDOW_CHILD (f->window, "search_entry")), "alp");
  {
    gpointer args[] = { WINDOW_CHILD (f->window, "remote_model"), GUINT_TO_POINTER (0) };
    g_assert_true (ui_wait_until (n_items_is, args));
  }
  ui_iterate ();
  g_assert_cmpuint (g_list_model_get_n_items (cohort_window_get_segments (f->window)), ==, 1);
  g_assert_false (gtk_widget_get_visible (WINDOW_CHILD (f->window, "remote_scroller")));
  g_assert_true (gtk_widget_get_visible (WINDOW_CHILD (f->window, "sidebar_stack")));

  ui_unset_credentials ();
}

static void
test_states (UiFixture     *f,
             gconstpointer  data)
{
  g_autoptr(FakeServer) server = fake_server_new ("site", "track-key", "app-key");
  g_autoptr(CohortSegment) synced = NULL;
  g_autoptr(CohortSegment) pending = NULL;
  g_autoptr(CohortSegment) failing = NULL;
  g_autoptr(CohortSegment) gone = NULL;
  g_autoptr(CohortWorkspace) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) remote = NULL;
  CohortSegmentPage *page = WINDOW_CHILD (f->window, "segment_page");
  CohortSyncDialog *dialog;
  AdwMessageDialog *question;
  const char *text;
  sqlite3_stmt *stmt;

  put_customers (f, 6);
  for (guint i = 1; i <= 6; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i);
      g_autofree char *email = g_strdup_printf ("c%u@example.com", i);

      fake_server_add_person (server, id, email);
    }
  synced = ui_create (f, "Synced", COHORT_SEGMENT_MANUAL);
  pending = ui_create (f, "Pending", COHORT_SEGMENT_MANUAL);
  failing = ui_create (f, "Failing", COHORT_SEGMENT_MANUAL);
  gone = ui_create (f, "Gone", COHORT_SEGMENT_MANUAL);
  add_member (f, synced, "c1");
  add_member (f, gone, "c2");
  ui_set_credentials (fake_server_get_url (server));
  close_sync (sync_from_window (f));
  g_assert_cmpstr (row_sync_text (f, "Pending"), ==, "Synced");

  /* Pending: changes made since. */
  add_member (f, pending, "c3");
  add_member (f, pending, "c4");
  text = row_sync_text (f, "Pending");
  g_test_message ("pending row: %s", text);
  g_assert_true (g_str_has_suffix (text, "waiting"));
  g_assert_cmpint (core_state (f, pending), ==, COHORT_SYNC_STATE_PENDING);
  text = page_sync_text (f, pending);
  g_assert_true (g_str_has_suffix (text, "waiting to sync"));
  g_assert_true (g_ascii_isdigit (text[0]));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (find_row (f, "Pending")),
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text);

  /* Error: what the last sync said, written by another process (the
   * command line); F5 shows it. */
  other = ui_open_again (f);
  stmt = cohort_workspace_prepare (other, "UPDATE sync_status SET state = 'error', "
                                          "error = 'Customer.io refused the batch' WHERE segment = ?", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, cohort_segment_get_id (failing));
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.refresh", NULL);
  ui_iterate ();
  g_assert_cmpint (core_state (f, failing), ==, COHORT_SYNC_STATE_ERROR);
  g_assert_cmpstr (row_sync_text (f, "Failing"), ==, "Sync failed");
  g_assert_true (gtk_widget_has_css_class (ROW_CHILD (find_row (f, "Failing"), "sync_label"), "error"));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (find_row (f, "Failing")),
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "Sync failed: Customer.io refused the batch");
  g_assert_cmpstr (page_sync_text (f, failing), ==, "Sync failed: Customer.io refused the batch");
  ui_screenshot ("sync-state-error");

  /* Deleted in Customer.io: the next sync marks it and asks. */
  remote = fake_server_find_segments (server, "Gone");
  g_assert_cmpuint (remote->len, ==, 1);
  fake_server_delete_segment (server, g_array_index (remote, gint64, 0));
  add_member (f, gone, "c5");
  dialog = sync_from_window (f);
  question = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (question);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (question)) == GTK_WINDOW (dialog));
  g_assert_cmpstr (adw_message_dialog_get_heading (question), ==, "“Gone” Was Deleted in Customer.io");
  g_assert_cmpstr (adw_message_dialog_get_default_response (question), ==, "publish");
  ui_screenshot ("sync-state-question");
  ui_respond (question, "later");
  close_sync (dialog);

  /* Later: the row and the page say so, and the page asks again. */
  g_assert_cmpint (core_state (f, gone), ==, COHORT_SYNC_STATE_UNLINKED);
  g_assert_cmpstr (row_sync_text (f, "Gone"), ==, "Deleted in Customer.io");
  g_assert_false (row_has_badge (f, "Gone"));
  g_assert_cmpstr (page_sync_text (f, gone), ==, "Deleted in Customer.io");
  g_assert_true (gtk_widget_get_visible (PAGE_CHILD (page, "unlinked_box")));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (PAGE_CHILD (page, "publish_again_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Publish Again");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (PAGE_CHILD (page, "deactivate_button")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Deactivate");
  ui_screenshot ("sync-state-unlinked-page");

  /* Publish Again on the page: published anew at the next sync. */
  ui_click (PAGE_CHILD (page, "publish_again_button"));
  g_assert_cmpint (core_state (f, gone), ==, COHORT_SYNC_STATE_NOT_PUBLISHED);
  g_assert_false (gtk_widget_get_visible (PAGE_CHILD (page, "unlinked_box")));
  g_assert_cmpstr (page_sync_text (f, gone), ==, "Not published to Customer.io");
  close_sync (sync_from_window (f));
  g_assert_null (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpint (core_state (f, gone), ==, COHORT_SYNC_STATE_SYNCED);
  g_assert_cmpstr (row_sync_text (f, "Gone"), ==, "Synced");
  g_assert_true (row_has_badge (f, "Gone"));
  g_array_unref (remote);
  remote = fake_server_find_segments (server, "Gone");
  g_assert_cmpuint (remote->len, ==, 1);

  /* Deleted again: Publish Again from the question. */
  fake_server_delete_segment (server, g_array_index (remote, gint64, 0));
  add_member (f, gone, "c6");
  dialog = sync_from_window (f);
  question = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (question);
  ui_respond (question, "publish");
  g_assert_cmpint (core_state (f, gone), ==, COHORT_SYNC_STATE_NOT_PUBLISHED);
  close_sync (dialog);
  close_sync (sync_from_window (f));
  g_assert_cmpint (core_state (f, gone), ==, COHORT_SYNC_STATE_SYNCED);

  /* And again: Deactivate from the question keeps it here only. */
  g_array_unref (remote);
  remote = fake_server_find_segments (server, "Gone");
  g_assert_cmpuint (remote->len, ==, 1);
  fake_server_delete_segment (server, g_array_index (remote, gint64, 0));
  add_member (f, gone, "c1");
  dialog = sync_from_window (f);
  question = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (question);
  ui_respond (question, "deactivate");
  close_sync (dialog);
  g_assert_cmpint (core_state (f, gone), ==, COHORT_SYNC_STATE_INACTIVE);
  g_assert_cmpstr (page_sync_text (f, gone), ==, "Inactive: not synced");
  g_assert_false (gtk_widget_get_visible (PAGE_CHILD (page, "unlinked_box")));
  /* Not created again behind the user's back. */
  close_sync (sync_from_window (f));
  g_assert_null (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_array_unref (remote);
  remote = fake_server_find_segments (server, "Gone");
  g_assert_cmpuint (remote->len, ==, 0);

  ui_unset_credentials ();
}

int
main (int    argc,
      char **argv)
{
  /* No session bus: no keyring; the credentials come from the environment. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/cohort-test-bus", TRUE);
  ui_unset_credentials ();

  ui_init (&argc, &argv);
  {
    /* The application's style (an AdwApplication loads it), for screenshots. */
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (css, RESOURCE_BASE "/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  g_test_add ("/ui/sync-state/remote-segments", UiFixture, NULL,
              ui_fixture_set_up, test_remote_segments, ui_fixture_tear_down);
  g_test_add ("/ui/sync-state/states", UiFixture, NULL,
              ui_fixture_set_up, test_states, ui_fixture_tear_down);

  return g_test_run ();
}
