/* cohort-sync-button.c: the header bar's sync button and indicator
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-sync-button.h"

struct _CohortSyncButton
{
  AdwBin parent_instance;

  GtkWindow *dialog;          /* weak: the sync running, or NULL */
  GtkButton *button;
  GtkStack *stack;
  GtkSpinner *spinner;
};

G_DEFINE_FINAL_TYPE (CohortSyncButton, cohort_sync_button, ADW_TYPE_BIN)

/* Every button alive, to find those of a window. */
static GList *buttons;

static void
set_tooltip (CohortSyncButton *self,
             const char       *text)
{
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
}

static void
show_state (CohortSyncButton *self,
            guint             done,
            guint             total)
{
  gboolean busy = self->dialog != NULL;

  gtk_stack_set_visible_child_name (self->stack, busy ? "busy" : "idle");
  gtk_spinner_set_spinning (self->spinner, busy);

  if (!busy)
    set_tooltip (self, _("Sync with Customer.io"));
  else if (total > 0)
    {
      /* Translators: the sync button's tooltip while syncing, e.g. “Syncing: 3 of 12” */
      g_autofree char *text = g_strdup_printf (_("Syncing: %u of %u"), done, total);

      set_tooltip (self, text);
    }
  else
    set_tooltip (self, _("Syncing…"));
}

static void
clicked_cb (CohortSyncButton *self)
{
  if (self->dialog != NULL)
    gtk_window_present (self->dialog);
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "win.sync", NULL);
}

static void
cohort_sync_button_dispose (GObject *object)
{
  CohortSyncButton *self = COHORT_SYNC_BUTTON (object);

  buttons = g_list_remove (buttons, self);
  g_clear_weak_pointer (&self->dialog);

  G_OBJECT_CLASS (cohort_sync_button_parent_class)->dispose (object);
}

static void
cohort_sync_button_class_init (CohortSyncButtonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cohort_sync_button_dispose;
}

static void
cohort_sync_button_init (CohortSyncButton *self)
{
  GtkWidget *icon = gtk_image_new_from_icon_name ("emblem-synchronizing-symbolic");

  self->button = GTK_BUTTON (gtk_button_new ());
  self->stack = GTK_STACK (gtk_stack_new ());
  self->spinner = GTK_SPINNER (gtk_spinner_new ());

  gtk_stack_add_named (self->stack, icon, "idle");
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->spinner), "busy");
  gtk_button_set_child (self->button, GTK_WIDGET (self->stack));
  /* Header bars make only their direct button children flat; this one sits
   * inside a bin, so it says so itself. */
  gtk_widget_add_css_class (GTK_WIDGET (self->button), "flat");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->button));
  g_signal_connect_swapped (self->button, "clicked", G_CALLBACK (clicked_cb), self);

  buttons = g_list_prepend (buttons, self);
  show_state (self, 0, 0);
}

GtkWidget *
cohort_sync_button_new (void)
{
  return g_object_new (COHORT_TYPE_SYNC_BUTTON, NULL);
}

gboolean
cohort_sync_button_get_busy (CohortSyncButton *self)
{
  g_return_val_if_fail (COHORT_IS_SYNC_BUTTON (self), FALSE);

  return self->dialog != NULL;
}

void
cohort_sync_button_update (GtkWindow *window,
                           GtkWindow *dialog,
                           guint      done,
                           guint      total)
{
  for (GList *l = buttons; l != NULL; l = l->next)
    {
      CohortSyncButton *self = l->data;

      if (window == NULL || gtk_widget_get_root (GTK_WIDGET (self)) != GTK_ROOT (window))
        continue;
      g_set_weak_pointer (&self->dialog, dialog);
      show_state (self, done, total);
    }
}
