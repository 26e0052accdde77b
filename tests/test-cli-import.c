/* test-cli-import.c: cohort import customers / customers … through the real binary
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

typedef struct
{
  char *dir;
  char *ws_path;
  guint n_files;
} Fixture;

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("cohort-cli-import-XXXXXX", NULL);
  f->ws_path = g_build_filename (f->dir, "ws.cohort", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (f->dir, name, NULL);
      g_remove (child);
    }
  g_rmdir (f->dir);
  g_free (f->ws_path);
  g_free (f->dir);
}

static char *
write_csv (Fixture    *f,
           const char *content)
{
  g_autofree char *name = g_strdup_printf ("in-%u.csv", f->n_files++);
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, content, -1, NULL));
  return path;
}

/* Runs cohort --workspace WS ARGS…; the arguments end with NULL. */
static void
run (Fixture *f,
     Run     *r,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *binary = g_getenv ("COHORT_BINARY");
  g_auto(GStrv) envp = g_get_environ ();
  const char *arg;
  va_list args;

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *) binary);
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, f->ws_path);
  va_start (args, r);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  envp = g_environ_setenv (envp, "COHORT_NOW", "1800000000", TRUE);
  g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                &r->out, &r->err, &r->status, &error);
  g_assert_no_error (error);
  r->status = g_spawn_check_wait_status (r->status, NULL) ? 0 : WEXITSTATUS (r->status);
}

/* The same with @input on its standard input, through a pipe. */
static void
run_with_input (Fixture    *f,
                Run        *r,
                const char *input,
                ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) stdin_bytes = g_bytes_new_static (input, strlen (input));
  g_autoptr(GBytes) out = NULL, err = NULL;
  const char *binary = g_getenv ("COHORT_BINARY");
  const char *arg;
  va_list args;

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *) binary);
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, f->ws_path);
  va_start (args, input);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "COHORT_NOW", "1800000000", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  /* A command that stops reading early is judged by its exit status. */
  if (!g_subprocess_communicate (process, stdin_bytes, NULL, &out, &err, &error))
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
      g_clear_error (&error);
      g_subprocess_wait (process, NULL, &error);
      g_assert_no_error (error);
    }
  r->out = out ? g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out)) : g_strdup ("");
  r->err = err ? g_strndup (g_bytes_get_data (err, NULL), g_bytes_get_size (err)) : g_strdup ("");
  r->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                    : 128 + g_subprocess_get_term_sig (process);
  g_test_message ("stdout: %s\nstderr: %s", r->out, r->err);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static void
assert_members (JsonObject        *object,
                const char *const *names)
{
  g_autoptr(GList) members = json_object_get_members (object);
  guint n = 0;

  for (GList *l = members; l; l = l->next, n++)
    g_assert_true (g_strv_contains (names, l->data));
  g_assert_cmpuint (n, ==, g_strv_length ((char **) names));
}

static const char *sample =
  "id,email,plan,spent,vip,signed_up\n"
  "1,a@x.com,pro,12.5,yes,2024-02-24T15:28:16Z\n"
  "2,b@x.com,free,0,no,2024-02-25\n"
  "3,c@x.com\n"
  ",,nobody,1,yes,2024-01-01\n";

static void
test_import_json (Fixture       *f,
                  gconstpointer  data)
{
  static const char *const keys[] = { "rows", "created", "updated", "rejected", NULL };
  static const char *const rejection_keys[] = { "line", "reason", NULL };
  g_autofree char *path = write_csv (f, sample);
  g_auto(Run) r = { 0 };
  g_auto(Run) again = { 0 };
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) node2 = NULL;
  JsonObject *o;
  JsonArray *rejected;

  run (f, &r, "import", "customers", path, "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  node = parse (r.out);
  o = json_node_get_object (node);
  assert_members (o, keys);
  g_assert_cmpint (json_object_get_int_member (o, "rows"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (o, "created"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "updated"), ==, 0);
  rejected = json_object_get_array_member (o, "rejected");
  g_assert_cmpuint (json_array_get_length (rejected), ==, 2);
  assert_members (json_array_get_object_element (rejected, 0), rejection_keys);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (rejected, 0), "line"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (rejected, 1), "line"), ==, 5);
  g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (rejected, 1),
                                                           "reason"), "neither"));

  /* Again: all updates. */
  run (f, &again, "import", "customers", path, "--json", NULL);
  g_assert_cmpint (again.status, ==, 0);
  node2 = parse (again.out);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node2), "created"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node2), "updated"), ==, 2);
}

