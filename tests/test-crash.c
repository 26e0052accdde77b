/* test-crash.c: kill -9 at many points of each long operation
 *
 * For each long operation of the command line (customer import, event
 * import, set-criteria, adding many members, freeze, sync), the operation
 * is first run to the end on a copy of a prepared workspace to measure its
 * duration and the state AFTER it. Then, on fresh copies, `cohort` is
 * started again and killed with SIGKILL after delays spread evenly from 0
 * to a little past that duration. After each kill: PRAGMA integrity_check
 * is ok, the workspace is exactly BEFORE or exactly AFTER the operation (a
 * digest of every table but timestamps, the schema included), never
 * between, and the next commands work (a killed operation run again ends
 * AFTER). Sync talks to several servers, one request at a time, so it is
 * checked differently: after a kill, the next sync must finish the job with
 * no segment created twice in Customer.io and no member missing.
 *
 * One meson test per operation (`-p /crash/NAME`), each well under a minute.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cio-fake-server.h"
#include "cohort-test-cli.h"
#include "cohort-test-proc.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLOW 1        /* everything runs 3 to 5 times slower: less data */
#else
#define SLOW 0
#endif

#define N_POINTS   12
#define N_BASE     (SLOW ? 4000 : 12000)     /* customers in the prepared workspace */
#define N_IMPORT   (SLOW ? 10000 : 30000)    /* rows of the customer import */
#define N_EVENTS   (SLOW ? 10000 : 30000)    /* rows of the event import */
#define N_SYNC     (SLOW ? 1500 : 3000)      /* customers for sync */

#define SITE_ID   "site-crash"
#define TRACK_KEY "trk-crash-key"
#define APP_KEY   "app-crash-key"

typedef struct
{
  char       *dir;
  char       *template;    /* the prepared workspace, closed (no WAL) */
  char       *work;        /* where each run happens */
  const char *binary;
} Crash;

static void
crash_setup (Crash *c)
{
  c->binary = g_getenv ("COHORT_BINARY");
  g_assert_nonnull (c->binary);
  c->dir = g_dir_make_tmp ("cohort-crash-XXXXXX", NULL);
  c->template = g_build_filename (c->dir, "template.cohort", NULL);
  c->work = g_build_filename (c->dir, "work.cohort", NULL);
}

static void
crash_teardown (Crash *c)
{
  proc_remove_tree (c->dir);
  g_free (c->dir);
  g_free (c->template);
  g_free (c->work);
}

static char *
write_file (Crash      *c,
            const char *name,
            GString    *text)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (c->dir, name, NULL);

  g_file_set_contents (path, text->str, text->len, &error);
  g_assert_no_error (error);
  return path;
}

#define RUN_OK(ws, ...) G_STMT_START {                                    \
    g_auto(CliResult) r_ = { 0 };                                         \
    cli_run (&r_, (ws), __VA_ARGS__);                                     \
    g_assert_cmpint (r_.status, ==, 0);                                   \
  } G_STMT_END

/* Customers c000000… with a plan, a spend and a sign-up time. */
static GString *
customers_csv (guint from,
               guint to,
               guint variant)
{
  GString *csv = g_string_new ("id,email,plan,spend,signed_up\n");

  for (guint i = from; i < to; i++)
    g_string_append_printf (csv, "c%06u,c%u@crash.example,%c,%u.%u,%u\n", i, i,
                            "ABC"[(i + variant) % 3], (i * 7 + variant) % 1000, variant,
                            1700000000 + i);
  return csv;
}

/* The template: N_BASE customers and a few segments. */
static void
prepare_base (Crash *c,
              guint  n_customers)
{
  g_autoptr(GString) csv = customers_csv (0, n_customers, 0);
  g_autofree char *path = write_file (c, "base.csv", csv);

  RUN_OK (c->template, "import", "customers", path);
  RUN_OK (c->template, "segments", "create", "Plan B", "--criteria",
          "{\"attribute\": {\"field\": \"plan\", \"operator\": \"eq\", \"value\": \"B\"}}");
  RUN_OK (c->template, "segments", "create", "Hand", "--manual");
  RUN_OK (c->template, "segments", "add", "Hand", "c000001", "c000002", "c000003");
}

