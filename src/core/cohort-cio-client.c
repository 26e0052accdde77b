/* cohort-cio-client.c: a Customer.io API client over libsoup
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Sync"
#include <inttypes.h>

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "cohort-cio-client-private.h"

#define TRACK_US "https://track.customer.io"
#define TRACK_EU "https://track-eu.customer.io"
#define APP_US   "https://api.customer.io"
#define APP_EU   "https://api-eu.customer.io"

struct _CohortCioClient
{
  GObject            parent_instance;

  SoupSession       *session;
  CohortCredentials *creds;
  CohortRegion       region;
  char              *base[2];        /* indexed by CohortCioApi; NULL until known */
  char              *auth[2];        /* Authorization header values */

  guint              max_attempts;
  guint              first_delay_ms;
  guint              max_retry_after;

  GMutex             lock;           /* the fields below */
  gint64             interval_us[2]; /* rate limit: time between two requests */
  gint64             next_slot[2];   /* monotonic time of the next allowed request */
  guint              n_requests;
  guint              n_writes;
};

G_DEFINE_FINAL_TYPE (CohortCioClient, cohort_cio_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (cohort-cio-error-quark, cohort_cio_error)

static const char *const id_type_names[] = { "id", "email", "cio_id" };

const char *
cohort_cio_id_type_to_string (CohortCioIdType id_type)
{
  g_return_val_if_fail (id_type <= COHORT_CIO_ID_TYPE_CIO_ID, NULL);
  return id_type_names[id_type];
}

void
cohort_cio_segment_free (CohortCioSegment *segment)
{
  if (segment == NULL)
    return;
  g_free (segment->name);
  g_free (segment->description);
  g_free (segment->type);
  g_free (segment->state);
  g_free (segment->tags);
  g_free (segment);
}

void
cohort_cio_identifier_free (CohortCioIdentifier *ident)
{
  if (ident == NULL)
    return;
  g_free (ident->id);
  g_free (ident->email);
  g_free (ident->cio_id);
  g_free (ident);
}

void
cohort_cio_batch_error_free (CohortCioBatchError *err)
{
  if (err == NULL)
    return;
  g_free (err->message);
  g_free (err);
}

static void
cohort_cio_client_finalize (GObject *object)
{
  CohortCioClient *self = (CohortCioClient *) object;

  g_clear_object (&self->session);
  g_clear_pointer (&self->creds, cohort_credentials_free);
  for (guint i = 0; i < 2; i++)
    {
      g_free (self->base[i]);
      if (self->auth[i] != NULL)
        explicit_bzero (self->auth[i], strlen (self->auth[i]));
      g_free (self->auth[i]);
    }
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (cohort_cio_client_parent_class)->finalize (object);
}

static void
cohort_cio_client_class_init (CohortCioClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cohort_cio_client_finalize;
}

static void
cohort_cio_client_init (CohortCioClient *self)
{
  g_mutex_init (&self->lock);
  self->max_attempts = 5;
  self->first_delay_ms = 500;
  self->max_retry_after = 120;
  self->interval_us[COHORT_CIO_APP] = G_USEC_PER_SEC / 9;
  self->interval_us[COHORT_CIO_TRACK] = G_USEC_PER_SEC / 90;
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

gboolean
cohort_cio_check_base_url (const char  *url,
                           GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_INVALID_URL,
                   _("“%s” is not a web address"), url);
      return FALSE;
    }
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_INVALID_URL,
                   _("“%s”: a base address cannot carry a user name, a query or a fragment"), url);
      return FALSE;
    }
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (scheme, "http") == 0 && host_is_loopback (host))
    return TRUE;
  g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_INVALID_URL,
               _("“%s”: use an https:// address (plain http:// is accepted only for this computer)"),
               url);
  return FALSE;
}

static char *
strip_base (const char *url)
{
  char *base = g_strdup (url);
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  return base;
}

static void
apply_region (CohortCioClient *self,
              CohortRegion     region)
{
  self->region = region;
  if (self->creds->track_url == NULL)
    {
      g_free (self->base[COHORT_CIO_TRACK]);
      self->base[COHORT_CIO_TRACK] = g_strdup (region == COHORT_REGION_EU ? TRACK_EU : TRACK_US);
    }
  if (self->creds->app_url == NULL)
    {
      g_free (self->base[COHORT_CIO_APP]);
      self->base[COHORT_CIO_APP] = g_strdup (region == COHORT_REGION_EU ? APP_EU : APP_US);
    }
}

