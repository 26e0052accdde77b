/* cio-fake-server.c: a strict stand-in for Customer.io's Track and App APIs
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "cio-fake-server.h"

typedef struct
{
  char *cio_id;
  char *id;
  char *email;
  char *attributes;   /* JSON of the last identify's attributes */
} Person;

typedef struct
{
  gint64      id;
  char       *name;
  char       *description;
  char       *type;
  GHashTable *members;     /* cio_id set */
  guint       used_by;
  gint64      created_at;
} Segment;

typedef struct
{
  char      *method;
  char      *path_prefix;
  FakeFault  fault;
  guint      count;
} Rule;

struct _FakeServer
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;
  char         *basic;
  char         *bearer;

  GMutex        lock;
  GCond         ready;
  gboolean      started;

  GPtrArray    *people;       /* Person */
  GHashTable   *by_id;        /* id -> Person */
  GHashTable   *by_email;     /* email (lower case) -> Person */
  GHashTable   *by_cio;       /* cio_id -> Person */
  GHashTable   *segments;     /* gint64* -> Segment */
  gint64        next_segment;
  guint         next_cio;
  GHashTable   *creates;      /* name -> count */

  GPtrArray    *rules;
  guint         base_index;   /* request count when fail_from/cancel_at was set */
  guint         fail_from;
  FakeFault     fail_fault;
  guint         cancel_at;
  GCancellable *cancel;

  guint         n_requests;
  guint         n_writes;
  guint         max_batch;
  GString      *log;
  char         *violation;
  gboolean      hide_descriptions;
};

static void
person_free (Person *p)
{
  g_free (p->cio_id);
  g_free (p->id);
  g_free (p->email);
  g_free (p->attributes);
  g_free (p);
}

static void
segment_free (Segment *s)
{
  g_free (s->name);
  g_free (s->description);
  g_free (s->type);
  g_hash_table_unref (s->members);
  g_free (s);
}

static void
rule_free (Rule *r)
{
  g_free (r->method);
  g_free (r->path_prefix);
  g_free (r);
}

static Person *
person_lookup (FakeServer *self,
               const char *id_type,
               const char *value)
{
  if (g_str_equal (id_type, "id"))
    return g_hash_table_lookup (self->by_id, value);
  if (g_str_equal (id_type, "email"))
    {
      g_autofree char *lower = g_ascii_strdown (value, -1);
      return g_hash_table_lookup (self->by_email, lower);
    }
  return g_hash_table_lookup (self->by_cio, value);
}

static Person *
person_add_locked (FakeServer *self,
                   const char *id,
                   const char *email)
{
  Person *p = NULL;

  if (id != NULL)
    p = g_hash_table_lookup (self->by_id, id);
  if (p == NULL && email != NULL)
    p = person_lookup (self, "email", email);
  if (p == NULL)
    {
      p = g_new0 (Person, 1);
      p->cio_id = g_strdup_printf ("cio%05u", ++self->next_cio);
      g_ptr_array_add (self->people, p);
      g_hash_table_insert (self->by_cio, p->cio_id, p);
    }
  if (id != NULL && p->id == NULL)
    {
      p->id = g_strdup (id);
      g_hash_table_insert (self->by_id, p->id, p);
    }
  if (email != NULL && p->email == NULL)
    {
      p->email = g_strdup (email);
      g_hash_table_insert (self->by_email, g_ascii_strdown (email, -1), p);
    }
  return p;
}

/* Responses */

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              JsonNode          *node)
{
  g_autofree char *text = node ? json_to_string (node, FALSE) : g_strdup ("{}");

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
respond_error (FakeServer        *self,
               SoupServerMessage *msg,
               guint              status,
               const char        *detail)
{
  g_autofree char *text = NULL;
  g_autofree char *escaped = g_strescape (detail, NULL);

  if (status == 400 && self->violation == NULL)
    self->violation = g_strdup_printf ("%s %s: %s", soup_server_message_get_method (msg),
                                       g_uri_get_path (soup_server_message_get_uri (msg)), detail);
  text = g_strdup_printf ("{\"errors\":[{\"detail\":\"%s\",\"status\":\"%u\"}]}", escaped, status);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

static JsonNode *
segment_json (FakeServer *self,
              Segment    *s)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, s->id);
  json_builder_set_member_name (b, "deduplicate_id");
  json_builder_add_string_value (b, "x:1");
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, s->name);
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, self->hide_descriptions ? "" : s->description);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, "finished");
  json_builder_set_member_name (b, "progress");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, s->type);
  json_builder_set_member_name (b, "tags");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "created_at");
  json_builder_add_int_value (b, s->created_at);
  json_builder_set_member_name (b, "updated_at");
  json_builder_add_int_value (b, 1700000000);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
