/* Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int         cohort_migrations_count (void);
const char *cohort_migrations_get   (int version);   /* 1-based */
/* The SQL that creates / drops the stamp triggers of the newest schema. */
const char *cohort_migrations_stamp_triggers      (void);
const char *cohort_migrations_drop_stamp_triggers (void);

G_END_DECLS
