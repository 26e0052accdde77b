/* cohort-importer.c: CSV records → customers
 *
 * Two passes over the file: the first COHORT_IMPORT_SAMPLE_ROWS records to
 * detect column types, then the import itself, streaming, in one
 * transaction with prepared statements. An input that cannot be read twice
 * from its start (a pipe, /dev/stdin) is first copied to an unlinked
 * temporary file, which both passes (and a preview before them) read. When the workspace has no customers
 * yet, rows are inserted directly and only a unique-constraint failure (a
 * repeated id or email in the file) takes the lookup-and-merge path.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Import"

#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string.h>
#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cohort-attrs.h"
#include "cohort-importer.h"
#include "cohort-progress-private.h"
#include "cohort-value.h"

#define IMPORT_CACHE_KIB   (64 * 1024)
#define CHECK_EVERY_ROWS   1024
#define SPOOL_BLOCK        (256 * 1024)

struct _CohortImporter
{
  GObject                   parent_instance;

  char                     *path;
  char                     *display_name;
  char                      delimiter;
  CohortCsvEncoding         encoding;
  char                     *id_column;      /* NULL: by name */
  char                     *email_column;
  GHashTable               *types;          /* column name → CohortImportType */
  gboolean                  clear_empty;
  gboolean                  all_or_nothing;

  CohortImportProgressFunc  progress_func;
  gpointer                  progress_data;
  GDestroyNotify            progress_destroy;

  /* A copy of an input that cannot be read twice (see open_input), made
   * once and read by every pass from its start. */
  GMutex                    spool_lock;
  int                       spool_fd;       /* -1: none */
  guint64                   spool_size;

  /* The report. */
  guint64                   rows;
  guint64                   created;
  guint64                   updated;
  guint64                   n_rejected;
  GArray                   *rejected;
  CohortCsvEncoding         found_encoding;
  char                      found_delimiter;
};

G_DEFINE_FINAL_TYPE (CohortImporter, cohort_importer, G_TYPE_OBJECT)

G_DEFINE_QUARK (cohort-import-error-quark, cohort_import_error)

static const char *const id_names[] = { "id", "customer_id", "customer id", "record id", "customerid" };
static const char *const email_names[] = { "email", "email address", "e-mail", "email_address", "e-mail address" };

static void
clear_rejection (gpointer data)
{
  CohortImportRejection *r = data;

  g_free (r->reason);
}

static GArray *
rejections_new (void)
{
  GArray *array = g_array_new (FALSE, FALSE, sizeof (CohortImportRejection));

  g_array_set_clear_func (array, clear_rejection);
  return array;
}

void
cohort_import_preview_free (CohortImportPreview *preview)
{
  if (preview == NULL)
    return;
  g_strfreev (preview->header);
  g_free (preview->roles);
  g_free (preview->types);
  g_clear_pointer (&preview->records, g_ptr_array_unref);
  g_clear_pointer (&preview->lines, g_array_unref);
  g_clear_pointer (&preview->rejected, g_array_unref);
  g_free (preview);
}

static void
cohort_importer_finalize (GObject *object)
{
  CohortImporter *self = (CohortImporter *) object;

  if (self->progress_destroy)
    self->progress_destroy (self->progress_data);
  g_free (self->path);
  g_free (self->display_name);
  g_free (self->id_column);
  g_free (self->email_column);
  g_hash_table_unref (self->types);
  g_array_unref (self->rejected);
  if (self->spool_fd >= 0)
    close (self->spool_fd);
  g_mutex_clear (&self->spool_lock);

  G_OBJECT_CLASS (cohort_importer_parent_class)->finalize (object);
}

static void
cohort_importer_class_init (CohortImporterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cohort_importer_finalize;
}

static void
cohort_importer_init (CohortImporter *self)
{
  self->types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->rejected = rejections_new ();
  g_mutex_init (&self->spool_lock);
  self->spool_fd = -1;
}

CohortImporter *
cohort_importer_new (const char *path)
{
  CohortImporter *self = g_object_new (COHORT_TYPE_IMPORTER, NULL);

  self->path = g_strdup (path);
  self->display_name = g_filename_display_basename (path);
  return self;
}

const char *
cohort_importer_get_path (CohortImporter *self)
{
  return self->path;
}

void
cohort_importer_set_delimiter (CohortImporter *self,
                               char            delimiter)
{
  self->delimiter = delimiter;
}

void
cohort_importer_set_encoding (CohortImporter    *self,
                              CohortCsvEncoding  encoding)
{
  self->encoding = encoding;
}

void
cohort_importer_set_id_column (CohortImporter *self,
                               const char     *name)
{
  g_free (self->id_column);
  self->id_column = g_strdup (name);
}

void
cohort_importer_set_email_column (CohortImporter *self,
                                  const char     *name)
{
  g_free (self->email_column);
  self->email_column = g_strdup (name);
}

void
cohort_importer_set_column_type (CohortImporter   *self,
                                 const char       *column,
                                 CohortImportType  type)
{
  if (type == COHORT_IMPORT_TYPE_AUTO)
    g_hash_table_remove (self->types, column);
  else
    g_hash_table_insert (self->types, g_strdup (column), GINT_TO_POINTER (type));
}

void
cohort_importer_set_clear_empty (CohortImporter *self,
                                 gboolean        clear_empty)
{
  self->clear_empty = clear_empty;
}

void
cohort_importer_set_all_or_nothing (CohortImporter *self,
                                    gboolean        all_or_nothing)
{
  self->all_or_nothing = all_or_nothing;
}

