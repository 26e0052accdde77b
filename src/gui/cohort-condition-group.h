/* cohort-condition-group.h: all / any / none of a list of conditions
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "cohort-condition-row.h"

G_BEGIN_DECLS

/* all = {"and": [...]}, any = {"or": [...]}, none = {"not": {"or": [...]}} */
typedef enum
{
  COHORT_GROUP_ALL,
  COHORT_GROUP_ANY,
  COHORT_GROUP_NONE,
} CohortGroupMode;

#define COHORT_TYPE_CONDITION_GROUP (cohort_condition_group_get_type ())
G_DECLARE_FINAL_TYPE (CohortConditionGroup, cohort_condition_group, COHORT, CONDITION_GROUP, GtkWidget)

/* @root: the top group (no remove button, not indented). */
GtkWidget          *cohort_condition_group_new           (CohortCriteriaContext *ctx,
                                                          gboolean               root);
/* An and/or/not-or node; any other node becomes the group's only child. */
void                cohort_condition_group_load          (CohortConditionGroup  *self,
                                                          JsonNode              *node);
JsonNode           *cohort_condition_group_to_json       (CohortConditionGroup  *self);
/* Checks every row (marking the invalid ones); TRUE when all are valid. */
gboolean            cohort_condition_group_validate      (CohortConditionGroup  *self);

/* Shows what is wrong with every row from now on (a save was tried). */
void                cohort_condition_group_reveal_problems (CohortConditionGroup *self);

CohortGroupMode     cohort_condition_group_get_mode      (CohortConditionGroup  *self);
void                cohort_condition_group_set_mode      (CohortConditionGroup  *self,
                                                          CohortGroupMode        mode);
/* Adds an attribute condition / an empty group at the end (and focuses it). */
CohortConditionRow *cohort_condition_group_add_condition (CohortConditionGroup  *self);
CohortConditionGroup *cohort_condition_group_add_group   (CohortConditionGroup  *self);
/* Children: CohortConditionRow or CohortConditionGroup. */
guint               cohort_condition_group_get_n_children (CohortConditionGroup *self);
GtkWidget          *cohort_condition_group_get_child     (CohortConditionGroup  *self,
                                                          guint                  position);

G_END_DECLS
