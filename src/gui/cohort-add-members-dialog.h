/* cohort-add-members-dialog.h: paste ids or emails into a manual segment
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cohort-segment.h"

G_BEGIN_DECLS

#define COHORT_TYPE_ADD_MEMBERS_DIALOG (cohort_add_members_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CohortAddMembersDialog, cohort_add_members_dialog, COHORT, ADD_MEMBERS_DIALOG, AdwWindow)

/* Adds the pasted customers (one per line or comma-separated) to @segment
 * (manual) and then says how many were added and already members, and lists
 * the ones that match no customer. */
CohortAddMembersDialog *cohort_add_members_dialog_new (GtkWindow       *parent,
                                                       CohortWorkspace *workspace,
                                                       CohortSegment   *segment);

/* Adds the customers of a CSV file with an id or email column (as
 * Customer.io's manual upload) in a thread, with Cancel, and shows the
 * result like a paste, with the file's bad rows listed too. */
void                    cohort_add_members_dialog_add_file (CohortAddMembersDialog *self,
                                                            GFile                  *file);
/* TRUE while a file is being read and added (in a thread). */
gboolean                cohort_add_members_dialog_is_busy  (CohortAddMembersDialog *self);

G_END_DECLS
