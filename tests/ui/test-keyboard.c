/* test-keyboard.c: a data-driven segment made and given two conditions with
 * the keyboard only
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8 has no public way to make key events, so the keys are played as
 * GTK plays them: Tab and Shift+Tab are gtk_widget_child_focus() on the
 * window (what GtkWindow's move-focus binding does), Enter and Space are
 * gtk_widget_activate() on the focus widget, typing sets the focused
 * entry's text, and a shortcut is looked up among the shortcut
 * controllers from the focus widget up to the window (as GTK bubbles a key
 * press) and its action run. The test fails if the focus is not where a
 * keyboard user needs it.
 */
#include "config.h"

#include "cohort-condition-group.h"
#include "cohort-criteria.h"
#include "cohort-criteria-builder.h"
#include "cohort-importer.h"
#include "cohort-segment-page.h"
#include "cohort-segment-row.h"
#include "cohort-ui-test.h"

static GtkWidget *
focus_of (gpointer window)
{
  return gtk_root_get_focus (GTK_ROOT (window));
}

static void
press_tab (gpointer window)
{
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD));
  ui_iterate ();
}

/* The focus widget, or the editable it sits in (the GtkText of an entry). */
static GtkWidget *
focused_control (gpointer window)
{
  GtkWidget *focus = focus_of (window);

  if (GTK_IS_TEXT (focus) && GTK_IS_EDITABLE (gtk_widget_get_parent (focus)))
    return gtk_widget_get_parent (focus);
  return focus;
}

/* Tabs until @target has the focus; fails after @max presses. Returns the
 * number of presses. */
static guint
tab_to (gpointer   window,
        GtkWidget *target,
        guint      max)
{
  for (guint n = 0; n <= max; n++)
    {
      GtkWidget *focus = focused_control (window);

      if (focus == target || (focus != NULL && gtk_widget_is_ancestor (focus, target)))
        return n;
      press_tab (window);
    }
  g_error ("%s not reached with %u Tab presses (focus on %s)", G_OBJECT_TYPE_NAME (target), max,
           focus_of (window) ? G_OBJECT_TYPE_NAME (focus_of (window)) : "nothing");
  return max;
}

static void
press_enter (gpointer window)
{
  GtkWidget *focus = focus_of (window);

  gint64 until = g_get_monotonic_time () + 400 * 1000;

  g_assert_nonnull (focus);
  gtk_widget_activate (focus);
  /* A button shows itself pressed for 250 ms before it is clicked. */
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
}

static void
type_text (gpointer    window,
           const char *text)
{
  GtkWidget *focus = focused_control (window);

  g_assert_true (GTK_IS_EDITABLE (focus));
  gtk_editable_set_text (GTK_EDITABLE (focus), text);
  ui_iterate ();
}

/* A key press of @keyval with @mods, delivered to the shortcut controllers
 * from the focus widget up to the window. */
static gboolean
press_shortcut (gpointer        window,
                guint           keyval,
                GdkModifierType mods)
{
  for (GtkWidget *w = focus_of (window); w != NULL; w = gtk_widget_get_parent (w))
    {
      g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (w);

      for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
        {
          g_autoptr(GObject) c = g_list_model_get_item (controllers, i);

          if (!GTK_IS_SHORTCUT_CONTROLLER (c))
            continue;
          for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (c)); j++)
            {
              g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (c), j);
              GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);

              if (GTK_IS_KEYVAL_TRIGGER (trigger) &&
                  gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval &&
                  gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == mods &&
                  gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, w,
                                                gtk_shortcut_get_arguments (shortcut)))
                {
                  ui_iterate ();
                  return TRUE;
                }
            }
        }
    }
  return FALSE;
}

static void
import_customers (UiFixture *f)
{
  g_autoptr(GString) csv = g_string_new ("id,email,plan,age\n");
  g_autofree char *path = g_build_filename (f->dir, "customers.csv", NULL);
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 1; i <= 20; i++)
    g_string_append_printf (csv, "c%02u,person%u@example.com,%s,%u\n",
                            i, i, i % 4 == 0 ? "pro" : "free", 15 + 2 * i);
  g_assert_true (g_file_set_contents (path, csv->str, (gssize) csv->len, NULL));
  importer = cohort_importer_new (path);
  g_assert_true (cohort_importer_run (importer, cohort_window_get_workspace (f->window), NULL, &error));
  g_assert_no_error (error);
  ui_iterate ();
}

#define ROW_CHILD(r, name) TEMPLATE_CHILD (r, COHORT_TYPE_CONDITION_ROW, name)
#define GROUP_CHILD(g, name) TEMPLATE_CHILD (g, COHORT_TYPE_CONDITION_GROUP, name)

