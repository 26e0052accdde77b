/* cohort-event-index.c: the events of a workspace, columnar, for counting
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cohort-attrs.h"
#include "cohort-column-private.h"
#include "cohort-derived-file-private.h"
#include "cohort-evaluator.h"
#include "cohort-event-index.h"
#include "cohort-workspace.h"

#define MAGIC "COHEVT02"
#define FORMAT_VERSION 2
#define CHECK_EVERY (1u << 20)

/* Sections of the sidecar (cohort-derived-file-private.h):
 *   META | NAME_OFFSETS | NAME_POOL | NAME_START | ATTRS | ATTR_NAMES |
 *   per name: CUSTOMERS | TIMESTAMPS |
 *   per attribute: CODES | OFFSETS | POOL | FLAGS | NUMBERS? | TIMESTAMPS?
 * The first six are checked on open; a name's events the first time a
 * condition reads that name, an attribute the first time a filter reads it. */
enum
{
  SECTION_META = 1,
  SECTION_NAME_OFFSETS,
  SECTION_NAME_POOL,
  SECTION_NAME_START,
  SECTION_ATTRS,
  SECTION_ATTR_NAMES,
  SECTION_CUSTOMERS = 10,
  SECTION_TIMES,
  SECTION_CODES = 20,
  SECTION_OFFSETS,
  SECTION_POOL,
  SECTION_FLAGS,
  SECTION_NUMBERS,
  SECTION_TIMESTAMPS,
};
#define FIRST_NAME_SECTION 6u

typedef struct
{
  guint64 n_events;
  guint32 n_names;
  guint32 n_attrs;
} EventMeta;

typedef struct
{
  guint32 name_offset;
  guint32 name_len;
  guint32 n_entries;
  guint32 first_section;    /* its CODES; then OFFSETS, POOL, FLAGS, NUMBERS?, TIMESTAMPS? */
  guint32 has_numbers;
  guint32 has_timestamps;
} AttrEntry;

typedef struct
{
  char                *name;
  CohortColumn         column;     /* codes over the sorted events */
  CohortColumnBuilder *builder;    /* owns the arrays when built; NULL when mapped */
  guint32              first_section;
  gint                 checked;    /* 0 unknown, 1 good, -1 damaged */
} EventAttr;

struct _CohortEventIndex
{
  gatomicrefcount  ref;
  char            *stamp;
  guint64          n_events;
  guint32          n_names;
  const guint32   *name_offsets;   /* [n_names + 1] into name_pool, NUL-terminated names */
  const char      *name_pool;
  const guint64   *name_start;     /* [n_names + 1]: the events of name k are [start[k], start[k+1]) */
  const guint32  **name_customers; /* [n_names]: the customer ordinals of the events of name k */
  const gint64   **name_times;     /* [n_names]: their timestamps, ascending */
  gint            *name_checked;   /* [n_names]: 0 unknown, 1 good, -1 damaged */
  guint            n_attrs;
  EventAttr       *attrs;

  CohortDerivedFile *file;         /* the mapped sidecar, NULL when built */
  GPtrArray       *owned;          /* buffers */
};

static CohortDerivedCache cache = COHORT_DERIVED_CACHE_INIT (2, cohort_event_index_ref,
                                                             cohort_event_index_unref);

CohortEventIndex *
cohort_event_index_ref (CohortEventIndex *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
cohort_event_index_unref (CohortEventIndex *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  for (guint i = 0; i < self->n_attrs; i++)
    {
      g_free (self->attrs[i].name);
      cohort_column_builder_free (self->attrs[i].builder);
    }
  g_free (self->attrs);
  g_free (self->stamp);
  g_clear_pointer (&self->owned, g_ptr_array_unref);
  g_clear_pointer (&self->file, cohort_derived_file_free);
  g_free (self);
}

guint64
cohort_event_index_get_n_events (CohortEventIndex *self)
{
  return self->n_events;
}

gboolean
cohort_event_index_is_mapped (CohortEventIndex *self)
{
  return self->file != NULL;
}

static gboolean
db_failed (sqlite3 *db, GError **error, const char *what)
{
  g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_FAILED,
               _("Cannot read the events (%s): %s"), what, sqlite3_errmsg (db));
  return FALSE;
}

/* ---- building ---------------------------------------------------------- */