CohortCioClient *
cohort_cio_client_new (const CohortCredentials  *creds,
                       GError                  **error)
{
  g_autoptr(CohortCioClient) self = NULL;
  g_autofree char *pair = NULL;
  g_autofree char *encoded = NULL;

  g_return_val_if_fail (creds != NULL, NULL);

  if (!cohort_credentials_is_complete (creds))
    {
      const char *missing = creds->site_id == NULL ? _("Site ID")
                          : creds->track_api_key == NULL ? _("Track API key")
                          : _("App API key");

      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NO_CREDENTIALS,
                   _("The Customer.io %s is not set: enter it in Preferences, or set "
                     "COHORT_SITE_ID, COHORT_TRACK_API_KEY and COHORT_APP_API_KEY"),
                   missing);
      return NULL;
    }
  if ((creds->track_url != NULL && !cohort_cio_check_base_url (creds->track_url, error)) ||
      (creds->app_url != NULL && !cohort_cio_check_base_url (creds->app_url, error)))
    return NULL;

  self = g_object_new (COHORT_TYPE_CIO_CLIENT, NULL);
  self->creds = cohort_credentials_copy (creds);
  self->session = soup_session_new_with_options ("timeout", 10,
                                                 "idle-timeout", 60,
                                                 "user-agent", "Cohort/" PACKAGE_VERSION " ",
                                                 NULL);
  if (creds->track_url != NULL)
    self->base[COHORT_CIO_TRACK] = strip_base (creds->track_url);
  if (creds->app_url != NULL)
    self->base[COHORT_CIO_APP] = strip_base (creds->app_url);
  if (creds->region != COHORT_REGION_UNKNOWN)
    apply_region (self, creds->region);
  else if (self->base[COHORT_CIO_TRACK] == NULL)
    self->base[COHORT_CIO_TRACK] = g_strdup (TRACK_US);   /* detection starts there */

  pair = g_strdup_printf ("%s:%s", creds->site_id, creds->track_api_key);
  encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
  self->auth[COHORT_CIO_TRACK] = g_strdup_printf ("Basic %s", encoded);
  self->auth[COHORT_CIO_APP] = g_strdup_printf ("Bearer %s", creds->app_api_key);
  explicit_bzero (pair, strlen (pair));
  explicit_bzero (encoded, strlen (encoded));

  return g_steal_pointer (&self);
}

void
cohort_cio_client_set_timeout (CohortCioClient *self,
                               guint            seconds)
{
  g_return_if_fail (COHORT_IS_CIO_CLIENT (self));
  g_object_set (self->session, "timeout", seconds, NULL);
}

void
cohort_cio_client_set_retries (CohortCioClient *self,
                               guint            max_attempts,
                               guint            first_delay_ms)
{
  g_return_if_fail (COHORT_IS_CIO_CLIENT (self));
  self->max_attempts = MAX (max_attempts, 1);
  self->first_delay_ms = first_delay_ms;
}

void
cohort_cio_client_set_max_retry_after (CohortCioClient *self,
                                       guint            seconds)
{
  g_return_if_fail (COHORT_IS_CIO_CLIENT (self));
  self->max_retry_after = seconds;
}

void
cohort_cio_client_set_rate_limit (CohortCioClient *self,
                                  CohortCioApi     api,
                                  double           per_second)
{
  g_return_if_fail (COHORT_IS_CIO_CLIENT (self));
  g_mutex_lock (&self->lock);
  self->interval_us[api] = per_second > 0 ? (gint64) (G_USEC_PER_SEC / per_second) : 0;
  g_mutex_unlock (&self->lock);
}

