/* test-members-ui.c: manual segments in the window: Add to Segment from the
 * Customers view, Add Customers…, Remove, Clear Segment… with Undo, and
 * Save as Manual Segment…
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-add-members-dialog.h"
#include "cohort-criteria.h"
#include "cohort-customer-item.h"
#include "cohort-customers-view.h"
#include "cohort-importer.h"
#include "cohort-members.h"
#include "cohort-members-panel.h"
#include "cohort-segment-page.h"
#include "cohort-segment.h"
#include "cohort-ui-members.h"
#include "cohort-ui-test.h"

#define PANEL_CHILD(panel, name) TEMPLATE_CHILD (panel, COHORT_TYPE_MEMBERS_PANEL, name)
#define ADD_CHILD(dialog, name) TEMPLATE_CHILD (dialog, COHORT_TYPE_ADD_MEMBERS_DIALOG, name)

static void
import_customers (UiFixture *f,
                  guint      n)
{
  g_autoptr(GString) csv = g_string_new ("id,email\n");
  g_autofree char *path = g_build_filename (f->dir, "customers.csv", NULL);
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 1; i <= n; i++)
    g_string_append_printf (csv, "c%05u,person%u@example.com\n", i, i);
  g_assert_true (g_file_set_contents (path, csv->str, (gssize) csv->len, NULL));

  importer = cohort_importer_new (path);
  g_assert_true (cohort_importer_run (importer, cohort_window_get_workspace (f->window), NULL, &error));
  g_assert_no_error (error);
  ui_iterate ();
}

static gint64
count_members (UiFixture     *f,
               CohortSegment *segment)
{
  g_autoptr(GError) error = NULL;
  gint64 n = cohort_members_count (cohort_window_get_workspace (f->window),
                                   cohort_segment_get_id (segment), &error);

  g_assert_no_error (error);
  return n;
}

static gboolean
panel_idle (gpointer data)
{
  return !cohort_members_panel_get_writing (data);
}

static gboolean
has_four_members (gpointer data)
{
  UiFixture *f = data;
  g_autoptr(CohortSegment) vip = cohort_segments_lookup (cohort_window_get_workspace (f->window), "VIP", NULL);

  return vip != NULL && count_members (f, vip) == 4;
}

static void
add_members (UiFixture     *f,
             CohortSegment *segment,
             const char    *text)
{
  g_auto(CohortMembersResult) result = { 0, };
  g_autoptr(GPtrArray) ids = cohort_members_parse_identifiers (text);
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_members_add (cohort_window_get_workspace (f->window),
                                     cohort_segment_get_id (segment), ids, &result, &error));
  g_assert_no_error (error);
  ui_iterate ();
}

/* Selects @segment and waits until its page lists @total members. */
static CohortMembersPanel *
show_segment (UiFixture     *f,
              CohortSegment *segment,
              guint          total)
{
  g_assert_true (cohort_window_select_segment (f->window, cohort_segment_get_id (segment)));
  ui_iterate ();
  return ui_wait_members (f, total);
}

/* The button labelled @label somewhere inside @widget, or NULL. */
static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
item_loaded (gpointer item)
{
  return cohort_customer_item_get_loaded (item);
}

