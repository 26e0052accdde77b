/* cohort-customer-dialog.h: one customer's identity and attributes
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-customer-item.h"

G_BEGIN_DECLS

#define COHORT_TYPE_CUSTOMER_DIALOG (cohort_customer_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CohortCustomerDialog, cohort_customer_dialog, COHORT, CUSTOMER_DIALOG, AdwWindow)

CohortCustomerDialog *cohort_customer_dialog_new (GtkWindow          *parent,
                                                  CohortWorkspace    *workspace,
                                                  CohortCustomerItem *customer);

G_END_DECLS
