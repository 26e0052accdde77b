/* test-criteria-builder.c: the criteria builder, driven through its widgets
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-criteria.h"
#include "cohort-criteria-builder.h"
#include "cohort-event-importer.h"
#include "cohort-importer.h"
#include "cohort-segment-page.h"
#include "cohort-segment.h"
#include "cohort-sync.h"
#include "cohort-ui-test.h"
#include "../cohort-test-criteria.h"

#define BUILDER_CHILD(b, name) TEMPLATE_CHILD (b, COHORT_TYPE_CRITERIA_BUILDER, name)
#define GROUP_CHILD(g, name) TEMPLATE_CHILD (g, COHORT_TYPE_CONDITION_GROUP, name)
#define ROW_CHILD(r, name) TEMPLATE_CHILD (r, COHORT_TYPE_CONDITION_ROW, name)

typedef struct
{
  UiFixture ui;
  CohortWorkspace *ws;
  CohortSegment *segment;
  GtkWindow *window;
  CohortCriteriaBuilder *builder;
} Fixture;

/* 20 customers: every 4th is on "pro"; ages 17, 19, ..., 55. */
static void
import_customers (Fixture *f)
{
  g_autoptr(GString) csv = g_string_new ("id,email,plan,age,signed_up\n");
  g_autofree char *path = g_build_filename (f->ui.dir, "customers.csv", NULL);
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 1; i <= 20; i++)
    g_string_append_printf (csv, "c%02u,person%u@example.com,%s,%u,2025-01-%02u\n",
                            i, i, i % 4 == 0 ? "pro" : "free", 15 + 2 * i, i);
  g_assert_true (g_file_set_contents (path, csv->str, (gssize) csv->len, NULL));

  importer = cohort_importer_new (path);
  g_assert_true (cohort_importer_run (importer, f->ws, NULL, &error));
  g_assert_no_error (error);
  ui_iterate ();
}

static void
set_up (Fixture       *f,
        gconstpointer  data)
{
  ui_fixture_set_up (&f->ui, data);
  f->ws = g_object_ref (cohort_window_get_workspace (f->ui.window));
  import_customers (f);
  f->segment = ui_create (&f->ui, "Builder", COHORT_SEGMENT_DATA_DRIVEN);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 640, 780);
  f->builder = COHORT_CRITERIA_BUILDER (cohort_criteria_builder_new ());
  gtk_window_set_child (f->window, GTK_WIDGET (f->builder));
  cohort_criteria_builder_set_segment (f->builder, f->ws, f->segment);
  gtk_window_present (f->window);
  ui_iterate ();
}

static void
tear_down (Fixture       *f,
           gconstpointer  data)
{
  g_object_ref (f->builder);
  gtk_window_destroy (f->window);
  ui_iterate ();
  g_assert_finalize_object (f->builder);
  g_clear_object (&f->segment);
  g_clear_object (&f->ws);
  ui_fixture_tear_down (&f->ui, data);
}

typedef struct
{
  CohortCriteriaBuilder *builder;
  gint64 count;
} CountWait;

/* When the test last edited something, to report how soon the count follows. */
static gint64 last_edit;

static gboolean
count_is (gpointer data)
{
  CountWait *w = data;

  return cohort_criteria_builder_get_match_count (w->builder) == w->count;
}

/* Waits for the live count (and checks that the label says it). */
static void
assert_count (Fixture *f,
              gint64   count)
{
  CountWait w = { f->builder, count };
  g_autofree char *prefix = g_strdup_printf ("%" G_GINT64_FORMAT " ", count);

  g_assert_true (ui_wait_until (count_is, &w));
  if (last_edit > 0)
    g_test_message ("count %" G_GINT64_FORMAT " after %" G_GINT64_FORMAT " ms",
                    count, (g_get_monotonic_time () - last_edit) / 1000);
  if (count < 0)
    g_assert_cmpstr (gtk_label_get_label (BUILDER_CHILD (f->builder, "count_label")), ==,
                     "No count while a condition needs fixing");
  else
    g_assert_true (g_str_has_prefix (gtk_label_get_label (BUILDER_CHILD (f->builder, "count_label")), prefix));
}

/* A new data-driven segment: no rules, no one matches. */
static void
assert_no_rules (Fixture *f)
{
  CountWait w = { f->builder, 0 };

  g_assert_true (ui_wait_until (count_is, &w));
  g_assert_cmpstr (gtk_label_get_label (BUILDER_CHILD (f->builder, "count_label")), ==,
                   "No rules yet: no one matches");
}

static CohortConditionGroup *
root (Fixture *f)
{
  return cohort_criteria_builder_get_root (f->builder);
}

static void
set_text (gpointer    entry,
          const char *text)
{
  last_edit = g_get_monotonic_time ();
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  ui_iterate ();
}

static void
choose (GtkDropDown *dropdown,
        const char  *label)
{
  GListModel *model = gtk_drop_down_get_model (dropdown);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (model, i);

      if (g_strcmp0 (gtk_string_object_get_string (item), label) == 0)
        {
          gtk_drop_down_set_selected (dropdown, i);
          ui_iterate ();
          return;
        }
    }
  g_error ("No “%s” in the drop-down", label);
}

/* Fills an attribute row: field, operator, value. */
static void
fill_row (CohortConditionRow *row,
          const char         *field,
          CohortOperator      op,
          const char         *value)
{
  set_text (ROW_CHILD (row, "field_entry"), field);
  choose (ROW_CHILD (row, "op_dropdown"), cohort_operator_get_label (op));
  if (value != NULL)
    set_text (ROW_CHILD (row, "value_entry"), value);
}

static CohortConditionRow *
add_condition (CohortConditionGroup *group)
{
  guint n = cohort_condition_group_get_n_children (group);

  ui_click (GROUP_CHILD (group, "add_condition_button"));
  g_assert_cmpuint (cohort_condition_group_get_n_children (group), ==, n + 1);
  return COHORT_CONDITION_ROW (cohort_condition_group_get_child (group, n));
}

static char *
canonical (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) criteria = cohort_criteria_parse (json, &error);

  g_assert_no_error (error);
  return cohort_criteria_to_string (criteria, FALSE);
}

static char *
stored_criteria (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortSegment) segment = cohort_segments_get (f->ws, cohort_segment_get_id (f->segment), &error);

  g_assert_no_error (error);
  return g_strdup (cohort_segment_get_criteria (segment));
}

static gboolean
save_enabled (Fixture *f)
{
  return gtk_widget_is_sensitive (BUILDER_CHILD (f->builder, "save_button"));
}

