/* cohort-input.h: controls that change only when the user means it
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The scroll wheel changes @widget (a spin button, a drop-down) only while
 * it has the focus; otherwise the scroll goes to the page around it, so
 * that scrolling a long form never changes a value under the pointer. */
void  cohort_input_scroll_only_when_focused (GtkWidget *widget);

G_END_DECLS
