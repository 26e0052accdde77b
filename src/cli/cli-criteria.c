/* cli-criteria.c: segments set-criteria, count and members
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <gio/gunixoutputstream.h>

#include "cohort-cli-private.h"
#include "cohort-column-index.h"
#include "cohort-criteria.h"
#include "cohort-evaluator.h"
#include "cohort-export.h"
#include "cohort-segment.h"

char *
cohort_cli_read_criteria (const char  *arg,
                          GError     **error)
{
  char *contents = NULL;

  if (arg[0] != '@')
    return g_strdup (arg);
  if (strcmp (arg, "@-") == 0)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      char buf[4096];
      size_t n;

      while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
        g_string_append_len (text, buf, (gssize) n);
      return g_string_free (g_steal_pointer (&text), FALSE);
    }
  if (!g_file_get_contents (arg + 1, &contents, NULL, error))
    return NULL;
  return contents;
}

CohortSegment *
cohort_cli_create_with_criteria (CohortWorkspace  *ws,
                                 const char       *name,
                                 const char       *description,
                                 const char       *criteria_arg,
                                 GError          **error)
{
  g_autoptr(CohortSegment) segment = NULL;
  g_autofree char *json = cohort_cli_read_criteria (criteria_arg, error);

  if (json == NULL)
    return NULL;
  /* One transaction: a segment with bad criteria is never left behind. */
  if (!cohort_workspace_begin (ws, error))
    return NULL;
  segment = cohort_segments_create (ws, name, COHORT_SEGMENT_DATA_DRIVEN, description, error);
  if (segment == NULL ||
      !cohort_segments_set_criteria (ws, cohort_segment_get_id (segment), json, error) ||
      !cohort_workspace_commit (ws, error))
    {
      if (cohort_workspace_in_transaction (ws))
        cohort_workspace_rollback (ws);
      return NULL;
    }
  return cohort_segments_get (ws, cohort_segment_get_id (segment), error);
}

static int
open_one_segment (CohortCli         *cli,
                  int                argc,
                  char             **argv,
                  int                n_args,
                  CohortWorkspace  **ws,
                  CohortSegment    **segment)
{
  g_autoptr(GError) error = NULL;

  if (argc < 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("Name the segment (its name or id)"));
  if (argc < 1 + n_args)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("Missing argument"));
  if (argc > 1 + n_args)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unexpected argument “%s”"), argv[1 + n_args]);
  if (!(*ws = cohort_cli_open_workspace (cli, FALSE)))
    return COHORT_EXIT_FAILED;
  if (!(*segment = cohort_segments_lookup (*ws, argv[1], &error)))
    return cohort_cli_fail_error (cli, error);
  return COHORT_EXIT_OK;
}

int
cohort_cli_segments_set_criteria (CohortCli  *cli,
                                  int         argc,
                                  char      **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) segment = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  int code;

  if (!cohort_cli_parse (cli, _("NAME|ID JSON|@FILE"),
                         _("Replace the criteria of a data-driven segment (JSON, or @FILE to read it from a file)."),
                         NULL, &argc, &argv, &code))
    return code;
  if ((code = open_one_segment (cli, argc, argv, 2, &ws, &segment)) != COHORT_EXIT_OK)
    return code;
  json = cohort_cli_read_criteria (argv[2], &error);
  if (json == NULL)
    return cohort_cli_fail_error (cli, error);
  if (!cohort_segments_set_criteria (ws, cohort_segment_get_id (segment), json, &error))
    return cohort_cli_fail_error (cli, error);
  return COHORT_EXIT_OK;
}

