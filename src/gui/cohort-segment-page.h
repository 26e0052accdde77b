/* cohort-segment-page.h: the details of one segment, with its actions
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-segment.h"

G_BEGIN_DECLS

#define COHORT_TYPE_SEGMENT_PAGE (cohort_segment_page_get_type ())
G_DECLARE_FINAL_TYPE (CohortSegmentPage, cohort_segment_page, COHORT, SEGMENT_PAGE, AdwBin)

/* The page shows @segment; its buttons activate the window's win.*-segment
 * actions, which act on the selected segment. */
CohortSegment *cohort_segment_page_get_segment (CohortSegmentPage *self);
void           cohort_segment_page_set_segment (CohortSegmentPage *self,
                                                CohortSegment     *segment);

/* Reads the segment's sync state again. */
void           cohort_segment_page_refresh_sync (CohortSegmentPage *self);

/* The rules editor of the page (shown for data-driven segments). */
struct _CohortCriteriaBuilder *cohort_segment_page_get_criteria_builder (CohortSegmentPage *self);

G_END_DECLS
