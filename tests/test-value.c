/* Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cohort-attrs.h"
#include "cohort-value.h"

static void
test_numbers (void)
{
  static const struct { const char *text; gboolean ok; double value; } cases[] = {
    { "10", TRUE, 10 }, { "10.0", TRUE, 10 }, { "-3.5", TRUE, -3.5 }, { "+7", TRUE, 7 },
    { ".5", TRUE, 0.5 }, { "5.", TRUE, 5 }, { "1e3", TRUE, 1000 }, { "2E-2", TRUE, 0.02 },
    { "", FALSE, 0 }, { " 1", FALSE, 0 }, { "1 ", FALSE, 0 }, { "0x10", FALSE, 0 },
    { "inf", FALSE, 0 }, { "nan", FALSE, 0 }, { "1,5", FALSE, 0 }, { "abc", FALSE, 0 },
    { "1e", FALSE, 0 }, { "-", FALSE, 0 }, { ".", FALSE, 0 }, { "1e999", FALSE, 0 },
    { "12abc", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double v = -1;
      gboolean ok = cohort_value_parse_number (cases[i].text, strlen (cases[i].text), &v);

      g_test_message ("number %s", cases[i].text);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        g_assert_cmpfloat_with_epsilon (v, cases[i].value, 1e-12);
    }
}

static void
test_timestamps (void)
{
  static const struct { const char *text; gboolean ok; gint64 value; } cases[] = {
    { "1708788496", TRUE, 1708788496 },
    { "1708788496.9", TRUE, 1708788496 },
    { "2024-02-24T15:28:16Z", TRUE, 1708788496 },
    { "2024-02-24T17:28:16+02:00", TRUE, 1708788496 },
    { "2024-02-24T17:28:16+0200", TRUE, 1708788496 },
    { "2024-02-24T10:28:16-05:00", TRUE, 1708788496 },
    { "2024-02-24 15:28:16", TRUE, 1708788496 },
    { "2024-02-24T15:28:16.123Z", TRUE, 1708788496 },
    { "2024-02-24", TRUE, 1708732800 },
    { "1970-01-01", TRUE, 0 },
    { "1969-12-31T23:59:59Z", TRUE, -1 },
    { "2000-02-29", TRUE, 951782400 },
    { "2023-02-29", FALSE, 0 },
    { "2024-13-01", FALSE, 0 },
    { "2024-02-24T25:00:00", FALSE, 0 },
    { "24/02/2024", FALSE, 0 },
    { "yesterday", FALSE, 0 },
    { "", FALSE, 0 },
    { "2024-02-24T15:28:16Zjunk", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 v = -42;
      gboolean ok = cohort_value_parse_timestamp (cases[i].text, strlen (cases[i].text), &v);

      g_test_message ("timestamp %s", cases[i].text);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        g_assert_cmpint (v, ==, cases[i].value);
    }
}

static void
test_bools (void)
{
  static const struct { const char *text; CohortBool value; } cases[] = {
    { "true", COHORT_BOOL_TRUE }, { "TRUE", COHORT_BOOL_TRUE }, { "Yes", COHORT_BOOL_TRUE },
    { "1", COHORT_BOOL_TRUE }, { "false", COHORT_BOOL_FALSE }, { "No", COHORT_BOOL_FALSE },
    { "0", COHORT_BOOL_FALSE }, { "FALSE", COHORT_BOOL_FALSE }, { "", COHORT_BOOL_NEITHER },
    { "y", COHORT_BOOL_NEITHER }, { "2", COHORT_BOOL_NEITHER }, { "truee", COHORT_BOOL_NEITHER },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (cohort_value_parse_bool (cases[i].text, strlen (cases[i].text)), ==,
                     cases[i].value);
}

static void
test_now (void)
{
  g_setenv ("COHORT_NOW", "1700000000", TRUE);
  g_assert_cmpint (cohort_now (), ==, 1700000000);
  g_setenv ("COHORT_NOW", "garbage", TRUE);
  g_assert_cmpint (cohort_now (), >, 1700000000);
  g_unsetenv ("COHORT_NOW");
}

static void
test_fnv (void)
{
  /* Published FNV-1a 32-bit test vectors. */
  g_assert_cmphex (cohort_fnv1a32 ("", 0, COHORT_FNV1A32_INIT), ==, 0x811c9dc5);
  g_assert_cmphex (cohort_fnv1a32 ("a", 1, COHORT_FNV1A32_INIT), ==, 0xe40c292c);
  g_assert_cmphex (cohort_fnv1a32 ("foobar", 6, COHORT_FNV1A32_INIT), ==, 0xbf9cf968);
}

