/* cohort-column-index.c: the workspace's customers as columns in memory
 *
 * The sidecar file follows the discipline of cohort-derived-file-private.h
 * (stamp, checksummed header and sections, atomic write). Its sections:
 *   META | COLUMNS (ColumnEntry[n_columns]) | NAMES | UNIVERSE |
 *   per column: CODES | OFFSETS | POOL | FLAGS | NUMBERS? | TIMESTAMPS?
 * META, COLUMNS, NAMES and UNIVERSE are checked on open; the sections of a
 * column the first time the column is used (then also its shape: offsets
 * rising inside the pool, codes inside the dictionary), so that opening
 * costs only what a count touches, and no byte is used unchecked.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cohort-attrs.h"
#include "cohort-column-index.h"
#include "cohort-column-private.h"
#include "cohort-derived-file-private.h"
#include "cohort-value.h"

G_DEFINE_QUARK (cohort-index-error-quark, cohort_index_error)

#define INDEX_MAGIC "COHIDX\0\3"
#define INDEX_VERSION 3u

enum
{
  SECTION_META = 1,
  SECTION_COLUMNS,
  SECTION_NAMES,
  SECTION_UNIVERSE,
  SECTION_CODES = 10,
  SECTION_OFFSETS,
  SECTION_POOL,
  SECTION_FLAGS,
  SECTION_NUMBERS,
  SECTION_TIMESTAMPS,
};

typedef struct
{
  guint32 n_ordinals;
  guint32 n_columns;
  guint64 n_customers;
} IndexMeta;

typedef struct
{
  guint32 kind;
  guint32 name_offset;
  guint32 name_len;
  guint32 n_entries;
  guint32 first_section;    /* its CODES; then OFFSETS, POOL, FLAGS, NUMBERS?, TIMESTAMPS? */
  guint32 has_numbers;
  guint32 has_timestamps;
  guint32 reserved;
} ColumnEntry;

struct _CohortColumnIndex
{
  gatomicrefcount  ref;
  char            *stamp;
  guint32          n_ordinals;
  guint64          n_customers;
  CohortBitmap    *universe;
  CohortColumn    *columns;
  guint            n_columns;
  GHashTable      *by_name;        /* attribute name -> CohortColumn* */
  CohortColumn    *id_column;
  CohortColumn    *email_column;
  /* Backing store */
  CohortDerivedFile *file;         /* mapped sidecar, or NULL when built */
  guint32         *first_section;  /* mapped: per column, its first section */
  gint            *checked;        /* per column: 0 unknown, 1 good, -1 damaged */
  GPtrArray       *allocations;
  gsize            size;
};

static CohortDerivedCache cache = COHORT_DERIVED_CACHE_INIT (2, cohort_column_index_ref,
                                                             cohort_column_index_unref);

G_DEFINE_BOXED_TYPE (CohortColumnIndex, cohort_column_index,
                     cohort_column_index_ref, cohort_column_index_unref)

CohortColumnIndex *
cohort_column_index_ref (CohortColumnIndex *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
cohort_column_index_unref (CohortColumnIndex *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_free (self->stamp);
  cohort_bitmap_free (self->universe);
  g_free (self->columns);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_free (self->checked);
  g_free (self->first_section);
  g_clear_pointer (&self->allocations, g_ptr_array_unref);
  g_clear_pointer (&self->file, cohort_derived_file_free);
  g_free (self);
}

/* ------------------------------------------------------------------ */
/* Hashing                                                              */

static inline guint64
load64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, 8);
  return v;
}

static inline guint64
mix64 (guint64 h)
{
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  h ^= h >> 33;
  return h;
}

static inline guint32
hash_string (const char *s, gsize len)
{
  guint64 h = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) ^ len;
  gsize i = 0;

  for (; i + 8 <= len; i += 8)
    h = (h ^ load64 ((const guint8 *) s + i)) * G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  if (i < len)
    {
      guint64 tail = 0;
      memcpy (&tail, s + i, len - i);
      h = (h ^ tail) * G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
    }
  return (guint32) mix64 (h);
}

/* ------------------------------------------------------------------ */
/* Building                                                             */

typedef struct
{
  CohortColumnKind kind;
  char       *name;
  guint32    *codes;        /* [n_ordinals] */
  GByteArray *pool;
  GArray     *offsets;      /* guint32 */
  guint64    *slots;        /* open addressing: hash << 32 | code, code 0 = empty */
  guint32     n_slots;
  guint32     n_entries;
  guint32     n_added;      /* values seen */
  gboolean    distinct;     /* mostly distinct values: stop looking them up */
  guint8     *flags;
  double     *numbers;
  gint64     *timestamps;
} Builder;

