/* cohort-live-count.h: the live count of the criteria builder
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cohort-evaluator.h"

G_BEGIN_DECLS

/* The live count of the criteria builder: set the criteria as they are
 * edited; after a short pause it evaluates in a thread (a newer request
 * cancels the older one) and emits ::updated. Re-evaluates when the
 * workspace changes. */
#define COHORT_TYPE_LIVE_COUNT (cohort_live_count_get_type ())
G_DECLARE_FINAL_TYPE (CohortLiveCount, cohort_live_count, COHORT, LIVE_COUNT, GObject)

CohortLiveCount    *cohort_live_count_new          (CohortWorkspace      *ws);
/* @criteria NULL: nothing to count. Copied. */
void                cohort_live_count_set_criteria (CohortLiveCount      *self,
                                                    const CohortCriteria *criteria);
void                cohort_live_count_set_delay    (CohortLiveCount      *self,
                                                    guint                 msec);
/* The last result (NULL while none or after an error). */
CohortEvaluation   *cohort_live_count_get_result   (CohortLiveCount      *self);
const GError       *cohort_live_count_get_error    (CohortLiveCount      *self);
gboolean            cohort_live_count_get_busy     (CohortLiveCount      *self);

G_END_DECLS
