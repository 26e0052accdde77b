/* cohort-sync.c: pull from and push to Customer.io
 *
 * Push works segment by segment, in the order of the outbox:
 *  - a local segment without a remote one gets a sync_links row in state
 *    'pending' (with a create_ref written into the remote description)
 *    committed before the create request; the confirmed remote id is
 *    recorded before anything else. A pending link found at the next sync
 *    means the answer was lost: the remote list is searched for create_ref
 *    before creating again, so a segment is never created twice.
 *  - the membership to send is the difference between the local members
 *    and sync_pushed (what Customer.io confirmed); every confirmed batch is
 *    recorded at once. add/remove_customers are idempotent, so a batch whose
 *    answer was lost is simply sent again.
 *  - outbox entries of a segment leave once all of the above is confirmed.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cohort-attrs.h"
#include "cohort-criteria.h"
#include "cohort-evaluator.h"
#include "cohort-outbox.h"
#include "cohort-segment.h"
#include "cohort-sync.h"
#include "cohort-value.h"

G_DEFINE_QUARK (cohort-sync-error-quark, cohort_sync_error)

#define N_ID_TYPES 2     /* COHORT_CIO_ID_TYPE_ID, COHORT_CIO_ID_TYPE_EMAIL */

/* Links */

typedef enum
{
  LINK_NONE,
  LINK_PENDING,
  LINK_LINKED,
  LINK_UNLINKED,
} LinkState;

typedef struct
{
  LinkState  state;
  gint64     remote_id;
  char      *create_ref;
  char      *remote_name;
  gint64     pending_since;
} Link;

static void
link_clear (Link *link)
{
  g_clear_pointer (&link->create_ref, g_free);
  g_clear_pointer (&link->remote_name, g_free);
  link->state = LINK_NONE;
  link->remote_id = 0;
}