guint
cohort_cio_client_get_n_requests (CohortCioClient *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_requests;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
cohort_cio_client_get_n_writes (CohortCioClient *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_writes;
  g_mutex_unlock (&self->lock);
  return n;
}

CohortRegion
cohort_cio_client_get_region (CohortCioClient *self)
{
  g_return_val_if_fail (COHORT_IS_CIO_CLIENT (self), COHORT_REGION_UNKNOWN);
  return self->region;
}

/* Sleeps @usec, waking early (with an error) when @cancellable fires. */
static gboolean
sleep_cancellable (gint64         usec,
                   GCancellable  *cancellable,
                   GError       **error)
{
  gint64 end = g_get_monotonic_time () + usec;

  for (;;)
    {
      gint64 now;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      now = g_get_monotonic_time ();
      if (now >= end)
        return TRUE;
      g_usleep (MIN (end - now, 10 * 1000));
    }
}

static gboolean
rate_wait (CohortCioClient  *self,
           CohortCioApi      api,
           GCancellable     *cancellable,
           GError          **error)
{
  gint64 now = g_get_monotonic_time ();
  gint64 slot;

  g_mutex_lock (&self->lock);
  slot = MAX (now, self->next_slot[api]);
  self->next_slot[api] = slot + self->interval_us[api];
  g_mutex_unlock (&self->lock);

  return sleep_cancellable (slot - now, cancellable, error);
}

/* Jittered exponential backoff: first_delay · 2^(attempt-1) · [0.5, 1.5), at most 30 s. */
static gint64
backoff_us (CohortCioClient *self,
            guint            attempt)
{
  double delay = (double) self->first_delay_ms * 1000.0 * (double) (1u << MIN (attempt - 1, 16));

  delay *= g_random_double_range (0.5, 1.5);
  return (gint64) MIN (delay, 30.0 * G_USEC_PER_SEC);
}

/* Seconds from a Retry-After header (delta-seconds or HTTP date); -1 if absent. */
static gint64
parse_retry_after (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                    "Retry-After");
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) now = NULL;
  guint64 seconds;

  if (value == NULL)
    return -1;
  if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT32, &seconds, NULL))
    return (gint64) seconds;
  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return -1;
  now = g_date_time_new_now_utc ();
  return MAX (g_date_time_difference (date, now) / G_USEC_PER_SEC, 0);
}

/* What the server said about an error, in a few words. */
static char *
error_detail (GBytes *bytes)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;
  JsonNode *root;

  if (len == 0)
    return NULL;
  if (json_parser_load_from_data (parser, data, (gssize) len, NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *obj = json_node_get_object (root);
      JsonNode *errors = json_object_get_member (obj, "errors");
      JsonNode *meta = json_object_get_member (obj, "meta");

      if (errors != NULL && JSON_NODE_HOLDS_ARRAY (errors) &&
          json_array_get_length (json_node_get_array (errors)) > 0)
        {
          JsonNode *first = json_array_get_element (json_node_get_array (errors), 0);

          if (JSON_NODE_HOLDS_OBJECT (first))
            {
              JsonObject *e = json_node_get_object (first);
              const char *text = json_object_get_string_member_with_default (e, "detail", NULL);

              if (text == NULL)
                text = json_object_get_string_member_with_default (e, "message", NULL);
              if (text != NULL)
                return g_strdup (text);
            }
        }
      if (meta != NULL && JSON_NODE_HOLDS_OBJECT (meta))
        {
          const char *text = json_object_get_string_member_with_default (json_node_get_object (meta),
                                                                         "error", NULL);
          if (text != NULL)
            return g_strdup (text);
        }
    }
  if (!g_utf8_validate (data, (gssize) len, NULL))
    return NULL;
  return g_utf8_substring (data, 0, MIN (g_utf8_strlen (data, (gssize) len), 200));
}

static const char *
api_key_name (CohortCioApi api)
{
  return api == COHORT_CIO_APP ? _("App API key") : _("Site ID or Track API key");
}

