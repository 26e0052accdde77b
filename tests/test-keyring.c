/* test-keyring.c: Customer.io keys in a real Secret Service
 *
 * Run through tests/with-keyring.sh, which starts a private, unlocked GNOME
 * Keyring on a private session bus: the keys go through libsecret exactly as
 * in the app, and the user's own keyring is never touched.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsecret/secret.h>

#include "cohort-credentials.h"

typedef struct { int unused; } Fixture;

static const char *const env_names[] = {
  "COHORT_SITE_ID", "COHORT_TRACK_API_KEY", "COHORT_APP_API_KEY",
  "COHORT_REGION", "COHORT_TRACK_URL", "COHORT_APP_URL",
};

static void
clear_env (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (env_names); i++)
    g_unsetenv (env_names[i]);
}

static CohortCredentials *
sample_credentials (void)
{
  CohortCredentials *creds = cohort_credentials_new ();

  creds->site_id = g_strdup ("site-123");
  creds->track_api_key = g_strdup ("track-key-abc");
  creds->app_api_key = g_strdup ("app-key-xyz");
  creds->region = COHORT_REGION_EU;
  creds->track_url = g_strdup ("http://127.0.0.1:8080");
  creds->app_url = NULL;
  return creds;
}

static CohortCredentials *
load_from_keyring (void)
{
  CohortCredentials *creds = cohort_credentials_new ();

  cohort_credentials_load_keyring (creds, NULL);
  return creds;
}

static void
setup (Fixture      *fixture,
       gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  clear_env ();
  g_assert_true (cohort_credentials_clear_keyring (NULL, &error));
  g_assert_no_error (error);
}

static void
test_store_and_load (Fixture      *fixture,
                     gconstpointer data)
{
  g_autoptr(CohortCredentials) stored = sample_credentials ();
  g_autoptr(CohortCredentials) loaded = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_credentials_store (stored, NULL, &error));
  g_assert_no_error (error);

  loaded = load_from_keyring ();
  g_assert_cmpstr (loaded->site_id, ==, "site-123");
  g_assert_cmpstr (loaded->track_api_key, ==, "track-key-abc");
  g_assert_cmpstr (loaded->app_api_key, ==, "app-key-xyz");
  g_assert_cmpint (loaded->region, ==, COHORT_REGION_EU);
  g_assert_cmpstr (loaded->track_url, ==, "http://127.0.0.1:8080");
  g_assert_null (loaded->app_url);
  g_assert_true (cohort_credentials_is_complete (loaded));
}

/* The items are found by libsecret under our schema alone, one per field,
 * and their labels never hold the secret. */
static void
test_items_and_labels (Fixture      *fixture,
                       gconstpointer data)
{
  g_autoptr(CohortCredentials) stored = sample_credentials ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  GList *items;
  guint n = 0;

  g_assert_true (cohort_credentials_store (stored, NULL, &error));
  g_assert_no_error (error);

  service = secret_service_get_sync (SECRET_SERVICE_LOAD_COLLECTIONS, NULL, &error);
  g_assert_no_error (error);
  items = secret_service_search_sync (service, NULL, attributes,
                                      SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS,
                                      NULL, &error);
  g_assert_no_error (error);
  for (GList *l = items; l != NULL; l = l->next)
    {
      SecretItem *item = l->data;
      g_autofree char *label = secret_item_get_label (item);
      g_autofree char *schema = secret_item_get_schema_name (item);

      if (g_strcmp0 (schema, "org.cohortapp.Cohort.Credentials") != 0)
        continue;
      n++;
      g_assert_null (strstr (label, "track-key-abc"));
      g_assert_null (strstr (label, "app-key-xyz"));
    }
  g_list_free_full (items, g_object_unref);
  /* Site ID, Track key, App key, region, Track URL (the App URL is unset). */
  g_assert_cmpuint (n, ==, 5);
}

