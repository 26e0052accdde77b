/* cohort-column-index.c: the workspace's customers as columns in memory
 *
 * Sidecar file layout (native byte order, every section 8-byte aligned):
 *   FileHeader | ColumnHeader[n_columns] | names | universe words |
 *   per column: codes | offsets | pool | flags | numbers? | timestamps?
 * The header checksum covers header, column table and names; each column
 * has its own checksum, checked the first time the column is used, so that
 * opening costs only what a count touches.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cohort-attrs.h"
#include "cohort-column-index.h"
#include "cohort-column-private.h"
#include "cohort-value.h"

G_DEFINE_QUARK (cohort-index-error-quark, cohort_index_error)

#define INDEX_MAGIC "COHIDX\0\1"
#define INDEX_VERSION 2u
#define INDEX_ENDIAN 0x01020304u

typedef struct
{
  char    magic[8];
  guint32 version;
  guint32 endian;
  guint64 file_size;
  gint64  generation;
  char    uuid[48];
  guint32 n_ordinals;
  guint32 n_columns;
  guint64 n_customers;
  guint64 table_offset;
  guint64 names_offset;
  guint64 names_size;
  guint64 universe_offset;
  guint64 universe_checksum;
  guint64 header_checksum;
} FileHeader;

typedef struct
{
  guint32 kind;
  guint32 name_offset;
  guint32 name_len;
  guint32 n_entries;
  guint64 codes_offset;
  guint64 offsets_offset;
  guint64 pool_offset;
  guint64 pool_size;
  guint64 flags_offset;
  guint64 numbers_offset;
  guint64 timestamps_offset;
  guint64 checksum;
} ColumnHeader;

struct _CohortColumnIndex
{
  gatomicrefcount  ref;
  char            *uuid;
  gint64           generation;
  guint32          n_ordinals;
  guint64          n_customers;
  CohortBitmap    *universe;
  CohortColumn    *columns;
  guint            n_columns;
  GHashTable      *by_name;        /* attribute name -> CohortColumn* */
  CohortColumn    *id_column;
  CohortColumn    *email_column;
  const char     **attribute_names;
  /* Backing store */
  guint8          *map;
  gsize            map_len;
  const ColumnHeader *headers;     /* in map, for lazy checks */
  gint            *checked;        /* per column: 0 unknown, 1 good, -1 damaged */
  GPtrArray       *allocations;
  gsize            size;
};

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
  g_free (self->uuid);
  cohort_bitmap_free (self->universe);
  g_free (self->columns);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_free (self->attribute_names);
  g_free (self->checked);
  g_clear_pointer (&self->allocations, g_ptr_array_unref);
  if (self->map != NULL)
    munmap (self->map, self->map_len);
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

