/* test-importer.c: identity, merge rules, types, bad rows, all-or-nothing,
 * cancellation, the async import and the preview
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "cohort-importer.h"

#include "cohort-test-workspace.h"

typedef TestWorkspace Fixture;

/* Numbers the CSV files of one test. */
static guint n_files;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  test_workspace_open (f, "cohort-import-XXXXXX");
  n_files = 0;
}

/* The CSV files (and the pipe of /importer/fifo) go first. */
static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  test_workspace_remove_others (f);
  test_workspace_close (f);
}

static char *
write_csv (Fixture    *f,
           const char *content)
{
  g_autofree char *name = g_strdup_printf ("in-%u.csv", n_files++);
  char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);
  return path;
}

static CohortImporter *
import_text (Fixture    *f,
             const char *content,
             gboolean    expect_ok)
{
  g_autofree char *path = write_csv (f, content);
  CohortImporter *importer = cohort_importer_new (path);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = cohort_importer_run (importer, f->ws, NULL, &error);
  if (expect_ok)
    g_assert_no_error (error);
  g_assert_cmpint (ok, ==, expect_ok);
  return importer;
}

static void
assert_report (CohortImporter *importer,
               guint64         rows,
               guint64         created,
               guint64         updated,
               guint64         rejected)
{
  g_assert_cmpuint (cohort_importer_get_rows (importer), ==, rows);
  g_assert_cmpuint (cohort_importer_get_created (importer), ==, created);
  g_assert_cmpuint (cohort_importer_get_updated (importer), ==, updated);
  g_assert_cmpuint (cohort_importer_get_n_rejected (importer), ==, rejected);
}

static CohortCustomer *
get (Fixture    *f,
     const char *id_or_email)
{
  g_autoptr(GError) error = NULL;
  CohortCustomer *c = cohort_customers_lookup (f->ws, id_or_email, &error);

  g_assert_no_error (error);
  g_assert_nonnull (c);
  return c;
}

static void
assert_value (Fixture    *f,
              const char *who,
              const char *attr,
              const char *expected)
{
  g_autoptr(CohortCustomer) c = get (f, who);

  g_assert_cmpstr (cohort_customer_get_value (c, attr), ==, expected);
}

static CohortAttrType
attr_type (Fixture    *f,
           const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortAttribute) attr = cohort_attributes_get (f->ws, name, &error);

  g_assert_no_error (error);
  return attr->type;
}

/* Everything the workspace holds about customers, as text. */
static char *
dump (Fixture *f)
{
  static const char *const queries[] = {
    "SELECT ordinal, id, email, hex(attrs), added_at, modified_at FROM customers ORDER BY ordinal",
    "SELECT id, name, type FROM attributes ORDER BY id",
    "SELECT key, value FROM meta ORDER BY key",
  };
  GString *out = g_string_new (NULL);
  sqlite3 *db = cohort_workspace_get_db (f->ws);

  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      sqlite3_stmt *stmt;

      g_assert_cmpint (sqlite3_prepare_v2 (db, queries[q], -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          for (int i = 0; i < sqlite3_column_count (stmt); i++)
            {
              const char *t = (const char *) sqlite3_column_text (stmt, i);
              g_string_append_printf (out, "%s|", t ? t : "NULL");
            }
          g_string_append_c (out, '\n');
        }
      sqlite3_finalize (stmt);
    }
  return g_string_free (out, FALSE);
}

/* ---- Merge rules ---------------------------------------------------- */

