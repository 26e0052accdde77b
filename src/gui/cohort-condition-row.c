/* cohort-condition-row.c: one condition of the criteria builder
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <adwaita.h>

#include "cohort-a11y.h"
#include "cohort-condition-row.h"
#include "cohort-criteria.h"
#include "cohort-customers.h"
#include "cohort-events.h"
#include "cohort-input.h"
#include "cohort-segment.h"
#include "cohort-value.h"

/* ------------------------------------------------------------------ */
/* The context                                                          */

enum {
  FIELD_COLUMN_NAME,
  FIELD_COLUMN_TYPE,
  N_FIELD_COLUMNS
};

struct _CohortCriteriaContext
{
  CohortWorkspace *ws;
  gint64           self_id;
  GtkListStore    *attributes;    /* name, type label */
  GHashTable      *types;         /* name → CohortAttrType + 1 */
  GtkListStore    *event_names;   /* name, "" */
  GPtrArray       *segment_names; /* other segments: names */
  GArray          *segment_ids;   /* and ids */
  gboolean         events_listed; /* event_names filled or being filled */
};

static const char *
attr_type_label (CohortAttrType type)
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

static void
add_field (CohortCriteriaContext *ctx,
           const char            *name,
           CohortAttrType         type)
{
  GtkTreeIter iter;

  if (g_hash_table_contains (ctx->types, name))
    return;
  g_hash_table_insert (ctx->types, g_strdup (name), GINT_TO_POINTER (type + 1));
  gtk_list_store_insert_with_values (ctx->attributes, &iter, -1,
                                     FIELD_COLUMN_NAME, name,
                                     FIELD_COLUMN_TYPE, attr_type_label (type),
                                     -1);
}

/* (Re)reads the attributes and the other segments. */
static void
context_fill (CohortCriteriaContext *ctx)
{
  g_autoptr(GPtrArray) attributes = NULL;
  g_autoptr(GPtrArray) segments = NULL;
  g_autoptr(GError) error = NULL;

  gtk_list_store_clear (ctx->attributes);
  g_hash_table_remove_all (ctx->types);
  g_ptr_array_set_size (ctx->segment_names, 0);
  g_array_set_size (ctx->segment_ids, 0);

  add_field (ctx, "id", COHORT_ATTR_STRING);
  add_field (ctx, "email", COHORT_ATTR_STRING);

  if (ctx->ws == NULL)
    return;

  if ((attributes = cohort_attributes_list (ctx->ws, &error)) != NULL)
    {
      for (guint i = 0; i < attributes->len; i++)
        {
          CohortAttribute *attr = g_ptr_array_index (attributes, i);
          add_field (ctx, attr->name, attr->type);
        }
    }
  else
    g_warning ("Could not list attributes: %s", error->message);
  g_clear_error (&error);

  if ((segments = cohort_segments_list (ctx->ws, &error)) != NULL)
    {
      for (guint i = 0; i < segments->len; i++)
        {
          CohortSegment *segment = g_ptr_array_index (segments, i);
          gint64 id = cohort_segment_get_id (segment);

          if (id == ctx->self_id)
            continue;
          g_ptr_array_add (ctx->segment_names, g_strdup (cohort_segment_get_name (segment)));
          g_array_append_val (ctx->segment_ids, id);
        }
    }
  else
    g_warning ("Could not list segments: %s", error->message);
}

CohortCriteriaContext *
cohort_criteria_context_new (CohortWorkspace *ws,
                             gint64           self_id)
{
  CohortCriteriaContext *ctx = g_rc_box_new0 (CohortCriteriaContext);

  ctx->ws = ws ? g_object_ref (ws) : NULL;
  ctx->self_id = self_id;
  ctx->attributes = gtk_list_store_new (N_FIELD_COLUMNS, G_TYPE_STRING, G_TYPE_STRING);
  ctx->event_names = gtk_list_store_new (N_FIELD_COLUMNS, G_TYPE_STRING, G_TYPE_STRING);
  ctx->types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ctx->segment_names = g_ptr_array_new_with_free_func (g_free);
  ctx->segment_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  context_fill (ctx);

  return ctx;
}

/* Event names are listed in a thread over a connection of its own (DISTINCT
 * over millions of events takes a while), the first time a row needs them. */
static void
list_event_names_thread (GTask        *task,
                         gpointer      source,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  g_autoptr(CohortWorkspace) ws = NULL;
  g_autoptr(GError) error = NULL;
  GStrv names;

  ws = cohort_workspace_open (task_data, COHORT_WORKSPACE_OPEN_READ_ONLY, &error);
  if (ws == NULL || (names = cohort_events_list_names (ws, &error)) == NULL)
    {
      if (error != NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, g_new0 (char *, 1), (GDestroyNotify) g_strfreev);
      return;
    }
  g_task_return_pointer (task, names, (GDestroyNotify) g_strfreev);
}

static void
list_event_names_done (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  CohortCriteriaContext *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = g_task_propagate_pointer (G_TASK (result), &error);

  if (names == NULL)
    g_warning ("Could not list events: %s", error->message);
  gtk_list_store_clear (ctx->event_names);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    gtk_list_store_insert_with_values (ctx->event_names, NULL, -1,
                                       FIELD_COLUMN_NAME, names[i],
                                       FIELD_COLUMN_TYPE, "",
                                       -1);
  cohort_criteria_context_unref (ctx);
}

static void
context_ensure_event_names (CohortCriteriaContext *ctx)
{
  g_autoptr(GTask) task = NULL;

  if (ctx->events_listed || ctx->ws == NULL)
    return;
  ctx->events_listed = TRUE;

  task = g_task_new (NULL, NULL, list_event_names_done, cohort_criteria_context_ref (ctx));
  g_task_set_source_tag (task, context_ensure_event_names);
  g_task_set_task_data (task, g_strdup (cohort_workspace_get_path (ctx->ws)), g_free);
  g_task_run_in_thread (task, list_event_names_thread);
}

void
cohort_criteria_context_reload (CohortCriteriaContext *ctx)
{
  context_fill (ctx);
  if (ctx->events_listed)
    {
      ctx->events_listed = FALSE;
      context_ensure_event_names (ctx);
    }
}

static void
context_clear (CohortCriteriaContext *ctx)
{
  g_clear_object (&ctx->ws);
  g_clear_object (&ctx->attributes);
  g_clear_object (&ctx->event_names);
  g_clear_pointer (&ctx->types, g_hash_table_unref);
  g_clear_pointer (&ctx->segment_names, g_ptr_array_unref);
  g_clear_pointer (&ctx->segment_ids, g_array_unref);
}

CohortCriteriaContext *
cohort_criteria_context_ref (CohortCriteriaContext *ctx)
{
  return g_rc_box_acquire (ctx);
}

void
cohort_criteria_context_unref (CohortCriteriaContext *ctx)
{
  g_rc_box_release_full (ctx, (GDestroyNotify) context_clear);
}

CohortWorkspace *
cohort_criteria_context_get_workspace (CohortCriteriaContext *ctx)
{
  return ctx->ws;
}

gint64
cohort_criteria_context_get_self_id (CohortCriteriaContext *ctx)
{
  return ctx->self_id;
}

int
cohort_criteria_context_get_attr_type (CohortCriteriaContext *ctx,
                                       const char            *name)
{
  gpointer type = NULL;

  if (!g_hash_table_lookup_extended (ctx->types, name, NULL, &type))
    return -1;
  return GPOINTER_TO_INT (type) - 1;
}

/* ------------------------------------------------------------------ */
/* Operators that fit a type                                            */