typedef struct
{
  gint64  ts;
  guint32 row;
} SortItem;

static int
compare_items (const void *a, const void *b)
{
  const SortItem *x = a, *y = b;

  if (x->ts != y->ts)
    return x->ts < y->ts ? -1 : 1;
  return x->row < y->row ? -1 : x->row > y->row;
}

typedef struct
{
  const char *name;
  guint32     temp;
} NameItem;

static int
compare_names (const void *a, const void *b)
{
  return strcmp (((const NameItem *) a)->name, ((const NameItem *) b)->name);
}

static gpointer
own (CohortEventIndex *self, gpointer buffer)
{
  g_ptr_array_add (self->owned, buffer);
  return buffer;
}

static gboolean
build_scan (CohortEventIndex  *self,
            sqlite3           *db,
            GCancellable      *cancellable,
            GError           **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) attr_slots = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GPtrArray) name_list = g_ptr_array_new ();   /* temp code -> name (owned by names) */
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  g_autofree guint32 *tmp_customers = NULL;
  g_autofree guint32 *tmp_names = NULL;
  g_autofree gint64 *tmp_ts = NULL;
  g_autofree SortItem *items = NULL;
  g_autofree guint64 *bucket = NULL;
  g_autofree guint32 *remap = NULL;
  g_autofree NameItem *sorted_names = NULL;
  g_autofree guint32 *perm = NULL;
  sqlite3_stmt *stmt = NULL;
  guint64 n = 0, capacity = 0;
  guint32 *customers, *name_offsets;
  gint64 *timestamps;
  guint64 *name_start;
  GByteArray *pool;
  int rc;

  if (!cohort_derived_read_stamp (db, COHORT_STAMP_EVENTS, &self->stamp, error))
    return FALSE;

  /* Attribute names first: their ids key the blobs. */
  if (sqlite3_prepare_v2 (db, "SELECT id, name FROM event_attributes ORDER BY id", -1, &stmt, NULL) != SQLITE_OK)
    return db_failed (db, error, "event_attributes");
  {
    g_autoptr(GPtrArray) attr_names = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GArray) attr_ids = g_array_new (FALSE, FALSE, sizeof (guint32));

    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        guint32 id = (guint32) sqlite3_column_int64 (stmt, 0);

        g_array_append_val (attr_ids, id);
        g_ptr_array_add (attr_names, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
      }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE)
      return db_failed (db, error, "event_attributes");

    if (sqlite3_prepare_v2 (db, "SELECT count(*) FROM events", -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_step (stmt) != SQLITE_ROW)
      {
        sqlite3_finalize (stmt);
        return db_failed (db, error, "events");
      }
    capacity = (guint64) sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    if (capacity >= G_MAXUINT32)
      {
        g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_FAILED,
                     _("Too many events to index (%" PRIu64 ")"), capacity);
        return FALSE;
      }

    self->n_attrs = attr_ids->len;
    self->attrs = g_new0 (EventAttr, self->n_attrs);
    for (guint i = 0; i < attr_ids->len; i++)
      {
        self->attrs[i].name = g_strdup (attr_names->pdata[i]);
        self->attrs[i].builder = cohort_column_builder_new (self->attrs[i].name, (guint32) MAX (capacity, 1));
        g_hash_table_insert (attr_slots, GUINT_TO_POINTER (g_array_index (attr_ids, guint32, i)),
                             GUINT_TO_POINTER (i + 1));
      }
  }

  tmp_customers = g_new (guint32, MAX (capacity, 1));
  tmp_names = g_new (guint32, MAX (capacity, 1));
  tmp_ts = g_new (gint64, MAX (capacity, 1));

  if (sqlite3_prepare_v2 (db, "SELECT customer, name, timestamp, attrs FROM events", -1, &stmt, NULL) != SQLITE_OK)
    return db_failed (db, error, "events");
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 1);
      const guint8 *blob = sqlite3_column_blob (stmt, 3);
      gsize blob_len = (gsize) sqlite3_column_bytes (stmt, 3);
      gpointer code;

      if (n >= capacity)    /* rows appeared between count and scan: not in one snapshot */
        break;
      tmp_customers[n] = (guint32) sqlite3_column_int64 (stmt, 0);
      tmp_ts[n] = sqlite3_column_int64 (stmt, 2);
      if (!g_hash_table_lookup_extended (names, name ? name : "", NULL, &code))
        {
          char *copy = g_strdup (name ? name : "");

          code = GUINT_TO_POINTER (name_list->len);
          g_hash_table_insert (names, copy, code);
          g_ptr_array_add (name_list, copy);
        }
      tmp_names[n] = GPOINTER_TO_UINT (code);

      g_array_set_size (entries, 0);
      if (blob != NULL && cohort_attrs_decode (blob, blob_len, entries))
        for (guint i = 0; i < entries->len; i++)
          {
            const CohortAttrEntry *e = &g_array_index (entries, CohortAttrEntry, i);
            guint slot = GPOINTER_TO_UINT (g_hash_table_lookup (attr_slots, GUINT_TO_POINTER (e->attr)));

            if (slot != 0)
              {
                CohortColumnBuilder *b = self->attrs[slot - 1].builder;
                cohort_column_builder_codes (b)[n] = cohort_column_builder_intern (b, e->value, e->len);
              }
          }
      n++;
      if ((n & (CHECK_EVERY - 1)) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          sqlite3_finalize (stmt);
          return FALSE;
        }
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return db_failed (db, error, "events");
  self->n_events = n;

  /* Names in alphabetical order; temp codes remapped. */
  self->n_names = name_list->len;
  sorted_names = g_new (NameItem, MAX (self->n_names, 1));
  for (guint32 k = 0; k < self->n_names; k++)
    {
      sorted_names[k].name = name_list->pdata[k];
      sorted_names[k].temp = k;
    }
  qsort (sorted_names, self->n_names, sizeof (NameItem), compare_names);
  remap = g_new (guint32, MAX (self->n_names, 1));
  pool = g_byte_array_new ();
  name_offsets = own (self, g_new (guint32, self->n_names + 1));
  for (guint32 k = 0; k < self->n_names; k++)
    {
      remap[sorted_names[k].temp] = k;
      name_offsets[k] = pool->len;
      g_byte_array_append (pool, (const guint8 *) sorted_names[k].name, strlen (sorted_names[k].name) + 1);
    }
  name_offsets[self->n_names] = pool->len;
  self->name_offsets = name_offsets;
  self->name_pool = own (self, g_byte_array_free (pool, FALSE));

  /* Counting sort by name, then by time within each name. */
  bucket = g_new0 (guint64, self->n_names + 1);
  for (guint64 i = 0; i < n; i++)
    bucket[remap[tmp_names[i]] + 1]++;
  for (guint32 k = 0; k < self->n_names; k++)
    bucket[k + 1] += bucket[k];
  name_start = own (self, g_memdup2 (bucket, sizeof (guint64) * (self->n_names + 1)));
  self->name_start = name_start;

  items = g_new (SortItem, MAX (n, 1));
  for (guint64 i = 0; i < n; i++)
    {
      guint64 pos = bucket[remap[tmp_names[i]]]++;

      items[pos].ts = tmp_ts[i];
      items[pos].row = (guint32) i;
    }
  for (guint32 k = 0; k < self->n_names; k++)
    qsort (items + name_start[k], name_start[k + 1] - name_start[k], sizeof (SortItem), compare_items);

  customers = own (self, g_new (guint32, MAX (n, 1)));
  timestamps = own (self, g_new (gint64, MAX (n, 1)));
  perm = g_new (guint32, MAX (n, 1));
  for (guint64 j = 0; j < n; j++)
    {
      perm[j] = items[j].row;
      customers[j] = tmp_customers[items[j].row];
      timestamps[j] = items[j].ts;
    }
  self->name_customers = own (self, g_new (const guint32 *, MAX (self->n_names, 1)));
  self->name_times = own (self, g_new (const gint64 *, MAX (self->n_names, 1)));
  self->name_checked = own (self, g_new (gint, MAX (self->n_names, 1)));
  for (guint32 k = 0; k < self->n_names; k++)
    {
      self->name_customers[k] = customers + name_start[k];
      self->name_times[k] = timestamps + name_start[k];
      self->name_checked[k] = 1;
    }
  g_clear_pointer (&items, g_free);

  for (guint a = 0; a < self->n_attrs; a++)
    {
      guint32 *codes = cohort_column_builder_codes (self->attrs[a].builder);

      for (guint64 j = 0; j < n; j++)
        tmp_customers[j] = codes[perm[j]];       /* reuse as scratch */
      memcpy (codes, tmp_customers, sizeof (guint32) * n);
      cohort_column_builder_finish (self->attrs[a].builder, &self->attrs[a].column);
      self->attrs[a].checked = 1;
    }
  return TRUE;
}

