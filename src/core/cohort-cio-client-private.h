/* cohort-cio-client-private.h: what the client's files share (the request
 * loop and the reading of answers); not for use outside the client
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cohort-cio-client.h"

G_BEGIN_DECLS

/* The low-level call: @path starts with "/" and may carry a query; @body may
 * be NULL. Returns the parsed answer (a NULL node for an empty one: check
 * @error), and the HTTP status in @status_out. */
JsonNode *cohort_cio_client_request (CohortCioClient  *self,
                                     CohortCioApi      api,
                                     CohortCioRetry    retry,
                                     const char       *method,
                                     const char       *path,
                                     JsonNode         *body,
                                     guint            *status_out,
                                     GCancellable     *cancellable,
                                     GError          **error);
JsonObject *cohort_cio_request_object (CohortCioClient  *self,
                                       CohortCioApi      api,
                                       CohortCioRetry    retry,
                                       const char       *method,
                                       const char       *path,
                                       JsonNode         *body,
                                       GCancellable     *cancellable,
                                       GError          **error);
gboolean  cohort_cio_invalid_response (GError     **error,
                                       const char  *method,
                                       const char  *path,
                                       const char  *what);
gint64 cohort_cio_member_int (JsonObject *obj,
                              const char *name,
                              gint64      fallback);
char *cohort_cio_member_string (JsonObject *obj,
                                const char *name);

G_END_DECLS
