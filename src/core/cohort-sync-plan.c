/* cohort-sync-plan.c: what a sync would do (the dry run): the segments to look at,
 * the difference between their members and what Customer.io confirmed, and
 * the actions and requests that follow
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Sync"

#include <inttypes.h>
#include <glib/gi18n.h>

#include "cohort-evaluator.h"
#include "cohort-sync-private.h"

static void
item_free (SyncItem *item)
{
  g_free (item->name);
  g_free (item->description);
  g_free (item->criteria);
  cohort_sync_link_clear (&item->link);
  for (guint t = 0; t < N_ID_TYPES; t++)
    {
      g_clear_pointer (&item->add[t], g_ptr_array_unref);
      g_clear_pointer (&item->remove[t], g_ptr_array_unref);
    }
  g_free (item->error);
  g_free (item);
}

static guint64
item_n_add (SyncItem *item)
{
  guint64 n = 0;

  for (guint t = 0; t < N_ID_TYPES; t++)
    n += item->add[t] ? item->add[t]->len : 0;
  return n;
}

static guint64
item_n_remove (SyncItem *item)
{
  guint64 n = 0;

  for (guint t = 0; t < N_ID_TYPES; t++)
    n += item->remove[t] ? item->remove[t]->len : 0;
  return n;
}

static guint
batches (guint64 n)
{
  return (guint) ((n + COHORT_CIO_MAX_IDS_PER_BATCH - 1) / COHORT_CIO_MAX_IDS_PER_BATCH);
}

static guint
item_add_requests (SyncItem *item,
                   gboolean  add)
{
  guint n = 0;

  for (guint t = 0; t < N_ID_TYPES; t++)
    {
      GPtrArray *ids = add ? item->add[t] : item->remove[t];

      n += ids ? batches (ids->len) : 0;
    }
  return n;
}

static void
action_free (CohortSyncAction *action)
{
  g_free (action->segment_name);
  g_free (action);
}

void
cohort_sync_plan_free (CohortSyncPlan *plan)
{
  if (plan == NULL)
    return;
  g_ptr_array_unref (plan->items);
  g_ptr_array_unref (plan->actions);
  g_ptr_array_unref (plan->notes);
  g_free (plan);
}

static const char *desired_setup_sql =
  "CREATE TEMP TABLE IF NOT EXISTS sync_desired ("
  "  id_type TEXT NOT NULL,"
  "  ident   TEXT NOT NULL,"
  "  ordinal INTEGER NOT NULL,"
  "  PRIMARY KEY (id_type, ident)"
  ") WITHOUT ROWID;"
  "CREATE TEMP TABLE IF NOT EXISTS sync_people ("
  "  ordinal INTEGER PRIMARY KEY,"
  "  id_type TEXT NOT NULL,"
  "  ident   TEXT NOT NULL"
  ");"
  "DELETE FROM temp.sync_desired;";

/* Fills temp.sync_desired with the identifiers of @item's members. */
static gboolean
fill_desired (CohortWorkspace  *ws,
              SyncItem         *item,
              GCancellable     *cancellable,
              GError          **error)
{
  g_autoptr(CohortEvaluation) evaluation = NULL;
  sqlite3_stmt *stmt;
  gboolean ok = TRUE;

  if (item->kind == COHORT_SEGMENT_DATA_DRIVEN)
    {
      evaluation = cohort_evaluator_evaluate_segment (ws, item->segment_id, cancellable, error);
      if (evaluation == NULL)
        return FALSE;
    }

  if (!cohort_workspace_exec (ws, desired_setup_sql, error) ||
      !cohort_workspace_begin (ws, error))
    return FALSE;

  if (evaluation == NULL)
    {
      stmt = cohort_workspace_prepare (ws,
                                       "INSERT OR IGNORE INTO temp.sync_desired (id_type, ident, ordinal) "
                                       "SELECT CASE WHEN c.id IS NOT NULL THEN 'id' ELSE 'email' END, "
                                       "       coalesce (c.id, c.email), c.ordinal "
                                       "FROM segment_members m JOIN customers c ON c.ordinal = m.customer "
                                       "WHERE m.segment = ?", error);
      ok = stmt != NULL;
      if (ok)
        {
          sqlite3_bind_int64 (stmt, 1, item->segment_id);
          ok = cohort_workspace_step_done (ws, stmt, _("recording the sync"), error);
        }
    }
  else
    {
      stmt = cohort_workspace_prepare (ws,
                                       "INSERT OR IGNORE INTO temp.sync_desired (id_type, ident, ordinal) "
                                       "SELECT CASE WHEN id IS NOT NULL THEN 'id' ELSE 'email' END, "
                                       "       coalesce (id, email), ordinal "
                                       "FROM customers WHERE ordinal = ?", error);
      const CohortBitmap *members = cohort_evaluation_get_bitmap (evaluation);

      ok = stmt != NULL;
      for (gint64 bit = cohort_bitmap_next (members, 0); ok && bit >= 0;
           bit = cohort_bitmap_next (members, bit + 1))
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            ok = FALSE;
          else
            {
              sqlite3_reset (stmt);
              sqlite3_bind_int64 (stmt, 1, bit);
              ok = cohort_workspace_step_done (ws, stmt, _("recording the sync"), error);
            }
        }
    }

  if (!ok)
    {
      cohort_workspace_rollback (ws);
      return FALSE;
    }
  return cohort_workspace_commit (ws, error);
}