wrap (const char *member,
      JsonNode   *value)
{
  JsonObject *obj = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_member (obj, member, value);
  json_node_take_object (node, obj);
  return node;
}

static gboolean
check_json_body (FakeServer         *self,
                 SoupServerMessage  *msg,
                 JsonNode          **out)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg),
                                                            NULL);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (g_strcmp0 (type, "application/json") != 0)
    {
      respond_error (self, msg, 400, "Content-Type must be application/json");
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      respond_error (self, msg, 400, "body is not a JSON object");
      return FALSE;
    }
  *out = json_node_copy (json_parser_get_root (parser));
  return TRUE;
}

/* Routes (called with the lock held) */

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static Segment *
segment_from_path (FakeServer *self,
                   const char *text)
{
  gint64 id;

  if (!g_ascii_string_to_signed (text, 10, 1, G_MAXINT64, &id, NULL))
    return NULL;
  return g_hash_table_lookup (self->segments, &id);
}

static Segment *
segment_new_locked (FakeServer *self,
                    const char *name,
                    const char *description,
                    const char *type)
{
  Segment *s = g_new0 (Segment, 1);
  guint n;

  s->id = self->next_segment++;
  s->name = g_strdup (name);
  s->description = g_strdup (description);
  s->type = g_strdup (type);
  s->created_at = g_get_real_time () / G_USEC_PER_SEC;
  s->members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert (self->segments, g_memdup2 (&s->id, sizeof s->id), s);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (self->creates, name));
  g_hash_table_insert (self->creates, g_strdup (name), GUINT_TO_POINTER (n + 1));
  return s;
}

static gint
compare_segments (gconstpointer a,
                  gconstpointer b)
{
  const Segment *sa = *(Segment * const *) a;
  const Segment *sb = *(Segment * const *) b;

  return sa->id < sb->id ? -1 : sa->id > sb->id;
}