void
cohort_importer_set_progress_func (CohortImporter           *self,
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

guint64
cohort_importer_get_rows (CohortImporter *self)
{
  return self->rows;
}

guint64
cohort_importer_get_created (CohortImporter *self)
{
  return self->created;
}

guint64
cohort_importer_get_updated (CohortImporter *self)
{
  return self->updated;
}

guint64
cohort_importer_get_n_rejected (CohortImporter *self)
{
  return self->n_rejected;
}

GArray *
cohort_importer_get_rejected (CohortImporter *self)
{
  return self->rejected;
}

CohortCsvEncoding
cohort_importer_get_encoding (CohortImporter *self)
{
  return self->found_encoding;
}

char
cohort_importer_get_delimiter (CohortImporter *self)
{
  return self->found_delimiter;
}

/* ---- Values ---------------------------------------------------------- */

/* ---- Type detection -------------------------------------------------- */

typedef struct
{
  guint    nonempty;
  guint    numbers;
  guint    leading_zero;
  guint    apostrophe;
  guint    booleans;
  guint    boolean_words;
  guint    times;          /* ISO 8601 (not plain numbers) */
  guint    unix_seconds;   /* integers in a plausible range */
  gboolean time_name;
} TypeStats;

static gboolean
name_suggests_time (const char *name)
{
  static const char *const suffixes[] = { "_at", " at", "_time", " time", "_date", " date", "timestamp" };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  if (g_str_equal (lower, "created") || g_str_equal (lower, "updated") ||
      g_str_equal (lower, "date") || g_str_equal (lower, "time"))
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (lower, suffixes[i]))
      return TRUE;
  return FALSE;
}

static void
stats_add (TypeStats  *st,
           const char *s,
           gsize       len)
{
  double number;
  CohortBool b;

  if (len == 0)
    return;
  st->nonempty++;
  if (cohort_value_strip_apostrophe (&s, &len))
    st->apostrophe++;
  if (cohort_value_parse_number (s, len, &number))
    {
      const char *digits = s + (s[0] == '-' || s[0] == '+');

      st->numbers++;
      if (digits[0] == '0' && len > (gsize) (digits - s) + 1 && g_ascii_isdigit (digits[1]))
        st->leading_zero++;
      if (number == (double) (gint64) number && number >= 0 && number <= 4102444800.0 &&
          memchr (s, '.', len) == NULL && memchr (s, 'e', len) == NULL && memchr (s, 'E', len) == NULL)
        st->unix_seconds++;
    }
  else if (cohort_value_parse_timestamp (s, len, NULL))
    st->times++;
  b = cohort_value_parse_bool (s, len);
  if (b != COHORT_BOOL_NEITHER)
    {
      st->booleans++;
      if (!g_ascii_isdigit (s[0]))
        st->boolean_words++;
    }
}

static CohortAttrType
stats_decide (const TypeStats *st)
{
  if (st->nonempty == 0 || st->apostrophe > 0)
    return COHORT_ATTR_STRING;
  if (st->booleans == st->nonempty && st->boolean_words > 0)
    return COHORT_ATTR_BOOLEAN;
  if (st->times > 0 && st->times + (st->time_name ? st->unix_seconds : 0) == st->nonempty)
    return COHORT_ATTR_TIMESTAMP;
  if (st->numbers == st->nonempty && st->leading_zero == 0)
    {
      if (st->time_name && st->unix_seconds == st->nonempty)
        return COHORT_ATTR_TIMESTAMP;
      return COHORT_ATTR_NUMBER;
    }
  return COHORT_ATTR_STRING;
}

/* ---- Column mapping -------------------------------------------------- */

typedef struct
{
  guint              n_columns;
  char             **header;        /* borrowed from the reader */
  CohortImportRole  *roles;
  CohortAttrType    *types;
  gboolean          *chosen;        /* type chosen by hand */
  int                id_column;
  int                email_column;
} Mapping;

static void
mapping_clear (Mapping *m)
{
  g_free (m->roles);
  g_free (m->types);
  g_free (m->chosen);
}

static int
find_column (char       **header,
             guint        n_columns,
             const char  *name)
{
  for (guint i = 0; i < n_columns; i++)
    if (strcmp (header[i], name) == 0)
      return (int) i;
  return -1;
}

static int
find_by_names (char              **header,
               guint               n_columns,
               const char *const  *names,
               guint               n_names)
{
  for (guint k = 0; k < n_names; k++)
    for (guint i = 0; i < n_columns; i++)
      {
        g_autofree char *stripped = g_strstrip (g_strdup (header[i]));

        if (g_ascii_strcasecmp (stripped, names[k]) == 0)
          return (int) i;
      }
  return -1;
}

static gboolean
resolve_column (CohortImporter  *self,
                Mapping         *m,
                const char      *chosen,
                const char      *option,
                const char *const *names,
                guint            n_names,
                int             *out,
                GError         **error)
{
  if (chosen == NULL)
    *out = find_by_names (m->header, m->n_columns, names, n_names);
  else if (chosen[0] == '\0')
    *out = -1;
  else if ((*out = find_column (m->header, m->n_columns, chosen)) < 0)
    {
      g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_BAD_MAPPING,
                   _("%s: the %s column “%s” is not in the header"),
                   self->display_name, option, chosen);
      return FALSE;
    }
  return TRUE;
}