static Builder *
builder_new (CohortColumnKind kind, const char *name, guint32 n_ordinals)
{
  Builder *b = g_new0 (Builder, 1);
  guint32 zero = 0;

  b->kind = kind;
  b->name = g_strdup (name);
  b->codes = g_new0 (guint32, MAX (n_ordinals, 1));
  b->pool = g_byte_array_new ();
  g_byte_array_append (b->pool, (const guint8 *) "", 1);    /* entry 0: "" */
  b->offsets = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_array_append_val (b->offsets, zero);
  zero = 1;
  g_array_append_val (b->offsets, zero);
  b->n_slots = 1024;
  b->slots = g_new0 (guint64, b->n_slots);
  b->n_entries = 1;
  return b;
}

static void
builder_free (Builder *b)
{
  g_free (b->name);
  g_free (b->codes);
  if (b->pool)
    g_byte_array_unref (b->pool);
  if (b->offsets)
    g_array_unref (b->offsets);
  g_free (b->slots);
  g_free (b->flags);
  g_free (b->numbers);
  g_free (b->timestamps);
  g_free (b);
}

static void
builder_grow (Builder *b)
{
  guint32 n = b->n_slots * 2;
  guint64 *slots = g_new0 (guint64, n);

  for (guint32 k = 0; k < b->n_slots; k++)
    {
      guint64 slot = b->slots[k];
      guint32 i;

      if ((guint32) slot == 0)
        continue;
      for (i = (guint32) (slot >> 32) & (n - 1); slots[i] != 0; i = (i + 1) & (n - 1))
        ;
      slots[i] = slot;
    }
  g_free (b->slots);
  b->slots = slots;
  b->n_slots = n;
}

/* For values known to be distinct (customers.id and .email are unique):
 * no lookup. */
static guint32
builder_append (Builder *b, const char *s, gsize len)
{
  guint32 code, end;

  if (len == 0)
    return 0;
  code = b->n_entries++;
  g_byte_array_append (b->pool, (const guint8 *) s, (guint) len);
  g_byte_array_append (b->pool, (const guint8 *) "", 1);
  end = b->pool->len;
  g_array_append_val (b->offsets, end);
  return code;
}

static guint32
builder_intern (Builder *b, const char *s, gsize len)
{
  guint32 h, i, code;
  guint64 slot;
  const guint32 *offsets;

  if (len == 0)
    return 0;
  h = hash_string (s, len);
  offsets = (const guint32 *) b->offsets->data;
  /* The hash sits next to the code: most probes never leave the slot array. */
  for (i = h & (b->n_slots - 1); (slot = b->slots[i]) != 0; i = (i + 1) & (b->n_slots - 1))
    {
      code = (guint32) slot;
      if ((guint32) (slot >> 32) == h &&
          offsets[code + 1] - offsets[code] - 1 == len &&
          memcmp (b->pool->data + offsets[code], s, len) == 0)
        return code;
    }
  code = b->n_entries++;
  b->slots[i] = ((guint64) h << 32) | code;
  g_byte_array_append (b->pool, (const guint8 *) s, (guint) len);
  g_byte_array_append (b->pool, (const guint8 *) "", 1);
  {
    guint32 end = b->pool->len;
    g_array_append_val (b->offsets, end);
  }
  if (b->n_entries * 2 > b->n_slots)
    builder_grow (b);
  return code;
}

/* [+-]digits, at most 15 of them: exact as a double and as Unix seconds. */
static gboolean
is_small_integer (const char *s, gsize len, gint64 *out)
{
  gsize i = 0;
  gint64 v = 0;
  gboolean negative = FALSE;

  if (len > 0 && (s[0] == '-' || s[0] == '+'))
    {
      negative = s[0] == '-';
      i = 1;
    }
  if (len == i || len - i > 15)
    return FALSE;
  for (; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return FALSE;
      v = v * 10 + (s[i] - '0');
    }
  *out = negative ? -v : v;
  return TRUE;
}

/* A column whose values are mostly distinct (times, amounts) gains little
 * from a dictionary and pays a cache miss per lookup: after a sample, such
 * a column just appends (its dictionary may then repeat a value, which the
 * evaluator does not mind). */
#define DISTINCT_SAMPLE 65536