static const CohortOperator string_ops[] = {
  COHORT_OP_EQ, COHORT_OP_NEQ, COHORT_OP_CONTAINS, COHORT_OP_NOT_CONTAINS,
  COHORT_OP_STARTS_WITH, COHORT_OP_ENDS_WITH, COHORT_OP_IN, COHORT_OP_NOT_IN,
  COHORT_OP_MATCHES, COHORT_OP_EXISTS, COHORT_OP_NOT_EXISTS,
};
static const CohortOperator number_ops[] = {
  COHORT_OP_EQ, COHORT_OP_NEQ, COHORT_OP_GT, COHORT_OP_GTE, COHORT_OP_LT,
  COHORT_OP_LTE, COHORT_OP_BETWEEN, COHORT_OP_IN, COHORT_OP_NOT_IN,
  COHORT_OP_EXISTS, COHORT_OP_NOT_EXISTS,
};
static const CohortOperator boolean_ops[] = {
  COHORT_OP_IS_TRUE, COHORT_OP_IS_FALSE, COHORT_OP_EXISTS, COHORT_OP_NOT_EXISTS,
};
static const CohortOperator timestamp_ops[] = {
  COHORT_OP_WITHIN_LAST, COHORT_OP_MORE_THAN_AGO, COHORT_OP_WITHIN_NEXT,
  COHORT_OP_BEFORE, COHORT_OP_AFTER, COHORT_OP_EXISTS, COHORT_OP_NOT_EXISTS,
};
static const CohortOperator all_ops[] = {
  COHORT_OP_EQ, COHORT_OP_NEQ, COHORT_OP_CONTAINS, COHORT_OP_NOT_CONTAINS,
  COHORT_OP_STARTS_WITH, COHORT_OP_ENDS_WITH, COHORT_OP_IN, COHORT_OP_NOT_IN,
  COHORT_OP_MATCHES, COHORT_OP_GT, COHORT_OP_GTE, COHORT_OP_LT, COHORT_OP_LTE,
  COHORT_OP_BETWEEN, COHORT_OP_WITHIN_LAST, COHORT_OP_MORE_THAN_AGO,
  COHORT_OP_WITHIN_NEXT, COHORT_OP_BEFORE, COHORT_OP_AFTER, COHORT_OP_IS_TRUE,
  COHORT_OP_IS_FALSE, COHORT_OP_EXISTS, COHORT_OP_NOT_EXISTS,
};

/* ------------------------------------------------------------------ */
/* The row                                                              */

struct _CohortConditionRow
{
  GtkWidget parent_instance;

  CohortCriteriaContext *ctx;
  gboolean filter;
  gboolean loading;
  int type;                    /* CohortAttrType, or -1: unknown */
  GArray *ops;                 /* CohortOperator shown in op_dropdown */
  GArray *row_segment_ids;     /* gint64 per segment_dropdown item */
  GtkListStore *where_fields;  /* event rows: the event's attributes */
  GtkListStore *field_store;   /* what field_entry completes from */
  JsonNode *since;             /* event fields kept as loaded */
  JsonNode *until;
  GPtrArray *where_rows;
  char *place;              /* "condition 2", "filter 1 of condition 3" */
  gboolean reveal;          /* problems shown: loaded, left once, or a save tried */
  char *title;              /* "Condition 2 of 3" */
  const char *value_base;   /* what the value entry asks for ("Value", "Number") */
  guint refill_id;

  GtkBox *top_box;
  GtkDropDown *kind_dropdown;
  GtkEntry *field_entry;
  GtkLabel *type_label;
  GtkDropDown *segment_dropdown;
  GtkEntry *event_entry;
  GtkEntry *json_entry;
  GtkBox *sample_box;
  GtkSpinButton *percent_spin;
  GtkEntry *salt_entry;
  GtkButton *remove_button;
  GtkBox *op_box;
  GtkDropDown *op_dropdown;
  GtkEntry *value_entry;
  GtkMenuButton *date_button;
  GtkPopover *date_popover;
  GtkCalendar *calendar;
  gboolean syncing_calendar;
  GtkLabel *and_label;
  GtkEntry *value2_entry;
  GtkSpinButton *amount_spin;
  GtkDropDown *unit_dropdown;
  GtkLabel *ago_label;
  GtkBox *event_box;
  GtkDropDown *performed_dropdown;
  GtkDropDown *count_dropdown;
  GtkSpinButton *count_spin;
  GtkLabel *times_label;
  GtkDropDown *window_dropdown;
  GtkSpinButton *window_spin;
  GtkDropDown *window_unit_dropdown;
  GtkLabel *where_label;
  GtkBox *where_box;
  GtkButton *add_filter_button;
  GtkLabel *error_label;
};

G_DEFINE_FINAL_TYPE (CohortConditionRow, cohort_condition_row, GTK_TYPE_WIDGET)

static void name_controls (CohortConditionRow *self);
static void place_filters (CohortConditionRow *self);

enum {
  CHANGED,
  REMOVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
emit_changed (CohortConditionRow *self)
{
  if (!self->loading)
    g_signal_emit (self, signals[CHANGED], 0);
}

static CohortOperator
selected_op (CohortConditionRow *self)
{
  guint pos = gtk_drop_down_get_selected (self->op_dropdown);

  if (self->ops->len == 0)
    return COHORT_OP_EQ;
  if (pos >= self->ops->len)
    pos = 0;
  return g_array_index (self->ops, CohortOperator, pos);
}

static void
update_value_editors (CohortConditionRow *self)
{
  CohortConditionKind kind = cohort_condition_row_get_kind (self);
  gboolean attribute = kind == COHORT_CONDITION_ATTRIBUTE;
  CohortOperator op = selected_op (self);
  CohortOperand operand = cohort_operator_get_operand (op);
  const char *placeholder = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->op_box), attribute);
  gtk_widget_set_visible (GTK_WIDGET (self->value_entry),
                          operand != COHORT_OPERAND_NONE && operand != COHORT_OPERAND_RELATIVE);
  gtk_widget_set_visible (GTK_WIDGET (self->date_button), operand == COHORT_OPERAND_TIMESTAMP);
  gtk_widget_set_visible (GTK_WIDGET (self->and_label), operand == COHORT_OPERAND_RANGE);
  gtk_widget_set_visible (GTK_WIDGET (self->value2_entry), operand == COHORT_OPERAND_RANGE);
  gtk_widget_set_visible (GTK_WIDGET (self->amount_spin), operand == COHORT_OPERAND_RELATIVE);
  gtk_widget_set_visible (GTK_WIDGET (self->unit_dropdown), operand == COHORT_OPERAND_RELATIVE);
  gtk_widget_set_visible (GTK_WIDGET (self->ago_label), op == COHORT_OP_MORE_THAN_AGO);

  switch (operand)
    {
    case COHORT_OPERAND_LIST:
      placeholder = _("Values, separated by commas");
      break;
    case COHORT_OPERAND_NUMBER:
      placeholder = _("Number");
      break;
    case COHORT_OPERAND_RANGE:
      placeholder = _("Lowest");
      break;
    case COHORT_OPERAND_TIMESTAMP:
      placeholder = _("Date, like 2024-02-24 15:30:00");
      break;
    case COHORT_OPERAND_REGEX:
      placeholder = _("Regular expression");
      break;
    case COHORT_OPERAND_SCALAR:
    case COHORT_OPERAND_STRING:
    case COHORT_OPERAND_NONE:
    case COHORT_OPERAND_RELATIVE:
    default:
      placeholder = _("Value");
      break;
    }
  gtk_entry_set_placeholder_text (self->value_entry, placeholder);
  gtk_entry_set_input_purpose (self->value_entry,
                               operand == COHORT_OPERAND_NUMBER || operand == COHORT_OPERAND_RANGE
                               ? GTK_INPUT_PURPOSE_NUMBER : GTK_INPUT_PURPOSE_FREE_FORM);
  self->value_base = placeholder;
  name_controls (self);
}

/* Controls and the name each has on its own; each is read with the
 * condition it belongs to ("Operator, condition 2"), so that the controls of
 * several conditions can be told apart. */
