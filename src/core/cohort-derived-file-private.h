/* cohort-derived-file-private.h: one file discipline for the derived index
 * files next to a workspace (the customer column index and the event index)
 *
 * A derived file is a cache of what SQLite holds, never a source: it is
 * used only when it proves that it matches, and rebuilt otherwise.
 *
 * Layout (native byte order, every section 8-byte aligned):
 *   FileHeader | SectionEntry[n_sections] | stamp bytes | sections...
 * The header names the format (magic, version, endianness), the file size
 * and the STAMP of the data it was built from (cohort_workspace_read_stamp(),
 * which changes with every committed change by any program). One checksum
 * covers header, section table and stamp, checked on open; every section
 * has its own checksum, checked the first time the section is used
 * (cohort_derived_file_verify()), so that a count pays only for what it
 * reads, and no byte is used unchecked.
 *
 * Files are written atomically: a unique temporary name in the same folder
 * (".NAME.PID.XXXXXX"), fsync, rename, fsync of the folder; a failed write
 * leaves no temporary behind, and temporaries left by a killed writer are
 * removed by the next write.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cohort-workspace.h"

G_BEGIN_DECLS

/* A fast 64-bit checksum for damage detection (not cryptographic): any
 * change of a single 8-byte word changes it. */
/* The stamp of the tables of @kind (cohort_workspace_read_stamp()), read in
 * the caller's snapshot. A workspace without stamps (an older schema read
 * without migrating it) is no error: *@stamp stays NULL, and the index is
 * then built for that one use, never cached nor written. */
gboolean            cohort_derived_read_stamp       (sqlite3             *db,
                                                     CohortStampKind      kind,
                                                     char               **stamp,
                                                     GError             **error);

guint64             cohort_derived_checksum         (guint64              seed,
                                                     gconstpointer        data,
                                                     gsize                len);

/* ---- writing ---------------------------------------------------------- */

typedef struct _CohortDerivedWriter CohortDerivedWriter;

/* @magic: 8 bytes naming the kind of file; @version: its layout version. */
CohortDerivedWriter *cohort_derived_writer_new      (const char          *magic,
                                                     guint32              version,
                                                     const char          *stamp);
void                 cohort_derived_writer_free     (CohortDerivedWriter *writer);
/* Adds a section (borrowed until written); returns its number. */
guint                cohort_derived_writer_add      (CohortDerivedWriter *writer,
                                                     guint32              tag,
                                                     gconstpointer        data,
                                                     gsize                size);
/* Writes the file atomically at @path (see above). */
gboolean             cohort_derived_writer_write    (CohortDerivedWriter *writer,
                                                     const char          *path,
                                                     GError             **error);

/* Removes temporaries of @path (".NAME.*") left by writers that died: those
 * whose writer process is gone, or older than ten minutes. */
void                 cohort_derived_clean_temporaries (const char        *path);

/* ---- reading ---------------------------------------------------------- */

typedef struct _CohortDerivedFile CohortDerivedFile;

/* Maps @path when it is a derived file of this @magic and @version built
 * from @stamp, with a sound header and section table. NULL otherwise, with
 * @why saying why (for g_debug). Section contents are not checked yet. */
CohortDerivedFile   *cohort_derived_file_open       (const char          *path,
                                                     const char          *magic,
                                                     guint32              version,
                                                     const char          *stamp,
                                                     const char         **why);
void                 cohort_derived_file_free       (CohortDerivedFile   *file);
guint                cohort_derived_file_get_n_sections (CohortDerivedFile *file);
gsize                cohort_derived_file_get_size   (CohortDerivedFile   *file);
/* Section @i when its tag is @tag (else NULL): its bytes, NOT yet checked. */
gconstpointer        cohort_derived_file_peek       (CohortDerivedFile   *file,
                                                     guint                i,
                                                     guint32              tag,
                                                     guint64             *size);
/* TRUE when section @i matches its checksum (computed once; thread-safe). */
gboolean             cohort_derived_file_verify     (CohortDerivedFile   *file,
                                                     guint                i);
/* Sections @first to @first + @n - 1 all match their checksums; large
 * ones are checked on several processors at once. */
gboolean             cohort_derived_file_verify_sections (CohortDerivedFile *file,
                                                     guint                first,
                                                     guint                n);
/* Section @i when its tag is @tag and it matches its checksum, else NULL. */
gconstpointer        cohort_derived_file_section    (CohortDerivedFile   *file,
                                                     guint                i,
                                                     guint32              tag,
                                                     guint64             *size);
/* Damage was found: removes the file from the folder when it is still the
 * one that was mapped (a newer good file written since is kept). */
void                 cohort_derived_file_discard    (CohortDerivedFile   *file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortDerivedFile, cohort_derived_file_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortDerivedWriter, cohort_derived_writer_free)

/* ---- in-process caches -------------------------------------------------- */

/* A small cache of derived objects per workspace path and stamp, at most
 * @max_entries (least recently used evicted); entries whose stamp no
 * longer matches are dropped on lookup. Thread-safe. */
typedef struct
{
  GMutex          lock;
  GQueue          entries;      /* CacheEntry*, most recently used first */
  guint           max_entries;
  GBoxedCopyFunc  ref;
  GDestroyNotify  unref;
} CohortDerivedCache;

#define COHORT_DERIVED_CACHE_INIT(max, ref, unref) \
  { { 0 }, G_QUEUE_INIT, (max), (GBoxedCopyFunc) (ref), (GDestroyNotify) (unref) }

/* A new reference to the object cached for @path and @stamp, or NULL. */
gpointer             cohort_derived_cache_lookup    (CohortDerivedCache  *cache,
                                                     const char          *path,
                                                     const char          *stamp);
/* Caches (a new reference to) @object for @path and @stamp. */
void                 cohort_derived_cache_insert    (CohortDerivedCache  *cache,
                                                     const char          *path,
                                                     const char          *stamp,
                                                     gpointer             object);
/* Drops what is cached for @path (every entry when @path is NULL). */
void                 cohort_derived_cache_forget    (CohortDerivedCache  *cache,
                                                     const char          *path);
/* Drops @object if cached (it was found damaged). */
void                 cohort_derived_cache_remove_object (CohortDerivedCache *cache,
                                                     gpointer             object);
guint                cohort_derived_cache_get_n_entries (CohortDerivedCache *cache);

G_END_DECLS
