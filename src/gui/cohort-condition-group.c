/* cohort-condition-group.c: all / any / none of a list of conditions
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "cohort-a11y.h"
#include "cohort-condition-group.h"
#include "cohort-input.h"

static void renumber (CohortConditionGroup *self);

struct _CohortConditionGroup
{
  GtkWidget parent_instance;

  CohortCriteriaContext *ctx;
  gboolean root;
  gboolean loading;
  GPtrArray *children;   /* CohortConditionRow / CohortConditionGroup */
  char *path;            /* "2", "2.1": where a nested group stands; NULL at the top */
  char *title;           /* "Group 2 of 3" */

  GtkBox *header_box;
  GtkLabel *match_label;
  GtkDropDown *mode_dropdown;
  GtkButton *remove_button;
  GtkListBox *list;
  GtkLabel *placeholder_label;
  GtkButton *add_condition_button;
  GtkButton *add_group_button;
};

G_DEFINE_FINAL_TYPE (CohortConditionGroup, cohort_condition_group, GTK_TYPE_WIDGET)

enum {
  CHANGED,
  REMOVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
emit_changed (CohortConditionGroup *self)
{
  if (!self->loading)
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
update_placeholder (CohortConditionGroup *self)
{
  const char *text;

  /* The rules as a whole: none yet means no one (see the builder). */
  if (self->root)
    {
      gtk_label_set_label (self->placeholder_label, _("No rules yet: no one matches. Add a condition."));
      return;
    }
  switch (cohort_condition_group_get_mode (self))
    {
    case COHORT_GROUP_ANY:
      text = _("No conditions: no one matches");
      break;
    case COHORT_GROUP_NONE:
    case COHORT_GROUP_ALL:
    default:
      text = _("No conditions: everyone matches");
      break;
    }
  gtk_label_set_label (self->placeholder_label, text);
}

static const char *
mode_words (CohortConditionGroup *self)
{
  switch (cohort_condition_group_get_mode (self))
    {
    case COHORT_GROUP_ANY:
      return _("any of these");
    case COHORT_GROUP_NONE:
      return _("none of these");
    case COHORT_GROUP_ALL:
    default:
      return _("all of these");
    }
}

/* "Match, group 2": a control read with the group it belongs to. */
static void
name_control (CohortConditionGroup *self,
              gpointer              control,
              const char           *base)
{
  g_autofree char *name = NULL;

  if (self->path == NULL)
    {
      cohort_a11y_set_name (control, base);
      return;
    }
  /* Translators: a control of a group of conditions for a screen reader,
   * e.g. "Add Condition, group 2" */
  name = g_strdup_printf (_("%s, group %s"), base, self->path);
  cohort_a11y_set_name (control, name);
}

/* Names the group, its controls and every child by its place, for screen
 * readers ("Condition 1 of 2 in group 3: plan is “pro”"). */
static void
renumber (CohortConditionGroup *self)
{
  guint n = self->children->len;
  g_autofree char *name = NULL;

  name_control (self, self->mode_dropdown, _("Match"));
  name_control (self, self->remove_button, _("Remove Group"));
  name_control (self, self->list, _("Conditions"));
  name_control (self, self->add_condition_button, _("Add Condition"));
  name_control (self, self->add_group_button, _("Add Group"));
  /* Translators: a group of conditions for a screen reader, e.g.
   * "Group 2 of 3: any of these, 2 conditions" */
  name = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %s, %u condition", "%s: %s, %u conditions", n),
                          self->title != NULL ? self->title : _("Rules"), mode_words (self), n);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);