static const struct
{
  gsize offset;
  const char *base;
} named_controls[] = {
  { G_STRUCT_OFFSET (CohortConditionRow, kind_dropdown), N_("Condition Kind") },
  { G_STRUCT_OFFSET (CohortConditionRow, field_entry), N_("Attribute") },
  { G_STRUCT_OFFSET (CohortConditionRow, segment_dropdown), N_("Segment") },
  { G_STRUCT_OFFSET (CohortConditionRow, event_entry), N_("Event name") },
  { G_STRUCT_OFFSET (CohortConditionRow, percent_spin), N_("Percent of customers") },
  { G_STRUCT_OFFSET (CohortConditionRow, salt_entry), N_("Seed") },
  { G_STRUCT_OFFSET (CohortConditionRow, json_entry), N_("Criteria JSON") },
  { G_STRUCT_OFFSET (CohortConditionRow, op_dropdown), N_("Operator") },
  { G_STRUCT_OFFSET (CohortConditionRow, date_button), N_("Choose a Date") },
  { G_STRUCT_OFFSET (CohortConditionRow, value2_entry), N_("Highest") },
  { G_STRUCT_OFFSET (CohortConditionRow, amount_spin), N_("Amount") },
  { G_STRUCT_OFFSET (CohortConditionRow, unit_dropdown), N_("Unit") },
  { G_STRUCT_OFFSET (CohortConditionRow, performed_dropdown), N_("Performed") },
  { G_STRUCT_OFFSET (CohortConditionRow, count_dropdown), N_("Count") },
  { G_STRUCT_OFFSET (CohortConditionRow, count_spin), N_("Number of times") },
  { G_STRUCT_OFFSET (CohortConditionRow, window_dropdown), N_("Time Window") },
  { G_STRUCT_OFFSET (CohortConditionRow, window_spin), N_("Window Length") },
  { G_STRUCT_OFFSET (CohortConditionRow, window_unit_dropdown), N_("Window Unit") },
  { G_STRUCT_OFFSET (CohortConditionRow, add_filter_button), N_("Add Filter") },
};

static void
name_control (CohortConditionRow *self,
              gpointer            control,
              const char         *base)
{
  g_autofree char *name = NULL;

  if (self->place == NULL)
    {
      cohort_a11y_set_name (control, base);
      return;
    }
  /* Translators: a control of one condition for a screen reader, e.g.
   * "Operator, condition 2" */
  name = g_strdup_printf (_("%s, %s"), base, self->place);
  cohort_a11y_set_name (control, name);
}

static void
name_controls (CohortConditionRow *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (named_controls); i++)
    name_control (self, G_STRUCT_MEMBER (gpointer, self, named_controls[i].offset),
                  _(named_controls[i].base));
  name_control (self, self->value_entry, self->value_base != NULL ? self->value_base : _("Value"));
  if (self->filter)
    {
      name_control (self, self->field_entry, _("Event attribute"));
      name_control (self, self->remove_button, _("Remove Filter"));
    }
  else
    name_control (self, self->remove_button, _("Remove Condition"));
}

/* The row's own name: its place and what it says
 * ("Condition 2 of 3: plan is “pro”"). */
static void
name_row (CohortConditionRow *self)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(CohortCriteria) criteria = NULL;
  g_autofree char *words = NULL;
  g_autofree char *name = NULL;

  if (self->title == NULL)
    return;
  if (!self->filter)
    {
      node = cohort_condition_row_to_json (self);
      criteria = cohort_criteria_parse_node (node, NULL);
    }
  if (criteria != NULL && cohort_criteria_context_get_workspace (self->ctx) != NULL)
    words = cohort_criteria_describe_in (criteria, cohort_criteria_context_get_workspace (self->ctx));
  if (words != NULL)
    /* Translators: a condition for a screen reader, e.g.
     * "Condition 2 of 3: plan is “pro”" */
    name = g_strdup_printf (_("%s: %s"), self->title, words);
  else
    name = g_strdup (self->title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

static void
place_filters (CohortConditionRow *self)
{
  for (guint i = 0; i < self->where_rows->len && self->place != NULL; i++)
    {
      g_autofree char *where = NULL;
      g_autofree char *filter_title = NULL;

      /* Translators: e.g. "filter 1 of condition 3" */
      where = g_strdup_printf (_("filter %u of %s"), i + 1, self->place);
      /* Translators: e.g. "Filter 1 of 2" */
      filter_title = g_strdup_printf (_("Filter %u of %u"), i + 1, self->where_rows->len);
      cohort_condition_row_set_place (g_ptr_array_index (self->where_rows, i), where, filter_title);
    }
}

void
cohort_condition_row_set_place (CohortConditionRow *self,
                                const char         *place,
                                const char         *title)
{
  g_return_if_fail (COHORT_IS_CONDITION_ROW (self));

  if (g_strcmp0 (self->place, place) != 0)
    {
      g_free (self->place);
      self->place = g_strdup (place);
      name_controls (self);
    }
  place_filters (self);
  if (g_strcmp0 (self->title, title) != 0)
    {
      g_free (self->title);
      self->title = g_strdup (title);
    }
  name_row (self);
}

static int field_type (CohortConditionRow *self);

/* Fills the operator list for the type of the chosen field, keeping @keep
 * selected (added when it does not fit the type: loaded criteria stay as
 * they are). */
static void
fill_operators (CohortConditionRow *self,
                CohortOperator      keep)
{
  const char *field = gtk_editable_get_text (GTK_EDITABLE (self->field_entry));
  const CohortOperator *list = all_ops;
  gsize n = G_N_ELEMENTS (all_ops);
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  guint selected = 0;
  gboolean found = FALSE;

  self->type = field_type (self);

  switch (self->type)
    {
    case COHORT_ATTR_STRING:
      list = string_ops, n = G_N_ELEMENTS (string_ops);
      break;
    case COHORT_ATTR_NUMBER:
      list = number_ops, n = G_N_ELEMENTS (number_ops);
      break;
    case COHORT_ATTR_BOOLEAN:
      list = boolean_ops, n = G_N_ELEMENTS (boolean_ops);
      break;
    case COHORT_ATTR_TIMESTAMP:
      list = timestamp_ops, n = G_N_ELEMENTS (timestamp_ops);
      break;
    default:
      break;
    }

  g_array_set_size (self->ops, 0);
  for (gsize i = 0; i < n; i++)
    {
      g_array_append_val (self->ops, list[i]);
      gtk_string_list_append (labels, cohort_operator_get_label (list[i]));
      if (list[i] == keep)
        selected = (guint) i, found = TRUE;
    }
  if (!found && (int) keep >= 0 && keep < COHORT_N_OPS && self->type >= 0 && self->loading)
    {
      selected = self->ops->len;
      g_array_append_val (self->ops, keep);
      gtk_string_list_append (labels, cohort_operator_get_label (keep));
    }

  gtk_drop_down_set_model (self->op_dropdown, G_LIST_MODEL (labels));
  gtk_drop_down_set_selected (self->op_dropdown, selected);

  if (self->filter || *field == '\0')
    gtk_label_set_label (self->type_label, "");
  else if (self->type < 0)
    gtk_label_set_label (self->type_label, _("Not in the workspace"));
  else
    gtk_label_set_label (self->type_label, attr_type_label (self->type));

  update_value_editors (self);
}

static void
fill_segments (CohortConditionRow *self,
               gint64              id)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  guint selected = 0;
  gint64 none = 0;

  g_array_set_size (self->row_segment_ids, 0);
  gtk_string_list_append (names, _("Choose a Segment…"));
  g_array_append_val (self->row_segment_ids, none);

  for (guint i = 0; i < self->ctx->segment_ids->len; i++)
    {
      gint64 sid = g_array_index (self->ctx->segment_ids, gint64, i);

      gtk_string_list_append (names, g_ptr_array_index (self->ctx->segment_names, i));
      g_array_append_val (self->row_segment_ids, sid);
      if (sid == id)
        selected = i + 1;
    }
  if (id > 0 && selected == 0)
    {
      g_autofree char *label = g_strdup_printf (_("Missing segment %" PRId64), id);

      selected = self->row_segment_ids->len;
      gtk_string_list_append (names, label);
      g_array_append_val (self->row_segment_ids, id);
    }

  gtk_drop_down_set_model (self->segment_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->segment_dropdown, selected);
}

