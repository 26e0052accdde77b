/* cohort-members.c: the hand-kept members of manual segments
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-members.h"
#include "cohort-outbox.h"
#include "cohort-segment.h"

void
cohort_members_result_clear (CohortMembersResult *result)
{
  g_clear_pointer (&result->unknown, g_ptr_array_unref);
  result->changed = 0;
  result->unchanged = 0;
}

GPtrArray *
cohort_members_parse_identifiers (const char *text)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *result = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) parts = NULL;

  if (text == NULL)
    return result;
  parts = g_regex_split_simple ("[\\r\\n,;\\t]+", text, 0, 0);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *item = g_strstrip (parts[i]);

      /* Quotes around a pasted cell are not part of the identifier. */
      if (item[0] == '"' && strlen (item) >= 2 && item[strlen (item) - 1] == '"')
        {
          item[strlen (item) - 1] = '\0';
          item = g_strstrip (item + 1);
        }
      if (item[0] == '\0' || g_hash_table_contains (seen, item))
        continue;
      g_hash_table_add (seen, item);
      g_ptr_array_add (result, g_strdup (item));
    }
  return result;
}

static gboolean
require_manual (CohortWorkspace  *ws,
                gint64            segment_id,
                GError          **error)
{
  g_autoptr(CohortSegment) segment = cohort_segments_get (ws, segment_id, error);

  if (segment == NULL)
    return FALSE;
  if (cohort_segment_get_kind (segment) != COHORT_SEGMENT_MANUAL)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID,
                   _("“%s” is a data-driven segment: its members follow its criteria and "
                     "cannot be changed by hand. Save it as a manual segment to keep a list."),
                   cohort_segment_get_name (segment));
      return FALSE;
    }
  return TRUE;
}

/* The customer an identifier names: by id, else by email; 0 when none. */
static gint64
resolve (CohortWorkspace  *ws,
         const char       *identifier,
         GError          **error)
{
  static const char *const queries[] = {
    "SELECT ordinal FROM customers WHERE id = ?",
    "SELECT ordinal FROM customers WHERE email = ?",
  };

  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      sqlite3_stmt *stmt = cohort_workspace_prepare (ws, queries[q], error);
      gint64 ordinal = 0;
      int rc;

      if (stmt == NULL)
        return -1;
      sqlite3_bind_text (stmt, 1, identifier, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        ordinal = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        {
          cohort_workspace_db_error (ws, error, _("finding a customer"));
          return -1;
        }
      if (ordinal > 0)
        return ordinal;
    }
  return 0;
}

static const char *
change_sql (gboolean add)
{
  return add ? "INSERT OR IGNORE INTO segment_members (segment, customer) VALUES (?, ?)"
             : "DELETE FROM segment_members WHERE segment = ? AND customer = ?";
}

static gboolean
change_one (CohortWorkspace  *ws,
            gboolean          add,
            gint64            segment_id,
            gint64            ordinal,
            gboolean         *changed,
            GError          **error)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, change_sql (add), error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  sqlite3_bind_int64 (stmt, 2, ordinal);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return cohort_workspace_db_error (ws, error, _("changing the members"));
  *changed = sqlite3_changes (cohort_workspace_get_db (ws)) > 0;
  return TRUE;
}

static gboolean
change_members (CohortWorkspace     *ws,
                gboolean             add,
                gint64               segment_id,
                GPtrArray           *identifiers,
                CohortMembersResult *result,
                GError             **error)
{
  CohortMembersResult local = { 0 };

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);
  g_return_val_if_fail (identifiers != NULL, FALSE);

  local.unknown = g_ptr_array_new_with_free_func (g_free);
  if (!cohort_workspace_begin (ws, error))
    goto fail_early;
  if (!require_manual (ws, segment_id, error))
    goto fail;

  for (guint i = 0; i < identifiers->len; i++)
    {
      const char *identifier = identifiers->pdata[i];
      gint64 ordinal = resolve (ws, identifier, error);
      gboolean changed;

      if (ordinal < 0)
        goto fail;
      if (ordinal == 0)
        {
          g_ptr_array_add (local.unknown, g_strdup (identifier));
          continue;
        }
      if (!change_one (ws, add, segment_id, ordinal, &changed, error))
        goto fail;
      if (changed)
        local.changed++;
      else
        local.unchanged++;
    }

  if (local.changed > 0 &&
      (!cohort_workspace_note_change (ws, COHORT_CHANGE_MEMBERS, error) ||
       !cohort_outbox_members_changed (ws, segment_id, error)))
    goto fail;
  if (!cohort_workspace_commit (ws, error))
    goto fail_early;

  if (result != NULL)
    {
      cohort_members_result_clear (result);
      *result = local;
    }
  else
    cohort_members_result_clear (&local);
  return TRUE;

