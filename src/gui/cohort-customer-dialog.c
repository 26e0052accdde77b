/* cohort-customer-dialog.c: one customer's identity and attributes
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-customer-dialog.h"
#include "cohort-events.h"

/* Events are read a page at a time, newest first. */
#define EVENTS_PAGE_SIZE 50

struct _CohortCustomerDialog
{
  AdwWindow parent_instance;

  AdwWindowTitle *window_title;
  AdwActionRow *id_row;
  AdwActionRow *email_row;
  AdwActionRow *added_row;
  AdwActionRow *modified_row;
  AdwPreferencesGroup *attributes_group;
  AdwPreferencesGroup *events_group;
  AdwPreferencesGroup *history_group;
  GtkButton *more_button;

  CohortWorkspace *workspace;
  gint64 ordinal;
  guint n_events_shown;
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

static char *
format_date (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_time);

  if (dt == NULL)
    return g_strdup (_("Unknown"));

  /* Translators: a date, see strftime (3) */
  return g_date_time_format (dt, _("%-d %B %Y"));
}

static GtkWidget *
event_row_new (const CohortEvent *event)
{
  g_autofree char *when = NULL;
  GtkWidget *row;
  guint n_attributes = event->keys != NULL ? g_strv_length (event->keys) : 0;

  when = event->timestamp > 0 ? format_time (event->timestamp) : g_strdup (_("Unknown"));
  if (n_attributes == 0)
    {
      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), when);
    }
  else
    {
      row = adw_expander_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), when);
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), event->name);

  for (guint i = 0; i < n_attributes; i++)
    {
      GtkWidget *attribute = adw_action_row_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (attribute), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (attribute), event->keys[i]);
      set_subtitle (ADW_ACTION_ROW (attribute), event->values[i]);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), attribute);
    }

  return row;
}

/* Appends the next page of the customer's events. */
static void
load_more_events (CohortCustomerDialog *self)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  /* One more than a page tells whether there are more. */
  events = cohort_events_list (self->workspace, self->ordinal, self->n_events_shown,
                               EVENTS_PAGE_SIZE + 1, &error);
  if (events == NULL)
    {
      g_warning ("Could not read the events of customer %" PRId64 ": %s",
                 self->ordinal, error->message);
      adw_preferences_group_set_description (self->history_group, _("The events could not be read"));
      gtk_widget_set_visible (GTK_WIDGET (self->more_button), FALSE);
      return;
    }

  for (guint i = 0; i < events->len && i < EVENTS_PAGE_SIZE; i++)
    adw_preferences_group_add (self->history_group, event_row_new (g_ptr_array_index (events, i)));
  self->n_events_shown += MIN (events->len, EVENTS_PAGE_SIZE);
  gtk_widget_set_visible (GTK_WIDGET (self->more_button), events->len > EVENTS_PAGE_SIZE);
}

static void
more_clicked_cb (CohortCustomerDialog *self)
{
  load_more_events (self);
}

static void
load_events (CohortCustomerDialog *self)
{
  g_autoptr(GPtrArray) summaries = NULL;
  g_autoptr(GError) error = NULL;

  summaries = cohort_events_summarize (self->workspace, self->ordinal, &error);
  if (summaries == NULL)
    {
      g_warning ("Could not summarize the events of customer %" PRId64 ": %s",
                 self->ordinal, error->message);
      adw_preferences_group_set_description (self->events_group, _("The events could not be read"));
      gtk_widget_set_visible (GTK_WIDGET (self->history_group), FALSE);
      return;
    }

  if (summaries->len == 0)
    {
      adw_preferences_group_set_description (self->events_group, _("This customer has no events"));
      gtk_widget_set_visible (GTK_WIDGET (self->history_group), FALSE);
      return;
    }

  for (guint i = 0; i < summaries->len; i++)
    {
      const CohortEventSummary *summary = g_ptr_array_index (summaries, i);
      g_autofree char *last = format_date (summary->last);
      g_autofree char *count = g_strdup_printf ("%" PRId64, summary->count);
      g_autofree char *text = NULL;
      GtkWidget *row = adw_action_row_new ();

      /* Translators: a count, then a date: "3 times, last on 4 March 2026" */
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s time, last on %s", "%s times, last on %s",
                                           (gulong) summary->count),
                              count, last);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), summary->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), text);
      adw_preferences_group_add (self->events_group, row);
    }

  load_more_events (self);
}

static void
cohort_customer_dialog_dispose (GObject *object)
{
  CohortCustomerDialog *self = COHORT_CUSTOMER_DIALOG (object);

  g_clear_object (&self->workspace);
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
  gtk_widget_class_bind_template_child (widget_class, CohortCustomerDialog, events_group);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomerDialog, history_group);
  gtk_widget_class_bind_template_child (widget_class, CohortCustomerDialog, more_button);
  gtk_widget_class_bind_template_callback (widget_class, more_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cohort_customer_dialog_init (CohortCustomerDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));
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

  if (workspace != NULL)
    {
      self->workspace = g_object_ref (workspace);
      self->ordinal = customer->ordinal;
      load_events (self);
    }
  else
    {
      gtk_widget_set_visible (GTK_WIDGET (self->events_group), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->history_group), FALSE);
    }

  return self;
}
