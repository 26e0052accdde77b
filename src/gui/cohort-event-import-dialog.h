/* cohort-event-import-dialog.h: import customer events from a CSV file
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_TYPE_EVENT_IMPORT_DIALOG (cohort_event_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CohortEventImportDialog, cohort_event_import_dialog, COHORT, EVENT_IMPORT_DIALOG, AdwWindow)

/* Reads the first rows of @path and shows them; errors show in the dialog. */
CohortEventImportDialog *cohort_event_import_dialog_new      (GtkWindow               *parent,
                                                              CohortWorkspace         *workspace,
                                                              const char              *path);
/* Asks for a file with a file chooser over @parent, then shows the dialog
 * (nothing if no file is chosen). */
void                     cohort_event_import_dialog_choose   (GtkWindow               *parent,
                                                              CohortWorkspace         *workspace);
/* "setup", "progress" or "summary". */
const char              *cohort_event_import_dialog_get_page (CohortEventImportDialog *self);
gboolean                 cohort_event_import_dialog_get_busy (CohortEventImportDialog *self);

G_END_DECLS
