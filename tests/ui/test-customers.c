/* test-customers.c: the Customers view over a lazily paged list model
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-customer-dialog.h"
#include "cohort-customer-item.h"
#include "cohort-customers-view.h"
#include "cohort-importer.h"
#include "cohort-ui-test.h"

#define VIEW_CHILD(view, name) TEMPLATE_CHILD (view, COHORT_TYPE_CUSTOMERS_VIEW, name)

static void
import_customers (UiFixture       *f,
                  CohortWorkspace *ws,
                  guint            first,
                  guint            n)
{
  g_autoptr(GString) csv = g_string_new ("id,email,plan,total_spent,signed_up\n");
  g_autofree char *path = g_build_filename (f->dir, "customers.csv", NULL);
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = first; i < first + n; i++)
    g_string_append_printf (csv, "c%05u,person%u@example.com,%s,%u,2025-0%u-15\n",
                            i, i, i % 3 ? "free" : "pro", (i * 37) % 1000, 1 + i % 9);
  g_assert_true (g_file_set_contents (path, csv->str, (gssize) csv->len, NULL));

  importer = cohort_importer_new (path);
  g_assert_true (cohort_importer_run (importer, ws, NULL, &error));
  g_assert_no_error (error);
  ui_iterate ();
}

static CohortCustomersView *
customers_view (UiFixture *f)
{
  return WINDOW_CHILD (f->window, "customers_view");
}

static GListModel *
customers (UiFixture *f)
{
  return G_LIST_MODEL (cohort_customers_view_get_model (customers_view (f)));
}

static gboolean
item_loaded (gpointer item)
{
  return cohort_customer_item_get_loaded (item);
}

/* The item at @position once its page has been read in its thread. */
static CohortCustomerItem *
loaded_item (GListModel *model,
             guint       position)
{
  CohortCustomerItem *item = g_list_model_get_item (model, position);

  g_assert_nonnull (item);
  g_assert_true (ui_wait_until (item_loaded, item));

  return item;
}

static gboolean
not_loading (gpointer model)
{
  return !cohort_customer_model_get_loading (model);
}

static char *
id_at (UiFixture *f,
       guint      position)
{
  g_autoptr(CohortCustomerItem) item = loaded_item (customers (f), position);

  return g_strdup (cohort_customer_item_get_id (item));
}

static void
test_customers_view (UiFixture     *f,
                     gconstpointer  data)
{
  g_autofree char *first = NULL;
  g_auto(GStrv) columns = NULL;

  import_customers (f, cohort_window_get_workspace (f->window), 1, 250);

  /* Customers and no segments: the customers are shown, with their count. */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (WINDOW_CHILD (f->window, "main_stack"))), ==, "segments");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (WINDOW_CHILD (f->window, "content_stack"))), ==, "customers");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (WINDOW_CHILD (f->window, "sidebar_stack"))), ==, "no-segments");
  g_assert_cmpstr (gtk_label_get_label (WINDOW_CHILD (f->window, "customers_count_label")), ==, "250");

  g_assert_cmpuint (g_list_model_get_n_items (customers (f)), ==, 250);
  first = id_at (f, 0);
  g_assert_cmpstr (first, ==, "c00001");

  /* The first attributes are columns until the user picks. */
  columns = cohort_customers_view_get_columns (customers_view (f));
  g_assert_cmpuint (g_strv_length (columns), ==, 3);
  g_assert_true (g_strv_contains ((const char * const *) columns, "plan"));
  g_clear_pointer (&columns, g_strfreev);

  cohort_customers_view_show_column (customers_view (f), "plan", FALSE);
  columns = cohort_customers_view_get_columns (customers_view (f));
  g_assert_false (g_strv_contains ((const char * const *) columns, "plan"));
  /* ID, Email and the two attributes left. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_columns (VIEW_CHILD (customers_view (f), "column_view")))),
                    ==, 4);
}

static void
test_sort_and_search (UiFixture     *f,
                      gconstpointer  data)
{
  GtkColumnView *column_view;
  g_autoptr(GtkColumnViewColumn) id_column = NULL;
  g_autofree char *top = NULL;
  g_autofree char *bottom = NULL;
  gpointer args[2];

  import_customers (f, cohort_window_get_workspace (f->window), 1, 120);
  column_view = VIEW_CHILD (customers_view (f), "column_view");
  id_column = g_list_model_get_item (G_LIST_MODEL (gtk_column_view_get_columns (column_view)), 0);

  /* A click on the ID header, twice: descending. */
  gtk_column_view_sort_by_column (column_view, id_column, GTK_SORT_DESCENDING);
  ui_iterate ();
  top = id_at (f, 0);
  g_assert_cmpstr (top, ==, "c00120");

  gtk_column_view_sort_by_column (column_view, id_column, GTK_SORT_ASCENDING);
  ui_iterate ();
  bottom = id_at (f, 119);
  g_assert_cmpstr (bottom, ==, "c00120");

  /* Search by id or email. */
  gtk_editable_set_text (VIEW_CHILD (customers_view (f), "search_entry"), "person11");
  args[0] = customers (f);
  args[1] = GUINT_TO_POINTER (11);   /* person11, person110..119 */
  g_assert_true (ui_wait_until (n_items_is, args));
  /* Found through the column index, still in the ID order asked for. */
  g_assert_true (ui_wait_until (not_loading, customers (f)));
  g_free (top);
  top = id_at (f, 0);
  g_assert_cmpstr (top, ==, "c00011");
  g_free (bottom);
  bottom = id_at (f, 10);
  g_assert_cmpstr (bottom, ==, "c00119");
  gtk_column_view_sort_by_column (column_view, id_column, GTK_SORT_DESCENDING);
  ui_iterate ();
  g_assert_true (ui_wait_until (not_loading, customers (f)));
  g_free (top);
  top = id_at (f, 0);
  g_assert_cmpstr (top, ==, "c00119");
  gtk_column_view_sort_by_column (column_view, id_column, GTK_SORT_ASCENDING);
  ui_iterate ();

  gtk_editable_set_text (VIEW_CHILD (customers_view (f), "search_entry"), "nobody");
  args[1] = GUINT_TO_POINTER (0);
  g_assert_true (ui_wait_until (n_items_is, args));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (VIEW_CHILD (customers_view (f), "list_stack")), ==, "no-results");
}

