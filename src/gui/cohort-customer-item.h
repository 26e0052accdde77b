/* cohort-customer-item.h: one customer, as an item of a list model
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "cohort-customers.h"

G_BEGIN_DECLS

#define COHORT_TYPE_CUSTOMER_ITEM (cohort_customer_item_get_type ())
G_DECLARE_FINAL_TYPE (CohortCustomerItem, cohort_customer_item, COHORT, CUSTOMER_ITEM, GObject)

/* Takes @customer. */
CohortCustomerItem   *cohort_customer_item_new          (CohortCustomer     *customer);
/* A row still being read: it gets its customer later (notify::loaded). */
CohortCustomerItem   *cohort_customer_item_new_placeholder (void);
gboolean              cohort_customer_item_get_loaded   (CohortCustomerItem *self);
/* Takes @customer; for placeholders. */
void                  cohort_customer_item_set_customer (CohortCustomerItem *self,
                                                         CohortCustomer     *customer);
/* NULL while not loaded. */
const CohortCustomer *cohort_customer_item_get_customer (CohortCustomerItem *self);
/* "" when the customer has none. */
const char           *cohort_customer_item_get_id       (CohortCustomerItem *self);
const char           *cohort_customer_item_get_email    (CohortCustomerItem *self);
/* The value of attribute @name, or NULL. */
const char           *cohort_customer_item_get_value    (CohortCustomerItem *self,
                                                         const char         *name);

G_END_DECLS