static gboolean
load_link (CohortWorkspace  *ws,
           gint64            segment_id,
           Link             *link,
           GError          **error)
{
  sqlite3_stmt *stmt;
  int rc;

  link_clear (link);
  stmt = cohort_workspace_prepare (ws,
                                   "SELECT state, remote_id, create_ref, remote_name, pending_since "
                                   "FROM sync_links WHERE segment = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, segment_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *state = (const char *) sqlite3_column_text (stmt, 0);

      link->state = g_str_equal (state, "linked") ? LINK_LINKED
                  : g_str_equal (state, "unlinked") ? LINK_UNLINKED
                  : LINK_PENDING;
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

static gboolean
exec_with_segment (CohortWorkspace  *ws,
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

static gboolean
set_status (CohortWorkspace  *ws,
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
static gboolean
finish_transaction (CohortWorkspace  *ws,
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

/* Plan items: one per local segment that sync must look at */

typedef struct
{
  gint64             segment_id;
  char              *name;
  char              *description;
  char              *criteria;         /* data-driven: the criteria in words */
  CohortSegmentKind  kind;
  gboolean           exists;
  gboolean           active;
  gint64             max_seq;          /* last outbox entry seen (0: none) */
  Link               link;
  gboolean           skip;             /* not pushed (inactive, unlinked, error) */
  gboolean           has_diff;
  GPtrArray         *add[N_ID_TYPES];  /* char* identifiers */
  GPtrArray         *remove[N_ID_TYPES];
  gint64             n_desired;
  char              *error;            /* why the diff could not be computed */
} Item;

static void
item_free (Item *item)
{
  g_free (item->name);
  g_free (item->description);
  g_free (item->criteria);
  link_clear (&item->link);
  for (guint t = 0; t < N_ID_TYPES; t++)
    {
      g_clear_pointer (&item->add[t], g_ptr_array_unref);
      g_clear_pointer (&item->remove[t], g_ptr_array_unref);
    }
  g_free (item->error);
  g_free (item);
}

static guint64
item_n_add (Item *item)
{
  guint64 n = 0;

  for (guint t = 0; t < N_ID_TYPES; t++)
    n += item->add[t] ? item->add[t]->len : 0;
  return n;
}

static guint64
item_n_remove (Item *item)
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
item_add_requests (Item *item,
                   gboolean add)
{
  guint n = 0;

  for (guint t = 0; t < N_ID_TYPES; t++)
    {
      GPtrArray *ids = add ? item->add[t] : item->remove[t];

      n += ids ? batches (ids->len) : 0;
    }
  return n;
}

struct _CohortSyncPlan
{
  GPtrArray *items;      /* Item, in push order */
  GPtrArray *actions;    /* CohortSyncAction */
  GPtrArray *notes;      /* char* */
  guint64    n_identify;
  guint      n_identify_requests;
};

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
              Item             *item,
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
static gboolean
compute_diff (CohortWorkspace  *ws,
              Item             *item,
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
      Item *item = g_new0 (Item, 1);

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
      Item *item = g_hash_table_lookup (by_id, &id);

      if (item == NULL)
        {
          item = g_new0 (Item, 1);
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
      Item *item = g_ptr_array_index (items, i);

      if (!load_link (ws, item->segment_id, &item->link, error))
        return NULL;
      if (item->name == NULL)
        item->name = g_strdup (item->link.remote_name ? item->link.remote_name : "?");
    }
  return g_steal_pointer (&items);
}

static void
add_action (CohortSyncPlan       *plan,
            CohortSyncActionKind  kind,
            Item                 *item,
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

static CohortSyncPlan *
build_plan (CohortWorkspace  *ws,
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
      Item *item = g_ptr_array_index (plan->items, i);
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
      if (!compute_diff (ws, item, identify, cancellable, &local_error))
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
  return build_plan (ws, flags, cancellable, error);
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

static JsonNode *
strings_to_json (GPtrArray *strings)
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
  json_builder_add_value (builder, strings_to_json (plan->notes));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Reports */

static void
segment_result_free (CohortSyncSegmentResult *result)
{
  g_free (result->name);
  g_free (result);
}

static CohortSyncReport *
report_new (void)
{
  CohortSyncReport *report = g_new0 (CohortSyncReport, 1);

  report->done = g_ptr_array_new_with_free_func (g_free);
  report->failures = g_ptr_array_new_with_free_func (g_free);
  report->notes = g_ptr_array_new_with_free_func (g_free);
  report->segments = g_ptr_array_new_with_free_func ((GDestroyNotify) segment_result_free);
  return report;
}

void
cohort_sync_report_free (CohortSyncReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->done);
  g_ptr_array_unref (report->failures);
  g_ptr_array_unref (report->notes);
  g_ptr_array_unref (report->segments);
  g_free (report);
}

JsonNode *
cohort_sync_report_to_json (CohortSyncReport *report)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, report->failures->len == 0 && !report->cancelled);
  json_builder_set_member_name (builder, "cancelled");
  json_builder_add_boolean_value (builder, report->cancelled);
  json_builder_set_member_name (builder, "done");
  json_builder_add_value (builder, strings_to_json (report->done));
  json_builder_set_member_name (builder, "failures");
  json_builder_add_value (builder, strings_to_json (report->failures));
  json_builder_set_member_name (builder, "notes");
  json_builder_add_value (builder, strings_to_json (report->notes));
  json_builder_set_member_name (builder, "segments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < report->segments->len; i++)
    {
      CohortSyncSegmentResult *result = g_ptr_array_index (report->segments, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, result->segment_id);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, result->name);
      json_builder_set_member_name (builder, "remote_id");
      json_builder_add_int_value (builder, result->remote_id);
      json_builder_set_member_name (builder, "local_count");
      json_builder_add_int_value (builder, result->local_count);
      json_builder_set_member_name (builder, "remote_count");
      if (result->remote_count >= 0)
        json_builder_add_int_value (builder, result->remote_count);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "unknown_to_customerio");
      json_builder_add_int_value (builder, result->unknown);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "remote_segments");
  json_builder_add_int_value (builder, report->n_remote_segments);
  json_builder_set_member_name (builder, "requests");
  json_builder_add_int_value (builder, report->n_requests);
  json_builder_set_member_name (builder, "writes");
  json_builder_add_int_value (builder, report->n_writes);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Running */

typedef struct
{
  CohortWorkspace        *ws;
  CohortCioClient        *client;
  CohortSyncFlags         flags;
  GCancellable           *cancellable;
  CohortSyncProgressFunc  progress;
  gpointer                progress_data;
  guint                   done;
  guint                   total;
  CohortSyncReport       *report;
  GPtrArray              *remote;          /* CohortCioSegment, this run's list */
  GError                 *first_error;
  gboolean                stop;            /* no point going on (keys, network, cancelled) */
  gboolean                pushed_changed;  /* sync_pushed rows were dropped by identify */
} Ctx;

static void
report_progress (Ctx        *ctx,
                 const char *what)
{
  if (ctx->progress != NULL)
    ctx->progress (ctx->done, MAX (ctx->total, ctx->done), what, ctx->progress_data);
}

/* Records a failure; some failures stop the whole sync. Takes @error. */
static void
fail (Ctx    *ctx,
      GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      ctx->report->cancelled = TRUE;
      ctx->stop = TRUE;
    }
  else
    {
      g_ptr_array_add (ctx->report->failures, g_strdup (error->message));
      if (error->domain == COHORT_CIO_ERROR &&
          (error->code == COHORT_CIO_ERROR_UNAUTHORIZED ||
           error->code == COHORT_CIO_ERROR_NETWORK ||
           error->code == COHORT_CIO_ERROR_SERVER ||
           error->code == COHORT_CIO_ERROR_RATE_LIMITED ||
           error->code == COHORT_CIO_ERROR_REDIRECTED ||
           error->code == COHORT_CIO_ERROR_NO_CREDENTIALS))
        ctx->stop = TRUE;
      /* A database failure means nothing more can be recorded. */
      if (error->domain == COHORT_WORKSPACE_ERROR)
        ctx->stop = TRUE;
    }
  if (ctx->first_error == NULL)
    ctx->first_error = error;
  else
    g_error_free (error);
}

static void
fail_segment (Ctx    *ctx,
              Item   *item,
              GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      error->domain != COHORT_WORKSPACE_ERROR &&
      cohort_workspace_begin (ctx->ws, NULL))
    finish_transaction (ctx->ws,
                        set_status (ctx->ws, item->segment_id, "error", error->message,
                                    -1, -1, NULL),
                        NULL);
  fail (ctx, error);
}

static GPtrArray *
ensure_remote_list (Ctx     *ctx,
                    GError **error)
{
  if (ctx->remote == NULL)
    ctx->remote = cohort_cio_client_list_segments (ctx->client, ctx->cancellable, error);
  return ctx->remote;
}

static CohortCioSegment *
find_remote_by_id (GPtrArray *remote,
                   gint64     id)
{
  for (guint i = 0; remote != NULL && i < remote->len; i++)
    {
      CohortCioSegment *segment = g_ptr_array_index (remote, i);

      if (segment->id == id)
        return segment;
    }
  return NULL;
}

static CohortCioSegment *
find_remote_by_ref (GPtrArray  *remote,
                    const char *ref)
{
  g_autofree char *needle = g_strdup_printf ("[%s]", ref);

  for (guint i = 0; remote != NULL && i < remote->len; i++)
    {
      CohortCioSegment *segment = g_ptr_array_index (remote, i);

      if (segment->description != NULL && strstr (segment->description, needle) != NULL)
        return segment;
    }
  return NULL;
}

static gboolean
remote_id_is_linked (CohortWorkspace *ws,
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

/* The remote segment an unconfirmed create of @item made, if any: the one
 * whose description carries create_ref; failing that (a server that drops
 * descriptions), a manual segment of the same name created since the
 * create was first tried that no other local segment owns. */
static CohortCioSegment *
find_created (Ctx       *ctx,
              GPtrArray *remote,
              Item      *item)
{
  CohortCioSegment *found = find_remote_by_ref (remote, item->link.create_ref);

  if (found != NULL || item->link.pending_since == 0)
    return found;
  for (guint i = 0; i < remote->len; i++)
    {
      CohortCioSegment *segment = g_ptr_array_index (remote, i);

      if (g_strcmp0 (segment->type, "manual") == 0 &&
          g_strcmp0 (segment->name, item->link.remote_name) == 0 &&
          segment->created_at >= item->link.pending_since - 600 &&
          !remote_id_is_linked (ctx->ws, segment->id))
        return segment;
    }
  return NULL;
}

static gboolean
record_linked (Ctx      *ctx,
               Item     *item,
               gint64    remote_id,
               GError  **error)
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
  if (!finish_transaction (ctx->ws, ok, error))
    return FALSE;
  item->link.state = LINK_LINKED;
  item->link.remote_id = remote_id;
  return TRUE;
}

static gboolean
record_pending (Ctx      *ctx,
                Item     *item,
                GError  **error)
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
  ok = ok && exec_with_segment (ctx->ws, "DELETE FROM sync_pushed WHERE segment = ?",
                                item->segment_id, error);
  if (!finish_transaction (ctx->ws, ok, error))
    return FALSE;
  item->link.state = LINK_PENDING;
  item->link.pending_since = cohort_now_real ();
  g_free (item->link.remote_name);
  item->link.remote_name = g_strdup (item->name);
  g_free (item->link.create_ref);
  item->link.create_ref = g_steal_pointer (&ref);
  return TRUE;
}

static gboolean
mark_unlinked (Ctx   *ctx,
               Item  *item)
{
  g_autofree char *message = NULL;
  gboolean ok;

  message = g_strdup_printf (_("“%s” was deleted in Customer.io: publish it again "
                               "or deactivate it"), item->name);
  if (!cohort_workspace_begin (ctx->ws, NULL))
    return FALSE;
  ok = exec_with_segment (ctx->ws, "UPDATE sync_links SET state = 'unlinked' WHERE segment = ?",
                          item->segment_id, NULL) &&
       exec_with_segment (ctx->ws, "DELETE FROM sync_pushed WHERE segment = ?",
                          item->segment_id, NULL) &&
       set_status (ctx->ws, item->segment_id, "unlinked", message, -1, -1, NULL);
  if (!finish_transaction (ctx->ws, ok, NULL))
    return FALSE;
  item->link.state = LINK_UNLINKED;
  if (ctx->first_error == NULL)
    ctx->first_error = g_error_new_literal (COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND, message);
  g_ptr_array_add (ctx->report->failures, g_steal_pointer (&message));
  return TRUE;
}

static char *
segment_name_for_describe (gint64   segment_id,
                           gpointer user_data)
{
  g_autoptr(CohortSegment) segment = cohort_segments_get (user_data, segment_id, NULL);

  return segment ? g_strdup (cohort_segment_get_name (segment)) : NULL;
}

/* The user's description, the criteria in words (so that the segment can be
 * rebuilt in Customer.io's own builder), and the create reference. */
static char *
remote_description (CohortWorkspace *ws,
                    Item            *item,
                    const char      *ref)
{
  GString *text = g_string_new (NULL);

  if (item->description != NULL && *item->description != '\0')
    g_string_append_printf (text, "%s\n\n", item->description);
  if (item->criteria != NULL)
    {
      g_autoptr(CohortCriteria) criteria = cohort_criteria_parse (item->criteria, NULL);
      g_autofree char *words = NULL;

      if (criteria != NULL)
        words = cohort_criteria_describe (criteria, segment_name_for_describe, ws);
      if (words != NULL)
        {
          /* Keep the description reasonable for a long criteria tree. */
          if (g_utf8_strlen (words, -1) > 1000)
            {
              g_autofree char *cut = g_utf8_substring (words, 0, 1000);
              g_string_append_printf (text, _("Criteria: %s…"), cut);
            }
          else
            g_string_append_printf (text, _("Criteria: %s"), words);
          g_string_append (text, "\n\n");
        }
    }
  g_string_append_printf (text, "%s [%s]", _("Published by Cohort."), ref);
  return g_string_free (text, FALSE);
}

/* Makes sure @item has a remote segment; never creates one twice. */
static gboolean
ensure_created (Ctx   *ctx,
                Item  *item)
{
  GError *error = NULL;

  if (item->link.state == LINK_LINKED)
    {
      if (ctx->remote != NULL && find_remote_by_id (ctx->remote, item->link.remote_id) == NULL)
        {
          mark_unlinked (ctx, item);
          return FALSE;
        }
      return TRUE;
    }

  if (item->link.state == LINK_PENDING)
    {
      /* An earlier create may have gone through: look before creating again. */
      GPtrArray *remote = ensure_remote_list (ctx, &error);
      CohortCioSegment *found;

      if (remote == NULL)
        {
          fail_segment (ctx, item, error);
          return FALSE;
        }
      found = find_created (ctx, remote, item);
      if (found != NULL)
        {
          if (!record_linked (ctx, item, found->id, &error))
            {
              fail (ctx, error);
              return FALSE;
            }
          g_debug ("Adopted remote segment %" PRId64 " for “%s”", found->id, item->name);
          return TRUE;
        }
    }
  else if (!record_pending (ctx, item, &error))
    {
      fail (ctx, error);
      return FALSE;
    }

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr(CohortCioSegment) created = NULL;
      g_autofree char *description = remote_description (ctx->ws, item, item->link.create_ref);
      CohortCioSegment *found;
      GPtrArray *remote;

      created = cohort_cio_client_create_segment (ctx->client, item->name, description,
                                                  ctx->cancellable, &error);
      if (created != NULL)
        {
          /* The remote id first, before anything else. */
          if (!record_linked (ctx, item, created->id, &error))
            {
              fail (ctx, error);
              return FALSE;
            }
          ctx->done++;
          g_ptr_array_add (ctx->report->done, g_strdup_printf (_("created “%s”"), item->name));
          report_progress (ctx, NULL);
          return TRUE;
        }
      if (!g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_UNCERTAIN))
        {
          fail_segment (ctx, item, error);
          return FALSE;
        }

      /* No clear answer: did it go through? */
      g_debug ("%s", error->message);
      g_clear_pointer (&ctx->remote, g_ptr_array_unref);
      remote = ensure_remote_list (ctx, NULL);
      if (remote == NULL)
        {
          fail_segment (ctx, item, error);
          return FALSE;
        }
      found = find_created (ctx, remote, item);
      if (found != NULL)
        {
          g_clear_error (&error);
          if (!record_linked (ctx, item, found->id, &error))
            {
              fail (ctx, error);
              return FALSE;
            }
          ctx->done++;
          g_ptr_array_add (ctx->report->done, g_strdup_printf (_("created “%s”"), item->name));
          report_progress (ctx, NULL);
          return TRUE;
        }
      if (attempt == 1)
        {
          fail_segment (ctx, item, error);
          return FALSE;
        }
      g_clear_error (&error);
    }
  g_assert_not_reached ();
}

