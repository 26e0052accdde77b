/* cohort-ui-test.h: helpers shared by the UI tests
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <adwaita.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "cohort-segment.h"
#include "cohort-segment-dialog.h"
#include "cohort-window.h"

#define TEMPLATE_CHILD(widget, type, name) \
  ((gpointer) gtk_widget_get_template_child (GTK_WIDGET (widget), (type), (name)))
#define WINDOW_CHILD(window, name) TEMPLATE_CHILD (window, COHORT_TYPE_WINDOW, name)
#define DIALOG_CHILD(dialog, name) TEMPLATE_CHILD (dialog, COHORT_TYPE_SEGMENT_DIALOG, name)

typedef struct
{
  char *dir;
  char *path;
  CohortWindow *window;
} UiFixture;

/* Runs everything that is ready, then returns. */
static inline void
ui_iterate (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static inline gboolean
ui_wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until @check is true or ten seconds passed (generous:
 * CI runs these under AddressSanitizer on a busy machine). */
static inline gboolean
ui_wait_until (gboolean (*check) (gpointer data),
               gpointer   data)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint wake = g_timeout_add (10, ui_wake_cb, NULL);
  gboolean ok;

  while (!(ok = check (data)) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (wake);
  return ok;
}

/* With COHORT_UI_SCREENSHOTS=DIR in the environment, lets the window
 * settle and saves the whole (virtual) screen as DIR/NAME.png with
 * ImageMagick's import, for looking at the UI a test drove. Otherwise does
 * nothing. */
static inline void
ui_screenshot (const char *name)
{
  const char *dir = g_getenv ("COHORT_UI_SCREENSHOTS");
  g_autofree char *file = NULL;
  g_autofree char *png = NULL;
  g_autoptr(GError) error = NULL;
  gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  const char *argv[] = { "import", "-window", "root", NULL, NULL };

  if (dir == NULL || *dir == '\0')
    return;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  file = g_strconcat (name, ".png", NULL);
  png = g_build_filename (dir, file, NULL);
  argv[3] = png;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, &error))
    g_printerr ("ui_screenshot: %s\n", error->message);
}

/* Customer.io credentials from the environment, as the command line reads
 * them: every base URL at @url (a loopback test server). */
static inline void
ui_set_credentials (const char *url)
{
  g_setenv ("COHORT_SITE_ID", "site", TRUE);
  g_setenv ("COHORT_TRACK_API_KEY", "track-key", TRUE);
  g_setenv ("COHORT_APP_API_KEY", "app-key", TRUE);
  g_setenv ("COHORT_REGION", "us", TRUE);
  g_setenv ("COHORT_TRACK_URL", url, TRUE);
  g_setenv ("COHORT_APP_URL", url, TRUE);
}

static inline void
ui_unset_credentials (void)
{
  static const char *const names[] = {
    "COHORT_SITE_ID", "COHORT_TRACK_API_KEY", "COHORT_APP_API_KEY", "COHORT_REGION",
    "COHORT_TRACK_URL", "COHORT_APP_URL",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_unsetenv (names[i]);
}

/* For ui_wait_until(): args[0] a GListModel, args[1] the count awaited. */
static inline gboolean
n_items_is (gpointer data)
{
  gpointer *args = data;

  return g_list_model_get_n_items (args[0]) == GPOINTER_TO_UINT (args[1]);
}

/* A click, without the 250 ms press animation of gtk_widget_activate(). */
static inline void
ui_click (gpointer button)
{
  g_assert_true (GTK_IS_BUTTON (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  ui_iterate ();
}

/* What clicking a response button of a message dialog does. */
static inline void
ui_respond (gpointer    dialog,
            const char *response)
{
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, response));
  adw_message_dialog_response (dialog, response);
  gtk_window_close (dialog);
  ui_iterate ();
}

/* The shown toplevel of @type (a dialog), or NULL; borrowed. */
static inline gpointer
ui_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n = g_list_model_get_n_items (toplevels);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (window))
        return window;
    }

  return NULL;
}

static inline void
ui_fixture_set_up (UiFixture     *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cohort-ui-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "test.cohort", NULL);

  f->window = cohort_window_new (NULL);
  g_assert_true (cohort_window_open_workspace (f->window, f->path, TRUE));
  gtk_window_present (GTK_WINDOW (f->window));
  ui_iterate ();
}

static inline void
ui_remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_remove (path);
    }
  g_rmdir (dir);
}

static inline void
ui_fixture_tear_down (UiFixture     *f,
                      gconstpointer  data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  /* Close what a test left open (dialogs, message dialogs). */
  for (guint i = g_list_model_get_n_items (toplevels); i > 0; i--)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i - 1);

      if (window != GTK_WINDOW (f->window))
        gtk_window_destroy (window);
    }
  ui_iterate ();

  g_object_ref (f->window);
  gtk_window_destroy (GTK_WINDOW (f->window));
  ui_iterate ();
  g_assert_finalize_object (f->window);

  ui_remove_tree (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* A second connection to the file, as the command line would open it. */
static inline CohortWorkspace *
ui_open_again (UiFixture *f)
{
  g_autoptr(GError) error = NULL;
  CohortWorkspace *ws = cohort_workspace_open (f->path, COHORT_WORKSPACE_OPEN_NONE, &error);

  g_assert_no_error (error);
  return ws;
}

/* Position of the segment called @name in the window's list, or -1. */
static inline int
ui_find_in_list (UiFixture  *f,
                 const char *name)
{
  GListModel *model = cohort_window_get_segments (f->window);
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CohortSegment) segment = g_list_model_get_item (model, i);

      if (g_strcmp0 (cohort_segment_get_name (segment), name) == 0)
        return (int) i;
    }

  return -1;
}

