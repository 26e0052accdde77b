/* cohort-workspace.h: the SQLite file that holds everything
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define COHORT_WORKSPACE_ERROR (cohort_workspace_error_quark ())

typedef enum
{
  COHORT_WORKSPACE_ERROR_FAILED,
  COHORT_WORKSPACE_ERROR_NOT_A_WORKSPACE,   /* some other file (a PNG, another app's database) */
  COHORT_WORKSPACE_ERROR_TOO_NEW,           /* made by a newer Cohort */
  COHORT_WORKSPACE_ERROR_CORRUPT,           /* truncated or damaged */
  COHORT_WORKSPACE_ERROR_BUSY,              /* locked by another process for too long */
  COHORT_WORKSPACE_ERROR_NOT_FOUND,         /* no such segment / customer / file */
  COHORT_WORKSPACE_ERROR_EXISTS,            /* a unique name or identifier is taken */
  COHORT_WORKSPACE_ERROR_INVALID,           /* a value breaks a rule (empty name, too long...) */
  COHORT_WORKSPACE_ERROR_IN_USE,            /* still referenced (a segment used by another) */
} CohortWorkspaceError;

typedef enum
{
  COHORT_WORKSPACE_OPEN_NONE   = 0,
  COHORT_WORKSPACE_OPEN_CREATE = 1 << 0,    /* create the file (and its folder) if missing */
  COHORT_WORKSPACE_OPEN_READ_ONLY = 1 << 1, /* a reader (worker threads that only read) */
} CohortWorkspaceOpenFlags;

/* What changed, passed with the ::changed signal. */
typedef enum
{
  COHORT_CHANGE_SEGMENTS  = 1 << 0,
  COHORT_CHANGE_CUSTOMERS = 1 << 1,   /* customers, attributes, events: anything the index derives from */
  COHORT_CHANGE_MEMBERS   = 1 << 2,   /* manual segment membership (no generation bump) */
  COHORT_CHANGE_SYNC      = 1 << 3,
  COHORT_CHANGE_ALL       = 0xff,
} CohortChange;

/* The newest schema version this build knows (PRAGMA user_version). */
#define COHORT_WORKSPACE_SCHEMA_VERSION (cohort_workspace_schema_version ())

#define COHORT_TYPE_WORKSPACE (cohort_workspace_get_type ())
G_DECLARE_FINAL_TYPE (CohortWorkspace, cohort_workspace, COHORT, WORKSPACE, GObject)

GQuark           cohort_workspace_error_quark          (void);
int              cohort_workspace_schema_version       (void);

/* $COHORT_WORKSPACE, else $XDG_DATA_HOME/cohort/workspace.cohort */
char            *cohort_workspace_default_path         (void);

CohortWorkspace *cohort_workspace_open                 (const char               *path,
                                                        CohortWorkspaceOpenFlags  flags,
                                                        GError                  **error);
const char      *cohort_workspace_get_path             (CohortWorkspace          *self);
/* A random id made when the file was created; with the data generation it
 * names a state of the data (used to validate persisted derived data). */
const char      *cohort_workspace_get_uuid             (CohortWorkspace          *self);

/* For core modules only: the UI and the CLI never touch SQL. */
sqlite3         *cohort_workspace_get_db               (CohortWorkspace          *self);

/* A cached prepared statement, reset and with bindings cleared; borrowed.
 * Call sqlite3_reset() on it when done: a statement left mid-way keeps a
 * read transaction open. Do not hold it across calls that may prepare the
 * same SQL. */
sqlite3_stmt    *cohort_workspace_prepare              (CohortWorkspace          *self,
                                                        const char               *sql,
                                                        GError                  **error);
gboolean         cohort_workspace_exec                 (CohortWorkspace          *self,
                                                        const char               *sql,
                                                        GError                  **error);