/* Everything a command could change, but the times it stamps: the schema
 * (an import may drop and rebuild indexes only inside its transaction),
 * customers, attributes, events, segments, references, members, outbox. */
static char *
digest (const char *path)
{
  static const char *const queries[] = {
    "SELECT type, name, tbl_name, ifnull(sql, '') FROM sqlite_master ORDER BY name",
    "SELECT id, ifnull(email, ''), hex(attrs) FROM customers ORDER BY id",
    "SELECT name, type FROM attributes ORDER BY name",
    "SELECT c.id, e.name, e.timestamp, hex(e.attrs), e.dedupe FROM events e "
    "JOIN customers c ON c.ordinal = e.customer ORDER BY e.dedupe, c.id",
    "SELECT name FROM event_attributes ORDER BY name",
    "SELECT id, name, kind, description, active, ifnull(criteria, '') FROM segments ORDER BY id",
    "SELECT segment, target FROM segment_refs ORDER BY segment, target",
    "SELECT m.segment, c.id FROM segment_members m JOIN customers c ON c.ordinal = m.customer "
    "ORDER BY m.segment, c.id",
    "SELECT seq, segment, op FROM sync_outbox ORDER BY seq",
  };
  sqlite3 *db = proc_sql_open (path);
  g_autoptr(GString) all = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *d = proc_sql_digest (db, queries[i]);

      g_string_append_printf (all, "%s%s", i ? " " : "", d);
    }
  sqlite3_close (db);
  return g_string_free (g_steal_pointer (&all), FALSE);
}

/* Removes the work copy and everything beside it (WAL, SHM, index files),
 * then copies the template there. */
static void
reset_work (Crash *c)
{
  g_autoptr(GDir) d = g_dir_open (c->dir, 0, NULL);
  g_autofree char *base = g_path_get_basename (c->work);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, base) || g_str_has_prefix (name, ".work"))
      {
        g_autofree char *p = g_build_filename (c->dir, name, NULL);
        g_remove (p);
      }
  proc_copy_file (c->template, c->work);
}

static gint64
run_to_end (Crash              *c,
            const char * const *args)
{
  g_auto(CliResult) r = { 0 };
  gint64 t0 = g_get_monotonic_time ();

  cli_run_env (&r, c->work, NULL, args);
  g_assert_cmpint (r.status, ==, 0);
  return g_get_monotonic_time () - t0;
}

