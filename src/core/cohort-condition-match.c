/* cohort-condition-match.c: one attribute condition over one column
 *
 * A condition is decided once per distinct value of its column (a byte per
 * dictionary entry), then one pass over the column's codes gives the
 * bitmap; with few candidates, only their entries are decided. Shared by
 * the evaluator and the event index ("where" conditions).
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Query"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-column-private.h"
#include "cohort-value.h"

/* A condition, ready to be decided for one dictionary entry. */
typedef struct
{
  CohortOperator         op;
  gboolean               negate;       /* neq, not_in, not_contains */
  const CohortCondition *cond;
  gsize                 *lens;         /* of the scalars */
  const char            *needle;       /* folded */
  gsize                  needle_len;
  gboolean               needle_ascii;
  double                 lo, hi;       /* numbers: inclusive unless strict */
  gint64                 ts_lo, ts_hi; /* timestamps: inclusive */
  /* matches: each value may stop the scan (match limit, cancellation). */
  GCancellable          *cancellable;
  GError                *error;        /* set: the scan failed */
} Pred;

static const guint8 *
lower_table (void)
{
  static guint8 table[256];
  static gsize ready = 0;

  if (g_once_init_enter (&ready))
    {
      for (guint i = 0; i < 256; i++)
        table[i] = (guint8) (i >= 'A' && i <= 'Z' ? i + 32 : i);
      g_once_init_leave (&ready, 1);
    }
  return table;
}

static void
pred_init (Pred *p, const CohortCondition *cond, gint64 now, GCancellable *cancellable)
{
  memset (p, 0, sizeof *p);
  p->cancellable = cancellable;
  p->op = cond->op;
  p->cond = cond;
  p->ts_lo = G_MININT64;
  p->ts_hi = G_MAXINT64;
  switch (cond->op)
    {
    case COHORT_OP_NEQ:
    case COHORT_OP_NOT_IN:
    case COHORT_OP_NOT_CONTAINS:
      p->negate = TRUE;
      break;
    default:
      break;
    }
  if (cond->n_scalars > 0)
    {
      p->lens = g_new0 (gsize, cond->n_scalars);
      for (guint k = 0; k < cond->n_scalars; k++)
        p->lens[k] = strlen (cond->scalars[k].text);
    }
  if (cond->folded != NULL)
    {
      p->needle = cond->folded;
      p->needle_len = strlen (cond->folded);
      p->needle_ascii = TRUE;
      for (gsize i = 0; i < p->needle_len; i++)
        if ((guchar) p->needle[i] >= 0x80)
          p->needle_ascii = FALSE;
    }
  switch (cond->op)
    {
    case COHORT_OP_BEFORE: p->ts_hi = cond->timestamp - 1; break;
    case COHORT_OP_AFTER: p->ts_lo = cond->timestamp + 1; break;
    case COHORT_OP_WITHIN_LAST: p->ts_lo = now - cond->seconds; p->ts_hi = now; break;
    case COHORT_OP_MORE_THAN_AGO: p->ts_hi = now - cond->seconds - 1; break;
    case COHORT_OP_WITHIN_NEXT: p->ts_lo = now; p->ts_hi = now + cond->seconds; break;
    default: break;
    }
}

static void
pred_clear (Pred *p)
{
  g_free (p->lens);
  g_clear_error (&p->error);
}

/* "matches" on one value. A failure of the regex engine (its match limit,
 * a JIT stack limit) is not a non-match: it stops the scan with
 * COHORT_CRITERIA_ERROR_TOO_COMPLEX (the path is added by the caller).
 * Each value can cost up to COHORT_REGEX_MATCH_LIMIT steps, so
 * cancellation is checked before every one. */