CohortEventIndex *
cohort_event_index_build (sqlite3       *db,
                          GCancellable  *cancellable,
                          GError       **error)
{
  CohortEventIndex *self = g_new0 (CohortEventIndex, 1);
  gboolean own_snapshot = sqlite3_get_autocommit (db) != 0;
  gboolean ok;

  g_atomic_ref_count_init (&self->ref);
  self->owned = g_ptr_array_new_with_free_func (g_free);

  /* One read snapshot for the stamp and the rows. */
  if (own_snapshot && sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    {
      db_failed (db, error, "BEGIN");
      cohort_event_index_unref (self);
      return NULL;
    }
  ok = build_scan (self, db, cancellable, error);
  if (own_snapshot)
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  if (!ok)
    {
      cohort_event_index_unref (self);
      return NULL;
    }
  return self;
}

/* ---- the sidecar file ---------------------------------------------------- */

char *
cohort_event_index_sidecar_path (const char *workspace_path)
{
  return g_strconcat (workspace_path, ".events-index", NULL);
}

static gboolean
write_sidecar (CohortEventIndex *self, const char *path, GError **error)
{
  g_autoptr(CohortDerivedWriter) w = cohort_derived_writer_new (MAGIC, FORMAT_VERSION, self->stamp);
  g_autofree AttrEntry *table = g_new0 (AttrEntry, MAX (self->n_attrs, 1));
  g_autoptr(GString) names = g_string_new (NULL);
  EventMeta meta = { 0 };
  guint64 next = FIRST_NAME_SECTION + 2 * (guint64) self->n_names;

  if (next + 6 * (guint64) self->n_attrs >= G_MAXUINT32)
    {
      g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_FAILED, "too many event names");
      return FALSE;
    }
  meta.n_events = self->n_events;
  meta.n_names = self->n_names;
  meta.n_attrs = self->n_attrs;
  for (guint a = 0; a < self->n_attrs; a++)
    {
      const CohortColumn *c = &self->attrs[a].column;

      table[a].name_offset = (guint32) names->len;
      table[a].name_len = (guint32) strlen (self->attrs[a].name);
      g_string_append_len (names, self->attrs[a].name, table[a].name_len + 1);
      table[a].n_entries = c->n_entries;
      table[a].first_section = (guint32) next;
      table[a].has_numbers = c->numbers != NULL;
      table[a].has_timestamps = c->timestamps != NULL;
      next += 4 + table[a].has_numbers + table[a].has_timestamps;
    }

  cohort_derived_writer_add (w, SECTION_META, &meta, sizeof meta);
  cohort_derived_writer_add (w, SECTION_NAME_OFFSETS, self->name_offsets, sizeof (guint32) * (self->n_names + 1));
  cohort_derived_writer_add (w, SECTION_NAME_POOL, self->name_pool, self->name_offsets[self->n_names]);
  cohort_derived_writer_add (w, SECTION_NAME_START, self->name_start, sizeof (guint64) * (self->n_names + 1));
  cohort_derived_writer_add (w, SECTION_ATTRS, table, sizeof (AttrEntry) * self->n_attrs);
  cohort_derived_writer_add (w, SECTION_ATTR_NAMES, names->str, names->len);
  for (guint32 k = 0; k < self->n_names; k++)
    {
      gsize n = self->name_start[k + 1] - self->name_start[k];

      cohort_derived_writer_add (w, SECTION_CUSTOMERS, self->name_customers[k], n * sizeof (guint32));
      cohort_derived_writer_add (w, SECTION_TIMES, self->name_times[k], n * sizeof (gint64));
    }
  for (guint a = 0; a < self->n_attrs; a++)
    {
      const CohortColumn *c = &self->attrs[a].column;

      cohort_derived_writer_add (w, SECTION_CODES, c->codes, sizeof (guint32) * self->n_events);
      cohort_derived_writer_add (w, SECTION_OFFSETS, c->offsets, sizeof (guint32) * ((gsize) c->n_entries + 1));
      cohort_derived_writer_add (w, SECTION_POOL, c->pool, c->offsets[c->n_entries]);
      cohort_derived_writer_add (w, SECTION_FLAGS, c->flags, c->n_entries);
      if (c->numbers != NULL)
        cohort_derived_writer_add (w, SECTION_NUMBERS, c->numbers, sizeof (double) * c->n_entries);
      if (c->timestamps != NULL)
        cohort_derived_writer_add (w, SECTION_TIMESTAMPS, c->timestamps, sizeof (gint64) * c->n_entries);
    }
  return cohort_derived_writer_write (w, path, error);
}

