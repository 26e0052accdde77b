/* cohort-derived-file.c: one file discipline for the derived index files
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "cohort-derived-file-private.h"

#define DERIVED_ENDIAN 0x01020304u
#define DERIVED_DISCIPLINE 2u          /* this header and table layout */
#define MAX_STAMP_LEN 4096u
#define STALE_TEMPORARY_SECONDS (10 * 60)

typedef struct
{
  char    magic[8];
  guint32 version;
  guint32 endian;
  guint64 file_size;
  guint32 n_sections;
  guint32 stamp_len;
  guint64 header_checksum;     /* header (this field 0) + section table + stamp */
  guint32 discipline;
  guint32 reserved;
} FileHeader;

typedef struct
{
  guint32 tag;
  guint32 reserved;
  guint64 offset;
  guint64 size;
  guint64 checksum;
} SectionEntry;

G_STATIC_ASSERT (sizeof (FileHeader) % 8 == 0);
G_STATIC_ASSERT (sizeof (SectionEntry) == 32);

/* ------------------------------------------------------------------ */
/* Stamp                                                                */

gboolean
cohort_derived_read_stamp (sqlite3          *db,
                           CohortStampKind   kind,
                           char            **stamp,
                           GError          **error)
{
  g_autoptr(GError) local_error = NULL;

  if (cohort_workspace_read_stamp (db, kind, stamp, &local_error))
    return TRUE;
  if (g_error_matches (local_error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_CORRUPT))
    {
      g_debug ("%s: the index is built in memory", local_error->message);
      return TRUE;
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Checksum                                                             */

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

guint64
cohort_derived_checksum (guint64       seed,
                         gconstpointer data,
                         gsize         len)
{
  const guint8 *p = data;
  guint64 a = seed ^ len, b = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  guint64 c = G_GUINT64_CONSTANT (0x243f6a8885a308d3), d = G_GUINT64_CONSTANT (0x13198a2e03707344);
  gsize i = 0;

  /* Four independent lanes keep the multiplier busy (a lane's multiply
   * waits for the previous one). Each step is a bijection of its lane for
   * a given word, and the lanes are folded by bijections too: a changed
   * word always changes the result. */
  for (; i + 32 <= len; i += 32)
    {
      a = (a ^ load64 (p + i)) * G_GUINT64_CONSTANT (0x100000001b3);
      b = (b ^ load64 (p + i + 8)) * G_GUINT64_CONSTANT (0xc2b2ae3d27d4eb4f);
      c = (c ^ load64 (p + i + 16)) * G_GUINT64_CONSTANT (0x9fb21c651e98df25);
      d = (d ^ load64 (p + i + 24)) * G_GUINT64_CONSTANT (0xd6e8feb86659fd93);
    }
  for (; i + 8 <= len; i += 8)
    a = (a ^ load64 (p + i)) * G_GUINT64_CONSTANT (0x100000001b3);
  for (; i < len; i++)
    a = (a ^ p[i]) * G_GUINT64_CONSTANT (0x100000001b3);
  return mix64 (a ^ mix64 (b ^ mix64 (c ^ mix64 (d))));
}

static guint64
header_checksum (const FileHeader   *header,
                 const SectionEntry *table,
                 const char         *stamp)
{
  FileHeader copy = *header;
  guint64 h;

  copy.header_checksum = 0;
  h = cohort_derived_checksum (0, &copy, sizeof copy);
  h = cohort_derived_checksum (h, table, sizeof (SectionEntry) * header->n_sections);
  return cohort_derived_checksum (h, stamp, header->stamp_len);
}

static inline guint64
align8 (guint64 n)
{
  return (n + 7) & ~(guint64) 7;
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */

typedef struct
{
  guint32       tag;
  gconstpointer data;
  gsize         size;
} PendingSection;

struct _CohortDerivedWriter
{
  char    magic[8];
  guint32 version;
  char   *stamp;
  GArray *sections;   /* PendingSection */
};

CohortDerivedWriter *
cohort_derived_writer_new (const char *magic,
                           guint32     version,
                           const char *stamp)
{
  CohortDerivedWriter *w = g_new0 (CohortDerivedWriter, 1);

  memcpy (w->magic, magic, 8);
  w->version = version;
  w->stamp = g_strdup (stamp ? stamp : "");
  w->sections = g_array_new (FALSE, FALSE, sizeof (PendingSection));
  return w;
}

void
cohort_derived_writer_free (CohortDerivedWriter *writer)
{
  if (writer == NULL)
    return;
  g_free (writer->stamp);
  g_array_unref (writer->sections);
  g_free (writer);
}

guint
cohort_derived_writer_add (CohortDerivedWriter *writer,
                           guint32              tag,
                           gconstpointer        data,
                           gsize                size)
{
  PendingSection s = { tag, data, size };

  g_array_append_val (writer->sections, s);
  return writer->sections->len - 1;
}

static gboolean
write_all (int fd, gconstpointer data, gsize len)
{
  const guint8 *p = data;

  while (len > 0)
    {
      gssize n = write (fd, p, MIN (len, (gsize) 1 << 30));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
write_padded (int fd, gconstpointer data, gsize len)
{
  static const guint8 zeros[8] = { 0 };
  gsize pad = (gsize) (align8 (len) - len);

  return write_all (fd, data, len) && write_all (fd, zeros, pad);
}

static void
sync_folder (const char *dir)
{
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd < 0)
    return;
  if (fsync (fd) != 0)
    g_debug ("fsync of %s: %s", dir, g_strerror (errno));
  close (fd);
}

gboolean
cohort_derived_writer_write (CohortDerivedWriter  *writer,
                             const char           *path,
                             GError              **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmpl = g_strdup_printf ("%s/.%s.%ld.XXXXXX", dir, base, (long) getpid ());
  guint n = writer->sections->len;
  g_autofree SectionEntry *table = g_new0 (SectionEntry, MAX (n, 1));
  FileHeader header = { { 0 } };
  guint64 offset;
  gboolean ok;
  int fd, saved;

  cohort_derived_clean_temporaries (path);

  memcpy (header.magic, writer->magic, 8);
  header.version = writer->version;
  header.endian = DERIVED_ENDIAN;
  header.discipline = DERIVED_DISCIPLINE;
  header.n_sections = n;
  if (strlen (writer->stamp) > MAX_STAMP_LEN)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: stamp too long", path);
      return FALSE;
    }
  header.stamp_len = (guint32) strlen (writer->stamp);

  offset = align8 (sizeof header + sizeof (SectionEntry) * n + header.stamp_len);
  for (guint i = 0; i < n; i++)
    {
      const PendingSection *s = &g_array_index (writer->sections, PendingSection, i);

      table[i].tag = s->tag;
      table[i].offset = offset;
      table[i].size = s->size;
      table[i].checksum = cohort_derived_checksum (s->tag, s->data, s->size);
      offset += align8 (s->size);
    }
  header.file_size = offset;
  header.header_checksum = header_checksum (&header, table, writer->stamp);

  fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: %s", tmpl, g_strerror (saved));
      return FALSE;
    }

  errno = 0;
  ok = write_all (fd, &header, sizeof header) &&
       write_all (fd, table, sizeof (SectionEntry) * n) &&
       write_padded (fd, writer->stamp, header.stamp_len);
  for (guint i = 0; ok && i < n; i++)
    {
      const PendingSection *s = &g_array_index (writer->sections, PendingSection, i);

      ok = write_padded (fd, s->data, s->size);
    }
  /* Durable before it takes the name: a crash never leaves a torn file. */
  ok = ok && fsync (fd) == 0;
  saved = errno != 0 ? errno : EIO;
  if (close (fd) != 0 && ok)
    {
      ok = FALSE;
      saved = errno;
    }
  if (ok && g_rename (tmpl, path) != 0)
    {
      ok = FALSE;
      saved = errno;
    }
  if (!ok)
    {
      g_unlink (tmpl);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  /* The rename itself survives a crash only once the folder is synced. */
  sync_folder (dir);
  return TRUE;
}

/* ".BASE.PID.XXXXXX" (this discipline), ".BASE.XXXXXX" (older ones) or
 * "BASE.tmp" (an older event index): the writer's pid, 0 when unknown;
 * FALSE when @name is not a temporary of BASE. */
static gboolean
parse_temporary (const char *name, const char *base, long *pid)
{
  gsize base_len = strlen (base);
  const char *rest;
  char *end = NULL;

  *pid = 0;
  if (g_str_has_prefix (name, base) && strcmp (name + base_len, ".tmp") == 0)
    return TRUE;
  if (name[0] != '.' || strncmp (name + 1, base, base_len) != 0 || name[1 + base_len] != '.')
    return FALSE;
  rest = name + 2 + base_len;
  if (strlen (rest) == 6)
    return TRUE;
  if (!g_ascii_isdigit (rest[0]))
    return FALSE;
  *pid = strtol (rest, &end, 10);
  if (end == NULL || *end != '.' || strlen (end + 1) != 6 || *pid <= 0)
    return FALSE;
  return TRUE;
}

static gboolean
process_gone (long pid)
{
  return pid > 0 && kill ((pid_t) pid, 0) != 0 && errno == ESRCH;
}

void
cohort_derived_clean_temporaries (const char *path)
{
  g_autofree char *dir_name = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr(GDir) dir = g_dir_open (dir_name, 0, NULL);
  const char *name;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = NULL;
      GStatBuf st;
      long pid;

      if (!parse_temporary (name, base, &pid))
        continue;
      file = g_build_filename (dir_name, name, NULL);
      if (g_lstat (file, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      if ((pid != 0 && pid != (long) getpid () && process_gone (pid)) ||
          now - (gint64) st.st_mtime > STALE_TEMPORARY_SECONDS)
        {
          g_debug ("Removing %s, left by a writer that did not finish", file);
          g_unlink (file);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Reading                                                              */

struct _CohortDerivedFile
{
  char               *path;
  dev_t               dev;
  ino_t               ino;
  guint8             *map;
  gsize               size;
  const SectionEntry *table;
  guint               n_sections;
  gint               *state;      /* per section: 0 unknown, 1 good, -1 damaged */
};

void
cohort_derived_file_free (CohortDerivedFile *file)
{
  if (file == NULL)
    return;
  if (file->map != NULL)
    munmap (file->map, file->size);
  g_free (file->state);
  g_free (file->path);
  g_free (file);
}

CohortDerivedFile *
cohort_derived_file_open (const char  *path,
                          const char  *magic,
                          guint32      version,
                          const char  *stamp,
                          const char **why)
{
  g_autoptr(CohortDerivedFile) file = NULL;
  FileHeader header;
  const char *stored_stamp;
  struct stat st;
  guint8 *map;
  guint64 table_end;
  int fd;

  /* Non-blocking: a FIFO put in its place must not hang the reader. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      *why = "missing";
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      *why = "not a file";
      return NULL;
    }
  if ((guint64) st.st_size < sizeof header)
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
  file = g_new0 (CohortDerivedFile, 1);
  file->path = g_strdup (path);
  file->dev = st.st_dev;
  file->ino = st.st_ino;
  file->map = map;
  file->size = (gsize) st.st_size;

  memcpy (&header, map, sizeof header);
  if (memcmp (header.magic, magic, 8) != 0 || header.version != version ||
      header.endian != DERIVED_ENDIAN || header.discipline != DERIVED_DISCIPLINE)
    {
      *why = "another format";
      return NULL;
    }
  if (header.file_size != file->size)
    {
      *why = "truncated";
      return NULL;
    }
  table_end = sizeof header + (guint64) sizeof (SectionEntry) * header.n_sections;
  if (header.n_sections > file->size / sizeof (SectionEntry) || header.stamp_len > MAX_STAMP_LEN ||
      table_end + header.stamp_len > file->size)
    {
      *why = "damaged header";
      return NULL;
    }
  file->table = (const SectionEntry *) (map + sizeof header);
  file->n_sections = header.n_sections;
  stored_stamp = (const char *) map + table_end;
  if (header_checksum (&header, file->table, stored_stamp) != header.header_checksum)
    {
      *why = "damaged header";
      return NULL;
    }
  if (stamp == NULL || strlen (stamp) != header.stamp_len ||
      memcmp (stored_stamp, stamp, header.stamp_len) != 0)
    {
      *why = "stale";
      return NULL;
    }
  for (guint i = 0; i < file->n_sections; i++)
    {
      const SectionEntry *s = &file->table[i];

      if (s->offset % 8 != 0 || s->offset < table_end || s->offset > file->size ||
          s->size > file->size - s->offset)
        {
          *why = "damaged section table";
          return NULL;
        }
    }
  file->state = g_new0 (gint, MAX (file->n_sections, 1));
  return g_steal_pointer (&file);
}

guint
cohort_derived_file_get_n_sections (CohortDerivedFile *file)
{
  return file->n_sections;
}

gsize
cohort_derived_file_get_size (CohortDerivedFile *file)
{
  return file->size;
}

gconstpointer
cohort_derived_file_peek (CohortDerivedFile *file,
                          guint              i,
                          guint32            tag,
                          guint64           *size)
{
  if (i >= file->n_sections || file->table[i].tag != tag)
    return NULL;
  if (size != NULL)
    *size = file->table[i].size;
  return file->map + file->table[i].offset;
}

gboolean
cohort_derived_file_verify (CohortDerivedFile *file,
                            guint              i)
{
  const SectionEntry *s;
  gint state;
  gboolean good;

  if (i >= file->n_sections)
    return FALSE;
  state = g_atomic_int_get (&file->state[i]);
  if (state != 0)
    return state > 0;
  s = &file->table[i];
  good = cohort_derived_checksum (s->tag, file->map + s->offset, s->size) == s->checksum;
  g_atomic_int_set (&file->state[i], good ? 1 : -1);
  return good;
}

/* Below this many unchecked bytes, one thread is quicker than starting more. */
#define PARALLEL_VERIFY_BYTES (4u << 20)

typedef struct
{
  CohortDerivedFile *file;
  guint              first;
  guint              n;
  gint               next;
} VerifyJob;

static gpointer
verify_worker (gpointer data)
{
  VerifyJob *job = data;
  gint i;

  while ((i = g_atomic_int_add (&job->next, 1)) < (gint) job->n)
    cohort_derived_file_verify (job->file, job->first + (guint) i);
  return NULL;
}

gboolean
cohort_derived_file_verify_sections (CohortDerivedFile *file,
                                     guint              first,
                                     guint              n)
{
  VerifyJob job = { file, first, n, 0 };
  GThread *threads[7];
  guint n_threads = 0, n_big = 0;
  guint64 pending = 0;

  if (first > file->n_sections || n > file->n_sections - first)
    return FALSE;
  for (guint i = first; i < first + n; i++)
    if (g_atomic_int_get (&file->state[i]) == 0)
      {
        pending += file->table[i].size;
        n_big += file->table[i].size >= PARALLEL_VERIFY_BYTES / 4;
      }
  if (pending >= PARALLEL_VERIFY_BYTES)
    {
      guint workers = MIN (MIN (n_big, (guint) g_get_num_processors ()), G_N_ELEMENTS (threads) + 1);

      n_threads = workers > 1 ? workers - 1 : 0;
    }
  for (guint t = 0; t < n_threads; t++)
    if ((threads[t] = g_thread_try_new ("cohort-verify", verify_worker, &job, NULL)) == NULL)
      n_threads = t;
  verify_worker (&job);
  for (guint t = 0; t < n_threads; t++)
    g_thread_join (threads[t]);
  for (guint i = first; i < first + n; i++)
    if (!cohort_derived_file_verify (file, i))
      return FALSE;
  return TRUE;
}

gconstpointer
cohort_derived_file_section (CohortDerivedFile *file,
                             guint              i,
                             guint32            tag,
                             guint64           *size)
{
  gconstpointer p = cohort_derived_file_peek (file, i, tag, size);

  if (p == NULL || !cohort_derived_file_verify (file, i))
    return NULL;
  return p;
}

void
cohort_derived_file_discard (CohortDerivedFile *file)
{
  GStatBuf st;

  if (g_lstat (file->path, &st) == 0 && st.st_dev == file->dev && st.st_ino == file->ino)
    {
      g_debug ("Removing the damaged %s", file->path);
      g_unlink (file->path);
    }
}

/* ------------------------------------------------------------------ */
/* Caches                                                               */

typedef struct
{
  char     *path;
  char     *stamp;
  gpointer  object;
} CacheEntry;

static void
cache_entry_free (CohortDerivedCache *cache, CacheEntry *e)
{
  cache->unref (e->object);
  g_free (e->path);
  g_free (e->stamp);
  g_free (e);
}

gpointer
cohort_derived_cache_lookup (CohortDerivedCache *cache,
                             const char         *path,
                             const char         *stamp)
{
  gpointer found = NULL;
  GList *l, *next;

  g_mutex_lock (&cache->lock);
  for (l = cache->entries.head; l != NULL; l = next)
    {
      CacheEntry *e = l->data;

      next = l->next;
      if (strcmp (e->path, path) != 0)
        continue;
      if (found == NULL && stamp != NULL && strcmp (e->stamp, stamp) == 0)
        {
          found = cache->ref (e->object);
          g_queue_unlink (&cache->entries, l);
          g_queue_push_head_link (&cache->entries, l);
        }
      else
        {
          /* Built from other data: it will never be right again. */
          g_queue_delete_link (&cache->entries, l);
          cache_entry_free (cache, e);
        }
    }
  g_mutex_unlock (&cache->lock);
  return found;
}

void
cohort_derived_cache_insert (CohortDerivedCache *cache,
                             const char         *path,
                             const char         *stamp,
                             gpointer            object)
{
  CacheEntry *e = g_new0 (CacheEntry, 1);

  cohort_derived_cache_forget (cache, path);
  e->path = g_strdup (path);
  e->stamp = g_strdup (stamp);
  e->object = cache->ref (object);
  g_mutex_lock (&cache->lock);
  g_queue_push_head (&cache->entries, e);
  while (cache->entries.length > MAX (cache->max_entries, 1))
    cache_entry_free (cache, g_queue_pop_tail (&cache->entries));
  g_mutex_unlock (&cache->lock);
}

void
cohort_derived_cache_forget (CohortDerivedCache *cache,
                             const char         *path)
{
  GList *l, *next;

  g_mutex_lock (&cache->lock);
  for (l = cache->entries.head; l != NULL; l = next)
    {
      CacheEntry *e = l->data;

      next = l->next;
      if (path == NULL || strcmp (e->path, path) == 0)
        {
          g_queue_delete_link (&cache->entries, l);
          cache_entry_free (cache, e);
        }
    }
  g_mutex_unlock (&cache->lock);
}

void
cohort_derived_cache_remove_object (CohortDerivedCache *cache,
                                    gpointer            object)
{
  GList *l, *next;

  g_mutex_lock (&cache->lock);
  for (l = cache->entries.head; l != NULL; l = next)
    {
      CacheEntry *e = l->data;

      next = l->next;
      if (e->object == object)
        {
          g_queue_delete_link (&cache->entries, l);
          cache_entry_free (cache, e);
        }
    }
  g_mutex_unlock (&cache->lock);
}

guint
cohort_derived_cache_get_n_entries (CohortDerivedCache *cache)
{
  guint n;

  g_mutex_lock (&cache->lock);
  n = cache->entries.length;
  g_mutex_unlock (&cache->lock);
  return n;
}