static void
app_route (FakeServer        *self,
           SoupServerMessage *msg,
           const char        *method,
           char             **parts,
           GHashTable        *query)
{
  guint n = g_strv_length (parts);
  Segment *s;

  /* parts: "", "v1", "segments", ... */
  if (n < 3 || !g_str_equal (parts[1], "v1") || !g_str_equal (parts[2], "segments"))
    {
      respond_error (self, msg, 404, "no such endpoint");
      return;
    }
  if (n == 3 && g_str_equal (method, "GET"))
    {
      g_autoptr(GPtrArray) list = g_ptr_array_new ();
      JsonArray *array = json_array_new ();
      GHashTableIter iter;
      gpointer value;
      g_autoptr(JsonNode) answer = NULL;

      g_hash_table_iter_init (&iter, self->segments);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_ptr_array_add (list, value);
      g_ptr_array_sort (list, compare_segments);
      for (guint i = 0; i < list->len; i++)
        json_array_add_element (array, segment_json (self, g_ptr_array_index (list, i)));
      answer = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (answer, array);
      answer = wrap ("segments", g_steal_pointer (&answer));
      respond_json (msg, 200, answer);
      return;
    }
  if (n == 3 && g_str_equal (method, "POST"))
    {
      g_autoptr(JsonNode) body = NULL;
      JsonObject *obj;
      JsonNode *seg;
      JsonObject *so;
      g_autoptr(GList) members = NULL;
      const char *name;
      const char *description = "";

      if (!check_json_body (self, msg, &body))
        return;
      obj = json_node_get_object (body);
      seg = json_object_get_member (obj, "segment");
      if (json_object_get_size (obj) != 1 || seg == NULL || !JSON_NODE_HOLDS_OBJECT (seg))
        {
          respond_error (self, msg, 400, "body must be {\"segment\": {...}}");
          return;
        }
      so = json_node_get_object (seg);
      members = json_object_get_members (so);
      for (GList *l = members; l; l = l->next)
        if (!g_str_equal (l->data, "name") && !g_str_equal (l->data, "description"))
          {
            respond_error (self, msg, 400, "unknown segment field");
            return;
          }
      name = json_object_get_string_member_with_default (so, "name", NULL);
      if (name == NULL || *name == '\0')
        {
          respond_error (self, msg, 400, "segment name is required");
          return;
        }
      if (json_object_has_member (so, "description"))
        description = json_object_get_string_member_with_default (so, "description", NULL);
      if (description == NULL)
        {
          respond_error (self, msg, 400, "description must be a string");
          return;
        }
      s = segment_new_locked (self, name, description, "manual");
      {
        g_autoptr(JsonNode) answer = wrap ("segment", segment_json (self, s));
        respond_json (msg, 200, answer);
      }
      return;
    }

  s = segment_from_path (self, parts[3]);
  if (s == NULL)
    {
      respond_error (self, msg, 404, "segment not found");
      return;
    }
  if (n == 4 && g_str_equal (method, "GET"))
    {
      g_autoptr(JsonNode) answer = wrap ("segment", segment_json (self, s));
      respond_json (msg, 200, answer);
    }
  else if (n == 4 && g_str_equal (method, "DELETE"))
    {
      gint64 id = s->id;

      g_hash_table_remove (self->segments, &id);
      soup_server_message_set_status (msg, 204, NULL);
    }
  else if (n == 5 && g_str_equal (parts[4], "customer_count") && g_str_equal (method, "GET"))
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) answer = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "count");
      json_builder_add_int_value (b, g_hash_table_size (s->members));
      json_builder_set_member_name (b, "segment_id");
      json_builder_add_int_value (b, s->id);
      json_builder_end_object (b);
      answer = json_builder_get_root (b);
      respond_json (msg, 200, answer);
    }
  else if (n == 5 && g_str_equal (parts[4], "used_by") && g_str_equal (method, "GET"))
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) answer = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "segment_id");
      json_builder_add_int_value (b, s->id);
      json_builder_set_member_name (b, "used_by");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "campaigns");
      json_builder_begin_array (b);
      for (guint i = 0; i < s->used_by; i++)
        json_builder_add_int_value (b, i + 1);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "sent_newsletters");
      json_builder_begin_array (b);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "draft_newsletters");
      json_builder_begin_array (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
      json_builder_end_object (b);
      answer = json_builder_get_root (b);
      respond_json (msg, 200, answer);
    }
  else if (n == 5 && g_str_equal (parts[4], "membership") && g_str_equal (method, "GET"))
    {
      const char *start = query ? g_hash_table_lookup (query, "start") : NULL;
      const char *limit_text = query ? g_hash_table_lookup (query, "limit") : NULL;
      g_autoptr(GPtrArray) ids = g_ptr_array_new ();
      GHashTableIter iter;
      gpointer key;
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) answer = NULL;
      guint64 offset = 0;
      guint64 limit = 1000;
      guint64 end;

      if ((start != NULL && *start != '\0' &&
           !g_ascii_string_to_unsigned (start, 10, 0, G_MAXUINT, &offset, NULL)) ||
          (limit_text != NULL &&
           !g_ascii_string_to_unsigned (limit_text, 10, 1, 30000, &limit, NULL)))
        {
          respond_error (self, msg, 400, "bad start or limit");
          return;
        }
      g_hash_table_iter_init (&iter, s->members);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_ptr_array_add (ids, key);
      g_ptr_array_sort (ids, compare_strings);
      end = MIN (offset + limit, ids->len);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "identifiers");
      json_builder_begin_array (b);
      for (guint64 i = offset; i < end; i++)
        {
          Person *p = person_lookup (self, "cio_id", g_ptr_array_index (ids, i));

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          if (p->id) json_builder_add_string_value (b, p->id); else json_builder_add_null_value (b);
          json_builder_set_member_name (b, "email");
          if (p->email) json_builder_add_string_value (b, p->email); else json_builder_add_null_value (b);
          json_builder_set_member_name (b, "cio_id");
          json_builder_add_string_value (b, p->cio_id);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "ids");
      json_builder_begin_array (b);
      for (guint64 i = offset; i < end; i++)
        {
          Person *p = person_lookup (self, "cio_id", g_ptr_array_index (ids, i));
          if (p->id) json_builder_add_string_value (b, p->id); else json_builder_add_null_value (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "next");
      if (end < ids->len)
        {
          g_autofree char *next = g_strdup_printf ("%" G_GUINT64_FORMAT, end);
          json_builder_add_string_value (b, next);
        }
      else
        json_builder_add_string_value (b, "");
      json_builder_end_object (b);
      answer = json_builder_get_root (b);
      respond_json (msg, 200, answer);
    }
  else
    respond_error (self, msg, 404, "no such endpoint");
}