static void
build_two_groups (Fixture *f)
{
  CohortConditionRow *row;
  CohortConditionGroup *group;

  /* No rules: no one. */
  assert_no_rules (f);
  g_assert_false (save_enabled (f));

  row = add_condition (root (f));
  /* Icon-only and unlabelled controls have names, with the condition they
   * belong to. */
  gtk_test_accessible_assert_property (ROW_CHILD (row, "remove_button"), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Remove Condition, condition 1");
  gtk_test_accessible_assert_property (ROW_CHILD (row, "kind_dropdown"), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Condition Kind, condition 1");
  gtk_test_accessible_assert_property (ROW_CHILD (row, "field_entry"), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Attribute, condition 1");
  gtk_test_accessible_assert_property (BUILDER_CHILD (f->builder, "undo_button"), GTK_ACCESSIBLE_PROPERTY_LABEL, "Undo");
  fill_row (row, "plan", COHORT_OP_EQ, "pro");
  g_assert_cmpstr (gtk_label_get_label (ROW_CHILD (row, "type_label")), ==, "Text");
  assert_count (f, 5);

  ui_click (GROUP_CHILD (root (f), "add_group_button"));
  g_assert_cmpuint (cohort_condition_group_get_n_children (root (f)), ==, 2);
  group = COHORT_CONDITION_GROUP (cohort_condition_group_get_child (root (f), 1));
  choose (GROUP_CHILD (group, "mode_dropdown"), "any");
  g_assert_cmpint (cohort_condition_group_get_mode (group), ==, COHORT_GROUP_ANY);

  row = COHORT_CONDITION_ROW (cohort_condition_group_get_child (group, 0));
  fill_row (row, "age", COHORT_OP_GT, "40");
  g_assert_cmpstr (gtk_label_get_label (ROW_CHILD (row, "type_label")), ==, "Number");
  assert_count (f, 2);
  row = add_condition (group);
  fill_row (row, "age", COHORT_OP_LT, "24");
  assert_count (f, 3);
}

#define TWO_GROUPS \
  "{\"and\": [{\"attribute\": {\"field\": \"plan\", \"operator\": \"eq\", \"value\": \"pro\"}}," \
  " {\"or\": [{\"attribute\": {\"field\": \"age\", \"operator\": \"gt\", \"value\": 40}}," \
  "           {\"attribute\": {\"field\": \"age\", \"operator\": \"lt\", \"value\": 24}}]}]}"

static void
test_two_groups (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *expected = canonical (TWO_GROUPS);
  g_autofree char *stored = NULL;
  g_autofree char *json = NULL;
  g_autoptr(CohortSegment) reloaded = NULL;
  g_autoptr(GtkWidget) other = NULL;

  build_two_groups (f);
  ui_screenshot ("criteria-builder-two-groups");
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (f->builder));
  g_assert_true (save_enabled (f));

  /* The rules in words, for rebuilding them in Customer.io's builder. */
  g_assert_true (gtk_widget_get_visible (BUILDER_CHILD (f->builder, "words_expander")));
  g_assert_cmpstr (gtk_label_get_label (BUILDER_CHILD (f->builder, "words_label")), ==,
                   "plan is “pro” and (age is greater than 40 or age is less than 24)");

  /* The preview lists the matches with the attributes the rules use. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (BUILDER_CHILD (f->builder, "preview_view")))), ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (gtk_column_view_get_columns (BUILDER_CHILD (f->builder, "preview_view"))), ==, 4);

  ui_click (BUILDER_CHILD (f->builder, "save_button"));
  stored = stored_criteria (f);
  g_assert_cmpstr (stored, ==, expected);
  g_assert_false (cohort_criteria_builder_has_unsaved_changes (f->builder));
  g_assert_false (save_enabled (f));

  /* The reloaded segment keeps the builder as it is. */
  reloaded = cohort_segments_get (f->ws, cohort_segment_get_id (f->segment), NULL);
  cohort_criteria_builder_set_segment (f->builder, f->ws, reloaded);
  g_assert_false (cohort_criteria_builder_has_unsaved_changes (f->builder));

  /* Round trip: a new builder shows the same tree and writes the same JSON. */
  other = g_object_ref_sink (cohort_criteria_builder_new ());
  cohort_criteria_builder_set_segment (COHORT_CRITERIA_BUILDER (other), f->ws, reloaded);
  json = cohort_criteria_builder_dup_json (COHORT_CRITERIA_BUILDER (other));
  g_assert_cmpstr (json, ==, expected);
  g_assert_false (cohort_criteria_builder_has_unsaved_changes (COHORT_CRITERIA_BUILDER (other)));
  g_assert_cmpuint (cohort_condition_group_get_n_children (cohort_criteria_builder_get_root (COHORT_CRITERIA_BUILDER (other))), ==, 2);
  cohort_criteria_builder_set_segment (COHORT_CRITERIA_BUILDER (other), NULL, NULL);
  g_clear_object (&other);

  /* Discard goes back to what is saved (once confirmed). */
  ui_click (GROUP_CHILD (root (f), "add_condition_button"));
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (f->builder));
  ui_click (BUILDER_CHILD (f->builder, "discard_button"));
  ui_respond (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG), "discard");
  g_assert_false (cohort_criteria_builder_has_unsaved_changes (f->builder));
  g_assert_cmpuint (cohort_condition_group_get_n_children (root (f)), ==, 2);
}

