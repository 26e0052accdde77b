/* cohort-window.h: the main window: the segment list and a segment's page
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-application.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_TYPE_WINDOW (cohort_window_get_type ())
G_DECLARE_FINAL_TYPE (CohortWindow, cohort_window, COHORT, WINDOW, AdwApplicationWindow)

/* @application may be NULL (the tests use a window without one). */
CohortWindow    *cohort_window_new                    (CohortApplication *application);

/* Opens @path (created when missing) or, when NULL, the workspace named by
 * $COHORT_WORKSPACE, the last one used, or the default one. */
void             cohort_window_open_initial_workspace (CohortWindow      *self,
                                                       const char        *path);
/* On failure a dialog explains why, the current workspace stays open and
 * FALSE is returned. */
gboolean         cohort_window_open_workspace         (CohortWindow      *self,
                                                       const char        *path,
                                                       gboolean           create);
CohortWorkspace *cohort_window_get_workspace          (CohortWindow      *self);

/* The segments as shown: filtered by the search and sorted by name. */
GListModel      *cohort_window_get_segments           (CohortWindow      *self);
/* Selects the segment with @id, if it is shown; returns whether it is. */
gboolean         cohort_window_select_segment         (CohortWindow      *self,
                                                       gint64             id);
gint64           cohort_window_get_selected_id        (CohortWindow      *self);

G_END_DECLS
