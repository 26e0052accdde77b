/* cohort-cio-client.h: a Customer.io API client over libsoup
 *
 * Calls block (run them off the main thread, e.g. with g_task_run_in_thread(),
 * or use the _async variants). Every call takes a GCancellable that stops it
 * at any moment, waits included.
 *
 * Retries: reads are repeated after 5xx, timeouts and dropped connections;
 * every request is repeated after 429 (honouring Retry-After); writes that
 * may already have been applied (5xx, no answer) are repeated only when they
 * are idempotent (COHORT_CIO_WRITE_IDEMPOTENT); others fail with
 * COHORT_CIO_ERROR_UNCERTAIN so the caller can check the remote state.
 * Redirects are never followed, so keys never reach another host.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cohort-credentials.h"

G_BEGIN_DECLS

#define COHORT_CIO_ERROR (cohort_cio_error_quark ())

typedef enum
{
  COHORT_CIO_ERROR_FAILED,
  COHORT_CIO_ERROR_NO_CREDENTIALS,    /* a key is missing */
  COHORT_CIO_ERROR_INVALID_URL,       /* a custom base URL that is not https (or loopback http) */
  COHORT_CIO_ERROR_UNAUTHORIZED,      /* 401/403: the message names the key */
  COHORT_CIO_ERROR_NOT_FOUND,         /* 404 */
  COHORT_CIO_ERROR_RATE_LIMITED,      /* 429 after every retry, or a daily quota */
  COHORT_CIO_ERROR_SERVER,            /* 5xx after every retry */
  COHORT_CIO_ERROR_NETWORK,           /* no answer after every retry: refused, dropped, timed out */
  COHORT_CIO_ERROR_UNCERTAIN,         /* a write got no clear answer: it may have been applied */
  COHORT_CIO_ERROR_BAD_REQUEST,       /* another 4xx */
  COHORT_CIO_ERROR_REDIRECTED,        /* a 3xx: not followed */
  COHORT_CIO_ERROR_INVALID_RESPONSE,  /* an answer that is not the documented JSON */
} CohortCioError;

GQuark cohort_cio_error_quark (void);

typedef enum
{
  COHORT_CIO_TRACK,
  COHORT_CIO_APP,
} CohortCioApi;

typedef enum
{
  COHORT_CIO_READ,
  COHORT_CIO_WRITE_IDEMPOTENT,
  COHORT_CIO_WRITE_ONCE,
} CohortCioRetry;

typedef enum
{
  COHORT_CIO_ID_TYPE_ID,
  COHORT_CIO_ID_TYPE_EMAIL,
  COHORT_CIO_ID_TYPE_CIO_ID,
} CohortCioIdType;

const char *cohort_cio_id_type_to_string (CohortCioIdType id_type);  /* "id", "email", "cio_id" */

/* Most ids per add_customers / remove_customers request. */
#define COHORT_CIO_MAX_IDS_PER_BATCH 1000
/* /api/v2/batch: total and per-operation size limits (bytes, kept below Customer.io's). */
#define COHORT_CIO_BATCH_MAX_BYTES   (500 * 1000 - 1024)
#define COHORT_CIO_BATCH_OP_MAX_BYTES (32 * 1000 - 64)

typedef struct
{
  gint64  id;
  char   *name;
  char   *description;
  char   *type;           /* "manual" or "dynamic" */
  char   *state;          /* may be NULL */
  gint64  progress;       /* -1: null */
  char   *tags;           /* JSON array text, or NULL */
  gint64  created_at;
  gint64  updated_at;
  gint64  count;          /* -1: unknown (not part of the API's segment) */
} CohortCioSegment;

void              cohort_cio_segment_free (CohortCioSegment *segment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortCioSegment, cohort_cio_segment_free)

typedef struct
{
  char *id;
  char *email;
  char *cio_id;
} CohortCioIdentifier;

void              cohort_cio_identifier_free (CohortCioIdentifier *ident);

/* A batch operation Customer.io refused (HTTP 207). */
typedef struct
{
  guint  batch_index;
  char  *message;
} CohortCioBatchError;

void              cohort_cio_batch_error_free (CohortCioBatchError *err);

/* https, or http for a loopback host (127.0.0.0/8, localhost, ::1); no user
 * info, no query. */
gboolean          cohort_cio_check_base_url (const char  *url,
                                             GError     **error);

#define COHORT_TYPE_CIO_CLIENT (cohort_cio_client_get_type ())
G_DECLARE_FINAL_TYPE (CohortCioClient, cohort_cio_client, COHORT, CIO_CLIENT, GObject)