static void
membership_route (FakeServer        *self,
                  SoupServerMessage *msg,
                  Segment           *s,
                  gboolean           add,
                  GHashTable        *query)
{
  const char *id_type = query ? g_hash_table_lookup (query, "id_type") : NULL;
  g_autoptr(JsonNode) body = NULL;
  JsonObject *obj;
  JsonNode *ids;
  JsonArray *array;
  guint n;

  if (id_type == NULL)
    id_type = "id";
  if (!g_str_equal (id_type, "id") && !g_str_equal (id_type, "email") && !g_str_equal (id_type, "cio_id"))
    {
      respond_error (self, msg, 400, "bad id_type");
      return;
    }
  if (!check_json_body (self, msg, &body))
    return;
  obj = json_node_get_object (body);
  ids = json_object_get_member (obj, "ids");
  if (json_object_get_size (obj) != 1 || ids == NULL || !JSON_NODE_HOLDS_ARRAY (ids))
    {
      respond_error (self, msg, 400, "body must be {\"ids\": [...]}");
      return;
    }
  array = json_node_get_array (ids);
  n = json_array_get_length (array);
  if (n < 1 || n > 1000)
    {
      respond_error (self, msg, 400, "between 1 and 1000 ids");
      return;
    }
  self->max_batch = MAX (self->max_batch, n);
  if (!g_str_equal (s->type, "manual"))
    {
      respond_error (self, msg, 400, "segment is not manual");
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      Person *p;

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
        {
          respond_error (self, msg, 400, "ids must be strings");
          return;
        }
      /* Ids that do not fit or that nobody has are ignored. */
      p = person_lookup (self, id_type, json_node_get_string (item));
      if (p == NULL)
        continue;
      if (add)
        g_hash_table_add (s->members, g_strdup (p->cio_id));
      else
        g_hash_table_remove (s->members, p->cio_id);
    }
  respond_json (msg, 200, NULL);
}

