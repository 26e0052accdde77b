/* cli-segments.c: cohort segments …
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-cli-private.h"
#include "cohort-evaluator.h"
#include "cohort-members.h"
#include "cohort-segment.h"

JsonNode *
cohort_cli_segment_to_json (CohortSegment *segment,
                            gboolean       with_criteria)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, cohort_segment_get_id (segment));
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, cohort_segment_get_name (segment));
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, cohort_segment_kind_to_string (cohort_segment_get_kind (segment)));
  json_builder_set_member_name (b, "active");
  json_builder_add_boolean_value (b, cohort_segment_get_active (segment));
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, cohort_segment_get_description (segment));
  json_builder_set_member_name (b, "created_at");
  json_builder_add_int_value (b, cohort_segment_get_created_at (segment));
  json_builder_set_member_name (b, "updated_at");
  json_builder_add_int_value (b, cohort_segment_get_updated_at (segment));
  if (with_criteria)
    {
      const char *criteria = cohort_segment_get_criteria (segment);
      g_autoptr(JsonNode) node = criteria ? cohort_criteria_json_from_string (criteria, NULL) : NULL;

      json_builder_set_member_name (b, "criteria");
      if (node != NULL)
        json_builder_add_value (b, g_steal_pointer (&node));
      else
        json_builder_add_null_value (b);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static char *
pad (const char *text,
     glong       width)
{
  glong len = g_utf8_strlen (text, -1);
  GString *s = g_string_new (text);

  while (len++ < width)
    g_string_append_c (s, ' ');
  return g_string_free (s, FALSE);
}

static char *
count_text (CohortSegment *segment)
{
  gint64 count = cohort_segment_get_count (segment);

  return count < 0 ? g_strdup ("—") : g_strdup_printf ("%" PRId64, count);
}

static int
segments_list (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GPtrArray) segments = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = FALSE;
  int code;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, NULL, _("List the workspace’s segments."), entries, &argc, &argv, &code))
    return code;
  if (argc != 1)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unexpected argument “%s”"), argv[1]);
  if (!(ws = cohort_cli_open_workspace (cli, FALSE)))
    return COHORT_EXIT_FAILED;
  if (!(segments = cohort_segments_list (ws, &error)))
    return cohort_cli_fail_error (cli, error);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "segments");
      json_builder_begin_array (b);
      for (guint i = 0; i < segments->len; i++)
        json_builder_add_value (b, cohort_cli_segment_to_json (segments->pdata[i], FALSE));
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      cohort_cli_print_json (root);
      return COHORT_EXIT_OK;
    }

  if (segments->len == 0)
    {
      g_printerr ("%s\n", _("No segments yet. Create one with “cohort segments create NAME --manual”."));
      return COHORT_EXIT_OK;
    }
  /* Data-driven counts are evaluated now (the column index makes it cheap). */
  for (guint i = 0; i < segments->len; i++)
    {
      CohortSegment *s = segments->pdata[i];
      g_autoptr(CohortEvaluation) ev = NULL;

      if (cohort_segment_get_kind (s) != COHORT_SEGMENT_DATA_DRIVEN ||
          cohort_segment_get_criteria (s) == NULL)
        continue;
      ev = cohort_evaluator_evaluate_segment (ws, cohort_segment_get_id (s), cli->cancellable, NULL);
      if (ev != NULL)
        cohort_segment_set_count (s, (gint64) cohort_evaluation_get_count (ev));
    }
  {
    glong name_width = g_utf8_strlen (_("NAME"), -1);
    g_autofree char *h_name = NULL;

    for (guint i = 0; i < segments->len; i++)
      name_width = MAX (name_width, g_utf8_strlen (cohort_segment_get_name (segments->pdata[i]), -1));
    h_name = pad (_("NAME"), name_width);
    g_print ("%6s  %s  %-11s  %-8s  %s\n", _("ID"), h_name, _("KIND"), _("STATE"), _("MEMBERS"));
    for (guint i = 0; i < segments->len; i++)
      {
        CohortSegment *s = segments->pdata[i];
        g_autofree char *name = pad (cohort_segment_get_name (s), name_width);
        g_autofree char *count = count_text (s);

        g_print ("%6" PRId64 "  %s  %-11s  %-8s  %s\n", cohort_segment_get_id (s), name,
                 cohort_segment_kind_to_string (cohort_segment_get_kind (s)),
                 cohort_segment_get_active (s) ? _("active") : _("inactive"), count);
      }
  }
  return COHORT_EXIT_OK;
}

