/* cohort-sync-identify.c: push people (identify) with their attributes, in batches
 * under Customer.io's size limits
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Sync"

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-attrs.h"
#include "cohort-customers.h"
#include "cohort-sync-private.h"
#include "cohort-value.h"

static JsonNode *
attribute_value_node (const char     *value,
                      gsize           len,
                      CohortAttrType  type)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *text = g_strndup (value, len);
  double number;
  gint64 timestamp;

  if (type == COHORT_ATTR_NUMBER && cohort_value_parse_number (text, len, &number))
    json_node_set_double (node, number);
  else if (type == COHORT_ATTR_TIMESTAMP && cohort_value_parse_timestamp (text, len, &timestamp))
    json_node_set_int (node, timestamp);
  else if (type == COHORT_ATTR_BOOLEAN &&
           cohort_value_parse_bool (text, len) != COHORT_BOOL_NEITHER)
    json_node_set_boolean (node, cohort_value_parse_bool (text, len) == COHORT_BOOL_TRUE);
  else
    json_node_set_string (node, text);
  return node;
}

typedef struct
{
  char *id_type;
  char *ident;
} Person;

static void
person_free (Person *person)
{
  g_free (person->id_type);
  g_free (person->ident);
  g_free (person);
}

static gboolean
send_identify_batch (SyncRun   *ctx,
                     JsonArray *ops,
                     GPtrArray *people)
{
  g_autoptr(GPtrArray) refused = NULL;
  g_autoptr(GHashTable) refused_index = g_hash_table_new (NULL, NULL);
  GError *error = NULL;
  sqlite3_stmt *mark = NULL;
  sqlite3_stmt *unpush = NULL;
  gboolean ok;
  guint n_ok = 0;

  refused = cohort_cio_client_batch (ctx->client, ops, ctx->cancellable, &error);
  if (refused == NULL)
    {
      cohort_sync_fail (ctx, error);
      return FALSE;
    }
  for (guint i = 0; i < refused->len; i++)
    {
      CohortCioBatchError *err = g_ptr_array_index (refused, i);

      g_hash_table_add (refused_index, GUINT_TO_POINTER (err->batch_index + 1));
      if (err->batch_index < people->len)
        g_ptr_array_add (ctx->report->failures,
                         g_strdup_printf (_("Customer.io refused person “%s”: %s"),
                                          ((Person *) g_ptr_array_index (people, err->batch_index))->ident,
                                          err->message));
    }
  if (refused->len > 0 && ctx->first_error == NULL)
    ctx->first_error = g_error_new (COHORT_CIO_ERROR, COHORT_CIO_ERROR_BAD_REQUEST,
                                    _("Customer.io refused %u people"), refused->len);

  if (!cohort_workspace_begin (ctx->ws, &error))
    {
      cohort_sync_fail (ctx, error);
      return FALSE;
    }
  mark = cohort_workspace_prepare (ctx->ws,
                                   "INSERT OR REPLACE INTO sync_identified (id_type, ident, identified_at) "
                                   "VALUES (?, ?, ?)", &error);
  ok = mark != NULL;
  if (ok)
    /* Customer.io ignored them when they were added before it knew them: add again. */
    unpush = cohort_workspace_prepare (ctx->ws,
                                       "DELETE FROM sync_pushed WHERE id_type = ? AND ident = ?",
                                       &error);
  ok = ok && unpush != NULL;
  for (guint i = 0; ok && i < people->len; i++)
    {
      Person *person = g_ptr_array_index (people, i);

      if (g_hash_table_contains (refused_index, GUINT_TO_POINTER (i + 1)))
        continue;
      sqlite3_reset (mark);
      sqlite3_bind_text (mark, 1, person->id_type, -1, SQLITE_STATIC);
      sqlite3_bind_text (mark, 2, person->ident, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (mark, 3, cohort_now_real ());
      ok = cohort_workspace_step_done (ctx->ws, mark, _("recording the sync"), &error);
      if (ok)
        {
          sqlite3_reset (unpush);
          sqlite3_bind_text (unpush, 1, person->id_type, -1, SQLITE_STATIC);
          sqlite3_bind_text (unpush, 2, person->ident, -1, SQLITE_STATIC);
          ok = cohort_workspace_step_done (ctx->ws, unpush, _("recording the sync"), &error);
          if (ok && sqlite3_changes (cohort_workspace_get_db (ctx->ws)) > 0)
            ctx->pushed_changed = TRUE;
        }
      n_ok++;
    }
  if (!cohort_sync_finish_transaction (ctx->ws, ok, &error))
    {
      cohort_sync_fail (ctx, error);
      return FALSE;
    }
  ctx->done++;
  g_ptr_array_add (ctx->report->done,
                   g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "identified %u person",
                                                 "identified %u people", n_ok), n_ok));
  cohort_sync_report_progress (ctx, NULL);
  return TRUE;
}