static void
test_merge (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(CohortImporter) first = NULL;
  g_autoptr(CohortImporter) second = NULL;
  g_autoptr(CohortImporter) third = NULL;
  g_autoptr(CohortImporter) fourth = NULL;
  g_autofree char *path = NULL;

  first = import_text (f, "id,email,plan,score\n1,a@x.com,free,10\n2,b@x.com,pro,20\n", TRUE);
  assert_report (first, 2, 2, 0, 0);
  g_assert_cmpint (cohort_customers_count (f->ws, NULL), ==, 2);

  /* Attributes in the file overwrite, others stay, an empty cell leaves. */
  second = import_text (f, "id,plan,city\n1,,Paris\n3,basic,Rome\n2,team,\n", TRUE);
  assert_report (second, 3, 1, 2, 0);
  assert_value (f, "1", "plan", "free");
  assert_value (f, "1", "city", "Paris");
  assert_value (f, "1", "score", "10");
  assert_value (f, "2", "plan", "team");
  assert_value (f, "3", "plan", "basic");
  {
    g_autoptr(CohortCustomer) c1 = get (f, "1");
    g_assert_cmpstr (c1->email, ==, "a@x.com");
    g_assert_cmpint (c1->ordinal, ==, 1);
  }

  /* Matched by email (case-insensitively) when there is no id column. */
  third = import_text (f, "Email,age\nA@X.COM,33\nnew@x.com,40\n", TRUE);
  assert_report (third, 2, 1, 1, 0);
  assert_value (f, "a@x.com", "age", "33");
  assert_value (f, "1", "age", "33");

  /* --clear-empty: an empty cell removes the attribute. */
  path = write_csv (f, "id,plan,city\n1,,Lyon\n");
  fourth = cohort_importer_new (path);
  cohort_importer_set_clear_empty (fourth, TRUE);
  g_assert_true (cohort_importer_run (fourth, f->ws, NULL, NULL));
  assert_value (f, "1", "plan", NULL);
  assert_value (f, "1", "city", "Lyon");
  assert_value (f, "1", "score", "10");
}

static void
test_identity (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CohortImporter) first = NULL;
  g_autoptr(CohortImporter) second = NULL;
  g_autoptr(CohortImporter) third = NULL;
  GArray *rejected;

  first = import_text (f, "id,email\n1,a@x.com\n2,b@x.com\n,c@x.com\n", TRUE);
  assert_report (first, 3, 3, 0, 0);

  second = import_text (f,
                        "customer_id,e-mail,n\n"
                        "2,a@x.com,x\n"        /* id of one customer, email of another */
                        "9,b@x.com,y\n"        /* email owned by a customer with another id */
                        "7,c@x.com,z\n"        /* email of a customer without id: takes the id */
                        "1,new@x.com,w\n"      /* changes the email of customer 1 */
                        "5,,v\n"
                        "5,,u\n",              /* the same new id twice: created then updated */
                        TRUE);
  assert_report (second, 6, 1, 3, 2);
  rejected = cohort_importer_get_rejected (second);
  g_assert_cmpuint (g_array_index (rejected, CohortImportRejection, 0).line, ==, 2);
  g_assert_nonnull (strstr (g_array_index (rejected, CohortImportRejection, 0).reason, "two different"));
  g_assert_cmpuint (g_array_index (rejected, CohortImportRejection, 1).line, ==, 3);

  {
    g_autoptr(CohortCustomer) c = get (f, "c@x.com");
    g_autoptr(CohortCustomer) one = get (f, "1");

    g_assert_cmpstr (c->id, ==, "7");
    g_assert_cmpstr (one->email, ==, "new@x.com");
  }
  assert_value (f, "5", "n", "u");
  g_assert_cmpint (cohort_customers_count (f->ws, NULL), ==, 4);

  /* No id or email column at all: a fatal error. */
  {
    g_autofree char *path = write_csv (f, "name,age\nx,1\n");
    g_autoptr(GError) error = NULL;

    third = cohort_importer_new (path);
    g_assert_false (cohort_importer_run (third, f->ws, NULL, &error));
    g_assert_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_NO_IDENTITY);
  }
}

static void
test_chosen_columns (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = write_csv (f, "Ref,Mail,id\nR1,r@x.com,ignored\n");
  g_autoptr(CohortImporter) importer = cohort_importer_new (path);
  g_autoptr(CohortImporter) bad = cohort_importer_new (path);
  g_autoptr(GError) error = NULL;

  cohort_importer_set_id_column (importer, "Ref");
  cohort_importer_set_email_column (importer, "Mail");
  g_assert_true (cohort_importer_run (importer, f->ws, NULL, &error));
  g_assert_no_error (error);
  assert_value (f, "R1", "id", "ignored");
  assert_value (f, "r@x.com", "id", "ignored");

  cohort_importer_set_id_column (bad, "Nope");
  g_assert_false (cohort_importer_run (bad, f->ws, NULL, &error));
  g_assert_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_BAD_MAPPING);
  g_assert_nonnull (strstr (error->message, "Nope"));
}

/* ---- Bad rows -------------------------------------------------------- */

