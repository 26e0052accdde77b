/* cohort-customer-order.c: the customers in the order of one of their fields
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cohort-column-private.h"
#include "cohort-customer-order.h"
#include "cohort-value.h"

/* A dictionary entry and its sort key: a number made orderable as an
 * unsigned integer, a boolean, or eight bytes of text. */
typedef struct
{
  guint64 key;
  guint32 code;
} Pair;

/* Below this, a comparison sort beats the radix passes. */
#define SMALL_RUN 48

static inline guint8
fold_byte (guint8 b)
{
  /* SQLite's NOCASE: only ASCII upper case letters fold. */
  return b >= 'A' && b <= 'Z' ? (guint8) (b + 32) : b;
}

static inline guint64
number_key (double d)
{
  guint64 u;

  if (d == 0)
    d = 0;   /* -0 and +0 are one value */
  memcpy (&u, &d, sizeof u);
  /* Negative numbers: all bits flipped; positive: the sign bit set. */
  return (u >> 63) ? ~u : (u | G_GUINT64_CONSTANT (0x8000000000000000));
}

/* LSD radix sort of @n pairs by key, stable; @tmp holds @n pairs. Digits
 * every key shares are skipped. */
static void
radix_sort (Pair  *a,
            Pair  *tmp,
            gsize  n)
{
  g_autofree gsize *counts = NULL;
  Pair *from = a, *to = tmp;

  if (n < 2)
    return;

  counts = g_new0 (gsize, 8 * 256);
  for (gsize i = 0; i < n; i++)
    for (guint d = 0; d < 8; d++)
      counts[d * 256 + ((a[i].key >> (d * 8)) & 0xff)]++;

  for (guint d = 0; d < 8; d++)
    {
      gsize *c = counts + d * 256;
      gsize sum = 0;
      Pair *swap;

      if (c[(a[0].key >> (d * 8)) & 0xff] == n)
        continue;   /* one bucket: nothing to do */
      for (guint b = 0; b < 256; b++)
        {
          gsize k = c[b];

          c[b] = sum;
          sum += k;
        }
      for (gsize i = 0; i < n; i++)
        to[c[(from[i].key >> (d * 8)) & 0xff]++] = from[i];
      swap = from;
      from = to;
      to = swap;
    }
  if (from != a)
    memcpy (a, from, n * sizeof (Pair));
}

typedef struct
{
  const CohortColumn *column;
  gboolean            fold;    /* NOCASE */
  gsize               depth;   /* bytes every string of the run shares */
} TextSort;

static int
compare_text_from (const TextSort *t,
                   guint32         a,
                   guint32         b,
                   gsize           depth)
{
  const guint8 *sa = (const guint8 *) cohort_column_entry (t->column, a, NULL) + depth;
  const guint8 *sb = (const guint8 *) cohort_column_entry (t->column, b, NULL) + depth;

  if (!t->fold)
    return strcmp ((const char *) sa, (const char *) sb);
  for (;; sa++, sb++)
    {
      guint8 ca = fold_byte (*sa), cb = fold_byte (*sb);

      if (ca != cb)
        return ca < cb ? -1 : 1;
      if (ca == 0)
        return 0;
    }
}

static int
compare_pairs_text (gconstpointer a,
                    gconstpointer b,
                    gpointer      user_data)
{
  const TextSort *t = user_data;
  const Pair *pa = a, *pb = b;

  return compare_text_from (t, pa->code, pb->code, t->depth);
}

/* Eight bytes of entry @code from byte @depth on, big-endian, zero-padded:
 * as integers these order as the bytes do. */
static inline guint64
text_key (const TextSort *t,
          guint32         code,
          gsize           depth)
{
  gsize len;
  const guint8 *s = (const guint8 *) cohort_column_entry (t->column, code, &len);
  guint64 key = 0;

  for (gsize i = 0; i < 8; i++)
    {
      guint8 b = depth + i < len ? s[depth + i] : 0;

      key = (key << 8) | (t->fold ? fold_byte (b) : b);
    }
  return key;
}

/* Sorts text entries eight bytes at a time (radix), then each run sharing
 * those bytes on the next eight; small runs by comparison. */
static void
sort_text (TextSort *t,
           Pair     *a,
           Pair     *tmp,
           gsize     n,
           gsize     depth)
{
  if (n < 2)
    return;
  if (n <= SMALL_RUN)
    {
      t->depth = depth;
      g_qsort_with_data (a, (gint) n, sizeof (Pair), compare_pairs_text, t);
      return;
    }

  for (gsize i = 0; i < n; i++)
    a[i].key = text_key (t, a[i].code, depth);
  radix_sort (a, tmp, n);

  for (gsize i = 0; i < n; )
    {
      gsize j = i + 1;

      while (j < n && a[j].key == a[i].key)
        j++;
      /* Strings cannot hold NUL: a last byte set means there may be more. */
      if (j - i > 1 && (a[i].key & 0xff) != 0)
        sort_text (t, a + i, tmp + i, j - i, depth + 8);
      i = j;
    }
}

