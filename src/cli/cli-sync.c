/* cli-sync.c: cohort sync …, cohort remote …
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-cli-private.h"
#include "cohort-credentials.h"
#include "cohort-segment.h"
#include "cohort-sync.h"

/* Credentials from the environment, else the keyring; a client for them. */
static CohortCioClient *
open_client (CohortCli *cli)
{
  g_autoptr(CohortCredentials) creds = NULL;
  g_autoptr(GError) error = NULL;
  CohortCioClient *client;
  const char *timeout;

  creds = cohort_credentials_load (cli->cancellable, &error);
  if (creds == NULL)
    {
      cohort_cli_fail_error (cli, error);
      return NULL;
    }
  client = cohort_cio_client_new (creds, &error);
  if (client == NULL)
    {
      cohort_cli_fail_error (cli, error);
      return NULL;
    }
  /* Seconds before a request times out (tests). */
  timeout = g_getenv ("COHORT_HTTP_TIMEOUT");
  if (timeout != NULL)
    {
      guint64 seconds;

      if (g_ascii_string_to_unsigned (timeout, 10, 1, 600, &seconds, NULL))
        cohort_cio_client_set_timeout (client, (guint) seconds);
    }
  return client;
}

static void
print_progress (guint       done,
                guint       total,
                const char *what,
                gpointer    user_data)
{
  if (what != NULL)
    g_printerr ("\r\033[K%s", what);
  else
    /* Translators: sync progress, "3/12 operations" */
    g_printerr ("\r\033[K%s", _("Sending…"));
  if (total > 0)
    g_printerr (" %u/%u", done, total);
}

static void
print_strings (GPtrArray  *strings,
               const char *prefix)
{
  for (guint i = 0; i < strings->len; i++)
    g_printerr ("%s%s\n", prefix, (const char *) g_ptr_array_index (strings, i));
}

static int
dry_run (CohortCli       *cli,
         CohortWorkspace *ws,
         CohortSyncFlags  flags,
         gboolean         json)
{
  g_autoptr(CohortSyncPlan) plan = NULL;
  g_autoptr(GError) error = NULL;

  if ((flags & COHORT_SYNC_PUSH) != 0)
    {
      plan = cohort_sync_plan_new (ws, flags, cli->cancellable, &error);
      if (plan == NULL)
        return cohort_cli_fail_error (cli, error);
    }

  if (json)
    {
      g_autoptr(JsonNode) root = NULL;
      JsonObject *obj;

      if (plan != NULL)
        root = cohort_sync_plan_to_json (plan);
      else
        {
          root = json_node_new (JSON_NODE_OBJECT);
          json_node_take_object (root, json_object_new ());
          json_object_set_array_member (json_node_get_object (root), "actions", json_array_new ());
          json_object_set_int_member (json_node_get_object (root), "requests", 0);
          json_object_set_array_member (json_node_get_object (root), "notes", json_array_new ());
        }
      obj = json_node_get_object (root);
      json_object_set_boolean_member (obj, "dry_run", TRUE);
      json_object_set_boolean_member (obj, "pull", (flags & COHORT_SYNC_PULL) != 0);
      cohort_cli_print_json (root);
      return COHORT_EXIT_OK;
    }

  if ((flags & COHORT_SYNC_PULL) != 0)
    g_print ("%s\n", _("pull the list of Customer.io segments and their counts"));
  if (plan != NULL)
    {
      for (guint i = 0; i < cohort_sync_plan_get_n_actions (plan); i++)
        {
          g_autofree char *line = cohort_sync_action_describe (cohort_sync_plan_get_action (plan, i));
          g_print ("%s\n", line);
        }
      if (cohort_sync_plan_get_n_actions (plan) == 0)
        g_printerr ("%s\n", _("Nothing to push: Customer.io is up to date."));
      print_strings (cohort_sync_plan_get_notes (plan), _("note: "));
    }
  return COHORT_EXIT_OK;
}

