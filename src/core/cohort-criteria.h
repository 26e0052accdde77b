/* cohort-criteria.h: the criteria node tree of spec/criteria.md
 *
 * Parsing validates everything that can be checked without a workspace
 * (shape, types, operators, regular expressions) and names the path of the
 * bad node in the error, e.g. "and[2].or[0].attribute.operator: ...".
 * Segment references are checked against a workspace by
 * cohort_segments_set_criteria() (cohort-segment.h) and by the evaluator.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "cohort-value.h"
#include "cohort-workspace.h"

G_BEGIN_DECLS

#define COHORT_CRITERIA_ERROR (cohort_criteria_error_quark ())

typedef enum
{
  COHORT_CRITERIA_ERROR_INVALID,        /* shape, type, operator, value, regex */
  COHORT_CRITERIA_ERROR_NO_SEGMENT,     /* a reference to a segment that does not exist */
  COHORT_CRITERIA_ERROR_CYCLE,          /* segments referring to each other in a loop */
  COHORT_CRITERIA_ERROR_NOT_SUPPORTED,  /* valid, but not evaluable here (events without a workspace) */
  COHORT_CRITERIA_ERROR_TOO_DEEP,       /* nested deeper than COHORT_CRITERIA_MAX_DEPTH */
  COHORT_CRITERIA_ERROR_TOO_COMPLEX,    /* a "matches" pattern hit the match limit on a value */
} CohortCriteriaError;

/* The deepest nesting of criteria: a path from the top node down to a
 * condition passes through at most this many and/or/not nodes. Every
 * walker over criteria (json-glib's parser, the tree parser, serializing,
 * describing, references, the evaluator, the rules builder's nested
 * groups) recurses once or twice per level; this bound keeps them all far
 * inside an 8 MB main-thread or worker-thread stack, also under
 * AddressSanitizer. Deeper criteria are refused with
 * COHORT_CRITERIA_ERROR_TOO_DEEP and the path where the limit is crossed,
 * before json-glib sees the text. */
#define COHORT_CRITERIA_MAX_DEPTH 256

/* The work a "matches" pattern may do on one value (PCRE2's match limit,
 * lowered with (*LIMIT_MATCH=)): about a millisecond. A value that needs
 * more (catastrophic backtracking, e.g. (a+)+b on "aaaa…c") makes the
 * evaluation fail with COHORT_CRITERIA_ERROR_TOO_COMPLEX, never a
 * silent non-match. */
#define COHORT_REGEX_MATCH_LIMIT 100000

GQuark cohort_criteria_error_quark (void);

typedef enum
{
  COHORT_CRITERIA_AND,
  COHORT_CRITERIA_OR,
  COHORT_CRITERIA_NOT,
  COHORT_CRITERIA_ATTRIBUTE,
  COHORT_CRITERIA_SEGMENT,
  COHORT_CRITERIA_EVENT,
  COHORT_CRITERIA_SAMPLE,
} CohortCriteriaKind;

typedef enum
{
  COHORT_OP_EQ,
  COHORT_OP_NEQ,
  COHORT_OP_IN,
  COHORT_OP_NOT_IN,
  COHORT_OP_EXISTS,
  COHORT_OP_NOT_EXISTS,
  COHORT_OP_CONTAINS,
  COHORT_OP_NOT_CONTAINS,
  COHORT_OP_STARTS_WITH,
  COHORT_OP_ENDS_WITH,
  COHORT_OP_MATCHES,
  COHORT_OP_GT,
  COHORT_OP_GTE,
  COHORT_OP_LT,
  COHORT_OP_LTE,
  COHORT_OP_BETWEEN,
  COHORT_OP_IS_TRUE,
  COHORT_OP_IS_FALSE,
  COHORT_OP_BEFORE,
  COHORT_OP_AFTER,
  COHORT_OP_WITHIN_LAST,
  COHORT_OP_MORE_THAN_AGO,
  COHORT_OP_WITHIN_NEXT,
  COHORT_N_OPS
} CohortOperator;

/* The shape of an operator's value, for value editors. */
typedef enum
{
  COHORT_OPERAND_NONE,       /* exists, not_exists, is_true, is_false */
  COHORT_OPERAND_SCALAR,     /* eq, neq: string, number or boolean */
  COHORT_OPERAND_LIST,       /* in, not_in: array of scalars */
  COHORT_OPERAND_STRING,     /* contains, not_contains, starts_with, ends_with */
  COHORT_OPERAND_REGEX,      /* matches */
  COHORT_OPERAND_NUMBER,     /* gt, gte, lt, lte */
  COHORT_OPERAND_RANGE,      /* between: [low, high] */
  COHORT_OPERAND_TIMESTAMP,  /* before, after */
  COHORT_OPERAND_RELATIVE,   /* within_last, more_than_ago, within_next */
} CohortOperand;

typedef enum
{
  COHORT_UNIT_MINUTES,
  COHORT_UNIT_HOURS,
  COHORT_UNIT_DAYS,
  COHORT_UNIT_WEEKS,
} CohortTimeUnit;

/* One value of eq/neq/in/not_in. */
typedef struct
{
  char       *text;       /* the string; "true"/"false" for booleans; the number as written */
  gboolean    is_number;  /* the value reads as a number (a JSON number, or a numeric string) */
  double      number;
  CohortBool  boolean;    /* a JSON boolean: its value; else COHORT_BOOL_NEITHER */
} CohortScalar;