static char *
bad_file (void)
{
  GString *s = g_string_new ("id,email,note\n");
  g_autofree char *long_id = g_strnfill (151, 'i');
  g_autofree char *long_value = g_strnfill (1001, 'v');
  g_autofree char *ok_id = g_strnfill (150, 'k');
  g_autofree char *ok_value = g_strnfill (1000, 'w');

  g_string_append (s, "1,a@x.com,fine\n");                          /* 2 */
  g_string_append (s, "2,b@x.com\n");                               /* 3: too few */
  g_string_append (s, "3,c@x.com,x,y\n");                           /* 4: too many */
  g_string_append_printf (s, "%s,d@x.com,x\n", long_id);            /* 5 */
  g_string_append_printf (s, "5,e@x.com,%s\n", long_value);         /* 6 */
  g_string_append (s, ",,no identity\n");                           /* 7 */
  g_string_append_printf (s, "%s,f@x.com,%s\n", ok_id, ok_value);   /* 8: at the limits */
  g_string_append (s, "9,g@x.com,\"multi\nline\"\n");               /* 9-10 */
  g_string_append (s, "10,h@x.com,\"never closed\n11,i@x.com,x\n"); /* 11: unterminated; 12 */
  return g_string_free (s, FALSE);
}

static void
test_bad_rows (Fixture       *f,
               gconstpointer  data)
{
  static const struct { guint64 line; const char *reason; } expected[] = {
    { 3, "expected 3 fields" },
    { 4, "expected 3 fields" },
    { 5, "longer than 150 bytes" },
    { 6, "longer than 1000 bytes" },
    { 7, "neither an id nor an email" },
    { 11, "unterminated quote" },
  };
  g_autofree char *content = bad_file ();
  g_autoptr(CohortImporter) importer = import_text (f, content, TRUE);
  GArray *rejected = cohort_importer_get_rejected (importer);

  assert_report (importer, 10, 4, 0, 6);
  g_assert_cmpuint (rejected->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      CohortImportRejection *r = &g_array_index (rejected, CohortImportRejection, i);

      g_assert_cmpuint (r->line, ==, expected[i].line);
      if (strstr (r->reason, expected[i].reason) == NULL)
        g_error ("line %" G_GUINT64_FORMAT ": “%s” lacks “%s”", r->line, r->reason, expected[i].reason);
    }
  assert_value (f, "9", "note", "multi\nline");
  /* Reading went on after the unterminated quote. */
  assert_value (f, "11", "note", "x");
  g_assert_cmpint (cohort_customers_count (f->ws, NULL), ==, 4);

  /* The report saves as CSV that reads back. */
  {
    g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;

    g_assert_true (cohort_importer_save_rejected (importer, out, NULL, &error));
    g_assert_no_error (error);
    g_output_stream_write_all (out, "", 1, NULL, NULL, NULL);
    g_output_stream_close (out, NULL, NULL);
    text = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
    g_assert_true (g_str_has_prefix (text, "line,column,reason\r\n3,"));
    g_assert_nonnull (strstr (text, "\r\n7,0,\"the row has neither an id nor an email\"\r\n"));
  }
}

static void
test_all_or_nothing (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CohortImporter) first = import_text (f, "id,plan\n1,free\n", TRUE);
  g_autofree char *before = dump (f);
  g_autofree char *content = bad_file ();
  g_autofree char *path = write_csv (f, content);
  g_autoptr(CohortImporter) importer = cohort_importer_new (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  cohort_importer_set_all_or_nothing (importer, TRUE);
  cohort_importer_set_column_type (importer, "note", COHORT_IMPORT_TYPE_NUMBER);
  g_assert_false (cohort_importer_run (importer, f->ws, NULL, &error));
  g_assert_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_REJECTED);
  g_assert_cmpuint (cohort_importer_get_n_rejected (importer), ==, 6);
  after = dump (f);
  g_assert_cmpstr (before, ==, after);
  g_assert_false (cohort_workspace_in_transaction (f->ws));
}

/* ---- Cancellation ---------------------------------------------------- */

static void
cancel_halfway (guint64  rows,
                guint64  bytes,
                guint64  total,
                gpointer user_data)
{
  if (rows >= 10000)
    g_cancellable_cancel (user_data);
}