static inline CohortSegment *
ui_create (UiFixture         *f,
           const char        *name,
           CohortSegmentKind  kind)
{
  g_autoptr(GError) error = NULL;
  CohortSegment *segment;

  segment = cohort_segments_create (cohort_window_get_workspace (f->window), name, kind, "", &error);
  g_assert_no_error (error);
  ui_iterate ();

  return segment;
}

static inline void
ui_add (UiFixture         *f,
        const char        *name,
        CohortSegmentKind  kind)
{
  g_object_unref (ui_create (f, name, kind));
}

#if defined(__SANITIZE_ADDRESS__)
/* GLib keeps its quark strings in an array of 2048 pointers (16 KB) made
 * when the library loads; when a program makes more quarks than that, GLib
 * copies the array into a bigger one and leaks the old one on purpose, so
 * that lookups need no lock (see gquark.c, "This leaks the old quarks
 * array"). GTK programs do cross 2048 quarks, at a moment that depends on
 * which tests ran, and LeakSanitizer then reports those 16 KB with a stack
 * that stops inside GLib's constructor. Tell it to ignore exactly that
 * block: find GLib's static pointer to it (a word in libglib's writable
 * mapping that points at an array whose entries 1 and 2 are quarks 1 and 2)
 * and pass the array to __lsan_ignore_object(). */
static inline gboolean
ui_address_readable (GArray    *ranges,
                     guintptr   address,
                     gsize      size)
{
  for (guint i = 0; i + 1 < ranges->len; i += 2)
    if (address >= g_array_index (ranges, guintptr, i) &&
        address + size <= g_array_index (ranges, guintptr, i + 1))
      return TRUE;
  return FALSE;
}

/* Reads raw memory on purpose: not instrumented. */
__attribute__((no_sanitize ("address", "undefined"))) static inline void
ui_ignore_glib_quark_block (void)
{
  const char *first = g_quark_to_string (1);
  const char *second = g_quark_to_string (2);
  g_autoptr(GArray) readable = g_array_new (FALSE, FALSE, sizeof (guintptr));
  g_autoptr(GArray) glib_data = g_array_new (FALSE, FALSE, sizeof (guintptr));
  char line[1024];
  FILE *maps;

  if (first == NULL || second == NULL || (maps = fopen ("/proc/self/maps", "r")) == NULL)
    return;
  while (fgets (line, sizeof line, maps) != NULL)
    {
      unsigned long start, end;
      char perms[5];

      if (sscanf (line, "%lx-%lx %4s", &start, &end, perms) != 3 || perms[0] != 'r')
        continue;
      g_array_append_vals (readable, (guintptr[]) { start, end }, 2);
      if (perms[1] == 'w' && strstr (line, "libglib-2.0.so") != NULL)
        g_array_append_vals (glib_data, (guintptr[]) { start, end }, 2);
    }
  fclose (maps);

  for (guint i = 0; i + 1 < glib_data->len; i += 2)
    for (guintptr word = g_array_index (glib_data, guintptr, i);
         word + sizeof (gpointer) <= g_array_index (glib_data, guintptr, i + 1);
         word += sizeof (gpointer))
      {
        const char *const *array = *(const char *const *const *) word;

        if ((guintptr) array % sizeof (gpointer) == 0 &&
            ui_address_readable (readable, (guintptr) array, 3 * sizeof (gpointer)) &&
            array[1] == first && array[2] == second)
          __lsan_ignore_object (array);
      }
}
#endif

/* True when there is a display to open: an X server or a Wayland
 * compositor named in the environment (or a backend asked for by name). */
static inline gboolean
ui_have_display (void)
{
  const char *names[] = { "DISPLAY", "WAYLAND_DISPLAY", "GDK_BACKEND" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value = g_getenv (names[i]);
      if (value != NULL && *value != '\0')
        return TRUE;
    }
  return FALSE;
}

static inline void
ui_init (int    *argc,
         char ***argv)
{
  /* Without a display gtk_init aborts; skip instead (77: meson's skip
   * code), so the whole suite passes on a headless machine. */
  if (!ui_have_display ())
    {
      g_print ("no display (DISPLAY and WAYLAND_DISPLAY unset): skipping\n");
      exit (77);
    }
  gtk_test_init (argc, argv, NULL);
  adw_init ();
#if defined(__SANITIZE_ADDRESS__)
  ui_ignore_glib_quark_block ();
#endif

  /* libadwaita 1.2 (Debian 12) can crash when a window is destroyed while
   * an AdwToastOverlay is still animating a dismissed toast away (the
   * hide animation's "done" handler runs on freed memory).  Without
   * animations every transition finishes as it starts, so tests that
   * close the window right after clicking a toast's button are
   * deterministic. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
}
