/* cohort-cli.c: the command line, for work without a display
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "cohort-cli.h"
#include "cohort-cli-private.h"
#include "cohort-importer.h"
#include "cohort-csv-reader.h"

static const CohortCliCommand top_commands[] = {
  { "segments", cohort_cli_segments, N_("Create, list, change and count segments") },
  { "import", cohort_cli_import, N_("Import customers or events from CSV files") },
  { "customers", cohort_cli_customers, N_("Count, list and show customers") },
  { "sync", cohort_cli_sync, N_("Pull from and push to Customer.io") },
  { "remote", cohort_cli_remote, N_("Customer.io’s segments") },
  { NULL, NULL, NULL }
};

gboolean
cohort_cli_wants (int    argc,
                  char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (g_str_equal (arg, "--workspace"))
        {
          i++;
          continue;
        }
      if (g_str_has_prefix (arg, "--workspace="))
        continue;
      if (g_str_equal (arg, "--version") || g_str_equal (arg, "--help") ||
          g_str_equal (arg, "-h") || g_str_equal (arg, "--help-all"))
        return TRUE;
      if (arg[0] != '-')
        return TRUE;      /* a command, or a mistake the CLI explains */
    }
  return FALSE;
}

gboolean
cohort_cli_parse_delimiter (CohortCli  *cli,
                            const char *text,
                            char       *delimiter,
                            int        *exit_code)
{
  if (cohort_csv_delimiter_from_string (text, delimiter))
    return TRUE;
  *exit_code = cohort_cli_fail (cli, COHORT_EXIT_USAGE,
                                _("Unknown delimiter “%s”: expected , ; | or tab"), text);
  return FALSE;
}

gboolean
cohort_cli_parse_encoding (CohortCli  *cli,
                           const char *text,
                           int        *encoding,
                           int        *exit_code)
{
  CohortCsvEncoding e;

  if (cohort_csv_encoding_from_string (text, &e))
    {
      *encoding = (int) e;
      return TRUE;
    }
  *exit_code = cohort_cli_fail (cli, COHORT_EXIT_USAGE,
                                _("Unknown encoding “%s”: expected UTF-8, UTF-16LE, UTF-16BE "
                                  "or WINDOWS-1252"), text);
  return FALSE;
}

void
cohort_cli_import_progress (guint64  rows,
                            guint64  bytes,
                            guint64  total,
                            gpointer user_data)
{
  static gint64 last = 0;
  gint64 now = g_get_monotonic_time ();

  /* A few times a second is enough for a person. */
  if (now - last < G_USEC_PER_SEC / 8 && bytes < total)
    return;
  last = now;
  g_printerr ("\r");
  if (total > 0)
    g_printerr (_("Importing… %" PRIu64 " rows (%d%%)"), rows,
                (int) (bytes * 100 / MAX (total, 1)));
  else
    g_printerr (_("Importing… %" PRIu64 " rows"), rows);
}

void
cohort_cli_progress_done (void)
{
  g_printerr ("\r\033[K");
}

