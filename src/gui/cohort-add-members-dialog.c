/* cohort-add-members-dialog.c: paste ids or emails into a manual segment
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-add-members-dialog.h"
#include "cohort-members.h"

struct _CohortAddMembersDialog
{
  AdwWindow parent_instance;

  CohortWorkspace *workspace;
  CohortSegment *segment;

  GtkButton *cancel_button;
  GtkButton *add_button;
  GtkButton *done_button;
  GtkStack *stack;
  GtkTextView *text_view;
  GtkLabel *summary_label;
  GtkLabel *unknown_heading;
  GtkLabel *unknown_label;
};

G_DEFINE_FINAL_TYPE (CohortAddMembersDialog, cohort_add_members_dialog, ADW_TYPE_WINDOW)

static char *
get_text (CohortAddMembersDialog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
text_changed_cb (CohortAddMembersDialog *self)
{
  g_autofree char *text = get_text (self);
  g_autoptr(GPtrArray) identifiers = cohort_members_parse_identifiers (text);

  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), identifiers->len > 0);
}

static void
show_result (CohortAddMembersDialog    *self,
             const CohortMembersResult *result)
{
  g_autofree char *added = NULL;
  g_autofree char *present = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *heading = NULL;
  g_autoptr(GString) unknown = g_string_new (NULL);
  guint n_unknown = result->unknown ? result->unknown->len : 0;

  added = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u customer added.", "%u customers added.",
                                        result->changed), result->changed);
  present = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u was already a member.",
                                          "%u were already members.", result->unchanged),
                             result->unchanged);
  summary = g_strconcat (added, " ", present, NULL);
  gtk_label_set_label (self->summary_label, summary);

  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "%u does not match any customer and was not added:",
                                          "%u do not match any customer and were not added:",
                                          n_unknown), n_unknown);
  gtk_label_set_label (self->unknown_heading, heading);
  for (guint i = 0; i < n_unknown; i++)
    {
      if (i > 0)
        g_string_append_c (unknown, '\n');
      g_string_append (unknown, g_ptr_array_index (result->unknown, i));
    }
  gtk_label_set_label (self->unknown_label, unknown->str);
  gtk_widget_set_visible (GTK_WIDGET (self->unknown_heading), n_unknown > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->unknown_label), n_unknown > 0);

  gtk_stack_set_visible_child_name (self->stack, "result");
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->add_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->done_button), TRUE);
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->done_button));
  gtk_widget_grab_focus (GTK_WIDGET (self->done_button));
}

static void
add_clicked_cb (CohortAddMembersDialog *self)
{
  g_auto(CohortMembersResult) result = { 0, };
  g_autoptr(GPtrArray) identifiers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = get_text (self);

  identifiers = cohort_members_parse_identifiers (text);
  if (identifiers->len == 0)
    return;

  if (!cohort_members_add (self->workspace, cohort_segment_get_id (self->segment),
                           identifiers, &result, &error))
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Could Not Add Customers"),
                                                  error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }

  show_result (self, &result);
}

static void
cohort_add_members_dialog_dispose (GObject *object)
{
  CohortAddMembersDialog *self = COHORT_ADD_MEMBERS_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_ADD_MEMBERS_DIALOG);
  g_clear_object (&self->segment);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cohort_add_members_dialog_parent_class)->dispose (object);
}

static void
cohort_add_members_dialog_class_init (CohortAddMembersDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_add_members_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-add-members-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, done_button);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, text_view);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, unknown_heading);
  gtk_widget_class_bind_template_child (widget_class, CohortAddMembersDialog, unknown_label);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cohort_add_members_dialog_init (CohortAddMembersDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (text_changed_cb), self, G_CONNECT_SWAPPED);
}

CohortAddMembersDialog *
cohort_add_members_dialog_new (GtkWindow       *parent,
                               CohortWorkspace *workspace,
                               CohortSegment   *segment)
{
  CohortAddMembersDialog *self;
  g_autofree char *title = NULL;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (COHORT_IS_SEGMENT (segment), NULL);

  self = g_object_new (COHORT_TYPE_ADD_MEMBERS_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->workspace = g_object_ref (workspace);
  self->segment = g_object_ref (segment);

  /* Translators: the title of a dialog; %s is a segment name */
  title = g_strdup_printf (_("Add Customers to “%s”"), cohort_segment_get_name (segment));
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->text_view));

  return self;
}
