/* cohort-a11y.h: accessible names as a screen reader should read them
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* @name alone becomes the accessible name of @widget (any labelled-by
 * relation is dropped, so nothing is said twice). */
void  cohort_a11y_set_name (GtkWidget  *widget,
                            const char *name);

/* Fixes the names GTK 4.8 and libadwaita 1.2 compute badly for the widgets
 * under @root (and @root): a button with a mnemonic is read as "_Edit… Edit…",
 * a labelled check button in a row as "Data-driven Data-driven", a row as
 * "Region Region", an expander or a drop-down's button by its class name.
 * Selectable labels stop being Tab stops.
 * Call it once a template is built, and again on widgets made later. */
void  cohort_a11y_tidy     (GtkWidget  *root);

/* Fixes the name of one button after its label changed. */
void  cohort_a11y_tidy_button (GtkButton *button);

G_END_DECLS