  for (guint i = 0; i < n; i++)
    {
      GtkWidget *child = g_ptr_array_index (self->children, i);
      g_autofree char *path = self->path != NULL ? g_strdup_printf ("%s.%u", self->path, i + 1)
                                                 : g_strdup_printf ("%u", i + 1);
      g_autofree char *title = NULL;

      if (COHORT_IS_CONDITION_ROW (child))
        {
          /* Translators: e.g. "condition 2.1", inside a control's name */
          g_autofree char *place = g_strdup_printf (_("condition %s"), path);

          title = self->path != NULL
                  /* Translators: e.g. "Condition 1 of 2 in group 3" */
                  ? g_strdup_printf (_("Condition %u of %u in group %s"), i + 1, n, self->path)
                  /* Translators: e.g. "Condition 2 of 3" */
                  : g_strdup_printf (_("Condition %u of %u"), i + 1, n);
          cohort_condition_row_set_place (COHORT_CONDITION_ROW (child), place, title);
        }
      else
        {
          CohortConditionGroup *group = COHORT_CONDITION_GROUP (child);

          title = self->path != NULL
                  /* Translators: e.g. "Group 1 of 2 in group 3" */
                  ? g_strdup_printf (_("Group %u of %u in group %s"), i + 1, n, self->path)
                  /* Translators: e.g. "Group 2 of 3" */
                  : g_strdup_printf (_("Group %u of %u"), i + 1, n);
          g_free (group->path);
          group->path = g_steal_pointer (&path);
          g_free (group->title);
          group->title = g_steal_pointer (&title);
          renumber (group);
        }
    }
}

static void
child_remove_cb (GtkWidget            *child,
                 CohortConditionGroup *self)
{
  GtkWidget *row = gtk_widget_get_ancestor (child, GTK_TYPE_LIST_BOX_ROW);
  guint index = 0;

  if (!g_ptr_array_find (self->children, child, &index))
    return;

  g_ptr_array_remove_index (self->children, index);
  gtk_list_box_remove (self->list, row);
  renumber (self);

  /* Keep the focus nearby for keyboard users. */
  if (self->children->len > 0)
    gtk_widget_child_focus (g_ptr_array_index (self->children, MIN (index, self->children->len - 1)),
                            GTK_DIR_TAB_FORWARD);
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->add_condition_button));

  emit_changed (self);
}

static void
child_changed_cb (CohortConditionGroup *self)
{
  renumber (self);
  emit_changed (self);
}

