/* cohort-evaluator.c: criteria + column index → members
 *
 * Every node is evaluated as "its matches within a mask": an and-group
 * narrows the mask child by child, so later conditions scan only the words
 * where candidates remain. An attribute condition is decided per distinct
 * value of its column (cohort-condition-match.c). The live count of the
 * builder is in cohort-live-count.c.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Query"

#include "config.h"
#include <inttypes.h>

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-column-private.h"
#include "cohort-evaluator.h"
#include "cohort-event-index.h"
#include "cohort-value.h"

struct _CohortEvaluation
{
  gatomicrefcount    ref;
  CohortColumnIndex *index;
  CohortBitmap      *bitmap;
  guint64            count;
};

G_DEFINE_BOXED_TYPE (CohortEvaluation, cohort_evaluation, cohort_evaluation_ref, cohort_evaluation_unref)

CohortEvaluation *
cohort_evaluation_ref (CohortEvaluation *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
cohort_evaluation_unref (CohortEvaluation *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  cohort_column_index_unref (self->index);
  cohort_bitmap_free (self->bitmap);
  g_free (self);
}

guint64
cohort_evaluation_get_count (CohortEvaluation *self)
{
  return self->count;
}

guint64
cohort_evaluation_get_total (CohortEvaluation *self)
{
  return cohort_column_index_get_n_customers (self->index);
}

const CohortBitmap *
cohort_evaluation_get_bitmap (CohortEvaluation *self)
{
  return self->bitmap;
}

CohortColumnIndex *
cohort_evaluation_get_index (CohortEvaluation *self)
{
  return self->index;
}

gboolean
cohort_evaluation_contains (CohortEvaluation *self,
                            guint32           ordinal)
{
  return cohort_bitmap_get (self->bitmap, ordinal);
}

GArray *
cohort_evaluation_get_members (CohortEvaluation *self,
                               guint64           offset,
                               guint64           limit)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint32));
  const CohortBitmap *b = self->bitmap;
  gsize w = 0;

  /* Skip whole words by their population. */
  for (; w < b->n_words; w++)
    {
      guint64 n = (guint64) __builtin_popcountll (b->words[w]);

      if (n > offset)
        break;
      offset -= n;
    }
  for (gint64 i = cohort_bitmap_next (b, (gint64) w * 64); i >= 0; i = cohort_bitmap_next (b, i + 1))
    {
      guint32 o = (guint32) i;

      if (offset > 0)
        {
          offset--;
          continue;
        }
      if (limit != 0 && out->len >= limit)
        break;
      g_array_append_val (out, o);
    }
  return out;
}

const char *
cohort_evaluation_get_text (CohortEvaluation *self,
                            guint32           ordinal,
                            const char       *field)
{
  return cohort_column_index_get_text (self->index, field, ordinal, NULL);
}

/* ------------------------------------------------------------------ */

typedef struct
{
  sqlite3           *db;
  const char        *path;         /* the workspace file, NULL when unknown */
  CohortEventIndex  *events;       /* loaded on the first event condition */
  CohortColumnIndex *index;
  const CohortBitmap *universe;
  gint64             now;
  GCancellable      *cancellable;
  GHashTable        *segments;     /* id -> CohortBitmap (all members) */
  GString           *node_path;    /* of the node being evaluated, for errors */
  gint64             top_segment;  /* the segment asked for, 0 for given criteria */
} Eval;

static CohortBitmap *eval_node (Eval *e, const CohortCriteria *node, const CohortBitmap *mask, GError **error);
/* Puts the path of the node being evaluated in front of a "matches" error. */
static void
prefix_path (Eval        *e,
             const char  *suffix,
             GError     **error)
{
  if (error != NULL && g_error_matches (*error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_COMPLEX))
    g_prefix_error (error, "%s%s%s: ", e->node_path->str, e->node_path->len > 0 ? "." : "", suffix);
}

static CohortBitmap *
eval_attribute (Eval                  *e,
                const CohortCondition *cond,
                const CohortBitmap    *mask,
                GError               **error)
{
  const CohortColumn *c = NULL;
  CohortBitmap *out;

  if (!cohort_column_index_get_column (e->index, cond->field, &c, error))
    return NULL;
  if (c == NULL)
    {
      /* No customer has this attribute: it is missing for everyone. */
      out = cohort_bitmap_copy (mask);
      if (!cohort_operator_matches_missing (cond->op))
        cohort_bitmap_clear_all (out);
      return out;
    }
  out = cohort_condition_match_column (cond, c, mask, e->now, e->cancellable, error);
  if (out == NULL)
    prefix_path (e, "attribute.value", error);
  return out;
}

