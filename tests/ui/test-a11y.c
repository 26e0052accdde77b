/* test-a11y.c: every control has the accessible name a screen reader should read
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Walks the widgets of the main window (with a segment open whose rules use
 * attribute, event, segment, not, or and sample nodes), the create dialog,
 * both import dialogs, Preferences and the sync dialog, and computes for every
 * control the name GTK 4.8's AT-SPI bridge reads out
 * (gtk_at_context_get_name() in gtk/gtkatcontext.c: the label property, then
 * the label properties of the labelled-by relations, then the value of a
 * range; hidden elements stop there; with nothing so far, the type name of
 * anything that is not a generic container). The values are read from the
 * in-process test backend (GTK_A11Y=test) through the public
 * gtk_test_accessible_* API.
 *
 * A name fails when it is empty, keeps a mnemonic underscore (the test data
 * has no underscore anywhere), repeats itself ("Edit… Edit…"), looks like a
 * class name ("GtkExpander"), or is shared by two controls of one window
 * (three "Operator" drop-downs cannot be told apart).
 */
#include "config.h"

#include <stdlib.h>

#include "cohort-condition-group.h"
#include "cohort-criteria.h"
#include "cohort-criteria-builder.h"
#include "cohort-event-importer.h"
#include "cohort-event-import-dialog.h"
#include "cohort-import-dialog.h"
#include "cohort-importer.h"
#include "cohort-preferences-window.h"
#include "cohort-segment-page.h"
#include "cohort-segment.h"
#include "cohort-sync-dialog.h"
#include "cohort-ui-test.h"

/* The value of a string property, or NULL when it is not set. */
static char *
string_property (GtkAccessible         *accessible,
                 GtkAccessibleProperty  property)
{
  char *value;

  if (!gtk_test_accessible_has_property (accessible, property))
    return NULL;
  /* Compared with a value it cannot have, the check answers with the real one. */
  value = gtk_test_accessible_check_property (accessible, property, "\x01");
  g_assert_nonnull (value);
  return value;
}

static gboolean
is_structural (GtkAccessibleRole role)
{
  switch ((int) role)
    {
    case GTK_ACCESSIBLE_ROLE_FORM:
    case GTK_ACCESSIBLE_ROLE_GROUP:
    case GTK_ACCESSIBLE_ROLE_GENERIC:
    case GTK_ACCESSIBLE_ROLE_LANDMARK:
    case GTK_ACCESSIBLE_ROLE_LIST_ITEM:
    case GTK_ACCESSIBLE_ROLE_REGION:
    case GTK_ACCESSIBLE_ROLE_SEARCH:
    case GTK_ACCESSIBLE_ROLE_SEPARATOR:
      return TRUE;
    default:
      return FALSE;
    }
}

/* The accessibles of a reference-list relation. The test backend prints
 * them as "TypeName<0x...>" separated by spaces. */
static GPtrArray *
relation_targets (GtkAccessible         *accessible,
                  GtkAccessibleRelation  relation)
{
  GPtrArray *targets = g_ptr_array_new ();
  g_autofree char *text = NULL;
  const char *p;

  if (!gtk_test_accessible_has_relation (accessible, relation))
    return targets;
  text = gtk_test_accessible_check_relation (accessible, relation, NULL);
  for (p = text; p != NULL && (p = strstr (p, "<0x")) != NULL; p++)
    {
      gpointer target = (gpointer) (guintptr) g_ascii_strtoull (p + 3, NULL, 16);

      g_assert_true (GTK_IS_ACCESSIBLE (target));
      g_ptr_array_add (targets, target);
    }
  return targets;
}

/* gtk_at_context_get_name_accumulate() of GTK 4.8. */
static void
accumulate_name (GtkAccessible *accessible,
                 GPtrArray     *names,
                 gboolean       recurse)
{
  GtkAccessibleRole role = gtk_accessible_get_accessible_role (accessible);
  char *label = string_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL);

  if (label != NULL)
    g_ptr_array_add (names, label);

  if (recurse)
    {
      g_autoptr(GPtrArray) targets = relation_targets (accessible, GTK_ACCESSIBLE_RELATION_LABELLED_BY);

      for (guint i = 0; i < targets->len; i++)
        accumulate_name (targets->pdata[i], names, FALSE);
    }

  if (role == GTK_ACCESSIBLE_ROLE_RANGE)
    {
      char *value = string_property (accessible, GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT);

      if (value == NULL && gtk_test_accessible_has_property (accessible, GTK_ACCESSIBLE_PROPERTY_VALUE_NOW))
        value = gtk_test_accessible_check_property (accessible, GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, -1e300);
      if (value != NULL)
        g_ptr_array_add (names, value);
    }

  /* Hidden: TRUE when checking for TRUE answers NULL (no mismatch). */
  if (gtk_test_accessible_has_state (accessible, GTK_ACCESSIBLE_STATE_HIDDEN))
    {
      g_autofree char *mismatch = gtk_test_accessible_check_state (accessible, GTK_ACCESSIBLE_STATE_HIDDEN, TRUE);

      if (mismatch == NULL)
        return;
    }

  if (names->len == 0 && !is_structural (role))
    g_ptr_array_add (names, g_strdup (G_OBJECT_TYPE_NAME (accessible)));
}

