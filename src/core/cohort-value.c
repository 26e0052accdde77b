/* cohort-value.c: how attribute text reads as numbers, booleans and times
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cohort-value.h"

static inline gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
cohort_value_trim (const char **s,
                   gsize       *len)
{
  while (*len > 0 && is_blank (**s))
    (*s)++, (*len)--;
  while (*len > 0 && is_blank ((*s)[*len - 1]))
    (*len)--;
}

gboolean
cohort_value_strip_apostrophe (const char **s,
                               gsize       *len)
{
  if (*len >= 2 && (*s)[0] == '\'' &&
      (g_ascii_isdigit ((*s)[1]) || (*s)[1] == '+' || (*s)[1] == '-'))
    {
      (*s)++;
      (*len)--;
      return TRUE;
    }
  return FALSE;
}

gboolean
cohort_value_clean_identifier (const char **s,
                               gsize       *len)
{
  cohort_value_trim (s, len);
  return cohort_value_strip_apostrophe (s, len);
}

gboolean
cohort_value_parse_number (const char *text,
                           gsize       len,
                           double     *out)
{
  const char *p = text;
  const char *end = text + len;
  gboolean digits = FALSE;
  char buf[64];
  char *endp;
  double v;

  if (text == NULL || len == 0 || len >= sizeof buf)
    return FALSE;

  if (*p == '+' || *p == '-')
    p++;
  while (p < end && g_ascii_isdigit (*p))
    p++, digits = TRUE;
  if (p < end && *p == '.')
    {
      p++;
      while (p < end && g_ascii_isdigit (*p))
        p++, digits = TRUE;
    }
  if (!digits)
    return FALSE;
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      gboolean exp_digits = FALSE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      while (p < end && g_ascii_isdigit (*p))
        p++, exp_digits = TRUE;
      if (!exp_digits)
        return FALSE;
    }
  if (p != end)
    return FALSE;

  memcpy (buf, text, len);
  buf[len] = '\0';
  v = g_ascii_strtod (buf, &endp);
  if (endp != buf + len || !isfinite (v))
    return FALSE;
  if (out)
    *out = v;
  return TRUE;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static gint64
days_from_civil (gint64 y, int m, int d)
{
  gint64 era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static gboolean
read_digits (const char **p, const char *end, int n, int *out)
{
  int v = 0;

  for (int i = 0; i < n; i++)
    {
      if (*p >= end || !g_ascii_isdigit (**p))
        return FALSE;
      v = v * 10 + (**p - '0');
      (*p)++;
    }
  *out = v;
  return TRUE;
}

static gboolean
parse_iso8601 (const char *text, gsize len, gint64 *out)
{
  const char *p = text;
  const char *end = text + len;
  int year, month, day, hour = 0, minute = 0, second = 0;
  int offset = 0;
  static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  if (!read_digits (&p, end, 4, &year) || p >= end || *p++ != '-' ||
      !read_digits (&p, end, 2, &month) || p >= end || *p++ != '-' ||
      !read_digits (&p, end, 2, &day))
    return FALSE;
  if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1])
    return FALSE;
  if (month == 2 && day == 29 &&
      !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    return FALSE;

  if (p < end)
    {
      if (*p != 'T' && *p != 't' && *p != ' ')
        return FALSE;
      p++;
      if (!read_digits (&p, end, 2, &hour) || p >= end || *p++ != ':' ||
          !read_digits (&p, end, 2, &minute))
        return FALSE;
      if (p < end && *p == ':')
        {
          p++;
          if (!read_digits (&p, end, 2, &second))
            return FALSE;
          if (p < end && (*p == '.' || *p == ','))
            {
              p++;
              if (p >= end || !g_ascii_isdigit (*p))
                return FALSE;
              while (p < end && g_ascii_isdigit (*p))
                p++;
            }
        }
      if (hour > 23 || minute > 59 || second > 60)
        return FALSE;
      if (p < end)
        {
          if (*p == 'Z' || *p == 'z')
            p++;
          else if (*p == '+' || *p == '-')
            {
              int sign = *p == '-' ? -1 : 1;
              int oh, om = 0;

              p++;
              if (!read_digits (&p, end, 2, &oh))
                return FALSE;
              if (p < end && *p == ':')
                {
                  p++;
                  if (!read_digits (&p, end, 2, &om))
                    return FALSE;
                }
              else if (p < end && !read_digits (&p, end, 2, &om))
                return FALSE;
              if (oh > 18 || om > 59)
                return FALSE;
              offset = sign * (oh * 3600 + om * 60);
            }
          else
            return FALSE;
        }
      if (p != end)
        return FALSE;
    }

  *out = days_from_civil (year, month, day) * 86400 +
         hour * 3600 + minute * 60 + second - offset;
  return TRUE;
}

gboolean
cohort_value_parse_timestamp (const char *text,
                              gsize       len,
                              gint64     *out)
{
  double v;
  gint64 result;

  if (text == NULL || len == 0)
    return FALSE;

  if (cohort_value_parse_number (text, len, &v))
    {
      if (v < -1e15 || v > 1e15)
        return FALSE;
      result = (gint64) floor (v);
    }
  else if (!parse_iso8601 (text, len, &result))
    return FALSE;

  if (out)
    *out = result;
  return TRUE;
}

CohortBool
cohort_value_parse_bool (const char *text,
                         gsize       len)
{
  if (text == NULL)
    return COHORT_BOOL_NEITHER;

  switch (len)
    {
    case 1:
      if (text[0] == '1')
        return COHORT_BOOL_TRUE;
      if (text[0] == '0')
        return COHORT_BOOL_FALSE;
      break;
    case 2:
      if (g_ascii_strncasecmp (text, "no", 2) == 0)
        return COHORT_BOOL_FALSE;
      break;
    case 3:
      if (g_ascii_strncasecmp (text, "yes", 3) == 0)
        return COHORT_BOOL_TRUE;
      break;
    case 4:
      if (g_ascii_strncasecmp (text, "true", 4) == 0)
        return COHORT_BOOL_TRUE;
      break;
    case 5:
      if (g_ascii_strncasecmp (text, "false", 5) == 0)
        return COHORT_BOOL_FALSE;
      break;
    default:
      break;
    }
  return COHORT_BOOL_NEITHER;
}

/* g_utf8_casefold() trusts its input: on a sequence cut short (a lead byte
 * at the end, say) it steps past @n. So only valid runs are folded; any
 * other byte is kept as it is, so that two different invalid texts never
 * fold to the same one. */