static JsonNode *
person_op (const char   *id_type,
           const char   *ident,
           const char   *email,
           const guint8 *blob,
           gsize         blob_len,
           GHashTable   *attributes,
           guint        *n_dropped)
{
  g_autoptr(JsonObject) op = json_object_new ();
  g_autoptr(JsonObject) identifiers = json_object_new ();
  g_autoptr(JsonObject) attrs = json_object_new ();
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  JsonNode *node;
  guint n_attrs = 0;

  json_object_set_string_member (identifiers, id_type, ident);
  if (email != NULL && g_str_equal (id_type, "id"))
    {
      json_object_set_string_member (attrs, "email", email);
      n_attrs++;
    }
  if (blob != NULL && cohort_attrs_decode (blob, blob_len, entries))
    {
      for (guint i = 0; i < entries->len; i++)
        {
          CohortAttrEntry *entry = &g_array_index (entries, CohortAttrEntry, i);
          const CohortAttribute *info = g_hash_table_lookup (attributes, GUINT_TO_POINTER (entry->attr));

          if (info == NULL || g_str_equal (info->name, "id") || g_str_equal (info->name, "email"))
            continue;
          /* Customer.io's limits per person. */
          if (strlen (info->name) > 150 || entry->len > 1000 || n_attrs >= 300)
            {
              (*n_dropped)++;
              continue;
            }
          json_object_set_member (attrs, info->name,
                                  attribute_value_node (entry->value, entry->len, info->type));
          n_attrs++;
        }
    }

  json_object_set_string_member (op, "type", "person");
  json_object_set_object_member (op, "identifiers", g_steal_pointer (&identifiers));
  json_object_set_string_member (op, "action", "identify");
  json_object_set_object_member (op, "attributes", g_steal_pointer (&attrs));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, op);
  return node;
}

void
cohort_sync_push_identify (SyncRun *ctx)
{
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify) person_free);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr(JsonArray) ops = NULL;
  g_autoptr(GPtrArray) batch_people = g_ptr_array_new ();
  GError *error = NULL;
  sqlite3_stmt *stmt;
  gsize batch_bytes;
  guint n_dropped = 0;
  guint n_skipped = 0;
  int rc;

  attributes = cohort_customers_load_attributes (ctx->ws, &error);
  if (attributes == NULL)
    {
      cohort_sync_fail (ctx, error);
      return;
    }

  /* Read everything first: the statement must not stay open across requests. */
  stmt = cohort_workspace_prepare (ctx->ws,
                                   "SELECT p.id_type, p.ident, c.email, c.attrs "
                                   "FROM temp.sync_people p JOIN customers c ON c.ordinal = p.ordinal "
                                   "WHERE NOT EXISTS (SELECT 1 FROM sync_identified i "
                                   "  WHERE i.id_type = p.id_type AND i.ident = p.ident) "
                                   "ORDER BY p.ordinal", &error);
  if (stmt == NULL)
    {
      cohort_sync_fail (ctx, error);
      return;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *id_type = (const char *) sqlite3_column_text (stmt, 0);
      const char *ident = (const char *) sqlite3_column_text (stmt, 1);
      const char *email = (const char *) sqlite3_column_text (stmt, 2);
      g_autoptr(JsonNode) op = NULL;
      g_autofree char *text = NULL;
      Person *person;
      gsize size;

      if (strlen (ident) > 150)
        {
          n_skipped++;
          continue;
        }
      op = person_op (id_type, ident, email, sqlite3_column_blob (stmt, 3),
                      (gsize) sqlite3_column_bytes (stmt, 3), attributes, &n_dropped);
      text = json_to_string (op, FALSE);
      size = strlen (text);
      if (size > COHORT_CIO_BATCH_OP_MAX_BYTES)
        {
          n_skipped++;
          continue;
        }
      person = g_new0 (Person, 1);
      person->id_type = g_strdup (id_type);
      person->ident = g_strdup (ident);
      g_ptr_array_add (people, person);
      g_ptr_array_add (nodes, g_steal_pointer (&op));
      g_array_append_val (sizes, size);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ctx->ws, &error, _("reading people"));
      cohort_sync_fail (ctx, error);
      return;
    }

  /* Batches under the total size limit ({"batch":[...]} plus commas). */
  ops = json_array_new ();
  batch_bytes = 16;
  for (guint i = 0; i < people->len && !ctx->stop; i++)
    {
      gsize size = g_array_index (sizes, gsize, i) + 1;

      if (json_array_get_length (ops) > 0 && batch_bytes + size > COHORT_CIO_BATCH_MAX_BYTES)
        {
          if (!send_identify_batch (ctx, ops, batch_people))
            return;
          json_array_unref (ops);
          ops = json_array_new ();
          g_ptr_array_set_size (batch_people, 0);
          batch_bytes = 16;
        }
      json_array_add_element (ops, json_node_ref (g_ptr_array_index (nodes, i)));
      g_ptr_array_add (batch_people, g_ptr_array_index (people, i));
      batch_bytes += size;
    }
  if (!ctx->stop && json_array_get_length (ops) > 0 && !send_identify_batch (ctx, ops, batch_people))
    return;

  if (n_skipped > 0)
    g_ptr_array_add (ctx->report->notes,
                     g_strdup_printf (_("%u people were not sent: their id or attributes are "
                                        "over Customer.io’s limits"), n_skipped));
  if (n_dropped > 0)
    g_ptr_array_add (ctx->report->notes,
                     g_strdup_printf (_("%u attribute values were left out: over Customer.io’s "
                                        "limits (1000 bytes a value, 300 attributes)"), n_dropped));
}