static char *
many_rows (guint n,
           guint offset)
{
  GString *s = g_string_new ("id,email,n,when,flag\n");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%u,p%u@x.com,%u,2024-01-%02uT10:00:00Z,%s\n", i + offset, i + offset,
                            i * 7, 1 + i % 28, i % 2 ? "yes" : "no");
  return g_string_free (s, FALSE);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *seed = many_rows (100, 0);
  g_autoptr(CohortImporter) first = import_text (f, seed, TRUE);
  g_autofree char *before = dump (f);
  g_autofree char *content = many_rows (30000, 50);
  g_autofree char *path = write_csv (f, content);
  g_autoptr(CohortImporter) importer = cohort_importer_new (path);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  gint64 generation = cohort_workspace_get_data_generation (f->ws);

  cohort_importer_set_progress_func (importer, cancel_halfway, cancellable, NULL);
  g_assert_false (cohort_importer_run (importer, f->ws, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (cohort_importer_get_rows (importer), >=, 10000);
  g_assert_cmpuint (cohort_importer_get_rows (importer), <, 30000);
  after = dump (f);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpint (generation, ==, cohort_workspace_get_data_generation (f->ws));
  g_assert_false (cohort_workspace_in_transaction (f->ws));
}

/* ---- Types ----------------------------------------------------------- */

static void
test_types (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(CohortImporter) again = NULL;
  g_autofree char *path = NULL;

  importer = import_text (f,
                          "id,signup,last_seen_at,count,price,vip,zip,ref,mixed,empty\n"
                          "1,2024-02-24T15:28:16Z,1700000000,3,1.5,yes,02134,'0042,1,\n"
                          "2,2024-02-24 17:28:16+02:00,1700000100,4,-2e3,No,10001,'0043,x,\n"
                          "3,2024-02-24,,,,,,,,\n",
                          TRUE);
  g_assert_cmpint (attr_type (f, "signup"), ==, COHORT_ATTR_TIMESTAMP);
  g_assert_cmpint (attr_type (f, "last_seen_at"), ==, COHORT_ATTR_TIMESTAMP);
  g_assert_cmpint (attr_type (f, "count"), ==, COHORT_ATTR_NUMBER);
  g_assert_cmpint (attr_type (f, "price"), ==, COHORT_ATTR_NUMBER);
  g_assert_cmpint (attr_type (f, "vip"), ==, COHORT_ATTR_BOOLEAN);
  g_assert_cmpint (attr_type (f, "zip"), ==, COHORT_ATTR_STRING);
  g_assert_cmpint (attr_type (f, "ref"), ==, COHORT_ATTR_STRING);
  g_assert_cmpint (attr_type (f, "mixed"), ==, COHORT_ATTR_STRING);

  /* Timestamps are stored as Unix seconds; apostrophes are stripped. */
  assert_value (f, "1", "signup", "1708788496");
  assert_value (f, "2", "signup", "1708788496");
  assert_value (f, "3", "signup", "1708732800");
  assert_value (f, "1", "ref", "0042");
  assert_value (f, "1", "price", "1.5");
  assert_value (f, "3", "empty", NULL);

  /* An existing attribute keeps its type; a chosen one changes it. */
  path = write_csv (f, "id,count,price\n4,many,7\n");
  again = cohort_importer_new (path);
  cohort_importer_set_column_type (again, "price", COHORT_IMPORT_TYPE_STRING);
  cohort_importer_set_column_type (again, "count", COHORT_IMPORT_TYPE_SKIP);
  g_assert_true (cohort_importer_run (again, f->ws, NULL, NULL));
  g_assert_cmpint (attr_type (f, "price"), ==, COHORT_ATTR_STRING);
  g_assert_cmpint (attr_type (f, "count"), ==, COHORT_ATTR_NUMBER);
  assert_value (f, "4", "count", NULL);
  assert_value (f, "4", "price", "7");

  /* Changing a type later converts ISO times. */
  {
    g_autoptr(CohortImporter) text = import_text (f, "id,day\n5,2024-01-01\n6,soon\n", TRUE);
    g_autoptr(GError) error = NULL;

    g_assert_true (cohort_attributes_set_type (f->ws, "day", COHORT_ATTR_STRING, &error));
    g_assert_true (cohort_attributes_set_type (f->ws, "day", COHORT_ATTR_TIMESTAMP, &error));
    g_assert_no_error (error);
    assert_value (f, "5", "day", "1704067200");
    assert_value (f, "6", "day", "soon");
  }
}

typedef struct
{
  const char *file;
  guint64     rows;
  const char *customer;          /* id or email of one customer */
  const char *checks[8];         /* "attribute=type=value" */
  CohortCsvEncoding encoding;
  char        delimiter;
} FixtureCase;

static const FixtureCase fixture_cases[] = {
  { "customerio.csv", 3, "1001",
    { "cio_id=string=a1b2c3", "created_at=timestamp=1700000000", "plan=string=pro",
      "lifetime_value=number=120.50", "vip=boolean=true" },
    COHORT_CSV_ENCODING_UTF8, ',' },
  { "mailchimp.csv", 2, "zoe@example.com",
    { "First Name=string=Zoë", "MEMBER_RATING=number=4", "OPTIN_TIME=timestamp=1672914131",
      "OPTIN_IP=string=203.0.113.5", "LATITUDE=number=48.85", "NOTES=string=likes \"quotes\", commas",
      "LEID=number=123456" },
    COHORT_CSV_ENCODING_UTF8, ',' },
  { "hubspot.csv", 2, "501",
    { "First Name=string=Carl", "Create Date=timestamp=1708788480", "Lifecycle Stage=string=lead",
      "Number of Pageviews=number=12" },
    COHORT_CSV_ENCODING_UTF8, ',' },
  { "shopify.csv", 2, "7012345678901",
    { "Accepts Email Marketing=boolean=yes", "Default Address Zip=string=02134",
      "Phone=string=+15555550100", "Total Spent=number=150.25", "Total Orders=number=3",
      "Tags=string=vip, newsletter", "Tax Exempt=boolean=no" },
    COHORT_CSV_ENCODING_UTF8, ',' },
  { "excel-semicolon-1252.csv", 2, "jörg@example.com",
    { "Name=string=Jörg Müller", "Stadt=string=Köln", "Umsatz=string=1.234,50",
      "Kunde seit=timestamp=1614556800" },
    COHORT_CSV_ENCODING_WINDOWS_1252, ';' },
  { "excel-mac.csv", 2, "2",
    { "name=string=Bob\rSmith", "score=number=4" },
    COHORT_CSV_ENCODING_UTF8, ',' },
  { "excel-unicode.txt", 2, "mei@example.com",
    { "city=string=東京" },
    COHORT_CSV_ENCODING_UTF16LE, '\t' },
};

static void
test_fixture_file (Fixture       *f,
                   gconstpointer  data)
{
  const FixtureCase *c = data;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "import", c->file, NULL);
  g_autoptr(CohortImporter) importer = cohort_importer_new (path);
  g_autoptr(CohortCustomer) customer = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_importer_run (importer, f->ws, NULL, &error));
  g_assert_no_error (error);
  assert_report (importer, c->rows, c->rows, 0, 0);
  g_assert_cmpint (cohort_importer_get_encoding (importer), ==, c->encoding);
  g_assert_cmpint (cohort_importer_get_delimiter (importer), ==, c->delimiter);

  customer = get (f, c->customer);
  for (guint i = 0; i < G_N_ELEMENTS (c->checks) && c->checks[i]; i++)
    {
      g_auto(GStrv) parts = g_strsplit (c->checks[i], "=", 3);
      CohortAttrType type;

      g_assert_true (cohort_attr_type_from_string (parts[1], &type));
      g_assert_cmpint (attr_type (f, parts[0]), ==, type);
      g_assert_cmpstr (cohort_customer_get_value (customer, parts[0]), ==, parts[2]);
    }
}