int
cohort_cli_segments_count (CohortCli  *cli,
                           int         argc,
                           char      **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) segment = NULL;
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  if (!cohort_cli_parse (cli, _("NAME|ID"), _("Print how many customers are in a segment now."),
                         NULL, &argc, &argv, &code))
    return code;
  if ((code = open_one_segment (cli, argc, argv, 1, &ws, &segment)) != COHORT_EXIT_OK)
    return code;
  ev = cohort_evaluator_evaluate_segment (ws, cohort_segment_get_id (segment), cli->cancellable, &error);
  if (ev == NULL)
    return cohort_cli_fail_error (cli, error);
  g_print ("%" PRIu64 "\n", cohort_evaluation_get_count (ev));
  return COHORT_EXIT_OK;
}

int
cohort_cli_segments_members (CohortCli  *cli,
                             int         argc,
                             char      **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) segment = NULL;
  g_autoptr(CohortEvaluation) ev = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *attributes = NULL;
  g_autofree char *output = NULL;
  g_auto(GStrv) fields = NULL;
  gint64 limit = 0, offset = 0;
  gboolean csv = FALSE, json = FALSE;
  FILE *fp = stdout;
  int code;
  GOptionEntry entries[] = {
    { "limit", 0, 0, G_OPTION_ARG_INT64, &limit, N_("At most N members"), N_("N") },
    { "offset", 0, 0, G_OPTION_ARG_INT64, &offset, N_("Skip the first N members"), N_("N") },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, N_("Print CSV (the default)"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "attributes", 0, 0, G_OPTION_ARG_STRING, &attributes, N_("Also these attributes (comma-separated)"), N_("A,B,...") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write to FILE instead of the terminal"), N_("FILE") },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, _("NAME|ID"), _("List the customers in a segment now (id, email)."),
                         entries, &argc, &argv, &code))
    return code;
  if (csv && json)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("Choose one of --csv and --json"));
  if (limit < 0 || offset < 0)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("--limit and --offset take a number, 0 or more"));
  if ((code = open_one_segment (cli, argc, argv, 1, &ws, &segment)) != COHORT_EXIT_OK)
    return code;
  ev = cohort_evaluator_evaluate_segment (ws, cohort_segment_get_id (segment), cli->cancellable, &error);
  if (ev == NULL)
    return cohort_cli_fail_error (cli, error);

  if (attributes != NULL)
    {
      fields = g_strsplit (attributes, ",", -1);
      for (guint i = 0; fields[i]; i++)
        g_strstrip (fields[i]);
    }
  /* A damaged index file fails the command (and is rebuilt next time)
   * rather than print empty cells. */
  if (!cohort_column_index_check_fields (cohort_evaluation_get_index (ev), (const char * const *) fields, &error))
    return cohort_cli_fail_error (cli, error);
  if (output != NULL)
    {
      fp = fopen (output, "wb");
      if (fp == NULL)
        return cohort_cli_fail (cli, COHORT_EXIT_FAILED, _("Could not write %s: %s"), output, g_strerror (errno));
    }

  if (json)
    {
      g_autofree char *text = cohort_export_members_json (ev, (const char * const *) fields,
                                                          (guint64) offset, (guint64) limit);

      fprintf (fp, "%s\n", text);
    }
  else
    {
      g_autoptr(GOutputStream) stream = g_unix_output_stream_new (fileno (fp), FALSE);

      fflush (fp);
      if (!cohort_export_members (ev, (const char * const *) fields, (guint64) offset, (guint64) limit,
                                  stream, NULL, NULL, cli->cancellable, &error))
        {
          if (fp != stdout)
            fclose (fp);
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
              error->domain == COHORT_INDEX_ERROR)
            return cohort_cli_fail_error (cli, error);
          return cohort_cli_fail (cli, COHORT_EXIT_FAILED, _("Could not write %s: %s"),
                                  output ? output : "stdout", error->message);
        }
    }
  if (fflush (fp) != 0 || (fp != stdout && fclose (fp) != 0))
    return cohort_cli_fail (cli, COHORT_EXIT_FAILED, _("Could not write %s: %s"),
                            output ? output : "stdout", g_strerror (errno));
  return COHORT_EXIT_OK;
}