/* A fast checksum for damage detection (not cryptographic). */
static guint64
checksum_bytes (guint64 h, const void *data, gsize len)
{
  const guint8 *p = data;
  guint64 a = h ^ len, b = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  gsize i = 0;

  /* Two independent lanes keep the multiplier busy. */
  for (; i + 16 <= len; i += 16)
    {
      a = (a ^ load64 (p + i)) * G_GUINT64_CONSTANT (0x100000001b3);
      b = (b ^ load64 (p + i + 8)) * G_GUINT64_CONSTANT (0xc2b2ae3d27d4eb4f);
    }
  for (; i < len; i++)
    a = (a ^ p[i]) * G_GUINT64_CONSTANT (0x100000001b3);
  return mix64 (a ^ mix64 (b));
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

/* The state of the customers an index is built from: the workspace uuid
 * and its data generation. When the workspace also keeps a generation of
 * the customers alone (meta "customers_generation", not bumped by changes
 * of manual membership), that one is used, the uuid tagged "/c" so that
 * numbers from the two counters are never mistaken for each other. */
static gboolean
query_generation (sqlite3 *db, char **uuid, gint64 *generation, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *id = NULL;
  gint64 data_generation = 0, customers_generation = -1;
  int rc;

  *generation = 0;
  if (uuid)
    *uuid = NULL;
  if (sqlite3_prepare_v2 (db, "SELECT key, value FROM meta WHERE key IN "
                              "('uuid', 'data_generation', 'customers_generation')",
                          -1, &stmt, NULL) != SQLITE_OK)
    return set_db_error (db, error, "meta");
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *key = (const char *) sqlite3_column_text (stmt, 0);
      const char *value = (const char *) sqlite3_column_text (stmt, 1);

      if (value == NULL)
        continue;
      if (g_strcmp0 (key, "uuid") == 0)
        id = g_strdup (value);
      else if (g_strcmp0 (key, "data_generation") == 0)
        data_generation = g_ascii_strtoll (value, NULL, 10);
      else if (g_strcmp0 (key, "customers_generation") == 0)
        customers_generation = g_ascii_strtoll (value, NULL, 10);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_db_error (db, error, "meta");
  if (customers_generation >= 0)
    {
      *generation = customers_generation;
      if (uuid)
        *uuid = g_strconcat (id ? id : "", "/c", NULL);
    }
  else
    {
      *generation = data_generation;
      if (uuid)
        *uuid = g_steal_pointer (&id);
    }
  return TRUE;
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

static void
index_finish_names (CohortColumnIndex *self)
{
  guint n = 0;

  self->attribute_names = g_new0 (const char *, self->n_columns + 1);
  for (guint i = 0; i < self->n_columns; i++)
    if (self->columns[i].kind == COHORT_COLUMN_ATTRIBUTE)
      self->attribute_names[n++] = self->columns[i].name;
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

  if (!query_generation (db, &self->uuid, &self->generation, error))
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
  index_finish_names (self);
  g_debug ("Built the column index: %" PRIu64 " customers, %u columns, %" G_GSIZE_FORMAT
           " bytes in %.0f ms", self->n_customers, self->n_columns, self->size,
           (g_get_monotonic_time () - t0) / 1000.0);
  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------ */
/* Writing the sidecar                                                  */

typedef struct
{
  FILE    *fp;
  guint64  offset;
  gboolean failed;
} Writer;

static guint64
writer_put (Writer *w, const void *data, gsize len)
{
  static const guint8 zeros[8] = { 0 };
  guint64 at = w->offset;

  if (len > 0 && fwrite (data, 1, len, w->fp) != len)
    w->failed = TRUE;
  w->offset += len;
  if (w->offset % 8 != 0)
    {
      gsize pad = 8 - w->offset % 8;

      if (fwrite (zeros, 1, pad, w->fp) != pad)
        w->failed = TRUE;
      w->offset += pad;
    }
  return at;
}

static gsize
align8 (gsize n)
{
  return (n + 7) & ~(gsize) 7;
}

/* Dictionaries up to this size are checksummed whole; larger ones only in
 * their codes and flags (read by every count anyway), their offsets being
 * checked for shape: a count then touches only the entries it needs. */
#define FULL_CHECKSUM_ENTRIES 65536

static guint64
column_checksum (const CohortColumn *c, guint32 n_ordinals, gsize pool_size)
{
  guint64 h = 0;

  h = checksum_bytes (h, c->codes, (gsize) n_ordinals * 4);
  h = checksum_bytes (h, c->flags, c->n_entries);
  if (c->n_entries > FULL_CHECKSUM_ENTRIES)
    return h;
  h = checksum_bytes (h, c->offsets, ((gsize) c->n_entries + 1) * 4);
  h = checksum_bytes (h, c->pool, pool_size);
  if (c->numbers)
    h = checksum_bytes (h, c->numbers, (gsize) c->n_entries * 8);
  if (c->timestamps)
    h = checksum_bytes (h, c->timestamps, (gsize) c->n_entries * 8);
  return h;
}

static gboolean
write_sidecar (CohortColumnIndex *self, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmpl = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  g_autofree ColumnHeader *table = g_new0 (ColumnHeader, self->n_columns);
  g_autoptr(GString) names = g_string_new (NULL);
  FileHeader header = { 0 };
  Writer w = { 0 };
  int fd;

  fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: %s", tmpl, g_strerror (saved));
      return FALSE;
    }
  w.fp = fdopen (fd, "wb");
  if (w.fp == NULL)
    {
      close (fd);
      g_unlink (tmpl);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "fdopen failed");
      return FALSE;
    }
  setvbuf (w.fp, NULL, _IOFBF, 1 << 20);

  for (guint i = 0; i < self->n_columns; i++)
    {
      table[i].kind = self->columns[i].kind;
      table[i].name_offset = (guint32) names->len;
      table[i].name_len = (guint32) strlen (self->columns[i].name);
      g_string_append_len (names, self->columns[i].name, table[i].name_len + 1);
    }

  memcpy (header.magic, INDEX_MAGIC, 8);
  header.version = INDEX_VERSION;
  header.endian = INDEX_ENDIAN;
  header.generation = self->generation;
  g_strlcpy (header.uuid, self->uuid ? self->uuid : "", sizeof header.uuid);
  header.n_ordinals = self->n_ordinals;
  header.n_columns = self->n_columns;
  header.n_customers = self->n_customers;
  header.table_offset = align8 (sizeof header);
  header.names_offset = header.table_offset + align8 (sizeof (ColumnHeader) * self->n_columns);
  header.names_size = names->len;
  header.universe_offset = header.names_offset + align8 (names->len);

  /* Data first (to learn the offsets), then header and table over the start. */
  fseek (w.fp, (long) header.universe_offset, SEEK_SET);
  w.offset = header.universe_offset;
  writer_put (&w, self->universe->words, self->universe->n_words * 8);
  header.universe_checksum = checksum_bytes (0, self->universe->words, self->universe->n_words * 8);
  for (guint i = 0; i < self->n_columns; i++)
    {
      const CohortColumn *c = &self->columns[i];
      gsize pool_size = c->offsets[c->n_entries];

      table[i].n_entries = c->n_entries;
      table[i].codes_offset = writer_put (&w, c->codes, (gsize) self->n_ordinals * 4);
      table[i].offsets_offset = writer_put (&w, c->offsets, ((gsize) c->n_entries + 1) * 4);
      table[i].pool_size = pool_size;
      table[i].pool_offset = writer_put (&w, c->pool, pool_size);
      table[i].flags_offset = writer_put (&w, c->flags, c->n_entries);
      if (c->numbers)
        table[i].numbers_offset = writer_put (&w, c->numbers, (gsize) c->n_entries * 8);
      if (c->timestamps)
        table[i].timestamps_offset = writer_put (&w, c->timestamps, (gsize) c->n_entries * 8);
      table[i].checksum = column_checksum (c, self->n_ordinals, pool_size);
    }
  header.file_size = w.offset;
  {
    guint64 h = checksum_bytes (0, &header, sizeof header);

    h = checksum_bytes (h, table, sizeof (ColumnHeader) * self->n_columns);
    h = checksum_bytes (h, names->str, names->len);
    header.header_checksum = h;
  }
  fseek (w.fp, 0, SEEK_SET);
  w.offset = 0;
  writer_put (&w, &header, sizeof header);
  writer_put (&w, table, sizeof (ColumnHeader) * self->n_columns);
  writer_put (&w, names->str, names->len);

  /* Durable before it takes the name: a crash never leaves a torn index. */
  if (fflush (w.fp) != 0 || fsync (fileno (w.fp)) != 0)
    w.failed = TRUE;
  if (fclose (w.fp) != 0)
    w.failed = TRUE;
  if (w.failed || g_rename (tmpl, path) != 0)
    {
      int saved = errno;

      g_unlink (tmpl);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Mapping the sidecar                                                  */

static gboolean
in_bounds (guint64 offset, guint64 len, gsize file_size)
{
  return offset % 8 == 0 && offset <= file_size && len <= file_size - offset;
}

/* NULL when missing, stale or damaged (then @why says which). */
static CohortColumnIndex *
map_sidecar (const char *path,
             const char *uuid,
             gint64      generation,
             const char **why)
{
  g_autoptr(CohortColumnIndex) self = NULL;
  FileHeader header;
  const ColumnHeader *table;
  struct stat st;
  guint8 *map;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      *why = "missing";
      return NULL;
    }
  if (fstat (fd, &st) != 0 || (gsize) st.st_size < sizeof header)
    {
      close (fd);
      *why = "too short";
      return NULL;
    }
  map = mmap (NULL, (gsize) st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close (fd);
  if (map == MAP_FAILED)
    {
      *why = "cannot map";
      return NULL;
    }

  self = g_new0 (CohortColumnIndex, 1);
  g_atomic_ref_count_init (&self->ref);
  self->map = map;
  self->map_len = (gsize) st.st_size;
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  memcpy (&header, map, sizeof header);
  if (memcmp (header.magic, INDEX_MAGIC, 8) != 0 || header.version != INDEX_VERSION ||
      header.endian != INDEX_ENDIAN)
    {
      *why = "not an index";
      return NULL;
    }
  if (header.file_size != (guint64) st.st_size)
    {
      *why = "truncated";
      return NULL;
    }
  header.uuid[sizeof header.uuid - 1] = '\0';
  if (g_strcmp0 (header.uuid, uuid) != 0 || header.generation != generation)
    {
      *why = "stale";
      return NULL;
    }
  if (header.n_columns > 1000000 ||
      !in_bounds (header.table_offset, (guint64) header.n_columns * sizeof (ColumnHeader), self->map_len) ||
      !in_bounds (header.names_offset, header.names_size, self->map_len) ||
      !in_bounds (header.universe_offset, COHORT_BITMAP_WORDS (header.n_ordinals) * 8, self->map_len))
    {
      *why = "damaged header";
      return NULL;
    }
  table = (const ColumnHeader *) (map + header.table_offset);
  {
    guint64 want = header.header_checksum, h;

    header.header_checksum = 0;
    h = checksum_bytes (0, &header, sizeof header);
    h = checksum_bytes (h, table, sizeof (ColumnHeader) * header.n_columns);
    h = checksum_bytes (h, map + header.names_offset, header.names_size);
    if (h != want)
      {
        *why = "damaged header";
        return NULL;
      }
  }

  self->uuid = g_strdup (header.uuid);
  self->generation = header.generation;
  self->n_ordinals = header.n_ordinals;
  self->n_customers = header.n_customers;
  self->n_columns = header.n_columns;
  self->columns = g_new0 (CohortColumn, self->n_columns);
  self->checked = g_new0 (gint, self->n_columns);
  self->headers = table;
  self->size = self->map_len;

  {
    const guint64 *words = (const guint64 *) (map + header.universe_offset);
    gsize n_words = COHORT_BITMAP_WORDS (header.n_ordinals);

    if (checksum_bytes (0, words, n_words * 8) != header.universe_checksum)
      {
        *why = "damaged universe";
        return NULL;
      }
    self->universe = cohort_bitmap_new_from_words (words, header.n_ordinals);
  }

  for (guint i = 0; i < self->n_columns; i++)
    {
      const ColumnHeader *t = &table[i];
      CohortColumn *c = &self->columns[i];
      const char *names = (const char *) map + header.names_offset;

      if (t->kind > COHORT_COLUMN_EMAIL || t->n_entries == 0 ||
          (guint64) t->name_offset + t->name_len >= header.names_size ||
          names[t->name_offset + t->name_len] != '\0' ||
          !in_bounds (t->codes_offset, (guint64) header.n_ordinals * 4, self->map_len) ||
          !in_bounds (t->offsets_offset, ((guint64) t->n_entries + 1) * 4, self->map_len) ||
          !in_bounds (t->pool_offset, t->pool_size, self->map_len) ||
          !in_bounds (t->flags_offset, t->n_entries, self->map_len) ||
          (t->numbers_offset && !in_bounds (t->numbers_offset, (guint64) t->n_entries * 8, self->map_len)) ||
          (t->timestamps_offset && !in_bounds (t->timestamps_offset, (guint64) t->n_entries * 8, self->map_len)))
        {
          *why = "damaged column table";
          return NULL;
        }
      c->kind = t->kind;
      c->name = names + t->name_offset;
      c->n_entries = t->n_entries;
      c->codes = (const guint32 *) (map + t->codes_offset);
      c->offsets = (const guint32 *) (map + t->offsets_offset);
      c->pool = (const char *) map + t->pool_offset;
      c->flags = map + t->flags_offset;
      c->numbers = t->numbers_offset ? (const double *) (map + t->numbers_offset) : NULL;
      c->timestamps = t->timestamps_offset ? (const gint64 *) (map + t->timestamps_offset) : NULL;
      index_add_column (self, c, i);
    }
  index_finish_names (self);
  return g_steal_pointer (&self);
}

/* A mapped column is trusted only after its checksum and offsets check out. */
static gboolean
check_column (CohortColumnIndex *self, guint i)
{
  const CohortColumn *c = &self->columns[i];
  const ColumnHeader *t;
  gint state = g_atomic_int_get (&self->checked[i]);
  gboolean good = TRUE;

  if (state != 0)
    return state > 0;
  t = &self->headers[i];
  if (column_checksum (c, self->n_ordinals, t->pool_size) != t->checksum)
    good = FALSE;
  else
    {
      /* Offsets must rise and end at the pool's end, which ends with a NUL:
       * every read of an entry then stays inside the pool. */
      if (c->offsets[0] != 0 || c->offsets[c->n_entries] != t->pool_size ||
          t->pool_size == 0 || c->pool[t->pool_size - 1] != '\0')
        good = FALSE;
      for (guint32 k = 0; good && k < c->n_entries; k++)
        if (c->offsets[k + 1] <= c->offsets[k])
          good = FALSE;
    }
  g_atomic_int_set (&self->checked[i], good ? 1 : -1);
  return good;
}

/* ------------------------------------------------------------------ */
/* Cache                                                                */

static GMutex cache_lock;
static GHashTable *cache;   /* workspace path -> CohortColumnIndex */

char *
cohort_column_index_sidecar_path (const char *workspace_path)
{
  return g_strconcat (workspace_path, ".index", NULL);
}

void
cohort_column_index_forget (const char *path,
                            gboolean    remove_file)
{
  g_mutex_lock (&cache_lock);
  if (cache != NULL)
    g_hash_table_remove (cache, path);
  g_mutex_unlock (&cache_lock);
  if (remove_file)
    {
      g_autofree char *sidecar = cohort_column_index_sidecar_path (path);
      g_unlink (sidecar);
    }
}

CohortColumnIndex *
cohort_column_index_ensure_for_db (sqlite3       *db,
                                   const char    *path,
                                   GCancellable  *cancellable,
                                   GError       **error)
{
  g_autofree char *uuid = NULL;
  g_autofree char *sidecar = NULL;
  CohortColumnIndex *index;
  const char *why = NULL;
  gboolean in_transaction;
  gint64 generation;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  /* Inside a transaction the data may yet roll back: never cache or persist it. */
  in_transaction = !sqlite3_get_autocommit (db);
  if (in_transaction)
    return cohort_column_index_build (db, cancellable, error);

  if (!query_generation (db, &uuid, &generation, error))
    return NULL;

  g_mutex_lock (&cache_lock);
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) cohort_column_index_unref);
  index = g_hash_table_lookup (cache, path);
  if (index != NULL && index->generation == generation && g_strcmp0 (index->uuid, uuid) == 0)
    {
      cohort_column_index_ref (index);
      g_mutex_unlock (&cache_lock);
      return index;
    }

  sidecar = cohort_column_index_sidecar_path (path);
  index = map_sidecar (sidecar, uuid, generation, &why);
  if (index == NULL)
    {
      g_autoptr(GError) write_error = NULL;
      gint64 t0 = g_get_monotonic_time ();

      g_debug ("Index %s: %s, rebuilding", sidecar, why);
      index = cohort_column_index_build (db, cancellable, error);
      if (index == NULL)
        {
          g_mutex_unlock (&cache_lock);
          return NULL;
        }
      /* Built from a newer snapshot than the generation read above? Then the
       * index carries its own, which is what counts. */
      if (!write_sidecar (index, sidecar, &write_error))
        g_debug ("Could not write the index file (working in memory): %s", write_error->message);
      else
        g_debug ("Wrote %s in %.0f ms", sidecar, (g_get_monotonic_time () - t0) / 1000.0);
    }
  /* One index per workspace in use: a window switching between workspaces
   * should not keep every index it has seen (evaluations hold their own refs). */
  if (!g_hash_table_contains (cache, path) && g_hash_table_size (cache) >= 2)
    g_hash_table_remove_all (cache);
  g_hash_table_replace (cache, g_strdup (path), cohort_column_index_ref (index));
  g_mutex_unlock (&cache_lock);
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
cohort_column_index_get_uuid (CohortColumnIndex *self)
{
  return self->uuid;
}

gint64
cohort_column_index_get_generation (CohortColumnIndex *self)
{
  return self->generation;
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
  return self->map != NULL;
}

gsize
cohort_column_index_get_size (CohortColumnIndex *self)
{
  return self->size;
}

const char **
cohort_column_index_list_attributes (CohortColumnIndex *self)
{
  return self->attribute_names;
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
                   _("The index file is damaged (column “%s”)"), field);
      return FALSE;
    }
  *column = c;
  return TRUE;
}

const char *
cohort_column_index_get_text (CohortColumnIndex *self,
                              const char        *field,
                              guint32            ordinal)
{
  const CohortColumn *c = NULL;
  guint32 code;

  if (!cohort_column_index_get_column (self, field, &c, NULL) || c == NULL ||
      ordinal >= self->n_ordinals)
    return NULL;
  code = c->codes[ordinal];
  if (code == 0)
    return NULL;
  return cohort_column_entry (c, code, NULL);
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