static void
test_import_text (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *path = write_csv (f, sample);
  g_auto(Run) r = { 0 };
  g_auto(Run) count = { 0 };

  run (f, &r, "import", "customers", path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "2 created"));
  g_assert_nonnull (strstr (r.out, "line 4"));
  run (f, &count, "customers", "count", NULL);
  g_assert_cmpint (count.status, ==, 0);
  g_assert_cmpstr (count.out, ==, "2\n");
}

static void
test_show (Fixture       *f,
           gconstpointer  data)
{
  static const char *const keys[] = { "id", "email", "attributes", NULL };
  g_autofree char *path = write_csv (f, sample);
  g_auto(Run) r = { 0 };
  g_auto(Run) show = { 0 };
  g_auto(Run) by_email = { 0 };
  g_auto(Run) missing = { 0 };
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o, *attrs, *a;

  run (f, &r, "import", "customers", path, NULL);
  run (f, &show, "customers", "show", "1", "--json", NULL);
  g_assert_cmpint (show.status, ==, 0);
  node = parse (show.out);
  o = json_node_get_object (node);
  /* The keys (an "events" summary may come with them). */
  for (guint i = 0; keys[i]; i++)
    g_assert_true (json_object_has_member (o, keys[i]));
  g_assert_cmpstr (json_object_get_string_member (o, "id"), ==, "1");
  g_assert_cmpstr (json_object_get_string_member (o, "email"), ==, "a@x.com");
  attrs = json_object_get_object_member (o, "attributes");

  a = json_object_get_object_member (attrs, "plan");
  g_assert_cmpstr (json_object_get_string_member (a, "type"), ==, "string");
  g_assert_cmpstr (json_object_get_string_member (a, "value"), ==, "pro");
  a = json_object_get_object_member (attrs, "spent");
  g_assert_cmpstr (json_object_get_string_member (a, "type"), ==, "number");
  g_assert_cmpfloat (json_object_get_double_member (a, "value"), ==, 12.5);
  a = json_object_get_object_member (attrs, "vip");
  g_assert_cmpstr (json_object_get_string_member (a, "type"), ==, "boolean");
  g_assert_true (json_object_get_boolean_member (a, "value"));
  a = json_object_get_object_member (attrs, "signed_up");
  g_assert_cmpstr (json_object_get_string_member (a, "type"), ==, "timestamp");
  g_assert_cmpint (json_object_get_int_member (a, "value"), ==, 1708788496);

  run (f, &by_email, "customers", "show", "B@X.COM", NULL);
  g_assert_cmpint (by_email.status, ==, 0);
  g_assert_nonnull (strstr (by_email.out, "free"));

  run (f, &missing, "customers", "show", "nobody", NULL);
  g_assert_cmpint (missing.status, ==, 1);
  g_assert_nonnull (strstr (missing.err, "nobody"));
}

static void
test_list (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *path = write_csv (f, sample);
  g_auto(Run) r = { 0 };
  g_auto(Run) list = { 0 };
  g_auto(Run) text = { 0 };
  g_autoptr(JsonNode) node = NULL;
  JsonArray *customers;

  run (f, &r, "import", "customers", path, NULL);
  run (f, &list, "customers", "list", "--limit", "1", "--json", NULL);
  g_assert_cmpint (list.status, ==, 0);
  node = parse (list.out);
  customers = json_object_get_array_member (json_node_get_object (node), "customers");
  g_assert_cmpuint (json_array_get_length (customers), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (customers, 0), "id"), ==, "1");

  run (f, &text, "customers", "list", NULL);
  g_assert_cmpint (text.status, ==, 0);
  g_assert_nonnull (strstr (text.out, "b@x.com"));
}

/* More customers than one page of the listing. */
static void
test_list_pages (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GString) csv = g_string_new ("id,n\n");
  g_autofree char *path = NULL;
  g_auto(Run) r = { 0 };
  g_auto(Run) all = { 0 };
  g_auto(Run) some = { 0 };
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) node2 = NULL;
  JsonArray *customers;

  for (guint i = 1; i <= 2500; i++)
    g_string_append_printf (csv, "k%u,%u\n", i, i);
  path = write_csv (f, csv->str);
  run (f, &r, "import", "customers", path, NULL);
  g_assert_cmpint (r.status, ==, 0);

  run (f, &all, "customers", "list", "--json", NULL);
  g_assert_cmpint (all.status, ==, 0);
  node = parse (all.out);
  customers = json_object_get_array_member (json_node_get_object (node), "customers");
  g_assert_cmpuint (json_array_get_length (customers), ==, 2500);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (customers, 2499), "id"),
                   ==, "k2500");

  run (f, &some, "customers", "list", "--offset", "10", "--limit", "1500", "--json", NULL);
  g_assert_cmpint (some.status, ==, 0);
  node2 = parse (some.out);
  customers = json_object_get_array_member (json_node_get_object (node2), "customers");
  g_assert_cmpuint (json_array_get_length (customers), ==, 1500);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (customers, 0), "id"),
                   ==, "k11");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (customers, 1499), "id"),
                   ==, "k1510");
}