static void
batch_route (FakeServer        *self,
             SoupServerMessage *msg)
{
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonBuilder) errors = json_builder_new ();
  JsonNode *batch;
  JsonArray *ops;
  guint n_errors = 0;
  goffset length = soup_server_message_get_request_body (msg)->length;

  if (length >= 500 * 1000)
    {
      respond_error (self, msg, 400, "batch over 500 KB");
      return;
    }
  if (!check_json_body (self, msg, &body))
    return;
  batch = json_object_get_member (json_node_get_object (body), "batch");
  if (batch == NULL || !JSON_NODE_HOLDS_ARRAY (batch) ||
      json_object_get_size (json_node_get_object (body)) != 1)
    {
      respond_error (self, msg, 400, "body must be {\"batch\": [...]}");
      return;
    }
  ops = json_node_get_array (batch);
  json_builder_begin_object (errors);
  json_builder_set_member_name (errors, "errors");
  json_builder_begin_array (errors);
  for (guint i = 0; i < json_array_get_length (ops); i++)
    {
      JsonNode *op = json_array_get_element (ops, i);
      g_autofree char *text = json_to_string (op, FALSE);
      const char *problem = NULL;
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (op) ? json_node_get_object (op) : NULL;
      JsonObject *idents = NULL;
      const char *id = NULL;
      const char *email = NULL;

      if (strlen (text) >= 32 * 1000)
        problem = "operation over 32 KB";
      else if (o == NULL || g_strcmp0 (json_object_get_string_member_with_default (o, "type", NULL), "person") != 0 ||
               g_strcmp0 (json_object_get_string_member_with_default (o, "action", NULL), "identify") != 0)
        problem = "unsupported operation";
      else if (!json_object_has_member (o, "identifiers") ||
               !JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "identifiers")))
        problem = "identifiers missing";
      else
        {
          idents = json_object_get_object_member (o, "identifiers");
          id = json_object_get_string_member_with_default (idents, "id", NULL);
          email = json_object_get_string_member_with_default (idents, "email", NULL);
          if (json_object_get_size (idents) != 1 || (id == NULL && email == NULL))
            problem = "exactly one of id or email";
          else if ((id && (*id == '\0' || strlen (id) > 150)) || (email && strchr (email, '@') == NULL))
            problem = "invalid identifier";
        }
      if (problem != NULL)
        {
          json_builder_begin_object (errors);
          json_builder_set_member_name (errors, "batch_index");
          json_builder_add_int_value (errors, i);
          json_builder_set_member_name (errors, "reason");
          json_builder_add_string_value (errors, "invalid");
          json_builder_set_member_name (errors, "field");
          json_builder_add_string_value (errors, "identifiers");
          json_builder_set_member_name (errors, "message");
          json_builder_add_string_value (errors, problem);
          json_builder_end_object (errors);
          n_errors++;
          continue;
        }
      if (email == NULL && json_object_has_member (o, "attributes"))
        email = json_object_get_string_member_with_default (json_object_get_object_member (o, "attributes"),
                                                            "email", NULL);
      {
        Person *p = person_add_locked (self, id, email);
        JsonNode *attrs = json_object_get_member (o, "attributes");

        g_free (p->attributes);
        p->attributes = attrs ? json_to_string (attrs, FALSE) : NULL;
      }
    }
  json_builder_end_array (errors);
  json_builder_end_object (errors);
  if (n_errors > 0)
    {
      g_autoptr(JsonNode) answer = json_builder_get_root (errors);
      respond_json (msg, 207, answer);
    }
  else
    respond_json (msg, 200, NULL);
}

static void
track_route (FakeServer        *self,
             SoupServerMessage *msg,
             const char        *method,
             char             **parts,
             GHashTable        *query)
{
  guint n = g_strv_length (parts);

  /* parts: "", "api", "v1", ... */
  if (n == 5 && g_str_equal (parts[2], "v1") && g_str_equal (parts[3], "accounts") &&
      g_str_equal (parts[4], "region") && g_str_equal (method, "GET"))
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) answer = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "url");
      json_builder_add_string_value (b, "https://track.customer.io");
      json_builder_set_member_name (b, "region");
      json_builder_add_string_value (b, "us");
      json_builder_set_member_name (b, "environment_id");
      json_builder_add_int_value (b, 123);
      json_builder_end_object (b);
      answer = json_builder_get_root (b);
      respond_json (msg, 200, answer);
      return;
    }
  if (n == 6 && g_str_equal (parts[2], "v1") && g_str_equal (parts[3], "segments") &&
      g_str_equal (method, "POST") &&
      (g_str_equal (parts[5], "add_customers") || g_str_equal (parts[5], "remove_customers")))
    {
      Segment *s = segment_from_path (self, parts[4]);

      if (s == NULL)
        respond_error (self, msg, 404, "segment not found");
      else
        membership_route (self, msg, s, g_str_equal (parts[5], "add_customers"), query);
      return;
    }
  if (n == 4 && g_str_equal (parts[2], "v2") && g_str_equal (parts[3], "batch") &&
      g_str_equal (method, "POST"))
    {
      batch_route (self, msg);
      return;
    }
  respond_error (self, msg, 404, "no such endpoint");
}

/* Faults */