/* Fails when a key is missing or a custom URL is refused. */
CohortCioClient  *cohort_cio_client_new              (const CohortCredentials *creds,
                                                      GError                 **error);

/* Tuning (tests): seconds before a request times out (default 10); attempts
 * per request and the first backoff delay (default 5 and 500 ms; each retry
 * doubles it, with jitter); the longest Retry-After waited for (default 120 s);
 * requests per second per API (defaults 9 and 90; 0 = no limit). */
void              cohort_cio_client_set_timeout      (CohortCioClient *self,
                                                      guint            seconds);
void              cohort_cio_client_set_retries      (CohortCioClient *self,
                                                      guint            max_attempts,
                                                      guint            first_delay_ms);
void              cohort_cio_client_set_max_retry_after (CohortCioClient *self,
                                                         guint            seconds);
void              cohort_cio_client_set_rate_limit   (CohortCioClient *self,
                                                      CohortCioApi     api,
                                                      double           per_second);

/* Requests sent (every attempt counts) and, of those, writes. */
guint             cohort_cio_client_get_n_requests   (CohortCioClient *self);
guint             cohort_cio_client_get_n_writes     (CohortCioClient *self);

/* Asks the Track API for the account's region and points both APIs at it
 * (custom URLs stay). Does nothing when the region is already known. */
gboolean          cohort_cio_client_ensure_region    (CohortCioClient *self,
                                                      GCancellable    *cancellable,
                                                      GError         **error);
CohortRegion      cohort_cio_client_get_region       (CohortCioClient *self);

/* Checks both keys; each error (or NULL) says which one failed and why. */
gboolean          cohort_cio_client_test_connection  (CohortCioClient *self,
                                                      GCancellable    *cancellable,
                                                      GError         **track_error,
                                                      GError         **app_error);
void              cohort_cio_client_test_connection_async  (CohortCioClient     *self,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
/* TRUE when both keys work; otherwise the errors say which did not. */
gboolean          cohort_cio_client_test_connection_finish (CohortCioClient  *self,
                                                            GAsyncResult     *result,
                                                            GError          **track_error,
                                                            GError          **app_error);

/* App API: segments. */
GPtrArray        *cohort_cio_client_list_segments    (CohortCioClient *self,
                                                      GCancellable    *cancellable,
                                                      GError         **error);
/* Not repeated after an unclear failure (COHORT_CIO_ERROR_UNCERTAIN). */
CohortCioSegment *cohort_cio_client_create_segment   (CohortCioClient *self,
                                                      const char      *name,
                                                      const char      *description,
                                                      GCancellable    *cancellable,
                                                      GError         **error);
gboolean          cohort_cio_client_delete_segment   (CohortCioClient *self,
                                                      gint64           id,
                                                      GCancellable    *cancellable,
                                                      GError         **error);
gint64            cohort_cio_client_get_customer_count (CohortCioClient *self,
                                                        gint64           id,
                                                        GCancellable    *cancellable,
                                                        GError         **error);
/* How many campaigns and newsletters use the segment; -1 on error. */
gint64            cohort_cio_client_get_used_by      (CohortCioClient *self,
                                                      gint64           id,
                                                      GCancellable    *cancellable,
                                                      GError         **error);
/* One page of members (CohortCioIdentifier) from cursor @start (NULL: the
 * first page). *next is NULL at the end. */
GPtrArray        *cohort_cio_client_get_membership   (CohortCioClient *self,
                                                      gint64           id,
                                                      const char      *start,
                                                      guint            limit,
                                                      char           **next,
                                                      GCancellable    *cancellable,
                                                      GError         **error);

/* Track API: manual membership, 1 to 1000 ids per call. */
gboolean          cohort_cio_client_add_customers    (CohortCioClient    *self,
                                                      gint64              id,
                                                      CohortCioIdType     id_type,
                                                      const char * const *ids,
                                                      guint               n_ids,
                                                      GCancellable       *cancellable,
                                                      GError            **error);
gboolean          cohort_cio_client_remove_customers (CohortCioClient    *self,
                                                      gint64              id,
                                                      CohortCioIdType     id_type,
                                                      const char * const *ids,
                                                      guint               n_ids,
                                                      GCancellable       *cancellable,
                                                      GError            **error);
/* Track API /api/v2/batch; @ops is a JSON array of operations within the size
 * limits. Returns the refused operations (CohortCioBatchError, maybe empty),
 * NULL when the whole request failed. */
GPtrArray        *cohort_cio_client_batch            (CohortCioClient *self,
                                                      JsonArray       *ops,
                                                      GCancellable    *cancellable,
                                                      GError         **error);

G_END_DECLS
