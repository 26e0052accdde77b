/* cohort-remote-segment.c: a segment made in Customer.io, as last pulled
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cohort-remote-segment.h"

struct _CohortRemoteSegment
{
  GObject parent_instance;

  gint64 id;
  char *name;
  char *description;
  char *remote_type;
  gint64 count;
};

G_DEFINE_FINAL_TYPE (CohortRemoteSegment, cohort_remote_segment, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_REMOTE_TYPE,
  PROP_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cohort_remote_segment_finalize (GObject *object)
{
  CohortRemoteSegment *self = COHORT_REMOTE_SEGMENT (object);

  g_free (self->name);
  g_free (self->description);
  g_free (self->remote_type);

  G_OBJECT_CLASS (cohort_remote_segment_parent_class)->finalize (object);
}

static void
cohort_remote_segment_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  CohortRemoteSegment *self = COHORT_REMOTE_SEGMENT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;

    case PROP_REMOTE_TYPE:
      g_value_set_string (value, self->remote_type);
      break;

    case PROP_COUNT:
      g_value_set_int64 (value, self->count);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_remote_segment_class_init (CohortRemoteSegmentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cohort_remote_segment_finalize;
  object_class->get_property = cohort_remote_segment_get_property;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_REMOTE_TYPE] =
    g_param_spec_string ("remote-type", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_COUNT] =
    g_param_spec_int64 ("count", NULL, NULL, -1, G_MAXINT64, -1,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cohort_remote_segment_init (CohortRemoteSegment *self)
{
  self->count = -1;
}

CohortRemoteSegment *
cohort_remote_segment_new (const CohortCioSegment *segment)
{
  CohortRemoteSegment *self;

  g_return_val_if_fail (segment != NULL, NULL);

  self = g_object_new (COHORT_TYPE_REMOTE_SEGMENT, NULL);
  self->id = segment->id;
  self->name = g_strdup (segment->name ? segment->name : "");
  self->description = g_strdup (segment->description ? segment->description : "");
  self->remote_type = g_strdup (segment->type ? segment->type : "");
  self->count = segment->count;
  return self;
}

gint64
cohort_remote_segment_get_id (CohortRemoteSegment *self)
{
  g_return_val_if_fail (COHORT_IS_REMOTE_SEGMENT (self), 0);
  return self->id;
}

const char *
cohort_remote_segment_get_name (CohortRemoteSegment *self)
{
  g_return_val_if_fail (COHORT_IS_REMOTE_SEGMENT (self), NULL);
  return self->name;
}

const char *
cohort_remote_segment_get_description (CohortRemoteSegment *self)
{
  g_return_val_if_fail (COHORT_IS_REMOTE_SEGMENT (self), NULL);
  return self->description;
}

const char *
cohort_remote_segment_get_remote_type (CohortRemoteSegment *self)
{
  g_return_val_if_fail (COHORT_IS_REMOTE_SEGMENT (self), NULL);
  return self->remote_type;
}

gint64
cohort_remote_segment_get_count (CohortRemoteSegment *self)
{
  g_return_val_if_fail (COHORT_IS_REMOTE_SEGMENT (self), -1);
  return self->count;
}

gboolean
cohort_remote_segment_is_manual (CohortRemoteSegment *self)
{
  g_return_val_if_fail (COHORT_IS_REMOTE_SEGMENT (self), FALSE);
  return g_strcmp0 (self->remote_type, "manual") == 0;
}

const char *
cohort_remote_type_label (const char *type)
{
  if (g_strcmp0 (type, "manual") == 0)
    return _("Manual");
  /* Customer.io calls its rule-based segments "dynamic". */
  if (g_strcmp0 (type, "dynamic") == 0)
    return _("Data-driven");
  return type != NULL ? type : "";
}