/* `import customers /dev/stdin` from a pipe into a workspace with
 * attributes: every row, its values and types, no attribute named after a
 * data row (the file was once read twice, the second time mid-stream). */
static void
test_stdin (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *seed = write_csv (f, sample);
  g_autoptr(GString) input = g_string_new ("id,email,plan,spent,vip,signed_up\n");
  g_auto(Run) first = { 0 };
  g_auto(Run) r = { 0 };
  g_auto(Run) count = { 0 };
  g_auto(Run) attributes = { 0 };
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;
  const guint n = 5000;

  run (f, &first, "import", "customers", seed, NULL);
  g_assert_cmpint (first.status, ==, 0);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (input, "s%u,s%u@x.com,%s,%u.5,%s,2024-03-%02u\n",
                            i, i, i % 3 ? "free" : "pro", i, i % 2 ? "yes" : "no", 1 + i % 28);

  run_with_input (f, &r, input->str, "import", "customers", "/dev/stdin", "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  node = parse (r.out);
  o = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (o, "rows"), ==, n);
  g_assert_cmpint (json_object_get_int_member (o, "created"), ==, n);
  g_assert_cmpint (json_object_get_int_member (o, "updated"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "rejected")), ==, 0);

  run (f, &count, "customers", "count", NULL);
  g_assert_cmpint (count.status, ==, 0);
  g_assert_cmpint (g_ascii_strtoll (count.out, NULL, 10), ==, n + 2);

  for (guint i = 0; i < n; i += 713)
    {
      g_auto(Run) show = { 0 };
      g_autoptr(JsonNode) shown = NULL;
      g_autofree char *id = g_strdup_printf ("s%u", i);
      g_autofree char *email = g_strdup_printf ("s%u@x.com", i);
      JsonObject *attrs, *a;

      run (f, &show, "customers", "show", id, "--json", NULL);
      g_assert_cmpint (show.status, ==, 0);
      shown = parse (show.out);
      o = json_node_get_object (shown);
      g_assert_cmpstr (json_object_get_string_member (o, "email"), ==, email);
      attrs = json_object_get_object_member (o, "attributes");
      a = json_object_get_object_member (attrs, "plan");
      g_assert_cmpstr (json_object_get_string_member (a, "type"), ==, "string");
      g_assert_cmpstr (json_object_get_string_member (a, "value"), ==, i % 3 ? "free" : "pro");
      a = json_object_get_object_member (attrs, "spent");
      g_assert_cmpstr (json_object_get_string_member (a, "type"), ==, "number");
      g_assert_cmpfloat (json_object_get_double_member (a, "value"), ==, i + 0.5);
      a = json_object_get_object_member (attrs, "vip");
      g_assert_cmpstr (json_object_get_string_member (a, "type"), ==, "boolean");
      g_assert_cmpint (json_object_get_boolean_member (a, "value"), ==, i % 2 == 1);
      a = json_object_get_object_member (attrs, "signed_up");
      g_assert_cmpstr (json_object_get_string_member (a, "type"), ==, "timestamp");
      g_assert_cmpint (json_object_get_int_member (a, "value"), ==,
                       1709251200 + (gint64) (i % 28) * 86400);
      g_assert_cmpuint (json_object_get_size (attrs), ==, 4);
    }

  /* A preview reads a pipe too. */
  run_with_input (f, &attributes, "Name;Note\nAnn;x\n", "import", "customers", "/dev/stdin",
                  "--preview", "1", "--json", NULL);
  g_assert_cmpint (attributes.status, ==, 0);
  g_assert_nonnull (strstr (attributes.out, "Ann"));
}