/* An attribute condition (also an event's "where" entry). */
typedef struct
{
  char           *field;
  CohortOperator  op;
  JsonNode       *value;     /* as given; NULL for operators without a value */
  /* Read from value by the parser: */
  CohortScalar   *scalars;   /* eq/neq: 1, in/not_in: n_scalars */
  guint           n_scalars;
  char           *folded;    /* contains & co: the needle, case-folded */
  GRegex         *regex;     /* matches */
  double          low;       /* gt/gte/lt/lte: the number; between: low */
  double          high;      /* between */
  gint64          timestamp; /* before/after: Unix seconds */
  gint64          seconds;   /* within_last & co: amount × unit in seconds */
} CohortCondition;

typedef struct
{
  char            *name;
  gboolean         performed;       /* operator: performed / not_performed */
  CohortOperator   count_op;        /* COHORT_OP_GTE, _LTE or _EQ */
  gint64           count_value;     /* default gte 1 */
  gboolean         has_count;       /* written explicitly */
  JsonNode        *within;          /* as given, or NULL */
  gint64           within_seconds;
  JsonNode        *since;           /* as given, or NULL */
  gint64           since_ts;
  JsonNode        *until;           /* as given, or NULL */
  gint64           until_ts;
  GPtrArray       *where;           /* of CohortCondition*, may be empty */
} CohortEventCondition;

typedef struct _CohortCriteria CohortCriteria;

struct _CohortCriteria
{
  CohortCriteriaKind     kind;
  GPtrArray             *children;     /* AND, OR: children; NOT: exactly one */
  CohortCondition       *attribute;    /* ATTRIBUTE */
  gint64                 segment_id;   /* SEGMENT */
  CohortEventCondition  *event;        /* EVENT */
  guint                  percent;      /* SAMPLE: 0-100 */
  char                  *salt;         /* SAMPLE */
};

#define COHORT_TYPE_CRITERIA (cohort_criteria_get_type ())
GType            cohort_criteria_get_type        (void);

CohortCriteria  *cohort_criteria_parse           (const char            *json,
                                                  GError               **error);
/* Cheap scan of JSON text (strings and escapes respected) that refuses,
 * with COHORT_CRITERIA_ERROR_TOO_DEEP and the path, text nested deeper than
 * criteria can be. cohort_criteria_parse() does it first; front ends call
 * it (or cohort_criteria_json_from_string()) before any other JSON parser
 * sees criteria text, since json-glib parses recursively. */
gboolean         cohort_criteria_check_json_depth (const char           *json,
                                                  gssize                 length,
                                                  GError               **error);
/* json_from_string() after cohort_criteria_check_json_depth(): for showing
 * stored or typed criteria that may be invalid. NULL with an error when the
 * text is too deep or not JSON. */
JsonNode        *cohort_criteria_json_from_string (const char           *json,
                                                  GError               **error);
CohortCriteria  *cohort_criteria_parse_node      (JsonNode              *node,
                                                  GError               **error);
CohortCriteria  *cohort_criteria_copy            (const CohortCriteria  *self);
void             cohort_criteria_free            (CohortCriteria        *self);

/* Canonical JSON (compact, keys in a fixed order): parse ∘ to_string is stable. */
JsonNode        *cohort_criteria_to_json_node    (const CohortCriteria  *self);
char            *cohort_criteria_to_string       (const CohortCriteria  *self,
                                                  gboolean               pretty);

/* The name of a segment for describe(); NULL when unknown. */
typedef char *(*CohortSegmentNameFunc) (gint64   segment_id,
                                        gpointer user_data);
/* In words, for the user ("plan is “pro” and (age is over 30 or ...)"). */
char            *cohort_criteria_describe        (const CohortCriteria  *self,
                                                  CohortSegmentNameFunc  segment_name,
                                                  gpointer               user_data);

typedef struct
{
  gint64  segment_id;
  char   *path;          /* e.g. "and[1].segment.id" */
} CohortSegmentRef;

/* Every segment reference, in document order (GPtrArray of CohortSegmentRef, freed with the array). */
GPtrArray       *cohort_criteria_collect_refs    (const CohortCriteria  *self);
/* Distinct referenced segment ids, sorted. */
GArray          *cohort_criteria_collect_segment_ids (const CohortCriteria *self);
gboolean         cohort_criteria_uses_events     (const CohortCriteria  *self);
/* Attribute fields used (distinct, in document order; event "where" fields excluded). */
GPtrArray       *cohort_criteria_collect_fields  (const CohortCriteria  *self);

/* The path at the front of a COHORT_CRITERIA_ERROR message, or NULL. */
char            *cohort_criteria_error_get_path  (const GError          *error);

/* Operators, for the builder. */
const char      *cohort_operator_to_string       (CohortOperator         op);
gboolean         cohort_operator_from_string     (const char            *str,
                                                  CohortOperator        *op);
CohortOperand    cohort_operator_get_operand     (CohortOperator         op);
/* Translated phrase: "is", "is not", "contains"... */
const char      *cohort_operator_get_label       (CohortOperator         op);
/* TRUE when a missing attribute matches (neq, not_in, not_exists, not_contains). */
gboolean         cohort_operator_matches_missing (CohortOperator         op);

const char      *cohort_time_unit_to_string      (CohortTimeUnit         unit);
gint64           cohort_time_unit_seconds        (CohortTimeUnit         unit);

/* cohort_criteria_describe() with the names of the workspace's segments. */
char            *cohort_criteria_describe_in     (const CohortCriteria  *criteria,
                                                  CohortWorkspace       *ws);
/* Checks the references of @criteria as if saved on segment @self_id
 * (0: a new segment). */
gboolean         cohort_criteria_check_refs      (const CohortCriteria  *criteria,
                                                  CohortWorkspace       *ws,
                                                  gint64                 self_id,
                                                  GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortCriteria, cohort_criteria_free)

G_END_DECLS
