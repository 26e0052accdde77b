/* cohort-evaluator.c: criteria + column index → members
 *
 * Every node is evaluated as "its matches within a mask": an and-group
 * narrows the mask child by child, so later conditions scan only the words
 * where candidates remain. An attribute condition is decided once per
 * distinct value of its column (a byte per dictionary entry), then one pass
 * over the column's codes gives the bitmap.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-column-private.h"
#include "cohort-evaluator.h"
#include "cohort-event-index.h"
#include "cohort-value.h"

struct _CohortEvaluation
{
  gatomicrefcount    ref;
  CohortColumnIndex *index;
  CohortBitmap      *bitmap;
  guint64            count;
};

G_DEFINE_BOXED_TYPE (CohortEvaluation, cohort_evaluation, cohort_evaluation_ref, cohort_evaluation_unref)

CohortEvaluation *
cohort_evaluation_ref (CohortEvaluation *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
cohort_evaluation_unref (CohortEvaluation *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  cohort_column_index_unref (self->index);
  cohort_bitmap_free (self->bitmap);
  g_free (self);
}

guint64
cohort_evaluation_get_count (CohortEvaluation *self)
{
  return self->count;
}

guint64
cohort_evaluation_get_total (CohortEvaluation *self)
{
  return cohort_column_index_get_n_customers (self->index);
}

const CohortBitmap *
cohort_evaluation_get_bitmap (CohortEvaluation *self)
{
  return self->bitmap;
}

CohortColumnIndex *
cohort_evaluation_get_index (CohortEvaluation *self)
{
  return self->index;
}

gboolean
cohort_evaluation_contains (CohortEvaluation *self,
                            guint32           ordinal)
{
  return cohort_bitmap_get (self->bitmap, ordinal);
}

GArray *
cohort_evaluation_get_members (CohortEvaluation *self,
                               guint64           offset,
                               guint64           limit)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (guint32));
  const CohortBitmap *b = self->bitmap;
  gsize w = 0;

  /* Skip whole words by their population. */
  for (; w < b->n_words; w++)
    {
      guint64 n = (guint64) __builtin_popcountll (b->words[w]);

      if (n > offset)
        break;
      offset -= n;
    }
  for (gint64 i = cohort_bitmap_next (b, (gint64) w * 64); i >= 0; i = cohort_bitmap_next (b, i + 1))
    {
      guint32 o = (guint32) i;

      if (offset > 0)
        {
          offset--;
          continue;
        }
      if (limit != 0 && out->len >= limit)
        break;
      g_array_append_val (out, o);
    }
  return out;
}

const char *
cohort_evaluation_get_text (CohortEvaluation *self,
                            guint32           ordinal,
                            const char       *field)
{
  return cohort_column_index_get_text (self->index, field, ordinal, NULL);
}

/* ------------------------------------------------------------------ */

typedef struct
{
  sqlite3           *db;
  const char        *path;         /* the workspace file, NULL when unknown */
  CohortEventIndex  *events;       /* loaded on the first event condition */
  CohortColumnIndex *index;
  const CohortBitmap *universe;
  gint64             now;
  GCancellable      *cancellable;
  GHashTable        *segments;     /* id -> CohortBitmap (all members) */
  GString           *node_path;    /* of the node being evaluated, for errors */
  gint64             top_segment;  /* the segment asked for, 0 for given criteria */
} Eval;

static CohortBitmap *eval_node (Eval *e, const CohortCriteria *node, const CohortBitmap *mask, GError **error);

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

/* Puts the path of the node being evaluated in front of a "matches" error. */
static void
prefix_path (Eval        *e,
             const char  *suffix,
             GError     **error)
{
  if (error != NULL && g_error_matches (*error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_TOO_COMPLEX))
    g_prefix_error (error, "%s%s%s: ", e->node_path->str, e->node_path->len > 0 ? "." : "", suffix);
}