static gboolean
record_batch (Ctx                *ctx,
              Item               *item,
              gboolean            add,
              CohortCioIdType     id_type,
              const char * const *ids,
              guint               n_ids,
              GError            **error)
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
  return finish_transaction (ctx->ws, ok, error);
}

static gboolean
push_membership (Ctx      *ctx,
                 Item     *item,
                 gboolean  add)
{
  for (guint t = 0; t < N_ID_TYPES; t++)
    {
      GPtrArray *ids = add ? item->add[t] : item->remove[t];

      for (guint start = 0; ids != NULL && start < ids->len; start += COHORT_CIO_MAX_IDS_PER_BATCH)
        {
          guint n = MIN (COHORT_CIO_MAX_IDS_PER_BATCH, ids->len - start);
          const char * const *batch = (const char * const *) ids->pdata + start;
          GError *error = NULL;
          gboolean ok;

          if (add)
            ok = cohort_cio_client_add_customers (ctx->client, item->link.remote_id, t, batch, n,
                                                  ctx->cancellable, &error);
          else
            ok = cohort_cio_client_remove_customers (ctx->client, item->link.remote_id, t, batch, n,
                                                     ctx->cancellable, &error);
          if (!ok)
            {
              if (g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND))
                {
                  g_error_free (error);
                  mark_unlinked (ctx, item);
                }
              else
                fail_segment (ctx, item, error);
              return FALSE;
            }
          if (!record_batch (ctx, item, add, t, batch, n, &error))
            {
              fail (ctx, error);
              return FALSE;
            }
          ctx->done++;
          g_ptr_array_add (ctx->report->done,
                           g_strdup_printf (add ? _("added %u to “%s”") : _("removed %u from “%s”"),
                                            n, item->name));
          report_progress (ctx, NULL);
        }
    }
  return TRUE;
}