static gboolean
message_dialog_shown (gpointer data)
{
  return ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
has_undo_button (gpointer data)
{
  return find_button (data, "_Undo") != NULL;
}

static void
test_add_to_segment (UiFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(CohortSegment) vip = NULL;
  CohortCustomersView *view = WINDOW_CHILD (f->window, "customers_view");
  GtkColumnView *column_view = TEMPLATE_CHILD (view, COHORT_TYPE_CUSTOMERS_VIEW, "column_view");
  GtkSelectionModel *selection;
  AdwMessageDialog *dialog;

  import_customers (f, 2000);
  ui_add (f, "Newsletter", COHORT_SEGMENT_DATA_DRIVEN);
  vip = ui_create (f, "VIP", COHORT_SEGMENT_MANUAL);

  /* Nothing selected: nothing to add. */
  g_assert_false (gtk_widget_is_sensitive (find_button (GTK_WIDGET (view), "_Add to Segment…")));

  /* Rows are read when shown: wait for the first ones. */
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(CohortCustomerItem) item = g_list_model_get_item (G_LIST_MODEL (cohort_customers_view_get_model (view)), i);
      g_assert_true (ui_wait_until (item_loaded, item));
    }

  selection = gtk_column_view_get_model (column_view);
  g_assert_true (GTK_IS_MULTI_SELECTION (selection));
  gtk_selection_model_select_range (selection, 0, 3, TRUE);
  ui_iterate ();
  g_assert_true (gtk_widget_is_sensitive (find_button (GTK_WIDGET (view), "_Add to Segment…")));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "customers.add-to-segment", NULL));
  g_assert_true (ui_wait_until (message_dialog_shown, NULL));

  /* Only manual segments are offered. */
  dialog = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  {
    GtkWidget *box = adw_message_dialog_get_extra_child (dialog);
    GtkDropDown *drop_down = GTK_DROP_DOWN (gtk_widget_get_last_child (box));
    GListModel *names = gtk_drop_down_get_model (drop_down);

    g_assert_cmpuint (g_list_model_get_n_items (names), ==, 1);
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (names), 0), ==, "VIP");
  }
  ui_respond (dialog, "add");
  g_assert_cmpint (count_members (f, vip), ==, 3);

  /* Select All takes rows never read too (pages beyond the first ones). */
  gtk_selection_model_select_all (selection);
  ui_iterate ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "customers.add-to-segment", NULL));
  g_assert_true (ui_wait_until (message_dialog_shown, NULL));
  dialog = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Add 2000 Customers to a Segment");
  ui_respond (dialog, "add");
  g_assert_cmpint (count_members (f, vip), ==, 2000);
  /* ...without reading every page into the model. */
  g_assert_cmpuint (cohort_customer_model_get_n_pages (cohort_customers_view_get_model (view)), <=, 32);
}

static void
test_paste_unknown (UiFixture     *f,
                    gconstpointer  data)
{
  g_autoptr(CohortSegment) vip = NULL;
  CohortMembersPanel *panel;
  CohortAddMembersDialog *dialog;
  GtkTextBuffer *buffer;

  import_customers (f, 10);
  vip = ui_create (f, "VIP", COHORT_SEGMENT_MANUAL);
  add_members (f, vip, "c00003");
  panel = show_segment (f, vip, 1);
  g_assert_true (gtk_widget_get_visible (PANEL_CHILD (panel, "add_button")));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (panel), "members.add", NULL));
  ui_iterate ();
  dialog = ui_find_toplevel (COHORT_TYPE_ADD_MEMBERS_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_false (gtk_widget_is_sensitive (ADD_CHILD (dialog, "add_button")));

  /* The field is named as its label says, and has the focus. */
  gtk_test_accessible_assert_property (ADD_CHILD (dialog, "text_view"), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Customer IDs or emails");
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (dialog)) == ADD_CHILD (dialog, "text_view"));

  buffer = gtk_text_view_get_buffer (ADD_CHILD (dialog, "text_view"));
  gtk_text_buffer_set_text (buffer, "c00001, person2@example.com\nnobody@example.org\nc00003\nc99999", -1);
  ui_click (ADD_CHILD (dialog, "add_button"));

  g_assert_cmpstr (gtk_label_get_label (ADD_CHILD (dialog, "summary_label")), ==,
                   "2 customers added. 1 was already a member.");
  g_assert_true (gtk_widget_get_visible (ADD_CHILD (dialog, "unknown_label")));
  g_assert_cmpstr (gtk_label_get_label (ADD_CHILD (dialog, "unknown_heading")), ==,
                   "2 do not match any customer and were not added:");
  g_assert_cmpstr (gtk_label_get_label (ADD_CHILD (dialog, "unknown_label")), ==,
                   "nobody@example.org\nc99999");
  g_assert_cmpint (count_members (f, vip), ==, 3);

  /* The page follows. */
  show_segment (f, vip, 3);
  gtk_window_close (GTK_WINDOW (dialog));
  ui_iterate ();
}