static void
test_invalid_and_undo (Fixture       *f,
                       gconstpointer  data)
{
  CohortConditionRow *row;
  GtkLabel *error_label;
  g_autofree char *before = NULL;

  row = add_condition (root (f));
  fill_row (row, "plan", COHORT_OP_EQ, "pro");
  assert_count (f, 5);
  before = cohort_criteria_builder_dup_json (f->builder);

  row = add_condition (root (f));
  /* Empty: nothing to save, no count; not marked while untouched, marked
   * once a save was tried. */
  error_label = ROW_CHILD (row, "error_label");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (error_label)));
  g_assert_false (save_enabled (f));
  assert_count (f, -1);
  g_assert_false (cohort_criteria_builder_save (f->builder, NULL));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (error_label)));
  g_assert_cmpstr (gtk_label_get_label (error_label), ==, "Choose an attribute");

  fill_row (row, "age", COHORT_OP_GT, "abc");
  g_assert_cmpstr (gtk_label_get_label (error_label), ==, "Enter a number");
  ui_screenshot ("criteria-builder-invalid");
  g_assert_false (save_enabled (f));

  set_text (ROW_CHILD (row, "value_entry"), "50");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (error_label)));
  g_assert_true (save_enabled (f));
  assert_count (f, 1);

  /* A bad pattern is refused with the core's reason. */
  fill_row (row, "email", COHORT_OP_MATCHES, "(");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (error_label)));
  g_assert_true (g_str_has_prefix (gtk_label_get_label (error_label), "Invalid regular expression"));
  g_assert_false (save_enabled (f));

  /* Undo, step by step, back to the single condition. */
  for (guint i = 0; i < 32 && cohort_condition_group_get_n_children (root (f)) > 1; i++)
    {
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->builder), "criteria.undo", NULL));
      ui_iterate ();
    }
  g_assert_cmpuint (cohort_condition_group_get_n_children (root (f)), ==, 1);
  {
    g_autofree char *now = cohort_criteria_builder_dup_json (f->builder);
    g_assert_cmpstr (now, ==, before);
  }
  assert_count (f, 5);

  /* Redo brings the second row back; undo after an edit drops redo. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->builder), "criteria.redo", NULL));
  ui_iterate ();
  g_assert_cmpuint (cohort_condition_group_get_n_children (root (f)), ==, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->builder), "criteria.undo", NULL));
  ui_iterate ();
  g_assert_cmpuint (cohort_condition_group_get_n_children (root (f)), ==, 1);
}

static void
test_dates (Fixture       *f,
            gconstpointer  data)
{
  CohortConditionRow *row = add_condition (root (f));
  g_autoptr(GDateTime) day = g_date_time_new_utc (2025, 1, 15, 0, 0, 0);
  g_autofree char *json = NULL;
  g_autofree char *expected = NULL;

  fill_row (row, "signed_up", COHORT_OP_AFTER, NULL);
  g_assert_cmpstr (gtk_label_get_label (ROW_CHILD (row, "type_label")), ==, "Date and time");
  g_assert_true (gtk_widget_get_visible (ROW_CHILD (row, "date_button")));
  g_assert_false (save_enabled (f));

  /* Picking a day in the calendar writes the date. */
  gtk_calendar_select_day (ROW_CHILD (row, "calendar"), day);
  ui_iterate ();
  g_assert_cmpstr (gtk_editable_get_text (ROW_CHILD (row, "value_entry")), ==, "2025-01-15");
  assert_count (f, 5);

  /* "within the last 7 days" (now: 21 January 2025) */
  choose (ROW_CHILD (row, "op_dropdown"), cohort_operator_get_label (COHORT_OP_WITHIN_LAST));
  g_assert_false (gtk_widget_get_visible (ROW_CHILD (row, "value_entry")));
  g_assert_true (gtk_widget_get_visible (ROW_CHILD (row, "amount_spin")));
  gtk_spin_button_set_value (ROW_CHILD (row, "amount_spin"), 7);
  choose (ROW_CHILD (row, "unit_dropdown"), "days");
  assert_count (f, 7);
  json = cohort_criteria_builder_dup_json (f->builder);
  expected = canonical ("{\"and\": [{\"attribute\": {\"field\": \"signed_up\", \"operator\": \"within_last\","
                        " \"value\": {\"amount\": 7, \"unit\": \"days\"}}}]}");
  g_assert_cmpstr (json, ==, expected);

  /* Lists and ranges. */
  fill_row (row, "age", COHORT_OP_BETWEEN, "20");
  g_assert_false (save_enabled (f));
  set_text (ROW_CHILD (row, "value2_entry"), "30");
  assert_count (f, 5);
  fill_row (row, "plan", COHORT_OP_IN, "pro, team");
  assert_count (f, 5);
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&expected, g_free);
  json = cohort_criteria_builder_dup_json (f->builder);
  expected = canonical ("{\"and\": [{\"attribute\": {\"field\": \"plan\", \"operator\": \"in\", \"value\": [\"pro\", \"team\"]}}]}");
  g_assert_cmpstr (json, ==, expected);
}

static gboolean
label_not_empty (gpointer data)
{
  return *gtk_label_get_label (data) != '\0';
}

static void
read_text_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  char **text = data;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  if (*text == NULL)
    *text = g_strdup ("");
}

static gboolean
text_arrived (gpointer data)
{
  return *(char **) data != NULL;
}

static void
test_paste (Fixture       *f,
            gconstpointer  data)
{
  CohortConditionRow *row;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *expected = canonical (TWO_GROUPS);
  GtkLabel *message = BUILDER_CHILD (f->builder, "message_label");
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (f->builder));

  row = add_condition (root (f));
  fill_row (row, "plan", COHORT_OP_EQ, "pro");
  before = cohort_criteria_builder_dup_json (f->builder);

  /* Invalid JSON from the clipboard: an error, nothing changes. */
  gdk_clipboard_set_text (clipboard, "{\"and\": [{\"attribute\": {\"field\": \"plan\", \"operator\": \"bogus\"}}]}");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->builder), "criteria.paste-json", NULL));
  g_assert_true (ui_wait_until (label_not_empty, message));
  g_assert_nonnull (strstr (gtk_label_get_label (message), "and[0].attribute.operator"));
  after = cohort_criteria_builder_dup_json (f->builder);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (cohort_condition_group_get_n_children (root (f)), ==, 1);

  /* A reference to a segment that does not exist is refused too. */
  g_assert_false (cohort_criteria_builder_paste_text (f->builder, "{\"segment\": {\"id\": 999}}", NULL));
  g_clear_pointer (&after, g_free);
  after = cohort_criteria_builder_dup_json (f->builder);
  g_assert_cmpstr (after, ==, before);

  /* Valid JSON replaces the rules (one undo step), and copies back out. */
  g_assert_true (cohort_criteria_builder_paste_text (f->builder, TWO_GROUPS, NULL));
  g_assert_cmpstr (gtk_label_get_label (message), ==, "");
  g_clear_pointer (&after, g_free);
  after = cohort_criteria_builder_dup_json (f->builder);
  g_assert_cmpstr (after, ==, expected);
  assert_count (f, 3);

  {
    g_autofree char *copied = NULL;
    g_autofree char *copied_canonical = NULL;

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->builder), "criteria.copy-json", NULL));
    gdk_clipboard_read_text_async (clipboard, NULL, read_text_cb, &copied);
    g_assert_true (ui_wait_until (text_arrived, &copied));
    copied_canonical = canonical (copied);
    g_assert_cmpstr (copied_canonical, ==, expected);
  }

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->builder), "criteria.undo", NULL));
  ui_iterate ();
  g_clear_pointer (&after, g_free);
  after = cohort_criteria_builder_dup_json (f->builder);
  g_assert_cmpstr (after, ==, before);
}

/* Purchases (now is 21 January 2025): c01 three recent over 50, c02 three
 * recent of 10, c03 four old ones, c04 one recent. */
static void
import_events (Fixture *f)
{
  static const char csv[] =
    "customer,name,timestamp,amount\n"
    "c01,purchase,2025-01-10T10:00:00Z,60\n"
    "c01,purchase,2025-01-11T10:00:00Z,70\n"
    "c01,purchase,2025-01-12T10:00:00Z,80\n"
    "c02,purchase,2025-01-10T10:00:00Z,10\n"
    "c02,purchase,2025-01-11T10:00:00Z,10\n"
    "c02,purchase,2025-01-12T10:00:00Z,10\n"
    "c03,purchase,2024-06-01T10:00:00Z,100\n"
    "c03,purchase,2024-06-02T10:00:00Z,100\n"
    "c03,purchase,2024-06-03T10:00:00Z,100\n"
    "c03,purchase,2024-06-04T10:00:00Z,100\n"
    "c04,purchase,2025-01-15T10:00:00Z,100\n";
  g_autofree char *path = g_build_filename (f->ui.dir, "events.csv", NULL);
  g_autoptr(CohortEventImporter) importer = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, csv, -1, NULL));
  importer = cohort_event_importer_new (path);
  g_assert_true (cohort_event_importer_run (importer, f->ws, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cohort_event_importer_get_imported (importer), ==, 11);
  ui_iterate ();
}

