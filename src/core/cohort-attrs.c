/* cohort-attrs.c: the compact attribute blob stored with each customer
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cohort-attrs.h"

static gsize
cohort_varint_put (guint8  *out,
                   guint64  value)
{
  gsize n = 0;

  while (value >= 0x80)
    {
      out[n++] = (guint8) (value | 0x80);
      value >>= 7;
    }
  out[n++] = (guint8) value;
  return n;
}

gboolean
cohort_varint_get (const guint8 **p,
                   const guint8  *end,
                   guint64       *value)
{
  guint64 v = 0;
  guint shift = 0;

  while (*p < end && shift < 64)
    {
      guint8 b = *(*p)++;

      v |= (guint64) (b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        {
          *value = v;
          return TRUE;
        }
      shift += 7;
    }
  return FALSE;
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  const CohortAttrEntry *ea = a;
  const CohortAttrEntry *eb = b;

  return ea->attr < eb->attr ? -1 : ea->attr > eb->attr ? 1 : 0;
}

void
cohort_attrs_encode (GByteArray      *out,
                     CohortAttrEntry *entries,
                     guint            n_entries)
{
  /* A stable sort keeps the input order among equal ids: the last one wins. */
  g_qsort_with_data (entries, n_entries, sizeof *entries,
                     compare_entries, NULL);

  for (guint i = 0; i < n_entries; i++)
    {
      guint8 head[20];
      gsize n;

      if (i + 1 < n_entries && entries[i + 1].attr == entries[i].attr)
        continue;
      n = cohort_varint_put (head, entries[i].attr);
      n += cohort_varint_put (head + n, entries[i].len);
      g_byte_array_append (out, head, n);
      if (entries[i].len > 0)
        g_byte_array_append (out, (const guint8 *) entries[i].value, entries[i].len);
    }
}

gboolean
cohort_attrs_decode (const guint8 *blob,
                     gsize         len,
                     GArray       *out)
{
  const guint8 *p = blob;
  const guint8 *end = blob + len;

  while (p < end)
    {
      CohortAttrEntry e;
      guint64 attr, vlen;

      if (!cohort_varint_get (&p, end, &attr) ||
          !cohort_varint_get (&p, end, &vlen) ||
          attr > G_MAXUINT32 || vlen > (guint64) (end - p))
        return FALSE;
      e.attr = (guint32) attr;
      e.value = (const char *) p;
      e.len = (gsize) vlen;
      g_array_append_val (out, e);
      p += vlen;
    }
  return TRUE;
}

const char *
cohort_attrs_lookup (const guint8 *blob,
                     gsize         len,
                     guint32       attr,
                     gsize        *value_len)
{
  const guint8 *p = blob;
  const guint8 *end = blob + len;

  *value_len = 0;
  while (p < end)
    {
      guint64 a, vlen;

      if (!cohort_varint_get (&p, end, &a) ||
          !cohort_varint_get (&p, end, &vlen) ||
          vlen > (guint64) (end - p))
        return NULL;
      if (a == attr)
        {
          *value_len = (gsize) vlen;
          return (const char *) p;
        }
      if (a > attr)
        return NULL;
      p += vlen;
    }
  return NULL;
}
