/* cohort-event-importer.c: CSV records → events
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Import"

#include "config.h"
#include <inttypes.h>

#include <string.h>
#include <sys/mman.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "cohort-attrs.h"
#include "cohort-customers.h"
#include "cohort-event-importer.h"
#include "cohort-progress-private.h"
#include "cohort-value.h"

#define CHECK_EVERY_ROWS 4096
/* A file this large (estimated rows) against this few existing events is
 * imported on the bulk path: the unique index of dedupe keys is dropped
 * (repeats are found in memory) and the events are held, then inserted
 * sorted by customer (see flush_pending); the index is built again before
 * the commit (restore_indexes), so what is committed is always the schema
 * of the migrations. */
#define BULK_MIN_ROWS 100000
#define BYTES_PER_ROW_ESTIMATE 32
/* A bulk import keeps up to this many events (or bytes of their names and
 * attributes) in memory, then inserts them sorted by customer and time, so
 * that the index by customer grows in order instead of at random places. */
#define BULK_CHUNK_ROWS (1u << 24)
#define BULK_CHUNK_BYTES (1024u << 20)

typedef enum
{
  CUSTOMER_BY_ID,
  CUSTOMER_BY_EMAIL,
  CUSTOMER_BY_EITHER,     /* a neutral column name: id first, then email */
} CustomerKind;

struct _CohortEventImporter
{
  GObject                   parent_instance;

  char                     *path;
  char                      delimiter;
  CohortCsvEncoding         encoding;
  char                     *customer_column;
  gboolean                  create_missing;
  gboolean                  all_or_nothing;
  CohortImportProgressFunc  progress_func;
  gpointer                  progress_data;
  GDestroyNotify            progress_destroy;

  /* The report of the last run */
  guint64                   rows;
  guint64                   imported;
  guint64                   duplicates;
  guint64                   customers_created;
  guint64                   n_rejected;
  GArray                   *rejected;

  /* Thresholds of the bulk path (cohort_event_importer_set_bulk_limits) */
  guint64                   bulk_min_rows;
  guint                     chunk_rows;
};

G_DEFINE_FINAL_TYPE (CohortEventImporter, cohort_event_importer, G_TYPE_OBJECT)

static const struct { const char *name; CustomerKind kind; } customer_names[] = {
  { "customer_id", CUSTOMER_BY_ID },
  { "customer id", CUSTOMER_BY_ID },
  { "person_id", CUSTOMER_BY_ID },
  { "user_id", CUSTOMER_BY_ID },
  { "customer", CUSTOMER_BY_EITHER },
  { "person", CUSTOMER_BY_EITHER },
  { "identifier", CUSTOMER_BY_EITHER },
  { "id", CUSTOMER_BY_ID },
  { "customer_email", CUSTOMER_BY_EMAIL },
  { "email", CUSTOMER_BY_EMAIL },
  { "email address", CUSTOMER_BY_EMAIL },
  { "e-mail", CUSTOMER_BY_EMAIL },
};
static const char *const name_names[] = { "name", "event", "event_name", "event name" };
static const char *const time_names[] = {
  "timestamp", "time", "created_at", "occurred_at", "date", "event_time", "ts",
};
static const char *const event_id_names[] = { "event_id", "event id" };

static void
clear_rejection (gpointer data)
{
  g_free (((CohortImportRejection *) data)->reason);
}

static void
cohort_event_importer_finalize (GObject *object)
{
  CohortEventImporter *self = (CohortEventImporter *) object;

  if (self->progress_destroy)
    self->progress_destroy (self->progress_data);
  g_free (self->path);
  g_free (self->customer_column);
  g_clear_pointer (&self->rejected, g_array_unref);

  G_OBJECT_CLASS (cohort_event_importer_parent_class)->finalize (object);
}

static void
cohort_event_importer_class_init (CohortEventImporterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cohort_event_importer_finalize;
}

static void
cohort_event_importer_init (CohortEventImporter *self)
{
  self->create_missing = TRUE;
  self->bulk_min_rows = BULK_MIN_ROWS;
  self->chunk_rows = BULK_CHUNK_ROWS;
  self->rejected = g_array_new (FALSE, FALSE, sizeof (CohortImportRejection));
  g_array_set_clear_func (self->rejected, clear_rejection);
}

CohortEventImporter *
cohort_event_importer_new (const char *path)
{
  CohortEventImporter *self = g_object_new (COHORT_TYPE_EVENT_IMPORTER, NULL);

  self->path = g_strdup (path);
  return self;
}

void
cohort_event_importer_set_delimiter (CohortEventImporter *self, char delimiter)
{
  self->delimiter = delimiter;
}

void
cohort_event_importer_set_encoding (CohortEventImporter *self, CohortCsvEncoding encoding)
{
  self->encoding = encoding;
}

void
cohort_event_importer_set_customer_column (CohortEventImporter *self, const char *name)
{
  g_free (self->customer_column);
  self->customer_column = g_strdup (name);
}

void
cohort_event_importer_set_create_missing (CohortEventImporter *self, gboolean create_missing)
{
  self->create_missing = create_missing;
}

void
cohort_event_importer_set_all_or_nothing (CohortEventImporter *self, gboolean all_or_nothing)
{
  self->all_or_nothing = all_or_nothing;
}

void
cohort_event_importer_set_bulk_limits (CohortEventImporter *self,
                                       guint64              min_rows,
                                       guint                chunk_rows)
{
  g_return_if_fail (COHORT_IS_EVENT_IMPORTER (self));
  self->bulk_min_rows = min_rows != 0 ? min_rows : BULK_MIN_ROWS;
  self->chunk_rows = chunk_rows != 0 ? chunk_rows : BULK_CHUNK_ROWS;
}

void
cohort_event_importer_set_progress_func (CohortEventImporter      *self,
                                         CohortImportProgressFunc  func,
                                         gpointer                  user_data,
                                         GDestroyNotify            destroy)
{
  if (self->progress_destroy)
    self->progress_destroy (self->progress_data);
  self->progress_func = func;
  self->progress_data = user_data;
  self->progress_destroy = destroy;
}

guint64 cohort_event_importer_get_rows (CohortEventImporter *self) { return self->rows; }
guint64 cohort_event_importer_get_imported (CohortEventImporter *self) { return self->imported; }
guint64 cohort_event_importer_get_duplicates (CohortEventImporter *self) { return self->duplicates; }
guint64 cohort_event_importer_get_customers_created (CohortEventImporter *self) { return self->customers_created; }
guint64 cohort_event_importer_get_n_rejected (CohortEventImporter *self) { return self->n_rejected; }
GArray *cohort_event_importer_get_rejected (CohortEventImporter *self) { return self->rejected; }

/* ---- one import ------------------------------------------------------- */

/* An event of a bulk import waiting to be inserted; its name then its
 * attributes blob are in its bucket's arena at @data. */