static CohortBitmap *
eval_attribute (Eval                  *e,
                const CohortCondition *cond,
                const CohortBitmap    *mask,
                GError               **error)
{
  const CohortColumn *c = NULL;
  CohortBitmap *out;
  guint64 n_candidates;
  g_autoptr(GError) local_error = NULL;
  Pred p;

  if (!cohort_column_index_get_column (e->index, cond->field, &c, error))
    return NULL;
  if (c == NULL)
    {
      /* No customer has this attribute: it is missing for everyone. */
      out = cohort_bitmap_copy (mask);
      if (!cohort_operator_matches_missing (cond->op))
        cohort_bitmap_clear_all (out);
      return out;
    }
  /* Deciding every entry costs n_entries and a pass over all codes;
   * visiting candidates costs a few steps each: pick the cheaper. */
  n_candidates = cohort_bitmap_popcount (mask);
  if (n_candidates * 4 < c->n_entries || n_candidates * 8 < mask->n_bits)
    {
      pred_init (&p, cond, e->now, e->cancellable);
      out = scan_sparse (&p, c, mask);
      if (out == NULL)
        local_error = g_steal_pointer (&p.error);
      pred_clear (&p);
    }
  else
    out = scan_dense (cond, c, mask, e->now, e->cancellable, &local_error);
  if (out == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      prefix_path (e, "attribute.value", error);
    }
  return out;
}

static CohortBitmap *
eval_sample (Eval               *e,
             const CohortCriteria *node,
             const CohortBitmap *mask,
             GError            **error)
{
  const CohortColumn *ids = NULL, *emails = NULL;
  CohortBitmap *out;
  guint32 state;

  if (!cohort_column_index_get_column (e->index, "id", &ids, error) ||
      !cohort_column_index_get_column (e->index, "email", &emails, error))
    return NULL;
  state = cohort_fnv1a32 (node->salt, strlen (node->salt), COHORT_FNV1A32_INIT);
  state = cohort_fnv1a32 (":", 1, state);

  /* Ids and emails are unique: hashing per candidate is hashing per entry,
   * and only the candidates are looked at. */
  out = cohort_bitmap_new (mask->n_bits);
  for (gsize w = 0; w < mask->n_words; w++)
    {
      guint64 mw = mask->words[w], bits = 0;

      while (mw != 0)
        {
          guint b = (guint) __builtin_ctzll (mw);
          gsize o = w * 64 + b;
          guint32 id = ids->codes[o];
          const char *key;
          gsize len;

          if (id != 0)
            key = cohort_column_entry (ids, id, &len);
          else
            key = cohort_column_entry (emails, emails->codes[o], &len);
          if (cohort_fnv1a32 (key, len, state) % 100 < node->percent)
            bits |= G_GUINT64_CONSTANT (1) << b;
          mw &= mw - 1;
        }
      out->words[w] = bits;
    }
  return out;
}

/* A data-driven segment on the way down the references. */
typedef struct
{
  gint64          id;
  char           *name;
  CohortCriteria *criteria;
  GArray         *refs;      /* the segment ids its criteria name */
  guint           next;      /* refs[next] is looked at next */
} Pending;

static void
pending_clear (Pending *pending)
{
  g_free (pending->name);
  g_clear_pointer (&pending->criteria, cohort_criteria_free);
  g_clear_pointer (&pending->refs, g_array_unref);
}

static void
cache_segment (Eval *e, gint64 id, CohortBitmap *members)
{
  g_hash_table_insert (e->segments, g_memdup2 (&id, sizeof id), members);
}

/* Reads segment @id: a manual segment's members, or a data-driven
 * segment without criteria (no one), go to the cache at once; a
 * data-driven segment's parsed criteria are pushed on @stack. */
