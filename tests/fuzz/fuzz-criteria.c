/* fuzz-criteria.c: libFuzzer harness for the criteria parser
 *
 * The input is JSON text (up to 64 KB). What parses must serialise, parse
 * again to the same canonical text, copy, describe itself and list what it
 * uses; what is refused must say where.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "cohort-criteria.h"
#include "fuzz-common.h"

#define FUZZ_MAX_INPUT (64 * 1024)

static char *
segment_name (gint64   segment_id,
              gpointer user_data)
{
  return segment_id % 2 ? g_strdup_printf ("Segment %" G_GINT64_FORMAT, segment_id) : NULL;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  CohortCriteria *criteria;

  fuzz_init ();
  if (size > FUZZ_MAX_INPUT)
    return 0;
  text = g_strndup ((const char *) data, size);

  criteria = cohort_criteria_parse (text, &error);
  if (criteria == NULL)
    {
      g_autofree char *path = NULL;

      g_assert (error != NULL && error->message != NULL);
      path = cohort_criteria_error_get_path (error);
      return 0;
    }
  g_assert (error == NULL);

  {
    g_autofree char *canonical = cohort_criteria_to_string (criteria, FALSE);
    g_autofree char *pretty = cohort_criteria_to_string (criteria, TRUE);
    g_autofree char *again_text = NULL;
    g_autofree char *copy_text = NULL;
    g_autofree char *described = NULL;
    g_autoptr(GError) again_error = NULL;
    g_autoptr(GPtrArray) refs = NULL;
    g_autoptr(GPtrArray) fields = NULL;
    g_autoptr(GArray) ids = NULL;
    g_autoptr(JsonNode) node = NULL;
    CohortCriteria *again, *copy;

    /* parse ∘ to_string is stable */
    again = cohort_criteria_parse (canonical, &again_error);
    if (again == NULL)
      g_error ("canonical criteria refused: %s\n%s", again_error->message, canonical);
    again_text = cohort_criteria_to_string (again, FALSE);
    if (strcmp (again_text, canonical) != 0)
      g_error ("canonical criteria not stable:\n%s\n%s", canonical, again_text);
    cohort_criteria_free (again);

    copy = cohort_criteria_copy (criteria);
    copy_text = cohort_criteria_to_string (copy, FALSE);
    g_assert (strcmp (copy_text, canonical) == 0);
    cohort_criteria_free (copy);

    node = cohort_criteria_to_json_node (criteria);
    g_assert (node != NULL);
    described = cohort_criteria_describe (criteria, segment_name, NULL);
    g_assert (described != NULL);
    refs = cohort_criteria_collect_refs (criteria);
    ids = cohort_criteria_collect_segment_ids (criteria);
    fields = cohort_criteria_collect_fields (criteria);
    cohort_criteria_uses_events (criteria);
    (void) pretty;
  }
  cohort_criteria_free (criteria);
  return 0;
}