static gboolean
regex_entry (Pred *p, const char *s, gsize len)
{
  g_autoptr(GError) local_error = NULL;

  if (p->error != NULL)
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (p->cancellable, &p->error))
    return FALSE;
  if (g_regex_match_full (p->cond->regex, s, (gssize) len, 0, 0, NULL, &local_error))
    return TRUE;
  if (local_error != NULL)
    {
      /* Data edited by other programs may be anything: valid UTF-8 first. */
      g_autofree char *valid = g_utf8_make_valid (s, (gssize) len);
      g_autofree char *shown = NULL;

      if (g_utf8_strlen (valid, -1) > 24)
        {
          g_autofree char *cut = g_utf8_substring (valid, 0, 24);
          shown = g_strconcat (cut, "…", NULL);
        }
      else
        shown = g_steal_pointer (&valid);
      g_debug ("%s", local_error->message);
      g_set_error (&p->error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_COMPLEX,
                   _("the pattern is too complex to match “%s” (it backtracks too much: "
                     "avoid nested repetition such as (a+)+)"), shown);
    }
  return FALSE;
}

static inline gboolean
scalar_eq (const CohortScalar *v, gsize v_len, const CohortColumn *c, guint32 code)
{
  guint8 f = c->flags[code];

  /* spec/criteria.md: numbers when both sides read as numbers, else text,
   * case-sensitive; a JSON boolean is the text "true" or "false" (is_true
   * and is_false are the lenient operators). */
  if (v->is_number)
    return (f & COHORT_ENTRY_NUMBER) != 0 && c->numbers[code] == v->number;
  return c->offsets[code + 1] - c->offsets[code] - 1 == v_len &&
         memcmp (c->pool + c->offsets[code], v->text, v_len) == 0;
}

/* ASCII case-insensitive: @needle is already lower case. */
static inline gboolean
ascii_equal_fold (const guint8 *lower, const char *s, const char *needle, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (lower[(guchar) s[i]] != (guchar) needle[i])
      return FALSE;
  return TRUE;
}

static gboolean
text_match (const Pred *p, const char *s, gsize len)
{
  const guint8 *lower = lower_table ();
  const char *needle = p->needle;
  gsize n = p->needle_len;

  if (n > len)
    return FALSE;
  switch (p->op)
    {
    case COHORT_OP_STARTS_WITH:
      return ascii_equal_fold (lower, s, needle, n);
    case COHORT_OP_ENDS_WITH:
      return ascii_equal_fold (lower, s + len - n, needle, n);
    default:
      if (n == 0)
        return TRUE;
      for (gsize i = 0; i + n <= len; i++)
        if (lower[(guchar) s[i]] == (guchar) needle[0] && ascii_equal_fold (lower, s + i, needle, n))
          return TRUE;
      return FALSE;
    }
}

/* Does dictionary entry @code (not 0) match? */
static gboolean
pred_entry (Pred *p, const CohortColumn *c, guint32 code)
{
  const CohortCondition *cond = p->cond;
  guint8 f = c->flags[code];

  switch (p->op)
    {
    case COHORT_OP_EQ:
    case COHORT_OP_NEQ:
    case COHORT_OP_IN:
    case COHORT_OP_NOT_IN:
      for (guint k = 0; k < cond->n_scalars; k++)
        if (scalar_eq (&cond->scalars[k], p->lens[k], c, code))
          return !p->negate;
      return p->negate;

    case COHORT_OP_EXISTS:
      return TRUE;
    case COHORT_OP_NOT_EXISTS:
      return FALSE;

    case COHORT_OP_CONTAINS:
    case COHORT_OP_NOT_CONTAINS:
    case COHORT_OP_STARTS_WITH:
    case COHORT_OP_ENDS_WITH:
      {
        gsize len;
        const char *s = cohort_column_entry (c, code, &len);
        gboolean hit;

        if (f & COHORT_ENTRY_ASCII)
          /* Folding ASCII gives ASCII: a needle with other bytes cannot match. */
          hit = p->needle_ascii && text_match (p, s, len);
        else
          {
            g_autofree char *folded = cohort_value_fold (s, (gssize) len);
            gsize flen = strlen (folded);

            if (p->op == COHORT_OP_STARTS_WITH)
              hit = flen >= p->needle_len && memcmp (folded, p->needle, p->needle_len) == 0;
            else if (p->op == COHORT_OP_ENDS_WITH)
              hit = flen >= p->needle_len && memcmp (folded + flen - p->needle_len, p->needle, p->needle_len) == 0;
            else
              hit = p->needle_len == 0 || strstr (folded, p->needle) != NULL;
          }
        return hit != p->negate;
      }

    case COHORT_OP_MATCHES:
      {
        gsize len;
        const char *s = cohort_column_entry (c, code, &len);

        return regex_entry (p, s, len);
      }

    case COHORT_OP_GT:
      return (f & COHORT_ENTRY_NUMBER) && c->numbers[code] > cond->low;
    case COHORT_OP_GTE:
      return (f & COHORT_ENTRY_NUMBER) && c->numbers[code] >= cond->low;
    case COHORT_OP_LT:
      return (f & COHORT_ENTRY_NUMBER) && c->numbers[code] < cond->low;
    case COHORT_OP_LTE:
      return (f & COHORT_ENTRY_NUMBER) && c->numbers[code] <= cond->low;
    case COHORT_OP_BETWEEN:
      return (f & COHORT_ENTRY_NUMBER) && c->numbers[code] >= cond->low && c->numbers[code] <= cond->high;

    case COHORT_OP_IS_TRUE:
      return (f & COHORT_ENTRY_TRUE) != 0;
    case COHORT_OP_IS_FALSE:
      return (f & COHORT_ENTRY_FALSE) != 0;

    case COHORT_OP_BEFORE:
    case COHORT_OP_AFTER:
    case COHORT_OP_WITHIN_LAST:
    case COHORT_OP_MORE_THAN_AGO:
    case COHORT_OP_WITHIN_NEXT:
      return (f & COHORT_ENTRY_TIMESTAMP) && c->timestamps[code] >= p->ts_lo && c->timestamps[code] <= p->ts_hi;

    default:
      g_assert_not_reached ();
    }
}