static CohortBitmap *
eval_sample (Eval               *e,
             const CohortCriteria *node,
             const CohortBitmap *mask,
             GError            **error)
{
  const CohortColumn *ids = NULL, *emails = NULL;
  CohortBitmap *out;
  guint32 state;

  if (!cohort_column_index_get_column (e->index, "id", &ids, error) ||
      !cohort_column_index_get_column (e->index, "email", &emails, error))
    return NULL;
  state = cohort_fnv1a32 (node->salt, strlen (node->salt), COHORT_FNV1A32_INIT);
  state = cohort_fnv1a32 (":", 1, state);

  /* Ids and emails are unique: hashing per candidate is hashing per entry,
   * and only the candidates are looked at. */
  out = cohort_bitmap_new (mask->n_bits);
  for (gsize w = 0; w < mask->n_words; w++)
    {
      guint64 mw = mask->words[w], bits = 0;

      while (mw != 0)
        {
          guint b = (guint) __builtin_ctzll (mw);
          gsize o = w * 64 + b;
          guint32 id = ids->codes[o];
          const char *key;
          gsize len;

          if (id != 0)
            key = cohort_column_entry (ids, id, &len);
          else
            key = cohort_column_entry (emails, emails->codes[o], &len);
          if (cohort_fnv1a32 (key, len, state) % 100 < node->percent)
            bits |= G_GUINT64_CONSTANT (1) << b;
          mw &= mw - 1;
        }
      out->words[w] = bits;
    }
  return out;
}

/* A data-driven segment on the way down the references. */
typedef struct
{
  gint64          id;
  char           *name;
  CohortCriteria *criteria;
  GArray         *refs;      /* the segment ids its criteria name */
  guint           next;      /* refs[next] is looked at next */
} Pending;

static void
pending_clear (Pending *pending)
{
  g_free (pending->name);
  g_clear_pointer (&pending->criteria, cohort_criteria_free);
  g_clear_pointer (&pending->refs, g_array_unref);
}

static void
cache_segment (Eval *e, gint64 id, CohortBitmap *members)
{
  g_hash_table_insert (e->segments, g_memdup2 (&id, sizeof id), members);
}

/* Reads segment @id: a manual segment's members, or a data-driven
 * segment without criteria (no one), go to the cache at once; a
 * data-driven segment's parsed criteria are pushed on @stack. */
static gboolean
push_segment (Eval     *e,
              GArray   *stack,
              gint64    id,
              GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *criteria = NULL;
  g_autofree char *name = NULL;
  g_autoptr(CohortCriteria) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  Pending pending = { 0 };
  int rc;

  if (e->db == NULL)
    {
      g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_NO_SEGMENT,
                   _("There is no segment with id %" PRId64), id);
      return FALSE;
    }
  if (sqlite3_prepare_v2 (e->db, "SELECT kind, criteria, name FROM segments WHERE id = ?", -1, &stmt, NULL) != SQLITE_OK)
    goto db_error;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      kind = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      criteria = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      name = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
    }
  sqlite3_finalize (stmt);
  stmt = NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_NO_SEGMENT,
                   _("There is no segment with id %" PRId64), id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    goto db_error;

  if (g_strcmp0 (kind, "manual") == 0)
    {
      guint32 n = cohort_column_index_get_n_ordinals (e->index);
      CohortBitmap *members = cohort_bitmap_new (n);

      if (sqlite3_prepare_v2 (e->db, "SELECT customer FROM segment_members WHERE segment = ?",
                              -1, &stmt, NULL) != SQLITE_OK)
        {
          cohort_bitmap_free (members);
          goto db_error;
        }
      sqlite3_bind_int64 (stmt, 1, id);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 o = sqlite3_column_int64 (stmt, 0);

          if (o >= 0 && o < n)
            cohort_bitmap_set (members, (guint32) o);
        }
      sqlite3_finalize (stmt);
      stmt = NULL;
      if (rc != SQLITE_DONE)
        {
          cohort_bitmap_free (members);
          goto db_error;
        }
      cohort_bitmap_and (members, e->universe);
      cache_segment (e, id, members);
      return TRUE;
    }
  if (criteria == NULL)
    {
      cache_segment (e, id, cohort_bitmap_new (cohort_column_index_get_n_ordinals (e->index)));
      return TRUE;
    }

  /* Saved by an older version or edited by another program: it may be
   * anything, even nested too deep to walk; the parser refuses that. */
  parsed = cohort_criteria_parse (criteria, &local_error);
  if (parsed == NULL)
    {
      g_set_error (error, COHORT_CRITERIA_ERROR, local_error->code,
                   _("The criteria of segment “%s” are invalid: %s"),
                   name ? name : "?", local_error->message);
      return FALSE;
    }
  pending.id = id;
  pending.name = g_steal_pointer (&name);
  pending.refs = cohort_criteria_collect_segment_ids (parsed);
  pending.criteria = g_steal_pointer (&parsed);
  g_array_append_val (stack, pending);
  return TRUE;