static gboolean
is_transport_error (const GError *error)
{
  return !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* A request to send: no redirects followed, the key of @api, the JSON body. */
static SoupMessage *
new_message (CohortCioClient  *self,
             CohortCioApi      api,
             CohortCioRetry    retry,
             const char       *method,
             const char       *url,
             GBytes           *body_bytes,
             GError          **error)
{
  SoupMessage *msg = soup_message_new (method, url);
  SoupMessageHeaders *headers;

  if (msg == NULL)
    {
      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_INVALID_URL,
                   _("“%s” is not a valid address"), url);
      return NULL;
    }
  /* Never follow a redirect: the Authorization header would go with it. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  if (retry == COHORT_CIO_WRITE_IDEMPOTENT)
    soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Authorization", self->auth[api]);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (body_bytes != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", body_bytes);
  return msg;
}

/* No answer at all (@local_error): FALSE with @error set when the request
 * is over, TRUE when it is to be sent again after a backoff. */
static gboolean
retry_after_no_answer (CohortCioClient  *self,
                       CohortCioRetry    retry,
                       const char       *method,
                       const char       *path,
                       guint             attempt,
                       GError          **local_error,
                       GError          **error)
{
  if (!is_transport_error (*local_error))
    {
      g_propagate_error (error, g_steal_pointer (local_error));
      return FALSE;
    }
  g_debug ("%s %s: no answer: %s", method, path, (*local_error)->message);
  if (retry == COHORT_CIO_WRITE_ONCE)
    {
      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_UNCERTAIN,
                   _("%s %s: no answer from Customer.io (%s); it may have been applied"),
                   method, path, (*local_error)->message);
      return FALSE;
    }
  if (attempt >= self->max_attempts)
    {
      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NETWORK,
                   _("%s %s: could not reach Customer.io: %s"),
                   method, path, (*local_error)->message);
      return FALSE;
    }
  return TRUE;
}

/* The JSON of a successful answer; NULL without an error when it is empty. */
static JsonNode *
parse_answer (GBytes      *bytes,
              const char  *method,
              const char  *path,
              GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) parse_error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len == 0)
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &parse_error) ||
      json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_INVALID_RESPONSE,
                   _("%s %s: Customer.io answered with something that is not JSON"),
                   method, path);
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

/* An answer other than success: FALSE with @error set when the request is
 * over, TRUE with *@delay_out (microseconds) when it is to be sent again. */
static gboolean
retry_after_failure (CohortCioClient  *self,
                     CohortCioApi      api,
                     CohortCioRetry    retry,
                     const char       *method,
                     const char       *path,
                     SoupMessage      *msg,
                     GBytes           *bytes,
                     guint             attempt,
                     gint64           *delay_out,
                     GError          **error)
{
  guint status = soup_message_get_status (msg);
  gboolean last = attempt >= self->max_attempts;

  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      const char *location = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                           "Location");
      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_REDIRECTED,
                   _("%s %s: Customer.io redirected to %s, which Cohort does not follow "
                     "(keys are never sent to another address); check the region"),
                   method, path, location ? location : "?");
      return FALSE;
    }
  else if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    {
      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_UNAUTHORIZED,
                   _("Customer.io refused the %s (HTTP %u on %s %s): check it in Preferences"),
                   api_key_name (api), status, method, path);
      return FALSE;
    }
  else if (status == SOUP_STATUS_NOT_FOUND)
    {
      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_NOT_FOUND,
                   _("%s %s: not found in Customer.io"), method, path);
      return FALSE;
    }
  else if (status == 429)
    {
      gint64 retry_after = parse_retry_after (msg);

      if (retry_after > (gint64) self->max_retry_after || last)
        {
          g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_RATE_LIMITED,
                       retry_after > 0
                       ? _("%s %s: Customer.io’s rate limit was reached; try again in %"
                           PRId64 " seconds")
                       : _("%s %s: Customer.io’s rate limit or daily quota was reached; "
                           "try again later"),
                       method, path, retry_after);
          return FALSE;
        }
      /* A 429 was not applied: every request may be repeated. */
      *delay_out = retry_after >= 0 ? retry_after * G_USEC_PER_SEC : backoff_us (self, attempt);
    }
  else if (SOUP_STATUS_IS_SERVER_ERROR (status))
    {
      if (retry == COHORT_CIO_WRITE_ONCE)
        {
          g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_UNCERTAIN,
                       _("%s %s: Customer.io failed (HTTP %u); it may have been applied"),
                       method, path, status);
          return FALSE;
        }
      if (last)
        {
          g_autofree char *detail = error_detail (bytes);

          g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_SERVER,
                       _("%s %s: Customer.io failed (HTTP %u%s%s); try again later"),
                       method, path, status, detail ? ": " : "", detail ? detail : "");
          return FALSE;
        }
      *delay_out = backoff_us (self, attempt);
    }
  else
    {
      g_autofree char *detail = error_detail (bytes);

      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_BAD_REQUEST,
                   _("%s %s: Customer.io refused the request (HTTP %u%s%s)"),
                   method, path, status, detail ? ": " : "", detail ? detail : "");
      return FALSE;
    }
  return TRUE;
}