static void
kill_at_points (Crash              *c,
                const char         *what,
                const char * const *args)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 duration;
  guint n_before = 0, n_after = 0, n_killed = 0;
  gint64 started = g_get_monotonic_time ();

  before = digest (c->template);
  reset_work (c);
  duration = run_to_end (c, args);
  proc_assert_integrity (c->work);
  after = digest (c->work);
  g_test_message ("%s: BEFORE %s", what, before);
  g_test_message ("%s: AFTER  %s", what, after);
  g_assert_cmpstr (before, !=, after);

  for (guint k = 0; k < N_POINTS; k++)
    {
      /* 0 … 1.5 × the measured duration, evenly. */
      gint64 delay = duration * 15 / 10 * k / (N_POINTS - 1);
      g_autofree char *now = NULL;
      GPid pid;
      int status = 0;
      gboolean killed;

      reset_work (c);
      pid = proc_spawn_cohort (c->binary, c->work, NULL, args);
      killed = proc_kill_after (pid, delay, &status);
      if (!killed)
        g_assert_cmpint (status, ==, 0);
      n_killed += killed;

      proc_assert_integrity (c->work);
      now = digest (c->work);
      if (g_strcmp0 (now, before) == 0)
        n_before++;
      else if (g_strcmp0 (now, after) == 0)
        n_after++;
      else
        g_error ("%s killed after %" G_GINT64_FORMAT " ms (of %" G_GINT64_FORMAT " ms): "
                 "neither BEFORE nor AFTER:\n  before %s\n  after  %s\n  now    %s",
                 what, delay / 1000, duration / 1000, before, after, now);
      if (!killed)
        g_assert_cmpstr (now, ==, after);

      /* The next commands work; a killed operation can be run again. */
      RUN_OK (c->work, "customers", "count");
      RUN_OK (c->work, "segments", "list");
      if (g_strcmp0 (now, before) == 0 && k % 3 == 0)
        {
          g_autofree char *again = NULL;

          run_to_end (c, args);
          again = digest (c->work);
          g_assert_cmpstr (again, ==, after);
        }
    }

  g_test_message ("%s: takes %" G_GINT64_FORMAT " ms; %u kills at points from 0 to %" G_GINT64_FORMAT
                  " ms (%u killed, %u finished first): %u BEFORE, %u AFTER, 0 between; "
                  "the test took %.1f s",
                  what, duration / 1000, N_POINTS, duration * 15 / 10 / 1000, n_killed,
                  N_POINTS - n_killed, n_before, n_after,
                  (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
  g_assert_cmpuint (n_before + n_after, ==, N_POINTS);
}

static void
test_import_customers (void)
{
  Crash c = { 0 };
  g_autoptr(GString) csv = NULL;
  g_autofree char *path = NULL;

  crash_setup (&c);
  prepare_base (&c, 2000);
  /* 1000 updated (another plan and spend), the rest new. */
  csv = customers_csv (1000, 1000 + N_IMPORT, 1);
  path = write_file (&c, "import.csv", csv);
  kill_at_points (&c, "import customers", (const char *[]) { "import", "customers", path, NULL });
  crash_teardown (&c);
}

static void
test_import_events (void)
{
  Crash c = { 0 };
  g_autoptr(GString) csv = g_string_new ("customer_id,name,timestamp,amount,page\n");
  g_autofree char *path = NULL;

  crash_setup (&c);
  prepare_base (&c, N_BASE);
  for (guint i = 0; i < N_EVENTS; i++)
    g_string_append_printf (csv, "c%06u,%s,%u,%u,/p/%u\n", (i * 7919) % N_BASE,
                            i % 4 ? "purchase" : "page", 1700000000 + i, i % 100, i % 37);
  path = write_file (&c, "events.csv", csv);
  kill_at_points (&c, "import events", (const char *[]) { "import", "events", path, NULL });
  crash_teardown (&c);
}

static void
test_set_criteria (void)
{
  Crash c = { 0 };
  g_autoptr(GString) json = g_string_new ("{\"or\": [{\"attribute\": {\"field\": \"id\", \"operator\": \"in\", \"value\": [");
  g_autofree char *path = NULL;
  g_autofree char *arg = NULL;

  crash_setup (&c);
  prepare_base (&c, N_BASE);
  /* A large tree (every customer named once), with a segment reference. */
  for (guint i = 0; i < N_BASE; i += 2)
    g_string_append_printf (json, "%s\"c%06u\"", i ? ", " : "", i);
  g_string_append (json, "]}}, {\"segment\": {\"id\": 2}}, "
                         "{\"attribute\": {\"field\": \"spend\", \"operator\": \"gt\", \"value\": 500}}]}");
  path = write_file (&c, "criteria.json", json);
  arg = g_strconcat ("@", path, NULL);
  kill_at_points (&c, "set-criteria", (const char *[]) { "segments", "set-criteria", "Plan B", arg, NULL });
  crash_teardown (&c);
}

static void
test_add_members (void)
{
  Crash c = { 0 };
  g_autoptr(GString) csv = g_string_new ("id\n");
  g_autofree char *path = NULL;

  crash_setup (&c);
  prepare_base (&c, N_BASE);
  for (guint i = 0; i < N_BASE; i += 2)
    g_string_append_printf (csv, "c%06u\n", i);
  path = write_file (&c, "members.csv", csv);
  kill_at_points (&c, "segments add", (const char *[]) { "segments", "add", "Hand", "--from-csv", path, NULL });
  crash_teardown (&c);
}

static void
test_freeze (void)
{
  Crash c = { 0 };

  crash_setup (&c);
  prepare_base (&c, N_BASE);
  kill_at_points (&c, "segments freeze", (const char *[]) { "segments", "freeze", "Plan B", "Frozen B", NULL });
  crash_teardown (&c);
}

/* ---- sync --------------------------------------------------------------- */

static FakeServer *
sync_server (guint n_people)
{
  FakeServer *server = fake_server_new (SITE_ID, TRACK_KEY, APP_KEY);

  for (guint i = 0; i < n_people; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%06u", i);
      fake_server_add_person (server, id, NULL);
    }
  return server;
}

static GStrv
sync_env (FakeServer *server)
{
  GStrv env = g_new0 (char *, 10);

  env[0] = g_strdup ("COHORT_SITE_ID=" SITE_ID);
  env[1] = g_strdup ("COHORT_TRACK_API_KEY=" TRACK_KEY);
  env[2] = g_strdup ("COHORT_APP_API_KEY=" APP_KEY);
  env[3] = g_strdup ("COHORT_REGION=us");
  env[4] = g_strdup_printf ("COHORT_TRACK_URL=%s", fake_server_get_url (server));
  env[5] = g_strdup_printf ("COHORT_APP_URL=%s", fake_server_get_url (server));
  env[6] = g_strdup ("COHORT_HTTP_TIMEOUT=5");
  env[7] = g_strdup ("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent");
  return env;
}

static const char *const sync_segments[] = { "Plan B", "Hand", "Evens", "Odds" };

/* Customer.io holds each local segment once, with exactly its members, and
 * nothing is left to send. */
static void
assert_synced (Crash      *c,
               FakeServer *server,
               const char *when)
{
  sqlite3 *db = proc_sql_open (c->work);

  for (guint i = 0; i < G_N_ELEMENTS (sync_segments); i++)
    {
      g_autoptr(GArray) ids = fake_server_find_segments (server, sync_segments[i]);
      g_autofree char *local = NULL;
      g_auto(GStrv) remote = NULL;
      g_autofree char *joined = NULL;

      if (ids->len != 1 || fake_server_get_n_creates (server, sync_segments[i]) != 1)
        g_error ("%s: “%s” is %u times in Customer.io, created %u times", when, sync_segments[i],
                 ids->len, fake_server_get_n_creates (server, sync_segments[i]));
      /* Data-driven segments are pushed as their evaluated members. */
      if (g_strcmp0 (sync_segments[i], "Plan B") == 0)
        continue;
      local = proc_sql_text (db, "SELECT c.id FROM segment_members m JOIN customers c ON c.ordinal = m.customer "
                                 "WHERE m.segment = (SELECT id FROM segments WHERE name = ?1) ORDER BY c.id",
                             sync_segments[i]);
      remote = fake_server_dup_members (server, g_array_index (ids, gint64, 0));
      joined = g_strjoinv ("\n", remote);
      if (*joined)
        {
          char *tmp = g_strconcat (joined, "\n", NULL);
          g_free (joined);
          joined = tmp;
        }
      if (g_strcmp0 (local, joined) != 0)
        g_error ("%s: the members of “%s” in Customer.io (%u) differ from the local ones",
                 when, sync_segments[i], g_strv_length (remote));
    }
  g_assert_cmpint (proc_sql_int (db, "SELECT count(*) FROM sync_outbox", NULL), ==, 0);
  sqlite3_close (db);
}

static void
test_sync (void)
{
  Crash c = { 0 };
  g_autoptr(GString) evens = g_string_new ("id\n");
  g_autoptr(GString) odds = g_string_new ("id\n");
  g_autofree char *evens_path = NULL;
  g_autofree char *odds_path = NULL;
  const char *const sync_args[] = { "sync", NULL };
  gint64 duration, t0, started = g_get_monotonic_time ();
  guint n_killed = 0;

  crash_setup (&c);
  prepare_base (&c, N_SYNC);
  for (guint i = 0; i < N_SYNC; i++)
    g_string_append_printf (i % 2 ? odds : evens, "c%06u\n", i);
  evens_path = write_file (&c, "evens.csv", evens);
  odds_path = write_file (&c, "odds.csv", odds);
  RUN_OK (c.template, "segments", "create", "Evens", "--manual");
  RUN_OK (c.template, "segments", "add", "Evens", "--from-csv", evens_path);
  RUN_OK (c.template, "segments", "create", "Odds", "--manual");
  RUN_OK (c.template, "segments", "add", "Odds", "--from-csv", odds_path);

  /* Measured on a server of its own. */
  {
    g_autoptr(FakeServer) server = sync_server (N_SYNC);
    g_auto(GStrv) env = sync_env (server);
    g_auto(CliResult) r = { 0 };

    reset_work (&c);
    t0 = g_get_monotonic_time ();
    cli_run_env (&r, c.work, (const char * const *) env, sync_args);
    duration = g_get_monotonic_time () - t0;
    g_assert_cmpint (r.status, ==, 0);
    assert_synced (&c, server, "a sync run to the end");
  }

  for (guint k = 0; k < N_POINTS; k++)
    {
      g_autoptr(FakeServer) server = sync_server (N_SYNC);
      g_auto(GStrv) env = sync_env (server);
      g_auto(CliResult) r = { 0 };
      g_autofree char *when = NULL;
      gint64 delay = duration * 15 / 10 * k / (N_POINTS - 1);
      int status = 0;
      GPid pid;
      gboolean killed;

      reset_work (&c);
      pid = proc_spawn_cohort (c.binary, c.work, (const char * const *) env, sync_args);
      killed = proc_kill_after (pid, delay, &status);
      if (!killed)
        g_assert_cmpint (status, ==, 0);
      n_killed += killed;
      proc_assert_integrity (c.work);

      /* The next sync finishes the job, creating nothing twice. */
      cli_run_env (&r, c.work, (const char * const *) env, sync_args);
      g_assert_cmpint (r.status, ==, 0);
      when = g_strdup_printf ("sync killed after %" G_GINT64_FORMAT " ms, then run again",
                              delay / 1000);
      assert_synced (&c, server, when);
      cli_result_clear (&r);
      cli_run_env (&r, c.work, (const char * const *) env, (const char *[]) { "sync", "--dry-run", NULL });
      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.out, ==, "pull the list of Customer.io segments and their counts\n");
      {
        g_autofree char *violation = fake_server_dup_violation (server);
        g_assert_null (violation);
      }
    }
  g_test_message ("sync: takes %" G_GINT64_FORMAT " ms; %u kills from 0 to %" G_GINT64_FORMAT
                  " ms (%u killed): each next sync converged; the test took %.1f s",
                  duration / 1000, N_POINTS, duration * 15 / 10 / 1000, n_killed,
                  (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
  crash_teardown (&c);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/crash/import-customers", test_import_customers);
  g_test_add_func ("/crash/import-events", test_import_events);
  g_test_add_func ("/crash/set-criteria", test_set_criteria);
  g_test_add_func ("/crash/add-members", test_add_members);
  g_test_add_func ("/crash/freeze", test_freeze);
  g_test_add_func ("/crash/sync", test_sync);
  return g_test_run ();
}
