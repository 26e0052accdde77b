/* cohort-segment-row.c: one segment in the sidebar list
 *
 * Copyright 2026 The Cohort developers
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"
#include <inttypes.h>

#include <glib/gi18n.h>

#include "cohort-a11y.h"
#include "cohort-segment-row.h"

struct _CohortSegmentRow
{
  GtkWidget parent_instance;

  CohortSegment *segment;
  CohortRemoteSegment *remote;
  CohortSyncStatus status;      /* valid when has_status */
  gboolean has_status;

  GtkImage *kind_image;
  GtkLabel *name_label;
  GtkLabel *badge_label;
  GtkLabel *kind_label;
  GtkLabel *sync_label;
  GtkLabel *count_label;
};

G_DEFINE_FINAL_TYPE (CohortSegmentRow, cohort_segment_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SEGMENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
cohort_segment_kind_icon_name (CohortSegmentKind kind)
{
  return kind == COHORT_SEGMENT_DATA_DRIVEN ? "cohort-data-driven-symbolic"
                                            : "cohort-manual-symbolic";
}

const char *
cohort_segment_kind_label (CohortSegmentKind kind)
{
  return kind == COHORT_SEGMENT_DATA_DRIVEN ? _("Data-driven") : _("Manual");
}

char *
cohort_segment_format_count (gint64 count)
{
  /* Not counted yet (a data-driven segment without rules, say) */
  if (count < 0)
    return g_strdup (_("—"));

  return g_strdup_printf ("%'" PRId64, count);
}

char *
cohort_sync_status_describe (const CohortSyncStatus *status)
{
  switch (status->state)
    {
    case COHORT_SYNC_STATE_NOT_PUBLISHED:
      return g_strdup (_("Not published to Customer.io"));
    case COHORT_SYNC_STATE_PENDING:
      /* Translators: changes to a segment not sent to Customer.io yet */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%" PRId64 " change waiting to sync",
                                           "%" PRId64 " changes waiting to sync",
                                           (gulong) status->n_pending),
                              status->n_pending);
    case COHORT_SYNC_STATE_SYNCED:
      return g_strdup (_("Synced"));
    case COHORT_SYNC_STATE_ERROR:
      if (status->error != NULL && *status->error != '\0')
        /* Translators: %s is why the last sync of the segment failed */
        return g_strdup_printf (_("Sync failed: %s"), status->error);
      return g_strdup (_("Sync failed"));
    case COHORT_SYNC_STATE_UNLINKED:
      return g_strdup (_("Deleted in Customer.io"));
    case COHORT_SYNC_STATE_INACTIVE:
      return g_strdup (_("Inactive: not synced"));
    default:
      g_return_val_if_reached (g_strdup (""));
    }
}

char *
cohort_sync_status_short (const CohortSyncStatus *status)
{
  switch (status->state)
    {
    case COHORT_SYNC_STATE_PENDING:
      /* Translators: in the segment list, changes not sent to Customer.io yet */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%" PRId64 " change waiting",
                                           "%" PRId64 " changes waiting",
                                           (gulong) status->n_pending),
                              status->n_pending);
    case COHORT_SYNC_STATE_SYNCED:
      return g_strdup (_("Synced"));
    case COHORT_SYNC_STATE_ERROR:
      return g_strdup (_("Sync failed"));
    case COHORT_SYNC_STATE_UNLINKED:
      return g_strdup (_("Deleted in Customer.io"));
    case COHORT_SYNC_STATE_NOT_PUBLISHED:
    case COHORT_SYNC_STATE_INACTIVE:    /* the row says "Inactive" already */
    default:
      return g_strdup ("");
    }
}

const char *
cohort_sync_status_style_class (const CohortSyncStatus *status)
{
  switch (status->state)
    {
    case COHORT_SYNC_STATE_SYNCED:
      return "success";
    case COHORT_SYNC_STATE_UNLINKED:
      return "warning";
    case COHORT_SYNC_STATE_ERROR:
      return "error";
    case COHORT_SYNC_STATE_NOT_PUBLISHED:
    case COHORT_SYNC_STATE_PENDING:
    case COHORT_SYNC_STATE_INACTIVE:
    default:
      return NULL;
    }
}

static void
set_style_class (GtkWidget  *widget,
                 const char *style_class)
{
  static const char *const classes[] = { "success", "warning", "error" };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    if (g_strcmp0 (classes[i], style_class) != 0)
      gtk_widget_remove_css_class (widget, classes[i]);
  if (style_class != NULL)
    gtk_widget_add_css_class (widget, style_class);
}

