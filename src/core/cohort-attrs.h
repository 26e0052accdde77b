/* cohort-attrs.h: the compact attribute blob stored with each customer
 *
 * customers.attrs holds the customer's attributes as a sequence of
 *   varint attribute-id (attributes.id), varint byte-length, UTF-8 bytes
 * sorted by attribute id, one entry per attribute with a value. Values are
 * the text as imported (after type conversion: timestamps as Unix seconds).
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint32     attr;     /* attributes.id (or event_attributes.id for events) */
  const char *value;    /* not NUL-terminated when read from a blob */
  gsize       len;
} CohortAttrEntry;

/* Appends the encoding of @entries (any order; sorted here, later duplicates win). */
void        cohort_attrs_encode   (GByteArray            *out,
                                   CohortAttrEntry       *entries,
                                   guint                  n_entries);
/* Appends CohortAttrEntry items pointing into @blob to @out; FALSE if malformed. */
gboolean    cohort_attrs_decode   (const guint8          *blob,
                                   gsize                  len,
                                   GArray                *out);
/* The value of @attr in @blob, or NULL (then *value_len is 0). */
const char *cohort_attrs_lookup   (const guint8          *blob,
                                   gsize                  len,
                                   guint32                attr,
                                   gsize                 *value_len);

/* Low level, for readers that walk blobs themselves. */
gboolean    cohort_varint_get     (const guint8         **p,
                                   const guint8          *end,
                                   guint64               *value);

G_END_DECLS