static gconstpointer
peek_exact (CohortDerivedFile *file, guint64 i, guint32 tag, guint64 size)
{
  guint64 actual;
  gconstpointer p = i < G_MAXUINT ? cohort_derived_file_peek (file, (guint) i, tag, &actual) : NULL;

  return p != NULL && actual == size ? p : NULL;
}

static gconstpointer
section_exact (CohortDerivedFile *file, guint i, guint32 tag, guint64 size)
{
  gconstpointer p = peek_exact (file, i, tag, size);

  return p != NULL && cohort_derived_file_verify (file, i) ? p : NULL;
}

/* NULL when missing, stale or damaged (then @why says which). */
static CohortEventIndex *
map_sidecar (const char  *path,
             const char  *stamp,
             const char **why)
{
  g_autoptr(CohortDerivedFile) file = NULL;
  g_autoptr(CohortEventIndex) self = NULL;
  const AttrEntry *table;
  const char *attr_names;
  guint64 pool_size, attr_names_size, n_sections;
  gconstpointer p;
  EventMeta meta;

  file = cohort_derived_file_open (path, MAGIC, FORMAT_VERSION, stamp, why);
  if (file == NULL)
    return NULL;
  n_sections = cohort_derived_file_get_n_sections (file);

  /* The small sections: checked now. */
  *why = "damaged";
  if ((p = section_exact (file, 0, SECTION_META, sizeof meta)) == NULL)
    return NULL;
  memcpy (&meta, p, sizeof meta);
  if (meta.n_events >= G_MAXUINT32 || meta.n_names >= G_MAXUINT32 / 4 || meta.n_attrs > 100000 ||
      n_sections < FIRST_NAME_SECTION + 2 * (guint64) meta.n_names)
    return NULL;

  self = g_new0 (CohortEventIndex, 1);
  g_atomic_ref_count_init (&self->ref);
  self->owned = g_ptr_array_new_with_free_func (g_free);
  self->stamp = g_strdup (stamp);
  self->n_events = meta.n_events;
  self->n_names = meta.n_names;
  self->name_offsets = section_exact (file, 1, SECTION_NAME_OFFSETS, sizeof (guint32) * ((guint64) meta.n_names + 1));
  self->name_pool = cohort_derived_file_section (file, 2, SECTION_NAME_POOL, &pool_size);
  self->name_start = section_exact (file, 3, SECTION_NAME_START, sizeof (guint64) * ((guint64) meta.n_names + 1));
  table = section_exact (file, 4, SECTION_ATTRS, sizeof (AttrEntry) * (guint64) meta.n_attrs);
  attr_names = cohort_derived_file_section (file, 5, SECTION_ATTR_NAMES, &attr_names_size);
  if (self->name_offsets == NULL || self->name_pool == NULL || self->name_start == NULL ||
      table == NULL || attr_names == NULL)
    return NULL;

  /* Names: NUL-terminated inside the pool, strictly ascending (they are
   * searched by bisection); their events: consecutive ranges. */
  if (self->name_offsets[0] != 0 || self->name_offsets[self->n_names] != pool_size ||
      self->name_start[0] != 0 || self->name_start[self->n_names] != self->n_events)
    return NULL;
  for (guint32 k = 0; k < self->n_names; k++)
    if (self->name_offsets[k] >= self->name_offsets[k + 1] ||
        self->name_pool[self->name_offsets[k + 1] - 1] != '\0' ||
        self->name_start[k] > self->name_start[k + 1] ||
        (k > 0 && strcmp (self->name_pool + self->name_offsets[k - 1], self->name_pool + self->name_offsets[k]) >= 0))
      return NULL;

  self->name_customers = own (self, g_new0 (const guint32 *, MAX (self->n_names, 1)));
  self->name_times = own (self, g_new0 (const gint64 *, MAX (self->n_names, 1)));
  self->name_checked = own (self, g_new0 (gint, MAX (self->n_names, 1)));
  for (guint32 k = 0; k < self->n_names; k++)
    {
      guint64 n = self->name_start[k + 1] - self->name_start[k];

      self->name_customers[k] = peek_exact (file, FIRST_NAME_SECTION + 2 * (guint64) k, SECTION_CUSTOMERS, n * 4);
      self->name_times[k] = peek_exact (file, FIRST_NAME_SECTION + 2 * (guint64) k + 1, SECTION_TIMES, n * 8);
      if (self->name_customers[k] == NULL || self->name_times[k] == NULL)
        return NULL;
    }

  self->attrs = g_new0 (EventAttr, MAX (meta.n_attrs, 1));
  self->n_attrs = meta.n_attrs;
  for (guint a = 0; a < self->n_attrs; a++)
    {
      const AttrEntry *t = &table[a];
      EventAttr *attr = &self->attrs[a];
      CohortColumn *c = &attr->column;
      guint64 s = t->first_section, attr_pool_size;

      if (t->n_entries == 0 || t->n_entries == G_MAXUINT32 || t->has_numbers > 1 || t->has_timestamps > 1 ||
          (guint64) t->name_offset + t->name_len >= attr_names_size ||
          attr_names[t->name_offset + t->name_len] != '\0' ||
          s < FIRST_NAME_SECTION + 2 * (guint64) self->n_names ||
          s + 4 + t->has_numbers + t->has_timestamps > n_sections)
        return NULL;
      attr->name = g_strdup (attr_names + t->name_offset);
      attr->first_section = t->first_section;
      c->kind = COHORT_COLUMN_ATTRIBUTE;
      c->name = attr->name;
      c->n_entries = t->n_entries;
      c->codes = peek_exact (file, s++, SECTION_CODES, sizeof (guint32) * self->n_events);
      c->offsets = peek_exact (file, s++, SECTION_OFFSETS, sizeof (guint32) * ((guint64) t->n_entries + 1));
      c->pool = cohort_derived_file_peek (file, (guint) s++, SECTION_POOL, &attr_pool_size);
      c->flags = peek_exact (file, s++, SECTION_FLAGS, t->n_entries);
      if (t->has_numbers && (c->numbers = peek_exact (file, s++, SECTION_NUMBERS, sizeof (double) * t->n_entries)) == NULL)
        return NULL;
      if (t->has_timestamps && (c->timestamps = peek_exact (file, s++, SECTION_TIMESTAMPS, sizeof (gint64) * t->n_entries)) == NULL)
        return NULL;
      if (c->codes == NULL || c->offsets == NULL || c->pool == NULL || c->flags == NULL ||
          attr_pool_size == 0 || attr_pool_size >= G_MAXUINT32)
        return NULL;
    }
  self->file = g_steal_pointer (&file);
  return g_steal_pointer (&self);
}

