/* cohort-criteria-builder.h: the rules of a data-driven segment, edited
 *
 * The builder shows a segment's criteria as groups of condition rows, counts
 * who matches while the user edits (CohortLiveCount) with a preview of the
 * first matching customers, and saves with cohort_segments_set_criteria().
 * Its actions (criteria.save, .discard, .undo, .redo, .copy-json,
 * .paste-json) are widget actions; Ctrl+Z and Ctrl+Shift+Z undo and redo.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-condition-group.h"
#include "cohort-segment.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_TYPE_CRITERIA_BUILDER (cohort_criteria_builder_get_type ())
G_DECLARE_FINAL_TYPE (CohortCriteriaBuilder, cohort_criteria_builder, COHORT, CRITERIA_BUILDER, GtkWidget)

GtkWidget            *cohort_criteria_builder_new          (void);
/* Shows the criteria of @segment (hidden for manual segments and NULL).
 * Setting the same segment again (a reloaded copy) keeps unsaved edits. */
void                  cohort_criteria_builder_set_segment  (CohortCriteriaBuilder *self,
                                                            CohortWorkspace       *ws,
                                                            CohortSegment         *segment);
gboolean              cohort_criteria_builder_has_unsaved_changes (CohortCriteriaBuilder *self);
/* Saves the edits; FALSE with @error when they are invalid or cannot be stored. */
gboolean              cohort_criteria_builder_save         (CohortCriteriaBuilder *self,
                                                            GError               **error);
void                  cohort_criteria_builder_discard      (CohortCriteriaBuilder *self);
/* Puts the focus on the first condition, or on Add Condition when there is none. */
void                  cohort_criteria_builder_focus_first  (CohortCriteriaBuilder *self);

/* For tests and the page. */
CohortConditionGroup *cohort_criteria_builder_get_root     (CohortCriteriaBuilder *self);
/* The criteria as edited (compact canonical JSON), or NULL while invalid. */
char                 *cohort_criteria_builder_dup_json     (CohortCriteriaBuilder *self);
/* How many customers match (-1: not known yet, or invalid). */
gint64                cohort_criteria_builder_get_match_count (CohortCriteriaBuilder *self);
/* Parses @json and shows it (an undoable edit); the error is also shown. */
gboolean              cohort_criteria_builder_paste_text   (CohortCriteriaBuilder *self,
                                                            const char            *json,
                                                            GError               **error);

G_END_DECLS
