/* cohort-customer-dialog.c: one customer's identity and attributes
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-customer-dialog.h"

struct _CohortCustomerDialog
{
  AdwWindow parent_instance;

  AdwWindowTitle *window_title;
  AdwActionRow *id_row;
  AdwActionRow *email_row;
  AdwActionRow *added_row;
  AdwActionRow *modified_row;
  AdwPreferencesGroup *attributes_group;
};

G_DEFINE_FINAL_TYPE (CohortCustomerDialog, cohort_customer_dialog, ADW_TYPE_WINDOW)

static const char *
type_label (CohortAttrType type)
{
  switch (type)
    {
    case COHORT_ATTR_NUMBER:
      return _("Number");
    case COHORT_ATTR_BOOLEAN:
      return _("Yes or no");
    case COHORT_ATTR_TIMESTAMP:
      return _("Date and time");
    case COHORT_ATTR_STRING:
    default:
      return _("Text");
    }
}

static char *
format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = unix_time > 0 ? g_date_time_new_from_unix_local (unix_time) : NULL;

  if (dt == NULL)
    return g_strdup (_("Unknown"));

  /* Translators: a date and time, see strftime (3) */
  return g_date_time_format (dt, _("%-d %B %Y, %H:%M"));
}

static char *
format_value (const CohortCustomerValue *value)
{
  if (value->attribute->type == COHORT_ATTR_TIMESTAMP)
    {
      char *end = NULL;
      gint64 seconds = g_ascii_strtoll (value->value, &end, 10);

      if (end != value->value && *end == '\0')
        return format_time (seconds);
    }

  return g_strdup (value->value);
}

static void
set_subtitle (AdwActionRow *row,
              const char   *text)
{
  /* Markup is off: values are shown as they are. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (row, text != NULL && *text != '\0' ? text : _("None"));
}

static void
cohort_customer_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), COHORT_TYPE_CUSTOMER_DIALOG);

  G_OBJECT_CLASS (cohort_customer_dialog_parent_class)->dispose (object);
}

static void
cohort_customer_dialog_class_init (CohortCustomerDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_customer_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-customer-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortCustomerDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomerDialog, id_row);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomerDialog, email_row);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomerDialog, added_row);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomerDialog, modified_row);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomerDialog, attributes_group);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cohort_customer_dialog_init (CohortCustomerDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CohortCustomerDialog *
cohort_customer_dialog_new (GtkWindow          *parent,
                            CohortWorkspace    *workspace,
                            CohortCustomerItem *item)
{
  const CohortCustomer *customer;
  CohortCustomerDialog *self;
  g_autofree char *added = NULL;
  g_autofree char *modified = NULL;
  const char *name;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (COHORT_IS_CUSTOMER_ITEM (item), NULL);

  customer = cohort_customer_item_get_customer (item);
  self = g_object_new (COHORT_TYPE_CUSTOMER_DIALOG,
                       "transient-for", parent,
                       NULL);

  name = customer->email ? customer->email : customer->id;
  gtk_window_set_title (GTK_WINDOW (self), name);
  adw_window_title_set_title (self->window_title, name);

  set_subtitle (self->id_row, customer->id);
  set_subtitle (self->email_row, customer->email);
  added = format_time (customer->added_at);
  modified = format_time (customer->modified_at);
  set_subtitle (self->added_row, added);
  set_subtitle (self->modified_row, modified);

  if (customer->values == NULL || customer->values->len == 0)
    adw_preferences_group_set_description (self->attributes_group, _("This customer has no attributes"));

  for (guint i = 0; customer->values != NULL && i < customer->values->len; i++)
    {
      const CohortCustomerValue *value = &g_array_index (customer->values, CohortCustomerValue, i);
      g_autofree char *text = format_value (value);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *type = gtk_label_new (type_label (value->attribute->type));

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), value->attribute->name);
      set_subtitle (ADW_ACTION_ROW (row), text);
      gtk_widget_add_css_class (type, "dim-label");
      gtk_widget_add_css_class (type, "caption");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), type);
      adw_preferences_group_add (self->attributes_group, row);
    }

  return self;
}
