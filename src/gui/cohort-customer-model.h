/* cohort-customer-model.h: the customers of a workspace as a lazy list model
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cohort-customers.h"

G_BEGIN_DECLS

#define COHORT_TYPE_CUSTOMER_MODEL (cohort_customer_model_get_type ())
G_DECLARE_FINAL_TYPE (CohortCustomerModel, cohort_customer_model, COHORT, CUSTOMER_MODEL, GObject)

/* A GListModel of CohortCustomerItem. Only the count is read up front; rows
 * are read from the workspace a page at a time when asked for, in a thread
 * (the item is a placeholder until then, see CohortCustomerItem:loaded), and
 * only a few pages are kept, so a million customers cost no more than a
 * hundred and a slow query never blocks the window. The model follows the
 * workspace's ::changed signal. */
CohortCustomerModel *cohort_customer_model_new            (CohortWorkspace     *workspace);
CohortWorkspace     *cohort_customer_model_get_workspace  (CohortCustomerModel *self);

/* Customers whose id or email contains @search (NULL or "" for all). */
void                 cohort_customer_model_set_search     (CohortCustomerModel *self,
                                                           const char          *search);
const char          *cohort_customer_model_get_search     (CohortCustomerModel *self);
/* Sorted in SQL by ordinal, id or email (leaves the order by an attribute). */
void                 cohort_customer_model_set_sort       (CohortCustomerModel *self,
                                                           CohortCustomersSort  sort,
                                                           gboolean             descending);
/* Sorted by the value of @attribute (see cohort-customer-order.h for the
 * order of values; customers without one come last either way). The order
 * of the matching customers is computed from the column index in a thread;
 * until it is there the rows shown stay, then every item changes at once
 * and n-items is its length. Follows the workspace's changes and the
 * search as the SQL order does. */
void                 cohort_customer_model_set_sort_attribute (CohortCustomerModel *self,
                                                               const char          *attribute,
                                                               gboolean             descending);
/* The attribute sorted by, or NULL when sorted in SQL. */
const char          *cohort_customer_model_get_sort_attribute (CohortCustomerModel *self);
/* Reads the count again and forgets the pages read. */
void                 cohort_customer_model_reload         (CohortCustomerModel *self);
/* The ordinals (GArray of gint64) of the rows in @runs (guint pairs: first
 * position, how many), read in a thread with their own connection: for
 * selections of rows that were never shown (Select All). */
void                 cohort_customer_model_read_ordinals_async  (CohortCustomerModel *self,
                                                                 GArray              *runs,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
GArray              *cohort_customer_model_read_ordinals_finish (CohortCustomerModel *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);
/* Whether pages are being read (their items are placeholders until then). */
gboolean             cohort_customer_model_get_loading    (CohortCustomerModel *self);
/* How many pages are held now (for tests). */
guint                cohort_customer_model_get_n_pages    (CohortCustomerModel *self);

G_END_DECLS