static void
test_fold (void)
{
  g_autofree char *a = cohort_value_fold ("HeLLo", -1);
  g_autofree char *b = cohort_value_fold ("STRASSE Ärger", -1);

  g_assert_cmpstr (a, ==, "hello");
  g_assert_cmpstr (b, ==, "strasse ärger");
}

/* Invalid UTF-8 ending in a lead byte, in a block that ends right there:
 * under AddressSanitizer any read past @len is reported (it once read up
 * to three bytes more). Valid runs fold, other bytes are kept. */
static void
test_fold_invalid (void)
{
  static const struct { const char *text; gsize len; const char *folded; } cases[] = {
    { "ABC\xc3", 4, "abc\xc3" },
    { "\xc3\x84X\xe2", 4, "\xc3\xa4x\xe2" },
    { "\xc3\x84X\xe2\x82", 5, "\xc3\xa4x\xe2\x82" },
    { "\xf0", 1, "\xf0" },
    { "\xf0\x9f\x98", 3, "\xf0\x9f\x98" },
    { "\xc3\x84\xff\xc3\x96\xfe", 6, "\xc3\xa4\xff\xc3\xb6\xfe" },
    { "\x80\x80Z", 3, "\x80\x80z" },
    { "\xc3\x84\xf4\x90\x80\x80", 6, "\xc3\xa4\xf4\x90\x80\x80" },   /* above U+10FFFF */
    { "A\xc3\x84\0\xc3", 5, "a\xc3\xa4" },    /* the text ends at a NUL */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *block = g_malloc (cases[i].len);   /* no NUL after it */
      g_autofree char *folded = NULL;

      g_test_message ("fold case %u", i);
      memcpy (block, cases[i].text, cases[i].len);
      folded = cohort_value_fold (block, (gssize) cases[i].len);
      g_assert_cmpstr (folded, ==, cases[i].folded);
      g_free (block);
    }

  /* Two different invalid texts stay different. */
  {
    g_autofree char *x = cohort_value_fold ("a\xff", -1);
    g_autofree char *y = cohort_value_fold ("a\xfe", -1);

    g_assert_cmpstr (x, !=, y);
  }
}

static void
test_attrs_roundtrip (void)
{
  CohortAttrEntry in[] = {
    { 7, "seven", 5 }, { 2, "", 0 }, { 300, "three hundred", 13 }, { 7, "SEVEN", 5 },
  };
  g_autoptr(GByteArray) blob = g_byte_array_new ();
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (CohortAttrEntry));
  const char *v;
  gsize len;

  cohort_attrs_encode (blob, in, G_N_ELEMENTS (in));
  g_assert_true (cohort_attrs_decode (blob->data, blob->len, out));
  g_assert_cmpuint (out->len, ==, 3);
  g_assert_cmpuint (g_array_index (out, CohortAttrEntry, 0).attr, ==, 2);
  g_assert_cmpuint (g_array_index (out, CohortAttrEntry, 1).attr, ==, 7);
  g_assert_cmpuint (g_array_index (out, CohortAttrEntry, 2).attr, ==, 300);

  v = cohort_attrs_lookup (blob->data, blob->len, 7, &len);
  g_assert_nonnull (v);
  g_assert_cmpmem (v, len, "SEVEN", 5);   /* the later duplicate wins */
  v = cohort_attrs_lookup (blob->data, blob->len, 300, &len);
  g_assert_cmpmem (v, len, "three hundred", 13);
  g_assert_null (cohort_attrs_lookup (blob->data, blob->len, 8, &len));
  g_assert_cmpuint (len, ==, 0);

  /* A truncated blob is refused, never read past its end. */
  g_array_set_size (out, 0);
  g_assert_false (cohort_attrs_decode (blob->data, blob->len - 1, out));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/value/numbers", test_numbers);
  g_test_add_func ("/value/timestamps", test_timestamps);
  g_test_add_func ("/value/bools", test_bools);
  g_test_add_func ("/value/now", test_now);
  g_test_add_func ("/value/fnv1a32", test_fnv);
  g_test_add_func ("/value/fold", test_fold);
  g_test_add_func ("/value/fold-invalid", test_fold_invalid);
  g_test_add_func ("/attrs/roundtrip", test_attrs_roundtrip);
  return g_test_run ();
}