static void
push_segment (Ctx  *ctx,
              Item *item)
{
  CohortSyncSegmentResult *result;
  GError *error = NULL;
  gint64 remote_count;
  gboolean ok;

  if (!ensure_created (ctx, item))
    return;

  if (!item->has_diff || ctx->pushed_changed)
    {
      if (!compute_diff (ctx->ws, item, FALSE, ctx->cancellable, &error))
        {
          fail_segment (ctx, item, error);
          return;
        }
    }

  /* Removals first: when a customer's identifier changed (an email-only
   * customer got an id), removing the old one and then adding the new one
   * leaves the person in; the other order would take them out. */
  if (!push_membership (ctx, item, FALSE) || !push_membership (ctx, item, TRUE))
    return;

  /* Customer.io ignores ids it does not know: compare the counts. */
  remote_count = cohort_cio_client_get_customer_count (ctx->client, item->link.remote_id,
                                                       ctx->cancellable, &error);
  if (remote_count < 0)
    {
      if (g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND))
        {
          g_error_free (error);
          mark_unlinked (ctx, item);
        }
      else
        fail_segment (ctx, item, error);
      return;
    }

  if (!cohort_workspace_begin (ctx->ws, &error))
    {
      fail (ctx, error);
      return;
    }
  ok = cohort_outbox_remove (ctx->ws, item->segment_id, item->max_seq, &error) &&
       set_status (ctx->ws, item->segment_id, "synced", NULL, item->n_desired, remote_count, &error);
  if (!finish_transaction (ctx->ws, ok, &error))
    {
      fail (ctx, error);
      return;
    }

  result = g_new0 (CohortSyncSegmentResult, 1);
  result->segment_id = item->segment_id;
  result->name = g_strdup (item->name);
  result->remote_id = item->link.remote_id;
  result->local_count = item->n_desired;
  result->remote_count = remote_count;
  result->unknown = MAX (item->n_desired - remote_count, 0);
  g_ptr_array_add (ctx->report->segments, result);
  if (result->unknown > 0)
    g_ptr_array_add (ctx->report->notes,
                     g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                   "%" PRId64 " member of “%s” is unknown to "
                                                   "Customer.io (push people to add them)",
                                                   "%" PRId64 " members of “%s” are unknown to "
                                                   "Customer.io (push people to add them)",
                                                   (gulong) result->unknown),
                                      result->unknown, item->name));
}

/* A local segment was deleted: delete the remote one Cohort created. */
static void
push_delete (Ctx  *ctx,
             Item *item)
{
  GError *error = NULL;
  gint64 remote_id = item->link.remote_id;
  gboolean deleted = FALSE;
  gboolean ok;

  if (item->link.state == LINK_PENDING)
    {
      GPtrArray *remote = ensure_remote_list (ctx, &error);
      CohortCioSegment *found;

      if (remote == NULL)
        {
          fail (ctx, error);
          return;
        }
      found = find_created (ctx, remote, item);
      remote_id = found ? found->id : 0;
    }
  else if (item->link.state != LINK_LINKED)
    remote_id = 0;

  if (remote_id != 0)
    {
      gint64 used = cohort_cio_client_get_used_by (ctx->client, remote_id, ctx->cancellable, &error);

      if (used < 0 && !g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND))
        {
          fail (ctx, error);
          return;
        }
      g_clear_error (&error);
      if (used > 0)
        g_ptr_array_add (ctx->report->notes,
                         g_strdup_printf (_("“%s” was deleted here but is kept in Customer.io: "
                                            "campaigns or newsletters use it"), item->name));
      else if (used == 0)
        {
          if (!cohort_cio_client_delete_segment (ctx->client, remote_id, ctx->cancellable, &error) &&
              !g_error_matches (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND))
            {
              fail (ctx, error);
              return;
            }
          g_clear_error (&error);
          deleted = TRUE;
        }
    }

  if (!cohort_workspace_begin (ctx->ws, &error))
    {
      fail (ctx, error);
      return;
    }
  ok = exec_with_segment (ctx->ws, "DELETE FROM sync_links WHERE segment = ?", item->segment_id, &error) &&
       exec_with_segment (ctx->ws, "DELETE FROM sync_pushed WHERE segment = ?", item->segment_id, &error) &&
       exec_with_segment (ctx->ws, "DELETE FROM sync_status WHERE segment = ?", item->segment_id, &error) &&
       cohort_outbox_remove (ctx->ws, item->segment_id, item->max_seq, &error);
  if (!finish_transaction (ctx->ws, ok, &error))
    {
      fail (ctx, error);
      return;
    }
  if (deleted)
    {
      ctx->done++;
      g_ptr_array_add (ctx->report->done, g_strdup_printf (_("deleted “%s”"), item->name));
      report_progress (ctx, NULL);
    }
}