static gboolean
push_segment (Eval     *e,
              GArray   *stack,
              gint64    id,
              GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *criteria = NULL;
  g_autofree char *name = NULL;
  g_autoptr(CohortCriteria) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  Pending pending = { 0 };
  int rc;

  if (e->db == NULL)
    {
      g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_NO_SEGMENT,
                   _("There is no segment with id %" PRId64), id);
      return FALSE;
    }
  if (sqlite3_prepare_v2 (e->db, "SELECT kind, criteria, name FROM segments WHERE id = ?", -1, &stmt, NULL) != SQLITE_OK)
    goto db_error;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      kind = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      criteria = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      name = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
    }
  sqlite3_finalize (stmt);
  stmt = NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_NO_SEGMENT,
                   _("There is no segment with id %" PRId64), id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    goto db_error;

  if (g_strcmp0 (kind, "manual") == 0)
    {
      guint32 n = cohort_column_index_get_n_ordinals (e->index);
      CohortBitmap *members = cohort_bitmap_new (n);

      if (sqlite3_prepare_v2 (e->db, "SELECT customer FROM segment_members WHERE segment = ?",
                              -1, &stmt, NULL) != SQLITE_OK)
        {
          cohort_bitmap_free (members);
          goto db_error;
        }
      sqlite3_bind_int64 (stmt, 1, id);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 o = sqlite3_column_int64 (stmt, 0);

          if (o >= 0 && o < n)
            cohort_bitmap_set (members, (guint32) o);
        }
      sqlite3_finalize (stmt);
      stmt = NULL;
      if (rc != SQLITE_DONE)
        {
          cohort_bitmap_free (members);
          goto db_error;
        }
      cohort_bitmap_and (members, e->universe);
      cache_segment (e, id, members);
      return TRUE;
    }
  if (criteria == NULL)
    {
      cache_segment (e, id, cohort_bitmap_new (cohort_column_index_get_n_ordinals (e->index)));
      return TRUE;
    }

  /* Saved by an older version or edited by another program: it may be
   * anything, even nested too deep to walk; the parser refuses that. */
  parsed = cohort_criteria_parse (criteria, &local_error);
  if (parsed == NULL)
    {
      g_set_error (error, COHORT_CRITERIA_ERROR, local_error->code,
                   _("The criteria of segment “%s” are invalid: %s"),
                   name ? name : "?", local_error->message);
      return FALSE;
    }
  pending.id = id;
  pending.name = g_steal_pointer (&name);
  pending.refs = cohort_criteria_collect_segment_ids (parsed);
  pending.criteria = g_steal_pointer (&parsed);
  g_array_append_val (stack, pending);
  return TRUE;

db_error:
  g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_INVALID,
               _("Could not read segment %" PRId64 ": %s"), id, sqlite3_errmsg (e->db));
  if (stmt)
    sqlite3_finalize (stmt);
  return FALSE;
}

/* All members of segment @id (within the universe). The segments it
 * refers to are resolved first, deepest first, with a stack of our own:
 * a chain of references as long as there are segments costs no more of
 * the thread's stack than one criteria tree. */