static void
test_preview (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *path = write_csv (f, "Name;Note\nAnn;\"a;b\"\n'7;\"x\"\"y\"\nC;z\n");
  g_auto(Run) r = { 0 };
  g_autoptr(JsonNode) node = NULL;
  JsonArray *records;
  JsonObject *first, *second;

  run (f, &r, "import", "customers", path, "--preview", "2", "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  node = parse (r.out);
  records = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (records), ==, 2);
  first = json_array_get_object_element (records, 0);
  second = json_array_get_object_element (records, 1);
  g_assert_cmpstr (json_object_get_string_member (first, "Name"), ==, "Ann");
  g_assert_cmpstr (json_object_get_string_member (first, "Note"), ==, "a;b");
  g_assert_cmpstr (json_object_get_string_member (second, "Name"), ==, "'7");
  g_assert_cmpstr (json_object_get_string_member (second, "Note"), ==, "x\"y");
  /* Nothing written: not even the workspace file. */
  g_assert_false (g_file_test (f->ws_path, G_FILE_TEST_EXISTS));
}

static void
test_failures (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *good = write_csv (f, sample);
  g_autofree char *empty = write_csv (f, "");
  g_autofree char *dup = write_csv (f, "id,email,id\n1,a@x.com,2\n");
  g_autofree char *anon = write_csv (f, "name,age\nx,1\n");
  g_autofree char *missing = g_build_filename (f->dir, "nope.csv", NULL);
  g_auto(Run) r1 = { 0 };
  g_auto(Run) r2 = { 0 };
  g_auto(Run) r3 = { 0 };
  g_auto(Run) r4 = { 0 };
  g_auto(Run) r5 = { 0 };
  g_auto(Run) r6 = { 0 };
  g_auto(Run) r7 = { 0 };
  g_auto(Run) r8 = { 0 };
  g_auto(Run) count = { 0 };

  run (f, &r1, "import", "customers", missing, NULL);
  g_assert_cmpint (r1.status, ==, 1);
  g_assert_nonnull (strstr (r1.err, "nope.csv"));

  run (f, &r2, "import", "customers", empty, NULL);
  g_assert_cmpint (r2.status, ==, 1);
  g_assert_nonnull (strstr (r2.err, "header"));

  run (f, &r3, "import", "customers", dup, NULL);
  g_assert_cmpint (r3.status, ==, 1);
  g_assert_nonnull (strstr (r3.err, "“id”"));

  run (f, &r4, "import", "customers", anon, NULL);
  g_assert_cmpint (r4.status, ==, 1);

  run (f, &r5, "import", "customers", good, "--id-column", "nope", NULL);
  g_assert_cmpint (r5.status, ==, 1);
  g_assert_nonnull (strstr (r5.err, "nope"));

  run (f, &r6, "import", "customers", good, "--all-or-nothing", "--json", NULL);
  g_assert_cmpint (r6.status, ==, 1);
  g_assert_nonnull (strstr (r6.out, "\"rejected\""));
  run (f, &count, "customers", "count", NULL);
  g_assert_cmpstr (count.out, ==, "0\n");

  run (f, &r7, "import", "customers", good, "--type", "plan", NULL);
  g_assert_cmpint (r7.status, ==, 2);

  run (f, &r8, "import", "customers", good, "--delimiter", "::", NULL);
  g_assert_cmpint (r8.status, ==, 2);
}

static void
test_options (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *path = write_csv (f, "ref|mail|code|n\nR1|r@x.com|0042|5\n");
  g_auto(Run) r = { 0 };
  g_auto(Run) show = { 0 };
  g_autoptr(JsonNode) node = NULL;
  JsonObject *attrs;

  run (f, &r, "import", "customers", path, "--delimiter", "|", "--id-column", "ref",
       "--email-column", "mail", "--type", "code=number", "--type", "n=skip",
       "--encoding", "utf-8", NULL);
  g_assert_cmpint (r.status, ==, 0);
  run (f, &show, "customers", "show", "R1", "--json", NULL);
  g_assert_cmpint (show.status, ==, 0);
  node = parse (show.out);
  attrs = json_object_get_object_member (json_node_get_object (node), "attributes");
  g_assert_false (json_object_has_member (attrs, "n"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (attrs, "code"), "type"),
                   ==, "number");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (attrs, "code"), "value"),
                   ==, 42);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A command that stops reading its input fails its test, not the suite. */
  signal (SIGPIPE, SIG_IGN);

#define ADD(path, func) g_test_add ("/cli-import/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("json", test_import_json);
  ADD ("text", test_import_text);
  ADD ("show", test_show);
  ADD ("list", test_list);
  ADD ("list-pages", test_list_pages);
  ADD ("preview", test_preview);
  ADD ("stdin", test_stdin);
  ADD ("failures", test_failures);
  ADD ("options", test_options);
#undef ADD
  return g_test_run ();
}
