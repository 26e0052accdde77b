/* cohort-progress-private.h: progress from a worker thread to the caller's
 * main context, at most ten times a second (and always the last report)
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cohort-workspace.h"

G_BEGIN_DECLS

typedef void (*CohortProgressFunc) (guint64  rows,
                                    guint64  bytes,
                                    guint64  total_bytes,
                                    gpointer user_data);

typedef struct _CohortProgressRelay CohortProgressRelay;

/* Delivers to @func in the thread-default main context of the caller;
 * nothing is delivered once @cancellable is cancelled. */
CohortProgressRelay *cohort_progress_relay_new   (CohortProgressFunc   func,
                                                  gpointer             user_data,
                                                  GCancellable        *cancellable);
void                 cohort_progress_relay_unref (CohortProgressRelay *relay);
/* A CohortProgressFunc for the worker: @relay is its user_data. */
void                 cohort_progress_relay_post  (guint64              rows,
                                                  guint64              bytes,
                                                  guint64              total_bytes,
                                                  gpointer             relay);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortProgressRelay, cohort_progress_relay_unref)

/* An import's body: runs on @ws, reports through @progress (may be NULL). */
typedef gboolean (*CohortImportRunFunc) (gpointer            source,
                                         CohortWorkspace    *ws,
                                         CohortProgressFunc  progress,
                                         gpointer            progress_data,
                                         GCancellable       *cancellable,
                                         GError            **error);

/* Runs @run in a worker thread with its own connection to the workspace at
 * @workspace_path; @progress arrives in the caller's main context (through
 * a relay). The task (source @source, tag @source_tag) returns a boolean:
 * what the thread did, even when a cancel arrives after the commit. */
void cohort_import_run_in_thread (gpointer             source,
                                  gpointer             source_tag,
                                  CohortImportRunFunc  run,
                                  const char          *workspace_path,
                                  CohortProgressFunc   progress,
                                  gpointer             progress_data,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);
/* The result of cohort_import_run_in_thread() (for the importers' _finish). */
gboolean cohort_import_run_finish (gpointer             source,
                                   GAsyncResult        *result,
                                   GError             **error);

G_END_DECLS
