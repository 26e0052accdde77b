/* cohort-export.h: members of an evaluation → CSV (or JSON)
 *
 * One header line (id, email, then the chosen attributes), then one line
 * per member in ordinal order, written as it goes: a million members never
 * sit in memory as text. A cell that starts with '=', '+', '-', '@', TAB or
 * CR is prefixed with "'" so that a spreadsheet does not read it as a
 * formula; a cell holding ',', '"', CR or LF is quoted ('"' doubled). A
 * missing value is an empty cell.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cohort-evaluator.h"

G_BEGIN_DECLS

/* Called now and then from the thread that writes: @done of @total members. */
typedef void (*CohortExportProgressFunc) (guint64  done,
                                          guint64  total,
                                          gpointer user_data);

/* Appends @text (NULL: nothing) to @out as one CSV cell. */
void      cohort_export_append_cell (GString                  *out,
                                     const char               *text);

/* Writes the members @offset.. (at most @limit; 0 = all) of @evaluation to
 * @stream with the columns id, email and @attributes (NULL or empty for
 * none). The stream is not closed. FALSE with G_IO_ERROR_CANCELLED when
 * @cancellable is cancelled. */
gboolean  cohort_export_members     (CohortEvaluation         *evaluation,
                                     const char * const       *attributes,
                                     guint64                   offset,
                                     guint64                   limit,
                                     GOutputStream            *stream,
                                     CohortExportProgressFunc  progress,
                                     gpointer                  user_data,
                                     GCancellable             *cancellable,
                                     GError                  **error);

/* The members @offset.. (at most @limit; 0 = all) of @evaluation as a
 * JSON array of objects with id, email and @attributes (NULL or empty for
 * none), a missing value being null; pretty-printed, indented by two,
 * without a final newline. */
char     *cohort_export_members_json (CohortEvaluation        *evaluation,
                                      const char * const      *attributes,
                                      guint64                  offset,
                                      guint64                  limit);

G_END_DECLS