static void
test_event_row (Fixture       *f,
                gconstpointer  data)
{
  CohortConditionRow *row;
  CohortConditionRow *filter;
  g_autofree char *json = NULL;
  g_autofree char *expected =
    canonical ("{\"and\": [{\"event\": {\"name\": \"purchase\", \"operator\": \"performed\","
               " \"count\": {\"operator\": \"gte\", \"value\": 3},"
               " \"within\": {\"amount\": 30, \"unit\": \"days\"},"
               " \"where\": [{\"field\": \"amount\", \"operator\": \"gt\", \"value\": 50}]}}]}");

  import_events (f);
  row = add_condition (root (f));
  choose (ROW_CHILD (row, "kind_dropdown"), "Event");
  g_assert_true (gtk_widget_get_visible (ROW_CHILD (row, "event_box")));
  g_assert_false (gtk_widget_get_visible (ROW_CHILD (row, "op_box")));
  g_assert_false (save_enabled (f));   /* no name yet */

  set_text (ROW_CHILD (row, "event_entry"), "purchase");
  choose (ROW_CHILD (row, "count_dropdown"), "at least");
  gtk_spin_button_set_value (ROW_CHILD (row, "count_spin"), 3);
  choose (ROW_CHILD (row, "window_dropdown"), "within the last");
  gtk_spin_button_set_value (ROW_CHILD (row, "window_spin"), 30);
  choose (ROW_CHILD (row, "window_unit_dropdown"), "days");

  ui_click (ROW_CHILD (row, "add_filter_button"));
  filter = COHORT_CONDITION_ROW (gtk_widget_get_first_child (ROW_CHILD (row, "where_box")));
  g_assert_nonnull (filter);
  g_assert_false (gtk_widget_get_visible (ROW_CHILD (filter, "kind_dropdown")));
  fill_row (filter, "amount", COHORT_OP_GT, "50");

  json = cohort_criteria_builder_dup_json (f->builder);
  g_assert_cmpstr (json, ==, expected);
  g_assert_true (save_enabled (f));
  assert_count (f, 1);
  ui_screenshot ("criteria-builder-event");

  /* "did not perform" and no window. */
  choose (ROW_CHILD (row, "performed_dropdown"), "did not perform");
  choose (ROW_CHILD (row, "window_dropdown"), "at any time");
  ui_click (ROW_CHILD (filter, "remove_button"));
  g_clear_pointer (&json, g_free);
  json = cohort_criteria_builder_dup_json (f->builder);
  g_clear_pointer (&expected, g_free);
  expected = canonical ("{\"and\": [{\"event\": {\"name\": \"purchase\", \"operator\": \"not_performed\","
                        " \"count\": {\"operator\": \"gte\", \"value\": 3}}}]}");
  g_assert_cmpstr (json, ==, expected);
  assert_count (f, 17);
}

static void
test_segments_and_none (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CohortSegment) other = ui_create (&f->ui, "Other", COHORT_SEGMENT_MANUAL);
  CohortConditionRow *row;
  CohortConditionGroup *group;
  g_autofree char *json = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *stored = NULL;

  /* The builder sees the new segment after a reload of its own segment. */
  cohort_criteria_builder_set_segment (f->builder, NULL, NULL);
  cohort_criteria_builder_set_segment (f->builder, f->ws, f->segment);

  row = add_condition (root (f));
  choose (ROW_CHILD (row, "kind_dropdown"), "Not in segment");
  g_assert_false (gtk_widget_get_visible (ROW_CHILD (row, "error_label")));
  cohort_condition_row_reveal_problems (row);
  g_assert_cmpstr (gtk_label_get_label (ROW_CHILD (row, "error_label")), ==, "Choose a segment");
  choose (ROW_CHILD (row, "segment_dropdown"), "Other");
  assert_count (f, 20);

  ui_click (GROUP_CHILD (root (f), "add_group_button"));
  group = COHORT_CONDITION_GROUP (cohort_condition_group_get_child (root (f), 1));
  choose (GROUP_CHILD (group, "mode_dropdown"), "none");
  fill_row (COHORT_CONDITION_ROW (cohort_condition_group_get_child (group, 0)), "plan", COHORT_OP_EQ, "pro");
  assert_count (f, 15);

  json = cohort_criteria_builder_dup_json (f->builder);
  expected = g_strdup_printf ("{\"and\": [{\"not\": {\"segment\": {\"id\": %" G_GINT64_FORMAT "}}},"
                              " {\"not\": {\"or\": [{\"attribute\": {\"field\": \"plan\", \"operator\": \"eq\", \"value\": \"pro\"}}]}}]}",
                              cohort_segment_get_id (other));
  {
    g_autofree char *c = canonical (expected);
    g_assert_cmpstr (json, ==, c);
  }

  /* Saved and shown again: the same rows. */
  ui_click (BUILDER_CHILD (f->builder, "save_button"));
  stored = stored_criteria (f);
  g_assert_cmpstr (stored, ==, json);
  g_clear_object (&f->segment);
  f->segment = cohort_segments_lookup (f->ws, "Builder", NULL);
  cohort_criteria_builder_set_segment (f->builder, NULL, NULL);
  cohort_criteria_builder_set_segment (f->builder, f->ws, f->segment);
  g_assert_false (cohort_criteria_builder_has_unsaved_changes (f->builder));
  g_assert_cmpint (cohort_condition_row_get_kind (COHORT_CONDITION_ROW (cohort_condition_group_get_child (root (f), 0))),
                   ==, COHORT_CONDITION_NOT_IN_SEGMENT);
  g_assert_cmpint (cohort_condition_group_get_mode (COHORT_CONDITION_GROUP (cohort_condition_group_get_child (root (f), 1))),
                   ==, COHORT_GROUP_NONE);
  g_clear_pointer (&json, g_free);
  json = cohort_criteria_builder_dup_json (f->builder);
  g_assert_cmpstr (json, ==, stored);
}

/* What the rows cannot show in editors stays as JSON, unchanged; a
 * reference cycle is refused. */