static void
update_kind (CohortConditionRow *self)
{
  CohortConditionKind kind = cohort_condition_row_get_kind (self);
  gboolean attribute = kind == COHORT_CONDITION_ATTRIBUTE;

  if (kind == COHORT_CONDITION_EVENT)
    context_ensure_event_names (self->ctx);

  gtk_widget_set_visible (GTK_WIDGET (self->kind_dropdown), !self->filter);
  gtk_widget_set_visible (GTK_WIDGET (self->field_entry), attribute);
  gtk_widget_set_visible (GTK_WIDGET (self->type_label), attribute && !self->filter);
  gtk_widget_set_visible (GTK_WIDGET (self->segment_dropdown),
                          kind == COHORT_CONDITION_IN_SEGMENT || kind == COHORT_CONDITION_NOT_IN_SEGMENT);
  gtk_widget_set_visible (GTK_WIDGET (self->event_entry), kind == COHORT_CONDITION_EVENT);
  gtk_widget_set_visible (GTK_WIDGET (self->event_box), kind == COHORT_CONDITION_EVENT);
  gtk_widget_set_visible (GTK_WIDGET (self->json_entry), kind == COHORT_CONDITION_JSON);
  gtk_widget_set_visible (GTK_WIDGET (self->sample_box), kind == COHORT_CONDITION_SAMPLE);
  /* A new sample gets its own seed, so two samples are independent unless
   * the user gives them the same one. */
  if (kind == COHORT_CONDITION_SAMPLE && !self->loading &&
      *gtk_editable_get_text (GTK_EDITABLE (self->salt_entry)) == '\0')
    {
      g_autofree char *seed = g_strdup_printf ("%08x", g_random_int ());

      gtk_editable_set_text (GTK_EDITABLE (self->salt_entry), seed);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->where_box), self->where_rows->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->where_label), self->where_rows->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->count_spin), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->window_spin),
                            gtk_drop_down_get_selected (self->window_dropdown) == 1);
  gtk_widget_set_visible (GTK_WIDGET (self->window_spin),
                          gtk_drop_down_get_selected (self->window_dropdown) == 1);
  gtk_widget_set_visible (GTK_WIDGET (self->window_unit_dropdown),
                          gtk_drop_down_get_selected (self->window_dropdown) == 1);
  update_value_editors (self);
}

static void
set_completion (GtkEntry     *entry,
                GtkListStore *store,
                gboolean      with_type)
{
  g_autoptr(GtkEntryCompletion) completion = gtk_entry_completion_new ();

  gtk_entry_completion_set_model (completion, GTK_TREE_MODEL (store));
  gtk_entry_completion_set_text_column (completion, FIELD_COLUMN_NAME);
  gtk_entry_completion_set_minimum_key_length (completion, 0);
  gtk_entry_completion_set_inline_completion (completion, FALSE);
  gtk_entry_completion_set_popup_single_match (completion, FALSE);

  if (with_type)
    {
      GtkCellRenderer *cell = gtk_cell_renderer_text_new ();

      g_object_set (cell, "xalign", 1.0, "sensitive", FALSE, "xpad", 12, NULL);
      gtk_cell_layout_pack_end (GTK_CELL_LAYOUT (completion), cell, FALSE);
      gtk_cell_layout_add_attribute (GTK_CELL_LAYOUT (completion), cell, "text", FIELD_COLUMN_TYPE);
    }

  gtk_entry_set_completion (entry, completion);
}

static void
refill_where_fields (CohortConditionRow *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->event_entry));
  g_auto(GStrv) names = NULL;

  gtk_list_store_clear (self->where_fields);
  if (self->ctx->ws == NULL || *name == '\0')
    return;
  names = cohort_events_list_attributes (self->ctx->ws, name, NULL);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    gtk_list_store_insert_with_values (self->where_fields, NULL, -1,
                                       FIELD_COLUMN_NAME, names[i],
                                       FIELD_COLUMN_TYPE, "",
                                       -1);
}

/* ------------------------------------------------------------------ */
/* Signal handlers                                                      */

static void
kind_changed_cb (CohortConditionRow *self)
{
  update_kind (self);
  emit_changed (self);
}

static int
field_type (CohortConditionRow *self)
{
  const char *field = gtk_editable_get_text (GTK_EDITABLE (self->field_entry));
  gpointer type = NULL;

  if (!self->filter && g_hash_table_lookup_extended (self->ctx->types, field, NULL, &type))
    return GPOINTER_TO_INT (type) - 1;
  return -1;
}

static void
field_changed_cb (CohortConditionRow *self)
{
  const char *field = gtk_editable_get_text (GTK_EDITABLE (self->field_entry));

  /* The operators change with the type only; the type label when the field
   * is emptied or filled too. */
  if (!self->loading)
    {
      if (field_type (self) != self->type || *field == '\0' ||
          *gtk_label_get_label (self->type_label) == '\0')
        fill_operators (self, selected_op (self));
    }
  emit_changed (self);
}

static void
op_changed_cb (CohortConditionRow *self)
{
  update_value_editors (self);
  emit_changed (self);
}

static gboolean
refill_where_fields_cb (gpointer data)
{
  CohortConditionRow *self = data;

  self->refill_id = 0;
  refill_where_fields (self);
  return G_SOURCE_REMOVE;
}

static void
event_name_changed_cb (CohortConditionRow *self)
{
  /* The attributes of the event once typing pauses. */
  g_clear_handle_id (&self->refill_id, g_source_remove);
  self->refill_id = g_timeout_add (250, refill_where_fields_cb, self);
  emit_changed (self);
}

static void
window_changed_cb (CohortConditionRow *self)
{
  update_kind (self);
  emit_changed (self);
}

/* The calendar shows the entry's date; picking a day writes it, keeping
 * the time of day that was typed. */
static void
date_popover_show_cb (CohortConditionRow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->value_entry));
  int year, month, day;

  if (sscanf (text, "%4d-%2d-%2d", &year, &month, &day) == 3 &&
      g_date_valid_dmy (day, month, year))
    {
      g_autoptr(GDateTime) dt = g_date_time_new_utc (year, month, day, 0, 0, 0);

      self->syncing_calendar = TRUE;
      if (dt != NULL)
        gtk_calendar_select_day (self->calendar, dt);
      self->syncing_calendar = FALSE;
    }
}

static void
day_selected_cb (CohortConditionRow *self)
{
  g_autoptr(GDateTime) dt = gtk_calendar_get_date (self->calendar);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->value_entry));
  const char *time = strlen (text) > 10 && (text[10] == ' ' || text[10] == 'T') ? text + 10 : "";
  g_autofree char *date = g_date_time_format (dt, "%Y-%m-%d");
  g_autofree char *value = g_strconcat (date, time, NULL);

  if (self->syncing_calendar)
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->value_entry), value);
  gtk_popover_popdown (self->date_popover);
}

static void
remove_clicked_cb (CohortConditionRow *self)
{
  g_signal_emit (self, signals[REMOVE], 0);
}

static void
where_row_changed_cb (CohortConditionRow *self)
{
  emit_changed (self);
}

static void remove_where_row_cb (CohortConditionRow *row,
                                 CohortConditionRow *self);

static CohortConditionRow *
add_where_row (CohortConditionRow *self)
{
  CohortConditionRow *row = COHORT_CONDITION_ROW (cohort_condition_row_new (self->ctx, TRUE));

  row->field_store = self->where_fields;
  set_completion (row->field_entry, self->where_fields, FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (row->remove_button), _("Remove Filter"));
  gtk_entry_set_placeholder_text (row->field_entry, _("Event attribute"));
  name_controls (row);

  g_signal_connect_object (row, "changed", G_CALLBACK (where_row_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (row, "remove", G_CALLBACK (remove_where_row_cb), self, 0);
  g_ptr_array_add (self->where_rows, row);
  gtk_box_append (self->where_box, GTK_WIDGET (row));
  gtk_widget_set_visible (GTK_WIDGET (self->where_box), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->where_label), TRUE);
  place_filters (self);

  return row;
}

static void
remove_where_row_cb (CohortConditionRow *row,
                     CohortConditionRow *self)
{
  g_ptr_array_remove (self->where_rows, row);
  gtk_box_remove (self->where_box, GTK_WIDGET (row));
  gtk_widget_set_visible (GTK_WIDGET (self->where_box), self->where_rows->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->where_label), self->where_rows->len > 0);
  place_filters (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->add_filter_button));
  emit_changed (self);
}

