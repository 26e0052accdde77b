/* cohort-outbox.c: the changes sync must carry to Customer.io
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Sync"

#include <glib/gi18n.h>

#include "cohort-outbox.h"
#include "cohort-value.h"

static const char *const op_names[] = {
  [COHORT_OUTBOX_CREATE] = "create",
  [COHORT_OUTBOX_DELETE] = "delete",
  [COHORT_OUTBOX_ACTIVATE] = "activate",
  [COHORT_OUTBOX_DEACTIVATE] = "deactivate",
  [COHORT_OUTBOX_MEMBERS] = "members",
};

static gboolean
cohort_outbox_record (CohortWorkspace  *ws,
                      gint64            segment_id,
                      CohortOutboxOp    op,
                      GError          **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);
  g_return_val_if_fail (op <= COHORT_OUTBOX_MEMBERS, FALSE);
  /* Recording outside the change's own transaction could lose it. */
  g_return_val_if_fail (cohort_workspace_in_transaction (ws), FALSE);

  /* Many member edits in a row need one entry, not one each. */
  if (op == COHORT_OUTBOX_MEMBERS)
    {
      stmt = cohort_workspace_prepare (ws,
                                       "SELECT op FROM sync_outbox WHERE segment = ? "
                                       "ORDER BY seq DESC LIMIT 1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, segment_id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW &&
          g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), op_names[op]) == 0)
        {
          sqlite3_reset (stmt);
          return TRUE;
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cohort_workspace_db_error (ws, error, _("recording a change for sync"));
    }

  stmt = cohort_workspace_prepare (ws,
                                   "INSERT INTO sync_outbox (segment, op, created_at) "
                                   "VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  sqlite3_bind_text (stmt, 2, op_names[op], -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, cohort_now_real ());
  /* No change of its own to announce: the caller notes the change it records. */
  return cohort_workspace_step_done (ws, stmt, _("recording a change for sync"), error);
}

gboolean
cohort_outbox_segment_created (CohortWorkspace  *ws,
                               gint64            segment_id,
                               GError          **error)
{
  return cohort_outbox_record (ws, segment_id, COHORT_OUTBOX_CREATE, error);
}

gboolean
cohort_outbox_segment_deleted (CohortWorkspace  *ws,
                               gint64            segment_id,
                               GError          **error)
{
  return cohort_outbox_record (ws, segment_id, COHORT_OUTBOX_DELETE, error);
}

gboolean
cohort_outbox_segment_set_active (CohortWorkspace  *ws,
                                  gint64            segment_id,
                                  gboolean          active,
                                  GError          **error)
{
  return cohort_outbox_record (ws, segment_id,
                               active ? COHORT_OUTBOX_ACTIVATE : COHORT_OUTBOX_DEACTIVATE,
                               error);
}

gboolean
cohort_outbox_members_changed (CohortWorkspace  *ws,
                               gint64            segment_id,
                               GError          **error)
{
  return cohort_outbox_record (ws, segment_id, COHORT_OUTBOX_MEMBERS, error);
}

gint64
cohort_outbox_count_pending (CohortWorkspace *ws,
                             gint64           segment_id)
{
  sqlite3_stmt *stmt;
  gint64 count = -1;

  stmt = cohort_workspace_prepare (ws,
                                   "SELECT count(*) FROM sync_outbox "
                                   "WHERE ?1 = 0 OR segment = ?1", NULL);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

gboolean
cohort_outbox_remove (CohortWorkspace  *ws,
                      gint64            segment_id,
                      gint64            max_seq,
                      GError          **error)
{
  sqlite3_stmt *stmt;

  stmt = cohort_workspace_prepare (ws,
                                   "DELETE FROM sync_outbox WHERE segment = ? AND seq <= ?",
                                   error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  sqlite3_bind_int64 (stmt, 2, max_seq);
  return cohort_workspace_step_done (ws, stmt, _("updating the sync outbox"), error);
}
