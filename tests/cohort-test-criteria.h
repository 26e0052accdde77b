/* cohort-test-criteria.h: criteria texts for tests
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

/* @inner wrapped in @n nested "not"s. Free with g_free(). */
static inline char *
test_not_chain (guint n, const char *inner)
{
  GString *json = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (json, "{\"not\":");
  g_string_append (json, inner);
  for (guint i = 0; i < n; i++)
    g_string_append_c (json, '}');
  return g_string_free (json, FALSE);
}
