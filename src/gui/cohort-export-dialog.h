/* cohort-export-dialog.h: Export Members… of a segment to a CSV file
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-segment.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_TYPE_EXPORT_DIALOG (cohort_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CohortExportDialog, cohort_export_dialog, COHORT, EXPORT_DIALOG, AdwWindow)

/* Lists the workspace's attributes to choose from; "Export…" asks for a
 * file, then writes it in a thread with progress and Cancel. When done it
 * closes and says so in a toast of @toasts (may be NULL). */
CohortExportDialog *cohort_export_dialog_new            (GtkWindow          *parent,
                                                         CohortWorkspace    *workspace,
                                                         CohortSegment      *segment,
                                                         AdwToastOverlay    *toasts);
/* Checks (or unchecks) attribute @name; FALSE when there is none. */
gboolean            cohort_export_dialog_set_attribute_chosen (CohortExportDialog *self,
                                                         const char         *name,
                                                         gboolean            chosen);
/* The chosen attributes, in the order listed. */
GStrv               cohort_export_dialog_get_chosen     (CohortExportDialog *self);
/* What "Export…" does once a file is chosen. */
void                cohort_export_dialog_export_to_file (CohortExportDialog *self,
                                                         GFile              *file);
gboolean            cohort_export_dialog_get_busy       (CohortExportDialog *self);

G_END_DECLS
