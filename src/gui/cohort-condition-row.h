/* cohort-condition-row.h: one condition of the criteria builder
 *
 * A row edits one leaf of the criteria tree: an attribute condition, segment
 * membership (in / not in), an event condition, or any other node as JSON.
 * With filter set it edits an entry of an event's "where" list instead
 * ({"field", "operator", "value"} without the "attribute" wrapper).
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "cohort-workspace.h"

G_BEGIN_DECLS

/* What the rows offer for completion: the workspace's attributes (with
 * their types), event names and the other segments. Shared by the rows of
 * one builder, reference counted. */
typedef struct _CohortCriteriaContext CohortCriteriaContext;

CohortCriteriaContext *cohort_criteria_context_new   (CohortWorkspace       *ws,
                                                      gint64                 self_id);
CohortCriteriaContext *cohort_criteria_context_ref   (CohortCriteriaContext *ctx);
void                   cohort_criteria_context_unref (CohortCriteriaContext *ctx);
/* Reads the attributes, event names and segments again (for new rows). */
void                   cohort_criteria_context_reload (CohortCriteriaContext *ctx);
CohortWorkspace       *cohort_criteria_context_get_workspace (CohortCriteriaContext *ctx);
gint64                 cohort_criteria_context_get_self_id   (CohortCriteriaContext *ctx);
/* The CohortAttrType of attribute @name, or -1 when the workspace has none. */
int                    cohort_criteria_context_get_attr_type (CohortCriteriaContext *ctx,
                                                              const char            *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortCriteriaContext, cohort_criteria_context_unref)

typedef enum
{
  COHORT_CONDITION_ATTRIBUTE,
  COHORT_CONDITION_IN_SEGMENT,
  COHORT_CONDITION_NOT_IN_SEGMENT,
  COHORT_CONDITION_EVENT,
  COHORT_CONDITION_SAMPLE,
  COHORT_CONDITION_JSON,
} CohortConditionKind;

#define COHORT_TYPE_CONDITION_ROW (cohort_condition_row_get_type ())
G_DECLARE_FINAL_TYPE (CohortConditionRow, cohort_condition_row, COHORT, CONDITION_ROW, GtkWidget)

GtkWidget           *cohort_condition_row_new       (CohortCriteriaContext *ctx,
                                                     gboolean               filter);
/* Leniently: what cannot be shown in the editors falls back to JSON. */
void                 cohort_condition_row_load      (CohortConditionRow    *self,
                                                     JsonNode              *node);
/* The row as a criteria node (a "where" entry for filters). Always a node,
 * even while invalid, so that undo can restore the row as it was. */
JsonNode            *cohort_condition_row_to_json   (CohortConditionRow    *self);
/* Checks the row, shows the reason inline when invalid (for a new row, only
 * once the focus left it or cohort_condition_row_reveal_problems() was called). */
gboolean             cohort_condition_row_validate  (CohortConditionRow    *self);

/* Shows what is wrong with the row from now on (a save was tried). */
void                 cohort_condition_row_reveal_problems (CohortConditionRow *self);

CohortConditionKind  cohort_condition_row_get_kind  (CohortConditionRow    *self);
void                 cohort_condition_row_set_kind  (CohortConditionRow    *self,
                                                     CohortConditionKind    kind);
/* Where the row stands, for screen readers: @place names it inside its
 * controls' names ("condition 2" gives "Operator, condition 2"), @title
 * starts its own name ("Condition 2 of 3", then what it says). */
void                 cohort_condition_row_set_place (CohortConditionRow    *self,
                                                     const char            *place,
                                                     const char            *title);
/* Whether @node is a leaf that a row edits (rather than a group). */
gboolean             cohort_condition_row_handles   (JsonNode              *node);

G_END_DECLS
