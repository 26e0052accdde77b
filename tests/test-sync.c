/* test-sync.c: sync with a strict stand-in for Customer.io, faults included
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "cio-fake-server.h"
#include "cohort-cio-client.h"
#include "cohort-members.h"
#include "cohort-criteria.h"
#include "cohort-customers.h"
#include "cohort-outbox.h"
#include "cohort-segment.h"
#include "cohort-sync.h"
#include "cohort-test-customers.h"
#include "cohort-test-workspace.h"
#include "cohort-workspace.h"

#define SITE_ID   "site-4242"
#define TRACK_KEY "trk-SECRET-7f3a9e"
#define APP_KEY   "app-SECRET-c0ffee"

/* Every log line of the process, to prove that keys never appear in it. */
static GMutex log_lock;
static GString *log_text;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_mutex_lock (&log_lock);
  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].length < 0)
      g_string_append_printf (log_text, "%s=%s\n", fields[i].key, (const char *) fields[i].value);
  g_mutex_unlock (&log_lock);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

typedef struct
{
  TestWorkspace    t;
  FakeServer      *server;
  CohortCioClient *client;
} Fixture;

static CohortCioClient *
make_client (Fixture    *f,
             const char *app_key)
{
  g_autoptr(CohortCredentials) creds = cohort_credentials_new ();
  g_autoptr(GError) error = NULL;
  CohortCioClient *client;

  creds->site_id = g_strdup (SITE_ID);
  creds->track_api_key = g_strdup (TRACK_KEY);
  creds->app_api_key = g_strdup (app_key);
  creds->track_url = g_strdup (fake_server_get_url (f->server));
  creds->app_url = g_strdup (fake_server_get_url (f->server));
  creds->region = COHORT_REGION_US;
  client = cohort_cio_client_new (creds, &error);
  g_assert_no_error (error);
  cohort_cio_client_set_timeout (client, 1);
  cohort_cio_client_set_retries (client, 4, 1);
  cohort_cio_client_set_max_retry_after (client, 3);
  cohort_cio_client_set_rate_limit (client, COHORT_CIO_APP, 0);
  cohort_cio_client_set_rate_limit (client, COHORT_CIO_TRACK, 0);
  return client;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  test_workspace_open (&f->t, "cohort-sync-XXXXXX");
  f->server = fake_server_new (SITE_ID, TRACK_KEY, APP_KEY);
  f->client = make_client (f, APP_KEY);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *violation = fake_server_dup_violation (f->server);
  g_autofree char *lock_path = g_strconcat (f->t.path, ".sync-lock", NULL);

  /* Nothing we sent broke the documented shapes. */
  g_assert_null (violation);

  g_clear_object (&f->client);
  g_clear_pointer (&f->server, fake_server_free);
  g_remove (lock_path);
  test_workspace_close (&f->t);
}

/* Customers c0001... (ordinal = number), known to the server when @known. */
static void
put_customers (Fixture  *f,
               guint     first,
               guint     last,
               gboolean  known)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_workspace_begin (f->t.ws, &error));
  for (guint i = first; i <= last; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%04u", i);
      g_autofree char *email = g_strdup_printf ("c%04u@example.com", i);
      g_autofree char *plan = g_strdup_printf ("%s", i % 2 ? "pro" : "free");

      test_put_customer (f->t.ws, i, id, email, (const char *[]) { "plan", plan, NULL });
      if (known)
        fake_server_add_person (f->server, id, email);
    }
  g_assert_true (cohort_workspace_commit (f->t.ws, &error));
  g_assert_no_error (error);
}

/* An email-only customer. */
static void
put_email_customer (Fixture    *f,
                    guint       ordinal,
                    const char *email,
                    gboolean    known)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_workspace_begin (f->t.ws, &error));
  test_put_customer (f->t.ws, ordinal, NULL, email, NULL);
  g_assert_true (cohort_workspace_commit (f->t.ws, &error));
  if (known)
    fake_server_add_person (f->server, NULL, email);
}

static gint64
seg_create (Fixture    *f,
            const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortSegment) s = cohort_segments_create (f->t.ws, name, COHORT_SEGMENT_MANUAL, "", &error);

  g_assert_no_error (error);
  return cohort_segment_get_id (s);
}

static void
seg_members (Fixture  *f,
             gint64    segment,
             gboolean  add,
             guint     first,
             guint     last)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ordinals = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (gint64 i = first; i <= last; i++)
    g_array_append_val (ordinals, i);
  if (add)
    cohort_members_add_ordinals (f->t.ws, segment, (gint64 *) ordinals->data, ordinals->len, NULL, &error);
  else
    cohort_members_remove_ordinals (f->t.ws, segment, (gint64 *) ordinals->data, ordinals->len, NULL, &error);
  g_assert_no_error (error);
}

static gboolean
run_sync (Fixture            *f,
          CohortSyncFlags     flags,
          GCancellable       *cancellable,
          CohortSyncReport  **report_out,
          GError            **error)
{
  g_autoptr(CohortSyncReport) report = NULL;
  gboolean ok;

  ok = cohort_sync_run (f->t.ws, f->client, flags, NULL, NULL, &report, cancellable, error);
  g_assert_nonnull (report);
  for (guint i = 0; i < report->failures->len; i++)
    g_test_message ("failure: %s", (char *) g_ptr_array_index (report->failures, i));
  if (report_out != NULL)
    *report_out = g_steal_pointer (&report);
  return ok;
}