static gboolean
sorted_by (gpointer data)
{
  gpointer *args = data;
  CohortCustomerModel *model = args[0];

  return g_strcmp0 (cohort_customer_model_get_sort_attribute (model), args[1]) == 0 &&
         !cohort_customer_model_get_loading (model);
}

/* The ids of the first @n rows, joined by spaces. */
static char *
ids (UiFixture *f,
     guint      n)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = id_at (f, i);

      g_string_append_printf (s, "%s%s", i ? " " : "", id);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static GtkColumnViewColumn *
find_column (GtkColumnView *column_view,
             const char    *title)
{
  GListModel *columns = gtk_column_view_get_columns (column_view);

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      if (g_strcmp0 (gtk_column_view_column_get_title (column), title) == 0)
        return column;
    }
  return NULL;
}

static void
test_sort_by_attribute (UiFixture     *f,
                        gconstpointer  data)
{
  static const char csv[] =
    "id,email,score,tier\n"
    "c01,c01@odd.example,10,b\n"
    "c02,c02@even.example,9,A\n"
    "c03,c03@odd.example,,a\n"
    "c04,c04@even.example,100,\n"
    "c05,c05@odd.example,-1,B\n"
    "c06,c06@even.example,,b\n"
    "c07,c07@odd.example,2.5,a\n"
    "c08,c08@even.example,9,c\n";
  g_autofree char *path = g_build_filename (f->dir, "scores.csv", NULL);
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(GError) error = NULL;
  CohortCustomerModel *model;
  GtkColumnView *column_view;
  GtkColumnViewColumn *column;
  gpointer args[2];
  char *got;

  g_assert_true (g_file_set_contents (path, csv, -1, NULL));
  importer = cohort_importer_new (path);
  g_assert_true (cohort_importer_run (importer, cohort_window_get_workspace (f->window), NULL, &error));
  g_assert_no_error (error);
  ui_iterate ();

  model = cohort_customers_view_get_model (customers_view (f));
  column_view = VIEW_CHILD (customers_view (f), "column_view");
  cohort_customers_view_show_column (customers_view (f), "score", TRUE);
  column = find_column (column_view, "score");
  g_assert_nonnull (column);
  g_assert_nonnull (gtk_column_view_column_get_sorter (column));

  /* A click on the header: numbers by value, those without one last. */
  gtk_column_view_sort_by_column (column_view, column, GTK_SORT_ASCENDING);
  args[0] = model;
  args[1] = "score";
  g_assert_true (ui_wait_until (sorted_by, args));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 8);
  got = ids (f, 8);
  g_assert_cmpstr (got, ==, "c05 c07 c02 c08 c01 c04 c03 c06");
  g_free (got);

  /* Again: descending, and still those without a score last. */
  gtk_column_view_sort_by_column (column_view, column, GTK_SORT_DESCENDING);
  ui_iterate ();
  g_assert_true (ui_wait_until (sorted_by, args));
  got = ids (f, 8);
  g_assert_cmpstr (got, ==, "c04 c01 c08 c02 c07 c05 c06 c03");
  g_free (got);

  /* The search applies in that order too. */
  gtk_editable_set_text (VIEW_CHILD (customers_view (f), "search_entry"), "EVEN");
  {
    gpointer count[2] = { model, GUINT_TO_POINTER (4) };

    g_assert_true (ui_wait_until (n_items_is, count));
  }
  g_assert_true (ui_wait_until (sorted_by, args));
  got = ids (f, 4);
  g_assert_cmpstr (got, ==, "c04 c08 c02 c06");
  g_free (got);
  gtk_editable_set_text (VIEW_CHILD (customers_view (f), "search_entry"), "");
  {
    gpointer count[2] = { model, GUINT_TO_POINTER (8) };

    g_assert_true (ui_wait_until (n_items_is, count));
  }
  g_assert_true (ui_wait_until (sorted_by, args));

  /* Text: byte order, case-sensitive; those without a tier last. */
  cohort_customers_view_show_column (customers_view (f), "tier", TRUE);
  column = find_column (column_view, "tier");
  g_assert_nonnull (column);
  gtk_column_view_sort_by_column (column_view, column, GTK_SORT_ASCENDING);
  args[1] = "tier";
  g_assert_true (ui_wait_until (sorted_by, args));
  got = ids (f, 8);
  g_assert_cmpstr (got, ==, "c02 c05 c03 c07 c01 c06 c08 c04");
  g_free (got);

  /* A change in the workspace is followed in that order. */
  {
    g_autoptr(CohortWorkspace) other = ui_open_again (f);
    g_autofree char *more = g_build_filename (f->dir, "more.csv", NULL);
    g_autoptr(CohortImporter) again = NULL;

    g_assert_true (g_file_set_contents (more, "id,email,tier\nc09,c09@odd.example,0\n", -1, NULL));
    again = cohort_importer_new (more);
    g_assert_true (cohort_importer_run (again, other, NULL, &error));
    g_assert_no_error (error);
    gtk_widget_activate_action (GTK_WIDGET (f->window), "win.refresh", NULL);
    ui_iterate ();
    g_assert_true (ui_wait_until (sorted_by, args));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 9);
    got = ids (f, 1);
    g_assert_cmpstr (got, ==, "c09");   /* a number before text */
    g_free (got);
  }

  /* The ID header: back to SQL's order. */
  gtk_column_view_sort_by_column (column_view, find_column (column_view, "ID"), GTK_SORT_DESCENDING);
  ui_iterate ();
  g_assert_null (cohort_customer_model_get_sort_attribute (model));
  got = ids (f, 2);
  g_assert_cmpstr (got, ==, "c09 c08");
  g_free (got);
}