static gboolean
collect_ids (CohortWorkspace  *ws,
             const char       *sql,
             gint64            segment_id,
             GPtrArray       **out,
             GError          **error)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  for (guint t = 0; t < N_ID_TYPES; t++)
    {
      g_clear_pointer (&out[t], g_ptr_array_unref);
      out[t] = g_ptr_array_new_with_free_func (g_free);
    }
  sqlite3_bind_int64 (stmt, 1, segment_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *type = (const char *) sqlite3_column_text (stmt, 0);
      guint t = g_str_equal (type, "email") ? COHORT_CIO_ID_TYPE_EMAIL : COHORT_CIO_ID_TYPE_ID;

      g_ptr_array_add (out[t], g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return cohort_workspace_db_error (ws, error, _("comparing memberships"));
  return TRUE;
}

/* The difference between the members and what Customer.io confirmed. */
gboolean
cohort_sync_compute_diff (CohortWorkspace  *ws,
                          SyncItem         *item,
                          gboolean          collect_people,
                          GCancellable     *cancellable,
                          GError          **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (!fill_desired (ws, item, cancellable, error))
    return FALSE;

  if (!collect_ids (ws,
                    "SELECT id_type, ident FROM temp.sync_desired "
                    "EXCEPT SELECT id_type, ident FROM sync_pushed WHERE segment = ? "
                    "ORDER BY 1, 2", item->segment_id, item->add, error) ||
      !collect_ids (ws,
                    "SELECT id_type, ident FROM sync_pushed WHERE segment = ? "
                    "EXCEPT SELECT id_type, ident FROM temp.sync_desired "
                    "ORDER BY 1, 2", item->segment_id, item->remove, error))
    return FALSE;

  stmt = cohort_workspace_prepare (ws, "SELECT count(*) FROM temp.sync_desired", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  item->n_desired = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  sqlite3_reset (stmt);

  if (collect_people)
    {
      gboolean ok;

      if (!cohort_workspace_begin (ws, error))
        return FALSE;
      stmt = cohort_workspace_prepare (ws,
                                       "INSERT OR IGNORE INTO temp.sync_people (ordinal, id_type, ident) "
                                       "SELECT ordinal, id_type, ident FROM temp.sync_desired", error);
      ok = stmt != NULL && cohort_workspace_step_done (ws, stmt, _("recording the sync"), error);
      if (!ok)
        {
          cohort_workspace_rollback (ws);
          return FALSE;
        }
      if (!cohort_workspace_commit (ws, error))
        return FALSE;
    }

  item->has_diff = TRUE;
  return TRUE;
}

/* Items in outbox order, then the other segments by id. */
static GPtrArray *
collect_items (CohortWorkspace  *ws,
               GError          **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (ws,
                                   "SELECT segment, max(seq) FROM sync_outbox "
                                   "GROUP BY segment ORDER BY min(seq)", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SyncItem *item = g_new0 (SyncItem, 1);

      item->segment_id = sqlite3_column_int64 (stmt, 0);
      item->max_seq = sqlite3_column_int64 (stmt, 1);
      g_ptr_array_add (items, item);
      g_hash_table_insert (by_id, &item->segment_id, item);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading the sync outbox"));
      return NULL;
    }

  /* Segments with a link but no entry (e.g. deleted before the outbox existed) are
   * covered by the segments table or by their delete entry. */
  stmt = cohort_workspace_prepare (ws,
                                   "SELECT id, name, description, kind, active, criteria FROM segments "
                                   "ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      SyncItem *item = g_hash_table_lookup (by_id, &id);

      if (item == NULL)
        {
          item = g_new0 (SyncItem, 1);
          item->segment_id = id;
          g_ptr_array_add (items, item);
          g_hash_table_insert (by_id, &item->segment_id, item);
        }
      item->exists = TRUE;
      item->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      item->description = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      if (!cohort_segment_kind_from_string ((const char *) sqlite3_column_text (stmt, 3), &item->kind))
        item->kind = COHORT_SEGMENT_MANUAL;
      item->active = sqlite3_column_int (stmt, 4) != 0;
      if (item->kind == COHORT_SEGMENT_DATA_DRIVEN && sqlite3_column_text (stmt, 5) != NULL)
        item->criteria = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading segments"));
      return NULL;
    }

  for (guint i = 0; i < items->len; i++)
    {
      SyncItem *item = g_ptr_array_index (items, i);

      if (!cohort_sync_load_link (ws, item->segment_id, &item->link, error))
        return NULL;
      if (item->name == NULL)
        item->name = g_strdup (item->link.remote_name ? item->link.remote_name : "?");
    }
  return g_steal_pointer (&items);
}

static void
add_action (CohortSyncPlan       *plan,
            CohortSyncActionKind  kind,
            SyncItem             *item,
            guint64               count,
            guint                 n_requests)
{
  CohortSyncAction *action = g_new0 (CohortSyncAction, 1);

  action->kind = kind;
  action->segment_id = item ? item->segment_id : 0;
  action->segment_name = item ? g_strdup (item->name) : NULL;
  action->remote_id = item && item->link.state == LINK_LINKED ? item->link.remote_id : 0;
  action->count = count;
  action->n_requests = n_requests;
  g_ptr_array_add (plan->actions, action);
}

static gboolean
count_people_to_identify (CohortWorkspace  *ws,
                          CohortSyncPlan   *plan,
                          GError          **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (ws,
                                   "SELECT count(*) FROM temp.sync_people p WHERE NOT EXISTS "
                                   "(SELECT 1 FROM sync_identified i "
                                   " WHERE i.id_type = p.id_type AND i.ident = p.ident)", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  plan->n_identify = rc == SQLITE_ROW ? (guint64) sqlite3_column_int64 (stmt, 0) : 0;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    return cohort_workspace_db_error (ws, error, _("counting people"));
  /* An estimate: the exact split depends on the size of each person. */
  plan->n_identify_requests = (guint) ((plan->n_identify + 99) / 100);
  return TRUE;
}

CohortSyncPlan *
cohort_sync_build_plan (CohortWorkspace  *ws,
                        CohortSyncFlags   flags,
                        GCancellable     *cancellable,
                        GError          **error)
{
  g_autoptr(CohortSyncPlan) plan = g_new0 (CohortSyncPlan, 1);
  gboolean identify = (flags & COHORT_SYNC_IDENTIFY) != 0;

  plan->actions = g_ptr_array_new_with_free_func ((GDestroyNotify) action_free);
  plan->notes = g_ptr_array_new_with_free_func (g_free);
  plan->items = collect_items (ws, error);
  if (plan->items == NULL)
    return NULL;

  if (!cohort_workspace_exec (ws, desired_setup_sql, error) ||
      !cohort_workspace_exec (ws, "DELETE FROM temp.sync_people", error))
    return NULL;

  for (guint i = 0; i < plan->items->len; i++)
    {
      SyncItem *item = g_ptr_array_index (plan->items, i);
      g_autoptr(GError) local_error = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      if (!item->exists)
        {
          if (item->link.state == LINK_LINKED || item->link.state == LINK_PENDING)
            add_action (plan, COHORT_SYNC_ACTION_DELETE, item, 0, 1);
          continue;
        }
      if (!item->active)
        {
          item->skip = TRUE;
          g_ptr_array_add (plan->notes,
                           g_strdup_printf (_("“%s” is deactivated: not pushed"), item->name));
          continue;
        }
      if (item->link.state == LINK_UNLINKED)
        {
          item->skip = TRUE;
          g_ptr_array_add (plan->notes,
                           g_strdup_printf (_("“%s” was deleted in Customer.io: publish it again "
                                              "(relink) or deactivate it"), item->name));
          continue;
        }
      /* A data-driven segment without rules matches no one yet: it is not
       * created in Customer.io (nor emptied there) until it has rules. */
      if (item->kind == COHORT_SEGMENT_DATA_DRIVEN && item->criteria == NULL)
        {
          item->skip = TRUE;
          g_ptr_array_add (plan->notes,
                           g_strdup_printf (_("“%s” has no rules yet: not pushed"), item->name));
          continue;
        }
      if (!cohort_sync_compute_diff (ws, item, identify, cancellable, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          item->skip = TRUE;
          item->error = g_strdup (local_error->message);
          g_ptr_array_add (plan->notes, g_strdup (local_error->message));
          continue;
        }
      if (item->link.state == LINK_LINKED && item->link.remote_name != NULL &&
          g_strcmp0 (item->link.remote_name, item->name) != 0)
        /* Customer.io has no call to rename a segment. */
        g_ptr_array_add (plan->notes,
                         g_strdup_printf (_("“%s” keeps its first name “%s” in Customer.io, "
                                            "which cannot rename segments"),
                                          item->name, item->link.remote_name));
      if (item->link.state != LINK_LINKED)
        add_action (plan, COHORT_SYNC_ACTION_CREATE, item, 0, 1);
      if (item_n_remove (item) > 0)
        add_action (plan, COHORT_SYNC_ACTION_REMOVE, item, item_n_remove (item),
                    item_add_requests (item, FALSE));
      if (item_n_add (item) > 0)
        add_action (plan, COHORT_SYNC_ACTION_ADD, item, item_n_add (item),
                    item_add_requests (item, TRUE));
    }

  if (identify)
    {
      if (!count_people_to_identify (ws, plan, error))
        return NULL;
      if (plan->n_identify > 0)
        {
          add_action (plan, COHORT_SYNC_ACTION_IDENTIFY, NULL, plan->n_identify,
                      plan->n_identify_requests);
          /* People go first, so that Customer.io knows them when they are added. */
          g_ptr_array_insert (plan->actions, 0, g_ptr_array_steal_index (plan->actions,
                                                                         plan->actions->len - 1));
        }
    }
  return g_steal_pointer (&plan);
}

CohortSyncPlan *
cohort_sync_plan_new (CohortWorkspace  *ws,
                      CohortSyncFlags   flags,
                      GCancellable     *cancellable,
                      GError          **error)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  return cohort_sync_build_plan (ws, flags, cancellable, error);
}

guint
cohort_sync_plan_get_n_actions (CohortSyncPlan *plan)
{
  return plan->actions->len;
}

const CohortSyncAction *
cohort_sync_plan_get_action (CohortSyncPlan *plan,
                             guint           index)
{
  g_return_val_if_fail (index < plan->actions->len, NULL);
  return g_ptr_array_index (plan->actions, index);
}

guint
cohort_sync_plan_get_n_requests (CohortSyncPlan *plan)
{
  guint n = 0;

  for (guint i = 0; i < plan->actions->len; i++)
    n += ((CohortSyncAction *) g_ptr_array_index (plan->actions, i))->n_requests;
  return n;
}

GPtrArray *
cohort_sync_plan_get_notes (CohortSyncPlan *plan)
{
  return plan->notes;
}

static const char *
action_kind_to_string (CohortSyncActionKind kind)
{
  static const char *const names[] = { "create", "delete", "add", "remove", "identify" };

  return names[kind];
}

char *
cohort_sync_action_describe (const CohortSyncAction *action)
{
  switch (action->kind)
    {
    case COHORT_SYNC_ACTION_CREATE:
      return g_strdup_printf (_("create “%s”"), action->segment_name);
    case COHORT_SYNC_ACTION_DELETE:
      return g_strdup_printf (_("delete “%s”"), action->segment_name);
    case COHORT_SYNC_ACTION_ADD:
      return g_strdup_printf (_("add %" PRIu64 " to “%s”"),
                              action->count, action->segment_name);
    case COHORT_SYNC_ACTION_REMOVE:
      return g_strdup_printf (_("remove %" PRIu64 " from “%s”"),
                              action->count, action->segment_name);
    case COHORT_SYNC_ACTION_IDENTIFY:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "identify %" PRIu64 " person",
                                           "identify %" PRIu64 " people",
                                           (gulong) action->count),
                              action->count);
    default:
      g_return_val_if_reached (NULL);
    }
}

JsonNode *
cohort_sync_strings_to_json (GPtrArray *strings)
{
  g_autoptr(JsonArray) array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < strings->len; i++)
    json_array_add_string_element (array, g_ptr_array_index (strings, i));
  json_node_set_array (node, array);
  return node;
}