/* Outbox entries that need no request (a segment created and deleted before
 * any sync, a deactivated segment's own entry) leave without one. */
static void
drop_entries (Ctx  *ctx,
              Item *item)
{
  GError *error = NULL;
  gboolean ok;

  if (item->max_seq == 0)
    return;
  if (!cohort_workspace_begin (ctx->ws, &error))
    {
      fail (ctx, error);
      return;
    }
  ok = cohort_outbox_remove (ctx->ws, item->segment_id, item->max_seq, &error) &&
       exec_with_segment (ctx->ws, "DELETE FROM sync_status WHERE segment = ?",
                          item->segment_id, &error);
  if (!finish_transaction (ctx->ws, ok, &error))
    fail (ctx, error);
}

/* Identify */

static JsonNode *
attribute_value_node (const char *value,
                      gsize       len,
                      const char *type)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *text = g_strndup (value, len);
  double number;
  gint64 timestamp;

  if (g_strcmp0 (type, "number") == 0 && cohort_value_parse_number (text, len, &number))
    json_node_set_double (node, number);
  else if (g_strcmp0 (type, "timestamp") == 0 && cohort_value_parse_timestamp (text, len, &timestamp))
    json_node_set_int (node, timestamp);
  else if (g_strcmp0 (type, "boolean") == 0 &&
           cohort_value_parse_bool (text, len) != COHORT_BOOL_NEITHER)
    json_node_set_boolean (node, cohort_value_parse_bool (text, len) == COHORT_BOOL_TRUE);
  else
    json_node_set_string (node, text);
  return node;
}

typedef struct
{
  char *name;
  char *type;
} AttrInfo;

static void
attr_info_free (AttrInfo *info)
{
  g_free (info->name);
  g_free (info->type);
  g_free (info);
}

static GHashTable *
load_attributes (CohortWorkspace  *ws,
                 GError          **error)
{
  g_autoptr(GHashTable) attrs = g_hash_table_new_full (NULL, NULL, NULL,
                                                       (GDestroyNotify) attr_info_free);
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, "SELECT id, name, type FROM attributes", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      AttrInfo *info = g_new0 (AttrInfo, 1);

      info->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      info->type = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      g_hash_table_insert (attrs, GUINT_TO_POINTER ((guint) sqlite3_column_int64 (stmt, 0)), info);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading attributes"));
      return NULL;
    }
  return g_steal_pointer (&attrs);
}

typedef struct
{
  char *id_type;
  char *ident;
} Person;

static void
person_free (Person *person)
{
  g_free (person->id_type);
  g_free (person->ident);
  g_free (person);
}

static gboolean
send_identify_batch (Ctx        *ctx,
                     JsonArray  *ops,
                     GPtrArray  *people)
{
  g_autoptr(GPtrArray) refused = NULL;
  g_autoptr(GHashTable) refused_index = g_hash_table_new (NULL, NULL);
  GError *error = NULL;
  sqlite3_stmt *mark = NULL;
  sqlite3_stmt *unpush = NULL;
  gboolean ok;
  guint n_ok = 0;

  refused = cohort_cio_client_batch (ctx->client, ops, ctx->cancellable, &error);
  if (refused == NULL)
    {
      fail (ctx, error);
      return FALSE;
    }
  for (guint i = 0; i < refused->len; i++)
    {
      CohortCioBatchError *err = g_ptr_array_index (refused, i);

      g_hash_table_add (refused_index, GUINT_TO_POINTER (err->batch_index + 1));
      if (err->batch_index < people->len)
        g_ptr_array_add (ctx->report->failures,
                         g_strdup_printf (_("Customer.io refused person “%s”: %s"),
                                          ((Person *) g_ptr_array_index (people, err->batch_index))->ident,
                                          err->message));
    }
  if (refused->len > 0 && ctx->first_error == NULL)
    ctx->first_error = g_error_new (COHORT_CIO_ERROR, COHORT_CIO_ERROR_BAD_REQUEST,
                                    _("Customer.io refused %u people"), refused->len);

  if (!cohort_workspace_begin (ctx->ws, &error))
    {
      fail (ctx, error);
      return FALSE;
    }
  mark = cohort_workspace_prepare (ctx->ws,
                                   "INSERT OR REPLACE INTO sync_identified (id_type, ident, identified_at) "
                                   "VALUES (?, ?, ?)", &error);
  ok = mark != NULL;
  if (ok)
    /* Customer.io ignored them when they were added before it knew them: add again. */
    unpush = cohort_workspace_prepare (ctx->ws,
                                       "DELETE FROM sync_pushed WHERE id_type = ? AND ident = ?",
                                       &error);
  ok = ok && unpush != NULL;
  for (guint i = 0; ok && i < people->len; i++)
    {
      Person *person = g_ptr_array_index (people, i);

      if (g_hash_table_contains (refused_index, GUINT_TO_POINTER (i + 1)))
        continue;
      sqlite3_reset (mark);
      sqlite3_bind_text (mark, 1, person->id_type, -1, SQLITE_STATIC);
      sqlite3_bind_text (mark, 2, person->ident, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (mark, 3, cohort_now_real ());
      ok = cohort_workspace_step_done (ctx->ws, mark, _("recording the sync"), &error);
      if (ok)
        {
          sqlite3_reset (unpush);
          sqlite3_bind_text (unpush, 1, person->id_type, -1, SQLITE_STATIC);
          sqlite3_bind_text (unpush, 2, person->ident, -1, SQLITE_STATIC);
          ok = cohort_workspace_step_done (ctx->ws, unpush, _("recording the sync"), &error);
          if (ok && sqlite3_changes (cohort_workspace_get_db (ctx->ws)) > 0)
            ctx->pushed_changed = TRUE;
        }
      n_ok++;
    }
  if (!finish_transaction (ctx->ws, ok, &error))
    {
      fail (ctx, error);
      return FALSE;
    }
  ctx->done++;
  g_ptr_array_add (ctx->report->done,
                   g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "identified %u person",
                                                 "identified %u people", n_ok), n_ok));
  report_progress (ctx, NULL);
  return TRUE;
}

