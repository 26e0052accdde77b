/* cohort-customers-view.c: the customers of the workspace in a table
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-add-to-segment.h"
#include "cohort-customer-dialog.h"
#include "cohort-customer-item.h"
#include "cohort-customers-view.h"

/* Attribute columns shown when the user has not chosen any. */
#define DEFAULT_COLUMNS 4

typedef enum
{
  COLUMN_ID,
  COLUMN_EMAIL,
  COLUMN_ATTRIBUTE,
} ColumnKind;

typedef struct
{
  ColumnKind kind;
  char *name;              /* the attribute, for COLUMN_ATTRIBUTE */
  CohortAttrType type;
} ColumnInfo;

struct _CohortCustomersView
{
  AdwBin parent_instance;

  CohortWorkspace *workspace;
  CohortCustomerModel *model;
  GtkMultiSelection *selection;
  GPtrArray *attribute_columns;   /* GtkColumnViewColumn, in the order shown */
  gboolean columns_chosen;        /* the user picked columns: keep them */

  /* Which sort key the column view's sorter asked first (see "Sorting."):
   * a CohortCustomersSort, or an attribute's name. */
  int probed_key;
  const char *probed_attribute;
  GtkColumnViewColumn *probed_column;

  GtkStack *stack;
  GtkSearchEntry *search_entry;
  GtkMenuButton *columns_button;
  GtkListBox *columns_list;
  GtkStack *list_stack;
  GtkColumnView *column_view;
};

G_DEFINE_FINAL_TYPE (CohortCustomersView, cohort_customers_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_N_CUSTOMERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
column_info_free (ColumnInfo *info)
{
  g_free (info->name);
  g_free (info);
}

static char *
format_value (const char     *value,
              CohortAttrType  type)
{
  if (value == NULL)
    return g_strdup ("");

  if (type == COHORT_ATTR_TIMESTAMP)
    {
      char *end = NULL;
      gint64 seconds = g_ascii_strtoll (value, &end, 10);

      if (end != value && *end == '\0')
        {
          g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (seconds);

          /* Translators: a date and time in a table cell, see strftime (3) */
          if (dt != NULL)
            return g_date_time_format (dt, _("%Y-%m-%d %H:%M"));
        }
    }

  return g_strdup (value);
}

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (list_item, label);
}

static void
update_cell (GtkListItem *list_item)
{
  ColumnInfo *info = g_object_get_data (G_OBJECT (list_item), "column-info");
  CohortCustomerItem *item = gtk_list_item_get_item (list_item);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (list_item));
  g_autofree char *text = NULL;

  if (item == NULL || info == NULL)
    text = g_strdup ("");
  else if (info->kind == COLUMN_ID)
    text = g_strdup (cohort_customer_item_get_id (item));
  else if (info->kind == COLUMN_EMAIL)
    text = g_strdup (cohort_customer_item_get_email (item));
  else
    text = format_value (cohort_customer_item_get_value (item, info->name), info->type);

  gtk_label_set_label (label, text);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              ColumnInfo               *info)
{
  CohortCustomerItem *item = gtk_list_item_get_item (list_item);

  g_object_set_data (G_OBJECT (list_item), "column-info", info);
  update_cell (list_item);

  /* A row still being read fills in when it arrives. */
  if (item != NULL && !cohort_customer_item_get_loaded (item))
    g_signal_connect_object (item, "notify::loaded", G_CALLBACK (update_cell),
                             list_item, G_CONNECT_SWAPPED);
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                gpointer                  user_data)
{
  CohortCustomerItem *item = gtk_list_item_get_item (list_item);

  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, update_cell, list_item);
}

static GtkColumnViewColumn *
make_column (const char     *title,
             ColumnKind      kind,
             const char     *name,
             CohortAttrType  type)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  ColumnInfo *info = g_new0 (ColumnInfo, 1);
  GtkColumnViewColumn *column;

  info->kind = kind;
  info->name = g_strdup (name);
  info->type = type;

  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), NULL);
  g_signal_connect_data (factory, "bind", G_CALLBACK (cell_bind_cb), info,
                         (GClosureNotify) (void (*) (void)) column_info_free, 0);
  g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind_cb), NULL);

  column = gtk_column_view_column_new (title, g_steal_pointer (&factory));
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, kind != COLUMN_ATTRIBUTE);

  return column;
}

/* Sorting. The model sorts (by id or email in SQL, by an attribute from
 * the column index); the column view only says what the user asked for.
 * GTK 4.8 has no way to ask a GtkColumnViewSorter for its primary column
 * (that came in 4.10), so each sortable column gets a sorter that notes its
 * key when consulted, and comparing two items through the view's sorter
 * tells which key comes first and, from the result, its direction. */

