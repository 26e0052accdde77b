/* cohort-credentials.c: Customer.io keys, from the environment or the keyring
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Sync"

#include <string.h>
#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "cohort-credentials.h"

/* One keyring item per field, told apart by the "field" attribute. */
static const SecretSchema *
credentials_schema (void)
{
  static const SecretSchema schema = {
    "org.cohortapp.Cohort.Credentials", SECRET_SCHEMA_NONE,
    {
      { "field", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };

  return &schema;
}

enum {
  FIELD_SITE_ID,
  FIELD_TRACK_KEY,
  FIELD_APP_KEY,
  FIELD_REGION,
  FIELD_TRACK_URL,
  FIELD_APP_URL,
  N_FIELDS
};

static const struct {
  const char *attribute;
  const char *env;
  const char *label;
} fields[N_FIELDS] = {
  [FIELD_SITE_ID] = { "site-id", "COHORT_SITE_ID", N_("Customer.io Site ID") },
  [FIELD_TRACK_KEY] = { "track-api-key", "COHORT_TRACK_API_KEY", N_("Customer.io Track API key") },
  [FIELD_APP_KEY] = { "app-api-key", "COHORT_APP_API_KEY", N_("Customer.io App API key") },
  [FIELD_REGION] = { "region", "COHORT_REGION", N_("Customer.io region") },
  [FIELD_TRACK_URL] = { "track-url", "COHORT_TRACK_URL", N_("Customer.io Track API address") },
  [FIELD_APP_URL] = { "app-url", "COHORT_APP_URL", N_("Customer.io App API address") },
};

CohortCredentials *
cohort_credentials_new (void)
{
  return g_new0 (CohortCredentials, 1);
}

CohortCredentials *
cohort_credentials_copy (const CohortCredentials *creds)
{
  CohortCredentials *copy = cohort_credentials_new ();

  copy->site_id = g_strdup (creds->site_id);
  copy->track_api_key = g_strdup (creds->track_api_key);
  copy->app_api_key = g_strdup (creds->app_api_key);
  copy->region = creds->region;
  copy->track_url = g_strdup (creds->track_url);
  copy->app_url = g_strdup (creds->app_url);
  return copy;
}

static void
free_secret (char *secret)
{
  if (secret != NULL)
    {
      explicit_bzero (secret, strlen (secret));
      g_free (secret);
    }
}

void
cohort_credentials_free (CohortCredentials *creds)
{
  if (creds == NULL)
    return;
  free_secret (creds->site_id);
  free_secret (creds->track_api_key);
  free_secret (creds->app_api_key);
  g_free (creds->track_url);
  g_free (creds->app_url);
  g_free (creds);
}

/* "us", "eu", or NULL */
static const char *
cohort_region_to_string (CohortRegion region)
{
  switch (region)
    {
    case COHORT_REGION_US:
      return "us";
    case COHORT_REGION_EU:
      return "eu";
    case COHORT_REGION_UNKNOWN:
    default:
      return NULL;
    }
}

gboolean
cohort_region_from_string (const char   *str,
                           CohortRegion *region)
{
  if (g_ascii_strcasecmp (str, "us") == 0)
    *region = COHORT_REGION_US;
  else if (g_ascii_strcasecmp (str, "eu") == 0)
    *region = COHORT_REGION_EU;
  else
    return FALSE;
  return TRUE;
}

static char **
field_slot (CohortCredentials *creds,
            guint              field)
{
  switch (field)
    {
    case FIELD_SITE_ID:
      return &creds->site_id;
    case FIELD_TRACK_KEY:
      return &creds->track_api_key;
    case FIELD_APP_KEY:
      return &creds->app_api_key;
    case FIELD_TRACK_URL:
      return &creds->track_url;
    case FIELD_APP_URL:
      return &creds->app_url;
    default:
      return NULL;
    }
}

static gboolean
set_field (CohortCredentials  *creds,
           guint               field,
           const char         *value,
           GError            **error)
{
  g_autofree char *trimmed = NULL;
  char **slot;

  if (value == NULL)
    return TRUE;
  trimmed = g_strstrip (g_strdup (value));
  if (*trimmed == '\0')
    return TRUE;

  if (field == FIELD_REGION)
    {
      if (creds->region != COHORT_REGION_UNKNOWN)
        return TRUE;
      if (!cohort_region_from_string (trimmed, &creds->region))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Unknown Customer.io region “%s”: use “us” or “eu”"), trimmed);
          return FALSE;
        }
      return TRUE;
    }

  slot = field_slot (creds, field);
  if (*slot == NULL)
    *slot = g_steal_pointer (&trimmed);
  else
    free_secret (g_steal_pointer (&trimmed));
  return TRUE;
}

gboolean
cohort_credentials_load_env (CohortCredentials  *creds,
                             GError            **error)
{
  for (guint i = 0; i < N_FIELDS; i++)
    if (!set_field (creds, i, g_getenv (fields[i].env), error))
      return FALSE;
  return TRUE;
}

static gboolean
field_missing (CohortCredentials *creds,
               guint              field)
{
  if (field == FIELD_REGION)
    return creds->region == COHORT_REGION_UNKNOWN;
  return *field_slot (creds, field) == NULL;
}

void
cohort_credentials_load_keyring (CohortCredentials *creds,
                                 GCancellable      *cancellable)
{
  for (guint i = 0; i < N_FIELDS; i++)
    {
      g_autoptr(GError) error = NULL;
      char *value;

      if (!field_missing (creds, i))
        continue;
      value = secret_password_lookup_sync (credentials_schema (), cancellable, &error,
                                           "field", fields[i].attribute, NULL);
      if (error != NULL)
        {
          /* No keyring (no D-Bus, no Secret Service): the environment is all we have. */
          g_debug ("Keyring unavailable: %s", error->message);
          return;
        }
      if (value != NULL)
        {
          if (!set_field (creds, i, value, NULL))
            g_debug ("Ignoring a bad %s in the keyring", fields[i].attribute);
          secret_password_free (value);
        }
    }
}

CohortCredentials *
cohort_credentials_load (GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(CohortCredentials) creds = cohort_credentials_new ();

  if (!cohort_credentials_load_env (creds, error))
    return NULL;
  if (!cohort_credentials_is_complete (creds))
    cohort_credentials_load_keyring (creds, cancellable);
  return g_steal_pointer (&creds);
}

gboolean
cohort_credentials_is_complete (const CohortCredentials *creds)
{
  return creds->site_id != NULL && creds->track_api_key != NULL && creds->app_api_key != NULL;
}

gboolean
cohort_credentials_store (const CohortCredentials  *creds,
                          GCancellable             *cancellable,
                          GError                  **error)
{
  CohortCredentials *mutable = (CohortCredentials *) creds;

  for (guint i = 0; i < N_FIELDS; i++)
    {
      const char *value;

      if (i == FIELD_REGION)
        value = cohort_region_to_string (creds->region);
      else
        value = *field_slot (mutable, i);

      if (value == NULL || *value == '\0')
        {
          if (!secret_password_clear_sync (credentials_schema (), cancellable, error,
                                           "field", fields[i].attribute, NULL) &&
              error != NULL && *error != NULL)
            return FALSE;
          continue;
        }
      if (!secret_password_store_sync (credentials_schema (), SECRET_COLLECTION_DEFAULT,
                                       _(fields[i].label), value, cancellable, error,
                                       "field", fields[i].attribute, NULL))
        return FALSE;
    }
  return TRUE;
}

gboolean
cohort_credentials_clear_keyring (GCancellable  *cancellable,
                                  GError       **error)
{
  for (guint i = 0; i < N_FIELDS; i++)
    {
      g_autoptr(GError) local_error = NULL;

      secret_password_clear_sync (credentials_schema (), cancellable, &local_error,
                                  "field", fields[i].attribute, NULL);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  return TRUE;
}