static JsonNode *
person_op (const char   *id_type,
           const char   *ident,
           const char   *email,
           const guint8 *blob,
           gsize         blob_len,
           GHashTable   *attributes,
           guint        *n_dropped)
{
  g_autoptr(JsonObject) op = json_object_new ();
  g_autoptr(JsonObject) identifiers = json_object_new ();
  g_autoptr(JsonObject) attrs = json_object_new ();
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  JsonNode *node;
  guint n_attrs = 0;

  json_object_set_string_member (identifiers, id_type, ident);
  if (email != NULL && g_str_equal (id_type, "id"))
    {
      json_object_set_string_member (attrs, "email", email);
      n_attrs++;
    }
  if (blob != NULL && cohort_attrs_decode (blob, blob_len, entries))
    {
      for (guint i = 0; i < entries->len; i++)
        {
          CohortAttrEntry *entry = &g_array_index (entries, CohortAttrEntry, i);
          AttrInfo *info = g_hash_table_lookup (attributes, GUINT_TO_POINTER (entry->attr));

          if (info == NULL || g_str_equal (info->name, "id") || g_str_equal (info->name, "email"))
            continue;
          /* Customer.io's limits per person. */
          if (strlen (info->name) > 150 || entry->len > 1000 || n_attrs >= 300)
            {
              (*n_dropped)++;
              continue;
            }
          json_object_set_member (attrs, info->name,
                                  attribute_value_node (entry->value, entry->len, info->type));
          n_attrs++;
        }
    }

  json_object_set_string_member (op, "type", "person");
  json_object_set_object_member (op, "identifiers", g_steal_pointer (&identifiers));
  json_object_set_string_member (op, "action", "identify");
  json_object_set_object_member (op, "attributes", g_steal_pointer (&attrs));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, op);
  return node;
}

static void
push_identify (Ctx *ctx)
{
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) person_free);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr(JsonArray) ops = NULL;
  g_autoptr(GPtrArray) batch_people = g_ptr_array_new ();
  GError *error = NULL;
  sqlite3_stmt *stmt;
  gsize batch_bytes;
  guint n_dropped = 0;
  guint n_skipped = 0;
  int rc;

  attributes = load_attributes (ctx->ws, &error);
  if (attributes == NULL)
    {
      fail (ctx, error);
      return;
    }

  /* Read everything first: the statement must not stay open across requests. */
  stmt = cohort_workspace_prepare (ctx->ws,
                                   "SELECT p.id_type, p.ident, c.email, c.attrs "
                                   "FROM temp.sync_people p JOIN customers c ON c.ordinal = p.ordinal "
                                   "WHERE NOT EXISTS (SELECT 1 FROM sync_identified i "
                                   "  WHERE i.id_type = p.id_type AND i.ident = p.ident) "
                                   "ORDER BY p.ordinal", &error);
  if (stmt == NULL)
    {
      fail (ctx, error);
      return;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *id_type = (const char *) sqlite3_column_text (stmt, 0);
      const char *ident = (const char *) sqlite3_column_text (stmt, 1);
      const char *email = (const char *) sqlite3_column_text (stmt, 2);
      g_autoptr(JsonNode) op = NULL;
      g_autofree char *text = NULL;
      Person *person;
      gsize size;

      if (strlen (ident) > 150)
        {
          n_skipped++;
          continue;
        }
      op = person_op (id_type, ident, email, sqlite3_column_blob (stmt, 3),
                      (gsize) sqlite3_column_bytes (stmt, 3), attributes, &n_dropped);
      text = json_to_string (op, FALSE);
      size = strlen (text);
      if (size > COHORT_CIO_BATCH_OP_MAX_BYTES)
        {
          n_skipped++;
          continue;
        }
      person = g_new0 (Person, 1);
      person->id_type = g_strdup (id_type);
      person->ident = g_strdup (ident);
      g_ptr_array_add (people, person);
      g_ptr_array_add (nodes, g_steal_pointer (&op));
      g_array_append_val (sizes, size);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ctx->ws, &error, _("reading people"));
      fail (ctx, error);
      return;
    }

  /* Batches under the total size limit ({"batch":[...]} plus commas). */
  ops = json_array_new ();
  batch_bytes = 16;
  for (guint i = 0; i < people->len && !ctx->stop; i++)
    {
      gsize size = g_array_index (sizes, gsize, i) + 1;

      if (json_array_get_length (ops) > 0 && batch_bytes + size > COHORT_CIO_BATCH_MAX_BYTES)
        {
          if (!send_identify_batch (ctx, ops, batch_people))
            return;
          json_array_unref (ops);
          ops = json_array_new ();
          g_ptr_array_set_size (batch_people, 0);
          batch_bytes = 16;
        }
      json_array_add_element (ops, json_node_ref (g_ptr_array_index (nodes, i)));
      g_ptr_array_add (batch_people, g_ptr_array_index (people, i));
      batch_bytes += size;
    }
  if (!ctx->stop && json_array_get_length (ops) > 0 && !send_identify_batch (ctx, ops, batch_people))
    return;

  if (n_skipped > 0)
    g_ptr_array_add (ctx->report->notes,
                     g_strdup_printf (_("%u people were not sent: their id or attributes are "
                                        "over Customer.io’s limits"), n_skipped));
  if (n_dropped > 0)
    g_ptr_array_add (ctx->report->notes,
                     g_strdup_printf (_("%u attribute values were left out: over Customer.io’s "
                                        "limits (1000 bytes a value, 300 attributes)"), n_dropped));
}

/* Pull */

static gboolean
store_remote_segments (CohortWorkspace  *ws,
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
  return finish_transaction (ws, ok, error);
}