static void
add_filter_clicked_cb (CohortConditionRow *self)
{
  CohortConditionRow *row = add_where_row (self);

  gtk_widget_grab_focus (GTK_WIDGET (row->field_entry));
  emit_changed (self);
}

/* ------------------------------------------------------------------ */
/* To and from JSON                                                     */

static char *
node_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("");
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      GType type = json_node_get_value_type (node);

      if (type == G_TYPE_STRING)
        return g_strdup (json_node_get_string (node));
      if (type == G_TYPE_INT64)
        return g_strdup_printf ("%" PRId64, json_node_get_int (node));
      if (type == G_TYPE_DOUBLE)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
        }
      if (type == G_TYPE_BOOLEAN)
        return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    }
  return json_to_string (node, FALSE);
}

static gboolean
parse_number (const char *text,
              double     *number)
{
  g_autofree char *s = g_strstrip (g_strdup (text));

  /* The core's reader: decimal only (no hex, inf or nan), as the
   * evaluator and the importers read numbers. */
  return cohort_value_parse_number (s, strlen (s), number);
}

/* A number when it reads as one and @numeric, else the text. */
static JsonNode *
value_node (const char *text,
            gboolean    numeric)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  double number;

  if (numeric && parse_number (text, &number))
    {
      if (number == (double) (gint64) number && fabs (number) < 1e15)
        json_node_set_int (node, (gint64) number);
      else
        json_node_set_double (node, number);
    }
  else
    json_node_set_string (node, text);

  return node;
}

/* eq/neq/in values: typed like the attribute (true/false for yes-or-no). */
static JsonNode *
scalar_node (CohortConditionRow *self,
             const char         *text)
{
  if (self->type == COHORT_ATTR_BOOLEAN && (g_str_equal (text, "true") || g_str_equal (text, "false")))
    {
      JsonNode *node = json_node_new (JSON_NODE_VALUE);

      json_node_set_boolean (node, g_str_equal (text, "true"));
      return node;
    }
  return value_node (text, self->type == COHORT_ATTR_NUMBER);
}

static JsonNode *
relative_node (GtkSpinButton *spin,
               GtkDropDown   *unit)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint u = gtk_drop_down_get_selected (unit);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "amount");
  json_builder_add_int_value (b, gtk_spin_button_get_value_as_int (spin));
  json_builder_set_member_name (b, "unit");
  json_builder_add_string_value (b, cohort_time_unit_to_string (MIN (u, COHORT_UNIT_WEEKS)));
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

static void
load_relative (JsonNode      *node,
               GtkSpinButton *spin,
               GtkDropDown   *unit)
{
  JsonObject *o;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  o = json_node_get_object (node);
  if (json_object_has_member (o, "amount"))
    {
      g_autofree char *amount = node_text (json_object_get_member (o, "amount"));
      gtk_spin_button_set_value (spin, g_ascii_strtod (amount, NULL));
    }
  if (json_object_has_member (o, "unit"))
    {
      const char *name = json_object_get_string_member_with_default (o, "unit", "days");

      for (guint u = COHORT_UNIT_MINUTES; u <= COHORT_UNIT_WEEKS; u++)
        if (g_strcmp0 (name, cohort_time_unit_to_string (u)) == 0)
          gtk_drop_down_set_selected (unit, u);
    }
}

/* The condition object {"field", "operator", "value"}. */
static JsonNode *
condition_to_json (CohortConditionRow *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  CohortOperator op = selected_op (self);
  CohortOperand operand = cohort_operator_get_operand (op);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->value_entry));

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "field");
  json_builder_add_string_value (b, gtk_editable_get_text (GTK_EDITABLE (self->field_entry)));
  json_builder_set_member_name (b, "operator");
  json_builder_add_string_value (b, cohort_operator_to_string (op));

  switch (operand)
    {
    case COHORT_OPERAND_NONE:
      break;

    case COHORT_OPERAND_SCALAR:
      json_builder_set_member_name (b, "value");
      json_builder_add_value (b, scalar_node (self, text));
      break;

    case COHORT_OPERAND_NUMBER:
      json_builder_set_member_name (b, "value");
      json_builder_add_value (b, value_node (text, TRUE));
      break;

    case COHORT_OPERAND_TIMESTAMP:
      {
        g_autofree char *s = g_strstrip (g_strdup (text));
        gboolean digits = *s != '\0';

        for (const char *p = s; *p; p++)
          digits = digits && g_ascii_isdigit (*p);
        json_builder_set_member_name (b, "value");
        json_builder_add_value (b, value_node (s, digits));
      }
      break;

    case COHORT_OPERAND_LIST:
      {
        g_auto(GStrv) parts = g_strsplit (text, ",", -1);

        json_builder_set_member_name (b, "value");
        json_builder_begin_array (b);
        for (guint i = 0; parts[i] != NULL; i++)
          {
            g_strstrip (parts[i]);
            if (*parts[i] != '\0')
              json_builder_add_value (b, scalar_node (self, parts[i]));
          }
        json_builder_end_array (b);
      }
      break;

    case COHORT_OPERAND_RANGE:
      json_builder_set_member_name (b, "value");
      json_builder_begin_array (b);
      json_builder_add_value (b, value_node (text, TRUE));
      json_builder_add_value (b, value_node (gtk_editable_get_text (GTK_EDITABLE (self->value2_entry)), TRUE));
      json_builder_end_array (b);
      break;

    case COHORT_OPERAND_RELATIVE:
      json_builder_set_member_name (b, "value");
      json_builder_add_value (b, relative_node (self->amount_spin, self->unit_dropdown));
      break;

    case COHORT_OPERAND_STRING:
    case COHORT_OPERAND_REGEX:
    default:
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, text);
      break;
    }

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
load_condition (CohortConditionRow *self,
                JsonNode           *node)
{
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *value = o ? json_object_get_member (o, "value") : NULL;
  CohortOperator op = COHORT_OP_EQ;
  CohortOperand operand;

  if (o == NULL)
    return;

  gtk_editable_set_text (GTK_EDITABLE (self->field_entry),
                         json_object_get_string_member_with_default (o, "field", ""));
  cohort_operator_from_string (json_object_get_string_member_with_default (o, "operator", "eq"), &op);
  fill_operators (self, op);
  operand = cohort_operator_get_operand (op);

  gtk_editable_set_text (GTK_EDITABLE (self->value_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->value2_entry), "");

  if (operand == COHORT_OPERAND_LIST && value != NULL && JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);
      g_autoptr(GString) s = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *t = node_text (json_array_get_element (array, i));

          if (i > 0)
            g_string_append (s, ", ");
          g_string_append (s, t);
        }
      gtk_editable_set_text (GTK_EDITABLE (self->value_entry), s->str);
    }
  else if (operand == COHORT_OPERAND_RANGE && value != NULL && JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);

      if (json_array_get_length (array) > 0)
        {
          g_autofree char *t = node_text (json_array_get_element (array, 0));
          gtk_editable_set_text (GTK_EDITABLE (self->value_entry), t);
        }
      if (json_array_get_length (array) > 1)
        {
          g_autofree char *t = node_text (json_array_get_element (array, 1));
          gtk_editable_set_text (GTK_EDITABLE (self->value2_entry), t);
        }
    }
  else if (operand == COHORT_OPERAND_RELATIVE)
    load_relative (value, self->amount_spin, self->unit_dropdown);
  else if (operand != COHORT_OPERAND_NONE)
    {
      g_autofree char *t = node_text (value);
      gtk_editable_set_text (GTK_EDITABLE (self->value_entry), t);
    }

  update_value_editors (self);
}