static void
test_keyboard_only (UiFixture     *f,
                    gconstpointer  data)
{
  CohortSegmentPage *page = WINDOW_CHILD (f->window, "segment_page");
  CohortCriteriaBuilder *builder = cohort_segment_page_get_criteria_builder (page);
  CohortConditionGroup *top;
  CohortConditionRow *row;
  CohortSegmentDialog *dialog;
  g_autoptr(CohortSegment) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCriteria) expected = NULL;
  g_autofree char *expected_json = NULL;
  guint presses;

  import_customers (f);

  /* Ctrl+N is an application accelerator: the action it runs. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.create-segment", NULL));
  ui_iterate ();
  dialog = ui_find_toplevel (COHORT_TYPE_SEGMENT_DIALOG);
  g_assert_nonnull (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);

  /* Name, Tab to the kind, Space to choose Data-driven, Enter to create. */
  tab_to (dialog, DIALOG_CHILD (dialog, "name_row"), 10);
  type_text (dialog, "Keyboard");
  tab_to (dialog, DIALOG_CHILD (dialog, "data_driven_check"), 10);
  press_enter (dialog);
  g_assert_true (gtk_check_button_get_active (DIALOG_CHILD (dialog, "data_driven_check")));
  g_assert_true (gtk_widget_is_sensitive (DIALOG_CHILD (dialog, "save_button")));
  tab_to (dialog, DIALOG_CHILD (dialog, "name_row"), 10);
  g_signal_emit_by_name (DIALOG_CHILD (dialog, "name_row"), "entry-activated");   /* Enter in the name */
  ui_iterate ();
  g_assert_null (dialog);

  /* The focus is in the builder, on Add Condition (no rules yet). */
  top = cohort_criteria_builder_get_root (builder);
  g_assert_true (focus_of (f->window) == GROUP_CHILD (top, "add_condition_button"));

  /* Enter adds a condition and puts the focus in it. */
  press_enter (f->window);
  g_assert_cmpuint (cohort_condition_group_get_n_children (top), ==, 1);
  row = COHORT_CONDITION_ROW (cohort_condition_group_get_child (top, 0));
  g_assert_true (gtk_widget_is_ancestor (focus_of (f->window), GTK_WIDGET (row)));
  presses = tab_to (f->window, ROW_CHILD (row, "field_entry"), 3);
  type_text (f->window, "plan");
  presses += tab_to (f->window, ROW_CHILD (row, "value_entry"), 4);
  type_text (f->window, "pro");
  g_test_message ("first condition filled with %u Tab presses", presses);

  /* Tab on to Add Condition, Enter: a second condition. */
  presses = tab_to (f->window, GROUP_CHILD (top, "add_condition_button"), 6);
  g_test_message ("Add Condition %u Tab presses after the first value", presses);
  press_enter (f->window);
  g_assert_cmpuint (cohort_condition_group_get_n_children (top), ==, 2);
  row = COHORT_CONDITION_ROW (cohort_condition_group_get_child (top, 1));
  g_assert_true (gtk_widget_is_ancestor (focus_of (f->window), GTK_WIDGET (row)));
  tab_to (f->window, ROW_CHILD (row, "field_entry"), 3);
  type_text (f->window, "age");
  tab_to (f->window, ROW_CHILD (row, "op_dropdown"), 3);
  /* Arrow keys in the open list pick "is greater than". */
  {
    GtkDropDown *ops = ROW_CHILD (row, "op_dropdown");
    GListModel *model = gtk_drop_down_get_model (ops);

    for (guint i = 0; i < g_list_model_get_n_items (model); i++)
      {
        g_autoptr(GtkStringObject) item = g_list_model_get_item (model, i);

        if (g_strcmp0 (gtk_string_object_get_string (item), cohort_operator_get_label (COHORT_OP_GT)) == 0)
          gtk_drop_down_set_selected (ops, i);
      }
    ui_iterate ();
  }
  tab_to (f->window, ROW_CHILD (row, "value_entry"), 3);
  type_text (f->window, "30");
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (builder));

  /* Ctrl+S saves. */
  g_assert_true (press_shortcut (f->window, GDK_KEY_s, GDK_CONTROL_MASK));
  g_assert_false (cohort_criteria_builder_has_unsaved_changes (builder));
  stored = cohort_segments_lookup (cohort_window_get_workspace (f->window), "Keyboard", &error);
  g_assert_no_error (error);
  expected = cohort_criteria_parse ("{\"and\": [{\"attribute\": {\"field\": \"plan\", \"operator\": \"eq\", \"value\": \"pro\"}},"
                                    " {\"attribute\": {\"field\": \"age\", \"operator\": \"gt\", \"value\": 30}}]}", &error);
  g_assert_no_error (error);
  expected_json = cohort_criteria_to_string (expected, FALSE);
  g_assert_cmpstr (cohort_segment_get_criteria (stored), ==, expected_json);
  ui_screenshot ("keyboard-only");

  /* Escape in a field leaves the edit, asking first. */
  type_text (f->window, "40");
  g_assert_true (cohort_criteria_builder_has_unsaved_changes (builder));
  g_assert_true (press_shortcut (f->window, GDK_KEY_Escape, 0));
  {
    AdwMessageDialog *question = ui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);

    g_assert_nonnull (question);
    ui_respond (question, "discard");
  }
  g_assert_false (cohort_criteria_builder_has_unsaved_changes (builder));
  g_assert_true (gtk_widget_is_ancestor (focus_of (f->window), GTK_WIDGET (builder)));

  /* Text that can be selected is not a Tab stop anywhere in the window. */
  {
    GPtrArray *stack = g_ptr_array_new ();

    g_ptr_array_add (stack, f->window);
    while (stack->len > 0)
      {
        GtkWidget *w = g_ptr_array_steal_index (stack, stack->len - 1);

        if (GTK_IS_LABEL (w) && gtk_label_get_selectable (GTK_LABEL (w)) && gtk_widget_get_mapped (w))
          g_assert_false (gtk_widget_get_focusable (w));
        for (GtkWidget *c = gtk_widget_get_first_child (w); c != NULL; c = gtk_widget_get_next_sibling (c))
          g_ptr_array_add (stack, c);
      }
    g_ptr_array_unref (stack);
  }
}

