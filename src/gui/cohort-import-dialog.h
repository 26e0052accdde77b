/* cohort-import-dialog.h: import customers from a CSV file
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_TYPE_IMPORT_DIALOG (cohort_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CohortImportDialog, cohort_import_dialog, COHORT, IMPORT_DIALOG, AdwWindow)

CohortImportDialog *cohort_import_dialog_new (GtkWindow       *parent,
                                              CohortWorkspace *workspace,
                                              const char      *path);

G_END_DECLS
