/* cohort-add-to-segment.h: "Add to Segment…" for customers chosen in a list
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-workspace.h"

G_BEGIN_DECLS

/* Asks which manual segment to add the customers @ordinals (gint64) to,
 * adds them and says how many were added in a toast of the AdwToastOverlay
 * around @widget. Without manual segments, says so. Returns the dialog. */
AdwMessageDialog *cohort_add_to_segment_present (GtkWidget       *widget,
                                                 CohortWorkspace *workspace,
                                                 GArray          *ordinals);

G_END_DECLS