/* ---- Re-import, async, preview ----------------------------------------- */

static void
test_reimport_unchanged (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *content = many_rows (2000, 0);
  g_autoptr(CohortImporter) first = import_text (f, content, TRUE);
  g_autofree char *before = NULL;
  g_autoptr(CohortImporter) second = NULL;
  g_autofree char *after = NULL;

  before = dump (f);
  second = import_text (f, content, TRUE);
  assert_report (second, 2000, 0, 2000, 0);
  after = dump (f);
  /* Nothing changed: not even the data generation. */
  g_assert_cmpstr (before, ==, after);
}

typedef struct
{
  GMainLoop *loop;
  gboolean   ok;
  GError    *error;
  guint      progress_calls;
  guint64    last_rows;
} AsyncState;

static void
async_progress (guint64  rows,
                guint64  bytes,
                guint64  total,
                gpointer user_data)
{
  AsyncState *state = user_data;

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  state->progress_calls++;
  state->last_rows = rows;
}

static void
async_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  AsyncState *state = user_data;

  state->ok = cohort_importer_run_finish (COHORT_IMPORTER (source), result, &state->error);
  g_main_loop_quit (state->loop);
}

static void
test_async (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *content = many_rows (5000, 0);
  g_autofree char *path = write_csv (f, content);
  g_autoptr(CohortImporter) importer = cohort_importer_new (path);
  AsyncState state = { 0 };
  guint changed = 0;

  state.loop = g_main_loop_new (NULL, FALSE);
  cohort_importer_set_progress_func (importer, async_progress, &state, NULL);
  cohort_importer_run_async (importer, f->path, NULL, async_done, &state);
  g_main_loop_run (state.loop);
  /* Let the last progress report arrive. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_main_loop_unref (state.loop);

  g_assert_no_error (state.error);
  g_assert_true (state.ok);
  g_assert_cmpuint (state.progress_calls, >, 0);
  g_assert_cmpuint (state.last_rows, ==, 5000);
  assert_report (importer, 5000, 5000, 0, 0);
  /* The other connection wrote: ours sees it. */
  changed = cohort_workspace_check_external_changes (f->ws);
  g_assert_true (changed);
  g_assert_cmpint (cohort_customers_count (f->ws, NULL), ==, 5000);
}