static const CohortBitmap *
segment_members (Eval *e, gint64 id, GError **error)
{
  const CohortBitmap *members;
  g_autoptr(GArray) stack = NULL;
  g_autoptr(GHashTable) on_stack = NULL;

  members = g_hash_table_lookup (e->segments, &id);
  if (members != NULL)
    return members;

  stack = g_array_new (FALSE, TRUE, sizeof (Pending));
  g_array_set_clear_func (stack, (GDestroyNotify) pending_clear);
  on_stack = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  if (!push_segment (e, stack, id, error))
    return NULL;
  if (stack->len > 0)
    g_hash_table_add (on_stack, g_memdup2 (&id, sizeof id));

  while (stack->len > 0)
    {
      Pending *top = &g_array_index (stack, Pending, stack->len - 1);
      g_autoptr(GError) local_error = NULL;
      GString *outer;
      CohortBitmap *result;

      if (top->next < top->refs->len)
        {
          gint64 ref = g_array_index (top->refs, gint64, top->next++);

          if (g_hash_table_contains (e->segments, &ref))
            continue;
          /* On the stack: an ancestor of this one. */
          if (g_hash_table_contains (on_stack, &ref))
            {
              g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_CYCLE,
                           _("Segment %" PRId64 " refers to itself through other segments"), ref);
              return NULL;
            }
          if (!push_segment (e, stack, ref, error))
            return NULL;
          if (!g_hash_table_contains (e->segments, &ref))
            g_hash_table_add (on_stack, g_memdup2 (&ref, sizeof ref));
          continue;
        }

      /* Everything it refers to is known: its own criteria now. */
      outer = e->node_path;
      e->node_path = g_string_new (NULL);
      result = eval_node (e, top->criteria, e->universe, &local_error);
      g_string_free (e->node_path, TRUE);
      e->node_path = outer;
      if (result == NULL)
        {
          /* Say which segment when it is not the one asked for. */
          if (local_error->domain == COHORT_CRITERIA_ERROR && top->id != e->top_segment)
            g_prefix_error (&local_error, _("In segment “%s”: "), top->name ? top->name : "?");
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      cache_segment (e, top->id, result);
      g_hash_table_remove (on_stack, &top->id);
      g_array_set_size (stack, stack->len - 1);
    }
  return g_hash_table_lookup (e->segments, &id);
}

static CohortBitmap *
eval_node (Eval                 *e,
           const CohortCriteria *node,
           const CohortBitmap   *mask,
           GError              **error)
{
  if (g_cancellable_set_error_if_cancelled (e->cancellable, error))
    return NULL;

  switch (node->kind)
    {
    case COHORT_CRITERIA_AND:
      {
        CohortBitmap *acc = cohort_bitmap_copy (mask);

        for (guint i = 0; i < node->children->len; i++)
          {
            CohortBitmap *next;
            gsize old = e->node_path->len;

            if (cohort_bitmap_is_empty (acc))
              break;
            g_string_append_printf (e->node_path, "%sand[%u]", old > 0 ? "." : "", i);
            next = eval_node (e, g_ptr_array_index (node->children, i), acc, error);
            g_string_truncate (e->node_path, old);
            cohort_bitmap_free (acc);
            if (next == NULL)
              return NULL;
            acc = next;
          }
        return acc;
      }

    case COHORT_CRITERIA_OR:
      {
        CohortBitmap *acc = cohort_bitmap_new (mask->n_bits);
        g_autoptr(CohortBitmap) rest = cohort_bitmap_copy (mask);

        for (guint i = 0; i < node->children->len; i++)
          {
            g_autoptr(CohortBitmap) part = NULL;
            gsize old = e->node_path->len;

            if (cohort_bitmap_is_empty (rest))
              break;
            /* Only those not already in need looking at. */
            g_string_append_printf (e->node_path, "%sor[%u]", old > 0 ? "." : "", i);
            part = eval_node (e, g_ptr_array_index (node->children, i), rest, error);
            g_string_truncate (e->node_path, old);
            if (part == NULL)
              {
                cohort_bitmap_free (acc);
                return NULL;
              }
            cohort_bitmap_or (acc, part);
            cohort_bitmap_andnot (rest, part);
          }
        return acc;
      }

    case COHORT_CRITERIA_NOT:
      {
        gsize old = e->node_path->len;
        CohortBitmap *inner;

        g_string_append (e->node_path, old > 0 ? ".not" : "not");
        inner = eval_node (e, g_ptr_array_index (node->children, 0), mask, error);
        g_string_truncate (e->node_path, old);
        if (inner == NULL)
          return NULL;
        cohort_bitmap_not_within (inner, mask);
        return inner;
      }

    case COHORT_CRITERIA_ATTRIBUTE:
      return eval_attribute (e, node->attribute, mask, error);

    case COHORT_CRITERIA_SEGMENT:
      {
        const CohortBitmap *members = segment_members (e, node->segment_id, error);
        CohortBitmap *out;

        if (members == NULL)
          return NULL;
        out = cohort_bitmap_copy (members);
        cohort_bitmap_and (out, mask);
        return out;
      }

    case COHORT_CRITERIA_SAMPLE:
      return eval_sample (e, node, mask, error);

    case COHORT_CRITERIA_EVENT:
      {
        CohortBitmap *out;

        if (e->db == NULL)
          {
            g_set_error (error, COHORT_CRITERIA_ERROR, COHORT_CRITERIA_ERROR_NOT_SUPPORTED,
                         _("Event conditions need the workspace’s events"));
            return NULL;
          }
        if (e->events == NULL &&
            !(e->events = cohort_event_index_ensure_for_db (e->db, e->path, e->cancellable, error)))
          return NULL;
        out = cohort_event_index_evaluate (e->events, node->event, e->universe, e->now,
                                           e->cancellable, error);
        if (out != NULL)
          cohort_bitmap_and (out, mask);
        else
          prefix_path (e, "event.where", error);
        return out;
      }

    default:
      g_assert_not_reached ();
    }
}

