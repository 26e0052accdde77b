/* cohort-customer-order.h: the customers in the order of one of their fields
 *
 * For lists sorted by a column the user picked: the ordinals of the existing
 * customers (optionally only those whose id or email contains a search
 * text), ordered by the value of a field, from the column index alone.
 *
 * The distinct values of the field are sorted once and ranked, then one
 * counting pass orders the customers by (rank, ordinal), so a million
 * customers cost a pass over their codes rather than a million string
 * comparisons.
 *
 * Order of values, ascending:
 *  - attributes: numbers by value (and values that only read as a time, such
 *    as ISO 8601 text, by their instant on the same axis, which is Unix
 *    seconds), then booleans (false before true), then other text by byte
 *    order (case-sensitive, as SQLite's default collation);
 *  - "id": text by byte order; "email": text ignoring ASCII case (the
 *    column's NOCASE collation), so both agree with cohort_customers_find();
 *  - customers without a value come last, in either direction.
 * Equal values are ordered by ordinal, ascending, or descending when the
 * order is: descending is the exact reverse of ascending, except that the
 * customers without a value stay last (as cohort_customers_find() does).
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "cohort-column-index.h"

G_BEGIN_DECLS

/* A GArray of guint32 ordinals in display order. @field: "id", "email", an
 * attribute name, or NULL for the order the customers were added in; a
 * field no customer has puts everyone in that order too. @search: keep only
 * the customers whose id or email contains it (case-insensitively, as the
 * "contains" operator of criteria); NULL or "" for all. */
GArray *cohort_customer_order        (CohortColumnIndex  *index,
                                      const char         *field,
                                      gboolean            descending,
                                      const char         *search,
                                      GCancellable       *cancellable,
                                      GError            **error);

/* The same over a connection to the workspace at @path (worker threads,
 * each with their own connection): takes the up-to-date index, and
 * rebuilds a damaged index file once. */
GArray *cohort_customer_order_for_db (sqlite3            *db,
                                      const char         *path,
                                      const char         *field,
                                      gboolean            descending,
                                      const char         *search,
                                      GCancellable       *cancellable,
                                      GError            **error);

G_END_DECLS
