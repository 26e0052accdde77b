/* test-customer-order.c: customers ordered by a field from the column index:
 * numbers, text, times, booleans, mixed columns, missing values, ties,
 * search, deleted customers, agreement with SQL for id and email, and a
 * randomized comparison with a plain reference sort
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "cohort-customer-order.h"
#include "cohort-customers.h"
#include "cohort-value.h"
#include "cohort-test-customers.h"
#include "cohort-test-workspace.h"

typedef TestWorkspace Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  test_workspace_open (f, "cohort-order-XXXXXX");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  test_workspace_close (f);
}

#define PUT(f, ord, id, email, ...) \
  test_put_customer ((f)->ws, (ord), (id), (email), (const char *[]) { __VA_ARGS__, NULL })

/* Customers 1.. with @field set to @values[i] (NULL: missing). */
static void
put_values (Fixture            *f,
            const char         *field,
            const char * const *values,
            guint               n)
{
  test_workspace_begin (f);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i + 1);

      if (values[i] != NULL)
        PUT (f, i + 1, id, NULL, field, values[i]);
      else
        test_put_customer (f->ws, i + 1, id, NULL, NULL);
    }
  test_workspace_commit (f);
}

static GArray *
order (Fixture    *f,
       const char *field,
       gboolean    descending,
       const char *search)
{
  g_autoptr(CohortColumnIndex) index = NULL;
  g_autoptr(GError) error = NULL;
  GArray *result;

  index = cohort_column_index_ensure (f->ws, NULL, &error);
  g_assert_no_error (error);
  result = cohort_customer_order (index, field, descending, search, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

/* @expected: "1 2 3", the ordinals in order. */
static void
assert_order (Fixture    *f,
              const char *field,
              gboolean    descending,
              const char *search,
              const char *expected)
{
  g_autoptr(GArray) result = order (f, field, descending, search);
  g_autoptr(GString) got = g_string_new (NULL);

  for (guint i = 0; i < result->len; i++)
    g_string_append_printf (got, "%s%u", i ? " " : "", g_array_index (result, guint32, i));
  g_assert_cmpstr (got->str, ==, expected);
}

typedef struct
{
  const char *name;
  const char *values[8];    /* customers 1.., NULL: missing */
  guint       n;
  const char *ascending;
  const char *descending;
} Case;

static const Case cases[] = {
  { "numbers", { "10", "9", "100", "-1.5", NULL, "2e1" }, 6,
    "4 2 1 6 3 5", "3 6 1 2 4 5" },
  { "text-byte-order", { "banana", "apple", NULL, "Apple", "cherry", "Banana" }, 6,
    "4 6 2 1 5 3", "5 1 2 6 4 3" },
  /* Unix seconds and ISO 8601 by their instant, not their text. */
  { "timestamps", { "1704067199", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+02:00", NULL, "1704067201" }, 5,
    "3 1 2 5 4", "5 2 1 3 4" },
  { "booleans", { "true", "false", NULL, "true", "false" }, 5,
    "2 5 1 4 3", "4 1 5 2 3" },
  /* Numbers, then booleans, then text. */
  { "mixed", { "abc", "10", "true", "2", NULL, "Zed", "false", "2.0" }, 8,
    "4 8 2 7 3 6 1 5", "1 6 3 7 2 8 4 5" },
  /* Equal values keep the order of their ordinals (reversed in descending). */
  { "ties", { "b", "a", "b", "a", NULL, "b", NULL }, 7,
    "2 4 1 3 6 5 7", "6 3 1 4 2 7 5" },
  { "all-missing", { NULL, NULL, NULL }, 3,
    "1 2 3", "3 2 1" },
};

static void
test_cases (Fixture *f, gconstpointer data)
{
  const Case *c = data;

  put_values (f, "value", c->values, c->n);
  assert_order (f, "value", FALSE, NULL, c->ascending);
  assert_order (f, "value", TRUE, NULL, c->descending);
}

static void
test_unknown_field (Fixture *f, gconstpointer data)
{
  const char *values[] = { "1", "2", "3" };

  put_values (f, "value", values, 3);
  /* Nobody has it: the order they were added in. */
  assert_order (f, "nothing", FALSE, NULL, "1 2 3");
  assert_order (f, "nothing", TRUE, NULL, "3 2 1");
  assert_order (f, NULL, FALSE, NULL, "1 2 3");
  assert_order (f, NULL, TRUE, NULL, "3 2 1");
}

static void
test_search (Fixture *f, gconstpointer data)
{
  test_workspace_begin (f);
  PUT (f, 1, "alice", "alice@example.com", "age", "40");
  PUT (f, 2, "bob", "bob@Example.org", "age", "30");
  PUT (f, 3, "carol", NULL, "age", "20");
  PUT (f, 4, NULL, "dave@EXAMPLE.com", "age", "10");
  PUT (f, 5, "Örjan", "orjan@example.net", "age", "50");
  test_workspace_commit (f);

  /* Id or email, any case, each customer once. */
  assert_order (f, "age", FALSE, "example", "4 2 1 5");
  assert_order (f, "age", TRUE, "EXAMPLE.COM", "1 4");
  assert_order (f, "age", FALSE, "r", "3 2 5");
  assert_order (f, "age", FALSE, "carol", "3");
  assert_order (f, "age", FALSE, "öRJ", "5");
  assert_order (f, "age", FALSE, "nobody", "");
  assert_order (f, NULL, FALSE, "b", "2");
  assert_order (f, "age", FALSE, "", "4 3 2 1 5");
}

static void
test_deleted (Fixture *f, gconstpointer data)
{
  const char *values[] = { "5", "4", "3", "2", "1" };
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;

  put_values (f, "value", values, 5);
  assert_order (f, "value", FALSE, NULL, "5 4 3 2 1");

  test_workspace_begin (f);
  stmt = cohort_workspace_prepare (f->ws, "DELETE FROM customers WHERE ordinal = ?", &error);
  g_assert_no_error (error);
  for (gint64 o = 2; o <= 4; o += 2)
    {
      sqlite3_bind_int64 (stmt, 1, o);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  cohort_workspace_note_change (f->ws, COHORT_CHANGE_CUSTOMERS, &error);
  g_assert_no_error (error);
  test_workspace_commit (f);

  assert_order (f, "value", FALSE, NULL, "5 3 1");
  assert_order (f, "value", TRUE, "c", "1 3 5");
}

static void
test_cancelled (Fixture *f, gconstpointer data)
{
  const char *values[] = { "b", "a" };
  g_autoptr(CohortColumnIndex) index = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) result = NULL;

  put_values (f, "value", values, 2);
  index = cohort_column_index_ensure (f->ws, NULL, &error);
  g_assert_no_error (error);
  g_cancellable_cancel (cancellable);
  result = cohort_customer_order (index, "value", FALSE, NULL, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (result);
}

/* Random ids and emails (with case that differs, and some missing): the
 * index agrees with the SQL sort of cohort_customers_find(), with and
 * without a search. */
static void
test_agrees_with_sql (Fixture *f, gconstpointer data)
{
  const guint n = 1500;
  const char *searches[] = { NULL, "3", "X" };

  test_workspace_begin (f);
  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *id = NULL;
      g_autofree char *email = NULL;

      if (g_test_rand_int_range (0, 10) > 0)
        id = g_strdup_printf ("%c%u", "aAbB_x"[g_test_rand_int_range (0, 6)], g_test_rand_int_range (0, 100000) * 7 + i);
      if (g_test_rand_int_range (0, 10) > 0 || id == NULL)
        email = g_strdup_printf ("%s%u@%s", g_test_rand_bit () ? "Ann" : "ann", i,
                                 g_test_rand_bit () ? "x.org" : "EXAMPLE.com");
      test_put_customer (f->ws, i, id, email, NULL);
    }
  test_workspace_commit (f);

  for (guint s = 0; s < G_N_ELEMENTS (searches); s++)
    for (guint field = 0; field < 2; field++)
      for (int descending = 0; descending < 2; descending++)
        {
          g_autoptr(GArray) result = order (f, field ? "email" : "id", descending, searches[s]);
          g_autoptr(GPtrArray) rows = NULL;
          g_autoptr(GError) error = NULL;

          rows = cohort_customers_find (f->ws, searches[s],
                                        field ? COHORT_CUSTOMERS_SORT_EMAIL : COHORT_CUSTOMERS_SORT_ID,
                                        descending, 0, -1, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (result->len, ==, rows->len);
          for (guint i = 0; i < rows->len; i++)
            g_assert_cmpint (g_array_index (result, guint32, i), ==,
                             ((CohortCustomer *) rows->pdata[i])->ordinal);
        }
}

/* A plain reference: classify each value as the documented order says and
 * compare with qsort. */
typedef struct
{
  guint32  ordinal;
  int      klass;    /* 0 number, 1 boolean, 2 text, 3 missing */
  double   number;
  const char *text;
} RefRow;

static int
compare_ref (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  const RefRow *ra = a, *rb = b;
  gboolean descending = GPOINTER_TO_INT (user_data);
  int c = 0;

  if (ra->klass != rb->klass)
    {
      if (ra->klass == 3 || rb->klass == 3)
        return ra->klass == 3 ? 1 : -1;     /* missing last either way */
      c = ra->klass < rb->klass ? -1 : 1;
    }
  else if (ra->klass == 0 || ra->klass == 1)
    c = ra->number < rb->number ? -1 : ra->number > rb->number ? 1 : 0;
  else if (ra->klass == 2)
    c = strcmp (ra->text, rb->text);
  if (c == 0)
    c = ra->ordinal < rb->ordinal ? -1 : 1;
  return descending ? -c : c;
}

static void
ref_classify (RefRow *row, const char *value)
{
  gint64 ts;

  row->text = value;
  if (value == NULL)
    row->klass = 3;
  else if (cohort_value_parse_number (value, strlen (value), &row->number))
    row->klass = 0;
  else if (cohort_value_parse_timestamp (value, strlen (value), &ts))
    {
      row->klass = 0;
      row->number = (double) ts;
    }
  else
    {
      CohortBool b = cohort_value_parse_bool (value, strlen (value));

      if (b == COHORT_BOOL_NEITHER)
        row->klass = 2;
      else
        {
          row->klass = 1;
          row->number = b == COHORT_BOOL_TRUE;
        }
    }
}

static void
test_random_reference (Fixture *f, gconstpointer data)
{
  static const char *const pool[] = {
    "apple", "Apple", "apples", "banana", "", "true", "FALSE", "yes", "no",
    "2024-03-01", "2024-03-01T12:00:00+01:00", "1.5", "-3", "0", "-0", "1e3",
    "01234567abc", "01234567abd", "0123456789abcdef-1", "0123456789abcdef-2",
    "zürich", "Zurich", "ümlaut", "x", "~",
  };
  const guint n = 3000;
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autofree RefRow *rows = g_new0 (RefRow, n);
  const char *searches[] = { NULL, "7" };

  test_workspace_begin (f);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%u", i + 1);
      char *value = NULL;

      switch (g_test_rand_int_range (0, 5))
        {
        case 0:
          break;   /* missing */
        case 1:
          value = g_strdup (pool[g_test_rand_int_range (0, G_N_ELEMENTS (pool))]);
          break;
        case 2:
          value = g_strdup_printf ("%d", g_test_rand_int_range (-500, 500));
          break;
        case 3:
          value = g_strdup_printf ("%.2f", g_test_rand_double_range (-50, 50));
          break;
        default:
          /* Text sharing long prefixes, to exercise every radix depth. */
          value = g_strdup_printf ("prefix-shared-by-many-%c%u", "aAbZ"[g_test_rand_int_range (0, 4)],
                                   g_test_rand_int_range (0, 200));
          break;
        }
      if (value != NULL && value[0] == '\0')
        g_clear_pointer (&value, g_free);   /* empty is missing */
      if (value != NULL)
        {
          PUT (f, i + 1, id, NULL, "value", value);
          g_ptr_array_add (texts, value);
        }
      else
        test_put_customer (f->ws, i + 1, id, NULL, NULL);
      rows[i].ordinal = i + 1;
      ref_classify (&rows[i], value);
    }
  test_workspace_commit (f);

  for (guint s = 0; s < G_N_ELEMENTS (searches); s++)
    for (int descending = 0; descending < 2; descending++)
      {
        g_autoptr(GArray) result = order (f, "value", descending, searches[s]);
        g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (RefRow));

        for (guint i = 0; i < n; i++)
          {
            g_autofree char *id = g_strdup_printf ("c%u", i + 1);

            if (searches[s] == NULL || strstr (id, searches[s]) != NULL)
              g_array_append_val (expected, rows[i]);
          }
        g_array_sort_with_data (expected, compare_ref, GINT_TO_POINTER (descending));
        g_assert_cmpuint (result->len, ==, expected->len);
        for (guint i = 0; i < expected->len; i++)
          g_assert_cmpuint (g_array_index (result, guint32, i), ==, g_array_index (expected, RefRow, i).ordinal);
      }
}

static void
test_for_db (Fixture *f, gconstpointer data)
{
  const char *values[] = { "b", NULL, "a" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) result = NULL;
  sqlite3 *db = NULL;

  put_values (f, "value", values, 3);
  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  result = cohort_customer_order_for_db (db, f->path, "value", FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->len, ==, 3);
  g_assert_cmpuint (g_array_index (result, guint32, 0), ==, 3);
  g_assert_cmpuint (g_array_index (result, guint32, 1), ==, 1);
  g_assert_cmpuint (g_array_index (result, guint32, 2), ==, 2);
  sqlite3_close (db);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/customer-order/%s", cases[i].name);

      g_test_add (path, Fixture, &cases[i], fixture_setup, test_cases, fixture_teardown);
    }
  g_test_add ("/customer-order/unknown-field", Fixture, NULL, fixture_setup, test_unknown_field, fixture_teardown);
  g_test_add ("/customer-order/search", Fixture, NULL, fixture_setup, test_search, fixture_teardown);
  g_test_add ("/customer-order/deleted", Fixture, NULL, fixture_setup, test_deleted, fixture_teardown);
  g_test_add ("/customer-order/cancelled", Fixture, NULL, fixture_setup, test_cancelled, fixture_teardown);
  g_test_add ("/customer-order/agrees-with-sql", Fixture, NULL, fixture_setup, test_agrees_with_sql, fixture_teardown);
  g_test_add ("/customer-order/random-reference", Fixture, NULL, fixture_setup, test_random_reference, fixture_teardown);
  g_test_add ("/customer-order/for-db", Fixture, NULL, fixture_setup, test_for_db, fixture_teardown);

  return g_test_run ();
}