db_error:
  g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID,
               _("Could not read segment %" PRId64 ": %s"), id, sqlite3_errmsg (e->db));
  if (stmt)
    sqlite3_finalize (stmt);
  return FALSE;
}

/* All members of segment @id (within the universe). The segments it
 * refers to are resolved first, deepest first, with a stack of our own:
 * a chain of references as long as there are segments costs no more of
 * the thread's stack than one criteria tree. */
static const CohortBitmap *
segment_members (Eval *e, gint64 id, GError **error)
{
  const CohortBitmap *members;
  g_autoptr(GArray) stack = NULL;
  g_autoptr(GHashTable) on_stack = NULL;

  members = g_hash_table_lookup (e->segments, &id);
  if (members != NULL)
    return members;

  stack = g_array_new (FALSE, TRUE, sizeof (Pending));
  g_array_set_clear_func (stack, (GDestroyNotify) pending_clear);
  on_stack = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  if (!push_segment (e, stack, id, error))
    return NULL;
  if (stack->len > 0)
    g_hash_table_add (on_stack, g_memdup2 (&id, sizeof id));

  while (stack->len > 0)
    {
      Pending *top = &g_array_index (stack, Pending, stack->len - 1);
      g_autoptr(GError) local_error = NULL;
      GString *outer;
      CohortBitmap *result;

      if (top->next < top->refs->len)
        {
          gint64 ref = g_array_index (top->refs, gint64, top->next++);

          if (g_hash_table_contains (e->segments, &ref))
            continue;
          /* On the stack: an ancestor of this one. */
          if (g_hash_table_contains (on_stack, &ref))
            {
              g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_CYCLE,
                           _("Segment %" PRId64 " refers to itself through other segments"), ref);
              return NULL;
            }
          if (!push_segment (e, stack, ref, error))
            return NULL;
          if (!g_hash_table_contains (e->segments, &ref))
            g_hash_table_add (on_stack, g_memdup2 (&ref, sizeof ref));
          continue;
        }

      /* Everything it refers to is known: its own criteria now. */
      outer = e->node_path;
      e->node_path = g_string_new (NULL);
      result = eval_node (e, top->criteria, e->universe, &local_error);
      g_string_free (e->node_path, TRUE);
      e->node_path = outer;
      if (result == NULL)
        {
          /* Say which segment when it is not the one asked for. */
          if (local_error->domain == COHORT_CRITERIA_ERROR && top->id != e->top_segment)
            g_prefix_error (&local_error, _("In segment “%s”: "), top->name ? top->name : "?");
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      cache_segment (e, top->id, result);
      g_hash_table_remove (on_stack, &top->id);
      g_array_set_size (stack, stack->len - 1);
    }
  return g_hash_table_lookup (e->segments, &id);
}