/* Damage found in a mapped index: the file goes, and so does the cached
 * index, so that the next use rebuilds both. */
static void
discard (CohortEventIndex *self, const char *what)
{
  g_debug ("The event index is damaged (%s)", what);
  cohort_derived_file_discard (self->file);
  cohort_derived_cache_remove_object (&cache, self);
}

/* The events of name @k are checked once, the first time a condition reads them. */
static gboolean
check_name (CohortEventIndex *self, guint32 k)
{
  gint state = g_atomic_int_get (&self->name_checked[k]);
  guint64 n = self->name_start[k + 1] - self->name_start[k];
  const gint64 *times = self->name_times[k];
  gboolean good;

  if (state != 0)
    return state > 0;
  good = cohort_derived_file_verify_sections (self->file, FIRST_NAME_SECTION + 2 * k, 2);
  for (guint64 i = 1; good && i < n; i++)
    good = times[i - 1] <= times[i];
  g_atomic_int_set (&self->name_checked[k], good ? 1 : -1);
  if (!good)
    discard (self, self->name_pool + self->name_offsets[k]);
  return good;
}

/* A mapped column is checked once, the first time a condition reads it. */
static gboolean
check_column (CohortEventIndex *self, EventAttr *attr)
{
  const CohortColumn *c = &attr->column;
  gint state = g_atomic_int_get (&attr->checked);
  guint32 n_sections = 4 + (c->numbers != NULL) + (c->timestamps != NULL);
  guint64 pool_size = 0;
  gboolean good = TRUE;

  if (state != 0 || self->file == NULL)
    return state >= 0;
  good = cohort_derived_file_verify_sections (self->file, attr->first_section, n_sections);
  cohort_derived_file_peek (self->file, attr->first_section + 2, SECTION_POOL, &pool_size);
  good = good && c->offsets[0] == 0 && c->offsets[c->n_entries] == pool_size;
  for (guint32 k = 0; good && k < c->n_entries; k++)
    good = c->offsets[k] < c->offsets[k + 1] && c->pool[c->offsets[k + 1] - 1] == '\0';
  for (guint64 i = 0; good && i < self->n_events; i++)
    good = c->codes[i] < c->n_entries;
  g_atomic_int_set (&attr->checked, good ? 1 : -1);
  if (!good)
    discard (self, attr->name);
  return good;
}

