/* cohort-importer.h: CSV records → customers
 *
 * Identity: the id and email columns are found by name (or chosen). A row
 * updates the customer with its id, else the one with its email, else
 * creates one. Attributes in the file overwrite, others stay; an empty cell
 * leaves the attribute as it was unless clear-empty is set. Each column's
 * type is detected from the first rows (or chosen, or the column skipped);
 * an attribute that already exists keeps its type unless one is chosen.
 * Bad rows are reported with their line and reason; the whole import is one
 * transaction, and a cancelled or failed import changes nothing. The path
 * may name a pipe (/dev/stdin, a FIFO): what can be read once is copied, the
 * first time it is needed, to a temporary file (unlinked at once) that the
 * preview and the import both read.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cohort-csv-reader.h"
#include "cohort-customers.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_IMPORT_ERROR (cohort_import_error_quark ())

typedef enum
{
  COHORT_IMPORT_ERROR_FAILED,
  COHORT_IMPORT_ERROR_NO_IDENTITY,   /* neither an id nor an email column */
  COHORT_IMPORT_ERROR_BAD_MAPPING,   /* a chosen column is not in the header */
  COHORT_IMPORT_ERROR_REJECTED,      /* bad rows under all-or-nothing */
} CohortImportError;

typedef enum
{
  COHORT_IMPORT_TYPE_AUTO = -1,
  COHORT_IMPORT_TYPE_STRING = COHORT_ATTR_STRING,
  COHORT_IMPORT_TYPE_NUMBER = COHORT_ATTR_NUMBER,
  COHORT_IMPORT_TYPE_BOOLEAN = COHORT_ATTR_BOOLEAN,
  COHORT_IMPORT_TYPE_TIMESTAMP = COHORT_ATTR_TIMESTAMP,
  COHORT_IMPORT_TYPE_SKIP = 100,
} CohortImportType;

typedef enum
{
  COHORT_IMPORT_ROLE_ATTRIBUTE,
  COHORT_IMPORT_ROLE_ID,
  COHORT_IMPORT_ROLE_EMAIL,
  COHORT_IMPORT_ROLE_SKIP,
} CohortImportRole;

/* How many rows type detection looks at. */
#define COHORT_IMPORT_SAMPLE_ROWS 1000
/* How many rejected rows are kept with their reason (all are counted). */
#define COHORT_IMPORT_MAX_REPORTED 10000

typedef struct
{
  guint64  line;
  guint    column;    /* 0 when the reason is about the whole row */
  char    *reason;
} CohortImportRejection;

typedef struct
{
  CohortCsvEncoding  encoding;
  char               delimiter;
  guint              n_columns;
  char             **header;       /* n_columns names */
  CohortImportRole  *roles;        /* per column */
  CohortAttrType    *types;        /* per column: detected or chosen */
  int                id_column;    /* -1: none */
  int                email_column; /* -1: none */
  GPtrArray         *records;      /* GStrv of n_columns cells, as read */
  GArray            *lines;        /* guint64: where each record starts */
  GArray            *rejected;     /* CohortImportRejection */
} CohortImportPreview;

void cohort_import_preview_free (CohortImportPreview *preview);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortImportPreview, cohort_import_preview_free)

/* Called from the thread that runs the import (for _async: in the caller's
 * main context, at most ten times a second and once at the end). */
typedef void (*CohortImportProgressFunc) (guint64  rows,
                                          guint64  bytes,
                                          guint64  total_bytes,
                                          gpointer user_data);

#define COHORT_TYPE_IMPORTER (cohort_importer_get_type ())
G_DECLARE_FINAL_TYPE (CohortImporter, cohort_importer, COHORT, IMPORTER, GObject)

GQuark            cohort_import_error_quark           (void);

CohortImporter   *cohort_importer_new                 (const char               *path);
const char       *cohort_importer_get_path            (CohortImporter           *self);

/* Options: set them before preview or run. */
void              cohort_importer_set_delimiter       (CohortImporter           *self,
                                                       char                      delimiter);
void              cohort_importer_set_encoding        (CohortImporter           *self,
                                                       CohortCsvEncoding         encoding);
/* NULL: found by name; "": no such column. */
void              cohort_importer_set_id_column       (CohortImporter           *self,
                                                       const char               *name);
void              cohort_importer_set_email_column    (CohortImporter           *self,
                                                       const char               *name);
/* COHORT_IMPORT_TYPE_AUTO forgets a choice. */
void              cohort_importer_set_column_type     (CohortImporter           *self,
                                                       const char               *column,
                                                       CohortImportType          type);
void              cohort_importer_set_clear_empty     (CohortImporter           *self,
                                                       gboolean                  clear_empty);
void              cohort_importer_set_all_or_nothing  (CohortImporter           *self,
                                                       gboolean                  all_or_nothing);
void              cohort_importer_set_progress_func   (CohortImporter           *self,
                                                       CohortImportProgressFunc  func,
                                                       gpointer                  user_data,
                                                       GDestroyNotify            destroy);

/* The first @n_records records as read, with what was detected; writes nothing. */
CohortImportPreview *cohort_importer_preview          (CohortImporter           *self,
                                                       guint                     n_records,
                                                       GCancellable             *cancellable,
                                                       GError                  **error);

/* Imports into @ws in one transaction. FALSE on a fatal error, on
 * cancellation (G_IO_ERROR_CANCELLED) and, under all-or-nothing, when a row
 * was rejected (the report is still available). */
gboolean          cohort_importer_run                 (CohortImporter           *self,
                                                       CohortWorkspace          *ws,
                                                       GCancellable             *cancellable,
                                                       GError                  **error);
/* The same in a thread, with its own connection to the workspace at @workspace_path. */
void              cohort_importer_run_async           (CohortImporter           *self,
                                                       const char               *workspace_path,
                                                       GCancellable             *cancellable,
                                                       GAsyncReadyCallback       callback,
                                                       gpointer                  user_data);
gboolean          cohort_importer_run_finish          (CohortImporter           *self,
                                                       GAsyncResult             *result,
                                                       GError                  **error);

/* The report of the last run. */
guint64           cohort_importer_get_rows            (CohortImporter           *self);
guint64           cohort_importer_get_created         (CohortImporter           *self);
guint64           cohort_importer_get_updated         (CohortImporter           *self);
guint64           cohort_importer_get_n_rejected      (CohortImporter           *self);
/* CohortImportRejection, the first COHORT_IMPORT_MAX_REPORTED. */
GArray           *cohort_importer_get_rejected        (CohortImporter           *self);
CohortCsvEncoding cohort_importer_get_encoding        (CohortImporter           *self);
char              cohort_importer_get_delimiter       (CohortImporter           *self);

/* Writes the rejected rows as CSV (line,column,reason). */
gboolean          cohort_importer_save_rejected       (CohortImporter           *self,
                                                       GOutputStream            *stream,
                                                       GCancellable             *cancellable,
                                                       GError                  **error);
/* The same for any list of CohortImportRejection (the event importer's). */
gboolean          cohort_import_rejections_write      (GArray                   *rejected,
                                                       GOutputStream            *stream,
                                                       GCancellable             *cancellable,
                                                       GError                  **error);

G_END_DECLS
