/* cohort-events.h: what customers did
 *
 * An event is a customer, a name, a timestamp (Unix seconds) and attributes
 * (an attribute blob, cohort-attrs.h, keyed by event_attributes.id). A page
 * view is an event named "page" whose "url" attribute holds the address.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cohort-workspace.h"

G_BEGIN_DECLS

typedef struct
{
  char   *name;
  gint64  count;
  gint64  last;        /* newest timestamp */
} CohortEventSummary;

typedef struct
{
  gint64     id;
  char      *name;
  gint64     timestamp;
  char     **keys;     /* attribute names, sorted */
  char     **values;   /* their values */
} CohortEvent;

void        cohort_event_summary_free     (CohortEventSummary *summary);
void        cohort_event_free             (CohortEvent        *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortEvent, cohort_event_free)

/* Per event name: how many and the newest, sorted by name (CohortEventSummary). */
GPtrArray  *cohort_events_summarize       (CohortWorkspace    *ws,
                                           gint64              ordinal,
                                           GError            **error);
/* {"NAME": {"count": N, "last": UNIX}, ...} */
JsonNode   *cohort_events_summary_to_json (GPtrArray          *summaries);

/* The customer's events, newest first, @offset.. at most @limit (CohortEvent). */
GPtrArray  *cohort_events_list            (CohortWorkspace    *ws,
                                           gint64              ordinal,
                                           guint               offset,
                                           guint               limit,
                                           GError            **error);
/* All events in the workspace; -1 on error. */
gint64      cohort_events_count           (CohortWorkspace    *ws,
                                           GError            **error);
/* Distinct event names, sorted (for completion). */
GStrv       cohort_events_list_names      (CohortWorkspace    *ws,
                                           GError            **error);
/* Attribute names seen on events named @name, sorted (for completion). */
GStrv       cohort_events_list_attributes (CohortWorkspace    *ws,
                                           const char         *name,
                                           GError            **error);

G_END_DECLS