static FakeFault
take_fault (FakeServer *self,
            const char *method,
            const char *path,
            guint       index)
{
  if (self->fail_from != G_MAXUINT && index >= self->fail_from)
    return self->fail_fault;
  for (guint i = 0; i < self->rules->len; i++)
    {
      Rule *r = g_ptr_array_index (self->rules, i);

      if ((r->method == NULL || g_str_equal (r->method, method)) &&
          (r->path_prefix == NULL || g_str_has_prefix (path, r->path_prefix)))
        {
          FakeFault fault = r->fault;

          if (--r->count == 0)
            g_ptr_array_remove_index (self->rules, i);
          return fault;
        }
    }
  return FAKE_FAULT_NONE;
}

static void
drop_connection (SoupServerMessage *msg)
{
  GIOStream *stream = soup_server_message_steal_connection (msg);

  if (stream != NULL)
    {
      g_io_stream_close (stream, NULL, NULL);
      g_object_unref (stream);
    }
}

static void
apply (FakeServer        *self,
       SoupServerMessage *msg,
       const char        *method,
       const char        *path,
       GHashTable        *query)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);

  if (g_str_has_prefix (path, "/api/"))
    track_route (self, msg, method, parts, query);
  else
    app_route (self, msg, method, parts, query);
}

typedef struct
{
  FakeServer        *self;
  SoupServerMessage *msg;
} Delayed;

static gboolean
slow_reply (gpointer data)
{
  Delayed *d = data;

  soup_server_message_unpause (d->msg);
  return G_SOURCE_REMOVE;
}

static void
delayed_free (gpointer data)
{
  Delayed *d = data;

  g_object_unref (d->msg);
  g_free (d);
}

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  FakeServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (headers, "Authorization");
  gboolean track = g_str_has_prefix (path, "/api/");
  gboolean write = !g_str_equal (method, "GET");
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  FakeFault fault;
  guint index;

  g_mutex_lock (&self->lock);
  index = self->n_requests++ - self->base_index;
  if (write)
    self->n_writes++;
  /* Everything a request carried, for the leak checks of the tests. */
  {
    SoupMessageHeadersIter iter;
    const char *name, *value;

    g_string_append_printf (self->log, "%s %s\n", method, path);
    soup_message_headers_iter_init (&iter, headers);
    while (soup_message_headers_iter_next (&iter, &name, &value))
      if (g_ascii_strcasecmp (name, "Authorization") != 0)
        g_string_append_printf (self->log, "%s: %s\n", name, value);
    g_string_append_len (self->log, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body));
    g_string_append_c (self->log, '\n');
  }

  fault = take_fault (self, method, path, index);

  if (g_strcmp0 (auth, track ? self->basic : self->bearer) != 0 || fault == FAKE_FAULT_401)
    {
      respond_error (self, msg, 401, "unauthorized");
      goto out;
    }

  switch (fault)
    {
    case FAKE_FAULT_429_RETRY_AFTER:
      respond_error (self, msg, 429, "rate limited");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "1");
      goto out;
    case FAKE_FAULT_429:
      respond_error (self, msg, 429, "rate limited");
      goto out;
    case FAKE_FAULT_500:
      respond_error (self, msg, 500, "internal error");
      goto out;
    case FAKE_FAULT_DROP:
      drop_connection (msg);
      goto out;
    case FAKE_FAULT_REDIRECT:
      soup_server_message_set_redirect (msg, 302, "http://127.0.0.2:1/elsewhere");
      goto out;
    default:
      break;
    }

  apply (self, msg, method, path, query);

  if (self->cancel != NULL && index == self->cancel_at)
    g_cancellable_cancel (self->cancel);

  switch (fault)
    {
    case FAKE_FAULT_500_APPLIED:
      respond_error (self, msg, 500, "internal error");
      break;
    case FAKE_FAULT_DROP_APPLIED:
      drop_connection (msg);
      break;
    case FAKE_FAULT_SLOW:
    case FAKE_FAULT_HANG:
      {
        Delayed *d = g_new0 (Delayed, 1);
        GSource *source = g_timeout_source_new (fault == FAKE_FAULT_HANG ? 60000 : 1600);

        d->self = self;
        d->msg = g_object_ref (msg);
        soup_server_message_pause (msg);
        g_source_set_callback (source, slow_reply, d, delayed_free);
        g_source_attach (source, self->context);
        g_source_unref (source);
      }
      break;
    default:
      break;
    }

