/* cohort-credentials.h: Customer.io keys, from the environment or the keyring
 *
 * Keys live in the desktop keyring (libsecret, schema
 * org.cohortapp.Cohort.Credentials) and never in the workspace, GSettings
 * or logs. The command line reads the environment first:
 * COHORT_SITE_ID, COHORT_TRACK_API_KEY, COHORT_APP_API_KEY,
 * COHORT_REGION=us|eu, COHORT_TRACK_URL, COHORT_APP_URL.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  COHORT_REGION_UNKNOWN,     /* detect with /api/v1/accounts/region */
  COHORT_REGION_US,
  COHORT_REGION_EU,
} CohortRegion;

typedef struct
{
  char         *site_id;
  char         *track_api_key;
  char         *app_api_key;
  CohortRegion  region;
  char         *track_url;     /* custom base URL, or NULL for the region's */
  char         *app_url;
} CohortCredentials;

CohortCredentials *cohort_credentials_new            (void);
CohortCredentials *cohort_credentials_copy           (const CohortCredentials *creds);
/* Overwrites the keys in memory before freeing them. */
void               cohort_credentials_free           (CohortCredentials       *creds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortCredentials, cohort_credentials_free)

gboolean           cohort_region_from_string         (const char              *str,
                                                      CohortRegion            *region);

/* Fills the fields still NULL/unknown from the environment. FALSE with
 * @error when a variable holds a bad value (COHORT_REGION=mars). */
gboolean           cohort_credentials_load_env       (CohortCredentials       *creds,
                                                      GError                 **error);
/* Fills the fields still NULL/unknown from the keyring. A keyring that is
 * unavailable (no D-Bus, no Secret Service) is not an error: it just fills
 * nothing (and says so with g_debug). */
void               cohort_credentials_load_keyring   (CohortCredentials       *creds,
                                                      GCancellable            *cancellable);
/* Environment first, keyring second (only when something is missing). */
CohortCredentials *cohort_credentials_load           (GCancellable            *cancellable,
                                                      GError                 **error);

/* Stores every field (NULL or empty fields are removed from the keyring). */
gboolean           cohort_credentials_store          (const CohortCredentials *creds,
                                                      GCancellable            *cancellable,
                                                      GError                 **error);
gboolean           cohort_credentials_clear_keyring  (GCancellable            *cancellable,
                                                      GError                 **error);

/* Site ID and both keys are set. */
gboolean           cohort_credentials_is_complete    (const CohortCredentials *creds);

G_END_DECLS