static void
pull_segments (Ctx *ctx)
{
  GError *error = NULL;
  GPtrArray *remote;

  g_clear_pointer (&ctx->remote, g_ptr_array_unref);
  remote = ensure_remote_list (ctx, &error);
  if (remote == NULL)
    {
      fail (ctx, error);
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
          fail (ctx, error);
          return;
        }
    }
  if (!store_remote_segments (ctx->ws, remote, &error))
    {
      fail (ctx, error);
      return;
    }
  ctx->report->n_remote_segments = remote->len;
}

/* One sync at a time per workspace (the window and the command line could
 * otherwise both create the same segment). The kernel drops the lock when
 * the process dies, so a killed sync never blocks the next one. */
static int
lock_workspace (CohortWorkspace  *ws,
                GError          **error)
{
  g_autofree char *path = g_strconcat (cohort_workspace_get_path (ws), ".sync-lock", NULL);
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot lock the workspace for sync: %s"), g_strerror (saved_errno));
      return -1;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      close (fd);
      g_set_error_literal (error, COHORT_SYNC_ERROR, COHORT_SYNC_ERROR_BUSY,
                           _("Another sync of this workspace is running; try again when it ends"));
      return -1;
    }
  return fd;
}

static gboolean
sync_run_locked (CohortWorkspace         *ws,
                 CohortCioClient         *client,
                 CohortSyncFlags          flags,
                 CohortSyncProgressFunc   progress,
                 gpointer                 progress_data,
                 CohortSyncReport       **report_out,
                 GCancellable            *cancellable,
                 GError                 **error);

gboolean
cohort_sync_run (CohortWorkspace         *ws,
                 CohortCioClient         *client,
                 CohortSyncFlags          flags,
                 CohortSyncProgressFunc   progress,
                 gpointer                 progress_data,
                 CohortSyncReport       **report_out,
                 GCancellable            *cancellable,
                 GError                 **error)
{
  g_autoptr(GError) lock_error = NULL;
  gboolean ok;
  int fd;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);
  g_return_val_if_fail (COHORT_IS_CIO_CLIENT (client), FALSE);

  fd = lock_workspace (ws, &lock_error);
  if (fd < 0)
    {
      if (report_out != NULL)
        {
          *report_out = report_new ();
          g_ptr_array_add ((*report_out)->failures, g_strdup (lock_error->message));
        }
      g_propagate_error (error, g_steal_pointer (&lock_error));
      return FALSE;
    }
  ok = sync_run_locked (ws, client, flags, progress, progress_data, report_out, cancellable, error);
  flock (fd, LOCK_UN);
  close (fd);
  return ok;
}

static gboolean
sync_run_locked (CohortWorkspace         *ws,
                 CohortCioClient         *client,
                 CohortSyncFlags          flags,
                 CohortSyncProgressFunc   progress,
                 gpointer                 progress_data,
                 CohortSyncReport       **report_out,
                 GCancellable            *cancellable,
                 GError                 **error)
{
  g_autoptr(CohortSyncReport) report = report_new ();
  g_autoptr(CohortSyncPlan) plan = NULL;
  Ctx ctx = { 0 };
  guint requests_before;
  guint writes_before;
  gboolean ok;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);
  g_return_val_if_fail (COHORT_IS_CIO_CLIENT (client), FALSE);

  ctx.ws = ws;
  ctx.client = client;
  ctx.flags = flags;
  ctx.cancellable = cancellable;
  ctx.progress = progress;
  ctx.progress_data = progress_data;
  ctx.report = report;
  requests_before = cohort_cio_client_get_n_requests (client);
  writes_before = cohort_cio_client_get_n_writes (client);

  if (!cohort_cio_client_ensure_region (client, cancellable, &ctx.first_error))
    fail (&ctx, g_error_copy (ctx.first_error));

  if (!ctx.stop && (flags & COHORT_SYNC_PULL) != 0)
    pull_segments (&ctx);

  if (!ctx.stop && (flags & COHORT_SYNC_PUSH) != 0)
    {
      GError *local_error = NULL;

      plan = build_plan (ws, flags, cancellable, &local_error);
      if (plan == NULL)
        fail (&ctx, local_error);
    }

  if (plan != NULL)
    {
      gboolean need_list = FALSE;

      ctx.total = cohort_sync_plan_get_n_requests (plan);
      for (guint i = 0; i < plan->notes->len; i++)
        g_ptr_array_add (report->notes, g_strdup (g_ptr_array_index (plan->notes, i)));
      report_progress (&ctx, NULL);

      /* The remote list tells which linked segments were deleted in Customer.io. */
      for (guint i = 0; i < plan->items->len; i++)
        {
          Item *item = g_ptr_array_index (plan->items, i);

          if (item->exists && item->active && !item->skip && item->link.state == LINK_LINKED)
            need_list = TRUE;
        }
      if (need_list)
        {
          GError *local_error = NULL;

          if (ensure_remote_list (&ctx, &local_error) == NULL)
            fail (&ctx, local_error);
        }

      if (!ctx.stop && (flags & COHORT_SYNC_IDENTIFY) != 0 && plan->n_identify > 0)
        push_identify (&ctx);

      for (guint i = 0; i < plan->items->len && !ctx.stop; i++)
        {
          Item *item = g_ptr_array_index (plan->items, i);

          if (g_cancellable_is_cancelled (cancellable))
            {
              fail (&ctx, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled")));
              break;
            }
          if (!item->exists)
            {
              if (item->link.state == LINK_NONE)
                drop_entries (&ctx, item);
              else
                push_delete (&ctx, item);
            }
          else if (item->error != NULL)
            fail_segment (&ctx, item,
                          g_error_new_literal (COHORT_SYNC_ERROR, COHORT_SYNC_ERROR_CANNOT_EVALUATE,
                                               item->error));
          else if (!item->skip)
            push_segment (&ctx, item);
        }
    }

  if (g_cancellable_is_cancelled (cancellable))
    report->cancelled = TRUE;
  report->n_requests = cohort_cio_client_get_n_requests (client) - requests_before;
  report->n_writes = cohort_cio_client_get_n_writes (client) - writes_before;
  g_clear_pointer (&ctx.remote, g_ptr_array_unref);

  ok = ctx.first_error == NULL && !report->cancelled;
  if (!ok)
    {
      if (ctx.first_error != NULL)
        g_propagate_error (error, ctx.first_error);
      else
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Sync cancelled"));
    }
  if (report_out != NULL)
    *report_out = g_steal_pointer (&report);
  return ok;
}