typedef struct
{
  gint64               customer;
  gint64               timestamp;
  gint64               dedupe;
  guint64              data;
  guint32              name_len;
  guint32              attrs_len;
} PendingEvent;

/* The pending events of a range of customer ordinals, in file order: each
 * bucket is sorted and inserted on its own, in memory small enough to be
 * read at random quickly. */
typedef struct
{
  GArray              *events;          /* PendingEvent */
  GByteArray          *arena;           /* their names and attributes */
} Bucket;

#define N_BUCKETS 256

/* A customer identifier already resolved, in Import.customers */
#define INLINE_KEY 16
typedef struct
{
  guint64              hash;
  gint64               ordinal;          /* 0: an empty slot */
  gsize                len;
  union {
    char               bytes[INLINE_KEY];   /* a key up to INLINE_KEY bytes */
    const char        *pointer;             /* a longer one, in Import.customer_names */
  } key;
} CustomerSlot;

typedef struct
{
  CohortEventImporter *self;
  GCancellable        *cancellable;
  CohortWorkspace     *ws;
  CohortCsvReader     *reader;
  guint                n_columns;
  int                  customer_col;
  CustomerKind         customer_kind;
  int                  name_col;
  int                  time_col;
  int                  event_id_col;
  int                  data_col;
  guint32             *column_attr;     /* per column: event_attributes.id, 0 = not an attribute */
  GHashTable          *attr_ids;        /* name -> id, for data members */
  CustomerSlot        *customers;       /* identifier -> ordinal, open addressing */
  guint64              n_customers;
  guint64              customer_slots;  /* a power of two */
  GStringChunk        *customer_names;  /* the identifiers */
  JsonParser          *parser;
  GArray              *entries;         /* CohortAttrEntry */
  GPtrArray           *owned;           /* strings the entries point to */
  GByteArray          *blob;
  gint64               now;
  CohortProgressFunc   progress_func;
  gpointer             progress_data;
  gboolean             bulk;            /* duplicates found with @keys */
  gboolean             dedupe_dropped;  /* the unique index of dedupe keys, until restore_indexes */
  guint64             *keys;            /* open addressing set of dedupe keys (0 = empty) */
  guint64              n_keys;
  guint64              key_slots;       /* a power of two */
  Bucket              *buckets;         /* N_BUCKETS, by customer ordinal */
  gint64               bucket_base;     /* the lowest ordinal of bucket 0 */
  guint64              bucket_width;    /* ordinals per bucket (the last one takes the rest) */
  guint64              n_pending;
  guint64              pending_bytes;
  char                *batch_sql;       /* INSERT of INSERT_BATCH events */
} Import;

/* ---- the set of dedupe keys of a bulk import ---------------------------- */

static inline guint64
mix64 (guint64 h)
{
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  h ^= h >> 33;
  return h;
}

static void keys_insert (Import *im, guint64 key);

/* Large tables are read at random: huge pages spare most TLB misses. */
static gpointer
alloc_table (gsize size)
{
  gpointer p = g_malloc0 (size);

#ifdef MADV_HUGEPAGE
  if (size >= 4 << 20)
    {
      guintptr start = ((guintptr) p + (2 << 20) - 1) & ~(guintptr) ((2 << 20) - 1);
      guintptr end = ((guintptr) p + size) & ~(guintptr) ((2 << 20) - 1);

      if (end > start)
        madvise ((gpointer) start, end - start, MADV_HUGEPAGE);
    }
#endif
  return p;
}

/* ---- the customers already resolved ------------------------------------ */

static inline guint64
hash_bytes (const char *s, gsize len)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (gsize i = 0; i < len; i++)
    h = (h ^ (guint8) s[i]) * G_GUINT64_CONSTANT (0x100000001b3);
  return mix64 (h);
}

/* The slot of @key: its own, or the empty one where it belongs. */
static inline CustomerSlot *
customer_slot (Import *im, const char *key, gsize len, guint64 hash)
{
  guint64 mask = im->customer_slots - 1;

  for (guint64 i = hash & mask;; i = (i + 1) & mask)
    {
      CustomerSlot *slot = &im->customers[i];

      if (slot->ordinal == 0 ||
          (slot->hash == hash && slot->len == len &&
           memcmp (len <= INLINE_KEY ? slot->key.bytes : slot->key.pointer, key, len) == 0))
        return slot;
    }
}

static void
customers_add (Import *im, const char *key, gsize len, gint64 ordinal)
{
  guint64 hash = hash_bytes (key, len);
  CustomerSlot *slot;

  if ((im->n_customers + 1) * 2 > im->customer_slots)
    {
      CustomerSlot *old = im->customers;
      guint64 old_slots = im->customer_slots;

      im->customer_slots = MAX (old_slots * 2, 1 << 12);
      im->customers = alloc_table (im->customer_slots * sizeof (CustomerSlot));
      for (guint64 i = 0; i < old_slots; i++)
        if (old[i].ordinal != 0)
          *customer_slot (im, old[i].len <= INLINE_KEY ? old[i].key.bytes : old[i].key.pointer,
                          old[i].len, old[i].hash) = old[i];
      g_free (old);
    }
  if (ordinal <= 0)   /* 0 marks an empty slot; ordinals are positive */
    return;
  slot = customer_slot (im, key, len, hash);
  if (slot->ordinal == 0)
    {
      if (len <= INLINE_KEY)
        memcpy (slot->key.bytes, key, len);
      else
        slot->key.pointer = g_string_chunk_insert_len (im->customer_names, key, (gssize) len);
      slot->hash = hash;
      slot->len = len;
      im->n_customers++;
    }
  slot->ordinal = ordinal;
}

static void
keys_grow (Import *im)
{
  guint64 *old = im->keys;
  guint64 old_slots = im->key_slots;

  im->key_slots = MAX (old_slots * 2, 1 << 16);
  im->keys = alloc_table (im->key_slots * sizeof (guint64));
  im->n_keys = 0;
  for (guint64 i = 0; i < old_slots; i++)
    if (old[i] != 0)
      keys_insert (im, old[i]);
  g_free (old);
}

/* Adds @key (never 0); FALSE when it was there already. */
static gboolean
keys_add (Import *im, guint64 key)
{
  guint64 i;

  if ((im->n_keys + 1) * 2 > im->key_slots)
    keys_grow (im);
  for (i = mix64 (key) & (im->key_slots - 1); im->keys[i] != 0; i = (i + 1) & (im->key_slots - 1))
    if (im->keys[i] == key)
      return FALSE;
  im->keys[i] = key;
  im->n_keys++;
  return TRUE;
}

static void
keys_insert (Import *im, guint64 key)
{
  keys_add (im, key);
}

