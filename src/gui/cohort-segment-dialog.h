/* cohort-segment-dialog.h: create a segment, or edit one's name and description
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-segment.h"

G_BEGIN_DECLS

#define COHORT_TYPE_SEGMENT_DIALOG (cohort_segment_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CohortSegmentDialog, cohort_segment_dialog, COHORT, SEGMENT_DIALOG, AdwWindow)

/* With @segment NULL the dialog creates a segment, otherwise it edits
 * @segment. Save Changes writes to @workspace, emits ::saved with the stored
 * segment and closes the dialog. */
CohortSegmentDialog *cohort_segment_dialog_new           (GtkWindow       *parent,
                                                          CohortWorkspace *workspace,
                                                          CohortSegment   *segment);
/* Whether Save Changes can be activated now. */
gboolean             cohort_segment_dialog_get_can_save  (CohortSegmentDialog *self);

G_END_DECLS
