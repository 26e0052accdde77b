/* test-segment-dialog.c: creating segments through the real dialog
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-ui-test.h"

static CohortSegmentDialog *
open_create_dialog (UiFixture *f)
{
  CohortSegmentDialog *dialog;

  g_assert_null (ui_find_toplevel (COHORT_TYPE_SEGMENT_DIALOG));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.create-segment", NULL));
  ui_iterate ();

  dialog = ui_find_toplevel (COHORT_TYPE_SEGMENT_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f->window));

  return dialog;
}

static gboolean
save_sensitive (CohortSegmentDialog *dialog)
{
  GtkWidget *save = DIALOG_CHILD (dialog, "save_button");

  /* What the user sees and what the action allows must agree. */
  g_assert_cmpint (gtk_widget_is_sensitive (save), ==, cohort_segment_dialog_get_can_save (dialog));

  return gtk_widget_is_sensitive (save);
}

static void
type_name (CohortSegmentDialog *dialog,
           const char          *text)
{
  gtk_editable_set_text (GTK_EDITABLE (DIALOG_CHILD (dialog, "name_row")), text);
  ui_iterate ();
}

static void
create_through_dialog (UiFixture         *f,
                       CohortSegmentKind  kind,
                       const char        *typed_name,
                       const char        *stored_name,
                       const char        *description)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) stored = NULL;
  g_autoptr(CohortSegment) selected = NULL;
  g_autoptr(GError) error = NULL;
  CohortSegmentDialog *dialog;
  GtkWidget *choice;
  int position;

  dialog = open_create_dialog (f);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);

  /* Nothing chosen yet: cannot save. */
  g_assert_false (save_sensitive (dialog));

  choice = DIALOG_CHILD (dialog, kind == COHORT_SEGMENT_DATA_DRIVEN ? "data_driven_check" : "manual_check");
  gtk_widget_activate (choice);
  ui_iterate ();
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (choice)));
  /* A kind but no name yet. */
  g_assert_false (save_sensitive (dialog));

  type_name (dialog, typed_name);
  if (description != NULL)
    gtk_editable_set_text (GTK_EDITABLE (DIALOG_CHILD (dialog, "description_row")), description);
  g_assert_true (save_sensitive (dialog));
  g_assert_false (gtk_widget_get_visible (DIALOG_CHILD (dialog, "error_label")));

  /* Save Changes, as a click would. */
  ui_click (DIALOG_CHILD (dialog, "save_button"));
  g_assert_null (dialog);

  /* In the list, selected, and shown on the page. */
  position = ui_find_in_list (f, stored_name);
  g_assert_cmpint (position, >=, 0);
  selected = g_list_model_get_item (cohort_window_get_segments (f->window), position);
  g_assert_cmpint (cohort_window_get_selected_id (f->window), ==, cohort_segment_get_id (selected));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (WINDOW_CHILD (f->window, "main_stack"))), ==, "segments");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (WINDOW_CHILD (f->window, "content_stack"))), ==, "segment");

  /* And in the file, as another program sees it. */
  ws = ui_open_again (f);
  stored = cohort_segments_lookup (ws, stored_name, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cohort_segment_get_id (stored), ==, cohort_segment_get_id (selected));
  g_assert_cmpstr (cohort_segment_get_name (stored), ==, stored_name);
  g_assert_cmpint (cohort_segment_get_kind (stored), ==, kind);
  g_assert_true (cohort_segment_get_active (stored));
  g_assert_cmpstr (cohort_segment_get_description (stored), ==, description ? description : "");
}

static void
test_create_data_driven (UiFixture     *f,
                         gconstpointer  data)
{
  create_through_dialog (f, COHORT_SEGMENT_DATA_DRIVEN, "  Big spenders  ", "Big spenders",
                         "Spent more than $500 this quarter");
}

static void
test_create_manual (UiFixture     *f,
                    gconstpointer  data)
{
  create_through_dialog (f, COHORT_SEGMENT_MANUAL, "VIP", "VIP", NULL);
  /* A second one, with a unicode name. */
  create_through_dialog (f, COHORT_SEGMENT_MANUAL, "Ärzte in Zürich ✓", "Ärzte in Zürich ✓", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (cohort_window_get_segments (f->window)), ==, 2);
}

