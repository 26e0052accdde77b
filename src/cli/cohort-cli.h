/* cohort-cli.h: the command line, for work without a display
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when argv names a command-line command (segments, import, ...) or
 * --version/--help: then main() runs cohort_cli_run() and never touches GTK. */
gboolean cohort_cli_wants (int    argc,
                           char **argv);
/* Returns the exit code: 0 success, 1 failure, 2 wrong usage. */
int      cohort_cli_run   (int    argc,
                           char **argv);

G_END_DECLS
