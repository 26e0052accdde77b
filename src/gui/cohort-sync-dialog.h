/* cohort-sync-dialog.h: Preview Sync (what would be sent) and Sync (with
 * progress, Cancel and a summary)
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-workspace.h"

G_BEGIN_DECLS

typedef enum
{
  COHORT_SYNC_DIALOG_PREVIEW,   /* show the dry-run plan; Sync Now sends it */
  COHORT_SYNC_DIALOG_SYNC,      /* sync at once */
} CohortSyncDialogMode;

#define COHORT_TYPE_SYNC_DIALOG (cohort_sync_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CohortSyncDialog, cohort_sync_dialog, COHORT, SYNC_DIALOG, AdwWindow)

CohortSyncDialog *cohort_sync_dialog_new      (GtkWindow            *parent,
                                               CohortWorkspace      *workspace,
                                               CohortSyncDialogMode  mode);
/* TRUE while a plan is worked out, credentials are read or a sync runs. */
gboolean          cohort_sync_dialog_get_busy (CohortSyncDialog     *self);
/* The dialog over @parent whose sync runs (maybe hidden), or NULL. */
CohortSyncDialog *cohort_sync_dialog_get_running (GtkWindow        *parent);
/* ::finished is emitted when a sync ends, after the workspace's ::changed. */
/* "loading", "preview", "progress", "result" or "error". */
const char       *cohort_sync_dialog_get_page (CohortSyncDialog     *self);

G_END_DECLS