static void
test_invalid_names (UiFixture     *f,
                    gconstpointer  data)
{
  g_autoptr(CohortSegment) existing = ui_create (f, "Existing", COHORT_SEGMENT_MANUAL);
  g_autofree char *too_long = g_strnfill (COHORT_SEGMENT_NAME_MAX_CHARS + 1, 'x');
  g_autofree char *longest = g_strnfill (COHORT_SEGMENT_NAME_MAX_CHARS, 'y');
  const char *invalid[] = { "", "   ", "\t \n", "Existing", "existing", "  Existing ", too_long };
  CohortSegmentDialog *dialog;
  GtkWidget *error_label;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GPtrArray) all = NULL;

  dialog = open_create_dialog (f);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  error_label = DIALOG_CHILD (dialog, "error_label");

  /* Nothing typed yet: no complaint, but no saving either. */
  gtk_widget_activate (DIALOG_CHILD (dialog, "data_driven_check"));
  ui_iterate ();
  g_assert_false (save_sensitive (dialog));
  g_assert_false (gtk_widget_get_visible (error_label));

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_test_message ("name “%s”", invalid[i]);
      type_name (dialog, "valid");
      g_assert_true (save_sensitive (dialog));

      type_name (dialog, invalid[i]);
      g_assert_false (save_sensitive (dialog));
      /* The reason shows inline. */
      g_assert_true (gtk_widget_get_visible (error_label));
      g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (error_label)), !=, "");

      /* Enter in the name does not save either. */
      g_signal_emit_by_name (DIALOG_CHILD (dialog, "name_row"), "entry-activated");
      ui_iterate ();
      g_assert_nonnull (dialog);
    }

  type_name (dialog, longest);
  g_assert_true (save_sensitive (dialog));
  g_assert_false (gtk_widget_get_visible (error_label));

  /* Escape (window.close) leaves without saving. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "window.close", NULL);
  ui_iterate ();
  g_assert_null (dialog);

  ws = ui_open_again (f);
  all = cohort_segments_list (ws, NULL);
  g_assert_cmpuint (all->len, ==, 1);
}

static void
test_edit (UiFixture     *f,
           gconstpointer  data)
{
  g_autoptr(CohortSegment) segment = ui_create (f, "Old name", COHORT_SEGMENT_DATA_DRIVEN);
  g_autoptr(CohortSegment) other = ui_create (f, "Other", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegment) stored = NULL;
  g_autoptr(CohortWorkspace) ws = NULL;
  CohortSegmentDialog *dialog;

  g_assert_true (cohort_window_select_segment (f->window, cohort_segment_get_id (segment)));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.edit-segment", NULL);
  ui_iterate ();
  dialog = ui_find_toplevel (COHORT_TYPE_SEGMENT_DIALOG);
  g_assert_nonnull (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);

  /* The kind cannot change; the current name is valid for itself. */
  g_assert_false (gtk_widget_get_visible (DIALOG_CHILD (dialog, "kind_group")));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (DIALOG_CHILD (dialog, "name_row"))), ==, "Old name");
  g_assert_true (save_sensitive (dialog));

  type_name (dialog, "other");
  g_assert_false (save_sensitive (dialog));

  type_name (dialog, "New name");
  gtk_editable_set_text (GTK_EDITABLE (DIALOG_CHILD (dialog, "description_row")), "Now described");
  g_assert_true (save_sensitive (dialog));
  ui_click (DIALOG_CHILD (dialog, "save_button"));
  g_assert_null (dialog);

  g_assert_cmpint (ui_find_in_list (f, "Old name"), ==, -1);
  g_assert_cmpint (ui_find_in_list (f, "New name"), >=, 0);
  g_assert_cmpint (cohort_window_get_selected_id (f->window), ==, cohort_segment_get_id (segment));

  ws = ui_open_again (f);
  stored = cohort_segments_get (ws, cohort_segment_get_id (segment), NULL);
  g_assert_cmpstr (cohort_segment_get_name (stored), ==, "New name");
  g_assert_cmpstr (cohort_segment_get_description (stored), ==, "Now described");
  g_assert_cmpint (cohort_segment_get_kind (stored), ==, COHORT_SEGMENT_DATA_DRIVEN);
}

static void
test_accessible (UiFixture     *f,
                 gconstpointer  data)
{
  CohortSegmentDialog *dialog = open_create_dialog (f);

  /* The kind choices are named as their visible titles. */
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (DIALOG_CHILD (dialog, "data_driven_check")),
                                   GTK_ACCESSIBLE_ROLE_CHECKBOX);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (DIALOG_CHILD (dialog, "data_driven_check")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Data-driven");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (DIALOG_CHILD (dialog, "manual_check")),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Manual");
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (DIALOG_CHILD (dialog, "save_button")),
                                   GTK_ACCESSIBLE_ROLE_BUTTON);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (DIALOG_CHILD (dialog, "save_button"))), ==, "_Save Changes");
  /* Save is disabled for assistive technologies too. */
  gtk_test_accessible_assert_state (GTK_ACCESSIBLE (DIALOG_CHILD (dialog, "save_button")),
                                    GTK_ACCESSIBLE_STATE_DISABLED, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  ui_init (&argc, &argv);

  g_test_add ("/ui/segment-dialog/create-data-driven", UiFixture, NULL,
              ui_fixture_set_up, test_create_data_driven, ui_fixture_tear_down);
  g_test_add ("/ui/segment-dialog/create-manual", UiFixture, NULL,
              ui_fixture_set_up, test_create_manual, ui_fixture_tear_down);
  g_test_add ("/ui/segment-dialog/invalid-names", UiFixture, NULL,
              ui_fixture_set_up, test_invalid_names, ui_fixture_tear_down);
  g_test_add ("/ui/segment-dialog/edit", UiFixture, NULL,
              ui_fixture_set_up, test_edit, ui_fixture_tear_down);
  g_test_add ("/ui/segment-dialog/accessible", UiFixture, NULL,
              ui_fixture_set_up, test_accessible, ui_fixture_tear_down);

  return g_test_run ();
}