/* A new Random sample row gets its own seed; its percent drives the count. */
static void
test_sample_row (Fixture       *f,
                 gconstpointer  data)
{
  CohortConditionRow *row = add_condition (root (f));
  g_autofree char *json = NULL;

  choose (ROW_CHILD (row, "kind_dropdown"), "Random sample");
  g_assert_cmpint (cohort_condition_row_get_kind (row), ==, COHORT_CONDITION_SAMPLE);
  g_assert_true (gtk_widget_get_visible (ROW_CHILD (row, "sample_box")));
  g_assert_cmpuint (strlen (gtk_editable_get_text (ROW_CHILD (row, "salt_entry"))), ==, 8);
  gtk_test_accessible_assert_property (ROW_CHILD (row, "percent_spin"), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Percent of customers, condition 1");

  gtk_spin_button_set_value (ROW_CHILD (row, "percent_spin"), 100);
  assert_count (f, 20);
  ui_screenshot ("criteria-builder-sample");
  gtk_spin_button_set_value (ROW_CHILD (row, "percent_spin"), 0);
  assert_count (f, 0);
  json = cohort_criteria_builder_dup_json (f->builder);
  g_assert_nonnull (strstr (json, "{\"sample\":{\"percent\":0,\"salt\":\""));
}

static void
test_custom_and_cycle (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(CohortSegment) other = ui_create (&f->ui, "Other rules", COHORT_SEGMENT_DATA_DRIVEN);
  g_autofree char *custom = canonical ("{\"or\": [{\"sample\": {\"percent\": 10, \"salt\": \"spring\"}},"
                                       " {\"not\": {\"and\": [{\"attribute\": {\"field\": \"plan\", \"operator\": \"exists\"}}]}}]}");
  g_autofree char *json = NULL;
  g_autofree char *ref = NULL;
  CohortConditionRow *row;
  GtkLabel *problem = BUILDER_CHILD (f->builder, "problem_label");
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_criteria_builder_paste_text (f->builder, custom, NULL));
  g_assert_cmpint (cohort_condition_group_get_mode (root (f)), ==, COHORT_GROUP_ANY);
  /* A sample is a row of its own kind; what has no row kind stays JSON. */
  row = COHORT_CONDITION_ROW (cohort_condition_group_get_child (root (f), 0));
  g_assert_cmpint (cohort_condition_row_get_kind (row), ==, COHORT_CONDITION_SAMPLE);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (ROW_CHILD (row, "percent_spin")), ==, 10);
  g_assert_cmpstr (gtk_editable_get_text (ROW_CHILD (row, "salt_entry")), ==, "spring");
  gtk_test_accessible_assert_property (ROW_CHILD (row, "salt_entry"), GTK_ACCESSIBLE_PROPERTY_LABEL, "Seed, condition 1");
  g_assert_cmpint (cohort_condition_row_get_kind (COHORT_CONDITION_ROW (cohort_condition_group_get_child (root (f), 1))),
                   ==, COHORT_CONDITION_JSON);
  json = cohort_criteria_builder_dup_json (f->builder);
  g_assert_cmpstr (json, ==, custom);

  /* Edited through the row: 25 %, another seed. */
  gtk_spin_button_set_value (ROW_CHILD (row, "percent_spin"), 25);
  gtk_editable_set_text (ROW_CHILD (row, "salt_entry"), "autumn");
  ui_iterate ();
  g_free (json);
  json = cohort_criteria_builder_dup_json (f->builder);
  g_assert_nonnull (strstr (json, "{\"sample\":{\"percent\":25,\"salt\":\"autumn\"}}"));
  g_assert_true (cohort_criteria_builder_paste_text (f->builder, custom, NULL));
  row = NULL;

  /* "Other rules" refers to this segment; this one may not refer back. */
  ref = g_strdup_printf ("{\"segment\": {\"id\": %" G_GINT64_FORMAT "}}", cohort_segment_get_id (f->segment));
  g_assert_true (cohort_segments_set_criteria (f->ws, cohort_segment_get_id (other), ref, &error));
  g_assert_no_error (error);
  ui_iterate ();

  cohort_criteria_builder_set_segment (f->builder, NULL, NULL);
  cohort_criteria_builder_set_segment (f->builder, f->ws, f->segment);
  row = add_condition (root (f));
  choose (ROW_CHILD (row, "kind_dropdown"), "In segment");
  choose (ROW_CHILD (row, "segment_dropdown"), "Other rules");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (problem)));
  g_assert_nonnull (strstr (gtk_label_get_label (problem), "and[0].segment"));
  g_assert_false (save_enabled (f));
}

static void
test_page (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(CohortSegment) manual = ui_create (&f->ui, "Hand-kept", COHORT_SEGMENT_MANUAL);
  CohortSegmentPage *page = WINDOW_CHILD (f->ui.window, "segment_page");
  CohortCriteriaBuilder *builder = TEMPLATE_CHILD (page, COHORT_TYPE_SEGMENT_PAGE, "criteria_builder");
  CohortConditionRow *row;
  g_autofree char *stored = NULL;
  g_autofree char *expected = NULL;

  g_assert_true (cohort_window_select_segment (f->ui.window, cohort_segment_get_id (f->segment)));
  ui_iterate ();
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (builder)));

  row = add_condition (cohort_criteria_builder_get_root (builder));
  fill_row (row, "plan", COHORT_OP_EQ, "pro");
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (builder));

  /* The window reloads its list (new segment objects): the edits stay. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->ui.window), "win.refresh", NULL));
  ui_iterate ();
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (builder));
  g_assert_cmpuint (cohort_condition_group_get_n_children (cohort_criteria_builder_get_root (builder)), ==, 1);

  /* Saving reloads the list too; the builder stays as it is, saved. */
  ui_click (BUILDER_CHILD (builder, "save_button"));
  ui_iterate ();
  g_assert_false (cohort_criteria_builder_has_unsaved_changes (builder));
  g_assert_cmpuint (cohort_condition_group_get_n_children (cohort_criteria_builder_get_root (builder)), ==, 1);
  stored = stored_criteria (f);
  expected = canonical ("{\"and\": [{\"attribute\": {\"field\": \"plan\", \"operator\": \"eq\", \"value\": \"pro\"}}]}");
  g_assert_cmpstr (stored, ==, expected);

  /* A manual segment has no rules to show. */
  g_assert_true (cohort_window_select_segment (f->ui.window, cohort_segment_get_id (manual)));
  ui_iterate ();
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (builder)));
}

/* The open question about unsaved rules, if any. */
static AdwMessageDialog *
find_question (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* not ours */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

/* As a click on a response button: the response, then the dialog closes. */
static void
answer (AdwMessageDialog *question,
        const char       *response)
{
  adw_message_dialog_response (question, response);
  gtk_window_destroy (GTK_WINDOW (question));
  ui_iterate ();
}

/* Picks segment @id as a click in the list would (not through the program). */
static void
user_selects (Fixture *f,
              gint64   id)
{
  GListModel *model = cohort_window_get_segments (f->ui.window);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(CohortSegment) s = g_list_model_get_item (model, i);

      if (cohort_segment_get_id (s) == id)
        gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (model), i);
    }
  ui_iterate ();
}

