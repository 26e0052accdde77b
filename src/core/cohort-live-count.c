/* cohort-live-count.c: the live count of the criteria builder
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "Cohort-Query"

#include "config.h"

#include "cohort-live-count.h"

struct _CohortLiveCount
{
  GObject           parent_instance;
  CohortWorkspace  *ws;
  CohortCriteria   *criteria;
  CohortEvaluation *result;
  GError           *error;
  GCancellable     *cancellable;
  guint             timeout_id;
  guint             delay;
  gulong            changed_id;
};

G_DEFINE_FINAL_TYPE (CohortLiveCount, cohort_live_count, G_TYPE_OBJECT)

enum {
  UPDATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cohort_live_count_dispose (GObject *object)
{
  CohortLiveCount *self = COHORT_LIVE_COUNT (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->ws != NULL && self->changed_id != 0)
    g_clear_signal_handler (&self->changed_id, self->ws);
  g_clear_object (&self->ws);
  g_clear_pointer (&self->criteria, cohort_criteria_free);
  g_clear_pointer (&self->result, cohort_evaluation_unref);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (cohort_live_count_parent_class)->dispose (object);
}

static void
cohort_live_count_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CohortLiveCount *self = COHORT_LIVE_COUNT (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, cohort_live_count_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_live_count_class_init (CohortLiveCountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cohort_live_count_dispose;
  object_class->get_property = cohort_live_count_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CohortLiveCount::updated:
   *
   * A new result (cohort_live_count_get_result()) or error arrived.
   */
  signals[UPDATED] = g_signal_new ("updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cohort_live_count_init (CohortLiveCount *self)
{
  self->delay = 60;
}

static void
live_count_done (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  g_autoptr(CohortLiveCount) self = user_data;
  g_autoptr(GError) error = NULL;
  CohortEvaluation *result;

  result = cohort_evaluator_evaluate_finish (COHORT_WORKSPACE (source), res, &error);
  /* A newer request replaced this one: drop it. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (res))))
    {
      g_clear_pointer (&result, cohort_evaluation_unref);
      return;
    }
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->result, cohort_evaluation_unref);
  g_clear_error (&self->error);
  self->result = result;
  self->error = g_steal_pointer (&error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_signal_emit (self, signals[UPDATED], 0);
}

static gboolean
live_count_run (gpointer user_data)
{
  CohortLiveCount *self = user_data;

  self->timeout_id = 0;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->criteria == NULL)
    {
      g_clear_pointer (&self->result, cohort_evaluation_unref);
      g_clear_error (&self->error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
      g_signal_emit (self, signals[UPDATED], 0);
      return G_SOURCE_REMOVE;
    }
  self->cancellable = g_cancellable_new ();
  cohort_evaluator_evaluate_async (self->ws, self->criteria, self->cancellable,
                                   live_count_done, g_object_ref (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  return G_SOURCE_REMOVE;
}

static void
live_count_schedule (CohortLiveCount *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  /* Cancel now, so that a stale answer never arrives after the edit. */
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  self->timeout_id = g_timeout_add (self->delay, live_count_run, self);
}

static void
on_workspace_changed (CohortWorkspace *ws,
                      guint            what,
                      CohortLiveCount *self)
{
  live_count_schedule (self);
}

CohortLiveCount *
cohort_live_count_new (CohortWorkspace *ws)
{
  CohortLiveCount *self;

  g_return_val_if_fail (COHORT_IS_WORKSPACE (ws), NULL);
  self = g_object_new (COHORT_TYPE_LIVE_COUNT, NULL);
  self->ws = g_object_ref (ws);
  self->changed_id = g_signal_connect (ws, "changed", G_CALLBACK (on_workspace_changed), self);
  return self;
}

void
cohort_live_count_set_criteria (CohortLiveCount      *self,
                                const CohortCriteria *criteria)
{
  g_return_if_fail (COHORT_IS_LIVE_COUNT (self));
  g_clear_pointer (&self->criteria, cohort_criteria_free);
  self->criteria = criteria ? cohort_criteria_copy (criteria) : NULL;
  live_count_schedule (self);
}

void
cohort_live_count_set_delay (CohortLiveCount *self,
                             guint            msec)
{
  g_return_if_fail (COHORT_IS_LIVE_COUNT (self));
  self->delay = msec;
}

CohortEvaluation *
cohort_live_count_get_result (CohortLiveCount *self)
{
  g_return_val_if_fail (COHORT_IS_LIVE_COUNT (self), NULL);
  return self->result;
}

const GError *
cohort_live_count_get_error (CohortLiveCount *self)
{
  g_return_val_if_fail (COHORT_IS_LIVE_COUNT (self), NULL);
  return self->error;
}

gboolean
cohort_live_count_get_busy (CohortLiveCount *self)
{
  g_return_val_if_fail (COHORT_IS_LIVE_COUNT (self), FALSE);
  return self->timeout_id != 0 || self->cancellable != NULL;
}
