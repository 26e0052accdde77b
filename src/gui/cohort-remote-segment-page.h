/* cohort-remote-segment-page.h: a segment made in Customer.io: its type,
 * count, and Fetch Members for a manual one
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-remote-segment.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_TYPE_REMOTE_SEGMENT_PAGE (cohort_remote_segment_page_get_type ())
G_DECLARE_FINAL_TYPE (CohortRemoteSegmentPage, cohort_remote_segment_page, COHORT, REMOTE_SEGMENT_PAGE, AdwBin)

CohortRemoteSegment *cohort_remote_segment_page_get_segment (CohortRemoteSegmentPage *self);
void                 cohort_remote_segment_page_set_segment (CohortRemoteSegmentPage *self,
                                                             CohortWorkspace         *workspace,
                                                             CohortRemoteSegment     *segment);
/* TRUE while members are fetched (in a thread). */
gboolean             cohort_remote_segment_page_get_busy    (CohortRemoteSegmentPage *self);

G_END_DECLS