typedef struct
{
  CohortCustomersView *view;
  GtkColumnViewColumn *column;   /* owns the sorter, so this */
  int key;
  char *attribute;          /* for attribute columns */
} SortKey;

static void
sort_key_free (SortKey *key)
{
  g_free (key->attribute);
  g_free (key);
}

static int
note_key_cb (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  SortKey *key = user_data;

  key->view->probed_key = key->key;
  key->view->probed_attribute = key->attribute;
  key->view->probed_column = key->column;
  return -1;
}

/* Makes @column sortable. @attribute: NULL for id and email, given by @sort. */
static void
set_sorter (CohortCustomersView *self,
            GtkColumnViewColumn *column,
            CohortCustomersSort  sort,
            const char          *attribute)
{
  g_autoptr(GtkSorter) sorter = NULL;
  SortKey *key = g_new0 (SortKey, 1);

  key->view = self;
  key->column = column;
  key->key = sort;
  key->attribute = g_strdup (attribute);

  sorter = GTK_SORTER (gtk_custom_sorter_new (note_key_cb, key, (GDestroyNotify) sort_key_free));
  gtk_column_view_column_set_sorter (column, sorter);
}

/* Probes the column view's sorter: the primary column (NULL for none) and
 * its order. */
static GtkOrdering
probe_sort (CohortCustomersView *self)
{
  GtkSorter *sorter = gtk_column_view_get_sorter (self->column_view);

  self->probed_key = -1;
  self->probed_attribute = NULL;
  self->probed_column = NULL;
  /* Two different objects: a sorter finds any item equal to itself. */
  return gtk_sorter_compare (sorter, self, self->column_view);
}

/* Keyboard. GTK 4.8's column headers take no focus (the header row may
 * not, and the titles are not focusable): Tab could not reach them, so
 * sorting needed a mouse. Each title becomes a focus stop, in column
 * order, and Enter or Space on it sorts as a click does. The header row and
 * its titles are GTK's own widgets: when they are not what 4.8 makes, this
 * leaves them alone. */

static gboolean
title_key_pressed_cb (GtkEventControllerKey *controller,
                      guint                  keyval,
                      guint                  keycode,
                      GdkModifierType        state,
                      CohortCustomersView   *self)
{
  GtkWidget *title = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  g_autoptr(GtkColumnViewColumn) column = NULL;
  guint position = 0;
  GtkOrdering order;

  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter &&
      keyval != GDK_KEY_space && keyval != GDK_KEY_KP_Space)
    return FALSE;
  if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)) != 0)
    return FALSE;

  /* The titles are in the order of the columns. */
  for (GtkWidget *w = gtk_widget_get_prev_sibling (title); w != NULL; w = gtk_widget_get_prev_sibling (w))
    position++;
  column = g_list_model_get_item (gtk_column_view_get_columns (self->column_view), position);
  if (column == NULL || gtk_column_view_column_get_sorter (column) == NULL)
    return FALSE;

  /* As a click: ascending, then the other way. */
  order = probe_sort (self);
  gtk_column_view_sort_by_column (self->column_view, column,
                                  self->probed_column == column && order == GTK_ORDERING_SMALLER
                                  ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
  self->probed_attribute = NULL;
  self->probed_column = NULL;
  return TRUE;
}

static void
make_titles_focusable (CohortCustomersView *self)
{
  GType title_type = g_type_from_name ("GtkColumnViewTitle");
  GtkWidget *header = gtk_widget_get_first_child (GTK_WIDGET (self->column_view));
  GtkWidget *title;

  if (title_type == 0 || header == NULL)
    return;
  for (title = gtk_widget_get_first_child (header); title != NULL; title = gtk_widget_get_next_sibling (title))
    if (!G_TYPE_CHECK_INSTANCE_TYPE (title, title_type))
      return;

  /* Focus may enter the header row, which is no stop itself. */
  gtk_widget_set_can_focus (header, TRUE);
  gtk_widget_set_focusable (header, FALSE);
  for (title = gtk_widget_get_first_child (header); title != NULL; title = gtk_widget_get_next_sibling (title))
    {
      GtkEventController *keys;

      if (g_object_get_data (G_OBJECT (title), "cohort-keyboard") != NULL)
        continue;
      g_object_set_data (G_OBJECT (title), "cohort-keyboard", GINT_TO_POINTER (TRUE));
      gtk_widget_set_focusable (title, TRUE);
      keys = gtk_event_controller_key_new ();
      g_signal_connect_object (keys, "key-pressed", G_CALLBACK (title_key_pressed_cb), self, 0);
      gtk_widget_add_controller (title, keys);
    }
}