/* Maps the header; with @need_identity, fails when there is no id or email column. */
static gboolean
mapping_init (CohortImporter   *self,
              CohortCsvReader  *reader,
              gboolean          need_identity,
              Mapping          *m,
              GError          **error)
{
  GHashTableIter iter;
  gpointer key, value;

  m->header = (char **) cohort_csv_reader_get_header (reader);
  m->n_columns = cohort_csv_reader_get_n_columns (reader);
  m->roles = g_new0 (CohortImportRole, m->n_columns);
  m->types = g_new0 (CohortAttrType, m->n_columns);
  m->chosen = g_new0 (gboolean, m->n_columns);

  if (!resolve_column (self, m, self->id_column, _("id"), id_names, G_N_ELEMENTS (id_names),
                       &m->id_column, error) ||
      !resolve_column (self, m, self->email_column, _("email"), email_names,
                       G_N_ELEMENTS (email_names), &m->email_column, error))
    return FALSE;
  if (m->id_column >= 0 && m->id_column == m->email_column)
    {
      g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_BAD_MAPPING,
                   _("%s: the column “%s” cannot be both the id and the email"),
                   self->display_name, m->header[m->id_column]);
      return FALSE;
    }
  if (need_identity && m->id_column < 0 && m->email_column < 0)
    {
      g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_NO_IDENTITY,
                   _("%s: no column holds an id or an email (expected a column named "
                     "“id”, “customer_id”, “Customer ID”, “Record ID”, “email”, "
                     "“Email Address” or “e-mail”); choose one"),
                   self->display_name);
      return FALSE;
    }
  if (m->id_column >= 0)
    m->roles[m->id_column] = COHORT_IMPORT_ROLE_ID;
  if (m->email_column >= 0)
    m->roles[m->email_column] = COHORT_IMPORT_ROLE_EMAIL;

  g_hash_table_iter_init (&iter, self->types);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      int col = find_column (m->header, m->n_columns, key);
      CohortImportType type = GPOINTER_TO_INT (value);

      if (col < 0)
        {
          g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_BAD_MAPPING,
                       _("%s: a type is given for “%s”, which is not a column of the header"),
                       self->display_name, (const char *) key);
          return FALSE;
        }
      if (m->roles[col] != COHORT_IMPORT_ROLE_ATTRIBUTE)
        continue;
      if (type == COHORT_IMPORT_TYPE_SKIP)
        m->roles[col] = COHORT_IMPORT_ROLE_SKIP;
      else
        {
          m->types[col] = (CohortAttrType) type;
          m->chosen[col] = TRUE;
        }
    }
  return TRUE;
}

/* ---- Input --------------------------------------------------------- */

/* Whether @path names something that cannot be read again from its start:
 * a pipe (/dev/stdin in a pipeline), a socket, a terminal. A regular file is
 * read in place; anything else that cannot be opened (a directory, a missing
 * file) is left to open_input's error. */
static gboolean
needs_spool (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return FALSE;
  return !S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode) && !S_ISBLK (st.st_mode);
}

static gboolean
write_all (int           fd,
           const char   *data,
           gsize         len,
           GError      **error)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = n < 0 ? errno : ENOSPC;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("cannot keep a copy of it in a temporary file: %s"), g_strerror (saved));
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Copies the whole input into a temporary file, unlinked at once so that
 * nothing is left behind, whatever happens to this process. */
static gboolean
spool_input (CohortImporter  *self,
             GCancellable    *cancellable,
             GError         **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (self->path);
  g_autoptr(GFileInputStream) in = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *buf = NULL;
  guint64 size = 0;
  int fd;

  in = g_file_read (file, cancellable, error);
  if (in == NULL)
    return FALSE;
  fd = g_file_open_tmp ("cohort-import-XXXXXX", &tmp_path, error);
  if (fd < 0)
    return FALSE;
  g_unlink (tmp_path);

  buf = g_malloc (SPOOL_BLOCK);
  for (;;)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (in), buf, SPOOL_BLOCK, cancellable, error);

      if (n == 0)
        break;
      if (n < 0 || !write_all (fd, buf, (gsize) n, error))
        {
          close (fd);
          return FALSE;
        }
      size += (guint64) n;
    }
  g_debug ("Import: %s copied to a temporary file (%" PRIu64 " bytes)", self->display_name, size);
  self->spool_fd = fd;
  self->spool_size = size;
  return TRUE;
}

/* A reader at the start of the input: the file itself, or its copy. */
static CohortCsvReader *
open_input (CohortImporter  *self,
            GCancellable    *cancellable,
            GError         **error)
{
  g_autoptr(GInputStream) stream = NULL;
  gboolean ok = TRUE;
  int fd;

  g_mutex_lock (&self->spool_lock);
  if (self->spool_fd < 0 && needs_spool (self->path))
    ok = spool_input (self, cancellable, error);
  fd = self->spool_fd;
  g_mutex_unlock (&self->spool_lock);
  if (!ok)
    return NULL;
  if (fd < 0)
    return cohort_csv_reader_new_for_path (self->path, error);

  /* Passes are made one after the other: each starts from the beginning. */
  fd = dup (fd);
  if (fd < 0 || lseek (fd, 0, SEEK_SET) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("cannot read its temporary copy again: %s"), g_strerror (saved));
      return NULL;
    }
  stream = g_unix_input_stream_new (fd, TRUE);
  return cohort_csv_reader_new (stream, self->spool_size, self->display_name);
}

static CohortCsvReader *
open_reader (CohortImporter     *self,
             char                delimiter,
             CohortCsvEncoding   encoding,
             GCancellable       *cancellable,
             GError            **error)
{
  g_autoptr(CohortCsvReader) reader = NULL;
  GError *local = NULL;

  reader = open_input (self, cancellable, &local);
  if (reader == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, local);
      else
        {
          g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_FAILED,
                       _("Cannot read “%s”: %s"), self->display_name, local->message);
          g_error_free (local);
        }
      return NULL;
    }
  cohort_csv_reader_set_delimiter (reader, delimiter);
  cohort_csv_reader_set_encoding (reader, encoding);
  if (!cohort_csv_reader_read_header (reader, cancellable, &local))
    {
      if (local->domain == COHORT_CSV_ERROR)
        g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_FAILED,
                     "%s: %s", self->display_name, local->message);
      else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      else
        g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_FAILED,
                     _("Cannot read “%s”: %s"), self->display_name, local->message);
      g_clear_error (&local);
      return NULL;
    }
  return g_steal_pointer (&reader);
}

