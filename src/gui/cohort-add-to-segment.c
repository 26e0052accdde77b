/* cohort-add-to-segment.c: "Add to Segment…" for customers chosen in a list
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-add-to-segment.h"
#include "cohort-members.h"
#include "cohort-segment.h"

typedef struct
{
  GtkWidget *widget;           /* weak: where the toast goes */
  CohortWorkspace *workspace;
  GArray *ordinals;            /* gint64 */
  GPtrArray *segments;         /* the manual ones, as in the drop-down */
  GtkDropDown *drop_down;
} AddToSegment;

static void
add_to_segment_free (gpointer data)
{
  AddToSegment *add = data;

  g_clear_weak_pointer (&add->widget);
  g_object_unref (add->workspace);
  g_array_unref (add->ordinals);
  g_ptr_array_unref (add->segments);
  g_free (add);
}

static void
add_toast (GtkWidget  *widget,
           const char *title)
{
  GtkWidget *overlay = widget ? gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY) : NULL;

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (title));
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             AddToSegment     *add)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *added = NULL;
  g_autofree char *title = NULL;
  CohortSegment *segment;
  guint position;
  guint changed = 0;
  guint already;

  if (g_strcmp0 (response, "add") != 0)
    return;

  position = gtk_drop_down_get_selected (add->drop_down);
  if (position >= add->segments->len)
    return;
  segment = g_ptr_array_index (add->segments, position);

  if (!cohort_members_add_ordinals (add->workspace, cohort_segment_get_id (segment),
                                    (const gint64 *) (gpointer) add->ordinals->data,
                                    add->ordinals->len, &changed, &error))
    {
      add_toast (add->widget, error->message);
      return;
    }

  already = add->ordinals->len - changed;
  /* Translators: %u is a count, %s a segment name */
  added = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u customer added to “%s”",
                                        "%u customers added to “%s”", changed),
                           changed, cohort_segment_get_name (segment));
  if (already > 0)
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s (%u was already a member)",
                                          "%s (%u were already members)", already),
                             added, already);
  add_toast (add->widget, title ? title : added);
}

AdwMessageDialog *
cohort_add_to_segment_present (GtkWidget       *widget,
                               CohortWorkspace *workspace,
                               GArray          *ordinals)
{
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  AdwMessageDialog *dialog;
  AddToSegment *add;
  GtkWidget *box, *label;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);
  g_return_val_if_fail (COHORT_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (ordinals != NULL, NULL);

  add = g_new0 (AddToSegment, 1);
  g_set_weak_pointer (&add->widget, widget);
  add->workspace = g_object_ref (workspace);
  add->ordinals = g_array_ref (ordinals);
  add->segments = g_ptr_array_new_with_free_func (g_object_unref);

  all = cohort_segments_list (workspace, &error);
  for (guint i = 0; all != NULL && i < all->len; i++)
    {
      CohortSegment *segment = g_ptr_array_index (all, i);

      if (cohort_segment_get_kind (segment) != COHORT_SEGMENT_MANUAL)
        continue;
      g_ptr_array_add (add->segments, g_object_ref (segment));
      gtk_string_list_append (names, cohort_segment_get_name (segment));
    }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), NULL, NULL));
  adw_message_dialog_format_heading (dialog,
                                     g_dngettext (GETTEXT_PACKAGE, "Add %u Customer to a Segment",
                                                  "Add %u Customers to a Segment", ordinals->len),
                                     ordinals->len);

  if (add->segments->len == 0)
    {
      adw_message_dialog_set_body (dialog, error ? error->message
                                   : _("There is no manual segment yet. Create one, then add customers to it."));
      adw_message_dialog_add_response (dialog, "close", _("_Close"));
      adw_message_dialog_set_close_response (dialog, "close");
      add_to_segment_free (add);
      gtk_window_present (GTK_WINDOW (dialog));
      return dialog;
    }

  adw_message_dialog_set_body (dialog, _("Customers can be added by hand to manual segments only."));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  label = gtk_label_new_with_mnemonic (_("_Segment"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  add->drop_down = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (names)), NULL));
  gtk_drop_down_set_enable_search (add->drop_down, add->segments->len > 10);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), GTK_WIDGET (add->drop_down));
  gtk_accessible_update_property (GTK_ACCESSIBLE (add->drop_down), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Segment"), -1);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (add->drop_down));
  adw_message_dialog_set_extra_child (dialog, box);

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "add", _("_Add"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "add", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "add");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "cohort-add-to-segment", add, add_to_segment_free);
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), add);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}
