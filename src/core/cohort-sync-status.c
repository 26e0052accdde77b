/* cohort-sync-status.c: the sync state of each segment, as the window and the
 * command line show it
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Sync"

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-outbox.h"
#include "cohort-sync-private.h"

/* Status */

void
cohort_sync_status_clear (CohortSyncStatus *status)
{
  g_clear_pointer (&status->error, g_free);
}

static CohortSyncState
decide_state (gboolean       active,
              SyncLinkState  link,
              const char    *last_state,
              gint64         n_pending)
{
  if (!active)
    return COHORT_SYNC_STATE_INACTIVE;
  if (link == LINK_UNLINKED)
    return COHORT_SYNC_STATE_UNLINKED;
  if (g_strcmp0 (last_state, "error") == 0)
    return COHORT_SYNC_STATE_ERROR;
  if (link != LINK_LINKED)
    return COHORT_SYNC_STATE_NOT_PUBLISHED;
  if (n_pending > 0)
    return COHORT_SYNC_STATE_PENDING;
  return COHORT_SYNC_STATE_SYNCED;
}

gboolean
cohort_sync_get_status (CohortWorkspace   *ws,
                        gint64             segment_id,
                        CohortSyncStatus  *status,
                        GError           **error)
{
  SyncLink link = { 0 };
  sqlite3_stmt *stmt;
  g_autofree char *state = NULL;
  gboolean active = TRUE;
  int rc;

  memset (status, 0, sizeof *status);
  status->segment_id = segment_id;
  status->local_count = -1;
  status->remote_count = -1;

  stmt = cohort_workspace_prepare (ws, "SELECT active FROM segments WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    active = sqlite3_column_int (stmt, 0) != 0;
  sqlite3_reset (stmt);

  if (!cohort_sync_load_link (ws, segment_id, &link, error))
    return FALSE;
  status->remote_id = link.state == LINK_LINKED ? link.remote_id : 0;

  stmt = cohort_workspace_prepare (ws,
                                   "SELECT state, error, local_count, remote_count FROM sync_status "
                                   "WHERE segment = ?", error);
  if (stmt == NULL)
    {
      cohort_sync_link_clear (&link);
      return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, segment_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      state = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      status->error = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        status->local_count = sqlite3_column_int64 (stmt, 2);
      if (sqlite3_column_type (stmt, 3) != SQLITE_NULL)
        status->remote_count = sqlite3_column_int64 (stmt, 3);
    }
  sqlite3_reset (stmt);
  status->n_pending = MAX (cohort_outbox_count_pending (ws, segment_id), 0);
  status->state = decide_state (active, link.state, state, status->n_pending);
  cohort_sync_link_clear (&link);
  return TRUE;
}

void
cohort_sync_status_free (CohortSyncStatus *status)
{
  if (status == NULL)
    return;
  cohort_sync_status_clear (status);
  g_free (status);
}

GHashTable *
cohort_sync_get_all_status (CohortWorkspace  *ws,
                            GError          **error)
{
  g_autoptr(GHashTable) table = NULL;
  sqlite3_stmt *stmt;
  int rc;

  /* One pass: segments, their link, the last sync's word and the outbox
   * entries waiting, grouped once (not counted per segment). */
  stmt = cohort_workspace_prepare (ws,
                                   "SELECT s.id, s.active, l.state, l.remote_id, st.state, st.error, "
                                   "       st.local_count, st.remote_count, coalesce(o.n, 0) "
                                   "FROM segments s "
                                   "LEFT JOIN sync_links l ON l.segment = s.id "
                                   "LEFT JOIN sync_status st ON st.segment = s.id "
                                   "LEFT JOIN (SELECT segment, count(*) AS n FROM sync_outbox "
                                   "           GROUP BY segment) o ON o.segment = s.id", error);
  if (stmt == NULL)
    return NULL;

  table = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                 (GDestroyNotify) cohort_sync_status_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CohortSyncStatus *status = g_new0 (CohortSyncStatus, 1);
      SyncLinkState link = cohort_sync_link_state_from_string ((const char *) sqlite3_column_text (stmt, 2));

      status->segment_id = sqlite3_column_int64 (stmt, 0);
      status->remote_id = link == LINK_LINKED ? sqlite3_column_int64 (stmt, 3) : 0;
      status->error = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
      status->local_count = sqlite3_column_type (stmt, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, 6);
      status->remote_count = sqlite3_column_type (stmt, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, 7);
      status->n_pending = sqlite3_column_int64 (stmt, 8);
      status->state = decide_state (sqlite3_column_int (stmt, 1) != 0, link,
                                    (const char *) sqlite3_column_text (stmt, 4),
                                    status->n_pending);
      /* The key lives in the value. */
      g_hash_table_insert (table, &status->segment_id, status);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading the sync state"));
      return NULL;
    }
  return g_steal_pointer (&table);
}