/* The title widget of @column in the header row (GTK's own widgets). */
static GtkWidget *
column_title (GtkColumnView       *column_view,
              GtkColumnViewColumn *column)
{
  GListModel *columns = gtk_column_view_get_columns (column_view);
  GtkWidget *title = gtk_widget_get_first_child (gtk_widget_get_first_child (GTK_WIDGET (column_view)));

  for (guint i = 0; i < g_list_model_get_n_items (columns) && title != NULL; i++)
    {
      g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, i);

      if (c == column)
        return title;
      title = gtk_widget_get_next_sibling (title);
    }
  return NULL;
}

static gboolean
press_key (GtkWidget *widget,
           guint      keyval)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, (GdkModifierType) 0, &handled);
    }
  return handled;
}

static void
test_sort_with_keyboard (UiFixture     *f,
                         gconstpointer  data)
{
  CohortCustomerModel *model;
  GtkColumnView *column_view;
  GListModel *columns;
  GtkColumnViewColumn *column;
  GtkWidget *title;
  gpointer args[2];
  char *got;

  import_customers (f, cohort_window_get_workspace (f->window), 1, 12);
  model = cohort_customers_view_get_model (customers_view (f));
  column_view = VIEW_CHILD (customers_view (f), "column_view");
  columns = gtk_column_view_get_columns (column_view);

  /* Every column header is a focus stop, in column order, with its name. */
  g_assert_cmpuint (g_list_model_get_n_items (columns), ==, 5);
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (columns, i);

      title = column_title (column_view, c);
      g_assert_nonnull (title);
      g_assert_true (gtk_widget_get_focusable (title));
      g_assert_true (gtk_widget_grab_focus (title));
      g_assert_true (gtk_widget_has_focus (title));
    }

  /* Enter on the total_spent header sorts by it; again, the other way. */
  column = find_column (column_view, "total_spent");
  title = column_title (column_view, column);
  g_assert_true (press_key (title, GDK_KEY_Return));
  args[0] = model;
  args[1] = "total_spent";
  g_assert_true (ui_wait_until (sorted_by, args));
  /* (i * 37) % 1000: 37 74 111 148 185 222 259 296 333 370 407 444 */
  got = ids (f, 2);
  g_assert_cmpstr (got, ==, "c00001 c00002");
  g_free (got);

  g_assert_true (press_key (title, GDK_KEY_space));
  ui_iterate ();
  g_assert_true (ui_wait_until (sorted_by, args));
  got = ids (f, 2);
  g_assert_cmpstr (got, ==, "c00012 c00011");
  g_free (got);
}

