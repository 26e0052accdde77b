/* fuzz-common.h: set-up shared by the libFuzzer harnesses
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

/* A critical warning is a bug (a precondition failed): it aborts, so that
 * the fuzzer reports it. Other messages stay quiet. */
static inline void
fuzz_init (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
  g_setenv ("COHORT_NOW", "1700000000", TRUE);
}