fail:
  cohort_workspace_rollback (ws);
fail_early:
  cohort_members_result_clear (&local);
  return FALSE;
}

gboolean
cohort_members_add (CohortWorkspace     *ws,
                    gint64               segment_id,
                    GPtrArray           *identifiers,
                    CohortMembersResult *result,
                    GError             **error)
{
  return change_members (ws, TRUE, segment_id, identifiers, result, error);
}

gboolean
cohort_members_remove (CohortWorkspace     *ws,
                       gint64               segment_id,
                       GPtrArray           *identifiers,
                       CohortMembersResult *result,
                       GError             **error)
{
  return change_members (ws, FALSE, segment_id, identifiers, result, error);
}

static gboolean
change_ordinals (CohortWorkspace  *ws,
                 gboolean          add,
                 gint64            segment_id,
                 const gint64     *ordinals,
                 gsize             n_ordinals,
                 guint            *out_changed,
                 GError          **error)
{
  guint n_changed = 0;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);

  if (!cohort_workspace_begin (ws, error))
    return FALSE;
  if (!require_manual (ws, segment_id, error))
    goto fail;
  for (gsize i = 0; i < n_ordinals; i++)
    {
      gboolean changed;

      if (!change_one (ws, add, segment_id, ordinals[i], &changed, error))
        goto fail;
      n_changed += changed;
    }
  if (n_changed > 0 && (!cohort_workspace_note_change (ws, COHORT_CHANGE_MEMBERS, error) ||
                        !cohort_outbox_members_changed (ws, segment_id, error)))
    goto fail;
  if (!cohort_workspace_commit (ws, error))
    return FALSE;
  if (out_changed)
    *out_changed = n_changed;
  return TRUE;

fail:
  cohort_workspace_rollback (ws);
  return FALSE;
}

gboolean
cohort_members_add_ordinals (CohortWorkspace  *ws,
                             gint64            segment_id,
                             const gint64     *ordinals,
                             gsize             n_ordinals,
                             guint            *changed,
                             GError          **error)
{
  return change_ordinals (ws, TRUE, segment_id, ordinals, n_ordinals, changed, error);
}

gboolean
cohort_members_remove_ordinals (CohortWorkspace  *ws,
                                gint64            segment_id,
                                const gint64     *ordinals,
                                gsize             n_ordinals,
                                guint            *changed,
                                GError          **error)
{
  return change_ordinals (ws, FALSE, segment_id, ordinals, n_ordinals, changed, error);
}

gboolean
cohort_members_clear (CohortWorkspace  *ws,
                      gint64            segment_id,
                      GArray          **removed,
                      GError          **error)
{
  g_autoptr(GArray) ordinals = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);

  if (!cohort_workspace_begin (ws, error))
    return FALSE;
  if (!require_manual (ws, segment_id, error))
    goto fail;

  stmt = cohort_workspace_prepare (ws, "SELECT customer FROM segment_members WHERE segment = ?",
                                   error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 v = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ordinals, v);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading the members"));
      goto fail;
    }

  stmt = cohort_workspace_prepare (ws, "DELETE FROM segment_members WHERE segment = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("clearing the segment"));
      goto fail;
    }
  if (ordinals->len > 0 && (!cohort_workspace_note_change (ws, COHORT_CHANGE_MEMBERS, error) ||
                             !cohort_outbox_members_changed (ws, segment_id, error)))
    goto fail;
  if (!cohort_workspace_commit (ws, error))
    return FALSE;
  if (removed)
    *removed = g_steal_pointer (&ordinals);
  return TRUE;

fail:
  cohort_workspace_rollback (ws);
  return FALSE;
}

gint64
cohort_members_count (CohortWorkspace  *ws,
                      gint64            segment_id,
                      GError          **error)
{
  sqlite3_stmt *stmt;
  gint64 count = -1;

  stmt = cohort_workspace_prepare (ws, "SELECT count(*) FROM segment_members WHERE segment = ?",
                                   error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  else
    cohort_workspace_db_error (ws, error, _("counting the members"));
  sqlite3_reset (stmt);
  return count;
}