/* One byte per entry (entry 0: missing): 1 when it matches; with
 * @needed, only the entries it marks are decided (the others read 0).
 * NULL with @error when a pattern is too complex for a value, or on
 * cancellation. */
static guint8 *
match_entries (const CohortCondition  *cond,
               const CohortColumn     *c,
               gint64                  now,
               const guint8           *needed,
               GCancellable           *cancellable,
               GError                **error)
{
  g_autofree guint8 *m = g_malloc0 (MAX (c->n_entries, 1));
  Pred p;

  pred_init (&p, cond, now, cancellable);
  m[0] = cohort_operator_matches_missing (cond->op);
  for (guint32 code = 1; code < c->n_entries && p.error == NULL; code++)
    if (needed == NULL || needed[code])
      m[code] = pred_entry (&p, c, code);
  if (p.error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&p.error));
      pred_clear (&p);
      return NULL;
    }
  pred_clear (&p);
  return g_steal_pointer (&m);
}

/* Dense: decide every entry once (a byte each), then one branch-free pass
 * over the codes: out = { o in mask : m[codes[o]] } */
static CohortBitmap *
scan_dense (const CohortCondition  *cond,
            const CohortColumn     *c,
            const CohortBitmap     *mask,
            gint64                  now,
            GCancellable           *cancellable,
            GError                **error)
{
  CohortBitmap *out;
  g_autofree guint8 *needed = NULL;
  g_autofree guint8 *m = NULL;
  const guint32 *codes = c->codes;
  gsize full = mask->n_bits / 64;

  /* A pattern costs far more than a pass over the candidates' codes, and
   * only their values may fail the count: decide just those. */
  if (cond->op == COHORT_OP_MATCHES)
    {
      needed = g_malloc0 (MAX (c->n_entries, 1));
      for (gsize w = 0; w < mask->n_words; w++)
        for (guint64 mw = mask->words[w]; mw != 0; mw &= mw - 1)
          needed[codes[w * 64 + (guint) __builtin_ctzll (mw)]] = 1;
    }
  m = match_entries (cond, c, now, needed, cancellable, error);
  if (m == NULL)
    return NULL;
  out = cohort_bitmap_new (mask->n_bits);

  for (gsize w = 0; w < full; w++)
    {
      guint64 mw = mask->words[w], bits = 0;
      const guint32 *cw = codes + w * 64;

      if (mw == 0)
        continue;
      for (guint b = 0; b < 64; b += 4)
        {
          bits |= (guint64) m[cw[b]] << b;
          bits |= (guint64) m[cw[b + 1]] << (b + 1);
          bits |= (guint64) m[cw[b + 2]] << (b + 2);
          bits |= (guint64) m[cw[b + 3]] << (b + 3);
        }
      out->words[w] = bits & mw;
    }
  if (full < mask->n_words)
    {
      guint64 mw = mask->words[full], bits = 0;

      for (guint b = 0; full * 64 + b < mask->n_bits; b++)
        bits |= (guint64) m[codes[full * 64 + b]] << b;
      out->words[full] = bits & mw;
    }
  return out;
}