static char *
accessible_name (GtkAccessible *accessible)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  accumulate_name (accessible, names, TRUE);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

/* Controls a screen reader user reaches or operates: the widgets with the
 * role of a control, and the other focusable ones except containers that
 * only pass the focus on (a scrolled window). */
static gboolean
is_control (GtkWidget *widget)
{
  GtkAccessibleRole role = gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget));

  switch ((int) role)
    {
    case GTK_ACCESSIBLE_ROLE_NONE:
    case GTK_ACCESSIBLE_ROLE_PRESENTATION:
      return FALSE;
    case GTK_ACCESSIBLE_ROLE_BUTTON:
    case GTK_ACCESSIBLE_ROLE_CHECKBOX:
    case GTK_ACCESSIBLE_ROLE_COMBO_BOX:
    case GTK_ACCESSIBLE_ROLE_LINK:
    case GTK_ACCESSIBLE_ROLE_MENU_ITEM:
    case GTK_ACCESSIBLE_ROLE_RADIO:
    case GTK_ACCESSIBLE_ROLE_SEARCH_BOX:
    case GTK_ACCESSIBLE_ROLE_SLIDER:
    case GTK_ACCESSIBLE_ROLE_SPIN_BUTTON:
    case GTK_ACCESSIBLE_ROLE_SWITCH:
    case GTK_ACCESSIBLE_ROLE_TAB:
    case GTK_ACCESSIBLE_ROLE_TEXT_BOX:
      return TRUE;
    case GTK_ACCESSIBLE_ROLE_LIST_ITEM:
    case GTK_ACCESSIBLE_ROLE_ROW:
      return gtk_widget_get_focusable (widget);
    default:
      return gtk_widget_get_focusable (widget) && !is_structural (role);
    }
}

/* A button takes the focus itself: what is inside it is part of it. */
static gboolean
holds_its_children (GtkWidget *widget)
{
  return gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget)) == GTK_ACCESSIBLE_ROLE_BUTTON;
}

static gboolean
looks_like_class_name (const char *name)
{
  return (g_str_has_prefix (name, "Gtk") || g_str_has_prefix (name, "Adw") ||
          g_str_has_prefix (name, "Cohort")) &&
         strchr (name, ' ') == NULL;
}

/* "Edit… Edit…", "Add Condition Add Condition": a run of words said twice in a row. */
static gboolean
repeats_itself (const char *name)
{
  g_auto(GStrv) words = g_strsplit (name, " ", -1);
  guint n = g_strv_length (words);

  for (guint k = 1; 2 * k <= n; k++)
    for (guint i = 0; i + 2 * k <= n; i++)
      {
        gboolean same = TRUE;

        for (guint j = 0; j < k && same; j++)
          same = g_strcmp0 (words[i + j], words[i + k + j]) == 0;
        /* Numbers may repeat ("between 1 and 1" is fine: not said as "1 1"). */
        if (same && !(k == 1 && g_ascii_isdigit (words[i][0])))
          return TRUE;
      }
  return FALSE;
}

static char *
describe (GtkWidget *widget)
{
  GString *path = g_string_new (G_OBJECT_TYPE_NAME (widget));
  GtkWidget *up = gtk_widget_get_parent (widget);

  for (guint i = 0; i < 4 && up != NULL; i++, up = gtk_widget_get_parent (up))
    g_string_append_printf (path, " < %s", G_OBJECT_TYPE_NAME (up));
  if (gtk_widget_get_tooltip_text (widget) != NULL)
    g_string_append_printf (path, " (tooltip “%s”)", gtk_widget_get_tooltip_text (widget));
  return g_string_free (path, FALSE);
}

typedef struct
{
  GString *problems;
  GHashTable *seen;   /* name → description of the first control with it */
  guint n_controls;
} Walk;

/* @outer: the name of the control @widget is part of (a drop-down's button
 * is read with the drop-down's name: one control, not two), or NULL. */
