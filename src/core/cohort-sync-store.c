/* cohort-sync-store.c: the SQL of the sync tables: links, pushed members, status
 * rows and the pulled remote segments
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Sync"

#include <inttypes.h>
#include <glib/gi18n.h>

#include "cohort-outbox.h"
#include "cohort-sync-private.h"
#include "cohort-value.h"

SyncLinkState
cohort_sync_link_state_from_string (const char *state)
{
  if (state == NULL)
    return LINK_NONE;
  return g_str_equal (state, "linked") ? LINK_LINKED
       : g_str_equal (state, "unlinked") ? LINK_UNLINKED
       : LINK_PENDING;
}

void
cohort_sync_link_clear (SyncLink *link)
{
  g_clear_pointer (&link->create_ref, g_free);
  g_clear_pointer (&link->remote_name, g_free);
  link->state = LINK_NONE;
  link->remote_id = 0;
}

gboolean
cohort_sync_load_link (CohortWorkspace  *ws,
                       gint64            segment_id,
                       SyncLink         *link,
                       GError          **error)
{
  sqlite3_stmt *stmt;
  int rc;

  cohort_sync_link_clear (link);
  stmt = cohort_workspace_prepare (ws,
                                   "SELECT state, remote_id, create_ref, remote_name, pending_since "
                                   "FROM sync_links WHERE segment = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      link->state = cohort_sync_link_state_from_string ((const char *) sqlite3_column_text (stmt, 0));
      link->remote_id = sqlite3_column_int64 (stmt, 1);
      link->create_ref = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      link->remote_name = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      link->pending_since = sqlite3_column_int64 (stmt, 4);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return cohort_workspace_db_error (ws, error, _("reading sync links"));
  return TRUE;
}

gboolean
cohort_sync_exec_with_segment (CohortWorkspace  *ws,
                               const char       *sql,
                               gint64            segment_id,
                               GError          **error)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  return cohort_workspace_step_done (ws, stmt, _("recording the sync"), error);
}

gboolean
cohort_sync_set_status (CohortWorkspace  *ws,
                        gint64            segment_id,
                        const char       *state,
                        const char       *message,
                        gint64            local_count,
                        gint64            remote_count,
                        GError          **error)
{
  sqlite3_stmt *stmt;

  stmt = cohort_workspace_prepare (ws,
                                   "INSERT OR REPLACE INTO sync_status "
                                   "(segment, state, error, local_count, remote_count, synced_at) "
                                   "VALUES (?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  sqlite3_bind_text (stmt, 2, state, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, message, -1, SQLITE_TRANSIENT);
  if (local_count >= 0)
    sqlite3_bind_int64 (stmt, 4, local_count);
  if (remote_count >= 0)
    sqlite3_bind_int64 (stmt, 5, remote_count);
  sqlite3_bind_int64 (stmt, 6, cohort_now_real ());
  return cohort_workspace_step_done (ws, stmt, _("recording the sync"), error);
}

/* Runs @func-like bodies in one transaction: begin, then commit or rollback. */
gboolean
cohort_sync_finish_transaction (CohortWorkspace  *ws,
                                gboolean          ok,
                                GError          **error)
{
  if (!ok)
    {
      cohort_workspace_rollback (ws);
      return FALSE;
    }
  if (!cohort_workspace_note_change (ws, COHORT_CHANGE_SYNC, error))
    {
      cohort_workspace_rollback (ws);
      return FALSE;
    }
  return cohort_workspace_commit (ws, error);
}

gboolean
cohort_sync_remote_id_is_linked (CohortWorkspace *ws,
                                 gint64           remote_id)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, "SELECT 1 FROM sync_links WHERE remote_id = ?", NULL);
  gboolean linked;

  if (stmt == NULL)
    return TRUE;
  sqlite3_bind_int64 (stmt, 1, remote_id);
  linked = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return linked;
}

gboolean
cohort_sync_record_linked (SyncRun   *ctx,
                           SyncItem  *item,
                           gint64     remote_id,
                           GError   **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  if (!cohort_workspace_begin (ctx->ws, error))
    return FALSE;
  stmt = cohort_workspace_prepare (ctx->ws,
                                   "UPDATE sync_links SET state = 'linked', remote_id = ?, "
                                   "linked_at = ?, pending_since = NULL WHERE segment = ?", error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, remote_id);
      sqlite3_bind_int64 (stmt, 2, cohort_now_real ());
      sqlite3_bind_int64 (stmt, 3, item->segment_id);
      ok = cohort_workspace_step_done (ctx->ws, stmt, _("recording the sync"), error);
    }
  if (!cohort_sync_finish_transaction (ctx->ws, ok, error))
    return FALSE;
  item->link.state = LINK_LINKED;
  item->link.remote_id = remote_id;
  return TRUE;
}

