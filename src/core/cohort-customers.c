/* cohort-customers.c: customers and their attributes in the workspace
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-attrs.h"
#include "cohort-customers.h"
#include "cohort-value.h"

static const char *const type_names[] = { "string", "number", "boolean", "timestamp" };

const char *
cohort_attr_type_to_string (CohortAttrType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (type_names), "string");
  return type_names[type];
}

gboolean
cohort_attr_type_from_string (const char     *text,
                              CohortAttrType *type)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (type_names); i++)
    if (g_ascii_strcasecmp (text, type_names[i]) == 0)
      {
        *type = (CohortAttrType) i;
        return TRUE;
      }
  return FALSE;
}

void
cohort_attribute_free (CohortAttribute *attr)
{
  if (attr == NULL)
    return;
  g_free (attr->name);
  g_free (attr);
}

static CohortAttribute *
attribute_new (guint32     id,
               const char *name,
               const char *type)
{
  CohortAttribute *attr = g_new0 (CohortAttribute, 1);

  attr->id = id;
  attr->name = g_strdup (name);
  if (!cohort_attr_type_from_string (type, &attr->type))
    attr->type = COHORT_ATTR_STRING;
  return attr;
}

static void
clear_value (gpointer data)
{
  CohortCustomerValue *v = data;

  g_free (v->value);
}

void
cohort_customer_free (CohortCustomer *customer)
{
  if (customer == NULL)
    return;
  g_free (customer->id);
  g_free (customer->email);
  g_clear_pointer (&customer->values, g_array_unref);
  g_clear_pointer (&customer->attributes, g_ptr_array_unref);
  g_free (customer);
}

const char *
cohort_customer_get_value (CohortCustomer *customer,
                           const char     *name)
{
  for (guint i = 0; i < customer->values->len; i++)
    {
      CohortCustomerValue *v = &g_array_index (customer->values, CohortCustomerValue, i);

      if (strcmp (v->attribute->name, name) == 0)
        return v->value;
    }
  return NULL;
}

static void
add_typed_value (JsonBuilder    *builder,
                 CohortAttrType  type,
                 const char     *value)
{
  gsize len = strlen (value);
  double number;
  gint64 seconds;
  CohortBool b;

  switch (type)
    {
    case COHORT_ATTR_NUMBER:
      if (cohort_value_parse_number (value, len, &number))
        {
          gint64 integer;

          if (g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, &integer, NULL))
            json_builder_add_int_value (builder, integer);
          else
            json_builder_add_double_value (builder, number);
          return;
        }
      break;
    case COHORT_ATTR_BOOLEAN:
      b = cohort_value_parse_bool (value, len);
      if (b != COHORT_BOOL_NEITHER)
        {
          json_builder_add_boolean_value (builder, b == COHORT_BOOL_TRUE);
          return;
        }
      break;
    case COHORT_ATTR_TIMESTAMP:
      if (cohort_value_parse_timestamp (value, len, &seconds))
        {
          json_builder_add_int_value (builder, seconds);
          return;
        }
      break;
    case COHORT_ATTR_STRING:
    default:
      break;
    }
  json_builder_add_string_value (builder, value);
}

JsonNode *
cohort_customer_to_json (CohortCustomer *customer)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  if (customer->id)
    json_builder_add_string_value (builder, customer->id);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "email");
  if (customer->email)
    json_builder_add_string_value (builder, customer->email);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "attributes");
  json_builder_begin_object (builder);
  for (guint i = 0; i < customer->values->len; i++)
    {
      CohortCustomerValue *v = &g_array_index (customer->values, CohortCustomerValue, i);

      json_builder_set_member_name (builder, v->attribute->name);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, cohort_attr_type_to_string (v->attribute->type));
      json_builder_set_member_name (builder, "value");
      add_typed_value (builder, v->attribute->type, v->value);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

GHashTable *
cohort_customers_load_attributes (CohortWorkspace  *ws,
                                  GError          **error)
{
  g_autoptr(GHashTable) attrs = g_hash_table_new_full (NULL, NULL, NULL,
                                                       (GDestroyNotify) cohort_attribute_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (ws, "SELECT id, name, type FROM attributes", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CohortAttribute *attr = attribute_new ((guint32) sqlite3_column_int64 (stmt, 0),
                                             (const char *) sqlite3_column_text (stmt, 1),
                                             (const char *) sqlite3_column_text (stmt, 2));

      g_hash_table_insert (attrs, GUINT_TO_POINTER (attr->id), attr);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading attributes"));
      return NULL;
    }
  return g_steal_pointer (&attrs);
}

static int
compare_values (gconstpointer a,
                gconstpointer b)
{
  const CohortCustomerValue *va = a;
  const CohortCustomerValue *vb = b;

  return strcmp (va->attribute->name, vb->attribute->name);
}

/* Columns: ordinal, id, email, attrs, added_at, modified_at */
static CohortCustomer *
customer_from_row (sqlite3_stmt *stmt,
                   GHashTable   *attributes)
{
  CohortCustomer *customer = g_new0 (CohortCustomer, 1);
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  const guint8 *blob = sqlite3_column_blob (stmt, 3);
  gsize blob_len = (gsize) sqlite3_column_bytes (stmt, 3);

  customer->ordinal = sqlite3_column_int64 (stmt, 0);
  customer->id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  customer->email = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  customer->added_at = sqlite3_column_int64 (stmt, 4);
  customer->modified_at = sqlite3_column_int64 (stmt, 5);
  customer->values = g_array_new (FALSE, FALSE, sizeof (CohortCustomerValue));
  g_array_set_clear_func (customer->values, clear_value);
  customer->attributes = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_attribute_free);

  if (blob != NULL && !cohort_attrs_decode (blob, blob_len, entries))
    g_warning ("Customer %" PRId64 " has damaged attributes", customer->ordinal);

  for (guint i = 0; i < entries->len; i++)
    {
      CohortAttrEntry *e = &g_array_index (entries, CohortAttrEntry, i);
      CohortAttribute *known = g_hash_table_lookup (attributes, GUINT_TO_POINTER (e->attr));
      CohortAttribute *copy;
      CohortCustomerValue v;

      if (known == NULL)
        continue;
      copy = attribute_new (known->id, known->name, cohort_attr_type_to_string (known->type));
      g_ptr_array_add (customer->attributes, copy);
      v.attribute = copy;
      v.value = g_strndup (e->value, e->len);
      g_array_append_val (customer->values, v);
    }
  g_array_sort (customer->values, compare_values);
  return customer;
}

