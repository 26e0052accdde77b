/* cohort-event-index.c: the events of a workspace, columnar, for counting
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cohort-attrs.h"
#include "cohort-column-private.h"
#include "cohort-event-index.h"

#define MAGIC "COHEVT01"
#define FORMAT_VERSION 1
#define CHECK_EVERY (1u << 20)

typedef struct
{
  char                *name;
  CohortColumn         column;     /* codes over the sorted events */
  CohortColumnBuilder *builder;    /* owns the arrays when built; NULL when mapped */
  gint                 checked;    /* mapped: codes and offsets verified once */
} EventAttr;

struct _CohortEventIndex
{
  gatomicrefcount  ref;
  char            *uuid;
  gint64           generation;
  guint64          n_events;
  guint32          n_names;
  const guint32   *name_offsets;   /* [n_names + 1] into name_pool, NUL-terminated names */
  const char      *name_pool;
  const guint64   *name_start;     /* [n_names + 1]: the events of name k are [start[k], start[k+1]) */
  const guint32   *customers;      /* [n_events] ordinals */
  const gint64    *timestamps;     /* [n_events], ascending within a name */
  guint            n_attrs;
  EventAttr       *attrs;

  gpointer         map;
  gsize            map_size;
  GPtrArray       *owned;          /* buffers of a built index */
};

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
  g_free (self->uuid);
  if (self->map != NULL)
    munmap (self->map, self->map_size);
  g_clear_pointer (&self->owned, g_ptr_array_unref);
  g_free (self);
}

guint64
cohort_event_index_get_n_events (CohortEventIndex *self)
{
  return self->n_events;
}

gint64
cohort_event_index_get_generation (CohortEventIndex *self)
{
  return self->generation;
}

gboolean
cohort_event_index_is_mapped (CohortEventIndex *self)
{
  return self->map != NULL;
}