static int
find_header (const char *const *header,
             guint               n,
             const char         *wanted)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (header[i]));

      if (g_ascii_strcasecmp (trimmed, wanted) == 0)
        return (int) i;
    }
  return -1;
}

static int
find_any (const char *const *header,
          guint               n,
          const char *const  *names,
          guint               n_names,
          int                 except)
{
  for (guint k = 0; k < n_names; k++)
    {
      int col = find_header (header, n, names[k]);

      if (col >= 0 && col != except)
        return col;
    }
  return -1;
}

static gboolean
map_columns (Import   *im,
             GError  **error)
{
  const char *const *header = cohort_csv_reader_get_header (im->reader);
  guint n = cohort_csv_reader_get_n_columns (im->reader);

  im->n_columns = n;
  im->customer_col = -1;
  if (im->self->customer_column != NULL)
    {
      g_autofree char *lower = g_ascii_strdown (im->self->customer_column, -1);

      im->customer_col = find_header (header, n, im->self->customer_column);
      if (im->customer_col < 0)
        {
          g_autofree char *columns = g_strjoinv (", ", (char **) header);

          g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_BAD_MAPPING,
                       _("%s: there is no column “%s” (the columns are: %s)"),
                       im->self->path, im->self->customer_column, columns);
          return FALSE;
        }
      im->customer_kind = strstr (lower, "mail") ? CUSTOMER_BY_EMAIL : CUSTOMER_BY_EITHER;
      for (guint k = 0; k < G_N_ELEMENTS (customer_names); k++)
        if (g_str_equal (lower, customer_names[k].name))
          im->customer_kind = customer_names[k].kind;
    }
  else
    {
      for (guint k = 0; k < G_N_ELEMENTS (customer_names) && im->customer_col < 0; k++)
        {
          im->customer_col = find_header (header, n, customer_names[k].name);
          im->customer_kind = customer_names[k].kind;
        }
      if (im->customer_col < 0)
        {
          g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_NO_IDENTITY,
                       _("%s: no column names the customer; expected one of “customer_id”, "
                         "“customer”, “id”, “email” (or choose one)"), im->self->path);
          return FALSE;
        }
    }

  im->name_col = find_any (header, n, name_names, G_N_ELEMENTS (name_names), im->customer_col);
  if (im->name_col < 0)
    {
      g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_BAD_MAPPING,
                   _("%s: no column holds the event name; expected “name” or “event”"),
                   im->self->path);
      return FALSE;
    }
  im->time_col = find_any (header, n, time_names, G_N_ELEMENTS (time_names), im->customer_col);
  if (im->time_col < 0)
    {
      g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_BAD_MAPPING,
                   _("%s: no column holds the event time; expected “timestamp” "
                     "(Unix seconds or ISO 8601)"), im->self->path);
      return FALSE;
    }
  im->event_id_col = find_any (header, n, event_id_names, G_N_ELEMENTS (event_id_names), -1);
  im->data_col = find_header (header, n, "data");
  return TRUE;
}

static gboolean
/* @what is untranslated (N_): it is translated only on failure, not per row. */
step_done (Import *im, sqlite3_stmt *stmt, const char *what, GError **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return cohort_workspace_db_error (im->ws, error, _(what));
  return TRUE;
}

/* The id of event attribute @name, created when new. */
static guint32
attribute_id (Import      *im,
              const char  *name,
              GError     **error)
{
  gpointer found = g_hash_table_lookup (im->attr_ids, name);
  sqlite3_stmt *stmt;
  guint32 id = 0;

  if (found != NULL)
    return GPOINTER_TO_UINT (found);

  stmt = cohort_workspace_prepare (im->ws, "INSERT OR IGNORE INTO event_attributes (name) VALUES (?)",
                                   error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  if (!step_done (im, stmt, N_("saving an event attribute"), error))
    return 0;
  stmt = cohort_workspace_prepare (im->ws, "SELECT id FROM event_attributes WHERE name = ?", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    id = (guint32) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (id == 0)
    {
      cohort_workspace_db_error (im->ws, error, _("saving an event attribute"));
      return 0;
    }
  g_hash_table_insert (im->attr_ids, g_strdup (name), GUINT_TO_POINTER (id));
  return id;
}

static gint64
lookup_customer (Import      *im,
                 const char  *sql,
                 const char  *value,
                 GError     **error)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (im->ws, sql, error);
  gint64 ordinal = 0;
  int rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, value, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    ordinal = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (im->ws, error, _("finding a customer"));
      return -1;
    }
  return ordinal;
}

static gboolean
looks_like_email (const char *value)
{
  const char *at = strchr (value, '@');

  return at != NULL && at != value && at[1] != '\0' && strchr (value, ' ') == NULL;
}

/* The customer's ordinal; 0 with *reason set when the row is rejected;
 * -1 on a fatal error. */
static gint64
resolve_customer (Import      *im,
                  const char  *value,
                  char       **reason,
                  GError     **error)
{
  gsize len = strlen (value);
  CustomerSlot *cached;
  gint64 ordinal = 0;
  gboolean as_email;
  sqlite3_stmt *stmt;

  if (im->customers != NULL &&
      (cached = customer_slot (im, value, len, hash_bytes (value, len)))->ordinal != 0)
    return cached->ordinal;

  if (im->customer_kind != CUSTOMER_BY_EMAIL)
    ordinal = lookup_customer (im, "SELECT ordinal FROM customers WHERE id = ?", value, error);
  if (ordinal == 0 && im->customer_kind != CUSTOMER_BY_ID)
    ordinal = lookup_customer (im, "SELECT ordinal FROM customers WHERE email = ?", value, error);
  if (ordinal < 0)
    return -1;

  if (ordinal == 0)
    {
      if (!im->self->create_missing)
        {
          *reason = g_strdup_printf (_("no customer “%s” in the workspace"), value);
          return 0;
        }
      as_email = im->customer_kind == CUSTOMER_BY_EMAIL ||
                 (im->customer_kind == CUSTOMER_BY_EITHER && looks_like_email (value));
      if (!as_email && strlen (value) > COHORT_CUSTOMER_ID_MAX_BYTES)
        {
          *reason = g_strdup_printf (_("the customer id is longer than %d bytes"),
                                     COHORT_CUSTOMER_ID_MAX_BYTES);
          return 0;
        }
      stmt = cohort_workspace_prepare (im->ws, "INSERT INTO customers (id, email, added_at, modified_at) "
                                       "VALUES (?, ?, ?, ?)", error);
      if (stmt == NULL)
        return -1;
      sqlite3_bind_text (stmt, as_email ? 2 : 1, value, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, im->now);
      sqlite3_bind_int64 (stmt, 4, im->now);
      if (!step_done (im, stmt, N_("creating a customer"), error))
        return -1;
      ordinal = sqlite3_last_insert_rowid (cohort_workspace_get_db (im->ws));
      im->self->customers_created++;
    }

  customers_add (im, value, len, ordinal);
  return ordinal;
}