static void
sorter_changed_cb (CohortCustomersView *self)
{
  GtkOrdering order;

  if (self->model == NULL || self->column_view == NULL)
    return;

  order = probe_sort (self);

  if (self->probed_key < 0 || order == GTK_ORDERING_EQUAL)
    cohort_customer_model_set_sort (self->model, COHORT_CUSTOMERS_SORT_ORDINAL, FALSE);
  else if (self->probed_attribute != NULL)
    cohort_customer_model_set_sort_attribute (self->model, self->probed_attribute, order == GTK_ORDERING_LARGER);
  else
    cohort_customer_model_set_sort (self->model, self->probed_key, order == GTK_ORDERING_LARGER);
  /* Borrowed from the column's sorter: only good during the probe. */
  self->probed_attribute = NULL;
  self->probed_column = NULL;
}

/* Columns */

static gboolean
is_shown (CohortCustomersView *self,
          const char          *name)
{
  for (guint i = 0; i < self->attribute_columns->len; i++)
    {
      GtkColumnViewColumn *column = self->attribute_columns->pdata[i];

      if (g_strcmp0 (g_object_get_data (G_OBJECT (column), "attribute"), name) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
show_column (CohortCustomersView *self,
             const char          *name,
             CohortAttrType       type,
             gboolean             show)
{
  if (show == is_shown (self, name))
    return;

  if (show)
    {
      GtkColumnViewColumn *column = make_column (name, COLUMN_ATTRIBUTE, name, type);

      /* Sortable like id and email, by the attribute's values. */
      set_sorter (self, column, COHORT_CUSTOMERS_SORT_ORDINAL, name);
      g_object_set_data_full (G_OBJECT (column), "attribute", g_strdup (name), g_free);
      gtk_column_view_append_column (self->column_view, column);
      make_titles_focusable (self);
      g_ptr_array_add (self->attribute_columns, column);
    }
  else
    {
      for (guint i = 0; i < self->attribute_columns->len; i++)
        {
          GtkColumnViewColumn *column = self->attribute_columns->pdata[i];

          if (g_strcmp0 (g_object_get_data (G_OBJECT (column), "attribute"), name) == 0)
            {
              gtk_column_view_remove_column (self->column_view, column);
              g_ptr_array_remove_index (self->attribute_columns, i);
              break;
            }
        }
    }
}

static void
column_toggled_cb (GtkCheckButton      *check,
                   CohortCustomersView *self)
{
  const char *name = g_object_get_data (G_OBJECT (check), "attribute");
  CohortAttrType type = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (check), "attribute-type"));

  self->columns_chosen = TRUE;
  show_column (self, name, type, gtk_check_button_get_active (check));
}

/* Lists the workspace's attributes in the Columns menu, and shows the first
 * few until the user chooses. */
static void
update_attributes (CohortCustomersView *self)
{
  g_autoptr(GPtrArray) attributes = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->columns_list))) != NULL)
    gtk_list_box_remove (self->columns_list, child);

  if (self->workspace == NULL)
    return;

  attributes = cohort_attributes_list (self->workspace, &error);
  if (attributes == NULL)
    {
      g_warning ("Could not list attributes: %s", error->message);
      return;
    }

  /* Drop the columns of attributes that are gone. */
  for (guint i = self->attribute_columns->len; i > 0; i--)
    {
      GtkColumnViewColumn *column = self->attribute_columns->pdata[i - 1];
      const char *name = g_object_get_data (G_OBJECT (column), "attribute");
      gboolean found = FALSE;

      for (guint j = 0; j < attributes->len && !found; j++)
        found = g_str_equal (((CohortAttribute *) attributes->pdata[j])->name, name);

      if (!found)
        {
          gtk_column_view_remove_column (self->column_view, column);
          g_ptr_array_remove_index (self->attribute_columns, i - 1);
        }
    }

  for (guint i = 0; i < attributes->len; i++)
    {
      CohortAttribute *attribute = attributes->pdata[i];
      GtkWidget *check = gtk_check_button_new_with_label (attribute->name);

      if (!self->columns_chosen && i < DEFAULT_COLUMNS)
        show_column (self, attribute->name, attribute->type, TRUE);

      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), is_shown (self, attribute->name));
      g_object_set_data_full (G_OBJECT (check), "attribute", g_strdup (attribute->name), g_free);
      g_object_set_data (G_OBJECT (check), "attribute-type", GINT_TO_POINTER (attribute->type));
      g_signal_connect (check, "toggled", G_CALLBACK (column_toggled_cb), self);
      gtk_list_box_append (self->columns_list, check);
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->columns_button), attributes->len > 0);
}

