/* cohort-segment-row.h: one segment in the sidebar list
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "cohort-segment.h"

G_BEGIN_DECLS

#define COHORT_TYPE_SEGMENT_ROW (cohort_segment_row_get_type ())
G_DECLARE_FINAL_TYPE (CohortSegmentRow, cohort_segment_row, COHORT, SEGMENT_ROW, GtkWidget)

GtkWidget     *cohort_segment_row_new         (void);
CohortSegment *cohort_segment_row_get_segment (CohortSegmentRow *self);
void           cohort_segment_row_set_segment (CohortSegmentRow *self,
                                               CohortSegment    *segment);

/* Shared with the segment page: how a kind and a count are shown. */
const char    *cohort_segment_kind_icon_name  (CohortSegmentKind kind);
const char    *cohort_segment_kind_label      (CohortSegmentKind kind);
char          *cohort_segment_format_count    (gint64            count);

G_END_DECLS