static void
sync_ok (Fixture         *f,
         CohortSyncFlags  flags)
{
  g_autoptr(GError) error = NULL;

  run_sync (f, flags, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Local member identifiers of @segment, sorted. */
static GStrv
local_members (Fixture *f,
               gint64   segment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  sqlite3_stmt *stmt;

  stmt = cohort_workspace_prepare (f->t.ws,
                                   "SELECT coalesce (c.id, c.email) FROM segment_members m "
                                   "JOIN customers c ON c.ordinal = m.customer WHERE m.segment = ? "
                                   "ORDER BY 1", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, segment);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return g_strv_builder_end (builder);
}

static void
assert_strv_equal (GStrv a,
                   GStrv b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpuint (g_strv_length (a), ==, g_strv_length (b));
  for (guint i = 0; a[i]; i++)
    g_assert_cmpstr (a[i], ==, b[i]);
}

/* The remote state equals the local one: each active segment exists once,
 * was created once, and has the same members; deleted ones are gone. */
static void
assert_converged (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) segments = cohort_segments_list (f->t.ws, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < segments->len; i++)
    {
      CohortSegment *s = g_ptr_array_index (segments, i);
      const char *name = cohort_segment_get_name (s);
      g_autoptr(GArray) remote = fake_server_find_segments (f->server, name);
      g_auto(CohortSyncStatus) status = { 0 };

      if (!cohort_segment_get_active (s))
        continue;
      g_assert_cmpuint (remote->len, ==, 1);
      g_assert_cmpuint (fake_server_get_n_creates (f->server, name), ==, 1);
      {
        g_auto(GStrv) want = local_members (f, cohort_segment_get_id (s));
        g_auto(GStrv) have = fake_server_dup_members (f->server, g_array_index (remote, gint64, 0));

        assert_strv_equal (want, have);
      }
      g_assert_true (cohort_sync_get_status (f->t.ws, cohort_segment_get_id (s), &status, &error));
      g_assert_no_error (error);
      g_assert_cmpint (status.state, ==, COHORT_SYNC_STATE_SYNCED);
      g_assert_cmpint (status.remote_id, ==, g_array_index (remote, gint64, 0));
      g_assert_cmpint (status.n_pending, ==, 0);
    }
}

static void
assert_no_writes_on_resync (Fixture *f)
{
  guint writes = fake_server_get_n_writes (f->server);
  g_autoptr(CohortSyncReport) report = NULL;
  g_autoptr(GError) error = NULL;

  run_sync (f, COHORT_SYNC_DEFAULT, NULL, &report, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fake_server_get_n_writes (f->server), ==, writes);
  g_assert_cmpuint (report->n_writes, ==, 0);
}

/* Tests */

static void
test_check_base_url (void)
{
  const struct { const char *url; gboolean ok; } cases[] = {
    { "https://track.customer.io", TRUE },
    { "https://proxy.example.com/cio/", TRUE },
    { "http://127.0.0.1:8080", TRUE },
    { "http://127.8.9.10", TRUE },
    { "http://localhost:3000", TRUE },
    { "http://[::1]:3000", TRUE },
    { "http://track.customer.io", FALSE },
    { "http://192.168.1.4", FALSE },
    { "http://128.0.0.1", FALSE },
    { "ftp://127.0.0.1", FALSE },
    { "https://user:pw@example.com", FALSE },
    { "not a url", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = cohort_cio_check_base_url (cases[i].url, &error);

      g_test_message ("%s", cases[i].url);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        g_assert_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_INVALID_URL);
    }
}

static void
test_push_basic (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(CohortSyncReport) report = NULL;
  g_autoptr(GError) error = NULL;
  gint64 a, b, c;

  put_customers (f, 1, 30, TRUE);
  put_email_customer (f, 100, "only-email@example.com", TRUE);
  a = seg_create (f, "Alpha");
  b = seg_create (f, "Beta");
  c = seg_create (f, "Gamma");
  seg_members (f, a, TRUE, 1, 10);
  seg_members (f, b, TRUE, 5, 25);
  seg_members (f, b, TRUE, 100, 100);
  seg_members (f, c, TRUE, 1, 3);
  g_assert_true (cohort_segments_set_active (f->t.ws, c, FALSE, &error));

  g_assert_true (run_sync (f, COHORT_SYNC_DEFAULT, NULL, &report, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report->segments->len, ==, 2);
  assert_converged (f);
  g_assert_cmpuint (fake_server_find_segments (f->server, "Gamma")->len, ==, 0);
  assert_no_writes_on_resync (f);

  /* Changes: only the difference goes out. */
  seg_members (f, a, FALSE, 1, 3);
  seg_members (f, a, TRUE, 11, 12);
  {
    g_auto(CohortSyncStatus) status = { 0 };

    g_assert_true (cohort_sync_get_status (f->t.ws, a, &status, &error));
    g_assert_cmpint (status.state, ==, COHORT_SYNC_STATE_PENDING);
  }
  {
    guint writes = fake_server_get_n_writes (f->server);

    sync_ok (f, COHORT_SYNC_PUSH);
    g_assert_cmpuint (fake_server_get_n_writes (f->server) - writes, ==, 2);
  }
  assert_converged (f);

  /* Reactivated: published now. */
  g_assert_true (cohort_segments_set_active (f->t.ws, c, TRUE, &error));
  sync_ok (f, COHORT_SYNC_DEFAULT);
  assert_converged (f);
  assert_no_writes_on_resync (f);
}

static void
test_dry_run (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CohortSyncPlan) plan = NULL;
  g_autoptr(CohortSyncPlan) plan2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  gint64 a, b;

  put_customers (f, 1, 2500, TRUE);
  a = seg_create (f, "Alpha");
  b = seg_create (f, "Beta");
  seg_members (f, a, TRUE, 1, 2500);
  seg_members (f, b, TRUE, 1, 2);

  plan = cohort_sync_plan_new (f->t.ws, COHORT_SYNC_DEFAULT, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < cohort_sync_plan_get_n_actions (plan); i++)
    {
      g_autofree char *line = cohort_sync_action_describe (cohort_sync_plan_get_action (plan, i));
      g_string_append_printf (text, "%s\n", line);
    }
  g_assert_cmpstr (text->str, ==,
                   "create “Alpha”\nadd 2500 to “Alpha”\ncreate “Beta”\nadd 2 to “Beta”\n");
  g_assert_cmpuint (cohort_sync_plan_get_n_requests (plan), ==, 1 + 3 + 1 + 1);
  /* Nothing was sent. */
  g_assert_cmpuint (fake_server_get_n_requests (f->server), ==, 0);

  /* The plan is what the run sends. */
  sync_ok (f, COHORT_SYNC_PUSH);
  g_assert_cmpuint (fake_server_get_n_writes (f->server), ==, 6);
  g_assert_cmpuint (fake_server_get_max_batch (f->server), ==, 1000);
  assert_converged (f);

  seg_members (f, a, FALSE, 1, 1200);
  plan2 = cohort_sync_plan_new (f->t.ws, COHORT_SYNC_DEFAULT, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cohort_sync_plan_get_n_actions (plan2), ==, 1);
  {
    g_autofree char *line = cohort_sync_action_describe (cohort_sync_plan_get_action (plan2, 0));
    g_assert_cmpstr (line, ==, "remove 1200 from “Alpha”");
  }
  sync_ok (f, COHORT_SYNC_PUSH);
  g_assert_cmpuint (fake_server_get_max_batch (f->server), <=, 1000);
  assert_converged (f);
}

typedef struct
{
  const char *method;
  const char *path;
  FakeFault   fault;
  guint       count;
} FaultCase;

static void
test_faults_recovered (Fixture       *f,
                       gconstpointer  data)
{
  const FaultCase cases[] = {
    { "POST", "/api/v1/segments/", FAKE_FAULT_429_RETRY_AFTER, 1 },
    { "POST", "/api/v1/segments/", FAKE_FAULT_429, 2 },
    { "GET", "/v1/segments", FAKE_FAULT_500, 2 },
    { "POST", "/api/v1/segments/", FAKE_FAULT_500, 1 },
    { "POST", "/api/v1/segments/", FAKE_FAULT_500_APPLIED, 1 },
    { "POST", "/api/v1/segments/", FAKE_FAULT_DROP_APPLIED, 1 },
    { "POST", "/v1/segments", FAKE_FAULT_500, 1 },
    { "POST", "/v1/segments", FAKE_FAULT_500_APPLIED, 1 },
    { "POST", "/v1/segments", FAKE_FAULT_DROP, 1 },
    { "POST", "/v1/segments", FAKE_FAULT_DROP_APPLIED, 1 },
    { "POST", "/v1/segments", FAKE_FAULT_SLOW, 1 },
    { "POST", "/v1/segments", FAKE_FAULT_429_RETRY_AFTER, 1 },
    { "GET", "/v1/segments", FAKE_FAULT_SLOW, 1 },
    { "GET", "/v1/segments", FAKE_FAULT_DROP, 1 },
  };

  put_customers (f, 1, 20, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("Segment %u", i);
      gint64 id = seg_create (f, name);
      gint64 t0 = g_get_monotonic_time ();

      g_test_message ("case %u: %s %s fault %d", i, cases[i].method, cases[i].path, cases[i].fault);
      seg_members (f, id, TRUE, 1 + i, 5 + i);
      fake_server_add_fault (f->server, cases[i].method, cases[i].path, cases[i].fault, cases[i].count);
      sync_ok (f, COHORT_SYNC_DEFAULT);
      assert_converged (f);
      if (cases[i].fault == FAKE_FAULT_429_RETRY_AFTER)
        g_assert_cmpint (g_get_monotonic_time () - t0, >=, G_USEC_PER_SEC * 9 / 10);
      fake_server_clear_faults (f->server);
    }
  assert_no_writes_on_resync (f);

  /* A create whose answer was lost, on a server that drops descriptions:
   * recognised by name and time instead. */
  fake_server_set_hide_descriptions (f->server, TRUE);
  {
    gint64 id = seg_create (f, "No description");

    seg_members (f, id, TRUE, 1, 2);
    fake_server_add_fault (f->server, "POST", "/v1/segments", FAKE_FAULT_DROP_APPLIED, 1);
    sync_ok (f, COHORT_SYNC_DEFAULT);
    assert_converged (f);
  }
}

/* An email-only customer gets an id: Customer.io sees the same person
 * removed by email and added by id, and keeps them. */
static void
test_identifier_change (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 a;

  put_customers (f, 1, 3, TRUE);
  put_email_customer (f, 10, "later@example.com", TRUE);
  a = seg_create (f, "Alpha");
  seg_members (f, a, TRUE, 1, 3);
  seg_members (f, a, TRUE, 10, 10);
  sync_ok (f, COHORT_SYNC_DEFAULT);
  assert_converged (f);

  fake_server_add_person (f->server, "later-id", "later@example.com");
  g_assert_true (cohort_workspace_begin (f->t.ws, &error));
  test_put_customer (f->t.ws, 10, "later-id", "later@example.com", NULL);
  g_assert_true (cohort_workspace_commit (f->t.ws, &error));
  sync_ok (f, COHORT_SYNC_DEFAULT);
  assert_converged (f);
}

static void
test_unauthorized (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortSyncReport) report = NULL;

  put_customers (f, 1, 5, TRUE);
  seg_members (f, seg_create (f, "Alpha"), TRUE, 1, 5);

  g_clear_object (&f->client);
  f->client = make_client (f, "wrong-app-key");
  g_assert_false (run_sync (f, COHORT_SYNC_DEFAULT, NULL, &report, &error));
  g_assert_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "App API key"));
  g_assert_cmpuint (fake_server_get_n_writes (f->server), ==, 0);
  /* One refused request is enough to stop. */
  g_assert_cmpuint (fake_server_get_n_requests (f->server), ==, 1);
  g_clear_error (&error);
  g_clear_pointer (&report, cohort_sync_report_free);

  /* A refused Track key names the Track key. */
  g_clear_object (&f->client);
  f->client = make_client (f, APP_KEY);
  fake_server_add_fault (f->server, "POST", "/api/", FAKE_FAULT_401, 1);
  g_assert_false (run_sync (f, COHORT_SYNC_DEFAULT, NULL, &report, &error));
  g_assert_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "Track API key"));
  g_clear_error (&error);

  sync_ok (f, COHORT_SYNC_DEFAULT);
  assert_converged (f);
}