static void
test_preview (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *path = write_csv (f, "name;when;n\nAnn;2024-01-01;1\n\"B;b\";2024-01-02;2\nC;x\nD;2024-01-03;4\n");
  g_autoptr(CohortImporter) importer = cohort_importer_new (path);
  g_autoptr(CohortImportPreview) preview = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = dump (f);
  g_autofree char *after = NULL;

  preview = cohort_importer_preview (importer, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (preview->delimiter, ==, ';');
  g_assert_cmpint (preview->encoding, ==, COHORT_CSV_ENCODING_UTF8);
  g_assert_cmpuint (preview->n_columns, ==, 3);
  g_assert_cmpuint (preview->records->len, ==, 2);
  g_assert_cmpstr (((char **) preview->records->pdata[1])[0], ==, "B;b");
  g_assert_cmpint (preview->id_column, ==, -1);
  g_assert_cmpint (preview->email_column, ==, -1);
  g_assert_cmpint (preview->types[1], ==, COHORT_ATTR_TIMESTAMP);
  g_assert_cmpint (preview->types[2], ==, COHORT_ATTR_NUMBER);
  after = dump (f);
  g_assert_cmpstr (before, ==, after);
}

/* ---- Input that can be read only once -------------------------------- */

typedef struct
{
  char     *path;
  char     *content;
  gboolean  done;        /* everything was written */
} FifoWriter;

/* Feeds a FIFO as a pipeline would: waits (bounded) for its reader, then
 * writes in small pieces, each a partial record. */
static gpointer
fifo_write (gpointer data)
{
  FifoWriter *w = data;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gsize len = strlen (w->content), pos = 0;
  int fd;

  while ((fd = open (w->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0 &&
         errno == ENXIO && g_get_monotonic_time () < deadline)
    g_usleep (2000);
  if (fd < 0)
    return NULL;
  fcntl (fd, F_SETFL, 0);
  while (pos < len)
    {
      gssize n = write (fd, w->content + pos, MIN (len - pos, 4093));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      pos += (gsize) n;
    }
  close (fd);
  w->done = pos == len;
  return NULL;
}

/* The FIFO's path belongs to @w. */
static const char *
make_fifo (Fixture     *f,
           FifoWriter  *w,
           const char  *content,
           GThread    **thread)
{
  char *path = g_build_filename (f->dir, "pipe.csv", NULL);

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  w->path = path;
  w->content = g_strdup (content);
  *thread = g_thread_new ("fifo-writer", fifo_write, w);
  return path;
}

static void
fifo_finish (FifoWriter *w,
             GThread    *thread)
{
  g_thread_join (thread);
  g_assert_true (w->done);
  g_free (w->path);
  g_free (w->content);
}

/* Workspace with these attributes already, as in the issue. */
static void
seed_attributes (Fixture *f)
{
  g_autofree char *seed = many_rows (10, 100000);
  g_autoptr(CohortImporter) first = import_text (f, seed, TRUE);

  g_assert_cmpint (attr_type (f, "n"), ==, COHORT_ATTR_NUMBER);
  g_assert_cmpint (attr_type (f, "when"), ==, COHORT_ATTR_TIMESTAMP);
  g_assert_cmpint (attr_type (f, "flag"), ==, COHORT_ATTR_BOOLEAN);
}

/* Every row of the pipe is there, with its values, and no attribute was
 * named after a data row. */
static void
assert_piped_rows (Fixture *f,
                   guint    n)
{
  g_autoptr(GPtrArray) attrs = NULL;
  g_autoptr(GError) error = NULL;
  guint step = n / 7;

  g_assert_cmpint (cohort_customers_count (f->ws, NULL), ==, 10 + n);
  for (guint i = 0; i < n; i += step)
    {
      g_autofree char *id = g_strdup_printf ("%u", i);
      g_autofree char *email = g_strdup_printf ("p%u@x.com", i);
      g_autofree char *number = g_strdup_printf ("%u", i * 7);
      g_autoptr(CohortCustomer) c = get (f, id);

      g_assert_cmpstr (c->email, ==, email);
      g_assert_cmpstr (cohort_customer_get_value (c, "n"), ==, number);
      g_assert_cmpstr (cohort_customer_get_value (c, "flag"), ==, i % 2 ? "yes" : "no");
      g_assert_nonnull (cohort_customer_get_value (c, "when"));
    }
  assert_value (f, "0", "n", "0");
  attrs = cohort_attributes_list (f->ws, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (attrs->len, ==, 3);
  g_assert_cmpint (attr_type (f, "n"), ==, COHORT_ATTR_NUMBER);
  g_assert_cmpint (attr_type (f, "when"), ==, COHORT_ATTR_TIMESTAMP);
  g_assert_cmpint (attr_type (f, "flag"), ==, COHORT_ATTR_BOOLEAN);
}

/* A FIFO is read once: 5,000 rows (more than the type sample) into a
 * workspace with attributes once crashed, and fewer dropped their first
 * rows. */
static void
test_fifo (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *content = many_rows (5000, 0);
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(GError) error = NULL;
  const char *path;
  FifoWriter w = { 0 };
  GThread *thread;

  seed_attributes (f);
  path = make_fifo (f, &w, content, &thread);
  importer = cohort_importer_new (path);
  g_assert_true (cohort_importer_run (importer, f->ws, NULL, &error));
  g_assert_no_error (error);
  fifo_finish (&w, thread);
  assert_report (importer, 5000, 5000, 0, 0);
  assert_piped_rows (f, 5000);
}

/* The window previews, then imports, with one importer: both see the
 * whole input, though it can be read only once. */
static void
test_fifo_preview_then_run (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *content = many_rows (3000, 0);
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(CohortImportPreview) preview = NULL;
  g_autoptr(GError) error = NULL;
  const char *path;
  FifoWriter w = { 0 };
  GThread *thread;

  seed_attributes (f);
  path = make_fifo (f, &w, content, &thread);
  importer = cohort_importer_new (path);
  preview = cohort_importer_preview (importer, 3, NULL, &error);
  g_assert_no_error (error);
  fifo_finish (&w, thread);
  g_assert_cmpuint (preview->records->len, ==, 3);
  g_assert_cmpstr (((char **) preview->records->pdata[0])[0], ==, "0");
  g_assert_cmpstr (preview->header[0], ==, "id");

  g_assert_true (cohort_importer_run (importer, f->ws, NULL, &error));
  g_assert_no_error (error);
  assert_report (importer, 3000, 3000, 0, 0);
  assert_piped_rows (f, 3000);
}

static void
test_find (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(CohortImporter) importer =
    import_text (f, "id,email\nb2,zed@x.com\na1,Amy@x.com\nc_3,\n,solo@y.org\n", TRUE);
  g_autoptr(GPtrArray) by_id = NULL;
  g_autoptr(GPtrArray) by_email = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) literal = NULL;
  g_autoptr(GPtrArray) page = NULL;

  by_id = cohort_customers_find (f->ws, NULL, COHORT_CUSTOMERS_SORT_ID, FALSE, 0, -1, NULL);
  g_assert_cmpuint (by_id->len, ==, 4);
  g_assert_cmpstr (((CohortCustomer *) by_id->pdata[0])->id, ==, "a1");
  g_assert_cmpstr (((CohortCustomer *) by_id->pdata[2])->id, ==, "c_3");
  g_assert_null (((CohortCustomer *) by_id->pdata[3])->id);

  by_email = cohort_customers_find (f->ws, NULL, COHORT_CUSTOMERS_SORT_EMAIL, TRUE, 0, 2, NULL);
  g_assert_cmpuint (by_email->len, ==, 2);
  g_assert_cmpstr (((CohortCustomer *) by_email->pdata[0])->email, ==, "zed@x.com");

  found = cohort_customers_find (f->ws, "AMY", COHORT_CUSTOMERS_SORT_ORDINAL, FALSE, 0, -1, NULL);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpint (cohort_customers_count_matching (f->ws, "x.com", NULL), ==, 2);
  /* _ and % are literal. */
  literal = cohort_customers_find (f->ws, "c_", COHORT_CUSTOMERS_SORT_ORDINAL, FALSE, 0, -1, NULL);
  g_assert_cmpuint (literal->len, ==, 1);
  g_assert_cmpint (cohort_customers_count_matching (f->ws, "%", NULL), ==, 0);

  page = cohort_customers_list (f->ws, 1, 2, NULL);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpstr (((CohortCustomer *) page->pdata[0])->id, ==, "a1");
}

/* Sorted pages, whatever their size, walk the same order as one query over
 * everything: those with the value first (by value), then those without. */
static void
test_find_pages (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(CohortImporter) importer =
    import_text (f, "id,email\nb2,zed@x.com\na1,Amy@x.com\nc3,\n,solo@y.org\nd4,\n"
                    "e5,bob@x.com\n,al@x.com\nf6,Bob2@x.com\ng7,\n", TRUE);
  static const char *const refs[2][2] = {
    { "SELECT ordinal FROM customers ORDER BY id IS NULL, id, ordinal",
      "SELECT ordinal FROM customers ORDER BY id IS NULL, id DESC, ordinal DESC" },
    { "SELECT ordinal FROM customers ORDER BY email IS NULL, email, ordinal",
      "SELECT ordinal FROM customers ORDER BY email IS NULL, email DESC, ordinal DESC" },
  };

  for (guint col = 0; col < 2; col++)
    for (guint desc = 0; desc < 2; desc++)
      for (gint64 page_size = 1; page_size <= 4; page_size++)
        {
          g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (gint64));
          g_autoptr(GArray) got = g_array_new (FALSE, FALSE, sizeof (gint64));
          sqlite3_stmt *stmt = cohort_workspace_prepare (f->ws, refs[col][desc], NULL);

          while (sqlite3_step (stmt) == SQLITE_ROW)
            {
              gint64 o = sqlite3_column_int64 (stmt, 0);
              g_array_append_val (expected, o);
            }
          sqlite3_reset (stmt);
          for (gint64 offset = 0; ; offset += page_size)
            {
              g_autoptr(GPtrArray) page =
                cohort_customers_find (f->ws, NULL, col ? COHORT_CUSTOMERS_SORT_EMAIL : COHORT_CUSTOMERS_SORT_ID,
                                       desc, offset, page_size, NULL);

              g_assert_nonnull (page);
              g_assert_cmpint (page->len, <=, page_size);
              for (guint i = 0; i < page->len; i++)
                g_array_append_val (got, ((CohortCustomer *) page->pdata[i])->ordinal);
              if ((gint64) page->len < page_size)
                break;
            }
          g_assert_cmpmem (got->data, got->len * sizeof (gint64),
                           expected->data, expected->len * sizeof (gint64));
        }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("COHORT_NOW", "1800000000", TRUE);
  /* A FIFO whose reader went away fails its writes instead. */
  signal (SIGPIPE, SIG_IGN);

#define ADD(path, func) g_test_add ("/importer/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("merge", test_merge);
  ADD ("identity", test_identity);
  ADD ("chosen-columns", test_chosen_columns);
  ADD ("bad-rows", test_bad_rows);
  ADD ("all-or-nothing", test_all_or_nothing);
  ADD ("cancel", test_cancel);
  ADD ("types", test_types);
  ADD ("reimport-unchanged", test_reimport_unchanged);
  ADD ("async", test_async);
  ADD ("preview", test_preview);
  ADD ("fifo", test_fifo);
  ADD ("fifo-preview-then-run", test_fifo_preview_then_run);
  ADD ("find", test_find);
  ADD ("find-pages", test_find_pages);
#undef ADD
  for (guint i = 0; i < G_N_ELEMENTS (fixture_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/importer/fixture/%s", fixture_cases[i].file);

      g_test_add (name, Fixture, &fixture_cases[i], fixture_setup, test_fixture_file, fixture_teardown);
    }
  return g_test_run ();
}
