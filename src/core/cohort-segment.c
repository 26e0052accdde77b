/* cohort-segment.c: a segment record and the calls that store it
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Segments"

#include "config.h"
#include <inttypes.h>

#include <string.h>
#include <glib/gi18n.h>

#include "cohort-outbox.h"
#include "cohort-segment.h"
#include "cohort-value.h"

struct _CohortSegment
{
  GObject            parent_instance;

  gint64             id;
  char              *name;
  char              *description;
  CohortSegmentKind  kind;
  gboolean           active;
  char              *criteria;
  gint64             created_at;
  gint64             updated_at;
  gint64             count;
};

G_DEFINE_FINAL_TYPE (CohortSegment, cohort_segment, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_KIND,
  PROP_ACTIVE,
  PROP_CRITERIA,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  PROP_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GType
cohort_segment_kind_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { COHORT_SEGMENT_MANUAL, "COHORT_SEGMENT_MANUAL", "manual" },
        { COHORT_SEGMENT_DATA_DRIVEN, "COHORT_SEGMENT_DATA_DRIVEN", "data-driven" },
        { 0, NULL, NULL }
      };
      GType type = g_enum_register_static ("CohortSegmentKind", values);
      g_once_init_leave (&type_id, type);
    }
  return type_id;
}

const char *
cohort_segment_kind_to_string (CohortSegmentKind kind)
{
  return kind == COHORT_SEGMENT_DATA_DRIVEN ? "data-driven" : "manual";
}

gboolean
cohort_segment_kind_from_string (const char        *str,
                                 CohortSegmentKind *kind)
{
  if (g_strcmp0 (str, "manual") == 0)
    *kind = COHORT_SEGMENT_MANUAL;
  else if (g_strcmp0 (str, "data-driven") == 0)
    *kind = COHORT_SEGMENT_DATA_DRIVEN;
  else
    return FALSE;
  return TRUE;
}

static void
cohort_segment_finalize (GObject *object)
{
  CohortSegment *self = (CohortSegment *) object;

  g_free (self->name);
  g_free (self->description);
  g_free (self->criteria);

  G_OBJECT_CLASS (cohort_segment_parent_class)->finalize (object);
}

static void
replace_str (char       **field,
             const char  *value)
{
  char *copy = g_strdup (value);

  g_free (*field);
  *field = copy;
}

static void
cohort_segment_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CohortSegment *self = COHORT_SEGMENT (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_DESCRIPTION: g_value_set_string (value, self->description); break;
    case PROP_KIND: g_value_set_enum (value, self->kind); break;
    case PROP_ACTIVE: g_value_set_boolean (value, self->active); break;
    case PROP_CRITERIA: g_value_set_string (value, self->criteria); break;
    case PROP_CREATED_AT: g_value_set_int64 (value, self->created_at); break;
    case PROP_UPDATED_AT: g_value_set_int64 (value, self->updated_at); break;
    case PROP_COUNT: g_value_set_int64 (value, self->count); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_segment_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  CohortSegment *self = COHORT_SEGMENT (object);

  switch (prop_id)
    {
    case PROP_ID: self->id = g_value_get_int64 (value); break;
    case PROP_NAME: replace_str (&self->name, g_value_get_string (value)); break;
    case PROP_DESCRIPTION: replace_str (&self->description, g_value_get_string (value)); break;
    case PROP_KIND: self->kind = g_value_get_enum (value); break;
    case PROP_ACTIVE: self->active = g_value_get_boolean (value); break;
    case PROP_CRITERIA: replace_str (&self->criteria, g_value_get_string (value)); break;
    case PROP_CREATED_AT: self->created_at = g_value_get_int64 (value); break;
    case PROP_UPDATED_AT: self->updated_at = g_value_get_int64 (value); break;
    case PROP_COUNT: cohort_segment_set_count (self, g_value_get_int64 (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_segment_class_init (CohortSegmentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cohort_segment_finalize;
  object_class->get_property = cohort_segment_get_property;
  object_class->set_property = cohort_segment_set_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, "", ro);
  properties[PROP_DESCRIPTION] = g_param_spec_string ("description", NULL, NULL, "", ro);
  properties[PROP_KIND] = g_param_spec_enum ("kind", NULL, NULL, COHORT_TYPE_SEGMENT_KIND,
                                             COHORT_SEGMENT_MANUAL, ro);
  properties[PROP_ACTIVE] = g_param_spec_boolean ("active", NULL, NULL, TRUE, ro);
  properties[PROP_CRITERIA] = g_param_spec_string ("criteria", NULL, NULL, NULL, ro);
  properties[PROP_CREATED_AT] = g_param_spec_int64 ("created-at", NULL, NULL,
                                                    G_MININT64, G_MAXINT64, 0, ro);
  properties[PROP_UPDATED_AT] = g_param_spec_int64 ("updated-at", NULL, NULL,
                                                    G_MININT64, G_MAXINT64, 0, ro);
  /* The only property that changes after construction: counts arrive later. */
  properties[PROP_COUNT] = g_param_spec_int64 ("count", NULL, NULL, -1, G_MAXINT64, -1,
                                               G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                                               G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cohort_segment_init (CohortSegment *self)
{
  self->active = TRUE;
  self->count = -1;
}

gint64 cohort_segment_get_id (CohortSegment *self) { g_return_val_if_fail (COHORT_IS_SEGMENT (self), 0); return self->id; }
const char *cohort_segment_get_name (CohortSegment *self) { g_return_val_if_fail (COHORT_IS_SEGMENT (self), NULL); return self->name; }
const char *cohort_segment_get_description (CohortSegment *self) { g_return_val_if_fail (COHORT_IS_SEGMENT (self), NULL); return self->description ? self->description : ""; }
CohortSegmentKind cohort_segment_get_kind (CohortSegment *self) { g_return_val_if_fail (COHORT_IS_SEGMENT (self), 0); return self->kind; }
gboolean cohort_segment_get_active (CohortSegment *self) { g_return_val_if_fail (COHORT_IS_SEGMENT (self), FALSE); return self->active; }
const char *cohort_segment_get_criteria (CohortSegment *self) { g_return_val_if_fail (COHORT_IS_SEGMENT (self), NULL); return self->criteria; }
gint64 cohort_segment_get_created_at (CohortSegment *self) { g_return_val_if_fail (COHORT_IS_SEGMENT (self), 0); return self->created_at; }
gint64 cohort_segment_get_updated_at (CohortSegment *self) { g_return_val_if_fail (COHORT_IS_SEGMENT (self), 0); return self->updated_at; }
gint64 cohort_segment_get_count (CohortSegment *self) { g_return_val_if_fail (COHORT_IS_SEGMENT (self), -1); return self->count; }

void
cohort_segment_set_count (CohortSegment *self,
                          gint64         count)
{
  g_return_if_fail (COHORT_IS_SEGMENT (self));

  if (self->count == count)
    return;
  self->count = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);
}

