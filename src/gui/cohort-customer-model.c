/* cohort-customer-model.c: the customers of a workspace as a lazy list model
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cohort-customer-item.h"
#include "cohort-customer-model.h"
#include "cohort-customer-order.h"

#define PAGE_SIZE 100
#define MAX_PAGES 32

struct _CohortCustomerModel
{
  GObject parent_instance;

  CohortWorkspace *workspace;
  char *search;
  CohortCustomersSort sort;
  gboolean descending;

  /* Sorted by an attribute: the ordinals in display order, computed from
   * the column index in a thread (cohort-customer-order.h). While a new
   * order is computed the old one (or the SQL order) keeps being shown. */
  char *sort_attribute;
  gboolean attribute_descending;
  GArray *order;             /* guint32 ordinals, or NULL: sorted in SQL */
  guint order_generation;
  GCancellable *order_cancellable;

  guint n_items;
  GHashTable *pages;     /* page number → GPtrArray of CohortCustomerItem */
  GQueue lru;            /* page numbers, the most recently used first */
  guint reload_id;       /* a reload is due: the file changed under us */

  /* Pages are read in threads, each with its own connection; a reload, a
   * new search or a new order starts a new generation and drops the
   * answers of the old one. */
  guint generation;
  GCancellable *cancellable;
  guint n_pending;
};

