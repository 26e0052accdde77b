/* cohort-test-customers.h: write customers straight into a workspace (tests)
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>
#include <glib.h>

#include "cohort-attrs.h"
#include "cohort-workspace.h"

/* The id of @name in @table (attributes or event_attributes), added when new. */
static inline guint32
test_named_id (CohortWorkspace *ws, const char *table, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *insert = g_strdup_printf ("INSERT OR IGNORE INTO %s (name) VALUES (?)", table);
  g_autofree char *select = g_strdup_printf ("SELECT id FROM %s WHERE name = ?", table);
  sqlite3_stmt *stmt;
  guint32 id;

  stmt = cohort_workspace_prepare (ws, insert, &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  stmt = cohort_workspace_prepare (ws, select, &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  id = (guint32) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return id;
}

static inline guint32
test_attribute_id (CohortWorkspace *ws, const char *name)
{
  return test_named_id (ws, "attributes", name);
}

/* Inserts (or replaces) customer @ordinal; @attrs is "name", "value", ...
 * NULL-terminated. Call inside a transaction; notes the change. */
static inline void
test_put_customer (CohortWorkspace    *ws,
                   gint64              ordinal,
                   const char         *id,
                   const char         *email,
                   const char * const *attrs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) blob = g_byte_array_new ();
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  sqlite3_stmt *stmt;

  for (guint i = 0; attrs != NULL && attrs[i] != NULL; i += 2)
    {
      CohortAttrEntry e;

      e.attr = test_attribute_id (ws, attrs[i]);
      e.value = attrs[i + 1];
      e.len = strlen (attrs[i + 1]);
      g_array_append_val (entries, e);
    }
  cohort_attrs_encode (blob, (CohortAttrEntry *) entries->data, entries->len);
  stmt = cohort_workspace_prepare (ws, "INSERT OR REPLACE INTO customers (ordinal, id, email, attrs, added_at, modified_at) "
                                       "VALUES (?, ?, ?, ?, 0, 0)", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, ordinal);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, email, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob (stmt, 4, blob->data, (int) blob->len, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  cohort_workspace_note_change (ws, COHORT_CHANGE_CUSTOMERS, &error);
  g_assert_no_error (error);
}