/* Async */

typedef struct
{
  char                   *path;
  CohortCredentials      *creds;
  CohortSyncFlags         flags;
  CohortSyncProgressFunc  progress;
  gpointer                progress_data;
  GMainContext           *context;
} RunData;

static void
run_data_free (RunData *data)
{
  g_free (data->path);
  cohort_credentials_free (data->creds);
  g_main_context_unref (data->context);
  g_free (data);
}

typedef struct
{
  CohortSyncProgressFunc  func;
  gpointer                data;
  guint                   done;
  guint                   total;
  char                   *what;
} ProgressCall;

static gboolean
progress_idle (gpointer user_data)
{
  ProgressCall *call = user_data;

  call->func (call->done, call->total, call->what, call->data);
  return G_SOURCE_REMOVE;
}

static void
progress_call_free (ProgressCall *call)
{
  g_free (call->what);
  g_free (call);
}

static void
thread_progress (guint       done,
                 guint       total,
                 const char *what,
                 gpointer    user_data)
{
  RunData *data = user_data;
  ProgressCall *call = g_new0 (ProgressCall, 1);

  call->func = data->progress;
  call->data = data->progress_data;
  call->done = done;
  call->total = total;
  call->what = g_strdup (what);
  g_main_context_invoke_full (data->context, G_PRIORITY_DEFAULT, progress_idle, call,
                              (GDestroyNotify) progress_call_free);
}

typedef struct
{
  CohortSyncReport *report;
  GError           *error;
} RunResult;

static void
run_result_free (RunResult *result)
{
  cohort_sync_report_free (result->report);
  g_clear_error (&result->error);
  g_free (result);
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  RunData *data = task_data;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(CohortCioClient) client = NULL;
  RunResult *result;
  GError *error = NULL;

  ws = cohort_workspace_open (data->path, COHORT_WORKSPACE_OPEN_NONE, &error);
  if (ws == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  client = cohort_cio_client_new (data->creds, &error);
  if (client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  result = g_new0 (RunResult, 1);
  cohort_sync_run (ws, client, data->flags, data->progress ? thread_progress : NULL, data,
                   &result->report, cancellable, &result->error);
  g_task_return_pointer (task, result, (GDestroyNotify) run_result_free);
}

void
cohort_sync_run_async (const char              *workspace_path,
                       const CohortCredentials *creds,
                       CohortSyncFlags          flags,
                       CohortSyncProgressFunc   progress,
                       gpointer                 progress_data,
                       GCancellable            *cancellable,
                       GAsyncReadyCallback      callback,
                       gpointer                 user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  RunData *data = g_new0 (RunData, 1);

  data->path = g_strdup (workspace_path);
  data->creds = cohort_credentials_copy (creds);
  data->flags = flags;
  data->progress = progress;
  data->progress_data = progress_data;
  data->context = g_main_context_ref_thread_default ();
  g_task_set_source_tag (task, cohort_sync_run_async);
  g_task_set_task_data (task, data, (GDestroyNotify) run_data_free);
  /* The thread's own result is the truth: a cancel that arrives after the
   * commit must not make a finished write look undone. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, run_thread);
}

CohortSyncReport *
cohort_sync_run_finish (GAsyncResult  *result,
                        GError       **error)
{
  RunResult *res;
  CohortSyncReport *report;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  res = g_task_propagate_pointer (G_TASK (result), error);
  if (res == NULL)
    return NULL;
  report = g_steal_pointer (&res->report);
  if (res->error != NULL)
    g_propagate_error (error, g_steal_pointer (&res->error));
  run_result_free (res);
  return report;
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
  ok = exec_with_segment (ws, "DELETE FROM remote_members WHERE remote_segment = ?", remote_id, error);
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
  if (!finish_transaction (ws, ok, error))
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
      if (!finish_transaction (ws, ok, error))
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

/* Status */

void
cohort_sync_status_clear (CohortSyncStatus *status)
{
  g_clear_pointer (&status->error, g_free);
}

const char *
cohort_sync_state_to_string (CohortSyncState state)
{
  static const char *const names[] = {
    "not-published", "pending", "synced", "error", "unlinked", "inactive"
  };

  g_return_val_if_fail (state <= COHORT_SYNC_STATE_INACTIVE, NULL);
  return names[state];
}

static CohortSyncState
decide_state (gboolean     active,
              LinkState    link,
              const char  *last_state,
              gint64       n_pending)
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
  Link link = { 0 };
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

  if (!load_link (ws, segment_id, &link, error))
    return FALSE;
  status->remote_id = link.state == LINK_LINKED ? link.remote_id : 0;

  stmt = cohort_workspace_prepare (ws,
                                   "SELECT state, error, local_count, remote_count FROM sync_status "
                                   "WHERE segment = ?", error);
  if (stmt == NULL)
    {
      link_clear (&link);
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
  link_clear (&link);
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
      const char *link_state = (const char *) sqlite3_column_text (stmt, 2);
      LinkState link = link_state == NULL ? LINK_NONE
                     : g_str_equal (link_state, "linked") ? LINK_LINKED
                     : g_str_equal (link_state, "unlinked") ? LINK_UNLINKED
                     : LINK_PENDING;

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

gboolean
cohort_sync_relink (CohortWorkspace  *ws,
                    gint64            segment_id,
                    GError          **error)
{
  gboolean ok;

  if (!cohort_workspace_begin (ws, error))
    return FALSE;
  ok = exec_with_segment (ws, "DELETE FROM sync_links WHERE segment = ?", segment_id, error) &&
       exec_with_segment (ws, "DELETE FROM sync_pushed WHERE segment = ?", segment_id, error) &&
       exec_with_segment (ws, "DELETE FROM sync_status WHERE segment = ?", segment_id, error) &&
       cohort_outbox_segment_created (ws, segment_id, error);
  return finish_transaction (ws, ok, error);
}