static void
set_count (CohortSegmentRow *self,
           gint64            n,
           const char       *unknown_tooltip)
{
  g_autofree char *count = cohort_segment_format_count (n);
  g_autofree char *count_tooltip = NULL;

  gtk_label_set_label (self->count_label, count);
  if (n < 0)
    count_tooltip = g_strdup (unknown_tooltip);
  else
    count_tooltip = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'" PRId64 " member",
                                                  "%'" PRId64 " members", (gulong) n), n);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->count_label), count_tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->count_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, count_tooltip,
                                  -1);
}

/* A segment made in Customer.io: its type and count as Customer.io says. */
static void
update_remote (CohortSegmentRow *self)
{
  CohortRemoteSegment *remote = self->remote;
  g_autofree char *description = NULL;

  gtk_image_set_from_icon_name (self->kind_image,
                                cohort_remote_segment_is_manual (remote) ? "cohort-manual-symbolic"
                                                                         : "cohort-data-driven-symbolic");
  gtk_label_set_label (self->name_label, cohort_remote_segment_get_name (remote));
  gtk_widget_set_visible (GTK_WIDGET (self->badge_label), TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->badge_label), _("Made in Customer.io"));
  gtk_label_set_label (self->kind_label,
                       cohort_remote_type_label (cohort_remote_segment_get_remote_type (remote)));
  gtk_label_set_label (self->sync_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->sync_label), FALSE);
  set_count (self, cohort_remote_segment_get_count (remote), _("Count not known"));
  gtk_widget_remove_css_class (GTK_WIDGET (self), "inactive");

  /* Translators: how a segment made in Customer.io is described to a screen
   * reader, e.g. "Customer.io segment, Manual" */
  description = g_strdup_printf (_("Customer.io segment, %s"),
                                 cohort_remote_type_label (cohort_remote_segment_get_remote_type (remote)));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description, -1);
}

/* The list row holding this one is what takes the focus: it is read as
 * the segment's name, kind and count ("VIP, Data-driven, 357 members"). */
static void
update_accessible_name (CohortSegmentRow *self)
{
  GtkWidget *holder = gtk_widget_get_parent (GTK_WIDGET (self));
  const char *count = gtk_widget_get_tooltip_text (GTK_WIDGET (self->count_label));
  g_autofree char *name = NULL;

  if (*gtk_label_get_label (self->name_label) == '\0')
    return;
  /* Translators: a segment in the list for a screen reader: its name, its
   * kind, its count, e.g. "VIP, Data-driven, 357 members" */
  name = g_strdup_printf (_("%s, %s, %s"), gtk_label_get_label (self->name_label),
                          gtk_label_get_label (self->kind_label), count != NULL ? count : "");
  cohort_a11y_set_name (GTK_WIDGET (self), name);
  if (holder != NULL)
    cohort_a11y_set_name (holder, name);
}

static void
cohort_segment_row_update (CohortSegmentRow *self)
{
  CohortSegment *segment = self->segment;
  g_autofree char *sync_short = NULL;
  g_autofree char *sync_words = NULL;
  CohortSegmentKind kind;
  gboolean active;
  gboolean published;

  if (self->remote != NULL)
    {
      update_remote (self);
      update_accessible_name (self);
      return;
    }

  if (segment == NULL)
    {
      gtk_label_set_label (self->name_label, "");
      gtk_label_set_label (self->kind_label, "");
      gtk_label_set_label (self->sync_label, "");
      gtk_label_set_label (self->count_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->badge_label), FALSE);
      gtk_image_clear (self->kind_image);
      return;
    }

  kind = cohort_segment_get_kind (segment);
  active = cohort_segment_get_active (segment);

  gtk_image_set_from_icon_name (self->kind_image, cohort_segment_kind_icon_name (kind));
  gtk_label_set_label (self->name_label, cohort_segment_get_name (segment));

  if (active)
    gtk_label_set_label (self->kind_label, cohort_segment_kind_label (kind));
  else
    {
      /* Translators: the kind of a segment, then that it is inactive, e.g. "Manual · Inactive" */
      g_autofree char *text = g_strdup_printf (_("%s · Inactive"), cohort_segment_kind_label (kind));
      gtk_label_set_label (self->kind_label, text);
    }

  set_count (self, cohort_segment_get_count (segment), _("Members not counted yet"));

  /* Published (linked to a Customer.io segment): the badge. */
  published = self->has_status && self->status.remote_id > 0;
  gtk_widget_set_visible (GTK_WIDGET (self->badge_label), published);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->badge_label), _("Published to Customer.io"));

  if (self->has_status)
    {
      sync_short = cohort_sync_status_short (&self->status);
      sync_words = cohort_sync_status_describe (&self->status);
    }
  gtk_label_set_label (self->sync_label, sync_short ? sync_short : "");
  gtk_widget_set_visible (GTK_WIDGET (self->sync_label), sync_short != NULL && *sync_short != '\0');
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->sync_label), sync_words);
  set_style_class (GTK_WIDGET (self->sync_label),
                   self->has_status ? cohort_sync_status_style_class (&self->status) : NULL);
  /* The whole state for a screen reader, the error included. */
  if (sync_words != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    sync_words, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);

  if (active)
    gtk_widget_remove_css_class (GTK_WIDGET (self), "inactive");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self), "inactive");
  update_accessible_name (self);
}