static int
segments_create (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) segment = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  g_autofree char *criteria = NULL;
  gboolean manual = FALSE, data_driven = FALSE;
  int code;
  GOptionEntry entries[] = {
    { "manual", 0, 0, G_OPTION_ARG_NONE, &manual, N_("A list of people you keep by hand"), NULL },
    { "data-driven", 0, 0, G_OPTION_ARG_NONE, &data_driven,
      N_("People join and leave automatically when they match your rules"), NULL },
    { "description", 0, 0, G_OPTION_ARG_STRING, &description, N_("An optional description"), N_("TEXT") },
    { "criteria", 0, 0, G_OPTION_ARG_STRING, &criteria, N_("Criteria of a data-driven segment (JSON or @FILE)"), N_("JSON") },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, _("NAME"), _("Create a segment and print its id."), entries,
                         &argc, &argv, &code))
    return code;
  if (argc != 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s",
                            argc < 2 ? _("A segment needs a name") : _("Too many arguments"));
  if (criteria != NULL && manual)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s",
                            _("A manual segment has no criteria: leave out --manual"));
  if (criteria != NULL)
    data_driven = TRUE;     /* --criteria makes a data-driven segment */
  if (manual == data_driven)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s",
                            _("Choose the kind of segment: --manual or --data-driven"));
  if (!(ws = cohort_cli_open_workspace (cli, TRUE)))
    return COHORT_EXIT_FAILED;

  if (criteria != NULL)
    segment = cohort_cli_create_with_criteria (ws, argv[1], description, criteria, &error);
  else
    segment = cohort_segments_create (ws, argv[1],
                                      manual ? COHORT_SEGMENT_MANUAL : COHORT_SEGMENT_DATA_DRIVEN,
                                      description, &error);
  if (segment == NULL)
    return cohort_cli_fail_error (cli, error);
  g_print ("%" PRId64 "\n", cohort_segment_get_id (segment));
  return COHORT_EXIT_OK;
}

/* Parses "NAME|ID" commands: opens the workspace and finds the segment. */
static int
open_segment (CohortCli         *cli,
              int                argc,
              char             **argv,
              int                n_args,
              CohortWorkspace  **out_ws,
              CohortSegment    **out_segment)
{
  g_autoptr(GError) error = NULL;

  if (argc < 1 + n_args)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("Name the segment (its name or id)"));
  if (argc > 1 + n_args)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, _("Unexpected argument “%s”"), argv[1 + n_args]);
  if (!(*out_ws = cohort_cli_open_workspace (cli, FALSE)))
    return COHORT_EXIT_FAILED;
  if (!(*out_segment = cohort_segments_lookup (*out_ws, argv[1], &error)))
    return cohort_cli_fail_error (cli, error);
  return COHORT_EXIT_OK;
}