static guint32
builder_add (Builder *b, const char *s, gsize len)
{
  guint32 code;

  if (b->distinct)
    return builder_append (b, s, len);
  code = builder_intern (b, s, len);
  if (++b->n_added == DISTINCT_SAMPLE && b->n_entries > DISTINCT_SAMPLE / 2)
    {
      b->distinct = TRUE;
      g_clear_pointer (&b->slots, g_free);
    }
  return code;
}

/* Precomputes what each distinct value reads as. */
static void
builder_finish (Builder *b)
{
  const guint32 *offsets = (const guint32 *) b->offsets->data;
  gboolean any_number = FALSE, any_ts = FALSE;

  g_clear_pointer (&b->slots, g_free);
  b->flags = g_new0 (guint8, b->n_entries);
  b->numbers = g_new0 (double, b->n_entries);
  b->timestamps = g_new0 (gint64, b->n_entries);
  for (guint32 code = 1; code < b->n_entries; code++)
    {
      const char *s = (const char *) b->pool->data + offsets[code];
      gsize len = offsets[code + 1] - offsets[code] - 1;
      guint8 f = COHORT_ENTRY_ASCII;
      CohortBool bv;

      for (gsize k = 0; k < len; k++)
        if ((guchar) s[k] >= 0x80)
          {
            f = 0;
            break;
          }
      if (is_small_integer (s, len, &b->timestamps[code]))
        {
          /* The common case, without strtod: what cohort_value_parse_number()
           * and _parse_timestamp() give for up to 15 digits. */
          b->numbers[code] = (double) b->timestamps[code];
          f |= COHORT_ENTRY_NUMBER | COHORT_ENTRY_TIMESTAMP;
          any_number = any_ts = TRUE;
        }
      else
        {
          if (cohort_value_parse_number (s, len, &b->numbers[code]))
            {
              f |= COHORT_ENTRY_NUMBER;
              any_number = TRUE;
            }
          if (cohort_value_parse_timestamp (s, len, &b->timestamps[code]))
            {
              f |= COHORT_ENTRY_TIMESTAMP;
              any_ts = TRUE;
            }
        }
      bv = cohort_value_parse_bool (s, len);
      if (bv == COHORT_BOOL_TRUE)
        f |= COHORT_ENTRY_TRUE;
      else if (bv == COHORT_BOOL_FALSE)
        f |= COHORT_ENTRY_FALSE;
      b->flags[code] = f;
    }
  if (!any_number)
    g_clear_pointer (&b->numbers, g_free);
  if (!any_ts)
    g_clear_pointer (&b->timestamps, g_free);
}

static gboolean
set_db_error (sqlite3 *db, GError **error, const char *what)
{
  g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_FAILED,
               _("Could not read the workspace (%s): %s"), what, sqlite3_errmsg (db));
  return FALSE;
}

static void
index_add_column (CohortColumnIndex *self, CohortColumn *column, guint i)
{
  if (column->kind == COHORT_COLUMN_ID)
    self->id_column = column;
  else if (column->kind == COHORT_COLUMN_EMAIL)
    self->email_column = column;
  else
    g_hash_table_insert (self->by_name, (gpointer) column->name, column);
  (void) i;
}

