/* main-cli.c: `cohort`, the command line, and the way into the window
 *
 * `cohort segments list` and the other commands run here, in a process
 * that never loads GTK (its start-up is a large part of a short command's
 * time). Anything else is the window: this process becomes cohort-gui.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "cohort-cli.h"

/* Next to this program (the build tree), else where it is installed. */
static char *
find_gui (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      char *beside = g_build_filename (dir, "cohort-gui", NULL);

      if (g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
        return beside;
      g_free (beside);
    }
  return g_build_filename (LIBEXECDIR, "cohort-gui", NULL);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *gui = NULL;
  int saved;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (cohort_cli_wants (argc, argv))
    return cohort_cli_run (argc, argv);

  gui = find_gui ();
  argv[0] = gui;
  execv (gui, argv);
  saved = errno;
  g_printerr (_("cohort: cannot open the window: %s: %s\n"), gui, g_strerror (saved));
  return 1;
}