static void
update_view (CohortCustomersView *self)
{
  guint n_items = self->model ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
  const char *search = self->model ? cohort_customer_model_get_search (self->model) : NULL;

  if (n_items == 0 && search == NULL)
    gtk_stack_set_visible_child_name (self->stack, "empty");
  else
    {
      gtk_stack_set_visible_child_name (self->stack, "customers");
      gtk_stack_set_visible_child_name (self->list_stack, n_items > 0 ? "list" : "no-results");
    }
}

static void
n_items_changed_cb (CohortCustomersView *self)
{
  update_view (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CUSTOMERS]);
}

static void
workspace_changed_cb (CohortCustomersView *self,
                      guint                what)
{
  if (what & COHORT_CHANGE_CUSTOMERS)
    update_attributes (self);
}

static void
search_changed_cb (CohortCustomersView *self)
{
  if (self->model != NULL)
    cohort_customer_model_set_search (self->model,
                                      gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  update_view (self);
}

/* Add to Segment… for the selected customers */

static void
update_add_to_segment (CohortCustomersView *self)
{
  g_autoptr(GtkBitset) selected = NULL;

  if (self->selection != NULL)
    selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "customers.add-to-segment",
                                 selected != NULL && !gtk_bitset_is_empty (selected));
}

static void
selection_read_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CohortCustomersView) self = user_data;
  g_autoptr(GArray) ordinals = NULL;
  g_autoptr(GError) error = NULL;

  ordinals = cohort_customer_model_read_ordinals_finish (COHORT_CUSTOMER_MODEL (source), result, &error);
  /* Another workspace meanwhile, or the view is gone. */
  if (self->model != COHORT_CUSTOMER_MODEL (source) || self->workspace == NULL ||
      gtk_widget_get_root (GTK_WIDGET (self)) == NULL)
    return;

  if (ordinals == NULL)
    {
      GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

      if (overlay != NULL)
        adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (error->message));
      return;
    }

  if (ordinals->len > 0)
    cohort_add_to_segment_present (GTK_WIDGET (self), self->workspace, ordinals);
}

static void
add_to_segment_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CohortCustomersView *self = COHORT_CUSTOMERS_VIEW (widget);
  g_autoptr(GtkBitset) selected = NULL;
  g_autoptr(GArray) runs = NULL;
  GtkBitsetIter iter;
  guint position;

  if (self->selection == NULL || self->workspace == NULL)
    return;

  /* Rows are read a page at a time, and Select All selects rows never
   * read: the ordinals of the selection are read in a thread, by runs of
   * positions. */
  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  runs = g_array_new (FALSE, FALSE, sizeof (guint));
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, selected, &position); ok; )
    {
      guint start = position;
      guint run = 1;

      while ((ok = gtk_bitset_iter_next (&iter, &position)) && position == start + run)
        run++;
      g_array_append_val (runs, start);
      g_array_append_val (runs, run);
    }
  if (runs->len == 0)
    return;

  cohort_customer_model_read_ordinals_async (self->model, runs, NULL, selection_read_cb, g_object_ref (self));
}

static void
row_activated_cb (CohortCustomersView *self,
                  guint                position)
{
  g_autoptr(CohortCustomerItem) item = NULL;
  CohortCustomerDialog *dialog;

  if (self->model == NULL)
    return;

  item = g_list_model_get_item (G_LIST_MODEL (self->model), position);
  if (item == NULL || !cohort_customer_item_get_loaded (item))
    return;

  dialog = cohort_customer_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                       self->workspace, item);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cohort_customers_view_dispose (GObject *object)
{
  CohortCustomersView *self = COHORT_CUSTOMERS_VIEW (object);

  cohort_customers_view_set_workspace (self, NULL);
  if (self->column_view != NULL)
    g_signal_handlers_disconnect_by_data (gtk_column_view_get_sorter (self->column_view), self);

  /* The bin's child is a template child: let go of it once. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_CUSTOMERS_VIEW);
  g_clear_pointer (&self->attribute_columns, g_ptr_array_unref);

  G_OBJECT_CLASS (cohort_customers_view_parent_class)->dispose (object);
}

static void
cohort_customers_view_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  CohortCustomersView *self = COHORT_CUSTOMERS_VIEW (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;

    case PROP_N_CUSTOMERS:
      g_value_set_uint (value, self->model ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_customers_view_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  CohortCustomersView *self = COHORT_CUSTOMERS_VIEW (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      cohort_customers_view_set_workspace (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_customers_view_class_init (CohortCustomersViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_customers_view_dispose;
  object_class->get_property = cohort_customers_view_get_property;
  object_class->set_property = cohort_customers_view_set_property;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         COHORT_TYPE_WORKSPACE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Matching the search. */
  properties[PROP_N_CUSTOMERS] =
    g_param_spec_uint ("n-customers", NULL, NULL, 0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-customers-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortCustomersView, stack);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomersView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomersView, columns_button);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomersView, columns_list);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomersView, list_stack);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomersView, column_view);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_install_action (widget_class, "customers.add-to-segment", NULL, add_to_segment_activated);
}