static CohortBitmap *
eval_node (Eval                 *e,
           const CohortCriteria *node,
           const CohortBitmap   *mask,
           GError              **error)
{
  if (g_cancellable_set_error_if_cancelled (e->cancellable, error))
    return NULL;

  switch (node->kind)
    {
    case COHORT_CRITERIA_AND:
      {
        CohortBitmap *acc = cohort_bitmap_copy (mask);

        for (guint i = 0; i < node->children->len; i++)
          {
            CohortBitmap *next;
            gsize old = e->node_path->len;

            if (cohort_bitmap_is_empty (acc))
              break;
            g_string_append_printf (e->node_path, "%sand[%u]", old > 0 ? "." : "", i);
            next = eval_node (e, g_ptr_array_index (node->children, i), acc, error);
            g_string_truncate (e->node_path, old);
            cohort_bitmap_free (acc);
            if (next == NULL)
              return NULL;
            acc = next;
          }
        return acc;
      }

    case COHORT_CRITERIA_OR:
      {
        CohortBitmap *acc = cohort_bitmap_new (mask->n_bits);
        g_autoptr(CohortBitmap) rest = cohort_bitmap_copy (mask);

        for (guint i = 0; i < node->children->len; i++)
          {
            g_autoptr(CohortBitmap) part = NULL;
            gsize old = e->node_path->len;

            if (cohort_bitmap_is_empty (rest))
              break;
            /* Only those not already in need looking at. */
            g_string_append_printf (e->node_path, "%sor[%u]", old > 0 ? "." : "", i);
            part = eval_node (e, g_ptr_array_index (node->children, i), rest, error);
            g_string_truncate (e->node_path, old);
            if (part == NULL)
              {
                cohort_bitmap_free (acc);
                return NULL;
              }
            cohort_bitmap_or (acc, part);
            cohort_bitmap_andnot (rest, part);
          }
        return acc;
      }

    case COHORT_CRITERIA_NOT:
      {
        gsize old = e->node_path->len;
        CohortBitmap *inner;

        g_string_append (e->node_path, old > 0 ? ".not" : "not");
        inner = eval_node (e, g_ptr_array_index (node->children, 0), mask, error);
        g_string_truncate (e->node_path, old);
        if (inner == NULL)
          return NULL;
        cohort_bitmap_not_within (inner, mask);
        return inner;
      }

    case COHORT_CRITERIA_ATTRIBUTE:
      return eval_attribute (e, node->attribute, mask, error);

    case COHORT_CRITERIA_SEGMENT:
      {
        const CohortBitmap *members = segment_members (e, node->segment_id, error);
        CohortBitmap *out;

        if (members == NULL)
          return NULL;
        out = cohort_bitmap_copy (members);
        cohort_bitmap_and (out, mask);
        return out;
      }

    case COHORT_CRITERIA_SAMPLE:
      return eval_sample (e, node, mask, error);

    case COHORT_CRITERIA_EVENT:
      {
        CohortBitmap *out;

        if (e->db == NULL)
          {
            g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_NOT_SUPPORTED,
                         _("Event conditions need the workspace’s events"));
            return NULL;
          }
        if (e->events == NULL &&
            !(e->events = cohort_event_index_ensure_for_db (e->db, e->path, e->cancellable, error)))
          return NULL;
        out = cohort_event_index_evaluate (e->events, node->event, e->universe, e->now,
                                           e->cancellable, error);
        if (out != NULL)
          cohort_bitmap_and (out, mask);
        else
          prefix_path (e, "event.where", error);
        return out;
      }

    default:
      g_assert_not_reached ();
    }
}

static CohortEvaluation *
evaluate (CohortColumnIndex    *index,
          sqlite3              *db,
          const char           *path,
          const CohortCriteria *criteria,
          gint64                segment_id,
          GCancellable         *cancellable,
          GError              **error)
{
  Eval e = { 0 };
  CohortBitmap *bitmap = NULL;
  CohortEvaluation *result;

  e.db = db;
  e.path = path;
  e.index = index;
  e.universe = cohort_column_index_get_universe (index);
  e.now = cohort_now ();
  e.cancellable = cancellable;
  e.node_path = g_string_new (NULL);
  e.top_segment = criteria != NULL ? 0 : segment_id;
  e.segments = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                      (GDestroyNotify) cohort_bitmap_free);

  if (criteria != NULL)
    bitmap = eval_node (&e, criteria, e.universe, error);
  else
    {
      const CohortBitmap *members = segment_members (&e, segment_id, error);

      if (members != NULL)
        bitmap = cohort_bitmap_copy (members);
    }
  g_string_free (e.node_path, TRUE);
  g_hash_table_unref (e.segments);
  g_clear_pointer (&e.events, cohort_event_index_unref);
  if (bitmap == NULL)
    return NULL;

  result = g_new0 (CohortEvaluation, 1);
  g_atomic_ref_count_init (&result->ref);
  result->index = cohort_column_index_ref (index);
  result->bitmap = bitmap;
  result->count = cohort_bitmap_popcount (bitmap);
  return result;
}

CohortEvaluation *
cohort_evaluator_evaluate_index (CohortColumnIndex    *index,
                                 sqlite3              *db,
                                 const CohortCriteria *criteria,
                                 GCancellable         *cancellable,
                                 GError              **error)
{
  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (criteria != NULL, NULL);
  return evaluate (index, db, NULL, criteria, 0, cancellable, error);
}