gint64
cohort_customers_count (CohortWorkspace  *ws,
                        GError          **error)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, "SELECT count(*) FROM customers", error);
  gint64 n = -1;

  if (stmt == NULL)
    return -1;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  else
    cohort_workspace_db_error (ws, error, _("counting customers"));
  sqlite3_reset (stmt);
  return n;
}

#define CUSTOMER_COLUMNS "ordinal, id, email, attrs, added_at, modified_at"

/* The customer whose @column (id or email) is @key; a NOT_FOUND error
 * worded by @not_found (a format taking @key) when there is none. */
static CohortCustomer *
get_one (CohortWorkspace  *ws,
         const char       *sql,
         const char       *key,
         const char       *not_found,
         GError          **error)
{
  g_autoptr(GHashTable) attributes = NULL;
  CohortCustomer *customer = NULL;
  sqlite3_stmt *stmt;
  int rc;

  attributes = cohort_customers_load_attributes (ws, error);
  if (attributes == NULL)
    return NULL;
  stmt = cohort_workspace_prepare (ws, sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    customer = customer_from_row (stmt, attributes);
  else if (rc == SQLITE_DONE)
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND, not_found, key);
#pragma GCC diagnostic pop
    }
  else
    cohort_workspace_db_error (ws, error, _("reading a customer"));
  sqlite3_reset (stmt);
  return customer;
}

CohortCustomer *
cohort_customers_get_by_id (CohortWorkspace  *ws,
                            const char       *id,
                            GError          **error)
{
  return get_one (ws, "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE id = ?", id,
                  _("There is no customer with the id “%s”"), error);
}

CohortCustomer *
cohort_customers_get_by_email (CohortWorkspace  *ws,
                               const char       *email,
                               GError          **error)
{
  return get_one (ws, "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE email = ?", email,
                  _("There is no customer with the email “%s”"), error);
}