static int
cohort_cli_sync_run (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortCioClient) client = NULL;
  g_autoptr(CohortSyncReport) report = NULL;
  g_autoptr(GError) error = NULL;
  gboolean dry = FALSE, json = FALSE, pull_only = FALSE, push_only = FALSE, identify = FALSE;
  CohortSyncFlags flags;
  gboolean ok;
  gboolean progress;
  int code;
  GOptionEntry entries[] = {
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry, N_("Show what would be sent, send nothing"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "pull-only", 0, 0, G_OPTION_ARG_NONE, &pull_only, N_("Only fetch Customer.io’s segments"), NULL },
    { "push-only", 0, 0, G_OPTION_ARG_NONE, &push_only, N_("Only send local changes"), NULL },
    { "identify", 0, 0, G_OPTION_ARG_NONE, &identify,
      N_("Also send members Customer.io may not know as people (with their attributes)"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, NULL,
                         _("Pull segments from Customer.io and push local segments to it.\n\n"
                           "Keys come from the keyring or from COHORT_SITE_ID, COHORT_TRACK_API_KEY,\n"
                           "COHORT_APP_API_KEY, COHORT_REGION=us|eu, COHORT_TRACK_URL and COHORT_APP_URL."),
                         entries, &argc, &argv, &code))
    return code;
  if (argc != 1)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unexpected argument “%s”"), argv[1]);
  if (pull_only && push_only)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("--pull-only and --push-only exclude each other"));
  if (pull_only && identify)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("--identify pushes: it cannot go with --pull-only"));

  flags = pull_only ? COHORT_SYNC_PULL : push_only ? COHORT_SYNC_PUSH : COHORT_SYNC_DEFAULT;
  if (identify)
    flags |= COHORT_SYNC_IDENTIFY;

  if (!(ws = cohort_cli_open_workspace (cli, FALSE)))
    return COHORT_EXIT_FAILED;
  if (dry)
    return dry_run (cli, ws, flags, json);

  if (!(client = open_client (cli)))
    return COHORT_EXIT_FAILED;

  progress = !json && cohort_cli_stderr_is_tty ();
  ok = cohort_sync_run (ws, client, flags, progress ? print_progress : NULL, NULL,
                        &report, cli->cancellable, &error);
  if (progress)
    g_printerr ("\r\033[K");

  if (json)
    {
      g_autoptr(JsonNode) root = cohort_sync_report_to_json (report);
      cohort_cli_print_json (root);
    }
  else
    {
      for (guint i = 0; i < report->done->len; i++)
        g_print ("%s\n", (const char *) g_ptr_array_index (report->done, i));
      if ((flags & COHORT_SYNC_PULL) != 0 && report->failures->len == 0)
        g_print (g_dngettext (GETTEXT_PACKAGE, "%u segment in Customer.io\n",
                              "%u segments in Customer.io\n", report->n_remote_segments),
                 report->n_remote_segments);
      print_strings (report->notes, _("note: "));
    }

  if (!ok)
    {
      /* Every failure, then the exit code; what succeeded stays recorded. */
      for (guint i = 1; i < report->failures->len; i++)
        g_printerr ("cohort: %s\n", (const char *) g_ptr_array_index (report->failures, i));
      if (report->cancelled)
        g_printerr ("%s\n", _("Sync cancelled: what was confirmed is kept; run it again to finish."));
      for (guint i = 0; i < report->failures->len; i++)
        if (g_str_has_suffix (g_ptr_array_index (report->failures, i),
                              _("was deleted in Customer.io: publish it again or deactivate it")))
          {
            g_printerr ("%s\n", _("To publish a deleted segment again: cohort remote relink NAME|ID; "
                                   "to keep it only here: cohort segments deactivate NAME|ID"));
            break;
          }
      return cohort_cli_fail_error (cli, error);
    }
  if (!json && report->done->len == 0 && (flags & COHORT_SYNC_PUSH) != 0)
    g_printerr ("%s\n", _("Nothing to push: Customer.io is up to date."));
  return COHORT_EXIT_OK;
}

int
cohort_cli_sync (CohortCli *cli, int argc, char **argv)
{
  /* "sync" is a single command: argv[0] is "sync" itself. */
  return cohort_cli_sync_run (cli, argc, argv);
}

/* cohort remote … */

static JsonNode *
remote_segment_to_json (CohortCioSegment *segment)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, segment->id);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, segment->name);
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, segment->description);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, segment->type);
  json_builder_set_member_name (b, "state");
  if (segment->state != NULL)
    json_builder_add_string_value (b, segment->state);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "count");
  if (segment->count >= 0)
    json_builder_add_int_value (b, segment->count);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static int