/* ---- the cache -------------------------------------------------------- */

static GMutex build_lock;

void
cohort_event_index_forget (const char *path,
                           gboolean    remove_file)
{
  cohort_derived_cache_forget (&cache, path);
  if (remove_file)
    {
      g_autofree char *sidecar = cohort_event_index_sidecar_path (path);
      g_remove (sidecar);
    }
}

guint
cohort_event_index_get_n_cached (void)
{
  return cohort_derived_cache_get_n_entries (&cache);
}

CohortEventIndex *
cohort_event_index_ensure_for_db (sqlite3       *db,
                                  const char    *path,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  g_autofree char *stamp = NULL;
  g_autofree char *sidecar = NULL;
  CohortEventIndex *index;
  const char *why = NULL;

  g_return_val_if_fail (db != NULL, NULL);

  /* Inside a transaction the data may yet roll back: never cache or persist it. */
  if (path == NULL || !sqlite3_get_autocommit (db))
    return cohort_event_index_build (db, cancellable, error);
  if (!cohort_derived_read_stamp (db, COHORT_STAMP_EVENTS, &stamp, error))
    return NULL;
  if (stamp == NULL)
    return cohort_event_index_build (db, cancellable, error);
  if ((index = cohort_derived_cache_lookup (&cache, path, stamp)) != NULL)
    return index;

  g_mutex_lock (&build_lock);
  if ((index = cohort_derived_cache_lookup (&cache, path, stamp)) != NULL)
    {
      g_mutex_unlock (&build_lock);
      return index;
    }
  sidecar = cohort_event_index_sidecar_path (path);
  index = map_sidecar (sidecar, stamp, &why);
  if (index == NULL)
    {
      g_autoptr(GError) write_error = NULL;

      g_debug ("Event index %s: %s, rebuilding", sidecar, why);
      /* Built in its own snapshot, with that snapshot's stamp. */
      index = cohort_event_index_build (db, cancellable, error);
      if (index == NULL)
        {
          g_mutex_unlock (&build_lock);
          return NULL;
        }
      if (index->stamp == NULL)
        g_debug ("No stamp to write %s with: kept in memory", sidecar);
      else if (!write_sidecar (index, sidecar, &write_error))
        g_debug ("Could not write the event index (working in memory): %s", write_error->message);
    }
  if (index->stamp != NULL)
    cohort_derived_cache_insert (&cache, path, index->stamp, index);
  g_mutex_unlock (&build_lock);
  return index;
}