static gboolean
add_dialog_idle (gpointer data)
{
  return !cohort_add_members_dialog_is_busy (data);
}

/* A CSV file added through the dialog (the file chooser is skipped). */
static void
test_add_csv_file (UiFixture     *f,
                   gconstpointer  data)
{
  g_autoptr(CohortSegment) vip = NULL;
  g_autofree char *path = g_build_filename (f->dir, "upload.csv", NULL);
  g_autoptr(GFile) file = NULL;
  CohortMembersPanel *panel;
  CohortAddMembersDialog *dialog;

  import_customers (f, 10);
  vip = ui_create (f, "VIP", COHORT_SEGMENT_MANUAL);
  panel = show_segment (f, vip, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (panel), "members.add", NULL));
  ui_iterate ();
  dialog = ui_find_toplevel (COHORT_TYPE_ADD_MEMBERS_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_widget_get_visible (ADD_CHILD (dialog, "file_button")));
  ui_screenshot ("add-customers");

  g_assert_true (g_file_set_contents (path, "Email Address,Name\r\nperson2@example.com,Two\r\n"
                                            "ghost@example.org,Ghost\r\nbroken\r\n", -1, NULL));
  file = g_file_new_for_path (path);
  cohort_add_members_dialog_add_file (dialog, file);
  g_assert_true (cohort_add_members_dialog_is_busy (dialog));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (ADD_CHILD (dialog, "stack")), ==, "busy");
  g_assert_true (ui_wait_until (add_dialog_idle, dialog));
  ui_screenshot ("add-customers-from-csv");

  g_assert_cmpstr (gtk_label_get_label (ADD_CHILD (dialog, "summary_label")), ==,
                   "1 customer added. 0 were already members.");
  g_assert_cmpstr (gtk_label_get_label (ADD_CHILD (dialog, "unknown_heading")), ==,
                   "2 were not added (customers that match no one, rows that could not be read):");
  g_assert_true (g_str_has_prefix (gtk_label_get_label (ADD_CHILD (dialog, "unknown_label")),
                                   "ghost@example.org\nline 4: "));
  g_assert_cmpint (count_members (f, vip), ==, 1);
  gtk_window_close (GTK_WINDOW (dialog));
  ui_iterate ();
}

/* Cancel while a large upload is read: nothing is added, the paste page is back. */
static void
test_add_csv_file_cancel (UiFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(CohortSegment) vip = NULL;
  g_autofree char *path = g_build_filename (f->dir, "big.csv", NULL);
  g_autoptr(GString) csv = g_string_new ("id\n");
  g_autoptr(GFile) file = NULL;
  CohortMembersPanel *panel;
  CohortAddMembersDialog *dialog;

  import_customers (f, 10);
  vip = ui_create (f, "VIP", COHORT_SEGMENT_MANUAL);
  panel = show_segment (f, vip, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (panel), "members.add", NULL));
  ui_iterate ();
  dialog = ui_find_toplevel (COHORT_TYPE_ADD_MEMBERS_DIALOG);

  for (guint i = 0; i < 300000; i++)
    g_string_append_printf (csv, "c%05u\n", i % 10 + 1);
  g_assert_true (g_file_set_contents (path, csv->str, csv->len, NULL));
  file = g_file_new_for_path (path);
  cohort_add_members_dialog_add_file (dialog, file);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "add.cancel-file", NULL));
  g_assert_true (ui_wait_until (add_dialog_idle, dialog));

  g_assert_cmpstr (gtk_stack_get_visible_child_name (ADD_CHILD (dialog, "stack")), ==, "input");
  g_assert_cmpint (count_members (f, vip), ==, 0);
  gtk_window_close (GTK_WINDOW (dialog));
  ui_iterate ();
}