static gboolean
build_scan (sqlite3           *db,
            CohortColumnIndex *self,
            GPtrArray         *builders,
            GCancellable      *cancellable,
            GError           **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree Builder **by_attr = NULL;
  gint64 max_attr = 0, max_ordinal = -1;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  Builder *id_b, *email_b;
  int rc;
  guint64 rows = 0;

  if (!cohort_derived_read_stamp (db, COHORT_STAMP_CUSTOMERS, &self->stamp, error))
    return FALSE;

  if (sqlite3_prepare_v2 (db, "SELECT id, name FROM attributes ORDER BY id", -1, &stmt, NULL) != SQLITE_OK)
    return set_db_error (db, error, "attributes");
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (ids, id);
      g_ptr_array_add (names, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
      max_attr = MAX (max_attr, id);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_db_error (db, error, "attributes");
  if (max_attr > 10000000)
    {
      g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_FAILED,
                   _("The workspace has an attribute id out of range"));
      return FALSE;
    }

  if (sqlite3_prepare_v2 (db, "SELECT max(ordinal) FROM customers", -1, &stmt, NULL) != SQLITE_OK)
    return set_db_error (db, error, "customers");
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    max_ordinal = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (max_ordinal >= G_MAXUINT32 - 64)
    {
      g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_FAILED,
                   _("The workspace has a customer ordinal out of range"));
      return FALSE;
    }
  self->n_ordinals = (guint32) (max_ordinal + 1);
  self->universe = cohort_bitmap_new (self->n_ordinals);

  id_b = builder_new (COHORT_COLUMN_ID, "id", self->n_ordinals);
  g_ptr_array_add (builders, id_b);
  email_b = builder_new (COHORT_COLUMN_EMAIL, "email", self->n_ordinals);
  g_ptr_array_add (builders, email_b);
  by_attr = g_new0 (Builder *, max_attr + 1);
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);

      if (id < 0)
        continue;
      by_attr[id] = builder_new (COHORT_COLUMN_ATTRIBUTE, g_ptr_array_index (names, i), self->n_ordinals);
      g_ptr_array_add (builders, by_attr[id]);
    }

  if (sqlite3_prepare_v2 (db, "SELECT ordinal, id, email, attrs FROM customers", -1, &stmt, NULL) != SQLITE_OK)
    return set_db_error (db, error, "customers");
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 ordinal = sqlite3_column_int64 (stmt, 0);
      const guint8 *p, *end;
      guint32 o;

      if (ordinal < 0 || ordinal > max_ordinal)
        continue;
      o = (guint32) ordinal;
      cohort_bitmap_set (self->universe, o);
      rows++;

      if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
        id_b->codes[o] = builder_append (id_b, (const char *) sqlite3_column_text (stmt, 1),
                                         (gsize) sqlite3_column_bytes (stmt, 1));
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        email_b->codes[o] = builder_append (email_b, (const char *) sqlite3_column_text (stmt, 2),
                                            (gsize) sqlite3_column_bytes (stmt, 2));
      p = sqlite3_column_blob (stmt, 3);
      end = p + sqlite3_column_bytes (stmt, 3);
      while (p != NULL && p < end)
        {
          guint64 attr, len;

          if (!cohort_varint_get (&p, end, &attr) || !cohort_varint_get (&p, end, &len) ||
              len > (guint64) (end - p))
            break;
          if (attr <= (guint64) max_attr && by_attr[attr] != NULL)
            by_attr[attr]->codes[o] = builder_add (by_attr[attr], (const char *) p, (gsize) len);
          p += len;
        }

      if ((rows & 0xffff) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          sqlite3_finalize (stmt);
          return FALSE;
        }
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_db_error (db, error, "customers");
  self->n_customers = rows;

  for (guint i = 0; i < builders->len; i++)
    builder_finish (g_ptr_array_index (builders, i));
  return TRUE;
}