static CohortEvaluation *
evaluate (CohortColumnIndex    *index,
          sqlite3              *db,
          const char           *path,
          const CohortCriteria *criteria,
          gint64                segment_id,
          GCancellable         *cancellable,
          GError              **error)
{
  Eval e = { 0 };
  CohortBitmap *bitmap = NULL;
  CohortEvaluation *result;

  e.db = db;
  e.path = path;
  e.index = index;
  e.universe = cohort_column_index_get_universe (index);
  e.now = cohort_now ();
  e.cancellable = cancellable;
  e.node_path = g_string_new (NULL);
  e.top_segment = criteria != NULL ? 0 : segment_id;
  e.segments = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                      (GDestroyNotify) cohort_bitmap_free);

  if (criteria != NULL)
    bitmap = eval_node (&e, criteria, e.universe, error);
  else
    {
      const CohortBitmap *members = segment_members (&e, segment_id, error);

      if (members != NULL)
        bitmap = cohort_bitmap_copy (members);
    }
  g_string_free (e.node_path, TRUE);
  g_hash_table_unref (e.segments);
  g_clear_pointer (&e.events, cohort_event_index_unref);
  if (bitmap == NULL)
    return NULL;

  result = g_new0 (CohortEvaluation, 1);
  g_atomic_ref_count_init (&result->ref);
  result->index = cohort_column_index_ref (index);
  result->bitmap = bitmap;
  result->count = cohort_bitmap_popcount (bitmap);
  return result;
}

CohortEvaluation *
cohort_evaluator_evaluate_index (CohortColumnIndex    *index,
                                 sqlite3              *db,
                                 const CohortCriteria *criteria,
                                 GCancellable         *cancellable,
                                 GError              **error)
{
  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (criteria != NULL, NULL);
  return evaluate (index, db, NULL, criteria, 0, cancellable, error);
}

CohortEvaluation *
cohort_evaluator_evaluate_for_db (sqlite3              *db,
                                  const char           *path,
                                  const CohortCriteria *criteria,
                                  gint64                segment_id,
                                  GCancellable         *cancellable,
                                  GError              **error)
{
  for (int attempt = 0; ; attempt++)
    {
      g_autoptr(CohortColumnIndex) index = NULL;
      g_autoptr(GError) local_error = NULL;
      CohortEvaluation *result;

      index = cohort_column_index_ensure_for_db (db, path, cancellable, error);
      if (index == NULL)
        return NULL;
      result = evaluate (index, db, path, criteria, segment_id, cancellable, &local_error);
      if (result != NULL)
        return result;
      /* A damaged index file: drop it and build afresh from SQLite, once. */
      if (attempt == 0 && g_error_matches (local_error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_DAMAGED))
        {
          g_debug ("%s", local_error->message);
          cohort_column_index_forget (path, TRUE);
          cohort_event_index_forget (path, TRUE);
          continue;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
}

CohortEvaluation *
cohort_evaluator_evaluate (CohortWorkspace       *ws,
                           const CohortCriteria  *criteria,
                           GCancellable          *cancellable,
                           GError               **error)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  g_return_val_if_fail (criteria != NULL, NULL);
  return cohort_evaluator_evaluate_for_db (cohort_workspace_get_db (ws), cohort_workspace_get_path (ws),
                                           criteria, 0, cancellable, error);
}

CohortEvaluation *
cohort_evaluator_evaluate_segment (CohortWorkspace  *ws,
                                   gint64            segment_id,
                                   GCancellable     *cancellable,
                                   GError          **error)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  return cohort_evaluator_evaluate_for_db (cohort_workspace_get_db (ws), cohort_workspace_get_path (ws),
                                           NULL, segment_id, cancellable, error);
}