/* ---- storage ---------------------------------------------------------- */

#define SEGMENT_COLUMNS \
  "s.id, s.name, s.description, s.kind, s.active, s.criteria, s.created_at, s.updated_at, " \
  "CASE s.kind WHEN 'manual' THEN (SELECT count(*) FROM segment_members m WHERE m.segment = s.id) " \
  "ELSE -1 END"

static CohortSegment *
segment_from_row (sqlite3_stmt *stmt)
{
  CohortSegmentKind kind = COHORT_SEGMENT_MANUAL;

  cohort_segment_kind_from_string ((const char *) sqlite3_column_text (stmt, 3), &kind);
  return g_object_new (COHORT_TYPE_SEGMENT,
                       "id", sqlite3_column_int64 (stmt, 0),
                       "name", (const char *) sqlite3_column_text (stmt, 1),
                       "description", (const char *) sqlite3_column_text (stmt, 2),
                       "kind", kind,
                       "active", sqlite3_column_int (stmt, 4) != 0,
                       "criteria", (const char *) sqlite3_column_text (stmt, 5),
                       "created-at", sqlite3_column_int64 (stmt, 6),
                       "updated-at", sqlite3_column_int64 (stmt, 7),
                       "count", sqlite3_column_int64 (stmt, 8),
                       NULL);
}

