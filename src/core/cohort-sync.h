/* cohort-sync.h: pull from and push to Customer.io
 *
 * Pull mirrors the remote segments (type, state, count) and, on request, a
 * remote manual segment's membership. Push publishes every active local
 * segment as a Customer.io manual segment (created once: its remote id is
 * recorded before anything else) and keeps its membership equal to the
 * local one by sending the difference with the last confirmed membership.
 * Everything confirmed is recorded at once, so a sync killed at any point
 * resumes without losing or repeating anything.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cohort-cio-client.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_SYNC_ERROR (cohort_sync_error_quark ())

typedef enum
{
  COHORT_SYNC_ERROR_FAILED,          /* some operations failed: see the report */
  COHORT_SYNC_ERROR_CANNOT_EVALUATE, /* a data-driven segment could not be evaluated */
  COHORT_SYNC_ERROR_BUSY,            /* another sync of the same workspace is running */
} CohortSyncError;

GQuark cohort_sync_error_quark (void);

typedef enum
{
  COHORT_SYNC_PULL     = 1 << 0,
  COHORT_SYNC_PUSH     = 1 << 1,
  COHORT_SYNC_IDENTIFY = 1 << 2,    /* also send members Cohort never identified as people */
} CohortSyncFlags;

#define COHORT_SYNC_DEFAULT (COHORT_SYNC_PULL | COHORT_SYNC_PUSH)

typedef enum
{
  COHORT_SYNC_ACTION_CREATE,     /* create the remote segment */
  COHORT_SYNC_ACTION_DELETE,     /* delete the remote segment of a deleted local one */
  COHORT_SYNC_ACTION_ADD,        /* add_customers */
  COHORT_SYNC_ACTION_REMOVE,     /* remove_customers */
  COHORT_SYNC_ACTION_IDENTIFY,   /* identify people */
} CohortSyncActionKind;

typedef struct
{
  CohortSyncActionKind  kind;
  gint64                segment_id;    /* local; 0 for identify */
  char                 *segment_name;
  gint64                remote_id;     /* 0: not created yet */
  guint64               count;         /* ids or people */
  guint                 n_requests;
} CohortSyncAction;

typedef struct _CohortSyncPlan CohortSyncPlan;

/* What a push would send now (nothing is sent: a dry run). */
CohortSyncPlan *cohort_sync_plan_new           (CohortWorkspace  *ws,
                                                CohortSyncFlags   flags,
                                                GCancellable     *cancellable,
                                                GError          **error);
void            cohort_sync_plan_free          (CohortSyncPlan   *plan);
guint           cohort_sync_plan_get_n_actions (CohortSyncPlan   *plan);
const CohortSyncAction *cohort_sync_plan_get_action (CohortSyncPlan *plan,
                                                     guint           index);
/* Write requests the actions need. */
guint           cohort_sync_plan_get_n_requests (CohortSyncPlan  *plan);
/* Messages about segments left out (inactive, unlinked, not evaluable). */
GPtrArray      *cohort_sync_plan_get_notes     (CohortSyncPlan   *plan);
/* One line per action: "create “X”", "add 3 to “Y”"... (translated). */
char           *cohort_sync_action_describe    (const CohortSyncAction *action);
JsonNode       *cohort_sync_plan_to_json       (CohortSyncPlan   *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortSyncPlan, cohort_sync_plan_free)

/* A local segment after a push. */
typedef struct
{
  gint64  segment_id;
  char   *name;
  gint64  remote_id;
  gint64  local_count;
  gint64  remote_count;    /* -1: unknown */
  gint64  unknown;         /* members Customer.io does not know (local - remote, ≥ 0) */
} CohortSyncSegmentResult;

typedef struct
{
  GPtrArray *done;          /* char*: what was sent and confirmed, in words */
  GPtrArray *failures;      /* char*: what failed and why */
  GPtrArray *notes;         /* char*: warnings (unlinked segments...) */
  GPtrArray *segments;      /* CohortSyncSegmentResult */
  guint      n_remote_segments;   /* pulled */
  guint      n_requests;
  guint      n_writes;
  gboolean   cancelled;
} CohortSyncReport;

void              cohort_sync_report_free    (CohortSyncReport *report);
JsonNode         *cohort_sync_report_to_json (CohortSyncReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortSyncReport, cohort_sync_report_free)

