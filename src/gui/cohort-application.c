/* cohort-application.c: the application object
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-application.h"
#include "cohort-preferences-window.h"
#include "cohort-window.h"

struct _CohortApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (CohortApplication, cohort_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "workspace", 'w', G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, NULL,
    N_("Open the workspace stored in FILE"), N_("FILE") },
  { NULL }
};

static CohortWindow *
get_window (CohortApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (COHORT_IS_WINDOW (window))
    return COHORT_WINDOW (window);

  return NULL;
}

static void
cohort_application_activate (GApplication *application)
{
  CohortApplication *self = COHORT_APPLICATION (application);
  CohortWindow *window = get_window (self);

  if (window == NULL)
    {
      window = cohort_window_new (self);
      cohort_window_open_initial_workspace (window, NULL);
    }

  gtk_window_present (GTK_WINDOW (window));
}

static int
cohort_application_command_line (GApplication            *application,
                                 GApplicationCommandLine *command_line)
{
  CohortApplication *self = COHORT_APPLICATION (application);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autofree char *path = NULL;
  g_autofree char *absolute = NULL;
  CohortWindow *window;

  g_variant_dict_lookup (options, "workspace", "^ay", &path);

  /* A relative path is relative to where the command was run, which is not
   * our working directory when another instance is already running. */
  if (path != NULL && *path != '\0')
    {
      g_autoptr(GFile) file = g_application_command_line_create_file_for_arg (command_line, path);
      absolute = g_file_get_path (file);
    }

  window = get_window (self);
  if (window == NULL)
    {
      window = cohort_window_new (self);
      cohort_window_open_initial_workspace (window, absolute);
    }
  else if (absolute != NULL)
    {
      cohort_window_open_workspace (window, absolute, TRUE);
    }

  gtk_window_present (GTK_WINDOW (window));

  return EXIT_SUCCESS;
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  GApplication *application = G_APPLICATION (user_data);
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (application));

  /* Close the windows so that they save their state. */
  while (windows != NULL)
    {
      GtkWindow *window = windows->data;
      windows = windows->next;
      gtk_window_destroy (window);
    }

  g_application_quit (application);
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  CohortApplication *self = COHORT_APPLICATION (user_data);
  static const char *developers[] = { "The Cohort developers", NULL };
  GtkWindow *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                        "modal", TRUE,
                        "application-icon", APP_ID,
                        "application-name", _("Cohort"),
                        "developer-name", _("The Cohort developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Build customer segments offline and sync them to Customer.io."),
                        "copyright", _("© 2026 The Cohort developers"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: replace with your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (about);
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  gtk_window_present (GTK_WINDOW (cohort_preferences_window_new (parent)));
}

static const GActionEntry app_entries[] = {
  { .name = "preferences", .activate = preferences_activated },
  { .name = "quit", .activate = quit_activated },
  { .name = "about", .activate = about_activated },
};

static void
cohort_application_startup (GApplication *application)
{
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.create-segment", { "<Control>n", NULL } },
    { "win.new-workspace", { "<Control><Shift>n", NULL } },
    { "win.open-workspace", { "<Control>o", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.import-customers", { "<Control>i", NULL } },
    { "win.refresh", { "F5", "<Control>r", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };

  G_APPLICATION_CLASS (cohort_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application),
                                   app_entries, G_N_ELEMENTS (app_entries),
                                   application);

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (application),
                                           accels[i].action, accels[i].accels);
}

static void
cohort_application_class_init (CohortApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = cohort_application_activate;
  app_class->command_line = cohort_application_command_line;
  app_class->startup = cohort_application_startup;
}

static void
cohort_application_init (CohortApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), NULL);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Build customer segments offline and sync them to Customer.io."));
}

CohortApplication *
cohort_application_new (void)
{
  return g_object_new (COHORT_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", RESOURCE_BASE,
                       NULL);
}