gboolean
cohort_sync_record_pending (SyncRun   *ctx,
                            SyncItem  *item,
                            GError   **error)
{
  g_autofree char *ref = NULL;
  sqlite3_stmt *stmt;
  gboolean ok;

  ref = g_strdup_printf ("cohort:%s:%" PRId64 ":%08x",
                         cohort_workspace_get_uuid (ctx->ws), item->segment_id, g_random_int ());
  if (!cohort_workspace_begin (ctx->ws, error))
    return FALSE;
  stmt = cohort_workspace_prepare (ctx->ws,
                                   "INSERT OR REPLACE INTO sync_links "
                                   "(segment, remote_id, state, create_ref, remote_name, pending_since) "
                                   "VALUES (?, NULL, 'pending', ?, ?, ?)", error);
  ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, item->segment_id);
      sqlite3_bind_text (stmt, 2, ref, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, item->name, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, cohort_now_real ());
      ok = cohort_workspace_step_done (ctx->ws, stmt, _("recording the sync"), error);
    }
  /* A new remote segment starts empty. */
  ok = ok && cohort_sync_exec_with_segment (ctx->ws, "DELETE FROM sync_pushed WHERE segment = ?",
                                            item->segment_id, error);
  if (!cohort_sync_finish_transaction (ctx->ws, ok, error))
    return FALSE;
  item->link.state = LINK_PENDING;
  item->link.pending_since = cohort_now_real ();
  g_free (item->link.remote_name);
  item->link.remote_name = g_strdup (item->name);
  g_free (item->link.create_ref);
  item->link.create_ref = g_steal_pointer (&ref);
  return TRUE;
}

gboolean
cohort_sync_record_batch (SyncRun             *ctx,
                          SyncItem            *item,
                          gboolean             add,
                          CohortCioIdType      id_type,
                          const char * const  *ids,
                          guint                n_ids,
                          GError             **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  if (!cohort_workspace_begin (ctx->ws, error))
    return FALSE;
  stmt = cohort_workspace_prepare (ctx->ws,
                                   add
                                   ? "INSERT OR IGNORE INTO sync_pushed (segment, id_type, ident) "
                                     "VALUES (?, ?, ?)"
                                   : "DELETE FROM sync_pushed "
                                     "WHERE segment = ? AND id_type = ? AND ident = ?",
                                   error);
  ok = stmt != NULL;
  for (guint i = 0; ok && i < n_ids; i++)
    {
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, item->segment_id);
      sqlite3_bind_text (stmt, 2, cohort_cio_id_type_to_string (id_type), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, ids[i], -1, SQLITE_STATIC);
      ok = cohort_workspace_step_done (ctx->ws, stmt, _("recording the sync"), error);
    }
  return cohort_sync_finish_transaction (ctx->ws, ok, error);
}

gboolean
cohort_sync_store_remote_segments (CohortWorkspace  *ws,
                                   GPtrArray        *remote,
                                   GError          **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;
  gint64 now = cohort_now_real ();

  if (!cohort_workspace_begin (ws, error))
    return FALSE;
  ok = cohort_workspace_exec (ws, "DELETE FROM remote_segments", error);
  stmt = ok ? cohort_workspace_prepare (ws,
                                        "INSERT OR REPLACE INTO remote_segments "
                                        "(id, name, description, type, state, progress, tags, count, "
                                        " created_at, updated_at, pulled_at) "
                                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error) : NULL;
  ok = ok && stmt != NULL;
  for (guint i = 0; ok && i < remote->len; i++)
    {
      CohortCioSegment *segment = g_ptr_array_index (remote, i);

      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, segment->id);
      sqlite3_bind_text (stmt, 2, segment->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, segment->description, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, segment->type, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, segment->state, -1, SQLITE_STATIC);
      if (segment->progress >= 0)
        sqlite3_bind_int64 (stmt, 6, segment->progress);
      else
        sqlite3_bind_null (stmt, 6);
      sqlite3_bind_text (stmt, 7, segment->tags, -1, SQLITE_STATIC);
      if (segment->count >= 0)
        sqlite3_bind_int64 (stmt, 8, segment->count);
      else
        sqlite3_bind_null (stmt, 8);
      sqlite3_bind_int64 (stmt, 9, segment->created_at);
      sqlite3_bind_int64 (stmt, 10, segment->updated_at);
      sqlite3_bind_int64 (stmt, 11, now);
      ok = cohort_workspace_step_done (ws, stmt, _("recording the sync"), error);
    }
  return cohort_sync_finish_transaction (ws, ok, error);
}

/* Drops what sync knows of @segment_id: its link, what was pushed and
 * its last status. Inside the caller's transaction. */
gboolean
cohort_sync_forget_link (CohortWorkspace  *ws,
                         gint64            segment_id,
                         GError          **error)
{
  return cohort_sync_exec_with_segment (ws, "DELETE FROM sync_links WHERE segment = ?", segment_id, error) &&
         cohort_sync_exec_with_segment (ws, "DELETE FROM sync_pushed WHERE segment = ?", segment_id, error) &&
         cohort_sync_exec_with_segment (ws, "DELETE FROM sync_status WHERE segment = ?", segment_id, error);
}

gboolean
cohort_sync_relink (CohortWorkspace  *ws,
                    gint64            segment_id,
                    GError          **error)
{
  gboolean ok;

  if (!cohort_workspace_begin (ws, error))
    return FALSE;
  ok = cohort_sync_forget_link (ws, segment_id, error) &&
       cohort_outbox_segment_created (ws, segment_id, error);
  return cohort_sync_finish_transaction (ws, ok, error);
}