static void
test_paging (UiFixture     *f,
             gconstpointer  data)
{
  CohortCustomerModel *model;
  guint n;

  import_customers (f, cohort_window_get_workspace (f->window), 1, 5000);
  model = cohort_customers_view_get_model (customers_view (f));
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n, ==, 5000);

  /* Every row can be read, in order, and only a few pages stay in memory. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CohortCustomerItem) item = loaded_item (G_LIST_MODEL (model), i);
      g_autofree char *expected = g_strdup_printf ("c%05u", i + 1);

      g_assert_cmpstr (cohort_customer_item_get_id (item), ==, expected);
    }
  g_assert_cmpuint (cohort_customer_model_get_n_pages (model), <=, 32);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), n));

  /* A new order drops what was read and reads again, from the other end. */
  cohort_customer_model_set_sort (model, COHORT_CUSTOMERS_SORT_ID, TRUE);
  ui_iterate ();
  /* Only what the view shows is read, not the whole table. */
  g_assert_cmpuint (cohort_customer_model_get_n_pages (model), <=, 4);
  {
    g_autoptr(CohortCustomerItem) last = loaded_item (G_LIST_MODEL (model), 0);
    g_assert_cmpstr (cohort_customer_item_get_id (last), ==, "c05000");
  }
}

static void
test_details_and_changes (UiFixture     *f,
                          gconstpointer  data)
{
  g_autoptr(CohortWorkspace) other = NULL;
  CohortCustomerDialog *dialog;

  import_customers (f, cohort_window_get_workspace (f->window), 1, 10);

  /* Enter on a row shows the customer. */
  g_free (id_at (f, 0));
  g_signal_emit_by_name (VIEW_CHILD (customers_view (f), "column_view"), "activate", 0);
  ui_iterate ();
  dialog = ui_find_toplevel (COHORT_TYPE_CUSTOMER_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "person1@example.com");
  gtk_window_destroy (GTK_WINDOW (dialog));
  ui_iterate ();

  /* Another program imports more: F5 shows them. */
  other = ui_open_again (f);
  import_customers (f, other, 11, 5);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.refresh", NULL);
  ui_iterate ();
  g_assert_cmpuint (g_list_model_get_n_items (customers (f)), ==, 15);
  g_assert_cmpstr (gtk_label_get_label (WINDOW_CHILD (f->window, "customers_count_label")), ==, "15");

  /* A segment selected hides the customers; the Customers row brings them back. */
  ui_add (f, "Some", COHORT_SEGMENT_MANUAL);
  g_assert_true (cohort_window_select_segment (f->window, cohort_window_get_selected_id (f->window)) ||
                 g_list_model_get_n_items (cohort_window_get_segments (f->window)) == 1);
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (cohort_window_get_segments (f->window)), 0);
  ui_iterate ();
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (WINDOW_CHILD (f->window, "content_stack"))), ==, "segment");
  g_signal_emit_by_name (WINDOW_CHILD (f->window, "sections_list"), "row-activated",
                         WINDOW_CHILD (f->window, "customers_row"));
  ui_iterate ();
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (WINDOW_CHILD (f->window, "content_stack"))), ==, "customers");
  g_assert_cmpint (cohort_window_get_selected_id (f->window), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  ui_init (&argc, &argv);

  g_test_add ("/ui/customers/view", UiFixture, NULL,
              ui_fixture_set_up, test_customers_view, ui_fixture_tear_down);
  g_test_add ("/ui/customers/sort-and-search", UiFixture, NULL,
              ui_fixture_set_up, test_sort_and_search, ui_fixture_tear_down);
  g_test_add ("/ui/customers/sort-by-attribute", UiFixture, NULL,
              ui_fixture_set_up, test_sort_by_attribute, ui_fixture_tear_down);
  g_test_add ("/ui/customers/sort-with-keyboard", UiFixture, NULL,
              ui_fixture_set_up, test_sort_with_keyboard, ui_fixture_tear_down);
  g_test_add ("/ui/customers/paging", UiFixture, NULL,
              ui_fixture_set_up, test_paging, ui_fixture_tear_down);
  g_test_add ("/ui/customers/details-and-changes", UiFixture, NULL,
              ui_fixture_set_up, test_details_and_changes, ui_fixture_tear_down);

  return g_test_run ();
}