static CohortSegmentRow *
find_row (GtkWidget  *widget,
          const char *name)
{
  if (COHORT_IS_SEGMENT_ROW (widget) && cohort_segment_row_get_segment (COHORT_SEGMENT_ROW (widget)) != NULL &&
      g_strcmp0 (cohort_segment_get_name (cohort_segment_row_get_segment (COHORT_SEGMENT_ROW (widget))), name) == 0)
    return COHORT_SEGMENT_ROW (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      CohortSegmentRow *row = find_row (c, name);

      if (row != NULL)
        return row;
    }
  return NULL;
}

/* A press on a row of the list, as GTK delivers it: the list's
 * capture-phase click gestures first, then the row selects its item. */
static void
click_row (CohortWindow *window,
           const char   *name)
{
  GtkWidget *list = WINDOW_CHILD (window, "segment_list");
  CohortSegmentRow *row = find_row (list, name);
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (list);
  graphene_point_t in_row = GRAPHENE_POINT_INIT (4, 4);
  graphene_point_t at;
  int position = -1;

  g_assert_nonnull (row);
  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (row), list, &in_row, &at));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (c) && gtk_event_controller_get_propagation_phase (c) == GTK_PHASE_CAPTURE)
        g_signal_emit_by_name (c, "pressed", 1, (double) at.x, (double) at.y);
    }
  for (guint i = 0; i < g_list_model_get_n_items (cohort_window_get_segments (window)); i++)
    {
      g_autoptr(CohortSegment) s = g_list_model_get_item (cohort_window_get_segments (window), i);

      if (g_strcmp0 (cohort_segment_get_name (s), name) == 0)
        position = (int) i;
    }
  g_assert_cmpint (position, >=, 0);
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (cohort_window_get_segments (window)), (guint) position);
  ui_iterate ();
}

/* In the one-column layout one click (or Enter) on a segment opens it;
 * moving through the list with the arrow keys does not. */
static void
test_narrow_one_click (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cohort-ui-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "test.cohort", NULL);
  CohortWindow *window = cohort_window_new (NULL);
  AdwLeaflet *leaflet = WINDOW_CHILD (window, "leaflet");
  g_autoptr(CohortSegment) a = NULL;
  g_autoptr(CohortSegment) b = NULL;
  g_autoptr(GError) error = NULL;

  gtk_window_set_default_size (GTK_WINDOW (window), 660, 700);
  g_assert_true (cohort_window_open_workspace (window, path, TRUE));
  gtk_window_present (GTK_WINDOW (window));
  a = cohort_segments_create (cohort_window_get_workspace (window), "Alpha", COHORT_SEGMENT_MANUAL, "", &error);
  g_assert_no_error (error);
  b = cohort_segments_create (cohort_window_get_workspace (window), "Beta", COHORT_SEGMENT_MANUAL, "", &error);
  g_assert_no_error (error);
  ui_iterate ();
  g_assert_true (adw_leaflet_get_folded (leaflet));
  adw_leaflet_set_visible_child_name (leaflet, "sidebar");

  /* Selected without the pointer (arrow keys): the list stays. */
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (cohort_window_get_segments (window)), 1);
  ui_iterate ();
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "sidebar");

  /* One click: the segment's page. */
  click_row (window, "Alpha");
  g_assert_cmpint (cohort_window_get_selected_id (window), ==, cohort_segment_get_id (a));
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "content");
  ui_screenshot ("narrow-open");

  /* Back, and one click on the row already selected opens it too. */
  adw_leaflet_set_visible_child_name (leaflet, "sidebar");
  click_row (window, "Alpha");
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "content");

  /* Enter (the list's activate) opens as well. */
  adw_leaflet_set_visible_child_name (leaflet, "sidebar");
  g_assert_true (gtk_widget_activate_action (WINDOW_CHILD (window, "segment_list"), "list.activate-item", "u", 1));
  ui_iterate ();
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "content");

  g_object_ref (window);
  gtk_window_destroy (GTK_WINDOW (window));
  ui_iterate ();
  g_assert_finalize_object (window);
  ui_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("COHORT_NOW", "1737417600", TRUE);
  ui_init (&argc, &argv);

  g_test_add ("/ui/keyboard/create-and-two-conditions", UiFixture, NULL,
              ui_fixture_set_up, test_keyboard_only, ui_fixture_tear_down);
  g_test_add_func ("/ui/narrow/one-click-opens", test_narrow_one_click);

  return g_test_run ();
}
