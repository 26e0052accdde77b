/* cli-import-events.c: cohort import events …
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-cli-private.h"
#include "cohort-event-importer.h"


static JsonNode *
report_to_json (gpointer data)
{
  CohortEventImporter *importer = data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  GArray *rejected = cohort_event_importer_get_rejected (importer);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "rows");
  json_builder_add_int_value (b, cohort_event_importer_get_rows (importer));
  json_builder_set_member_name (b, "imported");
  json_builder_add_int_value (b, cohort_event_importer_get_imported (importer));
  json_builder_set_member_name (b, "duplicates");
  json_builder_add_int_value (b, cohort_event_importer_get_duplicates (importer));
  json_builder_set_member_name (b, "customers_created");
  json_builder_add_int_value (b, cohort_event_importer_get_customers_created (importer));
  cohort_cli_rejections_to_json (b, rejected);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
print_report_text (gpointer    data,
                   const char *display,
                   gboolean    ok)
{
  CohortEventImporter *importer = data;
  GArray *rejected = cohort_event_importer_get_rejected (importer);
  guint64 n_rejected = cohort_event_importer_get_n_rejected (importer);

  g_print (_("%s: %" PRIu64 " rows, %" PRIu64 " events imported, %"
             PRIu64 " already present, %" PRIu64 " customers created, %"
             PRIu64 " rejected\n"),
           display, cohort_event_importer_get_rows (importer),
           cohort_event_importer_get_imported (importer),
           cohort_event_importer_get_duplicates (importer),
           cohort_event_importer_get_customers_created (importer), n_rejected);
  cohort_cli_print_rejections (rejected, n_rejected);
  if (!ok)
    g_print ("%s\n", _("Nothing was imported."));
}

static void
set_progress (gpointer importer)
{
  cohort_event_importer_set_progress_func (importer, cohort_cli_import_progress, NULL, NULL);
}

static gboolean
run (gpointer          importer,
     CohortWorkspace  *ws,
     GCancellable     *cancellable,
     GError          **error)
{
  return cohort_event_importer_run (importer, ws, cancellable, error);
}

static const CohortCliImportKind events_kind = {
  set_progress, run, report_to_json, print_report_text,
};

int
cohort_cli_import_events (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortEventImporter) importer = NULL;
  g_autofree char *customer_column = NULL, *delimiter = NULL, *encoding = NULL;
  g_autofree char *display = NULL;
  gboolean create_missing = FALSE, reject_missing = FALSE, all_or_nothing = FALSE, json = FALSE;
  int code;
  GOptionEntry entries[] = {
    { "customer-column", 0, 0, G_OPTION_ARG_STRING, &customer_column,
      N_("The column naming the customer (an id or an email)"), N_("NAME") },
    { "create-missing", 0, 0, G_OPTION_ARG_NONE, &create_missing,
      N_("Create customers the workspace does not have (the default)"), NULL },
    { "reject-missing", 0, 0, G_OPTION_ARG_NONE, &reject_missing,
      N_("Reject the rows of customers the workspace does not have"), NULL },
    { "delimiter", 0, 0, G_OPTION_ARG_STRING, &delimiter,
      N_("The field separator: , ; | or tab (default: detected)"), N_("C") },
    { "encoding", 0, 0, G_OPTION_ARG_STRING, &encoding,
      N_("UTF-8, UTF-16LE, UTF-16BE or WINDOWS-1252 (default: detected)"), N_("NAME") },
    { "all-or-nothing", 0, 0, G_OPTION_ARG_NONE, &all_or_nothing,
      N_("Import nothing when any row is bad"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the report as JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, _("FILE"),
                         _("Import customer events from a CSV file with a customer column, "
                           "“name” and “timestamp”; other columns (or a JSON “data” column) "
                           "become the event’s attributes."),
                         entries, &argc, &argv, &code))
    return code;
  if (argc < 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("Which file? Give the CSV file to import"));
  if (argc > 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unexpected argument “%s”"), argv[2]);
  if (create_missing && reject_missing)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s",
                            _("Choose one of --create-missing and --reject-missing"));

  display = g_filename_display_name (argv[1]);
  importer = cohort_event_importer_new (argv[1]);
  if (delimiter != NULL)
    {
      char c;

      if (!cohort_cli_parse_delimiter (cli, delimiter, &c, &code))
        return code;
      cohort_event_importer_set_delimiter (importer, c);
    }
  if (encoding != NULL)
    {
      int e;

      if (!cohort_cli_parse_encoding (cli, encoding, &e, &code))
        return code;
      cohort_event_importer_set_encoding (importer, (CohortCsvEncoding) e);
    }
  cohort_event_importer_set_customer_column (importer, customer_column);
  cohort_event_importer_set_create_missing (importer, !reject_missing);
  cohort_event_importer_set_all_or_nothing (importer, all_or_nothing);

  return cohort_cli_import_run (cli, &events_kind, importer, display, json);
}