remote_segments (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortCioClient) client = NULL;
  g_autoptr(GPtrArray) segments = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) pull_error = NULL;
  gboolean json = FALSE, offline = FALSE;
  int code;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "offline", 0, 0, G_OPTION_ARG_NONE, &offline, N_("Show the list fetched last, without asking Customer.io"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, NULL, _("List Customer.io’s segments with their type and count."),
                         entries, &argc, &argv, &code))
    return code;
  if (argc != 1)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unexpected argument “%s”"), argv[1]);
  if (!(ws = cohort_cli_open_workspace (cli, FALSE)))
    return COHORT_EXIT_FAILED;

  if (!offline)
    {
      if (!(client = open_client (cli)))
        return COHORT_EXIT_FAILED;
      cohort_sync_run (ws, client, COHORT_SYNC_PULL, NULL, NULL, NULL, cli->cancellable, &pull_error);
    }
  if (!(segments = cohort_sync_list_remote_segments (ws, &error)))
    return cohort_cli_fail_error (cli, error);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "segments");
      json_builder_begin_array (b);
      for (guint i = 0; i < segments->len; i++)
        json_builder_add_value (b, remote_segment_to_json (segments->pdata[i]));
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      cohort_cli_print_json (root);
    }
  else if (segments->len == 0)
    g_printerr ("%s\n", _("No segments in Customer.io (or none fetched yet)."));
  else
    {
      g_print ("%-8s %-8s %10s  %s\n", _("ID"), _("TYPE"), _("COUNT"), _("NAME"));
      for (guint i = 0; i < segments->len; i++)
        {
          CohortCioSegment *s = segments->pdata[i];
          g_autofree char *count = s->count >= 0 ? g_strdup_printf ("%" PRId64, s->count)
                                                 : g_strdup ("—");

          g_print ("%-8" PRId64 " %-8s %10s  %s\n", s->id, s->type, count, s->name);
        }
    }

  if (pull_error != NULL)
    {
      g_printerr ("%s\n", _("Showing the list fetched last:"));
      return cohort_cli_fail_error (cli, pull_error);
    }
  return COHORT_EXIT_OK;
}

static int
remote_members (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortCioClient) client = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = FALSE;
  guint64 remote_id;
  gint64 n;
  int code;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, _("ID"),
                         _("Fetch the members of a Customer.io manual segment into the workspace."),
                         entries, &argc, &argv, &code))
    return code;
  if (argc != 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Give the Customer.io segment id"));
  if (!g_ascii_string_to_unsigned (argv[1], 10, 1, G_MAXINT64, &remote_id, NULL))
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("“%s” is not a segment id"), argv[1]);
  if (!(ws = cohort_cli_open_workspace (cli, FALSE)))
    return COHORT_EXIT_FAILED;
  if (!(client = open_client (cli)))
    return COHORT_EXIT_FAILED;

  n = cohort_sync_pull_members (ws, client, (gint64) remote_id, 0, NULL, NULL, cli->cancellable, &error);
  if (n < 0)
    return cohort_cli_fail_error (cli, error);
  if (json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);

      json_node_take_object (root, json_object_new ());
      json_object_set_int_member (json_node_get_object (root), "id", (gint64) remote_id);
      json_object_set_int_member (json_node_get_object (root), "members", n);
      cohort_cli_print_json (root);
    }
  else
    g_print (g_dngettext (GETTEXT_PACKAGE, "%" PRId64 " member fetched\n",
                          "%" PRId64 " members fetched\n", (gulong) n), n);
  return COHORT_EXIT_OK;
}

static int
remote_relink (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) segment = NULL;
  g_autoptr(GError) error = NULL;
  int code;
  GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };

  if (!cohort_cli_parse (cli, _("SEGMENT"),
                         _("Publish a segment deleted in Customer.io again, as a new remote segment."),
                         entries, &argc, &argv, &code))
    return code;
  if (argc != 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Give one segment name or id"));
  if (!(ws = cohort_cli_open_workspace (cli, FALSE)))
    return COHORT_EXIT_FAILED;
  if (!(segment = cohort_segments_lookup (ws, argv[1], &error)))
    return cohort_cli_fail_error (cli, error);
  if (!cohort_sync_relink (ws, cohort_segment_get_id (segment), &error))
    return cohort_cli_fail_error (cli, error);
  g_print (_("“%s” will be published again at the next sync\n"), cohort_segment_get_name (segment));
  return COHORT_EXIT_OK;
}

static const CohortCliCommand remote_commands[] = {
  { "segments", remote_segments, N_("List Customer.io’s segments (type, count)") },
  { "members", remote_members, N_("Fetch a Customer.io manual segment’s members") },
  { "relink", remote_relink, N_("Publish a segment deleted in Customer.io again") },
  { NULL, NULL, NULL }
};

int
cohort_cli_remote (CohortCli *cli, int argc, char **argv)
{
  return cohort_cli_dispatch (cli, "remote", remote_commands, argc, argv);
}