CohortCustomer *
cohort_customers_lookup (CohortWorkspace  *ws,
                         const char       *id_or_email,
                         GError          **error)
{
  GError *local = NULL;
  CohortCustomer *customer;

  customer = cohort_customers_get_by_id (ws, id_or_email, &local);
  if (customer != NULL)
    return customer;
  if (!g_error_matches (local, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, local);
      return NULL;
    }
  g_clear_error (&local);
  customer = cohort_customers_get_by_email (ws, id_or_email, &local);
  if (customer != NULL)
    return customer;
  if (g_error_matches (local, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND))
    {
      g_clear_error (&local);
      g_set_error (&local, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND,
                   _("There is no customer with the id or email “%s”"), id_or_email);
    }
  g_propagate_error (error, local);
  return NULL;
}

GPtrArray *
cohort_customers_list (CohortWorkspace  *ws,
                       gint64            offset,
                       gint64            limit,
                       GError          **error)
{
  return cohort_customers_find (ws, NULL, COHORT_CUSTOMERS_SORT_ORDINAL, FALSE, offset, limit, error);
}

/* Steps @stmt to the end: a GPtrArray of CohortCustomer, or NULL on error. */
static GPtrArray *
collect_rows (CohortWorkspace  *ws,
              sqlite3_stmt     *stmt,
              GHashTable       *attributes,
              GError          **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_customer_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, customer_from_row (stmt, attributes));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("listing customers"));
      return NULL;
    }
  return g_steal_pointer (&list);
}