CohortColumnIndex *
cohort_column_index_build (sqlite3       *db,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(CohortColumnIndex) self = g_new0 (CohortColumnIndex, 1);
  g_autoptr(GPtrArray) builders = g_ptr_array_new_with_free_func ((GDestroyNotify) builder_free);
  gboolean ok;
  gint64 t0 = g_get_monotonic_time ();

  g_atomic_ref_count_init (&self->ref);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->allocations = g_ptr_array_new_with_free_func (g_free);

  /* One read snapshot for the generation and the rows. */
  if (sqlite3_exec (db, "SAVEPOINT cohort_index_build", NULL, NULL, NULL) != SQLITE_OK)
    {
      set_db_error (db, error, "snapshot");
      return NULL;
    }
  ok = build_scan (db, self, builders, cancellable, error);
  sqlite3_exec (db, "RELEASE cohort_index_build", NULL, NULL, NULL);
  if (!ok)
    return NULL;

  self->n_columns = builders->len;
  self->columns = g_new0 (CohortColumn, self->n_columns);
  self->checked = g_new0 (gint, self->n_columns);
  for (guint i = 0; i < builders->len; i++)
    {
      Builder *b = g_ptr_array_index (builders, i);
      CohortColumn *c = &self->columns[i];

      c->kind = b->kind;
      c->name = b->name;
      c->n_entries = b->n_entries;
      c->codes = b->codes;
      c->offsets = (const guint32 *) b->offsets->data;
      c->pool = (const char *) b->pool->data;
      c->flags = b->flags;
      c->numbers = b->numbers;
      c->timestamps = b->timestamps;
      self->size += (gsize) self->n_ordinals * 4 + b->offsets->len * 4 + b->pool->len +
                    b->n_entries * (1 + (b->numbers ? 8 : 0) + (b->timestamps ? 8 : 0));
      self->checked[i] = 1;

      /* The index owns the arrays from here on. */
      g_ptr_array_add (self->allocations, g_steal_pointer (&b->name));
      g_ptr_array_add (self->allocations, g_steal_pointer (&b->codes));
      g_ptr_array_add (self->allocations, g_byte_array_free (g_steal_pointer (&b->pool), FALSE));
      g_ptr_array_add (self->allocations, g_array_free (g_steal_pointer (&b->offsets), FALSE));
      g_ptr_array_add (self->allocations, g_steal_pointer (&b->flags));
      if (b->numbers)
        g_ptr_array_add (self->allocations, g_steal_pointer (&b->numbers));
      if (b->timestamps)
        g_ptr_array_add (self->allocations, g_steal_pointer (&b->timestamps));
      index_add_column (self, c, i);
    }
  self->size += self->universe->n_words * 8;
  g_debug ("Built the column index: %" PRIu64 " customers, %u columns, %" G_GSIZE_FORMAT
           " bytes in %.0f ms", self->n_customers, self->n_columns, self->size,
           (g_get_monotonic_time () - t0) / 1000.0);
  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------ */
/* Writing the sidecar                                                  */

static gboolean
write_sidecar (CohortColumnIndex *self, const char *path, GError **error)
{
  g_autoptr(CohortDerivedWriter) w = cohort_derived_writer_new (INDEX_MAGIC, INDEX_VERSION, self->stamp);
  g_autofree ColumnEntry *table = g_new0 (ColumnEntry, MAX (self->n_columns, 1));
  g_autoptr(GString) names = g_string_new (NULL);
  IndexMeta meta = { 0 };
  guint32 next = 4;

  meta.n_ordinals = self->n_ordinals;
  meta.n_columns = self->n_columns;
  meta.n_customers = self->n_customers;
  for (guint i = 0; i < self->n_columns; i++)
    {
      const CohortColumn *c = &self->columns[i];

      table[i].kind = c->kind;
      table[i].name_offset = (guint32) names->len;
      table[i].name_len = (guint32) strlen (c->name);
      g_string_append_len (names, c->name, table[i].name_len + 1);
      table[i].n_entries = c->n_entries;
      table[i].first_section = next;
      table[i].has_numbers = c->numbers != NULL;
      table[i].has_timestamps = c->timestamps != NULL;
      next += 4 + table[i].has_numbers + table[i].has_timestamps;
    }

  cohort_derived_writer_add (w, SECTION_META, &meta, sizeof meta);
  cohort_derived_writer_add (w, SECTION_COLUMNS, table, sizeof (ColumnEntry) * self->n_columns);
  cohort_derived_writer_add (w, SECTION_NAMES, names->str, names->len);
  cohort_derived_writer_add (w, SECTION_UNIVERSE, self->universe->words, self->universe->n_words * 8);
  for (guint i = 0; i < self->n_columns; i++)
    {
      const CohortColumn *c = &self->columns[i];

      cohort_derived_writer_add (w, SECTION_CODES, c->codes, (gsize) self->n_ordinals * 4);
      cohort_derived_writer_add (w, SECTION_OFFSETS, c->offsets, ((gsize) c->n_entries + 1) * 4);
      cohort_derived_writer_add (w, SECTION_POOL, c->pool, c->offsets[c->n_entries]);
      cohort_derived_writer_add (w, SECTION_FLAGS, c->flags, c->n_entries);
      if (c->numbers != NULL)
        cohort_derived_writer_add (w, SECTION_NUMBERS, c->numbers, (gsize) c->n_entries * 8);
      if (c->timestamps != NULL)
        cohort_derived_writer_add (w, SECTION_TIMESTAMPS, c->timestamps, (gsize) c->n_entries * 8);
    }
  return cohort_derived_writer_write (w, path, error);
}

/* ------------------------------------------------------------------ */
/* Mapping the sidecar                                                  */

/* Section @i of @file with @tag and exactly @size bytes, not yet checked. */
static gconstpointer
peek_exact (CohortDerivedFile *file, guint i, guint32 tag, guint64 size)
{
  guint64 actual;
  gconstpointer p = cohort_derived_file_peek (file, i, tag, &actual);

  return p != NULL && actual == size ? p : NULL;
}

/* NULL when missing, stale or damaged (then @why says which). */
static CohortColumnIndex *
map_sidecar (const char  *path,
             const char  *stamp,
             const char **why)
{
  g_autoptr(CohortDerivedFile) file = NULL;
  g_autoptr(CohortColumnIndex) self = NULL;
  const ColumnEntry *table;
  const guint64 *words;
  const char *names;
  guint64 names_size, n_words;
  IndexMeta meta;
  gconstpointer p;
  guint n_sections;
  gboolean seen_id = FALSE, seen_email = FALSE;

  file = cohort_derived_file_open (path, INDEX_MAGIC, INDEX_VERSION, stamp, why);
  if (file == NULL)
    return NULL;
  n_sections = cohort_derived_file_get_n_sections (file);

  /* The small sections every count needs are checked now. */
  *why = "damaged";
  p = cohort_derived_file_section (file, 0, SECTION_META, &names_size);
  if (p == NULL || names_size != sizeof meta)
    return NULL;
  memcpy (&meta, p, sizeof meta);
  if (meta.n_columns > 1000000 || meta.n_ordinals >= G_MAXUINT32 - 64 || meta.n_customers > meta.n_ordinals)
    return NULL;
  n_words = COHORT_BITMAP_WORDS (meta.n_ordinals);
  table = peek_exact (file, 1, SECTION_COLUMNS, sizeof (ColumnEntry) * (guint64) meta.n_columns);
  names = cohort_derived_file_section (file, 2, SECTION_NAMES, &names_size);
  words = peek_exact (file, 3, SECTION_UNIVERSE, n_words * 8);
  if (table == NULL || !cohort_derived_file_verify (file, 1) || names == NULL ||
      words == NULL || !cohort_derived_file_verify (file, 3))
    return NULL;

  self = g_new0 (CohortColumnIndex, 1);
  g_atomic_ref_count_init (&self->ref);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->stamp = g_strdup (stamp);
  self->n_ordinals = meta.n_ordinals;
  self->n_customers = meta.n_customers;
  self->n_columns = meta.n_columns;
  self->columns = g_new0 (CohortColumn, MAX (self->n_columns, 1));
  self->checked = g_new0 (gint, MAX (self->n_columns, 1));
  self->first_section = g_new0 (guint32, MAX (self->n_columns, 1));
  self->universe = cohort_bitmap_new_from_words (words, meta.n_ordinals);
  if (cohort_bitmap_popcount (self->universe) != meta.n_customers)
    return NULL;

  for (guint i = 0; i < self->n_columns; i++)
    {
      const ColumnEntry *t = &table[i];
      CohortColumn *c = &self->columns[i];
      guint32 s = t->first_section;
      guint64 pool_size;

      if (t->kind > COHORT_COLUMN_EMAIL || t->n_entries == 0 || t->n_entries == G_MAXUINT32 ||
          t->has_numbers > 1 || t->has_timestamps > 1 ||
          (guint64) t->name_offset + t->name_len >= names_size ||
          names[t->name_offset + t->name_len] != '\0' ||
          s < 4 || (guint64) s + 4 + t->has_numbers + t->has_timestamps > n_sections)
        return NULL;
      if ((t->kind == COHORT_COLUMN_ID && seen_id) || (t->kind == COHORT_COLUMN_EMAIL && seen_email))
        return NULL;
      seen_id |= t->kind == COHORT_COLUMN_ID;
      seen_email |= t->kind == COHORT_COLUMN_EMAIL;
      c->kind = t->kind;
      c->name = names + t->name_offset;
      c->n_entries = t->n_entries;
      c->codes = peek_exact (file, s++, SECTION_CODES, (guint64) meta.n_ordinals * 4);
      c->offsets = peek_exact (file, s++, SECTION_OFFSETS, ((guint64) t->n_entries + 1) * 4);
      c->pool = cohort_derived_file_peek (file, s++, SECTION_POOL, &pool_size);
      c->flags = peek_exact (file, s++, SECTION_FLAGS, t->n_entries);
      if (t->has_numbers && (c->numbers = peek_exact (file, s++, SECTION_NUMBERS, (guint64) t->n_entries * 8)) == NULL)
        return NULL;
      if (t->has_timestamps && (c->timestamps = peek_exact (file, s++, SECTION_TIMESTAMPS, (guint64) t->n_entries * 8)) == NULL)
        return NULL;
      if (c->codes == NULL || c->offsets == NULL || c->pool == NULL || c->flags == NULL ||
          pool_size == 0 || pool_size >= G_MAXUINT32)
        return NULL;
      self->first_section[i] = t->first_section;
      index_add_column (self, c, i);
    }
  if (!seen_id || !seen_email)
    return NULL;
  self->size = cohort_derived_file_get_size (file);
  self->file = g_steal_pointer (&file);
  return g_steal_pointer (&self);
}

/* The sections of mapped column @i, and their shape: every read of an
 * entry then stays inside the column. */
static gboolean
verify_column (CohortColumnIndex *self, guint i)
{
  const CohortColumn *c = &self->columns[i];
  guint32 first = self->first_section[i];
  guint32 n = 4 + (c->numbers != NULL) + (c->timestamps != NULL);
  guint64 pool_size;

  if (!cohort_derived_file_verify_sections (self->file, first, n))
    return FALSE;
  cohort_derived_file_peek (self->file, first + 2, SECTION_POOL, &pool_size);
  if (c->offsets[0] != 0 || c->offsets[c->n_entries] != pool_size || c->pool[pool_size - 1] != '\0')
    return FALSE;
  for (guint32 k = 0; k < c->n_entries; k++)
    if (c->offsets[k + 1] <= c->offsets[k] || c->pool[c->offsets[k + 1] - 1] != '\0')
      return FALSE;
  for (guint32 o = 0; o < self->n_ordinals; o++)
    if (c->codes[o] >= c->n_entries)
      return FALSE;
  return TRUE;
}

/* A mapped column is trusted only after its checksums and shape check out;
 * a damaged file is removed and no longer cached, so that it is rebuilt. */
static gboolean
check_column (CohortColumnIndex *self, guint i)
{
  gint state = g_atomic_int_get (&self->checked[i]);
  gboolean good;

  if (state != 0)
    return state > 0;
  if (self->file == NULL)
    return TRUE;
  good = verify_column (self, i);
  g_atomic_int_set (&self->checked[i], good ? 1 : -1);
  if (!good)
    {
      g_debug ("Index column “%s” is damaged", self->columns[i].name);
      cohort_derived_file_discard (self->file);
      cohort_derived_cache_remove_object (&cache, self);
    }
  return good;
}

/* ------------------------------------------------------------------ */
/* Cache                                                                */

static GMutex build_lock;

char *
cohort_column_index_sidecar_path (const char *workspace_path)
{
  return g_strconcat (workspace_path, ".index", NULL);
}

void
cohort_column_index_forget (const char *path,
                            gboolean    remove_file)
{
  cohort_derived_cache_forget (&cache, path);
  if (remove_file)
    {
      g_autofree char *sidecar = cohort_column_index_sidecar_path (path);
      g_unlink (sidecar);
    }
}

guint
cohort_column_index_get_n_cached (void)
{
  return cohort_derived_cache_get_n_entries (&cache);
}

CohortColumnIndex *
cohort_column_index_ensure_for_db (sqlite3       *db,
                                   const char    *path,
                                   GCancellable  *cancellable,
                                   GError       **error)
{
  g_autofree char *stamp = NULL;
  g_autofree char *sidecar = NULL;
  CohortColumnIndex *index;
  const char *why = NULL;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  /* Inside a transaction the data may yet roll back: never cache or persist it. */
  if (!sqlite3_get_autocommit (db))
    return cohort_column_index_build (db, cancellable, error);

  if (!cohort_derived_read_stamp (db, COHORT_STAMP_CUSTOMERS, &stamp, error))
    return NULL;
  if (stamp == NULL)
    return cohort_column_index_build (db, cancellable, error);
  if ((index = cohort_derived_cache_lookup (&cache, path, stamp)) != NULL)
    return index;

  /* One build at a time: another thread may just have made this one. */
  g_mutex_lock (&build_lock);
  if ((index = cohort_derived_cache_lookup (&cache, path, stamp)) != NULL)
    {
      g_mutex_unlock (&build_lock);
      return index;
    }
  sidecar = cohort_column_index_sidecar_path (path);
  index = map_sidecar (sidecar, stamp, &why);
  if (index == NULL)
    {
      g_autoptr(GError) write_error = NULL;
      gint64 t0 = g_get_monotonic_time ();

      g_debug ("Index %s: %s, rebuilding", sidecar, why);
      /* Built in its own snapshot, with the stamp of that snapshot (which
       * may be newer than the one read above): that is what it is cached
       * and written with. */
      index = cohort_column_index_build (db, cancellable, error);
      if (index == NULL)
        {
          g_mutex_unlock (&build_lock);
          return NULL;
        }
      if (index->stamp == NULL)
        g_debug ("No stamp to write %s with: kept in memory", sidecar);
      else if (!write_sidecar (index, sidecar, &write_error))
        g_debug ("Could not write the index file (working in memory): %s", write_error->message);
      else
        g_debug ("Wrote %s in %.0f ms", sidecar, (g_get_monotonic_time () - t0) / 1000.0);
    }
  if (index->stamp != NULL)
    cohort_derived_cache_insert (&cache, path, index->stamp, index);
  g_mutex_unlock (&build_lock);
  return index;
}

CohortColumnIndex *
cohort_column_index_ensure (CohortWorkspace  *ws,
                            GCancellable     *cancellable,
                            GError          **error)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  return cohort_column_index_ensure_for_db (cohort_workspace_get_db (ws),
                                            cohort_workspace_get_path (ws),
                                            cancellable, error);
}

