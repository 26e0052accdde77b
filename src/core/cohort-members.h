/* cohort-members.h: the hand-kept members of manual segments
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cohort-workspace.h"

G_BEGIN_DECLS

typedef struct
{
  guint      changed;     /* added (or removed) */
  guint      unchanged;   /* already a member (or was not one) */
  GPtrArray *unknown;     /* identifiers that match no customer, in input order */
  GPtrArray *bad_rows;    /* from a CSV file: "line N: reason", or NULL */
} CohortMembersResult;

void       cohort_members_result_clear       (CohortMembersResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CohortMembersResult, cohort_members_result_clear)

/* Splits pasted text into identifiers: one per line, or separated by
 * commas, semicolons or tabs; trimmed, empty ones and repeats dropped. */
GPtrArray *cohort_members_parse_identifiers  (const char          *text);

/* Adds or removes customers named by id or email (an id match wins) in one
 * transaction. Fails with COHORT_WORKSPACE_ERROR_INVALID for a data-driven
 * segment. Unknown identifiers are listed in @result, never dropped silently. */
gboolean   cohort_members_add                (CohortWorkspace     *ws,
                                              gint64               segment_id,
                                              GPtrArray           *identifiers,
                                              CohortMembersResult *result,
                                              GError             **error);
gboolean   cohort_members_remove             (CohortWorkspace     *ws,
                                              gint64               segment_id,
                                              GPtrArray           *identifiers,
                                              CohortMembersResult *result,
                                              GError             **error);

/* The same by customer ordinal (the UI's selections). Returns how many changed. */
gboolean   cohort_members_add_ordinals       (CohortWorkspace     *ws,
                                              gint64               segment_id,
                                              const gint64        *ordinals,
                                              gsize                n_ordinals,
                                              guint               *changed,
                                              GError             **error);
gboolean   cohort_members_remove_ordinals    (CohortWorkspace     *ws,
                                              gint64               segment_id,
                                              const gint64        *ordinals,
                                              gsize                n_ordinals,
                                              guint               *changed,
                                              GError             **error);

/* Removes every member; @removed (optional) receives their ordinals for Undo. */
gboolean   cohort_members_clear              (CohortWorkspace     *ws,
                                              gint64               segment_id,
                                              GArray             **removed,
                                              GError             **error);

/* Adds the customers of a CSV file with an id or email column (found by
 * name: id, customer_id, Customer ID, Record ID, email, Email Address,
 * e-mail...), as Customer.io's manual upload does. A row with both adds
 * by id. Bad rows are listed in @result->bad_rows. */
gboolean   cohort_members_add_from_csv       (CohortWorkspace     *ws,
                                              gint64               segment_id,
                                              const char          *path,
                                              CohortMembersResult *result,
                                              GCancellable        *cancellable,
                                              GError             **error);

gint64     cohort_members_count              (CohortWorkspace     *ws,
                                              gint64               segment_id,
                                              GError             **error);

G_END_DECLS