void
cohort_cli_rejections_to_json (JsonBuilder *b,
                               GArray      *rejected)
{
  json_builder_set_member_name (b, "rejected");
  json_builder_begin_array (b);
  for (guint i = 0; i < rejected->len; i++)
    {
      CohortImportRejection *r = &g_array_index (rejected, CohortImportRejection, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "line");
      json_builder_add_int_value (b, (gint64) r->line);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, r->reason);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

#define TEXT_REPORT_MAX 20

void
cohort_cli_print_rejections (GArray  *rejected,
                             guint64  n_rejected)
{
  for (guint i = 0; i < rejected->len && i < TEXT_REPORT_MAX; i++)
    {
      CohortImportRejection *r = &g_array_index (rejected, CohortImportRejection, i);

      g_print (_("  line %" PRIu64 ": %s\n"), r->line, r->reason);
    }
  if (n_rejected > TEXT_REPORT_MAX)
    g_print (_("  … and %" PRIu64 " more rejected rows (use --json for all)\n"),
             n_rejected - TEXT_REPORT_MAX);
}

gboolean
cohort_cli_stderr_is_tty (void)
{
  return isatty (STDERR_FILENO);
}

int
cohort_cli_fail (CohortCli  *cli,
                 int         code,
                 const char *format,
                 ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("cohort: %s\n", message);
  if (code == COHORT_EXIT_USAGE && cli != NULL && cli->command_path != NULL)
    g_printerr (_("Try “%s --help” for more information.\n"), cli->command_path);
  return code;
}

int
cohort_cli_fail_error (CohortCli    *cli,
                       const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return cohort_cli_fail (cli, COHORT_EXIT_FAILED, "%s", _("Cancelled; nothing was changed"));
  return cohort_cli_fail (cli, COHORT_EXIT_FAILED, "%s", error->message);
}

void
cohort_cli_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

CohortWorkspace *
cohort_cli_open_workspace (CohortCli *cli,
                           gboolean   create)
{
  g_autoptr(GError) error = NULL;
  CohortWorkspace *ws;

  ws = cohort_workspace_open (cli->workspace_path,
                              create ? COHORT_WORKSPACE_OPEN_CREATE : COHORT_WORKSPACE_OPEN_NONE,
                              &error);
  if (ws == NULL)
    cohort_cli_fail (cli, COHORT_EXIT_FAILED, "%s", error->message);
  return ws;
}

gboolean
cohort_cli_parse (CohortCli     *cli,
                  const char    *parameter_string,
                  const char    *summary,
                  GOptionEntry  *entries,
                  int           *argc,
                  char        ***argv,
                  int           *exit_code)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *workspace = NULL;
  gboolean help = FALSE;
  GOptionEntry common[] = {
    { "workspace", 0, 0, G_OPTION_ARG_FILENAME, &workspace,
      N_("The workspace file to use"), N_("PATH") },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &help, N_("Show this help"), NULL },
    G_OPTION_ENTRY_NULL
  };

  *exit_code = COHORT_EXIT_OK;
  context = g_option_context_new (parameter_string);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_help_enabled (context, FALSE);
  if (summary != NULL)
    g_option_context_set_summary (context, summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, common, GETTEXT_PACKAGE);

  /* g_option_context_parse() names the program after argv[0]. */
  g_set_prgname (cli->command_path);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *exit_code = cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", error->message);
      return FALSE;
    }
  if (help)
    {
      g_autofree char *text = g_option_context_get_help (context, TRUE, NULL);
      g_print ("%s", text);
      return FALSE;
    }
  if (workspace != NULL)
    {
      g_free (cli->workspace_path);
      cli->workspace_path = g_steal_pointer (&workspace);
    }
  return TRUE;
}

