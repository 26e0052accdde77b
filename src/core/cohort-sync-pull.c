/* cohort-sync-pull.c: pull from Customer.io: the remote segments with their counts,
 * and a remote segment's members
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Sync"

#include <glib/gi18n.h>

#include "cohort-sync-private.h"
#include "cohort-value.h"

/* Pull: the remote segments */

void
cohort_sync_pull_segments (SyncRun *ctx)
{
  GError *error = NULL;
  GPtrArray *remote;

  g_clear_pointer (&ctx->remote, g_ptr_array_unref);
  remote = cohort_sync_ensure_remote_list (ctx, &error);
  if (remote == NULL)
    {
      cohort_sync_fail (ctx, error);
      return;
    }
  for (guint i = 0; i < remote->len; i++)
    {
      CohortCioSegment *segment = g_ptr_array_index (remote, i);

      if (ctx->progress != NULL)
        {
          g_autofree char *what = g_strdup_printf (_("Counting “%s”"), segment->name);

          ctx->progress (i, remote->len, what, ctx->progress_data);
        }
      segment->count = cohort_cio_client_get_customer_count (ctx->client, segment->id,
                                                             ctx->cancellable, &error);
      if (segment->count < 0)
        {
          if (g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND))
            {
              g_clear_error (&error);
              continue;
            }
          cohort_sync_fail (ctx, error);
          return;
        }
    }
  if (!cohort_sync_store_remote_segments (ctx->ws, remote, &error))
    {
      cohort_sync_fail (ctx, error);
      return;
    }
  ctx->report->n_remote_segments = remote->len;
}

/* Pulling a remote segment's members */

gint64
cohort_sync_pull_members (CohortWorkspace         *ws,
                          CohortCioClient         *client,
                          gint64                   remote_id,
                          guint                    page_size,
                          CohortSyncProgressFunc   progress,
                          gpointer                 progress_data,
                          GCancellable            *cancellable,
                          GError                 **error)
{
  g_autofree char *cursor = NULL;
  sqlite3_stmt *stmt;
  gint64 position = 0;
  gboolean ok;

  if (page_size == 0)
    page_size = 5000;

  if (!cohort_workspace_begin (ws, error))
    return -1;
  ok = cohort_sync_exec_with_segment (ws, "DELETE FROM remote_members WHERE remote_segment = ?", remote_id, error);
  stmt = ok ? cohort_workspace_prepare (ws,
                                        "INSERT OR REPLACE INTO remote_member_pulls "
                                        "(remote_segment, complete, total, pulled_at) VALUES (?, 0, 0, ?)",
                                        error) : NULL;
  ok = ok && stmt != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, remote_id);
      sqlite3_bind_int64 (stmt, 2, cohort_now_real ());
      ok = cohort_workspace_step_done (ws, stmt, _("recording the sync"), error);
    }
  if (!cohort_sync_finish_transaction (ws, ok, error))
    return -1;

  do
    {
      g_autoptr(GPtrArray) page = NULL;
      g_autofree char *next = NULL;

      page = cohort_cio_client_get_membership (client, remote_id, cursor, page_size, &next,
                                               cancellable, error);
      if (page == NULL)
        return -1;
      if (!cohort_workspace_begin (ws, error))
        return -1;
      stmt = cohort_workspace_prepare (ws,
                                       "INSERT INTO remote_members (remote_segment, position, cio_id, id, email) "
                                       "VALUES (?, ?, ?, ?, ?)", error);
      ok = stmt != NULL;
      for (guint i = 0; ok && i < page->len; i++)
        {
          CohortCioIdentifier *ident = g_ptr_array_index (page, i);

          sqlite3_reset (stmt);
          sqlite3_bind_int64 (stmt, 1, remote_id);
          sqlite3_bind_int64 (stmt, 2, position++);
          sqlite3_bind_text (stmt, 3, ident->cio_id, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 4, ident->id, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 5, ident->email, -1, SQLITE_STATIC);
          ok = cohort_workspace_step_done (ws, stmt, _("recording the sync"), error);
        }
      if (ok)
        {
          stmt = cohort_workspace_prepare (ws,
                                           "UPDATE remote_member_pulls SET total = ?, complete = ? "
                                           "WHERE remote_segment = ?", error);
          ok = stmt != NULL;
          if (ok)
            {
              sqlite3_bind_int64 (stmt, 1, position);
              sqlite3_bind_int (stmt, 2, next == NULL);
              sqlite3_bind_int64 (stmt, 3, remote_id);
              ok = cohort_workspace_step_done (ws, stmt, _("recording the sync"), error);
            }
        }
      if (!cohort_sync_finish_transaction (ws, ok, error))
        return -1;
      if (progress != NULL)
        progress ((guint) position, 0, NULL, progress_data);

      /* A server repeating its cursor would loop forever. */
      if (next != NULL && cursor != NULL && g_str_equal (next, cursor))
        break;
      g_free (cursor);
      cursor = g_steal_pointer (&next);
    }
  while (cursor != NULL);

  return position;
}

