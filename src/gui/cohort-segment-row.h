/* cohort-segment-row.h: one segment in the sidebar list
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "cohort-remote-segment.h"
#include "cohort-segment.h"
#include "cohort-sync.h"

G_BEGIN_DECLS

#define COHORT_TYPE_SEGMENT_ROW (cohort_segment_row_get_type ())
G_DECLARE_FINAL_TYPE (CohortSegmentRow, cohort_segment_row, COHORT, SEGMENT_ROW, GtkWidget)

GtkWidget     *cohort_segment_row_new         (void);
CohortSegment *cohort_segment_row_get_segment (CohortSegmentRow *self);
void           cohort_segment_row_set_segment (CohortSegmentRow *self,
                                               CohortSegment    *segment);

/* The sync state shown under the kind (NULL: none known). */
void           cohort_segment_row_set_sync_status (CohortSegmentRow       *self,
                                                   const CohortSyncStatus *status);
/* Shows a segment made in Customer.io instead (NULL: none). */
CohortRemoteSegment *cohort_segment_row_get_remote (CohortSegmentRow    *self);
void           cohort_segment_row_set_remote  (CohortSegmentRow    *self,
                                               CohortRemoteSegment *remote);

/* The sync state in words: whole ("3 changes waiting to sync", "Sync
 * failed: …") and short, for a list row ("" when there is nothing to say). */
char          *cohort_sync_status_describe    (const CohortSyncStatus *status);
char          *cohort_sync_status_short       (const CohortSyncStatus *status);
/* "success", "warning", "error" or NULL. */
const char    *cohort_sync_status_style_class (const CohortSyncStatus *status);

/* Shared with the segment page: how a kind and a count are shown. */
const char    *cohort_segment_kind_icon_name  (CohortSegmentKind kind);
const char    *cohort_segment_kind_label      (CohortSegmentKind kind);
char          *cohort_segment_format_count    (gint64            count);

G_END_DECLS
