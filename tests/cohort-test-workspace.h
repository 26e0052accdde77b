/* cohort-test-workspace.h: a workspace in a temporary folder (core tests)
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

#include "cohort-column-index.h"
#include "cohort-event-index.h"
#include "cohort-workspace.h"

typedef struct
{
  char            *dir;
  char            *path;
  CohortWorkspace *ws;
} TestWorkspace;

/* @pattern: the folder's name, ending in XXXXXX. */
static inline void
test_workspace_open (TestWorkspace *t,
                     const char    *pattern)
{
  g_autoptr(GError) error = NULL;

  t->dir = g_dir_make_tmp (pattern, NULL);
  t->path = g_build_filename (t->dir, "workspace.cohort", NULL);
  t->ws = cohort_workspace_open (t->path, COHORT_WORKSPACE_OPEN_CREATE, &error);
  g_assert_no_error (error);
}

/* Closes it (it must be the last reference) and removes every file it made:
 * both index sidecars (forgotten with their files), the database and its
 * WAL files. */
static inline void
test_workspace_close (TestWorkspace *t)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  cohort_column_index_forget (t->path, TRUE);
  cohort_event_index_forget (t->path, TRUE);
  g_assert_finalize_object (t->ws);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (t->path, suffixes[i], NULL);

      g_remove (file);
    }
  g_assert_cmpint (g_rmdir (t->dir), ==, 0);
  g_free (t->dir);
  g_free (t->path);
}

/* Removes what a test left in the folder beside the workspace (CSV files,
 * other workspaces with their sidecars, write-ahead logs), so that
 * test_workspace_close() finds only the workspace's own files. */
static inline void
test_workspace_remove_others (TestWorkspace *t)
{
  g_autoptr(GDir) dir = g_dir_open (t->dir, 0, NULL);
  g_autoptr(GPtrArray) others = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *own = g_path_get_basename (t->path);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_has_prefix (name, own))
      g_ptr_array_add (others, g_build_filename (t->dir, name, NULL));
  for (guint i = 0; i < others->len; i++)
    {
      const char *path = g_ptr_array_index (others, i);

      if (g_str_has_suffix (path, ".cohort"))
        {
          cohort_column_index_forget (path, TRUE);
          cohort_event_index_forget (path, TRUE);
        }
    }
  for (guint i = 0; i < others->len; i++)
    g_remove (g_ptr_array_index (others, i));
}

static inline void
test_workspace_begin (TestWorkspace *t)
{
  g_autoptr(GError) error = NULL;

  cohort_workspace_begin (t->ws, &error);
  g_assert_no_error (error);
}

static inline void
test_workspace_commit (TestWorkspace *t)
{
  g_autoptr(GError) error = NULL;

  cohort_workspace_commit (t->ws, &error);
  g_assert_no_error (error);
}
