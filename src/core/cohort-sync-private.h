/* cohort-sync-private.h: what the sync files share (types of a run and
 * of a plan, and the steps each file provides); not for use outside sync
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cohort-cio-client.h"
#include "cohort-segment.h"
#include "cohort-sync.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

#define N_ID_TYPES 2     /* COHORT_CIO_ID_TYPE_ID, COHORT_CIO_ID_TYPE_EMAIL */

/* A local segment's link to its remote one (sync_links) */

typedef enum
{
  LINK_NONE,
  LINK_PENDING,
  LINK_LINKED,
  LINK_UNLINKED,
} SyncLinkState;

typedef struct
{
  SyncLinkState  state;
  gint64         remote_id;
  char          *create_ref;
  char          *remote_name;
  gint64         pending_since;
} SyncLink;

/* Plan items: one per local segment that sync must look at */

typedef struct
{
  gint64             segment_id;
  char              *name;
  char              *description;
  char              *criteria;         /* data-driven: the criteria in words */
  CohortSegmentKind  kind;
  gboolean           exists;
  gboolean           active;
  gint64             max_seq;          /* last outbox entry seen (0: none) */
  SyncLink           link;
  gboolean           skip;             /* not pushed (inactive, unlinked, error) */
  gboolean           has_diff;
  GPtrArray         *add[N_ID_TYPES];  /* char* identifiers */
  GPtrArray         *remove[N_ID_TYPES];
  gint64             n_desired;
  char              *error;            /* why the diff could not be computed */
} SyncItem;

struct _CohortSyncPlan
{
  GPtrArray *items;      /* SyncItem, in push order */
  GPtrArray *actions;    /* CohortSyncAction */
  GPtrArray *notes;      /* char* */
  guint64    n_identify;
  guint      n_identify_requests;
};

/* One sync run */

typedef struct
{
  CohortWorkspace        *ws;
  CohortCioClient        *client;
  CohortSyncFlags         flags;
  GCancellable           *cancellable;
  CohortSyncProgressFunc  progress;
  gpointer                progress_data;
  guint                   done;
  guint                   total;
  CohortSyncReport       *report;
  GPtrArray              *remote;          /* CohortCioSegment, this run's list */
  GError                 *first_error;
  gboolean                stop;            /* no point going on (keys, network, cancelled) */
  gboolean                pushed_changed;  /* sync_pushed rows were dropped by identify */
} SyncRun;

/* cohort-sync-store.c */
/* NULL (no row) is LINK_NONE. */
SyncLinkState cohort_sync_link_state_from_string (const char *state);
void cohort_sync_link_clear (SyncLink *link);
gboolean cohort_sync_load_link (CohortWorkspace  *ws,
                                gint64            segment_id,
                                SyncLink         *link,
                                GError          **error);
gboolean cohort_sync_exec_with_segment (CohortWorkspace  *ws,
                                        const char       *sql,
                                        gint64            segment_id,
                                        GError          **error);
gboolean cohort_sync_set_status (CohortWorkspace  *ws,
                                 gint64            segment_id,
                                 const char       *state,
                                 const char       *message,
                                 gint64            local_count,
                                 gint64            remote_count,
                                 GError          **error);
gboolean cohort_sync_finish_transaction (CohortWorkspace  *ws,
                                         gboolean          ok,
                                         GError          **error);
gboolean cohort_sync_remote_id_is_linked (CohortWorkspace *ws,
                                          gint64           remote_id);
gboolean cohort_sync_record_linked (SyncRun   *ctx,
                                    SyncItem  *item,
                                    gint64     remote_id,
                                    GError   **error);
gboolean cohort_sync_record_pending (SyncRun   *ctx,
                                     SyncItem  *item,
                                     GError   **error);
gboolean cohort_sync_record_batch (SyncRun             *ctx,
                                   SyncItem            *item,
                                   gboolean             add,
                                   CohortCioIdType      id_type,
                                   const char * const  *ids,
                                   guint                n_ids,
                                   GError             **error);
gboolean cohort_sync_forget_link (CohortWorkspace  *ws,
                                  gint64            segment_id,
                                  GError          **error);
gboolean cohort_sync_store_remote_segments (CohortWorkspace  *ws,
                                            GPtrArray        *remote,
                                            GError          **error);

/* cohort-sync-plan.c */
gboolean cohort_sync_compute_diff (CohortWorkspace  *ws,
                                   SyncItem         *item,
                                   gboolean          collect_people,
                                   GCancellable     *cancellable,
                                   GError          **error);
CohortSyncPlan *cohort_sync_build_plan (CohortWorkspace  *ws,
                                        CohortSyncFlags   flags,
                                        GCancellable     *cancellable,
                                        GError          **error);
JsonNode *cohort_sync_strings_to_json (GPtrArray *strings);

/* cohort-sync.c */
void cohort_sync_report_progress (SyncRun    *ctx,
                                  const char *what);
void cohort_sync_fail (SyncRun *ctx,
                       GError  *error);
void cohort_sync_fail_segment (SyncRun  *ctx,
                               SyncItem *item,
                               GError   *error);
GPtrArray *cohort_sync_ensure_remote_list (SyncRun  *ctx,
                                           GError  **error);

/* cohort-sync-push.c */
void cohort_sync_push_plan (SyncRun        *ctx,
                            CohortSyncPlan *plan);

/* cohort-sync-identify.c */
void cohort_sync_push_identify (SyncRun *ctx);

/* cohort-sync-pull.c */
void cohort_sync_pull_segments (SyncRun *ctx);

G_END_DECLS