/* Storing again with a field emptied removes that field from the keyring. */
static void
test_update_removes_emptied (Fixture      *fixture,
                             gconstpointer data)
{
  g_autoptr(CohortCredentials) stored = sample_credentials ();
  g_autoptr(CohortCredentials) loaded = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_credentials_store (stored, NULL, &error));
  g_clear_pointer (&stored->app_api_key, g_free);
  g_clear_pointer (&stored->track_url, g_free);
  g_free (stored->track_api_key);
  stored->track_api_key = g_strdup ("");
  g_free (stored->site_id);
  stored->site_id = g_strdup ("site-456");
  stored->region = COHORT_REGION_US;
  g_assert_true (cohort_credentials_store (stored, NULL, &error));
  g_assert_no_error (error);

  loaded = load_from_keyring ();
  g_assert_cmpstr (loaded->site_id, ==, "site-456");
  g_assert_null (loaded->track_api_key);
  g_assert_null (loaded->app_api_key);
  g_assert_null (loaded->track_url);
  g_assert_cmpint (loaded->region, ==, COHORT_REGION_US);
  g_assert_false (cohort_credentials_is_complete (loaded));
}

static void
test_clear (Fixture      *fixture,
            gconstpointer data)
{
  g_autoptr(CohortCredentials) stored = sample_credentials ();
  g_autoptr(CohortCredentials) loaded = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_credentials_store (stored, NULL, &error));
  g_assert_true (cohort_credentials_clear_keyring (NULL, &error));
  g_assert_no_error (error);

  loaded = load_from_keyring ();
  g_assert_null (loaded->site_id);
  g_assert_null (loaded->track_api_key);
  g_assert_null (loaded->app_api_key);
  g_assert_null (loaded->track_url);
  g_assert_cmpint (loaded->region, ==, COHORT_REGION_UNKNOWN);
}

/* The environment comes first; the keyring fills only what it leaves out. */
static void
test_environment_first (Fixture      *fixture,
                        gconstpointer data)
{
  g_autoptr(CohortCredentials) stored = sample_credentials ();
  g_autoptr(CohortCredentials) loaded = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cohort_credentials_store (stored, NULL, &error));
  g_setenv ("COHORT_SITE_ID", "site-from-env", TRUE);
  g_setenv ("COHORT_REGION", "us", TRUE);

  loaded = cohort_credentials_load (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->site_id, ==, "site-from-env");
  g_assert_cmpint (loaded->region, ==, COHORT_REGION_US);
  g_assert_cmpstr (loaded->track_api_key, ==, "track-key-abc");
  g_assert_cmpstr (loaded->app_api_key, ==, "app-key-xyz");
  clear_env ();
}

/* Keys with spaces around them (pasted from a web page) are trimmed;
 * non-ASCII text survives the round trip. */
static void
test_trimmed_and_unicode (Fixture      *fixture,
                          gconstpointer data)
{
  g_autoptr(CohortCredentials) stored = sample_credentials ();
  g_autoptr(CohortCredentials) loaded = NULL;
  g_autoptr(GError) error = NULL;

  g_free (stored->track_api_key);
  stored->track_api_key = g_strdup ("  key-with-spaces\n");
  g_free (stored->site_id);
  stored->site_id = g_strdup ("sïte-ü");
  g_assert_true (cohort_credentials_store (stored, NULL, &error));
  g_assert_no_error (error);

  loaded = load_from_keyring ();
  g_assert_cmpstr (loaded->track_api_key, ==, "key-with-spaces");
  g_assert_cmpstr (loaded->site_id, ==, "sïte-ü");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Only ever against the private keyring of tests/with-keyring.sh. */
  if (g_strcmp0 (g_getenv ("COHORT_KEYRING_TEST"), "1") != 0)
    {
      g_printerr ("test-keyring: run it through tests/with-keyring.sh (meson test does)\n");
      return 1;
    }

  g_test_add ("/keyring/store-and-load", Fixture, NULL, setup, test_store_and_load, NULL);
  g_test_add ("/keyring/items-and-labels", Fixture, NULL, setup, test_items_and_labels, NULL);
  g_test_add ("/keyring/update-removes-emptied", Fixture, NULL, setup, test_update_removes_emptied, NULL);
  g_test_add ("/keyring/clear", Fixture, NULL, setup, test_clear, NULL);
  g_test_add ("/keyring/environment-first", Fixture, NULL, setup, test_environment_first, NULL);
  g_test_add ("/keyring/trimmed-and-unicode", Fixture, NULL, setup, test_trimmed_and_unicode, NULL);

  return g_test_run ();
}
