/* cohort-member-model.c: the members of one evaluation as a lazy list model
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cohort-customer-item.h"
#include "cohort-member-model.h"

struct _CohortMemberModel
{
  GObject parent_instance;

  CohortEvaluation *evaluation;
  GArray *all;        /* guint32 ordinals, ascending */
  GArray *shown;      /* the ones matching the search (or @all itself) */
};

static void cohort_member_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CohortMemberModel, cohort_member_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      cohort_member_model_list_model_init))

static GType
cohort_member_model_get_item_type (GListModel *model)
{
  return COHORT_TYPE_CUSTOMER_ITEM;
}

static guint
cohort_member_model_get_n_items (GListModel *model)
{
  CohortMemberModel *self = COHORT_MEMBER_MODEL (model);

  return self->shown->len;
}

static gpointer
cohort_member_model_get_item (GListModel *model,
                              guint       position)
{
  CohortMemberModel *self = COHORT_MEMBER_MODEL (model);
  CohortCustomer *customer;
  guint32 ordinal;

  if (position >= self->shown->len)
    return NULL;

  ordinal = g_array_index (self->shown, guint32, position);
  customer = g_new0 (CohortCustomer, 1);
  customer->ordinal = ordinal;
  customer->id = g_strdup (cohort_evaluation_get_text (self->evaluation, ordinal, "id"));
  customer->email = g_strdup (cohort_evaluation_get_text (self->evaluation, ordinal, "email"));
  customer->values = g_array_new (FALSE, FALSE, sizeof (CohortCustomerValue));
  customer->attributes = g_ptr_array_new ();

  return cohort_customer_item_new (customer);
}

static void
cohort_member_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = cohort_member_model_get_item_type;
  iface->get_n_items = cohort_member_model_get_n_items;
  iface->get_item = cohort_member_model_get_item;
}

static void
cohort_member_model_finalize (GObject *object)
{
  CohortMemberModel *self = COHORT_MEMBER_MODEL (object);

  g_clear_pointer (&self->shown, g_array_unref);
  g_clear_pointer (&self->all, g_array_unref);
  g_clear_pointer (&self->evaluation, cohort_evaluation_unref);

  G_OBJECT_CLASS (cohort_member_model_parent_class)->finalize (object);
}

static void
cohort_member_model_class_init (CohortMemberModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cohort_member_model_finalize;
}

static void
cohort_member_model_init (CohortMemberModel *self)
{
}

CohortMemberModel *
cohort_member_model_new (CohortEvaluation *evaluation)
{
  CohortMemberModel *self;

  g_return_val_if_fail (evaluation != NULL, NULL);

  self = g_object_new (COHORT_TYPE_MEMBER_MODEL, NULL);
  self->evaluation = cohort_evaluation_ref (evaluation);
  self->all = cohort_evaluation_get_members (evaluation, 0, 0);
  self->shown = g_array_ref (self->all);

  return self;
}

static gboolean
contains_ascii_casefold (const char *haystack,
                         const char *needle,
                         gsize       needle_len)
{
  if (haystack == NULL)
    return FALSE;

  for (; *haystack != '\0'; haystack++)
    if (g_ascii_strncasecmp (haystack, needle, needle_len) == 0)
      return TRUE;

  return FALSE;
}

void
cohort_member_model_set_search (CohortMemberModel *self,
                                const char        *search)
{
  g_autoptr(GArray) shown = NULL;
  guint old_len;

  g_return_if_fail (COHORT_IS_MEMBER_MODEL (self));

  if (search == NULL || *search == '\0')
    shown = g_array_ref (self->all);
  else
    {
      gsize len = strlen (search);

      shown = g_array_new (FALSE, FALSE, sizeof (guint32));
      for (guint i = 0; i < self->all->len; i++)
        {
          guint32 ordinal = g_array_index (self->all, guint32, i);

          if (contains_ascii_casefold (cohort_evaluation_get_text (self->evaluation, ordinal, "id"), search, len) ||
              contains_ascii_casefold (cohort_evaluation_get_text (self->evaluation, ordinal, "email"), search, len))
            g_array_append_val (shown, ordinal);
        }
    }

  old_len = self->shown->len;
  g_array_unref (self->shown);
  self->shown = g_steal_pointer (&shown);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, self->shown->len);
}

guint
cohort_member_model_get_total (CohortMemberModel *self)
{
  g_return_val_if_fail (COHORT_IS_MEMBER_MODEL (self), 0);

  return self->all->len;
}

guint32
cohort_member_model_get_ordinal (CohortMemberModel *self,
                                 guint              position)
{
  g_return_val_if_fail (COHORT_IS_MEMBER_MODEL (self), 0);
  g_return_val_if_fail (position < self->shown->len, 0);

  return g_array_index (self->shown, guint32, position);
}