/* Trims Unicode white space at both ends. */
static char *
trim_name (const char *name)
{
  const char *start = name;
  const char *end = name + strlen (name);

  while (*start && g_unichar_isspace (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);
  while (end > start)
    {
      const char *prev = g_utf8_find_prev_char (start, end);

      if (prev == NULL || !g_unichar_isspace (g_utf8_get_char (prev)))
        break;
      end = prev;
    }
  return g_strndup (start, end - start);
}

/* The key that makes "Vip", "VIP" and "ＶＩＰ" the same name. */
static char *
name_key (const char *trimmed)
{
  g_autofree char *normal = g_utf8_normalize (trimmed, -1, G_NORMALIZE_NFKC);

  return g_utf8_casefold (normal ? normal : trimmed, -1);
}

static gboolean
check_name (CohortWorkspace  *ws,
            const char       *name,
            gint64            except_id,
            char            **out_trimmed,
            char            **out_key,
            GError          **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *key = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID,
                           _("The name is not valid text"));
      return FALSE;
    }
  trimmed = trim_name (name);
  if (trimmed[0] == '\0')
    {
      g_set_error_literal (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID,
                           _("A segment needs a name"));
      return FALSE;
    }
  if (g_utf8_strlen (trimmed, -1) > COHORT_SEGMENT_NAME_MAX_CHARS)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID,
                   _("The name is too long: at most %d characters"),
                   COHORT_SEGMENT_NAME_MAX_CHARS);
      return FALSE;
    }
  for (const char *p = trimmed; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        {
          g_set_error_literal (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID,
                               _("The name cannot contain line breaks or control characters"));
          return FALSE;
        }
    }

  key = name_key (trimmed);
  stmt = cohort_workspace_prepare (ws, "SELECT id, name FROM segments WHERE name_key = ? AND id != ?",
                                   error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, except_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_EXISTS,
                   _("A segment named “%s” already exists"),
                   (const char *) sqlite3_column_text (stmt, 1));
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return cohort_workspace_db_error (ws, error, _("checking the name"));

  if (out_trimmed)
    *out_trimmed = g_steal_pointer (&trimmed);
  if (out_key)
    *out_key = g_steal_pointer (&key);
  return TRUE;
}

gboolean
cohort_segment_check_name (CohortWorkspace  *ws,
                           const char       *name,
                           gint64            except_id,
                           GError          **error)
{
  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);
  return check_name (ws, name, except_id, NULL, NULL, error);
}

GPtrArray *
cohort_segments_list (CohortWorkspace  *ws,
                      GError          **error)
{
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);

  stmt = cohort_workspace_prepare (ws, "SELECT " SEGMENT_COLUMNS " FROM segments s "
                                   "ORDER BY s.name_key, s.id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (result, segment_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("listing segments"));
      return NULL;
    }
  return g_steal_pointer (&result);
}

CohortSegment *
cohort_segments_get (CohortWorkspace  *ws,
                     gint64            id,
                     GError          **error)
{
  CohortSegment *segment = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);

  stmt = cohort_workspace_prepare (ws, "SELECT " SEGMENT_COLUMNS " FROM segments s WHERE s.id = ?",
                                   error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    segment = segment_from_row (stmt);
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND,
                 _("There is no segment with id %" PRId64), id);
  else if (rc != SQLITE_ROW)
    cohort_workspace_db_error (ws, error, _("reading a segment"));
  return segment;
}