/* Leaving a segment with unsaved rules asks: Cancel stays, Discard and Save go on. */
static void
test_leave_asks (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(CohortSegment) manual = ui_create (&f->ui, "Hand-kept", COHORT_SEGMENT_MANUAL);
  CohortSegmentPage *page = WINDOW_CHILD (f->ui.window, "segment_page");
  CohortCriteriaBuilder *builder = TEMPLATE_CHILD (page, COHORT_TYPE_SEGMENT_PAGE, "criteria_builder");
  gint64 rules_id = cohort_segment_get_id (f->segment);
  gint64 manual_id = cohort_segment_get_id (manual);
  AdwMessageDialog *question;
  g_autofree char *stored = NULL;
  g_autofree char *expected = NULL;

  g_assert_true (cohort_window_select_segment (f->ui.window, rules_id));
  ui_iterate ();
  fill_row (add_condition (cohort_criteria_builder_get_root (builder)), "plan", COHORT_OP_EQ, "pro");
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (builder));

  /* Cancel: the segment with the edits stays shown, edits kept. */
  user_selects (f, manual_id);
  question = find_question ();
  g_assert_nonnull (question);
  g_assert_cmpint (cohort_window_get_selected_id (f->ui.window), ==, rules_id);
  answer (question, "cancel");
  g_assert_cmpint (cohort_window_get_selected_id (f->ui.window), ==, rules_id);
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (builder));

  /* Discard: the manual segment is shown; nothing was stored. */
  user_selects (f, manual_id);
  question = find_question ();
  g_assert_nonnull (question);
  answer (question, "discard");
  g_assert_cmpint (cohort_window_get_selected_id (f->ui.window), ==, manual_id);
  stored = stored_criteria (f);
  g_assert_null (stored);

  /* Save: stored, then the other segment is shown. */
  g_assert_true (cohort_window_select_segment (f->ui.window, rules_id));
  ui_iterate ();
  fill_row (add_condition (cohort_criteria_builder_get_root (builder)), "plan", COHORT_OP_EQ, "pro");
  user_selects (f, manual_id);
  question = find_question ();
  g_assert_nonnull (question);
  answer (question, "save");
  g_assert_cmpint (cohort_window_get_selected_id (f->ui.window), ==, manual_id);
  stored = stored_criteria (f);
  expected = canonical ("{\"and\": [{\"attribute\": {\"field\": \"plan\", \"operator\": \"eq\", \"value\": \"pro\"}}]}");
  g_assert_cmpstr (stored, ==, expected);
  g_assert_null (find_question ());
}

/* Delivers a scroll to @target as GTK does at the widget the pointer is
 * over: its capture-phase controllers first, then its own; stops at the
 * first that handles it. (GTK 4.8 has no public way to make a GdkScrollEvent.) */
static gboolean
deliver_scroll (GtkWidget *target,
                double     dy)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (target);
  const GtkPropagationPhase phases[] = { GTK_PHASE_CAPTURE, GTK_PHASE_TARGET, GTK_PHASE_BUBBLE };

  for (guint p = 0; p < G_N_ELEMENTS (phases); p++)
    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr(GtkEventController) c = g_list_model_get_item (controllers, i);
        gboolean handled = FALSE;

        if (!GTK_IS_EVENT_CONTROLLER_SCROLL (c) || gtk_event_controller_get_propagation_phase (c) != phases[p])
          continue;
        g_signal_emit_by_name (c, "scroll", 0.0, dy, &handled);
        if (handled)
          return TRUE;
      }
  return FALSE;
}

/* Scrolling the page over a spin button or a drop-down does not change it;
 * once focused, the wheel changes it as usual. */
static void
test_scroll_guard (Fixture       *f,
                   gconstpointer  data)
{
  CohortSegmentPage *page = WINDOW_CHILD (f->ui.window, "segment_page");
  CohortCriteriaBuilder *builder = TEMPLATE_CHILD (page, COHORT_TYPE_SEGMENT_PAGE, "criteria_builder");
  GtkWidget *scrolled;
  GtkAdjustment *vadj;
  CohortConditionRow *row;
  GtkSpinButton *spin;
  double before;

  import_events (f);
  g_assert_true (cohort_window_select_segment (f->ui.window, cohort_segment_get_id (f->segment)));
  ui_iterate ();
  for (guint i = 0; i < 5; i++)
    fill_row (add_condition (cohort_criteria_builder_get_root (builder)), "age", COHORT_OP_GT, "20");
  row = add_condition (cohort_criteria_builder_get_root (builder));
  choose (ROW_CHILD (row, "kind_dropdown"), "Event");
  set_text (ROW_CHILD (row, "event_entry"), "purchase");
  spin = ROW_CHILD (row, "count_spin");
  gtk_spin_button_set_value (spin, 3);
  ui_iterate ();

  scrolled = gtk_widget_get_ancestor (GTK_WIDGET (spin), GTK_TYPE_SCROLLED_WINDOW);
  g_assert_nonnull (scrolled);
  vadj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  gtk_adjustment_set_value (vadj, 0);
  gtk_widget_grab_focus (GROUP_CHILD (cohort_criteria_builder_get_root (builder), "add_condition_button"));
  ui_iterate ();
  g_assert_false (gtk_widget_has_focus (GTK_WIDGET (spin)));

  /* Not focused: the value stays, the page scrolls (when it can). */
  before = gtk_adjustment_get_value (vadj);
  g_assert_true (deliver_scroll (GTK_WIDGET (spin), 1.0));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 3);
  if (gtk_adjustment_get_upper (vadj) - gtk_adjustment_get_page_size (vadj) > 0)
    g_assert_cmpfloat (gtk_adjustment_get_value (vadj), >, before);
  g_assert_true (deliver_scroll (ROW_CHILD (row, "count_dropdown"), 1.0));
  g_assert_cmpuint (gtk_drop_down_get_selected (ROW_CHILD (row, "count_dropdown")), ==, 0);

  /* Focused: the wheel changes it. */
  gtk_widget_grab_focus (GTK_WIDGET (spin));
  ui_iterate ();
  g_assert_true (deliver_scroll (GTK_WIDGET (spin), -1.0));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 4);
}

/* "At least 0 times" is refused in place: it becomes "did not perform". */
static void
test_zero_times (Fixture       *f,
                 gconstpointer  data)
{
  CohortConditionRow *row;
  g_autofree char *json = NULL;
  g_autofree char *expected =
    canonical ("{\"and\": [{\"event\": {\"name\": \"purchase\", \"operator\": \"not_performed\"}}]}");

  import_events (f);
  row = add_condition (root (f));
  choose (ROW_CHILD (row, "kind_dropdown"), "Event");
  set_text (ROW_CHILD (row, "event_entry"), "purchase");
  assert_count (f, 4);
  gtk_spin_button_set_value (ROW_CHILD (row, "count_spin"), 0);
  ui_iterate ();

  g_assert_cmpuint (gtk_drop_down_get_selected (ROW_CHILD (row, "performed_dropdown")), ==, 1);
  g_assert_cmpuint (gtk_drop_down_get_selected (ROW_CHILD (row, "count_dropdown")), ==, 0);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (ROW_CHILD (row, "count_spin")), ==, 1);
  json = cohort_criteria_builder_dup_json (f->builder);
  g_assert_cmpstr (json, ==, expected);
  assert_count (f, 16);
}