typedef enum
{
  CLASS_NUMBER,
  CLASS_BOOLEAN,
  CLASS_TEXT,
  N_CLASSES
} EntryClass;

static EntryClass
entry_class (const CohortColumn *column,
             guint32             code,
             guint64            *key)
{
  guint8 f = column->flags[code];

  if (column->kind != COHORT_COLUMN_ATTRIBUTE)
    return CLASS_TEXT;
  if (f & COHORT_ENTRY_NUMBER)
    {
      *key = number_key (column->numbers[code]);
      return CLASS_NUMBER;
    }
  if (f & COHORT_ENTRY_TIMESTAMP)
    {
      /* ISO 8601 text: its instant, on the axis of Unix seconds. */
      *key = number_key ((double) column->timestamps[code]);
      return CLASS_NUMBER;
    }
  if (f & (COHORT_ENTRY_TRUE | COHORT_ENTRY_FALSE))
    {
      *key = (f & COHORT_ENTRY_TRUE) ? 1 : 0;
      return CLASS_BOOLEAN;
    }
  return CLASS_TEXT;
}

/* The rank of every entry of @column in ascending order of value (equal
 * values share a rank; entry 0, missing, gets *n_ranks). NULL when
 * cancelled. */
static guint32 *
rank_entries (const CohortColumn *column,
              guint32            *n_ranks,
              GCancellable       *cancellable)
{
  guint32 n = column->n_entries > 0 ? column->n_entries - 1 : 0;
  g_autofree Pair *pairs = g_new (Pair, MAX (n, 1));
  g_autofree Pair *tmp = g_new (Pair, MAX (n, 1));
  g_autofree guint8 *classes = g_new (guint8, MAX (n, 1));
  gsize starts[N_CLASSES + 1] = { 0 };
  TextSort text = { column, column->kind == COHORT_COLUMN_EMAIL, 0 };
  guint32 *ranks = g_new (guint32, MAX (column->n_entries, 1));
  guint32 rank = 0;

  /* Partition the entries by class (numbers, booleans, text), each in
   * entry order. */
  for (guint32 code = 1; code <= n; code++)
    {
      guint64 key = 0;
      EntryClass c = entry_class (column, code, &key);

      classes[code - 1] = (guint8) c;
      pairs[code - 1].key = key;
      pairs[code - 1].code = code;
      starts[c + 1]++;
    }
  for (guint c = 0; c < N_CLASSES; c++)
    starts[c + 1] += starts[c];
  {
    gsize fill[N_CLASSES];

    memcpy (fill, starts, sizeof fill);
    for (guint32 i = 0; i < n; i++)
      tmp[fill[classes[i]]++] = pairs[i];
    memcpy (pairs, tmp, n * sizeof (Pair));
  }

  radix_sort (pairs + starts[CLASS_NUMBER], tmp, starts[CLASS_NUMBER + 1] - starts[CLASS_NUMBER]);
  radix_sort (pairs + starts[CLASS_BOOLEAN], tmp, starts[CLASS_BOOLEAN + 1] - starts[CLASS_BOOLEAN]);
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_free (ranks);
      return NULL;
    }
  sort_text (&text, pairs + starts[CLASS_TEXT], tmp, starts[CLASS_TEXT + 1] - starts[CLASS_TEXT], 0);

  /* Ranks: a new one wherever the value changes. */
  for (gsize i = 0; i < n; i++)
    {
      if (i > 0)
        {
          gboolean same;

          if (i == starts[CLASS_BOOLEAN] || i == starts[CLASS_TEXT])
            same = FALSE;
          else if (i >= starts[CLASS_TEXT])
            same = compare_text_from (&text, pairs[i - 1].code, pairs[i].code, 0) == 0;
          else
            same = pairs[i - 1].key == pairs[i].key;
          if (!same)
            rank++;
        }
      ranks[pairs[i].code] = rank;
    }
  *n_ranks = n > 0 ? rank + 1 : 0;
  ranks[0] = *n_ranks;
  return ranks;
}

/* The customers whose id or email contains @search, within @universe. */
static CohortBitmap *
search_customers (CohortColumnIndex   *index,
                  const char          *search,
                  const CohortBitmap  *universe,
                  GError             **error)
{
  const char *fields[] = { "id", "email" };
  CohortBitmap *found = cohort_bitmap_new (universe->n_bits);
  g_autofree char *folded = cohort_value_fold (search, -1);
  CohortCondition condition = { 0 };

  condition.op = COHORT_OP_CONTAINS;
  condition.folded = folded;

  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    {
      const CohortColumn *column = NULL;
      g_autofree guint8 *matches = NULL;

      if (!cohort_column_index_get_column (index, fields[f], &column, error))
        {
          cohort_bitmap_free (found);
          return NULL;
        }
      if (column == NULL)
        continue;

      /* Each distinct id or email once, then a pass over the codes. */
      matches = cohort_condition_match_entries (&condition, column, 0);
      for (gsize w = 0; w < universe->n_words; w++)
        {
          guint64 bits = universe->words[w] & ~found->words[w];
          guint64 hit = 0;

          while (bits != 0)
            {
              guint b = (guint) __builtin_ctzll (bits);
              guint32 o = (guint32) (w * 64 + b);

              bits &= bits - 1;
              if (matches[column->codes[o]])
                hit |= G_GUINT64_CONSTANT (1) << b;
            }
          found->words[w] |= hit;
        }
    }
  return found;
}

