/* cohort-criteria-store.c: saving a segment's criteria with its references
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-criteria.h"
#include "cohort-segment.h"

/* TRUE when segment @from reaches @target through segment_refs. */
static gboolean
reaches (CohortWorkspace  *ws,
         gint64            from,
         gint64            target,
         gboolean         *found,
         GError          **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GArray) todo = g_array_new (FALSE, FALSE, sizeof (gint64));

  *found = FALSE;
  g_array_append_val (todo, from);
  while (todo->len > 0)
    {
      gint64 id = g_array_index (todo, gint64, todo->len - 1);
      g_autoptr(GArray) next = g_array_new (FALSE, FALSE, sizeof (gint64));
      sqlite3_stmt *stmt;
      int rc;

      g_array_set_size (todo, todo->len - 1);
      if (id == target)
        {
          *found = TRUE;
          return TRUE;
        }
      if (g_hash_table_contains (seen, &id))
        continue;
      g_hash_table_add (seen, g_memdup2 (&id, sizeof id));

      stmt = cohort_workspace_prepare (ws, "SELECT target FROM segment_refs WHERE segment = ?", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, id);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 t = sqlite3_column_int64 (stmt, 0);
          g_array_append_val (next, t);
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return cohort_workspace_db_error (ws, error, _("reading segment references"));
      g_array_append_vals (todo, next->data, next->len);
    }
  return TRUE;
}

static char *
segment_name (CohortWorkspace *ws, gint64 id)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, "SELECT name FROM segments WHERE id = ?", NULL);
  char *name = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return name;
}

static char *
segment_name_cb (gint64   id,
                 gpointer user_data)
{
  return segment_name (user_data, id);
}

char *
cohort_criteria_describe_in (const CohortCriteria *criteria,
                             CohortWorkspace      *ws)
{
  g_return_val_if_fail (criteria != NULL, NULL);
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  return cohort_criteria_describe (criteria, segment_name_cb, ws);
}

gboolean
cohort_criteria_check_refs (const CohortCriteria  *criteria,
                            CohortWorkspace       *ws,
                            gint64                 self_id,
                            GError               **error)
{
  g_autoptr(GPtrArray) refs = NULL;

  g_return_val_if_fail (criteria != NULL, FALSE);
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);

  refs = cohort_criteria_collect_refs (criteria);
  for (guint i = 0; i < refs->len; i++)
    {
      CohortSegmentRef *ref = g_ptr_array_index (refs, i);
      g_autofree char *name = segment_name (ws, ref->segment_id);
      gboolean loop = FALSE;

      if (name == NULL)
        {
          g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_NO_SEGMENT,
                       _("%s: there is no segment with id %" PRId64),
                       ref->path, ref->segment_id);
          return FALSE;
        }
      if (self_id == 0)
        continue;
      if (ref->segment_id == self_id)
        {
          g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_CYCLE,
                       _("%s: a segment cannot contain itself"), ref->path);
          return FALSE;
        }
      if (!reaches (ws, ref->segment_id, self_id, &loop, error))
        return FALSE;
      if (loop)
        {
          g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_CYCLE,
                       _("%s: segment “%s” already refers back to this segment, which would make a loop"),
                       ref->path, name);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
cohort_segments_set_criteria (CohortWorkspace  *ws,
                              gint64            id,
                              const char       *json,
                              GError          **error)
{
  g_autoptr(CohortCriteria) criteria = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *name = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);

  if (!cohort_workspace_begin (ws, error))
    return FALSE;

  stmt = cohort_workspace_prepare (ws, "SELECT kind, name FROM segments WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      kind = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND,
                   _("There is no segment with id %" PRId64), id);
      goto fail;
    }
  if (rc != SQLITE_ROW)
    {
      cohort_workspace_db_error (ws, error, _("reading a segment"));
      goto fail;
    }
  if (g_strcmp0 (kind, "data-driven") != 0)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID,
                   _("“%s” is a manual segment: its members are kept by hand, it has no criteria"),
                   name);
      goto fail;
    }

  if (json != NULL)
    {
      criteria = cohort_criteria_parse (json, error);
      if (criteria == NULL || !cohort_criteria_check_refs (criteria, ws, id, error))
        goto fail;
      canonical = cohort_criteria_to_string (criteria, FALSE);
      ids = cohort_criteria_collect_segment_ids (criteria);
    }

  stmt = cohort_workspace_prepare (ws, "UPDATE segments SET criteria = ?, updated_at = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, canonical, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_int64 (stmt, 3, id);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("saving the criteria"));
      goto fail;
    }

  stmt = cohort_workspace_prepare (ws, "DELETE FROM segment_refs WHERE segment = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("saving the criteria"));
      goto fail;
    }

  for (guint i = 0; ids != NULL && i < ids->len; i++)
    {
      stmt = cohort_workspace_prepare (ws, "INSERT INTO segment_refs (segment, target) VALUES (?, ?)", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_int64 (stmt, 2, g_array_index (ids, gint64, i));
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          cohort_workspace_db_error (ws, error, _("saving the criteria"));
          goto fail;
        }
    }

  if (!cohort_workspace_note_change (ws, COHORT_CHANGE_SEGMENTS, error) ||
      !cohort_workspace_commit (ws, error))
    goto fail;
  return TRUE;

fail:
  if (cohort_workspace_in_transaction (ws))
    cohort_workspace_rollback (ws);
  return FALSE;
}