static JsonNode *
wrap (const char *key,
      JsonNode   *child)
{
  JsonObject *o = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_member (o, key, child);
  json_node_take_object (node, o);
  return node;
}

static JsonNode *
event_to_json (CohortConditionRow *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  static const char *count_ops[] = { "gte", "lte", "eq" };
  guint count_op = MIN (gtk_drop_down_get_selected (self->count_dropdown), 2);
  int count = gtk_spin_button_get_value_as_int (self->count_spin);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, gtk_editable_get_text (GTK_EDITABLE (self->event_entry)));
  json_builder_set_member_name (b, "operator");
  json_builder_add_string_value (b, gtk_drop_down_get_selected (self->performed_dropdown) == 1
                                    ? "not_performed" : "performed");
  if (count_op != 0 || count != 1)
    {
      json_builder_set_member_name (b, "count");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "operator");
      json_builder_add_string_value (b, count_ops[count_op]);
      json_builder_set_member_name (b, "value");
      json_builder_add_int_value (b, count);
      json_builder_end_object (b);
    }
  if (gtk_drop_down_get_selected (self->window_dropdown) == 1)
    {
      json_builder_set_member_name (b, "within");
      json_builder_add_value (b, relative_node (self->window_spin, self->window_unit_dropdown));
    }
  if (self->since != NULL)
    {
      json_builder_set_member_name (b, "since");
      json_builder_add_value (b, json_node_copy (self->since));
    }
  if (self->until != NULL)
    {
      json_builder_set_member_name (b, "until");
      json_builder_add_value (b, json_node_copy (self->until));
    }
  if (self->where_rows->len > 0)
    {
      json_builder_set_member_name (b, "where");
      json_builder_begin_array (b);
      for (guint i = 0; i < self->where_rows->len; i++)
        json_builder_add_value (b, condition_to_json (g_ptr_array_index (self->where_rows, i)));
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  return wrap ("event", json_builder_get_root (b));
}

static void
load_event (CohortConditionRow *self,
            JsonObject         *o)
{
  JsonNode *count = json_object_get_member (o, "count");
  JsonNode *within = json_object_get_member (o, "within");
  JsonNode *where = json_object_get_member (o, "where");
  JsonNode *since = json_object_get_member (o, "since");
  JsonNode *until = json_object_get_member (o, "until");

  gtk_editable_set_text (GTK_EDITABLE (self->event_entry),
                         json_object_get_string_member_with_default (o, "name", ""));
  refill_where_fields (self);
  gtk_drop_down_set_selected (self->performed_dropdown,
                              g_strcmp0 (json_object_get_string_member_with_default (o, "operator", ""),
                                         "not_performed") == 0 ? 1 : 0);

  gtk_drop_down_set_selected (self->count_dropdown, 0);
  gtk_spin_button_set_value (self->count_spin, 1);
  if (count != NULL && JSON_NODE_HOLDS_OBJECT (count))
    {
      JsonObject *c = json_node_get_object (count);
      const char *op = json_object_get_string_member_with_default (c, "operator", "gte");
      g_autofree char *value = node_text (json_object_get_member (c, "value"));

      gtk_drop_down_set_selected (self->count_dropdown,
                                  g_str_equal (op, "lte") ? 1 : g_str_equal (op, "eq") ? 2 : 0);
      gtk_spin_button_set_value (self->count_spin, g_ascii_strtod (value, NULL));
    }

  gtk_drop_down_set_selected (self->window_dropdown, within != NULL ? 1 : 0);
  load_relative (within, self->window_spin, self->window_unit_dropdown);

  g_clear_pointer (&self->since, json_node_unref);
  g_clear_pointer (&self->until, json_node_unref);
  if (since != NULL)
    self->since = json_node_copy (since);
  if (until != NULL)
    self->until = json_node_copy (until);

  if (where != NULL && JSON_NODE_HOLDS_ARRAY (where))
    {
      JsonArray *array = json_node_get_array (where);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          CohortConditionRow *row = add_where_row (self);

          row->loading = TRUE;
          load_condition (row, json_array_get_element (array, i));
          row->loading = FALSE;
        }
    }
}

gboolean
cohort_condition_row_handles (JsonNode *node)
{
  JsonObject *o;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return TRUE;   /* shown as JSON */
  o = json_node_get_object (node);
  if (json_object_get_size (o) != 1)
    return TRUE;
  if (json_object_has_member (o, "and") || json_object_has_member (o, "or"))
    return FALSE;
  if (json_object_has_member (o, "not"))
    {
      JsonNode *child = json_object_get_member (o, "not");

      /* none of = {"not": {"or": [...]}}: a group */
      return !(JSON_NODE_HOLDS_OBJECT (child) &&
               json_object_get_size (json_node_get_object (child)) == 1 &&
               json_object_has_member (json_node_get_object (child), "or"));
    }
  return TRUE;
}

static gboolean
is_segment_node (JsonNode *node,
                 gint64   *id)
{
  JsonObject *o, *s;
  JsonNode *idn;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  o = json_node_get_object (node);
  if (json_object_get_size (o) != 1 || !json_object_has_member (o, "segment"))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "segment")))
    return FALSE;
  s = json_object_get_object_member (o, "segment");
  if (json_object_get_size (s) != 1 || (idn = json_object_get_member (s, "id")) == NULL ||
      !JSON_NODE_HOLDS_VALUE (idn) || json_node_get_value_type (idn) != G_TYPE_INT64)
    return FALSE;
  *id = json_node_get_int (idn);
  return TRUE;
}

/* {"sample": {"percent": integer 0..100, "salt": string}} and nothing more. */
static gboolean
is_sample_node (JsonNode *node)
{
  JsonObject *o, *sample;
  JsonNode *percent, *salt;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  o = json_node_get_object (node);
  if (json_object_get_size (o) != 1 || !json_object_has_member (o, "sample") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "sample")))
    return FALSE;
  sample = json_object_get_object_member (o, "sample");
  percent = json_object_get_member (sample, "percent");
  salt = json_object_get_member (sample, "salt");
  return json_object_get_size (sample) == 2 &&
         percent != NULL && JSON_NODE_HOLDS_VALUE (percent) &&
         json_node_get_value_type (percent) == G_TYPE_INT64 &&
         json_node_get_int (percent) >= 0 && json_node_get_int (percent) <= 100 &&
         salt != NULL && JSON_NODE_HOLDS_VALUE (salt) &&
         json_node_get_value_type (salt) == G_TYPE_STRING;
}

void
cohort_condition_row_load (CohortConditionRow *self,
                           JsonNode           *node)
{
  JsonObject *o = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  CohortConditionKind kind = COHORT_CONDITION_JSON;
  gint64 segment_id = 0;

  g_return_if_fail (COHORT_IS_CONDITION_ROW (self));

  self->loading = TRUE;

  while (self->where_rows->len > 0)
    {
      GtkWidget *row = g_ptr_array_steal_index (self->where_rows, self->where_rows->len - 1);
      gtk_box_remove (self->where_box, row);
    }

  if (self->filter)
    {
      load_condition (self, node);
      kind = COHORT_CONDITION_ATTRIBUTE;
    }
  else if (o != NULL && json_object_get_size (o) == 1 && json_object_has_member (o, "attribute") &&
           JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "attribute")))
    {
      kind = COHORT_CONDITION_ATTRIBUTE;
      load_condition (self, json_object_get_member (o, "attribute"));
    }
  else if (is_segment_node (node, &segment_id))
    kind = COHORT_CONDITION_IN_SEGMENT;
  else if (o != NULL && json_object_get_size (o) == 1 && json_object_has_member (o, "not") &&
           is_segment_node (json_object_get_member (o, "not"), &segment_id))
    kind = COHORT_CONDITION_NOT_IN_SEGMENT;
  else if (o != NULL && json_object_get_size (o) == 1 && json_object_has_member (o, "event") &&
           JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "event")))
    {
      kind = COHORT_CONDITION_EVENT;
      load_event (self, json_object_get_object_member (o, "event"));
    }
  else if (is_sample_node (node))
    {
      JsonObject *sample = json_object_get_object_member (o, "sample");

      kind = COHORT_CONDITION_SAMPLE;
      gtk_spin_button_set_value (self->percent_spin, (double) json_object_get_int_member (sample, "percent"));
      gtk_editable_set_text (GTK_EDITABLE (self->salt_entry), json_object_get_string_member (sample, "salt"));
    }
  else if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    /* A draft that was not valid JSON (see to_json). */
    gtk_editable_set_text (GTK_EDITABLE (self->json_entry), json_node_get_string (node));
  else if (node != NULL)
    {
      g_autofree char *text = json_to_string (node, FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->json_entry), text);
    }

  if (kind == COHORT_CONDITION_IN_SEGMENT || kind == COHORT_CONDITION_NOT_IN_SEGMENT)
    fill_segments (self, segment_id);

  gtk_drop_down_set_selected (self->kind_dropdown, kind);
  update_kind (self);
  self->loading = FALSE;
  /* Loaded rules are not new: what is wrong with them shows at once. */
  self->reveal = TRUE;
}