/* @done of @total write operations; @what in words (may be NULL). */
typedef void (*CohortSyncProgressFunc) (guint       done,
                                        guint       total,
                                        const char *what,
                                        gpointer    user_data);

/* Runs a sync. Returns FALSE when any operation failed (the first reason in
 * @error, every one in the report); whatever succeeded stays recorded.
 * *report (optional) is always set. */
gboolean          cohort_sync_run            (CohortWorkspace         *ws,
                                              CohortCioClient         *client,
                                              CohortSyncFlags          flags,
                                              CohortSyncProgressFunc   progress,
                                              gpointer                 progress_data,
                                              CohortSyncReport       **report,
                                              GCancellable            *cancellable,
                                              GError                 **error);

/* In a thread with its own connection to the workspace at @workspace_path.
 * @progress is called in the thread-default main context of the caller. */
void              cohort_sync_run_async      (const char              *workspace_path,
                                              const CohortCredentials *creds,
                                              CohortSyncFlags          flags,
                                              CohortSyncProgressFunc   progress,
                                              gpointer                 progress_data,
                                              GCancellable            *cancellable,
                                              GAsyncReadyCallback      callback,
                                              gpointer                 user_data);
/* The report (NULL only if the sync could not start); @error as for _run(). */
CohortSyncReport *cohort_sync_run_finish     (GAsyncResult            *result,
                                              GError                 **error);

/* Pulls the membership of remote segment @remote_id into remote_members,
 * page by page (@page_size ids each, 0 for the default). Returns the number
 * of members, -1 on error. */
gint64            cohort_sync_pull_members   (CohortWorkspace         *ws,
                                              CohortCioClient         *client,
                                              gint64                   remote_id,
                                              guint                    page_size,
                                              CohortSyncProgressFunc   progress,
                                              gpointer                 progress_data,
                                              GCancellable            *cancellable,
                                              GError                 **error);

/* The pulled remote segments (CohortCioSegment with count), by name. */
GPtrArray        *cohort_sync_list_remote_segments (CohortWorkspace   *ws,
                                                    GError           **error);
/* The same, without those that publish a local segment: the segments made
 * in Customer.io itself. */
GPtrArray        *cohort_sync_list_remote_only_segments (CohortWorkspace  *ws,
                                                         GError          **error);
/* The last pull of @remote_id's members: *total -1 when never pulled;
 * *complete FALSE when the pull stopped before the end. */
gboolean          cohort_sync_get_member_pull (CohortWorkspace        *ws,
                                               gint64                  remote_id,
                                               gint64                 *total,
                                               gboolean               *complete,
                                               gint64                 *pulled_at,
                                               GError                **error);

typedef enum
{
  COHORT_SYNC_STATE_NOT_PUBLISHED,   /* never pushed */
  COHORT_SYNC_STATE_PENDING,         /* changes wait in the outbox */
  COHORT_SYNC_STATE_SYNCED,
  COHORT_SYNC_STATE_ERROR,           /* the last push failed: see error */
  COHORT_SYNC_STATE_UNLINKED,        /* deleted in Customer.io: relink or deactivate */
  COHORT_SYNC_STATE_INACTIVE,        /* deactivated: not pushed */
} CohortSyncState;

typedef struct
{
  gint64           segment_id;
  CohortSyncState  state;
  gint64           n_pending;      /* outbox entries */
  gint64           remote_id;      /* 0: none */
  gint64           local_count;    /* at the last push, -1 unknown */
  gint64           remote_count;
  char            *error;
} CohortSyncStatus;

void              cohort_sync_status_clear   (CohortSyncStatus        *status);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CohortSyncStatus, cohort_sync_status_clear)
gboolean          cohort_sync_get_status     (CohortWorkspace         *ws,
                                              gint64                   segment_id,
                                              CohortSyncStatus        *status,
                                              GError                 **error);
void              cohort_sync_status_free    (CohortSyncStatus        *status);
/* Every local segment's status in one pass: gint64 segment id (pointing
 * into the value) -> CohortSyncStatus. */
GHashTable       *cohort_sync_get_all_status (CohortWorkspace         *ws,
                                              GError                 **error);

/* The user's answer to an unlinked segment: publish it again as a new
 * remote segment at the next sync. */
gboolean          cohort_sync_relink         (CohortWorkspace         *ws,
                                              gint64                   segment_id,
                                              GError                 **error);

G_END_DECLS
