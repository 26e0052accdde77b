/* cohort-input.c: controls that change only when the user means it
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "cohort-input.h"

/* Scrolls @scrolled as its own wheel handling would (GTK 4.8 moves a wheel
 * step by page_size^(2/3), a touchpad by the pixels given). */
static void
scroll_page (GtkScrolledWindow        *scrolled,
             GtkEventControllerScroll *controller,
             double                    dx,
             double                    dy)
{
  GtkAdjustment *adjustments[] = {
    gtk_scrolled_window_get_hadjustment (scrolled),
    gtk_scrolled_window_get_vadjustment (scrolled),
  };
  double deltas[] = { dx, dy };
  gboolean wheel = gtk_event_controller_scroll_get_unit (controller) == GDK_SCROLL_UNIT_WHEEL;

  for (guint i = 0; i < G_N_ELEMENTS (adjustments); i++)
    {
      GtkAdjustment *adj = adjustments[i];
      double step;

      if (adj == NULL || deltas[i] == 0)
        continue;
      step = wheel ? pow (gtk_adjustment_get_page_size (adj), 2.0 / 3.0) : 1.0;
      gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) + deltas[i] * step);
    }
}

static gboolean
guard_scroll_cb (GtkEventControllerScroll *controller,
                 double                    dx,
                 double                    dy,
                 gpointer                  user_data)
{
  GtkWidget *widget = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  GtkWidget *scrolled;

  /* Focused (the focus is in it, e.g. in a spin button's text): as usual. */
  if (gtk_widget_has_focus (widget) || gtk_widget_get_focus_child (widget) != NULL)
    return FALSE;

  /* Otherwise the page scrolls, and the control does not see the wheel. */
  scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  if (scrolled != NULL)
    scroll_page (GTK_SCROLLED_WINDOW (scrolled), controller, dx, dy);
  return TRUE;
}

void
cohort_input_scroll_only_when_focused (GtkWidget *widget)
{
  GtkEventController *controller;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  /* In the capture phase: before the control's own scroll handling. */
  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "scroll", G_CALLBACK (guard_scroll_cb), NULL);
  gtk_widget_add_controller (widget, controller);
}