/* ------------------------------------------------------------------ */
/* Reading                                                              */

const char *
cohort_column_index_get_stamp (CohortColumnIndex *self)
{
  return self->stamp;
}

guint32
cohort_column_index_get_n_ordinals (CohortColumnIndex *self)
{
  return self->n_ordinals;
}

guint64
cohort_column_index_get_n_customers (CohortColumnIndex *self)
{
  return self->n_customers;
}

const CohortBitmap *
cohort_column_index_get_universe (CohortColumnIndex *self)
{
  return self->universe;
}

gboolean
cohort_column_index_is_mapped (CohortColumnIndex *self)
{
  return self->file != NULL;
}

gsize
cohort_column_index_get_size (CohortColumnIndex *self)
{
  return self->size;
}

static CohortColumn *
find_column (CohortColumnIndex *self, const char *field)
{
  if (strcmp (field, "id") == 0)
    return self->id_column;
  if (strcmp (field, "email") == 0)
    return self->email_column;
  return g_hash_table_lookup (self->by_name, field);
}

gboolean
cohort_column_index_get_column (CohortColumnIndex   *self,
                                const char          *field,
                                const CohortColumn **column,
                                GError             **error)
{
  CohortColumn *c = find_column (self, field);

  *column = NULL;
  if (c == NULL)
    return TRUE;
  if (!check_column (self, (guint) (c - self->columns)))
    {
      g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_DAMAGED,
                   _("The index file is damaged (column “%s”): it will be rebuilt, run the command again"), field);
      return FALSE;
    }
  *column = c;
  return TRUE;
}