static void cohort_customer_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CohortCustomerModel, cohort_customer_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      cohort_customer_model_list_model_init))

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_N_ITEMS,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
forget_pages (CohortCustomerModel *self)
{
  g_hash_table_remove_all (self->pages);
  g_queue_clear (&self->lru);

  self->generation++;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
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

/* Every item changed. Said in two steps, all gone and then all new: told
 * that n items were replaced by n others, GTK 4.8's list views ask for each
 * new item to look for widgets to reuse, which would read the whole table. */
static void
replace_all (CohortCustomerModel *self,
             guint                old_n_items,
             guint                new_n_items)
{
  self->n_items = 0;
  if (old_n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n_items, 0);

  self->n_items = new_n_items;
  if (new_n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, new_n_items);
}

/* Pages and orders being read in threads: :loading follows their count. */
static void
loading_started (CohortCustomerModel *self)
{
  if (self->n_pending++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
loading_done (CohortCustomerModel *self)
{
  if (--self->n_pending == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void start_order (CohortCustomerModel *self);
static void cancel_order (CohortCustomerModel *self);

/* Sorted by an attribute, or searching: the rows come in an order computed
 * from the column index (a search there is one pass over the distinct ids
 * and emails, where SQL's LIKE would scan every row again for each page). */
static gboolean
uses_order (CohortCustomerModel *self)
{
  return self->sort_attribute != NULL || self->search != NULL;
}

/* The field of that order (NULL: the order customers were added in). */
static const char *
order_field (CohortCustomerModel *self,
             gboolean            *descending)
{
  if (self->sort_attribute != NULL)
    {
      *descending = self->attribute_descending;
      return self->sort_attribute;
    }
  *descending = self->descending;
  switch (self->sort)
    {
    case COHORT_CUSTOMERS_SORT_ID:
      return "id";
    case COHORT_CUSTOMERS_SORT_EMAIL:
      return "email";
    case COHORT_CUSTOMERS_SORT_ORDINAL:
    default:
      return NULL;
    }
}

void
cohort_customer_model_reload (CohortCustomerModel *self)
{
  guint old_n_items;

  g_return_if_fail (COHORT_IS_CUSTOMER_MODEL (self));

  g_clear_handle_id (&self->reload_id, g_source_remove);

  if (uses_order (self))
    {
      /* The rows shown stay until the new order is there. */
      start_order (self);
      return;
    }

  /* Back to SQL's order and count. */
  cancel_order (self);
  g_clear_pointer (&self->order, g_array_unref);
  old_n_items = self->n_items;
  forget_pages (self);
  replace_all (self, old_n_items, count_items (self));
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

typedef struct
{
  GWeakRef model;
  guint generation;
  GPtrArray *items;          /* the placeholders to fill */
  char *path;
  char *search;
  CohortCustomersSort sort;
  gboolean descending;
  gint64 offset;
  GArray *ordinals;          /* guint32: the page's, when sorted by an attribute */
} PageRequest;

static void
page_request_free (PageRequest *request)
{
  g_weak_ref_clear (&request->model);
  g_ptr_array_unref (request->items);
  g_free (request->path);
  g_free (request->search);
  g_clear_pointer (&request->ordinals, g_array_unref);
  g_free (request);
}

/* The customers with @ordinals, in that order, NULL for those deleted
 * meanwhile: one lookup on the primary key each. */
static GPtrArray *
read_by_ordinals (CohortWorkspace  *ws,
                  GArray           *ordinals,
                  GCancellable     *cancellable,
                  GError          **error)
{
  g_autoptr(GPtrArray) customers = g_ptr_array_new_full (ordinals->len, (GDestroyNotify) cohort_customer_free);

  for (guint i = 0; i < ordinals->len; i++)
    {
      guint32 ordinal = g_array_index (ordinals, guint32, i);
      g_autoptr(GPtrArray) found = NULL;
      CohortCustomer *customer = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      found = cohort_customers_list_after (ws, (gint64) ordinal - 1, 1, error);
      if (found == NULL)
        return NULL;
      if (found->len == 1 && ((CohortCustomer *) found->pdata[0])->ordinal == ordinal)
        customer = g_ptr_array_steal_index (found, 0);
      g_ptr_array_add (customers, customer);
    }
  return g_steal_pointer (&customers);
}

static void
read_page_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  PageRequest *request = task_data;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *customers;

  if (g_task_return_error_if_cancelled (task))
    return;

  ws = cohort_workspace_open (request->path, COHORT_WORKSPACE_OPEN_READ_ONLY, &error);
  if (ws == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (request->ordinals != NULL)
    customers = read_by_ordinals (ws, request->ordinals, cancellable, &error);
  else
    customers = cohort_customers_find (ws, request->search, request->sort, request->descending,
                                       request->offset, request->items->len, &error);
  if (customers == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, customers, (GDestroyNotify) g_ptr_array_unref);
}

static void
page_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PageRequest *request = g_task_get_task_data (G_TASK (result));
  g_autoptr(CohortCustomerModel) self = g_weak_ref_get (&request->model);
  g_autoptr(GPtrArray) customers = NULL;
  g_autoptr(GError) error = NULL;
  gboolean missing = FALSE;

  customers = g_task_propagate_pointer (G_TASK (result), &error);

  if (self == NULL)
    return;

  loading_done (self);

  if (request->generation != self->generation)
    return;

  if (customers == NULL)
    {
      g_warning ("Could not read customers: %s", error->message);
      return;
    }

  /* The items take the customers over. */
  for (guint i = 0; i < request->items->len && i < customers->len; i++)
    {
      if (customers->pdata[i] != NULL)
        cohort_customer_item_set_customer (request->items->pdata[i], g_steal_pointer (&customers->pdata[i]));
      else
        missing = TRUE;
    }

  /* Fewer customers than counted: someone else deleted some. */
  if ((missing || customers->len < request->items->len) &&
      (!uses_order (self) || self->order_cancellable == NULL))
    queue_reload (self);
}

typedef struct
{
  GWeakRef model;
  guint generation;
  char *path;
  char *field;
  char *search;
  gboolean descending;
} OrderRequest;

static void
order_request_free (OrderRequest *request)
{
  g_weak_ref_clear (&request->model);
  g_free (request->path);
  g_free (request->field);
  g_free (request->search);
  g_free (request);
}

static void
compute_order_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  OrderRequest *request = task_data;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GError) error = NULL;
  GArray *order;
  gint64 t0 = g_get_monotonic_time ();

  if (g_task_return_error_if_cancelled (task))
    return;

  ws = cohort_workspace_open (request->path, COHORT_WORKSPACE_OPEN_READ_ONLY, &error);
  if (ws == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  order = cohort_customer_order_for_db (cohort_workspace_get_db (ws), request->path, request->field,
                                        request->descending, request->search, cancellable, &error);
  if (order == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_debug ("Ordered %u customers by %s in %.1f ms", order->len, request->field,
           (g_get_monotonic_time () - t0) / 1000.0);
  g_task_return_pointer (task, order, (GDestroyNotify) g_array_unref);
}

static void
order_computed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  OrderRequest *request = g_task_get_task_data (G_TASK (result));
  g_autoptr(CohortCustomerModel) self = g_weak_ref_get (&request->model);
  g_autoptr(GArray) order = NULL;
  g_autoptr(GError) error = NULL;
  guint old_n_items;

  order = g_task_propagate_pointer (G_TASK (result), &error);

  if (self == NULL)
    return;

  loading_done (self);

  if (request->generation != self->order_generation || !uses_order (self))
    return;
  g_clear_object (&self->order_cancellable);

  if (order == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not sort customers: %s", error->message);
      return;
    }

  /* One switch to the new order: the rows read in the old one go. */
  old_n_items = self->n_items;
  forget_pages (self);
  g_clear_pointer (&self->order, g_array_unref);
  self->order = g_steal_pointer (&order);
  replace_all (self, old_n_items, self->order->len);
  if (old_n_items != self->n_items)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
cancel_order (CohortCustomerModel *self)
{
  self->order_generation++;
  g_cancellable_cancel (self->order_cancellable);
  g_clear_object (&self->order_cancellable);
}

/* Computes the order by the attribute in a thread, with its own connection;
 * a computation under way is dropped. */
static void
start_order (CohortCustomerModel *self)
{
  g_autoptr(GTask) task = NULL;
  OrderRequest *request;

  cancel_order (self);
  self->order_cancellable = g_cancellable_new ();

  request = g_new0 (OrderRequest, 1);
  g_weak_ref_init (&request->model, self);
  request->generation = self->order_generation;
  request->path = g_strdup (cohort_workspace_get_path (self->workspace));
  request->field = g_strdup (order_field (self, &request->descending));
  request->search = g_strdup (self->search);

  loading_started (self);

  task = g_task_new (NULL, self->order_cancellable, order_computed_cb, NULL);
  g_task_set_source_tag (task, start_order);
  g_task_set_task_data (task, request, (GDestroyNotify) order_request_free);
  g_task_run_in_thread (task, compute_order_thread);
}

/* Makes the page's items now, as placeholders, and reads them in a thread. */
static GPtrArray *
load_page (CohortCustomerModel *self,
           guint                page)
{
  g_autoptr(GTask) task = NULL;
  PageRequest *request;
  GPtrArray *items;
  guint first = page * PAGE_SIZE;
  guint n = MIN (PAGE_SIZE, self->n_items - first);

  g_debug ("Reading customers %u to %u", first, first + n);
  items = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, cohort_customer_item_new_placeholder ());

  g_hash_table_insert (self->pages, GUINT_TO_POINTER (page), items);
  g_queue_push_head (&self->lru, GUINT_TO_POINTER (page));

  while (g_queue_get_length (&self->lru) > MAX_PAGES)
    g_hash_table_remove (self->pages, g_queue_pop_tail (&self->lru));

  if (self->cancellable == NULL)
    self->cancellable = g_cancellable_new ();

  request = g_new0 (PageRequest, 1);
  g_weak_ref_init (&request->model, self);
  request->generation = self->generation;
  request->items = g_ptr_array_ref (items);
  request->path = g_strdup (cohort_workspace_get_path (self->workspace));
  request->search = g_strdup (self->search);
  request->sort = self->sort;
  request->descending = self->descending;
  request->offset = first;
  if (self->order != NULL)
    {
      request->ordinals = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n);
      g_array_append_vals (request->ordinals, &g_array_index (self->order, guint32, first), n);
    }

  loading_started (self);

  task = g_task_new (NULL, self->cancellable, page_read_cb, NULL);
  g_task_set_source_tag (task, load_page);
  g_task_set_task_data (task, request, (GDestroyNotify) page_request_free);
  g_task_run_in_thread (task, read_page_thread);

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

  if (position % PAGE_SIZE >= items->len)
    return NULL;

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
  cancel_order (self);
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
  g_free (self->sort_attribute);
  g_clear_pointer (&self->order, g_array_unref);

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

    case PROP_LOADING:
      g_value_set_boolean (value, self->n_pending > 0);
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

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
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
  /* The search is part of the order from the index. */
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
  gboolean was_order;

  g_return_if_fail (COHORT_IS_CUSTOMER_MODEL (self));

  descending = !!descending;
  if (self->sort_attribute == NULL && self->sort == sort && self->descending == descending)
    return;

  was_order = uses_order (self);
  self->sort = sort;
  self->descending = descending;
  g_clear_pointer (&self->sort_attribute, g_free);

  if (was_order || uses_order (self))
    {
      /* Into, within or out of an order from the index (back to SQL: the
       * count is SQL's too). */
      cohort_customer_model_reload (self);
      return;
    }

  /* Same items, another order. */
  forget_pages (self);
  replace_all (self, self->n_items, self->n_items);
}

void
cohort_customer_model_set_sort_attribute (CohortCustomerModel *self,
                                          const char          *attribute,
                                          gboolean             descending)
{
  g_return_if_fail (COHORT_IS_CUSTOMER_MODEL (self));
  g_return_if_fail (attribute != NULL && attribute[0] != '\0');

  descending = !!descending;
  if (g_strcmp0 (self->sort_attribute, attribute) == 0 && self->attribute_descending == descending)
    return;

  g_free (self->sort_attribute);
  self->sort_attribute = g_strdup (attribute);
  self->attribute_descending = descending;
  start_order (self);
}

const char *
cohort_customer_model_get_sort_attribute (CohortCustomerModel *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_MODEL (self), NULL);

  return self->sort_attribute;
}

typedef struct
{
  char *path;
  char *search;
  CohortCustomersSort sort;
  gboolean descending;
  GArray *runs;              /* guint pairs: first position, how many */
} OrdinalsRequest;

static void
ordinals_request_free (OrdinalsRequest *request)
{
  g_free (request->path);
  g_free (request->search);
  g_array_unref (request->runs);
  g_free (request);
}

static void
read_ordinals_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  OrdinalsRequest *request = task_data;
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GArray) ordinals = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;

  ws = cohort_workspace_open (request->path, COHORT_WORKSPACE_OPEN_READ_ONLY, &error);
  if (ws == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint r = 0; r + 1 < request->runs->len; r += 2)
    {
      guint position = g_array_index (request->runs, guint, r);
      guint n = g_array_index (request->runs, guint, r + 1);

      /* In chunks, so that a million rows never sit in memory at once. */
      while (n > 0)
        {
          guint chunk = MIN (n, 10000);
          g_autoptr(GPtrArray) customers = NULL;

          if (g_task_return_error_if_cancelled (task))
            return;
          customers = cohort_customers_find (ws, request->search, request->sort, request->descending,
                                             position, chunk, &error);
          if (customers == NULL)
            {
              g_task_return_error (task, g_steal_pointer (&error));
              return;
            }
          for (guint i = 0; i < customers->len; i++)
            {
              CohortCustomer *customer = g_ptr_array_index (customers, i);
              g_array_append_val (ordinals, customer->ordinal);
            }
          if (customers->len < chunk)
            break;
          position += chunk;
          n -= chunk;
        }
    }

  g_task_return_pointer (task, g_steal_pointer (&ordinals), (GDestroyNotify) g_array_unref);
}