static gboolean
db_failed (sqlite3 *db, GError **error, const char *what)
{
  g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_FAILED,
               _("Cannot read the events (%s): %s"), what, sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
read_stamp (sqlite3 *db, char **uuid, gint64 *generation, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  *uuid = NULL;
  *generation = 0;
  if (sqlite3_prepare_v2 (db, "SELECT key, value FROM meta WHERE key IN ('uuid', 'data_generation')",
                          -1, &stmt, NULL) != SQLITE_OK)
    return db_failed (db, error, "meta");
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *key = (const char *) sqlite3_column_text (stmt, 0);
      const char *value = (const char *) sqlite3_column_text (stmt, 1);

      if (g_strcmp0 (key, "uuid") == 0)
        {
          g_free (*uuid);
          *uuid = g_strdup (value);
        }
      else if (value != NULL)
        *generation = g_ascii_strtoll (value, NULL, 10);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return db_failed (db, error, "meta");
  return TRUE;
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

  if (!read_stamp (db, &self->uuid, &self->generation, error))
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
  self->customers = customers;
  self->timestamps = timestamps;
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

typedef struct
{
  char    magic[8];
  guint32 version;
  guint32 n_names;
  char    uuid[48];
  gint64  generation;
  guint64 n_events;
  guint32 n_attrs;
  guint32 reserved;
} FileHeader;

typedef struct
{
  guint32 name_len;
  guint32 n_entries;
  guint64 pool_len;
  guint32 has_numbers;
  guint32 has_timestamps;
} AttrHeader;

char *
cohort_event_index_sidecar_path (const char *workspace_path)
{
  return g_strconcat (workspace_path, ".events-index", NULL);
}

static gboolean
put (FILE *f, const void *data, gsize len)
{
  static const guint8 zeros[8] = { 0 };
  gsize pad = (8 - (len & 7)) & 7;

  return (len == 0 || fwrite (data, 1, len, f) == len) &&
         (pad == 0 || fwrite (zeros, 1, pad, f) == pad);
}

static gboolean
write_sidecar (CohortEventIndex *self, const char *path, GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  FileHeader h = { { 0 } };
  gboolean ok;
  FILE *f;

  memcpy (h.magic, MAGIC, 8);
  h.version = FORMAT_VERSION;
  h.n_names = self->n_names;
  g_strlcpy (h.uuid, self->uuid ? self->uuid : "", sizeof h.uuid);
  h.generation = self->generation;
  h.n_events = self->n_events;
  h.n_attrs = self->n_attrs;

  f = g_fopen (tmp, "wb");
  if (f == NULL)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", tmp, g_strerror (saved));
      return FALSE;
    }
  ok = put (f, &h, sizeof h) &&
       put (f, self->name_offsets, sizeof (guint32) * (self->n_names + 1)) &&
       put (f, self->name_pool, self->name_offsets[self->n_names]) &&
       put (f, self->name_start, sizeof (guint64) * (self->n_names + 1)) &&
       put (f, self->customers, sizeof (guint32) * self->n_events) &&
       put (f, self->timestamps, sizeof (gint64) * self->n_events);
  for (guint a = 0; ok && a < self->n_attrs; a++)
    {
      const CohortColumn *c = &self->attrs[a].column;
      AttrHeader ah = { 0 };

      ah.name_len = (guint32) strlen (self->attrs[a].name);
      ah.n_entries = c->n_entries;
      ah.pool_len = c->offsets[c->n_entries];
      ah.has_numbers = c->numbers != NULL;
      ah.has_timestamps = c->timestamps != NULL;
      ok = put (f, &ah, sizeof ah) &&
           put (f, self->attrs[a].name, ah.name_len + 1) &&
           put (f, c->codes, sizeof (guint32) * self->n_events) &&
           put (f, c->offsets, sizeof (guint32) * (c->n_entries + 1)) &&
           put (f, c->pool, ah.pool_len) &&
           put (f, c->flags, c->n_entries) &&
           (!ah.has_numbers || put (f, c->numbers, sizeof (double) * c->n_entries)) &&
           (!ah.has_timestamps || put (f, c->timestamps, sizeof (gint64) * c->n_entries));
    }
  ok = (fflush (f) == 0) && ok;
  ok = (fclose (f) == 0) && ok;
  if (!ok || g_rename (tmp, path) != 0)
    {
      int saved = errno;
      g_remove (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  const guint8 *base;
  gsize         size;
  gsize         pos;
} Cursor;

static gconstpointer
take (Cursor *c, guint64 len)
{
  gconstpointer p;
  guint64 padded = (len + 7) & ~(guint64) 7;

  if (len > c->size || padded > c->size - c->pos)
    return NULL;
  p = c->base + c->pos;
  c->pos += padded;
  return p;
}

static CohortEventIndex *
map_sidecar (const char  *path,
             const char  *uuid,
             gint64       generation,
             const char **why)
{
  CohortEventIndex *self;
  const FileHeader *h;
  struct stat st;
  Cursor cur = { 0 };
  gpointer map;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      *why = "missing";
      return NULL;
    }
  if (fstat (fd, &st) != 0 || (gsize) st.st_size < sizeof (FileHeader))
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

  self = g_new0 (CohortEventIndex, 1);
  g_atomic_ref_count_init (&self->ref);
  self->map = map;
  self->map_size = (gsize) st.st_size;
  cur.base = map;
  cur.size = self->map_size;

  h = take (&cur, sizeof (FileHeader));
  if (memcmp (h->magic, MAGIC, 8) != 0 || h->version != FORMAT_VERSION)
    {
      *why = "another format";
      goto fail;
    }
  if (strncmp (h->uuid, uuid ? uuid : "", sizeof h->uuid) != 0 || h->generation != generation)
    {
      *why = "stale";
      goto fail;
    }
  self->uuid = g_strndup (h->uuid, sizeof h->uuid);
  self->generation = h->generation;
  self->n_events = h->n_events;
  self->n_names = h->n_names;
  *why = "damaged";
  if (self->n_events >= G_MAXUINT32 || self->n_names >= G_MAXUINT32 || h->n_attrs > 100000)
    goto fail;

  self->name_offsets = take (&cur, sizeof (guint32) * ((guint64) self->n_names + 1));
  if (self->name_offsets == NULL)
    goto fail;
  self->name_pool = take (&cur, self->name_offsets[self->n_names]);
  self->name_start = take (&cur, sizeof (guint64) * ((guint64) self->n_names + 1));
  self->customers = take (&cur, sizeof (guint32) * self->n_events);
  self->timestamps = take (&cur, sizeof (gint64) * self->n_events);
  if (self->name_pool == NULL || self->name_start == NULL ||
      self->customers == NULL || self->timestamps == NULL)
    goto fail;
  for (guint32 k = 0; k < self->n_names; k++)
    if (self->name_offsets[k] >= self->name_offsets[k + 1] ||
        self->name_pool[self->name_offsets[k + 1] - 1] != '\0' ||
        self->name_start[k] > self->name_start[k + 1])
      goto fail;
  if (self->name_start[0] != 0 || self->name_start[self->n_names] != self->n_events)
    goto fail;

  self->attrs = g_new0 (EventAttr, MAX (h->n_attrs, 1));
  self->n_attrs = h->n_attrs;
  for (guint a = 0; a < self->n_attrs; a++)
    {
      const AttrHeader *ah = take (&cur, sizeof (AttrHeader));
      CohortColumn *c = &self->attrs[a].column;
      const char *name;

      if (ah == NULL || ah->n_entries == 0)
        goto fail;
      name = take (&cur, (guint64) ah->name_len + 1);
      if (name == NULL || name[ah->name_len] != '\0')
        goto fail;
      self->attrs[a].name = g_strdup (name);
      c->kind = COHORT_COLUMN_ATTRIBUTE;
      c->name = self->attrs[a].name;
      c->n_entries = ah->n_entries;
      c->codes = take (&cur, sizeof (guint32) * self->n_events);
      c->offsets = take (&cur, sizeof (guint32) * ((guint64) ah->n_entries + 1));
      c->pool = take (&cur, ah->pool_len);
      c->flags = take (&cur, ah->n_entries);
      if (c->codes == NULL || c->offsets == NULL || c->pool == NULL || c->flags == NULL ||
          c->offsets[ah->n_entries] != ah->pool_len)
        goto fail;
      if (ah->has_numbers && (c->numbers = take (&cur, sizeof (double) * ah->n_entries)) == NULL)
        goto fail;
      if (ah->has_timestamps && (c->timestamps = take (&cur, sizeof (gint64) * ah->n_entries)) == NULL)
        goto fail;
    }
  return self;

fail:
  cohort_event_index_unref (self);
  return NULL;
}

/* A mapped column is checked once, the first time a condition reads it. */
static gboolean
check_column (EventAttr *attr, guint64 n_events)
{
  const CohortColumn *c = &attr->column;
  gboolean ok = TRUE;

  if (g_atomic_int_get (&attr->checked))
    return TRUE;
  for (guint32 k = 0; ok && k < c->n_entries; k++)
    ok = c->offsets[k] < c->offsets[k + 1] && c->pool[c->offsets[k + 1] - 1] == '\0';
  for (guint64 i = 0; ok && i < n_events; i++)
    ok = c->codes[i] < c->n_entries;
  if (ok)
    g_atomic_int_set (&attr->checked, 1);
  return ok;
}

/* ---- the cache -------------------------------------------------------- */

static GMutex cache_lock;
static GHashTable *cache;   /* workspace path -> CohortEventIndex */

void
cohort_event_index_forget (const char *path,
                           gboolean    remove_file)
{
  g_mutex_lock (&cache_lock);
  if (cache != NULL)
    g_hash_table_remove (cache, path);
  g_mutex_unlock (&cache_lock);
  if (remove_file)
    {
      g_autofree char *sidecar = cohort_event_index_sidecar_path (path);
      g_remove (sidecar);
    }
}

CohortEventIndex *
cohort_event_index_ensure_for_db (sqlite3       *db,
                                  const char    *path,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  g_autofree char *uuid = NULL;
  g_autofree char *sidecar = NULL;
  CohortEventIndex *index;
  const char *why = NULL;
  gint64 generation;

  g_return_val_if_fail (db != NULL, NULL);

  /* Inside a transaction the data may yet roll back: never cache or persist it. */
  if (path == NULL || !sqlite3_get_autocommit (db))
    return cohort_event_index_build (db, cancellable, error);
  if (!read_stamp (db, &uuid, &generation, error))
    return NULL;

  g_mutex_lock (&cache_lock);
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                   (GDestroyNotify) cohort_event_index_unref);
  index = g_hash_table_lookup (cache, path);
  if (index != NULL && index->generation == generation && g_strcmp0 (index->uuid, uuid) == 0)
    {
      cohort_event_index_ref (index);
      g_mutex_unlock (&cache_lock);
      return index;
    }

  sidecar = cohort_event_index_sidecar_path (path);
  index = map_sidecar (sidecar, uuid, generation, &why);
  if (index == NULL)
    {
      g_autoptr(GError) write_error = NULL;

      g_debug ("Event index %s: %s, rebuilding", sidecar, why);
      index = cohort_event_index_build (db, cancellable, error);
      if (index == NULL)
        {
          g_mutex_unlock (&cache_lock);
          return NULL;
        }
      if (!write_sidecar (index, sidecar, &write_error))
        g_debug ("Could not write the event index (working in memory): %s", write_error->message);
    }
  g_hash_table_replace (cache, g_strdup (path), cohort_event_index_ref (index));
  g_mutex_unlock (&cache_lock);
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
  guint64 start = 0, end = 0;
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
  else
    {
      start = lower_bound (self->timestamps, self->name_start[name], self->name_start[name + 1], lo);
      end = hi == G_MAXINT64 ? self->name_start[name + 1]
                             : lower_bound (self->timestamps, start, self->name_start[name + 1], hi + 1);
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
      if (!check_column (attr, self->n_events))
        {
          g_set_error (error, COHORT_INDEX_ERROR, COHORT_INDEX_ERROR_DAMAGED,
                       _("The event index is damaged (attribute “%s”)"), attr->name);
          return NULL;
        }
      g_ptr_array_add (filters, cohort_condition_match_entries (wc, &attr->column, now));
      g_ptr_array_add (filter_columns, &attr->column);
    }

  counts = g_new0 (guint32, MAX (n_bits, 1));
  if (!none)
    {
      for (guint64 i = start; i < end; i++)
        {
          guint32 customer = self->customers[i];
          gboolean pass = TRUE;

          for (guint f = 0; f < filters->len && pass; f++)
            {
              const CohortColumn *c = filter_columns->pdata[f];
              pass = ((const guint8 *) filters->pdata[f])[c->codes[i]] != 0;
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
