/* cohort-import-common.h: what the customer and event import dialogs share
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-importer.h"

G_BEGIN_DECLS

/* Shows the first records of @preview in @view: one column per file column,
 * preceded by the file's line numbers when @line_numbers. The cells are
 * copied: @preview may be freed afterwards. NULL empties the table. */
void cohort_preview_table_show  (GtkColumnView             *view,
                                 const CohortImportPreview *preview,
                                 gboolean                   line_numbers);

/* Asks where to save the skipped rows (@rejected, CohortImportRejection) as
 * CSV, suggesting a name made from @source_path, writes them, and says so in
 * @toasts (or, without one, in a message dialog if writing failed). */
void cohort_save_rejected_rows  (GtkWindow                 *parent,
                                 AdwToastOverlay           *toasts,
                                 const char                *source_path,
                                 GArray                    *rejected);

G_END_DECLS
