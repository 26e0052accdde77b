/* cli-customers.c: cohort customers count|list|show
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-cli-private.h"
#include "cohort-customers.h"
#include "cohort-events.h"

#define LIST_PAGE 1000

static int
customers_count (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = FALSE;
  gint64 n;
  int code;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, NULL, _("Count the workspace’s customers."), entries, &argc, &argv, &code))
    return code;
  if (argc != 1)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unexpected argument “%s”"), argv[1]);
  if (!(ws = cohort_cli_open_workspace (cli, FALSE)))
    return COHORT_EXIT_FAILED;
  if ((n = cohort_customers_count (ws, &error)) < 0)
    return cohort_cli_fail_error (cli, error);
  if (json)
    g_print ("{\"count\": %" PRId64 "}\n", n);
  else
    g_print ("%" PRId64 "\n", n);
  return COHORT_EXIT_OK;
}

static char *
node_to_compact (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static int
customers_list (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = FALSE;
  gint64 limit = -1, offset = 0, printed = 0, after = -1;
  int code;
  GOptionEntry entries[] = {
    { "limit", 0, 0, G_OPTION_ARG_INT64, &limit, N_("At most N customers (default: all)"), N_("N") },
    { "offset", 0, 0, G_OPTION_ARG_INT64, &offset, N_("Skip the first N customers"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, NULL, _("List customers in the order they were added."),
                         entries, &argc, &argv, &code))
    return code;
  if (argc != 1)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unexpected argument “%s”"), argv[1]);
  if (offset < 0)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("--offset cannot be negative"));
  if (!(ws = cohort_cli_open_workspace (cli, FALSE)))
    return COHORT_EXIT_FAILED;

  if (json)
    g_print ("{\n  \"customers\": [");
  else
    g_print ("%-24s  %s\n", _("ID"), _("EMAIL"));

  /* Pages, so that a million customers never sit in memory at once. */
  while (limit < 0 || printed < limit)
    {
      gint64 want = limit < 0 ? LIST_PAGE : MIN (LIST_PAGE, limit - printed);
      /* The first page by offset, the next ones after the last ordinal seen. */
      g_autoptr(GPtrArray) page = after < 0 ? cohort_customers_list (ws, offset, want, &error)
                                            : cohort_customers_list_after (ws, after, want, &error);

      if (page == NULL)
        {
          if (json)
            g_print ("\n  ]\n}\n");
          return cohort_cli_fail_error (cli, error);
        }
      for (guint i = 0; i < page->len; i++)
        {
          CohortCustomer *c = page->pdata[i];

          if (json)
            {
              g_autoptr(JsonNode) node = cohort_customer_to_json (c);
              g_autofree char *text = node_to_compact (node);

              g_print ("%s\n    %s", printed + i == 0 ? "" : ",", text);
            }
          else
            g_print ("%-24s  %s\n", c->id ? c->id : "—", c->email ? c->email : "—");
        }
      printed += page->len;
      if (page->len > 0)
        after = ((CohortCustomer *) page->pdata[page->len - 1])->ordinal;
      if ((gint64) page->len < want)
        break;
    }
  if (json)
    g_print ("%s]\n}\n", printed > 0 ? "\n  " : "");
  return COHORT_EXIT_OK;
}

static int
customers_show (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortCustomer) customer = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = FALSE;
  int code;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, _("ID|EMAIL"), _("Show a customer, all their attributes and a summary of their events."),
                         entries, &argc, &argv, &code))
    return code;
  if (argc < 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("Which customer? Give an id or an email"));
  if (argc > 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unexpected argument “%s”"), argv[2]);
  if (!(ws = cohort_cli_open_workspace (cli, FALSE)))
    return COHORT_EXIT_FAILED;
  if (!(customer = cohort_customers_lookup (ws, argv[1], &error)))
    return cohort_cli_fail_error (cli, error);

  if (!(events = cohort_events_summarize (ws, customer->ordinal, &error)))
    return cohort_cli_fail_error (cli, error);

  if (json)
    {
      g_autoptr(JsonNode) node = cohort_customer_to_json (customer);

      /* "events": {NAME: {"count": N, "last": UNIX}} */
      json_object_set_member (json_node_get_object (node), "events",
                              cohort_events_summary_to_json (events));
      cohort_cli_print_json (node);
      return COHORT_EXIT_OK;
    }

  g_print (_("id:     %s\n"), customer->id ? customer->id : "—");
  g_print (_("email:  %s\n"), customer->email ? customer->email : "—");
  if (customer->values->len == 0)
    g_print ("%s\n", _("No attributes."));
  else
    g_print ("%s\n", _("Attributes:"));
  for (guint i = 0; i < customer->values->len; i++)
    {
      CohortCustomerValue *v = &g_array_index (customer->values, CohortCustomerValue, i);

      if (v->attribute->type == COHORT_ATTR_TIMESTAMP)
        {
          gint64 t = 0;
          g_autoptr(GDateTime) dt = g_ascii_string_to_signed (v->value, 10, G_MININT64, G_MAXINT64, &t, NULL)
                                    ? g_date_time_new_from_unix_utc (t) : NULL;
          g_autofree char *iso = dt ? g_date_time_format_iso8601 (dt) : NULL;

          g_print ("  %s (%s): %s%s%s%s\n", v->attribute->name,
                   cohort_attr_type_to_string (v->attribute->type), v->value,
                   iso ? " (" : "", iso ? iso : "", iso ? ")" : "");
        }
      else
        g_print ("  %s (%s): %s\n", v->attribute->name,
                 cohort_attr_type_to_string (v->attribute->type), v->value);
    }
  if (events->len > 0)
    g_print ("%s\n", _("Events:"));
  for (guint i = 0; i < events->len; i++)
    {
      CohortEventSummary *e = events->pdata[i];
      g_autoptr(GDateTime) last = g_date_time_new_from_unix_utc (e->last);
      g_autofree char *iso = last ? g_date_time_format_iso8601 (last) : g_strdup ("?");

      g_print (g_dngettext (GETTEXT_PACKAGE, "  %s: %" PRId64 " time, last %s\n",
                            "  %s: %" PRId64 " times, last %s\n", e->count),
               e->name, e->count, iso);
    }
  return COHORT_EXIT_OK;
}

static const CohortCliCommand customers_commands[] = {
  { "count", customers_count, N_("Count the customers") },
  { "list", customers_list, N_("List customers") },
  { "show", customers_show, N_("Show a customer by id or email") },
  { NULL, NULL, NULL }
};

int
cohort_cli_customers (CohortCli  *cli,
                      int         argc,
                      char      **argv)
{
  return cohort_cli_dispatch (cli, "customers", customers_commands, argc, argv);
}