static void
add_entry (Import     *im,
           guint32     attr,
           const char *value,
           gsize       len)
{
  CohortAttrEntry e = { attr, value, len };

  g_array_append_val (im->entries, e);
}

/* Members of the data column become attributes; FALSE with *reason when
 * the cell is not a JSON object. */
static gboolean
add_data_members (Import      *im,
                  const char  *text,
                  gsize        len,
                  char       **reason,
                  GError     **error)
{
  g_autoptr(GError) local = NULL;
  JsonObject *object;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  if (!json_parser_load_from_data (im->parser, text, (gssize) len, &local))
    {
      *reason = g_strdup_printf (_("the data column is not valid JSON: %s"), local->message);
      return FALSE;
    }
  node = json_parser_get_root (im->parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      *reason = g_strdup (_("the data column must hold a JSON object"));
      return FALSE;
    }
  object = json_node_get_object (node);
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member, &node))
    {
      char *value = NULL;
      guint32 attr;

      if (JSON_NODE_HOLDS_NULL (node))
        continue;
      if (JSON_NODE_HOLDS_VALUE (node))
        {
          switch (json_node_get_value_type (node))
            {
            case G_TYPE_STRING:
              value = g_strdup (json_node_get_string (node));
              break;
            case G_TYPE_INT64:
              value = g_strdup_printf ("%" PRId64, json_node_get_int (node));
              break;
            case G_TYPE_DOUBLE:
              {
                char buf[G_ASCII_DTOSTR_BUF_SIZE];
                value = g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
              }
              break;
            case G_TYPE_BOOLEAN:
              value = g_strdup (json_node_get_boolean (node) ? "true" : "false");
              break;
            default:
              break;
            }
        }
      else
        value = json_to_string (node, FALSE);    /* nested objects and arrays stay JSON */

      if (value == NULL || value[0] == '\0')
        {
          g_free (value);
          continue;
        }
      attr = attribute_id (im, member, error);
      if (attr == 0)
        {
          g_free (value);
          return FALSE;
        }
      g_ptr_array_add (im->owned, value);
      add_entry (im, attr, value, strlen (value));
    }
  return TRUE;
}

/* 64-bit FNV-1a, then mixed: the event's identity for deduplication. */
static inline guint64
fnv64 (guint64 h, const void *data, gsize len)
{
  const guint8 *p = data;

  for (gsize i = 0; i < len; i++)
    h = (h ^ p[i]) * G_GUINT64_CONSTANT (0x100000001b3);
  return h;
}

static gint64
dedupe_key (Import      *im,
            gint64       customer,
            const char  *name,
            gint64       timestamp,
            const char  *event_id)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  if (event_id != NULL && event_id[0] != '\0')
    {
      h = fnv64 (h, "id", 3);
      h = fnv64 (h, event_id, strlen (event_id));
    }
  else
    {
      h = fnv64 (h, &customer, sizeof customer);
      h = fnv64 (h, name, strlen (name) + 1);
      h = fnv64 (h, &timestamp, sizeof timestamp);
      h = fnv64 (h, im->blob->data, im->blob->len);
    }
  h = mix64 (h);
  return (gint64) (h != 0 ? h : 1);   /* 0 marks an empty slot of the key set */
}

/* ---- the pending events of a bulk import ------------------------------- */

typedef struct
{
  gint64  timestamp;
  guint32 index;
} SortItem;

