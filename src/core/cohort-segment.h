/* cohort-segment.h: a segment record and the calls that store it
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cohort-workspace.h"

G_BEGIN_DECLS

typedef enum
{
  COHORT_SEGMENT_MANUAL,
  COHORT_SEGMENT_DATA_DRIVEN,
} CohortSegmentKind;

#define COHORT_SEGMENT_NAME_MAX_CHARS 255

#define COHORT_TYPE_SEGMENT_KIND (cohort_segment_kind_get_type ())
GType cohort_segment_kind_get_type (void);

#define COHORT_TYPE_SEGMENT (cohort_segment_get_type ())
G_DECLARE_FINAL_TYPE (CohortSegment, cohort_segment, COHORT, SEGMENT, GObject)

/* A CohortSegment is a snapshot of one row: changing it does not write.
 * Properties: id, name, description, kind, active, criteria (JSON or NULL),
 * created-at, updated-at (Unix seconds), count (-1 = unknown). */
gint64             cohort_segment_get_id          (CohortSegment *self);
const char        *cohort_segment_get_name        (CohortSegment *self);
const char        *cohort_segment_get_description (CohortSegment *self);
CohortSegmentKind  cohort_segment_get_kind        (CohortSegment *self);
gboolean           cohort_segment_get_active      (CohortSegment *self);
const char        *cohort_segment_get_criteria    (CohortSegment *self);
gint64             cohort_segment_get_created_at  (CohortSegment *self);
gint64             cohort_segment_get_updated_at  (CohortSegment *self);
gint64             cohort_segment_get_count       (CohortSegment *self);
void               cohort_segment_set_count       (CohortSegment *self,
                                                   gint64         count);

const char        *cohort_segment_kind_to_string  (CohortSegmentKind kind);   /* "manual", "data-driven" */
gboolean           cohort_segment_kind_from_string (const char        *str,
                                                    CohortSegmentKind *kind);

/* Checks a proposed name: trimmed non-empty, at most 255 characters, unique
 * (case-insensitively) among the workspace's segments other than @except_id
 * (0 for none). On failure @error says why, in words for the user. */
gboolean           cohort_segment_check_name      (CohortWorkspace *ws,
                                                   const char      *name,
                                                   gint64           except_id,
                                                   GError         **error);

/* All segments, sorted by name (GPtrArray of CohortSegment). */
GPtrArray         *cohort_segments_list           (CohortWorkspace *ws,
                                                   GError         **error);
CohortSegment     *cohort_segments_get            (CohortWorkspace *ws,
                                                   gint64           id,
                                                   GError         **error);
/* By id (all digits) or by exact name, else case-insensitive name. */
CohortSegment     *cohort_segments_lookup         (CohortWorkspace *ws,
                                                   const char      *name_or_id,
                                                   GError         **error);
CohortSegment     *cohort_segments_create         (CohortWorkspace   *ws,
                                                   const char        *name,
                                                   CohortSegmentKind  kind,
                                                   const char        *description,
                                                   GError           **error);
/* @name or @description NULL: left as they are. */
CohortSegment     *cohort_segments_update         (CohortWorkspace *ws,
                                                   gint64           id,
                                                   const char      *name,
                                                   const char      *description,
                                                   GError         **error);
gboolean           cohort_segments_set_active     (CohortWorkspace *ws,
                                                   gint64           id,
                                                   gboolean         active,
                                                   GError         **error);
/* A copy named "NAME (copy)" (or "(copy 2)"...), same kind, criteria and members. */
CohortSegment     *cohort_segments_duplicate      (CohortWorkspace *ws,
                                                   gint64           id,
                                                   GError         **error);

/* Saving criteria: validates (including references: missing segments and
 * cycles are refused with the path of the node), then in one transaction
 * stores the canonical JSON in segments.criteria, updated_at and
 * segment_refs, and notes COHORT_CHANGE_SEGMENTS. Only data-driven segments
 * have criteria. @json NULL clears the criteria. (In cohort-criteria-store.c.) */
gboolean           cohort_segments_set_criteria   (CohortWorkspace *ws,
                                                   gint64           id,
                                                   const char      *json,
                                                   GError         **error);
/* "Save as Manual Segment": a new manual segment named @name holding the
 * current members of segment @id (either kind). (In cohort-members.c.) */
CohortSegment     *cohort_segments_freeze         (CohortWorkspace *ws,
                                                   gint64           id,
                                                   const char      *name,
                                                   GCancellable    *cancellable,
                                                   GError         **error);

/* Everything needed to undo a delete. */
typedef struct _CohortSegmentSnapshot CohortSegmentSnapshot;
void               cohort_segment_snapshot_free   (CohortSegmentSnapshot *snapshot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortSegmentSnapshot, cohort_segment_snapshot_free)

/* Refuses (COHORT_WORKSPACE_ERROR_IN_USE) while another segment's criteria
 * refer to it. @snapshot (optional) receives what restore needs. */
gboolean           cohort_segments_delete         (CohortWorkspace        *ws,
                                                   gint64                  id,
                                                   CohortSegmentSnapshot **snapshot,
                                                   GError                **error);
/* Puts a deleted segment back with the same id, criteria and members. */
CohortSegment     *cohort_segments_restore        (CohortWorkspace        *ws,
                                                   CohortSegmentSnapshot  *snapshot,
                                                   GError                **error);

/* Names of the segments whose criteria refer to @id (NULL-terminated). */
char             **cohort_segments_referenced_by  (CohortWorkspace *ws,
                                                   gint64           id,
                                                   GError         **error);

G_END_DECLS