static void
test_remote_deleted (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortSyncReport) report = NULL;
  g_auto(CohortSyncStatus) status = { 0 };
  g_autoptr(GArray) remote = NULL;
  gint64 a;

  put_customers (f, 1, 10, TRUE);
  a = seg_create (f, "Alpha");
  seg_members (f, a, TRUE, 1, 5);
  sync_ok (f, COHORT_SYNC_DEFAULT);

  remote = fake_server_find_segments (f->server, "Alpha");
  fake_server_delete_segment (f->server, g_array_index (remote, gint64, 0));
  seg_members (f, a, TRUE, 6, 7);

  g_assert_false (run_sync (f, COHORT_SYNC_DEFAULT, NULL, &report, &error));
  g_assert_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (cohort_sync_get_status (f->t.ws, a, &status, &error));
  g_assert_cmpint (status.state, ==, COHORT_SYNC_STATE_UNLINKED);
  cohort_sync_status_clear (&status);
  g_assert_cmpuint (fake_server_count_segments (f->server), ==, 0);

  /* Not created again behind the user's back. */
  sync_ok (f, COHORT_SYNC_DEFAULT);
  g_assert_cmpuint (fake_server_count_segments (f->server), ==, 0);

  /* 404 on a membership write marks it too. */
  g_assert_true (cohort_sync_relink (f->t.ws, a, &error));
  sync_ok (f, COHORT_SYNC_DEFAULT);
  g_array_unref (remote);
  remote = fake_server_find_segments (f->server, "Alpha");
  g_assert_cmpuint (remote->len, ==, 1);
  {
    g_auto(GStrv) want = local_members (f, a);
    g_auto(GStrv) have = fake_server_dup_members (f->server, g_array_index (remote, gint64, 0));
    assert_strv_equal (want, have);
  }
  fake_server_delete_segment (f->server, g_array_index (remote, gint64, 0));
  seg_members (f, a, TRUE, 8, 8);
  g_assert_false (run_sync (f, COHORT_SYNC_PUSH | COHORT_SYNC_IDENTIFY * 0, NULL, NULL, &error));
  g_clear_error (&error);
  g_assert_true (cohort_sync_get_status (f->t.ws, a, &status, &error));
  g_assert_cmpint (status.state, ==, COHORT_SYNC_STATE_UNLINKED);
}