JsonNode *
cohort_condition_row_to_json (CohortConditionRow *self)
{
  g_return_val_if_fail (COHORT_IS_CONDITION_ROW (self), NULL);

  if (self->filter)
    return condition_to_json (self);

  switch (cohort_condition_row_get_kind (self))
    {
    case COHORT_CONDITION_ATTRIBUTE:
      return wrap ("attribute", condition_to_json (self));

    case COHORT_CONDITION_IN_SEGMENT:
    case COHORT_CONDITION_NOT_IN_SEGMENT:
      {
        guint pos = gtk_drop_down_get_selected (self->segment_dropdown);
        gint64 id = pos < self->row_segment_ids->len ? g_array_index (self->row_segment_ids, gint64, pos) : 0;
        JsonObject *s = json_object_new ();
        JsonNode *sn = json_node_new (JSON_NODE_OBJECT);
        JsonNode *node;

        json_object_set_int_member (s, "id", id);
        json_node_take_object (sn, s);
        node = wrap ("segment", sn);
        if (cohort_condition_row_get_kind (self) == COHORT_CONDITION_NOT_IN_SEGMENT)
          node = wrap ("not", node);
        return node;
      }

    case COHORT_CONDITION_EVENT:
      return event_to_json (self);

    case COHORT_CONDITION_SAMPLE:
      {
        JsonObject *sample = json_object_new ();
        JsonNode *sn = json_node_new (JSON_NODE_OBJECT);

        json_object_set_int_member (sample, "percent", gtk_spin_button_get_value_as_int (self->percent_spin));
        json_object_set_string_member (sample, "salt", gtk_editable_get_text (GTK_EDITABLE (self->salt_entry)));
        json_node_take_object (sn, sample);
        return wrap ("sample", sn);
      }

    case COHORT_CONDITION_JSON:
    default:
      {
        const char *text = gtk_editable_get_text (GTK_EDITABLE (self->json_entry));
        JsonNode *node = cohort_criteria_json_from_string (text, NULL);

        if (node == NULL)
          {
            node = json_node_new (JSON_NODE_VALUE);
            json_node_set_string (node, text);
          }
        return node;
      }
    }
}

/* ------------------------------------------------------------------ */
/* Validation                                                           */

static void
show_error (CohortConditionRow *self,
            const char         *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  if (message != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "invalid");
      gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_INVALID,
                                   GTK_ACCESSIBLE_INVALID_TRUE, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      message, -1);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self), "invalid");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_INVALID);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
}

/* The core's message without its path, starting with a capital. */
static char *
readable_error (const GError *error)
{
  g_autofree char *path = cohort_criteria_error_get_path (error);
  const char *msg = error->message;

  if (path != NULL && g_str_has_prefix (msg, path))
    {
      msg += strlen (path);
      while (*msg == ':' || *msg == ' ')
        msg++;
    }
  if (g_ascii_islower (*msg))
    return g_strdup_printf ("%c%s", g_ascii_toupper (*msg), msg + 1);
  return g_strdup (msg);
}

static const char *
check_condition (CohortConditionRow  *self,
                 GtkWidget          **bad)
{
  CohortOperand operand = cohort_operator_get_operand (selected_op (self));
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->value_entry));
  double number, high;
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  *bad = GTK_WIDGET (self->value_entry);
  if (*gtk_editable_get_text (GTK_EDITABLE (self->field_entry)) == '\0')
    {
      *bad = GTK_WIDGET (self->field_entry);
      return self->filter ? _("Enter an event attribute") : _("Choose an attribute");
    }

  switch (operand)
    {
    case COHORT_OPERAND_NUMBER:
      if (!parse_number (text, &number))
        return _("Enter a number");
      break;
    case COHORT_OPERAND_RANGE:
      if (!parse_number (text, &number))
        return _("Enter two numbers");
      if (!parse_number (gtk_editable_get_text (GTK_EDITABLE (self->value2_entry)), &high))
        {
          *bad = GTK_WIDGET (self->value2_entry);
          return _("Enter two numbers");
        }
      if (number > high)
        return _("The first number must not be larger than the second");
      break;
    case COHORT_OPERAND_SCALAR:
      if (*trimmed == '\0')
        return _("Enter a value");
      if (self->type == COHORT_ATTR_NUMBER && !parse_number (text, &number))
        return _("Enter a number");
      break;
    case COHORT_OPERAND_STRING:
      if (*text == '\0')
        return _("Enter a value");
      break;
    case COHORT_OPERAND_LIST:
      if (*trimmed == '\0' || strspn (trimmed, ", ") == strlen (trimmed))
        return _("Enter at least one value");
      break;
    case COHORT_OPERAND_TIMESTAMP:
      if (*trimmed == '\0')
        return _("Enter a date, like 2024-02-24");
      break;
    case COHORT_OPERAND_REGEX:
      if (*text == '\0')
        return _("Enter a regular expression");
      break;
    case COHORT_OPERAND_NONE:
    case COHORT_OPERAND_RELATIVE:
    default:
      break;
    }

  return NULL;
}

gboolean
cohort_condition_row_validate (CohortConditionRow *self)
{
  CohortConditionKind kind = cohort_condition_row_get_kind (self);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(CohortCriteria) parsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  const char *reason = NULL;
  gboolean valid = TRUE;
  GtkWidget *bad = NULL;
  GtkWidget *entries[] = {
    GTK_WIDGET (self->field_entry), GTK_WIDGET (self->value_entry),
    GTK_WIDGET (self->value2_entry), GTK_WIDGET (self->event_entry),
    GTK_WIDGET (self->json_entry),
  };

  g_return_val_if_fail (COHORT_IS_CONDITION_ROW (self), FALSE);

  if (kind == COHORT_CONDITION_ATTRIBUTE)
    reason = check_condition (self, &bad);
  else if (kind == COHORT_CONDITION_IN_SEGMENT || kind == COHORT_CONDITION_NOT_IN_SEGMENT)
    {
      if (gtk_drop_down_get_selected (self->segment_dropdown) == 0)
        reason = _("Choose a segment");
    }
  else if (kind == COHORT_CONDITION_EVENT)
    {
      bad = GTK_WIDGET (self->event_entry);
      if (*gtk_editable_get_text (GTK_EDITABLE (self->event_entry)) == '\0')
        reason = _("Enter an event name");
      for (guint i = 0; i < self->where_rows->len; i++)
        valid &= cohort_condition_row_validate (g_ptr_array_index (self->where_rows, i));
    }
  else if (kind == COHORT_CONDITION_JSON)
    {
      bad = GTK_WIDGET (self->json_entry);
      if (*gtk_editable_get_text (GTK_EDITABLE (self->json_entry)) == '\0')
        reason = _("Enter a criteria node in JSON");
    }

  if (reason == NULL)
    {
      node = cohort_condition_row_to_json (self);
      if (self->filter)
        node = wrap ("attribute", g_steal_pointer (&node));
      if (kind == COHORT_CONDITION_JSON && JSON_NODE_HOLDS_VALUE (node))
        reason = _("This is not valid JSON");
      else if ((parsed = cohort_criteria_parse_node (node, &error)) == NULL)
        reason = message = readable_error (error);
    }

  /* A new row is not marked while the user fills it in: only once they
   * left it, or tried to save. */
  show_error (self, self->reveal ? reason : NULL);
  /* The entry at fault is outlined. */
  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    {
      if (self->reveal && reason != NULL && entries[i] == bad)
        gtk_widget_add_css_class (entries[i], "error");
      else
        gtk_widget_remove_css_class (entries[i], "error");
    }
  return valid && reason == NULL;
}