/* A new row is not marked while it is filled in; it is once the focus left
 * it. An empty value is never saved. */
static void
test_untouched_row (Fixture       *f,
                    gconstpointer  data)
{
  CohortConditionRow *row = add_condition (root (f));
  GtkWidget *error_label = ROW_CHILD (row, "error_label");

  g_assert_true (gtk_widget_has_focus (ROW_CHILD (row, "kind_dropdown")) ||
                 gtk_widget_get_focus_child (ROW_CHILD (row, "kind_dropdown")) != NULL ||
                 gtk_widget_get_focus_child (GTK_WIDGET (row)) != NULL);
  set_text (ROW_CHILD (row, "field_entry"), "plan");
  choose (ROW_CHILD (row, "op_dropdown"), cohort_operator_get_label (COHORT_OP_EQ));
  g_assert_false (gtk_widget_get_visible (error_label));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "invalid"));
  g_assert_false (save_enabled (f));

  /* The focus leaves the row: now it says what is missing. */
  gtk_widget_grab_focus (GROUP_CHILD (root (f), "add_condition_button"));
  ui_iterate ();
  g_assert_true (gtk_widget_get_visible (error_label));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (error_label)), ==, "Enter a value");

  /* Spaces are no value either; a value is. */
  set_text (ROW_CHILD (row, "value_entry"), "  ");
  g_assert_false (save_enabled (f));
  g_assert_false (cohort_criteria_builder_save (f->builder, NULL));
  set_text (ROW_CHILD (row, "value_entry"), "pro");
  g_assert_false (gtk_widget_get_visible (error_label));
  g_assert_true (save_enabled (f));
  assert_count (f, 5);
}

/* A number is read as the core reads it: hex, inf and nan are no number;
 * spaces around a decimal one are fine. */
static void
test_number_as_core_reads (Fixture       *f,
                           gconstpointer  data)
{
  CohortConditionRow *row = add_condition (root (f));
  const char *not_numbers[] = { "0x10", "inf", "nan", "1e", "12abc" };

  for (gsize i = 0; i < G_N_ELEMENTS (not_numbers); i++)
    {
      fill_row (row, "age", COHORT_OP_GT, not_numbers[i]);
      g_assert_false (save_enabled (f));
      g_assert_false (cohort_criteria_builder_save (f->builder, NULL));
    }
  fill_row (row, "age", COHORT_OP_GT, " 16 ");
  g_assert_true (save_enabled (f));
}

/* Enter on Discard (or Escape) asks when there are changes; Cancel keeps
 * them and the focus, Discard drops them and the focus stays in the rules. */
static void
test_discard_asks (Fixture       *f,
                   gconstpointer  data)
{
  GtkWidget *discard = BUILDER_CHILD (f->builder, "discard_button");
  AdwMessageDialog *question;
  GtkWidget *focus;
  gint64 until;

  fill_row (add_condition (root (f)), "plan", COHORT_OP_EQ, "pro");
  g_assert_true (cohort_criteria_builder_save (f->builder, NULL));
  fill_row (add_condition (root (f)), "age", COHORT_OP_GT, "30");
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (f->builder));

  /* Enter on the focused Discard button. */
  gtk_widget_grab_focus (discard);
  gtk_widget_activate (discard);
  until = g_get_monotonic_time () + 400 * 1000;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  question = ADW_MESSAGE_DIALOG (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (question);
  g_assert_cmpstr (adw_message_dialog_get_default_response (question), ==, "cancel");
  ui_respond (question, "cancel");
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (f->builder));
  g_assert_cmpuint (cohort_condition_group_get_n_children (root (f)), ==, 2);
  g_assert_true (gtk_root_get_focus (GTK_ROOT (f->window)) == discard);

  /* Escape in a field asks the same; Discard goes back to the saved rules. */
  gtk_widget_grab_focus (ROW_CHILD (cohort_condition_group_get_child (root (f), 1), "value_entry"));
  g_assert_true (gtk_widget_activate_action (gtk_root_get_focus (GTK_ROOT (f->window)), "criteria.discard", NULL));
  ui_iterate ();
  question = ADW_MESSAGE_DIALOG (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (question);
  ui_respond (question, "discard");
  g_assert_false (cohort_criteria_builder_has_unsaved_changes (f->builder));
  g_assert_cmpuint (cohort_condition_group_get_n_children (root (f)), ==, 1);
  focus = gtk_root_get_focus (GTK_ROOT (f->window));
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_is_ancestor (focus, GTK_WIDGET (root (f))));

  /* Nothing changed: nothing to ask. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->builder), "criteria.discard", NULL));
  ui_iterate ();
  g_assert_null (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

/* Safe defaults: a segment without rules matches no one and sync leaves it
 * out; rules that match everyone are saved only once confirmed. */
static void
test_safe_defaults (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CohortSyncPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  GPtrArray *notes;
  gboolean noted = FALSE;

  assert_no_rules (f);
  plan = cohort_sync_plan_new (f->ws, 0, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < cohort_sync_plan_get_n_actions (plan); i++)
    g_assert_cmpint (cohort_sync_plan_get_action (plan, i)->segment_id, !=, cohort_segment_get_id (f->segment));
  notes = cohort_sync_plan_get_notes (plan);
  for (guint i = 0; i < notes->len; i++)
    noted |= strstr (g_ptr_array_index (notes, i), "has no rules yet") != NULL;
  g_assert_true (noted);

  /* Everyone matches "email exists": Save asks; Cancel keeps it unsaved. */
  fill_row (add_condition (root (f)), "email", COHORT_OP_EXISTS, NULL);
  assert_count (f, 20);
  ui_click (BUILDER_CHILD (f->builder, "save_button"));
  g_assert_nonnull (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  ui_respond (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG), "cancel");
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (f->builder));
  stored = stored_criteria (f);
  g_assert_null (stored);

  /* Save Anyway saves. */
  ui_click (BUILDER_CHILD (f->builder, "save_button"));
  ui_respond (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG), "save");
  g_assert_false (cohort_criteria_builder_has_unsaved_changes (f->builder));
  stored = stored_criteria (f);
  g_assert_nonnull (stored);

  /* Removing every condition and saving stores no criteria again. */
  ui_click (ROW_CHILD (cohort_condition_group_get_child (root (f), 0), "remove_button"));
  assert_no_rules (f);
  ui_click (BUILDER_CHILD (f->builder, "save_button"));
  g_assert_null (ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_clear_pointer (&stored, g_free);
  stored = stored_criteria (f);
  g_assert_null (stored);
}