static void
print_commands (const char             *path,
                const CohortCliCommand *commands,
                FILE                   *out)
{
  fprintf (out, _("Usage:\n  %s COMMAND [OPTION…]\n\nCommands:\n"), path);
  for (guint i = 0; commands[i].name != NULL; i++)
    fprintf (out, "  %-14s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, _("\nRun “%s COMMAND --help” for a command’s options.\n"), path);
}

int
cohort_cli_dispatch (CohortCli              *cli,
                     const char             *group,
                     const CohortCliCommand *commands,
                     int                     argc,
                     char                  **argv)
{
  g_autofree char *path = g_strdup_printf ("cohort %s", group);
  const char *saved_path = cli->command_path;
  int i;

  /* Options before the command name (--workspace) belong to the command. */
  for (i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--workspace") && i + 1 < argc)
        {
          g_free (cli->workspace_path);
          cli->workspace_path = g_strdup (argv[++i]);
          continue;
        }
      if (g_str_has_prefix (argv[i], "--workspace="))
        {
          g_free (cli->workspace_path);
          cli->workspace_path = g_strdup (argv[i] + strlen ("--workspace="));
          continue;
        }
      break;
    }

  if (i >= argc || g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
    {
      print_commands (path, commands, i >= argc ? stderr : stdout);
      return i >= argc ? COHORT_EXIT_USAGE : COHORT_EXIT_OK;
    }

  for (guint c = 0; commands[c].name != NULL; c++)
    {
      if (g_str_equal (commands[c].name, argv[i]))
        {
          g_autofree char *sub_path = g_strdup_printf ("%s %s", path, commands[c].name);
          int code;

          cli->command_path = sub_path;
          code = commands[c].func (cli, argc - i, argv + i);
          cli->command_path = saved_path;
          return code;
        }
    }

  cli->command_path = path;
  cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unknown command “%s %s”"), path, argv[i]);
  cli->command_path = saved_path;
  return COHORT_EXIT_USAGE;
}

/* SIGINT and SIGTERM cancel the running command, which then rolls back. */
static gboolean
on_signal (gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
  return G_SOURCE_CONTINUE;
}

static gpointer
signal_thread (gpointer data)
{
  GMainContext *context = data;

  for (;;)
    g_main_context_iteration (context, TRUE);
  return NULL;
}

static void
watch_signals (GCancellable *cancellable)
{
  GMainContext *context = g_main_context_new ();
  int signums[] = { SIGINT, SIGTERM };

  for (guint i = 0; i < G_N_ELEMENTS (signums); i++)
    {
      GSource *source = g_unix_signal_source_new (signums[i]);

      g_source_set_callback (source, on_signal, g_object_ref (cancellable), g_object_unref);
      g_source_attach (source, context);
      g_source_unref (source);
    }
  /* Lives as long as the process. */
  g_thread_unref (g_thread_new ("cohort-signals", signal_thread, context));
}

int
cohort_cli_run (int    argc,
                char **argv)
{
  CohortCli cli = { 0 };
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  int code;

  cli.workspace_path = cohort_workspace_default_path ();
  cli.cancellable = g_cancellable_new ();
  cli.command_path = "cohort";

  g_ptr_array_add (args, argv[0]);
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (g_str_equal (arg, "--workspace"))
        {
          if (i + 1 >= argc)
            {
              code = cohort_cli_fail (&cli, COHORT_EXIT_USAGE, "%s",
                                      _("--workspace needs a path"));
              goto out;
            }
          g_free (cli.workspace_path);
          cli.workspace_path = g_strdup (argv[++i]);
        }
      else if (g_str_has_prefix (arg, "--workspace="))
        {
          g_free (cli.workspace_path);
          cli.workspace_path = g_strdup (arg + strlen ("--workspace="));
        }
      else if (args->len == 1 && g_str_equal (arg, "--version"))
        {
          g_print ("cohort %s\n", PACKAGE_VERSION);
          code = COHORT_EXIT_OK;
          goto out;
        }
      else if (args->len == 1 && (g_str_equal (arg, "--help") || g_str_equal (arg, "-h") ||
                                  g_str_equal (arg, "--help-all")))
        {
          print_commands ("cohort", top_commands, stdout);
          g_print ("\n%s\n", _("Without a command, cohort opens its window. Global options:\n"
                               "  --workspace PATH   the workspace file (default: $COHORT_WORKSPACE,\n"
                               "                     else ~/.local/share/cohort/workspace.cohort)\n"
                               "  --version          print the version"));
          code = COHORT_EXIT_OK;
          goto out;
        }
      else if (args->len == 1 && arg[0] == '-')
        {
          code = cohort_cli_fail (&cli, COHORT_EXIT_USAGE, _("Unknown option “%s”"), arg);
          goto out;
        }
      else
        g_ptr_array_add (args, argv[i]);
    }
  g_ptr_array_add (args, NULL);

  if (args->len < 3)
    {
      print_commands ("cohort", top_commands, stderr);
      code = COHORT_EXIT_USAGE;
      goto out;
    }
  watch_signals (cli.cancellable);
  code = COHORT_EXIT_USAGE;
  for (guint c = 0; top_commands[c].name != NULL; c++)
    {
      if (g_str_equal (top_commands[c].name, g_ptr_array_index (args, 1)))
        {
          g_autofree char *path = g_strdup_printf ("cohort %s", top_commands[c].name);

          cli.command_path = path;
          code = top_commands[c].func (&cli, (int) args->len - 2, (char **) args->pdata + 1);
          cli.command_path = "cohort";
          goto out;
        }
    }
  code = cohort_cli_fail (&cli, COHORT_EXIT_USAGE, _("Unknown command “%s”"),
                          (const char *) g_ptr_array_index (args, 1));

out:
  g_free (cli.workspace_path);
  g_clear_object (&cli.cancellable);
  return code;
}