static void
test_delete_segment (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortSegmentSnapshot) snapshot = NULL;
  gint64 a, b;

  put_customers (f, 1, 10, TRUE);
  a = seg_create (f, "Alpha");
  b = seg_create (f, "Beta");
  seg_members (f, a, TRUE, 1, 5);
  seg_members (f, b, TRUE, 1, 5);
  sync_ok (f, COHORT_SYNC_DEFAULT);
  g_assert_cmpuint (fake_server_count_segments (f->server), ==, 2);

  /* Deleted and restored before a sync: nothing changes remotely. */
  g_assert_true (cohort_segments_delete (f->t.ws, a, &snapshot, &error));
  g_assert_no_error (error);
  g_clear_object (&(CohortSegment *) { cohort_segments_restore (f->t.ws, snapshot, &error) });
  g_assert_no_error (error);
  assert_no_writes_on_resync (f);
  assert_converged (f);

  /* Deleted: the remote segment Cohort made goes too. */
  g_assert_true (cohort_segments_delete (f->t.ws, a, NULL, &error));
  sync_ok (f, COHORT_SYNC_DEFAULT);
  g_assert_cmpuint (fake_server_count_segments (f->server), ==, 1);
  g_assert_cmpint (cohort_outbox_count_pending (f->t.ws, 0), ==, 0);

  /* ...unless campaigns use it. */
  {
    g_autoptr(GArray) remote = fake_server_find_segments (f->server, "Beta");
    g_autoptr(CohortSyncReport) report = NULL;

    fake_server_set_used_by (f->server, g_array_index (remote, gint64, 0), 2);
    g_assert_true (cohort_segments_delete (f->t.ws, b, NULL, &error));
    g_assert_true (run_sync (f, COHORT_SYNC_DEFAULT, NULL, &report, &error));
    g_assert_cmpuint (fake_server_count_segments (f->server), ==, 1);
    g_assert_cmpuint (report->notes->len, ==, 1);
  }
  assert_no_writes_on_resync (f);
}

/* A workspace with history: a first clean sync, then local changes of
 * every kind. The second sync is the one killed. */
static void
build_scenario (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  gint64 a, b, c, d, e;

  put_customers (f, 1, 40, TRUE);
  put_email_customer (f, 100, "mail-only@example.com", TRUE);
  a = seg_create (f, "Alpha");
  b = seg_create (f, "Beta");
  c = seg_create (f, "Gamma");
  d = seg_create (f, "Delta");
  seg_members (f, a, TRUE, 1, 10);
  seg_members (f, b, TRUE, 5, 25);
  seg_members (f, b, TRUE, 100, 100);
  seg_members (f, c, TRUE, 1, 3);
  seg_members (f, d, TRUE, 1, 5);
  sync_ok (f, COHORT_SYNC_DEFAULT);

  seg_members (f, a, FALSE, 1, 3);
  seg_members (f, a, TRUE, 11, 15);
  seg_members (f, b, FALSE, 100, 100);
  g_assert_true (cohort_segments_set_active (f->t.ws, c, FALSE, &error));
  g_assert_true (cohort_segments_delete (f->t.ws, d, NULL, &error));
  e = seg_create (f, "Epsilon");
  seg_members (f, e, TRUE, 20, 40);
  g_assert_no_error (error);
}

static void
check_kill (FakeFault fault,
            gboolean  cancel)
{
  guint n_requests;

  /* How many requests the second sync makes when nothing goes wrong. */
  {
    Fixture f = { 0 };
    guint before;

    fixture_setup (&f, NULL);
    build_scenario (&f);
    before = fake_server_get_n_requests (f.server);
    sync_ok (&f, COHORT_SYNC_DEFAULT);
    n_requests = fake_server_get_n_requests (f.server) - before;
    assert_converged (&f);
    fixture_teardown (&f, NULL);
  }
  g_assert_cmpuint (n_requests, >, 8);

  for (guint k = 0; k <= n_requests; k++)
    {
      Fixture f = { 0 };
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) delta = NULL;

      g_test_message ("killed at request %u of %u (fault %d, cancel %d)", k, n_requests, fault, cancel);
      fixture_setup (&f, NULL);
      build_scenario (&f);
      if (cancel)
        fake_server_cancel_at (f.server, k, cancellable);
      else
        fake_server_fail_from (f.server, k, fault);
      run_sync (&f, COHORT_SYNC_DEFAULT, cancellable, NULL, &error);
      fake_server_clear_faults (f.server);
      g_clear_error (&error);

      /* Re-run: converges, nothing lost or duplicated. */
      sync_ok (&f, COHORT_SYNC_DEFAULT);
      assert_converged (&f);
      delta = fake_server_find_segments (f.server, "Delta");
      g_assert_cmpuint (delta->len, ==, 0);
      g_assert_cmpint (cohort_outbox_count_pending (f.t.ws, 0), ==, 1);   /* Gamma's deactivation */
      assert_no_writes_on_resync (&f);
      fixture_teardown (&f, NULL);
    }
}