static int
compare_items (gconstpointer a,
               gconstpointer b)
{
  const SortItem *x = a, *y = b;

  if (x->timestamp != y->timestamp)
    return x->timestamp < y->timestamp ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static int
compare_pending (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  const PendingEvent *events = user_data;
  guint32 i = *(const guint32 *) a, j = *(const guint32 *) b;

  if (events[i].customer != events[j].customer)
    return events[i].customer < events[j].customer ? -1 : 1;
  if (events[i].timestamp != events[j].timestamp)
    return events[i].timestamp < events[j].timestamp ? -1 : 1;
  return i < j ? -1 : i > j;
}

#define RADIX_BITS 11
#define PREFETCH_AHEAD 16

/* Sorts @order (indexes into @events) by customer, then timestamp, then file
 * order: a stable radix sort of (customer, index) pairs, then each
 * customer's run by time. */
static void
sort_pending (const PendingEvent *events,
              guint32            *order,
              guint32             n)
{
  g_autofree guint64 *a = NULL;
  g_autofree guint64 *b = NULL;
  g_autofree SortItem *items = NULL;
  guint32 counts[1 << RADIX_BITS];
  gint64 lo = G_MAXINT64, hi = G_MININT64;
  guint64 range;

  for (guint32 i = 0; i < n; i++)
    {
      order[i] = i;
      lo = MIN (lo, events[i].customer);
      hi = MAX (hi, events[i].customer);
    }
  if (n < 2)
    return;
  range = (guint64) hi - (guint64) lo;
  if (range > G_MAXUINT32)
    {
      /* Not seen in practice: ordinals are dense */
      g_qsort_with_data (order, (gint) n, sizeof (guint32), compare_pending, (gpointer) events);
      return;
    }

  a = g_new (guint64, n);
  b = g_new (guint64, n);
  for (guint32 i = 0; i < n; i++)
    a[i] = (((guint64) events[i].customer - (guint64) lo) << 32) | i;
  for (guint shift = 32; shift < 64 && (range >> (shift - 32)) != 0; shift += RADIX_BITS)
    {
      guint32 sum = 0;
      guint64 *t;

      memset (counts, 0, sizeof counts);
      for (guint32 i = 0; i < n; i++)
        counts[(a[i] >> shift) & ((1 << RADIX_BITS) - 1)]++;
      for (guint d = 0; d < 1 << RADIX_BITS; d++)
        {
          guint32 c = counts[d];

          counts[d] = sum;
          sum += c;
        }
      for (guint32 i = 0; i < n; i++)
        b[counts[(a[i] >> shift) & ((1 << RADIX_BITS) - 1)]++] = a[i];
      t = a, a = b, b = t;
    }
  g_clear_pointer (&b, g_free);

  /* Then by time within each customer's run, on a compact copy */
  items = g_new (SortItem, n);
  for (guint32 i = 0; i < n; i++)
    {
      if (i + PREFETCH_AHEAD < n)
        __builtin_prefetch (&events[(guint32) a[i + PREFETCH_AHEAD]]);
      items[i].index = (guint32) a[i];
      items[i].timestamp = events[items[i].index].timestamp;
    }
  for (guint32 start = 0, end; start < n; start = end)
    {
      for (end = start + 1; end < n && (a[end] >> 32) == (a[start] >> 32); end++)
        ;
      if (end - start <= 16)
        /* Insertion sort: stable, and the indexes are in file order already */
        for (guint32 i = start + 1; i < end; i++)
          {
            SortItem v = items[i];
            guint32 k = i;

            for (; k > start && items[k - 1].timestamp > v.timestamp; k--)
              items[k] = items[k - 1];
            items[k] = v;
          }
      else
        qsort (items + start, end - start, sizeof (SortItem), compare_items);
    }
  for (guint32 i = 0; i < n; i++)
    order[i] = items[i].index;
}

/* Events per INSERT statement of flush_bucket: fewer statement runs. */
#define INSERT_BATCH 32

/* The INSERT of @n events (1 or INSERT_BATCH), prepared once. */
static sqlite3_stmt *
insert_statement (Import  *im,
                  guint    n,
                  GError **error)
{
  if (n == 1)
    return cohort_workspace_prepare (im->ws, "INSERT INTO events (customer, name, timestamp, attrs, dedupe) "
                                     "VALUES (?, ?, ?, ?, ?)", error);
  if (im->batch_sql == NULL)
    {
      GString *sql = g_string_new ("INSERT INTO events (customer, name, timestamp, attrs, dedupe) VALUES ");

      for (guint i = 0; i < INSERT_BATCH; i++)
        g_string_append (sql, i == 0 ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)");
      im->batch_sql = g_string_free (sql, FALSE);
    }
  return cohort_workspace_prepare (im->ws, im->batch_sql, error);
}

/* Inserts the events of @bucket, sorted by customer and time, and forgets them. */
static gboolean
flush_bucket (Import  *im,
              Bucket  *bucket,
              GError **error)
{
  const PendingEvent *events = (const PendingEvent *) (gpointer) bucket->events->data;
  guint32 n = bucket->events->len;
  g_autofree guint32 *order = NULL;

  if (n == 0)
    return TRUE;
  order = g_new (guint32, n);
  sort_pending (events, order, n);

  for (guint32 i = 0, batch; i < n; i += batch)
    {
      sqlite3_stmt *stmt;

      batch = n - i >= INSERT_BATCH ? INSERT_BATCH : 1;
      if (i % CHECK_EVERY_ROWS < batch && g_cancellable_set_error_if_cancelled (im->cancellable, error))
        return FALSE;
      stmt = insert_statement (im, batch, error);
      if (stmt == NULL)
        return FALSE;
      for (guint k = 0; k < batch; k++)
        {
          const PendingEvent *e = &events[order[i + k]];
          const guint8 *data = bucket->arena->data + e->data;
          int p = (int) k * 5;

          sqlite3_bind_int64 (stmt, p + 1, e->customer);
          sqlite3_bind_text (stmt, p + 2, (const char *) data, (int) e->name_len, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, p + 3, e->timestamp);
          /* A non-NULL pointer: an event without attributes has an empty blob, not NULL. */
          sqlite3_bind_blob (stmt, p + 4, data + e->name_len, (int) e->attrs_len, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, p + 5, e->dedupe);
        }
      if (!step_done (im, stmt, N_("saving an event"), error))
        return FALSE;
      im->self->imported += batch;
    }
  g_array_set_size (bucket->events, 0);
  g_byte_array_set_size (bucket->arena, 0);
  return TRUE;
}

/* Inserts every pending event, bucket after bucket: in the order of the
 * index by customer, so that it grows at its end. */
static gboolean
flush_pending (Import  *im,
               GError **error)
{
  if (im->buckets == NULL)
    return TRUE;
  for (guint b = 0; b < N_BUCKETS; b++)
    if (!flush_bucket (im, &im->buckets[b], error))
      return FALSE;
  im->n_pending = im->pending_bytes = 0;
  return TRUE;
}

/* Keeps a new event of a bulk import (its key is new) for flush_pending. */
static gboolean
add_pending (Import      *im,
             gint64       customer,
             const char  *name,
             gsize        name_len,
             gint64       timestamp,
             gint64       key,
             GError     **error)
{
  guint64 b = customer <= im->bucket_base ? 0 : ((guint64) customer - (guint64) im->bucket_base) / im->bucket_width;
  Bucket *bucket = &im->buckets[MIN (b, N_BUCKETS - 1)];
  PendingEvent e = { customer, timestamp, key, bucket->arena->len, (guint32) name_len, im->blob->len };

  g_array_append_val (bucket->events, e);
  g_byte_array_append (bucket->arena, (const guint8 *) name, (guint) name_len);
  g_byte_array_append (bucket->arena, im->blob->data, im->blob->len);
  im->n_pending++;
  im->pending_bytes += name_len + im->blob->len + sizeof e;
  if (im->n_pending >= im->self->chunk_rows || im->pending_bytes >= BULK_CHUNK_BYTES)
    return flush_pending (im, error);
  return TRUE;
}

/* cohort_value_parse_timestamp, without its strtod for the usual Unix
 * seconds (up to 15 digits: exact, and within its range). */
static inline gboolean
parse_time (const char *text,
            gsize       len,
            gint64     *out)
{
  gint64 v = 0;

  if (len == 0 || len > 15)
    return cohort_value_parse_timestamp (text, len, out);
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return cohort_value_parse_timestamp (text, len, out);
      v = v * 10 + (text[i] - '0');
    }
  *out = v;
  return TRUE;
}