CohortSegment *
cohort_segments_lookup (CohortWorkspace  *ws,
                        const char       *name_or_id,
                        GError          **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *key = NULL;
  sqlite3_stmt *stmt;
  guint64 id;
  gint64 found = 0;
  int rc;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  g_return_val_if_fail (name_or_id != NULL, NULL);

  if (g_ascii_string_to_unsigned (name_or_id, 10, 1, G_MAXINT64, &id, NULL))
    {
      CohortSegment *segment = cohort_segments_get (ws, (gint64) id, NULL);

      if (segment != NULL)
        return segment;
    }

  if (!g_utf8_validate (name_or_id, -1, NULL))
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND,
                   _("There is no segment named “%s”"), name_or_id);
      return NULL;
    }
  trimmed = trim_name (name_or_id);
  key = name_key (trimmed);
  stmt = cohort_workspace_prepare (ws, "SELECT id FROM segments WHERE name_key = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    found = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("finding a segment"));
      return NULL;
    }
  if (found == 0)
    {
      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_NOT_FOUND,
                   _("There is no segment named “%s”"), name_or_id);
      return NULL;
    }
  return cohort_segments_get (ws, found, error);
}

static gint64
insert_segment (CohortWorkspace    *ws,
                gint64              id,
                const char         *name,
                const char         *key,
                CohortSegmentKind   kind,
                const char         *description,
                gboolean            active,
                const char         *criteria,
                gint64              created_at,
                gint64              updated_at,
                GError            **error)
{
  sqlite3_stmt *stmt;

  stmt = cohort_workspace_prepare (ws,
                                   "INSERT INTO segments (id, name, name_key, kind, description, "
                                   "active, criteria, created_at, updated_at) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return 0;
  if (id > 0)
    sqlite3_bind_int64 (stmt, 1, id);
  else
    sqlite3_bind_null (stmt, 1);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, cohort_segment_kind_to_string (kind), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, description ? description : "", -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 6, active ? 1 : 0);
  if (criteria)
    sqlite3_bind_text (stmt, 7, criteria, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 7);
  sqlite3_bind_int64 (stmt, 8, created_at);
  sqlite3_bind_int64 (stmt, 9, updated_at);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      cohort_workspace_db_error (ws, error, _("saving the segment"));
      return 0;
    }
  sqlite3_reset (stmt);
  return sqlite3_last_insert_rowid (cohort_workspace_get_db (ws));
}

static gboolean
check_description (const char  *description,
                   GError     **error)
{
  if (description != NULL && !g_utf8_validate (description, -1, NULL))
    {
      g_set_error_literal (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_INVALID,
                           _("The description is not valid text"));
      return FALSE;
    }
  return TRUE;
}

CohortSegment *
cohort_segments_create (CohortWorkspace    *ws,
                        const char         *name,
                        CohortSegmentKind   kind,
                        const char         *description,
                        GError            **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *key = NULL;
  g_autofree char *desc = NULL;
  gint64 id, now = cohort_now_real ();

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);

  if (!check_description (description, error))
    return NULL;
  desc = g_strstrip (g_strdup (description ? description : ""));
  if (!cohort_workspace_begin (ws, error))
    return NULL;
  if (!check_name (ws, name, 0, &trimmed, &key, error))
    goto fail;
  id = insert_segment (ws, 0, trimmed, key, kind, desc, TRUE, NULL, now, now, error);
  if (id == 0 || !cohort_outbox_segment_created (ws, id, error))
    goto fail;
  if (!cohort_workspace_note_change (ws, COHORT_CHANGE_SEGMENTS, error))
    goto fail;
  if (!cohort_workspace_commit (ws, error))
    return NULL;
  return cohort_segments_get (ws, id, error);

fail:
  cohort_workspace_rollback (ws);
  return NULL;
}

static gboolean
require_segment (CohortWorkspace  *ws,
                 gint64            id,
                 GError          **error)
{
  g_autoptr(CohortSegment) segment = cohort_segments_get (ws, id, error);

  return segment != NULL;
}