/* The live count, its share and the change against the saved rules stay in
 * a bar below the page while the rules scroll. */
static void
test_count_bar (Fixture       *f,
                gconstpointer  data)
{
  CohortSegmentPage *page = WINDOW_CHILD (f->ui.window, "segment_page");
  CohortCriteriaBuilder *builder = cohort_segment_page_get_criteria_builder (page);
  GtkWidget *bar = TEMPLATE_CHILD (page, COHORT_TYPE_SEGMENT_PAGE, "count_bar");
  GtkLabel *label = TEMPLATE_CHILD (page, COHORT_TYPE_SEGMENT_PAGE, "count_bar_label");
  CohortConditionGroup *top;
  GtkAdjustment *vadj;
  graphene_rect_t bounds;
  CountWait w = { NULL, 5 };

  /* Only the main window on screen (for the screenshot). */
  gtk_widget_set_visible (GTK_WIDGET (f->window), FALSE);
  g_assert_true (cohort_window_select_segment (f->ui.window, cohort_segment_get_id (f->segment)));
  ui_iterate ();
  top = cohort_criteria_builder_get_root (builder);
  w.builder = builder;
  g_assert_true (gtk_widget_get_mapped (bar));
  g_assert_null (gtk_widget_get_ancestor (bar, GTK_TYPE_SCROLLED_WINDOW));

  fill_row (add_condition (top), "plan", COHORT_OP_EQ, "pro");
  g_assert_true (ui_wait_until (count_is, &w));
  g_assert_true (cohort_criteria_builder_save (builder, NULL));
  ui_iterate ();
  g_assert_true (g_str_has_prefix (gtk_label_get_label (label), "5 customers match · 25.0\u00a0% of all"));
  g_assert_null (strstr (gtk_label_get_label (label), "vs saved"));

  /* Five more conditions: the rules scroll, the bar stays in the window. */
  fill_row (add_condition (top), "age", COHORT_OP_GT, "30");
  for (guint i = 0; i < 4; i++)
    fill_row (add_condition (top), "email", COHORT_OP_EXISTS, NULL);
  w.count = 4;
  g_assert_true (ui_wait_until (count_is, &w));
  ui_iterate ();
  g_assert_cmpstr (gtk_label_get_label (label), ==, "4 customers match · 20.0\u00a0% of all · −1 vs saved");

  vadj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (GTK_WIDGET (builder),
                                                                                            GTK_TYPE_SCROLLED_WINDOW)));
  g_assert_cmpfloat (gtk_adjustment_get_upper (vadj), >, gtk_adjustment_get_page_size (vadj));
  gtk_adjustment_set_value (vadj, gtk_adjustment_get_upper (vadj));
  ui_iterate ();
  g_assert_true (gtk_widget_get_mapped (bar));
  g_assert_true (gtk_widget_compute_bounds (bar, GTK_WIDGET (f->ui.window), &bounds));
  g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=, gtk_widget_get_height (GTK_WIDGET (f->ui.window)));
  ui_screenshot ("count-bar");
}

/* Criteria stored nested deeper than anything may walk (by another program):
 * the builder shows the error instead of crashing on the JSON. */
static void
test_too_deep_stored (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *deep =
    test_not_chain (100000, "{\"attribute\":{\"field\":\"plan\",\"operator\":\"exists\"}}");
  g_autoptr(CohortSegment) reloaded = NULL;
  GtkLabel *message = BUILDER_CHILD (f->builder, "message_label");
  sqlite3_stmt *stmt;

  stmt = cohort_workspace_prepare (f->ws, "UPDATE segments SET criteria = ? WHERE id = ?", NULL);
  g_assert_nonnull (stmt);
  sqlite3_bind_text (stmt, 1, deep, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, cohort_segment_get_id (f->segment));
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);

  reloaded = cohort_segments_get (f->ws, cohort_segment_get_id (f->segment), NULL);
  g_assert_nonnull (reloaded);
  cohort_criteria_builder_set_segment (f->builder, f->ws, reloaded);
  ui_iterate ();
  g_assert_nonnull (strstr (gtk_label_get_label (message), "deeper than"));
}

int
main (int   argc,
      char *argv[])
{
  /* 21 January 2025, 00:00 UTC (before any thread starts) */
  g_setenv ("COHORT_NOW", "1737417600", TRUE);
  ui_init (&argc, &argv);

  g_test_add ("/ui/criteria-builder/two-groups", Fixture, NULL, set_up, test_two_groups, tear_down);
  g_test_add ("/ui/criteria-builder/invalid-and-undo", Fixture, NULL, set_up, test_invalid_and_undo, tear_down);
  g_test_add ("/ui/criteria-builder/dates-lists-ranges", Fixture, NULL, set_up, test_dates, tear_down);
  g_test_add ("/ui/criteria-builder/paste", Fixture, NULL, set_up, test_paste, tear_down);
  g_test_add ("/ui/criteria-builder/event-row", Fixture, NULL, set_up, test_event_row, tear_down);
  g_test_add ("/ui/criteria-builder/segments-and-none", Fixture, NULL, set_up, test_segments_and_none, tear_down);
  g_test_add ("/ui/criteria-builder/sample-row", Fixture, NULL, set_up, test_sample_row, tear_down);
  g_test_add ("/ui/criteria-builder/custom-and-cycle", Fixture, NULL, set_up, test_custom_and_cycle, tear_down);
  g_test_add ("/ui/criteria-builder/page", Fixture, NULL, set_up, test_page, tear_down);
  g_test_add ("/ui/criteria-builder/leave-asks", Fixture, NULL, set_up, test_leave_asks, tear_down);
  g_test_add ("/ui/criteria-builder/scroll-guard", Fixture, NULL, set_up, test_scroll_guard, tear_down);
  g_test_add ("/ui/criteria-builder/zero-times", Fixture, NULL, set_up, test_zero_times, tear_down);
  g_test_add ("/ui/criteria-builder/untouched-row", Fixture, NULL, set_up, test_untouched_row, tear_down);
  g_test_add ("/ui/criteria-builder/number-as-core-reads", Fixture, NULL, set_up, test_number_as_core_reads, tear_down);
  g_test_add ("/ui/criteria-builder/discard-asks", Fixture, NULL, set_up, test_discard_asks, tear_down);
  g_test_add ("/ui/criteria-builder/safe-defaults", Fixture, NULL, set_up, test_safe_defaults, tear_down);
  g_test_add ("/ui/criteria-builder/count-bar", Fixture, NULL, set_up, test_count_bar, tear_down);
  g_test_add ("/ui/criteria-builder/too-deep-stored", Fixture, NULL, set_up, test_too_deep_stored, tear_down);

  return g_test_run ();
}