static void
walk (GtkWidget  *widget,
      const char *outer,
      Walk       *w)
{
  g_autofree char *name = NULL;

  /* Not shown, or where the focus cannot go. */
  if (!gtk_widget_get_mapped (widget) || !gtk_widget_get_can_focus (widget))
    return;

  if (is_control (widget))
    {
      g_autofree char *where = describe (widget);
      const char *problem = NULL;

      name = accessible_name (GTK_ACCESSIBLE (widget));
      w->n_controls++;
      if (*name == '\0')
        problem = "empty";
      else if (strchr (name, '_') != NULL)
        problem = "keeps a mnemonic underscore";
      else if (looks_like_class_name (name))
        problem = "is a class name";
      else if (repeats_itself (name))
        problem = "repeats itself";
      else if (g_strcmp0 (name, outer) != 0 && g_hash_table_contains (w->seen, name))
        problem = "is shared with another control";

      g_test_message ("%s: “%s”", where, name);
      if (problem != NULL)
        g_string_append_printf (w->problems, "  “%s” %s: %s\n", name, problem, where);
      else if (!g_hash_table_contains (w->seen, name))
        g_hash_table_insert (w->seen, g_strdup (name), g_steal_pointer (&where));
      if (holds_its_children (widget))
        return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    walk (child, name != NULL ? name : outer, w);
}

/* Checks every control of @window; returns the number checked. */
static guint
check_window (gpointer    window,
              const char *what,
              GString    *problems)
{
  Walk w = { g_string_new (NULL), g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free), 0 };

  walk (GTK_WIDGET (window), NULL, &w);
  if (w.problems->len > 0)
    g_string_append_printf (problems, "%s:\n%s", what, w.problems->str);
  g_test_message ("%s: %u controls", what, w.n_controls);
  g_string_free (w.problems, TRUE);
  g_hash_table_unref (w.seen);
  return w.n_controls;
}

typedef struct
{
  UiFixture ui;
  CohortWorkspace *ws;
} Fixture;

static void
import_data (Fixture *f)
{
  g_autoptr(GString) csv = g_string_new ("id,email,plan,age,country\n");
  g_autofree char *path = g_build_filename (f->ui.dir, "customers.csv", NULL);
  g_autofree char *events = g_build_filename (f->ui.dir, "events.csv", NULL);
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(CohortEventImporter) event_importer = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 1; i <= 20; i++)
    g_string_append_printf (csv, "c%02u,person%u@example.com,%s,%u,%s\n",
                            i, i, i % 4 == 0 ? "pro" : "free", 15 + 2 * i, i % 3 == 0 ? "FR" : "DE");
  g_assert_true (g_file_set_contents (path, csv->str, (gssize) csv->len, NULL));
  importer = cohort_importer_new (path);
  g_assert_true (cohort_importer_run (importer, f->ws, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_set_contents (events,
                                      "customer,name,timestamp,amount\n"
                                      "c01,purchase,2025-01-10T10:00:00Z,60\n"
                                      "c04,purchase,2025-01-15T10:00:00Z,100\n", -1, NULL));
  event_importer = cohort_event_importer_new (events);
  g_assert_true (cohort_event_importer_run (event_importer, f->ws, NULL, &error));
  g_assert_no_error (error);
  ui_iterate ();
}

static void
set_up (Fixture       *f,
        gconstpointer  data)
{
  ui_fixture_set_up (&f->ui, data);
  gtk_window_set_default_size (GTK_WINDOW (f->ui.window), 1280, 800);
  f->ws = g_object_ref (cohort_window_get_workspace (f->ui.window));
  import_data (f);
}

static void
tear_down (Fixture       *f,
           gconstpointer  data)
{
  g_clear_object (&f->ws);
  ui_fixture_tear_down (&f->ui, data);
}