static void
append_child (CohortConditionGroup *self,
              GtkWidget            *child)
{
  GtkWidget *row = gtk_list_box_row_new ();

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), child);
  gtk_list_box_append (self->list, row);
  g_ptr_array_add (self->children, child);

  g_signal_connect_object (child, "changed", G_CALLBACK (child_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (child, "remove", G_CALLBACK (child_remove_cb), self, 0);
  renumber (self);
}

static void
clear (CohortConditionGroup *self)
{
  GtkWidget *row;

  g_ptr_array_set_size (self->children, 0);
  while ((row = GTK_WIDGET (gtk_list_box_get_row_at_index (self->list, 0))) != NULL)
    gtk_list_box_remove (self->list, row);
}

static void load_child (CohortConditionGroup *self,
                        JsonNode             *node);

void
cohort_condition_group_load (CohortConditionGroup *self,
                             JsonNode             *node)
{
  JsonObject *o = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *list = NULL;
  CohortGroupMode mode = COHORT_GROUP_ALL;

  g_return_if_fail (COHORT_IS_CONDITION_GROUP (self));

  self->loading = TRUE;
  clear (self);

  if (o != NULL && json_object_get_size (o) == 1)
    {
      if (json_object_has_member (o, "and"))
        list = json_object_get_member (o, "and");
      else if (json_object_has_member (o, "or"))
        list = json_object_get_member (o, "or"), mode = COHORT_GROUP_ANY;
      else if (!cohort_condition_row_handles (node))
        {
          list = json_object_get_member (json_object_get_object_member (o, "not"), "or");
          mode = COHORT_GROUP_NONE;
        }
    }

  if (list != NULL && JSON_NODE_HOLDS_ARRAY (list))
    {
      JsonArray *array = json_node_get_array (list);

      for (guint i = 0; i < json_array_get_length (array); i++)
        load_child (self, json_array_get_element (array, i));
    }
  else if (node != NULL)
    load_child (self, node);

  gtk_drop_down_set_selected (self->mode_dropdown, mode);
  update_placeholder (self);
  self->loading = FALSE;
}

static void
load_child (CohortConditionGroup *self,
            JsonNode             *node)
{
  GtkWidget *child;

  if (cohort_condition_row_handles (node))
    {
      child = cohort_condition_row_new (self->ctx, FALSE);
      cohort_condition_row_load (COHORT_CONDITION_ROW (child), node);
    }
  else
    {
      child = cohort_condition_group_new (self->ctx, FALSE);
      cohort_condition_group_load (COHORT_CONDITION_GROUP (child), node);
    }
  append_child (self, child);
}

JsonNode *
cohort_condition_group_to_json (CohortConditionGroup *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  CohortGroupMode mode = cohort_condition_group_get_mode (self);

  g_return_val_if_fail (COHORT_IS_CONDITION_GROUP (self), NULL);

  json_builder_begin_object (b);
  if (mode == COHORT_GROUP_NONE)
    {
      json_builder_set_member_name (b, "not");
      json_builder_begin_object (b);
    }
  json_builder_set_member_name (b, mode == COHORT_GROUP_ALL ? "and" : "or");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->children->len; i++)
    {
      GtkWidget *child = g_ptr_array_index (self->children, i);

      if (COHORT_IS_CONDITION_ROW (child))
        json_builder_add_value (b, cohort_condition_row_to_json (COHORT_CONDITION_ROW (child)));
      else
        json_builder_add_value (b, cohort_condition_group_to_json (COHORT_CONDITION_GROUP (child)));
    }
  json_builder_end_array (b);
  if (mode == COHORT_GROUP_NONE)
    json_builder_end_object (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
}

void
cohort_condition_group_reveal_problems (CohortConditionGroup *self)
{
  g_return_if_fail (COHORT_IS_CONDITION_GROUP (self));

  for (guint i = 0; i < self->children->len; i++)
    {
      GtkWidget *child = g_ptr_array_index (self->children, i);

      if (COHORT_IS_CONDITION_ROW (child))
        cohort_condition_row_reveal_problems (COHORT_CONDITION_ROW (child));
      else
        cohort_condition_group_reveal_problems (COHORT_CONDITION_GROUP (child));
    }
}

gboolean
cohort_condition_group_validate (CohortConditionGroup *self)
{
  gboolean valid = TRUE;

  g_return_val_if_fail (COHORT_IS_CONDITION_GROUP (self), FALSE);

  for (guint i = 0; i < self->children->len; i++)
    {
      GtkWidget *child = g_ptr_array_index (self->children, i);

      if (COHORT_IS_CONDITION_ROW (child))
        valid &= cohort_condition_row_validate (COHORT_CONDITION_ROW (child));
      else
        valid &= cohort_condition_group_validate (COHORT_CONDITION_GROUP (child));
    }

  return valid;
}

CohortGroupMode
cohort_condition_group_get_mode (CohortConditionGroup *self)
{
  g_return_val_if_fail (COHORT_IS_CONDITION_GROUP (self), COHORT_GROUP_ALL);

  return MIN (gtk_drop_down_get_selected (self->mode_dropdown), COHORT_GROUP_NONE);
}

void
cohort_condition_group_set_mode (CohortConditionGroup *self,
                                 CohortGroupMode       mode)
{
  g_return_if_fail (COHORT_IS_CONDITION_GROUP (self));

  gtk_drop_down_set_selected (self->mode_dropdown, mode);
}

CohortConditionRow *
cohort_condition_group_add_condition (CohortConditionGroup *self)
{
  GtkWidget *row;

  g_return_val_if_fail (COHORT_IS_CONDITION_GROUP (self), NULL);

  row = cohort_condition_row_new (self->ctx, FALSE);
  append_child (self, row);
  gtk_widget_child_focus (row, GTK_DIR_TAB_FORWARD);
  emit_changed (self);

  return COHORT_CONDITION_ROW (row);
}

CohortConditionGroup *
cohort_condition_group_add_group (CohortConditionGroup *self)
{
  GtkWidget *group;

  g_return_val_if_fail (COHORT_IS_CONDITION_GROUP (self), NULL);

  group = cohort_condition_group_new (self->ctx, FALSE);
  append_child (self, group);
  /* A new group starts with one condition to fill in. */
  COHORT_CONDITION_GROUP (group)->loading = TRUE;
  cohort_condition_group_add_condition (COHORT_CONDITION_GROUP (group));
  COHORT_CONDITION_GROUP (group)->loading = FALSE;
  gtk_widget_child_focus (group, GTK_DIR_TAB_FORWARD);
  emit_changed (self);

  return COHORT_CONDITION_GROUP (group);
}

guint
cohort_condition_group_get_n_children (CohortConditionGroup *self)
{
  g_return_val_if_fail (COHORT_IS_CONDITION_GROUP (self), 0);

  return self->children->len;
}

GtkWidget *
cohort_condition_group_get_child (CohortConditionGroup *self,
                                  guint                 position)
{
  g_return_val_if_fail (COHORT_IS_CONDITION_GROUP (self), NULL);
  g_return_val_if_fail (position < self->children->len, NULL);

  return g_ptr_array_index (self->children, position);
}

static void
mode_changed_cb (CohortConditionGroup *self)
{
  update_placeholder (self);
  renumber (self);
  emit_changed (self);
}

static void
remove_clicked_cb (CohortConditionGroup *self)
{
  g_signal_emit (self, signals[REMOVE], 0);
}

static void
cohort_condition_group_dispose (GObject *object)
{
  GtkWidget *child;
  CohortConditionGroup *self = COHORT_CONDITION_GROUP (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_CONDITION_GROUP);
  /* The template's unnamed children too. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->children, g_ptr_array_unref);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->ctx, cohort_criteria_context_unref);

  G_OBJECT_CLASS (cohort_condition_group_parent_class)->dispose (object);
}

static void
cohort_condition_group_class_init (CohortConditionGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_condition_group_dispose;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[REMOVE] = g_signal_new ("remove", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-condition-group.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionGroup, header_box);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionGroup, match_label);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionGroup, mode_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionGroup, remove_button);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionGroup, list);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionGroup, placeholder_label);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionGroup, add_condition_button);
  gtk_widget_class_bind_template_child (widget_class, CohortConditionGroup, add_group_button);
}

static void
cohort_condition_group_init (CohortConditionGroup *self)
{
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));
  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);

  self->children = g_ptr_array_new ();
  cohort_input_scroll_only_when_focused (GTK_WIDGET (self->mode_dropdown));

  g_signal_connect_object (self->mode_dropdown, "notify::selected", G_CALLBACK (mode_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->remove_button, "clicked", G_CALLBACK (remove_clicked_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->add_condition_button, "clicked",
                           G_CALLBACK (cohort_condition_group_add_condition), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->add_group_button, "clicked",
                           G_CALLBACK (cohort_condition_group_add_group), self, G_CONNECT_SWAPPED);
  update_placeholder (self);
  renumber (self);
}

GtkWidget *
cohort_condition_group_new (CohortCriteriaContext *ctx,
                            gboolean               root)
{
  CohortConditionGroup *self = g_object_new (COHORT_TYPE_CONDITION_GROUP, NULL);

  self->ctx = cohort_criteria_context_ref (ctx);
  self->root = root;
  update_placeholder (self);
  gtk_widget_set_visible (GTK_WIDGET (self->remove_button), !root);
  if (!root)
    {
      gtk_widget_set_margin_start (GTK_WIDGET (self), 18);
      gtk_widget_set_margin_end (GTK_WIDGET (self), 6);
      gtk_widget_set_margin_top (GTK_WIDGET (self), 6);
      gtk_widget_set_margin_bottom (GTK_WIDGET (self), 6);
    }

  return GTK_WIDGET (self);
}