static void
cohort_segment_row_dispose (GObject *object)
{
  CohortSegmentRow *self = COHORT_SEGMENT_ROW (object);
  GtkWidget *child;

  gtk_widget_dispose_template (GTK_WIDGET (self), COHORT_TYPE_SEGMENT_ROW);
  /* Also the children the template does not name. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  if (self->segment != NULL)
    g_signal_handlers_disconnect_by_func (self->segment, cohort_segment_row_update, self);
  g_clear_object (&self->segment);
  g_clear_object (&self->remote);
  cohort_sync_status_clear (&self->status);
  self->has_status = FALSE;

  G_OBJECT_CLASS (cohort_segment_row_parent_class)->dispose (object);
}

static void
cohort_segment_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CohortSegmentRow *self = COHORT_SEGMENT_ROW (object);

  switch (prop_id)
    {
    case PROP_SEGMENT:
      g_value_set_object (value, self->segment);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_segment_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  CohortSegmentRow *self = COHORT_SEGMENT_ROW (object);

  switch (prop_id)
    {
    case PROP_SEGMENT:
      cohort_segment_row_set_segment (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cohort_segment_row_class_init (CohortSegmentRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cohort_segment_row_dispose;
  object_class->get_property = cohort_segment_row_get_property;
  object_class->set_property = cohort_segment_row_set_property;

  properties[PROP_SEGMENT] =
    g_param_spec_object ("segment", NULL, NULL,
                         COHORT_TYPE_SEGMENT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/cohort-segment-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentRow, kind_image);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentRow, badge_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentRow, kind_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentRow, sync_label);
  gtk_widget_class_bind_template_child (widget_class, CohortSegmentRow, count_label);
}

static void
cohort_segment_row_init (CohortSegmentRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cohort_a11y_tidy (GTK_WIDGET (self));
}

GtkWidget *
cohort_segment_row_new (void)
{
  return g_object_new (COHORT_TYPE_SEGMENT_ROW, NULL);
}

CohortSegment *
cohort_segment_row_get_segment (CohortSegmentRow *self)
{
  g_return_val_if_fail (COHORT_IS_SEGMENT_ROW (self), NULL);

  return self->segment;
}

void
cohort_segment_row_set_segment (CohortSegmentRow *self,
                                CohortSegment    *segment)
{
  g_return_if_fail (COHORT_IS_SEGMENT_ROW (self));
  g_return_if_fail (segment == NULL || COHORT_IS_SEGMENT (segment));

  if (self->segment == segment)
    return;

  /* Counts arrive later, from a background evaluation. */
  if (self->segment != NULL)
    g_signal_handlers_disconnect_by_func (self->segment, cohort_segment_row_update, self);

  g_set_object (&self->segment, segment);

  if (segment != NULL)
    g_signal_connect_object (segment, "notify::count", G_CALLBACK (cohort_segment_row_update), self, G_CONNECT_SWAPPED);

  cohort_segment_row_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEGMENT]);
}

void
cohort_segment_row_set_sync_status (CohortSegmentRow       *self,
                                    const CohortSyncStatus *status)
{
  g_return_if_fail (COHORT_IS_SEGMENT_ROW (self));

  cohort_sync_status_clear (&self->status);
  self->has_status = status != NULL;
  if (status != NULL)
    {
      self->status = *status;
      self->status.error = g_strdup (status->error);
    }
  cohort_segment_row_update (self);
}

CohortRemoteSegment *
cohort_segment_row_get_remote (CohortSegmentRow *self)
{
  g_return_val_if_fail (COHORT_IS_SEGMENT_ROW (self), NULL);

  return self->remote;
}

void
cohort_segment_row_set_remote (CohortSegmentRow    *self,
                               CohortRemoteSegment *remote)
{
  g_return_if_fail (COHORT_IS_SEGMENT_ROW (self));
  g_return_if_fail (remote == NULL || COHORT_IS_REMOTE_SEGMENT (remote));

  g_set_object (&self->remote, remote);
  cohort_segment_row_update (self);
}
