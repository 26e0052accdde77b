/* cohort-test-cli.h: run the real cohort binary from a test
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>
#include <sys/wait.h>
#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct
{
  int   status;    /* exit code */
  char *out;
  char *err;
} CliResult;

static inline void
cli_result_clear (CliResult *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliResult, cli_result_clear)

/* Runs `cohort --workspace WS ARGS...` (ws NULL: no --workspace) with
 * extra environment "NAME=VALUE" strings in @env (may be NULL). */
static inline void
cli_run_env (CliResult          *r,
             const char         *ws,
             const char * const *env,
             const char * const *args)
{
  const char *binary = g_getenv ("COHORT_BINARY");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_assert_nonnull (binary);
  envp = g_environ_unsetenv (envp, "COHORT_WORKSPACE");
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  for (guint i = 0; env && env[i]; i++)
    {
      g_auto(GStrv) kv = g_strsplit (env[i], "=", 2);
      envp = g_environ_setenv (envp, kv[0], kv[1] ? kv[1] : "", TRUE);
    }
  g_ptr_array_add (argv, (char *) binary);
  if (ws != NULL)
    {
      g_ptr_array_add (argv, (char *) "--workspace");
      g_ptr_array_add (argv, (char *) ws);
    }
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  memset (r, 0, sizeof *r);
  g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                &r->out, &r->err, &wait_status, &error);
  g_assert_no_error (error);
  r->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
  g_test_message ("cohort %s → %d\nstdout: %s\nstderr: %s",
                  args[0], r->status, r->out, r->err);
}

#define cli_run(r, ws, ...) \
  cli_run_env ((r), (ws), NULL, (const char *[]) { __VA_ARGS__, NULL })

static inline JsonNode *
cli_json (const CliResult *r)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (r->out, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}
