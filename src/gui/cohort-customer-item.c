/* cohort-customer-item.c: one customer, as an item of a list model
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-customer-item.h"

struct _CohortCustomerItem
{
  GObject parent_instance;

  CohortCustomer *customer;
};

G_DEFINE_FINAL_TYPE (CohortCustomerItem, cohort_customer_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_EMAIL,
  PROP_LOADED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cohort_customer_item_finalize (GObject *object)
{
  CohortCustomerItem *self = COHORT_CUSTOMER_ITEM (object);

  g_clear_pointer (&self->customer, cohort_customer_free);

  G_OBJECT_CLASS (cohort_customer_item_parent_class)->finalize (object);
}

static void
cohort_customer_item_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  CohortCustomerItem *self = COHORT_CUSTOMER_ITEM (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, cohort_customer_item_get_id (self));
      break;

    case PROP_EMAIL:
      g_value_set_string (value, cohort_customer_item_get_email (self));
      break;

    case PROP_LOADED:
      g_value_set_boolean (value, self->customer != NULL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_customer_item_class_init (CohortCustomerItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cohort_customer_item_finalize;
  object_class->get_property = cohort_customer_item_get_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, "",
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_EMAIL] =
    g_param_spec_string ("email", NULL, NULL, "",
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cohort_customer_item_init (CohortCustomerItem *self)
{
}

CohortCustomerItem *
cohort_customer_item_new (CohortCustomer *customer)
{
  CohortCustomerItem *self;

  g_return_val_if_fail (customer != NULL, NULL);

  self = g_object_new (COHORT_TYPE_CUSTOMER_ITEM, NULL);
  self->customer = customer;

  return self;
}

CohortCustomerItem *
cohort_customer_item_new_placeholder (void)
{
  return g_object_new (COHORT_TYPE_CUSTOMER_ITEM, NULL);
}

gboolean
cohort_customer_item_get_loaded (CohortCustomerItem *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_ITEM (self), FALSE);

  return self->customer != NULL;
}

void
cohort_customer_item_set_customer (CohortCustomerItem *self,
                                   CohortCustomer     *customer)
{
  g_return_if_fail (COHORT_IS_CUSTOMER_ITEM (self));
  g_return_if_fail (customer != NULL);

  g_clear_pointer (&self->customer, cohort_customer_free);
  self->customer = customer;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

const CohortCustomer *
cohort_customer_item_get_customer (CohortCustomerItem *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_ITEM (self), NULL);

  return self->customer;
}

const char *
cohort_customer_item_get_id (CohortCustomerItem *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_ITEM (self), "");

  return self->customer && self->customer->id ? self->customer->id : "";
}

const char *
cohort_customer_item_get_email (CohortCustomerItem *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_ITEM (self), "");

  return self->customer && self->customer->email ? self->customer->email : "";
}

const char *
cohort_customer_item_get_value (CohortCustomerItem *self,
                                const char         *name)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_ITEM (self), NULL);

  return self->customer ? cohort_customer_get_value (self->customer, name) : NULL;
}