static gboolean
read_failed (CohortImporter  *self,
             GError          *local,
             GError         **error)
{
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, local);
  else
    {
      g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_FAILED,
                   _("Cannot read “%s”: %s"), self->display_name, local->message);
      g_error_free (local);
    }
  return FALSE;
}

static void
add_rejection (GArray     *rejected,
               guint64    *n_rejected,
               guint64     line,
               guint       column,
               char       *reason)
{
  CohortImportRejection r = { line, column, reason };

  (*n_rejected)++;
  if (rejected->len < COHORT_IMPORT_MAX_REPORTED)
    g_array_append_val (rejected, r);
  else
    g_free (reason);
}

static char *
reader_reason (CohortCsvReader *reader,
               const GError    *error)
{
  guint64 line = cohort_csv_reader_get_error_line (reader);

  if (line != cohort_csv_reader_get_line (reader))
    return g_strdup_printf (_("%s (line %" PRIu64 ", column %u)"), error->message,
                            line, cohort_csv_reader_get_error_column (reader));
  return g_strdup_printf (_("%s (column %u)"), error->message,
                          cohort_csv_reader_get_error_column (reader));
}

/* Reads the first records to detect column types (columns not chosen). */
static gboolean
detect_types (CohortImporter   *self,
              CohortCsvReader  *reader,
              Mapping          *m,
              guint             n_rows,
              GPtrArray        *keep_records,
              GArray           *keep_lines,
              guint             n_keep,
              GArray           *rejected,
              GCancellable     *cancellable,
              GError          **error)
{
  g_autofree TypeStats *stats = g_new0 (TypeStats, m->n_columns);
  guint64 n_rejected = 0;

  for (guint i = 0; i < m->n_columns; i++)
    stats[i].time_name = name_suggests_time (m->header[i]);

  for (guint row = 0; row < n_rows; row++)
    {
      GError *local = NULL;
      CohortCsvStatus status = cohort_csv_reader_next (reader, cancellable, &local);

      if (status == COHORT_CSV_FAILED)
        return read_failed (self, local, error);
      if (status == COHORT_CSV_END)
        break;
      if (status == COHORT_CSV_BAD)
        {
          if (rejected != NULL && row < n_keep)
            add_rejection (rejected, &n_rejected, cohort_csv_reader_get_line (reader),
                           cohort_csv_reader_get_error_column (reader),
                           reader_reason (reader, local));
          g_error_free (local);
          continue;
        }
      for (guint i = 0; i < m->n_columns; i++)
        {
          gsize len;
          const char *s = cohort_csv_reader_get_field (reader, i, &len);

          if (!m->chosen[i])
            stats_add (&stats[i], s, len);
        }
      if (keep_records != NULL && keep_records->len < n_keep)
        {
          char **cells = g_new0 (char *, m->n_columns + 1);
          guint64 line = cohort_csv_reader_get_line (reader);

          for (guint i = 0; i < m->n_columns; i++)
            cells[i] = g_strdup (cohort_csv_reader_get_field (reader, i, NULL));
          g_ptr_array_add (keep_records, cells);
          g_array_append_val (keep_lines, line);
        }
    }

  for (guint i = 0; i < m->n_columns; i++)
    if (!m->chosen[i])
      m->types[i] = stats_decide (&stats[i]);
  return TRUE;
}

CohortImportPreview *
cohort_importer_preview (CohortImporter  *self,
                         guint            n_records,
                         GCancellable    *cancellable,
                         GError         **error)
{
  g_autoptr(CohortCsvReader) reader = NULL;
  g_autoptr(CohortImportPreview) preview = g_new0 (CohortImportPreview, 1);
  Mapping m = { 0 };
  gboolean ok;

  reader = open_reader (self, self->delimiter, self->encoding, cancellable, error);
  if (reader == NULL)
    return NULL;

  preview->records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  preview->lines = g_array_new (FALSE, FALSE, sizeof (guint64));
  preview->rejected = rejections_new ();

  ok = mapping_init (self, reader, FALSE, &m, error) &&
       detect_types (self, reader, &m, MAX (n_records, COHORT_IMPORT_SAMPLE_ROWS),
                     preview->records, preview->lines, n_records, preview->rejected,
                     cancellable, error);
  if (!ok)
    {
      mapping_clear (&m);
      return NULL;
    }

  preview->encoding = cohort_csv_reader_get_encoding (reader);
  preview->delimiter = cohort_csv_reader_get_delimiter (reader);
  preview->n_columns = m.n_columns;
  preview->header = g_strdupv (m.header);
  preview->roles = g_steal_pointer (&m.roles);
  preview->types = g_steal_pointer (&m.types);
  preview->id_column = m.id_column;
  preview->email_column = m.email_column;
  mapping_clear (&m);
  return g_steal_pointer (&preview);
}

/* ---- The import ------------------------------------------------------ */

typedef struct
{
  gint64      ordinal;
  gboolean    found;
  GString    *id;
  GString    *email;
  gboolean    has_id;
  gboolean    has_email;
  GByteArray *attrs;
} Existing;

typedef struct
{
  CohortImporter   *self;
  CohortWorkspace  *ws;
  CohortCsvReader  *reader;
  Mapping           m;
  gint64            now;

  guint32          *attr_ids;     /* per column; 0 = not created yet */
  guint32           max_attr;
  int              *col_of_attr;  /* attr id → column, or -1 */
  char            (*scratch)[32]; /* per column: timestamp as text */

  sqlite3_stmt     *by_id;
  sqlite3_stmt     *by_email;
  sqlite3_stmt     *insert;
  sqlite3_stmt     *update;

  gboolean          optimistic;   /* the workspace had no customers */
  gboolean          clear_empty;
  CohortImportProgressFunc progress_func;
  gpointer          progress_data;
  gboolean          changed;

  GArray           *entries;      /* CohortAttrEntry of the row's non-empty values */
  GArray           *merged;
  GArray           *old_entries;
  GByteArray       *blob;
  Existing          a, b;
} Import;