static int
segments_show (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) s = NULL;
  gboolean json = FALSE;
  int code;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, _("NAME|ID"), _("Show a segment."), entries, &argc, &argv, &code))
    return code;
  if ((code = open_segment (cli, argc, argv, 1, &ws, &s)) != COHORT_EXIT_OK)
    return code;

  if (json)
    {
      g_autoptr(JsonNode) node = cohort_cli_segment_to_json (s, TRUE);
      cohort_cli_print_json (node);
    }
  else
    {
      g_autoptr(GDateTime) created = g_date_time_new_from_unix_local (cohort_segment_get_created_at (s));
      g_autoptr(GDateTime) updated = g_date_time_new_from_unix_local (cohort_segment_get_updated_at (s));
      g_autofree char *created_text = created ? g_date_time_format (created, "%F %T") : g_strdup ("?");
      g_autofree char *updated_text = updated ? g_date_time_format (updated, "%F %T") : g_strdup ("?");
      g_autofree char *count = count_text (s);

      g_print ("%s:\t%" PRId64 "\n", _("Id"), cohort_segment_get_id (s));
      g_print ("%s:\t%s\n", _("Name"), cohort_segment_get_name (s));
      g_print ("%s:\t%s\n", _("Kind"), cohort_segment_get_kind (s) == COHORT_SEGMENT_MANUAL
                                         ? _("Manual") : _("Data-driven"));
      g_print ("%s:\t%s\n", _("State"), cohort_segment_get_active (s) ? _("active") : _("inactive"));
      if (cohort_segment_get_description (s)[0] != '\0')
        g_print ("%s:\t%s\n", _("Description"), cohort_segment_get_description (s));
      g_print ("%s:\t%s\n", _("Created"), created_text);
      g_print ("%s:\t%s\n", _("Updated"), updated_text);
      if (cohort_segment_get_kind (s) == COHORT_SEGMENT_MANUAL)
        g_print ("%s:\t%s\n", _("Members"), count);
      if (cohort_segment_get_criteria (s) != NULL)
        {
          g_autoptr(CohortCriteria) criteria = cohort_criteria_parse (cohort_segment_get_criteria (s), NULL);
          g_autofree char *words = criteria ? cohort_criteria_describe_in (criteria, ws) : NULL;

          /* In words too, to rebuild the segment in Customer.io's own builder. */
          if (words != NULL)
            g_print ("%s:\t%s\n", _("Rules"), words);
          g_print ("%s:\t%s\n", _("Criteria"), cohort_segment_get_criteria (s));
        }
    }
  return COHORT_EXIT_OK;
}

static int
segments_rename (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(CohortSegment) updated = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  if (!cohort_cli_parse (cli, _("NAME|ID NEW_NAME"), _("Rename a segment."), NULL, &argc, &argv, &code))
    return code;
  if (argc == 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("Give the new name"));
  if ((code = open_segment (cli, argc, argv, 2, &ws, &s)) != COHORT_EXIT_OK)
    return code;
  if (!(updated = cohort_segments_update (ws, cohort_segment_get_id (s), argv[2], NULL, &error)))
    return cohort_cli_fail_error (cli, error);
  return COHORT_EXIT_OK;
}

static int
segments_describe (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(CohortSegment) updated = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  if (!cohort_cli_parse (cli, _("NAME|ID DESCRIPTION"), _("Change a segment’s description."),
                         NULL, &argc, &argv, &code))
    return code;
  if (argc == 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("Give the description (\"\" clears it)"));
  if ((code = open_segment (cli, argc, argv, 2, &ws, &s)) != COHORT_EXIT_OK)
    return code;
  if (!(updated = cohort_segments_update (ws, cohort_segment_get_id (s), NULL, argv[2], &error)))
    return cohort_cli_fail_error (cli, error);
  return COHORT_EXIT_OK;
}

static int
set_active (CohortCli *cli, int argc, char **argv, gboolean active)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  if (!cohort_cli_parse (cli, _("NAME|ID"),
                         active ? _("Activate a segment.")
                                : _("Deactivate a segment: it is kept, and left out of sync."),
                         NULL, &argc, &argv, &code))
    return code;
  if ((code = open_segment (cli, argc, argv, 1, &ws, &s)) != COHORT_EXIT_OK)
    return code;
  if (!cohort_segments_set_active (ws, cohort_segment_get_id (s), active, &error))
    return cohort_cli_fail_error (cli, error);
  return COHORT_EXIT_OK;
}

static int
segments_activate (CohortCli *cli, int argc, char **argv)
{
  return set_active (cli, argc, argv, TRUE);
}

static int
segments_deactivate (CohortCli *cli, int argc, char **argv)
{
  return set_active (cli, argc, argv, FALSE);
}