static void
test_kill_dropped (void)
{
  check_kill (FAKE_FAULT_DROP_APPLIED, FALSE);
}

static void
test_kill_500_applied (void)
{
  check_kill (FAKE_FAULT_500_APPLIED, FALSE);
}

static void
test_kill_refused (void)
{
  check_kill (FAKE_FAULT_DROP, FALSE);
}

static void
test_kill_cancelled (void)
{
  check_kill (FAKE_FAULT_NONE, TRUE);
}

static void
test_pull (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GPtrArray) remote = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  gint64 manual;
  gint64 n;

  for (guint i = 0; i < 2500; i++)
    g_ptr_array_add (ids, g_strdup_printf ("r%05u", i));
  g_ptr_array_add (ids, NULL);
  manual = fake_server_add_segment (f->server, "Made there", "manual",
                                    (const char * const *) ids->pdata);
  fake_server_add_segment (f->server, "Dynamic one", "dynamic",
                           (const char * const *) ids->pdata + 2490);

  sync_ok (f, COHORT_SYNC_PULL);
  g_assert_cmpuint (fake_server_get_n_writes (f->server), ==, 0);
  remote = cohort_sync_list_remote_segments (f->t.ws, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (remote->len, ==, 2);
  g_assert_cmpstr (((CohortCioSegment *) remote->pdata[0])->name, ==, "Dynamic one");
  g_assert_cmpstr (((CohortCioSegment *) remote->pdata[0])->type, ==, "dynamic");
  g_assert_cmpint (((CohortCioSegment *) remote->pdata[0])->count, ==, 10);
  g_assert_cmpstr (((CohortCioSegment *) remote->pdata[1])->type, ==, "manual");
  g_assert_cmpint (((CohortCioSegment *) remote->pdata[1])->count, ==, 2500);

  fake_server_add_fault (f->server, "GET", "/v1/segments/", FAKE_FAULT_500, 1);
  n = cohort_sync_pull_members (f->t.ws, f->client, manual, 1000, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 2500);
  {
    sqlite3_stmt *stmt = cohort_workspace_prepare (f->t.ws,
                                                   "SELECT count (DISTINCT id), min (id), max (id) "
                                                   "FROM remote_members WHERE remote_segment = ?",
                                                   &error);
    sqlite3_bind_int64 (stmt, 1, manual);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, 2500);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "r00000");
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "r02499");
    sqlite3_reset (stmt);
  }
  /* Remote segments stay theirs: a push does not touch them. */
  sync_ok (f, COHORT_SYNC_DEFAULT);
  g_assert_cmpuint (fake_server_get_n_writes (f->server), ==, 0);
}

static void
test_identify (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CohortSyncReport) report = NULL;
  g_autoptr(CohortSyncPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  gint64 a;

  put_customers (f, 1, 10, TRUE);
  put_customers (f, 11, 20, FALSE);
  put_email_customer (f, 50, "not-an-email", FALSE);
  a = seg_create (f, "Alpha");
  seg_members (f, a, TRUE, 1, 20);
  seg_members (f, a, TRUE, 50, 50);

  g_assert_true (run_sync (f, COHORT_SYNC_DEFAULT, NULL, &report, &error));
  g_assert_cmpuint (report->segments->len, ==, 1);
  g_assert_cmpint (((CohortSyncSegmentResult *) report->segments->pdata[0])->unknown, ==, 11);
  g_clear_pointer (&report, cohort_sync_report_free);

  plan = cohort_sync_plan_new (f->t.ws, COHORT_SYNC_DEFAULT | COHORT_SYNC_IDENTIFY, NULL, &error);
  g_assert_no_error (error);
  {
    g_autofree char *line = cohort_sync_action_describe (cohort_sync_plan_get_action (plan, 0));
    g_assert_cmpstr (line, ==, "identify 21 people");
  }

  /* The bad email is refused (207), the rest go through and are added. */
  g_assert_false (run_sync (f, COHORT_SYNC_DEFAULT | COHORT_SYNC_IDENTIFY, NULL, &report, &error));
  g_assert_nonnull (strstr (error->message, "refused"));
  g_clear_error (&error);
  g_assert_cmpuint (report->failures->len, ==, 1);
  g_assert_cmpint (((CohortSyncSegmentResult *) report->segments->pdata[0])->unknown, ==, 1);
  g_assert_cmpuint (fake_server_count_people (f->server), ==, 20);
  g_clear_pointer (&report, cohort_sync_report_free);

  /* Identified people are not sent again. */
  {
    guint writes = fake_server_get_n_writes (f->server);

    run_sync (f, COHORT_SYNC_DEFAULT | COHORT_SYNC_IDENTIFY, NULL, &report, &error);
    g_clear_error (&error);
    g_assert_cmpuint (fake_server_get_n_writes (f->server) - writes, ==, 1);   /* the refused one */
  }
}