JsonNode *
cohort_sync_plan_to_json (CohortSyncPlan *plan)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "actions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < plan->actions->len; i++)
    {
      CohortSyncAction *action = g_ptr_array_index (plan->actions, i);
      g_autofree char *text = cohort_sync_action_describe (action);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "action");
      json_builder_add_string_value (builder, action_kind_to_string (action->kind));
      if (action->segment_id != 0)
        {
          json_builder_set_member_name (builder, "segment_id");
          json_builder_add_int_value (builder, action->segment_id);
          json_builder_set_member_name (builder, "segment");
          json_builder_add_string_value (builder, action->segment_name);
        }
      if (action->remote_id != 0)
        {
          json_builder_set_member_name (builder, "remote_id");
          json_builder_add_int_value (builder, action->remote_id);
        }
      if (action->kind != COHORT_SYNC_ACTION_CREATE && action->kind != COHORT_SYNC_ACTION_DELETE)
        {
          json_builder_set_member_name (builder, "count");
          json_builder_add_int_value (builder, (gint64) action->count);
        }
      json_builder_set_member_name (builder, "requests");
      json_builder_add_int_value (builder, action->n_requests);
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, text);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "requests");
  json_builder_add_int_value (builder, cohort_sync_plan_get_n_requests (plan));
  json_builder_set_member_name (builder, "notes");
  json_builder_add_value (builder, cohort_sync_strings_to_json (plan->notes));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
