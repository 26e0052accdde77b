/* cohort-events.c: what customers did
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-attrs.h"
#include "cohort-events.h"

void
cohort_event_summary_free (CohortEventSummary *summary)
{
  if (summary == NULL)
    return;
  g_free (summary->name);
  g_free (summary);
}

void
cohort_event_free (CohortEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->name);
  g_strfreev (event->keys);
  g_strfreev (event->values);
  g_free (event);
}

GPtrArray *
cohort_events_summarize (CohortWorkspace  *ws,
                         gint64            ordinal,
                         GError          **error)
{
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_event_summary_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (ws, "SELECT name, count(*), max(timestamp) FROM events "
                                   "WHERE customer = ? GROUP BY name ORDER BY name", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, ordinal);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CohortEventSummary *s = g_new0 (CohortEventSummary, 1);

      s->name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      s->count = sqlite3_column_int64 (stmt, 1);
      s->last = sqlite3_column_int64 (stmt, 2);
      g_ptr_array_add (result, s);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading the customer’s events"));
      return NULL;
    }
  return g_steal_pointer (&result);
}

JsonNode *
cohort_events_summary_to_json (GPtrArray *summaries)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  for (guint i = 0; summaries && i < summaries->len; i++)
    {
      CohortEventSummary *s = summaries->pdata[i];

      json_builder_set_member_name (b, s->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "count");
      json_builder_add_int_value (b, s->count);
      json_builder_set_member_name (b, "last");
      json_builder_add_int_value (b, s->last);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* event_attributes.id -> name */
static GHashTable *
load_attribute_names (CohortWorkspace  *ws,
                      GError          **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (ws, "SELECT id, name FROM event_attributes", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_insert (names, GUINT_TO_POINTER ((guint) sqlite3_column_int64 (stmt, 0)),
                         g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading event attributes"));
      return NULL;
    }
  return g_steal_pointer (&names);
}

typedef struct
{
  const char *key;
  char       *value;
} KeyValue;

static int
compare_key_values (gconstpointer a,
                    gconstpointer b)
{
  return g_strcmp0 (((const KeyValue *) a)->key, ((const KeyValue *) b)->key);
}

GPtrArray *
cohort_events_list (CohortWorkspace  *ws,
                    gint64            ordinal,
                    guint             offset,
                    guint             limit,
                    GError          **error)
{
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_event_free);
  g_autoptr(GHashTable) names = load_attribute_names (ws, error);
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  sqlite3_stmt *stmt;
  int rc;

  if (names == NULL)
    return NULL;
  stmt = cohort_workspace_prepare (ws, "SELECT id, name, timestamp, attrs FROM events "
                                   "WHERE customer = ? ORDER BY timestamp DESC, id DESC "
                                   "LIMIT ? OFFSET ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, ordinal);
  sqlite3_bind_int64 (stmt, 2, limit == 0 ? -1 : (gint64) limit);
  sqlite3_bind_int64 (stmt, 3, offset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CohortEvent *event = g_new0 (CohortEvent, 1);
      g_autoptr(GArray) kv = g_array_new (FALSE, FALSE, sizeof (KeyValue));
      const guint8 *blob = sqlite3_column_blob (stmt, 3);
      gsize blob_len = sqlite3_column_bytes (stmt, 3);

      event->id = sqlite3_column_int64 (stmt, 0);
      event->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      event->timestamp = sqlite3_column_int64 (stmt, 2);

      g_array_set_size (entries, 0);
      if (blob != NULL)
        cohort_attrs_decode (blob, blob_len, entries);
      for (guint i = 0; i < entries->len; i++)
        {
          CohortAttrEntry *e = &g_array_index (entries, CohortAttrEntry, i);
          KeyValue item;

          item.key = g_hash_table_lookup (names, GUINT_TO_POINTER (e->attr));
          if (item.key == NULL)
            continue;
          item.value = g_strndup (e->value, e->len);
          g_array_append_val (kv, item);
        }
      g_array_sort (kv, compare_key_values);
      event->keys = g_new0 (char *, kv->len + 1);
      event->values = g_new0 (char *, kv->len + 1);
      for (guint i = 0; i < kv->len; i++)
        {
          event->keys[i] = g_strdup (g_array_index (kv, KeyValue, i).key);
          event->values[i] = g_array_index (kv, KeyValue, i).value;
        }
      g_ptr_array_add (result, event);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading the customer’s events"));
      return NULL;
    }
  return g_steal_pointer (&result);
}

gint64
cohort_events_count (CohortWorkspace  *ws,
                     GError          **error)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, "SELECT count(*) FROM events", error);
  gint64 count = -1;

  if (stmt == NULL)
    return -1;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  else
    cohort_workspace_db_error (ws, error, _("counting events"));
  sqlite3_reset (stmt);
  return count;
}

static GStrv
collect_strings (CohortWorkspace  *ws,
                 sqlite3_stmt     *stmt,
                 GError          **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading event names"));
      return NULL;
    }
  return g_strv_builder_end (builder);
}

GStrv
cohort_events_list_names (CohortWorkspace  *ws,
                          GError          **error)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, "SELECT DISTINCT name FROM events ORDER BY name",
                                                 error);

  return stmt ? collect_strings (ws, stmt, error) : NULL;
}

static int
compare_string_ptrs (gconstpointer a,
                     gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

GStrv
cohort_events_list_attributes (CohortWorkspace  *ws,
                               const char       *name,
                               GError          **error)
{
  g_autoptr(GHashTable) names = load_attribute_names (ws, error);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  sqlite3_stmt *stmt;
  int rc, scanned = 0;

  if (names == NULL)
    return NULL;
  /* A sample is enough for completion: events of one name share their keys. */
  stmt = cohort_workspace_prepare (ws, "SELECT attrs FROM events WHERE name = ? LIMIT 10000", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const guint8 *blob = sqlite3_column_blob (stmt, 0);

      scanned++;
      g_array_set_size (entries, 0);
      if (blob == NULL || !cohort_attrs_decode (blob, sqlite3_column_bytes (stmt, 0), entries))
        continue;
      for (guint i = 0; i < entries->len; i++)
        {
          const char *key = g_hash_table_lookup (names,
                                                 GUINT_TO_POINTER (g_array_index (entries, CohortAttrEntry, i).attr));
          if (key != NULL && g_hash_table_add (seen, (gpointer) key))
            g_ptr_array_add (list, (gpointer) key);
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading event attributes"));
      return NULL;
    }
  g_ptr_array_sort (list, compare_string_ptrs);
  g_ptr_array_add (list, NULL);
  return g_strdupv ((char **) list->pdata);
}