CohortSegment *
cohort_segments_update (CohortWorkspace  *ws,
                        gint64            id,
                        const char       *name,
                        const char       *description,
                        GError          **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *key = NULL;
  g_autofree char *desc = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);

  if (!check_description (description, error))
    return NULL;
  if (!cohort_workspace_begin (ws, error))
    return NULL;
  if (!require_segment (ws, id, error))
    goto fail;
  if (name != NULL && !check_name (ws, name, id, &trimmed, &key, error))
    goto fail;
  if (description != NULL)
    desc = g_strstrip (g_strdup (description));

  stmt = cohort_workspace_prepare (ws,
                                   "UPDATE segments SET name = coalesce(?, name), "
                                   "name_key = coalesce(?, name_key), "
                                   "description = coalesce(?, description), updated_at = ? "
                                   "WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, trimmed, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, desc, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, cohort_now_real ());
  sqlite3_bind_int64 (stmt, 5, id);
  if (!cohort_workspace_step_done (ws, stmt, _("saving the segment"), error) ||
      !cohort_workspace_note_change (ws, COHORT_CHANGE_SEGMENTS, error))
    goto fail;
  if (!cohort_workspace_commit (ws, error))
    return NULL;
  return cohort_segments_get (ws, id, error);

fail:
  cohort_workspace_rollback (ws);
  return NULL;
}

gboolean
cohort_segments_set_active (CohortWorkspace  *ws,
                            gint64            id,
                            gboolean          active,
                            GError          **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);

  if (!cohort_workspace_begin (ws, error))
    return FALSE;
  if (!require_segment (ws, id, error))
    goto fail;
  stmt = cohort_workspace_prepare (ws, "UPDATE segments SET active = ?, updated_at = ? "
                                   "WHERE id = ? AND active != ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int (stmt, 1, active ? 1 : 0);
  sqlite3_bind_int64 (stmt, 2, cohort_now_real ());
  sqlite3_bind_int64 (stmt, 3, id);
  sqlite3_bind_int (stmt, 4, active ? 1 : 0);
  if (!cohort_workspace_step_done (ws, stmt, _("saving the segment"), error) ||
      (sqlite3_changes (cohort_workspace_get_db (ws)) > 0 &&
       !cohort_outbox_segment_set_active (ws, id, active, error)) ||
      !cohort_workspace_note_change (ws, COHORT_CHANGE_SEGMENTS, error))
    goto fail;
  return cohort_workspace_commit (ws, error);

fail:
  cohort_workspace_rollback (ws);
  return FALSE;
}

