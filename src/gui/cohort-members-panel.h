/* cohort-members-panel.h: a segment's members on its page, with their actions
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-member-model.h"
#include "cohort-segment.h"

G_BEGIN_DECLS

#define COHORT_TYPE_MEMBERS_PANEL (cohort_members_panel_get_type ())
G_DECLARE_FINAL_TYPE (CohortMembersPanel, cohort_members_panel, COHORT, MEMBERS_PANEL, AdwBin)

/* A manual segment: its members (searchable, multi-selection) with Add
 * Customers…, Remove and Clear Segment…. A data-driven segment: Save as
 * Manual Segment…. The members are read again each time a segment is set
 * (the window sets a fresh snapshot when the workspace changes). */
void               cohort_members_panel_set_segment   (CohortMembersPanel *self,
                                                       CohortWorkspace    *workspace,
                                                       CohortSegment      *segment);
/* The members shown (NULL while none are loaded) and their selection. */
CohortMemberModel *cohort_members_panel_get_model     (CohortMembersPanel *self);
GtkSelectionModel *cohort_members_panel_get_selection (CohortMembersPanel *self);
/* Whether the members are being read. */
gboolean           cohort_members_panel_get_loading   (CohortMembersPanel *self);
/* Whether a remove or clear is being written (in a thread). */
gboolean           cohort_members_panel_get_writing   (CohortMembersPanel *self);

G_END_DECLS
