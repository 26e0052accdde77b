/* cohort-customer-model.c: the customers of a workspace as a lazy list model
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-customer-item.h"
#include "cohort-customer-model.h"

#define PAGE_SIZE 100
#define MAX_PAGES 32

struct _CohortCustomerModel
{
  GObject parent_instance;

  CohortWorkspace *workspace;
  char *search;
  CohortCustomersSort sort;
  gboolean descending;

  guint n_items;
  GHashTable *pages;     /* page number → GPtrArray of CohortCustomerItem */
  GQueue lru;            /* page numbers, the most recently used first */
  guint reload_id;       /* a reload is due: the file changed under us */
};

static void cohort_customer_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CohortCustomerModel, cohort_customer_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      cohort_customer_model_list_model_init))

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
forget_pages (CohortCustomerModel *self)
{
  g_hash_table_remove_all (self->pages);
  g_queue_clear (&self->lru);
}

static guint
count_items (CohortCustomerModel *self)
{
  g_autoptr(GError) error = NULL;
  gint64 n;

  n = cohort_customers_count_matching (self->workspace, self->search, &error);
  if (n < 0)
    {
      g_warning ("Could not count customers: %s", error->message);
      return 0;
    }

  return (guint) MIN (n, G_MAXUINT);
}

void
cohort_customer_model_reload (CohortCustomerModel *self)
{
  guint old_n_items;

  g_return_if_fail (COHORT_IS_CUSTOMER_MODEL (self));

  g_clear_handle_id (&self->reload_id, g_source_remove);

  old_n_items = self->n_items;
  forget_pages (self);
  self->n_items = count_items (self);

  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n_items, self->n_items);
  if (old_n_items != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static gboolean
reload_cb (gpointer data)
{
  CohortCustomerModel *self = data;

  self->reload_id = 0;
  cohort_customer_model_reload (self);

  return G_SOURCE_REMOVE;
}

static void
queue_reload (CohortCustomerModel *self)
{
  /* Not from inside get_item(): a view asking for an item must not see the
   * model change under it. */
  if (self->reload_id == 0)
    self->reload_id = g_idle_add (reload_cb, self);
}

static GPtrArray *
load_page (CohortCustomerModel *self,
           guint                page)
{
  g_autoptr(GPtrArray) customers = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *items;

  customers = cohort_customers_find (self->workspace, self->search, self->sort, self->descending,
                                     (gint64) page * PAGE_SIZE, PAGE_SIZE, &error);
  if (customers == NULL)
    {
      g_warning ("Could not read customers: %s", error->message);
      return NULL;
    }

  /* The items take the customers over. */
  g_ptr_array_set_free_func (customers, NULL);
  items = g_ptr_array_new_full (customers->len, g_object_unref);
  for (guint i = 0; i < customers->len; i++)
    g_ptr_array_add (items, cohort_customer_item_new (customers->pdata[i]));

  g_hash_table_insert (self->pages, GUINT_TO_POINTER (page), items);
  g_queue_push_head (&self->lru, GUINT_TO_POINTER (page));

  while (g_queue_get_length (&self->lru) > MAX_PAGES)
    g_hash_table_remove (self->pages, g_queue_pop_tail (&self->lru));

  return items;
}

static GType
cohort_customer_model_get_item_type (GListModel *model)
{
  return COHORT_TYPE_CUSTOMER_ITEM;
}

static guint
cohort_customer_model_get_n_items (GListModel *model)
{
  return COHORT_CUSTOMER_MODEL (model)->n_items;
}

static gpointer
cohort_customer_model_get_item (GListModel *model,
                                guint       position)
{
  CohortCustomerModel *self = COHORT_CUSTOMER_MODEL (model);
  guint page = position / PAGE_SIZE;
  GPtrArray *items;

  if (position >= self->n_items)
    return NULL;

  items = g_hash_table_lookup (self->pages, GUINT_TO_POINTER (page));
  if (items != NULL)
    {
      /* Most recently used first. */
      if (g_queue_peek_head (&self->lru) != GUINT_TO_POINTER (page))
        {
          g_queue_remove (&self->lru, GUINT_TO_POINTER (page));
          g_queue_push_head (&self->lru, GUINT_TO_POINTER (page));
        }
    }
  else
    items = load_page (self, page);

  if (items == NULL || position % PAGE_SIZE >= items->len)
    {
      /* Fewer customers than counted: someone else deleted some. */
      queue_reload (self);
      return NULL;
    }

  return g_object_ref (items->pdata[position % PAGE_SIZE]);
}

static void
cohort_customer_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = cohort_customer_model_get_item_type;
  iface->get_n_items = cohort_customer_model_get_n_items;
  iface->get_item = cohort_customer_model_get_item;
}