static void
test_remove_and_search (UiFixture     *f,
                        gconstpointer  data)
{
  g_autoptr(CohortSegment) vip = NULL;
  CohortMembersPanel *panel;
  GtkSelectionModel *selection;
  CohortMemberModel *model;

  import_customers (f, 10);
  vip = ui_create (f, "VIP", COHORT_SEGMENT_MANUAL);
  add_members (f, vip, "c00001,c00002,c00003,c00004,c00005");
  panel = show_segment (f, vip, 5);
  g_assert_cmpstr (gtk_label_get_label (PANEL_CHILD (panel, "count_label")), ==, "5 members");
  gtk_test_accessible_assert_property (PANEL_CHILD (panel, "search_entry"), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Search by id or email");

  /* Search by email. */
  gtk_editable_set_text (PANEL_CHILD (panel, "search_entry"), "PERSON4@");
  g_signal_emit_by_name (PANEL_CHILD (panel, "search_entry"), "search-changed");
  model = cohort_members_panel_get_model (panel);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  g_assert_cmpstr (gtk_label_get_label (PANEL_CHILD (panel, "count_label")), ==, "1 of 5 members");
  {
    g_autoptr(CohortCustomerItem) item = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_assert_cmpstr (cohort_customer_item_get_id (item), ==, "c00004");
  }
  gtk_editable_set_text (PANEL_CHILD (panel, "search_entry"), "");
  g_signal_emit_by_name (PANEL_CHILD (panel, "search_entry"), "search-changed");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 5);

  /* Remove needs a selection. */
  g_assert_false (gtk_widget_is_sensitive (PANEL_CHILD (panel, "remove_button")));
  selection = cohort_members_panel_get_selection (panel);
  gtk_selection_model_select_item (selection, 0, FALSE);
  gtk_selection_model_select_item (selection, 2, FALSE);
  ui_iterate ();
  g_assert_true (gtk_widget_is_sensitive (PANEL_CHILD (panel, "remove_button")));
  ui_click (PANEL_CHILD (panel, "remove_button"));
  /* Written in a thread. */
  g_assert_true (ui_wait_until (panel_idle, panel));

  g_assert_cmpint (count_members (f, vip), ==, 3);
  show_segment (f, vip, 3);
  model = cohort_members_panel_get_model (panel);
  {
    g_autoptr(CohortCustomerItem) first = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_autoptr(CohortCustomerItem) second = g_list_model_get_item (G_LIST_MODEL (model), 1);
    g_assert_cmpstr (cohort_customer_item_get_id (first), ==, "c00002");
    g_assert_cmpstr (cohort_customer_item_get_id (second), ==, "c00004");
  }
}

static void
test_clear_and_undo (UiFixture     *f,
                     gconstpointer  data)
{
  g_autoptr(CohortSegment) vip = NULL;
  CohortMembersPanel *panel;
  AdwMessageDialog *dialog;
  GtkWidget *undo;

  import_customers (f, 10);
  vip = ui_create (f, "VIP", COHORT_SEGMENT_MANUAL);
  add_members (f, vip, "c00001,c00002,c00003,c00004");
  panel = show_segment (f, vip, 4);

  ui_click (PANEL_CHILD (panel, "clear_button"));
  dialog = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Clear “VIP”?");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "clear"), ==, ADW_RESPONSE_DESTRUCTIVE);

  /* Cancel leaves the members alone. */
  ui_respond (dialog, "cancel");
  g_assert_cmpint (count_members (f, vip), ==, 4);

  ui_click (PANEL_CHILD (panel, "clear_button"));
  dialog = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  ui_respond (dialog, "clear");
  g_assert_true (ui_wait_until (panel_idle, panel));
  g_assert_cmpint (count_members (f, vip), ==, 0);
  panel = show_segment (f, vip, 0);
  g_assert_false (gtk_widget_is_sensitive (PANEL_CHILD (panel, "clear_button")));

  /* Undo in the toast puts them back. */
  g_assert_true (ui_wait_until (has_undo_button, f->window));
  undo = find_button (GTK_WIDGET (f->window), "_Undo");
  g_signal_emit_by_name (undo, "clicked");
  g_assert_true (ui_wait_until (has_four_members, f));
  g_assert_cmpint (count_members (f, vip), ==, 4);
  show_segment (f, vip, 4);
}

