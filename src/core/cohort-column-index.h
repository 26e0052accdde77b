/* cohort-column-index.h: the workspace's customers as columns in memory
 *
 * For every attribute, and for the id and email fields, a column holds one
 * uint32 code per customer ordinal into a dictionary of the column's distinct
 * values (code 0: missing or empty). Each dictionary entry carries what the
 * evaluator needs precomputed: whether it reads as a number, a timestamp or a
 * boolean, and those values. Operators are then evaluated once per distinct
 * value, and one pass over the codes gives the bitmap of matches.
 *
 * SQLite stays the truth: an index is stamped with the stamp of the
 * customers it was built from (cohort_workspace_read_stamp(), which changes
 * with every committed change by any program), persisted next to the
 * workspace in "<workspace>.index" with checksums over every section
 * (cohort-derived-file-private.h: written atomically, mapped on open) and
 * rebuilt when stale, missing or damaged. An index is immutable and may be
 * read from any thread.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "cohort-bitmap.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_INDEX_ERROR (cohort_index_error_quark ())

typedef enum
{
  COHORT_INDEX_ERROR_FAILED,
  COHORT_INDEX_ERROR_DAMAGED,   /* a persisted column failed its checksum */
} CohortIndexError;

GQuark cohort_index_error_quark (void);

typedef enum
{
  COHORT_ENTRY_NUMBER    = 1 << 0,
  COHORT_ENTRY_TIMESTAMP = 1 << 1,
  COHORT_ENTRY_TRUE      = 1 << 2,
  COHORT_ENTRY_FALSE     = 1 << 3,
  COHORT_ENTRY_ASCII     = 1 << 4,
} CohortEntryFlags;

typedef enum
{
  COHORT_COLUMN_ATTRIBUTE,
  COHORT_COLUMN_ID,
  COHORT_COLUMN_EMAIL,
} CohortColumnKind;

typedef struct
{
  CohortColumnKind  kind;
  const char       *name;        /* the field name: "id", "email" or the attribute's */
  guint32           n_entries;   /* dictionary size, entry 0 (missing) included */
  const guint32    *codes;       /* [n_ordinals] */
  const guint32    *offsets;     /* [n_entries + 1] into pool; each string is NUL-terminated */
  const char       *pool;
  const guint8     *flags;       /* [n_entries] CohortEntryFlags */
  const double     *numbers;     /* [n_entries] or NULL when no entry is a number */
  const gint64     *timestamps;  /* [n_entries] or NULL when no entry is a timestamp */
} CohortColumn;

static inline const char *
cohort_column_entry (const CohortColumn *column,
                     guint32             code,
                     gsize              *len)
{
  guint32 start = column->offsets[code];

  if (len != NULL)
    *len = column->offsets[code + 1] - start - 1;
  return column->pool + start;
}

typedef struct _CohortColumnIndex CohortColumnIndex;

#define COHORT_TYPE_COLUMN_INDEX (cohort_column_index_get_type ())
GType               cohort_column_index_get_type      (void);

CohortColumnIndex  *cohort_column_index_ref           (CohortColumnIndex *self);
void                cohort_column_index_unref         (CohortColumnIndex *self);

/* The up-to-date index of @ws: from the in-process cache, else from the
 * sidecar file, else built from SQLite (and the sidecar rewritten). Call on
 * the thread that owns @ws. */
CohortColumnIndex  *cohort_column_index_ensure        (CohortWorkspace   *ws,
                                                       GCancellable      *cancellable,
                                                       GError           **error);
/* The same over another connection to the workspace file at @path (for
 * worker threads, each with their own connection). */
CohortColumnIndex  *cohort_column_index_ensure_for_db (sqlite3           *db,
                                                       const char        *path,
                                                       GCancellable      *cancellable,
                                                       GError           **error);
/* Builds from SQLite without looking at caches or files (tests, benchmarks). */
CohortColumnIndex  *cohort_column_index_build         (sqlite3           *db,
                                                       GCancellable      *cancellable,
                                                       GError           **error);
/* Forgets the in-process cache for @path (and deletes a damaged sidecar when @remove_file). */
void                cohort_column_index_forget        (const char        *path,
                                                       gboolean           remove_file);
/* How many indexes the in-process cache holds (at most 2). */
guint               cohort_column_index_get_n_cached  (void);

char               *cohort_column_index_sidecar_path  (const char        *workspace_path);

/* The stamp of the data the index was built from (cohort_workspace_read_stamp()). */
const char         *cohort_column_index_get_stamp     (CohortColumnIndex *self);
/* Bits per bitmap: the largest ordinal + 1. */
guint32             cohort_column_index_get_n_ordinals (CohortColumnIndex *self);
guint64             cohort_column_index_get_n_customers (CohortColumnIndex *self);
/* The existing customers (borrowed). */
const CohortBitmap *cohort_column_index_get_universe  (CohortColumnIndex *self);
/* TRUE when mapped from the sidecar file rather than built in this process. */
gboolean            cohort_column_index_is_mapped     (CohortColumnIndex *self);
/* Bytes held by the columns (mapped or allocated). */
gsize               cohort_column_index_get_size      (CohortColumnIndex *self);

/* The column for @field ("id", "email" or an attribute name), or NULL when
 * no customer has ever had that attribute. A mapped column is checked on
 * first use: COHORT_INDEX_ERROR_DAMAGED when it fails. */
gboolean            cohort_column_index_get_column    (CohortColumnIndex   *self,
                                                       const char          *field,
                                                       const CohortColumn **column,
                                                       GError             **error);
/* The text of @field for @ordinal (NUL-terminated, borrowed), or NULL when
 * missing; NULL with COHORT_INDEX_ERROR_DAMAGED when its column is damaged. */
const char         *cohort_column_index_get_text      (CohortColumnIndex  *self,
                                                       const char         *field,
                                                       guint32             ordinal,
                                                       GError            **error);
/* Checks the id and email columns and those of @fields (NULL-terminated,
 * may be NULL) before their texts are read: FALSE with
 * COHORT_INDEX_ERROR_DAMAGED when one is damaged. */
gboolean            cohort_column_index_check_fields  (CohortColumnIndex  *self,
                                                       const char * const *fields,
                                                       GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortColumnIndex, cohort_column_index_unref)

G_END_DECLS