/* Sparse: visit only the candidates, deciding each entry when first met. */
static CohortBitmap *
scan_sparse (Pred               *p,
             const CohortColumn *c,
             const CohortBitmap *mask)
{
  CohortBitmap *out = cohort_bitmap_new (mask->n_bits);
  g_autofree guint8 *memo = g_malloc0 (c->n_entries);   /* 0 unknown, 1 no, 2 yes */
  const guint32 *codes = c->codes;

  memo[0] = cohort_operator_matches_missing (p->op) ? 2 : 1;
  for (gsize w = 0; w < mask->n_words; w++)
    {
      guint64 mw = mask->words[w], bits = 0;

      while (mw != 0)
        {
          guint b = (guint) __builtin_ctzll (mw);
          guint32 code = codes[w * 64 + b];
          guint8 v = memo[code];

          if (v == 0)
            {
              v = memo[code] = pred_entry (p, c, code) ? 2 : 1;
              if (G_UNLIKELY (p->error != NULL))
                {
                  cohort_bitmap_free (out);
                  return NULL;
                }
            }
          if (v == 2)
            bits |= G_GUINT64_CONSTANT (1) << b;
          mw &= mw - 1;
        }
      out->words[w] = bits;
    }
  return out;
}

/* ------------------------------------------------------------------ */
/* cohort-column-private.h                                              */

CohortBitmap *
cohort_condition_match_column (const CohortCondition  *condition,
                               const CohortColumn     *column,
                               const CohortBitmap     *mask,
                               gint64                  now,
                               GCancellable           *cancellable,
                               GError                **error)
{
  CohortBitmap *out;
  guint64 n_candidates;
  Pred p;

  /* Deciding every entry costs n_entries and a pass over all codes;
   * visiting candidates costs a few steps each: pick the cheaper. */
  n_candidates = cohort_bitmap_popcount (mask);
  if (n_candidates * 4 < column->n_entries || n_candidates * 8 < mask->n_bits)
    {
      pred_init (&p, condition, now, cancellable);
      out = scan_sparse (&p, column, mask);
      if (out == NULL)
        g_propagate_error (error, g_steal_pointer (&p.error));
      pred_clear (&p);
      return out;
    }
  return scan_dense (condition, column, mask, now, cancellable, error);
}

/* For the event index (cohort-column-private.h). Only "matches" can
 * fail: a value too complex for the pattern counts as no match here, so
 * callers that may see patterns use cohort_condition_match_entries_full(). */
guint8 *
cohort_condition_match_entries (const CohortCondition *condition,
                                const CohortColumn    *column,
                                gint64                 now)
{
  g_autoptr(GError) error = NULL;
  guint8 *m = match_entries (condition, column, now, NULL, NULL, &error);

  if (m == NULL)
    {
      Pred p;

      g_debug ("%s", error->message);
      /* Decide again, a failure being a non-match. */
      m = g_malloc (MAX (column->n_entries, 1));
      pred_init (&p, condition, now, NULL);
      m[0] = cohort_operator_matches_missing (condition->op);
      for (guint32 code = 1; code < column->n_entries; code++)
        {
          m[code] = pred_entry (&p, column, code);
          g_clear_error (&p.error);
        }
      pred_clear (&p);
    }
  return m;
}

guint8 *
cohort_condition_match_entries_full (const CohortCondition  *condition,
                                     const CohortColumn     *column,
                                     gint64                  now,
                                     GCancellable           *cancellable,
                                     GError                **error)
{
  g_return_val_if_fail (condition != NULL, NULL);
  g_return_val_if_fail (column != NULL, NULL);
  return match_entries (condition, column, now, NULL, cancellable, error);
}