static int
segments_delete (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  if (!cohort_cli_parse (cli, _("NAME|ID"), _("Delete a segment."), NULL, &argc, &argv, &code))
    return code;
  if ((code = open_segment (cli, argc, argv, 1, &ws, &s)) != COHORT_EXIT_OK)
    return code;
  if (!cohort_segments_delete (ws, cohort_segment_get_id (s), NULL, &error))
    return cohort_cli_fail_error (cli, error);
  return COHORT_EXIT_OK;
}

static int
segments_duplicate (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(CohortSegment) copy = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  if (!cohort_cli_parse (cli, _("NAME|ID"), _("Copy a segment and print the copy’s id."),
                         NULL, &argc, &argv, &code))
    return code;
  if ((code = open_segment (cli, argc, argv, 1, &ws, &s)) != COHORT_EXIT_OK)
    return code;
  if (!(copy = cohort_segments_duplicate (ws, cohort_segment_get_id (s), &error)))
    return cohort_cli_fail_error (cli, error);
  g_print ("%" PRId64 "\n", cohort_segment_get_id (copy));
  return COHORT_EXIT_OK;
}

static int
change_members (CohortCli *cli, int argc, char **argv, gboolean add)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(GPtrArray) identifiers = g_ptr_array_new_with_free_func (g_free);
  g_auto(CohortMembersResult) result = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *from_csv = NULL;
  gboolean json = FALSE;
  gboolean ok;
  int code;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "from-csv", 0, add ? 0 : G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &from_csv,
      N_("Add the customers of a CSV file with an id or email column"), N_("FILE") },
    G_OPTION_ENTRY_NULL
  };

  if (!cohort_cli_parse (cli, add ? _("NAME|ID (ID_OR_EMAIL… | --from-csv FILE)") : _("NAME|ID ID_OR_EMAIL…"),
                         add ? _("Add customers (by id or email) to a manual segment.")
                             : _("Remove customers (by id or email) from a manual segment."),
                         entries, &argc, &argv, &code))
    return code;
  if (from_csv != NULL && !add)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("--from-csv only adds customers"));
  if (from_csv != NULL && argc > 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s",
                            _("Give either customer ids and emails or --from-csv, not both"));
  if (argc < 2 || (argc < 3 && from_csv == NULL))
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s",
                            argc < 2 ? _("Name the segment (its name or id)")
                                     : _("Give at least one customer id or email"));
  for (int i = 2; i < argc; i++)
    {
      g_autoptr(GPtrArray) parsed = cohort_members_parse_identifiers (argv[i]);

      for (guint j = 0; j < parsed->len; j++)
        g_ptr_array_add (identifiers, g_strdup (parsed->pdata[j]));
    }
  if ((code = open_segment (cli, 2, argv, 1, &ws, &s)) != COHORT_EXIT_OK)
    return code;

  if (from_csv != NULL)
    ok = cohort_members_add_from_csv (ws, cohort_segment_get_id (s), from_csv, &result,
                                      cli->cancellable, &error);
  else if (add)
    ok = cohort_members_add (ws, cohort_segment_get_id (s), identifiers, &result, &error);
  else
    ok = cohort_members_remove (ws, cohort_segment_get_id (s), identifiers, &result, &error);
  if (!ok)
    return cohort_cli_fail_error (cli, error);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, add ? "added" : "removed");
      json_builder_add_int_value (b, result.changed);
      json_builder_set_member_name (b, add ? "already_present" : "not_members");
      json_builder_add_int_value (b, result.unchanged);
      json_builder_set_member_name (b, "unknown");
      json_builder_begin_array (b);
      for (guint i = 0; i < result.unknown->len; i++)
        json_builder_add_string_value (b, result.unknown->pdata[i]);
      json_builder_end_array (b);
      if (result.bad_rows != NULL)
        {
          json_builder_set_member_name (b, "bad_rows");
          json_builder_begin_array (b);
          for (guint i = 0; i < result.bad_rows->len; i++)
            json_builder_add_string_value (b, result.bad_rows->pdata[i]);
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      cohort_cli_print_json (root);
      return COHORT_EXIT_OK;
    }

  if (add)
    g_print (_("Added %u, already present %u, unknown %u\n"),
             result.changed, result.unchanged, result.unknown->len);
  else
    g_print (_("Removed %u, not members %u, unknown %u\n"),
             result.changed, result.unchanged, result.unknown->len);
  for (guint i = 0; i < result.unknown->len; i++)
    g_print (_("unknown: %s\n"), (const char *) result.unknown->pdata[i]);
  for (guint i = 0; result.bad_rows != NULL && i < result.bad_rows->len; i++)
    g_printerr ("%s: %s\n", from_csv, (const char *) result.bad_rows->pdata[i]);
  return COHORT_EXIT_OK;
}

