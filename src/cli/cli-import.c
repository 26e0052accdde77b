/* cli-import.c: cohort import customers …
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-cli-private.h"
#include "cohort-importer.h"

#define TEXT_REPORT_MAX 50

static JsonNode *
preview_to_json (CohortImportPreview *preview)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint r = 0; r < preview->records->len; r++)
    {
      char **cells = g_ptr_array_index (preview->records, r);

      json_builder_begin_object (b);
      for (guint i = 0; i < preview->n_columns; i++)
        {
          json_builder_set_member_name (b, preview->header[i]);
          json_builder_add_string_value (b, cells[i]);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

static const char *
role_text (CohortImportPreview *preview,
           guint                i)
{
  switch (preview->roles[i])
    {
    case COHORT_IMPORT_ROLE_ID:
      return _("id");
    case COHORT_IMPORT_ROLE_EMAIL:
      return _("email");
    case COHORT_IMPORT_ROLE_SKIP:
      return _("skipped");
    case COHORT_IMPORT_ROLE_ATTRIBUTE:
    default:
      return cohort_attr_type_to_string (preview->types[i]);
    }
}

static void
print_preview_text (CohortImportPreview *preview)
{
  g_print (_("Encoding: %s; delimiter: %s\n"),
           cohort_csv_encoding_to_string (preview->encoding),
           cohort_csv_delimiter_describe (preview->delimiter));
  g_print ("%s\n", _("Columns:"));
  for (guint i = 0; i < preview->n_columns; i++)
    g_print ("  %s (%s)\n", preview->header[i], role_text (preview, i));
  for (guint r = 0; r < preview->records->len; r++)
    {
      char **cells = g_ptr_array_index (preview->records, r);
      g_autofree char *joined = g_strjoinv (" | ", cells);

      g_print (_("line %" PRIu64 ": %s\n"),
               g_array_index (preview->lines, guint64, r), joined);
    }
}

static void
print_rejections_to_stderr (const char *file,
                            GArray     *rejected)
{
  for (guint i = 0; i < rejected->len; i++)
    {
      CohortImportRejection *r = &g_array_index (rejected, CohortImportRejection, i);

      g_printerr (_("%s: line %" PRIu64 ": %s\n"), file, r->line, r->reason);
    }
}

static JsonNode *
report_to_json (gpointer data)
{
  CohortImporter *importer = data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  GArray *rejected = cohort_importer_get_rejected (importer);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "rows");
  json_builder_add_int_value (b, (gint64) cohort_importer_get_rows (importer));
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, (gint64) cohort_importer_get_created (importer));
  json_builder_set_member_name (b, "updated");
  json_builder_add_int_value (b, (gint64) cohort_importer_get_updated (importer));
  cohort_cli_rejections_to_json (b, rejected);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
print_report_text (gpointer    data,
                   const char *file,
                   gboolean    imported)
{
  CohortImporter *importer = data;
  GArray *rejected = cohort_importer_get_rejected (importer);
  guint64 n_rejected = cohort_importer_get_n_rejected (importer);

  if (imported)
    g_print (_("Imported %s: %" PRIu64 " rows, %" PRIu64 " created, "
               "%" PRIu64 " updated, %" PRIu64 " rejected\n"),
             file, cohort_importer_get_rows (importer), cohort_importer_get_created (importer),
             cohort_importer_get_updated (importer), n_rejected);
  cohort_cli_print_rejections (rejected, n_rejected);
}

static void
set_progress (gpointer importer)
{
  cohort_importer_set_progress_func (importer, cohort_cli_import_progress, NULL, NULL);
}

static gboolean
run (gpointer          importer,
     CohortWorkspace  *ws,
     GCancellable     *cancellable,
     GError          **error)
{
  return cohort_importer_run (importer, ws, cancellable, error);
}

static const CohortCliImportKind customers_kind = {
  set_progress, run, report_to_json, print_report_text,
};

int
cohort_cli_import_run (CohortCli                 *cli,
                       const CohortCliImportKind *kind,
                       gpointer                   importer,
                       const char                *display,
                       gboolean                   json)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (!(ws = cohort_cli_open_workspace (cli, TRUE)))
    return COHORT_EXIT_FAILED;
  if (cohort_cli_stderr_is_tty ())
    kind->set_progress (importer);

  ok = kind->run (importer, ws, cli->cancellable, &error);
  if (cohort_cli_stderr_is_tty ())
    cohort_cli_progress_done ();

  if (!ok && !g_error_matches (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_REJECTED))
    return cohort_cli_fail_error (cli, error);

  if (json)
    {
      g_autoptr(JsonNode) node = kind->report_json (importer);

      cohort_cli_print_json (node);
    }
  else
    kind->report_text (importer, display, ok);

  if (!ok)
    return cohort_cli_fail_error (cli, error);
  return COHORT_EXIT_OK;
}

static gboolean
apply_types (CohortCli       *cli,
             CohortImporter  *importer,
             char           **types,
             int             *code)
{
  for (guint i = 0; types != NULL && types[i] != NULL; i++)
    {
      const char *eq = strrchr (types[i], '=');
      g_autofree char *column = NULL;
      CohortAttrType type;
      CohortImportType import_type;

      if (eq == NULL || eq == types[i])
        {
          *code = cohort_cli_fail (cli, COHORT_EXIT_USAGE,
                                   _("--type expects COLUMN=TYPE, not “%s”"), types[i]);
          return FALSE;
        }
      column = g_strndup (types[i], (gsize) (eq - types[i]));
      if (g_ascii_strcasecmp (eq + 1, "skip") == 0)
        import_type = COHORT_IMPORT_TYPE_SKIP;
      else if (cohort_attr_type_from_string (eq + 1, &type))
        import_type = (CohortImportType) type;
      else
        {
          *code = cohort_cli_fail (cli, COHORT_EXIT_USAGE,
                                   _("Unknown type “%s” for “%s”: expected string, number, "
                                     "boolean, timestamp or skip"), eq + 1, column);
          return FALSE;
        }
      cohort_importer_set_column_type (importer, column, import_type);
    }
  return TRUE;
}

static int
import_customers (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortImporter) importer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id_column = NULL, *email_column = NULL, *delimiter = NULL, *encoding = NULL;
  g_auto(GStrv) types = NULL;
  gboolean all_or_nothing = FALSE, clear_empty = FALSE, json = FALSE;
  int preview = -1;
  int code;
  const char *file;
  g_autofree char *display = NULL;
  GOptionEntry entries[] = {
    { "id-column", 0, 0, G_OPTION_ARG_STRING, &id_column, N_("The column holding ids"), N_("NAME") },
    { "email-column", 0, 0, G_OPTION_ARG_STRING, &email_column, N_("The column holding emails"), N_("NAME") },
    { "delimiter", 0, 0, G_OPTION_ARG_STRING, &delimiter,
      N_("The delimiter: , ; | or tab (default: detected)"), N_("C") },
    { "encoding", 0, 0, G_OPTION_ARG_STRING, &encoding,
      N_("UTF-8, UTF-16LE, UTF-16BE or WINDOWS-1252 (default: detected)"), N_("NAME") },
    { "type", 0, 0, G_OPTION_ARG_STRING_ARRAY, &types,
      N_("A column’s type: string, number, boolean, timestamp, or skip (repeatable)"), N_("COLUMN=TYPE") },
    { "all-or-nothing", 0, 0, G_OPTION_ARG_NONE, &all_or_nothing,
      N_("Import nothing when a row is bad"), NULL },
    { "clear-empty", 0, 0, G_OPTION_ARG_NONE, &clear_empty,
      N_("An empty cell clears the attribute (default: leaves it)"), NULL },
    { "preview", 0, 0, G_OPTION_ARG_INT, &preview,
      N_("Show the first N records as read; write nothing"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, _("FILE"), _("Import or update customers from a CSV file."),
                         entries, &argc, &argv, &code))
    return code;
  if (argc < 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("Which file? Give the CSV file to import"));
  if (argc > 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unexpected argument “%s”"), argv[2]);
  file = argv[1];
  display = g_filename_display_name (file);

  importer = cohort_importer_new (file);
  if (delimiter != NULL)
    {
      char c;

      if (!cohort_cli_parse_delimiter (cli, delimiter, &c, &code))
        return code;
      cohort_importer_set_delimiter (importer, c);
    }
  if (encoding != NULL)
    {
      int e;

      if (!cohort_cli_parse_encoding (cli, encoding, &e, &code))
        return code;
      cohort_importer_set_encoding (importer, (CohortCsvEncoding) e);
    }
  cohort_importer_set_id_column (importer, id_column);
  cohort_importer_set_email_column (importer, email_column);
  if (!apply_types (cli, importer, types, &code))
    return code;
  cohort_importer_set_all_or_nothing (importer, all_or_nothing);
  cohort_importer_set_clear_empty (importer, clear_empty);

  if (preview >= 0)
    {
      g_autoptr(CohortImportPreview) p = NULL;

      p = cohort_importer_preview (importer, (guint) preview, cli->cancellable, &error);
      if (p == NULL)
        return cohort_cli_fail_error (cli, error);
      if (json)
        {
          g_autoptr(JsonNode) node = preview_to_json (p);

          cohort_cli_print_json (node);
        }
      else
        print_preview_text (p);
      print_rejections_to_stderr (display, p->rejected);
      return COHORT_EXIT_OK;
    }
  return cohort_cli_import_run (cli, &customers_kind, importer, display, json);
}

static const CohortCliCommand import_commands[] = {
  { "customers", import_customers, N_("Import or update customers from a CSV file") },
  { "events", cohort_cli_import_events, N_("Import customer events from a CSV file") },
  { NULL, NULL, NULL }
};

int
cohort_cli_import (CohortCli  *cli,
                   int         argc,
                   char      **argv)
{
  return cohort_cli_dispatch (cli, "import", import_commands, argc, argv);
}