const char *
cohort_column_index_get_text (CohortColumnIndex  *self,
                              const char         *field,
                              guint32             ordinal,
                              GError            **error)
{
  const CohortColumn *c = NULL;
  guint32 code;

  if (!cohort_column_index_get_column (self, field, &c, error) || c == NULL ||
      ordinal >= self->n_ordinals)
    return NULL;
  code = c->codes[ordinal];
  if (code == 0)
    return NULL;
  return cohort_column_entry (c, code, NULL);
}

gboolean
cohort_column_index_check_fields (CohortColumnIndex  *self,
                                  const char * const *fields,
                                  GError            **error)
{
  const CohortColumn *c;

  if (!cohort_column_index_get_column (self, "id", &c, error) ||
      !cohort_column_index_get_column (self, "email", &c, error))
    return FALSE;
  for (guint i = 0; fields != NULL && fields[i] != NULL; i++)
    if (!cohort_column_index_get_column (self, fields[i], &c, error))
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The builder, for the event index (cohort-column-private.h)           */

CohortColumnBuilder *
cohort_column_builder_new (const char *name,
                           guint32     n_rows)
{
  return (CohortColumnBuilder *) builder_new (COHORT_COLUMN_ATTRIBUTE, name, n_rows);
}

void
cohort_column_builder_free (CohortColumnBuilder *builder)
{
  if (builder != NULL)
    builder_free ((Builder *) builder);
}

guint32
cohort_column_builder_intern (CohortColumnBuilder *builder,
                              const char          *s,
                              gsize                len)
{
  return builder_intern ((Builder *) builder, s, len);
}

guint32 *
cohort_column_builder_codes (CohortColumnBuilder *builder)
{
  return ((Builder *) builder)->codes;
}

void
cohort_column_builder_finish (CohortColumnBuilder *builder,
                              CohortColumn        *out)
{
  Builder *b = (Builder *) builder;

  builder_finish (b);
  memset (out, 0, sizeof *out);
  out->kind = b->kind;
  out->name = b->name;
  out->n_entries = b->n_entries;
  out->codes = b->codes;
  out->offsets = (const guint32 *) b->offsets->data;
  out->pool = (const char *) b->pool->data;
  out->flags = b->flags;
  out->numbers = b->numbers;
  out->timestamps = b->timestamps;
}
