/* cohort-bitmap.h: a dense set of customer ordinals
 *
 * One bit per ordinal in 64-bit words. Membership of a segment, the set of
 * existing customers (the universe) and every intermediate result of the
 * evaluator are bitmaps of the same size.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _CohortBitmap CohortBitmap;

struct _CohortBitmap
{
  guint64 *words;
  gsize    n_words;
  guint32  n_bits;
};

#define COHORT_TYPE_BITMAP (cohort_bitmap_get_type ())
GType          cohort_bitmap_get_type     (void);

#define COHORT_BITMAP_WORDS(n_bits) (((gsize) (n_bits) + 63) / 64)

/* All bits clear. */
CohortBitmap  *cohort_bitmap_new          (guint32             n_bits);
/* A bitmap over @n_bits bits copied from @words (COHORT_BITMAP_WORDS (n_bits) words). */
CohortBitmap  *cohort_bitmap_new_from_words (const guint64    *words,
                                             guint32           n_bits);
CohortBitmap  *cohort_bitmap_copy         (const CohortBitmap *self);
void           cohort_bitmap_free         (CohortBitmap       *self);

static inline gboolean
cohort_bitmap_get (const CohortBitmap *self,
                   guint32             bit)
{
  return bit < self->n_bits && ((self->words[bit >> 6] >> (bit & 63)) & 1) != 0;
}

static inline void
cohort_bitmap_set (CohortBitmap *self,
                   guint32       bit)
{
  if (bit < self->n_bits)
    self->words[bit >> 6] |= G_GUINT64_CONSTANT (1) << (bit & 63);
}

static inline void
cohort_bitmap_unset (CohortBitmap *self,
                     guint32       bit)
{
  if (bit < self->n_bits)
    self->words[bit >> 6] &= ~(G_GUINT64_CONSTANT (1) << (bit & 63));
}

void           cohort_bitmap_clear_all    (CohortBitmap       *self);

/* In place, on bitmaps of the same size: self = self OP other. */
void           cohort_bitmap_and          (CohortBitmap       *self,
                                           const CohortBitmap *other);
void           cohort_bitmap_or           (CohortBitmap       *self,
                                           const CohortBitmap *other);
void           cohort_bitmap_andnot       (CohortBitmap       *self,
                                           const CohortBitmap *other);
/* self = universe AND NOT self */
void           cohort_bitmap_not_within   (CohortBitmap       *self,
                                           const CohortBitmap *universe);

guint64        cohort_bitmap_popcount     (const CohortBitmap *self);
gboolean       cohort_bitmap_is_empty     (const CohortBitmap *self);
gboolean       cohort_bitmap_equal        (const CohortBitmap *a,
                                           const CohortBitmap *b);

/* The first set bit at or after @from, or -1. Iterate with
 * for (i = next (b, 0); i >= 0; i = next (b, i + 1)). */
gint64         cohort_bitmap_next         (const CohortBitmap *self,
                                           gint64              from);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortBitmap, cohort_bitmap_free)

G_END_DECLS