static char *
fold_utf8 (const char *text,
           gsize       n)
{
  GString *out = g_string_sized_new (n + 1);

  while (n > 0)
    {
      const char *end;

      if (g_utf8_validate_len (text, n, &end))
        end = text + n;
      if (end > text)
        {
          g_autofree char *folded = g_utf8_casefold (text, end - text);

          g_string_append (out, folded);
          n -= (gsize) (end - text);
          text = end;
        }
      if (n > 0)
        {
          /* An invalid byte (never a NUL: cohort_value_fold stops there) */
          g_string_append_c (out, *text);
          text++, n--;
        }
    }
  return g_string_free (out, FALSE);
}

char *
cohort_value_fold (const char *text,
                   gssize      len)
{
  gsize n;

  if (text == NULL)
    return g_strdup ("");
  n = len < 0 ? strlen (text) : (gsize) len;
  for (gsize i = 0; i < n; i++)
    {
      if (text[i] == '\0')
        {
          n = i;  /* as the ASCII path: the text ends at a NUL */
          break;
        }
      if ((guchar) text[i] >= 0x80)
        return fold_utf8 (text, n);
    }
  return g_ascii_strdown (text, (gssize) n);
}

gint64
cohort_now (void)
{
  const char *env = g_getenv ("COHORT_NOW");

  if (env != NULL && env[0] != '\0')
    {
      gint64 v;

      if (g_ascii_string_to_signed (env, 10, G_MININT64, G_MAXINT64, &v, NULL))
        return v;
    }
  return cohort_now_real ();
}

gint64
cohort_now_real (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

guint32
cohort_fnv1a32 (const void *data,
                gsize       len,
                guint32     hash)
{
  const guint8 *p = data;

  for (gsize i = 0; i < len; i++)
    {
      hash ^= p[i];
      hash *= 16777619u;
    }
  return hash;
}