static void
workspace_changed_cb (CohortCustomerModel *self,
                      guint                what)
{
  if (what & COHORT_CHANGE_CUSTOMERS)
    cohort_customer_model_reload (self);
}

static void
cohort_customer_model_constructed (GObject *object)
{
  CohortCustomerModel *self = COHORT_CUSTOMER_MODEL (object);

  G_OBJECT_CLASS (cohort_customer_model_parent_class)->constructed (object);

  g_signal_connect_object (self->workspace, "changed", G_CALLBACK (workspace_changed_cb),
                           self, G_CONNECT_SWAPPED);
  self->n_items = count_items (self);
}

static void
cohort_customer_model_dispose (GObject *object)
{
  CohortCustomerModel *self = COHORT_CUSTOMER_MODEL (object);

  g_clear_handle_id (&self->reload_id, g_source_remove);
  forget_pages (self);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cohort_customer_model_parent_class)->dispose (object);
}

static void
cohort_customer_model_finalize (GObject *object)
{
  CohortCustomerModel *self = COHORT_CUSTOMER_MODEL (object);

  g_hash_table_unref (self->pages);
  g_free (self->search);

  G_OBJECT_CLASS (cohort_customer_model_parent_class)->finalize (object);
}

static void
cohort_customer_model_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  CohortCustomerModel *self = COHORT_CUSTOMER_MODEL (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_customer_model_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  CohortCustomerModel *self = COHORT_CUSTOMER_MODEL (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      self->workspace = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_customer_model_class_init (CohortCustomerModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = cohort_customer_model_constructed;
  object_class->dispose = cohort_customer_model_dispose;
  object_class->finalize = cohort_customer_model_finalize;
  object_class->get_property = cohort_customer_model_get_property;
  object_class->set_property = cohort_customer_model_set_property;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         COHORT_TYPE_WORKSPACE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cohort_customer_model_init (CohortCustomerModel *self)
{
  self->pages = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  g_queue_init (&self->lru);
}

CohortCustomerModel *
cohort_customer_model_new (CohortWorkspace *workspace)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (workspace), NULL);

  return g_object_new (COHORT_TYPE_CUSTOMER_MODEL,
                       "workspace", workspace,
                       NULL);
}

CohortWorkspace *
cohort_customer_model_get_workspace (CohortCustomerModel *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_MODEL (self), NULL);

  return self->workspace;
}

void
cohort_customer_model_set_search (CohortCustomerModel *self,
                                  const char          *search)
{
  g_return_if_fail (COHORT_IS_CUSTOMER_MODEL (self));

  if (search != NULL && *search == '\0')
    search = NULL;

  if (g_strcmp0 (self->search, search) == 0)
    return;

  g_free (self->search);
  self->search = g_strdup (search);
  cohort_customer_model_reload (self);
}

const char *
cohort_customer_model_get_search (CohortCustomerModel *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_MODEL (self), NULL);

  return self->search;
}

void
cohort_customer_model_set_sort (CohortCustomerModel *self,
                                CohortCustomersSort  sort,
                                gboolean             descending)
{
  g_return_if_fail (COHORT_IS_CUSTOMER_MODEL (self));

  descending = !!descending;
  if (self->sort == sort && self->descending == descending)
    return;

  self->sort = sort;
  self->descending = descending;

  /* Same items, another order. */
  forget_pages (self);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, self->n_items, self->n_items);
}

guint
cohort_customer_model_get_n_pages (CohortCustomerModel *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_MODEL (self), 0);

  return g_hash_table_size (self->pages);
}
