/* cohort-customers-view.h: the customers of the workspace in a table
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-customer-model.h"

G_BEGIN_DECLS

#define COHORT_TYPE_CUSTOMERS_VIEW (cohort_customers_view_get_type ())
G_DECLARE_FINAL_TYPE (CohortCustomersView, cohort_customers_view, COHORT, CUSTOMERS_VIEW, AdwBin)

CohortWorkspace     *cohort_customers_view_get_workspace (CohortCustomersView *self);
void                 cohort_customers_view_set_workspace (CohortCustomersView *self,
                                                          CohortWorkspace     *workspace);
/* NULL without a workspace. */
CohortCustomerModel *cohort_customers_view_get_model     (CohortCustomersView *self);
/* The attribute columns shown, in order (NULL-terminated; free with g_strfreev). */
char               **cohort_customers_view_get_columns   (CohortCustomersView *self);
void                 cohort_customers_view_show_column   (CohortCustomersView *self,
                                                          const char          *attribute,
                                                          gboolean             show);
void                 cohort_customers_view_focus_search  (CohortCustomersView *self);

G_END_DECLS
