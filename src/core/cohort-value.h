/* cohort-value.h: how attribute text reads as numbers, booleans and times
 *
 * These rules are shared by the importer and the evaluator, so that what
 * import calls a number is what a criteria "gt" compares (spec/criteria.md).
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  COHORT_BOOL_NEITHER = -1,
  COHORT_BOOL_FALSE = 0,
  COHORT_BOOL_TRUE = 1,
} CohortBool;

/* A finite decimal number: [+-]digits[.digits][(e|E)[+-]digits], or
 * [+-].digits; no spaces, no hex, no inf/nan. */
gboolean   cohort_value_parse_number       (const char *text,
                                            gsize       len,
                                            double     *out);
/* Unix seconds (a number, fraction floored) or ISO 8601:
 * YYYY-MM-DD, YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|±HH:MM|±HHMM|±HH];
 * no offset means UTC. */
gboolean   cohort_value_parse_timestamp    (const char *text,
                                            gsize       len,
                                            gint64     *out);
/* A customer id or email as written in a cell, made the one every import
 * matches on: spaces, tabs and line ends around it go, and so does the
 * apostrophe spreadsheets (and Shopify) put before numbers kept as text
 * ('012345, '+1 555 0100). Moves *s and shortens *len; returns whether an
 * apostrophe went. */
gboolean   cohort_value_clean_identifier   (const char **s,
                                            gsize       *len);
/* The two halves of that: spaces, tabs and line ends around a cell; the
 * apostrophe before a number kept as text (returns whether it went). */
void       cohort_value_trim               (const char **s,
                                            gsize       *len);
gboolean   cohort_value_strip_apostrophe   (const char **s,
                                            gsize       *len);
/* true/yes/1 and false/no/0, case-insensitive. */
CohortBool cohort_value_parse_bool         (const char *text,
                                            gsize       len);
/* ASCII and Unicode case folding for the case-insensitive operators. */
char      *cohort_value_fold               (const char *text,
                                            gssize      len);

/* $COHORT_NOW when it holds an integer, else the real time (Unix seconds). */
gint64     cohort_now                      (void);
/* The real time in Unix seconds, for stamps of when something happened
 * (never $COHORT_NOW, which sets the "now" of the rules). */
gint64     cohort_now_real                 (void);

/* 32-bit FNV-1a: offset basis 2166136261, prime 16777619. */
guint32    cohort_fnv1a32                  (const void *data,
                                            gsize       len,
                                            guint32     hash);
#define COHORT_FNV1A32_INIT 2166136261u

G_END_DECLS
