/* cohort-evaluator.h: criteria + column index → members
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cohort-bitmap.h"
#include "cohort-column-index.h"
#include "cohort-criteria.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

/* The result of one evaluation: a bitmap over the index it was made from. */
typedef struct _CohortEvaluation CohortEvaluation;

#define COHORT_TYPE_EVALUATION (cohort_evaluation_get_type ())
GType               cohort_evaluation_get_type     (void);
CohortEvaluation   *cohort_evaluation_ref          (CohortEvaluation *self);
void                cohort_evaluation_unref        (CohortEvaluation *self);

guint64             cohort_evaluation_get_count    (CohortEvaluation *self);
/* All customers of the workspace, for "N of M". */
guint64             cohort_evaluation_get_total    (CohortEvaluation *self);
const CohortBitmap *cohort_evaluation_get_bitmap   (CohortEvaluation *self);
CohortColumnIndex  *cohort_evaluation_get_index    (CohortEvaluation *self);
gboolean            cohort_evaluation_contains     (CohortEvaluation *self,
                                                    guint32           ordinal);
/* Ordinals of members @offset.. (at most @limit; 0 = all), ascending (GArray of guint32). */
GArray             *cohort_evaluation_get_members  (CohortEvaluation *self,
                                                    guint64           offset,
                                                    guint64           limit);
/* The text of @field ("id", "email", an attribute) of @ordinal, or NULL. */
const char         *cohort_evaluation_get_text     (CohortEvaluation *self,
                                                    guint32           ordinal,
                                                    const char       *field);

/* Evaluates @criteria over the current data of @ws (on the thread that owns
 * @ws). Segment references are followed (data-driven: their criteria;
 * manual: their members); a reference cycle or a missing segment is an
 * error. Event conditions read the workspace's event index. */
CohortEvaluation   *cohort_evaluator_evaluate      (CohortWorkspace       *ws,
                                                    const CohortCriteria  *criteria,
                                                    GCancellable          *cancellable,
                                                    GError               **error);
/* The members of segment @segment_id: a data-driven segment's criteria
 * (none yet: no one) or a manual segment's members. */
CohortEvaluation   *cohort_evaluator_evaluate_segment (CohortWorkspace    *ws,
                                                    gint64                 segment_id,
                                                    GCancellable          *cancellable,
                                                    GError               **error);

/* The same in a worker thread with its own connection to the workspace. */
void                cohort_evaluator_evaluate_async  (CohortWorkspace     *ws,
                                                    const CohortCriteria  *criteria,
                                                    GCancellable          *cancellable,
                                                    GAsyncReadyCallback    callback,
                                                    gpointer               user_data);
CohortEvaluation   *cohort_evaluator_evaluate_finish (CohortWorkspace     *ws,
                                                    GAsyncResult          *result,
                                                    GError               **error);
void                cohort_evaluator_evaluate_segment_async  (CohortWorkspace     *ws,
                                                    gint64                 segment_id,
                                                    GCancellable          *cancellable,
                                                    GAsyncReadyCallback    callback,
                                                    gpointer               user_data);
CohortEvaluation   *cohort_evaluator_evaluate_segment_finish (CohortWorkspace     *ws,
                                                    GAsyncResult          *result,
                                                    GError               **error);

/* Over a given index (benchmarks, tests); @db for segment references, may be NULL. */
CohortEvaluation   *cohort_evaluator_evaluate_index  (CohortColumnIndex   *index,
                                                    sqlite3               *db,
                                                    const CohortCriteria  *criteria,
                                                    GCancellable          *cancellable,
                                                    GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortEvaluation, cohort_evaluation_unref)

G_END_DECLS
