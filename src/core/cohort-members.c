/* cohort-members.c: the hand-kept members of manual segments
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Segments"

#include "config.h"
#include <inttypes.h>

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-csv-reader.h"
#include "cohort-evaluator.h"
#include "cohort-members.h"
#include "cohort-value.h"
#include "cohort-outbox.h"
#include "cohort-segment.h"

void
cohort_members_result_clear (CohortMembersResult *result)
{
  g_clear_pointer (&result->unknown, g_ptr_array_unref);
  g_clear_pointer (&result->bad_rows, g_ptr_array_unref);
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

static int
find_identity_column (const char *const *header,
                      guint               n,
                      const char *const  *names,
                      guint               n_names)
{
  for (guint k = 0; k < n_names; k++)
    for (guint i = 0; i < n; i++)
      {
        g_autofree char *trimmed = g_strstrip (g_strdup (header[i]));

        if (g_ascii_strcasecmp (trimmed, names[k]) == 0)
          return (int) i;
      }
  return -1;
}

/* A cell as an identifier, cleaned as every import does. */
static char *
identifier_from_cell (const char *cell)
{
  const char *s = cell != NULL ? cell : "";
  gsize len = strlen (s);

  cohort_value_clean_identifier (&s, &len);
  return g_strndup (s, len);
}

gboolean
cohort_members_add_from_csv (CohortWorkspace     *ws,
                             gint64               segment_id,
                             const char          *path,
                             CohortMembersResult *result,
                             GCancellable        *cancellable,
                             GError             **error)
{
  static const char *const id_names[] = { "id", "customer_id", "customer id", "record id", "customerid", "cio_id" };
  static const char *const email_names[] = { "email", "email address", "e-mail", "email_address", "e-mail address" };
  g_autoptr(CohortCsvReader) reader = NULL;
  g_autoptr(GPtrArray) identifiers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) bad_rows = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *const *header;
  guint n;
  int id_col, email_col;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);

  reader = cohort_csv_reader_new_for_path (path, error);
  if (reader == NULL || !cohort_csv_reader_read_header (reader, cancellable, error))
    return FALSE;
  header = cohort_csv_reader_get_header (reader);
  n = cohort_csv_reader_get_n_columns (reader);
  id_col = find_identity_column (header, n, id_names, G_N_ELEMENTS (id_names));
  email_col = find_identity_column (header, n, email_names, G_N_ELEMENTS (email_names));
  if (id_col < 0 && email_col < 0)
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID,
                   _("%s: no column holds customer ids or emails; name one “id” or “email”"),
                   display);
      return FALSE;
    }

  for (;;)
    {
      g_autoptr(GError) local = NULL;
      CohortCsvStatus status = cohort_csv_reader_next (reader, cancellable, &local);
      g_autofree char *id = NULL;
      g_autofree char *email = NULL;
      char *chosen;

      if (status == COHORT_CSV_END)
        break;
      if (status == COHORT_CSV_FAILED)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (status == COHORT_CSV_BAD)
        {
          g_ptr_array_add (bad_rows, g_strdup_printf (_("line %" PRIu64 ": %s"),
                                                      cohort_csv_reader_get_error_line (reader),
                                                      local->message));
          continue;
        }
      if (id_col >= 0)
        id = identifier_from_cell (cohort_csv_reader_get_field (reader, id_col, NULL));
      if (email_col >= 0)
        email = identifier_from_cell (cohort_csv_reader_get_field (reader, email_col, NULL));
      chosen = id != NULL && id[0] != '\0' ? id : email;
      if (chosen == NULL || chosen[0] == '\0')
        {
          g_ptr_array_add (bad_rows, g_strdup_printf (_("line %" PRIu64 ": neither an id nor an email"),
                                                      cohort_csv_reader_get_line (reader)));
          continue;
        }
      if (g_hash_table_contains (seen, chosen))
        continue;
      chosen = g_strdup (chosen);
      g_hash_table_add (seen, chosen);
      g_ptr_array_add (identifiers, chosen);
    }

  if (!cohort_members_add (ws, segment_id, identifiers, result, error))
    return FALSE;
  if (result != NULL)
    result->bad_rows = g_steal_pointer (&bad_rows);
  return TRUE;
}

CohortSegment *
cohort_segments_freeze (CohortWorkspace  *ws,
                        gint64            id,
                        const char       *name,
                        GCancellable     *cancellable,
                        GError          **error)
{
  g_autoptr(CohortEvaluation) members = NULL;
  g_autoptr(CohortSegment) source = NULL;
  g_autoptr(CohortSegment) frozen = NULL;
  g_autoptr(GArray) ordinals = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);

  source = cohort_segments_get (ws, id, error);
  if (source == NULL)
    return NULL;
  /* Evaluated before the transaction: inside one the index is not cached. */
  members = cohort_evaluator_evaluate_segment (ws, id, cancellable, error);
  if (members == NULL)
    return NULL;
  ordinals = cohort_evaluation_get_members (members, 0, 0);

  if (!cohort_workspace_begin (ws, error))
    return NULL;
  frozen = cohort_segments_create (ws, name, COHORT_SEGMENT_MANUAL,
                                   cohort_segment_get_description (source), error);
  if (frozen == NULL)
    goto fail;
  stmt = cohort_workspace_prepare (ws, "INSERT INTO segment_members (segment, customer) VALUES (?, ?)",
                                   error);
  if (stmt == NULL)
    goto fail;
  for (guint i = 0; i < ordinals->len; i++)
    {
      int rc;

      sqlite3_bind_int64 (stmt, 1, cohort_segment_get_id (frozen));
      sqlite3_bind_int64 (stmt, 2, g_array_index (ordinals, guint32, i));
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          cohort_workspace_db_error (ws, error, _("saving the members"));
          goto fail;
        }
      if ((i & 0xffff) == 0xffff && g_cancellable_set_error_if_cancelled (cancellable, error))
        goto fail;
    }
  if (!cohort_workspace_note_change (ws, COHORT_CHANGE_MEMBERS, error) ||
      (ordinals->len > 0 &&
       !cohort_outbox_members_changed (ws, cohort_segment_get_id (frozen), error)))
    goto fail;
  if (!cohort_workspace_commit (ws, error))
    return NULL;
  return cohort_segments_get (ws, cohort_segment_get_id (frozen), error);

fail:
  cohort_workspace_rollback (ws);
  return NULL;
}