/* FALSE only on a fatal error; a rejected row sets *reason. */
static gboolean
import_row (Import    *im,
            char     **reason,
            guint     *column,
            GError   **error)
{
  CohortCsvReader *r = im->reader;
  g_autofree char *stripped = NULL;
  const char *customer;
  gsize customer_len;
  const char *name, *time_text, *event_id = NULL;
  gsize name_len, time_len;
  gint64 ordinal, timestamp, key;
  sqlite3_stmt *stmt;

  /* Cleaned as the customer import does (spaces, a spreadsheet's
   * apostrophe); copied only when that changed it. */
  {
    const char *cell = cohort_csv_reader_get_field (r, im->customer_col, &customer_len);

    customer = cell;
    cohort_value_clean_identifier (&customer, &customer_len);
    if (customer != cell || customer[customer_len] != '\0')
      customer = stripped = g_strndup (customer, customer_len);
  }
  name = cohort_csv_reader_get_field (r, im->name_col, &name_len);
  time_text = cohort_csv_reader_get_field (r, im->time_col, &time_len);
  if (im->event_id_col >= 0)
    event_id = cohort_csv_reader_get_field (r, im->event_id_col, NULL);

  if (customer[0] == '\0')
    {
      *column = im->customer_col + 1;
      *reason = g_strdup (_("no customer"));
      return TRUE;
    }
  if (name_len == 0)
    {
      *column = im->name_col + 1;
      *reason = g_strdup (_("no event name"));
      return TRUE;
    }
  if (!parse_time (time_text, time_len, &timestamp))
    {
      *column = im->time_col + 1;
      *reason = time_len == 0 ? g_strdup (_("no timestamp"))
                              : g_strdup_printf (_("“%s” is not a timestamp: expected Unix seconds "
                                                   "or ISO 8601 such as 2024-02-24T15:28:16Z"),
                                                 time_text);
      return TRUE;
    }

  g_array_set_size (im->entries, 0);
  g_ptr_array_set_size (im->owned, 0);
  for (guint i = 0; i < im->n_columns; i++)
    {
      gsize len;
      const char *value;

      if (im->column_attr[i] == 0)
        continue;
      value = cohort_csv_reader_get_field (r, i, &len);
      if (len == 0)
        continue;
      if (len > COHORT_CUSTOMER_VALUE_MAX_BYTES)
        {
          *column = i + 1;
          *reason = g_strdup_printf (_("a value is longer than %d bytes"),
                                     COHORT_CUSTOMER_VALUE_MAX_BYTES);
          return TRUE;
        }
      add_entry (im, im->column_attr[i], value, len);
    }
  if (im->data_col >= 0)
    {
      gsize len;
      const char *data = cohort_csv_reader_get_field (r, im->data_col, &len);

      if (len > 0 && !add_data_members (im, data, len, reason, error))
        {
          *column = im->data_col + 1;
          return *reason != NULL;
        }
    }

  ordinal = resolve_customer (im, customer, reason, error);
  if (ordinal < 0)
    return FALSE;
  if (ordinal == 0)
    {
      *column = im->customer_col + 1;
      return TRUE;
    }

  g_byte_array_set_size (im->blob, 0);
  cohort_attrs_encode (im->blob, (CohortAttrEntry *) im->entries->data, im->entries->len);

  key = dedupe_key (im, ordinal, name, timestamp, event_id);
  if (im->bulk)
    {
      if (!keys_add (im, (guint64) key))
        {
          im->self->duplicates++;
          return TRUE;
        }
      return add_pending (im, ordinal, name, name_len, timestamp, key, error);
    }
  /* Only a repeated event is skipped: any other constraint is an error. */
  stmt = cohort_workspace_prepare (im->ws,
                                   "INSERT INTO events (customer, name, timestamp, attrs, dedupe) "
                                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (dedupe) DO NOTHING",
                                   error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, ordinal);
  sqlite3_bind_text (stmt, 2, name, (int) name_len, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, timestamp);
  /* A non-NULL pointer: an event without attributes has an empty blob, not NULL. */
  sqlite3_bind_blob (stmt, 4, im->blob->len > 0 ? (const void *) im->blob->data : "",
                     (int) im->blob->len, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, key);
  if (!step_done (im, stmt, N_("saving an event"), error))
    return FALSE;
  if (sqlite3_changes (cohort_workspace_get_db (im->ws)) > 0)
    im->self->imported++;
  else
    im->self->duplicates++;
  return TRUE;
}

static void
add_rejection (CohortEventImporter *self,
               guint64              line,
               guint                column,
               char                *reason)
{
  CohortImportRejection r = { line, column, reason };

  self->n_rejected++;
  if (self->rejected->len < COHORT_IMPORT_MAX_REPORTED)
    g_array_append_val (self->rejected, r);
  else
    g_free (reason);
}

/* A bulk import inserts the events it held after the last row is read,
 * which takes about as long again, then may build the unique index of
 * dedupe keys again (a quarter of the time): its progress gives reading
 * this share of the bar, inserting the next, and the index the rest (see
 * end_bulk and restore_indexes). */
#define BULK_READ_SHARE 0.6
#define BULK_INDEX_SHARE 0.15

static void
report_progress (Import *im)
{
  guint64 bytes, total;

  if (im->progress_func == NULL)
    return;
  bytes = cohort_csv_reader_get_bytes_read (im->reader);
  total = cohort_csv_reader_get_total_bytes (im->reader);
  if (im->bulk && total > 0)
    bytes = (guint64) ((double) MIN (bytes, total) * BULK_READ_SHARE);
  im->progress_func (im->self->rows, bytes, total, im->progress_data);
}

static void
report_insert_progress (Import  *im,
                        guint64  inserted,
                        guint64  held)
{
  guint64 total;
  double share;

  if (im->progress_func == NULL || held == 0)
    return;
  total = cohort_csv_reader_get_total_bytes (im->reader);
  share = BULK_READ_SHARE + (1.0 - BULK_READ_SHARE - (im->dedupe_dropped ? BULK_INDEX_SHARE : 0.0)) *
                            (double) inserted / (double) held;
  im->progress_func (im->self->rows, (guint64) ((double) total * share), total, im->progress_data);
}

static gboolean
import_records (Import        *im,
                GCancellable  *cancellable,
                GError       **error)
{
  CohortEventImporter *self = im->self;

  for (;;)
    {
      GError *local = NULL;
      CohortCsvStatus status = cohort_csv_reader_next (im->reader, cancellable, &local);
      char *reason = NULL;
      guint column = 0;

      if (status == COHORT_CSV_END)
        break;
      if (status == COHORT_CSV_FAILED)
        {
          g_propagate_error (error, local);
          return FALSE;
        }

      self->rows++;
      if (status == COHORT_CSV_BAD)
        {
          add_rejection (self, cohort_csv_reader_get_error_line (im->reader),
                         cohort_csv_reader_get_error_column (im->reader),
                         g_strdup (local->message));
          g_error_free (local);
        }
      else if (!import_row (im, &reason, &column, error))
        return FALSE;
      else if (reason != NULL)
        add_rejection (self, cohort_csv_reader_get_line (im->reader), column, reason);

      if (self->rows % CHECK_EVERY_ROWS == 0)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          report_progress (im);
        }
    }
  report_progress (im);
  return TRUE;
}

/* Fills the table of resolved customers with every identifier
 * resolve_customer could look up: one scan instead of a query per new
 * identifier. Ids are added last, so that they win over emails, as in
 * resolve_customer; an email is found as it is written (any other case
 * still goes through the query). */
static gboolean
preload_customers (Import  *im,
                   GError **error)
{
  static const char *const queries[] = {
    "SELECT ordinal, email FROM customers WHERE email IS NOT NULL",
    "SELECT ordinal, id FROM customers WHERE id IS NOT NULL",
  };

  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      sqlite3_stmt *stmt;
      int rc;

      if ((q == 0 && im->customer_kind == CUSTOMER_BY_ID) || (q == 1 && im->customer_kind == CUSTOMER_BY_EMAIL))
        continue;
      stmt = cohort_workspace_prepare (im->ws, queries[q], error);
      if (stmt == NULL)
        return FALSE;
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        customers_add (im, (const char *) sqlite3_column_text (stmt, 1), (gsize) sqlite3_column_bytes (stmt, 1),
                       sqlite3_column_int64 (stmt, 0));
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return cohort_workspace_db_error (im->ws, error, _("finding a customer"));
    }
  return TRUE;
}