/* Sets @error from the connection's last SQLite error, prefixed by @what. Always returns FALSE. */
gboolean         cohort_workspace_db_error             (CohortWorkspace          *self,
                                                        GError                  **error,
                                                        const char               *what);
/* Steps @stmt once and resets it; anything but SQLITE_DONE sets @error
 * through cohort_workspace_db_error() with @what and returns FALSE. */
gboolean         cohort_workspace_step_done            (CohortWorkspace          *self,
                                                        sqlite3_stmt             *stmt,
                                                        const char               *what,
                                                        GError                  **error);

/* Nestable transactions: the outermost is BEGIN IMMEDIATE, inner ones are
 * SAVEPOINTs. Every begin must be matched by commit or rollback. */
gboolean         cohort_workspace_begin                (CohortWorkspace          *self,
                                                        GError                  **error);
gboolean         cohort_workspace_commit               (CohortWorkspace          *self,
                                                        GError                  **error);
void             cohort_workspace_rollback             (CohortWorkspace          *self);
gboolean         cohort_workspace_in_transaction       (CohortWorkspace          *self);

/* Record that the data @what changed inside the current transaction.
 * COHORT_CHANGE_CUSTOMERS bumps the data generation (stored in the same
 * transaction): the indexes derived from customers and events are stamped
 * with it. Manual membership is read from SQLite directly, so it does not.
 * ::changed is emitted after the outermost commit. */
gboolean         cohort_workspace_note_change          (CohortWorkspace          *self,
                                                        CohortChange              what,
                                                        GError                  **error);
gint64           cohort_workspace_get_data_generation  (CohortWorkspace          *self);

/* Another process (the CLI) may have written: if so, emit ::changed with
 * COHORT_CHANGE_ALL and return TRUE. */
gboolean         cohort_workspace_check_external_changes (CohortWorkspace        *self);

/* TRUE when opened with COHORT_WORKSPACE_OPEN_READ_ONLY, or when the file
 * sits in a folder that cannot be written (then read as a snapshot). */
gboolean         cohort_workspace_is_read_only         (CohortWorkspace          *self);

/* What a derived index file is built from. */
typedef enum
{
  COHORT_STAMP_CUSTOMERS,   /* the customers and attributes tables */
  COHORT_STAMP_EVENTS,      /* the events and event_attributes tables */
} CohortStampKind;

/* An opaque string naming the current state of the tables of @kind: it
 * changes with every committed change to them by any program (SQLite
 * triggers write a fresh random token per changed row), so a restored
 * backup, a copied file or an edit with the sqlite3 shell never gives the
 * stamp of an index built from other data. Read it in the same read
 * transaction as the rows an index is built from. */
gboolean         cohort_workspace_read_stamp           (sqlite3                  *db,
                                                        CohortStampKind           kind,
                                                        char                    **out_stamp,
                                                        GError                  **error);

#define COHORT_STAMP_CUSTOMERS_MASK (1u << COHORT_STAMP_CUSTOMERS)
#define COHORT_STAMP_EVENTS_MASK    (1u << COHORT_STAMP_EVENTS)

/* For bulk writers, inside a transaction: drops the per-row stamp triggers
 * (they cost as much as the insert itself); the outermost commit puts them
 * back and, if any row changed, writes fresh stamps for @stamps (a mask of
 * COHORT_STAMP_*_MASK: every kind of table the writer may change, including
 * through cascades). A rollback restores them with the rest, so the
 * committed schema is always the migrated one. */
gboolean         cohort_workspace_suspend_stamp_triggers (CohortWorkspace        *self,
                                                          guint                   stamps,
                                                          GError                **error);

/* Key/value settings stored in the workspace (never secrets). */
char            *cohort_workspace_get_meta             (CohortWorkspace          *self,
                                                        const char               *key);
gboolean         cohort_workspace_set_meta             (CohortWorkspace          *self,
                                                        const char               *key,
                                                        const char               *value,
                                                        GError                  **error);

G_END_DECLS
