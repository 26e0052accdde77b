/* cohort-sync-button.h: the header bar's sync button, which turns into an
 * indicator (a spinner and the progress in its tooltip) while a sync runs
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define COHORT_TYPE_SYNC_BUTTON (cohort_sync_button_get_type ())
G_DECLARE_FINAL_TYPE (CohortSyncButton, cohort_sync_button, COHORT, SYNC_BUTTON, AdwBin)

/* While a sync runs, clicking shows its (maybe hidden) dialog; otherwise it
 * activates win.sync. */
GtkWidget *cohort_sync_button_new      (void);
gboolean   cohort_sync_button_get_busy (CohortSyncButton *self);

/* Called by the sync dialog: the buttons in @window show that @dialog (NULL
 * when none) syncs, @done of @total operations so far. */
void       cohort_sync_button_update   (GtkWindow        *window,
                                        GtkWindow        *dialog,
                                        guint             done,
                                        guint             total);

G_END_DECLS
