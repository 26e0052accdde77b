/* main.c: cohort-gui, the window (`cohort` without a command execs it)
 *
 * `cohort segments list` and the other commands run without a display and
 * never initialise GTK; anything else opens the window.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "cohort-application.h"
#include "cohort-cli.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(CohortApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (cohort_cli_wants (argc, argv))
    return cohort_cli_run (argc, argv);

  app = cohort_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