static int
segments_freeze (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(CohortSegment) frozen = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  if (!cohort_cli_parse (cli, _("NAME|ID NEW_NAME"),
                         _("Save the current members of a segment as a new manual segment "
                           "and print its id."), NULL, &argc, &argv, &code))
    return code;
  if (argc == 2)
    return cohort_cli_fail (cli, COHORT_EXIT_USAGE, "%s", _("Give the new segment’s name"));
  if ((code = open_segment (cli, argc, argv, 2, &ws, &s)) != COHORT_EXIT_OK)
    return code;
  frozen = cohort_segments_freeze (ws, cohort_segment_get_id (s), argv[2], cli->cancellable, &error);
  if (frozen == NULL)
    return cohort_cli_fail_error (cli, error);
  g_print ("%" PRId64 "\n", cohort_segment_get_id (frozen));
  return COHORT_EXIT_OK;
}

static int
segments_add (CohortCli *cli, int argc, char **argv)
{
  return change_members (cli, argc, argv, TRUE);
}

static int
segments_remove (CohortCli *cli, int argc, char **argv)
{
  return change_members (cli, argc, argv, FALSE);
}

static int
segments_clear (CohortCli *cli, int argc, char **argv)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortSegment) s = NULL;
  g_autoptr(GArray) removed = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  if (!cohort_cli_parse (cli, _("NAME|ID"), _("Remove every member of a manual segment."),
                         NULL, &argc, &argv, &code))
    return code;
  if ((code = open_segment (cli, argc, argv, 1, &ws, &s)) != COHORT_EXIT_OK)
    return code;
  if (!cohort_members_clear (ws, cohort_segment_get_id (s), &removed, &error))
    return cohort_cli_fail_error (cli, error);
  g_print (_("Removed %u\n"), removed->len);
  return COHORT_EXIT_OK;
}

static const CohortCliCommand segment_commands[] = {
  { "list", segments_list, N_("List segments") },
  { "create", segments_create, N_("Create a segment") },
  { "show", segments_show, N_("Show a segment") },
  { "rename", segments_rename, N_("Rename a segment") },
  { "describe", segments_describe, N_("Change a segment’s description") },
  { "activate", segments_activate, N_("Activate a segment") },
  { "deactivate", segments_deactivate, N_("Deactivate a segment (kept, not synced)") },
  { "duplicate", segments_duplicate, N_("Copy a segment") },
  { "delete", segments_delete, N_("Delete a segment") },
  { "add", segments_add, N_("Add customers to a manual segment") },
  { "remove", segments_remove, N_("Remove customers from a manual segment") },
  { "clear", segments_clear, N_("Remove every member of a manual segment") },
  { "freeze", segments_freeze, N_("Save a segment’s current members as a new manual segment") },
  { "set-criteria", cohort_cli_segments_set_criteria, N_("Replace the criteria of a data-driven segment") },
  { "count", cohort_cli_segments_count, N_("Count the members of a segment now") },
  { "members", cohort_cli_segments_members, N_("List the members of a segment now") },
  { NULL, NULL, NULL }
};

int
cohort_cli_segments (CohortCli *cli, int argc, char **argv)
{
  return cohort_cli_dispatch (cli, "segments", segment_commands, argc, argv);
}
