/* cohort-cio-client-calls.c: the Customer.io calls sync makes: segments,
 * their members and counts, membership changes, and batches of people
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

#include "cohort-cio-client-private.h"

static CohortCioSegment *
segment_from_json (JsonNode *node)
{
  g_autoptr(CohortCioSegment) segment = NULL;
  JsonObject *obj;
  JsonNode *tags;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  obj = json_node_get_object (node);
  segment = g_new0 (CohortCioSegment, 1);
  segment->id = cohort_cio_member_int (obj, "id", -1);
  if (segment->id < 0)
    return NULL;
  segment->name = cohort_cio_member_string (obj, "name");
  if (segment->name == NULL)
    segment->name = g_strdup ("");
  segment->description = cohort_cio_member_string (obj, "description");
  if (segment->description == NULL)
    segment->description = g_strdup ("");
  segment->type = cohort_cio_member_string (obj, "type");
  if (segment->type == NULL)
    segment->type = g_strdup ("dynamic");
  segment->state = cohort_cio_member_string (obj, "state");
  segment->progress = cohort_cio_member_int (obj, "progress", -1);
  tags = json_object_get_member (obj, "tags");
  if (tags != NULL && JSON_NODE_HOLDS_ARRAY (tags))
    segment->tags = json_to_string (tags, FALSE);
  segment->created_at = cohort_cio_member_int (obj, "created_at", 0);
  segment->updated_at = cohort_cio_member_int (obj, "updated_at", 0);
  segment->count = -1;
  return g_steal_pointer (&segment);
}

GPtrArray *
cohort_cio_client_list_segments (CohortCioClient  *self,
                                 GCancellable     *cancellable,
                                 GError          **error)
{
  g_autoptr(JsonObject) obj = NULL;
  g_autoptr(GPtrArray) segments = NULL;
  JsonNode *list;

  obj = cohort_cio_request_object (self, COHORT_CIO_APP, COHORT_CIO_READ, "GET", "/v1/segments", NULL,
                                   cancellable, error);
  if (obj == NULL)
    return NULL;
  list = json_object_get_member (obj, "segments");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      cohort_cio_invalid_response (error, "GET", "/v1/segments", "“segments”");
      return NULL;
    }
  segments = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_cio_segment_free);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
    {
      CohortCioSegment *segment = segment_from_json (json_array_get_element (json_node_get_array (list), i));

      if (segment == NULL)
        {
          cohort_cio_invalid_response (error, "GET", "/v1/segments", _("a segment id"));
          return NULL;
        }
      g_ptr_array_add (segments, segment);
    }
  return g_steal_pointer (&segments);
}

static CohortCioSegment *
segment_answer (JsonObject  *obj,
                const char  *method,
                const char  *path,
                GError     **error)
{
  CohortCioSegment *segment = segment_from_json (json_object_get_member (obj, "segment"));

  if (segment == NULL)
    cohort_cio_invalid_response (error, method, path, "“segment”");
  return segment;
}

CohortCioSegment *
cohort_cio_client_create_segment (CohortCioClient  *self,
                                  const char       *name,
                                  const char       *description,
                                  GCancellable     *cancellable,
                                  GError          **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonObject) obj = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "segment");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, description ? description : "");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  obj = cohort_cio_request_object (self, COHORT_CIO_APP, COHORT_CIO_WRITE_ONCE, "POST", "/v1/segments", body,
                                   cancellable, error);
  if (obj == NULL)
    return NULL;
  return segment_answer (obj, "POST", "/v1/segments", error);
}

gboolean
cohort_cio_client_delete_segment (CohortCioClient  *self,
                                  gint64            id,
                                  GCancellable     *cancellable,
                                  GError          **error)
{
  g_autofree char *path = g_strdup_printf ("/v1/segments/%" PRId64, id);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) node = NULL;

  node = cohort_cio_client_request (self, COHORT_CIO_APP, COHORT_CIO_WRITE_IDEMPOTENT, "DELETE",
                                    path, NULL, NULL, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

gint64
cohort_cio_client_get_customer_count (CohortCioClient  *self,
                                      gint64            id,
                                      GCancellable     *cancellable,
                                      GError          **error)
{
  g_autofree char *path = g_strdup_printf ("/v1/segments/%" PRId64 "/customer_count", id);
  g_autoptr(JsonObject) obj = NULL;
  gint64 count;

  obj = cohort_cio_request_object (self, COHORT_CIO_APP, COHORT_CIO_READ, "GET", path, NULL,
                                   cancellable, error);
  if (obj == NULL)
    return -1;
  count = cohort_cio_member_int (obj, "count", -1);
  if (count < 0)
    cohort_cio_invalid_response (error, "GET", path, "“count”");
  return count;
}

static guint
array_member_length (JsonObject *obj,
                     const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return 0;
  return json_array_get_length (json_node_get_array (node));
}

gint64
cohort_cio_client_get_used_by (CohortCioClient  *self,
                               gint64            id,
                               GCancellable     *cancellable,
                               GError          **error)
{
  g_autofree char *path = g_strdup_printf ("/v1/segments/%" PRId64 "/used_by", id);
  g_autoptr(JsonObject) obj = NULL;
  JsonNode *used_by;
  JsonObject *u;

  obj = cohort_cio_request_object (self, COHORT_CIO_APP, COHORT_CIO_READ, "GET", path, NULL,
                                   cancellable, error);
  if (obj == NULL)
    return -1;
  used_by = json_object_get_member (obj, "used_by");
  if (used_by == NULL || !JSON_NODE_HOLDS_OBJECT (used_by))
    {
      cohort_cio_invalid_response (error, "GET", path, "“used_by”");
      return -1;
    }
  u = json_node_get_object (used_by);
  return (gint64) array_member_length (u, "campaigns") +
         array_member_length (u, "sent_newsletters") +
         array_member_length (u, "draft_newsletters");
}

GPtrArray *
cohort_cio_client_get_membership (CohortCioClient  *self,
                                  gint64            id,
                                  const char       *start,
                                  guint             limit,
                                  char            **next,
                                  GCancellable     *cancellable,
                                  GError          **error)
{
  g_autofree char *path = NULL;
  g_autofree char *escaped = NULL;
  g_autoptr(JsonObject) obj = NULL;
  g_autoptr(GPtrArray) members = NULL;
  JsonNode *identifiers;
  JsonNode *ids;
  g_autofree char *next_cursor = NULL;

  g_return_val_if_fail (next != NULL, NULL);
  *next = NULL;

  limit = CLAMP (limit, 1, 30000);
  if (start != NULL && *start != '\0')
    {
      escaped = g_uri_escape_string (start, NULL, FALSE);
      path = g_strdup_printf ("/v1/segments/%" PRId64 "/membership?start=%s&limit=%u",
                              id, escaped, limit);
    }
  else
    path = g_strdup_printf ("/v1/segments/%" PRId64 "/membership?limit=%u", id, limit);

  obj = cohort_cio_request_object (self, COHORT_CIO_APP, COHORT_CIO_READ, "GET", path, NULL,
                                   cancellable, error);
  if (obj == NULL)
    return NULL;

  members = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_cio_identifier_free);
  identifiers = json_object_get_member (obj, "identifiers");
  ids = json_object_get_member (obj, "ids");
  if (identifiers != NULL && JSON_NODE_HOLDS_ARRAY (identifiers))
    {
      JsonArray *array = json_node_get_array (identifiers);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          CohortCioIdentifier *ident;

          if (!JSON_NODE_HOLDS_OBJECT (item))
            continue;
          ident = g_new0 (CohortCioIdentifier, 1);
          ident->id = cohort_cio_member_string (json_node_get_object (item), "id");
          ident->email = cohort_cio_member_string (json_node_get_object (item), "email");
          ident->cio_id = cohort_cio_member_string (json_node_get_object (item), "cio_id");
          g_ptr_array_add (members, ident);
        }
    }
  else if (ids != NULL && JSON_NODE_HOLDS_ARRAY (ids))
    {
      JsonArray *array = json_node_get_array (ids);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          CohortCioIdentifier *ident = g_new0 (CohortCioIdentifier, 1);

          if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
            ident->id = g_strdup (json_node_get_string (item));
          else if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_INT64)
            ident->id = g_strdup_printf ("%" PRId64, json_node_get_int (item));
          g_ptr_array_add (members, ident);
        }
    }
  else
    {
      cohort_cio_invalid_response (error, "GET", path, "“identifiers”");
      return NULL;
    }

  next_cursor = cohort_cio_member_string (obj, "next");
  if (next_cursor != NULL && *next_cursor != '\0')
    *next = g_steal_pointer (&next_cursor);
  return g_steal_pointer (&members);
}

static gboolean
change_membership (CohortCioClient    *self,
                   const char         *action,
                   gint64              id,
                   CohortCioIdType     id_type,
                   const char * const *ids,
                   guint               n_ids,
                   GCancellable       *cancellable,
                   GError            **error)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (n_ids >= 1 && n_ids <= COHORT_CIO_MAX_IDS_PER_BATCH, FALSE);

  path = g_strdup_printf ("/api/v1/segments/%" PRId64 "/%s?id_type=%s",
                          id, action, cohort_cio_id_type_to_string (id_type));
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ids");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_ids; i++)
    json_builder_add_string_value (builder, ids[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  /* Adding or removing the same ids twice changes nothing: safe to repeat. */
  answer = cohort_cio_client_request (self, COHORT_CIO_TRACK, COHORT_CIO_WRITE_IDEMPOTENT, "POST",
                                      path, body, NULL, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

gboolean
cohort_cio_client_add_customers (CohortCioClient    *self,
                                 gint64              id,
                                 CohortCioIdType     id_type,
                                 const char * const *ids,
                                 guint               n_ids,
                                 GCancellable       *cancellable,
                                 GError            **error)
{
  return change_membership (self, "add_customers", id, id_type, ids, n_ids, cancellable, error);
}

gboolean
cohort_cio_client_remove_customers (CohortCioClient    *self,
                                    gint64              id,
                                    CohortCioIdType     id_type,
                                    const char * const *ids,
                                    guint               n_ids,
                                    GCancellable       *cancellable,
                                    GError            **error)
{
  return change_membership (self, "remove_customers", id, id_type, ids, n_ids, cancellable, error);
}

GPtrArray *
cohort_cio_client_batch (CohortCioClient  *self,
                         JsonArray        *ops,
                         GCancellable     *cancellable,
                         GError          **error)
{
  g_autoptr(JsonNode) body = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) obj = json_object_new ();
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  guint status = 0;

  json_object_set_array_member (obj, "batch", json_array_ref (ops));
  json_node_set_object (body, obj);

  /* identify is an upsert: repeating it is harmless. */
  answer = cohort_cio_client_request (self, COHORT_CIO_TRACK, COHORT_CIO_WRITE_IDEMPOTENT, "POST",
                                      "/api/v2/batch", body, &status, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  refused = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_cio_batch_error_free);
  if (status == 207 && answer != NULL && JSON_NODE_HOLDS_OBJECT (answer))
    {
      JsonNode *errors = json_object_get_member (json_node_get_object (answer), "errors");

      if (errors != NULL && JSON_NODE_HOLDS_ARRAY (errors))
        {
          JsonArray *array = json_node_get_array (errors);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *item = json_array_get_element (array, i);
              CohortCioBatchError *err;
              JsonObject *e;
              gint64 index;

              if (!JSON_NODE_HOLDS_OBJECT (item))
                continue;
              e = json_node_get_object (item);
              index = cohort_cio_member_int (e, "batch_index", -1);
              if (index < 0)
                continue;
              err = g_new0 (CohortCioBatchError, 1);
              err->batch_index = (guint) index;
              err->message = cohort_cio_member_string (e, "message");
              if (err->message == NULL)
                err->message = cohort_cio_member_string (e, "reason");
              if (err->message == NULL)
                err->message = g_strdup (_("refused"));
              g_ptr_array_add (refused, err);
            }
        }
    }
  return g_steal_pointer (&refused);
}