static void
test_data_driven (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(GArray) remote = NULL;
  g_auto(GStrv) members = NULL;

  put_customers (f, 1, 20, TRUE);
  s = cohort_segments_create (f->t.ws, "Pro plan", COHORT_SEGMENT_DATA_DRIVEN, "", &error);
  g_assert_no_error (error);
  cohort_segments_set_criteria (f->t.ws, cohort_segment_get_id (s),
                                "{\"attribute\": {\"field\": \"plan\", \"operator\": \"eq\", \"value\": \"pro\"}}",
                                &error);
  g_assert_no_error (error);

  sync_ok (f, COHORT_SYNC_DEFAULT);
  remote = fake_server_find_segments (f->server, "Pro plan");
  g_assert_cmpuint (remote->len, ==, 1);
  members = fake_server_dup_members (f->server, g_array_index (remote, gint64, 0));
  g_assert_cmpuint (g_strv_length (members), ==, 10);
  g_assert_cmpstr (members[0], ==, "c0001");
  {
    /* The criteria in words, to rebuild it in Customer.io's builder. */
    g_autofree char *description = fake_server_dup_description (f->server, g_array_index (remote, gint64, 0));

    g_test_message ("%s", description);
    g_assert_nonnull (strstr (description, "Criteria: "));
    g_assert_nonnull (strstr (description, "pro"));
  }
  assert_no_writes_on_resync (f);

  /* The data changes: the published membership follows. */
  {
    g_assert_true (cohort_workspace_begin (f->t.ws, &error));
    test_put_customer (f->t.ws, 1, "c0001", "c0001@example.com", (const char *[]) { "plan", "free", NULL });
    test_put_customer (f->t.ws, 2, "c0002", "c0002@example.com", (const char *[]) { "plan", "pro", NULL });
    g_assert_true (cohort_workspace_commit (f->t.ws, &error));
  }
  {
    guint writes = fake_server_get_n_writes (f->server);

    sync_ok (f, COHORT_SYNC_DEFAULT);
    g_assert_cmpuint (fake_server_get_n_writes (f->server) - writes, ==, 2);
  }
  g_strfreev (g_steal_pointer (&members));
  members = fake_server_dup_members (f->server, g_array_index (remote, gint64, 0));
  g_assert_cmpuint (g_strv_length (members), ==, 10);
  g_assert_cmpstr (members[0], ==, "c0002");
}

static void
test_redirect_refused (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fake_server_add_fault (f->server, "GET", "/v1/segments", FAKE_FAULT_REDIRECT, 1);
  g_assert_false (run_sync (f, COHORT_SYNC_PULL, NULL, NULL, &error));
  g_assert_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_REDIRECTED);
  /* Only the one request: the redirect was not followed. */
  g_assert_cmpuint (fake_server_get_n_requests (f->server), ==, 1);
}

static void
test_rate_limit (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  cohort_cio_client_set_rate_limit (f->client, COHORT_CIO_APP, 9);
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr(GPtrArray) list = cohort_cio_client_list_segments (f->client, NULL, &error);
      g_assert_no_error (error);
    }
  /* Five gaps of 1/9 s. */
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 5 * G_USEC_PER_SEC / 9 - 1000);
}

static void
test_region (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(CohortCredentials) creds = cohort_credentials_new ();
  g_autoptr(CohortCioClient) client = NULL;
  g_autoptr(GError) track_error = NULL;
  g_autoptr(GError) app_error = NULL;

  creds->site_id = g_strdup (SITE_ID);
  creds->track_api_key = g_strdup (TRACK_KEY);
  creds->app_api_key = g_strdup ("bad");
  creds->track_url = g_strdup (fake_server_get_url (f->server));
  creds->app_url = g_strdup (fake_server_get_url (f->server));
  client = cohort_cio_client_new (creds, NULL);
  g_assert_true (cohort_cio_client_ensure_region (client, NULL, NULL));
  g_assert_cmpint (cohort_cio_client_get_region (client), ==, COHORT_REGION_US);
  g_assert_false (cohort_cio_client_test_connection (client, NULL, &track_error, &app_error));
  g_assert_no_error (track_error);
  g_assert_error (app_error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_UNAUTHORIZED);
}

static gboolean
bytes_contain (const char *data,
               gsize       len,
               const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

static void
test_no_keys_leak (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *server_log = NULL;
  const char *keys[] = { TRACK_KEY, APP_KEY };
  const char *suffixes[] = { "", "-wal", "-journal" };
  gint64 a;

  put_customers (f, 1, 10, TRUE);
  a = seg_create (f, "Alpha");
  seg_members (f, a, TRUE, 1, 10);
  fake_server_add_fault (f->server, "POST", "/v1/segments", FAKE_FAULT_500, 1);
  sync_ok (f, COHORT_SYNC_DEFAULT | COHORT_SYNC_IDENTIFY);
  g_clear_object (&f->client);
  f->client = make_client (f, "wrong-" APP_KEY);
  run_sync (f, COHORT_SYNC_DEFAULT, NULL, NULL, NULL);

  server_log = fake_server_dup_log (f->server);
  g_assert_nonnull (strstr (server_log, "POST /v1/segments"));
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_assert_null (strstr (server_log, keys[i]));
      g_mutex_lock (&log_lock);
      g_assert_true (log_text->len > 0);
      g_assert_null (strstr (log_text->str, keys[i]));
      g_mutex_unlock (&log_lock);
      for (guint j = 0; j < G_N_ELEMENTS (suffixes); j++)
        {
          g_autofree char *p = g_strconcat (f->t.path, suffixes[j], NULL);
          g_autofree char *contents = NULL;
          gsize len = 0;

          if (!g_file_get_contents (p, &contents, &len, NULL))
            continue;
          g_assert_false (bytes_contain (contents, len, keys[i]));
        }
    }
}

static void
test_async_progress_cb (guint       done,
                        guint       total,
                        const char *what,
                        gpointer    user_data)
{
  guint *calls = user_data;

  g_assert_cmpuint (done, <=, total);
  (*calls)++;
}

