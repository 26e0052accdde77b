/* cohort-progress.c: progress from a worker thread to the caller's main context
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Import"

#include "config.h"

#include "cohort-progress-private.h"

struct _CohortProgressRelay
{
  gatomicrefcount     ref;
  GMutex              lock;
  GMainContext       *context;
  GCancellable       *cancellable;
  CohortProgressFunc  func;
  gpointer            user_data;
  guint64             rows, bytes, total;
  gboolean            pending;
  gint64              last_post;
};

CohortProgressRelay *
cohort_progress_relay_new (CohortProgressFunc  func,
                           gpointer            user_data,
                           GCancellable       *cancellable)
{
  CohortProgressRelay *relay = g_new0 (CohortProgressRelay, 1);

  g_atomic_ref_count_init (&relay->ref);
  g_mutex_init (&relay->lock);
  relay->context = g_main_context_ref_thread_default ();
  relay->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  relay->func = func;
  relay->user_data = user_data;
  return relay;
}

static CohortProgressRelay *
relay_ref (CohortProgressRelay *relay)
{
  g_atomic_ref_count_inc (&relay->ref);
  return relay;
}

void
cohort_progress_relay_unref (CohortProgressRelay *relay)
{
  if (relay == NULL || !g_atomic_ref_count_dec (&relay->ref))
    return;
  g_mutex_clear (&relay->lock);
  g_main_context_unref (relay->context);
  g_clear_object (&relay->cancellable);
  g_free (relay);
}

static gboolean
deliver (gpointer data)
{
  CohortProgressRelay *relay = data;
  guint64 rows, bytes, total;

  g_mutex_lock (&relay->lock);
  rows = relay->rows;
  bytes = relay->bytes;
  total = relay->total;
  relay->pending = FALSE;
  g_mutex_unlock (&relay->lock);

  if (relay->func != NULL &&
      (relay->cancellable == NULL || !g_cancellable_is_cancelled (relay->cancellable)))
    relay->func (rows, bytes, total, relay->user_data);
  return G_SOURCE_REMOVE;
}

void
cohort_progress_relay_post (guint64  rows,
                            guint64  bytes,
                            guint64  total,
                            gpointer data)
{
  CohortProgressRelay *relay = data;
  gint64 now = g_get_monotonic_time ();
  gboolean post;

  g_mutex_lock (&relay->lock);
  relay->rows = rows;
  relay->bytes = bytes;
  relay->total = total;
  post = !relay->pending &&
         (now - relay->last_post >= G_USEC_PER_SEC / 10 || (total > 0 && bytes >= total));
  if (post)
    {
      relay->pending = TRUE;
      relay->last_post = now;
    }
  g_mutex_unlock (&relay->lock);

  if (post)
    g_main_context_invoke_full (relay->context, G_PRIORITY_DEFAULT, deliver,
                                relay_ref (relay), (GDestroyNotify) cohort_progress_relay_unref);
}

/* ---- an import in a thread ------------------------------------------- */

typedef struct
{
  CohortImportRunFunc  run;
  char                *workspace_path;
  CohortProgressRelay *relay;
} ImportTask;

static void
import_task_free (ImportTask *t)
{
  g_free (t->workspace_path);
  g_clear_pointer (&t->relay, cohort_progress_relay_unref);
  g_free (t);
}

static void
import_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ImportTask *t = task_data;
  g_autoptr(CohortWorkspace) ws = NULL;
  GError *error = NULL;

  ws = cohort_workspace_open (t->workspace_path, COHORT_WORKSPACE_OPEN_NONE, &error);
  if (ws != NULL &&
      t->run (source, ws, t->relay ? cohort_progress_relay_post : NULL, t->relay, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
cohort_import_run_in_thread (gpointer             source,
                             gpointer             source_tag,
                             CohortImportRunFunc  run,
                             const char          *workspace_path,
                             CohortProgressFunc   progress,
                             gpointer             progress_data,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (source, cancellable, callback, user_data);
  ImportTask *t = g_new0 (ImportTask, 1);

  t->run = run;
  t->workspace_path = g_strdup (workspace_path);
  if (progress != NULL)
    t->relay = cohort_progress_relay_new (progress, progress_data, cancellable);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, t, (GDestroyNotify) import_task_free);
  /* The thread's own result is the truth: a cancel that arrives after the
   * commit must not make a finished write look undone. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, import_thread);
}

gboolean
cohort_import_run_finish (gpointer       source,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