GPtrArray *
cohort_customers_list_after (CohortWorkspace  *ws,
                             gint64            after,
                             gint64            limit,
                             GError          **error)
{
  g_autoptr(GHashTable) attributes = NULL;
  sqlite3_stmt *stmt;

  attributes = cohort_customers_load_attributes (ws, error);
  if (attributes == NULL)
    return NULL;
  stmt = cohort_workspace_prepare (ws, "SELECT " CUSTOMER_COLUMNS " FROM customers "
                                   "WHERE ordinal > ? ORDER BY ordinal LIMIT ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after);
  sqlite3_bind_int64 (stmt, 2, limit < 0 ? -1 : limit);
  return collect_rows (ws, stmt, attributes, error);
}

/* A LIKE pattern matching @search anywhere, with \ as the escape. */
static char *
like_pattern (const char *search)
{
  GString *s = g_string_new ("%");

  for (const char *p = search; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '%');
  return g_string_free (s, FALSE);
}

#define MATCHING "(?1 IS NULL OR id LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\')"

gint64
cohort_customers_count_matching (CohortWorkspace  *ws,
                                 const char       *search,
                                 GError          **error)
{
  g_autofree char *pattern = NULL;
  sqlite3_stmt *stmt;
  gint64 n = -1;

  if (search == NULL || search[0] == '\0')
    return cohort_customers_count (ws, error);
  stmt = cohort_workspace_prepare (ws, "SELECT count(*) FROM customers WHERE " MATCHING, error);
  if (stmt == NULL)
    return -1;
  pattern = like_pattern (search);
  sqlite3_bind_text (stmt, 1, pattern, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  else
    cohort_workspace_db_error (ws, error, _("counting customers"));
  sqlite3_reset (stmt);
  return n;
}

/* Sorted by id or email with no search: those that have one in the order
 * of the column's (partial) index, then those that have none by ordinal.
 * Walking the index costs the offset; sorting a million rows for every
 * page, as one ORDER BY "col IS NULL, col" would, costs seconds. */
static GPtrArray *
find_sorted (CohortWorkspace  *ws,
             GHashTable       *attributes,
             const char       *column,     /* "id" or "email": a fixed name */
             gboolean          descending,
             gint64            offset,
             gint64            limit,
             GError          **error)
{
  const char *dir = descending ? "DESC" : "ASC";
  g_autofree char *count_sql = g_strdup_printf ("SELECT count(*) FROM customers WHERE %s IS NOT NULL", column);
  g_autofree char *with_sql = g_strdup_printf ("SELECT " CUSTOMER_COLUMNS " FROM customers WHERE %s IS NOT NULL "
                                               "ORDER BY %s %s, ordinal %s LIMIT ?1 OFFSET ?2",
                                               column, column, dir, dir);
  g_autofree char *without_sql = g_strdup_printf ("SELECT " CUSTOMER_COLUMNS " FROM customers WHERE %s IS NULL "
                                                  "ORDER BY ordinal %s LIMIT ?1 OFFSET ?2", column, dir);
  g_autoptr(GPtrArray) rows = NULL;
  sqlite3_stmt *stmt;
  gint64 n_with = 0;

  offset = MAX (offset, 0);
  stmt = cohort_workspace_prepare (ws, count_sql, error);
  if (stmt == NULL)
    return NULL;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n_with = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  if (offset < n_with)
    {
      stmt = cohort_workspace_prepare (ws, with_sql, error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, limit < 0 ? -1 : limit);
      sqlite3_bind_int64 (stmt, 2, offset);
      rows = collect_rows (ws, stmt, attributes, error);
      if (rows == NULL)
        return NULL;
    }
  else
    rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_customer_free);

  if (limit < 0 || (gint64) rows->len < limit)
    {
      g_autoptr(GPtrArray) more = NULL;

      stmt = cohort_workspace_prepare (ws, without_sql, error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, limit < 0 ? -1 : limit - (gint64) rows->len);
      sqlite3_bind_int64 (stmt, 2, MAX (offset - n_with, 0));
      more = collect_rows (ws, stmt, attributes, error);
      if (more == NULL)
        return NULL;
      for (guint i = 0; i < more->len; i++)
        g_ptr_array_add (rows, g_steal_pointer (&more->pdata[i]));
    }
  return g_steal_pointer (&rows);
}

GPtrArray *
cohort_customers_find (CohortWorkspace      *ws,
                       const char           *search,
                       CohortCustomersSort   sort,
                       gboolean              descending,
                       gint64                offset,
                       gint64                limit,
                       GError              **error)
{
  static const char *const orders[3][2] = {
    { "ordinal", "ordinal DESC" },
    { "id IS NULL, id, ordinal", "id IS NULL, id DESC, ordinal DESC" },
    { "email IS NULL, email, ordinal", "email IS NULL, email DESC, ordinal DESC" },
  };
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *pattern = NULL;
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail ((guint) sort < G_N_ELEMENTS (orders), NULL);

  attributes = cohort_customers_load_attributes (ws, error);
  if (attributes == NULL)
    return NULL;
  if ((search == NULL || search[0] == '\0') && sort != COHORT_CUSTOMERS_SORT_ORDINAL)
    return find_sorted (ws, attributes, sort == COHORT_CUSTOMERS_SORT_ID ? "id" : "email",
                        descending, offset, limit, error);
  /* One of six fixed statements: nothing from the caller is pasted in. */
  sql = g_strdup_printf ("SELECT " CUSTOMER_COLUMNS " FROM customers WHERE " MATCHING
                         " ORDER BY %s LIMIT ?2 OFFSET ?3", orders[sort][descending ? 1 : 0]);
  stmt = cohort_workspace_prepare (ws, sql, error);
  if (stmt == NULL)
    return NULL;
  if (search != NULL && search[0] != '\0')
    {
      pattern = like_pattern (search);
      sqlite3_bind_text (stmt, 1, pattern, -1, SQLITE_STATIC);
    }
  sqlite3_bind_int64 (stmt, 2, limit < 0 ? -1 : limit);
  sqlite3_bind_int64 (stmt, 3, MAX (offset, 0));
  return collect_rows (ws, stmt, attributes, error);
}

static int
compare_attributes (gconstpointer a,
                    gconstpointer b)
{
  const CohortAttribute *aa = *(CohortAttribute **) a;
  const CohortAttribute *ab = *(CohortAttribute **) b;

  return strcmp (aa->name, ab->name);
}

GPtrArray *
cohort_attributes_list (CohortWorkspace  *ws,
                        GError          **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) cohort_attribute_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (ws, "SELECT id, name, type FROM attributes", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, attribute_new ((guint32) sqlite3_column_int64 (stmt, 0),
                                          (const char *) sqlite3_column_text (stmt, 1),
                                          (const char *) sqlite3_column_text (stmt, 2)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("reading attributes"));
      return NULL;
    }
  g_ptr_array_sort (list, compare_attributes);
  return g_steal_pointer (&list);
}

