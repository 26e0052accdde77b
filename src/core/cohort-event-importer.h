/* cohort-event-importer.h: CSV records → events
 *
 * Columns, found by name (case-insensitive) unless chosen:
 *   customer   customer_id, customer, person_id, person, user_id, id,
 *              customer_email, email, email address, e-mail, identifier
 *   name       name, event, event_name, event name
 *   timestamp  timestamp, time, created_at, occurred_at, date, event_time, ts
 *              (Unix seconds or ISO 8601)
 *   event id   event_id, event id (optional: makes re-imports idempotent)
 *   data       data: a JSON object whose members become event attributes
 * Every other column is an event attribute (an empty cell: none).
 *
 * The customer column is read as an id, as an email, or — for neutral names
 * such as "customer" — as an id first, then as an email. An unknown customer
 * is created (the default) or the row is rejected. Importing the same events
 * twice does not double them: an event is known by its event id, else by
 * its customer, name, timestamp and attributes together.
 *
 * The whole import is one transaction: cancelled or failed, nothing changes.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cohort-csv-reader.h"
#include "cohort-importer.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_TYPE_EVENT_IMPORTER (cohort_event_importer_get_type ())
G_DECLARE_FINAL_TYPE (CohortEventImporter, cohort_event_importer, COHORT, EVENT_IMPORTER, GObject)

CohortEventImporter *cohort_event_importer_new                 (const char               *path);

void                 cohort_event_importer_set_delimiter       (CohortEventImporter      *self,
                                                                char                      delimiter);
void                 cohort_event_importer_set_encoding        (CohortEventImporter      *self,
                                                                CohortCsvEncoding         encoding);
/* NULL: found by name. */
void                 cohort_event_importer_set_customer_column (CohortEventImporter      *self,
                                                                const char               *name);
/* TRUE (the default): unknown customers are created; FALSE: their rows are rejected. */
void                 cohort_event_importer_set_create_missing  (CohortEventImporter      *self,
                                                                gboolean                  create_missing);
void                 cohort_event_importer_set_all_or_nothing  (CohortEventImporter      *self,
                                                                gboolean                  all_or_nothing);
/* Tests: a file of at least @min_rows estimated rows (default 100000) is
 * imported on the bulk path (also a smaller one into a workspace without the
 * unique index of dedupe keys, as older versions left it), which holds its
 * events and inserts them @chunk_rows at a time (default 16777216, or 1 GB
 * of held events), sorted by customer and time, and builds that index again
 * before committing. 0 keeps the default. */
void                 cohort_event_importer_set_bulk_limits     (CohortEventImporter      *self,
                                                                guint64                   min_rows,
                                                                guint                     chunk_rows);
void                 cohort_event_importer_set_progress_func   (CohortEventImporter      *self,
                                                                CohortImportProgressFunc  func,
                                                                gpointer                  user_data,
                                                                GDestroyNotify            destroy);

/* FALSE on a fatal error, on cancellation and, under all-or-nothing, when a
 * row was rejected (the report is still available). */
gboolean             cohort_event_importer_run                 (CohortEventImporter      *self,
                                                                CohortWorkspace          *ws,
                                                                GCancellable             *cancellable,
                                                                GError                  **error);
void                 cohort_event_importer_run_async           (CohortEventImporter      *self,
                                                                const char               *workspace_path,
                                                                GCancellable             *cancellable,
                                                                GAsyncReadyCallback       callback,
                                                                gpointer                  user_data);
gboolean             cohort_event_importer_run_finish          (CohortEventImporter      *self,
                                                                GAsyncResult             *result,
                                                                GError                  **error);

guint64              cohort_event_importer_get_rows            (CohortEventImporter      *self);
guint64              cohort_event_importer_get_imported        (CohortEventImporter      *self);
guint64              cohort_event_importer_get_duplicates      (CohortEventImporter      *self);
guint64              cohort_event_importer_get_customers_created (CohortEventImporter    *self);
guint64              cohort_event_importer_get_n_rejected      (CohortEventImporter      *self);
/* CohortImportRejection, the first COHORT_IMPORT_MAX_REPORTED. */
GArray              *cohort_event_importer_get_rejected        (CohortEventImporter      *self);

G_END_DECLS
