/* cohort-member-model.h: the members of one evaluation as a lazy list model
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cohort-evaluator.h"

G_BEGIN_DECLS

#define COHORT_TYPE_MEMBER_MODEL (cohort_member_model_get_type ())
G_DECLARE_FINAL_TYPE (CohortMemberModel, cohort_member_model, COHORT, MEMBER_MODEL, GObject)

/* A GListModel of CohortCustomerItem (id and email only). It keeps the
 * member ordinals of @evaluation (four bytes each) and makes an item only
 * when one is asked for, so a million members cost no million objects. */
CohortMemberModel *cohort_member_model_new         (CohortEvaluation  *evaluation);
/* Members whose id or email contains @search, case-insensitively (ASCII);
 * NULL or "" for all. */
void               cohort_member_model_set_search  (CohortMemberModel *self,
                                                    const char        *search);
/* All members, whatever the search. */
guint              cohort_member_model_get_total   (CohortMemberModel *self);
guint32            cohort_member_model_get_ordinal (CohortMemberModel *self,
                                                    guint              position);

G_END_DECLS
