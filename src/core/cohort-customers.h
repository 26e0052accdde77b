/* cohort-customers.h: customers and their attributes in the workspace
 *
 * A customer row holds id and/or email and an attribute blob
 * (cohort-attrs.h) of text values; the attributes table names each
 * attribute and gives its type. Values of timestamp attributes are stored as
 * Unix seconds; the others as imported.
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cohort-workspace.h"

G_BEGIN_DECLS

typedef enum
{
  COHORT_ATTR_STRING,
  COHORT_ATTR_NUMBER,
  COHORT_ATTR_BOOLEAN,
  COHORT_ATTR_TIMESTAMP,
} CohortAttrType;

#define COHORT_CUSTOMER_ID_MAX_BYTES    150
#define COHORT_CUSTOMER_VALUE_MAX_BYTES 1000

/* "string", "number", "boolean", "timestamp" */
const char *cohort_attr_type_to_string   (CohortAttrType  type);
gboolean    cohort_attr_type_from_string (const char     *text,
                                          CohortAttrType *type);

typedef struct
{
  guint32         id;      /* attributes.id */
  char           *name;
  CohortAttrType  type;
} CohortAttribute;

void        cohort_attribute_free        (CohortAttribute *attr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortAttribute, cohort_attribute_free)
/* Every attribute of the workspace: attributes.id (GUINT_TO_POINTER) →
 * CohortAttribute. */
GHashTable *cohort_customers_load_attributes (CohortWorkspace  *ws,
                                              GError          **error);

typedef struct
{
  const CohortAttribute *attribute;   /* owned by the customer */
  char                  *value;       /* as stored */
} CohortCustomerValue;

typedef struct
{
  gint64     ordinal;
  char      *id;           /* NULL when none */
  char      *email;        /* NULL when none */
  gint64     added_at;
  gint64     modified_at;
  GArray    *values;       /* CohortCustomerValue, sorted by attribute name */
  GPtrArray *attributes;   /* the CohortAttribute the values point to */
} CohortCustomer;

void        cohort_customer_free         (CohortCustomer *customer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CohortCustomer, cohort_customer_free)

/* The value of attribute @name, or NULL. */
const char *cohort_customer_get_value    (CohortCustomer *customer,
                                          const char     *name);
/* {"id", "email", "attributes": {NAME: {"type", "value"}}}: value as a JSON
 * string, number, boolean, or Unix seconds for a timestamp (a value that
 * does not read as its type stays a string). */
JsonNode   *cohort_customer_to_json      (CohortCustomer *customer);

/* -1 on error. */
gint64           cohort_customers_count        (CohortWorkspace *ws,
                                                GError         **error);
/* COHORT_WORKSPACE_ERROR_NOT_FOUND when there is none. Email matches
 * case-insensitively (ASCII). */
CohortCustomer  *cohort_customers_get_by_id    (CohortWorkspace *ws,
                                                const char      *id,
                                                GError         **error);
CohortCustomer  *cohort_customers_get_by_email (CohortWorkspace *ws,
                                                const char      *email,
                                                GError         **error);
/* By id, else by email. */
CohortCustomer  *cohort_customers_lookup       (CohortWorkspace *ws,
                                                const char      *id_or_email,
                                                GError         **error);
/* Customers in ordinal order (GPtrArray of CohortCustomer); @limit < 0: all. */
GPtrArray       *cohort_customers_list         (CohortWorkspace *ws,
                                                gint64           offset,
                                                gint64           limit,
                                                GError         **error);

/* Customers with an ordinal above @after (0 for the first), in ordinal
 * order: walks every customer at a constant cost per page. */
GPtrArray       *cohort_customers_list_after   (CohortWorkspace *ws,
                                                gint64           after,
                                                gint64           limit,
                                                GError         **error);

typedef enum
{
  COHORT_CUSTOMERS_SORT_ORDINAL,   /* the order they were added */
  COHORT_CUSTOMERS_SORT_ID,
  COHORT_CUSTOMERS_SORT_EMAIL,
} CohortCustomersSort;

/* For lists that page: customers whose id or email contains @search
 * (case-insensitively for ASCII; NULL or "" for all), sorted, a page at a
 * time. Customers without the sort key come last. */
gint64           cohort_customers_count_matching (CohortWorkspace     *ws,
                                                  const char          *search,
                                                  GError             **error);
GPtrArray       *cohort_customers_find         (CohortWorkspace     *ws,
                                                const char          *search,
                                                CohortCustomersSort  sort,
                                                gboolean             descending,
                                                gint64               offset,
                                                gint64               limit,
                                                GError             **error);

/* All attributes sorted by name (GPtrArray of CohortAttribute). */
GPtrArray       *cohort_attributes_list        (CohortWorkspace *ws,
                                                GError         **error);
/* NULL and COHORT_WORKSPACE_ERROR_NOT_FOUND when there is none. */
CohortAttribute *cohort_attributes_get         (CohortWorkspace *ws,
                                                const char      *name,
                                                GError         **error);
/* Changes the type of an existing attribute. Stored values are kept as they
 * are, except that choosing timestamp converts values that read as ISO 8601
 * times to Unix seconds. In one transaction. */
gboolean         cohort_attributes_set_type    (CohortWorkspace *ws,
                                                const char      *name,
                                                CohortAttrType   type,
                                                GError         **error);

G_END_DECLS