/* ------------------------------------------------------------------ */
/* In a thread                                                          */

typedef struct
{
  char           *path;
  CohortCriteria *criteria;
  gint64          segment_id;
} TaskData;

static void
task_data_free (TaskData *data)
{
  g_free (data->path);
  cohort_criteria_free (data->criteria);
  g_free (data);
}

static void
evaluate_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  TaskData *data = task_data;
  GError *error = NULL;
  CohortEvaluation *result;
  g_autoptr(CohortWorkspace) ws = NULL;

  /* The thread's own connection, the one way every worker gets one. */
  ws = cohort_workspace_open (data->path, COHORT_WORKSPACE_OPEN_READ_ONLY, &error);
  if (ws == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  result = cohort_evaluator_evaluate_for_db (cohort_workspace_get_db (ws), data->path,
                                             data->criteria, data->segment_id,
                                             cancellable, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) cohort_evaluation_unref);
}

static void
start_task (CohortWorkspace      *ws,
            const CohortCriteria *criteria,
            gint64                segment_id,
            gpointer              tag,
            GCancellable         *cancellable,
            GAsyncReadyCallback   callback,
            gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (ws, cancellable, callback, user_data);
  TaskData *data = g_new0 (TaskData, 1);

  data->path = g_strdup (cohort_workspace_get_path (ws));
  data->criteria = criteria ? cohort_criteria_copy (criteria) : NULL;
  data->segment_id = segment_id;
  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, data, (GDestroyNotify) task_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, evaluate_thread);
}

void
cohort_evaluator_evaluate_async (CohortWorkspace      *ws,
                                 const CohortCriteria *criteria,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data)
{
  g_return_if_fail (COHORT_IS_WORKSPACE (ws));
  g_return_if_fail (criteria != NULL);
  start_task (ws, criteria, 0, cohort_evaluator_evaluate_async, cancellable, callback, user_data);
}

CohortEvaluation *
cohort_evaluator_evaluate_finish (CohortWorkspace  *ws,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, ws), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cohort_evaluator_evaluate_segment_async (CohortWorkspace     *ws,
                                         gint64               segment_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_return_if_fail (COHORT_IS_WORKSPACE (ws));
  start_task (ws, NULL, segment_id, cohort_evaluator_evaluate_segment_async, cancellable, callback, user_data);
}

CohortEvaluation *
cohort_evaluator_evaluate_segment_finish (CohortWorkspace  *ws,
                                          GAsyncResult     *result,
                                          GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, ws), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* Live count                                                           */

struct _CohortLiveCount
{
  GObject           parent_instance;
  CohortWorkspace  *ws;
  CohortCriteria   *criteria;
  CohortEvaluation *result;
  GError           *error;
  GCancellable     *cancellable;
  guint             timeout_id;
  guint             delay;
  gulong            changed_id;
};

G_DEFINE_FINAL_TYPE (CohortLiveCount, cohort_live_count, G_TYPE_OBJECT)

