/* test-customer-events.c: a customer's events on their page
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-customer-dialog.h"
#include "cohort-customer-item.h"
#include "cohort-customers.h"
#include "cohort-event-importer.h"
#include "cohort-importer.h"
#include "cohort-ui-test.h"

#define CUSTOMER_CHILD(dialog, name) TEMPLATE_CHILD (dialog, COHORT_TYPE_CUSTOMER_DIALOG, name)

static void
import_events (UiFixture  *f,
               const char *csv)
{
  g_autofree char *path = g_build_filename (f->dir, "events.csv", NULL);
  g_autoptr(CohortEventImporter) importer = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, csv, -1, NULL));
  importer = cohort_event_importer_new (path);
  g_assert_true (cohort_event_importer_run (importer, cohort_window_get_workspace (f->window), NULL, &error));
  g_assert_no_error (error);
  ui_iterate ();
}

static CohortCustomerDialog *
open_customer (UiFixture  *f,
               const char *id)
{
  CohortWorkspace *ws = cohort_window_get_workspace (f->window);
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortCustomerItem) item = NULL;
  CohortCustomer *customer;
  CohortCustomerDialog *dialog;

  customer = cohort_customers_get_by_id (ws, id, &error);
  g_assert_no_error (error);
  item = cohort_customer_item_new (customer);
  dialog = cohort_customer_dialog_new (GTK_WINDOW (f->window), ws, item);
  gtk_window_present (GTK_WINDOW (dialog));
  ui_iterate ();

  return dialog;
}

static void
collect_rows (GtkWidget *widget,
              GPtrArray *rows)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (ADW_IS_PREFERENCES_ROW (child))
        g_ptr_array_add (rows, child);
      else
        collect_rows (child, rows);
    }
}

/* The rows of a group (not the rows inside expander rows). */
static GPtrArray *
group_rows (CohortCustomerDialog *dialog,
            const char           *group)
{
  GPtrArray *rows = g_ptr_array_new ();

  collect_rows (CUSTOMER_CHILD (dialog, group), rows);
  return rows;
}

static const char *
row_title (GPtrArray *rows,
           guint      i)
{
  return adw_preferences_row_get_title (g_ptr_array_index (rows, i));
}

static const char *
row_subtitle (GPtrArray *rows,
              guint      i)
{
  gpointer row = g_ptr_array_index (rows, i);

  if (ADW_IS_EXPANDER_ROW (row))
    return adw_expander_row_get_subtitle (row);
  return adw_action_row_get_subtitle (row);
}

static char *
local_date (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_time);

  return g_date_time_format (dt, "%-d %B %Y");
}

static void
test_summary_and_order (UiFixture     *f,
                        gconstpointer  data)
{
  CohortCustomerDialog *dialog;
  g_autoptr(GPtrArray) summary = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GPtrArray) attributes = NULL;
  g_autofree char *last_purchase = local_date (1700200000);
  g_autofree char *last_signup = local_date (1700000000);
  g_autofree char *expected = NULL;

  import_events (f,
                 "customer_id,name,timestamp,amount\n"
                 "c1,signed_up,1700000000,\n"
                 "c1,purchase,1700200000,20\n"
                 "c1,purchase,1700100000,10\n"
                 "c2,purchase,1700300000,5\n");

  dialog = open_customer (f, "c1");

  /* One row per event name, sorted by name: count and last date. */
  summary = group_rows (dialog, "events_group");
  g_assert_cmpuint (summary->len, ==, 2);
  g_assert_cmpstr (row_title (summary, 0), ==, "purchase");
  expected = g_strdup_printf ("2 times, last on %s", last_purchase);
  g_assert_cmpstr (row_subtitle (summary, 0), ==, expected);
  g_clear_pointer (&expected, g_free);
  g_assert_cmpstr (row_title (summary, 1), ==, "signed_up");
  expected = g_strdup_printf ("1 time, last on %s", last_signup);
  g_assert_cmpstr (row_subtitle (summary, 1), ==, expected);

  /* The events, newest first; only this customer's. */
  history = group_rows (dialog, "history_group");
  g_assert_cmpuint (history->len, ==, 3);
  g_assert_cmpstr (row_title (history, 0), ==, "purchase");
  g_assert_cmpstr (row_title (history, 1), ==, "purchase");
  g_assert_cmpstr (row_title (history, 2), ==, "signed_up");
  g_assert_true (ADW_IS_EXPANDER_ROW (g_ptr_array_index (history, 0)));
  /* An event without attributes has nothing to expand. */
  g_assert_false (ADW_IS_EXPANDER_ROW (g_ptr_array_index (history, 2)));

  /* The attributes of the newest event: amount 20. */
  attributes = g_ptr_array_new ();
  collect_rows (gtk_widget_get_first_child (g_ptr_array_index (history, 0)), attributes);
  /* (The expander's own header is a row too: the attribute is the last.) */
  g_assert_cmpuint (attributes->len, >=, 1);
  g_assert_cmpstr (row_title (attributes, attributes->len - 1), ==, "amount");
  g_assert_cmpstr (row_subtitle (attributes, attributes->len - 1), ==, "20");

  g_assert_false (gtk_widget_get_visible (CUSTOMER_CHILD (dialog, "more_button")));
  gtk_window_destroy (GTK_WINDOW (dialog));
  ui_iterate ();
}