static void
existing_init (Existing *e)
{
  e->id = g_string_new (NULL);
  e->email = g_string_new (NULL);
  e->attrs = g_byte_array_new ();
}

static void
existing_clear (Existing *e)
{
  g_string_free (e->id, TRUE);
  g_string_free (e->email, TRUE);
  g_byte_array_unref (e->attrs);
}

static void
import_clear (Import *im)
{
  mapping_clear (&im->m);
  g_free (im->attr_ids);
  g_free (im->col_of_attr);
  g_free (im->scratch);
  g_clear_pointer (&im->entries, g_array_unref);
  g_clear_pointer (&im->merged, g_array_unref);
  g_clear_pointer (&im->old_entries, g_array_unref);
  g_clear_pointer (&im->blob, g_byte_array_unref);
  existing_clear (&im->a);
  existing_clear (&im->b);
}

static gboolean
db_fail (Import      *im,
         GError     **error,
         const char  *what)
{
  return cohort_workspace_db_error (im->ws, error, what);
}

/* Loads the attributes named by the header and settles each column's type. */
static gboolean
prepare_attributes (Import  *im,
                    GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  im->attr_ids = g_new0 (guint32, im->m.n_columns);
  stmt = cohort_workspace_prepare (im->ws, "SELECT id, name, type FROM attributes", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      guint32 id = (guint32) sqlite3_column_int64 (stmt, 0);
      int col = find_column (im->m.header, im->m.n_columns,
                             (const char *) sqlite3_column_text (stmt, 1));

      im->max_attr = MAX (im->max_attr, id);
      if (col < 0 || im->m.roles[col] != COHORT_IMPORT_ROLE_ATTRIBUTE)
        continue;
      im->attr_ids[col] = id;
      if (!im->m.chosen[col] &&
          !cohort_attr_type_from_string ((const char *) sqlite3_column_text (stmt, 2),
                                         &im->m.types[col]))
        im->m.types[col] = COHORT_ATTR_STRING;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return db_fail (im, error, _("reading attributes"));

  /* Types chosen by hand for attributes that exist. */
  for (guint i = 0; i < im->m.n_columns; i++)
    {
      if (im->attr_ids[i] == 0 || !im->m.chosen[i])
        continue;
      stmt = cohort_workspace_prepare (im->ws, "UPDATE attributes SET type = ? "
                                       "WHERE id = ? AND type != ?", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, cohort_attr_type_to_string (im->m.types[i]), -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, im->attr_ids[i]);
      sqlite3_bind_text (stmt, 3, cohort_attr_type_to_string (im->m.types[i]), -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return db_fail (im, error, _("changing an attribute’s type"));
      if (sqlite3_changes (cohort_workspace_get_db (im->ws)) > 0)
        im->changed = TRUE;
    }
  return TRUE;
}

static void
update_col_of_attr (Import *im)
{
  g_free (im->col_of_attr);
  im->col_of_attr = g_new (int, im->max_attr + 1);
  for (guint32 a = 0; a <= im->max_attr; a++)
    im->col_of_attr[a] = -1;
  for (guint i = 0; i < im->m.n_columns; i++)
    if (im->attr_ids[i] != 0)
      im->col_of_attr[im->attr_ids[i]] = (int) i;
}

static gboolean
create_attribute (Import  *im,
                  guint    col,
                  GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (im->ws, "INSERT INTO attributes (name, type) VALUES (?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, im->m.header[col], -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, cohort_attr_type_to_string (im->m.types[col]), -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return db_fail (im, error, _("adding an attribute"));
  im->attr_ids[col] = (guint32) sqlite3_last_insert_rowid (cohort_workspace_get_db (im->ws));
  im->max_attr = MAX (im->max_attr, im->attr_ids[col]);
  im->changed = TRUE;
  update_col_of_attr (im);
  return TRUE;
}

static int
lookup (Import       *im,
        sqlite3_stmt *stmt,
        const char   *key,
        gsize         len,
        Existing     *out)
{
  int rc;

  sqlite3_reset (stmt);
  sqlite3_bind_text (stmt, 1, key, (int) len, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  out->found = rc == SQLITE_ROW;
  if (out->found)
    {
      const char *id = (const char *) sqlite3_column_text (stmt, 1);
      const char *email = (const char *) sqlite3_column_text (stmt, 2);
      const void *attrs = sqlite3_column_blob (stmt, 3);

      out->ordinal = sqlite3_column_int64 (stmt, 0);
      out->has_id = id != NULL;
      g_string_assign (out->id, id ? id : "");
      out->has_email = email != NULL;
      g_string_assign (out->email, email ? email : "");
      g_byte_array_set_size (out->attrs, 0);
      if (attrs != NULL)
        g_byte_array_append (out->attrs, attrs, (guint) sqlite3_column_bytes (stmt, 3));
      rc = SQLITE_DONE;
    }
  sqlite3_reset (stmt);
  return rc;
}

/* Fills im->entries with the row's values; FALSE with a reason if one is too long. */
static gboolean
row_values (Import  *im,
            char   **reason,
            guint   *column,
            GError **error)
{
  g_array_set_size (im->entries, 0);
  for (guint i = 0; i < im->m.n_columns; i++)
    {
      gsize len;
      const char *s = cohort_csv_reader_get_field (im->reader, i, &len);
      CohortAttrEntry e;

      if (len > COHORT_CUSTOMER_VALUE_MAX_BYTES && im->m.roles[i] != COHORT_IMPORT_ROLE_SKIP)
        {
          *reason = g_strdup_printf (_("the value of “%s” is longer than %d bytes"),
                                     im->m.header[i], COHORT_CUSTOMER_VALUE_MAX_BYTES);
          *column = i + 1;
          return FALSE;
        }
      if (im->m.roles[i] != COHORT_IMPORT_ROLE_ATTRIBUTE)
        continue;
      cohort_value_strip_apostrophe (&s, &len);
      if (len == 0)
        continue;
      if (im->m.types[i] == COHORT_ATTR_TIMESTAMP)
        {
          gint64 t;

          if (cohort_value_parse_timestamp (s, len, &t))
            {
              len = (gsize) g_snprintf (im->scratch[i], sizeof im->scratch[i], "%" PRId64, t);
              s = im->scratch[i];
            }
        }
      if (im->attr_ids[i] == 0 && !create_attribute (im, i, error))
        return FALSE;
      e.attr = im->attr_ids[i];
      e.value = s;
      e.len = len;
      g_array_append_val (im->entries, e);
    }
  return TRUE;
}

/* An attribute of the file whose cell is empty in this row, and so is cleared. */
static gboolean
cleared_in_row (Import  *im,
                guint32  attr)
{
  int col;
  gsize len;
  const char *s;

  if (attr > im->max_attr || (col = im->col_of_attr[attr]) < 0)
    return FALSE;
  s = cohort_csv_reader_get_field (im->reader, (guint) col, &len);
  cohort_value_strip_apostrophe (&s, &len);
  return len == 0;
}

/* An empty blob is x'', not NULL. */
static void
bind_blob (sqlite3_stmt *stmt,
           int           index,
           GByteArray   *blob)
{
  if (blob->len == 0)
    sqlite3_bind_zeroblob (stmt, index, 0);
  else
    sqlite3_bind_blob (stmt, index, blob->data, (int) blob->len, SQLITE_STATIC);
}

static gboolean
write_insert (Import     *im,
              const char *id,
              gsize       id_len,
              const char *email,
              gsize       email_len,
              int        *rc_out)
{
  sqlite3_stmt *stmt = im->insert;
  int rc;

  g_byte_array_set_size (im->blob, 0);
  cohort_attrs_encode (im->blob, (CohortAttrEntry *) im->entries->data, im->entries->len);
  if (id_len > 0)
    sqlite3_bind_text (stmt, 1, id, (int) id_len, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 1);
  if (email_len > 0)
    sqlite3_bind_text (stmt, 2, email, (int) email_len, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 2);
  bind_blob (stmt, 3, im->blob);
  sqlite3_bind_int64 (stmt, 4, im->now);
  sqlite3_bind_int64 (stmt, 5, im->now);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  *rc_out = rc;
  return rc == SQLITE_DONE;
}

/* Merges the row into @target and writes it if anything changed. */
static gboolean
write_update (Import     *im,
              Existing   *target,
              const char *id,
              gsize       id_len,
              const char *email,
              gsize       email_len,
              GError    **error)
{
  sqlite3_stmt *stmt = im->update;
  gboolean same_ids;
  int rc;

  g_array_set_size (im->old_entries, 0);
  g_array_set_size (im->merged, 0);
  if (!cohort_attrs_decode (target->attrs->data, target->attrs->len, im->old_entries))
    g_warning ("Customer %" PRId64 " had damaged attributes: replaced", target->ordinal);

  for (guint i = 0; i < im->old_entries->len; i++)
    {
      CohortAttrEntry *e = &g_array_index (im->old_entries, CohortAttrEntry, i);

      if (im->clear_empty && cleared_in_row (im, e->attr))
        continue;
      g_array_append_val (im->merged, *e);
    }
  /* Later entries win when encoding: the file's values over the old ones. */
  g_array_append_vals (im->merged, im->entries->data, im->entries->len);
  g_byte_array_set_size (im->blob, 0);
  cohort_attrs_encode (im->blob, (CohortAttrEntry *) im->merged->data, im->merged->len);

  if (id_len == 0 && target->has_id)
    id = target->id->str, id_len = target->id->len;
  if (email_len == 0 && target->has_email)
    email = target->email->str, email_len = target->email->len;

  same_ids = (id_len > 0) == target->has_id &&
             (id_len == 0 || (id_len == target->id->len && memcmp (id, target->id->str, id_len) == 0)) &&
             (email_len > 0) == target->has_email &&
             (email_len == 0 || (email_len == target->email->len &&
                                 memcmp (email, target->email->str, email_len) == 0));
  if (same_ids && im->blob->len == target->attrs->len &&
      memcmp (im->blob->data, target->attrs->data, im->blob->len) == 0)
    return TRUE;

  sqlite3_reset (stmt);
  if (id_len > 0)
    sqlite3_bind_text (stmt, 1, id, (int) id_len, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 1);
  if (email_len > 0)
    sqlite3_bind_text (stmt, 2, email, (int) email_len, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 2);
  bind_blob (stmt, 3, im->blob);
  sqlite3_bind_int64 (stmt, 4, im->now);
  sqlite3_bind_int64 (stmt, 5, target->ordinal);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return db_fail (im, error, _("updating a customer"));
  im->changed = TRUE;
  return TRUE;
}

/* One good record. FALSE only on a fatal error; a rejection sets *reason. */
static gboolean
import_row (Import  *im,
            char   **reason,
            guint   *column,
            GError **error)
{
  const char *id = "", *email = "";
  gsize id_len = 0, email_len = 0;
  Existing *target = NULL;
  int rc;

  if (im->m.id_column >= 0)
    {
      id = cohort_csv_reader_get_field (im->reader, (guint) im->m.id_column, &id_len);
      cohort_value_clean_identifier (&id, &id_len);
    }
  if (im->m.email_column >= 0)
    {
      email = cohort_csv_reader_get_field (im->reader, (guint) im->m.email_column, &email_len);
      cohort_value_trim (&email, &email_len);
    }
  if (id_len == 0 && email_len == 0)
    {
      *reason = g_strdup (_("the row has neither an id nor an email"));
      return TRUE;
    }
  if (id_len > COHORT_CUSTOMER_ID_MAX_BYTES)
    {
      *reason = g_strdup_printf (_("the id is longer than %d bytes"), COHORT_CUSTOMER_ID_MAX_BYTES);
      *column = (guint) im->m.id_column + 1;
      return TRUE;
    }
  if (!row_values (im, reason, column, error))
    return *reason != NULL;

  if (im->optimistic)
    {
      if (write_insert (im, id, id_len, email, email_len, &rc))
        {
          im->self->created++;
          im->changed = TRUE;
          return TRUE;
        }
      if ((rc & 0xff) != SQLITE_CONSTRAINT)
        return db_fail (im, error, _("adding a customer"));
    }

  im->a.found = im->b.found = FALSE;
  if (id_len > 0 && lookup (im, im->by_id, id, id_len, &im->a) != SQLITE_DONE)
    return db_fail (im, error, _("looking up a customer"));
  if (email_len > 0 &&
      !(im->a.found && im->a.has_email && im->a.email->len == email_len &&
        g_ascii_strncasecmp (im->a.email->str, email, email_len) == 0) &&
      lookup (im, im->by_email, email, email_len, &im->b) != SQLITE_DONE)
    return db_fail (im, error, _("looking up a customer"));

  if (im->a.found && im->b.found && im->a.ordinal != im->b.ordinal)
    {
      *reason = g_strdup_printf (_("the id “%.*s” and the email “%.*s” belong to two different customers"),
                                 (int) id_len, id, (int) email_len, email);
      return TRUE;
    }
  if (!im->a.found && im->b.found && id_len > 0 && im->b.has_id)
    {
      *reason = g_strdup_printf (_("the email “%.*s” belongs to the customer with the id “%s”"),
                                 (int) email_len, email, im->b.id->str);
      return TRUE;
    }
  target = im->a.found ? &im->a : im->b.found ? &im->b : NULL;

  if (target == NULL)
    {
      if (!write_insert (im, id, id_len, email, email_len, &rc))
        return db_fail (im, error, _("adding a customer"));
      im->self->created++;
      im->changed = TRUE;
      return TRUE;
    }
  if (!write_update (im, target, id, id_len, email, email_len, error))
    return FALSE;
  im->self->updated++;
  return TRUE;
}

static void
report_progress (Import *im)
{
  if (im->progress_func)
    im->progress_func (im->self->rows, cohort_csv_reader_get_bytes_read (im->reader),
                       cohort_csv_reader_get_total_bytes (im->reader), im->progress_data);
}

static gboolean
import_records (Import        *im,
                GCancellable  *cancellable,
                GError       **error)
{
  CohortImporter *self = im->self;

  for (;;)
    {
      GError *local = NULL;
      CohortCsvStatus status = cohort_csv_reader_next (im->reader, cancellable, &local);
      char *reason = NULL;
      guint column = 0;

      if (status == COHORT_CSV_END)
        break;
      if (status == COHORT_CSV_FAILED)
        return read_failed (self, local, error);

      self->rows++;
      if (status == COHORT_CSV_BAD)
        {
          add_rejection (self->rejected, &self->n_rejected, cohort_csv_reader_get_line (im->reader),
                         cohort_csv_reader_get_error_column (im->reader),
                         reader_reason (im->reader, local));
          g_error_free (local);
        }
      else if (!import_row (im, &reason, &column, error))
        return FALSE;
      else if (reason != NULL)
        add_rejection (self->rejected, &self->n_rejected,
                       cohort_csv_reader_get_line (im->reader), column, reason);

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

static gint64
pragma_value (CohortWorkspace *ws,
              const char      *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = 0;

  if (sqlite3_prepare_v2 (cohort_workspace_get_db (ws), sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static void
reset_report (CohortImporter *self)
{
  self->rows = self->created = self->updated = self->n_rejected = 0;
  g_array_set_size (self->rejected, 0);
}

static gboolean
run_internal (CohortImporter           *self,
              CohortWorkspace          *ws,
              CohortImportProgressFunc  progress_func,
              gpointer                  progress_data,
              GCancellable             *cancellable,
              GError                  **error)
{
  g_autoptr(CohortCsvReader) sample = NULL;
  g_autoptr(CohortCsvReader) reader = NULL;
  g_autofree char *cache_sql = NULL;
  Import im = { 0 };
  gint64 old_cache, count;
  gboolean ok = FALSE;

  g_return_val_if_fail (COHORT_IS_IMPORTER (self), FALSE);
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);

  reset_report (self);

  /* Pass 1: detect the encoding, the delimiter and the column types. */
  sample = open_reader (self, self->delimiter, self->encoding, cancellable, error);
  if (sample == NULL)
    return FALSE;
  im.self = self;
  im.ws = ws;
  im.progress_func = progress_func;
  im.progress_data = progress_data;
  existing_init (&im.a);
  existing_init (&im.b);
  im.entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  im.merged = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  im.old_entries = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  im.blob = g_byte_array_new ();
  im.clear_empty = self->clear_empty;
  if (!mapping_init (self, sample, TRUE, &im.m, error) ||
      !detect_types (self, sample, &im.m, COHORT_IMPORT_SAMPLE_ROWS, NULL, NULL, 0, NULL,
                     cancellable, error))
    goto out;
  self->found_encoding = cohort_csv_reader_get_encoding (sample);
  self->found_delimiter = cohort_csv_reader_get_delimiter (sample);

  /* Pass 2: the import, with the same reading. */
  reader = open_reader (self, self->found_delimiter, self->found_encoding, cancellable, error);
  if (reader == NULL)
    goto out;
  /* The same header, or the file changed between the passes. */
  if (cohort_csv_reader_get_n_columns (reader) != im.m.n_columns ||
      !g_strv_equal ((const char *const *) im.m.header, cohort_csv_reader_get_header (reader)))
    {
      g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_FAILED,
                   _("%s changed while it was being read: import it again once nothing writes to it"),
                   self->display_name);
      goto out;
    }
  im.m.header = (char **) cohort_csv_reader_get_header (reader);
  im.reader = reader;
  im.scratch = g_malloc0 (sizeof *im.scratch * im.m.n_columns);
  im.now = cohort_now ();

  old_cache = pragma_value (ws, "PRAGMA cache_size");
  cache_sql = g_strdup_printf ("PRAGMA cache_size = -%d", IMPORT_CACHE_KIB);
  if (!cohort_workspace_begin (ws, error))
    goto out;
  /* Per-row stamp triggers would double the time; the commit renews the stamps. */
  if (!cohort_workspace_suspend_stamp_triggers (ws, COHORT_STAMP_CUSTOMERS_MASK, error))
    goto rollback;
  cohort_workspace_exec (ws, cache_sql, NULL);

  count = pragma_value (ws, "SELECT EXISTS (SELECT 1 FROM customers)");
  im.optimistic = count == 0;
  if (!prepare_attributes (&im, error))
    goto rollback;
  update_col_of_attr (&im);

  /* Borrowed from the workspace's cache; nothing else prepares meanwhile. */
  if ((im.by_id = cohort_workspace_prepare (ws, "SELECT ordinal, id, email, attrs FROM customers "
                                            "WHERE id = ?", error)) == NULL ||
      (im.by_email = cohort_workspace_prepare (ws, "SELECT ordinal, id, email, attrs FROM customers "
                                               "WHERE email = ?", error)) == NULL ||
      (im.insert = cohort_workspace_prepare (ws, "INSERT INTO customers (id, email, attrs, added_at, "
                                             "modified_at) VALUES (?, ?, ?, ?, ?)", error)) == NULL ||
      (im.update = cohort_workspace_prepare (ws, "UPDATE customers SET id = ?, email = ?, attrs = ?, "
                                             "modified_at = ? WHERE ordinal = ?", error)) == NULL)
    goto rollback;

  if (!import_records (&im, cancellable, error))
    goto rollback;

  if (self->all_or_nothing && self->n_rejected > 0)
    {
      g_set_error (error, COHORT_IMPORT_ERROR, COHORT_IMPORT_ERROR_REJECTED,
                   g_dngettext (GETTEXT_PACKAGE,
                                "%s: %" PRIu64 " row was rejected, so nothing was imported",
                                "%s: %" PRIu64 " rows were rejected, so nothing was imported",
                                self->n_rejected),
                   self->display_name, self->n_rejected);
      goto rollback;
    }
  if (im.changed && !cohort_workspace_note_change (ws, COHORT_CHANGE_CUSTOMERS, error))
    goto rollback;
  ok = cohort_workspace_commit (ws, error);
  goto restore;

rollback:
  cohort_workspace_rollback (ws);

restore:
  g_free (cache_sql);
  cache_sql = g_strdup_printf ("PRAGMA cache_size = %" PRId64, old_cache);
  cohort_workspace_exec (ws, cache_sql, NULL);

out:
  import_clear (&im);
  if (!ok)
    self->created = self->updated = 0;
  return ok;
}

gboolean
cohort_importer_run (CohortImporter  *self,
                     CohortWorkspace *ws,
                     GCancellable    *cancellable,
                     GError         **error)
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
cohort_importer_run_async (CohortImporter *self,
                           const char *workspace_path,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_return_if_fail (workspace_path != NULL);
  cohort_import_run_in_thread (self, cohort_importer_run_async, run_in_thread,
                               workspace_path, self->progress_func, self->progress_data,
                               cancellable, callback, user_data);
}

gboolean
cohort_importer_run_finish (CohortImporter  *self,
                            GAsyncResult    *result,
                            GError         **error)
{
  return cohort_import_run_finish (self, result, error);
}

gboolean
cohort_import_rejections_write (GArray         *rejected,
                                GOutputStream  *stream,
                                GCancellable   *cancellable,
                                GError        **error)
{
  g_autoptr(GString) out = g_string_new ("line,column,reason\r\n");

  g_return_val_if_fail (rejected != NULL, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);

  for (guint i = 0; i < rejected->len; i++)
    {
      CohortImportRejection *r = &g_array_index (rejected, CohortImportRejection, i);
      g_autofree char *quoted = NULL;
      g_auto(GStrv) parts = g_strsplit (r->reason, "\"", -1);

      quoted = g_strjoinv ("\"\"", parts);
      g_string_append_printf (out, "%" PRIu64 ",%u,\"%s\"\r\n", r->line, r->column, quoted);
    }
  return g_output_stream_write_all (stream, out->str, out->len, NULL, cancellable, error);
}

gboolean
cohort_importer_save_rejected (CohortImporter  *self,
                               GOutputStream   *stream,
                               GCancellable    *cancellable,
                               GError         **error)
{
  g_return_val_if_fail (COHORT_IS_IMPORTER (self), FALSE);

  return cohort_import_rejections_write (self->rejected, stream, cancellable, error);
}