JsonNode *
cohort_cio_client_request (CohortCioClient  *self,
                           CohortCioApi      api,
                           CohortCioRetry    retry,
                           const char       *method,
                           const char       *path,
                           JsonNode         *body,
                           guint            *status_out,
                           GCancellable     *cancellable,
                           GError          **error)
{
  g_autofree char *url = NULL;
  g_autoptr(GBytes) body_bytes = NULL;
  gboolean write = retry != COHORT_CIO_READ;

  g_return_val_if_fail (COHORT_IS_CIO_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL && path[0] == '/', NULL);

  if (self->base[api] == NULL && !cohort_cio_client_ensure_region (self, cancellable, error))
    return NULL;

  url = g_strconcat (self->base[api], path, NULL);
  if (body != NULL)
    {
      gsize len;
      char *text = json_to_string (body, FALSE);

      len = strlen (text);
      body_bytes = g_bytes_new_take (text, len);
    }

  for (guint attempt = 1; ; attempt++)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) local_error = NULL;
      gint64 delay = -1;
      guint status;

      if (!rate_wait (self, api, cancellable, error))
        return NULL;

      msg = new_message (self, api, retry, method, url, body_bytes, error);
      if (msg == NULL)
        return NULL;

      g_mutex_lock (&self->lock);
      self->n_requests++;
      if (write)
        self->n_writes++;
      g_mutex_unlock (&self->lock);

      g_debug ("%s %s (attempt %u)", method, path, attempt);
      bytes = soup_session_send_and_read (self->session, msg, cancellable, &local_error);
      if (bytes == NULL)
        {
          if (!retry_after_no_answer (self, retry, method, path, attempt, &local_error, error) ||
              !sleep_cancellable (backoff_us (self, attempt), cancellable, error))
            return NULL;
          continue;
        }

      status = soup_message_get_status (msg);
      if (status_out != NULL)
        *status_out = status;
      g_debug ("%s %s: HTTP %u", method, path, status);

      if (SOUP_STATUS_IS_SUCCESSFUL (status))
        return parse_answer (bytes, method, path, error);
      if (!retry_after_failure (self, api, retry, method, path, msg, bytes, attempt, &delay, error))
        return NULL;

      /* Make the next request wait too, whatever thread sends it. */
      g_mutex_lock (&self->lock);
      self->next_slot[api] = MAX (self->next_slot[api], g_get_monotonic_time () + delay);
      g_mutex_unlock (&self->lock);
      if (!sleep_cancellable (delay, cancellable, error))
        return NULL;
    }
}

/* Requests whose answer must be a JSON object. */
JsonObject *
cohort_cio_request_object (CohortCioClient  *self,
                           CohortCioApi      api,
                           CohortCioRetry    retry,
                           const char       *method,
                           const char       *path,
                           JsonNode         *body,
                           GCancellable     *cancellable,
                           GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) node = NULL;

  node = cohort_cio_client_request (self, api, retry, method, path, body, NULL,
                                    cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_INVALID_RESPONSE,
                   _("%s %s: Customer.io’s answer is not the expected JSON object"),
                   method, path);
      return NULL;
    }
  return json_object_ref (json_node_get_object (node));
}

gboolean
cohort_cio_invalid_response (GError     **error,
                             const char  *method,
                             const char  *path,
                             const char  *what)
{
  g_set_error (error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_INVALID_RESPONSE,
               _("%s %s: Customer.io’s answer lacks %s"), method, path, what);
  return FALSE;
}

gint64
cohort_cio_member_int (JsonObject *obj,
                       const char *name,
                       gint64      fallback)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return json_node_get_int (node);
    case G_TYPE_DOUBLE:
      return (gint64) json_node_get_double (node);
    case G_TYPE_STRING:
      {
        gint64 value;

        if (g_ascii_string_to_signed (json_node_get_string (node), 10, G_MININT64, G_MAXINT64,
                                      &value, NULL))
          return value;
        return fallback;
      }
    default:
      return fallback;
    }
}

char *
cohort_cio_member_string (JsonObject *obj,
                          const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" PRId64, json_node_get_int (node));
  return NULL;
}

static gboolean
is_customerio_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host;

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
    return FALSE;
  host = g_uri_get_host (uri);
  return host != NULL && (g_str_has_suffix (host, ".customer.io") ||
                          g_strcmp0 (host, "customer.io") == 0);
}