static void
test_show_more (UiFixture     *f,
                gconstpointer  data)
{
  g_autoptr(GString) csv = g_string_new ("customer_id,name,timestamp\n");
  CohortCustomerDialog *dialog;
  GtkWidget *more;

  for (guint i = 0; i < 120; i++)
    g_string_append_printf (csv, "c1,visit,%u\n", 1700000000 + i * 60);
  import_events (f, csv->str);

  dialog = open_customer (f, "c1");
  more = CUSTOMER_CHILD (dialog, "more_button");

  /* A page at a time. */
  {
    g_autoptr(GPtrArray) history = group_rows (dialog, "history_group");
    g_autoptr(GPtrArray) summary = group_rows (dialog, "events_group");

    g_assert_cmpuint (history->len, ==, 50);
    g_assert_cmpuint (summary->len, ==, 1);
    g_assert_cmpstr (row_subtitle (summary, 0), !=, NULL);
    g_assert_true (g_str_has_prefix (row_subtitle (summary, 0), "120 times"));
  }
  g_assert_true (gtk_widget_get_visible (more));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (more)), ==, "_Show More");
  ui_click (more);
  {
    g_autoptr(GPtrArray) history = group_rows (dialog, "history_group");
    g_assert_cmpuint (history->len, ==, 100);
  }
  ui_click (more);
  {
    g_autoptr(GPtrArray) history = group_rows (dialog, "history_group");
    g_assert_cmpuint (history->len, ==, 120);
  }
  g_assert_false (gtk_widget_get_visible (more));

  gtk_window_destroy (GTK_WINDOW (dialog));
  ui_iterate ();
}

static void
test_no_events (UiFixture     *f,
                gconstpointer  data)
{
  CohortCustomerDialog *dialog;
  g_autoptr(GPtrArray) summary = NULL;

  import_events (f, "customer_id,name,timestamp\nc1,visit,1700000000\n");
  /* c2 exists but did nothing. */
  import_events (f, "customer_id,name,timestamp\nc2,visit,1700000000\n");
  {
    g_autoptr(GError) error = NULL;
    CohortWorkspace *ws = cohort_window_get_workspace (f->window);
    g_autofree char *path = g_build_filename (f->dir, "people.csv", NULL);
    g_autoptr(CohortImporter) importer = NULL;

    g_assert_true (g_file_set_contents (path, "id,email\nc3,c3@example.com\n", -1, NULL));
    importer = cohort_importer_new (path);
    g_assert_true (cohort_importer_run (importer, ws, NULL, &error));
    g_assert_no_error (error);
  }

  dialog = open_customer (f, "c3");
  summary = group_rows (dialog, "events_group");
  g_assert_cmpuint (summary->len, ==, 0);
  g_assert_cmpstr (adw_preferences_group_get_description (CUSTOMER_CHILD (dialog, "events_group")), ==,
                   "This customer has no events");
  g_assert_false (gtk_widget_get_visible (CUSTOMER_CHILD (dialog, "history_group")));
  g_assert_false (gtk_widget_get_visible (CUSTOMER_CHILD (dialog, "more_button")));

  gtk_window_destroy (GTK_WINDOW (dialog));
  ui_iterate ();
}

int
main (int   argc,
      char *argv[])
{
  ui_init (&argc, &argv);

  g_test_add ("/ui/customer-events/summary-and-order", UiFixture, NULL,
              ui_fixture_set_up, test_summary_and_order, ui_fixture_tear_down);
  g_test_add ("/ui/customer-events/show-more", UiFixture, NULL,
              ui_fixture_set_up, test_show_more, ui_fixture_tear_down);
  g_test_add ("/ui/customer-events/none", UiFixture, NULL,
              ui_fixture_set_up, test_no_events, ui_fixture_tear_down);

  return g_test_run ();
}
