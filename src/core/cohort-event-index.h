/* cohort-event-index.h: the events of a workspace, columnar, for counting
 *
 * Events are kept sorted by (name, timestamp), so that a condition reads
 * only its own name's events inside its time window; each event attribute
 * is a dictionary-coded column (cohort-column-private.h), so that a "where"
 * filter is decided once per distinct value. Like the customer column
 * index it is derived from SQLite, stamped with the stamp of the events it
 * was built from (cohort_workspace_read_stamp(): it changes with every
 * committed change by any program), persisted next to the workspace
 * (<workspace>.events-index, cohort-derived-file-private.h: checksummed
 * sections, atomic write) and mapped on open, and rebuilt whenever it is
 * missing, stale or damaged.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "cohort-bitmap.h"
#include "cohort-criteria.h"

G_BEGIN_DECLS

typedef struct _CohortEventIndex CohortEventIndex;

CohortEventIndex *cohort_event_index_ref            (CohortEventIndex *self);
void              cohort_event_index_unref          (CohortEventIndex *self);

/* Built from @db in one read snapshot; never persisted. */
CohortEventIndex *cohort_event_index_build          (sqlite3          *db,
                                                     GCancellable     *cancellable,
                                                     GError          **error);
/* The index of the workspace at @path for its current data: from memory,
 * from the sidecar file, or built (and then written to the sidecar). */
CohortEventIndex *cohort_event_index_ensure_for_db  (sqlite3          *db,
                                                     const char       *path,
                                                     GCancellable     *cancellable,
                                                     GError          **error);
/* Drops the cached index of @path (and its file when @remove_file). */
void              cohort_event_index_forget         (const char       *path,
                                                     gboolean          remove_file);
char             *cohort_event_index_sidecar_path   (const char       *workspace_path);

guint64           cohort_event_index_get_n_events   (CohortEventIndex *self);
/* How many indexes the in-process cache holds (at most 2). */
guint             cohort_event_index_get_n_cached   (void);
gboolean          cohort_event_index_is_mapped      (CohortEventIndex *self);

/* The customers among @universe (a bitmap over customer ordinals) that
 * satisfy @condition at time @now (spec/criteria.md, Events). */
CohortBitmap     *cohort_event_index_evaluate       (CohortEventIndex           *self,
                                                     const CohortEventCondition *condition,
                                                     const CohortBitmap         *universe,
                                                     gint64                      now,
                                                     GCancellable               *cancellable,
                                                     GError                    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortEventIndex, cohort_event_index_unref)

G_END_DECLS