static void
test_freeze (UiFixture     *f,
             gconstpointer  data)
{
  g_autoptr(CohortSegment) rules = NULL;
  g_autoptr(GError) error = NULL;
  CohortMembersPanel *panel = ui_members_panel (f);
  AdwMessageDialog *dialog;
  GtkWidget *entry;
  gint64 frozen_id;

  import_customers (f, 20);
  rules = ui_create (f, "Ends in 5", COHORT_SEGMENT_DATA_DRIVEN);
  g_assert_true (cohort_segments_set_criteria (cohort_window_get_workspace (f->window), cohort_segment_get_id (rules),
      "{\"attribute\": {\"field\": \"id\", \"operator\": \"ends_with\", \"value\": \"5\"}}", &error));
  g_assert_no_error (error);
  ui_iterate ();
  g_assert_true (cohort_window_select_segment (f->window, cohort_segment_get_id (rules)));
  ui_iterate ();

  /* A data-driven page offers Save as Manual Segment…, not the member list. */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (PANEL_CHILD (panel, "stack")), ==, "data-driven");
  ui_click (PANEL_CHILD (panel, "freeze_button"));
  dialog = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  entry = gtk_widget_get_next_sibling (gtk_widget_get_first_child (adw_message_dialog_get_extra_child (dialog)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "Ends in 5 (manual)");

  /* Names are checked like any segment name. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "ends IN 5");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "save"));
  gtk_editable_set_text (GTK_EDITABLE (entry), "  ");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "save"));
  gtk_editable_set_text (GTK_EDITABLE (entry), "Fives");
  ui_respond (dialog, "save");

  /* The new manual segment is selected and has the same members. */
  frozen_id = cohort_window_get_selected_id (f->window);
  g_assert_cmpint (frozen_id, !=, cohort_segment_get_id (rules));
  {
    g_autoptr(CohortSegment) frozen = cohort_segments_get (cohort_window_get_workspace (f->window), frozen_id, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (cohort_segment_get_name (frozen), ==, "Fives");
    g_assert_cmpint (cohort_segment_get_kind (frozen), ==, COHORT_SEGMENT_MANUAL);
    g_assert_cmpint (count_members (f, frozen), ==, 2);   /* c00005, c00015 */
    show_segment (f, frozen, 2);
  }
}

int
main (int   argc,
      char *argv[])
{
  ui_init (&argc, &argv);

  g_test_add ("/ui/members/add-to-segment", UiFixture, NULL,
              ui_fixture_set_up, test_add_to_segment, ui_fixture_tear_down);
  g_test_add ("/ui/members/paste-unknown", UiFixture, NULL,
              ui_fixture_set_up, test_paste_unknown, ui_fixture_tear_down);
  g_test_add ("/ui/members/add-csv-file", UiFixture, NULL,
              ui_fixture_set_up, test_add_csv_file, ui_fixture_tear_down);
  g_test_add ("/ui/members/add-csv-file-cancel", UiFixture, NULL,
              ui_fixture_set_up, test_add_csv_file_cancel, ui_fixture_tear_down);
  g_test_add ("/ui/members/remove-and-search", UiFixture, NULL,
              ui_fixture_set_up, test_remove_and_search, ui_fixture_tear_down);
  g_test_add ("/ui/members/clear-and-undo", UiFixture, NULL,
              ui_fixture_set_up, test_clear_and_undo, ui_fixture_tear_down);
  g_test_add ("/ui/members/freeze", UiFixture, NULL,
              ui_fixture_set_up, test_freeze, ui_fixture_tear_down);

  return g_test_run ();
}
