/* cohort-remote-segment.h: a segment made in Customer.io, as last pulled
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "cohort-cio-client.h"

G_BEGIN_DECLS

#define COHORT_TYPE_REMOTE_SEGMENT (cohort_remote_segment_get_type ())
G_DECLARE_FINAL_TYPE (CohortRemoteSegment, cohort_remote_segment, COHORT, REMOTE_SEGMENT, GObject)

/* A snapshot (read-only properties): id, name, description, remote-type
 * ("manual" or "dynamic", as Customer.io says), count (-1: unknown). */
CohortRemoteSegment *cohort_remote_segment_new             (const CohortCioSegment *segment);
gint64               cohort_remote_segment_get_id          (CohortRemoteSegment    *self);
const char          *cohort_remote_segment_get_name        (CohortRemoteSegment    *self);
const char          *cohort_remote_segment_get_description (CohortRemoteSegment    *self);
const char          *cohort_remote_segment_get_remote_type (CohortRemoteSegment    *self);
gint64               cohort_remote_segment_get_count       (CohortRemoteSegment    *self);
/* Only a manual segment's members can be fetched. */
gboolean             cohort_remote_segment_is_manual       (CohortRemoteSegment    *self);
/* The type in words: "Manual", "Data-driven" (Customer.io's "dynamic"), or
 * the type as Customer.io spells it when Cohort does not know it. */
const char          *cohort_remote_type_label              (const char             *type);

G_END_DECLS