void
cohort_customer_model_read_ordinals_async (CohortCustomerModel *self,
                                           GArray              *runs,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  OrdinalsRequest *request;

  g_return_if_fail (COHORT_IS_CUSTOMER_MODEL (self));
  g_return_if_fail (runs != NULL);

  if (self->order != NULL)
    {
      /* Sorted by an attribute, the ordinals are at hand. */
      GArray *ordinals = g_array_new (FALSE, FALSE, sizeof (gint64));

      for (guint r = 0; r + 1 < runs->len; r += 2)
        {
          guint position = g_array_index (runs, guint, r);
          guint n = g_array_index (runs, guint, r + 1);

          for (guint i = position; i < position + n && i < self->order->len; i++)
            {
              gint64 ordinal = g_array_index (self->order, guint32, i);

              g_array_append_val (ordinals, ordinal);
            }
        }
      task = g_task_new (self, cancellable, callback, user_data);
      g_task_set_source_tag (task, cohort_customer_model_read_ordinals_async);
      g_task_return_pointer (task, ordinals, (GDestroyNotify) g_array_unref);
      return;
    }

  request = g_new0 (OrdinalsRequest, 1);
  request->path = g_strdup (cohort_workspace_get_path (self->workspace));
  request->search = g_strdup (self->search);
  request->sort = self->sort;
  request->descending = self->descending;
  request->runs = g_array_ref (runs);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cohort_customer_model_read_ordinals_async);
  g_task_set_task_data (task, request, (GDestroyNotify) ordinals_request_free);
  g_task_run_in_thread (task, read_ordinals_thread);
}

GArray *
cohort_customer_model_read_ordinals_finish (CohortCustomerModel  *self,
                                            GAsyncResult         *result,
                                            GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
cohort_customer_model_get_loading (CohortCustomerModel *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_MODEL (self), FALSE);

  return self->n_pending > 0;
}

guint
cohort_customer_model_get_n_pages (CohortCustomerModel *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMER_MODEL (self), 0);

  return g_hash_table_size (self->pages);
}
