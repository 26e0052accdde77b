/* cohort-outbox.h: the changes sync must carry to Customer.io
 *
 * Every local change that sync must carry is recorded here in the same
 * transaction as the change itself (call these between
 * cohort_workspace_begin() and _commit()). Sync drains the outbox in order;
 * an entry leaves only after Customer.io confirmed what it asked for.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cohort-workspace.h"

G_BEGIN_DECLS

typedef enum
{
  COHORT_OUTBOX_CREATE,       /* a segment was created, duplicated or restored */
  COHORT_OUTBOX_DELETE,       /* a segment was deleted */
  COHORT_OUTBOX_ACTIVATE,
  COHORT_OUTBOX_DEACTIVATE,
  COHORT_OUTBOX_MEMBERS,      /* a manual segment's members changed */
} CohortOutboxOp;

/* Record a change for the next sync; inside the caller's transaction. */
gboolean    cohort_outbox_segment_created   (CohortWorkspace *ws,
                                             gint64           segment_id,
                                             GError         **error);
gboolean    cohort_outbox_segment_deleted   (CohortWorkspace *ws,
                                             gint64           segment_id,
                                             GError         **error);
gboolean    cohort_outbox_segment_set_active (CohortWorkspace *ws,
                                              gint64           segment_id,
                                              gboolean         active,
                                              GError         **error);
gboolean    cohort_outbox_members_changed   (CohortWorkspace *ws,
                                             gint64           segment_id,
                                             GError         **error);

/* Entries waiting for @segment_id (0: all segments); -1 on error. */
gint64      cohort_outbox_count_pending     (CohortWorkspace *ws,
                                             gint64           segment_id);

/* Removes the entries of @segment_id up to and including @max_seq
 * (called by sync once the server confirmed them). */
gboolean    cohort_outbox_remove            (CohortWorkspace *ws,
                                             gint64           segment_id,
                                             gint64           max_seq,
                                             GError         **error);

G_END_DECLS
