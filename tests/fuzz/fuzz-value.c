/* fuzz-value.c: libFuzzer harness for the value rules (cohort-value.h):
 * numbers, timestamps, booleans, identifier cleaning and case folding.
 *
 * The input is copied to the very end of a page followed by an inaccessible
 * one, so that a read past its length faults even inside GLib, which is not
 * instrumented (cohort_value_fold once read up to 3 bytes past the end of
 * invalid UTF-8 ending in a lead byte, inside g_utf8_casefold).
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cohort-value.h"
#include "fuzz-common.h"

#define FUZZ_MAX_INPUT (64 * 1024)

static guint8 *area;
static gsize   area_size;   /* the accessible part; a guard page follows */

static const char *
guarded_copy (const guint8 *data,
              gsize         size)
{
  if (area == NULL)
    {
      gsize page = (gsize) sysconf (_SC_PAGESIZE);

      area_size = (FUZZ_MAX_INPUT + page - 1) / page * page;
      area = mmap (NULL, area_size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      g_assert (area != MAP_FAILED);
      g_assert (mprotect (area + area_size, page, PROT_NONE) == 0);
    }
  memcpy (area + area_size - size, data, size);
  return (const char *) area + area_size - size;
}

static void
check_span (const char *text,
            gsize       size,
            const char *s,
            gsize       len)
{
  g_assert (s >= text && len <= size && (gsize) (s - text) <= size - len);
}

static void
check_fold (const char *text,
            gsize       size)
{
  g_autofree char *folded = cohort_value_fold (text, (gssize) size);
  const char *nul = memchr (text, '\0', size);
  gsize n = nul ? (gsize) (nul - text) : size;
  gboolean ascii = TRUE;

  g_assert (folded != NULL);
  for (gsize i = 0; i < n; i++)
    if ((guchar) text[i] >= 0x80)
      ascii = FALSE;
  if (ascii)
    {
      /* ASCII: exactly the lower-case text */
      g_assert (strlen (folded) == n);
      for (gsize i = 0; i < n; i++)
        g_assert (folded[i] == g_ascii_tolower (text[i]));
    }
  else if (g_utf8_validate (text, (gssize) n, NULL))
    g_assert (g_utf8_validate (folded, -1, NULL));
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text, *s;
  gsize len;
  double number;
  gint64 timestamp;
  CohortBool b;

  fuzz_init ();
  if (size > FUZZ_MAX_INPUT)
    return 0;
  text = guarded_copy (data, size);

  if (cohort_value_parse_number (text, size, &number))
    g_assert (isfinite (number));
  cohort_value_parse_timestamp (text, size, &timestamp);
  cohort_value_parse_timestamp (text, size, NULL);
  b = cohort_value_parse_bool (text, size);
  g_assert (b == COHORT_BOOL_NEITHER || b == COHORT_BOOL_FALSE || b == COHORT_BOOL_TRUE);

  s = text, len = size;
  cohort_value_trim (&s, &len);
  check_span (text, size, s, len);
  s = text, len = size;
  cohort_value_strip_apostrophe (&s, &len);
  check_span (text, size, s, len);
  s = text, len = size;
  cohort_value_clean_identifier (&s, &len);
  check_span (text, size, s, len);

  check_fold (text, size);
  /* Every prefix ends right at the guard page too: a cut sequence */
  if (size > 0)
    check_fold (guarded_copy (data, size - 1), size - 1);
  return 0;
}
