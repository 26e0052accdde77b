/* cohort-preferences-window.h: the Customer.io connection: region, Site ID
 * and API keys (kept in the keyring), custom base URLs, Test Connection
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define COHORT_TYPE_PREFERENCES_WINDOW (cohort_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (CohortPreferencesWindow, cohort_preferences_window, COHORT, PREFERENCES_WINDOW, AdwPreferencesWindow)

CohortPreferencesWindow *cohort_preferences_window_new        (GtkWindow               *parent);

/* Whether every field holds a valid value (URLs: https, or http for loopback). */
gboolean                 cohort_preferences_window_is_valid   (CohortPreferencesWindow *self);
/* TRUE while the keys are being read from or written to the keyring, or a
 * connection test runs. */
gboolean                 cohort_preferences_window_get_busy   (CohortPreferencesWindow *self);

G_END_DECLS