void
cohort_condition_row_reveal_problems (CohortConditionRow *self)
{
  g_return_if_fail (COHORT_IS_CONDITION_ROW (self));

  self->reveal = TRUE;
  for (guint i = 0; i < self->where_rows->len; i++)
    cohort_condition_row_reveal_problems (g_ptr_array_index (self->where_rows, i));
  cohort_condition_row_validate (self);
}

/* "0 times" is "did not perform": "performed at least 0 times" would match
 * everyone, and is refused in place. */
static void
count_changed_cb (CohortConditionRow *self)
{
  if (!self->loading && gtk_spin_button_get_value_as_int (self->count_spin) == 0)
    {
      gboolean performed = gtk_drop_down_get_selected (self->performed_dropdown) == 0;

      self->loading = TRUE;
      if (performed)
        {
          gtk_drop_down_set_selected (self->performed_dropdown, 1);
          gtk_drop_down_set_selected (self->count_dropdown, 0);
        }
      gtk_spin_button_set_value (self->count_spin, 1);
      self->loading = FALSE;
    }
  emit_changed (self);
}

static void
focus_left_cb (CohortConditionRow *self)
{
  if (self->reveal)
    return;
  self->reveal = TRUE;
  cohort_condition_row_validate (self);
}

/* ------------------------------------------------------------------ */

CohortConditionKind
cohort_condition_row_get_kind (CohortConditionRow *self)
{
  g_return_val_if_fail (COHORT_IS_CONDITION_ROW (self), COHORT_CONDITION_ATTRIBUTE);

  if (self->filter)
    return COHORT_CONDITION_ATTRIBUTE;
  return MIN (gtk_drop_down_get_selected (self->kind_dropdown), COHORT_CONDITION_JSON);
}

void
cohort_condition_row_set_kind (CohortConditionRow  *self,
                               CohortConditionKind  kind)
{
  g_return_if_fail (COHORT_IS_CONDITION_ROW (self));
  gtk_drop_down_set_selected (self->kind_dropdown, kind);
}

static void
cohort_condition_row_dispose (GObject *object)
{
  GtkWidget *child;
  CohortConditionRow *self = COHORT_CONDITION_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_CONDITION_ROW);
  /* The template's unnamed children too. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_handle_id (&self->refill_id, g_source_remove);
  g_clear_pointer (&self->where_rows, g_ptr_array_unref);
  g_clear_pointer (&self->ctx, cohort_criteria_context_unref);
  g_clear_pointer (&self->place, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->ops, g_array_unref);
  g_clear_pointer (&self->row_segment_ids, g_array_unref);
  g_clear_pointer (&self->since, json_node_unref);
  g_clear_pointer (&self->until, json_node_unref);
  g_clear_object (&self->where_fields);

  G_OBJECT_CLASS (cohort_condition_row_parent_class)->dispose (object);
}

static void
cohort_condition_row_class_init (CohortConditionRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_condition_row_dispose;

  /**
   * CohortConditionRow::changed:
   *
   * The user edited the row.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * CohortConditionRow::remove:
   *
   * The user asked to remove the row.
   */
  signals[REMOVE] = g_signal_new ("remove", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-condition-row.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, top_box);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, kind_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, field_entry);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, type_label);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, segment_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, event_entry);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, json_entry);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, sample_box);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, percent_spin);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, salt_entry);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, remove_button);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, op_box);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, op_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, value_entry);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, date_button);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, date_popover);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, calendar);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, and_label);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, value2_entry);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, amount_spin);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, unit_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, ago_label);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, event_box);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, performed_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, count_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, count_spin);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, times_label);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, window_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, window_spin);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, window_unit_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, where_label);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, where_box);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, add_filter_button);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionRow, error_label);
}

static void
cohort_condition_row_init (CohortConditionRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))), 6);

  self->ops = g_array_new (FALSE, FALSE, sizeof (CohortOperator));
  self->row_segment_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->where_rows = g_ptr_array_new ();
  self->where_fields = gtk_list_store_new (N_FIELD_COLUMNS, G_TYPE_STRING, G_TYPE_STRING);
  self->type = -1;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Condition"), -1);
}

GtkWidget *
cohort_condition_row_new (CohortCriteriaContext *ctx,
                          gboolean               filter)
{
  CohortConditionRow *self = g_object_new (COHORT_TYPE_CONDITION_ROW, NULL);

  self->ctx = cohort_criteria_context_ref (ctx);
  self->filter = filter;
  self->loading = TRUE;

  if (!filter)
    {
      self->field_store = ctx->attributes;
      set_completion (self->field_entry, ctx->attributes, TRUE);
      set_completion (self->event_entry, ctx->event_names, FALSE);
    }
  else
    {
      gtk_widget_set_margin_start (GTK_WIDGET (self), 6);
    }

  fill_operators (self, COHORT_OP_EQ);
  fill_segments (self, 0);
  update_kind (self);

  g_signal_connect_object (self->kind_dropdown, "notify::selected", G_CALLBACK (kind_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->field_entry, "changed", G_CALLBACK (field_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->op_dropdown, "notify::selected", G_CALLBACK (op_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->value_entry, "changed", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->value2_entry, "changed", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->amount_spin, "value-changed", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->unit_dropdown, "notify::selected", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->segment_dropdown, "notify::selected", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->event_entry, "changed", G_CALLBACK (event_name_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->json_entry, "changed", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->percent_spin, "value-changed", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->salt_entry, "changed", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->performed_dropdown, "notify::selected", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->count_dropdown, "notify::selected", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->count_spin, "value-changed", G_CALLBACK (count_changed_cb), self, G_CONNECT_SWAPPED);
  {
    GtkWidget *guarded[] = {
      GTK_WIDGET (self->kind_dropdown), GTK_WIDGET (self->segment_dropdown), GTK_WIDGET (self->percent_spin),
      GTK_WIDGET (self->op_dropdown), GTK_WIDGET (self->amount_spin), GTK_WIDGET (self->unit_dropdown),
      GTK_WIDGET (self->performed_dropdown), GTK_WIDGET (self->count_dropdown), GTK_WIDGET (self->count_spin),
      GTK_WIDGET (self->window_dropdown), GTK_WIDGET (self->window_spin), GTK_WIDGET (self->window_unit_dropdown),
    };
    GtkEventController *focus = gtk_event_controller_focus_new ();

    for (guint i = 0; i < G_N_ELEMENTS (guarded); i++)
      cohort_input_scroll_only_when_focused (guarded[i]);
    g_signal_connect_object (focus, "leave", G_CALLBACK (focus_left_cb), self, G_CONNECT_SWAPPED);
    gtk_widget_add_controller (GTK_WIDGET (self), focus);
  }
  g_signal_connect_object (self->window_dropdown, "notify::selected", G_CALLBACK (window_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->window_spin, "value-changed", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->window_unit_dropdown, "notify::selected", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->remove_button, "clicked", G_CALLBACK (remove_clicked_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->date_popover, "show", G_CALLBACK (date_popover_show_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->calendar, "day-selected", G_CALLBACK (day_selected_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->add_filter_button, "clicked", G_CALLBACK (add_filter_clicked_cb), self, G_CONNECT_SWAPPED);

  self->loading = FALSE;
  return GTK_WIDGET (self);
}