enum {
  UPDATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cohort_live_count_dispose (GObject *object)
{
  CohortLiveCount *self = COHORT_LIVE_COUNT (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->ws != NULL && self->changed_id != 0)
    g_clear_signal_handler (&self->changed_id, self->ws);
  g_clear_object (&self->ws);
  g_clear_pointer (&self->criteria, cohort_criteria_free);
  g_clear_pointer (&self->result, cohort_evaluation_unref);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (cohort_live_count_parent_class)->dispose (object);
}

static void
cohort_live_count_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CohortLiveCount *self = COHORT_LIVE_COUNT (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, cohort_live_count_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_live_count_class_init (CohortLiveCountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cohort_live_count_dispose;
  object_class->get_property = cohort_live_count_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CohortLiveCount::updated:
   *
   * A new result (cohort_live_count_get_result()) or error arrived.
   */
  signals[UPDATED] = g_signal_new ("updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cohort_live_count_init (CohortLiveCount *self)
{
  self->delay = 60;
}

static void
live_count_done (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  g_autoptr(CohortLiveCount) self = user_data;
  g_autoptr(GError) error = NULL;
  CohortEvaluation *result;

  result = cohort_evaluator_evaluate_finish (COHORT_WORKSPACE (source), res, &error);
  /* A newer request replaced this one: drop it. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (res))))
    {
      g_clear_pointer (&result, cohort_evaluation_unref);
      return;
    }
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->result, cohort_evaluation_unref);
  g_clear_error (&self->error);
  self->result = result;
  self->error = g_steal_pointer (&error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_signal_emit (self, signals[UPDATED], 0);
}

static gboolean
live_count_run (gpointer user_data)
{
  CohortLiveCount *self = user_data;

  self->timeout_id = 0;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->criteria == NULL)
    {
      g_clear_pointer (&self->result, cohort_evaluation_unref);
      g_clear_error (&self->error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
      g_signal_emit (self, signals[UPDATED], 0);
      return G_SOURCE_REMOVE;
    }
  self->cancellable = g_cancellable_new ();
  cohort_evaluator_evaluate_async (self->ws, self->criteria, self->cancellable,
                                   live_count_done, g_object_ref (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  return G_SOURCE_REMOVE;
}

static void
live_count_schedule (CohortLiveCount *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  /* Cancel now, so that a stale answer never arrives after the edit. */
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  self->timeout_id = g_timeout_add (self->delay, live_count_run, self);
}

static void
on_workspace_changed (CohortWorkspace *ws,
                      guint            what,
                      CohortLiveCount *self)
{
  live_count_schedule (self);
}

CohortLiveCount *
cohort_live_count_new (CohortWorkspace *ws)
{
  CohortLiveCount *self;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  self = g_object_new (COHORT_TYPE_LIVE_COUNT, NULL);
  self->ws = g_object_ref (ws);
  self->changed_id = g_signal_connect (ws, "changed", G_CALLBACK (on_workspace_changed), self);
  return self;
}

void
cohort_live_count_set_criteria (CohortLiveCount      *self,
                                const CohortCriteria *criteria)
{
  g_return_if_fail (COHORT_IS_LIVE_COUNT (self));
  g_clear_pointer (&self->criteria, cohort_criteria_free);
  self->criteria = criteria ? cohort_criteria_copy (criteria) : NULL;
  live_count_schedule (self);
}

void
cohort_live_count_set_delay (CohortLiveCount *self,
                             guint            msec)
{
  g_return_if_fail (COHORT_IS_LIVE_COUNT (self));
  self->delay = msec;
}

CohortEvaluation *
cohort_live_count_get_result (CohortLiveCount *self)
{
  g_return_val_if_fail (COHORT_IS_LIVE_COUNT (self), NULL);
  return self->result;
}

const GError *
cohort_live_count_get_error (CohortLiveCount *self)
{
  g_return_val_if_fail (COHORT_IS_LIVE_COUNT (self), NULL);
  return self->error;
}

gboolean
cohort_live_count_get_busy (CohortLiveCount *self)
{
  g_return_val_if_fail (COHORT_IS_LIVE_COUNT (self), FALSE);
  return self->timeout_id != 0 || self->cancellable != NULL;
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
