/* cohort-column-private.h: dictionary columns and per-entry matching,
 * shared by the customer column index and the event index; the matching
 * itself is in cohort-condition-match.c
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cohort-column-index.h"
#include "cohort-criteria.h"

G_BEGIN_DECLS

/* Builds one dictionary-coded column over @n_rows rows (code 0 = missing). */
typedef struct _CohortColumnBuilder CohortColumnBuilder;

CohortColumnBuilder *cohort_column_builder_new    (const char          *name,
                                                   guint32              n_rows);
void                 cohort_column_builder_free   (CohortColumnBuilder *builder);
/* The code of @s (0 for the empty string), added when new. */
guint32              cohort_column_builder_intern (CohortColumnBuilder *builder,
                                                   const char          *s,
                                                   gsize                len);
/* The writable [n_rows] codes. */
guint32             *cohort_column_builder_codes  (CohortColumnBuilder *builder);
/* Precomputes what each entry reads as, and fills @out with a view of the
 * builder's arrays (valid while the builder lives). */
void                 cohort_column_builder_finish (CohortColumnBuilder *builder,
                                                   CohortColumn        *out);

/* One byte per dictionary entry of @column: 1 when the entry (0: missing)
 * satisfies @condition at time @now. Free with g_free(). */
guint8              *cohort_condition_match_entries (const CohortCondition *condition,
                                                     const CohortColumn    *column,
                                                     gint64                 now);

/* One byte per dictionary entry of @column: 1 when the entry (0: missing)
 * satisfies @condition at time @now. Unlike cohort_condition_match_entries(),
 * a "matches" pattern that is too complex for a value is an error
 * (COHORT_CRITERIA_ERROR_TOO_COMPLEX, without a path), and @cancellable is
 * checked before every pattern match. For the event index's "where"
 * conditions. Free with g_free(). */
guint8              *cohort_condition_match_entries_full (const CohortCondition  *condition,
                                                          const CohortColumn     *column,
                                                          gint64                  now,
                                                          GCancellable           *cancellable,
                                                          GError                **error);

/* The rows of @mask whose entry in @column satisfies @condition at @now
 * (the evaluator's attribute conditions). NULL with @error when a pattern
 * is too complex for a value (COHORT_CRITERIA_ERROR_TOO_COMPLEX, without
 * a path) or on cancellation. */
CohortBitmap        *cohort_condition_match_column (const CohortCondition  *condition,
                                                    const CohortColumn     *column,
                                                    const CohortBitmap     *mask,
                                                    gint64                  now,
                                                    GCancellable           *cancellable,
                                                    GError                **error);

G_END_DECLS