static gboolean
copy_links (CohortWorkspace  *ws,
            gint64            from,
            gint64            to,
            GError          **error)
{
  sqlite3_stmt *stmt;

  stmt = cohort_workspace_prepare (ws, "INSERT INTO segment_refs (segment, target) "
                                   "SELECT ?, target FROM segment_refs WHERE segment = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, to);
  sqlite3_bind_int64 (stmt, 2, from);
  if (!cohort_workspace_step_done (ws, stmt, _("copying the criteria"), error))
    return FALSE;

  stmt = cohort_workspace_prepare (ws, "INSERT INTO segment_members (segment, customer) "
                                   "SELECT ?, customer FROM segment_members WHERE segment = ?",
                                   error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, to);
  sqlite3_bind_int64 (stmt, 2, from);
  return cohort_workspace_step_done (ws, stmt, _("copying the members"), error);
}

CohortSegment *
cohort_segments_duplicate (CohortWorkspace  *ws,
                           gint64            id,
                           GError          **error)
{
  g_autoptr(CohortSegment) source = NULL;
  g_autofree char *name = NULL;
  g_autofree char *key = NULL;
  gint64 new_id, now = cohort_now_real ();

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);

  if (!cohort_workspace_begin (ws, error))
    return NULL;
  source = cohort_segments_get (ws, id, error);
  if (source == NULL)
    goto fail;

  for (guint n = 1; ; n++)
    {
      g_autofree char *candidate = NULL;
      g_autofree char *base = NULL;
      glong room;

      /* Translators: the name of a copy of a segment; the second one is "(copy 2)" */
      g_autofree char *suffix = n == 1 ? g_strdup (_(" (copy)"))
                                       : g_strdup_printf (_(" (copy %u)"), n);

      /* Keep the copy within the name limit by shortening the original. */
      room = COHORT_SEGMENT_NAME_MAX_CHARS - g_utf8_strlen (suffix, -1);
      base = g_utf8_substring (source->name, 0, MIN (g_utf8_strlen (source->name, -1), room));
      candidate = g_strconcat (base, suffix, NULL);
      g_clear_pointer (&name, g_free);
      g_clear_pointer (&key, g_free);
      if (check_name (ws, candidate, 0, &name, &key, NULL))
        break;
      if (n > 10000)
        {
          g_set_error_literal (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_EXISTS,
                               _("Too many copies of this segment already exist"));
          goto fail;
        }
    }

  new_id = insert_segment (ws, 0, name, key, source->kind, source->description,
                           source->active, source->criteria, now, now, error);
  if (new_id == 0 || !copy_links (ws, id, new_id, error) ||
      !cohort_outbox_segment_created (ws, new_id, error))
    goto fail;
  if (!cohort_workspace_note_change (ws, COHORT_CHANGE_SEGMENTS | COHORT_CHANGE_MEMBERS, error))
    goto fail;
  if (!cohort_workspace_commit (ws, error))
    return NULL;
  return cohort_segments_get (ws, new_id, error);

fail:
  cohort_workspace_rollback (ws);
  return NULL;
}

char **
cohort_segments_referenced_by (CohortWorkspace  *ws,
                               gint64            id,
                               GError          **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  sqlite3_stmt *stmt;
  int rc;

  stmt = cohort_workspace_prepare (ws, "SELECT s.name FROM segment_refs r "
                                   "JOIN segments s ON s.id = r.segment "
                                   "WHERE r.target = ? AND r.segment != r.target "
                                   "ORDER BY s.name_key", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      cohort_workspace_db_error (ws, error, _("checking which segments use it"));
      return NULL;
    }
  return g_strv_builder_end (builder);
}

struct _CohortSegmentSnapshot
{
  CohortSegment *segment;
  char          *name_key;
  GArray        *refs;      /* gint64 targets */
  GArray        *members;   /* gint64 customer ordinals */
};

void
cohort_segment_snapshot_free (CohortSegmentSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_clear_object (&snapshot->segment);
  g_free (snapshot->name_key);
  g_clear_pointer (&snapshot->refs, g_array_unref);
  g_clear_pointer (&snapshot->members, g_array_unref);
  g_free (snapshot);
}