static void
async_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_async (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(CohortCredentials) creds = cohort_credentials_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CohortSyncReport) report = NULL;
  g_autoptr(GError) error = NULL;
  guint calls = 0;

  put_customers (f, 1, 10, TRUE);
  seg_members (f, seg_create (f, "Alpha"), TRUE, 1, 10);

  creds->site_id = g_strdup (SITE_ID);
  creds->track_api_key = g_strdup (TRACK_KEY);
  creds->app_api_key = g_strdup (APP_KEY);
  creds->track_url = g_strdup (fake_server_get_url (f->server));
  creds->app_url = g_strdup (fake_server_get_url (f->server));
  creds->region = COHORT_REGION_US;
  cohort_sync_run_async (f->t.path, creds, COHORT_SYNC_DEFAULT, test_async_progress_cb, &calls,
                         NULL, async_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  report = cohort_sync_run_finish (result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (calls, >, 0);
  cohort_workspace_check_external_changes (f->t.ws);
  assert_converged (f);
}

/* Values go out typed as their attribute: numbers and booleans as JSON
 * numbers and booleans, anything that does not read as its type as text. */
static void
test_identify_types (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CohortSyncReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  gint64 a;

  g_assert_true (cohort_workspace_begin (f->t.ws, &error));
  test_put_customer (f->t.ws, 1, "c0001", "c0001@example.com",
                     (const char *[]) { "age", "42", "vip", "yes", "plan", "pro", NULL });
  test_put_customer (f->t.ws, 2, "c0002", NULL,
                     (const char *[]) { "age", "n/a", "vip", "maybe", NULL });
  g_assert_true (cohort_workspace_commit (f->t.ws, &error));
  g_assert_no_error (error);
  g_assert_true (cohort_attributes_set_type (f->t.ws, "age", COHORT_ATTR_NUMBER, &error));
  g_assert_true (cohort_attributes_set_type (f->t.ws, "vip", COHORT_ATTR_BOOLEAN, &error));
  g_assert_no_error (error);
  a = seg_create (f, "Typed");
  seg_members (f, a, TRUE, 1, 2);

  g_assert_true (run_sync (f, COHORT_SYNC_DEFAULT | COHORT_SYNC_IDENTIFY, NULL, &report, &error));
  g_assert_no_error (error);
  first = fake_server_dup_person_attributes (f->server, "c0001");
  second = fake_server_dup_person_attributes (f->server, "c0002");
  g_assert_cmpstr (first, ==, "{\"email\":\"c0001@example.com\",\"age\":42.0,\"vip\":true,\"plan\":\"pro\"}");
  g_assert_cmpstr (second, ==, "{\"age\":\"n/a\",\"vip\":\"maybe\"}");
}

static void
test_identify_batches (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(CohortSyncReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bio = g_strnfill (990, 'b');
  g_autofree char *too_long = g_strnfill (1001, 'x');
  guint writes;
  gint64 a;

  /* 600 people of about 1 KB each: more than one 500 KB batch. */
  g_assert_true (cohort_workspace_begin (f->t.ws, &error));
  for (guint i = 1; i <= 600; i++)
    {
      g_autofree char *id = g_strdup_printf ("p%04u", i);

      test_put_customer (f->t.ws, i, id, NULL,
                         (const char *[]) { "bio", bio, "notes", i == 1 ? too_long : "ok", "age", "42", NULL });
    }
  g_assert_true (cohort_workspace_commit (f->t.ws, &error));
  a = seg_create (f, "Everyone");
  seg_members (f, a, TRUE, 1, 600);

  writes = fake_server_get_n_writes (f->server);
  g_assert_true (run_sync (f, COHORT_SYNC_PUSH | COHORT_SYNC_IDENTIFY, NULL, &report, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_server_count_people (f->server), ==, 600);
  /* 2 batches, create, 1 add (people known by then). */
  g_assert_cmpuint (fake_server_get_n_writes (f->server) - writes, ==, 2 + 1 + 1);
  g_assert_cmpuint (report->notes->len, ==, 1);    /* the value over 1000 bytes */
  assert_converged (f);
  assert_no_writes_on_resync (f);
}

static void
test_one_sync_at_a_time (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *lock_path = g_strconcat (f->t.path, ".sync-lock", NULL);
  g_autoptr(GError) error = NULL;
  int fd;

  put_customers (f, 1, 3, TRUE);
  seg_members (f, seg_create (f, "Alpha"), TRUE, 1, 3);

  /* Another process (here: another open file) is syncing. */
  fd = g_open (lock_path, O_RDWR | O_CREAT, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX | LOCK_NB), ==, 0);
  g_assert_false (run_sync (f, COHORT_SYNC_DEFAULT, NULL, NULL, &error));
  g_assert_error (error, COHORT_SYNC_ERROR, COHORT_SYNC_ERROR_BUSY);
  g_assert_cmpuint (fake_server_get_n_requests (f->server), ==, 0);
  g_clear_error (&error);
  close (fd);

  sync_ok (f, COHORT_SYNC_DEFAULT);
  assert_converged (f);
}

static void
test_credentials_env (void)
{
  g_autoptr(CohortCredentials) creds = cohort_credentials_new ();
  g_autoptr(CohortCredentials) bad = cohort_credentials_new ();
  g_autoptr(GError) error = NULL;

  g_setenv ("COHORT_SITE_ID", " site ", TRUE);
  g_setenv ("COHORT_TRACK_API_KEY", "t", TRUE);
  g_setenv ("COHORT_APP_API_KEY", "", TRUE);
  g_setenv ("COHORT_REGION", "EU", TRUE);
  g_setenv ("COHORT_TRACK_URL", "http://127.0.0.1:1", TRUE);
  g_assert_true (cohort_credentials_load_env (creds, &error));
  g_assert_cmpstr (creds->site_id, ==, "site");
  g_assert_cmpstr (creds->track_api_key, ==, "t");
  g_assert_null (creds->app_api_key);
  g_assert_cmpint (creds->region, ==, COHORT_REGION_EU);
  g_assert_false (cohort_credentials_is_complete (creds));
  {
    g_autoptr(CohortCioClient) client = cohort_cio_client_new (creds, &error);
    g_assert_null (client);
    g_assert_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NO_CREDENTIALS);
    g_clear_error (&error);
  }

  g_setenv ("COHORT_REGION", "mars", TRUE);
  g_assert_false (cohort_credentials_load_env (bad, &error));
  g_assert_nonnull (strstr (error->message, "mars"));
  g_unsetenv ("COHORT_SITE_ID");
  g_unsetenv ("COHORT_TRACK_API_KEY");
  g_unsetenv ("COHORT_APP_API_KEY");
  g_unsetenv ("COHORT_REGION");
  g_unsetenv ("COHORT_TRACK_URL");
}

/* cohort_sync_get_all_status () says what cohort_sync_get_status () says,
 * for every segment, in one pass; the remote-only list leaves out what
 * publishes a local segment. */
static void
test_all_status (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) table = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) remote_only = NULL;
  g_autoptr(GArray) remote = NULL;
  const char *made_there[] = { "c1", "c2", NULL };
  gint64 synced, pending, inactive, unlinked, fresh, made;
  gint64 ids[5];
  gint64 total, pulled_at;
  gboolean complete;

  put_customers (f, 1, 10, TRUE);
  synced = seg_create (f, "Synced");
  pending = seg_create (f, "Pending");
  inactive = seg_create (f, "Inactive");
  unlinked = seg_create (f, "Unlinked");
  seg_members (f, synced, TRUE, 1, 3);
  made = fake_server_add_segment (f->server, "Made there", "manual", made_there);
  sync_ok (f, COHORT_SYNC_DEFAULT);

  seg_members (f, pending, TRUE, 4, 6);
  g_assert_true (cohort_segments_set_active (f->t.ws, inactive, FALSE, &error));
  g_assert_no_error (error);
  remote = fake_server_find_segments (f->server, "Unlinked");
  fake_server_delete_segment (f->server, g_array_index (remote, gint64, 0));
  seg_members (f, unlinked, TRUE, 7, 7);
  g_assert_false (run_sync (f, COHORT_SYNC_PUSH, NULL, NULL, &error));
  g_clear_error (&error);
  seg_members (f, pending, TRUE, 8, 8);
  fresh = seg_create (f, "Fresh");

  table = cohort_sync_get_all_status (f->t.ws, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (table), ==, 5);
  ids[0] = synced; ids[1] = pending; ids[2] = inactive; ids[3] = unlinked; ids[4] = fresh;
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_auto(CohortSyncStatus) one = { 0 };
      CohortSyncStatus *status = g_hash_table_lookup (table, &ids[i]);

      g_assert_nonnull (status);
      g_assert_true (cohort_sync_get_status (f->t.ws, ids[i], &one, &error));
      g_assert_cmpint (status->segment_id, ==, ids[i]);
      g_assert_cmpint (status->state, ==, one.state);
      g_assert_cmpint (status->n_pending, ==, one.n_pending);
      g_assert_cmpint (status->remote_id, ==, one.remote_id);
      g_assert_cmpint (status->local_count, ==, one.local_count);
      g_assert_cmpint (status->remote_count, ==, one.remote_count);
      g_assert_cmpstr (status->error, ==, one.error);
    }
  g_assert_cmpint (((CohortSyncStatus *) g_hash_table_lookup (table, &synced))->state, ==, COHORT_SYNC_STATE_SYNCED);
  g_assert_cmpint (((CohortSyncStatus *) g_hash_table_lookup (table, &synced))->remote_id, >, 0);
  g_assert_cmpint (((CohortSyncStatus *) g_hash_table_lookup (table, &pending))->state, ==, COHORT_SYNC_STATE_PENDING);
  g_assert_cmpint (((CohortSyncStatus *) g_hash_table_lookup (table, &pending))->n_pending, >, 0);
  g_assert_cmpint (((CohortSyncStatus *) g_hash_table_lookup (table, &inactive))->state, ==, COHORT_SYNC_STATE_INACTIVE);
  g_assert_cmpint (((CohortSyncStatus *) g_hash_table_lookup (table, &unlinked))->state, ==, COHORT_SYNC_STATE_UNLINKED);
  g_assert_nonnull (((CohortSyncStatus *) g_hash_table_lookup (table, &unlinked))->error);
  g_assert_cmpint (((CohortSyncStatus *) g_hash_table_lookup (table, &fresh))->state, ==, COHORT_SYNC_STATE_NOT_PUBLISHED);

  /* Pulled: the four published ones and the one made in Customer.io. */
  sync_ok (f, COHORT_SYNC_PULL);
  all = cohort_sync_list_remote_segments (f->t.ws, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 4);    /* Synced, Pending, Inactive (still there), Made there */
  remote_only = cohort_sync_list_remote_only_segments (f->t.ws, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (remote_only->len, ==, 1);
  g_assert_cmpstr (((CohortCioSegment *) remote_only->pdata[0])->name, ==, "Made there");
  g_assert_cmpstr (((CohortCioSegment *) remote_only->pdata[0])->type, ==, "manual");
  g_assert_cmpint (((CohortCioSegment *) remote_only->pdata[0])->count, ==, 2);

  /* Members: never pulled, then pulled. */
  g_assert_true (cohort_sync_get_member_pull (f->t.ws, made, &total, &complete, &pulled_at, &error));
  g_assert_cmpint (total, ==, -1);
  g_assert_false (complete);
  g_assert_cmpint (cohort_sync_pull_members (f->t.ws, f->client, made, 0, NULL, NULL, NULL, &error), ==, 2);
  g_assert_true (cohort_sync_get_member_pull (f->t.ws, made, &total, &complete, &pulled_at, &error));
  g_assert_no_error (error);
  g_assert_cmpint (total, ==, 2);
  g_assert_true (complete);
  g_assert_cmpint (pulled_at, >, 0);
}

