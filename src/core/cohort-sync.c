/* cohort-sync.c: a sync run with Customer.io: the lock, the order of the steps,
 * the report, and the async wrapper. The steps live in cohort-sync-plan.c (dry
 * run and diff), cohort-sync-push.c and cohort-sync-identify.c (push),
 * cohort-sync-pull.c (pull), cohort-sync-store.c (the SQL of the sync tables)
 * and cohort-sync-status.c (the state of each segment)
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Sync"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>

#include "cohort-sync-private.h"

G_DEFINE_QUARK (cohort-sync-error-quark, cohort_sync_error)

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
  json_builder_add_value (builder, cohort_sync_strings_to_json (report->done));
  json_builder_set_member_name (builder, "failures");
  json_builder_add_value (builder, cohort_sync_strings_to_json (report->failures));
  json_builder_set_member_name (builder, "notes");
  json_builder_add_value (builder, cohort_sync_strings_to_json (report->notes));
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

void
cohort_sync_report_progress (SyncRun    *ctx,
                             const char *what)
{
  if (ctx->progress != NULL)
    ctx->progress (ctx->done, MAX (ctx->total, ctx->done), what, ctx->progress_data);
}

/* Records a failure; some failures stop the whole sync. Takes @error. */
void
cohort_sync_fail (SyncRun *ctx,
                  GError  *error)
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

void
cohort_sync_fail_segment (SyncRun  *ctx,
                          SyncItem *item,
                          GError   *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      error->domain != COHORT_WORKSPACE_ERROR &&
      cohort_workspace_begin (ctx->ws, NULL))
    cohort_sync_finish_transaction (ctx->ws,
                                    cohort_sync_set_status (ctx->ws, item->segment_id, "error", error->message,
                                                            -1, -1, NULL),
                                    NULL);
  cohort_sync_fail (ctx, error);
}

GPtrArray *
cohort_sync_ensure_remote_list (SyncRun  *ctx,
                                GError  **error)
{
  if (ctx->remote == NULL)
    ctx->remote = cohort_cio_client_list_segments (ctx->client, ctx->cancellable, error);
  return ctx->remote;
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
                 GError                 **error)
{
  g_autoptr(CohortSyncReport) report = report_new ();
  g_autoptr(CohortSyncPlan) plan = NULL;
  SyncRun ctx = { 0 };
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
    cohort_sync_fail (&ctx, g_error_copy (ctx.first_error));

  if (!ctx.stop && (flags & COHORT_SYNC_PULL) != 0)
    cohort_sync_pull_segments (&ctx);

  if (!ctx.stop && (flags & COHORT_SYNC_PUSH) != 0)
    {
      GError *local_error = NULL;

      plan = cohort_sync_build_plan (ws, flags, cancellable, &local_error);
      if (plan == NULL)
        cohort_sync_fail (&ctx, local_error);
    }

  if (plan != NULL)
    cohort_sync_push_plan (&ctx, plan);

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