static void
test_names (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(CohortSegment) manual = ui_create (&f->ui, "Newsletter", COHORT_SEGMENT_MANUAL);
  g_autoptr(CohortSegment) rules = ui_create (&f->ui, "Mixed", COHORT_SEGMENT_DATA_DRIVEN);
  g_autoptr(GString) problems = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *csv = g_build_filename (f->ui.dir, "more.csv", NULL);
  GtkWindow *dialog;

  json = g_strdup_printf ("{\"and\": ["
                          "{\"attribute\": {\"field\": \"plan\", \"operator\": \"eq\", \"value\": \"pro\"}},"
                          "{\"or\": ["
                          "  {\"event\": {\"name\": \"purchase\", \"operator\": \"performed\","
                          "              \"count\": {\"operator\": \"gte\", \"value\": 2}}},"
                          "  {\"segment\": {\"id\": %" G_GINT64_FORMAT "}}]},"
                          "{\"not\": {\"attribute\": {\"field\": \"country\", \"operator\": \"eq\", \"value\": \"FR\"}}},"
                          "{\"not\": {\"or\": ["
                          "  {\"attribute\": {\"field\": \"age\", \"operator\": \"gt\", \"value\": 50}},"
                          "  {\"attribute\": {\"field\": \"age\", \"operator\": \"lt\", \"value\": 18}}]}},"
                          "{\"sample\": {\"percent\": 50, \"salt\": \"holdout\"}}]}",
                          cohort_segment_get_id (manual));
  g_assert_true (cohort_segments_set_criteria (f->ws, cohort_segment_get_id (rules), json, &error));
  g_assert_no_error (error);
  ui_iterate ();

  g_assert_true (cohort_window_select_segment (f->ui.window, cohort_segment_get_id (rules)));
  ui_iterate ();
  ui_screenshot ("a11y-main");
  g_assert_cmpuint (check_window (f->ui.window, "Main window, rules open", problems), >, 20);
  {
    CohortSegmentPage *page = WINDOW_CHILD (f->ui.window, "segment_page");
    CohortCriteriaBuilder *builder = TEMPLATE_CHILD (page, COHORT_TYPE_SEGMENT_PAGE, "criteria_builder");
    CohortConditionGroup *top = cohort_criteria_builder_get_root (builder);
    GtkWidget *group = cohort_condition_group_get_child (top, 1);
    g_autofree char *first = accessible_name (GTK_ACCESSIBLE (cohort_condition_group_get_child (top, 0)));
    g_autofree char *nested = accessible_name (GTK_ACCESSIBLE (cohort_condition_group_get_child (COHORT_CONDITION_GROUP (group), 0)));
    g_autofree char *group_name = accessible_name (GTK_ACCESSIBLE (group));

    /* Conditions and groups by place and content. */
    g_assert_cmpstr (first, ==, "Condition 1 of 5: plan is “pro”");
    g_assert_true (g_str_has_prefix (nested, "Condition 1 of 2 in group 2: "));
    g_assert_nonnull (strstr (nested, "purchase"));
    g_assert_cmpstr (group_name, ==, "Group 2 of 5: any of these, 2 conditions");
  }

  g_assert_true (cohort_window_select_segment (f->ui.window, cohort_segment_get_id (manual)));
  ui_iterate ();
  check_window (f->ui.window, "Main window, manual segment open", problems);

  dialog = GTK_WINDOW (cohort_segment_dialog_new (GTK_WINDOW (f->ui.window), f->ws, NULL));
  gtk_window_present (dialog);
  ui_iterate ();
  check_window (dialog, "Create Segment", problems);
  gtk_window_destroy (dialog);
  ui_iterate ();

  g_assert_true (g_file_set_contents (csv, "id,email,plan\nc30,new@example.com,pro\n", -1, NULL));
  dialog = GTK_WINDOW (cohort_import_dialog_new (GTK_WINDOW (f->ui.window), f->ws, csv));
  gtk_window_present (dialog);
  ui_iterate ();
  check_window (dialog, "Import Customers", problems);
  gtk_window_destroy (dialog);
  ui_iterate ();

  g_assert_true (g_file_set_contents (csv, "customer,name,timestamp\nc01,login,2025-01-10\n", -1, NULL));
  dialog = GTK_WINDOW (cohort_event_import_dialog_new (GTK_WINDOW (f->ui.window), f->ws, csv));
  gtk_window_present (dialog);
  ui_iterate ();
  check_window (dialog, "Import Events", problems);
  gtk_window_destroy (dialog);
  ui_iterate ();

  dialog = GTK_WINDOW (cohort_preferences_window_new (GTK_WINDOW (f->ui.window)));
  gtk_window_present (dialog);
  ui_iterate ();
  check_window (dialog, "Preferences", problems);
  gtk_window_destroy (dialog);
  ui_iterate ();

  ui_unset_credentials ();
  dialog = GTK_WINDOW (cohort_sync_dialog_new (GTK_WINDOW (f->ui.window), f->ws, COHORT_SYNC_DIALOG_PREVIEW));
  gtk_window_present (dialog);
  for (guint i = 0; i < 100 && cohort_sync_dialog_get_busy (COHORT_SYNC_DIALOG (dialog)); i++)
    {
      g_usleep (20000);
      ui_iterate ();
    }
  check_window (dialog, "Preview Sync", problems);
  gtk_window_destroy (dialog);
  ui_iterate ();

  if (problems->len > 0)
    g_error ("Bad accessible names:\n%s", problems->str);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("COHORT_NOW", "1737417600", TRUE);
  /* No session bus: Preferences finds no keyring (and nothing prompts). */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/cohort-test-bus", TRUE);
  ui_init (&argc, &argv);

  g_test_add ("/ui/a11y/names", Fixture, NULL, set_up, test_names, tear_down);

  return g_test_run ();
}