CohortAttribute *
cohort_attributes_get (CohortWorkspace  *ws,
                       const char       *name,
                       GError          **error)
{
  CohortAttribute *attr = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (ws, "SELECT id, name, type FROM attributes WHERE name = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    attr = attribute_new ((guint32) sqlite3_column_int64 (stmt, 0),
                          (const char *) sqlite3_column_text (stmt, 1),
                          (const char *) sqlite3_column_text (stmt, 2));
  else if (rc == SQLITE_DONE)
    g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND,
                 _("There is no attribute named “%s”"), name);
  else
    cohort_workspace_db_error (ws, error, _("reading attributes"));
  sqlite3_reset (stmt);
  return attr;
}

/* Rewrites values of @attr that read as ISO 8601 times as Unix seconds. */
static gboolean
convert_to_timestamps (CohortWorkspace  *ws,
                       guint32           attr,
                       GError          **error)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  g_autoptr(GByteArray) blob = g_byte_array_new ();
  g_autoptr(GArray) ordinals = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) blobs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (ws, "SELECT ordinal, attrs FROM customers", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const guint8 *data = sqlite3_column_blob (stmt, 1);
      gsize len = (gsize) sqlite3_column_bytes (stmt, 1);
      gboolean changed = FALSE;
      char seconds[32];   /* one entry per attribute in a blob */

      g_array_set_size (entries, 0);
      if (data == NULL || !cohort_attrs_decode (data, len, entries))
        continue;
      for (guint i = 0; i < entries->len; i++)
        {
          CohortAttrEntry *e = &g_array_index (entries, CohortAttrEntry, i);
          gint64 t;

          if (e->attr != attr || cohort_value_parse_number (e->value, e->len, NULL) ||
              !cohort_value_parse_timestamp (e->value, e->len, &t))
            continue;
          g_snprintf (seconds, sizeof seconds, "%" PRId64, t);
          e->value = seconds;
          e->len = strlen (seconds);
          changed = TRUE;
        }
      if (!changed)
        continue;
      g_byte_array_set_size (blob, 0);
      cohort_attrs_encode (blob, (CohortAttrEntry *) entries->data, entries->len);
      g_array_append_vals (ordinals, &(gint64) { sqlite3_column_int64 (stmt, 0) }, 1);
      g_ptr_array_add (blobs, g_bytes_new (blob->data, blob->len));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return cohort_workspace_db_error (ws, error, _("reading customers"));

  for (guint i = 0; i < ordinals->len; i++)
    {
      GBytes *bytes = g_ptr_array_index (blobs, i);
      gsize len;
      gconstpointer data = g_bytes_get_data (bytes, &len);

      stmt = cohort_workspace_prepare (ws, "UPDATE customers SET attrs = ? WHERE ordinal = ?", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_blob (stmt, 1, data, (int) len, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, g_array_index (ordinals, gint64, i));
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return cohort_workspace_db_error (ws, error, _("updating customers"));
    }
  return TRUE;
}

gboolean
cohort_attributes_set_type (CohortWorkspace  *ws,
                            const char       *name,
                            CohortAttrType    type,
                            GError          **error)
{
  g_autoptr(CohortAttribute) attr = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (!cohort_workspace_begin (ws, error))
    return FALSE;
  attr = cohort_attributes_get (ws, name, error);
  if (attr == NULL)
    goto fail;
  if (attr->type == type)
    {
      cohort_workspace_rollback (ws);
      return TRUE;
    }
  stmt = cohort_workspace_prepare (ws, "UPDATE attributes SET type = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, cohort_attr_type_to_string (type), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, attr->id);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("changing an attribute’s type"));
      goto fail;
    }
  /* Converting may rewrite every customer: one stamp renewal, not one per row. */
  if (type == COHORT_ATTR_TIMESTAMP &&
      (!cohort_workspace_suspend_stamp_triggers (ws, COHORT_STAMP_CUSTOMERS_MASK, error) ||
       !convert_to_timestamps (ws, attr->id, error)))
    goto fail;
  if (!cohort_workspace_note_change (ws, COHORT_CHANGE_CUSTOMERS, error) ||
      !cohort_workspace_commit (ws, error))
    goto fail_committed;
  return TRUE;

fail:
  cohort_workspace_rollback (ws);
  return FALSE;

fail_committed:
  if (cohort_workspace_in_transaction (ws))
    cohort_workspace_rollback (ws);
  return FALSE;
}