/* Decides the bulk path and, when taken, drops the unique index of dedupe
 * keys after loading the existing events' keys. */
static gboolean
begin_bulk (Import      *im,
            guint64      file_size,
            GError     **error)
{
  sqlite3_stmt *stmt;
  guint64 estimate = file_size / BYTES_PER_ROW_ESTIMATE;
  gint64 existing = 0;
  gint64 lo = 1, hi = 1;
  gboolean have_dedupe_index = FALSE;
  int rc;

  stmt = cohort_workspace_prepare (im->ws, "SELECT coalesce (max (id), 0) FROM events", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    existing = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  /* Row by row for a small file: the unique index of dedupe keys finds the
   * repeats. Without that index (a workspace that older versions imported
   * into, before its migration) the bulk path finds them in memory, and
   * restore_indexes builds the index. */
  stmt = cohort_workspace_prepare (im->ws, "SELECT count (*) FROM sqlite_master "
                                   "WHERE type = 'index' AND name = 'events_by_dedupe'", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    have_dedupe_index = sqlite3_column_int (stmt, 0) > 0;
  sqlite3_reset (stmt);
  if (estimate < im->self->bulk_min_rows && have_dedupe_index)
    return TRUE;

  g_debug ("Bulk event import: about %" PRIu64 " rows, %" PRId64 " events already",
           estimate, existing);
  /* Sized for what is expected, so that the set rarely grows. */
  while (im->key_slots < (estimate + (guint64) existing) * 2)
    im->key_slots = MAX (im->key_slots * 2, 1 << 16);
  im->keys = alloc_table (im->key_slots * sizeof (guint64));
  stmt = cohort_workspace_prepare (im->ws, "SELECT dedupe FROM events", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    keys_add (im, (guint64) sqlite3_column_int64 (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return cohort_workspace_db_error (im->ws, error, _("reading events"));
  /* The index by customer stays: the events are inserted in its order,
   * chunk by chunk (flush_pending), which is cheaper than building it anew.
   * The unique index of dedupe keys gets the keys in random order: it is
   * dropped, and built again by one sort before the commit
   * (restore_indexes), when this file is about as large as what the table
   * holds or larger; against more events already there, a random insert per
   * new event costs less than sorting every key again (measured: importing
   * 200,000 events next to 2,000,000 takes 2.9 s of CPU keeping the index,
   * 5.3 s dropping and building it again). */
  if (estimate >= (guint64) existing)
    {
      if (!cohort_workspace_exec (im->ws, "DROP INDEX IF EXISTS events_by_dedupe", error))
        return FALSE;
      im->dedupe_dropped = TRUE;
    }
  /* Buckets by customer ordinal; customers created by this import go to the last one. */
  stmt = cohort_workspace_prepare (im->ws, "SELECT coalesce (min (ordinal), 1), coalesce (max (ordinal), 1) "
                                   "FROM customers", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      lo = sqlite3_column_int64 (stmt, 0);
      hi = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  im->bucket_base = lo;
  /* An import into a workspace with few customers creates most of them
   * (their ordinals follow hi): spread the buckets over the customers it is
   * likely to create too (about ten events each), so that they do not all
   * land in the last bucket. */
  if ((guint64) hi - (guint64) lo < estimate / 16)
    hi += (gint64) (estimate / 10);
  im->bucket_width = ((guint64) hi - (guint64) lo) / N_BUCKETS + 1;
  if (im->bucket_width == 0)
    return cohort_workspace_db_error (im->ws, error, _("reading customers"));
  /* Not when the customers far outnumber the rows */
  if ((guint64) hi - (guint64) lo < estimate && !preload_customers (im, error))
    return FALSE;
  im->buckets = g_new0 (Bucket, N_BUCKETS);
  for (guint b = 0; b < N_BUCKETS; b++)
    {
      im->buckets[b].events = g_array_new (FALSE, FALSE, sizeof (PendingEvent));
      im->buckets[b].arena = g_byte_array_new ();
    }
  im->bulk = TRUE;
  return TRUE;
}

/* The last pending events are inserted; restore_indexes builds the unique
 * index of dedupe keys again. */
static gboolean
end_bulk (Import  *im,
          GError **error)
{
  guint64 held, inserted = 0;

  if (!im->bulk || im->buckets == NULL)
    return TRUE;
  held = im->n_pending;
  for (guint b = 0; b < N_BUCKETS; b++)
    {
      inserted += im->buckets[b].events->len;
      if (!flush_bucket (im, &im->buckets[b], error))
        return FALSE;
      report_insert_progress (im, inserted, held);
    }
  im->n_pending = im->pending_bytes = 0;
  return TRUE;
}

static int
interrupt_if_cancelled (gpointer data)
{
  return g_cancellable_is_cancelled (data);
}

/* What an import commits is the schema of the migrations (migration 3 of
 * cohort-migrations.c): the bulk path dropped the unique index of dedupe
 * keys for speed, inside this transaction, and builds it again here. The
 * keys are unique (the bulk path found the repeats in memory), so this is
 * one sort of the keys. Both indexes are made sure of, whichever path ran:
 * an import never commits without them. A cancel interrupts the build. */
static gboolean
restore_indexes (Import  *im,
                 GError **error)
{
  static const char *const sql[] = {
    "CREATE UNIQUE INDEX IF NOT EXISTS events_by_dedupe ON events (dedupe)",
    "CREATE INDEX IF NOT EXISTS events_by_customer ON events (customer, timestamp)",
  };
  sqlite3 *db = cohort_workspace_get_db (im->ws);
  gboolean ok = TRUE;

  if (im->cancellable != NULL)
    sqlite3_progress_handler (db, 1000, interrupt_if_cancelled, im->cancellable);
  for (guint i = 0; ok && i < G_N_ELEMENTS (sql); i++)
    {
      GError *local = NULL;

      if (cohort_workspace_exec (im->ws, sql[i], &local))
        continue;
      ok = FALSE;
      if (g_cancellable_is_cancelled (im->cancellable))
        {
          g_error_free (local);
          g_cancellable_set_error_if_cancelled (im->cancellable, error);
        }
      else
        g_propagate_error (error, local);
    }
  if (im->cancellable != NULL)
    sqlite3_progress_handler (db, 0, NULL, NULL);
  if (ok && im->dedupe_dropped)
    {
      guint64 total = cohort_csv_reader_get_total_bytes (im->reader);

      im->dedupe_dropped = FALSE;
      if (im->progress_func != NULL)
        im->progress_func (im->self->rows, total, total, im->progress_data);
    }
  return ok;
}

static gboolean
prepare_attribute_columns (Import   *im,
                           GError  **error)
{
  const char *const *header = cohort_csv_reader_get_header (im->reader);

  im->column_attr = g_new0 (guint32, im->n_columns);
  for (guint i = 0; i < im->n_columns; i++)
    {
      g_autofree char *name = g_strstrip (g_strdup (header[i]));

      if ((int) i == im->customer_col || (int) i == im->name_col || (int) i == im->time_col ||
          (int) i == im->event_id_col || (int) i == im->data_col || name[0] == '\0')
        continue;
      im->column_attr[i] = attribute_id (im, name, error);
      if (im->column_attr[i] == 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
run_internal (CohortEventImporter  *self,
              CohortWorkspace      *ws,
              CohortProgressFunc    progress_func,
              gpointer              progress_data,
              GCancellable         *cancellable,
              GError              **error)
{
  g_autoptr(CohortCsvReader) reader = NULL;
  Import im = { 0 };
  gboolean ok = FALSE;
  gboolean fk_off = FALSE;
  gint64 t_start = g_get_monotonic_time (), t_rows = 0, t_end = 0, t_index = 0;

  g_return_val_if_fail (COHORT_IS_EVENT_IMPORTER (self), FALSE);
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);

  self->rows = self->imported = self->duplicates = self->customers_created = self->n_rejected = 0;
  g_array_set_size (self->rejected, 0);

  reader = cohort_csv_reader_new_for_path (self->path, error);
  if (reader == NULL)
    return FALSE;
  if (self->delimiter != 0)
    cohort_csv_reader_set_delimiter (reader, self->delimiter);
  if (self->encoding != COHORT_CSV_ENCODING_AUTO)
    cohort_csv_reader_set_encoding (reader, self->encoding);
  if (!cohort_csv_reader_read_header (reader, cancellable, error))
    return FALSE;

  im.self = self;
  im.cancellable = cancellable;
  im.ws = ws;
  im.progress_func = progress_func;
  im.progress_data = progress_data;
  im.reader = reader;
  im.now = g_get_real_time () / G_USEC_PER_SEC;
  im.attr_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  im.customer_names = g_string_chunk_new (1 << 16);
  im.parser = json_parser_new_immutable ();
  im.entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  im.owned = g_ptr_array_new_with_free_func (g_free);
  im.blob = g_byte_array_new ();

  if (!map_columns (&im, error))
    goto out;
  /* Every event's customer is found or created by this import itself, so
   * the per-row foreign key lookup is skipped (it can only change outside
   * a transaction). */
  fk_off = !cohort_workspace_in_transaction (ws) &&
           cohort_workspace_exec (ws, "PRAGMA foreign_keys = OFF", NULL);
  if (!cohort_workspace_begin (ws, error))
    goto out;
  /* Per-row stamp triggers would double the time; the commit renews the stamps. */
  if (!cohort_workspace_suspend_stamp_triggers (ws, COHORT_STAMP_CUSTOMERS_MASK | COHORT_STAMP_EVENTS_MASK, error))
    goto rollback;
  cohort_workspace_exec (ws, "PRAGMA cache_size = -262144", NULL);
  if (!begin_bulk (&im, cohort_csv_reader_get_total_bytes (reader), error) ||
      !prepare_attribute_columns (&im, error) ||
      !import_records (&im, cancellable, error))
    goto rollback;
  if (self->all_or_nothing && self->n_rejected > 0)
    {
      g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_REJECTED,
                   g_dngettext (GETTEXT_PACKAGE,
                                "%s: %" PRIu64 " row was rejected, so nothing was imported",
                                "%s: %" PRIu64 " rows were rejected, so nothing was imported",
                                self->n_rejected),
                   self->path, self->n_rejected);
      goto rollback;
    }
  t_rows = g_get_monotonic_time ();
  if (!end_bulk (&im, error))
    goto rollback;
  t_end = g_get_monotonic_time ();
  if (!restore_indexes (&im, error))
    goto rollback;
  t_index = g_get_monotonic_time ();
  /* A cancel that came while the held events went in still counts. */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto rollback;
  if ((self->imported > 0 || self->customers_created > 0) &&
      !cohort_workspace_note_change (ws, COHORT_CHANGE_CUSTOMERS, error))
    goto rollback;
  if (!cohort_workspace_commit (ws, error))
    {
      /* Rolled back: nothing was kept. */
      self->imported = self->customers_created = 0;
      goto out;
    }
  g_debug ("Event import: rows %.2f s, end %.2f s, indexes %.2f s, commit %.2f s",
           (t_rows - t_start) / 1e6, (t_end - t_rows) / 1e6, (t_index - t_end) / 1e6,
           (g_get_monotonic_time () - t_index) / 1e6);
  ok = TRUE;
  goto out;

rollback:
  cohort_workspace_rollback (ws);
  /* Nothing was kept: the report says what was read, not what was written. */
  self->imported = self->customers_created = 0;
out:
  if (fk_off)
    cohort_workspace_exec (ws, "PRAGMA foreign_keys = ON", NULL);
  cohort_workspace_exec (ws, "PRAGMA cache_size = -2000", NULL);
  g_free (im.column_attr);
  g_clear_pointer (&im.attr_ids, g_hash_table_unref);
  g_free (im.customers);
  g_clear_pointer (&im.customer_names, g_string_chunk_free);
  g_clear_object (&im.parser);
  g_clear_pointer (&im.entries, g_array_unref);
  g_clear_pointer (&im.owned, g_ptr_array_unref);
  g_clear_pointer (&im.blob, g_byte_array_unref);
  g_free (im.keys);
  if (im.buckets != NULL)
    for (guint b = 0; b < N_BUCKETS; b++)
      {
        g_array_unref (im.buckets[b].events);
        g_byte_array_unref (im.buckets[b].arena);
      }
  g_free (im.buckets);
  g_free (im.batch_sql);
  return ok;
}

gboolean
cohort_event_importer_run (CohortEventImporter  *self,
                           CohortWorkspace      *ws,
                           GCancellable         *cancellable,
                           GError              **error)
{
  return run_internal (self, ws, self->progress_func, self->progress_data, cancellable, error);
}

/* run_internal as a CohortImportRunFunc. */
static gboolean
run_in_thread (gpointer            source,
               CohortWorkspace    *ws,
               CohortProgressFunc  progress,
               gpointer            progress_data,
               GCancellable       *cancellable,
               GError            **error)
{
  return run_internal (source, ws, progress, progress_data, cancellable, error);
}

void
cohort_event_importer_run_async (CohortEventImporter *self,
                                 const char *workspace_path,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_return_if_fail (workspace_path != NULL);
  cohort_import_run_in_thread (self, cohort_event_importer_run_async, run_in_thread,
                               workspace_path, self->progress_func, self->progress_data,
                               cancellable, callback, user_data);
}

gboolean
cohort_event_importer_run_finish (CohortEventImporter  *self,
                                  GAsyncResult         *result,
                                  GError              **error)
{
  return cohort_import_run_finish (self, result, error);
}
