/* cohort-bitmap.c: a dense set of customer ordinals
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cohort-bitmap.h"

G_DEFINE_BOXED_TYPE (CohortBitmap, cohort_bitmap, cohort_bitmap_copy, cohort_bitmap_free)

CohortBitmap *
cohort_bitmap_new (guint32 n_bits)
{
  CohortBitmap *self = g_new0 (CohortBitmap, 1);

  self->n_bits = n_bits;
  self->n_words = COHORT_BITMAP_WORDS (n_bits);
  /* At least one word, so that words is never NULL. */
  self->words = g_new0 (guint64, MAX (self->n_words, 1));
  return self;
}

CohortBitmap *
cohort_bitmap_new_from_words (const guint64 *words,
                              guint32        n_bits)
{
  CohortBitmap *self = cohort_bitmap_new (n_bits);

  if (self->n_words > 0)
    memcpy (self->words, words, self->n_words * sizeof (guint64));
  return self;
}

CohortBitmap *
cohort_bitmap_copy (const CohortBitmap *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return cohort_bitmap_new_from_words (self->words, self->n_bits);
}

void
cohort_bitmap_free (CohortBitmap *self)
{
  if (self == NULL)
    return;
  g_free (self->words);
  g_free (self);
}

void
cohort_bitmap_clear_all (CohortBitmap *self)
{
  memset (self->words, 0, self->n_words * sizeof (guint64));
}

void
cohort_bitmap_and (CohortBitmap       *self,
                   const CohortBitmap *other)
{
  g_return_if_fail (self->n_bits == other->n_bits);
  for (gsize i = 0; i < self->n_words; i++)
    self->words[i] &= other->words[i];
}

void
cohort_bitmap_or (CohortBitmap       *self,
                  const CohortBitmap *other)
{
  g_return_if_fail (self->n_bits == other->n_bits);
  for (gsize i = 0; i < self->n_words; i++)
    self->words[i] |= other->words[i];
}

void
cohort_bitmap_andnot (CohortBitmap       *self,
                      const CohortBitmap *other)
{
  g_return_if_fail (self->n_bits == other->n_bits);
  for (gsize i = 0; i < self->n_words; i++)
    self->words[i] &= ~other->words[i];
}

void
cohort_bitmap_not_within (CohortBitmap       *self,
                          const CohortBitmap *universe)
{
  g_return_if_fail (self->n_bits == universe->n_bits);
  for (gsize i = 0; i < self->n_words; i++)
    self->words[i] = universe->words[i] & ~self->words[i];
}

/* The popcnt instruction where the CPU has it (x86-64 baseline lacks it). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones ("popcnt", "default")))
#endif
guint64
cohort_bitmap_popcount (const CohortBitmap *self)
{
  guint64 n = 0;

  for (gsize i = 0; i < self->n_words; i++)
    n += (guint64) __builtin_popcountll (self->words[i]);
  return n;
}

gboolean
cohort_bitmap_is_empty (const CohortBitmap *self)
{
  for (gsize i = 0; i < self->n_words; i++)
    if (self->words[i] != 0)
      return FALSE;
  return TRUE;
}

gboolean
cohort_bitmap_equal (const CohortBitmap *a,
                     const CohortBitmap *b)
{
  return a->n_bits == b->n_bits &&
         (a->n_words == 0 || memcmp (a->words, b->words, a->n_words * sizeof (guint64)) == 0);
}

gint64
cohort_bitmap_next (const CohortBitmap *self,
                    gint64              from)
{
  gsize w;
  guint64 word;

  if (from < 0)
    from = 0;
  if (from >= (gint64) self->n_bits)
    return -1;
  w = (gsize) from >> 6;
  word = self->words[w] & (~G_GUINT64_CONSTANT (0) << (from & 63));
  for (;;)
    {
      if (word != 0)
        return (gint64) (w * 64 + (gsize) __builtin_ctzll (word));
      if (++w >= self->n_words)
        return -1;
      word = self->words[w];
    }
}