gboolean
cohort_cio_client_ensure_region (CohortCioClient  *self,
                                 GCancellable     *cancellable,
                                 GError          **error)
{
  g_autoptr(JsonObject) obj = NULL;
  g_autofree char *region_name = NULL;
  g_autofree char *url = NULL;
  CohortRegion region;

  g_return_val_if_fail (COHORT_IS_CIO_CLIENT (self), FALSE);

  if (self->region != COHORT_REGION_UNKNOWN)
    return TRUE;

  obj = cohort_cio_request_object (self, COHORT_CIO_TRACK, COHORT_CIO_READ, "GET", "/api/v1/accounts/region",
                                   NULL, cancellable, error);
  if (obj == NULL)
    return FALSE;
  region_name = cohort_cio_member_string (obj, "region");
  if (region_name == NULL || !cohort_region_from_string (region_name, &region))
    return cohort_cio_invalid_response (error, "GET", "/api/v1/accounts/region", "“region”");
  apply_region (self, region);

  /* Only a Customer.io https address may replace the Track host. */
  url = cohort_cio_member_string (obj, "url");
  if (url != NULL && self->creds->track_url == NULL && is_customerio_url (url))
    {
      g_free (self->base[COHORT_CIO_TRACK]);
      self->base[COHORT_CIO_TRACK] = strip_base (url);
    }
  g_debug ("Customer.io region: %s", region_name);
  return TRUE;
}

gboolean
cohort_cio_client_test_connection (CohortCioClient  *self,
                                   GCancellable     *cancellable,
                                   GError          **track_error,
                                   GError          **app_error)
{
  g_autoptr(GError) t_error = NULL;
  g_autoptr(GError) a_error = NULL;
  g_autoptr(JsonObject) track = NULL;
  g_autoptr(GPtrArray) segments = NULL;

  track = cohort_cio_request_object (self, COHORT_CIO_TRACK, COHORT_CIO_READ, "GET", "/api/v1/accounts/region",
                                     NULL, cancellable, &t_error);
  if (track != NULL && self->base[COHORT_CIO_APP] == NULL)
    {
      g_autofree char *region_name = cohort_cio_member_string (track, "region");
      CohortRegion region;

      if (region_name != NULL && cohort_region_from_string (region_name, &region))
        apply_region (self, region);
    }
  if (self->base[COHORT_CIO_APP] == NULL)
    g_set_error_literal (&a_error, COHORT_CIO_ERROR, COHORT_CIO_ERROR_FAILED,
                         _("The App API could not be checked: the region is unknown"));
  else
    segments = cohort_cio_client_list_segments (self, cancellable, &a_error);

  if (t_error != NULL)
    g_propagate_error (track_error, g_steal_pointer (&t_error));
  if (a_error != NULL)
    g_propagate_error (app_error, g_steal_pointer (&a_error));
  return track != NULL && segments != NULL;
}

typedef struct
{
  GError *track_error;
  GError *app_error;
} TestResult;

static void
test_result_free (TestResult *result)
{
  g_clear_error (&result->track_error);
  g_clear_error (&result->app_error);
  g_free (result);
}

static void
test_connection_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  TestResult *result = g_new0 (TestResult, 1);
  gboolean ok;

  ok = cohort_cio_client_test_connection (source_object, cancellable,
                                          &result->track_error, &result->app_error);
  g_task_return_pointer (task, result, (GDestroyNotify) test_result_free);
  (void) ok;
}

void
cohort_cio_client_test_connection_async (CohortCioClient     *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, cohort_cio_client_test_connection_async);
  g_task_run_in_thread (task, test_connection_thread);
}

gboolean
cohort_cio_client_test_connection_finish (CohortCioClient  *self,
                                          GAsyncResult     *result,
                                          GError          **track_error,
                                          GError          **app_error)
{
  TestResult *res;
  gboolean ok;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  res = g_task_propagate_pointer (G_TASK (result), NULL);
  if (res == NULL)
    return FALSE;
  ok = res->track_error == NULL && res->app_error == NULL;
  if (res->track_error != NULL)
    g_propagate_error (track_error, g_steal_pointer (&res->track_error));
  if (res->app_error != NULL)
    g_propagate_error (app_error, g_steal_pointer (&res->app_error));
  test_result_free (res);
  return ok;
}