static GPtrArray *
list_remote (CohortWorkspace  *ws,
             gboolean          unlinked_only,
             GError          **error)
{
  g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_cio_segment_free);
  sqlite3_stmt *stmt;
  int rc;

  /* Unlinked only: not a local segment's (linked, or recognised by the
   * reference of a create not confirmed yet). */
  stmt = cohort_workspace_prepare (ws,
                                   unlinked_only
                                   ? "SELECT id, name, description, type, state, progress, tags, count, "
                                     "created_at, updated_at FROM remote_segments r "
                                     "WHERE NOT EXISTS (SELECT 1 FROM sync_links l WHERE l.remote_id = r.id) "
                                     "  AND NOT EXISTS (SELECT 1 FROM sync_links l WHERE l.state = 'pending' "
                                     "                  AND instr(r.description, '[' || l.create_ref || ']') > 0) "
                                     "ORDER BY name COLLATE NOCASE, id"
                                   : "SELECT id, name, description, type, state, progress, tags, count, "
                                     "created_at, updated_at FROM remote_segments "
                                     "ORDER BY name COLLATE NOCASE, id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CohortCioSegment *segment = g_new0 (CohortCioSegment, 1);

      segment->id = sqlite3_column_int64 (stmt, 0);
      segment->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      segment->description = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      segment->type = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      segment->state = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      segment->progress = sqlite3_column_type (stmt, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, 5);
      segment->tags = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
      segment->count = sqlite3_column_type (stmt, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, 7);
      segment->created_at = sqlite3_column_int64 (stmt, 8);
      segment->updated_at = sqlite3_column_int64 (stmt, 9);
      g_ptr_array_add (segments, segment);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading remote segments"));
      return NULL;
    }
  return g_steal_pointer (&segments);
}

GPtrArray *
cohort_sync_list_remote_segments (CohortWorkspace  *ws,
                                  GError          **error)
{
  return list_remote (ws, FALSE, error);
}

GPtrArray *
cohort_sync_list_remote_only_segments (CohortWorkspace  *ws,
                                       GError          **error)
{
  return list_remote (ws, TRUE, error);
}

gboolean
cohort_sync_get_member_pull (CohortWorkspace  *ws,
                             gint64            remote_id,
                             gint64           *total,
                             gboolean         *complete,
                             gint64           *pulled_at,
                             GError          **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *total = -1;
  *complete = FALSE;
  *pulled_at = 0;
  stmt = cohort_workspace_prepare (ws,
                                   "SELECT total, complete, pulled_at FROM remote_member_pulls "
                                   "WHERE remote_segment = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, remote_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *total = sqlite3_column_int64 (stmt, 0);
      *complete = sqlite3_column_int (stmt, 1) != 0;
      *pulled_at = sqlite3_column_int64 (stmt, 2);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return cohort_workspace_db_error (ws, error, _("reading remote segments"));
  return TRUE;
}