int
main (int    argc,
      char **argv)
{
  log_text = g_string_new (NULL);
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sync/base-url", test_check_base_url);
  g_test_add_func ("/sync/credentials-env", test_credentials_env);
#define ADD(path, func) g_test_add ("/sync/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("push", test_push_basic);
  ADD ("dry-run", test_dry_run);
  ADD ("faults", test_faults_recovered);
  ADD ("identifier-change", test_identifier_change);
  ADD ("unauthorized", test_unauthorized);
  ADD ("remote-deleted", test_remote_deleted);
  ADD ("delete", test_delete_segment);
  ADD ("pull", test_pull);
  ADD ("all-status", test_all_status);
  ADD ("identify", test_identify);
  ADD ("identify-batches", test_identify_batches);
  ADD ("identify-types", test_identify_types);
  ADD ("one-at-a-time", test_one_sync_at_a_time);
  ADD ("data-driven", test_data_driven);
  ADD ("redirect", test_redirect_refused);
  ADD ("rate-limit", test_rate_limit);
  ADD ("region", test_region);
  ADD ("no-keys-leak", test_no_keys_leak);
  ADD ("async", test_async);
#undef ADD
  g_test_add_func ("/sync/kill/dropped-after-apply", test_kill_dropped);
  g_test_add_func ("/sync/kill/500-after-apply", test_kill_500_applied);
  g_test_add_func ("/sync/kill/refused", test_kill_refused);
  g_test_add_func ("/sync/kill/cancelled", test_kill_cancelled);

  return g_test_run ();
}