static gboolean
collect_ids (CohortWorkspace  *ws,
             const char       *sql,
             gint64            id,
             GArray           *out,
             GError          **error)
{
  sqlite3_stmt *stmt = cohort_workspace_prepare (ws, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 v = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (out, v);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return cohort_workspace_db_error (ws, error, _("reading the segment"));
  return TRUE;
}

gboolean
cohort_segments_delete (CohortWorkspace         *ws,
                        gint64                   id,
                        CohortSegmentSnapshot  **out_snapshot,
                        GError                 **error)
{
  g_autoptr(CohortSegmentSnapshot) snapshot = g_new0 (CohortSegmentSnapshot, 1);
  g_auto(GStrv) users = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), FALSE);

  if (!cohort_workspace_begin (ws, error))
    return FALSE;
  snapshot->segment = cohort_segments_get (ws, id, error);
  if (snapshot->segment == NULL)
    goto fail;

  users = cohort_segments_referenced_by (ws, id, error);
  if (users == NULL)
    goto fail;
  if (users[0] != NULL)
    {
      g_autofree char *list = g_strjoinv (_("”, “"), users);

      g_set_error (error, COHORT_WORKSPACE_ERROR, COHORT_WORKSPACE_ERROR_IN_USE,
                   g_dngettext (GETTEXT_PACKAGE,
                                "“%s” cannot be deleted: segment “%s” uses it in its criteria",
                                "“%s” cannot be deleted: segments “%s” use it in their criteria",
                                g_strv_length (users)),
                   snapshot->segment->name, list);
      goto fail;
    }

  if (out_snapshot != NULL)
    {
      snapshot->name_key = name_key (snapshot->segment->name);
      snapshot->refs = g_array_new (FALSE, FALSE, sizeof (gint64));
      snapshot->members = g_array_new (FALSE, FALSE, sizeof (gint64));
      if (!collect_ids (ws, "SELECT target FROM segment_refs WHERE segment = ?", id,
                        snapshot->refs, error) ||
          !collect_ids (ws, "SELECT customer FROM segment_members WHERE segment = ?", id,
                        snapshot->members, error))
        goto fail;
    }

  stmt = cohort_workspace_prepare (ws, "DELETE FROM segments WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  if (!cohort_workspace_step_done (ws, stmt, _("deleting the segment"), error) ||
      !cohort_outbox_segment_deleted (ws, id, error) ||
      !cohort_workspace_note_change (ws, COHORT_CHANGE_SEGMENTS | COHORT_CHANGE_MEMBERS, error))
    goto fail;
  if (!cohort_workspace_commit (ws, error))
    return FALSE;

  if (out_snapshot != NULL)
    *out_snapshot = g_steal_pointer (&snapshot);
  return TRUE;

fail:
  cohort_workspace_rollback (ws);
  return FALSE;
}

CohortSegment *
cohort_segments_restore (CohortWorkspace        *ws,
                         CohortSegmentSnapshot  *snapshot,
                         GError                **error)
{
  CohortSegment *s;
  sqlite3_stmt *stmt;
  gint64 id;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  g_return_val_if_fail (snapshot != NULL && snapshot->segment != NULL, NULL);

  s = snapshot->segment;
  if (!cohort_workspace_begin (ws, error))
    return NULL;
  if (!check_name (ws, s->name, s->id, NULL, NULL, error))
    {
      g_prefix_error (error, _("Cannot restore “%s”: "), s->name);
      goto fail;
    }
  id = insert_segment (ws, s->id, s->name, snapshot->name_key, s->kind, s->description,
                       s->active, s->criteria, s->created_at, cohort_now_real (), error);
  if (id == 0 || !cohort_outbox_segment_created (ws, id, error))
    goto fail;

  stmt = cohort_workspace_prepare (ws, "INSERT INTO segment_refs (segment, target) "
                                   "SELECT ?1, id FROM segments WHERE id = ?2", error);
  if (stmt == NULL)
    goto fail;
  for (guint i = 0; snapshot->refs && i < snapshot->refs->len; i++)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_int64 (stmt, 2, g_array_index (snapshot->refs, gint64, i));
      if (!cohort_workspace_step_done (ws, stmt, _("restoring the criteria"), error))
        goto fail;
    }
  /* Customers deleted in the meantime stay deleted. */
  stmt = cohort_workspace_prepare (ws, "INSERT INTO segment_members (segment, customer) "
                                   "SELECT ?1, ordinal FROM customers WHERE ordinal = ?2", error);
  if (stmt == NULL)
    goto fail;
  for (guint i = 0; snapshot->members && i < snapshot->members->len; i++)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_int64 (stmt, 2, g_array_index (snapshot->members, gint64, i));
      if (!cohort_workspace_step_done (ws, stmt, _("restoring the members"), error))
        goto fail;
    }
  if (!cohort_workspace_note_change (ws, COHORT_CHANGE_SEGMENTS | COHORT_CHANGE_MEMBERS, error))
    goto fail;
  if (!cohort_workspace_commit (ws, error))
    return NULL;
  return cohort_segments_get (ws, id, error);

fail:
  cohort_workspace_rollback (ws);
  return NULL;
}
