/* cohort-segment-dialog.c: create a segment, or edit one's name and description
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-segment-dialog.h"

struct _CohortSegmentDialog
{
  AdwWindow parent_instance;

  CohortWorkspace *workspace;
  CohortSegment *segment;     /* NULL when creating */

  /* The name was edited: from then on, say what is wrong with it. */
  gboolean name_touched;
  gboolean can_save;

  AdwPreferencesGroup *kind_group;
  GtkCheckButton *data_driven_check;
  GtkCheckButton *manual_check;
  AdwEntryRow *name_row;
  AdwEntryRow *description_row;
  GtkLabel *error_label;
  GtkButton *save_button;
};

G_DEFINE_FINAL_TYPE (CohortSegmentDialog, cohort_segment_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_SEGMENT,
  PROP_CAN_SAVE,
  N_PROPS
};

enum {
  SAVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
get_kind (CohortSegmentDialog *self,
          CohortSegmentKind   *kind)
{
  if (self->segment != NULL)
    *kind = cohort_segment_get_kind (self->segment);
  else if (gtk_check_button_get_active (self->data_driven_check))
    *kind = COHORT_SEGMENT_DATA_DRIVEN;
  else if (gtk_check_button_get_active (self->manual_check))
    *kind = COHORT_SEGMENT_MANUAL;
  else
    return FALSE;

  return TRUE;
}

static void
show_error (CohortSegmentDialog *self,
            const char          *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);

  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
}

static void
update_state (CohortSegmentDialog *self)
{
  g_autoptr(GError) error = NULL;
  CohortSegmentKind kind;
  gboolean name_ok;
  gboolean can_save;

  name_ok = cohort_segment_check_name (self->workspace,
                                       gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                                       self->segment ? cohort_segment_get_id (self->segment) : 0,
                                       &error);

  show_error (self, !name_ok && self->name_touched ? error->message : NULL);

  can_save = name_ok && get_kind (self, &kind);

  if (can_save != self->can_save)
    {
      self->can_save = can_save;
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.save", can_save);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_SAVE]);
    }
}

static void
name_changed_cb (CohortSegmentDialog *self)
{
  self->name_touched = TRUE;
  update_state (self);
}

static void
kind_toggled_cb (CohortSegmentDialog *self)
{
  update_state (self);
}

static void
entry_activated_cb (CohortSegmentDialog *self)
{
  if (cohort_segment_dialog_get_can_save (self))
    gtk_widget_activate_action (GTK_WIDGET (self), "dialog.save", NULL);
}

static void
save_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CohortSegmentDialog *self = COHORT_SEGMENT_DIALOG (widget);
  g_autoptr(CohortSegment) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *description = NULL;
  CohortSegmentKind kind;

  if (!get_kind (self, &kind))
    return;

  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  description = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->description_row))));

  if (self->segment == NULL)
    saved = cohort_segments_create (self->workspace, name, kind, description, &error);
  else
    saved = cohort_segments_update (self->workspace, cohort_segment_get_id (self->segment),
                                    name, description, &error);

  if (saved == NULL)
    {
      /* Another program may have taken the name meanwhile, or the disk is full:
       * keep what was typed and say why. */
      show_error (self, error->message);
      return;
    }

  g_signal_emit (self, signals[SAVED], 0, saved);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
cohort_segment_dialog_constructed (GObject *object)
{
  CohortSegmentDialog *self = COHORT_SEGMENT_DIALOG (object);

  G_OBJECT_CLASS (cohort_segment_dialog_parent_class)->constructed (object);

  g_assert (COHORT_IS_WORKSPACE (self->workspace));

  if (self->segment != NULL)
    {
      gtk_window_set_title (GTK_WINDOW (self), _("Edit Segment"));
      gtk_widget_set_visible (GTK_WIDGET (self->kind_group), FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), cohort_segment_get_name (self->segment));
      gtk_editable_set_text (GTK_EDITABLE (self->description_row),
                             cohort_segment_get_description (self->segment));
    }

  /* Setting the text above is not an edit by the user. */
  self->name_touched = FALSE;
  update_state (self);
}

static void
cohort_segment_dialog_dispose (GObject *object)
{
  CohortSegmentDialog *self = COHORT_SEGMENT_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_SEGMENT_DIALOG);
  g_clear_object (&self->segment);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cohort_segment_dialog_parent_class)->dispose (object);
}

static void
cohort_segment_dialog_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  CohortSegmentDialog *self = COHORT_SEGMENT_DIALOG (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;

    case PROP_SEGMENT:
      g_value_set_object (value, self->segment);
      break;

    case PROP_CAN_SAVE:
      g_value_set_boolean (value, cohort_segment_dialog_get_can_save (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_segment_dialog_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  CohortSegmentDialog *self = COHORT_SEGMENT_DIALOG (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      self->workspace = g_value_dup_object (value);
      break;

    case PROP_SEGMENT:
      self->segment = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_segment_dialog_class_init (CohortSegmentDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cohort_segment_dialog_constructed;
  object_class->dispose = cohort_segment_dialog_dispose;
  object_class->get_property = cohort_segment_dialog_get_property;
  object_class->set_property = cohort_segment_dialog_set_property;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         COHORT_TYPE_WORKSPACE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_SEGMENT] =
    g_param_spec_object ("segment", NULL, NULL,
                         COHORT_TYPE_SEGMENT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_CAN_SAVE] =
    g_param_spec_boolean ("can-save", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CohortSegmentDialog::saved:
   * @segment: the segment as stored
   */
  signals[SAVED] =
    g_signal_new ("saved",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, COHORT_TYPE_SEGMENT);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-segment-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentDialog, kind_group);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentDialog, data_driven_check);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentDialog, manual_check);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentDialog, description_row);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentDialog, save_button);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, kind_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);

  gtk_widget_class_install_action (widget_class, "dialog.save", NULL, save_activated);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cohort_segment_dialog_init (CohortSegmentDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.save", FALSE);
}

CohortSegmentDialog *
cohort_segment_dialog_new (GtkWindow       *parent,
                           CohortWorkspace *workspace,
                           CohortSegment   *segment)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (COHORT_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (segment == NULL || COHORT_IS_SEGMENT (segment), NULL);

  return g_object_new (COHORT_TYPE_SEGMENT_DIALOG,
                       "transient-for", parent,
                       "workspace", workspace,
                       "segment", segment,
                       NULL);
}

gboolean
cohort_segment_dialog_get_can_save (CohortSegmentDialog *self)
{
  g_return_val_if_fail (COHORT_IS_SEGMENT_DIALOG (self), FALSE);

  return self->can_save;
}