static void
cohort_customers_view_init (CohortCustomersView *self)
{
  GtkColumnViewColumn *column;

  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));

  self->attribute_columns = g_ptr_array_new_with_free_func (g_object_unref);

  column = make_column (_("ID"), COLUMN_ID, NULL, COHORT_ATTR_STRING);
  set_sorter (self, column, COHORT_CUSTOMERS_SORT_ID, NULL);
  gtk_column_view_append_column (self->column_view, column);
  g_object_unref (column);

  column = make_column (_("Email"), COLUMN_EMAIL, NULL, COHORT_ATTR_STRING);
  set_sorter (self, column, COHORT_CUSTOMERS_SORT_EMAIL, NULL);
  gtk_column_view_append_column (self->column_view, column);
  g_object_unref (column);
  make_titles_focusable (self);

  g_signal_connect_object (gtk_column_view_get_sorter (self->column_view), "changed",
                           G_CALLBACK (sorter_changed_cb), self, G_CONNECT_SWAPPED);

  update_view (self);
  update_add_to_segment (self);
}

CohortWorkspace *
cohort_customers_view_get_workspace (CohortCustomersView *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMERS_VIEW (self), NULL);

  return self->workspace;
}

void
cohort_customers_view_set_workspace (CohortCustomersView *self,
                                     CohortWorkspace     *workspace)
{
  g_return_if_fail (COHORT_IS_CUSTOMERS_VIEW (self));
  g_return_if_fail (workspace == NULL || COHORT_IS_WORKSPACE (workspace));

  if (self->workspace == workspace)
    return;

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);

  if (self->column_view != NULL)
    gtk_column_view_set_model (self->column_view, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  g_set_object (&self->workspace, workspace);
  self->columns_chosen = FALSE;

  if (workspace != NULL)
    {
      self->model = cohort_customer_model_new (workspace);
      self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
      g_signal_connect_object (self->selection, "selection-changed",
                               G_CALLBACK (update_add_to_segment), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->selection, "items-changed",
                               G_CALLBACK (update_add_to_segment), self, G_CONNECT_SWAPPED);
      gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

      g_signal_connect_object (self->model, "notify::n-items", G_CALLBACK (n_items_changed_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (workspace, "changed", G_CALLBACK (workspace_changed_cb),
                               self, G_CONNECT_SWAPPED);

      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      sorter_changed_cb (self);
    }

  if (self->column_view != NULL)
    {
      update_attributes (self);
      update_view (self);
    }
  update_add_to_segment (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKSPACE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CUSTOMERS]);
}

CohortCustomerModel *
cohort_customers_view_get_model (CohortCustomersView *self)
{
  g_return_val_if_fail (COHORT_IS_CUSTOMERS_VIEW (self), NULL);

  return self->model;
}

char **
cohort_customers_view_get_columns (CohortCustomersView *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **columns;

  g_return_val_if_fail (COHORT_IS_CUSTOMERS_VIEW (self), NULL);

  for (guint i = 0; i < self->attribute_columns->len; i++)
    g_strv_builder_add (builder, g_object_get_data (self->attribute_columns->pdata[i], "attribute"));

  columns = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);

  return columns;
}

void
cohort_customers_view_show_column (CohortCustomersView *self,
                                   const char          *attribute,
                                   gboolean             show)
{
  GtkWidget *row;

  g_return_if_fail (COHORT_IS_CUSTOMERS_VIEW (self));

  /* As if the user ticked it in the Columns menu. */
  for (row = gtk_widget_get_first_child (GTK_WIDGET (self->columns_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      GtkWidget *check = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (row));
      const char *name = g_object_get_data (G_OBJECT (check), "attribute");

      if (g_strcmp0 (name, attribute) == 0)
        gtk_check_button_set_active (GTK_CHECK_BUTTON (check), show);
    }
}

void
cohort_customers_view_focus_search (CohortCustomersView *self)
{
  g_return_if_fail (COHORT_IS_CUSTOMERS_VIEW (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}