/* Over any connection to the workspace file at @path. */
static CohortEvaluation *
evaluate_for_db (sqlite3              *db,
                 const char           *path,
                 const CohortCriteria *criteria,
                 gint64                segment_id,
                 GCancellable         *cancellable,
                 GError              **error)
{
  for (int attempt = 0; ; attempt++)
    {
      g_autoptr(CohortColumnIndex) index = NULL;
      g_autoptr(GError) local_error = NULL;
      CohortEvaluation *result;

      index = cohort_column_index_ensure_for_db (db, path, cancellable, error);
      if (index == NULL)
        return NULL;
      result = evaluate (index, db, path, criteria, segment_id, cancellable, &local_error);
      if (result != NULL)
        return result;
      /* A damaged index file: drop it and build afresh from SQLite, once. */
      if (attempt == 0 && g_error_matches (local_error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_DAMAGED))
        {
          g_debug ("%s", local_error->message);
          cohort_column_index_forget (path, TRUE);
          cohort_event_index_forget (path, TRUE);
          continue;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
}

CohortEvaluation *
cohort_evaluator_evaluate (CohortWorkspace       *ws,
                           const CohortCriteria  *criteria,
                           GCancellable          *cancellable,
                           GError               **error)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  g_return_val_if_fail (criteria != NULL, NULL);
  return evaluate_for_db (cohort_workspace_get_db (ws), cohort_workspace_get_path (ws),
                          criteria, 0, cancellable, error);
}

CohortEvaluation *
cohort_evaluator_evaluate_segment (CohortWorkspace  *ws,
                                   gint64            segment_id,
                                   GCancellable     *cancellable,
                                   GError          **error)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  return evaluate_for_db (cohort_workspace_get_db (ws), cohort_workspace_get_path (ws),
                          NULL, segment_id, cancellable, error);
}

/* ------------------------------------------------------------------ */
/* In a thread                                                          */

typedef struct
{
  char           *path;
  CohortCriteria *criteria;
  gint64          segment_id;
} TaskData;

static void
task_data_free (TaskData *data)
{
  g_free (data->path);
  cohort_criteria_free (data->criteria);
  g_free (data);
}

static void
evaluate_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  TaskData *data = task_data;
  GError *error = NULL;
  CohortEvaluation *result;
  g_autoptr(CohortWorkspace) ws = NULL;

  /* The thread's own connection, the one way every worker gets one. */
  ws = cohort_workspace_open (data->path, COHORT_WORKSPACE_OPEN_READ_ONLY, &error);
  if (ws == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  result = evaluate_for_db (cohort_workspace_get_db (ws), data->path,
                            data->criteria, data->segment_id,
                            cancellable, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) cohort_evaluation_unref);
}

static void
start_task (CohortWorkspace      *ws,
            const CohortCriteria *criteria,
            gint64                segment_id,
            gpointer              tag,
            GCancellable         *cancellable,
            GAsyncReadyCallback   callback,
            gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (ws, cancellable, callback, user_data);
  TaskData *data = g_new0 (TaskData, 1);

  data->path = g_strdup (cohort_workspace_get_path (ws));
  data->criteria = criteria ? cohort_criteria_copy (criteria) : NULL;
  data->segment_id = segment_id;
  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, data, (GDestroyNotify) task_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, evaluate_thread);
}

void
cohort_evaluator_evaluate_async (CohortWorkspace      *ws,
                                 const CohortCriteria *criteria,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data)
{
  g_return_if_fail (COHORT_IS_WORKSPACE (ws));
  g_return_if_fail (criteria != NULL);
  start_task (ws, criteria, 0, cohort_evaluator_evaluate_async, cancellable, callback, user_data);
}

CohortEvaluation *
cohort_evaluator_evaluate_finish (CohortWorkspace  *ws,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, ws), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cohort_evaluator_evaluate_segment_async (CohortWorkspace     *ws,
                                         gint64               segment_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (COHORT_IS_WORKSPACE (ws));
  start_task (ws, NULL, segment_id, cohort_evaluator_evaluate_segment_async, cancellable, callback, user_data);
}

CohortEvaluation *
cohort_evaluator_evaluate_segment_finish (CohortWorkspace  *ws,
                                          GAsyncResult     *result,
                                          GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, ws), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