/* ---- evaluation ------------------------------------------------------- */

static gint64
find_name (CohortEventIndex *self, const char *name)
{
  guint32 lo = 0, hi = self->n_names;

  while (lo < hi)
    {
      guint32 mid = lo + (hi - lo) / 2;
      int cmp = strcmp (self->name_pool + self->name_offsets[mid], name);

      if (cmp == 0)
        return mid;
      if (cmp < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return -1;
}

/* First position in [lo, hi) whose timestamp is >= @ts. */
static guint64
lower_bound (const gint64 *ts, guint64 lo, guint64 hi, gint64 value)
{
  while (lo < hi)
    {
      guint64 mid = lo + (hi - lo) / 2;

      if (ts[mid] < value)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static gboolean
count_matches (CohortOperator op, gint64 value, guint32 count)
{
  switch (op)
    {
    case COHORT_OP_LTE:
      return count <= value;
    case COHORT_OP_EQ:
      return count == value;
    case COHORT_OP_GTE:
    default:
      return count >= value;
    }
}

CohortBitmap *
cohort_event_index_evaluate (CohortEventIndex           *self,
                             const CohortEventCondition *cond,
                             const CohortBitmap         *universe,
                             gint64                      now,
                             GCancellable               *cancellable,
                             GError                    **error)
{
  g_autoptr(CohortBitmap) result = NULL;
  g_autofree guint32 *counts = NULL;
  g_autoptr(GPtrArray) filters = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) filter_columns = g_ptr_array_new ();
  guint32 n_bits = universe->n_bits;
  gint64 name, lo = G_MININT64, hi = G_MAXINT64;
  guint64 start = 0, end = 0, base = 0;
  const guint32 *customers = NULL;
  gboolean none = FALSE;

  g_return_val_if_fail (self != NULL && cond != NULL && universe != NULL, NULL);

  /* The time window: inclusive [lo, hi]. */
  if (cond->within != NULL)
    {
      lo = MAX (lo, now - cond->within_seconds);
      hi = MIN (hi, now);
    }
  if (cond->since != NULL)
    lo = MAX (lo, cond->since_ts);
  if (cond->until != NULL)
    hi = MIN (hi, cond->until_ts == G_MININT64 ? G_MININT64 : cond->until_ts - 1);

  name = find_name (self, cond->name);
  if (name < 0 || lo > hi)
    none = TRUE;
  else if (!check_name (self, (guint32) name))
    {
      g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_DAMAGED,
                   _("The index file is damaged (events “%s”): it will be rebuilt, run the command again"), cond->name);
      return NULL;
    }
  else
    {
      /* Positions within the name's events; attribute codes are over all
       * events, from @base on. */
      guint64 n = self->name_start[name + 1] - self->name_start[name];
      const gint64 *times = self->name_times[name];

      base = self->name_start[name];
      customers = self->name_customers[name];
      start = lower_bound (times, 0, n, lo);
      end = hi == G_MAXINT64 ? n : lower_bound (times, start, n, hi + 1);
    }

  /* Each "where" filter: one byte per distinct value of its attribute. */
  for (guint w = 0; !none && cond->where != NULL && w < cond->where->len; w++)
    {
      const CohortCondition *wc = cond->where->pdata[w];
      EventAttr *attr = NULL;

      for (guint a = 0; a < self->n_attrs && attr == NULL; a++)
        if (g_str_equal (self->attrs[a].name, wc->field))
          attr = &self->attrs[a];
      if (attr == NULL)
        {
          /* No event has this attribute: it is missing everywhere. */
          if (!cohort_operator_matches_missing (wc->op))
            none = TRUE;
          continue;
        }
      if (!check_column (self, attr))
        {
          g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_DAMAGED,
                       _("The index file is damaged (event attribute “%s”): it will be rebuilt, run the command again"), attr->name);
          return NULL;
        }
      {
        /* A pattern too complex for a value is an error, never a non-match. */
        guint8 *matches = cohort_condition_match_entries_full (wc, &attr->column, now, cancellable, error);

        if (matches == NULL)
          return NULL;
        g_ptr_array_add (filters, matches);
      }
      g_ptr_array_add (filter_columns, &attr->column);
    }

  counts = g_new0 (guint32, MAX (n_bits, 1));
  if (!none)
    {
      for (guint64 i = start; i < end; i++)
        {
          guint32 customer = customers[i];
          gboolean pass = TRUE;

          for (guint f = 0; f < filters->len && pass; f++)
            {
              const CohortColumn *c = filter_columns->pdata[f];
              pass = ((const guint8 *) filters->pdata[f])[c->codes[base + i]] != 0;
            }
          if (pass && customer < n_bits)
            counts[customer]++;
          if (((i - start) & (CHECK_EVERY - 1)) == CHECK_EVERY - 1 &&
              g_cancellable_set_error_if_cancelled (cancellable, error))
            return NULL;
        }
    }

  result = cohort_bitmap_new (n_bits);
  for (gint64 o = cohort_bitmap_next (universe, 0); o >= 0; o = cohort_bitmap_next (universe, o + 1))
    if (count_matches (cond->count_op, cond->count_value, counts[o]) == cond->performed)
      cohort_bitmap_set (result, (guint32) o);
  return g_steal_pointer (&result);
}