/* Calls @body with the ordinal @o for every bit set in @set, in ascending
 * order or descending. */
#define FOR_EACH_ORDINAL(set, descending, o, body)                               \
  G_STMT_START {                                                                 \
    for (gsize _i = 0; _i < (set)->n_words; _i++)                                \
      {                                                                          \
        gsize _w = (descending) ? (set)->n_words - 1 - _i : _i;                  \
        guint64 _bits = (set)->words[_w];                                        \
        while (_bits != 0)                                                       \
          {                                                                      \
            guint _b;                                                            \
            guint32 o;                                                           \
            if (descending)                                                      \
              {                                                                  \
                _b = 63 - (guint) __builtin_clzll (_bits);                       \
                _bits &= ~(G_GUINT64_CONSTANT (1) << _b);                        \
              }                                                                  \
            else                                                                 \
              {                                                                  \
                _b = (guint) __builtin_ctzll (_bits);                            \
                _bits &= _bits - 1;                                              \
              }                                                                  \
            o = (guint32) (_w * 64 + _b);                                        \
            body;                                                                \
          }                                                                      \
      }                                                                          \
  } G_STMT_END

GArray *
cohort_customer_order (CohortColumnIndex  *index,
                       const char         *field,
                       gboolean            descending,
                       const char         *search,
                       GCancellable       *cancellable,
                       GError            **error)
{
  const CohortBitmap *universe;
  g_autoptr(CohortBitmap) found = NULL;
  const CohortBitmap *keep;
  const CohortColumn *column = NULL;
  g_autofree guint32 *ranks = NULL;
  g_autofree guint32 *starts = NULL;
  guint32 n_ranks = 0;
  guint64 n_keep;
  GArray *order;
  guint32 *out;

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  descending = !!descending;
  universe = cohort_column_index_get_universe (index);
  keep = universe;

  if (search != NULL && search[0] != '\0')
    {
      found = search_customers (index, search, universe, error);
      if (found == NULL)
        return NULL;
      keep = found;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if (field != NULL && !cohort_column_index_get_column (index, field, &column, error))
    return NULL;

  n_keep = cohort_bitmap_popcount (keep);
  order = g_array_sized_new (FALSE, FALSE, sizeof (guint32), (guint) n_keep);
  g_array_set_size (order, (guint) n_keep);
  out = (guint32 *) (void *) order->data;

  if (column == NULL)
    {
      /* No field, or nobody has it: the order they were added in. */
      gsize i = 0;

      FOR_EACH_ORDINAL (keep, descending, o, out[i++] = o);
      return order;
    }

  ranks = rank_entries (column, &n_ranks, cancellable);
  if (ranks == NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      g_array_unref (order);
      return NULL;
    }
  if (descending)
    for (guint32 code = 1; code < column->n_entries; code++)
      ranks[code] = n_ranks - 1 - ranks[code];   /* missing stays last */

  /* Counting sort by rank; ordinals visited in order keep ties in it. */
  starts = g_new0 (guint32, (gsize) n_ranks + 2);
  {
    const guint32 *codes = column->codes;

    FOR_EACH_ORDINAL (keep, FALSE, o, starts[ranks[codes[o]] + 1]++);
    for (guint32 r = 0; r <= n_ranks; r++)
      starts[r + 1] += starts[r];
    FOR_EACH_ORDINAL (keep, descending, o, out[starts[ranks[codes[o]]]++] = o);
  }
  return order;
}

GArray *
cohort_customer_order_for_db (sqlite3       *db,
                              const char    *path,
                              const char    *field,
                              gboolean       descending,
                              const char    *search,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  for (int attempt = 0; ; attempt++)
    {
      g_autoptr(CohortColumnIndex) index = NULL;
      g_autoptr(GError) local_error = NULL;
      GArray *order;

      index = cohort_column_index_ensure_for_db (db, path, cancellable, error);
      if (index == NULL)
        return NULL;
      order = cohort_customer_order (index, field, descending, search, cancellable, &local_error);
      if (order != NULL)
        return order;
      /* A damaged index file: drop it and build afresh from SQLite, once. */
      if (attempt == 0 && g_error_matches (local_error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_DAMAGED))
        {
          g_debug ("%s", local_error->message);
          cohort_column_index_forget (path, TRUE);
          continue;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
}