out:
  g_mutex_unlock (&self->lock);
}

static gpointer
server_thread (gpointer data)
{
  FakeServer *self = data;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (self->context);
  self->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (self->server, NULL, handler, self, NULL);
  soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);

  g_mutex_lock (&self->lock);
  self->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  self->started = TRUE;
  g_cond_signal (&self->ready);
  g_mutex_unlock (&self->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (self->loop);

  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  /* Let pending sources (delayed replies) go. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

FakeServer *
fake_server_new (const char *site_id,
                 const char *track_key,
                 const char *app_key)
{
  FakeServer *self = g_new0 (FakeServer, 1);
  g_autofree char *pair = g_strdup_printf ("%s:%s", site_id, track_key);
  g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));

  self->basic = g_strdup_printf ("Basic %s", encoded);
  self->bearer = g_strdup_printf ("Bearer %s", app_key);
  g_mutex_init (&self->lock);
  g_cond_init (&self->ready);
  self->people = g_ptr_array_new_with_free_func ((GDestroyNotify) person_free);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->by_email = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->by_cio = g_hash_table_new (g_str_hash, g_str_equal);
  self->segments = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                          (GDestroyNotify) segment_free);
  self->creates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  self->next_segment = 100;
  self->fail_from = G_MAXUINT;
  self->cancel_at = G_MAXUINT;
  self->log = g_string_new (NULL);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("fake-cio", server_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->started)
    g_cond_wait (&self->ready, &self->lock);
  g_mutex_unlock (&self->lock);
  return self;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
fake_server_free (FakeServer *self)
{
  g_main_context_invoke (self->context, quit_loop, self->loop);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_free (self->url);
  g_free (self->basic);
  g_free (self->bearer);
  g_ptr_array_unref (self->people);
  g_hash_table_unref (self->by_id);
  g_hash_table_unref (self->by_email);
  g_hash_table_unref (self->by_cio);
  g_hash_table_unref (self->segments);
  g_hash_table_unref (self->creates);
  g_ptr_array_unref (self->rules);
  g_clear_object (&self->cancel);
  g_string_free (self->log, TRUE);
  g_free (self->violation);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->ready);
  g_free (self);
}

const char *
fake_server_get_url (FakeServer *self)
{
  return self->url;
}

void
fake_server_add_person (FakeServer *self,
                        const char *id,
                        const char *email)
{
  g_mutex_lock (&self->lock);
  person_add_locked (self, id, email);
  g_mutex_unlock (&self->lock);
}

char *
fake_server_dup_person_attributes (FakeServer *self,
                                   const char *id)
{
  Person *p;
  char *attributes;

  g_mutex_lock (&self->lock);
  p = g_hash_table_lookup (self->by_id, id);
  attributes = p ? g_strdup (p->attributes) : NULL;
  g_mutex_unlock (&self->lock);
  return attributes;
}

guint
fake_server_count_people (FakeServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->people->len;
  g_mutex_unlock (&self->lock);
  return n;
}

gint64
fake_server_add_segment (FakeServer         *self,
                         const char         *name,
                         const char         *type,
                         const char * const *member_ids)
{
  Segment *s;

  g_mutex_lock (&self->lock);
  s = segment_new_locked (self, name, "made in Customer.io", type);
  for (guint i = 0; member_ids && member_ids[i]; i++)
    {
      Person *p = person_add_locked (self, member_ids[i], NULL);
      g_hash_table_add (s->members, g_strdup (p->cio_id));
    }
  g_mutex_unlock (&self->lock);
  return s->id;
}

void
fake_server_delete_segment (FakeServer *self,
                            gint64      id)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->segments, &id);
  g_mutex_unlock (&self->lock);
}

void
fake_server_set_used_by (FakeServer *self,
                         gint64      id,
                         guint       n_campaigns)
{
  Segment *s;

  g_mutex_lock (&self->lock);
  s = g_hash_table_lookup (self->segments, &id);
  if (s != NULL)
    s->used_by = n_campaigns;
  g_mutex_unlock (&self->lock);
}

void
fake_server_add_fault (FakeServer *self,
                       const char *method,
                       const char *path_prefix,
                       FakeFault   fault,
                       guint       count)
{
  Rule *r = g_new0 (Rule, 1);

  r->method = g_strdup (method);
  r->path_prefix = g_strdup (path_prefix);
  r->fault = fault;
  r->count = count;
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->rules, r);
  g_mutex_unlock (&self->lock);
}

void
fake_server_fail_from (FakeServer *self,
                       guint       index,
                       FakeFault   fault)
{
  g_mutex_lock (&self->lock);
  self->base_index = self->n_requests;
  self->fail_from = index;
  self->fail_fault = fault;
  g_mutex_unlock (&self->lock);
}

void
fake_server_cancel_at (FakeServer   *self,
                       guint         index,
                       GCancellable *cancellable)
{
  g_mutex_lock (&self->lock);
  self->base_index = self->n_requests;
  self->cancel_at = index;
  g_set_object (&self->cancel, cancellable);
  g_mutex_unlock (&self->lock);
}

void
fake_server_clear_faults (FakeServer *self)
{
  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->rules, 0);
  self->fail_from = G_MAXUINT;
  self->cancel_at = G_MAXUINT;
  g_clear_object (&self->cancel);
  g_mutex_unlock (&self->lock);
}

guint
fake_server_get_n_requests (FakeServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_requests;
  g_mutex_unlock (&self->lock);
  return n;
}

gboolean
fake_server_wait_requests (FakeServer *self,
                           guint       n,
                           guint       timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (fake_server_get_n_requests (self) < n)
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_usleep (2000);
    }
  return TRUE;
}

guint
fake_server_get_n_writes (FakeServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_writes;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
fake_server_get_max_batch (FakeServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->max_batch;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
fake_server_get_n_creates (FakeServer *self,
                           const char *name)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (self->creates, name));
  g_mutex_unlock (&self->lock);
  return n;
}

char *
fake_server_dup_log (FakeServer *self)
{
  char *log;

  g_mutex_lock (&self->lock);
  log = g_strdup (self->log->str);
  g_mutex_unlock (&self->lock);
  return log;
}

char *
fake_server_dup_violation (FakeServer *self)
{
  char *v;

  g_mutex_lock (&self->lock);
  v = g_strdup (self->violation);
  g_mutex_unlock (&self->lock);
  return v;
}

GArray *
fake_server_find_segments (FakeServer *self,
                           const char *name)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->segments);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Segment *s = value;
      if (g_str_equal (s->name, name))
        g_array_append_val (ids, s->id);
    }
  g_mutex_unlock (&self->lock);
  return ids;
}

GStrv
fake_server_dup_members (FakeServer *self,
                         gint64      id)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new ();
  Segment *s;
  GHashTableIter iter;
  gpointer key;

  g_mutex_lock (&self->lock);
  s = g_hash_table_lookup (self->segments, &id);
  if (s == NULL)
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  g_hash_table_iter_init (&iter, s->members);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Person *p = person_lookup (self, "cio_id", key);
      g_ptr_array_add (out, g_strdup (p->id ? p->id : p->email));
    }
  g_mutex_unlock (&self->lock);
  g_ptr_array_sort (out, compare_strings);
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

guint
fake_server_count_segments (FakeServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = g_hash_table_size (self->segments);
  g_mutex_unlock (&self->lock);
  return n;
}

char *
fake_server_dup_description (FakeServer *self,
                             gint64      id)
{
  Segment *s;
  char *text = NULL;

  g_mutex_lock (&self->lock);
  s = g_hash_table_lookup (self->segments, &id);
  if (s != NULL)
    text = g_strdup (s->description);
  g_mutex_unlock (&self->lock);
  return text;
}

void
fake_server_set_hide_descriptions (FakeServer *self,
                                   gboolean    hide)
{
  g_mutex_lock (&self->lock);
  self->hide_descriptions = hide;
  g_mutex_unlock (&self->lock);
}
